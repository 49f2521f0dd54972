/**
 * A simulated FPSCAN scanner (protocol/scanner/README.md) behind the HidBus port, rendering prints
 * with the generator. It enforces a link budget: device-to-host reports leave at most at
 * `reportsPerSecond` (default 8,000 reports of 1,024 bytes, one per high-speed microframe), so
 * every throughput figure measured through it is one real hardware could reach.
 *
 * Scenarios switch at run time (`/sim/scanner-hid/`): skin conditions and placements, and faults
 * (unplug mid-transfer, a corrupt report, a stalled capture, a slow device, busy, a bad signature).
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import { CanceledError, DisconnectedError, DriverError } from '../../drivers/errors.ts';
import type { HidBus, HidDeviceRef, HidPort } from '../../drivers/fingerprint/hid-port.ts';
import type { SimulatorAction, SimulatorControl } from '../../drivers/sim-control.ts';
import { crc32 } from '../../protocol/crc32.ts';
import { downscaleBox } from '../../protocol/image/downscale.ts';
import {
  type CaptureModeName,
  type CaptureRequest,
  Cmd,
  type DeviceInfo,
  decodeCaptureRequest,
  decodeInitRequest,
  ErrorCode,
  encodeDeviceInfo,
  encodeError,
  encodeInitResponse,
  encodePreview,
  encodeResult,
  encodeStatus,
  PROTOCOL_VERSION,
  resultSignedBytes,
} from '../../protocol/scanner/commands.ts';
import {
  BROADCAST_CID,
  foldReport,
  frameMessage,
  IDLE,
  MAX_MESSAGE,
  type Message,
  type Reassembly,
} from '../../protocol/scanner/framing.ts';
import type { SlapOptions } from '../fingerprint/generator.ts';
import type { SimulatedUsbBus } from '../hotplug/simulated-hotplug.ts';
import { sleep } from '../sleep.ts';
import { inThreadPrintRenderer, type PrintRenderer, type RenderedPrint } from './print-render.ts';

export const HID_SCENARIOS = [
  'good',
  'dry',
  'wet',
  'smudged',
  'partial',
  'no-finger',
  'moving',
  'missing-finger',
  'extra-finger',
  'wrong-hand',
  'same-hand-twice',
  'finger-twice',
  'hands-swapped',
  'finger-changed',
  'unplug-mid-transfer',
  'corrupt-report',
  'stall',
  'slow-device',
  'busy',
  'bad-signature',
] as const;
export type HidScenario = (typeof HID_SCENARIOS)[number];

export interface SimulatedScannerModel {
  readonly vendorId: number;
  readonly productId: number;
  readonly info: Omit<DeviceInfo, 'certificate'>;
  readonly reportSize: number;
}

/** How a scenario places the hand asked for on the glass (renderSlap's options). */
export function slapPlacement(
  scenario: HidScenario,
  hand: 'left' | 'right' | 'thumbs',
): Pick<SlapOptions, 'missing' | 'extraFinger' | 'wrongHand' | 'substitute'> {
  const fourFingers = hand !== 'thumbs';
  return {
    missing: scenario === 'missing-finger' && fourFingers ? [hand === 'right' ? 4 : 9] : [],
    extraFinger: scenario === 'extra-finger' && fourFingers,
    // Enrollment mistakes that only comparison or hand geometry can catch: each hand on the other's
    // slap; the right hand again for the left slap; the right thumb in both thumb places.
    wrongHand:
      ((scenario === 'wrong-hand' || scenario === 'hands-swapped') && fourFingers) ||
      (scenario === 'same-hand-twice' && hand === 'left'),
    ...(scenario === 'finger-twice' && hand === 'thumbs' ? { substitute: { 6: 1 } } : {}),
  };
}

/** A FAP 60 four-finger scanner like those at fixed enrollment points. */
export const SIM_SLAP_SCANNER: SimulatedScannerModel = {
  vendorId: 0x1d6b,
  productId: 0x0f60,
  reportSize: 1024,
  info: {
    vendor: 'Simulated Biometrics',
    model: 'SIM-FAP60',
    serial: 'SIM60-000001',
    firmware: '1.0.0',
    ppi: 500,
    captureWidth: 1600,
    captureHeight: 1500,
    fap: 60,
    modes: ['flat-single', 'slap-left', 'slap-right', 'two-thumbs'],
  },
};

