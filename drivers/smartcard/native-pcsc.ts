/**
 * The PcscPort on real PC/SC: pcsclite 1.0.1 (a node-gyp binding of libpcsclite) talking to pcscd.
 * The only file that imports pcsclite, and only when `NativePcsc.open()` runs, so a machine without
 * the binding or without pcscd gets a DeviceUnavailableError, not a crash at import.
 *
 * What pcsclite 1.0.1 does, and how this adapter copes (read from its src/*.cpp):
 * - `pcsc()` throws at once when pcscd is not running (SCardEstablishContext 0x8010001D); the reader
 *   list is watched by a thread that starts on the next tick and emits `reader` per new reader.
 * - Each reader has a status thread (`status` events with SCARD_STATE_* bits and the ATR) and one card
 *   handle. Transmit, connect and control run on libuv's pool under the reader's mutex and cannot be
 *   canceled: a timeout here abandons the call, and the next exchange waits for it.
 * - `CardReader.close()` takes the same mutex on the main thread, so close() first waits for calls in
 *   flight (bounded by `closeWaitMs`) before closing readers.
 * - Errors are plain Errors whose message ends in the PC/SC return code, e.g.
 *   "SCardTransmit error: Card was removed.(0x80100069)"; that code is what we branch on.
 * - With vsmartcard-vpcd, a card that drops its socket in the middle of an APDU makes SCardTransmit
 *   succeed with an empty answer (vpcd returns 0 bytes); the driver treats fewer than 2 bytes as a
 *   broken exchange.
 * - Debian 12's vsmartcard-vpcd 3.3 answers SCardControl with SCARD_E_UNSUPPORTED_FEATURE, so its
 *   dwMaxAPDUDataSize is not readable there (later vpcd versions report 0x10000); extended APDUs pass
 *   through pcscd anyway.
 */
import {
  BusyError,
  CanceledError,
  CardRemovedError,
  DeviceReportedError,
  DeviceTimeoutError,
  DeviceUnavailableError,
  DisconnectedError,
  type DriverError,
  ProtocolError,
} from '../errors.ts';
import type {
  CardConnection,
  CardProtocol,
  ConnectOptions,
  Disposition,
  PcscEvent,
  PcscPort,
  ReaderStatus,
  TransmitOptions,
} from './port.ts';
import { listenWithCatchUp } from './port.ts';

/** PC/SC return codes the adapter tells apart (pcsclite.h). */
export const SCARD = {
  E_CANCELLED: 0x80100002,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_PROTO_MISMATCH: 0x8010000f,
  E_NOT_READY: 0x80100010,
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_UNSUPPORTED_FEATURE: 0x8010001f,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  E_COMM_DATA_LOST: 0x8010002f,
  W_UNSUPPORTED_CARD: 0x80100065,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

/** SCARD_PROTOCOL_T0 / T1 (pcsclite.h). */
const PROTOCOL_BITS: Readonly<Record<CardProtocol, number>> = { T0: 0x0001, T1: 0x0002 };

/** SCARD_STATE_* bits of a reader's status (pcsclite.h); the high 16 bits count card events. */
const STATE_PRESENT = 0x0020;
const STATE_MUTE = 0x0200;

/** SCARD_LEAVE_CARD / RESET_CARD / UNPOWER_CARD (pcsclite.h). */
const DISPOSITION: Readonly<Record<Disposition, number>> = { leave: 0, reset: 1, unpower: 2 };

/** SCARD_CTL_CODE(3400): CM_IOCTL_GET_FEATURE_REQUEST (PC/SC part 10, 2.2; reader.h). */
export const CM_IOCTL_GET_FEATURE_REQUEST = 0x42000000 + 3400;
/** FEATURE_GET_TLV_PROPERTIES (PC/SC part 10, 2.3). */
export const FEATURE_GET_TLV_PROPERTIES = 0x12;
/** PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize (PC/SC part 10, 2.6.14). */
export const PROPERTY_MAX_APDU_DATA_SIZE = 0x0a;

/** Receive buffer for one answer: an extended Le of 65536 plus SW1 SW2. */
const RECEIVE_MAX = 65536 + 2;
/** Output buffer for SCardControl answers (feature list, TLV properties). */
const CONTROL_MAX = 256;
/** Longest wait for one SCardControl, ms. */
const CONTROL_TIMEOUT_MS = 2000;

/**
 * Parses the answer to CM_IOCTL_GET_FEATURE_REQUEST (PC/SC part 10, 2.2):
 *
 * | field | bytes | meaning                              |
 * |-------|-------|--------------------------------------|
 * | tag   | 1     | FEATURE_* number                     |
 * | len   | 1     | always 4                             |
 * | value | 4     | the feature's control code, big-endian |
 *
 * repeated. Returns the control code of `feature`, or undefined when the list lacks it or is malformed.
 */
export function featureControlCode(answer: Uint8Array, feature: number): number | undefined {
  for (let offset = 0; offset + 2 <= answer.length; ) {
    const tag = answer[offset] ?? 0;
    const length = answer[offset + 1] ?? 0;
    if (length !== 4 || offset + 6 > answer.length) return undefined;
    if (tag === feature) return new DataView(answer.buffer, answer.byteOffset + offset + 2, 4).getUint32(0);
    offset += 6;
  }
  return undefined;
}

/**
 * Parses the answer to FEATURE_GET_TLV_PROPERTIES (PC/SC part 10, 2.6.14): tag (1 byte), length
 * (1 byte), value (`length` bytes, little-endian integer) repeated. Returns the integer value of
 * `property` (1, 2 or 4 bytes), or undefined when absent or malformed.
 */
export function tlvProperty(answer: Uint8Array, property: number): number | undefined {
  for (let offset = 0; offset + 2 <= answer.length; ) {
    const tag = answer[offset] ?? 0;
    const length = answer[offset + 1] ?? 0;
    const start = offset + 2;
    if (start + length > answer.length) return undefined;
    if (tag === property) {
      if (length !== 1 && length !== 2 && length !== 4) return undefined;
      let value = 0;
      for (let i = length - 1; i >= 0; i--) value = value * 256 + (answer[start + i] ?? 0);
      return value;
    }
    offset = start + length;
  }
  return undefined;
}

/** The PC/SC return code at the end of a pcsclite error message, e.g. "...(0x80100069)". */
export function pcscReturnCode(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /\(0x([0-9a-f]{8})\)\s*$/i.exec(message);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 16);
}

