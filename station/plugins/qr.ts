/**
 * The CCCD's QR code over HTTP: from a 2D barcode scanner (hotels, hospitals) and from a photo or
 * camera frame of the card's front, each turned into the chip's access key.
 *
 *   POST /devices/:id/scan   { timeoutMs?, dateOfExpiry? }  waits for the next code the barcode
 *                            scanner reads (a client that hangs up stops the wait)
 *   POST /qr/decode          body: the image (image/jpeg or image/png, at most 16 MiB); query
 *                            ?dateOfExpiry=YYMMDD optional. Decoded through the sharp adapter, the
 *                            code found by jsQR in a worker thread (station/qr/pool.ts)
 *
 * Both answer a CardQrAnswer (200) whether or not a key came out: `ok` says whether one did, and
 * when not, `code` says why (QR_NO_CODE, QR_UNREADABLE: nothing readable in the image;
 * QR_INVALID: a code that is not a CCCD's; EXPIRY_UNKNOWN: the officer must type the expiry) with
 * `message` { vi, en } for the officer. An image that cannot be read at all, a scanner that is not
 * there or never scans, and a decoder in trouble are errors `{ error: { code, message, officer? } }`
 * with the HTTP status of their stable code.
 *
 * The QR decoder's worker starts with the first image, not with the station, and is closed with it.
 * QR text (a citizen's name, ID and address) is never logged.
 */

import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { BarcodeScanner } from '../../drivers/barcode/scanner.ts';
import type { Device } from '../../drivers/device.ts';
import { DriverError } from '../../drivers/errors.ts';
import type { CardExpiry } from '../../protocol/cccd/expiry.ts';
import type { CccdQr } from '../../protocol/cccd/qr.ts';
import { type DocumentValidity, validityOfDerivedExpiry } from '../../protocol/cccd/validity.ts';
import { idParams, MESSAGES_SCHEMA, NO_QUERY, openObjectOrNull, responses } from '../api-schema.ts';
import type { QrKeyResult } from '../cards/read-card.ts';
import { type Clock, localToday } from '../clock.ts';
import { type DeviceLeases, leaseForRequest } from '../devices/leases.ts';
import { DEFAULT_IMAGE_LIMITS, decodeRgb, type ImageErrorCode } from '../imaging/sharp-images.ts';
import { MAX_FRAME_SIDE, type QrCorners, type QrDecodeResult } from '../qr/decode.ts';
import { QrDecoderError, type QrDecoderErrorCode } from '../qr/errors.ts';
import { QrDecoder } from '../qr/pool.ts';
import { readCardQr } from '../qr/read-card-qr.ts';

/** Largest image POST /qr/decode takes, bytes: a phone photo of a card, with room to spare. */
export const MAX_QR_IMAGE_BYTES = 16 * 1024 * 1024;
/** Longest wait for a scan, ms. */
export const MAX_SCAN_TIMEOUT_MS = 120_000;
/** Wait for a scan when the request names none, ms. */
export const DEFAULT_SCAN_TIMEOUT_MS = 30_000;

export interface QrRoutesOptions {
  readonly devices: readonly Device[];
  readonly clock: Clock;
  /** Makes the station's one QR decoder, on first use (default: one worker, four frames queued). */
  readonly makeDecoder?: () => QrDecoder;
  /** The station's device leases: a scan holds its barcode scanner (409 DEVICE_IN_USE for another session). */
  readonly leases?: DeviceLeases;
}

type Message = { readonly vi: string; readonly en: string };

/** Why no key came out of an image or a scan. */
export type CardQrCode = 'QR_NO_CODE' | 'QR_UNREADABLE' | 'QR_INVALID' | 'EXPIRY_UNKNOWN';

/** The QR text parsed, as `station qr parse` shows it. */
export interface QrView {
  readonly ok: boolean;
  readonly layout: CccdQr['layout'];
  readonly fields: Omit<CccdQr, 'ok' | 'layout' | 'parts' | 'errors' | 'personalId'>;
  readonly errors: CccdQr['errors'];
  readonly personalId: NonNullable<CccdQr['personalId']> | null;
}

