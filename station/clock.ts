/** Time, injected so tests and simulators control it (STYLE.md: clocks are injected). */
export interface Clock {
  /** Wall-clock time, ms since the Unix epoch: for timestamps that leave the station. */
  now(): number;
  /** Monotonic time in ms from an arbitrary origin: for durations and timeouts. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** The station's local calendar date at `now` (ms since the epoch), yyyy-mm-dd: what "today" means
 * for the dates on a card or its QR code. */
export function localToday(now: number): string {
  const d = new Date(now);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
