/**
 * WSQ encoder (Part 3, FBI encoder number one, as NBIS cwsq implements it):
 *
 *   1. shift and scale the pixels to about +-128 around their mean (M and R go in the SOF);
 *   2. run the 9/7 filter bank over the 20 splits of the decomposition (tree.ts, transform.ts);
 *   3. measure each subband's variance and solve the bit allocation for the target rate
 *      (quantization.ts); quantize with dead zone;
 *   4. turn each block's coefficients into run/value symbols, build one Huffman table from block 1
 *      and one from blocks 2 and 3 (huffman.ts), and write:
 *      SOI, COM (NISTCOM), DTT, DQT, SOF, DHT 0, SOB 0, data, DHT 1, SOB 1, data, SOB 1, data, EOI,
 *      the layout cwsq writes.
 *
 * Pure: pixels in, bytes out; no I/O, no clock. Bad arguments come back as a typed error result
 * (never a throw), because sizes and rates are user-supplied data.
 */

import {
  ALPHABET,
  BitWriter,
  COEFF_BIAS,
  type EncodeTable,
  ESC_NEGATIVE_8,
  ESC_NEGATIVE_16,
  ESC_POSITIVE_8,
  ESC_POSITIVE_16,
  ESC_RUN_8,
  ESC_RUN_16,
  EXTRA_BITS,
  encodeTable,
  type HuffmanSpec,
  MAX_CODE_LENGTH,
  MAX_INLINE_COEFF,
  MAX_ZERO_RUN_SYMBOL,
  optimalSpec,
} from './huffman.ts';
import { MAX_PIXELS, MAX_SIDE, MIN_ENCODE_SIDE } from './limits.ts';
import { formatNistcom } from './nistcom.ts';
import { allocateBins, BIN_CENTER, subbandPeak, subbandVariances, ZERO_BIN_RATIO } from './quantization.ts';
import {
  ByteSink,
  DQT_LENGTH,
  type FrameHeader,
  Marker,
  RST_FIRST,
  roundTripScaled,
  SOF_LENGTH,
  writeBlockHeader,
  writeComment,
  writeFrameHeader,
  writeHuffmanTable,
  writeQuantizationTable,
  writeRestartInterval,
  writeTransformTable,
} from './segments.ts';
import { type FilterBank, FilterEngine, STANDARD_FILTERS, upperHalf } from './transform.ts';
import { BLOCK_STARTS, CODED_SUBBANDS, DQT_SUBBANDS, decompose } from './tree.ts';

/** Target bit rate cwsq is run with for FBI submissions ("15:1"), bits per pixel. */
export const DEFAULT_BIT_RATE = 0.75;
/** Highest target bit rate we accept, bits per pixel (8 is the raw image). */
export const MAX_BIT_RATE = 8;
/** Resolution written to NISTCOM when none is given: WSQ is specified for 500 ppi scans. */
export const DEFAULT_PPI = 500;
/** Encoder number and software number in our SOF: the values cwsq writes. */
export const ENCODER_NUMBER = 2;
export const SOFTWARE_NUMBER = 0;

export interface WsqEncodeOptions {
  /** Pixels, MIN_ENCODE_SIDE .. MAX_SIDE, and width x height <= MAX_PIXELS. */
  readonly width: number;
  readonly height: number;
  /** Scan resolution for NISTCOM, pixels per inch: an integer 1 .. 65535, or -1 for unknown. Default 500. */
  readonly ppi?: number;
  /** Target bit rate, bits per pixel, in (0, 8]. Default 0.75; 2.25 gives about 5:1. */
  readonly bitRate?: number;
}