/** The answer to a scan or a decoded image (and `station qr scan`'s output). */
export interface CardQrAnswer {
  /** A chip access key came out. */
  readonly ok: boolean;
  /** Why not, when `ok` is false. */
  readonly code?: CardQrCode;
  /** What the officer reads when `ok` is false. */
  readonly message?: Message;
  /** The station's date the QR was checked against, yyyy-mm-dd. */
  readonly today: string;
  /** The code's text (UTF-8), null when no code was read. */
  readonly text: string | null;
  readonly qr: QrView | null;
  /** The chip's access key (BAC/PACE-MRZ): the 12-digit ID and YYMMDD dates. */
  readonly key: { readonly id12: string; readonly dateOfBirth: string; readonly dateOfExpiry: string } | null;
  /** The expiry in `key` was typed by the officer or derived from the renewal ages. */
  readonly expiryFrom: 'given' | 'derived' | null;
  /** The expiry the law gives this card, when derived. */
  readonly expiry: CardExpiry | null;
  /** That expiry against `today`. */
  readonly validity: DocumentValidity | null;
}

const NO_CODE: Message = {
  vi: 'Không thấy mã QR trong ảnh: đưa mặt trước của thẻ (có mã QR) vào giữa khung hình và giữ yên.',
  en: 'No QR code in the picture: hold the front of the card (with the QR code) in the middle of the frame and keep it still.',
};
const UNREADABLE: Message = {
  vi: 'Thấy mã QR nhưng không đọc được: tránh để ánh đèn chói trên thẻ, đưa thẻ lại gần hơn và giữ yên.',
  en: 'A QR code is there but cannot be read: keep glare off the card, bring it a little closer and hold it still.',
};

function viewOf(qr: CccdQr): QrView {
  const { ok, layout, parts: _parts, errors, personalId, ...fields } = qr;
  return { ok, layout, fields, errors, personalId: personalId ?? null };
}

/** The answer for a code's text: parsed, checked, and the chip's key derived. Never throws. */
export function cardQrAnswer(
  text: string,
  options: { readonly today: string; readonly dateOfExpiry?: string },
): CardQrAnswer {
  const result: QrKeyResult = readCardQr(text, options);
  return {
    ok: result.ok,
    ...(result.ok ? {} : { code: result.code, message: result.message }),
    today: options.today,
    text,
    qr: viewOf(result.qr),
    key: result.ok ? result.key : null,
    expiryFrom: result.ok ? result.expiryFrom : null,
    expiry: result.expiry ?? null,
    validity: result.expiry === undefined ? null : validityOfDerivedExpiry(result.expiry, options.today),
  };
}

/** Where the code was found in the image, and how long finding it took. */
export interface QrSymbolView {
  readonly symbol: {
    readonly corners: QrCorners;
    readonly version: number;
    readonly pass: Extract<QrDecodeResult, { ok: true }>['pass'];
  } | null;
  /** Time in the decoder, ms. */
  readonly decodeMs: number;
}

/** The answer for one decoded frame (`station qr scan --in` prints the same). */
export function frameAnswer(
  decoded: QrDecodeResult,
  options: { readonly today: string; readonly dateOfExpiry?: string },
): CardQrAnswer & QrSymbolView {
  const decodeMs = Math.round(decoded.timeMs * 10) / 10;
  if (!decoded.ok) {
    const code: CardQrCode = decoded.reason === 'no-code' ? 'QR_NO_CODE' : 'QR_UNREADABLE';
    return {
      ok: false,
      code,
      message: code === 'QR_NO_CODE' ? NO_CODE : UNREADABLE,
      today: options.today,
      text: null,
      qr: null,
      key: null,
      expiryFrom: null,
      expiry: null,
      validity: null,
      symbol: null,
      decodeMs,
    };
  }
  return {
    ...cardQrAnswer(decoded.text, options),
    symbol: { corners: decoded.corners, version: decoded.version, pass: decoded.pass },
    decodeMs,
  };
}

const STATUS_OF_IMAGE_ERROR: Readonly<Record<ImageErrorCode, number>> = {
  IMAGE_DECODE_FAILED: 422,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_TOO_LARGE: 413,
  IMAGE_ENCODE_FAILED: 500,
};

const STATUS_OF_DECODER_ERROR: Readonly<Record<QrDecoderErrorCode, number>> = {
  QR_QUEUE_FULL: 503,
  QR_CANCELED: 499,
  QR_CLOSED: 503,
  QR_TIMEOUT: 504,
  QR_WORKER_CRASHED: 500,
};

const STATUS_OF_DRIVER_ERROR: Readonly<Record<string, number>> = {
  DEVICE_CANCELED: 499,
  DEVICE_TIMEOUT: 504,
  DEVICE_DISCONNECTED: 503,
  DEVICE_UNAVAILABLE: 503,
  DEVICE_NOT_FOUND: 503,
  DEVICE_PERMISSION_DENIED: 503,
};

