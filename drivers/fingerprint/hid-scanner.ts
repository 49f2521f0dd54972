/**
 * The FPSCAN driver: a fingerprint scanner on a HID port (protocol/scanner/README.md).
 *
 * One exchange at a time per scanner (a second caller gets BusyError); every wait is bounded; a
 * capture is an async iterable of STATUS and PREVIEW events that ends in a RESULT whose CRC and
 * device signature have been checked against the device certificate, which itself must chain to a
 * trusted device CA. After any failure the driver resynchronises (CANCEL, drain, new INIT channel)
 * so the next capture works without restarting the station. A disconnect is one state change and
 * one DisconnectedError.
 *
 * Unplug and re-plug while idle: the driver learns of a detach from the hot-plug port (libusb's
 * detach event for the scanner's vendor and product id) or, without one (or for a scanner matched
 * by path alone), by seeing it gone from the HID enumeration (checked every `watchMs`); during an exchange, from the port's
 * DisconnectedError (a hidraw read or write failing with ENODEV). Either way the state is
 * `disconnected` at once and the dead port is closed. While disconnected it looks for the scanner
 * every `watchMs` (and at once on a hot-plug attach) and reopens it: a new port, a new INIT channel,
 * GET_INFO and the certificate check, so the first capture after a re-plug works.
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from '../../protocol/crc32.ts';
import {
  type CaptureModeName,
  Cmd,
  cmdName,
  type DeviceInfo,
  decodeDeviceInfo,
  decodeError,
  decodeInitResponse,
  decodePreview,
  decodeResult,
  decodeStatus,
  encodeBeep,
  encodeCaptureRequest,
  encodeInitRequest,
  encodeSetLed,
  type LedSetting,
  MAX_CAPTURE_TIMEOUT_MS,
  resultSignedBytes,
} from '../../protocol/scanner/commands.ts';
import {
  BROADCAST_CID,
  foldReport,
  frameMessage,
  IDLE,
  type Message,
  type Reassembly,
} from '../../protocol/scanner/framing.ts';
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
import type { HotplugPort } from '../hotplug/port.ts';
import type { HidBus, HidPort } from './hid-port.ts';
import type {
  CapturedImage,
  CaptureEvent,
  CaptureOptions,
  FingerprintScanner,
  ScannerDescription,
} from './scanner.ts';
import type { DeviceTrustStore, VerifiedDevice } from './trust.ts';
import { verifyEcdsa } from './trust.ts';

export interface ScannerTimeouts {
  /** Longest silence between two reports of one message, ms. */
  readonly reportMs: number;
  /** Longest wait for the answer to a short command (INIT, GET_INFO, SET_LED, BEEP), ms. */
  readonly answerMs: number;
  /** Longest silence during a capture (the device sends STATUS at least every 500 ms), ms. */
  readonly keepaliveMs: number;
  /** Time a device gets after a capture's finger timeout to process and send the image, ms. */
  readonly processingMs: number;
}

export const DEFAULT_TIMEOUTS: ScannerTimeouts = {
  reportMs: 500,
  answerMs: 2000,
  keepaliveMs: 2000,
  processingMs: 15000,
};

export interface HidScannerOptions {
  readonly id: string;
  readonly mode: DeviceMode;
  readonly bus: HidBus;
  /** Which device: an OS path, or vendor and product ids (the first match is used). */
  readonly match: { readonly path?: string; readonly vendorId?: number; readonly productId?: number };
  readonly trust: DeviceTrustStore;
  /** Wall clock in ms since the epoch, for certificate validity. */
  readonly now: () => number;
  readonly hotplug?: HotplugPort;
  readonly timeouts?: Partial<ScannerTimeouts>;
  /** Source of nonces; crypto random bytes by default. */
  readonly randomBytes?: (length: number) => Uint8Array;
  /**
   * How often a scanner that is not there is looked for again, and, without a hot-plug port (or
   * when matched by path alone), how often a ready one is checked to be still enumerated, ms
   * (default 500).
   */
  readonly watchMs?: number;
}

