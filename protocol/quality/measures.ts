/**
 * computeQualityMeasures: every NFIQ 2 v2.3 native quality measure (ISO/IEC 29794-4:2024) of one
 * 500 ppi fingerprint, plus NFIQ 2's actionable feedback values and our own minutiae measures,
 * with the block maps the station's score and officer feedback are built from.
 *
 * Order of work follows NIST's `computeNativeQualityMeasureAlgorithms`: trim the near-white frame,
 * then compute every measure on the trimmed print.
 */

import { extractMinutiae } from '../fingerprint/ridges.ts';
import {
  BLOCK,
  type BlockGrid,
  blockGradients,
  greyStatistics,
  orientationCertainty,
  orientationMap,
} from './blocks.ts';
import { type CropBox, cropPixels, findPrintBox } from './crop.ts';
import { type Histogram, type HistogramFamily, histogram } from './histogram.ts';
import { MAX_INPUT_SIDE, MAX_PRINT_HEIGHT, MAX_PRINT_WIDTH, MIN_SIDE } from './limits.ts';
import { type LocalRegionMaps, localRegions } from './local-regions.ts';
import { type MinutiaPoint, minutiaeMeasures } from './minutiae.ts';
import { QUALITY_MEASURE_NAMES, type QualityMeasureName } from './names.ts';
import { regionOfInterest } from './roi.ts';

export interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey, 0 black, `width * height` bytes, 500 ppi. */
  readonly pixels: Uint8Array;
}

export interface QualityOptions {
  /**
   * Minutiae of this image in input-image pixels, when the caller has them already (the station
   * extracts them for the template anyway), so they are not extracted twice. Points outside the
   * trimmed print are ignored. Default: extractMinutiae on the trimmed print.
   */
  readonly minutiae?: readonly MinutiaPoint[];
}

/** Why an image was refused. A fixed set: callers switch on it, never on `detail`. */
export type QualityErrorReason =
  /** Width or height is 0, or there are no pixels. */
  | 'empty'
  /** Width or height is not a positive integer. */
  | 'invalid-size'
  /** The pixel buffer is not `width * height` bytes. */
  | 'size-mismatch'
  /** The image, or the print after trimming its white frame, is below MIN_SIDE on a side. */
  | 'too-small'
  /** The image is above MAX_INPUT_SIDE, or the trimmed print above 800 x 1000 px. */
  | 'too-large';

export interface QualityError {
  readonly reason: QualityErrorReason;
  /** For logs and developers; never parsed. */
  readonly detail: string;
  /** The size examined when the problem was found (input, or trimmed print), px. */
  readonly width: number;
  readonly height: number;
}

export type QualityResult =
  | { readonly ok: true; readonly value: QualityMeasures }
  | { readonly ok: false; readonly error: QualityError };

/** NFIQ 2's thresholds for the actionable feedback (NFIQ2 Thresholds::ActionableQualityFeedback). */
export const ACTIONABLE_THRESHOLDS = {
  /** Feedback when the grey-level standard deviation is below this. */
  UniformImage: 1,
  /** Feedback when the mean grey level is above this. */
  EmptyImageOrContrastTooLow: 250,
  /** Feedback when fewer minutiae than this are found. */
  FingerprintImageWithMinutiae: 5,
  /** Feedback when the ROI holds fewer pixels than this. */
  SufficientFingerprintForeground: 50000,
} as const;

/** Which actionable feedback applies; true means "tell the officer". */
export interface ActionableFeedback {
  readonly uniformImage: boolean;
  readonly emptyImageOrContrastTooLow: boolean;
  readonly tooFewMinutiae: boolean;
  readonly insufficientForeground: boolean;
}

/**
 * Per-block maps, all row-major over their grid, in trimmed-print pixels (add `crop.left/top` for
 * input pixels). NaN marks blocks a measure does not cover.
 */
