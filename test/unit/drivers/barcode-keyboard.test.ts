import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyboardReportDecoder, keyboardReportsFor } from '../../../drivers/barcode/keyboard.ts';

/** A boot keyboard report: modifiers, reserved, then up to six key usages. */
function report(modifiers: number, ...keys: number[]): Uint8Array {
  const r = new Uint8Array(8);
  r[0] = modifiers;
  r.set(keys, 2);
  return r;
}
const RELEASE = report(0);
const SHIFT = 0x02;
const RIGHT_SHIFT = 0x20;
const ALT = 0x04;

/** Types one key (press then release) and returns what the decoder made of it. */
function typed(decoder: KeyboardReportDecoder, modifiers: number, key: number): string {
  const text = decoder.fold(report(modifiers, key)).text;
  return text + decoder.fold(RELEASE).text;
}

describe('KeyboardReportDecoder: a keyboard-wedge scanner typing (US layout, boot reports)', () => {
  it.each([
    { key: 0x04, modifiers: 0, char: 'a' },
    { key: 0x04, modifiers: SHIFT, char: 'A' },
    { key: 0x1d, modifiers: RIGHT_SHIFT, char: 'Z' },
    { key: 0x1e, modifiers: 0, char: '1' },
    { key: 0x26, modifiers: 0, char: '9' },
    { key: 0x27, modifiers: 0, char: '0' },
    { key: 0x1e, modifiers: SHIFT, char: '!' },
    { key: 0x1f, modifiers: SHIFT, char: '@' },
    { key: 0x27, modifiers: SHIFT, char: ')' },
    { key: 0x31, modifiers: SHIFT, char: '|' },
    { key: 0x31, modifiers: 0, char: '\\' },
    { key: 0x2d, modifiers: 0, char: '-' },
    { key: 0x36, modifiers: 0, char: ',' },
    { key: 0x37, modifiers: 0, char: '.' },
    { key: 0x38, modifiers: SHIFT, char: '?' },
    { key: 0x2c, modifiers: 0, char: ' ' },
    { key: 0x28, modifiers: 0, char: '\r' },
    { key: 0x58, modifiers: 0, char: '\r' },
    { key: 0x2b, modifiers: 0, char: '\t' },
    { key: 0x59, modifiers: 0, char: '1' },
    { key: 0x62, modifiers: 0, char: '0' },
  ])('usage $key with modifiers $modifiers types $char', ({ key, modifiers, char }) => {
    expect(typed(new KeyboardReportDecoder(), modifiers, key)).toBe(char);
  });

  it('counts a key held over several reports once, and a repeated character once per press', () => {
    const d = new KeyboardReportDecoder();
    expect(d.fold(report(0, 0x1e)).text).toBe('1');
    expect(d.fold(report(0, 0x1e)).text).toBe('');
    expect(d.fold(RELEASE).text).toBe('');
    expect(d.fold(report(0, 0x1e)).text).toBe('1');
    // Two keys in one report, the first still held: only the new one types.
    expect(d.fold(report(0, 0x1e, 0x1f)).text).toBe('2');
  });

  it('follows Caps Lock, which Shift inverts', () => {
    const d = new KeyboardReportDecoder();
    expect(typed(d, 0, 0x39)).toBe('');
    expect(typed(d, 0, 0x04)).toBe('A');
    expect(typed(d, SHIFT, 0x04)).toBe('a');
    expect(typed(d, 0, 0x1e)).toBe('1');
  });

  it('ignores an ErrorRollOver report and counts keys with no character', () => {
    const d = new KeyboardReportDecoder();
    expect(d.fold(report(0, 1, 1, 1, 1, 1, 1))).toEqual({ text: '', unmapped: 0, malformed: false });
    expect(d.fold(report(0, 0x3a))).toMatchObject({ text: '', unmapped: 1 }); // F1
    expect(d.fold(report(0x01, 0x06))).toMatchObject({ text: '', unmapped: 1 }); // Ctrl+C
  });

  it('refuses reports of the wrong length or report ID as malformed, and strips a configured report ID', () => {
    expect(new KeyboardReportDecoder().fold(new Uint8Array(7)).malformed).toBe(true);
    const withId = new KeyboardReportDecoder({ reportId: 1 });
    expect(withId.fold(Uint8Array.of(1, SHIFT, 0, 0x31, 0, 0, 0, 0, 0)).text).toBe('|');
    expect(withId.fold(Uint8Array.of(2, 0, 0, 0x04, 0, 0, 0, 0, 0)).malformed).toBe(true);
  });

  it('decodes ALT + keypad Unicode code points (Vietnamese) and ALT+0nnn Windows-1252', () => {
    const d = new KeyboardReportDecoder();
    // ữ is U+1EEF = 7919: Alt held, keypad 7 9 1 9, Alt released.
    const digits = [0x59 + 6, 0x59 + 8, 0x59, 0x59 + 8];
    let text = '';
    for (const key of digits) {
      text += d.fold(report(ALT, key)).text;
      text += d.fold(report(ALT)).text;
    }
    expect(text).toBe('');
    expect(d.fold(RELEASE).text).toBe('ữ');
    // Alt+0128 is the euro sign in Windows-1252.
    for (const key of [0x62, 0x59, 0x59 + 1, 0x59 + 7]) {
      d.fold(report(ALT, key));
      d.fold(report(ALT));
    }
    expect(d.fold(RELEASE).text).toBe('€');
  });

  it('round-trips a CCCD QR text through the reports a scanner sends', () => {
    const text =
      '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024\r';
    const d = new KeyboardReportDecoder();
    const out = keyboardReportsFor(text)
      .map((r) => d.fold(r).text)
      .join('');
    expect(out).toBe(text);
  });

  it('never throws on arbitrary reports, and calls every report not 8 bytes long malformed (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 30 }), (reports) => {
        const d = new KeyboardReportDecoder();
        for (const r of reports) {
          const out = d.fold(r);
          if (r.length !== 8) expect(out.malformed).toBe(true);
          expect(typeof out.text).toBe('string');
        }
      }),
      { seed: 19, numRuns: 300 },
    );
  });
});
