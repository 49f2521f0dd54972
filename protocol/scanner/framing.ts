/**
 * FPSCAN framing (protocol/scanner/README.md, section 3): messages cut into fixed-size HID reports
 * in the style of FIDO CTAPHID, widened to 32-bit lengths and sequence numbers so a 1600 x 1500 slap
 * (2.4 MB) travels as one message.
 *
 * Three pure steps, as STYLE.md asks: `frameMessage` cuts a message into reports; `foldReport` folds
 * one incoming report into a reassembly state; a complete message comes out of the fold. Timeouts
 * between reports are the driver's business (drivers/fingerprint), not this file's.
 *
 * Init report (section 3.1)                 Continuation report (section 3.2)
 * | offset | size | field                   | offset | size | field
 * | 0      | 4    | CID, big-endian         | 0      | 4    | CID, big-endian
 * | 4      | 1    | CMD, bit 7 set          | 4      | 4    | SEQ, big-endian, bit 31 clear, from 0
 * | 5      | 4    | BCNT: message length    | 8      | R-8  | data
 * | 9      | R-9  | data                    |
 *
 * R is the report size without the report-id byte (64 or 1024; read from the device). Unused bytes
 * of the last report are zero.
 */

import type { DecodeError, DecodeErrorReason } from '../result.ts';

/** Largest message either side may send, bytes (section 3.3): a 2000 x 2000 image and headers fit. */
export const MAX_MESSAGE = 8 * 1024 * 1024;
/** Report sizes a device may declare (section 2). */
export const REPORT_SIZES = [64, 1024] as const;
export type ReportSize = (typeof REPORT_SIZES)[number];

/** Channel used only by INIT before a channel is allocated (section 4.1). */
export const BROADCAST_CID = 0xffffffff;

export const INIT_HEADER = 9;
export const CONT_HEADER = 8;

export interface Message {
  readonly cid: number;
  /** Command byte with bit 7 set (commands.ts). */
  readonly cmd: number;
  readonly payload: Uint8Array;
}

/** Number of reports a payload of `length` bytes needs at report size `size`. */
export function reportCount(length: number, size: number): number {
  const first = size - INIT_HEADER;
  if (length <= first) return 1;
  return 1 + Math.ceil((length - first) / (size - CONT_HEADER));
}

/**
 * Cuts one message into reports of exactly `size` bytes (no report-id byte: the port adds it).
 * @throws {RangeError} for a report size below 16, a CMD without bit 7, a CID outside 32 bits,
 *   or a payload above MAX_MESSAGE.
 */
export function frameMessage(message: Message, size: number): Uint8Array[] {
  const { cid, cmd, payload } = message;
  if (!Number.isInteger(size) || size < 16) throw new RangeError(`report size ${size} is below 16 bytes`);
  if (!Number.isInteger(cmd) || cmd < 0x80 || cmd > 0xff)
    throw new RangeError(`CMD 0x${cmd.toString(16)} lacks bit 7`);
  if (!Number.isInteger(cid) || cid < 0 || cid > 0xffffffff) throw new RangeError(`CID ${cid} is not 32-bit`);
  if (payload.length > MAX_MESSAGE)
    throw new RangeError(`message of ${payload.length} bytes exceeds ${MAX_MESSAGE}`);
  const reports: Uint8Array[] = [];
  const first = new Uint8Array(size);
  const view = new DataView(first.buffer);
  view.setUint32(0, cid);
  first[4] = cmd;
  view.setUint32(5, payload.length);
  let offset = Math.min(payload.length, size - INIT_HEADER);
  first.set(payload.subarray(0, offset), INIT_HEADER);
  reports.push(first);
  for (let seq = 0; offset < payload.length; seq++) {
    const report = new Uint8Array(size);
    const v = new DataView(report.buffer);
    v.setUint32(0, cid);
    v.setUint32(4, seq);
    const take = Math.min(payload.length - offset, size - CONT_HEADER);
    report.set(payload.subarray(offset, offset + take), CONT_HEADER);
    offset += take;
    reports.push(report);
  }
  return reports;
}

/** Reassembly state: idle, or part of one message received on one channel. */
export type Reassembly =
  | { readonly status: 'idle' }
  | {
      readonly status: 'receiving';
      readonly cid: number;
      readonly cmd: number;
      readonly buffer: Uint8Array;
      readonly filled: number;
      readonly nextSeq: number;
    };

