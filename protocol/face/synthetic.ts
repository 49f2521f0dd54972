/**
 * A synthetic portrait with known landmarks, for the measures' tests and benchmarks: the generic 3D
 * face (pose.ts) posed and projected, drawn as flat shapes (skin, eyes, brows, nose, lips) on a plain
 * or cluttered background, then lit, blurred and given sensor noise. It is not a face a detector
 * would find (the camera simulator draws those); it exists so each quality condition can be made
 * alone, with the landmarks the detector would have reported. Seeded and deterministic.
 */
import { GENERIC_FACE_68, type HeadPose, projectModel } from './pose.ts';
import { scanPolygon } from './raster.ts';
import type { DetectedFace, Point, RgbImage } from './types.ts';

export interface SyntheticPortraitOptions {
  readonly width?: number;
  readonly height?: number;
  /** Where the midpoint of the eyes lands, px (default: centred, 0.42 of the height). */
  readonly eyeMid?: Point;
  /** Inter-eye distance of a frontal face, px (default 90). */
  readonly ied?: number;
  readonly pose?: Partial<HeadPose>;
  readonly eyesClosed?: boolean;
  readonly mouthOpen?: boolean;
  /** Saturated reflections over both eyes (spectacle lenses). */
  readonly glare?: boolean;
  readonly background?: 'plain' | 'cluttered';
  /** Plain background colour, RGB (default light grey-blue). */
  readonly backgroundColour?: readonly [number, number, number];
  /** Multiplies every pixel (0.2 = dark, 2.5 = overexposed). */
  readonly gain?: number;
  /** Left-to-right light falloff over the face: 0.6 = the image's right side at 40 % of the left. */
  readonly sideLight?: number;
  /** Bright background (255) and a dimmed face: light from behind. */
  readonly backlit?: boolean;
  /** Box blur radius, px, applied three times (about a Gaussian of sigma 1.4 r). */
  readonly blur?: number;
  /** A second, smaller face at this position (eye midpoint) with this IED. */
  readonly secondFace?: { readonly eyeMid: Point; readonly ied: number };
  readonly seed?: number;
}

export interface SyntheticPortrait {
  readonly image: RgbImage;
  readonly faces: DetectedFace[];
}

type Rgb = readonly [number, number, number];

/** Small seeded PRNG (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Canvas {
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height * 3);
  }
  fill(colour: Rgb): void {
    for (let i = 0; i < this.width * this.height; i++) this.data.set(colour, i * 3);
  }
  rect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    for (let yy = Math.max(0, Math.floor(y)); yy < Math.min(this.height, y + h); yy++)
      for (let xx = Math.max(0, Math.floor(x)); xx < Math.min(this.width, x + w); xx++)
        this.data.set(colour, (yy * this.width + xx) * 3);
  }
  polygon(points: readonly Point[], colour: Rgb): void {
    scanPolygon(this.width, this.height, points, (y, x0, x1) => {
      for (let x = x0; x <= x1; x++) this.data.set(colour, (y * this.width + x) * 3);
    });
  }
  ellipse(c: Point, rx: number, ry: number, colour: Rgb): void {
    const pts: Point[] = [];
    for (let i = 0; i < 24; i++) {
      const a = (i / 24) * 2 * Math.PI;
      pts.push({ x: c.x + rx * Math.cos(a), y: c.y + ry * Math.sin(a) });
    }
    this.polygon(pts, colour);
  }
  /** A thick line as a quadrilateral. */
  line(a: Point, b: Point, thickness: number, colour: Rgb): void {
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const nx = (-(b.y - a.y) / len) * (thickness / 2);
    const ny = ((b.x - a.x) / len) * (thickness / 2);
    this.polygon(
      [
        { x: a.x + nx, y: a.y + ny },
        { x: b.x + nx, y: b.y + ny },
        { x: b.x - nx, y: b.y - ny },
        { x: a.x - nx, y: a.y - ny },
      ],
      colour,
    );
  }
  boxBlur(radius: number): void {
    const r = Math.max(1, Math.round(radius));
    const { width: w, height: h } = this;
    const tmp = new Float32Array(this.data.length);
    for (const horizontal of [true, false]) {
      const src = this.data;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let k = -r; k <= r; k++) {
              const xx = horizontal ? Math.min(w - 1, Math.max(0, x + k)) : x;
              const yy = horizontal ? y : Math.min(h - 1, Math.max(0, y + k));
              s += src[(yy * w + xx) * 3 + c] ?? 0;
            }
            tmp[(y * w + x) * 3 + c] = s / (2 * r + 1);
          }
      this.data.set(tmp);
    }
  }
}

