/**
 * The wait the station asks for after a wrong password (`retryAfterSeconds` on the refusal, as its
 * Retry-After header): a form's submit button waits as long, counting down, instead of meeting
 * AUTH_TOO_MANY_ATTEMPTS on the next try. Used by sign-in and every "password again" form.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

/** The seconds the station asks to wait before the next attempt, from its error body. */
export function retryAfterSeconds(body: unknown): number | undefined {
  const value = (body as { error?: { retryAfterSeconds?: unknown } } | undefined)?.error?.retryAfterSeconds;
  return typeof value === 'number' && value > 0 && value < 3600 ? value : undefined;
}

export interface RetryWait {
  /** Whole seconds left (0: the form may be sent). */
  readonly seconds: number;
  /** Starts the wait a refusal asks for (nothing for another error); call it before rethrowing. */
  note(error: unknown): void;
}

export function useRetryWait(): RetryWait {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until <= Date.now()) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [until]);
  return {
    seconds: Math.max(0, Math.ceil((until - now) / 1000)),
    note(error) {
      const retry = error instanceof ApiError ? retryAfterSeconds(error.body) : undefined;
      if (retry === undefined) return;
      setUntil(Date.now() + retry * 1000);
      setNow(Date.now());
    },
  };
}
