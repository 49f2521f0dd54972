/**
 * A USB keyboard-wedge 2D barcode scanner read through node-hid (hidapi on hidraw). The only
 * barcode file that imports node-hid. Input reports are decoded as a US-layout boot keyboard
 * (keyboard.ts) and cut into lines (line-queue.ts).
 *
 * Limits, for the installer:
 * - On Linux the kernel's keyboard driver also receives the scanner's keys: they are typed into
 *   whatever window has focus as well as reaching us. Either set the scanner to USB-COM (CDC ACM)
 *   mode and use the serial adapter (recommended: it carries UTF-8 unchanged), or give the scanner a
 *   udev rule that detaches it from the input subsystem.
 * - A keyboard wedge cannot type Vietnamese diacritics; set the scanner's "ALT + keypad" /
 *   "Unicode" output mode (decoded here) or use USB-COM. The HID POS usage page (0x8C) is not
 *   supported.
 * - hidraw needs read permission on the node: a udev rule (MODE or GROUP) for the scanner's USB ID.
 */
import HID from 'node-hid';
import { DeviceUnavailableError, DisconnectedError, DriverError } from '../errors.ts';
import { LineQueue, type LineQueueOptions } from './line-queue.ts';
import type { BarcodeOpener, BarcodeScannerPort } from './port.ts';

export interface NativeHidBarcodeOptions extends LineQueueOptions {
  /** hidraw path; when absent, the first HID device with this vendor (and product) ID. */
  readonly path?: string;
  readonly vendorId?: number;
  readonly productId?: number;
}

/** Generic Desktop page (0x01), Keyboard usage (0x06): the interface a wedge scanner types on. */
const USAGE_PAGE_GENERIC_DESKTOP = 0x01;
const USAGE_KEYBOARD = 0x06;

function classify(error: unknown, devicePath: string): DriverError {
  const message = error instanceof Error ? error.message : String(error);
  if (/permission|EACCES/i.test(message))
    return new DriverError(
      'DEVICE_PERMISSION_DENIED',
      `No permission to open ${devicePath}: add a udev rule for the barcode scanner`,
      { devicePath, cause: error },
    );
  if (/No such file|not found|No HID devices|cannot open/i.test(message))
    return new DriverError('DEVICE_NOT_FOUND', `No HID barcode scanner at ${devicePath}`, {
      devicePath,
      cause: error,
    });
  return new DriverError(
    'DEVICE_UNAVAILABLE',
    `Cannot open the barcode scanner at ${devicePath}: ${message}`,
    {
      devicePath,
      cause: error,
    },
  );
}

class NativeHidBarcodePort implements BarcodeScannerPort {
  readonly #queue: LineQueue;
  #closed = false;

  constructor(
    readonly path: string,
    private readonly device: HID.HIDAsync,
    options: LineQueueOptions,
  ) {
    this.#queue = new LineQueue(path, options);
    device.on('data', (data: Buffer) => this.#queue.pushReport(new Uint8Array(data)));
    device.on('error', (cause: unknown) => {
      if (this.#closed) return;
      this.#queue.fail(
        new DisconnectedError(`The barcode scanner at ${path} went away`, { devicePath: path, cause }),
      );
    });
  }

  get dropped(): number {
    return this.#queue.dropped;
  }

  read(timeoutMs: number) {
    return this.#queue.read(timeoutMs);
  }

  onDisconnect(listener: (error: DisconnectedError) => void): () => void {
    return this.#queue.onDisconnect(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    await this.device.close().catch(() => undefined);
  }
}

export class NativeHidBarcodeOpener implements BarcodeOpener {
  readonly describe: string;

  constructor(private readonly options: NativeHidBarcodeOptions) {
    const hex = (n: number | undefined) => (n === undefined ? '*' : n.toString(16).padStart(4, '0'));
    this.describe = options.path ?? `USB HID ${hex(options.vendorId)}:${hex(options.productId)}`;
  }

  async #findPath(): Promise<string> {
    if (this.options.path !== undefined) return this.options.path;
    let devices: HID.Device[];
    try {
      devices = await HID.devicesAsync();
    } catch (cause) {
      throw new DeviceUnavailableError('HID enumeration failed: is libudev1 installed?', { cause });
    }
    const match = devices.find(
      (d) =>
        d.path !== undefined &&
        (this.options.vendorId === undefined || d.vendorId === this.options.vendorId) &&
        (this.options.productId === undefined || d.productId === this.options.productId) &&
        (d.usagePage === undefined || d.usagePage === USAGE_PAGE_GENERIC_DESKTOP) &&
        (d.usage === undefined || d.usage === USAGE_KEYBOARD),
    );
    if (!match?.path)
      throw new DriverError('DEVICE_NOT_FOUND', `No HID barcode scanner ${this.describe} is plugged in`);
    return match.path;
  }

  /** @throws {DriverError} DEVICE_NOT_FOUND, DEVICE_PERMISSION_DENIED, DEVICE_UNAVAILABLE. */
  async open(): Promise<BarcodeScannerPort> {
    const devicePath = await this.#findPath();
    try {
      const device = await HID.HIDAsync.open(devicePath, { nonExclusive: true });
      return new NativeHidBarcodePort(devicePath, device, this.options);
    } catch (error) {
      throw classify(error, devicePath);
    }
  }
}
