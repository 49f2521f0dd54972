/**
 * Master fingerprints: the ridge pattern of one finger identity, in the finger's own frame, by the
 * SFinGe method (Cappelli, Maio, Maltoni): class -> singularities -> orientation field (zero-pole
 * model with a fingertip-arch correction) -> ridge-frequency map -> ridges grown from sparse seeds by
 * iterated orientation- and frequency-tuned Gabor filtering. Growth fronts that meet out of phase
 * leave real minutiae (endings and bifurcations), not stripes.
 *
 * A master is a float field in [-1, 1] (ridge > 0) over a canvas larger than any contact area, so
 * impressions (impression.ts) can move, rotate, distort and crop it.
 */
import { mixSeed, Random, smoothNoise } from './random.ts';

export const FINGERPRINT_CLASSES = [
  'arch',
  'tented-arch',
  'left-loop',
  'right-loop',
  'whorl',
  'twin-loop',
  'central-pocket',
] as const;
export type FingerprintClass = (typeof FINGERPRINT_CLASSES)[number];

/** ANSI/NIST finger position codes: 1 right thumb ... 5 right little, 6 left thumb ... 10 left little. */
export type FingerPosition = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export interface Singularity {
  readonly kind: 'core' | 'delta';
  /** Position in the master frame, px from the canvas centre (y grows downwards). */
  readonly x: number;
  readonly y: number;
}

export interface Master {
  readonly fingerClass: FingerprintClass;
  readonly position: FingerPosition;
  readonly width: number;
  readonly height: number;
  /** Ridge field, row-major, ridge where > 0. */
  readonly field: Float32Array;
  /** Ridge orientation in radians [0, pi), the true field used to grow the ridges. */
  readonly orientation: Float32Array;
  /** Ridge period in px (500 ppi). */
  readonly period: Float32Array;
  readonly singularities: readonly Singularity[];
  /** Semi-axes of the full-pressure contact ellipse in px. */
  readonly contact: { readonly rx: number; readonly ry: number };
}

export function isThumb(position: FingerPosition): boolean {
  return position === 1 || position === 6;
}

export function isRightHand(position: FingerPosition): boolean {
  return position <= 5;
}

/**
 * Class frequencies by hand, after the usual population figures (loops ~65%, whorls ~30%, arches ~5%),
 * with ulnar loops dominant: on a print of the right hand they open to the left of the image ('left
 * loop' here follows the image: ridges enter and leave on the left, the delta lies on the right).
 */
function drawClass(random: Random, position: FingerPosition): FingerprintClass {
  const right = isRightHand(position);
  const index = position === 2 || position === 7;
  const table: [FingerprintClass, number][] = [
    ['arch', index ? 0.06 : 0.03],
    ['tented-arch', index ? 0.05 : 0.02],
    [right ? 'left-loop' : 'right-loop', 0.58],
    [right ? 'right-loop' : 'left-loop', index ? 0.07 : 0.03],
    ['whorl', 0.22],
    ['twin-loop', 0.05],
    ['central-pocket', 0.05],
  ];
  const total = table.reduce((s, [, w]) => s + w, 0);
  let u = random.next() * total;
  for (const [name, weight] of table) {
    u -= weight;
    if (u < 0) return name;
  }
  return 'whorl';
}

function singularitiesFor(fingerClass: FingerprintClass, random: Random, scale: number): Singularity[] {
  const j = (s: number) => random.gaussian() * s * scale;
  const core = (x: number, y: number): Singularity => ({
    kind: 'core',
    x: x * scale + j(8),
    y: y * scale + j(10),
  });
  const delta = (x: number, y: number): Singularity => ({
    kind: 'delta',
    x: x * scale + j(12),
    y: y * scale + j(12),
  });
  switch (fingerClass) {
    case 'arch':
      return [];
    case 'tented-arch':
      return [core(0, -10), delta(0, 70)];
    case 'left-loop':
      return [core(-15, -35), delta(115, 120)];
    case 'right-loop':
      return [core(15, -35), delta(-115, 120)];
    case 'whorl':
      return [core(-12, -45), core(12, -15), delta(-135, 115), delta(135, 115)];
    case 'central-pocket': {
      const side = random.next() < 0.5 ? -1 : 1;
      return [core(6 * side, -40), core(-6 * side, -28), delta(-120, 110), delta(145, 135)];
    }
    case 'twin-loop': {
      const side = random.next() < 0.5 ? -1 : 1;
      return [core(-30 * side, -60), core(30 * side, 0), delta(-140, 120), delta(140, 120)];
    }
  }
}

