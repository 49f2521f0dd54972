/**
 * Minutia Cylinder-Code templates (R. Cappelli, M. Ferrara, D. Maltoni, "Minutia Cylinder-Code: a
 * new representation and matching technique for fingerprint recognition", IEEE TPAMI 32(12), 2010,
 * section 3), bit version: every minutia gets a cylinder, a 16 x 16 x 6 grid of cells over a disc of
 * radius 70 px centred on it and turned with its direction; a cell is set when neighbouring
 * minutiae near that place have about that direction relative to the centre's. The cylinder is
 * invariant to translation and rotation, and tolerant of small distortion (the Gaussians).
 *
 * Pure; bounded: at most MAX_INPUT_MINUTIAE are read, MAX_USED_MINUTIAE are used.
 */

import {
  type Foreground,
  type MatchMinutia,
  MCC_FORMAT,
  type PrepareError,
  type PrepareInput,
  type PrepareResult,
} from './types.ts';

/** The paper's Table 1 values at 500 ppi, except where a comment says otherwise. */
export const MCC_PARAMETERS = {
  /** Cylinder radius, px. */
  radius: 70,
  /** Cells along each side of the cylinder's base. */
  spatialCells: 8,
  /** Sections along its height (directions). */
  angularCells: 6,
  /** Spatial Gaussian, px. */
  sigmaS: 28 / 3,
  /** Directional Gaussian, radians. */
  sigmaD: (2 * Math.PI) / 9,
  /**
   * A cell's bit is set when its contribution exceeds this (the paper's mu_psi, 0.01 for 16 cells a
   * side). With 8 cells a side the cell centres are 17.5 px apart and a neighbour can lie 12 px
   * from the nearest one, where its contribution is below 0.01: at 0.005 every neighbour sets a cell
   * (on the FVC B sets, FNMR at FMR 1 % fell by a tenth).
   */
  threshold: 0.005,
  /** Convex hull enlargement when no foreground is given, px. */
  omega: 50,
  /**
   * A cylinder is valid with at least this share of its disc's cells valid (the paper: 0.75) ...
   * Lowered so that minutiae near the print's edge keep their cylinders: a partial or small
   * contact (a dry finger's few ridges, a print cut by the glass) has most of its minutiae
   * there, and at 0.75 their cylinders were dropped, leaving too few to pair. On the six FVC B sets
   * (with minMatchableCells 0.4 in compare.ts), failing genuine pairs at FMR 1 % fell from 148 to
   * 136 of 1,680 (FVC2002 DB1_B 12 to 4, DB2_B 14 to 11); 0.3 to 0.45 did the same within 3 pairs.
   */
  minValidCells: 0.4,
  /** ... and at least this many other minutiae within radius + 3 sigmaS. */
  minNeighbours: 2,
} as const;

/** Fewer minutiae than this (after duplicates merge) cannot be compared. */
export const MIN_MINUTIAE = 8;
/** Fewer valid cylinders than this cannot be compared (consolidation needs at least 4 pairs). */
export const MIN_CYLINDERS = 4;
/** Inputs above this are refused: the template formats hold at most 255. */
export const MAX_INPUT_MINUTIAE = 1000;
/** Above this the best (by quality, else nearest the centre) are kept: bounds comparison time. */
export const MAX_USED_MINUTIAE = 80;
/** Largest image side accepted, px at 500 ppi. */
export const MAX_SIDE = 4000;
/** Minutiae closer than this (px at 500 ppi) are one minutia given twice. */
export const DUPLICATE_DISTANCE = 2;

const NS = MCC_PARAMETERS.spatialCells;
const ND = MCC_PARAMETERS.angularCells;
const CELLS = NS * NS;
/** 32-bit words holding one section's cells, one cylinder's valid mask. */
export const MASK_WORDS = CELLS / 32;
export const CYLINDER_WORDS = MASK_WORDS * ND;
const DELTA_S = (2 * MCC_PARAMETERS.radius) / NS;
const DELTA_D = (2 * Math.PI) / ND;
const CENTRE = (NS - 1) / 2;
const TWO_PI = 2 * Math.PI;

