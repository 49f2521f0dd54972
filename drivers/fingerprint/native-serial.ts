/**
 * The SerialLink on a real serial line (or a pty), through the serialport package. The only file
 * that imports serialport. Received bytes are buffered between reads, bounded by `maxBuffered`.
 *
 * A line that goes away is noticed two ways: serialport's 'close' / 'error' events (its poller sees
 * the fd hang up), and, since that poller does not always report a hang-up on an idle fd (seen on
 * pty pairs), a look every PRESENCE_MS at whether the device node (/dev/ttyUSB0) still exists.
 */
import { stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { CanceledError, DisconnectedError, DriverError } from '../errors.ts';
import { ReceiveQueue } from './receive-queue.ts';
import type { SerialLink, SerialOpener } from './serial-port.ts';

const DEFAULT_MAX_BUFFERED = 256 * 1024;
/** How often an open line's device node is checked to be still there, ms. */
const PRESENCE_MS = 250;

class NativeSerialLink implements SerialLink {
  readonly #queue: ReceiveQueue;
  readonly #presence: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(
    readonly path: string,
    readonly baudRate: number,
    private readonly port: SerialPort,
    maxBuffered: number,
  ) {
    this.#queue = new ReceiveQueue(path, maxBuffered);
    port.on('data', (data: Buffer) => this.#queue.push(new Uint8Array(data)));
    port.on('close', () => {
      if (!this.#closed)
        this.#queue.fail(new DisconnectedError(`The serial line ${path} closed`, { devicePath: path }));
    });
    this.#presence = setInterval(() => void this.#checkPresence(), PRESENCE_MS);
    // Watching must not keep the process alive on its own.
    this.#presence.unref();
    port.on('error', (cause: Error) => {
      this.#queue.fail(
        new DisconnectedError(`The serial line ${path} failed: ${cause.message}`, {
          devicePath: path,
          cause,
        }),
      );
    });
  }

  get overruns(): number {
    return this.#queue.overruns;
  }

  async #checkPresence(): Promise<void> {
    try {
      await stat(this.path);
    } catch (cause) {
      if (this.#closed || (cause as NodeJS.ErrnoException).code !== 'ENOENT') return;
      clearInterval(this.#presence);
      this.#queue.fail(
        new DisconnectedError(`The serial line ${this.path} is gone (its device node vanished)`, {
          devicePath: this.path,
          cause,
        }),
      );
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) throw new CanceledError('The serial line is closed', { devicePath: this.path });
    const gone = this.#queue.gone;
    if (gone) throw gone;
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

  read(timeoutMs: number): Promise<Uint8Array | undefined> {
    return this.#queue.read(timeoutMs);
  }

  /** serialport emits 'close' (with `disconnected`) when the adapter is pulled, 'error' on a dead fd. */
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
