import { describe, expect, it } from 'vitest';
import { downscaleBox } from '../../../protocol/image/downscale.ts';

describe('box downscale', () => {
  it('averages each block and drops the partial edge', () => {
    // 5x4 image, factor 2: blocks (0,0) = mean(0,10,20,30) = 15, (1,0) = mean(40,50,60,70) = 55;
    // the fifth column and nothing else is dropped.
    const pixels = Uint8Array.of(
      0,
      10,
      40,
      50,
      255,
      20,
      30,
      60,
      70,
      255,
      100,
      100,
      0,
      0,
      255,
      100,
      101,
      0,
      1,
      255,
    );
    expect(downscaleBox({ width: 5, height: 4, pixels }, 2)).toEqual({
      width: 2,
      height: 2,
      pixels: Uint8Array.of(15, 55, 100, 0),
    });
  });

  it('refuses bad factors and mismatched buffers', () => {
    const image = { width: 4, height: 4, pixels: new Uint8Array(16) };
    expect(() => downscaleBox(image, 0)).toThrow(RangeError);
    expect(() => downscaleBox(image, 5)).toThrow(RangeError);
    expect(() => downscaleBox({ ...image, pixels: new Uint8Array(3) }, 2)).toThrow(RangeError);
  });
});
