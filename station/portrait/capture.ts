/**
 * Portrait capture (issue 19 item 5): one camera frame (or a photo) in; the detected face, the
 * OFIQ-aligned measures, the officer's decision and, for a usable face, the chip portrait (ISO/IEC
 * 19794-5 token, JPEG within the chip's byte budget), the full-resolution ICAO capture for the
 * packet's Type-10 record, and the face descriptor, computed once here and reused for comparisons.
 *
 * Each step runs off the event loop: decoding and encoding in sharp (libuv's pool), detection and
 * the descriptor in the face engine's worker, the measures in the hot path's workers.
 */
import type { PortraitDecision } from '../../protocol/face/feedback.ts';
import type { FaceAssessment } from '../../protocol/face/measures.ts';
import {
  type FaceDescriptor,
  LANDMARKS_68,
  type Landmarks68,
  type Point,
  type RgbImage,
} from '../../protocol/face/types.ts';
import type { AnalyzedFace, FaceDetectorKind, FaceEngine } from '../faces/engine.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import { decodeAnyPortrait } from '../imaging/jpeg2000.ts';
import {
  type CardPortrait,
  type CardPortraitOptions,
  type EyeCentres,
  type IcaoCapture,
  makeCardPortrait,
  makeIcaoCapture,
} from '../imaging/portrait.ts';
import type { ImageError } from '../imaging/sharp-images.ts';

/** The engine is started on first use (its models take about 0.4 GB and a few seconds to load). */
export type EngineProvider = () => Promise<FaceEngine>;

export interface PortraitCaptureOptions {
  /** Make the chip portrait even when the checks refuse the frame (the officer decides). Default false. */
  readonly force?: boolean;
  /** Capture detector; default 'tiny' with 'ssd' when it finds no face (the 300 ms capture budget). */
  readonly detector?: FaceDetectorKind;
  readonly fallback?: FaceDetectorKind;
  readonly cardPortrait?: CardPortraitOptions;
  /** Width of the ICAO capture, px (height is width / 0.75). Default 900. */
  readonly icaoWidth?: number;
  readonly signal?: AbortSignal;
}

export type PortraitCapture =
  /** The image does not decode (corrupt, empty, not JPEG/PNG/WebP/JPEG 2000, too large). */
  | { readonly status: 'unreadable'; readonly error: ImageError }
  | {
      readonly status: 'assessed';
      readonly width: number;
      readonly height: number;
      /** The checks' verdict and what to tell the applicant, in order. */
      readonly decision: PortraitDecision;
      readonly assessment: FaceAssessment;
      /** The measured face (the largest), with its descriptor; null with no face. */
      readonly face: AnalyzedFace | null;
      /** Present when one face was found and the checks accepted it (or `force`). */
      readonly portrait: CardPortrait | null;
      readonly icao: IcaoCapture | null;
      /** Why no portrait was made although a face was found (eyes unusable, budget unreachable). */
      readonly portraitError: { readonly code: string; readonly message: string } | null;
      readonly engine: { readonly name: string; readonly version: string };
      /** Wall time of each step, ms. */
      readonly timings: Readonly<Record<'decode' | 'detect' | 'measures' | 'portrait' | 'total', number>>;
    };

function mean(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / Math.max(1, points.length), y: y / Math.max(1, points.length) };
}

/** The two eye centres (the mean of each eye's six landmarks). */
export function eyeCentres(landmarks: Landmarks68): EyeCentres {
  const [l0, l1] = LANDMARKS_68.eyeImageLeft;
  const [r0, r1] = LANDMARKS_68.eyeImageRight;
  return { imageLeft: mean(landmarks.slice(l0, l1)), imageRight: mean(landmarks.slice(r0, r1)) };
}

const since = (start: number) => Math.round((performance.now() - start) * 10) / 10;

/**
 * Assesses one image as a portrait and, when usable, makes the chip portrait and the ICAO capture.
 * No face and several faces are assessed results (FACE_NOT_FOUND, FACE_MULTIPLE), not errors.
 * @throws {FaceEngineError} when the engine fails (queue full, worker crashed, timeout, canceled).
 * @throws {HotpathError} when the measures cannot be computed (pool closed or overloaded).
 */
export async function capturePortrait(
  bytes: Uint8Array,
  engines: EngineProvider,
  hotpath: Hotpath,
  options: PortraitCaptureOptions = {},
): Promise<PortraitCapture> {
  const started = performance.now();
  const decoded = await decodeAnyPortrait(bytes);
  if (!decoded.ok) return { status: 'unreadable', error: decoded.error };
  const image: RgbImage = decoded.value;
  const decodeMs = since(started);

  const engine = await engines();
  const detectStarted = performance.now();
  const faces = await engine.analyze(image, {
    detector: options.detector ?? 'tiny',
    fallback: options.fallback ?? 'ssd',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const detectMs = since(detectStarted);

  const measuresStarted = performance.now();
  // Copied into the hot path (the portrait below still needs these pixels).
  const measured = await hotpath.assessPortrait(image, faces, {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const measuresMs = since(measuresStarted);
  const largest = measured.assessment.face;
  const face =
    largest === null
      ? null
      : (faces.find((f) => f.box.x === largest.box.x && f.box.y === largest.box.y) ?? null);

  const portraitStarted = performance.now();
  let portrait: CardPortrait | null = null;
  let icao: IcaoCapture | null = null;
  let portraitError: { code: string; message: string } | null = null;
  if (face !== null && faces.length === 1 && (measured.decision.accepted || options.force === true)) {
    const eyes = eyeCentres(face.landmarks);
    const [chip, full] = await Promise.all([
      makeCardPortrait(image, eyes, options.cardPortrait),
      makeIcaoCapture(image, eyes, options.icaoWidth === undefined ? {} : { width: options.icaoWidth }),
    ]);
    if (chip.ok) portrait = chip.value;
    else portraitError = { code: chip.error.code, message: chip.error.message };
    if (full.ok) icao = full.value;
    else portraitError ??= { code: full.error.code, message: full.error.message };
  }
  return {
    status: 'assessed',
    width: image.width,
    height: image.height,
    decision: measured.decision,
    assessment: measured.assessment,
    face,
    portrait,
    icao,
    portraitError,
    engine: { name: engine.name, version: engine.version },
    timings: {
      decode: decodeMs,
      detect: detectMs,
      measures: measuresMs,
      portrait: since(portraitStarted),
      total: since(started),
    },
  };
}

/** The descriptor of an assessed capture's face, for a later 1:1 comparison; undefined without one. */
export function captureDescriptor(capture: PortraitCapture): FaceDescriptor | undefined {
  return capture.status === 'assessed' ? capture.face?.descriptor : undefined;
}
