/**
 * WSQ marker segments: one declaration per wire format (Part 1, Annex B). Every integer is
 * big-endian. Real numbers travel as a scale exponent E (one byte) and an unsigned integer V:
 * value = V / 10^E.
 *
 * | marker | code   | segment (after the 2-byte marker)                                     | §        |
 * |--------|--------|-----------------------------------------------------------------------|----------|
 * | SOI    | FFA0   | none                                                                  | B.2.1    |
 * | EOI    | FFA1   | none                                                                  | B.2.1    |
 * | SOF    | FFA2   | frame header, 17 bytes (below)                                        | B.2.2    |
 * | SOB    | FFA3   | block header: Lb = 3, Td (Huffman table of the block)                 | B.2.3    |
 * | DTT    | FFA4   | transform table: filter lengths and half of each filter               | B.2.4.1  |
 * | DQT    | FFA5   | quantization table: bin centre C, Q_k and Z_k for 64 subbands         | B.2.4.2  |
 * | DHT    | FFA6   | one or more Huffman tables: Th, BITS (16), HUFFVAL                    | B.2.4.3  |
 * | DRT    | FFA7   | restart interval: Lr = 4, Ri                                          | B.2.4.4  |
 * | COM    | FFA8   | comment: Lc, bytes (NISTCOM text, see nistcom.ts)                     | B.2.4.5  |
 * | RSTm   | FFB0-7 | restart marker between entropy-coded segments of a block, m = 0 .. 7  | B.1      |
 *
 * Section numbers follow Annex B's layout as the v3 change history names it (Figure B.3,
 * §B.2.4.3); the specification text itself was not available to us (README.md, "Sources").
 */

import { type DecodeResult, fail, ok } from '../result.ts';
import { ALPHABET, type HuffmanSpec, MAX_CODE_LENGTH, specProblem } from './huffman.ts';
import { type FilterBank, filterFromHalf, upperHalf } from './transform.ts';
import { DQT_SUBBANDS } from './tree.ts';

export const Marker = {
  SOI: 0xffa0,
  EOI: 0xffa1,
  SOF: 0xffa2,
  SOB: 0xffa3,
  DTT: 0xffa4,
  DQT: 0xffa5,
  DHT: 0xffa6,
  DRT: 0xffa7,
  COM: 0xffa8,
} as const;
export type MarkerName = keyof typeof Marker;

/** Restart markers RST0 .. RST7 (the WSQ assignment; JPEG's FFD0-FFD7 are not WSQ markers). */
export const RST_FIRST = 0xffb0;
export const RST_LAST = 0xffb7;

/** Huffman table identifiers a DHT may define (NBIS: MAX_DHT_TABLES). */
export const MAX_HUFFMAN_TABLES = 8;

// ---------------------------------------------------------------------------------------------
// Scaled reals: value = V / 10^E

/** V / 10^E, computed so that exact decimals stay exact (0.44, 0.75). */
export function scaledValue(exponent: number, integer: number): number {
  return exponent === 0 ? integer : integer / 10 ** exponent;
}

/**
 * The (E, V) pair for a value, with as many digits as fit under `limit` (NBIS tableio.c: multiply
 * by 10 while below the limit, then step back one).
 * @throws {RangeError} for a negative, non-finite or too large value, or one needing E > 255.
 */
export function toScaled(value: number, limit: number): { exponent: number; integer: number } {
  if (!Number.isFinite(value) || value < 0 || value >= limit)
    throw new RangeError(`${value} cannot be written as a scaled integer below ${limit}`);
  if (value === 0) return { exponent: 0, integer: 0 };
  let exponent = 0;
  let scaled = value;
  while (scaled < limit) {
    exponent++;
    scaled = value * 10 ** exponent;
  }
  exponent--;
  if (exponent > 255) throw new RangeError(`${value} needs a scale exponent above 255`);
  const integer = Math.min(Math.round(value * 10 ** exponent), limit);
  return { exponent, integer };
}