const PCSCD_HINT =
  'start it (`sudo pcscd`; in development `bash scripts/setup-system.sh` installs and starts it)';

/** Maps a pcsclite failure to the driver error catalogue. `what` names the call for the message. */
export function classifyPcscError(error: unknown, what: string, reader?: string): DriverError {
  const code = pcscReturnCode(error);
  const fields = { devicePath: reader, cause: error };
  const where = reader === undefined ? '' : ` on ${reader}`;
  const hex = code === undefined ? 'no code' : `0x${code.toString(16).toUpperCase()}`;
  switch (code) {
    case SCARD.E_NO_SMARTCARD:
    case SCARD.W_REMOVED_CARD:
      return new CardRemovedError(`No card${where} (${what}: ${hex}): insert the card`, fields);
    case SCARD.W_RESET_CARD:
    case SCARD.W_UNPOWERED_CARD:
      return new DisconnectedError(
        `The card${where} was reset or powered down by someone else (${what}: ${hex}); connect again`,
        fields,
      );
    case SCARD.E_SHARING_VIOLATION:
      return new BusyError(`Another application is using the card${where} (${what}: ${hex})`, fields);
    case SCARD.E_PROTO_MISMATCH:
    case SCARD.W_UNSUPPORTED_CARD:
    case SCARD.W_UNRESPONSIVE_CARD:
      return new ProtocolError(
        `The card${where} does not answer to reset or offers no usable protocol (${what}: ${hex}); clean it or try another card`,
        fields,
      );
    case SCARD.E_NOT_TRANSACTED:
    case SCARD.E_COMM_DATA_LOST:
    case SCARD.E_NOT_READY:
      return new ProtocolError(`Communication with the card${where} failed (${what}: ${hex})`, fields);
    case SCARD.E_UNKNOWN_READER:
    case SCARD.E_READER_UNAVAILABLE:
      return new DisconnectedError(`The reader${where} is gone (${what}: ${hex})`, fields);
    case SCARD.E_NO_SERVICE:
    case SCARD.E_SERVICE_STOPPED:
      return new DeviceUnavailableError(`pcscd is not running (${what}: ${hex}): ${PCSCD_HINT}`, fields);
    case SCARD.E_TIMEOUT:
      return new DeviceTimeoutError(0, `pcscd timed out${where} (${what}: ${hex})`, fields);
    default:
      return new DeviceReportedError(hex, `PC/SC failed${where} (${what}: ${hex})`, {
        ...fields,
        detail: error instanceof Error ? error.message : String(error),
      });
  }
}

