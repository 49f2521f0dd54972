/**
 * The unified score's inputs and its model: which values go in (SCORE_FEATURES, one definition for
 * the fit script and the station alike), how they are standardised and weighted (ScoreModel, the
 * fitted numbers live in score-model.ts), and the arithmetic from features to a 0..100 score.
 *
 * The model is a logistic regression on standardised features:
 *   z_i = clamp((x_i - mean_i) / scale_i, -Z_LIMIT, Z_LIMIT)
 *   score = 100 / (1 + exp(-(intercept + sum_i weight_i * z_i)))
 * A feature that cannot be computed (NaN: no local region held ridges) counts as the worst
 * standardised value, -Z_LIMIT * sign(weight_i). docs/quality-score.md describes the features and
 * the fit.
 */

import type { QualityMeasureName } from './names.ts';
import type { PrintSignals } from './score-signals.ts';

/** Standardised features are clamped to +-Z_LIMIT so an odd value cannot swing the score alone. */
export const Z_LIMIT = 4;

/** ROI mean grey level of a typical good print (median of the generator's good prints). */
export const ROI_MEAN_KNOT = 162;
/** Share of ROI pixels inked past halfway in a typical good print (median of the generator's good prints). */
export const COVERAGE_KNOT = 0.46;
/** Area above this many pixels (a medium finger at 500 ppi) earns nothing more, px. */
export const AREA_CAP = 100_000;
/** Edge sharpness above this (about a good print's) earns nothing more: sensor noise only adds to it. */
export const FINE_SHARE_CAP = 0.07;
/** Ink depth above this many grey levels earns nothing more (sensor noise only deepens it). */
export const INK_DEPTH_CAP = 150;

type Measures = Readonly<Record<QualityMeasureName, number>>;

export interface ScoreFeature {
  /** Stable name, stored with the weights. */
  readonly name: string;
  /**
   * Which way is better: the fit constrains the weight to this sign (or zero), so a feature can
   * only ever pull the score the way its meaning says.
   */
  readonly sense: 'higher-is-better' | 'lower-is-better';
  /** One line for docs and reports. */
  readonly description: string;
  readonly extract: (measures: Measures, signals: PrintSignals) => number;
}

function share(measures: Measures, family: 'LCS' | 'OCL', bins: readonly number[]): number {
  let total = 0;
  let selected = 0;
  for (let b = 0; b < 10; b++) {
    const count = measures[`${family}_Bin10_${b}` as QualityMeasureName];
    total += count;
    if (bins.includes(b)) selected += count;
  }
  return total > 0 ? selected / total : Number.NaN;
}

const HIGHER = 'higher-is-better';
const LOWER = 'lower-is-better';

