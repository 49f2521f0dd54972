/**
 * The hot-plug monitor as a station device: owns a HotplugPort, reports its state in /health, and
 * fans attach/detach events out to drivers that want to reconnect after a re-plug.
 */
import { type Device, type DeviceMode, type DeviceState, DeviceStateHolder } from '../device.ts';
import type { HotplugEvent, HotplugPort } from './port.ts';

export class HotplugMonitor implements Device {
  readonly id = 'usb-hotplug';
  readonly family = 'hotplug' as const;
  readonly mode: DeviceMode;
  readonly #port: HotplugPort;
  readonly #state = new DeviceStateHolder({ status: 'opening' });
  readonly #observers = new Set<(event: HotplugEvent) => void>();
  #unsubscribe: (() => void) | undefined;
  #attached = 0;

  constructor(port: HotplugPort, mode: DeviceMode) {
    this.#port = port;
    this.mode = mode;
  }

  state(): DeviceState {
    return this.#state.get();
  }

  onStateChange(listener: (state: DeviceState) => void): () => void {
    return this.#state.subscribe(listener);
  }

  /** Subscribes to attach/detach events; returns the unsubscribe function. */
  listen(observer: (event: HotplugEvent) => void): () => void {
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  async open(): Promise<void> {
    if (this.#unsubscribe) return;
    try {
      this.#attached = (await this.#port.list()).length;
      this.#unsubscribe = this.#port.listen((event) => this.#onEvent(event));
      this.#publish();
    } catch (error) {
      const code =
        typeof error === 'object' && error !== null && 'code' in error
          ? String(error.code)
          : 'DEVICE_UNAVAILABLE';
      this.#state.set({
        status: 'error',
        code,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#observers.clear();
    await this.#port.close();
    this.#state.set({ status: 'closed' });
  }

  #onEvent(event: HotplugEvent): void {
    this.#attached = Math.max(0, this.#attached + (event.type === 'attach' ? 1 : -1));
    this.#publish();
    for (const observer of [...this.#observers]) observer(event);
  }

  #publish(): void {
    this.#state.set({ status: 'ready', detail: { usbDevices: this.#attached } });
  }
}