/**
 * The (E, V) pair with the fewest digits that carries `value` exactly, if one fits below `limit`
 * (cwsq writes the bin centre 0.44 as E = 2, V = 44); otherwise toScaled's.
 */
export function toScaledShortest(value: number, limit: number): { exponent: number; integer: number } {
  for (let exponent = 0; exponent <= 9; exponent++) {
    const integer = Math.round(value * 10 ** exponent);
    if (integer >= limit) break;
    if (Math.abs(integer / 10 ** exponent - value) <= 1e-12 * Math.max(1, value))
      return { exponent, integer };
  }
  return toScaled(value, limit);
}

/**
 * The value a decoder will read back for `value` written with toScaled.
 * @throws {RangeError} as toScaled does.
 */
export function roundTripScaled(value: number, limit: number): number {
  const { exponent, integer } = toScaled(value, limit);
  return scaledValue(exponent, integer);
}

const U16 = 0xffff;
const U32 = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Writing

/** A preallocated output buffer; segments are appended with the write* functions below. */
export class ByteSink {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  position = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(v: number): void {
    this.bytes[this.position++] = v;
  }

  u16(v: number): void {
    this.view.setUint16(this.position, v);
    this.position += 2;
  }

  u32(v: number): void {
    this.view.setUint32(this.position, v);
    this.position += 4;
  }

  scaled16(value: number): void {
    const { exponent, integer } = toScaled(value, U16);
    this.u8(exponent);
    this.u16(integer);
  }
}

// ---------------------------------------------------------------------------------------------
// SOF, frame header (§B.2.2)
// | offset | size | field
// | 0      | 2    | Lf = 17
// | 2      | 1    | A: black pixel value
// | 3      | 1    | B: white pixel value
// | 4      | 2    | Y: height, pixels
// | 6      | 2    | X: width, pixels
// | 8      | 1    | Em: exponent of M
// | 9      | 2    | M: mean removed before the transform (value = M / 10^Em)
// | 11     | 1    | Er: exponent of R
// | 12     | 2    | R: scale applied after removing the mean
// | 14     | 1    | WSQ encoder number
// | 15     | 2    | software implementation number

export const SOF_LENGTH = 17;

export interface FrameHeader {
  readonly black: number;
  readonly white: number;
  readonly height: number;
  readonly width: number;
  /** M: the encoder subtracted it from every pixel. */
  readonly shift: number;
  /** R: the encoder divided by it after subtracting M. */
  readonly scale: number;
  readonly encoder: number;
  readonly software: number;
}

/** @throws {RangeError} for an M or R the scaled 16-bit fields cannot carry. */
export function writeFrameHeader(sink: ByteSink, f: FrameHeader): void {
  sink.u16(Marker.SOF);
  sink.u16(SOF_LENGTH);
  sink.u8(f.black);
  sink.u8(f.white);
  sink.u16(f.height);
  sink.u16(f.width);
  sink.scaled16(f.shift);
  sink.scaled16(f.scale);
  sink.u8(f.encoder);
  sink.u16(f.software);
}

/** `at` is the offset of Lf. Errors: 'truncated', 'invalid-value' (length), with offsets. */
export function readFrameHeader(bytes: Uint8Array, at: number): DecodeResult<FrameHeader> {
  const length = segmentLength(bytes, at, SOF_LENGTH, SOF_LENGTH, 'SOF');
  if (!length.ok) return length;
  const v = view(bytes);
  return ok({
    black: v.getUint8(at + 2),
    white: v.getUint8(at + 3),
    height: v.getUint16(at + 4),
    width: v.getUint16(at + 6),
    shift: scaledValue(v.getUint8(at + 8), v.getUint16(at + 9)),
    scale: scaledValue(v.getUint8(at + 11), v.getUint16(at + 12)),
    encoder: v.getUint8(at + 14),
    software: v.getUint16(at + 15),
  });
}

// ---------------------------------------------------------------------------------------------
// SOB, block header (§B.2.3)
// | 0 | 2 | Lb = 3
// | 2 | 1 | Td: Huffman table used by the block's entropy-coded data, which follows at once

