/**
 * The card side of vsmartcard's vpcd protocol (reference/icao9303.md section 9), so a simulated card
 * sits in a real pcscd reader ("Virtual PCD 00 00") and the production PC/SC path is tested end to end.
 *
 * vpcd (the ifd-vpcd driver inside pcscd) listens on TCP 35963 for slot 0 and 35964 for slot 1; the
 * card connects as a client (`insert()`), and closing the socket removes it (`remove()`). Messages in
 * both directions are framed by a 2-byte big-endian length. A 1-byte message from vpcd is a control
 * byte: 00 power off, 01 power on, 02 reset (no reply), 04 ATR request (reply: the ATR). Anything
 * longer is a command APDU, answered with one framed response APDU. vpcd polls presence by asking for
 * the ATR every 400 ms or so, in any power state, and sends nothing else while it waits for an answer.
 *
 * Also here, shared with the in-process PC/SC simulator: the card application type, and
 * `SimulatedCard`, the card's behaviour around it (latency, T=0 procedure bytes, traces, pulling the
 * card in the middle of an APDU).
 */
import { connect, type Socket } from 'node:net';
import { CanceledError, DeviceUnavailableError, ProtocolError } from '../../drivers/errors.ts';
import type { CardProtocol } from '../../drivers/smartcard/port.ts';
import { decodeCommand } from '../../protocol/iso7816/apdu.ts';
import { sleep } from '../sleep.ts';

/** A card application: takes a command APDU, answers data + SW1 SW2. */
export type CardApplication = (apdu: Uint8Array) => Promise<Uint8Array> | Uint8Array;

export interface ApduTrace {
  /** 1-based count of APDUs since the card was inserted. */
  readonly index: number;
  readonly command: Uint8Array;
  /** The answer sent; undefined when the card was pulled instead of answering. */
  readonly response: Uint8Array | undefined;
  /** What the application threw, when it did (the card then answered 6F00). */
  readonly error?: unknown;
}

/** T=0 procedure bytes the card sends itself (ISO/IEC 7816-3 10.3.3, 7816-4 5.3.4). */
export interface T0Behaviour {
  /** Answer a command with data or without Le (cases 1, 3, 4) that returns data with 61xx, then serve the data by GET RESPONSE. Default true. */
  readonly getResponse?: boolean;
  /** Answer a case 2 command whose Le differs from the data length (up to 256) with 6Cxx. Default true. */
  readonly wrongLe?: boolean;
  /** Most bytes announced by one 61xx, 1..256; smaller forces more GET RESPONSE rounds. Default 256. */
  readonly chunk?: number;
}

export interface SimulatedCardOptions {
  readonly atr: Uint8Array;
  readonly application: CardApplication;
  /** Delay before each answer, ms (a slow card). Default 0. */
  readonly latencyMs?: number;
  /** Emulate T=0 procedure bytes. Default: on when the ATR offers only T=0, with every behaviour on. */
  readonly t0?: boolean | T0Behaviour;
  /** Called once per APDU with the command and the answer. */
  readonly onApdu?: (trace: ApduTrace) => void;
  /** Pull the card when its N-th APDU since insertion arrives (1-based), without answering it. */
  readonly removeDuringApdu?: number;
  /** Power events from the reader (vpcd control bytes 00/01/02), e.g. to drop session keys on reset. */
  readonly onPower?: (event: 'on' | 'off' | 'reset') => void;
}

/**
 * Protocols an ATR offers (ISO/IEC 7816-3 8.2.3): the T of each TDi, in order; T=0 when there is no
 * TD1 (or only T=15 global bytes). Never throws; a truncated ATR yields what was read.
 */
export function atrProtocols(atr: Uint8Array): CardProtocol[] {
  const found: CardProtocol[] = [];
  // Y1 is the high nibble of T0 (byte 1); each TDi's high nibble says which of TA..TD follow.
  let y = (atr[1] ?? 0) >> 4;
  let offset = 2;
  for (;;) {
    offset += (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1);
    if ((y & 8) === 0) break;
    const td = atr[offset];
    if (td === undefined) break;
    offset += 1;
    const t = td & 0x0f;
    if (t === 0 && !found.includes('T0')) found.push('T0');
    if (t === 1 && !found.includes('T1')) found.push('T1');
    y = td >> 4;
  }
  return found.length > 0 ? found : ['T0'];
}

