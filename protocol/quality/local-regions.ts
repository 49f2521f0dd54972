/**
 * The four NFIQ 2 measures computed on overlapping local regions (ISO/IEC 29794-4:2024 6.2):
 * local clarity (LCS, 6.2.3), frequency domain analysis (FDA, 6.2.4), ridge-valley uniformity
 * (RVUP, 6.2.5) and orientation flow (OF, 6.2.6), following NFIQ2 v2.3 `FDA.cpp`, `LCS.cpp`, `OF.cpp`,
 * `RVUPHistogram.cpp` and `common_functions.cpp`.
 *
 * Geometry, shared by all four. A local region is a 32 x 32 block; its ridges are measured in a
 * 32 x 16 window rotated to the ridge direction, which needs ceil(sqrt(32^2 + 16^2)) = 36 px of
 * image, so the blocks start 2 px in from the top-left corner and step by 32 for as long as a
 * 36 x 36 window fits: floor((side - 4) / 32) blocks per side.
 *
 * Per block:
 * - foreground: every pixel of the block lies in a segmentation block that passed (ridgesegment,
 *   threshold 0.1, blocks.ts);
 * - orientation: from the mean gradient covariance (a, b, c) of the 32 x 32 block with numerical
 *   gradients, theta = atan2(c, a - b) / 2 (NIST's `ridgeorient`; note c, not 2c);
 * - the 36 x 36 window is rotated with warpAffine (nearest neighbour, constant 0 border) about its
 *   centre. FDA and RVUP first pad it by 2 px a side with copyMakeBorder(BORDER_CONSTANT); the
 *   window is a view into the image, and OpenCV then takes the padding from the image around it
 *   (zeros only beyond the image edge), so their source is the 40 x 40 image window.
 */

import { BLOCK, type BlockGrid } from './blocks.ts';
import { rotationIndices, roundHalfAway } from './opencv.ts';

// Module-local copy: imported bindings cost a getter call per access in hot loops under tsx.
const SIDE: number = BLOCK;
/** Extra image around a block that the rotated 32 x 16 window needs, px a side. */
const OFFSET = 2;
const WINDOW = SIDE + 2 * OFFSET; // 36
const PADDED = WINDOW + 4; // 40

/** Minimum angle change that counts as orientation flow, degrees (OF.h angleMin). */
export const OF_ANGLE_MIN_DEGREES = 4;

/** LCS ridge and valley width limits at 500 ppi, px (`LCS.cpp` loclar; ISO/IEC 29794-4 6.2.3). */
const LCS_SCALE = (500 / 125) * 5; // widths normalised by (ppi / 125) * Wmax125
const LCS_RIDGE_MIN = 3 / LCS_SCALE;
const LCS_RIDGE_MAX = 10 / LCS_SCALE;
// NIST normalises the valley limits by the ridge scale too; both scales are equal at 500 ppi.
const LCS_VALLEY_MIN = 2 / LCS_SCALE;
const LCS_VALLEY_MAX = 10 / LCS_SCALE;

export interface LocalRegionMaps {
  /** The block grid: origin (2, 2), side 32. */
  readonly grid: BlockGrid;
  /** 1 where the whole block is segmented foreground. */
  readonly foreground: Uint8Array;
  /** NIST's local orientation per block (all blocks), radians in [-pi/2, pi/2]. */
  readonly orientation: Float64Array;
  /** FDA per foreground block, NaN elsewhere. */
  readonly fda: Float64Array;
  /** LCS per foreground block (0 worst, 1 best), NaN elsewhere. */
  readonly lcs: Float64Array;
  /** Normalised orientation flow per block that entered the OF histogram, NaN elsewhere. */
  readonly of: Float64Array;
  /** Mean of the block's ridge/valley width ratios, NaN where it gave none. */
  readonly rvu: Float64Array;
}

export interface LocalRegionValues {
  readonly maps: LocalRegionMaps;
  /** The values that make up each histogram, in NIST's raster order. */
  readonly fda: Float64Array;
  readonly lcs: Float64Array;
  readonly of: Float64Array;
  readonly rvu: Float64Array;
}

