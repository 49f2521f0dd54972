/**
 * The measures NFIQ 2 computes on the 32 x 32 block grid anchored at the top-left corner of the
 * cropped image (ISO/IEC 29794-4:2024 6.1.3: local regions of 32 x 32 pixels at 500 ppi): contrast
 * (Mu 6.2.7, MMB 6.2.8), the ridge segmentation every local-region measure starts from,
 * orientation certainty (OCL, 6.2.2) and the orientation-map coherence inside the region of
 * interest (6.2.14, 6.2.15).
 */

/** Local region side, px (NFIQ2 Sizes::LocalRegionSquare). */
export const BLOCK = 32;

/** Geometry of a grid of square blocks in cropped-image pixels. */
export interface BlockGrid {
  /** Top-left corner of block (0, 0), px. */
  readonly originX: number;
  readonly originY: number;
  /** Block side, px. */
  readonly size: number;
  readonly cols: number;
  readonly rows: number;
}

export interface GreyStatistics {
  /** Mean grey level of the image (NFIQ2 Mu). */
  readonly mu: number;
  /** Population standard deviation of the grey levels (the UniformImage feedback value). */
  readonly sigma: number;
  /** Mean of the 32 x 32 block means, partial blocks at the edges included (NFIQ2 MMB). */
  readonly mmb: number;
  /**
   * NIST's ridge segmentation (`common_functions.cpp` ridgesegment, after Kovesi's Matlab
   * ridgesegment), one flag per block of the grid, row-major over ceil(width / 32) x
   * ceil(height / 32): after normalising the image to zero mean and unit standard deviation, a block
   * (partial blocks included) is foreground when its standard deviation exceeds 0.1 (the threshold
   * of every NFIQ 2 measure). On raw grey levels that is block std / image std > 0.1.
   */
  readonly segmentation: Uint8Array;
}

/** Threshold on the normalised block std-dev (FDA.h, LCS.h, OF.h, RVUPHistogram.h: 0.1). */
const SEGMENTATION_THRESHOLD = 0.1;

/**
 * Mu, sigma, MMB (NFIQ2 `Mu.cpp`) and the ridge segmentation, from one pass of block sums. Sums
 * are exact integers, so mu and sigma are exact up to the final division and square root.
 */
export function greyStatistics(pixels: Uint8Array, width: number, height: number): GreyStatistics {
  const cols = Math.ceil(width / BLOCK);
  const rows = Math.ceil(height / BLOCK);
  const sums = new Float64Array(cols * rows);
  const squares = new Float64Array(cols * rows);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const brow = ((y / BLOCK) | 0) * cols;
    for (let x0 = 0, b = brow; x0 < width; x0 += BLOCK, b++) {
      const x1 = Math.min(width, x0 + BLOCK);
      let s = 0;
      let q = 0;
      for (let x = x0; x < x1; x++) {
        const v = pixels[row + x] ?? 0;
        s += v;
        q += v * v;
      }
      sums[b] = (sums[b] ?? 0) + s;
      squares[b] = (squares[b] ?? 0) + q;
    }
  }
  let sum = 0;
  let sumSquares = 0;
  for (let b = 0; b < sums.length; b++) {
    sum += sums[b] ?? 0;
    sumSquares += squares[b] ?? 0;
  }
  const n = width * height;
  const mu = sum / n;
  const sigma = Math.sqrt(Math.max(0, sumSquares / n - mu * mu));
  let mmb = 0;
  const count = cols * rows;
  const segmentation = new Uint8Array(count);
  for (let by = 0; by < rows; by++) {
    const h = Math.min(BLOCK, height - by * BLOCK);
    for (let bx = 0; bx < cols; bx++) {
      const area = Math.min(BLOCK, width - bx * BLOCK) * h;
      const b = by * cols + bx;
      const s = sums[b] ?? 0;
      mmb += s / area / count;
      // Exact integer numerator: area^2 var = area sum(v^2) - (sum v)^2. A uniform image
      // normalises to NaN in NIST's code, and NaN > threshold is false.
      const variance = Math.max(0, area * (squares[b] ?? 0) - s * s) / (area * area);
      segmentation[b] = sigma > 0 && Math.sqrt(variance) / sigma > SEGMENTATION_THRESHOLD ? 1 : 0;
    }
  }
  return { mu, sigma, mmb, segmentation };
}

