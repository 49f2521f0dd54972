/**
 * The machine readable zone: TD1 (3×30, ICAO 9303-5 §4.2), TD2 (2×36, 9303-6 §4.2) and TD3
 * (2×44, 9303-4 §4.2), every field sliced by position, every check digit recomputed (9303-3 §4.9)
 * and reported with its own verdict, plus the Vietnamese CCCD reading of TD1's optional data.
 *
 * Decoding never throws: a zone of the wrong length or with a character outside A–Z, 0–9, '<' is an
 * `invalid-value` result. A wrong check digit is not a decode error: the fields are returned with
 * the failing verdict so the officer sees both.
 */
import { type DecodeResult, fail, ok } from '../../result.ts';
import { isMrzText, mrzCheckChar } from './check-digit.ts';

export type MrzFormat = 'TD1' | 'TD2' | 'TD3';

/** [start, end) character positions into the zone with its lines concatenated. */
type Span = readonly [number, number];

interface MrzLayout {
  readonly lines: number;
  readonly lineLength: number;
  readonly documentCode: Span;
  readonly issuingState: Span;
  readonly documentNumber: Span;
  readonly documentNumberCheck: number;
  readonly dateOfBirth: Span;
  readonly dateOfBirthCheck: number;
  readonly sex: number;
  readonly dateOfExpiry: Span;
  readonly dateOfExpiryCheck: number;
  readonly nationality: Span;
  /** TD1 line 1 optional data; TD2 optional data; TD3 personal number. */
  readonly optionalData1: Span;
  /** TD3 only: check digit over the personal number. */
  readonly optionalData1Check?: number;
  /** TD1 only: line 2 optional data. */
  readonly optionalData2?: Span;
  readonly compositeCheck: number;
  /** The spans the composite check digit covers, in order. */
  readonly composite: readonly Span[];
  readonly name: Span;
  /** TD1 and TD2 allow a document number longer than 9 characters (continued in optional data 1). */
  readonly longDocumentNumber: boolean;
}

/**
 * Field positions (0-based, lines concatenated).
 * TD1, 9303-5 §4.2.2: line 1 code 0–1, state 2–4, number 5–13, check 14, optional 15–29; line 2
 * birth 30–35, check 36, sex 37, expiry 38–43, check 44, nationality 45–47, optional 48–58,
 * composite 59 over 5–29, 30–36, 38–44, 48–58; line 3 name 60–89.
 * TD2, 9303-6 §4.2.2: line 1 code, state, name 5–35; line 2 number 36–44, check 45,
 * nationality 46–48, birth 49–54, check 55, sex 56, expiry 57–62, check 63, optional 64–70,
 * composite 71 over 36–45, 49–55, 57–70.
 * TD3, 9303-4 §4.2.2: line 1 code, state, name 5–43; line 2 number 44–52, check 53,
 * nationality 54–56, birth 57–62, check 63, sex 64, expiry 65–70, check 71, personal number
 * 72–85, check 86, composite 87 over 44–53, 57–63, 65–86.
 */
export const MRZ_LAYOUTS: Readonly<Record<MrzFormat, MrzLayout>> = {
  TD1: {
    lines: 3,
    lineLength: 30,
    documentCode: [0, 2],
    issuingState: [2, 5],
    documentNumber: [5, 14],
    documentNumberCheck: 14,
    optionalData1: [15, 30],
    dateOfBirth: [30, 36],
    dateOfBirthCheck: 36,
    sex: 37,
    dateOfExpiry: [38, 44],
    dateOfExpiryCheck: 44,
    nationality: [45, 48],
    optionalData2: [48, 59],
    compositeCheck: 59,
    composite: [
      [5, 30],
      [30, 37],
      [38, 45],
      [48, 59],
    ],
    name: [60, 90],
    longDocumentNumber: true,
  },
  TD2: {
    lines: 2,
    lineLength: 36,
    documentCode: [0, 2],
    issuingState: [2, 5],
    name: [5, 36],
    documentNumber: [36, 45],
    documentNumberCheck: 45,
    nationality: [46, 49],
    dateOfBirth: [49, 55],
    dateOfBirthCheck: 55,
    sex: 56,
    dateOfExpiry: [57, 63],
    dateOfExpiryCheck: 63,
    optionalData1: [64, 71],
    compositeCheck: 71,
    composite: [
      [36, 46],
      [49, 56],
      [57, 71],
    ],
    longDocumentNumber: true,
  },
  TD3: {
    lines: 2,
    lineLength: 44,
    documentCode: [0, 2],
    issuingState: [2, 5],
    name: [5, 44],
    documentNumber: [44, 53],
    documentNumberCheck: 53,
    nationality: [54, 57],
    dateOfBirth: [57, 63],
    dateOfBirthCheck: 63,
    sex: 64,
    dateOfExpiry: [65, 71],
    dateOfExpiryCheck: 71,
    optionalData1: [72, 86],
    optionalData1Check: 86,
    compositeCheck: 87,
    composite: [
      [44, 54],
      [57, 64],
      [65, 87],
    ],
    longDocumentNumber: false,
  },
};

