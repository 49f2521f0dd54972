/**
 * The verification workflow's device ports over the station's own parts: the chip read on the card
 * reader (PACE/BAC, PA, CA, AA, with EAC credentials TA and DG3), central's card status, the live
 * face against the chip portrait through the face engine, and the live finger against DG3 in the
 * hot path. The notary's routes (station/plugins/verification.ts) and the e-ID level-2 registration
 * (station/workflows/eid) both use them, so a card is read and a face compared the same way in both.
 */
import { CameraDevice } from '../../../drivers/camera/camera.ts';
import type { Device } from '../../../drivers/device.ts';
import { DeviceTimeoutError, DriverError } from '../../../drivers/errors.ts';
import type { CapturedImage } from '../../../drivers/fingerprint/scanner.ts';
import type { CardReaderDevice } from '../../../drivers/smartcard/card-reader.ts';
import type { FaceDescriptor } from '../../../protocol/face/types.ts';
import { CardError } from '../../../protocol/icao9303/errors.ts';
import type { TrustStore } from '../../../protocol/icao9303/pa.ts';
import type { TerminalCredentials } from '../../../protocol/icao9303/terminal-auth.ts';
import { accessKey, type CardKey, cardKeyFromQr, defaultCan } from '../../cards/read-card.ts';
import { compareFingers, scannerFinder } from '../../cards/verify-finger.ts';
import type { Clock } from '../../clock.ts';
import { singleFace } from '../../faces/engine.ts';
import type { Hotpath } from '../../hotpath/hotpath.ts';
import { decodeAnyPortrait } from '../../imaging/jpeg2000.ts';
import type { LazyFaceEngine } from '../../portrait/engine-provider.ts';
import { readForVerification } from './read.ts';
import { VerificationError } from './session.ts';
import type {
  CardKeyInput,
  CardStatusOutcome,
  FaceOutcome,
  FingerOutcome,
  VerificationPorts,
} from './workflow.ts';

/** What the ports are made of. */
export interface StationVerificationDeps {
  readonly clock: Clock;
  readonly devices: readonly Device[];
  readonly reader: CardReaderDevice;
  readonly trustStore: TrustStore | undefined;
  readonly terminal?: (() => Promise<TerminalCredentials | undefined>) | undefined;
  readonly faces?: LazyFaceEngine | undefined;
  readonly hotpath?: Hotpath | undefined;
  /** GET `/v1/population/cards/{n}/status` at central through the station's mutual TLS. */
  readonly centralGet?: ((path: string) => Promise<{ status: number; body: Uint8Array }>) | undefined;
}

export type StationVerificationPorts = Pick<
  VerificationPorts,
  'readCard' | 'cardStatus' | 'preparePortrait' | 'compareFace' | 'compareFinger'
>;

/** How long a card read waits for a card to be placed by default, ms. */
export const DEFAULT_WAIT_MS = 3000;

/** HTTP status of the card's failure codes (as POST /cards/read answers them). */
export const CARD_STATUS: Readonly<Record<string, number>> = {
  CARD_ACCESS_DENIED: 422,
  CARD_AUTHENTICATION_FAILED: 422,
  CARD_NOT_EMRTD: 422,
  CARD_REMOVED: 409,
  DEVICE_BUSY: 409,
  DEVICE_CANCELED: 499,
  DEVICE_TIMEOUT: 504,
  DEVICE_DISCONNECTED: 503,
  DEVICE_UNAVAILABLE: 503,
};

export const CARD_OFFICER: Readonly<Record<string, { vi: string; en: string }>> = {
  CARD_ACCESS_DENIED: {
    vi: 'Thẻ không chấp nhận mã truy cập: kiểm tra lại số định danh, ngày sinh, ngày hết hạn hoặc CAN in trên thẻ.',
    en: 'The card refused the access key: check the ID number, dates or CAN printed on the card.',
  },
  CARD_REMOVED: {
    vi: 'Thẻ không còn trên đầu đọc: đặt thẻ lên, giữ yên và đọc lại.',
    en: 'The card is not on the reader: place it, hold it still and read again.',
  },
};

