/**
 * Vietnamese typing without an input method: Telex keys typed at the end of a word turn into the
 * letters they stand for, as the officer types (the station's kiosk may have no IME).
 *
 *   aa â   ee ê   oo ô   aw ă   ow ơ   uw ư   uow ươ   dd đ   w (alone) ư
 *   s sắc  f huyền  r hỏi  x ngã  j nặng  z removes the tone; a tone key typed twice gives the letter
 *
 * The tone goes where Vietnamese spelling puts it: on the vowel with a hat or horn (ơ in ươ), on
 * the only vowel, on the last when a consonant ends the syllable, else on the middle of three or
 * the first of two ("hòa", "thúy", "toán", "khuýa", "Nguyễn"); the u of "qu" and the i of "gi" before a
 * vowel are consonants. Text pasted or typed by an input method passes unchanged. The result is NFC.
 */

const TONES = ['', '\u0301', '\u0300', '\u0309', '\u0303', '\u0323'] as const;
const TONE_KEYS: Readonly<Record<string, number>> = { s: 1, f: 2, r: 3, x: 4, j: 5, z: 0 };
const TONE_MARKS = new Set<string>(TONES.slice(1));
/** Base vowels, with their hat or horn (NFC, no tone). */
const VOWELS = new Set([...'aăâeêioôơuưy']);
const MARKED = new Set([...'ăâêôơư']);
const CIRCUMFLEX: Readonly<Record<string, string>> = { a: 'â', e: 'ê', o: 'ô' };
const BREVE_HORN: Readonly<Record<string, string>> = { a: 'ă', o: 'ơ', u: 'ư' };

interface Letter {
  /** Lower-case base letter (NFC, hat or horn kept, tone removed). */
  readonly base: string;
  readonly upper: boolean;
}

/** A word split into its letters (tone taken off) and its tone (0 none, 1-5). */
function split(word: string): { letters: Letter[]; tone: number } {
  let tone = 0;
  const letters: Letter[] = [];
  for (const char of word.normalize('NFC')) {
    const parts = [...char.normalize('NFD')];
    const kept: string[] = [];
    for (const part of parts) {
      const index = (TONES as readonly string[]).indexOf(part);
      if (index > 0 && TONE_MARKS.has(part)) tone = index;
      else kept.push(part);
    }
    const base = kept.join('').normalize('NFC');
    letters.push({ base: base.toLowerCase(), upper: base !== base.toLowerCase() });
  }
  return { letters, tone };
}

/** The index of the letter that carries the tone, or -1 when the word has no vowel. */
function toneIndex(letters: readonly Letter[]): number {
  const isVowel = (i: number) => letters[i] !== undefined && VOWELS.has(letters[i].base);
  let start = letters.findIndex((_, i) => isVowel(i));
  if (start < 0) return -1;
  let end = start;
  while (isVowel(end + 1)) end += 1;
  // "qu" and "gi" before another vowel: the u and the i are part of the consonant.
  const first = letters[start]?.base;
  const before = letters[start - 1]?.base;
  if (end > start && ((first === 'u' && before === 'q') || (first === 'i' && before === 'g'))) start += 1;
  for (let i = end; i >= start; i -= 1) {
    const base = letters[i]?.base ?? '';
    if (MARKED.has(base)) {
      // ươ: the tone sits on the ơ.
      if (base === 'ư' && letters[i + 1]?.base === 'ơ') return i + 1;
      return i;
    }
  }
  const length = end - start + 1;
  if (length === 1) return start;
  // A consonant after the vowels: the last vowel ("toán"); else the middle of three ("khuýa"),
  // the first of two ("hòa").
  if (end + 1 < letters.length) return end;
  return length >= 3 ? start + 1 : start;
}

function join(letters: readonly Letter[], tone: number): string {
  const at = tone === 0 ? -1 : toneIndex(letters);
  return letters
    .map((letter, i) => {
      const text = i === at ? `${letter.base}${TONES[tone]}`.normalize('NFC') : letter.base;
      return letter.upper ? text.toUpperCase() : text;
    })
    .join('')
    .normalize('NFC');
}

