/**
 * A small QR Code encoder (ISO/IEC 18004:2015) for the simulators and tests: byte mode only, error
 * correction level L or M, versions 1 to 15, the mask chosen by the standard's penalty rules 1, 2 and
 * 4 (rule 3, finder-like runs, is left out: every mask still decodes, the choice is only less optimal).
 * The station never encodes QR codes; this exists so the simulated camera can hold a CCCD in front of
 * the lens and tests can make codes from known text, with no encoder package installed.
 *
 * Text is encoded as UTF-8 bytes without an ECI header, as the CCCD's own code does (Vietnamese
 * diacritics are multi-byte UTF-8; readers decode the byte segment as UTF-8).
 */

export type QrEcLevel = 'L' | 'M';

/** A QR symbol: `size` x `size` modules, row-major, 1 = dark. Quiet zone not included. */
export interface QrMatrix {
  readonly version: number;
  readonly size: number;
  readonly ecLevel: QrEcLevel;
  readonly mask: number;
  readonly modules: Uint8Array;
}

export interface QrEncodeOptions {
  /** Error correction level (default 'M'). */
  readonly ecLevel?: QrEcLevel;
  /** Force a mask pattern 0..7 instead of choosing by penalty. */
  readonly mask?: number;
  /** Smallest version to use (default 1). */
  readonly minVersion?: number;
}

/** The text does not fit in a version 15 symbol at the chosen level. */
export class QrCapacityError extends RangeError {
  override readonly name = 'QrCapacityError';
  readonly code = 'QR_TOO_LONG';
}

/**
 * Error correction blocks per version (18004 Table 9): [EC codewords per block, blocks in group 1,
 * data codewords per group-1 block, blocks in group 2, data codewords per group-2 block].
 */
const BLOCKS: Readonly<Record<QrEcLevel, readonly (readonly [number, number, number, number, number])[]>> = {
  L: [
    [7, 1, 19, 0, 0],
    [10, 1, 34, 0, 0],
    [15, 1, 55, 0, 0],
    [20, 1, 80, 0, 0],
    [26, 1, 108, 0, 0],
    [18, 2, 68, 0, 0],
    [20, 2, 78, 0, 0],
    [24, 2, 97, 0, 0],
    [30, 2, 116, 0, 0],
    [18, 2, 68, 2, 69],
    [20, 4, 81, 0, 0],
    [24, 2, 92, 2, 93],
    [26, 4, 107, 0, 0],
    [30, 3, 115, 1, 116],
    [22, 5, 87, 1, 88],
  ],
  M: [
    [10, 1, 16, 0, 0],
    [16, 1, 28, 0, 0],
    [26, 1, 44, 0, 0],
    [18, 2, 32, 0, 0],
    [24, 2, 43, 0, 0],
    [16, 4, 27, 0, 0],
    [18, 4, 31, 0, 0],
    [22, 2, 38, 2, 39],
    [22, 3, 36, 2, 37],
    [26, 4, 43, 1, 44],
    [30, 1, 50, 4, 51],
    [22, 6, 36, 2, 37],
    [22, 8, 37, 1, 38],
    [24, 4, 40, 5, 41],
    [24, 5, 41, 5, 42],
  ],
};

/** Alignment pattern centre coordinates per version (18004 Annex E). */
const ALIGNMENT: readonly (readonly number[])[] = [
  [],
  [6, 18],
  [6, 22],
  [6, 26],
  [6, 30],
  [6, 34],
  [6, 22, 38],
  [6, 24, 42],
  [6, 26, 46],
  [6, 28, 50],
  [6, 30, 54],
  [6, 32, 58],
  [6, 34, 62],
  [6, 26, 46, 66],
  [6, 26, 48, 70],
];

/** Format-information EC level bits (18004 Table 12). */
const EC_BITS: Readonly<Record<QrEcLevel, number>> = { L: 1, M: 0 };

const MAX_VERSION = 15;

function gfMultiply(x: number, y: number): number {
  // Russian-peasant multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D).
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z & 0xff;
}

/** The generator polynomial of degree `degree`, highest coefficient (always 1) omitted. */
function rsDivisor(degree: number): Uint8Array {
  const result = new Uint8Array(degree);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      result[j] = gfMultiply(result[j] ?? 0, root);
      if (j + 1 < degree) result[j] = (result[j] ?? 0) ^ (result[j + 1] ?? 0);
    }
    root = gfMultiply(root, 0x02);
  }
  return result;
}

function rsRemainder(data: Uint8Array, divisor: Uint8Array): Uint8Array {
  const result = new Uint8Array(divisor.length);
  for (const b of data) {
    const factor = b ^ (result[0] ?? 0);
    result.copyWithin(0, 1);
    result[result.length - 1] = 0;
    for (let i = 0; i < divisor.length; i++)
      result[i] = (result[i] ?? 0) ^ gfMultiply(divisor[i] ?? 0, factor);
  }
  return result;
}

