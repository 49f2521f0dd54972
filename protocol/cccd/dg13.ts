/**
 * DG13 of the Vietnamese CCCD (tag 6D, FID 010D): the holder's printed particulars, a format of the
 * Ministry of Public Security, not of ICAO. Layout per reference §8 (NghiaLio `nfc_dg13_parser.dart`,
 * ExtractCCCD.py, real-card prefixes):
 *
 *   6D L
 *     30 L
 *       02 01 01               version
 *       06 L <OID>             reported as 1.0.10646.1.0.8 (meaning unconfirmed)
 *       31 L                   the fields, each:
 *         30 L { 02 L fieldNo, value }
 *
 * | No. | Content                              | Value                                       |
 * |-----|--------------------------------------|---------------------------------------------|
 * | 1   | 12-digit personal ID                 | PrintableString (13) or UTF8String (0C)     |
 * | 2   | full name                            | UTF8String                                  |
 * | 3   | date of birth, dd/mm/yyyy            | PrintableString or UTF8String               |
 * | 4   | sex, "Nam" / "Nữ"                    | UTF8String                                  |
 * | 5   | nationality                          | UTF8String                                  |
 * | 6   | ethnicity (dân tộc)                  | UTF8String                                  |
 * | 7   | religion (tôn giáo)                  | UTF8String                                  |
 * | 8   | place of origin (quê quán)           | UTF8String                                  |
 * | 9   | place of residence (nơi thường trú)  | UTF8String                                  |
 * | 10  | identifying marks                    | UTF8String                                  |
 * | 11  | date of issue, dd/mm/yyyy            | PrintableString or UTF8String               |
 * | 12  | date of expiry, dd/mm/yyyy or text   | e.g. "Không thời hạn" (no expiry)           |
 * | 13  | parents                              | SEQUENCE { father name, mother name }       |
 * | 14  | spouse (absent if unmarried)         | SEQUENCE { spouse name }                    |
 * | 15  | old ID number (CMND)                 | string                                      |
 * | 16  | meaning unknown (sources disagree)   | kept raw: tag, hex and text                 |
 *
 * Fields are found by number, never by position; any may be absent. Only an input that is not a
 * DG13 at all fails; everything inside the field set that is wrong (unknown tags, other string
 * types, bad dates, a file cut short) is reported as an issue beside what could be decoded.
 */
import { toHex } from '../bytes.ts';
import { decodeOidValue } from '../icao9303/sod.ts';
import { readTlvHeader } from '../iso7816/tlv.ts';
import { type DecodeErrorReason, type DecodeResult, fail, ok } from '../result.ts';
import { type CccdDate, parseSlashDate } from './date.ts';
import { type CccdSex, foldVietnamese, normalizeText, parseVietnameseSex } from './text.ts';

export const DG13_TAG = 0x6d;
/** The OID reported on real cards (reference §8). */
export const DG13_OID = '1.0.10646.1.0.8';
/** Largest DG13 accepted, bytes; a real one is well under 1 KB. */
export const MAX_DG13_BYTES = 16 * 1024;
/** Most entries read from the field set; more are reported once and ignored. */
export const MAX_DG13_FIELDS = 64;
/** Longest string value decoded, bytes (an address of 300 Vietnamese characters is under 1 KB). */
export const MAX_DG13_STRING_BYTES = 1024;

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_INTEGER = 0x02;
const TAG_OID = 0x06;
const TAG_UTF8 = 0x0c;
const TAG_PRINTABLE = 0x13;

/** Why one part of a DG13 was not (fully) decoded. */
export type Dg13IssueReason =
  | DecodeErrorReason
  /** A structural element has another tag than the layout's (e.g. a field entry that is not 30). */
  | 'unexpected-tag'
  /** A string that is neither UTF8String nor PrintableString; decoded anyway. */
  | 'string-type'
  /** Bytes not valid for the string type (bad UTF-8, non-printable characters in a PrintableString). */
  | 'invalid-text'
  /** A date field that is not a dd/mm/yyyy calendar day. */
  | 'invalid-date'
  /** A field number seen twice; the first is used, the repeat kept in `unknown`. */
  | 'duplicate-field';

