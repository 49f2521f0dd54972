/**
 * NFIQ 2's image-processing region of interest (ISO/IEC 29794-4:2024 6.2.13; NFIQ2 v2.3
 * `ImgProcROI.cpp` computeROI): the foreground behind ImgProcROIArea_Mean, the
 * SufficientFingerprintForeground feedback value and the ROI filter of the orientation-map
 * coherence:
 *
 * 1. erode with a 5 x 5 square (ridges merge into one dark area);
 * 2. Gaussian blur 41 x 41 (sigma 6.5), Otsu threshold;
 * 3. Gaussian blur 91 x 91 (sigma 14) of that binary image, Otsu threshold again;
 * 4. fill holes: white areas that do not reach the image edge (4-connected, as findContours sees
 *    background) become foreground;
 * 5. keep only the dark 4-connected area with the largest bounding box (the first found, in raster
 *    order, on ties), as NIST's flood-fill loop does.
 *
 * The blurs are OpenCV's bit-exact 8-bit GaussianBlur with BORDER_REFLECT_101 (opencv.ts), so the
 * mask is the one NIST computes, pixel for pixel (SufficientFingerprintForeground matches NIST's
 * pixel count on all five SFinGe examples).
 */

import { BLOCK } from './blocks.ts';
import {
  erode5x5,
  gaussianBlur8u,
  gaussianKernelFixed,
  kernelBoxes,
  reflect101,
  thresholdOtsu,
  verticalBoxPass,
} from './opencv.ts';

const KERNEL_41 = kernelBoxes(gaussianKernelFixed(41));
const TAPS_91 = gaussianKernelFixed(91);
const KERNEL_91 = kernelBoxes(TAPS_91);
/** CUMULATIVE_91[i] = sum of the first i taps of the 91-tap kernel. */
const CUMULATIVE_91 = new Float64Array(TAPS_91.length + 1);
for (let i = 0; i < TAPS_91.length; i++) CUMULATIVE_91[i + 1] = (CUMULATIVE_91[i] ?? 0) + (TAPS_91[i] ?? 0);
// Module-local copy: imported bindings cost a getter call per access in hot loops under tsx.
const SIDE: number = BLOCK;

export interface RegionOfInterest {
  /** 1 for foreground (ROI) pixels, 0 elsewhere; cropped-image size. */
  readonly mask: Uint8Array;
  /** Number of ROI pixels (the SufficientFingerprintForeground feedback value). */
  readonly pixels: number;
  /** Mean grey level of the ROI pixels, 255 without any (ImgProcROIArea_Mean). */
  readonly mean: number;
  /** Per block of the 32 grid (partial blocks included): 1 where the block holds an ROI pixel. */
  readonly blocks: Uint8Array;
}

export function regionOfInterest(image: Uint8Array, width: number, height: number): RegionOfInterest {
  const n = width * height;
  const eroded = erode5x5(image, width, height);
  const first = gaussianBlur8u(eroded, width, height, KERNEL_41);
  thresholdOtsu(first);
  const second = blurBinary91(first, width, height);
  thresholdOtsu(second);
  // `second` is now 255 for background, 0 for foreground.
  fillHoles(second, width, height);
  keepLargest(second, width, height);

  const mask = new Uint8Array(n);
  const cols = Math.ceil(width / SIDE);
  const blocks = new Uint8Array(cols * Math.ceil(height / SIDE));
  let count = 0;
  let sum = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const brow = ((y / SIDE) | 0) * cols;
    for (let x0 = 0; x0 < width; x0 += SIDE) {
      const x1 = Math.min(width, x0 + SIDE);
      let inBlock = 0;
      for (let x = x0; x < x1; x++) {
        if (second[row + x] !== 0) continue;
        mask[row + x] = 1;
        inBlock++;
        sum += image[row + x] ?? 0;
      }
      if (inBlock > 0) {
        count += inBlock;
        blocks[brow + x0 / SIDE] = 1;
      }
    }
  }
  return { mask, pixels: count, mean: count > 0 ? sum / count : 255, blocks };
}

/**
 * The 91 x 91 blur of a binary (0/255) image, bit-exact with gaussianBlur8u but skipping the work
 * where the answer is known: a pixel whose whole 91 x 91 window (clipped to the image, which is
 * where BORDER_REFLECT_101 draws from) is one colour keeps that colour exactly (the taps sum to
 * 256 in both passes, so 255 * 256 * 256 rounds back to 255).
 */
