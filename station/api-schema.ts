/**
 * JSON Schema pieces every route of the HTTP API shares: the one error shape, the "no body" and
 * "no query" schemas, and helpers that put a route's success answer beside the error answers.
 *
 * A route's response schema is also its serializer (fastify compiles it with fast-json-stringify,
 * which leaves out any key the schema does not name). So an answer that is large or varies by case
 * is described as an open object (`additionalProperties: true`) with the keys that are always there
 * named, rather than narrowed to what is listed; a key added to an answer later is never lost.
 */

/** An officer-facing message in both languages, Vietnamese first. */
export const MESSAGES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['vi', 'en'],
  properties: { vi: { type: 'string' }, en: { type: 'string' } },
} as const;

/** One problem of a refused request: the key as a JSON pointer under the request's part. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'message'],
  properties: {
    key: { type: 'string', description: 'JSON pointer under the part of the request, e.g. body/mode' },
    message: { type: 'string' },
    allowed: { type: 'array', items: { type: ['string', 'number', 'boolean'] } },
  },
} as const;

/** One invalid field of a workflow's input (enrollment demographics): its code and both languages. */
export const FIELD_PROBLEM_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['field', 'code', 'message'],
  properties: {
    field: { type: 'string' },
    code: { type: 'string' },
    message: MESSAGES_SCHEMA,
  },
} as const;

/**
 * Every refusal and failure: `{ error: { code, message, messages?, officer?, problems?, ... } }`.
 * `code` is stable (clients branch on it, never on text); `message` says what happened in English;
 * `messages` (or `officer`, the name the card, verification and auth routes use) is what the officer
 * is shown, Vietnamese first. Some routes add keys of their own (`state`, `stage`, `expected`,
 * `retryAfterSeconds`, and beside `error` the `card` that was read), so both levels stay open.
 */
export const ERROR_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: true,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', description: 'stable error code' },
        message: { type: 'string' },
        messages: {
          ...MESSAGES_SCHEMA,
          description:
            "the officer's message, Vietnamese then English: on every error answer of the station (http-errors.ts)",
        },
        officer: { ...MESSAGES_SCHEMA, description: 'the same as `messages` on older routes' },
        problems: {
          type: 'array',
          // Two shapes (PROBLEM_SCHEMA, FIELD_PROBLEM_SCHEMA), kept whole: an anyOf here would be
          // compiled into every route's error serializer, slowing the station's start-up.
          items: { type: 'object', additionalProperties: true },
          description:
            'each refused field: `{ key, message, allowed? }` for a request its schema refuses (REQUEST_INVALID; components/schemas/RequestProblem), `{ field, code, message: { vi, en } }` for a workflow input (DEMOGRAPHICS_INVALID; components/schemas/FieldProblem)',
        },
      },
    },
  },
} as const;

/** The error answers every route can give (validation, auth rails, not found, internal). */
export const ERROR_RESPONSES = {
  '4xx': { description: 'refused: a stable code and the message in Vietnamese and English', ...ERROR_SCHEMA },
  '5xx': { description: 'the station or a device failed', ...ERROR_SCHEMA },
} as const;

/** A JSON answer whose keys vary by case: named keys documented, every key kept. */
export function openObject(description: string, properties: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: true, description, properties } as const;
}

/**
 * The same, or null. (A schema of type object alone would serialize a null as `{}`: every value
 * that can be null must say so.)
 */
export function openObjectOrNull(description: string, properties: Record<string, unknown> = {}) {
  return { type: ['object', 'null'], additionalProperties: true, description, properties } as const;
}

/** Success answers (by status) plus the shared error answers. */
export function responses<T extends Record<string, unknown>>(ok: T) {
  return { ...ok, ...ERROR_RESPONSES };
}

/** A query string that takes no keys. */
export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;

/** A POST that takes no input: no body, `null`, or `{}`. */
export const NO_BODY = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {},
  description: 'no input: send no body (or {})',
} as const;

/** Path parameters of a route with one `:id`. */
export function idParams(id: Record<string, unknown>, name = 'id') {
  return {
    type: 'object',
    additionalProperties: false,
    required: [name],
    properties: { [name]: id },
  } as const;
}

/** A binary answer (image, PDF, CMS) of `type`. */
export function binary(description: string, ...types: string[]) {
  return {
    description,
    content: Object.fromEntries(
      types.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
    ),
  } as const;
}

/** A server-sent events stream: its events described in `description`. */
export function eventStream(description: string) {
  return {
    description,
    content: { 'text/event-stream': { schema: { type: 'string', description: 'server-sent events' } } },
  } as const;
}
