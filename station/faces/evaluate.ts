/**
 * Batch 1:1 comparison for evaluations (`scripts/face-eval.ts`, and later `station face compare
 * --pairs`): each image is analysed once however many pairs name it, on one engine whose models are
 * loaded once; one outcome per pair; and the error rates of a labelled set at a threshold.
 *
 * Rates follow ISO/IEC 19795-1 terms: FMR (impostor pairs accepted as 'same'), FNMR (genuine pairs
 * refused), and the equal error rate where the two meet. Pairs in which an image holds no face or
 * several faces are not compared; they are counted apart (failure to acquire), not as errors.
 */
import type { RgbImage } from '../../protocol/face/types.ts';
import {
  type AnalyzedFace,
  type FaceComparison,
  type FaceEngine,
  type SingleFace,
  singleFace,
} from './engine.ts';

export type PairOutcome =
  | ({ readonly a: string; readonly b: string; readonly status: 'compared' } & FaceComparison)
  | {
      readonly a: string;
      readonly b: string;
      readonly status: 'no-face' | 'several-faces';
      /** The image of the pair without a usable single face (the first such, 'a' before 'b'). */
      readonly image: 'a' | 'b';
      readonly faces: number;
    };

export interface ComparePairsOptions {
  /** Passed to every analysis (detector, minimum score). */
  readonly detector?: 'ssd' | 'tiny';
  readonly minScore?: number;
}

/**
 * Compares each pair, analysing each named image once (the cache lives for this call).
 * `load` decodes an image by its name (a path, a fixture name). Rejects as FaceEngine.analyze does,
 * or with `load`'s error.
 */
export async function* comparePairs(
  engine: FaceEngine,
  pairs: Iterable<readonly [string, string]>,
  load: (name: string) => Promise<RgbImage>,
  options: ComparePairsOptions = {},
): AsyncGenerator<PairOutcome> {
  const analysed = new Map<string, SingleFace<AnalyzedFace>>();
  const analyse = async (name: string): Promise<SingleFace<AnalyzedFace>> => {
    const known = analysed.get(name);
    if (known) return known;
    const result = singleFace(
      await engine.analyze(await load(name), {
        ...(options.detector === undefined ? {} : { detector: options.detector }),
        ...(options.minScore === undefined ? {} : { minScore: options.minScore }),
      }),
    );
    analysed.set(name, result);
    return result;
  };
  for (const [a, b] of pairs) {
    const first = await analyse(a);
    const second = await analyse(b);
    if (first.status === 'one-face' && second.status === 'one-face') {
      yield { a, b, status: 'compared', ...engine.compare(first.face.descriptor, second.face.descriptor) };
      continue;
    }
    const [bad, image] = first.status !== 'one-face' ? ([first, 'a'] as const) : ([second, 'b'] as const);
    if (bad.status === 'one-face') continue; // unreachable: one of the two is not a single face
    yield { a, b, status: bad.status, image, faces: bad.status === 'no-face' ? 0 : bad.faces.length };
  }
}

/** The subject of a labelled file name: the part before '__' (`obama__obama2.jpg` -> `obama`). */
export function subjectOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const at = base.indexOf('__');
  return at < 0 ? base : base.slice(0, at);
}

/** Every unordered pair of `names` (in the given order), each marked genuine when the subjects match. */
export function allPairs(
  names: readonly string[],
): { readonly pair: readonly [string, string]; readonly genuine: boolean }[] {
  const pairs: { pair: readonly [string, string]; genuine: boolean }[] = [];
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) {
      const a = names[i] ?? '';
      const b = names[j] ?? '';
      pairs.push({ pair: [a, b], genuine: subjectOf(a) === subjectOf(b) });
    }
  return pairs;
}

/**
 * Parses a pair list: one `a b` pair per line (whitespace-separated; blank lines and `#` comments
 * skipped). Returns the pairs, or the first bad line (1-based) with its text.
 */
