/**
 * The R30x / ZFM / AS608 serial fingerprint module behind the FingerprintScanner interface
 * (protocol/r30x/README.md). Single flat captures of 256 x 288 pixels at 500 ppi, 4 bits per pixel
 * on the wire; the images carry no device attestation, so they are marked verification-only.
 *
 * The module is half duplex and has no cancel: once UpImage starts it sends the whole image. The
 * driver therefore resynchronises by draining the line until it is quiet, then checks the module
 * still answers (VfyPwd). A serial line that goes quiet looks the same as a module that stalled,
 * so silence is a DeviceTimeoutError; a USB-serial adapter pulled out is a DisconnectedError.
 * A capture on a scanner that dropped off reopens the line first.
 *
 * Unplug and re-plug while idle: the line tells the driver it went away (SerialLink.onDisconnect:
 * serialport's 'close' event when the adapter is pulled), so the state is `disconnected` at once and
 * the dead line is closed. While disconnected the driver tries to reopen the line every `watchMs`
 * (a missing /dev/ttyUSB0 is DEVICE_NOT_FOUND and leaves it disconnected); once the line opens it
 * verifies the password and reads the parameters again, so the first capture after a re-plug works.
 *
 * Password: a module whose password differs from the configured one answers VfyPwd with 0x13;
 * that is a DeviceReportedError WRONG_PASSWORD naming the setting to fix, and the scanner stays in
 * `error` until the password matches. A module that lost its verification (it was power-cycled
 * behind our back) answers 0x21 to other instructions: the driver verifies again and retries once.
 */

import {
  type Ack,
  AuraColour,
  type AuraControlName,
  ConfirmationCode,
  DEFAULT_ADDRESS,
  DEFAULT_BAUD,
  DEFAULT_PASSWORD,
  decodeAck,
  decodeSystemParameters,
  encodeAuraLedParams,
  encodeCommand,
  encodePasswordParams,
  foldBytes,
  foldEnd,
  foldImagePacket,
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
  type ImageCollection,
  Instruction,
  imageTransferBytes,
  type Packet,
  Pid,
  STREAM_START,
  type StreamState,
  type SystemParameters,
  serialTimeMs,
  startImage,
  unpackImage4bpp,
} from '../../protocol/r30x/packet.ts';
import type { DecodeError } from '../../protocol/result.ts';
import { MAX_CAPTURE_TIMEOUT_MS } from '../../protocol/scanner/commands.ts';
import type { DeviceMode, DeviceState } from '../device.ts';
import { DeviceStateHolder } from '../device.ts';
import {
  BusyError,
  CanceledError,
  DeviceReportedError,
  DeviceTimeoutError,
  DisconnectedError,
  DriverError,
  IntegrityError,
  notReadyError,
  ProtocolError,
  stateAfterLoss,
  throwIfAborted,
} from '../errors.ts';
import type {
  CapturedImage,
  CaptureEvent,
  CaptureOptions,
  FingerprintScanner,
  ScannerDescription,
} from './scanner.ts';
import type { SerialLink, SerialOpener } from './serial-port.ts';

export interface R30xTimeouts {
  /**
   * Longest wait for an acknowledge after the command left, ms, on top of the command's own time
   * on the wire. GenImg takes the sensor a few hundred ms on real modules.
   */
  readonly answerMs: number;
  /** Longest silence between two image data packets, ms. */
  readonly packetMs: number;
}

export const DEFAULT_R30X_TIMEOUTS: R30xTimeouts = { answerMs: 2000, packetMs: 500 };

