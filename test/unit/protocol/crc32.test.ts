/**
 * CRC-32 against the standard's check value and against zlib's implementation (an independent
 * reference) on every length around the 8-byte steps, and split updates.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Update } from '../../../protocol/crc32.ts';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('crc32', () => {
  it('gives the check value of CRC-32/ISO-HDLC and the known empty CRC', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('matches zlib on every length from 0 to 40 and on a 1.5 MB image-sized buffer', () => {
    const bytes = new Uint8Array(1_500_001);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    for (let n = 0; n <= 40; n++)
      expect(crc32(bytes.subarray(0, n)), `length ${n}`).toBe(zlibCrc32(bytes.subarray(0, n)));
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    // An odd offset into the buffer: the 8-byte steps do not depend on alignment.
    expect(crc32(bytes.subarray(3, 1003))).toBe(zlibCrc32(bytes.subarray(3, 1003)));
  });

  it('continues across split updates as over the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        const split = crc32Update(crc32Update(0, bytes.subarray(0, at)), bytes.subarray(at));
        expect(split).toBe(zlibCrc32(bytes));
        expect(crc32(bytes)).toBe(zlibCrc32(bytes));
      }),
      { seed: 21, numRuns: 300 },
    );
  });
});
