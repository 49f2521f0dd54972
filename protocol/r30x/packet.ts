/**
 * The R30x / ZFM-20 / AS608 serial fingerprint module protocol (protocol/r30x/README.md): packets on
 * a UART, the instructions the station sends, the acknowledge packets the module answers with, and
 * the 4-bit image that UpImage streams back. Facts from the modules' public user manuals
 * ("communication protocol", "system resources" and "instruction set" chapters); integers are
 * big-endian.
 *
 * Pure, as STYLE.md asks: bytes in, values out. Decoders take untrusted bytes and return a
 * DecodeResult (or, for the stream fold, a list of DecodeErrors); encoders throw RangeError on
 * values the format cannot carry, which is a programmer error. Timeouts between bytes are the
 * driver's business: it calls `foldEnd` when the line has been quiet too long.
 */

import { nameOf } from '../names.ts';
import { type DecodeError, type DecodeErrorReason, type DecodeResult, fail, ok } from '../result.ts';

// ---------------------------------------------------------------------------------------------
// Constants (manual: "system resources", "serial communication").

/** Factory module address; every packet carries the address it is for or from. */
export const DEFAULT_ADDRESS = 0xffffffff;
/** Factory handshake password (VfyPwd). */
export const DEFAULT_PASSWORD = 0;
/** Factory UART speed, bit/s (N = 6). */
export const DEFAULT_BAUD = 57_600;
/** Data packet size of the modules we know out of the box, bytes; read the real one with ReadSysPara. */
export const DEFAULT_PACKET_SIZE = 128;
/** UART frame: start bit, 8 data bits, stop bit, no parity, so 10 bits on the wire per byte. */
export const BITS_PER_BYTE_ON_WIRE = 10;

/** Image buffer size, pixels (manual: "image buffer", 256 x 288). */
export const IMAGE_WIDTH = 256;
export const IMAGE_HEIGHT = 288;
/** Bytes of one image on the UART: two 4-bit pixels per byte. */
export const IMAGE_BYTES = (IMAGE_WIDTH * IMAGE_HEIGHT) / 2;

/** Data packet sizes the module can be set to (SetSysPara parameter 6, codes 0 .. 3), bytes. */
export const PACKET_SIZES = [32, 64, 128, 256] as const;
export type PacketSize = (typeof PACKET_SIZES)[number];

// ---------------------------------------------------------------------------------------------
// Packet (manual: "data package format"):
// | offset | size | field
// | 0      | 2    | header 0xEF01
// | 2      | 4    | module address
// | 6      | 1    | packet identifier (PID): 0x01 command, 0x02 data (more follows), 0x07 acknowledge,
// |        |      | 0x08 end of data
// | 7      | 2    | length L = contents + 2 checksum bytes
// | 9      | L-2  | contents
// | 7+L    | 2    | checksum: low 16 bits of the sum of the PID byte, both length bytes and every
// |        |      | content byte (the header and the address are not summed)

export const HEADER = 0xef01;
const HEADER_HI = 0xef;
const HEADER_LO = 0x01;
/** Bytes before the contents: header, address, PID, length. */
const PRELUDE = 9;
/** Bytes a packet adds around its contents: the prelude and the checksum. */
export const PACKET_OVERHEAD = PRELUDE + 2;
/**
 * Largest contents the decoders accept by default, bytes. The largest data packet is 256 bytes and
 * no acknowledge comes near that; 512 leaves room for clones without letting a corrupted length
 * byte make the parser wait for 64 KiB.
 */
export const MAX_CONTENTS = 512;
/** Largest contents the length field can declare, bytes. */
const LENGTH_FIELD_MAX_CONTENTS = 0xffff - 2;

export const Pid = { COMMAND: 0x01, DATA: 0x02, ACK: 0x07, END: 0x08 } as const;
export type PidName = keyof typeof Pid;
export type PacketId = (typeof Pid)[PidName];

/** Whether a byte is one of the four packet identifiers. Never throws. */
export function isPacketId(value: number): value is PacketId {
  return value === Pid.COMMAND || value === Pid.DATA || value === Pid.ACK || value === Pid.END;
}

export interface Packet {
  readonly address: number;
  readonly pid: PacketId;
  readonly contents: Uint8Array;
}

function checkUint(name: string, value: number, bits: 8 | 16 | 32): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1)
    throw new RangeError(`${name} ${value} does not fit in ${bits} bits`);
}

/** Low 16 bits of the sum of bytes[from .. to). */
function sum16(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += bytes[i] ?? 0;
  return sum & 0xffff;
}

/**
 * Builds one packet: header, address, PID, length, contents and checksum. The result is
 * PACKET_OVERHEAD + contents.length bytes.
 * @throws {RangeError} for an address outside 32 bits, a PID other than 0x01, 0x02, 0x07, 0x08, or
 *   contents above MAX_CONTENTS bytes.
 */
export function encodePacket(packet: Packet): Uint8Array {
  const { address, pid, contents } = packet;
  checkUint('address', address, 32);
  if (!isPacketId(pid)) throw new RangeError(`packet identifier ${pid} is not 0x01, 0x02, 0x07 or 0x08`);
  if (contents.length > MAX_CONTENTS)
    throw new RangeError(`packet contents of ${contents.length} bytes exceed ${MAX_CONTENTS}`);
  const out = new Uint8Array(PACKET_OVERHEAD + contents.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, HEADER);
  view.setUint32(2, address);
  out[6] = pid;
  view.setUint16(7, contents.length + 2);
  out.set(contents, PRELUDE);
  const end = PRELUDE + contents.length;
  view.setUint16(end, sum16(out, 6, end));
  return out;
}

