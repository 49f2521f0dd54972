/**
 * JPEG 2000 decoding with OpenJPEG compiled to WebAssembly (@cornerstonejs/codec-openjpeg): chip
 * portraits (DG2) may be JPEG 2000 and sharp's prebuilt libvips has no OpenJPEG. The .wasm file ships in
 * the npm package and is read from node_modules: nothing is fetched.
 *
 * Decoding is synchronous CPU work (50-300 ms for a 480 x 640 portrait), so the station calls it from a
 * worker thread (jpeg2000.ts); this module is what that worker runs, and what tests may call directly.
 *
 * The header is read by us before OpenJPEG sees the bytes, to bound the pixels it will allocate:
 * the SIZ marker segment (ISO/IEC 15444-1 A.5.1), found at the start of a codestream or inside a JP2
 * file's contiguous codestream box 'jp2c' (ISO/IEC 15444-1 I.5.4):
 *
 * | offset from SOC | field            | size |
 * |-----------------|------------------|------|
 * | 0               | SOC  FF4F        | 2    |
 * | 2               | SIZ  FF51        | 2    |
 * | 4               | Lsiz             | 2    |
 * | 6               | Rsiz             | 2    |
 * | 8, 12           | Xsiz, Ysiz       | 4, 4 |
 * | 16, 20          | XOsiz, YOsiz     | 4, 4 |
 * | 24..39          | tile size/offset | 16   |
 * | 40              | Csiz             | 2    |
 * | 42 + 3i         | Ssiz, XRsiz, YRsiz of component i | 1, 1, 1 |
 */
import { createRequire } from 'node:module';
import type { RgbImage } from '../../protocol/face/types.ts';
import {
  DEFAULT_IMAGE_LIMITS,
  ImageError,
  type ImageErrorCode,
  type ImageLimits,
  type ImageResult,
} from './image-errors.ts';

/** What the SIZ segment says. */
export interface Jpeg2000Header {
  readonly container: 'jp2' | 'j2k';
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** Bits per sample of the first component, 1..38. */
  readonly bitDepth: number;
  readonly signed: boolean;
  /** Whether any component is subsampled (XRsiz or YRsiz above 1). */
  readonly subsampled: boolean;
}

function fail<T>(code: ImageErrorCode, message: string, cause?: unknown): ImageResult<T> {
  return { ok: false, error: new ImageError(code, message, cause === undefined ? undefined : { cause }) };
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];

/** Offset of the codestream's SOC inside a JP2 file: the content of its first 'jp2c' box. */
function findCodestream(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  // Top-level boxes only; a portrait has a handful (signature, ftyp, jp2h, maybe uuid/xml, jp2c).
  for (let boxes = 0; boxes < 64 && offset + 8 <= bytes.length; boxes++) {
    const length32 = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    let header = 8;
    let length: number;
    if (length32 === 1) {
      if (offset + 16 > bytes.length) return undefined;
      length = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else length = length32 === 0 ? bytes.length - offset : length32;
    if (type === 'jp2c') return offset + header;
    if (length < header || offset + length > bytes.length) return undefined;
    offset += length;
  }
  return undefined;
}

/**
 * Reads the JPEG 2000 header (JP2 file or bare codestream) without decoding.
 * @returns IMAGE_DECODE_FAILED when the bytes are neither, or the SIZ segment is truncated or invalid.
 */
export function readJpeg2000Header(bytes: Uint8Array): ImageResult<Jpeg2000Header> {
  const jp2 = bytes.length >= 12 && JP2_SIGNATURE.every((b, i) => bytes[i] === b);
  const start = jp2 ? findCodestream(bytes) : 0;
  if (start === undefined) return fail('IMAGE_DECODE_FAILED', 'a JP2 file without a readable codestream box');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (start + 42 > bytes.length || view.getUint16(start) !== 0xff4f || view.getUint16(start + 2) !== 0xff51)
    return fail('IMAGE_DECODE_FAILED', 'not a JPEG 2000 codestream (no SOC and SIZ markers)');
  const lsiz = view.getUint16(start + 4);
  const components = view.getUint16(start + 40);
  if (
    components < 1 ||
    components > 16384 ||
    lsiz !== 38 + 3 * components ||
    start + 2 + 2 + lsiz > bytes.length
  )
    return fail(
      'IMAGE_DECODE_FAILED',
      `JPEG 2000 SIZ segment is truncated or invalid (Lsiz ${lsiz}, Csiz ${components})`,
    );
  const width = view.getUint32(start + 8) - view.getUint32(start + 16);
  const height = view.getUint32(start + 12) - view.getUint32(start + 20);
  if (!(width > 0 && height > 0)) return fail('IMAGE_DECODE_FAILED', 'JPEG 2000 image has no area');
  const ssiz = bytes[start + 42] ?? 0;
  let subsampled = false;
  for (let i = 0; i < components; i++)
    if (bytes[start + 43 + 3 * i] !== 1 || bytes[start + 44 + 3 * i] !== 1) subsampled = true;
  return {
    ok: true,
    value: {
      container: jp2 ? 'jp2' : 'j2k',
      width,
      height,
      components,
      bitDepth: (ssiz & 0x7f) + 1,
      signed: (ssiz & 0x80) !== 0,
      subsampled,
    },
  };
}

interface FrameInfo {
  readonly width: number;
  readonly height: number;
  readonly bitsPerSample: number;
  readonly componentCount: number;
  readonly isSigned: boolean;
}

/** The part of the Emscripten-bound OpenJPEG decoder we use (the package ships no types). */
interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  /** OpenJPEG's OPJ_COLOR_SPACE: 0 unspecified, 1 sRGB, 2 grey, 3 sYCC, 4 e-YCC, 5 CMYK. */
  getColorSpace(): number;
  delete(): void;
}

