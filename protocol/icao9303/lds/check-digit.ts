/**
 * The MRZ check digit (ICAO 9303-3 §4.9): characters valued 0–9 for digits, A=10 … Z=35, '<'=0,
 * weighted 7, 3, 1 repeating, summed modulo 10.
 */

const WEIGHTS = [7, 3, 1] as const;

/** True if every character is one the MRZ allows: A–Z, 0–9 and the filler '<' (9303-3 §4.3). */
export function isMrzText(text: string): boolean {
  return /^[A-Z0-9<]*$/.test(text);
}

/** The numeric value of one MRZ character (9303-3 §4.9), or undefined outside A–Z, 0–9, '<'. */
function charValue(code: number): number | undefined {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x5a) return code - 0x41 + 10;
  if (code === 0x3c) return 0;
  return undefined;
}

/**
 * The check digit (0–9) over `text`.
 * @throws {RangeError} if `text` holds a character outside A–Z, 0–9 and '<' (validate untrusted
 *   input with `isMrzText` first).
 */
export function mrzCheckDigit(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const value = charValue(text.charCodeAt(i));
    if (value === undefined) throw new RangeError(`'${text[i]}' at ${i} is not an MRZ character`);
    sum += value * (WEIGHTS[i % 3] ?? 1);
  }
  return sum % 10;
}

/** The check digit over `text` as its MRZ character '0'–'9'. @throws {RangeError} as `mrzCheckDigit`. */
export function mrzCheckChar(text: string): string {
  return String(mrzCheckDigit(text));
}
