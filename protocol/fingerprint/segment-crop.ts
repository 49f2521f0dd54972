/**
 * Upright single-finger crops out of a slap: the finger turned so that its axis is vertical, tip at
 * the top, sampled bilinearly at full resolution. Pixels of the neighbouring fingers are painted
 * white (255, as NIST's NFSEG does outside its boxes), so a matcher or NFIQ 2 sees one finger only.
 */

import type { GreyRaster } from '../image/downscale.ts';
import { CELL } from './segment-mask.ts';

/** NFIQ 2 accepts 500 ppi images of these sizes after it trims the white border, px. */
export const CROP_MIN_SIDE = 197;
export const CROP_MAX_WIDTH = 799;
export const CROP_MAX_HEIGHT = 999;
/** Room left around the finger in the crop, px (about two ridges). */
export const CROP_MARGIN = 16;

export interface CropFrame {
  /** Fingertip, slap px: the middle of the crop's top edge lies CROP_MARGIN above it. */
  readonly tipX: number;
  readonly tipY: number;
  /** Finger axis against vertical, degrees, clockwise positive. */
  readonly rotation: number;
  /** Crop size, px. */
  readonly width: number;
  readonly height: number;
}

/**
 * The slap point (px) under point (u, v) of a crop, in crop px with pixel centres at +0.5: the
 * middle of the crop's top row is (width / 2, 0.5). Never throws.
 */
export function cropToSlap(frame: CropFrame, u: number, v: number): { x: number; y: number } {
  const t = (frame.rotation * Math.PI) / 180;
  const ax = Math.sin(t); // towards the tip
  const ay = -Math.cos(t);
  const across = u - frame.width / 2;
  const below = v - CROP_MARGIN;
  // Right of the axis is the axis turned a quarter clockwise: (-ay, ax).
  return { x: frame.tipX - across * ay - below * ax, y: frame.tipY + across * ax - below * ay };
}

/**
 * Samples the crop described by `frame` out of `image` (8-bit grey, `frame.width * frame.height`
 * bytes). Where `cells` (one region id per 8 px cell, -1 for glass) names another region than `own`,
 * or outside the slap, the crop is white. Never throws.
 */
export function sampleCrop(
  image: GreyRaster,
  frame: CropFrame,
  cells: Int32Array,
  cellsWide: number,
  cellsHigh: number,
  own: number,
): Uint8Array {
  const { width, height, pixels } = image;
  const out = new Uint8Array(frame.width * frame.height);
  const t = (frame.rotation * Math.PI) / 180;
  const ax = Math.sin(t);
  const ay = -Math.cos(t);
  // Step along a crop row: one px to the finger's right; along a column: one px away from the tip.
  const rx = -ay;
  const ry = ax;
  const start = cropToSlap(frame, 0.5, 0.5);
  // A local copy: imported bindings can compile to getters, too slow for a per-pixel loop.
  const cell = CELL;
  for (let v = 0; v < frame.height; v++) {
    // Coordinates in pixel-centre space: pixel (i, j) covers [i, i+1) and has its centre at i + 0.5.
    let x = start.x - v * ax - 0.5;
    let y = start.y - v * ay - 0.5;
    const row = v * frame.width;
    for (let u = 0; u < frame.width; u++, x += rx, y += ry) {
      if (x < 0 || y < 0 || x >= width - 1 || y >= height - 1) {
        out[row + u] = 255;
        continue;
      }
      // Non-negative here, so truncation is floor.
      const x0 = x | 0;
      const y0 = y | 0;
      const cx = ((x + 0.5) / cell) | 0;
      const cy = ((y + 0.5) / cell) | 0;
      // Pixels past the last whole cell (sides not a multiple of 8) belong to no region.
      const region = cx < cellsWide && cy < cellsHigh ? (cells[cy * cellsWide + cx] ?? -1) : -1;
      if (region >= 0 && region !== own) {
        out[row + u] = 255;
        continue;
      }
      const fx = x - x0;
      const fy = y - y0;
      const i = y0 * width + x0;
      const top = (pixels[i] ?? 255) * (1 - fx) + (pixels[i + 1] ?? 255) * fx;
      const bottom = (pixels[i + width] ?? 255) * (1 - fx) + (pixels[i + width + 1] ?? 255) * fx;
      out[row + u] = top * (1 - fy) + bottom * fy + 0.5;
    }
  }
  return out;
}
