/**
 * Errors of the QR decoding service (pool.ts). Callers branch on `code`. A frame that holds no
 * readable code is not an error: it is a QrDecodeResult with ok: false.
 */
export type QrDecoderErrorCode =
  /** Too many frames already wait for a worker: drop this one (live frames are replaced by newer ones). */
  | 'QR_QUEUE_FULL'
  /** The caller's AbortSignal fired. */
  | 'QR_CANCELED'
  /** The decoder was closed with the frame pending. */
  | 'QR_CLOSED'
  /** The worker took longer than the hard limit; it was replaced. */
  | 'QR_TIMEOUT'
  /** The worker died (or threw) while decoding; it was replaced. */
  | 'QR_WORKER_CRASHED';

export class QrDecoderError extends Error {
  override readonly name = 'QrDecoderError';
  constructor(
    readonly code: QrDecoderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
