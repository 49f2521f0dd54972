/**
 * The outbox core (issue 18 item 1): states, idempotent sealing, opening by names only, lazy digest
 * checks and quarantine, leases on the monotonic clock, retention and offline days on the wall
 * clock, the disk reserve, bad input, and the Node port with /health's depth.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryOutboxFs } from '../../../station/outbox/memory-fs.ts';
import { NodeOutboxFs } from '../../../station/outbox/node-fs.ts';
import { Outbox, OutboxError } from '../../../station/outbox/outbox.ts';
import { SpoolOutboxStatus } from '../../../station/outbox/status.ts';

const DAY = 86_400_000;
const T0 = 1_800_000_000_000;

function bytesOf(seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (seed * 31 + i * 7) & 0xff;
  return bytes;
}

function id(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function clocks() {
  const clock = { wall: T0, mono: 0 };
  return { clock, now: () => clock.wall, monotonic: () => clock.mono };
}

async function putFile(fs: MemoryOutboxFs, file: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.create(file);
  await handle.write(bytes);
  await handle.close();
}

function nameFor(packetId: string, at: number, bytes: Uint8Array): string {
  return `${packetId}.${at}.${bytes.length}.${createHash('sha256').update(bytes).digest('hex')}.pkt`;
}

describe('outbox states', () => {
  it('goes queued -> uploading -> acknowledged with its receipt -> purged after retention', async () => {
    const fs = new MemoryOutboxFs();
    const { clock, now, monotonic } = clocks();
    const outbox = await Outbox.open({ fs, now, monotonic, retentionMs: 30 * DAY });
    const bytes = bytesOf(1, 5000);
    const entry = await outbox.enqueue(id(1), bytes);
    expect(entry).toMatchObject({ state: 'queued', size: 5000, enqueuedAt: T0 });
    expect(entry.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    const next = await outbox.next();
    expect(next?.entry.packetId).toBe(id(1));
    expect(Buffer.from(next?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
    expect(outbox.markUploading(id(1)).state).toBe('uploading');
    clock.wall += 1000;
    const receipt = new TextEncoder().encode('receipt');
    expect((await outbox.acknowledge(id(1), receipt)).state).toBe('acknowledged');
    expect(await outbox.next()).toBeNull();
    expect(await outbox.purgeExpired(T0 + 29 * DAY)).toEqual([]);
    // Reopened, the receipt and state come back from the names.
    const reopened = await Outbox.open({ fs, now, monotonic, retentionMs: 30 * DAY });
    expect(reopened.list()).toMatchObject([
      { packetId: id(1), state: 'acknowledged', acknowledgedAt: T0 + 1000 },
    ]);
    expect(new TextDecoder().decode(await reopened.receipt(id(1)))).toBe('receipt');
    expect(await reopened.purgeExpired(T0 + 31 * DAY)).toEqual([id(1)]);
    expect(reopened.list()).toEqual([]);
    expect((await fs.readdir('acked')).length).toBe(0);
  });

  it('dead-letters with the reason, shown after reopening and never purged', async () => {
    const fs = new MemoryOutboxFs();
    const { now, monotonic } = clocks();
    const outbox = await Outbox.open({ fs, now, monotonic, retentionMs: DAY });
    await outbox.enqueue(id(2), bytesOf(2, 100));
    const reason = {
      code: 'CENTRAL_TEST_PACKET_REFUSED',
      message: 'Gói thử bị từ chối / Test packet refused',
    };
    await outbox.deadLetter(id(2), reason);
    await expect(outbox.acknowledge(id(2), new Uint8Array([1]))).rejects.toMatchObject({
      code: 'OUTBOX_WRONG_STATE',
    });
    const reopened = await Outbox.open({ fs, now, monotonic, retentionMs: DAY });
    expect(reopened.list()).toMatchObject([{ packetId: id(2), state: 'dead-letter', deadLetter: reason }]);
    expect(await reopened.purgeExpired(T0 + 365 * DAY)).toEqual([]);
    expect((await reopened.stats()).deadLetter).toBe(1);
  });

  it('holds an uploading packet for its lease on the monotonic clock, not the wall clock', async () => {
    const fs = new MemoryOutboxFs();
    const { clock, now, monotonic } = clocks();
    const outbox = await Outbox.open({ fs, now, monotonic, uploadLeaseMs: 60_000 });
    await outbox.enqueue(id(3), bytesOf(3, 10));
    outbox.markUploading(id(3));
    clock.wall += 10 * DAY;
    expect(await outbox.next()).toBeNull();
    clock.mono += 60_001;
    expect((await outbox.next())?.entry.packetId).toBe(id(3));
  });
});

describe('outbox sealing', () => {
  it('seals once by packet id: after a crash and reopen the sealed bytes come back, build is not called', async () => {
    const fs = new MemoryOutboxFs();
    const { now, monotonic } = clocks();
    let builds = 0;
    const build = async () => {
      builds += 1;
      return bytesOf(builds, 700);
    };
    const first = await (await Outbox.open({ fs, now, monotonic })).seal(id(4), build);
    const reopened = await Outbox.open({ fs, now, monotonic });
    const again = await reopened.seal(id(4), build);
    expect(builds).toBe(1);
    expect(again.digest).toBe(first.digest);
  });

  it('builds once when the same packet is sealed twice at the same time', async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs(), ...clocks() });
    let builds = 0;
    const build = async () => {
      builds += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return bytesOf(builds, 50);
    };
    const [a, b] = await Promise.all([outbox.seal(id(5), build), outbox.seal(id(5), build)]);
    expect(builds).toBe(1);
    expect(a.digest).toBe(b.digest);
    expect(outbox.list()).toHaveLength(1);
  });
});

describe('outbox opening and corrupt entries', () => {
  it('opens from the names alone, checks digests before upload and quarantines corrupt entries', async () => {
    const fs = new MemoryOutboxFs();
    await fs.mkdir('queue');
    const good = bytesOf(6, 300);
    const torn = bytesOf(7, 300);
    const flipped = bytesOf(8, 300);
    await putFile(fs, `queue/${nameFor(id(6), T0 + 3, good)}`, good);
    await putFile(fs, `queue/${nameFor(id(7), T0 + 1, torn)}`, torn.subarray(0, 100));
    await putFile(fs, `queue/${nameFor(id(9), T0 + 0, good)}`, new Uint8Array(0));
    const wrong = flipped.slice();
    wrong[10] = (wrong[10] ?? 0) ^ 1;
    await putFile(fs, `queue/${nameFor(id(8), T0 + 2, flipped)}`, wrong);
    await putFile(fs, 'queue/not-a-packet.pkt', good);
    await fs.mkdir('tmp');
    await putFile(fs, 'tmp/half-written.tmp', good.subarray(0, 10));
    await fs.mkdir('quarantine');
    await putFile(fs, 'quarantine/1-gone.pkt.why', new TextEncoder().encode('{}'));
    const before = fs.log.length;
    const outbox = await Outbox.open({ fs, ...clocks() });
    const openOps = fs.log.slice(before);
    expect(openOps.filter((op) => op.op === 'readFile')).toEqual([]);
    expect(await fs.readdir('tmp')).toEqual([]);
    expect(await fs.readdir('quarantine')).not.toContain('1-gone.pkt.why');
    expect(outbox.list().map((e) => e.packetId)).toEqual([id(9), id(7), id(8), id(6)]);
    expect(outbox.quarantined()).toMatchObject([{ reason: 'unreadable-name' }]);
    const served = await outbox.next();
    expect(served?.entry.packetId).toBe(id(6));
    expect(Buffer.from(served?.bytes ?? []).equals(Buffer.from(good))).toBe(true);
    expect(
      outbox
        .quarantined()
        .map((q) => [q.packetId ?? '-', q.reason])
        .sort(),
    ).toEqual([
      ['-', 'unreadable-name'],
      [id(7), 'wrong-size'],
      [id(8), 'wrong-digest'],
      [id(9), 'wrong-size'],
    ]);
    const reopened = await Outbox.open({ fs, ...clocks() });
    expect(reopened.quarantined()).toHaveLength(4);
    expect(reopened.list().map((e) => e.packetId)).toEqual([id(6)]);
    expect((await reopened.stats()).quarantined).toBe(4);
  });
});

describe('outbox limits for the officer', () => {
  it('reports days offline, packets waiting and disk left, and refuses a new enrollment below the reserve', async () => {
    const fs = new MemoryOutboxFs(10_000_000_000);
    const { clock, now, monotonic } = clocks();
    const outbox = await Outbox.open({
      fs,
      now,
      monotonic,
      limits: {
        reserveBytes: 1_000_000_000,
        packetAllowanceBytes: 2_000_000,
        maxWaiting: 3,
        maxDaysOffline: 5,
      },
    });
    expect(await outbox.canAccept()).toEqual({ ok: true });
    await outbox.enqueue(id(10), bytesOf(10, 1000));
    clock.wall += 2.5 * DAY;
    const stats = await outbox.stats();
    expect(stats).toMatchObject({ queued: 1, waitingBytes: 1000, offlineSince: T0, daysOffline: 2.5 });
    expect(stats.diskFreeBytes).toBe(10_000_000_000);
    fs.freeBytes = 1_001_000_000;
    const low = await outbox.canAccept();
    expect(low).toMatchObject({ ok: false, code: 'OUTBOX_DISK_LOW' });
    expect(low.ok ? '' : low.message).toMatch(/^Ổ đĩa sắp đầy.* \/ Disk almost full/);
    fs.freeBytes = 10_000_000_000;
    clock.wall += 3 * DAY;
    expect(await outbox.canAccept()).toMatchObject({ ok: false, code: 'OUTBOX_OFFLINE_TOO_LONG' });
    await outbox.acknowledge(id(10), new Uint8Array([1]));
    expect(await outbox.canAccept()).toEqual({ ok: true });
    for (const n of [11, 12, 13]) await outbox.enqueue(id(n), bytesOf(n, 10));
    expect(await outbox.canAccept()).toMatchObject({ ok: false, code: 'OUTBOX_TOO_MANY_WAITING' });
  });
});

describe('outbox bad input', () => {
  it('refuses a bad packet id, an empty packet, an unknown packet and an empty receipt with typed errors', async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs(), ...clocks() });
    await expect(outbox.enqueue('../../etc/passwd', new Uint8Array([1]))).rejects.toMatchObject({
      name: 'OutboxError',
      code: 'OUTBOX_BAD_PACKET_ID',
    });
    await expect(outbox.enqueue(id(20), new Uint8Array(0))).rejects.toMatchObject({
      code: 'OUTBOX_EMPTY_PACKET',
    });
    expect(() => outbox.markUploading(id(21))).toThrow(OutboxError);
    await outbox.enqueue(id(22), new Uint8Array([1]));
    await expect(outbox.acknowledge(id(22), new Uint8Array(0))).rejects.toMatchObject({
      code: 'OUTBOX_EMPTY_RECEIPT',
    });
  });
});

describe('outbox on the Node file system', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps packets across reopening and /health counts the waiting ones', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'outbox-'));
    const root = path.join(dir, 'outbox');
    const status = new SpoolOutboxStatus(dir);
    await status.prepare();
    const outbox = await Outbox.open({ fs: new NodeOutboxFs(root) });
    await outbox.enqueue(id(30), bytesOf(30, 4096));
    await outbox.enqueue(id(31), bytesOf(31, 10));
    expect(await status.depth()).toBe(2);
    await outbox.acknowledge(id(30), new Uint8Array([9]));
    expect(await status.depth()).toBe(1);
    const reopened = await Outbox.open({ fs: new NodeOutboxFs(root) });
    expect(reopened.list().map((e) => [e.packetId, e.state])).toEqual([
      [id(30), 'acknowledged'],
      [id(31), 'queued'],
    ]);
    expect(Buffer.from((await reopened.read(id(30))) ?? []).equals(Buffer.from(bytesOf(30, 4096)))).toBe(
      true,
    );
    expect((await reopened.stats()).diskFreeBytes).toBeGreaterThan(0);
  });
});

describe('outbox write failures and races', () => {
  it('leaves no temporary file and no entry when the disk fills during an enqueue', async () => {
    const fs = new MemoryOutboxFs();
    let full = true;
    const port = Object.assign(Object.create(fs) as MemoryOutboxFs, {
      create: async (file: string) => {
        const handle = await fs.create(file);
        return {
          ...handle,
          write: async (bytes: Uint8Array) => {
            if (full) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
            await handle.write(bytes);
          },
        };
      },
    });
    const outbox = await Outbox.open({ fs: port, ...clocks() });
    await expect(outbox.enqueue(id(40), bytesOf(40, 100))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await fs.readdir('tmp')).toEqual([]);
    expect(await fs.readdir('quarantine')).not.toContain('1-gone.pkt.why');
    expect(outbox.list()).toEqual([]);
    full = false;
    await outbox.enqueue(id(40), bytesOf(40, 100));
    expect(outbox.list()).toHaveLength(1);
  });

  it('stores one file when the same packet is enqueued twice at once', async () => {
    const fs = new MemoryOutboxFs();
    const { clock, monotonic } = clocks();
    const outbox = await Outbox.open({ fs, now: () => clock.wall++, monotonic });
    await Promise.all([outbox.enqueue(id(41), bytesOf(41, 100)), outbox.enqueue(id(41), bytesOf(41, 100))]);
    expect(await fs.readdir('queue')).toHaveLength(1);
  });
});
