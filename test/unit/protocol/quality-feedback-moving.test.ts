/**
 * FINGER_MOVING over many seeds, at both sensor sizes the scanner simulators render: 500 x 500 (the
 * HID scanner's flat single finger) and 256 x 288 at 4 bits a pixel (the R30x module). The seeds
 * are apart from those the thresholds were set on (3000..3039), so these check the rule, not its
 * tuning. A moving finger must be told to hold still on at least 26 of 30 prints; good, dry, wet
 * and partial prints may be told so on at most 1 of 30. A smudge (a 6 to 9 px smear) is the same
 * effect as a moving finger (13 to 20 px), shorter: up to 2 of 30 are read as motion (measured on
 * these seeds: docs/quality-score.md).
 */
import { describe, expect, it } from 'vitest';
import { type GreyImage, scoreFinger } from '../../../protocol/quality/index.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';

const SEEDS = Array.from({ length: 30 }, (_, i) => 5000 + i);

const SIZES = {
  /** The HID scanner's flat single finger. */
  '500 x 500': (image: GreyImage) => image,
  /** What the station receives from the R30x after UpImage: a nibble n unpacked as n x 17. */
  '256 x 288': (image: GreyImage) => ({ ...image, pixels: image.pixels.map((v) => (v >> 4) * 17) }),
} as const;

function toldMoving(seed: number, condition: string, size: keyof typeof SIZES): boolean {
  const [width, height] = size === '500 x 500' ? [500, 500] : [256, 288];
  const { image } = renderFinger({
    personSeed: seed,
    finger: 1 + (seed % 10),
    impression: seed % 13,
    condition,
    width,
    height,
  });
  const r = scoreFinger(SIZES[size](image));
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.value.feedback.some((f) => f.code === 'FINGER_MOVING');
}

function movingSeeds(condition: string, size: keyof typeof SIZES): number[] {
  return SEEDS.filter((seed) => toldMoving(seed, condition, size));
}

describe.each(Object.keys(SIZES) as (keyof typeof SIZES)[])('FINGER_MOVING at %s', (size) => {
  it('a finger that moved during the capture is told to hold still (at least 26 of 30 seeds)', () => {
    const told = movingSeeds('moving', size);
    const missed = SEEDS.filter((s) => !told.includes(s));
    expect(told.length, `missed seeds ${missed}`).toBeGreaterThanOrEqual(26);
  }, 120_000);

  it.each([
    ['good', 1],
    ['dry', 1],
    ['wet', 1],
    ['partial', 1],
    ['smudged', 2],
  ] as const)(
    'a %s print is not told it moved (at most %i of 30 seeds)',
    (condition, most) => {
      const told = movingSeeds(condition, size);
      expect(told.length, `told moving: seeds ${told}`).toBeLessThanOrEqual(most);
    },
    120_000,
  );
});
