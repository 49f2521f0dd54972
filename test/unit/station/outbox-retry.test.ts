/**
 * retry(packetId): a dead-lettered packet goes back to the queue with its reason kept as history,
 * durably; a queued or uploading one loses its lease; typed errors for unknown and acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { MemoryOutboxFs } from '../../../station/outbox/memory-fs.ts';
import { Outbox } from '../../../station/outbox/outbox.ts';

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const REASON = { code: 'CENTRAL_SIGNER_UNTRUSTED', message: 'Chưa đăng ký / Not registered' };

describe('outbox retry', () => {
  it('moves a dead-lettered packet back to the queue, keeps the reason as history, and survives reopening', async () => {
    const fs = new MemoryOutboxFs();
    const clock = { wall: T0 };
    const outbox = await Outbox.open({ fs, now: () => clock.wall, monotonic: () => 0, retentionMs: DAY });
    const bytes = new Uint8Array([5, 6, 7]);
    await outbox.enqueue(A, bytes);
    clock.wall += 1000;
    await outbox.deadLetter(A, REASON);
    expect(await outbox.next()).toBeNull();
    const entry = await outbox.retry(A);
    expect(entry).toMatchObject({ packetId: A, state: 'queued', retried: 1 });
    expect(entry.deadLetter).toBeUndefined();
    expect(fs.log.at(-1)).toMatchObject({ op: 'fsyncDir', dir: 'dead' });
    expect(await fs.readdir('dead')).toEqual([`${A}.${T0 + 1000}.reason.retried`]);
    expect(Buffer.from((await outbox.next())?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);

    const reopened = await Outbox.open({ fs, now: () => clock.wall, monotonic: () => 0, retentionMs: DAY });
    expect(reopened.list()).toMatchObject([{ packetId: A, state: 'queued', retried: 1 }]);
    expect(reopened.quarantined()).toEqual([]);
    // Refused again, retried again: two history files; acknowledged and purged, the history goes too.
    clock.wall += 1000;
    await reopened.deadLetter(A, REASON);
    await reopened.retry(A);
    expect((await fs.readdir('dead')).sort()).toHaveLength(2);
    await reopened.acknowledge(A, new Uint8Array([1]));
    expect(await reopened.purgeExpired(clock.wall + 2 * DAY)).toEqual([A]);
    expect(await fs.readdir('dead')).toEqual([]);
  });

  it('a crash after the packet moved but before the reason was retired leaves it dead-lettered', async () => {
    const fs = new MemoryOutboxFs();
    const outbox = await Outbox.open({ fs, now: () => T0, monotonic: () => 0 });
    await outbox.enqueue(A, new Uint8Array([1]));
    await outbox.deadLetter(A, REASON);
    const [pkt] = (await fs.readdir('dead')).filter((name) => name.endsWith('.pkt'));
    await fs.rename(`dead/${pkt}`, `queue/${pkt}`);
    const reopened = await Outbox.open({ fs, now: () => T0, monotonic: () => 0 });
    expect(reopened.list()).toMatchObject([{ packetId: A, state: 'dead-letter', deadLetter: REASON }]);
    expect((await reopened.retry(A)).state).toBe('queued');
  });

  it('clears the lease of an uploading packet so the uploader takes it at once', async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs(), now: () => T0, monotonic: () => 0 });
    await outbox.enqueue(A, new Uint8Array([1]));
    outbox.markUploading(A);
    expect(await outbox.next()).toBeNull();
    expect((await outbox.retry(A)).state).toBe('queued');
    expect((await outbox.next())?.entry.packetId).toBe(A);
  });

  it('refuses unknown and acknowledged packets with typed errors', async () => {
    const outbox = await Outbox.open({ fs: new MemoryOutboxFs(), now: () => T0, monotonic: () => 0 });
    await expect(outbox.retry(B)).rejects.toMatchObject({ code: 'OUTBOX_UNKNOWN_PACKET' });
    await outbox.enqueue(A, new Uint8Array([1]));
    await outbox.acknowledge(A, new Uint8Array([1]));
    await expect(outbox.retry(A)).rejects.toMatchObject({
      code: 'OUTBOX_WRONG_STATE',
      message: expect.stringMatching(/^Gói .* \/ Packet .* already acknowledged/),
    });
  });
});
