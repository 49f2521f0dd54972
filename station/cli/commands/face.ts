/**
 * `station face check|compare`: the portrait checks and the 1:1 face comparison from the command
 * line, in this process (no station needed), for technicians checking a camera's pictures and for
 * evaluations of the face engine on a labelled set of photographs.
 *
 * Each run starts its own face engine (models loaded once, a few seconds) and, for `check`, a
 * one-worker hot path, and closes both before it returns; images are decoded through the station's
 * imaging adapter (JPEG, PNG, WebP, JPEG 2000). A comparison is advisory and not protected against
 * presentation attacks, and every answer says so.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OfficerMessage } from '../../../protocol/face/feedback.ts';
import type { RgbImage } from '../../../protocol/face/types.ts';
import { type FaceDetectorKind, type FaceEngine, singleFace } from '../../faces/engine.ts';
import { FaceEngineError } from '../../faces/errors.ts';
import {
  comparePairs,
  type PairOutcome,
  parsePairList,
  type RateSummary,
  subjectOf,
  summarizeRates,
} from '../../faces/evaluate.ts';
import { FACE_API_THRESHOLD, FaceApiEngine, MAX_SIDE } from '../../faces/face-api-engine.ts';
import { HotpathError } from '../../hotpath/errors.ts';
import { Hotpath } from '../../hotpath/hotpath.ts';
import { DEFAULT_IMAGE_LIMITS } from '../../imaging/image-errors.ts';
import { decodeAnyPortrait } from '../../imaging/jpeg2000.ts';
import { DEFAULT_CARD_PORTRAIT } from '../../imaging/portrait.ts';
import { decodeRgb, encodePng, readImageMetadata, resizeRgb } from '../../imaging/sharp-images.ts';
import { capturePortrait } from '../../portrait/capture.ts';
import {
  type CliIo,
  type Command,
  EXIT_FAILED,
  EXIT_OK,
  json,
  parse,
  positiveInteger,
  UsageError,
} from '../command.ts';

/** What the face commands start; tests pass stand-ins (a fake engine needs no models). */
export interface FaceCommandDeps {
  /**
   * Starts a face engine with these detectors loaded (the first is its default) and this comparison
   * threshold (Euclidean distance; undefined: the engine's own). The command closes it.
   */
  readonly startEngine: (options: {
    readonly detectors: readonly FaceDetectorKind[];
    readonly threshold: number | undefined;
  }) => Promise<FaceEngine>;
  /** A hot path for the portrait measures (the command closes it). */
  readonly startHotpath: () => Hotpath;
}

export const defaultFaceCommandDeps: FaceCommandDeps = {
  startEngine: ({ detectors, threshold }) =>
    FaceApiEngine.start({
      detectors,
      defaultDetector: detectors[0] ?? 'ssd',
      ...(threshold === undefined ? {} : { threshold }),
    }),
  startHotpath: () => new Hotpath({ workers: 1 }),
};

/** Said with every comparison: the verdict is advisory and a photo or a screen can fool it. */
export const COMPARISON_NOTE: OfficerMessage = {
  vi: 'Kết quả chỉ mang tính tham khảo: cán bộ là người quyết định. Ngưỡng được hiệu chỉnh trên các tập ảnh khác, chưa trên người mang thẻ (yếu hơn với khuôn mặt người châu Á và trẻ em). Chưa được bảo vệ trước tấn công giả mạo: ảnh in hoặc màn hình điện thoại đưa trước máy ảnh không bị phát hiện.',
  en: 'Advisory only: an officer decides. The threshold was set on other populations than the card holders (weaker on Asian faces and on children). Not protected against presentation attacks: a printed photo or a phone screen held to the camera is not detected.',
};

const FACE_STATUS_MESSAGES: Readonly<Record<'no-face' | 'several-faces', OfficerMessage>> = {
  'no-face': { vi: 'Không thấy khuôn mặt nào trong ảnh.', en: 'No face was found in the image.' },
  'several-faces': {
    vi: 'Ảnh có nhiều hơn một khuôn mặt: cần ảnh chỉ có một người.',
    en: 'The image holds more than one face: a picture of one person is needed.',
  },
};

/** Why an input could not be used: a stable code and the reason. */
interface InputError {
  readonly code: string;
  readonly message: string;
}

