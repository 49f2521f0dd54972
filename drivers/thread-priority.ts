/**
 * Background priority for worker threads (issue 21, part 6: the event loop). The station's CPU work
 * runs on worker threads (the hot path, face inference, image rendering of the simulated devices) so
 * that the event loop serving the officer's screen stays free; but on a two-core desk machine those
 * threads still compete with the event loop for the cores, and every time slice the scheduler gives
 * them is event-loop delay. A worker calls lowerThreadPriority() first thing: a nice value above the
 * main thread's lets the event loop run as soon as it has work, and the workers take the rest.
 *
 * Linux keeps a nice value per thread, and `setpriority(PRIO_PROCESS, 0, n)` (os.setPriority(0, n))
 * changes the calling thread's only. Elsewhere it would change the whole process, the event loop
 * included, so it is left alone there; on the main thread it does nothing.
 */
import { getPriority, setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/**
 * How many nice steps background workers run below the thread that started them (a new thread
 * inherits its creator's): about a third of the event loop's CPU share when both want the core.
 */
export const BACKGROUND_NICE_STEPS = 5;

/**
 * Lowers the calling worker thread's scheduling priority by `steps` nice values (1..19), from the
 * one it inherited, to at most 19: a station run at a raised priority keeps its workers below it.
 * @returns whether it was lowered: false on the main thread, off Linux, or when the system refuses.
 */
export function lowerThreadPriority(steps: number = BACKGROUND_NICE_STEPS): boolean {
  if (!Number.isInteger(steps) || steps < 1 || steps > 19)
    throw new RangeError(`steps ${steps} is outside 1..19`);
  if (isMainThread || process.platform !== 'linux') return false;
  try {
    setPriority(0, Math.min(19, getPriority(0) + steps));
    return true;
  } catch {
    // A sandbox may forbid it; the worker still works, only at the main thread's priority.
    return false;
  }
}
