/**
 * The few OpenCV 4 image operations NFIQ 2 v2.3 relies on, reproduced where their arithmetic
 * decides NFIQ 2's numbers: rounding (cvRound), border extension (BORDER_REFLECT_101), the
 * bit-exact 8-bit Gaussian blur, the 5x5 erosion, Otsu's threshold and nearest-neighbour
 * warpAffine. Written from OpenCV's documented behaviour and source (imgproc smooth.dispatch.cpp,
 * imgwarp.cpp, thresh.cpp, morph.dispatch.cpp); no OpenCV code is copied.
 */

/** cvRound / saturate_cast<int>(double): round half to even, as the x86 conversion does. */
export function cvRound(v: number): number {
  const r = Math.round(v);
  // Math.round sends halves up; the FPU default mode sends them to the even neighbour.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** C's round(): half away from zero. */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** borderInterpolate for BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba), any distance. */
export function reflect101(p: number, length: number): number {
  if (length === 1) return 0;
  let q = p;
  while (q < 0 || q >= length) q = q < 0 ? -q : 2 * length - 2 - q;
  return q;
}

/** getGaussianKernelBitExact's tables for sigma <= 0, times 256. */
const SMALL_KERNELS: Readonly<Record<number, readonly number[]>> = {
  1: [256],
  3: [64, 128, 64],
  5: [16, 64, 96, 64, 16],
  7: [8, 28, 56, 72, 56, 28, 8],
  9: [4, 13, 30, 51, 60, 51, 30, 13, 4],
};

/**
 * The fixed-point kernel GaussianBlur uses on 8-bit images: getGaussianKernelBitExact (sigma 0
 * means 0.15 n + 0.35) quantised to 8 fraction bits by error diffusion, the centre tap taking up
 * the rounding so the taps sum to exactly 256 (getGaussianKernelFixedPoint_ED).
 * Math.exp stands in for OpenCV's softfloat exp; both are correctly rounded to well under the
 * 1/256 quantum, so the integer taps agree.
 * @throws {RangeError} for an even or non-positive size
 */
export function gaussianKernelFixed(size: number, sigma = 0): Int32Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new RangeError(`kernel size ${size}`);
  // OpenCV hard-codes the small kernels for sigma <= 0 (binomial-like, exact in 8 fraction bits).
  const fixed = SMALL_KERNELS[size];
  if (sigma <= 0 && fixed !== undefined) return Int32Array.from(fixed);
  const half = (size - 1) / 2;
  const s = sigma > 0 ? sigma : size * 0.15 + 0.35;
  const scale = -0.125 / (s * s);
  const values = new Float64Array(half);
  let sum = 0;
  for (let i = 0, x = 1 - size; i < half; i++, x += 2) {
    values[i] = Math.exp(x * x * scale);
    sum += values[i] ?? 0;
  }
  sum = sum * 2 + 1;
  const norm = 1 / sum;
  const taps = new Int32Array(size);
  let error = 0;
  let total = 0;
  for (let i = 0; i < half; i++) {
    const wanted = (values[i] ?? 0) * norm * 256 + error;
    const tap = cvRound(wanted);
    error = wanted - tap;
    taps[i] = tap;
    taps[size - 1 - i] = tap;
    total += tap;
  }
  taps[half] = 256 - 2 * total;
  return taps;
}

/**
 * A kernel of non-negative integer taps written as a weighted sum of boxes (runs of ones):
 * sum over terms of weight[t] * [start[t] <= i <= end[t]] equals taps[i]. Filtering with it then
 * needs two prefix-sum reads per box instead of one multiply per tap. The boxes are the runs of
 * each level set {i : taps[i] >= v}; identical runs are merged into one weighted box. NFIQ 2's
 * 41-tap kernel becomes 12 boxes, its 91-tap kernel 16.
 */
export interface KernelBoxes {
  readonly radius: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly weight: Int32Array;
}

export function kernelBoxes(taps: Int32Array): KernelBoxes {
  const merged = new Map<number, number>();
  let top = 0;
  for (const t of taps) top = Math.max(top, t);
  for (let level = 1; level <= top; level++) {
    let i = 0;
    while (i < taps.length) {
      if ((taps[i] ?? 0) < level) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < taps.length && (taps[j + 1] ?? 0) >= level) j++;
      const key = i * 65536 + j;
      merged.set(key, (merged.get(key) ?? 0) + 1);
      i = j + 1;
    }
  }
  const keys = [...merged.keys()];
  return {
    radius: (taps.length - 1) >> 1,
    start: Int32Array.from(keys, (k) => Math.floor(k / 65536)),
    end: Int32Array.from(keys, (k) => k % 65536),
    weight: Int32Array.from(keys, (k) => merged.get(k) ?? 0),
  };
}

