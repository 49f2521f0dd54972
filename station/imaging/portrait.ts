/**
 * The card portrait: a face image aligned to the ISO/IEC 19794-5 "Token Face Image" geometry and encoded
 * as a JPEG within the chip's byte budget (ICAO 9303 DG2), and, separately, the larger ICAO capture the
 * enrollment packet carries as its ANSI/NIST Type-10 record.
 *
 * Token geometry (ISO/IEC 19794-5:2005, clause 8.3, the geometric table of the Token Face Image Type),
 * all in terms of the image width W, origin at the top left:
 *
 * | quantity                        | value            | W = 480 |
 * |---------------------------------|------------------|---------|
 * | image height H                  | W / 0.75         | 640     |
 * | eye line, y from the top        | 0.6 W            | 288     |
 * | first eye (image left), x       | 0.375 W (- 1)    | 180     |
 * | second eye (image right), x     | 0.625 W (- 1)    | 300     |
 * | inter-eye distance              | 0.25 W           | 120     |
 * | minimum width                   | 240 (60 px ED)   |         |
 *
 * The standard states the eye x positions as 0-based pixel indices (the "- 1"); we place the eye
 * midpoint at W / 2 in continuous coordinates, which is the same point within a pixel.
 *
 * Alignment is a similarity transform fixed by the two eye centres: rotate so the eyes are level, scale
 * so they are 0.25 W apart, translate their midpoint to (W / 2, 0.6 W). Where the source ends, the
 * canvas is a neutral light grey rather than black or a smeared edge (ICAO 9303 part 3 asks for a plain,
 * light background).
 */
import type { Point, RgbImage } from '../../protocol/face/types.ts';
import { encodeJpeg, padCrop, type Rgb, scaleRotateRgb } from './sharp-images.ts';

/** The token's proportions for an image `width` px wide (see the table above). */
export interface TokenGeometry {
  /** Image width W, px. */
  readonly width: number;
  /** Image height, px: W / 0.75. */
  readonly height: number;
  /** Inter-eye distance, px: 0.25 W. */
  readonly eyeDistance: number;
  /** Eye line, px from the top: 0.6 W. */
  readonly eyeY: number;
  /** Eye midpoint, px from the left: W / 2. */
  readonly eyeMidX: number;
}

/** Smallest token width the standard allows, px (inter-eye distance 60 px). */
export const MIN_TOKEN_WIDTH = 240;
/** Largest output we make, px wide (a 1200 x 1600 capture is already beyond any card or packet need). */
export const MAX_TOKEN_WIDTH = 1800;

/**
 * The token geometry for `width` px. Width must be a multiple of 3 so the height W / 0.75 is whole.
 * @throws {RangeError} for a width outside 240..1800 or not a multiple of 3.
 */
export function tokenGeometry(width: number): TokenGeometry {
  if (!Number.isInteger(width) || width < MIN_TOKEN_WIDTH || width > MAX_TOKEN_WIDTH || width % 3 !== 0)
    throw new RangeError(
      `token width ${width} must be a multiple of 3 in ${MIN_TOKEN_WIDTH}..${MAX_TOKEN_WIDTH} px`,
    );
  return { width, height: (width * 4) / 3, eyeDistance: width / 4, eyeY: 0.6 * width, eyeMidX: width / 2 };
}

/** The two eye centres in the source image, px; "left" and "right" as seen in the image. */
export interface EyeCentres {
  readonly imageLeft: Point;
  readonly imageRight: Point;
}

/** Light neutral grey for the canvas beyond the source's edge. */
export const PORTRAIT_BACKGROUND: Rgb = { r: 200, g: 200, b: 200 };

export type PortraitErrorCode =
  /** The eye positions cannot be a face: not finite, too close, or the image-left eye not on the left. */
  | 'PORTRAIT_EYES_INVALID'
  /** Even the lowest allowed quality does not fit the byte budget. */
  | 'PORTRAIT_BUDGET_UNREACHABLE';

export class PortraitError extends Error {
  override readonly name = 'PortraitError';
  readonly code: PortraitErrorCode;
  /** For PORTRAIT_BUDGET_UNREACHABLE: the smallest JPEG reached (at the lowest quality), bytes. */
  readonly smallestBytes: number | undefined;
  readonly budgetBytes: number | undefined;
  constructor(
    code: PortraitErrorCode,
    message: string,
    details: { smallestBytes?: number; budgetBytes?: number } = {},
  ) {
    super(message);
    this.code = code;
    this.smallestBytes = details.smallestBytes;
    this.budgetBytes = details.budgetBytes;
  }
}

export type PortraitResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: PortraitError };

/** Eyes closer than this in the source, px, carry too little of a face to make a portrait from. */
export const MIN_SOURCE_EYE_DISTANCE = 16;

