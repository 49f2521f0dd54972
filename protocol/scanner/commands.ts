/**
 * FPSCAN commands and their payloads (protocol/scanner/README.md, section 4). Integers are
 * big-endian. Each payload has one field table here, above its encoder and decoder; decoders take
 * untrusted bytes and return a DecodeResult, encoders throw RangeError on values the format cannot
 * carry (a programmer error).
 */

import { nameOf } from '../names.ts';
import { type DecodeResult, fail, ok } from '../result.ts';

/** Section 4: command bytes (bit 7 set, as framing requires). */
export const Cmd = {
  PING: 0x81,
  GET_INFO: 0x82,
  CAPTURE: 0x83,
  PREVIEW: 0x84,
  RESULT: 0x85,
  INIT: 0x86,
  CANCEL: 0x87,
  SET_LED: 0x88,
  BEEP: 0x89,
  STATUS: 0xbb,
  ERROR: 0xbf,
} as const;
export type CmdName = keyof typeof Cmd;

export function cmdName(cmd: number): string {
  return nameOf(Cmd, cmd) ?? `0x${cmd.toString(16).padStart(2, '0')}`;
}

/** Section 4.11: stable error codes a device sends in ERROR. */
export const ErrorCode = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  INVALID_CHANNEL: 0x0b,
  CANCELED: 0x10,
  NO_FINGER_TIMEOUT: 0x11,
  UNSUPPORTED_MODE: 0x12,
  SENSOR_FAULT: 0x13,
  DEVICE_BUSY: 0x14,
  OTHER: 0x7f,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

export function errorCodeName(code: number): ErrorCodeName | 'UNKNOWN' {
  return nameOf(ErrorCode, code) ?? 'UNKNOWN';
}

/** Capture modes (section 4.4) and their bit in GET_INFO's mode mask (bit = 1 << (mode - 1)). */
export const CaptureMode = {
  'flat-single': 1,
  'slap-left': 2,
  'slap-right': 3,
  'two-thumbs': 4,
  rolled: 5,
} as const;
export type CaptureModeName = keyof typeof CaptureMode;
export const CAPTURE_MODES = Object.keys(CaptureMode) as CaptureModeName[];

export function captureModeName(value: number): CaptureModeName | undefined {
  return nameOf(CaptureMode, value);
}

/** Device status in STATUS/KEEPALIVE (section 4.10). */
export const DeviceStatus = { 'waiting-for-finger': 1, capturing: 2, processing: 3 } as const;
export type DeviceStatusName = keyof typeof DeviceStatus;

/** A little cursor over untrusted bytes: every read checks the bound and reports the offset. */
class Reader {
  offset = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  has(n: number): boolean {
    return this.offset + n <= this.bytes.length;
  }
  u8(): number {
    const v = this.view.getUint8(this.offset);
    this.offset += 1;
    return v;
  }
  u16(): number {
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  take(n: number): Uint8Array {
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}

function need<T>(r: Reader, n: number, what: string): DecodeResult<T> | undefined {
  return r.has(n)
    ? undefined
    : fail('truncated', r.offset, `${what}: ${n} bytes needed, ${r.bytes.length - r.offset} left`);
}

function done<T>(r: Reader, value: T): DecodeResult<T> {
  if (r.offset !== r.bytes.length)
    return fail('trailing-data', r.offset, `${r.bytes.length - r.offset} bytes after the payload`);
  return ok(value);
}

function checkUint(name: string, value: number, bits: 8 | 16 | 32): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1)
    throw new RangeError(`${name} ${value} does not fit in ${bits} bits`);
}

// ---------------------------------------------------------------------------------------------
// 4.1 INIT. Request: nonce (8). Response:
// | 0 | 8 | nonce echoed | 8 | 4 | new CID | 12 | 1 | protocol version (1) |
// | 13 | 3 | device version major, minor, build | 16 | 1 | capabilities (bit 0: preview) |
// | 17 | 4 | largest message the device accepts, bytes |

export const PROTOCOL_VERSION = 1;
export const INIT_NONCE_LENGTH = 8;

export interface InitResponse {
  readonly nonce: Uint8Array;
  readonly cid: number;
  readonly protocolVersion: number;
  readonly deviceVersion: readonly [number, number, number];
  readonly preview: boolean;
  readonly maxMessage: number;
}

