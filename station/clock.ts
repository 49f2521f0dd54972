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