/** What the officer reads for the scanner failures they can act on. */
const OFFICER: Readonly<Record<string, Message>> = {
  DEVICE_TIMEOUT: {
    vi: 'Chưa quét được mã nào: đưa mã QR trên mặt trước của thẻ vào trước đầu quét rồi thử lại.',
    en: 'Nothing was scanned: hold the QR code on the front of the card in front of the scanner and try again.',
  },
  DEVICE_DISCONNECTED: {
    vi: 'Đầu quét mã chưa được kết nối: cắm lại cáp USB của đầu quét.',
    en: 'The barcode scanner is not connected: plug its USB cable back in.',
  },
  DEVICE_PERMISSION_DENIED: {
    vi: 'Máy trạm không có quyền dùng đầu quét mã: báo cho bộ phận kỹ thuật.',
    en: 'The station may not use the barcode scanner: call technical support.',
  },
};

const YYMMDD = { type: 'string', pattern: '^[0-9]{6}$' } as const;

const scanBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_SCAN_TIMEOUT_MS,
      default: DEFAULT_SCAN_TIMEOUT_MS,
    },
    dateOfExpiry: YYMMDD,
  },
} as const;

const decodeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { dateOfExpiry: YYMMDD },
} as const;

/** A CCCD QR's answer (scanned or decoded): `ok`, and when not, a stable code and both languages. */
const QR_ANSWER = {
  type: 'object',
  additionalProperties: true,
  required: ['ok', 'today'],
  properties: {
    ok: { type: 'boolean' },
    code: { type: 'string', description: 'why the code is not usable (QR_NO_CODE, QR_UNREADABLE, ...)' },
    message: MESSAGES_SCHEMA,
    today: { type: 'string' },
    text: { type: ['string', 'null'] },
    qr: openObjectOrNull("the QR's fields, or null"),
    key: openObjectOrNull("the chip's access key (id12, dateOfBirth, dateOfExpiry), or null"),
    expiryFrom: { type: ['string', 'null'] },
    expiry: openObjectOrNull('the expiry derived from the birth date, or null'),
    validity: openObjectOrNull("the derived expiry's validity on the station's day, or null"),
  },
} as const;

/** An AbortSignal that fires when the client hangs up before the answer is written. */
function hangUpSignal(reply: FastifyReply): { signal: AbortSignal; done(): void } {
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableEnded) abort.abort(new Error('the client hung up'));
  };
  reply.raw.once('close', onClose);
  return { signal: abort.signal, done: () => reply.raw.off('close', onClose) };
}

