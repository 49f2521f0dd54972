/**
 * The MRZ fields that key Basic Access Control and PACE-MRZ: check digits (9303-3 §4.9),
 * MRZ_information (9303-11 §9.7.2, App. D.2), the TD1 layout of long document numbers (9303-5), and
 * the Vietnamese CCCD rule for the document number.
 *
 * Input comes from an officer's keyboard, an OCR pass or the card's QR code, so everything here
 * validates and returns a result; nothing throws on bad input.
 */

/** Why an MRZ field was refused. A fixed set: callers switch on it, never on message text. */
export type MrzErrorReason =
  /** A character outside 0-9, A-Z and the filler '<'. */
  | 'invalid-character'
  /** Empty, too long, or (dates) not 6 characters. */
  | 'invalid-length'
  /** A date that is not YYMMDD with a real month and day. */
  | 'invalid-date'
  /** A check digit that does not match its field. */
  | 'check-digit-mismatch';

export type MrzField = 'documentNumber' | 'dateOfBirth' | 'dateOfExpiry' | 'id12' | 'text';

export interface MrzError {
  readonly reason: MrzErrorReason;
  readonly field: MrzField;
  /** Character position in the field (after trimming and upper-casing) where the problem is. */
  readonly position: number;
  /** What was wrong, for logs and developers; never parsed. */
  readonly detail: string;
}

export type MrzResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: MrzError };

function mrzFail(
  reason: MrzErrorReason,
  field: MrzField,
  position: number,
  detail: string,
): MrzResult<never> {
  return { ok: false, error: { reason, field, position, detail } };
}

/** Length of the document number field in every MRZ format (9303-4/-5). */
export const DOCUMENT_NUMBER_FIELD_LENGTH = 9;
/**
 * Longest document number accepted: a TD1 overflow puts characters 10.. plus check digit plus '<'
 * in the 15-character optional data field (9303-5), so 9 + 13.
 */
export const DOCUMENT_NUMBER_MAX_LENGTH = 22;

/** Value of one MRZ character for the check digit: 0-9, A=10 … Z=35, '<' = 0; -1 if not allowed. */
function charValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x5a) return code - 0x41 + 10;
  if (code === 0x3c) return 0;
  return -1;
}

/**
 * The check digit of an MRZ field (9303-3 §4.9): weights 7, 3, 1 repeating, A=10 … Z=35,
 * '<' = 0, sum mod 10. Upper-case only (the MRZ has no lower case).
 * Returns `invalid-character` with the position of the first character outside 0-9 A-Z '<'.
 */
export function checkDigit(text: string, field: MrzField = 'text'): MrzResult<number> {
  const weights = [7, 3, 1] as const;
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const value = charValue(text.charCodeAt(i));
    if (value < 0)
      return mrzFail('invalid-character', field, i, `'${text[i]}' is not an MRZ character (0-9, A-Z, <)`);
    sum += value * (weights[i % 3] ?? 0);
  }
  return { ok: true, value: sum % 10 };
}

