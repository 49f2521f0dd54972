/**
 * HID port: what the FPSCAN driver needs from a HID device, nothing more. The native adapter
 * (native-hid.ts, node-hid) and the simulator (simulators/scanner) implement it.
 *
 * Contract:
 * - `HidBus.list(filter)` resolves the HID devices present now; `open(path)` resolves a port or
 *   rejects with DriverError DEVICE_NOT_FOUND / DEVICE_PERMISSION_DENIED / DEVICE_UNAVAILABLE.
 * - `reportSize` is R, the input and output report length in bytes without a report-id byte.
 * - `write(report)` sends exactly R bytes (the adapter adds the report-id byte where the OS wants
 *   one); it rejects with DisconnectedError when the device is gone.
 * - `read(timeoutMs)` resolves the next input report (R bytes), or undefined when none arrives in
 *   `timeoutMs`; it rejects with DisconnectedError when the device is gone. One read at a time.
 * - `close()` makes a pending read reject with CanceledError; later calls reject with it too.
 *   Safe to call twice.
 */

export interface HidDeviceRef {
  /** OS path (hidraw node) or the simulator's name; what `open` takes. */
  readonly path: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly product?: string;
  readonly serialNumber?: string;
}

export interface HidPort {
  readonly path: string;
  readonly reportSize: number;
  write(report: Uint8Array): Promise<void>;
  read(timeoutMs: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

export interface HidBus {
  list(filter?: {
    readonly vendorId?: number;
    readonly productId?: number;
  }): Promise<readonly HidDeviceRef[]>;
  open(path: string): Promise<HidPort>;
}
