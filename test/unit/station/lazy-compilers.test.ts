/**
 * Route schemas compiled at first use (station/lazy-compilers.ts) validate and serialize as fastify's
 * own compilers do, and compile nothing before the first request.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { lazySerializerFactory, lazyValidatorFactory } from '../../../station/lazy-compilers.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function lazyApp(): FastifyInstance {
  return Fastify({
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    schemaController: {
      compilersFactory: { buildValidator: lazyValidatorFactory, buildSerializer: lazySerializerFactory },
    },
  });
}

describe('route schemas compiled at first use', () => {
  it('refuses bad bodies with ajv’s errors and writes replies through the response schema', async () => {
    app = lazyApp();
    app.post(
      '/count',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['n'],
            properties: { n: { type: 'integer', minimum: 1 } },
          },
          response: { 200: { type: 'object', properties: { twice: { type: 'integer' } } } },
        },
      },
      async (request) => ({ twice: (request.body as { n: number }).n * 2, secret: 'not in the schema' }),
    );
    await app.ready();
    for (let i = 0; i < 2; i++) {
      const bad = await app.inject({ method: 'POST', url: '/count', payload: { n: 0, extra: true } });
      expect(bad.statusCode).toBe(400);
      // Both problems (allErrors), from the validator compiled at the first request.
      expect(bad.json().message).toMatch(/must NOT have additional properties/);
      expect(bad.json().message).toMatch(/must be >= 1/);
    }
    const good = await app.inject({ method: 'POST', url: '/count', payload: { n: 21 } });
    expect(good.statusCode).toBe(200);
    // The serializer wrote only what the response schema names.
    expect(good.json()).toEqual({ twice: 42 });
  });

  it('compiles nothing at start: a schema that cannot compile fails its first request, not ready()', async () => {
    app = lazyApp();
    app.post('/broken', { schema: { body: { type: 'no-such-type' } } }, async () => ({ ok: true }));
    app.get('/fine', async () => ({ ok: true }));
    await expect(app.ready()).resolves.toBeDefined();
    expect((await app.inject({ method: 'GET', url: '/fine' })).statusCode).toBe(200);
    const broken = await app.inject({ method: 'POST', url: '/broken', payload: {} });
    expect(broken.statusCode).toBe(500);
  });

  it('as fastify’s default compilers do, refuses the broken schema at ready()', async () => {
    // The control: without the lazy compilers the same route stops the start.
    app = Fastify();
    app.post('/broken', { schema: { body: { type: 'no-such-type' } } }, async () => ({ ok: true }));
    await expect(app.ready()).rejects.toThrow(/no-such-type|schema/i);
  });
});
