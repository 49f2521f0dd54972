/**
 * Deterministic randomness for the print generator: the same seeds render the same bytes on every
 * machine. Integer arithmetic only (Math.imul), no platform-dependent floating point in the stream.
 */

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded through splitmix32. */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | undefined;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal (Box-Muller, cached pair). */
  gaussian(): number {
    if (this.#spare !== undefined) {
      const value = this.#spare;
      this.#spare = undefined;
      return value;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
}

/** Mixes integers into one 32-bit seed (order-sensitive), so sub-streams never overlap by accident. */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    let v = part >>> 0;
    for (let i = 0; i < 4; i++) {
      h = Math.imul(h ^ (v & 0xff), 0x01000193) >>> 0;
      v >>>= 8;
    }
    // Seeds above 2^32 keep their high part too.
    const high = Math.floor(part / 4294967296) >>> 0;
    h = Math.imul(h ^ high, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Smooth value noise on a lattice of `cell` pixels with cosine interpolation: values in about [-1, 1].
 * Fills `width * height` samples; used for frequency maps, pressure, dryness and distortion fields.
 */
export function smoothNoise(width: number, height: number, cell: number, random: Random): Float32Array {
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = random.next() * 2 - 1;
  const out = new Float32Array(width * height);
  const weights = new Float32Array(cell);
  for (let i = 0; i < cell; i++) weights[i] = (1 - Math.cos((Math.PI * i) / cell)) / 2;
  for (let y = 0; y < height; y++) {
    const gy = Math.floor(y / cell);
    const wy = weights[y - gy * cell] ?? 0;
    for (let x = 0; x < width; x++) {
      const gx = Math.floor(x / cell);
      const wx = weights[x - gx * cell] ?? 0;
      const i = gy * gw + gx;
      const a = (grid[i] ?? 0) * (1 - wx) + (grid[i + 1] ?? 0) * wx;
      const b = (grid[i + gw] ?? 0) * (1 - wx) + (grid[i + gw + 1] ?? 0) * wx;
      out[y * width + x] = a * (1 - wy) + b * wy;
    }
  }
  return out;
}