export interface QualityMaps {
  /** The 32 x 32 grid from the print's top-left corner, partial blocks at right and bottom included. */
  readonly blocks: BlockGrid;
  /** Ridge segmentation (block grey-level std-dev above 0.1 of the print's), 1 = foreground. */
  readonly segmentation: Uint8Array;
  /** Orientation certainty level per full block, 0..1 (NaN for partial or featureless blocks). */
  readonly ocl: Float64Array;
  /** Blocks holding at least one ROI pixel, 1 = yes. */
  readonly roiBlocks: Uint8Array;
  /** Orientation-map coherence per ROI block, 0..1. */
  readonly coherence: Float64Array;
  /** Ridge direction per ROI block, whole degrees 0..180 (NFIQ 2's orientation map). */
  readonly orientationDegrees: Float64Array;
  /** FDA, LCS, OF and RVU per local region (grid origin (2, 2), side 32). */
  readonly regions: LocalRegionMaps;
  /** The ROI, 1 per foreground pixel, `crop.width * crop.height`. */
  readonly roiMask: Uint8Array;
}

export interface QualityMeasures {
  /**
   * Every measure by name (QUALITY_MEASURE_NAMES): NIST's 65 native measures we compute, under
   * NIST's names; Minutiae_* on our minutiae; the four actionable feedback values. Histogram
   * families without any local value have zero counts and NaN mean and StdDev.
   */
  readonly measures: Readonly<Record<QualityMeasureName, number>>;
  readonly feedback: ActionableFeedback;
  /** The trimmed print inside the input, px. */
  readonly crop: CropBox;
  readonly maps: QualityMaps;
  /** Minutiae used, in input pixels. */
  readonly minutiae: readonly MinutiaPoint[];
  /** Where they came from. */
  readonly minutiaeSource: 'extracted' | 'supplied';
  /** Names whose value is NaN (a histogram family with no local region, e.g. a blank image). */
  readonly missing: readonly QualityMeasureName[];
}

function refuse(reason: QualityErrorReason, detail: string, width: number, height: number): QualityResult {
  return { ok: false, error: { reason, detail, width, height } };
}

/**
 * Computes the NFIQ 2 native quality measures of a 500 ppi single-finger image.
 *
 * Never throws for bad input: returns `{ ok: false, error }` with reason `empty`, `invalid-size`,
 * `size-mismatch`, `too-small` (a side below MIN_SIDE = 36 px, before or after trimming) or
 * `too-large` (a side above MAX_INPUT_SIDE = 4000 px, or a trimmed print above 800 x 1000 px).
 * A blank or uniform image is not an error: it comes back with its feedback flags set and NaN
 * histogram means (listed in `missing`).
 * Units: grey levels (Mu, MMB, ImgProcROIArea_Mean, UniformImage, EmptyImageOrContrastTooLow),
 * pixels (SufficientFingerprintForeground), counts and ratios elsewhere.
 */
