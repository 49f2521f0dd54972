/**
 * 2D barcode scanner port: what the barcode driver (scanner.ts) needs from a scanner, nothing more:
 * the lines it scanned. The native adapters (native-serial.ts: a serial or USB-COM scanner;
 * native-hid.ts: a USB keyboard-wedge scanner) and the simulator (simulators/barcode) implement it,
 * all three through LineQueue (line-queue.ts), so framing and its bounds are the same everywhere.
 *
 * Contract:
 * - `read(timeoutMs)` resolves the next scanned line or framing problem, or undefined when none
 *   arrives in `timeoutMs`; it rejects with DisconnectedError when the scanner is gone (after the
 *   lines already received are read). One read at a time (a second rejects with DEVICE_BUSY).
 * - Lines wait for a reader in a bounded queue; beyond `maxQueuedLines` the oldest are dropped and
 *   counted in `dropped`.
 * - `onDisconnect(listener)` calls `listener` once when the scanner goes away by itself (unplugged),
 *   never for our own `close()`; a listener added after that is called on a later tick. Returns the
 *   function that removes the listener.
 * - `close()` makes a pending read reject with CanceledError, and every later read. Safe to call twice.
 * - `BarcodeOpener.open()` rejects with DriverError DEVICE_NOT_FOUND (nothing at the path: it may be
 *   plugged in later), DEVICE_PERMISSION_DENIED or DEVICE_UNAVAILABLE.
 */
import type { DisconnectedError } from '../errors.ts';
import type { FramedLine } from './line-framer.ts';

/**
 * The device family string of 2D barcode scanners. drivers/device.ts's DeviceFamily union does not
 * list it yet; BarcodeScanner declares its own `family` with this type until it does.
 */
export const BARCODE_FAMILY = 'barcode' as const;

export type BarcodeRead =
  | FramedLine
  /** A HID report that was not a boot keyboard report, or keys with no character (counted). */
  | {
      readonly kind: 'problem';
      readonly reason: 'malformed-report' | 'unmapped-key';
      readonly bytes: number;
    };

export interface BarcodeScannerPort {
  /** OS path (/dev/ttyACM0, a hidraw node) or the simulator's name. */
  readonly path: string;
  read(timeoutMs: number): Promise<BarcodeRead | undefined>;
  /** Lines dropped because nobody read them in time. */
  readonly dropped: number;
  onDisconnect(listener: (error: DisconnectedError) => void): () => void;
  close(): Promise<void>;
}

export interface BarcodeOpener {
  /** Where the scanner is expected (path or description), for messages and /health. */
  readonly describe: string;
  open(): Promise<BarcodeScannerPort>;
}