/** Total bytes on the wire of a packet with `contents` content bytes. Never throws. */
export function packetBytes(contents: number): number {
  return PACKET_OVERHEAD + contents;
}

export interface PacketOptions {
  /** Largest contents accepted, bytes (0 .. 65533); MAX_CONTENTS when omitted. */
  readonly maxContents?: number;
  /** Accept only packets with this address; any address when omitted. */
  readonly address?: number;
}

function maxContentsOf(options: PacketOptions): number {
  const max = options.maxContents ?? MAX_CONTENTS;
  if (!Number.isInteger(max) || max < 0 || max > LENGTH_FIELD_MAX_CONTENTS)
    throw new RangeError(`maxContents ${max} outside 0 .. ${LENGTH_FIELD_MAX_CONTENTS}`);
  if (options.address !== undefined) checkUint('address filter', options.address, 32);
  return max;
}

type Parse =
  /** More bytes are needed before anything can be decided. */
  | { readonly kind: 'need' }
  | { readonly kind: 'packet'; readonly packet: Packet; readonly end: number }
  /** The packet at `at` is rejected; scanning resumes at `resume`. Offsets index `data`. */
  | {
      readonly kind: 'reject';
      readonly reason: DecodeErrorReason;
      readonly offset: number;
      readonly detail: string;
      readonly resume: number;
    };

/**
 * Parses the packet whose header 0xEF 0x01 is at data[at]. Every decision is taken at a fixed
 * number of bytes after the header (9 for the prelude, 9 + L for the rest), so the outcome never
 * depends on how the bytes were chunked.
 */
