/**
 * Decodes a keyboard-wedge barcode scanner's USB HID boot-keyboard input reports into the text it
 * "types". Pure: reports in, text out.
 *
 * Boot keyboard input report (USB HID 1.11, Appendix B.1), 8 bytes:
 *   0      modifiers: bit 0 LeftCtrl, 1 LeftShift, 2 LeftAlt, 3 LeftGUI, 4 RightCtrl, 5 RightShift,
 *          6 RightAlt, 7 RightGUI
 *   1      reserved
 *   2..7   up to six pressed keys, HID Usage Tables §10 (Keyboard/Keypad page 0x07); 0x01 in every
 *          slot is ErrorRollOver (too many keys: the report is ignored)
 * A key counts when it appears in a report and was not in the previous one (press, not hold).
 * Composite devices prefix a report-ID byte: give `reportId` and 9-byte reports have it stripped.
 *
 * Layout: US English, the scanners' factory default. A keyboard wedge cannot type Vietnamese
 * diacritics (there are no keys for them); scanners offer instead an "ALT + keypad" mode, which this
 * decoder supports: while Alt is held, keypad digits accumulate, and on Alt's release the number is a
 * character: with a leading 0 and ≤ 255 a Windows-1252 byte (Windows' Alt+0nnn), otherwise a Unicode
 * code point (the scanners' "Unicode" Alt mode). The HID POS usage page (0x8C), which carries raw
 * bytes, is not decoded here; a scanner in USB-COM (CDC ACM) mode is the serial path
 * (native-serial.ts) and carries UTF-8 unchanged.
 */

export const BOOT_REPORT_BYTES = 8;

const MOD_SHIFT = 0x02 | 0x20;
const MOD_ALT = 0x04 | 0x40;
const MOD_CTRL_GUI = 0x01 | 0x10 | 0x08 | 0x80;

const LETTERS_FIRST = 0x04; // a
const LETTERS_LAST = 0x1d; // z
const DIGITS_FIRST = 0x1e; // 1 .. 9 then 0 at 0x27
const KEY_ENTER = 0x28;
const KEY_TAB = 0x2b;
const KEY_SPACE = 0x2c;
const KEY_CAPS_LOCK = 0x39;
const KEYPAD_ENTER = 0x58;
const KEYPAD_1 = 0x59;
const KEYPAD_0 = 0x62;

const SHIFTED_DIGITS = '!@#$%^&*()';

/** Punctuation keys of the US layout, usage -> [plain, shifted] (HID Usage Tables §10). */
const PUNCTUATION: ReadonlyMap<number, readonly [string, string]> = new Map([
  [0x2d, ['-', '_']],
  [0x2e, ['=', '+']],
  [0x2f, ['[', '{']],
  [0x30, [']', '}']],
  [0x31, ['\\', '|']],
  [0x32, ['#', '~']], // Non-US # and ~; US keyboards report 0x31 for the same key
  [0x33, [';', ':']],
  [0x34, ["'", '"']],
  [0x35, ['`', '~']],
  [0x36, [',', '<']],
  [0x37, ['.', '>']],
  [0x38, ['/', '?']],
  [0x54, ['/', '/']],
  [0x55, ['*', '*']],
  [0x56, ['-', '-']],
  [0x57, ['+', '+']],
  [0x63, ['.', '.']],
]);

export interface KeyboardFold {
  /** Characters typed by this report; Enter is '\r', Tab '\t'. */
  readonly text: string;
  /** Keys pressed that have no character in the layout (F-keys, arrows, Ctrl shortcuts). */
  readonly unmapped: number;
  /** The report was not a boot keyboard report (wrong length or report ID): nothing decoded. */
  readonly malformed: boolean;
}

export interface KeyboardDecoderOptions {
  /** The report-ID byte prefixed by a composite device, if any. */
  readonly reportId?: number;
}

export class KeyboardReportDecoder {
  readonly #reportId: number | undefined;
  #previous = new Set<number>();
  #capsLock = false;
  #altDigits = '';
  #altHeld = false;
  readonly #cp1252 = new TextDecoder('windows-1252');

  constructor(options: KeyboardDecoderOptions = {}) {
    this.#reportId = options.reportId;
  }

