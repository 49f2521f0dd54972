/**
 * WSQ decoder (Part 1: the whole decoder, including filter banks of any length the DTT describes,
 * odd or even, restart markers and any Huffman tables), and a structure-only inspector.
 *
 * Stream grammar we accept (Part 1, §B.2.1):
 *
 *   SOI, { DTT | DQT | DHT | DRT | COM }, SOF,
 *   { { DTT | DQT | DHT | DRT | COM }, SOB, entropy-coded segment, { RSTm, segment } },
 *   { COM }, EOI
 *
 * DTT and DQT appear once each (they describe the whole image); DQT must precede the first SOB and
 * DTT must come before EOI. DHT may redefine a table between blocks. The coefficients of the coded
 * subbands follow each other across blocks in subband order, row-major, and must add up exactly.
 * Nothing may follow EOI.
 *
 * Untrusted input never makes these functions throw: every failure is a DecodeResult error with a
 * reason from result.ts and the byte offset where it was found. Memory is bounded before any
 * image-sized allocation (limits.ts), and every loop advances through the input, so nothing hangs.
 */

import { type DecodeResult, fail, ok } from '../result.ts';
import {
  COEFF_BIAS,
  type DecodeTable,
  decodeTable,
  ESC_NEGATIVE_8,
  ESC_NEGATIVE_16,
  ESC_POSITIVE_8,
  ESC_POSITIVE_16,
  ESC_RUN_8,
  ESC_RUN_16,
  type HuffmanSpec,
  LOOKUP_BITS,
  MAX_CODE_LENGTH,
  MAX_COEFF_SYMBOL,
  MAX_ZERO_RUN_SYMBOL,
} from './huffman.ts';
import { MAX_PIXELS, MAX_SIDE, MIN_SIDE } from './limits.ts';
import { latin1, parseNistcom } from './nistcom.ts';
import {
  type FrameHeader,
  MAX_HUFFMAN_TABLES,
  Marker,
  type MarkerName,
  type QuantizationTable,
  RST_FIRST,
  RST_LAST,
  readBlockHeader,
  readComment,
  readFrameHeader,
  readHuffmanTables,
  readQuantizationTable,
  readRestartInterval,
  readTransformTable,
} from './segments.ts';
import { type FilterBank, FilterEngine, filterBankProblem } from './transform.ts';
import { blockOf, CODED_SUBBANDS, DQT_SUBBANDS, decompose } from './tree.ts';

/** A decoded image. Plain data with a transferable pixel buffer. */
export interface WsqImage {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey, 0 = black, width x height bytes. */
  readonly pixels: Uint8Array;
  /** From the NISTCOM PPI field; undefined when absent or -1 (unknown). */
  readonly ppi: number | undefined;
}

/** One entropy-coded block as the parser found it. */
interface ParsedBlock {
  /** Offset of the SOB marker. */
  readonly offset: number;
  readonly table: number;
  readonly spec: HuffmanSpec;
  /** [start, end) byte ranges of the entropy-coded segments, split at RSTm markers. */
  readonly segments: { readonly start: number; readonly end: number }[];
}

interface MarkerEntry {
  readonly name: MarkerName | `RST${number}`;
  readonly code: number;
  readonly offset: number;
  /** Bytes from the marker to the next marker (segment plus any entropy-coded data). */
  length: number;
}

interface ParsedWsq {
  readonly frame: FrameHeader;
  readonly bank: FilterBank;
  readonly quantization: QuantizationTable;
  readonly restartInterval: number | undefined;
  readonly comments: readonly { readonly offset: number; readonly bytes: Uint8Array }[];
  readonly markers: readonly MarkerEntry[];
  readonly blocks: readonly ParsedBlock[];
  readonly eoiOffset: number;
}

const NAMES = new Map<number, MarkerName>(Object.entries(Marker).map(([k, v]) => [v, k as MarkerName]));

/**
 * Walks the marker structure (no entropy decoding). Errors: 'truncated' when the input ends inside a
 * segment or before EOI; 'invalid-value' for a missing, repeated or misplaced marker, a bad length or
 * field, an unknown marker, a restart marker without DRT; 'too-large' / 'unsupported' for frame
 * sizes outside limits.ts; 'trailing-data' for bytes after EOI.
 */
