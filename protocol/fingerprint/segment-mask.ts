/**
 * Finding finger-shaped regions in a slap at low resolution: a foreground mask on an 8 px cell grid,
 * then touching fingers pulled apart by a persistence watershed on the mask's distance map.
 *
 * The image is first box-downscaled by 4 (`downscaleBox`): 500 ppi ridges, 7-12 px apart, keep about
 * 70 % of their contrast at that factor, so ridge texture still tells skin from glass. Each 8 px cell
 * then looks at a 4 x 4 window of downscaled pixels (16 x 16 px of the slap, about two ridges).
 *
 * Pure and bounded: every buffer is sized from the grid (at most 500 x 500 cells for a 4000 px side).
 */

import { downscaleBox, type GreyRaster } from '../image/downscale.ts';

/** Side of one cell of the analysis grid, px of the slap. */
export const CELL = 8;
/** Downscale factor of the image the cells are measured on. */
const FACTOR = 4;
/** How far a cell's texture window reaches past the cell, px. */
const BOX_INSET = 4;
/** Chamfer 3-4 distance units per cell step. */
export const CHAMFER_STEP = 3;
const CHAMFER_DIAGONAL = 4;

export interface CellGrid {
  readonly width: number;
  readonly height: number;
  /** Mean grey per cell, 0-255. */
  readonly mean: Float32Array;
  /** Grey-level standard deviation per cell (ridge texture), grey levels. */
  readonly deviation: Float32Array;
}

/**
 * Cell statistics of a slap. The caller has checked the image (sides at least 2 cells).
 * @throws {RangeError} from `downscaleBox` when the buffer does not match the size
 */
export function measureCells(image: GreyRaster): CellGrid {
  const small = downscaleBox(image, FACTOR);
  const step = CELL / FACTOR;
  const width = Math.floor(small.width / step);
  const height = Math.floor(small.height / step);
  const mean = new Float32Array(width * height);
  const deviation = new Float32Array(width * height);
  const sw = small.width;
  const sh = small.height;
  const px = small.pixels;
  for (let cy = 0; cy < height; cy++) {
    const y0 = Math.max(0, cy * step - 1);
    const y1 = Math.min(sh - 1, cy * step + step);
    for (let cx = 0; cx < width; cx++) {
      const x0 = Math.max(0, cx * step - 1);
      const x1 = Math.min(sw - 1, cx * step + step);
      let sum = 0;
      let squares = 0;
      for (let y = y0; y <= y1; y++) {
        const row = y * sw;
        for (let x = x0; x <= x1; x++) {
          const v = px[row + x] ?? 0;
          sum += v;
          squares += v * v;
        }
      }
      const n = (y1 - y0 + 1) * (x1 - x0 + 1);
      const m = sum / n;
      const i = cy * width + cx;
      mean[i] = m;
      deviation[i] = Math.sqrt(Math.max(0, squares / n - m * m));
    }
  }
  return { width, height, mean, deviation };
}

/** Texture floor, grey levels: sensor noise on glass stays near 1-2 after the 4x averaging. */
const MIN_TEXTURE = 5;
/** A cell this much darker than the glass is skin even without visible ridges (wet, smeared). */
const DARKER_THAN_GLASS = 24;
/** Radius of the morphological closing of the raw mask, cells. */
const CLOSING_CELLS = 2;
/** Enclosed holes up to this many cells (dry patches, scars) are filled. */
const MAX_HOLE_CELLS = 400;

