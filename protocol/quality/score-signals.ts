/**
 * Print signals: what the unified score (score.ts) and the officer feedback (feedback.ts) read
 * beside NFIQ 2's native measures. NFIQ 2's measures are built to be blind to grey-level scale
 * (OCL, LCS, FDA and OF are ratios), so they cannot say that a print is too faint, that its valleys
 * are filled in, or that it is smeared in one direction; these signals can. Each one comes from the
 * input image, the trimmed-print box and two of NFIQ 2's maps (the ROI mask and the local-region
 * orientation), so they cost one or two passes over the print (about 2 ms on 500 x 500).
 *
 * None of these is an NFIQ 2 measure; docs/quality-score.md lists them with their definitions.
 */

import type { GreyImage, QualityMeasures } from './measures.ts';

export interface PrintSignals {
  /** Grey level of the empty glass: median of the trimmed print's non-ROI pixels, 0..255. */
  readonly background: number;
  /** Grey level of the ridge ink: 5th percentile of the ROI pixels, 0..255. */
  readonly inkLevel: number;
  /** `background - inkLevel`, grey levels: how dark the ridges are against the glass (0 when blank). */
  readonly inkDepth: number;
  /**
   * How dark the valleys stay, `(background - p95 of the ROI) / inkDepth`, 0..1: 0 when the valleys
   * are as light as the glass, about 0.4 under heavy pressure.
   */
  readonly valleyFill: number;
  /** Share of ROI pixels darker than halfway between the ink level and the glass: ridge width share. */
  readonly inkCoverage: number;
  /**
   * Ridge sharpness: median grey-level standard deviation of the 16 x 16 blocks inside the ROI,
   * over `inkDepth`. About 0.4 for crisp ridges; blur and smearing bring it towards 0.
   */
  readonly ridgeContrast: number;
  /**
   * Edge sharpness: the share of the ROI blocks' grey-level variance left after subtracting each
   * pixel's 3 x 3 mean, 0..1. Crisp ridge edges and sensor noise keep about 0.1; blur takes it
   * towards 0 whatever the contrast, and grey valleys (heavy pressure) do not.
   */
  readonly fineShare: number;
  /** Share of ROI blocks without ridge texture (std-dev under 12 % of `inkDepth`) that are not ink-dark. */
  readonly flatShare: number;
  /** Share of ROI blocks without ridge texture that are as dark as the ink: water or sweat blobs. */
  readonly blobShare: number;
  /**
   * Directional loss of contrast: 32 x 32 local regions inside the ROI binned by NFIQ 2's local
   * orientation in six 30-degree bins; (highest - lowest) bin mean std-dev over the highest.
   * Near 0.1 for a still finger; a finger that slid keeps ridges parallel to the motion only, and
   * goes above 0.5. NaN when fewer than three bins hold two regions each.
   */
  readonly contrastAnisotropy: number;
  /**
   * Coherence of the grey-level gradients summed over the whole ROI, 0..1: about 0.25 for a print
   * (ridges run in many directions), high when one gradient direction dominates (motion, or a
   * fingertip whose ridges are all nearly parallel).
   */
  readonly gradientCoherence: number;
  /** ROI centroid minus image centre, as a fraction of the image width (-0.5..0.5); NaN without ROI. */
  readonly offsetX: number;
  /** ROI centroid minus image centre, as a fraction of the image height (-0.5..0.5); NaN without ROI. */
  readonly offsetY: number;
  /**
   * Area that shows ridges, px: 16 x 16 blocks anywhere in the trimmed print whose std-dev is at
   * least RIDGE_STD_FRACTION of inkDepth and above the sensor noise (RIDGE_STD_MIN), times 256.
   * Unlike NFIQ 2's ROI it leaves out the gaps of a light touch and the glass between them.
   */
  readonly ridgeArea: number;
  /**
   * `ridgeArea` over the image's pixels, 0..1. Near 1 when the finger fills the frame (a small
   * sensor such as the R30x's 256 x 288 window): there is then no glass to measure against, and
   * NFIQ 2's ROI, whose Otsu thresholds split such an image into darker and lighter halves of the
   * finger, no longer says how much finger there is.
   */
  readonly ridgeShare: number;
  /** ROI pixels over image pixels, 0..1. */
  readonly areaShare: number;
  /** 16 x 16 blocks at least 90 % inside the ROI: how many the block shares are taken over. */
  readonly roiBlocks: number;
}

