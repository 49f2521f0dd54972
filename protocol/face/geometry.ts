/**
 * Landmark geometry the measures share, after OFIQ's definitions: an eye's centre is the midpoint of
 * its two corners, the inter-eye distance (IED) is the distance between the two centres, and T (OFIQ's
 * "T-metric") is the distance from the midpoint of the eye centres to the chin (iBUG point 8).
 */
import { LANDMARKS_68, type Landmarks68, type Point } from './types.ts';

export interface FaceGeometry {
  /** Centre of the eye on the image's left (points 36 and 39), px. */
  readonly eyeImageLeft: Point;
  /** Centre of the eye on the image's right (points 42 and 45), px. */
  readonly eyeImageRight: Point;
  readonly eyeMid: Point;
  readonly chin: Point;
  /** Inter-eye distance, px, at least 1 so ratios stay finite. */
  readonly ied: number;
  /** Eye midpoint to chin, px, at least 1. */
  readonly t: number;
  /** Bounding box of all 68 points, px. */
  readonly minX: number;
  readonly maxX: number;
  readonly minY: number;
  readonly maxY: number;
}

/**
 * Checks a landmark set: 68 finite points. The detector adapter builds these, so a wrong set is a
 * programmer error.
 * @throws RangeError when there are not 68 points or a coordinate is not finite.
 */
export function assertLandmarks(landmarks: Landmarks68): void {
  if (landmarks.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks.length}`);
  for (const [i, p] of landmarks.entries())
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
      throw new RangeError(`landmark ${i} is not finite: (${p.x}, ${p.y})`);
}

export function at(landmarks: Landmarks68, i: number): Point {
  return landmarks[i] ?? { x: 0, y: 0 };
}

export function mid(a: Point, b: Point): Point {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** The shared geometry of one face. Landmarks must have passed assertLandmarks. */
export function faceGeometry(landmarks: Landmarks68): FaceGeometry {
  const eyeImageLeft = mid(at(landmarks, 36), at(landmarks, 39));
  const eyeImageRight = mid(at(landmarks, 42), at(landmarks, 45));
  const eyeMid = mid(eyeImageLeft, eyeImageRight);
  const chin = at(landmarks, 8);
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const p of landmarks) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  return {
    eyeImageLeft,
    eyeImageRight,
    eyeMid,
    chin,
    ied: Math.max(1, distance(eyeImageLeft, eyeImageRight)),
    t: Math.max(1, distance(eyeMid, chin)),
    minX,
    maxX,
    minY,
    maxY,
  };
}

/** The face outline: the jaw (0-16) closed over the eyebrows (26 back to 17). */
export function faceOutline(landmarks: Landmarks68): Point[] {
  const [j0, j1] = LANDMARKS_68.jaw;
  const outline: Point[] = [];
  for (let i = j0; i < j1; i++) outline.push(at(landmarks, i));
  for (let i = 26; i >= 17; i--) outline.push(at(landmarks, i));
  return outline;
}

/** Largest opening between the eyelids of one eye (pairs 37-41, 38-40 or 43-47, 44-46), px. */
export function eyeOpening(landmarks: Landmarks68, imageRight: boolean): number {
  const pairs = imageRight
    ? [
        [43, 47],
        [44, 46],
      ]
    : [
        [37, 41],
        [38, 40],
      ];
  return Math.max(...pairs.map(([a, b]) => distance(at(landmarks, a ?? 0), at(landmarks, b ?? 0))));
}

/** Largest gap between the inner lips (pairs 61-67, 62-66, 63-65), px. */
export function mouthOpening(landmarks: Landmarks68): number {
  return Math.max(
    distance(at(landmarks, 61), at(landmarks, 67)),
    distance(at(landmarks, 62), at(landmarks, 66)),
    distance(at(landmarks, 63), at(landmarks, 65)),
  );
}