/** Cells whose centre lies on the disc (the only ones that can be valid). */
const DISC = discMask();
const DISC_CELLS = popcountWords(DISC);
const MIN_VALID_CELLS = Math.ceil(MCC_PARAMETERS.minValidCells * DISC_CELLS);

function discMask(): Int32Array {
  const mask = new Int32Array(MASK_WORDS);
  for (let i = 0; i < NS; i++)
    for (let j = 0; j < NS; j++)
      if (DELTA_S * Math.hypot(i - CENTRE, j - CENTRE) <= MCC_PARAMETERS.radius) {
        const cell = i * NS + j;
        mask[cell >> 5] = (mask[cell >> 5] ?? 0) | (1 << (cell & 31));
      }
  return mask;
}

/** Difference of two angles, radians, in [-pi, pi). */
export function angleDifference(a: number, b: number): number {
  let d = (a - b) % TWO_PI;
  if (d < -Math.PI) d += TWO_PI;
  else if (d >= Math.PI) d -= TWO_PI;
  return d;
}

/** Number of set bits in a 32-bit word. */
export function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function popcountWords(words: Int32Array): number {
  let n = 0;
  for (const w of words) n += popcount(w);
  return n;
}

/** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}

/**
 * The directional term of every section for a neighbour whose direction differs from the centre's
 * by `d` (the paper's C^D, eq. 6): the area of the directional Gaussian over the section's width,
 * centred on the section's angle minus d.
 */
function directional(d: number, out: Float64Array): void {
  const scale = 1 / (MCC_PARAMETERS.sigmaD * Math.SQRT2);
  for (let k = 0; k < ND; k++) {
    const alpha = angleDifference(-Math.PI + (k + 0.5) * DELTA_D, d);
    out[k] = 0.5 * (erf((alpha + DELTA_D / 2) * scale) - erf((alpha - DELTA_D / 2) * scale));
  }
}

function fail(error: PrepareError): PrepareResult {
  return { ok: false, error };
}

const KINDS = new Set(['ending', 'bifurcation', 'other']);

/** Checks one input minutia; the error, or null. */
function checkMinutia(m: MatchMinutia, index: number, width: number, height: number): PrepareError | null {
  const bad = (detail: string): PrepareError => ({ reason: 'invalid-value', index, detail });
  if (typeof m !== 'object' || m === null) return bad(`minutia ${index} is not an object`);
  const { x, y, angle, kind, quality } = m;
  if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y))
    return bad(`minutia ${index}: position (${String(x)}, ${String(y)}) is not a pair of finite numbers`);
  if (x < 0 || y < 0 || x >= width || y >= height)
    return bad(`minutia ${index}: (${x}, ${y}) lies outside the ${width}x${height} image`);
  if (typeof angle !== 'number' || !Number.isFinite(angle))
    return bad(`minutia ${index}: angle ${String(angle)} is not a finite number`);
  if (kind !== undefined && !KINDS.has(kind)) return bad(`minutia ${index}: unknown kind '${String(kind)}'`);
  if (quality !== undefined && !(typeof quality === 'number' && quality >= 0 && quality <= 100))
    return bad(`minutia ${index}: quality ${String(quality)} is not in 0..100`);
  return null;
}

function checkForeground(f: Foreground, width: number, height: number): string | null {
  const { block, blocksWide, blocksHigh, inside } = f;
  if (!Number.isInteger(block) || block < 1 || block > 256)
    return `foreground block ${block} px is not in 1..256`;
  if (!Number.isInteger(blocksWide) || !Number.isInteger(blocksHigh) || blocksWide < 0 || blocksHigh < 0)
    return `foreground grid ${blocksWide}x${blocksHigh} is not a pair of counts`;
  if (blocksWide > Math.ceil(width / block) || blocksHigh > Math.ceil(height / block))
    return `foreground grid ${blocksWide}x${blocksHigh} of ${block} px blocks exceeds the ${width}x${height} image`;
  if (!(inside instanceof Uint8Array) || inside.length !== blocksWide * blocksHigh)
    return `foreground holds ${inside?.length} flags for ${blocksWide}x${blocksHigh} blocks`;
  return null;
}

