/**
 * The whole uploader (createCentralUploader: mutual-TLS transport, tus client, loop) with the real
 * outbox against the small @tus/server central over HTTPS: a queue drains with every receipt
 * verified and stored; then through a proxy that cuts uploads, a commit whose answer is dropped,
 * and a link that goes down and comes back, every packet ends acknowledged exactly once at central
 * (no second statement signed), with the offline time shown.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodePaCrypto } from '../../drivers/crypto/pa-node.ts';
import {
  type CentralUploader,
  createCentralUploader,
  type UploaderEvent,
} from '../../station/uploader/index.ts';
import {
  type CuttingProxy,
  createStatementKey,
  createUploaderPki,
  type MiniCentral,
  OutboxWithUrls,
  packetBytes,
  packetId,
  type StatementKey,
  startCuttingProxy,
  startMiniCentral,
  type UploaderPki,
} from '../support/uploader-central.ts';

const crypto = createNodePaCrypto();
let pki: UploaderPki;
let key: StatementKey;
let central: MiniCentral;
let proxy: CuttingProxy;
const open: CentralUploader[] = [];

beforeAll(async () => {
  pki = await createUploaderPki('station-0100');
  key = createStatementKey();
  central = await startMiniCentral({ pki, key });
  proxy = await startCuttingProxy(central.port);
}, 30_000);

afterAll(async () => {
  for (const u of open) await u.close();
  await proxy?.stop();
  await central?.stop();
});

async function setup(url: string, settings: Parameters<typeof createCentralUploader>[0]['settings'] = {}) {
  const outbox = await OutboxWithUrls.open();
  const uploader = createCentralUploader({
    url,
    tls: { key: pki.clientKey, cert: pki.clientCert, ca: pki.centralCa },
    outbox,
    pinned: [key.pinned],
    verifySignature: crypto.verifySignature,
    stationId: pki.stationId,
    environment: 'test',
    // A request that hangs recovers within the test's patience.
    settings: { timeoutMs: 5_000, ...settings },
  });
  open.push(uploader);
  const events: UploaderEvent[] = [];
  uploader.uploader.subscribe((e) => events.push(e));
  return { outbox, uploader, events };
}

const states = (outbox: OutboxWithUrls) => outbox.outbox.list().map((e) => e.state);

describe('uploader over mutual TLS', () => {
  it('drains a queue of 600 KB packets, 4 at a time, every receipt verified and stored', async () => {
    const { outbox, uploader, events } = await setup(central.url, { concurrency: 4 });
    const count = 24;
    for (let n = 0; n < count; n++)
      await outbox.outbox.enqueue(packetId(1000 + n), packetBytes(1000 + n, 600_000));
    const signedBefore = central.log.signed;
    const started = performance.now();
    uploader.uploader.start();
    await vi.waitFor(() => expect(states(outbox).every((s) => s === 'acknowledged')).toBe(true), {
      timeout: 30_000,
      interval: 10,
    });
    const seconds = (performance.now() - started) / 1000;
    expect(central.log.signed - signedBefore).toBe(count);
    for (let n = 0; n < count; n++) {
      const receipt = await outbox.outbox.receipt(packetId(1000 + n));
      expect(Buffer.from(receipt).equals(Buffer.from(central.statements.get(packetId(1000 + n)) ?? []))).toBe(
        true,
      );
    }
    expect(events.filter((e) => e.type === 'acknowledged')).toHaveLength(count);
    expect(uploader.uploader.snapshot()).toMatchObject({ online: true, queueDepth: 0, uploading: [] });
    // A figure for the closing note, not a benchmark (the lead's bench measures it).
    console.log(
      `uploader: ${count} x 600 KB over mTLS, 4 at a time: ${(count / seconds).toFixed(1)} packets/s`,
    );
  }, 60_000);

  it('survives cuts, a dropped commit answer and a link outage: all acknowledged, none signed twice', async () => {
    const { outbox, uploader, events } = await setup(proxy.url, {
      concurrency: 2,
      chunkSize: 64 * 1024,
      backoff: { baseMs: 20, maxMs: 200, factor: 2 },
      probeBackoff: { baseMs: 20, maxMs: 200, factor: 2 },
    });
    const ids = Array.from({ length: 8 }, (_, i) => packetId(2000 + i));
    for (const [i, id] of ids.entries()) await outbox.outbox.enqueue(id, packetBytes(2000 + i, 300_000));
    const signedBefore = central.log.signed;
    central.faults.dropNextCommitAnswer = true;
    proxy.cutAfter(450_000);
    uploader.uploader.start();
    const explain = () =>
      JSON.stringify({
        states: states(outbox),
        snapshot: uploader.uploader.snapshot(),
        sequence: central.log.sequence.slice(-30),
        events: events.filter((e) => e.type !== 'progress').slice(-30),
      });
    try {
      await vi.waitFor(
        () => expect(states(outbox).filter((s) => s === 'acknowledged').length).toBeGreaterThanOrEqual(3),
        { timeout: 30_000, interval: 10 },
      );
    } catch (error) {
      throw new Error(`not 3 acknowledged: ${explain()}`, { cause: error });
    }
    // The link goes down: existing connections cut, new ones refused.
    proxy.down = true;
    proxy.cutAfter(0);
    await vi.waitFor(() => expect(uploader.uploader.snapshot().online).toBe(false), {
      timeout: 10_000,
      interval: 5,
    });
    expect(uploader.uploader.snapshot().offlineSince).not.toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    proxy.down = false;
    try {
      await vi.waitFor(() => expect(states(outbox).every((s) => s === 'acknowledged')).toBe(true), {
        timeout: 30_000,
        interval: 10,
      });
    } catch (error) {
      throw new Error(`not all acknowledged: ${explain()}`, { cause: error });
    }
    expect(central.log.signed - signedBefore).toBe(ids.length);
    expect(events.some((e) => e.type === 'problem' && e.code === 'UPLOAD_CONNECTION_LOST')).toBe(true);
    expect(events.some((e) => e.type === 'state' && !e.state.online && e.state.offlineSince !== null)).toBe(
      true,
    );
    expect(events.some((e) => e.type === 'dead-lettered')).toBe(false);
    expect(uploader.uploader.snapshot()).toMatchObject({ online: true, offlineSince: null, queueDepth: 0 });
  }, 60_000);

  it('stops cleanly mid-upload and resumes the same upload on the next start', async () => {
    const { outbox, uploader } = await setup(central.url, {
      concurrency: 1,
      chunkSize: 64 * 1024,
      bandwidthLimitBytesPerSecond: 1_000_000,
    });
    const id = packetId(3000);
    await outbox.outbox.enqueue(id, packetBytes(3000, 600_000));
    uploader.uploader.start();
    await vi.waitFor(() => expect(outbox.urls.get(id)).toBeDefined(), { timeout: 10_000, interval: 5 });
    await new Promise((r) => setTimeout(r, 150));
    await uploader.uploader.stop();
    const url = outbox.urls.get(id);
    expect(states(outbox)).not.toContain('acknowledged');
    const creates = central.log.creates;
    uploader.uploader.start();
    await vi.waitFor(() => expect(states(outbox)).toEqual(['acknowledged']), {
      timeout: 20_000,
      interval: 10,
    });
    expect(central.log.creates).toBe(creates);
    expect(outbox.stored.filter((u) => u === url)).toHaveLength(1);
  }, 30_000);
});
