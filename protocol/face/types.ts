/**
 * The shapes every part of the face pipeline shares (issue 19): a colour raster, a detected face with
 * its 68 landmarks, and a face descriptor. Pure types: the camera driver, the detector adapter, the
 * portrait quality measures and the comparison engine all speak these, so each can be replaced alone.
 */

/** 8-bit RGB, row-major, 3 bytes per pixel, no padding: `data.length === width * height * 3`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A point in image pixels, origin top left, x to the right, y down. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** An axis-aligned box in image pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The 68 facial landmarks in the iBUG 300-W order (the order face-api's 68-point model and dlib use):
 * 0-16 jaw line (0 = the subject's right ear side, i.e. the image's left), 17-21 and 22-26 the
 * eyebrows, 27-35 the nose, 36-41 the eye on the image's left, 42-47 the eye on the image's right,
 * 48-67 the mouth.
 */
export type Landmarks68 = readonly Point[];

/** One face the detector found. */
export interface DetectedFace {
  readonly box: Box;
  /** The detector's confidence, 0..1. */
  readonly score: number;
  readonly landmarks: Landmarks68;
}

/** A face descriptor (embedding) with the engine that made it: only the same engine compares it. */
export interface FaceDescriptor {
  /** e.g. 'face-api faceRecognitionNet (ResNet-34, 128-d) 1.7.15'. */
  readonly engine: string;
  readonly values: Float32Array;
}

/** Index ranges of the iBUG 68-point layout, [start, end). */
export const LANDMARKS_68 = {
  jaw: [0, 17],
  eyebrowImageLeft: [17, 22],
  eyebrowImageRight: [22, 27],
  noseBridge: [27, 31],
  noseBottom: [31, 36],
  eyeImageLeft: [36, 42],
  eyeImageRight: [42, 48],
  mouthOuter: [48, 60],
  mouthInner: [60, 68],
} as const satisfies Record<string, readonly [number, number]>;
