/**
 * A reader for the TIFF files fingerprints come in: baseline TIFF 6.0, one 8-bit grey sample per
 * pixel, in strips, uncompressed or PackBits. That is what FVC's and NIST's special databases ship
 * and what most single-finger scanners save. Anything else (tiles, LZW/Deflate/JPEG, colour,
 * 16-bit, a palette) is a typed `unsupported`, so an operator knows to convert it rather than get a
 * wrong image.
 *
 * Pure and bounded: the pixel count is checked against `maxPixels` before anything is allocated,
 * every offset and count is checked against the input, and PackBits output stops at the strip's
 * expected size. Only the first image (IFD 0) is read; later pages are ignored.
 *
 * Source: TIFF Revision 6.0 (Adobe, 1992), Part 1 "Baseline TIFF" (sections 2-8) and section 9
 * (PackBits).
 */
import { type DecodeResult, fail, ok } from '../result.ts';

export interface TiffGreyImage {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey, 0 black .. 255 white (WhiteIsZero files are inverted on reading). */
  readonly pixels: Uint8Array;
  /** Pixels per inch when the file states an absolute resolution (inch or centimetre), else undefined. */
  readonly ppi: number | undefined;
}

export interface TiffLimits {
  /** Largest width x height accepted (default 4000 x 4000, larger than any single finger at 1000 ppi). */
  readonly maxPixels: number;
}

const DEFAULT_LIMITS: TiffLimits = { maxPixels: 4000 * 4000 };

/** Most directory entries read; baseline files have about a dozen. */
const MAX_ENTRIES = 512;

const TAG = {
  width: 256,
  height: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  stripOffsets: 273,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  xResolution: 282,
  planarConfiguration: 284,
  resolutionUnit: 296,
  tileWidth: 322,
} as const;

const COMPRESSION_NONE = 1;
const COMPRESSION_PACKBITS = 32773;

/** Field types whose values we read, with their sizes in bytes (TIFF 6.0 section 2). */
const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 3: 2, 4: 4, 5: 8 };

interface Entry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** Where the values are: inside the entry when they fit in 4 bytes, else at the offset it holds. */
  readonly valueOffset: number;
  /** The entry's own position, for error offsets. */
  readonly at: number;
}

/**
 * Decodes the first image of a TIFF file as 8-bit grey.
 * Failures: `truncated` (an offset or count runs past the end), `invalid-value` (a malformed header
 * or field), `too-large` (more than `maxPixels`), `unsupported` (a valid TIFF we do not read).
 */