/**
 * GaussianBlur(src, dst, Size(n, n), 0) on an 8-bit image with BORDER_REFLECT_101, bit-exact:
 * OpenCV's horizontal pass into 8.8 fixed point is exact (no rounding), its vertical pass
 * accumulates in 16.16, and the one rounding is (sum + 2^15) >> 16 at the end. Integer sums do not
 * depend on order, so both passes here run on prefix sums over the reflected rows and columns.
 * @throws {RangeError} when width + 2 radius exceeds 1028 px (the packed rows would carry)
 */
export function gaussianBlur8u(
  src: Uint8Array,
  width: number,
  height: number,
  boxes: KernelBoxes,
): Uint8Array {
  const { radius, start, end, weight } = boxes;
  const terms = start.length;
  const span = width + 2 * radius;
  // Two rows at a time in one float64 (SWAR): row y in the low 18 bits, row y + 1 above them.
  // A row's prefix sum is at most 255 * span < 2^18 for span <= 1028 px, so the lanes never carry
  // into each other, and the packed value stays below 2^36, exact in a double.
  if (span > 1028) throw new RangeError(`row of ${width} px is too wide for the packed blur`);
  const lane = 262144;
  const h = new Float64Array(width * height);
  const prefix = new Float64Array(span + 1);
  const packed = new Float64Array(width);
  const sourceIndex = new Int32Array(span);
  for (let j = 0; j < span; j++) sourceIndex[j] = reflect101(j - radius, width);
  for (let y = 0; y < height; y += 2) {
    const rowA = y * width;
    // An odd last row pairs with itself; its upper lane is ignored.
    const rowB = y + 1 < height ? rowA + width : rowA;
    let run = 0;
    for (let j = 0; j < span; j++) {
      const k = sourceIndex[j] ?? 0;
      run += (src[rowA + k] ?? 0) + (src[rowB + k] ?? 0) * lane;
      prefix[j + 1] = run;
    }
    packed.fill(0);
    for (let t = 0; t < terms; t++) {
      const a = start[t] ?? 0;
      const b = (end[t] ?? 0) + 1;
      const w = weight[t] ?? 0;
      for (let x = 0; x < width; x++)
        packed[x] = (packed[x] ?? 0) + w * ((prefix[x + b] ?? 0) - (prefix[x + a] ?? 0));
    }
    for (let x = 0; x < width; x++) {
      const v = packed[x] ?? 0;
      const upper = Math.floor(v / lane);
      h[rowA + x] = v - upper * lane;
      if (rowB !== rowA) h[rowB + x] = upper;
    }
  }
  const out = new Uint8Array(width * height);
  verticalBoxPass(h, width, height, boxes, out, new Uint8Array(width * height));
  return out;
}

/**
 * The vertical pass of the fixed-point Gaussian on exact horizontal sums `h`, rounded to 8 bits
 * into `out`. Pixels flagged 1 in `skip` are left alone. (Always an array, never undefined:
 * keeping the call sites monomorphic keeps V8's code for the inner loops fast.)
 *
 * Columns 2i and 2i + 1 share one float64 (low lane and 2^26 lane): neighbours, so a pair is
 * rarely computed for a pixel `skip` already covers. Each lane holds a
 * column prefix sum, rebased every ring turn so it stays below 2 * 65280 * (2 radius + 2) (< 2^24
 * for NIST's radius 45), and a weighted box sum, at most 256 * 65280 < 2^24: no carries between
 * lanes, and every packed value stays below 2^52, exact in a double.
 * @throws {RangeError} for a radius above 255 (the lanes could carry)
 */
