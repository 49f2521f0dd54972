import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  extractMinutiae,
  foregroundBlocks,
  type Minutia,
  ridgePeriod,
} from '../../../protocol/fingerprint/ridges.ts';
import { decodePgm } from '../../../station/imaging/grey-image.ts';
import { readFixture } from '../../support/fixtures.ts';

/**
 * Parallel ridges with `period` px between centres at angle `theta`, dark ridges on a light
 * background, inside a disc; `cut` removes ridge ink in a small region to make endings.
 */
function stripes(size: number, period: number, theta: number, cut?: (x: number, y: number) => boolean) {
  const pixels = new Uint8Array(size * size).fill(235);
  const nx = -Math.sin(theta);
  const ny = Math.cos(theta);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (Math.hypot(x - size / 2, y - size / 2) > size * 0.45) continue;
      const phase = ((x * nx + y * ny) / period) * 2 * Math.PI;
      const ink = (1 + Math.cos(phase)) / 2; // 1 on the ridge centre
      const dark = cut?.(x, y) ? 0 : ink;
      pixels[y * size + x] = Math.round(235 - 200 * dark);
    }
  }
  return { width: size, height: size, pixels };
}

describe('ridge period', () => {
  it.each([
    [8, 0],
    [9.5, Math.PI / 5],
    [12, Math.PI / 2],
  ])('measures %s px ridges at %s rad within half a pixel', (period, theta) => {
    const measured = ridgePeriod(stripes(256, period, theta));
    expect(measured.blocks).toBeGreaterThan(50);
    expect(Math.abs(measured.median - period)).toBeLessThan(0.5);
  });

  it('finds no period on empty glass', () => {
    const pixels = new Uint8Array(128 * 128);
    for (let i = 0; i < pixels.length; i++) pixels[i] = 230 + ((i * 7919) % 5);
    const empty = { width: 128, height: 128, pixels };
    expect(foregroundBlocks(empty).inside.every((v) => v === 0)).toBe(true);
    expect(ridgePeriod(empty).blocks).toBe(0);
  });

  it("measures NIST's reference print at 8.5-10 px, as 500 ppi ridges are", () => {
    const nist = readFixture('wsq/nistFinger_500x500.raw');
    const measured = ridgePeriod({ width: 500, height: 500, pixels: nist }).median;
    expect(measured).toBeGreaterThanOrEqual(8.5);
    expect(measured).toBeLessThanOrEqual(10);
  });

  it('rejects a buffer that does not match the size', () => {
    expect(() => ridgePeriod({ width: 64, height: 64, pixels: new Uint8Array(10) })).toThrow(RangeError);
  });
});

describe('minutiae', () => {
  it('finds none in unbroken parallel ridges', () => {
    expect(extractMinutiae(stripes(256, 9, Math.PI / 6)).minutiae).toEqual([]);
  });

  it('finds the two endings where a ridge is cut, and where they are', () => {
    // Vertical ridges (theta = pi/2: ridge centres at x = 128 +- k*10); erase one ridge's ink in a
    // 40 px gap so it ends at y = 108 and starts again at y = 148.
    const image = stripes(256, 10, Math.PI / 2, (x, y) => Math.abs(x - 130) < 5 && y > 108 && y < 148);
    const found = extractMinutiae(image).minutiae;
    expect(found.map((m) => m.kind)).toEqual(['ending', 'ending']);
    const [top, bottom] = [...found].sort((a, b) => a.y - b.y);
    expect(Math.abs((top?.y ?? 0) - 108)).toBeLessThan(6);
    expect(Math.abs((bottom?.y ?? 0) - 148)).toBeLessThan(6);
    expect(Math.abs((top?.x ?? 0) - 130)).toBeLessThan(4);
    // The upper ending's ridge leaves upwards (-y), the lower one's downwards.
    expect(Math.sin(top?.angle ?? 0)).toBeLessThan(-0.8);
    expect(Math.sin(bottom?.angle ?? 0)).toBeGreaterThan(0.8);
  });

  // Golden values recorded with the direct per-pixel implementation (per-pixel trigonometry and
  // rounding, full-image Zhang-Suen scans) that the fast one replaced: any change to the filters,
  // the thinning or the clean-up that moves a single minutia, or an angle by 1e-9 rad, fails here.
  const digest = (minutiae: readonly Minutia[]) =>
    createHash('sha256')
      .update(minutiae.map((m) => `${m.x},${m.y},${m.kind},${m.angle.toFixed(9)}`).join(';'))
      .digest('hex');

  it("finds the reference minutiae on NIST's 500x500 print", () => {
    const nist = readFixture('wsq/nistFinger_500x500.raw');
    const { minutiae, period } = extractMinutiae({ width: 500, height: 500, pixels: nist });
    expect(period).toBe(9);
    expect(minutiae).toHaveLength(181);
    expect(minutiae.filter((m) => m.kind === 'ending')).toHaveLength(129);
    expect(minutiae[0]).toEqual({ x: 124, y: 26, kind: 'ending', angle: 0.11065722117389563 });
    expect(digest(minutiae)).toBe('3571cb24497770c1b30f0a0193f104c7889fc6776c2059b6297abe6c5ec37068');
  });

  it('finds the reference minutiae on a crop whose sides are not whole blocks', () => {
    // 467x483 from (13, 9): partial last blocks, and ridge windows that reach row and column 0.
    const nist = readFixture('wsq/nistFinger_500x500.raw');
    const width = 467;
    const height = 483;
    const pixels = new Uint8Array(width * height);
    for (let y = 0; y < height; y++)
      pixels.set(nist.subarray((y + 9) * 500 + 13, (y + 9) * 500 + 13 + width), y * width);
    const { minutiae, period } = extractMinutiae({ width, height, pixels });
    expect(period).toBeCloseTo(8.666666666666666, 12);
    expect(minutiae).toHaveLength(160);
    expect(minutiae.filter((m) => m.kind === 'ending')).toHaveLength(108);
    expect(digest(minutiae)).toBe('7bf7373d1c2d025d242457c066821561141d257f2d95f555e325f769c33d5ccb');
  });

  it('counts tens of minutiae, not hundreds, on the SFinGe reference prints', () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const image = decodePgm(readFixture(`nfiq2/SFinGe_Test0${n}.pgm`));
      const count = extractMinutiae(image).minutiae.length;
      // FingerJet (NIST's extractor) finds 54-105 on these; ours runs up to twice that.
      expect(count).toBeGreaterThan(30);
      expect(count).toBeLessThan(200);
    }
  });
});