function percentile(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Foreground cell values: skin seen in the cell itself, or a gap the closing filled. */
export const SKIN = 2;
export const FILLED = 1;

/**
 * Foreground cells: SKIN, FILLED or 0 for glass. A cell is skin when it shows ridge texture clearly
 * above the glass's own noise, or when it is much darker than the glass (wet prints, motion blur).
 * The glass level is the median of the textureless cells, so an all-black or all-white image has no
 * foreground. Ridges are dark on light glass, as optical FAP 60 scanners deliver them.
 */
export function foregroundCells(grid: CellGrid): Uint8Array {
  const { width, height, mean, deviation } = grid;
  const n = width * height;
  // Fingers cover under half of a slap: the quietest tenth of the cells is glass.
  const noise = percentile(deviation, 0.1);
  const textured = Math.max(MIN_TEXTURE, 4 * noise);
  const flat = new Float32Array(n);
  let flatCount = 0;
  for (let i = 0; i < n; i++) if ((deviation[i] ?? 0) < textured) flat[flatCount++] = mean[i] ?? 0;
  const glassLevels = flat.subarray(0, flatCount).sort();
  // Without textureless cells there is no glass to compare with: darkness says nothing then.
  const glass = flatCount === 0 ? 0 : (glassLevels[Math.floor(flatCount / 2)] ?? 0);
  const raw = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const m = mean[i] ?? 0;
    if ((deviation[i] ?? 0) >= textured || m <= glass - DARKER_THAN_GLASS) raw[i] = 1;
  }
  // Closing by two cells (16 px) bridges broken dry ridges and the gaps of a light touch.
  let closed: Uint8Array = raw;
  for (let k = 0; k < CLOSING_CELLS; k++) closed = dilate(closed, width, height);
  for (let k = 0; k < CLOSING_CELLS; k++) closed = erode(closed, width, height);
  fillHoles(closed, width, height, MAX_HOLE_CELLS);
  for (let i = 0; i < n; i++) if (closed[i] === 1) closed[i] = raw[i] === 1 ? SKIN : FILLED;
  return closed;
}

/**
 * 3 x 3 morphology on a 0/1 grid: a cell becomes `value` when it or any neighbour inside the image
 * holds `value`. Cells outside the image count as neither, so an erosion (value 0) treats them as
 * foreground and fingers cut by the edge keep their rim.
 */
function spread(bits: Uint8Array, width: number, height: number, value: 0 | 1): Uint8Array {
  const out = new Uint8Array(bits.length);
  const other = 1 - value;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let hit = false;
      for (let dy = -1; dy <= 1 && !hit; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width && bits[yy * width + xx] === value) {
            hit = true;
            break;
          }
        }
      }
      out[y * width + x] = hit ? value : other;
    }
  }
  return out;
}

function dilate(bits: Uint8Array, width: number, height: number): Uint8Array {
  return spread(bits, width, height, 1);
}

function erode(bits: Uint8Array, width: number, height: number): Uint8Array {
  return spread(bits, width, height, 0);
}

/** Sets background components that do not touch the border and have at most `maxCells` cells. */
function fillHoles(bits: Uint8Array, width: number, height: number, maxCells: number): void {
  const seen = new Uint8Array(bits.length);
  const queue = new Int32Array(bits.length);
  for (let start = 0; start < bits.length; start++) {
    if (bits[start] === 1 || seen[start] === 1) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    let border = false;
    while (head < tail) {
      const i = queue[head++] ?? 0;
      const x = i % width;
      const y = (i - x) / width;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) border = true;
      if (x > 0) tail = visit(i - 1, bits, seen, queue, tail);
      if (x < width - 1) tail = visit(i + 1, bits, seen, queue, tail);
      if (y > 0) tail = visit(i - width, bits, seen, queue, tail);
      if (y < height - 1) tail = visit(i + width, bits, seen, queue, tail);
    }
    if (!border && tail <= maxCells) for (let k = 0; k < tail; k++) bits[queue[k] ?? 0] = 1;
  }
}

function visit(j: number, bits: Uint8Array, seen: Uint8Array, queue: Int32Array, tail: number): number {
  if (bits[j] === 1 || seen[j] === 1) return tail;
  seen[j] = 1;
  queue[tail] = j;
  return tail + 1;
}

/**
 * Chamfer 3-4 distance of every foreground (non-zero) cell to the nearest background cell, 3 units
 * per cell step. Outside the image counts as foreground, so a finger cut by the edge keeps its width.
 */
