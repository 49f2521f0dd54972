/**
 * Head pose from the 68 iBUG landmarks: a weak-perspective fit of a generic 3D face (our own rough
 * average-adult model, millimetres) to the detected points, then Euler angles from the fitted
 * rotation. OFIQ estimates pose with a network (3DDFA-V2); this is a geometric approximation, good to
 * a few degrees on a face shaped like the model and biased on faces that are not (a flatter or deeper
 * nose shifts yaw and pitch). It is what the live feedback needs: which way to turn, and roughly how
 * far.
 *
 * Conventions (degrees, the subject facing the camera):
 * - yaw > 0: the nose turns toward the image's right (the subject's left);
 * - pitch > 0: the head tilts back, chin up; < 0: head down;
 * - roll > 0: the head leans so that the eye on the image's right is lower (clockwise on screen).
 * A projection follows P' = Rz(roll) Ry(yaw) Rx(pitch) P, then x = cx + s X', y = cy - s Y'.
 */
import type { Landmarks68, Point } from './types.ts';

/** A 3D point of the generic model, mm: X to the image's right, Y up, Z toward the camera. */
export interface ModelPoint {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export interface HeadPose {
  /** Degrees, see the module comment for the signs. */
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

function jaw(i: number): ModelPoint {
  // A half ellipse from the temple on the image's left (0) through the chin (8) to the right (16).
  const a = (Math.PI * i) / 16;
  return { x: -68 * Math.cos(a), y: -5 - 110 * Math.sin(a), z: -60 + 45 * Math.sin(a) };
}

/**
 * The generic face, 68 points in iBUG order, origin at the midpoint of the eye centres, inter-eye
 * (corner-midpoint) distance 64 mm, eye-midpoint-to-chin 115 mm.
 */
export const GENERIC_FACE_68: readonly ModelPoint[] = [
  ...Array.from({ length: 17 }, (_, i) => jaw(i)),
  // Eyebrows, image left (17-21) then image right (22-26).
  { x: -52, y: 16, z: -14 },
  { x: -43, y: 21, z: -8 },
  { x: -33, y: 23, z: -4 },
  { x: -22, y: 22, z: -2 },
  { x: -12, y: 19, z: -1 },
  { x: 12, y: 19, z: -1 },
  { x: 22, y: 22, z: -2 },
  { x: 33, y: 23, z: -4 },
  { x: 43, y: 21, z: -8 },
  { x: 52, y: 16, z: -14 },
  // Nose bridge 27-30 (30 the tip), nose bottom 31-35.
  { x: 0, y: 8, z: 0 },
  { x: 0, y: -8, z: 8 },
  { x: 0, y: -24, z: 16 },
  { x: 0, y: -40, z: 25 },
  { x: -14, y: -48, z: 5 },
  { x: -7, y: -50, z: 10 },
  { x: 0, y: -51, z: 14 },
  { x: 7, y: -50, z: 10 },
  { x: 14, y: -48, z: 5 },
  // Eye on the image's left, 36 outer corner, 37-38 upper lid, 39 inner corner, 40-41 lower lid.
  { x: -46, y: 0, z: -12 },
  { x: -37, y: 5, z: -6 },
  { x: -27, y: 5, z: -5 },
  { x: -18, y: 0, z: -7 },
  { x: -27, y: -4, z: -5 },
  { x: -37, y: -4, z: -6 },
  // Eye on the image's right, 42 inner corner, 43-44 upper lid, 45 outer corner, 46-47 lower lid.
  { x: 18, y: 0, z: -7 },
  { x: 27, y: 5, z: -5 },
  { x: 37, y: 5, z: -6 },
  { x: 46, y: 0, z: -12 },
  { x: 37, y: -4, z: -6 },
  { x: 27, y: -4, z: -5 },
  // Outer lip 48-59 (48 and 54 the corners), inner lip 60-67.
  { x: -25, y: -75, z: -5 },
  { x: -15, y: -70, z: 2 },
  { x: -5, y: -68, z: 5 },
  { x: 0, y: -69, z: 6 },
  { x: 5, y: -68, z: 5 },
  { x: 15, y: -70, z: 2 },
  { x: 25, y: -75, z: -5 },
  { x: 15, y: -82, z: 2 },
  { x: 5, y: -85, z: 5 },
  { x: 0, y: -86, z: 6 },
  { x: -5, y: -85, z: 5 },
  { x: -15, y: -82, z: 2 },
  { x: -21, y: -75, z: -3 },
  { x: -8, y: -74, z: 4 },
  { x: 0, y: -74, z: 5 },
  { x: 8, y: -74, z: 4 },
  { x: 21, y: -75, z: -3 },
  { x: 8, y: -76, z: 4 },
  { x: 0, y: -76, z: 5 },
  { x: -8, y: -76, z: 4 },
];

/**
 * The points the fit uses: rigid ones (eye corners, nose, mouth corners, chin). Eyelids and lips move
 * with expression and the jaw outline slides along the silhouette when the head turns, so they stay
 * out.
 */
export const POSE_FIT_POINTS: readonly number[] = [8, 27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45, 48, 54];

type Vec3 = [number, number, number];
type Mat3 = [Vec3, Vec3, Vec3];

function invert3(m: Mat3): Mat3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** The fit's constant part: K = Q^T (Q Q^T)^-1 (N x 3, flat) for the centred model points Q, computed once. */
const FIT_K: Float64Array = (() => {
  const q = POSE_FIT_POINTS.map((i) => GENERIC_FACE_68[i] ?? { x: 0, y: 0, z: 0 });
  const n = q.length;
  const mean = q.reduce((s, p) => ({ x: s.x + p.x / n, y: s.y + p.y / n, z: s.z + p.z / n }), {
    x: 0,
    y: 0,
    z: 0,
  });
  const c = q.map((p): Vec3 => [p.x - mean.x, p.y - mean.y, p.z - mean.z]);
  let [xx, xy, xz, yy, yz, zz] = [0, 0, 0, 0, 0, 0];
  for (const [x, y, z] of c) {
    xx += x * x;
    xy += x * y;
    xz += x * z;
    yy += y * y;
    yz += y * z;
    zz += z * z;
  }
  const inv = invert3([
    [xx, xy, xz],
    [xy, yy, yz],
    [xz, yz, zz],
  ]);
  const [i0, i1, i2] = inv;
  const k = new Float64Array(n * 3);
  c.forEach(([x, y, z], j) => {
    k[j * 3] = x * i0[0] + y * i1[0] + z * i2[0];
    k[j * 3 + 1] = x * i0[1] + y * i1[1] + z * i2[1];
    k[j * 3 + 2] = x * i0[2] + y * i1[2] + z * i2[2];
  });
  return k;
})();

const DEG = 180 / Math.PI;

function normalise(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return n > 0 ? [v[0] / n, v[1] / n, v[2] / n] : [0, 0, 0];
}

/**
 * Estimates yaw, pitch and roll (degrees) from 68 landmarks. Never throws: degenerate input (all
 * points equal, non-finite coordinates, fewer than 68 points) gives null.
 */
export function estimateHeadPose(landmarks: Landmarks68): HeadPose | null {
  const pts: Point[] = [];
  for (const i of POSE_FIT_POINTS) {
    const p = landmarks[i];
    if (p === undefined || !Number.isFinite(p.x) || !Number.isFinite(p.y)) return null;
    pts.push(p);
  }
  const n = pts.length;
  let mx = 0;
  let my = 0;
  for (const p of pts) {
    mx += p.x / n;
    my += p.y / n;
  }
  // A = [u; v] K with u = x - mean, v = -(y - mean) (model Y is up, image y is down).
  const a1: Vec3 = [0, 0, 0];
  const a2: Vec3 = [0, 0, 0];
  pts.forEach((p, j) => {
    const u = p.x - mx;
    const v = -(p.y - my);
    const k0 = FIT_K[j * 3] ?? 0;
    const k1 = FIT_K[j * 3 + 1] ?? 0;
    const k2 = FIT_K[j * 3 + 2] ?? 0;
    a1[0] += u * k0;
    a1[1] += u * k1;
    a1[2] += u * k2;
    a2[0] += v * k0;
    a2[1] += v * k1;
    a2[2] += v * k2;
  });
  // Points (nearly) on top of each other or on one line fit no rotation: report none.
  const s1 = Math.hypot(...a1);
  if (!(s1 > 1e-6)) return null;
  const r1 = normalise(a1);
  const d = a2[0] * r1[0] + a2[1] * r1[1] + a2[2] * r1[2];
  const o2: Vec3 = [a2[0] - d * r1[0], a2[1] - d * r1[1], a2[2] - d * r1[2]];
  if (!(Math.hypot(...o2) > 0.05 * s1)) return null;
  const r2 = normalise(o2);
  const r3: Vec3 = [
    r1[1] * r2[2] - r1[2] * r2[1],
    r1[2] * r2[0] - r1[0] * r2[2],
    r1[0] * r2[1] - r1[1] * r2[0],
  ];
  // R = Rz(roll) Ry(yaw) Rx(pitch): row 3 is [-sin yaw, -cos yaw sin pitch, cos yaw cos pitch];
  // R11 = cos roll cos yaw, R21 = -sin roll cos yaw.
  const yaw = Math.asin(Math.max(-1, Math.min(1, -r3[0])));
  const pitch = Math.atan2(-r3[1], r3[2]);
  const roll = Math.atan2(-r2[0], r1[0]);
  const pose = { yaw: yaw * DEG, pitch: pitch * DEG, roll: roll * DEG };
  return Number.isFinite(pose.yaw) && Number.isFinite(pose.pitch) && Number.isFinite(pose.roll) ? pose : null;
}

/** Rotates a model point by the pose (degrees), P' = Rz(roll) Ry(yaw) Rx(pitch) P. */
export function rotate(p: ModelPoint, pose: HeadPose): ModelPoint {
  const [a, b, g] = [pose.pitch / DEG, pose.yaw / DEG, pose.roll / DEG];
  const y1 = p.y * Math.cos(a) + p.z * Math.sin(a);
  const z1 = -p.y * Math.sin(a) + p.z * Math.cos(a);
  const x2 = p.x * Math.cos(b) + z1 * Math.sin(b);
  const z2 = -p.x * Math.sin(b) + z1 * Math.cos(b);
  const x3 = x2 * Math.cos(g) + y1 * Math.sin(g);
  const y3 = -x2 * Math.sin(g) + y1 * Math.cos(g);
  return { x: x3, y: y3, z: z2 };
}

/**
 * Projects model points with the pose, scale `pxPerMm` and the model origin (eye midpoint) at
 * `origin` in image pixels (weak perspective: the synthetic portraits and tests use it).
 */
export function projectModel(
  points: readonly ModelPoint[],
  pose: HeadPose,
  origin: Point,
  pxPerMm: number,
): Point[] {
  return points.map((p) => {
    const r = rotate(p, pose);
    return { x: origin.x + pxPerMm * r.x, y: origin.y - pxPerMm * r.y };
  });
}