function parseAt(data: Uint8Array, at: number, maxContents: number, address: number | undefined): Parse {
  if (data.length - at < PRELUDE) return { kind: 'need' };
  const view = new DataView(data.buffer, data.byteOffset + at, data.length - at);
  const addr = view.getUint32(2);
  const pid = view.getUint8(6);
  const length = view.getUint16(7);
  const reject = (reason: DecodeErrorReason, offset: number, detail: string, resume = at + 1): Parse => ({
    kind: 'reject',
    reason,
    offset,
    detail,
    resume,
  });
  if (!isPacketId(pid)) return reject('invalid-value', at + 6, `packet identifier 0x${hex(pid, 2)}`);
  if (length < 2) return reject('invalid-value', at + 7, `length ${length} leaves no room for the checksum`);
  if (length - 2 > maxContents)
    return reject('too-large', at + 7, `length ${length}: contents above the ${maxContents}-byte bound`);
  const end = at + PRELUDE + length;
  if (data.length < end) return { kind: 'need' };
  const expected = sum16(data, at + 6, end - 2);
  const got = view.getUint16(PRELUDE + length - 2);
  if (got !== expected)
    return reject('checksum-mismatch', end - 2, `checksum 0x${hex(got, 4)}, computed 0x${hex(expected, 4)}`);
  if (address !== undefined && addr !== address)
    return reject(
      'invalid-value',
      at + 2,
      `packet for address 0x${hex(addr, 8)}, expected 0x${hex(address, 8)}`,
      end,
    );
  return { kind: 'packet', packet: { address: addr, pid, contents: data.slice(at + PRELUDE, end - 2) }, end };
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/**
 * Decodes exactly one packet. Offsets in errors count from bytes[0].
 * Returns `invalid-value` (no header at offset 0, unknown PID, length below 2, address other than
 * `options.address`), `too-large` (contents above the bound), `truncated`, `checksum-mismatch` or
 * `trailing-data` (bytes after the checksum).
 * @throws {RangeError} only for bad options.
 */
export function decodePacket(bytes: Uint8Array, options: PacketOptions = {}): DecodeResult<Packet> {
  const maxContents = maxContentsOf(options);
  for (const [at, expected] of [HEADER_HI, HEADER_LO].entries()) {
    if (bytes.length <= at) return fail('truncated', at, 'packet header needs 2 bytes');
    if (bytes[at] !== expected)
      return fail(
        'invalid-value',
        at,
        `header byte 0x${hex(bytes[at] ?? 0, 2)}, expected 0x${hex(expected, 2)}`,
      );
  }
  const parsed = parseAt(bytes, 0, maxContents, options.address);
  switch (parsed.kind) {
    case 'need':
      return fail('truncated', bytes.length, `packet cut off after ${bytes.length} bytes`);
    case 'reject':
      return fail(parsed.reason, parsed.offset, parsed.detail);
    case 'packet':
      if (parsed.end !== bytes.length)
        return fail('trailing-data', parsed.end, `${bytes.length - parsed.end} bytes after the packet`);
      return ok(parsed.packet);
  }
}

// ---------------------------------------------------------------------------------------------
// The stream fold: bytes from the UART, in whatever chunks the serial port hands them over.
//
// Unlike the FPSCAN framing fold (protocol/scanner/framing.ts), whose input is whole HID reports,
// this fold may be given any chunking, down to one byte at a time: a packet split at any byte
// boundary comes out the same, and so do the errors. Bytes that are not part of a packet are
// skipped until the next 0xEF 0x01 header. A rejected packet (checksum, length, PID, address)
// is reported once and scanning resumes one byte after its header (after the whole packet for a
// wrong address, since that packet was well-formed); bytes skipped while resynchronising are
// covered by that one error. Any other run of skipped bytes is reported once, as `invalid-value`,
// when the next header arrives (or at `foldEnd`).

export interface StreamState {
  /** Bytes kept from earlier chunks: a partial header or packet, fewer than 11 + maxContents. */
  readonly pending: Uint8Array;
  /** Stream offset of pending[0]: bytes folded since the stream began, minus pending. */
  readonly offset: number;
  /** Stream offset where the current unreported run of skipped bytes began, if any. */
  readonly skippedFrom: number | undefined;
  /** True while resynchronising after a rejected packet, whose error covers the skipped bytes. */
  readonly resyncing: boolean;
}

export const STREAM_START: StreamState = {
  pending: new Uint8Array(0),
  offset: 0,
  skippedFrom: undefined,
  resyncing: false,
};

export interface StreamFold {
  readonly state: StreamState;
  /** Packets completed by this chunk, in stream order. */
  readonly packets: readonly Packet[];
  /** Problems found in this chunk, in stream order; offsets are stream offsets (bytes since the start). */
  readonly errors: readonly DecodeError[];
}

function skippedError(from: number, to: number): DecodeError {
  return {
    reason: 'invalid-value',
    offset: from,
    detail: `${to - from} bytes outside any packet skipped`,
  };
}

/**
 * Folds one chunk of received bytes into the stream state. Pure: the old state is not changed.
 * Never throws on the bytes: garbage, a bad PID or length (`invalid-value`), a declared length above
 * `options.maxContents` (`too-large`, default MAX_CONTENTS = 512 bytes), a checksum mismatch
 * (`checksum-mismatch`) and a packet for another address when `options.address` is set
 * (`invalid-value`) come back in `errors`, with stream offsets, and the parser resynchronises.
 * Memory is bounded: the state keeps fewer than PACKET_OVERHEAD + maxContents bytes.
 * @throws {RangeError} only for bad options (maxContents outside 0 .. 65533, address not 32-bit).
 */
export function foldBytes(state: StreamState, chunk: Uint8Array, options: PacketOptions = {}): StreamFold {
  const maxContents = maxContentsOf(options);
  let data = chunk;
  if (state.pending.length > 0) {
    data = new Uint8Array(state.pending.length + chunk.length);
    data.set(state.pending);
    data.set(chunk, state.pending.length);
  }
  const base = state.offset;
  let { skippedFrom, resyncing } = state;
  const packets: Packet[] = [];
  const errors: DecodeError[] = [];
  const skip = (at: number) => {
    if (skippedFrom === undefined && !resyncing) skippedFrom = base + at;
  };

  let i = 0;
  while (i < data.length) {
    const next = data.indexOf(HEADER_HI, i);
    if (next !== i) {
      skip(i);
      i = next === -1 ? data.length : next;
      continue;
    }
    if (i + 1 === data.length) break; // a lone 0xEF: the next chunk tells whether it starts a header
    if (data[i + 1] !== HEADER_LO) {
      skip(i);
      i += 1;
      continue;
    }
    if (skippedFrom !== undefined) errors.push(skippedError(skippedFrom, base + i));
    skippedFrom = undefined;
    resyncing = false;
    const parsed = parseAt(data, i, maxContents, options.address);
    if (parsed.kind === 'need') break;
    if (parsed.kind === 'packet') {
      packets.push(parsed.packet);
      i = parsed.end;
      continue;
    }
    errors.push({ reason: parsed.reason, offset: base + parsed.offset, detail: parsed.detail });
    resyncing = true;
    i = parsed.resume;
  }
  return {
    state: { pending: data.slice(i), offset: base + i, skippedFrom, resyncing },
    packets,
    errors,
  };
}

/**
 * Ends the stream, or gives up on what is pending (the driver calls this when the line has been
 * quiet past its timeout, or on close): reports an unreported run of skipped bytes
 * (`invalid-value`) and a packet cut short (`truncated`), and returns an empty state that
 * continues the stream offsets. Never throws.
 */
export function foldEnd(state: StreamState): {
  readonly state: StreamState;
  readonly errors: readonly DecodeError[];
} {
  const errors: DecodeError[] = [];
  const { pending, offset } = state;
  const end = offset + pending.length;
  const partial = pending.length >= 2; // pending starts with 0xEF 0x01, or is a lone 0xEF
  let skippedFrom = state.skippedFrom;
  if (!partial && pending.length > 0 && skippedFrom === undefined && !state.resyncing) skippedFrom = offset;
  if (skippedFrom !== undefined) errors.push(skippedError(skippedFrom, partial ? offset : end));
  if (partial)
    errors.push({
      reason: 'truncated',
      offset: end,
      detail: `stream ended ${pending.length} bytes into a packet`,
    });
  return { state: { ...STREAM_START, offset: end }, errors };
}

// ---------------------------------------------------------------------------------------------
// Command packets (PID 0x01), manual: "instruction set". Contents:
// | 0 | 1 | instruction code | 1 | n | parameters, per instruction (below) |

/** Instruction codes the station uses, named as in the manual. */
export const Instruction = {
  /** Capture a finger image into the image buffer. */
  GenImg: 0x01,
  /** Send the image buffer to the host as data packets (4-bit pixels). */
  UpImage: 0x0a,
  /** Receive an image from the host into the image buffer. */
  DownImage: 0x0b,
  /** Write one system parameter (baud, security level, packet size). */
  SetSysPara: 0x0e,
  /** Read the 16-byte system parameter block. */
  ReadSysPara: 0x0f,
  /** Verify the 4-byte handshake password. */
  VfyPwd: 0x13,
  /** Read the number of templates stored. */
  TemplateNum: 0x1d,
  /** Control the ring LED of R50x-style modules: control code, speed, colour index, count. */
  AuraLedConfig: 0x35,
  /** Check that the module is alive (R50x-style modules; older ones reject it). */
  HandShake: 0x40,
  /** Switch the sensor's light on (older modules). */
  OpenLED: 0x50,
  /** Switch the sensor's light off (older modules). */
  CloseLED: 0x51,
} as const;
export type InstructionName = keyof typeof Instruction;

/** The manual's name of an instruction code, or 'UNKNOWN'. Never throws. */
export function instructionName(code: number): InstructionName | 'UNKNOWN' {
  return nameOf(Instruction, code) ?? 'UNKNOWN';
}

/**
 * Builds the command packet for one instruction: contents are the instruction code then `params`.
 * @throws {RangeError} for an address outside 32 bits, an instruction outside 0 .. 255, or params
 *   longer than MAX_CONTENTS - 1 bytes.
 */
export function encodeCommand(
  address: number,
  instruction: number,
  params: Uint8Array = new Uint8Array(0),
): Uint8Array {
  checkUint('instruction', instruction, 8);
  const contents = new Uint8Array(1 + params.length);
  contents[0] = instruction;
  contents.set(params, 1);
  return encodePacket({ address, pid: Pid.COMMAND, contents });
}

export interface Command {
  readonly instruction: number;
  readonly params: Uint8Array;
}

/**
 * Reads a command packet (the simulator's side). Offsets count from the start of the packet on
 * the wire. Returns `invalid-value` (offset 6) for a PID other than 0x01 and `truncated`
 * (offset 9) for empty contents.
 */
export function decodeCommand(packet: Packet): DecodeResult<Command> {
  if (packet.pid !== Pid.COMMAND)
    return fail('invalid-value', 6, `packet identifier 0x${hex(packet.pid, 2)}, expected a command`);
  if (packet.contents.length < 1) return fail('truncated', PRELUDE, 'command packet without an instruction');
  return ok({ instruction: packet.contents[0] ?? 0, params: packet.contents.slice(1) });
}

function exactLength<T>(bytes: Uint8Array, length: number, what: string): DecodeResult<T> | undefined {
  if (bytes.length < length)
    return fail('truncated', bytes.length, `${what}: ${length} bytes needed, ${bytes.length} given`);
  if (bytes.length > length)
    return fail('trailing-data', length, `${what}: ${bytes.length - length} extra bytes`);
  return undefined;
}

// VfyPwd parameters: | 0 | 4 | password |

/**
 * Parameters of VfyPwd: the 4-byte password.
 * @throws {RangeError} for a password outside 32 bits.
 */
export function encodePasswordParams(password: number = DEFAULT_PASSWORD): Uint8Array {
  checkUint('password', password, 32);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, password);
  return out;
}

