/**
 * NIST's NBIS minutiae pair, mindtct (extractor) and bozorth3 (matcher), run side by side with our
 * matcher over the same images and pairs (issue 20, part 3). NBIS is public-domain C that we never
 * ship or build here: a developer builds it outside the repository and points NBIS_BIN at the folder
 * holding both binaries. Without it the benches say so and run our matcher alone.
 *
 * The path through NBIS, and why each choice:
 *
 * - Images go to mindtct as uncompressed IHead files (NIST's own raster header, imgtools/ihead.h):
 *   lossless, one fixed 296-byte header, and its density field carries the scan resolution. WSQ would
 *   be the natural NIST input but it is lossy at the FBI's 0.75 bit/pixel, so bozorth3 would be judged
 *   on different pixels than our matcher.
 * - mindtct runs without -b (no contrast boost) and without -m1: its default `.xyt` is NBIS's internal
 *   representation (origin bottom-left, direction in degrees, counter-clockwise from east, pointing out
 *   of the ridge ending), which is what bozorth3 reads when it, too, runs without -m1. mindtct -m1
 *   writes ANSI INCITS 378 conventions (origin top-left, theta in 2-degree units 0..179), while
 *   bozorth3 -m1 flips the y axis but reads theta as whole degrees, so the two -m1 modes do not agree
 *   on the angle unit: the default pair is the one NIST's own examples use. Measured on FVC2002
 *   DB1_B (252 genuine, 2,304 impostor pairs): EER 3.2 % with both defaults, 7.3 % with -m1 on
 *   both, 17.8 % with mindtct -m1 and bozorth3's default.
 * - IHead is checked against NBIS itself: mindtct on our IHead file and on a lossless PNG of the same
 *   pixels writes byte-identical .xyt and binarized images (NIST's 500x500 reference print).
 * - mindtct uses the resolution only for its quality map (a radius in mm); neither tool resamples, and
 *   bozorth3's distance tolerances are in pixels tuned for 500 ppi. Feed it 500 ppi images (fvc.ts can
 *   resample) for a fair reference.
 * - bozorth3 reads pairs from a mates list (-M: one file name a line, probe then gallery), so one process
 *   scores thousands of pairs; `-A outfmt=spg` prints score, probe and gallery on each line so the
 *   answer can be checked against the question line by line; `-b` prints as it goes (without it,
 *   bozorth3 stores lines and stops at 10,000). Its defaults are kept: at most 150 minutiae a print,
 *   and a score of 0 for a print with fewer than 10.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';

export interface NbisTools {
  /** Absolute paths of the two executables. */
  readonly mindtct: string;
  readonly bozorth3: string;
}

/** One print for mindtct: 8-bit grey, row-major, 0 = black (the FVC and scanner convention). */
export interface NbisImage {
  readonly id: string;
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Scan resolution, pixels per inch; written to the IHead density field. */
  readonly ppi: number;
}

export interface NbisTemplateOptions {
  /**
   * Folder for the image and template files. When given, it is created if missing and left in place
   * (the caller owns it); when absent, a fresh folder under the system temp dir is made and removed
   * by `dispose()`.
   */
  readonly workDir?: string;
  /** mindtct processes at once; default: the machine's cores, at most 2 (the shared machine's size). */
  readonly concurrency?: number;
}

export type NbisErrorCode =
  /** A tool could not be started (missing, not executable). */
  | 'NBIS_SPAWN_FAILED'
  /** mindtct exited non-zero or left no .xyt file. */
  | 'NBIS_MINDTCT_FAILED'
  /** bozorth3 exited non-zero or printed a score list that does not answer the pairs asked. */
  | 'NBIS_BOZORTH3_FAILED';

