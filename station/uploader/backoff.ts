/**
 * Capped exponential backoff with full jitter (the "Full Jitter" of AWS's architecture note on
 * backoff): the n-th retry waits a uniformly random time in [0, min(maxMs, baseMs * factor^(n-1))).
 * Full jitter spreads a fleet of stations that lost the same link at the same moment, so they do
 * not all return in step when it comes back.
 */

export interface BackoffSettings {
  /** The cap of the first retry's wait, ms. */
  readonly baseMs: number;
  /** No wait is longer than this, ms. */
  readonly maxMs: number;
  /** Growth of the cap per attempt (>= 1). */
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 1_000, maxMs: 5 * 60_000, factor: 2 };

/** Throws RangeError for settings that cannot make a wait. */
export function checkBackoff(settings: BackoffSettings): BackoffSettings {
  const { baseMs, maxMs, factor } = settings;
  if (!(Number.isFinite(baseMs) && baseMs >= 0))
    throw new RangeError(`backoff baseMs ${baseMs} must be >= 0`);
  if (!(Number.isFinite(maxMs) && maxMs >= baseMs))
    throw new RangeError(`backoff maxMs ${maxMs} must be >= baseMs ${baseMs}`);
  if (!(Number.isFinite(factor) && factor >= 1))
    throw new RangeError(`backoff factor ${factor} must be >= 1`);
  return settings;
}

/** The cap for retry number `attempt` (1 = the first retry), ms. */
export function backoffCap(attempt: number, settings: BackoffSettings): number {
  const n = Math.max(1, Math.floor(attempt));
  // factor^(n-1) overflows to Infinity for large n; min() keeps the cap.
  return Math.min(settings.maxMs, settings.baseMs * settings.factor ** (n - 1));
}

/**
 * The wait before retry number `attempt`, ms: `random() * cap`, with `random` in [0, 1)
 * (injectable, so tests are deterministic). Always in [0, maxMs].
 */
export function backoffDelay(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCap(attempt, settings));
}
