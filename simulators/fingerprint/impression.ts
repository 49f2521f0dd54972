/**
 * Impressions: one placement of a master print on the glass. Translation, rotation, elastic
 * distortion (skin stretches more towards the edge of the contact), pressure (ridge width, contact
 * size), partial contact and noise vary with the impression seed; the ridge pattern does not.
 * Skin conditions and capture defects are applied here too.
 */
import type { Master } from './master.ts';
import { mixSeed, Random, smoothNoise } from './random.ts';

export const CONDITIONS = [
  'good',
  'dry',
  'wet',
  'smudged',
  'moving',
  'light-touch',
  'heavy-pressure',
  'scarred',
  'partial',
  'latent-residue',
  'no-finger',
] as const;
export type Condition = (typeof CONDITIONS)[number];

/** Where a finger lies on the canvas: centre (px) and rotation (radians, clockwise positive). */
export interface Placement {
  readonly cx: number;
  readonly cy: number;
  readonly rotation: number;
}

export interface ImpressionTruth {
  readonly placement: Placement;
  /** Peak elastic displacement, px. */
  readonly distortion: number;
  /** 1 = normal; below 1 light, above 1 heavy. */
  readonly pressure: number;
  /** Axis-aligned bounding box of the contact area on the canvas, px. */
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Singularities mapped to canvas coordinates (ignoring the small elastic distortion). */
  readonly singularities: readonly {
    readonly kind: 'core' | 'delta';
    readonly x: number;
    readonly y: number;
  }[];
}

const STREAM_IMPRESSION = 0x494d5052; // 'IMPR'

/**
 * The canvas the fingers are drawn on: `ink` in [0, 1] per pixel (1 = ridge fully pressed).
 * Several impressions can be drawn onto one canvas (slaps, latent residue).
 */
export interface InkCanvas {
  readonly width: number;
  readonly height: number;
  readonly ink: Float32Array;
}

export function newCanvas(width: number, height: number): InkCanvas {
  return { width, height, ink: new Float32Array(width * height) };
}

