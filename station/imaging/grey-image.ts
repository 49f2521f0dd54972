/**
 * 8-bit greyscale image files for the command line and the fingerprint path: PNG through sharp (the
 * station's one image library, sharp-images.ts), binary PGM (P5, maxval 255) and headerless raw, which
 * are simple enough to read and write here. Every size is bounded; decoders throw typed errors.
 *
 * The hand-written PNG codec below (`encodePng`, `decodePng`) is retired: it stays only for the callers
 * outside this module's owners that still call it synchronously (issue 19), and goes when they move to
 * `encodeGreyPng` / `decodeGreyPng`.
 */
import { writeFile } from 'node:fs/promises';
import { deflateSync, inflateSync } from 'node:zlib';
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
  readonly code:
    | 'IMAGE_FORMAT'
    | 'IMAGE_TRUNCATED'
    | 'IMAGE_TOO_LARGE'
    | 'IMAGE_UNSUPPORTED'
    | 'IMAGE_CHECKSUM';
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

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes an 8-bit greyscale PNG through sharp, with `ppi` as its pHYs resolution.
 * @throws {RangeError} for an inconsistent image.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function encodeGreyPng(image: GreyImage, ppi?: number): Promise<Uint8Array> {
  assertImage(image);
  return encodeSharpPng(image, ppi);
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
 * @returns the image and its resolution (ppi) when the file states one.
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
  return decoded.value;
}

/**
 * Encodes an 8-bit greyscale PNG with the retired hand-written codec.
 * @deprecated use {@link encodeGreyPng} (sharp); kept for station/plugins/devices.ts and
 *   scripts/gallery.ts until they move.
 * @throws {RangeError} for an inconsistent image.
 */
export function encodePng(image: GreyImage, ppi?: number): Uint8Array {
  assertImage(image);
  const { width, height, pixels } = image;
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: greyscale
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', header)];
  if (ppi !== undefined) {
    const phys = new Uint8Array(9);
    const ppm = Math.round(ppi / 0.0254);
    new DataView(phys.buffer).setUint32(0, ppm);
    new DataView(phys.buffer).setUint32(4, ppm);
    phys[8] = 1; // unit: metre
    parts.push(chunk('pHYs', phys));
  }
  parts.push(chunk('IDAT', new Uint8Array(deflateSync(raw, { level: 6 }))), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
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
 * Decodes an 8-bit greyscale, non-interlaced PNG with the retired hand-written codec.
 * @deprecated use {@link decodeGreyPng} (sharp); kept for station/packets/directory.ts and the tests
 *   that read PNG output synchronously until they move.
 * @throws {ImageFileError}
 */
export function decodePng(bytes: Uint8Array): GreyImage {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b))
    throw new ImageFileError('IMAGE_FORMAT', 'not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (offset + 12 + length > bytes.length)
      throw new ImageFileError('IMAGE_TRUNCATED', `PNG chunk ${type} is truncated`);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)) {
      throw new ImageFileError('IMAGE_CHECKSUM', `PNG chunk ${type} fails its CRC`);
    }
    if (type === 'IHDR') {
      const hv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      width = hv.getUint32(0);
      height = hv.getUint32(4);
      if (data[8] !== 8 || data[9] !== 0 || data[12] !== 0) {
        throw new ImageFileError('IMAGE_UNSUPPORTED', 'only 8-bit greyscale non-interlaced PNG is supported');
      }
      if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
        throw new ImageFileError(
          'IMAGE_TOO_LARGE',
          `PNG is ${width}x${height}; at most ${MAX_IMAGE_SIDE} px a side`,
        );
      }
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (width === 0) throw new ImageFileError('IMAGE_FORMAT', 'PNG has no IHDR chunk');
  const expected = (width + 1) * height;
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(inflateSync(Buffer.concat(idat), { maxOutputLength: expected }));
  } catch {
    throw new ImageFileError('IMAGE_FORMAT', 'PNG image data does not inflate to the declared size');
  }
  if (raw.length !== expected) throw new ImageFileError('IMAGE_TRUNCATED', 'PNG image data is short');
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    const row = raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1));
    const prev = y > 0 ? pixels.subarray((y - 1) * width, y * width) : new Uint8Array(width);
    const out = pixels.subarray(y * width, (y + 1) * width);
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? (out[x - 1] ?? 0) : 0;
      const b = prev[x] ?? 0;
      const c = x > 0 ? (prev[x - 1] ?? 0) : 0;
      const v = row[x] ?? 0;
      let predicted: number;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new ImageFileError('IMAGE_FORMAT', `PNG row ${y} has unknown filter ${filter}`);
      }
      out[x] = (v + predicted) & 0xff;
    }
  }
  return { width, height, pixels };
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
