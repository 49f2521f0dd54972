/**
 * The 2D barcode scanner driver (hotels, hospitals: a USB keyboard-wedge or serial scanner reading
 * the CCCD's QR code). It owns one BarcodeScannerPort, reads its lines in a loop and hands each
 * scan to `onScan` listeners (and to `nextScan` callers); framing problems (an overlong line, a
 * partial one, text that is not UTF-8, keys with no character) are counted, never thrown.
 *
 * States: `closed` → `opening` → `ready` { path }; an unplugged scanner is `disconnected` and the
 * driver tries to open it again every `watchMs` until it is back (also when it was missing at
 * start); a scanner that cannot be opened for another reason (permissions) is in `error` and is
 * tried again on the same schedule, so fixing the udev rule needs no restart.
 */
import type { Device, DeviceMode, DeviceState } from '../device.ts';
import { DeviceStateHolder } from '../device.ts';
import {
  CanceledError,
  DeviceTimeoutError,
  DisconnectedError,
  notReadyError,
  stateAfterLoss,
  throwIfAborted,
} from '../errors.ts';
import { BARCODE_FAMILY, type BarcodeOpener, type BarcodeRead, type BarcodeScannerPort } from './port.ts';

export interface BarcodeScan {
  /** The scanned text, terminator removed. */
  readonly text: string;
  /** Its length in bytes (UTF-8). */
  readonly bytes: number;
  /** When the line was complete, ms since the epoch. */
  readonly receivedAt: number;
  /** The scanner's id. */
  readonly device: string;
}

export interface BarcodeCounters {
  readonly scans: number;
  /** Lines over the length bound, dropped. */
  readonly overlong: number;
  /** Lines cut by silence before their terminator, dropped. */
  readonly partial: number;
  readonly notUtf8: number;
  readonly malformedReports: number;
  readonly unmappedKeys: number;
  /** Lines dropped because nobody read them in time (port queue). */
  readonly dropped: number;
}

export interface BarcodeScannerOptions {
  readonly id: string;
  readonly mode: DeviceMode;
  readonly opener: BarcodeOpener;
  /** How often a missing or failed scanner is opened again, ms (default 500). */
  readonly watchMs?: number;
  /** Wall clock for scan timestamps, ms since the epoch (default Date.now). */
  readonly now?: () => number;
}

/** Read slice: the loop wakes at least this often to notice close, ms. */
const READ_SLICE_MS = 250;

type MutableCounters = { -readonly [K in keyof BarcodeCounters]: BarcodeCounters[K] };

