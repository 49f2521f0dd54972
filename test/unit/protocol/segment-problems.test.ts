/**
 * Segmentation results that cannot be used as asked carry a typed problem: no finger on the glass,
 * or the other kind of capture (four fingers segmented as thumbs, two thumbs as a four-finger hand).
 * A slap with undeclared missing fingers is not a mismatch.
 */
import { describe, expect, it } from 'vitest';
import { type Hand, segmentSlap } from '../../../protocol/fingerprint/segment.ts';
import { renderSlap } from '../../../simulators/fingerprint/generator.ts';

const SEEDS = Array.from({ length: 12 }, (_, i) => 700 + i);
/** Rendering a slap takes about a second on a loaded two-core machine. */
const SLOW = 240_000;

function problemOf(shown: Hand, asked: Hand, seed: number, missing: number[] = []) {
  const slap = renderSlap({ personSeed: seed, hand: shown, impression: seed % 7, missing });
  const r = segmentSlap(slap.image, { hand: asked });
  if (!r.ok) throw new Error(r.error.detail);
  return r.value.problem;
}

describe('segmentation problems', () => {
  it.each([
    ['all white', 255],
    ['all black', 0],
    ['empty glass', 235],
  ])('a %s image is SEGMENT_NO_FINGER', (_name, level) => {
    const r = segmentSlap(
      { width: 1600, height: 1500, pixels: new Uint8Array(1600 * 1500).fill(level) },
      { hand: 'right' },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.problem?.code).toBe('SEGMENT_NO_FINGER');
    expect(r.value.problem?.message.vi).toMatch(/ngón tay/);
    expect(r.value.problem?.message.en).toMatch(/No finger/);
  });

  it('an empty rendered slap is SEGMENT_NO_FINGER for every hand', () => {
    for (const hand of ['right', 'left', 'thumbs'] as const) {
      const slap = renderSlap({ personSeed: 9, hand, condition: 'no-finger' });
      const r = segmentSlap(slap.image, { hand });
      expect(r.ok && r.value.problem?.code).toBe('SEGMENT_NO_FINGER');
    }
  });

  it.each(['right', 'left'] as const)(
    'a %s slap segmented as thumbs is a mismatch (12 seeds)',
    (hand) => {
      for (const seed of SEEDS) {
        const problem = problemOf(hand, 'thumbs', seed);
        expect(problem?.code, `seed ${seed}`).toBe('SEGMENT_HAND_MISMATCH');
        expect(problem?.seen).toBe('four-fingers');
      }
    },
    SLOW,
  );

  it.each(['right', 'left'] as const)(
    'two thumbs segmented as the %s hand are a mismatch (12 seeds)',
    (hand) => {
      for (const seed of SEEDS) {
        const problem = problemOf('thumbs', hand, seed);
        expect(problem?.code, `seed ${seed}`).toBe('SEGMENT_HAND_MISMATCH');
        expect(problem?.seen).toBe('thumbs');
      }
    },
    SLOW,
  );

  it(
    'the hand asked for, and slaps with two fingers missing undeclared, have no problem (6 seeds each)',
    () => {
      const cases: [Hand, number[]][] = [
        ['right', []],
        ['left', []],
        ['thumbs', []],
        ['right', [4, 5]],
        ['right', [2, 3]],
        ['right', [3, 4]],
        ['left', [7, 10]],
        ['left', [9, 10]],
      ];
      for (const seed of SEEDS.slice(0, 6))
        for (const [hand, missing] of cases)
          expect(
            problemOf(hand, hand, seed, missing),
            `${hand} without ${missing} seed ${seed}`,
          ).toBeUndefined();
    },
    SLOW,
  );
});
