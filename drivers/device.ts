/**
 * What the station knows of every device, whatever its family: identity, mode, and a state that
 * changes by events. Drivers implement this next to their own family API (capture, transmit, ...).
 */

export type DeviceFamily =
  | 'hotplug'
  | 'fingerprint-hid'
  | 'fingerprint-serial'
  | 'card-reader'
  | 'camera'
  | 'barcode';

/** `simulated` devices are in-process or loopback simulators; production refuses them. */
export type DeviceMode = 'simulated' | 'hardware';

/**
 * A device's state. Listeners hear only real changes (a transition to an equal state is not emitted).
 * `detail` is a short family-specific summary for /health, never biometric data.
 */
export type DeviceState =
  | { readonly status: 'opening' }
  | { readonly status: 'ready'; readonly detail?: Readonly<Record<string, string | number | boolean>> }
  | { readonly status: 'disconnected'; readonly reason: string }
  | { readonly status: 'error'; readonly code: string; readonly message: string }
  | { readonly status: 'closed' };

export interface Device {
  readonly id: string;
  readonly family: DeviceFamily;
  readonly mode: DeviceMode;
  state(): DeviceState;
  /** Calls `listener` on every state change until the returned function is called. */
  onStateChange(listener: (state: DeviceState) => void): () => void;
  /**
   * Opens the device. A device that cannot open goes to `error` or `disconnected` and resolves; it
   * rejects only on programmer errors, so one broken device never stops the station from starting.
   */
  open(): Promise<void>;
  /** Releases the device; pending calls reject with CanceledError. Safe to call twice. */
  close(): Promise<void>;
}

const opening = new WeakMap<Device, Promise<void>>();

/**
 * Opens `device` once: a second call gets the first call's promise. The embedded station starts
 * opening its devices while the rest composes (a camera's first frame takes most of a second), and
 * the service awaits the same opening later instead of opening twice.
 */
export function openOnce(device: Device): Promise<void> {
  let opened = opening.get(device);
  if (opened === undefined) {
    opened = device.open();
    opening.set(device, opened);
  }
  return opened;
}

/** Compares states so listeners hear only real changes. */
export function sameState(a: DeviceState, b: DeviceState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Holds a device's state and notifies listeners of real changes; drivers compose it. */
export class DeviceStateHolder {
  #state: DeviceState;
  readonly #listeners = new Set<(state: DeviceState) => void>();

  constructor(initial: DeviceState) {
    this.#state = initial;
  }

  get(): DeviceState {
    return this.#state;
  }

  set(next: DeviceState): void {
    if (sameState(this.#state, next)) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener(next);
  }

  subscribe(listener: (state: DeviceState) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
