/**
 * Live-preview assessment: whether a finger is on the glass, where, how much of it and how dark,
 * and a coarse 0..100 quality, for scanner preview frames at 25 frames/s or more. One pass over the
 * frame in blocks (plus one gradient pass at full resolution), no NFIQ 2 measures: about 1 to 3 ms
 * for 400 x 400 at 500 ppi (bench/quality-score.ts). The capture decision still comes from
 * scoreFinger on the captured image; this only guides the applicant while they place the finger.
 *
 * Frames may be downscaled (say 1/4: 125 ppi). Below 250 ppi ridges are no longer resolved, so
 * presence and area come from block darkness alone and the quality has no ridge-clarity term.
 */

import { MAX_INPUT_SIDE } from './limits.ts';
import type { GreyImage } from './measures.ts';

export interface PreviewOptions {
  /** Resolution of the frame, pixels per inch: 500 for full size, 125 for a 1/4 preview. Default 500. */
  readonly ppi?: number;
}

export interface PreviewAssessment {
  /** A finger is on the glass: enough ink-dark area, dark enough to be skin, not a latent. */
  readonly fingerPresent: boolean;
  /** The finger's centroid is within PREVIEW_THRESHOLDS.offCentre of the frame centre on both axes. */
  readonly centred: boolean;
  /** Finger centroid minus frame centre, as a fraction of the width (-0.5..0.5); NaN when absent. */
  readonly offsetX: number;
  /** Finger centroid minus frame centre, as a fraction of the height (-0.5..0.5); NaN when absent. */
  readonly offsetY: number;
  /** Share of the frame covered by finger blocks, 0..1. */
  readonly areaFraction: number;
  /** Finger area at 500 ppi, px (comparable across preview scales). */
  readonly area500: number;
  /** Ink depth: glass grey level minus the 2nd percentile of the finger blocks, grey levels. */
  readonly contrast: number;
  /** Median ridge orientation coherence over finger blocks, 0..1; NaN below 250 ppi. */
  readonly clarity: number;
  /** Coarse quality 0..100 (PREVIEW_THRESHOLDS; not the unified score). */
  readonly quality: number;
}

export type PreviewErrorReason = 'empty' | 'invalid-size' | 'size-mismatch' | 'too-small' | 'too-large';

export interface PreviewError {
  readonly reason: PreviewErrorReason;
  readonly detail: string;
  readonly width: number;
  readonly height: number;
}

export type PreviewResult =
  | { readonly ok: true; readonly value: PreviewAssessment }
  | { readonly ok: false; readonly error: PreviewError };

export const PREVIEW_THRESHOLDS = {
  /** Block side at 500 ppi, px; scaled with the frame's ppi (at least 4 px). */
  block500: 16,
  /** A block is finger when its mean is at least this many grey levels below the glass ... */
  blockDarkness: 35,
  /** ... or (at 250 ppi and up) its std-dev is at least this, with some darkness (dry skin). */
  blockTexture: 20,
  /**
   * Present: ink at least this many grey levels below the glass ... Generated latents left on the
   * glass reach 71 (0.7% of them at 69 or more); the faintest real contact, dry skin at severity
   * 0.8, starts at 71 (0.1% below 69).
   */
  minContrast: 69,
  /** ... over at least this area at 500 ppi, px (a fingertip is about 90 000). */
  minArea500: 15000,
  /** Centred: centroid within this fraction of the side from the centre. */
  offCentre: 0.15,
  /** Quality: full marks at this area (500 ppi px) ... */
  fullArea500: 90000,
  /** ... at this contrast (grey levels) ... */
  fullContrast: 150,
  /** ... and with median block coherence at least this; none at or below clarityFloor. */
  fullClarity: 0.75,
  clarityFloor: 0.3,
  /** Quality falls linearly from full at offCentre to none at this offset. */
  noneOffCentre: 0.35,
} as const;

/** Smallest frame side, px. */
const MIN_PREVIEW_SIDE = 16;

function refuse(reason: PreviewErrorReason, detail: string, width: number, height: number): PreviewResult {
  return { ok: false, error: { reason, detail, width, height } };
}

function clamp01(v: number): number {
  return Math.max(0, Math.min(1, v));
}

/**
 * Assesses one preview frame. Never throws for bad input: `{ ok: false, error }` with `empty`,
 * `invalid-size` (not positive integers, or a ppi outside 50..1000), `size-mismatch`, `too-small`
 * (a side under 16 px) or `too-large` (a side over 4000 px). Pure; allocates two small block arrays.
 */
