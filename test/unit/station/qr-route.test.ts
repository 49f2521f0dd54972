/**
 * POST /qr/decode: a photo or camera frame of a CCCD's front in, the QR text and the chip's access
 * key out; unreadable images are typed errors, images without a code typed results.
 */
import Fastify from 'fastify';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RgbImage } from '../../../protocol/face/types.ts';
import { renderCardQr } from '../../../simulators/barcode/qr-card-image.ts';
import { buildStation } from '../../../station/app.ts';
import { encodeJpeg, encodePng } from '../../../station/imaging/sharp-images.ts';
import { MAX_QR_IMAGE_BYTES, qrRoutes } from '../../../station/plugins/qr.ts';
import { QrDecoder } from '../../../station/qr/pool.ts';
import { ManualClock, tempDir, testConfig } from '../../support/station.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** The station's app with no devices and no central service: /qr/decode needs neither. */
async function station() {
  const tmp = tempDir('station-qr-');
  const clock = new ManualClock();
  const app = await buildStation({
    config: testConfig({}, tmp.dir),
    devices: [],
    clock,
    central: {
      url: 'http://127.0.0.1:9',
      reachability: async () => ({
        url: 'http://127.0.0.1:9',
        mode: 'embedded',
        reachable: true,
        checkedAt: new Date(clock.now()).toISOString(),
      }),
    },
    outbox: { depth: async () => 0 },
    logger: false,
  });
  cleanups.push(async () => {
    await app.close();
    tmp.remove();
  });
  return app;
}

/** A 1280x720 frame with no code: a dim, noisy desk gradient (seeded). */
function emptyFrame(): RgbImage {
  const width = 1280;
  const height = 720;
  const data = new Uint8Array(width * height * 3);
  let seed = 7;
  for (let i = 0; i < width * height; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const v = 60 + ((i % width) >> 4) + ((seed >>> 24) & 7);
    data.set([v, v, v - 10], i * 3);
  }
  return { width, height, data };
}

let cardJpeg: Uint8Array;
let cardPng: Uint8Array;
beforeAll(async () => {
  const frame = renderCardQr(CCCD_TEXT, { width: 1280, height: 720, seed: 3 });
  cardJpeg = await encodeJpeg(frame, { quality: 85 });
  cardPng = await encodePng(renderCardQr(CCCD_TEXT, { width: 640, height: 480, seed: 4 }));
});

function post(
  app: Awaited<ReturnType<typeof station>>,
  body: Uint8Array | string,
  type: string,
  url = '/qr/decode',
) {
  return app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: Buffer.from(body) });
}

describe('POST /qr/decode', () => {
  it('reads the QR code in a JPEG camera frame of a card and answers the text, where it is, and the key', async () => {
    const app = await station();
    const response = await post(app, cardJpeg, 'image/jpeg');
    expect(response.statusCode).toBe(200);
    const answer = response.json();
    expect(answer).toMatchObject({
      ok: true,
      text: CCCD_TEXT,
      today: '2026-11-22',
      qr: { ok: true, fields: { id: '001099012345', fullName: 'Nguyễn Văn An' } },
      key: { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' },
      expiryFrom: 'derived',
      symbol: { version: expect.any(Number), pass: expect.any(String) },
      decodeMs: expect.any(Number),
    });
    // The code sits at the frame's centre (renderCardQr's default): its corners surround it.
    const { topLeft, bottomRight } = answer.symbol.corners;
    expect(topLeft.x).toBeLessThan(640);
    expect(bottomRight.x).toBeGreaterThan(640);
    expect(topLeft.y).toBeLessThan(360);
    expect(bottomRight.y).toBeGreaterThan(360);
  });

  it('reads a PNG too, and takes the expiry the officer typed from ?dateOfExpiry', async () => {
    const app = await station();
    const response = await post(app, cardPng, 'image/png', '/qr/decode?dateOfExpiry=391231');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, key: { dateOfExpiry: '391231' }, expiryFrom: 'given' });
  });

  it('answers a frame without a code as a typed result (200, QR_NO_CODE) with the officer message', async () => {
    const app = await station();
    const response = await post(app, await encodeJpeg(emptyFrame(), { quality: 85 }), 'image/jpeg');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      ok: false,
      code: 'QR_NO_CODE',
      message: { vi: expect.stringMatching(/mã QR/), en: expect.stringMatching(/QR code/) },
      text: null,
      key: null,
      symbol: null,
    });
  });

  it('refuses a corrupt or empty JPEG with 422 IMAGE_DECODE_FAILED', async () => {
    const app = await station();
    const garbage = new Uint8Array(4000);
    garbage.set([0xff, 0xd8, 0xff, 0xe0]);
    for (let i = 4; i < garbage.length; i++) garbage[i] = (i * 7919) & 0xff;
    for (const body of [garbage, cardJpeg.subarray(0, 300), new Uint8Array(0)]) {
      const response = await post(app, body, 'image/jpeg');
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({
        code: 'IMAGE_DECODE_FAILED',
        message: expect.any(String),
      });
    }
  });

  it('refuses what is not an image body: JSON (QR_IMAGE_EXPECTED), another type, more than 16 MiB', async () => {
    const app = await station();
    const json = await app.inject({ method: 'POST', url: '/qr/decode', payload: { image: 'x' } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('QR_IMAGE_EXPECTED');
    const text = await post(app, 'hello', 'text/plain');
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toEqual(expect.any(String));
    const huge = await post(app, new Uint8Array(MAX_QR_IMAGE_BYTES + 1), 'image/jpeg');
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toEqual(expect.any(String));
  });

  it('starts its decoder with the first image, not before, and closes it with the station', async () => {
    const made: QrDecoder[] = [];
    const app = Fastify({ logger: false });
    await app.register(qrRoutes, {
      devices: [],
      clock: new ManualClock(),
      makeDecoder: () => {
        const decoder = new QrDecoder();
        made.push(decoder);
        return decoder;
      },
    });
    cleanups.push(() => app.close());
    await app.ready();
    expect(made).toHaveLength(0);
    const response = await post(app as never, cardJpeg, 'image/jpeg');
    expect(response.json().ok).toBe(true);
    await post(app as never, cardJpeg, 'image/jpeg');
    expect(made).toHaveLength(1);
    const decoder = made[0];
    if (!decoder) throw new Error('no decoder');
    const close = vi.spyOn(decoder, 'close');
    await app.close();
    expect(close).toHaveBeenCalledOnce();
    await expect(decoder.decode({ width: 1, height: 1, data: new Uint8Array(3) })).rejects.toMatchObject({
      code: 'QR_CLOSED',
    });
  });
});
