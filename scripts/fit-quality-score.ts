/**
 * Fits the station's unified fingerprint quality score (protocol/quality/score-features.ts) on
 * generated prints only, and writes the weights to protocol/quality/score-model.ts.
 *
 *   node --import tsx scripts/fit-quality-score.ts [--jobs N] [--cache FILE] [--dry-run] [--scores FILE]
 *
 * Data: for every person seed, one good print, then the same finger degraded by one family at a
 * time over graded strengths s = 0, 0.2 .. 1 (FAMILIES below): image degradations from
 * simulators/fingerprint/degrade.ts (blur, noise, contrast loss) applied to the good print, and
 * skin and capture conditions rendered by the generator with `severity = s`. The label of each
 * print is a quality we define from its family and strength (FAMILIES, docs/quality-score.md).
 *
 * Fit: logistic regression of label / 100 on the standardised features, cross-entropy with soft
 * labels, each weight held to the sign its feature's declared sense allows (or zero), L2 penalty
 * chosen by 4-fold cross-validation grouped by person seed, solved by projected Newton steps. Every
 * family carries the same total weight. The report is on validation seeds that the fit never sees;
 * the unit tests use a third set of seeds. Deterministic: the same run writes the same bytes, from
 * scratch or from its cache (about 3 minutes on two cores from scratch).
 *
 * Never reads the NIST SFinGe fixtures: the weights are fixed before those are scored.
 *
 * --jobs N     worker processes (default: available cores)
 * --cache FILE read the computed features from FILE if it was written for the same configuration,
 *              else compute them and write FILE (for iterating on the fit without re-rendering);
 *              the key is the feature names, families and seeds: delete FILE after changing how a
 *              feature or signal is computed
 * --dry-run    fit and report, but do not write score-model.ts
 * --scores FILE write every validation print's label and score to FILE (CSV)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { computeQualityMeasures, type GreyImage, type QualityMeasures } from '../protocol/quality/index.ts';
import {
  SCORE_FEATURES,
  type ScoreModel,
  scoreFeatureVector,
  scoreFromFeatures,
  Z_LIMIT,
} from '../protocol/quality/score-features.ts';
import { printSignals } from '../protocol/quality/score-signals.ts';
import { blur, noise, washOut } from '../simulators/fingerprint/degrade.ts';
import { renderFinger } from '../simulators/fingerprint/generator.ts';
import { mixSeed, Random } from '../simulators/fingerprint/random.ts';

/** Bump whenever the features, the labels or the data change: it is part of the score's identity. */
const MODEL_VERSION = '1.0.0';
const FIT_SEEDS = range(1001, 64);
const VALIDATION_SEEDS = range(5001, 16);
const LEVELS = [0, 0.2, 0.4, 0.6, 0.8, 1] as const;
const LAMBDAS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2] as const;
const FOLDS = 4;
const MODEL_FILE = new URL('../protocol/quality/score-model.ts', import.meta.url);

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/** Ridge period the generator draws at 500 ppi (docs/fingerprint-generator.md: about 9 px). */
const RIDGE_PERIOD = 9;

/** Share of the ridge signal (at RIDGE_PERIOD) left after a Gaussian blur of `sigma` px. */
function gaussianTransfer(sigma: number): number {
  return Math.exp((-2 * Math.PI ** 2 * sigma ** 2) / RIDGE_PERIOD ** 2);
}

/**
 * Share of the ridge signal left after a straight smear of `length` px along `angle` (radians, the
 * generator's motionBlur convention), over the local regions of the clean print: a region whose
 * ridge normal is at angle n crosses the smear over `length * |cos(n - angle)|` px, a box blur that
 * keeps |sinc(that / period)| of the ridge amplitude. A smear along the ridges of an arch costs
 * little; across them, almost everything.
 */
function smearTransfer(length: number, angle: number, normals: readonly number[]): number {
  if (normals.length === 0) return 0;
  let sum = 0;
  for (const normal of normals) {
    const x = (length * Math.abs(Math.cos(normal - angle))) / RIDGE_PERIOD;
    sum += x === 0 ? 1 : Math.abs(Math.sin(Math.PI * x) / (Math.PI * x));
  }
  return sum / normals.length;
}