/** Returns `truncated` or `trailing-data` unless `params` is exactly 4 bytes. */
export function decodePasswordParams(params: Uint8Array): DecodeResult<number> {
  const wrong = exactLength<number>(params, 4, 'VfyPwd parameters');
  if (wrong) return wrong;
  return ok(new DataView(params.buffer, params.byteOffset, 4).getUint32(0));
}

// AuraLedConfig parameters:
// | 0 | 1 | control code: 1 breathing, 2 flashing, 3 on, 4 off, 5 gradually on, 6 gradually off |
// | 1 | 1 | speed, 0 .. 255 (breathing and flashing) |
// | 2 | 1 | colour index: 1 red, 2 blue, 3 purple; other indices depend on the module |
// | 3 | 1 | count of cycles, 0 = endless (breathing and flashing) |

export const AuraControl = {
  breathing: 1,
  flashing: 2,
  on: 3,
  off: 4,
  'gradual-on': 5,
  'gradual-off': 6,
} as const;
export type AuraControlName = keyof typeof AuraControl;
export const AuraColour = { red: 1, blue: 2, purple: 3 } as const;

export interface AuraLed {
  readonly control: AuraControlName;
  readonly speed: number;
  /** Colour index; AuraColour names the ones all such modules share. */
  readonly colour: number;
  readonly count: number;
}

/**
 * Parameters of AuraLedConfig, 4 bytes.
 * @throws {RangeError} for an unknown control or a speed, colour or count outside 0 .. 255.
 */
export function encodeAuraLedParams(led: AuraLed): Uint8Array {
  const control = AuraControl[led.control];
  if (control === undefined) throw new RangeError(`unknown LED control ${String(led.control)}`);
  checkUint('LED speed', led.speed, 8);
  checkUint('LED colour', led.colour, 8);
  checkUint('LED count', led.count, 8);
  return Uint8Array.of(control, led.speed, led.colour, led.count);
}

/**
 * Returns `truncated` or `trailing-data` unless `params` is 4 bytes, and `invalid-value` (offset 0)
 * for a control code outside 1 .. 6.
 */
