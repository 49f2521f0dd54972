/**
 * The upload URL kept in the outbox entry (CONTRACT.md: "under the same fsync discipline"): set,
 * read after reopening, replaced, cleared (404/410) and removed when the packet leaves the queue;
 * bad URLs refused with a typed error; a stale or garbage file left by a crash is removed.
 */
import { describe, expect, it } from 'vitest';
import { MemoryOutboxFs } from '../../../station/outbox/memory-fs.ts';
import { Outbox, UPLOAD_URL_MAX_LENGTH } from '../../../station/outbox/outbox.ts';

const T0 = 1_800_000_000_000;
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const URL_1 = '/v1/uploads/3f2a9c0d81e4b7a6';
const URL_2 = 'https://central.example.vn:8443/v1/uploads/77aa01';

function open(fs: MemoryOutboxFs): Promise<Outbox> {
  return Outbox.open({ fs, now: () => T0, monotonic: () => 0 });
}

async function putFile(fs: MemoryOutboxFs, file: string, text: string): Promise<void> {
  const handle = await fs.create(file);
  await handle.write(new TextEncoder().encode(text));
  await handle.close();
}

describe('outbox upload URL', () => {
  it('keeps the URL durably beside the queued packet: written to tmp/, fsynced, renamed, queue/ fsynced', async () => {
    const fs = new MemoryOutboxFs();
    const outbox = await open(fs);
    await outbox.enqueue(A, new Uint8Array([1, 2, 3]));
    expect(await outbox.uploadUrl(A)).toBeUndefined();
    const before = fs.log.length;
    await outbox.setUploadUrl(A, URL_1);
    const ops = fs.log.slice(before).map((op) => op.op);
    expect(ops).toEqual(['create', 'write', 'fsync', 'close', 'rename', 'fsyncDir']);
    expect(fs.log.at(-2)).toMatchObject({ op: 'rename', to: `queue/${A}.url` });
    expect(fs.log.at(-1)).toMatchObject({ op: 'fsyncDir', dir: 'queue' });
    expect(await outbox.uploadUrl(A)).toBe(URL_1);
    const reopened = await open(fs);
    expect(reopened.list()).toHaveLength(1);
    expect(await reopened.uploadUrl(A)).toBe(URL_1);
    await reopened.setUploadUrl(A, URL_2);
    expect(await (await open(fs)).uploadUrl(A)).toBe(URL_2);
  });

  it('clears the URL on request (central said 404/410) and when the packet is acknowledged or dead-lettered', async () => {
    const fs = new MemoryOutboxFs();
    const outbox = await open(fs);
    await outbox.enqueue(A, new Uint8Array([1]));
    await outbox.enqueue(B, new Uint8Array([2]));
    await outbox.setUploadUrl(A, URL_1);
    await outbox.clearUploadUrl(A);
    expect(await outbox.uploadUrl(A)).toBeUndefined();
    expect(fs.log.at(-1)).toMatchObject({ op: 'fsyncDir', dir: 'queue' });
    expect(await (await open(fs)).uploadUrl(A)).toBeUndefined();
    await outbox.clearUploadUrl(A); // nothing kept: no error

    await outbox.setUploadUrl(A, URL_1);
    await outbox.setUploadUrl(B, URL_2);
    await outbox.acknowledge(A, new Uint8Array([9]));
    await outbox.deadLetter(B, { code: 'CENTRAL_REFUSED', message: 'refused' });
    expect(await fs.readdir('queue')).toEqual([]);
    expect(await outbox.uploadUrl(A)).toBeUndefined();
    await expect(outbox.setUploadUrl(A, URL_1)).rejects.toMatchObject({ code: 'OUTBOX_WRONG_STATE' });
  });

  it('refuses URLs that are not https or /v1/uploads/, too long, or with credentials, with a typed error', async () => {
    const outbox = await open(new MemoryOutboxFs());
    await outbox.enqueue(A, new Uint8Array([1]));
    const bad = [
      '',
      'http://central.example.vn/v1/uploads/1',
      'ftp://central.example.vn/x',
      '/v1/uploads/',
      '/v1/uploads/../../etc/passwd',
      '/v1/other/1',
      'v1/uploads/1',
      'https://user:secret@central.example.vn/v1/uploads/1',
      'https://central.example.vn/v1/uploads/a b',
      `https://central.example.vn/v1/uploads/${'a'.repeat(UPLOAD_URL_MAX_LENGTH)}`,
    ];
    for (const url of bad) {
      await expect(outbox.setUploadUrl(A, url), url).rejects.toMatchObject({
        name: 'OutboxError',
        code: 'OUTBOX_BAD_UPLOAD_URL',
      });
    }
    expect(await outbox.uploadUrl(A)).toBeUndefined();
    await expect(outbox.setUploadUrl(B, URL_1)).rejects.toMatchObject({ code: 'OUTBOX_UNKNOWN_PACKET' });
    await expect(outbox.uploadUrl(B)).rejects.toMatchObject({ code: 'OUTBOX_UNKNOWN_PACKET' });
  });

  it('on open removes a URL file without its packet, and ignores and removes a torn or garbage one', async () => {
    const fs = new MemoryOutboxFs();
    const outbox = await open(fs);
    await outbox.enqueue(A, new Uint8Array([1]));
    await outbox.enqueue(B, new Uint8Array([2]));
    const orphan = '00000000-0000-4000-8000-00000000000c';
    await putFile(fs, `queue/${orphan}.url`, JSON.stringify({ packetId: orphan, url: URL_1 }));
    await putFile(fs, `queue/${A}.url`, JSON.stringify({ packetId: A, url: URL_1 }).slice(0, 20));
    await putFile(fs, `queue/${B}.url`, JSON.stringify({ packetId: A, url: URL_2 }));
    const reopened = await open(fs);
    expect(await fs.readdir('queue')).not.toContain(`${orphan}.url`);
    expect(reopened.quarantined()).toEqual([]);
    expect(await reopened.uploadUrl(A)).toBeUndefined();
    expect(await reopened.uploadUrl(B)).toBeUndefined(); // names another packet: garbage
    expect((await fs.readdir('queue')).filter((name) => name.endsWith('.url'))).toEqual([]);
    expect(reopened.list().map((entry) => entry.state)).toEqual(['queued', 'queued']);
  });
});
