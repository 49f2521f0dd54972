/**
 * The e-ID level-2 registration API over station/workflows/eid:
 *
 *   POST /eid-registrations                 open one (the officer from the session)       201 view
 *   GET  /eid-registrations/:id             the registration: stage, version, card, face, contact
 *   GET  /eid-registrations/:id/portrait    the chip portrait (JPEG) from the card read until it ends
 *   POST /eid-registrations/:id/steps       { version, step: { kind, ... } }              200 outcome
 *
 * Steps: `card-key` (the printed numbers, the QR text or the CAN, as the notary's verification
 * takes them), `read-card` (PACE/BAC, PA, CA, AA), `compare-face` (the camera's live frame against
 * the chip portrait), `contact` (mobile, e-mail, consent), `sign` (the officer's one-use grant),
 * `submit` (the application sealed into the outbox), `abandon`.
 *
 * A step at an old version answers its first outcome when it is the same request, else 409
 * VERSION_CONFLICT; a step the stage does not allow is 409 WRONG_STAGE. Refusals carry a stable
 * code and the officer's message in Vietnamese and English (`messages`), e.g. 409 DEVICE_IN_USE
 * with the device's holder, 422 CONTACT_INVALID with each field's problem.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { binary, NO_BODY, NO_QUERY, openObject, responses } from '../api-schema.ts';
import type { Clock } from '../clock.ts';
import { localToday } from '../clock.ts';
import { requestAborted } from '../devices/leases.ts';
import { stepRefusalBody } from '../http-errors.ts';
import { EidError, type EidService, type EidStepRequest } from '../workflows/eid/service.ts';
import {
  CARD_KEY_ONE_OF,
  CARD_KEY_PROPERTIES,
  cardKeyInputOf,
} from '../workflows/verification/station-ports.ts';
import type { Officer } from './enrollment.ts';
import { portraitAsJpeg } from './portrait-jpeg.ts';

export interface EidRoutesOptions {
  readonly service: EidService;
  readonly clock: Clock;
  /** The officer of the request's session, or undefined (answered 401). */
  readonly officerOf: (request: FastifyRequest) => Officer | undefined;
  /** Runs before every route (station/auth's requireSession). */
  readonly preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const params = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: UUID } },
} as const;

const VIEW = openObject('the registration: stage, version, card, face and contact (no biometrics)', {
  id: { type: 'string' },
  stage: { type: 'string' },
  version: { type: 'integer' },
});

/** The schema parts of an e-ID route: its tag, summary, no query, and its answers. */
function doc(summary: string, ok: Record<string, unknown>) {
  return { tags: ['eid-registrations'], summary, querystring: NO_QUERY, response: responses(ok) };
}

const step = (
  kind: string,
  properties: Record<string, unknown> = {},
  required: string[] = [],
  extra = {},
) => ({
  type: 'object',
  additionalProperties: false,
  required: ['kind', ...required],
  properties: { kind: { const: kind }, ...properties },
  ...extra,
});

/** Every step's body, one schema per kind. */
export const EID_STEP_SCHEMA = {
  oneOf: [
    step('card-key', CARD_KEY_PROPERTIES, [], { oneOf: CARD_KEY_ONE_OF }),
    step('read-card', {
      reader: { type: 'string', minLength: 1, maxLength: 200 },
      waitMs: { type: 'integer', minimum: 0, maximum: 30_000 },
    }),
    step('compare-face', { camera: { type: 'string', minLength: 1, maxLength: 100 } }),
    step(
      'contact',
      {
        phone: { type: 'string', minLength: 1, maxLength: 30 },
        email: { type: 'string', minLength: 1, maxLength: 300 },
        consent: {
          type: 'object',
          additionalProperties: false,
          required: ['phone', 'email', 'dataProcessing', 'textVersion'],
          properties: {
            phone: { type: 'boolean' },
            email: { type: 'boolean' },
            dataProcessing: { type: 'boolean' },
            textVersion: { type: 'string', minLength: 1, maxLength: 32 },
          },
        },
      },
      ['phone', 'email', 'consent'],
    ),
    step('sign', { grant: { type: 'string', minLength: 1, maxLength: 200 } }, ['grant']),
    step('submit'),
    step('abandon', { reason: { type: 'string', minLength: 1, maxLength: 300 } }, ['reason']),
  ],
} as const;

/** A step body as the schema lets it through (card-key still carries the key's raw fields). */
type StepBody =
  | ({ readonly kind: 'card-key' } & Parameters<typeof cardKeyInputOf>[0])
  | Exclude<EidStepRequest, { readonly kind: 'card-key' }>;

