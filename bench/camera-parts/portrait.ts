/**
 * Bench part (issue 19, `npm run bench:camera`): the card portrait on the shared real photographs
 * (`../shared/fixtures/faces/`), with eye centres measured once (test/unit/station/portrait-fixture-eyes.ts).
 *
 * - cardPortraitMs: align to the 480 x 640 token and find the best JPEG quality within 20 000 bytes
 *   (sharp), from the decoded RGB frame; target <= 50 ms. Split into its alignment and its quality search.
 * - icaoCaptureMs: the 900 x 1200, quality 90 capture for the packet's Type-10.
 * - jp2DecodeMs: a 480 x 640 JPEG 2000 portrait (about 20:1, made with ffmpeg's OpenJPEG encoder) decoded
 *   by OpenJPEG WASM, in its worker (what the station waits) and directly (the CPU it costs).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { RgbImage } from '../../protocol/face/types.ts';
import { Jpeg2000Decoder } from '../../station/imaging/jpeg2000.ts';
import { decodeJpeg2000With, loadOpenJpeg } from '../../station/imaging/jpeg2000-codec.ts';
import { alignToToken, makeCardPortrait, makeIcaoCapture } from '../../station/imaging/portrait.ts';
import { decodeRgb, encodeJpeg } from '../../station/imaging/sharp-images.ts';
import { readFixture } from '../../test/support/fixtures.ts';
import { FIXTURE_EYES } from '../../test/unit/station/portrait-fixture-eyes.ts';
import { summarize } from '../stats.ts';

const RUNS_PER_FACE = 6;
const JP2_RUNS = 30;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function toJp2(image: RgbImage): Uint8Array {
  return new Uint8Array(
    execFileSync(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24'],
        ...['-s', `${image.width}x${image.height}`, '-i', 'pipe:0', '-frames:v', '1'],
        ...[
          '-c:v',
          'libopenjpeg',
          '-compression_level',
          '20',
          '-format',
          'jp2',
          '-f',
          'image2pipe',
          'pipe:1',
        ],
      ],
      { input: image.data, maxBuffer: 64 << 20 },
    ),
  );
}

export async function run(): Promise<Record<string, unknown>> {
  const card: number[] = [];
  const align: number[] = [];
  const search: number[] = [];
  const icao: number[] = [];
  const faces: Record<string, { bytes: number; quality: number; encodes: number; upscaled: boolean }> = {};
  let firstToken: RgbImage | undefined;
  for (const [file, eyes] of Object.entries(FIXTURE_EYES)) {
    const decoded = await decodeRgb(readFixture(`faces/${file}`));
    if (!decoded.ok) throw decoded.error;
    const source = decoded.value;
    await makeCardPortrait(source, eyes); // warm
    for (let i = 0; i < RUNS_PER_FACE; i++) {
      card.push(await time(() => makeCardPortrait(source, eyes)));
      let token: RgbImage | undefined;
      align.push(
        await time(async () => {
          const aligned = await alignToToken(source, eyes, 480);
          if (aligned.ok) token = aligned.value.image;
        }),
      );
      if (!token) throw new Error(`${file}: alignment failed`);
      firstToken ??= token;
      const raster = token;
      // The search alone: what makeCardPortrait does after aligning (same encodes, same order).
      const result = await makeCardPortrait(source, eyes);
      if (!result.ok) throw result.error;
      const qualities = searchOrder(result.value.quality);
      search.push(
        await time(async () => {
          for (const quality of qualities) await encodeJpeg(raster, { quality });
        }),
      );
      icao.push(await time(() => makeIcaoCapture(source, eyes)));
      faces[file] = {
        bytes: result.value.jpeg.length,
        quality: result.value.quality,
        encodes: result.value.encodes,
        upscaled: result.value.alignment.scale > 1,
      };
    }
  }

  if (!firstToken) throw new Error('no fixture faces');
  const jp2 = toJp2(firstToken);
  const decoder = new Jpeg2000Decoder();
  const worker: number[] = [];
  const direct: number[] = [];
  try {
    await decoder.decode(jp2); // start the worker and load the WASM
    for (let i = 0; i < JP2_RUNS; i++) worker.push(await time(() => decoder.decode(jp2)));
    const codec = await loadOpenJpeg();
    decodeJpeg2000With(codec, jp2);
    for (let i = 0; i < JP2_RUNS; i++) {
      const start = performance.now();
      decodeJpeg2000With(codec, jp2);
      direct.push(performance.now() - start);
    }
  } finally {
    await decoder.close();
  }

  return {
    cores: availableParallelism(),
    faces: Object.keys(FIXTURE_EYES).length,
    cardPortraitMs: { ...summarize(card), target: '<= 50 ms (480x640, <= 20000 bytes)' },
    cardPortraitAlignMs: summarize(align),
    cardPortraitQualitySearchMs: summarize(search),
    cardPortraitPerFace: faces,
    icaoCaptureMs: { ...summarize(icao), size: '900x1200', quality: 90 },
    jp2: { bytes: jp2.length, size: `${firstToken.width}x${firstToken.height}` },
    jp2DecodeInWorkerMs: summarize(worker),
    jp2DecodeDirectMs: summarize(direct),
  };
}

/**
 * The qualities makeCardPortrait encodes to settle on `quality` (its binary search over 20..95),
 * re-derived so the search can be timed apart from the alignment.
 */
function searchOrder(quality: number): number[] {
  const order: number[] = [];
  let low = 20;
  let high = 95;
  while (low <= high) {
    const q = (low + high) >> 1;
    order.push(q);
    if (q <= quality) low = q + 1;
    else high = q - 1;
  }
  return order;
}

if (import.meta.main) console.log(JSON.stringify(await run(), null, 2));