/** The model's inputs, in the order of the weights in score-model.ts. */
export const SCORE_FEATURES: readonly ScoreFeature[] = [
  {
    name: 'OCL_Bin10_Mean',
    sense: HIGHER,
    description: 'NFIQ 2 orientation certainty, mean over 32 x 32 blocks',
    extract: (m) => m.OCL_Bin10_Mean,
  },
  {
    name: 'LCS_Bin10_Mean',
    sense: HIGHER,
    description: 'NFIQ 2 local clarity, mean over local regions',
    extract: (m) => m.LCS_Bin10_Mean,
  },
  {
    name: 'LCS_Share_Bin8_9',
    sense: HIGHER,
    description: 'share of local regions with clarity >= 0.85: (LCS_Bin10_8 + _9) / all LCS bins',
    extract: (m) => share(m, 'LCS', [8, 9]),
  },
  {
    name: 'FDA_Bin10_Mean',
    sense: HIGHER,
    description: 'NFIQ 2 frequency domain analysis, mean over local regions',
    extract: (m) => m.FDA_Bin10_Mean,
  },
  {
    name: 'OF_Bin10_Mean',
    sense: LOWER,
    description: 'NFIQ 2 orientation flow, mean over local regions (ridges changing direction abruptly)',
    extract: (m) => m.OF_Bin10_Mean,
  },
  {
    name: 'RVUP_Bin10_StdDev',
    sense: LOWER,
    description: 'NFIQ 2 ridge/valley uniformity, standard deviation over local regions',
    extract: (m) => m.RVUP_Bin10_StdDev,
  },
  {
    name: 'OrientationMap_ROIFilter_CoherenceRel',
    sense: HIGHER,
    description: 'NFIQ 2 orientation-map coherence in the ROI, relative',
    extract: (m) => m.OrientationMap_ROIFilter_CoherenceRel,
  },
  {
    name: 'ROI_Area_Capped',
    sense: HIGHER,
    description: `NFIQ 2 SufficientFingerprintForeground (ROI pixels), capped at ${AREA_CAP}, in thousands`,
    extract: (m) => Math.min(m.SufficientFingerprintForeground, AREA_CAP) / 1000,
  },
  {
    name: 'Ridge_Area_Capped',
    sense: HIGHER,
    description: `area of 16 x 16 blocks showing ridges, capped at ${AREA_CAP} px, in thousands`,
    extract: (_m, s) => Math.min(s.ridgeArea, AREA_CAP) / 1000,
  },
  {
    name: 'ROI_Mean_Darker',
    sense: LOWER,
    description: `grey levels by which NFIQ 2 ImgProcROIArea_Mean is below ${ROI_MEAN_KNOT} (0 if lighter)`,
    extract: (m) => Math.max(0, ROI_MEAN_KNOT - m.ImgProcROIArea_Mean),
  },
  {
    name: 'ROI_Mean_Lighter',
    sense: LOWER,
    description: `grey levels by which NFIQ 2 ImgProcROIArea_Mean is above ${ROI_MEAN_KNOT} (0 if darker)`,
    extract: (m) => Math.max(0, m.ImgProcROIArea_Mean - ROI_MEAN_KNOT),
  },
  {
    name: 'Ink_Depth_Capped',
    sense: HIGHER,
    description: `ink depth (glass minus ridge grey level), capped at ${INK_DEPTH_CAP} grey levels`,
    extract: (_m, s) => Math.min(s.inkDepth, INK_DEPTH_CAP),
  },
  {
    name: 'Ridge_Contrast',
    sense: HIGHER,
    description: 'median 16 x 16 block std-dev in the ROI over the ink depth (sharpness)',
    extract: (_m, s) => s.ridgeContrast,
  },
  {
    name: 'Fine_Share_Capped',
    sense: HIGHER,
    description: `share of the ROI block variance in 3 x 3 detail (edge sharpness), capped at ${FINE_SHARE_CAP}`,
    extract: (_m, s) => Math.min(s.fineShare, FINE_SHARE_CAP),
  },
  {
    name: 'Valley_Fill',
    sense: LOWER,
    description: 'how dark the valleys stay, relative to the ink depth',
    extract: (_m, s) => s.valleyFill,
  },
  {
    name: 'Ink_Coverage_Over',
    sense: LOWER,
    description: `share of ROI pixels inked past halfway, above ${COVERAGE_KNOT} (ridges widened, merged)`,
    extract: (_m, s) => Math.max(0, s.inkCoverage - COVERAGE_KNOT),
  },
  {
    name: 'Ink_Coverage_Under',
    sense: LOWER,
    description: `share of ROI pixels inked past halfway, below ${COVERAGE_KNOT} (ridges thin or broken)`,
    extract: (_m, s) => Math.max(0, COVERAGE_KNOT - s.inkCoverage),
  },
  {
    name: 'Flat_Share',
    sense: LOWER,
    description: 'share of ROI blocks without ridge texture (smeared or blurred)',
    extract: (_m, s) => s.flatShare,
  },
  {
    name: 'Blob_Share',
    sense: LOWER,
    description: 'share of ROI blocks without ridge texture and as dark as the ink (wet blobs)',
    extract: (_m, s) => s.blobShare,
  },
  {
    name: 'Contrast_Anisotropy',
    sense: LOWER,
    description: 'directional loss of contrast (0 when it cannot be measured)',
    extract: (_m, s) => (Number.isNaN(s.contrastAnisotropy) ? 0 : s.contrastAnisotropy),
  },
];

export interface ScoreModelFeature {
  readonly name: string;
  /** Mean of the feature over the fitting set (the standardisation centre). */
  readonly mean: number;
  /** Standard deviation over the fitting set (the standardisation scale). */
  readonly scale: number;
  /** Logistic weight per standard deviation. */
  readonly weight: number;
}

export interface ScoreModel {
  /** Model version: part of the algorithm identity; bumped whenever a number here changes. */
  readonly version: string;
  readonly intercept: number;
  readonly features: readonly ScoreModelFeature[];
  /** How the numbers were obtained (scripts/fit-quality-score.ts), for the record. */
  readonly fit: {
    readonly samples: number;
    readonly fitSeeds: string;
    readonly validationSeeds: string;
    readonly lambda: number;
    readonly validation: {
      readonly samples: number;
      /** Root mean square error against the label, score points. */
      readonly rmse: number;
      /** Mean absolute error against the label, score points. */
      readonly mae: number;
      /** Spearman rank correlation between score and label. */
      readonly spearman: number;
    };
  };
}

/** Raw feature values of one print, in SCORE_FEATURES order. */
export function scoreFeatureVector(measures: Measures, signals: PrintSignals): Float64Array {
  const out = new Float64Array(SCORE_FEATURES.length);
  SCORE_FEATURES.forEach((feature, i) => {
    out[i] = feature.extract(measures, signals);
  });
  return out;
}

/** The linear predictor (log-odds) of raw features under `model`. */
export function scoreLogit(features: ArrayLike<number>, model: ScoreModel): number {
  let logit = model.intercept;
  model.features.forEach((feature, i) => {
    const x = features[i] ?? Number.NaN;
    const z = Number.isNaN(x)
      ? -Z_LIMIT * Math.sign(feature.weight)
      : Math.max(-Z_LIMIT, Math.min(Z_LIMIT, (x - feature.mean) / feature.scale));
    logit += feature.weight * z;
  });
  return logit;
}

/** The unrounded score 0..100 of raw features under `model`. */
export function scoreFromFeatures(features: ArrayLike<number>, model: ScoreModel): number {
  return 100 / (1 + Math.exp(-scoreLogit(features, model)));
}
