/**
 * The unified quality score (protocol/quality/score.ts): the fitted model's integrity, its
 * identity (ours, never NFIQ 2's), scoreFinger's results for bad input, and the score falling as
 * the image degradations (blur, noise, contrast loss) get stronger on person seeds the fit never
 * saw. The generator conditions are in quality-score-conditions.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type GreyImage,
  MAX_INPUT_SIDE,
  SCORE_FEATURES,
  SCORE_IDENTITY,
  SCORE_MODEL,
  scoreFinger,
  scoreFromFeatures,
  scoreOf,
  Z_LIMIT,
} from '../../../protocol/quality/index.ts';
import { blur, noise, washOut } from '../../../simulators/fingerprint/degrade.ts';
import { type RenderedImage, renderFinger } from '../../../simulators/fingerprint/generator.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

/**
 * Person seeds outside the fit (1001..1064) and validation (5001..5016) sets, picked for variety
 * before any score was looked at: a loop on a right index, a whorl on a right little finger, a
 * tented arch on a left thumb.
 */
const HELD_OUT = [9001, 9004, 9005] as const;

function good(personSeed: number): RenderedImage {
  return renderFinger({ personSeed, finger: 1 + (personSeed % 10), impression: personSeed % 17 }).image;
}

/** Unrounded score: rounding can only tie neighbours, and the property is about the model. */
function modelScore(image: GreyImage): number {
  const result = scoreFinger(image);
  if (!result.ok) throw new Error(`${result.error.reason}: ${result.error.detail}`);
  const { measures, signals } = result.value;
  if (measures === undefined || signals === undefined) throw new Error('no print found');
  return scoreOf(measures, signals);
}

function meansOver(
  levels: readonly number[],
  make: (image: RenderedImage, s: number, seed: number) => GreyImage,
) {
  const prints = HELD_OUT.map((s) => good(s));
  return levels.map((level) => {
    const scores = HELD_OUT.map((s, i) => modelScore(make(prints[i] as RenderedImage, level, s)));
    return scores.reduce((a, b) => a + b, 0) / scores.length;
  });
}

function expectFalling(means: readonly number[]): void {
  for (let i = 1; i < means.length; i++)
    expect(means[i], `level ${i} of ${means.join(', ')}`).toBeLessThan(means[i - 1] as number);
}

describe('model', () => {
  it('stores one weight per feature, in the features order', () => {
    expect(SCORE_MODEL.features.map((f) => f.name)).toEqual(SCORE_FEATURES.map((f) => f.name));
  });

  it('pulls every feature only the way its meaning says (weight sign = declared sense, or zero)', () => {
    SCORE_MODEL.features.forEach((f, i) => {
      const sense = SCORE_FEATURES[i]?.sense === 'higher-is-better' ? 1 : -1;
      expect(f.weight * sense, f.name).toBeGreaterThanOrEqual(0);
      expect(f.scale, f.name).toBeGreaterThan(0);
    });
    expect(SCORE_MODEL.features.filter((f) => f.weight !== 0).length).toBeGreaterThanOrEqual(5);
  });

  it('records a fit that held up on validation seeds', () => {
    expect(SCORE_MODEL.fit.samples).toBeGreaterThan(1000);
    expect(SCORE_MODEL.fit.validation.spearman).toBeGreaterThan(0.85);
    expect(SCORE_MODEL.fit.validation.rmse).toBeLessThan(15);
  });

  it('counts a feature that cannot be computed as its worst value', () => {
    const features = new Float64Array(SCORE_FEATURES.length).fill(Number.NaN);
    let worst = SCORE_MODEL.intercept;
    for (const f of SCORE_MODEL.features) worst -= Z_LIMIT * Math.abs(f.weight);
    expect(scoreFromFeatures(features, SCORE_MODEL)).toBeCloseTo(100 / (1 + Math.exp(-worst)), 10);
    expect(scoreFromFeatures(features, SCORE_MODEL)).toBeLessThan(1);
  });
});

describe('identity', () => {
  it('is ours, not NFIQ 2 (CBEFF vendor 0x0101)', () => {
    expect(SCORE_IDENTITY).toEqual({ vendorId: 0x0000, productId: 0x0001, version: SCORE_MODEL.version });
    expect(SCORE_IDENTITY.vendorId).not.toBe(0x0101);
    expect(Object.isFrozen(SCORE_IDENTITY)).toBe(true);
  });

  it('travels with every score', () => {
    const r = scoreFinger(good(HELD_OUT[0]));
    expect(r.ok && r.value.identity).toEqual(SCORE_IDENTITY);
  });
});

