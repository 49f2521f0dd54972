/** Reading a station route for an admin screen: on mount, when asked, and on a timer in the background. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.ts';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  /** Reads again now; resolves when the answer is in. */
  reload(): Promise<void>;
}

/**
 * GETs `path` now and every `everyMs` (0: only on mount and reload), the timer's reads marked as
 * background so they do not hold off the idle lock. A read that fails keeps the last data.
 */
export function useStation<T>(path: string, everyMs = 0): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const latest = useRef(0);
  const read = useCallback(
    async (background: boolean) => {
      const ticket = ++latest.current;
      try {
        const answer = await api<T>('GET', path, undefined, undefined, { background });
        // A slower, older read never overwrites a newer one.
        if (ticket !== latest.current) return;
        setData(answer);
        setError(undefined);
      } catch (caught) {
        if (ticket === latest.current) setError(caught);
      }
    },
    [path],
  );
  useEffect(() => {
    void read(false);
    if (everyMs <= 0) return;
    const timer = setInterval(() => void read(true), everyMs);
    return () => clearInterval(timer);
  }, [read, everyMs]);
  const reload = useCallback(() => read(false), [read]);
  return { data, error, reload };
}
