/**
 * `station template --in finger.png --format iso|ansi|xyt [--out file]`: the minutiae template of a
 * finger image (PNG, PGM, WSQ or raw, 500 ppi) from our extractor, or the conversion of an existing
 * ISO/IEC 19794-2:2005 or INCITS 378-2004 record or NIST `.xyt` file into another of those formats.
 * Conventions and rounding: protocol/fingerprint/template/README.md.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { extractMinutiae } from '../../../protocol/fingerprint/ridges.ts';
import {
  ENDING_SHIFT_PERIODS,
  type FingerTemplate,
  type RecordFormat,
  readFingerRecord,
  readXyt,
  TemplateWriteError,
  templateFromExtraction,
  writeAnsiRecord,
  writeIsoRecord,
  writeXyt,
  type XytVariant,
} from '../../../protocol/fingerprint/template/index.ts';
import { decodeTiffGrey } from '../../../protocol/image/tiff.ts';
import { decodeWsq } from '../../../protocol/wsq/index.ts';
import { decodeGreyPng, decodePgm, type GreyImage, ImageFileError } from '../../imaging/grey-image.ts';
import { type Command, EXIT_FAILED, EXIT_OK, json, parse, positiveInteger, UsageError } from '../command.ts';

/** A 4000 x 4000 raw image is 16 MB; nothing larger is read. */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;

const FORMATS = ['iso', 'ansi', 'xyt'] as const;
type OutputFormat = (typeof FORMATS)[number];
const VARIANTS: readonly XytVariant[] = ['nist', 'm1'];
const RECORD_FORMAT: Record<'iso' | 'ansi', RecordFormat> = {
  iso: 'iso19794-2:2005',
  ansi: 'incits378:2004',
};

type InputKind = 'image' | 'record' | 'xyt';