export interface SimulatedHidScannerOptions {
  readonly model?: SimulatedScannerModel;
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
  /** Device-to-host report rate, reports/s (default 8000). */
  readonly reportsPerSecond?: number;
  /** Person whose fingers are on the glass (default 1); each capture is a new impression. */
  readonly personSeed?: number;
  /** How long after CAPTURE the finger lands, ms (default 120). */
  readonly fingerDelayMs?: number;
  /**
   * The USB bus the scanner is plugged into (it puts itself there, plugged in): unplug and re-plug
   * are hot-plug events, and a detach or attach of its ids through the bus unplugs or re-plugs it.
   */
  readonly usb?: SimulatedUsbBus;
  /**
   * Where prints are rendered (default: this thread). A station passes createWorkerPrintRenderer():
   * a slap is a second or more of CPU, which must not hold the station's event loop.
   */
  readonly renderer?: PrintRenderer;
}

const FLAT_SIZE = 500;
const MODE_FINGER: Record<CaptureModeName, number> = {
  'flat-single': 2,
  'slap-left': 7,
  'slap-right': 2,
  'two-thumbs': 1,
  rolled: 2,
};

/** The wire: host-to-device reports go straight in; device-to-host reports are paced. */
class SimulatedHidPort implements HidPort {
  readonly path: string;
  readonly reportSize: number;
  #closed = false;
  /** Set once the scanner is unplugged: like a hidraw node that vanished, the port never works again. */
  #gone = false;
  #waiter: (() => void) | undefined;

  constructor(
    private readonly device: SimulatedHidScanner,
    path: string,
    reportSize: number,
  ) {
    this.path = path;
    this.reportSize = reportSize;
  }

  async write(report: Uint8Array): Promise<void> {
    await Promise.resolve();
    if (this.#closed) throw new CanceledError('The port is closed', { devicePath: this.path });
    if (this.#gone) throw new DisconnectedError('The scanner was unplugged', { devicePath: this.path });
    if (report.length !== this.reportSize)
      throw new RangeError(`report of ${report.length} bytes, expected ${this.reportSize}`);
    this.device.receive(report.slice());
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new CanceledError('The port is closed', { devicePath: this.path });
      if (this.#gone) throw new DisconnectedError('The scanner was unplugged', { devicePath: this.path });
      const now = performance.now();
      const head = this.device.peekOutbound();
      if (head && head.at <= now) {
        this.device.shiftOutbound();
        await Promise.resolve();
        return head.report;
      }
      const wake = Math.min(deadline, head ? head.at : deadline);
      if (now >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            this.#waiter = undefined;
            resolve();
          },
          Math.max(0, Math.ceil(wake - now)),
        );
        this.#waiter = () => {
          clearTimeout(timer);
          this.#waiter = undefined;
          resolve();
        };
      });
    }
  }

  /** The scanner lost power: this port is dead for good; a re-plugged scanner needs a new open(). */
  cutOff(): void {
    this.#gone = true;
    this.poke();
  }

  /** Wakes a pending read (new report queued, unplug, close). */
  poke(): void {
    this.#waiter?.();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.poke();
    this.device.detachPort(this);
  }
}

export class SimulatedHidScanner implements HidBus, SimulatorControl {
  readonly name = 'scanner-hid';
  readonly description = 'Simulated FPSCAN four-finger scanner on HID (FAP 60, 1600x1500, 500 ppi).';
  readonly scenarios = HID_SCENARIOS;
  readonly actions: readonly SimulatorAction[];
  readonly model: SimulatedScannerModel;
  readonly path: string;
  plugged = true;
  #scenario: HidScenario = 'good';
  readonly #options: SimulatedHidScannerOptions;
  readonly #interval: number;
  #outbound: { report: Uint8Array; at: number }[] = [];
  #nextAt = 0;
  #port: SimulatedHidPort | undefined;
  #inbound: Reassembly = IDLE;
  #cid = 0;
  #nextCid = 0x2a;
  #capture: AbortController | undefined;
  #captures = 0;
  #personSeed: number;
  #leds: unknown[] = [];
  #beeps = 0;