export interface MasterOptions {
  readonly personSeed: number;
  readonly position: FingerPosition;
  /** Overrides the class drawn from the identity. */
  readonly fingerClass?: FingerprintClass;
}

const SEED_STREAM_MASTER = 0x4d535452; // 'MSTR'

/**
 * Builds the master print of one finger. Deterministic in its options.
 * @throws {RangeError} for an out-of-range position (callers validate user input first).
 */
export function buildMaster(options: MasterOptions): Master {
  const { personSeed, position } = options;
  if (!Number.isInteger(position) || position < 1 || position > 10)
    throw new RangeError(`finger position ${position}`);
  const random = new Random(mixSeed(SEED_STREAM_MASTER, personSeed, position));
  const drawn = drawClass(random, position);
  const fingerClass = options.fingerClass ?? drawn;
  const thumb = isThumb(position);
  const little = position === 5 || position === 10;
  const scale = thumb ? 1.15 : little ? 0.85 : 1;
  const width = Math.round(440 * scale) & ~1;
  const height = Math.round(720 * scale) & ~1;
  const contact = {
    rx: (thumb ? 210 : 172) * (little ? 0.88 : 1),
    ry: (thumb ? 260 : 232) * (little ? 0.9 : 1),
  };
  const singularities = singularitiesFor(fingerClass, random, scale);
  const basePeriod = random.range(8.3, 9.5) * (little ? 0.94 : 1);

  const orientation = orientationField(width, height, singularities, random, fingerClass);
  const period = frequencyMap(width, height, basePeriod, singularities, random);
  const field = growRidges(width, height, orientation, period, contact, random);
  punchPores(field, width, height, random);
  return { fingerClass, position, width, height, field, orientation, period, singularities, contact };
}

/**
 * Orientation by the zero-pole model (Sherlock and Monro): theta = 1/2 (sum arg(z - delta) -
 * sum arg(z - core)), plus a correction that bends the far field above the cores into arches
 * following the fingertip, as real ridges do, and a gentle random warp so no two fingers of a class
 * share the same flow.
 */
function orientationField(
  width: number,
  height: number,
  singularities: readonly Singularity[],
  random: Random,
  fingerClass: FingerprintClass,
): Float32Array {
  const out = new Float32Array(width * height);
  const cx = width / 2;
  const cy = height / 2;
  const warp = smoothNoise(width, height, 150, random);
  const warpAmount = random.range(0.08, 0.16);
  const cores = singularities.filter((s) => s.kind === 'core');
  const topCore = cores.length > 0 ? Math.min(...cores.map((c) => c.y)) : 40;
  const archHeight = random.range(0.6, 1.0);
  const archWidth = random.range(120, 170);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = x - cx;
      const py = y - cy;
      let theta = 0;
      for (const s of singularities) {
        const a = Math.atan2(py - s.y, px - s.x);
        theta += s.kind === 'core' ? a / 2 : -a / 2;
      }
      // Fingertip arch: ridges above the cores (or everywhere, for plain arches) follow a bump whose
      // slope gives the angle; its weight grows with height above the top core.
      const above = fingerClass === 'arch' ? 1 : Math.min(1, Math.max(0, (topCore - py) / 160));
      const bump = archHeight * (fingerClass === 'arch' ? 2.2 : 0.8);
      const slope = ((-bump * px) / archWidth) * Math.exp(-(px * px) / (2 * archWidth * archWidth));
      const archTheta = Math.atan(
        slope *
          (fingerClass === 'arch' ? Math.max(0.15, Math.min(1, (height * 0.35 - py) / (height * 0.6))) : 1),
      );
      theta += above * archTheta + warpAmount * (warp[y * width + x] ?? 0);
      let t = theta % Math.PI;
      if (t < 0) t += Math.PI;
      out[y * width + x] = t;
    }
  }
  return out;
}