const SW_NO_PRECISE_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);

function concat(data: Uint8Array, sw1: number, sw2: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw1;
  out[data.length + 1] = sw2;
  return out;
}

/** The card's half of the T=0 procedure: 61xx with GET RESPONSE, and 6Cxx. */
class T0Procedure {
  readonly #getResponse: boolean;
  readonly #wrongLe: boolean;
  readonly #chunk: number;
  /** Answer data waiting for GET RESPONSE, and the status word that ends it. */
  #pending: { data: Uint8Array; offset: number; sw1: number; sw2: number } | undefined;

  constructor(behaviour: T0Behaviour) {
    this.#getResponse = behaviour.getResponse ?? true;
    this.#wrongLe = behaviour.wrongLe ?? true;
    const chunk = behaviour.chunk ?? 256;
    if (!Number.isInteger(chunk) || chunk < 1 || chunk > 256)
      throw new RangeError(`T=0 chunk must be 1..256, got ${chunk}`);
    this.#chunk = chunk;
  }

  reset(): void {
    this.#pending = undefined;
  }

  async exchange(
    apdu: Uint8Array,
    application: (apdu: Uint8Array) => Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    const decoded = decodeCommand(apdu);
    const pending = this.#pending;
    this.#pending = undefined;
    if (!decoded.ok) return application(apdu);
    const command = decoded.value;
    if (pending && command.ins === 0xc0 && command.p1 === 0 && command.p2 === 0 && command.data.length === 0)
      return this.#serve(pending, command.le ?? 256);
    const response = await application(apdu);
    if (response.length <= 2) return response;
    const data = response.subarray(0, response.length - 2);
    const sw1 = response[response.length - 2] ?? 0;
    const sw2 = response[response.length - 1] ?? 0;
    const caseTwo = command.data.length === 0 && command.le !== undefined;
    if (!caseTwo && this.#getResponse) {
      // T=0 has no Le in a case 4 TPDU: the card can only say how much it holds.
      this.#pending = { data: data.slice(), offset: 0, sw1, sw2 };
      return this.#announce(data.length);
    }
    if (caseTwo && this.#wrongLe && !command.extended && data.length !== command.le && data.length <= 256)
      return Uint8Array.of(0x6c, data.length & 0xff);
    return response;
  }

  #announce(remaining: number): Uint8Array {
    return Uint8Array.of(0x61, Math.min(remaining, this.#chunk) & 0xff);
  }

  #serve(pending: { data: Uint8Array; offset: number; sw1: number; sw2: number }, le: number): Uint8Array {
    const end = Math.min(pending.offset + le, pending.data.length);
    const part = pending.data.subarray(pending.offset, end);
    const remaining = pending.data.length - end;
    if (remaining === 0) return concat(part, pending.sw1, pending.sw2);
    this.#pending = { ...pending, offset: end };
    const announce = this.#announce(remaining);
    return concat(part, announce[0] ?? 0x61, announce[1] ?? 0);
  }
}

/**
 * A card's behaviour around its application: counts APDUs, waits `latencyMs`, speaks T=0 procedure
 * bytes, traces, and decides when the card is pulled. The transports (VpcdLink, InProcessPcsc) carry
 * its answers. `latencyMs`, `removeDuringApdu` and `pullWhen` can be changed at run time (scenarios).
 */
export class SimulatedCard {
  readonly options: SimulatedCardOptions;
  readonly atr: Uint8Array;
  readonly protocols: readonly CardProtocol[];
  latencyMs: number;
  removeDuringApdu: number | undefined;
  /** Pull the card instead of answering when this returns true (index is 1-based since insertion). */
  pullWhen: ((apdu: Uint8Array, index: number) => boolean) | undefined;
  readonly #t0: T0Procedure | undefined;
  #count = 0;

