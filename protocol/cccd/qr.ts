/**
 * The QR code printed on the chip CCCD (reference §8): one line of text, fields separated by `|`:
 *
 *   ID12 | old ID (CMND, 9 digits; may be empty) | full name | date of birth ddMMyyyy | sex
 *   (Nam / Nữ) | permanent address | date of issue ddMMyyyy
 *
 * e.g. `001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024`.
 *
 * Six parts: some cards' codes lack one field. Our rule: the missing field is the old ID (the
 * layout ID | name | birth | sex | address | issue), unless the parts fit the other reading better,
 * a missing trailing issue date (ID | old ID | name | birth | sex | address). "Fit" counts, for each
 * reading, whether its birth-date position holds 8 digits and its sex position Nam / Nữ; the
 * no-issue-date reading needs a strictly higher count. The absent field is not an error; `layout`
 * in the result says which reading was used. Fewer than six parts are read in the seven-part order and every
 * absent field is an error; more than seven are an error too (the first seven are read).
 *
 * The old ID is checked as 9 or 12 digits when present. The 2024 card model's QR may differ; not
 * verified.
 */
import { parseCompactDate, parseIsoDate } from './date.ts';
import { type PersonalIdCheck, type PersonalIdFailureCode, validatePersonalId } from './personal-id.ts';
import { type CccdSex, normalizeText, type OfficerMessage, parseVietnameseSex } from './text.ts';

export type QrField =
  | 'format'
  | 'id'
  | 'oldId'
  | 'fullName'
  | 'dateOfBirth'
  | 'sex'
  | 'address'
  | 'dateOfIssue';

export type QrErrorCode =
  /** Nothing but whitespace. */
  | 'empty'
  /** No `|` at all, but commas, semicolons or tabs: not the card's separator. */
  | 'wrong-separator'
  /** Fewer than six parts. */
  | 'too-few-parts'
  /** More than seven parts. */
  | 'too-many-parts'
  /** A required field is absent or empty. */
  | 'missing'
  /** Not ddMMyyyy, or not a real calendar day. */
  | 'invalid-date'
  /** Neither Nam nor Nữ. */
  | 'invalid-sex'
  /** The old ID is neither 9 nor 12 digits. */
  | 'invalid-old-id'
  /** Date of birth after `today`. */
  | 'birth-in-future'
  /** Date of issue before the date of birth. */
  | 'issue-before-birth'
  /** Date of issue after `today`. */
  | 'issue-in-future'
  /** The ID against the QR's own sex and date of birth (personal-id.ts). */
  | Exclude<PersonalIdFailureCode, 'invalid-date-of-birth'>;

export interface QrFieldError {
  readonly field: QrField;
  readonly code: QrErrorCode;
  readonly message: OfficerMessage;
}

/** Which reading of the parts was used (see the module comment). */
export type QrLayout =
  /** ID | old ID | name | birth | sex | address | issue. */
  | 'seven-parts'
  /** ID | name | birth | sex | address | issue. */
  | 'six-parts-no-old-id'
  /** ID | old ID | name | birth | sex | address. */
  | 'six-parts-no-issue-date'
  /** Too few or too many parts: read in the seven-part order. */
  | 'irregular'
  /** No `|`-separated fields could be read. */
  | 'none';

/** What the QR code says. Only fields that parsed are present; `errors` says what did not. */
export interface CccdQr {
  /** True when `errors` is empty. */
  readonly ok: boolean;
  readonly layout: QrLayout;
  /** The `|`-separated parts, each NFC normalised and trimmed. */
  readonly parts: readonly string[];
  /** The 12-digit ID as read (also when it fails `personalId`). */
  readonly id?: string;
  /** 9 or 12 digits; absent when the field is empty or missing. */
  readonly oldId?: string;
  readonly fullName?: string;
  /** yyyy-mm-dd. */
  readonly dateOfBirth?: string;
  /** As written. */
  readonly sexText?: string;
  readonly sex?: CccdSex;
  readonly address?: string;
  /** yyyy-mm-dd. */
  readonly dateOfIssue?: string;
  /** The ID checked against the QR's own sex and date of birth; absent when there is no ID. */
  readonly personalId?: PersonalIdCheck;
  readonly errors: readonly QrFieldError[];
}

export interface QrParseOptions {
  /** The caller's today, yyyy-mm-dd (local date at the station): dates after it are errors. */
  readonly today: string;
}

type SlotName = Exclude<QrField, 'format'>;

const SEVEN: readonly SlotName[] = [
  'id',
  'oldId',
  'fullName',
  'dateOfBirth',
  'sex',
  'address',
  'dateOfIssue',
];
const SIX_NO_OLD_ID: readonly SlotName[] = ['id', 'fullName', 'dateOfBirth', 'sex', 'address', 'dateOfIssue'];
const SIX_NO_ISSUE: readonly SlotName[] = ['id', 'oldId', 'fullName', 'dateOfBirth', 'sex', 'address'];

