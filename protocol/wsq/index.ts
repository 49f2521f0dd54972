/**
 * WSQ fingerprint image codec (FBI IAFIS-IC-0110 v3.1), pure TypeScript on typed arrays.
 * See README.md in this folder for the format, our limits and what is tested.
 *
 * Worker-friendly: every function takes and returns plain data; pixel and file buffers are exactly
 * sized, so they can be transferred between threads.
 */

export { decodeWsq, inspectWsq, type WsqImage, type WsqInfo } from './decoder.ts';
export {
  DEFAULT_BIT_RATE,
  DEFAULT_PPI,
  encodeWsq,
  MAX_BIT_RATE,
  type WsqEncodeError,
  type WsqEncodeErrorReason,
  type WsqEncodeOptions,
  type WsqEncodeResult,
} from './encoder.ts';
export { MAX_PIXELS, MAX_SIDE, MIN_ENCODE_SIDE, MIN_SIDE } from './limits.ts';
export { maxAbsDifference, psnr } from './metrics.ts';
