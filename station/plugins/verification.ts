/**
 * The notary's verification workflow over HTTP (station/workflows/verification):
 *
 *   POST /verifications                       start a session → { sessionId, state, version, ... }
 *   GET  /verifications/:id                   the session (no biometrics)
 *   POST /verifications/:id/card-key          { version, id12|documentNumber + dateOfBirth + dateOfExpiry
 *                                               | qr [+ dateOfExpiry] | can alone; can? }
 *   POST /verifications/:id/card-read         { version, reader?, waitMs? }  PACE/BAC, PA, CA, AA (+TA, DG3)
 *   POST /verifications/:id/status            { version }  central's card status, or "not checked, offline"
 *   POST /verifications/:id/face              { version, image (base64) | camera (device id) | skip (reason) }
 *   POST /verifications/:id/finger            { version, skip?, scanner?, finger? }
 *   POST /verifications/:id/verdict           { version }
 *   POST /verifications/:id/report            { version }  signs the report (a signing grant is asked)
 *   GET  /verifications/:id/report.json | report.p7s | report.pdf
 *
 * Every step answers `{ sessionId, step, state, version, next, result, replayed }`; refusals are
 * `{ error: { code, message, officer: { vi, en }, ... } }` with a stable code (session.ts), a request
 * its schema refuses is 400 REQUEST_INVALID with each bad field.
 *
 * Officers and signing grants come from `officerOf` and `signingGrant` (station/auth once wired);
 * without them every request acts as an unauthenticated officer "anonymous" and a report's signing
 * method is "none".
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import type { Device } from '../../drivers/device.ts';
import { DeviceTimeoutError, DriverError } from '../../drivers/errors.ts';
import type { CapturedImage } from '../../drivers/fingerprint/scanner.ts';
import type { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import type { FaceDescriptor } from '../../protocol/face/types.ts';
import { CardError } from '../../protocol/icao9303/errors.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import { accessKey, type CardKey, cardKeyFromQr, defaultCan } from '../cards/read-card.ts';
import { compareFingers, scannerFinder } from '../cards/verify-finger.ts';
import { type Clock, localToday } from '../clock.ts';
import { RequestInvalidError } from '../errors.ts';
import { singleFace } from '../faces/engine.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import { decodeAnyPortrait } from '../imaging/jpeg2000.ts';
import type { LazyFaceEngine } from '../portrait/engine-provider.ts';
import { readForVerification } from '../workflows/verification/read.ts';
import { VerificationError } from '../workflows/verification/session.ts';
import {
  type CardKeyInput,
  type CardStatusOutcome,
  type FaceOutcome,
  type FingerOutcome,
  type Officer,
  type SigningGrant,
  type VerificationPorts,
  VerificationWorkflow,
} from '../workflows/verification/workflow.ts';

export interface VerificationRoutesOptions {
  readonly stationId: string;
  readonly environment: string;
  readonly clock: Clock;
  readonly devices: readonly Device[];
  readonly reader: CardReaderDevice;
  readonly trustStore: TrustStore | undefined;
  readonly terminal?: (() => Promise<TerminalCredentials | undefined>) | undefined;
  readonly faces?: LazyFaceEngine;
  readonly hotpath?: Hotpath;
  /** GET `/v1/population/cards/{n}/status` at central through the station's mutual TLS. */
  readonly centralGet?: (path: string) => Promise<{ status: number; body: Uint8Array }>;
  readonly signer?: () => Promise<PacketSigner>;
  /** Who is asking (station/auth's session). Default: an unauthenticated "anonymous". */
  readonly officerOf?: (request: FastifyRequest) => Officer;
  /** A one-use grant to sign (station/auth's reauthentication). Default: granted, method "none". */
  readonly signingGrant?: (
    request: FastifyRequest & { body?: unknown },
    sessionId: string,
  ) => Promise<SigningGrant>;
  /** The audit trail's anchor for the report (station/audit). */
  readonly auditAnchor?: VerificationPorts['auditAnchor'];
  /** Each step that ran, for the audit trail (no personal data in it). */
  readonly onStep?: VerificationPorts['onStep'];
  /** Runs before every route (station/auth's `requireSession('notary')`). */
  readonly preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const ANONYMOUS: Officer = { id: 'anonymous', roles: ['notary'], authenticated: false };
