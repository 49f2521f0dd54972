/**
 * The station's uploader against the real central simulator (simulators/central, in this process)
 * over mutual TLS, with real sealed packets: receipts verified with central's pinned statement
 * certificates and stored in the real outbox; a second station outbox holding the same packet gets
 * the receipt by asking first (no upload); commit-then-drop recovered with one accepted entry per
 * packet; storage full is retried, never dead-lettered; a packet central refuses for good (the wrong
 * environment) is dead-lettered with central's signed reason.
 */
import 'reflect-metadata';
import { createHash, type KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { buildTransaction } from '../../protocol/ansi-nist/builder.ts';
import { buildPacket } from '../../protocol/packet/build.ts';
import type { PacketManifest } from '../../protocol/packet/manifest.ts';
import type { CentralFaultHooks } from '../../simulators/central/fault-hooks.ts';
import { type RunningCentral, startCentral } from '../../simulators/central/service.ts';
import { MemoryOutboxFs } from '../../station/outbox/memory-fs.ts';
import { Outbox } from '../../station/outbox/outbox.ts';
import {
  type CentralUploader,
  createCentralUploader,
  type UploaderEvent,
} from '../../station/uploader/index.ts';
import { type14Spec } from '../support/ansi-nist-specs.ts';
import { enrollStation, pinnedStatementKeys } from '../support/central-station.ts';
import { fileSigner, sampleEnrollment } from '../support/packet-keys.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const crypto = createNodePacketCrypto();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const STATION_ID = 'station-uploader-01';

interface Station {
  readonly key: KeyObject;
  readonly keyPem: string;
  readonly certificatePem: string;
}

let dir: string;
let central: RunningCentral;
let station: Station;
const faultState = { diskFull: false, dropCommits: 0 };
const faults: CentralFaultHooks = {
  onRequest: async () => 'continue',
  afterCommit: () => {
    if (faultState.dropCommits <= 0) return 'answer';
    faultState.dropCommits -= 1;
    return 'drop';
  },
  diskFull: () => faultState.diskFull,
};
const open: CentralUploader[] = [];

const FINGERS = [1, 2].map((fgp) => new Uint8Array(300 + fgp).fill(fgp));

async function sealPacket(
  environment: 'test' | 'production' = 'test',
): Promise<{ id: string; bytes: Uint8Array }> {
  const transaction = buildTransaction({
    type1: {
      tot: 'CCE',
      date: '20260314',
      dai: 'DAI000000',
      ori: 'ORI000000',
      tcn: 'TCN0000000001',
      nsr: '00.00',
      ntr: '00.00',
    },
    records: [{ type: 2, idc: 0 }, ...FINGERS.map((data, i) => type14Spec(i + 1, i + 1, data))],
  });
  const base = sampleEnrollment({ images: FINGERS });
  const id = globalThis.crypto.randomUUID();
  const manifest: PacketManifest = {
    ...base.manifest,
    packetId: id,
    enrollmentSessionId: globalThis.crypto.randomUUID(),
    stationId: STATION_ID,
    environment,
    transactionSha256: sha256(transaction),
  };
  const built = await buildPacket({
    manifest,
    transaction,
    portrait: base.portrait,
    signer: fileSigner({
      certificate: new Uint8Array(new X509Certificate(station.certificatePem).raw),
      privateKey: station.key,
    }),
    recipientCertificate: new Uint8Array(
      new X509Certificate(readFileSync(path.join(dir, 'central.crt'))).raw,
    ),
    signingTime: Date.now(),
    crypto,
  });
  return { id, bytes: built.packet };
}

async function uploaderWith(outbox: Outbox) {
  const u = createCentralUploader({
    url: central.url,
    tls: { key: station.keyPem, cert: station.certificatePem, ca: central.tlsCaPem },
    outbox,
    pinned: pinnedStatementKeys(central.statementCertificatesPem),
    verifySignature: (check) => crypto.verifySignature(check),
    stationId: STATION_ID,
    environment: 'test',
    settings: {
      concurrency: 2,
      chunkSize: 64 * 1024,
      timeoutMs: 10_000,
      backoff: { baseMs: 20, maxMs: 200, factor: 2 },
      probeBackoff: { baseMs: 20, maxMs: 200, factor: 2 },
    },
  });
  open.push(u);
  const events: UploaderEvent[] = [];
  u.uploader.subscribe((e) => events.push(e));
  return { u, events };
}

const stateOf = (outbox: Outbox, id: string) => outbox.list().find((e) => e.packetId === id)?.state;
const accepted = () => {
  const file = path.join(dir, 'log', 'accepted.jsonl');
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { packetId?: string })
    : [];
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'uploader-central-'));
  central = await startCentral({ dataDir: dir, environment: 'test', statusStepMs: 60_000, faults });
  // Certified by central's simulated station CA and registered (enrollStation throws unless 200).
  station = await enrollStation(central, STATION_ID);
}, 90_000);