export function decodeTiffGrey(
  bytes: Uint8Array,
  limits: TiffLimits = DEFAULT_LIMITS,
): DecodeResult<TiffGreyImage> {
  if (bytes.length < 8) return fail('truncated', 0, `${bytes.length} bytes; a TIFF header is 8`);
  const order = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
  if (order !== 'II' && order !== 'MM')
    return fail('invalid-value', 0, 'not a TIFF file (no II or MM byte order)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = order === 'II';
  const u16 = (at: number): number => view.getUint16(at, little);
  const u32 = (at: number): number => view.getUint32(at, little);
  if (u16(2) === 43) return fail('unsupported', 2, 'BigTIFF is not read; save a classic TIFF');
  if (u16(2) !== 42) return fail('invalid-value', 2, `TIFF version ${u16(2)}, expected 42`);

  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > bytes.length)
    return fail('truncated', 4, `first directory at ${ifd}, past the end`);
  const count = u16(ifd);
  if (count === 0 || count > MAX_ENTRIES)
    return fail('invalid-value', ifd, `${count} directory entries (1 .. ${MAX_ENTRIES} accepted)`);
  if (ifd + 2 + count * 12 > bytes.length)
    return fail('truncated', ifd, `${count} directory entries run past the end`);
  const entries = new Map<number, Entry>();
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    const entry = { tag: u16(at), type: u16(at + 2), count: u32(at + 4), valueOffset: at + 8, at };
    const size = TYPE_SIZE[entry.type];
    if (size !== undefined && entry.count * size > 4) {
      const offset = u32(at + 8);
      if (offset + entry.count * size > bytes.length)
        return fail(
          'truncated',
          at,
          `tag ${entry.tag}'s ${entry.count} values at ${offset} run past the end`,
        );
      entries.set(entry.tag, { ...entry, valueOffset: offset });
    } else entries.set(entry.tag, entry);
  }

  /** All values of an integer field (BYTE, SHORT or LONG), or a failure naming the tag. */
  const integers = (tag: number, name: string): DecodeResult<number[]> => {
    const entry = entries.get(tag);
    if (entry === undefined) return fail('invalid-value', ifd, `the ${name} field (tag ${tag}) is missing`);
    if (entry.type !== 1 && entry.type !== 3 && entry.type !== 4)
      return fail(
        'invalid-value',
        entry.at,
        `${name} has field type ${entry.type}, expected an integer type`,
      );
    if (entry.count === 0 || entry.count > bytes.length)
      return fail('invalid-value', entry.at, `${name} has ${entry.count} values`);
    const values: number[] = [];
    for (let i = 0; i < entry.count; i++) {
      if (entry.type === 1) values.push(bytes[entry.valueOffset + i] ?? 0);
      else if (entry.type === 3) values.push(u16(entry.valueOffset + 2 * i));
      else values.push(u32(entry.valueOffset + 4 * i));
    }
    return ok(values);
  };
  const single = (tag: number, name: string, fallback?: number): DecodeResult<number> => {
    if (!entries.has(tag) && fallback !== undefined) return ok(fallback);
    const values = integers(tag, name);
    return values.ok ? ok(values.value[0] ?? 0) : values;
  };

  if (entries.has(TAG.tileWidth))
    return fail(
      'unsupported',
      entries.get(TAG.tileWidth)?.at ?? ifd,
      'tiled TIFF is not read; save it in strips',
    );
  const width = single(TAG.width, 'ImageWidth');
  if (!width.ok) return width;
  const height = single(TAG.height, 'ImageLength');
  if (!height.ok) return height;
  if (width.value < 1 || height.value < 1)
    return fail('invalid-value', ifd, `image size ${width.value}x${height.value}`);
  if (width.value * height.value > limits.maxPixels)
    return fail('too-large', ifd, `${width.value}x${height.value} is more than ${limits.maxPixels} pixels`);

  const samples = single(TAG.samplesPerPixel, 'SamplesPerPixel', 1);
  if (!samples.ok) return samples;
  if (samples.value !== 1)
    return fail(
      'unsupported',
      ifd,
      `${samples.value} samples per pixel: only one grey sample is read (convert to greyscale)`,
    );
  const bits = single(TAG.bitsPerSample, 'BitsPerSample', 1);
  if (!bits.ok) return bits;
  if (bits.value !== 8) return fail('unsupported', ifd, `${bits.value} bits per sample: only 8 is read`);
  const photometric = single(TAG.photometric, 'PhotometricInterpretation');
  if (!photometric.ok) return photometric;
  if (photometric.value !== 0 && photometric.value !== 1)
    return fail(
      'unsupported',
      ifd,
      `photometric interpretation ${photometric.value}: only grey (0 or 1) is read`,
    );
  const compression = single(TAG.compression, 'Compression', COMPRESSION_NONE);
  if (!compression.ok) return compression;
  if (compression.value !== COMPRESSION_NONE && compression.value !== COMPRESSION_PACKBITS)
    return fail(
      'unsupported',
      ifd,
      `compression ${compression.value}: only none (1) and PackBits (32773) are read`,
    );
  const planar = single(TAG.planarConfiguration, 'PlanarConfiguration', 1);
  if (!planar.ok) return planar;
  if (planar.value !== 1 && planar.value !== 2)
    return fail('invalid-value', ifd, `planar configuration ${planar.value}`);

  const rowsPerStrip = single(TAG.rowsPerStrip, 'RowsPerStrip', height.value);
  if (!rowsPerStrip.ok) return rowsPerStrip;
  const rows = Math.min(Math.max(rowsPerStrip.value, 1), height.value);
  const offsets = integers(TAG.stripOffsets, 'StripOffsets');
  if (!offsets.ok) return offsets;
  const counts = integers(TAG.stripByteCounts, 'StripByteCounts');
  if (!counts.ok) return counts;
  const strips = Math.ceil(height.value / rows);
  if (offsets.value.length < strips || counts.value.length < strips)
    return fail(
      'invalid-value',
      ifd,
      `${strips} strips needed, ${offsets.value.length} offsets and ${counts.value.length} counts given`,
    );

  const pixels = new Uint8Array(width.value * height.value);
  for (let s = 0; s < strips; s++) {
    const start = offsets.value[s] ?? 0;
    const length = counts.value[s] ?? 0;
    if (start + length > bytes.length)
      return fail('truncated', start, `strip ${s} (${length} bytes at ${start}) runs past the end`);
    const target = s * rows * width.value;
    const expected = Math.min(rows, height.value - s * rows) * width.value;
    const source = bytes.subarray(start, start + length);
    if (compression.value === COMPRESSION_NONE) {
      if (length < expected)
        return fail('truncated', start, `strip ${s} holds ${length} bytes, ${expected} needed`);
      pixels.set(source.subarray(0, expected), target);
    } else {
      const unpacked = unpackBits(source, pixels.subarray(target, target + expected));
      if (unpacked < expected)
        return fail('truncated', start, `PackBits strip ${s} gave ${unpacked} bytes, ${expected} needed`);
    }
  }
  if (photometric.value === 0) for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - (pixels[i] ?? 0);
  return ok({ width: width.value, height: height.value, pixels, ppi: resolution(entries, view, little) });
}

/** Decodes PackBits from `source` into `target` until either ends; returns the bytes written. */
function unpackBits(source: Uint8Array, target: Uint8Array): number {
  let read = 0;
  let written = 0;
  while (read < source.length && written < target.length) {
    const header = source[read++] ?? 0;
    if (header < 128) {
      // header + 1 literal bytes follow.
      const n = Math.min(header + 1, source.length - read, target.length - written);
      target.set(source.subarray(read, read + n), written);
      read += header + 1;
      written += n;
    } else if (header > 128) {
      // The next byte repeated 257 - header times.
      const value = source[read++] ?? 0;
      const n = Math.min(257 - header, target.length - written);
      target.fill(value, written, written + n);
      written += n;
    }
    // 128 is a no-op.
  }
  return written;
}

/** XResolution in pixels per inch, when the unit is inch (2) or centimetre (3) and the value sane. */
function resolution(
  entries: ReadonlyMap<number, Entry>,
  view: DataView,
  little: boolean,
): number | undefined {
  const entry = entries.get(TAG.xResolution);
  if (entry === undefined || entry.type !== 5 || entry.count < 1) return undefined;
  const numerator = view.getUint32(entry.valueOffset, little);
  const denominator = view.getUint32(entry.valueOffset + 4, little);
  if (denominator === 0) return undefined;
  const unitEntry = entries.get(TAG.resolutionUnit);
  const unit =
    unitEntry === undefined || unitEntry.type !== 3 ? 2 : view.getUint16(unitEntry.valueOffset, little);
  const value = numerator / denominator;
  if (unit === 2) return value;
  if (unit === 3) return value * 2.54;
  return undefined;
}
