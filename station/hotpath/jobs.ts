/**
 * The hot path's jobs: what runs in the workers, by kind. The pool (pool.ts) is typed by
 * `HotpathJobs`, so a caller's input and output types follow from the job's name.
 *
 * Inputs and outputs are plain data with typed arrays, so they cross threads by structured clone
 * or, for the big pixel and file buffers, by transfer.
 */

import {
  type ClassicalAssessment,
  classicalAssessment,
  type FaceAnchor,
  type GreyFrame,
  type TrackResult,
  toGreyFrame,
  trackFace,
} from '../../protocol/face/classical.ts';
import { type PortraitDecision, portraitFeedback } from '../../protocol/face/feedback.ts';
import { computeFaceMeasures, type FaceAssessment } from '../../protocol/face/measures.ts';
import type { Box, DetectedFace, RgbImage } from '../../protocol/face/types.ts';
import {
  compare as compareTemplates,
  type MccTemplate,
  type PrepareError,
  prepare as prepareTemplate,
} from '../../protocol/fingerprint/match/index.ts';
import { thresholdForFmr } from '../../protocol/fingerprint/match/thresholds.ts';
import { extractMinutiae } from '../../protocol/fingerprint/ridges.ts';
import { type Hand, type SlapSegmentation, segmentSlap } from '../../protocol/fingerprint/segment.ts';
import {
  checkEnrollmentSet,
  type SetCheckResult,
  type SetFinger,
  type SlapGeometry,
} from '../../protocol/fingerprint/set-checks.ts';
import {
  assessPreview,
  type CropBox,
  type MinutiaPoint,
  type PreviewAssessment,
  type QualityFeedback,
  type QualityMeasureName,
  type ScoreIdentity,
  scoreFinger,
} from '../../protocol/quality/index.ts';
import { decodeWsq, encodeWsq, type WsqImage } from '../../protocol/wsq/index.ts';
import { type JobContext, JobInputError, type JobOutput } from './worker-runtime.ts';

export interface GreyInput {
  readonly width: number;
  readonly height: number;
  /** 8-bit grey, row-major; transferred to the worker, so the caller's copy is emptied. */
  readonly pixels: Uint8Array;
}

export interface WsqEncodeInput extends GreyInput {
  readonly ppi?: number;
  /** Bits per pixel; 0.75 when omitted. */
  readonly bitRate?: number;
}

export interface SegmentInput extends GreyInput {
  readonly hand: Hand;
  /** Finger positions declared absent (amputated, bandaged). */
  readonly missing?: readonly number[];
}

/** A finger to score; `ppi` (default 500, which the score assumes) and `bitRate` are the WSQ's. */
export interface FingerInput extends WsqEncodeInput {
  /** Also compress the finger to WSQ (default true). */
  readonly wsq?: boolean;
  /** Also make the matcher's template (default true): what the station-side checks compare. */
  readonly template?: boolean;
}

/**
 * One finger's quality, as it crosses back from the worker: the score with its identity and
 * feedback, and the NFIQ 2 native measures by NIST's names, without the per-block maps.
 */
export interface FingerQuality {
  /** Our unified score 0..100 (never an NFIQ 2 score; see `identity`). 0 when no finger is seen. */
  readonly score: number;
  readonly identity: ScoreIdentity;
  /** What to tell the officer, most urgent first; empty for a good print. */
  readonly feedback: readonly QualityFeedback[];
  /** Every measure by NFIQ 2 name; undefined when the image held no print at all. NaN: not defined. */
  readonly measures: Readonly<Record<QualityMeasureName, number>> | undefined;
  /** Names whose value is NaN (a histogram family without any local region). */
  readonly missing: readonly QualityMeasureName[];
  /** The print inside the image after trimming its white frame, px. */
  readonly print: CropBox | undefined;
  /** Our extractor's minutiae, in image px (they fill the Minutiae_* measures). */
  readonly minutiae: readonly MinutiaPoint[];
}

export interface FingerOutput {
  readonly quality: FingerQuality;
  /** The finger as WSQ, when asked for. */
  readonly wsq: Uint8Array | undefined;
  /**
   * The matcher's template (protocol/fingerprint/match), when asked for and the print has enough
   * minutiae; null otherwise, with `templateProblem` saying why (too few minutiae: cannot compare).
   */
  readonly template: MccTemplate | null;
  readonly templateProblem?: PrepareError;
}

/** The station-side checks on a ten-print set (protocol/fingerprint/set-checks.ts). */
export interface SetCheckInput {
  readonly fingers: readonly SetFinger<MccTemplate>[];
  /** What the slaps' segmentation said about each hand (its wrongHand warnings). */
  readonly geometry?: SlapGeometry;
  /** The false-match rate a comparison counts as a match at (default SET_CHECK_FMR). */
  readonly fmr?: number;
}

