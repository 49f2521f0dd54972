/**
 * 8-bit greyscale image files for the command line and the fingerprint path: PNG through sharp (the
 * station's one image library, sharp-images.ts), binary PGM (P5, maxval 255) and headerless raw, which
 * are simple enough to read and write here. Every size is bounded; decoders throw typed errors.
 */
import { writeFile } from 'node:fs/promises';
import { crc32 } from '../../protocol/crc32.ts';
import type { ImageError } from './image-errors.ts';
import { decodeGrey, encodePng as encodeSharpPng, readImageMetadata } from './sharp-images.ts';

export interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** Row-major, one byte per pixel, 0 = black. */
  readonly pixels: Uint8Array;
}

/** Largest image the tools read or write: 4000 x 4000 px (a FAP 60 slap is 1600 x 1500). */
export const MAX_IMAGE_SIDE = 4000;

export type ImageFormat = 'png' | 'pgm' | 'raw';

export class ImageFileError extends Error {
  override readonly name = 'ImageFileError';
  readonly code: 'IMAGE_FORMAT' | 'IMAGE_TRUNCATED' | 'IMAGE_TOO_LARGE' | 'IMAGE_UNSUPPORTED';
  constructor(code: ImageFileError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Picks the format from a file name's extension. @throws {ImageFileError} IMAGE_UNSUPPORTED */
export function formatOf(file: string): ImageFormat {
  const match = /\.(png|pgm|raw)$/i.exec(file);
  if (!match?.[1])
    throw new ImageFileError('IMAGE_UNSUPPORTED', `${file}: use a .png, .pgm or .raw file name`);
  return match[1].toLowerCase() as ImageFormat;
}

function assertImage(image: GreyImage): void {
  const { width, height, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size ${width}x${height} is not a positive integer size`);
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE)
    throw new RangeError(`image side above ${MAX_IMAGE_SIDE} px`);
  if (pixels.length !== width * height)
    throw new RangeError(`${pixels.length} pixels for ${width}x${height}`);
}

/** The whole chunks of a PNG, in file order, up to the first one that runs past the end. */
function* pngChunks(png: Uint8Array): Generator<{ type: string; start: number; end: number }> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  while (offset + 12 <= png.length) {
    const end = offset + 12 + view.getUint32(offset);
    if (end > png.length) return;
    yield { type: String.fromCharCode(...png.subarray(offset + 4, offset + 8)), start: offset, end };
    offset = end;
  }
}

/**
 * `png` without the chunks named in `drop`. Each chunk carries its own CRC, so the others are copied
 * as they are. Only for PNG bytes sharp has just written.
 */
function withoutChunks(png: Uint8Array, drop: readonly string[]): Uint8Array {
  const kept: Uint8Array[] = [png.subarray(0, 8)];
  let tail = 8;
  for (const { type, start, end } of pngChunks(png)) {
    if (!drop.includes(type)) kept.push(png.subarray(start, end));
    tail = end;
  }
  kept.push(png.subarray(tail));
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of kept) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The resolution a PNG states in its pHYs chunk, in pixels per inch rounded to an integer, or
 * undefined when it states none (no pHYs before the image data, an aspect ratio only, a bad CRC).
 * Read here because sharp cannot tell a missing pHYs from one stating 72 ppi: libvips reports 72 for both.
 */
function statedPpi(png: Uint8Array): number | undefined {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (const { type, start, end } of pngChunks(png)) {
    if (type === 'IDAT') return undefined; // pHYs must come before the image data
    if (type !== 'pHYs' || end - start !== 12 + 9) continue;
    if (crc32(png.subarray(start + 4, end - 4)) !== view.getUint32(end - 4)) return undefined;
    const perMetre = view.getUint32(start + 8);
    return png[start + 16] === 1 && perMetre > 0 ? Math.round(perMetre * 0.0254) : undefined;
  }
  return undefined;
}

/**
 * Encodes an 8-bit greyscale PNG through sharp, with `ppi` (pixels per inch) as its pHYs resolution.
 * The resolution is stated once, in pHYs, and only when given: libvips would also copy it into an
 * eXIf chunk, and without a ppi would write its default of 1 px/mm, which fingerprint tools and image
 * viewers read as a 25.4 ppi scan. Both are taken out.
 * @throws {RangeError} for an inconsistent image or a ppi that is not positive.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function encodeGreyPng(image: GreyImage, ppi?: number): Promise<Uint8Array> {
  assertImage(image);
  const png = await encodeSharpPng(image, ppi);
  return withoutChunks(png, ppi === undefined ? ['eXIf', 'pHYs'] : ['eXIf']);
}

/** The limits every greyscale file is read under: at most MAX_IMAGE_SIDE a side, 64 MB. */
const GREY_LIMITS = { maxBytes: 64 * 1024 * 1024, maxPixels: MAX_IMAGE_SIDE * MAX_IMAGE_SIDE };

function fileError(error: ImageError): ImageFileError {
  const code =
    error.code === 'IMAGE_TOO_LARGE' || error.code === 'IMAGE_UNSUPPORTED' ? error.code : 'IMAGE_FORMAT';
  return new ImageFileError(code, error.message);
}

/**
 * Decodes a greyscale PNG through sharp: any bit depth (16-bit is scaled to 8), interlaced or not. A
 * colour PNG is refused rather than silently reduced, since a fingerprint image has one channel and a
 * colour file is probably the wrong file.
 * @returns the image and its resolution (ppi, from pHYs) when the file states one, else undefined.
 * @throws {ImageFileError} IMAGE_FORMAT (not a PNG, corrupt, truncated), IMAGE_UNSUPPORTED (colour),
 *   IMAGE_TOO_LARGE (above MAX_IMAGE_SIDE a side).
 */
export async function decodeGreyPng(
  bytes: Uint8Array,
): Promise<GreyImage & { readonly ppi: number | undefined }> {
  const meta = await readImageMetadata(bytes, GREY_LIMITS);
  if (!meta.ok) throw fileError(meta.error);
  if (meta.value.format !== 'png') throw new ImageFileError('IMAGE_FORMAT', 'not a PNG file');
  if (meta.value.width > MAX_IMAGE_SIDE || meta.value.height > MAX_IMAGE_SIDE)
    throw new ImageFileError(
      'IMAGE_TOO_LARGE',
      `PNG is ${meta.value.width}x${meta.value.height}; at most ${MAX_IMAGE_SIDE} px a side`,
    );
  if (meta.value.channels > 2)
    throw new ImageFileError('IMAGE_UNSUPPORTED', 'the PNG is in colour; a greyscale PNG is expected');
  const decoded = await decodeGrey(bytes, GREY_LIMITS);
  if (!decoded.ok) throw fileError(decoded.error);
  return { ...decoded.value, ppi: statedPpi(bytes) };
}

/** Encodes binary PGM (P5). @throws {RangeError} for an inconsistent image. */
export function encodePgm(image: GreyImage): Uint8Array {
  assertImage(image);
  const header = new TextEncoder().encode(`P5\n${image.width} ${image.height}\n255\n`);
  const out = new Uint8Array(header.length + image.pixels.length);
  out.set(header);
  out.set(image.pixels, header.length);
  return out;
}

/** Decodes binary PGM (P5, maxval 255, comments allowed). @throws {ImageFileError} */
export function decodePgm(bytes: Uint8Array): GreyImage {
  let offset = 0;
  const token = (): string => {
    for (;;) {
      while (offset < bytes.length && /\s/.test(String.fromCharCode(bytes[offset] ?? 0))) offset++;
      if (bytes[offset] === 0x23) {
        while (offset < bytes.length && bytes[offset] !== 0x0a) offset++;
        continue;
      }
      break;
    }
    const start = offset;
    while (
      offset < bytes.length &&
      !/\s/.test(String.fromCharCode(bytes[offset] ?? 0)) &&
      offset - start < 16
    )
      offset++;
    return new TextDecoder().decode(bytes.subarray(start, offset));
  };
  if (token() !== 'P5') throw new ImageFileError('IMAGE_FORMAT', 'not a binary PGM (P5) file');
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  offset++; // the single whitespace after maxval
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageFileError('IMAGE_FORMAT', 'PGM size is not a positive integer size');
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new ImageFileError(
      'IMAGE_TOO_LARGE',
      `PGM is ${width}x${height}; at most ${MAX_IMAGE_SIDE} px a side`,
    );
  }
  if (maxval !== 255)
    throw new ImageFileError('IMAGE_UNSUPPORTED', `PGM maxval ${maxval}; only 8-bit (255) is supported`);
  if (bytes.length - offset < width * height)
    throw new ImageFileError('IMAGE_TRUNCATED', 'PGM pixel data is short');
  return { width, height, pixels: bytes.slice(offset, offset + width * height) };
}

/**
 * Writes `image` to `file` in the format its extension names (.png, through sharp, carries `ppi`).
 * @throws {ImageFileError} IMAGE_UNSUPPORTED for another extension; {RangeError} for an inconsistent
 *   image; {ImageError} IMAGE_ENCODE_FAILED when sharp fails; the fs error when writing fails.
 */
export async function writeGreyImage(file: string, image: GreyImage, ppi?: number): Promise<ImageFormat> {
  const format = formatOf(file);
  if (format !== 'png') assertImage(image);
  const bytes =
    format === 'png' ? await encodeGreyPng(image, ppi) : format === 'pgm' ? encodePgm(image) : image.pixels;
  await writeFile(file, bytes);
  return format;
}