/** Default of HidScannerOptions.watchMs, ms. */
export const DEFAULT_WATCH_MS = 500;

/** Read slice: reads wait at most this long, so an abort is noticed within it, ms. */
const READ_SLICE_MS = 50;
/** Longest stretch of reassembly before the event loop gets a turn, ms. */
const YIELD_EVERY_MS = 4;

export class HidFingerprintScanner implements FingerprintScanner {
  readonly id: string;
  readonly family = 'fingerprint-hid' as const;
  readonly mode: DeviceMode;
  readonly #options: HidScannerOptions;
  readonly #timeouts: ScannerTimeouts;
  readonly #state = new DeviceStateHolder({ status: 'closed' });
  readonly #random: (length: number) => Uint8Array;
  #port: HidPort | undefined;
  #cid = BROADCAST_CID;
  #info: DeviceInfo | undefined;
  #verified: VerifiedDevice | undefined;
  #busy = false;
  #closed = true;
  #opening: Promise<void> | undefined;
  #unlisten: (() => void) | undefined;
  #watch: ReturnType<typeof setInterval> | undefined;
  #watching = false;
  /** The scanner was reported gone while an exchange held it; dropped when the exchange ends. */
  #lostWhileBusy: DisconnectedError | undefined;

  constructor(options: HidScannerOptions) {
    this.id = options.id;
    this.mode = options.mode;
    this.#options = options;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#random = options.randomBytes ?? ((n) => new Uint8Array(randomBytes(n)));
  }

  state(): DeviceState {
    return this.#state.get();
  }

  onStateChange(listener: (state: DeviceState) => void): () => void {
    return this.#state.subscribe(listener);
  }

  /** What GET_INFO said, once open. */
  info(): DeviceInfo | undefined {
    return this.#info;
  }