const FORMAT_BY_LENGTH: ReadonlyMap<number, MrzFormat> = new Map([
  [90, 'TD1'],
  [72, 'TD2'],
  [88, 'TD3'],
]);

/** One recomputed check digit. */
export interface CheckDigitVerdict {
  /** The characters the digit covers, as printed. */
  readonly over: string;
  /** The check character as printed in the zone. */
  readonly printed: string;
  /** The digit computed over `over`. */
  readonly computed: string;
  readonly ok: boolean;
}

export type MrzSex = 'M' | 'F' | 'X' | '<';

export interface MrzName {
  /** Primary identifier (surname), fillers turned to spaces. */
  readonly primary: string;
  /** Secondary identifier (given names), space-separated. */
  readonly secondary: string;
}

/** The CCCD reading of a Vietnamese TD1 zone (reference §8): the 12-digit ID in optional data 1. */
export interface CccdMrzInfo {
  /** The 12-digit citizen ID from optional data 1, positions 15–26. */
  readonly id12: string;
  /** Whether the document number equals ID[3:12] (the last 9 digits). */
  readonly documentNumberMatchesId: boolean;
  /** The digit after `id12<<`, checked as an MRZ check digit over the ID, when present. */
  readonly id12Check?: CheckDigitVerdict;
}

export interface Mrz {
  readonly format: MrzFormat;
  /** The zone, lines concatenated. */
  readonly text: string;
  readonly lines: readonly string[];
  /** e.g. 'P', 'I', 'ID' (trailing fillers removed). */
  readonly documentCode: string;
  readonly issuingState: string;
  /** The full document number, fillers removed, including a TD1/TD2 continuation in optional data. */
  readonly documentNumber: string;
  readonly documentNumberCheck: CheckDigitVerdict;
  /** Optional data 1 as printed (TD3: the personal number), after any document number continuation. */
  readonly optionalData1: string;
  /** TD3 only: the personal number's check digit. */
  readonly optionalData1Check?: CheckDigitVerdict;
  /** TD1 only: line 2 optional data as printed. */
  readonly optionalData2?: string;
  /** YYMMDD as printed. */
  readonly dateOfBirth: string;
  readonly dateOfBirthCheck: CheckDigitVerdict;
  readonly sex: MrzSex;
  /** YYMMDD as printed. */
  readonly dateOfExpiry: string;
  readonly dateOfExpiryCheck: CheckDigitVerdict;
  readonly nationality: string;
  readonly name: MrzName;
  readonly compositeCheck: CheckDigitVerdict;
  /** True when every ICAO check digit above is right (the CCCD ID check is not included). */
  readonly checksOk: boolean;
  /** Present for a TD1 issued by VNM whose optional data 1 starts with 12 digits. */
  readonly cccd?: CccdMrzInfo;
}

function slice(text: string, span: Span): string {
  return text.slice(span[0], span[1]);
}

function verdict(over: string, printed: string): CheckDigitVerdict {
  const computed = mrzCheckChar(over);
  return { over, printed, computed, ok: printed === computed };
}

function stripFillers(field: string): string {
  return field.replace(/<+$/, '');
}

