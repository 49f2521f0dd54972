import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedStation, ManualClock, TEST_OFFICERS } from '../../support/station.ts';

/**
 * Every route fastify's router holds, as `METHOD /path/{param}`, read from `printRoutes` (the router's
 * own tree, not the OpenAPI plugin's list), HEAD routes left out (fastify adds one per GET).
 */
function routerRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const at = line.search(/[^│├└─ ]/);
    if (at < 0) continue;
    const depth = Math.floor(at / 4);
    const match = /^(\S+)(?: \(([A-Z, ]+)\))?/.exec(line.slice(at));
    if (match === null) continue;
    stack.length = depth;
    stack.push(match[1] ?? '');
    const methods = match[2];
    if (methods === undefined) continue;
    const url = stack.join('').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of methods.split(', ')) if (method !== 'HEAD') routes.push(`${method} ${url}`);
  }
  // A plugin's `/` under a prefix (`/sim`) answers at `/sim` and `/sim/`: one route, documented once.
  return routes.filter((route) => !routes.includes(`${route}/`)).sort();
}

type Operation = {
  tags?: string[];
  summary?: string;
  parameters?: { in: string; name: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

describe('the OpenAPI document', () => {
  let app: FastifyInstance;
  let cleanup: () => Promise<void>;
  let doc: {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, Operation>>;
  };

  beforeAll(async () => {
    const station = await embeddedStation();
    app = station.app;
    cleanup = station.cleanup;
    const response = await app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    // The auth rails answer here too: CSP and no-store like every other route.
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    doc = response.json();
  }, 60_000);
  afterAll(async () => cleanup?.());

  it('answers only at an allowed Host, like every route', async () => {
    const response = await app.inject({ url: '/openapi.json', headers: { host: 'rebound.example' } });
    expect(response.statusCode).toBe(421);
    expect(response.json().error.code).toBe('AUTH_HOST_NOT_ALLOWED');
  });

  it('is OpenAPI 3.1 with the station as its title', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toMatch(/station/);
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lists every route the router holds, and no other', () => {
    const documented: string[] = [];
    for (const [url, operations] of Object.entries(doc.paths))
      for (const method of Object.keys(operations)) documented.push(`${method.toUpperCase()} ${url}`);
    const routes = routerRoutes(app);
    // The station's surface: a few routes of each plugin, so a parse that found nothing cannot pass.
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /health',
        'POST /auth/login',
        'POST /enrollments/{id}/steps',
        'GET /verifications/{id}/report.pdf',
        'GET /outbox/events',
        'GET /streams/devices',
        'PUT /sim/scanner-hid/scenario',
      ]),
    );
    expect(documented.sort()).toEqual(routes);
  });

  it('gives every operation a tag, a summary, its inputs and its answers', () => {
    const missing: string[] = [];
    for (const [url, operations] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${url}`;
        if ((op.tags ?? []).length !== 1) missing.push(`${name}: one tag`);
        if ((op.summary ?? '').length < 10) missing.push(`${name}: summary`);
        for (const param of url.matchAll(/\{([^}]+)\}/g))
          if (!op.parameters?.some((p) => p.in === 'path' && p.name === param[1] && p.schema !== undefined))
            missing.push(`${name}: path parameter ${param[1]}`);
        if ((method === 'post' || method === 'put') && op.requestBody === undefined)
          missing.push(`${name}: request body`);
        const codes = Object.keys(op.responses ?? {});
        if (!codes.some((c) => /^2/.test(c))) missing.push(`${name}: a 2xx answer`);
        for (const c of ['4XX', '5XX']) {
          const error = op.responses?.[c]?.content?.['application/json']?.schema as
            | { properties?: { error?: { required?: string[] } } }
            | undefined;
          if (error?.properties?.error?.required?.join() !== 'code,message')
            missing.push(`${name}: the ${c} error shape`);
        }
      }
    expect(missing).toEqual([]);
  });

  it('holds schemas that are valid JSON Schema 2020-12 (the dialect of OpenAPI 3.1)', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    let count = 0;
    const check = (schema: unknown, where: string) => {
      if (schema === undefined) return;
      count++;
      expect(() => ajv.compile(schema as object), where).not.toThrow();
    };
    for (const [url, operations] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(operations)) {
        for (const p of op.parameters ?? []) check(p.schema, `${method} ${url} ${p.name}`);
        for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
          check(media.schema, `${method} ${url} body ${type}`);
        for (const [code, answer] of Object.entries(op.responses ?? {}))
          for (const [type, media] of Object.entries(answer.content ?? {}))
            check(media.schema, `${method} ${url} ${code} ${type}`);
      }
    expect(count).toBeGreaterThan(100);
  });

  it('documents the live streams as text/event-stream', () => {
    for (const url of ['/streams/devices', '/streams/outbox', '/outbox/events']) {
      const answer = doc.paths[url]?.get?.responses?.['200'];
      expect(Object.keys(answer?.content ?? {}), url).toEqual(['text/event-stream']);
    }
  });
});

describe('a refused request', () => {
  let app: FastifyInstance;
  let cleanup: () => Promise<void>;
  // The test officers: the workflows' routes answer without a session, so validation is what answers.
  beforeAll(async () => {
    ({ app, cleanup } = await embeddedStation({}, new ManualClock(), { officers: TEST_OFFICERS }));
  }, 60_000);
  afterAll(async () => cleanup?.());

  /** Every route of the document, its path parameters filled with a value every pattern takes. */
  async function routes(): Promise<{ method: string; url: string }[]> {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, object> };
    return Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => ({
        method: method.toUpperCase(),
        url: path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000'),
      })),
    );
  }

  it('every GET route refuses a query key it does not know', async () => {
    const accepted: string[] = [];
    const gets = (await routes()).filter((r) => r.method === 'GET');
    expect(gets.length).toBeGreaterThan(30);
    for (const { url } of gets) {
      const response = await app.inject({ url: `${url}?zzz=1` });
      const problems =
        response.statusCode === 400 ? (response.json().error.problems as { key: string }[]) : [];
      if (!problems.some((p) => p.key === 'querystring/zzz')) accepted.push(`${url}: ${response.statusCode}`);
    }
    expect(accepted).toEqual([]);
  });

  it('every POST and PUT route refuses a body key it does not know', async () => {
    const accepted: string[] = [];
    const writes = (await routes()).filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThan(30);
    for (const { method, url } of writes) {
      // Simulator actions take what each simulator's own schema says; /qr/decode takes an image.
      if (method === 'GET' || url.startsWith('/sim/') || url === '/qr/decode') continue;
      const response = await app.inject({ method: method as 'POST' | 'PUT', url, payload: { zzz: 1 } });
      const problems =
        response.statusCode === 400 ? (response.json().error.problems as { key: string }[]) : [];
      if (!problems.some((p) => p.key === 'body/zzz'))
        accepted.push(`${method} ${url}: ${response.statusCode}`);
    }
    expect(accepted).toEqual([]);
  });

  it('answers an unknown body key with a stable code, the field, and both languages', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { account: 'officer', password: 'x', remember: true },
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('REQUEST_INVALID');
    expect(error.problems).toEqual([
      expect.objectContaining({ key: 'body/remember', allowed: ['account', 'password'] }),
    ]);
    expect(error.messages.vi).toMatch(/không hợp lệ.*body\/remember/);
    expect(error.messages.en).toMatch(/Invalid request.*body\/remember/);
  });

  it('answers an unknown query key the same way, on a route that takes none', async () => {
    const response = await app.inject({ url: '/devices?verbose=1' });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('REQUEST_INVALID');
    expect(error.problems).toEqual([expect.objectContaining({ key: 'querystring/verbose' })]);
    expect(Object.keys(error.messages)).toEqual(['vi', 'en']);
  });

  it("gives a route's own refusals the officer's words in both languages too", async () => {
    const device = await app.inject({ url: '/devices/no-such-device' });
    expect(device.statusCode).toBe(404);
    expect(device.json().error).toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      message: expect.stringContaining('no-such-device'),
      messages: { vi: expect.stringMatching(/thiết bị/), en: expect.stringMatching(/device/) },
    });
    const packet = await app.inject({ method: 'POST', url: '/outbox/no-such-packet/retry' });
    expect(packet.statusCode).toBe(404);
    expect(packet.json().error).toMatchObject({
      code: 'OUTBOX_UNKNOWN_PACKET',
      messages: { vi: expect.stringMatching(/gói hồ sơ/), en: expect.stringMatching(/packet/) },
    });
  });

  it('answers an unknown route with NOT_FOUND in both languages', async () => {
    const response = await app.inject({ url: '/no-such-route' });
    expect(response.statusCode).toBe(404);
    const { error } = response.json();
    expect(error.code).toBe('NOT_FOUND');
    expect(error.messages.vi.length).toBeGreaterThan(10);
    expect(error.messages.en.length).toBeGreaterThan(10);
  });
});