// Replicates the generator's draws for the smear direction (generator.ts renderFinger then
// applyCaptureDefects: three placement normals, the unused default length, then the angle), so the
// label knows which way the finger slid. Checked against the gradient direction of the renders.
const STREAM_PLACEMENT = 0x504c4143;
function smearAngle(seed: number, condition: 'smudged' | 'moving'): number {
  const { personSeed, finger, impression } = fingerOf(seed);
  const random = new Random(mixSeed(STREAM_PLACEMENT, personSeed, finger, impression));
  random.gaussian();
  random.gaussian();
  random.gaussian();
  if (condition === 'smudged') random.range(6, 9);
  else random.range(13, 20);
  return random.range(0, Math.PI);
}

/** What a label may depend on besides the strength: the clean print's ridge normals per region. */
interface LabelContext {
  readonly seed: number;
  /** NFIQ 2 local orientation (the ridge normal, radians) of each foreground local region. */
  readonly normals: readonly number[];
}

interface Family {
  readonly name: string;
  /** What strength s means for this family. */
  readonly strength: string;
  /** How the label is defined. */
  readonly labelRule: string;
  readonly label: (s: number, context: LabelContext) => number;
  readonly render: (seed: number, s: number) => GreyImage;
}

function fingerOf(seed: number): { personSeed: number; finger: number; impression: number } {
  return { personSeed: seed, finger: 1 + (seed % 10), impression: (seed * 7919) % 10007 };
}

function goodPrint(seed: number): GreyImage {
  return renderFinger({ ...fingerOf(seed), condition: 'good' }).image;
}

function condition(name: string, labelRule: string, label: (s: number) => number): Family {
  return {
    name,
    strength: 'generator severity s',
    labelRule,
    label: (s) => label(s),
    render: (seed, s) => renderFinger({ ...fingerOf(seed), condition: name, severity: s }).image,
  };
}

const FAMILIES: readonly Family[] = [
  {
    name: 'blur',
    strength: 'Gaussian blur sigma = 3 s px',
    labelRule: '100 exp(-2 pi^2 sigma^2 / 9^2): ridge signal left at the 9 px ridge period',
    label: (s) => 100 * gaussianTransfer(3 * s),
    render: (seed, s) => blur(renderFinger({ ...fingerOf(seed), condition: 'good' }).image, 3 * s),
  },
  {
    name: 'noise',
    strength: 'white noise sigma = 40 s grey levels',
    labelRule: '100 - 70 s',
    label: (s) => 100 - 70 * s,
    render: (seed, s) => noise(renderFinger({ ...fingerOf(seed), condition: 'good' }).image, 40 * s, seed),
  },
  {
    name: 'contrast',
    strength: 'washOut loss = 0.8 s',
    labelRule: '100 - 60 s',
    label: (s) => 100 - 60 * s,
    render: (seed, s) => washOut(renderFinger({ ...fingerOf(seed), condition: 'good' }).image, 0.8 * s),
  },
  condition('dry', '90 - 90 s', (s) => 90 - 90 * s),
  condition('wet', '95 - 85 s', (s) => 95 - 85 * s),
  condition('partial', '95 (1 - s)^0.6', (s) => 95 * (1 - s) ** 0.6),
  {
    name: 'smudged',
    strength: 'generator severity s: smear length 2 + 14 s px',
    labelRule: "100 x ridge signal left by the smear, over the clean print's local regions",
    label: (s, c) => 100 * smearTransfer(2 + 14 * s, smearAngle(c.seed, 'smudged'), c.normals),
    render: (seed, s) => renderFinger({ ...fingerOf(seed), condition: 'smudged', severity: s }).image,
  },
  {
    name: 'moving',
    strength: 'generator severity s: motion length 3 + 30 s px',
    labelRule: "100 x ridge signal left by the motion, over the clean print's local regions",
    label: (s, c) => 100 * smearTransfer(3 + 30 * s, smearAngle(c.seed, 'moving'), c.normals),
    render: (seed, s) => renderFinger({ ...fingerOf(seed), condition: 'moving', severity: s }).image,
  },
  condition('heavy-pressure', '85 - 45 s^2', (s) => 85 - 45 * s * s),
  condition('light-touch', '70 - 65 s', (s) => 70 - 65 * s),
];

