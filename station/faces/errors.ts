/** The face engine's error catalogue (STYLE.md, errors): callers branch on `code`, never on text. */

export type FaceEngineErrorCode =
  /** The models could not be loaded (files missing or corrupt, the WASM runtime failed to start). */
  | 'FACE_MODEL_LOAD_FAILED'
  /** The inference worker died while running the request; a new worker was started, retry it. */
  | 'FACE_WORKER_CRASHED'
  /** The request ran past its hard limit; its worker was replaced. */
  | 'FACE_TIMEOUT'
  /** Too many requests waiting; the caller should drop this one (a live frame) or retry shortly. */
  | 'FACE_QUEUE_FULL'
  /** The caller's signal fired; the result, if any, was dropped. */
  | 'FACE_CANCELED'
  /** The engine is closed. */
  | 'FACE_ENGINE_CLOSED'
  /** Two descriptors that this engine cannot compare (another engine's, or another length). */
  | 'FACE_DESCRIPTOR_MISMATCH'
  /** The worker refused or failed a request for a reason other than the above (a defect). */
  | 'FACE_INFERENCE_FAILED';

export class FaceEngineError extends Error {
  override readonly name = 'FaceEngineError';
  readonly code: FaceEngineErrorCode;

  constructor(code: FaceEngineErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