  constructor(options: SimulatedCardOptions) {
    if (options.atr.length < 2 || options.atr.length > 33)
      throw new RangeError(`an ATR has 2..33 bytes, got ${options.atr.length}`);
    this.options = options;
    this.atr = options.atr.slice();
    this.protocols = atrProtocols(this.atr);
    this.latencyMs = options.latencyMs ?? 0;
    this.removeDuringApdu = options.removeDuringApdu;
    const t0 = options.t0 ?? (this.protocols.length === 1 && this.protocols[0] === 'T0');
    this.#t0 = t0 === false ? undefined : new T0Procedure(t0 === true ? {} : t0);
  }

  /** APDUs received since the card was inserted. */
  get apduCount(): number {
    return this.#count;
  }

  /** The card went into a reader: counting starts again. */
  inserted(): void {
    this.#count = 0;
    this.#t0?.reset();
  }

  power(event: 'on' | 'off' | 'reset'): void {
    this.#t0?.reset();
    this.options.onPower?.(event);
  }

  /**
   * Answers one command APDU, or says 'pulled' when the card leaves the reader now instead.
   * An application that throws or answers fewer than 2 bytes makes the card answer 6F00.
   * @throws {CanceledError} when `signal` fires (the card was removed while it worked).
   */
  async process(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array | 'pulled'> {
    const index = ++this.#count;
    const command = apdu.slice();
    if (this.removeDuringApdu === index || this.pullWhen?.(command, index)) {
      this.options.onApdu?.({ index, command, response: undefined });
      return 'pulled';
    }
    if (this.latencyMs > 0) await sleep(this.latencyMs, signal);
    if (signal?.aborted) throw new CanceledError('The card was removed while answering');
    let response: Uint8Array;
    let failure: unknown;
    try {
      const run = async (bytes: Uint8Array) => {
        const answer = await this.options.application(bytes);
        if (!(answer instanceof Uint8Array) || answer.length < 2)
          throw new TypeError('the card application must answer at least SW1 SW2');
        return answer;
      };
      response = this.#t0 ? await this.#t0.exchange(command, run) : await run(command);
    } catch (error) {
      failure = error;
      response = SW_NO_PRECISE_DIAGNOSIS.slice();
    }
    if (signal?.aborted) throw new CanceledError('The card was removed while answering');
    this.options.onApdu?.({
      index,
      command,
      response: response.slice(),
      ...(failure === undefined ? {} : { error: failure }),
    });
    return response;
  }
}

/** Largest vpcd payload: the length field is 16 bits (vpcd.c, sendToVICC/recvFromVICC). */
export const VPCD_MAX_PAYLOAD = 0xffff;

/**
 * One vpcd message on the wire:
 *
 * | field   | bytes  | meaning                                 |
 * |---------|--------|-----------------------------------------|
 * | length  | 2      | payload length, big-endian, 1..65535    |
 * | payload | length | control byte (length 1) or an APDU      |
 *
 * @throws {RangeError} for an empty payload or one over 65535 bytes.
 */
export function encodeVpcdFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload.length > VPCD_MAX_PAYLOAD)
    throw new RangeError(`a vpcd payload has 1..${VPCD_MAX_PAYLOAD} bytes, got ${payload.length}`);
  const frame = new Uint8Array(payload.length + 2);
  frame[0] = payload.length >> 8;
  frame[1] = payload.length & 0xff;
  frame.set(payload, 2);
  return frame;
}

/**
 * Reassembles vpcd frames from TCP chunks of any size. The body buffer is allocated once per frame
 * from its length field, so it never exceeds 65535 bytes; an empty frame is an error (vpcd never
 * sends one).
 */
export class VpcdFrameReader {
  readonly #header = new Uint8Array(2);
  #headerFilled = 0;
  #body: Uint8Array | undefined;
  #filled = 0;