export function computeQualityMeasures(image: GreyImage, options: QualityOptions = {}): QualityResult {
  const { width, height, pixels } = image;
  if (width === 0 || height === 0 || pixels.length === 0)
    return refuse('empty', `image is ${width}x${height} with ${pixels.length} bytes`, width, height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0)
    return refuse(
      'invalid-size',
      `image size ${width}x${height} is not a positive integer size`,
      width,
      height,
    );
  if (width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE)
    return refuse(
      'too-large',
      `image is ${width}x${height}; at most ${MAX_INPUT_SIDE} px a side`,
      width,
      height,
    );
  if (pixels.length !== width * height)
    return refuse(
      'size-mismatch',
      `${pixels.length} bytes for ${width}x${height} (expected ${width * height})`,
      width,
      height,
    );
  if (width < MIN_SIDE || height < MIN_SIDE)
    return refuse('too-small', `image is ${width}x${height}; at least ${MIN_SIDE} px a side`, width, height);

  const crop = findPrintBox(pixels, width, height);
  if (crop.width > MAX_PRINT_WIDTH || crop.height > MAX_PRINT_HEIGHT)
    return refuse(
      'too-large',
      `print is ${crop.width}x${crop.height} after trimming; NFIQ 2 takes at most ${MAX_PRINT_WIDTH}x${MAX_PRINT_HEIGHT} (one 500 ppi finger)`,
      crop.width,
      crop.height,
    );
  if (crop.width < MIN_SIDE || crop.height < MIN_SIDE)
    return refuse(
      'too-small',
      `print is ${crop.width}x${crop.height} after trimming; at least ${MIN_SIDE} px a side`,
      crop.width,
      crop.height,
    );

  const w = crop.width;
  const h = crop.height;
  const print = cropPixels(pixels, width, crop);

  const grey = greyStatistics(print, w, h);
  const segmentation = grey.segmentation;
  const local = localRegions(print, w, h, segmentation);
  const gradients = blockGradients(print, w, h);
  const ocl = orientationCertainty(gradients);
  const roi = regionOfInterest(print, w, h);
  const map = orientationMap(gradients, roi.blocks);

  let minutiae: MinutiaPoint[];
  let minutiaeSource: 'extracted' | 'supplied';
  if (options.minutiae !== undefined) {
    minutiaeSource = 'supplied';
    minutiae = [];
    for (const m of options.minutiae) {
      const x = m.x - crop.left;
      const y = m.y - crop.top;
      if (x >= 0 && y >= 0 && x < w && y < h) minutiae.push({ x, y });
    }
  } else {
    minutiaeSource = 'extracted';
    minutiae = extractMinutiae({ width: w, height: h, pixels: print }).minutiae.map((m) => ({
      x: m.x,
      y: m.y,
    }));
  }
  const minutia = minutiaeMeasures(print, w, h, grey.mu, grey.sigma, minutiae);

  const oclValues: number[] = [];
  for (const v of ocl) if (!Number.isNaN(v)) oclValues.push(v);
  const histograms: Record<HistogramFamily, Histogram> = {
    FDA: histogram('FDA', local.fda),
    LCS: histogram('LCS', local.lcs),
    OCL: histogram('OCL', oclValues),
    OF: histogram('OF', local.of),
    RVUP: histogram('RVUP', local.rvu),
  };

  const values = new Map<QualityMeasureName, number>();
  for (const [family, hist] of Object.entries(histograms) as [HistogramFamily, Histogram][]) {
    hist.bins.forEach((count, bin) => {
      values.set(`${family}_Bin10_${bin}` as QualityMeasureName, count);
    });
    values.set(`${family}_Bin10_Mean`, hist.mean);
    values.set(`${family}_Bin10_StdDev`, hist.stdDev);
  }
  values.set('Mu', grey.mu);
  values.set('MMB', grey.mmb);
  values.set('ImgProcROIArea_Mean', roi.mean);
  values.set('OrientationMap_ROIFilter_CoherenceSum', map.coherenceSum);
  values.set('OrientationMap_ROIFilter_CoherenceRel', map.coherenceRel);
  values.set('Minutiae_Count', minutia.count);
  values.set('Minutiae_COMMinRect200x200', minutia.inCentreBox);
  values.set('MinutiaeQuality_Mu2', minutia.muQuality2);
  values.set('MinutiaeQuality_OCL80', minutia.oclQuality80);
  values.set('UniformImage', grey.sigma);
  values.set('EmptyImageOrContrastTooLow', grey.mu);
  values.set('FingerprintImageWithMinutiae', minutia.count);
  values.set('SufficientFingerprintForeground', roi.pixels);

  const measures = {} as Record<QualityMeasureName, number>;
  const missing: QualityMeasureName[] = [];
  for (const name of QUALITY_MEASURE_NAMES) {
    const v = values.get(name) ?? Number.NaN;
    measures[name] = v;
    if (Number.isNaN(v)) missing.push(name);
  }

  return {
    ok: true,
    value: {
      measures,
      feedback: {
        uniformImage: grey.sigma < ACTIONABLE_THRESHOLDS.UniformImage,
        emptyImageOrContrastTooLow: grey.mu > ACTIONABLE_THRESHOLDS.EmptyImageOrContrastTooLow,
        tooFewMinutiae: minutia.count < ACTIONABLE_THRESHOLDS.FingerprintImageWithMinutiae,
        insufficientForeground: roi.pixels < ACTIONABLE_THRESHOLDS.SufficientFingerprintForeground,
      },
      crop,
      maps: {
        blocks: {
          originX: 0,
          originY: 0,
          size: BLOCK,
          cols: Math.ceil(w / BLOCK),
          rows: Math.ceil(h / BLOCK),
        },
        segmentation,
        ocl,
        roiBlocks: roi.blocks,
        coherence: map.coherence,
        orientationDegrees: map.degrees,
        regions: local.maps,
        roiMask: roi.mask,
      },
      minutiae: minutiae.map((m) => ({ x: m.x + crop.left, y: m.y + crop.top })),
      minutiaeSource,
      missing,
    },
  };
}