export function decodeAuraLedParams(params: Uint8Array): DecodeResult<AuraLed> {
  const wrong = exactLength<AuraLed>(params, 4, 'AuraLedConfig parameters');
  if (wrong) return wrong;
  const code = params[0] ?? 0;
  const control = nameOf(AuraControl, code);
  if (!control) return fail('invalid-value', 0, `LED control code ${code}`);
  return ok({ control, speed: params[1] ?? 0, colour: params[2] ?? 0, count: params[3] ?? 0 });
}

// SetSysPara parameters: | 0 | 1 | parameter number | 1 | 1 | value |
// | 4 | baud multiplier N, 1 .. 12 (baud = 9600 * N) | 5 | security level 1 .. 5 |
// | 6 | data packet size code 0 .. 3 (32, 64, 128, 256 bytes) |

export const SysParaNumber = { baud: 4, 'security-level': 5, 'packet-size': 6 } as const;
export type SysParaName = keyof typeof SysParaNumber;
const SYS_PARA_RANGE: Record<SysParaName, readonly [number, number]> = {
  baud: [1, 12],
  'security-level': [1, 5],
  'packet-size': [0, 3],
};

export interface SysParaSetting {
  readonly parameter: SysParaName;
  /** In the manual's units: N for baud, the level, or the packet size code. */
  readonly value: number;
}

/**
 * Parameters of SetSysPara, 2 bytes.
 * @throws {RangeError} for an unknown parameter or a value outside its range (table above).
 */
export function encodeSysParaParams(setting: SysParaSetting): Uint8Array {
  const range = SYS_PARA_RANGE[setting.parameter];
  if (range === undefined) throw new RangeError(`unknown system parameter ${String(setting.parameter)}`);
  const [low, high] = range;
  if (!Number.isInteger(setting.value) || setting.value < low || setting.value > high)
    throw new RangeError(`${setting.parameter} value ${setting.value} outside ${low} .. ${high}`);
  return Uint8Array.of(SysParaNumber[setting.parameter], setting.value);
}

/**
 * Returns `truncated` or `trailing-data` unless `params` is 2 bytes, and `invalid-value` for an
 * unknown parameter number (offset 0) or a value outside its range (offset 1).
 */
export function decodeSysParaParams(params: Uint8Array): DecodeResult<SysParaSetting> {
  const wrong = exactLength<SysParaSetting>(params, 2, 'SetSysPara parameters');
  if (wrong) return wrong;
  const number = params[0] ?? 0;
  const value = params[1] ?? 0;
  const parameter = nameOf(SysParaNumber, number);
  if (!parameter) return fail('invalid-value', 0, `system parameter number ${number}`);
  const [low, high] = SYS_PARA_RANGE[parameter];
  if (value < low || value > high)
    return fail('invalid-value', 1, `${parameter} value ${value} outside ${low} .. ${high}`);
  return ok({ parameter, value });
}

// ---------------------------------------------------------------------------------------------
// Acknowledge packets (PID 0x07). Contents:
// | 0 | 1 | confirmation code | 1 | n | data, per instruction (ReadSysPara: 16, TemplateNum: 2) |

/** Confirmation codes, from the manuals' table. Codes not listed decode with the name 'UNKNOWN'. */
export const ConfirmationCode = {
  OK: 0x00,
  PACKET_RECEIVE_ERROR: 0x01,
  NO_FINGER: 0x02,
  IMAGE_FAILED: 0x03,
  IMAGE_TOO_MESSY: 0x06,
  TOO_FEW_FEATURES: 0x07,
  NO_MATCH: 0x08,
  NOT_FOUND: 0x09,
  MERGE_FAILED: 0x0a,
  BAD_LOCATION: 0x0b,
  TEMPLATE_READ_FAILED: 0x0c,
  TEMPLATE_UPLOAD_FAILED: 0x0d,
  DATA_RECEIVE_FAILED: 0x0e,
  IMAGE_UPLOAD_FAILED: 0x0f,
  DELETE_FAILED: 0x10,
  CLEAR_FAILED: 0x11,
  WRONG_PASSWORD: 0x13,
  NO_VALID_IMAGE: 0x15,
  FLASH_WRITE_FAILED: 0x18,
  UNDEFINED_ERROR: 0x19,
  BAD_REGISTER: 0x1a,
  BAD_REGISTER_CONFIG: 0x1b,
  BAD_NOTEPAD_PAGE: 0x1c,
  PORT_FAILED: 0x1d,
  BAD_ADDRESS: 0x20,
  PASSWORD_REQUIRED: 0x21,
} as const;
export type ConfirmationName = keyof typeof ConfirmationCode;