export function distanceMap(bits: Uint8Array, width: number, height: number): Uint16Array {
  const big = 0xffff;
  const d = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) d[i] = bits[i] === 0 ? 0 : big;
  const at = (x: number, y: number, fallback: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? fallback : (d[y * width + x] ?? 0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const here = d[i] ?? 0;
      if (here === 0) continue;
      const v = Math.min(
        here,
        at(x - 1, y, here) + CHAMFER_STEP,
        at(x, y - 1, here) + CHAMFER_STEP,
        at(x - 1, y - 1, here) + CHAMFER_DIAGONAL,
        at(x + 1, y - 1, here) + CHAMFER_DIAGONAL,
      );
      d[i] = Math.min(big, v);
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      const here = d[i] ?? 0;
      if (here === 0) continue;
      const v = Math.min(
        here,
        at(x + 1, y, here) + CHAMFER_STEP,
        at(x, y + 1, here) + CHAMFER_STEP,
        at(x + 1, y + 1, here) + CHAMFER_DIAGONAL,
        at(x - 1, y + 1, here) + CHAMFER_DIAGONAL,
      );
      d[i] = Math.min(big, v);
    }
  }
  // A mask that fills the whole image has no background: cap at the largest possible distance.
  const cap = CHAMFER_STEP * Math.max(width, height);
  for (let i = 0; i < d.length; i++) if ((d[i] ?? 0) > cap) d[i] = cap;
  return d;
}

/**
 * Splits the foreground into one region per distance-map peak that stands at least `persistence`
 * (chamfer units) above the saddle joining it to a higher peak: two fingers touching at their sides
 * meet at a narrow neck, one finger's ragged edge does not make a second peak. This is the
 * persistence-based clustering of ToMATo (Chazal et al. 2013) on the 8-connected cell grid: cells
 * are taken from the highest distance down and joined with union-find; each joins the region of its
 * steepest uphill neighbour (the watershed of the distance map).
 *
 * @returns a label per cell: -1 background, else the index of the cell that roots its region
 */
export function splitByPersistence(
  distance: Uint16Array,
  width: number,
  height: number,
  persistence: number,
): Int32Array {
  const n = distance.length;
  let max = 0;
  for (let i = 0; i < n; i++) if ((distance[i] ?? 0) > max) max = distance[i] ?? 0;
  // Counting sort of the foreground cells by distance, highest first.
  const counts = new Int32Array(max + 2);
  for (let i = 0; i < n; i++) {
    const v = distance[i] ?? 0;
    if (v > 0) counts[max - v] = (counts[max - v] ?? 0) + 1;
  }
  let running = 0;
  for (let k = 0; k <= max; k++) {
    const c = counts[k] ?? 0;
    counts[k] = running;
    running += c;
  }
  const order = new Int32Array(running);
  for (let i = 0; i < n; i++) {
    const v = distance[i] ?? 0;
    if (v === 0) continue;
    const slot = counts[max - v] ?? 0;
    order[slot] = i;
    counts[max - v] = slot + 1;
  }

  const parent = new Int32Array(n).fill(-1);
  const peak = new Uint16Array(n);
  const find = (i: number): number => {
    let r = i;
    while ((parent[r] ?? r) !== r) r = parent[r] ?? r;
    let j = i;
    while ((parent[j] ?? j) !== r) {
      const next = parent[j] ?? r;
      parent[j] = r;
      j = next;
    }
    return r;
  };
  const roots: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k] ?? 0;
    const d = distance[i] ?? 0;
    const x = i % width;
    const y = (i - x) / width;
    roots.length = 0;
    let uphill = -1;
    let uphillValue = -1;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if ((dx === 0 && dy === 0) || xx < 0 || xx >= width) continue;
        const j = yy * width + xx;
        if ((parent[j] ?? -1) < 0) continue;
        const r = find(j);
        if (!roots.includes(r)) roots.push(r);
        const v = distance[j] ?? 0;
        if (v > uphillValue) {
          uphillValue = v;
          uphill = j;
        }
      }
    }
    if (roots.length === 0) {
      parent[i] = i;
      peak[i] = d;
      continue;
    }
    let highest = roots[0] ?? i;
    for (const r of roots) if ((peak[r] ?? 0) > (peak[highest] ?? 0)) highest = r;
    for (const r of roots) {
      // The lower peak dies here unless it stands out by the persistence threshold.
      if (r !== highest && (peak[r] ?? 0) - d < persistence) parent[r] = highest;
    }
    // The cell joins the region of its steepest uphill neighbour: the watershed of the distance map.
    parent[i] = find(uphill);
  }
  const labels = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) if ((parent[i] ?? -1) >= 0) labels[i] = find(i);
  return labels;
}

