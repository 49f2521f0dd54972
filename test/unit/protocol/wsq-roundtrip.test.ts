/**
 * WSQ round trips through our own encoder and decoder: real and synthetic prints, odd sizes, flat
 * images, and the Part 1 decoder features our default encoder does not use (other filter banks,
 * restart markers, more Huffman tables).
 */
import { describe, expect, it } from 'vitest';
import { encodeWsqWith, type WsqEncoderInternals } from '../../../protocol/wsq/encoder.ts';
import {
  decodeWsq,
  encodeWsq,
  inspectWsq,
  MIN_ENCODE_SIDE,
  maxAbsDifference,
  psnr,
  type WsqImage,
} from '../../../protocol/wsq/index.ts';
import type { FilterBank } from '../../../protocol/wsq/transform.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';
import { readFixture } from '../../support/fixtures.ts';

const finger = readFixture('wsq/nistFinger_500x500.raw');

function crop(x0: number, y0: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) out.set(finger.subarray((y0 + y) * 500 + x0, (y0 + y) * 500 + x0 + w), y * w);
  return out;
}

function roundTrip(
  pixels: Uint8Array,
  width: number,
  height: number,
  bitRate = 0.75,
  internals: WsqEncoderInternals = {},
): { bytes: Uint8Array; image: WsqImage } {
  const e = encodeWsqWith(pixels, { width, height, bitRate }, internals);
  if (!e.ok) throw new Error(`encode failed: ${e.error.reason}: ${e.error.detail}`);
  const d = decodeWsq(e.value);
  if (!d.ok) throw new Error(`decode failed: ${d.error.reason} at ${d.error.offset}: ${d.error.detail}`);
  return { bytes: e.value, image: d.value };
}

describe('round trip at 0.75 bpp', () => {
  it('keeps the NIST finger at 28.6 dB or better', () => {
    const { bytes, image } = roundTrip(finger, 500, 500);
    expect(image).toMatchObject({ width: 500, height: 500, ppi: 500 });
    expect(image.pixels.length).toBe(250000);
    expect(psnr(finger, image.pixels)).toBeGreaterThanOrEqual(28.6);
    expect((8 * bytes.length) / 250000).toBeLessThanOrEqual(0.75);
  });

  // Measured 27.0 .. 29.6 dB on person seeds 1 .. 6 (and NIST cwsq gives 22.6 dB on another
  // synthetic print of ours): 26 dB is the floor below which ridges visibly smear.
  it.each([1, 2, 3])(
    'keeps a synthetic 500x500 print (person %i) at 26 dB or better, under 0.75 bpp',
    (personSeed) => {
      const print = renderFinger({ personSeed, width: 500, height: 500 }).image;
      const { bytes, image } = roundTrip(print.pixels, 500, 500);
      expect(psnr(print.pixels, image.pixels)).toBeGreaterThanOrEqual(26);
      expect((8 * bytes.length) / 250000).toBeLessThanOrEqual(0.75);
    },
  );

  it.each([
    [MIN_ENCODE_SIDE, MIN_ENCODE_SIDE],
    [83, 97],
    [301, 257],
    [499, 81],
  ])('handles a %ix%i crop (odd and minimum sizes) at 27 dB or better', (w, h) => {
    const pixels = crop(50, 60, w, h);
    const { image } = roundTrip(pixels, w, h);
    expect(image.width).toBe(w);
    expect(image.height).toBe(h);
    expect(psnr(pixels, image.pixels)).toBeGreaterThanOrEqual(27);
  });

  it('gets better with the bit rate', () => {
    const pixels = crop(50, 60, 301, 257);
    const scores = [0.3, 0.75, 2.25, 8].map((rate) =>
      psnr(pixels, roundTrip(pixels, 301, 257, rate).image.pixels),
    );
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThan(scores[i - 1] ?? 0);
    // WSQ never codes the level-1 high-high quadrant, which caps the quality of fine detail.
    expect(scores[3]).toBeGreaterThan(38);
  });

  it.each([0, 200, 255])('restores a flat image of grey %i exactly, with no subband coded', (grey) => {
    const pixels = new Uint8Array(81 * 96).fill(grey);
    const { bytes, image } = roundTrip(pixels, 81, 96);
    expect(maxAbsDifference(pixels, image.pixels)).toBe(0);
    const info = inspectWsq(bytes);
    expect(info.ok && info.value.subbands.every((s) => !s.coded)).toBe(true);
  });

  it('keeps smooth images faithful at every rate (few subbands, no 16-bit index overflow)', () => {
    const w = 128;
    const h = 96;
    const ramp = Uint8Array.from({ length: w * h }, (_, i) => (i % w) * 2);
    const halves = Uint8Array.from({ length: w * h }, (_, i) => (i % w < 64 ? 10 : 240));
    for (const rate of [0.75, 2.25, 8]) {
      expect(psnr(ramp, roundTrip(ramp, w, h, rate).image.pixels)).toBeGreaterThan(40);
      expect(psnr(halves, roundTrip(halves, w, h, rate).image.pixels)).toBeGreaterThan(50);
    }
  });

  it('returns exactly sized buffers that can be transferred to a worker', () => {
    const e = encodeWsq(crop(0, 0, 128, 96), { width: 128, height: 96, ppi: 1000 });
    expect(e.ok).toBe(true);
    if (!e.ok) return;
    expect(e.value.byteOffset).toBe(0);
    expect(e.value.buffer.byteLength).toBe(e.value.length);
    const d = decodeWsq(e.value);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.ppi).toBe(1000);
    expect(d.value.pixels.buffer.byteLength).toBe(128 * 96);
    const copy = structuredClone(d.value, { transfer: [d.value.pixels.buffer as ArrayBuffer] });
    expect(copy.pixels.length).toBe(128 * 96);
  });
});