export interface Dg13Issue {
  /** The field the issue belongs to, when its number could be read. */
  readonly fieldNo?: number;
  /** Byte offset into the DG13 input. */
  readonly offset: number;
  readonly reason: Dg13IssueReason;
  /** For logs and developers; never parsed. */
  readonly detail: string;
}

/** A value kept as it was on the card. */
export interface Dg13RawValue {
  readonly tag: number;
  /** The value bytes, upper-case hex. */
  readonly hex: string;
  /** The value read as text, when it is a string type that decodes. */
  readonly text?: string;
}

/** An entry the decoder did not place in a named field: an unknown number, a repeat, a malformed entry. */
export interface Dg13UnknownField extends Dg13RawValue {
  /** Absent when the entry's number could not be read (then `tag`/`hex` are the whole entry's). */
  readonly fieldNo?: number;
  /** Byte offset of the entry in the DG13 input. */
  readonly offset: number;
}

/** Field 12: a date, or the card's "no expiry" wording. */
export interface Dg13Expiry extends CccdDate {
  /** True when the text says the card does not expire ("Không thời hạn"). */
  readonly noExpiry: boolean;
}

export interface Dg13 {
  /** The version INTEGER (1 on cards seen so far). */
  readonly version?: number;
  /** The OID, dotted. */
  readonly oid?: string;
  /** 1 */
  readonly idNumber?: string;
  /** 2 */
  readonly fullName?: string;
  /** 3 */
  readonly dateOfBirth?: CccdDate;
  /** 4, as written ("Nam", "Nữ"). */
  readonly sex?: string;
  /** 4, when it reads as Nam or Nữ. */
  readonly sexCode?: CccdSex;
  /** 5 */
  readonly nationality?: string;
  /** 6 */
  readonly ethnicity?: string;
  /** 7 */
  readonly religion?: string;
  /** 8 */
  readonly placeOfOrigin?: string;
  /** 9 */
  readonly placeOfResidence?: string;
  /** 10 */
  readonly identifyingMarks?: string;
  /** 11 */
  readonly dateOfIssue?: CccdDate;
  /** 12 */
  readonly dateOfExpiry?: Dg13Expiry;
  /** 13, first name of the SEQUENCE. */
  readonly fatherName?: string;
  /** 13, second name of the SEQUENCE. */
  readonly motherName?: string;
  /** 14 */
  readonly spouseName?: string;
  /** 15 */
  readonly oldIdNumber?: string;
  /** 16, meaning unknown (reference §8: sources disagree). */
  readonly field16?: Dg13RawValue;
  /** The field numbers found, in card order (repeats included). */
  readonly fieldNumbers: readonly number[];
  readonly unknown: readonly Dg13UnknownField[];
  readonly issues: readonly Dg13Issue[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Plain string fields by number. */
const TEXT_FIELDS = {
  2: 'fullName',
  5: 'nationality',
  6: 'ethnicity',
  7: 'religion',
  8: 'placeOfOrigin',
  9: 'placeOfResidence',
  10: 'identifyingMarks',
  15: 'oldIdNumber',
} as const satisfies Record<number, keyof Dg13>;

/** A TLV whose value may be cut short by the end of its parent: the view holds what is present. */
interface LenientTlv {
  readonly tag: number;
  readonly constructed: boolean;
  /** Absolute offset of the tag in the DG13 input. */
  readonly offset: number;
  /** Absolute offset of the first value byte. */
  readonly valueOffset: number;
  /** The value bytes present (fewer than declared when `truncated`). */
  readonly value: Uint8Array;
  /** Absolute offset just past the bytes present. */
  readonly end: number;
  readonly declaredLength: number;
  /** Absolute offset just past the value as declared. */
  readonly declaredEnd: number;
  /** The declared value runs past `limit` (the parent's end or the input's). */
  readonly truncated: boolean;
}

/** Reads the TLV at `at` within `bytes[0, limit)`; a value running past `limit` is clamped and marked. */
function readLenient(bytes: Uint8Array, at: number, limit: number): DecodeResult<LenientTlv> {
  const header = readTlvHeader(bytes.subarray(0, limit), at, { maxLength: MAX_DG13_BYTES });
  if (!header.ok) return header;
  const valueOffset = at + header.value.headerLength;
  const declaredEnd = valueOffset + header.value.length;
  const end = Math.min(declaredEnd, limit);
  return ok({
    tag: header.value.tag,
    constructed: header.value.constructed,
    offset: at,
    valueOffset,
    value: bytes.subarray(valueOffset, end),
    end,
    declaredLength: header.value.length,
    declaredEnd,
    truncated: declaredEnd > limit,
  });
}

function tagHex(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(2, '0');
}

/** A small non-negative INTEGER (X.690 §8.3) of 1–4 bytes, or undefined. */
function smallInteger(value: Uint8Array): number | undefined {
  if (value.length === 0 || value.length > 4 || ((value[0] ?? 0) & 0x80) !== 0) return undefined;
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF8_LENIENT = new TextDecoder('utf-8', { fatal: false });

/** PrintableString's repertoire (X.680 §41.4). */
function isPrintable(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    const ok =
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x30 && b <= 0x39) ||
      b === 0x20 ||
      (b >= 0x27 && b <= 0x29) ||
      (b >= 0x2b && b <= 0x2f) ||
      b === 0x3a ||
      b === 0x3d ||
      b === 0x3f;
    if (!ok) return false;
  }
  return true;
}

function utf8OrLatin1(bytes: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: UTF8.decode(bytes), valid: true };
  } catch {
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return { text, valid: false };
  }
}

