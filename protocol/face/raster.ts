/**
 * Pixel helpers the portrait measures share: luminance, resampling to a bounded grey raster, polygon
 * masks. Pure arithmetic over typed arrays; every function bounds its output size so a caller's work
 * never grows with an absurd input.
 */
import type { Box, Point, RgbImage } from './types.ts';

/** An 8-bit grey raster, row-major, one byte per pixel. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/**
 * Checks the raster's shape. A wrong shape is a programmer error (the decoder adapter builds these),
 * so it throws.
 * @throws RangeError when the sizes are not positive integers or the data length is not w*h*3.
 */
export function assertRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`RgbImage size must be positive integers, got ${width}x${height}`);
  if (data.length !== width * height * 3)
    throw new RangeError(
      `RgbImage data must be ${width * height * 3} bytes for ${width}x${height}, got ${data.length}`,
    );
}

/**
 * Luma of one pixel, 0..255: ITU-R BT.601 weights (0.299, 0.587, 0.114) in 8-bit fixed point, the
 * weighting OpenCV's RGB-to-grey (and so OFIQ's luminance image) uses.
 */
export function luma(r: number, g: number, b: number): number {
  return (r * 77 + g * 150 + b * 29 + 128) >> 8;
}

/**
 * Grey copy of `region` (default the whole image) resampled to `outWidth` x `outHeight` by averaging
 * each output pixel's footprint (a box filter when shrinking; nearest pixel when enlarging). The
 * footprint is sampled at most 4x4 times so the cost is O(outWidth * outHeight) whatever the input.
 * @throws RangeError when the output size is not a positive integer.
 */
export function resampleGrey(image: RgbImage, outWidth: number, outHeight: number, region?: Box): GreyImage {
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1)
    throw new RangeError(`output size must be positive integers, got ${outWidth}x${outHeight}`);
  const { width, height, data } = image;
  const rx = region?.x ?? 0;
  const ry = region?.y ?? 0;
  const rw = region?.width ?? width;
  const rh = region?.height ?? height;
  const out = new Uint8Array(outWidth * outHeight);
  const sx = rw / outWidth;
  const sy = rh / outHeight;
  // Up to 4 samples a side: enough to stop aliasing of fine texture on a 2-4x shrink, and bounded.
  const nx = Math.max(1, Math.min(4, Math.round(sx)));
  const ny = Math.max(1, Math.min(4, Math.round(sy)));
  const xs = new Int32Array(outWidth * nx);
  for (let ox = 0; ox < outWidth; ox++)
    for (let k = 0; k < nx; k++) {
      const x = Math.floor(rx + (ox + (k + 0.5) / nx) * sx);
      xs[ox * nx + k] = x < 0 ? 0 : x >= width ? width - 1 : x;
    }
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let j = 0; j < ny; j++) {
        let y = Math.floor(ry + (oy + (j + 0.5) / ny) * sy);
        y = y < 0 ? 0 : y >= height ? height - 1 : y;
        const row = y * width;
        for (let k = 0; k < nx; k++) {
          const p = (row + (xs[ox * nx + k] ?? 0)) * 3;
          sum += luma(data[p] ?? 0, data[p + 1] ?? 0, data[p + 2] ?? 0);
        }
      }
      out[oy * outWidth + ox] = Math.round(sum / (nx * ny));
    }
  }
  return { width: outWidth, height: outHeight, pixels: out };
}

/**
 * Even-odd scanline fill of a polygon into a 0/1 mask of `width` x `height`, points in mask pixels.
 * Pixels whose centre lies inside are set; points outside the mask are clipped, never an error.
 */
export function fillPolygonMask(
  mask: Uint8Array,
  width: number,
  height: number,
  polygon: readonly Point[],
): void {
  scanPolygon(width, height, polygon, (y, x0, x1) => {
    mask.fill(1, y * width + x0, y * width + x1 + 1);
  });
}

/**
 * Calls `span(y, x0, x1)` for every run of pixel centres inside the polygon (even-odd rule), clipped
 * to [0, width) x [0, height). Non-finite points are ignored.
 */
export function scanPolygon(
  width: number,
  height: number,
  polygon: readonly Point[],
  span: (y: number, x0: number, x1: number) => void,
): void {
  const pts = polygon.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (pts.length < 3) return;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const p of pts) {
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const y1 = Math.min(height - 1, Math.floor(maxY - 0.5));
  const xsAt: number[] = [];
  for (let y = y0; y <= y1; y++) {
    const cy = y + 0.5;
    xsAt.length = 0;
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i];
      const b = pts[(i + 1) % pts.length];
      if (a === undefined || b === undefined) continue;
      if (a.y <= cy === b.y <= cy) continue;
      xsAt.push(a.x + ((cy - a.y) / (b.y - a.y)) * (b.x - a.x));
    }
    xsAt.sort((p, q) => p - q);
    for (let i = 0; i + 1 < xsAt.length; i += 2) {
      const left = Math.max(0, Math.ceil((xsAt[i] ?? 0) - 0.5));
      const right = Math.min(width - 1, Math.floor((xsAt[i + 1] ?? 0) - 0.5));
      if (right >= left) span(y, left, right);
    }
  }
}

