/**
 * Is the document in date? The card's date of expiry against the station's calendar day. This is a
 * separate question from "is it genuine": a genuine card can be expired, and an expired card is
 * refused at the counter all the same.
 *
 * - A card is valid up to and including its date of expiry ("Có giá trị đến" is the last day it
 *   is valid) and expired from the next day on.
 * - A CCCD issued from age 58 on has no expiry ("Không thời hạn"): valid, not unknown.
 * - The MRZ (DG1) writes the expiry as YYMMDD (ICAO 9303-3 §4.7). Its century is chosen so the date
 *   falls in the 100 years that start 70 years before today and end 30 years after it: no CCCD
 *   runs more than 22 years (issued at 38, expiring at 60, protocol/cccd/expiry.ts), and an expiry
 *   more than 30 years ahead is far less likely than a card that expired long ago.
 *
 * Pure: "today" is always the caller's (station/clock.ts localToday). Never throws.
 */
import { isoToYymmdd, parseIsoDate } from './date.ts';
import type { CardExpiry } from './expiry.ts';
import type { OfficerMessage } from './text.ts';

/** Where the expiry came from: the chip's MRZ, the chip's DG13 field 12, or derived from the QR code. */
export type ExpirySource = 'dg1' | 'dg13' | 'qr';

/**
 * The validity verdict, the same in `card read`, POST /cards/read and `qr parse`:
 * - `in-date`: valid; `dateOfExpiry` is today or later.
 * - `no-expiry`: valid; the card does not expire.
 * - `expired`: not valid; `dateOfExpiry` is before today.
 * - `unknown`: no usable expiry (`valid` null); the officer must read the date printed on the card.
 */
export interface DocumentValidity {
  readonly kind: 'in-date' | 'no-expiry' | 'expired' | 'unknown';
  /** True for in-date and no-expiry, false for expired, null for unknown. */
  readonly valid: boolean | null;
  /** yyyy-mm-dd; null for no-expiry and unknown. */
  readonly dateOfExpiry: string | null;
  /** The station's calendar day the expiry was compared with, yyyy-mm-dd. */
  readonly today: string;
  readonly from: ExpirySource;
  readonly message: OfficerMessage;
}

/** Years after today the century window reaches (see the module comment). */
export const MRZ_EXPIRY_YEARS_AHEAD = 30;

/**
 * The yyyy-mm-dd date of an MRZ expiry `yymmdd`, its century chosen around `today` (yyyy-mm-dd):
 * the year is at most `today`'s year + 30 and more than `today`'s year − 70. Undefined when
 * `yymmdd` is not six digits making a calendar day (fillers, a 31 April) or `today` is not a date.
 */
export function mrzExpiryDate(yymmdd: string, today: string): string | undefined {
  const todayIso = parseIsoDate(today);
  if (!/^\d{6}$/.test(yymmdd) || todayIso === undefined) return undefined;
  const todayYear = Number(todayIso.slice(0, 4));
  const yy = Number(yymmdd.slice(0, 2));
  let year = Math.floor(todayYear / 100) * 100 + yy;
  if (year > todayYear + MRZ_EXPIRY_YEARS_AHEAD) year -= 100;
  else if (year <= todayYear - (100 - MRZ_EXPIRY_YEARS_AHEAD)) year += 100;
  return parseIsoDate(`${String(year).padStart(4, '0')}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`);
}

/** dd/mm/yyyy, as the card prints dates. */
function printed(iso: string): string {
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

/** The validity of a card expiring on `dateOfExpiry` (yyyy-mm-dd) on `today` (yyyy-mm-dd). */
export function validityOfDate(dateOfExpiry: string, today: string, from: ExpirySource): DocumentValidity {
  if (dateOfExpiry >= today)
    return {
      kind: 'in-date',
      valid: true,
      dateOfExpiry,
      today,
      from,
      message: {
        vi: `Thẻ còn hạn sử dụng đến ngày ${printed(dateOfExpiry)}.`,
        en: `The card is valid until ${dateOfExpiry}.`,
      },
    };
  return {
    kind: 'expired',
    valid: false,
    dateOfExpiry,
    today,
    from,
    message: {
      vi: `Thẻ đã hết hạn sử dụng từ sau ngày ${printed(dateOfExpiry)}: không chấp nhận thẻ, hướng dẫn công dân làm thủ tục cấp đổi thẻ.`,
      en: `The card expired after ${dateOfExpiry}: do not accept it; the holder must have it renewed.`,
    },
  };
}

/** The validity of a card that does not expire. */
export function validityNoExpiry(today: string, from: ExpirySource): DocumentValidity {
  return {
    kind: 'no-expiry',
    valid: true,
    dateOfExpiry: null,
    today,
    from,
    message: {
      vi: 'Thẻ không thời hạn (cấp từ 58 tuổi): còn giá trị sử dụng.',
      en: 'The card has no expiry (issued at 58 or later): it is valid.',
    },
  };
}

const READ_PRINTED: OfficerMessage = {
  vi: 'Không xác định được ngày hết hạn: kiểm tra ngày hết hạn in trên thẻ.',
  en: 'The date of expiry could not be determined: check the date of expiry printed on the card.',
};

/** The validity when no expiry could be found; `message` says why (default: read the printed date). */
export function validityUnknown(
  today: string,
  from: ExpirySource,
  message: OfficerMessage = READ_PRINTED,
): DocumentValidity {
  return { kind: 'unknown', valid: null, dateOfExpiry: null, today, from, message };
}

/** The validity of the expiry derived from a QR code (protocol/cccd/expiry.ts) on `today`. */
export function validityOfDerivedExpiry(expiry: CardExpiry, today: string): DocumentValidity {
  switch (expiry.kind) {
    case 'date':
      return validityOfDate(expiry.date, today, 'qr');
    case 'no-expiry':
      return validityNoExpiry(today, 'qr');
    case 'unknown':
      return validityUnknown(today, 'qr', expiry.message);
  }
}

/** What the chip says about its expiry. */
export interface ChipExpiry {
  /** DG1's YYMMDD date of expiry, when DG1 was read. */
  readonly mrz?: string | undefined;
  /** DG13 field 12, when DG13 was read and has it: its ISO date, or the "no expiry" wording. */
  readonly dg13?: { readonly iso?: string | undefined; readonly noExpiry: boolean } | undefined;
}

/**
 * The validity of a chip's document on `today`: DG13 saying "Không thời hạn" makes it no-expiry;
 * otherwise DG1's date, its century taken from DG13's four-digit year when the two agree on
 * YYMMDD (else the window of `mrzExpiryDate`); DG13's date when DG1 has none; else unknown.
 */
export function chipValidity(chip: ChipExpiry, today: string): DocumentValidity {
  if (chip.dg13?.noExpiry) return validityNoExpiry(today, 'dg13');
  const dg13Iso = chip.dg13?.iso;
  if (chip.mrz !== undefined) {
    const fromMrz =
      dg13Iso !== undefined && isoToYymmdd(dg13Iso) === chip.mrz ? dg13Iso : mrzExpiryDate(chip.mrz, today);
    if (fromMrz !== undefined) return validityOfDate(fromMrz, today, 'dg1');
  }
  if (dg13Iso !== undefined) return validityOfDate(dg13Iso, today, 'dg13');
  return validityUnknown(today, chip.mrz === undefined ? 'dg13' : 'dg1');
}