/** DFT tables for a 32-point transform (the FDA signature length). */
const DFT_N = 32;
const DFT_COS = new Float64Array(DFT_N * DFT_N);
const DFT_SIN = new Float64Array(DFT_N * DFT_N);
for (let k = 0; k < DFT_N; k++) {
  for (let j = 0; j < DFT_N; j++) {
    const a = (-2 * Math.PI * ((j * k) % DFT_N)) / DFT_N;
    DFT_COS[k * DFT_N + j] = Math.cos(a);
    DFT_SIN[k * DFT_N + j] = Math.sin(a);
  }
}

/**
 * FDA, LCS, OF and RVUP over the local regions of a trimmed print: per-region maps and the values
 * that go into each histogram. Regions that do not fit (a side below 36 px) simply do not exist.
 * @param pixels the trimmed print, 8-bit, `width * height`
 * @param segmentation per-block flags of the 32 grid at (0, 0) (blocks.ts segmentBlocks)
 */
export function localRegions(
  pixels: Uint8Array,
  width: number,
  height: number,
  segmentation: Uint8Array,
): LocalRegionValues {
  const cols = Math.max(0, Math.floor((width - 4) / SIDE));
  const rows = Math.max(0, Math.floor((height - 4) / SIDE));
  const segCols = Math.ceil(width / SIDE);
  const n = cols * rows;
  const foreground = new Uint8Array(n);
  const orientation = new Float64Array(n);
  const fda = new Float64Array(n).fill(Number.NaN);
  const lcs = new Float64Array(n).fill(Number.NaN);
  const of = new Float64Array(n).fill(Number.NaN);
  const rvu = new Float64Array(n).fill(Number.NaN);
  const fdaValues = new Float64Array(n);
  const lcsValues = new Float64Array(n);
  let fdaCount = 0;
  let lcsCount = 0;
  // At most 27 ratios per block: 30 label changes in the 31 profile samples RVUP reads.
  const rvuValues = new Float64Array(n * 32);
  let rvuCount = 0;

  const window = new Uint8Array(WINDOW * WINDOW);
  const padded = new Uint8Array(PADDED * PADDED);
  const index = new Int32Array(512);
  const profile = new Float64Array(32);
  const trend = new Float64Array(32);
  const ridge = new Uint8Array(32);
  const cropped = new Uint8Array(512);
  const ratios = new Float64Array(32);
  const amplitudes = new Float64Array(DFT_N - 1);

  for (let br = 0; br < rows; br++) {
    const r = OFFSET + br * SIDE;
    for (let bc = 0; bc < cols; bc++) {
      const c = OFFSET + bc * SIDE;
      const b = br * cols + bc;
      // The block spans two segmentation rows and columns (it starts 2 px into the first).
      const s = br * segCols + bc;
      const inside =
        segmentation[s] === 1 &&
        segmentation[s + 1] === 1 &&
        segmentation[s + segCols] === 1 &&
        segmentation[s + segCols + 1] === 1;
      foreground[b] = inside ? 1 : 0;
      orientation[b] = blockOrientation(pixels, width, c, r);
      if (!inside) continue;

      for (let y = 0; y < WINDOW; y++) {
        const from = (r - OFFSET + y) * width + c - OFFSET;
        window.set(pixels.subarray(from, from + WINDOW), y * WINDOW);
      }
      imageWindow(pixels, width, height, c - OFFSET - 2, r - OFFSET - 2, PADDED, padded);
      const theta = orientation[b] ?? 0;

      // FDA: ridges turned horizontal, a 32 x 16 window, mean of each row (32 samples across).
      rotationIndices(theta + Math.PI / 2, PADDED, PADDED / 2, 2, 32, 10, 16, index);
      for (let y = 0; y < 32; y++) {
        let sum = 0;
        for (let x = 0; x < 16; x++) {
          const i = index[y * 16 + x] ?? -1;
          sum += i >= 0 ? (padded[i] ?? 0) : 0;
        }
        profile[y] = sum / 16;
      }
      const f = fdaOf(profile, amplitudes);
      fda[b] = f;
      fdaValues[fdaCount++] = f;

      // LCS: ridges vertical, a 16 x 32 window of the unpadded block, mean of each column.
      rotationIndices(theta, WINDOW, WINDOW / 2, 10, 16, 2, 32, index);
      sampleInto(window, index, cropped);
      columnMeans(cropped, profile);
      ridgeValley(profile, trend, ridge);
      const l = lcsOf(cropped, trend, ridge);
      lcs[b] = l;
      lcsValues[lcsCount++] = l;

      // RVUP: as LCS, but from the padded block.
      rotationIndices(theta, PADDED, PADDED / 2, 10, 16, 2, 32, index);
      sampleInto(padded, index, cropped);
      columnMeans(cropped, profile);
      ridgeValley(profile, trend, ridge);
      const m = rvuRatios(ridge, ratios);
      if (m > 0) {
        let sum = 0;
        for (let k = 0; k < m; k++) {
          rvuValues[rvuCount++] = ratios[k] ?? 0;
          sum += ratios[k] ?? 0;
        }
        rvu[b] = sum / m;
      }
    }
  }

  const ofValues = orientationFlow(orientation, foreground, cols, rows, of);
  return {
    maps: {
      grid: { originX: OFFSET, originY: OFFSET, size: SIDE, cols, rows },
      foreground,
      orientation,
      fda,
      lcs,
      of,
      rvu,
    },
    fda: fdaValues.subarray(0, fdaCount),
    lcs: lcsValues.subarray(0, lcsCount),
    of: ofValues,
    rvu: rvuValues.subarray(0, rvuCount),
  };
}