export function verticalBoxPass(
  h: Float64Array,
  width: number,
  height: number,
  boxes: KernelBoxes,
  out: Uint8Array,
  skip: Uint8Array,
): void {
  const { radius, start, end, weight } = boxes;
  if (radius > 255) throw new RangeError(`kernel radius ${radius} is too large for the packed pass`);
  const terms = start.length;
  const half = (width + 1) >> 1;
  const lane = 67108864; // 2^26
  // q row j: column prefix sums over h rows reflect(-radius) .. reflect(j - 1 - radius), less the
  // last rebase. Output row y reads q rows y .. y + 2 radius + 1, so a ring of 2 radius + 2 rows is
  // enough and stays in cache.
  const ringRows = 2 * radius + 2;
  const q = new Float64Array(ringRows * half);
  let made = 0; // q rows 0 .. made - 1 exist; row 0 is all zeros
  const acc = new Float64Array(half);
  for (let y = 0; y < height; y++) {
    if (y > 0 && y % ringRows === 0) {
      // Rebase: subtract row y (lane by lane the smallest in the ring) from every row.
      const base = (y % ringRows) * half;
      for (let r = 0; r < ringRows; r++) {
        if (r === y % ringRows) continue;
        const row = r * half;
        for (let x = 0; x < half; x++) q[row + x] = (q[row + x] ?? 0) - (q[base + x] ?? 0);
      }
      q.fill(0, base, base + half);
    }
    while (made < y + ringRows) {
      if (made > 0) {
        const prev = ((made - 1) % ringRows) * half;
        const next = (made % ringRows) * half;
        const from = reflect101(made - 1 - radius, height) * width;
        for (let x = 0; x < half; x++) {
          const upper = 2 * x + 1 < width ? (h[from + 2 * x + 1] ?? 0) : 0;
          q[next + x] = (q[prev + x] ?? 0) + (h[from + 2 * x] ?? 0) + upper * lane;
        }
      }
      made++;
    }
    const own = y * width;
    let x0 = 0;
    while (x0 < half) {
      // A pair is skipped only when both its pixels are (past the right edge counts as skipped).
      if (skip[own + 2 * x0] === 1 && (2 * x0 + 1 >= width || skip[own + 2 * x0 + 1] === 1)) {
        x0++;
        continue;
      }
      let x1 = x0 + 1;
      while (x1 < half && (skip[own + 2 * x1] !== 1 || (2 * x1 + 1 < width && skip[own + 2 * x1 + 1] !== 1)))
        x1++;
      for (let x = x0; x < x1; x++) acc[x] = 0;
      for (let t = 0; t < terms; t++) {
        const a = ((y + (start[t] ?? 0)) % ringRows) * half;
        const b = ((y + (end[t] ?? 0) + 1) % ringRows) * half;
        const w = weight[t] ?? 0;
        for (let x = x0; x < x1; x++) acc[x] = (acc[x] ?? 0) + w * ((q[b + x] ?? 0) - (q[a + x] ?? 0));
      }
      for (let x = x0; x < x1; x++) {
        const v = acc[x] ?? 0;
        const upper = Math.floor(v / lane);
        const left = own + 2 * x;
        if (skip[left] !== 1) out[left] = (v - upper * lane + 32768) >> 16;
        if (2 * x + 1 < width && skip[left + 1] !== 1) out[left + 1] = (upper + 32768) >> 16;
      }
      x0 = x1;
    }
  }
}

/** min(a, b) of small integers without a branch: real images mispredict the branchy forms. */
function min2(a: number, b: number): number {
  const d = a - b;
  return b + (d & (d >> 31));
}

/**
 * erode(src, dst, 5x5 ones): the minimum over the 5x5 neighbourhood. OpenCV's default border for
 * erosion is the type's maximum, so pixels outside the image never win.
 */
export function erode5x5(src: Uint8Array, width: number, height: number): Uint8Array {
  const tmp = new Uint8Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (x >= 2 && x + 2 < width) {
        const a = min2(src[i - 2] ?? 255, src[i - 1] ?? 255);
        const b = min2(src[i] ?? 255, src[i + 1] ?? 255);
        tmp[i] = min2(min2(a, b), src[i + 2] ?? 255);
      } else {
        let m = 255;
        const to = Math.min(width - 1, x + 2);
        for (let k = Math.max(0, x - 2); k <= to; k++) m = min2(m, src[row + k] ?? 255);
        tmp[i] = m;
      }
    }
  }
  const out = new Uint8Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (y >= 2 && y + 2 < height) {
      const a = row - 2 * width;
      const b = row - width;
      const d = row + width;
      const e = row + 2 * width;
      for (let x = 0; x < width; x++) {
        const m = min2(
          min2(tmp[a + x] ?? 255, tmp[b + x] ?? 255),
          min2(tmp[row + x] ?? 255, tmp[d + x] ?? 255),
        );
        out[row + x] = min2(m, tmp[e + x] ?? 255);
      }
    } else {
      const to = Math.min(height - 1, y + 2);
      for (let x = 0; x < width; x++) {
        let m = 255;
        for (let k = Math.max(0, y - 2); k <= to; k++) m = min2(m, tmp[k * width + x] ?? 255);
        out[row + x] = m;
      }
    }
  }
  return out;
}