function blockLayout(version: number, ecLevel: QrEcLevel): readonly [number, number, number, number, number] {
  const row = BLOCKS[ecLevel][version - 1];
  if (!row) throw new RangeError(`QR version ${version} is outside 1..${MAX_VERSION}`);
  return row;
}

function dataCapacity(version: number, ecLevel: QrEcLevel): number {
  const [, n1, d1, n2, d2] = blockLayout(version, ecLevel);
  return n1 * d1 + n2 * d2;
}

/** Byte-mode data codewords: mode, count, bytes, terminator, padding (18004 §7.4). */
function dataCodewords(bytes: Uint8Array, version: number, capacity: number): Uint8Array {
  const bits: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, version <= 9 ? 8 : 16);
  for (const b of bytes) put(b, 8);
  put(0, Math.min(4, capacity * 8 - bits.length));
  while (bits.length % 8 !== 0) bits.push(0);
  const out = new Uint8Array(capacity);
  let at = 0;
  for (; at < bits.length / 8; at++) {
    let byte = 0;
    for (let i = 0; i < 8; i++) byte = (byte << 1) | (bits[at * 8 + i] ?? 0);
    out[at] = byte;
  }
  for (let pad = 0; at < capacity; at++, pad++) out[at] = pad % 2 === 0 ? 0xec : 0x11;
  return out;
}

/** Splits into blocks, adds Reed-Solomon EC to each, interleaves (18004 §7.5, §7.6). */
function codewordSequence(data: Uint8Array, version: number, ecLevel: QrEcLevel): Uint8Array {
  const [ecLength, n1, d1, n2, d2] = blockLayout(version, ecLevel);
  const divisor = rsDivisor(ecLength);
  const blocks: { data: Uint8Array; ec: Uint8Array }[] = [];
  let at = 0;
  for (let i = 0; i < n1 + n2; i++) {
    const length = i < n1 ? d1 : d2;
    const part = data.subarray(at, at + length);
    at += length;
    blocks.push({ data: part, ec: rsRemainder(part, divisor) });
  }
  const out: number[] = [];
  for (let i = 0; i < Math.max(d1, d2); i++)
    for (const block of blocks) if (i < block.data.length) out.push(block.data[i] ?? 0);
  for (let i = 0; i < ecLength; i++) for (const block of blocks) out.push(block.ec[i] ?? 0);
  return Uint8Array.from(out);
}

function maskBit(mask: number, x: number, y: number): boolean {
  switch (mask) {
    case 0:
      return (x + y) % 2 === 0;
    case 1:
      return y % 2 === 0;
    case 2:
      return x % 3 === 0;
    case 3:
      return (x + y) % 3 === 0;
    case 4:
      return (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0;
    case 5:
      return ((x * y) % 2) + ((x * y) % 3) === 0;
    case 6:
      return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0;
    case 7:
      return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
    default:
      throw new RangeError(`QR mask ${mask} is outside 0..7`);
  }
}

class Grid {
  readonly modules: Uint8Array;
  readonly isFunction: Uint8Array;
  constructor(readonly size: number) {
    this.modules = new Uint8Array(size * size);
    this.isFunction = new Uint8Array(size * size);
  }
  set(x: number, y: number, dark: boolean): void {
    this.modules[y * this.size + x] = dark ? 1 : 0;
    this.isFunction[y * this.size + x] = 1;
  }
}

function drawFunctionPatterns(grid: Grid, version: number): void {
  const size = grid.size;
  for (let i = 0; i < size; i++) {
    grid.set(6, i, i % 2 === 0);
    grid.set(i, 6, i % 2 === 0);
  }
  // Finder patterns with their separators.
  for (const [cx, cy] of [
    [3, 3],
    [size - 4, 3],
    [3, size - 4],
  ] as const) {
    for (let dy = -4; dy <= 4; dy++)
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        grid.set(x, y, d !== 2 && d !== 4);
      }
  }
  const positions = ALIGNMENT[version - 1] ?? [];
  const last = positions.length - 1;
  for (let i = 0; i < positions.length; i++)
    for (let j = 0; j < positions.length; j++) {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
      const cx = positions[i] ?? 0;
      const cy = positions[j] ?? 0;
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++)
          grid.set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  // Version information (18004 §7.10), versions 7 and up: 6 bits + BCH(18,6), generator 0x1F25.
  if (version >= 7) {
    let rem = version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const bit = ((bits >>> i) & 1) === 1;
      const a = size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      grid.set(a, b, bit);
      grid.set(b, a, bit);
    }
  }
  drawFormat(grid, 'M', 0);
}

