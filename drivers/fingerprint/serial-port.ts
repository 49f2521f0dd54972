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
 * - `close()` makes a pending read reject with CanceledError. Safe to call twice.
 */
export interface SerialLink {
  readonly path: string;
  readonly baudRate: number;
  write(bytes: Uint8Array): Promise<void>;
  read(timeoutMs: number): Promise<Uint8Array | undefined>;
  /** Bytes dropped because nobody read them in time. */
  readonly overruns: number;
  close(): Promise<void>;
}

export interface SerialOpener {
  open(path: string, baudRate: number): Promise<SerialLink>;
}
