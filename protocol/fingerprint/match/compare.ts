/**
 * Comparison of two Minutia Cylinder-Code templates (Cappelli, Ferrara and Maltoni, IEEE TPAMI
 * 32(12), 2010): the local similarity of every pair of cylinders (section 4, bit version: one minus
 * the normalised Hamming distance over the cells valid in both), then consolidation into one score
 * by LSS-R (section 4.3): the best pairs, one-to-one, are relaxed so that pairs whose geometry
 * agrees with many other good pairs gain and isolated ones fade; the score is the mean relaxed
 * similarity of the pairs that kept most of theirs.
 *
 * Pure. Time is bounded by the templates' sizes (at most MAX_USED_MINUTIAE cylinders each).
 */

import {
  angleDifference,
  CYLINDER_WORDS,
  DISC_CELL_COUNT,
  MASK_WORDS,
  MCC_PARAMETERS,
  popcount,
} from './mcc.ts';
import { type Comparison, MCC_FORMAT, type MccTemplate } from './types.ts';

/** The paper's Table 1 consolidation values. */
export const CONSOLIDATION_PARAMETERS = {
  /** Two cylinders are compared only when their minutiae's directions differ by at most this. */
  maxRotation: Math.PI / 2,
  /**
   * ... and at least this share of the disc's cells is valid in both (the paper: 0.6). Lowered
   * with mcc.ts's minValidCells, to the same value: a cylinder kept with fewer valid cells than
   * this could never pair with anything.
   */
  minMatchableCells: 0.4,
  /** Pairs averaged into the score: from minPairs to maxPairs as the smaller template grows (sigmoid). */
  minPairs: 4,
  maxPairs: 12,
  pairsMu: 20,
  pairsTau: 2 / 5,
  /** Relaxation: iterations and the weight of a pair's own similarity. */
  iterations: 5,
  weight: 0.5,
  /** Compatibility sigmoids: distances (px), directions and radial angles (radians). */
  distanceMu: 5,
  distanceTau: -8 / 5,
  directionMu: Math.PI / 12,
  directionTau: -30,
  radialMu: Math.PI / 12,
  radialTau: -30,
  /** A further pair counts as paired when its mean compatibility with the score's pairs reaches this. */
  pairedSupport: 0.5,
} as const;

const P = CONSOLIDATION_PARAMETERS;
const SECTIONS = MCC_PARAMETERS.angularCells;
const MIN_MATCHABLE = Math.ceil(P.minMatchableCells * DISC_CELL_COUNT);

/** Z(v; mu, tau) = 1 / (1 + exp(-tau (v - mu))), the paper's sigmoid. */
function sigmoid(v: number, mu: number, tau: number): number {
  return 1 / (1 + Math.exp(-tau * (v - mu)));
}

/** Tabulated compatibility sigmoids: distance difference at 1/16 px, angles at pi/2048. */
const DISTANCE_STEPS = 16;
const DISTANCE_TABLE = Float32Array.from({ length: 32 * DISTANCE_STEPS + 1 }, (_, k) =>
  sigmoid(k / DISTANCE_STEPS, P.distanceMu, P.distanceTau),
);
const ANGLE_STEPS = 2048 / Math.PI;
const DIRECTION_TABLE = Float32Array.from({ length: 2049 }, (_, k) =>
  sigmoid(k / ANGLE_STEPS, P.directionMu, P.directionTau),
);
const RADIAL_TABLE = Float32Array.from({ length: 2049 }, (_, k) =>
  sigmoid(k / ANGLE_STEPS, P.radialMu, P.radialTau),
);

function assertTemplate(t: MccTemplate, name: string): void {
  if (t === null || typeof t !== 'object' || t.format !== MCC_FORMAT)
    throw new TypeError(`${name} is not a ${MCC_FORMAT} template (make it with prepare())`);
  const n = t.count;
  if (
    !Number.isInteger(n) ||
    t.bits.length !== n * CYLINDER_WORDS ||
    t.valid.length !== n * MASK_WORDS ||
    t.x.length !== n ||
    t.y.length !== n ||
    t.angle.length !== n ||
    t.ones.length !== n ||
    t.full.length !== n ||
    t.source.length !== n ||
    t.distance.length !== n * n ||
    t.radial.length !== n * n
  )
    throw new TypeError(`${name}: the template's arrays do not match its ${n} cylinders`);
}