/** How an aligned image was made from the source. */
export interface Alignment {
  /** Output px per source px (above 1: the source was enlarged). */
  readonly scale: number;
  /** Rotation applied, degrees clockwise (the eye line's tilt, undone). */
  readonly rotationDegrees: number;
  /** Whether some of the output lies beyond the source and shows the background. */
  readonly padded: boolean;
}

/**
 * Aligns `image` to the token geometry of `width` px from the two eye centres: the aligned RGB raster
 * (width x width / 0.75) and how it was made.
 * @returns PORTRAIT_EYES_INVALID for eye positions that cannot be a face.
 * @throws {RangeError} for a bad width or an inconsistent raster.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function alignToToken(
  image: RgbImage,
  eyes: EyeCentres,
  width: number,
  background: Rgb = PORTRAIT_BACKGROUND,
): Promise<PortraitResult<{ readonly image: RgbImage; readonly alignment: Alignment }>> {
  const geometry = tokenGeometry(width);
  const { imageLeft: left, imageRight: right } = eyes;
  const dx = right.x - left.x;
  const dy = right.y - left.y;
  const distance = Math.hypot(dx, dy);
  if (
    ![left.x, left.y, right.x, right.y].every(Number.isFinite) ||
    distance < MIN_SOURCE_EYE_DISTANCE ||
    dx <= 0
  )
    return {
      ok: false,
      error: new PortraitError(
        'PORTRAIT_EYES_INVALID',
        `eye centres ${JSON.stringify(eyes)} are not two eyes at least ${MIN_SOURCE_EYE_DISTANCE} px apart with the image-left one on the left`,
      ),
    };
  const theta = Math.atan2(dy, dx);
  const scale = geometry.eyeDistance / distance;
  const mid = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };

  // 1. The part of the source the output needs: the bounding box of the output rectangle mapped back
  //    into the source, made symmetric about the eye midpoint (so the midpoint is its centre) with a
  //    margin for the interpolation kernel. Beyond the source it is the background.
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  let reachX = 0;
  let reachY = 0;
  let padded = false;
  for (const [u, v] of outputCorners(geometry)) {
    const du = (u - geometry.eyeMidX) / scale;
    const dv = (v - geometry.eyeY) / scale;
    const x = du * cos - dv * sin;
    const y = du * sin + dv * cos;
    reachX = Math.max(reachX, Math.abs(x));
    reachY = Math.max(reachY, Math.abs(y));
    // The output is a rectangle, the image convex: beyond at a corner is beyond somewhere.
    if (mid.x + x < 0 || mid.y + y < 0 || mid.x + x > image.width || mid.y + y > image.height) padded = true;
  }
  const margin = 4;
  const halfW = Math.ceil(reachX) + margin;
  const halfH = Math.ceil(reachY) + margin;
  const region = {
    x: Math.round(mid.x) - halfW,
    y: Math.round(mid.y) - halfH,
    width: 2 * halfW,
    height: 2 * halfH,
  };
  const part = padCrop(image, region, background);
  // The eye midpoint relative to the region's centre (rounding left it up to half a pixel off).
  const offset = { x: mid.x - (region.x + halfW), y: mid.y - (region.y + halfH) };

  // 2. Scale and level the eyes about the region's centre, then cut the token out around where the
  //    eye midpoint landed.
  const degrees = Math.abs(theta) < 1e-4 ? 0 : (-theta * 180) / Math.PI;
  const transformed = await scaleRotateRgb(part, scale, degrees, background);
  const rad = (degrees * Math.PI) / 180;
  const ox = offset.x * scale;
  const oy = offset.y * scale;
  const landed = {
    x: transformed.width / 2 + ox * Math.cos(rad) - oy * Math.sin(rad),
    y: transformed.height / 2 + ox * Math.sin(rad) + oy * Math.cos(rad),
  };
  const aligned = padCrop(
    transformed,
    {
      x: Math.round(landed.x - geometry.eyeMidX),
      y: Math.round(landed.y - geometry.eyeY),
      width: geometry.width,
      height: geometry.height,
    },
    background,
  );
  return { ok: true, value: { image: aligned, alignment: { scale, rotationDegrees: degrees, padded } } };
}

function outputCorners(geometry: TokenGeometry): readonly (readonly [number, number])[] {
  return [
    [0, 0],
    [geometry.width, 0],
    [0, geometry.height],
    [geometry.width, geometry.height],
  ];
}

export interface CardPortraitOptions {
  /** Token width, px; height is width / 0.75. Default 480 (480 x 640). */
  readonly width?: number;
  /** Largest JPEG, bytes. Default 20 000 (the chip's DG2 budget). */
  readonly maxBytes?: number;
  /** Quality search range, 1..100. Default 20..95. */
  readonly minQuality?: number;
  readonly maxQuality?: number;
  readonly background?: Rgb;
}

export const DEFAULT_CARD_PORTRAIT = {
  width: 480,
  maxBytes: 20_000,
  minQuality: 20,
  maxQuality: 95,
} as const;

