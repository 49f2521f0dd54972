/**
 * DG2, the encoded face (ICAO 9303-10 §4.7.2, ISO/IEC 7816-11 biometric templates, reference §7):
 *
 * ```
 * 75 L                              DG2
 *   7F61 L                          biometric information group template
 *     02 01 n                       number of instances
 *     7F60 L                        biometric information template (n times)
 *       A1 L                        biometric header template
 *         80 02 0101                patron header version (optional)
 *         81 01..03 02              biometric type: facial features (optional)
 *         82 01 xx                  biometric subtype (optional)
 *         83 07 YYYYMMDDhhmmss      creation date, BCD (optional)
 *         85 08                     validity period, BCD (optional)
 *         86 02                     creator (optional)
 *         87 02 0101                format owner: ISO/IEC JTC 1/SC 37
 *         88 02 0008                format type: ISO/IEC 19794-5 face
 *       5F2E | 7F2E L <record>      biometric data block (7F2E: the enciphered form)
 * ```
 * The record itself is decoded by face-record.ts.
 */

import { concatBytes, encodeTlv, findTag, readTlv, readTlvs, type Tlv } from '../../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../../result.ts';
import {
  decodeFaceRecord,
  encodeFaceRecord,
  type FaceImageInput,
  type FaceRecord,
  type FaceRecordLimits,
} from './face-record.ts';

export const DG2_TAG = 0x75;
export const BIOMETRIC_GROUP_TAG = 0x7f61;
export const BIOMETRIC_INFO_TAG = 0x7f60;
export const BIOMETRIC_HEADER_TAG = 0xa1;
export const BIOMETRIC_DATA_TAG = 0x5f2e;
export const BIOMETRIC_DATA_ENCIPHERED_TAG = 0x7f2e;
/** Format owner ISO/IEC JTC 1/SC 37 and format type face (9303-10 §4.7.2.1). */
export const FORMAT_OWNER_SC37 = 0x0101;
export const FORMAT_TYPE_FACE = 0x0008;
/** Biometric type "facial features" (ISO/IEC 7816-11 / CBEFF). */
export const BIOMETRIC_TYPE_FACE = 0x02;

export interface BiometricHeader {
  readonly patronHeaderVersion?: number;
  readonly biometricType?: number;
  readonly biometricSubtype?: number;
  /** 7 bytes BCD YYYYMMDDhhmmss, as stored. */
  readonly creationDate?: Uint8Array;
  /** 8 bytes BCD from YYYYMMDD to YYYYMMDD, as stored. */
  readonly validityPeriod?: Uint8Array;
  readonly creator?: number;
  readonly formatOwner: number;
  readonly formatType: number;
}

export interface Dg2Instance {
  readonly header: BiometricHeader;
  /** 0x5F2E or 0x7F2E. */
  readonly dataBlockTag: number;
  readonly record: FaceRecord;
}

export interface Dg2 {
  readonly instances: readonly Dg2Instance[];
}

export interface Dg2Limits extends FaceRecordLimits {
  /** Largest DG2 file accepted, bytes (default 1 MiB). */
  readonly maxLength?: number;
  /** Most biometric information templates (default 8). */
  readonly maxInstances?: number;
}

function uint(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}

/** Reads an integer element of 1 to `max` bytes; undefined when absent, an error when malformed. */
function intElement(list: readonly Tlv[], tag: number, max: number): number | undefined | 'bad' {
  const tlv = findTag(list, tag);
  if (tlv === undefined) return undefined;
  if (tlv.value.length === 0 || tlv.value.length > max) return 'bad';
  return uint(tlv.value);
}

function rebase<T>(result: DecodeResult<T>, base: number): DecodeResult<T> {
  return result.ok ? result : fail(result.error.reason, base + result.error.offset, result.error.detail);
}

/** Integer elements of the biometric header: tag and the most bytes each may have (7816-11 Table 9). */
const HEADER_INTEGERS = {
  patronHeaderVersion: [0x80, 2],
  biometricType: [0x81, 3],
  biometricSubtype: [0x82, 1],
  creator: [0x86, 2],
  formatOwner: [0x87, 2],
  formatType: [0x88, 2],
} as const;

/**
 * The biometric header template (A1) of a CBEFF biometric information template, DG2's and DG3's
 * alike (ISO/IEC 7816-11): integer elements by tag, the creation date and validity period.
 */
