/** The hot path's error catalogue (STYLE.md, errors): callers branch on `code`, never on text. */

export type HotpathErrorCode =
  /** The caller's signal fired; the job's result, if any, was dropped. */
  | 'HOTPATH_CANCELED'
  /** The worker running the job died (crash, out of memory); a new worker took its place. */
  | 'HOTPATH_WORKER_CRASHED'
  /** The job ran past its hard limit; its worker was replaced. */
  | 'HOTPATH_TIMEOUT'
  /** The job's input was refused by the algorithm (an empty image, a size out of range...). */
  | 'HOTPATH_INPUT'
  /** Too many jobs waiting; the caller should retry shortly. */
  | 'HOTPATH_QUEUE_FULL'
  /** The pool is closed. */
  | 'HOTPATH_CLOSED';

export class HotpathError extends Error {
  override readonly name: string = 'HotpathError';
  readonly code: HotpathErrorCode;
  /** The job kind, e.g. 'wsq-encode'. */
  readonly job: string | undefined;
  /** For HOTPATH_INPUT: the algorithm's own stable reason (e.g. 'too-small'). */
  readonly reason: string | undefined;

  constructor(
    code: HotpathErrorCode,
    message: string,
    fields: { job?: string; reason?: string; cause?: unknown } = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.job = fields.job;
    this.reason = fields.reason;
  }
}