function parseWsq(bytes: Uint8Array): DecodeResult<ParsedWsq> {
  const len = bytes.length;
  if (len < 2) return fail('truncated', len, 'input ends before the SOI marker');
  if (u16(bytes, 0) !== Marker.SOI)
    return fail('invalid-value', 0, `expected SOI (FFA0), found ${hex(u16(bytes, 0))}`);
  const markers: MarkerEntry[] = [{ name: 'SOI', code: Marker.SOI, offset: 0, length: 2 }];
  const comments: { offset: number; bytes: Uint8Array }[] = [];
  const blocks: ParsedBlock[] = [];
  const tables: (HuffmanSpec | undefined)[] = new Array(MAX_HUFFMAN_TABLES).fill(undefined);
  let frame: FrameHeader | undefined;
  let bank: FilterBank | undefined;
  let quantization: QuantizationTable | undefined;
  let restartInterval: number | undefined;
  let pos = 2;
  for (;;) {
    if (pos + 2 > len) return fail('truncated', len, 'input ends before the EOI marker');
    const code = u16(bytes, pos);
    const name = NAMES.get(code);
    // Unknown codes fail in the default branch before their entry is recorded.
    const entry: MarkerEntry = { name: name ?? 'SOI', code, offset: pos, length: 2 };
    const at = pos + 2;
    switch (code) {
      case Marker.DTT: {
        if (bank) return fail('invalid-value', pos, 'second DTT: the transform table is defined once');
        const r = readTransformTable(bytes, at);
        if (!r.ok) return r;
        const problem = filterBankProblem(r.value);
        if (problem) return fail('unsupported', at + 2, problem);
        bank = r.value;
        pos = at + segmentSize(bytes, at);
        break;
      }
      case Marker.DQT: {
        if (quantization)
          return fail('invalid-value', pos, 'second DQT: the quantization table is defined once');
        const r = readQuantizationTable(bytes, at);
        if (!r.ok) return r;
        quantization = r.value;
        pos = at + segmentSize(bytes, at);
        break;
      }
      case Marker.DHT: {
        const r = readHuffmanTables(bytes, at);
        if (!r.ok) return r;
        for (const t of r.value) tables[t.id] = t.spec;
        pos = at + segmentSize(bytes, at);
        break;
      }
      case Marker.DRT: {
        const r = readRestartInterval(bytes, at);
        if (!r.ok) return r;
        restartInterval = r.value;
        pos = at + segmentSize(bytes, at);
        break;
      }
      case Marker.COM: {
        const r = readComment(bytes, at);
        if (!r.ok) return r;
        comments.push({ offset: pos, bytes: r.value });
        pos = at + segmentSize(bytes, at);
        break;
      }
      case Marker.SOF: {
        if (frame) return fail('invalid-value', pos, 'second SOF: an image has one frame');
        const r = readFrameHeader(bytes, at);
        if (!r.ok) return r;
        const problem = frameSizeProblem(r.value, at);
        if (problem) return problem;
        frame = r.value;
        pos = at + segmentSize(bytes, at);
        break;
      }
      case Marker.SOB: {
        if (!frame) return fail('invalid-value', pos, 'SOB before SOF');
        if (!quantization)
          return fail('invalid-value', pos, 'SOB before DQT: the coded subbands are unknown');
        const r = readBlockHeader(bytes, at);
        if (!r.ok) return r;
        const spec = tables[r.value.table];
        if (!spec)
          return fail(
            'invalid-value',
            at + 2,
            `SOB uses Huffman table ${r.value.table}, which no DHT defined`,
          );
        markers.push(entry);
        const data = at + segmentSize(bytes, at);
        const segments: { start: number; end: number }[] = [];
        let start = data;
        let i = data;
        let lastRestart = -1;
        for (;;) {
          i = bytes.indexOf(0xff, i);
          if (i < 0 || i + 1 >= len)
            return fail(
              'truncated',
              len,
              `entropy-coded data of the block at ${pos} runs to the end of the input`,
            );
          const next = bytes[i + 1] ?? 0;
          if (next === 0) {
            i += 2;
            continue;
          }
          const marker = 0xff00 | next;
          segments.push({ start, end: i });
          if (marker < RST_FIRST || marker > RST_LAST) break;
          if (!restartInterval)
            return fail('invalid-value', i, `restart marker ${hex(marker)} without a DRT restart interval`);
          // RSTm counts modulo 8; we accept any first m in a block, so a count that runs on across
          // blocks and one that restarts at RST0 both decode, and a lost segment is still caught.
          const m = marker - RST_FIRST;
          if (lastRestart >= 0 && m !== (lastRestart + 1) % 8)
            return fail('invalid-value', i, `RST${m} follows RST${lastRestart}: a segment is missing`);
          lastRestart = m;
          markers.push({ name: `RST${marker - RST_FIRST}`, code: marker, offset: i, length: 2 });
          i += 2;
          start = i;
        }
        blocks.push({ offset: pos, table: r.value.table, spec, segments });
        entry.length = i - pos;
        pos = i;
        continue;
      }
      case Marker.EOI: {
        if (!frame) return fail('invalid-value', pos, 'EOI before SOF');
        if (blocks.length === 0)
          return fail('invalid-value', pos, 'EOI before any SOB: the image has no data');
        if (!bank) return fail('invalid-value', pos, 'EOI without a DTT: the filters are unknown');
        markers.push(entry);
        if (pos + 2 < len) return fail('trailing-data', pos + 2, `${len - pos - 2} bytes after EOI`);
        if (!quantization) return fail('invalid-value', pos, 'no DQT');
        return ok({
          frame,
          bank,
          quantization,
          restartInterval,
          comments,
          markers,
          blocks,
          eoiOffset: pos,
        });
      }
      case Marker.SOI:
        return fail('invalid-value', pos, 'second SOI');
      default: {
        if (code >= RST_FIRST && code <= RST_LAST)
          return fail('invalid-value', pos, `restart marker ${hex(code)} outside entropy-coded data`);
        return fail('invalid-value', pos, `expected a WSQ marker (FFA0-FFA8), found ${hex(code)}`);
      }
    }
    entry.length = pos - entry.offset;
    markers.push(entry);
  }
}