export function encodeInitRequest(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== INIT_NONCE_LENGTH)
    throw new RangeError(`INIT nonce of ${nonce.length} bytes, expected 8`);
  return nonce.slice();
}

export function decodeInitRequest(bytes: Uint8Array): DecodeResult<Uint8Array> {
  if (bytes.length !== INIT_NONCE_LENGTH)
    return fail(
      bytes.length < 8 ? 'truncated' : 'trailing-data',
      Math.min(bytes.length, 8),
      'INIT nonce must be 8 bytes',
    );
  return ok(bytes.slice());
}

export function encodeInitResponse(value: InitResponse): Uint8Array {
  const out = new Uint8Array(21);
  const v = new DataView(out.buffer);
  out.set(value.nonce.subarray(0, 8), 0);
  checkUint('CID', value.cid, 32);
  v.setUint32(8, value.cid);
  out[12] = value.protocolVersion;
  out.set(value.deviceVersion, 13);
  out[16] = value.preview ? 1 : 0;
  checkUint('maxMessage', value.maxMessage, 32);
  v.setUint32(17, value.maxMessage);
  return out;
}

export function decodeInitResponse(bytes: Uint8Array): DecodeResult<InitResponse> {
  const r = new Reader(bytes);
  const short = need<InitResponse>(r, 21, 'INIT response');
  if (short) return short;
  const nonce = r.take(8).slice();
  const cid = r.u32();
  if (cid === 0 || cid === 0xffffffff)
    return fail('invalid-value', 8, `CID 0x${cid.toString(16)} is reserved`);
  const protocolVersion = r.u8();
  const deviceVersion = [r.u8(), r.u8(), r.u8()] as const;
  const preview = (r.u8() & 1) === 1;
  const maxMessage = r.u32();
  return done(r, { nonce, cid, protocolVersion, deviceVersion, preview, maxMessage });
}

// ---------------------------------------------------------------------------------------------
// 4.3 GET_INFO. Request: empty. Response: a sequence of TLV fields, tag (1), length (2), value.
// Unknown tags are skipped (a newer device may send more); each known tag at most once.
// | 0x01 vendor UTF-8 | 0x02 model UTF-8 | 0x03 serial UTF-8 | 0x04 firmware UTF-8 |
// | 0x05 ppi u16 | 0x06 capture area: width u16, height u16 (px) | 0x07 FAP class u8 |
// | 0x08 modes u8 bit mask | 0x09 device certificate, X.509 DER |
// Required: 0x01, 0x02, 0x03, 0x05, 0x06, 0x08, 0x09.

export interface DeviceInfo {
  readonly vendor: string;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
  readonly ppi: number;
  readonly captureWidth: number;
  readonly captureHeight: number;
  /** FAP class (10 .. 60), 0 when the device declares none. */
  readonly fap: number;
  readonly modes: readonly CaptureModeName[];
  /** X.509 DER of the device's signing certificate. */
  readonly certificate: Uint8Array;
}

const INFO_TAG = {
  vendor: 1,
  model: 2,
  serial: 3,
  firmware: 4,
  ppi: 5,
  area: 6,
  fap: 7,
  modes: 8,
  certificate: 9,
};
const REQUIRED_INFO_TAGS = [1, 2, 3, 5, 6, 8, 9];

export function encodeDeviceInfo(info: DeviceInfo): Uint8Array {
  const text = new TextEncoder();
  const fields: [number, Uint8Array][] = [
    [INFO_TAG.vendor, text.encode(info.vendor)],
    [INFO_TAG.model, text.encode(info.model)],
    [INFO_TAG.serial, text.encode(info.serial)],
    [INFO_TAG.firmware, text.encode(info.firmware)],
  ];
  const u16 = (...values: number[]) => {
    const out = new Uint8Array(values.length * 2);
    values.forEach((v, i) => {
      checkUint('GET_INFO field', v, 16);
      new DataView(out.buffer).setUint16(i * 2, v);
    });
    return out;
  };
  fields.push([INFO_TAG.ppi, u16(info.ppi)]);
  fields.push([INFO_TAG.area, u16(info.captureWidth, info.captureHeight)]);
  fields.push([INFO_TAG.fap, Uint8Array.of(info.fap)]);
  let mask = 0;
  for (const mode of info.modes) mask |= 1 << (CaptureMode[mode] - 1);
  fields.push([INFO_TAG.modes, Uint8Array.of(mask)]);
  fields.push([INFO_TAG.certificate, info.certificate]);
  const total = fields.reduce((n, [, v]) => n + 3 + v.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const [tag, value] of fields) {
    if (value.length > 0xffff)
      throw new RangeError(`GET_INFO field ${tag} of ${value.length} bytes exceeds 65535`);
    out[at] = tag;
    new DataView(out.buffer).setUint16(at + 1, value.length);
    out.set(value, at + 3);
    at += 3 + value.length;
  }
  return out;
}

