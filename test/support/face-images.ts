/**
 * The shared real photographs (`../shared/fixtures/faces/`, see its README: sixteen photographs of
 * six people, `<person>__<origin>.jpg`) decoded to RgbImage. Test support may use sharp directly;
 * the station reaches it through its imaging adapter.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../protocol/face/types.ts';
import { FIXTURES_DIR, fixture, readFixture } from './fixtures.ts';

/** The folder of the shared face photographs (fails with the path when it is missing). */
export function faceFixturesDir(): string {
  return fixture('faces');
}

/** File names of the shared face photographs, sorted. */
export function faceFixtureNames(): string[] {
  return readdirSync(path.join(FIXTURES_DIR, 'faces'))
    .filter((name) => name.endsWith('.jpg'))
    .sort();
}

/** The person a fixture shows: its name up to '__'. */
export function personOf(name: string): string {
  const at = name.indexOf('__');
  return at < 0 ? name : name.slice(0, at);
}

/** Decodes JPEG/PNG bytes to 8-bit RGB (alpha dropped, EXIF orientation applied). */
export async function decodeRgb(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** A shared face photograph, decoded: `readFaceFixture('obama__obama.jpg')`. */
export function readFaceFixture(name: string): Promise<RgbImage> {
  return decodeRgb(readFixture(`faces/${name}`));
}

/** A uniform image (no face), e.g. grey 640x480. */
export function blankImage(width = 640, height = 480, value = 128): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

/** Two photographs side by side on one canvas (a frame with two faces). */
export function sideBySide(a: RgbImage, b: RgbImage): RgbImage {
  const width = a.width + b.width;
  const height = Math.max(a.height, b.height);
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let y = 0; y < height; y++) {
    if (y < a.height) data.set(a.data.subarray(y * a.width * 3, (y + 1) * a.width * 3), y * width * 3);
    if (y < b.height)
      data.set(b.data.subarray(y * b.width * 3, (y + 1) * b.width * 3), (y * width + a.width) * 3);
  }
  return { width, height, data };
}
