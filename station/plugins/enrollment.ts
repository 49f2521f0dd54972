/**
 * The enrollment API over station/workflows/enrollment:
 *
 *   POST /enrollments                 open one (the officer from the session)          201 draft
 *   GET  /enrollments                 the open drafts (id, last change)
 *   GET  /enrollments/:id             the draft: stage, version, every field, score and finding
 *   POST /enrollments/:id/steps       { version, step: { kind, ... } }                 200 outcome
 *   GET  /enrollments/:id/receipt     the citizen's receipt of a queued one            200 PDF
 *   GET  /enrollments/:id/portrait    the kept portrait, for the officer's review      200 JPEG
 *
 * A step sent at an old version is answered with its first outcome when it is the same request (a
 * double click, a retry after a lost answer), else 409 VERSION_CONFLICT with the current version.
 * A step the stage does not allow is 409 WRONG_STAGE with the stages that allow it. Refusals carry
 * a stable code and the officer's message in Vietnamese and English; invalid fields are listed one
 * by one (422 DEMOGRAPHICS_INVALID).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { binary, idParams, NO_BODY, NO_QUERY, openObject, responses } from '../api-schema.ts';
import { type Clock, localToday, systemClock } from '../clock.ts';
import { requestAborted } from '../devices/leases.ts';
import { stepRefusalBody } from '../http-errors.ts';
import { PdfRenderer, PdfRendererError, printFailure } from '../reports/renderer.ts';
import { DraftError } from '../workflows/enrollment/draft-store.ts';
import type { EnrollmentService, StepRequest } from '../workflows/enrollment/service.ts';
import {
  CARD_KEY_ONE_OF,
  CARD_KEY_PROPERTIES,
  type CardKeyBody,
  cardKeyInputOf,
} from '../workflows/verification/station-ports.ts';

/** Who is acting: from the officer's session. */
export interface Officer {
  readonly id: string;
  readonly roles: readonly string[];
  /** The account's display name (shown to another officer as "device in use by ..."). */
  readonly displayName?: string;
}

export interface EnrollmentRoutesOptions {
  readonly service: EnrollmentService;
  /** The officer of the request's session, or undefined (answered 401). */
  readonly officerOf: (request: FastifyRequest) => Officer | undefined;
  /** The station's clock ("today" for an old card's QR key; default the system's). */
  readonly clock?: Clock;
  /** Runs before every enrollment route (station/auth's requireSession). */
  readonly preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const TEXT = { type: 'string', maxLength: 300 } as const;
const NAME = { type: 'string', minLength: 1, maxLength: 100 } as const;
const RELATIVE = {
  type: 'object',
  additionalProperties: false,
  required: ['fullName'],
  properties: { fullName: NAME, personalId: { type: 'string', pattern: '^[0-9]{12}$' } },
} as const;

const DEMOGRAPHICS = {
  type: 'object',
  additionalProperties: false,
  required: [
    'personalId',
    'fullName',
    'birthDate',
    'sex',
    'ethnicity',
    'religion',
    'placeOfOrigin',
    'placeOfBirthRegistration',
    'placeOfResidence',
  ],
  properties: {
    personalId: { type: 'string', maxLength: 20 },
    fullName: { type: 'string', maxLength: 200 },
    birthDate: { type: 'string', maxLength: 10 },
    sex: { type: 'string', enum: ['male', 'female'] },
    nationality: TEXT,
    nationalityCode: { type: 'string', maxLength: 3 },
    ethnicity: TEXT,
    religion: TEXT,
    placeOfOrigin: TEXT,
    placeOfBirthRegistration: TEXT,
    placeOfResidence: TEXT,
    identifyingMarks: TEXT,
    father: RELATIVE,
    mother: RELATIVE,
    spouse: RELATIVE,
    legalRepresentative: {
      type: 'object',
      additionalProperties: false,
      required: ['personalId', 'fullName', 'relationship', 'consentGiven'],
      properties: {
        personalId: { type: 'string', maxLength: 20 },
        fullName: NAME,
        relationship: { type: 'string', enum: ['father', 'mother', 'guardian'] },
        consentGiven: { type: 'boolean' },
      },
    },
    previousCardNumber: { type: 'string', maxLength: 20 },
    formerIdNumber: { type: 'string', maxLength: 20 },
    correction: {
      type: 'object',
      additionalProperties: false,
      required: ['fields', 'document'],
      properties: {
        fields: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 40 } },
        document: TEXT,
      },
    },
  },
} as const;

const step = (kind: string, properties: Record<string, unknown> = {}, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required: ['kind', ...required],
  properties: { kind: { const: kind }, ...properties },
});

