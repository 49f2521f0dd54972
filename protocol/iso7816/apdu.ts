/**
 * ISO/IEC 7816-4 APDUs: command encoding in the four cases, short and extended length, command
 * decoding (the card's side: simulators, tests) and response splitting.
 *
 * Lengths follow 7816-4 5.1: a short Lc is 1 byte (1..255), a short Le is 1 byte (1..256, 256
 * written 00); an extended Lc is 00 hh ll (1..65535), an extended Le is 00 hh ll without Lc or
 * hh ll after an extended Lc (1..65536, 65536 written 0000).
 */
import { type DecodeResult, fail, ok } from '../result.ts';

/** Largest Le of a short APDU. */
export const SHORT_LE_MAX = 256;
/** Largest Lc of a short APDU. */
export const SHORT_LC_MAX = 255;
/** Largest Le of an extended APDU. */
export const EXTENDED_LE_MAX = 65536;
/** Largest Lc of an extended APDU. */
export const EXTENDED_LC_MAX = 65535;

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (Lc is its length); omitted or empty for none. */
  readonly data?: Uint8Array;
  /**
   * Expected response length: 1..256 short, 1..65536 extended; omitted for none. "As much as
   * possible" is 256 (short) or 65536 (extended), both encoded as zeros.
   */
  readonly le?: number;
}

export interface EncodeOptions {
  /** 'auto' (default) uses extended length only when Lc or Le needs it. */
  readonly length?: 'short' | 'extended' | 'auto';
}

function byteField(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new RangeError(`${name} must be a byte, got ${value}`);
}

/** Whether the command needs extended length (Lc over 255 or Le over 256). */
export function needsExtended(command: CommandApdu): boolean {
  return (command.data?.length ?? 0) > SHORT_LC_MAX || (command.le ?? 0) > SHORT_LE_MAX;
}

/**
 * Encodes a command APDU.
 * @throws {RangeError} for a header field that is not a byte, an Lc or Le out of range, or a
 *   command that needs extended length when `length: 'short'` was asked for.
 */
export function encodeCommand(command: CommandApdu, options: EncodeOptions = {}): Uint8Array {
  const { cla, ins, p1, p2 } = command;
  byteField('CLA', cla);
  byteField('INS', ins);
  byteField('P1', p1);
  byteField('P2', p2);
  const data = command.data ?? new Uint8Array(0);
  const le = command.le;
  if (data.length > EXTENDED_LC_MAX)
    throw new RangeError(`command data of ${data.length} bytes exceeds 65535`);
  if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > EXTENDED_LE_MAX))
    throw new RangeError(`Le must be 1..65536, got ${le}`);
  const mode = options.length ?? 'auto';
  const extended = mode === 'extended' || (mode === 'auto' && needsExtended(command));
  if (!extended && needsExtended(command))
    throw new RangeError(`Lc ${data.length} or Le ${le} needs extended length; short was asked for`);

  const parts: number[] = [cla, ins, p1, p2];
  if (!extended) {
    if (data.length > 0) parts.push(data.length);
    const out = new Uint8Array(parts.length + data.length + (le === undefined ? 0 : 1));
    out.set(parts);
    out.set(data, parts.length);
    if (le !== undefined) out[out.length - 1] = le & 0xff;
    return out;
  }
  // Extended: a zero byte opens the length fields once.
  const header = [...parts];
  if (data.length > 0) header.push(0, data.length >> 8, data.length & 0xff);
  const leBytes: number[] = [];
  if (le !== undefined) {
    const value = le === EXTENDED_LE_MAX ? 0 : le;
    if (data.length === 0) leBytes.push(0);
    leBytes.push(value >> 8, value & 0xff);
  }
  const out = new Uint8Array(header.length + data.length + leBytes.length);
  out.set(header);
  out.set(data, header.length);
  out.set(leBytes, header.length + data.length);
  return out;
}

export interface DecodedCommand extends CommandApdu {
  readonly data: Uint8Array;
  /** Whether the command used extended length fields. */
  readonly extended: boolean;
}

/**
 * Decodes a command APDU (the card's side). Never throws: malformed lengths come back as
 * `truncated`, `trailing-data` or `invalid-value` with the offset.
 */
export function decodeCommand(bytes: Uint8Array): DecodeResult<DecodedCommand> {
  if (bytes.length < 4)
    return fail('truncated', bytes.length, `a command APDU has a 4-byte header; got ${bytes.length}`);
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = bytes;
  const header = { cla, ins, p1, p2 };
  const body = bytes.length - 4;
  const empty = new Uint8Array(0);
  if (body === 0) return ok({ ...header, data: empty, extended: false }); // case 1
  const first = bytes[4] ?? 0;
  if (body === 1) return ok({ ...header, data: empty, le: first === 0 ? 256 : first, extended: false }); // case 2S
  if (first !== 0) {
    // Short Lc.
    const lc = first;
    if (body === 1 + lc) return ok({ ...header, data: bytes.slice(5, 5 + lc), extended: false }); // case 3S
    if (body === 2 + lc) {
      const le = bytes[5 + lc] ?? 0;
      return ok({ ...header, data: bytes.slice(5, 5 + lc), le: le === 0 ? 256 : le, extended: false }); // case 4S
    }
    return fail(
      body < 1 + lc ? 'truncated' : 'trailing-data',
      4,
      `short Lc ${lc} does not fit ${body} body bytes`,
    );
  }
  // Extended: 00 then two bytes.
  if (body < 3) return fail('truncated', 4, 'extended length field cut short');
  const n = ((bytes[5] ?? 0) << 8) | (bytes[6] ?? 0);
  if (body === 3) return ok({ ...header, data: empty, le: n === 0 ? 65536 : n, extended: true }); // case 2E
  if (n === 0) return fail('invalid-value', 5, 'extended Lc of 0');
  if (body === 3 + n) return ok({ ...header, data: bytes.slice(7, 7 + n), extended: true }); // case 3E
  if (body === 5 + n) {
    const le = ((bytes[7 + n] ?? 0) << 8) | (bytes[8 + n] ?? 0);
    return ok({ ...header, data: bytes.slice(7, 7 + n), le: le === 0 ? 65536 : le, extended: true }); // case 4E
  }
  return fail(
    body < 3 + n ? 'truncated' : 'trailing-data',
    5,
    `extended Lc ${n} does not fit ${body} body bytes`,
  );
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  /** SW1 SW2 as one number, e.g. 0x9000. */
  readonly sw: number;
}

/** Splits a response APDU into data and status word. Never throws. */
export function decodeResponse(bytes: Uint8Array): DecodeResult<ResponseApdu> {
  if (bytes.length < 2)
    return fail(
      'truncated',
      bytes.length,
      `a response APDU ends in a 2-byte status word; got ${bytes.length}`,
    );
  const n = bytes.length;
  return ok({ data: bytes.slice(0, n - 2), sw: ((bytes[n - 2] ?? 0) << 8) | (bytes[n - 1] ?? 0) });
}

/** Data followed by SW1 SW2. */
export function encodeResponse(response: ResponseApdu): Uint8Array {
  const out = new Uint8Array(response.data.length + 2);
  out.set(response.data);
  out[out.length - 2] = (response.sw >> 8) & 0xff;
  out[out.length - 1] = response.sw & 0xff;
  return out;
}
