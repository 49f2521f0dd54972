/**
 * A seeded procedural face renderer for the simulated camera and the simulated card's DG2 portrait
 * (issue 19). Pure TypeScript rasterisation, deterministic for the same inputs on one runtime.
 *
 * The head is a small union of ellipsoids (cranium, jaw, nose, ears, neck, a hair shell) ray-cast per
 * pixel under a weak-perspective camera, lit with a soft Lambert model; eyes, brows, lips, nostrils
 * and eye sockets are painted in the head's own frame, so yaw, pitch and roll foreshorten them like a
 * real head. Shading is what makes a CNN detector (face-api's SSD MobileNet v1, Tiny) find the face.
 *
 * Alongside the picture it returns the ground truth: the 68 iBUG landmarks (protocol/face/types.ts
 * order) of each rendered face and its box, so quality measures can be checked against the pose.
 */
import type { Box, Landmarks68, Point, RgbImage } from '../../protocol/face/types.ts';
import { type Appearance, appearanceFor, type Rgb, seedNumber } from './person.ts';

/**
 * Where a head is and which way it faces. Angles in degrees:
 * - `yaw` > 0 turns the nose toward the image's right (the subject's left);
 * - `pitch` > 0 tilts the face up (the nose moves up in the image);
 * - `roll` > 0 rotates the head clockwise in the image (the eye line slopes down to the right by
 *   `roll` degrees).
 */
export interface FacePose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  /** Head size relative to a normal live-camera distance (1); 0.5 is twice as far. */
  readonly scale: number;
  /** The point between the eyes, as fractions of the image width and height. */
  readonly x: number;
  readonly y: number;
}

export const FRONTAL_POSE: FacePose = { yaw: 0, pitch: 0, roll: 0, scale: 1, x: 0.5, y: 0.42 };

export type Lighting = 'normal' | 'dark' | 'backlit' | 'uneven';
export type Glasses = 'none' | 'clear' | 'glare';

/** One person in front of the camera. */
export interface FaceSubject {
  /** The person seed, e.g. the citizen's 12-digit id. */
  readonly person: string;
  readonly pose: FacePose;
  /** 1 = eyes wide open, 0 = closed. */
  readonly eyeOpenness?: number;
  readonly glasses?: Glasses;
}

/** A card held up in front of everything (the QR scenario). */
export interface HeldCard {
  readonly image: RgbImage;
  /** Centre of the card, fractions of the image width and height. */
  readonly x: number;
  readonly y: number;
  /** Card width as a fraction of the image width. */
  readonly width: number;
}

export interface FaceScene {
  /** Pixels. */
  readonly width: number;
  readonly height: number;
  /** Back to front; empty for a frame with nobody in it. */
  readonly subjects: readonly FaceSubject[];
  readonly lighting?: Lighting;
  /** Wall colour, sRGB 0..255. */
  readonly background?: Rgb;
  /** 0 = a plain wall, 1 = shelves, posters and a window behind the person. */
  readonly clutter?: number;
  /** Seeds the clutter layout (same seed, same room). */
  readonly roomSeed?: number;
  /** Gaussian blur sigma, pixels (defocus or motion); 0 = sharp. */
  readonly blur?: number;
  /** Sensor noise standard deviation, grey levels; default 2. */
  readonly noise?: number;
  /** Seeds the sensor noise: one value per frame. */
  readonly noiseSeed?: number;
  readonly card?: HeldCard;
}

/** The ground truth for one rendered face. */
export interface RenderedFace {
  readonly person: string;
  readonly pose: FacePose;
  /** Bounding box of the landmarks extended up to the mid-forehead, image pixels. */
  readonly box: Box;
  /** 68 iBUG points in image pixels (points hidden by a turned head are still given, projected). */
  readonly landmarks: Landmarks68;
  /** Scale of the head, pixels per millimetre. */
  readonly pixelsPerMm: number;
}

export interface RenderedScene {
  readonly image: RgbImage;
  /** One per subject, in the scene's order. */
  readonly faces: readonly RenderedFace[];
}

/** Thrown for a scene that cannot be rendered (sizes, non-finite numbers). */
export class FaceSceneError extends RangeError {
  override readonly name = 'FaceSceneError';
  readonly code = 'FACE_SCENE_INVALID';
}

// ---------------------------------------------------------------------------------------------
// Geometry

/** Pixels per millimetre at scale 1, per image-height pixel: the head is about 60 % of the frame. */
const NOMINAL_PX_PER_MM_PER_HEIGHT = 0.0026;

interface Ellipsoid {
  readonly cx: number;
  readonly cy: number;
  readonly cz: number;
  readonly rx: number;
  readonly ry: number;
  readonly rz: number;
}

enum Part {
  None = 0,
  Skin = 1,
  Neck = 2,
  HairFront = 3,
  HairBack = 4,
}

interface HeadModel {
  readonly look: Appearance;
  readonly cranium: Ellipsoid;
  readonly jaw: Ellipsoid;
  readonly nose: Ellipsoid;
  readonly earLeft: Ellipsoid;
  readonly earRight: Ellipsoid;
  readonly neck: Ellipsoid;
  readonly hair: Ellipsoid;
}

const CRANIUM_CY = -12;
const CRANIUM_RY = 104;
const CRANIUM_RZ = 92;

function frontZ(e: Ellipsoid, x: number, y: number): number {
  const k = 1 - ((x - e.cx) / e.rx) ** 2 - ((y - e.cy) / e.ry) ** 2;
  return k < 0 ? Number.NEGATIVE_INFINITY : e.cz + e.rz * Math.sqrt(k);
}

function headModel(look: Appearance): HeadModel {
  const cranium = { cx: 0, cy: CRANIUM_CY, cz: 0, rx: look.craniumHalfWidth, ry: CRANIUM_RY, rz: CRANIUM_RZ };
  // The jaw ellipsoid carries the whole lower face from the eyes down, so the seam with the cranium
  // sits in the eye sockets, where the normals of both nearly agree.
  const jaw = { cx: 0, cy: look.chinY - 95, cz: 8, rx: look.jawHalfWidth, ry: 95, rz: 82 };
  const noseCy = look.noseBaseY - 19;
  const faceAtNose = Math.max(frontZ(cranium, 0, noseCy), frontZ(jaw, 0, noseCy));
  const nose = {
    cx: 0,
    cy: noseCy,
    cz: faceAtNose + look.noseProtrusion - 13,
    rx: look.noseHalfWidth * 0.48,
    ry: 19,
    rz: 13,
  };
  const earX = look.craniumHalfWidth + 1;
  const ear = { cy: 8, cz: -8, rx: 9, ry: 28, rz: 16 };
  return {
    look,
    cranium,
    jaw,
    nose,
    earLeft: { cx: -earX, ...ear },
    earRight: { cx: earX, ...ear },
    neck: { cx: 0, cy: look.chinY + 40, cz: -22, rx: look.jawHalfWidth * 0.8, ry: 95, rz: 48 },
    hair: {
      cx: 0,
      cy: -16,
      cz: -3,
      rx: look.craniumHalfWidth * 1.07,
      ry: CRANIUM_RY * 1.05,
      rz: CRANIUM_RZ * 1.07,
    },
  };
}

