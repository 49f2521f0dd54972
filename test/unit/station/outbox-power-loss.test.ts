/**
 * Power loss (issue 18 item 5): the outbox runs a scripted sequence (enqueues, upload URLs set,
 * replaced and cleared, an export mark, an acknowledgement, a dead-letter and its retry, a purge) on a recording file system;
 * from its operation log, crash images are built as a power cut could leave them after every
 * operation (station/outbox/memory-fs.ts states the model) with several subsets of the unsynced
 * effects, and the outbox is reopened on each. Checked on every image: every packet whose enqueue
 * returned is there exactly once with its exact bytes (or purged, once its purge had begun), an
 * acknowledged one keeps its receipt, a dead-lettered one its reason, a retried one is queued, an
 * upload URL is the last one kept (or one being changed), nothing is duplicated, and no corrupt
 * bytes are ever served.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboxFs } from '../../../station/outbox/fs-port.ts';
import {
  crashImage,
  type EffectFate,
  type FsOp,
  MemoryOutboxFs,
  pendingEffects,
} from '../../../station/outbox/memory-fs.ts';
import { Outbox } from '../../../station/outbox/outbox.ts';

const DAY = 86_400_000;

function packetBytes(seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed * 2_654_435_761 + 1;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

const PACKETS = [
  { id: '6f1c2a3e-0001-4000-8000-000000000001', bytes: packetBytes(1, 3000) },
  { id: '6f1c2a3e-0002-4000-8000-000000000002', bytes: packetBytes(2, 2048) },
  { id: '6f1c2a3e-0003-4000-8000-000000000003', bytes: packetBytes(3, 1500) },
];
const RECEIPT = new TextEncoder().encode('signed receipt for packet 1');
const URL_1 = '/v1/uploads/0a1b2c3d4e5f';
const URL_A = 'https://central.example.vn/v1/uploads/aaaa0001';
const URL_B = '/v1/uploads/bbbb0002';

/** A change of a packet's upload URL: what it leaves, when it began and when it returned. */
interface UrlChange {
  readonly value: string | undefined;
  readonly began: number;
  readonly returned: number;
}

/** What the caller was told, with the log position when it was told. */
interface Promises {
  enqueued: Map<string, number>;
  acknowledged: Map<string, number>;
  deadLettered: Map<string, number>;
  retried: Map<string, number>;
  /** Per packet, its upload URL changes in order (acknowledge clears it). */
  urls: Map<string, UrlChange[]>;
  /** Packet id -> [log position when markExported returned, the time it marked]. */
  exported: Map<string, [number, number]>;
  /** Log position when the purge began. */
  purgeBegan: number;
}

/** Runs the scripted sequence on `fs` and notes when each call returned. */
async function runScript(fs: MemoryOutboxFs | (OutboxFs & { log: FsOp[] })): Promise<Promises> {
  let wall = 1_800_000_000_000;
  const outbox = await Outbox.open({ fs, now: () => wall, monotonic: () => 0, retentionMs: DAY });
  const told: Promises = {
    enqueued: new Map(),
    acknowledged: new Map(),
    deadLettered: new Map(),
    retried: new Map(),
    urls: new Map(),
    exported: new Map(),
    purgeBegan: Number.POSITIVE_INFINITY,
  };
  const url = async (id: string, value: string | undefined, change: () => Promise<unknown>) => {
    const began = fs.log.length;
    await change();
    told.urls.set(id, [...(told.urls.get(id) ?? []), { value, began, returned: fs.log.length }]);
  };
  for (const packet of PACKETS) {
    wall += 1000;
    await outbox.enqueue(packet.id, packet.bytes);
    told.enqueued.set(packet.id, fs.log.length);
  }
  const [first, second, third] = PACKETS as [(typeof PACKETS)[0], (typeof PACKETS)[0], (typeof PACKETS)[0]];
  await url(second.id, URL_A, () => outbox.setUploadUrl(second.id, URL_A));
  await url(second.id, URL_B, () => outbox.setUploadUrl(second.id, URL_B));
  await url(second.id, undefined, () => outbox.clearUploadUrl(second.id));
  await url(second.id, URL_A, () => outbox.setUploadUrl(second.id, URL_A));
  await outbox.markExported([second.id], wall);
  told.exported.set(second.id, [fs.log.length, wall]);
  outbox.markUploading(first.id);
  await url(first.id, URL_1, () => outbox.setUploadUrl(first.id, URL_1));
  await url(first.id, undefined, () => outbox.acknowledge(first.id, RECEIPT));
  told.acknowledged.set(first.id, fs.log.length);
  await outbox.deadLetter(third.id, { code: 'CENTRAL_REFUSED', message: 'refused' });
  told.deadLettered.set(third.id, fs.log.length);
  wall += 1000;
  await outbox.retry(third.id);
  told.retried.set(third.id, fs.log.length);
  wall += 2 * DAY;
  told.purgeBegan = fs.log.length;
  await outbox.purgeExpired();
  return told;
}