  constructor(options: SimulatedHidScannerOptions) {
    this.#options = options;
    this.model = options.model ?? SIM_SLAP_SCANNER;
    this.path = `sim:fpscan:${this.model.info.serial}`;
    this.#interval = 1000 / (options.reportsPerSecond ?? 8000);
    this.#personSeed = options.personSeed ?? 1;
    options.usb?.connect({
      vendorId: this.model.vendorId,
      productId: this.model.productId,
      powerOn: () => this.#powerOn(),
      powerOff: () => this.#powerOff(),
    });
    this.actions = [
      {
        name: 'unplug',
        description: 'Pull the scanner off the USB bus.',
        input: { type: 'object' },
        run: async () => {
          this.unplug();
          return { plugged: false };
        },
      },
      {
        name: 'plug',
        description: 'Plug the scanner back in.',
        input: { type: 'object' },
        run: async () => {
          this.plug();
          return { plugged: true };
        },
      },
      {
        name: 'set-person',
        description: 'Whose fingers are placed from now on (a person seed).',
        input: {
          type: 'object',
          additionalProperties: false,
          required: ['personSeed'],
          properties: { personSeed: { type: 'integer', minimum: 0, maximum: 0xffffffff } },
        },
        run: async (input) => {
          this.#personSeed = (input as { personSeed: number }).personSeed;
          return { personSeed: this.#personSeed };
        },
      },
    ];
  }

  scenario(): string {
    return this.#scenario;
  }

  setScenario(name: string): void {
    if (!(HID_SCENARIOS as readonly string[]).includes(name))
      throw new RangeError(`unknown scenario ${name}`);
    this.#scenario = name as HidScenario;
  }

  snapshot(): unknown {
    return {
      plugged: this.plugged,
      path: this.path,
      model: this.model.info.model,
      serial: this.model.info.serial,
      personSeed: this.#personSeed,
      captures: this.#captures,
      capturing: this.#capture !== undefined,
      reportsPerSecond: Math.round(1000 / this.#interval),
      leds: this.#leds,
      beeps: this.#beeps,
    };
  }

  // --- HidBus -----------------------------------------------------------------------------------

  async list(filter?: { vendorId?: number; productId?: number }): Promise<readonly HidDeviceRef[]> {
    await Promise.resolve();
    if (!this.plugged) return [];
    if (filter?.vendorId !== undefined && filter.vendorId !== this.model.vendorId) return [];
    if (filter?.productId !== undefined && filter.productId !== this.model.productId) return [];
    return [
      {
        path: this.path,
        vendorId: this.model.vendorId,
        productId: this.model.productId,
        product: this.model.info.model,
        serialNumber: this.model.info.serial,
      },
    ];
  }

  async open(path: string): Promise<HidPort> {
    await Promise.resolve();
    if (path !== this.path || !this.plugged)
      throw new DriverError('DEVICE_NOT_FOUND', `No HID device at ${path}`, { devicePath: path });
    if (this.#port) throw new DriverError('DEVICE_BUSY', `${path} is open elsewhere`, { devicePath: path });
    this.#port = new SimulatedHidPort(this, path, this.model.reportSize);
    this.#reset();
    return this.#port;
  }

  /**
   * Pulls the scanner out: the open port dies for good (reads and writes reject with
   * DisconnectedError, also after a re-plug, as a vanished hidraw node does), and the USB bus, when
   * there is one, tells its listeners.
   */
  unplug(): void {
    if (!this.plugged) return;
    const usb = this.#options.usb;
    // The bus powers the scanner off through #powerOff, so both agree whoever pulls the cable.
    if (usb) usb.detach({ vendorId: this.model.vendorId, productId: this.model.productId });
    else this.#powerOff();
  }

  /** Plugs the scanner back in: it answers a new open(), with fresh channels. */
  plug(): void {
    if (this.plugged) return;
    const usb = this.#options.usb;
    if (usb) usb.attach({ vendorId: this.model.vendorId, productId: this.model.productId });
    else this.#powerOn();
  }

  #powerOff(): void {
    if (!this.plugged) return;
    this.plugged = false;
    this.#reset();
    this.#port?.cutOff();
    this.#port = undefined;
  }

  #powerOn(): void {
    this.plugged = true;
  }

  // --- the wire ---------------------------------------------------------------------------------

  peekOutbound(): { report: Uint8Array; at: number } | undefined {
    return this.#outbound[0];
  }

  shiftOutbound(): void {
    this.#outbound.shift();
  }

  detachPort(port: SimulatedHidPort): void {
    if (this.#port === port) {
      this.#port = undefined;
      this.#reset();
    }
  }

  #reset(): void {
    this.#capture?.abort();
    this.#capture = undefined;
    this.#outbound = [];
    this.#inbound = IDLE;
    this.#cid = 0;
  }