/** Length field value of a segment already validated by its reader. */
function segmentSize(bytes: Uint8Array, at: number): number {
  return u16(bytes, at);
}

function frameSizeProblem(f: FrameHeader, at: number): DecodeResult<never> | undefined {
  const { width, height } = f;
  if (width === 0 || height === 0) return fail('invalid-value', at + 4, `frame size ${width}x${height}`);
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS)
    return fail(
      'too-large',
      at + 4,
      `frame ${width}x${height} exceeds ${MAX_SIDE} pixels a side or ${MAX_PIXELS} pixels; refused before allocating`,
    );
  if (width < MIN_SIDE || height < MIN_SIDE)
    return fail(
      'unsupported',
      at + 4,
      `frame ${width}x${height} is below the ${MIN_SIDE}x${MIN_SIDE} minimum`,
    );
  return undefined;
}

/**
 * Decodes a WSQ file. Never throws on the bytes: errors are DecodeResult failures ('truncated',
 * 'invalid-value', 'trailing-data', 'too-large', 'unsupported') with the offset of the problem.
 * Allocates width x height x 5 bytes at most, after checking the frame size against limits.ts.
 */
export function decodeWsq(bytes: Uint8Array): DecodeResult<WsqImage> {
  const parsed = parseWsq(bytes);
  if (!parsed.ok) return parsed;
  const { frame, quantization, bank } = parsed.value;
  const { width, height } = frame;
  const decomposition = decompose(width, height);
  const image = new Float32Array(width * height);

  // Coded subbands in order, and where their coefficients go.
  const coded: number[] = [];
  for (let k = 0; k < CODED_SUBBANDS; k++) if ((quantization.q[k] ?? 0) > 0) coded.push(k);
  const cursor = new CoefficientCursor(image, width, decomposition.subbands, coded, quantization);
  const scratch = new Uint8Array(maxSegment(parsed.value.blocks) + 8);
  const decoders = new Map<HuffmanSpec, DecodeTable>();
  for (const block of parsed.value.blocks) {
    let table = decoders.get(block.spec);
    if (!table) {
      table = decodeTable(block.spec);
      decoders.set(block.spec, table);
    }
    for (const segment of block.segments) {
      const r = decodeSegment(bytes, segment.start, segment.end, table, cursor, scratch);
      if (!r.ok) return r;
    }
  }
  if (cursor.remaining > 0)
    return fail(
      'invalid-value',
      parsed.value.eoiOffset,
      `the blocks hold ${cursor.total - cursor.remaining} of the ${cursor.total} coefficients the DQT calls for`,
    );

  new FilterEngine(bank).synthesize(image, decomposition);
  const pixels = new Uint8Array(width * height);
  const { shift, scale } = frame;
  for (let i = 0; i < pixels.length; i++) {
    // Part 1: round to nearest, clamp to 0 .. 255 (NBIS conv_img_2_uchar).
    const v = (image[i] ?? 0) * scale + shift + 0.5;
    pixels[i] = v < 0 ? 0 : Math.min(v, 255);
  }
  return ok({ width, height, pixels, ppi: ppiOf(parsed.value) });
}