/**
 * Otsu's threshold from a 256-bin histogram, as OpenCV's getThreshVal_Otsu_8u walks it: the first
 * grey level that maximises the between-class variance, skipping levels that leave a class with
 * less than FLT_EPSILON of the mass.
 */
export function otsuThreshold(hist: ArrayLike<number>, total: number): number {
  const scale = 1 / total;
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * (hist[i] ?? 0);
  mu *= scale;
  const epsilon = 1.1920928955078125e-7; // FLT_EPSILON
  let mu1 = 0;
  let q1 = 0;
  let maxSigma = 0;
  let maxVal = 0;
  for (let i = 0; i < 256; i++) {
    const p = (hist[i] ?? 0) * scale;
    mu1 *= q1;
    q1 += p;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < epsilon || Math.max(q1, q2) > 1 - epsilon) continue;
    mu1 = (mu1 + i * p) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > maxSigma) {
      maxSigma = sigma;
      maxVal = i;
    }
  }
  return maxVal;
}

/**
 * threshold(src, dst, 0, 255, THRESH_OTSU) in place: 255 above Otsu's level, 0 at or below.
 * Returns the level.
 */
export function thresholdOtsu(image: Uint8Array): number {
  const hist = new Int32Array(256);
  for (let i = 0; i < image.length; i++) {
    const v = image[i] ?? 0;
    hist[v] = (hist[v] ?? 0) + 1;
  }
  const level = otsuThreshold(hist, image.length);
  // A lookup table keeps the per-pixel work to one load and one store.
  const table = new Uint8Array(256);
  table.fill(255, level + 1);
  for (let i = 0; i < image.length; i++) image[i] = table[image[i] ?? 0] ?? 0;
  return level;
}

const COLUMN_X = new Int32Array(64);
const COLUMN_Y = new Int32Array(64);

/**
 * Nearest-neighbour sampling positions of warpAffine(block, rotated, getRotationMatrix2D(centre,
 * degrees, 1), size, INTER_NEAREST) with a constant 0 border: for each destination pixel the source
 * index, or -1 outside the source. OpenCV inverts the matrix, then steps in 10-bit fixed point
 * (AB_BITS): X = (cvRound((m1 y + m2) 1024) + 512 + cvRound(m0 x 1024)) >> 10, likewise Y.
 *
 * Only the destination window [row0, row0 + rows) x [col0, col0 + cols) is computed; that is all
 * NFIQ 2 keeps of each rotated block. At most 64 columns.
 */
export function rotationIndices(
  radians: number,
  srcSize: number,
  centre: number,
  row0: number,
  rows: number,
  col0: number,
  cols: number,
  out: Int32Array,
): void {
  // NFIQ2 converts to degrees (getRotatedBlock), OpenCV back to radians (getRotationMatrix2D).
  const degrees = radians * (180 / Math.PI);
  const angle = degrees * (Math.PI / 180);
  const alpha = Math.cos(angle);
  const beta = Math.sin(angle);
  const m0 = alpha;
  const m1 = beta;
  const m2 = (1 - alpha) * centre - beta * centre;
  const m3 = -beta;
  const m4 = alpha;
  const m5 = beta * centre + (1 - alpha) * centre;
  // invertAffineTransform
  let d = m0 * m4 - m1 * m3;
  d = d !== 0 ? 1 / d : 0;
  const a11 = m4 * d;
  const a22 = m0 * d;
  const a12 = -m1 * d;
  const a21 = -m3 * d;
  const b1 = -a11 * m2 - a12 * m5;
  const b2 = -a21 * m2 - a22 * m5;
  // The per-column terms are the same on every row (OpenCV's adelta/bdelta tables).
  for (let x = 0; x < cols; x++) {
    COLUMN_X[x] = cvRound(a11 * (col0 + x) * 1024);
    COLUMN_Y[x] = cvRound(a21 * (col0 + x) * 1024);
  }
  let k = 0;
  for (let y = row0; y < row0 + rows; y++) {
    const x0 = cvRound((a12 * y + b1) * 1024) + 512;
    const y0 = cvRound((a22 * y + b2) * 1024) + 512;
    for (let x = 0; x < cols; x++) {
      const sx = (x0 + (COLUMN_X[x] ?? 0)) >> 10;
      const sy = (y0 + (COLUMN_Y[x] ?? 0)) >> 10;
      out[k++] = sx >= 0 && sy >= 0 && sx < srcSize && sy < srcSize ? sy * srcSize + sx : -1;
    }
  }
}
