/**
 * The notary's card check over HTTP:
 *
 *   POST /cards/read   { (id12 | documentNumber) + dateOfBirth + dateOfExpiry (YYMMDD)
 *                          | qr (the card's QR text) [+ dateOfExpiry],
 *                        can?, reader?, photo?, waitMs? }
 *
 * waits up to `waitMs` (default 3000) for a card to be placed, then reads the card in the reader:
 * PACE with the CAN (given, or the last 6 digits of a CCCD ID), PACE with the MRZ, then BAC; every
 * readable data group; Passive Authentication against the configured trust store; Chip and Active
 * Authentication. It answers the check: holder (DG1, DG13), how the chip was opened, the PA and
 * chip verdicts with the officer's messages in Vietnamese and English, the personal-ID check, data
 * groups, timings and APDU count; with `photo: true` also the portrait as base64.
 *
 * The verdict (station/cards/read-card.ts CardCheck):
 *   genuine               the chip and its data are authentic: PA valid and no clone suspected
 *   valid                 the document is in date on the station's calendar day (null: unknown)
 *   usable                genuine and valid
 *   validity              { kind: in-date | no-expiry | expired | unknown, valid, dateOfExpiry,
 *                           today, from: dg1 | dg13, message: { vi, en } }
 *   accessKeyMismatches   [{ field: id12 | documentNumber | dateOfBirth | dateOfExpiry, typed, chip,
 *                           message }] when PACE-CAN opened a chip whose DG1 differs from the numbers
 *                           given; [] when they agree; null without a readable DG1
 *   summary               { vi, en }: one line for people
 * Failures answer
 * `{ error: { code, message, officer? } }` by stable code.
 *
 *   POST /cards/verify-fingerprint   { the card's numbers as above, scanner?, finger?, fmr?,
 *                                      fingerWaitMs? }
 *
 * the notary's "is this the holder?" by fingerprint: reads the card as above with Terminal
 * Authentication (the station's EAC credentials), takes the chip's finger (`finger`, default the first
 * DG3 holds), captures a flat finger on `scanner` (default the first fingerprint scanner) and compares
 * them in the hot path (station/cards/verify-finger.ts): `decision` match | no-match | cannot-compare,
 * the score, the FMR it stands for, the decision's FMR (default 1 in 10,000) and threshold, the paired
 * minutiae, whether DG3 passed Passive Authentication, the card's verdicts and the timings. A chip
 * whose fingerprints cannot be read answers 422 FINGERPRINTS_UNAVAILABLE with the officer's fallback
 * (compare the face, or have the central service check the print).
 */

import type { FastifyPluginAsync } from 'fastify';
import { DeviceTimeoutError, DriverError } from '../../drivers/errors.ts';
import type { CapturedImage, FingerprintScanner } from '../../drivers/fingerprint/scanner.ts';
import type { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import { CardError } from '../../protocol/icao9303/errors.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
import type { DocumentReport } from '../../protocol/icao9303/read-document.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import { NO_QUERY, openObject, responses } from '../api-schema.ts';
import {
  accessKey,
  type CardCheck,
  type CardKey,
  cardKeyFromQr,
  defaultCan,
  readCard,
} from '../cards/read-card.ts';
import type { FingerImage, FingerprintComparison } from '../cards/verify-finger.ts';
import { type Clock, localToday } from '../clock.ts';
import { type DeviceLeases, leaseForRequest } from '../devices/leases.ts';

/**
 * What the fingerprint verification needs besides the reader: a scanner (by id, or the first) and
 * the comparison of a live finger with the chip's, in the hot path's workers.
 */
export interface FingerprintVerifier {
  readonly scanner: (id: string | undefined) => FingerprintScanner | undefined;
  readonly compare: (
    live: FingerImage,
    chip: FingerImage,
    fmr: number | undefined,
  ) => Promise<FingerprintComparison>;
}

export interface CardRoutesOptions {
  readonly reader: CardReaderDevice;
  /** Without it, POST /cards/verify-fingerprint is not mounted. */
  readonly verifier?: FingerprintVerifier;
  readonly trustStore: TrustStore | undefined;
  /** EAC terminal credentials for the next read; undefined: no TA, DG3 not read. */
  readonly terminal?: (() => Promise<TerminalCredentials | undefined>) | undefined;
  readonly clock: Clock;
  /** The station's device leases: a read holds the reader (409 DEVICE_IN_USE for another session). */
  readonly leases?: DeviceLeases;
}

const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  CARD_ACCESS_DENIED: 422,
  CARD_AUTHENTICATION_FAILED: 422,
  CARD_NOT_EMRTD: 422,
  CARD_SM_SESSION_DEAD: 502,
  CARD_SM_MAC_MISMATCH: 502,
  CARD_DATA_DAMAGED: 502,
  CARD_FILE_NOT_FOUND: 502,
  CARD_ACCESS_CONDITIONS: 502,
  CARD_UNEXPECTED_STATUS: 502,
  CARD_REMOVED: 409,
  DEVICE_BUSY: 409,
  DEVICE_TIMEOUT: 504,
  DEVICE_DISCONNECTED: 503,
  DEVICE_UNAVAILABLE: 503,
  DEVICE_PROTOCOL: 502,
  DEVICE_CANCELED: 499,
};

