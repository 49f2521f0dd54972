/**
 * How the station's HTTP service answers what no route answers by itself: a request its schema
 * refuses (400 REQUEST_INVALID, each field named), a route that does not exist (404 NOT_FOUND) and
 * a failure (the error's status and code, 500 INTERNAL when it has none). Every answer has the shared
 * error shape of api-schema.ts, the officer's message in Vietnamese and English included, which is
 * also what the routes' response schemas serialize.
 */
import type { FastifyInstance } from 'fastify';
import { GENERIC_MESSAGES, RequestInvalidError } from './errors.ts';

/** Sets the schema error formatter, the not-found handler and the error handler of `app`. */
export function installErrorAnswers(app: FastifyInstance): void {
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
