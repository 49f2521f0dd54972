/**
 * The station's unified fingerprint quality score, 0..100: a logistic model over NFIQ 2 native
 * measures and our print signals (score-features.ts; weights in score-model.ts, fitted by
 * scripts/fit-quality-score.ts on generated prints), with officer feedback (feedback.ts).
 *
 * THIS IS NOT NFIQ 2. NFIQ 2's unified score comes from NIST's random forest, which we do not
 * run; ours is our own model and carries its own algorithm identity (SCORE_IDENTITY) so that no
 * record ever presents it as NFIQ 2. docs/quality-score.md describes the model and its fit.
 */

import { assessFeedback, noFingerFeedback, type QualityFeedback } from './feedback.ts';
import { MIN_SIDE } from './limits.ts';
import {
  computeQualityMeasures,
  type GreyImage,
  type QualityErrorReason,
  type QualityMeasures,
} from './measures.ts';
import type { MinutiaPoint } from './minutiae.ts';
import { scoreFeatureVector, scoreFromFeatures } from './score-features.ts';
import { SCORE_MODEL } from './score-model.ts';
import { type PrintSignals, printSignals } from './score-signals.ts';

/**
 * Who made the score and which model produced it, as a quality record carries it (ISO/IEC 19794-4
 * and 39794-4 quality blocks: algorithm vendor and algorithm identifiers; ANSI/NIST-ITL 1-2011
 * field 14.024 FQM: QAV vendor, 4 hex digits, and QAP product code).
 */
export interface ScoreIdentity {
  /**
   * CBEFF biometric organisation of the algorithm's vendor. 0x0000: not registered. The project
   * holds no IBIA organisation identifier, and 0x0000 is what ISO/IEC 19794 quality blocks mean by
   * "vendor not specified"; NFIQ 2 is 0x0101 (ISO/IEC JTC 1 SC 37), which this score must never use.
   */
  readonly vendorId: number;
  /** Product code of our score within the vendor's numbering: 0x0001, the first one. */
  readonly productId: number;
  /** Model version (score-model.ts): changes whenever a weight, feature or label changes. */
  readonly version: string;
}

export const SCORE_IDENTITY: ScoreIdentity = Object.freeze({
  vendorId: 0x0000,
  productId: 0x0001,
  version: SCORE_MODEL.version,
});

export interface ScoreOptions {
  /**
   * Minutiae of this image in input pixels, if the caller has them (the station extracts them
   * for the template), or 'extract' to run our extractor on the print (about 10 ms on 500 x 500).
   * They only fill NFIQ 2's minutiae measures for the record: the score does not use minutiae, so
   * when omitted none are extracted and those measures are 0.
   */
  readonly minutiae?: readonly MinutiaPoint[] | 'extract';
}

export interface FingerScore {
  /** 0..100, higher is better; an integer, as quality records store it. 0 when no finger is seen. */
  readonly score: number;
  readonly identity: ScoreIdentity;
  /** What to tell the officer, most urgent first; empty for a good print. */
  readonly feedback: readonly QualityFeedback[];
  /** NFIQ 2 native measures; undefined when the image held no print at all (all near-white). */
  readonly measures: QualityMeasures | undefined;
  /** The print signals the score and feedback read; undefined with `measures`. */
  readonly signals: PrintSignals | undefined;
  /** Whether NFIQ 2's minutiae measures hold supplied or extracted minutiae, or were left at zero. */
  readonly minutiae: 'supplied' | 'extracted' | 'not-computed';
}

export interface ScoreError {
  /** computeQualityMeasures' refusal reasons: empty, invalid-size, size-mismatch, too-small, too-large. */
  readonly reason: QualityErrorReason;
  /** For logs and developers; never parsed. */
  readonly detail: string;
  readonly width: number;
  readonly height: number;
}

export type ScoreResult =
  | { readonly ok: true; readonly value: FingerScore }
  | { readonly ok: false; readonly error: ScoreError };

/**
 * The unrounded score 0..100 of a print whose measures and signals are known (the fit script and
 * tests use it; callers want scoreFinger).
 */
export function scoreOf(measures: QualityMeasures, signals: PrintSignals): number {
  return scoreFromFeatures(scoreFeatureVector(measures.measures, signals), SCORE_MODEL);
}

/**
 * Scores one 500 ppi single-finger image: NFIQ 2 native measures, our print signals, the unified
 * score 0..100 with its identity, and officer feedback.
 *
 * Never throws for bad input. Returns `{ ok: false, error }` for an image NFIQ 2's measures refuse:
 * `empty` (0 wide or high, no bytes), `invalid-size`, `size-mismatch` (bytes != width x height),
 * `too-small` (a side under 36 px), `too-large` (a side over 4000 px, or a print over 800 x 1000 px
 * after trimming: a slap or a 1000 ppi image). An image large enough but with nothing darker than
 * the near-white frame (all white) is not an error: it scores 0 with FINGER_NOT_DETECTED, as does
 * an image where the feedback finds no finger (empty glass, a faint latent).
 * Costs about 30 ms on 500 x 500 (bench/quality-score.ts).
 */
export function scoreFinger(image: GreyImage, options: ScoreOptions = {}): ScoreResult {
  const minutiae = options.minutiae;
  const result = computeQualityMeasures(image, minutiae === 'extract' ? {} : { minutiae: minutiae ?? [] });
  const identity = SCORE_IDENTITY;
  const source = minutiae === undefined ? 'not-computed' : minutiae === 'extract' ? 'extracted' : 'supplied';
  if (!result.ok) {
    const { width, height, pixels } = image;
    const wellFormed =
      Number.isInteger(width) &&
      Number.isInteger(height) &&
      width >= MIN_SIDE &&
      height >= MIN_SIDE &&
      pixels.length === width * height;
    // The input was fine; trimming its near-white frame left (almost) nothing: no finger.
    if (result.error.reason === 'too-small' && wellFormed)
      return {
        ok: true,
        value: {
          score: 0,
          identity,
          feedback: [noFingerFeedback({ printWidth: result.error.width, printHeight: result.error.height })],
          measures: undefined,
          signals: undefined,
          minutiae: source,
        },
      };
    return { ok: false, error: result.error };
  }
  const measures = result.value;
  const signals = printSignals(image, measures);
  const feedback = assessFeedback(measures.measures, signals);
  const noFinger = feedback.some((f) => f.code === 'FINGER_NOT_DETECTED');
  const score = noFinger ? 0 : Math.round(scoreOf(measures, signals));
  return { ok: true, value: { score, identity, feedback, measures, signals, minutiae: source } };
}
