/**
 * EF.COM (ICAO 9303-10 §4.6.1): `60 L { 5F01 04 'aabb' LDS version, 5F36 06 'aabbcc' Unicode
 * version, 5C L <tag of each data group present> }`. Worked example (reference §1):
 * `60145F0104303130365F36063034303030305C026175` = LDS 0106, Unicode 040000, DG1 and DG2.
 */

import { encodeTlv, findTag, readTlv, readTlvs } from '../../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../../result.ts';
import { type DataGroupNumber, dataGroupForTag, dataGroupTag, EF_COM } from './files.ts';

export const LDS_VERSION_TAG = 0x5f01;
export const UNICODE_VERSION_TAG = 0x5f36;
export const TAG_LIST_TAG = 0x5c;

export interface EfCom {
  /** Four digits 'aabb': version aa, release bb (e.g. '0107' = LDS 1.7). */
  readonly ldsVersion: string;
  /** Six digits 'aabbcc' (e.g. '040000' = Unicode 4.0.0). */
  readonly unicodeVersion: string;
  /** Data groups the tag list names, in its order. */
  readonly dataGroups: readonly DataGroupNumber[];
}

function digits(value: Uint8Array, count: number): string | undefined {
  if (value.length !== count) return undefined;
  let out = '';
  for (const b of value) {
    if (b < 0x30 || b > 0x39) return undefined;
    out += String.fromCharCode(b);
  }
  return out;
}

/**
 * Decodes the whole EF.COM file. Errors: `truncated`; `invalid-value` for another outer tag, a
 * missing or malformed version, a missing tag list, a tag that is not a data group's or one listed
 * twice (offsets into `bytes`); `trailing-data` after the 60 object.
 */
export function decodeEfCom(bytes: Uint8Array): DecodeResult<EfCom> {
  const outer = readTlv(bytes, 0, { maxLength: 256 });
  if (!outer.ok) return outer;
  if (outer.value.tag !== EF_COM.tag)
    return fail('invalid-value', 0, `EF.COM starts with tag 60, not ${outer.value.tag.toString(16)}`);
  if (outer.value.totalLength !== bytes.length)
    return fail('trailing-data', outer.value.totalLength, 'bytes after the EF.COM object');
  const base = outer.value.headerLength;
  const inner = readTlvs(outer.value.value);
  if (!inner.ok) return fail(inner.error.reason, base + inner.error.offset, inner.error.detail);

  const lds = findTag(inner.value, LDS_VERSION_TAG);
  const ldsVersion = lds && digits(lds.value, 4);
  if (ldsVersion === undefined)
    return fail('invalid-value', base, 'LDS version (5F01) missing or not 4 digits');
  const unicode = findTag(inner.value, UNICODE_VERSION_TAG);
  const unicodeVersion = unicode && digits(unicode.value, 6);
  if (unicodeVersion === undefined)
    return fail('invalid-value', base, 'Unicode version (5F36) missing or not 6 digits');
  const list = findTag(inner.value, TAG_LIST_TAG);
  if (list === undefined) return fail('invalid-value', base, 'tag list (5C) missing');
  const listAt = base + list.offset + list.headerLength;
  const dataGroups: DataGroupNumber[] = [];
  for (let i = 0; i < list.value.length; i++) {
    const tag = list.value[i] ?? 0;
    const dg = dataGroupForTag(tag);
    if (dg === undefined)
      return fail('invalid-value', listAt + i, `tag ${tag.toString(16)} is not a data group's`);
    if (dataGroups.includes(dg)) return fail('invalid-value', listAt + i, `DG${dg} listed twice`);
    dataGroups.push(dg);
  }
  return ok({ ldsVersion, unicodeVersion, dataGroups });
}

/**
 * EF.COM file bytes.
 * @throws {RangeError} if a version is not 4 (LDS) or 6 (Unicode) digits or a data group is not 1–16.
 */
export function encodeEfCom(com: EfCom): Uint8Array {
  if (!/^\d{4}$/.test(com.ldsVersion))
    throw new RangeError(`LDS version '${com.ldsVersion}' is not 4 digits`);
  if (!/^\d{6}$/.test(com.unicodeVersion))
    throw new RangeError(`Unicode version '${com.unicodeVersion}' is not 6 digits`);
  const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  return encodeTlv(
    EF_COM.tag,
    encodeTlv(LDS_VERSION_TAG, ascii(com.ldsVersion)),
    encodeTlv(UNICODE_VERSION_TAG, ascii(com.unicodeVersion)),
    encodeTlv(
      TAG_LIST_TAG,
      Uint8Array.from(com.dataGroups, (dg) => dataGroupTag(dg)),
    ),
  );
}