/** Ridge period map: about 9 px at 500 ppi, tighter above the core, wider towards the crease. */
function frequencyMap(
  width: number,
  height: number,
  base: number,
  singularities: readonly Singularity[],
  random: Random,
): Float32Array {
  const noise = smoothNoise(width, height, 110, random);
  const out = new Float32Array(width * height);
  const core = singularities.find((s) => s.kind === 'core');
  const cx = width / 2 + (core?.x ?? 0);
  const cy = height / 2 + (core?.y ?? -30);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy);
      const nearCore = -0.5 * Math.exp(-(d * d) / (2 * 70 * 70));
      const towardsCrease = (0.9 * (y - height / 2)) / height;
      const value = base + 0.6 * (noise[y * width + x] ?? 0) + nearCore + towardsCrease;
      out[y * width + x] = Math.min(12, Math.max(7, value));
    }
  }
  return out;
}

// Gabor filter banks: orientations x periods, (2R+1)^2 taps, zero DC, L1-normalised to the growth gain.
interface Bank {
  readonly taps: Float32Array;
  readonly radius: number;
  readonly orientations: number;
  readonly periodMin: number;
  readonly periodStep: number;
  readonly periods: number;
}

/** Filter gain before saturation: high enough that a single seed grows into a ridge pattern. */
const GROWTH_GAIN = 8;

function makeBank(
  radius: number,
  periodMin: number,
  periodStep: number,
  periods: number,
  sigmaAlong: number,
): Bank {
  const orientations = 36;
  const k = 2 * radius + 1;
  const taps = new Float32Array(orientations * periods * k * k);
  const envelope = new Float32Array(k * k);
  for (let o = 0; o < orientations; o++) {
    const c = Math.cos((o * Math.PI) / orientations);
    const s = Math.sin((o * Math.PI) / orientations);
    for (let p = 0; p < periods; p++) {
      const period = periodMin + p * periodStep;
      const sigmaAcross = 0.42 * period;
      const base = (o * periods + p) * k * k;
      let sum = 0;
      let weight = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const along = dx * c + dy * s;
          const across = -dx * s + dy * c;
          const e = Math.exp(
            -(along * along) / (2 * sigmaAlong ** 2) - (across * across) / (2 * sigmaAcross ** 2),
          );
          const t = (dy + radius) * k + (dx + radius);
          envelope[t] = e;
          taps[base + t] = e * Math.cos((2 * Math.PI * across) / period);
          sum += e * Math.cos((2 * Math.PI * across) / period);
          weight += e;
        }
      }
      // Remove the DC response (flat areas must not respond), then normalise the L1 norm.
      const dc = sum / weight;
      let l1 = 0;
      for (let t = 0; t < k * k; t++) {
        const value = (taps[base + t] ?? 0) - dc * (envelope[t] ?? 0);
        taps[base + t] = value;
        l1 += Math.abs(value);
      }
      for (let t = 0; t < k * k; t++) taps[base + t] = ((taps[base + t] ?? 0) * GROWTH_GAIN) / l1;
    }
  }
  return { taps, radius, orientations, periodMin, periodStep, periods };
}

/** Half resolution: periods 3.5-6 px (7-12 px at full resolution), 7 x 7 taps. */
const BANK_HALF = makeBank(3, 3.5, 0.25, 11, 2.1);
/** Full resolution: periods 7-12 px, 13 x 13 taps. */
const BANK_FULL = makeBank(6, 7, 0.5, 11, 4.2);

/** The pixels inside the growth ellipse, each with its kernel, grouped in 16 x 16 blocks. */
interface Lattice {
  readonly width: number;
  readonly height: number;
  readonly bank: Bank;
  readonly active: Int32Array;
  readonly kernelOf: Int32Array;
  readonly blocksWide: number;
  readonly blocksHigh: number;
  readonly blockPixels: readonly Int32Array[];
}

const BLOCK = 16;