/** The box clipped to the image, whole pixels; null when nothing of it is inside. */
export function clipBox(box: Box, width: number, height: number): Box | null {
  if (![box.x, box.y, box.width, box.height].every(Number.isFinite)) return null;
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The blur effect of Crété-Roffet et al. (2007, "The blur effect: perception and estimation with a
 * new no-reference perceptual blur metric"), 0 (sharp) .. 1 (flat), over the pixels where `mask` is 1
 * (all when no mask): the share of neighbour-to-neighbour variation that a further 9-tap box blur
 * removes, the larger of the horizontal and vertical values. Content-normalised, so a smooth face and
 * a textured one are read on the same scale, unlike the variance of the Laplacian.
 */
export function blurEffect(grey: GreyImage, mask?: Uint8Array): number {
  const { width: w, height: h, pixels: f } = grey;
  if (w < 3 || h < 3) return 1;
  const blurred = new Float32Array(w * h);
  let worst = 0;
  for (const vertical of [false, true]) {
    // 9-tap box blur along one axis, edges clamped, as a running sum (O(1) per pixel).
    const lines = vertical ? w : h;
    const length = vertical ? h : w;
    const stride = vertical ? w : 1;
    const lineStep = vertical ? 1 : w;
    for (let line = 0; line < lines; line++) {
      const base = line * lineStep;
      const value = (k: number) => f[base + (k < 0 ? 0 : k >= length ? length - 1 : k) * stride] ?? 0;
      let s = 0;
      for (let k = -4; k <= 4; k++) s += value(k);
      for (let k = 0; k < length; k++) {
        blurred[base + k * stride] = s / 9;
        s += value(k + 5) - value(k - 4);
      }
    }
    let sumF = 0;
    let sumV = 0;
    const step = vertical ? w : 1;
    for (let y = vertical ? 1 : 0; y < h; y++)
      for (let x = vertical ? 0 : 1; x < w; x++) {
        const i = y * w + x;
        if (mask !== undefined && (mask[i] === 0 || mask[i - step] === 0)) continue;
        const dF = Math.abs((f[i] ?? 0) - (f[i - step] ?? 0));
        const dB = Math.abs((blurred[i] ?? 0) - (blurred[i - step] ?? 0));
        sumF += dF;
        sumV += Math.max(0, dF - dB);
      }
    const value = sumF > 0 ? (sumF - sumV) / sumF : 1;
    worst = Math.max(worst, value);
  }
  return worst;
}

/**
 * Variance of the 4-neighbour Laplacian over the interior pixels where `mask` is 1 (all when no
 * mask), grey levels squared.
 */
export function laplacianVariance(grey: GreyImage, mask?: Uint8Array): number {
  const { width: w, height: h, pixels: f } = grey;
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (mask !== undefined && mask[i] === 0) continue;
      const l = (f[i - 1] ?? 0) + (f[i + 1] ?? 0) + (f[i - w] ?? 0) + (f[i + w] ?? 0) - 4 * (f[i] ?? 0);
      n++;
      sum += l;
      sum2 += l * l;
    }
  if (n === 0) return 0;
  const mean = sum / n;
  return Math.max(0, sum2 / n - mean * mean);
}

/** OFIQ's logistic: 1 / (1 + exp((x0 - x) / w)). */
export function sigmoid(x: number, x0: number, w: number): number {
  return 1 / (1 + Math.exp((x0 - x) / w));
}

/** Clamp to 0..100 and round, as OFIQ's quality components are. */
export function component(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.round(Math.min(100, Math.max(0, value)));
}

/**
 * resampleGrey for a grey source: `region` of `grey` to `outWidth` x `outHeight`, each output pixel
 * the mean of up to 4x4 samples of its footprint.
 * @throws RangeError when the output size is not a positive integer.
 */
export function resampleGreyImage(
  grey: GreyImage,
  outWidth: number,
  outHeight: number,
  region?: Box,
): GreyImage {
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1)
    throw new RangeError(`output size must be positive integers, got ${outWidth}x${outHeight}`);
  const { width, height, pixels } = grey;
  const rx = region?.x ?? 0;
  const ry = region?.y ?? 0;
  const sx = (region?.width ?? width) / outWidth;
  const sy = (region?.height ?? height) / outHeight;
  const nx = Math.max(1, Math.min(4, Math.round(sx)));
  const ny = Math.max(1, Math.min(4, Math.round(sy)));
  const out = new Uint8Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++)
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let j = 0; j < ny; j++) {
        let y = Math.floor(ry + (oy + (j + 0.5) / ny) * sy);
        y = y < 0 ? 0 : y >= height ? height - 1 : y;
        for (let k = 0; k < nx; k++) {
          let x = Math.floor(rx + (ox + (k + 0.5) / nx) * sx);
          x = x < 0 ? 0 : x >= width ? width - 1 : x;
          sum += pixels[y * width + x] ?? 0;
        }
      }
      out[oy * outWidth + ox] = Math.round(sum / (nx * ny));
    }
  return { width: outWidth, height: outHeight, pixels: out };
}
