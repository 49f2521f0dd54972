/**
 * The ISO/IEC 19794-4:2005 finger image record carried in DG3's biometric data blocks (ICAO
 * 9303-10 §4.7.3). Version '010' only (the one 9303 profiles); other versions are `unsupported`.
 * All integers are big-endian.
 *
 * | Block | Bytes | Fields |
 * |---|---|---|
 * | General header | 32 | 'FIR\0' (4), version '010\0' (4), record length (6), capture device id (2), image acquisition level (2), number of finger images (1), scale units (1: 1 ppi, 2 ppcm), scan resolution h, v (2 + 2), image resolution h, v (2 + 2), pixel depth in bits (1), compression (1), reserved (2) |
 * | Finger image header, per image | 14 | block length (4), finger position (1), count of views (1), view number (1), quality (1), impression type (1), width (2), height (2), reserved (1) |
 * | Image data | rest of the block | raw pixels, WSQ, JPEG, JPEG 2000 or PNG, as the general header's compression says |
 *
 * The record length counts the whole record; each block length counts its own header and image.
 * Both are cross-checked against the bytes present. Compression codes (§8.2.1.14): 0 raw, 1 raw
 * bit-packed, 2 WSQ, 3 JPEG, 4 JPEG 2000, 5 PNG. Finger positions are those of ANSI/NIST Table 8
 * (1 right thumb … 10 left little, 0 unknown).
 */
import { type DecodeResult, fail, ok } from '../../result.ts';

export const FINGER_FORMAT_ID = Uint8Array.of(0x46, 0x49, 0x52, 0x00); // 'FIR\0'
export const FINGER_VERSION_010 = Uint8Array.of(0x30, 0x31, 0x30, 0x00); // '010\0'
export const FINGER_GENERAL_HEADER_LENGTH = 32;
export const FINGER_IMAGE_HEADER_LENGTH = 14;

export const FINGER_COMPRESSION = {
  raw: 0,
  rawBitPacked: 1,
  wsq: 2,
  jpeg: 3,
  jpeg2000: 4,
  png: 5,
} as const;

export type FingerCompression = keyof typeof FINGER_COMPRESSION;

const COMPRESSION_NAMES: readonly FingerCompression[] = [
  'raw',
  'rawBitPacked',
  'wsq',
  'jpeg',
  'jpeg2000',
  'png',
];

/** Image acquisition levels 19794-4 allows (Table 1): they fix resolution and grey depth. */
export const ACQUISITION_LEVELS: readonly number[] = [10, 20, 30, 31, 40, 41];

/** Impression types (ANSI/NIST Table 7): 0 live-scan plain, 1 live-scan rolled, … 8 swipe. */
export const IMPRESSION_TYPE = {
  liveScanPlain: 0,
  liveScanRolled: 1,
  nonLivePlain: 2,
  nonLiveRolled: 3,
} as const;

export interface FingerImage {
  /** 0 unknown, 1 right thumb … 5 right little, 6 left thumb … 10 left little; 11–15 plain, 20–38 palms. */
  readonly position: number;
  readonly viewCount: number;
  readonly viewNumber: number;
  /** 0–100, 254 not assessed, 255 unsupported (as stored). */
  readonly quality: number;
  readonly impressionType: number;
  /** Pixels. */
  readonly width: number;
  readonly height: number;
  /** The image bytes (a view into the record when decoded). */
  readonly data: Uint8Array;
}

export interface FingerRecord {
  /** '010'. */
  readonly version: string;
  readonly captureDeviceId: number;
  readonly acquisitionLevel: number;
  /** 'ppi' or 'ppcm'. */
  readonly scaleUnits: 'ppi' | 'ppcm';
  readonly scanResolution: { readonly horizontal: number; readonly vertical: number };
  readonly imageResolution: { readonly horizontal: number; readonly vertical: number };
  /** Bits per pixel, 1–16. */
  readonly pixelDepth: number;
  readonly compression: FingerCompression;
  readonly images: readonly FingerImage[];
}

export interface FingerRecordLimits {
  /** Largest record accepted, bytes (default 1 MiB). */
  readonly maxRecordLength?: number;
  /** Most finger images per record (default 16). */
  readonly maxImages?: number;
  /** Largest width or height, pixels (default 4000). */
  readonly maxSide?: number;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) * 0x1000000 + (((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0));
}
function u48(b: Uint8Array, at: number): number {
  return u16(b, at) * 0x100000000 + u32(b, at + 2);
}