export interface DrawOptions {
  readonly master: Master;
  readonly placement: Placement;
  readonly condition: Condition;
  /** Seeds the impression's own variation (distortion, pressure, noise). */
  readonly impressionSeed: number;
  /** Ink multiplier, 1 for a fresh print; latent residue draws at a fraction. */
  readonly strength?: number;
  /** Elongates the contact downwards (slaps press more of the finger), 1 = flat single finger. */
  readonly elongation?: number;
  /**
   * How strong the condition is, 0 (barely) .. 1 (as bad as it gets), for graded test sets. When
   * omitted the condition's strength varies with the impression seed around the middle (0.5 gives
   * the same constants the random draw centres on), and the seeded random stream is unchanged.
   */
  readonly severity?: number;
}

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/** Draws one impression of `master` onto `canvas` (max blend). Returns what was drawn, for tests. */
export function drawImpression(canvas: InkCanvas, options: DrawOptions): ImpressionTruth {
  const { master, placement, condition } = options;
  const random = new Random(mixSeed(STREAM_IMPRESSION, options.impressionSeed, master.position));
  const { width, height, ink } = canvas;

  const severity = options.severity;
  // Strength-dependent constants: at severity 0.5 they equal the fixed values used when none is given.
  const at = (mid: number, perUnit: number) =>
    severity === undefined ? mid : mid + perUnit * (severity - 0.5);
  let pressure = random.range(0.85, 1.15);
  let contactScale = random.range(0.92, 1.04);
  if (condition === 'light-touch') {
    pressure = random.range(0.45, 0.6);
    contactScale = random.range(0.62, 0.74);
    if (severity !== undefined) {
      pressure = lerp(1, 0.3, severity);
      contactScale = lerp(1, 0.5, severity);
    }
  } else if (condition === 'heavy-pressure') {
    pressure = random.range(1.6, 1.8);
    contactScale = random.range(1.06, 1.12);
    if (severity !== undefined) {
      pressure = lerp(1, 2.2, severity);
      contactScale = lerp(1, 1.16, severity);
    }
  }
  const distortion = random.range(2, 6) * (condition === 'heavy-pressure' ? 1.6 : 1);
  const elongation = options.elongation ?? 1;
  const rx = master.contact.rx * contactScale;
  const ry = master.contact.ry * contactScale * elongation;
  const strength = options.strength ?? 1;

  // Smooth fields over the contact's own frame (u, v from -span/2 to span/2), kept at quarter
  // resolution (their features are 28 px and up); only the dry-skin breakup needs full resolution.
  const span = Math.ceil(Math.max(rx, ry * 1.1)) * 2 + 8;
  const q = 4;
  const spanQ = Math.ceil(span / q) + 1;
  const du = smoothNoise(spanQ, spanQ, 30, random);
  const dv = smoothNoise(spanQ, spanQ, 30, random);
  const pressureNoise = smoothNoise(spanQ, spanQ, 18, random);
  const edgeNoise = smoothNoise(spanQ, spanQ, 10, random);
  // Skin and ink texture at a few pixels' scale: uneven ink along a ridge, and a ragged contact edge.
  const grain = smoothNoise(span, span, 3, random);
  const dryNoise = condition === 'dry' ? smoothNoise(span, span, 5, random) : undefined;
  const dryPatches = condition === 'dry' ? smoothNoise(spanQ, spanQ, 11, random) : undefined;
  const wetBlobs = condition === 'wet' ? smoothNoise(spanQ, spanQ, 7, random) : undefined;
  const lightGaps = condition === 'light-touch' ? smoothNoise(spanQ, spanQ, 9, random) : undefined;
  let partialCut = condition === 'partial' ? random.range(-0.25, 0.05) * ry : Number.POSITIVE_INFINITY;
  if (condition === 'partial' && severity !== undefined) partialCut = lerp(0.7, -0.6, severity) * ry;
  const half = span / 2;

  const ridgeThreshold =
    condition === 'wet'
      ? at(-0.55, -1.1)
      : condition === 'dry'
        ? at(0.3, 0.6)
        : condition === 'heavy-pressure'
          ? -0.45
          : 0;
  const contrast =
    condition === 'dry' ? Math.max(0.2, at(0.62, -0.76)) : condition === 'light-touch' ? 0.58 : 1;
  const dryShift = at(0, 0.8);
  const wetShift = at(0, -0.6);

  const cos = Math.cos(placement.rotation);
  const sin = Math.sin(placement.rotation);
  const mcx = master.width / 2;
  const mcy = master.height / 2;
  // Bounding box of the rotated contact ellipse (the lower half reaches 1.08 ry).
  const ryDown = ry * 1.1 + 4;
  const halfW = Math.ceil(Math.sqrt((rx * cos) ** 2 + (ryDown * sin) ** 2)) + 4;
  const halfH = Math.ceil(Math.sqrt((rx * sin) ** 2 + (ryDown * cos) ** 2)) + 4;
  const x0 = Math.max(0, Math.floor(placement.cx - halfW));
  const x1 = Math.min(width - 1, Math.ceil(placement.cx + halfW));
  const y0 = Math.max(0, Math.floor(placement.cy - halfH));
  const y1 = Math.min(height - 1, Math.ceil(placement.cy + halfH));
  let minX = width;
  let minY = height;
  let maxX = -1;
  let maxY = -1;

  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const ox = x - placement.cx;
      const oy = y - placement.cy;
      // Canvas -> finger frame: rotate back.
      const u = ox * cos + oy * sin;
      const v = -ox * sin + oy * cos;
      // Contact mask: an ellipse, flattened at the bottom (the first joint), with a ragged edge.
      const gq =
        Math.min(spanQ - 1, Math.max(0, Math.round((v + half) / q))) * spanQ +
        Math.min(spanQ - 1, Math.max(0, Math.round((u + half) / q)));
      const eu = u / rx;
      const ev = v > 0 ? v / (ry * 1.08) : v / ry;
      const gi =
        Math.min(span - 1, Math.max(0, Math.round(v + half))) * span +
        Math.min(span - 1, Math.max(0, Math.round(u + half)));
      const fine = grain[gi] ?? 0;
      const radial = Math.sqrt(eu * eu + ev * ev) + 0.05 * (edgeNoise[gq] ?? 0) + 0.012 * fine;
      // Towards the edge of the contact the skin presses less: ridges thin and break up before the
      // contact ends, rather than fading to grey.
      const rim = smoothstep(0.8, 1.0, radial);
      let mask = 1 - smoothstep(0.985, 1.0, radial);
      if (lightGaps) mask *= smoothstep(-0.35, 0.1, lightGaps[gq] ?? 0);
      if (v > partialCut) mask *= 1 - smoothstep(partialCut, partialCut + 10, v);
      if (mask <= 0.002) continue;

      // Elastic distortion grows towards the periphery of the contact.
      const weight = Math.min(1.5, (eu * eu + ev * ev) ** 1.2);
      const mx = u + distortion * weight * (du[gq] ?? 0) + mcx;
      const my = v + distortion * weight * (dv[gq] ?? 0) + mcy;
      const ix = Math.floor(mx);
      const iy = Math.floor(my);
      if (ix < 0 || iy < 0 || ix >= master.width - 1 || iy >= master.height - 1) continue;
      const fx = mx - ix;
      const fy = my - iy;
      const m = iy * master.width + ix;
      const f =
        ((master.field[m] ?? 0) * (1 - fx) + (master.field[m + 1] ?? 0) * fx) * (1 - fy) +
        ((master.field[m + master.width] ?? 0) * (1 - fx) + (master.field[m + master.width + 1] ?? 0) * fx) *
          fy;

      if (f === 0) continue;
      // Pressure sets ridge width: the threshold on the ridge field moves with local pressure.
      const localPressure = pressure + 0.22 * (pressureNoise[gq] ?? 0);
      const threshold = ridgeThreshold - 0.5 * (localPressure - 1) + 0.9 * rim + 0.25 * rim * fine;
      let value = smoothstep(threshold - 0.45, threshold + 0.4, f);
      // Ink is never even along a ridge: darker where the skin presses harder, grainy throughout.
      value *= 0.82 + 0.12 * (pressureNoise[gq] ?? 0) - 0.16 * Math.max(0, fine);
      if (dryNoise && dryPatches) {
        // Dry skin: ridges break up into dots and dashes, more so in dry patches.
        const breakup = (dryNoise[gi] ?? 0) + 0.6 * (dryPatches[gq] ?? 0);
        value *= smoothstep(-0.15 + dryShift, 0.25 + dryShift, breakup);
      }
      if (wetBlobs) value = Math.max(value, smoothstep(0.35 + wetShift, 0.55 + wetShift, wetBlobs[gq] ?? 0));
      if (condition === 'heavy-pressure') value = Math.max(value, 0.35);
      value *= mask * contrast * strength;
      const index = y * width + x;
      if (value > (ink[index] ?? 0)) ink[index] = value;
      if (mask > 0.5) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }

  const singularities = master.singularities.map((s) => ({
    kind: s.kind,
    x: Math.round(placement.cx + s.x * cos - s.y * sin),
    y: Math.round(placement.cy + s.x * sin + s.y * cos),
  }));
  return {
    placement,
    distortion: Math.round(distortion * 10) / 10,
    pressure: Math.round(pressure * 100) / 100,
    box:
      maxX < 0
        ? { x: 0, y: 0, width: 0, height: 0 }
        : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 },
    singularities,
  };
}