export interface R30xScannerOptions {
  readonly id: string;
  readonly mode: DeviceMode;
  readonly opener: SerialOpener;
  /** Serial line, e.g. /dev/ttyUSB0. */
  readonly path: string;
  /** Line speed, bit/s: 9600 x N for N = 1 .. 12 (default 57,600, the factory setting). */
  readonly baudRate?: number;
  /** Module address (default 0xFFFFFFFF). */
  readonly address?: number;
  /** Module password (default 0). */
  readonly password?: number;
  /** Sensor resolution, ppi (500 on the R30x family). */
  readonly ppi?: number;
  /** Model label for /health and the image's device record (default 'R30x'). */
  readonly model?: string;
  readonly timeouts?: Partial<R30xTimeouts>;
  /** How often a disconnected module's line is tried again, ms (default 500). */
  readonly watchMs?: number;
}

/** Default of R30xScannerOptions.watchMs, ms. */
export const DEFAULT_R30X_WATCH_MS = 500;

/** The configuration key that holds the module's password, for messages that say what to fix. */
const PASSWORD_SETTING = 'devices.fingerprintSerial.password';

/** Read slice: reads wait at most this long, so an abort is noticed within it, ms. */
const READ_SLICE_MS = 50;
/** The line counts as drained after this much silence, ms. */
const QUIET_MS = 150;

/** Confirmation codes of GenImg that mean "try again" rather than "give up". */
const RETRY_CODES = new Set(['NO_FINGER']);

export class R30xFingerprintScanner implements FingerprintScanner {
  readonly id: string;
  readonly family = 'fingerprint-serial' as const;
  readonly mode: DeviceMode;
  readonly #options: R30xScannerOptions;
  readonly #timeouts: R30xTimeouts;
  readonly #baud: number;
  readonly #address: number;
  readonly #state = new DeviceStateHolder({ status: 'closed' });
  #link: SerialLink | undefined;
  #rx: StreamState = STREAM_START;
  readonly #packets: Packet[] = [];
  #params: SystemParameters | undefined;
  #busy = false;
  #closed = true;
  #opening: Promise<void> | undefined;
  #recovering: Promise<void> | undefined;
  #unlisten: (() => void) | undefined;
  #watch: ReturnType<typeof setInterval> | undefined;
  /** The line went away while an exchange held the module; dropped when the exchange ends. */
  #lostWhileBusy: DisconnectedError | undefined;

  /** @throws {RangeError} for a baud rate that is not 9600 x N, N = 1 .. 12. */
  constructor(options: R30xScannerOptions) {
    this.id = options.id;
    this.mode = options.mode;
    this.#options = options;
    this.#timeouts = { ...DEFAULT_R30X_TIMEOUTS, ...options.timeouts };
    this.#baud = options.baudRate ?? DEFAULT_BAUD;
    const n = this.#baud / 9600;
    if (!Number.isInteger(n) || n < 1 || n > 12)
      throw new RangeError(`baud rate ${this.#baud}: R30x modules run at 9600 x N bit/s, N = 1 .. 12`);
    this.#address = options.address ?? DEFAULT_ADDRESS;
  }

  state(): DeviceState {
    return this.#state.get();
  }

  onStateChange(listener: (state: DeviceState) => void): () => void {
    return this.#state.subscribe(listener);
  }

  /** The module's parameter block, as read at open. */
  systemParameters(): SystemParameters | undefined {
    return this.#params;
  }

  describe(): ScannerDescription | undefined {
    const params = this.#params;
    if (!params) return undefined;
    return {
      vendor: 'R30x-compatible',
      model: this.#options.model ?? 'R30x',
      serial: `${this.#options.path}@${this.#address.toString(16).padStart(8, '0')}`,
      firmware: `system id 0x${params.systemId.toString(16).padStart(4, '0')}`,
      ppi: this.#options.ppi ?? 500,
      captureWidth: IMAGE_WIDTH,
      captureHeight: IMAGE_HEIGHT,
      fap: 0,
      modes: ['flat-single'],
      use: 'verification-only',
    };
  }

