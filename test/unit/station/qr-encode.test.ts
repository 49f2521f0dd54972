import jsQRModule from 'jsqr';
import { describe, expect, it } from 'vitest';
import { encodeQr, type QrMatrix } from '../../../simulators/barcode/qr-encode.ts';

const jsQR = jsQRModule.default;

/** Draws the symbol at 4 px per module with a 4-module quiet zone, as RGBA for jsQR. */
function rgba(matrix: QrMatrix): { data: Uint8ClampedArray; side: number } {
  const scale = 4;
  const side = (matrix.size + 8) * scale;
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - 4;
      const my = Math.floor(y / scale) - 4;
      if (
        mx >= 0 &&
        my >= 0 &&
        mx < matrix.size &&
        my < matrix.size &&
        matrix.modules[my * matrix.size + mx] === 1
      ) {
        const at = (y * side + x) * 4;
        data[at] = 0;
        data[at + 1] = 0;
        data[at + 2] = 0;
      }
    }
  return { data, side };
}

function decoded(matrix: QrMatrix): string | undefined {
  const { data, side } = rgba(matrix);
  const code = jsQR(data, side, side);
  return code ? new TextDecoder().decode(Uint8Array.from(code.binaryData)) : undefined;
}

describe('the test QR encoder (simulators/barcode/qr-encode.ts), checked by decoding with jsQR', () => {
  const texts = [
    'A',
    '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024',
    'Đ'.repeat(100),
  ];

  it.each(['L', 'M'] as const)('round-trips UTF-8 text at level %s with every mask', (ecLevel) => {
    for (const text of texts)
      for (let mask = 0; mask < 8; mask++) expect(decoded(encodeQr(text, { ecLevel, mask }))).toBe(text);
  });

  it.each(['L', 'M'] as const)(
    'round-trips every version 1-15 at level %s (block layouts, alignment patterns)',
    (ecLevel) => {
      for (let version = 1; version <= 15; version++) {
        const matrix = encodeQr('Đ|0123456789', { ecLevel, minVersion: version, mask: version % 8 });
        expect(matrix.version).toBe(version);
        expect(decoded(matrix)).toBe('Đ|0123456789');
      }
    },
  );

  it('takes the smallest version that holds the bytes, up to 15', () => {
    expect(encodeQr('A', { ecLevel: 'M' })).toMatchObject({ version: 1, size: 21 });
    // Version 1-M holds 14 bytes, version 2-M 26 (18004 Table 7).
    expect(encodeQr('x'.repeat(14), { ecLevel: 'M' }).version).toBe(1);
    expect(encodeQr('x'.repeat(15), { ecLevel: 'M' }).version).toBe(2);
    // Version 10-M holds 213 bytes (16-bit count from version 10), 15-M 412 (18004 Table 7).
    expect(encodeQr('x'.repeat(213), { ecLevel: 'M' })).toMatchObject({ version: 10, size: 57 });
    expect(encodeQr('x'.repeat(214), { ecLevel: 'M' })).toMatchObject({ version: 11, size: 61 });
    expect(decoded(encodeQr('x'.repeat(213)))).toBe('x'.repeat(213));
    expect(encodeQr('x'.repeat(412), { ecLevel: 'M' })).toMatchObject({ version: 15, size: 77 });
    expect(() => encodeQr('x'.repeat(413), { ecLevel: 'M' })).toThrow(/do not fit/);
  });

  it('writes the version information block from version 7, which the decoder reads', () => {
    for (const minVersion of [7, 8, 9, 10, 11, 12, 13, 14, 15]) {
      const matrix = encodeQr('version info', { minVersion });
      expect(matrix.version).toBe(minVersion);
      expect(decoded(matrix)).toBe('version info');
    }
  });
});