export function assessPreview(frame: GreyImage, options: PreviewOptions = {}): PreviewResult {
  const { width, height, pixels } = frame;
  if (width === 0 || height === 0 || pixels.length === 0)
    return refuse('empty', `frame is ${width}x${height} with ${pixels.length} bytes`, width, height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0)
    return refuse(
      'invalid-size',
      `frame size ${width}x${height} is not a positive integer size`,
      width,
      height,
    );
  const ppi = options.ppi ?? 500;
  if (!(ppi >= 50 && ppi <= 1000))
    return refuse('invalid-size', `ppi ${ppi} outside 50 .. 1000`, width, height);
  if (width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE)
    return refuse(
      'too-large',
      `frame is ${width}x${height}; at most ${MAX_INPUT_SIDE} px a side`,
      width,
      height,
    );
  if (pixels.length !== width * height)
    return refuse('size-mismatch', `${pixels.length} bytes for ${width}x${height}`, width, height);
  if (width < MIN_PREVIEW_SIDE || height < MIN_PREVIEW_SIDE)
    return refuse(
      'too-small',
      `frame is ${width}x${height}; at least ${MIN_PREVIEW_SIDE} px a side`,
      width,
      height,
    );

  const t = PREVIEW_THRESHOLDS;
  const B = Math.max(4, Math.round((t.block500 * ppi) / 500));
  const cols = Math.floor(width / B);
  const rows = Math.floor(height / B);
  const n = cols * rows;
  const resolved = ppi >= 250;
  const means = new Float64Array(n);
  const stds = new Float64Array(n);
  const coherence = new Float64Array(n);
  const histogram = new Uint32Array(256);
  const bb = B * B;

  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      let sum = 0;
      let squares = 0;
      let gxx = 0;
      let gyy = 0;
      let gxy = 0;
      for (let y = by * B; y < by * B + B; y++) {
        const row = y * width;
        for (let x = bx * B; x < bx * B + B; x++) {
          const i = row + x;
          const v = pixels[i] ?? 0;
          sum += v;
          squares += v * v;
          histogram[v] = (histogram[v] ?? 0) + 1;
          if (resolved && x > 0 && y > 0 && x < width - 1 && y < height - 1) {
            const gx = (pixels[i + 1] ?? 0) - (pixels[i - 1] ?? 0);
            const gy = (pixels[i + width] ?? 0) - (pixels[i - width] ?? 0);
            gxx += gx * gx;
            gyy += gy * gy;
            gxy += gx * gy;
          }
        }
      }
      const b = by * cols + bx;
      const mean = sum / bb;
      means[b] = mean;
      stds[b] = Math.sqrt(Math.max(0, squares / bb - mean * mean));
      const trace = gxx + gyy;
      coherence[b] = trace > 0 ? Math.sqrt((gxx - gyy) ** 2 + 4 * gxy * gxy) / trace : 0;
    }
  }

  // The glass is the brightest common grey level: the 98th percentile of the blocked pixels.
  const total = n * bb;
  let acc = 0;
  let glass = 255;
  for (let v = 0; v < 256; v++) {
    acc += histogram[v] ?? 0;
    if (acc >= 0.98 * total) {
      glass = v;
      break;
    }
  }

  let fingerBlocks = 0;
  let sumX = 0;
  let sumY = 0;
  const fingerHistogram = new Uint32Array(256);
  const clarities: number[] = [];
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      const b = by * cols + bx;
      const darkness = glass - (means[b] ?? 0);
      const finger =
        darkness >= t.blockDarkness ||
        (resolved && (stds[b] ?? 0) >= t.blockTexture && darkness >= t.blockTexture / 2);
      if (!finger) continue;
      fingerBlocks++;
      sumX += bx + 0.5;
      sumY += by + 0.5;
      if (resolved) clarities.push(coherence[b] ?? 0);
      for (let y = by * B; y < by * B + B; y++)
        for (let x = bx * B; x < bx * B + B; x++) {
          const v = pixels[y * width + x] ?? 0;
          fingerHistogram[v] = (fingerHistogram[v] ?? 0) + 1;
        }
    }
  }
  let ink = glass;
  if (fingerBlocks > 0) {
    const fingerTotal = fingerBlocks * bb;
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += fingerHistogram[v] ?? 0;
      if (seen >= 0.02 * fingerTotal) {
        ink = v;
        break;
      }
    }
  }
  const contrast = Math.max(0, glass - ink);
  const areaFraction = n > 0 ? fingerBlocks / n : 0;
  const scale = 500 / ppi;
  const area500 = fingerBlocks * bb * scale * scale;
  clarities.sort((a, b) => a - b);
  const clarity = resolved && clarities.length > 0 ? (clarities[clarities.length >> 1] ?? 0) : Number.NaN;
  const offsetX = fingerBlocks > 0 ? (sumX / fingerBlocks) * (B / width) - 0.5 : Number.NaN;
  const offsetY = fingerBlocks > 0 ? (sumY / fingerBlocks) * (B / height) - 0.5 : Number.NaN;

  const fingerPresent = contrast >= t.minContrast && area500 >= t.minArea500;
  const offset = Math.max(Math.abs(offsetX), Math.abs(offsetY));
  const centred = fingerPresent && offset <= t.offCentre;
  let quality = 0;
  if (fingerPresent) {
    const areaTerm = clamp01(area500 / t.fullArea500);
    const contrastTerm = clamp01(contrast / t.fullContrast);
    const clarityTerm = resolved ? clamp01((clarity - t.clarityFloor) / (t.fullClarity - t.clarityFloor)) : 1;
    const centreTerm = clamp01((t.noneOffCentre - offset) / (t.noneOffCentre - t.offCentre));
    quality = Math.round(100 * areaTerm * contrastTerm * clarityTerm * centreTerm);
  }
  return {
    ok: true,
    value: {
      fingerPresent,
      centred,
      offsetX: fingerPresent ? offsetX : Number.NaN,
      offsetY: fingerPresent ? offsetY : Number.NaN,
      areaFraction,
      area500,
      contrast,
      clarity,
      quality,
    },
  };
}