function ppiOf(parsed: ParsedWsq): number | undefined {
  for (const c of parsed.comments) {
    const fields = parseNistcom(c.bytes);
    if (!fields) continue;
    const ppi = Number.parseInt(fields.PPI ?? '', 10);
    return Number.isInteger(ppi) && ppi > 0 ? ppi : undefined;
  }
  return undefined;
}

function maxSegment(blocks: readonly ParsedBlock[]): number {
  let max = 0;
  for (const b of blocks) for (const s of b.segments) max = Math.max(max, s.end - s.start);
  return max;
}

/** Where the next decoded coefficient goes: subband by subband, row by row. */
class CoefficientCursor {
  readonly total: number;
  remaining: number;
  private next = 0;
  // The current subband.
  private row = 0;
  private rowBase = 0;
  private col = 0;
  private width = 0;
  private height = 0;
  private bin = 0;
  private halfZero = 0;
  private readonly binCenter: number;

  constructor(
    private readonly image: Float32Array,
    private readonly stride: number,
    private readonly subbands: readonly { x: number; y: number; width: number; height: number }[],
    private readonly coded: readonly number[],
    private readonly table: QuantizationTable,
  ) {
    let total = 0;
    for (const k of coded) {
      const s = subbands[k];
      if (s) total += s.width * s.height;
    }
    this.total = total;
    this.remaining = total;
    this.binCenter = table.binCenter;
    this.enterNext();
  }

  private enterNext(): void {
    // Skip empty subbands (none at the sizes we accept, but cheap to be safe).
    while (this.next < this.coded.length) {
      const k = this.coded[this.next++] ?? 0;
      const s = this.subbands[k];
      if (!s || s.width === 0 || s.height === 0) continue;
      this.row = 0;
      this.col = 0;
      this.width = s.width;
      this.height = s.height;
      this.rowBase = s.y * this.stride + s.x;
      this.bin = this.table.q[k] ?? 0;
      this.halfZero = (this.table.z[k] ?? 0) / 2;
      return;
    }
  }

  /** Stores a nonzero quantized index (dequantized, Part 1 Annex A) and moves on. Caller checks remaining > 0. */
  put(p: number): void {
    const c = this.bin;
    this.image[this.rowBase + this.col] =
      p > 0 ? c * (p - this.binCenter) + this.halfZero : c * (p + this.binCenter) - this.halfZero;
    this.remaining--;
    if (++this.col === this.width) this.nextRow();
  }

  /** Skips n zero coefficients (the image starts zeroed). Caller checks n <= remaining. */
  skip(n: number): void {
    this.remaining -= n;
    let left = n;
    while (left > 0) {
      const room = this.width - this.col;
      if (left < room) {
        this.col += left;
        return;
      }
      left -= room;
      this.col = 0;
      this.nextRowAfterWrap();
    }
  }

  private nextRow(): void {
    this.col = 0;
    this.nextRowAfterWrap();
  }

  private nextRowAfterWrap(): void {
    this.rowBase += this.stride;
    if (++this.row === this.height) this.enterNext();
  }
}

/**
 * Decodes one entropy-coded segment (between SOB or RSTm and the next marker) into the cursor.
 * Unstuffs it into `scratch` first; the 1-bit padding at the end may be up to the whole tail.
 */
