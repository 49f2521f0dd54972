import { describe, expect, it } from 'vitest';
import type { Point, RgbImage } from '../../../protocol/face/types.ts';
import {
  alignToToken,
  makeCardPortrait,
  makeIcaoCapture,
  PORTRAIT_BACKGROUND,
  type PortraitResult,
  tokenGeometry,
} from '../../../station/imaging/portrait.ts';
import { decodeRgb, encodeJpeg, readImageMetadata } from '../../../station/imaging/sharp-images.ts';
import { readFixture } from '../../support/fixtures.ts';
import { FIXTURE_EYES } from './portrait-fixture-eyes.ts';

function ok<T>(result: PortraitResult<T>): T {
  if (!result.ok) throw new Error(`expected a portrait, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** A mid-grey scene with a red disc and a blue disc (the "eyes") and a green disc (a chin mark). */
function scene(width: number, height: number, red: Point, blue: Point, green: Point): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(90);
  const disc = (c: Point, rgb: [number, number, number]): void => {
    for (let y = Math.floor(c.y - 6); y <= c.y + 6; y++)
      for (let x = Math.floor(c.x - 6); x <= c.x + 6; x++)
        if ((x + 0.5 - c.x) ** 2 + (y + 0.5 - c.y) ** 2 <= 25) data.set(rgb, (y * width + x) * 3);
  };
  disc(red, [255, 0, 0]);
  disc(blue, [0, 0, 255]);
  disc(green, [0, 255, 0]);
  return { width, height, data };
}

/** Centroid (pixel centres) of the pixels where `channel` dominates. */
function centroid(image: RgbImage, channel: 0 | 1 | 2): Point {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 3;
      const v = image.data[i + channel] ?? 0;
      const others = [0, 1, 2].filter((c) => c !== channel).map((c) => image.data[i + c] ?? 0);
      if (v > 150 && others.every((o) => o < 100)) {
        sx += x + 0.5;
        sy += y + 0.5;
        n++;
      }
    }
  expect(n).toBeGreaterThan(0);
  return { x: sx / n, y: sy / n };
}

describe('token geometry (ISO/IEC 19794-5 Token Face Image)', () => {
  it('gives 480 x 640 with eyes 120 px apart on the line 288 px from the top', () => {
    expect(tokenGeometry(480)).toEqual({
      width: 480,
      height: 640,
      eyeDistance: 120,
      eyeY: 288,
      eyeMidX: 240,
    });
    expect(tokenGeometry(900)).toMatchObject({ height: 1200, eyeDistance: 225, eyeY: 540 });
    expect(() => tokenGeometry(200)).toThrow(RangeError);
    expect(() => tokenGeometry(481)).toThrow(RangeError);
  });
});

describe('alignment to the token', () => {
  it('levels tilted eyes, scales them 0.25 W apart and places them at (0.375 W, 0.6 W) and (0.625 W, 0.6 W)', async () => {
    // Eyes 200 px apart, tilted by about 17 degrees; a chin mark 1.2 eye distances below the midpoint,
    // perpendicular to the eye line.
    const left = { x: 550.3, y: 600.6 };
    const right = { x: 741.5, y: 659.4 };
    const mid = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };
    const d = Math.hypot(right.x - left.x, right.y - left.y);
    const ux = (right.x - left.x) / d;
    const uy = (right.y - left.y) / d;
    const chin = { x: mid.x - uy * 1.2 * d, y: mid.y + ux * 1.2 * d };
    const image = scene(1300, 1400, left, right, chin);
    const { image: token, alignment } = ok(
      await alignToToken(image, { imageLeft: left, imageRight: right }, 480),
    );
    expect([token.width, token.height]).toEqual([480, 640]);
    expect(alignment.scale).toBeCloseTo(120 / d, 2);
    expect(alignment.rotationDegrees).toBeCloseTo(
      (-Math.atan2(right.y - left.y, right.x - left.x) * 180) / Math.PI,
      3,
    );
    const red = centroid(token, 0);
    const blue = centroid(token, 2);
    const green = centroid(token, 1);
    expect(Math.abs(red.x - 180)).toBeLessThan(1.5);
    expect(Math.abs(red.y - 288)).toBeLessThan(1.5);
    expect(Math.abs(blue.x - 300)).toBeLessThan(1.5);
    expect(Math.abs(blue.y - 288)).toBeLessThan(1.5);
    expect(Math.abs(green.x - 240)).toBeLessThan(1.5);
    expect(Math.abs(green.y - (288 + 144))).toBeLessThan(1.5);
    expect(alignment.padded).toBe(false);
  });

  it('fills what lies beyond the source with the neutral background', async () => {
    const left = { x: 30, y: 40 };
    const right = { x: 90, y: 40 };
    const image = scene(200, 200, left, right, { x: 60, y: 100 });
    const { image: token, alignment } = ok(
      await alignToToken(image, { imageLeft: left, imageRight: right }, 480),
    );
    expect(alignment.padded).toBe(true);
    expect(Array.from(token.data.subarray(0, 3))).toEqual([
      PORTRAIT_BACKGROUND.r,
      PORTRAIT_BACKGROUND.g,
      PORTRAIT_BACKGROUND.b,
    ]);
  });

  it('refuses eye positions that cannot be a face, as a typed result', async () => {
    const image = scene(200, 200, { x: 50, y: 50 }, { x: 150, y: 50 }, { x: 100, y: 150 });
    const swapped = await alignToToken(
      image,
      { imageLeft: { x: 150, y: 50 }, imageRight: { x: 50, y: 50 } },
      480,
    );
    expect(swapped.ok ? 'ok' : swapped.error.code).toBe('PORTRAIT_EYES_INVALID');
    const close = await alignToToken(
      image,
      { imageLeft: { x: 50, y: 50 }, imageRight: { x: 55, y: 50 } },
      480,
    );
    expect(close.ok ? 'ok' : close.error.code).toBe('PORTRAIT_EYES_INVALID');
    const nan = await alignToToken(
      image,
      { imageLeft: { x: Number.NaN, y: 50 }, imageRight: { x: 150, y: 50 } },
      480,
    );
    expect(nan.ok ? 'ok' : nan.error.code).toBe('PORTRAIT_EYES_INVALID');
  });
});

describe('card portrait on the real photographs', () => {
  const faces = Object.entries(FIXTURE_EYES);

  it.each(faces)(
    '%s: 480 x 640 JPEG within 20 000 bytes, best quality that fits, no metadata',
    async (file, eyes) => {
      const source = await decodeRgb(readFixture(`faces/${file}`));
      if (!source.ok) throw source.error;
      const portrait = ok(await makeCardPortrait(source.value, eyes));
      expect(portrait.jpeg.length).toBeLessThanOrEqual(20_000);
      expect([portrait.width, portrait.height]).toEqual([480, 640]);
      const meta = await readImageMetadata(portrait.jpeg);
      expect(meta.ok && meta.value).toMatchObject({
        format: 'jpeg',
        width: 480,
        height: 640,
        hasExif: false,
        hasIcc: false,
        space: 'srgb',
      });
      // The search is honest: one step up in quality would not have fitted.
      if (portrait.quality < 95) {
        const aligned = ok(await alignToToken(source.value, eyes, 480)).image;
        expect((await encodeJpeg(aligned, { quality: portrait.quality + 1 })).length).toBeGreaterThan(20_000);
      }
    },
  );

  it('reports an unreachable budget with the smallest size it reached', async () => {
    const file = 'obama__obama.jpg';
    const source = await decodeRgb(readFixture(`faces/${file}`));
    if (!source.ok) throw source.error;
    const eyes = FIXTURE_EYES[file];
    if (!eyes) throw new Error('no eyes for the fixture');
    const result = await makeCardPortrait(source.value, eyes, { maxBytes: 2000 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('PORTRAIT_BUDGET_UNREACHABLE');
    expect(result.error.smallestBytes).toBeGreaterThan(2000);
    expect(result.error.budgetBytes).toBe(2000);
  });

  it('makes the ICAO capture for the packet at 900 x 1200, quality 90, no metadata', async () => {
    const file = 'biden__biden2.jpg';
    const source = await decodeRgb(readFixture(`faces/${file}`));
    if (!source.ok) throw source.error;
    const eyes = FIXTURE_EYES[file];
    if (!eyes) throw new Error('no eyes for the fixture');
    const capture = ok(await makeIcaoCapture(source.value, eyes));
    expect([capture.width, capture.height, capture.quality]).toEqual([900, 1200, 90]);
    const meta = await readImageMetadata(capture.jpeg);
    expect(meta.ok && meta.value).toMatchObject({ width: 900, height: 1200, hasExif: false, hasIcc: false });
    const card = ok(await makeCardPortrait(source.value, eyes));
    expect(capture.jpeg.length).toBeGreaterThan(card.jpeg.length);
  });
});