/** The ports of the verification workflow over the station's reader, face engine, hot path and central. */
export function stationVerificationPorts(deps: StationVerificationDeps): StationVerificationPorts {
  const { reader, trustStore, terminal, clock, faces, hotpath, devices } = deps;
  const options = deps;
  type Analysis =
    | { readonly ok: true; readonly descriptor: FaceDescriptor }
    | { readonly ok: false; readonly outcome: FaceOutcome };
  /** The chip portrait's analysis, started when the card is read; keyed by the portrait's bytes. */
  const chipFaces = new WeakMap<Uint8Array, Promise<Analysis>>();
  const side = (which: 'live' | 'chip') => (which === 'live' ? 'chụp trực tiếp' : 'trên chip');
  /** Decodes an image and finds its one face. Rejects only on face-engine faults. */
  const analyzeImage = async (bytes: Uint8Array, which: 'live' | 'chip'): Promise<Analysis> => {
    if (faces === undefined) throw new Error('no face engine');
    const decoded = await decodeAnyPortrait(bytes);
    if (!decoded.ok)
      return {
        ok: false,
        outcome: {
          compared: false,
          reason: `${which}-image-unreadable`,
          message: {
            vi: `Ảnh ${side(which)} không đọc được: ${decoded.error.message}`,
            en: `The ${which} image does not decode: ${decoded.error.message}`,
          },
        },
      };
    const engine = await faces.get();
    const found = singleFace(await engine.analyze(decoded.value, { detector: 'ssd', fallback: 'tiny' }));
    if (found.status === 'one-face') return { ok: true, descriptor: found.face.descriptor };
    return {
      ok: false,
      outcome: {
        compared: false,
        reason: `${which}-${found.status}`,
        message:
          found.status === 'no-face'
            ? {
                vi: `Không thấy khuôn mặt trong ảnh ${side(which)}: chụp lại.`,
                en: `No face in the ${which} image: capture again.`,
              }
            : {
                vi: `Ảnh ${side(which)} có nhiều khuôn mặt: chỉ một người trước máy ảnh.`,
                en: `The ${which} image holds several faces: one person in front of the camera.`,
              },
      },
    };
  };

  return {
    readCard: async (key, { reader: name, waitMs = DEFAULT_WAIT_MS, signal }) => {
      let session: Awaited<ReturnType<CardReaderDevice['connect']>> | undefined;
      try {
        let placed: { name: string };
        try {
          placed = await reader.waitForCard({
            ...(name === undefined ? {} : { reader: name }),
            ...(signal === undefined ? {} : { signal }),
            timeoutMs: waitMs,
          });
        } catch (error) {
          if (!(error instanceof DeviceTimeoutError)) throw error;
          throw new VerificationError('CARD_ABSENT', 409, {
            vi: `Không có thẻ trên đầu đọc sau ${waitMs} ms: đặt thẻ lên đầu đọc rồi đọc lại.`,
            en: `No card was placed within ${waitMs} ms: put the card on the reader and read again.`,
          });
        }
        session = await reader.connect(placed.name);
        const credentials = await terminal?.();
        return await readForVerification(session, {
          mrzInformation: key.mrzInformation,
          can: key.can,
          trustStore,
          terminal: credentials,
          now: () => clock.now(),
        });
      } catch (error) {
        if (error instanceof CardError || error instanceof DriverError)
          throw new VerificationError(
            error.code,
            CARD_STATUS[error.code] ?? 502,
            CARD_OFFICER[error.code] ?? {
              vi: `Lỗi đọc thẻ (${error.code}): đọc lại thẻ.`,
              en: error.message,
            },
            {},
            { cause: error },
          );
        throw error;
      } finally {
        await session?.close();
      }
    },
    cardStatus:
      options.centralGet === undefined
        ? undefined
        : async (cardNumber): Promise<CardStatusOutcome> => {
            const get = options.centralGet;
            if (get === undefined) return { kind: 'offline', detail: 'no central link' };
            let answer: { status: number; body: Uint8Array };
            try {
              answer = await get(`/v1/population/cards/${encodeURIComponent(cardNumber)}/status`);
            } catch (error) {
              return { kind: 'offline', detail: error instanceof Error ? error.message : String(error) };
            }
            let body: Record<string, unknown> = {};
            try {
              body = JSON.parse(Buffer.from(answer.body).toString('utf8')) as Record<string, unknown>;
            } catch {
              body = {};
            }
            if (answer.status === 200 && typeof body.status === 'string') {
              const status = body.status;
              if (
                status === 'valid' ||
                status === 'reported-lost' ||
                status === 'replaced' ||
                status === 'revoked'
              )
                return {
                  kind: 'answer',
                  status,
                  since: typeof body.since === 'string' ? body.since : null,
                  asOf: typeof body.asOf === 'string' ? body.asOf : null,
                };
            }
            if (answer.status === 404 && body.code === 'CENTRAL_UNKNOWN_CARD') {
              const m = body.message as { vi?: unknown; en?: unknown } | undefined;
              return {
                kind: 'unknown-card',
                message: {
                  vi: typeof m?.vi === 'string' ? m.vi : `Trung tâm không có thẻ số ${cardNumber}.`,
                  en: typeof m?.en === 'string' ? m.en : `Central has no card number ${cardNumber}.`,
                },
              };
            }
            if (answer.status >= 500) return { kind: 'offline', detail: `central answered ${answer.status}` };
            return {
              kind: 'refused',
              code: typeof body.code === 'string' ? body.code : `HTTP_${answer.status}`,
              detail: `central answered ${answer.status}`,
            };
          },
    preparePortrait:
      faces === undefined
        ? undefined
        : (portrait) => {
            if (chipFaces.has(portrait)) return;
            const analysis = analyzeImage(portrait, 'chip');
            analysis.catch(() => chipFaces.delete(portrait));
            chipFaces.set(portrait, analysis);
          },
    compareFace:
      faces === undefined
        ? undefined
        : async (live, chip): Promise<FaceOutcome> => {
            let liveBytes: Uint8Array;
            if ('camera' in live) {
              const camera = devices.find((d) => d.id === live.camera);
              const frame = camera instanceof CameraDevice ? camera.latestFrame() : undefined;
              if (frame === undefined)
                return {
                  compared: false,
                  reason: 'no-camera-frame',
                  message: {
                    vi: `Máy ảnh ${live.camera} chưa có hình: kiểm tra máy ảnh rồi chụp lại.`,
                    en: `Camera ${live.camera} has no frame: check the camera and capture again.`,
                  },
                };
              liveBytes = frame.jpeg;
            } else liveBytes = live.image;
            // The chip's portrait was analysed when the card was read (preparePortrait), unless that failed.
            const [a, b] = await Promise.all([
              analyzeImage(liveBytes, 'live'),
              chipFaces.get(chip)?.catch(() => analyzeImage(chip, 'chip')) ?? analyzeImage(chip, 'chip'),
            ]);
            if (!a.ok) return a.outcome;
            if (!b.ok) return b.outcome;
            const comparison = (await faces.get()).compare(a.descriptor, b.descriptor);
            return {
              compared: true,
              decision: comparison.decision,
              distance: comparison.distance,
              threshold: comparison.threshold,
              engine: comparison.engine,
              engineVersion: comparison.engineVersion,
            };
          },
    compareFinger:
      hotpath === undefined
        ? undefined
        : async (read, { scanner: id, finger }): Promise<FingerOutcome> => {
            const scanner = scannerFinder(devices)(id);
            if (scanner === undefined || read.dg3.status !== 'read')
              return {
                compared: false,
                reason: 'no-scanner',
                message: {
                  vi: 'Trạm không có máy quét vân tay.',
                  en: 'The station has no fingerprint scanner.',
                },
              };
            const usable = read.dg3.fingers.filter((f) => f.pixels !== undefined);
            const chip = finger === undefined ? usable[0] : usable.find((f) => f.position === finger);
            if (chip?.pixels === undefined)
              return {
                compared: false,
                reason: 'finger-not-on-chip',
                message: {
                  vi: 'Chip không có vân tay ngón này để đối chiếu.',
                  en: 'The chip holds no decodable print of this finger.',
                },
              };
            let live: CapturedImage | undefined;
            try {
              for await (const event of scanner.capture({ mode: 'flat-single', timeoutMs: 15_000 }))
                if (event.type === 'result') live = event.image;
            } catch (error) {
              if (!(error instanceof DriverError)) throw error;
              return {
                compared: false,
                reason: error.code,
                message: {
                  vi: `Máy quét vân tay lỗi: ${error.message}`,
                  en: `The scanner failed: ${error.message}`,
                },
              };
            }
            if (live === undefined) throw new Error(`scanner ${scanner.id} ended a capture without an image`);
            const result = await compareFingers(
              hotpath,
              { width: live.width, height: live.height, pixels: live.pixels, ppi: live.ppi },
              { width: chip.width, height: chip.height, pixels: chip.pixels, ppi: chip.ppi },
              undefined,
            );
            return {
              compared: true,
              decision: result.decision,
              score: 'score' in result ? result.score : 0,
              finger: chip.position,
              chipFingerprintsVerified: read.fingerprints.verified,
            };
          },
  };
}