/** Directional blur of the ink (motion or smear), `length` px along `angle` radians. */
export function motionBlur(canvas: InkCanvas, length: number, angle: number): void {
  const { width, height, ink } = canvas;
  const source = ink.slice();
  const steps = Math.max(2, Math.round(length));
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let count = 0;
      for (let s = 0; s < steps; s++) {
        const t = s - (steps - 1) / 2;
        const sx = Math.round(x + dx * t);
        const sy = Math.round(y + dy * t);
        if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
        sum += source[sy * width + sx] ?? 0;
        count++;
      }
      ink[y * width + x] = count > 0 ? sum / count : 0;
    }
  }
}

/** Scars (white bands) and flexion creases (thin white lines) cut through the ink. */
export function cutScars(canvas: InkCanvas, box: ImpressionTruth['box'], random: Random): void {
  const { width, ink } = canvas;
  const cuts = [
    ...Array.from({ length: random.int(1, 2) }, () => ({
      width: random.range(3, 6),
      bend: random.range(-60, 60),
      angle: random.range(-1.2, 1.2),
      len: random.range(120, 260),
    })),
    ...Array.from({ length: random.int(2, 4) }, () => ({
      width: random.range(1.2, 2.2),
      bend: random.range(-15, 15),
      angle: random.range(-0.25, 0.25),
      len: random.range(90, 220),
    })),
  ];
  for (const cut of cuts) {
    const cx = box.x + random.range(0.2, 0.8) * box.width;
    const cy = box.y + random.range(0.2, 0.8) * box.height;
    const dx = Math.cos(cut.angle);
    const dy = Math.sin(cut.angle);
    const samples = Math.ceil(cut.len);
    for (let s = 0; s < samples; s++) {
      const t = s / samples - 0.5;
      // A gentle arc: offset along the normal by a parabola.
      const off = cut.bend * (1 - 4 * t * t) * 0.5;
      const px = cx + dx * t * cut.len - dy * off;
      const py = cy + dy * t * cut.len + dx * off;
      const r = cut.width / 2 + 1;
      for (let yy = Math.floor(py - r); yy <= Math.ceil(py + r); yy++) {
        for (let xx = Math.floor(px - r); xx <= Math.ceil(px + r); xx++) {
          if (xx < 0 || yy < 0 || xx >= width || yy >= canvas.height) continue;
          const d = Math.hypot(xx - px, yy - py);
          const keep = smoothstep(cut.width / 2 - 0.5, cut.width / 2 + 0.8, d);
          const i = yy * width + xx;
          ink[i] = (ink[i] ?? 0) * keep;
        }
      }
    }
  }
}

