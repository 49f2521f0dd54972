/**
 * computeQualityMeasures as the station calls it: refusals with typed reasons, blank and uniform
 * images, supplied minutiae, the white-frame trim, and the maps the score and the officer
 * feedback are built from.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIONABLE_FEEDBACK_NAMES,
  computeQualityMeasures,
  MAX_INPUT_SIDE,
  MIN_SIDE,
  MINUTIAE_MEASURE_NAMES,
  NIST_COMPUTED_MEASURE_NAMES,
  QUALITY_MEASURE_NAMES,
  type QualityMeasures,
  type QualityResult,
} from '../../../protocol/quality/index.ts';
import { decodePgm } from '../../../station/imaging/grey-image.ts';
import { readFixture } from '../../support/fixtures.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

function value(result: QualityResult): QualityMeasures {
  if (!result.ok) throw new Error(`${result.error.reason}: ${result.error.detail}`);
  return result.value;
}

/** `inner` (an image) pasted at (left, top) on a white page of width x height. */
function onWhitePage(
  inner: { width: number; height: number; pixels: Uint8Array },
  width: number,
  height: number,
  left: number,
  top: number,
) {
  const pixels = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < inner.height; y++)
    pixels.set(inner.pixels.subarray(y * inner.width, (y + 1) * inner.width), (top + y) * width + left);
  return { width, height, pixels };
}