/** String universal tags other than UTF8String and PrintableString that are read with a flag. */
const OTHER_STRING_TYPES: ReadonlyMap<number, string> = new Map([
  [0x04, 'OCTET STRING'],
  [0x12, 'NumericString'],
  [0x14, 'T61String'],
  [0x16, 'IA5String'],
  [0x1a, 'VisibleString'],
  [0x1e, 'BMPString'],
]);

type StringRead =
  | {
      readonly kind: 'text';
      readonly text: string;
      /** Every byte decoded as its type says (no U+FFFD, no Latin-1 fallback). */
      readonly clean: boolean;
      readonly problem?: { reason: Dg13IssueReason; detail: string };
    }
  | { readonly kind: 'not-a-string' }
  | { readonly kind: 'too-large' };

/** Reads a string value of any string type we tolerate; the text is NFC normalised. */
function readString(tlv: LenientTlv): StringRead {
  if (tlv.constructed) return { kind: 'not-a-string' };
  if (tlv.value.length > MAX_DG13_STRING_BYTES) return { kind: 'too-large' };
  const bytes = tlv.value;
  if (tlv.tag === TAG_UTF8) {
    try {
      return { kind: 'text', text: normalizeText(UTF8.decode(bytes)), clean: true };
    } catch {
      return {
        kind: 'text',
        text: normalizeText(UTF8_LENIENT.decode(bytes)),
        clean: false,
        problem: {
          reason: 'invalid-text',
          detail: 'UTF8String holds invalid UTF-8; bad bytes shown as U+FFFD',
        },
      };
    }
  }
  if (tlv.tag === TAG_PRINTABLE) {
    if (isPrintable(bytes))
      return { kind: 'text', text: normalizeText(utf8OrLatin1(bytes).text), clean: true };
    const read = utf8OrLatin1(bytes);
    return {
      kind: 'text',
      text: normalizeText(read.text),
      clean: read.valid,
      problem: {
        reason: 'invalid-text',
        detail: `PrintableString holds characters outside its repertoire; read as ${read.valid ? 'UTF-8' : 'Latin-1'}`,
      },
    };
  }
  const typeName = OTHER_STRING_TYPES.get(tlv.tag);
  if (typeName === undefined) return { kind: 'not-a-string' };
  if (tlv.tag === 0x1e) {
    // BMPString: UCS-2 big-endian (X.690 §8.23.8).
    let text = '';
    for (let i = 0; i + 1 < bytes.length; i += 2)
      text += String.fromCharCode(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
    const odd = bytes.length % 2 !== 0;
    return {
      kind: 'text',
      text: normalizeText(text),
      clean: !odd,
      problem: {
        reason: odd ? 'invalid-text' : 'string-type',
        detail: odd
          ? 'BMPString of an odd number of bytes; last byte ignored'
          : 'BMPString instead of UTF8String',
      },
    };
  }
  const read = utf8OrLatin1(bytes);
  return {
    kind: 'text',
    text: normalizeText(read.text),
    clean: read.valid,
    problem: {
      reason: 'string-type',
      detail: `${typeName} instead of UTF8String or PrintableString; read as ${read.valid ? 'UTF-8' : 'Latin-1'}`,
    },
  };
}

/** The text of a value kept raw, when its bytes decode cleanly as a string type. */
function rawText(tlv: LenientTlv): string | undefined {
  const read = readString(tlv);
  return read.kind === 'text' && read.clean ? read.text : undefined;
}

/** "Không thời hạn" in any case or accent form. */
function saysNoExpiry(text: string): boolean {
  return foldVietnamese(text) === 'khong thoi han';
}

/** Decoding state shared by the steps below. Issue details never quote card data (they go to logs). */
interface State {
  readonly bytes: Uint8Array;
  readonly out: Mutable<Omit<Dg13, 'unknown' | 'issues' | 'fieldNumbers'>>;
  readonly unknown: Dg13UnknownField[];
  readonly issues: Dg13Issue[];
  readonly fieldNumbers: number[];
  truncationReported: boolean;
}

function issue(
  state: State,
  reason: Dg13IssueReason,
  offset: number,
  detail: string,
  fieldNo?: number,
): void {
  state.issues.push({ ...(fieldNo === undefined ? {} : { fieldNo }), offset, reason, detail });
  if (reason === 'truncated') state.truncationReported = true;
}

function raw(tlv: LenientTlv, text?: string): Dg13RawValue {
  return { tag: tlv.tag, hex: toHex(tlv.value), ...(text === undefined ? {} : { text }) };
}

/** Most objects read inside one field entry, name SEQUENCE or the DG13 SEQUENCE (each needs 2 or 3). */
const MAX_CHILDREN = 16;

/**
 * The TLVs filling `[start, limit)`, at most `max` of them; more are reported once as `too-large`
 * and ignored. A header that cannot be read ends the list with an issue (nothing after it can be
 * found).
 */
function children(
  state: State,
  start: number,
  limit: number,
  fieldNo?: number,
  max = MAX_CHILDREN,
): LenientTlv[] {
  const list: LenientTlv[] = [];
  let at = start;
  while (at < limit) {
    if (list.length === max) {
      issue(state, 'too-large', at, `more than ${max} objects here; the rest are ignored`, fieldNo);
      break;
    }
    const next = readLenient(state.bytes, at, limit);
    if (!next.ok) {
      issue(state, next.error.reason, next.error.offset, next.error.detail, fieldNo);
      break;
    }
    list.push(next.value);
    at = next.value.end;
  }
  return list;
}

/** One string field; undefined (with an issue) when its value is not a string. Empty text counts as absent. */
function stringField(state: State, fieldNo: number, value: LenientTlv): string | undefined {
  const read = readString(value);
  if (read.kind === 'too-large') {
    issue(
      state,
      'too-large',
      value.offset,
      `value of ${value.value.length} bytes; at most ${MAX_DG13_STRING_BYTES} are read`,
      fieldNo,
    );
    return undefined;
  }
  if (read.kind === 'not-a-string') {
    issue(state, 'unexpected-tag', value.offset, `tag ${tagHex(value.tag)} is not a string type`, fieldNo);
    state.unknown.push({ fieldNo, offset: value.offset, ...raw(value) });
    return undefined;
  }
  if (read.problem) issue(state, read.problem.reason, value.offset, read.problem.detail, fieldNo);
  return read.text.length === 0 ? undefined : read.text;
}

function dateField(state: State, fieldNo: number, value: LenientTlv): CccdDate | undefined {
  const text = stringField(state, fieldNo, value);
  if (text === undefined) return undefined;
  const iso = parseSlashDate(text);
  if (iso === undefined && !(fieldNo === 12 && saysNoExpiry(text)))
    issue(
      state,
      'invalid-date',
      value.valueOffset,
      `a date of ${text.length} characters that is not a dd/mm/yyyy calendar day`,
      fieldNo,
    );
  return iso === undefined ? { text } : { text, iso };
}

/** Fields 13 and 14: a SEQUENCE of names. Returns the names, position kept (empty strings for blanks). */
function nameSequence(
  state: State,
  fieldNo: number,
  value: LenientTlv,
  expected: number,
): string[] | undefined {
  if (value.tag !== TAG_SEQUENCE) {
    issue(
      state,
      'unexpected-tag',
      value.offset,
      `field ${fieldNo} should be a SEQUENCE (30) of names, not tag ${tagHex(value.tag)}`,
      fieldNo,
    );
    state.unknown.push({ fieldNo, offset: value.offset, ...raw(value, rawText(value)) });
    return undefined;
  }
  const names: string[] = [];
  for (const item of children(state, value.valueOffset, value.end, fieldNo)) {
    if (item.truncated) {
      reportOverrun(state, item, `a name of field ${fieldNo}`, fieldNo);
      break;
    }
    names.push(stringField(state, fieldNo, item) ?? '');
  }
  if (names.length > expected)
    issue(
      state,
      'trailing-data',
      value.offset,
      `field ${fieldNo} holds ${names.length} names; ${expected} expected, the rest ignored`,
      fieldNo,
    );
  return names;
}

function present(text: string | undefined): string | undefined {
  return text === undefined || text.length === 0 ? undefined : text;
}

/** Places one field entry's value by its number. */
function placeField(state: State, fieldNo: number, value: LenientTlv): void {
  const { out } = state;
  switch (fieldNo) {
    case 1: {
      const text = stringField(state, fieldNo, value);
      if (text === undefined) return;
      if (!/^[0-9]{12}$/.test(text))
        issue(
          state,
          'invalid-value',
          value.valueOffset,
          `ID of ${text.length} characters is not 12 digits`,
          fieldNo,
        );
      out.idNumber = text;
      return;
    }
    case 3: {
      const date = dateField(state, fieldNo, value);
      if (date) out.dateOfBirth = date;
      return;
    }
    case 4: {
      const text = stringField(state, fieldNo, value);
      if (text === undefined) return;
      out.sex = text;
      const code = parseVietnameseSex(text);
      if (code) out.sexCode = code;
      else issue(state, 'invalid-value', value.valueOffset, 'sex is neither Nam nor Nữ', fieldNo);
      return;
    }
    case 11: {
      const date = dateField(state, fieldNo, value);
      if (date) out.dateOfIssue = date;
      return;
    }
    case 12: {
      const date = dateField(state, fieldNo, value);
      if (date) out.dateOfExpiry = { ...date, noExpiry: date.iso === undefined && saysNoExpiry(date.text) };
      return;
    }
    case 13: {
      const names = nameSequence(state, fieldNo, value, 2);
      const father = present(names?.[0]);
      const mother = present(names?.[1]);
      if (father) out.fatherName = father;
      if (mother) out.motherName = mother;
      return;
    }
    case 14: {
      const spouse = present(nameSequence(state, fieldNo, value, 1)?.[0]);
      if (spouse) out.spouseName = spouse;
      return;
    }
    case 16: {
      out.field16 = raw(value, rawText(value));
      return;
    }
    default: {
      const name = (TEXT_FIELDS as Readonly<Record<number, (typeof TEXT_FIELDS)[keyof typeof TEXT_FIELDS]>>)[
        fieldNo
      ];
      if (name !== undefined) {
        const text = stringField(state, fieldNo, value);
        if (text !== undefined) out[name] = text;
        return;
      }
      state.unknown.push({ fieldNo, offset: value.offset, ...raw(value, rawText(value)) });
    }
  }
}

/**
 * An object that runs past its parent. When it also runs past the input, the file was cut short
 * (`truncated`); otherwise the lengths disagree (`invalid-value`).
 */
function reportOverrun(state: State, tlv: LenientTlv, what: string, fieldNo?: number): void {
  const cut = tlv.declaredEnd > state.bytes.length;
  issue(
    state,
    cut ? 'truncated' : 'invalid-value',
    tlv.offset,
    cut
      ? `the input ends inside ${what}: ${tlv.value.length} of ${tlv.declaredLength} bytes present`
      : `${what} declares ${tlv.declaredLength} bytes, more than its enclosing object holds`,
    fieldNo,
  );
}

/** One `30 { 02 fieldNo, value }` entry of the field set. */
function readEntry(state: State, entry: LenientTlv, seen: Set<number>): void {
  if (entry.tag !== TAG_SEQUENCE) {
    issue(state, 'unexpected-tag', entry.offset, `field entry with tag ${tagHex(entry.tag)}, not 30`);
    state.unknown.push({ offset: entry.offset, ...raw(entry) });
    return;
  }
  if (entry.truncated) {
    // Name the field if its number made it in; the cut value is not used.
    const first = readLenient(state.bytes, entry.valueOffset, entry.end);
    const fieldNo =
      first.ok && first.value.tag === TAG_INTEGER && !first.value.truncated
        ? smallInteger(first.value.value)
        : undefined;
    reportOverrun(state, entry, fieldNo === undefined ? 'a field entry' : `field ${fieldNo}`, fieldNo);
    return;
  }
  const parts = children(state, entry.valueOffset, entry.end);
  const numberTlv = parts[0];
  const fieldNo =
    numberTlv?.tag === TAG_INTEGER && !numberTlv.truncated ? smallInteger(numberTlv.value) : undefined;
  if (fieldNo === undefined) {
    issue(
      state,
      'invalid-value',
      entry.offset,
      'field entry does not start with a small INTEGER field number',
    );
    state.unknown.push({ offset: entry.offset, ...raw(entry) });
    return;
  }
  state.fieldNumbers.push(fieldNo);
  const value = parts[1];
  if (value === undefined) {
    issue(state, 'invalid-value', entry.offset, 'field entry has a number but no value', fieldNo);
    return;
  }
  if (value.truncated) {
    reportOverrun(state, value, `the value of field ${fieldNo}`, fieldNo);
    state.unknown.push({ fieldNo, offset: value.offset, ...raw(value) });
    return;
  }
  if (parts.length > 2)
    issue(
      state,
      'trailing-data',
      parts[2]?.offset ?? entry.offset,
      'extra objects after the value ignored',
      fieldNo,
    );
  if (seen.has(fieldNo)) {
    issue(state, 'duplicate-field', entry.offset, `field ${fieldNo} repeated; the first is used`, fieldNo);
    state.unknown.push({ fieldNo, offset: value.offset, ...raw(value, rawText(value)) });
    return;
  }
  seen.add(fieldNo);
  placeField(state, fieldNo, value);
}

/**
 * Decodes a DG13 file (the bytes READ BINARY returned, starting with 6D).
 *
 * Fails (`DecodeResult` error) only when the input is not a DG13: `truncated` for input too short
 * to hold the 6D header or its first inner header, `invalid-value` for another outer tag or a 6D
 * whose content does not start with a SEQUENCE (30), `too-large` for a declared length over
 * `MAX_DG13_BYTES`, `unsupported` for an indefinite length. Offsets are bytes into `bytes`.
 *
 * Everything else is decoded as far as it goes, each problem listed in `issues` with the field
 * number where known: unknown field numbers and repeats are kept raw in `unknown`; a value of
 * another string type is decoded and flagged; a file cut short yields the fields before the cut
 * and one `truncated` issue; more than `MAX_DG13_FIELDS` entries are ignored past the cap. All
 * text is NFC normalised with spaces collapsed; an empty string counts as an absent field.
 * Never throws.
 */
export function decodeDg13(bytes: Uint8Array): DecodeResult<Dg13> {
  const outer = readLenient(bytes, 0, bytes.length);
  if (!outer.ok) return outer;
  if (outer.value.tag !== DG13_TAG)
    return fail('invalid-value', 0, `DG13 starts with tag 6D, not ${tagHex(outer.value.tag)}`);
  const top = outer.value;
  if (top.value.length === 0)
    return fail(top.truncated ? 'truncated' : 'invalid-value', top.valueOffset, 'DG13 is empty');
  const seq = readLenient(bytes, top.valueOffset, top.end);
  if (!seq.ok) return seq;
  if (seq.value.tag !== TAG_SEQUENCE)
    return fail(
      'invalid-value',
      top.valueOffset,
      `DG13 content starts with tag ${tagHex(seq.value.tag)}, not 30`,
    );

  const state: State = {
    bytes,
    out: {},
    unknown: [],
    issues: [],
    fieldNumbers: [],
    truncationReported: false,
  };
  if (!top.truncated && top.end < bytes.length)
    issue(state, 'trailing-data', top.end, `${bytes.length - top.end} bytes after the DG13 object ignored`);
  if (seq.value.end < top.end)
    issue(state, 'trailing-data', seq.value.end, 'objects after the DG13 SEQUENCE ignored');
  // Objects above the field entries that run past the input are reported once, at the end, unless
  // an entry already reported where the cut is; a length that only overruns its parent is wrong now.
  let cut = top.truncated || seq.value.declaredEnd > bytes.length;
  if (seq.value.truncated && !cut) reportOverrun(state, seq.value, 'the DG13 SEQUENCE');

  let sawSet = false;
  for (const part of children(state, seq.value.valueOffset, seq.value.end)) {
    if (part.tag === TAG_INTEGER && !sawSet && state.out.version === undefined && !part.truncated) {
      const version = smallInteger(part.value);
      if (version === undefined) issue(state, 'invalid-value', part.offset, 'version is not a small INTEGER');
      else {
        state.out.version = version;
        if (version !== 1)
          issue(state, 'unsupported', part.offset, `version ${version}; the layout known is version 1`);
      }
    } else if (part.tag === TAG_OID && !sawSet && state.out.oid === undefined && !part.truncated) {
      const oid = decodeOidValue(part.value);
      if (oid === undefined) issue(state, 'invalid-value', part.offset, 'malformed OBJECT IDENTIFIER');
      else state.out.oid = oid;
    } else if (part.tag === TAG_SET && !sawSet) {
      sawSet = true;
      if (part.declaredEnd > bytes.length) cut = true;
      else if (part.truncated) reportOverrun(state, part, 'the field set');
      const seen = new Set<number>();
      for (const entry of children(state, part.valueOffset, part.end, undefined, MAX_DG13_FIELDS))
        readEntry(state, entry, seen);
    } else if (part.truncated) {
      if (part.declaredEnd > bytes.length) cut = true;
      else reportOverrun(state, part, `object ${tagHex(part.tag)}`);
    } else {
      issue(state, 'unexpected-tag', part.offset, `unexpected tag ${tagHex(part.tag)} in the DG13 SEQUENCE`);
      state.unknown.push({ offset: part.offset, ...raw(part) });
    }
  }
  if (!sawSet && !cut)
    issue(state, 'invalid-value', seq.value.valueOffset, 'no field set (31) in the DG13 SEQUENCE');
  if (cut && !state.truncationReported)
    issue(
      state,
      'truncated',
      bytes.length,
      `the input ends before the DG13 does (6D declares ${top.declaredLength} bytes of content, ${top.value.length} present)`,
    );

  return ok({
    ...state.out,
    fieldNumbers: state.fieldNumbers,
    unknown: state.unknown,
    issues: state.issues,
  });
}
