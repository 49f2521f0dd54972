/**
 * The station's one adapter over sharp (libvips): every JPEG, PNG and WebP decode and encode, crop,
 * rotation and resize in `station/` goes through here, so the native library can be pinned, bounded and
 * replaced in one place (ARCHITECTURE.md: each native library behind one adapter in `station/`).
 *
 * Untrusted bytes (a camera frame, a photo file, a chip's DG2) are decoded into a result, never a throw:
 * the input is bounded in bytes before sharp sees it and in pixels by libvips itself
 * (`limitInputPixels`, checked from the header before any pixel is decoded). Decoded images are turned
 * upright by their EXIF orientation, converted to sRGB (an embedded ICC profile is honoured by sharp's
 * colour management) and carry no metadata afterwards. Our own rasters going out are checked and a bad
 * one is a programmer error (`RangeError`).
 *
 * sharp runs on libuv's threadpool, not on the event loop; the awaits here only wait.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { Box, RgbImage } from '../../protocol/face/types.ts';
import type { GreyImage } from './grey-image.ts';
import {
  DEFAULT_IMAGE_LIMITS,
  ImageError,
  type ImageErrorCode,
  type ImageLimits,
  type ImageResult,
} from './image-errors.ts';

export { DEFAULT_IMAGE_LIMITS, ImageError, type ImageErrorCode, type ImageLimits, type ImageResult };

/*
 * A kiosk has two cores. libvips would otherwise start one worker thread per core for every image, on
 * top of libuv's four threadpool threads running sharp calls in parallel: oversubscribed, and the face
 * detector's worker and the event loop would fight it. One libvips thread per image lets parallel calls
 * use both cores without queueing more runnable threads than cores. The operation cache only helps when
 * the same file is processed again; our inputs are fresh frames and photos, so caching would only hold
 * memory (up to 50 MB by default).
 */
sharp.concurrency(1);
sharp.cache(false);

/** Formats sharp decodes for us. JPEG 2000 is not among them: see jpeg2000.ts. */
export type SharpInputFormat = 'jpeg' | 'png' | 'webp';

export interface ImageMetadata {
  readonly format: SharpInputFormat;
  /** Stored size, px, before EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** Size once turned upright by the EXIF orientation, px. */
  readonly uprightWidth: number;
  readonly uprightHeight: number;
  /** EXIF orientation tag 1..8, when present. */
  readonly orientation: number | undefined;
  readonly hasExif: boolean;
  readonly hasIcc: boolean;
  readonly channels: number;
  /** libvips colour space of the stored pixels, e.g. 'srgb', 'b-w', 'cmyk'. */
  readonly space: string;
  /** Resolution in pixels per inch, when the file states one. */
  readonly ppi: number | undefined;
}

function fail<T>(code: ImageErrorCode, message: string, cause?: unknown): ImageResult<T> {
  return { ok: false, error: new ImageError(code, message, cause === undefined ? undefined : { cause }) };
}

function assertLimits(limits: ImageLimits): void {
  if (!(Number.isSafeInteger(limits.maxBytes) && limits.maxBytes > 0))
    throw new RangeError(`maxBytes ${limits.maxBytes} is not a positive integer`);
  if (!(Number.isSafeInteger(limits.maxPixels) && limits.maxPixels > 0))
    throw new RangeError(`maxPixels ${limits.maxPixels} is not a positive integer`);
}

/** The checks every untrusted input passes before sharp decodes a pixel: bytes, format, header size. */
async function screen(bytes: Uint8Array, limits: ImageLimits): Promise<ImageResult<ImageMetadata>> {
  assertLimits(limits);
  if (bytes.length === 0) return fail('IMAGE_DECODE_FAILED', 'the image is empty (0 bytes)');
  if (bytes.length > limits.maxBytes)
    return fail(
      'IMAGE_TOO_LARGE',
      `the image is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`,
    );
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    return fail('IMAGE_DECODE_FAILED', 'not a readable JPEG, PNG or WebP image', cause);
  }
  const format = meta.format;
  if (format !== 'jpeg' && format !== 'png' && format !== 'webp')
    return fail('IMAGE_UNSUPPORTED', `${String(format)} images are not accepted; use JPEG, PNG or WebP`);
  const { width, height } = meta;
  if (!(width > 0 && height > 0)) return fail('IMAGE_DECODE_FAILED', 'the image header states no size');
  if ((meta.pages ?? 1) > 1)
    return fail('IMAGE_UNSUPPORTED', 'animated or multi-page images are not accepted');
  if (width * height > limits.maxPixels)
    return fail(
      'IMAGE_TOO_LARGE',
      `the image is ${width}x${height} px; at most ${limits.maxPixels} pixels are accepted`,
    );
  const swapped = meta.orientation !== undefined && meta.orientation >= 5;
  return {
    ok: true,
    value: {
      format,
      width,
      height,
      uprightWidth: swapped ? height : width,
      uprightHeight: swapped ? width : height,
      orientation: meta.orientation,
      hasExif: meta.exif !== undefined,
      hasIcc: meta.icc !== undefined || meta.hasProfile === true,
      channels: meta.channels,
      space: meta.space,
      // sharp states density in pixels per inch whatever unit the file used.
      ppi: meta.density,
    },
  };
}