export class NbisError extends Error {
  override readonly name = 'NbisError';
  readonly code: NbisErrorCode;
  /** The template id or the mates-list chunk the failure concerns, when there is one. */
  readonly subject: string | undefined;
  readonly exitCode: number | null;
  /** The tool's last standard-error lines, for the log. */
  readonly stderr: string;
  constructor(
    code: NbisErrorCode,
    message: string,
    fields: { subject?: string; exitCode?: number | null; stderr?: string; cause?: unknown } = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.subject = fields.subject;
    this.exitCode = fields.exitCode ?? null;
    this.stderr = fields.stderr ?? '';
  }
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The NBIS tools named by the environment variable NBIS_BIN (a folder holding `mindtct` and
 * `bozorth3`), or null when it is unset or either executable is missing. Never throws.
 */
export function findNbis(env: NodeJS.ProcessEnv = process.env): NbisTools | null {
  const dir = env.NBIS_BIN;
  if (dir === undefined || dir.trim() === '') return null;
  const mindtct = path.resolve(dir, 'mindtct');
  const bozorth3 = path.resolve(dir, 'bozorth3');
  if (!isExecutable(mindtct) || !isExecutable(bozorth3)) return null;
  return { mindtct, bozorth3 };
}

// ---------------------------------------------------------------------------------------------
// IHead: NIST's uncompressed raster file (NBIS imgtools/include/ihead.h, readihdr.c).
//
//   offset  size  field
//   0       8     header length, ASCII decimal "288", NUL-padded
//   8       80    id           (comment)
//   88      26    created      (date string)
//   114     8     width        px, ASCII decimal, NUL-padded (as every 8-byte field below)
//   122     8     height       px
//   130     8     depth        bits per pixel: 8
//   138     8     density      pixels per inch
//   146     8     compress     0 = none
//   154     8     complen      0 when uncompressed
//   162     8     align        scan-line multiple, bits: 8
//   170     8     unitsize     bits per memory unit: 8
//   178     1     sigbit       '0' most significant bit first
//   179     1     byte_order   '0' high-low
//   180     8     pix_offset   0
//   188     8     whitepix     255: white is the highest value
//   196     1     issigned     '0' unsigned
//   197     1     rm_cm        '0' row major
//   198     1     tb_bt        '0' top to bottom
//   199     1     lr_rl        '0' left to right
//   200     80    parent       (file name)
//   280     8     par_x
//   288     8     par_y
//   296     ...   pixels, width x height bytes
// ---------------------------------------------------------------------------------------------

/** Length of the header record after its 8-byte length field (IHDR_SIZE). */
export const IHEAD_RECORD_SIZE = 288;
/** Bytes before the first pixel: the length field and the record. */
export const IHEAD_HEADER_BYTES = 8 + IHEAD_RECORD_SIZE;

const IHEAD_FIELDS = {
  length: [0, 8],
  id: [8, 80],
  created: [88, 26],
  width: [114, 8],
  height: [122, 8],
  depth: [130, 8],
  density: [138, 8],
  compress: [146, 8],
  complen: [154, 8],
  align: [162, 8],
  unitsize: [170, 8],
  sigbit: [178, 1],
  byteOrder: [179, 1],
  pixOffset: [180, 8],
  whitepix: [188, 8],
  issigned: [196, 1],
  rmCm: [197, 1],
  tbBt: [198, 1],
  lrRl: [199, 1],
  parent: [200, 80],
  parX: [280, 8],
  parY: [288, 8],
} as const satisfies Record<string, readonly [number, number]>;

/** Largest side NBIS's 8-character fields and mindtct's maps take comfortably here, px. */
export const MAX_NBIS_SIDE = 4000;

function assertImage(image: NbisImage): void {
  const { width, height, pixels, ppi } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`${image.id}: size ${width}x${height} is not a positive integer size`);
  if (width > MAX_NBIS_SIDE || height > MAX_NBIS_SIDE)
    throw new RangeError(`${image.id}: side above ${MAX_NBIS_SIDE} px`);
  if (pixels.length !== width * height)
    throw new RangeError(`${image.id}: ${pixels.length} pixels for ${width}x${height}`);
  if (!(Number.isFinite(ppi) && ppi >= 1 && ppi <= 99_999))
    throw new RangeError(`${image.id}: resolution ${ppi} ppi is out of range`);
}