/** Front of the face (cranium, jaw, nose) at head-frame (x, y), mm. */
function faceZ(m: HeadModel, x: number, y: number): number {
  return Math.max(frontZ(m.cranium, x, y), frontZ(m.jaw, x, y), frontZ(m.nose, x, y));
}

const SIDES = [-1, 1] as const;

const smooth = (edge: number, width: number, v: number): number => {
  // 0 below edge - width/2, 1 above edge + width/2, smooth between (anti-aliasing in mm).
  const t = (v - edge) / width + 0.5;
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
};

/** Rotation head frame -> camera frame, row-major: R = Rz(roll) · Rx(pitch) · Ry(yaw). */
function rotation(pose: FacePose): Float64Array {
  const d = Math.PI / 180;
  const cy = Math.cos(pose.yaw * d);
  const sy = Math.sin(pose.yaw * d);
  const cp = Math.cos(pose.pitch * d);
  const sp = Math.sin(pose.pitch * d);
  const cr = Math.cos(pose.roll * d);
  const sr = Math.sin(pose.roll * d);
  // Ry: nose (0,0,1) -> (+sin, 0, cos); Rx: nose (0,0,1) -> (0, -sin, cos) (up in the image).
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp];
  const rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  return mul3(rz, mul3(rx, ry));
}

function mul3(a: readonly number[] | Float64Array, b: readonly number[] | Float64Array): Float64Array {
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += (a[i * 3 + k] ?? 0) * (b[k * 3 + j] ?? 0);
      out[i * 3 + j] = s;
    }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Landmarks (head frame, mm)

interface Eye {
  /** Upper and lower lid heights at u = (x - centre) / halfWidth in [-1, 1]. */
  upper(u: number): number;
  lower(u: number): number;
}

function eyeShape(look: Appearance, openness: number): Eye {
  const h = look.eyeHalfHeight;
  const k = (u: number) => Math.max(0, 1 - u * u);
  const lower = (u: number) => 0.75 * h * k(u) ** 0.9;
  const closed = (u: number) => 0.62 * h * k(u) ** 0.9;
  // The open lid peaks a little toward the nose (east Asian eyes: a flatter outer upper lid).
  const open = (u: number) => -h * k(u) ** 0.7 * (1 - 0.12 * u);
  return {
    upper: (u) => closed(u) + (open(u) - closed(u)) * openness,
    lower,
  };
}

