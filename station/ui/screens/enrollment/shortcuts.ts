/**
 * The enrollment screens' keyboard shortcuts: Alt with a letter or digit, so they never collide with
 * typing in a field. Each screen lists its own under its controls.
 */
import { useEffect, useRef } from 'preact/hooks';

/** Runs `actions[key]` on Alt+key (lower-case letters and digits) while the component is shown. */
export function useShortcuts(actions: Readonly<Record<string, () => void>>, enabled = true): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    if (!enabled) return;
    const pressed = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const match = /^(?:Key([A-Z])|Digit([0-9]))$/.exec(event.code);
      const key = (match?.[1] ?? match?.[2] ?? '').toLowerCase();
      const action = latest.current[key];
      if (action === undefined) return;
      event.preventDefault();
      action();
    };
    addEventListener('keydown', pressed);
    return () => removeEventListener('keydown', pressed);
  }, [enabled]);
}

/** One shortcut: `action` on Alt+`key`. */
export function useShortcut(key: string, action: () => void, enabled = true): void {
  useShortcuts({ [key]: action }, enabled);
}
