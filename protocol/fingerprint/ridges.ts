/**
 * Ridge measurements on a greyscale fingerprint: foreground segmentation by block contrast, the
 * local ridge period (distance between ridge centres) by oriented projection, and a minutiae
 * extractor of the classic kind (binarise, thin, crossing number, then remove the artefacts that
 * thinning leaves: spurs, bridges and broken ridges).
 *
 * Pure and allocation-bounded: every buffer is sized from the image, nothing grows with content.
 */

import { blockOrientation, type OrientationField } from './orientation.ts';

export interface GreyPixels {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey, 0 = black (ridge ink). */
  readonly pixels: Uint8Array;
}

/** Foreground per block: 1 where ridges are, 0 for glass, background and flat blur. */
export interface BlockMask {
  readonly block: number;
  readonly blocksWide: number;
  readonly blocksHigh: number;
  readonly inside: Uint8Array;
}

function checkImage(image: GreyPixels): void {
  const { width, height, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 32 || height < 32)
    throw new RangeError(`image ${width}x${height} is below 32x32`);
  if (pixels.length !== width * height) throw new RangeError(`${pixels.length} bytes for ${width}x${height}`);
}

/**
 * Blocks whose grey-level standard deviation is high enough to hold ridges. The threshold is
 * relative to the image's own strongest blocks, so a faint dry print is still found, with an
 * absolute floor so empty glass with sensor noise is not.
 */
export function foregroundBlocks(image: GreyPixels, block = 16): BlockMask {
  checkImage(image);
  const { width, pixels } = image;
  const blocksWide = Math.floor(image.width / block);
  const blocksHigh = Math.floor(image.height / block);
  const deviation = new Float64Array(blocksWide * blocksHigh);
  for (let by = 0; by < blocksHigh; by++) {
    for (let bx = 0; bx < blocksWide; bx++) {
      let sum = 0;
      let squares = 0;
      for (let y = by * block; y < (by + 1) * block; y++) {
        for (let x = bx * block; x < (bx + 1) * block; x++) {
          const v = pixels[y * width + x] ?? 0;
          sum += v;
          squares += v * v;
        }
      }
      const n = block * block;
      const mean = sum / n;
      deviation[by * blocksWide + bx] = Math.sqrt(Math.max(0, squares / n - mean * mean));
    }
  }
  const sorted = Float64Array.from(deviation).sort();
  const strong = sorted[Math.floor(sorted.length * 0.9)] ?? 0;
  const threshold = Math.max(12, 0.3 * strong);
  const raw = new Uint8Array(deviation.length);
  for (let i = 0; i < raw.length; i++) raw[i] = (deviation[i] ?? 0) >= threshold ? 1 : 0;
  // One pass of a 3x3 majority vote removes isolated blocks and fills single holes.
  const inside = new Uint8Array(raw.length);
  for (let by = 0; by < blocksHigh; by++) {
    for (let bx = 0; bx < blocksWide; bx++) {
      let votes = 0;
      let cells = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const x = bx + dx;
          const y = by + dy;
          if (x < 0 || y < 0 || x >= blocksWide || y >= blocksHigh) continue;
          votes += raw[y * blocksWide + x] ?? 0;
          cells++;
        }
      }
      inside[by * blocksWide + bx] = votes * 2 > cells ? 1 : 0;
    }
  }
  return { block, blocksWide, blocksHigh, inside };
}

export interface RidgePeriod {
  /** Median ridge period over the measured blocks, px; NaN when no block could be measured. */
  readonly median: number;
  /** Number of blocks that gave a period. */
  readonly blocks: number;
  /** Per block (orientation-field grid), px; 0 where not measured. */
  readonly perBlock: Float32Array;
}

/**
 * Ridge period by the oriented-window method (Hong, Wan and Jain 1998): in each coherent foreground
 * block, grey levels are averaged along the ridge direction into a signature across the ridges; the
 * period is the mean distance between the signature's minima (ridge centres).
 */
