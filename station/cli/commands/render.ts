/**
 * `station sim render-finger` and `station sim render-slap`: synthetic prints for testers and
 * integrators. The image goes to --out (.png, .pgm or .raw); the truth (class, placement, boxes,
 * singularities) goes to stdout as JSON.
 */
import path from 'node:path';
import {
  CONDITIONS,
  FINGERPRINT_CLASSES,
  GeneratorOptionError,
  HANDS,
  type RenderedImage,
  renderFinger,
  renderSlap,
  SIZE_PRESETS,
} from '../../../simulators/fingerprint/generator.ts';
import { formatOf, writeGreyImage } from '../../imaging/grey-image.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer, got '${text}'`);
  return Number(text);
}

function size(text: string | undefined): { width?: number; height?: number } {
  if (text === undefined) return {};
  const preset = SIZE_PRESETS[text as keyof typeof SIZE_PRESETS];
  if (preset) return { width: preset[0], height: preset[1] };
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match)
    throw new UsageError(
      `--size takes WxH or one of: ${Object.keys(SIZE_PRESETS).join(', ')}; got '${text}'`,
    );
  return { width: Number(match[1]), height: Number(match[2]) };
}

async function write(
  io: CliIo,
  out: string,
  image: RenderedImage,
): Promise<{ file: string; format: string }> {
  const file = path.resolve(io.cwd, out);
  return { file, format: await writeGreyImage(file, image, image.ppi) };
}

/** The options every render command needs. @throws {UsageError} when --seed or --out is missing. */
function required(values: { seed?: string | undefined; out?: string | undefined }): {
  seed: number;
  out: string;
} {
  const seed = integer('seed', values.seed);
  if (seed === undefined) throw new UsageError('--seed is required');
  if (values.out === undefined) throw new UsageError('--out is required');
  return { seed, out: values.out };
}

async function guarded(io: CliIo, run: () => unknown): Promise<number> {
  try {
    io.stdout(json(await run()));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof GeneratorOptionError) throw new UsageError(error.message);
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('IMAGE_'))
      throw new UsageError(error.message);
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}

export const renderFingerCommand: Command = {
  name: 'render-finger',
  summary: 'Render a synthetic fingerprint (same seeds, same bytes)',
  help: `Usage: station sim render-finger --seed N --out FILE.png|.pgm|.raw [options]

  --seed N          person seed, 0..4294967295 (with --finger it fixes the ridge pattern)
  --finger P        finger position 1-10 (1 right thumb, 2 right index ... 6 left thumb ... 10 left little); default 2
  --impression K    impression seed: placement, distortion, pressure, noise; default 0
  --class NAME      force the class: ${FINGERPRINT_CLASSES.join(', ')}
  --condition NAME  ${CONDITIONS.join(', ')}; default good
  --severity S      strength of the condition, 0..1 (graded test sets); default: drawn from the seeds
  --size WxH        image size (256-4000 px a side) or ${Object.keys(SIZE_PRESETS).join(', ')}; default 500x500

Prints JSON: the file, width, height, ppi and the truth (class, placement, box, singularities).
Raw files are 8-bit greyscale with no header: read width and height from the JSON.`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        seed: { type: 'string' },
        finger: { type: 'string' },
        impression: { type: 'string' },
        class: { type: 'string' },
        condition: { type: 'string' },
        severity: { type: 'string' },
        size: { type: 'string' },
        out: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    const { seed, out } = required(values);
    const finger = integer('finger', values.finger);
    const impression = integer('impression', values.impression);
    const severity = values.severity === undefined ? undefined : Number(values.severity);
    if (severity !== undefined && !(Number.isFinite(severity) && severity >= 0 && severity <= 1))
      throw new UsageError(`--severity must be a number from 0 to 1, got '${values.severity}'`);
    return guarded(io, async () => {
      formatOf(out);
      const rendered = renderFinger({
        personSeed: seed,
        ...(finger === undefined ? {} : { finger }),
        ...(impression === undefined ? {} : { impression }),
        ...(values.class === undefined ? {} : { fingerClass: values.class }),
        ...(values.condition === undefined ? {} : { condition: values.condition }),
        ...(severity === undefined ? {} : { severity }),
        ...size(values.size),
      });
      const { file, format } = await write(io, out, rendered.image);
      return {
        file,
        format,
        width: rendered.image.width,
        height: rendered.image.height,
        ppi: 500,
        condition: rendered.condition,
        finger: rendered.finger ?? null,
      };
    });
  },
};

export const renderSlapCommand: Command = {
  name: 'render-slap',
  summary: 'Render a synthetic four-finger slap or two thumbs, with its truth',
  help: `Usage: station sim render-slap --seed N --hand right|left|thumbs --out FILE [options]

  --seed N          person seed, 0..4294967295
  --hand H          ${HANDS.join(', ')}; default right
  --impression K    impression seed; default 0
  --missing P       a finger position absent from the hand (repeatable)
  --extra           an extra finger on the glass (the thumb creeping in)
  --wrong-hand      the other hand is on the glass
  --condition NAME  ${CONDITIONS.join(', ')}; default good
  --size WxH        default 1600x1500 (FAP 60)

Prints JSON with each finger's position, class, placement (centre, rotation), box and singularities.`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        seed: { type: 'string' },
        hand: { type: 'string' },
        impression: { type: 'string' },
        missing: { type: 'string', multiple: true },
        extra: { type: 'boolean' },
        'wrong-hand': { type: 'boolean' },
        condition: { type: 'string' },
        size: { type: 'string' },
        out: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    const { seed, out } = required(values);
    const impression = integer('impression', values.impression);
    const missing = (values.missing ?? []).map((m) => integer('missing', m) ?? 0);
    return guarded(io, async () => {
      formatOf(out);
      const slap = renderSlap({
        personSeed: seed,
        ...(values.hand === undefined ? {} : { hand: values.hand }),
        ...(impression === undefined ? {} : { impression }),
        ...(values.condition === undefined ? {} : { condition: values.condition }),
        missing,
        extraFinger: values.extra === true,
        wrongHand: values['wrong-hand'] === true,
        ...size(values.size),
      });
      const { file, format } = await write(io, out, slap.image);
      const { image, ...truth } = slap;
      return { file, format, width: image.width, height: image.height, ppi: 500, ...truth };
    });
  },
};