/** Why the encoder refused its arguments. A fixed set: callers switch on it. */
export type WsqEncodeErrorReason =
  /** width or height is not a positive integer. */
  | 'invalid-size'
  /** A side is below MIN_ENCODE_SIDE (81 px). */
  | 'too-small'
  /** A side is above MAX_SIDE or the pixel count above MAX_PIXELS. */
  | 'too-large'
  /** pixels is not a Uint8Array of exactly width x height bytes. */
  | 'length-mismatch'
  /** bitRate is not a finite number in (0, 8]. */
  | 'invalid-bit-rate'
  /** ppi is not -1 or an integer 1 .. 65535. */
  | 'invalid-ppi';

export interface WsqEncodeError {
  readonly reason: WsqEncodeErrorReason;
  /** What was wrong, for logs and developers; never parsed. */
  readonly detail: string;
}

export type WsqEncodeResult =
  | { readonly ok: true; readonly value: Uint8Array }
  | { readonly ok: false; readonly error: WsqEncodeError };

/**
 * Knobs for conformance tests, not for production: other filter banks (the DTT carries them, and a
 * decoder must take even- and odd-length ones), restart markers, and one Huffman table per block.
 * NBIS dwsq decodes neither restart markers nor non-9/7 banks reliably; keep the defaults for files
 * that leave the station.
 */
export interface WsqEncoderInternals {
  readonly filters?: FilterBank;
  /** Symbols per entropy-coded segment; a DRT and RSTm markers are written when > 0. */
  readonly restartInterval?: number;
  /** Three Huffman tables (ids 0, 1, 2), one per block, each with its own DHT. */
  readonly tablePerBlock?: boolean;
}

/**
 * Encodes an 8-bit grey image as WSQ. Never throws on its arguments: bad sizes, buffers, rates and
 * resolutions come back as `{ ok: false, error }` with a stable reason.
 * @param pixels row-major, 0 = black, width x height bytes
 * @returns the WSQ file; its buffer is exactly the file, so it can be transferred to another thread
 */
export function encodeWsq(pixels: Uint8Array, options: WsqEncodeOptions): WsqEncodeResult {
  return encodeWsqWith(pixels, options, {});
}

/**
 * encodeWsq with test-only knobs (WsqEncoderInternals). Same contract.
 * @throws {RangeError} only for a filter bank transform.ts rejects (a programmer error), and
 *   {Error} if the output outgrew its computed bound (a bug, never seen).
 */
