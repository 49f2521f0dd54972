/**
 * WSQ failure behaviour: the encoder's typed argument errors, and the decoder on truncated,
 * reordered, oversized, overflowing and random input (never a throw, never a hang, always an offset).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodeErrorReason, DecodeResult } from '../../../protocol/result.ts';
import { encodeWsqWith } from '../../../protocol/wsq/encoder.ts';
import { decodeWsq, encodeWsq, inspectWsq, type WsqEncodeErrorReason } from '../../../protocol/wsq/index.ts';
import { readFixture } from '../../support/fixtures.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const nist = readFixture('wsq/nistFinger_500x500_cwsq075.wsq');

// Segment offsets in NIST's file (inspectWsq, and shared/reference/biometrics.md row 9).
const COM = 2;
const DTT = 126;
const DQT = 186;
const SOF = 577;
const DHT1 = 596;
const SOB1 = 732;
const DHT2 = 8570;
const SOB3 = 18303;
const EOI = 22034;

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const part = (from: number, to: number) => nist.subarray(from, to);

function patched(at: number, ...values: number[]): Uint8Array {
  const copy = nist.slice();
  copy.set(values, at);
  return copy;
}

function expectError(r: DecodeResult<unknown>, reason: DecodeErrorReason, offset?: number): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.reason).toBe(reason);
  if (offset !== undefined) expect(r.error.offset).toBe(offset);
  expect(r.error.detail.length).toBeGreaterThan(0);
}

describe('encoder arguments', () => {
  const ok = new Uint8Array(81 * 81);
  it.each([
    ['1x1', new Uint8Array(1), { width: 1, height: 1 }, 'too-small'],
    ['80x81', new Uint8Array(80 * 81), { width: 80, height: 81 }, 'too-small'],
    ['81x80', new Uint8Array(81 * 80), { width: 81, height: 80 }, 'too-small'],
    ['zero width', ok, { width: 0, height: 81 }, 'invalid-size'],
    ['negative height', ok, { width: 81, height: -81 }, 'invalid-size'],
    ['fractional size', ok, { width: 81.5, height: 81 }, 'invalid-size'],
    ['NaN size', ok, { width: Number.NaN, height: 81 }, 'invalid-size'],
    ['8193 wide', ok, { width: 8193, height: 81 }, 'too-large'],
    ['over 40 MP', ok, { width: 8000, height: 6000 }, 'too-large'],
    ['short buffer', new Uint8Array(81 * 80), { width: 81, height: 81 }, 'length-mismatch'],
    ['long buffer', new Uint8Array(81 * 82), { width: 81, height: 81 }, 'length-mismatch'],
    ['zero bit rate', ok, { width: 81, height: 81, bitRate: 0 }, 'invalid-bit-rate'],
    ['negative bit rate', ok, { width: 81, height: 81, bitRate: -0.75 }, 'invalid-bit-rate'],
    ['NaN bit rate', ok, { width: 81, height: 81, bitRate: Number.NaN }, 'invalid-bit-rate'],
    [
      'infinite bit rate',
      ok,
      { width: 81, height: 81, bitRate: Number.POSITIVE_INFINITY },
      'invalid-bit-rate',
    ],
    ['bit rate above 8', ok, { width: 81, height: 81, bitRate: 8.5 }, 'invalid-bit-rate'],
    ['ppi 0', ok, { width: 81, height: 81, ppi: 0 }, 'invalid-ppi'],
    ['fractional ppi', ok, { width: 81, height: 81, ppi: 499.5 }, 'invalid-ppi'],
  ] as const)('refuses %s with a typed result, not a throw', (_name, pixels, options, reason) => {
    const r = encodeWsq(pixels, options);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe(reason satisfies WsqEncodeErrorReason);
      expect(r.error.detail.length).toBeGreaterThan(0);
    }
  });

  it('refuses a non-Uint8Array buffer from untyped callers', () => {
    const r = encodeWsq(new Uint16Array(81 * 81) as unknown as Uint8Array, { width: 81, height: 81 });
    expect(r.ok || r.error.reason).toBe('length-mismatch');
  });

  it('accepts the boundaries: 81x81, bit rate 8, ppi -1 (unknown)', () => {
    const r = encodeWsq(ok, { width: 81, height: 81, bitRate: 8, ppi: -1 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = decodeWsq(r.value);
    expect(d.ok && d.value.ppi).toBeUndefined();
  });
});

describe('decoder: truncation', () => {
  it('reports every proper prefix of a valid file as truncated, at or before the cut', () => {
    for (let cut = 0; cut < nist.length; cut++) {
      const r = decodeWsq(nist.subarray(0, cut));
      if (r.ok) throw new Error(`prefix of ${cut} bytes decoded`);
      if (r.error.reason !== 'truncated' || r.error.offset > cut)
        throw new Error(`prefix ${cut}: ${r.error.reason} at ${r.error.offset}: ${r.error.detail}`);
    }
  });

  it('reports a block whose data ends early (EOI kept) without throwing', () => {
    const r = decodeWsq(concat(part(0, EOI - 1500), part(EOI, nist.length)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(['truncated', 'invalid-value']).toContain(r.error.reason);
  });
});

describe('decoder: marker order', () => {
  it.each([
    ['a second SOI', concat(part(0, 2), part(0, nist.length)), 2],
    ['EOI straight after SOI', concat(part(0, 2), part(EOI, nist.length)), 2],
    ['a second SOF', concat(part(0, DHT1), part(SOF, DHT1), part(DHT1, nist.length)), DHT1],
    ['a second DQT', concat(part(0, SOF), part(DQT, SOF), part(SOF, nist.length)), SOF],
    ['a second DTT', concat(part(0, DQT), part(DTT, DQT), part(DQT, nist.length)), DQT],
    [
      'SOB before SOF',
      concat(part(0, SOF), part(DHT1, DHT2), part(SOF, DHT1), part(DHT2, nist.length)),
      SOF + 136,
    ],
    ['SOB before DQT', concat(part(0, DQT), part(SOF, nist.length)), SOB1 - 391],
    ['EOI without a DTT', concat(part(0, DTT), part(DQT, nist.length)), EOI - 60],
    [
      'a restart marker between segments',
      concat(part(0, SOF), Uint8Array.of(0xff, 0xb0), part(SOF, nist.length)),
      SOF,
    ],
    ['an unknown marker (FFA9)', patched(DTT, 0xff, 0xa9), DTT],
    ["JPEG's RST0 (FFD0), which WSQ does not assign", patched(DTT, 0xff, 0xd0), DTT],
    ['bytes where a marker belongs', patched(DTT, 0x12, 0x34), DTT],
  ] as const)('rejects %s as invalid-value at its offset', (_name, bytes, offset) => {
    expectError(decodeWsq(bytes), 'invalid-value', offset);
  });

  it('rejects a restart marker inside entropy-coded data when no DRT defined an interval', () => {
    const at = SOB1 + 5 + 100;
    const bytes = concat(part(0, at), Uint8Array.of(0xff, 0xb0), part(at, nist.length));
    expectError(decodeWsq(bytes), 'invalid-value', at);
  });

  it('rejects restart markers out of sequence (a lost segment)', () => {
    const e = encodeWsqWith(
      readFixture('wsq/nistFinger_500x500.raw'),
      { width: 500, height: 500 },
      { restartInterval: 64 },
    );
    expect(e.ok).toBe(true);
    if (!e.ok) return;
    const info = inspectWsq(e.value);
    const second = info.ok ? info.value.markers.filter((m) => m.name.startsWith('RST'))[1] : undefined;
    expect(second?.name).toBe('RST1');
    if (!second) return;
    expect(decodeWsq(e.value).ok).toBe(true);
    const bytes = e.value.slice();
    bytes[second.offset + 1] = 0xb3;
    expectError(decodeWsq(bytes), 'invalid-value', second.offset);
  });

  it('rejects bytes after EOI as trailing data', () => {
    expectError(decodeWsq(concat(nist, Uint8Array.of(0))), 'trailing-data', nist.length);
  });

  it('rejects a SOB that names a table no DHT defined', () => {
    expectError(decodeWsq(patched(SOB1 + 4, 5)), 'invalid-value', SOB1 + 4);
    expectError(decodeWsq(patched(SOB1 + 4, 8)), 'invalid-value', SOB1 + 4);
  });
});

describe('decoder: segment contents', () => {
  it('rejects a Huffman table that overflows the code space, at its BITS', () => {
    // 3 codes of length 1 cannot exist.
    expectError(decodeWsq(patched(DHT1 + 5, 3, 0, 1)), 'invalid-value', DHT1 + 5);
  });

  it('rejects a DHT table id above 7 and a DHT whose symbols run past its length', () => {
    expectError(decodeWsq(patched(DHT1 + 4, 9)), 'invalid-value', DHT1 + 4);
    expectError(decodeWsq(patched(DHT1 + 2, 0, 30)), 'invalid-value');
  });

  it('rejects segment lengths that disagree with their format', () => {
    expectError(decodeWsq(patched(SOF + 2, 0, 18)), 'invalid-value', SOF + 2);
    expectError(decodeWsq(patched(DQT + 2, 0x01, 0x86)), 'invalid-value', DQT + 2);
    expectError(decodeWsq(patched(DTT + 2, 0, 59)), 'invalid-value', DTT + 2);
    expectError(decodeWsq(patched(COM + 2, 0, 1)), 'invalid-value', COM + 2);
  });

  it('reports filters mixing odd and even lengths as unsupported', () => {
    // 9/8 needs as many stored taps as 9/7, so only the length byte changes.
    expectError(decodeWsq(patched(DTT + 5, 8)), 'unsupported', DTT + 4);
  });

  it('refuses a 10000x10000 frame before allocating anything', () => {
    const bytes = patched(SOF + 6, 0x27, 0x10, 0x27, 0x10);
    const start = performance.now();
    const r = decodeWsq(bytes);
    expect(performance.now() - start).toBeLessThan(50);
    expectError(r, 'too-large', SOF + 6);
    expectError(inspectWsq(bytes), 'too-large', SOF + 6);
    // 8000x6000 is within the side limit but above 40 MP.
    expectError(decodeWsq(patched(SOF + 6, 0x17, 0x70, 0x1f, 0x40)), 'too-large', SOF + 6);
  });

  it('refuses frames below 64x64 as unsupported and a zero side as invalid', () => {
    expectError(decodeWsq(patched(SOF + 6, 0, 1, 0, 1)), 'unsupported', SOF + 6);
    expectError(decodeWsq(patched(SOF + 6, 0, 0, 0x01, 0xf4)), 'invalid-value', SOF + 6);
  });

  it('rejects coefficients beyond the last coded subband (a block decoded twice)', () => {
    const r = decodeWsq(concat(part(0, EOI), part(SOB3, EOI), part(EOI, nist.length)));
    expectError(r, 'invalid-value');
    if (!r.ok) expect(r.error.offset).toBeGreaterThanOrEqual(EOI);
  });

  it('rejects blocks that hold fewer coefficients than the DQT calls for', () => {
    expectError(decodeWsq(concat(part(0, SOB3), part(EOI, nist.length))), 'invalid-value', SOB3);
  });
});

describe('decoder: arbitrary input never throws or hangs', () => {
  const isResult = (r: DecodeResult<unknown>, length: number) =>
    r.ok
      ? r.value !== undefined
      : r.error.offset >= 0 && r.error.offset <= length && r.error.detail.length > 0;

  it('returns a result for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const r = decodeWsq(bytes);
        return !r.ok && isResult(r, bytes.length) && isResult(inspectWsq(bytes), bytes.length);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('returns a result for a valid header followed by random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (tail) => {
        const bytes = concat(part(0, SOB1 + 5), tail);
        return isResult(decodeWsq(bytes), bytes.length);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('returns a result, within a bounded time, for mutated NIST files', () => {
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat(nist.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }),
      // Half the edits land in the headers, where every byte matters.
      headerEdits: fc.array(fc.tuple(fc.nat(SOB1 + 4), fc.nat(255)), { maxLength: 3 }),
      cut: fc.option(fc.nat(nist.length), { freq: 4 }),
      insert: fc.option(fc.tuple(fc.nat(nist.length), fc.uint8Array({ minLength: 1, maxLength: 8 })), {
        freq: 4,
      }),
    });
    let slowest = 0;
    fc.assert(
      fc.property(mutation, ({ edits, headerEdits, cut, insert }) => {
        let bytes: Uint8Array = nist.slice();
        for (const [at, v] of [...edits, ...headerEdits]) bytes[at] = v;
        if (insert) bytes = concat(bytes.subarray(0, insert[0]), insert[1], bytes.subarray(insert[0]));
        if (cut !== null) bytes = bytes.subarray(0, cut);
        const start = performance.now();
        const r = decodeWsq(bytes);
        slowest = Math.max(slowest, performance.now() - start);
        if (r.ok && (r.value.width * r.value.height !== r.value.pixels.length || r.value.pixels.length === 0))
          return false;
        return isResult(r, bytes.length);
      }),
      { seed, numRuns: 200 },
    );
    expect(slowest).toBeLessThan(1000);
  });
});