export const SOB_LENGTH = 3;

export function writeBlockHeader(sink: ByteSink, table: number): void {
  sink.u16(Marker.SOB);
  sink.u16(SOB_LENGTH);
  sink.u8(table);
}

/** `at` is the offset of Lb. Errors: 'truncated', 'invalid-value' (length, table id above 7). */
export function readBlockHeader(bytes: Uint8Array, at: number): DecodeResult<{ readonly table: number }> {
  const length = segmentLength(bytes, at, SOB_LENGTH, SOB_LENGTH, 'SOB');
  if (!length.ok) return length;
  const table = bytes[at + 2] ?? 0;
  if (table >= MAX_HUFFMAN_TABLES)
    return fail('invalid-value', at + 2, `SOB selects Huffman table ${table}; tables are 0 .. 7`);
  return ok({ table });
}

// ---------------------------------------------------------------------------------------------
// DTT, transform table (§B.2.4.1)
// | 0   | 2 | Lt = 4 + 6 (ceil(L0/2) + ceil(L1/2)); 58 for the 9/7 filters
// | 2   | 1 | L0: analysis low-pass length
// | 3   | 1 | L1: analysis high-pass length
// | 4   | 6 each | low-pass taps floor(L0/2) .. L0-1, then high-pass taps floor(L1/2) .. L1-1;
// |     |   | each: sign (1 byte, 0 = positive), E (1 byte), V (4 bytes): tap = +-V / 10^E
// The other half follows from symmetry (transform.ts filterFromHalf).

const TAP_BYTES = 6;

/** @throws {RangeError} for a tap of magnitude 2^32 or more. */
export function writeTransformTable(sink: ByteSink, bank: FilterBank): void {
  const low = upperHalf(bank.lowpass);
  const high = upperHalf(bank.highpass);
  sink.u16(Marker.DTT);
  sink.u16(4 + TAP_BYTES * (low.length + high.length));
  sink.u8(bank.lowpass.length);
  sink.u8(bank.highpass.length);
  for (const tap of [...low, ...high]) {
    const { exponent, integer } = toScaled(Math.abs(tap), U32);
    sink.u8(tap < 0 ? 1 : 0);
    sink.u8(exponent);
    sink.u32(integer);
  }
}

/** `at` is the offset of Lt. Errors: 'truncated'; 'invalid-value' for a zero length or a Lt that disagrees. */
export function readTransformTable(bytes: Uint8Array, at: number): DecodeResult<FilterBank> {
  const declared = segmentLength(bytes, at, 4, U16, 'DTT');
  if (!declared.ok) return declared;
  const l0 = bytes[at + 2] ?? 0;
  const l1 = bytes[at + 3] ?? 0;
  if (l0 === 0 || l1 === 0) return fail('invalid-value', at + 2, `DTT filter lengths ${l0}/${l1}`);
  const n0 = l0 - (l0 >> 1);
  const n1 = l1 - (l1 >> 1);
  const expected = 4 + TAP_BYTES * (n0 + n1);
  if (declared.value !== expected)
    return fail('invalid-value', at, `DTT length ${declared.value}, filters ${l0}/${l1} need ${expected}`);
  const v = view(bytes);
  const taps = new Float64Array(n0 + n1);
  for (let k = 0; k < n0 + n1; k++) {
    const p = at + 4 + TAP_BYTES * k;
    const magnitude = scaledValue(v.getUint8(p + 1), v.getUint32(p + 2));
    taps[k] = v.getUint8(p) === 0 ? magnitude : -magnitude;
  }
  return ok({
    lowpass: filterFromHalf(taps.subarray(0, n0), l0, false),
    highpass: filterFromHalf(taps.subarray(n0), l1, l1 % 2 === 0),
  });
}

