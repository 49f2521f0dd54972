/**
 * Progressive delay for failed logins, per key (an account name, a client address). After n
 * consecutive failures the next attempt for that key is refused until
 * `min(baseMs · 2^(n-1), capMs)` after the last failure: 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s ...
 * with the defaults. A success clears the key; a key quiet for `forgetMs` is forgotten. The table
 * holds at most `maxKeys` keys (the oldest go first), so a flood of invented names cannot grow it
 * without bound. In memory: a restart forgets the counts (the account lock itself is in the file).
 */
import type { Clock } from '../clock.ts';

export interface ThrottleSettings {
  /** Delay after the first failure, ms. */
  readonly baseMs: number;
  /** Longest delay, ms. */
  readonly capMs: number;
  /** A key with no failure for this long starts again from zero, ms. */
  readonly forgetMs: number;
  /** Keys remembered at most. */
  readonly maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  baseMs: 1000,
  capMs: 30_000,
  forgetMs: 15 * 60_000,
  maxKeys: 10_000,
};

interface Entry {
  failures: number;
  /** monotonic ms */
  lastFailure: number;
}

export class Throttle {
  readonly #clock: Clock;
  readonly #settings: ThrottleSettings;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock, settings: Partial<ThrottleSettings> = {}) {
    this.#clock = clock;
    this.#settings = { ...DEFAULT_THROTTLE, ...settings };
  }

  #entry(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && this.#clock.monotonic() - entry.lastFailure >= this.#settings.forgetMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The delay that follows `failures` consecutive failures, ms. */
  delayAfter(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.#settings.baseMs * 2 ** Math.min(failures - 1, 30), this.#settings.capMs);
  }

  /** How long until `key` may try again, ms (0: now). */
  waitMs(key: string): number {
    const entry = this.#entry(key);
    if (!entry) return 0;
    return Math.max(0, entry.lastFailure + this.delayAfter(entry.failures) - this.#clock.monotonic());
  }

  /** Consecutive failures of `key` still remembered. */
  failures(key: string): number {
    return this.#entry(key)?.failures ?? 0;
  }

  /** Records a failure; returns the consecutive count. */
  fail(key: string): number {
    const entry = this.#entry(key);
    const failures = (entry?.failures ?? 0) + 1;
    this.#entries.delete(key); // re-insert: the map's order is least recently failed first
    this.#entries.set(key, { failures, lastFailure: this.#clock.monotonic() });
    while (this.#entries.size > this.#settings.maxKeys) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    return failures;
  }

  succeed(key: string): void {
    this.#entries.delete(key);
  }
}
