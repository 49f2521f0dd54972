/**
 * The SerialLink on a real serial line (or a pty), through the serialport package. The only file
 * that imports serialport. Received bytes are buffered between reads, bounded by `maxBuffered`.
 */
import { SerialPort } from 'serialport';
import { CanceledError, DisconnectedError, DriverError } from '../errors.ts';
import type { SerialLink, SerialOpener } from './serial-port.ts';

const DEFAULT_MAX_BUFFERED = 256 * 1024;

class NativeSerialLink implements SerialLink {
  overruns = 0;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #waiter: (() => void) | undefined;
  #closed = false;
  #gone: DisconnectedError | undefined;
  #reading = false;

  constructor(
    readonly path: string,
    readonly baudRate: number,
    private readonly port: SerialPort,
    private readonly maxBuffered: number,
  ) {
    port.on('data', (data: Buffer) => {
      this.#chunks.push(new Uint8Array(data));
      this.#buffered += data.length;
      while (this.#buffered > this.maxBuffered && this.#chunks.length > 0) {
        const dropped = this.#chunks.shift();
        this.#buffered -= dropped?.length ?? 0;
        this.overruns += dropped?.length ?? 0;
      }
      this.#waiter?.();
    });
    port.on('close', () => {
      if (!this.#closed)
        this.#gone = new DisconnectedError(`The serial line ${path} closed`, { devicePath: path });
      this.#waiter?.();
    });
    port.on('error', (cause: Error) => {
      this.#gone = new DisconnectedError(`The serial line ${path} failed: ${cause.message}`, {
        devicePath: path,
        cause,
      });
      this.#waiter?.();
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) throw new CanceledError('The serial line is closed', { devicePath: this.path });
    if (this.#gone) throw this.#gone;
    await new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (error) => {
        if (error)
          return reject(
            new DisconnectedError(`Writing to ${this.path} failed: ${error.message}`, {
              devicePath: this.path,
              cause: error,
            }),
          );
        this.port.drain((drainError) =>
          drainError
            ? reject(
                new DisconnectedError(`Draining ${this.path} failed`, {
                  devicePath: this.path,
                  cause: drainError,
                }),
              )
            : resolve(),
        );
      });
    });
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.#reading)
      throw new DriverError('DEVICE_BUSY', 'One read at a time on a serial line', { devicePath: this.path });
    this.#reading = true;
    try {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (this.#closed) throw new CanceledError('The serial line was closed', { devicePath: this.path });
        if (this.#chunks.length > 0) {
          const out = new Uint8Array(this.#buffered);
          let at = 0;
          for (const chunk of this.#chunks) {
            out.set(chunk, at);
            at += chunk.length;
          }
          this.#chunks = [];
          this.#buffered = 0;
          return out;
        }
        if (this.#gone) throw this.#gone;
        const left = deadline - performance.now();
        if (left <= 0) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#waiter = undefined;
            resolve();
          }, left);
          this.#waiter = () => {
            clearTimeout(timer);
            this.#waiter = undefined;
            resolve();
          };
        });
      }
    } finally {
      this.#reading = false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter?.();
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

export class NativeSerialOpener implements SerialOpener {
  constructor(private readonly maxBuffered = DEFAULT_MAX_BUFFERED) {}

  /**
   * @throws {DriverError} DEVICE_NOT_FOUND for a missing path, DEVICE_PERMISSION_DENIED without
   *   access (add the user to the dialout group), DEVICE_UNAVAILABLE otherwise.
   */
  async open(path: string, baudRate: number): Promise<SerialLink> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
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
              {
                devicePath: path,
                cause: error,
              },
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
    return new NativeSerialLink(path, baudRate, port, this.maxBuffered);
  }
}
