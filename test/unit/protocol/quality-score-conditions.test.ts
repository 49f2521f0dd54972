/**
 * The unified quality score against the generator's skin and capture conditions, graded by
 * `severity`, on person seeds the fit never saw: the mean score of three seeds falls at every step,
 * and a good print scores above every print at full strength of any degradation family.
 *
 * The levels follow where each condition changes the print. Heavy pressure draws grey valleys from
 * severity 0 on and barely changes until about 0.6 (the ridges then widen and merge), so its
 * steps are 0, 0.6, 0.8, 1; a smear longer than a ridge period (severity 0.5 for smudged) takes
 * little more, so the smear steps are spread out. docs/quality-score.md shows every level.
 */
import { describe, expect, it } from 'vitest';
import { type GreyImage, scoreFinger, scoreOf } from '../../../protocol/quality/index.ts';
import { blur, noise, washOut } from '../../../simulators/fingerprint/degrade.ts';
import { type RenderedImage, renderFinger } from '../../../simulators/fingerprint/generator.ts';

/** The held-out seeds of quality-score.test.ts: outside the fit (1001..1064) and validation (5001..5016). */
const HELD_OUT = [9001, 9004, 9005] as const;

function render(personSeed: number, condition: string, severity?: number): RenderedImage {
  return renderFinger({
    personSeed,
    finger: 1 + (personSeed % 10),
    impression: personSeed % 17,
    condition,
    ...(severity === undefined ? {} : { severity }),
  }).image;
}

function scored(image: GreyImage): { score: number; model: number } {
  const result = scoreFinger(image);
  if (!result.ok) throw new Error(`${result.error.reason}: ${result.error.detail}`);
  const { measures, signals, score } = result.value;
  if (measures === undefined || signals === undefined) return { score, model: 0 };
  return { score, model: scoreOf(measures, signals) };
}

// The full-strength prints of the monotonicity tests come back in the last test: keep them.
const cache = new Map<string, { score: number; model: number }>();
function scoredCondition(personSeed: number, condition: string, severity?: number) {
  const key = `${personSeed}/${condition}/${severity}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = scored(render(personSeed, condition, severity));
  cache.set(key, value);
  return value;
}

function meansOver(condition: string, levels: readonly number[]): number[] {
  return levels.map((level) => {
    const scores = HELD_OUT.map((s) => scoredCondition(s, condition, level).model);
    return scores.reduce((a, b) => a + b, 0) / scores.length;
  });
}

function expectFalling(means: readonly number[]): void {
  for (let i = 1; i < means.length; i++)
    expect(means[i], `level ${i} of ${means.map((m) => m.toFixed(1)).join(', ')}`).toBeLessThan(
      means[i - 1] as number,
    );
}

describe('the score falls as a condition gets stronger (held-out seeds, mean of three)', () => {
  it.each([
    ['dry', [0, 0.3, 0.6, 1]],
    ['wet', [0, 0.3, 0.6, 1]],
    ['partial', [0, 0.3, 0.6, 1]],
    ['smudged', [0, 0.3, 0.6, 1]],
    ['moving', [0, 0.2, 0.6, 1]],
    ['heavy-pressure', [0, 0.6, 0.8, 1]],
    ['light-touch', [0, 0.4, 0.7, 1]],
  ] as const)('%s at severities %o', (condition, levels) => {
    expectFalling(meansOver(condition, levels));
  });
});

describe('good prints score above every strongly degraded one', () => {
  it('each held-out good print beats every family at full strength on every held-out seed', () => {
    const goodScores = HELD_OUT.map((s) => scoredCondition(s, 'good').score);
    const strong: [string, number][] = [];
    for (const s of HELD_OUT) {
      const base = render(s, 'good');
      strong.push([`blur 3 seed ${s}`, scored(blur(base, 3)).score]);
      strong.push([`noise 40 seed ${s}`, scored(noise(base, 40, s)).score]);
      strong.push([`washOut 0.8 seed ${s}`, scored(washOut(base, 0.8)).score]);
      for (const condition of ['dry', 'wet', 'partial', 'smudged', 'moving', 'heavy-pressure', 'light-touch'])
        strong.push([`${condition} 1 seed ${s}`, scoredCondition(s, condition, 1).score]);
    }
    const [worstName, worst] = strong.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(Math.min(...goodScores), `best strongly degraded: ${worstName} at ${worst}`).toBeGreaterThan(
      worst,
    );
    expect(Math.min(...goodScores)).toBeGreaterThanOrEqual(75);
  });
});