export interface SetCheckOutput extends SetCheckResult {
  readonly fmr: number;
  /** The score threshold that FMR stands for (thresholds.ts). */
  readonly threshold: number;
}

/**
 * Matches count at FMR 1 in 100,000 in the set checks: 45 comparisons a set, so that a clean set
 * raises a false finding about once in 2,000 sets (a single match between non-corresponding fingers
 * is a finding); the same hand twice needs two such matches.
 */
export const SET_CHECK_FMR = 0.00001;

export interface PreviewInput extends GreyInput {
  /** The frame's resolution: 500 full size, 125 for a 1/4 preview (default 500). */
  readonly ppi?: number;
}

/** A portrait's OFIQ-aligned measures and the officer's decision (protocol/face). */
export interface FaceMeasuresInput {
  /** Transferred to the worker, so the caller's copy is emptied. */
  readonly image: RgbImage;
  readonly faces: readonly DetectedFace[];
}

export interface FaceMeasuresOutput {
  readonly assessment: FaceAssessment;
  readonly decision: PortraitDecision;
}

/**
 * One live camera frame: its grey copy at `scale`, the tracked face (from the last frame's grey copy
 * and box) and the classical checks. `previous` is what the last call returned for this camera.
 */
export interface FaceLiveInput {
  readonly frame: RgbImage;
  /** Source px per grey px: 1 at 640x480, 2 at 1280x720. */
  readonly scale: number;
  readonly previous: {
    readonly grey: GreyFrame;
    readonly box: Box;
    readonly anchor: FaceAnchor;
  } | null;
}

export interface FaceLiveOutput {
  readonly grey: GreyFrame;
  /** Null when no face was tracked into this frame. */
  readonly track: TrackResult | null;
  readonly classical: ClassicalAssessment;
}

export interface HotpathJobs {
  'face-measures': { readonly input: FaceMeasuresInput; readonly output: FaceMeasuresOutput };
  'face-live': { readonly input: FaceLiveInput; readonly output: FaceLiveOutput };
  segment: { readonly input: SegmentInput; readonly output: SlapSegmentation };
  finger: { readonly input: FingerInput; readonly output: FingerOutput };
  'set-check': { readonly input: SetCheckInput; readonly output: SetCheckOutput };
  compare: {
    readonly input: { readonly a: MccTemplate; readonly b: MccTemplate };
    readonly output: { readonly score: number; readonly pairs: ReadonlyArray<readonly [number, number]> };
  };
  preview: { readonly input: PreviewInput; readonly output: PreviewAssessment };
  'wsq-encode': { readonly input: WsqEncodeInput; readonly output: Uint8Array };
  'wsq-decode': { readonly input: { readonly bytes: Uint8Array }; readonly output: WsqImage };
}

export type JobKind = keyof HotpathJobs;

type Handlers = {
  readonly [K in JobKind]: (
    input: HotpathJobs[K]['input'],
    ctx: JobContext,
  ) => JobOutput<HotpathJobs[K]['output']>;
};

/** WSQ of `input` as the timed stage 'wsq'. @throws {JobInputError} when the encoder refuses it. */
function encodeStage(input: WsqEncodeInput, ctx: JobContext, what: string): Uint8Array {
  const encoded = ctx.stage('wsq', () =>
    encodeWsq(input.pixels, {
      width: input.width,
      height: input.height,
      ...(input.ppi === undefined ? {} : { ppi: input.ppi }),
      ...(input.bitRate === undefined ? {} : { bitRate: input.bitRate }),
    }),
  );
  if (!encoded.ok)
    throw new JobInputError(encoded.error.reason, `WSQ encoding refused ${what}: ${encoded.error.detail}`);
  return encoded.value;
}

/** The matcher's template of a finger image, or why there is none. */
function fingerTemplate(
  image: GreyInput,
  ppi: number,
): { template: MccTemplate | null; templateProblem?: PrepareError } {
  const extracted = extractMinutiae(image, { profile: 'template' });
  const prepared = prepareTemplate({
    width: image.width,
    height: image.height,
    ppi,
    minutiae: extracted.minutiae,
    foreground: extracted.mask,
  });
  return prepared.ok ? { template: prepared.value } : { template: null, templateProblem: prepared.error };
}