export function ridgePeriod(image: GreyPixels, field?: OrientationField, mask?: BlockMask): RidgePeriod {
  checkImage(image);
  const { width, height, pixels } = image;
  const orientation = field ?? blockOrientation(pixels, width, height, 16);
  const foreground = mask ?? foregroundBlocks(image, orientation.block);
  const block = orientation.block;
  const across = 2 * block; // signature length, across the ridges
  const along = block; // averaging length, along the ridges
  const perBlock = new Float32Array(orientation.blocksWide * orientation.blocksHigh);
  const signature = new Float64Array(across);
  const measured: number[] = [];
  for (let by = 0; by < orientation.blocksHigh; by++) {
    for (let bx = 0; bx < orientation.blocksWide; bx++) {
      const b = by * orientation.blocksWide + bx;
      if ((orientation.coherence[b] ?? 0) < 0.4) continue;
      if (foreground.block === block && (foreground.inside[b] ?? 0) === 0) continue;
      const theta = orientation.angle[b] ?? 0;
      const ux = Math.cos(theta); // along the ridge
      const uy = Math.sin(theta);
      const nx = -uy; // across the ridges
      const ny = ux;
      const cx = bx * block + block / 2;
      const cy = by * block + block / 2;
      let complete = true;
      for (let k = 0; k < across && complete; k++) {
        let sum = 0;
        const t = k - across / 2;
        for (let d = 0; d < along; d++) {
          const s = d - along / 2;
          const x = Math.round(cx + t * nx + s * ux);
          const y = Math.round(cy + t * ny + s * uy);
          if (x < 0 || y < 0 || x >= width || y >= height) {
            complete = false;
            break;
          }
          sum += pixels[y * width + x] ?? 0;
        }
        signature[k] = sum / along;
      }
      if (!complete) continue;
      // Light smoothing, then the positions of local minima deep enough to be ridges.
      let low = Number.POSITIVE_INFINITY;
      let high = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < across; k++) {
        const v = signature[k] ?? 0;
        if (v < low) low = v;
        if (v > high) high = v;
      }
      if (high - low < 10) continue;
      const floor = low + 0.5 * (high - low);
      const minima: number[] = [];
      for (let k = 1; k < across - 1; k++) {
        const prev = ((signature[k - 1] ?? 0) + (signature[k] ?? 0)) / 2;
        const here = signature[k] ?? 0;
        const next = ((signature[k + 1] ?? 0) + (signature[k] ?? 0)) / 2;
        if (here <= prev && here < next && here < floor) {
          if (minima.length > 0 && k - (minima[minima.length - 1] ?? 0) < 3) continue;
          minima.push(k);
        }
      }
      if (minima.length < 2) continue;
      const period = ((minima[minima.length - 1] ?? 0) - (minima[0] ?? 0)) / (minima.length - 1);
      // 500 ppi ridges lie 3 to 25 px apart; anything else is noise or a crease.
      if (period < 3 || period > 25) continue;
      perBlock[b] = period;
      measured.push(period);
    }
  }
  measured.sort((a, b) => a - b);
  const median =
    measured.length === 0 ? Number.NaN : (measured[Math.floor(measured.length / 2)] ?? Number.NaN);
  return { median, blocks: measured.length, perBlock };
}

export type MinutiaKind = 'ending' | 'bifurcation';

export interface Minutia {
  readonly x: number;
  readonly y: number;
  readonly kind: MinutiaKind;
  /** Direction of the ridge leaving the minutia, radians in [0, 2 pi), y downwards. */
  readonly angle: number;
}

export interface MinutiaeResult {
  readonly minutiae: readonly Minutia[];
  readonly mask: BlockMask;
  /** Ridge period used to size the filters, px. */
  readonly period: number;
}