/** Splits a name field: primary before the first '<<', secondary after (9303-3 §4.6). */
export function splitMrzName(field: string): MrzName {
  const at = field.indexOf('<<');
  const primaryRaw = at < 0 ? field : field.slice(0, at);
  const secondaryRaw = at < 0 ? '' : field.slice(at + 2);
  const words = (s: string) => s.split('<').filter((w) => w.length > 0);
  return { primary: words(primaryRaw).join(' '), secondary: words(secondaryRaw).join(' ') };
}

/**
 * Decodes a zone of 90 (TD1), 72 (TD2) or 88 (TD3) characters; line breaks are ignored.
 * Returns `invalid-value` for another length, a character outside A–Z, 0–9, '<', or a sex
 * character other than M, F, X, '<' (offset = character position).
 */
export function decodeMrz(input: string): DecodeResult<Mrz> {
  const text = input.replace(/\r?\n/g, '');
  const format = FORMAT_BY_LENGTH.get(text.length);
  if (format === undefined)
    return fail('invalid-value', 0, `an MRZ has 90, 72 or 88 characters, not ${text.length}`);
  if (!isMrzText(text)) {
    const at = text.search(/[^A-Z0-9<]/);
    return fail('invalid-value', at, `character '${text[at]}' is not allowed in an MRZ`);
  }
  const layout = MRZ_LAYOUTS[format];
  const lines: string[] = [];
  for (let i = 0; i < layout.lines; i++)
    lines.push(text.slice(i * layout.lineLength, (i + 1) * layout.lineLength));

  const sex = text[layout.sex] ?? '';
  if (sex !== 'M' && sex !== 'F' && sex !== 'X' && sex !== '<')
    return fail('invalid-value', layout.sex, `sex '${sex}' is not M, F, X or '<'`);

  const numberField = slice(text, layout.documentNumber);
  const numberCheckChar = text[layout.documentNumberCheck] ?? '';
  let optionalData1 = slice(text, layout.optionalData1);
  let documentNumber = stripFillers(numberField);
  let documentNumberCheck = verdict(numberField, numberCheckChar);
  // 9303-5 §4.2.2 note j / 9303-6: a number longer than 9 characters puts '<' in the check position,
  // continues in optional data 1, and ends with its check digit followed by a filler.
  if (layout.longDocumentNumber && numberCheckChar === '<' && !numberField.includes('<')) {
    const end = optionalData1.indexOf('<');
    const continuation = end < 0 ? optionalData1 : optionalData1.slice(0, end);
    if (continuation.length >= 2) {
      documentNumber = numberField + continuation.slice(0, -1);
      documentNumberCheck = verdict(documentNumber, continuation.slice(-1));
      optionalData1 = optionalData1.slice(continuation.length + 1);
    }
  }

  const dateOfBirth = slice(text, layout.dateOfBirth);
  const dateOfExpiry = slice(text, layout.dateOfExpiry);
  const compositeOver = layout.composite.map((span) => slice(text, span)).join('');
  const optionalData1Check =
    layout.optionalData1Check === undefined
      ? undefined
      : personalNumberVerdict(slice(text, layout.optionalData1), text[layout.optionalData1Check] ?? '');
  const dateOfBirthCheck = verdict(dateOfBirth, text[layout.dateOfBirthCheck] ?? '');
  const dateOfExpiryCheck = verdict(dateOfExpiry, text[layout.dateOfExpiryCheck] ?? '');
  const compositeCheck = verdict(compositeOver, text[layout.compositeCheck] ?? '');
  const checksOk =
    documentNumberCheck.ok &&
    dateOfBirthCheck.ok &&
    dateOfExpiryCheck.ok &&
    compositeCheck.ok &&
    (optionalData1Check?.ok ?? true);

  const issuingState = stripFillers(slice(text, layout.issuingState));
  const mrz: Mrz = {
    format,
    text,
    lines,
    documentCode: stripFillers(slice(text, layout.documentCode)),
    issuingState,
    documentNumber,
    documentNumberCheck,
    optionalData1,
    ...(optionalData1Check ? { optionalData1Check } : {}),
    ...(layout.optionalData2 ? { optionalData2: slice(text, layout.optionalData2) } : {}),
    dateOfBirth,
    dateOfBirthCheck,
    sex,
    dateOfExpiry,
    dateOfExpiryCheck,
    nationality: stripFillers(slice(text, layout.nationality)),
    name: splitMrzName(slice(text, layout.name)),
    compositeCheck,
    checksOk,
  };
  const cccd = format === 'TD1' && issuingState === 'VNM' ? readCccd(mrz) : undefined;
  return ok(cccd ? { ...mrz, cccd } : mrz);
}