/** An input file read whole, within the imaging adapter's byte bound, then decoded. */
async function loadImage(
  file: string,
): Promise<{ ok: true; image: RgbImage } | { ok: false; error: InputError }> {
  const bytes = readBounded(file);
  if (!bytes.ok) return bytes;
  const decoded = await decodeAnyPortrait(bytes.bytes);
  if (!decoded.ok)
    return { ok: false, error: { code: decoded.error.code, message: `${file}: ${decoded.error.message}` } };
  return { ok: true, image: await fitForEngine(decoded.value) };
}

/**
 * A photo larger than the engine takes (MAX_SIDE a side; a 24-megapixel camera's) scaled down to fit:
 * the detectors work at 512 px or less anyway, so nothing they could see is lost.
 */
async function fitForEngine(image: RgbImage): Promise<RgbImage> {
  const longest = Math.max(image.width, image.height);
  if (longest <= MAX_SIDE) return image;
  const scale = MAX_SIDE / longest;
  return resizeRgb(
    image,
    Math.min(MAX_SIDE, Math.max(1, Math.round(image.width * scale))),
    Math.min(MAX_SIDE, Math.max(1, Math.round(image.height * scale))),
  );
}

/**
 * The bytes `capturePortrait` gets: the file's own, or for a JPEG/PNG/WebP larger than the engine
 * takes, the photo scaled to fit and re-encoded losslessly (PNG). Read from the header first, so a
 * photo of usual size is decoded once only, by the capture.
 */
async function captureBytes(
  bytes: Uint8Array,
): Promise<{ bytes: Uint8Array; downscaledFrom: { width: number; height: number } | null }> {
  const header = await readImageMetadata(bytes);
  if (!header.ok) return { bytes, downscaledFrom: null }; // JPEG 2000, or unreadable: the capture says which
  const { uprightWidth: width, uprightHeight: height } = header.value;
  if (Math.max(width, height) <= MAX_SIDE) return { bytes, downscaledFrom: null };
  const decoded = await decodeRgb(bytes);
  if (!decoded.ok) return { bytes, downscaledFrom: null };
  return { bytes: await encodePng(await fitForEngine(decoded.value)), downscaledFrom: { width, height } };
}