/** Separable box blur with a radius of r px, clamped at the edges. */
function boxBlur(source: Float32Array, width: number, height: number, r: number): Float32Array {
  const temp = new Float32Array(source.length);
  const out = new Float32Array(source.length);
  const n = 2 * r + 1;
  for (let y = 0; y < height; y++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += source[y * width + Math.min(width - 1, Math.max(0, k))] ?? 0;
    for (let x = 0; x < width; x++) {
      temp[y * width + x] = sum / n;
      const add = Math.min(width - 1, x + r + 1);
      const drop = Math.max(0, x - r);
      sum += (source[y * width + add] ?? 0) - (source[y * width + drop] ?? 0);
    }
  }
  for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += temp[Math.min(height - 1, Math.max(0, k)) * width + x] ?? 0;
    for (let y = 0; y < height; y++) {
      out[y * width + x] = sum / n;
      const add = Math.min(height - 1, y + r + 1);
      const drop = Math.max(0, y - r);
      sum += (temp[add * width + x] ?? 0) - (temp[drop * width + x] ?? 0);
    }
  }
  return out;
}

/**
 * Smooths along the local ridge direction (a 1-D average of `length` px per pixel) so that pores,
 * sensor noise and small ridge breaks do not binarise into false endings.
 */
function smoothAlongRidges(
  source: Float32Array,
  width: number,
  height: number,
  field: OrientationField,
  length: number,
): Float32Array {
  const out = new Float32Array(source.length);
  const half = Math.floor(length / 2);
  for (let y = 0; y < height; y++) {
    const by = Math.min(field.blocksHigh - 1, Math.floor(y / field.block));
    for (let x = 0; x < width; x++) {
      const bx = Math.min(field.blocksWide - 1, Math.floor(x / field.block));
      const theta = field.angle[by * field.blocksWide + bx] ?? 0;
      const dx = Math.cos(theta);
      const dy = Math.sin(theta);
      let sum = 0;
      let count = 0;
      for (let s = -half; s <= half; s++) {
        const sx = Math.round(x + s * dx);
        const sy = Math.round(y + s * dy);
        if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
        sum += source[sy * width + sx] ?? 0;
        count++;
      }
      out[y * width + x] = sum / count;
    }
  }
  return out;
}

/** Zhang-Suen thinning in place: ridges (1) shrink to 8-connected lines one pixel wide. */
function thin(bits: Uint8Array, width: number, height: number): void {
  const remove: number[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (let step = 0; step < 2; step++) {
      remove.length = 0;
      for (let y = 1; y < height - 1; y++) {
        for (let x = 1; x < width - 1; x++) {
          const i = y * width + x;
          if (bits[i] !== 1) continue;
          const p2 = bits[i - width] ?? 0;
          const p3 = bits[i - width + 1] ?? 0;
          const p4 = bits[i + 1] ?? 0;
          const p5 = bits[i + width + 1] ?? 0;
          const p6 = bits[i + width] ?? 0;
          const p7 = bits[i + width - 1] ?? 0;
          const p8 = bits[i - 1] ?? 0;
          const p9 = bits[i - width - 1] ?? 0;
          const neighbours = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          if (neighbours < 2 || neighbours > 6) continue;
          const ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2];
          let transitions = 0;
          for (let k = 0; k < 8; k++) if (ring[k] === 0 && ring[k + 1] === 1) transitions++;
          if (transitions !== 1) continue;
          if (
            step === 0 ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0 : p2 * p4 * p8 !== 0 || p2 * p6 * p8 !== 0
          )
            continue;
          remove.push(i);
        }
      }
      for (const i of remove) bits[i] = 0;
      if (remove.length > 0) changed = true;
    }
  }
}

const RING_X = [1, 1, 0, -1, -1, -1, 0, 1];
const RING_Y = [0, 1, 1, 1, 0, -1, -1, -1];

/** Crossing number: half the number of 0/1 changes around the 8-neighbourhood. */
function crossingNumber(bits: Uint8Array, width: number, i: number): number {
  let changes = 0;
  for (let k = 0; k < 8; k++) {
    const a = bits[i + (RING_Y[k] ?? 0) * width + (RING_X[k] ?? 0)] ?? 0;
    const b = bits[i + (RING_Y[(k + 1) % 8] ?? 0) * width + (RING_X[(k + 1) % 8] ?? 0)] ?? 0;
    if (a !== b) changes++;
  }
  return changes / 2;
}