export function encodeWsqWith(
  pixels: Uint8Array,
  options: WsqEncodeOptions,
  internals: WsqEncoderInternals,
): WsqEncodeResult {
  const problem = checkArguments(pixels, options);
  if (problem) return { ok: false, error: problem };
  const { width, height } = options;
  const bitRate = options.bitRate ?? DEFAULT_BIT_RATE;
  const ppi = options.ppi ?? DEFAULT_PPI;
  const bank = internals.filters ?? STANDARD_FILTERS;
  const count = width * height;

  // 1. Shift and scale (Part 3): M is the mean, R maps the farther extreme to 128. We transform with
  // the M and R a decoder will read back from the SOF, so both sides agree exactly.
  const histogram = new Float64Array(256);
  for (let i = 0; i < count; i++) {
    const p = pixels[i] ?? 0;
    histogram[p] = (histogram[p] ?? 0) + 1;
  }
  let low = 255;
  let high = 0;
  let sum = 0;
  for (let p = 0; p < 256; p++) {
    const n = histogram[p] ?? 0;
    if (n === 0) continue;
    sum += n * p;
    low = Math.min(low, p);
    high = p;
  }
  const shift = roundTripScaled(sum / count, 0xffff);
  const spread = Math.max(shift - low, high - shift) / 128;
  const scale = spread > 0 ? roundTripScaled(spread, 0xffff) : 1;
  const toFloat = new Float32Array(256);
  for (let p = 0; p < 256; p++) toFloat[p] = (p - shift) / scale;
  const image = new Float32Array(count);
  for (let i = 0; i < count; i++) image[i] = toFloat[pixels[i] ?? 0] ?? 0;

  // 2. Wavelet decomposition.
  const decomposition = decompose(width, height);
  const engine = new FilterEngine(bank);
  engine.analyze(image, decomposition);

  // 3. Bit allocation; Q and Z as the DQT will carry them.
  const { subbands } = decomposition;
  const bins = allocateBins(
    subbandVariances(image, width, subbands),
    bitRate,
    (k) => {
      const rect = subbands[k];
      return rect ? subbandPeak(image, width, rect) : 0;
    },
    peakBound(bank),
  );
  const q = new Float64Array(DQT_SUBBANDS);
  const z = new Float64Array(DQT_SUBBANDS);
  for (let k = 0; k < CODED_SUBBANDS; k++) {
    const bin = bins[k] ?? 0;
    // A bin too wide for the 16-bit field quantizes everything to zero anyway: leave it uncoded.
    // (allocateBins keeps coded bins above peak / MAX_INDEX, so none is too narrow to write.)
    if (!(bin > 1e-30) || bin * ZERO_BIN_RATIO >= 0xffff) continue;
    q[k] = roundTripScaled(bin, 0xffff);
    z[k] = roundTripScaled(ZERO_BIN_RATIO * bin, 0xffff);
  }

  // 4. Symbols per block, then Huffman tables, then bytes.
  const symbols = new Uint8Array(count + 8);
  const extras = new Uint16Array(count + 8);
  const restartInterval = Math.max(0, Math.floor(internals.restartInterval ?? 0));
  const blocks: TokenRange[] = [];
  let cursor = 0;
  for (let b = 0; b < 3; b++) {
    const first = BLOCK_STARTS[b] ?? 0;
    const last = (BLOCK_STARTS[b + 1] ?? CODED_SUBBANDS) - 1;
    const end = tokenize(image, width, decomposition.subbands, q, z, first, last, symbols, extras, cursor);
    blocks.push({ start: cursor, end });
    cursor = end;
  }
  const tableOf = internals.tablePerBlock ? [0, 1, 2] : [0, 1, 1];
  const specs: HuffmanSpec[] = [];
  for (let t = 0; t <= Math.max(...tableOf); t++) {
    const frequencies = new Float64Array(ALPHABET);
    blocks.forEach((range, b) => {
      if (tableOf[b] === t) countSymbols(symbols, range, frequencies);
    });
    specs.push(optimalSpec(frequencies));
  }
  const tables = specs.map(encodeTable);

  const nistcom = formatNistcom({ width, height, ppi, bitRate });
  const dttLength = 4 + 6 * (upperHalf(bank.lowpass).length + upperHalf(bank.highpass).length);
  let capacity = 2 + (4 + nistcom.length) + (2 + dttLength) + (2 + DQT_LENGTH) + (2 + SOF_LENGTH) + 2;
  if (restartInterval > 0) capacity += 6;
  for (const spec of specs) capacity += 4 + 1 + MAX_CODE_LENGTH + spec.values.length;
  blocks.forEach((range, b) => {
    const table = tables[tableOf[b] ?? 0] as EncodeTable;
    const bits = codedBits(symbols, range, table);
    const segments = restartInterval > 0 ? Math.ceil((range.end - range.start) / restartInterval) : 1;
    // Each data byte may be stuffed; each segment adds at most a padding byte (stuffed) and a marker.
    capacity += 5 + 2 * Math.ceil(bits / 8) + 4 * segments + 8;
  });

  const sink = new ByteSink(capacity);
  sink.u16(Marker.SOI);
  writeComment(sink, nistcom);
  writeTransformTable(sink, bank);
  writeQuantizationTable(sink, { binCenter: BIN_CENTER, q, z });
  const frame: FrameHeader = {
    black: 0,
    white: 255,
    height,
    width,
    shift,
    scale,
    encoder: ENCODER_NUMBER,
    software: SOFTWARE_NUMBER,
  };
  writeFrameHeader(sink, frame);
  if (restartInterval > 0) writeRestartInterval(sink, Math.min(restartInterval, 0xffff));
  const written = new Set<number>();
  blocks.forEach((range, b) => {
    const id = tableOf[b] ?? 0;
    if (!written.has(id)) {
      writeHuffmanTable(sink, id, specs[id] as HuffmanSpec);
      written.add(id);
    }
    writeBlockHeader(sink, id);
    writeSymbols(sink, symbols, extras, range, tables[id] as EncodeTable, restartInterval);
  });
  sink.u16(Marker.EOI);
  // The capacity is a proven upper bound; typed arrays drop writes past their end silently.
  if (sink.position > capacity) throw new Error(`WSQ encoder overran its ${capacity}-byte buffer`);
  return { ok: true, value: sink.bytes.slice(0, sink.position) };
}

