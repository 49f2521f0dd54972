/**
 * A serial 2D barcode scanner (RS-232, or USB in USB-COM / CDC ACM mode: /dev/ttyACM0) through the
 * serialport package. The only barcode file that imports serialport. Bytes are cut into lines by
 * line-queue.ts; the line is 9600 bit/s 8N1 by default, the scanners' factory setting.
 *
 * A scanner pulled out is noticed by serialport's 'close' / 'error' events, and, since its poller
 * does not always see a hang-up on an idle fd, by the device node vanishing (checked every 250 ms).
 */
import { stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { DisconnectedError, DriverError } from '../errors.ts';
import { LineQueue, type LineQueueOptions } from './line-queue.ts';
import type { BarcodeOpener, BarcodeScannerPort } from './port.ts';

export interface NativeSerialBarcodeOptions extends LineQueueOptions {
  /** e.g. /dev/ttyACM0 or /dev/ttyUSB0. */
  readonly path: string;
  /** Bit/s (default 9600). */
  readonly baudRate?: number;
  readonly dataBits?: 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
}

/** How often an open line's device node is checked to be still there, ms. */
const PRESENCE_MS = 250;

class NativeSerialBarcodePort implements BarcodeScannerPort {
  readonly #queue: LineQueue;
  readonly #presence: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(
    readonly path: string,
    private readonly port: SerialPort,
    options: LineQueueOptions,
  ) {
    this.#queue = new LineQueue(path, options);
    port.on('data', (data: Buffer) => this.#queue.pushBytes(new Uint8Array(data)));
    port.on('close', () => {
      if (!this.#closed)
        this.#queue.fail(
          new DisconnectedError(`The barcode scanner line ${path} closed`, { devicePath: path }),
        );
    });
    port.on('error', (cause: Error) => {
      if (!this.#closed)
        this.#queue.fail(
          new DisconnectedError(`The barcode scanner line ${path} failed: ${cause.message}`, {
            devicePath: path,
            cause,
          }),
        );
    });
    this.#presence = setInterval(() => void this.#checkPresence(), PRESENCE_MS);
    this.#presence.unref();
  }

  get dropped(): number {
    return this.#queue.dropped;
  }

  async #checkPresence(): Promise<void> {
    try {
      await stat(this.path);
    } catch (cause) {
      if (this.#closed || (cause as NodeJS.ErrnoException).code !== 'ENOENT') return;
      clearInterval(this.#presence);
      this.#queue.fail(
        new DisconnectedError(`The barcode scanner line ${this.path} is gone (its device node vanished)`, {
          devicePath: this.path,
          cause,
        }),
      );
    }
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
    clearInterval(this.#presence);
    this.#queue.close();
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

export class NativeSerialBarcodeOpener implements BarcodeOpener {
  readonly describe: string;

  constructor(private readonly options: NativeSerialBarcodeOptions) {
    this.describe = options.path;
  }

  /**
   * @throws {DriverError} DEVICE_NOT_FOUND for a missing path, DEVICE_PERMISSION_DENIED without
   *   access (add the station's user to the dialout group), DEVICE_UNAVAILABLE otherwise.
   */
  async open(): Promise<BarcodeScannerPort> {
    const { path } = this.options;
    const port = new SerialPort({
      path,
      baudRate: this.options.baudRate ?? 9600,
      dataBits: this.options.dataBits ?? 8,
      parity: this.options.parity ?? 'none',
      stopBits: this.options.stopBits ?? 1,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((error) => {
        if (!error) return resolve();
        const message = error.message;
        if (/ENOENT|No such file/i.test(message))
          reject(
            new DriverError('DEVICE_NOT_FOUND', `No serial line at ${path}`, {
              devicePath: path,
              cause: error,
            }),
          );
        else if (/EACCES|permission/i.test(message))
          reject(
            new DriverError(
              'DEVICE_PERMISSION_DENIED',
              `No permission to open ${path}: add the station's user to the dialout group`,
              { devicePath: path, cause: error },
            ),
          );
        else
          reject(
            new DriverError('DEVICE_UNAVAILABLE', `Cannot open ${path}: ${message}`, {
              devicePath: path,
              cause: error,
            }),
          );
      });
    });
    return new NativeSerialBarcodePort(path, port, this.options);
  }
}
