/**
 * The chip-card reader driver: follows the PC/SC readers and their cards through a PcscPort, and
 * opens a CardSession on an inserted card.
 *
 * - State: `ready` while at least one reader is connected (detail: reader and card counts),
 *   `disconnected` when none is, `error` when PC/SC itself is unavailable (pcscd not running);
 *   `open()` again retries. Reader and card changes are events (`listen`), each heard once.
 * - A session's `transmit` returns the card's full answer (data + SW1 SW2) after the T=0 procedure
 *   bytes are handled (ISO/IEC 7816-3 10.3.3, 7816-4 5.3.4): `61xx` is followed by GET RESPONSE
 *   (`00 C0 00 00 xx`) until the card is done, the data concatenated; `6Cxx` re-issues the same
 *   command once with Le = xx. Cards on T=1 may send `61xx` too, so this runs whatever the protocol.
 * - One command at a time per card: a second `transmit` while one (with its GET RESPONSEs) is in
 *   flight is refused with BusyError, never queued. Two callers interleaving commands would break the
 *   other's GET RESPONSE chain or secure-messaging counter, so overlapping is a caller bug to surface.
 * - Every exchange with the card is bounded (`timeoutMs`, default 5 s) and can be aborted.
 * - A card pulled mid-transaction rejects the pending call with CardRemovedError (also when the reader
 *   first reports a broken exchange and only then the removal, as pcscd does with vpcd); a reader
 *   unplugged rejects it with DisconnectedError. The reader stays usable: the next card gets a new
 *   session.
 * - Extended length: a session says whether the reader passes extended APDUs (`extendedLength`), from
 *   the `extendedLength` option by reader-name prefix, else what the reader reports
 *   (dwMaxAPDUDataSize, PC/SC part 10), else a built-in default. Whether the card takes them (ATR
 *   historical bytes, EF.ATR) is for the layers above; the session gives them the ATR.
 */
import { decodeCommand, encodeCommand, SHORT_LE_MAX } from '../../protocol/iso7816/apdu.ts';
import type { Device, DeviceMode, DeviceState } from '../device.ts';
import { DeviceStateHolder } from '../device.ts';
import {
  BusyError,
  CanceledError,
  CardRemovedError,
  DeviceReportedError,
  DeviceTimeoutError,
  DeviceUnavailableError,
  DisconnectedError,
  DriverError,
  notReadyError,
  ProtocolError,
  stateAfterFailure,
  throwIfAborted,
} from '../errors.ts';
import type { CardConnection, CardProtocol, PcscEvent, PcscPort } from './port.ts';

/** Reader and card events as the driver's listeners hear them. */
export type CardReaderEvent = Exclude<PcscEvent, { type: 'failed' }>;

/** One reader as the driver sees it. */
export type ReaderState =
  | { readonly name: string; readonly status: 'empty' }
  | {
      readonly name: string;
      readonly status: 'card';
      readonly atr: Uint8Array;
      /** Whether a session is open on the card. */
      readonly inSession: boolean;
    };