/**
 * An uncompressed 8-bit IHead file for the image (layout above). The density field holds the
 * resolution rounded to whole pixels per inch. @throws {RangeError} on a malformed image
 */
export function encodeIhead(image: NbisImage): Uint8Array {
  assertImage(image);
  const out = new Uint8Array(IHEAD_HEADER_BYTES + image.pixels.length);
  const put = (field: keyof typeof IHEAD_FIELDS, value: string | number): void => {
    const [offset, size] = IHEAD_FIELDS[field];
    const text = String(value);
    // Every byte after the text stays 0, so each field is a NUL-terminated C string.
    if (text.length >= size && size > 1) throw new RangeError(`IHead ${field} "${text}" is too long`);
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i) & 0x7f;
  };
  put('length', IHEAD_RECORD_SIZE);
  put('id', 'cccd-station bench');
  put('width', image.width);
  put('height', image.height);
  put('depth', 8);
  put('density', Math.round(image.ppi));
  put('compress', 0);
  put('complen', 0);
  put('align', 8);
  put('unitsize', 8);
  put('sigbit', '0');
  put('byteOrder', '0');
  put('pixOffset', 0);
  put('whitepix', 255);
  put('issigned', '0');
  put('rmCm', '0');
  put('tbBt', '0');
  put('lrRl', '0');
  put('parX', 0);
  put('parY', 0);
  out.set(image.pixels, IHEAD_HEADER_BYTES);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running the tools
// ---------------------------------------------------------------------------------------------

interface RunResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Keeps the last `max` characters of a tool's standard error for error messages. */
function tail(text: string, max = 2000): string {
  return text.length <= max ? text : `...${text.slice(-max)}`;
}

function run(file: string, args: readonly string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (cause) {
      reject(new NbisError('NBIS_SPAWN_FAILED', `could not start ${file}`, { cause }));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (cause) =>
      reject(new NbisError('NBIS_SPAWN_FAILED', `could not start ${file}: ${cause.message}`, { cause })),
    );
    child.once('close', (exitCode) =>
      resolve({
        exitCode,
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('latin1'),
      }),
    );
  });
}

/**
 * Runs `work` over `items` with at most `limit` in flight. After the first failure no new item starts;
 * it waits for the ones in flight (so nothing still writes into a folder the caller is about to
 * remove), then rejects with that first failure.
 */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(lanes);
  if (failure !== undefined) throw failure.error;
}

