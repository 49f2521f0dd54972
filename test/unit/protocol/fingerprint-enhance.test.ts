import { describe, expect, it } from 'vitest';
import { filterAcrossRidges } from '../../../protocol/fingerprint/enhance.ts';
import type { OrientationField } from '../../../protocol/fingerprint/orientation.ts';

const SIZE = 128;
const BLOCK = 16;
const BLOCKS = SIZE / BLOCK;

/** One orientation for every block (ridge direction theta, radians, y downwards). */
function uniformField(theta: number): OrientationField {
  const n = BLOCKS * BLOCKS;
  return {
    block: BLOCK,
    blocksWide: BLOCKS,
    blocksHigh: BLOCKS,
    angle: new Float32Array(n).fill(theta),
    coherence: new Float32Array(n).fill(1),
    energy: new Float32Array(n).fill(1),
  };
}

/** Ridges `period` px apart along theta: grey = mean - amplitude cos(phase), dark on the ridge centre. */
function ridges(period: number, theta: number, mean: number, amplitude: number): Float32Array {
  const out = new Float32Array(SIZE * SIZE);
  const nx = -Math.sin(theta);
  const ny = Math.cos(theta);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++)
      out[y * SIZE + x] = mean - amplitude * Math.cos(((x * nx + y * ny) / period) * 2 * Math.PI);
  return out;
}

const allInside = () => new Uint8Array(BLOCKS * BLOCKS).fill(1);

function filtered(source: Float32Array, theta: number, period: number, inside = allInside()): Float32Array {
  const out = new Float32Array(SIZE * SIZE).fill(Number.NaN);
  filterAcrossRidges(source, SIZE, SIZE, uniformField(theta), period, inside, out);
  return out;
}

describe('filterAcrossRidges', () => {
  it('gives 0 on a uniform region: the filter has no DC response', () => {
    const out = filtered(new Float32Array(SIZE * SIZE).fill(173), 0.7, 9);
    for (const v of out) expect(Math.abs(v)).toBeLessThan(1e-9);
  });

  it('is negative on the ridges and positive in the valleys, at any direction', () => {
    for (const theta of [0, Math.PI / 5, Math.PI / 2, 2.4]) {
      const period = 9;
      const source = ridges(period, theta, 128, 60);
      const out = filtered(source, theta, period);
      let agree = 0;
      let counted = 0;
      for (let i = 0; i < out.length; i++) {
        const ink = 128 - (source[i] ?? 0); // > 0 on the ridge side
        if (Math.abs(ink) < 20) continue; // near the ridge edge, where rounding the taps decides
        counted++;
        if (Math.sign(out[i] ?? 0) === -Math.sign(ink)) agree++;
      }
      expect(counted).toBeGreaterThan(SIZE * SIZE * 0.5);
      expect(agree / counted).toBeGreaterThan(0.99);
    }
  });

  it('binarises a pale, dark print the same as a contrasted one (sign independent of mean and contrast)', () => {
    const theta = 1.1;
    const strong = filtered(ridges(10, theta, 128, 100), theta, 10);
    const faint = filtered(ridges(10, theta, 40, 6), theta, 10);
    let differ = 0;
    for (let i = 0; i < strong.length; i++) {
      // Linear and zero-sum: the faint response is the strong one times 6 / 100 (to float32 rounding).
      expect(faint[i]).toBeCloseTo(((strong[i] ?? 0) * 6) / 100, 4);
      if (Math.abs(strong[i] ?? 0) > 1e-6 && Math.sign(strong[i] ?? 0) !== Math.sign(faint[i] ?? 0)) differ++;
    }
    expect(differ).toBe(0);
  });

  it('leaves background blocks untouched and reads only the image near the edges', () => {
    const inside = allInside();
    inside[0] = 0;
    inside[BLOCKS * BLOCKS - 1] = 0;
    const out = filtered(ridges(8, 0.3, 128, 50), 0.3, 8, inside);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Number.isNaN(out[SIZE * SIZE - 1])).toBe(true);
    // Every foreground pixel, image edge included, is a finite value.
    expect(Number.isFinite(out[BLOCK])).toBe(true);
    expect(Number.isFinite(out[SIZE * SIZE - 1 - BLOCK])).toBe(true);
    const finite = out.filter((v) => Number.isFinite(v)).length;
    expect(finite).toBe(SIZE * SIZE - 2 * BLOCK * BLOCK);
  });

  it('refuses a period outside 3..25 px and buffers of the wrong size', () => {
    const source = new Float32Array(SIZE * SIZE);
    const out = new Float32Array(SIZE * SIZE);
    const field = uniformField(0);
    expect(() => filterAcrossRidges(source, SIZE, SIZE, field, 2.5, allInside(), out)).toThrow(RangeError);
    expect(() => filterAcrossRidges(source, SIZE, SIZE, field, 26, allInside(), out)).toThrow(RangeError);
    expect(() => filterAcrossRidges(source, SIZE, SIZE, field, Number.NaN, allInside(), out)).toThrow(
      RangeError,
    );
    expect(() => filterAcrossRidges(source.subarray(1), SIZE, SIZE, field, 9, allInside(), out)).toThrow(
      RangeError,
    );
    expect(() => filterAcrossRidges(source, SIZE, SIZE, field, 9, new Uint8Array(3), out)).toThrow(
      RangeError,
    );
  });
});