/** Reopens the outbox on an image and returns the problems found (empty when all is well). */
async function checkImage(image: MemoryOutboxFs, upTo: number, told: Promises): Promise<string[]> {
  const problems: string[] = [];
  const outbox = await Outbox.open({ fs: image, now: () => 1_900_000_000_000, monotonic: () => 0 });
  const entries = outbox.list();
  const ids = entries.map((entry) => entry.packetId);
  if (new Set(ids).size !== ids.length) problems.push(`duplicated ids ${ids.join(',')}`);
  // On disk too: each packet id names at most one .pkt across the state directories.
  const onDisk = new Map<string, number>();
  for (const dir of ['queue', 'acked', 'dead']) {
    for (const name of await image.readdir(dir)) {
      if (!name.endsWith('.pkt')) continue;
      const id = name.split('.')[0] ?? '';
      onDisk.set(id, (onDisk.get(id) ?? 0) + 1);
    }
  }
  for (const [id, count] of onDisk) if (count > 1) problems.push(`${id} on disk ${count} times`);
  for (const packet of PACKETS) {
    const entry = entries.find((e) => e.packetId === packet.id);
    const returned = (told.enqueued.get(packet.id) ?? Infinity) <= upTo;
    const acked = (told.acknowledged.get(packet.id) ?? Infinity) <= upTo;
    const dead = (told.deadLettered.get(packet.id) ?? Infinity) <= upTo;
    const retried = (told.retried.get(packet.id) ?? Infinity) <= upTo;
    const purgeMayHaveRun = told.purgeBegan < upTo && acked;
    if (!entry) {
      if (returned && !purgeMayHaveRun) problems.push(`${packet.id} lost`);
      continue;
    }
    const bytes = await outbox.read(packet.id);
    if (bytes === null) {
      if (returned) problems.push(`${packet.id} returned but quarantined`);
      continue;
    }
    if (
      createHash('sha256').update(bytes).digest('hex') !==
      createHash('sha256').update(packet.bytes).digest('hex')
    ) {
      problems.push(`${packet.id} served wrong bytes`);
    }
    if (acked && entry.state !== 'acknowledged')
      problems.push(`${packet.id} acknowledged but ${entry.state}`);
    if (entry.state === 'acknowledged') {
      const receipt = await outbox.receipt(packet.id);
      if (Buffer.compare(Buffer.from(receipt), Buffer.from(RECEIPT)) !== 0)
        problems.push(`${packet.id} receipt`);
    }
    if (dead && !retried && entry.state !== 'dead-letter' && entry.state !== 'queued')
      problems.push(`${packet.id} dead-lettered but ${entry.state}`);
    if (dead && !retried && entry.state === 'dead-letter' && entry.deadLetter?.code !== 'CENTRAL_REFUSED')
      problems.push(`${packet.id} lost its reason`);
    if (retried && (entry.state !== 'queued' || entry.retried !== 1))
      problems.push(`${packet.id} retried but ${entry.state}, retried ${entry.retried}`);
    // The upload URL is the last one kept, or one being changed when the power went.
    const changes = told.urls.get(packet.id) ?? [];
    const done = changes.filter((change) => change.returned <= upTo).at(-1);
    const allowed = new Set([
      done?.value,
      ...changes.filter((c) => c !== done && c.began < upTo && c.returned > upTo).map((c) => c.value),
    ]);
    const kept = await outbox.uploadUrl(packet.id);
    if (!allowed.has(kept))
      problems.push(`${packet.id} upload URL ${kept}, expected one of ${[...allowed].join(',')}`);
    const [markedBy, markedAt] = told.exported.get(packet.id) ?? [Infinity, 0];
    if (markedBy <= upTo && entry.exportedAt !== markedAt)
      problems.push(`${packet.id} exported but exportedAt ${entry.exportedAt}`);
  }
  // Everything next() serves is intact; nothing corrupt is served.
  for (let served = await outbox.next(); served; served = await outbox.next()) {
    const packet = PACKETS.find((p) => p.id === served?.entry.packetId);
    if (!packet || Buffer.compare(Buffer.from(served.bytes), Buffer.from(packet.bytes)) !== 0) {
      problems.push(`next served bad bytes for ${served.entry.packetId}`);
    }
    await outbox.deadLetter(served.entry.packetId, { code: 'TEST', message: 'drained' });
  }
  return problems;
}

