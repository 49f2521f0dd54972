import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../drivers/barcode/line-framer.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('LineFramer: scanned lines from a byte stream', () => {
  it('joins a line split across chunks, also inside a multi-byte UTF-8 letter', () => {
    const framer = new LineFramer();
    const bytes = utf8('Nguyễn|01011999\r');
    const out = [];
    for (let at = 0; at < bytes.length; at += 3) out.push(...framer.push(bytes.subarray(at, at + 3), at));
    expect(out).toEqual([{ kind: 'line', text: 'Nguyễn|01011999', bytes: bytes.length - 1 }]);
  });

  it('cuts several lines from one chunk and drops the empty line of CR LF', () => {
    const framer = new LineFramer();
    expect(
      framer.push(utf8('a\r\nb\r\n\r\nc'), 0).map((l) => (l.kind === 'line' ? l.text : l.reason)),
    ).toEqual(['a', 'b']);
    expect(framer.pending).toBe(true);
    expect(framer.push(utf8('\n'), 1)).toEqual([{ kind: 'line', text: 'c', bytes: 1 }]);
  });

  it('uses only the configured terminators: with Tab, CR is part of nothing and Tab ends the line', () => {
    const framer = new LineFramer({ terminators: ['TAB'] });
    expect(framer.push(utf8('x|y\t'), 0)).toEqual([{ kind: 'line', text: 'x|y', bytes: 3 }]);
    expect(() => new LineFramer({ terminators: [] })).toThrow(RangeError);
  });

  it('drops a line longer than the bound once, as overlong, and reads the next line normally', () => {
    const framer = new LineFramer({ maxLineBytes: 4096 });
    const long = new Uint8Array(5000).fill(0x41);
    const out = [...framer.push(long.subarray(0, 3000), 0), ...framer.push(long.subarray(3000), 1)];
    expect(out).toEqual([]);
    expect(framer.push(utf8('\rok\r'), 2)).toEqual([
      { kind: 'problem', reason: 'overlong', bytes: 5000 },
      { kind: 'line', text: 'ok', bytes: 2 },
    ]);
    // Exactly at the bound is still a line.
    const exact = new Uint8Array(4097).fill(0x42);
    exact[4096] = 0x0d;
    expect(framer.push(exact, 3)).toMatchObject([{ kind: 'line', bytes: 4096 }]);
  });

  it('reports a line left without its terminator past the timeout as partial, and then starts afresh', () => {
    const framer = new LineFramer({ partialLineMs: 500 });
    framer.push(utf8('0010990'), 1000);
    expect(framer.deadline).toBe(1500);
    expect(framer.expire(1499)).toBeUndefined();
    expect(framer.expire(1500)).toEqual({ kind: 'problem', reason: 'partial', bytes: 7 });
    expect(framer.pending).toBe(false);
    // A gap inside push does the same before the new bytes start.
    framer.push(utf8('abc'), 2000);
    expect(framer.push(utf8('def\r'), 2600)).toEqual([
      { kind: 'problem', reason: 'partial', bytes: 3 },
      { kind: 'line', text: 'def', bytes: 3 },
    ]);
  });

  it('delivers a silence-ended line as a scan when the scanner sends no suffix (idleEndsLine)', () => {
    const framer = new LineFramer({ idleEndsLine: true, partialLineMs: 100 });
    framer.push(utf8('001099012345'), 0);
    expect(framer.expire(100)).toEqual({ kind: 'line', text: '001099012345', bytes: 12 });
  });

  it('says not-utf8 for a line in a legacy code page', () => {
    const framer = new LineFramer();
    expect(framer.push(Uint8Array.of(0x4e, 0xe0, 0x6e, 0x0d), 0)).toEqual([
      { kind: 'problem', reason: 'not-utf8', bytes: 3 },
    ]);
  });

  it('gives the same lines however the stream is cut into chunks (property)', () => {
    const lineText = fc.string({
      unit: fc.constantFrom('a', 'Z', '0', '|', ' ', 'ễ', 'Đ', '\r', '\n'),
      maxLength: 60,
    });
    fc.assert(
      fc.property(
        lineText,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }),
        (text, cuts) => {
          const bytes = utf8(text);
          const whole = new LineFramer().push(bytes, 0);
          const framer = new LineFramer();
          const pieces: ReturnType<LineFramer['push']> = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const step = cuts[i % cuts.length] ?? 1;
            pieces.push(...framer.push(bytes.subarray(at, at + step), 0));
            at += step;
          }
          expect(pieces).toEqual(whole);
        },
      ),
      { seed: 19, numRuns: 300 },
    );
  });
});
