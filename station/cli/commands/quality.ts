/**
 * `station quality --in finger.png`: scores one 500 ppi finger image and prints JSON with our
 * unified score (and its algorithm identity: it is not an NFIQ 2 score), the officer feedback, and
 * the NFIQ 2 native measures keyed by NIST's own names. The four FingerJet FX minutiae measures are
 * NIST's extractor's; ours stand beside them under names of our own (`ourMinutiae`).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  ACTIONABLE_FEEDBACK_NAMES,
  MINUTIAE_COUNTERPARTS,
  MINUTIAE_MEASURE_NAMES,
  NIST_COMPUTED_MEASURE_NAMES,
  scoreFinger,
} from '../../../protocol/quality/index.ts';
import { decodeWsq } from '../../../protocol/wsq/index.ts';
import {
  decodeGreyPng,
  decodePgm,
  formatOf,
  type GreyImage,
  ImageFileError,
} from '../../imaging/grey-image.ts';
import { type Command, EXIT_FAILED, EXIT_OK, json, parse, positiveInteger, UsageError } from '../command.ts';

/** A 4000 x 4000 raw image is 16 MB; nothing larger is read. */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;

class InputFailure extends Error {
  override readonly name = 'InputFailure';
}

/** NaN (a measure not defined for this image) prints as null; the rest to six significant digits, as NIST prints. */
function printable(value: number): number | null {
  return Number.isNaN(value) ? null : Number(value.toPrecision(6));
}

