import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compare,
  MAX_INPUT_MINUTIAE,
  MAX_USED_MINUTIAE,
  type MatchMinutia,
  type PrepareErrorReason,
  type PrepareResult,
  prepare,
} from '../../../protocol/fingerprint/match/index.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const REASONS: readonly PrepareErrorReason[] = ['cannot-compare', 'invalid-value', 'too-large'];

/** Numbers a template file or a buggy extractor could hand over. */
const anyNumber = fc.oneof(
  fc.double({ noDefaultInfinity: false, noNaN: false }),
  fc.integer({ min: -10, max: 600 }),
  fc.constantFrom(0, -0, 499.999, 500, Number.NaN, Number.POSITIVE_INFINITY, Number.MIN_VALUE),
);

const minutia: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ x: anyNumber, y: anyNumber, angle: anyNumber }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        x: fc.double({ min: 0, max: 499, noNaN: true }),
        y: fc.double({ min: 0, max: 499, noNaN: true }),
        angle: anyNumber,
        kind: fc.constantFrom('ending', 'bifurcation', 'other', 'core', 7),
        quality: anyNumber,
      },
      { requiredKeys: ['x', 'y', 'angle'] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, 5, 'm', []) },
);

/** A result is an honest outcome: a template whose arrays fit its counts, or a typed error. */
function checkResult(result: PrepareResult, inputs: number): void {
  if (!result.ok) {
    expect(REASONS).toContain(result.error.reason);
    expect(typeof result.error.detail).toBe('string');
    return;
  }
  const t = result.value;
  expect(t.count).toBeLessThanOrEqual(Math.min(MAX_USED_MINUTIAE, inputs));
  expect(t.distance.length).toBe(t.count * t.count);
  for (const s of t.source) expect(s >= 0 && s < inputs).toBe(true);
  const self = compare(t, t);
  expect(self.score >= 0 && self.score <= 1).toBe(true);
  for (const [i, j] of self.pairs) expect(i >= 0 && i < inputs && j >= 0 && j < inputs).toBe(true);
}

describe('prepare and compare on malformed and degenerate minutiae', () => {
  it('give a template or a typed error for anything, never a throw', () => {
    fc.assert(
      fc.property(
        fc.array(minutia, { maxLength: 60 }),
        fc.oneof(fc.constant(500), anyNumber),
        fc.oneof(fc.constant(500), anyNumber),
        (minutiae, width, height) => {
          const result = prepare({ width, height, minutiae: minutiae as MatchMinutia[] });
          checkResult(result, minutiae.length);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('compare any two templates made from valid minutiae into a score in [0, 1]', () => {
    const valid = fc.record({
      x: fc.double({ min: 0, max: 499.9, noNaN: true }),
      y: fc.double({ min: 0, max: 499.9, noNaN: true }),
      angle: fc.double({ min: -20, max: 20, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(valid, { maxLength: 120 }), fc.array(valid, { maxLength: 120 }), (a, b) => {
        const ta = prepare({ width: 500, height: 500, minutiae: a });
        const tb = prepare({ width: 500, height: 500, minutiae: b });
        checkResult(ta, a.length);
        checkResult(tb, b.length);
        if (ta.ok && tb.ok) {
          const { score, pairs } = compare(ta.value, tb.value);
          expect(score >= 0 && score <= 1).toBe(true);
          expect(new Set(pairs.map(([i]) => i)).size).toBe(pairs.length);
          expect(new Set(pairs.map(([, j]) => j)).size).toBe(pairs.length);
        }
      }),
      { seed, numRuns: 100 },
    );
  });

  it('say cannot-compare for a set that is one point given many times, or a line', () => {
    const point = Array.from({ length: 300 }, () => ({ x: 100, y: 100, angle: 1 }));
    expect(prepare({ width: 500, height: 500, minutiae: point })).toMatchObject({
      ok: false,
      error: { reason: 'cannot-compare', found: 1 },
    });
    // Collinear points: the convex hull is a segment; the result is a template or a typed error.
    const line = Array.from({ length: 40 }, (_, i) => ({ x: 50 + 10 * i, y: 250, angle: 0 }));
    checkResult(prepare({ width: 500, height: 500, minutiae: line }), line.length);
  });

  it('refuse 10,000 minutiae at once, and bound the work for the most they accept', () => {
    const flood = Array.from({ length: 10_000 }, (_, i) => ({
      x: i % 500,
      y: Math.floor(i / 500),
      angle: 0,
    }));
    expect(prepare({ width: 500, height: 500, minutiae: flood })).toMatchObject({
      ok: false,
      error: { reason: 'too-large', found: 10_000 },
    });
    // The largest set accepted, dense: at most MAX_USED_MINUTIAE cylinders, whatever came in.
    const most = Array.from({ length: MAX_INPUT_MINUTIAE }, (_, i) => ({
      x: 20 + (i % 40) * 11.5,
      y: 20 + Math.floor(i / 40) * 18,
      angle: (i * 0.7) % 6,
    }));
    const result = prepare({ width: 500, height: 500, minutiae: most });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.minutiae).toBe(MAX_USED_MINUTIAE);
      expect(result.value.count).toBeLessThanOrEqual(MAX_USED_MINUTIAE);
      checkResult(result, most.length);
    }
  });
});