/**
 * Follows the skeleton from `start` for at most `steps` pixels without turning back. Returns where
 * it stopped and why: at another minutia, at the end of a line, or after `steps`.
 */
function trace(
  bits: Uint8Array,
  width: number,
  start: number,
  steps: number,
  isMinutia: (i: number) => boolean,
  from = -1,
): { end: number; length: number; hit: boolean } {
  let previous = from;
  let current = start;
  for (let length = 1; length <= steps; length++) {
    let next = -1;
    for (let k = 0; k < 8; k++) {
      const j = current + (RING_Y[k] ?? 0) * width + (RING_X[k] ?? 0);
      if (j === previous || j === start || j === from || bits[j] !== 1) continue;
      next = j;
      break;
    }
    if (next < 0) return { end: current, length, hit: false };
    previous = current;
    current = next;
    if (isMinutia(current)) return { end: current, length, hit: true };
  }
  return { end: current, length: steps, hit: false };
}

/**
 * Minutiae of a 500 ppi greyscale print. The pipeline: ridge period and orientation per block, a
 * blur and a smoothing along the ridges, binarisation against the local mean, Zhang-Suen thinning,
 * crossing numbers (1 ending, 3 bifurcation), then removal of minutiae near the foreground border
 * and of the pairs thinning invents (spurs, bridges, short segments, broken ridges).
 */
export function extractMinutiae(image: GreyPixels): MinutiaeResult {
  checkImage(image);
  const { width, height, pixels } = image;
  const field = blockOrientation(pixels, width, height, 16);
  const mask = foregroundBlocks(image, 16);
  const measured = ridgePeriod(image, field, mask).median;
  const period = Number.isFinite(measured) ? measured : 9;

  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = pixels[i] ?? 0;
  const smooth = smoothAlongRidges(boxBlur(grey, width, height, 1), width, height, field, 7);
  const localMean = boxBlur(smooth, width, height, Math.max(3, Math.round(period * 0.9)));

  // A pixel is ridge when darker than its neighbourhood, inside the foreground.
  const inForeground = (x: number, y: number) => blockSet(mask, mask.inside, x, y);
  const bits = new Uint8Array(width * height);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      if (inForeground(x, y) && (smooth[i] ?? 0) < (localMean[i] ?? 0)) bits[i] = 1;
    }
  }
  thin(bits, width, height);

  // Minutiae must lie a margin inside the foreground: the contact edge ends every ridge. Border
  // blocks are only partly covered, so the margin is counted from the mask eroded by one block.
  const core = erode(mask);
  const inCore = (x: number, y: number) => blockSet(mask, core, x, y);
  const margin = Math.ceil(period);
  const deepInside = (x: number, y: number): boolean => {
    for (const [dx, dy] of [
      [0, 0],
      [margin, 0],
      [-margin, 0],
      [0, margin],
      [0, -margin],
      [margin, margin],
      [-margin, -margin],
      [margin, -margin],
      [-margin, margin],
    ] as const) {
      const sx = x + dx;
      const sy = y + dy;
      if (sx < 0 || sy < 0 || sx >= width || sy >= height || !inCore(sx, sy)) return false;
    }
    return true;
  };

  const kindAt = new Int8Array(width * height); // 1 ending, 3 bifurcation
  const candidates: number[] = [];
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      if (bits[i] !== 1) continue;
      const cn = crossingNumber(bits, width, i);
      if (cn === 1 || cn === 3) {
        kindAt[i] = cn;
        candidates.push(i);
      }
    }
  }

  // Spurs (an ending that reaches a bifurcation within a period), short segments (two endings joined
  // within a period) and bridges (two bifurcations joined within a period) are thinning artefacts.
  const removed = new Uint8Array(width * height);
  const isMinutia = (i: number) => kindAt[i] !== 0;
  const reach = Math.ceil(period);
  for (const i of candidates) {
    if (removed[i] === 1) continue;
    if (kindAt[i] === 1) {
      const { end, hit } = trace(bits, width, i, reach, isMinutia);
      if (hit) {
        removed[i] = 1;
        removed[end] = 1;
      }
    } else {
      for (let k = 0; k < 8; k++) {
        const j = i + (RING_Y[k] ?? 0) * width + (RING_X[k] ?? 0);
        if (bits[j] !== 1) continue;
        const { end, hit } = trace(bits, width, j, reach, isMinutia, i);
        if (hit && kindAt[end] === 3) {
          removed[i] = 1;
          removed[end] = 1;
        }
      }
    }
  }

  const kept: Minutia[] = [];
  for (const i of candidates) {
    if (removed[i] === 1) continue;
    const x = i % width;
    const y = (i - x) / width;
    if (!deepInside(x, y)) continue;
    const kind: MinutiaKind = kindAt[i] === 1 ? 'ending' : 'bifurcation';
    kept.push({ x, y, kind, angle: directionAt(bits, width, i, reach, kind) });
  }

  // Broken ridges: two endings facing each other within about a period are one ridge with a gap.
  const final: Minutia[] = [];
  const dropped = new Uint8Array(kept.length);
  for (let a = 0; a < kept.length; a++) {
    for (let b = a + 1; b < kept.length; b++) {
      const p = kept[a] as Minutia;
      const q = kept[b] as Minutia;
      if (Math.hypot(p.x - q.x, p.y - q.y) < period * 0.8) {
        dropped[a] = 1;
        dropped[b] = 1;
      }
    }
  }
  for (let a = 0; a < kept.length; a++) if (dropped[a] === 0) final.push(kept[a] as Minutia);
  return { minutiae: final, mask, period };
}

