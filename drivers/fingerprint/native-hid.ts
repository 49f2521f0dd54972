/**
 * The HidBus on real hardware, through node-hid's HIDAsync (hidapi on hidraw). The only file that
 * imports node-hid.
 *
 * Report size: node-hid does not expose the report descriptor, so on Linux it is read from sysfs
 * (`/sys/class/hidraw/<node>/device/report_descriptor`) and parsed; `reportSize` in the options
 * overrides it for platforms without sysfs. On hidraw, every output report is prefixed with the
 * report-id byte 0x00 (FPSCAN devices use no report IDs).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import HID from 'node-hid';
import { reportSizes } from '../../protocol/hid/report-descriptor.ts';
import { CanceledError, DeviceUnavailableError, DisconnectedError, DriverError } from '../errors.ts';
import type { HidBus, HidDeviceRef, HidPort } from './hid-port.ts';

export interface NativeHidOptions {
  /** Report size R in bytes when the descriptor cannot be read (64 or 1024). */
  readonly reportSize?: number;
}

function classify(error: unknown, devicePath: string): DriverError {
  const message = error instanceof Error ? error.message : String(error);
  if (/permission|EACCES/i.test(message))
    return new DriverError(
      'DEVICE_PERMISSION_DENIED',
      `No permission to open ${devicePath}: add a udev rule for the scanner`,
      {
        devicePath,
        cause: error,
      },
    );
  if (/No such file|not found|No HID devices|cannot open/i.test(message))
    return new DriverError('DEVICE_NOT_FOUND', `No HID device at ${devicePath}`, {
      devicePath,
      cause: error,
    });
  return new DisconnectedError(`The scanner at ${devicePath} failed: ${message}`, {
    devicePath,
    cause: error,
  });
}

async function descriptorReportSize(devicePath: string): Promise<number | undefined> {
  const node = path.basename(devicePath);
  if (!/^hidraw\d+$/.test(node)) return undefined;
  try {
    const bytes = new Uint8Array(await readFile(`/sys/class/hidraw/${node}/device/report_descriptor`));
    const sizes = reportSizes(bytes);
    return sizes.ok ? sizes.value.input.get(0) : undefined;
  } catch {
    return undefined;
  }
}

class NativeHidPort implements HidPort {
  #closed = false;
  #reading = false;

  constructor(
    readonly path: string,
    readonly reportSize: number,
    private readonly device: HID.HIDAsync,
  ) {}

  async write(report: Uint8Array): Promise<void> {
    if (this.#closed) throw new CanceledError('The scanner port is closed', { devicePath: this.path });
    if (report.length !== this.reportSize)
      throw new RangeError(`report of ${report.length} bytes, expected ${this.reportSize}`);
    const out = Buffer.alloc(report.length + 1);
    out.set(report, 1);
    try {
      await this.device.write(out);
    } catch (error) {
      throw classify(error, this.path);
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.#closed) throw new CanceledError('The scanner port is closed', { devicePath: this.path });
    if (this.#reading)
      throw new DriverError('DEVICE_BUSY', 'One read at a time on a HID port', { devicePath: this.path });
    this.#reading = true;
    try {
      const data = await this.device.read(timeoutMs);
      if (this.#closed)
        throw new CanceledError('The scanner port was closed during a read', { devicePath: this.path });
      if (!data || data.length === 0) return undefined;
      const report = new Uint8Array(this.reportSize);
      report.set(data.subarray(0, this.reportSize));
      return report;
    } catch (error) {
      if (error instanceof DriverError) throw error;
      throw classify(error, this.path);
    } finally {
      this.#reading = false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.device.close().catch(() => undefined);
  }
}

export class NativeHidBus implements HidBus {
  constructor(private readonly options: NativeHidOptions = {}) {}

  async list(filter?: { vendorId?: number; productId?: number }): Promise<readonly HidDeviceRef[]> {
    let devices: HID.Device[];
    try {
      devices = await HID.devicesAsync();
    } catch (cause) {
      throw new DeviceUnavailableError('HID enumeration failed: is libudev1 installed?', { cause });
    }
    return devices
      .filter((d) => d.path !== undefined)
      .filter((d) => filter?.vendorId === undefined || d.vendorId === filter.vendorId)
      .filter((d) => filter?.productId === undefined || d.productId === filter.productId)
      .map((d) => ({
        path: d.path ?? '',
        vendorId: d.vendorId,
        productId: d.productId,
        product: d.product,
        serialNumber: d.serialNumber,
      }));
  }

  async open(devicePath: string): Promise<HidPort> {
    const reportSize = (await descriptorReportSize(devicePath)) ?? this.options.reportSize;
    if (reportSize === undefined)
      throw new DeviceUnavailableError(
        `Cannot read the report size of ${devicePath}: set devices.scannerHid.reportSize (64 or 1024) in the configuration`,
        { devicePath },
      );
    try {
      const device = await HID.HIDAsync.open(devicePath);
      return new NativeHidPort(devicePath, reportSize, device);
    } catch (error) {
      throw classify(error, devicePath);
    }
  }
}