function decodeSegment(
  bytes: Uint8Array,
  start: number,
  end: number,
  table: DecodeTable,
  cursor: CoefficientCursor,
  scratch: Uint8Array,
): DecodeResult<void> {
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i] ?? 0;
    scratch[n++] = b;
    if (b === 0xff) i++;
  }
  scratch.fill(0xff, n, n + 8);
  const totalBits = n * 8;
  const { lookup, maxCode, valueOffset } = table;
  const values = table.spec.values;
  // Local copies: imported bindings can cost a call per access under some loaders.
  const lookupBits = LOOKUP_BITS;
  const maxLength = MAX_CODE_LENGTH;
  const maxRun = MAX_ZERO_RUN_SYMBOL;
  const bias = COEFF_BIAS;
  const maxCoeff = MAX_COEFF_SYMBOL;
  const [pos8, neg8, pos16, neg16, run8, run16] = [
    ESC_POSITIVE_8,
    ESC_NEGATIVE_8,
    ESC_POSITIVE_16,
    ESC_NEGATIVE_16,
    ESC_RUN_8,
    ESC_RUN_16,
  ];
  let pos = 0;
  while (pos < totalBits) {
    const window = peek32(scratch, pos);
    let entry = lookup[window >>> (32 - lookupBits)] ?? 0;
    if (entry === 0) {
      for (let len = lookupBits + 1; len <= maxLength; len++) {
        const code = window >>> (32 - len);
        if (code <= (maxCode[len] ?? -1)) {
          entry = (len << 8) | (values[(valueOffset[len] ?? 0) + code] ?? 0);
          break;
        }
      }
      if (entry === 0) {
        if (onesToEnd(scratch, pos, totalBits)) return ok(undefined);
        return fail('invalid-value', sourceOffset(bytes, start, pos), 'bit pattern matches no Huffman code');
      }
    }
    const len = entry >>> 8;
    const symbol = entry & 0xff;
    if (pos + len > totalBits) {
      if (onesToEnd(scratch, pos, totalBits)) return ok(undefined);
      return fail(
        'truncated',
        sourceOffset(bytes, start, pos),
        'a Huffman code runs past the end of its segment',
      );
    }
    const at = pos;
    pos += len;
    let extra = 0;
    if (symbol >= pos8 && symbol <= run16) {
      extra = symbol === pos16 || symbol === neg16 || symbol === run16 ? 16 : 8;
      if (pos + extra > totalBits)
        return fail(
          'truncated',
          sourceOffset(bytes, start, at),
          'escape bits run past the end of the segment',
        );
      const value = peek32(scratch, pos) >>> (32 - extra);
      pos += extra;
      extra = value;
    }
    if ((symbol >= 1 && symbol <= maxRun) || symbol === run8 || symbol === run16) {
      const run = symbol <= maxRun ? symbol : extra;
      if (run > cursor.remaining)
        return fail(
          'invalid-value',
          sourceOffset(bytes, start, at),
          `a run of ${run} zeros passes the last coefficient (${cursor.remaining} left)`,
        );
      cursor.skip(run);
      continue;
    }
    let value: number;
    if (symbol === pos8 || symbol === pos16) value = extra;
    else if (symbol === neg8 || symbol === neg16) value = -extra;
    else if (symbol > run16 && symbol <= maxCoeff) value = symbol - bias;
    else
      return fail(
        'invalid-value',
        sourceOffset(bytes, start, at),
        `Huffman symbol ${symbol} is not a WSQ category`,
      );
    if (cursor.remaining === 0)
      return fail(
        'invalid-value',
        sourceOffset(bytes, start, at),
        'a coefficient after the last coded subband',
      );
    if (value === 0) cursor.skip(1);
    else cursor.put(value);
  }
  return ok(undefined);
}

/** 32 bits starting at bit `pos` (MSB first); reads up to 4 bytes past pos >> 3. */
function peek32(buf: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const word =
    ((buf[i] ?? 0xff) << 24) |
    ((buf[i + 1] ?? 0xff) << 16) |
    ((buf[i + 2] ?? 0xff) << 8) |
    (buf[i + 3] ?? 0xff);
  const shift = pos & 7;
  return shift === 0 ? word >>> 0 : ((word << shift) | ((buf[i + 4] ?? 0xff) >>> (8 - shift))) >>> 0;
}

/** Whether every bit from pos to the end is 1: the padding that ends a segment. */
function onesToEnd(buf: Uint8Array, pos: number, totalBits: number): boolean {
  for (let p = pos; p < totalBits; p++) if ((((buf[p >>> 3] ?? 0) >>> (7 - (p & 7))) & 1) === 0) return false;
  return true;
}

/** Offset in the file of the byte holding unstuffed bit `bit` of the segment at `start`. */
function sourceOffset(bytes: Uint8Array, start: number, bit: number): number {
  let target = bit >>> 3;
  let i = start;
  while (target > 0 && i < bytes.length) {
    i += bytes[i] === 0xff ? 2 : 1;
    target--;
  }
  return i;
}

// ---------------------------------------------------------------------------------------------
// Inspection

