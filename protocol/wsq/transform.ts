/**
 * The WSQ two-channel filter bank and its symmetric extension (Part 1, Annex A: wavelet
 * decomposition and reconstruction; Part 3: the encoder's 9/7-tap filters).
 *
 * Analysis of a line x of n samples (n >= 2) gives ceil(n/2) low-pass samples a and floor(n/2)
 * high-pass samples d. With L0 low-pass taps h0 and L1 high-pass taps h1:
 *
 *   odd-length filters (h0, h1 symmetric), x extended whole-sample symmetric (x[-i] = x[i]):
 *     a[j] = sum_t h0[t] x[2j - (L0-1)/2 + t]        (centred on 2j)
 *     d[j] = sum_t h1[t] x[2j + 1 - (L1-1)/2 + t]    (centred on 2j + 1)
 *   even-length filters (h0 symmetric, h1 antisymmetric), x extended half-sample symmetric
 *   (x[-1-i] = x[i]):
 *     a[j] =  sum_t h0[t] x[2j + 1 - L0/2 + t]       (both centred on 2j + 1/2)
 *     d[j] = -sum_t h1[t] x[2j + 1 - L1/2 + t]
 *
 * Synthesis is the spec's convolution with the modulated filters g0[k] = (-1)^(k+1) h1[k]
 * (for odd L1: (-1)^(k-(L1-1)/2)) and g1[k] = (-1)^k h0[k] (odd L0: (-1)^(k-(L0-1)/2)), over
 * subbands extended with the symmetry the analysis leaves in them:
 *
 *   odd filters:  a  whole-sample symmetric on the left; on the right whole-sample (n odd) or
 *                 half-sample (n even) symmetric. d  half-sample symmetric on the left; on the
 *                 right half-sample (n odd) or whole-sample (n even).
 *   even filters: a  half-sample symmetric on the left; right half-sample (n even) or whole-sample
 *                 (n odd). d  half-sample antisymmetric on the left; right half-sample antisymmetric
 *                 (n even) or antisymmetric about the sample after the last (n odd: that sample is 0).
 *
 * These rules are what NBIS implements with its bouncing pointers (util.c get_lets/join_lets); we
 * state them once as index maps and check them by perfect reconstruction for odd and even banks and
 * against known answers from NBIS's routines (test/unit/protocol/wsq-internals.test.ts).
 *
 * Speed: every pass reads through precomputed extension maps; rows are filtered from one padded
 * line buffer; columns are filtered a whole output row at a time, over strips of 64 columns copied
 * to a small scratch buffer, so inner loops run along contiguous memory. 9/7 banks (the standard
 * shape) take unrolled kernels that fold the symmetric taps and share loads between the low- and
 * high-pass outputs of each step. No allocation happens per pixel or per line.
 */

import type { Decomposition, Split } from './tree.ts';

/** Analysis filters as the DTT carries them: all taps, index 0 first. */
export interface FilterBank {
  /** h0, the analysis low-pass filter (symmetric). */
  readonly lowpass: Float64Array;
  /** h1, the analysis high-pass filter (symmetric for odd length, antisymmetric for even). */
  readonly highpass: Float64Array;
}

/**
 * Part 3 (FBI encoder number one): the 9/7 biorthogonal filters, written from the centre tap out,
 * as the DTT stores them. The same values are in NBIS globals.c.
 */
const STANDARD_LOW_HALF = [
  0.85269867900940344, 0.3774028556126538, -0.11062440441842342, -0.02384946501938, 0.03782845550699546,
];
const STANDARD_HIGH_HALF = [
  0.78848561640566439, -0.41809227322221221, -0.04068941760955844, 0.06453888262893845,
];

/**
 * Rebuilds a full filter from the half the DTT stores (taps floor(L/2) .. L-1): odd filters and
 * every low-pass filter are symmetric; an even-length high-pass filter is antisymmetric.
 */
export function filterFromHalf(
  half: ArrayLike<number>,
  length: number,
  antisymmetric: boolean,
): Float64Array {
  const full = new Float64Array(length);
  const mid = length >> 1;
  for (let k = 0; k < length - mid; k++) {
    const v = half[k] ?? 0;
    full[mid + k] = v;
    if (length % 2 === 1) full[mid - k] = v;
    else full[mid - 1 - k] = antisymmetric ? -v : v;
  }
  return full;
}

