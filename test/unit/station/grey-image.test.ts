import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../protocol/crc32.ts';
import {
  decodePgm,
  decodePng,
  encodePgm,
  encodePng,
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

  it('round-trips PNG and PGM byte for byte', () => {
    expect(decodePng(encodePng(image, 500))).toEqual(image);
    expect(decodePgm(encodePgm(image))).toEqual(image);
  });

  it('rejects corrupted, truncated and oversized files with typed errors', () => {
    const png = encodePng(image);
    const corrupted = png.slice();
    corrupted[20] = (corrupted[20] ?? 0) ^ 0xff;
    expect(() => decodePng(corrupted)).toThrow(expect.objectContaining({ code: 'IMAGE_CHECKSUM' }));
    expect(() => decodePng(png.subarray(0, 30))).toThrow(ImageFileError);
    expect(() => decodePgm(new TextEncoder().encode('P5\n5000 10\n255\n'))).toThrow(
      expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }),
    );
    expect(() => decodePgm(new TextEncoder().encode('P5\n3 2\n255\nab'))).toThrow(
      expect.objectContaining({ code: 'IMAGE_TRUNCATED' }),
    );
    expect(() => encodePng({ width: 2, height: 2, pixels: new Uint8Array(3) })).toThrow(RangeError);
  });
});