/**
 * Turns ink into an 8-bit scan: light background (glass or card), dark ridges, a touch of optical
 * blur and sensor noise. Deterministic in `random`.
 */
export function developScan(canvas: InkCanvas, random: Random): Uint8Array {
  const { width, height, ink } = canvas;
  const background = random.range(228, 246);
  const ridge = random.range(18, 45);
  const noise = random.range(2.5, 5);
  const out = new Uint8Array(width * height);
  const shadingQ = smoothNoise(Math.ceil(width / 8) + 1, Math.ceil(height / 8) + 1, 25, random);
  const shadingWidth = Math.ceil(width / 8) + 1;
  // Sensor noise from a table of normal deviates, indexed by the stream: Box-Muller per pixel
  // costs more than the rest of the scan.
  const normals = new Float32Array(4096);
  for (let i = 0; i < normals.length; i++) normals[i] = random.gaussian();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      // 3-tap cross blur: the optics never give perfectly hard ridge edges.
      const c = ink[i] ?? 0;
      const blurred =
        0.48 * c +
        0.13 * ((ink[i - 1] ?? c) + (ink[i + 1] ?? c) + (ink[i - width] ?? c) + (ink[i + width] ?? c));
      const base = background + 6 * (shadingQ[(y >> 3) * shadingWidth + (x >> 3)] ?? 0);
      const value = base - (base - ridge) * blurred + noise * (normals[random.uint32() >>> 20] ?? 0);
      out[i] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
    }
  }
  return out;
}
