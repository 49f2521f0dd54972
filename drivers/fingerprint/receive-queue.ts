/**
 * The receive side of a SerialLink (serial-port.ts): bytes pushed as they arrive, handed out by
 * `read(timeoutMs)` all at once, bounded by `maxBuffered` (the oldest bytes beyond it are dropped
 * and counted in `overruns`). Shared by the serialport adapter and the in-memory line.
 */
import { CanceledError, type DisconnectedError, DriverError } from '../errors.ts';

export class ReceiveQueue {
  overruns = 0;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #waiter: (() => void) | undefined;
  #closed = false;
  #gone: DisconnectedError | undefined;
  #reading = false;
  readonly #goneListeners = new Set<(error: DisconnectedError) => void>();

  constructor(
    readonly path: string,
    private readonly maxBuffered: number,
  ) {}

  /** Bytes from the line; kept as given (the caller passes a buffer it no longer writes to). */
  push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
    while (this.#buffered > this.maxBuffered && this.#chunks.length > 0) {
      const dropped = this.#chunks.shift();
      this.#buffered -= dropped?.length ?? 0;
      this.overruns += dropped?.length ?? 0;
    }
    this.#waiter?.();
  }

  /**
   * The line is gone: reads reject with `error` once the bytes already received are read, and the
   * disconnect listeners hear it, once (not after our own close()).
   */
  fail(error: DisconnectedError): void {
    if (this.#gone) return;
    this.#gone = error;
    this.#waiter?.();
    if (this.#closed) return;
    for (const listener of [...this.#goneListeners]) listener(error);
  }

  /** SerialLink.onDisconnect: `listener` hears the line going away by itself, once. */
  onDisconnect(listener: (error: DisconnectedError) => void): () => void {
    const gone = this.#gone;
    if (gone) {
      if (!this.#closed) setImmediate(() => listener(gone));
      return () => undefined;
    }
    this.#goneListeners.add(listener);
    return () => {
      this.#goneListeners.delete(listener);
    };
  }

  get gone(): DisconnectedError | undefined {
    return this.#gone;
  }

  /** Our side closed the line: a pending read, and every later one, rejects with CanceledError. */
  close(): void {
    this.#closed = true;
    this.#goneListeners.clear();
    this.#waiter?.();
  }

  /**
   * The bytes received since the last read (at least one byte), or undefined after `timeoutMs`.
   * @throws {CanceledError} after close; {DisconnectedError} once the line is gone and drained;
   *   {DriverError} DEVICE_BUSY for a second read while one is pending.
   */
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
}