/**
 * Builds the cylinders of a minutiae set.
 *
 * @param input minutiae with the image size (and resolution, default 500 ppi) and, when known, the
 *   foreground; nothing in it is modified or kept
 * @returns the template, or an error result: 'invalid-value' for a size, minutia or foreground that
 *   is not allowed (NaN, out of the image, ...; `index` names the minutia), 'too-large' for more than
 *   MAX_INPUT_MINUTIAE minutiae or a side above MAX_SIDE px (at 500 ppi), 'cannot-compare' for fewer
 *   than MIN_MINUTIAE distinct minutiae or fewer than MIN_CYLINDERS valid cylinders (`found`,
 *   `minimum`). Never throws on input values. Time and memory are bounded by MAX_USED_MINUTIAE.
 */
export function prepare(input: PrepareInput): PrepareResult {
  const ppi = input.ppi ?? 500;
  if (typeof ppi !== 'number' || !(ppi >= 100 && ppi <= 2000))
    return fail({ reason: 'invalid-value', detail: `resolution ${String(ppi)} ppi is not in 100..2000` });
  const { width, height } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    return fail({
      reason: 'invalid-value',
      detail: `image size ${width}x${height} is not a pair of positive integers`,
    });
  const scale = 500 / ppi;
  if (width * scale > MAX_SIDE || height * scale > MAX_SIDE)
    return fail({
      reason: 'too-large',
      detail: `image ${width}x${height} at ${ppi} ppi exceeds ${MAX_SIDE} px at 500 ppi`,
    });
  const list = input.minutiae;
  if (!Array.isArray(list)) return fail({ reason: 'invalid-value', detail: 'minutiae is not an array' });
  if (list.length > MAX_INPUT_MINUTIAE)
    return fail({
      reason: 'too-large',
      detail: `${list.length} minutiae; at most ${MAX_INPUT_MINUTIAE} are accepted`,
      found: list.length,
    });
  for (let i = 0; i < list.length; i++) {
    const error = checkMinutia(list[i] as MatchMinutia, i, width, height);
    if (error) return fail(error);
  }
  const foreground = input.foreground;
  if (foreground !== undefined) {
    const problem = checkForeground(foreground, width, height);
    if (problem) return fail({ reason: 'invalid-value', detail: problem });
  }

  const chosen = chooseMinutiae(list, scale, width * scale);
  const n = chosen.length;
  if (n < MIN_MINUTIAE)
    return fail({
      reason: 'cannot-compare',
      detail: `${n} distinct minutiae; at least ${MIN_MINUTIAE} are needed to compare`,
      found: n,
      minimum: MIN_MINUTIAE,
    });
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const angles = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = list[chosen[i] ?? 0] as MatchMinutia;
    xs[i] = m.x * scale;
    ys[i] = m.y * scale;
    const a = m.angle % TWO_PI;
    angles[i] = a < 0 ? a + TWO_PI : a;
  }
  const inArea = foreground
    ? foregroundTest(foreground, ppi / 500, width, height)
    : hullTest(xs, ys, MCC_PARAMETERS.omega);
  const built = buildCylinders(xs, ys, angles, width * scale, height * scale, inArea);
  const count = built.kept.length;
  if (count < MIN_CYLINDERS)
    return fail({
      reason: 'cannot-compare',
      detail: `${count} minutiae have enough neighbours and area around them; at least ${MIN_CYLINDERS} are needed to compare`,
      found: count,
      minimum: MIN_CYLINDERS,
    });

  const source = new Int32Array(count);
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  const angle = new Float32Array(count);
  for (let c = 0; c < count; c++) {
    const i = built.kept[c] ?? 0;
    source[c] = chosen[i] ?? 0;
    x[c] = xs[i] ?? 0;
    y[c] = ys[i] ?? 0;
    angle[c] = angles[i] ?? 0;
  }
  const distance = new Float32Array(count * count);
  const radial = new Float32Array(count * count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      if (i === j) continue;
      const dx = (x[j] ?? 0) - (x[i] ?? 0);
      const dy = (y[j] ?? 0) - (y[i] ?? 0);
      distance[i * count + j] = Math.hypot(dx, dy);
      radial[i * count + j] = angleDifference(Math.atan2(dy, dx), angle[i] ?? 0);
    }
  }
  return {
    ok: true,
    value: {
      format: MCC_FORMAT,
      width: width * scale,
      height: height * scale,
      minutiae: n,
      count,
      source,
      x,
      y,
      angle,
      bits: built.bits,
      valid: built.valid,
      ones: built.ones,
      full: built.full,
      wordOnes: built.wordOnes,
      distance,
      radial,
    },
  };
}