/**
 * NIST's `covcoef` (centred differences) and `ridgeorient`: the angle of the line perpendicular to
 * the ridges, from the mean gradient covariance of the 32 x 32 block at (x0, y0).
 */
function blockOrientation(pixels: Uint8Array, stride: number, x0: number, y0: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  for (let y = 0; y < SIDE; y++) {
    const row = (y0 + y) * stride + x0;
    const up = y === 0 ? row : row - stride;
    const down = y === SIDE - 1 ? row : row + stride;
    const vScale = y === 0 || y === SIDE - 1 ? 1 : 0.5;
    let left = pixels[row] ?? 0;
    let here = left;
    for (let x = 0; x < SIDE; x++) {
      const right = x === SIDE - 1 ? here : (pixels[row + x + 1] ?? 0);
      const gx = x === 0 || x === SIDE - 1 ? right - left : (right - left) * 0.5;
      const gy = ((pixels[down + x] ?? 0) - (pixels[up + x] ?? 0)) * vScale;
      a += gx * gx;
      b += gy * gy;
      c += gx * gy;
      left = here;
      here = right;
    }
  }
  const n = SIDE * SIDE;
  a /= n;
  b /= n;
  c /= n;
  const diff = a - b;
  const denominator = c * c + diff * diff + Number.EPSILON;
  return Math.atan2(c / denominator, diff / denominator) / 2;
}

/** The side x side image window at (x0, y0), zero beyond the image edge. */
function imageWindow(
  pixels: Uint8Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  side: number,
  out: Uint8Array,
): void {
  for (let y = 0; y < side; y++) {
    const sy = y0 + y;
    for (let x = 0; x < side; x++) {
      const sx = x0 + x;
      out[y * side + x] =
        sy >= 0 && sx >= 0 && sy < height && sx < width ? (pixels[sy * width + sx] ?? 0) : 0;
    }
  }
}

function sampleInto(source: Uint8Array, index: Int32Array, out: Uint8Array): void {
  for (let k = 0; k < 512; k++) {
    const i = index[k] ?? -1;
    out[k] = i >= 0 ? (source[i] ?? 0) : 0;
  }
}

/** Mean of each of the 32 columns of a 16 x 32 window. */
function columnMeans(cropped: Uint8Array, out: Float64Array): void {
  for (let x = 0; x < 32; x++) {
    let sum = 0;
    for (let y = 0; y < 16; y++) sum += cropped[y * 32 + x] ?? 0;
    out[x] = sum / 16;
  }
}

/**
 * FDA of one block from its 32-sample profile across the ridges (`FDA.cpp` fda): the DFT
 * magnitudes without DC; at the strongest frequency m, (A(m) + 0.3 (A(m-1) + A(m+1))) divided by
 * the sum of the first 15 magnitudes; 1 when the peak is the lowest or highest frequency.
 */
