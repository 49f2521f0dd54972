/**
 * WSQ entropy coding (Part 1, Annex A: Huffman decoding; §B.2.4.3 for the DHT table layout; the
 * encoder's table construction follows the JPEG procedure of ISO/IEC 10918-1 Annex K.2, which NBIS
 * and the WSQ spec use unchanged).
 *
 * The quantized coefficients of a block are coded as a sequence of symbols ("categories"):
 *
 * | symbol    | meaning                                                            | extra bits |
 * |-----------|--------------------------------------------------------------------|------------|
 * | 1 .. 100  | a run of that many zero coefficients                               | 0          |
 * | 101       | a positive coefficient, value in the next 8 bits                   | 8          |
 * | 102       | a negative coefficient, magnitude in the next 8 bits               | 8          |
 * | 103       | a positive coefficient, value in the next 16 bits                  | 16         |
 * | 104       | a negative coefficient, magnitude in the next 16 bits              | 16         |
 * | 105       | a zero run, length in the next 8 bits                              | 8          |
 * | 106       | a zero run, length in the next 16 bits                             | 16         |
 * | 107 .. 254| the coefficient (symbol - 180): -73 .. +74 (180 itself means 0)    | 0          |
 *
 * Our encoder keeps coefficients to -73 .. +73 (symbols 107 .. 253) and escapes +74, so every
 * symbol it writes is in the range the spec's table lists as codes 1 .. 253; the decoder accepts 254
 * as NBIS's encoder writes it. Codes are canonical (JPEG Annex C): BITS gives the number of codes of
 * each length 1 .. 16, HUFFVAL the symbols in code order. Entropy-coded bytes 0xFF are followed by a
 * stuffed 0x00, and a segment ends with 1-bits up to the byte boundary.
 */

/** Longest code length a DHT can declare (L1 .. L16). */
export const MAX_CODE_LENGTH = 16;
/** Symbols in the WSQ alphabet (values 0 .. 255; 0 and 255 are never used). */
export const ALPHABET = 256;

export const MAX_ZERO_RUN_SYMBOL = 100;
export const ESC_POSITIVE_8 = 101;
export const ESC_NEGATIVE_8 = 102;
export const ESC_POSITIVE_16 = 103;
export const ESC_NEGATIVE_16 = 104;
export const ESC_RUN_8 = 105;
export const ESC_RUN_16 = 106;
/** Symbol of coefficient 0; coefficient v is symbol v + COEFF_BIAS. */
export const COEFF_BIAS = 180;
/** Largest coefficient magnitude our encoder codes without an escape. */
export const MAX_INLINE_COEFF = 73;
/** Largest coefficient symbol a decoder accepts (+74, as NBIS writes). */
export const MAX_COEFF_SYMBOL = 254;

/** Extra bits after each symbol's code: 8 or 16 for the escapes, 0 otherwise. */
export const EXTRA_BITS: Uint8Array = Uint8Array.from({ length: ALPHABET }, (_, s) =>
  s === ESC_POSITIVE_8 || s === ESC_NEGATIVE_8 || s === ESC_RUN_8
    ? 8
    : s === ESC_POSITIVE_16 || s === ESC_NEGATIVE_16 || s === ESC_RUN_16
      ? 16
      : 0,
);

/** A Huffman table as a DHT carries it (§B.2.4.3). */
export interface HuffmanSpec {
  /** BITS: bits[i] codes of length i + 1, for i = 0 .. 15. */
  readonly bits: Uint8Array;
  /** HUFFVAL: the symbols in order of increasing code. */
  readonly values: Uint8Array;
}

/**
 * The code-length-optimal table for symbol frequencies, limited to 16-bit codes (JPEG Annex K.2:
 * Huffman code sizes with a reserved all-ones code point, BITS adjusted down to 16, the reserved
 * point removed). `frequencies` has one count per symbol 0 .. 255. A table for no symbols has no
 * codes.
 */
