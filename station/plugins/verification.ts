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
 *   GET  /verifications/:id/portrait          the chip portrait (JPEG) until the verdict wipes it
 *   GET  /verifications/:id/report.json | report.p7s | report.pdf[?print=true]
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
import type { Device } from '../../drivers/device.ts';
import type { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import { binary, NO_BODY, NO_QUERY, openObject, responses } from '../api-schema.ts';
import { scannerFinder } from '../cards/verify-finger.ts';
import { type Clock, localToday } from '../clock.ts';
import { DeviceInUseError, type DeviceLeases, type LeasePurpose } from '../devices/leases.ts';
import { RequestInvalidError } from '../errors.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import type { LazyFaceEngine } from '../portrait/engine-provider.ts';
import { PdfRenderer, PdfRendererError, printFailure } from '../reports/renderer.ts';
import { VerificationError } from '../workflows/verification/session.ts';
import {
  CARD_KEY_ONE_OF,
  CARD_KEY_PROPERTIES,
  cardKeyInputOf,
  stationVerificationPorts,
} from '../workflows/verification/station-ports.ts';
import {
  type Officer,
  type SigningGrant,
  type VerificationPorts,
  VerificationWorkflow,
} from '../workflows/verification/workflow.ts';
import { portraitAsJpeg } from './portrait-jpeg.ts';

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
  /** The station's device leases: a step holds the reader, camera or scanner it uses. */
  readonly leases?: DeviceLeases;
  /** Runs before every route (station/auth's `requireSession('notary')`). */
  readonly preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const ANONYMOUS: Officer = { id: 'anonymous', roles: ['notary'], authenticated: false };
const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

const ID = { type: 'string', pattern: '^[0-9a-f-]{36}$' } as const;
const VERSION = { type: 'integer', minimum: 0, maximum: 1000 } as const;
const params = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: ID },
} as const;
const PRINT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { print: { type: 'boolean', description: 'inline, for printing from the station screen' } },
} as const;
const versionOnly = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: { version: VERSION },
} as const;

/** Every step's answer: `{ sessionId, step, state, version, next, result, replayed }`. */
const STEP_ANSWER = openObject(
  'the step that ran, the session state and version, the next steps, its result',
  {
    sessionId: { type: 'string' },
    step: { type: 'string' },
    version: { type: 'integer' },
    replayed: { type: 'boolean' },
  },
);

/** The schema parts of a verification route: its tag, summary, no query, and its answers. */
function doc(summary: string, ok: Record<string, unknown> = { 200: STEP_ANSWER }) {
  return { tags: ['verifications'], summary, querystring: NO_QUERY, response: responses(ok) };
}

