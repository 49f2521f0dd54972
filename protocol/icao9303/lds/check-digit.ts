/**
 * The MRZ check digit (ICAO 9303-3 §4.9) for code that has already validated its text: the
 * computation itself is `checkDigit` in mrz-info.ts, which returns a result instead of throwing.
 */
import { checkDigit } from '../mrz-info.ts';

/** True if every character is one the MRZ allows: A–Z, 0–9 and the filler '<' (9303-3 §4.3). */
export function isMrzText(text: string): boolean {
  return /^[A-Z0-9<]*$/.test(text);
}

/**
 * The check digit (0–9) over `text`.
 * @throws {RangeError} if `text` holds a character outside A–Z, 0–9 and '<' (validate untrusted
 *   input with `isMrzText` first).
 */
export function mrzCheckDigit(text: string): number {
  const result = checkDigit(text);
  if (!result.ok) throw new RangeError(result.error.detail);
  return result.value;
}

/** The check digit over `text` as its MRZ character '0'–'9'. @throws {RangeError} as `mrzCheckDigit`. */
export function mrzCheckChar(text: string): string {
  return String(mrzCheckDigit(text));
}