export function optimalSpec(frequencies: ArrayLike<number>): HuffmanSpec {
  const n = ALPHABET + 1;
  const freq = new Float64Array(n);
  for (let v = 0; v < ALPHABET; v++) freq[v] = frequencies[v] ?? 0;
  // The reserved symbol keeps a code of all ones from being assigned (Annex K.2, Figure K.1).
  freq[ALPHABET] = 1;
  const codeSize = new Int32Array(n);
  const others = new Int32Array(n).fill(-1);
  for (;;) {
    // The two least frequent symbols, the larger symbol first among equals.
    let v1 = -1;
    let v2 = -1;
    for (let v = 0; v < n; v++) {
      const f = freq[v] ?? 0;
      if (f === 0) continue;
      if (v1 < 0 || f <= (freq[v1] ?? 0)) {
        v2 = v1;
        v1 = v;
      } else if (v2 < 0 || f <= (freq[v2] ?? 0)) v2 = v;
    }
    if (v2 < 0) break;
    freq[v1] = (freq[v1] ?? 0) + (freq[v2] ?? 0);
    freq[v2] = 0;
    for (let v = v1; ; v = others[v] ?? -1) {
      codeSize[v] = (codeSize[v] ?? 0) + 1;
      if ((others[v] ?? -1) < 0) {
        others[v] = v2;
        break;
      }
    }
    for (let v = v2; v >= 0; v = others[v] ?? -1) codeSize[v] = (codeSize[v] ?? 0) + 1;
  }
  // Codes can be as long as the alphabet in a degenerate case; count them all, then fold to 16.
  const counts = new Int32Array(n + 1);
  let longest = 0;
  for (let v = 0; v < n; v++) {
    const size = codeSize[v] ?? 0;
    if (size > 0) {
      counts[size] = (counts[size] ?? 0) + 1;
      if (size > longest) longest = size;
    }
  }
  // Annex K.3 (Figure K.3): move pairs of codes up until none is longer than 16 bits.
  for (let i = longest; i > MAX_CODE_LENGTH; i--) {
    while ((counts[i] ?? 0) > 0) {
      let j = i - 2;
      while ((counts[j] ?? 0) === 0) j--;
      counts[i] = (counts[i] ?? 0) - 2;
      counts[i - 1] = (counts[i - 1] ?? 0) + 1;
      counts[j + 1] = (counts[j + 1] ?? 0) + 2;
      counts[j] = (counts[j] ?? 0) - 1;
    }
  }
  // Remove the reserved code point from the longest remaining length.
  let last = Math.min(longest, MAX_CODE_LENGTH);
  while (last > 0 && (counts[last] ?? 0) === 0) last--;
  if (last > 0) counts[last] = (counts[last] ?? 0) - 1;
  const bits = new Uint8Array(MAX_CODE_LENGTH);
  for (let i = 1; i <= MAX_CODE_LENGTH; i++) bits[i - 1] = counts[i] ?? 0;
  // HUFFVAL: symbols by increasing (unadjusted) code size, then by value (Figure K.4).
  const values: number[] = [];
  for (let size = 1; size <= longest; size++)
    for (let v = 0; v < ALPHABET; v++) if (codeSize[v] === size) values.push(v);
  return { bits, values: Uint8Array.from(values) };
}

/** Per-symbol code and length (0 = no code) for the encoder (JPEG Annex C). */
export interface EncodeTable {
  readonly code: Uint16Array;
  readonly length: Uint8Array;
}

/**
 * Canonical codes for a table.
 * @throws {RangeError} when BITS overflows the code space or lists more symbols than HUFFVAL; the
 *   encoder only passes tables from optimalSpec, so this is a programmer error.
 */
export function encodeTable(spec: HuffmanSpec): EncodeTable {
  const problem = specProblem(spec);
  if (problem) throw new RangeError(problem.detail);
  const code = new Uint16Array(ALPHABET);
  const length = new Uint8Array(ALPHABET);
  let next = 0;
  let k = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    for (let i = 0; i < (spec.bits[len - 1] ?? 0); i++) {
      const v = spec.values[k++] ?? 0;
      code[v] = next++;
      length[v] = len;
    }
    next <<= 1;
  }
  return { code, length };
}

