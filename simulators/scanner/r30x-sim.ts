/**
 * A simulated R30x / ZFM-20 / AS608 optical fingerprint module (protocol/r30x/README.md): the
 * device end of a serial line. It answers command packets with acknowledge packets, renders prints
 * with the generator into its 256 x 288 image buffer (500 ppi), and streams that buffer back on
 * UpImage as 4-bit pixels in data packets.
 *
 * Timing is the hardware's: every byte the module sends takes 10 bits at `bitsPerSecond` (the
 * line's baud rate unless set), so an UpImage at 57,600 bit/s with 128-byte packets takes 6.95 s,
 * and a packet reaches the host only once its last byte would have crossed the wire. Like the real
 * module it handles one command at a time and does not listen while it works: a command sent during
 * GenImg or an UpImage transfer waits in the line's buffer and is answered after the transfer.
 *
 * It serves a line two ways: `attach(link)` for a line it is given (one end of a socat pty pair),
 * or as a SerialOpener whose `open()` makes an in-memory line pair and serves the device end.
 *
 * Scenarios switch at run time (`/sim/scanner-serial/`): skin conditions, no finger, and faults
 * (imaging failure, line noise, a corrupted data packet, a stalled transfer, a slow sensor, a wrong
 * password, the module unplugged half way through an image).
 */
import { type DisconnectedError, DriverError } from '../../drivers/errors.ts';
import type { SerialLink, SerialOpener } from '../../drivers/fingerprint/serial-port.ts';
import {
  type SimulatorAction,
  SimulatorActionError,
  type SimulatorControl,
} from '../../drivers/sim-control.ts';
import {
  type AuraLed,
  type Command,
  ConfirmationCode,
  DEFAULT_ADDRESS,
  DEFAULT_PACKET_SIZE,
  DEFAULT_PASSWORD,
  decodeAuraLedParams,
  decodeCommand,
  decodePasswordParams,
  decodeSysParaParams,
  encodeAck,
  encodeDataPackets,
  encodeSystemParameters,
  foldBytes,
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
  Instruction,
  PACKET_SIZES,
  type Packet,
  type PacketSize,
  packImage4bpp,
  STREAM_START,
  type StreamState,
  serialTimeMs,
} from '../../protocol/r30x/packet.ts';
import { MAX_SEED, renderFinger } from '../fingerprint/generator.ts';
import { mixSeed, Random } from '../fingerprint/random.ts';
import { memoryLinePair } from '../serial/memory-line.ts';
import { sleep } from '../sleep.ts';

export const R30X_SCENARIOS = [
  'good',
  'dry',
  'wet',
  'smudged',
  'partial',
  'no-finger',
  'moving',
  'image-fail',
  'garbage',
  'bad-checksum',
  'stall',
  'slow-device',
  'wrong-password',
  'unplug-mid-transfer',
] as const;
export type R30xScenario = (typeof R30X_SCENARIOS)[number];

export interface SimulatedR30xOptions {
  /** Module address, 32 bits (default 0xFFFFFFFF, the factory address). */
  readonly address?: number;
  /** VfyPwd password, 32 bits (default 0, which needs no verification). */
  readonly password?: number;
  /** Data packet size of UpImage, bytes (default 128). SetSysPara can change it. */
  readonly packetSize?: PacketSize;
  /** Pace of the module's outgoing bytes, bit/s, 10 bits per byte (default: the line's baud rate). */
  readonly bitsPerSecond?: number;
  /** Person whose finger lands on the glass (default 1). */
  readonly personSeed?: number;
  /** Finger position 1 .. 10, ANSI/NIST (default 2, right index). */
  readonly finger?: number;
  /** How long after the first GenImg of a capture the finger lands, ms (default 300). */
  readonly fingerDelayMs?: number;
  /** How long the sensor takes per GenImg, ms (default 60). */
  readonly genImgMs?: number;
  /** The path `open()` answers to (default 'sim:r30x'). */
  readonly path?: string;
}