/**
 * Indices of the minutiae to use: duplicates (closer than DUPLICATE_DISTANCE) merged into the one of
 * higher quality (else the first), then at most MAX_USED_MINUTIAE, by quality when the input gives
 * it, else nearest the minutiae's centroid (the periphery is where extractors invent most).
 */
function chooseMinutiae(list: readonly MatchMinutia[], scale: number, width: number): number[] {
  const n = list.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const quality = (i: number) => (list[i] as MatchMinutia).quality ?? -1;
  order.sort((a, b) => quality(b) - quality(a) || a - b);
  // A coarse grid of DUPLICATE_DISTANCE cells finds duplicates without comparing every pair.
  const cell = DUPLICATE_DISTANCE;
  const gridWide = Math.ceil(width / cell) + 1;
  const taken = new Map<number, number[]>();
  const kept: number[] = [];
  const limit = DUPLICATE_DISTANCE * DUPLICATE_DISTANCE;
  for (const i of order) {
    const m = list[i] as MatchMinutia;
    const x = m.x * scale;
    const y = m.y * scale;
    const gx = Math.floor(x / cell);
    const gy = Math.floor(y / cell);
    let duplicate = false;
    for (let dy = -1; dy <= 1 && !duplicate; dy++) {
      for (let dx = -1; dx <= 1 && !duplicate; dx++) {
        const bucket = taken.get((gy + dy) * gridWide + gx + dx);
        if (!bucket) continue;
        for (const j of bucket) {
          const o = list[j] as MatchMinutia;
          if ((o.x * scale - x) ** 2 + (o.y * scale - y) ** 2 < limit) {
            duplicate = true;
            break;
          }
        }
      }
    }
    if (duplicate) continue;
    const key = gy * gridWide + gx;
    const bucket = taken.get(key);
    if (bucket) bucket.push(i);
    else taken.set(key, [i]);
    kept.push(i);
  }
  if (kept.length <= MAX_USED_MINUTIAE) return kept.sort((a, b) => a - b);
  const hasQuality = kept.some((i) => (list[i] as MatchMinutia).quality !== undefined);
  if (!hasQuality) {
    let cx = 0;
    let cy = 0;
    for (const i of kept) {
      cx += (list[i] as MatchMinutia).x;
      cy += (list[i] as MatchMinutia).y;
    }
    cx /= kept.length;
    cy /= kept.length;
    const far = (i: number) => Math.hypot((list[i] as MatchMinutia).x - cx, (list[i] as MatchMinutia).y - cy);
    kept.sort((a, b) => far(a) - far(b) || a - b);
  }
  return kept.slice(0, MAX_USED_MINUTIAE).sort((a, b) => a - b);
}

/** Whether a point at 500 ppi lies on the foreground (`toImage` converts to the mask's pixels). */
function foregroundTest(
  f: Foreground,
  toImage: number,
  width: number,
  height: number,
): (x: number, y: number) => boolean {
  return (x, y) => {
    const ix = x * toImage;
    const iy = y * toImage;
    if (ix < 0 || iy < 0 || ix >= width || iy >= height) return false;
    const bx = Math.floor(ix / f.block);
    const by = Math.floor(iy / f.block);
    if (bx >= f.blocksWide || by >= f.blocksHigh) return false;
    return f.inside[by * f.blocksWide + bx] === 1;
  };
}