  /** Folds one chunk in; returns the frames it completed, or the reason the stream is broken. */
  push(chunk: Uint8Array): { frames: Uint8Array[]; error?: string } {
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.#body) {
        const take = Math.min(2 - this.#headerFilled, chunk.length - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
        this.#headerFilled += take;
        offset += take;
        if (this.#headerFilled < 2) break;
        const length = ((this.#header[0] ?? 0) << 8) | (this.#header[1] ?? 0);
        this.#headerFilled = 0;
        if (length === 0) return { frames, error: 'vpcd sent an empty frame' };
        this.#body = new Uint8Array(length);
        this.#filled = 0;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#filled, chunk.length - offset);
      body.set(chunk.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === body.length) {
        frames.push(body);
        this.#body = undefined;
      }
    }
    return { frames };
  }
}

/** vpcd control bytes (vpcd.h). */
const CTRL_OFF = 0x00;
const CTRL_ON = 0x01;
const CTRL_RESET = 0x02;
const CTRL_ATR = 0x04;

/** vpcd answers one message at a time; more than this many waiting means the stream is broken. */
const MAX_QUEUED_MESSAGES = 16;

export interface VpcdLinkOptions extends SimulatedCardOptions {
  /** Where pcscd's vpcd listens. Default 127.0.0.1. */
  readonly host?: string;
  /** 35963 for "Virtual PCD 00 00", 35964 for "... 00 01". Default 35963. */
  readonly port?: number;
  /** Longest wait in insert() for vpcd to take the card and ask for its ATR, ms. Default 10000. */
  readonly insertTimeoutMs?: number;
  /** Pause between connection attempts while nothing listens, ms. Default 100. */
  readonly retryMs?: number;
  /** Failures of the link itself (a malformed frame from vpcd, an answer too long to frame). */
  readonly onError?: (error: Error) => void;
}

export type VpcdLinkState = 'removed' | 'inserting' | 'inserted';

/** A simulated card in a vpcd virtual reader. */
export class VpcdLink {
  readonly card: SimulatedCard;
  readonly #options: VpcdLinkOptions;
  readonly #host: string;
  readonly #port: number;
  #state: VpcdLinkState = 'removed';
  #socket: Socket | undefined;
  /** Fires when the current insertion ends: cancels connection retries and a slow answer. */
  #abort: AbortController | undefined;
  #closed: Promise<void> = Promise.resolve();
  #queue: Uint8Array[] = [];
  #draining = false;
  #atrAsked: (() => void) | undefined;

  constructor(options: VpcdLinkOptions) {
    this.#options = options;
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 35963;
    this.card = new SimulatedCard(options);
  }

  state(): VpcdLinkState {
    return this.#state;
  }

  /** Resolves once the card is out of the reader (removed, pulled, or the link dropped by vpcd). */
  whenRemoved(): Promise<void> {
    return this.#closed;
  }

  /**
   * Puts the card in the reader: connects to vpcd (retrying while nothing listens) and resolves once
   * vpcd has asked for the ATR, so pcscd reports the card within its next poll.
   * @throws {DeviceUnavailableError} when vpcd does not take the card within `insertTimeoutMs`.
   * @throws {CanceledError} when `remove()` is called meanwhile.
   * @throws {Error} when the card is already inserted.
   */
  async insert(): Promise<void> {
    if (this.#state !== 'removed') throw new Error(`The card is already ${this.#state}`);
    this.#state = 'inserting';
    const abort = new AbortController();
    this.#abort = abort;
    this.card.inserted();
    const timeoutMs = this.#options.insertTimeoutMs ?? 10_000;
    const where = `${this.#host}:${this.#port}`;
    const timer = setTimeout(() => abort.abort('timeout'), timeoutMs);
    let connected = false;
    try {
      const socket = await this.#connect(abort.signal);
      connected = true;
      const asked = new Promise<void>((resolve) => {
        this.#atrAsked = resolve;
      });
      this.#attach(socket, abort);
      await new Promise<void>((resolve, reject) => {
        const onAbort = () =>
          reject(
            new CanceledError(
              abort.signal.reason === 'closed'
                ? `vpcd on ${where} closed the connection while the card was being inserted`
                : 'The card was removed while being inserted',
            ),
          );
        if (abort.signal.aborted) return onAbort();
        abort.signal.addEventListener('abort', onAbort, { once: true });
        void asked.then(() => {
          abort.signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
      this.#state = 'inserted';
    } catch (error) {
      const timedOut = abort.signal.reason === 'timeout';
      abort.abort('failed');
      this.#socket?.destroy();
      await this.#closed;
      this.#state = 'removed';
      if (!timedOut) throw error;
      throw new DeviceUnavailableError(
        !connected
          ? `Nothing accepted the virtual card on ${where} within ${timeoutMs} ms: is pcscd running with vsmartcard-vpcd? Run \`bash scripts/setup-system.sh --test\``
          : `vpcd on ${where} took the connection but never asked for the ATR within ${timeoutMs} ms: is another virtual card in that reader?`,
        { devicePath: where, cause: error },
      );
    } finally {
      clearTimeout(timer);
      this.#atrAsked = undefined;
    }
  }

  /** Takes the card out (closes the connection); resolves once it is closed. Safe to call twice. */
  async remove(): Promise<void> {
    this.#abort?.abort('removed');
    this.#socket?.destroy();
    await this.#closed;
  }

  async #connect(signal: AbortSignal): Promise<Socket> {
    for (;;) {
      if (signal.aborted) throw new CanceledError('The card was removed while being inserted');
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const attempt = connect({ host: this.#host, port: this.#port });
        const onAbort = () => attempt.destroy();
        signal.addEventListener('abort', onAbort, { once: true });
        attempt.once('connect', () => {
          signal.removeEventListener('abort', onAbort);
          attempt.removeAllListeners('error');
          resolve(attempt);
        });
        attempt.once('error', () => {
          signal.removeEventListener('abort', onAbort);
          resolve(undefined);
        });
        attempt.once('close', () => resolve(undefined));
      });
      if (socket) return socket;
      await sleep(this.#options.retryMs ?? 100, signal).catch(() => undefined);
    }
  }

  #attach(socket: Socket, abort: AbortController): void {
    this.#socket = socket;
    socket.setNoDelay(true);
    const reader = new VpcdFrameReader();
    this.#queue = [];
    this.#closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        abort.abort('closed');
        this.#queue = [];
        if (this.#socket === socket) this.#socket = undefined;
        if (this.#state === 'inserted') this.#state = 'removed';
        resolve();
      });
    });
    socket.on('error', () => undefined); // 'close' follows; a reset by vpcd is a removal.
    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#queue.push(...frames);
      if (error !== undefined || this.#queue.length > MAX_QUEUED_MESSAGES) {
        this.#fail(
          new ProtocolError(error ?? `vpcd sent ${this.#queue.length} messages without waiting for answers`),
        );
        return;
      }
      if (!this.#draining) void this.#drain(socket, abort.signal);
    });
  }

  #fail(error: Error): void {
    this.#options.onError?.(error);
    this.#socket?.destroy();
  }

  /** Answers vpcd's messages one at a time, in order. */
  async #drain(socket: Socket, signal: AbortSignal): Promise<void> {
    this.#draining = true;
    try {
      for (let message = this.#queue.shift(); message; message = this.#queue.shift()) {
        if (signal.aborted) return;
        if (message.length === 1) this.#control(socket, message[0] ?? 0);
        else if (!(await this.#apdu(socket, message, signal))) return;
      }
    } finally {
      this.#draining = false;
    }
  }

  #control(socket: Socket, byte: number): void {
    switch (byte) {
      case CTRL_ATR:
        socket.write(encodeVpcdFrame(this.card.atr));
        this.#atrAsked?.();
        break;
      case CTRL_ON:
        this.card.power('on');
        break;
      case CTRL_OFF:
        this.card.power('off');
        break;
      case CTRL_RESET:
        this.card.power('reset');
        break;
      default:
        this.#options.onError?.(new ProtocolError(`vpcd sent unknown control byte 0x${byte.toString(16)}`));
    }
  }

  /** Answers one APDU; false when the card left the reader instead. */
  async #apdu(socket: Socket, apdu: Uint8Array, signal: AbortSignal): Promise<boolean> {
    let answer: Uint8Array | 'pulled';
    try {
      answer = await this.card.process(apdu, signal);
    } catch {
      return false; // removed while answering
    }
    if (answer === 'pulled') {
      socket.destroy();
      return false;
    }
    if (answer.length > VPCD_MAX_PAYLOAD) {
      this.#options.onError?.(
        new RangeError(`The card's answer of ${answer.length} bytes does not fit a vpcd frame; sent 6F00`),
      );
      answer = SW_NO_PRECISE_DIAGNOSIS.slice();
    }
    socket.write(encodeVpcdFrame(answer));
    return true;
  }
}