export function decodeDeviceInfo(bytes: Uint8Array): DecodeResult<DeviceInfo> {
  const r = new Reader(bytes);
  const seen = new Map<number, Uint8Array>();
  const text = new TextDecoder('utf-8', { fatal: true });
  while (r.offset < bytes.length) {
    const at = r.offset;
    const short = need<DeviceInfo>(r, 3, 'GET_INFO field header');
    if (short) return short;
    const tag = r.u8();
    const length = r.u16();
    const missing = need<DeviceInfo>(r, length, `GET_INFO field 0x${tag.toString(16)}`);
    if (missing) return missing;
    const value = r.take(length);
    if (tag < 1 || tag > 9) continue;
    if (seen.has(tag)) return fail('invalid-value', at, `GET_INFO field 0x${tag.toString(16)} repeated`);
    seen.set(tag, value);
  }
  for (const tag of REQUIRED_INFO_TAGS)
    if (!seen.has(tag))
      return fail('invalid-value', bytes.length, `GET_INFO lacks field 0x${tag.toString(16)}`);
  const str = (tag: number): string | undefined => {
    try {
      return text.decode(seen.get(tag) ?? new Uint8Array());
    } catch {
      return undefined;
    }
  };
  const fixed = (tag: number, length: number) => {
    const v = seen.get(tag) ?? new Uint8Array();
    return v.length === length ? new DataView(v.buffer, v.byteOffset, v.byteLength) : undefined;
  };
  const ppi = fixed(INFO_TAG.ppi, 2);
  const area = fixed(INFO_TAG.area, 4);
  const fapField = seen.get(INFO_TAG.fap);
  const modesField = fixed(INFO_TAG.modes, 1);
  if (!ppi || !area || !modesField || (fapField && fapField.length !== 1))
    return fail('invalid-value', 0, 'GET_INFO numeric field of the wrong length');
  const strings = [str(1), str(2), str(3), seen.has(4) ? str(4) : ''];
  if (strings.some((s) => s === undefined))
    return fail('invalid-value', 0, 'GET_INFO text field is not UTF-8');
  const mask = modesField.getUint8(0);
  const modes = CAPTURE_MODES.filter((m) => mask & (1 << (CaptureMode[m] - 1)));
  if (modes.length === 0) return fail('invalid-value', 0, 'GET_INFO declares no capture mode');
  return ok({
    vendor: strings[0] ?? '',
    model: strings[1] ?? '',
    serial: strings[2] ?? '',
    firmware: strings[3] ?? '',
    ppi: ppi.getUint16(0),
    captureWidth: area.getUint16(0),
    captureHeight: area.getUint16(2),
    fap: fapField?.[0] ?? 0,
    modes,
    certificate: (seen.get(INFO_TAG.certificate) ?? new Uint8Array()).slice(),
  });
}

// ---------------------------------------------------------------------------------------------
// 4.4 CAPTURE request:
// | 0 | 1 | mode (CaptureMode) | 1 | 4 | timeout, ms (1 .. 600000) | 5 | 32 | host nonce |
// | 37 | 1 | preview: 0 off, 1 on | 38 | 1 | preview scale divisor (1 .. 16) |

export const CAPTURE_NONCE_LENGTH = 32;
export const MAX_CAPTURE_TIMEOUT_MS = 600_000;

export interface CaptureRequest {
  readonly mode: CaptureModeName;
  readonly timeoutMs: number;
  readonly nonce: Uint8Array;
  readonly preview: boolean;
  readonly previewScale: number;
}

