/**
 * The cheap per-frame checks of the live screen, with no detector: exposure and sharpness of the
 * face (or of the frame's centre when no face has been seen), and the position and size of the face
 * box the last detection found, carried from frame to frame by a template tracker. The detector runs
 * every few frames in its own worker; between its results these keep the officer's feedback live.
 *
 * Budget (issue 19): <= 66 ms p95 per 640x480 frame on one core; everything here reads a grey copy
 * made once per frame (toGreyFrame) and samples bounded grids of it.
 */
import { faceGeometry } from './geometry.ts';
import { CROP_IED, SHARPNESS_MIDPOINT } from './measures.ts';
import {
  assertRgbImage,
  blurEffect,
  clipBox,
  component,
  type GreyImage,
  luma,
  resampleGreyImage,
  sigmoid,
} from './raster.ts';
import type { Box, DetectedFace, RgbImage } from './types.ts';

/** A grey copy of a camera frame, downscaled by an integer factor. */
export interface GreyFrame extends GreyImage {
  /** Source px per grey px (1 = full resolution). */
  readonly scale: number;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

/**
 * The frame's luma, averaged over `scale` x `scale` blocks (1 keeps full resolution: the default,
 * sharpness needs the detail; 2 suits 1280x720 frames).
 * @throws RangeError when the frame is malformed or `scale` is not a positive integer.
 */
export function toGreyFrame(frame: RgbImage, scale = 1): GreyFrame {
  assertRgbImage(frame);
  if (!Number.isInteger(scale) || scale < 1)
    throw new RangeError(`scale must be a positive integer, got ${scale}`);
  const width = Math.max(1, Math.floor(frame.width / scale));
  const height = Math.max(1, Math.floor(frame.height / scale));
  const pixels = new Uint8Array(width * height);
  const d = frame.data;
  if (scale === 1) {
    for (let i = 0, p = 0; i < pixels.length; i++, p += 3)
      pixels[i] = luma(d[p] ?? 0, d[p + 1] ?? 0, d[p + 2] ?? 0);
  } else {
    const n = scale * scale;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let j = 0; j < scale; j++) {
          const yy = Math.min(frame.height - 1, y * scale + j);
          for (let k = 0; k < scale; k++) {
            const p = (yy * frame.width + Math.min(frame.width - 1, x * scale + k)) * 3;
            sum += luma(d[p] ?? 0, d[p + 1] ?? 0, d[p + 2] ?? 0);
          }
        }
        pixels[y * width + x] = Math.round(sum / n);
      }
  }
  return { width, height, pixels, scale, sourceWidth: frame.width, sourceHeight: frame.height };
}

/**
 * Where the landmark geometry sat inside the detector's box, so the tracked box alone gives the eye
 * positions, inter-eye distance and T of later frames. Fractions of the box width (x, sizes) and
 * height (y).
 */
export interface FaceAnchor {
  readonly eyeMidX: number;
  readonly eyeMidY: number;
  readonly ied: number;
  readonly t: number;
}

/**
 * The anchor of a detected face (its landmarks relative to its box).
 * @throws RangeError when the landmarks are not 68 points.
 */
export function faceAnchor(face: DetectedFace): FaceAnchor {
  if (face.landmarks.length !== 68)
    throw new RangeError(`expected 68 landmarks, got ${face.landmarks.length}`);
  const g = faceGeometry(face.landmarks);
  const w = Math.max(1, face.box.width);
  const h = Math.max(1, face.box.height);
  return {
    eyeMidX: (g.eyeMid.x - face.box.x) / w,
    eyeMidY: (g.eyeMid.y - face.box.y) / h,
    ied: g.ied / w,
    t: g.t / w,
  };
}

export interface TrackResult {
  /** The face box in the new frame, source px. */
  readonly box: Box;
  /** Normalised cross-correlation of the box's patch with the previous one, -1..1 (1 = same pattern). */
  readonly correlation: number;
  /** The match is too poor to trust (correlation below TRACK_MIN_CORRELATION, or no box): re-detect. */
  readonly lost: boolean;
}

/** Correlation below which the tracker reports the face lost. */
export const TRACK_MIN_CORRELATION = 0.6;
const GRID = 24;

/** Samples a grid x grid patch of the box (source px) into `out`, nearest grey pixel, edges clamped. */
function patch(frame: GreyFrame, box: Box, grid: number, out: Float32Array, xs: Int32Array): void {
  const { width, height, pixels, scale } = frame;
  for (let i = 0; i < grid; i++) {
    const x = Math.floor((box.x + ((i + 0.5) * box.width) / grid) / scale);
    xs[i] = x < 0 ? 0 : x >= width ? width - 1 : x;
  }
  for (let j = 0; j < grid; j++) {
    let y = Math.floor((box.y + ((j + 0.5) * box.height) / grid) / scale);
    y = y < 0 ? 0 : y >= height ? height - 1 : y;
    const row = y * width;
    for (let i = 0; i < grid; i++) out[j * grid + i] = pixels[row + (xs[i] ?? 0)] ?? 0;
  }
}