export function decodeBiometricHeader(tlv: Tlv, base: number): DecodeResult<BiometricHeader> {
  const list = readTlvs(tlv.value);
  const at = base + tlv.offset + tlv.headerLength;
  if (!list.ok) return rebase(list, at);
  const ints: Partial<Record<keyof typeof HEADER_INTEGERS, number>> = {};
  for (const [name, [tag, max]] of Object.entries(HEADER_INTEGERS) as [
    keyof typeof HEADER_INTEGERS,
    readonly [number, number],
  ][]) {
    const value = intElement(list.value, tag, max);
    if (value === 'bad')
      return fail('invalid-value', at, `header element ${tag.toString(16)} is not 1 to ${max} bytes`);
    if (value !== undefined) ints[name] = value;
  }
  const { formatOwner, formatType, ...optional } = ints;
  if (formatOwner === undefined || formatType === undefined)
    return fail('invalid-value', at, 'biometric header lacks format owner (87) or format type (88)');
  const creation = findTag(list.value, 0x83);
  if (creation && creation.value.length !== 7)
    return fail('invalid-value', at + creation.offset, 'creation date is 7 bytes');
  const validity = findTag(list.value, 0x85);
  if (validity && validity.value.length !== 8)
    return fail('invalid-value', at + validity.offset, 'validity period is 8 bytes');
  return ok({
    ...optional,
    formatOwner,
    formatType,
    ...(creation ? { creationDate: creation.value } : {}),
    ...(validity ? { validityPeriod: validity.value } : {}),
  });
}

/**
 * The CBEFF biometric group of a data group (DG2, DG3): the outer object `tag`, its 7F61 group
 * template, the instance count and as many templates as it says (not yet checked to be 7F60).
 * `groupBase` is the offset of the group's content in `bytes`, for the templates' offsets.
 * Errors as the data groups' decoders describe them.
 */
export function readBiometricGroup(
  bytes: Uint8Array,
  o: {
    readonly tag: number;
    readonly name: string;
    readonly empty: string;
    readonly maxLength: number;
    readonly maxInstances: number;
  },
): DecodeResult<{ readonly templates: readonly Tlv[]; readonly groupBase: number }> {
  const { maxLength, maxInstances } = o;
  const outer = readTlv(bytes, 0, { maxLength });
  if (!outer.ok) return outer;
  if (outer.value.tag !== o.tag)
    return fail(
      'invalid-value',
      0,
      `${o.name} starts with tag ${o.tag.toString(16)}, not ${outer.value.tag.toString(16)}`,
    );
  if (outer.value.totalLength !== bytes.length)
    return fail('trailing-data', outer.value.totalLength, `bytes after the ${o.name} object`);
  const base = outer.value.headerLength;
  const group = readTlv(outer.value.value, 0, { maxLength });
  if (!group.ok) return rebase(group, base);
  if (group.value.tag !== BIOMETRIC_GROUP_TAG)
    return fail('invalid-value', base, `expected 7F61, found ${group.value.tag.toString(16)}`);
  if (group.value.totalLength !== outer.value.value.length)
    return fail('trailing-data', base + group.value.totalLength, 'bytes after the 7F61 template');
  const groupBase = base + group.value.headerLength;
  const items = readTlvs(group.value.value, { maxLength, maxNodes: maxInstances + 1 });
  if (!items.ok) return rebase(items, groupBase);
  const [countTlv, ...templates] = items.value;
  if (countTlv === undefined || countTlv.tag !== 0x02 || countTlv.value.length !== 1)
    return fail('invalid-value', groupBase, 'the group template starts with 02 01 <number of instances>');
  const count = countTlv.value[0] ?? 0;
  if (count === 0) return fail('invalid-value', groupBase, o.empty);
  if (count > maxInstances)
    return fail('too-large', groupBase, `${count} instances; at most ${maxInstances}`);
  if (templates.length !== count)
    return fail(
      'invalid-value',
      groupBase,
      `count says ${count} instances, ${templates.length} templates follow`,
    );
  return ok({ templates, groupBase });
}

/**
 * Decodes the whole DG2 file. Errors (offsets into `bytes`): `truncated`; `invalid-value` for a
 * wrong tag, a missing or wrong instance count, a template without header or data block, a format
 * other than 19794-5 face; the face record's own errors; `too-large` past the limits;
 * `trailing-data` after the 75 object.
 */
