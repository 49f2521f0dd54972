/**
 * `station match`: the 1:1 fingerprint comparison from the command line, in this process (no
 * station needed), for technicians checking a scanner's captures and for evaluations on a labelled
 * set of prints. Each image's minutiae are extracted (protocol/fingerprint/ridges.ts, 'template'
 * profile) and compared by the Minutia Cylinder-Code matcher (protocol/fingerprint/match); the score
 * is stated with the false-match rate it stands for, and the decision is taken at a configured FMR,
 * never at a bare score.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  compare,
  type MccTemplate,
  MIN_CYLINDERS,
  MIN_MINUTIAE,
  prepare,
} from '../../../protocol/fingerprint/match/index.ts';
import {
  DEFAULT_FMR,
  FLOOR_SCORE,
  FMR_FLOOR,
  IMPOSTOR_COMPARISONS,
  scoreToFmr,
  THRESHOLD_SOURCE,
  thresholdForFmr,
} from '../../../protocol/fingerprint/match/thresholds.ts';
import { extractMinutiae } from '../../../protocol/fingerprint/ridges.ts';
import { decodeTiffGrey } from '../../../protocol/image/tiff.ts';
import { decodeWsq } from '../../../protocol/wsq/index.ts';
import { parsePairList } from '../../faces/evaluate.ts';
import { decodeGreyPng, decodePgm, type GreyImage, ImageFileError } from '../../imaging/grey-image.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

/** A 4000 x 4000 image is 16 MB raw; nothing larger is read. */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;
/** Prepared templates kept by a --pairs run, so an image named in many pairs is read once. */
const TEMPLATE_CACHE = 512;
/** Stated resolutions outside this range are not believed (a PNG's default 72 or 96 ppi): 500 is used. */
const PLAUSIBLE_PPI = { min: 250, max: 1200 } as const;

/** Why an image gave no template: a stable code and the reason. */
interface ImageProblem {
  readonly code: string;
  readonly message: string;
}

type Prepared =
  | {
      readonly ok: true;
      readonly template: MccTemplate;
      readonly minutiae: number;
      readonly ppi: number;
    }
  | { readonly ok: false; readonly status: 'unreadable' | 'cannot-compare'; readonly error: ImageProblem };

export function fmrOption(text: string | undefined): number {
  if (text === undefined) return DEFAULT_FMR;
  const value = Number(text);
  if (!/^\d*\.?\d+(e-?\d+)?$/i.test(text) || !(value >= FMR_FLOOR && value <= 1))
    throw new UsageError(
      `--fmr must be a false-match rate from ${FMR_FLOOR.toPrecision(3)} (the smallest the thresholds were measured at) to 1, got '${text}'`,
    );
  return value;
}

