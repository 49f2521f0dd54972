/**
 * Finds and decodes a QR code (the CCCD's) in one camera frame, with jsQR. Synchronous CPU work:
 * the station runs it in a worker (pool.ts); this module is what the worker calls, and what tests
 * call directly.
 *
 * Speed (issue 19: a 1280x720 frame in ≤ 100 ms p95). jsQR's cost grows with the pixels it is given
 * and with the finder-pattern candidates it meets, so the frame is turned grey once, halved when
 * larger than 800 px, and searched for code-like patches: 4-connected groups of 8x8 cells with high
 * contrast, dense and squarish (a QR code is a block of black/white edges, unlike a desk edge or a
 * face). Passes, cheapest first, stopping at the first that decodes:
 *   1. each high-contrast patch (up to three, largest first) on the halved frame;
 *   2. the whole halved frame;
 *   3. each code-like patch at full resolution (a small, far card whose modules halving blurs away);
 *   4. the centred crop (where the officer is told to hold the card), then the whole frame, at full
 *      resolution: only when something code-like was seen, so a frame without a code stops early.
 * jsQR is told not to try the inverted image (CCCD codes are dark on light), which halves the cost of
 * a failed pass.
 *
 * jsQR does not say whether it found finder patterns it could not decode, so `unreadable` (a code is
 * there, but it cannot be read: blur, glare, damage) versus `no-code` is our own judgement: a
 * code-like patch, or a code jsQR read whose bytes are not UTF-8, makes it `unreadable`.
 */
import jsQRModule from 'jsqr';
import type { Point, RgbImage } from '../../protocol/face/types.ts';

/** 8-bit grey, row-major, 1 byte per pixel: `data.length === width * height`. */
export interface GreyImage {
  readonly format: 'grey';
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export type QrFrame = RgbImage | GreyImage;

export interface QrCorners {
  readonly topLeft: Point;
  readonly topRight: Point;
  readonly bottomRight: Point;
  readonly bottomLeft: Point;
}

export type QrFailure =
  /** Nothing code-like in the frame. */
  | 'no-code'
  /** Something code-like is there but does not decode (blur, glare, damage, not UTF-8). */
  | 'unreadable'
  /** The raster is not what it claims (size zero or too large, data length not width x height x channels). */
  | 'invalid-frame';

export type QrDecodeResult =
  | {
      readonly ok: true;
      /** The code's bytes decoded as UTF-8. */
      readonly text: string;
      /** The symbol's corners in frame pixels. */
      readonly corners: QrCorners;
      /** QR version (1..40). */
      readonly version: number;
      /** Which pass decoded it (see the module comment). */
      readonly pass: 'halved' | 'code-region' | 'centre' | 'full';
      /** Time spent in this function, ms. */
      readonly timeMs: number;
    }
  | { readonly ok: false; readonly reason: QrFailure; readonly timeMs: number };

// jsqr is CommonJS whose types declare an ES default export; under nodenext the import is the
// module object, and both it and its `default` are the function at run time.
const jsQR = jsQRModule.default;

/** Frames larger than this (either side, px) are refused as invalid: no camera here makes them. */
export const MAX_FRAME_SIDE = 8192;
/** Frames whose longer side exceeds this are tried halved first, px. */
const HALVE_ABOVE = 800;
/** Contrast cell side on the analysed (halved) raster, px. */
const CELL = 8;
/** A cell whose max - min grey exceeds a threshold between these counts as high-contrast. */
const CELL_CONTRAST_MIN = 36;
const CELL_CONTRAST_MAX = 70;

interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** ITU-R BT.601 luma in fixed point (77 + 150 + 29 = 256). */
export function rgbToGrey(image: RgbImage): GreyImage {
  const n = image.width * image.height;
  const src = image.data;
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3)
    out[i] = ((src[j] ?? 0) * 77 + (src[j + 1] ?? 0) * 150 + (src[j + 2] ?? 0) * 29) >> 8;
  return { format: 'grey', width: image.width, height: image.height, data: out };
}