/** Side of the blocks for ridgeContrast, flatShare and blobShare, px at 500 ppi (about two ridges). */
export const SIGNAL_BLOCK = 16;
/** A block has no ridge texture when its std-dev is below this fraction of inkDepth. */
export const FLAT_STD_FRACTION = 0.12;
/** A textureless block is a blob when its mean is within this fraction of inkDepth of the ink level ... */
export const BLOB_MEAN_FRACTION = 0.2;
/** ... and below this fraction of the glass grey level (a blurred print is flat but mid-grey). */
export const BLOB_GLASS_FRACTION = 0.4;
/** A block shows ridges when its std-dev is at least this fraction of inkDepth ... */
export const RIDGE_STD_FRACTION = 0.15;
/** ... and at least this many grey levels (empty glass: 2.5 to 5 of sensor noise). */
export const RIDGE_STD_MIN = 8;
/** Ridges covering at least this share of the image: the finger fills the frame (no glass to see). */
export const FULL_FRAME_SHARE = 0.8;
/** Share of a block or region that must be ROI for it to count. */
const INSIDE = 0.9;
/** Below this share of non-ROI pixels, the background is taken from the ROI's 98th percentile. */
const MIN_BACKGROUND_SHARE = 0.05;

/** Smallest grey level with at least `q` of the histogram's mass at or below it; NaN when empty. */
function quantile(histogram: Float64Array, total: number, q: number): number {
  if (total <= 0) return Number.NaN;
  const target = q * total;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += histogram[v] ?? 0;
    if (acc >= target) return v;
  }
  return 255;
}

/**
 * Share of the image's pixels in 16 x 16 blocks of the trimmed print whose std-dev is at least
 * RIDGE_STD_MIN grey levels (texture above the sensor noise, whatever the ink depth), 0..1.
 */
function textureShare(image: GreyImage, crop: QualityMeasures['crop']): number {
  const B = SIGNAL_BLOCK;
  const stride = image.width;
  let textured = 0;
  for (let by = 0; by + B <= crop.height; by += B) {
    for (let bx = 0; bx + B <= crop.width; bx += B) {
      let sum = 0;
      let squares = 0;
      for (let y = by; y < by + B; y++) {
        const row = (y + crop.top) * stride + crop.left;
        for (let x = bx; x < bx + B; x++) {
          const v = image.pixels[row + x] ?? 0;
          sum += v;
          squares += v * v;
        }
      }
      const mean = sum / (B * B);
      if (squares / (B * B) - mean * mean >= RIDGE_STD_MIN * RIDGE_STD_MIN) textured++;
    }
  }
  return (textured * B * B) / (image.width * image.height);
}

/**
 * The signals of one print, from the image the measures were computed on and their result.
 * Pure; never throws for a `QualityMeasures` that `computeQualityMeasures` returned for `image`.
 * Units: grey levels (background, inkLevel, inkDepth), shares and ratios elsewhere.
 */