export interface CardPortrait {
  /** Baseline JPEG, sRGB, no EXIF or ICC. */
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The JPEG quality the search settled on (the highest that fits). */
  readonly quality: number;
  /** JPEG encodes the search took. */
  readonly encodes: number;
  readonly alignment: Alignment;
}

/**
 * The chip portrait: aligned to the token geometry (default 480 x 640) and encoded as the best-quality
 * JPEG that fits `maxBytes` (default 20 000), found by a binary search on the quality in
 * `minQuality..maxQuality` (about 7 encodes; JPEG size grows with quality, and where it briefly does
 * not, the search still only returns a size that fits).
 * @returns PORTRAIT_EYES_INVALID; PORTRAIT_BUDGET_UNREACHABLE with `smallestBytes` when even
 *   `minQuality` is too large.
 * @throws {RangeError} for bad options or an inconsistent raster.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function makeCardPortrait(
  image: RgbImage,
  eyes: EyeCentres,
  options: CardPortraitOptions = {},
): Promise<PortraitResult<CardPortrait>> {
  const width = options.width ?? DEFAULT_CARD_PORTRAIT.width;
  const maxBytes = options.maxBytes ?? DEFAULT_CARD_PORTRAIT.maxBytes;
  const minQuality = options.minQuality ?? DEFAULT_CARD_PORTRAIT.minQuality;
  const maxQuality = options.maxQuality ?? DEFAULT_CARD_PORTRAIT.maxQuality;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0))
    throw new RangeError(`maxBytes ${maxBytes} is not positive`);
  if (!(Number.isInteger(minQuality) && Number.isInteger(maxQuality) && minQuality >= 1 && maxQuality <= 100))
    throw new RangeError(`quality range ${minQuality}..${maxQuality} is not within 1..100`);
  if (minQuality > maxQuality) throw new RangeError(`quality range ${minQuality}..${maxQuality} is empty`);
  const aligned = await alignToToken(image, eyes, width, options.background);
  if (!aligned.ok) return aligned;
  const raster = aligned.value.image;
  let encodes = 0;
  const encode = async (quality: number): Promise<Uint8Array> => {
    encodes++;
    return encodeJpeg(raster, { quality });
  };
  // Binary search for the highest quality that fits. When none does, the last quality tried is
  // `minQuality` (the low end never moves), so `smallest` is the size at the lowest allowed quality.
  let best: { jpeg: Uint8Array; quality: number } | undefined;
  let smallest = Number.POSITIVE_INFINITY;
  let low = minQuality;
  let high = maxQuality;
  while (low <= high) {
    const quality = (low + high) >> 1;
    const jpeg = await encode(quality);
    smallest = Math.min(smallest, jpeg.length);
    if (jpeg.length <= maxBytes) {
      best = { jpeg, quality };
      low = quality + 1;
    } else high = quality - 1;
  }
  if (!best)
    return {
      ok: false,
      error: new PortraitError(
        'PORTRAIT_BUDGET_UNREACHABLE',
        `the portrait is ${smallest} bytes at JPEG quality ${minQuality}; the budget is ${maxBytes}`,
        { smallestBytes: smallest, budgetBytes: maxBytes },
      ),
    };
  return {
    ok: true,
    value: {
      jpeg: best.jpeg,
      width: raster.width,
      height: raster.height,
      quality: best.quality,
      encodes,
      alignment: aligned.value.alignment,
    },
  };
}

export interface IcaoCaptureOptions {
  /** Width, px; height is width / 0.75. Default 900 (900 x 1200). */
  readonly width?: number;
  /** JPEG quality 1..100. Default 90. */
  readonly quality?: number;
  readonly background?: Rgb;
}

export const DEFAULT_ICAO_CAPTURE = { width: 900, quality: 90 } as const;

export interface IcaoCapture {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly quality: number;
  readonly alignment: Alignment;
}

/**
 * The full-resolution ICAO capture for the enrollment packet's Type-10 record: the same token alignment
 * at a larger size (default 900 x 1200, inter-eye distance 225 px) and a fixed high quality (default
 * 90), no byte budget. `alignment.scale` above 1 says the camera gave fewer pixels than asked for.
 * @returns PORTRAIT_EYES_INVALID.
 * @throws {RangeError} for bad options or an inconsistent raster.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function makeIcaoCapture(
  image: RgbImage,
  eyes: EyeCentres,
  options: IcaoCaptureOptions = {},
): Promise<PortraitResult<IcaoCapture>> {
  const width = options.width ?? DEFAULT_ICAO_CAPTURE.width;
  const quality = options.quality ?? DEFAULT_ICAO_CAPTURE.quality;
  const aligned = await alignToToken(image, eyes, width, options.background);
  if (!aligned.ok) return aligned;
  const raster = aligned.value.image;
  const jpeg = await encodeJpeg(raster, { quality, chromaSubsampling: '4:4:4' });
  return {
    ok: true,
    value: { jpeg, width: raster.width, height: raster.height, quality, alignment: aligned.value.alignment },
  };
}