export interface CardTransmitOptions {
  /** Longest wait for each exchange with the card (each GET RESPONSE included), ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A connection to one inserted card. Ends when the card is removed or `close()` is called. */
export interface CardSession {
  readonly reader: string;
  readonly atr: Uint8Array;
  readonly protocol: CardProtocol;
  /** Whether the reader passes extended-length APDUs (the card's side is decided above). */
  readonly extendedLength: boolean;
  /** dwMaxAPDUDataSize as the reader reported it, in bytes; undefined when it did not. */
  readonly maxApduDataSize: number | undefined;
  /** Whether the session can still transmit (the card is in and `close()` was not called). */
  readonly active: boolean;
  /**
   * Sends a command APDU and resolves the full answer: data + SW1 SW2, after 61xx/6Cxx handling.
   * Non-9000 status words are returned, not thrown: they are the card's answer.
   * @throws {RangeError} for a command shorter than 4 bytes.
   * @throws {BusyError} when another transmit on this card is in flight.
   * @throws {CardRemovedError} when the card is (or gets) removed.
   * @throws {DeviceTimeoutError} when the card does not answer an exchange within `timeoutMs`.
   * @throws {CanceledError} on abort, session close or driver close.
   * @throws {ProtocolError} on a malformed answer or an endless GET RESPONSE chain.
   * @throws {DisconnectedError} when the reader is unplugged.
   */
  transmit(command: Uint8Array, options?: CardTransmitOptions): Promise<Uint8Array>;
  /** Disconnects (resetting the card); a pending transmit rejects with CanceledError. Safe twice. */
  close(): Promise<void>;
}

/**
 * Readers known to pass extended APDUs without reporting dwMaxAPDUDataSize. vsmartcard-vpcd 3.3
 * (Debian 12) answers SCardControl with SCARD_E_UNSUPPORTED_FEATURE but carries APDUs up to its
 * 65535-byte frame; later vpcd versions report 0x10000 themselves.
 */
export const KNOWN_EXTENDED_LENGTH: Readonly<Record<string, boolean>> = { 'Virtual PCD': true };

export interface CardReaderOptions {
  readonly id: string;
  readonly mode: DeviceMode;
  /** Opens the PC/SC port; called by every `open()`. Rejects with DeviceUnavailableError (no pcscd). */
  readonly openPort: () => Promise<PcscPort>;
  /** Follow only readers whose name starts with this; all readers by default. */
  readonly reader?: string;
  /** Longest wait for one exchange with the card, ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Longest wait to connect to (power up) a card, ms. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Protocols accepted; the ATR chooses. Default T=0 and T=1. */
  readonly protocols?: readonly CardProtocol[];
  /** Exclusive access to the card during a session (default true). */
  readonly exclusive?: boolean;
  /** Extended-length support by reader-name prefix; wins over what the reader reports. */
  readonly extendedLength?: Readonly<Record<string, boolean>>;
  /** Whether 61xx/6Cxx are handled here (default true); off gives the card's raw answers. */
  readonly t0Procedure?: boolean;
  /**
   * After a broken exchange, how long to wait for the reader to report the card gone before the
   * error is given as it is, ms. Default 1500 (pcscd polls vpcd every 400 ms).
   */
  readonly removalGraceMs?: number;
}

/** Most GET RESPONSE rounds for one command. */
const MAX_GET_RESPONSE_ROUNDS = 300;
/** Most data bytes one command may gather through GET RESPONSE (an extended Le). */
const MAX_RESPONSE_DATA = 65536;

interface ReaderEntry {
  atr: Uint8Array | undefined;
  session: Session | undefined;
  connecting: boolean;
  /** The ended session's disconnect, which the next connect waits for. */
  previous: Promise<void> | undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether a reader passes extended APDUs: override by name prefix, else reported, else known readers. */
export function readerExtendedLength(
  reader: string,
  maxApduDataSize: number | undefined,
  overrides: Readonly<Record<string, boolean>> = {},
): boolean {
  const byPrefix = (table: Readonly<Record<string, boolean>>) => {
    const key = Object.keys(table)
      .filter((prefix) => reader.startsWith(prefix))
      .sort((a, b) => b.length - a.length)[0];
    return key === undefined ? undefined : table[key];
  };
  const override = byPrefix(overrides);
  if (override !== undefined) return override;
  // PC/SC part 10: 0 means short APDUs only; an extended reader reports 261..65544.
  if (maxApduDataSize !== undefined) return maxApduDataSize > SHORT_LE_MAX;
  return byPrefix(KNOWN_EXTENDED_LENGTH) ?? false;
}

/** The command with Le replaced (6Cxx), or undefined when it does not parse as an APDU. */
function withLe(command: Uint8Array, le: number): Uint8Array | undefined {
  const decoded = decodeCommand(command);
  if (!decoded.ok) return undefined;
  const { cla, ins, p1, p2, data, extended } = decoded.value;
  return encodeCommand({ cla, ins, p1, p2, data, le }, { length: extended ? 'extended' : 'short' });
}

/** GET RESPONSE (ISO/IEC 7816-4 11.4.2) on the command's logical channel. */
function getResponse(cla: number, le: number): Uint8Array {
  const channel = (cla & 0xe0) === 0 ? cla & 0x03 : 0;
  return Uint8Array.of(channel, 0xc0, 0x00, 0x00, le & 0xff);
}

class Session implements CardSession {
  readonly reader: string;
  readonly atr: Uint8Array;
  readonly protocol: CardProtocol;
  readonly extendedLength: boolean;
  readonly maxApduDataSize: number | undefined;
  readonly #connection: CardConnection;
  readonly #timeoutMs: number;
  readonly #t0: boolean;
  readonly #graceMs: number;
  readonly #release: (session: Session, disconnected: Promise<void>) => void;
  readonly #gone: (session: Session) => void;
  readonly #enders = new Set<(error: DriverError) => void>();
  #ended: DriverError | undefined;
  #busy = false;
  /** The port's exchange still running after we stopped waiting (abort, removal). */
  #portCall: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    connection: CardConnection,
    extendedLength: boolean,
    options: {
      timeoutMs: number;
      t0: boolean;
      graceMs: number;
      release: (session: Session, disconnected: Promise<void>) => void;
      /** The port said the card is gone (the removal event may come later). */
      gone: (session: Session) => void;
    },
  ) {
    this.#connection = connection;
    this.reader = connection.reader;
    this.atr = connection.atr.slice();
    this.protocol = connection.protocol;
    this.maxApduDataSize = connection.maxApduDataSize;
    this.extendedLength = extendedLength;
    this.#timeoutMs = options.timeoutMs;
    this.#t0 = options.t0;
    this.#graceMs = options.graceMs;
    this.#release = options.release;
    this.#gone = options.gone;
  }