/** The chip key's fields as the verification and e-ID routes take them (JSON Schema). */
export const CARD_KEY_PROPERTIES = {
  id12: { type: 'string', pattern: '^[0-9]{12}$' },
  documentNumber: { type: 'string', pattern: '^[0-9A-Z<]{1,22}$' },
  qr: { type: 'string', minLength: 1, maxLength: 1000 },
  can: { type: 'string', pattern: '^[0-9]{6}$' },
  dateOfBirth: { type: 'string', pattern: '^[0-9]{6}$' },
  dateOfExpiry: { type: 'string', pattern: '^[0-9]{6}$' },
} as const;

/** One way of giving the key: the printed numbers, the QR (expiry optional), or the CAN alone. */
export const CARD_KEY_ONE_OF = [
  { required: ['id12', 'dateOfBirth', 'dateOfExpiry'] },
  { required: ['documentNumber', 'dateOfBirth', 'dateOfExpiry'] },
  { required: ['qr'], not: { anyOf: [{ required: ['dateOfBirth'] }] } },
  {
    required: ['can'],
    not: {
      anyOf: [{ required: ['id12'] }, { required: ['documentNumber'] }, { required: ['qr'] }],
    },
  },
] as const;

export interface CardKeyBody {
  readonly id12?: string;
  readonly documentNumber?: string;
  readonly qr?: string;
  readonly can?: string;
  readonly dateOfBirth?: string;
  readonly dateOfExpiry?: string;
}

