/**
 * NFIQ 2 native quality measures (ISO/IEC 29794-4:2024; NIST NFIQ 2 v2.3) in pure TypeScript on
 * typed arrays. See README.md in this folder for the definitions followed, the comparison with
 * NIST's expected outputs and what differs.
 */

export type { BlockGrid } from './blocks.ts';
export type { CropBox } from './crop.ts';
export {
  assessFeedback,
  CONTRADICTORY_FEEDBACK,
  FEEDBACK_CODES,
  FEEDBACK_MESSAGES,
  FEEDBACK_THRESHOLDS,
  type FeedbackCode,
  noFingerFeedback,
  type OfficerMessage,
  type QualityFeedback,
} from './feedback.ts';
export { HISTOGRAM_BOUNDARIES, HISTOGRAM_FAMILIES, type HistogramFamily } from './histogram.ts';
export { MAX_INPUT_SIDE, MAX_PRINT_HEIGHT, MAX_PRINT_WIDTH, MIN_SIDE } from './limits.ts';
export type { LocalRegionMaps } from './local-regions.ts';
export {
  ACTIONABLE_THRESHOLDS,
  type ActionableFeedback,
  computeQualityMeasures,
  type GreyImage,
  type QualityError,
  type QualityErrorReason,
  type QualityMaps,
  type QualityMeasures,
  type QualityOptions,
  type QualityResult,
} from './measures.ts';
export type { MinutiaPoint } from './minutiae.ts';
export {
  ACTIONABLE_FEEDBACK_NAMES,
  type ActionableFeedbackName,
  type FingerJetMeasureName,
  HISTOGRAM_MEASURE_NAMES,
  type HistogramMeasureName,
  MINUTIAE_COUNTERPARTS,
  MINUTIAE_MEASURE_NAMES,
  type MinutiaeMeasureName,
  NIST_COMPUTED_MEASURE_NAMES,
  NIST_MEASURE_NAMES,
  type NistComputedMeasureName,
  type NistMeasureName,
  QUALITY_MEASURE_NAMES,
  type QualityMeasureName,
} from './names.ts';
export {
  assessPreview,
  PREVIEW_THRESHOLDS,
  type PreviewAssessment,
  type PreviewError,
  type PreviewErrorReason,
  type PreviewOptions,
  type PreviewResult,
} from './preview.ts';
export {
  type FingerScore,
  SCORE_IDENTITY,
  type ScoreError,
  type ScoreIdentity,
  type ScoreOptions,
  type ScoreResult,
  scoreFinger,
  scoreOf,
} from './score.ts';
export {
  SCORE_FEATURES,
  type ScoreFeature,
  type ScoreModel,
  type ScoreModelFeature,
  scoreFeatureVector,
  scoreFromFeatures,
  Z_LIMIT,
} from './score-features.ts';
export { SCORE_MODEL } from './score-model.ts';
export { FULL_FRAME_SHARE, type PrintSignals, printSignals } from './score-signals.ts';
