/**
 * The OpenCV behaviours NFIQ 2's numbers depend on (protocol/quality/opencv.ts), each against a
 * direct, slow statement of OpenCV's documented arithmetic: the fast paths (box decomposition,
 * two-rows-per-double packing, ring-buffer rebasing) must agree with it bit for bit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTOGRAM_BOUNDARIES, histogram } from '../../../protocol/quality/histogram.ts';
import {
  cvRound,
  erode5x5,
  gaussianBlur8u,
  gaussianKernelFixed,
  kernelBoxes,
  otsuThreshold,
  reflect101,
  rotationIndices,
  verticalBoxPass,
} from '../../../protocol/quality/opencv.ts';
import { fillHoles, keepLargest } from '../../../protocol/quality/roi.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

/** OpenCV's fixed-point GaussianBlur tap by tap: exact horizontal sum, vertical sum, one rounding. */
function referenceBlur(src: Uint8Array, width: number, height: number, taps: Int32Array): Uint8Array {
  const r = (taps.length - 1) / 2;
  const h = new Array<number>(width * height).fill(0);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++)
        s += (taps[i + r] ?? 0) * (src[y * width + reflect101(x + i, width)] ?? 0);
      h[y * width + x] = s;
    }
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) s += (taps[j + r] ?? 0) * (h[reflect101(y + j, height) * width + x] ?? 0);
      out[y * width + x] = (s + 32768) >> 16;
    }
  return out;
}

function noise(width: number, height: number, salt: number): Uint8Array {
  const out = new Uint8Array(width * height);
  let s = salt >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
}

describe('cvRound and BORDER_REFLECT_101', () => {
  it('rounds halves to even like the x86 conversion', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(cvRound)).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3,
    ]);
  });

  it('reflects without repeating the edge pixel (gfedcb|abcdefgh|gfedcba)', () => {
    expect([-3, -2, -1, 0, 7, 8, 9, 10].map((p) => reflect101(p, 8))).toEqual([3, 2, 1, 0, 7, 6, 5, 4]);
    // Beyond one image width, it keeps bouncing (OpenCV's loop).
    expect([-9, 16, 20].map((p) => reflect101(p, 8))).toEqual([5, 2, 6]);
    expect(reflect101(-5, 1)).toBe(0);
  });
});

describe('Gaussian blur, 8-bit bit-exact', () => {
  it('builds the fixed-point kernels NFIQ 2 uses: symmetric, summing to 256', () => {
    for (const size of [41, 91]) {
      const taps = gaussianKernelFixed(size);
      expect(taps.reduce((a, b) => a + b, 0)).toBe(256);
      expect([...taps]).toEqual([...taps].reverse());
    }
    // sigma 0 -> 0.15 n + 0.35, error-diffused to 8 fraction bits (pinned: NIST's ROI pixel counts
    // are reproduced exactly with these taps, quality-nist.test.ts).
    expect([...gaussianKernelFixed(41)].slice(0, 21)).toEqual([
      0, 0, 1, 0, 1, 1, 2, 2, 3, 3, 5, 6, 8, 8, 11, 11, 13, 15, 15, 15, 16,
    ]);
    expect([...gaussianKernelFixed(5)]).toEqual([16, 64, 96, 64, 16]);
    expect(() => gaussianKernelFixed(4)).toThrow(RangeError);
  });

  it('decomposes kernels into boxes that add back up to the taps', () => {
    for (const size of [3, 9, 41, 91]) {
      const taps = gaussianKernelFixed(size);
      const boxes = kernelBoxes(taps);
      const rebuilt = new Array<number>(size).fill(0);
      for (let t = 0; t < boxes.start.length; t++)
        for (let i = boxes.start[t] ?? 0; i <= (boxes.end[t] ?? 0); i++)
          rebuilt[i] = (rebuilt[i] ?? 0) + (boxes.weight[t] ?? 0);
      expect(rebuilt).toEqual([...taps]);
    }
    expect(kernelBoxes(gaussianKernelFixed(41)).start).toHaveLength(12);
    expect(kernelBoxes(gaussianKernelFixed(91)).start).toHaveLength(16);
  });

  it.each([
    [41, 60, 97],
    [41, 17, 230], // narrower than the kernel: reflection bounces more than once; rebasing ring turns
    [91, 100, 200],
    [9, 33, 5],
  ])('equals the tap-by-tap reference, %s taps on %sx%s noise', (size, width, height) => {
    const taps = gaussianKernelFixed(size);
    const src = noise(width, height, size * 1000 + width);
    expect(gaussianBlur8u(src, width, height, kernelBoxes(taps))).toEqual(
      referenceBlur(src, width, height, taps),
    );
  });

  it('leaves skipped pixels alone in the vertical pass and computes the rest exactly', () => {
    const width = 50;
    const height = 120;
    const taps = gaussianKernelFixed(41);
    const src = noise(width, height, 7);
    const want = referenceBlur(src, width, height, taps);
    const h = new Float64Array(width * height);
    const r = 20;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++)
          s += (taps[i + r] ?? 0) * (src[y * width + reflect101(x + i, width)] ?? 0);
        h[y * width + x] = s;
      }
    const skip = noise(width, height, 99).map((v) => (v < 128 ? 1 : 0));
    const out = new Uint8Array(width * height).fill(7);
    verticalBoxPass(h, width, height, kernelBoxes(taps), out, skip);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBe(skip[i] === 1 ? 7 : want[i]);
  });
});