/**
 * Decodes a finger image record. Errors (offsets into `bytes`): `truncated` when the header, a
 * block or the record ends early; `invalid-value` for a wrong format identifier, no images, an
 * acquisition level, scale unit, pixel depth or compression 19794-4 does not define, a zero size,
 * a block length too short for its header or with no image; `unsupported` for a version other
 * than '010'; `too-large` past the limits; `trailing-data` when the record length is shorter than
 * the bytes or bytes remain after the last image.
 */
export function decodeFingerRecord(
  bytes: Uint8Array,
  limits: FingerRecordLimits = {},
): DecodeResult<FingerRecord> {
  const maxRecordLength = limits.maxRecordLength ?? 1024 * 1024;
  const maxImages = limits.maxImages ?? 16;
  const maxSide = limits.maxSide ?? 4000;
  if (bytes.length < FINGER_GENERAL_HEADER_LENGTH)
    return fail('truncated', bytes.length, `the general header is ${FINGER_GENERAL_HEADER_LENGTH} bytes`);
  if (!startsWith(bytes, FINGER_FORMAT_ID))
    return fail('invalid-value', 0, "format identifier is not 'FIR\\0'");
  if (!startsWith(bytes.subarray(4), FINGER_VERSION_010))
    return fail('unsupported', 4, "only version '010' (ISO/IEC 19794-4:2005) is decoded");
  const recordLength = u48(bytes, 8);
  if (recordLength > maxRecordLength)
    return fail('too-large', 8, `record of ${recordLength} bytes exceeds the ${maxRecordLength}-byte bound`);
  if (recordLength > bytes.length)
    return fail('truncated', bytes.length, `record length ${recordLength}, ${bytes.length} bytes present`);
  if (recordLength < bytes.length)
    return fail('trailing-data', recordLength, 'bytes after the record length');
  const acquisitionLevel = u16(bytes, 16);
  if (!ACQUISITION_LEVELS.includes(acquisitionLevel))
    return fail('invalid-value', 16, `image acquisition level ${acquisitionLevel}`);
  const imageCount = bytes[18] ?? 0;
  if (imageCount === 0) return fail('invalid-value', 18, 'a finger image record holds at least one image');
  if (imageCount > maxImages) return fail('too-large', 18, `${imageCount} images; at most ${maxImages}`);
  const scale = bytes[19];
  if (scale !== 1 && scale !== 2) return fail('invalid-value', 19, `scale units ${scale} (1 ppi, 2 ppcm)`);
  const pixelDepth = bytes[28] ?? 0;
  if (pixelDepth < 1 || pixelDepth > 16) return fail('invalid-value', 28, `pixel depth ${pixelDepth} bits`);
  const compression = COMPRESSION_NAMES[bytes[29] ?? 0xff];
  if (compression === undefined) return fail('invalid-value', 29, `compression ${bytes[29]} is not 0–5`);

  const images: FingerImage[] = [];
  let at = FINGER_GENERAL_HEADER_LENGTH;
  for (let i = 0; i < imageCount; i++) {
    if (at + FINGER_IMAGE_HEADER_LENGTH > recordLength)
      return fail('truncated', at, `the header of finger image ${i + 1}`);
    const blockLength = u32(bytes, at);
    if (blockLength <= FINGER_IMAGE_HEADER_LENGTH)
      return fail(
        'invalid-value',
        at,
        `block length ${blockLength} leaves no image after its 14-byte header`,
      );
    if (at + blockLength > recordLength)
      return fail(
        'truncated',
        recordLength,
        `finger image ${i + 1} needs ${blockLength} bytes from offset ${at}`,
      );
    const width = u16(bytes, at + 9);
    const height = u16(bytes, at + 11);
    if (width === 0 || height === 0)
      return fail('invalid-value', at + 9, `an image of ${width} x ${height} pixels`);
    if (width > maxSide || height > maxSide)
      return fail('too-large', at + 9, `${width} x ${height} pixels; at most ${maxSide} a side`);
    images.push({
      position: bytes[at + 4] ?? 0,
      viewCount: bytes[at + 5] ?? 0,
      viewNumber: bytes[at + 6] ?? 0,
      quality: bytes[at + 7] ?? 0,
      impressionType: bytes[at + 8] ?? 0,
      width,
      height,
      data: bytes.subarray(at + FINGER_IMAGE_HEADER_LENGTH, at + blockLength),
    });
    at += blockLength;
  }
  if (at !== recordLength)
    return fail('trailing-data', at, `${recordLength - at} bytes after the last image`);
  return ok({
    version: '010',
    captureDeviceId: u16(bytes, 14),
    acquisitionLevel,
    scaleUnits: scale === 1 ? 'ppi' : 'ppcm',
    scanResolution: { horizontal: u16(bytes, 20), vertical: u16(bytes, 22) },
    imageResolution: { horizontal: u16(bytes, 24), vertical: u16(bytes, 26) },
    pixelDepth,
    compression,
    images,
  });
}

