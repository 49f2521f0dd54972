/**
 * DG3, the encoded fingerprints (ICAO 9303-10 §4.7.3; ISO/IEC 7816-11 biometric templates, the
 * same CBEFF nesting as DG2's face):
 *
 * ```
 * 63 L                              DG3 (readable only after Terminal Authentication)
 *   7F61 L                          biometric information group template
 *     02 01 n                       number of instances
 *     7F60 L                        biometric information template (n times, one per finger usually)
 *       A1 L                        biometric header template
 *         80 02 0101                patron header version (optional)
 *         81 01..03 08              biometric type: fingerprint (optional)
 *         82 01 xx                  biometric subtype: 01 right / 02 left | 04 thumb, 08 index,
 *                                   0C middle, 10 ring, 14 little (optional)
 *         83 07 YYYYMMDDhhmmss      creation date, BCD (optional)
 *         85 08                     validity period, BCD (optional)
 *         86 02                     creator (optional)
 *         87 02 0101                format owner: ISO/IEC JTC 1/SC 37
 *         88 02 0007                format type: ISO/IEC 19794-4 finger image
 *       5F2E | 7F2E L <record>      biometric data block (7F2E: the enciphered form)
 * ```
 * The record is decoded by finger-record.ts; `decodeFingerImage` turns a WSQ image (the
 * compression 9303 recommends for DG3) into pixels with protocol/wsq.
 *
 * The biometric header template is DG2's (dg2.ts); it is declared again here because dg2.ts keeps
 * its codec private. Both follow 7816-11 Table 9.
 */
import { concatBytes, encodeTlv, findTag, readTlvs } from '../../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../../result.ts';
import { decodeWsq } from '../../wsq/decoder.ts';
import {
  BIOMETRIC_DATA_ENCIPHERED_TAG,
  BIOMETRIC_DATA_TAG,
  BIOMETRIC_GROUP_TAG,
  BIOMETRIC_HEADER_TAG,
  BIOMETRIC_INFO_TAG,
  type BiometricHeader,
  decodeBiometricHeader,
  FORMAT_OWNER_SC37,
  readBiometricGroup,
} from './dg2.ts';
import {
  decodeFingerRecord,
  encodeFingerRecord,
  type FingerCompression,
  type FingerImage,
  type FingerRecord,
  type FingerRecordInput,
  type FingerRecordLimits,
} from './finger-record.ts';

export const DG3_TAG = 0x63;
/** Format type finger image (ISO/IEC 19794-4) under format owner 0101 (9303-10 §4.7.3.1). */
export const FORMAT_TYPE_FINGER_IMAGE = 0x0007;
/** Biometric type "fingerprint" (CBEFF). */
export const BIOMETRIC_TYPE_FINGERPRINT = 0x08;

export interface Dg3Instance {
  readonly header: BiometricHeader;
  /** 0x5F2E or 0x7F2E. */
  readonly dataBlockTag: number;
  readonly record: FingerRecord;
}

export interface Dg3 {
  readonly instances: readonly Dg3Instance[];
}

export interface Dg3Limits extends FingerRecordLimits {
  /** Largest DG3 file accepted, bytes (default 1 MiB). */
  readonly maxLength?: number;
  /** Most biometric information templates (default 10: one per finger). */
  readonly maxInstances?: number;
}

/** CBEFF biometric subtype of an ANSI/NIST finger position 1–10 (7816-11; 9303-10 §4.7.3). */
export function fingerSubtype(position: number): number {
  if (!Number.isInteger(position) || position < 1 || position > 10) return 0;
  const side = position <= 5 ? 0x01 : 0x02;
  const finger = ((position - 1) % 5) + 1; // 1 thumb … 5 little
  return side | (finger << 2);
}

function rebase<T>(result: DecodeResult<T>, base: number): DecodeResult<T> {
  return result.ok ? result : fail(result.error.reason, base + result.error.offset, result.error.detail);
}

/**
 * Decodes the whole DG3 file. Errors (offsets into `bytes`): `truncated`; `invalid-value` for a
 * wrong tag, a missing or wrong instance count, a template without header or data block; the
 * finger record's own errors; `unsupported` for a format other than 19794-4 finger image;
 * `too-large` past the limits; `trailing-data` after the 63 object.
 */
export function decodeDg3(bytes: Uint8Array, limits: Dg3Limits = {}): DecodeResult<Dg3> {
  const maxLength = limits.maxLength ?? 1024 * 1024;
  const maxInstances = limits.maxInstances ?? 10;
  const group = readBiometricGroup(bytes, {
    tag: DG3_TAG,
    name: 'DG3',
    empty: 'DG3 holds no fingerprint',
    maxLength,
    maxInstances,
  });
  if (!group.ok) return group;
  const { templates, groupBase } = group.value;

  const instances: Dg3Instance[] = [];
  for (const template of templates) {
    const tAt = groupBase + template.offset;
    if (template.tag !== BIOMETRIC_INFO_TAG)
      return fail('invalid-value', tAt, `expected 7F60, found ${template.tag.toString(16)}`);
    const inner = readTlvs(template.value, { maxLength, maxNodes: 8 });
    const innerBase = tAt + template.headerLength;
    if (!inner.ok) return rebase(inner, innerBase);
    const headerTlv = findTag(inner.value, BIOMETRIC_HEADER_TAG);
    if (headerTlv === undefined)
      return fail('invalid-value', innerBase, 'template has no biometric header (A1)');
    const header = decodeBiometricHeader(headerTlv, innerBase);
    if (!header.ok) return header;
    if (
      header.value.formatOwner !== FORMAT_OWNER_SC37 ||
      header.value.formatType !== FORMAT_TYPE_FINGER_IMAGE
    )
      return fail(
        'unsupported',
        innerBase + headerTlv.offset,
        `format ${header.value.formatOwner.toString(16)}/${header.value.formatType.toString(16)} is not 19794-4 finger image (0101/0007)`,
      );
    const data =
      findTag(inner.value, BIOMETRIC_DATA_TAG) ?? findTag(inner.value, BIOMETRIC_DATA_ENCIPHERED_TAG);
    if (data === undefined)
      return fail('invalid-value', innerBase, 'template has no biometric data block (5F2E/7F2E)');
    if (data.tag === BIOMETRIC_DATA_ENCIPHERED_TAG)
      return fail('unsupported', innerBase + data.offset, 'an enciphered data block (7F2E) cannot be read');
    const record = decodeFingerRecord(data.value, limits);
    if (!record.ok) return rebase(record, innerBase + data.offset + data.headerLength);
    instances.push({ header: header.value, dataBlockTag: data.tag, record: record.value });
  }
  return ok({ instances });
}