export const IDLE: Reassembly = { status: 'idle' };

/** What one report did to the reassembly. */
export type FoldOutcome =
  /** More reports are needed. */
  | { readonly kind: 'partial'; readonly state: Reassembly }
  /** A message is complete; the state is idle again. */
  | { readonly kind: 'message'; readonly state: Reassembly; readonly message: Message }
  /** The report was for another channel and was dropped (section 3.4); the state is unchanged. */
  | { readonly kind: 'ignored'; readonly state: Reassembly; readonly cid: number }
  /** The report broke the framing; the state is reset to idle and the partial message dropped. */
  | {
      readonly kind: 'error';
      readonly state: Reassembly;
      readonly error: DecodeError;
    };

export interface FoldOptions {
  /** Report size R in bytes: every report must be exactly this long. */
  readonly size: number;
  /** Only reports on this channel are accepted; others are ignored. Undefined accepts any. */
  readonly cid?: number;
  /** Upper bound on BCNT; at most MAX_MESSAGE. */
  readonly maxMessage?: number;
}

function error(reason: DecodeErrorReason, offset: number, detail: string): FoldOutcome {
  return { kind: 'error', state: IDLE, error: { reason, offset, detail } };
}

/**
 * Folds one report into the reassembly. Never throws on report content: short reports, a
 * continuation without an init, out-of-order or repeated sequence numbers and oversized lengths
 * come back as `error` outcomes (reasons `truncated`, `invalid-value`, `too-large`) with the state
 * reset. An init report while a message is in progress also resets: the new message wins
 * (section 3.4: the sender abandoned the old one). Memory is bounded by `maxMessage`.
 * For speed the receiving state owns its buffer and continuation reports fill it in place: pass
 * each outcome's state to the next call and never fold into an older one.
 * @throws {RangeError} only for a bad `options.size`.
 */
export function foldReport(state: Reassembly, report: Uint8Array, options: FoldOptions): FoldOutcome {
  const { size } = options;
  if (!Number.isInteger(size) || size < 16) throw new RangeError(`report size ${size} is below 16 bytes`);
  const maxMessage = Math.min(options.maxMessage ?? MAX_MESSAGE, MAX_MESSAGE);
  if (report.length < size)
    return error('truncated', report.length, `report of ${report.length} bytes, expected ${size}`);
  if (report.length > size)
    return error('trailing-data', size, `report of ${report.length} bytes, expected ${size}`);
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  const cid = view.getUint32(0);
  if (options.cid !== undefined && cid !== options.cid) return { kind: 'ignored', state, cid };
  const marker = report[4] ?? 0;

  if (marker & 0x80) {
    const length = view.getUint32(5);
    if (length > maxMessage)
      return error('too-large', 5, `BCNT ${length} exceeds the ${maxMessage}-byte maximum`);
    const first = Math.min(length, size - INIT_HEADER);
    if (length <= first) {
      return {
        kind: 'message',
        state: IDLE,
        message: { cid, cmd: marker, payload: report.slice(INIT_HEADER, INIT_HEADER + length) },
      };
    }
    const buffer = new Uint8Array(length);
    buffer.set(report.subarray(INIT_HEADER, INIT_HEADER + first));
    return {
      kind: 'partial',
      state: { status: 'receiving', cid, cmd: marker, buffer, filled: first, nextSeq: 0 },
    };
  }

  if (state.status === 'idle')
    return error('invalid-value', 4, `continuation on channel 0x${cid.toString(16)} without an init report`);
  if (cid !== state.cid)
    return error(
      'invalid-value',
      0,
      `continuation on channel 0x${cid.toString(16)} while receiving on 0x${state.cid.toString(16)}`,
    );
  const seq = view.getUint32(4);
  if (seq !== state.nextSeq) return error('invalid-value', 4, `sequence ${seq}, expected ${state.nextSeq}`);
  const take = Math.min(state.buffer.length - state.filled, size - CONT_HEADER);
  state.buffer.set(report.subarray(CONT_HEADER, CONT_HEADER + take), state.filled);
  const filled = state.filled + take;
  if (filled === state.buffer.length)
    return { kind: 'message', state: IDLE, message: { cid, cmd: state.cmd, payload: state.buffer } };
  return { kind: 'partial', state: { ...state, filled, nextSeq: seq + 1 } };
}