function blurBinary91(binary: Uint8Array, width: number, height: number): Uint8Array {
  const radius = KERNEL_91.radius;
  // Integral image of foreground (255) pixels, (width + 1) x (height + 1).
  const iw = width + 1;
  const integral = new Int32Array(iw * (height + 1));
  for (let y = 0; y < height; y++) {
    let run = 0;
    const above = y * iw;
    const here = above + iw;
    for (let x = 0; x < width; x++) {
      run += binary[y * width + x] === 255 ? 1 : 0;
      integral[here + x + 1] = (integral[above + x + 1] ?? 0) + run;
    }
  }
  const out = new Uint8Array(width * height);
  const known = new Uint8Array(width * height);
  let unknown = 0;
  for (let y = 0; y < height; y++) {
    const top = Math.max(0, y - radius) * iw;
    const y1 = Math.min(height, y + radius + 1);
    const bottom = y1 * iw;
    const rows = y1 - Math.max(0, y - radius);
    for (let x = 0; x < width; x++) {
      const x0 = x < radius ? 0 : x - radius;
      const x1 = Math.min(width, x + radius + 1);
      const ones =
        (integral[bottom + x1] ?? 0) -
        (integral[top + x1] ?? 0) -
        (integral[bottom + x0] ?? 0) +
        (integral[top + x0] ?? 0);
      if (ones === 0) {
        known[y * width + x] = 1;
      } else if (ones === rows * (x1 - x0)) {
        known[y * width + x] = 1;
        out[y * width + x] = 255;
      } else {
        unknown++;
      }
    }
  }
  if (unknown === 0) return out;
  // Horizontal pass on the rows the unknown pixels reach, run by run: a run of foreground pixels
  // [s, e] of the reflected row adds 255 * (taps s - x .. e - x) to pixel x, a difference of the
  // kernel's cumulative sums, so a row costs its length plus 91 per run.
  // Rows within `radius` of a row with an unknown pixel (reflection stays inside that range).
  const needed = new Uint8Array(height);
  for (let y = 0; y < height; y++) {
    let any = false;
    for (let x = 0; x < width && !any; x++) any = known[y * width + x] === 0;
    if (any) needed.fill(1, Math.max(0, y - radius), Math.min(height, y + radius + 1));
  }
  const span = width + 2 * radius;
  const last = 2 * radius;
  const sourceIndex = new Int32Array(span);
  for (let j = 0; j < span; j++) sourceIndex[j] = reflect101(j - radius, width);
  const h = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    if (needed[y] !== 1) continue;
    const row = y * width;
    let j = 0;
    while (j < span) {
      if (binary[row + (sourceIndex[j] ?? 0)] !== 255) {
        j++;
        continue;
      }
      let e = j;
      while (e + 1 < span && binary[row + (sourceIndex[e + 1] ?? 0)] === 255) e++;
      const xa = Math.max(0, j - last);
      const xb = Math.min(width - 1, e);
      for (let x = xa; x <= xb; x++) {
        const lo = Math.max(j - x, 0);
        const hi = Math.min(e - x, last);
        h[row + x] = (h[row + x] ?? 0) + 255 * ((CUMULATIVE_91[hi + 1] ?? 0) - (CUMULATIVE_91[lo] ?? 0));
      }
      j = e + 1;
    }
  }
  verticalBoxPass(h, width, height, KERNEL_91, out, known);
  return out;
}

/**
 * The runs of pixels equal to `value`, row by row (raster order): row, first and last column. At
 * most ceil(width / 2) runs per row, so the arrays are sized for that up front.
 */
interface Runs {
  readonly count: number;
  readonly row: Int32Array;
  readonly first: Int32Array;
  readonly last: Int32Array;
  /** Index of the first run of each row; rowStart[height] = count. */
  readonly rowStart: Int32Array;
}

function runsOf(image: Uint8Array, width: number, height: number, value: number): Runs {
  const capacity = ((width + 1) >> 1) * height;
  const row = new Int32Array(capacity);
  const first = new Int32Array(capacity);
  const last = new Int32Array(capacity);
  const rowStart = new Int32Array(height + 1);
  let count = 0;
  for (let y = 0; y < height; y++) {
    rowStart[y] = count;
    const base = y * width;
    let x = 0;
    while (x < width) {
      if (image[base + x] !== value) {
        x++;
        continue;
      }
      const start = x;
      while (x + 1 < width && image[base + x + 1] === value) x++;
      row[count] = y;
      first[count] = start;
      last[count] = x;
      count++;
      x++;
    }
  }
  rowStart[height] = count;
  return { count, row, first, last, rowStart };
}