interface HeadPoint {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

function landmarksHead(m: HeadModel, openness: number): HeadPoint[] {
  const L = m.look;
  const eye = eyeShape(L, openness);
  const pts: HeadPoint[] = [];
  const at = (x: number, y: number, inset = 0) => pts.push({ x, y, z: faceZ(m, x, y) - inset });
  // 0-16 jaw line: from the image-left side at eye level, round the chin, up the other side.
  const y0 = 8;
  for (let i = 0; i <= 16; i++) {
    const side = i < 8 ? -1 : i > 8 ? 1 : 0;
    const k = i <= 8 ? i / 8 : (16 - i) / 8;
    const y = y0 + (L.chinY - 2 - y0) * Math.sin((k * Math.PI) / 2);
    const wc = m.cranium.rx * Math.sqrt(Math.max(0, 1 - ((y - m.cranium.cy) / m.cranium.ry) ** 2));
    const wj = m.jaw.rx * Math.sqrt(Math.max(0, 1 - ((y - m.jaw.cy) / m.jaw.ry) ** 2));
    const useJaw = wj >= wc;
    const x = side * Math.max(wc, wj) * 0.96;
    pts.push({ x, y, z: useJaw ? m.jaw.cz + 8 : m.cranium.cz + 8 });
  }
  // 17-26 brows, image-left then image-right, each listed left to right.
  for (const side of SIDES) {
    const cx = side * (L.eyeX + 1);
    const bw = L.eyeHalfWidth * 1.25;
    for (let j = 0; j < 5; j++) {
      const x = cx - bw * 0.95 + (bw * 1.9 * j) / 4;
      const ub = ((x - cx) / bw) * side;
      at(x, browCentre(L, ub));
    }
  }
  // 27-30 nose bridge down to the tip, 31-35 the nostrils' lower edge.
  const tipY = m.nose.cy + 4;
  for (let j = 0; j < 4; j++) at(0, -4 + ((tipY + 4) * j) / 3);
  const nb = L.noseBaseY;
  const nw = L.noseHalfWidth;
  for (const [fx, dy] of [
    [-0.5, -2],
    [-0.25, -0.5],
    [0, 0.5],
    [0.25, -0.5],
    [0.5, -2],
  ] as const)
    at(fx * nw, nb + dy);
  // 36-41 image-left eye: outer corner, upper lid, inner corner, lower lid; 42-47 image-right eye.
  const ew = L.eyeHalfWidth;
  const third = 1 / 3;
  for (const side of SIDES) {
    const cx = side * L.eyeX;
    // Upper-lid u values measured from the centre, outward positive.
    const order =
      side < 0
        ? [
            [-1, 'c'],
            [-third, 'u'],
            [third, 'u'],
            [1, 'c'],
            [third, 'l'],
            [-third, 'l'],
          ]
        : [
            [-1, 'c'],
            [-third, 'u'],
            [third, 'u'],
            [1, 'c'],
            [third, 'l'],
            [-third, 'l'],
          ];
    for (const [u, kind] of order as [number, 'c' | 'u' | 'l'][]) {
      const x = cx + u * ew;
      const uo = u * side; // outward-positive parameter for the lid asymmetry
      const y = kind === 'c' ? 0 : kind === 'u' ? eye.upper(uo) : eye.lower(uo);
      at(x, y);
    }
  }
  // 48-59 outer lips, 60-67 inner lips.
  const mw = L.mouthHalfWidth;
  const my = L.mouthY;
  const top = (u: number) => upperLipTop(L, u);
  const bottom = (u: number) => lowerLipBottom(L, u);
  at(-mw, my);
  for (const u of [-0.6, -0.25, 0, 0.25, 0.6]) at(u * mw, top(u));
  at(mw, my);
  for (const u of [0.6, 0.25, 0, -0.25, -0.6]) at(u * mw, bottom(u));
  at(-mw * 0.85, my);
  for (const u of [-0.3, 0, 0.3]) at(u * mw, my - 0.4);
  at(mw * 0.85, my);
  for (const u of [0.3, 0, -0.3]) at(u * mw, my + 0.4);
  return pts;
}

function browCentre(L: Appearance, ub: number): number {
  // ub: -1 at the inner end, +1 at the outer end; the arch peaks two thirds out.
  const t = ub - 0.3;
  return L.browY - 3.2 * (1 - (t * t) / 1.7);
}

function upperLipTop(L: Appearance, u: number): number {
  const bow = 1 - 0.3 * Math.exp(-((u / 0.12) ** 2));
  return L.mouthY - L.upperLip * Math.max(0, 1 - u * u) ** 0.6 * bow;
}

function lowerLipBottom(L: Appearance, u: number): number {
  return L.mouthY + L.lowerLip * Math.max(0, 1 - u * u) ** 0.6;
}

// ---------------------------------------------------------------------------------------------
// Painting in the head frame

/** Scratch output of the surface painter: albedo 0..255 and light added after shading. */
interface Paint {
  r: number;
  g: number;
  b: number;
  /** Added after lighting: catchlights, glasses glare (0..255). */
  glow: number;
}

function paintSkin(
  m: HeadModel,
  eye: Eye,
  glasses: Glasses,
  x: number,
  y: number,
  z: number,
  aa: number,
  out: Paint,
): void {
  const L = m.look;
  let r = L.skin[0];
  let g = L.skin[1];
  let b = L.skin[2];
  let shade = 1;
  out.glow = 0;
  const ax = Math.abs(x);
  if (z > 20) {
    // Eye sockets and the upper-lid crease: darker, which detectors key on.
    const dx = ax - L.eyeX;
    // Each feature below is evaluated only near where it is (the rest of the skin is most pixels).
    if (dx > -45 && dx < 45 && y > -30 && y < 25)
      shade *= 1 - 0.36 * Math.exp(-((dx * dx) / (2 * 15 * 15) + ((y + 4) * (y + 4)) / (2 * 9 * 9)));
    // Sides of the nose bridge and the shadow under the nose.
    if (y > -4 && y < L.noseBaseY && ax < 22) {
      const side = (ax - 10) / 4;
      shade *= 1 - 0.14 * Math.exp(-side * side) * smooth(2, 8, y);
    }
    if (ax < L.noseHalfWidth * 0.7 && y > L.noseBaseY - 10 && y < L.noseBaseY + 14) {
      const t = (y - L.noseBaseY - 2) / 3.5;
      shade *= 1 - 0.28 * Math.exp(-t * t);
    }
    // Nasolabial folds.
    {
      const fy = y - L.noseBaseY;
      if (fy > -4 && fy < 26) {
        const fx = ax - (L.noseHalfWidth + 4 + fy * 0.35);
        shade *= 1 - 0.06 * Math.exp(-((fx / 2.5) ** 2)) * smooth(0, 6, fy) * smooth(22, 8, 26 - fy + 22);
      }
    }
    // Shadow under the lower lip and on the chin's underside.
    if (ax < L.mouthHalfWidth && y > L.mouthY && y < L.mouthY + L.lowerLip + 16) {
      const t = (y - lowerLipBottom(L, 0) - 3) / 3;
      shade *= 1 - 0.22 * Math.exp(-t * t) * (1 - (ax / L.mouthHalfWidth) ** 2);
    }
    // A little warmth on the cheeks.
    if (ax > 5 && y > 0 && y < 75) {
      const cx = ax - 40;
      const cy = y - 35;
      const k = 0.08 * Math.exp(-(cx * cx + cy * cy) / (2 * 14 * 14));
      r += (200 - r) * k;
      g += (110 - g) * k;
      b += (100 - b) * k;
    }
    // Nostrils.
    if (y > L.noseBaseY - 16 && y < L.noseBaseY + 6 && ax < L.noseHalfWidth + 6) {
      const nx = (ax - L.noseHalfWidth * 0.36) / 3.4;
      const ny = (y - (L.noseBaseY - 1.2)) / 1.9;
      const d = nx * nx + ny * ny;
      if (d < 2) {
        const a = 0.85 * (1 - smooth(1, (2 * aa) / 2, d));
        r += (45 - r) * a;
        g += (28 - g) * a;
        b += (26 - b) * a;
      }
      // Alar groove round each nostril wing.
      const gx = (ax - L.noseHalfWidth * 0.62) / 3;
      const gy = (y - (L.noseBaseY - 4)) / 5;
      const ring = Math.abs(Math.sqrt(gx * gx + gy * gy) - 1);
      shade *= 1 - 0.18 * Math.exp(-((ring / 0.25) ** 2)) * (y > L.noseBaseY - 9 ? 1 : 0);
    }
    // Brows.
    if (y > L.browY - 12 && y < L.browY + 8)
      for (const side of SIDES) {
        const cx = side * (L.eyeX + 1);
        const bw = L.eyeHalfWidth * 1.25;
        const ub = ((x - cx) / bw) * side;
        if (ub > -1.15 && ub < 1.15) {
          const outward = (ub + 1) / 2;
          const th = L.browThickness * (1 - 0.55 * Math.max(0, outward) ** 1.5);
          const dist = Math.abs(y - browCentre(L, ub));
          const a =
            0.88 *
            (1 - smooth(th / 2, aa, dist)) *
            smooth(-1, 0.3, ub) *
            (1 - smooth(1, 0.25, ub)) *
            (0.8 + 0.2 * Math.sin(x * 2.1 + y * 0.7));
          if (a > 0) {
            r += (L.hair[0] - r) * a;
            g += (L.hair[1] - g) * a;
            b += (L.hair[2] - b) * a;
          }
        }
      }
    // Lips.
    if (y > L.mouthY - L.upperLip - 3 && y < L.mouthY + L.lowerLip + 3) {
      const u = x / L.mouthHalfWidth;
      if (u > -1.08 && u < 1.08) {
        const top = upperLipTop(L, u);
        const bottom = lowerLipBottom(L, u);
        const inside = smooth(top, aa, y) * (1 - smooth(bottom, aa, y)) * (1 - smooth(1, 0.06, Math.abs(u)));
        if (inside > 0) {
          const upper = y < L.mouthY;
          const tone = upper
            ? 0.82
            : 1.0 + 0.08 * Math.exp(-(((y - L.mouthY - L.lowerLip * 0.45) / 1.8) ** 2));
          r += (L.lips[0] * tone - r) * inside;
          g += (L.lips[1] * tone - g) * inside;
          b += (L.lips[2] * tone - b) * inside;
        }
        const line =
          (1 - smooth(0.7, aa, Math.abs(y - L.mouthY - 0.5 * u * u))) * (1 - smooth(1.04, 0.08, Math.abs(u)));
        if (line > 0) {
          const a = 0.85 * line;
          r += (70 - r) * a;
          g += (36 - g) * a;
          b += (36 - b) * a;
        }
      }
    }
    // Eyes.
    if (y > -L.eyeHalfHeight - 8 && y < L.eyeHalfHeight + 4)
      for (const side of SIDES) {
        const cx = side * L.eyeX;
        const u = (x - cx) / L.eyeHalfWidth;
        if (u <= -1.25 || u >= 1.25) continue;
        const uo = u * side;
        const upper = eye.upper(uo);
        const lower = eye.lower(uo);
        const inU = 1 - smooth(1, 0.08, Math.abs(u));
        const inside = smooth(upper, aa, y) * (1 - smooth(lower, aa, y)) * inU;
        if (inside > 0) {
          // Sclera, shaded under the upper lid and toward the corners.
          const lidShadow = 1 - 0.4 * Math.exp(-(y - upper) / 1.6);
          const corner = 1 - 0.25 * u * u;
          let er = 222 * lidShadow * corner;
          let eg = 212 * lidShadow * corner;
          let eb = 202 * lidShadow * corner;
          const ix = x - cx;
          const iy = y - 0.2;
          const ir = L.eyeHalfWidth * 0.46;
          const d = Math.sqrt(ix * ix + iy * iy);
          const iris = 1 - smooth(ir, aa, d);
          if (iris > 0) {
            const limbus = 1 - 0.35 * smooth(ir * 0.75, ir * 0.4, d);
            const pupil = 1 - smooth(ir * 0.42, aa, d);
            const ir2 = L.iris[0] * limbus * lidShadow;
            const ig = L.iris[1] * limbus * lidShadow;
            const ib = L.iris[2] * limbus * lidShadow;
            er += (ir2 + (12 - ir2) * pupil - er) * iris;
            eg += (ig + (9 - ig) * pupil - eg) * iris;
            eb += (ib + (9 - ib) * pupil - eb) * iris;
            // Catchlight from the light source.
            const hx = ix - ir * 0.3;
            const hy = iy + ir * 0.35;
            out.glow += 150 * (1 - smooth(ir * 0.16, aa, Math.sqrt(hx * hx + hy * hy))) * inside;
          }
          r += (er - r) * inside;
          g += (eg - g) * inside;
          b += (eb - b) * inside;
        }
        // Lashes along the upper lid, thicker outward; a faint lower lid line.
        const above = upper - y;
        const lash = smooth(-0.3, aa, above) * (1 - smooth(1.1 + 0.6 * Math.max(0, uo), aa, above));
        const lashA = 0.9 * lash * (1 - smooth(1.05, 0.12, Math.abs(u)));
        if (lashA > 0) {
          r += (24 - r) * lashA;
          g += (19 - g) * lashA;
          b += (19 - b) * lashA;
        }
        const lowA =
          0.35 * (1 - smooth(0.5, aa, Math.abs(y - lower - 0.3))) * (1 - smooth(1, 0.1, Math.abs(u)));
        r += (80 - r) * lowA;
        g += (55 - g) * lowA;
        b += (50 - b) * lowA;
        // Upper-lid crease.
        const crease =
          (1 - smooth(0.6, 0.8, Math.abs(y - (eye.upper(uo) - 2.8 - 0.6 * (1 - uo * uo))))) * inU;
        shade *= 1 - 0.12 * crease;
      }
  }
  // Glasses: rims, a bridge and temples, painted on the surface (their 2 cm stand-off is ignored).
  if (glasses !== 'none' && z > 0) {
    const hw = L.eyeHalfWidth + 5;
    const hh = L.eyeHalfHeight + 7;
    let rim = 0;
    let lens = 0;
    for (const side of SIDES) {
      const dx = (x - side * L.eyeX) / hw;
      const dy = (y - 1) / hh;
      const rr = (Math.abs(dx) ** 3 + Math.abs(dy) ** 3) ** (1 / 3);
      const w = 1.7 / hw;
      rim = Math.max(rim, 1 - smooth(w / 2, aa / hw, Math.abs(rr - 1)));
      if (rr < 1) {
        lens = 1;
        if (glasses === 'glare') {
          // A reflected window across the upper part of each lens, over part of the iris.
          const gx = (dx - 0.12 * side) / 0.7;
          const gy = (dy + 0.2) / 0.42;
          out.glow += 190 * (1 - smooth(1, 0.5, gx * gx + gy * gy));
        }
      }
    }
    const inner = L.eyeX - L.eyeHalfWidth - 5;
    if (ax < inner && Math.abs(y + 1) < 0.9) rim = Math.max(rim, 1);
    if (ax > L.eyeX + L.eyeHalfWidth + 4 && z < 80 && Math.abs(y + 2) < 1) rim = 1;
    if (lens) shade *= 0.94;
    if (rim > 0) {
      r += (28 - r) * rim;
      g += (28 - g) * rim;
      b += (34 - b) * rim;
    }
  }
  out.r = r * shade;
  out.g = g * shade;
  out.b = b * shade;
}

function hairBoundary(L: Appearance, x: number, z: number): number {
  // Where the hair stops, by angle round the vertical axis: forehead, temples, above the ears, nape.
  const a = Math.abs(Math.atan2(x, z)) / Math.PI; // 0 front .. 1 back
  const temple = L.hairlineY + 14;
  if (a < 0.3) return L.hairlineY + (temple - L.hairlineY) * smooth(0.15, 0.3, a);
  if (a < 0.5) return temple + (L.hairSideY - temple) * smooth(0.4, 0.2, a);
  return L.hairSideY + (L.hairBackY - L.hairSideY) * smooth(0.75, 0.5, a);
}

// ---------------------------------------------------------------------------------------------
// Lights

interface LightRig {
  /** Unit vector toward the light, camera frame (x right, y down, z toward the camera). */
  readonly lx: number;
  readonly ly: number;
  readonly lz: number;
  readonly ambient: number;
  readonly diffuse: number;
  /** Multiplies the whole picture (exposure). */
  readonly exposure: number;
}

function lightRig(lighting: Lighting): LightRig {
  const unit = (x: number, y: number, z: number, rest: Omit<LightRig, 'lx' | 'ly' | 'lz'>): LightRig => {
    const n = Math.hypot(x, y, z);
    return { lx: x / n, ly: y / n, lz: z / n, ...rest };
  };
  switch (lighting) {
    case 'normal':
      return unit(-0.3, -0.45, 1, { ambient: 0.42, diffuse: 0.68, exposure: 1.15 });
    case 'dark':
      return unit(-0.3, -0.45, 1, { ambient: 0.42, diffuse: 0.68, exposure: 0.26 });
    case 'backlit':
      return unit(0.25, -0.35, -1, { ambient: 0.3, diffuse: 0.9, exposure: 1 });
    case 'uneven':
      return unit(1, -0.25, 0.4, { ambient: 0.17, diffuse: 1.05, exposure: 1 });
  }
}

// ---------------------------------------------------------------------------------------------
// Canvas

class Canvas {
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    // One buffer per frame size, reused: a 1280x720 float frame is 11 MB of garbage otherwise.
    // Every pixel is written by the background first, so stale contents never show.
    const key = `${width}x${height}`;
    let data = CANVAS_POOL.get(key);
    if (!data) {
      data = new Float32Array(width * height * 3);
      if (CANVAS_POOL.size >= 4) CANVAS_POOL.clear();
      CANVAS_POOL.set(key, data);
    }
    this.data = data;
  }