/** Every step's body, one schema per kind. */
export const STEP_SCHEMA = {
  oneOf: [
    step('choose-type', { type: { enum: ['first-issue', 'renewal', 'reissue-after-loss', 'correction'] } }, [
      'type',
    ]),
    step('prefill', {
      personalId: { type: 'string', pattern: '^[0-9]{12}$' },
      cardNumber: { type: 'string', pattern: '^[0-9]{12}$' },
      qr: { type: 'string', minLength: 1, maxLength: 1000 },
      card: {
        type: 'object',
        additionalProperties: false,
        properties: CARD_KEY_PROPERTIES,
        oneOf: CARD_KEY_ONE_OF,
        description:
          "read the old card's chip with this access key (the printed numbers, its QR, or the CAN)",
      },
      skipReason: TEXT,
    }),
    step('demographics', { input: DEMOGRAPHICS }, ['input']),
    step('capture-portrait'),
    step('capture-slap', { hand: { enum: ['right', 'left', 'thumbs'] } }, ['hand']),
    step(
      'exception',
      {
        position: { type: 'integer', minimum: 1, maximum: 10 },
        reason: { enum: ['amputated', 'bandaged', 'unable-to-print', 'other'] },
        note: TEXT,
        confirmed: { type: 'boolean' },
      },
      ['position', 'reason', 'confirmed'],
    ),
    step('withdraw-exception', { position: { type: 'integer', minimum: 1, maximum: 10 } }, ['position']),
    step('run-checks'),
    step('sign', { grant: { type: 'string', minLength: 1, maxLength: 200 } }, ['grant']),
    step('approve', { digest: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, ['digest']),
    step('submit'),
    step('abandon', { reason: { type: 'string', minLength: 1, maxLength: 300 } }, ['reason']),
  ],
} as const;

const PARAMS = idParams({ type: 'string', pattern: UUID });

const DRAFT_VIEW = openObject('the draft: stage, version, every field, score and finding (no biometrics)', {
  id: { type: 'string' },
  stage: { type: 'string' },
  version: { type: 'integer' },
});

/** The schema parts of an enrollment route: its tag, summary, no query, and its answers. */
function doc(summary: string, ok: Record<string, unknown>) {
  return { tags: ['enrollments'], summary, querystring: NO_QUERY, response: responses(ok) };
}

const DRAFT_STATUS: Readonly<Record<string, number>> = {
  DRAFT_NOT_FOUND: 404,
  DRAFT_TAMPERED: 422,
  DRAFT_INVALID: 422,
  DRAFT_TOO_LARGE: 422,
  RECEIPT_NOT_FOUND: 404,
};

const DRAFT_MESSAGE: Readonly<Record<string, { vi: string; en: string }>> = {
  DRAFT_NOT_FOUND: { vi: 'Không có hồ sơ này.', en: 'No such enrollment.' },
  DRAFT_TAMPERED: {
    vi: 'Tệp hồ sơ đã bị thay đổi ngoài ứng dụng; không mở được. Báo cáo cán bộ phụ trách.',
    en: 'The draft file was changed outside the station and is refused; report it to the supervisor.',
  },
  DRAFT_INVALID: { vi: 'Tệp hồ sơ hỏng.', en: 'The draft file is damaged and is refused.' },
  DRAFT_TOO_LARGE: { vi: 'Tệp hồ sơ quá lớn.', en: 'The draft file is too large.' },
  RECEIPT_NOT_FOUND: {
    vi: 'Hồ sơ này chưa được gửi đi, hoặc giấy hẹn đã hết thời hạn lưu.',
    en: 'This enrollment is not queued, or its receipt is no longer kept.',
  },
};

export function enrollmentRoutes(options: EnrollmentRoutesOptions) {
  const { service } = options;
  return async function plugin(app: FastifyInstance): Promise<void> {
    if (options.preHandler !== undefined) app.addHook('preHandler', options.preHandler);
    // Receipts render on a worker thread, started by the first print.
    let renderer: PdfRenderer | undefined;
    const pdfs = () => {
      renderer ??= new PdfRenderer();
      return renderer;
    };
    app.addHook('onClose', async () => renderer?.close());
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
    const draftFailure = (reply: FastifyReply, error: unknown) => {
      if (!(error instanceof DraftError)) throw error;
      if (error.code === 'DRAFT_TAMPERED' || error.code === 'DRAFT_INVALID')
        app.log.warn({ enrollment: error.id, code: error.code }, 'enrollment draft refused');
      return reply.code(DRAFT_STATUS[error.code] ?? 500).send({
        error: { code: error.code, message: error.message, messages: DRAFT_MESSAGE[error.code] },
      });
    };

    app.post(
      '/enrollments',
      {
        schema: {
          ...doc('Open an enrollment draft for the signed-in officer', { 201: DRAFT_VIEW }),
          body: NO_BODY,
        },
      },
      async (request, reply) => {
        const who = officer(request, reply);
        if (who === undefined) return reply;
        return reply.code(201).send(await service.start(who.id));
      },
    );

    app.get(
      '/enrollments',
      {
        schema: doc('The open enrollment drafts (id, last change)', {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['enrollments'],
            properties: {
              enrollments: { type: 'array', items: openObject('one open draft: its id and last change') },
            },
          },
        }),
      },
      async (request, reply) => {
        if (officer(request, reply) === undefined) return reply;
        return { enrollments: await service.list() };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/enrollments/:id',
      {
        schema: {
          ...doc('An enrollment draft: stage, version, fields, scores, findings', { 200: DRAFT_VIEW }),
          params: PARAMS,
        },
      },
      async (request, reply) => {
        if (officer(request, reply) === undefined) return reply;
        try {
          return await service.view(request.params.id);
        } catch (error) {
          return draftFailure(reply, error);
        }
      },
    );

    app.post<{ Params: { id: string }; Body: { version: number; step: StepRequest } }>(
      '/enrollments/:id/steps',
      {
        bodyLimit: 64 * 1024,
        schema: {
          ...doc('The next step of an enrollment, at the version the officer saw', {
            200: openObject('the outcome: ok, the draft after the step, replayed when it was a repeat', {
              ok: { type: 'boolean' },
            }),
          }),
          params: PARAMS,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['version', 'step'],
            properties: { version: { type: 'integer', minimum: 0, maximum: 1_000_000 }, step: STEP_SCHEMA },
          },
        },
      },
      async (request, reply) => {
        const who = officer(request, reply);
        if (who === undefined) return reply;
        let step: StepRequest = request.body.step;
        const wire = step as StepRequest & { card?: CardKeyBody };
        if (wire.kind === 'prefill' && wire.card !== undefined) {
          // The old card's access key as the notary's read takes it (numbers, QR or CAN).
          const key = cardKeyInputOf(wire.card, localToday((options.clock ?? systemClock).now()));
          if (!key.ok)
            return reply.code(key.status).send({
              error: { code: key.error.code, message: key.error.message, messages: key.error.officer },
            });
          step = { ...wire, card: key.input };
        }
        try {
          const answer = await service.step(
            request.params.id,
            request.body.version,
            step,
            {
              officerId: who.id,
              roles: who.roles,
              ...(who.displayName === undefined ? {} : { displayName: who.displayName }),
            },
            // A client that hangs up mid-capture frees the device and cancels the capture.
            { signal: requestAborted(reply) },
          );
          if (answer.ok) return answer;
          return reply.code(answer.status).send(stepRefusalBody(answer.refusal));
        } catch (error) {
          return draftFailure(reply, error);
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/enrollments/:id/portrait',
      {
        schema: {
          ...doc("The draft's kept portrait (the ICAO capture), for the officer's review", {
            200: binary('the portrait, JPEG', 'image/jpeg'),
          }),
          params: PARAMS,
        },
      },
      async (request, reply) => {
        if (officer(request, reply) === undefined) return reply;
        try {
          const jpeg = await service.portrait(request.params.id);
          if (jpeg === undefined)
            return reply.code(404).send({
              error: {
                code: 'PORTRAIT_NOT_TAKEN',
                message: 'No portrait has been taken in this enrollment yet',
                messages: { vi: 'Chưa chụp ảnh chân dung.', en: 'No portrait has been taken yet.' },
              },
            });
          return reply
            .type('image/jpeg')
            .header('cache-control', 'no-store')
            .send(Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength));
        } catch (error) {
          return draftFailure(reply, error);
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/enrollments/:id/receipt',
      {
        schema: {
          ...doc("The citizen's receipt of a queued enrollment (PDF with the packet id as a QR code)", {
            200: binary('the receipt, A4 PDF', 'application/pdf'),
          }),
          params: PARAMS,
        },
      },
      async (request, reply) => {
        if (officer(request, reply) === undefined) return reply;
        try {
          const receipt = await service.receipt(request.params.id);
          const pdf = await pdfs().render({ kind: 'enrollment-receipt', data: receipt });
          return reply
            .type('application/pdf')
            .header('content-disposition', `inline; filename="receipt-${receipt.packetId}.pdf"`)
            .header('cache-control', 'no-store')
            .send(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
        } catch (error) {
          if (error instanceof PdfRendererError) {
            const failure = printFailure(error);
            return reply.code(failure.status).send(failure.body);
          }
          return draftFailure(reply, error);
        }
      },
    );
  };
}
