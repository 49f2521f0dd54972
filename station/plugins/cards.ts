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
 */
import type { FastifyPluginAsync } from 'fastify';
import { DeviceTimeoutError, DriverError } from '../../drivers/errors.ts';
import type { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import { CardError } from '../../protocol/icao9303/errors.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import { accessKey, type CardKey, cardKeyFromQr, defaultCan, readCard } from '../cards/read-card.ts';
import { type Clock, localToday } from '../clock.ts';

export interface CardRoutesOptions {
  readonly reader: CardReaderDevice;
  readonly trustStore: TrustStore | undefined;
  /** EAC terminal credentials for the next read; undefined: no TA, DG3 not read. */
  readonly terminal?: (() => Promise<TerminalCredentials | undefined>) | undefined;
  readonly clock: Clock;
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

const DATE = { type: 'string', pattern: '^[0-9]{6}$' } as const;

export const cardRoutes: FastifyPluginAsync<CardRoutesOptions> = async (app, options) => {
  const { reader, trustStore, terminal, clock } = options;
  app.post<{
    Body: {
      id12?: string;
      documentNumber?: string;
      qr?: string;
      can?: string;
      dateOfBirth?: string;
      dateOfExpiry?: string;
      reader?: string;
      photo?: boolean;
      waitMs?: number;
    };
  }>(
    '/cards/read',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            id12: { type: 'string', pattern: '^[0-9]{12}$' },
            documentNumber: { type: 'string', pattern: '^[0-9A-Z<]{1,22}$' },
            qr: { type: 'string', minLength: 1, maxLength: 1000 },
            can: { type: 'string', pattern: '^[0-9]{6}$' },
            dateOfBirth: DATE,
            dateOfExpiry: DATE,
            reader: { type: 'string', minLength: 1, maxLength: 200 },
            photo: { type: 'boolean' },
            waitMs: { type: 'integer', minimum: 0, maximum: 30000 },
          },
          oneOf: [
            { required: ['id12', 'dateOfBirth', 'dateOfExpiry'] },
            { required: ['documentNumber', 'dateOfBirth', 'dateOfExpiry'] },
            { required: ['qr'], not: { anyOf: [{ required: ['dateOfBirth'] }] } },
          ],
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      let key: CardKey;
      let fromQr: ReturnType<typeof cardKeyFromQr> | undefined;
      if (body.qr !== undefined) {
        fromQr = cardKeyFromQr(body.qr, {
          today: localToday(clock.now()),
          ...(body.dateOfExpiry === undefined ? {} : { dateOfExpiry: body.dateOfExpiry }),
        });
        if (!fromQr.ok)
          return reply.code(422).send({
            error: { code: fromQr.code, message: fromQr.message.en, officer: fromQr.message },
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
      if (!mrz.ok)
        return reply.code(400).send({
          error: { code: 'BAD_REQUEST', message: `${mrz.error.field}: ${mrz.error.detail}` },
        });
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
          return reply.code(409).send({
            error: {
              code: 'CARD_ABSENT',
              message: `No card was placed on ${body.reader ?? 'a reader'} within ${waitMs} ms`,
              officer: OFFICER.CARD_REMOVED,
            },
          });
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
        return {
          ...check,
          accessKeyMismatches: check.accessKeyMismatches ?? null,
          ...(fromQr?.ok
            ? {
                qr: {
                  errors: fromQr.qr.errors,
                  expiryFrom: fromQr.expiryFrom,
                  expiry: fromQr.expiry ?? null,
                },
              }
            : {}),
          ...(body.photo && report.portrait
            ? {
                photo: {
                  format: report.portrait.format,
                  base64: Buffer.from(report.portrait.image).toString('base64'),
                },
              }
            : {}),
        };
      } catch (error) {
        if (error instanceof CardError || error instanceof DriverError) {
          const status = STATUS_OF_CODE[error.code] ?? 502;
          const officer = OFFICER[error.code];
          return reply.code(status).send({
            error: {
              code: error.code,
              message: error.message,
              ...(officer === undefined ? {} : { officer }),
            },
          });
        }
        throw error;
      } finally {
        await session?.close();
      }
    },
  );
};