/** What the officer reads for the failures they can act on. */
const OFFICER: Readonly<Record<string, { vi: string; en: string }>> = {
  CARD_ACCESS_DENIED: {
    vi: 'Thẻ không chấp nhận mã truy cập: kiểm tra lại số định danh, ngày sinh và ngày hết hạn in trên thẻ.',
    en: 'The card refused the access key: check the ID number, date of birth and date of expiry printed on the card.',
  },
  CARD_REMOVED: {
    vi: 'Thẻ bị rút ra hoặc không còn trên đầu đọc: đặt thẻ lên đầu đọc, giữ yên và đọc lại.',
    en: 'The card is not on the reader (or was moved during the read): place it on the reader, hold it still and read again.',
  },
  CARD_SM_MAC_MISMATCH: {
    vi: 'Dữ liệu nhận từ chip không toàn vẹn. Đọc lại; nếu vẫn lỗi, không chấp nhận thẻ và báo cáo cấp trên.',
    en: 'Data from the chip failed its integrity check. Read again; if it fails again, do not accept the card and report it.',
  },
  CARD_NOT_EMRTD: {
    vi: 'Đây không phải thẻ căn cước gắn chip (không có ứng dụng ICAO).',
    en: 'This is not a chip ID card (no ICAO application on the chip).',
  },
};

/** How long a read waits for a card to be placed, ms. */
const DEFAULT_WAIT_MS = 3000;
/** How long the fingerprint verification waits for a finger on the scanner, ms. */
const DEFAULT_FINGER_WAIT_MS = 15_000;

const DATE = { type: 'string', pattern: '^[0-9]{6}$' } as const;

/** The card's numbers and how to wait for it: the body of /cards/read, shared by the routes. */
interface CardReadBody {
  id12?: string;
  documentNumber?: string;
  qr?: string;
  can?: string;
  dateOfBirth?: string;
  dateOfExpiry?: string;
  reader?: string;
  waitMs?: number;
}

const CARD_READ_PROPERTIES = {
  id12: { type: 'string', pattern: '^[0-9]{12}$' },
  documentNumber: { type: 'string', pattern: '^[0-9A-Z<]{1,22}$' },
  qr: { type: 'string', minLength: 1, maxLength: 1000 },
  can: { type: 'string', pattern: '^[0-9]{6}$' },
  dateOfBirth: DATE,
  dateOfExpiry: DATE,
  reader: { type: 'string', minLength: 1, maxLength: 200 },
  waitMs: { type: 'integer', minimum: 0, maximum: 30000 },
} as const;

const CARD_KEY_ONE_OF = [
  { required: ['id12', 'dateOfBirth', 'dateOfExpiry'] },
  { required: ['documentNumber', 'dateOfBirth', 'dateOfExpiry'] },
  { required: ['qr'], not: { anyOf: [{ required: ['dateOfBirth'] }] } },
] as const;

type ReadOutcome =
  | {
      readonly ok: true;
      readonly check: CardCheck;
      readonly report: DocumentReport;
      readonly fromQr: ReturnType<typeof cardKeyFromQr> | undefined;
    }
  | { readonly ok: false; readonly status: number; readonly payload: unknown };

function failure(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return { ok: false as const, status, payload: { error: { code, message, ...extra } } };
}

