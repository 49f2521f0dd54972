/**
 * PC/SC port: what the card-reader driver needs from a PC/SC stack, nothing more. The native adapter
 * (native-pcsc.ts, pcsclite over pcscd) and the in-process simulator (simulators/card/in-process-pcsc.ts)
 * implement it.
 *
 * Contract:
 * - `listReaders()` resolves the readers present now, each with its card's ATR when a card is in. It
 *   agrees with the events already delivered to observers. Rejects with DeviceUnavailableError when
 *   the PC/SC service is gone.
 * - `listen(observer)` delivers reader and card events, each once and asynchronously (never inside
 *   `listen`), and returns the unsubscribe function. Readers and cards present when the port opened
 *   are announced too (`reader-added`, then `card-inserted`). A `failed` event means the PC/SC service
 *   stopped: the port delivers nothing more and has to be closed and opened again.
 * - `connect(reader, options)` powers the card and resolves a connection, or rejects with
 *   CardRemovedError (no card), BusyError (another connection holds the card), DisconnectedError
 *   (no such reader), ProtocolError (mute card, no common protocol) or DeviceUnavailableError.
 *   One connection per reader and port.
 * - `CardConnection.transmit(apdu, { timeoutMs })` sends one command APDU and resolves the card's
 *   answer as received (data + SW1 SW2; fewer than 2 bytes when the card broke off). One exchange at a
 *   time: a second call while one is in flight rejects with BusyError. It rejects with
 *   DeviceTimeoutError after `timeoutMs` (the abandoned exchange may still finish on the card; the next
 *   call waits for it within its own timeout), CardRemovedError when the card is gone, CanceledError
 *   after `disconnect()` or `close()`.
 * - `disconnect()` ends the connection (a pending transmit rejects with CanceledError); safe to call
 *   twice and after the card was removed.
 * - `close()` ends every connection and listener; later calls reject with CanceledError. Safe to call
 *   twice.
 */

/** Transmission protocols of ISO/IEC 7816-3: T=0 (character) and T=1 (block). */
export type CardProtocol = 'T0' | 'T1';

/** A reader as the PC/SC service lists it. */
export type ReaderStatus =
  | { readonly name: string; readonly card: 'absent' }
  | { readonly name: string; readonly card: 'present'; readonly atr: Uint8Array };

export type PcscEvent =
  | { readonly type: 'reader-added'; readonly reader: string }
  | { readonly type: 'reader-removed'; readonly reader: string }
  | { readonly type: 'card-inserted'; readonly reader: string; readonly atr: Uint8Array }
  | { readonly type: 'card-removed'; readonly reader: string }
  /** The PC/SC service stopped (pcscd exited); `error` is a DeviceUnavailableError. */
  | { readonly type: 'failed'; readonly error: Error };

export interface ConnectOptions {
  /** Protocols the caller accepts; the card's ATR decides among them. */
  readonly protocols: readonly CardProtocol[];
  /** Exclusive access (default): no other application can talk to the card meanwhile. */
  readonly exclusive?: boolean;
}

/** What happens to the card when a connection ends. */
export type Disposition = 'leave' | 'reset' | 'unpower';

export interface TransmitOptions {
  /** Longest wait for the card's answer, ms. */
  readonly timeoutMs: number;
}

export interface CardConnection {
  readonly reader: string;
  readonly protocol: CardProtocol;
  /** Answer to reset of the connected card. */
  readonly atr: Uint8Array;
  /**
   * dwMaxAPDUDataSize as the reader reports it (PC/SC part 10, FEATURE_GET_TLV_PROPERTIES): 0 for
   * short APDUs only, otherwise the largest data field of an extended APDU in bytes; undefined when
   * the reader does not say.
   */
  readonly maxApduDataSize: number | undefined;
  transmit(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array>;
  disconnect(disposition?: Disposition): Promise<void>;
}

export interface PcscPort {
  listReaders(): Promise<readonly ReaderStatus[]>;
  listen(observer: (event: PcscEvent) => void): () => void;
  connect(reader: string, options: ConnectOptions): Promise<CardConnection>;
  close(): Promise<void>;
}

/**
 * `PcscPort.listen` as both ports implement it: the newcomer is caught up on `present` (readers
 * and the cards in them) on a later tick, never inside `listen`; events that happen before that
 * queue behind the catch-up, in order. `observers` is the port's set it broadcasts to.
 */
export function listenWithCatchUp(
  observers: Set<(event: PcscEvent) => void>,
  present: Iterable<readonly [reader: string, atr: Uint8Array | undefined]>,
  observer: (event: PcscEvent) => void,
): () => void {
  let queue: PcscEvent[] | undefined = [];
  for (const [reader, atr] of present) {
    queue.push({ type: 'reader-added', reader });
    if (atr) queue.push({ type: 'card-inserted', reader, atr: atr.slice() });
  }
  let active = true;
  const wrapped = (event: PcscEvent) => {
    if (!active) return;
    if (queue) queue.push(event);
    else observer(event);
  };
  observers.add(wrapped);
  setImmediate(() => {
    const pending = queue ?? [];
    queue = undefined;
    for (const event of pending) if (active) observer(event);
  });
  return () => {
    active = false;
    observers.delete(wrapped);
  };
}
