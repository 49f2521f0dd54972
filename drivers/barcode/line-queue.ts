/**
 * The shared inside of every BarcodeScannerPort (port.ts): bytes or keyboard reports pushed in as
 * they arrive, cut into lines by LineFramer, queued (bounded) for `read`. A timer cuts a line left
 * unfinished past the framer's deadline. Used by native-serial.ts, native-hid.ts and the simulator,
 * so the decoders under test are the production ones.
 */
import { CanceledError, type DisconnectedError, DriverError } from '../errors.ts';
import { type KeyboardDecoderOptions, KeyboardReportDecoder } from './keyboard.ts';
import { LineFramer, type LineFramerOptions } from './line-framer.ts';
import type { BarcodeRead } from './port.ts';

export interface LineQueueOptions extends LineFramerOptions, KeyboardDecoderOptions {
  /** Lines kept for a slow reader; older ones are dropped beyond it (default 32). */
  readonly maxQueuedLines?: number;
  /** Monotonic clock, ms (default performance.now). */
  readonly now?: () => number;
}

const DEFAULT_MAX_QUEUED_LINES = 32;

export class LineQueue {
  dropped = 0;
  readonly #framer: LineFramer;
  readonly #keyboard: KeyboardReportDecoder;
  readonly #encoder = new TextEncoder();
  readonly #maxQueued: number;
  readonly #now: () => number;
  readonly #lines: BarcodeRead[] = [];
  #waiter: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reading = false;
  #closed = false;
  #gone: DisconnectedError | undefined;
  readonly #goneListeners = new Set<(error: DisconnectedError) => void>();

  /** @throws {RangeError} for bad framing bounds or a queue bound below 1. */
  constructor(
    readonly path: string,
    options: LineQueueOptions = {},
  ) {
    this.#framer = new LineFramer(options);
    this.#keyboard = new KeyboardReportDecoder(options);
    this.#maxQueued = options.maxQueuedLines ?? DEFAULT_MAX_QUEUED_LINES;
    if (!Number.isInteger(this.#maxQueued) || this.#maxQueued < 1)
      throw new RangeError(`line queue bound ${this.#maxQueued}`);
    this.#now = options.now ?? (() => performance.now());
  }

  /** Bytes from a serial line. */
  pushBytes(bytes: Uint8Array): void {
    if (this.#closed || this.#gone) return;
    for (const line of this.#framer.push(bytes, this.#now())) this.#enqueue(line);
    this.#arm();
  }

  /** One input report from a keyboard-wedge scanner. */
  pushReport(report: Uint8Array): void {
    if (this.#closed || this.#gone) return;
    const typed = this.#keyboard.fold(report);
    if (typed.malformed) this.#enqueue({ kind: 'problem', reason: 'malformed-report', bytes: report.length });
    if (typed.unmapped > 0) this.#enqueue({ kind: 'problem', reason: 'unmapped-key', bytes: typed.unmapped });
    if (typed.text !== '') this.pushBytes(this.#encoder.encode(typed.text));
  }

  #enqueue(line: BarcodeRead): void {
    this.#lines.push(line);
    while (this.#lines.length > this.#maxQueued) {
      this.#lines.shift();
      this.dropped++;
    }
    this.#waiter?.();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = this.#framer.deadline;
    if (deadline === undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const cut = this.#framer.expire(this.#now());
        if (cut) this.#enqueue(cut);
        this.#arm();
      },
      Math.max(0, deadline - this.#now()) + 1,
    );
    // A half-received line must not keep the process alive by itself.
    this.#timer.unref?.();
  }

  /** The scanner went away: reads reject with `error` once the queued lines are read. */
  fail(error: DisconnectedError): void {
    if (this.#gone) return;
    this.#gone = error;
    clearTimeout(this.#timer);
    this.#framer.reset();
    this.#waiter?.();
    if (this.#closed) return;
    for (const listener of [...this.#goneListeners]) listener(error);
  }

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

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#goneListeners.clear();
    this.#waiter?.();
  }

  /**
   * The next line or problem, or undefined after `timeoutMs`.
   * @throws {CanceledError} after close; {DisconnectedError} once gone and drained; {DriverError}
   *   DEVICE_BUSY for a second read while one is pending.
   */
  async read(timeoutMs: number): Promise<BarcodeRead | undefined> {
    if (this.#reading)
      throw new DriverError('DEVICE_BUSY', 'One read at a time on a barcode scanner', {
        devicePath: this.path,
      });
    this.#reading = true;
    try {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (this.#closed)
          throw new CanceledError('The barcode scanner was closed', { devicePath: this.path });
        const line = this.#lines.shift();
        if (line) return line;
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