export function parsePairList(
  text: string,
):
  | { ok: true; value: [string, string][] }
  | { ok: false; error: { reason: 'invalid-line'; line: number; text: string } } {
  const pairs: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const [a, b] = fields;
    if (fields.length !== 2 || a === undefined || b === undefined)
      return { ok: false, error: { reason: 'invalid-line', line: i + 1, text: line } };
    pairs.push([a, b]);
  }
  return { ok: true, value: pairs };
}

export interface DistanceStats {
  readonly n: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export interface RateSummary {
  readonly genuine: DistanceStats;
  readonly impostor: DistanceStats;
  /** Pairs not compared because an image had no face or several faces. */
  readonly notCompared: number;
  readonly atThreshold: {
    readonly threshold: number;
    /** Impostor pairs with distance < threshold, over all impostor pairs compared (0..1). */
    readonly fmr: number;
    /** Genuine pairs with distance >= threshold, over all genuine pairs compared (0..1). */
    readonly fnmr: number;
    readonly falseMatches: number;
    readonly falseNonMatches: number;
  };
  /**
   * The equal error rate (0..1) and a threshold where it is reached; when genuine and impostor
   * distances do not overlap it is 0, at the midpoint of the gap.
   */
  readonly eer: { readonly rate: number; readonly threshold: number };
}

function stats(values: readonly number[]): DistanceStats {
  if (values.length === 0) return { n: 0, min: Number.NaN, max: Number.NaN, mean: Number.NaN };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { n: values.length, min, max, mean: sum / values.length };
}

/**
 * Error rates of labelled, compared pairs at `threshold` ('same' when distance < threshold), and the
 * equal error rate over all thresholds. `notCompared` is carried through for the report.
 * @throws {RangeError} when there is no genuine or no impostor pair.
 */
export function summarizeRates(
  scored: readonly { readonly genuine: boolean; readonly distance: number }[],
  threshold: number,
  notCompared = 0,
): RateSummary {
  const genuine = scored.filter((s) => s.genuine).map((s) => s.distance);
  const impostor = scored.filter((s) => !s.genuine).map((s) => s.distance);
  if (genuine.length === 0 || impostor.length === 0)
    throw new RangeError(
      `rates need genuine and impostor pairs (got ${genuine.length} and ${impostor.length})`,
    );
  const fmrAt = (t: number) => impostor.filter((d) => d < t).length;
  const fnmrAt = (t: number) => genuine.filter((d) => d >= t).length;

  // Candidate thresholds: every observed distance and every midpoint between neighbours.
  const sorted = [...new Set([...genuine, ...impostor])].sort((x, y) => x - y);
  const candidates = [...sorted];
  for (let i = 1; i < sorted.length; i++) candidates.push(((sorted[i - 1] ?? 0) + (sorted[i] ?? 0)) / 2);
  candidates.push((sorted.at(-1) ?? 0) + 1e-9);
  let best = { gap: Number.POSITIVE_INFINITY, rate: 1, threshold };
  for (const t of candidates) {
    const fmr = fmrAt(t) / impostor.length;
    const fnmr = fnmrAt(t) / genuine.length;
    const gap = Math.abs(fmr - fnmr);
    const rate = (fmr + fnmr) / 2;
    if (gap < best.gap || (gap === best.gap && rate < best.rate)) best = { gap, rate, threshold: t };
  }
  // With no overlap every threshold in the gap gives 0: report the gap's midpoint, not its edge.
  const g = stats(genuine);
  const i = stats(impostor);
  const eer =
    best.rate === 0 && g.max < i.min
      ? { rate: 0, threshold: (g.max + i.min) / 2 }
      : { rate: best.rate, threshold: best.threshold };

  const falseMatches = fmrAt(threshold);
  const falseNonMatches = fnmrAt(threshold);
  return {
    genuine: g,
    impostor: i,
    notCompared,
    atThreshold: {
      threshold,
      fmr: falseMatches / impostor.length,
      fnmr: falseNonMatches / genuine.length,
      falseMatches,
      falseNonMatches,
    },
    eer,
  };
}
