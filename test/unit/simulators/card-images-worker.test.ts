/**
 * The simulated card's images made on a worker thread (prepareFingerprints) are the ones the card
 * would make on the caller's thread: the same DG2 and DG3 bytes, so moving the work off the event
 * loop changes nothing a reader sees.
 */
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

  it('makes the portrait at the card’s configured size on the worker', async () => {
    const card = await CccdCardSimulator.create({
      dg3InWorker: true,
      today: '2026-12-07',
      portrait: { width: 96, height: 128 },
    });
    expect(card.lds().portraitJpeg).toEqual(cardPortraitJpeg(card.person.id12, 96, 128));
  }, 60_000);
});
