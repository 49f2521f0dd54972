/**
 * Face comparison evaluation: compares pairs of photographs with the station's face engine (models
 * loaded once) and prints one JSON line per pair, then a summary line with the error rates.
 *
 *   scripts/with-runtime node --import tsx scripts/face-eval.ts                  # all pairs of the shared photographs
 *   scripts/with-runtime node --import tsx scripts/face-eval.ts --dir photos/    # all pairs of a folder
 *   scripts/with-runtime node --import tsx scripts/face-eval.ts --pairs list.txt # one `a b` pair per line
 *   options: --detector ssd|tiny (default ssd), --threshold 0.6
 *
 * In a folder, files are labelled by the part of their name before '__' (`<person>__<origin>.jpg`):
 * two files of one person form a genuine pair, of two people an impostor pair. The summary (FMR,
 * FNMR at the threshold, distance ranges, EER) is printed when every name carries such a label.
 *
 * Images are decoded through the station's own adapter (decodeAnyPortrait: JPEG, PNG and WebP by sharp,
 * JPEG 2000 by OpenJPEG in its worker), so an evaluation reads a chip's JP2 portrait the way the
 * station does. Exit code 0, or 2 for bad arguments or an unreadable pair list.
 * `station face compare --pairs` does the same from the station's command line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { RgbImage } from '../protocol/face/types.ts';
import {
  allPairs,
  comparePairs,
  type PairOutcome,
  parsePairList,
  type RateSummary,
  subjectOf,
  summarizeRates,
} from '../station/faces/evaluate.ts';
import { FACE_API_THRESHOLD, FaceApiEngine } from '../station/faces/face-api-engine.ts';
import { ImageError } from '../station/imaging/image-errors.ts';
import { decodeAnyPortrait } from '../station/imaging/jpeg2000.ts';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
/** The shared photographs beside the repository (`../shared/fixtures/faces`), or CCCD_FIXTURES/faces. */
export const DEFAULT_FACE_DIR = path.join(
  process.env.CCCD_FIXTURES ?? path.resolve(ROOT, '..', 'shared', 'fixtures'),
  'faces',
);

/**
 * Decodes an image file (JPEG, PNG, WebP or JPEG 2000, chosen by its bytes) to upright 8-bit sRGB.
 * @throws {ImageError} IMAGE_DECODE_FAILED, IMAGE_TOO_LARGE or IMAGE_UNSUPPORTED, naming the file.
 * @throws {Error} when the file cannot be read.
 */
async function decodeFile(file: string): Promise<RgbImage> {
  const decoded = await decodeAnyPortrait(new Uint8Array(readFileSync(file)));
  if (!decoded.ok)
    throw new ImageError(decoded.error.code, `${file}: ${decoded.error.message}`, { cause: decoded.error });
  return decoded.value;
}

export interface FaceEvalOptions {
  /** A folder: all pairs of its .jpg/.jpeg/.png/.webp/.jp2/.j2k files. Ignored when `pairs` is given. */
  readonly dir?: string;
  /** Pairs to compare, paths as given (relative to the working directory). */
  readonly pairs?: readonly (readonly [string, string])[];
  readonly detector?: 'ssd' | 'tiny';
  readonly threshold?: number;
}

export interface FaceEvalResult {
  readonly engine: string;
  readonly engineVersion: string;
  readonly detector: 'ssd' | 'tiny';
  readonly pairs: number;
  /** The rates, when every file name carries a `<person>__` label. */
  readonly rates: RateSummary | undefined;
  /** Wall time of the whole run, models loading included, ms. */
  readonly wallMs: number;
}

/**
 * Runs an evaluation: one engine (models loaded once), every pair compared, `onPair` called with
 * each outcome (labelled with `genuine` when the names carry labels).
 * @throws {FaceEngineError} when the models do not load; decoding errors of an image propagate.
 */
export async function runFaceEval(
  options: FaceEvalOptions,
  onPair: (outcome: PairOutcome & { readonly genuine?: boolean }) => void,
): Promise<FaceEvalResult> {
  const started = performance.now();
  const detector = options.detector ?? 'ssd';
  let pairs: (readonly [string, string])[];
  if (options.pairs) pairs = [...options.pairs];
  else {
    const dir = options.dir ?? DEFAULT_FACE_DIR;
    const names = readdirSync(dir)
      .filter((name) => /\.(jpe?g|png|webp|jp2|j2k)$/i.test(name))
      .sort()
      .map((name) => path.join(dir, name));
    pairs = allPairs(names).map((p) => p.pair);
  }
  const labelled = pairs.every(
    ([a, b]) => path.basename(a).includes('__') && path.basename(b).includes('__'),
  );
  const engine = await FaceApiEngine.start({
    detectors: [detector],
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
  });
  try {
    const scored: { genuine: boolean; distance: number }[] = [];
    let notCompared = 0;
    for await (const outcome of comparePairs(engine, pairs, decodeFile, { detector })) {
      const genuine = labelled ? subjectOf(outcome.a) === subjectOf(outcome.b) : undefined;
      onPair(genuine === undefined ? outcome : { ...outcome, genuine });
      if (outcome.status !== 'compared') notCompared++;
      else if (genuine !== undefined) scored.push({ genuine, distance: outcome.distance });
    }
    const canRate = labelled && scored.some((s) => s.genuine) && scored.some((s) => !s.genuine);
    return {
      engine: engine.name,
      engineVersion: engine.version,
      detector,
      pairs: pairs.length,
      rates: canRate ? summarizeRates(scored, engine.threshold, notCompared) : undefined,
      wallMs: performance.now() - started,
    };
  } finally {
    await engine.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let values: { dir?: string; pairs?: string; detector?: string; threshold?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        pairs: { type: 'string' },
        detector: { type: 'string' },
        threshold: { type: 'string' },
      },
    }));
  } catch (error) {
    process.stderr.write(`face-eval: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const detector = values.detector ?? 'ssd';
  if (detector !== 'ssd' && detector !== 'tiny') {
    process.stderr.write(`face-eval: --detector must be ssd or tiny, not '${detector}'\n`);
    return 2;
  }
  const threshold = values.threshold === undefined ? FACE_API_THRESHOLD : Number(values.threshold);
  if (!(threshold > 0)) {
    process.stderr.write(`face-eval: --threshold must be a positive distance, not '${values.threshold}'\n`);
    return 2;
  }
  let pairs: [string, string][] | undefined;
  if (values.pairs !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.pairs, 'utf8');
    } catch (error) {
      process.stderr.write(
        `face-eval: cannot read ${values.pairs}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return 2;
    }
    const parsed = parsePairList(text);
    if (!parsed.ok) {
      process.stderr.write(
        `face-eval: ${values.pairs} line ${parsed.error.line}: expected 'a b', got '${parsed.error.text}'\n`,
      );
      return 2;
    }
    pairs = parsed.value;
  }
  const result = await runFaceEval(
    {
      ...(values.dir === undefined ? {} : { dir: values.dir }),
      ...(pairs ? { pairs } : {}),
      detector,
      threshold,
    },
    (outcome) => {
      const named = { ...outcome, a: path.basename(outcome.a), b: path.basename(outcome.b) };
      process.stdout.write(`${JSON.stringify(round(named))}\n`);
    },
  );
  process.stdout.write(`${JSON.stringify({ summary: round(result) })}\n`);
  return 0;
}

/** Rounds every number to 4 decimals for reading (distances carry no more meaning than that). */
function round<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v)),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main(process.argv.slice(2));
