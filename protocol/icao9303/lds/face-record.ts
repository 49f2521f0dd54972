/**
 * The ISO/IEC 19794-5:2005 face image record carried in DG2's biometric data block (ICAO 9303-10
 * §4.7.2, reference §7). Version '010' only (the one 9303 profiles); other versions are
 * `unsupported`. All integers are big-endian.
 *
 * | Block | Bytes | Fields |
 * |---|---|---|
 * | General header | 14 | 'FAC\0' (4), version '010\0' (4), record length (4), number of faces (2) |
 * | Facial information, per face | 20 | block length (4), feature points (2), gender, eye colour, hair colour, feature mask (3), expression (2), pose angle y/p/r (3), uncertainty (3) |
 * | Feature point | 8 each | type, major<<4 \| minor, x (2), y (2), reserved (2) |
 * | Image information | 12 | face image type, image data type (0 JPEG, 1 JPEG 2000), width (2), height (2), colour space, source type, device type (2), quality (2) |
 * | Image data | rest of the block | JPEG or JPEG 2000 |
 *
 * The block length counts from its own first byte to the end of the image. The record length
 * counts the whole record. Both are cross-checked against the bytes present.
 */
import { type DecodeResult, fail, ok } from '../../result.ts';

export const FACE_FORMAT_ID = Uint8Array.of(0x46, 0x41, 0x43, 0x00); // 'FAC\0'
export const FACE_VERSION_010 = Uint8Array.of(0x30, 0x31, 0x30, 0x00); // '010\0'
const GENERAL_HEADER_LENGTH = 14;
const FACIAL_INFO_LENGTH = 20;
const FEATURE_POINT_LENGTH = 8;
const IMAGE_INFO_LENGTH = 12;

/** Image data type field (ISO 19794-5 §5.7.2). */
export const IMAGE_DATA_TYPE = { jpeg: 0, jpeg2000: 1 } as const;

/** What the image bytes are, told by their first bytes (the type field is not trusted). */
export type ImageFormat = 'jpeg' | 'jp2' | 'j2k' | 'unknown';

const JP2_SIGNATURE = Uint8Array.of(0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a);

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * JPEG (SOI + a marker, `FFD8FF`), JPEG 2000 in its JP2 file format (the signature box
 * `0000000C 6A502020 0D0A870A`, ISO 15444-1 Annex I) or a bare JPEG 2000 codestream (SOC + SIZ,
 * `FF4F FF51`).
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (startsWith(bytes, Uint8Array.of(0xff, 0xd8, 0xff))) return 'jpeg';
  if (startsWith(bytes, JP2_SIGNATURE)) return 'jp2';
  if (startsWith(bytes, Uint8Array.of(0xff, 0x4f, 0xff, 0x51))) return 'j2k';
  return 'unknown';
}

export interface FeaturePoint {
  /** 1 = MPEG-4 feature point. */
  readonly type: number;
  /** The MPEG-4 group (high nibble) and index (low nibble), e.g. 12.1 → major 12, minor 1. */
  readonly major: number;
  readonly minor: number;
  /** Pixels from the image's top left. */
  readonly x: number;
  readonly y: number;
}

/** One facial record: the facial information, feature points, image information and image. */
export interface FaceImage {
  /** 0 unspecified, 1 male, 2 female, 0xFF unknown. */
  readonly gender: number;
  readonly eyeColour: number;
  readonly hairColour: number;
  /** 24-bit property mask. */
  readonly featureMask: number;
  readonly expression: number;
  /** Yaw, pitch, roll in the record's encoding (0 unspecified, else 1 + (angle + 180) / 2). */
  readonly poseAngle: readonly [number, number, number];
  readonly poseAngleUncertainty: readonly [number, number, number];
  readonly featurePoints: readonly FeaturePoint[];
  /** 0 basic, 1 full frontal, 2 token frontal. */
  readonly faceImageType: number;
  /** As declared: 0 JPEG, 1 JPEG 2000. */
  readonly imageDataType: number;
  /** Pixels. */
  readonly width: number;
  readonly height: number;
  /** 0 unspecified, 1 RGB 24-bit, 2 YUV422, 3 greyscale 8-bit, 4 other. */
  readonly colourSpace: number;
  readonly sourceType: number;
  readonly deviceType: number;
  readonly quality: number;
  /** The image bytes (a view into the record when decoded). */
  readonly image: Uint8Array;
}

export interface DecodedFaceImage extends FaceImage {
  /** Told from the image's first bytes. */
  readonly imageFormat: ImageFormat;
  /** The declared image data type disagrees with `imageFormat` (or the format is unknown). */
  readonly imageTypeMismatch: boolean;
}

export interface FaceRecord {
  /** '010'. */
  readonly version: string;
  readonly faces: readonly DecodedFaceImage[];
}

