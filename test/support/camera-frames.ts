/**
 * Real JPEG frames for the camera tests, encoded by sharp (libjpeg-turbo): seeded noise over a
 * gradient, so each frame differs and compresses like a camera picture. Also an MJPEG stream recorded
 * by ffmpeg itself, for the tests that want ffmpeg's own output.
 */
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';

/** xorshift32: deterministic bytes for a seed. */
function noise(seed: number, length: number): Uint8Array {
  let x = seed >>> 0 || 0x9e3779b9;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface FrameOptions {
  readonly width?: number;
  readonly height?: number;
  readonly quality?: number;
  readonly progressive?: boolean;
}

/** One JPEG picture (baseline unless `progressive`), `width` x `height` px. */
export async function makeJpeg(seed: number, options: FrameOptions = {}): Promise<Uint8Array> {
  const width = options.width ?? 64;
  const height = options.height ?? 48;
  const pixels = noise(seed, width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      // Mostly a smooth gradient with some noise, like a picture rather than static.
      pixels[at] = ((x * 255) / width + (pixels[at] ?? 0) / 8) & 0xff;
      pixels[at + 1] = ((y * 255) / height + (pixels[at + 1] ?? 0) / 8) & 0xff;
      pixels[at + 2] = (seed * 37 + (pixels[at + 2] ?? 0) / 4) & 0xff;
    }
  const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: options.quality ?? 80, progressive: options.progressive ?? false })
    .toBuffer();
  return new Uint8Array(jpeg);
}

export async function makeJpegs(
  count: number,
  firstSeed: number,
  options: FrameOptions = {},
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(await makeJpeg(firstSeed + i, options));
  return out;
}

/**
 * `jpeg` with an EXIF APP1 segment right after its SOI that carries `thumbnail` (itself a JPEG with
 * its own SOI .. EOI), as many cameras write.
 */
export function withThumbnail(jpeg: Uint8Array, thumbnail: Uint8Array): Uint8Array {
  const payload = new Uint8Array(6 + thumbnail.length);
  payload.set([0x45, 0x78, 0x69, 0x66, 0, 0]); // "Exif\0\0"
  payload.set(thumbnail, 6);
  const length = payload.length + 2;
  if (length > 0xffff) throw new RangeError('thumbnail too large for one APP1 segment');
  const out = new Uint8Array(jpeg.length + 4 + payload.length);
  out.set(jpeg.subarray(0, 2));
  out.set([0xff, 0xe1, length >> 8, length & 0xff], 2);
  out.set(payload, 6);
  out.set(jpeg.subarray(2), 6 + payload.length);
  return out;
}

/** Whether `bytes` is a whole JPEG: SOI at the start, EOI at the end. */
export function isWholeJpeg(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9;
}

/** Decodes `jpeg` with sharp: its size, or an error if libjpeg cannot read it. */
export async function jpegSize(jpeg: Uint8Array): Promise<{ width: number; height: number }> {
  const { info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height };
}

/** `frames` MJPEG frames of ffmpeg's testsrc2, as ffmpeg's own mjpeg muxer writes them. */
export function ffmpegTestStream(frames: number, size = '160x120'): Uint8Array {
  const run = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=30`,
      '-frames:v',
      String(frames),
      '-c:v',
      'mjpeg',
      '-q:v',
      '5',
      '-f',
      'mjpeg',
      'pipe:1',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error || run.status !== 0)
    throw new Error(
      `ffmpeg could not make test frames (${run.error?.message ?? run.stderr.toString()}): install it with apt-get install -y --no-install-recommends ffmpeg`,
    );
  return new Uint8Array(run.stdout);
}