// Filter banks a decoder must take from a DTT (Part 1): NBIS's even 8/8 test bank
// (globals.c FILTBANK_EVEN_8X8_1), the 5/3 (odd, not 9/7: the generic code path) and Haar (2/2).
const EVEN_8X8: FilterBank = {
  lowpass: Float64Array.of(
    0.07565691101399093,
    -0.12335584105275092,
    -0.09789296778409587,
    0.85269867900940344,
    0.85269867900940344,
    -0.09789296778409587,
    -0.12335584105275092,
    0.07565691101399093,
  ),
  highpass: Float64Array.of(
    0.03226944131446922,
    -0.05261415011924844,
    -0.18870142780632693,
    0.60328894481393847,
    -0.60328894481393847,
    0.18870142780632693,
    0.05261415011924844,
    -0.03226944131446922,
  ),
};
const LEGALL_5_3: FilterBank = {
  lowpass: Float64Array.of(-0.125, 0.25, 0.75, 0.25, -0.125).map((v) => v * Math.SQRT2),
  highpass: Float64Array.of(-0.5, 1, -0.5).map((v) => v * Math.SQRT1_2),
};
const HAAR: FilterBank = {
  lowpass: Float64Array.of(Math.SQRT1_2, Math.SQRT1_2),
  highpass: Float64Array.of(-Math.SQRT1_2, Math.SQRT1_2),
};

describe('decoder features beyond what cwsq writes', () => {
  it.each([
    ['even 8/8 (NBIS test bank)', EVEN_8X8, 26],
    ['odd 5/3', LEGALL_5_3, 26],
    ['even 2/2 (Haar)', HAAR, 23],
  ] as const)('reconstructs with the %s filters the DTT carries', (_name, filters, floor) => {
    for (const [w, h] of [
      [301, 257],
      [256, 200],
    ] as const) {
      const pixels = crop(40, 30, w, h);
      const { bytes, image } = roundTrip(pixels, w, h, 0.75, { filters });
      const info = inspectWsq(bytes);
      expect(info.ok && info.value.filters.lowpass.length).toBe(filters.lowpass.length);
      expect(info.ok && info.value.filters.highpass.length).toBe(filters.highpass.length);
      expect(psnr(pixels, image.pixels)).toBeGreaterThanOrEqual(floor);
      // At a high rate the reconstruction approaches the WSQ ceiling, which only a correct
      // synthesis (the inverse of the DTT's analysis) reaches.
      expect(psnr(pixels, roundTrip(pixels, w, h, 8, { filters }).image.pixels)).toBeGreaterThan(34);
    }
  });

  it('decodes restart markers (DRT, RST0-RST7) to the same pixels as without them', () => {
    const plain = roundTrip(finger, 500, 500);
    const restarted = roundTrip(finger, 500, 500, 0.75, { restartInterval: 64 });
    expect(restarted.bytes.length).toBeGreaterThan(plain.bytes.length);
    const info = inspectWsq(restarted.bytes);
    expect(info.ok).toBe(true);
    if (!info.ok) return;
    expect(info.value.restartInterval).toBe(64);
    const rst = info.value.markers.filter((m) => m.name.startsWith('RST'));
    expect(rst.length).toBeGreaterThan(100);
    // RSTm counts modulo 8 within each block.
    expect(new Set(rst.map((m) => m.code))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7].map((m) => 0xffb0 + m)));
    expect(info.value.blocks.every((b) => b.segments > 1)).toBe(true);
    expect(maxAbsDifference(restarted.image.pixels, plain.image.pixels)).toBe(0);
  });

  it('decodes a Huffman table per block (three DHTs) to the same pixels', () => {
    const plain = roundTrip(finger, 500, 500);
    const three = roundTrip(finger, 500, 500, 0.75, { tablePerBlock: true });
    const info = inspectWsq(three.bytes);
    expect(info.ok && info.value.blocks.map((b) => b.table)).toEqual([0, 1, 2]);
    expect(info.ok && info.value.markers.filter((m) => m.name === 'DHT').length).toBe(3);
    expect(maxAbsDifference(three.image.pixels, plain.image.pixels)).toBe(0);
  });
});