interface Sample {
  readonly seed: number;
  readonly family: string;
  readonly level: number;
  readonly label: number;
  readonly features: readonly number[];
}

/** Every (family, level) of one seed; the image families at s = 0 are the good print itself. */
function samplesOf(seed: number): Sample[] {
  const out: Sample[] = [];
  const measure = (image: GreyImage, what: string) => {
    const result = computeQualityMeasures(image, { minutiae: [] });
    if (!result.ok) throw new Error(`seed ${seed} ${what}: ${result.error.detail}`);
    return result.value;
  };
  const features = (image: GreyImage, measures: QualityMeasures) =>
    Array.from(scoreFeatureVector(measures.measures, printSignals(image, measures)));
  const good = goodPrint(seed);
  const goodMeasures = measure(good, 'good');
  const { foreground, orientation } = goodMeasures.maps.regions;
  const normals: number[] = [];
  for (let i = 0; i < foreground.length; i++) if (foreground[i] === 1) normals.push(orientation[i] ?? 0);
  const context: LabelContext = { seed, normals };
  out.push({ seed, family: 'good', level: 0, label: 100, features: features(good, goodMeasures) });
  for (const family of FAMILIES) {
    for (const level of LEVELS) {
      if (level === 0 && (family.name === 'blur' || family.name === 'noise' || family.name === 'contrast'))
        continue;
      const image = family.render(seed, level);
      out.push({
        seed,
        family: family.name,
        level,
        label: family.label(level, context),
        features: features(image, measure(image, `${family.name} ${level}`)),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Worker processes: the parent hands out seeds one at a time and gathers the samples.

interface WorkerMessage {
  readonly seed: number;
  readonly samples: Sample[];
}

async function computeAll(seeds: readonly number[], jobs: number): Promise<Sample[]> {
  const queue = [...seeds];
  const results = new Map<number, Sample[]>();
  const script = fileURLToPath(import.meta.url);
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const children: ChildProcess[] = [];
    let running = 0;
    const next = (child: ChildProcess) => {
      const seed = queue.shift();
      if (seed === undefined) {
        child.disconnect();
        running--;
        if (running === 0) resolve();
        return;
      }
      child.send(seed);
    };
    for (let j = 0; j < Math.min(jobs, seeds.length); j++) {
      const child = fork(script, ['--worker'], { execArgv: process.execArgv });
      children.push(child);
      running++;
      child.on('message', (message: WorkerMessage) => {
        results.set(message.seed, message.samples);
        const done = results.size;
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        process.stderr.write(`\r  ${done}/${seeds.length} seeds, ${seconds} s`);
        next(child);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0 && code !== null) reject(new Error(`worker exited with code ${code}`));
      });
      next(child);
    }
  });
  process.stderr.write('\n');
  return seeds.flatMap((seed) => results.get(seed) ?? []);
}

// ---------------------------------------------------------------------------------------------
// The fit.

interface Standardisation {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

function standardisation(samples: readonly Sample[]): Standardisation {
  const k = SCORE_FEATURES.length;
  const mean = new Float64Array(k);
  const scale = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const values = samples.map((s) => s.features[j] ?? Number.NaN).filter((v) => !Number.isNaN(v));
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const v = values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length;
    mean[j] = m;
    scale[j] = Math.sqrt(v) || 1;
  }
  return { mean, scale };
}

/** +1 for higher-is-better features, -1 for lower-is-better. */
const SENSE = Float64Array.from(SCORE_FEATURES, (f) => (f.sense === 'higher-is-better' ? 1 : -1));

/**
 * Design row: 1 (intercept), then the clamped standardised features turned so that higher is
 * better (multiplied by SENSE); NaN counts as the mean. The fit keeps every coefficient on these
 * turned columns >= 0, and the stored weight is SENSE x coefficient.
 */
function designRow(sample: Sample, st: Standardisation): Float64Array {
  const row = new Float64Array(SCORE_FEATURES.length + 1);
  row[0] = 1;
  for (let j = 0; j < SCORE_FEATURES.length; j++) {
    const x = sample.features[j] ?? Number.NaN;
    const z = Number.isNaN(x) ? 0 : (x - (st.mean[j] ?? 0)) / (st.scale[j] ?? 1);
    row[j + 1] = (SENSE[j] ?? 1) * Math.max(-Z_LIMIT, Math.min(Z_LIMIT, z));
  }
  return row;
}

/** Each family (good prints included) carries the same total weight. */
function familyWeights(samples: readonly Sample[]): Float64Array {
  const counts = new Map<string, number>();
  for (const s of samples) counts.set(s.family, (counts.get(s.family) ?? 0) + 1);
  return Float64Array.from(samples, (s) => 1 / (counts.get(s.family) ?? 1));
}

/** Solves A x = b for symmetric positive definite A (Cholesky), n x n row-major. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] ?? 0) * (l[j * n + k] ?? 0);
      if (i === j) {
        if (sum <= 0) throw new Error('Hessian is not positive definite');
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / (l[j * n + j] ?? 1);
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] ?? 0) * (y[k] ?? 0);
    y[i] = sum / (l[i * n + i] ?? 1);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i] ?? 0;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * n + i] ?? 1);
  }
  return x;
}

/**
 * L2-regularised logistic regression with soft targets y in [0, 1], sample weights and
 * non-negative coefficients (all but the intercept, beta[0], which is also not penalised):
 * minimises sum w (-y log p - (1 - y) log(1 - p)) / sum w + lambda / 2 |beta[1..]|^2 subject to
 * beta[1..] >= 0, by projected Newton steps on the free coefficients (those above zero, or at
 * zero with a gradient pulling them up) with backtracking. Deterministic: no randomness, fixed
 * summation order.
 */
function fitLogistic(rows: readonly Float64Array[], y: Float64Array, w: Float64Array, lambda: number) {
  const n = (rows[0]?.length ?? 1) | 0;
  let totalWeight = 0;
  for (const v of w) totalWeight += v;
  const loss = (beta: Float64Array): number => {
    let sum = 0;
    rows.forEach((row, i) => {
      let t = 0;
      for (let j = 0; j < n; j++) t += (beta[j] ?? 0) * (row[j] ?? 0);
      // log(1 + e^t) computed stably; cross-entropy = log(1 + e^t) - y t.
      const softplus = t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
      sum += ((w[i] ?? 0) / totalWeight) * (softplus - (y[i] ?? 0) * t);
    });
    for (let j = 1; j < n; j++) sum += (lambda / 2) * (beta[j] ?? 0) ** 2;
    return sum;
  };
  let beta = new Float64Array(n);
  let current = loss(beta);
  for (let iteration = 0; iteration < 200; iteration++) {
    const gradient = new Float64Array(n);
    const hessian = new Float64Array(n * n);
    rows.forEach((row, i) => {
      let t = 0;
      for (let j = 0; j < n; j++) t += (beta[j] ?? 0) * (row[j] ?? 0);
      const p = 1 / (1 + Math.exp(-t));
      const wi = (w[i] ?? 0) / totalWeight;
      const r = wi * (p - (y[i] ?? 0));
      const c = wi * p * (1 - p);
      for (let j = 0; j < n; j++) {
        gradient[j] = (gradient[j] ?? 0) + r * (row[j] ?? 0);
        for (let k = 0; k <= j; k++)
          hessian[j * n + k] = (hessian[j * n + k] ?? 0) + c * (row[j] ?? 0) * (row[k] ?? 0);
      }
    });
    for (let j = 0; j < n; j++) for (let k = 0; k < j; k++) hessian[k * n + j] = hessian[j * n + k] ?? 0;
    for (let j = 1; j < n; j++) {
      gradient[j] = (gradient[j] ?? 0) + lambda * (beta[j] ?? 0);
      hessian[j * n + j] = (hessian[j * n + j] ?? 0) + lambda;
    }
    // Coefficients held at zero by the constraint stay out of the Newton system.
    const free: number[] = [];
    for (let j = 0; j < n; j++) if (j === 0 || (beta[j] ?? 0) > 0 || (gradient[j] ?? 0) < 0) free.push(j);
    const m = free.length;
    const h = new Float64Array(m * m);
    const g = new Float64Array(m);
    free.forEach((j, a) => {
      g[a] = gradient[j] ?? 0;
      free.forEach((k, b) => {
        h[a * m + b] = hessian[j * n + k] ?? 0;
      });
    });
    const step = solveSpd(h, g, m);
    let t = 1;
    let next = beta;
    let nextLoss = current;
    for (let halvings = 0; halvings < 40; halvings++, t /= 2) {
      const candidate = Float64Array.from(beta);
      free.forEach((j, a) => {
        const v = (beta[j] ?? 0) - t * (step[a] ?? 0);
        candidate[j] = j === 0 ? v : Math.max(0, v);
      });
      const l = loss(candidate);
      if (l <= current) {
        next = candidate;
        nextLoss = l;
        break;
      }
    }
    let change = 0;
    for (let j = 0; j < n; j++) change = Math.max(change, Math.abs((next[j] ?? 0) - (beta[j] ?? 0)));
    beta = next;
    current = nextLoss;
    if (change < 1e-10) break;
  }
  return beta;
}

function modelOf(beta: Float64Array, st: Standardisation, extra: Pick<ScoreModel, 'fit'>): ScoreModel {
  return {
    version: MODEL_VERSION,
    intercept: beta[0] ?? 0,
    features: SCORE_FEATURES.map((f, j) => ({
      name: f.name,
      mean: st.mean[j] ?? 0,
      scale: st.scale[j] ?? 1,
      weight: (SENSE[j] ?? 1) * (beta[j + 1] ?? 0),
    })),
    ...extra,
  };
}

function fitOn(samples: readonly Sample[], lambda: number): ScoreModel {
  const st = standardisation(samples);
  const rows = samples.map((s) => designRow(s, st));
  const y = Float64Array.from(samples, (s) => s.label / 100);
  const beta = fitLogistic(rows, y, familyWeights(samples), lambda);
  return modelOf(beta, st, {
    fit: {
      samples: 0,
      fitSeeds: '',
      validationSeeds: '',
      lambda,
      validation: { samples: 0, rmse: 0, mae: 0, spearman: 0 },
    },
  });
}

function ranks(values: readonly number[]): Float64Array {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.[0] === order[i]?.[0]) j++;
    for (let k = i; k <= j; k++) out[order[k]?.[1] ?? 0] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (ra[i] ?? 0) - ma;
    const y = (rb[i] ?? 0) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return num / Math.sqrt(da * db);
}

interface Evaluation {
  readonly samples: number;
  readonly rmse: number;
  readonly mae: number;
  readonly spearman: number;
}

/** Errors in score points; every family weighs the same in RMSE and MAE, as in the fit. */
function evaluate(model: ScoreModel, samples: readonly Sample[]): Evaluation {
  const scores = samples.map((s) => scoreFromFeatures(s.features, model));
  const w = familyWeights(samples);
  let total = 0;
  let se = 0;
  let ae = 0;
  samples.forEach((s, i) => {
    const e = (scores[i] ?? 0) - s.label;
    total += w[i] ?? 0;
    se += (w[i] ?? 0) * e * e;
    ae += (w[i] ?? 0) * Math.abs(e);
  });
  return {
    samples: samples.length,
    rmse: Math.sqrt(se / total),
    mae: ae / total,
    spearman: spearman(
      scores,
      samples.map((s) => s.label),
    ),
  };
}

function round(value: number, digits = 6): number {
  return Number(value.toPrecision(digits));
}

function writeModel(model: ScoreModel): void {
  const f = (v: number) => String(round(v));
  const lines = [
    '/**',
    ' * GENERATED by scripts/fit-quality-score.ts from generated prints only; do not edit by hand.',
    ' * Re-run the script to refit; docs/quality-score.md explains every number. Not NFIQ 2.',
    ' */',
    "import type { ScoreModel } from './score-features.ts';",
    '',
    'export const SCORE_MODEL: ScoreModel = {',
    `  version: '${model.version}',`,
    `  intercept: ${f(model.intercept)},`,
    '  features: [',
    ...model.features.map(
      (x) => `    { name: '${x.name}', mean: ${f(x.mean)}, scale: ${f(x.scale)}, weight: ${f(x.weight)} },`,
    ),
    '  ],',
    '  fit: {',
    `    samples: ${model.fit.samples},`,
    `    fitSeeds: '${model.fit.fitSeeds}',`,
    `    validationSeeds: '${model.fit.validationSeeds}',`,
    `    lambda: ${f(model.fit.lambda)},`,
    '    validation: {',
    `      samples: ${model.fit.validation.samples},`,
    `      rmse: ${round(model.fit.validation.rmse, 4)},`,
    `      mae: ${round(model.fit.validation.mae, 4)},`,
    `      spearman: ${round(model.fit.validation.spearman, 4)},`,
    '    },',
    '  },',
    '};',
    '',
  ];
  writeFileSync(MODEL_FILE, lines.join('\n'));
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const jobs = Number(option('--jobs') ?? availableParallelism());
  const cacheFile = option('--cache');
  const config = JSON.stringify({
    features: SCORE_FEATURES.map((f) => f.name),
    families: FAMILIES.map((f) => [f.name, f.strength, f.labelRule]),
    levels: LEVELS,
    fit: FIT_SEEDS,
    validation: VALIDATION_SEEDS,
  });

  let all: Sample[] | undefined;
  if (cacheFile !== undefined && existsSync(cacheFile)) {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { config: string; samples: Sample[] };
    if (cached.config === config) {
      all = cached.samples.map((s) => ({
        ...s,
        features: s.features.map((v) => (v === null ? Number.NaN : v)),
      }));
      console.log(`features from ${cacheFile}`);
    } else console.log(`${cacheFile} was written for another configuration; recomputing`);
  }
  if (all === undefined) {
    console.log(
      `rendering and measuring ${FIT_SEEDS.length + VALIDATION_SEEDS.length} seeds x ${1 + FAMILIES.length * LEVELS.length - 3} prints on ${jobs} processes`,
    );
    all = await computeAll([...FIT_SEEDS, ...VALIDATION_SEEDS], jobs);
    if (cacheFile !== undefined) writeFileSync(cacheFile, JSON.stringify({ config, samples: all }));
  }
  const fitSet = all.filter((s) => FIT_SEEDS.includes(s.seed));
  const validationSet = all.filter((s) => VALIDATION_SEEDS.includes(s.seed));
  const nan = fitSet.filter((s) => s.features.some((v) => Number.isNaN(v))).length;
  if (nan > 0)
    console.log(`${nan} fitting prints have a feature that could not be computed (counted as the mean)`);

  // L2 penalty by 4-fold cross-validation, folds by person seed.
  console.log('\nlambda   cross-validated RMSE');
  let best: { lambda: number; rmse: number } | undefined;
  for (const lambda of LAMBDAS) {
    let se = 0;
    for (let fold = 0; fold < FOLDS; fold++) {
      const inFold = (s: Sample) => FIT_SEEDS.indexOf(s.seed) % FOLDS === fold;
      const model = fitOn(
        fitSet.filter((s) => !inFold(s)),
        lambda,
      );
      se += evaluate(model, fitSet.filter(inFold)).rmse ** 2;
    }
    const rmse = Math.sqrt(se / FOLDS);
    console.log(`${String(lambda).padEnd(8)} ${rmse.toFixed(3)}`);
    if (best === undefined || rmse < best.rmse - 1e-9) best = { lambda, rmse };
  }
  const lambda = best?.lambda ?? 1e-3;

  const fitted = fitOn(fitSet, lambda);
  const validation = evaluate(fitted, validationSet);
  const model: ScoreModel = {
    ...fitted,
    fit: {
      samples: fitSet.length,
      fitSeeds: `${FIT_SEEDS[0]}..${FIT_SEEDS.at(-1)}`,
      validationSeeds: `${VALIDATION_SEEDS[0]}..${VALIDATION_SEEDS.at(-1)}`,
      lambda,
      validation,
    },
  };
  const training = evaluate(model, fitSet);

  console.log(
    `\nlambda ${lambda}; ${fitSet.length} fitting prints, ${validationSet.length} validation prints`,
  );
  console.log(
    `fit:        RMSE ${training.rmse.toFixed(2)}  MAE ${training.mae.toFixed(2)}  Spearman ${training.spearman.toFixed(3)}`,
  );
  console.log(
    `validation: RMSE ${validation.rmse.toFixed(2)}  MAE ${validation.mae.toFixed(2)}  Spearman ${validation.spearman.toFixed(3)}`,
  );
  console.log('\nweights (per standard deviation), largest first; intercept', round(model.intercept, 4));
  for (const f of [...model.features].sort(
    (a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.name.localeCompare(b.name),
  ))
    console.log(
      `  ${f.name.padEnd(40)} ${round(f.weight, 4).toString().padStart(9)}   mean ${round(f.mean, 4)} sd ${round(f.scale, 4)}`,
    );

  console.log('\nvalidation: mean score (label) per strength');
  console.log(`  ${'family'.padEnd(16)}${LEVELS.map((l) => String(l).padStart(13)).join('')}`);
  const goodScores = validationSet
    .filter((s) => s.family === 'good')
    .map((s) => scoreFromFeatures(s.features, model));
  for (const family of ['good', ...FAMILIES.map((f) => f.name)]) {
    const cells = LEVELS.map((level) => {
      const set = validationSet.filter(
        (s) =>
          (s.family === family && s.level === level) ||
          (level === 0 &&
            family !== 'good' &&
            s.family === 'good' &&
            ['blur', 'noise', 'contrast'].includes(family)),
      );
      if (set.length === 0) return ''.padStart(13);
      const mean = set.reduce((a, s) => a + scoreFromFeatures(s.features, model), 0) / set.length;
      const label = set.reduce((a, s) => a + s.label, 0) / set.length;
      return `${mean.toFixed(1)} (${label.toFixed(0)})`.padStart(13);
    });
    console.log(`  ${family.padEnd(16)}${cells.join('')}`);
  }
  const strong = validationSet.filter((s) => s.family !== 'good' && s.level >= 0.8);
  const worstGood = Math.min(...goodScores);
  const bestStrong = strong.reduce(
    (acc, s) => {
      const score = scoreFromFeatures(s.features, model);
      return score > acc.score ? { score, what: `${s.family} ${s.level} seed ${s.seed}` } : acc;
    },
    { score: Number.NEGATIVE_INFINITY, what: '' },
  );
  console.log(
    `\nlowest good print ${worstGood.toFixed(1)}; highest print at strength >= 0.8: ${bestStrong.score.toFixed(1)} (${bestStrong.what})`,
  );

  const scoresFile = option('--scores');
  if (scoresFile !== undefined) {
    const rows = validationSet.map(
      (s) =>
        `${s.seed},${s.family},${s.level},${s.label.toFixed(2)},${scoreFromFeatures(s.features, model).toFixed(2)}`,
    );
    writeFileSync(scoresFile, `seed,family,level,label,score\n${rows.join('\n')}\n`);
  }

  if (process.argv.includes('--dry-run')) console.log('\n--dry-run: score-model.ts not written');
  else {
    writeModel(model);
    console.log('\nwrote protocol/quality/score-model.ts');
  }
}

// Entry point, after every declaration above has been initialised.
if (process.argv.includes('--worker')) {
  process.on('message', (seed: number) => {
    process.send?.({ seed, samples: samplesOf(seed) } satisfies WorkerMessage);
  });
} else {
  await main();
}
