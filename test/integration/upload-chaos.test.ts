/**
 * Network chaos (issue 18, item 5): the station's uploader as the station assembles it
 * (createCentralUploader, a real Outbox on NodeOutboxFs, receipts verified against central's pinned
 * statement certificates) uploads real sealed packets to the real central simulator, running in a
 * child process (spawnCentral), through a loopback TCP proxy that cuts, stalls, slows and refuses
 * connections (test/support/chaos-proxy.ts), and with central's own faults switched on at run time
 * through `PUT /v1/sim/faults`. Whatever happens on the way, every packet ends acknowledged, exactly
 * once in central's raw log (`<dataDir>/log/accepted.jsonl`), and nothing is dead-lettered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodePaCrypto } from '../../drivers/crypto/pa-node.ts';
import type { FaultSnapshot, FaultSpec } from '../../simulators/central/faults.ts';
import { type SpawnedCentral, spawnCentral } from '../../simulators/central/process.ts';
import { NodeOutboxFs } from '../../station/outbox/node-fs.ts';
import { Outbox } from '../../station/outbox/outbox.ts';
import {
  type CentralUploader,
  createCentralUploader,
  type UploaderEvent,
} from '../../station/uploader/index.ts';
import {
  acceptedLog,
  type EnrolledStation,
  enrollStation,
  packetSealer,
  pinnedStatementKeys,
  type SealedPacket,
} from '../support/central-station.ts';
import { type ChaosProxy, startChaosProxy } from '../support/chaos-proxy.ts';

const STATION_ID = 'station-chaos-01';
/** Two fingers of this many bytes: sealed packets of about 400 KB, the station's usual size. */
const IMAGE_BYTES = 200_000;
const FAST = { baseMs: 20, maxMs: 200, factor: 2 };
/**
 * Client-to-server bytes a connection may cost besides packet bodies: the TLS handshake with the
 * station certificate (about 3 KB), a health probe, GET receipt, POST, HEAD and PATCH headers, TLS
 * record framing. Generous on purpose; a resend from the start of a packet is 10 times more.
 */
const PER_CONNECTION_OVERHEAD = 16 * 1024;
const PER_PACKET_OVERHEAD = 8 * 1024;

const verifySignature = createNodePaCrypto().verifySignature;
let dir: string;
let central: SpawnedCentral;
let station: EnrolledStation;
let seal: () => Promise<SealedPacket>;
let proxy: ChaosProxy | undefined;
const open: CentralUploader[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'upload-chaos-'));
  central = await spawnCentral({
    dataDir: path.join(dir, 'central'),
    environment: 'test',
    statusStepMs: 3_600_000,
  });
  station = await enrollStation(central, STATION_ID);
  seal = packetSealer(central, station, { imageBytes: IMAGE_BYTES });
}, 90_000);

afterEach(async () => {
  for (const u of open.splice(0)) await u.close();
  await proxy?.close();
  proxy = undefined;
  await sim('DELETE', '/v1/sim/faults');
});