export function decodeDg2(bytes: Uint8Array, limits: Dg2Limits = {}): DecodeResult<Dg2> {
  const maxLength = limits.maxLength ?? 1024 * 1024;
  const maxInstances = limits.maxInstances ?? 8;
  const group = readBiometricGroup(bytes, {
    tag: DG2_TAG,
    name: 'DG2',
    empty: 'DG2 holds no face',
    maxLength,
    maxInstances,
  });
  if (!group.ok) return group;
  const { templates, groupBase } = group.value;

  const instances: Dg2Instance[] = [];
  for (const template of templates) {
    const tAt = groupBase + template.offset;
    if (template.tag !== BIOMETRIC_INFO_TAG)
      return fail('invalid-value', tAt, `expected 7F60, found ${template.tag.toString(16)}`);
    const inner = readTlvs(template.value, { maxLength });
    const innerBase = tAt + template.headerLength;
    if (!inner.ok) return rebase(inner, innerBase);
    const headerTlv = findTag(inner.value, BIOMETRIC_HEADER_TAG);
    if (headerTlv === undefined)
      return fail('invalid-value', innerBase, 'template has no biometric header (A1)');
    const header = decodeBiometricHeader(headerTlv, innerBase);
    if (!header.ok) return header;
    if (header.value.formatOwner !== FORMAT_OWNER_SC37 || header.value.formatType !== FORMAT_TYPE_FACE)
      return fail(
        'unsupported',
        innerBase + headerTlv.offset,
        `format ${header.value.formatOwner.toString(16)}/${header.value.formatType.toString(16)} is not 19794-5 face (0101/0008)`,
      );
    const data =
      findTag(inner.value, BIOMETRIC_DATA_TAG) ?? findTag(inner.value, BIOMETRIC_DATA_ENCIPHERED_TAG);
    if (data === undefined)
      return fail('invalid-value', innerBase, 'template has no biometric data block (5F2E/7F2E)');
    const record = decodeFaceRecord(data.value, limits);
    if (!record.ok) return rebase(record, innerBase + data.offset + data.headerLength);
    instances.push({ header: header.value, dataBlockTag: data.tag, record: record.value });
  }
  return ok({ instances });
}

export interface Dg2InstanceInput {
  /** Defaults: version 0101, type face, subtype 0, format owner 0101, format type 0008. */
  readonly header?: Partial<BiometricHeader>;
  readonly faces: readonly FaceImageInput[];
}

function intBytes(value: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

/**
 * DG2 file bytes, one biometric information template per instance (9303-10 §4.7.2).
 * @throws {RangeError} for no instances, more than 255, or a face the record encoder refuses.
 */
export function encodeDg2(instances: readonly Dg2InstanceInput[]): Uint8Array {
  if (instances.length === 0 || instances.length > 255) throw new RangeError('DG2 holds 1 to 255 instances');
  const templates = instances.map((instance) => {
    const h = instance.header ?? {};
    const header = concatBytes(
      encodeTlv(0x80, intBytes(h.patronHeaderVersion ?? 0x0101, 2)),
      encodeTlv(0x81, intBytes(h.biometricType ?? BIOMETRIC_TYPE_FACE, 1)),
      encodeTlv(0x82, intBytes(h.biometricSubtype ?? 0, 1)),
      h.creationDate ? encodeTlv(0x83, h.creationDate) : new Uint8Array(0),
      h.validityPeriod ? encodeTlv(0x85, h.validityPeriod) : new Uint8Array(0),
      h.creator === undefined ? new Uint8Array(0) : encodeTlv(0x86, intBytes(h.creator, 2)),
      encodeTlv(0x87, intBytes(h.formatOwner ?? FORMAT_OWNER_SC37, 2)),
      encodeTlv(0x88, intBytes(h.formatType ?? FORMAT_TYPE_FACE, 2)),
    );
    return encodeTlv(
      BIOMETRIC_INFO_TAG,
      encodeTlv(BIOMETRIC_HEADER_TAG, header),
      encodeTlv(BIOMETRIC_DATA_TAG, encodeFaceRecord(instance.faces)),
    );
  });
  return encodeTlv(
    DG2_TAG,
    encodeTlv(BIOMETRIC_GROUP_TAG, encodeTlv(0x02, Uint8Array.of(instances.length)), ...templates),
  );
}