function lattice(
  width: number,
  height: number,
  orientation: (x: number, y: number) => number,
  period: (x: number, y: number) => number,
  inside: (x: number, y: number) => boolean,
  bank: Bank,
): Lattice {
  const r = bank.radius;
  const k = 2 * r + 1;
  const kernelOf = new Int32Array(width * height);
  const activeList: number[] = [];
  for (let y = r; y < height - r; y++) {
    for (let x = r; x < width - r; x++) {
      if (!inside(x, y)) continue;
      const i = y * width + x;
      activeList.push(i);
      const o = Math.round((orientation(x, y) / Math.PI) * bank.orientations) % bank.orientations;
      const p = Math.min(
        bank.periods - 1,
        Math.max(0, Math.round((period(x, y) - bank.periodMin) / bank.periodStep)),
      );
      kernelOf[i] = (o * bank.periods + p) * k * k;
    }
  }
  const blocksWide = Math.ceil(width / BLOCK);
  const blocksHigh = Math.ceil(height / BLOCK);
  const lists: number[][] = Array.from({ length: blocksWide * blocksHigh }, () => []);
  for (const i of activeList)
    lists[Math.floor(i / width / BLOCK) * blocksWide + Math.floor((i % width) / BLOCK)]?.push(i);
  return {
    width,
    height,
    bank,
    active: Int32Array.from(activeList),
    kernelOf,
    blocksWide,
    blocksHigh,
    blockPixels: lists.map((l) => Int32Array.from(l)),
  };
}

/**
 * Runs `passes` filter-and-saturate passes over `field` in place. Only blocks near a change are
 * filtered: early passes touch the growth fronts, later ones the ridges still settling. With
 * `reseed`, areas the fronts have not reached get a seed of their own every few passes.
 */
function filterPasses(field: Float32Array, grid: Lattice, passes: number, random: Random | undefined): void {
  const { blocksWide: bw, blocksHigh: bh, blockPixels, kernelOf, width } = grid;
  const taps = grid.bank.taps;
  const r = grid.bank.radius;
  const k = 2 * r + 1;
  let current: Float32Array = field;
  let next: Float32Array = new Float32Array(field.length);
  const dilate = (into: Uint8Array, b: number) => {
    const by = Math.floor(b / bw);
    const bx = b % bw;
    for (let y = Math.max(0, by - 1); y <= Math.min(bh - 1, by + 1); y++) {
      for (let x = Math.max(0, bx - 1); x <= Math.min(bw - 1, bx + 1); x++) into[y * bw + x] = 1;
    }
  };
  let changed = new Uint8Array(bw * bh);
  for (let b = 0; b < blockPixels.length; b++) {
    const pixels = blockPixels[b] as Int32Array;
    for (let j = 0; j < pixels.length; j++) {
      if (current[pixels[j] as number] !== 0) {
        changed[b] = 1;
        break;
      }
    }
  }
  for (let pass = 0; pass < passes; pass++) {
    const work = new Uint8Array(bw * bh);
    for (let b = 0; b < changed.length; b++) if (changed[b]) dilate(work, b);
    const nextChanged = new Uint8Array(bw * bh);
    for (let b = 0; b < work.length; b++) {
      const pixels = blockPixels[b] as Int32Array;
      if (!work[b]) {
        for (let j = 0; j < pixels.length; j++)
          next[pixels[j] as number] = current[pixels[j] as number] as number;
        continue;
      }
      let moved = false;
      for (let j = 0; j < pixels.length; j++) {
        const i = pixels[j] as number;
        // Row by row with contiguous reads: V8 keeps this loop tight, unlike an offset table.
        let tap = kernelOf[i] as number;
        let row = i - r * width - r;
        let acc = 0;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) acc += (taps[tap + dx] as number) * (current[row + dx] as number);
          tap += k;
          row += width;
        }
        const value = Math.min(1, Math.max(-1, acc));
        if (!moved && Math.abs(value - (current[i] as number)) > 0.15) moved = true;
        next[i] = value;
      }
      if (moved) nextChanged[b] = 1;
    }
    const swap = current;
    current = next;
    next = swap;
    changed = nextChanged;
    if (random && pass % 5 === 4) {
      for (let b = 0; b < blockPixels.length; b++) {
        const pixels = blockPixels[b] as Int32Array;
        if (pixels.length < (BLOCK * BLOCK) / 2 || work[b]) continue;
        let reached = false;
        for (let j = 0; j < pixels.length; j++) {
          if (Math.abs(current[pixels[j] as number] as number) > 0.05) {
            reached = true;
            break;
          }
        }
        if (!reached) {
          current[pixels[Math.floor(random.next() * pixels.length)] as number] = random.next() < 0.5 ? -1 : 1;
          changed[b] = 1;
        }
      }
    }
  }
  if (current !== field) field.set(current);
}