/**
 * Gradient-covariance sums over one block by NFIQ 2's numerical gradient (Matlab `gradient`:
 * central differences inside, one-sided at the block's own edges; `computeNumericalGradients`).
 * Writes [sum gx^2, sum gy^2, sum gx gy, sum |(2 gx gy, gx^2 - gy^2)|, sum 2 gx gy, sum gx^2 - gy^2]
 * into `out`.
 */
function blockGradientSums(
  pixels: Uint8Array,
  stride: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  out: Float64Array,
): void {
  let xx = 0;
  let yy = 0;
  let xy = 0;
  let magnitude = 0;
  let sumY = 0;
  let sumX = 0;
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * stride + x0;
    const up = y === 0 ? row : row - stride;
    const down = y === h - 1 ? row : row + stride;
    const vScale = y === 0 || y === h - 1 ? 1 : 0.5;
    for (let x = 0; x < w; x++) {
      let gx = 0;
      if (w > 1) {
        const l = x === 0 ? x : x - 1;
        const r = x === w - 1 ? x : x + 1;
        gx = ((pixels[row + r] ?? 0) - (pixels[row + l] ?? 0)) * (x === 0 || x === w - 1 ? 1 : 0.5);
      }
      const gy = h > 1 ? ((pixels[down + x] ?? 0) - (pixels[up + x] ?? 0)) * vScale : 0;
      const gxx = gx * gx;
      const gyy = gy * gy;
      const g2xy = 2 * gx * gy;
      xx += gxx;
      yy += gyy;
      xy += gx * gy;
      sumY += g2xy;
      sumX += gxx - gyy;
      magnitude += Math.sqrt(g2xy * g2xy + (gxx - gyy) * (gxx - gyy));
    }
  }
  out[0] = xx;
  out[1] = yy;
  out[2] = xy;
  out[3] = magnitude;
  out[4] = sumY;
  out[5] = sumX;
}

/** Per block of the 32 grid (partial blocks included): the six blockGradientSums. */
export interface BlockGradients {
  readonly cols: number;
  readonly rows: number;
  /** 6 values per block, row-major. */
  readonly sums: Float64Array;
  /** 1 for full 32 x 32 blocks. */
  readonly full: Uint8Array;
}

/** Gradient sums of every block, once, for both OCL and the orientation map. */
export function blockGradients(pixels: Uint8Array, width: number, height: number): BlockGradients {
  const cols = Math.ceil(width / BLOCK);
  const rows = Math.ceil(height / BLOCK);
  const sums = new Float64Array(cols * rows * 6);
  const full = new Uint8Array(cols * rows);
  for (let by = 0; by < rows; by++) {
    const h = Math.min(BLOCK, height - by * BLOCK);
    for (let bx = 0; bx < cols; bx++) {
      const w = Math.min(BLOCK, width - bx * BLOCK);
      const b = by * cols + bx;
      blockGradientSums(pixels, width, bx * BLOCK, by * BLOCK, w, h, sums.subarray(b * 6, b * 6 + 6));
      full[b] = w === BLOCK && h === BLOCK ? 1 : 0;
    }
  }
  return { cols, rows, sums, full };
}

/**
 * Orientation certainty level per full 32 x 32 block (ISO/IEC 29794-4:2024 6.2.2; NFIQ2
 * `OCLHistogram.cpp`): 1 - lambda_min / lambda_max of the mean gradient covariance matrix. Partial
 * blocks and blocks without any gradient are NaN (NIST leaves them out of the histogram).
 */