/** The parts of pcsclite's CardReader this adapter uses (node_modules/pcsclite/index.d.ts). */
interface NativeReader {
  readonly name: string;
  connected: boolean;
  on(type: 'status', listener: (status: { state: number; atr?: Buffer }) => void): unknown;
  on(type: 'error', listener: (error: Error) => void): unknown;
  on(type: 'end', listener: () => void): unknown;
  connect(
    options: { share_mode?: number; protocol?: number },
    callback: (error: Error | null | undefined, protocol: number) => void,
  ): void;
  disconnect(disposition: number, callback: (error: Error | null | undefined) => void): void;
  transmit(
    data: Buffer,
    receiveLength: number,
    protocol: number,
    callback: (error: Error | null | undefined, response: Buffer) => void,
  ): void;
  control(
    data: Buffer,
    controlCode: number,
    receiveLength: number,
    callback: (error: Error | null | undefined, response: Buffer) => void,
  ): void;
  close(): void;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
}

/** The parts of pcsclite's PCSCLite context this adapter uses. */
interface NativeContext {
  on(type: 'reader', listener: (reader: NativeReader) => void): unknown;
  on(type: 'error', listener: (error: Error) => void): unknown;
  close(): void;
  readonly readers: Readonly<Record<string, NativeReader>>;
  /** Own property set by us before pcsclite's wrapper calls it on the next tick (see constructor). */
  start: (callback: (error: Error | null | undefined, data: Buffer) => void) => void;
}

interface ReaderEntry {
  readonly native: NativeReader;
  /** ATR of the present card; undefined when the reader is empty (or the card is mute). */
  atr: Uint8Array | undefined;
  /** Card-event counter from the high 16 bits of the state, to see a card swapped between polls. */
  events: number;
  statusKnown: boolean;
  connection: NativeConnection | undefined;
}

export interface NativePcscOptions {
  /** Longest wait at open for the reader list and each reader's first status, ms. Default 3000. */
  readonly settleMs?: number;
  /** Longest wait at close for calls still running in pcscd before readers are closed, ms. Default 10000. */
  readonly closeWaitMs?: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** PcscPort on pcscd through pcsclite; `NativePcsc.open()` creates one. */
export class NativePcsc implements PcscPort {
  readonly #context: NativeContext;
  readonly #entries = new Map<string, ReaderEntry>();
  readonly #observers = new Set<(event: PcscEvent) => void>();
  readonly #closeWaitMs: number;
  readonly #settled: Promise<void>;
  #failure: DriverError | undefined;
  #closed = false;