export interface FaceRecordLimits {
  /** Largest record accepted, bytes (default 1 MiB). */
  readonly maxRecordLength?: number;
  /** Most faces per record (default 16). */
  readonly maxFaces?: number;
  /** Most feature points per face (default 256). */
  readonly maxFeaturePoints?: number;
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}
function u24(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 16) | ((b[at + 1] ?? 0) << 8) | (b[at + 2] ?? 0);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) * 0x1000000 + u24(b, at + 1);
}

/**
 * Decodes a face record. Errors (offsets into `bytes`): `truncated` when a block or the record
 * ends early; `invalid-value` for a wrong format identifier, zero faces, a block length too short
 * for its feature points, or no image; `unsupported` for a version other than '010'; `too-large`
 * past the limits; `trailing-data` when the record length is shorter than the bytes, or bytes
 * remain after the last face.
 */
export function decodeFaceRecord(bytes: Uint8Array, limits: FaceRecordLimits = {}): DecodeResult<FaceRecord> {
  const maxRecordLength = limits.maxRecordLength ?? 1024 * 1024;
  const maxFaces = limits.maxFaces ?? 16;
  const maxFeaturePoints = limits.maxFeaturePoints ?? 256;
  if (bytes.length < GENERAL_HEADER_LENGTH)
    return fail('truncated', bytes.length, 'general header is 14 bytes');
  if (!startsWith(bytes, FACE_FORMAT_ID))
    return fail('invalid-value', 0, "format identifier is not 'FAC\\0'");
  if (!startsWith(bytes.subarray(4), FACE_VERSION_010))
    return fail('unsupported', 4, "only version '010' (ISO/IEC 19794-5:2005) is decoded");
  const recordLength = u32(bytes, 8);
  if (recordLength > maxRecordLength)
    return fail('too-large', 8, `record of ${recordLength} bytes exceeds the ${maxRecordLength}-byte bound`);
  if (recordLength > bytes.length)
    return fail('truncated', bytes.length, `record length ${recordLength}, ${bytes.length} bytes present`);
  if (recordLength < bytes.length)
    return fail('trailing-data', recordLength, 'bytes after the record length');
  const faceCount = u16(bytes, 12);
  if (faceCount === 0) return fail('invalid-value', 12, 'a face record holds at least one face');
  if (faceCount > maxFaces) return fail('too-large', 12, `${faceCount} faces; at most ${maxFaces}`);

  const faces: DecodedFaceImage[] = [];
  let at = GENERAL_HEADER_LENGTH;
  for (let f = 0; f < faceCount; f++) {
    if (at + FACIAL_INFO_LENGTH > recordLength)
      return fail('truncated', at, `facial information of face ${f + 1}`);
    const blockLength = u32(bytes, at);
    const pointCount = u16(bytes, at + 4);
    if (pointCount > maxFeaturePoints)
      return fail('too-large', at + 4, `${pointCount} feature points; at most ${maxFeaturePoints}`);
    const fixed = FACIAL_INFO_LENGTH + pointCount * FEATURE_POINT_LENGTH + IMAGE_INFO_LENGTH;
    if (blockLength <= fixed)
      return fail(
        'invalid-value',
        at,
        `block length ${blockLength} leaves no image after ${fixed} bytes of fields`,
      );
    if (at + blockLength > recordLength)
      return fail('truncated', recordLength, `face ${f + 1} needs ${blockLength} bytes from offset ${at}`);
    const block = bytes.subarray(at, at + blockLength);
    const featurePoints: FeaturePoint[] = [];
    for (let p = 0; p < pointCount; p++) {
      const o = FACIAL_INFO_LENGTH + p * FEATURE_POINT_LENGTH;
      const code = block[o + 1] ?? 0;
      featurePoints.push({
        type: block[o] ?? 0,
        major: code >> 4,
        minor: code & 0x0f,
        x: u16(block, o + 2),
        y: u16(block, o + 4),
      });
    }
    const ii = FACIAL_INFO_LENGTH + pointCount * FEATURE_POINT_LENGTH;
    const image = block.subarray(fixed);
    const imageDataType = block[ii + 1] ?? 0;
    const imageFormat = sniffImageFormat(image);
    const declared =
      imageDataType === IMAGE_DATA_TYPE.jpeg
        ? 'jpeg'
        : imageDataType === IMAGE_DATA_TYPE.jpeg2000
          ? 'jpeg2000'
          : 'other';
    const imageTypeMismatch =
      imageFormat === 'unknown' ||
      (declared === 'jpeg' && imageFormat !== 'jpeg') ||
      (declared === 'jpeg2000' && imageFormat === 'jpeg') ||
      declared === 'other';
    faces.push({
      gender: block[6] ?? 0,
      eyeColour: block[7] ?? 0,
      hairColour: block[8] ?? 0,
      featureMask: u24(block, 9),
      expression: u16(block, 12),
      poseAngle: [block[14] ?? 0, block[15] ?? 0, block[16] ?? 0],
      poseAngleUncertainty: [block[17] ?? 0, block[18] ?? 0, block[19] ?? 0],
      featurePoints,
      faceImageType: block[ii] ?? 0,
      imageDataType,
      width: u16(block, ii + 2),
      height: u16(block, ii + 4),
      colourSpace: block[ii + 6] ?? 0,
      sourceType: block[ii + 7] ?? 0,
      deviceType: u16(block, ii + 8),
      quality: u16(block, ii + 10),
      image,
      imageFormat,
      imageTypeMismatch,
    });
    at += blockLength;
  }
  if (at !== recordLength) return fail('trailing-data', at, `${recordLength - at} bytes after the last face`);
  return ok({ version: '010', faces });
}