  blend(i: number, r: number, g: number, b: number, a: number): void {
    const d = this.data;
    const o = i * 3;
    if (a >= 1) {
      d[o] = r;
      d[o + 1] = g;
      d[o + 2] = b;
      return;
    }
    d[o] = (d[o] ?? 0) + (r - (d[o] ?? 0)) * a;
    d[o + 1] = (d[o + 1] ?? 0) + (g - (d[o + 1] ?? 0)) * a;
    d[o + 2] = (d[o + 2] ?? 0) + (b - (d[o + 2] ?? 0)) * a;
  }
}

const CANVAS_POOL = new Map<string, Float32Array>();

/** Small fast PRNG for per-pixel noise (xorshift32). */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function paintBackground(c: Canvas, scene: FaceScene, rig: LightRig): void {
  const [br, bg, bb] = scene.background ?? [226, 228, 230];
  const lighting = scene.lighting ?? 'normal';
  const { width: w, height: h } = c;
  const d = c.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // A wall is never perfectly flat: a soft vignette and a gentle gradient.
      const nx = x / w - 0.5;
      const ny = y / h - 0.5;
      let k = 1 - 0.18 * (nx * nx + ny * ny) - 0.04 * ny;
      if (lighting === 'uneven') k *= 0.55 + 0.6 * (x / w);
      const o = (y * w + x) * 3;
      d[o] = br * k;
      d[o + 1] = bg * k;
      d[o + 2] = bb * k;
    }
  }
  const clutter = scene.clutter ?? 0;
  if (clutter > 0) paintClutter(c, clutter, scene.roomSeed ?? 1);
  if (lighting === 'backlit') {
    // A bright window behind the person: the wall burns out.
    for (let i = 0; i < d.length; i++) d[i] = 0.3 * (d[i] ?? 0) + 250;
  }
  void rig;
}

