/**
 * NFIQ 2's first step: trim the near-white frame around the print (ISO/IEC 29794-4:2024 6.1.5,
 * image preprocessing; NFIQ2 `nfiq2_fingerprintimagedata.cpp` copyRemovingNearWhiteFrame). From
 * each edge, whole rows and columns whose mean grey level is above 250 are dropped. Row means are taken over the full width
 * and column means over the full height of the input, so the four edges are found independently.
 *
 * The NFIQ2 sources we could read keep one white row or column next to the print, but NIST's
 * expected v2.3 outputs for the SFinGe examples (Mu and UniformImage to all six digits) are only
 * reproduced when no white row is kept; we follow the expected outputs (README.md, "Trimming").
 */

/** Rows and columns whose mean is above this are frame (NFIQ2 MU_THRESHOLD). */
export const WHITE_FRAME_MEAN = 250;

/** The part of the input that NFIQ 2 measures, in input pixels. */
export interface CropBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export function findPrintBox(pixels: Uint8Array, width: number, height: number): CropBox {
  const rowSums = new Float64Array(height);
  const colSums = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    for (let x = 0; x < width; x++) {
      const v = pixels[row + x] ?? 0;
      sum += v;
      colSums[x] = (colSums[x] ?? 0) + v;
    }
    rowSums[y] = sum;
  }
  const rowPrinted = (y: number) => (rowSums[y] ?? 0) / width <= WHITE_FRAME_MEAN;
  const colPrinted = (x: number) => (colSums[x] ?? 0) / height <= WHITE_FRAME_MEAN;

  let top = 0;
  for (let y = 0; y < height; y++) {
    if (rowPrinted(y)) {
      top = y;
      break;
    }
  }
  let bottom = height - 1;
  for (let y = height - 1; y >= 0; y--) {
    if (rowPrinted(y)) {
      bottom = y;
      break;
    }
  }
  let left = 0;
  for (let x = 0; x < width; x++) {
    if (colPrinted(x)) {
      left = x;
      break;
    }
  }
  let right = width - 1;
  for (let x = width - 1; x >= 0; x--) {
    if (colPrinted(x)) {
      right = x;
      break;
    }
  }
  // An all-white image keeps its full size (NIST falls back the same way).
  let w = right - left + 1;
  if (w <= 0) {
    left = 0;
    w = width;
  }
  let h = bottom - top + 1;
  if (h <= 0) {
    top = 0;
    h = height;
  }
  return { left, top, width: w, height: h };
}

export function cropPixels(pixels: Uint8Array, width: number, box: CropBox): Uint8Array {
  const out = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (box.top + y) * width + box.left;
    out.set(pixels.subarray(from, from + box.width), y * box.width);
  }
  return out;
}