  /**
   * Opens a PC/SC context on pcscd and waits until the readers present now, and their cards, are known.
   * @throws {DeviceUnavailableError} when the pcsclite binding does not load or pcscd is not running.
   */
  static async open(options: NativePcscOptions = {}): Promise<NativePcsc> {
    let factory: () => unknown;
    try {
      factory = (await import('pcsclite')).default;
    } catch (cause) {
      // An addon compiled for another Node.js ABI says "did not self-register" or names the
      // NODE_MODULE_VERSION it wanted: the cure is a rebuild for this runtime, not a toolchain.
      const text = cause instanceof Error ? cause.message : String(cause);
      const otherAbi = /NODE_MODULE_VERSION|did not self-register/i.test(text);
      throw new DeviceUnavailableError(
        otherAbi
          ? `The pcsclite binding was built for another Node.js than this one (${process.version}): run \`npm run setup\`, which rebuilds it for the station's runtime`
          : 'The pcsclite binding did not load: install libpcsclite-dev and a C++ toolchain, then run `npm run setup`',
        { cause },
      );
    }
    let context: NativeContext;
    try {
      context = factory() as NativeContext;
    } catch (cause) {
      const error = classifyPcscError(cause, 'SCardEstablishContext');
      throw error instanceof DeviceUnavailableError
        ? error
        : new DeviceUnavailableError(`PC/SC cannot be used: ${error.message}`, { cause });
    }
    const port = new NativePcsc(context, options);
    try {
      await port.#settled;
    } catch (error) {
      await port.close();
      if (error instanceof DeviceUnavailableError) throw error;
      throw new DeviceUnavailableError(
        `PC/SC cannot list readers: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return port;
  }

  private constructor(context: NativeContext, options: NativePcscOptions) {
    this.#context = context;
    this.#closeWaitMs = options.closeWaitMs ?? 10_000;
    const settleMs = options.settleMs ?? 3000;
    let listed!: () => void;
    let listFailed!: (error: DriverError) => void;
    const firstList = new Promise<void>((resolve, reject) => {
      listed = resolve;
      listFailed = reject;
    });
    // pcsclite's wrapper calls context.start(cb) on the next tick and keeps the first reader list to
    // itself; an own `start` set now sees that first callback, so open() knows when the list is in.
    const start = context.start;
    context.start = (callback) =>
      start.call(context, (error, data) => {
        callback(error, data);
        if (error) listFailed(classifyPcscError(error, 'SCardListReaders'));
        else listed();
      });
    context.on('reader', (reader) => this.#addReader(reader));
    context.on('error', (error) => this.#fail(error));
    this.#settled = (async () => {
      const timer = delay(settleMs);
      let waiting = true;
      try {
        await Promise.race([firstList, timer.promise]);
        const statuses = async () => {
          while (waiting && [...this.#entries.values()].some((e) => !e.statusKnown))
            await new Promise((resolve) => setTimeout(resolve, 10));
        };
        await Promise.race([statuses(), timer.promise]);
      } finally {
        waiting = false;
        timer.cancel();
      }
    })();
    // A failure before anyone awaits is reported by open(); never an unhandled rejection.
    this.#settled.catch(() => undefined);
  }

  async listReaders(): Promise<readonly ReaderStatus[]> {
    this.#assertUsable();
    await this.#settled;
    this.#assertUsable();
    return [...this.#entries.entries()].map(([name, entry]) =>
      entry.atr === undefined
        ? { name, card: 'absent' as const }
        : { name, card: 'present' as const, atr: entry.atr.slice() },
    );
  }

  listen(observer: (event: PcscEvent) => void): () => void {
    if (this.#closed) throw new CanceledError('The PC/SC port is closed');
    return listenWithCatchUp(
      this.#observers,
      [...this.#entries].map(([name, entry]) => [name, entry.atr] as const),
      observer,
    );
  }

  async connect(reader: string, options: ConnectOptions): Promise<CardConnection> {
    this.#assertUsable();
    const entry = this.#entries.get(reader);
    if (!entry) throw new DisconnectedError(`No reader named ${reader}`, { devicePath: reader });
    if (entry.connection) {
      if (!entry.connection.endedBy())
        throw new BusyError(`${reader} is already connected`, { devicePath: reader });
      // The previous card's connection ended (card pulled); let its disconnect finish first.
      await entry.connection.disconnect('leave');
      this.#assertUsable();
      if (entry.connection) throw new BusyError(`${reader} is already connected`, { devicePath: reader });
    }
    const atr = entry.atr;
    if (!atr) throw new CardRemovedError(`No card in ${reader}: insert the card`, { devicePath: reader });
    const bits = options.protocols.reduce((sum, p) => sum | PROTOCOL_BITS[p], 0);
    if (bits === 0) throw new RangeError('connect needs at least one protocol');
    const { native } = entry;
    // pcsclite's connect() does nothing while `connected` is set; after a failed disconnect it can be stale.
    if (native.connected) native.connected = false;
    const shareMode = options.exclusive === false ? native.SCARD_SHARE_SHARED : native.SCARD_SHARE_EXCLUSIVE;
    const connection = new NativeConnection(this, entry, reader, atr);
    entry.connection = connection;
    try {
      const protocol = await new Promise<number>((resolve, reject) =>
        native.connect({ share_mode: shareMode, protocol: bits }, (error, p) =>
          error ? reject(classifyPcscError(error, 'SCardConnect', reader)) : resolve(p),
        ),
      );
      const name = (Object.keys(PROTOCOL_BITS) as CardProtocol[]).find((p) => PROTOCOL_BITS[p] === protocol);
      if (!name) {
        await connection.disconnect('leave');
        throw new ProtocolError(`${reader} connected with protocol ${protocol}, neither T=0 nor T=1`, {
          devicePath: reader,
        });
      }
      connection.connected(name, await this.#maxApduDataSize(native));
      const ended = connection.endedBy();
      if (ended) {
        // Closed or card pulled while connecting: a disconnect queued before the handle existed freed
        // nothing, so free the new handle now.
        await new Promise<void>((resolve) => native.disconnect(DISPOSITION.leave, () => resolve()));
        native.connected = false;
        throw ended;
      }
      return connection;
    } catch (error) {
      if (entry.connection === connection) entry.connection = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#observers.clear();
    const closing = [...this.#entries.values()].map((entry) => {
      entry.connection?.end(
        new CanceledError('The PC/SC port was closed', { devicePath: entry.native.name }),
      );
      return entry.connection?.disconnect('leave') ?? Promise.resolve();
    });
    const timer = delay(this.#closeWaitMs);
    await Promise.race([Promise.allSettled(closing), timer.promise]);
    timer.cancel();
    // Wait for the first reader list (open() may be closing a port that failed), then stop the threads.
    await this.#settled.catch(() => undefined);
    for (const reader of Object.values(this.#context.readers)) reader.close();
    this.#context.close();
    this.#entries.clear();
  }

  /** Detaches an entry's connection once it has disconnected. */
  release(entry: ReaderEntry, connection: NativeConnection): void {
    if (entry.connection === connection) entry.connection = undefined;
  }

  #assertUsable(): void {
    if (this.#closed) throw new CanceledError('The PC/SC port is closed');
    if (this.#failure) throw this.#failure;
  }

  #emit(event: PcscEvent): void {
    if (this.#closed) return;
    for (const observer of [...this.#observers]) observer(event);
  }

  #fail(error: Error): void {
    // SCardCancel on close makes the list thread report "Command cancelled": not a failure.
    if (this.#closed || this.#failure || pcscReturnCode(error) === SCARD.E_CANCELLED) return;
    const classified = classifyPcscError(error, 'SCardGetStatusChange');
    this.#failure =
      classified instanceof DeviceUnavailableError
        ? classified
        : new DeviceUnavailableError(`PC/SC stopped working: ${classified.message}; ${PCSCD_HINT}`, {
            cause: error,
          });
    for (const entry of this.#entries.values()) entry.connection?.end(this.#failure);
    this.#emit({ type: 'failed', error: this.#failure });
  }

  #addReader(native: NativeReader): void {
    const name = native.name;
    const entry: ReaderEntry = {
      native,
      atr: undefined,
      events: 0,
      statusKnown: false,
      connection: undefined,
    };
    this.#entries.set(name, entry);
    // An 'error' without a listener would throw from the EventEmitter; the reader then ends.
    native.on('error', () => undefined);
    native.on('status', (status) => this.#status(name, entry, status));
    native.on('end', () => {
      if (this.#entries.get(name) !== entry) return;
      this.#entries.delete(name);
      entry.connection?.end(new DisconnectedError(`The reader ${name} was removed`, { devicePath: name }));
      if (entry.atr) this.#emit({ type: 'card-removed', reader: name });
      this.#emit({ type: 'reader-removed', reader: name });
    });
    this.#emit({ type: 'reader-added', reader: name });
  }

  #status(name: string, entry: ReaderEntry, status: { state: number; atr?: Buffer }): void {
    entry.statusKnown = true;
    const present = (status.state & STATE_PRESENT) !== 0 && (status.state & STATE_MUTE) === 0;
    const atr = present && status.atr && status.atr.length > 0 ? new Uint8Array(status.atr) : undefined;
    const events = (status.state >>> 16) & 0xffff;
    const before = entry.atr;
    const swapped =
      before !== undefined && atr !== undefined && (events !== entry.events || !sameBytes(before, atr));
    entry.events = events;
    if (before && (!atr || swapped)) {
      entry.atr = undefined;
      entry.connection?.end(new CardRemovedError(`The card was removed from ${name}`, { devicePath: name }));
      this.#emit({ type: 'card-removed', reader: name });
    }
    if (atr && (!before || swapped)) {
      entry.atr = atr;
      this.#emit({ type: 'card-inserted', reader: name, atr: atr.slice() });
    }
  }

  /** dwMaxAPDUDataSize through SCardControl, or undefined when the reader does not tell. */
  async #maxApduDataSize(native: NativeReader): Promise<number | undefined> {
    const control = (code: number) =>
      new Promise<Uint8Array | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), CONTROL_TIMEOUT_MS);
        native.control(Buffer.alloc(0), code, CONTROL_MAX, (error, answer) => {
          clearTimeout(timer);
          resolve(error || !answer ? undefined : new Uint8Array(answer));
        });
      });
    const features = await control(CM_IOCTL_GET_FEATURE_REQUEST);
    const code = features && featureControlCode(features, FEATURE_GET_TLV_PROPERTIES);
    if (code === undefined) return undefined;
    const properties = await control(code);
    return properties && tlvProperty(properties, PROPERTY_MAX_APDU_DATA_SIZE);
  }
}

class NativeConnection implements CardConnection {
  readonly reader: string;
  readonly atr: Uint8Array;
  protocol: CardProtocol = 'T1';
  maxApduDataSize: number | undefined;
  readonly #port: NativePcsc;
  readonly #entry: ReaderEntry;
  /** Why the connection ended (card removed, closed, reader gone); later calls reject with it. */
  #ended: DriverError | undefined;
  readonly #waiters = new Set<(error: DriverError) => void>();
  /** The native call still running in pcscd, also after its caller timed out. */
  #inFlight: Promise<void> | undefined;
  #busy = false;
  #disconnecting: Promise<void> | undefined;

  constructor(port: NativePcsc, entry: ReaderEntry, reader: string, atr: Uint8Array) {
    this.#port = port;
    this.#entry = entry;
    this.reader = reader;
    this.atr = atr.slice();
  }

  connected(protocol: CardProtocol, maxApduDataSize: number | undefined): void {
    this.protocol = protocol;
    this.maxApduDataSize = maxApduDataSize;
  }

  /** Why the connection ended, if it has. */
  endedBy(): DriverError | undefined {
    return this.#ended;
  }

  /** Ends the connection from the outside: pending and later transmits reject with `error`. */
  end(error: DriverError): void {
    this.#ended ??= error;
    for (const waiter of [...this.#waiters]) waiter(error);
  }

  async transmit(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array> {
    if (this.#ended) throw this.#ended;
    if (this.#busy)
      throw new BusyError(`One exchange at a time on ${this.reader}`, { devicePath: this.reader });
    this.#busy = true;
    try {
      return await this.#bounded(options.timeoutMs, async (remaining) => {
        // An abandoned (timed-out) exchange still holds the reader; wait for it first.
        await this.#inFlight;
        if (this.#ended) throw this.#ended;
        if (remaining() <= 0) throw this.#timeout(options.timeoutMs);
        return await this.#native(apdu);
      });
    } finally {
      this.#busy = false;
    }
  }

  async disconnect(disposition: Disposition = 'reset'): Promise<void> {
    this.#disconnecting ??= (async () => {
      this.end(new CanceledError(`The connection to ${this.reader} was closed`, { devicePath: this.reader }));
      const { native } = this.#entry;
      await new Promise<void>((resolve) =>
        native.disconnect(DISPOSITION[disposition], (error) => {
          // A stale handle (card gone, pcscd restarted) must not block the next connect.
          if (error) native.connected = false;
          resolve();
        }),
      );
      this.#port.release(this.#entry, this);
    })();
    return this.#disconnecting;
  }

  #native(apdu: Uint8Array): Promise<Uint8Array> {
    const { native } = this.#entry;
    const call = new Promise<Uint8Array>((resolve, reject) =>
      native.transmit(Buffer.from(apdu), RECEIVE_MAX, PROTOCOL_BITS[this.protocol], (error, response) => {
        if (error) reject(classifyPcscError(error, 'SCardTransmit', this.reader));
        else resolve(new Uint8Array(response));
      }),
    );
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight = settled;
    void settled.then(() => {
      if (this.#inFlight === settled) this.#inFlight = undefined;
    });
    return call;
  }

  #timeout(timeoutMs: number): DeviceTimeoutError {
    return new DeviceTimeoutError(
      timeoutMs,
      `The card in ${this.reader} did not answer within ${timeoutMs} ms`,
      {
        devicePath: this.reader,
      },
    );
  }

  /** Runs `work` until it settles, `timeoutMs` passes, or the connection ends. */
  #bounded<T>(timeoutMs: number, work: (remaining: () => number) => Promise<T>): Promise<T> {
    const started = performance.now();
    return new Promise<T>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(onEnd);
      };
      const onEnd = (error: DriverError) => {
        finish();
        reject(error);
      };
      const timer = setTimeout(() => {
        finish();
        reject(this.#timeout(timeoutMs));
      }, timeoutMs);
      this.#waiters.add(onEnd);
      work(() => timeoutMs - (performance.now() - started)).then(
        (value) => {
          finish();
          resolve(value);
        },
        (error: unknown) => {
          finish();
          reject(error);
        },
      );
    });
  }
}