function readBounded(file: string): { ok: true; bytes: Uint8Array } | { ok: false; error: InputError } {
  try {
    const length = statSync(file).size;
    if (length > DEFAULT_IMAGE_LIMITS.maxBytes)
      return {
        ok: false,
        error: {
          code: 'IMAGE_TOO_LARGE',
          message: `${file} is ${length} bytes; at most ${DEFAULT_IMAGE_LIMITS.maxBytes} are read`,
        },
      };
    return { ok: true, bytes: new Uint8Array(readFileSync(file)) };
  } catch (error) {
    return {
      ok: false,
      error: {
        code: 'IMAGE_FILE_UNREADABLE',
        message: `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
}

/** Prints `{ error: { code, message } }` (and the message on stderr); exit 1. */
function failWith(io: CliIo, error: InputError, extra: Record<string, unknown> = {}): number {
  io.stdout(json({ ...extra, error }));
  io.stderr(`${error.code}: ${error.message}\n`);
  return EXIT_FAILED;
}

function detectorOption(text: string | undefined): FaceDetectorKind {
  if (text === undefined) return 'ssd';
  if (text !== 'ssd' && text !== 'tiny')
    throw new UsageError(`--detector must be ssd or tiny, got '${text}'`);
  return text;
}

function thresholdOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  // Descriptor distances of this kind lie in 0..2; a threshold outside it decides nothing.
  if (!/^\d*\.?\d+$/.test(text) || !(value > 0 && value <= 2))
    throw new UsageError(`--threshold must be a distance above 0 and at most 2, got '${text}'`);
  return value;
}

/**
 * An engine or hot-path failure (models not loaded, a worker crashed) as the JSON error; other errors
 * propagate.
 */
function engineFailure(io: CliIo, error: unknown): number {
  if (error instanceof FaceEngineError || error instanceof HotpathError)
    return failWith(io, { code: error.code, message: error.message });
  throw error;
}

const CHECK_HELP = `Usage: station face check --in IMAGE [--out-portrait FILE] [--out-icao FILE] [--force]
                          [--max-bytes N]

  --in IMAGE           a photo or camera frame: JPEG, PNG, WebP or JPEG 2000 (at most 32 MiB; one
                       above ${MAX_SIDE} px a side is scaled down first, see downscaledFrom)
  --out-portrait FILE  write the chip portrait (ISO/IEC 19794-5 token, 480x640 JPEG) there
  --out-icao FILE      write the full-resolution ICAO capture (900x1200 JPEG, the packet's Type-10) there
  --force              make the portrait even when the checks refuse the picture (one face needed)
  --max-bytes N        the chip portrait's byte budget (default ${DEFAULT_CARD_PORTRAIT.maxBytes})

Runs the station's capture in this process (face engine and measures; the models take a few
seconds to load) and prints JSON:
  file, width, height, downscaledFrom
                 the photo, the size measured, and its own size when it was scaled down to fit
                 the engine (else null)
  accepted       whether the checks accept the picture
  feedback       [{ code, message: { vi, en } }] what the applicant should fix, first things first
  faceCount      faces found; the largest is measured
  measures       OFIQ-aligned measures (not ISO/IEC 29794-5 values): name -> { raw, quality 0..100 }
  pose           { yaw, pitch, roll } degrees, or null
  portrait       { bytes, width, height, quality } of the chip portrait, or null; file when written
  icao           { bytes, width, height, quality } of the ICAO capture, or null; file when written
  portraitError  { code, message } when a face was found but no portrait could be made, else null
  engine         { name, version }; timings: ms per step
Exit 0 when the picture is accepted and the portrait made; 1 when refused (with --force too: the
exit code is the checks' verdict), no face, several faces, or the image is unreadable (then JSON
{ error: { code, message } }, e.g. IMAGE_DECODE_FAILED, IMAGE_FILE_UNREADABLE).`;

function checkCommand(deps: FaceCommandDeps): Command {
  return {
    name: 'check',
    summary: 'Check a photo as a card portrait and make the chip portrait',
    help: CHECK_HELP,
    async run(args, io) {
      const { values } = parse(
        args,
        {
          in: { type: 'string' },
          'out-portrait': { type: 'string' },
          'out-icao': { type: 'string' },
          force: { type: 'boolean' },
          'max-bytes': { type: 'string' },
        },
        { min: 0, max: 0 },
      );
      if (values.in === undefined) throw new UsageError('--in IMAGE is required');
      const maxBytes = positiveInteger('max-bytes', values['max-bytes']);
      const file = path.resolve(io.cwd, values.in);
      const bytes = readBounded(file);
      if (!bytes.ok) return failWith(io, bytes.error, { file });

      let engine: Promise<FaceEngine> | undefined;
      const hotpath = deps.startHotpath();
      try {
        const input = await captureBytes(bytes.bytes);
        const capture = await capturePortrait(
          input.bytes,
          () => {
            // Started only for a readable image: an unreadable one costs no model loading.
            engine ??= deps.startEngine({ detectors: ['tiny', 'ssd'], threshold: undefined });
            return engine;
          },
          hotpath,
          {
            force: values.force === true,
            ...(maxBytes === undefined ? {} : { cardPortrait: { maxBytes } }),
          },
        );
        if (capture.status === 'unreadable')
          return failWith(
            io,
            { code: capture.error.code, message: `${file}: ${capture.error.message}` },
            { file },
          );
        const written: { portrait?: string; icao?: string } = {};
        const outPortrait = values['out-portrait'];
        const outIcao = values['out-icao'];
        if (outPortrait !== undefined && capture.portrait)
          written.portrait = writeOut(io.cwd, outPortrait, capture.portrait.jpeg);
        if (outIcao !== undefined && capture.icao)
          written.icao = writeOut(io.cwd, outIcao, capture.icao.jpeg);
        const { assessment, decision } = capture;
        io.stdout(
          json({
            file,
            width: capture.width,
            height: capture.height,
            downscaledFrom: input.downscaledFrom,
            accepted: decision.accepted,
            feedback: decision.feedback,
            faceCount: assessment.faceCount,
            face: capture.face ? { box: capture.face.box, score: capture.face.score } : null,
            measures: assessment.measures,
            pose: assessment.pose,
            portrait: capture.portrait
              ? {
                  bytes: capture.portrait.jpeg.length,
                  width: capture.portrait.width,
                  height: capture.portrait.height,
                  quality: capture.portrait.quality,
                  ...(written.portrait === undefined ? {} : { file: written.portrait }),
                }
              : null,
            icao: capture.icao
              ? {
                  bytes: capture.icao.jpeg.length,
                  width: capture.icao.width,
                  height: capture.icao.height,
                  quality: capture.icao.quality,
                  ...(written.icao === undefined ? {} : { file: written.icao }),
                }
              : null,
            portraitError: capture.portraitError,
            engine: capture.engine,
            timings: capture.timings,
          }),
        );
        if ((outPortrait !== undefined && !capture.portrait) || (outIcao !== undefined && !capture.icao))
          io.stderr('no portrait was made, so nothing was written (see feedback and portraitError)\n');
        if (decision.accepted && capture.portrait) return EXIT_OK;
        io.stderr(
          decision.accepted
            ? `accepted, but no portrait: ${capture.portraitError?.code ?? 'unknown'}\n`
            : `refused: ${decision.feedback.map((f) => f.code).join(', ')}\n`,
        );
        return EXIT_FAILED;
      } catch (error) {
        return engineFailure(io, error);
      } finally {
        await hotpath.close();
        if (engine) await (await engine.catch(() => undefined))?.close();
      }
    },
  };
}

/** Writes a JPEG (folders made as needed) and returns its absolute path. */
function writeOut(cwd: string, file: string, bytes: Uint8Array): string {
  const absolute = path.resolve(cwd, file);
  mkdirSync(path.dirname(absolute), { recursive: true });
  writeFileSync(absolute, bytes);
  return absolute;
}

const COMPARE_HELP = `Usage: station face compare --a IMAGE --b IMAGE [--threshold T] [--detector ssd|tiny]
       station face compare --pairs LIST [--threshold T] [--detector ssd|tiny]

  --a, --b IMAGE       the two portraits (JPEG, PNG, WebP or JPEG 2000), e.g. the chip's DG2 and a
                       live capture; each must hold exactly one face (above ${MAX_SIDE} px a side,
                       scaled down first)
  --pairs LIST         a text file of one 'A B' pair per line (whitespace between; blank lines and
                       '#' comments skipped); paths relative to the list's folder
  --threshold T        decision threshold on the descriptor distance, 0 < T <= 2 (default ${FACE_API_THRESHOLD})
  --detector ssd|tiny  face detector (default ssd, the more robust; tiny is about 3x faster)

Compares in this process (the models load once, a few seconds). Prints JSON:
  a, b, status         'compared', or 'no-face' / 'several-faces' with image ('a' or 'b') and faces
  similarity           0..1, max(0, 1 - distance), for display
  distance, threshold  Euclidean distance of the 128-d descriptors; 'same' when distance < threshold
  decision             'same' or 'different'
  engine, engineVersion, detector
  advisory: true, presentationAttackDetection: 'not-performed', note { vi, en }
With --pairs: one JSON line per pair in the list's order, as above without the note (status
'unreadable' with error { code, message } for an image that cannot be read), then { summary: {
pairs, compared, same, different, notCompared, unreadable, ..., rates, note } }; rates (FMR, FNMR at
the threshold, EER) when every file name carries its person as 'person__file.jpg', else null.
Exit 0 when compared (whatever the decision; every pair processed, for --pairs), 1 for no face,
several faces, an unreadable image (JSON { error: { code, message } }) or an unreadable list.`;

function compareCommand(deps: FaceCommandDeps): Command {
  return {
    name: 'compare',
    summary: 'Compare two face photos 1:1 (advisory), or a list of pairs for an evaluation',
    help: COMPARE_HELP,
    async run(args, io) {
      const { values } = parse(
        args,
        {
          a: { type: 'string' },
          b: { type: 'string' },
          pairs: { type: 'string' },
          threshold: { type: 'string' },
          detector: { type: 'string' },
        },
        { min: 0, max: 0 },
      );
      const detector = detectorOption(values.detector);
      const threshold = thresholdOption(values.threshold);
      if (values.pairs !== undefined) {
        if (values.a !== undefined || values.b !== undefined)
          throw new UsageError('give either --a and --b, or --pairs, not both');
        return comparePairList(deps, io, path.resolve(io.cwd, values.pairs), detector, threshold);
      }
      if (values.a === undefined || values.b === undefined)
        throw new UsageError('give --a IMAGE and --b IMAGE (or --pairs LIST)');
      return compareTwo(deps, io, { a: values.a, b: values.b }, detector, threshold);
    },
  };
}

async function compareTwo(
  deps: FaceCommandDeps,
  io: CliIo,
  files: { readonly a: string; readonly b: string },
  detector: FaceDetectorKind,
  threshold: number | undefined,
): Promise<number> {
  // Both decoded before the models load: a wrong path fails at once, not after seconds.
  const images: RgbImage[] = [];
  for (const which of ['a', 'b'] as const) {
    const loaded = await loadImage(path.resolve(io.cwd, files[which]));
    if (!loaded.ok) return failWith(io, loaded.error, { ...files, image: which });
    images.push(loaded.image);
  }
  let engine: FaceEngine | undefined;
  try {
    engine = await deps.startEngine({ detectors: [detector], threshold });
    const live = engine;
    const outcomes = [];
    for (const image of images) outcomes.push(singleFace(await live.analyze(image, { detector })));
    const [first, second] = outcomes;
    const base = { a: files.a, b: files.b };
    const about = {
      engine: live.name,
      engineVersion: live.version,
      detector,
      advisory: true,
      presentationAttackDetection: 'not-performed',
      note: COMPARISON_NOTE,
    } as const;
    if (first?.status === 'one-face' && second?.status === 'one-face') {
      const comparison = live.compare(first.face.descriptor, second.face.descriptor);
      io.stdout(json({ ...base, status: 'compared', ...comparison, detector, note: COMPARISON_NOTE }));
      return EXIT_OK;
    }
    const which = first?.status !== 'one-face' ? 'a' : 'b';
    const bad = which === 'a' ? first : second;
    if (bad === undefined || bad.status === 'one-face')
      throw new Error('unreachable: a pair without a bad image');
    io.stdout(
      json({
        ...base,
        status: bad.status,
        image: which,
        faces: bad.status === 'no-face' ? 0 : bad.faces.length,
        message: FACE_STATUS_MESSAGES[bad.status],
        threshold: live.threshold,
        ...about,
      }),
    );
    io.stderr(`not compared: ${bad.status} in --${which} ${files[which]}\n`);
    return EXIT_FAILED;
  } catch (error) {
    return engineFailure(io, error);
  } finally {
    await engine?.close();
  }
}

/** The summary line of a `--pairs` run. */
export interface PairRunSummary {
  readonly pairs: number;
  readonly compared: number;
  readonly same: number;
  readonly different: number;
  /** Pairs with no face or several faces in an image (failure to acquire). */
  readonly notCompared: number;
  /** Pairs with an image that could not be read. */
  readonly unreadable: number;
  readonly threshold: number;
  readonly detector: FaceDetectorKind;
  readonly engine: string;
  readonly engineVersion: string;
  /** When every file name carries its person (`person__file.jpg`) and both kinds of pair were compared. */
  readonly rates: RateSummary | null;
  /** Wall time of the run, models loading included, ms. */
  readonly wallMs: number;
  readonly note: OfficerMessage;
}

async function comparePairList(
  deps: FaceCommandDeps,
  io: CliIo,
  listFile: string,
  detector: FaceDetectorKind,
  threshold: number | undefined,
): Promise<number> {
  const started = performance.now();
  let text: string;
  try {
    text = readFileSync(listFile, 'utf8');
  } catch (error) {
    return failWith(io, {
      code: 'PAIR_LIST_UNREADABLE',
      message: `cannot read ${listFile}: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const parsed = parsePairList(text);
  if (!parsed.ok)
    return failWith(io, {
      code: 'PAIR_LIST_INVALID',
      message: `${listFile} line ${parsed.error.line}: expected 'A B', got '${parsed.error.text}'`,
    });
  const pairs = parsed.value;
  if (pairs.length === 0)
    return failWith(io, { code: 'PAIR_LIST_EMPTY', message: `${listFile} names no pair` });
  const folder = path.dirname(listFile);
  const labelled = pairs.every(
    ([a, b]) => path.basename(a).includes('__') && path.basename(b).includes('__'),
  );

  // An unreadable image must not end an evaluation: it stands in as an empty placeholder that the
  // engine is never asked about, and its pairs are reported 'unreadable' with the reason.
  const unreadable = new Map<string, InputError>();
  const placeholders = new WeakSet<RgbImage>();
  const load = async (name: string): Promise<RgbImage> => {
    const loaded = await loadImage(path.resolve(folder, name));
    if (loaded.ok) return loaded.image;
    unreadable.set(name, loaded.error);
    const placeholder: RgbImage = { width: 1, height: 1, data: new Uint8Array(3) };
    placeholders.add(placeholder);
    return placeholder;
  };

  let engine: FaceEngine | undefined;
  try {
    engine = await deps.startEngine({ detectors: [detector], threshold });
    const live = engine;
    const guarded: FaceEngine = {
      name: live.name,
      version: live.version,
      threshold: live.threshold,
      detect: (image, options) =>
        placeholders.has(image) ? Promise.resolve([]) : live.detect(image, options),
      describe: (image, face, options) => live.describe(image, face, options),
      analyze: (image, options) =>
        placeholders.has(image) ? Promise.resolve([]) : live.analyze(image, options),
      compare: (a, b) => live.compare(a, b),
      close: () => live.close(),
    };
    const counts = { compared: 0, same: 0, different: 0, notCompared: 0, unreadable: 0 };
    const scored: { genuine: boolean; distance: number }[] = [];
    for await (const outcome of comparePairs(guarded, pairs, load, { detector })) {
      const line = pairLine(outcome, unreadable);
      io.stdout(`${JSON.stringify(line)}\n`);
      if (line.status === 'compared' && outcome.status === 'compared') {
        counts.compared++;
        counts[outcome.decision]++;
        if (labelled)
          scored.push({ genuine: subjectOf(outcome.a) === subjectOf(outcome.b), distance: outcome.distance });
      } else if (line.status === 'unreadable') counts.unreadable++;
      else counts.notCompared++;
    }
    const canRate = scored.some((s) => s.genuine) && scored.some((s) => !s.genuine);
    const summary: PairRunSummary = {
      pairs: pairs.length,
      ...counts,
      threshold: live.threshold,
      detector,
      engine: live.name,
      engineVersion: live.version,
      rates: canRate ? summarizeRates(scored, live.threshold, counts.notCompared + counts.unreadable) : null,
      wallMs: Math.round(performance.now() - started),
      note: COMPARISON_NOTE,
    };
    io.stdout(`${JSON.stringify({ summary })}\n`);
    if (counts.unreadable === 0) return EXIT_OK;
    io.stderr(`${counts.unreadable} pair(s) named an image that could not be read\n`);
    return EXIT_FAILED;
  } catch (error) {
    return engineFailure(io, error);
  } finally {
    await engine?.close();
  }
}

/** One output line: the outcome as comparePairs yields it, an unreadable image named as such. */
function pairLine(
  outcome: PairOutcome,
  unreadable: ReadonlyMap<string, InputError>,
): Record<string, unknown> & { status: string } {
  if (outcome.status === 'compared') return { ...outcome };
  // A placeholder reads as 'no-face': the image comparePairs names is the one to look up.
  const error = unreadable.get(outcome[outcome.image]);
  if (error) return { a: outcome.a, b: outcome.b, status: 'unreadable', image: outcome.image, error };
  return { ...outcome, message: FACE_STATUS_MESSAGES[outcome.status] };
}

/** The `face` group with its dependencies (tests pass a fake engine). */
export function makeFaceCommand(deps: Partial<FaceCommandDeps> = {}): Command {
  const all: FaceCommandDeps = { ...defaultFaceCommandDeps, ...deps };
  return {
    name: 'face',
    summary: 'Check a portrait photo; compare two face photos 1:1 (advisory)',
    help: `Usage: station face check --in IMAGE [--out-portrait FILE] [--out-icao FILE] [--force] [--max-bytes N]
       station face compare --a IMAGE --b IMAGE | --pairs LIST [--threshold T] [--detector ssd|tiny]

Runs in this process (no station needed); the face models load once per run, a few seconds.
Comparisons are advisory and not protected against presentation attacks (a printed photo, a screen).`,
    subcommands: [checkCommand(all), compareCommand(all)],
  };
}

export const faceCommand: Command = makeFaceCommand();
