/**
 * Measure names. NIST's are NFIQ 2 v2.3's native quality measure identifiers (ISO/IEC 29794-4:2024
 * 6.2.16; NFIQ2 `getNativeQualityMeasureIDs`), in NIST's order; the four FingerJet FX minutiae
 * measures have counterparts of our own, computed on our minutiae and named apart so nobody
 * mistakes them for NIST's.
 */

import { HISTOGRAM_FAMILIES, type HistogramFamily } from './histogram.ts';

type Bin = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
export type HistogramMeasureName = `${HistogramFamily}_Bin10_${Bin | 'Mean' | 'StdDev'}`;

/** NIST's measures that depend on FingerJet FX minutiae; we cannot reproduce them. */
export type FingerJetMeasureName =
  | 'FingerJetFX_MinCount_COMMinRect200x200'
  | 'FingerJetFX_MinutiaeCount'
  | 'FJFXPos_Mu_MinutiaeQuality_2'
  | 'FJFXPos_OCL_MinutiaeQuality_80';

/** NIST's measures we compute by NIST's definition, under NIST's names. */
export type NistComputedMeasureName =
  | HistogramMeasureName
  | 'ImgProcROIArea_Mean'
  | 'MMB'
  | 'Mu'
  | 'OrientationMap_ROIFilter_CoherenceRel'
  | 'OrientationMap_ROIFilter_CoherenceSum';

export type NistMeasureName = NistComputedMeasureName | FingerJetMeasureName;

/** Our counterparts of the FingerJet FX measures, computed the same way on our own minutiae. */
export type MinutiaeMeasureName =
  | 'Minutiae_Count'
  | 'Minutiae_COMMinRect200x200'
  | 'MinutiaeQuality_Mu2'
  | 'MinutiaeQuality_OCL80';

/** NFIQ 2's actionable quality feedback values (NFIQ2 `nfiq2_qualitymeasures_impl.cpp`). */
export type ActionableFeedbackName =
  | 'UniformImage'
  | 'EmptyImageOrContrastTooLow'
  | 'FingerprintImageWithMinutiae'
  | 'SufficientFingerprintForeground';

/** Every value `computeQualityMeasures` returns in `measures`. */
export type QualityMeasureName = NistComputedMeasureName | MinutiaeMeasureName | ActionableFeedbackName;

const BINS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'Mean', 'StdDev'] as const;

function histogramNames(family: HistogramFamily): HistogramMeasureName[] {
  return BINS.map((bin) => `${family}_Bin10_${bin}` as HistogramMeasureName);
}

/** The 60 histogram measures, family by family. */
export const HISTOGRAM_MEASURE_NAMES: readonly HistogramMeasureName[] =
  HISTOGRAM_FAMILIES.flatMap(histogramNames);

/** All 69 NFIQ 2 v2.3 native quality measures, in NIST's order. */
export const NIST_MEASURE_NAMES: readonly NistMeasureName[] = [
  ...histogramNames('FDA'),
  'FingerJetFX_MinCount_COMMinRect200x200',
  'FingerJetFX_MinutiaeCount',
  'FJFXPos_Mu_MinutiaeQuality_2',
  'FJFXPos_OCL_MinutiaeQuality_80',
  'ImgProcROIArea_Mean',
  ...histogramNames('LCS'),
  'MMB',
  'Mu',
  ...histogramNames('OCL'),
  ...histogramNames('OF'),
  'OrientationMap_ROIFilter_CoherenceRel',
  'OrientationMap_ROIFilter_CoherenceSum',
  ...histogramNames('RVUP'),
];

/** The 65 NIST measures we compute under NIST's names (all but the FingerJet FX four). */
export const NIST_COMPUTED_MEASURE_NAMES: readonly NistComputedMeasureName[] = NIST_MEASURE_NAMES.filter(
  (name): name is NistComputedMeasureName => !name.startsWith('FingerJetFX_') && !name.startsWith('FJFXPos_'),
);

/** Which NIST measure each of ours stands in for. */
export const MINUTIAE_COUNTERPARTS: Readonly<Record<MinutiaeMeasureName, FingerJetMeasureName>> = {
  Minutiae_Count: 'FingerJetFX_MinutiaeCount',
  Minutiae_COMMinRect200x200: 'FingerJetFX_MinCount_COMMinRect200x200',
  MinutiaeQuality_Mu2: 'FJFXPos_Mu_MinutiaeQuality_2',
  MinutiaeQuality_OCL80: 'FJFXPos_OCL_MinutiaeQuality_80',
};

export const MINUTIAE_MEASURE_NAMES: readonly MinutiaeMeasureName[] = [
  'Minutiae_Count',
  'Minutiae_COMMinRect200x200',
  'MinutiaeQuality_Mu2',
  'MinutiaeQuality_OCL80',
];

export const ACTIONABLE_FEEDBACK_NAMES: readonly ActionableFeedbackName[] = [
  'UniformImage',
  'EmptyImageOrContrastTooLow',
  'FingerprintImageWithMinutiae',
  'SufficientFingerprintForeground',
];

/** Every key of `QualityMeasures.measures`: 65 NIST, 4 minutiae, 4 feedback. */
export const QUALITY_MEASURE_NAMES: readonly QualityMeasureName[] = [
  ...NIST_COMPUTED_MEASURE_NAMES,
  ...MINUTIAE_MEASURE_NAMES,
  ...ACTIONABLE_FEEDBACK_NAMES,
];