export function encodeCaptureRequest(req: CaptureRequest): Uint8Array {
  if (req.nonce.length !== CAPTURE_NONCE_LENGTH)
    throw new RangeError(`nonce of ${req.nonce.length} bytes, expected 32`);
  if (!Number.isInteger(req.timeoutMs) || req.timeoutMs < 1 || req.timeoutMs > MAX_CAPTURE_TIMEOUT_MS)
    throw new RangeError(`capture timeout ${req.timeoutMs} ms outside 1 .. ${MAX_CAPTURE_TIMEOUT_MS}`);
  if (!Number.isInteger(req.previewScale) || req.previewScale < 1 || req.previewScale > 16)
    throw new RangeError(`preview scale ${req.previewScale} outside 1 .. 16`);
  const out = new Uint8Array(39);
  out[0] = CaptureMode[req.mode];
  new DataView(out.buffer).setUint32(1, req.timeoutMs);
  out.set(req.nonce, 5);
  out[37] = req.preview ? 1 : 0;
  out[38] = req.previewScale;
  return out;
}

export function decodeCaptureRequest(bytes: Uint8Array): DecodeResult<CaptureRequest> {
  const r = new Reader(bytes);
  const short = need<CaptureRequest>(r, 39, 'CAPTURE request');
  if (short) return short;
  const mode = captureModeName(r.u8());
  if (!mode) return fail('invalid-value', 0, `unknown capture mode ${bytes[0]}`);
  const timeoutMs = r.u32();
  if (timeoutMs < 1 || timeoutMs > MAX_CAPTURE_TIMEOUT_MS)
    return fail('invalid-value', 1, `timeout ${timeoutMs} ms`);
  const nonce = r.take(32).slice();
  const previewByte = r.u8();
  if (previewByte > 1) return fail('invalid-value', 37, `preview flag ${previewByte}`);
  const previewScale = r.u8();
  if (previewScale < 1 || previewScale > 16)
    return fail('invalid-value', 38, `preview scale ${previewScale}`);
  return done(r, { mode, timeoutMs, nonce, preview: previewByte === 1, previewScale });
}

// ---------------------------------------------------------------------------------------------
// 4.5 PREVIEW (device to host):
// | 0 | 4 | frame sequence | 4 | 1 | finger-present flags, bit i = slot i (left to right) |
// | 5 | 2 | width | 7 | 2 | height | 9 | w*h | 8-bit grey pixels, row-major |

export interface Preview {
  readonly sequence: number;
  readonly fingers: number;
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

export const MAX_IMAGE_SIDE = 4000;

export function encodePreview(p: Preview): Uint8Array {
  checkUint('sequence', p.sequence, 32);
  if (p.pixels.length !== p.width * p.height)
    throw new RangeError(`${p.pixels.length} pixels for ${p.width}x${p.height}`);
  const out = new Uint8Array(9 + p.pixels.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, p.sequence);
  out[4] = p.fingers;
  v.setUint16(5, p.width);
  v.setUint16(7, p.height);
  out.set(p.pixels, 9);
  return out;
}

export function decodePreview(bytes: Uint8Array): DecodeResult<Preview> {
  const r = new Reader(bytes);
  const short = need<Preview>(r, 9, 'PREVIEW header');
  if (short) return short;
  const sequence = r.u32();
  const fingers = r.u8();
  const width = r.u16();
  const height = r.u16();
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE)
    return fail('invalid-value', 5, `preview size ${width}x${height}`);
  const missing = need<Preview>(r, width * height, 'PREVIEW pixels');
  if (missing) return missing;
  const pixels = r.take(width * height);
  return done(r, { sequence, fingers, width, height, pixels });
}

// ---------------------------------------------------------------------------------------------
// 4.6 RESULT (device to host):
// | 0 | 1 | mode | 1 | 2 | width | 3 | 2 | height | 5 | 2 | ppi | 7 | 4 | CRC-32 of the pixels |
// | 11 | 2 | signature length S (<= 128) | 13 | S | ECDSA signature, DER | 13+S | w*h | pixels |
//
// 4.7 The signature: ECDSA with SHA-256 by the key of the device certificate over
//   "FPSCAN-RESULT-V1" (16 ASCII bytes) || host nonce (32) || mode (1) || width (2) || height (2)
//   || ppi (2) || SHA-256 of the pixels (32)

