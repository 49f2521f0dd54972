/**
 * `station wsq encode|decode|info`: the WSQ codec from a shell, in the spirit of NIST's cwsq and
 * dwsq. Images are 8-bit grey PNG, binary PGM or headerless raw (raw needs --width and --height).
 * Results are JSON on stdout; a file the codec refuses is exit 1 with the reason and byte offset.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_BIT_RATE,
  DEFAULT_PPI,
  decodeWsq,
  encodeWsq,
  inspectWsq,
  MAX_BIT_RATE,
} from '../../../protocol/wsq/index.ts';
import {
  decodeGreyPng,
  decodePgm,
  formatOf,
  type GreyImage,
  ImageFileError,
  writeGreyImage,
} from '../../imaging/grey-image.ts';
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

/** Largest input file read, bytes: a 4000 x 4000 raw image is 16 MB; WSQ files are far smaller. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

class CodecFailure extends Error {
  override readonly name = 'CodecFailure';
}

function readInput(io: CliIo, file: string): { file: string; bytes: Uint8Array } {
  const absolute = path.resolve(io.cwd, file);
  let size: number;
  try {
    size = statSync(absolute).size;
  } catch (cause) {
    throw new CodecFailure(
      `cannot read ${absolute}: ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(cause)}`,
    );
  }
  if (size > MAX_INPUT_BYTES)
    throw new CodecFailure(`${absolute} is ${size} bytes; at most ${MAX_INPUT_BYTES} bytes are read`);
  return { file: absolute, bytes: new Uint8Array(readFileSync(absolute)) };
}

function imageFormat(file: string): 'png' | 'pgm' | 'raw' {
  try {
    return formatOf(file);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Runs the body; expected failures print to stderr and exit 1. */
async function guarded(io: CliIo, body: () => unknown): Promise<number> {
  try {
    io.stdout(json(await body()));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CodecFailure || error instanceof ImageFileError) {
      io.stderr(`${error.message}${error instanceof ImageFileError ? ` [${error.code}]` : ''}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

function decodeFailure(
  file: string,
  error: { reason: string; offset: number; detail: string },
): CodecFailure {
  return new CodecFailure(
    `${file} is not a WSQ file we can decode: ${error.detail} [${error.reason} at byte ${error.offset}]`,
  );
}

const encodeCommand: Command = {
  name: 'encode',
  summary: 'Compress an 8-bit grey image to WSQ',
  help: `Usage: station wsq encode --in FILE.png|.pgm|.raw --out FILE.wsq [options]

  --width W, --height H   the size of a raw image (required for .raw, refused otherwise)
  --ppi N                 scan resolution written to NISTCOM (default ${DEFAULT_PPI})
  --bitrate R             target bits per pixel, 0 < R <= ${MAX_BIT_RATE} (default ${DEFAULT_BIT_RATE}; 2.25 for about 5:1)

Prints JSON: the file, its size in bytes, the image size, the target and achieved bits per pixel.`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        in: { type: 'string' },
        out: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        ppi: { type: 'string' },
        bitrate: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.in === undefined) throw new UsageError('--in is required');
    if (values.out === undefined) throw new UsageError('--out is required');
    if (path.extname(values.out).toLowerCase() !== '.wsq')
      throw new UsageError(`--out must name a .wsq file, got '${values.out}'`);
    const format = imageFormat(values.in);
    const width = positiveInteger('width', values.width);
    const height = positiveInteger('height', values.height);
    if (format === 'raw' && (width === undefined || height === undefined))
      throw new UsageError('a .raw image needs --width and --height');
    if (format !== 'raw' && (width !== undefined || height !== undefined))
      throw new UsageError(`--width and --height are for .raw input; a .${format} file carries its size`);
    const ppi = positiveInteger('ppi', values.ppi) ?? DEFAULT_PPI;
    const bitRate = values.bitrate === undefined ? DEFAULT_BIT_RATE : Number(values.bitrate);
    if (!Number.isFinite(bitRate) || bitRate <= 0 || bitRate > MAX_BIT_RATE)
      throw new UsageError(`--bitrate must be a number in (0, ${MAX_BIT_RATE}], got '${values.bitrate}'`);
    return guarded(io, async () => {
      const input = readInput(io, values.in ?? '');
      let image: GreyImage;
      if (format === 'png') image = await decodeGreyPng(input.bytes);
      else if (format === 'pgm') image = decodePgm(input.bytes);
      else image = { width: width ?? 0, height: height ?? 0, pixels: input.bytes };
      const encoded = encodeWsq(image.pixels, { width: image.width, height: image.height, ppi, bitRate });
      if (!encoded.ok)
        throw new CodecFailure(
          `cannot encode ${input.file}: ${encoded.error.detail} [${encoded.error.reason}]`,
        );
      const out = path.resolve(io.cwd, values.out ?? '');
      writeFileSync(out, encoded.value);
      return {
        file: out,
        bytes: encoded.value.length,
        width: image.width,
        height: image.height,
        ppi,
        targetBitRate: bitRate,
        bitsPerPixel: Number(((encoded.value.length * 8) / (image.width * image.height)).toFixed(4)),
      };
    });
  },
};

const decodeCommand: Command = {
  name: 'decode',
  summary: 'Decompress a WSQ file to an 8-bit grey image',
  help: `Usage: station wsq decode --in FILE.wsq --out FILE.png|.pgm|.raw

Prints JSON: the file, the image size and the resolution from the WSQ file's NISTCOM.`,
  async run(args, io) {
    const { values } = parse(args, { in: { type: 'string' }, out: { type: 'string' } }, { min: 0, max: 0 });
    if (values.in === undefined) throw new UsageError('--in is required');
    if (values.out === undefined) throw new UsageError('--out is required');
    const format = imageFormat(values.out);
    return guarded(io, async () => {
      const input = readInput(io, values.in ?? '');
      const decoded = decodeWsq(input.bytes);
      if (!decoded.ok) throw decodeFailure(input.file, decoded.error);
      const out = path.resolve(io.cwd, values.out ?? '');
      const { width, height, ppi } = decoded.value;
      await writeGreyImage(out, decoded.value, ppi);
      return { file: out, format, width, height, ppi: ppi ?? null };
    });
  },
};

const infoCommand: Command = {
  name: 'info',
  summary: "Show a WSQ file's markers, NISTCOM fields, bit rate and subband table",
  help: `Usage: station wsq info --in FILE.wsq
       station wsq info FILE.wsq

Prints JSON: frame fields, NISTCOM, bits per pixel, markers with offsets, filters, the 64 subbands
with their quantiser bin widths (q) and zero-bin widths (z), blocks and Huffman tables.`,
  async run(args, io) {
    const { values, positionals } = parse(args, { in: { type: 'string' } }, { min: 0, max: 1 });
    if (values.in !== undefined && positionals.length > 0)
      throw new UsageError(`give the file once: --in ${values.in} or ${positionals[0]}, not both`);
    const file = values.in ?? positionals[0];
    if (file === undefined) throw new UsageError('--in is required');
    return guarded(io, () => {
      const input = readInput(io, file);
      const info = inspectWsq(input.bytes);
      if (!info.ok) throw decodeFailure(input.file, info.error);
      return { file: input.file, ...info.value };
    });
  },
};

export const wsqCommand: Command = {
  name: 'wsq',
  summary: 'WSQ fingerprint compression: encode, decode, inspect',
  help: `Usage: station wsq <encode|decode|info> ...

The FBI WSQ codec (IAFIS-IC-0110 v3.1) the station uses for every fingerprint it sends.`,
  subcommands: [encodeCommand, decodeCommand, infoCommand],
};