/**
 * Whether a point lies in the minutiae's convex hull enlarged by `omega` px (Andrew's monotone
 * chain; with fewer than three hull corners, within omega of a corner or the segment).
 */
function hullTest(xs: Float64Array, ys: Float64Array, omega: number): (x: number, y: number) => boolean {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (xs[a] ?? 0) - (xs[b] ?? 0) || (ys[a] ?? 0) - (ys[b] ?? 0),
  );
  const cross = (o: number, a: number, b: number) =>
    ((xs[a] ?? 0) - (xs[o] ?? 0)) * ((ys[b] ?? 0) - (ys[o] ?? 0)) -
    ((ys[a] ?? 0) - (ys[o] ?? 0)) * ((xs[b] ?? 0) - (xs[o] ?? 0));
  const lower: number[] = [];
  for (const i of order) {
    while (lower.length >= 2 && cross(lower[lower.length - 2] ?? 0, lower[lower.length - 1] ?? 0, i) <= 0)
      lower.pop();
    lower.push(i);
  }
  const upper: number[] = [];
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k] ?? 0;
    while (upper.length >= 2 && cross(upper[upper.length - 2] ?? 0, upper[upper.length - 1] ?? 0, i) <= 0)
      upper.pop();
    upper.push(i);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  const hx = Float64Array.from(hull, (i) => xs[i] ?? 0);
  const hy = Float64Array.from(hull, (i) => ys[i] ?? 0);
  const corners = hull.length;
  const omega2 = omega * omega;
  return (x, y) => {
    let inside = corners >= 3;
    for (let k = 0; k < corners; k++) {
      const ax = hx[k] ?? 0;
      const ay = hy[k] ?? 0;
      const bx = hx[(k + 1) % corners] ?? 0;
      const by = hy[(k + 1) % corners] ?? 0;
      // Counter-clockwise in a y-up frame: a point inside is on the left of every edge.
      if ((bx - ax) * (y - ay) - (by - ay) * (x - ax) < 0) inside = false;
      const ex = bx - ax;
      const ey = by - ay;
      const length2 = ex * ex + ey * ey;
      const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * ex + (y - ay) * ey) / length2));
      const dx = ax + t * ex - x;
      const dy = ay + t * ey - y;
      if (dx * dx + dy * dy <= omega2) return true;
    }
    return inside;
  };
}

interface Cylinders {
  /** Indices (into the chosen minutiae) of the valid cylinders, in order. */
  readonly kept: number[];
  readonly bits: Int32Array;
  readonly valid: Int32Array;
  readonly ones: Uint16Array;
  readonly full: Uint8Array;
  readonly wordOnes: Uint8Array;
}