function halve(grey: GreyImage): GreyImage {
  const width = grey.width >> 1;
  const height = grey.height >> 1;
  const out = new Uint8Array(width * height);
  const src = grey.data;
  const w = grey.width;
  for (let y = 0; y < height; y++) {
    const row = 2 * y * w;
    for (let x = 0; x < width; x++) {
      const at = row + 2 * x;
      out[y * width + x] =
        ((src[at] ?? 0) + (src[at + 1] ?? 0) + (src[at + w] ?? 0) + (src[at + w + 1] ?? 0) + 2) >> 2;
    }
  }
  return { format: 'grey', width, height, data: out };
}

/**
 * jsQR wants RGBA; it only reads the luma back out, so grey is copied into R, G and B. With `smooth`
 * each pixel is the mean of its 3x3 neighbourhood: sensor noise on full-resolution frames makes
 * jsQR's binariser produce speckle, and its finder-pattern search slows down sharply (seconds per
 * frame) on many speckle candidates; the halved frame is already averaged.
 */
function rgbaOf(grey: GreyImage, region: Region, smooth: boolean): Uint8ClampedArray {
  const out = new Uint8ClampedArray(region.width * region.height * 4);
  const src = grey.data;
  const w = grey.width;
  const lastX = grey.width - 1;
  const lastY = grey.height - 1;
  let o = 0;
  for (let y = region.y; y < region.y + region.height; y++) {
    const up = (y > 0 ? y - 1 : 0) * w;
    const mid = y * w;
    const down = (y < lastY ? y + 1 : lastY) * w;
    for (let x = region.x; x < region.x + region.width; x++, o += 4) {
      let v: number;
      if (smooth) {
        const l = x > 0 ? x - 1 : 0;
        const r = x < lastX ? x + 1 : lastX;
        v =
          ((src[up + l] ?? 0) +
            (src[up + x] ?? 0) +
            (src[up + r] ?? 0) +
            (src[mid + l] ?? 0) +
            (src[mid + x] ?? 0) +
            (src[mid + r] ?? 0) +
            (src[down + l] ?? 0) +
            (src[down + x] ?? 0) +
            (src[down + r] ?? 0)) /
          9;
      } else v = src[mid + x] ?? 0;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = 255;
    }
  }
  return out;
}

interface Found {
  readonly text: string | undefined;
  readonly corners: QrCorners;
  readonly version: number;
}

function tryDecode(grey: GreyImage, region: Region, scale: number, smooth: boolean): Found | undefined {
  if (region.width < 21 || region.height < 21) return undefined;
  const code = jsQR(rgbaOf(grey, region, smooth), region.width, region.height, {
    inversionAttempts: 'dontInvert',
  });
  if (!code) return undefined;
  const map = (p: { x: number; y: number }): Point => ({
    x: (p.x + region.x) * scale,
    y: (p.y + region.y) * scale,
  });
  let text: string | undefined;
  try {
    // jsQR's `data` is empty when a byte segment is not UTF-8 and mixes segment kinds; the bytes are
    // the truth. The CCCD encodes Vietnamese as UTF-8 in byte mode.
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(code.binaryData));
  } catch {
    text = undefined;
  }
  return {
    text,
    version: code.version,
    corners: {
      topLeft: map(code.location.topLeftCorner),
      topRight: map(code.location.topRightCorner),
      bottomRight: map(code.location.bottomRightCorner),
      bottomLeft: map(code.location.bottomLeftCorner),
    },
  };
}

/** High-contrast patches tried, largest first. */
const MAX_PATCHES = 3;
/**
 * A median cell range (max - min grey in an 8x8 cell) at or above this means a noisy sensor (dim
 * room, high gain): the small raster is smoothed too, since jsQR slows down sharply (seconds) on
 * the speckle its binariser makes of noise.
 */
const NOISY_CELL_RANGE = 20;

interface Patch {
  readonly region: Region;
  readonly cells: number;
  readonly codeLike: boolean;
}