function paintClutter(c: Canvas, amount: number, roomSeed: number): void {
  const rnd = xorshift(roomSeed * 2654435761 + 7);
  const { width: w, height: h } = c;
  const count = Math.round(6 + 22 * amount);
  const palette: Rgb[] = [
    [180, 60, 50],
    [60, 110, 170],
    [230, 200, 80],
    [70, 130, 80],
    [120, 90, 60],
    [240, 240, 235],
    [40, 40, 45],
    [200, 120, 160],
  ];
  for (let n = 0; n < count; n++) {
    const kind = rnd();
    const col = palette[Math.floor(rnd() * palette.length)] ?? [128, 128, 128];
    const x0 = Math.floor(rnd() * w);
    const y0 = Math.floor(rnd() * h * 0.9);
    let rw: number;
    let rh: number;
    if (kind < 0.25) {
      // A shelf: a long thin plank.
      rw = Math.floor(w * (0.2 + 0.4 * rnd()));
      rh = Math.max(2, Math.floor(h * 0.015));
    } else if (kind < 0.7) {
      // A poster, a box, a book spine row.
      rw = Math.floor(w * (0.04 + 0.16 * rnd()));
      rh = Math.floor(h * (0.06 + 0.22 * rnd()));
    } else {
      rw = Math.floor(w * (0.02 + 0.04 * rnd()));
      rh = Math.floor(h * (0.1 + 0.2 * rnd()));
    }
    const stripes = rnd() < 0.4;
    for (let y = Math.max(0, y0); y < Math.min(h, y0 + rh); y++)
      for (let x = Math.max(0, x0); x < Math.min(w, x0 + rw); x++) {
        const k = stripes && ((x - x0) >> 2) % 2 === 0 ? 0.75 : 1;
        const shade = k * (0.85 + 0.15 * ((y - y0) / rh));
        c.blend(y * w + x, col[0] * shade, col[1] * shade, col[2] * shade, 1);
      }
  }
}

// ---------------------------------------------------------------------------------------------
// Subject

