/**
 * An action started from a button or a form: while it runs the control is busy and a second click
 * or Enter does nothing, so a double click never submits twice. Its error is kept for the screen.
 */
import { useCallback, useRef, useState } from 'preact/hooks';

export interface Action<A extends unknown[]> {
  readonly busy: boolean;
  readonly error: unknown;
  run(...args: A): Promise<void>;
  clearError(): void;
}

export function useAction<A extends unknown[]>(work: (...args: A) => Promise<void>): Action<A> {
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(
    async (...args: A) => {
      if (running.current) return;
      running.current = true;
      setBusy(true);
      setError(undefined);
      try {
        await work(...args);
      } catch (caught) {
        setError(caught);
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    [work],
  );
  return { busy, error, run, clearError: () => setError(undefined) };
}