/** TD3 personal number: an all-filler field may carry '<' as its check character (9303-4 §4.2.2). */
function personalNumberVerdict(field: string, printed: string): CheckDigitVerdict {
  if (printed === '<' && /^<*$/.test(field)) return { over: field, printed, computed: '<', ok: true };
  return verdict(field, printed);
}

function readCccd(mrz: Mrz): CccdMrzInfo | undefined {
  const match = /^(\d{12})<<(\d)?/.exec(mrz.optionalData1) ?? /^(\d{12})/.exec(mrz.optionalData1);
  const id12 = match?.[1];
  if (id12 === undefined) return undefined;
  const trailing = match?.[2];
  return {
    id12,
    documentNumberMatchesId: mrz.documentNumber === id12.slice(3),
    ...(trailing === undefined ? {} : { id12Check: verdict(id12, trailing) }),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** What the encoder needs; it computes every check digit. Values must already be MRZ text. */
export interface MrzFields {
  readonly format: MrzFormat;
  /** 1 or 2 characters, e.g. 'P', 'I', 'ID'. */
  readonly documentCode: string;
  /** 3-letter code, e.g. 'VNM', 'UTO'. */
  readonly issuingState: string;
  /** Up to 9 characters (TD1/TD2 longer numbers continue in optional data 1). */
  readonly documentNumber: string;
  /** YYMMDD. */
  readonly dateOfBirth: string;
  readonly sex: MrzSex;
  /** YYMMDD. */
  readonly dateOfExpiry: string;
  readonly nationality: string;
  readonly name: MrzName;
  /** TD1 line 1 / TD2 optional data / TD3 personal number, without the continuation. */
  readonly optionalData1?: string;
  /** TD1 only. */
  readonly optionalData2?: string;
}

function pad(field: string, width: number, what: string): string {
  if (field.length > width) throw new RangeError(`${what} '${field}' is longer than ${width} characters`);
  if (!isMrzText(field)) throw new RangeError(`${what} '${field}' holds a character outside A-Z, 0-9, '<'`);
  return field.padEnd(width, '<');
}

/**
 * Transliterates a name for the MRZ (9303-3 §6): diacritics dropped (Vietnamese đ/Đ → D),
 * upper case, spaces and hyphens become '<', apostrophes and other characters are removed.
 */
export function toMrzName(text: string): string {
  return text
    .replace(/[đĐ]/g, 'D')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[\s-]+/g, '<')
    .replace(/[^A-Z<]/g, '');
}

/** The name field: PRIMARY<<SECONDARY<NAMES, cut to `width` (9303-3 §4.6, simple truncation). */
function nameField(name: MrzName, width: number): string {
  const primary = toMrzName(name.primary.trim());
  const secondary = toMrzName(name.secondary.trim());
  const joined = secondary.length > 0 ? `${primary}<<${secondary}` : primary;
  return joined.slice(0, width).padEnd(width, '<');
}

function assertDate(value: string, what: string): void {
  if (!/^\d{6}$/.test(value)) throw new RangeError(`${what} '${value}' is not YYMMDD`);
}

/**
 * Builds the zone (lines concatenated) from fields, computing every check digit.
 * @throws {RangeError} for a field too long for its position, a non-MRZ character, a date that is
 *   not YYMMDD, or a document number longer than 9 characters in TD3.
 */
export function encodeMrz(fields: MrzFields): string {
  const layout = MRZ_LAYOUTS[fields.format];
  const total = layout.lines * layout.lineLength;
  const chars: string[] = new Array<string>(total).fill('<');
  const put = (span: Span, value: string, what: string) => {
    const padded = pad(value, span[1] - span[0], what);
    for (let i = 0; i < padded.length; i++) chars[span[0] + i] = padded[i] ?? '<';
  };
  const putChar = (at: number, value: string) => {
    chars[at] = value;
  };
  assertDate(fields.dateOfBirth, 'date of birth');
  assertDate(fields.dateOfExpiry, 'date of expiry');

  put(layout.documentCode, fields.documentCode, 'document code');
  put(layout.issuingState, fields.issuingState, 'issuing state');
  const numberWidth = layout.documentNumber[1] - layout.documentNumber[0];
  let optionalData1 = fields.optionalData1 ?? '';
  if (fields.documentNumber.length > numberWidth) {
    if (!layout.longDocumentNumber)
      throw new RangeError(
        `${fields.format} has no room for a ${fields.documentNumber.length}-character number`,
      );
    put(layout.documentNumber, fields.documentNumber.slice(0, numberWidth), 'document number');
    putChar(layout.documentNumberCheck, '<');
    const check = mrzCheckChar(pad(fields.documentNumber, fields.documentNumber.length, 'document number'));
    optionalData1 = `${fields.documentNumber.slice(numberWidth)}${check}<${optionalData1}`;
  } else {
    put(layout.documentNumber, fields.documentNumber, 'document number');
    putChar(layout.documentNumberCheck, mrzCheckChar(slice(chars.join(''), layout.documentNumber)));
  }
  put(layout.optionalData1, optionalData1, 'optional data 1');
  if (layout.optionalData1Check !== undefined) {
    const personal = slice(chars.join(''), layout.optionalData1);
    putChar(layout.optionalData1Check, mrzCheckChar(personal));
  }
  put(layout.dateOfBirth, fields.dateOfBirth, 'date of birth');
  putChar(layout.dateOfBirthCheck, mrzCheckChar(fields.dateOfBirth));
  putChar(layout.sex, fields.sex);
  put(layout.dateOfExpiry, fields.dateOfExpiry, 'date of expiry');
  putChar(layout.dateOfExpiryCheck, mrzCheckChar(fields.dateOfExpiry));
  put(layout.nationality, fields.nationality, 'nationality');
  if (layout.optionalData2) put(layout.optionalData2, fields.optionalData2 ?? '', 'optional data 2');
  else if (fields.optionalData2) throw new RangeError(`${fields.format} has no optional data 2`);
  const nameSpan = layout.name;
  const name = nameField(fields.name, nameSpan[1] - nameSpan[0]);
  for (let i = 0; i < name.length; i++) chars[nameSpan[0] + i] = name[i] ?? '<';
  const joined = chars.join('');
  putChar(layout.compositeCheck, mrzCheckChar(layout.composite.map((span) => slice(joined, span)).join('')));
  return chars.join('');
}

/** The CCCD person fields the TD1 zone is built from (reference §8). */
export interface CccdMrzPerson {
  /** The 12-digit citizen ID. */
  readonly id12: string;
  readonly surname: string;
  readonly givenNames: string;
  readonly sex: MrzSex;
  /** YYMMDD. */
  readonly dateOfBirth: string;
  /** YYMMDD. */
  readonly dateOfExpiry: string;
  /** Defaults to VNM. */
  readonly nationality?: string;
}

/**
 * The CCCD TD1 fields (reference §8): `IDVNM`, document number = ID[3:12], optional data 1 =
 * the 12-digit ID, '<<', and the ID's check digit.
 * @throws {RangeError} if `id12` is not 12 digits.
 */
export function cccdMrzFields(person: CccdMrzPerson): MrzFields {
  if (!/^\d{12}$/.test(person.id12)) throw new RangeError(`CCCD ID '${person.id12}' is not 12 digits`);
  return {
    format: 'TD1',
    documentCode: 'ID',
    issuingState: 'VNM',
    documentNumber: person.id12.slice(3),
    dateOfBirth: person.dateOfBirth,
    sex: person.sex,
    dateOfExpiry: person.dateOfExpiry,
    nationality: person.nationality ?? 'VNM',
    name: { primary: person.surname, secondary: person.givenNames },
    optionalData1: `${person.id12}<<${mrzCheckChar(person.id12)}`,
  };
}