/** The template with its mean removed and scaled to unit norm (all zeros when flat). */
function normaliseTemplate(t: Float32Array): void {
  let mean = 0;
  for (const v of t) mean += v / t.length;
  let norm = 0;
  for (let k = 0; k < t.length; k++) {
    const v = (t[k] ?? 0) - mean;
    t[k] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  for (let k = 0; k < t.length; k++) t[k] = norm > 0 ? (t[k] ?? 0) / norm : 0;
}

/** Normalised cross-correlation of a normalised template with a raw patch (0 when the patch is flat). */
function correlate(template: Float32Array, c: Float32Array): number {
  let sum = 0;
  let sum2 = 0;
  let cross = 0;
  for (let k = 0; k < c.length; k++) {
    const v = c[k] ?? 0;
    sum += v;
    sum2 += v * v;
    cross += (template[k] ?? 0) * v;
  }
  const variance = sum2 - (sum * sum) / c.length;
  return variance > 1e-9 ? cross / Math.sqrt(variance) : 0;
}

/**
 * Follows the face box from `prevFrame` to `frame`: the box's pixels, sampled on a grid, are matched
 * by normalised cross-correlation (so a change of exposure does not move it). Shifts up to half the
 * box size are searched coarse to fine: steps of 2 cells on a 12 x 12 grid, then 1 and 1/2 cell on a
 * 24 x 24 grid; then sizes 0.9, 0.95, 1.05 and 1.1 times, each with a half-cell search (a size wins
 * only by a clear margin), and the best refined to a quarter cell. Pure; the cost is bounded by the
 * grids and the number of steps (about 300 coarse and 190 fine patch reads), not by the frame or the
 * box size. Both frames must have the same source size.
 */
export function trackFace(prevFrame: GreyFrame, prevBox: Box, frame: GreyFrame): TrackResult {
  const clipped = clipBox(prevBox, prevFrame.sourceWidth, prevFrame.sourceHeight);
  if (clipped === null || prevBox.width < 2 || prevBox.height < 2)
    return { box: prevBox, correlation: 0, lost: true };
  const xs = new Int32Array(GRID);
  const levels = [GRID / 2, GRID].map((grid) => {
    const template = new Float32Array(grid * grid);
    patch(prevFrame, prevBox, grid, template, xs);
    normaliseTemplate(template);
    return { grid, template, candidate: new Float32Array(grid * grid) };
  });
  const [coarseLevel, fineLevel] = levels as [(typeof levels)[number], (typeof levels)[number]];
  const scorer = (level: typeof coarseLevel) => (box: Box) => {
    patch(frame, box, level.grid, level.candidate, xs);
    return correlate(level.template, level.candidate);
  };
  const coarseScore = scorer(coarseLevel);
  const fineScore = scorer(fineLevel);
  const cell = Math.max(1, prevBox.width / GRID);
  const search = (score: (box: Box) => number, from: Box, step: number, radius: number) => {
    let best = from;
    let bestScore = score(from);
    const n = Math.round(radius / step);
    for (let j = -n; j <= n; j++)
      for (let i = -n; i <= n; i++) {
        if (i === 0 && j === 0) continue;
        const box = { ...from, x: from.x + i * step, y: from.y + j * step };
        const s = score(box);
        if (s > bestScore) {
          bestScore = s;
          best = box;
        }
      }
    return { box: best, score: bestScore };
  };
  // At most 8 coarse steps each way: a box far taller than wide would otherwise search without bound.
  const reach = Math.max(prevBox.width, prevBox.height) / 2;
  const coarseStep = Math.max(2 * cell, reach / 8);
  const coarse = search(coarseScore, prevBox, coarseStep, Math.ceil(reach / coarseStep) * coarseStep);
  const half = Math.max(1, cell / 2);
  let best = search(fineScore, search(fineScore, coarse.box, cell, 2 * cell).box, half, cell);
  const centred = best.box;
  // A new size must beat the old one clearly: noise alone should not make the box breathe.
  const sizeMargin = 0.01;
  for (const k of [0.9, 0.95, 1.05, 1.1]) {
    const w = centred.width * k;
    const h = centred.height * k;
    const scaled = {
      x: centred.x + (centred.width - w) / 2,
      y: centred.y + (centred.height - h) / 2,
      width: w,
      height: h,
    };
    const r = search(fineScore, scaled, half, cell);
    if (r.score > best.score + sizeMargin) best = r;
  }
  best = search(fineScore, best.box, Math.max(1, cell / 4), half);
  const inside = clipBox(best.box, frame.sourceWidth, frame.sourceHeight) !== null;
  return { box: best.box, correlation: best.score, lost: !inside || best.score < TRACK_MIN_CORRELATION };
}

/** The face's framing from a tracked box and its anchor, in the units of the OFIQ crop measures. */
export interface Framing {
  /** Inter-eye distance, source px. */
  readonly ied: number;
  /** LeftwardCropOfTheFaceImage raw: image-left eye centre to the left border, in IED. */
  readonly leftward: number;
  /** RightwardCropOfTheFaceImage raw, in IED. */
  readonly rightward: number;
  /** MarginAboveOfTheFaceImage raw: eye midpoint to the top border, in T. */
  readonly above: number;
  /** MarginBelowOfTheFaceImage raw: eye midpoint to the bottom border, in T. */
  readonly below: number;
}

export interface ClassicalAssessment {
  /** What the exposure and sharpness were read on. */
  readonly region: 'face' | 'frame-centre';
  /** Mean luma, 0..1 (LuminanceMean's scale). */
  readonly luminanceMean: number;
  /** Share of samples at luma <= 25 (UnderExposurePrevention's range). */
  readonly underExposed: number;
  /** Share of samples at luma >= 247 (OverExposurePrevention's range). */
  readonly overExposed: number;
  /** Blur effect, 0 sharp .. 1 flat (Sharpness's raw value), at the measures' normalised scale when a face is tracked. */
  readonly sharpness: number;
  /** 0-100 with the same mapping as the Sharpness measure. */
  readonly sharpnessQuality: number;
  /** Null when no face is tracked (or its box and anchor give no finite geometry). */
  readonly framing: Framing | null;
}

/**
 * The per-frame classical assessment. With a tracked face (its box in source px and the anchor
 * from its last detection) exposure and sharpness are read on the box, and the framing is derived
 * from the anchor; without one, on the middle half of the frame.
 */
export function classicalAssessment(
  frame: GreyFrame,
  tracked: { readonly box: Box; readonly anchor: FaceAnchor } | null,
): ClassicalAssessment {
  const s = frame.scale;
  const onFace =
    tracked === null
      ? null
      : clipBox(
          {
            x: tracked.box.x / s,
            y: tracked.box.y / s,
            width: tracked.box.width / s,
            height: tracked.box.height / s,
          },
          frame.width,
          frame.height,
        );
  const region: Box = onFace ?? {
    x: Math.floor(frame.width / 4),
    y: Math.floor(frame.height / 4),
    width: Math.max(1, Math.floor(frame.width / 2)),
    height: Math.max(1, Math.floor(frame.height / 2)),
  };
  // Exposure on at most 128 x 128 samples.
  const stepX = Math.max(1, Math.ceil(region.width / 128));
  const stepY = Math.max(1, Math.ceil(region.height / 128));
  let n = 0;
  let sum = 0;
  let dark = 0;
  let bright = 0;
  for (let y = region.y; y < region.y + region.height; y += stepY)
    for (let x = region.x; x < region.x + region.width; x += stepX) {
      const v = frame.pixels[y * frame.width + x] ?? 0;
      sum += v;
      if (v <= 25) dark++;
      if (v >= 247) bright++;
      n++;
    }
  // Sharpness at the measures' scale (faces larger than CROP_IED shrunk to it, smaller ones as they are).
  let k = Math.min(1, 160 / Math.max(region.width, region.height));
  if (tracked !== null && onFace !== null) {
    const fromAnchor = (CROP_IED * s) / Math.max(1, tracked.anchor.ied * tracked.box.width);
    // A corrupt anchor (NaN, zero) falls back to the size-only bound rather than breaking the frame.
    if (Number.isFinite(fromAnchor) && fromAnchor > 0) k = fromAnchor;
  }
  k = Math.min(1, k, 256 / region.width, 256 / region.height);
  const crop = resampleGreyImage(
    frame,
    Math.max(1, Math.round(region.width * k)),
    Math.max(1, Math.round(region.height * k)),
    region,
  );
  const sharpness = blurEffect(crop);
  let framing: Framing | null = null;
  if (tracked !== null && onFace !== null) {
    const { box, anchor } = tracked;
    const ied = Math.max(1, anchor.ied * box.width);
    const t = Math.max(1, anchor.t * box.width);
    const eyeMidX = box.x + anchor.eyeMidX * box.width;
    const eyeMidY = box.y + anchor.eyeMidY * box.height;
    const f: Framing = {
      ied,
      leftward: (eyeMidX - ied / 2) / ied,
      rightward: (frame.sourceWidth - (eyeMidX + ied / 2)) / ied,
      above: eyeMidY / t,
      below: (frame.sourceHeight - eyeMidY) / t,
    };
    if (Object.values(f).every(Number.isFinite)) framing = f;
  }
  return {
    region: onFace === null ? 'frame-centre' : 'face',
    luminanceMean: n === 0 ? 0 : sum / n / 255,
    underExposed: n === 0 ? 0 : dark / n,
    overExposed: n === 0 ? 0 : bright / n,
    sharpness,
    sharpnessQuality: component(100 * (1 - sigmoid(sharpness, SHARPNESS_MIDPOINT, 0.05))),
    framing,
  };
}