  /** Queues a message for the host, paced by the link budget. */
  #sendMessage(
    cmd: number,
    payload: Uint8Array,
    cid = this.#cid,
    mutate?: (reports: Uint8Array[]) => void,
  ): void {
    const reports = frameMessage({ cid, cmd, payload }, this.model.reportSize);
    mutate?.(reports);
    const now = performance.now();
    for (const report of reports) {
      this.#nextAt = Math.max(this.#nextAt + this.#interval, now);
      this.#outbound.push({ report, at: this.#nextAt });
    }
    this.#port?.poke();
  }

  #sendError(code: number, detail: string, cid = this.#cid): void {
    this.#sendMessage(Cmd.ERROR, encodeError(code, detail), cid);
  }

  receive(report: Uint8Array): void {
    const outcome = foldReport(this.#inbound, report, {
      size: this.model.reportSize,
      maxMessage: MAX_MESSAGE,
    });
    this.#inbound = outcome.state;
    if (outcome.kind === 'error') {
      const cid = new DataView(report.buffer, report.byteOffset).getUint32(0);
      this.#sendError(
        outcome.error.reason === 'too-large' ? ErrorCode.INVALID_LEN : ErrorCode.INVALID_SEQ,
        outcome.error.detail,
        cid,
      );
      return;
    }
    if (outcome.kind === 'message') this.#handle(outcome.message);
  }

  #handle(message: Message): void {
    if (message.cmd === Cmd.INIT) {
      if (message.cid !== BROADCAST_CID) {
        this.#sendError(ErrorCode.INVALID_CHANNEL, 'INIT goes on the broadcast channel', message.cid);
        return;
      }
      const nonce = decodeInitRequest(message.payload);
      if (!nonce.ok) {
        this.#sendError(ErrorCode.INVALID_LEN, nonce.error.detail, BROADCAST_CID);
        return;
      }
      this.#capture?.abort();
      this.#capture = undefined;
      this.#cid = this.#nextCid++;
      this.#sendMessage(
        Cmd.INIT,
        encodeInitResponse({
          nonce: nonce.value,
          cid: this.#cid,
          protocolVersion: PROTOCOL_VERSION,
          deviceVersion: [1, 0, 0],
          preview: true,
          maxMessage: 65536,
        }),
        BROADCAST_CID,
      );
      return;
    }
    if (message.cid !== this.#cid || this.#cid === 0) {
      this.#sendError(ErrorCode.INVALID_CHANNEL, 'no such channel', message.cid);
      return;
    }
    switch (message.cmd) {
      case Cmd.PING: {
        this.#sendMessage(Cmd.PING, message.payload);
        return;
      }
      case Cmd.GET_INFO: {
        this.#sendMessage(
          Cmd.GET_INFO,
          encodeDeviceInfo({ ...this.model.info, certificate: this.#options.certificate }),
        );
        return;
      }
      case Cmd.SET_LED:
        this.#leds = [...message.payload];
        {
          this.#sendMessage(Cmd.SET_LED, new Uint8Array());
          return;
        }
      case Cmd.BEEP:
        this.#beeps++;
        {
          this.#sendMessage(Cmd.BEEP, new Uint8Array());
          return;
        }
      case Cmd.CANCEL:
        if (this.#capture) {
          this.#capture.abort();
          this.#capture = undefined;
          this.#sendError(ErrorCode.CANCELED, 'canceled by the host');
        }
        return;
      case Cmd.CAPTURE: {
        if (this.#capture || this.#scenario === 'busy') {
          this.#sendError(ErrorCode.DEVICE_BUSY, 'a capture is already running');
          return;
        }
        const request = decodeCaptureRequest(message.payload);
        if (!request.ok) {
          this.#sendError(ErrorCode.INVALID_PAR, request.error.detail);
          return;
        }
        if (!this.model.info.modes.includes(request.value.mode)) {
          this.#sendError(ErrorCode.UNSUPPORTED_MODE, `${request.value.mode} is not supported`);
          return;
        }
        const controller = new AbortController();
        this.#capture = controller;
        this.#runCapture(request.value, controller.signal).then(
          () => {
            if (this.#capture === controller) this.#capture = undefined;
          },
          () => {
            if (this.#capture === controller) this.#capture = undefined;
          },
        );
        return;
      }
      default: {
        this.#sendError(ErrorCode.INVALID_CMD, `command 0x${message.cmd.toString(16)}`);
        return;
      }
    }
  }

  /** What lands on the glass for this capture, by mode and scenario. */
  #render(mode: CaptureModeName): Promise<RenderedPrint> {
    const scenario = this.#scenario;
    const condition =
      (['dry', 'wet', 'smudged', 'partial', 'moving'] as const).find((c) => c === scenario) ?? 'good';
    const impression = this.#captures;
    const personSeed = this.#personSeed;
    const renderer = this.#options.renderer ?? this.#inThread;
    if (mode === 'flat-single' || mode === 'rolled')
      return renderer.render({
        kind: 'finger',
        options: {
          personSeed,
          // finger-changed: every other capture shows the middle finger instead (a retry with another finger).
          finger: scenario === 'finger-changed' && impression % 2 === 1 ? 3 : MODE_FINGER[mode],
          impression,
          condition,
          width: FLAT_SIZE,
          height: FLAT_SIZE,
        },
      });
    const hand = mode === 'slap-left' ? 'left' : mode === 'slap-right' ? 'right' : 'thumbs';
    return renderer.render({
      kind: 'slap',
      options: {
        personSeed,
        hand,
        impression,
        condition,
        width: this.model.info.captureWidth,
        height: this.model.info.captureHeight,
        ...slapPlacement(scenario, hand),
      },
    });
  }

  readonly #inThread = inThreadPrintRenderer();

  async #runCapture(request: CaptureRequest, signal: AbortSignal): Promise<void> {
    const scenario = this.#scenario;
    this.#captures++;
    const started = performance.now();
    this.#sendMessage(Cmd.STATUS, encodeStatus('waiting-for-finger'));
    if (scenario === 'no-finger') {
      while (performance.now() - started < request.timeoutMs) {
        await sleep(Math.min(400, request.timeoutMs), signal);
        this.#sendMessage(Cmd.STATUS, encodeStatus('waiting-for-finger'));
      }
      this.#sendError(ErrorCode.NO_FINGER_TIMEOUT, `no finger within ${request.timeoutMs} ms`);
      return;
    }
    // The finger is still settling while the print renders (on a worker in a station): like a real
    // scanner, say so every 400 ms, so the host's answer timeout does not fire.
    const rendering = this.#render(request.mode);
    let rendered = false;
    void rendering.then(
      () => {
        rendered = true;
      },
      () => {
        rendered = true;
      },
    );
    while (!rendered) {
      await Promise.race([rendering.catch(() => undefined), sleep(400, signal)]);
      if (!rendered) this.#sendMessage(Cmd.STATUS, encodeStatus('waiting-for-finger'));
    }
    const print = await rendering;
    signal.throwIfAborted();
    const image = { width: print.width, height: print.height, pixels: print.pixels };
    const fingers = (1 << print.fingers) - 1;
    const landAfter = this.#options.fingerDelayMs ?? 120;
    let sequence = 0;
    if (request.preview) {
      // Previews while the finger settles: empty glass, then the print fading in, about 20 frames/s.
      const small = downscaleBox(image, request.previewScale);
      const frames = Math.max(2, Math.ceil(landAfter / 50));
      for (let f = 0; f < frames; f++) {
        const weight = f / (frames - 1);
        const pixels = small.pixels.map((v) => Math.round(255 - (255 - v) * weight));
        this.#sendMessage(
          Cmd.PREVIEW,
          encodePreview({ sequence: sequence++, fingers: weight > 0.5 ? fingers : 0, ...small, pixels }),
        );
        await sleep(50, signal);
      }
    } else {
      await sleep(landAfter, signal);
    }
    this.#sendMessage(Cmd.STATUS, encodeStatus('capturing'));
    if (scenario === 'stall') {
      // The sensor pipeline hangs: no more STATUS, no RESULT, until CANCEL or INIT.
      await sleep(600_000, signal);
      return;
    }
    this.#sendMessage(Cmd.STATUS, encodeStatus('processing'));
    if (scenario === 'slow-device') await sleep(3000, signal);
    signal.throwIfAborted();

    const hash = new Uint8Array(createHash('sha256').update(image.pixels).digest());
    const header = { mode: request.mode, width: image.width, height: image.height, ppi: 500 };
    const signedNonce = scenario === 'bad-signature' ? request.nonce.map((b) => b ^ 0xff) : request.nonce;
    const signature = new Uint8Array(
      sign('sha256', resultSignedBytes(signedNonce, header, hash), this.#options.privateKey),
    );
    const payload = encodeResult({ ...header, crc32: crc32(image.pixels), signature, pixels: image.pixels });
    if (scenario === 'unplug-mid-transfer') {
      this.#sendMessage(Cmd.RESULT, payload);
      const half = Math.floor(this.#outbound.length / 2);
      // Pull the cable once half the image is on the wire, and plug it back in a moment later.
      while (this.#outbound.length > half && this.plugged) await sleep(1, signal);
      this.unplug();
      setTimeout(() => this.plug(), 200);
      return;
    }
    this.#sendMessage(Cmd.RESULT, payload, this.#cid, (reports) => {
      if (scenario !== 'corrupt-report') return;
      // One bit flipped in the pixels of a report in the middle: the CRC must catch it.
      const report = reports[Math.floor(reports.length / 2)];
      if (report) report[100] = (report[100] ?? 0) ^ 0x10;
    });
  }
}
