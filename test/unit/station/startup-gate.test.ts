/**
 * The startup gate over a real loopback socket: a truthful "starting" /health, typed 503s for the rest,
 * then the service's own answers on the same socket after the hand-over.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openStartupGate, STARTING_MESSAGE, type StartupGate } from '../../../station/startup-gate.ts';

let gate: StartupGate | undefined;
afterEach(async () => {
  await gate?.close();
  gate = undefined;
});

function portOf(g: StartupGate): number {
  return (g.server.address() as AddressInfo).port;
}

async function ask(port: number, method: string, route: string, body?: string) {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('startup gate', () => {
  it('answers /health as starting, with the stage and the stages done', async () => {
    let now = 1000;
    gate = await openStartupGate('127.0.0.1', 0, {
      version: '9.9.9',
      environment: 'test',
      stationId: 'desk-7',
      monotonic: () => now,
    });
    now = 1250;
    gate.advance('composing');
    now = 1400;
    const health = await ask(portOf(gate), 'GET', '/health?verbose=1');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'starting',
      version: '9.9.9',
      environment: 'test',
      stationId: 'desk-7',
      uptimeMs: 400,
      startup: { stage: 'composing', done: [{ name: 'loading', ms: 250 }] },
    });
    expect(health.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses every other request at once with a typed 503 and Retry-After', async () => {
    gate = await openStartupGate('127.0.0.1', 0, { version: '1', environment: 'test', stationId: 's' });
    for (const [method, route, body] of [
      ['GET', '/devices', undefined],
      ['POST', '/enrollments', JSON.stringify({ kind: 'first-issue' })],
      ['POST', '/health', '{}'],
    ] as const) {
      const answer = await ask(portOf(gate), method, route, body);
      expect(answer.status, `${method} ${route}`).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body).toEqual({
        error: { code: 'STATION_STARTING', message: STARTING_MESSAGE, stage: 'loading' },
      });
    }
  });

  it('hands every later request to the service on the same socket, with its server settings', async () => {
    gate = await openStartupGate('127.0.0.1', 0, { version: '1', environment: 'test', stationId: 's' });
    const port = portOf(gate);
    expect((await ask(port, 'GET', '/devices')).status).toBe(503);
    const settings = createServer();
    settings.keepAliveTimeout = 72_000;
    gate.handOver((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ served: request.url }));
    }, settings);
    gate.advance('ready');
    expect(await ask(port, 'GET', '/devices')).toMatchObject({ status: 200, body: { served: '/devices' } });
    expect(await ask(port, 'GET', '/health')).toMatchObject({ status: 200, body: { served: '/health' } });
    expect(gate.server.keepAliveTimeout).toBe(72_000);
    expect(gate.stage().current).toBe('ready');
  });

  it('refuses a Host the station does not answer to, as station/auth does', async () => {
    gate = await openStartupGate('127.0.0.1', 0, {
      version: '1',
      environment: 'test',
      stationId: 's',
      allowedHosts: ['127.0.0.1', 'localhost', '::1', 'desk-7.local'],
    });
    const port = portOf(gate);
    const withHost = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/health', headers: { host } },
          (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:8080', 'DESK-7.local:8080'])
      expect((await withHost(host)).status, host).toBe(200);
    for (const host of ['evil.example:8080', 'desk-7.local.evil.example', '127.0.0.1:8080/x']) {
      const refused = await withHost(host);
      expect(refused.status, host).toBe(421);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'AUTH_HOST_NOT_ALLOWED' } });
    }
  });

  it('fails to open on a taken port with Node’s listen error', async () => {
    gate = await openStartupGate('127.0.0.1', 0, { version: '1', environment: 'test', stationId: 's' });
    await expect(
      openStartupGate('127.0.0.1', portOf(gate), { version: '1', environment: 'test', stationId: 's' }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('closes with a request in flight only once it has been answered', async () => {
    gate = await openStartupGate('127.0.0.1', 0, { version: '1', environment: 'test', stationId: 's' });
    const port = portOf(gate);
    let finish: (() => void) | undefined;
    gate.handOver((_request, response) => {
      finish = () => response.end('{"late":true}');
    }, createServer());
    const answered = new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/slow' }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    while (finish === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    let closed = false;
    const closing = gate.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    finish();
    expect(await answered).toBe('{"late":true}');
    await closing;
    expect(gate.server.listening).toBe(false);
  });

  it('ends open event streams when it closes, so the drain does not wait for them', async () => {
    gate = await openStartupGate('127.0.0.1', 0, { version: '1', environment: 'test', stationId: 's' });
    const port = portOf(gate);
    let slowAnswer: (() => void) | undefined;
    gate.handOver((request, response) => {
      if (request.url === '/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('event: tick\ndata: {}\n\n');
      } else slowAnswer = () => response.end('{}');
    }, createServer());
    const get = (path: string, accept: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, headers: { accept } }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          response.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
    const stream = get('/stream', 'text/event-stream');
    const slow = get('/slow', 'application/json');
    while (slowAnswer === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    let closed = false;
    const closing = gate.close().then(() => {
      closed = true;
    });
    // The stream ends at once with what it sent; an ordinary request in flight is still waited for.
    expect(await stream).toBe('event: tick\ndata: {}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    slowAnswer();
    await slow;
    await closing;
    expect(gate.server.listening).toBe(false);
  });
});