afterAll(async () => {
  await central?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Central's control API (`/v1/sim/*` needs no client certificate), straight, not through the proxy. */
function sim(method: 'GET' | 'PUT' | 'DELETE', route: string, body?: unknown): Promise<FaultSnapshot> {
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
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(JSON.parse(text) as FaultSnapshot)
            : reject(new Error(`${method} ${route}: ${response.statusCode} ${text}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function newProxy(): Promise<ChaosProxy> {
  proxy = await startChaosProxy({ target: { host: '127.0.0.1', port: Number(new URL(central.url).port) } });
  return proxy;
}

type Settings = NonNullable<Parameters<typeof createCentralUploader>[0]['settings']>;

/**
 * A station outbox holding `count` fresh sealed packets (sealed but not yet enqueued with `hold`)
 * and an uploader reaching central at `url`.
 */
async function stationWith(
  name: string,
  count: number,
  url: string,
  settings: Settings,
  options: { readonly hold?: boolean } = {},
) {
  const outbox = await Outbox.open({ fs: new NodeOutboxFs(path.join(dir, name)) });
  const packets: SealedPacket[] = [];
  for (let i = 0; i < count; i += 1) {
    const packet = await seal();
    packets.push(packet);
    if (!options.hold) await outbox.enqueue(packet.id, packet.bytes);
  }
  const u = createCentralUploader({
    url,
    tls: { key: station.keyPem, cert: station.certificatePem, ca: central.tlsCaPem },
    outbox,
    pinned: pinnedStatementKeys(central.statementCertificatesPem),
    verifySignature,
    stationId: STATION_ID,
    environment: 'test',
    settings: { backoff: FAST, probeBackoff: FAST, idlePollMs: 500, ...settings },
  });
  open.push(u);
  const events: UploaderEvent[] = [];
  u.uploader.subscribe((e) => events.push(e));
  const allAcknowledged = (timeout: number) =>
    vi.waitFor(
      () => {
        const states = outbox.list().map((e) => e.state);
        if (!states.every((s) => s === 'acknowledged'))
          throw new Error(
            `not all acknowledged: ${JSON.stringify({
              states,
              snapshot: u.uploader.snapshot(),
              events: events.filter((e) => e.type !== 'progress').slice(-12),
            })}`,
          );
      },
      { timeout, interval: 20 },
    );
  return { outbox, packets, uploader: u.uploader, events, allAcknowledged };
}

/** Each packet once in central's raw log of accepted packets. */
function expectEachOnceInLog(packets: readonly SealedPacket[]): void {
  const log = acceptedLog(central.dataDir);
  for (const p of packets)
    expect(
      log.filter((line) => line.packetId === p.id),
      p.id,
    ).toHaveLength(1);
}

const problems = (events: readonly UploaderEvent[]) =>
  events.flatMap((e) => (e.type === 'problem' ? [e] : []));

describe('uploads through a chaotic network', () => {
  it('cut repeatedly mid-upload: all acknowledged once, at most one chunk sent again per cut', async () => {
    const p = await newProxy();
    const chunkSize = 32 * 1024;
    // Per packet, the cuts: bytes up (since the packet started, or since the last cut) before each.
    const plan = [[150_000, 80_000], [200_000], [260_000], [170_000, 120_000], [330_000]];
    const s = await stationWith(
      'cuts',
      plan.length,
      p.url('', 'https'),
      { concurrency: 1, chunkSize },
      // One packet in the queue at a time, so the bytes of each are counted on their own (a worker
      // takes the next packet while one backs off after a cut).
      { hold: true },
    );
    const perPacket: { id: string; up: number; connections: number; cuts: number; size: number }[] = [];
    let index = 0;
    let cutsLeft: number[] = [];
    let mark = { up: 0, connections: 0, cuts: 0 };
    const arm = () => {
      const next = cutsLeft.shift();
      if (next !== undefined) p.cutAfter(next);
    };
    const enqueueNext = async () => {
      const packet = s.packets[index];
      if (packet === undefined) return;
      const stats = p.stats;
      mark = { up: stats.bytesUp, connections: stats.connections, cuts: stats.cuts };
      cutsLeft = [...(plan[index] ?? [])];
      arm();
      await s.outbox.enqueue(packet.id, packet.bytes);
      s.uploader.wake();
    };
    let failed: unknown;
    s.uploader.subscribe((e) => {
      // The next cut of this packet once the last one happened.
      if (e.type === 'problem' && e.packetId !== undefined && p.stats.cuts > mark.cuts) arm();
      if (e.type !== 'acknowledged') return;
      const stats = p.stats;
      perPacket.push({
        id: e.packetId,
        up: stats.bytesUp - mark.up,
        connections: stats.connections - mark.connections,
        cuts: stats.cuts - mark.cuts,
        size: s.packets[index]?.bytes.length ?? 0,
      });
      p.setMode('pass');
      index += 1;
      enqueueNext().catch((error: unknown) => {
        failed = error;
      });
    });
    s.uploader.start();
    await enqueueNext();
    await vi.waitFor(() => expect(perPacket.length + (failed === undefined ? 0 : 100)).toBe(plan.length), {
      timeout: 45_000,
      interval: 20,
    });
    expect(failed).toBeUndefined();
    await s.allAcknowledged(45_000);

    // Packets go in enqueue order, one at a time, each cut as planned.
    expect(perPacket.map((x) => x.id)).toEqual(s.packets.map((x) => x.id));
    expect(perPacket.map((x) => x.cuts)).toEqual(plan.map((cuts) => cuts.length));
    expect(p.stats.cuts).toBe(7);
    for (const [i, x] of perPacket.entries()) {
      // Everything once, plus at most one chunk again per cut (and the reconnections' own bytes).
      expect(x.up, `packet ${i}`).toBeGreaterThanOrEqual(x.size);
      expect(x.up - x.size, `packet ${i}: ${JSON.stringify(x)}`).toBeLessThanOrEqual(
        x.cuts * chunkSize + x.connections * PER_CONNECTION_OVERHEAD + PER_PACKET_OVERHEAD,
      );
    }
    expect(problems(s.events).some((e) => e.code === 'UPLOAD_CONNECTION_LOST')).toBe(true);
    expect(s.events.some((e) => e.type === 'dead-lettered')).toBe(false);
    expectEachOnceInLog(s.packets);
  }, 60_000);

  it('a stall longer than the request timeout: a problem, offline, then recovery when it ends', async () => {
    const p = await newProxy();
    // A slow link first, so the stall catches the uploads in the middle.
    p.throttle(400_000);
    const s = await stationWith('stall', 2, p.url('', 'https'), {
      concurrency: 2,
      chunkSize: 64 * 1024,
      timeoutMs: 1_000,
    });
    s.uploader.start();
    await vi.waitFor(
      () => expect(s.events.some((e) => e.type === 'progress' && e.bytesSent > 0)).toBe(true),
      { timeout: 10_000, interval: 5 },
    );
    p.stall(3_500);
    const stalledAt = Date.now();
    await vi.waitFor(
      () => {
        const timedOut = problems(s.events).some(
          (e) => e.packetId !== undefined && e.code === 'UPLOAD_TIMEOUT',
        );
        expect(timedOut).toBe(true);
        expect(s.uploader.snapshot().online).toBe(false);
      },
      { timeout: 5_000, interval: 10 },
    );
    expect(s.uploader.snapshot().offlineSince).not.toBeNull();
    p.setMode('pass'); // the stall still holds; then the link is fast
    await s.allAcknowledged(20_000);
    expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(3_000);
    expect(s.uploader.snapshot()).toMatchObject({ online: true, offlineSince: null, queueDepth: 0 });
    expect(s.events.some((e) => e.type === 'dead-lettered')).toBe(false);
    expectEachOnceInLog(s.packets);
  }, 40_000);

  it('a slow link: progress events arrive as the bytes go and the upload completes', async () => {
    const p = await newProxy();
    const rate = 250_000;
    p.throttle(rate);
    const s = await stationWith('slow', 1, p.url('', 'https'), {
      concurrency: 1,
      chunkSize: 64 * 1024,
      // Shorter than the whole upload: a slow link that keeps moving is not a stalled one.
      timeoutMs: 1_000,
    });
    const size = s.packets[0]?.bytes.length ?? 0;
    const started = Date.now();
    s.uploader.start();
    await s.allAcknowledged(20_000);
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeGreaterThanOrEqual((size / rate) * 0.8);
    const progress = s.events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    const sent = progress.map((e) => e.bytesSent);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ bytesSent: size, bytesTotal: size });
    expect(problems(s.events)).toEqual([]);
    expectEachOnceInLog(s.packets);
  }, 30_000);

  it('central unreachable (connections refused): offline since then, online again when it passes', async () => {
    const p = await newProxy();
    p.setMode('refuse');
    const s = await stationWith('refused', 2, p.url('', 'https'), { concurrency: 2, chunkSize: 64 * 1024 });
    const before = Date.now();
    s.uploader.start();
    await vi.waitFor(
      () => {
        const state = s.uploader.snapshot();
        expect(state.online).toBe(false);
        expect(state.offlineSince).not.toBeNull();
      },
      { timeout: 5_000, interval: 10 },
    );
    const offlineSince = s.uploader.snapshot().offlineSince ?? 0;
    expect(offlineSince).toBeGreaterThanOrEqual(before - 1_000);
    // It keeps probing and stays offline while refused; the packets wait.
    await new Promise((r) => setTimeout(r, 500));
    expect(p.stats.refused).toBeGreaterThanOrEqual(2);
    expect(s.uploader.snapshot()).toMatchObject({ online: false, offlineSince, queueDepth: 2 });
    expect(s.outbox.list().map((e) => e.state)).not.toContain('acknowledged');
    p.setMode('pass');
    await s.allAcknowledged(15_000);
    expect(s.uploader.snapshot()).toMatchObject({ online: true, offlineSince: null, queueDepth: 0 });
    expect(s.events.some((e) => e.type === 'state' && e.state.online && e.state.offlineSince === null)).toBe(
      true,
    );
    expect(s.events.some((e) => e.type === 'dead-lettered')).toBe(false);
    expectEachOnceInLog(s.packets);
  }, 30_000);

  it("central's run-time faults (captive portal, reset mid-upload, commit-then-drop): no duplicate, no dead-letter", async () => {
    const faults: FaultSpec[] = [
      { id: 'portal', kind: 'captivePortal', count: 3 },
      { id: 'reset', kind: 'resetMidUpload', afterBytes: 100_000, count: 2 },
      { id: 'drop', kind: 'commitThenDrop', count: 2 },
    ];
    await sim('PUT', '/v1/sim/faults', { seed: 18, faults });
    const p = await newProxy();
    const s = await stationWith('faults', 4, p.url('', 'https'), {
      concurrency: 2,
      // The station's default chunk: a PATCH body is longer than the reset's 100,000 bytes.
      chunkSize: 256 * 1024,
    });
    s.uploader.start();
    await s.allAcknowledged(30_000);
    const snapshot = await sim('GET', '/v1/sim/faults');
    expect(snapshot.faults.map((f) => [f.id, f.fired, f.remaining])).toEqual([
      ['portal', 3, 0],
      ['reset', 2, 0],
      ['drop', 2, 0],
    ]);
    const codes = problems(s.events).map((e) => e.code);
    expect(codes).toContain('UPLOAD_NOT_CENTRAL');
    expect(codes).toContain('UPLOAD_CONNECTION_LOST');
    // The receipts of the dropped commits were fetched by asking, not by committing again.
    expect(
      s.events.filter(
        (e) =>
          e.type === 'acknowledged' && (e.source === 'receipt-query' || e.source === 'already-committed'),
      ).length,
    ).toBeGreaterThanOrEqual(2);
    expect(s.events.some((e) => e.type === 'dead-lettered')).toBe(false);
    expect(s.outbox.list().filter((e) => e.state === 'dead-letter')).toEqual([]);
    expectEachOnceInLog(s.packets);
  }, 45_000);
});