/** The half of a filter the DTT stores: taps floor(L/2) .. L-1. */
export function upperHalf(filter: Float64Array): Float64Array {
  return filter.slice(filter.length >> 1);
}

export const STANDARD_FILTERS: FilterBank = {
  lowpass: filterFromHalf(STANDARD_LOW_HALF, 9, false),
  highpass: filterFromHalf(STANDARD_HIGH_HALF, 7, false),
};

/** Longest filter we accept from a DTT, taps. The length fields are bytes; 9 and 7 are the norm. */
export const MAX_FILTER_TAPS = 32;

/** Why a filter bank cannot be used, or undefined when it can. */
export function filterBankProblem(bank: FilterBank): string | undefined {
  const l0 = bank.lowpass.length;
  const l1 = bank.highpass.length;
  if (l0 < 1 || l1 < 1) return `filter lengths ${l0}/${l1}: both must be at least 1`;
  if (l0 > MAX_FILTER_TAPS || l1 > MAX_FILTER_TAPS)
    return `filter lengths ${l0}/${l1} exceed ${MAX_FILTER_TAPS} taps`;
  if (l0 % 2 !== l1 % 2) return `filter lengths ${l0}/${l1} mix odd and even`;
  for (const v of bank.lowpass) if (!Number.isFinite(v)) return 'non-finite low-pass tap';
  for (const v of bank.highpass) if (!Number.isFinite(v)) return 'non-finite high-pass tap';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Extension maps

/** Columns filtered per strip in the vertical passes (a strip of a 1500-row region is 384 KB). */
const STRIP = 64;

/** Boundary symmetries: whole-sample, half-sample, half-sample antisymmetric, antisymmetric about n. */
const Ext = {
  WholeSymmetric: 0,
  HalfSymmetric: 1,
  HalfAntisymmetric: 2,
  /** x[n] = 0, x[n + i] = -x[n - i]: only on the right. */
  WholeAntisymmetric: 3,
} as const;
type Ext = (typeof Ext)[keyof typeof Ext];

/**
 * Fills `index[q + pad]` and `sign[q + pad]` for q in [-pad, n + pad): where position q of a length-n
 * sequence extended by the given rules reads from, and with which sign (0 where the extension is 0).
 * @throws {Error} when the rules do not resolve (n < 1, or n = 1 with whole-sample symmetry on both
 *   sides); the decomposition never asks for such lengths.
 */
function fillExtension(
  n: number,
  pad: number,
  left: Ext,
  right: Ext,
  index: Int32Array,
  sign: Int8Array,
): void {
  const last = n - 1;
  for (let q = -pad; q < n + pad; q++) {
    let i = q;
    let s = 1;
    let rounds = 0;
    while (i < 0 || i > last) {
      if (++rounds > 4 * (pad + 2)) throw new Error(`extension of a length-${n} line does not resolve`);
      if (i < 0) {
        if (left === Ext.WholeSymmetric) i = -i;
        else {
          i = -1 - i;
          if (left === Ext.HalfAntisymmetric) s = -s;
        }
      } else if (right === Ext.WholeSymmetric) i = 2 * last - i;
      else if (right === Ext.HalfSymmetric) i = 2 * last + 1 - i;
      else if (right === Ext.HalfAntisymmetric) {
        i = 2 * last + 1 - i;
        s = -s;
      } else {
        if (i === n) {
          s = 0;
          i = 0;
          break;
        }
        i = 2 * n - i;
        s = -s;
      }
    }
    index[q + pad] = i;
    sign[q + pad] = s;
  }
}

// ---------------------------------------------------------------------------------------------
// Plans: everything that depends only on the bank and a line length

/** Output sample = sum of coef[t] * input[base + offset[t]]: one polyphase branch. */
interface Taps {
  readonly offset: Int32Array;
  readonly coef: Float64Array;
}

interface AnalysisPlan {
  readonly n: number;
  readonly low: number;
  readonly high: number;
  readonly pad: number;
  /** Where each padded position of the input line reads from (sign is always +1 here). */
  readonly index: Int32Array;
}

interface SynthesisPlan {
  readonly n: number;
  readonly low: number;
  readonly high: number;
  readonly pad: number;
  readonly lowIndex: Int32Array;
  readonly lowSign: Int8Array;
  readonly highIndex: Int32Array;
  readonly highSign: Int8Array;
}

/** Per-bank constants and per-length plans, built once per encode or decode. */
export class FilterEngine {
  private readonly odd: boolean;
  /** a[j] taps over x at 2j + offset. */
  private readonly lowTaps: Taps;
  /** d[j] taps over x at 2j + offset. */
  private readonly highTaps: Taps;
  /** x[2t + p] = sum over a at t + offset (index p = 0, 1). */
  private readonly synthLow: readonly [Taps, Taps];
  /** x[2t + p] = sum over d at t + offset. */
  private readonly synthHigh: readonly [Taps, Taps];
  private readonly pad: number;
  /**
   * For a 9/7 bank (the standard shape; any coefficients): the folded analysis taps
   * [h0 centre .. h0 centre+4, h1 centre .. h1 centre+3] and synthesis taps [g0 centre .. +3,
   * g1 centre .. +4], which the unrolled kernels below use instead of the generic tap loops.
   */
  private readonly fastAnalysis: Float64Array | undefined;
  private readonly fastSynthesis: Float64Array | undefined;
  private readonly analysisPlans = new Map<number, AnalysisPlan>();
  private readonly synthesisPlans = new Map<number, SynthesisPlan>();
  /** Padded line buffers, grown to the longest line seen. */
  private line = new Float32Array(0);
  private lineHigh = new Float32Array(0);
  private acc = new Float64Array(0);
  private scratch = new Float32Array(0);

  /** @throws {RangeError} for a bank filterBankProblem rejects. */
  constructor(bank: FilterBank) {
    const problem = filterBankProblem(bank);
    if (problem) throw new RangeError(problem);
    const h0 = bank.lowpass;
    const h1 = bank.highpass;
    const l0 = h0.length;
    const l1 = h1.length;
    this.odd = l0 % 2 === 1;
    const lowStart = this.odd ? -(l0 - 1) / 2 : 1 - l0 / 2;
    const highStart = this.odd ? 1 - (l1 - 1) / 2 : 1 - l1 / 2;
    const highSign = this.odd ? 1 : -1;
    this.lowTaps = { offset: Int32Array.from(h0, (_, t) => lowStart + t), coef: Float64Array.from(h0) };
    this.highTaps = {
      offset: Int32Array.from(h1, (_, t) => highStart + t),
      coef: Float64Array.from(h1, (v) => highSign * v),
    };
    // Synthesis filters and their start offsets: x[m] += a[j] g0[m - 2j - sa] + d[j] g1[m - 2j - sd].
    const g0 = Float64Array.from(h1, (v, k) => (this.odd ? parity(k - (l1 - 1) / 2) : parity(k + 1)) * v);
    const g1 = Float64Array.from(h0, (v, k) => (this.odd ? parity(k - (l0 - 1) / 2) : parity(k)) * v);
    const sa = this.odd ? -(l1 - 1) / 2 : 1 - l1 / 2;
    const sd = this.odd ? 1 - (l0 - 1) / 2 : 1 - l0 / 2;
    this.synthLow = [polyphase(g0, sa, 0), polyphase(g0, sa, 1)];
    this.synthHigh = [polyphase(g1, sd, 0), polyphase(g1, sd, 1)];
    this.pad = Math.max(l0, l1) + 2;
    if (l0 === 9 && l1 === 7 && isSymmetric(h0) && isSymmetric(h1)) {
      this.fastAnalysis = Float64Array.of(...h0.subarray(4), ...h1.subarray(3));
      this.fastSynthesis = Float64Array.of(...g0.subarray(3), ...g1.subarray(4));
    }
  }

  /**
   * Runs every split of the decomposition forward over `image` (row-major, stride width), in place.
   * @throws {Error} for a split under 2 samples along an axis, which decompose() never makes for
   *   images of MIN_SIDE (limits.ts) and more.
   */
  analyze(image: Float32Array, decomposition: Decomposition): void {
    for (const split of decomposition.splits) this.analyzeSplit(image, decomposition.width, split);
  }

  /** Inverts `analyze`: runs the splits backwards, in place. Throws as `analyze` does. */
  synthesize(image: Float32Array, decomposition: Decomposition): void {
    const { splits } = decomposition;
    for (let i = splits.length - 1; i >= 0; i--) {
      const split = splits[i];
      if (split) this.synthesizeSplit(image, decomposition.width, split);
    }
  }

  /** A scratch buffer for one strip of `rows` rows, grown as needed. */
  private scratchFor(rows: number): Float32Array {
    if (this.scratch.length < rows * STRIP) this.scratch = new Float32Array(rows * STRIP);
    return this.scratch;
  }

  private analysisPlan(n: number): AnalysisPlan {
    let plan = this.analysisPlans.get(n);
    if (!plan) {
      const pad = this.pad;
      const index = new Int32Array(n + 2 * pad);
      const sign = new Int8Array(n + 2 * pad);
      const ext = this.odd ? Ext.WholeSymmetric : Ext.HalfSymmetric;
      fillExtension(n, pad, ext, ext, index, sign);
      plan = { n, low: (n + 1) >> 1, high: n >> 1, pad, index };
      this.analysisPlans.set(n, plan);
    }
    return plan;
  }

  private synthesisPlan(n: number): SynthesisPlan {
    let plan = this.synthesisPlans.get(n);
    if (!plan) {
      const pad = this.pad;
      const low = (n + 1) >> 1;
      const high = n >> 1;
      const nOdd = n % 2 === 1;
      const lowIndex = new Int32Array(low + 2 * pad);
      const lowSign = new Int8Array(low + 2 * pad);
      const highIndex = new Int32Array(high + 2 * pad);
      const highSign = new Int8Array(high + 2 * pad);
      if (this.odd) {
        fillExtension(
          low,
          pad,
          Ext.WholeSymmetric,
          nOdd ? Ext.WholeSymmetric : Ext.HalfSymmetric,
          lowIndex,
          lowSign,
        );
        fillExtension(
          high,
          pad,
          Ext.HalfSymmetric,
          nOdd ? Ext.HalfSymmetric : Ext.WholeSymmetric,
          highIndex,
          highSign,
        );
      } else {
        fillExtension(
          low,
          pad,
          Ext.HalfSymmetric,
          nOdd ? Ext.WholeSymmetric : Ext.HalfSymmetric,
          lowIndex,
          lowSign,
        );
        fillExtension(
          high,
          pad,
          Ext.HalfAntisymmetric,
          nOdd ? Ext.WholeAntisymmetric : Ext.HalfAntisymmetric,
          highIndex,
          highSign,
        );
      }
      plan = { n, low, high, pad, lowIndex, lowSign, highIndex, highSign };
      this.synthesisPlans.set(n, plan);
    }
    return plan;
  }

  private lines(n: number): void {
    const need = n + 2 * this.pad;
    if (this.line.length < need) {
      this.line = new Float32Array(need);
      this.lineHigh = new Float32Array(need);
    }
    if (this.acc.length < n) this.acc = new Float64Array(n);
  }

  private analyzeSplit(image: Float32Array, stride: number, split: Split): void {
    const { x: x0, y: y0, width: w, height: h } = split;
    this.lines(Math.max(w, h));
    // Rows (Part 1: the horizontal pass comes first).
    const px = this.analysisPlan(w);
    const lowAt = split.invertX ? px.high : 0;
    const highAt = split.invertX ? 0 : px.low;
    for (let r = 0; r < h; r++) this.analyzeRow(image, (y0 + r) * stride + x0, px, lowAt, highAt);
    // Columns, a whole row of outputs at a time, strip by strip over a copy of the strip (a strip of
    // STRIP columns stays in cache while its rows are read up to nine times).
    const py = this.analysisPlan(h);
    const lowRow = split.invertY ? py.high : 0;
    const highRow = split.invertY ? 0 : py.low;
    const fast = this.fastAnalysis;
    const scratch = this.scratchFor(h);
    for (let c0 = 0; c0 < w; c0 += STRIP) {
      const sw = Math.min(STRIP, w - c0);
      copyOut(image, stride, x0 + c0, y0, sw, h, scratch);
      if (fast) {
        analyzeColumns97(image, stride, x0 + c0, y0 + lowRow, y0 + highRow, sw, scratch, py, fast);
        continue;
      }
      for (let j = 0; j < py.low; j++)
        this.columnOutput(image, (y0 + lowRow + j) * stride + x0 + c0, sw, scratch, py, 2 * j, this.lowTaps);
      for (let j = 0; j < py.high; j++)
        this.columnOutput(
          image,
          (y0 + highRow + j) * stride + x0 + c0,
          sw,
          scratch,
          py,
          2 * j,
          this.highTaps,
        );
    }
  }

  private analyzeRow(
    image: Float32Array,
    base: number,
    plan: AnalysisPlan,
    lowAt: number,
    highAt: number,
  ): void {
    const { n, pad, index } = plan;
    const line = this.line;
    line.set(image.subarray(base, base + n), pad);
    for (let q = 0; q < pad; q++) {
      line[q] = line[pad + (index[q] ?? 0)] ?? 0;
      line[pad + n + q] = line[pad + (index[pad + n + q] ?? 0)] ?? 0;
    }
    const fast = this.fastAnalysis;
    if (fast) analyzeLine97(line, pad, plan.low, plan.high, image, base + lowAt, base + highAt, fast);
    else {
      convolveInto(image, base + lowAt, plan.low, line, pad, this.lowTaps);
      convolveInto(image, base + highAt, plan.high, line, pad, this.highTaps);
    }
  }

  /** One output row of the vertical analysis: taps over source rows 2j + offset (extended). */
  private columnOutput(
    image: Float32Array,
    dest: number,
    w: number,
    scratch: Float32Array,
    plan: AnalysisPlan,
    centre: number,
    taps: Taps,
  ): void {
    const acc = this.acc;
    const { offset, coef } = taps;
    for (let t = 0; t < offset.length; t++) {
      const row = (plan.index[plan.pad + centre + (offset[t] ?? 0)] ?? 0) * w;
      const c = coef[t] ?? 0;
      if (t === 0) for (let x = 0; x < w; x++) acc[x] = c * (scratch[row + x] ?? 0);
      else for (let x = 0; x < w; x++) acc[x] = (acc[x] ?? 0) + c * (scratch[row + x] ?? 0);
    }
    for (let x = 0; x < w; x++) image[dest + x] = acc[x] ?? 0;
  }

  private synthesizeSplit(image: Float32Array, stride: number, split: Split): void {
    const { x: x0, y: y0, width: w, height: h } = split;
    this.lines(Math.max(w, h));
    // Columns first: synthesis undoes the analysis passes in reverse order. Strips as in analysis.
    const py = this.synthesisPlan(h);
    const lowRow = split.invertY ? py.high : 0;
    const highRow = split.invertY ? 0 : py.low;
    const fast = this.fastSynthesis;
    const scratch = this.scratchFor(h);
    const acc = this.acc;
    const [low0, low1] = this.synthLow;
    const [high0, high1] = this.synthHigh;
    for (let c0 = 0; c0 < w; c0 += STRIP) {
      const sw = Math.min(STRIP, w - c0);
      copyOut(image, stride, x0 + c0, y0, sw, h, scratch);
      if (fast) {
        synthesizeColumns97(image, stride, x0 + c0, y0, sw, h, scratch, lowRow, highRow, py, fast);
        continue;
      }
      for (let m = 0; m < h; m++) {
        const t = py.pad + (m >> 1);
        const odd = (m & 1) === 1;
        acc.fill(0, 0, sw);
        this.accumulateRows(acc, sw, scratch, lowRow, py.lowIndex, py.lowSign, t, odd ? low1 : low0);
        this.accumulateRows(acc, sw, scratch, highRow, py.highIndex, py.highSign, t, odd ? high1 : high0);
        const dest = (y0 + m) * stride + x0 + c0;
        for (let x = 0; x < sw; x++) image[dest + x] = acc[x] ?? 0;
      }
    }
    // Rows.
    const px = this.synthesisPlan(w);
    const lowAt = split.invertX ? px.high : 0;
    const highAt = split.invertX ? 0 : px.low;
    for (let r = 0; r < h; r++) this.synthesizeRow(image, (y0 + r) * stride + x0, px, lowAt, highAt);
  }

  private accumulateRows(
    acc: Float64Array,
    w: number,
    scratch: Float32Array,
    firstRow: number,
    index: Int32Array,
    sign: Int8Array,
    at: number,
    taps: Taps,
  ): void {
    const { offset, coef } = taps;
    for (let k = 0; k < offset.length; k++) {
      const q = at + (offset[k] ?? 0);
      const s = sign[q] ?? 0;
      if (s === 0) continue;
      const c = s * (coef[k] ?? 0);
      const row = (firstRow + (index[q] ?? 0)) * w;
      for (let x = 0; x < w; x++) acc[x] = (acc[x] ?? 0) + c * (scratch[row + x] ?? 0);
    }
  }

  private synthesizeRow(
    image: Float32Array,
    base: number,
    plan: SynthesisPlan,
    lowAt: number,
    highAt: number,
  ): void {
    const { n, pad, low, high } = plan;
    const a = this.line;
    const d = this.lineHigh;
    fillLine(a, image, base + lowAt, low, pad, plan.lowIndex, plan.lowSign);
    fillLine(d, image, base + highAt, high, pad, plan.highIndex, plan.highSign);
    const fast = this.fastSynthesis;
    if (fast) {
      synthesizeLine97(a, d, pad, n, image, base, fast);
      return;
    }
    for (let p = 0; p < 2; p++) {
      const lo = p === 0 ? this.synthLow[0] : this.synthLow[1];
      const hi = p === 0 ? this.synthHigh[0] : this.synthHigh[1];
      for (let m = p; m < n; m += 2) {
        const t = pad + (m >> 1);
        let v = 0;
        for (let k = 0; k < lo.offset.length; k++) v += (lo.coef[k] ?? 0) * (a[t + (lo.offset[k] ?? 0)] ?? 0);
        for (let k = 0; k < hi.offset.length; k++) v += (hi.coef[k] ?? 0) * (d[t + (hi.offset[k] ?? 0)] ?? 0);
        image[base + m] = v;
      }
    }
  }
}

function isSymmetric(f: Float64Array): boolean {
  for (let i = 0; i < f.length; i++) if (f[i] !== f[f.length - 1 - i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Unrolled kernels for 9/7 banks: the symmetric taps are folded (5 + 4 multiplies per output pair
// in analysis, 4 + 5 in synthesis), and column passes read every source row in one sweep.

/**
 * Analysis of one padded line: a[j] centred on 2j, d[j] on 2j + 1. Both read the window
 * x[2j-4 .. 2j+4], which slides by two samples per step: two loads per output pair.
 */
function analyzeLine97(
  line: Float32Array,
  pad: number,
  low: number,
  high: number,
  out: Float32Array,
  lowAt: number,
  highAt: number,
  k: Float64Array,
): void {
  const [l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0] = k;
  let m4 = line[pad - 4] ?? 0;
  let m3 = line[pad - 3] ?? 0;
  let m2 = line[pad - 2] ?? 0;
  let m1 = line[pad - 1] ?? 0;
  let c = line[pad] ?? 0;
  let p1 = line[pad + 1] ?? 0;
  let p2 = line[pad + 2] ?? 0;
  let p3 = line[pad + 3] ?? 0;
  for (let j = 0, p = pad; j < low; j++, p += 2) {
    const p4 = line[p + 4] ?? 0;
    out[lowAt + j] = l0 * c + l1 * (m1 + p1) + l2 * (m2 + p2) + l3 * (m3 + p3) + l4 * (m4 + p4);
    if (j < high) out[highAt + j] = h0 * p1 + h1 * (c + p2) + h2 * (m1 + p3) + h3 * (m2 + p4);
    m4 = m2;
    m3 = m1;
    m2 = c;
    m1 = p1;
    c = p2;
    p1 = p3;
    p2 = p4;
    p3 = line[p + 5] ?? 0;
  }
}

/**
 * Vertical analysis of a strip copied to scratch (w wide): output rows a[j] and d[j] come from the
 * same nine source rows 2j-4 .. 2j+4, so each pair is one sweep with nine loads per column.
 */
function analyzeColumns97(
  image: Float32Array,
  stride: number,
  x0: number,
  lowRow0: number,
  highRow0: number,
  w: number,
  src: Float32Array,
  plan: AnalysisPlan,
  k: Float64Array,
): void {
  const [l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0] = k;
  const { index, pad } = plan;
  const row = (q: number) => (index[pad + q] ?? 0) * w;
  for (let j = 0; j < plan.low; j++) {
    const c = 2 * j;
    const rm4 = row(c - 4);
    const rm3 = row(c - 3);
    const rm2 = row(c - 2);
    const rm1 = row(c - 1);
    const r0 = row(c);
    const rp1 = row(c + 1);
    const rp2 = row(c + 2);
    const rp3 = row(c + 3);
    const rp4 = row(c + 4);
    const lowDest = (lowRow0 + j) * stride + x0;
    if (j < plan.high) {
      const highDest = (highRow0 + j) * stride + x0;
      for (let x = 0; x < w; x++) {
        const m2 = src[rm2 + x] ?? 0;
        const m1 = src[rm1 + x] ?? 0;
        const v = src[r0 + x] ?? 0;
        const p1 = src[rp1 + x] ?? 0;
        const p2 = src[rp2 + x] ?? 0;
        const p3 = src[rp3 + x] ?? 0;
        const p4 = src[rp4 + x] ?? 0;
        image[lowDest + x] =
          l0 * v +
          l1 * (m1 + p1) +
          l2 * (m2 + p2) +
          l3 * ((src[rm3 + x] ?? 0) + p3) +
          l4 * ((src[rm4 + x] ?? 0) + p4);
        image[highDest + x] = h0 * p1 + h1 * (v + p2) + h2 * (m1 + p3) + h3 * (m2 + p4);
      }
    } else {
      for (let x = 0; x < w; x++)
        image[lowDest + x] =
          l0 * (src[r0 + x] ?? 0) +
          l1 * ((src[rm1 + x] ?? 0) + (src[rp1 + x] ?? 0)) +
          l2 * ((src[rm2 + x] ?? 0) + (src[rp2 + x] ?? 0)) +
          l3 * ((src[rm3 + x] ?? 0) + (src[rp3 + x] ?? 0)) +
          l4 * ((src[rm4 + x] ?? 0) + (src[rp4 + x] ?? 0));
    }
  }
}

/**
 * Synthesis of one line from padded a and d lines (odd banks: symmetric extensions, no signs):
 *   x[2t]   = g0[0] a[t] + g0[2] (a[t-1] + a[t+1]) + g1[1] (d[t-1] + d[t]) + g1[3] (d[t-2] + d[t+1])
 *   x[2t+1] = g0[1] (a[t] + a[t+1]) + g0[3] (a[t-1] + a[t+2]) + g1[0] d[t] + g1[2] (d[t-1] + d[t+1])
 *             + g1[4] (d[t-2] + d[t+2])
 * with g0, g1 indexed from their centre taps. The windows a[t-1 .. t+2] and d[t-2 .. t+2] slide by
 * one sample per output pair.
 */
function synthesizeLine97(
  a: Float32Array,
  d: Float32Array,
  pad: number,
  n: number,
  out: Float32Array,
  base: number,
  k: Float64Array,
): void {
  const [a0 = 0, a1 = 0, a2 = 0, a3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0] = k;
  let am1 = a[pad - 1] ?? 0;
  let at = a[pad] ?? 0;
  let ap1 = a[pad + 1] ?? 0;
  let dm2 = d[pad - 2] ?? 0;
  let dm1 = d[pad - 1] ?? 0;
  let dt = d[pad] ?? 0;
  let dp1 = d[pad + 1] ?? 0;
  for (let m = 0, t = pad; m < n; m += 2, t++) {
    const ap2 = a[t + 2] ?? 0;
    const dp2 = d[t + 2] ?? 0;
    out[base + m] = a0 * at + a2 * (am1 + ap1) + d1 * (dm1 + dt) + d3 * (dm2 + dp1);
    if (m + 1 < n)
      out[base + m + 1] = a1 * (at + ap1) + a3 * (am1 + ap2) + d0 * dt + d2 * (dm1 + dp1) + d4 * (dm2 + dp2);
    am1 = at;
    at = ap1;
    ap1 = ap2;
    dm2 = dm1;
    dm1 = dt;
    dt = dp1;
    dp1 = dp2;
  }
}

/**
 * Vertical synthesis of a strip copied to scratch: a rows from lowRow, d rows from highRow. Output
 * rows 2t and 2t + 1 share their nine source rows, so each pair is one sweep.
 */
function synthesizeColumns97(
  image: Float32Array,
  stride: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  src: Float32Array,
  lowRow: number,
  highRow: number,
  plan: SynthesisPlan,
  k: Float64Array,
): void {
  const [a0 = 0, a1 = 0, a2 = 0, a3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0] = k;
  const { pad, lowIndex, highIndex } = plan;
  const ar = (q: number) => (lowRow + (lowIndex[pad + q] ?? 0)) * w;
  const dr = (q: number) => (highRow + (highIndex[pad + q] ?? 0)) * w;
  for (let m = 0; m < h; m += 2) {
    const t = m >> 1;
    const am1 = ar(t - 1);
    const a = ar(t);
    const ap1 = ar(t + 1);
    const ap2 = ar(t + 2);
    const dm2 = dr(t - 2);
    const dm1 = dr(t - 1);
    const dt = dr(t);
    const dp1 = dr(t + 1);
    const dp2 = dr(t + 2);
    const even = (y0 + m) * stride + x0;
    if (m + 1 < h) {
      const odd = even + stride;
      for (let x = 0; x < w; x++) {
        const vm1 = src[am1 + x] ?? 0;
        const v = src[a + x] ?? 0;
        const vp1 = src[ap1 + x] ?? 0;
        const em2 = src[dm2 + x] ?? 0;
        const em1 = src[dm1 + x] ?? 0;
        const e = src[dt + x] ?? 0;
        const ep1 = src[dp1 + x] ?? 0;
        image[even + x] = a0 * v + a2 * (vm1 + vp1) + d1 * (em1 + e) + d3 * (em2 + ep1);
        image[odd + x] =
          a1 * (v + vp1) +
          a3 * (vm1 + (src[ap2 + x] ?? 0)) +
          d0 * e +
          d2 * (em1 + ep1) +
          d4 * (em2 + (src[dp2 + x] ?? 0));
      }
    } else {
      for (let x = 0; x < w; x++)
        image[even + x] =
          a0 * (src[a + x] ?? 0) +
          a2 * ((src[am1 + x] ?? 0) + (src[ap1 + x] ?? 0)) +
          d1 * ((src[dm1 + x] ?? 0) + (src[dt + x] ?? 0)) +
          d3 * ((src[dm2 + x] ?? 0) + (src[dp1 + x] ?? 0));
    }
  }
}

function parity(k: number): 1 | -1 {
  return k % 2 === 0 ? 1 : -1;
}

/**
 * Polyphase branch p of a synthesis filter g starting at s: for output 2t + p the terms are
 * g[k] * band[t + (p - s - k) / 2] over the k with p - s - k even.
 */
function polyphase(g: Float64Array, s: number, p: number): Taps {
  const offset: number[] = [];
  const coef: number[] = [];
  for (let k = 0; k < g.length; k++) {
    const num = p - s - k;
    if (num % 2 !== 0) continue;
    offset.push(num / 2);
    coef.push(g[k] ?? 0);
  }
  return { offset: Int32Array.from(offset), coef: Float64Array.from(coef) };
}

/** out[j] = sum_t coef[t] * line[pad + 2j + offset[t]] for j < count, written to image[dest + j]. */
function convolveInto(
  image: Float32Array,
  dest: number,
  count: number,
  line: Float32Array,
  pad: number,
  taps: Taps,
) {
  const { offset, coef } = taps;
  const nt = offset.length;
  for (let j = 0; j < count; j++) {
    const at = pad + 2 * j;
    let v = 0;
    for (let t = 0; t < nt; t++) v += (coef[t] ?? 0) * (line[at + (offset[t] ?? 0)] ?? 0);
    image[dest + j] = v;
  }
}

/** Copies a subband line into a padded buffer and fills the pads from its extension map. */
function fillLine(
  line: Float32Array,
  image: Float32Array,
  from: number,
  n: number,
  pad: number,
  index: Int32Array,
  sign: Int8Array,
): void {
  line.set(image.subarray(from, from + n), pad);
  for (let q = 0; q < pad; q++) {
    line[q] = (sign[q] ?? 0) * (line[pad + (index[q] ?? 0)] ?? 0);
    const r = pad + n + q;
    line[r] = (sign[r] ?? 0) * (line[pad + (index[r] ?? 0)] ?? 0);
  }
}

/** Copies a w x h rectangle of the image into scratch, contiguous rows. */
function copyOut(
  image: Float32Array,
  stride: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  scratch: Float32Array,
) {
  for (let r = 0; r < h; r++) {
    const from = (y0 + r) * stride + x0;
    scratch.set(image.subarray(from, from + w), r * w);
  }
}
