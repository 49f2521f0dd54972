import { afterEach, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../../protocol/face/types.ts';
import { renderCardQr } from '../../../simulators/barcode/qr-card-image.ts';
import { QrDecoderError } from '../../../station/qr/errors.ts';
import { QrDecoder, type QrDecoderOptions } from '../../../station/qr/pool.ts';
import { readCardQr } from '../../../station/qr/read-card-qr.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

const decoders: QrDecoder[] = [];
afterEach(async () => {
  for (const d of decoders.splice(0)) await d.close();
});
function decoder(options: QrDecoderOptions = {}): QrDecoder {
  const d = new QrDecoder(options);
  decoders.push(d);
  return d;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    expect(error).toBeInstanceOf(QrDecoderError);
    return (error as QrDecoderError).code;
  }
}

const frame = renderCardQr(CCCD_TEXT, { width: 640, height: 480, qrSizePx: 200, angleDeg: 5, seed: 11 });
const blank: RgbImage = { width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 3).fill(90) };

describe('QrDecoder: QR decoding in a worker thread', () => {
  it('decodes a camera frame to the text, and readCardQr turns it into the chip key', async () => {
    const result = await decoder().decode(frame);
    expect(result).toMatchObject({ ok: true, text: CCCD_TEXT });
    if (!result.ok) return;
    const key = readCardQr(result.text, { today: '2026-12-07' });
    expect(key).toMatchObject({ ok: true, key: { id12: '001099012345', dateOfBirth: '990101' } });
  });

  it('moves the pixels with transfer: true, emptying the caller buffer', async () => {
    const copy: RgbImage = { ...frame, data: frame.data.slice() };
    const result = await decoder().decode(copy, { transfer: true });
    expect(result.ok).toBe(true);
    expect(copy.data.byteLength).toBe(0);
  });

  it('refuses a frame when the bounded queue is full, and the queued ones still finish', async () => {
    const d = decoder({ maxQueued: 1 });
    await d.decode(blank); // the worker has started
    const first = d.decode(blank);
    const second = d.decode(blank);
    expect(await codeOf(d.decode(blank))).toBe('QR_QUEUE_FULL');
    expect(await first).toMatchObject({ ok: false, reason: 'no-code' });
    expect(await second).toMatchObject({ ok: false, reason: 'no-code' });
  });

  it('cancels a queued frame at once with its AbortSignal', async () => {
    const d = decoder({ maxQueued: 4 });
    await d.decode(blank); // the worker has started
    const running = d.decode(blank);
    const controller = new AbortController();
    const queued = d.decode(blank, { signal: controller.signal });
    controller.abort();
    expect(await codeOf(queued)).toBe('QR_CANCELED');
    expect(d.queued).toBe(0);
    await running;
    expect(await codeOf(d.decode(blank, { signal: AbortSignal.abort() }))).toBe('QR_CANCELED');
  });

  it('kills a decode past the hard limit and answers the next frame from a fresh worker', async () => {
    const d = decoder();
    expect(await codeOf(d.decode(blank, { hardLimitMs: 1 }))).toBe('QR_TIMEOUT');
    expect(await d.decode(frame)).toMatchObject({ ok: true, text: CCCD_TEXT });
  });

  it('fails pending frames with QR_CLOSED on close, and refuses new ones', async () => {
    const d = decoder({ maxQueued: 2 });
    const pending = [codeOf(d.decode(blank)), codeOf(d.decode(blank))];
    await d.close();
    expect(await Promise.all(pending)).toEqual(['QR_CLOSED', 'QR_CLOSED']);
    expect(await codeOf(d.decode(blank))).toBe('QR_CLOSED');
  });

  it('returns invalid-frame for a corrupt raster, from the worker', async () => {
    const result = await decoder().decode({ width: 640, height: 480, data: new Uint8Array(7) });
    expect(result).toMatchObject({ ok: false, reason: 'invalid-frame' });
  });
});