describe('refusals', () => {
  it.each([
    ['empty', { width: 0, height: 0, pixels: new Uint8Array(0) }],
    ['empty', { width: 100, height: 100, pixels: new Uint8Array(0) }],
    ['invalid-size', { width: 40.5, height: 40, pixels: new Uint8Array(1620) }],
    ['invalid-size', { width: -40, height: -40, pixels: new Uint8Array(1600) }],
    ['too-small', { width: 1, height: 1, pixels: new Uint8Array(1) }],
    ['too-small', { width: MIN_SIDE - 1, height: 200, pixels: new Uint8Array((MIN_SIDE - 1) * 200) }],
    ['size-mismatch', { width: 100, height: 100, pixels: new Uint8Array(9999) }],
    ['size-mismatch', { width: 100, height: 100, pixels: new Uint8Array(10001) }],
    ['too-large', { width: MAX_INPUT_SIDE + 1, height: 40, pixels: new Uint8Array(1) }],
  ] as const)('%s: %o', (reason, image) => {
    const r = computeQualityMeasures(image);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it('refuses a print wider than 800 px after trimming (a slap, not one finger)', () => {
    const pixels = new Uint8Array(900 * 100).fill(90);
    const r = computeQualityMeasures({ width: 900, height: 100, pixels });
    expect(r.ok ? 'ok' : r.error).toMatchObject({ reason: 'too-large', width: 900, height: 100 });
  });

  it('refuses a print smaller than one local region after trimming, with the trimmed size', () => {
    const blob = { width: 20, height: 50, pixels: new Uint8Array(20 * 50).fill(40) };
    const r = computeQualityMeasures(onWhitePage(blob, 300, 300, 100, 100));
    expect(r.ok ? 'ok' : r.error).toMatchObject({ reason: 'too-small', width: 20, height: 50 });
  });
});

describe('blank and uniform images', () => {
  it('measures a white page without throwing and flags it for the officer', () => {
    const r = value(
      computeQualityMeasures({ width: 200, height: 200, pixels: new Uint8Array(40000).fill(255) }),
    );
    expect(r.crop).toEqual({ left: 0, top: 0, width: 200, height: 200 });
    expect(r.feedback).toEqual({
      uniformImage: true,
      emptyImageOrContrastTooLow: true,
      tooFewMinutiae: true,
      insufficientForeground: true,
    });
    expect(r.measures.Mu).toBe(255);
    expect(r.measures.UniformImage).toBe(0);
    // No local region has anything to measure: zero counts, NaN means, listed as missing.
    expect(r.measures.FDA_Bin10_0).toBe(0);
    expect(r.missing).toEqual(
      expect.arrayContaining(['FDA_Bin10_Mean', 'OCL_Bin10_StdDev', 'RVUP_Bin10_Mean']),
    );
    expect(r.missing.every((name) => Number.isNaN(r.measures[name]))).toBe(true);
  });
});

describe('a real print (SFinGe_Test04)', () => {
  let r: QualityMeasures;
  const image = decodePgm(readFixture('nfiq2/SFinGe_Test04.pgm'));
  beforeAll(() => {
    r = value(computeQualityMeasures(image));
  });

  it('returns every measure by name, all finite, none missing', () => {
    expect(Object.keys(r.measures).sort()).toEqual([...QUALITY_MEASURE_NAMES].sort());
    expect(new Set(QUALITY_MEASURE_NAMES).size).toBe(73);
    expect(NIST_COMPUTED_MEASURE_NAMES).toHaveLength(65);
    expect(MINUTIAE_MEASURE_NAMES).toHaveLength(4);
    expect(ACTIONABLE_FEEDBACK_NAMES).toHaveLength(4);
    expect(Object.values(r.measures).every(Number.isFinite)).toBe(true);
    expect(r.missing).toEqual([]);
    expect(r.feedback).toEqual({
      uniformImage: false,
      emptyImageOrContrastTooLow: false,
      tooFewMinutiae: false,
      insufficientForeground: false,
    });
  });

  it('exposes maps whose sizes follow the trimmed print and agree with the measures', () => {
    const { width, height } = r.crop;
    const { maps, measures } = r;
    expect(maps.blocks).toEqual({ originX: 0, originY: 0, size: 32, cols: 13, rows: 17 });
    expect(maps.segmentation).toHaveLength(13 * 17);
    expect(maps.roiMask).toHaveLength(width * height);
    expect(maps.roiMask.reduce((a, b) => a + b, 0)).toBe(measures.SufficientFingerprintForeground);
    // A block is an ROI block exactly when it holds an ROI pixel.
    for (let by = 0; by < 17; by++)
      for (let bx = 0; bx < 13; bx++) {
        let any = 0;
        for (let y = by * 32; y < Math.min(height, by * 32 + 32); y++)
          for (let x = bx * 32; x < Math.min(width, bx * 32 + 32); x++)
            any |= maps.roiMask[y * width + x] ?? 0;
        expect(maps.roiBlocks[by * 13 + bx]).toBe(any);
      }
    let coherence = 0;
    maps.coherence.forEach((c, b) => {
      expect(Number.isNaN(c)).toBe(maps.roiBlocks[b] !== 1);
      if (!Number.isNaN(c)) coherence += c;
    });
    expect(coherence).toBeCloseTo(measures.OrientationMap_ROIFilter_CoherenceSum, 9);
    // OCL: one value per full block, matching the histogram's count.
    const ocl = [...maps.ocl].filter((v) => !Number.isNaN(v));
    const oclBins = Array.from({ length: 10 }, (_, i) => measures[`OCL_Bin10_${i}` as 'OCL_Bin10_0']);
    expect(ocl).toHaveLength(oclBins.reduce((a, b) => a + b, 0));
    // Local regions: 2 px in, 32 px apart, as many as fit a 36 px window.
    const regions = maps.regions;
    expect(regions.grid).toEqual({ originX: 2, originY: 2, size: 32, cols: 12, rows: 16 });
    const fda = [...regions.fda].filter((v) => !Number.isNaN(v));
    expect(fda).toHaveLength(regions.foreground.reduce((a, b) => a + b, 0));
    const fdaMean = fda.reduce((a, b) => a + b, 0) / fda.length;
    expect(fdaMean).toBeCloseTo(measures.FDA_Bin10_Mean, 12);
    expect([...regions.lcs].filter((v) => !Number.isNaN(v))).toHaveLength(fda.length);
    expect([...regions.of].filter((v) => !Number.isNaN(v)).length).toBeLessThanOrEqual(fda.length);
  });

  it('measures the same print the same way with more white rows around it', () => {
    // Only rows: extra white columns would raise every row mean, and NIST trims rows whose mean is
    // above 250 over the full width, so a wider page can trim faint edge rows of the print too.
    const page = onWhitePage(image, image.width, 700, 0, 45);
    const moved = value(computeQualityMeasures(page));
    expect(moved.crop).toEqual({ ...r.crop, top: r.crop.top + 45 });
    for (const name of NIST_COMPUTED_MEASURE_NAMES) expect(moved.measures[name], name).toBe(r.measures[name]);
    expect(moved.minutiae).toEqual(r.minutiae.map((m) => ({ x: m.x, y: m.y + 45 })));
  });

  it('trims rows by their mean over the full width, as NIST does', () => {
    // The same print with 184 white columns beside it: its four faintest top rows now average
    // above 250 and go with the frame.
    const moved = value(computeQualityMeasures(onWhitePage(image, 600, image.height, 77, 0)));
    expect(moved.crop).toEqual({ left: 77, top: r.crop.top + 4, width: 416, height: r.crop.height - 4 });
  });

  it('uses supplied minutiae (input pixels), dropping those outside the trimmed print', () => {
    const top = r.crop.top; // 22 white rows above the print
    const supplied = [
      { x: 100, y: top + 100 },
      { x: 150, y: top + 150 },
      { x: 200, y: top + 120 },
      { x: 50, y: 5 }, // in the trimmed-off white frame
    ];
    const withOurs = value(computeQualityMeasures(image, { minutiae: supplied }));
    expect(withOurs.minutiaeSource).toBe('supplied');
    expect(withOurs.minutiae).toEqual(supplied.slice(0, 3));
    expect(withOurs.measures.Minutiae_Count).toBe(3);
    expect(withOurs.measures.FingerprintImageWithMinutiae).toBe(3);
    expect(withOurs.feedback.tooFewMinutiae).toBe(true);
    // Centre of mass (150, 123) in the print: all three lie in its 200 x 200 box.
    expect(withOurs.measures.Minutiae_COMMinRect200x200).toBe(3);
    for (const name of NIST_COMPUTED_MEASURE_NAMES)
      expect(withOurs.measures[name], name).toBe(r.measures[name]);
  });
});

describe('minutiae measures', () => {
  it('counts the 200 x 200 box around the centre of mass with its edges, and scores Mu and OCL per minutia', () => {
    // Vertical stripes (period 8, mean 130) on the left half; flat 130 on the right half, with a
    // darker 32 x 32 patch of 110 at (234, 34).
    const width = 400;
    const height = 300;
    const pixels = new Uint8Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const patch = x >= 234 && x < 266 && y >= 34 && y < 66;
        pixels[y * width + x] = x < 200 ? (x % 8 < 4 ? 40 : 220) : patch ? 110 : 130;
      }
    const minutiae = [
      { x: 100, y: 150 }, // stripes
      { x: 300, y: 150 }, // flat
      { x: 0, y: 150 }, // stripes, at the edge: its block is shifted into the image
      { x: 250, y: 50 }, // centred on the patch
    ];
    const m = value(computeQualityMeasures({ width, height, pixels }, { minutiae })).measures;
    expect(m.Minutiae_Count).toBe(4);
    // Centre of mass (162, 125): box x 62..262, y 25..225 holds (100, 150) and (250, 50).
    expect(m.Minutiae_COMMinRect200x200).toBe(2);
    // OCL 1 on the stripes; no gradient inside the flat blocks (the patch fills its block exactly).
    expect(m.MinutiaeQuality_OCL80).toBe(0.5);
    // (Mu - block mean) / sigma in (0, 0.5]: only the patch, 0.31 sigma darker than the image.
    expect(m.MinutiaeQuality_Mu2).toBe(0.25);
  });

  it('never throws on arbitrary small images: a result or a typed refusal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 30, max: 72 }),
        fc.integer({ min: 30, max: 72 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (width, height, salt) => {
          const pixels = new Uint8Array(width * height);
          let s = salt | 1;
          for (let i = 0; i < pixels.length; i++) {
            s ^= s << 13;
            s ^= s >>> 17;
            s ^= s << 5;
            pixels[i] = (s >>> 24) & (salt % 2 === 0 ? 255 : 15);
          }
          const r = computeQualityMeasures({ width, height, pixels });
          if (r.ok) expect(r.value.measures.Mu).toBeGreaterThanOrEqual(0);
          else expect(r.error.reason).toBe('too-small');
        },
      ),
      { seed, numRuns: 40 },
    );
  });
});