/**
 * 4-connected components of runs: runs in neighbouring rows connect when they share a column.
 * Returns, per run, the index of its component's first run, which is the component's first pixel
 * in raster order (the order NIST's flood-fill loop finds components in).
 */
function componentRoots(runs: Runs, height: number): Int32Array {
  const parent = new Int32Array(runs.count);
  for (let i = 0; i < runs.count; i++) parent[i] = i;
  const root = (i: number): number => {
    let r = i;
    while ((parent[r] ?? r) !== r) r = parent[r] ?? r;
    let c = i;
    while (c !== r) {
      const up = parent[c] ?? r;
      parent[c] = r;
      c = up;
    }
    return r;
  };
  for (let y = 1; y < height; y++) {
    let j = runs.rowStart[y - 1] ?? 0;
    const jEnd = runs.rowStart[y] ?? 0;
    const iEnd = runs.rowStart[y + 1] ?? 0;
    for (let i = jEnd; i < iEnd; i++) {
      const a = runs.first[i] ?? 0;
      const b = runs.last[i] ?? 0;
      // Skip runs above that end before this one starts; they cannot touch later runs either.
      while (j < jEnd && (runs.last[j] ?? 0) < a) j++;
      for (let k = j; k < jEnd && (runs.first[k] ?? 0) <= b; k++) {
        const ri = root(i);
        const rk = root(k);
        if (ri < rk) parent[rk] = ri;
        else if (rk < ri) parent[ri] = rk;
      }
    }
  }
  for (let i = 0; i < runs.count; i++) parent[i] = root(i);
  return parent;
}

/** White (255) areas not 4-connected to the image edge become 0, in place. */
export function fillHoles(image: Uint8Array, width: number, height: number): void {
  const runs = runsOf(image, width, height, 255);
  const roots = componentRoots(runs, height);
  const outside = new Uint8Array(runs.count);
  for (let i = 0; i < runs.count; i++) {
    const y = runs.row[i] ?? 0;
    if (y === 0 || y === height - 1 || runs.first[i] === 0 || runs.last[i] === width - 1)
      outside[roots[i] ?? 0] = 1;
  }
  for (let i = 0; i < runs.count; i++) {
    if (outside[roots[i] ?? 0] === 1) continue;
    const base = (runs.row[i] ?? 0) * width;
    image.fill(0, base + (runs.first[i] ?? 0), base + (runs.last[i] ?? 0) + 1);
  }
}

/**
 * Keeps the dark 4-connected component whose bounding box is largest (first in raster order on a
 * tie); every other dark component turns white. In place.
 */
export function keepLargest(image: Uint8Array, width: number, height: number): void {
  const runs = runsOf(image, width, height, 0);
  const roots = componentRoots(runs, height);
  const minX = new Int32Array(runs.count).fill(width);
  const maxX = new Int32Array(runs.count).fill(-1);
  const minY = new Int32Array(runs.count).fill(height);
  const maxY = new Int32Array(runs.count).fill(-1);
  for (let i = 0; i < runs.count; i++) {
    const r = roots[i] ?? 0;
    const y = runs.row[i] ?? 0;
    minX[r] = Math.min(minX[r] ?? width, runs.first[i] ?? 0);
    maxX[r] = Math.max(maxX[r] ?? -1, runs.last[i] ?? 0);
    minY[r] = Math.min(minY[r] ?? height, y);
    maxY[r] = Math.max(maxY[r] ?? -1, y);
  }
  let best = -1;
  let bestArea = 0;
  for (let r = 0; r < runs.count; r++) {
    if (roots[r] !== r) continue;
    const area = ((maxX[r] ?? 0) - (minX[r] ?? 0) + 1) * ((maxY[r] ?? 0) - (minY[r] ?? 0) + 1);
    if (area > bestArea) {
      bestArea = area;
      best = r;
    }
  }
  for (let i = 0; i < runs.count; i++) {
    if (roots[i] === best) continue;
    const base = (runs.row[i] ?? 0) * width;
    image.fill(255, base + (runs.first[i] ?? 0), base + (runs.last[i] ?? 0) + 1);
  }
}
