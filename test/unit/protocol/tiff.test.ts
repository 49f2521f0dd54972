import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeTiffGrey } from '../../../protocol/image/tiff.ts';

/** A grey test card: a gradient with a diagonal, so a wrong row stride or order shows. */
function card(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels[y * width + x] = x === y ? 0 : (x * 7 + y * 3) % 256;
  return pixels;
}

/** libvips writes the TIFF: an encoder independent of ours. */
async function vipsTiff(
  pixels: Uint8Array,
  width: number,
  height: number,
  options: { compression: 'none' | 'packbits' | 'lzw'; xres?: number; tile?: boolean },
): Promise<Uint8Array> {
  const { xres, tile, ...rest } = options;
  return new Uint8Array(
    await sharp(pixels, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .tiff({
        ...rest,
        ...(xres === undefined ? {} : { xres, yres: xres }),
        ...(tile ? { tile: true, tileWidth: 16, tileHeight: 16 } : {}),
      })
      .toBuffer(),
  );
}

describe('decodeTiffGrey', () => {
  it('reads an uncompressed grey TIFF written by libvips, pixel for pixel, with its resolution', async () => {
    const pixels = card(37, 23);
    // sharp states resolution in pixels per millimetre: 19.685 px/mm is 500 ppi.
    const bytes = await vipsTiff(pixels, 37, 23, { compression: 'none', xres: 500 / 25.4 });
    const decoded = decodeTiffGrey(bytes);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.width).toBe(37);
    expect(decoded.value.height).toBe(23);
    expect(Buffer.from(decoded.value.pixels).equals(Buffer.from(pixels))).toBe(true);
    expect(decoded.value.ppi).toBeCloseTo(500, 0);
  });

  it('reads PackBits strips', async () => {
    const pixels = card(64, 50);
    pixels.fill(200, 0, 300); // a run, so PackBits repeats as well as copies
    const decoded = decodeTiffGrey(await vipsTiff(pixels, 64, 50, { compression: 'packbits' }));
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(Buffer.from(decoded.value.pixels).equals(Buffer.from(pixels))).toBe(true);
  });

  it('reads a hand-made big-endian WhiteIsZero file with two strips, inverting it', () => {
    // 3x2 image, one row per strip, MM byte order; every field written out by hand.
    const entries: [number, number, number, number][] = [
      [256, 3, 1, 3], // width
      [257, 3, 1, 2], // height
      [258, 3, 1, 8],
      [259, 3, 1, 1],
      [262, 3, 1, 0], // WhiteIsZero
      [273, 4, 2, 0], // strip offsets: patched below
      [278, 3, 1, 1],
      [279, 4, 2, 0], // strip byte counts: patched below
    ];
    const ifd = 8;
    const extra = ifd + 2 + entries.length * 12 + 4;
    const bytes = new Uint8Array(extra + 16 + 6);
    const view = new DataView(bytes.buffer);
    bytes.set([0x4d, 0x4d]);
    view.setUint16(2, 42);
    view.setUint32(4, ifd);
    view.setUint16(ifd, entries.length);
    entries.forEach(([tag, type, count, value], i) => {
      const at = ifd + 2 + i * 12;
      view.setUint16(at, tag);
      view.setUint16(at + 2, type);
      view.setUint32(at + 4, count);
      if (tag === 273) view.setUint32(at + 8, extra);
      else if (tag === 279) view.setUint32(at + 8, extra + 8);
      else if (type === 3) view.setUint16(at + 8, value);
      else view.setUint32(at + 8, value);
    });
    view.setUint32(extra, extra + 16);
    view.setUint32(extra + 4, extra + 19);
    view.setUint32(extra + 8, 3);
    view.setUint32(extra + 12, 3);
    bytes.set([0, 100, 255, 10, 20, 30], extra + 16);
    const decoded = decodeTiffGrey(bytes);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect([...decoded.value.pixels]).toEqual([255, 155, 0, 245, 235, 225]);
    expect(decoded.value.ppi).toBeUndefined();
  });

  it('says what it does not read: LZW, tiles, colour, and a size past the limit', async () => {
    const pixels = card(32, 32);
    const lzw = decodeTiffGrey(await vipsTiff(pixels, 32, 32, { compression: 'lzw' }));
    expect(lzw.ok ? undefined : lzw.error.reason).toBe('unsupported');
    const tiled = decodeTiffGrey(await vipsTiff(pixels, 32, 32, { compression: 'none', tile: true }));
    expect(tiled.ok ? undefined : tiled.error.reason).toBe('unsupported');
    const rgb = new Uint8Array(
      await sharp(new Uint8Array(32 * 32 * 3).fill(90), { raw: { width: 32, height: 32, channels: 3 } })
        .tiff({ compression: 'none' })
        .toBuffer(),
    );
    const colour = decodeTiffGrey(rgb);
    expect(colour.ok ? undefined : colour.error.reason).toBe('unsupported');
    const big = decodeTiffGrey(await vipsTiff(pixels, 32, 32, { compression: 'none' }), { maxPixels: 1000 });
    expect(big.ok ? undefined : big.error.reason).toBe('too-large');
  });

  it('answers every truncation of a valid file with a typed failure', async () => {
    const bytes = await vipsTiff(card(20, 20), 20, 20, { compression: 'none' });
    for (let length = 0; length < bytes.length; length += 7) {
      const result = decodeTiffGrey(bytes.subarray(0, length));
      // A cut inside trailing tags can still leave every needed field; otherwise a typed error.
      if (!result.ok) expect(['truncated', 'invalid-value']).toContain(result.error.reason);
    }
    expect(decodeTiffGrey(bytes.subarray(0, 100)).ok).toBe(false);
  });

  it('never throws on mutated files and never allocates past its limit', async () => {
    const base = await vipsTiff(card(24, 24), 24, 24, { compression: 'packbits' });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 12,
        }),
        (edits) => {
          const bytes = Uint8Array.from(base);
          for (const [at, value] of edits) bytes[at] = value;
          const result = decodeTiffGrey(bytes, { maxPixels: 10_000 });
          if (result.ok) expect(result.value.pixels.length).toBeLessThanOrEqual(10_000);
          else
            expect(['truncated', 'invalid-value', 'too-large', 'unsupported']).toContain(result.error.reason);
        },
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(typeof decodeTiffGrey(bytes).ok).toBe('boolean');
      }),
    );
  });
});