/** The station's job handlers. Run only inside workers (worker.ts). */
export const STATION_JOBS: Handlers = {
  segment(input, ctx) {
    const result = ctx.stage('segment', () => {
      try {
        return segmentSlap(input, {
          hand: input.hand,
          ...(input.missing === undefined ? {} : { missing: input.missing }),
        });
      } catch (error) {
        // segmentSlap throws only for impossible options (a missing position not on this hand).
        if (error instanceof RangeError) throw new JobInputError('invalid-option', error.message);
        throw error;
      }
    });
    if (!result.ok)
      throw new JobInputError(result.error.reason, `Segmentation refused the image: ${result.error.detail}`);
    return {
      value: result.value,
      // Distinct buffers only: transferring one twice is an error.
      transfer: [...new Set(result.value.fingers.map((f) => f.crop.pixels.buffer as ArrayBuffer))],
    };
  },

  finger(input, ctx) {
    const scored = ctx.stage('quality', () => scoreFinger(input, { minutiae: 'extract' }));
    if (!scored.ok)
      throw new JobInputError(
        scored.error.reason,
        `Quality scoring refused the image: ${scored.error.detail}`,
      );
    const { score, identity, feedback, measures } = scored.value;
    const quality: FingerQuality = {
      score,
      identity,
      feedback,
      measures: measures?.measures,
      missing: measures?.missing ?? [],
      print: measures?.crop,
      minutiae: measures?.minutiae ?? [],
    };
    const made =
      input.template === false
        ? { template: null }
        : ctx.stage('template', () => fingerTemplate(input, input.ppi ?? 500));
    if (input.wsq === false) return { value: { quality, wsq: undefined, ...made } };
    const encoded = encodeStage(input, ctx, 'the finger');
    return { value: { quality, wsq: encoded, ...made }, transfer: [encoded.buffer as ArrayBuffer] };
  },

  compare(input, ctx) {
    return ctx.stage('compare', () => {
      try {
        const { score, pairs } = compareTemplates(input.a, input.b);
        return { value: { score, pairs } };
      } catch (error) {
        // A template of another layout or a damaged one (compare checks before it reads).
        if (error instanceof RangeError || error instanceof TypeError)
          throw new JobInputError('invalid-value', error.message);
        throw error;
      }
    });
  },

  'set-check'(input, ctx) {
    const fmr = input.fmr ?? SET_CHECK_FMR;
    let threshold: number;
    try {
      threshold = thresholdForFmr(fmr);
    } catch (error) {
      if (error instanceof RangeError) throw new JobInputError('invalid-option', error.message);
      throw error;
    }
    const result = ctx.stage('compare', () => {
      try {
        return checkEnrollmentSet(
          input.fingers,
          { compare: (a, b) => compareTemplates(a, b).score, matched: (score) => score >= threshold },
          input.geometry ?? {},
        );
      } catch (error) {
        // A position outside 1-10 or given twice; a template of another layout (compare refuses it).
        if (error instanceof RangeError || error instanceof TypeError)
          throw new JobInputError('invalid-value', error.message);
        throw error;
      }
    });
    return { value: { ...result, fmr, threshold } };
  },

  preview(input, ctx) {
    const assessed = ctx.stage('preview', () =>
      assessPreview(input, input.ppi === undefined ? {} : { ppi: input.ppi }),
    );
    if (!assessed.ok)
      throw new JobInputError(
        assessed.error.reason,
        `Preview assessment refused the frame: ${assessed.error.detail}`,
      );
    return { value: assessed.value };
  },

  'wsq-encode'(input, ctx) {
    const encoded = encodeStage(input, ctx, 'the image');
    return { value: encoded, transfer: [encoded.buffer as ArrayBuffer] };
  },

  'face-measures'(input, ctx) {
    const assessment = ctx.stage('face-measures', () => {
      try {
        return computeFaceMeasures(input.image, input.faces);
      } catch (error) {
        // Only a malformed raster or landmarks throw (protocol/face/measures.ts).
        if (error instanceof RangeError) throw new JobInputError('invalid-value', error.message);
        throw error;
      }
    });
    return { value: { assessment, decision: portraitFeedback(assessment) } };
  },

  'face-live'(input, ctx) {
    return ctx.stage('face-live', () => {
      let grey: GreyFrame;
      try {
        grey = toGreyFrame(input.frame, input.scale);
      } catch (error) {
        if (error instanceof RangeError) throw new JobInputError('invalid-value', error.message);
        throw error;
      }
      const { previous } = input;
      const track = previous === null ? null : trackFace(previous.grey, previous.box, grey);
      const tracked =
        previous !== null && track !== null && !track.lost
          ? { box: track.box, anchor: previous.anchor }
          : null;
      return { value: { grey, track, classical: classicalAssessment(grey, tracked) } };
    });
  },

  'wsq-decode'(input, ctx) {
    const decoded = ctx.stage('wsq-decode', () => decodeWsq(input.bytes));
    if (!decoded.ok)
      throw new JobInputError(
        decoded.error.reason,
        `WSQ decoding failed at byte ${decoded.error.offset}: ${decoded.error.detail}`,
      );
    return { value: decoded.value, transfer: [decoded.value.pixels.buffer as ArrayBuffer] };
  },
};