/**
 * Local similarity of every cylinder pair, 0 where the pair is not comparable (directions more
 * than maxRotation apart, too few cells valid in both, or empty cylinders). Bit version (section
 * 5): 1 - sqrt(|a xor b|) / (sqrt(|a|) + sqrt(|b|)) over the cells valid in both, |.| counting set
 * bits.
 */
function localSimilarities(a: MccTemplate, b: MccTemplate, out: Float32Array): void {
  const na = a.count;
  const nb = b.count;
  const A = a.bits;
  const B = b.bits;
  const VA = a.valid;
  const VB = b.valid;
  const onesA = a.wordOnes;
  const onesB = b.wordOnes;
  const fullA = a.full;
  const fullB = b.full;
  // |theta_a - theta_b| <= maxRotation  <=>  cos(theta_a - theta_b) >= cos(maxRotation).
  const cosB = new Float64Array(nb);
  const sinB = new Float64Array(nb);
  for (let j = 0; j < nb; j++) {
    cosB[j] = Math.cos(b.angle[j] ?? 0);
    sinB[j] = Math.sin(b.angle[j] ?? 0);
  }
  const minCosine = Math.cos(P.maxRotation) - 1e-12;
  for (let i = 0; i < na; i++) {
    const cosA = Math.cos(a.angle[i] ?? 0);
    const sinA = Math.sin(a.angle[i] ?? 0);
    const baseA = i * CYLINDER_WORDS;
    const maskA = i * MASK_WORDS;
    const isFullA = fullA[i] === 1;
    for (let j = 0; j < nb; j++) {
      const cell = i * nb + j;
      out[cell] = 0;
      if (cosA * (cosB[j] ?? 0) + sinA * (sinB[j] ?? 0) < minCosine) continue;
      const baseB = j * CYLINDER_WORDS;
      let differ = 0;
      let countA = 0;
      let countB = 0;
      if (isFullA && fullB[j] === 1) {
        // Both discs wholly valid: no masking, and the set-bit counts are the templates' own.
        for (let w = 0; w < CYLINDER_WORDS; w++)
          differ += popcount((A[baseA + w] ?? 0) ^ (B[baseB + w] ?? 0));
        countA = a.ones[i] ?? 0;
        countB = b.ones[j] ?? 0;
      } else {
        const maskB = j * MASK_WORDS;
        let matchable = 0;
        for (let w = 0; w < MASK_WORDS; w++) {
          const va = VA[maskA + w] ?? 0;
          const vb = VB[maskB + w] ?? 0;
          const m = va & vb;
          if (m === 0) continue;
          matchable += popcount(m);
          // A cylinder's bits lie within its own valid cells: where the other's mask covers them,
          // its count for this word is the stored one.
          const coversA = m === va;
          const coversB = m === vb;
          if (coversA) countA += onesA[maskA + w] ?? 0;
          if (coversB) countB += onesB[maskB + w] ?? 0;
          const wa = baseA + w * SECTIONS;
          const wb = baseB + w * SECTIONS;
          for (let k = 0; k < SECTIONS; k++) {
            const x = (A[wa + k] ?? 0) & m;
            const y = (B[wb + k] ?? 0) & m;
            differ += popcount(x ^ y);
            if (!coversA) countA += popcount(x);
            if (!coversB) countB += popcount(y);
          }
        }
        if (matchable < MIN_MATCHABLE) continue;
      }
      const norms = Math.sqrt(countA) + Math.sqrt(countB);
      if (norms === 0) continue;
      out[cell] = 1 - Math.sqrt(differ) / norms;
    }
  }
}