function fdaOf(profile: Float64Array, amp: Float64Array): number {
  let best = -1;
  let bestAt = 0;
  let denominator = 0;
  for (let k = 1; k < DFT_N; k++) {
    let re = 0;
    let im = 0;
    const row = k * DFT_N;
    for (let j = 0; j < DFT_N; j++) {
      const v = profile[j] ?? 0;
      re += v * (DFT_COS[row + j] ?? 0);
      im += v * (DFT_SIN[row + j] ?? 0);
    }
    const a = Math.sqrt(re * re + im * im);
    amp[k - 1] = a;
    if (a > best) {
      best = a;
      bestAt = k - 1;
    }
    if (k - 1 < 15) denominator += a;
  }
  if (bestAt === 0 || bestAt + 1 >= 31) return 1;
  return (best + 0.3 * ((amp[bestAt - 1] ?? 0) + (amp[bestAt + 1] ?? 0))) / denominator;
}

/**
 * NIST's `getRidgeValleyStructure`: a least-squares line through the profile (x = 1..32), its
 * coefficients rounded to 10 decimals as NIST does for cross-platform consistency, and ridge = 1
 * where the profile is darker than the line.
 */
function ridgeValley(profile: Float64Array, trend: Float64Array, ridge: Uint8Array): void {
  let mean = 0;
  for (let i = 0; i < 32; i++) mean += profile[i] ?? 0;
  mean /= 32;
  // x = 1..32: mean 16.5, sum of squared deviations 32 (32^2 - 1) / 12 = 2728.
  let sxy = 0;
  for (let i = 0; i < 32; i++) sxy += (i + 1 - 16.5) * ((profile[i] ?? 0) - mean);
  const slope = roundHalfAway((sxy / 2728) * 1e10) / 1e10;
  const intercept = roundHalfAway((mean - (sxy / 2728) * 16.5) * 1e10) / 1e10;
  for (let i = 0; i < 32; i++) {
    const t = (i + 1) * slope + intercept;
    trend[i] = t;
    ridge[i] = (profile[i] ?? 0) < t ? 1 : 0;
  }
}

/**
 * cv::mean of widths[from], widths[from + 2], ... each divided by `scale`, rounded as OpenCV rounds
 * it: summed four at a time ((a + b + c + d) added to the total), then multiplied by 1 / n. LCS
 * compares these means with its limits, and widths such as 3, 3, 3 land on the limit itself, so
 * the last bit decides. 0 for no widths, like NIST's default-constructed cv::Scalar.
 */
function cvMeanOfScaled(widths: readonly number[], from: number, scale: number): number {
  const values: number[] = [];
  for (let i = from; i < widths.length; i += 2) values.push((widths[i] ?? 0) / scale);
  const n = values.length;
  if (n === 0) return 0;
  let sum = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4)
    sum += (values[i] ?? 0) + (values[i + 1] ?? 0) + (values[i + 2] ?? 0) + (values[i + 3] ?? 0);
  for (; i < n; i++) sum += values[i] ?? 0;
  return sum * (1 / n);
}