/**
 * The 4-connected patches of high-contrast cells (at least 9 cells, at most half the frame), the
 * MAX_PATCHES largest, each with its bounding box plus a margin and whether it looks like a code
 * (mostly filled, squarish: a patch merged with a card edge or clutter may not), and whether the
 * raster is noisy. Coordinates on `grey`.
 */
function codeRegions(grey: GreyImage): { patches: Patch[]; noisy: boolean } {
  const cols = Math.floor(grey.width / CELL);
  const rows = Math.floor(grey.height / CELL);
  if (cols === 0 || rows === 0) return { patches: [], noisy: false };
  const src = grey.data;
  const cellRange = new Uint8Array(cols * rows);
  const histogram = new Uint32Array(256);
  for (let cy = 0; cy < rows; cy++)
    for (let cx = 0; cx < cols; cx++) {
      let min = 255;
      let max = 0;
      for (let y = cy * CELL; y < cy * CELL + CELL; y += 2) {
        let at = y * grey.width + cx * CELL;
        for (let x = 0; x < CELL; x += 2, at += 2) {
          const v = src[at] ?? 0;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      cellRange[cy * cols + cx] = max - min;
      histogram[max - min] = (histogram[max - min] ?? 0) + 1;
    }
  // Most cells are background: their median range is the sensor noise's.
  let median = 0;
  for (let seen = 0; median < 255; median++) {
    seen += histogram[median] ?? 0;
    if (seen * 2 >= cols * rows) break;
  }
  // Hot cells stand well above the noise; a dim scene's code has less contrast, a noisy one's
  // background more.
  const threshold = Math.min(CELL_CONTRAST_MAX, Math.max(CELL_CONTRAST_MIN, 2 * median + 24));
  const hot = new Uint8Array(cols * rows);
  for (let i = 0; i < hot.length; i++) hot[i] = (cellRange[i] ?? 0) > threshold ? 1 : 0;
  const seen = new Uint8Array(cols * rows);
  const stack: number[] = [];
  const patches: Patch[] = [];
  for (let start = 0; start < hot.length; start++) {
    if (hot[start] !== 1 || seen[start] === 1) continue;
    seen[start] = 1;
    stack.push(start);
    let cells = 0;
    let x0 = cols;
    let y0 = rows;
    let x1 = 0;
    let y1 = 0;
    while (stack.length > 0) {
      const at = stack.pop() ?? 0;
      cells++;
      const x = at % cols;
      const y = (at - x) / cols;
      if (x < x0) x0 = x;
      if (y < y0) y0 = y;
      if (x > x1) x1 = x;
      if (y > y1) y1 = y;
      if (x > 0 && hot[at - 1] === 1 && seen[at - 1] === 0) {
        seen[at - 1] = 1;
        stack.push(at - 1);
      }
      if (x + 1 < cols && hot[at + 1] === 1 && seen[at + 1] === 0) {
        seen[at + 1] = 1;
        stack.push(at + 1);
      }
      if (y > 0 && hot[at - cols] === 1 && seen[at - cols] === 0) {
        seen[at - cols] = 1;
        stack.push(at - cols);
      }
      if (y + 1 < rows && hot[at + cols] === 1 && seen[at + cols] === 0) {
        seen[at + cols] = 1;
        stack.push(at + cols);
      }
    }
    if (cells < 9) continue;
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const fill = cells / (w * h);
    const aspect = w / h;
    const codeLike = fill >= 0.5 && aspect > 0.4 && aspect < 2.5;
    // Two cells of margin round the patch: jsQR needs the quiet zone and the finder pattern edges.
    const x = Math.max(0, (x0 - 2) * CELL);
    const y = Math.max(0, (y0 - 2) * CELL);
    const xEnd = Math.min(grey.width, (x1 + 3) * CELL);
    const yEnd = Math.min(grey.height, (y1 + 3) * CELL);
    const region = { x, y, width: xEnd - x, height: yEnd - y };
    // A patch over half the frame is no crop: the whole-frame pass covers it.
    if (region.width * region.height * 2 > grey.width * grey.height) continue;
    patches.push({ region, cells, codeLike });
  }
  patches.sort((p, q) => q.cells - p.cells);
  return { patches: patches.slice(0, MAX_PATCHES), noisy: median >= NOISY_CELL_RANGE };
}

function isValidFrame(frame: QrFrame): boolean {
  const { width, height } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height)) return false;
  if (width <= 0 || height <= 0 || width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE) return false;
  if (!(frame.data instanceof Uint8Array)) return false;
  const channels = 'format' in frame && frame.format === 'grey' ? 1 : 3;
  return frame.data.length === width * height * channels;
}