const FIELD_NAME: Readonly<Record<SlotName, OfficerMessage>> = {
  id: { vi: 'số định danh', en: 'personal ID' },
  oldId: { vi: 'số CMND cũ', en: 'old ID number' },
  fullName: { vi: 'họ và tên', en: 'full name' },
  dateOfBirth: { vi: 'ngày sinh', en: 'date of birth' },
  sex: { vi: 'giới tính', en: 'sex' },
  address: { vi: 'nơi thường trú', en: 'address' },
  dateOfIssue: { vi: 'ngày cấp', en: 'date of issue' },
};

const RESCAN = {
  vi: 'Quét lại mã QR hoặc nhập tay từ mặt thẻ.',
  en: 'Scan the QR code again or type it from the card.',
};

function message(vi: string, en: string): OfficerMessage {
  return { vi, en };
}

function looksLikeSex(text: string | undefined): boolean {
  return text !== undefined && parseVietnameseSex(text) !== undefined;
}

function looksLikeDate(text: string | undefined): boolean {
  return text !== undefined && /^[0-9]{8}$/.test(text);
}

/** Chooses the six-part reading (module comment): by shape, defaulting to "no old ID". */
function sixPartLayout(parts: readonly string[]): QrLayout {
  const noOldId = Number(looksLikeDate(parts[2])) + Number(looksLikeSex(parts[3]));
  const noIssue = Number(looksLikeDate(parts[3])) + Number(looksLikeSex(parts[4]));
  return noIssue > noOldId ? 'six-parts-no-issue-date' : 'six-parts-no-old-id';
}

/**
 * Parses the CCCD QR text. Tolerates NFC or NFD text, surrounding whitespace, a trailing CR/LF, and
 * six or seven parts (module comment). Each problem is a `{ field, code, message }` error with a
 * Vietnamese and English message for the officer; every field that parsed is returned beside the
 * errors. The ID is checked with `validatePersonalId` against the QR's own sex and date of birth.
 * Never throws on any `text`.
 * @throws {RangeError} when `options.today` is not a yyyy-mm-dd date (a programming error).
 */