// ---------------------------------------------------------------------------------------------
// DQT, quantization table (§B.2.4.2)
// | 0   | 2 | Lq = 389
// | 2   | 1 | Ec: exponent of C
// | 3   | 2 | C: quantizer bin centre (0.44 in Part 3)
// | 5   | 6 each, 64 times | Eq, Q_k (2 bytes), Ez, Z_k (2 bytes): bin and zero-bin widths of
// |     |   | subband k; Q_k = 0 means the subband is not coded. Entries 60 .. 63 are zero.

export const DQT_LENGTH = 5 + 6 * DQT_SUBBANDS;

export interface QuantizationTable {
  readonly binCenter: number;
  /** Q_k for k = 0 .. 63 (0 = subband not coded). */
  readonly q: Float64Array;
  /** Z_k for k = 0 .. 63. */
  readonly z: Float64Array;
}

/** @throws {RangeError} for a C, Q_k or Z_k the scaled 16-bit fields cannot carry (65535 and up). */
export function writeQuantizationTable(sink: ByteSink, table: QuantizationTable): void {
  sink.u16(Marker.DQT);
  sink.u16(DQT_LENGTH);
  const center = toScaledShortest(table.binCenter, U16);
  sink.u8(center.exponent);
  sink.u16(center.integer);
  for (let k = 0; k < DQT_SUBBANDS; k++) {
    const q = table.q[k] ?? 0;
    sink.scaled16(q);
    sink.scaled16(q === 0 ? 0 : (table.z[k] ?? 0));
  }
}

/** `at` is the offset of Lq. Errors: 'truncated', 'invalid-value' (length). */
export function readQuantizationTable(bytes: Uint8Array, at: number): DecodeResult<QuantizationTable> {
  const length = segmentLength(bytes, at, DQT_LENGTH, DQT_LENGTH, 'DQT');
  if (!length.ok) return length;
  const v = view(bytes);
  const q = new Float64Array(DQT_SUBBANDS);
  const z = new Float64Array(DQT_SUBBANDS);
  for (let k = 0; k < DQT_SUBBANDS; k++) {
    const p = at + 5 + 6 * k;
    q[k] = scaledValue(v.getUint8(p), v.getUint16(p + 1));
    z[k] = scaledValue(v.getUint8(p + 3), v.getUint16(p + 4));
  }
  return ok({ binCenter: scaledValue(v.getUint8(at + 2), v.getUint16(at + 3)), q, z });
}

// ---------------------------------------------------------------------------------------------
// DHT, Huffman tables (§B.2.4.3)
// | 0 | 2  | Lh = 2 + sum over tables of (17 + number of symbols)
// then, repeated until Lh is used up:
// | 0 | 1  | Th: table identifier 0 .. 7
// | 1 | 16 | BITS: number of codes of each length 1 .. 16
// | 17| n  | HUFFVAL: the n = sum(BITS) symbols in code order

export interface HuffmanDefinition {
  readonly id: number;
  readonly spec: HuffmanSpec;
  /** Offset of Th, for error reports. */
  readonly offset: number;
}

export function writeHuffmanTable(sink: ByteSink, id: number, spec: HuffmanSpec): void {
  sink.u16(Marker.DHT);
  sink.u16(2 + 1 + MAX_CODE_LENGTH + spec.values.length);
  sink.u8(id);
  sink.bytes.set(spec.bits, sink.position);
  sink.position += MAX_CODE_LENGTH;
  sink.bytes.set(spec.values, sink.position);
  sink.position += spec.values.length;
}

/**
 * `at` is the offset of Lh. Errors: 'truncated'; 'invalid-value' for a table id above 7, an id
 * defined twice, symbols past the segment, or BITS that overflow the code space (at that BITS byte).
 */
