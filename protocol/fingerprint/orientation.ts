/**
 * Block orientation field of a greyscale fingerprint by the gradient structure tensor (the
 * least-squares estimate used throughout the literature, e.g. Bazen and Gerez 2002): per block,
 * Gxx = sum gx^2, Gyy = sum gy^2, Gxy = sum gx gy; the ridge direction is
 * 1/2 atan2(2 Gxy, Gxx - Gyy) + pi/2, and the coherence sqrt((Gxx - Gyy)^2 + 4 Gxy^2) / (Gxx + Gyy)
 * says how clearly one direction dominates (1 = parallel ridges, 0 = no structure).
 */

export interface OrientationField {
  /** Block size, px. */
  readonly block: number;
  readonly blocksWide: number;
  readonly blocksHigh: number;
  /** Ridge direction per block, radians in [0, pi), y downwards. */
  readonly angle: Float32Array;
  /** Coherence per block in [0, 1]. */
  readonly coherence: Float32Array;
  /** Mean squared gradient per block (grey levels^2): near zero on empty glass. */
  readonly energy: Float32Array;
}

/**
 * @param pixels row-major 8-bit image, `width * height` bytes
 * @param block block side in px (16 at 500 ppi covers about two ridges)
 * @throws {RangeError} when the buffer does not match the size or the block is below 4 px
 */
export function blockOrientation(
  pixels: Uint8Array,
  width: number,
  height: number,
  block = 16,
): OrientationField {
  if (pixels.length !== width * height) throw new RangeError(`${pixels.length} bytes for ${width}x${height}`);
  if (!Number.isInteger(block) || block < 4) throw new RangeError(`block ${block} px is below 4`);
  const blocksWide = Math.floor(width / block);
  const blocksHigh = Math.floor(height / block);
  const n = blocksWide * blocksHigh;
  const gxx = new Float64Array(n);
  const gyy = new Float64Array(n);
  const gxy = new Float64Array(n);
  for (let y = 1; y < blocksHigh * block - 1; y++) {
    const by = Math.floor(y / block);
    for (let x = 1; x < blocksWide * block - 1; x++) {
      const i = y * width + x;
      // Sobel gradients.
      const a = pixels[i - width - 1] ?? 0;
      const b = pixels[i - width] ?? 0;
      const c = pixels[i - width + 1] ?? 0;
      const d = pixels[i - 1] ?? 0;
      const f = pixels[i + 1] ?? 0;
      const g = pixels[i + width - 1] ?? 0;
      const h = pixels[i + width] ?? 0;
      const k = pixels[i + width + 1] ?? 0;
      const gx = c + 2 * f + k - a - 2 * d - g;
      const gy = g + 2 * h + k - a - 2 * b - c;
      const j = by * blocksWide + Math.floor(x / block);
      gxx[j] = (gxx[j] ?? 0) + gx * gx;
      gyy[j] = (gyy[j] ?? 0) + gy * gy;
      gxy[j] = (gxy[j] ?? 0) + gx * gy;
    }
  }
  const angle = new Float32Array(n);
  const coherence = new Float32Array(n);
  const energy = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const xx = gxx[j] ?? 0;
    const yy = gyy[j] ?? 0;
    const xy = gxy[j] ?? 0;
    let theta = 0.5 * Math.atan2(2 * xy, xx - yy) + Math.PI / 2;
    if (theta >= Math.PI) theta -= Math.PI;
    angle[j] = theta;
    const sum = xx + yy;
    coherence[j] = sum > 0 ? Math.sqrt((xx - yy) ** 2 + 4 * xy * xy) / sum : 0;
    energy[j] = sum / (block * block);
  }
  return { block, blocksWide, blocksHigh, angle, coherence, energy };
}
