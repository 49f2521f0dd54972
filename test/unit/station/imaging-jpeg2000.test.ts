import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../../protocol/face/types.ts';
import type { ImageResult } from '../../../station/imaging/image-errors.ts';
import { decodeAnyPortrait, Jpeg2000Decoder } from '../../../station/imaging/jpeg2000.ts';
import {
  decodeJpeg2000With,
  loadOpenJpeg,
  readJpeg2000Header,
} from '../../../station/imaging/jpeg2000-codec.ts';
import { alignToToken } from '../../../station/imaging/portrait.ts';
import { decodeRgb, encodeJpeg, encodePng } from '../../../station/imaging/sharp-images.ts';
import { sniffImageKind } from '../../../station/imaging/sniff.ts';
import { readFixture } from '../../support/fixtures.ts';
import { FIXTURE_EYES } from './portrait-fixture-eyes.ts';

/** Encodes raw RGB or grey pixels to JPEG 2000 with ffmpeg's OpenJPEG encoder (a real JP2 producer). */
function ffmpegJpeg2000(
  image: { width: number; height: number; data: Uint8Array },
  options: { grey?: boolean; container: 'jp2' | 'j2k'; ratio: number },
): Uint8Array {
  const pix = options.grey ? 'gray' : 'rgb24';
  try {
    return new Uint8Array(
      execFileSync(
        'ffmpeg',
        [
          ...['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', pix],
          ...['-s', `${image.width}x${image.height}`, '-i', 'pipe:0', '-frames:v', '1'],
          ...[
            '-c:v',
            'libopenjpeg',
            '-compression_level',
            String(options.ratio),
            '-format',
            options.container,
          ],
          ...['-f', 'image2pipe', 'pipe:1'],
        ],
        { input: image.data, maxBuffer: 64 << 20 },
      ),
    );
  } catch (cause) {
    throw new Error('this test needs ffmpeg with libopenjpeg (apt-get install ffmpeg)', { cause });
  }
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

/** Same size and the same bytes (vitest's deep equality walks a large typed array slowly). */
function same(a: RgbImage, b: RgbImage): boolean {
  return a.width === b.width && a.height === b.height && Buffer.from(a.data).equals(Buffer.from(b.data));
}

function value<T>(result: ImageResult<T>): T {
  if (!result.ok) throw new Error(`expected an image, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function code<T>(result: ImageResult<T>): string {
  return result.ok ? 'ok' : result.error.code;
}

describe('JPEG 2000 portraits', () => {
  let portrait: RgbImage;
  let grey: { width: number; height: number; data: Uint8Array };
  let jp2: Uint8Array;
  let j2k: Uint8Array;
  let greyJp2: Uint8Array;
  const decoder = new Jpeg2000Decoder();

  beforeAll(async () => {
    // A real chip-sized portrait: a fixture face aligned to the 480 x 640 token.
    const file = 'obama__obama.jpg';
    const eyes = FIXTURE_EYES[file];
    if (!eyes) throw new Error('no eyes for the fixture');
    const aligned = await alignToToken(value(await decodeRgb(readFixture(`faces/${file}`))), eyes, 480);
    if (!aligned.ok) throw aligned.error;
    portrait = aligned.value.image;
    const g = new Uint8Array(portrait.width * portrait.height);
    for (let i = 0; i < g.length; i++) g[i] = portrait.data[i * 3 + 1] ?? 0;
    grey = { width: portrait.width, height: portrait.height, data: g };
    // About 20:1 - a DG2 JPEG 2000 portrait of a few tens of kilobytes.
    jp2 = ffmpegJpeg2000(portrait, { container: 'jp2', ratio: 20 });
    j2k = ffmpegJpeg2000(portrait, { container: 'j2k', ratio: 20 });
    greyJp2 = ffmpegJpeg2000(grey, { container: 'jp2', ratio: 10, grey: true });
  });

  afterAll(async () => {
    await decoder.close();
  });

  it('recognises each format by its signature', async () => {
    expect(sniffImageKind(jp2)).toBe('jp2');
    expect(sniffImageKind(j2k)).toBe('j2k');
    expect(sniffImageKind(await encodeJpeg(portrait, { quality: 80 }))).toBe('jpeg');
    expect(sniffImageKind(await encodePng(portrait))).toBe('png');
    expect(sniffImageKind(new Uint8Array(0))).toBeUndefined();
    expect(readJpeg2000Header(jp2)).toMatchObject({
      ok: true,
      value: { container: 'jp2', width: 480, height: 640, components: 3, bitDepth: 8, signed: false },
    });
    expect(readJpeg2000Header(j2k)).toMatchObject({
      ok: true,
      value: { container: 'j2k', width: 480, height: 640 },
    });
  });

  it('decodes a JP2 file and a J2K codestream in the worker, close to the source pixels', async () => {
    for (const bytes of [jp2, j2k]) {
      const decoded = value(await decoder.decode(bytes));
      expect([decoded.width, decoded.height]).toEqual([480, 640]);
      expect(psnr(decoded.data, portrait.data)).toBeGreaterThan(33);
    }
  });

  it('expands a greyscale JP2 to RGB', async () => {
    const decoded = value(await decoder.decode(greyJp2));
    for (let i = 0; i < decoded.data.length; i += 3 * 997) {
      expect(decoded.data[i + 1]).toBe(decoded.data[i]);
      expect(decoded.data[i + 2]).toBe(decoded.data[i]);
    }
    const green = new Uint8Array(grey.data.length);
    for (let i = 0; i < green.length; i++) green[i] = decoded.data[i * 3] ?? 0;
    expect(psnr(green, grey.data)).toBeGreaterThan(35);
  });

  it('keeps the event loop free while it decodes', async () => {
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    value(await decoder.decode(jp2));
    done = true;
    expect(turns).toBeGreaterThan(1);
  });

  it('routes any portrait by its signature', async () => {
    const fromJp2 = value(await decodeAnyPortrait(jp2, undefined, decoder));
    const fromJpeg = value(
      await decodeAnyPortrait(await encodeJpeg(portrait, { quality: 90 }), undefined, decoder),
    );
    const fromPng = value(await decodeAnyPortrait(await encodePng(portrait), undefined, decoder));
    expect(same(fromPng, portrait)).toBe(true);
    expect(psnr(fromJp2.data, portrait.data)).toBeGreaterThan(33);
    expect(psnr(fromJpeg.data, portrait.data)).toBeGreaterThan(33);
    expect(code(await decodeAnyPortrait(new Uint8Array(0), undefined, decoder))).toBe('IMAGE_DECODE_FAILED');
    expect(code(await decodeAnyPortrait(new TextEncoder().encode('GIF89a....'), undefined, decoder))).toBe(
      'IMAGE_DECODE_FAILED',
    );
  });

  it('refuses truncated, corrupt and oversized JPEG 2000 with typed results', async () => {
    expect(code(await decoder.decode(new Uint8Array(0)))).toBe('IMAGE_DECODE_FAILED');
    expect(code(await decoder.decode(jp2.subarray(0, 60)))).toBe('IMAGE_DECODE_FAILED');
    expect(code(await decoder.decode(j2k.subarray(0, j2k.length >> 1)))).toBe('IMAGE_DECODE_FAILED');
    expect(code(await decoder.decode(jp2.subarray(0, jp2.length >> 1)))).toBe('IMAGE_DECODE_FAILED');
    // SIZ says 60000 x 60000: refused from the header, before OpenJPEG allocates anything.
    const bomb = j2k.slice();
    const view = new DataView(bomb.buffer);
    view.setUint32(8, 60000);
    view.setUint32(12, 60000);
    expect(code(await decoder.decode(bomb))).toBe('IMAGE_TOO_LARGE');
    expect(code(await decoder.decode(jp2, { maxBytes: 1000, maxPixels: 40_000_000 }))).toBe(
      'IMAGE_TOO_LARGE',
    );
    // The worker survives all of it.
    expect(code(await decoder.decode(jp2))).toBe('ok');
  });

  it('the synchronous codec gives the same pixels as the worker', async () => {
    const codec = await loadOpenJpeg();
    const direct = value(decodeJpeg2000With(codec, jp2));
    expect(same(direct, value(await decoder.decode(jp2)))).toBe(true);
  });

  it('stops a decode past its time limit and fails it with a typed result', async () => {
    const impatient = new Jpeg2000Decoder({ timeoutMs: 1 });
    const result = await impatient.decode(jp2);
    expect(result.ok ? 'ok' : `${result.error.code}: ${result.error.message}`).toMatch(
      /^IMAGE_DECODE_FAILED: .*longer than 1 ms/,
    );
    await impatient.close();
    await expect(impatient.decode(jp2)).rejects.toThrow(/closed/);
  });
});