/**
 * Decodes the QR code in `frame`. Untrusted input: never throws for bad pixels or sizes, returns a
 * typed failure instead. Units: pixels, ms.
 */
export function decodeQrFrame(frame: QrFrame): QrDecodeResult {
  const started = performance.now();
  const done = (result: Omit<Extract<QrDecodeResult, { ok: true }>, 'timeMs'> | QrFailure): QrDecodeResult =>
    typeof result === 'string'
      ? { ok: false, reason: result, timeMs: performance.now() - started }
      : { ...result, timeMs: performance.now() - started };
  if (!isValidFrame(frame)) return done('invalid-frame');
  const grey = 'format' in frame && frame.format === 'grey' ? frame : rgbToGrey(frame);
  const whole: Region = { x: 0, y: 0, width: grey.width, height: grey.height };
  let undecodable = false;
  const accept = (found: Found | undefined, pass: Extract<QrDecodeResult, { ok: true }>['pass']) => {
    if (found === undefined) return undefined;
    if (found.text === undefined) {
      undecodable = true;
      return undefined;
    }
    return done({ ok: true, text: found.text, corners: found.corners, version: found.version, pass });
  };

  const halved = Math.max(grey.width, grey.height) > HALVE_ABOVE ? halve(grey) : undefined;
  const small = halved ?? grey;
  const scale = halved ? 2 : 1;
  const { patches, noisy } = codeRegions(small);
  const smoothSmall = !halved || noisy;

  // 1. Each code-like patch on the small raster: a card held up fills a few percent of the frame,
  //    and jsQR's cost is per pixel.
  for (const patch of patches) {
    const found = accept(tryDecode(small, patch.region, scale, smoothSmall), 'code-region');
    if (found) return found;
  }
  // 2. The whole small raster (a patch cut badly: glare splitting the code, a card at the edge).
  const first = accept(
    tryDecode(small, { x: 0, y: 0, width: small.width, height: small.height }, scale, smoothSmall),
    halved ? 'halved' : 'full',
  );
  if (first) return first;
  const codeLike = patches.filter((p) => p.codeLike);
  if (halved && codeLike.length > 0) {
    // 3. Each code-like patch at full resolution: a small, far card whose modules the halving
    //    blurred away.
    for (const patch of codeLike) {
      const r = patch.region;
      const region: Region = {
        x: r.x * scale,
        y: r.y * scale,
        width: r.width * scale,
        height: r.height * scale,
      };
      const found = accept(tryDecode(grey, clip(region, grey), 1, true), 'code-region');
      if (found) return found;
    }
    // 4. The centre, where the officer is told to hold the card, then the whole frame, at full
    //    resolution. Only when something code-like is there: a frame without one ends here cheaply.
    const centre: Region = {
      x: Math.round(grey.width * 0.2),
      y: Math.round(grey.height * 0.1),
      width: Math.round(grey.width * 0.6),
      height: Math.round(grey.height * 0.8),
    };
    const fromCentre = accept(tryDecode(grey, centre, 1, true), 'centre');
    if (fromCentre) return fromCentre;
    const full = accept(tryDecode(grey, whole, 1, true), 'full');
    if (full) return full;
  }
  return done(undecodable || codeLike.length > 0 ? 'unreadable' : 'no-code');
}

function clip(region: Region, grey: GreyImage): Region {
  const x = Math.max(0, Math.min(region.x, grey.width));
  const y = Math.max(0, Math.min(region.y, grey.height));
  return {
    x,
    y,
    width: Math.min(region.width, grey.width - x),
    height: Math.min(region.height, grey.height - y),
  };
}