export interface FingerRecordInput {
  /** Default 0 (unreported). */
  readonly captureDeviceId?: number;
  /** Default 31 (500 ppi, 8 bits: the level a flat scanner meets). */
  readonly acquisitionLevel?: number;
  /** Pixels per inch, both scan and image resolution (default 500). */
  readonly ppi?: number;
  /** Default 8. */
  readonly pixelDepth?: number;
  readonly compression: FingerCompression;
  readonly images: readonly {
    readonly position: number;
    readonly width: number;
    readonly height: number;
    readonly data: Uint8Array;
    /** The capture's quality score 0–100; default 254 (not assessed). */
    readonly quality?: number;
    /** Default live-scan plain (0). */
    readonly impressionType?: number;
    /** Default 1 and 1: one view per finger. */
    readonly viewCount?: number;
    readonly viewNumber?: number;
  }[];
}

function field(value: number, what: string, max: number, min = 0): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${what} ${value} out of range`);
  return value;
}

/**
 * A version '010' record with one block per image.
 * @throws {RangeError} for no images or more than 255, an empty image, or a field out of its range.
 */
export function encodeFingerRecord(input: FingerRecordInput): Uint8Array {
  const { images } = input;
  if (images.length === 0 || images.length > 255)
    throw new RangeError('a finger record holds 1 to 255 images');
  const total =
    FINGER_GENERAL_HEADER_LENGTH +
    images.reduce((n, image) => n + FINGER_IMAGE_HEADER_LENGTH + image.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(FINGER_FORMAT_ID, 0);
  out.set(FINGER_VERSION_010, 4);
  view.setUint16(8, Math.floor(total / 0x100000000));
  view.setUint32(10, total % 0x100000000);
  view.setUint16(14, field(input.captureDeviceId ?? 0, 'capture device id', 0xffff));
  const level = input.acquisitionLevel ?? 31;
  if (!ACQUISITION_LEVELS.includes(level)) throw new RangeError(`image acquisition level ${level}`);
  view.setUint16(16, level);
  out[18] = images.length;
  out[19] = 1; // pixels per inch
  const ppi = field(input.ppi ?? 500, 'resolution', 0xffff, 1);
  for (const at of [20, 22, 24, 26]) view.setUint16(at, ppi);
  out[28] = field(input.pixelDepth ?? 8, 'pixel depth', 16, 1);
  out[29] = FINGER_COMPRESSION[input.compression];
  let at = FINGER_GENERAL_HEADER_LENGTH;
  for (const image of images) {
    if (image.data.length === 0) throw new RangeError('a finger image needs image bytes');
    const length = FINGER_IMAGE_HEADER_LENGTH + image.data.length;
    view.setUint32(at, length);
    out[at + 4] = field(image.position, 'finger position', 0xff);
    out[at + 5] = field(image.viewCount ?? 1, 'count of views', 0xff);
    out[at + 6] = field(image.viewNumber ?? 1, 'view number', 0xff);
    out[at + 7] = field(image.quality ?? 254, 'quality', 0xff);
    out[at + 8] = field(image.impressionType ?? IMPRESSION_TYPE.liveScanPlain, 'impression type', 0xff);
    view.setUint16(at + 9, field(image.width, 'width', 0xffff, 1));
    view.setUint16(at + 11, field(image.height, 'height', 0xffff, 1));
    out.set(image.data, at + FINGER_IMAGE_HEADER_LENGTH);
    at += length;
  }
  return out;
}