/** One finger-like region of the cell grid, measured in slap pixels. */
export interface Region {
  /** Compact region number, 0-based, in the label map returned beside it. */
  readonly id: number;
  /** Contact area, px^2 (cells x 64). */
  readonly area: number;
  /** Centroid, px. */
  readonly x: number;
  readonly y: number;
  /** Axis-aligned box, px, clipped to the image. */
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Finger axis against vertical, degrees, clockwise positive (the tip leaning right), in (-90, 90]. */
  readonly rotation: number;
  /** Fingertip: the region's furthest point along the axis, towards the top. */
  readonly tip: { readonly x: number; readonly y: number };
  /** Extent across the axis, px. */
  readonly width: number;
  /** Extent along the axis, px. */
  readonly length: number;
  /** Offset of the middle of the across-extent from the centroid, px (positive to the right of the axis). */
  readonly acrossMiddle: number;
}

export interface RegionMap {
  readonly regions: readonly Region[];
  /** Per cell: region id, or -1. */
  readonly cells: Int32Array;
}

/**
 * Measures the regions of `labels` with at least `minCells` cells; smaller ones are dropped (dust,
 * noise) and their cells set to -1 in the returned map. Rotation is the principal axis of the
 * region's second moments; the tip is the furthest cell along it, upwards.
 */
