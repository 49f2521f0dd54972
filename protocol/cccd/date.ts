/**
 * Calendar dates as the CCCD writes them: "dd/mm/yyyy" in DG13 (reference §8), "ddMMyyyy" in the
 * QR code, and ISO 8601 "yyyy-mm-dd" everywhere in our own values. Proleptic Gregorian calendar;
 * four-digit years only. An ISO date string of this form sorts the way the dates do, so the modules
 * here compare dates as strings.
 *
 * Pure: no clock; today's date is always the caller's. Never throws except where stated.
 */

/** A date read from the card or the QR code: the text as written, and the ISO date when it is a real day. */
export interface CccdDate {
  /** As written (NFC normalised). */
  readonly text: string;
  /** yyyy-mm-dd; absent when `text` is not a real calendar day in the expected form. */
  readonly iso?: string;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function calendarIso(year: number, month: number, day: number): string | undefined {
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** "yyyy-mm-dd" when `text` is exactly that and a real day, else undefined. */
export function parseIsoDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  return calendarIso(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** DG13's "dd/mm/yyyy" (two-digit day and month) as yyyy-mm-dd, or undefined. */
export function parseSlashDate(text: string): string | undefined {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (!m) return undefined;
  return calendarIso(Number(m[3]), Number(m[2]), Number(m[1]));
}

/** The QR code's "ddMMyyyy" as yyyy-mm-dd, or undefined. */
export function parseCompactDate(text: string): string | undefined {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(text);
  if (!m) return undefined;
  return calendarIso(Number(m[3]), Number(m[2]), Number(m[1]));
}

/**
 * The day a person born on `birthIso` turns `age`. Someone born on 29 February reaches it on
 * 28 February in a common year: see docs/cccd.md (expiry) for why 28 February and not 1 March.
 * @throws {RangeError} when `birthIso` is not a valid yyyy-mm-dd date, `age` is not a whole number
 * ≥ 0, or the year reached is beyond 9999.
 */
export function birthdayAt(birthIso: string, age: number): string {
  const iso = parseIsoDate(birthIso);
  if (iso === undefined) throw new RangeError(`'${birthIso}' is not a yyyy-mm-dd date`);
  if (!Number.isInteger(age) || age < 0) throw new RangeError(`age ${age} is not a whole number of years`);
  const year = Number(iso.slice(0, 4)) + age;
  const month = Number(iso.slice(5, 7));
  const day = Math.min(Number(iso.slice(8, 10)), daysInMonth(year, month));
  const result = year <= 9999 ? calendarIso(year, month, day) : undefined;
  if (result === undefined) throw new RangeError(`${birthIso} plus ${age} years is beyond year 9999`);
  return result;
}

/** "yyyy-mm-dd" → "YYMMDD", the form of the MRZ and the BAC key (ICAO 9303-3 §4.7). */
export function isoToYymmdd(iso: string): string {
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}
