/**
 * WSQ scalar quantization and the encoder's bit allocation (Part 3, FBI encoder number one: subband
 * variances, the Q_k formula solved for a target bit rate, Z_k = 1.2 Q_k, C = 0.44), with NBIS's
 * choices where Part 3 leaves room (util.c variance and quantize), so that our Q_k track cwsq's.
 *
 * Dequantization (Part 1, Annex A), for a quantized index p of subband k:
 *   p = 0: 0;   p > 0: Q_k (p - C) + Z_k / 2;   p < 0: Q_k (p + C) - Z_k / 2.
 * Quantization, its inverse up to the dead zone: |c| <= Z_k / 2 gives 0, otherwise
 *   p = sign(c) (floor((|c| - Z_k / 2) / Q_k) + 1).
 */

import type { SubbandRect } from './tree.ts';
import { CODED_SUBBANDS } from './tree.ts';

/** Part 3: bin centre. */
export const BIN_CENTER = 0.44;
/** Part 3: zero-bin width over bin width. */
export const ZERO_BIN_RATIO = 1.2;
/** Subbands with a variance below this are not coded (NBIS VARIANCE_THRESH). */
export const VARIANCE_THRESHOLD = 1.01;
/** Below this sum of the four low-pass variances, NBIS measures every subband in full. */
const SMALL_VARIANCE_SUM = 20000;

/**
 * Variance of every coded subband. Part 3 measures a central window of each subband (3/4 of the
 * width, 7/16 of the height, starting 1/8 and 9/32 in) so borders do not dominate; when the four
 * lowest subbands are that quiet (sum below 20000) NBIS measures every subband in full. A window
 * with fewer than two samples (tiny images) falls back to the whole subband.
 */
export function subbandVariances(
  image: Float32Array,
  stride: number,
  subbands: readonly SubbandRect[],
): Float64Array {
  const variances = new Float64Array(CODED_SUBBANDS);
  let lowSum = 0;
  for (let k = 0; k < 4; k++) {
    variances[k] = variance(image, stride, subbands[k], true);
    lowSum += variances[k] ?? 0;
  }
  const central = lowSum >= SMALL_VARIANCE_SUM;
  for (let k = central ? 4 : 0; k < CODED_SUBBANDS; k++)
    variances[k] = variance(image, stride, subbands[k], central);
  return variances;
}

function variance(
  image: Float32Array,
  stride: number,
  rect: SubbandRect | undefined,
  central: boolean,
): number {
  if (!rect) return 0;
  let x0 = rect.x;
  let y0 = rect.y;
  let w = rect.width;
  let h = rect.height;
  if (central) {
    const cw = Math.floor((3 * w) / 4);
    const ch = Math.floor((7 * h) / 16);
    if (cw * ch >= 2) {
      x0 += Math.floor(w / 8);
      y0 += Math.floor((9 * h) / 32);
      w = cw;
      h = ch;
    }
  }
  const n = w * h;
  if (n < 2) return 0;
  let sum = 0;
  let squares = 0;
  for (let r = 0; r < h; r++) {
    const row = (y0 + r) * stride + x0;
    for (let c = 0; c < w; c++) {
      const v = image[row + c] ?? 0;
      sum += v;
      squares += v * v;
    }
  }
  return Math.max(0, (squares - (sum * sum) / n) / (n - 1));
}

/**
 * Part 3 weights A_k: 1 except for the level-2 subbands 52 .. 59.
 */
const WEIGHT_52_TO_59 = [1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08];

/** Fraction of the image each subband covers (1/m_k in Part 3): 1/1024, 1/256 and 1/16. */
function areaFraction(k: number): number {
  return k < 4 ? 1 / 1024 : k < 51 ? 1 / 256 : 1 / 16;
}

/**
 * Largest quantized index we let a bin width produce. The 16-bit escapes could carry 65535, but
 * NIST's reference decoder (NBIS dwsq) stores each decoded index in a signed 16-bit integer, so a
 * value above 32767 wraps round there; we keep every index within what it reads correctly, with one
 * step of margin for the rounding of Q_k and Z_k into the DQT.
 */
export const MAX_INDEX = 0x7ffe;

/**
 * Bin widths Q_k for a target bit rate r (bits per pixel), Part 3's bit allocation:
 *
 *   Q'_k = 1 for k < 4, 10 / (A_k ln(sigma_k^2)) otherwise;
 *   over the set K of subbands still in play, S = sum of area fractions,
 *   P = product of (sigma_k / Q'_k)^(area fraction), q = 2^(r/S - 1) / 2.5 / P^(1/S);
 *   subbands with Q'_k / q >= 5 sigma_k would get no bits: drop them from K and solve again.
 *
 * As in NBIS, every subband above the variance threshold keeps Q_k = Q'_k / q with the final q
 * (those dropped from K just quantize to nearly all zeros); the rest get 0. Entries 60 .. 63 are 0.
 * q is solved in the log domain: when few subbands share the rate (a smooth image at a high rate)
 * 2^(r/S) overflows a double. For the same case Q_k is kept at least peak_k / MAX_INDEX, so no
 * quantized index outgrows the 16-bit escape. On real prints Q_k is far above that floor: the peak
 * is only measured (peakOf) when Q_k falls below peakBound / MAX_INDEX.
 * @param variances from subbandVariances
 * @param peakOf largest |coefficient| of subband k (subbandPeak)
 * @param peakBound an upper bound on every subband's peak
 */
export function allocateBins(
  variances: Float64Array,
  bitRate: number,
  peakOf: (k: number) => number,
  peakBound: number,
): Float64Array {
  const logRelative = new Float64Array(CODED_SUBBANDS);
  const logSigma = new Float64Array(CODED_SUBBANDS);
  const initial: number[] = [];
  for (let k = 0; k < CODED_SUBBANDS; k++) {
    const v = variances[k] ?? 0;
    if (v < VARIANCE_THRESHOLD) continue;
    const weight = k >= 52 ? (WEIGHT_52_TO_59[k - 52] ?? 1) : 1;
    logRelative[k] = k < 4 ? 0 : Math.log(10 / (weight * Math.log(v)));
    logSigma[k] = Math.log(v) / 2;
    initial.push(k);
  }
  let active = initial;
  let logQ = 0;
  while (active.length > 0) {
    let s = 0;
    let logP = 0;
    for (const k of active) {
      const m = areaFraction(k);
      s += m;
      logP += m * ((logSigma[k] ?? 0) - (logRelative[k] ?? 0));
    }
    logQ = (bitRate / s - 1) * Math.LN2 - Math.log(2.5) - logP / s;
    const kept = active.filter((k) => (logRelative[k] ?? 0) - logQ < Math.log(5) + (logSigma[k] ?? 0));
    if (kept.length === active.length) break;
    active = kept;
  }
  const bins = new Float64Array(64);
  for (const k of initial) {
    const bin = Math.exp((logRelative[k] ?? 0) - logQ);
    bins[k] = bin * MAX_INDEX >= peakBound ? bin : Math.max(bin, peakOf(k) / MAX_INDEX);
  }
  return bins;
}

/** Largest coefficient magnitude in a subband. */
export function subbandPeak(image: Float32Array, stride: number, s: SubbandRect): number {
  let peak = 0;
  for (let r = 0; r < s.height; r++) {
    const row = (s.y + r) * stride + s.x;
    for (let c = 0; c < s.width; c++) {
      const v = image[row + c] ?? 0;
      if (v > peak) peak = v;
      else if (-v > peak) peak = -v;
    }
  }
  return peak;
}
