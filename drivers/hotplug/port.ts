/**
 * Hot-plug port: USB attach and detach events, so drivers can find a scanner again after re-plug.
 *
 * Contract:
 * - `list()` resolves the USB devices present now; on a machine without USB support it resolves [] or
 *   rejects with DeviceUnavailableError, never crashes the process.
 * - `listen(observer)` starts delivering events to `observer` and returns the unsubscribe function;
 *   the observer hears each attach or detach once, asynchronously (never inside `listen`).
 * - `close()` stops all listeners; later `listen` calls throw. Safe to call twice.
 */

export interface UsbDeviceRef {
  /** USB idVendor, 0x0000-0xFFFF. */
  readonly vendorId: number;
  /** USB idProduct, 0x0000-0xFFFF. */
  readonly productId: number;
  /** Bus number and address identify one plugged-in instance; absent where the OS does not tell. */
  readonly busNumber?: number;
  readonly deviceAddress?: number;
}

export interface HotplugEvent {
  readonly type: 'attach' | 'detach';
  readonly device: UsbDeviceRef;
}

export interface HotplugPort {
  list(): Promise<readonly UsbDeviceRef[]>;
  listen(observer: (event: HotplugEvent) => void): () => void;
  close(): Promise<void>;
}

export function formatUsbId(device: UsbDeviceRef): string {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return `${hex(device.vendorId)}:${hex(device.productId)}`;
}