export interface OpenJpeg {
  readonly J2KDecoder: new () => J2KDecoder;
}

type Factory = (options: {
  print: (text: string) => void;
  printErr: (text: string) => void;
  locateFile: (file: string) => string;
}) => Promise<OpenJpeg>;

let loading: Promise<OpenJpeg> | undefined;

/**
 * Loads the decode-only WASM build once per thread (about 260 KB of WebAssembly, compiled in tens of ms).
 * OpenJPEG's progress chatter ("[INFO] ...") is discarded.
 * @throws when the package or its .wasm file is missing (an installation fault).
 */
export function loadOpenJpeg(): Promise<OpenJpeg> {
  if (!loading) {
    const require = createRequire(import.meta.url);
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as Factory;
    const wasm = require.resolve('@cornerstonejs/codec-openjpeg/decodewasm');
    loading = factory({ print: () => undefined, printErr: () => undefined, locateFile: () => wasm });
  }
  return loading;
}

/**
 * Decodes a JPEG 2000 portrait (JP2 file or J2K codestream) to 8-bit RGB: greyscale is replicated to
 * three channels, an alpha channel is dropped, samples deeper than 8 bits are scaled down, sYCC is
 * converted to RGB (full-range BT.601, the sYCC definition). Synchronous: call it off the event loop.
 * @returns IMAGE_DECODE_FAILED (empty, not JPEG 2000, truncated, corrupt), IMAGE_TOO_LARGE (bytes or
 *   pixels above `limits`, from the header before decoding), IMAGE_UNSUPPORTED (signed samples, more
 *   than 16 bits, subsampled components, 2 or more than 4 components).
 */
export function decodeJpeg2000With(
  codec: OpenJpeg,
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): ImageResult<RgbImage> {
  if (bytes.length === 0) return fail('IMAGE_DECODE_FAILED', 'the image is empty (0 bytes)');
  if (bytes.length > limits.maxBytes)
    return fail(
      'IMAGE_TOO_LARGE',
      `the image is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`,
    );
  const header = readJpeg2000Header(bytes);
  if (!header.ok) return header;
  const { width, height, components, bitDepth, signed, subsampled } = header.value;
  if (width * height > limits.maxPixels)
    return fail(
      'IMAGE_TOO_LARGE',
      `the image is ${width}x${height} px; at most ${limits.maxPixels} pixels are accepted`,
    );
  if (signed || bitDepth > 16 || subsampled || (components !== 1 && components !== 3 && components !== 4))
    return fail(
      'IMAGE_UNSUPPORTED',
      `JPEG 2000 with ${components} component(s) of ${signed ? 'signed ' : ''}${bitDepth} bits${subsampled ? ', subsampled' : ''} is not supported`,
    );
  const decoder = new codec.J2KDecoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const decoded = decoder.getDecodedBuffer();
    const bytesPerSample = info.bitsPerSample > 8 ? 2 : 1;
    if (
      info.width !== width ||
      info.height !== height ||
      info.componentCount !== components ||
      decoded.length !== width * height * components * bytesPerSample
    )
      return fail('IMAGE_DECODE_FAILED', 'the JPEG 2000 data is truncated or corrupt');
    return { ok: true, value: toRgb(decoded, info, decoder.getColorSpace()) };
  } catch (cause) {
    // Emscripten throws a bare number (an exception pointer) for a C++ exception.
    return fail('IMAGE_DECODE_FAILED', 'the JPEG 2000 data is truncated or corrupt', cause);
  } finally {
    decoder.delete();
  }
}

/** Copies out of WASM memory (which the next decode reuses) into interleaved 8-bit RGB. */
function toRgb(decoded: Uint8Array, info: FrameInfo, colorSpace: number): RgbImage {
  const { width, height, componentCount: n, bitsPerSample } = info;
  const pixels = width * height;
  const out = new Uint8Array(pixels * 3);
  const wide = bitsPerSample > 8;
  const shift = wide ? bitsPerSample - 8 : 0;
  const words = wide ? new Uint16Array(decoded.buffer, decoded.byteOffset, decoded.length / 2) : undefined;
  const sample = (i: number): number => (words ? (words[i] ?? 0) >> shift : (decoded[i] ?? 0));
  const sycc = colorSpace === 3 && n >= 3;
  for (let p = 0; p < pixels; p++) {
    const o = p * 3;
    if (n === 1) {
      const v = sample(p);
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    } else if (sycc) {
      const y = sample(p * n);
      const cb = sample(p * n + 1) - 128;
      const cr = sample(p * n + 2) - 128;
      out[o] = clamp(y + 1.402 * cr);
      out[o + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
      out[o + 2] = clamp(y + 1.772 * cb);
    } else {
      out[o] = sample(p * n);
      out[o + 1] = sample(p * n + 1);
      out[o + 2] = sample(p * n + 2);
    }
  }
  return { width, height, data: out };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