describe('scoreFinger on bad input', () => {
  it.each([
    ['empty', { width: 0, height: 0, pixels: new Uint8Array(0) }],
    ['too-small', { width: 1, height: 1, pixels: new Uint8Array([128]) }],
    ['size-mismatch', { width: 500, height: 500, pixels: new Uint8Array(500 * 499) }],
    ['too-large', { width: MAX_INPUT_SIDE + 1, height: 500, pixels: new Uint8Array(16) }],
    ['too-large', { width: 1600, height: 1500, pixels: new Uint8Array(1600 * 1500).fill(90) }],
    ['invalid-size', { width: 40.5, height: 40, pixels: new Uint8Array(1620) }],
  ] as const)('%s: a typed error result', (reason, image) => {
    const r = scoreFinger(image);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it('all white: no finger, score 0, and NFIQ 2 flags the empty image', () => {
    const r = scoreFinger({ width: 500, height: 500, pixels: new Uint8Array(250_000).fill(255) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.score).toBe(0);
    expect(r.value.feedback.map((f) => f.code)).toEqual(['FINGER_NOT_DETECTED']);
    expect(r.value.measures?.feedback.emptyImageOrContrastTooLow).toBe(true);
    expect(r.value.identity).toEqual(SCORE_IDENTITY);
  });

  it('a speck on white (a print under 36 px after trimming): no finger, score 0, no measures', () => {
    const pixels = new Uint8Array(500 * 500).fill(255);
    for (let y = 240; y < 260; y++) pixels.fill(20, y * 500 + 240, y * 500 + 260);
    const r = scoreFinger({ width: 500, height: 500, pixels });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.score).toBe(0);
    expect(r.value.feedback.map((f) => f.code)).toEqual(['FINGER_NOT_DETECTED']);
    expect(r.value.measures).toBeUndefined();
  });

  it('uniform grey and empty glass: no finger, score 0', () => {
    const grey = scoreFinger({ width: 300, height: 300, pixels: new Uint8Array(90_000).fill(128) });
    const glass = scoreFinger(
      renderFinger({ personSeed: 9001, condition: 'no-finger', impression: 2 }).image,
    );
    for (const r of [grey, glass]) {
      expect(r.ok && r.value.score).toBe(0);
      expect(r.ok && r.value.feedback.map((f) => f.code)).toEqual(['FINGER_NOT_DETECTED']);
    }
  });

  it('never throws: random sizes, buffers and content give a result', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (width, height, extra, base, salt) => {
          const length = Math.max(0, width * height + (extra === 0 ? 0 : extra));
          const pixels = new Uint8Array(length);
          let state = salt | 1;
          for (let i = 0; i < length; i++) {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            pixels[i] = (base + (state & 63)) & 255;
          }
          const r = scoreFinger({ width, height, pixels });
          if (r.ok) {
            expect(r.value.score).toBeGreaterThanOrEqual(0);
            expect(r.value.score).toBeLessThanOrEqual(100);
            expect(Number.isInteger(r.value.score)).toBe(true);
          } else
            expect(['empty', 'invalid-size', 'size-mismatch', 'too-small', 'too-large']).toContain(
              r.error.reason,
            );
        },
      ),
      { seed, numRuns: 60 },
    );
  });
});

describe('a good print', () => {
  it('scores high, with no feedback, and takes supplied or extracted minutiae into the record', () => {
    const image = good(HELD_OUT[1]);
    const plain = scoreFinger(image);
    expect(plain.ok).toBe(true);
    if (!plain.ok) return;
    expect(plain.value.score).toBeGreaterThanOrEqual(75);
    expect(plain.value.feedback).toEqual([]);
    expect(plain.value.minutiae).toBe('not-computed');
    expect(plain.value.measures?.measures.Minutiae_Count).toBe(0);

    const minutiae = [
      { x: 250, y: 250 },
      { x: 260, y: 240 },
      { x: 230, y: 270 },
    ];
    const supplied = scoreFinger(image, { minutiae });
    expect(supplied.ok && supplied.value.minutiae).toBe('supplied');
    expect(supplied.ok && supplied.value.measures?.measures.Minutiae_Count).toBe(3);
    // The score does not read minutiae.
    expect(supplied.ok && supplied.value.score).toBe(plain.value.score);

    const extracted = scoreFinger(image, { minutiae: 'extract' });
    expect(extracted.ok && extracted.value.minutiae).toBe('extracted');
    // A good generated print carries dozens of minutiae; NFIQ 2 flags fewer than 5.
    expect(extracted.ok && extracted.value.measures?.measures.Minutiae_Count).toBeGreaterThan(20);
    expect(extracted.ok && extracted.value.score).toBe(plain.value.score);
  });
});

describe('the score falls as image degradations get stronger (held-out seeds, mean of three)', () => {
  it('blur: Gaussian sigma 0, 0.75, 1.5, 2.25, 3 px', () => {
    expectFalling(meansOver([0, 0.75, 1.5, 2.25, 3], (image, sigma) => blur(image, sigma)));
  });

  it('noise: sigma 0, 10, 20, 30, 40 grey levels', () => {
    expectFalling(meansOver([0, 10, 20, 30, 40], (image, sigma, s) => noise(image, sigma, s)));
  });

  it('low contrast: washOut loss 0, 0.32, 0.48, 0.64, 0.8', () => {
    // Below a loss of about 0.15 a good print keeps all the ink depth the score counts (capped at
    // 150 grey levels): the first step is taken past it.
    expectFalling(meansOver([0, 0.32, 0.48, 0.64, 0.8], (image, loss) => washOut(image, loss)));
  });
});