export const qrRoutes: FastifyPluginAsync<QrRoutesOptions> = async (app, options) => {
  const { devices, clock } = options;
  const byId = new Map(devices.map((d) => [d.id, d]));
  const makeDecoder = options.makeDecoder ?? (() => new QrDecoder({ size: 1, maxQueued: 4 }));
  let decoder: QrDecoder | undefined;
  app.addHook('onClose', async () => {
    await decoder?.close();
  });

  // Only this plugin's routes take image bodies; everywhere else they stay refused (415).
  app.addContentTypeParser(
    ['image/jpeg', 'image/png'],
    { parseAs: 'buffer', bodyLimit: MAX_QR_IMAGE_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.post<{ Params: { id: string }; Body: { timeoutMs: number; dateOfExpiry?: string } }>(
    '/devices/:id/scan',
    {
      schema: {
        tags: ['qr'],
        summary: "Wait for a 2D barcode scanner's next code (a CCCD QR) and derive the chip's key",
        params: idParams({
          type: 'string',
          minLength: 1,
          maxLength: 100,
          description: 'a barcode scanner id',
        }),
        querystring: NO_QUERY,
        body: { ...scanBody, type: ['object', 'null'] },
        response: responses({
          200: {
            ...QR_ANSWER,
            properties: {
              ...QR_ANSWER.properties,
              device: { type: 'string' },
              receivedAt: { type: 'string' },
            },
          },
        }),
      },
      // No body at all is the defaults: `curl -XPOST .../devices/barcode/scan`.
      preValidation: async (request) => {
        // The schema's default fills timeoutMs in.
        if (request.body === undefined || request.body === null)
          request.body = {} as { timeoutMs: number; dateOfExpiry?: string };
      },
    },
    async (request, reply) => {
      const device = byId.get(request.params.id);
      if (!device)
        return reply.code(404).send({
          error: {
            code: 'DEVICE_NOT_FOUND',
            message: `No device '${request.params.id}'; devices: ${[...byId.keys()].join(', ') || 'none'}`,
          },
        });
      if (!(device instanceof BarcodeScanner))
        return reply.code(400).send({
          error: {
            code: 'NOT_A_BARCODE_SCANNER',
            message: `Device '${device.id}' (${device.family}) does not scan codes; use a device of family 'barcode'`,
          },
        });
      const { timeoutMs, dateOfExpiry } = request.body;
      const lease = leaseForRequest(options.leases, request, reply, [device.id], 'device.scan');
      if (lease === undefined) return reply;
      const hangUp = hangUpSignal(reply);
      try {
        const scan = await device.nextScan({
          timeoutMs,
          signal: AbortSignal.any([hangUp.signal, lease.signal]),
        });
        const answer = cardQrAnswer(scan.text, {
          today: localToday(clock.now()),
          ...(dateOfExpiry === undefined ? {} : { dateOfExpiry }),
        });
        request.log.info(
          { device: device.id, bytes: scan.bytes, ok: answer.ok, code: answer.code },
          'code scanned',
        );
        return { ...answer, device: device.id, receivedAt: new Date(scan.receivedAt).toISOString() };
      } catch (error) {
        if (!(error instanceof DriverError)) throw error;
        const officer = OFFICER[error.code];
        return reply.code(STATUS_OF_DRIVER_ERROR[error.code] ?? 502).send({
          error: { code: error.code, message: error.message, ...(officer === undefined ? {} : { officer }) },
        });
      } finally {
        hangUp.done();
        lease.release();
      }
    },
  );

  app.post<{ Querystring: { dateOfExpiry?: string } }>(
    '/qr/decode',
    {
      schema: {
        tags: ['qr'],
        summary: "Read a CCCD QR code from an image (the body: JPEG or PNG) and derive the chip's key",
        querystring: decodeQuery,
        body: {
          description: 'the image itself',
          content: {
            'image/jpeg': { schema: { description: 'the JPEG bytes' } },
            'image/png': { schema: { description: 'the PNG bytes' } },
          },
        },
        response: responses({
          200: {
            ...QR_ANSWER,
            properties: {
              ...QR_ANSWER.properties,
              symbol: openObjectOrNull('where the code was found (corners, version, pass), or null'),
              decodeMs: { type: 'number' },
            },
          },
        }),
      },
      bodyLimit: MAX_QR_IMAGE_BYTES,
    },
    async (request, reply) => {
      const body: unknown = request.body;
      if (!(body instanceof Uint8Array))
        return reply.code(415).send({
          error: {
            code: 'QR_IMAGE_EXPECTED',
            message: 'Send the image itself as the body, with content-type image/jpeg or image/png',
          },
        });
      const image = await decodeRgb(body, { ...DEFAULT_IMAGE_LIMITS, maxBytes: MAX_QR_IMAGE_BYTES });
      if (!image.ok) {
        const { code, message } = image.error;
        return reply.code(STATUS_OF_IMAGE_ERROR[code]).send({ error: { code, message } });
      }
      const frame = image.value;
      if (frame.width > MAX_FRAME_SIDE || frame.height > MAX_FRAME_SIDE)
        return reply.code(413).send({
          error: {
            code: 'IMAGE_TOO_LARGE',
            message: `the image is ${frame.width}x${frame.height} px; QR decoding takes at most ${MAX_FRAME_SIDE} px a side`,
          },
        });
      decoder ??= makeDecoder();
      const hangUp = hangUpSignal(reply);
      try {
        const decoded = await decoder.decode(frame, { signal: hangUp.signal });
        const { dateOfExpiry } = request.query;
        const answer = frameAnswer(decoded, {
          today: localToday(clock.now()),
          ...(dateOfExpiry === undefined ? {} : { dateOfExpiry }),
        });
        request.log.info(
          { width: frame.width, height: frame.height, ok: answer.ok, code: answer.code, ms: answer.decodeMs },
          'QR image decoded',
        );
        return answer;
      } catch (error) {
        if (!(error instanceof QrDecoderError)) throw error;
        const status = STATUS_OF_DECODER_ERROR[error.code];
        if (status >= 500) request.log.warn({ code: error.code, err: error }, 'QR decoding failed');
        if (error.code === 'QR_QUEUE_FULL') reply.header('retry-after', '1');
        return reply.code(status).send({ error: { code: error.code, message: error.message } });
      } finally {
        hangUp.done();
      }
    },
  );
};
