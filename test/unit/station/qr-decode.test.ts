import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../../protocol/face/types.ts';
import { renderCardQr, renderQrMatrix } from '../../../simulators/barcode/qr-card-image.ts';
import { encodeQr } from '../../../simulators/barcode/qr-encode.ts';
import { decodeQrFrame, type GreyImage, rgbToGrey } from '../../../station/qr/decode.ts';

/** A CCCD QR text in the card's seven-field layout, Vietnamese in UTF-8. */
const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

describe('decodeQrFrame: the CCCD QR code in a camera frame', () => {
  it.each([
    { width: 1280, height: 720, angleDeg: 0, qrSizePx: 260 },
    { width: 1280, height: 720, angleDeg: 12, qrSizePx: 200 },
    { width: 1280, height: 720, angleDeg: -25, qrSizePx: 130 },
    { width: 640, height: 480, angleDeg: 0, qrSizePx: 200 },
    { width: 640, height: 480, angleDeg: -10, qrSizePx: 170 },
    { width: 640, height: 480, angleDeg: 30, qrSizePx: 200 },
  ])(
    'reads the Vietnamese text exactly from a card held at $angleDeg° ($width x $height, QR $qrSizePx px)',
    (o) => {
      const frame = renderCardQr(CCCD_TEXT, {
        ...o,
        seed: 7,
        center: { x: o.width * 0.58, y: o.height * 0.46 },
      });
      const result = decodeQrFrame(frame);
      expect(result).toMatchObject({ ok: true, text: CCCD_TEXT });
      if (!result.ok) return;
      // The corners are in frame pixels, around where the code was drawn.
      const xs = [result.corners.topLeft.x, result.corners.topRight.x, result.corners.bottomRight.x];
      const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(Math.abs(meanX - o.width * 0.58)).toBeLessThan(o.qrSizePx);
    },
  );

  it('finds a small, far card through the crop around the code-like region', () => {
    const frame = renderCardQr(CCCD_TEXT, {
      qrSizePx: 150,
      angleDeg: 8,
      seed: 3,
      center: { x: 300, y: 500 },
    });
    const result = decodeQrFrame(frame);
    expect(result).toMatchObject({ ok: true, text: CCCD_TEXT });
    if (result.ok) expect(result.pass).not.toBe('halved');
  });

  it.each([
    { light: 0.3, noise: 6, what: 'a dim room' },
    { light: 1, noise: 12, what: 'a noisy sensor' },
  ])('reads the code in $what', ({ light, noise }) => {
    for (const [width, height] of [
      [1280, 720],
      [640, 480],
    ] as const) {
      const frame = renderCardQr(CCCD_TEXT, {
        width,
        height,
        qrSizePx: height * 0.3,
        angleDeg: 10,
        center: { x: width * 0.55, y: height * 0.47 },
        seed: 5,
        light,
        noise,
      });
      expect(decodeQrFrame(frame)).toMatchObject({ ok: true, text: CCCD_TEXT });
    }
  });

  it('reads a grey raster as well as RGB', () => {
    const frame = rgbToGrey(renderCardQr(CCCD_TEXT, { width: 640, height: 480, qrSizePx: 200, seed: 2 }));
    expect(decodeQrFrame(frame)).toMatchObject({ ok: true, text: CCCD_TEXT });
  });

  it('says no-code for a frame with no code in it (a flat wall, a noisy scene)', () => {
    const flat: RgbImage = { width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 3).fill(140) };
    expect(decodeQrFrame(flat)).toMatchObject({ ok: false, reason: 'no-code' });
    // The card with its code out of the picture: only the background and card edge are left.
    const away = renderCardQr(CCCD_TEXT, {
      width: 640,
      height: 480,
      qrSizePx: 150,
      seed: 5,
      center: { x: -400, y: -400 },
    });
    expect(decodeQrFrame(away)).toMatchObject({ ok: false, reason: 'no-code' });
  });

  it('says unreadable for a code too damaged to decode (a third of the modules flipped)', () => {
    const matrix = encodeQr(CCCD_TEXT);
    const modules = matrix.modules.slice();
    // Flip modules in the data area only (rows and columns past the finder patterns) so the code is
    // still found, then fails Reed-Solomon.
    for (let y = 9; y < matrix.size - 9; y++)
      for (let x = 9; x < matrix.size; x++)
        if ((x * 31 + y * 17) % 3 === 0)
          modules[y * matrix.size + x] = (modules[y * matrix.size + x] ?? 0) ^ 1;
    const frame = renderQrMatrix({ ...matrix, modules }, { width: 640, height: 480, qrSizePx: 220, seed: 4 });
    expect(decodeQrFrame(frame)).toMatchObject({ ok: false, reason: 'unreadable' });
  });

  it('refuses a corrupt raster as a typed result, never a throw', () => {
    const short: RgbImage = { width: 1280, height: 720, data: new Uint8Array(1000) };
    expect(decodeQrFrame(short)).toMatchObject({ ok: false, reason: 'invalid-frame' });
    const zero: RgbImage = { width: 0, height: 0, data: new Uint8Array(0) };
    expect(decodeQrFrame(zero)).toMatchObject({ ok: false, reason: 'invalid-frame' });
    const greyWrong: GreyImage = {
      format: 'grey',
      width: 640,
      height: 480,
      data: new Uint8Array(640 * 480 * 3),
    };
    expect(decodeQrFrame(greyWrong)).toMatchObject({ ok: false, reason: 'invalid-frame' });
    const fractional: RgbImage = { width: 10.5, height: 2, data: new Uint8Array(63) };
    expect(decodeQrFrame(fractional)).toMatchObject({ ok: false, reason: 'invalid-frame' });
  });

  it('turns random bytes into a typed result', () => {
    let seed = 99;
    const data = new Uint8Array(640 * 480 * 3);
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = seed >>> 24;
    }
    const result = decodeQrFrame({ width: 640, height: 480, data });
    expect(result.ok).toBe(false);
  });
});
