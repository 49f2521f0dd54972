import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../protocol/crc32.ts';
import type { RgbImage } from '../../../protocol/face/types.ts';
import {
  cropRgb,
  decodeGrey,
  decodeRgb,
  encodeJpeg,
  encodePng,
  type ImageResult,
  readImageMetadata,
  resizeRgb,
  rotateRgb,
} from '../../../station/imaging/sharp-images.ts';
import { readFixture } from '../../support/fixtures.ts';

/** A deterministic RGB test card: a colour gradient with a red block in the top left quarter. */
function testCard(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const red = x < width / 2 && y < height / 2;
      data[i] = red ? 230 : (x * 255) / width;
      data[i + 1] = red ? 20 : (y * 255) / height;
      data[i + 2] = red ? 20 : 128;
    }
  return { width, height, data };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

function value<T>(result: ImageResult<T>): T {
  if (!result.ok) throw new Error(`expected an image, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function errorCode<T>(result: ImageResult<T>): string {
  return result.ok ? 'ok' : result.error.code;
}

function pixel(image: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * 3;
  return [image.data[i] ?? -1, image.data[i + 1] ?? -1, image.data[i + 2] ?? -1];
}

describe('sharp adapter: decode and encode', () => {
  it('round-trips RGB through PNG exactly and through JPEG closely', async () => {
    const card = testCard(64, 48);
    expect(value(await decodeRgb(await encodePng(card)))).toEqual(card);
    const jpeg = await encodeJpeg(card, { quality: 92 });
    const back = value(await decodeRgb(jpeg));
    expect([back.width, back.height]).toEqual([64, 48]);
    expect(psnr(back.data, card.data)).toBeGreaterThan(30);
  });

  it('decodes WebP, and a greyscale image to three equal channels', async () => {
    const card = testCard(32, 24);
    const webp = await sharp(card.data, { raw: { width: 32, height: 24, channels: 3 } })
      .webp({ lossless: true })
      .toBuffer();
    expect(value(await readImageMetadata(webp)).format).toBe('webp');
    expect(value(await decodeRgb(webp))).toEqual(card);
    const grey = value(
      await decodeRgb(await encodePng({ width: 2, height: 1, pixels: Uint8Array.of(7, 200) })),
    );
    expect(Array.from(grey.data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('writes a grey raster as an 8-bit greyscale PNG carrying its resolution, and reads it back', async () => {
    const grey = { width: 3, height: 2, pixels: Uint8Array.of(0, 128, 255, 10, 20, 30) };
    const png = await encodePng(grey, 500);
    expect([png[24], png[25]]).toEqual([8, 0]); // IHDR bit depth 8, colour type 0 (greyscale)
    const back = value(await decodeGrey(png));
    expect(back).toEqual({ ...grey, ppi: 500 });
  });

  it('reduces colour to luminance when a grey raster is asked of a colour image', async () => {
    const jpeg = readFixture('faces/obama__obama.jpg');
    const rgb = value(await decodeRgb(jpeg));
    const grey = value(await decodeGrey(jpeg));
    expect([grey.width, grey.height]).toEqual([rgb.width, rgb.height]);
    const [r, g, b] = pixel(rgb, 250, 300);
    const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    expect(Math.abs((grey.pixels[300 * grey.width + 250] ?? 0) - luma)).toBeLessThan(12);
  });

  it('turns a JPEG upright by its EXIF orientation and writes no metadata back', async () => {
    const card = testCard(40, 20);
    const rotatedOnDisk = await sharp(card.data, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const meta = value(await readImageMetadata(rotatedOnDisk));
    expect(meta).toMatchObject({ format: 'jpeg', width: 40, height: 20, orientation: 6, hasExif: true });
    expect([meta.uprightWidth, meta.uprightHeight]).toEqual([20, 40]);

    const upright = value(await decodeRgb(rotatedOnDisk));
    expect([upright.width, upright.height]).toEqual([20, 40]);
    // Orientation 6 displays the stored image turned 90 degrees clockwise.
    const turned = await rotateRgb(card, 90, { r: 0, g: 0, b: 0 });
    expect(psnr(upright.data, turned.data)).toBeGreaterThan(28);
    expect(psnr(upright.data, card.data.subarray(0, upright.data.length))).toBeLessThan(15);

    const reencoded = value(await readImageMetadata(await encodeJpeg(upright, { quality: 90 })));
    expect(reencoded).toMatchObject({
      width: 20,
      height: 40,
      orientation: undefined,
      hasExif: false,
      hasIcc: false,
    });
  });

  it('converts an image tagged with another colour profile to sRGB', async () => {
    const orange = new Uint8Array(16 * 16 * 3);
    for (let i = 0; i < orange.length; i += 3) orange.set([230, 120, 30], i);
    // sharp converts the pixels into Display P3 and embeds the P3 profile.
    const p3 = await sharp(orange, { raw: { width: 16, height: 16, channels: 3 } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    expect(value(await readImageMetadata(p3)).hasIcc).toBe(true);
    const naive = await sharp(p3).keepIccProfile().raw().toBuffer(); // the stored P3 numbers
    const managed = value(await decodeRgb(p3));
    const distance = (px: ArrayLike<number>): number =>
      Math.abs((px[0] ?? 0) - 230) + Math.abs((px[1] ?? 0) - 120) + Math.abs((px[2] ?? 0) - 30);
    expect(distance(naive.subarray(0, 3))).toBeGreaterThan(10);
    expect(distance(managed.data.subarray(0, 3))).toBeLessThanOrEqual(6);
  });
});

describe('sharp adapter: bad input is a typed result', () => {
  const jpeg = readFixture('faces/obama__obama.jpg');

  it('zero bytes, garbage and a truncated JPEG: IMAGE_DECODE_FAILED', async () => {
    expect(errorCode(await decodeRgb(new Uint8Array(0)))).toBe('IMAGE_DECODE_FAILED');
    expect(errorCode(await decodeRgb(new TextEncoder().encode('not an image at all')))).toBe(
      'IMAGE_DECODE_FAILED',
    );
    expect(errorCode(await decodeRgb(jpeg.subarray(0, jpeg.length >> 1)))).toBe('IMAGE_DECODE_FAILED');
    expect(errorCode(await decodeGrey(jpeg.subarray(0, 200)))).toBe('IMAGE_DECODE_FAILED');
    const scrambled = jpeg.slice();
    for (let i = 2000; i < scrambled.length - 2; i += 7) scrambled[i] = 0xff;
    expect(errorCode(await decodeRgb(scrambled))).toBe('IMAGE_DECODE_FAILED');
  });

  it('too many bytes or pixels: IMAGE_TOO_LARGE, pixels refused from the header', async () => {
    expect(errorCode(await decodeRgb(jpeg, { maxBytes: 1000, maxPixels: 40_000_000 }))).toBe(
      'IMAGE_TOO_LARGE',
    );
    expect(errorCode(await decodeRgb(jpeg, { maxBytes: 1 << 20, maxPixels: 100_000 }))).toBe(
      'IMAGE_TOO_LARGE',
    );
    // A 60000 x 60000 PNG header over a tiny body: refused before anything is inflated.
    const png = (await encodePng({ width: 2, height: 2, pixels: new Uint8Array(4) })).slice();
    const view = new DataView(png.buffer);
    view.setUint32(16, 60000);
    view.setUint32(20, 60000);
    view.setUint32(29, crc32(png.subarray(12, 29)));
    expect(errorCode(await decodeRgb(png))).toBe('IMAGE_TOO_LARGE');
  });

  it('another format: IMAGE_UNSUPPORTED', async () => {
    const tiff = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
      .tiff()
      .toBuffer();
    expect(errorCode(await decodeRgb(tiff))).toBe('IMAGE_UNSUPPORTED');
  });

  it('an inconsistent raster is a programmer error', async () => {
    await expect(
      encodeJpeg({ width: 2, height: 2, data: new Uint8Array(5) }, { quality: 80 }),
    ).rejects.toThrow(RangeError);
    await expect(encodeJpeg(testCard(4, 4), { quality: 0 })).rejects.toThrow(RangeError);
    await expect(cropRgb(testCard(4, 4), { x: 2, y: 2, width: 3, height: 1 })).rejects.toThrow(RangeError);
  });
});

describe('sharp adapter: geometry', () => {
  const card = testCard(40, 20);

  it('crops the pixels asked for', async () => {
    const crop = await cropRgb(card, { x: 18, y: 8, width: 4, height: 3 });
    expect([crop.width, crop.height]).toEqual([4, 3]);
    expect(pixel(crop, 0, 0)).toEqual(pixel(card, 18, 8));
    expect(pixel(crop, 3, 2)).toEqual(pixel(card, 21, 10));
  });

  it('rotates a quarter turn exactly, clockwise', async () => {
    const turned = await rotateRgb(card, 90, { r: 0, g: 0, b: 0 });
    expect([turned.width, turned.height]).toEqual([20, 40]);
    // Clockwise: the source's bottom left corner becomes the top left.
    expect(pixel(turned, 0, 0)).toEqual(pixel(card, 0, 19));
    expect(pixel(turned, 19, 0)).toEqual(pixel(card, 0, 0));
  });

  it('resizes to the size asked for', async () => {
    const small = await resizeRgb(card, 10, 5);
    expect([small.width, small.height, small.data.length]).toEqual([10, 5, 150]);
    expect(pixel(small, 1, 1)[0]).toBeGreaterThan(180); // still the red quarter
  });
});
