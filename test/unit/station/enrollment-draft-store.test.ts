/**
 * Enrollment drafts on disk (station/workflows/enrollment/draft-store.ts): encrypted, resumed
 * whole, and refused whole when anything about the file is wrong.
 */
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateSymmetricKey } from '../../../station/keys/symmetric.ts';
import { DraftError, DraftStore } from '../../../station/workflows/enrollment/draft-store.ts';
import { apply, newDraft } from '../../../station/workflows/enrollment/machine.ts';
import { tempDir } from '../../support/station.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

const ID = '0a0b0c0d-1111-4222-8333-444455556666';
const NOW = '2026-12-07T10:00:00+07:00';

async function setup() {
  const tmp = tempDir('drafts-');
  cleanups.push(tmp.remove);
  const key = await loadOrCreateSymmetricKey(path.join(tmp.dir, 'keys', 'draft.key'), 'draft key');
  return { dir: path.join(tmp.dir, 'drafts'), keyFile: path.join(tmp.dir, 'keys', 'draft.key'), key };
}

function draftWithPortrait() {
  const d = newDraft({ id: ID, packetId: 'pk', officerId: 'off-1', now: NOW });
  const step = apply(d, { kind: 'choose-type', type: 'first-issue' }, 0, {
    officerId: 'off-1',
    roles: [],
    now: NOW,
  });
  if (!step.ok) throw new Error('refused');
  return {
    ...step.draft,
    portrait: {
      capture: {
        jpeg: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 7, 8, 9]),
        device: { model: 'm', serialNumber: 's', firmware: 'f', certificate: new Uint8Array([48, 1]) },
        attempts: 1,
      },
      attempts: 1,
    },
    prefill: { source: 'population' as const, record: { fullName: 'Nguyễn Văn An' } },
  };
}

