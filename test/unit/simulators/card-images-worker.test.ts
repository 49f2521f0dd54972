/**
 * The simulated card's images made on a worker thread (prepareFingerprints) are the ones the card
 * would make on the caller's thread: the same DG2 and DG3 bytes, so moving the work off the event
 * loop changes nothing a reader sees.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { CccdCardSimulator } from '../../../simulators/card/cccd-card-sim.ts';
import { buildDg3, cardPortraitJpeg } from '../../../simulators/card/lds-builder.ts';

describe('simulated card images on a worker', () => {
  it('carries the portrait and fingers the worker made, equal to those made in place', async () => {
    const card = await CccdCardSimulator.create({ dg3InWorker: true, today: '2026-12-07' });
    const lds = card.lds();
    expect(lds.portraitJpeg).toEqual(cardPortraitJpeg(card.person.id12));
    expect(lds.dg3).toEqual(buildDg3(card.fingerprintSeed));
    // DG2 holds the same JPEG (its last bytes are the JPEG's end).
    const dg2 = lds.dataGroups.get(2) ?? new Uint8Array(0);
    const tail = dg2.subarray(dg2.length - lds.portraitJpeg.length);
    expect(tail).toEqual(lds.portraitJpeg);
  }, 60_000);

  it('keeps the images in a cache folder, reads them back at the next start, and renders again over a bad file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'card-images-'));
    try {
      const first = await CccdCardSimulator.create({ today: '2026-12-07' });
      await first.prepareFingerprints({ cacheDir: dir });
      const files = await readdir(dir);
      expect(files).toHaveLength(1);
      const file = path.join(dir, files[0] ?? '');
      expect(first.lds().dg3).toEqual(buildDg3(first.fingerprintSeed));

      // The next card of the same inputs takes what the file holds: a file whose DG3 is marked shows it.
      const kept = deserialize(await readFile(file)) as { dg3: Uint8Array };
      const marked = Uint8Array.from(kept.dg3);
      marked[marked.length - 1] = (marked.at(-1) ?? 0) ^ 0xff;
      await writeFile(file, serialize({ ...kept, dg3: marked }));
      const second = await CccdCardSimulator.create({ today: '2026-12-07' });
      await second.prepareFingerprints({ cacheDir: dir });
      expect(second.lds().dg3).toEqual(marked);

      // A torn file is not half-used: the images are made again and the file rewritten.
      await writeFile(file, (await readFile(file)).subarray(0, 100));
      const third = await CccdCardSimulator.create({ today: '2026-12-07' });
      await third.prepareFingerprints({ cacheDir: dir });
      expect(third.lds().dg3).toEqual(buildDg3(third.fingerprintSeed));
      expect((deserialize(await readFile(file)) as { dg3: Uint8Array }).dg3).toEqual(third.lds().dg3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('makes the portrait at the card’s configured size on the worker', async () => {
    const card = await CccdCardSimulator.create({
      dg3InWorker: true,
      today: '2026-12-07',
      portrait: { width: 96, height: 128 },
    });
    expect(card.lds().portraitJpeg).toEqual(cardPortraitJpeg(card.person.id12, 96, 128));
  }, 60_000);
});