/** Reads and decodes one image by its extension. Expected failures are results, not throws. */
async function readGrey(
  file: string,
): Promise<{ ok: true; image: GreyImage; ppi: number | undefined } | { ok: false; error: ImageProblem }> {
  const lower = file.toLowerCase();
  const kind = lower.endsWith('.png')
    ? 'png'
    : lower.endsWith('.pgm')
      ? 'pgm'
      : lower.endsWith('.wsq')
        ? 'wsq'
        : lower.endsWith('.tif') || lower.endsWith('.tiff')
          ? 'tiff'
          : 'other';
  if (kind === 'other')
    return {
      ok: false,
      error: { code: 'IMAGE_UNSUPPORTED', message: `${file}: use a .png, .pgm, .wsq or .tif file` },
    };
  let bytes: Uint8Array;
  try {
    const length = statSync(file).size;
    if (length > MAX_INPUT_BYTES)
      return {
        ok: false,
        error: {
          code: 'IMAGE_TOO_LARGE',
          message: `${file} is ${length} bytes; at most ${MAX_INPUT_BYTES} are read`,
        },
      };
    bytes = new Uint8Array(readFileSync(file));
  } catch (error) {
    return {
      ok: false,
      error: {
        code: 'IMAGE_FILE_UNREADABLE',
        message: `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
  try {
    if (kind === 'png') {
      const image = await decodeGreyPng(bytes);
      return { ok: true, image, ppi: image.ppi };
    }
    if (kind === 'pgm') return { ok: true, image: decodePgm(bytes), ppi: undefined };
    if (kind === 'tiff') {
      const tiff = decodeTiffGrey(bytes);
      if (!tiff.ok)
        return {
          ok: false,
          error: {
            code: tiff.error.reason === 'unsupported' ? 'IMAGE_UNSUPPORTED' : 'IMAGE_FORMAT',
            message: `${file} is not a TIFF we read: ${tiff.error.detail} [${tiff.error.reason} at byte ${tiff.error.offset}]`,
          },
        };
      return { ok: true, image: tiff.value, ppi: tiff.value.ppi };
    }
    const decoded = decodeWsq(bytes);
    if (!decoded.ok)
      return {
        ok: false,
        error: {
          code: 'IMAGE_FORMAT',
          message: `${file} is not a WSQ file we can decode: ${decoded.error.detail} [${decoded.error.reason} at byte ${decoded.error.offset}]`,
        },
      };
    return { ok: true, image: decoded.value, ppi: decoded.value.ppi };
  } catch (error) {
    if (error instanceof ImageFileError)
      return { ok: false, error: { code: error.code, message: `${file}: ${error.message}` } };
    throw error;
  }
}

/** An image's template, or why there is none (also `station card verify-finger`'s live finger). */
export async function templateOf(file: string): Promise<Prepared> {
  const read = await readGrey(file);
  if (!read.ok) return { ok: false, status: 'unreadable', error: read.error };
  return templateOfImage(read.image, read.ppi, file);
}

/**
 * A decoded image's template: its minutiae by our extractor (the template profile), prepared for
 * comparison at the stated resolution when it is plausible, else 500 ppi. `label` names the image in
 * messages (a file name, or "the live finger").
 */
export function templateOfImage(image: GreyImage, statedPpi: number | undefined, label: string): Prepared {
  if (image.width < 32 || image.height < 32)
    return {
      ok: false,
      status: 'unreadable',
      error: {
        code: 'IMAGE_TOO_SMALL',
        message: `${label} is ${image.width}x${image.height}; at least 32x32 is needed`,
      },
    };
  const ppi =
    statedPpi !== undefined && statedPpi >= PLAUSIBLE_PPI.min && statedPpi <= PLAUSIBLE_PPI.max
      ? statedPpi
      : 500;
  const extracted = extractMinutiae(image, { profile: 'template' });
  const prepared = prepare({
    width: image.width,
    height: image.height,
    ppi,
    minutiae: extracted.minutiae,
  });
  if (prepared.ok) return { ok: true, template: prepared.value, minutiae: extracted.minutiae.length, ppi };
  const { reason, detail } = prepared.error;
  return {
    ok: false,
    status: reason === 'cannot-compare' ? 'cannot-compare' : 'unreadable',
    error: {
      code: reason === 'cannot-compare' ? 'MATCH_CANNOT_COMPARE' : 'MATCH_TEMPLATE_INVALID',
      message: `${label}: ${detail}`,
    },
  };
}

/** What a pair gave, as printed. */
function pairResult(
  names: { readonly a: string; readonly b: string },
  prepared: { readonly a: Prepared; readonly b: Prepared },
  fmr: number,
  threshold: number,
): Record<string, unknown> & { status: string } {
  const base = { a: names.a, b: names.b };
  for (const which of ['a', 'b'] as const) {
    const p = prepared[which];
    if (!p.ok)
      return {
        ...base,
        status: p.status,
        image: which,
        error: p.error,
        ...(p.status === 'cannot-compare'
          ? {
              minimum: { minutiae: MIN_MINUTIAE, cylinders: MIN_CYLINDERS },
              message: {
                vi: 'Ảnh vân tay có quá ít đặc điểm để so sánh: cần lấy lại vân tay, ấn phẳng và giữ yên.',
                en: 'The print holds too few minutiae to compare: capture it again, pressed flat and held still.',
              },
            }
          : {}),
      };
  }
  if (!prepared.a.ok || !prepared.b.ok) throw new Error('unreachable: both templates were checked');
  const comparison = compare(prepared.a.template, prepared.b.template);
  const scoreFmr = scoreToFmr(comparison.score);
  return {
    ...base,
    status: 'compared',
    score: Number(comparison.score.toPrecision(6)),
    // The FMR a score this high stands for; below the measured floor it is an upper bound.
    fmr: Number(scoreFmr.toPrecision(3)),
    fmrIsUpperBound: comparison.score >= FLOOR_SCORE,
    decision: comparison.score >= threshold ? 'match' : 'no-match',
    decisionFmr: fmr,
    threshold: Number(threshold.toPrecision(6)),
    pairedMinutiae: comparison.pairs.length,
    minutiae: { a: prepared.a.minutiae, b: prepared.b.minutiae },
    ppi: { a: prepared.a.ppi, b: prepared.b.ppi },
  };
}

const HELP = `Usage: station match --a FINGER --b FINGER [--fmr F]
       station match --pairs LIST [--fmr F]

  --a, --b FINGER   two single-finger images: 8-bit grey PNG, binary PGM, WSQ or TIFF (strips,
                    uncompressed or PackBits); 500 ppi unless the file states another resolution
                    between ${PLAUSIBLE_PPI.min} and ${PLAUSIBLE_PPI.max} ppi
  --pairs LIST      a text file of one 'A B' pair per line (whitespace between; blank lines and '#'
                    comments skipped); paths relative to the list's folder
  --fmr F           the false-match rate to decide at (default ${DEFAULT_FMR}, 1 in ${Math.round(1 / DEFAULT_FMR)}):
                    'match' when the score reaches the threshold measured for that FMR

Extracts minutiae and compares them (Minutia Cylinder-Code) in this process. Prints JSON:
  a, b, status      'compared'; or 'cannot-compare' (too few minutiae: capture again) or
                    'unreadable' with image ('a' or 'b') and error { code, message }
  score             similarity 0..1
  fmr               the false-match rate that score stands for (impostor comparisons scoring as
                    high); fmrIsUpperBound when no measured impostor scored as high (the rate is
                    below ${FMR_FLOOR.toPrecision(3)}, 1 in ${IMPOSTOR_COMPARISONS} comparisons)
  decision          'match' or 'no-match' at decisionFmr; threshold is the score it takes
  pairedMinutiae    minutiae paired between the two prints; minutiae: how many each gave
With --pairs: one JSON line per pair in the list's order, then { summary: { pairs, compared, match,
noMatch, cannotCompare, unreadable, decisionFmr, threshold, wallMs } }.
Exit 0 when compared (whatever the decision; every pair processed, for --pairs), 1 when an image
cannot be read or compared (for --pairs: when any pair names an unreadable image) or the list
cannot be read.
Thresholds: ${THRESHOLD_SOURCE}`;

export const matchCommand: Command = {
  name: 'match',
  summary: 'Compare two fingerprint images 1:1 (score, its FMR, decision), or a list of pairs',
  help: HELP,
  async run(args, io) {
    const { values } = parse(
      args,
      { a: { type: 'string' }, b: { type: 'string' }, pairs: { type: 'string' }, fmr: { type: 'string' } },
      { min: 0, max: 0 },
    );
    const fmr = fmrOption(values.fmr);
    const threshold = thresholdForFmr(fmr);
    if (values.pairs !== undefined) {
      if (values.a !== undefined || values.b !== undefined)
        throw new UsageError('give either --a and --b, or --pairs, not both');
      return matchPairList(io, path.resolve(io.cwd, values.pairs), fmr, threshold);
    }
    if (values.a === undefined || values.b === undefined)
      throw new UsageError('give --a FINGER and --b FINGER (or --pairs LIST)');
    const names = { a: values.a, b: values.b };
    const prepared = {
      a: await templateOf(path.resolve(io.cwd, names.a)),
      b: await templateOf(path.resolve(io.cwd, names.b)),
    };
    const result = pairResult(names, prepared, fmr, threshold);
    io.stdout(json(result));
    if (result.status === 'compared') return EXIT_OK;
    const error = result.error as ImageProblem;
    io.stderr(`${error.code}: ${error.message}\n`);
    return EXIT_FAILED;
  },
};

async function matchPairList(io: CliIo, listFile: string, fmr: number, threshold: number): Promise<number> {
  const started = performance.now();
  let text: string;
  try {
    text = readFileSync(listFile, 'utf8');
  } catch (error) {
    return failList(
      io,
      'PAIR_LIST_UNREADABLE',
      `cannot read ${listFile}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = parsePairList(text);
  if (!parsed.ok)
    return failList(
      io,
      'PAIR_LIST_INVALID',
      `${listFile} line ${parsed.error.line}: expected 'A B', got '${parsed.error.text}'`,
    );
  const pairs = parsed.value;
  if (pairs.length === 0) return failList(io, 'PAIR_LIST_EMPTY', `${listFile} names no pair`);
  const folder = path.dirname(listFile);
  // Least recently used templates leave first; a Map keeps insertion order.
  const cache = new Map<string, Prepared>();
  const load = async (name: string): Promise<Prepared> => {
    const file = path.resolve(folder, name);
    const cached = cache.get(file);
    if (cached) {
      cache.delete(file);
      cache.set(file, cached);
      return cached;
    }
    const prepared = await templateOf(file);
    cache.set(file, prepared);
    if (cache.size > TEMPLATE_CACHE) cache.delete(cache.keys().next().value ?? '');
    return prepared;
  };
  const counts = { compared: 0, match: 0, noMatch: 0, cannotCompare: 0, unreadable: 0 };
  for (const [a, b] of pairs) {
    const result = pairResult({ a, b }, { a: await load(a), b: await load(b) }, fmr, threshold);
    io.stdout(`${JSON.stringify(result)}\n`);
    if (result.status === 'compared') {
      counts.compared++;
      if (result.decision === 'match') counts.match++;
      else counts.noMatch++;
    } else if (result.status === 'cannot-compare') counts.cannotCompare++;
    else counts.unreadable++;
  }
  io.stdout(
    `${JSON.stringify({
      summary: {
        pairs: pairs.length,
        ...counts,
        decisionFmr: fmr,
        threshold: Number(threshold.toPrecision(6)),
        wallMs: Math.round(performance.now() - started),
      },
    })}\n`,
  );
  if (counts.unreadable === 0) return EXIT_OK;
  io.stderr(`${counts.unreadable} pair(s) named an image that could not be read\n`);
  return EXIT_FAILED;
}

function failList(io: CliIo, code: string, message: string): number {
  io.stdout(json({ error: { code, message } }));
  io.stderr(`${code}: ${message}\n`);
  return EXIT_FAILED;
}