export function printSignals(image: GreyImage, quality: QualityMeasures): PrintSignals {
  const { crop, maps } = quality;
  const stride = image.width;
  const pixels = image.pixels;
  const w = crop.width;
  const h = crop.height;
  const mask = maps.roiMask;

  const roiHistogram = new Float64Array(256);
  const glassHistogram = new Float64Array(256);
  let roiCount = 0;
  let sumX = 0;
  let sumY = 0;
  // Gradient structure tensor over the ROI (central differences, interior pixels only).
  let gxx = 0;
  let gyy = 0;
  let gxy = 0;
  for (let y = 0; y < h; y++) {
    const row = (y + crop.top) * stride + crop.left;
    const maskRow = y * w;
    let rowCount = 0;
    for (let x = 0; x < w; x++) {
      const v = pixels[row + x] ?? 0;
      if (mask[maskRow + x] === 1) {
        roiHistogram[v] = (roiHistogram[v] ?? 0) + 1;
        rowCount++;
        sumX += x;
        if (x > 0 && y > 0 && x < w - 1 && y < h - 1) {
          const gx = (pixels[row + x + 1] ?? 0) - (pixels[row + x - 1] ?? 0);
          const gy = (pixels[row + x + stride] ?? 0) - (pixels[row + x - stride] ?? 0);
          gxx += gx * gx;
          gyy += gy * gy;
          gxy += gx * gy;
        }
      } else {
        glassHistogram[v] = (glassHistogram[v] ?? 0) + 1;
      }
    }
    roiCount += rowCount;
    sumY += rowCount * y;
  }
  const glassCount = w * h - roiCount;

  const fillsFrame = textureShare(image, crop) >= FULL_FRAME_SHARE;
  if (fillsFrame) {
    // The pixels outside NFIQ 2's ROI are finger, not glass: the glass is the valleys' level.
    for (let v = 0; v < 256; v++) glassHistogram[v] = (glassHistogram[v] ?? 0) + (roiHistogram[v] ?? 0);
  }
  const inkLevel = quantile(roiHistogram, roiCount, 0.05);
  const valleyLevel = quantile(roiHistogram, roiCount, 0.95);
  const background = fillsFrame
    ? quantile(glassHistogram, w * h, 0.98)
    : glassCount >= MIN_BACKGROUND_SHARE * w * h
      ? quantile(glassHistogram, glassCount, 0.5)
      : quantile(roiHistogram, roiCount, 0.98);
  const inkDepth = roiCount > 0 ? Math.max(0, background - inkLevel) : 0;
  let inked = 0;
  const halfway = inkLevel + inkDepth / 2;
  for (let v = 0; v < halfway; v++) inked += roiHistogram[v] ?? 0;
  const depthFloor = Math.max(1, inkDepth);
  const valleyFill = roiCount > 0 ? Math.min(1, Math.max(0, (background - valleyLevel) / depthFloor)) : 0;

  // 16 x 16 blocks inside the ROI.
  const B = SIGNAL_BLOCK;
  const cols = Math.floor(w / B);
  const rows = Math.floor(h / B);
  const stds: number[] = [];
  let fineEnergy = 0;
  let blockEnergy = 0;
  let flat = 0;
  let blobs = 0;
  const flatStd = FLAT_STD_FRACTION * inkDepth;
  const ridgeStd = Math.max(RIDGE_STD_MIN, RIDGE_STD_FRACTION * inkDepth);
  let ridgeBlocks = 0;
  const blobMean = Math.min(inkLevel + BLOB_MEAN_FRACTION * inkDepth, BLOB_GLASS_FRACTION * background);
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      let inside = 0;
      let sum = 0;
      let squares = 0;
      for (let y = by * B; y < by * B + B; y++) {
        const row = (y + crop.top) * stride + crop.left;
        for (let x = bx * B; x < bx * B + B; x++) {
          const v = pixels[row + x] ?? 0;
          inside += mask[y * w + x] ?? 0;
          sum += v;
          squares += v * v;
        }
      }
      const n = B * B;
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, squares / n - mean * mean));
      if (inkDepth > 0 && std >= ridgeStd) ridgeBlocks++;
      if (inside < INSIDE * n) continue;
      stds.push(std);
      blockEnergy += std * std * n;
      // Fine detail: each pixel minus its 3 x 3 mean; on the print's border the missing
      // neighbours are replaced by the pixel's own row or column.
      for (let y = by * B; y < by * B + B; y++) {
        const row = (y + crop.top) * stride + crop.left;
        const y0 = y > 0 ? -stride : 0;
        const y1 = y < h - 1 ? stride : 0;
        for (let x = bx * B; x < bx * B + B; x++) {
          const i = row + x;
          const x0 = x > 0 ? -1 : 0;
          const x1 = x < w - 1 ? 1 : 0;
          const sum9 =
            (pixels[i + y0 + x0] ?? 0) +
            (pixels[i + y0] ?? 0) +
            (pixels[i + y0 + x1] ?? 0) +
            (pixels[i + x0] ?? 0) +
            (pixels[i] ?? 0) +
            (pixels[i + x1] ?? 0) +
            (pixels[i + y1 + x0] ?? 0) +
            (pixels[i + y1] ?? 0) +
            (pixels[i + y1 + x1] ?? 0);
          const d = (pixels[i] ?? 0) - sum9 / 9;
          fineEnergy += d * d;
        }
      }
      if (std < flatStd) {
        if (mean <= blobMean) blobs++;
        else flat++;
      }
    }
  }
  stds.sort((a, b) => a - b);
  const medianStd = stds.length > 0 ? (stds[Math.floor(stds.length / 2)] ?? 0) : 0;

  // Contrast by local orientation, on NFIQ 2's local regions (grid origin (2, 2), side 32).
  const grid = maps.regions.grid;
  const binSum = new Float64Array(6);
  const binCount = new Float64Array(6);
  const side = grid.size;
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const i = r * grid.cols + c;
      if (maps.regions.foreground[i] !== 1) continue;
      const x0 = grid.originX + c * side;
      const y0 = grid.originY + r * side;
      let inside = 0;
      let sum = 0;
      let squares = 0;
      for (let y = y0; y < y0 + side; y++) {
        const row = (y + crop.top) * stride + crop.left;
        for (let x = x0; x < x0 + side; x++) {
          const v = pixels[row + x] ?? 0;
          inside += mask[y * w + x] ?? 0;
          sum += v;
          squares += v * v;
        }
      }
      const n = side * side;
      if (inside < INSIDE * n) continue;
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, squares / n - mean * mean));
      // NIST's local orientation is in [-pi/2, pi/2]; fold to [0, pi) and bin by 30 degrees.
      const theta = maps.regions.orientation[i] ?? 0;
      const folded = ((theta % Math.PI) + Math.PI) % Math.PI;
      const bin = Math.min(5, Math.floor(folded / (Math.PI / 6)));
      binSum[bin] = (binSum[bin] ?? 0) + std;
      binCount[bin] = (binCount[bin] ?? 0) + 1;
    }
  }
  let highest = Number.NEGATIVE_INFINITY;
  let lowest = Number.POSITIVE_INFINITY;
  let populated = 0;
  for (let b = 0; b < 6; b++) {
    const count = binCount[b] ?? 0;
    if (count < 2) continue;
    const mean = (binSum[b] ?? 0) / count;
    populated++;
    if (mean > highest) highest = mean;
    if (mean < lowest) lowest = mean;
  }
  const contrastAnisotropy = populated >= 3 && highest > 0 ? (highest - lowest) / highest : Number.NaN;

  const trace = gxx + gyy;
  const gradientCoherence = trace > 0 ? Math.sqrt((gxx - gyy) ** 2 + 4 * gxy * gxy) / trace : 0;

  return {
    background,
    inkLevel,
    inkDepth,
    valleyFill,
    inkCoverage: roiCount > 0 ? inked / roiCount : 0,
    ridgeContrast: medianStd / depthFloor,
    fineShare: blockEnergy > 0 ? fineEnergy / blockEnergy : 0,
    flatShare: stds.length > 0 ? flat / stds.length : 0,
    blobShare: stds.length > 0 ? blobs / stds.length : 0,
    contrastAnisotropy,
    gradientCoherence,
    offsetX: roiCount > 0 ? (crop.left + sumX / roiCount + 0.5) / image.width - 0.5 : Number.NaN,
    offsetY: roiCount > 0 ? (crop.top + sumY / roiCount + 0.5) / image.height - 0.5 : Number.NaN,
    ridgeArea: ridgeBlocks * B * B,
    ridgeShare: (ridgeBlocks * B * B) / (image.width * image.height),
    areaShare: roiCount / (image.width * image.height),
    roiBlocks: stds.length,
  };
}
