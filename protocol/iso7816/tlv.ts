/**
 * BER-TLV as ISO/IEC 7816-4 and ICAO 9303 use it: tags of 1 to 3 bytes, definite lengths in short
 * form or long form with 1 to 3 length bytes. Decoding never throws and is bounded: a declared
 * length beyond the input is `truncated`, beyond `maxLength` is `too-large`; nesting deeper than
 * `maxDepth` and more than `maxNodes` objects are refused. Values are views (subarray) into the
 * input, not copies.
 */
import { type DecodeResult, fail, ok } from '../result.ts';

export interface Tlv {
  /** The tag as a number of its bytes, e.g. 0x61, 0x5f1f, 0x7f61. */
  readonly tag: number;
  /** Bit 6 of the first tag byte: the value holds TLVs. */
  readonly constructed: boolean;
  /** Where the TLV starts in the buffer it was read from. */
  readonly offset: number;
  /** Tag and length bytes. */
  readonly headerLength: number;
  readonly value: Uint8Array;
  /** Header plus value. */
  readonly totalLength: number;
}

export interface TlvLimits {
  /** Largest value length accepted, bytes (default 16 MiB; a 3-byte length reaches that). */
  readonly maxLength?: number;
  /** Deepest nesting `parseTree` follows (default 16). */
  readonly maxDepth?: number;
  /** Most objects one parse returns (default 10000). */
  readonly maxNodes?: number;
}

const DEFAULT_MAX_LENGTH = 16 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 16;
const DEFAULT_MAX_NODES = 10_000;

export interface TlvHeader {
  readonly tag: number;
  readonly constructed: boolean;
  /** Tag and length bytes. */
  readonly headerLength: number;
  /** The declared value length, bytes. */
  readonly length: number;
}

/**
 * Reads the tag and length of the TLV at `offset` without needing its value to be present: how a
 * reader learns a file's size from its first bytes. Errors as `readTlv`, except a value that runs
 * past `bytes`, which is fine here.
 */
export function readTlvHeader(
  bytes: Uint8Array,
  offset = 0,
  limits: TlvLimits = {},
): DecodeResult<TlvHeader> {
  let at = offset;
  const first = bytes[at];
  if (first === undefined) return fail('truncated', at, 'no tag byte');
  if (first === 0x00 || first === 0xff)
    return fail('invalid-value', at, `tag byte ${first.toString(16).padStart(2, '0')} is padding, not a tag`);
  let tag = first;
  at++;
  if ((first & 0x1f) === 0x1f) {
    // Subsequent tag bytes: bit 8 set means another follows.
    let count = 0;
    for (;;) {
      const next = bytes[at];
      if (next === undefined) return fail('truncated', at, 'tag cut short');
      if (++count > 2)
        return fail('unsupported', offset, 'tags longer than 3 bytes are not used by ICAO 9303');
      tag = (tag << 8) | next;
      at++;
      if ((next & 0x80) === 0) break;
    }
  }
  const lengthByte = bytes[at];
  if (lengthByte === undefined) return fail('truncated', at, 'length missing');
  at++;
  let length: number;
  if (lengthByte < 0x80) length = lengthByte;
  else if (lengthByte === 0x80)
    return fail('unsupported', at - 1, 'indefinite length is not allowed in DER or 7816-4 BER-TLV');
  else {
    const count = lengthByte & 0x7f;
    if (count > 3) return fail('too-large', at - 1, `${count} length bytes; at most 3 are accepted`);
    if (at + count > bytes.length) return fail('truncated', at, 'length bytes cut short');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[at + i] ?? 0);
    at += count;
  }
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH;
  if (length > maxLength)
    return fail('too-large', offset, `value of ${length} bytes exceeds the ${maxLength}-byte bound`);
  return ok({ tag, constructed: (first & 0x20) !== 0, headerLength: at - offset, length });
}

/** Reads one TLV at `offset` of `bytes` (the value must fit in `bytes`). */
export function readTlv(bytes: Uint8Array, offset = 0, limits: TlvLimits = {}): DecodeResult<Tlv> {
  const header = readTlvHeader(bytes, offset, limits);
  if (!header.ok) return header;
  const { tag, constructed, headerLength, length } = header.value;
  const at = offset + headerLength;
  if (at + length > bytes.length)
    return fail('truncated', at, `value of ${length} bytes declared, ${bytes.length - at} present`);
  return ok({
    tag,
    constructed,
    offset,
    headerLength,
    value: bytes.subarray(at, at + length),
    totalLength: headerLength + length,
  });
}