/** Subsets of the pending effects tried at each crash point: none, all, each alone, all but each, random. */
function fates(count: number, seeds: number): ((i: number) => EffectFate)[] {
  const plans: ((i: number) => EffectFate)[] = [() => 'lost', () => 'applied'];
  for (let k = 0; k < count; k += 1) {
    plans.push((i) => (i === k ? 'applied' : 'lost'));
    plans.push((i) => (i === k ? 'lost' : 'applied'));
    plans.push((i) => (i === k ? 'truncated' : 'applied'));
    plans.push((i) => (i === k ? 'zeroed' : 'applied'));
  }
  const kinds: EffectFate[] = ['lost', 'applied', 'truncated', 'zeroed'];
  for (let seed = 1; seed <= seeds; seed += 1) {
    const choice = Array.from(
      { length: count },
      (_, i) => kinds[((seed * 7919 + i * 104_729) >>> 3) % 4] ?? 'lost',
    );
    plans.push((i) => choice[i] ?? 'lost');
  }
  return plans;
}

async function allProblems(fs: MemoryOutboxFs, base: MemoryOutboxFs, told: Promises): Promise<string[]> {
  const problems: string[] = [];
  for (let upTo = 0; upTo <= fs.log.length; upTo += 1) {
    const pending = pendingEffects(fs.log, upTo);
    for (const fate of fates(pending.length, 8)) {
      const image = crashImage(base, fs.log, upTo, (i) => fate(i));
      for (const problem of await checkImage(image, upTo, told))
        problems.push(`after op ${upTo}: ${problem}`);
    }
  }
  return problems;
}

describe('outbox power loss', () => {
  it('keeps every returned packet exactly once and intact on every crash image', async () => {
    const base = new MemoryOutboxFs();
    const fs = base.clone();
    const told = await runScript(fs);
    expect(fs.log.filter((op) => op.op === 'fsync').length).toBeGreaterThan(0);
    const problems = await allProblems(fs, base, told);
    expect(problems).toEqual([]);
  }, 60_000);

  it('a second power cut during recovery loses nothing either', async () => {
    const base = new MemoryOutboxFs();
    const fs = base.clone();
    const told = await runScript(fs);
    const problems: string[] = [];
    let recoveries = 0;
    for (let upTo = 0; upTo <= fs.log.length; upTo += 1) {
      const pending = pendingEffects(fs.log, upTo).length;
      for (const fate of fates(pending, 0)) {
        const image = crashImage(base, fs.log, upTo, (i) => fate(i));
        const recovering = image.clone();
        await Outbox.open({ fs: recovering, now: () => 1_900_000_000_000, monotonic: () => 0 });
        const writes = recovering.log.filter((op) => op.op === 'rename' || op.op === 'unlink').length;
        if (writes === 0) continue;
        recoveries += 1;
        for (let second = 0; second <= recovering.log.length; second += 1) {
          const count = pendingEffects(recovering.log, second).length;
          for (const fate2 of fates(count, 0)) {
            const image2 = crashImage(image, recovering.log, second, (i) => fate2(i));
            for (const problem of await checkImage(image2, upTo, told)) {
              problems.push(`after op ${upTo}, recovery op ${second}: ${problem}`);
            }
          }
        }
      }
    }
    expect(recoveries).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  }, 120_000);

  it('the check finds lost packets when the outbox skips fsync (the model can fail)', async () => {
    const base = new MemoryOutboxFs();
    const recorder = base.clone();
    // The same outbox on a port whose fsyncs do nothing and are not logged: no write is durable.
    const noSync: OutboxFs & { log: FsOp[] } = {
      log: recorder.log,
      mkdir: (d) => recorder.mkdir(d),
      readdir: (d) => recorder.readdir(d),
      readFile: (f) => recorder.readFile(f),
      rename: (a, b) => recorder.rename(a, b),
      unlink: (f) => recorder.unlink(f),
      statfs: () => recorder.statfs(),
      fsyncDir: async () => {},
      create: async (f) => {
        const handle = await recorder.create(f);
        return { write: (b) => handle.write(b), close: () => handle.close(), fsync: async () => {} };
      },
    };
    const told = await runScript(noSync);
    const problems = await allProblems(recorder, base, told);
    expect(problems.some((p) => p.endsWith('lost'))).toBe(true);
  }, 60_000);
});