/** Face fields for the encoder; unspecified fields default to 0 (unspecified). */
export type FaceImageInput = Partial<Omit<FaceImage, 'image' | 'width' | 'height'>> &
  Pick<FaceImage, 'image' | 'width' | 'height'>;

function byteField(value: number, what: string, max = 0xff): number {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${what} ${value} out of range`);
  return value;
}

/**
 * A version '010' record with one block per face. `imageDataType` defaults to what the image's
 * first bytes say (JPEG 0, JPEG 2000 1).
 * @throws {RangeError} for no faces, a field out of its range, or an empty image.
 */
export function encodeFaceRecord(faces: readonly FaceImageInput[]): Uint8Array {
  if (faces.length === 0 || faces.length > 0xffff)
    throw new RangeError('a face record holds 1 to 65535 faces');
  const blocks = faces.map((face) => {
    if (face.image.length === 0) throw new RangeError('a face needs image bytes');
    const points = face.featurePoints ?? [];
    const length =
      FACIAL_INFO_LENGTH + points.length * FEATURE_POINT_LENGTH + IMAGE_INFO_LENGTH + face.image.length;
    const block = new Uint8Array(length);
    const view = new DataView(block.buffer);
    view.setUint32(0, length);
    view.setUint16(4, byteField(points.length, 'feature point count', 0xffff));
    block[6] = byteField(face.gender ?? 0, 'gender');
    block[7] = byteField(face.eyeColour ?? 0, 'eye colour');
    block[8] = byteField(face.hairColour ?? 0, 'hair colour');
    const mask = byteField(face.featureMask ?? 0, 'feature mask', 0xffffff);
    block.set([mask >> 16, (mask >> 8) & 0xff, mask & 0xff], 9);
    view.setUint16(12, byteField(face.expression ?? 0, 'expression', 0xffff));
    const pose = face.poseAngle ?? [0, 0, 0];
    const uncertainty = face.poseAngleUncertainty ?? [0, 0, 0];
    for (let i = 0; i < 3; i++) {
      block[14 + i] = byteField(pose[i] ?? 0, 'pose angle');
      block[17 + i] = byteField(uncertainty[i] ?? 0, 'pose uncertainty');
    }
    points.forEach((p, i) => {
      const o = FACIAL_INFO_LENGTH + i * FEATURE_POINT_LENGTH;
      block[o] = byteField(p.type, 'feature point type');
      block[o + 1] =
        (byteField(p.major, 'feature point major code', 0x0f) << 4) | byteField(p.minor, 'minor code', 0x0f);
      view.setUint16(o + 2, byteField(p.x, 'feature point x', 0xffff));
      view.setUint16(o + 4, byteField(p.y, 'feature point y', 0xffff));
    });
    const ii = FACIAL_INFO_LENGTH + points.length * FEATURE_POINT_LENGTH;
    const sniffed = sniffImageFormat(face.image);
    const imageDataType =
      face.imageDataType ??
      (sniffed === 'jpeg' ? IMAGE_DATA_TYPE.jpeg : sniffed === 'unknown' ? 0 : IMAGE_DATA_TYPE.jpeg2000);
    block[ii] = byteField(face.faceImageType ?? 0, 'face image type');
    block[ii + 1] = byteField(imageDataType, 'image data type');
    view.setUint16(ii + 2, byteField(face.width, 'width', 0xffff));
    view.setUint16(ii + 4, byteField(face.height, 'height', 0xffff));
    block[ii + 6] = byteField(face.colourSpace ?? 0, 'colour space');
    block[ii + 7] = byteField(face.sourceType ?? 0, 'source type');
    view.setUint16(ii + 8, byteField(face.deviceType ?? 0, 'device type', 0xffff));
    view.setUint16(ii + 10, byteField(face.quality ?? 0, 'quality', 0xffff));
    block.set(face.image, ii + IMAGE_INFO_LENGTH);
    return block;
  });
  const total = GENERAL_HEADER_LENGTH + blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  out.set(FACE_FORMAT_ID, 0);
  out.set(FACE_VERSION_010, 4);
  const view = new DataView(out.buffer);
  view.setUint32(8, total);
  view.setUint16(12, faces.length);
  let at = GENERAL_HEADER_LENGTH;
  for (const block of blocks) {
    out.set(block, at);
    at += block.length;
  }
  return out;
}