export function readHuffmanTables(bytes: Uint8Array, at: number): DecodeResult<HuffmanDefinition[]> {
  const length = segmentLength(bytes, at, 2 + 1 + MAX_CODE_LENGTH, U16, 'DHT');
  if (!length.ok) return length;
  const end = at + length.value;
  const tables: HuffmanDefinition[] = [];
  let p = at + 2;
  while (p < end) {
    if (end - p < 1 + MAX_CODE_LENGTH)
      return fail('invalid-value', p, `DHT has ${end - p} bytes left, a table needs at least 17`);
    const id = bytes[p] ?? 0;
    if (id >= MAX_HUFFMAN_TABLES)
      return fail('invalid-value', p, `DHT defines table ${id}; tables are 0 .. 7`);
    if (tables.some((t) => t.id === id)) return fail('invalid-value', p, `DHT defines table ${id} twice`);
    const bits = bytes.slice(p + 1, p + 1 + MAX_CODE_LENGTH);
    let count = 0;
    for (const b of bits) count += b;
    if (count > ALPHABET) return fail('invalid-value', p + 1, `DHT table ${id} declares ${count} codes`);
    if (p + 1 + MAX_CODE_LENGTH + count > end)
      return fail('invalid-value', p + 1, `DHT table ${id} declares ${count} symbols past the segment end`);
    const values = bytes.slice(p + 1 + MAX_CODE_LENGTH, p + 1 + MAX_CODE_LENGTH + count);
    const spec = { bits, values };
    const problem = specProblem(spec);
    if (problem)
      return fail('invalid-value', p + 1 + Math.min(problem.at, MAX_CODE_LENGTH - 1), problem.detail);
    tables.push({ id, spec, offset: p });
    p += 1 + MAX_CODE_LENGTH + count;
  }
  return ok(tables);
}

// ---------------------------------------------------------------------------------------------
// DRT, restart interval (§B.2.4.4)
// | 0 | 2 | Lr = 4
// | 2 | 2 | Ri: restart interval (0 disables restart markers)

export const DRT_LENGTH = 4;

export function writeRestartInterval(sink: ByteSink, interval: number): void {
  sink.u16(Marker.DRT);
  sink.u16(DRT_LENGTH);
  sink.u16(interval);
}

/** `at` is the offset of Lr. Errors: 'truncated', 'invalid-value' (length). */
export function readRestartInterval(bytes: Uint8Array, at: number): DecodeResult<number> {
  const length = segmentLength(bytes, at, DRT_LENGTH, DRT_LENGTH, 'DRT');
  if (!length.ok) return length;
  return ok(view(bytes).getUint16(at + 2));
}

// ---------------------------------------------------------------------------------------------
// COM, comment (§B.2.4.5)
// | 0 | 2 | Lc = 2 + n
// | 2 | n | comment bytes (NBIS writes 7-bit text without a terminator)

export function writeComment(sink: ByteSink, text: Uint8Array): void {
  sink.u16(Marker.COM);
  sink.u16(2 + text.length);
  sink.bytes.set(text, sink.position);
  sink.position += text.length;
}

/** `at` is the offset of Lc; the comment is a view into `bytes`. Errors: 'truncated', 'invalid-value'. */
export function readComment(bytes: Uint8Array, at: number): DecodeResult<Uint8Array> {
  const length = segmentLength(bytes, at, 2, U16, 'COM');
  if (!length.ok) return length;
  return ok(bytes.subarray(at + 2, at + length.value));
}

// ---------------------------------------------------------------------------------------------

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads and checks a segment's length field at `at`: 'truncated' when the field or the segment runs
 * past the input, 'invalid-value' when it is outside [min, max].
 */
export function segmentLength(
  bytes: Uint8Array,
  at: number,
  min: number,
  max: number,
  name: string,
): DecodeResult<number> {
  if (at + 2 > bytes.length)
    return fail('truncated', bytes.length, `input ends inside the ${name} length field`);
  const length = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
  if (length < min || length > max)
    return fail(
      'invalid-value',
      at,
      min === max
        ? `${name} length ${length}, expected ${min}`
        : `${name} length ${length} outside ${min} .. ${max}`,
    );
  if (at + length > bytes.length)
    return fail(
      'truncated',
      bytes.length,
      `${name} segment of ${length} bytes runs past the end of the input`,
    );
  return ok(length);
}
