/**
 * Image fidelity measures for judging a lossy codec (tests, benchmarks, conformance notes).
 */

/**
 * Peak signal-to-noise ratio of `decoded` against `original`, decibels, for 8-bit images:
 * 10 log10(255^2 / mean squared error). Infinity for identical images.
 * @throws {RangeError} when the two buffers differ in length or are empty.
 */
export function psnr(original: Uint8Array, decoded: Uint8Array): number {
  if (original.length !== decoded.length || original.length === 0)
    throw new RangeError(`cannot compare ${original.length} with ${decoded.length} pixels`);
  let sum = 0;
  for (let i = 0; i < original.length; i++) {
    const d = (original[i] ?? 0) - (decoded[i] ?? 0);
    sum += d * d;
  }
  return sum === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / (sum / original.length));
}

/**
 * Largest absolute difference between two 8-bit images, grey levels.
 * @throws {RangeError} when the two buffers differ in length.
 */
export function maxAbsDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`cannot compare ${a.length} with ${b.length} pixels`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    if (d > max) max = d;
  }
  return max;
}
