/**
 * Two SerialLinks joined back to back in memory: what one end writes, the other reads. The embedded
 * station uses it to put the simulated R30x module on a line without socat; tests that must go
 * through the real serialport binding use a socat pty pair instead (test/support/socat.ts).
 *
 * It keeps the SerialLink contract: reads resolve on a later tick, one read at a time, a pending
 * read rejects with CanceledError on close, and once either end closes the other end's reads and
 * writes reject with DisconnectedError and its disconnect listeners hear it (a USB-serial adapter
 * pulled out). It does not pace bytes:
 * a simulator that wants the line's baud rate paces its own writes.
 */
import { CanceledError, DisconnectedError } from '../../drivers/errors.ts';
import { ReceiveQueue } from '../../drivers/fingerprint/receive-queue.ts';
import type { SerialLink } from '../../drivers/fingerprint/serial-port.ts';

const DEFAULT_MAX_BUFFERED = 256 * 1024;

class MemoryLine implements SerialLink {
  peer: MemoryLine | undefined;
  readonly #queue: ReceiveQueue;
  #closed = false;

  constructor(
    readonly path: string,
    readonly baudRate: number,
    maxBuffered: number,
  ) {
    this.#queue = new ReceiveQueue(path, maxBuffered);
  }

  get overruns(): number {
    return this.#queue.overruns;
  }

  /** Bytes from the peer. */
  deliver(bytes: Uint8Array): void {
    this.#queue.push(bytes);
  }

  /** The peer closed. */
  hangUp(): void {
    this.#queue.fail(
      new DisconnectedError(`The serial line ${this.path} was disconnected`, { devicePath: this.path }),
    );
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) throw new CanceledError('The serial line is closed', { devicePath: this.path });
    if (this.#queue.gone || !this.peer)
      throw new DisconnectedError(`The serial line ${this.path} is gone`, { devicePath: this.path });
    // Like the OS taking the bytes: the peer sees them on a later tick.
    const peer = this.peer;
    const copy = bytes.slice();
    await new Promise<void>((resolve) => setImmediate(resolve));
    peer.deliver(copy);
  }

  onDisconnect(listener: (error: DisconnectedError) => void): () => void {
    return this.#queue.onDisconnect(listener);
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    // Resolve on a later tick even when bytes are waiting, as the native binding does.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.#queue.read(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
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