/** An expected failure: printed with its code on stderr, exit 1. */
class Failure extends Error {
  override readonly name = 'TemplateFailure';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function inputKind(file: string): { kind: InputKind; image?: 'png' | 'pgm' | 'wsq' | 'raw' | 'tiff' } {
  const extension = path.extname(file).toLowerCase().slice(1);
  if (extension === 'png' || extension === 'pgm' || extension === 'wsq' || extension === 'raw')
    return { kind: 'image', image: extension };
  if (extension === 'tif' || extension === 'tiff') return { kind: 'image', image: 'tiff' };
  if (extension === 'iso' || extension === 'ansi' || extension === 'fmr') return { kind: 'record' };
  if (extension === 'xyt') return { kind: 'xyt' };
  throw new UsageError(
    `${file}: use an image (.png, .pgm, .wsq, .tif, .raw), a record (.iso, .ansi, .fmr) or a .xyt file`,
  );
}

function readInput(file: string): Uint8Array {
  try {
    const length = statSync(file).size;
    if (length > MAX_INPUT_BYTES)
      throw new Failure(
        'INPUT_TOO_LARGE',
        `${file} is ${length} bytes; at most ${MAX_INPUT_BYTES} bytes are read`,
      );
    return new Uint8Array(readFileSync(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Failure('INPUT_UNREADABLE', `${file}: no such file`);
    throw error;
  }
}

async function decodeImage(
  file: string,
  bytes: Uint8Array,
  format: 'png' | 'pgm' | 'wsq' | 'raw' | 'tiff',
  size: { width?: number; height?: number },
): Promise<GreyImage & { ppi?: number }> {
  try {
    switch (format) {
      case 'png': {
        const png = await decodeGreyPng(bytes);
        return png.ppi === undefined ? { width: png.width, height: png.height, pixels: png.pixels } : png;
      }
      case 'pgm':
        return decodePgm(bytes);
      case 'wsq': {
        const decoded = decodeWsq(bytes);
        if (!decoded.ok)
          throw new Failure(
            'INPUT_UNREADABLE',
            `${file} is not a WSQ file we can decode: ${decoded.error.detail} [${decoded.error.reason} at byte ${decoded.error.offset}]`,
          );
        return decoded.value;
      }
      case 'tiff': {
        const decoded = decodeTiffGrey(bytes);
        if (!decoded.ok)
          throw new Failure(
            'INPUT_UNREADABLE',
            `${file} is not a TIFF we read (8-bit grey strips, uncompressed or PackBits): ${decoded.error.detail} [${decoded.error.reason} at byte ${decoded.error.offset}]`,
          );
        const { ppi, ...image } = decoded.value;
        return ppi === undefined ? image : { ...image, ppi };
      }
      case 'raw': {
        const { width = 0, height = 0 } = size;
        if (bytes.length !== width * height)
          throw new Failure(
            'INPUT_UNREADABLE',
            `${file} holds ${bytes.length} bytes, not ${width}x${height}`,
          );
        return { width, height, pixels: bytes };
      }
    }
  } catch (error) {
    if (error instanceof ImageFileError) throw new Failure(error.code, `${file}: ${error.message}`);
    throw error;
  }
}

function decodeProblem(
  file: string,
  what: string,
  error: { reason: string; offset: number; detail: string },
): Failure {
  return new Failure(
    `TEMPLATE_${error.reason.toUpperCase().replace(/-/g, '_')}`,
    `${file} is not a ${what} we can read: ${error.detail} [${error.reason} at byte ${error.offset}]`,
  );
}

function integerOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new UsageError(`--${name} must be an integer ${min}-${max}, got '${text}'`);
  return Number(text);
}

export const templateCommand: Command = {
  name: 'template',
  summary: 'Make or convert a finger minutiae template (ISO 19794-2, INCITS 378, NIST .xyt)',
  help: `Usage: station template --in FILE --format iso|ansi|xyt [--out FILE] [options]

  --in FILE        a finger image at 500 ppi (.png, .pgm, .wsq, .tif, or .raw with --width/--height):
                   its minutiae from our extractor; or a template to convert: a record (.iso,
                   .ansi, .fmr: ISO/IEC 19794-2:2005 or INCITS 378-2004, told apart by its header)
                   or a NIST .xyt (with --width/--height: the file does not give the image size)
  --format F       iso (ISO/IEC 19794-2:2005), ansi (INCITS 378-2004) or xyt (NIST text)
  --out FILE       where to write it; without --out a .xyt goes to stdout, a record needs --out
  --xyt V          the .xyt written: nist (mindtct's default, bozorth3's input) or m1 (mindtct -m1)
  --in-xyt V       the .xyt read, likewise (default nist)
  --position P     finger position 0-10 written for an image (0 unknown, 1 right thumb .. 10 left little)
  --impression I   impression type for an image: 0 live-scan plain (default), 1 rolled, 2, 3, 8 swipe
  --ppi N          the image's resolution when the file does not say (default 500)
  --view N         which finger view of a record goes to a .xyt (default 1)
  --width W, --height H   image size for .raw and .xyt input

Prints JSON (the written file, its format, size and minutiae per view) unless a .xyt goes to stdout.
Ridge endings are written where ISO/IEC 19794-2 and INCITS 378 put them, at the valley fork, 3/8 of
a ridge period beyond where our extractor finds the ridge end. An extended data area (ridge counts,
cores, deltas) is kept when the output format is the input's, and left out otherwise; the JSON says
so. Exit 1 with the reason on stderr when the input cannot be read or the template cannot be
written in that format; 2 for a wrong command line.`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        in: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        xyt: { type: 'string' },
        'in-xyt': { type: 'string' },
        position: { type: 'string' },
        impression: { type: 'string' },
        ppi: { type: 'string' },
        view: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.in === undefined) throw new UsageError('--in is required');
    const format = values.format as OutputFormat | undefined;
    if (format === undefined || !FORMATS.includes(format))
      throw new UsageError(`--format must be one of: ${FORMATS.join(', ')}; got '${values.format ?? ''}'`);
    const variant = (values.xyt ?? 'nist') as XytVariant;
    const inVariant = (values['in-xyt'] ?? 'nist') as XytVariant;
    for (const [name, value] of [
      ['xyt', variant],
      ['in-xyt', inVariant],
    ] as const)
      if (!VARIANTS.includes(value)) throw new UsageError(`--${name} must be nist or m1, got '${value}'`);
    if (format !== 'xyt' && values.xyt !== undefined) throw new UsageError('--xyt is for --format xyt');
    if (format !== 'xyt' && values.out === undefined)
      throw new UsageError(`--out is required for --format ${format} (a binary record)`);
    const position = integerOption('position', values.position, 0, 10);
    const impression = integerOption('impression', values.impression, 0, 15);
    const ppi = integerOption('ppi', values.ppi, 50, 10_000);
    const viewNumber = integerOption('view', values.view, 1, 255) ?? 1;
    const width = positiveInteger('width', values.width);
    const height = positiveInteger('height', values.height);

    const file = path.resolve(io.cwd, values.in);
    const { kind, image: imageFormat } = inputKind(file);
    if ((kind === 'xyt' || imageFormat === 'raw') && (width === undefined || height === undefined))
      throw new UsageError(`${kind === 'xyt' ? 'a .xyt' : 'a .raw image'} needs --width and --height`);
    if (kind !== 'xyt' && imageFormat !== 'raw' && (width !== undefined || height !== undefined))
      throw new UsageError(
        '--width and --height are for .raw and .xyt input; the other formats carry their size',
      );
    if (kind !== 'image' && (position !== undefined || impression !== undefined))
      throw new UsageError('--position and --impression are for image input; a template carries its own');
    if (kind !== 'xyt' && values['in-xyt'] !== undefined) throw new UsageError('--in-xyt is for .xyt input');

    try {
      const bytes = readInput(file);
      let template: FingerTemplate;
      let from: string;
      let shift: number | undefined;
      if (kind === 'image') {
        const image = await decodeImage(file, bytes, imageFormat ?? 'raw', {
          ...(width === undefined ? {} : { width }),
          ...(height === undefined ? {} : { height }),
        });
        let extraction: ReturnType<typeof extractMinutiae>;
        try {
          extraction = extractMinutiae(image);
        } catch (error) {
          if (error instanceof RangeError) throw new Failure('IMAGE_TOO_SMALL', `${file}: ${error.message}`);
          throw error;
        }
        template = templateFromExtraction(
          extraction,
          { width: image.width, height: image.height, ppi: ppi ?? image.ppi ?? 500 },
          {
            ...(position === undefined ? {} : { position }),
            ...(impression === undefined ? {} : { impression }),
          },
        );
        from = imageFormat ?? 'image';
        shift = extraction.period * ENDING_SHIFT_PERIODS;
      } else if (kind === 'record') {
        const read = readFingerRecord(bytes);
        if (!read.ok) throw decodeProblem(file, 'finger minutiae record', read.error);
        template = read.value.template;
        from = read.value.format;
      } else {
        const read = readXyt(bytes, { variant: inVariant, width: width ?? 0, height: height ?? 0 });
        if (!read.ok) throw decodeProblem(file, `.xyt (${inVariant})`, read.error);
        const ppcm = Math.round((ppi ?? 500) / 2.54);
        template = {
          width: width ?? 0,
          height: height ?? 0,
          resolutionX: ppcm,
          resolutionY: ppcm,
          equipment: { compliance: 0, id: 0 },
          views: [{ position: 0, viewNumber: 0, impression: 0, quality: 0, minutiae: read.value }],
        };
        from = `xyt (${inVariant})`;
      }

      const notes: string[] = [];
      let output: Uint8Array | string;
      let written: FingerTemplate['views'];
      if (format === 'xyt') {
        const view = template.views[viewNumber - 1];
        if (view === undefined)
          throw new Failure(
            'TEMPLATE_NO_VIEW',
            `${file} has ${template.views.length} finger view(s); --view ${viewNumber} is not one`,
          );
        if (template.views.length > 1)
          notes.push(`view ${viewNumber} of ${template.views.length} written; a .xyt holds one`);
        if (view.minutiae.some((m) => m.kind !== 'other')) notes.push('a .xyt has no minutia type column');
        output = writeXyt(view.minutiae, { variant, width: template.width, height: template.height });
        written = [view];
      } else {
        const recordFormat = RECORD_FORMAT[format];
        for (const [v, view] of template.views.entries())
          if (view.extended && view.extended.format !== recordFormat)
            notes.push(
              `view ${v + 1}: extended data left out (its block lengths and angle units are ${view.extended.format}'s)`,
            );
        output = format === 'iso' ? writeIsoRecord(template) : writeAnsiRecord(template);
        written = template.views;
      }

      if (values.out === undefined) {
        io.stdout(output as string);
        for (const note of notes) io.stderr(`note: ${note}\n`);
        return EXIT_OK;
      }
      const out = path.resolve(io.cwd, values.out);
      writeFileSync(out, output);
      io.stdout(
        json({
          in: file,
          from,
          out,
          format: format === 'xyt' ? `xyt (${variant})` : RECORD_FORMAT[format],
          bytes: typeof output === 'string' ? Buffer.byteLength(output) : output.length,
          width: template.width,
          height: template.height,
          resolution: { x: template.resolutionX, y: template.resolutionY, unit: 'px/cm' },
          views: written.map((v) => ({
            position: v.position,
            impression: v.impression,
            quality: v.quality,
            minutiae: v.minutiae.length,
            endings: v.minutiae.filter((m) => m.kind === 'ending').length,
            bifurcations: v.minutiae.filter((m) => m.kind === 'bifurcation').length,
          })),
          ...(shift === undefined ? {} : { endingShiftPx: Number(shift.toFixed(2)) }),
          notes,
        }),
      );
      return EXIT_OK;
    } catch (error) {
      if (error instanceof Failure) {
        io.stderr(`${error.message} [${error.code}]\n`);
        return EXIT_FAILED;
      }
      if (error instanceof TemplateWriteError) {
        io.stderr(`cannot write the template as ${format}: ${error.message} [${error.code}]\n`);
        return EXIT_FAILED;
      }
      throw error;
    }
  },
};
