import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../protocol/crc32.ts';
import {
  decodeGreyPng,
  decodePgm,
  encodeGreyPng,
  encodePgm,
  ImageFileError,
} from '../../../station/imaging/grey-image.ts';

describe('CRC-32', () => {
  it('gives the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('greyscale image files', () => {
  const image = { width: 3, height: 2, pixels: Uint8Array.of(0, 128, 255, 10, 20, 30) };

  it('round-trips PNG (through sharp) and PGM byte for byte, PNG with its resolution', async () => {
    const png = await encodeGreyPng(image, 500);
    expect(await decodeGreyPng(png)).toEqual({ ...image, ppi: 500 });
    expect(decodePgm(encodePgm(image))).toEqual(image);
  });

  it('reads 16-bit greyscale PNG scaled to 8 bits', async () => {
    // sharp widens 8-bit grey to 16 bits by x257, so scaling back gives the 8-bit values again.
    const png = await sharp(image.pixels, { raw: { width: 3, height: 2, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect([png[24], png[25]]).toEqual([16, 0]); // IHDR: 16-bit greyscale
    expect(await decodeGreyPng(png)).toMatchObject(image);
  });

  it('rejects colour, corrupted, truncated and oversized files with typed errors', async () => {
    const colour = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    await expect(decodeGreyPng(colour)).rejects.toMatchObject({ code: 'IMAGE_UNSUPPORTED' });
    const png = await encodeGreyPng(image);
    const corrupted = png.slice();
    corrupted[png.length - 20] = (corrupted[png.length - 20] ?? 0) ^ 0xff;
    await expect(decodeGreyPng(corrupted)).rejects.toBeInstanceOf(ImageFileError);
    await expect(decodeGreyPng(png.subarray(0, 30))).rejects.toMatchObject({ code: 'IMAGE_FORMAT' });
    await expect(decodeGreyPng(new Uint8Array(0))).rejects.toMatchObject({ code: 'IMAGE_FORMAT' });
    const huge = (await encodeGreyPng(image)).slice();
    const view = new DataView(huge.buffer);
    view.setUint32(16, 5000);
    view.setUint32(29, crc32(huge.subarray(12, 29)));
    await expect(decodeGreyPng(huge)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    expect(() => decodePgm(new TextEncoder().encode('P5\n5000 10\n255\n'))).toThrow(
      expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }),
    );
    expect(() => decodePgm(new TextEncoder().encode('P5\n3 2\n255\nab'))).toThrow(
      expect.objectContaining({ code: 'IMAGE_TRUNCATED' }),
    );
    await expect(encodeGreyPng({ width: 2, height: 2, pixels: new Uint8Array(3) })).rejects.toThrow(
      RangeError,
    );
  });

  /** The chunks of a PNG in file order: type and data. */
  function chunksOf(png: Uint8Array): { type: string; data: Uint8Array }[] {
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    const chunks: { type: string; data: Uint8Array }[] = [];
    for (let offset = 8; offset + 12 <= png.length; ) {
      const length = view.getUint32(offset);
      const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
      chunks.push({ type, data: png.subarray(offset + 8, offset + 8 + length) });
      offset += 12 + length;
    }
    return chunks;
  }

  it('writes 8-bit greyscale with the stated resolution as pHYs, and no resolution it was not given', async () => {
    // Fingerprint tools (NFIQ 2, NBIS, image viewers) read the resolution from pHYs alone: it must
    // be the scanner's, stated once, and absent rather than invented when the scanner stated none.
    const withPpi = chunksOf(await encodeGreyPng(image, 500));
    const header = withPpi[0];
    expect(header?.type).toBe('IHDR');
    expect([header?.data[8], header?.data[9], header?.data[12]]).toEqual([8, 0, 0]); // 8-bit grey, not interlaced
    const phys = withPpi.find((c) => c.type === 'pHYs')?.data;
    expect(phys && [...phys]).toEqual([0, 0, 0x4c, 0xe5, 0, 0, 0x4c, 0xe5, 1]); // 19685 px/m = 500 ppi
    expect(withPpi.map((c) => c.type)).not.toContain('eXIf');
    const without = chunksOf(await encodeGreyPng(image)).map((c) => c.type);
    expect(without).toEqual(['IHDR', 'IDAT', 'IEND']);
    // Reading back: the resolution the file states, none when it states none (libvips alone says 72).
    expect(await decodeGreyPng(await encodeGreyPng(image))).toEqual({ ...image, ppi: undefined });
    expect((await decodeGreyPng(await encodeGreyPng(image, 1000))).ppi).toBe(1000);
  });
});
