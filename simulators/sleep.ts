/** Waiting in simulators: a device's own delays, cut short by its AbortSignal (unplug, cancel). */
import { CanceledError } from '../drivers/errors.ts';

/** Resolves after `ms`; rejects with CanceledError as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CanceledError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CanceledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