/** Whether pixel (x, y) falls in a block set to 1 in `flags`, a grid shaped like `mask`'s. */
function blockSet(mask: BlockMask, flags: Uint8Array, x: number, y: number): boolean {
  const bx = Math.floor(x / mask.block);
  const by = Math.floor(y / mask.block);
  if (bx >= mask.blocksWide || by >= mask.blocksHigh) return false;
  return flags[by * mask.blocksWide + bx] === 1;
}

/** Blocks of `mask` whose eight neighbours are all inside too. */
function erode(mask: BlockMask): Uint8Array {
  const { blocksWide, blocksHigh, inside } = mask;
  const out = new Uint8Array(inside.length);
  for (let by = 1; by < blocksHigh - 1; by++) {
    for (let bx = 1; bx < blocksWide - 1; bx++) {
      let all = 1;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) all &= inside[(by + dy) * blocksWide + bx + dx] ?? 0;
      out[by * blocksWide + bx] = all;
    }
  }
  return out;
}

/** Direction of the ridge at a minutia: from the minutia towards a point `reach` px along it. */
function directionAt(bits: Uint8Array, width: number, i: number, reach: number, kind: MinutiaKind): number {
  const x = i % width;
  const y = (i - x) / width;
  let end = i;
  if (kind === 'ending') {
    end = trace(bits, width, i, reach, () => false).end;
  } else {
    // For a bifurcation, average the directions of its branches: they point along the ridge pair.
    let sx = 0;
    let sy = 0;
    for (let k = 0; k < 8; k++) {
      const j = i + (RING_Y[k] ?? 0) * width + (RING_X[k] ?? 0);
      if (bits[j] !== 1) continue;
      const e = trace(bits, width, j, reach, () => false, i).end;
      const ex = e % width;
      sx += ex - x;
      sy += (e - ex) / width - y;
    }
    const angle = Math.atan2(sy, sx);
    return angle < 0 ? angle + 2 * Math.PI : angle;
  }
  const ex = end % width;
  const angle = Math.atan2((end - ex) / width - y, ex - x);
  return angle < 0 ? angle + 2 * Math.PI : angle;
}