describe('DraftStore', () => {
  it('round-trips a draft with its images, and keeps no personal text in the clear', async () => {
    const { dir, key } = await setup();
    const store = new DraftStore(dir, key);
    const draft = draftWithPortrait();
    await store.save(draft);
    const file = path.join(dir, `${ID}.draft`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const raw = readFileSync(file);
    expect(raw.includes(Buffer.from('Nguyễn'))).toBe(false);
    expect(raw.includes(Buffer.from('first-issue'))).toBe(false);
    const loaded = await store.load(ID);
    expect(loaded).toEqual(draft);
    expect(loaded.portrait?.capture.jpeg).toBeInstanceOf(Uint8Array);
    expect((await store.list()).map((d) => d.id)).toEqual([ID]);
    await store.wipe(ID);
    await expect(store.load(ID)).rejects.toMatchObject({ code: 'DRAFT_NOT_FOUND' });
  });

  it('refuses an edited, truncated, renamed or foreign-key draft whole', async () => {
    const { dir, key } = await setup();
    const store = new DraftStore(dir, key);
    await store.save(draftWithPortrait());
    const file = path.join(dir, `${ID}.draft`);
    const good = readFileSync(file);
    for (const at of [3, 12, 30, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] ?? 0) ^ 1;
      writeFileSync(file, bad);
      await expect(store.load(ID)).rejects.toMatchObject({ code: 'DRAFT_TAMPERED' });
    }
    writeFileSync(file, good.subarray(0, good.length - 5));
    await expect(store.load(ID)).rejects.toBeInstanceOf(DraftError);
    // The same bytes under another session's name: the id is authenticated.
    const other = 'ffffffff-1111-4222-8333-444455556666';
    writeFileSync(path.join(dir, `${other}.draft`), good);
    await expect(store.load(other)).rejects.toMatchObject({ code: 'DRAFT_TAMPERED' });
    writeFileSync(file, good);
    await expect(new DraftStore(dir, new Uint8Array(32).fill(7)).load(ID)).rejects.toMatchObject({
      code: 'DRAFT_TAMPERED',
    });
    expect((await store.load(ID)).id).toBe(ID);
    await expect(store.load('../../etc/passwd')).rejects.toMatchObject({ code: 'DRAFT_NOT_FOUND' });
  });

  it('keeps large images beside the draft, each once: a later step rewrites only the small draft', async () => {
    const { dir, key } = await setup();
    const store = new DraftStore(dir, key);
    const image = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    const base = draftWithPortrait();
    const draft = {
      ...base,
      portrait: { ...base.portrait, capture: { ...base.portrait.capture, jpeg: image } },
    };
    await store.save(draft);
    const blobs = () => readdirSync(dir).filter((name) => name.endsWith('.blob'));
    expect(blobs()).toHaveLength(1);
    const draftFile = path.join(dir, `${ID}.draft`);
    expect(statSync(draftFile).size).toBeLessThan(8192);
    // The image is not in the clear in its blob either.
    expect(readFileSync(path.join(dir, blobs()[0] ?? '')).includes(Buffer.from(image.subarray(0, 64)))).toBe(
      false,
    );
    const blobTime = statSync(path.join(dir, blobs()[0] ?? '')).mtimeMs;
    // A later version with the same image writes the draft alone.
    await store.save({ ...draft, version: draft.version + 1 });
    expect(blobs()).toHaveLength(1);
    expect(statSync(path.join(dir, blobs()[0] ?? '')).mtimeMs).toBe(blobTime);
    expect(await new DraftStore(dir, key).load(ID)).toEqual({ ...draft, version: draft.version + 1 });
    // A replaced image (a recapture) leaves no orphan behind; wiping deletes the rest.
    const other = image.map((b) => b ^ 0x55);
    await store.save({
      ...draft,
      portrait: { ...draft.portrait, capture: { ...draft.portrait.capture, jpeg: other } },
    });
    expect(blobs()).toHaveLength(1);
    expect((await store.load(ID)).portrait?.capture.jpeg).toEqual(other);
    await store.wipe(ID);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a draft whose image blob was changed, removed or taken from another draft', async () => {
    const { dir, key } = await setup();
    const store = new DraftStore(dir, key);
    const image = new Uint8Array(50_000).fill(9);
    const base = draftWithPortrait();
    const draft = {
      ...base,
      portrait: { ...base.portrait, capture: { ...base.portrait.capture, jpeg: image } },
    };
    await store.save(draft);
    const name = readdirSync(dir).find((n) => n.endsWith('.blob')) ?? '';
    const blob = path.join(dir, name);
    const good = readFileSync(blob);
    const bad = Buffer.from(good);
    bad[40] = (bad[40] ?? 0) ^ 1;
    writeFileSync(blob, bad);
    await expect(store.load(ID)).rejects.toMatchObject({ code: 'DRAFT_TAMPERED' });
    unlinkSync(blob);
    await expect(store.load(ID)).rejects.toMatchObject({ code: 'DRAFT_TAMPERED' });
    // Another draft's blob of the same image, put under this draft's name: bound to its own session.
    const otherId = 'ffffffff-1111-4222-8333-444455556666';
    await store.save({ ...draft, id: otherId });
    const otherBlob = readdirSync(dir).find((n) => n.startsWith(otherId) && n.endsWith('.blob')) ?? '';
    writeFileSync(blob, readFileSync(path.join(dir, otherBlob)));
    await expect(store.load(ID)).rejects.toMatchObject({ code: 'DRAFT_TAMPERED' });
    writeFileSync(blob, good);
    expect((await store.load(ID)).portrait?.capture.jpeg).toEqual(image);
  });

  it('the draft key: created 0600 once, the same on every load, a damaged one refused', async () => {
    const { keyFile, key } = await setup();
    expect(key.length).toBe(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateSymmetricKey(keyFile)).toEqual(key);
    const [a, b] = await Promise.all([
      loadOrCreateSymmetricKey(`${keyFile}.2`),
      loadOrCreateSymmetricKey(`${keyFile}.2`),
    ]);
    expect(a).toEqual(b);
    writeFileSync(keyFile, key.subarray(0, 16), { mode: 0o600 });
    await expect(loadOrCreateSymmetricKey(keyFile)).rejects.toMatchObject({ code: 'KEY_FILE_UNREADABLE' });
  });
});