/**
 * Compares two prepared templates. Symmetric up to the order of the pairs.
 *
 * @returns the score in [0, 1] (thresholds.ts says which score gives which false-match rate) and the
 *   paired minutiae as [index in a's input, index in b's input]
 * @throws {TypeError} when either argument is not a template from `prepare` (wrong format tag or
 *   inconsistent array sizes): a programmer error, not a data error.
 */
export function compare(a: MccTemplate, b: MccTemplate): Comparison {
  assertTemplate(a, 'a');
  assertTemplate(b, 'b');
  const na = a.count;
  const nb = b.count;
  const similarity = new Float32Array(na * nb);
  localSimilarities(a, b, similarity);

  // The candidate pairs, best first, by a counting sort on the similarity quantised to 1/1024
  // (pairs within one step keep their index order).
  const levels = 1024;
  const histogram = new Int32Array(levels + 1);
  let candidates = 0;
  for (let k = 0; k < similarity.length; k++) {
    const s = similarity[k] ?? 0;
    if (s <= 0) continue;
    const level = levels - Math.floor(s * levels);
    histogram[level] = (histogram[level] ?? 0) + 1;
    candidates++;
  }
  let offset = 0;
  for (let level = 0; level <= levels; level++) {
    const count = histogram[level] ?? 0;
    histogram[level] = offset;
    offset += count;
  }
  const ranked = new Int32Array(candidates);
  for (let k = 0; k < similarity.length; k++) {
    const s = similarity[k] ?? 0;
    if (s <= 0) continue;
    const level = levels - Math.floor(s * levels);
    const at = histogram[level] ?? 0;
    ranked[at] = k;
    histogram[level] = at + 1;
  }

  // LSS-R takes the min(na, nb) best pairs; here one-to-one (each minutia in one pair at most), so
  // that the relaxation weighs distinct correspondences.
  const wanted = Math.min(na, nb);
  const pairA = new Int32Array(wanted);
  const pairB = new Int32Array(wanted);
  const start = new Float64Array(wanted);
  const usedA = new Uint8Array(na);
  const usedB = new Uint8Array(nb);
  let nr = 0;
  for (let r = 0; r < candidates && nr < wanted; r++) {
    const index = ranked[r] ?? 0;
    const i = Math.floor(index / nb);
    const j = index - i * nb;
    if (usedA[i] === 1 || usedB[j] === 1) continue;
    usedA[i] = 1;
    usedB[j] = 1;
    pairA[nr] = i;
    pairB[nr] = j;
    start[nr] = similarity[index] ?? 0;
    nr++;
  }
  if (nr === 0) return { score: 0, pairs: [] };

  const rho = compatibilities(a, b, pairA, pairB, nr);
  // Most pairs of pairs are incompatible (rho ~ 0): the relaxation walks the others, row by row.
  const rowStart = new Int32Array(nr + 1);
  let nonzero = 0;
  for (let t = 0; t < nr; t++) {
    rowStart[t] = nonzero;
    for (let k = 0; k < nr; k++) if ((rho[t * nr + k] ?? 0) > 0) nonzero++;
  }
  rowStart[nr] = nonzero;
  const column = new Int32Array(nonzero);
  const weight = new Float64Array(nonzero);
  for (let t = 0, e = 0; t < nr; t++) {
    for (let k = 0; k < nr; k++) {
      const r = rho[t * nr + k] ?? 0;
      if (r <= 0) continue;
      column[e] = k;
      weight[e] = r;
      e++;
    }
  }
  // Relaxation (eq. 22): lambda_t <- w lambda_t + (1 - w) / (nr - 1) sum_k rho(t, k) lambda_k.
  let current = Float64Array.from(start.subarray(0, nr));
  let next = new Float64Array(nr);
  const spread = nr > 1 ? (1 - P.weight) / (nr - 1) : 0;
  for (let iteration = 0; iteration < P.iterations; iteration++) {
    for (let t = 0; t < nr; t++) {
      let support = 0;
      for (let e = rowStart[t] ?? 0, end = rowStart[t + 1] ?? 0; e < end; e++)
        support += (weight[e] ?? 0) * (current[column[e] ?? 0] ?? 0);
      next[t] = P.weight * (current[t] ?? 0) + spread * support;
    }
    [current, next] = [next, current];
  }

  // The nP pairs that kept the largest share of their similarity (efficiency, eq. 23).
  const np = Math.min(
    nr,
    P.minPairs + Math.round(sigmoid(Math.min(na, nb), P.pairsMu, P.pairsTau) * (P.maxPairs - P.minPairs)),
  );
  // Efficiency: the share of its first similarity a pair kept; the np most efficient, by repeated
  // selection (np <= 12), ties to the earlier pair.
  const efficiency = new Float64Array(nr);
  for (let t = 0; t < nr; t++) efficiency[t] = (current[t] ?? 0) / (start[t] || 1);
  const order = new Int32Array(np);
  const chosen = new Uint8Array(nr);
  let sum = 0;
  for (let r = 0; r < np; r++) {
    let best = -1;
    for (let t = 0; t < nr; t++)
      if (chosen[t] === 0 && (best < 0 || (efficiency[t] ?? 0) > (efficiency[best] ?? 0))) best = t;
    chosen[best] = 1;
    order[r] = best;
    sum += current[best] ?? 0;
  }
  const score = np === 0 ? 0 : Math.min(1, Math.max(0, sum / np));

  // Paired minutiae: the score's pairs and every other pair that agrees with them.
  const pairs: [number, number][] = [];
  for (let t = 0; t < nr; t++) {
    let paired = chosen[t] === 1;
    if (!paired) {
      let support = 0;
      for (let r = 0; r < np; r++) support += rho[t * nr + (order[r] ?? 0)] ?? 0;
      paired = support / np >= P.pairedSupport;
    }
    if (paired) pairs.push([a.source[pairA[t] ?? 0] ?? 0, b.source[pairB[t] ?? 0] ?? 0]);
  }
  return { score, pairs };
}