  get active(): boolean {
    return this.#ended === undefined;
  }

  async transmit(command: Uint8Array, options: CardTransmitOptions = {}): Promise<Uint8Array> {
    if (command.length < 4)
      throw new RangeError(`a command APDU has at least 4 bytes; got ${command.length}`);
    if (this.#ended) throw this.#ended;
    throwIfAborted(options.signal);
    if (this.#busy)
      throw new BusyError(`The card in ${this.reader} is busy with another command; wait for it to finish`, {
        devicePath: this.reader,
      });
    this.#busy = true;
    try {
      return await this.#procedure(command, options.timeoutMs ?? this.#timeoutMs, options.signal);
    } finally {
      this.#busy = false;
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#finish(
      new CanceledError(`The session on ${this.reader} was closed`, { devicePath: this.reader }),
      'reset',
    );
    return this.#closing;
  }

  /** Ends the session: pending and later calls reject with `error`. */
  end(error: DriverError): void {
    if (this.#ended) return;
    this.#ended = error;
    for (const ender of [...this.#enders]) ender(error);
  }

  /** Called by the driver when the card or reader went away: ends, then disconnects. */
  ended(error: DriverError): Promise<void> {
    this.#closing ??= this.#finish(error, 'leave');
    return this.#closing;
  }

  #finish(error: DriverError, disposition: 'reset' | 'leave'): Promise<void> {
    this.end(error);
    const done = this.#connection.disconnect(disposition).catch(() => undefined);
    this.#release(this, done);
    return done;
  }

  async #procedure(
    command: Uint8Array,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    let response = await this.#exchangeFixingLe(command, timeoutMs, signal);
    if (!this.#t0 || response[response.length - 2] !== 0x61) return response;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let round = 0; response[response.length - 2] === 0x61; round++) {
      if (round >= MAX_GET_RESPONSE_ROUNDS)
        throw new ProtocolError(
          `The card in ${this.reader} kept answering 61xx after ${round} GET RESPONSEs`,
          {
            devicePath: this.reader,
          },
        );
      const data = response.subarray(0, response.length - 2);
      total += data.length;
      if (total > MAX_RESPONSE_DATA)
        throw new ProtocolError(
          `The card in ${this.reader} sent more than ${MAX_RESPONSE_DATA} bytes through GET RESPONSE`,
          {
            devicePath: this.reader,
          },
        );
      parts.push(data);
      const le = response[response.length - 1] || 256;
      response = await this.#exchangeFixingLe(getResponse(command[0] ?? 0, le), timeoutMs, signal);
    }
    const out = new Uint8Array(total + response.length);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    out.set(response, offset);
    return out;
  }

  /** One exchange; a bare 6Cxx makes it re-issue the command once with Le = xx. */
  async #exchangeFixingLe(
    command: Uint8Array,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const response = await this.#exchange(command, timeoutMs, signal);
    if (!this.#t0 || response.length !== 2 || response[0] !== 0x6c) return response;
    const fixed = withLe(command, response[1] || 256);
    return fixed ? this.#exchange(fixed, timeoutMs, signal) : response;
  }

  /** One exchange with the card; failures are explained (a broken exchange may be a pulled card). */
  async #exchange(apdu: Uint8Array, timeoutMs: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    try {
      return await this.#exchangeOnce(apdu, timeoutMs, signal);
    } catch (error) {
      throw await this.#explain(error);
    }
  }

  async #exchangeOnce(
    apdu: Uint8Array,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    // A call we stopped waiting for still holds the port; the port bounds it by its own timeout.
    await this.#portCall;
    if (this.#ended) throw this.#ended;
    throwIfAborted(signal);
    return new Promise<Uint8Array>((resolve, reject) => {
      const cleanup = () => {
        this.#enders.delete(onEnd);
        signal?.removeEventListener('abort', onAbort);
      };
      const onEnd = (error: DriverError) => {
        cleanup();
        reject(error);
      };
      const onAbort = () => {
        cleanup();
        reject(
          new CanceledError('The card exchange was canceled', {
            devicePath: this.reader,
            cause: signal?.reason,
          }),
        );
      };
      this.#enders.add(onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
      const call = this.#connection.transmit(apdu, { timeoutMs });
      const settled = call.then(
        () => undefined,
        () => undefined,
      );
      this.#portCall = settled;
      void settled.then(() => {
        if (this.#portCall === settled) this.#portCall = undefined;
      });
      call.then(
        (response) => {
          cleanup();
          if (response.length < 2)
            reject(
              new ProtocolError(
                `The card in ${this.reader} broke off: ${response.length} bytes instead of an answer ending in SW1 SW2`,
                { devicePath: this.reader },
              ),
            );
          else resolve(response);
        },
        (error: unknown) => {
          cleanup();
          reject(error);
        },
      );
    });
  }

  /**
   * A broken exchange is often the first sign of a pulled card; the reader's removal event follows
   * (vpcd: within one 400 ms poll). Waits up to the grace period for it, to give one typed error.
   */
  async #explain(error: unknown): Promise<unknown> {
    if (
      error instanceof CardRemovedError ||
      error instanceof DisconnectedError ||
      error instanceof DeviceUnavailableError
    ) {
      // The port already knows the card (or reader, or pcscd) is gone: the session is over, and a
      // removed card is gone for the driver too, before the port's event says so.
      void this.ended(error);
      if (error instanceof CardRemovedError) this.#gone(this);
      return error;
    }
    if (!(error instanceof ProtocolError || error instanceof DeviceReportedError)) return error;
    if (!this.#ended) {
      await new Promise<void>((resolve) => {
        const onEnd = () => {
          clearTimeout(timer);
          this.#enders.delete(onEnd);
          resolve();
        };
        const timer = setTimeout(onEnd, this.#graceMs);
        this.#enders.add(onEnd);
      });
    }
    if (this.#ended instanceof CardRemovedError)
      return new CardRemovedError(`${this.#ended.message} during the exchange`, {
        devicePath: this.reader,
        cause: error,
      });
    return error;
  }
}

/** The chip-card reader device (family `card-reader`); see the file comment for its contract. */
export class CardReaderDevice implements Device {
  readonly id: string;
  readonly family = 'card-reader' as const;
  readonly mode: DeviceMode;
  readonly #options: CardReaderOptions;
  readonly #state = new DeviceStateHolder({ status: 'closed' });
  readonly #readers = new Map<string, ReaderEntry>();
  readonly #observers = new Set<(event: CardReaderEvent) => void>();
  /** Called on close, so waits (waitForCard) end with CanceledError. */
  readonly #onClose = new Set<() => void>();
  #port: PcscPort | undefined;
  #unlisten: (() => void) | undefined;
  #closed = true;
  #opening: Promise<void> | undefined;

  constructor(options: CardReaderOptions) {
    this.id = options.id;
    this.mode = options.mode;
    this.#options = options;
  }

  state(): DeviceState {
    return this.#state.get();
  }

  onStateChange(listener: (state: DeviceState) => void): () => void {
    return this.#state.subscribe(listener);
  }

  /** The readers followed now, with their cards. */
  readers(): readonly ReaderState[] {
    return [...this.#readers.entries()].map(([name, entry]) =>
      entry.atr === undefined
        ? { name, status: 'empty' as const }
        : { name, status: 'card' as const, atr: entry.atr.slice(), inSession: entry.session !== undefined },
    );
  }

  /** Calls `observer` on every reader and card change until the returned function is called. */
  listen(observer: (event: CardReaderEvent) => void): () => void {
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  /** Opens the PC/SC port and follows readers. Never rejects: a failure is the `error` state. */
  open(): Promise<void> {
    this.#closed = false;
    if (this.#port && this.#state.get().status !== 'error') return Promise.resolve();
    this.#opening ??= this.#doOpen().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const callback of [...this.#onClose]) callback();
    const closing = [...this.#readers.values()].map((entry) =>
      this.#endSession(entry, new CanceledError('The card reader was closed', { devicePath: this.id })),
    );
    await Promise.allSettled(closing);
    await this.#dropPort();
    this.#readers.clear();
    this.#state.set({ status: 'closed' });
  }

  /**
   * Resolves a reader holding a card (the named one, or any followed reader), waiting for an
   * insertion if there is none yet.
   * @throws {DeviceTimeoutError} after `timeoutMs` (default: wait until aborted or closed).
   * @throws {CanceledError} on abort or close.
   */
  waitForCard(
    options: { reader?: string; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Extract<ReaderState, { status: 'card' }>> {
    const find = () =>
      this.readers().find(
        (r): r is Extract<ReaderState, { status: 'card' }> =>
          r.status === 'card' && (options.reader === undefined || r.name === options.reader),
      );
    return new Promise((resolve, reject) => {
      if (this.#closed)
        return reject(new CanceledError('The card reader is closed', { devicePath: this.id }));
      try {
        throwIfAborted(options.signal);
      } catch (error) {
        return reject(error);
      }
      const now = find();
      if (now) return resolve(now);
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        unlisten();
        this.#onClose.delete(onClose);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const unlisten = this.listen(() => {
        const found = find();
        if (found) {
          finish();
          resolve(found);
        }
      });
      const onClose = () => {
        finish();
        reject(new CanceledError('The card reader was closed', { devicePath: this.id }));
      };
      const onAbort = () => {
        finish();
        reject(new CanceledError('Waiting for a card was canceled', { cause: options.signal?.reason }));
      };
      this.#onClose.add(onClose);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = setTimeout(() => {
          finish();
          reject(new DeviceTimeoutError(ms, `No card was inserted within ${ms} ms`, { devicePath: this.id }));
        }, ms);
      }
    });
  }

  /**
   * Connects to the card in `reader` (default: the first reader holding a card) and opens a session.
   * @throws {CardRemovedError} when there is no card (or it is pulled while connecting).
   * @throws {BusyError} when a session is already open on that card, or another application holds it.
   * @throws {DisconnectedError} for an unknown reader.
   * @throws {DeviceTimeoutError} when the card does not power up within `connectTimeoutMs`.
   * @throws {ProtocolError} for a mute card or one without T=0/T=1.
   * @throws {DriverError} DEVICE_UNAVAILABLE when the driver is not ready (pcscd down).
   */
  async connect(reader?: string): Promise<CardSession> {
    const port = this.#port;
    if (!port || this.#state.get().status === 'error' || this.#closed)
      throw notReadyError(`Card reader ${this.id}`, this.#state.get());
    const name = reader ?? [...this.#readers.entries()].find(([, e]) => e.atr !== undefined)?.[0];
    if (name === undefined)
      throw new CardRemovedError('No card in any reader: insert the card', { devicePath: this.id });
    const entry = this.#readers.get(name);
    if (!entry) throw new DisconnectedError(`No reader named ${name} is connected`, { devicePath: name });
    const atr = entry.atr;
    if (!atr) throw new CardRemovedError(`No card in ${name}: insert the card`, { devicePath: name });
    if (entry.session || entry.connecting)
      throw new BusyError(`A session is already open on the card in ${name}`, { devicePath: name });
    entry.connecting = true;
    try {
      await entry.previous;
      const connection = await this.#connectBounded(port, name);
      if (
        this.#closed ||
        entry.atr === undefined ||
        !sameBytes(entry.atr, atr) ||
        this.#readers.get(name) !== entry
      ) {
        await connection.disconnect('leave').catch(() => undefined);
        if (this.#closed) throw new CanceledError('The card reader was closed', { devicePath: name });
        throw new CardRemovedError(`The card was removed from ${name} while connecting`, {
          devicePath: name,
        });
      }
      const session = new Session(
        connection,
        readerExtendedLength(name, connection.maxApduDataSize, this.#options.extendedLength),
        {
          timeoutMs: this.#options.timeoutMs ?? 5000,
          t0: this.#options.t0Procedure ?? true,
          graceMs: this.#options.removalGraceMs ?? 1500,
          release: (s, disconnected) => {
            if (entry.session !== s) return;
            entry.session = undefined;
            entry.previous = disconnected;
            void disconnected.then(() => {
              if (entry.previous === disconnected) entry.previous = undefined;
            });
          },
          gone: (s) => {
            if (this.#readers.get(name) !== entry || !entry.atr || !sameBytes(entry.atr, s.atr)) return;
            this.#cardGone(name, entry);
            this.#updateState();
          },
        },
      );
      entry.session = session;
      return session;
    } finally {
      entry.connecting = false;
    }
  }

  /** port.connect bounded by connectTimeoutMs; a connection that arrives late is closed. */
  #connectBounded(port: PcscPort, reader: string): Promise<CardConnection> {
    const timeoutMs = this.#options.connectTimeoutMs ?? 5000;
    const pending = port.connect(reader, {
      protocols: this.#options.protocols ?? ['T0', 'T1'],
      exclusive: this.#options.exclusive ?? true,
    });
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(
          new DeviceTimeoutError(timeoutMs, `The card in ${reader} did not power up within ${timeoutMs} ms`, {
            devicePath: reader,
          }),
        );
      }, timeoutMs);
      pending.then(
        (connection) => {
          clearTimeout(timer);
          if (late) void connection.disconnect('leave').catch(() => undefined);
          else resolve(connection);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async #doOpen(): Promise<void> {
    this.#state.set({ status: 'opening' });
    try {
      const port = await this.#options.openPort();
      if (this.#closed) {
        await port.close();
        return;
      }
      this.#port = port;
      this.#unlisten = port.listen((event) => this.#onEvent(port, event));
      const readers = await port.listReaders();
      if (this.#port !== port) return;
      for (const reader of readers) {
        this.#onEvent(port, { type: 'reader-added', reader: reader.name });
        if (reader.card === 'present')
          this.#onEvent(port, { type: 'card-inserted', reader: reader.name, atr: reader.atr });
      }
      this.#updateState();
    } catch (error) {
      await this.#dropPort(error);
    }
  }

  /** Closes the port; with `error`, the device goes to the error state. */
  async #dropPort(error?: unknown): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    this.#unlisten?.();
    this.#unlisten = undefined;
    if (error !== undefined) {
      const failure =
        error instanceof DriverError
          ? error
          : new DriverError('DEVICE_UNAVAILABLE', String(error), { devicePath: this.id, cause: error });
      const endings = [...this.#readers.values()].map((entry) => this.#endSession(entry, failure));
      await Promise.allSettled(endings);
      this.#readers.clear();
      if (!this.#closed) this.#state.set(stateAfterFailure(failure));
    }
    await port?.close().catch(() => undefined);
  }

  #follows(reader: string): boolean {
    return this.#options.reader === undefined || reader.startsWith(this.#options.reader);
  }

  #emit(event: CardReaderEvent): void {
    for (const observer of [...this.#observers]) observer(event);
  }

  #onEvent(port: PcscPort, event: PcscEvent): void {
    if (port !== this.#port || this.#closed) return;
    if (event.type === 'failed') {
      void this.#dropPort(event.error);
      return;
    }
    if (!this.#follows(event.reader)) return;
    const name = event.reader;
    let entry = this.#readers.get(name);
    switch (event.type) {
      case 'reader-added':
        if (entry) return;
        this.#readers.set(name, {
          atr: undefined,
          session: undefined,
          connecting: false,
          previous: undefined,
        });
        this.#emit({ type: 'reader-added', reader: name });
        break;
      case 'reader-removed':
        if (!entry) return;
        if (entry.atr)
          this.#cardGone(
            name,
            entry,
            new DisconnectedError(`The reader ${name} was removed`, { devicePath: name }),
          );
        this.#readers.delete(name);
        this.#emit({ type: 'reader-removed', reader: name });
        break;
      case 'card-inserted':
        if (!entry) {
          entry = { atr: undefined, session: undefined, connecting: false, previous: undefined };
          this.#readers.set(name, entry);
          this.#emit({ type: 'reader-added', reader: name });
        }
        if (entry.atr && sameBytes(entry.atr, event.atr)) return;
        if (entry.atr) this.#cardGone(name, entry);
        entry.atr = event.atr.slice();
        this.#emit({ type: 'card-inserted', reader: name, atr: event.atr.slice() });
        break;
      case 'card-removed':
        if (!entry?.atr) return;
        this.#cardGone(name, entry);
        break;
    }
    this.#updateState();
  }

  #cardGone(name: string, entry: ReaderEntry, error?: DriverError): void {
    entry.atr = undefined;
    void this.#endSession(
      entry,
      error ?? new CardRemovedError(`The card was removed from ${name}`, { devicePath: name }),
    );
    this.#emit({ type: 'card-removed', reader: name });
  }

  /** Ends the entry's session now; its disconnect runs on, and the next connect waits for it. */
  #endSession(entry: ReaderEntry, error: DriverError): Promise<void> {
    return entry.session?.ended(error) ?? Promise.resolve();
  }

  #updateState(): void {
    if (this.#closed || !this.#port) return;
    const readers = this.#readers.size;
    if (readers === 0) {
      const which =
        this.#options.reader === undefined ? 'No card reader' : `No reader named ${this.#options.reader}…`;
      this.#state.set({ status: 'disconnected', reason: `${which} is connected` });
      return;
    }
    const cards = [...this.#readers.values()].filter((e) => e.atr !== undefined).length;
    this.#state.set({ status: 'ready', detail: { readers, cards } });
  }
}
