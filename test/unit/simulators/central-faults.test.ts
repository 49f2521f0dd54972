import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import Fastify from 'fastify';
import * as tus from 'tus-js-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CentralFaults,
  CentralFaultsError,
  type FaultSpec,
  installFaultHook,
  registerFaultRoutes,
} from '../../../simulators/central/faults.ts';

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}
type Outcome = Answer | { readonly error: string };

/** One request on a fresh connection; a reset or hang-up comes back as `{ error }`. */
function send(port: number, method: string, path: string, body?: Uint8Array): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    if (body) {
      // Several writes, so the server sees several chunks.
      for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
    }
    req.end();
  });
}

function answered(outcome: Outcome): Answer {
  if ('error' in outcome) throw new Error(`expected an answer, got ${outcome.error}`);
  return outcome;
}

interface Target {
  readonly port: number;
  /** Body bytes the handler received, per request, in arrival order (also for aborted requests). */
  readonly received: number[];
  close(): Promise<void>;
}

/** A node:http app that runs the hooks first, then reads the body and answers its length and digest. */
async function startTarget(faults: CentralFaults): Promise<Target> {
  const received: number[] = [];
  const server: Server = createServer(async (req, res) => {
    if ((await faults.onRequest(req, res)) === 'handled') return;
    const index = received.push(0) - 1;
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => {
      received[index] = (received[index] ?? 0) + chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ bytes: received[index], sha256: hash.digest('hex') }));
    });
    req.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function target(faults: FaultSpec[], seed?: number): Promise<{ faults: CentralFaults; t: Target }> {
  const hooks = new CentralFaults(seed === undefined ? { faults } : { faults, seed });
  const t = await startTarget(hooks);
  cleanups.push(() => t.close());
  return { faults: hooks, t };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function firedOf(faults: CentralFaults, id: string): number | undefined {
  return faults.snapshot().faults.find((f) => f.id === id)?.fired;
}

describe('CentralFaults triggers', () => {
  it('fires a counted fault exactly count times, then stays listed with remaining 0', () => {
    const faults = new CentralFaults({ faults: [{ kind: 'diskFull', count: 3 }] });
    const calls = Array.from({ length: 6 }, () => faults.diskFull());
    expect(calls).toEqual([true, true, true, false, false, false]);
    expect(faults.snapshot().faults).toEqual([
      { kind: 'diskFull', count: 3, id: 'diskFull-0', remaining: 0, fired: 3 },
    ]);
    expect(faults.snapshot().fired.diskFull).toBe(3);
  });

  it('is reproducible for a seed: the same seed gives the same firings, another seed others', () => {
    const run = (seed: number) => {
      const faults = new CentralFaults({ seed, faults: [{ kind: 'commitThenDrop', probability: 0.3 }] });
      return Array.from({ length: 400 }, (_, i) => faults.afterCommit(`p${i}`));
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    expect(run(43)).not.toEqual(a);
    const drops = a.filter((x) => x === 'drop').length;
    expect(drops).toBeGreaterThan(400 * 0.2);
    expect(drops).toBeLessThan(400 * 0.4);
  });

  it('restarts the generator on set(): the same set and seed replay the same firings', () => {
    const faults = new CentralFaults({ seed: 7 });
    const spec: FaultSpec[] = [{ kind: 'diskFull', probability: 0.5 }];
    faults.set(spec, 99);
    const first = Array.from({ length: 64 }, () => faults.diskFull());
    faults.set(spec, 99);
    expect(Array.from({ length: 64 }, () => faults.diskFull())).toEqual(first);
    expect(faults.snapshot().seed).toBe(99);
    faults.set(spec);
    expect(faults.snapshot().seed).toBe(7);
  });

  it('answers or drops nothing without faults, and keeps per-kind totals across clear()', () => {
    const faults = new CentralFaults({ faults: [{ kind: 'commitThenDrop', count: 1 }] });
    expect(faults.afterCommit('a')).toBe('drop');
    expect(faults.afterCommit('b')).toBe('answer');
    faults.clear();
    expect(faults.diskFull()).toBe(false);
    expect(faults.snapshot()).toMatchObject({ faults: [], fired: { commitThenDrop: 1, diskFull: 0 } });
  });

  it('refuses an invalid set with every problem and keeps the current one', () => {
    const faults = new CentralFaults({ faults: [{ kind: 'diskFull' }] });
    let error: unknown;
    try {
      faults.set([
        { kind: 'latency' } as unknown as FaultSpec,
        { kind: 'error5xx', status: 404 },
        { kind: 'diskFull', path: '/v1/uploads' },
        { kind: 'captivePortal', id: 'x' },
        { kind: 'captivePortal', id: 'x' },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CentralFaultsError);
    const problems = (error as CentralFaultsError).problems.map((p) => p.path);
    expect(problems).toEqual(expect.arrayContaining(['/faults/0/ms', '/faults/1/status']));
    expect((error as CentralFaultsError).code).toBe('CENTRAL_SIM_FAULTS_INVALID');
    expect(faults.diskFull()).toBe(true);
    // The semantic checks run once the shape is right.
    expect(() =>
      faults.set([
        { kind: 'diskFull', path: '/v1/uploads' },
        { kind: 'captivePortal', id: 'x' },
        { kind: 'captivePortal', id: 'x' },
      ]),
    ).toThrow(/path and method do not apply.*repeats the id 'x'/);
  });
});

describe('CentralFaults on a node:http server', () => {
  it('delays matching requests by latency ms and leaves others alone', async () => {
    const { t } = await target([{ kind: 'latency', ms: 300, path: '/v1/uploads' }]);
    let start = performance.now();
    expect(answered(await send(t.port, 'GET', '/v1/uploads/x')).status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(295);
    start = performance.now();
    expect(answered(await send(t.port, 'GET', '/v1/health')).status).toBe(200);
    expect(performance.now() - start).toBeLessThan(250);
  });

  it('answers the next N matching requests with the injected 5xx, then lets them through', async () => {
    const { faults, t } = await target([
      { id: 'boom', kind: 'error5xx', status: 502, count: 2, method: 'POST' },
    ]);
    expect(answered(await send(t.port, 'GET', '/v1/uploads')).status).toBe(200);
    const first = answered(await send(t.port, 'POST', '/v1/uploads', new Uint8Array(10)));
    expect(first.status).toBe(502);
    expect(JSON.parse(first.body.toString())).toMatchObject({
      code: 'CENTRAL_FAULT_INJECTED',
      message: { vi: expect.any(String), en: expect.any(String) },
    });
    expect(answered(await send(t.port, 'POST', '/v1/uploads', new Uint8Array(10))).status).toBe(502);
    expect(answered(await send(t.port, 'POST', '/v1/uploads', new Uint8Array(10))).status).toBe(200);
    expect(firedOf(faults, 'boom')).toBe(2);
  });

  it('never faults the simulator control routes', async () => {
    const { t } = await target([{ kind: 'error5xx' }]);
    expect(answered(await send(t.port, 'GET', '/v1/sim/faults')).status).toBe(200);
    expect(answered(await send(t.port, 'GET', '/v1/simulated')).status).toBe(503);
  });

  it('answers a captive portal login page as HTML with 200', async () => {
    const { t } = await target([{ kind: 'captivePortal' }]);
    const answer = answered(await send(t.port, 'GET', '/v1/packets/p/receipt'));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.body.toString()).toMatch(/<form[^>]*login/);
  });

  it('rejects the certificate with 403, or by destroying the connection', async () => {
    const { faults, t } = await target([
      { id: 'words', kind: 'certificateRejected', count: 1 },
      { id: 'reset', kind: 'certificateRejected', action: 'destroy', count: 1 },
    ]);
    const first = answered(await send(t.port, 'GET', '/v1/certificate'));
    expect(first.status).toBe(403);
    expect(JSON.parse(first.body.toString()).code).toBe('CENTRAL_CERTIFICATE_REJECTED');
    expect(await send(t.port, 'GET', '/v1/certificate')).toEqual({ error: 'ECONNRESET' });
    expect(answered(await send(t.port, 'GET', '/v1/certificate')).status).toBe(200);
    expect([firedOf(faults, 'words'), firedOf(faults, 'reset')]).toEqual([1, 1]);
  });

  it('resets a PATCH after exactly afterBytes body bytes reached the handler', async () => {
    const { faults, t } = await target([{ id: 'cut', kind: 'resetMidUpload', afterBytes: 30_000, count: 1 }]);
    const body = randomBytes(100_000);
    // A POST is not a PATCH: the default method filter lets it through whole.
    expect(JSON.parse(answered(await send(t.port, 'POST', '/v1/uploads', body)).body.toString()).bytes).toBe(
      100_000,
    );
    const outcome = await send(t.port, 'PATCH', '/v1/uploads/abc', body);
    expect(outcome).toHaveProperty('error');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.received).toEqual([100_000, 30_000]);
    expect(firedOf(faults, 'cut')).toBe(1);
    // Used up: the next PATCH goes through.
    const again = JSON.parse(answered(await send(t.port, 'PATCH', '/v1/uploads/abc', body)).body.toString());
    expect(again.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('gives the reservation back when a PATCH body ends before afterBytes', async () => {
    const { faults, t } = await target([{ id: 'cut', kind: 'resetMidUpload', afterBytes: 5_000, count: 1 }]);
    expect(answered(await send(t.port, 'PATCH', '/v1/uploads/a', randomBytes(4_000))).status).toBe(200);
    expect(faults.snapshot().faults[0]).toMatchObject({ remaining: 1, fired: 0 });
    expect(await send(t.port, 'PATCH', '/v1/uploads/a', randomBytes(6_000))).toHaveProperty('error');
    expect(faults.snapshot().faults[0]).toMatchObject({ remaining: 0, fired: 1 });
  });

  it('throttles the request body to bytesPerSecond and keeps every byte in order', async () => {
    const { faults, t } = await target([
      { id: 'slow', kind: 'slowLink', bytesPerSecond: 200_000, path: '/slow' },
    ]);
    const body = randomBytes(120_000);
    let start = performance.now();
    const fast = JSON.parse(answered(await send(t.port, 'PUT', '/fast', body)).body.toString());
    const fastMs = performance.now() - start;
    start = performance.now();
    const slow = JSON.parse(answered(await send(t.port, 'PUT', '/slow', body)).body.toString());
    const slowMs = performance.now() - start;
    const digest = createHash('sha256').update(body).digest('hex');
    expect([fast.sha256, slow.sha256]).toEqual([digest, digest]);
    // 120 000 bytes at 200 000 B/s: 0.6 s, less the first 1/20 s slice that goes at once.
    expect(slowMs).toBeGreaterThanOrEqual(540);
    expect(slowMs).toBeLessThan(2_000);
    expect(fastMs).toBeLessThan(slowMs / 2);
    expect(firedOf(faults, 'slow')).toBe(1);
  });
});

describe('the control API (fastify)', () => {
  function app(faults = new CentralFaults({ seed: 5 })) {
    const fastify = Fastify();
    registerFaultRoutes(fastify, faults);
    cleanups.push(() => fastify.close());
    return { fastify, faults };
  }

  it('replaces the set with PUT, reports it and its counters with GET, and clears with DELETE', async () => {
    const { fastify, faults } = app();
    const put = await fastify.inject({
      method: 'PUT',
      url: '/v1/sim/faults',
      payload: {
        seed: 11,
        faults: [
          { kind: 'diskFull', count: 2 },
          { kind: 'latency', ms: 5, probability: 0.5 },
        ],
      },
    });
    expect(put.statusCode).toBe(200);
    faults.diskFull();
    const got = (await fastify.inject({ method: 'GET', url: '/v1/sim/faults' })).json();
    expect(got).toEqual({
      seed: 11,
      faults: [
        { kind: 'diskFull', count: 2, id: 'diskFull-0', remaining: 1, fired: 1 },
        { kind: 'latency', ms: 5, probability: 0.5, id: 'latency-1', remaining: null, fired: 0 },
      ],
      fired: expect.objectContaining({ diskFull: 1, latency: 0 }),
    });
    const deleted = (await fastify.inject({ method: 'DELETE', url: '/v1/sim/faults' })).json();
    expect(deleted).toMatchObject({ faults: [], fired: { diskFull: 1 } });
    expect(faults.diskFull()).toBe(false);
  });

  it.each([
    ['no faults key', {}, '/faults'],
    ['an unknown kind', { faults: [{ kind: 'meteor' }] }, '/faults/0/kind'],
    ['an unknown key', { faults: [{ kind: 'captivePortal', colour: 'red' }] }, '/faults/0/colour'],
    ['a probability above 1', { faults: [{ kind: 'diskFull', probability: 2 }] }, '/faults/0/probability'],
    ['a negative latency', { faults: [{ kind: 'latency', ms: -1 }] }, '/faults/0/ms'],
    ['a method filter on diskFull', { faults: [{ kind: 'diskFull', method: 'PATCH' }] }, '/faults/0'],
    ['a body that is not an object', [1, 2], ''],
  ])('answers 400 CENTRAL_SIM_FAULTS_INVALID for %s and keeps the set', async (_name, payload, where) => {
    const { fastify, faults } = app(new CentralFaults({ faults: [{ kind: 'diskFull' }] }));
    const res = await fastify.inject({ method: 'PUT', url: '/v1/sim/faults', payload });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('CENTRAL_SIM_FAULTS_INVALID');
    expect(body.problems.map((p: { path: string }) => p.path)).toContain(where);
    expect(faults.diskFull()).toBe(true);
  });

  it('installFaultHook answers through fastify and resets a PATCH before the body parser finishes', async () => {
    const faults = new CentralFaults({
      faults: [
        { kind: 'error5xx', path: '/v1/health', count: 1 },
        { kind: 'resetMidUpload', afterBytes: 10_000 },
      ],
    });
    const fastify = Fastify();
    cleanups.push(() => fastify.close());
    installFaultHook(fastify, faults);
    registerFaultRoutes(fastify, faults);
    let parsed = 0;
    fastify.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_r, body, done) => {
      parsed += (body as Buffer).length;
      done(null, body);
    });
    fastify.get('/v1/health', async () => ({ status: 'ok' }));
    fastify.patch('/v1/uploads/:id', async (request) => ({ bytes: (request.body as Buffer).length }));
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    const port = (fastify.server.address() as AddressInfo).port;
    expect(answered(await send(port, 'GET', '/v1/health')).status).toBe(503);
    expect(answered(await send(port, 'GET', '/v1/health')).status).toBe(200);
    expect(await send(port, 'PATCH', '/v1/uploads/u1', randomBytes(50_000))).toHaveProperty('error');
    expect(parsed).toBe(0);
    expect(answered(await send(port, 'GET', '/v1/sim/faults')).status).toBe(200);
    expect(faults.snapshot().fired).toMatchObject({ error5xx: 1, resetMidUpload: 1 });
  });
});

describe('CentralFaults in front of @tus/server (as central wires it)', () => {
  async function tusTarget(faults: CentralFaults) {
    const dir = await mkdtemp(path.join(tmpdir(), 'central-faults-tus-'));
    const tusServer = new TusServer({
      path: '/v1/uploads',
      relativeLocation: true,
      datastore: new FileStore({ directory: dir }),
    });
    const patchOffsets: number[] = [];
    const server = createServer(async (req, res) => {
      if (req.method === 'PATCH') patchOffsets.push(Number(req.headers['upload-offset']));
      if ((await faults.onRequest(req, res)) === 'handled') return;
      await tusServer.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/uploads`,
      dir,
      patchOffsets,
    };
  }

  function upload(endpoint: string, data: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const u = new tus.Upload(data, {
        endpoint,
        uploadSize: data.length,
        retryDelays: [0, 50, 100],
        metadata: { packetId: 'p-1' },
        onError: reject,
        onSuccess: () => resolve(u.url ?? ''),
      });
      u.start();
    });
  }

  it('a reset mid-PATCH leaves exactly afterBytes stored, and the client resumes from there', async () => {
    const faults = new CentralFaults({ faults: [{ kind: 'resetMidUpload', afterBytes: 100_000, count: 1 }] });
    const t = await tusTarget(faults);
    const data = randomBytes(300_000);
    const url = await upload(t.url, data);
    expect(t.patchOffsets).toEqual([0, 100_000]);
    const id = url.split('/').pop() ?? '';
    expect(sha(await readFile(path.join(t.dir, id)))).toBe(sha(data));
    expect(faults.snapshot().fired.resetMidUpload).toBe(1);
  });

  it('a slow link paces the PATCH body into the store', async () => {
    const faults = new CentralFaults({
      faults: [{ kind: 'slowLink', bytesPerSecond: 400_000, method: 'PATCH' }],
    });
    const t = await tusTarget(faults);
    const data = randomBytes(200_000);
    const start = performance.now();
    const url = await upload(t.url, data);
    // 200 000 bytes at 400 000 B/s: 0.5 s, less the first 1/20 s slice.
    expect(performance.now() - start).toBeGreaterThanOrEqual(440);
    expect(sha(await readFile(path.join(t.dir, url.split('/').pop() ?? '')))).toBe(sha(data));
  });
});
