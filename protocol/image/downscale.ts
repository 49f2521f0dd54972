/**
 * Integer-factor box downscale of an 8-bit grey image: each output pixel is the rounded mean of a
 * `factor` x `factor` block. Used for scanner previews and contact sheets; rows and columns that do
 * not fill a whole block are dropped.
 */

export interface GreyRaster {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey, `width * height` bytes. */
  readonly pixels: Uint8Array;
}

/**
 * @param factor integer divisor, 1 .. 64
 * @throws {RangeError} for a factor outside 1 .. 64, a buffer that does not match the size, or an
 *   image smaller than one block
 */
export function downscaleBox(image: GreyRaster, factor: number): GreyRaster {
  if (!Number.isInteger(factor) || factor < 1 || factor > 64)
    throw new RangeError(`factor ${factor} outside 1 .. 64`);
  if (image.pixels.length !== image.width * image.height)
    throw new RangeError(`${image.pixels.length} bytes for ${image.width}x${image.height}`);
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  if (width < 1 || height < 1)
    throw new RangeError(`${image.width}x${image.height} is smaller than one ${factor}-px block`);
  const pixels = new Uint8Array(width * height);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * image.width + x * factor;
        for (let dx = 0; dx < factor; dx++) sum += image.pixels[row + dx] ?? 0;
      }
      pixels[y * width + x] = Math.round(sum / area);
    }
  }
  return { width, height, pixels };
}
