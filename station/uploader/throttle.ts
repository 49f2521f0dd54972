/**
 * A token bucket for the upload bandwidth limit: one bucket for the whole link (all concurrent
 * uploads share it), refilled at `bytesPerSecond`, holding at most one second of bytes so a pause
 * does not turn into a burst. Time is the injected monotonic clock (ms).
 */

export interface Throttle {
  /** Resolves when `bytes` may be sent; rejects with the signal's reason when it aborts. */
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

/** No limit. */
export const UNLIMITED: Throttle = { take: async () => {} };

export interface TokenBucketOptions {
  readonly bytesPerSecond: number;
  readonly monotonic?: () => number;
  /** Waits `ms`; injectable for tests. Default setTimeout. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class TokenBucket implements Throttle {
  readonly #rate: number;
  readonly #capacity: number;
  readonly #monotonic: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #tokens: number;
  #at: number;
  /** Takers queue in order, so one upload cannot starve another. */
  #queue: Promise<void> = Promise.resolve();

  /** Throws RangeError unless bytesPerSecond is a positive finite number. */
  constructor(options: TokenBucketOptions) {
    const { bytesPerSecond } = options;
    if (!(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0))
      throw new RangeError(`bandwidth limit ${bytesPerSecond} bytes/s must be a positive number`);
    this.#rate = bytesPerSecond / 1000;
    this.#capacity = bytesPerSecond;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#sleep = options.sleep ?? sleep;
    this.#tokens = 0;
    this.#at = this.#monotonic();
  }

  take(bytes: number, signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#takeNow(bytes, signal));
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async #takeNow(bytes: number, signal?: AbortSignal): Promise<void> {
    let need = bytes;
    while (need > 0) {
      signal?.throwIfAborted();
      const now = this.#monotonic();
      this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#rate);
      this.#at = now;
      const grant = Math.min(need, Math.floor(this.#tokens));
      if (grant > 0) {
        this.#tokens -= grant;
        need -= grant;
        continue;
      }
      const want = Math.min(need, this.#capacity);
      await this.#sleep(Math.max(1, Math.ceil((want - this.#tokens) / this.#rate)), signal);
    }
  }
}