/**
 * Reads an image's header: format, size (stored and upright), EXIF orientation, whether it carries
 * EXIF or an ICC profile. Decodes no pixels.
 * @returns IMAGE_DECODE_FAILED (empty, corrupt, unknown), IMAGE_UNSUPPORTED (another format, animation),
 *   IMAGE_TOO_LARGE (bytes or pixels above `limits`).
 */
export async function readImageMetadata(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<ImageResult<ImageMetadata>> {
  return screen(bytes, limits);
}

/** The decoding pipeline shared by RGB and grey: bounded, upright, no alpha (flattened on white). */
function uprightPipeline(bytes: Uint8Array, limits: ImageLimits): Sharp {
  return sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error', sequentialRead: true })
    .autoOrient()
    .flatten({ background: '#ffffff' });
}

/**
 * Decodes JPEG, PNG or WebP bytes into an upright 8-bit sRGB raster: EXIF orientation applied, an
 * embedded ICC profile converted to sRGB, alpha flattened on white, greyscale expanded to RGB.
 * @returns IMAGE_DECODE_FAILED, IMAGE_UNSUPPORTED or IMAGE_TOO_LARGE (see {@link readImageMetadata});
 *   IMAGE_DECODE_FAILED also when the pixel data is truncated or corrupt.
 */
export async function decodeRgb(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<ImageResult<RgbImage>> {
  const screened = await screen(bytes, limits);
  if (!screened.ok) return screened;
  try {
    const { data, info } = await uprightPipeline(bytes, limits)
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3)
      return fail('IMAGE_UNSUPPORTED', `decoded to ${info.channels} channels; expected RGB`);
    return { ok: true, value: { width: info.width, height: info.height, data: viewOf(data) } };
  } catch (cause) {
    return fail('IMAGE_DECODE_FAILED', 'the image data is truncated or corrupt', cause);
  }
}

/**
 * Decodes JPEG, PNG or WebP bytes into an upright 8-bit greyscale raster. Colour input is reduced to
 * luminance (libvips 'b-w': CIE Y from linear sRGB, re-encoded with the sRGB curve); 16-bit input is
 * scaled to 8 bits.
 * @returns the errors of {@link decodeRgb}.
 */
export async function decodeGrey(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<ImageResult<GreyImage & { readonly ppi: number | undefined }>> {
  const screened = await screen(bytes, limits);
  if (!screened.ok) return screened;
  try {
    const { data, info } = await uprightPipeline(bytes, limits)
      .toColourspace('b-w')
      .extractChannel(0)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (data.length !== info.width * info.height)
      return fail('IMAGE_UNSUPPORTED', `decoded to ${info.channels} channels; expected one`);
    return {
      ok: true,
      value: { width: info.width, height: info.height, pixels: viewOf(data), ppi: screened.value.ppi },
    };
  } catch (cause) {
    return fail('IMAGE_DECODE_FAILED', 'the image data is truncated or corrupt', cause);
  }
}

/** A raster we made: RGB (`data`, 3 bytes a pixel) or grey (`pixels`, 1 byte a pixel). */
export type Raster = RgbImage | GreyImage;

function isRgb(image: Raster): image is RgbImage {
  return 'data' in image;
}

/** Largest raster we encode or transform: 16384 px a side (libvips' JPEG limit is 65535). */
export const MAX_RASTER_SIDE = 16384;

function assertRaster(image: Raster): void {
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`raster size ${width}x${height} is not a positive integer size`);
  if (width > MAX_RASTER_SIDE || height > MAX_RASTER_SIDE)
    throw new RangeError(`raster ${width}x${height} is above ${MAX_RASTER_SIDE} px a side`);
  const length = isRgb(image) ? image.data.length : image.pixels.length;
  const channels = isRgb(image) ? 3 : 1;
  if (length !== width * height * channels)
    throw new RangeError(`${length} bytes for a ${width}x${height} raster of ${channels} channel(s)`);
}

function fromRaster(image: Raster): Sharp {
  assertRaster(image);
  const rgb = isRgb(image);
  const bytes = rgb ? image.data : image.pixels;
  const input = sharp(bytes, { raw: { width: image.width, height: image.height, channels: rgb ? 3 : 1 } });
  // A one-channel raw input would otherwise be written as RGB.
  return rgb ? input.toColourspace('srgb') : input.toColourspace('b-w');
}

function viewOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

async function run<T>(what: string, job: () => Promise<T>): Promise<T> {
  try {
    return await job();
  } catch (cause) {
    throw new ImageError('IMAGE_ENCODE_FAILED', `sharp could not ${what}`, { cause });
  }
}

export interface JpegOptions {
  /** 1..100. */
  readonly quality: number;
  /**
   * Chroma subsampling; '4:2:0' (the default) halves the colour resolution, which faces tolerate and
   * which saves about a third of the bytes.
   */
  readonly chromaSubsampling?: '4:2:0' | '4:4:4';
}

/**
 * Encodes a raster as baseline JPEG (JFIF, sRGB, no EXIF, no ICC profile: the chip and the packet
 * carry pixels, and sRGB is what every reader assumes without a profile).
 * @throws {RangeError} for an inconsistent raster or a quality outside 1..100.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function encodeJpeg(image: Raster, options: JpegOptions): Promise<Uint8Array> {
  const { quality } = options;
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100))
    throw new RangeError(`JPEG quality ${quality} is not an integer in 1..100`);
  const pipeline = fromRaster(image);
  return run('encode JPEG', async () =>
    viewOf(
      await pipeline
        .jpeg({ quality, chromaSubsampling: options.chromaSubsampling ?? '4:2:0', optimiseCoding: true })
        .toBuffer(),
    ),
  );
}

/**
 * Encodes a raster as PNG: 8-bit greyscale for a grey raster, 8-bit RGB for an RGB one.
 * @param ppi written as the pHYs chunk (libvips also writes it as EXIF resolution); without it libvips
 *   writes its default of 1 px/mm.
 * @throws {RangeError} for an inconsistent raster or a ppi that is not positive.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function encodePng(image: Raster, ppi?: number): Promise<Uint8Array> {
  if (ppi !== undefined && !(ppi > 0 && Number.isFinite(ppi)))
    throw new RangeError(`ppi ${ppi} is not positive`);
  let pipeline = fromRaster(image);
  if (ppi !== undefined) pipeline = pipeline.withDensity(ppi);
  return run('encode PNG', async () => viewOf(await pipeline.png({ compressionLevel: 6 }).toBuffer()));
}

/** Live previews: the longest side a preview image is shrunk to, px. */
export const MAX_PREVIEW_SIDE = 1024;

/**
 * A small JPEG for a live preview: a raster (a scanner's grey preview frame) or JPEG bytes (a camera
 * frame), shrunk to fit `maxSide` px a side (never enlarged). The work runs in libvips' threads, off
 * the event loop.
 * @throws {RangeError} for an inconsistent raster, `maxSide` outside 16..MAX_PREVIEW_SIDE or a
 *   quality outside 1..100.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails (e.g. bytes that are not an image).
 */
export async function encodePreviewJpeg(
  source: Raster | Uint8Array,
  maxSide: number,
  quality = 60,
): Promise<{ jpeg: Uint8Array; width: number; height: number }> {
  if (!(Number.isInteger(maxSide) && maxSide >= 16 && maxSide <= MAX_PREVIEW_SIDE))
    throw new RangeError(`preview side ${maxSide} is not an integer in 16..${MAX_PREVIEW_SIDE}`);
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100))
    throw new RangeError(`JPEG quality ${quality} is not an integer in 1..100`);
  const pipeline =
    source instanceof Uint8Array
      ? sharp(source, { limitInputPixels: DEFAULT_IMAGE_LIMITS.maxPixels })
      : fromRaster(source);
  return run('encode a preview JPEG', async () => {
    const { data, info } = await pipeline
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality, chromaSubsampling: '4:2:0' })
      .toBuffer({ resolveWithObject: true });
    return { jpeg: viewOf(data), width: info.width, height: info.height };
  });
}

