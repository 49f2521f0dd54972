/**
 * The uploader keeps the audit anchor a verified receipt echoes (issue 21, Build 8) in
 * `<dataDir>/audit/anchor.json`, only upwards; a store that fails does not hold the packet back.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNodePaCrypto } from '../../../drivers/crypto/pa-node.ts';
import { anchorFile, openAnchorStore } from '../../../station/audit/anchor.ts';
import type { CentralPort, UploadOutcome } from '../../../station/uploader/central-client.ts';
import { Uploader, type UploaderEvent, type UploaderOptions } from '../../../station/uploader/uploader.ts';
import {
  createStatementKey,
  OutboxWithUrls,
  packetBytes,
  packetId,
  receiptStatement,
  sha256Hex,
  signStatement,
} from '../../support/uploader-central.ts';

const STATION = 'station-0007';
const key = createStatementKey();
const head = (c: string) => c.repeat(64);

/** Central that already holds a receipt for every packet: the uploader asks and settles. */
class HoldingCentral implements CentralPort {
  readonly held = new Map<string, Uint8Array>();
  async statement(id: string): Promise<Uint8Array | 'none'> {
    return this.held.get(id) ?? 'none';
  }
  async health() {
    return { environment: 'test' };
  }
  async upload(): Promise<UploadOutcome> {
    throw new Error('not expected: every packet has its receipt');
  }
}

let dataDir: string;
const running: Uploader[] = [];
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(tmpdir(), 'uploader-anchor-'));
});
afterEach(async () => {
  for (const u of running.splice(0)) await u.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function run(
  audits: readonly ({ seq: number; head: string } | undefined)[],
  anchors: UploaderOptions['anchors'],
) {
  const outbox = await OutboxWithUrls.open({ now: () => 1_800_000_000_000, monotonic: () => 0 });
  const central = new HoldingCentral();
  for (const [i, audit] of audits.entries()) {
    const bytes = packetBytes(i + 1, 500);
    const id = packetId(i + 1);
    await outbox.outbox.enqueue(id, bytes);
    const facts = {
      packetId: id,
      sha256: sha256Hex(bytes),
      size: bytes.length,
      stationId: STATION,
      environment: 'test',
    };
    central.held.set(
      id,
      signStatement(key, receiptStatement(key, facts, audit === undefined ? {} : ({ audit } as never))),
    );
  }
  const uploader = new Uploader({
    outbox,
    central,
    pinned: [key.pinned],
    verifySignature: createNodePaCrypto().verifySignature,
    stationId: STATION,
    environment: 'test',
    anchors,
    settings: { concurrency: 1, idlePollMs: 50 },
  });
  running.push(uploader);
  const events: UploaderEvent[] = [];
  uploader.subscribe((e) => events.push(e));
  uploader.start();
  const acknowledged = () =>
    events.filter((e): e is Extract<UploaderEvent, { type: 'acknowledged' }> => e.type === 'acknowledged');
  await vi.waitFor(() => expect(acknowledged()).toHaveLength(audits.length), {
    timeout: 8_000,
    interval: 10,
  });
  return acknowledged();
}

describe('uploader: echoed audit anchors', () => {
  it('stores the highest echoed anchor and says what became of each', async () => {
    const acks = await run(
      [{ seq: 5, head: head('a') }, undefined, { seq: 3, head: head('b') }, { seq: 9, head: head('c') }],
      openAnchorStore(dataDir),
    );
    const byPacket = new Map(acks.map((a) => [a.packetId, a.audit]));
    expect(byPacket.get(packetId(1))).toEqual({ seq: 5, head: head('a'), stored: 'raised' });
    expect(byPacket.get(packetId(2))).toBeUndefined();
    expect(byPacket.get(packetId(3))).toEqual({ seq: 3, head: head('b'), stored: 'unchanged' });
    expect(byPacket.get(packetId(4))).toEqual({ seq: 9, head: head('c'), stored: 'raised' });
    const stored = JSON.parse(await fs.readFile(anchorFile(dataDir), 'utf8'));
    expect(stored).toMatchObject({ seq: 9, head: head('c'), packetId: packetId(4) });
  });

  it('acknowledges the packet even when the anchor cannot be written', async () => {
    const failing = { record: async () => Promise.reject(new Error('disk full')) };
    const [ack] = await run([{ seq: 4, head: head('d') }], failing);
    expect(ack?.audit).toEqual({ seq: 4, head: head('d'), stored: 'failed' });
  });
});
