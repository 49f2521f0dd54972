/**
 * The ten-bin histograms NFIQ 2 reports for its five local-region measures, with the mean and
 * standard deviation of the local values (ISO/IEC 29794-4:2024 6.2.16, quality feature vector; NFIQ2
 * `common_functions.cpp` addHistogramFeatures).
 *
 * Bin i counts values v with boundary[i-1] <= v < boundary[i]; bin 0 is everything below the first
 * boundary and bin 9 everything from the ninth up, infinities included. The standard deviation is
 * the population one (divide by n), as OpenCV's meanStdDev computes it.
 */

/** The nine inner boundaries of each family, as NFIQ 2 v2.3 hard-codes them. */
export const HISTOGRAM_BOUNDARIES = {
  /** FDA.h FDAHISTLIMITS */
  FDA: [0.268, 0.304, 0.33, 0.355, 0.38, 0.407, 0.44, 0.5, 1],
  /** LCS.h LCSHISTLIMITS */
  LCS: [0, 0.7, 0.74, 0.77, 0.79, 0.81, 0.83, 0.85, 0.87],
  /** OCLHistogram.h OCLPHISTLIMITS */
  OCL: [0.337, 0.479, 0.579, 0.655, 0.716, 0.766, 0.81, 0.852, 0.898],
  /** OF.h OFHISTLIMITS */
  OF: [1.715e-2, 3.5e-2, 5.57e-2, 8.1e-2, 1.15e-1, 1.718e-1, 2.569e-1, 4.758e-1, 7.48e-1],
  /** RVUPHistogram.h RVUPHISTLIMITS */
  RVUP: [0.5, 0.667, 0.8, 1, 1.25, 1.5, 2, 24, 30],
} as const satisfies Record<string, readonly number[]>;

export type HistogramFamily = keyof typeof HISTOGRAM_BOUNDARIES;

export const HISTOGRAM_FAMILIES: readonly HistogramFamily[] = ['FDA', 'LCS', 'OCL', 'OF', 'RVUP'];

export interface Histogram {
  /** Counts per bin, ten of them. */
  readonly bins: readonly number[];
  /** Mean of the values; NaN when there are none. */
  readonly mean: number;
  /** Population standard deviation; NaN when there are none. */
  readonly stdDev: number;
  /** How many values went in. */
  readonly count: number;
}

/** Bins `count` values of `values` against a family's boundaries. */
export function histogram(
  family: HistogramFamily,
  values: ArrayLike<number>,
  count = values.length,
): Histogram {
  const limits = HISTOGRAM_BOUNDARIES[family];
  const bins = new Array<number>(10).fill(0);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i] ?? 0;
    let bin = 0;
    // NaN stays in bin 0, like NIST's loop, which only moves on while `v >= bound`.
    while (bin < 9 && v >= (limits[bin] ?? 0)) bin++;
    bins[bin] = (bins[bin] ?? 0) + 1;
    sum += v;
  }
  if (count === 0) return { bins, mean: Number.NaN, stdDev: Number.NaN, count };
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) {
    const d = (values[i] ?? 0) - mean;
    squares += d * d;
  }
  return { bins, mean, stdDev: Math.sqrt(squares / count), count };
}