export function orientationCertainty(gradients: BlockGradients): Float64Array {
  const { cols, rows, sums, full } = gradients;
  const ocl = new Float64Array(cols * rows).fill(Number.NaN);
  for (let b = 0; b < cols * rows; b++) {
    if (full[b] !== 1) continue;
    const value = oclOf(sums.subarray(b * 6, b * 6 + 3));
    if (value !== undefined) ocl[b] = value;
  }
  return ocl;
}

/** OCL from gradient sums; undefined when the largest eigenvalue is 0 (no gradient at all). */
function oclOf(sums: Float64Array): number | undefined {
  const n = BLOCK * BLOCK;
  const a = (sums[0] ?? 0) / n;
  const b = (sums[1] ?? 0) / n;
  const c = (sums[2] ?? 0) / n;
  const root = Math.sqrt((a - b) ** 2 + 4 * c ** 2);
  const max = (a + b + root) / 2;
  const min = (a + b - root) / 2;
  if (max === 0) return undefined;
  return 1 - min / max;
}

/**
 * OCL of the 32 x 32 block around (x, y), shifted inside the image when the point is near an edge,
 * as NIST scores each minutia (`FJFXMinutiaeQuality.cpp` computeOCLMinQuality). 0 without gradient.
 * The image must be at least 32 x 32.
 */
export function oclAround(pixels: Uint8Array, width: number, height: number, x: number, y: number): number {
  let left = Math.max(0, x - BLOCK / 2);
  let top = Math.max(0, y - BLOCK / 2);
  if (left + BLOCK > width) left = width - BLOCK;
  if (top + BLOCK > height) top = height - BLOCK;
  const sums = new Float64Array(6);
  blockGradientSums(pixels, width, left, top, BLOCK, BLOCK, sums);
  return oclOf(sums) ?? 0;
}

export interface OrientationMap {
  /** Per block of the 32 grid: 1 where the block holds at least one ROI pixel. */
  readonly roiBlocks: Uint8Array;
  /** Coherence of the block's gradients, NaN outside the ROI. */
  readonly coherence: Float64Array;
  /** Ridge direction in whole degrees, 0..180 as NIST draws it, NaN outside the ROI. */
  readonly degrees: Float64Array;
  /** Sum of coherence over ROI blocks (OrientationMap_ROIFilter_CoherenceSum). */
  readonly coherenceSum: number;
  /** Sum divided by the number of ROI blocks (OrientationMap_ROIFilter_CoherenceRel). */
  readonly coherenceRel: number;
}

/**
 * The orientation map restricted to the region of interest (NFIQ2 `QualityMap.cpp`
 * computeOrientationMap with the ROI filter): per ROI block, partial blocks included, the coherence
 * |sum v| / sum |v| of the doubled-angle gradient vectors v = (gx^2 - gy^2, 2 gx gy).
 */
export function orientationMap(gradients: BlockGradients, roiBlocks: Uint8Array): OrientationMap {
  const { cols, rows, sums } = gradients;
  const coherence = new Float64Array(cols * rows).fill(Number.NaN);
  const degrees = new Float64Array(cols * rows).fill(Number.NaN);
  let coherenceSum = 0;
  let count = 0;
  for (let b = 0; b < cols * rows; b++) {
    if (roiBlocks[b] !== 1) continue;
    count++;
    const magnitude = sums[b * 6 + 3] ?? 0;
    const sumY = sums[b * 6 + 4] ?? 0;
    const sumX = sums[b * 6 + 5] ?? 0;
    const value = magnitude !== 0 ? Math.sqrt(sumX * sumX + sumY * sumY) / magnitude : 0;
    coherence[b] = value;
    coherenceSum += value;
    degrees[b] = Math.trunc(((0.5 * Math.atan2(sumY, sumX) + Math.PI / 2) * 180) / Math.PI + 0.5);
  }
  return { roiBlocks, coherence, degrees, coherenceSum, coherenceRel: count > 0 ? coherenceSum / count : 0 };
}