export interface CaptureResult {
  readonly mode: CaptureModeName;
  readonly width: number;
  readonly height: number;
  readonly ppi: number;
  readonly crc32: number;
  readonly signature: Uint8Array;
  readonly pixels: Uint8Array;
}

export const MAX_SIGNATURE_LENGTH = 128;
const SIGNATURE_DOMAIN = new TextEncoder().encode('FPSCAN-RESULT-V1');

export function encodeResult(res: CaptureResult): Uint8Array {
  if (res.pixels.length !== res.width * res.height)
    throw new RangeError(`${res.pixels.length} pixels for ${res.width}x${res.height}`);
  if (res.signature.length > MAX_SIGNATURE_LENGTH)
    throw new RangeError(`signature of ${res.signature.length} bytes`);
  checkUint('width', res.width, 16);
  checkUint('height', res.height, 16);
  checkUint('ppi', res.ppi, 16);
  checkUint('crc32', res.crc32, 32);
  const out = new Uint8Array(13 + res.signature.length + res.pixels.length);
  const v = new DataView(out.buffer);
  out[0] = CaptureMode[res.mode];
  v.setUint16(1, res.width);
  v.setUint16(3, res.height);
  v.setUint16(5, res.ppi);
  v.setUint32(7, res.crc32);
  v.setUint16(11, res.signature.length);
  out.set(res.signature, 13);
  out.set(res.pixels, 13 + res.signature.length);
  return out;
}

export function decodeResult(bytes: Uint8Array): DecodeResult<CaptureResult> {
  const r = new Reader(bytes);
  const short = need<CaptureResult>(r, 13, 'RESULT header');
  if (short) return short;
  const mode = captureModeName(r.u8());
  if (!mode) return fail('invalid-value', 0, `unknown capture mode ${bytes[0]}`);
  const width = r.u16();
  const height = r.u16();
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE)
    return fail('invalid-value', 1, `image size ${width}x${height}`);
  const ppi = r.u16();
  if (ppi < 100) return fail('invalid-value', 5, `resolution ${ppi} ppi`);
  const crc32 = r.u32();
  const signatureLength = r.u16();
  if (signatureLength > MAX_SIGNATURE_LENGTH)
    return fail('too-large', 11, `signature of ${signatureLength} bytes`);
  const missingSig = need<CaptureResult>(r, signatureLength, 'RESULT signature');
  if (missingSig) return missingSig;
  const signature = r.take(signatureLength).slice();
  const missing = need<CaptureResult>(r, width * height, 'RESULT pixels');
  if (missing) return missing;
  const pixels = r.take(width * height);
  return done(r, { mode, width, height, ppi, crc32, signature, pixels });
}

/**
 * The bytes the device signs for a RESULT (section 4.7); `pixelHash` is SHA-256 of the pixels,
 * computed by the caller (protocol code has no hash of its own).
 * @throws {RangeError} for a nonce or hash of the wrong length.
 */