function send(reply: FastifyReply, error: unknown) {
  if (error instanceof PdfRendererError) {
    const failure = printFailure(error);
    return reply.code(failure.status).send(failure.body);
  }
  if (error instanceof DeviceInUseError) return reply.code(409).send({ error: error.toJSON() });
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

/** @throws {VerificationError} VERIFICATION_PORTRAIT_UNREADABLE when DG2 does not decode. */
async function browserJpeg(bytes: Uint8Array): Promise<Uint8Array> {
  const jpeg = await portraitAsJpeg(bytes);
  if (jpeg === undefined)
    throw new VerificationError('VERIFICATION_PORTRAIT_UNREADABLE', 422, {
      vi: 'Không hiển thị được ảnh chân dung của chip (định dạng ảnh không đọc được).',
      en: 'The chip portrait cannot be shown (its image format could not be decoded).',
    });
  return jpeg;
}

export const verificationRoutes: FastifyPluginAsync<VerificationRoutesOptions> = async (app, options) => {
  const { reader, trustStore, terminal, clock, faces, hotpath, devices } = options;
  const officerOf = options.officerOf ?? (() => ANONYMOUS);
  const grantOf = options.signingGrant ?? (async () => ({ ok: true as const, method: 'none' }));
  if (options.preHandler) app.addHook('preHandler', options.preHandler);

  const ports = stationVerificationPorts({
    clock,
    devices,
    reader,
    trustStore,
    terminal,
    faces,
    hotpath,
    centralGet: options.centralGet,
  });
  const workflow = new VerificationWorkflow({
    stationId: options.stationId,
    environment: options.environment,
    clock,
    ...ports,
    signer: options.signer,
    auditAnchor: options.auditAnchor,
    onStep: options.onStep,
  });
  app.addHook('onClose', async () => workflow.close());
  // Report PDFs render on a worker thread, started by the first print.
  let renderer: PdfRenderer | undefined;
  const pdfs = () => {
    renderer ??= new PdfRenderer();
    return renderer;
  };
  app.addHook('onClose', async () => renderer?.close());

  /** Runs a step holding `deviceIds` for the session (DEVICE_IN_USE at once when another holds one). */
  const leased = <T>(
    request: FastifyRequest<{ Params: { id: string } }>,
    deviceIds: readonly string[],
    purpose: LeasePurpose,
    work: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> => {
    const leases = options.leases;
    if (leases === undefined || deviceIds.length === 0) return work(undefined);
    const officer = officerOf(request);
    return leases.run(
      deviceIds,
      {
        sessionId: request.params.id,
        officerId: officer.id,
        officerName: officer.displayName ?? officer.id,
        purpose,
      },
      work,
    );
  };

  type WithId = { Params: { id: string } };
  const version = (request: FastifyRequest) => (request.body as { version: number }).version;

  app.post(
    '/verifications',
    {
      schema: {
        ...doc("Start a notary's verification session", {
          201: openObject('the new session: sessionId, state, version, next steps', {
            sessionId: { type: 'string' },
            version: { type: 'integer' },
          }),
        }),
        body: NO_BODY,
      },
    },
    async (request, reply) => {
      try {
        return reply.code(201).send(workflow.create(officerOf(request)));
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.get<WithId>(
    '/verifications/:id',
    {
      schema: {
        ...doc('A verification session: its state, steps and results (no biometrics)', {
          200: openObject('the session', { sessionId: { type: 'string' }, version: { type: 'integer' } }),
        }),
        params,
      },
      attachValidation: true,
    },
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
        ...doc("The card's access key: the printed numbers, the QR text, or the CAN"),

        params,
        body: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: { version: VERSION, ...CARD_KEY_PROPERTIES },
          oneOf: CARD_KEY_ONE_OF,
        },
      },
    },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      const body = request.body;
      const parsed = cardKeyInputOf(body, localToday(clock.now()));
      if (!parsed.ok) return reply.code(parsed.status).send({ error: parsed.error });
      const input = parsed.input;
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
        ...doc('Read the chip: PACE/BAC, Passive, Chip and Active Authentication (+TA, DG3)'),

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
        return await leased(request, [reader.id], 'verification.card-read', (signal) =>
          workflow.cardRead(request.params.id, officerOf(request), request.body.version, {
            ...(name === undefined ? {} : { reader: name }),
            ...(waitMs === undefined ? {} : { waitMs }),
            ...(signal === undefined ? {} : { signal }),
          }),
        );
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number } }>(
    '/verifications/:id/status',
    {
      attachValidation: true,
      schema: {
        ...doc("Ask central for the card's status (lost, replaced, revoked), or note it is offline"),
        params,
        body: versionOnly,
      },
    },
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
        ...doc(
          'Compare a live face (an image, or a camera frame) with the chip portrait, or skip it with a reason',
        ),

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
        return await leased(
          request,
          body.camera === undefined ? [] : [body.camera],
          'verification.face',
          () => workflow.face(request.params.id, officerOf(request), body.version, input),
        );
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
        ...doc("Compare a live finger with the chip's, or skip it"),

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
        const device = skip === true ? undefined : scannerFinder(devices)(scanner);
        return await leased(request, device === undefined ? [] : [device.id], 'verification.finger', () =>
          workflow.finger(request.params.id, officerOf(request), version(request), {
            ...(skip === undefined ? {} : { skip }),
            ...(scanner === undefined ? {} : { scanner }),
            ...(finger === undefined ? {} : { finger }),
          }),
        );
      } catch (error) {
        return send(reply, error);
      }
    },
  );

  app.post<WithId & { Body: { version: number } }>(
    '/verifications/:id/verdict',
    {
      attachValidation: true,
      schema: { ...doc('The verdict in plain words from the checks so far'), params, body: versionOnly },
    },
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
        ...doc('Sign the verification report (needs a signing grant from POST /auth/reauth)'),

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

  app.get<WithId>(
    '/verifications/:id/portrait',
    {
      attachValidation: true,
      schema: {
        ...doc("The chip portrait (DG2) as JPEG, for the notary's screen; wiped at the verdict", {
          200: binary('the chip portrait', 'image/jpeg'),
        }),
        params,
      },
    },
    async (request, reply) => {
      if (request.validationError) return invalid(reply, request);
      try {
        const bytes = workflow.portrait(request.params.id, officerOf(request));
        return reply
          .header('content-type', 'image/jpeg')
          .header('cache-control', 'no-store')
          .send(Buffer.from(await browserJpeg(bytes)));
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
    app.get<WithId & { Querystring: { print?: boolean } }>(
      `/verifications/:id/${suffix}`,
      {
        attachValidation: true,
        schema: {
          ...doc(
            `The signed report: ${suffix === 'report.json' ? 'its JSON' : suffix === 'report.p7s' ? 'the CMS SignedData' : 'the PDF'}`,
            {
              200: binary('the report file (Content-Disposition: attachment)', type.split(';')[0] ?? type),
            },
          ),
          params,
          // The PDF with ?print=true is shown inline, framed by the station's own page only (its
          // screen prints it from a hidden frame: the kiosk saves no downloads).
          ...(suffix === 'report.pdf' ? { querystring: PRINT_QUERY } : {}),
        },
      },
      async (request, reply) => {
        if (request.validationError) return invalid(reply, request);
        try {
          const signed = workflow.report(request.params.id, officerOf(request));
          const inline = suffix === 'report.pdf' && request.query.print === true;
          if (inline)
            reply
              .header('content-security-policy', "default-src 'none'; frame-ancestors 'self'")
              .header('x-frame-options', 'SAMEORIGIN');
          const bytes =
            suffix === 'report.json'
              ? signed.json
              : suffix === 'report.p7s'
                ? signed.cms
                : await pdfs().render({ kind: 'verification-report', data: signed.report });
          return reply
            .header('content-type', type)
            .header(
              'content-disposition',
              `${inline ? 'inline' : 'attachment'}; filename="${signed.report.reportId}.${suffix.slice(7)}"`,
            )
            .header('cache-control', 'no-store')
            .send(Buffer.from(bytes));
        } catch (error) {
          return send(reply, error);
        }
      },
    );
};
