/**
 * WSQ conformance against NIST's reference implementation (NBIS cwsq/dwsq) on the shared fixtures:
 * shared/fixtures/README.md, wsq/.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeWsq,
  encodeWsq,
  inspectWsq,
  maxAbsDifference,
  psnr,
  type WsqInfo,
} from '../../../protocol/wsq/index.ts';
import { STANDARD_FILTERS } from '../../../protocol/wsq/transform.ts';
import { readFixture } from '../../support/fixtures.ts';

const original = readFixture('wsq/nistFinger_500x500.raw');
const nistFile = readFixture('wsq/nistFinger_500x500_cwsq075.wsq');
const nistDecoded = readFixture('wsq/nistFinger_500x500_cwsq075_dwsq.raw');

function inspect(bytes: Uint8Array): WsqInfo {
  const r = inspectWsq(bytes);
  if (!r.ok) throw new Error(`inspect failed: ${r.error.reason} at ${r.error.offset}: ${r.error.detail}`);
  return r.value;
}

function encode(bitRate: number): Uint8Array {
  const r = encodeWsq(original, { width: 500, height: 500, bitRate });
  if (!r.ok) throw new Error(`encode failed: ${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

const ours = encode(0.75);
const nistInfo = inspect(nistFile);
const ourInfo = inspect(ours);

describe('decoding NIST cwsq output', () => {
  it('reproduces NIST dwsq within one grey level on every pixel', () => {
    const r = decodeWsq(nistFile);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.width).toBe(500);
    expect(r.value.height).toBe(500);
    expect(r.value.ppi).toBe(500);
    expect(maxAbsDifference(r.value.pixels, nistDecoded)).toBeLessThanOrEqual(1);
    // And it is the same lossy image: NIST's 28.85 dB against the original.
    expect(psnr(original, r.value.pixels)).toBeCloseTo(28.85, 1);
  });

  it('reads the layout cwsq writes: 3 blocks, 2 Huffman tables, NISTCOM first', () => {
    expect(nistInfo.markers.map((m) => m.name)).toEqual([
      'SOI',
      'COM',
      'DTT',
      'DQT',
      'SOF',
      'DHT',
      'SOB',
      'DHT',
      'SOB',
      'SOB',
      'EOI',
    ]);
    expect(nistInfo.bytes).toBe(22036);
    expect(nistInfo.bitsPerPixel).toBeCloseTo(0.705, 3);
    expect(nistInfo.nistcom).toEqual({
      NIST_COM: '9',
      PIX_WIDTH: '500',
      PIX_HEIGHT: '500',
      PIX_DEPTH: '8',
      PPI: '500',
      LOSSY: '1',
      COLORSPACE: 'GRAY',
      COMPRESSION: 'WSQ',
      WSQ_BITRATE: '0.750000',
    });
    expect(nistInfo.targetBitRate).toBe(0.75);
    expect(nistInfo.frame).toEqual({
      black: 0,
      white: 255,
      shift: 123.59,
      scale: 0.9343,
      encoder: 2,
      software: 0,
    });
    expect(nistInfo.blocks.map((b) => b.table)).toEqual([0, 1, 1]);
    expect(nistInfo.binCenter).toBe(0.44);
    // DQT entry 0 is 03 7203 03 88D0: Q = 29187 / 10^3, Z = 35024 / 10^3.
    expect(nistInfo.subbands[0]).toMatchObject({
      q: 29.187,
      z: 35.024,
      block: 1,
      x: 0,
      y: 0,
      width: 16,
      height: 16,
    });
    expect(nistInfo.subbands.slice(60).every((s) => !s.coded && s.block === undefined)).toBe(true);
  });

  it("carries the Part 3 9/7 filters in its DTT (to NBIS's float precision)", () => {
    nistInfo.filters.lowpass.forEach((v, i) => {
      expect(v).toBeCloseTo(STANDARD_FILTERS.lowpass[i] ?? Number.NaN, 6);
    });
    nistInfo.filters.highpass.forEach((v, i) => {
      expect(v).toBeCloseTo(STANDARD_FILTERS.highpass[i] ?? Number.NaN, 6);
    });
  });
});

describe('encoding like NIST cwsq at 0.75 bpp', () => {
  it('codes the same subbands with Q_k and Z_k within 1% of NIST', () => {
    const coded = (info: WsqInfo) => info.subbands.filter((s) => s.coded).map((s) => s.index);
    expect(coded(ourInfo)).toEqual(coded(nistInfo));
    let worst = 0;
    for (const nist of nistInfo.subbands) {
      if (!nist.coded) continue;
      const mine = ourInfo.subbands[nist.index];
      const q = Math.abs((mine?.q ?? 0) / nist.q - 1);
      const z = Math.abs((mine?.z ?? 0) / nist.z - 1);
      expect(q, `Q of subband ${nist.index}`).toBeLessThan(0.01);
      expect(z, `Z of subband ${nist.index}`).toBeLessThan(0.01);
      worst = Math.max(worst, q, z);
    }
    expect(worst).toBeLessThan(0.01);
  });

  it("lands within 10% of NIST's 22,036 bytes, under the target rate", () => {
    expect(Math.abs(ours.length / 22036 - 1)).toBeLessThan(0.1);
    expect(ourInfo.bitsPerPixel).toBeLessThanOrEqual(0.75);
  });

  it('reconstructs at 28.6 dB or better (NIST: 28.85)', () => {
    const r = decodeWsq(ours);
    expect(r.ok).toBe(true);
    if (r.ok) expect(psnr(original, r.value.pixels)).toBeGreaterThanOrEqual(28.6);
  });

  it('writes the bitstream a conformant decoder expects: cwsq layout, SOF and DTT fields, NISTCOM', () => {
    expect(ourInfo.markers.map((m) => m.name)).toEqual(nistInfo.markers.map((m) => m.name));
    // Same fixed-size segments as NIST's: COM 124, DTT 60, DQT 391, SOF 19 bytes with markers.
    expect(ourInfo.markers.slice(0, 5).map((m) => m.length)).toEqual(
      nistInfo.markers.slice(0, 5).map((m) => m.length),
    );
    expect(ourInfo.frame).toEqual(nistInfo.frame);
    expect(ourInfo.nistcom).toEqual(nistInfo.nistcom);
    expect(ourInfo.binCenter).toBe(0.44);
    expect(ourInfo.filters.lowpass.length).toBe(9);
    expect(ourInfo.filters.highpass.length).toBe(7);
    ourInfo.filters.lowpass.forEach((v, i) => {
      expect(v).toBeCloseTo(STANDARD_FILTERS.lowpass[i] ?? Number.NaN, 9);
    });
    ourInfo.filters.highpass.forEach((v, i) => {
      expect(v).toBeCloseTo(STANDARD_FILTERS.highpass[i] ?? Number.NaN, 9);
    });
    expect(ourInfo.blocks.map((b) => b.table)).toEqual([0, 1, 1]);
  });

  it('uses only Huffman categories 1 .. 253 (no +74 shortcut, no undefined codes)', () => {
    // DHT values follow the 16 BITS bytes; collect them from both tables.
    const symbols: number[] = [];
    for (const m of ourInfo.markers.filter((x) => x.name === 'DHT')) {
      const bits = ours.subarray(m.offset + 5, m.offset + 21);
      const count = bits.reduce((a, b) => a + b, 0);
      symbols.push(...ours.subarray(m.offset + 21, m.offset + 21 + count));
    }
    expect(symbols.length).toBeGreaterThan(100);
    expect(Math.min(...symbols)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...symbols)).toBeLessThanOrEqual(253);
  });
});

describe('encoding at 2.25 bpp ("5:1")', () => {
  it("lands within 10% of NIST's 71,194 bytes at 36 dB or better (NIST: 36.5)", () => {
    const bytes = encode(2.25);
    expect(Math.abs(bytes.length / 71194 - 1)).toBeLessThan(0.1);
    const r = decodeWsq(bytes);
    expect(r.ok).toBe(true);
    if (r.ok) expect(psnr(original, r.value.pixels)).toBeGreaterThanOrEqual(36);
    expect(inspect(bytes).targetBitRate).toBe(2.25);
  });
});