export function measureRegions(
  labels: Int32Array,
  width: number,
  height: number,
  minCells: number,
  foreground?: Uint8Array,
): RegionMap {
  const n = labels.length;
  const index = new Int32Array(n).fill(-1);
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const root = labels[i] ?? -1;
    if (root < 0) continue;
    let id = index[root] ?? -1;
    if (id < 0) {
      id = counts.length;
      index[root] = id;
      counts.push(0);
    }
    counts[id] = (counts[id] ?? 0) + 1;
  }
  // Keep only big enough regions, renumbered.
  const keep = counts.map(() => -1);
  let kept = 0;
  for (let id = 0; id < counts.length; id++) if ((counts[id] ?? 0) >= minCells) keep[id] = kept++;
  const cells = new Int32Array(n).fill(-1);
  const sx = new Float64Array(kept);
  const sy = new Float64Array(kept);
  const sxx = new Float64Array(kept);
  const syy = new Float64Array(kept);
  const sxy = new Float64Array(kept);
  const cnt = new Float64Array(kept);
  const minX = new Int32Array(kept).fill(width);
  const minY = new Int32Array(kept).fill(height);
  const maxX = new Int32Array(kept).fill(-1);
  const maxY = new Int32Array(kept).fill(-1);
  for (let i = 0; i < n; i++) {
    const root = labels[i] ?? -1;
    if (root < 0) continue;
    const id = keep[index[root] ?? 0] ?? -1;
    if (id < 0) continue;
    cells[i] = id;
    const x = i % width;
    const y = (i - x) / width;
    sx[id] = (sx[id] ?? 0) + x;
    sy[id] = (sy[id] ?? 0) + y;
    sxx[id] = (sxx[id] ?? 0) + x * x;
    syy[id] = (syy[id] ?? 0) + y * y;
    sxy[id] = (sxy[id] ?? 0) + x * y;
    cnt[id] = (cnt[id] ?? 0) + 1;
    // The box follows the skin itself, not the gaps the closing bridged (between touching fingers).
    if (foreground !== undefined && foreground[i] !== SKIN) continue;
    if (x < (minX[id] ?? 0)) minX[id] = x;
    if (y < (minY[id] ?? 0)) minY[id] = y;
    if (x > (maxX[id] ?? 0)) maxX[id] = x;
    if (y > (maxY[id] ?? 0)) maxY[id] = y;
  }
  const axes: { ux: number; uy: number; mx: number; my: number }[] = [];
  for (let id = 0; id < kept; id++) {
    const c = cnt[id] ?? 1;
    const mx = (sx[id] ?? 0) / c;
    const my = (sy[id] ?? 0) / c;
    const m20 = (sxx[id] ?? 0) / c - mx * mx;
    const m02 = (syy[id] ?? 0) / c - my * my;
    const m11 = (sxy[id] ?? 0) / c - mx * my;
    // Major axis angle from +x (y down); the tip direction is the one pointing up.
    const phi = 0.5 * Math.atan2(2 * m11, m20 - m02);
    let ux = Math.cos(phi);
    let uy = Math.sin(phi);
    // Fingers on a slap point up. A fingertip-only contact is wider than long: its long axis is
    // across the finger, so take whichever principal axis is nearer vertical (limit: +-45 degrees).
    if (Math.abs(uy) < Math.abs(ux)) {
      const turned = ux;
      ux = -uy;
      uy = turned;
    }
    if (uy > 0 || (uy === 0 && ux < 0)) {
      ux = -ux;
      uy = -uy;
    }
    axes.push({ ux, uy, mx, my });
  }
  // Extents along (towards the tip) and across (to the right of the axis), in cells.
  const alongMax = new Float64Array(kept).fill(Number.NEGATIVE_INFINITY);
  const alongMin = new Float64Array(kept).fill(Number.POSITIVE_INFINITY);
  const acrossMax = new Float64Array(kept).fill(Number.NEGATIVE_INFINITY);
  const acrossMin = new Float64Array(kept).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const id = cells[i] ?? -1;
    if (id < 0 || (foreground !== undefined && foreground[i] !== SKIN)) continue;
    const axis = axes[id];
    if (axis === undefined) continue;
    const x = (i % width) - axis.mx;
    const y = Math.floor(i / width) - axis.my;
    const along = x * axis.ux + y * axis.uy;
    // Across: the axis turned a quarter clockwise on screen (y down), i.e. to the finger's right.
    const across = -x * axis.uy + y * axis.ux;
    if (along > (alongMax[id] ?? 0)) alongMax[id] = along;
    if (along < (alongMin[id] ?? 0)) alongMin[id] = along;
    if (across > (acrossMax[id] ?? 0)) acrossMax[id] = across;
    if (across < (acrossMin[id] ?? 0)) acrossMin[id] = across;
  }
  const regions: Region[] = [];
  for (let id = 0; id < kept; id++) {
    const axis = axes[id];
    if (axis === undefined) continue;
    // The outermost skin cells overhang the contact by about half a cell (BOX_INSET): their centres
    // are the contact's edge.
    const top = alongMax[id] ?? 0;
    const acrossMid = ((acrossMax[id] ?? 0) + (acrossMin[id] ?? 0)) / 2;
    // Tip on the axis line through the middle of the across-extent.
    const tipX = axis.mx + top * axis.ux - acrossMid * axis.uy;
    const tipY = axis.my + top * axis.uy + acrossMid * axis.ux;
    regions.push({
      id,
      area: (cnt[id] ?? 0) * CELL * CELL,
      x: (axis.mx + 0.5) * CELL,
      y: (axis.my + 0.5) * CELL,
      box: cellBox(minX[id] ?? 0, minY[id] ?? 0, maxX[id] ?? 0, maxY[id] ?? 0, width, height),
      rotation: (Math.atan2(axis.ux, -axis.uy) * 180) / Math.PI,
      tip: { x: (tipX + 0.5) * CELL, y: (tipY + 0.5) * CELL },
      width: ((acrossMax[id] ?? 0) - (acrossMin[id] ?? 0) + 1) * CELL - 2 * BOX_INSET,
      length: ((alongMax[id] ?? 0) - (alongMin[id] ?? 0) + 1) * CELL - 2 * BOX_INSET,
      acrossMiddle: acrossMid * CELL,
    });
  }
  return { regions, cells };
}

/**
 * Pixel box of a cell range. A cell's texture window reaches BOX_INSET px past each of its sides, so
 * the outermost skin cells overhang the contact by about that much: the box is inset by it.
 */
