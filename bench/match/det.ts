/**
 * Error rates from score distributions (ISO/IEC 19795-1 terms): a comparison decides "match" when
 * its score is at or above the threshold. The false match rate (FMR) is the share of impostor
 * comparisons that match, the false non-match rate (FNMR) the share of genuine ones that do not.
 * Comparisons that could not be made (a template too poor to compare) are counted apart, never as
 * scores: FMR and FNMR are over the comparisons made, and `fnmrWithFailures` adds the genuine
 * failures to the non-matches.
 */

/** The FMRs the reports name: 1 %, 0.1 % (the headline) and 0.01 %. */
export const HEADLINE_FMRS = [0.01, 0.001, 0.0001] as const;
/** The rows of the DET table, largest FMR first. */
export const DET_FMRS = [
  0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001, 0.00005,
] as const;

/** Impostor scores sorted from highest to lowest: the form every function here takes. */
export type Descending = Float64Array & { readonly __descending: true };

/** @returns a sorted copy (highest first); NaN is refused as a programmer error. */
export function descending(scores: ArrayLike<number>): Descending {
  const copy = Float64Array.from(scores);
  for (const v of copy) if (Number.isNaN(v)) throw new RangeError('a score is NaN');
  copy.sort().reverse();
  return copy as Descending;
}

export interface OperatingPoint {
  /** The FMR asked for. */
  readonly target: number;
  /** Lowest threshold whose FMR is at most the target; NaN when the target is below the resolution. */
  readonly threshold: number;
  /** The FMR that threshold gives on these impostors. */
  readonly fmr: number;
  /** Genuine comparisons below the threshold, over those made. */
  readonly fnmr: number;
}

/**
 * The smallest threshold with FMR <= target: just above the impostor score of rank floor(target N)
 * (highest first). NaN when target N < 1, which no threshold can show on N impostors (only "no
 * impostor matched", an FMR below 1 / N, not at the target).
 */
export function thresholdAt(impostors: Descending, target: number): number {
  const n = impostors.length;
  const allowed = Math.floor(target * n + 1e-9);
  if (n === 0 || allowed < 1) return Number.NaN;
  if (allowed >= n) return Number.NEGATIVE_INFINITY;
  return nextAbove(impostors[allowed] ?? 0);
}

/** The next double above v: a threshold strictly above a score. */
export function nextAbove(v: number): number {
  if (v === 0) return Number.MIN_VALUE;
  const buffer = new Float64Array([v]);
  const bits = new BigInt64Array(buffer.buffer);
  bits[0] = (bits[0] ?? 0n) + (v > 0 ? 1n : -1n);
  return buffer[0] ?? v;
}

/** Share of scores at or above `threshold`. */
export function rateAtOrAbove(scores: ArrayLike<number>, threshold: number): number {
  if (scores.length === 0) return Number.NaN;
  let count = 0;
  for (let i = 0; i < scores.length; i++) if ((scores[i] ?? 0) >= threshold) count++;
  return count / scores.length;
}

export function operatingPoint(
  genuine: ArrayLike<number>,
  impostors: Descending,
  target: number,
): OperatingPoint {
  const threshold = thresholdAt(impostors, target);
  if (Number.isNaN(threshold)) return { target, threshold, fmr: Number.NaN, fnmr: Number.NaN };
  return {
    target,
    threshold,
    fmr: rateAtOrAbove(impostors, threshold),
    fnmr: genuine.length === 0 ? Number.NaN : 1 - rateAtOrAbove(genuine, threshold),
  };
}

export interface EqualError {
  /** (FMR + FNMR) / 2 where the two are closest (the FVC definition). */
  readonly eer: number;
  readonly threshold: number;
}

/**
 * The equal error rate: over every distinct score taken as the threshold, the one where FMR and
 * FNMR are closest, and their mean there.
 */
export function equalErrorRate(genuine: ArrayLike<number>, impostors: Descending): EqualError {
  const g = descending(genuine);
  if (g.length === 0 || impostors.length === 0) return { eer: Number.NaN, threshold: Number.NaN };
  // Walk the thresholds from high to low: FMR rises, FNMR falls.
  const candidates = descending([...g, ...impostors]);
  let best = { eer: Number.NaN, threshold: Number.NaN, gap: Number.POSITIVE_INFINITY };
  let gi = 0;
  let ii = 0;
  let previous = Number.NaN;
  for (const t of candidates) {
    if (t === previous) continue;
    previous = t;
    while (gi < g.length && (g[gi] ?? 0) >= t) gi++;
    while (ii < impostors.length && (impostors[ii] ?? 0) >= t) ii++;
    const fmr = ii / impostors.length;
    const fnmr = 1 - gi / g.length;
    const gap = Math.abs(fmr - fnmr);
    if (gap < best.gap) best = { eer: (fmr + fnmr) / 2, threshold: t, gap };
  }
  return { eer: best.eer, threshold: best.threshold };
}

export interface RateSummary {
  readonly genuine: number;
  readonly impostors: number;
  /** Genuine pairs that could not be compared (a template missing). */
  readonly genuineFailures: number;
  readonly eer: number;
  readonly points: readonly OperatingPoint[];
  /** FNMR at each point with the failures counted as non-matches. */
  readonly fnmrWithFailures: readonly number[];
}

/**
 * FNMR at each target FMR and the EER, the thresholds taken from `impostors` (so several genuine
 * subsets can be read at the same operating thresholds).
 */
export function summarizeRates(
  genuine: ArrayLike<number>,
  impostors: Descending,
  targets: readonly number[],
  genuineFailures = 0,
): RateSummary {
  const points = targets.map((t) => operatingPoint(genuine, impostors, t));
  const made = genuine.length;
  return {
    genuine: made,
    impostors: impostors.length,
    genuineFailures,
    eer: equalErrorRate(genuine, impostors).eer,
    points,
    fnmrWithFailures: points.map((p) =>
      made + genuineFailures === 0
        ? Number.NaN
        : (p.fnmr * made + genuineFailures) / (made + genuineFailures),
    ),
  };
}

/** A rate as a percentage with enough digits for its sample, or 'n/a'. */
export function percent(rate: number, digits = 2): string {
  return Number.isFinite(rate) ? `${(100 * rate).toFixed(digits)} %` : 'n/a';
}