/** Format information (18004 §7.9): EC level + mask, BCH(15,5) with 0x537, XOR 0x5412. */
function drawFormat(grid: Grid, ecLevel: QrEcLevel, mask: number): void {
  const size = grid.size;
  const data = (EC_BITS[ecLevel] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const bit = (i: number) => ((bits >>> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) grid.set(8, i, bit(i));
  grid.set(8, 7, bit(6));
  grid.set(8, 8, bit(7));
  grid.set(7, 8, bit(8));
  for (let i = 9; i < 15; i++) grid.set(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) grid.set(size - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) grid.set(8, size - 15 + i, bit(i));
  grid.set(8, size - 8, true);
}

/** Places codewords in the two-column zigzag from the bottom right (18004 §7.7.3). */
function placeCodewords(grid: Grid, codewords: Uint8Array): void {
  const size = grid.size;
  const totalBits = codewords.length * 8;
  let i = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    const upward = ((right + 1) & 2) === 0;
    for (let vert = 0; vert < size; vert++)
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = upward ? size - 1 - vert : vert;
        if (grid.isFunction[y * size + x] === 1) continue;
        // Remainder bits past the last codeword stay light (0) before masking.
        const dark = i < totalBits && (((codewords[i >>> 3] ?? 0) >>> (7 - (i & 7))) & 1) === 1;
        grid.modules[y * size + x] = dark ? 1 : 0;
        i++;
      }
  }
}

function applyMask(grid: Grid, mask: number): void {
  const size = grid.size;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const at = y * size + x;
      if (grid.isFunction[at] === 0 && maskBit(mask, x, y)) grid.modules[at] = (grid.modules[at] ?? 0) ^ 1;
    }
}

/** Penalty rules 1 (runs of 5+), 2 (2x2 blocks) and 4 (dark/light balance) of 18004 §7.8.3. */
function penalty(modules: Uint8Array, size: number): number {
  let score = 0;
  const at = (x: number, y: number) => modules[y * size + x] ?? 0;
  for (let line = 0; line < size; line++)
    for (const horizontal of [true, false]) {
      let run = 1;
      for (let k = 1; k <= size; k++) {
        const same =
          k < size && (horizontal ? at(k, line) === at(k - 1, line) : at(line, k) === at(line, k - 1));
        if (same) run++;
        else {
          if (run >= 5) score += run - 2;
          run = 1;
        }
      }
    }
  for (let y = 0; y + 1 < size; y++)
    for (let x = 0; x + 1 < size; x++) {
      const c = at(x, y);
      if (c === at(x + 1, y) && c === at(x, y + 1) && c === at(x + 1, y + 1)) score += 3;
    }
  let dark = 0;
  for (const m of modules) dark += m;
  const total = size * size;
  score += Math.floor(Math.abs(dark * 20 - total * 10) / total) * 10;
  return score;
}

/**
 * Encodes `text` (as UTF-8) into the smallest QR symbol that holds it.
 * @throws {QrCapacityError} when it does not fit in version 15 at the level; {RangeError} for a mask
 *   outside 0..7 or a minVersion outside 1..15.
 */
export function encodeQr(text: string, options: QrEncodeOptions = {}): QrMatrix {
  const ecLevel = options.ecLevel ?? 'M';
  const bytes = new TextEncoder().encode(text);
  const minVersion = options.minVersion ?? 1;
  if (!Number.isInteger(minVersion) || minVersion < 1 || minVersion > MAX_VERSION)
    throw new RangeError(`minVersion ${minVersion} is outside 1..${MAX_VERSION}`);
  let version = minVersion;
  for (; version <= MAX_VERSION; version++) {
    const needBits = 4 + (version <= 9 ? 8 : 16) + bytes.length * 8;
    if (needBits <= dataCapacity(version, ecLevel) * 8) break;
  }
  if (version > MAX_VERSION)
    throw new QrCapacityError(
      `${bytes.length} bytes do not fit in a version ${MAX_VERSION}-${ecLevel} QR code (this encoder stops at version ${MAX_VERSION})`,
    );
  const data = dataCodewords(bytes, version, dataCapacity(version, ecLevel));
  const codewords = codewordSequence(data, version, ecLevel);
  const size = version * 4 + 17;
  const base = new Grid(size);
  drawFunctionPatterns(base, version);
  placeCodewords(base, codewords);

  const candidates = options.mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [options.mask];
  let best: { mask: number; modules: Uint8Array; score: number } | undefined;
  for (const mask of candidates) {
    const grid = new Grid(size);
    grid.modules.set(base.modules);
    grid.isFunction.set(base.isFunction);
    applyMask(grid, mask);
    drawFormat(grid, ecLevel, mask);
    const score = candidates.length === 1 ? 0 : penalty(grid.modules, size);
    if (best === undefined || score < best.score) best = { mask, modules: grid.modules, score };
  }
  if (best === undefined) throw new RangeError('no QR mask candidate');
  return { version, size, ecLevel, mask: best.mask, modules: best.modules };
}
