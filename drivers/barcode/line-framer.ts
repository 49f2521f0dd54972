/**
 * Cuts a 2D barcode scanner's byte stream into scanned lines. Pure: bytes and times in, lines and
 * problems out; the timer that calls `expire` lives in line-queue.ts.
 *
 * Scanners send the code's bytes then a suffix (factory default CR, often CR LF, sometimes Tab).
 * Every configured terminator byte ends a line; empty lines (the LF of a CR LF) are dropped. A line
 * longer than `maxLineBytes` is discarded up to its terminator and reported once as `overlong`
 * (never buffered without bound). A line left without its terminator for `partialLineMs` (a scanner
 * configured with no suffix, a cable pulled mid-code) is reported as `partial`, or delivered as a
 * line when `idleEndsLine` is set (scanners set up with no suffix at all). Lines are UTF-8; other
 * bytes are a `not-utf8` problem (Vietnamese text from a scanner set to a legacy code page).
 */

export type LineTerminator = 'CR' | 'LF' | 'TAB';

export interface LineFramerOptions {
  /** Bytes that end a line (default CR and LF). */
  readonly terminators?: readonly LineTerminator[];
  /** Longest line, bytes without the terminator (default 4096). */
  readonly maxLineBytes?: number;
  /** A line not finished after this silence is cut, ms (default 500). */
  readonly partialLineMs?: number;
  /** Deliver a line cut by silence as a scan instead of a `partial` problem (default false). */
  readonly idleEndsLine?: boolean;
}

export type FramedLine =
  | { readonly kind: 'line'; readonly text: string; readonly bytes: number }
  | {
      readonly kind: 'problem';
      readonly reason: 'overlong' | 'partial' | 'not-utf8';
      /** Bytes of the line that was dropped. */
      readonly bytes: number;
    };

export const DEFAULT_MAX_LINE_BYTES = 4096;
export const DEFAULT_PARTIAL_LINE_MS = 500;

const TERMINATOR_BYTES: Readonly<Record<LineTerminator, number>> = { CR: 0x0d, LF: 0x0a, TAB: 0x09 };

export class LineFramer {
  readonly maxLineBytes: number;
  readonly partialLineMs: number;
  readonly #idleEndsLine: boolean;
  readonly #terminators: Set<number>;
  readonly #buffer: Uint8Array;
  #length = 0;
  /** Bytes of the current line beyond the bound; the line is dropped at its end. */
  #overflow = 0;
  #lastByteAt = 0;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });

  /** @throws {RangeError} for a bound below 1 byte or a non-positive timeout. */
  constructor(options: LineFramerOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.partialLineMs = options.partialLineMs ?? DEFAULT_PARTIAL_LINE_MS;
    if (!Number.isInteger(this.maxLineBytes) || this.maxLineBytes < 1)
      throw new RangeError(`line bound ${this.maxLineBytes} bytes`);
    if (!(this.partialLineMs > 0)) throw new RangeError(`partial line timeout ${this.partialLineMs} ms`);
    this.#idleEndsLine = options.idleEndsLine === true;
    this.#terminators = new Set((options.terminators ?? ['CR', 'LF']).map((t) => TERMINATOR_BYTES[t]));
    if (this.#terminators.size === 0) throw new RangeError('no line terminator configured');
    this.#buffer = new Uint8Array(this.maxLineBytes);
  }

  /** Whether part of a line is waiting for its terminator. */
  get pending(): boolean {
    return this.#length > 0 || this.#overflow > 0;
  }

  /** When the pending part becomes a `partial` (ms, the clock `push` was given), or undefined. */
  get deadline(): number | undefined {
    return this.pending ? this.#lastByteAt + this.partialLineMs : undefined;
  }

  /** Folds received bytes in; returns the lines and problems they completed, in order. */
  push(bytes: Uint8Array, nowMs: number): FramedLine[] {
    const out: FramedLine[] = [];
    // A gap longer than the partial timeout ends the previous line before these bytes start.
    const expired = this.expire(nowMs);
    if (expired) out.push(expired);
    for (const b of bytes) {
      if (this.#terminators.has(b)) {
        const line = this.#end();
        if (line) out.push(line);
      } else if (this.#length < this.maxLineBytes && this.#overflow === 0) {
        this.#buffer[this.#length++] = b;
      } else {
        this.#overflow++;
      }
    }
    if (bytes.length > 0) this.#lastByteAt = nowMs;
    return out;
  }

  /** Cuts a line left unfinished past its deadline; undefined when there is none. */
  expire(nowMs: number): FramedLine | undefined {
    const deadline = this.deadline;
    if (deadline === undefined || nowMs < deadline) return undefined;
    if (this.#idleEndsLine && this.#overflow === 0) return this.#end();
    const bytes = this.#length + this.#overflow;
    const overlong = this.#overflow > 0;
    this.#length = 0;
    this.#overflow = 0;
    return { kind: 'problem', reason: overlong ? 'overlong' : 'partial', bytes };
  }

  /** Forgets any pending part (the line went away). */
  reset(): void {
    this.#length = 0;
    this.#overflow = 0;
  }

  #end(): FramedLine | undefined {
    const length = this.#length;
    const overflow = this.#overflow;
    this.#length = 0;
    this.#overflow = 0;
    if (overflow > 0) return { kind: 'problem', reason: 'overlong', bytes: length + overflow };
    if (length === 0) return undefined;
    try {
      const text = this.#decoder.decode(this.#buffer.subarray(0, length));
      return { kind: 'line', text, bytes: length };
    } catch {
      return { kind: 'problem', reason: 'not-utf8', bytes: length };
    }
  }
}