/** ReadSysPara constants of the simulated module (manual: "system resources"). */
const SYSTEM_ID = 0x0009;
const LIBRARY_SIZE = 1000;
const DEFAULT_SECURITY_LEVEL = 3;
/** Status register bits (manual: "system status register"). */
const STATUS_PASSWORD_VERIFIED = 1 << 2;
const STATUS_IMAGE_VALID = 1 << 3;
/**
 * Answer to an instruction the module does not implement. The R30x/ZFM-20 manuals name no code for
 * it; the R50x manual documents 0xFC "unsupported command", which the codec decodes as 'UNKNOWN'.
 */
export const UNSUPPORTED_COMMAND = 0xfc;

const SLOW_GEN_IMG_MS = 3000;
const REPLUG_MS = 200;
const NOISE_BYTES = 40;
/** How often the serve loop looks up from an idle line to see whether it was detached, ms. */
const READ_POLL_MS = 200;
const STREAM_NOISE = 0x4e4f4953; // 'NOIS'
const CONDITION_SCENARIOS = ['dry', 'wet', 'smudged', 'partial', 'moving'] as const;

/** A finger on (or on its way to) the glass: one impression. */
interface FingerOnGlass {
  readonly impression: number;
  /** performance.now() at which it touches the sensor, ms. */
  readonly landsAt: number;
}

/** A line being served. */
interface Serving {
  readonly link: SerialLink;
  /** Made by open(): unplug and detach close it, as pulling a USB-serial adapter would. */
  readonly owned: boolean;
  readonly stop: AbortController;
  done: Promise<void>;
}

/** What one command runs with: the line and a signal that fires on unplug or detach. */
interface Exchange {
  readonly link: SerialLink;
  readonly signal: AbortSignal;
}

/** Waits until performance.now() reaches `at` (timers may fire a little early, so loop). */
async function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  for (let left = at - performance.now(); left > 0; left = at - performance.now())
    await sleep(Math.ceil(left), signal);
  signal.throwIfAborted();
}

