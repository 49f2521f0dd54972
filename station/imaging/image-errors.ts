/**
 * The imaging layer's error catalogue and input bounds, shared by the sharp adapter and the JPEG 2000
 * decoder (which runs in a worker thread that should not load sharp). No imports: cheap in any thread.
 */

/** Stable codes of {@link ImageError}. */
export type ImageErrorCode =
  /** Not a readable image: empty, truncated, corrupt, or an unknown format. */
  | 'IMAGE_DECODE_FAILED'
  /** Above the byte or pixel bound. */
  | 'IMAGE_TOO_LARGE'
  /** A readable image of a kind we do not take (format, bit depth, animation). */
  | 'IMAGE_UNSUPPORTED'
  /** The library failed to encode or transform one of our own rasters (not the caller's fault). */
  | 'IMAGE_ENCODE_FAILED';

export class ImageError extends Error {
  override readonly name = 'ImageError';
  readonly code: ImageErrorCode;
  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type ImageResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ImageError };

/** Bounds on an untrusted image. */
export interface ImageLimits {
  /** Largest encoded input, bytes. */
  readonly maxBytes: number;
  /** Largest decoded image, pixels (width x height), checked from the header before decoding. */
  readonly maxPixels: number;
}

/**
 * 32 MB and 40 megapixels: a phone photo (12-50 MP) or a 4K camera frame passes, a decompression bomb
 * (a small file declaring 60000 x 60000) is refused from its header. 40 MP of RGB is 120 MB decoded.
 */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 32 * 1024 * 1024, maxPixels: 40_000_000 };