  /** Folds one input report in; returns what it typed. Never throws for report contents. */
  fold(input: Uint8Array): KeyboardFold {
    let report = input;
    if (this.#reportId !== undefined) {
      if (report.length !== BOOT_REPORT_BYTES + 1 || report[0] !== this.#reportId)
        return { text: '', unmapped: 0, malformed: true };
      report = report.subarray(1);
    }
    if (report.length !== BOOT_REPORT_BYTES) return { text: '', unmapped: 0, malformed: true };
    const keys = report.subarray(2);
    if (keys.every((k) => k === 0x01)) return { text: '', unmapped: 0, malformed: false };
    const modifiers = report[0] ?? 0;
    const shift = (modifiers & MOD_SHIFT) !== 0;
    const alt = (modifiers & MOD_ALT) !== 0;
    const ctrl = (modifiers & MOD_CTRL_GUI) !== 0;
    let text = '';
    let unmapped = 0;

    if (this.#altHeld && !alt) text += this.#endAltCode();
    this.#altHeld = alt;

    const now = new Set<number>();
    for (const key of keys) {
      if (key === 0) continue;
      now.add(key);
      if (this.#previous.has(key)) continue;
      if (alt) {
        if (key >= KEYPAD_1 && key <= KEYPAD_0)
          this.#altDigits += key === KEYPAD_0 ? '0' : String(key - KEYPAD_1 + 1);
        else unmapped++;
        continue;
      }
      if (key === KEY_CAPS_LOCK) {
        this.#capsLock = !this.#capsLock;
        continue;
      }
      const char = ctrl ? undefined : this.#character(key, shift);
      if (char === undefined) unmapped++;
      else text += char;
    }
    this.#previous = now;
    return { text, unmapped, malformed: false };
  }

  #endAltCode(): string {
    const digits = this.#altDigits;
    this.#altDigits = '';
    if (digits === '') return '';
    const code = Number.parseInt(digits, 10);
    if (digits.startsWith('0') && code <= 0xff) return this.#cp1252.decode(Uint8Array.of(code));
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\uFFFD';
    return String.fromCodePoint(code);
  }

  #character(key: number, shift: boolean): string | undefined {
    if (key >= LETTERS_FIRST && key <= LETTERS_LAST) {
      const letter = String.fromCharCode(0x61 + key - LETTERS_FIRST);
      return shift !== this.#capsLock ? letter.toUpperCase() : letter;
    }
    if (key >= DIGITS_FIRST && key < DIGITS_FIRST + 10) {
      const index = key - DIGITS_FIRST;
      return shift ? SHIFTED_DIGITS[index] : String((index + 1) % 10);
    }
    if (key >= KEYPAD_1 && key <= KEYPAD_0) return key === KEYPAD_0 ? '0' : String(key - KEYPAD_1 + 1);
    if (key === KEY_ENTER || key === KEYPAD_ENTER) return '\r';
    if (key === KEY_TAB) return '\t';
    if (key === KEY_SPACE) return ' ';
    const pair = PUNCTUATION.get(key);
    return pair ? pair[shift ? 1 : 0] : undefined;
  }
}

/**
 * The reports a keyboard-wedge scanner sends to type `text` (US layout), each key pressed then all
 * released, so repeated characters register. Characters outside the layout are typed as ALT +
 * keypad Unicode code points (the scanners' Unicode mode). For simulators and tests.
 */
export function keyboardReportsFor(text: string): Uint8Array[] {
  const reports: Uint8Array[] = [];
  const release = () => reports.push(new Uint8Array(BOOT_REPORT_BYTES));
  const press = (modifiers: number, key: number) => {
    const r = new Uint8Array(BOOT_REPORT_BYTES);
    r[0] = modifiers;
    r[2] = key;
    reports.push(r);
  };
  for (const char of text) {
    const stroke = keyFor(char);
    if (stroke) {
      press(stroke.shift ? 0x02 : 0, stroke.key);
      release();
      continue;
    }
    const code = char.codePointAt(0) ?? 0xfffd;
    for (const digit of String(code)) {
      const d = Number(digit);
      press(0x04, d === 0 ? KEYPAD_0 : KEYPAD_1 + d - 1);
      const hold = new Uint8Array(BOOT_REPORT_BYTES);
      hold[0] = 0x04;
      reports.push(hold);
    }
    release();
  }
  return reports;
}

function keyFor(char: string): { key: number; shift: boolean } | undefined {
  if (char >= 'a' && char <= 'z') return { key: LETTERS_FIRST + char.charCodeAt(0) - 0x61, shift: false };
  if (char >= 'A' && char <= 'Z') return { key: LETTERS_FIRST + char.charCodeAt(0) - 0x41, shift: true };
  if (char >= '1' && char <= '9') return { key: DIGITS_FIRST + char.charCodeAt(0) - 0x31, shift: false };
  if (char === '0') return { key: DIGITS_FIRST + 9, shift: false };
  const shiftedDigit = SHIFTED_DIGITS.indexOf(char);
  if (shiftedDigit >= 0) return { key: DIGITS_FIRST + shiftedDigit, shift: true };
  if (char === '\r' || char === '\n') return { key: KEY_ENTER, shift: false };
  if (char === '\t') return { key: KEY_TAB, shift: false };
  if (char === ' ') return { key: KEY_SPACE, shift: false };
  for (const [key, [plain, shifted]] of PUNCTUATION) {
    if (key > 0x38) break; // keypad keys: the main keys are the ones a scanner uses
    if (key === 0x32) continue;
    if (plain === char) return { key, shift: false };
    if (shifted === char) return { key, shift: true };
  }
  return undefined;
}