function isLineGone(error: unknown): boolean {
  return (
    error instanceof DriverError && (error.code === 'DEVICE_DISCONNECTED' || error.code === 'DEVICE_CANCELED')
  );
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} ${value} is not an integer from ${min} to ${max}`);
}

/** The host end open() hands out: the memory line, plus a hook when the host closes it. */
class HostEnd implements SerialLink {
  constructor(
    private readonly line: SerialLink,
    private readonly onClose: () => void,
  ) {}

  get path(): string {
    return this.line.path;
  }

  get baudRate(): number {
    return this.line.baudRate;
  }

  get overruns(): number {
    return this.line.overruns;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.line.write(bytes);
  }

  read(timeoutMs: number): Promise<Uint8Array | undefined> {
    return this.line.read(timeoutMs);
  }

  onDisconnect(listener: (error: DisconnectedError) => void): () => void {
    return this.line.onDisconnect(listener);
  }

  async close(): Promise<void> {
    await this.line.close();
    this.onClose();
  }
}

export class SimulatedR30xModule implements SimulatorControl, SerialOpener {
  readonly name = 'scanner-serial';
  readonly description =
    'Simulated R30x/ZFM-20 optical fingerprint module on a serial line (256x288, 500 ppi, 4-bit UpImage).';
  readonly scenarios = R30X_SCENARIOS;
  readonly actions: readonly SimulatorAction[];
  readonly path: string;
  readonly address: number;
  plugged = true;
  #scenario: R30xScenario = 'good';
  readonly #password: number;
  readonly #finger: number;
  readonly #bitsPerSecond: number | undefined;
  readonly #fingerDelayMs: number;
  readonly #genImgMs: number;
  #personSeed: number;
  // Flash: survives unplugging.
  #packetSize: PacketSize;
  #securityLevel = DEFAULT_SECURITY_LEVEL;
  #baudMultiplier: number | undefined;
  // RAM: lost when unplugged.
  #verified = false;
  #imageBuffer: Uint8Array | undefined;
  #fingerOnGlass: FingerOnGlass | undefined;
  #light = false;
  #aura: AuraLed | undefined;
  // Counters and wiring.
  #captures = 0;
  #transfers = 0;
  #serving: Serving | undefined;
  #lastLoop: Promise<void> = Promise.resolve();
  #busy: AbortController | undefined;
  #replug: ReturnType<typeof setTimeout> | undefined;
  #lastError: string | undefined;

  /** @throws {RangeError} for an option out of range (address, password, packet size, finger, seeds, times). */
  constructor(options: SimulatedR30xOptions = {}) {
    this.path = options.path ?? 'sim:r30x';
    this.address = options.address ?? DEFAULT_ADDRESS;
    checkInteger('address', this.address, 0, 0xffffffff);
    this.#password = options.password ?? DEFAULT_PASSWORD;
    checkInteger('password', this.#password, 0, 0xffffffff);
    this.#packetSize = options.packetSize ?? DEFAULT_PACKET_SIZE;
    if (!(PACKET_SIZES as readonly number[]).includes(this.#packetSize))
      throw new RangeError(`packet size ${this.#packetSize} is not 32, 64, 128 or 256 bytes`);
    this.#bitsPerSecond = options.bitsPerSecond;
    if (
      this.#bitsPerSecond !== undefined &&
      !(this.#bitsPerSecond > 0 && Number.isFinite(this.#bitsPerSecond))
    )
      throw new RangeError(`bitsPerSecond ${this.#bitsPerSecond} is not a positive number`);
    this.#personSeed = options.personSeed ?? 1;
    checkInteger('personSeed', this.#personSeed, 0, MAX_SEED);
    this.#finger = options.finger ?? 2;
    checkInteger('finger', this.#finger, 1, 10);
    this.#fingerDelayMs = options.fingerDelayMs ?? 300;
    if (!(this.#fingerDelayMs >= 0)) throw new RangeError(`fingerDelayMs ${this.#fingerDelayMs}`);
    this.#genImgMs = options.genImgMs ?? 60;
    if (!(this.#genImgMs >= 0)) throw new RangeError(`genImgMs ${this.#genImgMs}`);
    this.#powerOn();
    this.actions = [
      {
        name: 'unplug',
        description: 'Pull the module (or its USB-serial adapter) off the station.',
        input: { type: 'object' },
        run: async () => {
          this.unplug();
          return { plugged: false };
        },
      },
      {
        name: 'plug',
        description: 'Plug the module back in.',
        input: { type: 'object' },
        run: async () => {
          this.plug();
          return { plugged: true };
        },
      },
      {
        name: 'set-person',
        description: 'Whose finger lands on the glass from the next capture on (a person seed).',
        input: {
          type: 'object',
          additionalProperties: false,
          required: ['personSeed'],
          properties: { personSeed: { type: 'integer', minimum: 0, maximum: MAX_SEED } },
        },
        run: async (input) => {
          const seed = (input as { personSeed?: unknown } | undefined)?.personSeed;
          if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
            throw new SimulatorActionError('INVALID_INPUT', `personSeed must be an integer 0 .. ${MAX_SEED}`);
          this.#personSeed = seed;
          return { personSeed: seed };
        },
      },
      {
        name: 'place-finger',
        description: 'Put the finger on the glass now (the next GenImg sees it at once).',
        input: { type: 'object' },
        run: async () => {
          this.#fingerOnGlass = {
            impression: this.#fingerOnGlass?.impression ?? ++this.#captures,
            landsAt: 0,
          };
          return { finger: 'placed', captures: this.#captures };
        },
      },
      {
        name: 'lift-finger',
        description: 'Lift the finger; the next GenImg starts a new impression.',
        input: { type: 'object' },
        run: async () => {
          this.#fingerOnGlass = undefined;
          return { finger: 'lifted' };
        },
      },
    ];
  }

  scenario(): string {
    return this.#scenario;
  }

  /**
   * `wrong-password` puts a module holding another password on the line, at once: the password the
   * host verified no longer counts, VfyPwd answers 0x13 and every other instruction 0x21.
   * @throws {RangeError} for a name not in R30X_SCENARIOS.
   */
  setScenario(name: string): void {
    if (!(R30X_SCENARIOS as readonly string[]).includes(name))
      throw new RangeError(`unknown scenario ${name}`);
    this.#scenario = name as R30xScenario;
    if (this.#scenario === 'wrong-password') this.#verified = false;
  }

  snapshot(): unknown {
    const finger = this.#fingerOnGlass;
    return {
      scenario: this.#scenario,
      plugged: this.plugged,
      path: this.path,
      address: this.address,
      attached: this.#serving !== undefined,
      personSeed: this.#personSeed,
      finger: this.#finger,
      fingerState:
        finger === undefined ? 'lifted' : performance.now() >= finger.landsAt ? 'placed' : 'landing',
      captures: this.#captures,
      transfers: this.#transfers,
      imageBufferValid: this.#imageBuffer !== undefined,
      passwordVerified: this.#verified,
      leds: { light: this.#light ? 'on' : 'off', aura: this.#aura ?? null },
      packetSize: this.#packetSize,
      bitsPerSecond: this.#bitsPerSecond ?? this.#serving?.link.baudRate ?? null,
      lastError: this.#lastError ?? null,
    };
  }

  // --- serving a line ---------------------------------------------------------------------------

  /**
   * Serves `link` until detach(), close() or the line closes. While unplugged the module hears
   * nothing: bytes that arrive are dropped.
   * @throws {DriverError} DEVICE_BUSY when the module already serves a line.
   */
  attach(link: SerialLink): void {
    this.#serve(link, false);
  }

  /**
   * Stops serving. A line made by open() is closed (the host's reads reject with DisconnectedError);
   * a line given to attach() stays open for its owner, and the read in flight on it ends within
   * 200 ms. Pending sleeps are canceled. Safe to call when not attached.
   */
  detach(): void {
    const serving = this.#serving;
    if (!serving) return;
    this.#serving = undefined;
    serving.stop.abort();
    this.#busy?.abort();
    if (serving.owned) serving.link.close().catch(() => undefined);
  }

  /** detach(), cancels a pending re-plug, and resolves once the serve loop has ended. Never rejects. */
  async close(): Promise<void> {
    const serving = this.#serving;
    this.detach();
    if (this.#replug !== undefined) clearTimeout(this.#replug);
    this.#replug = undefined;
    await serving?.done;
  }

  /**
   * SerialOpener: a new in-memory line at `baudRate` whose device end this module serves; resolves
   * the host end.
   * @throws {DriverError} DEVICE_NOT_FOUND for another path or while unplugged; DEVICE_BUSY while
   *   the module serves another line.
   * @throws {RangeError} for a baud rate that is not a positive integer.
   */
  async open(path: string, baudRate: number): Promise<SerialLink> {
    // A later tick, as the OS answers; it also lets a line the host just closed wind down.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (path !== this.path || !this.plugged)
      throw new DriverError('DEVICE_NOT_FOUND', `No R30x module at ${path}; check the cable and port`, {
        devicePath: path,
      });
    if (this.#serving)
      throw new DriverError('DEVICE_BUSY', `${path} is already open; close it first`, { devicePath: path });
    const { host, device } = memoryLinePair(path, baudRate);
    const serving = this.#serve(device, true);
    // Closing the host end frees the module for the next open() at once, as closing a tty does,
    // even while a command (a 3 s GenImg) is still running.
    return new HostEnd(host, () => {
      if (this.#serving === serving) this.detach();
    });
  }

  /** Power goes: the module forgets its RAM (image buffer, password check, LEDs), an opened line closes. */
  unplug(): void {
    if (!this.plugged) return;
    this.plugged = false;
    this.#busy?.abort();
    this.#powerOn();
    const serving = this.#serving;
    if (serving?.owned) this.detach();
  }

  plug(): void {
    this.plugged = true;
  }

  #powerOn(): void {
    this.#verified = false;
    this.#imageBuffer = undefined;
    this.#fingerOnGlass = undefined;
    this.#light = false;
    this.#aura = undefined;
  }

  #serve(link: SerialLink, owned: boolean): Serving {
    if (this.#serving)
      throw new DriverError('DEVICE_BUSY', 'The simulated module already serves a line; detach it first', {
        devicePath: link.path,
      });
    const serving: Serving = { link, owned, stop: new AbortController(), done: Promise.resolve() };
    this.#serving = serving;
    // A detached loop may still be in a read on the same link (a line given to attach() cannot be
    // interrupted); start once it is out, so two reads never overlap.
    serving.done = this.#lastLoop.then(() => this.#serveLoop(serving));
    this.#lastLoop = serving.done;
    return serving;
  }

  async #serveLoop(serving: Serving): Promise<void> {
    const { link, stop } = serving;
    let stream: StreamState = STREAM_START;
    try {
      while (!stop.signal.aborted) {
        const chunk = await link.read(READ_POLL_MS);
        if (stop.signal.aborted) break;
        if (!chunk) continue;
        if (!this.plugged) {
          stream = STREAM_START;
          continue;
        }
        // One byte at a time, so answers (to packets and to receive errors) keep stream order, as
        // on the module's UART. Commands are a dozen bytes; the cost is nothing.
        for (let i = 0; i < chunk.length && !stop.signal.aborted && this.plugged; i++) {
          const fold = foldBytes(stream, chunk.subarray(i, i + 1));
          stream = fold.state;
          for (const error of fold.errors) {
            // Manual: a packet that arrives damaged is answered 0x01 ("error when receiving
            // package"); bytes outside packets are not. The checksum does not cover the address, so
            // a damaged packet is answered whatever address it carries.
            if (error.reason === 'checksum-mismatch')
              await this.#run(link, (x) => this.#reply(x, ConfirmationCode.PACKET_RECEIVE_ERROR));
          }
          for (const packet of fold.packets) await this.#receive(link, packet);
        }
      }
    } catch (error) {
      if (!isLineGone(error)) this.#lastError = error instanceof Error ? error.message : String(error);
    } finally {
      if (this.#serving === serving) this.#serving = undefined;
    }
  }

  /** Runs one command's work; unplug and detach cancel it quietly. */
  async #run(link: SerialLink, work: (exchange: Exchange) => Promise<void>): Promise<void> {
    const busy = new AbortController();
    this.#busy = busy;
    try {
      await work({ link, signal: busy.signal });
    } catch (error) {
      if (!busy.signal.aborted) throw error;
    } finally {
      if (this.#busy === busy) this.#busy = undefined;
    }
  }

  #receive(link: SerialLink, packet: Packet): Promise<void> {
    // Another module's packet (a shared bus): not ours to answer.
    if (packet.address !== this.address) return Promise.resolve();
    const command = decodeCommand(packet);
    if (!command.ok) {
      // Data, acknowledge and end packets outside a DownImage are ignored; an empty command is damaged.
      return command.error.reason === 'truncated'
        ? this.#run(link, (x) => this.#reply(x, ConfirmationCode.PACKET_RECEIVE_ERROR))
        : Promise.resolve();
    }
    return this.#run(link, (x) => this.#execute(x, command.value));
  }

  // --- the wire ---------------------------------------------------------------------------------

  #lineBitsPerSecond(link: SerialLink): number {
    return this.#bitsPerSecond ?? link.baudRate;
  }

  /**
   * Sends `pieces` back to back at the line's pace: each piece is written once its last byte would
   * have crossed the wire, counted from the first, so timer granularity never accumulates.
   */
  async #send(x: Exchange, pieces: readonly Uint8Array[]): Promise<void> {
    const bitsPerSecond = this.#lineBitsPerSecond(x.link);
    const start = performance.now();
    let bytes = 0;
    for (const piece of pieces) {
      bytes += piece.length;
      await sleepUntil(start + serialTimeMs(bytes, bitsPerSecond), x.signal);
      await x.link.write(piece);
    }
  }

  #reply(x: Exchange, code: number, data?: Uint8Array): Promise<void> {
    return this.#send(x, [encodeAck(this.address, code, data)]);
  }

  // --- instructions -----------------------------------------------------------------------------

  async #execute(x: Exchange, { instruction, params }: Command): Promise<void> {
    // With a non-default password every instruction but VfyPwd needs the password first; in
    // `wrong-password` the module holds a password the host does not know.
    const passwordSet = this.#password !== 0 || this.#scenario === 'wrong-password';
    if (instruction !== Instruction.VfyPwd && passwordSet && !this.#verified)
      return this.#reply(x, ConfirmationCode.PASSWORD_REQUIRED);
    switch (instruction) {
      case Instruction.VfyPwd: {
        const password = decodePasswordParams(params);
        if (!password.ok) return this.#reply(x, ConfirmationCode.PACKET_RECEIVE_ERROR);
        if (this.#scenario === 'wrong-password' || password.value !== this.#password)
          return this.#reply(x, ConfirmationCode.WRONG_PASSWORD);
        this.#verified = true;
        return this.#reply(x, ConfirmationCode.OK);
      }
      case Instruction.HandShake:
        return this.#reply(x, ConfirmationCode.OK);
      case Instruction.ReadSysPara:
        return this.#reply(x, ConfirmationCode.OK, this.#systemParameters(x.link));
      case Instruction.SetSysPara:
        return this.#setSysPara(x, params);
      case Instruction.TemplateNum:
        return this.#reply(x, ConfirmationCode.OK, Uint8Array.of(0, 0));
      case Instruction.GenImg:
        return this.#genImg(x);
      case Instruction.UpImage:
        return this.#upImage(x);
      case Instruction.DownImage:
        // The simulator takes no images from the host; the manual's answer for that.
        return this.#reply(x, ConfirmationCode.DATA_RECEIVE_FAILED);
      case Instruction.AuraLedConfig: {
        const led = decodeAuraLedParams(params);
        if (!led.ok) return this.#reply(x, ConfirmationCode.PACKET_RECEIVE_ERROR);
        this.#aura = led.value;
        return this.#reply(x, ConfirmationCode.OK);
      }
      case Instruction.OpenLED:
      case Instruction.CloseLED:
        this.#light = instruction === Instruction.OpenLED;
        return this.#reply(x, ConfirmationCode.OK);
      default:
        return this.#reply(x, UNSUPPORTED_COMMAND);
    }
  }

  #systemParameters(link: SerialLink): Uint8Array {
    const lineMultiplier = link.baudRate / 9600;
    const multiplier =
      this.#baudMultiplier ??
      (Number.isInteger(lineMultiplier) && lineMultiplier >= 1 && lineMultiplier <= 12 ? lineMultiplier : 6);
    return encodeSystemParameters({
      statusRegister:
        (this.#verified ? STATUS_PASSWORD_VERIFIED : 0) | (this.#imageBuffer ? STATUS_IMAGE_VALID : 0),
      systemId: SYSTEM_ID,
      librarySize: LIBRARY_SIZE,
      securityLevel: this.#securityLevel,
      address: this.address,
      packetSize: this.#packetSize,
      baud: multiplier * 9600,
    });
  }

  /**
   * Packet size and security level take effect at once. A new baud multiplier is stored and
   * reported by ReadSysPara, but the simulated line keeps its speed (the real module would switch
   * and the host would have to reopen the port).
   */
  #setSysPara(x: Exchange, params: Uint8Array): Promise<void> {
    const setting = decodeSysParaParams(params);
    if (!setting.ok) {
      const { reason, offset } = setting.error;
      if (reason !== 'invalid-value') return this.#reply(x, ConfirmationCode.PACKET_RECEIVE_ERROR);
      return this.#reply(
        x,
        offset === 0 ? ConfirmationCode.BAD_REGISTER : ConfirmationCode.BAD_REGISTER_CONFIG,
      );
    }
    const { parameter, value } = setting.value;
    if (parameter === 'baud') this.#baudMultiplier = value;
    else if (parameter === 'security-level') this.#securityLevel = value;
    else this.#packetSize = PACKET_SIZES[value] ?? this.#packetSize;
    return this.#reply(x, ConfirmationCode.OK);
  }

  async #genImg(x: Exchange): Promise<void> {
    const scenario = this.#scenario;
    // The first GenImg of a capture is when the officer asks for the finger; it lands a moment later.
    if (!this.#fingerOnGlass && scenario !== 'no-finger')
      this.#fingerOnGlass = {
        impression: ++this.#captures,
        landsAt: performance.now() + this.#fingerDelayMs,
      };
    await sleep(scenario === 'slow-device' ? SLOW_GEN_IMG_MS : this.#genImgMs, x.signal);
    const finger = this.#fingerOnGlass;
    if (this.#scenario === 'no-finger' || !finger || performance.now() < finger.landsAt)
      return this.#reply(x, ConfirmationCode.NO_FINGER);
    if (this.#scenario === 'image-fail') return this.#reply(x, ConfirmationCode.IMAGE_FAILED);
    const condition = CONDITION_SCENARIOS.find((c) => c === this.#scenario) ?? 'good';
    const { image } = renderFinger({
      personSeed: this.#personSeed,
      finger: this.#finger,
      impression: finger.impression,
      condition,
      width: IMAGE_WIDTH,
      height: IMAGE_HEIGHT,
    });
    this.#imageBuffer = packImage4bpp(image.pixels, IMAGE_WIDTH, IMAGE_HEIGHT);
    return this.#reply(x, ConfirmationCode.OK);
  }

  async #upImage(x: Exchange): Promise<void> {
    const image = this.#imageBuffer;
    if (!image) return this.#reply(x, ConfirmationCode.NO_VALID_IMAGE);
    const scenario = this.#scenario;
    const packets = encodeDataPackets(this.address, image, this.#packetSize);
    const middle = Math.floor(packets.length / 2);
    const ack = encodeAck(this.address, ConfirmationCode.OK);
    if (scenario === 'stall') {
      // Half the image, then the module hangs until the host sends something.
      await this.#send(x, [ack, ...packets.slice(0, middle)]);
      return;
    }
    if (scenario === 'unplug-mid-transfer') {
      await this.#send(x, [ack, ...packets.slice(0, middle)]);
      this.unplug();
      this.#replug = setTimeout(() => {
        this.#replug = undefined;
        this.plug();
      }, REPLUG_MS);
      this.#replug.unref();
      return;
    }
    const damaged = packets[middle];
    if (scenario === 'bad-checksum' && damaged) {
      // A bit error in the checksum field: the contents arrive intact, the packet does not check.
      const copy = damaged.slice();
      copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x5a;
      packets[middle] = copy;
    }
    const pieces = [ack, ...packets];
    if (scenario === 'garbage') {
      // Line noise between two data packets; it may even hold 0xEF 0x01, as real noise can.
      const random = new Random(mixSeed(STREAM_NOISE, this.#personSeed, this.#captures));
      const noise = Uint8Array.from({ length: NOISE_BYTES }, () => random.int(0, 255));
      pieces.splice(1 + middle, 0, noise);
    }
    await this.#send(x, pieces);
    this.#transfers++;
    // The officer lifts the finger once the image is through; the next GenImg is a new impression.
    this.#fingerOnGlass = undefined;
  }
}