function paintSubject(c: Canvas, subject: FaceSubject, rig: LightRig, lighting: Lighting): RenderedFace {
  const look = appearanceFor(subject.person);
  const m = headModel(look);
  const pose = subject.pose;
  const openness = Math.min(1, Math.max(0, subject.eyeOpenness ?? 1));
  const glasses = subject.glasses ?? 'none';
  const eye = eyeShape(look, openness);
  const { width: w, height: h } = c;
  const s = NOMINAL_PX_PER_MM_PER_HEIGHT * h * pose.scale;
  const cx = pose.x * w;
  const cy = pose.y * h;
  const R = rotation(pose);
  const r00 = R[0] ?? 1;
  const r01 = R[1] ?? 0;
  const r02 = R[2] ?? 0;
  const r10 = R[3] ?? 0;
  const r11 = R[4] ?? 1;
  const r12 = R[5] ?? 0;
  const r20 = R[6] ?? 0;
  const r21 = R[7] ?? 0;
  const r22 = R[8] ?? 1;
  const aa = 1.2 / s; // one pixel, in mm

  // The torso stays upright; it follows the head's position and leans a little with roll.
  const torsoTop = cy + s * (look.chinY + 45);
  const torsoCx = cx + s * Math.sin((pose.roll * Math.PI) / 180) * -60;
  const torsoRx = s * 215;
  const torsoRy = s * 150;
  const torsoCy = torsoTop + torsoRy;
  const neckHalf = s * look.jawHalfWidth * 0.55;
  const inTorso = (px: number, py: number): number => {
    const dx = (px - torsoCx) / torsoRx;
    const dy = (py - torsoCy) / torsoRy;
    // A superellipse of power 3: square shoulders, a rounded top.
    const ax = Math.abs(dx);
    const ay = Math.abs(dy);
    const v = ax * ax * ax + ay * ay * ay;
    return v < 1 ? 1 - v : 0;
  };
  const [sr, sg, sb] = look.clothing;
  const skinV = look.skin.map((v) => v * 0.7);
  const vDepth = s * 70;
  const tx0 = Math.max(0, Math.floor(torsoCx - torsoRx));
  const tx1 = Math.min(w, Math.ceil(torsoCx + torsoRx));
  for (let py = Math.max(0, Math.floor(torsoTop)); py < h; py++) {
    for (let px = tx0; px < tx1; px++) {
      const t = inTorso(px + 0.5, py + 0.5);
      if (t <= 0) continue;
      const nx = (px - torsoCx) / torsoRx;
      const ny = (py - torsoCy) / torsoRy;
      const nz = Math.sqrt(Math.max(0.05, 1 - nx * nx * 0.8 - ny * ny * 0.3));
      const lam = Math.max(0, nx * rig.lx + ny * rig.ly + nz * rig.lz);
      const light = rig.ambient + rig.diffuse * lam;
      // The neckline: a V of skin under the chin.
      const dyTop = py - torsoTop;
      const inV = Math.abs(px - cx) < neckHalf * (1 - dyTop / vDepth) && dyTop < vDepth;
      const a = Math.min(1, t * 12);
      if (inV)
        c.blend(py * w + px, (skinV[0] ?? 0) * light, (skinV[1] ?? 0) * light, (skinV[2] ?? 0) * light, a);
      else c.blend(py * w + px, sr * light, sg * light, sb * light, a);
    }
  }

  // Long hair hanging behind the head, in the head's rolled frame.
  if (look.longHair) {
    const top = -60;
    const bottom = look.hairBackY + 20;
    const hx = look.craniumHalfWidth * 1.12;
    const mid = (top + bottom) / 2;
    const half = (bottom - top) / 2;
    const cr = Math.cos((pose.roll * Math.PI) / 180);
    const srr = Math.sin((pose.roll * Math.PI) / 180);
    const shift = Math.sin((pose.yaw * Math.PI) / 180) * -30;
    const reach = s * Math.max(hx, half) * 1.6;
    for (let py = Math.max(0, Math.floor(cy - reach)); py < Math.min(h, Math.ceil(cy + reach)); py++)
      for (let px = Math.max(0, Math.floor(cx - reach)); px < Math.min(w, Math.ceil(cx + reach)); px++) {
        const X = (px + 0.5 - cx) / s;
        const Y = (py + 0.5 - cy) / s;
        const hxp = cr * X + srr * Y - shift;
        const hyp = -srr * X + cr * Y;
        const ux = (hxp / hx) ** 2;
        const uy = ((hyp - mid) / half) ** 2;
        const v = ux * ux + uy * uy;
        if (v >= 1) continue;
        const strand = 0.75 + 0.12 * Math.sin(hxp * 1.3 + Math.sin(hyp * 0.05) * 3);
        const light = (rig.ambient + rig.diffuse * 0.35) * strand * 0.8;
        c.blend(
          py * w + px,
          look.hair[0] * light,
          look.hair[1] * light,
          look.hair[2] * light,
          Math.min(1, (1 - v) * 8),
        );
      }
  }

  // The head: ray-cast the ellipsoids per pixel under weak perspective (orthographic rays along -z).
  // Each ellipsoid packs [cx, cy, cz, 1/rx, 1/ry, 1/rz, dx, dy, dz, A, x0, x1, y0, y1]: its centre,
  // inverse radii, the ray direction in its unit frame, the quadratic's A, and its image bounding box.
  const ellipsoids = [m.cranium, m.jaw, m.nose, m.earLeft, m.earRight, m.neck, m.hair];
  const kinds = [Part.Skin, Part.Skin, Part.Skin, Part.Skin, Part.Skin, Part.Neck, Part.HairFront];
  const HAIR = 6;
  const E = new Float64Array(ellipsoids.length * 14);
  let bx0 = w;
  let bx1 = 0;
  let by0 = h;
  let by1 = 0;
  ellipsoids.forEach((e, k) => {
    const o = k * 14;
    const dx = r20 / e.rx;
    const dy = r21 / e.ry;
    const dz = r22 / e.rz;
    E.set([e.cx, e.cy, e.cz, 1 / e.rx, 1 / e.ry, 1 / e.rz, dx, dy, dz, dx * dx + dy * dy + dz * dz], o);
    // Image extent of a rotated ellipsoid: centre ± sqrt(sum_k (R[row][k] r_k)^2).
    const pcx = cx + s * (r00 * e.cx + r01 * e.cy + r02 * e.cz);
    const pcy = cy + s * (r10 * e.cx + r11 * e.cy + r12 * e.cz);
    const ex = s * Math.hypot(r00 * e.rx, r01 * e.ry, r02 * e.rz) + 2;
    const ey = s * Math.hypot(r10 * e.rx, r11 * e.ry, r12 * e.rz) + 2;
    E[o + 10] = pcx - ex;
    E[o + 11] = pcx + ex;
    E[o + 12] = pcy - ey;
    E[o + 13] = pcy + ey;
    if (kinds[k] !== Part.Neck) {
      bx0 = Math.min(bx0, pcx - ex);
      bx1 = Math.max(bx1, pcx + ex);
      by0 = Math.min(by0, pcy - ey);
      by1 = Math.max(by1, pcy + ey);
    } else {
      // The neck only shows between the chin and the collar.
      by1 = Math.max(by1, Math.min(pcy + ey, torsoTop + s * 80));
    }
  });
  const paint: Paint = { r: 0, g: 0, b: 0, glow: 0 };
  const hx0 = Math.max(0, Math.floor(bx0));
  const hx1 = Math.min(w, Math.ceil(bx1));
  const hy0 = Math.max(0, Math.floor(by0));
  const hy1 = Math.min(h, Math.ceil(by1));
  const hxr = rig.lx;
  const hyr = rig.ly;
  const hzr = rig.lz + 1;
  const hn = Math.hypot(hxr, hyr, hzr);
  const nE = ellipsoids.length;
  for (let py = hy0; py < hy1; py++) {
    const Y = (py + 0.5 - cy) / s;
    for (let px = hx0; px < hx1; px++) {
      const X = (px + 0.5 - cx) / s;
      // Ray origin in the head frame (camera z = 0); direction = the third row of R.
      const ox = r00 * X + r10 * Y;
      const oy = r01 * X + r11 * Y;
      const oz = r02 * X + r12 * Y;
      let hitT = Number.NEGATIVE_INFINITY;
      let hitK = -1;
      let hairBackT = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < nE; k++) {
        const o = k * 14;
        if (px < (E[o + 10] as number) || px > (E[o + 11] as number)) continue;
        if (py < (E[o + 12] as number) || py > (E[o + 13] as number)) continue;
        const qx = (ox - (E[o] as number)) * (E[o + 3] as number);
        const qy = (oy - (E[o + 1] as number)) * (E[o + 4] as number);
        const qz = (oz - (E[o + 2] as number)) * (E[o + 5] as number);
        const dx = E[o + 6] as number;
        const dy = E[o + 7] as number;
        const dz = E[o + 8] as number;
        const A = E[o + 9] as number;
        const B = qx * dx + qy * dy + qz * dz;
        const C = qx * qx + qy * qy + qz * qz - 1;
        const disc = B * B - A * C;
        if (disc < 0) continue;
        const sq = Math.sqrt(disc);
        const t = (-B + sq) / A;
        if (k === HAIR) {
          if (t <= hitT) continue;
          // The hair shell: its front where the hairline mask says hair, else the inside of its back.
          if (oy + r21 * t < hairBoundary(look, ox + r20 * t, oz + r22 * t)) {
            hitT = t;
            hitK = k;
          } else {
            const tb = (-B - sq) / A;
            if (tb > hitT && oy + r21 * tb < hairBoundary(look, ox + r20 * tb, oz + r22 * tb)) hairBackT = tb;
          }
        } else if (t > hitT) {
          hitT = t;
          hitK = k;
        }
      }
      let hitPart: Part;
      if (hairBackT > hitT) {
        hitT = hairBackT;
        hitK = HAIR;
        hitPart = Part.HairBack;
      } else if (hitK < 0) continue;
      else hitPart = kinds[hitK] ?? Part.Skin;
      if (hitPart === Part.Neck && inTorso(px + 0.5, py + 0.5) > 0) continue;
      const hitE = ellipsoids[hitK] ?? m.cranium;
      const x = ox + r20 * hitT;
      const y = oy + r21 * hitT;
      const z = oz + r22 * hitT;
      // Normal in the head frame, then in the camera frame.
      let nx = (x - hitE.cx) / (hitE.rx * hitE.rx);
      let ny = (y - hitE.cy) / (hitE.ry * hitE.ry);
      let nz = (z - hitE.cz) / (hitE.rz * hitE.rz);
      if (hitPart === Part.HairBack) {
        nx = -nx;
        ny = -ny;
        nz = -nz;
      }
      if (hitK <= 1) {
        // Blend the cranium's and the jaw's normals across their seam, so the union reads as one
        // smooth face instead of a crease under the cheekbones.
        const other = hitK === 0 ? m.jaw : m.cranium;
        const zo = frontZ(other, x, y);
        const wOther = 0.5 * (1 - smooth(0, 30, z - zo));
        if (wOther > 0) {
          const n1 = Math.sqrt(nx * nx + ny * ny + nz * nz);
          let px2 = (x - other.cx) / (other.rx * other.rx);
          let py2 = (y - other.cy) / (other.ry * other.ry);
          let pz2 = (z - other.cz) / (other.rz * other.rz);
          const n2 = Math.sqrt(px2 * px2 + py2 * py2 + pz2 * pz2);
          px2 /= n2;
          py2 /= n2;
          pz2 /= n2;
          nx = (nx / n1) * (1 - wOther) + px2 * wOther;
          ny = (ny / n1) * (1 - wOther) + py2 * wOther;
          nz = (nz / n1) * (1 - wOther) + pz2 * wOther;
        }
      }
      if (hitK === 2) {
        // The nose grows out of the face: near its base take the face's normal, so it reads as a
        // ridge with shading, not a blob stuck on.
        const under = frontZ(m.cranium, x, y) > frontZ(m.jaw, x, y) ? m.cranium : m.jaw;
        const wFace = 1 - smooth(3, 8, z - frontZ(under, x, y));
        if (wFace > 0) {
          const n1 = Math.sqrt(nx * nx + ny * ny + nz * nz);
          let fx = (x - under.cx) / (under.rx * under.rx);
          let fy = (y - under.cy) / (under.ry * under.ry);
          let fz = (z - under.cz) / (under.rz * under.rz);
          const n2 = Math.sqrt(fx * fx + fy * fy + fz * fz);
          fx /= n2;
          fy /= n2;
          fz /= n2;
          nx = (nx / n1) * (1 - wFace) + fx * wFace;
          ny = (ny / n1) * (1 - wFace) + fy * wFace;
          nz = (nz / n1) * (1 - wFace) + fz * wFace;
        }
      }
      const nn = Math.sqrt(nx * nx + ny * ny + nz * nz);
      nx /= nn;
      ny /= nn;
      nz /= nn;
      const cxn = r00 * nx + r01 * ny + r02 * nz;
      const cyn = r10 * nx + r11 * ny + r12 * nz;
      const czn = r20 * nx + r21 * ny + r22 * nz;
      const ndl = cxn * rig.lx + cyn * rig.ly + czn * rig.lz;
      // Wrapped Lambert: skin scatters light a little past the terminator.
      const lam = Math.max(0, (ndl + 0.25) / 1.25);
      let light = rig.ambient * (0.65 + 0.35 * Math.max(0, czn)) + rig.diffuse * lam;
      const ndh = Math.max(0, (cxn * hxr + cyn * hyr + czn * hzr) / hn);
      let spec = 0;
      let ar: number;
      let ag: number;
      let ab: number;
      paint.glow = 0;
      if (hitPart === Part.Skin) {
        paintSkin(m, eye, glasses, x, y, z, aa, paint);
        ar = paint.r;
        ag = paint.g;
        ab = paint.b;
        const n2 = ndh * ndh;
        const n8 = n2 * n2 * n2 * n2;
        spec = 16 * n8 * n8 * n8;
      } else if (hitPart === Part.Neck) {
        // The neck is shadowed by the jaw above it.
        const shadow = 0.55 + 0.4 * smooth(look.chinY + 25, 40, y);
        ar = look.skin[0] * 0.92 * shadow;
        ag = look.skin[1] * 0.92 * shadow;
        ab = look.skin[2] * 0.92 * shadow;
      } else {
        const th = Math.atan2(x, z);
        const strand = 0.8 + 0.2 * Math.sin(th * 70 + Math.sin(y * 0.08) * 2.5);
        const inner = hitPart === Part.HairBack ? 0.55 : 1;
        ar = look.hair[0] * strand * inner;
        ag = look.hair[1] * strand * inner;
        ab = look.hair[2] * strand * inner;
        const n2 = ndh * ndh;
        const n4 = n2 * n2;
        spec = 30 * n4 * n4 * n4 * inner;
        light *= 0.95;
      }
      if (lighting === 'backlit') spec *= 0.3;
      const i = (py * w + px) * 3;
      const d = c.data;
      d[i] = ar * light + spec + paint.glow;
      d[i + 1] = ag * light + spec + paint.glow;
      d[i + 2] = ab * light + spec + paint.glow;
    }
  }
  // Ground truth.
  const project = (p: HeadPoint): Point => ({
    x: cx + s * (r00 * p.x + r01 * p.y + r02 * p.z),
    y: cy + s * (r10 * p.x + r11 * p.y + r12 * p.z),
  });
  const landmarks = landmarksHead(m, openness).map(project);
  const foreheadY = (look.browY + look.hairlineY) / 2;
  const forehead = project({ x: 0, y: foreheadY, z: faceZ(m, 0, foreheadY) });
  let minX = forehead.x;
  let maxX = forehead.x;
  let minY = forehead.y;
  let maxY = forehead.y;
  for (const p of landmarks) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  return {
    person: subject.person,
    pose,
    box: { x: minX, y: minY, width: maxX - minX, height: maxY - minY },
    landmarks,
    pixelsPerMm: s,
  };
}