export class BarcodeScanner implements Device {
  readonly id: string;
  readonly family = BARCODE_FAMILY;
  readonly mode: DeviceMode;
  readonly #opener: BarcodeOpener;
  readonly #watchMs: number;
  readonly #now: () => number;
  readonly #state = new DeviceStateHolder({ status: 'closed' });
  readonly #scanListeners = new Set<(scan: BarcodeScan) => void>();
  readonly #counters: MutableCounters = {
    scans: 0,
    overlong: 0,
    partial: 0,
    notUtf8: 0,
    malformedReports: 0,
    unmappedKeys: 0,
    dropped: 0,
  };
  #port: BarcodeScannerPort | undefined;
  #watch: ReturnType<typeof setTimeout> | undefined;
  #active = false;
  #loop: Promise<void> | undefined;

  /** @throws {RangeError} for a non-positive watch interval. */
  constructor(options: BarcodeScannerOptions) {
    this.id = options.id;
    this.mode = options.mode;
    this.#opener = options.opener;
    this.#watchMs = options.watchMs ?? 500;
    if (!(this.#watchMs > 0)) throw new RangeError(`watch interval ${this.#watchMs} ms`);
    this.#now = options.now ?? (() => Date.now());
  }

  state(): DeviceState {
    return this.#state.get();
  }

  onStateChange(listener: (state: DeviceState) => void): () => void {
    return this.#state.subscribe(listener);
  }

  /** Calls `listener` for every scanned line until the returned function is called. */
  onScan(listener: (scan: BarcodeScan) => void): () => void {
    this.#scanListeners.add(listener);
    return () => {
      this.#scanListeners.delete(listener);
    };
  }

  counters(): BarcodeCounters {
    return { ...this.#counters, dropped: this.#counters.dropped + (this.#port?.dropped ?? 0) };
  }

  /**
   * The next scan after this call.
   * @throws {DeviceTimeoutError} after `timeoutMs`; {CanceledError} when `signal` fires or the
   *   scanner closes; {DisconnectedError} / DriverError DEVICE_UNAVAILABLE when it is not ready now.
   */
  nextScan(options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<BarcodeScan> {
    throwIfAborted(options.signal);
    const state = this.#state.get();
    if (state.status !== 'ready') return Promise.reject(notReadyError(`Barcode scanner ${this.id}`, state));
    return new Promise<BarcodeScan>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        offScan();
        offState();
        options.signal?.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new DeviceTimeoutError(options.timeoutMs, `No code was scanned within ${options.timeoutMs} ms`),
        );
      }, options.timeoutMs);
      const offScan = this.onScan((scan) => {
        cleanup();
        resolve(scan);
      });
      const offState = this.onStateChange((next) => {
        if (next.status === 'closed') {
          cleanup();
          reject(new CanceledError('The barcode scanner was closed while waiting for a scan'));
        }
      });
      const onAbort = () => {
        cleanup();
        reject(new CanceledError('Waiting for a scan was canceled', { cause: options.signal?.reason }));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Opens the scanner; resolves even when it is missing (then `disconnected`, and watched). */
  async open(): Promise<void> {
    if (this.#active) return;
    this.#active = true;
    this.#state.set({ status: 'opening' });
    await this.#connect();
  }

  async #connect(): Promise<void> {
    this.#watch = undefined;
    let port: BarcodeScannerPort;
    try {
      port = await this.#opener.open();
    } catch (error) {
      if (!this.#active) return;
      this.#state.set(stateAfterLoss(error));
      this.#scheduleReconnect();
      return;
    }
    if (!this.#active) {
      await port.close();
      return;
    }
    this.#port = port;
    port.onDisconnect((error) => void this.#lost(port, error));
    this.#state.set({ status: 'ready', detail: { path: port.path } });
    this.#loop = this.#readLoop(port);
  }

  #scheduleReconnect(): void {
    if (!this.#active || this.#watch !== undefined) return;
    this.#watch = setTimeout(() => void this.#connect(), this.#watchMs);
  }

  async #lost(port: BarcodeScannerPort, error: DisconnectedError): Promise<void> {
    if (this.#port !== port || !this.#active) return;
    this.#port = undefined;
    this.#counters.dropped += port.dropped;
    this.#state.set({ status: 'disconnected', reason: error.message });
    await port.close();
    this.#scheduleReconnect();
  }

  async #readLoop(port: BarcodeScannerPort): Promise<void> {
    while (this.#active && this.#port === port) {
      let read: BarcodeRead | undefined;
      try {
        read = await port.read(READ_SLICE_MS);
      } catch (error) {
        if (error instanceof DisconnectedError) await this.#lost(port, error);
        // CanceledError: our close (or #lost) closed the port; anything else ends this port's loop too.
        else if (!(error instanceof CanceledError) && this.#port === port) {
          this.#port = undefined;
          this.#state.set(stateAfterLoss(error));
          await port.close();
          this.#scheduleReconnect();
        }
        return;
      }
      if (read) this.#handle(read);
    }
  }

  #handle(read: BarcodeRead): void {
    if (read.kind === 'line') {
      this.#counters.scans++;
      const scan: BarcodeScan = {
        text: read.text,
        bytes: read.bytes,
        receivedAt: this.#now(),
        device: this.id,
      };
      for (const listener of [...this.#scanListeners]) listener(scan);
      return;
    }
    switch (read.reason) {
      case 'overlong':
        this.#counters.overlong++;
        break;
      case 'partial':
        this.#counters.partial++;
        break;
      case 'not-utf8':
        this.#counters.notUtf8++;
        break;
      case 'malformed-report':
        this.#counters.malformedReports++;
        break;
      case 'unmapped-key':
        this.#counters.unmappedKeys += read.bytes;
        break;
    }
  }

  /** Stops reading and releases the port; waiting `nextScan` calls reject with CanceledError. */
  async close(): Promise<void> {
    if (!this.#active && this.#state.get().status === 'closed') return;
    this.#active = false;
    clearTimeout(this.#watch);
    this.#watch = undefined;
    const port = this.#port;
    this.#port = undefined;
    if (port) {
      this.#counters.dropped += port.dropped;
      await port.close();
    }
    await this.#loop;
    this.#state.set({ status: 'closed' });
  }
}