/**
 * rho(t, k) for the selected pairs (eq. 21): the product of three sigmoids of how much the two
 * pairs disagree on the distance between their minutiae, on their relative direction and on the
 * angle at which each minutia sees the other. Symmetric, 0 on the diagonal.
 */
function compatibilities(
  a: MccTemplate,
  b: MccTemplate,
  pairA: Int32Array,
  pairB: Int32Array,
  nr: number,
): Float32Array {
  const rho = new Float32Array(nr * nr);
  const na = a.count;
  const nb = b.count;
  const distanceLimit = DISTANCE_TABLE.length - 1;
  for (let t = 0; t < nr; t++) {
    const at = pairA[t] ?? 0;
    const bt = pairB[t] ?? 0;
    for (let k = t + 1; k < nr; k++) {
      const ak = pairA[k] ?? 0;
      const bk = pairB[k] ?? 0;
      const d1 = Math.abs((a.distance[at * na + ak] ?? 0) - (b.distance[bt * nb + bk] ?? 0));
      const z1 = DISTANCE_TABLE[Math.min(distanceLimit, Math.round(d1 * DISTANCE_STEPS))] ?? 0;
      if (z1 < 1e-4) continue;
      const d2 = Math.abs(
        angleDifference(
          angleDifference(a.angle[at] ?? 0, a.angle[ak] ?? 0),
          angleDifference(b.angle[bt] ?? 0, b.angle[bk] ?? 0),
        ),
      );
      const z2 = DIRECTION_TABLE[Math.round(d2 * ANGLE_STEPS)] ?? 0;
      const d3 = Math.abs(angleDifference(a.radial[at * na + ak] ?? 0, b.radial[bt * nb + bk] ?? 0));
      const z3 = RADIAL_TABLE[Math.round(d3 * ANGLE_STEPS)] ?? 0;
      const value = z1 * z2 * z3;
      rho[t * nr + k] = value;
      rho[k * nr + t] = value;
    }
  }
  return rho;
}