/** What each confirmation code means, for logs and developers (officer-facing text lives elsewhere). */
export const CONFIRMATION_TEXT: Readonly<Record<ConfirmationName, string>> = {
  OK: 'command completed',
  PACKET_RECEIVE_ERROR: 'the module could not receive the command packet',
  NO_FINGER: 'no finger on the sensor',
  IMAGE_FAILED: 'the finger image could not be captured',
  IMAGE_TOO_MESSY: 'the finger image is too disorderly to extract features',
  TOO_FEW_FEATURES: 'the finger image has too few features or is too small',
  NO_MATCH: 'the fingers do not match',
  NOT_FOUND: 'no matching finger in the library',
  MERGE_FAILED: 'the character files could not be combined',
  BAD_LOCATION: 'the template number is outside the finger library',
  TEMPLATE_READ_FAILED: 'the template could not be read from the library, or is invalid',
  TEMPLATE_UPLOAD_FAILED: 'the template could not be uploaded',
  DATA_RECEIVE_FAILED: 'the module cannot receive the data packets that follow',
  IMAGE_UPLOAD_FAILED: 'the image could not be uploaded',
  DELETE_FAILED: 'the template could not be deleted',
  CLEAR_FAILED: 'the finger library could not be cleared',
  WRONG_PASSWORD: 'wrong password',
  NO_VALID_IMAGE: 'no valid primary image in the image buffer',
  FLASH_WRITE_FAILED: 'writing to flash failed',
  UNDEFINED_ERROR: 'undefined error',
  BAD_REGISTER: 'invalid register number',
  BAD_REGISTER_CONFIG: 'wrong register configuration',
  BAD_NOTEPAD_PAGE: 'wrong notepad page number',
  PORT_FAILED: 'the communication port could not be operated',
  BAD_ADDRESS: 'wrong module address',
  PASSWORD_REQUIRED: 'the password must be verified first',
};

/** The stable name of a confirmation code, or 'UNKNOWN'. Never throws. */
export function confirmationName(code: number): ConfirmationName | 'UNKNOWN' {
  return nameOf(ConfirmationCode, code) ?? 'UNKNOWN';
}

export interface Ack {
  readonly code: number;
  readonly name: ConfirmationName | 'UNKNOWN';
  readonly text: string;
  /** Contents after the confirmation code. */
  readonly data: Uint8Array;
}

/**
 * Builds an acknowledge packet (the simulator's side).
 * @throws {RangeError} for an address outside 32 bits, a code outside 0 .. 255, or data longer
 *   than MAX_CONTENTS - 1 bytes.
 */
export function encodeAck(address: number, code: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkUint('confirmation code', code, 8);
  const contents = new Uint8Array(1 + data.length);
  contents[0] = code;
  contents.set(data, 1);
  return encodePacket({ address, pid: Pid.ACK, contents });
}

/**
 * Reads an acknowledge packet. Offsets count from the start of the packet on the wire. Returns
 * `invalid-value` (offset 6) for a PID other than 0x07 and `truncated` (offset 9) for empty
 * contents. An unlisted code is not an error: it decodes with the name 'UNKNOWN'.
 */
export function decodeAck(packet: Packet): DecodeResult<Ack> {
  if (packet.pid !== Pid.ACK)
    return fail('invalid-value', 6, `packet identifier 0x${hex(packet.pid, 2)}, expected an acknowledge`);
  if (packet.contents.length < 1)
    return fail('truncated', PRELUDE, 'acknowledge without a confirmation code');
  const code = packet.contents[0] ?? 0;
  const name = confirmationName(code);
  const text = name === 'UNKNOWN' ? `unknown confirmation code 0x${hex(code, 2)}` : CONFIRMATION_TEXT[name];
  return ok({ code, name, text, data: packet.contents.slice(1) });
}

// ReadSysPara acknowledge data, 16 bytes (manual: "ReadSysPara", "system status register"):
// | offset | size | field
// | 0      | 2    | status register: bit 0 busy, 1 finger matched, 2 password verified,
// |        |      | 3 image buffer holds a valid image; bits 4 .. 15 reserved
// | 2      | 2    | system identifier code (0x0009 on the ZFM family)
// | 4      | 2    | finger library size, templates
// | 6      | 2    | security level, 1 .. 5 (not checked: clones differ)
// | 8      | 4    | device address
// | 12     | 2    | data packet size code: 0 = 32, 1 = 64, 2 = 128, 3 = 256 bytes
// | 14     | 2    | baud multiplier N, 1 .. 12: baud = 9600 * N bit/s

export const SYSTEM_PARAMETERS_LENGTH = 16;

export interface SystemParameters {
  readonly statusRegister: number;
  readonly systemId: number;
  /** Templates the library holds. */
  readonly librarySize: number;
  readonly securityLevel: number;
  readonly address: number;
  /** Data packet size, bytes. */
  readonly packetSize: PacketSize;
  /** UART speed, bit/s. */
  readonly baud: number;
}

export interface StatusFlags {
  readonly busy: boolean;
  readonly fingerMatched: boolean;
  readonly passwordVerified: boolean;
  readonly imageBufferValid: boolean;
}

/** The flags of the status register (bits 0 .. 3); reserved bits are ignored. Never throws. */
export function statusFlags(statusRegister: number): StatusFlags {
  return {
    busy: (statusRegister & 1) !== 0,
    fingerMatched: (statusRegister & 2) !== 0,
    passwordVerified: (statusRegister & 4) !== 0,
    imageBufferValid: (statusRegister & 8) !== 0,
  };
}

/**
 * The 16-byte parameter block (the simulator's side of ReadSysPara).
 * @throws {RangeError} for a 16-bit field out of range, an address outside 32 bits, a packet size
 *   not in PACKET_SIZES, or a baud rate that is not 9600 * N with N in 1 .. 12.
 */
