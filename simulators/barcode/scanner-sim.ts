/**
 * A simulated 2D barcode scanner (the kind hotels and hospitals put on the counter), behind the
 * same BarcodeOpener / BarcodeScannerPort as the real ones. A scan is turned into what the hardware
 * would send, keyboard reports (transport 'hid') or serial bytes (transport 'serial'), and those go
 * through the production decoders (drivers/barcode/keyboard.ts, line-framer.ts via LineQueue), on
 * later ticks and in chunks, as a real line delivers them. `serialBytesFor` gives the bytes for a
 * test that writes them down a real pty (socat) to the native serial adapter.
 *
 * Named scenarios, switchable at run time:
 * - `normal`: the text, UTF-8 (serial) or US keys plus ALT + keypad Unicode (hid), then the suffix.
 * - `no-suffix`: the scanner was configured without a suffix: the line is cut by silence.
 * - `legacy-codepage`: Vietnamese letters sent as one byte 0xE0 each (serial, like a scanner set to a
 *   legacy code page with no such letters), or dropped (hid, a wedge without Unicode mode).
 * - `unplugged`: the scanner is gone: an open port disconnects, `open` fails with DEVICE_NOT_FOUND.
 */

import { keyboardReportsFor } from '../../drivers/barcode/keyboard.ts';
import type { LineTerminator } from '../../drivers/barcode/line-framer.ts';
import { LineQueue, type LineQueueOptions } from '../../drivers/barcode/line-queue.ts';
import type { BarcodeOpener, BarcodeRead, BarcodeScannerPort } from '../../drivers/barcode/port.ts';
import { DisconnectedError, DriverError } from '../../drivers/errors.ts';

export type BarcodeSimScenario = 'normal' | 'no-suffix' | 'legacy-codepage' | 'unplugged';
export const BARCODE_SIM_SCENARIOS: readonly BarcodeSimScenario[] = [
  'normal',
  'no-suffix',
  'legacy-codepage',
  'unplugged',
];

export type BarcodeSuffix = 'CR' | 'CRLF' | 'TAB';

export interface BarcodeScannerSimOptions extends LineQueueOptions {
  readonly transport?: 'hid' | 'serial';
  /** What the scanner sends after each code (default CR, the factory setting). */
  readonly suffix?: BarcodeSuffix;
  /** Serial bytes per delivered chunk (default 16: a USB-serial adapter's typical packet). */
  readonly chunkBytes?: number;
  /** The name the port reports (default 'sim-barcode'). */
  readonly path?: string;
}

const SUFFIX_BYTES: Readonly<Record<BarcodeSuffix, readonly number[]>> = {
  CR: [0x0d],
  CRLF: [0x0d, 0x0a],
  TAB: [0x09],
};
const SUFFIX_TERMINATORS: Readonly<Record<BarcodeSuffix, readonly LineTerminator[]>> = {
  CR: ['CR', 'LF'],
  CRLF: ['CR', 'LF'],
  TAB: ['TAB'],
};

/** The bytes a serial scanner sends for `text`: UTF-8, then the suffix (none for 'none'). */
export function serialBytesFor(text: string, suffix: BarcodeSuffix | 'none' = 'CR'): Uint8Array {
  const body = new TextEncoder().encode(text);
  const tail = suffix === 'none' ? [] : SUFFIX_BYTES[suffix];
  const out = new Uint8Array(body.length + tail.length);
  out.set(body);
  out.set(tail, body.length);
  return out;
}

/**
 * What a scanner set to a legacy single-byte code page sends: ASCII as is, every other letter as one
 * byte 0xE0 (not UTF-8 on its own), then the suffix.
 */
function legacyBytesFor(text: string, suffix: BarcodeSuffix | 'none'): Uint8Array {
  const body = [...text].map((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x80 ? code : 0xe0;
  });
  return Uint8Array.from([...body, ...(suffix === 'none' ? [] : SUFFIX_BYTES[suffix])]);
}