/**
 * The word after the officer typed `key` at its end (`word` as it stands, Vietnamese letters and
 * all), or undefined when the key is an ordinary letter to append.
 */
export function telexKey(word: string, key: string): string | undefined {
  if (key.length !== 1 || word === '') return undefined;
  const lower = key.toLowerCase();
  const { letters, tone } = split(word);
  const hasVowel = letters.some((l) => VOWELS.has(l.base));
  if (lower in TONE_KEYS && hasVowel) {
    const next = TONE_KEYS[lower] ?? 0;
    // The same tone key again undoes the tone and types the letter.
    if (next === tone && next !== 0) return `${join(letters, 0)}${key}`;
    if (next === 0 && tone === 0) return undefined;
    return join(letters, next);
  }
  if (lower === 'd') {
    const last = letters[letters.length - 1];
    if (last?.base === 'd') return join([...letters.slice(0, -1), { base: 'đ', upper: last.upper }], tone);
    if (last?.base === 'đ')
      return `${join([...letters.slice(0, -1), { base: 'd', upper: last.upper }], tone)}${key}`;
    return undefined;
  }
  const run = lastVowelRun(letters);
  if (run === undefined) return undefined;
  if (lower in CIRCUMFLEX) {
    const hat = CIRCUMFLEX[lower] ?? lower;
    for (let i = run.end; i >= run.start; i -= 1) {
      const letter = letters[i];
      if (letter === undefined) continue;
      const changed = [...letters];
      if (letter.base === lower) {
        changed[i] = { base: hat, upper: letter.upper };
        return join(changed, tone);
      }
      if (letter.base === hat) {
        // The hat typed again comes off and the letter is typed: "âa" → "aa".
        changed[i] = { base: lower, upper: letter.upper };
        return `${join(changed, tone)}${key}`;
      }
    }
    return undefined;
  }
  if (lower === 'w') {
    for (let i = run.end; i >= run.start; i -= 1) {
      const letter = letters[i];
      const horn = letter === undefined ? undefined : BREVE_HORN[letter.base];
      if (letter === undefined || horn === undefined) continue;
      const changed = [...letters];
      changed[i] = { base: horn, upper: letter.upper };
      // uo takes the horn on both: ươ.
      const previous = letters[i - 1];
      if (letter.base === 'o' && previous?.base === 'u')
        changed[i - 1] = { base: 'ư', upper: previous.upper };
      return join(changed, tone);
    }
  }
  return undefined;
}

/** The last run of vowels in the word (its first and last index). */
function lastVowelRun(letters: readonly Letter[]): { start: number; end: number } | undefined {
  let end = letters.length - 1;
  while (end >= 0 && !VOWELS.has(letters[end]?.base ?? '')) end -= 1;
  if (end < 0) return undefined;
  let start = end;
  while (start > 0 && VOWELS.has(letters[start - 1]?.base ?? '')) start -= 1;
  return { start, end };
}

/**
 * The field's text after an input event that typed `key` with the caret at `caret` in `value` (the
 * value already holding the key, just before the caret): the Telex result and the caret after it,
 * or undefined when nothing changes.
 */
export function applyTelex(
  value: string,
  caret: number,
  key: string,
): { readonly value: string; readonly caret: number } | undefined {
  if (key.length !== 1 || caret < 1 || value.slice(caret - 1, caret) !== key) return undefined;
  const head = value.slice(0, caret - 1);
  const match = /[\p{L}\p{M}]+$/u.exec(head);
  if (match === null) {
    // A lone w at a word's start is ư.
    if (key.toLowerCase() === 'w') return swap(value, caret, head, '', key === 'W' ? 'Ư' : 'ư');
    return undefined;
  }
  const word = match[0];
  const changed = telexKey(word, key);
  if (changed === undefined) return undefined;
  return swap(value, caret, head.slice(0, head.length - word.length), word, changed);
}

function swap(value: string, caret: number, before: string, _word: string, replacement: string) {
  const after = value.slice(caret);
  const text = `${before}${replacement}`;
  return { value: `${text}${after}`.normalize('NFC'), caret: text.normalize('NFC').length };
}