function defaultConcurrency(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

function assertConcurrency(value: number): void {
  if (!(Number.isInteger(value) && value >= 1 && value <= 64))
    throw new RangeError(`concurrency ${value} is not an integer in 1..64`);
}

/**
 * mindtct's templates, id -> `.xyt` path, plus the folder they live in. It is a Map, so it goes where
 * a `Map<string, string>` is expected; call `dispose()` when done to remove a folder that
 * nbisTemplates made (a caller-given workDir is left alone).
 */
export class NbisTemplates extends Map<string, string> {
  readonly dir: string;
  readonly #owned: boolean;
  constructor(dir: string, owned: boolean) {
    super();
    this.dir = dir;
    this.#owned = owned;
  }
  async dispose(): Promise<void> {
    this.clear();
    if (this.#owned) await rm(this.dir, { recursive: true, force: true });
  }
}

/** The files mindtct writes beside `<root>.xyt`; removed at once, since only the .xyt is read. */
const MINDTCT_BYPRODUCTS = ['brw', 'dm', 'hcm', 'lcm', 'lfm', 'min', 'qm'] as const;

/**
 * Extracts minutiae from every image with mindtct (flags: none; see the file comment) and returns
 * id -> `.xyt` path. Images are written as IHead (lossless), one file each, named by their index so
 * any id is safe; the image and mindtct's by-products are deleted as soon as the .xyt exists.
 *
 * @throws {RangeError} on a malformed image, a duplicate id or a bad concurrency
 * @throws {NbisError} NBIS_SPAWN_FAILED or NBIS_MINDTCT_FAILED (with the template id and stderr);
 *   the temp folder is removed before the error propagates
 */
export async function nbisTemplates(
  tools: NbisTools,
  images: readonly NbisImage[],
  options: NbisTemplateOptions = {},
): Promise<NbisTemplates> {
  const concurrency = options.concurrency ?? defaultConcurrency();
  assertConcurrency(concurrency);
  const seen = new Set<string>();
  for (const image of images) {
    assertImage(image);
    if (seen.has(image.id)) throw new RangeError(`duplicate template id ${image.id}`);
    seen.add(image.id);
  }
  let dir: string;
  if (options.workDir === undefined) {
    dir = await mkdtemp(path.join(tmpdir(), 'nbis-'));
  } else {
    dir = path.resolve(options.workDir);
    await mkdir(dir, { recursive: true });
  }
  const templates = new NbisTemplates(dir, options.workDir === undefined);
  const paths: string[] = new Array(images.length);
  try {
    await eachLimited(images, concurrency, async (image, index) => {
      const root = path.join(dir, `t${index}`);
      const input = `${root}.ihead`;
      await writeFile(input, encodeIhead(image));
      const result = await run(tools.mindtct, [input, root], dir);
      await Promise.all([
        rm(input, { force: true }),
        ...MINDTCT_BYPRODUCTS.map((ext) => rm(`${root}.${ext}`, { force: true })),
      ]);
      if (result.exitCode !== 0)
        throw new NbisError(
          'NBIS_MINDTCT_FAILED',
          `mindtct failed on ${image.id} (${image.width}x${image.height}) with exit code ${result.exitCode}`,
          { subject: image.id, exitCode: result.exitCode, stderr: tail(result.stderr) },
        );
      paths[index] = `${root}.xyt`;
    });
    const written = new Set(await readdir(dir));
    images.forEach((image, index) => {
      const xyt = paths[index];
      if (xyt === undefined || !written.has(path.basename(xyt)))
        throw new NbisError('NBIS_MINDTCT_FAILED', `mindtct left no template for ${image.id}`, {
          subject: image.id,
        });
      templates.set(image.id, xyt);
    });
  } catch (error) {
    await templates.dispose();
    throw error;
  }
  return templates;
}

// ---------------------------------------------------------------------------------------------
// bozorth3 output
// ---------------------------------------------------------------------------------------------

export type BozorthParseError =
  /** Fewer score lines than pairs: bozorth3 stopped early (it stops at the first unreadable file). */
  | { readonly reason: 'missing-scores'; readonly expected: number; readonly got: number }
  /** More score lines than pairs. */
  | { readonly reason: 'extra-scores'; readonly expected: number; readonly got: number }
  /** A line that is not `score probe gallery`, or a score that is not a non-negative integer. */
  | { readonly reason: 'malformed-line'; readonly line: number; readonly text: string }
  /** A line answering a different pair than the one asked at that position. */
  | { readonly reason: 'pair-mismatch'; readonly line: number; readonly text: string };

export type BozorthParseResult =
  | { readonly ok: true; readonly value: Float64Array }
  | { readonly ok: false; readonly error: BozorthParseError };

const SCORE_LINE = /^(\d+) (\S+) (\S+)$/;

/**
 * Reads bozorth3's `-A outfmt=spg` output (one `score probe gallery` line per pair, in mates-list
 * order) into one score per pair, checking that line i answers `pairs[i]` (paths as written to the
 * mates list). Pure; never throws on bad output, it returns why.
 */
export function parseBozorthScores(
  stdout: string,
  pairs: readonly (readonly [string, string])[],
): BozorthParseResult {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length < pairs.length)
    return { ok: false, error: { reason: 'missing-scores', expected: pairs.length, got: lines.length } };
  if (lines.length > pairs.length)
    return { ok: false, error: { reason: 'extra-scores', expected: pairs.length, got: lines.length } };
  const scores = new Float64Array(pairs.length);
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).replace(/\r$/, '');
    const match = SCORE_LINE.exec(text);
    if (match === null) return { ok: false, error: { reason: 'malformed-line', line: i + 1, text } };
    const [probe, gallery] = pairs[i] as readonly [string, string];
    if (match[2] !== probe || match[3] !== gallery)
      return { ok: false, error: { reason: 'pair-mismatch', line: i + 1, text } };
    scores[i] = Number(match[1]);
  }
  return { ok: true, value: scores };
}