export function resultSignedBytes(
  nonce: Uint8Array,
  header: Pick<CaptureResult, 'mode' | 'width' | 'height' | 'ppi'>,
  pixelHash: Uint8Array,
): Uint8Array {
  if (nonce.length !== CAPTURE_NONCE_LENGTH)
    throw new RangeError(`nonce of ${nonce.length} bytes, expected 32`);
  if (pixelHash.length !== 32) throw new RangeError(`pixel hash of ${pixelHash.length} bytes, expected 32`);
  const out = new Uint8Array(16 + 32 + 1 + 6 + 32);
  const v = new DataView(out.buffer);
  out.set(SIGNATURE_DOMAIN, 0);
  out.set(nonce, 16);
  out[48] = CaptureMode[header.mode];
  v.setUint16(49, header.width);
  v.setUint16(51, header.height);
  v.setUint16(53, header.ppi);
  out.set(pixelHash, 55);
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4.8 SET_LED: count (1), then per LED: index (1), colour (1), mode (1). Response: empty.
// 4.9 BEEP: frequency Hz (2), duration ms (2). Response: empty.

export const LedColour = { off: 0, green: 1, red: 2, amber: 3, white: 4 } as const;
export type LedColourName = keyof typeof LedColour;
export const LedMode = { steady: 0, blink: 1 } as const;
export type LedModeName = keyof typeof LedMode;

export interface LedSetting {
  readonly index: number;
  readonly colour: LedColourName;
  readonly mode: LedModeName;
}

export function encodeSetLed(leds: readonly LedSetting[]): Uint8Array {
  if (leds.length > 16) throw new RangeError(`${leds.length} LEDs, at most 16`);
  const out = new Uint8Array(1 + 3 * leds.length);
  out[0] = leds.length;
  leds.forEach((led, i) => {
    checkUint('LED index', led.index, 8);
    out[1 + 3 * i] = led.index;
    out[2 + 3 * i] = LedColour[led.colour];
    out[3 + 3 * i] = LedMode[led.mode];
  });
  return out;
}

export function decodeSetLed(bytes: Uint8Array): DecodeResult<LedSetting[]> {
  const r = new Reader(bytes);
  const short = need<LedSetting[]>(r, 1, 'SET_LED count');
  if (short) return short;
  const count = r.u8();
  if (count > 16) return fail('too-large', 0, `${count} LEDs, at most 16`);
  const missing = need<LedSetting[]>(r, 3 * count, 'SET_LED entries');
  if (missing) return missing;
  const leds: LedSetting[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const index = r.u8();
    const colour = nameOf(LedColour, bytes[at + 1]);
    const mode = nameOf(LedMode, bytes[at + 2]);
    r.offset += 2;
    if (!colour || !mode)
      return fail('invalid-value', at + 1, `LED ${index}: colour ${bytes[at + 1]}, mode ${bytes[at + 2]}`);
    leds.push({ index, colour, mode });
  }
  return done(r, leds);
}

export interface Beep {
  readonly frequencyHz: number;
  readonly durationMs: number;
}

export function encodeBeep(beep: Beep): Uint8Array {
  checkUint('frequency', beep.frequencyHz, 16);
  checkUint('duration', beep.durationMs, 16);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint16(0, beep.frequencyHz);
  new DataView(out.buffer).setUint16(2, beep.durationMs);
  return out;
}

export function decodeBeep(bytes: Uint8Array): DecodeResult<Beep> {
  const r = new Reader(bytes);
  const short = need<Beep>(r, 4, 'BEEP');
  if (short) return short;
  return done(r, { frequencyHz: r.u16(), durationMs: r.u16() });
}

// ---------------------------------------------------------------------------------------------
// 4.10 STATUS / KEEPALIVE (device to host, while a command runs): status (1).
// 4.11 ERROR (device to host): code (1), then an optional UTF-8 detail (0 .. 256 bytes).

export function encodeStatus(status: DeviceStatusName): Uint8Array {
  return Uint8Array.of(DeviceStatus[status]);
}

export function decodeStatus(bytes: Uint8Array): DecodeResult<DeviceStatusName> {
  if (bytes.length !== 1)
    return fail(
      bytes.length === 0 ? 'truncated' : 'trailing-data',
      Math.min(1, bytes.length),
      'STATUS is one byte',
    );
  const name = nameOf(DeviceStatus, bytes[0]);
  return name ? ok(name) : fail('invalid-value', 0, `status ${bytes[0]}`);
}

export interface DeviceError {
  readonly code: number;
  readonly name: ErrorCodeName | 'UNKNOWN';
  readonly detail: string;
}

export function encodeError(code: number, detail = ''): Uint8Array {
  checkUint('error code', code, 8);
  const text = new TextEncoder().encode(detail).subarray(0, 256);
  const out = new Uint8Array(1 + text.length);
  out[0] = code;
  out.set(text, 1);
  return out;
}

export function decodeError(bytes: Uint8Array): DecodeResult<DeviceError> {
  if (bytes.length < 1) return fail('truncated', 0, 'ERROR needs a code');
  if (bytes.length > 257) return fail('too-large', 257, `ERROR of ${bytes.length} bytes`);
  const code = bytes[0] ?? 0;
  const detail = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(1));
  return ok({ code, name: errorCodeName(code), detail });
}