/** One finger image from DG3, with the record-wide fields it needs. */
export interface Dg3Finger extends FingerImage {
  readonly compression: FingerCompression;
  /** Image resolution, pixels per inch (ppcm converted). */
  readonly ppi: number;
  readonly pixelDepth: number;
}

/** Every finger image in DG3, in file order. */
export function dg3Fingers(dg3: Dg3): Dg3Finger[] {
  return dg3.instances.flatMap(({ record }) =>
    record.images.map((image) => ({
      ...image,
      compression: record.compression,
      ppi:
        record.scaleUnits === 'ppi'
          ? record.imageResolution.horizontal
          : Math.round(record.imageResolution.horizontal * 2.54),
      pixelDepth: record.pixelDepth,
    })),
  );
}

export interface DecodedFingerImage {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey, 0 = black. */
  readonly pixels: Uint8Array;
  readonly ppi: number;
}

/**
 * Pixels of a DG3 finger image: WSQ through protocol/wsq, raw 8-bit as stored. Errors: the WSQ
 * decoder's own; `invalid-value` when the image's size is not the record's; `unsupported` for
 * JPEG, JPEG 2000, PNG and bit-packed or deeper than 8-bit raw images.
 */
export function decodeFingerImage(finger: Dg3Finger): DecodeResult<DecodedFingerImage> {
  if (finger.compression === 'raw') {
    if (finger.pixelDepth !== 8) return fail('unsupported', 0, `raw images of ${finger.pixelDepth} bits`);
    if (finger.data.length !== finger.width * finger.height)
      return fail(
        'invalid-value',
        0,
        `${finger.data.length} raw bytes for ${finger.width} x ${finger.height}`,
      );
    return ok({ width: finger.width, height: finger.height, pixels: finger.data.slice(), ppi: finger.ppi });
  }
  if (finger.compression !== 'wsq')
    return fail('unsupported', 0, `${finger.compression} finger images are not decoded`);
  const image = decodeWsq(finger.data);
  if (!image.ok) return image;
  if (image.value.width !== finger.width || image.value.height !== finger.height)
    return fail(
      'invalid-value',
      0,
      `the WSQ image is ${image.value.width} x ${image.value.height}, the record says ${finger.width} x ${finger.height}`,
    );
  return ok({
    width: image.value.width,
    height: image.value.height,
    pixels: image.value.pixels,
    ppi: finger.ppi,
  });
}

export interface Dg3InstanceInput {
  /** Defaults: version 0101, type fingerprint, subtype from the first image's position, owner 0101, type 0007. */
  readonly header?: Partial<BiometricHeader>;
  readonly record: FingerRecordInput;
}

function intBytes(value: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

/**
 * DG3 file bytes, one biometric information template per instance (9303-10 §4.7.3).
 * @throws {RangeError} for no instances, more than 255, or a record the encoder refuses.
 */
export function encodeDg3(instances: readonly Dg3InstanceInput[]): Uint8Array {
  if (instances.length === 0 || instances.length > 255) throw new RangeError('DG3 holds 1 to 255 instances');
  const templates = instances.map((instance) => {
    const h = instance.header ?? {};
    const subtype = h.biometricSubtype ?? fingerSubtype(instance.record.images[0]?.position ?? 0);
    const header = concatBytes(
      encodeTlv(0x80, intBytes(h.patronHeaderVersion ?? 0x0101, 2)),
      encodeTlv(0x81, intBytes(h.biometricType ?? BIOMETRIC_TYPE_FINGERPRINT, 1)),
      encodeTlv(0x82, intBytes(subtype, 1)),
      h.creationDate ? encodeTlv(0x83, h.creationDate) : new Uint8Array(0),
      h.validityPeriod ? encodeTlv(0x85, h.validityPeriod) : new Uint8Array(0),
      h.creator === undefined ? new Uint8Array(0) : encodeTlv(0x86, intBytes(h.creator, 2)),
      encodeTlv(0x87, intBytes(h.formatOwner ?? FORMAT_OWNER_SC37, 2)),
      encodeTlv(0x88, intBytes(h.formatType ?? FORMAT_TYPE_FINGER_IMAGE, 2)),
    );
    return encodeTlv(
      BIOMETRIC_INFO_TAG,
      encodeTlv(BIOMETRIC_HEADER_TAG, header),
      encodeTlv(BIOMETRIC_DATA_TAG, encodeFingerRecord(instance.record)),
    );
  });
  return encodeTlv(
    DG3_TAG,
    encodeTlv(BIOMETRIC_GROUP_TAG, encodeTlv(0x02, Uint8Array.of(instances.length)), ...templates),
  );
}