/** Reads consecutive TLVs filling `bytes` exactly (one level, no descent). */
export function readTlvs(bytes: Uint8Array, limits: TlvLimits = {}): DecodeResult<Tlv[]> {
  const out: Tlv[] = [];
  const maxNodes = limits.maxNodes ?? DEFAULT_MAX_NODES;
  let at = 0;
  while (at < bytes.length) {
    if (out.length >= maxNodes) return fail('too-large', at, `more than ${maxNodes} objects`);
    const next = readTlv(bytes, at, limits);
    if (!next.ok) return next;
    out.push(next.value);
    at += next.value.totalLength;
  }
  return ok(out);
}

export interface TlvNode extends Tlv {
  /** Children of a constructed object; empty for a primitive one. */
  readonly children: readonly TlvNode[];
}

/** Parses `bytes` as a sequence of TLVs, descending into constructed ones, within the limits. */
export function parseTree(bytes: Uint8Array, limits: TlvLimits = {}): DecodeResult<TlvNode[]> {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxNodes = limits.maxNodes ?? DEFAULT_MAX_NODES;
  let nodes = 0;
  const level = (buffer: Uint8Array, base: number, depth: number): DecodeResult<TlvNode[]> => {
    const list = readTlvs(buffer, limits);
    if (!list.ok) return fail(list.error.reason, base + list.error.offset, list.error.detail);
    const out: TlvNode[] = [];
    for (const tlv of list.value) {
      if (++nodes > maxNodes) return fail('too-large', base + tlv.offset, `more than ${maxNodes} objects`);
      let children: TlvNode[] = [];
      if (tlv.constructed) {
        if (depth >= maxDepth) return fail('too-large', base + tlv.offset, `nested deeper than ${maxDepth}`);
        const inner = level(tlv.value, base + tlv.offset + tlv.headerLength, depth + 1);
        if (!inner.ok) return inner;
        children = inner.value;
      }
      out.push({ ...tlv, offset: base + tlv.offset, children });
    }
    return ok(out);
  };
  return level(bytes, 0, 0);
}

/** The first object with `tag` among `list`, or undefined. */
export function findTag<T extends Tlv>(list: readonly T[], tag: number): T | undefined {
  return list.find((tlv) => tlv.tag === tag);
}

/** The tag's bytes. @throws {RangeError} for a tag that is not 1 to 3 bytes of valid BER. */
export function encodeTag(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffffff)
    throw new RangeError(`tag ${tag} is not 1 to 3 bytes`);
  const bytes =
    tag > 0xffff ? [tag >> 16, (tag >> 8) & 0xff, tag & 0xff] : tag > 0xff ? [tag >> 8, tag & 0xff] : [tag];
  const multi = bytes.length > 1;
  const first = bytes[0] ?? 0;
  if (multi !== ((first & 0x1f) === 0x1f) || first === 0xff)
    throw new RangeError(`tag ${tag.toString(16)} is not valid BER (or starts with padding byte FF)`);
  // Subsequent bytes: bit 8 set on all but the last (7816-4 §5.2.2.1), or readTlv reads another tag.
  for (let i = 1; i < bytes.length; i++) {
    const more = ((bytes[i] ?? 0) & 0x80) !== 0;
    if (more !== i < bytes.length - 1) throw new RangeError(`tag ${tag.toString(16)} is not valid BER`);
  }
  return Uint8Array.from(bytes);
}

/** The length's bytes: short form under 128, else 81/82/83 with 1 to 3 bytes. */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffff)
    throw new RangeError(`length ${length} out of range`);
  if (length < 0x80) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0x81, length);
  if (length <= 0xffff) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  return Uint8Array.of(0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
}

/** Tag, length, value. Several values are concatenated (a constructed object's children). */
export function encodeTlv(tag: number, ...values: readonly Uint8Array[]): Uint8Array {
  const tagBytes = encodeTag(tag);
  const total = values.reduce((n, v) => n + v.length, 0);
  const lengthBytes = encodeLength(total);
  const out = new Uint8Array(tagBytes.length + lengthBytes.length + total);
  out.set(tagBytes);
  out.set(lengthBytes, tagBytes.length);
  let at = tagBytes.length + lengthBytes.length;
  for (const v of values) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