const DEFAULT_WAIT_MS = 3000;
const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

/** HTTP status of the card's failure codes (as POST /cards/read answers them). */
const CARD_STATUS: Readonly<Record<string, number>> = {
  CARD_ACCESS_DENIED: 422,
  CARD_AUTHENTICATION_FAILED: 422,
  CARD_NOT_EMRTD: 422,
  CARD_REMOVED: 409,
  DEVICE_BUSY: 409,
  DEVICE_TIMEOUT: 504,
  DEVICE_DISCONNECTED: 503,
  DEVICE_UNAVAILABLE: 503,
};

const CARD_OFFICER: Readonly<Record<string, { vi: string; en: string }>> = {
  CARD_ACCESS_DENIED: {
    vi: 'Thẻ không chấp nhận mã truy cập: kiểm tra lại số định danh, ngày sinh, ngày hết hạn hoặc CAN in trên thẻ.',
    en: 'The card refused the access key: check the ID number, dates or CAN printed on the card.',
  },
  CARD_REMOVED: {
    vi: 'Thẻ không còn trên đầu đọc: đặt thẻ lên, giữ yên và đọc lại.',
    en: 'The card is not on the reader: place it, hold it still and read again.',
  },
};

const ID = { type: 'string', pattern: '^[0-9a-f-]{36}$' } as const;
const VERSION = { type: 'integer', minimum: 0, maximum: 1000 } as const;
const DATE = { type: 'string', pattern: '^[0-9]{6}$' } as const;
const params = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: ID },
} as const;
const versionOnly = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: { version: VERSION },
} as const;

function send(reply: FastifyReply, error: unknown) {
  if (error instanceof VerificationError)
    return reply.code(error.statusCode).send({
      error: { code: error.code, message: error.message, officer: error.officer, ...error.details },
    });
  throw error;
}

/** A schema refusal with the officer's words (each field in English, the summary in both). */
function invalid(reply: FastifyReply, request: FastifyRequest) {
  const v = request.validationError as
    | (Error & { validation?: unknown[]; validationContext?: string })
    | undefined;
  const problems =
    v === undefined
      ? []
      : new RequestInvalidError(
          v.validationContext ?? 'body',
          (v.validation ?? []) as ConstructorParameters<typeof RequestInvalidError>[1],
        ).problems;
  const keys = problems.map((p) => p.key).join(', ');
  return reply.code(400).send({
    error: {
      code: 'REQUEST_INVALID',
      message: `Invalid request: ${problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`,
      officer: {
        vi: `Yêu cầu không hợp lệ ở: ${keys}. Kiểm tra lại các trường này.`,
        en: `Invalid request at: ${keys}. Check these fields.`,
      },
      problems,
    },
  });
}

