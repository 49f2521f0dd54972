/**
 * DG1, the MRZ data group (ICAO 9303-10 §4.7.1): `61 L { 5F1F L <MRZ as ASCII> }`.
 */

import { encodeTlv, findTag, readTlv, readTlvs } from '../../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../../result.ts';
import { decodeMrz, type Mrz } from './mrz.ts';

export const DG1_TAG = 0x61;
/** MRZ data element inside DG1. */
export const MRZ_TAG = 0x5f1f;
/** The longest MRZ (TD1, 90 characters); DG1 holds nothing bigger. */
const MAX_MRZ_LENGTH = 90;

export interface Dg1 {
  readonly mrz: Mrz;
}

/**
 * Decodes the whole DG1 file. Errors: `truncated`; `invalid-value` for another outer tag, a missing
 * 5F1F, non-ASCII bytes or an MRZ that does not decode (offsets into `bytes`); `too-large` for an
 * MRZ longer than 90 bytes; `trailing-data` after the 61 object.
 */
export function decodeDg1(bytes: Uint8Array): DecodeResult<Dg1> {
  const outer = readTlv(bytes, 0, { maxLength: 1024 });
  if (!outer.ok) return outer;
  if (outer.value.tag !== DG1_TAG)
    return fail('invalid-value', 0, `DG1 starts with tag 61, not ${outer.value.tag.toString(16)}`);
  if (outer.value.totalLength !== bytes.length)
    return fail('trailing-data', outer.value.totalLength, 'bytes after the DG1 object');
  const inner = readTlvs(outer.value.value);
  const base = outer.value.headerLength;
  if (!inner.ok) return fail(inner.error.reason, base + inner.error.offset, inner.error.detail);
  const mrzTlv = findTag(inner.value, MRZ_TAG);
  if (mrzTlv === undefined) return fail('invalid-value', base, 'DG1 has no MRZ (5F1F)');
  const at = base + mrzTlv.offset + mrzTlv.headerLength;
  if (mrzTlv.value.length > MAX_MRZ_LENGTH)
    return fail('too-large', at, `MRZ of ${mrzTlv.value.length} bytes; at most ${MAX_MRZ_LENGTH}`);
  let text = '';
  for (let i = 0; i < mrzTlv.value.length; i++) {
    const b = mrzTlv.value[i] ?? 0;
    if (b < 0x20 || b > 0x7e)
      return fail('invalid-value', at + i, `byte ${b} in the MRZ is not printable ASCII`);
    text += String.fromCharCode(b);
  }
  const mrz = decodeMrz(text);
  if (!mrz.ok) return fail(mrz.error.reason, at + mrz.error.offset, mrz.error.detail);
  return ok({ mrz: mrz.value });
}

/**
 * DG1 file bytes for an MRZ (lines concatenated, as `encodeMrz` returns it).
 * @throws {RangeError} if `mrz` is not 90, 72 or 88 MRZ characters.
 */
export function encodeDg1(mrz: string): Uint8Array {
  const check = decodeMrz(mrz);
  if (!check.ok) throw new RangeError(`not an MRZ: ${check.error.detail}`);
  const ascii = Uint8Array.from(check.value.text, (c) => c.charCodeAt(0));
  return encodeTlv(DG1_TAG, encodeTlv(MRZ_TAG, ascii));
}