/**
 * The chip's access key from what the officer gave (validated by CARD_KEY_PROPERTIES and
 * CARD_KEY_ONE_OF), or the HTTP refusal: 422 for a QR that gives no key, 400 for printed numbers
 * whose check digits cannot be formed. `today` is the station's calendar day, yyyy-mm-dd.
 */
export function cardKeyInputOf(
  body: CardKeyBody,
  today: string,
):
  | { readonly ok: true; readonly input: CardKeyInput }
  | {
      readonly ok: false;
      readonly status: number;
      readonly error: {
        readonly code: string;
        readonly message: string;
        readonly officer: { vi: string; en: string };
      };
    } {
  if (body.qr !== undefined) {
    const fromQr = cardKeyFromQr(body.qr, {
      today,
      ...(body.dateOfExpiry === undefined ? {} : { dateOfExpiry: body.dateOfExpiry }),
    });
    if (!fromQr.ok)
      return {
        ok: false,
        status: 422,
        error: { code: fromQr.code, message: fromQr.message.en, officer: fromQr.message },
      };
    const mrz = accessKey(fromQr.key);
    if (!mrz.ok)
      return {
        ok: false,
        status: 422,
        error: {
          code: 'QR_INVALID',
          message: mrz.error.detail,
          officer: { vi: 'Mã QR không cho khóa chip hợp lệ.', en: mrz.error.detail },
        },
      };
    return {
      ok: true,
      input: {
        mrzInformation: mrz.value,
        can: body.can ?? defaultCan(fromQr.key),
        key: fromQr.key,
        from: 'qr',
      },
    };
  }
  if (body.id12 !== undefined || body.documentNumber !== undefined) {
    const key: CardKey =
      body.id12 !== undefined
        ? { id12: body.id12, dateOfBirth: body.dateOfBirth ?? '', dateOfExpiry: body.dateOfExpiry ?? '' }
        : {
            documentNumber: body.documentNumber ?? '',
            dateOfBirth: body.dateOfBirth ?? '',
            dateOfExpiry: body.dateOfExpiry ?? '',
          };
    const mrz = accessKey(key);
    if (!mrz.ok)
      return {
        ok: false,
        status: 400,
        error: {
          code: 'REQUEST_INVALID',
          message: `${mrz.error.field}: ${mrz.error.detail}`,
          officer: {
            vi: `Số in trên thẻ không hợp lệ (${mrz.error.field}): kiểm tra lại.`,
            en: `A printed number is not valid (${mrz.error.field}): check it.`,
          },
        },
      };
    return {
      ok: true,
      input: { mrzInformation: mrz.value, can: body.can ?? defaultCan(key), key, from: 'numbers' },
    };
  }
  return { ok: true, input: { mrzInformation: undefined, can: body.can, key: undefined, from: 'can' } };
}