/** Trimmed, upper-cased input; MRZ text has neither spaces nor lower case. */
function normalize(text: string): string {
  return text.trim().toUpperCase();
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * Validates a YYMMDD date as the MRZ prints it (9303-3 §3.8: two-digit year, no century) and
 * returns it trimmed. February 29 is accepted in every year divisible by 4 (the century is
 * unknown; 2000 was leap). A date of birth may have an unknown day, or month and day, written as
 * fillers ('<<', 9303-4/-5 notes on the date of birth); a date of expiry may not.
 * Returns `invalid-length`, `invalid-character` or `invalid-date` with the position.
 */
export function validateMrzDate(text: string, field: 'dateOfBirth' | 'dateOfExpiry'): MrzResult<string> {
  const date = normalize(text);
  if (date.length !== 6)
    return mrzFail('invalid-length', field, 0, `a date is 6 characters YYMMDD, got ${date.length}`);
  for (let i = 0; i < 6; i++) {
    const code = date.charCodeAt(i);
    const filler = code === 0x3c && field === 'dateOfBirth' && i >= 2;
    if (!(code >= 0x30 && code <= 0x39) && !filler)
      return mrzFail('invalid-character', field, i, `'${date[i]}' in a YYMMDD date`);
  }
  const yy = Number(date.slice(0, 2));
  const mmText = date.slice(2, 4);
  const ddText = date.slice(4, 6);
  if (mmText.includes('<') || ddText.includes('<')) {
    // Unknown parts: the day, or the month and the day, entirely '<'; '1<' is an OCR slip.
    const wellFormed = ddText === '<<' && (mmText === '<<' || !mmText.includes('<'));
    if (!wellFormed)
      return mrzFail('invalid-date', field, 2, `'${date}': only an unknown day or month and day may be '<<'`);
    if (mmText !== '<<') {
      const mm = Number(mmText);
      if (mm < 1 || mm > 12) return mrzFail('invalid-date', field, 2, `month ${mmText} in '${date}'`);
    }
    return { ok: true, value: date };
  }
  const mm = Number(mmText);
  const dd = Number(ddText);
  if (mm < 1 || mm > 12) return mrzFail('invalid-date', field, 2, `month ${mmText} in '${date}'`);
  const maxDay = mm === 2 && yy % 4 !== 0 ? 28 : (DAYS_IN_MONTH[mm - 1] ?? 31);
  if (dd < 1 || dd > maxDay) return mrzFail('invalid-date', field, 4, `day ${ddText} in '${date}'`);
  return { ok: true, value: date };
}

/**
 * A document number as BAC uses it: trimmed, upper case, trailing fillers dropped, then padded with
 * '<' to 9 when shorter. Longer numbers (TD1 overflow, up to 22 characters) are kept whole.
 */
export function normalizeDocumentNumber(text: string): MrzResult<string> {
  const raw = normalize(text).replace(/<+$/, '');
  if (raw.length === 0) return mrzFail('invalid-length', 'documentNumber', 0, 'the document number is empty');
  if (raw.length > DOCUMENT_NUMBER_MAX_LENGTH)
    return mrzFail(
      'invalid-length',
      'documentNumber',
      DOCUMENT_NUMBER_MAX_LENGTH,
      `${raw.length} characters; at most ${DOCUMENT_NUMBER_MAX_LENGTH} fit a TD1 MRZ`,
    );
  const check = checkDigit(raw, 'documentNumber');
  if (!check.ok) return check;
  return { ok: true, value: raw.padEnd(DOCUMENT_NUMBER_FIELD_LENGTH, '<') };
}

export interface MrzKeyFields {
  /** Document number as printed (1 to 22 characters); padded here to 9 with '<'. */
  readonly documentNumber: string;
  /** YYMMDD. */
  readonly dateOfBirth: string;
  /** YYMMDD. */
  readonly dateOfExpiry: string;
}

/**
 * MRZ_information = document number + check digit + date of birth + check digit + date of expiry
 * + check digit (9303-11 §9.7.2; App. D.2: 'L898902C<', '690806', '940623' →
 * 'L898902C<369080619406236'). The ASCII of this text is hashed into the BAC key seed (keys.ts) and
 * the PACE-MRZ password.
 *
 * A document number longer than 9 characters is used whole, with the check digit over the whole
 * number: what the TD1 overflow layout encodes (9303-5) and what JMRTD and gmrtd send to such cards.
 * Returns the first field's `MrzError` when a field is malformed.
 */
export function mrzInformation(fields: MrzKeyFields): MrzResult<string> {
  const documentNumber = normalizeDocumentNumber(fields.documentNumber);
  if (!documentNumber.ok) return documentNumber;
  const dateOfBirth = validateMrzDate(fields.dateOfBirth, 'dateOfBirth');
  if (!dateOfBirth.ok) return dateOfBirth;
  const dateOfExpiry = validateMrzDate(fields.dateOfExpiry, 'dateOfExpiry');
  if (!dateOfExpiry.ok) return dateOfExpiry;
  const parts = [documentNumber.value, dateOfBirth.value, dateOfExpiry.value];
  let out = '';
  for (const part of parts) {
    // The fields were validated above, so their check digits exist.
    const digit = checkDigit(part);
    out += part + (digit.ok ? String(digit.value) : '');
  }
  return { ok: true, value: out };
}

/** The document number as a TD1 MRZ lays it out (9303-5, data elements 04, 05 and 12). */
export interface Td1DocumentNumber {
  /** The 9-character document number field (line 1, positions 6-14). */
  readonly field: string;
  /** Position 15: the check digit, or '<' when the number overflows into the optional data. */
  readonly check: string;
  /** What the optional data field starts with: '' or overflow characters + check digit + '<'. */
  readonly optionalDataPrefix: string;
}

/**
 * Lays out a document number for a TD1 MRZ: up to 9 characters go in the field with their check
 * digit; a longer number puts its first 9 in the field, '<' in the check position, and the rest
 * followed by the check digit (over the whole number) and '<' at the start of the optional data.
 */
export function td1DocumentNumber(documentNumber: string): MrzResult<Td1DocumentNumber> {
  const normalized = normalizeDocumentNumber(documentNumber);
  if (!normalized.ok) return normalized;
  const whole = normalized.value;
  const digit = checkDigit(whole);
  const check = digit.ok ? String(digit.value) : '<';
  if (whole.length <= DOCUMENT_NUMBER_FIELD_LENGTH)
    return { ok: true, value: { field: whole, check, optionalDataPrefix: '' } };
  return {
    ok: true,
    value: {
      field: whole.slice(0, DOCUMENT_NUMBER_FIELD_LENGTH),
      check: '<',
      optionalDataPrefix: `${whole.slice(DOCUMENT_NUMBER_FIELD_LENGTH)}${check}<`,
    },
  };
}

/**
 * The whole document number from a TD1 MRZ's line 1 fields (the inverse of `td1DocumentNumber`),
 * verifying its check digit. `optionalData` is line 1 positions 16-30.
 * Returns `check-digit-mismatch`, `invalid-character` or `invalid-length` (overflow without a
 * terminating '<').
 */
export function documentNumberFromTd1(field: string, check: string, optionalData: string): MrzResult<string> {
  let whole: string;
  let expected: string;
  if (check === '<') {
    const end = optionalData.indexOf('<');
    if (end < 2)
      return mrzFail(
        'invalid-length',
        'documentNumber',
        DOCUMENT_NUMBER_FIELD_LENGTH,
        "overflowing document number without characters, check digit and '<' in the optional data",
      );
    whole = field + optionalData.slice(0, end - 1);
    expected = optionalData.slice(end - 1, end);
  } else {
    whole = field;
    expected = check;
  }
  const digit = checkDigit(whole, 'documentNumber');
  if (!digit.ok) return digit;
  if (String(digit.value) !== expected)
    return mrzFail(
      'check-digit-mismatch',
      'documentNumber',
      Math.min(whole.length, DOCUMENT_NUMBER_FIELD_LENGTH),
      `check digit '${expected}' does not match '${whole}' (expected ${digit.value})`,
    );
  return { ok: true, value: whole.replace(/<+$/, '') };
}

/** Length of the Vietnamese citizen ID number (số định danh cá nhân / CCCD). */
export const CCCD_ID_LENGTH = 12;

/**
 * The BAC document number of a Vietnamese CCCD: the last 9 digits of the 12-digit personal ID (the
 * ID without its 3-digit province code, `id12.slice(3)`). The TD1 MRZ prints these 9 digits as the
 * document number; reference notes §8 (lthuangiang/cccd-reader `buildBacKey`, checked on a card).
 * Returns `invalid-length` or `invalid-character` for anything but 12 digits.
 */
export function cccdDocumentNumber(id12: string): MrzResult<string> {
  const id = id12.trim();
  if (id.length !== CCCD_ID_LENGTH)
    return mrzFail('invalid-length', 'id12', 0, `a CCCD number has 12 digits, got ${id.length} characters`);
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code < 0x30 || code > 0x39)
      return mrzFail('invalid-character', 'id12', i, `'${id[i]}' is not a digit`);
  }
  return { ok: true, value: id.slice(CCCD_ID_LENGTH - DOCUMENT_NUMBER_FIELD_LENGTH) };
}

/**
 * MRZ_information of a CCCD from what is printed on its front: the 12-digit ID, date of birth and
 * date of expiry (YYMMDD). See `cccdDocumentNumber` and `mrzInformation`.
 */
export function cccdMrzInformation(
  id12: string,
  dateOfBirth: string,
  dateOfExpiry: string,
): MrzResult<string> {
  const documentNumber = cccdDocumentNumber(id12);
  if (!documentNumber.ok) return documentNumber;
  return mrzInformation({ documentNumber: documentNumber.value, dateOfBirth, dateOfExpiry });
}
