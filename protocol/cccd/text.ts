/**
 * Vietnamese text as the CCCD stations handle it. The card's DG13, the QR code and what an officer
 * types can spell the same letter two ways: precomposed (NFC, "ễ" = U+1EC5) or as a base letter
 * plus combining marks (NFD, "e" U+0065 + U+0302 + U+0303). Everything is brought to NFC before it
 * is stored or compared, so "Nguyễn" from the chip equals "Nguyễn" typed on a keyboard that emits
 * NFD.
 *
 * Pure: no I/O; never throws.
 */

/**
 * Whitespace, C0/C1 control characters (a card may pad strings with NUL) and zero-width spaces:
 * each run becomes one ASCII space.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this strips.
const SPACE_RUN = /[\s\u0000-\u001f\u007f-\u009f\u200b-\u200d\u2060]+/gu;

/**
 * The text in Unicode NFC, trimmed, with every run of whitespace or control characters turned into
 * one space. Idempotent.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFC').replace(SPACE_RUN, ' ').trim();
}

/** Combining marks left after NFD: the tone and vowel marks of Vietnamese (and any others). */
const COMBINING_MARKS = /\p{M}+/gu;

/**
 * A comparison key: normalised, diacritics removed ("đ" and "Đ" become "d", which NFD alone does
 * not do), lower case. "Nguyễn Văn Đức" and "NGUYEN VAN DUC" give the same key. Only for
 * cross-checks that tolerate a missing accent; never for display or storage.
 */
export function foldVietnamese(text: string): string {
  return normalizeText(text)
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
}

/**
 * Whether two names are the same ignoring case, diacritics and spacing (e.g. the DG13 name against
 * the QR code's, or the MRZ's transliteration). Two empty names are not the same: an absent name
 * never matches.
 */
export function sameNameLoosely(a: string, b: string): boolean {
  const left = foldVietnamese(a);
  return left.length > 0 && left === foldVietnamese(b);
}

/** Case-insensitive equality after NFC normalisation, diacritics kept ("Nữ" = "NỮ", "Nữ" ≠ "Nu"). */
export function sameTextIgnoringCase(a: string, b: string): boolean {
  return normalizeText(a).toLowerCase() === normalizeText(b).toLowerCase();
}

/** Sex as the MRZ and our person records write it (ICAO 9303-3 §4.6: M, F). */
export type CccdSex = 'M' | 'F';

/**
 * "Nam" → M, "Nữ" → F, in any case, NFC or NFD, with surrounding spaces; anything else (including
 * "Nu" without its accent) is undefined: the caller reports it.
 */
export function parseVietnameseSex(text: string): CccdSex | undefined {
  const key = normalizeText(text).toLowerCase();
  if (key === 'nam') return 'M';
  if (key === 'nữ') return 'F';
  return undefined;
}

/** An officer-facing message: Vietnamese first, English second (STYLE.md, errors). */
export interface OfficerMessage {
  readonly vi: string;
  readonly en: string;
}
