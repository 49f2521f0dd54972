/**
 * Serial link: what the R30x driver (and the R30x simulator, on the other end of a pty pair) need
 * from a serial line. The native adapter (native-serial.ts, serialport) implements it.
 *
 * Contract:
 * - `write(bytes)` queues bytes for the line and resolves once the OS has taken them (drained);
 *   rejects with DisconnectedError when the line is gone.
 * - `read(timeoutMs)` resolves the bytes received since the last read (at least one byte), or
 *   undefined when nothing arrives in `timeoutMs`; it rejects with DisconnectedError when the line
 *   is gone. One read at a time. Bytes are never lost between reads: the adapter buffers them, up
 *   to `maxBuffered` bytes, beyond which the oldest are dropped and counted in `overruns`.
 * - `onDisconnect(listener)` calls `listener` once, asynchronously or from the line's own event,
 *   when the line goes away by itself (USB-serial adapter pulled: serialport's 'close' or 'error'
 *   event; the peer of an in-memory line closed), whether or not a read is pending; never for our
 *   own `close()`. Returns the function that removes the listener. A listener added after the line
 *   went away is called on a later tick.
 * - `close()` makes a pending read reject with CanceledError. Safe to call twice.
 */
import type { DisconnectedError } from '../errors.ts';

export interface SerialLink {
  readonly path: string;
  readonly baudRate: number;
  write(bytes: Uint8Array): Promise<void>;
  read(timeoutMs: number): Promise<Uint8Array | undefined>;
  /** Bytes dropped because nobody read them in time. */
  readonly overruns: number;
  onDisconnect(listener: (error: DisconnectedError) => void): () => void;
  close(): Promise<void>;
}

export interface SerialOpener {
  open(path: string, baudRate: number): Promise<SerialLink>;
}