afterAll(async () => {
  for (const u of open) await u.close();
  await central?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('uploader against the central simulator', () => {
  it("uploads sealed packets; the receipts verify with central's pinned certificates and are stored", async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs() });
    const packets = [await sealPacket(), await sealPacket(), await sealPacket()];
    for (const p of packets) await outbox.enqueue(p.id, p.bytes);
    const { u, events } = await uploaderWith(outbox);
    u.uploader.start();
    await vi.waitFor(
      () => expect(packets.every((p) => stateOf(outbox, p.id) === 'acknowledged')).toBe(true),
      {
        timeout: 30_000,
        interval: 10,
      },
    );
    expect(
      events.filter((e) => e.type === 'acknowledged').map((e) => e.type === 'acknowledged' && e.source),
    ).toEqual(['commit', 'commit', 'commit']);
    for (const p of packets) expect(accepted().filter((line) => line.packetId === p.id)).toHaveLength(1);
    await u.close();

    // Another outbox holding the same packet (e.g. restored from a backup) asks first and uploads nothing.
    const again = await Outbox.open({ fs: new MemoryOutboxFs() });
    const first = packets[0];
    if (!first) throw new Error('no packet');
    await again.enqueue(first.id, first.bytes);
    const second = await uploaderWith(again);
    second.u.uploader.start();
    await vi.waitFor(() => expect(stateOf(again, first.id)).toBe('acknowledged'), {
      timeout: 20_000,
      interval: 10,
    });
    expect(second.events.find((e) => e.type === 'acknowledged')).toMatchObject({ source: 'receipt-query' });
    expect(accepted().filter((line) => line.packetId === first.id)).toHaveLength(1);
  }, 60_000);

  it('recovers from commit-then-drop with one accepted entry per packet', async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs() });
    const packets = [await sealPacket(), await sealPacket()];
    for (const p of packets) await outbox.enqueue(p.id, p.bytes);
    faultState.dropCommits = 2;
    const { u, events } = await uploaderWith(outbox);
    u.uploader.start();
    await vi.waitFor(
      () => expect(packets.every((p) => stateOf(outbox, p.id) === 'acknowledged')).toBe(true),
      {
        timeout: 30_000,
        interval: 10,
      },
    );
    expect(faultState.dropCommits).toBe(0);
    expect(events.some((e) => e.type === 'acknowledged' && e.source === 'receipt-query')).toBe(true);
    for (const p of packets) expect(accepted().filter((line) => line.packetId === p.id)).toHaveLength(1);
  }, 60_000);

  it('retries through storage full and never dead-letters for it', async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs() });
    const p = await sealPacket();
    await outbox.enqueue(p.id, p.bytes);
    faultState.diskFull = true;
    const { u, events } = await uploaderWith(outbox);
    u.uploader.start();
    try {
      await vi.waitFor(
        () =>
          expect(
            events.filter((e) => e.type === 'problem' && e.code === 'CENTRAL_STORAGE_FULL').length,
          ).toBeGreaterThanOrEqual(2),
        { timeout: 20_000, interval: 10 },
      );
      expect(['queued', 'uploading']).toContain(stateOf(outbox, p.id));
    } finally {
      faultState.diskFull = false;
    }
    await vi.waitFor(() => expect(stateOf(outbox, p.id)).toBe('acknowledged'), {
      timeout: 20_000,
      interval: 10,
    });
    expect(events.some((e) => e.type === 'dead-lettered')).toBe(false);
  }, 60_000);

  it("dead-letters a packet central refuses for good, with central's signed code", async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs() });
    const p = await sealPacket('production');
    await outbox.enqueue(p.id, p.bytes);
    const { u, events } = await uploaderWith(outbox);
    u.uploader.start();
    await vi.waitFor(() => expect(stateOf(outbox, p.id)).toBe('dead-letter'), {
      timeout: 20_000,
      interval: 10,
    });
    const dead = events.find((e) => e.type === 'dead-lettered');
    expect(dead?.type === 'dead-lettered' && dead.code).toMatch(/^CENTRAL_/);
    const entry = outbox.list().find((e) => e.packetId === p.id);
    expect(entry?.deadLetter?.code).toBe(dead?.type === 'dead-lettered' ? dead.code : '');
  }, 60_000);
});