class SimBarcodePort implements BarcodeScannerPort {
  readonly queue: LineQueue;
  #closed = false;

  constructor(
    readonly path: string,
    options: LineQueueOptions,
    private readonly onClose: (port: SimBarcodePort) => void,
  ) {
    this.queue = new LineQueue(path, options);
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  read(timeoutMs: number): Promise<BarcodeRead | undefined> {
    return this.queue.read(timeoutMs);
  }

  onDisconnect(listener: (error: DisconnectedError) => void): () => void {
    return this.queue.onDisconnect(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.queue.close();
    this.onClose(this);
  }
}

export class BarcodeScannerSim implements BarcodeOpener {
  readonly describe: string;
  readonly transport: 'hid' | 'serial';
  readonly #options: BarcodeScannerSimOptions;
  readonly #suffix: BarcodeSuffix;
  readonly #chunkBytes: number;
  #scenario: BarcodeSimScenario = 'normal';
  #port: SimBarcodePort | undefined;

  /** @throws {RangeError} for a chunk size below 1. */
  constructor(options: BarcodeScannerSimOptions = {}) {
    this.transport = options.transport ?? 'serial';
    this.#suffix = options.suffix ?? 'CR';
    this.#chunkBytes = options.chunkBytes ?? 16;
    if (!Number.isInteger(this.#chunkBytes) || this.#chunkBytes < 1)
      throw new RangeError(`chunk ${this.#chunkBytes}`);
    this.#options = options;
    this.describe = options.path ?? 'sim-barcode';
  }

  get scenario(): BarcodeSimScenario {
    return this.#scenario;
  }

  /** Switches the scenario; `unplugged` disconnects an open port at once. */
  setScenario(scenario: BarcodeSimScenario): void {
    this.#scenario = scenario;
    if (scenario === 'unplugged' && this.#port) {
      const port = this.#port;
      this.#port = undefined;
      port.queue.fail(new DisconnectedError(`The simulated barcode scanner ${this.describe} was unplugged`));
    }
  }

  /** @throws {DriverError} DEVICE_NOT_FOUND while unplugged. */
  async open(): Promise<BarcodeScannerPort> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.#scenario === 'unplugged')
      throw new DriverError(
        'DEVICE_NOT_FOUND',
        `The simulated barcode scanner ${this.describe} is unplugged`,
      );
    const port = new SimBarcodePort(
      this.describe,
      { terminators: SUFFIX_TERMINATORS[this.#suffix], ...this.#options },
      (closed) => {
        if (this.#port === closed) this.#port = undefined;
      },
    );
    this.#port = port;
    return port;
  }

  /**
   * Scans `text`: delivers it to the open port as the hardware would, chunk by chunk on later
   * ticks; resolves when all of it was delivered. Nothing happens without an open port (a real
   * scanner beeps at nobody).
   */
  async scan(text: string): Promise<void> {
    const port = this.#port;
    if (!port) return;
    const suffix = this.#scenario === 'no-suffix' ? 'none' : this.#suffix;
    if (this.transport === 'serial') {
      const bytes =
        this.#scenario === 'legacy-codepage' ? legacyBytesFor(text, suffix) : serialBytesFor(text, suffix);
      for (let at = 0; at < bytes.length; at += this.#chunkBytes) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#port !== port) return;
        port.queue.pushBytes(bytes.subarray(at, at + this.#chunkBytes));
      }
      return;
    }
    const typed =
      this.#scenario === 'legacy-codepage' ? [...text].filter((c) => c < '\u0080').join('') : text;
    const tail = suffix === 'none' ? '' : suffix === 'TAB' ? '\t' : '\r';
    const reports = keyboardReportsFor(typed + tail);
    for (let at = 0; at < reports.length; at += 32) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#port !== port) return;
      for (const report of reports.slice(at, at + 32)) port.queue.pushReport(report);
    }
  }
}
