/**
 * The station's OpenAPI 3.1 document, generated from the routes' own JSON Schemas (@fastify/swagger
 * in dynamic mode), so the document and the validation can never disagree:
 *
 *   GET /openapi.json      the document (no session needed; the Host allowlist still applies)
 *
 * Register it before any route (it collects them as they are added); the document route itself is
 * added by `serveOpenApi` once the auth rails are in place.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { FIELD_PROBLEM_SCHEMA, openObject, PROBLEM_SCHEMA, responses } from '../api-schema.ts';
import { SESSION_COOKIE } from '../auth/plugin.ts';

export interface OpenApiOptions {
  /** The station's version (info.version). */
  readonly version: string;
}

/** The route groups, in the order the document lists them. */
export const API_TAGS = [
  { name: 'station', description: 'the service itself: health, the API document' },
  { name: 'auth', description: 'officer accounts and sessions; the signing grant' },
  { name: 'devices', description: 'scanners, cameras, readers: state and captures' },
  { name: 'streams', description: 'live server-sent events: device state, previews, upload progress' },
  { name: 'cards', description: "the notary's chip card checks" },
  { name: 'verifications', description: "the notary's verification sessions and signed reports" },
  { name: 'enrollments', description: 'enrollment sessions: the officer steps through a draft' },
  { name: 'eid-registrations', description: 'e-ID level 2 registrations on the citizen chip card' },
  { name: 'faces', description: 'portrait capture and advisory face comparison' },
  { name: 'qr', description: 'CCCD QR codes from images and barcode scanners' },
  { name: 'outbox', description: 'store-and-forward: packets waiting, sent and refused' },
  { name: 'sim', description: 'simulator controls (test environment only)' },
] as const;

export type ApiTag = (typeof API_TAGS)[number]['name'];

const plugin: FastifyPluginAsync<OpenApiOptions> = async (app, options) => {
  await app.register(swagger, {
    mode: 'dynamic',
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CCCD enrollment and verification station',
        version: options.version,
        description:
          'Every request is validated by the schema shown here; a refusal is ' +
          '`{ error: { code, message, messages: { vi, en }, problems? } }` with a stable code.',
      },
      tags: API_TAGS.map((tag) => ({ ...tag })),
      components: {
        // The two shapes of a refusal's `problems` items (the error schema keeps them open).
        schemas: {
          RequestProblem: structuredClone(PROBLEM_SCHEMA) as Record<string, unknown>,
          FieldProblem: structuredClone(FIELD_PROBLEM_SCHEMA) as Record<string, unknown>,
        },
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description: 'the officer session from POST /auth/login',
          },
        },
      },
      security: [{ session: [] }],
    },
  });
};

// Without encapsulation: the swagger decorator and its route collection belong to the whole app.
Object.assign(plugin, { [Symbol.for('skip-override')]: true });

/** Collects every route added after it into the OpenAPI document. */
export const openApiPlugin: FastifyPluginAsync<OpenApiOptions> = plugin;

/** Adds GET /openapi.json (after the auth rails, so their hooks and headers apply to it). */
export function serveOpenApi(app: FastifyInstance): void {
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['station'],
        summary: 'This document: the OpenAPI 3.1 description of every route',
        security: [],
        querystring: { type: 'object', additionalProperties: false, properties: {} },
        response: responses({ 200: openObject('an OpenAPI 3.1 document') }),
      },
    },
    async () => app.swagger(),
  );
}
