/**
 * The LDS1 elementary files of the eMRTD application (ICAO 9303-10 §3.6 and Table 35, reference §1):
 * file identifiers, short file identifiers, and the tag each file starts with; and a generic reader
 * that takes a data group as one raw TLV (DG13, DG14, DG15 and anything not decoded elsewhere).
 */

import { readTlv } from '../../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../../result.ts';

export type DataGroupNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16;

export interface LdsFile {
  readonly name: string;
  /** File identifier for SELECT (P1=02). */
  readonly fid: number;
  /** Short EF identifier for READ BINARY with P1 = 0x80 | SFI. */
  readonly sfi: number;
  /** The tag the file's single TLV starts with. */
  readonly tag: number;
  /** For DG1–DG16. */
  readonly dataGroup?: DataGroupNumber;
}

/** DG1 … DG16 tags, in order (9303-10 Table 35). */
const DG_TAGS = [
  0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70,
] as const;

export const EF_COM: LdsFile = { name: 'EF.COM', fid: 0x011e, sfi: 0x1e, tag: 0x60 };
export const EF_SOD: LdsFile = { name: 'EF.SOD', fid: 0x011d, sfi: 0x1d, tag: 0x77 };

/** DG1 … DG16: FID 0101 … 0110, SFI 01 … 10. */
export const DATA_GROUP_FILES: readonly LdsFile[] = DG_TAGS.map((tag, i) => ({
  name: `DG${i + 1}`,
  fid: 0x0101 + i,
  sfi: 0x01 + i,
  tag,
  dataGroup: (i + 1) as DataGroupNumber,
}));

/** Every LDS1 file in the application. */
export const LDS_FILES: readonly LdsFile[] = [EF_COM, EF_SOD, ...DATA_GROUP_FILES];

export function isDataGroupNumber(n: number): n is DataGroupNumber {
  return Number.isInteger(n) && n >= 1 && n <= 16;
}

/** The file entry of DG`n`. @throws {RangeError} if `n` is not 1–16. */
export function dataGroupFile(n: number): LdsFile {
  const file = isDataGroupNumber(n) ? DATA_GROUP_FILES[n - 1] : undefined;
  if (file === undefined) throw new RangeError(`DG${n} does not exist (1–16)`);
  return file;
}

/** The tag DG`n` starts with. @throws {RangeError} if `n` is not 1–16. */
export function dataGroupTag(n: number): number {
  return dataGroupFile(n).tag;
}

/** The data group a tag belongs to, or undefined for a tag that is not DG1–DG16's. */
export function dataGroupForTag(tag: number): DataGroupNumber | undefined {
  const i = DG_TAGS.indexOf(tag as (typeof DG_TAGS)[number]);
  return i < 0 ? undefined : ((i + 1) as DataGroupNumber);
}

/** The LDS file with this FID, or undefined. */
export function fileByFid(fid: number): LdsFile | undefined {
  return LDS_FILES.find((f) => f.fid === fid);
}

/** Header of an LDS file read from its first bytes. */
export interface LdsFileHeader {
  readonly tag: number;
  /** Tag and length bytes. */
  readonly headerLength: number;
  /** Header plus value: how many bytes READ BINARY must fetch in all. */
  readonly totalLength: number;
}

/** Largest file the readers accept (bytes): DG2 with a portrait is a few tens of KB in practice. */
export const MAX_LDS_FILE_LENGTH = 1024 * 1024;

/**
 * The file's length from its first bytes (reference §1 step 4: read 4 bytes, parse the TLV length,
 * then read the rest). `prefix` needs only the tag and length bytes (at most 6).
 * Errors: `truncated` if the length bytes are not all there, `invalid-value` for a padding tag,
 * `too-large` beyond `maxLength` bytes, `unsupported` for indefinite length.
 */
export function readLdsFileHeader(
  prefix: Uint8Array,
  maxLength = MAX_LDS_FILE_LENGTH,
): DecodeResult<LdsFileHeader> {
  let at = 0;
  const first = prefix[at++];
  if (first === undefined) return fail('truncated', 0, 'no tag byte');
  if (first === 0x00 || first === 0xff) return fail('invalid-value', 0, 'padding byte where a tag belongs');
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    const second = prefix[at++];
    if (second === undefined) return fail('truncated', 1, 'tag cut short');
    if ((second & 0x80) !== 0) return fail('unsupported', 0, 'LDS file tags are 1 or 2 bytes');
    tag = (first << 8) | second;
  }
  const lengthByte = prefix[at++];
  if (lengthByte === undefined) return fail('truncated', at - 1, 'length missing');
  let length = lengthByte;
  if (lengthByte === 0x80) return fail('unsupported', at - 1, 'indefinite length');
  if (lengthByte > 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 3) return fail('too-large', at - 1, `${count} length bytes`);
    if (at + count > prefix.length) return fail('truncated', at, 'length bytes cut short');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (prefix[at + i] ?? 0);
    at += count;
  }
  if (at + length > maxLength)
    return fail('too-large', 0, `file of ${at + length} bytes exceeds the ${maxLength}-byte bound`);
  return ok({ tag, headerLength: at, totalLength: at + length });
}

/** A data group kept as its TLV: the whole file (what the SOD hashes) and its value. */
export interface RawDataGroup {
  readonly dataGroup: DataGroupNumber;
  readonly tag: number;
  /** The whole file: tag, length and value. */
  readonly bytes: Uint8Array;
  /** The value (view into `bytes`). */
  readonly value: Uint8Array;
}

/**
 * Reads a data group file as one raw TLV. With `expected`, the tag must be that group's.
 * Errors: `truncated`, `too-large` (bound `maxLength`, default 1 MiB), `invalid-value` for a tag
 * that is not a data group's or not the expected one, `trailing-data` after the TLV.
 */
export function decodeRawDataGroup(
  bytes: Uint8Array,
  expected?: DataGroupNumber,
  maxLength = MAX_LDS_FILE_LENGTH,
): DecodeResult<RawDataGroup> {
  const tlv = readTlv(bytes, 0, { maxLength });
  if (!tlv.ok) return tlv;
  const dataGroup = dataGroupForTag(tlv.value.tag);
  if (dataGroup === undefined)
    return fail('invalid-value', 0, `tag ${tlv.value.tag.toString(16)} is not a data group's`);
  if (expected !== undefined && dataGroup !== expected)
    return fail('invalid-value', 0, `expected DG${expected}, found DG${dataGroup}'s tag`);
  if (tlv.value.totalLength !== bytes.length)
    return fail('trailing-data', tlv.value.totalLength, `bytes after DG${dataGroup}`);
  return ok({ dataGroup, tag: tlv.value.tag, bytes, value: tlv.value.value });
}