/** The cylinder of every minutia, eqs. 2-7 of the paper, thresholded to bits (section 5, MCC bit). */
function buildCylinders(
  xs: Float64Array,
  ys: Float64Array,
  angles: Float64Array,
  width: number,
  height: number,
  inArea: (x: number, y: number) => boolean,
): Cylinders {
  const n = xs.length;
  const { radius, sigmaS, threshold, minNeighbours } = MCC_PARAMETERS;
  const reach = 3 * sigmaS;
  const reachCells = reach / DELTA_S;
  const neighbourRange2 = (radius + reach) ** 2;
  const gaussian = 1 / (sigmaS * Math.sqrt(TWO_PI));
  const twoSigma2 = 2 * sigmaS * sigmaS;
  const sums = new Float64Array(CELLS * ND);
  const sections = new Float64Array(ND);
  const validCells = new Int32Array(MASK_WORDS);
  const allBits = new Int32Array(n * CYLINDER_WORDS);
  const allValid = new Int32Array(n * MASK_WORDS);
  const allOnes = new Uint16Array(n);
  const allFull = new Uint8Array(n);
  const allWordOnes = new Uint8Array(n * MASK_WORDS);
  const kept: number[] = [];
  for (let m = 0; m < n; m++) {
    const mx = xs[m] ?? 0;
    const my = ys[m] ?? 0;
    const theta = angles[m] ?? 0;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    // Valid cells: on the disc, in the image and in the print's area.
    validCells.fill(0);
    let valid = 0;
    for (let i = 0; i < NS; i++) {
      for (let j = 0; j < NS; j++) {
        const cell = i * NS + j;
        if (((DISC[cell >> 5] ?? 0) & (1 << (cell & 31))) === 0) continue;
        const u = (i - CENTRE) * DELTA_S;
        const v = (j - CENTRE) * DELTA_S;
        const px = mx + u * cos - v * sin;
        const py = my + u * sin + v * cos;
        if (px < 0 || py < 0 || px >= width || py >= height || !inArea(px, py)) continue;
        validCells[cell >> 5] = (validCells[cell >> 5] ?? 0) | (1 << (cell & 31));
        valid++;
      }
    }
    if (valid < MIN_VALID_CELLS) continue;
    sums.fill(0);
    let neighbours = 0;
    for (let t = 0; t < n; t++) {
      if (t === m) continue;
      const dx = (xs[t] ?? 0) - mx;
      const dy = (ys[t] ?? 0) - my;
      if (dx * dx + dy * dy > neighbourRange2) continue;
      neighbours++;
      // The neighbour in the cylinder's cell coordinates.
      const u = (dx * cos + dy * sin) / DELTA_S + CENTRE;
      const v = (-dx * sin + dy * cos) / DELTA_S + CENTRE;
      directional(angleDifference(theta, angles[t] ?? 0), sections);
      const i0 = Math.max(0, Math.ceil(u - reachCells));
      const i1 = Math.min(NS - 1, Math.floor(u + reachCells));
      const j0 = Math.max(0, Math.ceil(v - reachCells));
      const j1 = Math.min(NS - 1, Math.floor(v + reachCells));
      for (let i = i0; i <= i1; i++) {
        for (let j = j0; j <= j1; j++) {
          const d2 = ((i - u) ** 2 + (j - v) ** 2) * DELTA_S * DELTA_S;
          if (d2 > reach * reach) continue;
          const spatial = gaussian * Math.exp(-d2 / twoSigma2);
          const cell = i * NS + j;
          for (let k = 0; k < ND; k++)
            sums[k * CELLS + cell] = (sums[k * CELLS + cell] ?? 0) + spatial * (sections[k] ?? 0);
        }
      }
    }
    if (neighbours < minNeighbours) continue;
    const c = kept.length;
    kept.push(m);
    const bitBase = c * CYLINDER_WORDS;
    let ones = 0;
    for (let k = 0; k < ND; k++) {
      for (let w = 0; w < MASK_WORDS; w++) {
        const mask = validCells[w] ?? 0;
        if (mask === 0) continue;
        let word = 0;
        for (let b = 0; b < 32; b++) {
          if ((mask & (1 << b)) === 0) continue;
          if ((sums[k * CELLS + w * 32 + b] ?? 0) > threshold) word |= 1 << b;
        }
        allBits[bitBase + w * ND + k] = word;
        const count = popcount(word);
        ones += count;
        allWordOnes[c * MASK_WORDS + w] = (allWordOnes[c * MASK_WORDS + w] ?? 0) + count;
      }
    }
    allValid.set(validCells, c * MASK_WORDS);
    allOnes[c] = ones;
    allFull[c] = valid === DISC_CELLS ? 1 : 0;
  }
  const count = kept.length;
  return {
    kept,
    bits: allBits.slice(0, count * CYLINDER_WORDS),
    valid: allValid.slice(0, count * MASK_WORDS),
    ones: allOnes.slice(0, count),
    full: allFull.slice(0, count),
    wordOnes: allWordOnes.slice(0, count * MASK_WORDS),
  };
}

/** The disc's cells as a mask (MASK_WORDS words), for the comparison's fast path. */
export const DISC_MASK: Readonly<Int32Array> = DISC;
export const DISC_CELL_COUNT = DISC_CELLS;