// ---------------------------------------------------------------------------------------------
// Post-processing

/** In-place separable blur of an RGB float canvas with `passes` box passes of radius `r`. */
function boxBlur(c: Canvas, r: number, passes: number): void {
  if (r <= 0) return;
  const { width: w, height: h, data } = c;
  const stride = w * 3;
  const tmp = new Float32Array(data.length);
  const acc = new Float32Array(stride);
  const norm = 1 / (2 * r + 1);
  const clampX = (x: number) => (x < 0 ? 0 : x >= w ? w - 1 : x);
  const clampY = (y: number) => (y < 0 ? 0 : y >= h ? h - 1 : y);
  for (let p = 0; p < passes; p++) {
    // Horizontal: data -> tmp, a running sum along each row (edges repeat); the three channels
    // advance together, and only the ends need clamping.
    for (let y = 0; y < h; y++) {
      const row = y * stride;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let k = -r; k <= r; k++) {
        const o = row + clampX(k) * 3;
        s0 += data[o] as number;
        s1 += data[o + 1] as number;
        s2 += data[o + 2] as number;
      }
      for (let x = 0; x < w; x++) {
        const o = row + x * 3;
        tmp[o] = s0 * norm;
        tmp[o + 1] = s1 * norm;
        tmp[o + 2] = s2 * norm;
        const a = row + Math.min(x + r + 1, w - 1) * 3;
        const b = row + Math.max(x - r, 0) * 3;
        s0 += (data[a] as number) - (data[b] as number);
        s1 += (data[a + 1] as number) - (data[b + 1] as number);
        s2 += (data[a + 2] as number) - (data[b + 2] as number);
      }
    }
    // Vertical: tmp -> data, running sums for a whole row of columns at once (row-wise access).
    acc.fill(0);
    for (let k = -r; k <= r; k++) {
      const row = clampY(k) * stride;
      for (let i = 0; i < stride; i++) acc[i] = (acc[i] as number) + (tmp[row + i] as number);
    }
    for (let y = 0; y < h; y++) {
      const out = y * stride;
      const add = clampY(y + r + 1) * stride;
      const sub = clampY(y - r) * stride;
      for (let i = 0; i < stride; i++) {
        const a = acc[i] as number;
        data[out + i] = a * norm;
        acc[i] = a + (tmp[add + i] as number) - (tmp[sub + i] as number);
      }
    }
  }
}