export const verificationRoutes: FastifyPluginAsync<VerificationRoutesOptions> = async (app, options) => {
  const { reader, trustStore, terminal, clock, faces, hotpath, devices } = options;
  const officerOf = options.officerOf ?? (() => ANONYMOUS);
  const grantOf = options.signingGrant ?? (async () => ({ ok: true as const, method: 'none' }));
  if (options.preHandler) app.addHook('preHandler', options.preHandler);

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

  const workflow = new VerificationWorkflow({
    stationId: options.stationId,
    environment: options.environment,
    clock,
    readCard: async (key, { reader: name, waitMs = DEFAULT_WAIT_MS }) => {
      let session: Awaited<ReturnType<CardReaderDevice['connect']>> | undefined;
      try {
        let placed: { name: string };
        try {
          placed = await reader.waitForCard({
            ...(name === undefined ? {} : { reader: name }),
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
    signer: options.signer,
    auditAnchor: options.auditAnchor,
    onStep: options.onStep,
  });
  app.addHook('onClose', async () => workflow.close());

  type WithId = { Params: { id: string } };
  const version = (request: FastifyRequest) => (request.body as { version: number }).version;

  app.post('/verifications', async (request, reply) => {
    try {
      return reply.code(201).send(workflow.create(officerOf(request)));
    } catch (error) {
      return send(reply, error);
    }
  });

  app.get<WithId>(
    '/verifications/:id',
    { schema: { params }, attachValidation: true },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      try {
        return workflow.view(request.params.id, officerOf(request));
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  interface KeyBody {
    version: number;
    id12?: string;
    documentNumber?: string;
    qr?: string;
    can?: string;
    dateOfBirth?: string;
    dateOfExpiry?: string;
  }
  app.post<WithId & { Body: KeyBody }>(
    '/verifications/:id/card-key',
    {
      attachValidation: true,
      schema: {
        params,
        body: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: {
            version: VERSION,
            id12: { type: 'string', pattern: '^[0-9]{12}$' },
            documentNumber: { type: 'string', pattern: '^[0-9A-Z<]{1,22}$' },
            qr: { type: 'string', minLength: 1, maxLength: 1000 },
            can: { type: 'string', pattern: '^[0-9]{6}$' },
            dateOfBirth: DATE,
            dateOfExpiry: DATE,
          },
          oneOf: [
            { required: ['id12', 'dateOfBirth', 'dateOfExpiry'] },
            { required: ['documentNumber', 'dateOfBirth', 'dateOfExpiry'] },
            { required: ['qr'], not: { anyOf: [{ required: ['dateOfBirth'] }] } },
            {
              required: ['can'],
              not: {
                anyOf: [{ required: ['id12'] }, { required: ['documentNumber'] }, { required: ['qr'] }],
              },
            },
          ],
        },
      },
    },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      const body = request.body;
      let input: CardKeyInput;
      if (body.qr !== undefined) {
        const fromQr = cardKeyFromQr(body.qr, {
          today: localToday(clock.now()),
          ...(body.dateOfExpiry === undefined ? {} : { dateOfExpiry: body.dateOfExpiry }),
        });
        if (!fromQr.ok)
          return reply
            .code(422)
            .send({ error: { code: fromQr.code, message: fromQr.message.en, officer: fromQr.message } });
        const mrz = accessKey(fromQr.key);
        if (!mrz.ok)
          return reply.code(422).send({
            error: {
              code: 'QR_INVALID',
              message: mrz.error.detail,
              officer: { vi: 'Mã QR không cho khóa chip hợp lệ.', en: mrz.error.detail },
            },
          });
        input = {
          mrzInformation: mrz.value,
          can: body.can ?? defaultCan(fromQr.key),
          key: fromQr.key,
          from: 'qr',
        };
      } else if (body.id12 !== undefined || body.documentNumber !== undefined) {
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
          return reply.code(400).send({
            error: {
              code: 'REQUEST_INVALID',
              message: `${mrz.error.field}: ${mrz.error.detail}`,
              officer: {
                vi: `Số in trên thẻ không hợp lệ (${mrz.error.field}): kiểm tra lại.`,
                en: `A printed number is not valid (${mrz.error.field}): check it.`,
              },
            },
          });
        input = { mrzInformation: mrz.value, can: body.can ?? defaultCan(key), key, from: 'numbers' };
      } else input = { mrzInformation: undefined, can: body.can, key: undefined, from: 'can' };
      try {
        return await workflow.cardKey(request.params.id, officerOf(request), body.version, input);
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number; reader?: string; waitMs?: number } }>(
    '/verifications/:id/card-read',
    {
      attachValidation: true,
      schema: {
        params,
        body: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: {
            version: VERSION,
            reader: { type: 'string', minLength: 1, maxLength: 200 },
            waitMs: { type: 'integer', minimum: 0, maximum: 30000 },
          },
        },
      },
    },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      const { reader: name, waitMs } = request.body;
      try {
        return await workflow.cardRead(request.params.id, officerOf(request), request.body.version, {
          ...(name === undefined ? {} : { reader: name }),
          ...(waitMs === undefined ? {} : { waitMs }),
        });
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number } }>(
    '/verifications/:id/status',
    { attachValidation: true, schema: { params, body: versionOnly } },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      try {
        return await workflow.status(request.params.id, officerOf(request), version(request));
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number; image?: string; camera?: string; skip?: string } }>(
    '/verifications/:id/face',
    {
      attachValidation: true,
      bodyLimit: Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 1024,
      schema: {
        params,
        body: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: {
            version: VERSION,
            image: { type: 'string', minLength: 4, maxLength: Math.ceil((MAX_IMAGE_BYTES * 4) / 3) },
            camera: { type: 'string', minLength: 1, maxLength: 100 },
            skip: { type: 'string', minLength: 3, maxLength: 300 },
          },
          oneOf: [{ required: ['image'] }, { required: ['camera'] }, { required: ['skip'] }],
        },
      },
    },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      const body = request.body;
      const input =
        body.image !== undefined
          ? { image: new Uint8Array(Buffer.from(body.image, 'base64')) }
          : body.camera !== undefined
            ? { camera: body.camera }
            : { skip: body.skip ?? '' };
      try {
        return await workflow.face(request.params.id, officerOf(request), body.version, input);
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number; skip?: boolean; scanner?: string; finger?: number } }>(
    '/verifications/:id/finger',
    {
      attachValidation: true,
      schema: {
        params,
        body: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: {
            version: VERSION,
            skip: { type: 'boolean' },
            scanner: { type: 'string', minLength: 1, maxLength: 100 },
            finger: { type: 'integer', minimum: 1, maximum: 10 },
          },
        },
      },
    },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      const { skip, scanner, finger } = request.body;
      try {
        return await workflow.finger(request.params.id, officerOf(request), version(request), {
          ...(skip === undefined ? {} : { skip }),
          ...(scanner === undefined ? {} : { scanner }),
          ...(finger === undefined ? {} : { finger }),
        });
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number } }>(
    '/verifications/:id/verdict',
    { attachValidation: true, schema: { params, body: versionOnly } },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      try {
        return await workflow.verdict(request.params.id, officerOf(request), version(request));
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number; grant?: string } }>(
    '/verifications/:id/report',
    {
      attachValidation: true,
      schema: {
        params,
        body: {
          ...versionOnly,
          // The one-use signing grant from POST /auth/reauth (the password or PIN entered again).
          properties: { ...versionOnly.properties, grant: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      const id = request.params.id;
      try {
        return await workflow.signReport(id, officerOf(request), version(request), () =>
          grantOf(request, id),
        );
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  for (const [suffix, type] of [
    ['report.json', 'application/json; charset=utf-8'],
    ['report.p7s', 'application/pkcs7-mime; smime-type=signed-data'],
    ['report.pdf', 'application/pdf'],
  ] as const)
    app.get<WithId>(
      `/verifications/:id/${suffix}`,
      { attachValidation: true, schema: { params } },
      async (request, reply) => {
        if (request.validationError) return invalid(reply, request);
        try {
          const signed = workflow.report(request.params.id, officerOf(request));
          const bytes =
            suffix === 'report.json'
              ? signed.json
              : suffix === 'report.p7s'
                ? signed.cms
                : // pdfkit and its fonts load on the first report asked for as PDF, not at start.
                  await (await import('../reports/verification-pdf.ts')).renderVerificationPdf(signed.report);
          return reply
            .header('content-type', type)
            .header(
              'content-disposition',
              `attachment; filename="${signed.report.reportId}.${suffix.slice(7)}"`,
            )
            .header('cache-control', 'no-store')
            .send(Buffer.from(bytes));
        } catch (error) {
          return send(reply, error);
        }
      },
    );
};