function describeParseError(error: BozorthParseError): string {
  switch (error.reason) {
    case 'missing-scores':
    case 'extra-scores':
      return `${error.got} score lines for ${error.expected} pairs`;
    case 'malformed-line':
      return `line ${error.line} is not "score probe gallery": ${JSON.stringify(error.text)}`;
    case 'pair-mismatch':
      return `line ${error.line} answers another pair: ${JSON.stringify(error.text)}`;
  }
}

/**
 * bozorth3's score for each pair of template ids, in order (higher is more alike; NIST's usual
 * threshold for a match is about 40). The pairs are split into `concurrency` contiguous chunks, one
 * bozorth3 process and mates list each.
 *
 * @throws {RangeError} when a pair names an id missing from `templates`, or a template path holds
 *   whitespace (bozorth3's list files and output are whitespace-separated)
 * @throws {NbisError} NBIS_SPAWN_FAILED, or NBIS_BOZORTH3_FAILED (exit code, stderr, and which lines
 *   did not answer the pairs asked)
 */
export async function bozorth3Scores(
  tools: NbisTools,
  pairs: readonly (readonly [string, string])[],
  templates: ReadonlyMap<string, string>,
  options: { readonly concurrency?: number } = {},
): Promise<Float64Array> {
  const concurrency = options.concurrency ?? defaultConcurrency();
  assertConcurrency(concurrency);
  const files: [string, string][] = pairs.map(([a, b]) => {
    const probe = templates.get(a);
    const gallery = templates.get(b);
    if (probe === undefined) throw new RangeError(`no template for ${a}`);
    if (gallery === undefined) throw new RangeError(`no template for ${b}`);
    return [probe, gallery];
  });
  for (const file of new Set(templates.values()))
    if (/\s/.test(file)) throw new RangeError(`template path ${JSON.stringify(file)} holds whitespace`);
  const scores = new Float64Array(pairs.length);
  if (pairs.length === 0) return scores;

  const dir = await mkdtemp(path.join(tmpdir(), 'bozorth3-'));
  try {
    const size = Math.ceil(files.length / concurrency);
    const chunks: { start: number; pairs: [string, string][] }[] = [];
    for (let start = 0; start < files.length; start += size)
      chunks.push({ start, pairs: files.slice(start, start + size) });
    await eachLimited(chunks, concurrency, async (chunk, index) => {
      const mates = path.join(dir, `mates${index}.lis`);
      await writeFile(mates, chunk.pairs.map(([p, g]) => `${p}\n${g}\n`).join(''));
      const result = await run(tools.bozorth3, ['-A', 'outfmt=spg', '-b', '-M', mates], dir);
      const subject = `pairs ${chunk.start}..${chunk.start + chunk.pairs.length - 1}`;
      if (result.exitCode !== 0)
        throw new NbisError('NBIS_BOZORTH3_FAILED', `bozorth3 exited with ${result.exitCode} on ${subject}`, {
          subject,
          exitCode: result.exitCode,
          stderr: tail(result.stderr),
        });
      const parsed = parseBozorthScores(result.stdout, chunk.pairs);
      if (!parsed.ok)
        throw new NbisError(
          'NBIS_BOZORTH3_FAILED',
          `bozorth3's answer to ${subject} does not fit: ${describeParseError(parsed.error)}`,
          { subject, exitCode: result.exitCode, stderr: tail(result.stderr) },
        );
      scores.set(parsed.value, chunk.start);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return scores;
}