function pt(points: readonly Point[], i: number): Point {
  return points[i] ?? { x: 0, y: 0 };
}

function range(points: readonly Point[], from: number, to: number): Point[] {
  return points.slice(from, to);
}

/** Mean model scale: the model's IED is 64 mm. */
const MODEL_IED_MM = 64;

function faceLandmarks(o: {
  eyeMid: Point;
  ied: number;
  pose: HeadPose;
  eyesClosed: boolean;
  mouthOpen: boolean;
}): Point[] {
  const model = GENERIC_FACE_68.map((p, i) => {
    if (o.eyesClosed && [37, 38, 43, 44].includes(i)) return { ...p, y: -3 };
    if (o.eyesClosed && [40, 41, 46, 47].includes(i)) return { ...p, y: -3 };
    if (o.mouthOpen && [65, 66, 67].includes(i)) return { ...p, y: p.y - 24 };
    if (o.mouthOpen && [55, 56, 57, 58, 59].includes(i)) return { ...p, y: p.y - 24 };
    return p;
  });
  return projectModel(model, o.pose, o.eyeMid, o.ied / MODEL_IED_MM);
}

const SKIN: Rgb = [206, 160, 132];

function drawFace(
  canvas: Canvas,
  lm: readonly Point[],
  ied: number,
  o: { eyesClosed: boolean; mouthOpen: boolean },
): void {
  const chin = pt(lm, 8);
  const eyeMid = { x: (pt(lm, 36).x + pt(lm, 45).x) / 2, y: (pt(lm, 36).y + pt(lm, 45).y) / 2 };
  // Hair and forehead above the brows, then the neck, then the face outline.
  const up = { x: eyeMid.x - chin.x, y: eyeMid.y - chin.y };
  const topOfHead = { x: eyeMid.x + up.x * 0.95, y: eyeMid.y + up.y * 0.95 };
  canvas.ellipse(
    { x: (topOfHead.x + eyeMid.x) / 2, y: (topOfHead.y + eyeMid.y) / 2 },
    ied * 1.25,
    ied * 1.05,
    [58, 42, 34],
  );
  canvas.rect(chin.x - ied * 0.55, chin.y - ied * 0.6, ied * 1.1, ied * 1.4, [190, 146, 120]);
  canvas.rect(chin.x - ied * 1.9, chin.y + ied * 0.7, ied * 3.8, canvas.height, [40, 60, 110]);
  const outline = [...range(lm, 0, 17), ...range(lm, 17, 27).reverse()];
  canvas.polygon(outline, SKIN);
  // Forehead between the brows and the hair line.
  canvas.ellipse({ x: eyeMid.x + up.x * 0.45, y: eyeMid.y + up.y * 0.45 }, ied * 0.95, ied * 0.45, SKIN);
  canvas.polygon(outline, SKIN);
  const brow: Rgb = [70, 50, 40];
  for (let i = 17; i < 26; i++) if (i !== 21) canvas.line(pt(lm, i), pt(lm, i + 1), ied * 0.07, brow);
  // Eyes: sclera, iris, lid line.
  for (const [from, inner, outer] of [
    [36, 39, 36],
    [42, 42, 45],
  ] as const) {
    const eye = range(lm, from, from + 6);
    const centre = { x: (pt(lm, inner).x + pt(lm, outer).x) / 2, y: (pt(lm, inner).y + pt(lm, outer).y) / 2 };
    if (!o.eyesClosed) {
      canvas.polygon(eye, [235, 232, 228]);
      canvas.ellipse(centre, ied * 0.09, ied * 0.09, [52, 36, 28]);
      canvas.ellipse(
        { x: centre.x + ied * 0.02, y: centre.y - ied * 0.02 },
        ied * 0.015,
        ied * 0.015,
        [250, 250, 250],
      );
    }
    for (let i = 0; i < 6; i++) canvas.line(pt(eye, i), pt(eye, (i + 1) % 6), ied * 0.025, [60, 40, 35]);
  }
  // Nose: bridge and base.
  for (let i = 27; i < 30; i++) canvas.line(pt(lm, i), pt(lm, i + 1), ied * 0.03, [170, 122, 98]);
  for (let i = 31; i < 35; i++) canvas.line(pt(lm, i), pt(lm, i + 1), ied * 0.04, [150, 100, 80]);
  // Lips, then the mouth's inside when open.
  canvas.polygon(range(lm, 48, 60), [170, 80, 80]);
  if (o.mouthOpen) canvas.polygon(range(lm, 60, 68), [40, 16, 20]);
  else for (let i = 60; i < 64; i++) canvas.line(pt(lm, i), pt(lm, i + 1), ied * 0.025, [110, 50, 50]);
}

