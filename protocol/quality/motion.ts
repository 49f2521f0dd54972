/**
 * Motion during the capture, read from how ridge detail depends on ridge direction. A finger that
 * moves by L px along a direction during the exposure averages the print along it: ridges running
 * with the motion stay sharp, ridges across it are wiped out, and a ridge at angle delta to the
 * motion keeps about |sinc(L sin(delta) / period)| of its contrast. A still print, blurred or not,
 * loses detail alike in every direction.
 *
 * Over 16 x 16 blocks inside the finger: each block's gradient energy (its detail) and gradient
 * direction (its ridges' normal); the dominant direction, that of the gradient tensor summed over
 * the blocks (where the detail that is left points); each block's angle delta to it, in nine
 * 10-degree bins; the median energy of each bin over that of the first (delta under 10 degrees).
 * `motionHalfWidth` is the angle at which that ratio first falls under one half (linear between
 * bin centres): 90 when it never does (a still print: about 1 in every bin), about 10 to 20 degrees
 * for a finger that moved a ridge period and a half or more (13 px and up at 500 ppi), 20 to 45
 * degrees for a shorter smear (6 to 9 px: a smudge). It needs ridges in several directions: the
 * ridges of an arch that the motion runs along are not changed, and a print wiped out in every
 * direction has no direction left; both give 90.
 *
 * Blocks are judged inside the finger only: dark or textured blocks whose eight neighbours are too,
 * so the contact edge (and the cut of a partial print) is not read as detail. No NFIQ 2 map is
 * read: a blurred finger that fills a small sensor's frame is mostly outside NFIQ 2's ROI, which
 * keeps only the blocks that still show ridges. One pass over the trimmed print (about 1 ms on
 * 500 x 500).
 */

import type { CropBox } from './crop.ts';
import type { GreyImage } from './measures.ts';

/** Side of the blocks, px at 500 ppi (about two ridges). */
export const MOTION_BLOCK = 16;
/** A block is finger when its mean is at least this fraction of the ink depth below the glass ... */
const FINGER_DARKNESS = 0.15;
/** ... or its std-dev is at least this many grey levels (texture above the sensor noise). */
const FINGER_TEXTURE = 8;
/** 10-degree bins of the angle to the dominant direction, 0..90. */
const BINS = 9;
/** A bin's median is read only over at least this many blocks. */
export const MIN_BIN_BLOCKS = 3;

export interface MotionSignals {
  /**
   * Degrees from the dominant detail direction at which the blocks' median gradient energy falls
   * under half that of the blocks along it, 5..90; 90 when it never does; NaN without at least
   * MIN_BIN_BLOCKS blocks along the dominant direction.
   */
  readonly halfWidth: number;
  /** Blocks inside the finger the half-width was taken over. */
  readonly blocks: number;
  /** Share of the image in 16 x 16 blocks that are finger (dark or textured), 0..1. */
  readonly fingerShare: number;
}

/**
 * The motion signals of the trimmed print `crop` of `image`, given the glass grey level and the
 * ink depth (score-signals.ts). Pure; never throws.
 */
export function motionSignals(
  image: GreyImage,
  crop: CropBox,
  background: number,
  inkDepth: number,
): MotionSignals {
  const B = MOTION_BLOCK;
  const cols = Math.floor(crop.width / B);
  const rows = Math.floor(crop.height / B);
  const stride = image.width;
  const px = image.pixels;
  const n = cols * rows;
  const finger = new Uint8Array(n);
  const jxx = new Float64Array(n);
  const jyy = new Float64Array(n);
  const jxy = new Float64Array(n);
  const darkLimit = background - FINGER_DARKNESS * inkDepth;
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      let sum = 0;
      let squares = 0;
      let xx = 0;
      let yy = 0;
      let xy = 0;
      for (let y = by * B; y < by * B + B; y++) {
        const iy = y + crop.top;
        const row = iy * stride + crop.left;
        const up = iy > 0 ? -stride : 0;
        const down = iy < image.height - 1 ? stride : 0;
        for (let x = bx * B; x < bx * B + B; x++) {
          const i = row + x;
          const ix = x + crop.left;
          const v = px[i] ?? 0;
          sum += v;
          squares += v * v;
          const gx = (px[ix < image.width - 1 ? i + 1 : i] ?? 0) - (px[ix > 0 ? i - 1 : i] ?? 0);
          const gy = (px[i + down] ?? 0) - (px[i + up] ?? 0);
          xx += gx * gx;
          yy += gy * gy;
          xy += gx * gy;
        }
      }
      const b = by * cols + bx;
      const mean = sum / (B * B);
      const variance = squares / (B * B) - mean * mean;
      if (mean <= darkLimit || variance >= FINGER_TEXTURE * FINGER_TEXTURE) finger[b] = 1;
      jxx[b] = xx;
      jyy[b] = yy;
      jxy[b] = xy;
    }
  }
  // Inside: finger blocks whose eight neighbours are finger blocks too.
  const inside: number[] = [];
  for (let by = 1; by < rows - 1; by++) {
    for (let bx = 1; bx < cols - 1; bx++) {
      let all = true;
      for (let dy = -1; dy <= 1 && all; dy++)
        for (let dx = -1; dx <= 1 && all; dx++) all = finger[(by + dy) * cols + bx + dx] === 1;
      if (all) inside.push(by * cols + bx);
    }
  }
  let sx = 0;
  let sy = 0;
  for (const b of inside) {
    sx += (jxx[b] ?? 0) - (jyy[b] ?? 0);
    sy += 2 * (jxy[b] ?? 0);
  }
  const norm = Math.hypot(sx, sy);
  let fingerBlocks = 0;
  for (let b = 0; b < n; b++) fingerBlocks += finger[b] ?? 0;
  const fingerShare = (fingerBlocks * B * B) / (image.width * image.height);
  if (inside.length === 0 || norm === 0) return { halfWidth: Number.NaN, blocks: inside.length, fingerShare };
  const cx = sx / norm;
  const cy = sy / norm;
  const bins: number[][] = Array.from({ length: BINS }, () => []);
  for (const b of inside) {
    const dx = (jxx[b] ?? 0) - (jyy[b] ?? 0);
    const dy = 2 * (jxy[b] ?? 0);
    const length = Math.hypot(dx, dy);
    const c2 = length > 0 ? (dx * cx + dy * cy) / length : 0;
    const delta = Math.acos(Math.max(-1, Math.min(1, c2))) / 2;
    bins[Math.min(BINS - 1, Math.floor(delta / (Math.PI / 2 / BINS)))]?.push((jxx[b] ?? 0) + (jyy[b] ?? 0));
  }
  const medians = bins.map((v) => {
    v.sort((a, b) => a - b);
    return v.length >= MIN_BIN_BLOCKS ? (v[Math.floor(v.length / 2)] ?? Number.NaN) : Number.NaN;
  });
  const reference = medians[0] ?? Number.NaN;
  const binDegrees = 90 / BINS;
  let halfWidth = Number.NaN;
  if (reference > 0) {
    halfWidth = 90;
    let prevAt = binDegrees / 2;
    let prevValue = 1;
    for (let k = 1; k < BINS; k++) {
      const value = (medians[k] ?? Number.NaN) / reference;
      if (!Number.isFinite(value)) continue;
      const at = (k + 0.5) * binDegrees;
      if (value < 0.5) {
        halfWidth = prevAt + ((prevValue - 0.5) / (prevValue - value)) * (at - prevAt);
        break;
      }
      prevAt = at;
      prevValue = value;
    }
  }
  return { halfWidth, blocks: inside.length, fingerShare };
}