describe('erosion, Otsu, rotation', () => {
  it('erodes with a 5x5 minimum that ignores pixels beyond the edge', () => {
    const width = 23;
    const height = 19;
    const src = noise(width, height, 3);
    const want = new Uint8Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let m = 255;
        for (let dy = -2; dy <= 2; dy++)
          for (let dx = -2; dx <= 2; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < width && yy < height) m = Math.min(m, src[yy * width + xx] ?? 255);
          }
        want[y * width + x] = m;
      }
    expect(erode5x5(src, width, height)).toEqual(want);
  });

  it('picks the first level of maximal between-class variance, as OpenCV does', () => {
    const hist = new Array<number>(256).fill(0);
    hist[50] = 100;
    hist[200] = 100;
    // Every level from 50 to 199 separates the two spikes equally well; the first one wins.
    expect(otsuThreshold(hist, 200)).toBe(50);
    const skewed = new Array<number>(256).fill(0);
    for (let v = 0; v < 256; v++) skewed[v] = v < 100 ? 3 : v > 180 ? 5 : 0;
    const t = otsuThreshold(
      skewed,
      skewed.reduce((a, b) => a + b, 0),
    );
    expect(t).toBeGreaterThanOrEqual(99);
    expect(t).toBeLessThanOrEqual(180);
    // A single grey level leaves no second class: level 0.
    const flat = new Array<number>(256).fill(0);
    flat[128] = 10;
    expect(otsuThreshold(flat, 10)).toBe(0);
  });

  it('samples a rotation like warpAffine INTER_NEAREST with a constant border', () => {
    const index = new Int32Array(36 * 36);
    rotationIndices(0, 36, 18, 0, 36, 0, 36, index);
    expect([...index]).toEqual(Array.from({ length: 36 * 36 }, (_, i) => i));
    // Half a turn about (18, 18): destination (x, y) reads (36 - x, 36 - y), outside for x or y = 0.
    rotationIndices(Math.PI, 36, 18, 0, 36, 0, 36, index);
    expect(index[0]).toBe(-1);
    expect(index[1 * 36 + 1]).toBe(35 * 36 + 35);
    expect(index[10 * 36 + 3]).toBe(26 * 36 + 33);
  });
});

/** A binary image from rows of '#' (0, foreground) and '.' (255). */
function mask(rows: string[]): { pixels: Uint8Array; width: number; height: number } {
  const width = rows[0]?.length ?? 0;
  const pixels = Uint8Array.from(rows.join(''), (c) => (c === '#' ? 0 : 255));
  return { pixels, width, height: rows.length };
}
const show = (pixels: Uint8Array, width: number) =>
  Array.from({ length: pixels.length / width }, (_, y) =>
    Array.from(pixels.subarray(y * width, (y + 1) * width), (v) => (v === 0 ? '#' : '.')).join(''),
  );

describe('ROI clean-up', () => {
  it('fills white areas that do not reach the edge, 4-connected (a diagonal gap does not leak)', () => {
    const m = mask(['......', '.####.', '.#..#.', '.####.', '...#..', '..#.#.', '...#..']);
    fillHoles(m.pixels, m.width, m.height);
    expect(show(m.pixels, m.width)).toEqual([
      '......',
      '.####.',
      '.####.',
      '.####.',
      '...#..',
      '..###.',
      '...#..',
    ]);
  });

  it('keeps the dark component with the largest bounding box, the first in raster order on a tie', () => {
    // Top left: 4 pixels filling a 2 x 2 box. Bottom: 5 pixels spanning a 3 x 3 box: it wins.
    const m = mask(['##....', '##....', '......', '...#..', '...###', '...#..']);
    keepLargest(m.pixels, m.width, m.height);
    expect(show(m.pixels, m.width)).toEqual(['......', '......', '......', '...#..', '...###', '...#..']);
    const tie = mask(['##..##', '##..##']);
    keepLargest(tie.pixels, tie.width, tie.height);
    expect(show(tie.pixels, tie.width)).toEqual(['##....', '##....']);
  });
});

describe('histograms', () => {
  it('counts a value equal to a boundary in the bin above it, infinity in the last, NaN in the first', () => {
    const limits = HISTOGRAM_BOUNDARIES.RVUP;
    const values = [...limits, 0.1, Number.POSITIVE_INFINITY, Number.NaN];
    const h = histogram('RVUP', values);
    expect(h.bins).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  });

  it('reports the population standard deviation, NaN when empty', () => {
    const h = histogram('FDA', [0.2, 0.4]);
    expect(h.mean).toBeCloseTo(0.3, 15);
    expect(h.stdDev).toBeCloseTo(0.1, 15);
    expect(Number.isNaN(histogram('FDA', []).mean)).toBe(true);
  });

  it('always puts every value in exactly one bin', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 50 }), (values) => {
        const h = histogram('OF', values);
        expect(h.bins.reduce((a, b) => a + b, 0)).toBe(values.length);
      }),
      { seed, numRuns: 200 },
    );
  });
});