/** Local clarity of one block (`LCS.cpp` loclar); 0 when widths are implausible or flat. */
function lcsOf(cropped: Uint8Array, trend: Float64Array, ridge: Uint8Array): number {
  // Positions where the ridge/valley label changes (NIST's changeIndex, over the full 32 with the
  // circular wrap of its first element dropped).
  const changes: number[] = [];
  for (let i = 1; i < 32; i++) if (ridge[i] !== ridge[i - 1]) changes.push(i - 1);
  if (changes.length === 0) return 0;
  const widths: number[] = [changes[0] ?? 0];
  for (let i = 1; i < changes.length; i++) widths.push((changes[i] ?? 0) - (changes[i - 1] ?? 0));
  // Ridge widths are the runs at even positions when the profile starts on a ridge, else odd.
  const ridgeFirst = ridge[0] === 1 ? 0 : 1;
  const ridgeMean = cvMeanOfScaled(widths, ridgeFirst, LCS_SCALE);
  const valleyMean = cvMeanOfScaled(widths, 1 - ridgeFirst, LCS_SCALE);
  if (
    !(ridgeMean >= LCS_RIDGE_MIN && ridgeMean <= LCS_RIDGE_MAX) ||
    !(valleyMean >= LCS_VALLEY_MIN && valleyMean <= LCS_VALLEY_MAX)
  )
    return 0;
  // Share of ridge pixels lighter than the trend (beta) and valley pixels darker (alpha).
  let ridgeGood = 0;
  let ridgePixels = 0;
  let valleyGood = 0;
  let valleyPixels = 0;
  for (let x = 0; x < 32; x++) {
    const t = trend[x] ?? 0;
    if (ridge[x] === 1) {
      for (let y = 0; y < 16; y++) if ((cropped[y * 32 + x] ?? 0) >= t) ridgeGood++;
      ridgePixels += 16;
    } else {
      for (let y = 0; y < 16; y++) if ((cropped[y * 32 + x] ?? 0) < t) valleyGood++;
      valleyPixels += 16;
    }
  }
  return 1 - (valleyGood / valleyPixels + ridgeGood / ridgePixels) / 2;
}

/**
 * Ridge/valley width ratios of one block (`RVUPHistogram.cpp` rvuhist), reproduced with its
 * quirks: the last profile sample is ignored, incomplete runs at both ends are dropped, the first
 * complete run too, the widths are taken last-to-first, and every other ratio (from the one the
 * first complete run's label selects) is inverted so each is ridge/valley. Returns how many ratios
 * were written.
 */
function rvuRatios(ridge: Uint8Array, out: Float64Array): number {
  const changes: number[] = [];
  for (let i = 1; i < 31; i++) if (ridge[i] !== ridge[i - 1]) changes.push(i - 1);
  if (changes.length < 2) return 0;
  const first = changes[0] ?? 0;
  const last = changes[changes.length - 1] ?? 0;
  if (first + 1 >= last) return 0; // no complete run
  const startsWithRidge = ridge[first + 1] ?? 0;
  const relative = changes.slice(1).map((v) => v - first);
  if (relative.length < 2) return 0;
  const widths: number[] = [];
  for (let i = relative.length - 1; i > 0; i--) widths.push((relative[i] ?? 0) - (relative[i - 1] ?? 0));
  let m = 0;
  for (let k = 0; k + 1 < widths.length; k++) out[m++] = (widths[k] ?? 0) / (widths[k + 1] ?? 1);
  for (let k = startsWithRidge; k < m; k += 2) out[k] = 1 / (out[k] ?? 1);
  return m;
}

/**
 * Orientation flow (`OF.cpp`): per block, the mean absolute orientation difference to its eight
 * neighbours (zero-padded at the grid edge), kept where the whole 3 x 3 neighbourhood is foreground
 * and the difference exceeds 4 degrees, then normalised to (d - 4 deg) / (90 deg - 4 deg).
 */
function orientationFlow(
  orientation: Float64Array,
  foreground: Uint8Array,
  cols: number,
  rows: number,
  map: Float64Array,
): Float64Array {
  const values = new Float64Array(cols * rows);
  let count = 0;
  const toRad = Math.PI / 180;
  const fullTurn = toRad * 360;
  const minimum = OF_ANGLE_MIN_DEGREES * toRad;
  const range = (90 - OF_ANGLE_MIN_DEGREES) * toRad;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const centre = orientation[y * cols + x] ?? 0;
      let sum = 0;
      let allForeground = true;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          const outside = nx < 0 || ny < 0 || nx >= cols || ny >= rows;
          const neighbour = outside ? 0 : (orientation[ny * cols + nx] ?? 0);
          if (outside || foreground[ny * cols + nx] !== 1) allForeground = false;
          const d = Math.abs(centre - neighbour);
          sum += Math.min(d, fullTurn - d);
        }
      }
      const loq = sum / 8;
      if (allForeground && loq > minimum) {
        const v = (loq - minimum) / range;
        map[y * cols + x] = v;
        values[count++] = v;
      }
    }
  }
  return values.subarray(0, count);
}
