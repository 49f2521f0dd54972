/**
 * The 12-digit personal ID number (số định danh cá nhân), which is also the CCCD / Căn cước card
 * number. Structure per Decree 137/2015/NĐ-CP art. 13 and Circular 07/2016/TT-BCA art. 7:
 *
 * | digits | meaning                                                                 |
 * |--------|-------------------------------------------------------------------------|
 * | 1–3    | province where the birth was registered (provinces.ts)                 |
 * | 4      | century of birth and sex (table below)                                  |
 * | 5–6    | last two digits of the year of birth                                    |
 * | 7–12   | random                                                                  |
 *
 * Century-and-sex code (Circular 07/2016/TT-BCA art. 7): 0 male / 1 female born 1900–1999,
 * 2 / 3 born 2000–2099, 4 / 5 born 2100–2199, 6 / 7 born 2200–2299, 8 / 9 born 2300–2399.
 *
 * There is no check digit: a mistyped random part cannot be detected, only the structured part.
 */
import { parseIsoDate } from './date.ts';
import { type Province, provinceByCode } from './provinces.ts';
import type { CccdSex, OfficerMessage } from './text.ts';

export type PersonalIdFailureCode =
  /** Not exactly 12 ASCII digits; nothing else is checked. */
  | 'not-12-digits'
  /** Digits 1–3 are not one of the 63 province codes. */
  | 'unknown-province'
  /** Digit 4 says the other sex than the one given. */
  | 'sex-mismatch'
  /** Digit 4 says another century than the given date of birth's. */
  | 'century-mismatch'
  /** Digits 5–6 are not the last two digits of the given year of birth. */
  | 'birth-year-mismatch'
  /** The date of birth given to check against is not a yyyy-mm-dd calendar date. */
  | 'invalid-date-of-birth';

export interface PersonalIdFailure {
  readonly code: PersonalIdFailureCode;
  readonly message: OfficerMessage;
}

/** What the number says and every rule it breaks. */
export interface PersonalIdCheck {
  /** True when `failures` is empty. */
  readonly ok: boolean;
  /** The number as given. */
  readonly id: string;
  readonly failures: readonly PersonalIdFailure[];
  /** Digits 1–3, when the number has 12 digits. */
  readonly provinceCode?: string;
  /** The province of birth registration, when the code is one of the 63. */
  readonly province?: Province;
  /** Digit 4. */
  readonly centuryCode?: number;
  /** From digit 4. */
  readonly sex?: CccdSex;
  /** The century digit 4 names: first and last year. */
  readonly birthYearRange?: { readonly from: number; readonly to: number };
  /** The century plus digits 5–6. */
  readonly birthYear?: number;
  /** Digits 7–12. */
  readonly serial?: string;
}

export interface PersonalIdExpectations {
  /** The sex printed on the card or QR code. */
  readonly sex?: CccdSex;
  /** yyyy-mm-dd. */
  readonly dateOfBirth?: string;
}

const SEX_NAME: Readonly<Record<CccdSex, OfficerMessage>> = {
  M: { vi: 'Nam', en: 'male' },
  F: { vi: 'Nữ', en: 'female' },
};

/**
 * Checks a 12-digit personal ID against its structure and, when given, the holder's sex and date
 * of birth. Every failing rule is listed; the number is never corrected or trimmed. Pure; never
 * throws (a malformed `dateOfBirth` is the failure `invalid-date-of-birth`).
 */
export function validatePersonalId(id12: string, expected: PersonalIdExpectations = {}): PersonalIdCheck {
  if (!/^[0-9]{12}$/.test(id12)) {
    return {
      ok: false,
      id: id12,
      failures: [
        {
          code: 'not-12-digits',
          message: {
            vi: `Số định danh phải gồm đúng 12 chữ số (nhận được ${id12.length} ký tự). Đối chiếu lại với thẻ.`,
            en: `The personal ID must be exactly 12 digits (got ${id12.length} characters). Check it against the card.`,
          },
        },
      ],
    };
  }
  const failures: PersonalIdFailure[] = [];
  const provinceCode = id12.slice(0, 3);
  const province = provinceByCode(provinceCode);
  if (province === undefined)
    failures.push({
      code: 'unknown-province',
      message: {
        vi: `Ba số đầu ${provinceCode} không phải mã tỉnh, thành phố nào: số định danh bị nhập sai hoặc thẻ không hợp lệ.`,
        en: `The first three digits ${provinceCode} are not a province code: the ID was mistyped or the card is not genuine.`,
      },
    });
  const centuryCode = Number(id12[3]);
  const sex: CccdSex = centuryCode % 2 === 0 ? 'M' : 'F';
  const from = 1900 + Math.floor(centuryCode / 2) * 100;
  const birthYear = from + Number(id12.slice(4, 6));

  if (expected.sex !== undefined && expected.sex !== sex)
    failures.push({
      code: 'sex-mismatch',
      message: {
        vi: `Chữ số thứ 4 (${centuryCode}) là mã giới tính ${SEX_NAME[sex].vi}, nhưng giới tính ghi là ${SEX_NAME[expected.sex].vi}.`,
        en: `Digit 4 (${centuryCode}) codes ${SEX_NAME[sex].en}, but the sex given is ${SEX_NAME[expected.sex].en}.`,
      },
    });

  if (expected.dateOfBirth !== undefined) {
    const dob = parseIsoDate(expected.dateOfBirth);
    if (dob === undefined)
      failures.push({
        code: 'invalid-date-of-birth',
        message: {
          vi: `Ngày sinh '${expected.dateOfBirth}' không hợp lệ nên không đối chiếu được với số định danh.`,
          en: `The date of birth '${expected.dateOfBirth}' is not a valid date, so the ID cannot be checked against it.`,
        },
      });
    else {
      const year = Number(dob.slice(0, 4));
      if (year < from || year > from + 99)
        failures.push({
          code: 'century-mismatch',
          message: {
            vi: `Chữ số thứ 4 (${centuryCode}) là mã người sinh năm ${from}–${from + 99}, nhưng năm sinh là ${year}.`,
            en: `Digit 4 (${centuryCode}) codes a birth in ${from}–${from + 99}, but the year of birth is ${year}.`,
          },
        });
      if (year % 100 !== birthYear % 100)
        failures.push({
          code: 'birth-year-mismatch',
          message: {
            vi: `Chữ số thứ 5–6 (${id12.slice(4, 6)}) phải là hai số cuối của năm sinh ${year}.`,
            en: `Digits 5–6 (${id12.slice(4, 6)}) must be the last two digits of the year of birth ${year}.`,
          },
        });
    }
  }

  return {
    ok: failures.length === 0,
    id: id12,
    failures,
    provinceCode,
    ...(province === undefined ? {} : { province }),
    centuryCode,
    sex,
    birthYearRange: { from, to: from + 99 },
    birthYear,
    serial: id12.slice(6),
  };
}
