/**
 * Two SerialLinks joined back to back in memory: what one end writes, the other reads. The embedded
 * station uses it to put the simulated R30x module on a line without socat; tests that must go
 * through the real serialport binding use a socat pty pair instead (test/support/socat.ts).
 *
 * It keeps the SerialLink contract: reads resolve on a later tick, one read at a time, a pending
 * read rejects with CanceledError on close, and once either end closes the other end's reads and
 * writes reject with DisconnectedError (a USB-serial adapter pulled out). It does not pace bytes:
 * a simulator that wants the line's baud rate paces its own writes.
 */
import { CanceledError, DisconnectedError, DriverError } from '../../drivers/errors.ts';
import type { SerialLink } from '../../drivers/fingerprint/serial-port.ts';

const DEFAULT_MAX_BUFFERED = 256 * 1024;

class MemoryLine implements SerialLink {
  overruns = 0;
  peer: MemoryLine | undefined;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #waiter: (() => void) | undefined;
  #closed = false;
  #gone = false;
  #reading = false;

  constructor(
    readonly path: string,
    readonly baudRate: number,
    private readonly maxBuffered: number,
  ) {}

  /** Bytes from the peer. */
  deliver(bytes: Uint8Array): void {
    this.#chunks.push(bytes.slice());
    this.#buffered += bytes.length;
    while (this.#buffered > this.maxBuffered && this.#chunks.length > 0) {
      const dropped = this.#chunks.shift();
      this.#buffered -= dropped?.length ?? 0;
      this.overruns += dropped?.length ?? 0;
    }
    this.#waiter?.();
  }

  /** The peer closed. */
  hangUp(): void {
    this.#gone = true;
    this.#waiter?.();
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) throw new CanceledError('The serial line is closed', { devicePath: this.path });
    if (this.#gone || !this.peer)
      throw new DisconnectedError(`The serial line ${this.path} is gone`, { devicePath: this.path });
    // Like the OS taking the bytes: the peer sees them on a later tick.
    const peer = this.peer;
    const copy = bytes.slice();
    await new Promise<void>((resolve) => setImmediate(resolve));
    peer.deliver(copy);
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.#reading)
      throw new DriverError('DEVICE_BUSY', 'One read at a time on a serial line', { devicePath: this.path });
    this.#reading = true;
    try {
      const deadline = performance.now() + timeoutMs;
      // Resolve on a later tick even when bytes are waiting, as the native binding does.
      await new Promise<void>((resolve) => setImmediate(resolve));
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
        if (this.#gone)
          throw new DisconnectedError(`The serial line ${this.path} was disconnected`, {
            devicePath: this.path,
          });
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
    this.peer?.hangUp();
  }
}

export interface MemoryLinePair {
  /** The host's end (the driver opens this one). */
  readonly host: SerialLink;
  /** The device's end (the simulator runs on this one). */
  readonly device: SerialLink;
}

/**
 * A new pair of joined lines. `path` names the host end (the device end gets `path` + `#device`).
 * @throws {RangeError} for a baud rate that is not a positive integer.
 */
export function memoryLinePair(
  path: string,
  baudRate: number,
  maxBuffered = DEFAULT_MAX_BUFFERED,
): MemoryLinePair {
  if (!Number.isInteger(baudRate) || baudRate <= 0) throw new RangeError(`baud rate ${baudRate}`);
  const host = new MemoryLine(path, baudRate, maxBuffered);
  const device = new MemoryLine(`${path}#device`, baudRate, maxBuffered);
  host.peer = device;
  device.peer = host;
  return { host, device };
}