export function eidRoutes(options: EidRoutesOptions) {
  const { service } = options;
  return async function plugin(app: FastifyInstance): Promise<void> {
    if (options.preHandler !== undefined) app.addHook('preHandler', options.preHandler);
    app.addHook('onClose', async () => service.close());
    const officer = (request: FastifyRequest, reply: FastifyReply): Officer | undefined => {
      const who = options.officerOf(request);
      if (who === undefined)
        void reply.code(401).send({
          error: {
            code: 'SESSION_REQUIRED',
            message: 'Sign in as an officer first',
            messages: { vi: 'Cần đăng nhập.', en: 'Sign in as an officer first.' },
          },
        });
      return who;
    };
    const actor = (who: Officer) => ({
      officerId: who.id,
      roles: who.roles,
      ...(who.displayName === undefined ? {} : { displayName: who.displayName }),
    });
    const failure = (reply: FastifyReply, error: unknown) => {
      if (!(error instanceof EidError)) throw error;
      return reply
        .code(error.statusCode)
        .send({ error: { code: error.code, message: error.message, messages: error.officer } });
    };

    app.post(
      '/eid-registrations',
      {
        schema: {
          ...doc('Open an e-ID level-2 registration for the signed-in officer', { 201: VIEW }),
          body: NO_BODY,
        },
      },
      async (request, reply) => {
        const who = officer(request, reply);
        if (who === undefined) return reply;
        try {
          return reply.code(201).send(await service.start(actor(who)));
        } catch (error) {
          return failure(reply, error);
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/eid-registrations/:id',
      {
        schema: {
          ...doc('An e-ID registration: stage, version, card, face, contact', { 200: VIEW }),
          params,
        },
      },
      async (request, reply) => {
        const who = officer(request, reply);
        if (who === undefined) return reply;
        try {
          return await service.view(request.params.id, actor(who));
        } catch (error) {
          return failure(reply, error);
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/eid-registrations/:id/portrait',
      {
        schema: {
          ...doc(
            "The chip portrait (DG2) as JPEG for the officer's screen, from the card read until the registration ends",
            {
              200: binary('the chip portrait', 'image/jpeg'),
            },
          ),
          params,
        },
      },
      async (request, reply) => {
        const who = officer(request, reply);
        if (who === undefined) return reply;
        try {
          const bytes = await service.portrait(request.params.id, actor(who));
          const jpeg = bytes === undefined ? undefined : await portraitAsJpeg(bytes);
          if (jpeg === undefined)
            return reply.code(409).send({
              error: {
                code: 'EID_NO_PORTRAIT',
                message: 'No chip portrait to show: the card is not read yet, or the registration has ended',
                messages: {
                  vi: 'Không có ảnh chân dung từ chip: chưa đọc thẻ, hoặc hồ sơ đã kết thúc.',
                  en: 'No chip portrait: the card is not read yet, or the registration has ended.',
                },
              },
            });
          return reply
            .header('content-type', 'image/jpeg')
            .header('cache-control', 'no-store')
            .send(Buffer.from(jpeg));
        } catch (error) {
          return failure(reply, error);
        }
      },
    );

    app.post<{ Params: { id: string }; Body: { version: number; step: StepBody } }>(
      '/eid-registrations/:id/steps',
      {
        bodyLimit: 16 * 1024,
        schema: {
          ...doc('The next step of an e-ID registration, at the version the officer saw', {
            200: openObject(
              'the outcome: ok, the registration after the step, replayed when it was a repeat',
              {
                ok: { type: 'boolean' },
              },
            ),
          }),
          params,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['version', 'step'],
            properties: {
              version: { type: 'integer', minimum: 0, maximum: 1_000_000 },
              step: EID_STEP_SCHEMA,
            },
          },
        },
      },
      async (request, reply) => {
        const who = officer(request, reply);
        if (who === undefined) return reply;
        const body = request.body.step;
        let stepRequest: EidStepRequest;
        if (body.kind === 'card-key') {
          const { kind: _kind, ...key } = body;
          const parsed = cardKeyInputOf(key, localToday(options.clock.now()));
          if (!parsed.ok)
            return reply.code(parsed.status).send({
              error: {
                code: parsed.error.code,
                message: parsed.error.message,
                messages: parsed.error.officer,
              },
            });
          stepRequest = { kind: 'card-key', key: parsed.input };
        } else stepRequest = body;
        try {
          const answer = await service.step(
            request.params.id,
            request.body.version,
            stepRequest,
            actor(who),
            {
              // A client that hangs up mid-read frees the reader and cancels the wait.
              signal: requestAborted(reply),
            },
          );
          if (answer.ok) return answer;
          return reply.code(answer.status).send(stepRefusalBody(answer.refusal));
        } catch (error) {
          return failure(reply, error);
        }
      },
    );
  };
}
