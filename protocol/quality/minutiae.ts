/**
 * NFIQ 2's four minutiae measures, computed NIST's way but on our own minutiae
 * (protocol/fingerprint/ridges.ts extractMinutiae, or minutiae the caller supplies) instead of
 * FingerJet FX's. Definitions from NFIQ2 v2.3 `FingerJetFX.cpp` (count, centre-of-mass rectangle)
 * and `FJFXMinutiaeQuality.cpp` (Mu and OCL minutia quality); ISO/IEC 29794-4:2024 6.2.9 to
 * 6.2.12.
 */

import { BLOCK, oclAround } from './blocks.ts';

/** A minutia position, px, in the image the measures were computed on. */
export interface MinutiaPoint {
  readonly x: number;
  readonly y: number;
}

export interface MinutiaeMeasures {
  /** Minutiae_Count (cf. FingerJetFX_MinutiaeCount). */
  readonly count: number;
  /** Minutiae in the 200 x 200 px box centred on their centre of mass, box edges included. */
  readonly inCentreBox: number;
  /**
   * Share of minutiae whose 32 x 32 neighbourhood is darker than the image by 0 to 0.5 image
   * standard deviations: (Mu - mean) / sigma in (0, 0.5] (cf. FJFXPos_Mu_MinutiaeQuality_2).
   */
  readonly muQuality2: number;
  /** Share of minutiae whose 32 x 32 block has OCL above 0.80 (cf. FJFXPos_OCL_MinutiaeQuality_80). */
  readonly oclQuality80: number;
}

/** Side of the centre-of-mass box, px (FingerJetFX.cpp rect200x200). */
export const CENTRE_BOX = 200;

/**
 * @param minutiae positions in this image's pixels; NIST truncates coordinates to integers
 * @param mu, sigma the image's mean grey level and standard deviation (blocks.ts contrast)
 * The image must be at least 32 x 32. With no minutiae every measure is 0 (NIST divides by zero).
 */
export function minutiaeMeasures(
  pixels: Uint8Array,
  width: number,
  height: number,
  mu: number,
  sigma: number,
  minutiae: readonly MinutiaPoint[],
): MinutiaeMeasures {
  const count = minutiae.length;
  if (count === 0) return { count, inCentreBox: 0, muQuality2: 0, oclQuality80: 0 };
  let sx = 0;
  let sy = 0;
  for (const m of minutiae) {
    sx += Math.trunc(m.x);
    sy += Math.trunc(m.y);
  }
  // Unsigned integer division in NIST's code.
  const cx = Math.floor(sx / count);
  const cy = Math.floor(sy / count);
  const half = CENTRE_BOX / 2;
  const x0 = Math.max(0, cx - half);
  const y0 = Math.max(0, cy - half);
  const x1 = Math.min(width - 1, cx + half);
  const y1 = Math.min(height - 1, cy + half);

  let inCentreBox = 0;
  let mu2 = 0;
  let ocl80 = 0;
  for (const m of minutiae) {
    const x = Math.trunc(m.x);
    const y = Math.trunc(m.y);
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) inCentreBox++;

    // Mean of the 32 x 32 block from (x - 16, y - 16), clipped to the image (not shifted).
    const left = Math.max(0, x - BLOCK / 2);
    const top = Math.max(0, y - BLOCK / 2);
    const w = left + BLOCK > width ? width - left : BLOCK;
    const h = top + BLOCK > height ? height - top : BLOCK;
    let sum = 0;
    for (let yy = top; yy < top + h; yy++)
      for (let xx = left; xx < left + w; xx++) sum += pixels[yy * width + xx] ?? 0;
    const quality = (mu - sum / (w * h)) / sigma;
    if (quality > 0 && quality <= 0.5) mu2++;

    if (Math.trunc(oclAround(pixels, width, height, x, y) * 100 + 0.5) > 80) ocl80++;
  }
  return { count, inCentreBox, muQuality2: mu2 / count, oclQuality80: ocl80 / count };
}
