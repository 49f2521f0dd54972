/**
 * Store-and-forward through the running station (issue 18), on the embedded default: a sealed
 * packet travels to the embedded central (a child process, over mutual TLS) and comes back with a
 * receipt the station verified; with central unreachable, packets go out on removable media, central
 * ingests the folder, and the station imports the receipts; the screen's event stream says so.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationDeps } from '../../station/app.ts';
import { systemClock } from '../../station/clock.ts';
import { embeddedStation } from '../support/station.ts';

let app: FastifyInstance;
let deps: StationDeps;
let cleanup: () => Promise<void>;
let usb: string;
let centralUrl: string;
let centralCa: string;

function uuid(n: number): string {
  return `5a1e0000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

async function enroll(n: number) {
  const response = await app.inject({
    method: 'POST',
    url: '/sim/applicant/actions/enroll',
    payload: { seed: 11, packetId: uuid(n), enrollmentSessionId: uuid(1000 + n) },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().result as { packetId: string; sha256: string; size: number; state: string };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function outbox() {
  return (await app.inject('/outbox?limit=1000')).json() as {
    stats: { queued: number; acknowledged: number };
    uploader: { online: boolean; running: boolean };
    packets: { packetId: string; state: string; digest: string; exportedAt?: number }[];
  };
}

/** A call to the central simulator's open /v1/sim/ routes (no client certificate needed). */
function centralSim(
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${centralUrl}${route}`,
      { method, ca: centralCa, agent: false, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, json: JSON.parse(text || 'null') }),
        );
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  const station = await embeddedStation({ hotpath: { workers: 1 } }, systemClock);
  app = station.app;
  deps = station.deps;
  cleanup = station.cleanup;
  usb = mkdtempSync(path.join(tmpdir(), 'usb-stick-'));
  const health = (await app.inject('/health')).json();
  centralUrl = health.central.url;
  // The embedded central's TLS CA is what the station pins; the data folder keeps it.
  const { readFileSync } = await import('node:fs');
  centralCa = readFileSync(path.join(deps.config.dataDir, 'central', 'tls', 'ca.crt'), 'utf8');
  // Registered and online before the tests begin.
  await waitFor(
    'the uploader online',
    async () => ((await outbox()).uploader.online ? true : undefined),
    60_000,
  );
}, 120_000);

afterAll(async () => {
  await cleanup?.();
  if (usb !== undefined) rmSync(usb, { recursive: true, force: true });
});

describe('store-and-forward on the embedded default', () => {
  it('a sealed packet is uploaded and acknowledged with a receipt bound to its digest', async () => {
    const sealed = await enroll(1);
    expect(sealed.state).toBe('queued');
    await waitFor('the receipt', async () =>
      (await outbox()).packets.find((p) => p.packetId === sealed.packetId && p.state === 'acknowledged'),
    );
    const shown = (await app.inject(`/outbox/${sealed.packetId}`)).json();
    expect(shown.receipt.statement).toMatchObject({
      kind: 'receipt',
      packetId: sealed.packetId,
      sha256: sealed.sha256,
      size: sealed.size,
      stationId: deps.config.stationId,
      environment: 'test',
    });
    const status = await app.inject(`/central/packets/${sealed.packetId}/status`);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ packetId: sealed.packetId, status: 'received' });
    // Sealing again with the same packet id changes nothing.
    const again = await enroll(1);
    expect(again.sha256).toBe(sealed.sha256);
  }, 120_000);

  it('with central unreachable, packets go out on USB and their receipts come back from it', async () => {
    // Every central route but the simulator's own control fails from now on.
    const faults = await centralSim('PUT', '/v1/sim/faults', {
      faults: [{ kind: 'error5xx', path: '/v1/' }],
    });
    expect(faults.status).toBe(200);
    const a = await enroll(2);
    const b = await enroll(3);
    // Central answers, but only with errors: the uploader keeps both packets queued and retries.

    const exported = await app.inject({ method: 'POST', url: '/outbox/export', payload: { folder: usb } });
    expect(exported.statusCode, exported.body).toBe(200);
    const folder = exported.json().folder as string;
    expect(
      exported
        .json()
        .manifest.packets.map((p: { packetId: string }) => p.packetId)
        .sort(),
    ).toEqual([a.packetId, b.packetId].sort());
    // Exported packets stay queued until their receipts come back.
    const before = await outbox();
    for (const id of [a.packetId, b.packetId]) {
      const entry = before.packets.find((p) => p.packetId === id);
      // Waiting: queued, or leased by the uploader that keeps failing against central.
      expect(['queued', 'uploading']).toContain(entry?.state);
      expect(entry?.exportedAt).toBeTypeOf('number');
    }

    const ingested = await centralSim('POST', '/v1/sim/ingest', { folder });
    expect(ingested.status, JSON.stringify(ingested.json)).toBe(200);
    expect(readdirSync(path.join(folder, 'receipts')).sort()).toEqual(
      [`${a.packetId}.jws`, `${b.packetId}.jws`].sort(),
    );

    const imported = await app.inject({ method: 'POST', url: '/outbox/import', payload: { folder } });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toMatchObject({ acknowledged: 2, refused: 0 });
    const after = await outbox();
    for (const id of [a.packetId, b.packetId])
      expect(after.packets.find((p) => p.packetId === id)?.state).toBe('acknowledged');

    await centralSim('DELETE', '/v1/sim/faults');
  }, 120_000);

  it('an import folder with a forged receipt refuses it and applies nothing', async () => {
    const c = await enroll(4);
    const forged = path.join(usb, 'forged');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(path.join(forged, 'receipts'), { recursive: true });
    writeFileSync(path.join(forged, 'receipts', `${c.packetId}.jws`), 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA');
    const imported = await app.inject({ method: 'POST', url: '/outbox/import', payload: { folder: forged } });
    expect(imported.statusCode).toBe(200);
    expect(imported.json()).toMatchObject({ acknowledged: 0, refused: 1 });
    expect(imported.json().reports[0].code).toMatch(/^IMPORT_STATEMENT_/);
  }, 60_000);

  it('streams the uploader state to the screen as server-sent events', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const first = await new Promise<string>((resolve, reject) => {
      const request = http.get(`http://127.0.0.1:${address.port}/outbox/events`, (response) => {
        expect(response.headers['content-type']).toMatch(/text\/event-stream/);
        response.setEncoding('utf8');
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('\n\n')) {
            request.destroy();
            resolve(text);
          }
        });
      });
      request.on('error', reject);
    });
    expect(first).toMatch(/^id: 1\nevent: state\ndata: \{"type":"state","state":\{"running":true/);
  });
});
