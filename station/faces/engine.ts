/**
 * The face engine port (issue 19, items 4 and 6): detection with 68 landmarks, a descriptor per face,
 * and the 1:1 comparison of two descriptors. The station, the portrait checks and the notary's
 * verification speak this interface only, so a stronger evaluated engine can replace the first one
 * (station/faces/face-api-engine.ts) without touching them.
 *
 * Every comparison is advisory and says so in its result: the engine's false-match rate was measured
 * on other populations than the card's holders (see README.md beside this file), and no presentation
 * attack detection is performed (a printed photo or a phone screen held to the camera is not caught).
 */
import type { DetectedFace, FaceDescriptor, RgbImage } from '../../protocol/face/types.ts';
import { FaceEngineError } from './errors.ts';

/**
 * Which detector finds the faces:
 * - 'ssd': SSD MobileNet v1, the capture and comparison detector (found every face of the shared
 *   photographs; about 400 ms per image on the 2-core reference machine).
 * - 'tiny': Tiny Face Detector, for live tracking every few frames (about 4x faster, less robust on
 *   small, turned or dim faces).
 */
export type FaceDetectorKind = 'ssd' | 'tiny';

export interface DetectOptions {
  /** Default: the engine's capture detector ('ssd'). */
  readonly detector?: FaceDetectorKind;
  /**
   * A second detector tried when the first finds no face (e.g. 'tiny' first for speed, 'ssd' when it
   * finds nothing). Default: none.
   */
  readonly fallback?: FaceDetectorKind;
  /** Faces the detector scores below this (0..1) are not reported. Default 0.5. */
  readonly minScore?: number;
  /** Aborts a request still queued or running (it rejects with FACE_CANCELED). */
  readonly signal?: AbortSignal;
}

/** A detected face with its descriptor. */
export interface AnalyzedFace extends DetectedFace {
  readonly descriptor: FaceDescriptor;
}

/**
 * One 1:1 comparison. `decision` is 'same' when `distance < threshold`. It is advisory (an officer
 * decides) and not protected against presentation attacks.
 */
export interface FaceComparison {
  /** 0..1, higher is more alike: `max(0, 1 - distance)`, a display form of the distance. */
  readonly similarity: number;
  /** Euclidean distance between the two descriptors (0 = identical). */
  readonly distance: number;
  /** The decision threshold on `distance`. */
  readonly threshold: number;
  readonly decision: 'same' | 'different';
  readonly engine: string;
  readonly engineVersion: string;
  readonly advisory: true;
  readonly presentationAttackDetection: 'not-performed';
}

/**
 * The face engine. Untrusted images never throw for their content: an image with no face gives `[]`.
 * Calls reject only with FaceEngineError (queue full, worker crashed, timeout, canceled, closed,
 * models not loaded) or, for a malformed RgbImage (data length not width x height x 3) or one beyond
 * the engine's size bound, RangeError.
 */
export interface FaceEngine {
  /** e.g. 'face-api'. */
  readonly name: string;
  /** The library, model and runtime versions, e.g. '1.7.15 (tfjs 4.22.0 wasm)'. */
  readonly version: string;
  /** The comparison threshold in use (Euclidean distance). */
  readonly threshold: number;
  /** Faces with 68 landmarks, most confident first; `[]` when there is none. */
  detect(image: RgbImage, options?: DetectOptions): Promise<DetectedFace[]>;
  /** The descriptor of one face found in `image` (by this engine, or given by a tracker). */
  describe(
    image: RgbImage,
    face: DetectedFace,
    options?: { readonly signal?: AbortSignal },
  ): Promise<FaceDescriptor>;
  /** detect + describe in one request: every face with its descriptor, most confident first. */
  analyze(image: RgbImage, options?: DetectOptions): Promise<AnalyzedFace[]>;
  /**
   * Compares two descriptors of this engine (pure arithmetic, no inference).
   * @throws {FaceEngineError} FACE_DESCRIPTOR_MISMATCH for another engine's descriptor or length.
   */
  compare(a: FaceDescriptor, b: FaceDescriptor): FaceComparison;
  /** Stops the engine: pending requests reject with FACE_ENGINE_CLOSED. Idempotent. */
  close(): Promise<void>;
}