async function readImage(
  file: string,
  format: string,
  size: { width?: number; height?: number },
): Promise<GreyImage> {
  let bytes: Uint8Array;
  try {
    const length = statSync(file).size;
    if (length > MAX_INPUT_BYTES)
      throw new InputFailure(`${file} is ${length} bytes; at most ${MAX_INPUT_BYTES} bytes are read`);
    bytes = new Uint8Array(readFileSync(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new InputFailure(`${file}: no such file`);
    throw error;
  }
  switch (format) {
    case 'png':
      return decodeGreyPng(bytes);
    case 'pgm':
      return decodePgm(bytes);
    case 'wsq': {
      const decoded = decodeWsq(bytes);
      if (!decoded.ok)
        throw new InputFailure(
          `${file} is not a WSQ file we can decode: ${decoded.error.detail} [${decoded.error.reason} at byte ${decoded.error.offset}]`,
        );
      return decoded.value;
    }
    default:
      return { width: size.width ?? 0, height: size.height ?? 0, pixels: bytes };
  }
}

/** What one file gave: the report, or why it could not be scored. */
type FileResult =
  | { readonly ok: true; readonly report: Record<string, unknown> }
  | { readonly ok: false; readonly file: string; readonly code: string; readonly message: string };

function formatOfInput(file: string): string {
  if (file.toLowerCase().endsWith('.wsq')) return 'wsq';
  try {
    return formatOf(file);
  } catch {
    throw new UsageError(`${file}: use a .png, .pgm, .wsq or .raw file name`);
  }
}

/** Scores one file. Expected failures (unreadable, not an image, refused by the measures) are results. */
async function scoreFile(
  file: string,
  format: string,
  size: { width?: number; height?: number },
): Promise<FileResult> {
  let image: GreyImage;
  try {
    image = await readImage(file, format, size);
  } catch (error) {
    if (error instanceof InputFailure)
      return { ok: false, file, code: 'INPUT_UNREADABLE', message: error.message };
    if (error instanceof ImageFileError) return { ok: false, file, code: error.code, message: error.message };
    throw error;
  }
  const result = scoreFinger(image, { minutiae: 'extract' });
  if (!result.ok)
    return {
      ok: false,
      file,
      code: `QUALITY_${result.error.reason.toUpperCase().replace(/-/g, '_')}`,
      message: `cannot score ${file}: ${result.error.detail}`,
    };
  const { score, identity, feedback, measures } = result.value;
  const named: Record<string, number | null> = {};
  const ours: Record<string, { value: number | null; standsFor: string }> = {};
  if (measures) {
    for (const name of [...NIST_COMPUTED_MEASURE_NAMES, ...ACTIONABLE_FEEDBACK_NAMES])
      named[name] = printable(measures.measures[name]);
    for (const name of MINUTIAE_MEASURE_NAMES)
      ours[name] = { value: printable(measures.measures[name]), standsFor: MINUTIAE_COUNTERPARTS[name] };
  }
  return {
    ok: true,
    report: {
      file,
      width: image.width,
      height: image.height,
      score,
      algorithm: {
        name: 'cccd-station unified fingerprint quality (not NFIQ 2)',
        vendorId: `0x${identity.vendorId.toString(16).padStart(4, '0')}`,
        productId: `0x${identity.productId.toString(16).padStart(4, '0')}`,
        version: identity.version,
      },
      feedback,
      print: measures?.crop ?? null,
      measures: measures ? named : null,
      ourMinutiae: measures ? ours : null,
    },
  };
}

export const qualityCommand: Command = {
  name: 'quality',
  summary: 'Score finger images: our quality score, officer feedback, NFIQ 2 measures',
  help: `Usage: station quality --in FINGER.png|.pgm|.wsq|.raw [--in FINGER2 ...] [--width W --height H]
       station quality FINGER1 FINGER2 ...

  --in FILE             a finger at 500 ppi: 8-bit grey PNG, binary PGM, WSQ, or raw; repeat it (or
                        name the files as arguments) to score several in one start
  --width W, --height H the size of raw images (required for .raw, refused otherwise)

One file prints one JSON document; several print one JSON line per file, in the order given (JSON
Lines), so four crops of a slap are one start, not four. Each report has:
  score        our unified quality score 0..100 (not NFIQ 2; see algorithm)
  algorithm    the score's identity: vendor, product and model version
  feedback     what to tell the officer, most urgent first: code, message (vi, en) and the
               values the rule read
  measures     the NFIQ 2 native measures we compute, by NIST's names (FDA_Bin10_Mean, LCS_Bin10_3,
               Mu, ...), and NFIQ 2's actionable feedback values; null where a measure is undefined
  ourMinutiae  our extractor's minutiae measures, beside the FingerJet FX measure each stands in for
A file that cannot be scored (missing, not an image, empty, too small, too large, a slap: segment it
first) gives { file, error: { code, message } } in its place, the reason on stderr, and the others
are still scored; the exit code is then 1.`,
  async run(args, io) {
    const { values, tokens } = parse(
      args,
      { in: { type: 'string', multiple: true }, width: { type: 'string' }, height: { type: 'string' } },
      { min: 0, max: Number.POSITIVE_INFINITY },
    );
    // In the order typed, whether named by --in or as arguments.
    const inputs = tokens.flatMap((token) =>
      (token.kind === 'option' && token.name === 'in') || token.kind === 'positional'
        ? [token.value ?? '']
        : [],
    );
    if (inputs.length === 0) throw new UsageError('--in is required (or name the files as arguments)');
    const formats = inputs.map(formatOfInput);
    const width = positiveInteger('width', values.width);
    const height = positiveInteger('height', values.height);
    if (formats.includes('raw') && (width === undefined || height === undefined))
      throw new UsageError('a .raw image needs --width and --height');
    if (!formats.includes('raw') && (width !== undefined || height !== undefined))
      throw new UsageError('--width and --height are for .raw input; the other formats carry their size');
    const size = {
      ...(width === undefined ? {} : { width }),
      ...(height === undefined ? {} : { height }),
    };
    let failed = false;
    for (const [index, input] of inputs.entries()) {
      const file = path.resolve(io.cwd, input);
      const result = await scoreFile(file, formats[index] ?? 'raw', size);
      if (!result.ok) {
        failed = true;
        io.stderr(`${result.message} [${result.code}]\n`);
      }
      const document = result.ok
        ? result.report
        : { file, error: { code: result.code, message: result.message } };
      if (inputs.length > 1) io.stdout(`${JSON.stringify(document)}\n`);
      else if (result.ok) io.stdout(json(document));
    }
    return failed ? EXIT_FAILED : EXIT_OK;
  },
};