export const cardRoutes: FastifyPluginAsync<CardRoutesOptions> = async (app, options) => {
  const { reader, trustStore, terminal, clock } = options;

  /** Waits for the card, reads and checks it; a failure is the answer to send, by stable code. */
  async function readPlaced(body: CardReadBody): Promise<ReadOutcome> {
    let key: CardKey;
    let fromQr: ReturnType<typeof cardKeyFromQr> | undefined;
    if (body.qr !== undefined) {
      fromQr = cardKeyFromQr(body.qr, {
        today: localToday(clock.now()),
        ...(body.dateOfExpiry === undefined ? {} : { dateOfExpiry: body.dateOfExpiry }),
      });
      if (!fromQr.ok)
        return failure(422, fromQr.code, fromQr.message.en, {
          officer: fromQr.message,
          qr: { errors: fromQr.qr.errors, expiry: fromQr.expiry },
        });
      key = fromQr.key;
    } else
      key =
        body.id12 !== undefined
          ? { id12: body.id12, dateOfBirth: body.dateOfBirth ?? '', dateOfExpiry: body.dateOfExpiry ?? '' }
          : {
              documentNumber: body.documentNumber ?? '',
              dateOfBirth: body.dateOfBirth ?? '',
              dateOfExpiry: body.dateOfExpiry ?? '',
            };
    const mrz = accessKey(key);
    if (!mrz.ok) return failure(400, 'BAD_REQUEST', `${mrz.error.field}: ${mrz.error.detail}`);
    const can = body.can ?? defaultCan(key);
    let session: Awaited<ReturnType<CardReaderDevice['connect']>> | undefined;
    try {
      // The officer may press "read" a moment before the card is on the reader.
      const waitMs = body.waitMs ?? DEFAULT_WAIT_MS;
      let placed: { name: string };
      try {
        placed = await reader.waitForCard({
          ...(body.reader === undefined ? {} : { reader: body.reader }),
          timeoutMs: waitMs,
        });
      } catch (error) {
        if (!(error instanceof DeviceTimeoutError)) throw error;
        return failure(
          409,
          'CARD_ABSENT',
          `No card was placed on ${body.reader ?? 'a reader'} within ${waitMs} ms`,
          {
            officer: OFFICER.CARD_REMOVED,
          },
        );
      }
      session = await reader.connect(placed.name);
      const credentials = await terminal?.();
      const { check, report } = await readCard(session, {
        mrzInformation: mrz.value,
        key,
        ...(can === undefined ? {} : { can }),
        ...(trustStore === undefined ? {} : { trustStore }),
        ...(credentials === undefined ? {} : { terminal: credentials }),
        now: () => clock.now(),
      });
      return { ok: true, check, report, fromQr };
    } catch (error) {
      if (error instanceof CardError || error instanceof DriverError) {
        const officer = OFFICER[error.code];
        return failure(STATUS_OF_CODE[error.code] ?? 502, error.code, error.message, {
          ...(officer === undefined ? {} : { officer }),
        });
      }
      throw error;
    } finally {
      await session?.close();
    }
  }

  /** The check as /cards/read answers it. */
  const cardAnswer = (outcome: Extract<ReadOutcome, { ok: true }>) => ({
    ...outcome.check,
    accessKeyMismatches: outcome.check.accessKeyMismatches ?? null,
    ...(outcome.fromQr?.ok
      ? {
          qr: {
            errors: outcome.fromQr.qr.errors,
            expiryFrom: outcome.fromQr.expiryFrom,
            expiry: outcome.fromQr.expiry ?? null,
          },
        }
      : {}),
  });

  app.post<{ Body: CardReadBody & { photo?: boolean } }>(
    '/cards/read',
    {
      schema: {
        tags: ['cards'],
        summary: 'Read and authenticate the chip ID card on the reader (PACE/BAC, PA, CA, AA)',
        querystring: NO_QUERY,
        response: responses({
          200: openObject(
            'the check: genuine, valid, usable, validity, holder (DG1, DG13), access, PA and chip verdicts with messages (vi, en), data groups, timings; `photo` on request',
            {
              genuine: { type: 'boolean' },
              valid: { type: ['boolean', 'null'] },
              usable: { type: 'boolean' },
            },
          ),
        }),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ...CARD_READ_PROPERTIES, photo: { type: 'boolean' } },
          oneOf: CARD_KEY_ONE_OF,
        },
      },
    },
    async (request, reply) => {
      const lease = leaseForRequest(options.leases, request, reply, [reader.id], 'cards.read');
      if (lease === undefined) return reply;
      try {
        const outcome = await readPlaced(request.body);
        if (!outcome.ok) return reply.code(outcome.status).send(outcome.payload);
        const { report } = outcome;
        return {
          ...cardAnswer(outcome),
          ...(request.body.photo && report.portrait
            ? {
                photo: {
                  format: report.portrait.format,
                  base64: Buffer.from(report.portrait.image).toString('base64'),
                },
              }
            : {}),
        };
      } finally {
        lease.release();
      }
    },
  );

  const { verifier } = options;
  if (verifier === undefined) return;
  app.post<{
    Body: CardReadBody & { scanner?: string; finger?: number; fmr?: number; fingerWaitMs?: number };
  }>(
    '/cards/verify-fingerprint',
    {
      schema: {
        tags: ['cards'],
        summary: "Compare a live finger with the chip's (DG3, after Terminal Authentication)",
        querystring: NO_QUERY,
        response: responses({
          200: openObject(
            'the decision (match, no-match, cannot-compare), score, FMR and threshold, the finger, whether DG3 passed PA, the card verdicts and timings',
            { finger: { type: 'integer' }, decision: { type: 'string' } },
          ),
        }),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...CARD_READ_PROPERTIES,
            scanner: { type: 'string', minLength: 1, maxLength: 100 },
            finger: { type: 'integer', minimum: 1, maximum: 10 },
            fmr: { type: 'number', exclusiveMinimum: 0, maximum: 0.01 },
            fingerWaitMs: { type: 'integer', minimum: 1000, maximum: 60000 },
          },
          oneOf: CARD_KEY_ONE_OF,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const started = performance.now();
      const scanner = verifier.scanner(body.scanner);
      if (scanner === undefined)
        return reply.code(404).send({
          error: {
            code: 'SCANNER_NOT_FOUND',
            message:
              body.scanner === undefined
                ? 'The station has no fingerprint scanner'
                : `No fingerprint scanner '${body.scanner}'`,
          },
        });
      const lease = leaseForRequest(
        options.leases,
        request,
        reply,
        [reader.id, scanner.id],
        'cards.verify-fingerprint',
      );
      if (lease === undefined) return reply;
      try {
        const outcome = await readPlaced(body);
        if (!outcome.ok) return reply.code(outcome.status).send(outcome.payload);
        const readMs = performance.now() - started;
        const card = cardAnswer(outcome);
        const dg3 = outcome.report.dg3;
        if (dg3.status !== 'read')
          return reply.code(422).send({
            error: {
              code: 'FINGERPRINTS_UNAVAILABLE',
              message: `The chip's fingerprints could not be read (${dg3.reason}): ${dg3.detail}`,
              officer: outcome.check.fingerprints.message,
            },
            card,
          });
        const usable = dg3.fingers.filter((f) => f.pixels !== undefined);
        const chipFinger =
          body.finger === undefined ? usable[0] : usable.find((f) => f.position === body.finger);
        if (chipFinger?.pixels === undefined)
          return reply.code(422).send({
            error: {
              code: 'FINGER_NOT_ON_CHIP',
              message:
                body.finger === undefined
                  ? 'No fingerprint on the chip decoded'
                  : `The chip holds no decodable finger ${body.finger}; it holds ${dg3.fingers.map((f) => f.position).join(', ')}`,
            },
            card,
          });
        const captureStarted = performance.now();
        const abort = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableEnded) abort.abort();
        };
        reply.raw.once('close', onClose);
        let live: CapturedImage | undefined;
        try {
          for await (const event of scanner.capture({
            mode: 'flat-single',
            timeoutMs: body.fingerWaitMs ?? DEFAULT_FINGER_WAIT_MS,
            signal: AbortSignal.any([abort.signal, lease.signal]),
          }))
            if (event.type === 'result') live = event.image;
        } catch (error) {
          if (!(error instanceof DriverError)) throw error;
          return reply.code(STATUS_OF_CODE[error.code] ?? 502).send({
            error: { code: error.code, message: `The fingerprint scanner: ${error.message}` },
            card,
          });
        } finally {
          reply.raw.off('close', onClose);
        }
        if (live === undefined) throw new Error(`scanner ${scanner.id} ended a capture without an image`);
        const captureMs = performance.now() - captureStarted;
        const compareStarted = performance.now();
        const result = await verifier.compare(
          { width: live.width, height: live.height, pixels: live.pixels, ppi: live.ppi },
          {
            width: chipFinger.width,
            height: chipFinger.height,
            pixels: chipFinger.pixels,
            ppi: chipFinger.ppi,
          },
          body.fmr,
        );
        return {
          finger: chipFinger.position,
          ...result,
          // The prints are the issuer's only when DG3's hash matched EF.SOD (Passive Authentication).
          chipFingerprintsVerified: outcome.check.fingerprints.verified,
          card: {
            genuine: card.genuine,
            valid: card.valid,
            usable: card.usable,
            summary: card.summary,
            holder: card.holder,
            terminalAuthentication: card.terminalAuthentication,
          },
          timings: {
            cardMs: Math.round(readMs),
            captureMs: Math.round(captureMs),
            compareMs: Math.round(performance.now() - compareStarted),
            totalMs: Math.round(performance.now() - started),
          },
        };
      } finally {
        lease.release();
      }
    },
  );
};
