/**
 * Image-level degradations for graded test sets: the capture went out of focus (blur), the sensor is
 * noisy (noise), the image is washed out (low contrast). With the generator's skin conditions and
 * their `severity`, they give the quality model prints whose badness is known and adjustable.
 * Deterministic: the same inputs give the same bytes.
 */
import type { RenderedImage } from './generator.ts';
import { mixSeed, Random } from './random.ts';

const STREAM_NOISE = 0x4e4f4953; // 'NOIS'

function check(name: string, value: number, max: number): void {
  if (!(value >= 0 && value <= max)) throw new RangeError(`${name} ${value} is outside 0 .. ${max}`);
}

/**
 * Gaussian blur of standard deviation `sigma` px (0 = unchanged), separable, edges clamped.
 * @throws {RangeError} for a sigma outside 0 .. 20.
 */
export function blur(image: RenderedImage, sigma: number): RenderedImage {
  check('blur sigma', sigma, 20);
  if (sigma === 0) return image;
  const radius = Math.ceil(sigma * 3);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++)
    sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] = (kernel[i] ?? 0) / sum;
  const { width, height, pixels } = image;
  const across = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const sx = Math.min(width - 1, Math.max(0, x + k));
        acc += (kernel[k + radius] ?? 0) * (pixels[row + sx] ?? 0);
      }
      across[row + x] = acc;
    }
  }
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const sy = Math.min(height - 1, Math.max(0, y + k));
        acc += (kernel[k + radius] ?? 0) * (across[sy * width + x] ?? 0);
      }
      out[y * width + x] = Math.round(acc);
    }
  }
  return { ...image, pixels: out };
}

/**
 * Adds white Gaussian noise of standard deviation `sigma` grey levels, seeded by `seed`.
 * @throws {RangeError} for a sigma outside 0 .. 128.
 */
export function noise(image: RenderedImage, sigma: number, seed = 1): RenderedImage {
  check('noise sigma', sigma, 128);
  if (sigma === 0) return image;
  const random = new Random(mixSeed(STREAM_NOISE, seed));
  const out = new Uint8Array(image.pixels.length);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.min(255, Math.max(0, Math.round((image.pixels[i] ?? 0) + sigma * random.gaussian())));
  return { ...image, pixels: out };
}

/**
 * Pulls every grey level towards the background: `loss` 0 keeps the image, 1 leaves a blank
 * white-ish page (a washed-out or underexposed capture).
 * @throws {RangeError} for a loss outside 0 .. 1.
 */
export function washOut(image: RenderedImage, loss: number): RenderedImage {
  check('contrast loss', loss, 1);
  if (loss === 0) return image;
  const keep = 1 - loss;
  const out = new Uint8Array(image.pixels.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(255 - (255 - (image.pixels[i] ?? 0)) * keep);
  return { ...image, pixels: out };
}