  async open(): Promise<void> {
    this.#closed = false;
    if (!this.#watch) {
      this.#watch = setInterval(() => this.#watchTick(), this.#options.watchMs ?? DEFAULT_R30X_WATCH_MS);
      // Watching must not keep the process alive on its own.
      this.#watch.unref();
    }
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
    await this.#recovering;
    this.#unlisten?.();
    this.#unlisten = undefined;
    const link = this.#link;
    this.#link = undefined;
    await link?.close().catch(() => undefined);
    this.#state.set({ status: 'closed' });
  }

  #connect(): Promise<void> {
    this.#opening ??= this.#doConnect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /** Opens the line, verifies the password and reads the parameter block. Never rejects. */
  async #doConnect(): Promise<void> {
    this.#lostWhileBusy = undefined;
    try {
      // 'opening' only once the line is there: a module still unplugged stays disconnected,
      // without a state event per attempt.
      const link = await this.#options.opener.open(this.#options.path, this.#baud);
      if (this.#closed) {
        await link.close();
        return;
      }
      this.#state.set({ status: 'opening' });
      this.#link = link;
      this.#unlisten?.();
      this.#unlisten = link.onDisconnect((error) => {
        if (this.#link === link) this.#lost(error);
      });
      this.#rx = STREAM_START;
      this.#packets.length = 0;
      // A module that was mid-transfer when we (re)opened: let it finish first.
      await this.#drain();
      await this.#verifyPassword(undefined);
      const ack = await this.#command(Instruction.ReadSysPara, new Uint8Array(), undefined);
      this.#requireOk(ack, 'ReadSysPara');
      const params = decodeSystemParameters(ack.data);
      if (!params.ok)
        throw new ProtocolError(`ReadSysPara answer: ${params.error.detail}`, { devicePath: link.path });
      this.#params = params.value;
      this.#state.set({
        status: 'ready',
        detail: {
          model: this.#options.model ?? 'R30x',
          ppi: this.#options.ppi ?? 500,
          baud: this.#baud,
          packetSize: params.value.packetSize,
          use: 'verification-only',
        },
      });
    } catch (error) {
      await this.#drop(error);
    }
  }

  /**
   * Turns a failure into state (before the line is closed, so nobody starts an exchange on a dead
   * line meanwhile). A module already disconnected keeps its first reason.
   */
  async #drop(error: unknown): Promise<void> {
    const link = this.#link;
    this.#link = undefined;
    this.#unlisten?.();
    this.#unlisten = undefined;
    const next = stateAfterLoss(error);
    if (!this.#closed && !(next.status === 'disconnected' && this.#state.get().status === 'disconnected'))
      this.#state.set(next);
    await link?.close().catch(() => undefined);
  }

  /**
   * The line went away by itself. A ready module drops at once; one busy in an exchange drops when
   * the exchange ends, if the exchange's own reads did not notice first.
   */
  #lost(error: DisconnectedError): void {
    if (this.#closed) return;
    if (this.#busy) this.#lostWhileBusy = error;
    else if (this.#state.get().status === 'ready') void this.#drop(error);
  }

  /** Ends an exchange: frees the module, and drops it if its line went away meanwhile. */
  #release(): void {
    this.#busy = false;
    const lost = this.#lostWhileBusy;
    this.#lostWhileBusy = undefined;
    if (lost && this.#state.get().status === 'ready') void this.#drop(lost);
  }

  /** Every `watchMs`: tries to reopen a disconnected module, unless an exchange or an open runs. */
  #watchTick(): void {
    if (this.#closed || this.#busy || this.#opening) return;
    if (this.#state.get().status === 'disconnected') void this.#connect();
  }

  #requireLink(): SerialLink {
    const link = this.#link;
    if (link) return link;
    throw notReadyError(`Scanner ${this.id}`, this.#state.get());
  }

  /**
   * VfyPwd with the configured password.
   * @throws {DeviceReportedError} WRONG_PASSWORD when the module holds another password (0x13).
   */
  async #verifyPassword(signal: AbortSignal | undefined): Promise<void> {
    const ack = await this.#exchangeOnce(
      Instruction.VfyPwd,
      encodePasswordParams(this.#options.password ?? DEFAULT_PASSWORD),
      signal,
    );
    if (ack.code === ConfirmationCode.WRONG_PASSWORD)
      throw new DeviceReportedError(
        'WRONG_PASSWORD',
        `The fingerprint module at ${this.#options.path} refused the password (VfyPwd answered 0x13): set ${PASSWORD_SETTING} to the module's password, or use the module it belongs to`,
        { devicePath: this.#link?.path },
      );
    this.#requireOk(ack, 'VfyPwd');
  }

  /** Turns a non-OK confirmation into a DeviceReportedError named after the code. */
  #requireOk(ack: Ack, instruction: string): void {
    if (ack.code === 0) return;
    throw new DeviceReportedError(
      ack.name === 'UNKNOWN' ? `0x${ack.code.toString(16).padStart(2, '0')}` : ack.name,
      `The fingerprint module refused ${instruction}: ${ack.text} (0x${ack.code.toString(16).padStart(2, '0')})`,
      { devicePath: this.#link?.path },
    );
  }

  /** Throws the typed error for a problem the stream fold found. */
  #streamError(error: DecodeError): never {
    const devicePath = this.#link?.path;
    if (error.reason === 'checksum-mismatch')
      throw new IntegrityError(
        'checksum',
        `A packet from the fingerprint module failed its checksum at byte ${error.offset} (${error.detail}); capture again`,
        { devicePath },
      );
    throw new ProtocolError(`Unreadable bytes from the fingerprint module: ${error.detail}`, {
      devicePath,
      offset: error.offset,
    });
  }

  /**
   * The next packet from the module. `silenceMs` bounds the wait for bytes; a packet started but
   * not finished when the line goes quiet is a ProtocolError, plain silence a DeviceTimeoutError.
   */
  async #nextPacket(silenceMs: number, signal: AbortSignal | undefined): Promise<Packet> {
    const link = this.#requireLink();
    let waited = 0;
    for (;;) {
      const queued = this.#packets.shift();
      if (queued) return queued;
      throwIfAborted(signal);
      const slice = Math.min(READ_SLICE_MS, Math.max(1, silenceMs - waited));
      const chunk = await link.read(slice);
      if (!chunk) {
        waited += slice;
        if (waited < silenceMs) continue;
        const ended = foldEnd(this.#rx);
        this.#rx = ended.state;
        const first = ended.errors[0];
        if (first) this.#streamError(first);
        throw new DeviceTimeoutError(
          silenceMs,
          `The fingerprint module did not answer within ${silenceMs} ms`,
          {
            devicePath: link.path,
          },
        );
      }
      waited = 0;
      const fold = foldBytes(this.#rx, chunk, { address: this.#address });
      this.#rx = fold.state;
      this.#packets.push(...fold.packets);
      const first = fold.errors[0];
      if (first) this.#streamError(first);
    }
  }

  /**
   * Sends one command and returns its acknowledge. A module that answers "verify the password
   * first" (0x21: it was power-cycled, or another password is now required) gets VfyPwd and the
   * command once more.
   */
  async #command(instruction: number, params: Uint8Array, signal: AbortSignal | undefined): Promise<Ack> {
    const ack = await this.#exchangeOnce(instruction, params, signal);
    if (ack.code !== ConfirmationCode.PASSWORD_REQUIRED || instruction === Instruction.VfyPwd) return ack;
    await this.#verifyPassword(signal);
    return this.#exchangeOnce(instruction, params, signal);
  }

  /** Sends one command and returns its acknowledge, whatever its confirmation code. */
  async #exchangeOnce(
    instruction: number,
    params: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<Ack> {
    const link = this.#requireLink();
    const bytes = encodeCommand(this.#address, instruction, params);
    await link.write(bytes);
    // The command's own time on the wire, then the module's.
    const wait = Math.ceil(serialTimeMs(bytes.length + 12, this.#baud)) + this.#timeouts.answerMs;
    const packet = await this.#nextPacket(wait, signal);
    const ack = decodeAck(packet);
    if (!ack.ok)
      throw new ProtocolError(
        `The fingerprint module sent a packet of type 0x${packet.pid.toString(16)} where an acknowledge was due`,
        { devicePath: link.path },
      );
    return ack.value;
  }

  /**
   * Reads and drops whatever the module still sends, until the line has been quiet for QUIET_MS.
   * Bounded by the time a whole image takes on the wire, so a module chattering for ever cannot
   * hold the driver.
   */
  async #drain(): Promise<void> {
    const link = this.#requireLink();
    const packetSize = this.#params?.packetSize ?? 32;
    const limit = performance.now() + serialTimeMs(imageTransferBytes(packetSize), this.#baud) + 1000;
    let quietSince = performance.now();
    while (performance.now() < limit) {
      const chunk = await link.read(READ_SLICE_MS);
      if (chunk) quietSince = performance.now();
      else if (performance.now() - quietSince >= QUIET_MS) break;
    }
    this.#rx = STREAM_START;
    this.#packets.length = 0;
  }

  /** After a failure: let the module finish what it sends, then check it still answers. */
  async #resync(): Promise<void> {
    if (!this.#link) return;
    try {
      await this.#drain();
      await this.#verifyPassword(undefined);
    } catch (error) {
      await this.#drop(error);
    }
  }

  async #afterFailure(error: unknown): Promise<void> {
    if (error instanceof DisconnectedError) {
      await this.#drop(error);
      return;
    }
    if (error instanceof DriverError && error.code === 'DEVICE_UNAVAILABLE') return;
    await this.#resync();
  }

  /** Runs `body` holding the module; BusyError when another exchange holds it. */
  async #exclusive<T>(body: () => Promise<T>): Promise<T> {
    if (this.#busy)
      throw new BusyError(`Scanner ${this.id} is busy with another operation; wait for it to finish`);
    this.#busy = true;
    try {
      await this.#ensureOpen();
      return await body();
    } catch (error) {
      await this.#afterFailure(error);
      throw error;
    } finally {
      this.#release();
    }
  }

  /** A module that dropped off (adapter pulled, module reset) gets one reopen before a command. */
  async #ensureOpen(): Promise<void> {
    if (this.#closed) throw new DriverError('DEVICE_UNAVAILABLE', `Scanner ${this.id} is closed`);
    if (this.#state.get().status !== 'ready') await this.#connect();
    if (!this.#link || this.#state.get().status !== 'ready')
      throw notReadyError(`Scanner ${this.id}`, this.#state.get());
  }

  /**
   * Lights the ring LED of modules that have one (AuraLedConfig). Rejects with DeviceReportedError
   * on modules without it.
   */
  setLed(control: AuraControlName, colour: keyof typeof AuraColour, signal?: AbortSignal): Promise<void> {
    return this.#exclusive(async () => {
      const ack = await this.#command(
        Instruction.AuraLedConfig,
        encodeAuraLedParams({ control, speed: 0x80, colour: AuraColour[colour], count: 0 }),
        signal,
      );
      this.#requireOk(ack, 'AuraLedConfig');
    });
  }

  capture(options: CaptureOptions): AsyncIterable<CaptureEvent> {
    return {
      [Symbol.asyncIterator]: () => this.#captureEvents(options)[Symbol.asyncIterator](),
    };
  }

  async *#captureEvents(options: CaptureOptions): AsyncGenerator<CaptureEvent> {
    throwIfAborted(options.signal);
    if (
      !Number.isInteger(options.timeoutMs) ||
      options.timeoutMs < 1 ||
      options.timeoutMs > MAX_CAPTURE_TIMEOUT_MS
    )
      throw new RangeError(`capture timeout ${options.timeoutMs} ms outside 1 .. ${MAX_CAPTURE_TIMEOUT_MS}`);
    // A capture canceled a moment ago may still be draining the module's image off the line.
    await this.#recovering;
    if (this.#busy)
      throw new BusyError(`Scanner ${this.id} is busy with another operation; wait for it to finish`);
    this.#busy = true;
    let finished = false;
    let background = false;
    try {
      await this.#ensureOpen();
      if (options.mode !== 'flat-single')
        throw new DeviceReportedError(
          'UNSUPPORTED_MODE',
          `A serial fingerprint module captures one flat finger; it cannot capture ${options.mode}`,
        );
      const signal = options.signal;
      yield { type: 'status', status: 'waiting-for-finger' };
      const deadline = performance.now() + options.timeoutMs;
      for (;;) {
        const ack = await this.#command(Instruction.GenImg, new Uint8Array(), signal);
        if (ack.code === 0) break;
        if (!RETRY_CODES.has(ack.name)) this.#requireOk(ack, 'GenImg');
        if (performance.now() >= deadline)
          throw new DeviceReportedError(
            'NO_FINGER_TIMEOUT',
            `No finger on the sensor within ${options.timeoutMs} ms; place the finger flat and hold still`,
            { devicePath: this.#link?.path },
          );
      }
      yield { type: 'status', status: 'capturing' };
      const image = await this.#uploadImage(signal);
      yield { type: 'status', status: 'processing' };
      const pixels = unpackImage4bpp(image, IMAGE_WIDTH, IMAGE_HEIGHT);
      // Cannot fail: #uploadImage checked the size. Kept as a typed error all the same.
      if (!pixels.ok) throw new ProtocolError(`Image data: ${pixels.error.detail}`);
      const description = this.describe();
      const captured: CapturedImage = {
        mode: 'flat-single',
        width: IMAGE_WIDTH,
        height: IMAGE_HEIGHT,
        ppi: this.#options.ppi ?? 500,
        pixels: pixels.value,
        device: {
          vendor: description?.vendor ?? 'R30x-compatible',
          model: description?.model ?? 'R30x',
          serial: description?.serial ?? this.#options.path,
        },
        use: 'verification-only',
      };
      finished = true;
      yield { type: 'result', image: captured };
    } catch (error) {
      finished = true;
      if (error instanceof CanceledError) {
        // The module cannot be stopped mid-image: answer the caller now, drain behind its back.
        background = true;
        this.#recover();
      } else {
        await this.#afterFailure(error);
      }
      throw error;
    } finally {
      // The consumer broke out of the loop: the same as a cancel.
      if (!finished) {
        background = true;
        this.#recover();
      }
      if (!background) this.#release();
    }
  }

  /** Resynchronises in the background, holding the scanner until the line is quiet again. */
  #recover(): void {
    this.#recovering = this.#resync().finally(() => {
      this.#release();
      this.#recovering = undefined;
    });
  }

  /** UpImage: the acknowledge, then data packets until the end packet; 36,864 bytes. */
  async #uploadImage(signal: AbortSignal | undefined): Promise<Uint8Array> {
    const ack = await this.#command(Instruction.UpImage, new Uint8Array(), signal);
    this.#requireOk(ack, 'UpImage');
    let collection: ImageCollection = startImage();
    const packetSize = this.#params?.packetSize ?? 128;
    // Each packet's own time on the wire, then the allowed gap.
    const gap = Math.ceil(serialTimeMs(packetSize + 11, this.#baud)) + this.#timeouts.packetMs;
    for (;;) {
      const packet = await this.#nextPacket(gap, signal);
      if (packet.pid === Pid.ACK)
        throw new ProtocolError('The fingerprint module sent an acknowledge in the middle of the image', {
          devicePath: this.#link?.path,
        });
      const step = foldImagePacket(collection, packet);
      if (step.kind === 'error')
        throw new ProtocolError(`Image transfer broken: ${step.error.detail}`, {
          devicePath: this.#link?.path,
          offset: step.error.offset,
        });
      if (step.kind === 'complete') return step.data;
      collection = step.state;
    }
  }
}
