/**
 * How the station's HTTP service answers what no route answers by itself: a request its schema
 * refuses (400 REQUEST_INVALID, each field named), a route that does not exist (404 NOT_FOUND) and
 * a failure (the error's status and code, 500 INTERNAL when it has none). Every answer has the shared
 * error shape of api-schema.ts, the officer's message in Vietnamese and English included, which is
 * also what the routes' response schemas serialize.
 */
import type { FastifyInstance } from 'fastify';
import { officerMessages } from './error-messages.ts';
import { GENERIC_MESSAGES, type OfficerMessages, RequestInvalidError } from './errors.ts';

function isMessages(value: unknown): value is OfficerMessages {
  const v = value as { vi?: unknown; en?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.vi === 'string' && typeof v.en === 'string';
}

/**
 * Puts the officer's `messages` { vi, en } on an error answer that has none: the route's `officer`
 * words, else the catalogue's for its code (error-messages.ts), else its status's general words.
 * Anything that is not `{ error: { code } }` passes unchanged.
 */
export function withOfficerMessages(payload: unknown, status: number): unknown {
  if (status < 400 || typeof payload !== 'object' || payload === null) return payload;
  const error = (payload as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return payload;
  const { code, message, messages, officer } = error as Record<string, unknown>;
  if (typeof code !== 'string' || isMessages(messages)) return payload;
  const words = isMessages(officer)
    ? officer
    : isMessages(message)
      ? message
      : officerMessages(code, status, typeof message === 'string' ? message : code);
  return { ...payload, error: { ...error, messages: words } };
}

/**
 * Sets the schema error formatter, the not-found handler and the error handler of `app`, and makes
 * every error answer of its routes carry the officer's message in both languages.
 */
export function installErrorAnswers(app: FastifyInstance): void {
  app.addHook('preSerialization', async (_request, reply, payload) =>
    withOfficerMessages(payload, reply.statusCode),
  );
  app.setSchemaErrorFormatter((errors, dataVar) => new RequestInvalidError(dataVar, errors));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${request.url}`,
        messages: GENERIC_MESSAGES.NOT_FOUND,
      },
    }),
  );
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    if (error instanceof RequestInvalidError) {
      return reply.code(400).send({
        error: {
          code: error.code,
          message: error.message,
          messages: error.messages,
          problems: error.problems,
        },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code = error.code ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    return reply.code(status).send({
      error: {
        code,
        message: error.message,
        messages: status >= 500 ? GENERIC_MESSAGES.INTERNAL : GENERIC_MESSAGES.BAD_REQUEST,
      },
    });
  });
}

/**
 * The answer body of a workflow step the workflow refused (enrollment, e-ID): the stable code, the
 * English message, the officer's words in both languages, the stage, and what was expected, each
 * field's problem, or the refusal's own details where it has them.
 */
export function stepRefusalBody(refusal: {
  readonly code: string;
  readonly message: { readonly vi: string; readonly en: string };
  readonly stage: string;
  readonly expected?: unknown;
  readonly problems?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}): { readonly error: Record<string, unknown> } {
  return {
    error: {
      code: refusal.code,
      message: refusal.message.en,
      messages: refusal.message,
      stage: refusal.stage,
      ...(refusal.expected === undefined ? {} : { expected: refusal.expected }),
      ...(refusal.problems === undefined ? {} : { problems: refusal.problems }),
      ...(refusal.details ?? {}),
    },
  };
}
