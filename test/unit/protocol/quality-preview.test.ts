/**
 * Live-preview assessment (protocol/quality/preview.ts) on generated 400 x 400 frames, at full
 * resolution and downscaled to 1/4 (125 ppi): a finger is told from empty glass and from a latent
 * left on it, an off-centre finger from a centred one, a fingertip from a whole finger; bad frames
 * give typed errors. Speed is measured by bench/quality-score.ts, not here.
 */
import { describe, expect, it } from 'vitest';
import { downscaleBox } from '../../../protocol/image/downscale.ts';
import {
  assessPreview,
  type GreyImage,
  PREVIEW_THRESHOLDS,
  type PreviewAssessment,
} from '../../../protocol/quality/index.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';

/** Person seeds apart from the score's fit (1001..1064) and validation (5001..5016). */
const SEEDS = [9001, 9004, 9005] as const;

function frame(personSeed: number, condition = 'good', severity?: number, impression = 1): GreyImage {
  return renderFinger({
    personSeed,
    finger: 1 + (personSeed % 10),
    impression,
    condition,
    width: 400,
    height: 400,
    ...(severity === undefined ? {} : { severity }),
  }).image;
}

/** The frame moved by dx px, the uncovered strip filled with the glass grey level. */
function shifted(image: GreyImage, dx: number): GreyImage {
  const { width, height, pixels } = image;
  const sorted = Uint8Array.from(pixels).sort();
  const glass = sorted[Math.floor(sorted.length * 0.98)] ?? 240;
  const out = new Uint8Array(pixels.length).fill(glass);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < width) out[y * width + x] = pixels[y * width + sx] ?? glass;
    }
  return { width, height, pixels: out };
}

function assess(image: GreyImage, ppi?: number): PreviewAssessment {
  const r = assessPreview(image, ppi === undefined ? {} : { ppi });
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

const SCALES = [
  ['full resolution (500 ppi)', (image: GreyImage) => assess(image)],
  ['1/4 scale (125 ppi)', (image: GreyImage) => assess(downscaleBox(image, 4), 125)],
] as const;

describe('latents left on the glass by many people', () => {
  it('read as a finger at most once in 40 frames, at either scale', () => {
    const frames = Array.from({ length: 40 }, (_, i) => frame(200 + i, 'no-finger', undefined, i % 3));
    for (const [, look] of SCALES) {
      const present = frames.filter((image) => look(image).fingerPresent).length;
      expect(present).toBeLessThanOrEqual(1);
    }
  }, 60_000);
});

describe.each(SCALES)('%s', (_name, look) => {
  it.each(SEEDS)('a finger is present, centred, with a finger-sized area (seed %i)', (s) => {
    const a = look(frame(s));
    expect(a.fingerPresent).toBe(true);
    expect(a.centred).toBe(true);
    expect(a.area500).toBeGreaterThan(60_000);
    expect(a.area500).toBeLessThan(200_000);
    expect(a.contrast).toBeGreaterThan(120);
    expect(a.quality).toBeGreaterThanOrEqual(80);
  });

  it('empty glass and a latent left on it: no finger, quality 0', () => {
    for (let impression = 0; impression < 6; impression++) {
      const a = look(frame(SEEDS[0], 'no-finger', undefined, impression));
      expect(a.fingerPresent).toBe(false);
      expect(a.centred).toBe(false);
      expect(a.quality).toBe(0);
      expect(Number.isNaN(a.offsetX)).toBe(true);
    }
  });

  it.each(SEEDS)('a finger moved 130 px sideways is present but not centred (seed %i)', (s) => {
    const image = frame(s);
    const left = look(shifted(image, -130));
    const right = look(shifted(image, 130));
    expect(left.fingerPresent && right.fingerPresent).toBe(true);
    expect(left.centred || right.centred).toBe(false);
    expect(left.offsetX).toBeLessThan(-PREVIEW_THRESHOLDS.offCentre);
    expect(right.offsetX).toBeGreaterThan(PREVIEW_THRESHOLDS.offCentre);
    expect(Math.max(left.quality, right.quality)).toBeLessThan(look(image).quality);
  });

  it.each(SEEDS)('a fingertip (partial at 0.9) shows a third of the area or less (seed %i)', (s) => {
    const whole = look(frame(s));
    const tip = look(frame(s, 'partial', 0.9));
    expect(tip.fingerPresent).toBe(true);
    expect(tip.area500).toBeLessThan(whole.area500 / 3);
    expect(tip.areaFraction).toBeLessThan(whole.areaFraction / 3);
    expect(tip.quality).toBeLessThan(whole.quality);
  });

  it.each(SEEDS)('a light touch has less contrast and area than a good print (seed %i)', (s) => {
    const whole = look(frame(s));
    const light = look(frame(s, 'light-touch', 0.8));
    expect(light.contrast).toBeLessThan(whole.contrast * 0.75);
    expect(light.area500).toBeLessThan(whole.area500 / 2);
    expect(light.quality).toBeLessThan(whole.quality / 2);
  });
});

describe('resolution', () => {
  it('measures clarity only where ridges are resolved', () => {
    const image = frame(SEEDS[0]);
    expect(assess(image).clarity).toBeGreaterThan(0.5);
    expect(Number.isNaN(assess(downscaleBox(image, 4), 125).clarity)).toBe(true);
  });

  it('agrees on area and centring between full resolution and 1/4', () => {
    for (const s of SEEDS) {
      const full = assess(frame(s));
      const quarter = assess(downscaleBox(frame(s), 4), 125);
      expect(Math.abs(full.area500 - quarter.area500)).toBeLessThan(0.15 * full.area500);
      expect(Math.abs(full.offsetX - quarter.offsetX)).toBeLessThan(0.03);
      expect(Math.abs(full.offsetY - quarter.offsetY)).toBeLessThan(0.03);
    }
  });
});

describe('bad frames', () => {
  it.each([
    ['empty', { width: 0, height: 0, pixels: new Uint8Array(0) }, {}],
    ['too-small', { width: 1, height: 1, pixels: new Uint8Array(1) }, {}],
    ['size-mismatch', { width: 400, height: 400, pixels: new Uint8Array(399 * 400) }, {}],
    ['too-large', { width: 5000, height: 400, pixels: new Uint8Array(4) }, {}],
    ['invalid-size', { width: 10.5, height: 40, pixels: new Uint8Array(420) }, {}],
    ['invalid-size', { width: 40, height: 40, pixels: new Uint8Array(1600) }, { ppi: 0 }],
  ] as const)('%s: a typed error result', (reason, image, options) => {
    const r = assessPreview(image, options);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it('an all-white frame: no finger', () => {
    const a = assess({ width: 400, height: 400, pixels: new Uint8Array(160_000).fill(255) });
    expect(a.fingerPresent).toBe(false);
    expect(a.quality).toBe(0);
  });
});