  describe(): ScannerDescription | undefined {
    const info = this.#info;
    if (!info) return undefined;
    const { certificate: _certificate, ...rest } = info;
    return { ...rest, use: 'enrollment', certificateSubject: this.#verified?.subject ?? '' };
  }

  async open(): Promise<void> {
    this.#closed = false;
    if (!this.#unlisten && this.#options.hotplug) {
      this.#unlisten = this.#options.hotplug.listen((event) => {
        if (!this.#hotplugMatches(event.device)) return;
        if (event.type === 'detach') this.#lost('The scanner was unplugged (USB detach)');
        else if (this.#state.get().status !== 'ready' && !this.#busy) void this.#connect();
      });
    }
    if (!this.#watch) {
      this.#watch = setInterval(() => void this.#watchTick(), this.#options.watchMs ?? DEFAULT_WATCH_MS);
      // Watching must not keep the process alive on its own.
      this.#watch.unref();
    }
    await this.#connect();
  }

  /**
   * Whether a USB device is ours, by the configured vendor and product ids. A scanner matched by
   * path alone cannot be told apart on the bus: it is watched through the HID enumeration instead.
   */
  #hotplugMatches(device: { vendorId: number; productId: number }): boolean {
    const { vendorId, productId } = this.#options.match;
    if (vendorId === undefined && productId === undefined) return false;
    return (
      (vendorId === undefined || device.vendorId === vendorId) &&
      (productId === undefined || device.productId === productId)
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unlisten?.();
    this.#unlisten = undefined;
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
    const port = this.#port;
    this.#port = undefined;
    await port?.close().catch(() => undefined);
    this.#state.set({ status: 'closed' });
  }

  /** Opens the port, allocates a channel, reads and verifies the device. Never rejects. */
  #connect(): Promise<void> {
    this.#opening ??= this.#doConnect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #doConnect(): Promise<void> {
    this.#lostWhileBusy = undefined;
    try {
      const { match, bus } = this.#options;
      const found = await bus.list({ vendorId: match.vendorId, productId: match.productId });
      // A configured path counts only while it is enumerated, so a scanner that is away is not
      // opened (and failed) on every look.
      const path = match.path === undefined ? found[0]?.path : found.find((d) => d.path === match.path)?.path;
      if (!path) {
        // Still not there: a scanner already disconnected keeps its reason (no state event per look).
        if (this.#state.get().status !== 'disconnected' && !this.#closed)
          this.#state.set({ status: 'disconnected', reason: 'no matching scanner is plugged in' });
        return;
      }
      this.#state.set({ status: 'opening' });
      const port = await bus.open(path);
      if (this.#closed) {
        await port.close();
        return;
      }
      this.#port = port;
      await this.#init(undefined);
      const infoMessage = await this.#exchange(Cmd.GET_INFO, new Uint8Array(), Cmd.GET_INFO, undefined);
      const info = decodeDeviceInfo(infoMessage.payload);
      if (!info.ok)
        throw new ProtocolError(`GET_INFO: ${info.error.detail}`, {
          devicePath: path,
          offset: info.error.offset,
        });
      this.#verified = this.#options.trust.verifyDevice(info.value.certificate, this.#options.now(), path);
      this.#info = info.value;
      this.#state.set({
        status: 'ready',
        detail: {
          vendor: info.value.vendor,
          model: info.value.model,
          serial: info.value.serial,
          ppi: info.value.ppi,
          modes: info.value.modes.join(','),
        },
      });
    } catch (error) {
      await this.#drop(error);
    }
  }

  /**
   * Turns a failure into state: a disconnect, or an error the officer sees in /health. The state
   * changes before the port is closed, so nobody starts an exchange on a dead port meanwhile.
   */
  async #drop(error: unknown): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    const next = stateAfterLoss(error);
    // Already disconnected: keep the first reason, and listeners hear no second disconnect.
    if (!this.#closed && !(next.status === 'disconnected' && this.#state.get().status === 'disconnected'))
      this.#state.set(next);
    await port?.close().catch(() => undefined);
  }

  /**
   * The scanner went away while nobody was talking to it (hot-plug detach, gone from the
   * enumeration). A ready scanner drops at once; one busy in an exchange drops when the exchange
   * ends, if the exchange's own I/O did not notice first.
   */
  #lost(reason: string): void {
    if (this.#closed) return;
    const error = new DisconnectedError(reason, { devicePath: this.#port?.path });
    if (this.#busy) this.#lostWhileBusy = error;
    else if (this.#state.get().status === 'ready') void this.#drop(error);
  }

  /** Ends an exchange: frees the scanner, and drops it if it was reported gone meanwhile. */
  #release(): void {
    this.#busy = false;
    const lost = this.#lostWhileBusy;
    this.#lostWhileBusy = undefined;
    if (lost && this.#state.get().status === 'ready') void this.#drop(lost);
  }

  /**
   * Every `watchMs`: reopen a disconnected scanner that is back; without a hot-plug port, check a
   * ready one is still enumerated. Skipped while an exchange or an open runs.
   */
  async #watchTick(): Promise<void> {
    if (this.#closed || this.#busy || this.#opening || this.#watching) return;
    this.#watching = true;
    try {
      const status = this.#state.get().status;
      if (status === 'disconnected') {
        await this.#connect();
        return;
      }
      const path = this.#port?.path;
      const { vendorId, productId } = this.#options.match;
      const hotplugWatches =
        this.#options.hotplug !== undefined && (vendorId !== undefined || productId !== undefined);
      if (status !== 'ready' || hotplugWatches || path === undefined) return;
      const present = await this.#options.bus.list({ vendorId, productId });
      if (!present.some((d) => d.path === path)) this.#lost(`The scanner ${path} is no longer plugged in`);
    } catch {
      // Enumeration failed this once; the next tick looks again.
    } finally {
      this.#watching = false;
    }
  }

  #requirePort(): HidPort {
    const port = this.#port;
    const status = this.#state.get().status;
    if (!port || (status !== 'ready' && status !== 'opening'))
      throw notReadyError(`Scanner ${this.id}`, this.#state.get());
    return port;
  }

  async #send(cmd: number, payload: Uint8Array, cid = this.#cid): Promise<void> {
    const port = this.#requirePort();
    for (const report of frameMessage({ cid, cmd, payload }, port.reportSize)) await port.write(report);
  }

  /**
   * Reads reports until one whole message arrives on our channel (or the broadcast channel while
   * INIT is running). `silenceMs` bounds the wait for the first report, `reportMs` the gaps inside
   * a message.
   */
  async #receive(silenceMs: number, signal: AbortSignal | undefined, cid = this.#cid): Promise<Message> {
    const port = this.#requirePort();
    let state: Reassembly = IDLE;
    let waited = 0;
    let ranSince = performance.now();
    for (;;) {
      throwIfAborted(signal);
      // Reports already waiting (a fast link's burst, or a simulator) resolve at once, one after
      // another without a turn of the event loop: an image of thousands of reports would hold it
      // for tens of milliseconds. Let the loop turn every few milliseconds of reassembly.
      if (performance.now() - ranSince > YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        ranSince = performance.now();
      }
      const limit = state.status === 'receiving' ? this.#timeouts.reportMs : silenceMs;
      const slice = Math.min(READ_SLICE_MS, Math.max(1, limit - waited));
      const report = await port.read(slice);
      if (!report) {
        waited += slice;
        if (waited >= limit) {
          if (state.status === 'receiving')
            throw new ProtocolError(
              `The scanner stopped sending in the middle of a ${cmdName(state.cmd)} message`,
              { devicePath: port.path },
            );
          throw new DeviceTimeoutError(limit, `The scanner did not answer within ${limit} ms`, {
            devicePath: port.path,
          });
        }
        continue;
      }
      const outcome = foldReport(state, report, { size: port.reportSize, cid });
      if (outcome.kind === 'ignored') continue;
      waited = 0;
      if (outcome.kind === 'error')
        throw new ProtocolError(`Bad report from the scanner: ${outcome.error.detail}`, {
          devicePath: port.path,
          offset: outcome.error.offset,
        });
      state = outcome.state;
      if (outcome.kind === 'message') return outcome.message;
    }
  }

  /** One command and its final answer; STATUS messages in between are skipped. */
  async #exchange(
    cmd: number,
    payload: Uint8Array,
    expect: number,
    signal: AbortSignal | undefined,
  ): Promise<Message> {
    await this.#send(cmd, payload);
    for (;;) {
      const message = await this.#receive(this.#timeouts.answerMs, signal);
      if (message.cmd === Cmd.STATUS) continue;
      this.#throwIfDeviceError(message);
      if (message.cmd !== expect)
        throw new ProtocolError(`The scanner answered ${cmdName(message.cmd)} to ${cmdName(cmd)}`, {
          devicePath: this.#port?.path,
        });
      return message;
    }
  }

  #throwIfDeviceError(message: Message): void {
    if (message.cmd !== Cmd.ERROR) return;
    const decoded = decodeError(message.payload);
    if (!decoded.ok) throw new ProtocolError(`Malformed ERROR from the scanner: ${decoded.error.detail}`);
    const { name, code, detail } = decoded.value;
    throw new DeviceReportedError(
      name === 'UNKNOWN' ? `0x${code.toString(16)}` : name,
      `The scanner reported ${name} (0x${code.toString(16).padStart(2, '0')})${detail ? `: ${detail}` : ''}`,
      { devicePath: this.#port?.path, detail },
    );
  }

  /** INIT on the broadcast channel; adopts the new channel (README 4.1). */
  async #init(signal: AbortSignal | undefined): Promise<void> {
    const nonce = this.#random(8);
    await this.#send(Cmd.INIT, encodeInitRequest(nonce), BROADCAST_CID);
    const deadline = this.#timeouts.answerMs;
    for (;;) {
      const message = await this.#receive(deadline, signal, BROADCAST_CID);
      if (message.cmd !== Cmd.INIT) continue;
      const init = decodeInitResponse(message.payload);
      if (!init.ok) throw new ProtocolError(`Malformed INIT answer: ${init.error.detail}`);
      if (!init.value.nonce.every((b, i) => b === nonce[i])) continue;
      this.#cid = init.value.cid;
      return;
    }
  }

  /** After a failure: cancel whatever runs, drop queued reports, start a fresh channel. */
  async #resync(): Promise<void> {
    const port = this.#port;
    if (!port) return;
    try {
      await this.#send(Cmd.CANCEL, new Uint8Array());
      // Drain: whatever the device still sends for the old exchange.
      for (let quiet = 0; quiet < 3; ) quiet = (await port.read(20)) ? 0 : quiet + 1;
      await this.#init(undefined);
    } catch (error) {
      await this.#drop(error);
    }
  }

  /**
   * A scanner that dropped off (no hot-plug port to notice its return, or an error at open) gets
   * one reconnect attempt before a command, so the officer's retry is enough.
   */
  async #ensureOpen(): Promise<void> {
    if (this.#closed) throw new DriverError('DEVICE_UNAVAILABLE', `Scanner ${this.id} is closed`);
    // A reopen started by the watch or a hot-plug attach: wait for it rather than share the port.
    await this.#opening;
    const status = this.#state.get().status;
    if (status === 'disconnected' || status === 'error') await this.#connect();
  }

  /** Runs `body` holding the scanner; BusyError when another exchange holds it. */
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

  async #afterFailure(error: unknown): Promise<void> {
    if (error instanceof DisconnectedError) {
      await this.#drop(error);
      return;
    }
    if (error instanceof DriverError && error.code === 'DEVICE_UNAVAILABLE') return;
    await this.#resync();
  }

  /** Sets the finger-guide LEDs. */
  setLeds(leds: readonly LedSetting[], signal?: AbortSignal): Promise<void> {
    return this.#exclusive(async () => {
      await this.#exchange(Cmd.SET_LED, encodeSetLed(leds), Cmd.SET_LED, signal);
    });
  }

  beep(frequencyHz: number, durationMs: number, signal?: AbortSignal): Promise<void> {
    return this.#exclusive(async () => {
      await this.#exchange(Cmd.BEEP, encodeBeep({ frequencyHz, durationMs }), Cmd.BEEP, signal);
    });
  }

  /**
   * Captures in `mode`: yields STATUS and PREVIEW events, then one `result` with a verified image.
   * Rejects (on iteration) with BusyError, CanceledError (signal fired: the device is told to
   * CANCEL), DeviceReportedError (e.g. NO_FINGER_TIMEOUT, UNSUPPORTED_MODE), IntegrityError (CRC or
   * signature), ProtocolError, DeviceTimeoutError (the device went silent) or DisconnectedError.
   * Breaking out of the loop early cancels the capture on the device.
   */
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
    if (this.#busy)
      throw new BusyError(`Scanner ${this.id} is busy with another operation; wait for it to finish`);
    this.#busy = true;
    let finished = false;
    try {
      await this.#ensureOpen();
      const port = this.#requirePort();
      const info = this.#info;
      const verified = this.#verified;
      if (!info || !verified) throw new DriverError('DEVICE_UNAVAILABLE', `Scanner ${this.id} is not open`);
      if (!info.modes.includes(options.mode))
        throw new DeviceReportedError(
          'UNSUPPORTED_MODE',
          `Scanner ${info.model} cannot capture ${options.mode}; it offers ${info.modes.join(', ')}`,
        );
      const nonce = this.#random(32);
      await this.#send(
        Cmd.CAPTURE,
        encodeCaptureRequest({
          mode: options.mode,
          timeoutMs: options.timeoutMs,
          nonce,
          preview: options.preview ?? false,
          previewScale: options.previewScale ?? 4,
        }),
      );
      const hardDeadline = performance.now() + options.timeoutMs + this.#timeouts.processingMs;
      for (;;) {
        if (performance.now() > hardDeadline)
          throw new DeviceTimeoutError(
            options.timeoutMs + this.#timeouts.processingMs,
            'The scanner did not finish the capture in time',
            {
              devicePath: port.path,
            },
          );
        let message: Message;
        try {
          message = await this.#receive(this.#timeouts.keepaliveMs, options.signal);
        } catch (error) {
          if (error instanceof CanceledError) throw await this.#cancelCapture(error);
          throw error;
        }
        this.#throwIfDeviceError(message);
        if (message.cmd === Cmd.STATUS) {
          const status = decodeStatus(message.payload);
          if (!status.ok) throw new ProtocolError(`Malformed STATUS: ${status.error.detail}`);
          yield { type: 'status', status: status.value };
        } else if (message.cmd === Cmd.PREVIEW) {
          const preview = decodePreview(message.payload);
          if (!preview.ok)
            throw new ProtocolError(`Malformed PREVIEW: ${preview.error.detail}`, {
              offset: preview.error.offset,
            });
          yield { type: 'preview', preview: preview.value };
        } else if (message.cmd === Cmd.RESULT) {
          const image = this.#verifyResult(message.payload, options.mode, nonce, info, verified, port.path);
          finished = true;
          yield { type: 'result', image };
          return;
        } else {
          throw new ProtocolError(`The scanner sent ${cmdName(message.cmd)} during a capture`, {
            devicePath: port.path,
          });
        }
      }
    } catch (error) {
      finished = true;
      await this.#afterFailure(error);
      throw error;
    } finally {
      // The consumer broke out of the loop: tell the device to stop.
      if (!finished) await this.#resync();
      this.#release();
    }
  }

  /** The signal fired: CANCEL, then expect the device's ERROR CANCELED (README 4.4). */
  async #cancelCapture(cause: CanceledError): Promise<CanceledError> {
    try {
      await this.#send(Cmd.CANCEL, new Uint8Array());
      // Bounded: a device that keeps sending STATUS after CANCEL gets answerMs in all.
      const deadline = performance.now() + this.#timeouts.answerMs;
      while (performance.now() < deadline) {
        const message = await this.#receive(Math.max(1, Math.ceil(deadline - performance.now())), undefined);
        if (message.cmd === Cmd.ERROR || message.cmd === Cmd.RESULT) break;
      }
    } catch {
      // The resync after the failure puts the device straight.
    }
    return cause;
  }

  #verifyResult(
    payload: Uint8Array,
    mode: CaptureModeName,
    nonce: Uint8Array,
    info: DeviceInfo,
    verified: VerifiedDevice,
    devicePath: string,
  ): CapturedImage {
    const decoded = decodeResult(payload);
    if (!decoded.ok)
      throw new ProtocolError(`Malformed RESULT: ${decoded.error.detail}`, {
        devicePath,
        offset: decoded.error.offset,
      });
    const result = decoded.value;
    if (result.mode !== mode)
      throw new ProtocolError(`The scanner returned a ${result.mode} image for a ${mode} capture`, {
        devicePath,
      });
    const crc = crc32(result.pixels);
    if (crc !== result.crc32)
      throw new IntegrityError(
        'crc',
        `Image CRC mismatch: the scanner said 0x${result.crc32.toString(16).padStart(8, '0')}, the image has 0x${crc.toString(16).padStart(8, '0')}; capture again`,
        { devicePath },
      );
    const hash = new Uint8Array(createHash('sha256').update(result.pixels).digest());
    const signed = resultSignedBytes(nonce, result, hash);
    if (!verifyEcdsa(verified.publicKey, signed, result.signature))
      throw new IntegrityError(
        'signature',
        `The image's device signature does not verify against ${info.serial}'s certificate; it cannot be used`,
        {
          devicePath,
        },
      );
    return {
      mode: result.mode,
      width: result.width,
      height: result.height,
      ppi: result.ppi,
      pixels: result.pixels,
      device: { vendor: info.vendor, model: info.model, serial: info.serial },
      use: 'enrollment',
      attestation: {
        nonce,
        signature: result.signature,
        certificateSubject: verified.subject,
        certificate: info.certificate,
      },
    };
  }
}