function cellBox(x0: number, y0: number, x1: number, y1: number, cellsWide: number, cellsHigh: number) {
  if (x1 < x0 || y1 < y0) return { x: 0, y: 0, width: 0, height: 0 };
  const left = x0 === 0 ? 0 : x0 * CELL + BOX_INSET;
  const top = y0 === 0 ? 0 : y0 * CELL + BOX_INSET;
  const right = x1 === cellsWide - 1 ? cellsWide * CELL : (x1 + 1) * CELL - BOX_INSET;
  const bottom = y1 === cellsHigh - 1 ? cellsHigh * CELL : (y1 + 1) * CELL - BOX_INSET;
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * Moves foreground cells between neighbouring regions to the one whose shape explains them best:
 * each region is modelled by the ellipse of its second moments, and a cell goes to the region with
 * the smallest Mahalanobis distance plus log-determinant (one step of a Gaussian mixture). The
 * watershed puts the border between two touching fingers on the distance map's ridge, which bends
 * into the lower finger's rim; the ellipses put it where the two contacts meet.
 */
export function reassignByShape(map: RegionMap, width: number, height: number): Int32Array {
  const k = map.regions.length;
  const cells = new Int32Array(map.cells);
  if (k < 2) return cells;
  const n = cells.length;
  const sx = new Float64Array(k);
  const sy = new Float64Array(k);
  const sxx = new Float64Array(k);
  const syy = new Float64Array(k);
  const sxy = new Float64Array(k);
  const cnt = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const id = cells[i] ?? -1;
    if (id < 0) continue;
    const x = i % width;
    const y = (i - x) / width;
    sx[id] = (sx[id] ?? 0) + x;
    sy[id] = (sy[id] ?? 0) + y;
    sxx[id] = (sxx[id] ?? 0) + x * x;
    syy[id] = (syy[id] ?? 0) + y * y;
    sxy[id] = (sxy[id] ?? 0) + x * y;
    cnt[id] = (cnt[id] ?? 0) + 1;
  }
  // Inverse covariance (a, b, c for [[a, b], [b, c]]) and log-determinant per region.
  const mx = new Float64Array(k);
  const my = new Float64Array(k);
  const ia = new Float64Array(k);
  const ib = new Float64Array(k);
  const ic = new Float64Array(k);
  const logDet = new Float64Array(k);
  for (let id = 0; id < k; id++) {
    const c = Math.max(1, cnt[id] ?? 1);
    const x = (sx[id] ?? 0) / c;
    const y = (sy[id] ?? 0) / c;
    const vxx = (sxx[id] ?? 0) / c - x * x + 1 / 12;
    const vyy = (syy[id] ?? 0) / c - y * y + 1 / 12;
    const vxy = (sxy[id] ?? 0) / c - x * y;
    const det = Math.max(1e-6, vxx * vyy - vxy * vxy);
    mx[id] = x;
    my[id] = y;
    ia[id] = vyy / det;
    ib[id] = -vxy / det;
    ic[id] = vxx / det;
    logDet[id] = Math.log(det);
  }
  // Only regions that touch compete for a cell: look for other labels within two cells.
  const reach = 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const own = map.cells[i] ?? -1;
      if (own < 0) continue;
      let best = own;
      let bestScore = score(own, x, y);
      for (let dy = -reach; dy <= reach; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -reach; dx <= reach; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const other = map.cells[yy * width + xx] ?? -1;
          if (other < 0 || other === own || other === best) continue;
          const s = score(other, x, y);
          if (s < bestScore) {
            bestScore = s;
            best = other;
          }
        }
      }
      cells[i] = best;
    }
  }
  return cells;

  function score(id: number, x: number, y: number): number {
    const dx = x - (mx[id] ?? 0);
    const dy = y - (my[id] ?? 0);
    return (
      (ia[id] ?? 0) * dx * dx + 2 * (ib[id] ?? 0) * dx * dy + (ic[id] ?? 0) * dy * dy + (logDet[id] ?? 0)
    );
  }
}