async function toRgb(pipeline: Sharp, what: string): Promise<RgbImage> {
  return run(what, async () => {
    const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: viewOf(data) };
  });
}

/** An sRGB colour, each 0..255. */
export interface Rgb {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/**
 * Cuts `box` out of an RGB raster. The box is in pixels and must lie inside the image.
 * @throws {RangeError} for a box outside the image or an inconsistent raster.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function cropRgb(image: RgbImage, box: Box): Promise<RgbImage> {
  const { x, y, width, height } = box;
  if (![x, y, width, height].every(Number.isInteger) || width < 1 || height < 1)
    throw new RangeError(`crop box ${JSON.stringify(box)} is not a positive integer box`);
  if (x < 0 || y < 0 || x + width > image.width || y + height > image.height)
    throw new RangeError(
      `crop box ${JSON.stringify(box)} lies outside the ${image.width}x${image.height} image`,
    );
  return toRgb(fromRaster(image).extract({ left: x, top: y, width, height }), 'crop');
}

/**
 * Rotates an RGB raster clockwise by `degrees` about its centre. A multiple of 90 is exact; any other
 * angle enlarges the canvas to the rotated bounding box, filled with `background`.
 * @throws {RangeError} for an inconsistent raster or a non-finite angle.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function rotateRgb(image: RgbImage, degrees: number, background: Rgb): Promise<RgbImage> {
  if (!Number.isFinite(degrees)) throw new RangeError(`rotation ${degrees} is not finite`);
  return toRgb(fromRaster(image).rotate(degrees, { background: { ...background, alpha: 1 } }), 'rotate');
}

/**
 * Resizes an RGB raster to exactly `width` x `height` px (no aspect ratio kept: the caller decides it),
 * Lanczos-3 so a large downscale does not alias.
 * @throws {RangeError} for an inconsistent raster or a bad size.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1))
    throw new RangeError(`size ${width}x${height} is not a positive integer size`);
  if (width > MAX_RASTER_SIDE || height > MAX_RASTER_SIDE)
    throw new RangeError(`size ${width}x${height} is above ${MAX_RASTER_SIDE} px a side`);
  return toRgb(fromRaster(image).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }), 'resize');
}

/**
 * Scales by `scale` and rotates clockwise by `degrees` about the centre. A downscale runs first as a
 * Lanczos-3 resize (anti-aliased), then the rotation; an upscale and the rotation run as one bilinear
 * affine transform (on the fixture faces bilinear gave the same JPEG size as Lanczos then rotate, in a
 * tenth of the time; bicubic's extra sharpness cost 10 % more bytes at the same quality). The canvas is the bounding box of the transformed image, `background` where the
 * image does not reach, and the source's centre lands on the canvas's centre (within a pixel).
 * @throws {RangeError} for an inconsistent raster, a scale that is not positive or a result above
 *   MAX_RASTER_SIDE.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when sharp fails.
 */
export async function scaleRotateRgb(
  image: RgbImage,
  scale: number,
  degrees: number,
  background: Rgb,
): Promise<RgbImage> {
  if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`scale ${scale} is not positive`);
  if (!Number.isFinite(degrees)) throw new RangeError(`rotation ${degrees} is not finite`);
  let source = image;
  let rest = scale;
  if (scale < 1) {
    source = await resizeRgb(
      image,
      Math.max(1, Math.round(image.width * scale)),
      Math.max(1, Math.round(image.height * scale)),
    );
    rest = 1;
  }
  if (degrees === 0 && rest === 1) return source;
  const rad = (degrees * Math.PI) / 180;
  const cos = rest * Math.cos(rad);
  const sin = rest * Math.sin(rad);
  const side = Math.ceil((Math.abs(cos) + Math.abs(sin)) * Math.max(source.width, source.height));
  if (side > MAX_RASTER_SIDE) throw new RangeError(`the transformed raster would be ${side} px a side`);
  return toRgb(
    fromRaster(source).affine([cos, -sin, sin, cos], {
      background: { ...background, alpha: 1 },
      interpolator: sharp.interpolators.bilinear,
    }),
    'scale and rotate',
  );
}

/**
 * Copies `box` out of `image`; what falls outside the image is `background`. Pure row copies: cheaper
 * than a libvips round trip for a few hundred kilobytes.
 * @throws {RangeError} for a box that is not a positive integer box.
 */
export function padCrop(image: RgbImage, box: Box, background: Rgb): RgbImage {
  assertRaster(image);
  const { x, y, width, height } = box;
  if (![x, y, width, height].every(Number.isInteger) || width < 1 || height < 1)
    throw new RangeError(`crop box ${JSON.stringify(box)} is not a positive integer box`);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = background.r;
    out[i + 1] = background.g;
    out[i + 2] = background.b;
  }
  const x0 = Math.max(0, x);
  const x1 = Math.min(image.width, x + width);
  if (x1 > x0) {
    for (let row = Math.max(0, y); row < Math.min(image.height, y + height); row++) {
      const from = (row * image.width + x0) * 3;
      out.set(image.data.subarray(from, from + (x1 - x0) * 3), ((row - y) * width + (x0 - x)) * 3);
    }
  }
  return { width, height, data: out };
}