/** What inspectWsq reports. Plain JSON-serialisable data. */
export interface WsqInfo {
  readonly width: number;
  readonly height: number;
  /** SOF fields (§B.2.2). */
  readonly frame: {
    readonly black: number;
    readonly white: number;
    readonly shift: number;
    readonly scale: number;
    readonly encoder: number;
    readonly software: number;
  };
  /** File size over pixel count, bits per pixel. */
  readonly bitsPerPixel: number;
  readonly bytes: number;
  /** NISTCOM fields (NAME -> VALUE) of the first NISTCOM comment, if any. */
  readonly nistcom: Readonly<Record<string, string>> | undefined;
  /** Target bit rate from NISTCOM WSQ_BITRATE, bits per pixel. */
  readonly targetBitRate: number | undefined;
  readonly ppi: number | undefined;
  /** Comments that are not NISTCOM, as text. */
  readonly comments: readonly string[];
  readonly markers: readonly {
    readonly name: string;
    readonly code: number;
    readonly offset: number;
    readonly length: number;
  }[];
  /** Analysis filters from the DTT, all taps. */
  readonly filters: { readonly lowpass: readonly number[]; readonly highpass: readonly number[] };
  readonly binCenter: number;
  /** Restart interval from DRT, if any. */
  readonly restartInterval: number | undefined;
  /** All 64 DQT entries; rectangles for the 60 coded positions. */
  readonly subbands: readonly {
    readonly index: number;
    /** 1, 2 or 3; undefined for 60 .. 63, which are never coded. */
    readonly block: number | undefined;
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly q: number;
    readonly z: number;
    readonly coded: boolean;
  }[];
  readonly blocks: readonly {
    readonly offset: number;
    readonly table: number;
    /** Entropy-coded bytes, stuffing and restart markers included. */
    readonly bytes: number;
    readonly segments: number;
  }[];
  readonly huffmanTables: readonly {
    readonly block: number;
    readonly bits: readonly number[];
    readonly symbols: number;
  }[];
}

/**
 * Reports a WSQ file's structure without decoding its pixels: markers, frame, NISTCOM, bit rate,
 * filters and the subband table (Q_k, Z_k). Same errors as decodeWsq's structural checks; never
 * throws on the bytes.
 */
export function inspectWsq(bytes: Uint8Array): DecodeResult<WsqInfo> {
  const parsed = parseWsq(bytes);
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  const { width, height } = p.frame;
  const rects = decompose(width, height).subbands;
  let nistcom: Record<string, string> | undefined;
  const comments: string[] = [];
  for (const c of p.comments) {
    const fields = parseNistcom(c.bytes);
    if (fields && !nistcom) nistcom = fields;
    else comments.push(latin1(c.bytes));
  }
  const rate = Number.parseFloat(nistcom?.WSQ_BITRATE ?? '');
  const subbands: WsqInfo['subbands'][number][] = [];
  for (let k = 0; k < DQT_SUBBANDS; k++) {
    const r = rects[k];
    const q = p.quantization.q[k] ?? 0;
    subbands.push({
      index: k,
      block: k < CODED_SUBBANDS ? blockOf(k) + 1 : undefined,
      x: r?.x ?? 0,
      y: r?.y ?? 0,
      width: r?.width ?? 0,
      height: r?.height ?? 0,
      q,
      z: p.quantization.z[k] ?? 0,
      coded: k < CODED_SUBBANDS && q > 0,
    });
  }
  return ok({
    width,
    height,
    frame: {
      black: p.frame.black,
      white: p.frame.white,
      shift: p.frame.shift,
      scale: p.frame.scale,
      encoder: p.frame.encoder,
      software: p.frame.software,
    },
    bitsPerPixel: (8 * bytes.length) / (width * height),
    bytes: bytes.length,
    nistcom: nistcom ? { ...nistcom } : undefined,
    targetBitRate: Number.isFinite(rate) ? rate : undefined,
    ppi: ppiOf(p),
    comments,
    markers: p.markers.map((m) => ({ name: m.name, code: m.code, offset: m.offset, length: m.length })),
    filters: { lowpass: [...p.bank.lowpass], highpass: [...p.bank.highpass] },
    binCenter: p.quantization.binCenter,
    restartInterval: p.restartInterval,
    subbands,
    blocks: p.blocks.map((b) => ({
      offset: b.offset,
      table: b.table,
      bytes: (b.segments.at(-1)?.end ?? b.offset) - (b.segments[0]?.start ?? b.offset),
      segments: b.segments.length,
    })),
    huffmanTables: p.blocks.map((b, i) => ({
      block: i + 1,
      bits: [...b.spec.bits],
      symbols: b.spec.values.length,
    })),
  });
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

function hex(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}