/**
 * The number of faces in an image as a typed result: a portrait must hold exactly one face, and
 * "no face" or "several faces" are answers the officer acts on, not errors.
 */
export type SingleFace<F extends DetectedFace> =
  | { readonly status: 'one-face'; readonly face: F }
  | { readonly status: 'no-face' }
  | { readonly status: 'several-faces'; readonly faces: readonly F[] };

/** Classifies a detector's answer as one face, no face, or several faces. */
export function singleFace<F extends DetectedFace>(faces: readonly F[]): SingleFace<F> {
  const [first] = faces;
  if (first === undefined) return { status: 'no-face' };
  if (faces.length > 1) return { status: 'several-faces', faces };
  return { status: 'one-face', face: first };
}

/** Euclidean distance of two equal-length vectors. @throws {RangeError} for different lengths. */
export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`descriptor lengths ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/**
 * The comparison rule shared by descriptor-distance engines: Euclidean distance, 'same' below the
 * threshold, the result marked advisory and not protected against presentation attacks.
 * @throws {FaceEngineError} FACE_DESCRIPTOR_MISMATCH when a descriptor is not `engine.descriptorEngine`'s
 *   or the lengths differ.
 */
export function compareDescriptors(
  a: FaceDescriptor,
  b: FaceDescriptor,
  engine: {
    readonly name: string;
    readonly version: string;
    readonly threshold: number;
    readonly descriptorEngine: string;
  },
): FaceComparison {
  for (const d of [a, b])
    if (d.engine !== engine.descriptorEngine)
      throw new FaceEngineError(
        'FACE_DESCRIPTOR_MISMATCH',
        `A descriptor made by '${d.engine}' cannot be compared by '${engine.descriptorEngine}': compute both with the same engine`,
      );
  if (a.values.length !== b.values.length)
    throw new FaceEngineError(
      'FACE_DESCRIPTOR_MISMATCH',
      `Descriptors of ${a.values.length} and ${b.values.length} values cannot be compared`,
    );
  const distance = euclideanDistance(a.values, b.values);
  return {
    similarity: Math.max(0, 1 - distance),
    distance,
    threshold: engine.threshold,
    decision: distance < engine.threshold ? 'same' : 'different',
    engine: engine.name,
    engineVersion: engine.version,
    advisory: true,
    presentationAttackDetection: 'not-performed',
  };
}

/**
 * The result of comparing a portrait image with a descriptor already computed (the notary's case:
 * the live capture's descriptor is reused, the chip's DG2 portrait is analysed once).
 */
export type PortraitComparison =
  | {
      readonly status: 'compared';
      readonly comparison: FaceComparison;
      /** The face found in the portrait, with its descriptor. */
      readonly face: AnalyzedFace;
    }
  | { readonly status: 'no-face' }
  | { readonly status: 'several-faces'; readonly count: number };

/**
 * Analyses `portrait` (e.g. the chip's DG2 image) and compares its single face with `reference`
 * (e.g. the live capture's descriptor, computed at capture). No face or several faces is a typed
 * result. Rejects as FaceEngine.analyze does, and with FACE_DESCRIPTOR_MISMATCH for another engine's
 * reference.
 */
export async function compareWithPortrait(
  engine: FaceEngine,
  reference: FaceDescriptor,
  portrait: RgbImage,
  options: DetectOptions = {},
): Promise<PortraitComparison> {
  const found = singleFace(await engine.analyze(portrait, options));
  if (found.status === 'no-face') return found;
  if (found.status === 'several-faces') return { status: 'several-faces', count: found.faces.length };
  return {
    status: 'compared',
    comparison: engine.compare(reference, found.face.descriptor),
    face: found.face,
  };
}

/** Checks the RgbImage invariant. @throws {RangeError} when `data.length !== width * height * 3`. */
export function assertRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`image size ${width}x${height}`);
  if (data.length !== width * height * 3)
    throw new RangeError(
      `image ${width}x${height} needs ${width * height * 3} RGB bytes, got ${data.length}`,
    );
}