export function encodeSystemParameters(p: SystemParameters): Uint8Array {
  checkUint('status register', p.statusRegister, 16);
  checkUint('system identifier', p.systemId, 16);
  checkUint('library size', p.librarySize, 16);
  checkUint('security level', p.securityLevel, 16);
  checkUint('address', p.address, 32);
  const sizeCode = PACKET_SIZES.indexOf(p.packetSize);
  if (sizeCode < 0) throw new RangeError(`packet size ${p.packetSize} is not 32, 64, 128 or 256 bytes`);
  const n = p.baud / 9600;
  if (!Number.isInteger(n) || n < 1 || n > 12)
    throw new RangeError(`baud ${p.baud} is not 9600 * N, N in 1 .. 12`);
  const out = new Uint8Array(SYSTEM_PARAMETERS_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint16(0, p.statusRegister);
  view.setUint16(2, p.systemId);
  view.setUint16(4, p.librarySize);
  view.setUint16(6, p.securityLevel);
  view.setUint32(8, p.address);
  view.setUint16(12, sizeCode);
  view.setUint16(14, n);
  return out;
}

/**
 * Decodes ReadSysPara's acknowledge data (Ack.data). Returns `truncated` or `trailing-data` unless
 * it is 16 bytes, and `invalid-value` for a packet size code above 3 (offset 12) or a baud
 * multiplier outside 1 .. 12 (offset 14).
 */
export function decodeSystemParameters(data: Uint8Array): DecodeResult<SystemParameters> {
  const wrong = exactLength<SystemParameters>(data, SYSTEM_PARAMETERS_LENGTH, 'ReadSysPara data');
  if (wrong) return wrong;
  const view = new DataView(data.buffer, data.byteOffset, SYSTEM_PARAMETERS_LENGTH);
  const packetSize = PACKET_SIZES[view.getUint16(12)];
  if (packetSize === undefined) return fail('invalid-value', 12, `packet size code ${view.getUint16(12)}`);
  const n = view.getUint16(14);
  if (n < 1 || n > 12) return fail('invalid-value', 14, `baud multiplier ${n}`);
  return ok({
    statusRegister: view.getUint16(0),
    systemId: view.getUint16(2),
    librarySize: view.getUint16(4),
    securityLevel: view.getUint16(6),
    address: view.getUint32(8),
    packetSize,
    baud: 9600 * n,
  });
}

// TemplateNum acknowledge data: | 0 | 2 | number of templates stored |

/** Returns `truncated` or `trailing-data` unless `data` is exactly 2 bytes. */
export function decodeTemplateCount(data: Uint8Array): DecodeResult<number> {
  const wrong = exactLength<number>(data, 2, 'TemplateNum data');
  if (wrong) return wrong;
  return ok(((data[0] ?? 0) << 8) | (data[1] ?? 0));
}

// ---------------------------------------------------------------------------------------------
// Image transfer (manual: "image buffer", "UpImage"). After the acknowledge of UpImage with code
// 0x00 the module sends the image buffer as data packets (PID 0x02) of the configured packet size,
// the last one as an end packet (PID 0x08). The image is 256 x 288 pixels, row-major; on the UART
// each pixel is the upper 4 bits of its 8-bit grey value, two horizontally adjacent pixels per
// byte, the left (first) pixel in the high nibble:
// | byte k | bits 7..4: pixel 2k | bits 3..0: pixel 2k + 1 |
//
// Time on the wire at the factory 57,600 bit/s (10 bits per byte):
//   pixels alone:              36,864 bytes                         -> 6.40 s
//   128-byte packets (default): 288 packets x 11 = 3,168 overhead, 40,032 bytes -> 6.95 s
//   256-byte packets:           144 packets x 11 = 1,584 overhead, 38,448 bytes -> 6.68 s
// which is why an UpImage takes six to seven seconds on a real module.

/**
 * Bytes on the wire for the data phase of one UpImage (every data and end packet, headers and
 * checksums included; not the 12-byte command and 12-byte acknowledge before it).
 * @throws {RangeError} for a packet size not in PACKET_SIZES.
 */
export function imageTransferBytes(packetSize: number = DEFAULT_PACKET_SIZE): number {
  if (!(PACKET_SIZES as readonly number[]).includes(packetSize))
    throw new RangeError(`packet size ${packetSize} is not 32, 64, 128 or 256 bytes`);
  return IMAGE_BYTES + Math.ceil(IMAGE_BYTES / packetSize) * PACKET_OVERHEAD;
}

/**
 * Time `bytes` take on a UART at `baud` bit/s with 10-bit frames, milliseconds.
 * @throws {RangeError} for a negative byte count or a baud rate that is not positive.
 */
export function serialTimeMs(bytes: number, baud: number = DEFAULT_BAUD): number {
  if (!(bytes >= 0)) throw new RangeError(`byte count ${bytes}`);
  if (!(baud > 0)) throw new RangeError(`baud ${baud}`);
  return (bytes * BITS_PER_BYTE_ON_WIRE * 1000) / baud;
}

function checkImageSize(width: number, height: number): void {
  if (!Number.isInteger(width) || width < 2 || width % 2 !== 0)
    throw new RangeError(`image width ${width} is not a positive even number of pixels`);
  if (!Number.isInteger(height) || height < 1) throw new RangeError(`image height ${height} pixels`);
}

/**
 * Packs 8-bit grey pixels (row-major, width x height) into the 4-bit wire format by keeping the
 * upper 4 bits of each pixel; width*height/2 bytes.
 * @throws {RangeError} for a width that is not even and positive, a height below 1, or a pixel
 *   count other than width * height.
 */
export function packImage4bpp(pixels: Uint8Array, width: number, height: number): Uint8Array {
  checkImageSize(width, height);
  if (pixels.length !== width * height)
    throw new RangeError(`${pixels.length} pixels for ${width}x${height}`);
  const out = new Uint8Array(pixels.length / 2);
  for (let k = 0; k < out.length; k++)
    out[k] = ((pixels[2 * k] ?? 0) & 0xf0) | ((pixels[2 * k + 1] ?? 0) >> 4);
  return out;
}

/**
 * Unpacks the 4-bit wire format into 8-bit grey pixels, nibble n becoming n * 17 (0 -> 0,
 * 15 -> 255). Returns `truncated` or `trailing-data` unless `bytes` holds exactly width*height/2
 * bytes.
 * @throws {RangeError} for a width that is not even and positive or a height below 1.
 */
export function unpackImage4bpp(bytes: Uint8Array, width: number, height: number): DecodeResult<Uint8Array> {
  checkImageSize(width, height);
  const wrong = exactLength<Uint8Array>(bytes, (width * height) / 2, `${width}x${height} 4-bit image`);
  if (wrong) return wrong;
  const out = new Uint8Array(width * height);
  for (let k = 0; k < bytes.length; k++) {
    const b = bytes[k] ?? 0;
    out[2 * k] = (b >> 4) * 17;
    out[2 * k + 1] = (b & 0x0f) * 17;
  }
  return ok(out);
}

/**
 * Cuts data into data packets of `packetSize` bytes, the last one an end packet (the simulator's
 * side of UpImage). Empty data gives one empty end packet.
 * @throws {RangeError} for a packet size not in PACKET_SIZES or an address outside 32 bits.
 */
export function encodeDataPackets(address: number, data: Uint8Array, packetSize: number): Uint8Array[] {
  if (!(PACKET_SIZES as readonly number[]).includes(packetSize))
    throw new RangeError(`packet size ${packetSize} is not 32, 64, 128 or 256 bytes`);
  const packets: Uint8Array[] = [];
  for (let at = 0; at < data.length || packets.length === 0; at += packetSize) {
    const end = Math.min(at + packetSize, data.length);
    const pid = end === data.length ? Pid.END : Pid.DATA;
    packets.push(encodePacket({ address, pid, contents: data.subarray(at, end) }));
  }
  return packets;
}

/** Image data received so far: the contents of the data packets, in order. */
export interface ImageCollection {
  readonly parts: readonly Uint8Array[];
  /** Bytes received so far. */
  readonly filled: number;
  /** Bytes the image must have, IMAGE_BYTES for the module's image buffer. */
  readonly expected: number;
}

/**
 * An empty collection expecting `expected` bytes.
 * @throws {RangeError} for an expected size that is not a non-negative integer.
 */
export function startImage(expected: number = IMAGE_BYTES): ImageCollection {
  if (!Number.isInteger(expected) || expected < 0)
    throw new RangeError(`expected image size ${expected} bytes`);
  return { parts: [], filled: 0, expected };
}

export type ImageStep =
  /** More data packets are needed. */
  | { readonly kind: 'partial'; readonly state: ImageCollection }
  /** The end packet arrived and the image has exactly the expected size. */
  | { readonly kind: 'complete'; readonly data: Uint8Array }
  /** The transfer is broken; start again (offsets count image bytes received before the problem). */
  | { readonly kind: 'error'; readonly error: DecodeError };

function imageError(reason: DecodeErrorReason, offset: number, detail: string): ImageStep {
  return { kind: 'error', error: { reason, offset, detail } };
}

/**
 * Folds one packet of an UpImage transfer. Pure: the old state is not changed. Never throws.
 * Errors: `invalid-value` for a packet that is neither data (0x02) nor end (0x08), `too-large`
 * when the data would exceed the expected size, `truncated` when the end packet comes early.
 */
export function foldImagePacket(state: ImageCollection, packet: Packet): ImageStep {
  if (packet.pid !== Pid.DATA && packet.pid !== Pid.END)
    return imageError(
      'invalid-value',
      state.filled,
      `packet identifier 0x${hex(packet.pid, 2)} in the middle of the image data`,
    );
  const filled = state.filled + packet.contents.length;
  if (filled > state.expected)
    return imageError('too-large', state.filled, `image data of ${filled} bytes exceeds ${state.expected}`);
  const parts = [...state.parts, packet.contents];
  if (packet.pid === Pid.DATA) return { kind: 'partial', state: { parts, filled, expected: state.expected } };
  if (filled < state.expected)
    return imageError('truncated', filled, `end packet after ${filled} of ${state.expected} image bytes`);
  const data = new Uint8Array(filled);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return { kind: 'complete', data };
}

/**
 * Collects the image data from a complete list of packets (data packets then an end packet).
 * Returns the errors of `foldImagePacket`, `truncated` when the packets run out before an end
 * packet, and `trailing-data` (offset = expected) for packets after the end packet.
 * @throws {RangeError} for an expected size that is not a non-negative integer.
 */
export function collectImageData(
  packets: readonly Packet[],
  expected: number = IMAGE_BYTES,
): DecodeResult<Uint8Array> {
  let state = startImage(expected);
  for (const [index, packet] of packets.entries()) {
    const step = foldImagePacket(state, packet);
    if (step.kind === 'error') return { ok: false, error: step.error };
    if (step.kind === 'complete') {
      const extra = packets.length - index - 1;
      return extra > 0
        ? fail('trailing-data', expected, `${extra} packets after the end packet`)
        : ok(step.data);
    }
    state = step.state;
  }
  return fail('truncated', state.filled, `no end packet after ${state.filled} of ${expected} image bytes`);
}