/**
 * Why BITS/HUFFVAL cannot define a prefix code, with the index of the offending BITS entry (0-15)
 * or 16 for a HUFFVAL length mismatch; undefined for a usable table. A table whose codes fill the
 * whole code space (an all-ones code) is accepted, as NBIS does.
 */
export function specProblem(spec: HuffmanSpec): { readonly at: number; readonly detail: string } | undefined {
  let total = 0;
  let next = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    const count = spec.bits[len - 1] ?? 0;
    next += count;
    total += count;
    if (next > 2 ** len)
      return {
        at: len - 1,
        detail: `Huffman table overflows: ${next} codes of up to ${len} bits exceed ${2 ** len}`,
      };
    next *= 2;
  }
  if (total > ALPHABET) return { at: 16, detail: `Huffman table lists ${total} codes for 256 symbols` };
  if (total !== spec.values.length)
    return { at: 16, detail: `BITS counts ${total} codes but HUFFVAL has ${spec.values.length} symbols` };
  return undefined;
}

/** Bits the lookup table resolves in one step. */
export const LOOKUP_BITS = 10;

/**
 * Decoder tables for one DHT table: a 2^LOOKUP_BITS lookup for short codes and the canonical
 * MAXCODE/VALPTR arrays (JPEG Annex F.2.2.3) for the rest.
 */
export interface DecodeTable {
  readonly spec: HuffmanSpec;
  /** (length << 8 | symbol) for every LOOKUP_BITS prefix that starts a short code; 0 otherwise. */
  readonly lookup: Int32Array;
  /** Largest code of each length 1 .. 16 (index = length), -1 when none. */
  readonly maxCode: Int32Array;
  /** Index into values of the first code of each length, minus that code. */
  readonly valueOffset: Int32Array;
}

/** Builds the decoder tables; call specProblem first (an overflowing table gives garbage). */
export function decodeTable(spec: HuffmanSpec): DecodeTable {
  const lookup = new Int32Array(1 << LOOKUP_BITS);
  const maxCode = new Int32Array(MAX_CODE_LENGTH + 1).fill(-1);
  const valueOffset = new Int32Array(MAX_CODE_LENGTH + 1);
  let next = 0;
  let k = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    const count = spec.bits[len - 1] ?? 0;
    if (count > 0) {
      valueOffset[len] = k - next;
      for (let i = 0; i < count; i++, next++, k++) {
        if (len > LOOKUP_BITS) continue;
        const shift = LOOKUP_BITS - len;
        const entry = (len << 8) | (spec.values[k] ?? 0);
        lookup.fill(entry, next << shift, (next + 1) << shift);
      }
      maxCode[len] = next - 1;
    }
    next <<= 1;
  }
  return { spec, lookup, maxCode, valueOffset };
}

/**
 * Writes bits MSB first into a preallocated buffer, stuffing 0x00 after every 0xFF byte
 * (Part 1, Annex B: no marker can appear inside entropy-coded data).
 */
export class BitWriter {
  private acc = 0;
  private count = 0;

  /** @param out destination; the caller sizes it for the worst case (two bytes per data byte). */
  constructor(
    private readonly out: Uint8Array,
    public position: number,
  ) {}

  /** Appends the low `length` bits of `value` (length 0 .. 16). */
  write(value: number, length: number): void {
    let acc = (this.acc << length) | value;
    let count = this.count + length;
    while (count >= 8) {
      count -= 8;
      const byte = (acc >>> count) & 0xff;
      this.out[this.position++] = byte;
      if (byte === 0xff) this.out[this.position++] = 0;
    }
    acc &= (1 << count) - 1;
    this.acc = acc;
    this.count = count;
  }

  /** Pads the last byte with 1-bits, as a segment before a marker must end. */
  flush(): void {
    if (this.count > 0) this.write((1 << (8 - this.count)) - 1, 8 - this.count);
  }
}