/**
 * An upper bound on any coefficient's magnitude: pixels are within +-128 after shifting and scaling,
 * and each of the at most ten 1-D filter passes a subband went through multiplies the largest
 * magnitude by at most the filter's sum of |taps|.
 */
function peakBound(bank: FilterBank): number {
  const gain = (f: Float64Array) => f.reduce((a, v) => a + Math.abs(v), 0);
  return 128 * Math.max(gain(bank.lowpass), gain(bank.highpass)) ** 10;
}

function checkArguments(pixels: Uint8Array, options: WsqEncodeOptions): WsqEncodeError | undefined {
  const { width, height } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    return {
      reason: 'invalid-size',
      detail: `size ${width}x${height}: both sides must be positive integers`,
    };
  if (width < MIN_ENCODE_SIDE || height < MIN_ENCODE_SIDE)
    return {
      reason: 'too-small',
      detail: `${width}x${height} is below ${MIN_ENCODE_SIDE}x${MIN_ENCODE_SIDE}, the smallest image whose WSQ file every conformant decoder reconstructs alike`,
    };
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS)
    return {
      reason: 'too-large',
      detail: `${width}x${height} exceeds ${MAX_SIDE} pixels a side or ${MAX_PIXELS} pixels`,
    };
  if (!(pixels instanceof Uint8Array) || pixels.length !== width * height)
    return {
      reason: 'length-mismatch',
      detail: `${pixels instanceof Uint8Array ? `${pixels.length} bytes` : 'not a Uint8Array'} for ${width}x${height}`,
    };
  const bitRate = options.bitRate ?? DEFAULT_BIT_RATE;
  if (typeof bitRate !== 'number' || !Number.isFinite(bitRate) || bitRate <= 0 || bitRate > MAX_BIT_RATE)
    return {
      reason: 'invalid-bit-rate',
      detail: `bit rate ${bitRate} outside (0, ${MAX_BIT_RATE}] bits per pixel`,
    };
  const ppi = options.ppi ?? DEFAULT_PPI;
  if (!Number.isInteger(ppi) || (ppi !== -1 && (ppi < 1 || ppi > 0xffff)))
    return { reason: 'invalid-ppi', detail: `ppi ${ppi}: use -1 (unknown) or an integer 1 .. 65535` };
  return undefined;
}

interface TokenRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Quantizes subbands first .. last (those with Q_k > 0) in order, row-major, and appends their
 * symbols from `at`: zero runs and values, with escapes (huffman.ts table). Returns the end index.
 */
