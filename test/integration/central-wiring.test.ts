/**
 * The running central simulator carries its fault controller and the population database's routes
 * (issue 18): a tester switches a fault on at run time over /v1/sim/faults and the next request
 * feels it; population lookups sit behind the client certificate like every other route.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCentral, startCentral } from '../../simulators/central/service.ts';

let dir: string;
let central: RunningCentral;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'central-wiring-'));
  central = await startCentral({ dataDir: dir, environment: 'test' });
}, 60_000);

afterAll(async () => {
  await central?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function call(
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; type: string; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${central.url}${route}`,
      {
        method,
        ca: central.tlsCaPem,
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = { text };
          }
          resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), json });
        });
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('central simulator wiring', () => {
  it('switches a fault on at run time: the next health probe gets the injected 503, then it clears', async () => {
    expect((await call('GET', '/v1/health')).status).toBe(200);
    const set = await call('PUT', '/v1/sim/faults', {
      seed: 1,
      faults: [{ kind: 'error5xx', status: 503, count: 1, path: '/v1/health' }],
    });
    expect(set.status).toBe(200);
    const faulted = await call('GET', '/v1/health');
    expect(faulted.status).toBe(503);
    expect(faulted.json.code).toBe('CENTRAL_FAULT_INJECTED');
    // count: 1 is spent; the next probe passes, and the counter says it fired once.
    expect((await call('GET', '/v1/health')).status).toBe(200);
    const state = await call('GET', '/v1/sim/faults');
    expect(JSON.stringify(state.json)).toMatch(/"fired":1/);
  });

  it('a captive portal answers HTML, which no station may take for central', async () => {
    await call('PUT', '/v1/sim/faults', {
      faults: [{ kind: 'captivePortal', count: 1, path: '/v1/health' }],
    });
    const portal = await call('GET', '/v1/health');
    expect(portal.type).toMatch(/text\/html/);
    await call('DELETE', '/v1/sim/faults');
  });

  it('population lookups need the client certificate', async () => {
    const answer = await call('GET', '/v1/population/citizens/001099012345');
    expect(answer.status).toBe(401);
    expect(answer.json.code).toBe('CENTRAL_CLIENT_CERTIFICATE_REQUIRED');
  });
});
