/**
 * A synthetic camera frame of a CCCD held in front of the lens with its QR code showing: a light
 * ID-1 card (85.6 x 54 mm), the QR code in its top-right corner, the card turned and placed as given,
 * over a cluttered background, with seeded sensor noise. For the simulated camera and for QR tests
 * and benchmarks; deterministic for a given seed.
 */
import type { RgbImage } from '../../protocol/face/types.ts';
import { encodeQr, type QrEcLevel, type QrMatrix } from './qr-encode.ts';

export interface CardQrOptions {
  /** Frame size in pixels (default 1280 x 720). */
  readonly width?: number;
  readonly height?: number;
  /** Side of the QR symbol in frame pixels, quiet zone excluded (default 0.3 x the frame height). */
  readonly qrSizePx?: number;
  /** Card rotation in degrees, clockwise (default 0). */
  readonly angleDeg?: number;
  /** Centre of the QR symbol in frame pixels (default: the frame's centre). */
  readonly center?: { readonly x: number; readonly y: number };
  /** Standard deviation-like amplitude of the sensor noise, grey levels (default 6). */
  readonly noise?: number;
  /** Seed for the background clutter and the noise (default 1). */
  readonly seed?: number;
  /** EC level of the generated code (default 'M'). */
  readonly ecLevel?: QrEcLevel;
  /** Brightness factor of the whole scene, 0..1 (default 1): lower for a dim room. */
  readonly light?: number;
}

/** mulberry32: a small seeded generator, enough for clutter and noise. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Renders the frame for `text` (encoded here as a byte-mode QR code).
 * @throws {RangeError} for a non-positive frame size or QR size, or text too long for the encoder.
 */
export function renderCardQr(text: string, options: CardQrOptions = {}): RgbImage {
  return renderQrMatrix(encodeQr(text, { ecLevel: options.ecLevel ?? 'M' }), options);
}

/** As renderCardQr, for a symbol already encoded (or deliberately damaged by a test). */
export function renderQrMatrix(matrix: QrMatrix, options: CardQrOptions = {}): RgbImage {
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new RangeError(`frame size ${width}x${height}`);
  const qrSize = options.qrSizePx ?? height * 0.3;
  if (!(qrSize > 0)) throw new RangeError(`QR size ${qrSize} px`);
  const angle = ((options.angleDeg ?? 0) * Math.PI) / 180;
  const cx = options.center?.x ?? width / 2;
  const cy = options.center?.y ?? height / 2;
  const noise = options.noise ?? 6;
  const light = options.light ?? 1;
  const random = seeded(options.seed ?? 1);
  const modulePx = qrSize / matrix.size;

  // Card geometry in QR-centred, unrotated coordinates: the QR sits in the card's top-right corner
  // with a margin of two modules above and to the right (the rest of the quiet zone is card too).
  const cardWidth = qrSize * 2.9;
  const cardHeight = cardWidth / 1.586;
  const margin = modulePx * 3;
  const cardRight = qrSize / 2 + margin;
  const cardTop = -qrSize / 2 - margin;
  const cardLeft = cardRight - cardWidth;
  const cardBottom = cardTop + cardHeight;

  // Background: a vertical gradient with a few dark and light rectangles (a desk, a keyboard...).
  const rects: { x0: number; y0: number; x1: number; y1: number; v: number }[] = [];
  for (let i = 0; i < 12; i++) {
    const x0 = random() * width;
    const y0 = random() * height;
    rects.push({
      x0,
      y0,
      x1: x0 + random() * width * 0.3,
      y1: y0 + random() * height * 0.2,
      v: random() * 200,
    });
  }
  const noiseTable = new Int8Array(4096);
  for (let i = 0; i < noiseTable.length; i++)
    noiseTable[i] = Math.round((random() + random() + random() - 1.5) * 2 * noise);

  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const data = new Uint8Array(width * height * 3);
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Inverse rotation: frame pixel -> card coordinates.
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      let r: number;
      let g: number;
      let b: number;
      if (u >= cardLeft && u < cardRight && v >= cardTop && v < cardBottom) {
        // The share of the pixel the dark modules cover, from 4 x 4 samples: a lens integrates over
        // the pixel, and hard nearest-module edges at fractional module sizes are harder to read
        // than anything a camera delivers.
        let ink = 0;
        if (u > -qrSize / 2 - 2 && u < qrSize / 2 + 2 && v > -qrSize / 2 - 2 && v < qrSize / 2 + 2) {
          for (let sy = 0; sy < 4; sy++)
            for (let sx = 0; sx < 4; sx++) {
              const su = u + ((sx - 1.5) / 4) * cos - ((sy - 1.5) / 4) * sin;
              const sv = v + ((sx - 1.5) / 4) * sin + ((sy - 1.5) / 4) * cos;
              const mx = Math.floor((su + qrSize / 2) / modulePx);
              const my = Math.floor((sv + qrSize / 2) / modulePx);
              if (
                mx >= 0 &&
                my >= 0 &&
                mx < matrix.size &&
                my < matrix.size &&
                matrix.modules[my * matrix.size + mx] === 1
              )
                ink++;
            }
          ink /= 16;
        }
        // The card's pale blue-white background, slightly darker towards its left.
        const shade = 235 - ((cardRight - u) / cardWidth) * 15;
        r = (shade - 8) * (1 - ink) + 30 * ink;
        g = shade * (1 - ink) + 32 * ink;
        b = (shade + 10) * (1 - ink) + 40 * ink;
      } else {
        let base = 90 + (y / height) * 60;
        for (const rect of rects)
          if (x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1) base = rect.v;
        r = base * 0.9;
        g = base;
        b = base * 0.8;
      }
      const jitter = noiseTable[(x * 7 + y * 131 + (n & 4095)) & 4095] ?? 0;
      n++;
      const at = (y * width + x) * 3;
      data[at] = clamp((r + jitter) * light);
      data[at + 1] = clamp((g + jitter) * light);
      data[at + 2] = clamp((b + jitter) * light);
    }
  }
  return { width, height, data };
}

function clamp(v: number): number {
  return Math.min(255, Math.max(0, v));
}