function tokenize(
  image: Float32Array,
  stride: number,
  subbands: readonly { x: number; y: number; width: number; height: number }[],
  q: Float64Array,
  z: Float64Array,
  first: number,
  last: number,
  symbols: Uint8Array,
  extras: Uint16Array,
  at: number,
): number {
  const maxRunSymbol = MAX_ZERO_RUN_SYMBOL;
  const maxInline = MAX_INLINE_COEFF;
  const bias = COEFF_BIAS;
  const [run8, run16, pos8, neg8, pos16, neg16] = [
    ESC_RUN_8,
    ESC_RUN_16,
    ESC_POSITIVE_8,
    ESC_NEGATIVE_8,
    ESC_POSITIVE_16,
    ESC_NEGATIVE_16,
  ];
  let n = at;
  let run = 0;
  for (let k = first; k <= last; k++) {
    const bin = q[k] ?? 0;
    const rect = subbands[k];
    if (bin === 0 || !rect) continue;
    const halfZero = (z[k] ?? 0) / 2;
    for (let r = 0; r < rect.height; r++) {
      const row = (rect.y + r) * stride + rect.x;
      for (let c = 0; c < rect.width; c++) {
        const v = image[row + c] ?? 0;
        const magnitude = v < 0 ? -v : v;
        if (magnitude <= halfZero) {
          // Runs longer than a 16-bit escape are split (NBIS does the same).
          if (++run === 0xffff) {
            n = emitRun(symbols, extras, n, run, maxRunSymbol, run8, run16);
            run = 0;
          }
          continue;
        }
        if (run > 0) {
          n = emitRun(symbols, extras, n, run, maxRunSymbol, run8, run16);
          run = 0;
        }
        // At most 32767: NBIS decodes indices into a signed 16-bit integer (quantization.ts, MAX_INDEX).
        const p = Math.min(0x7fff, Math.floor((magnitude - halfZero) / bin) + 1);
        if (p <= maxInline) symbols[n++] = bias + (v < 0 ? -p : p);
        else {
          symbols[n] = p <= 0xff ? (v < 0 ? neg8 : pos8) : v < 0 ? neg16 : pos16;
          extras[n++] = p;
        }
      }
    }
  }
  if (run > 0) n = emitRun(symbols, extras, n, run, maxRunSymbol, run8, run16);
  return n;
}

/** Appends the symbol (and escape value) for a run of zeros; returns the next symbol index. */
function emitRun(
  symbols: Uint8Array,
  extras: Uint16Array,
  n: number,
  run: number,
  maxRunSymbol: number,
  run8: number,
  run16: number,
): number {
  if (run <= maxRunSymbol) symbols[n] = run;
  else {
    symbols[n] = run <= 0xff ? run8 : run16;
    extras[n] = run;
  }
  return n + 1;
}

function countSymbols(symbols: Uint8Array, range: TokenRange, frequencies: Float64Array): void {
  for (let i = range.start; i < range.end; i++) {
    const s = symbols[i] ?? 0;
    frequencies[s] = (frequencies[s] ?? 0) + 1;
  }
}

// Hot loops read imported constants through local aliases: a module binding can cost a call
// per access under some loaders (tsx compiles exports to getters).

function codedBits(symbols: Uint8Array, range: TokenRange, table: EncodeTable): number {
  const extraBits = EXTRA_BITS;
  const length = table.length;
  let bits = 0;
  for (let i = range.start; i < range.end; i++) {
    const s = symbols[i] ?? 0;
    bits += (length[s] ?? 0) + (extraBits[s] ?? 0);
  }
  return bits;
}

function writeSymbols(
  sink: ByteSink,
  symbols: Uint8Array,
  extras: Uint16Array,
  range: TokenRange,
  table: EncodeTable,
  restartInterval: number,
): void {
  const writer = new BitWriter(sink.bytes, sink.position);
  const extraBits = EXTRA_BITS;
  const { code, length } = table;
  let sinceRestart = 0;
  let restarts = 0;
  for (let i = range.start; i < range.end; i++) {
    if (restartInterval > 0 && sinceRestart === restartInterval) {
      // End the segment on a byte boundary, then RSTm (m counts 0 .. 7 within the block).
      writer.flush();
      sink.bytes[writer.position++] = 0xff;
      sink.bytes[writer.position++] = (RST_FIRST + (restarts++ % 8)) & 0xff;
      sinceRestart = 0;
    }
    const s = symbols[i] ?? 0;
    writer.write(code[s] ?? 0, length[s] ?? 0);
    const extra = extraBits[s] ?? 0;
    if (extra > 0) writer.write(extras[i] ?? 0, extra);
    sinceRestart++;
  }
  writer.flush();
  sink.position = writer.position;
}