/**
 * A camera's optical softness, horizontal half: one [1 2 1]/4 pass along each row, in place (the
 * vertical half is folded into the final quantisation loop, saving a pass over the frame).
 */
function softenRows(c: Canvas): void {
  const { width: w, height: h, data } = c;
  const stride = w * 3;
  const cur = new Float32Array(stride);
  for (let y = 0; y < h; y++) {
    const base = y * stride;
    cur.set(data.subarray(base, base + stride));
    if (w < 2) continue;
    for (let k = 0; k < 3; k++) {
      data[base + k] = (3 * (cur[k] as number) + (cur[k + 3] as number)) * 0.25;
      const e = stride - 3 + k;
      data[base + e] = (3 * (cur[e] as number) + (cur[e - 3] as number)) * 0.25;
    }
    for (let i = 3; i < stride - 3; i++)
      data[base + i] = ((cur[i - 3] as number) + 2 * (cur[i] as number) + (cur[i + 3] as number)) * 0.25;
  }
}

function paintCard(c: Canvas, card: HeldCard): void {
  const { width: w, height: h } = c;
  const src = card.image;
  const cw = card.width * w;
  const ch = (cw * src.height) / src.width;
  const x0 = card.x * w - cw / 2;
  const y0 = card.y * h - ch / 2;
  const sx = src.width / cw;
  const sy = src.height / ch;
  // A soft shadow first, then the card sampled bilinearly.
  for (let py = Math.max(0, Math.floor(y0)); py < Math.min(h, Math.ceil(y0 + ch)); py++)
    for (let px = Math.max(0, Math.floor(x0)); px < Math.min(w, Math.ceil(x0 + cw)); px++) {
      const u = Math.min(src.width - 1.001, Math.max(0, (px + 0.5 - x0) * sx - 0.5));
      const v = Math.min(src.height - 1.001, Math.max(0, (py + 0.5 - y0) * sy - 0.5));
      const iu = Math.floor(u);
      const iv = Math.floor(v);
      const fu = u - iu;
      const fv = v - iv;
      const o00 = (iv * src.width + iu) * 3;
      const o01 = o00 + 3;
      const o10 = o00 + src.width * 3;
      const o11 = o10 + 3;
      const d = src.data;
      const px3 = (k: number) =>
        ((d[o00 + k] ?? 0) * (1 - fu) + (d[o01 + k] ?? 0) * fu) * (1 - fv) +
        ((d[o10 + k] ?? 0) * (1 - fu) + (d[o11 + k] ?? 0) * fu) * fv;
      c.blend(py * w + px, px3(0), px3(1), px3(2), 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Renders `scene`: background, each subject back to front, the held card, blur, camera softness and
 * sensor noise. Deterministic: the same scene gives the same bytes.
 * @throws {FaceSceneError} for a size outside 1..4096 pixels or a non-finite pose.
 */
export function renderFaceScene(scene: FaceScene): RenderedScene {
  const { width, height } = scene;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > 4096 ||
    height > 4096
  )
    throw new FaceSceneError(`scene size ${width}x${height} is outside 1..4096 pixels`);
  for (const s of scene.subjects) {
    const p = s.pose;
    if (![p.yaw, p.pitch, p.roll, p.scale, p.x, p.y].every(Number.isFinite) || p.scale <= 0)
      throw new FaceSceneError(`the pose of ${s.person} has a non-finite value or a scale <= 0`);
  }
  const lighting = scene.lighting ?? 'normal';
  const rig = lightRig(lighting);
  const c = new Canvas(width, height);
  paintBackground(c, scene, rig);
  const faces = scene.subjects.map((s) => paintSubject(c, s, rig, lighting));
  if (scene.card) paintCard(c, scene.card);
  const blur = scene.blur ?? 0;
  if (blur > 0) {
    // Three box passes approximate a Gaussian of this sigma: r = sqrt(sigma^2 + 1) - ... (Wells 1986).
    const r = Math.max(1, Math.round(Math.sqrt((4 * blur * blur) / 3 + 1) / 2));
    boxBlur(c, r, 3);
  }
  softenRows(c);
  const out = new Uint8Array(width * height * 3);
  const noise = scene.noise ?? 2;
  let state = seedNumber(`noise:${scene.noiseSeed ?? 0}`) || 0x9e3779b9;
  const exposure = rig.exposure;
  const d = c.data;
  // Dark frames are amplified by the camera's gain, so their noise grows too.
  const sigma = noise * (lighting === 'dark' ? 1.8 : 1);
  // Luma-correlated noise plus a little per channel, triangular (sum of two uniforms) for speed;
  // xorshift32 inlined, as this loop touches every byte of the frame.
  const k1 = (sigma * 2.45) / 65536;
  const k2 = sigma / 1024;
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    // The vertical half of the optical softness: [1 2 1]/4 over the rows above and below.
    const row = y * stride;
    const up = y > 0 ? row - stride : row;
    const down = y + 1 < height ? row + stride : row;
    for (let x = 0; x < stride; x += 3) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const u1 = state >>> 0;
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const u2 = state >>> 0;
      // Two 16-bit uniforms make the shared triangular noise; three 10-bit ones the channel noise.
      const common = ((u1 & 0xffff) + (u1 >>> 16) - 65535) * k1;
      const e0 = ((u2 & 0x3ff) - 511.5) * k2;
      const e1 = (((u2 >>> 10) & 0x3ff) - 511.5) * k2;
      const e2 = (((u2 >>> 20) & 0x3ff) - 511.5) * k2;
      const i = row + x;
      const ue = up + x;
      const de = down + x;
      const k = 0.25 * exposure;
      const v0 = ((d[ue] as number) + 2 * (d[i] as number) + (d[de] as number)) * k + common + e0;
      const v1 = ((d[ue + 1] as number) + 2 * (d[i + 1] as number) + (d[de + 1] as number)) * k + common + e1;
      const v2 = ((d[ue + 2] as number) + 2 * (d[i + 2] as number) + (d[de + 2] as number)) * k + common + e2;
      out[i] = v0 <= 0 ? 0 : v0 >= 255 ? 255 : v0 + 0.5;
      out[i + 1] = v1 <= 0 ? 0 : v1 >= 255 ? 255 : v1 + 0.5;
      out[i + 2] = v2 <= 0 ? 0 : v2 >= 255 ? 255 : v2 + 0.5;
    }
  }
  return { image: { width, height, data: out }, faces };
}

/**
 * A frontal passport-style portrait of `person` on a plain light background, for the simulated
 * card's DG2: the head fills about 60 % of the height, eyes 45 % from the top. No sensor noise.
 * (A tighter, token-like crop of a grey portrait is found less reliably by face-api's SSD detector.)
 */
export function renderPortrait(person: string, width: number, height: number): RenderedScene {
  return renderFaceScene({
    width,
    height,
    subjects: [
      {
        person,
        pose: { yaw: 0, pitch: 0, roll: 0, scale: (width * 4) / (height * 3), x: 0.5, y: 0.45 },
      },
    ],
    background: [232, 234, 236],
    noise: 0,
  });
}
