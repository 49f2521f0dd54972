/**
 * Officer feedback on a small sensor and contradictory codes. The R30x module's image is 256 x 288
 * at 500 ppi, 4 bits a pixel (simulators/scanner/r30x-sim.ts renders it with the generator and
 * packs it; protocol/r30x unpacks a nibble n as n x 17): a good finger fills it, so it must not be
 * told it is too small or too light. Codes in CONTRADICTORY_FEEDBACK never come together.
 */
import { describe, expect, it } from 'vitest';
import {
  assessFeedback,
  CONTRADICTORY_FEEDBACK,
  type FeedbackCode,
  type GreyImage,
  scoreFinger,
} from '../../../protocol/quality/index.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';

const SEEDS = Array.from({ length: 30 }, (_, i) => 3000 + i);

/** What the station receives from the R30x after UpImage: 256 x 288, 16 grey levels. */
function r30xCapture(personSeed: number, condition: string): GreyImage {
  const { image } = renderFinger({
    personSeed,
    finger: 1 + (personSeed % 10),
    impression: personSeed % 13,
    condition,
    width: 256,
    height: 288,
  });
  return { width: 256, height: 288, pixels: image.pixels.map((v) => (v >> 4) * 17) };
}

function codes(image: GreyImage): FeedbackCode[] {
  const r = scoreFinger(image);
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.value.feedback.map((f) => f.code);
}

describe('a small sensor that the finger fills (R30x, 256 x 288)', () => {
  it('a good capture is neither too small, too light nor off-centre (30 seeds)', () => {
    for (const seed of SEEDS) {
      const found = codes(r30xCapture(seed, 'good'));
      for (const code of ['FINGER_TOO_LITTLE_AREA', 'FINGER_TOO_LIGHT', 'FINGER_NOT_CENTRED'] as const)
        expect(found, `seed ${seed}`).not.toContain(code);
    }
  }, 120_000);
});

describe('contradictory codes', () => {
  it('never come together, over conditions at both sensor sizes (30 seeds x 8 conditions x 2 sizes)', () => {
    const conditions = [
      'good',
      'dry',
      'wet',
      'smudged',
      'moving',
      'light-touch',
      'heavy-pressure',
      'partial',
    ];
    for (const seed of SEEDS) {
      for (const condition of conditions) {
        const large = renderFinger({
          personSeed: seed,
          finger: 1 + (seed % 10),
          impression: seed % 13,
          condition,
        }).image;
        for (const image of [large, r30xCapture(seed, condition)]) {
          const found = new Set(codes(image));
          for (const [a, b] of CONTRADICTORY_FEEDBACK)
            expect(
              found.has(a) && found.has(b),
              `${condition} seed ${seed} ${image.width}: ${[...found]}`,
            ).toBe(false);
        }
      }
    }
  }, 600_000);

  it('are resolved even when both rules fire: the first of the pair is kept', () => {
    const r = scoreFinger(renderFinger({ personSeed: 3001, condition: 'good' }).image);
    if (!r.ok || r.value.measures === undefined || r.value.signals === undefined) throw new Error('no print');
    const measures = {
      ...r.value.measures.measures,
      OrientationMap_ROIFilter_CoherenceRel: 0.3,
      LCS_Bin10_Mean: 0.1,
    };
    // Wet blobs and a faint broken print at once: both the wet and the dry rule would fire.
    const signals = { ...r.value.signals, blobShare: 0.3, inkDepth: 100 };
    const found = assessFeedback(measures, signals).map((f) => f.code);
    expect(found).toContain('FINGER_TOO_WET');
    expect(found).not.toContain('FINGER_TOO_DRY');
  });
});