/**
 * Grows ridges from sparse random seeds by iterated Gabor filtering, coarse to fine: the pattern
 * grows at half resolution (7 x 7 kernels, 14x cheaper a pass), is upsampled, and is then refined by
 * a few passes at full resolution, which also shape the ridge profile.
 */
function growRidges(
  width: number,
  height: number,
  orientation: Float32Array,
  period: Float32Array,
  contact: { rx: number; ry: number },
  random: Random,
): Float32Array {
  const cx = width / 2;
  const cy = height / 2;
  // Grown area: the contact ellipse plus a margin, reaching further down (slaps press more of the
  // finger, and impressions move it) but staying inside the canvas.
  const rx = Math.min(width / 2 - 8, contact.rx * 1.12 + 24);
  const ryUp = Math.min(height / 2 - 8, contact.ry * 1.1 + 24);
  const ryDown = Math.min(height / 2 - 8, contact.ry * 1.45 + 24);
  const insideFull = (x: number, y: number) =>
    ((x - cx) / rx) ** 2 + ((y - cy) / (y > cy ? ryDown : ryUp)) ** 2 <= 1;

  const hw = width / 2;
  const hh = height / 2;
  const at = (map: Float32Array, x: number, y: number) =>
    map[Math.min(height - 1, 2 * y) * width + Math.min(width - 1, 2 * x)] ?? 0;
  const half = lattice(
    hw,
    hh,
    (x, y) => at(orientation, x, y),
    (x, y) => at(period, x, y) / 2,
    (x, y) => insideFull(2 * x, 2 * y),
    BANK_HALF,
  );
  const coarse = new Float32Array(hw * hh);
  // Sparse seeds: one per ~60 x 60 px (full resolution) of the grown area. Fewer seeds, fewer minutiae.
  const seeds = Math.max(8, Math.round((Math.PI * rx * (ryUp + ryDown)) / 2 / (60 * 60)));
  for (let s = 0; s < seeds; s++)
    coarse[half.active[Math.floor(random.next() * half.active.length)] ?? 0] = random.next() < 0.5 ? -1 : 1;
  filterPasses(coarse, half, 18, random);

  // Bilinear upsampling to full resolution.
  const field = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(hh - 1.001, Math.max(0, (y - 0.5) / 2));
    const y0 = Math.floor(fy);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(hw - 1.001, Math.max(0, (x - 0.5) / 2));
      const x0 = Math.floor(fx);
      const wx = fx - x0;
      const i = y0 * hw + x0;
      const a = (coarse[i] ?? 0) * (1 - wx) + (coarse[i + 1] ?? 0) * wx;
      const b = (coarse[i + hw] ?? 0) * (1 - wx) + (coarse[i + hw + 1] ?? 0) * wx;
      field[y * width + x] = insideFull(x, y) ? a * (1 - wy) + b * wy : 0;
    }
  }
  const full = lattice(
    width,
    height,
    (x, y) => orientation[y * width + x] ?? 0,
    (x, y) => period[y * width + x] ?? 9,
    insideFull,
    BANK_FULL,
  );
  filterPasses(field, full, 1, undefined);
  return field;
}

/**
 * Sweat pores: small openings on the ridge crests, roughly one every 0.5 mm (10 px at 500 ppi)
 * along a ridge. They belong to the finger, so every impression shows the same ones; scans render
 * them as pale dots that break the ink of a ridge without cutting it.
 */
function punchPores(field: Float32Array, width: number, height: number, random: Random): void {
  const step = 10;
  for (let gy = step; gy < height - step; gy += step) {
    for (let gx = step; gx < width - step; gx += step) {
      const x = Math.round(gx + random.range(-4, 4));
      const y = Math.round(gy + random.range(-4, 4));
      const keep = random.next() < 0.55;
      const sigma = random.range(0.8, 1.25);
      if (!keep || (field[y * width + x] ?? 0) < 0.6) continue;
      for (let dy = -3; dy <= 3; dy++) {
        for (let dx = -3; dx <= 3; dx++) {
          const i = (y + dy) * width + x + dx;
          const dip = 1.7 * Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
          field[i] = Math.max(-1, (field[i] ?? 0) - dip);
        }
      }
    }
  }
}