export function parseCccdQr(text: string, options: QrParseOptions): CccdQr {
  const today = parseIsoDate(options.today);
  if (today === undefined) throw new RangeError(`today '${options.today}' is not a yyyy-mm-dd date`);
  const errors: QrFieldError[] = [];
  const whole = normalizeText(text);
  if (whole.length === 0)
    return {
      ok: false,
      layout: 'none',
      parts: [],
      errors: [
        {
          field: 'format',
          code: 'empty',
          message: message(`Mã QR trống. ${RESCAN.vi}`, `The QR text is empty. ${RESCAN.en}`),
        },
      ],
    };
  if (!whole.includes('|')) {
    const wrong = /[,;\t]/.test(text);
    return {
      ok: false,
      layout: 'none',
      parts: [whole],
      errors: [
        wrong
          ? {
              field: 'format',
              code: 'wrong-separator',
              message: message(
                `Mã QR không dùng dấu '|' để ngăn cách các trường: đây không phải mã QR của thẻ căn cước. ${RESCAN.vi}`,
                `The QR text does not separate its fields with '|': it is not a CCCD QR code. ${RESCAN.en}`,
              ),
            }
          : {
              field: 'format',
              code: 'too-few-parts',
              message: message(
                `Mã QR chỉ có một trường, không phải mã QR của thẻ căn cước. ${RESCAN.vi}`,
                `The QR text has a single field; it is not a CCCD QR code. ${RESCAN.en}`,
              ),
            },
      ],
    };
  }

  const parts = whole.split('|').map(normalizeText);
  let layout: QrLayout;
  let slots: readonly SlotName[];
  if (parts.length === 7) [layout, slots] = ['seven-parts', SEVEN];
  else if (parts.length === 6) {
    layout = sixPartLayout(parts);
    slots = layout === 'six-parts-no-issue-date' ? SIX_NO_ISSUE : SIX_NO_OLD_ID;
  } else {
    [layout, slots] = ['irregular', SEVEN];
    errors.push(
      parts.length < 6
        ? {
            field: 'format',
            code: 'too-few-parts',
            message: message(
              `Mã QR chỉ có ${parts.length} trường (cần 6 hoặc 7). ${RESCAN.vi}`,
              `The QR text has ${parts.length} fields (6 or 7 expected). ${RESCAN.en}`,
            ),
          }
        : {
            field: 'format',
            code: 'too-many-parts',
            message: message(
              `Mã QR có ${parts.length} trường (cần 6 hoặc 7); chỉ đọc 7 trường đầu. ${RESCAN.vi}`,
              `The QR text has ${parts.length} fields (6 or 7 expected); only the first 7 are read. ${RESCAN.en}`,
            ),
          },
    );
  }
  const value = new Map<SlotName, string>();
  slots.forEach((slot, i) => {
    const part = parts[i];
    if (part !== undefined) value.set(slot, part);
  });
  // Only an irregular QR reports absent slots: a six-part layout lacks its field by definition.
  const required: readonly SlotName[] = layout === 'irregular' ? SEVEN.filter((s) => s !== 'oldId') : slots;
  const missing = (field: SlotName): QrFieldError => ({
    field,
    code: 'missing',
    message: message(
      `Mã QR thiếu ${FIELD_NAME[field].vi}. ${RESCAN.vi}`,
      `The QR text has no ${FIELD_NAME[field].en}. ${RESCAN.en}`,
    ),
  });
  for (const field of required)
    if (field !== 'oldId' && (value.get(field) ?? '').length === 0) errors.push(missing(field));

  const out: {
    -readonly [K in keyof CccdQr]?: CccdQr[K];
  } = {};

  const id = value.get('id');
  if (id) out.id = id;

  const oldId = value.get('oldId');
  if (oldId) {
    if (/^([0-9]{9}|[0-9]{12})$/.test(oldId)) out.oldId = oldId;
    else
      errors.push({
        field: 'oldId',
        code: 'invalid-old-id',
        message: message(
          `Số CMND cũ '${oldId}' phải gồm 9 hoặc 12 chữ số. ${RESCAN.vi}`,
          `The old ID '${oldId}' must be 9 or 12 digits. ${RESCAN.en}`,
        ),
      });
  }

  const fullName = value.get('fullName');
  if (fullName) out.fullName = fullName;
  const address = value.get('address');
  if (address) out.address = address;

  const sexText = value.get('sex');
  if (sexText) {
    out.sexText = sexText;
    const sex = parseVietnameseSex(sexText);
    if (sex) out.sex = sex;
    else
      errors.push({
        field: 'sex',
        code: 'invalid-sex',
        message: message(
          `Giới tính '${sexText}' không phải "Nam" hoặc "Nữ". ${RESCAN.vi}`,
          `The sex '${sexText}' is neither "Nam" nor "Nữ". ${RESCAN.en}`,
        ),
      });
  }

  const date = (field: 'dateOfBirth' | 'dateOfIssue'): string | undefined => {
    const raw = value.get(field);
    if (!raw) return undefined;
    const iso = parseCompactDate(raw);
    if (iso === undefined)
      errors.push({
        field,
        code: 'invalid-date',
        message: message(
          `${capitalise(FIELD_NAME[field].vi)} '${raw}' không phải ngày hợp lệ dạng ngày-tháng-năm (ddMMyyyy). ${RESCAN.vi}`,
          `The ${FIELD_NAME[field].en} '${raw}' is not a valid ddMMyyyy date. ${RESCAN.en}`,
        ),
      });
    return iso;
  };
  const dateOfBirth = date('dateOfBirth');
  const dateOfIssue = date('dateOfIssue');
  if (dateOfBirth) {
    out.dateOfBirth = dateOfBirth;
    if (dateOfBirth > today)
      errors.push({
        field: 'dateOfBirth',
        code: 'birth-in-future',
        message: message(
          `Ngày sinh ${dateOfBirth} sau ngày hôm nay (${today}). ${RESCAN.vi}`,
          `The date of birth ${dateOfBirth} is after today (${today}). ${RESCAN.en}`,
        ),
      });
  }
  if (dateOfIssue) {
    out.dateOfIssue = dateOfIssue;
    if (dateOfBirth && dateOfIssue < dateOfBirth)
      errors.push({
        field: 'dateOfIssue',
        code: 'issue-before-birth',
        message: message(
          `Ngày cấp ${dateOfIssue} trước ngày sinh ${dateOfBirth}: thông tin trên mã QR mâu thuẫn. Kiểm tra thẻ bằng mắt.`,
          `The date of issue ${dateOfIssue} is before the date of birth ${dateOfBirth}: the QR data contradicts itself. Check the card by eye.`,
        ),
      });
    if (dateOfIssue > today)
      errors.push({
        field: 'dateOfIssue',
        code: 'issue-in-future',
        message: message(
          `Ngày cấp ${dateOfIssue} sau ngày hôm nay (${today}). Kiểm tra thẻ và đồng hồ của máy.`,
          `The date of issue ${dateOfIssue} is after today (${today}). Check the card and the station's clock.`,
        ),
      });
  }

  if (id) {
    const check = validatePersonalId(id, {
      ...(out.sex ? { sex: out.sex } : {}),
      ...(dateOfBirth ? { dateOfBirth } : {}),
    });
    out.personalId = check;
    for (const failure of check.failures)
      if (failure.code !== 'invalid-date-of-birth')
        errors.push({ field: 'id', code: failure.code, message: failure.message });
  }

  const result: typeof out = { ok: errors.length === 0, layout, parts };
  for (const key of FIELD_ORDER) if (out[key] !== undefined) Object.assign(result, { [key]: out[key] });
  return { ...result, ok: errors.length === 0, layout, parts, errors };
}

/** The order fields appear in the result (and in printed JSON): the card's. */
const FIELD_ORDER = [
  'id',
  'oldId',
  'fullName',
  'dateOfBirth',
  'sexText',
  'sex',
  'address',
  'dateOfIssue',
  'personalId',
] as const satisfies readonly (keyof CccdQr)[];

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