function boxOf(lm: readonly Point[]): { x: number; y: number; width: number; height: number } {
  const xs = lm.map((p) => p.x);
  const ys = lm.map((p) => p.y);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  // Detectors' boxes reach a little above the brows.
  const top = y0 - 0.15 * (y1 - y0);
  return { x: x0, y: top, width: x1 - x0, height: y1 - top };
}

/** Renders the portrait and returns it with the faces' landmarks and boxes (what a detector would say). */
export function renderSyntheticPortrait(options: SyntheticPortraitOptions = {}): SyntheticPortrait {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const ied = options.ied ?? 90;
  const eyeMid = options.eyeMid ?? { x: width / 2, y: height * 0.42 };
  const pose: HeadPose = { yaw: 0, pitch: 0, roll: 0, ...options.pose };
  const next = random(options.seed ?? 1);
  const canvas = new Canvas(width, height);
  canvas.fill(options.backlit ? [255, 255, 255] : (options.backgroundColour ?? [196, 204, 214]));
  if (options.background === 'cluttered')
    for (let i = 0; i < 60; i++) {
      const c: Rgb = [next() * 255, next() * 255, next() * 255];
      canvas.rect(next() * width, next() * height, 10 + next() * width * 0.2, 10 + next() * height * 0.2, c);
    }
  const faces: DetectedFace[] = [];
  const draw = (mid: Point, faceIed: number, facePose: HeadPose) => {
    const lm = faceLandmarks({
      eyeMid: mid,
      ied: faceIed,
      pose: facePose,
      eyesClosed: options.eyesClosed ?? false,
      mouthOpen: options.mouthOpen ?? false,
    });
    drawFace(canvas, lm, faceIed, {
      eyesClosed: options.eyesClosed ?? false,
      mouthOpen: options.mouthOpen ?? false,
    });
    faces.push({ box: boxOf(lm), score: 0.99, landmarks: lm });
    return lm;
  };
  if (options.secondFace !== undefined)
    draw(options.secondFace.eyeMid, options.secondFace.ied, { yaw: 0, pitch: 0, roll: 0 });
  const lm = draw(eyeMid, ied, pose);
  if (options.glare)
    for (const [a, b] of [
      [36, 39],
      [42, 45],
    ] as const) {
      const c = { x: (pt(lm, a).x + pt(lm, b).x) / 2, y: (pt(lm, a).y + pt(lm, b).y) / 2 };
      canvas.ellipse(c, ied * 0.3, ied * 0.16, [255, 255, 255]);
    }
  // Light: gain, a left-to-right falloff, or a backlight that dims everything but the background.
  const gain = options.gain ?? 1;
  const side = options.sideLight ?? 0;
  const d = canvas.data;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let k = gain * (1 - side * Math.min(1, Math.max(0, (x - (eyeMid.x - ied)) / (2 * ied))));
      const i = (y * width + x) * 3;
      if (options.backlit && !(d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255)) k *= 0.3;
      for (let c = 0; c < 3; c++) d[i + c] = (d[i + c] ?? 0) * k;
    }
  // Texture before the blur (skin, fabric), sensor noise after it.
  for (let i = 0; i < d.length; i++) d[i] = (d[i] ?? 0) + (next() - 0.5) * 10;
  if (options.blur !== undefined && options.blur > 0)
    for (let i = 0; i < 3; i++) canvas.boxBlur(options.blur);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    const v = (d[i] ?? 0) + (next() - 0.5) * 3;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  // The measured face is the main one: list it first, as a detector sorted by size would.
  faces.reverse();
  return { image: { width, height, data }, faces };
}
