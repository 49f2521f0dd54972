/**
 * The WSQ building blocks on their own: the subband tree, the filter bank's perfect reconstruction,
 * Huffman table construction and the DTT/DQT number encoding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALPHABET,
  BitWriter,
  decodeTable,
  encodeTable,
  LOOKUP_BITS,
  MAX_CODE_LENGTH,
  optimalSpec,
  specProblem,
} from '../../../protocol/wsq/huffman.ts';
import { allocateBins, MAX_INDEX } from '../../../protocol/wsq/quantization.ts';
import { roundTripScaled, scaledValue, toScaled, toScaledShortest } from '../../../protocol/wsq/segments.ts';
import {
  type FilterBank,
  FilterEngine,
  filterFromHalf,
  STANDARD_FILTERS,
} from '../../../protocol/wsq/transform.ts';
import { blockOf, decompose } from '../../../protocol/wsq/tree.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

describe('subband tree', () => {
  it('numbers the 500x500 subbands as cwsq does (spot checks)', () => {
    const { subbands, splits } = decompose(500, 500);
    expect(splits).toHaveLength(20);
    expect(subbands).toHaveLength(60);
    expect(subbands[0]).toEqual({ index: 0, x: 0, y: 0, width: 16, height: 16 });
    expect(subbands[3]).toEqual({ index: 3, x: 16, y: 16, width: 16, height: 16 });
    // Subband 19 is the top-left quarter of node 6, the low-pass corner of the x-inverted 125 x 125
    // quadrant at (125, 0): floor(125/2) = 62 then ceil(62/2) = 31 wide, ceil(ceil(125/2)/2) = 32 high.
    expect(subbands[19]).toEqual({ index: 19, x: 125, y: 0, width: 31, height: 32 });
    expect(subbands[51]).toEqual({ index: 51, x: 125, y: 125, width: 125, height: 125 });
    expect(subbands[52]).toEqual({ index: 52, x: 250, y: 0, width: 125, height: 125 });
    expect(subbands[59]).toEqual({ index: 59, x: 125, y: 375, width: 125, height: 125 });
  });

  it('gives the high-pass half floor(n/2), high-pass first in inverted splits', () => {
    // 501 wide: level 1 gives 251 low + 250 high columns; the top-right quadrant (x-inverted when
    // split again) puts its 125 high-pass columns before its 125 low-pass ones.
    const { subbands } = decompose(501, 300);
    expect(subbands[52]).toMatchObject({ x: 251, width: 125 });
    expect(subbands[53]).toMatchObject({ x: 376, width: 125 });
    const odd = decompose(502, 300).subbands;
    // 251 wide top-right quadrant: inverted, so 125 high-pass then 126 low-pass columns.
    expect(odd[52]).toMatchObject({ x: 251, width: 125 });
    expect(odd[53]).toMatchObject({ x: 376, width: 126 });
  });

  it('tiles the image: the 60 coded subbands and the uncoded high-high quadrant cover it once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 700 }), fc.integer({ min: 64, max: 700 }), (w, h) => {
        const cover = new Uint8Array(w * h);
        for (const s of decompose(w, h).subbands)
          for (let y = s.y; y < s.y + s.height; y++)
            for (let x = s.x; x < s.x + s.width; x++) cover[y * w + x] = (cover[y * w + x] ?? 0) + 1;
        // The level-1 high-high quadrant starts at ceil(w/2), ceil(h/2).
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const inHH = x >= (w + 1) >> 1 && y >= (h + 1) >> 1;
            if ((cover[y * w + x] ?? 0) !== (inHH ? 0 : 1)) return false;
          }
        return true;
      }),
      { seed, numRuns: 40 },
    );
  });

  it('puts subbands 0-18, 19-51 and 52-59 in blocks 1, 2 and 3', () => {
    expect([0, 18, 19, 51, 52, 59].map(blockOf)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

const EVEN_8X8: FilterBank = {
  lowpass: filterFromHalf(
    [0.85269867900940344, -0.09789296778409587, -0.12335584105275092, 0.07565691101399093],
    8,
    false,
  ),
  highpass: filterFromHalf(
    [-0.60328894481393847, 0.18870142780632693, 0.05261415011924844, -0.03226944131446922],
    8,
    true,
  ),
};
const BIOR_3_1: FilterBank = {
  lowpass: Float64Array.of(-0.3535533905932738, 1.0606601717798214, 1.0606601717798214, -0.3535533905932738),
  highpass: Float64Array.of(-0.1767766952966369, 0.5303300858899107, -0.5303300858899107, 0.1767766952966369),
};
const BIOR_1_3: FilterBank = {
  lowpass: Float64Array.of(-1 / 8, 1 / 8, 1, 1, 1 / 8, -1 / 8).map((v) => v * Math.SQRT1_2),
  highpass: Float64Array.of(-Math.SQRT1_2, Math.SQRT1_2),
};
const LEGALL_5_3: FilterBank = {
  lowpass: Float64Array.of(-0.125, 0.25, 0.75, 0.25, -0.125).map((v) => v * Math.SQRT2),
  highpass: Float64Array.of(-0.5, 1, -0.5).map((v) => v * Math.SQRT1_2),
};

describe('filter bank', () => {
  it('rebuilds the even 8/8 bank from the DTT halves (antisymmetric high-pass)', () => {
    expect([...EVEN_8X8.highpass.subarray(0, 4)]).toEqual([
      0.03226944131446922, -0.05261415011924844, -0.18870142780632693, 0.60328894481393847,
    ]);
    expect(EVEN_8X8.lowpass[0]).toBe(0.07565691101399093);
  });

  it.each([
    ['9/7 (Part 3, unrolled path)', STANDARD_FILTERS],
    ['5/3 (odd, generic path)', LEGALL_5_3],
    ['8/8 even (NBIS test bank)', EVEN_8X8],
    ['4/4 even', BIOR_3_1],
    ['6/2 even', BIOR_1_3],
  ] as const)('reconstructs perfectly through all 20 splits with %s filters', (_name, bank) => {
    for (const [w, h] of [
      [64, 64],
      [65, 97],
      [257, 130],
    ] as const) {
      const { image, original } = noise(w, h);
      const engine = new FilterEngine(bank);
      const d = decompose(w, h);
      engine.analyze(image, d);
      expect(maxDiff(image, original)).toBeGreaterThan(1); // it did transform
      engine.synthesize(image, d);
      expect(maxDiff(image, original)).toBeLessThan(1e-3);
    }
  });

  it('refuses banks that mix odd and even lengths', () => {
    expect(
      () => new FilterEngine({ lowpass: STANDARD_FILTERS.lowpass, highpass: EVEN_8X8.highpass }),
    ).toThrow(RangeError);
  });
});

/**
 * Known answers from NIST's reference filter bank: NBIS util.c get_lets/join_lets (public domain),
 * with the synthesis filters derived from the DTT halves as NBIS tableio.c does, run on these
 * inputs in a scratch harness; outputs in thousandths. Inputs are formulas so the vectors
 * stay small. Our results agreed to float precision (< 1e-4) on 9/7, 8/8, 5/3, 2/2, 4/4 and 6/6
 * banks over odd and even sizes and every inversion; these three cases stand for them.
 */
const NBIS_VECTORS = {
  /** 11 x 9, split inverted in y only, even 8/8 bank, synthesis of coefficients(99). */
  evenSynthesis: [
    44083, -100779, -109144, -10117, -82320, 85997, 69546, 45007, 112315, -73411, -43700, -55943, 44212,
    23887, 32268, 60026, -25568, 3466, -45031, -63523, 14360, 6066, -94442, 74516, 40680, 54223, 102034,
    -43878, 5316, -74956, -106540, 24285, 10726, 59239, -15317, 17788, -42492, -48674, -4247, -38869, 43415,
    38155, 14342, 12173, 105400, -30942, 26727, -74062, -87571, -3724, -65083, 78255, 70887, 22951, 19275,
    -41462, -10850, -42553, 34910, 22734, 24847, 51364, -28568, -6796, -30972, -21269, -77294, -16378, -73460,
    64250, 43226, 42196, 90690, -52246, -15232, -53495, -36705, 9046, 26901, 43158, -14422, 6918, -29663,
    -38072, 3084, -20730, 29540, 18938, 18028, 14800, 32141, -17869, -4794, -20602, -33036, 10464, -6616,
    22627, 14937,
  ],
  /** 11 x 9, inverted in x and y, even 8/8 bank, analysis of samples(99). */
  evenAnalysis: [
    -32944, 11775, 1885, -9826, 1332, -140129, -121946, 138209, -40551, -184937, 72627, -19271, 13664, -7660,
    -6356, 9465, -221287, 83727, 182035, -170417, -102025, 213287, 17650, 2538, -18435, 20177, -6935, -67459,
    252464, -116870, -147190, 170776, 97153, 32023, -40143, 28530, -8029, -10661, 148196, 54592, -217259,
    56779, 218566, -201059, -261, 905, -1600, -280, 3371, 3537, 41023, 13266, -33120, 34723, 73404, 6430,
    -1310, -885, 888, 4621, 31172, 27701, -44009, -40402, 55406, 62827, -8656, 8087, -5543, 7267, -7086,
    39872, -24707, -28361, 35575, -8249, 12002, -25565, 1044, 7072, 3220, -21208, 43948, -66512, -22528,
    92370, -39854, -78607, -52476, 30192, 52925, -12040, -55698, -218685, 227888, 121675, -284178, -4869,
    327681,
  ],
  /** 10 x 9, inverted in x only, 9/7 bank, synthesis of coefficients(90). */
  standardSynthesis: [
    486, 21902, -14705, -5426, -11618, -24539, 10448, -5420, 14661, 29424, 21194, 38707, 13574, 59314, -42600,
    -24921, -29264, -66383, 31402, -12729, -11483, 16876, -30948, -40362, 2285, -28876, 31572, 26124, 9144,
    56026, 434, 64863, -39863, -14051, -36483, -71246, 27037, -17512, 43377, 82714, -14273, -30243, -5407,
    -37232, 30432, 22104, 16249, 44048, -23370, 1279, -21295, 8272, -43225, -71606, 16424, -27887, 49607,
    54769, 124, 74766, -437, -40353, 25391, 9210, 22510, 44725, -17278, 10287, -26786, -52059, -15450, -53821,
    6842, -35384, 44177, 47195, 8960, 53517, -40280, -26405, 19416, -13943, 43276, 66138, -11797, 31511,
    -47311, -49199, -3805, -75200,
  ],
};
const coefficients = (n: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.round(50 * Math.sin(i * 1.37 + 0.3)));
const samples = (n: number) =>
  Float32Array.from({ length: n }, (_, i) =>
    Math.round(100 * Math.sin(i * 0.91) + 30 * Math.cos(i * i * 0.013)),
  );

function oneSplit(
  bank: FilterBank,
  w: number,
  h: number,
  invertX: boolean,
  invertY: boolean,
  data: Float32Array,
  forward: boolean,
) {
  const decomposition = {
    width: w,
    height: h,
    splits: [{ x: 0, y: 0, width: w, height: h, invertX, invertY }],
    subbands: [],
  };
  const engine = new FilterEngine(bank);
  if (forward) engine.analyze(data, decomposition);
  else engine.synthesize(data, decomposition);
  return data;
}

describe('filter bank against NBIS known answers', () => {
  it.each([
    [
      'even 8/8 synthesis, 11x9, inverted in y',
      EVEN_8X8,
      11,
      9,
      false,
      true,
      false,
      NBIS_VECTORS.evenSynthesis,
    ],
    [
      'even 8/8 analysis, 11x9, inverted in x and y',
      EVEN_8X8,
      11,
      9,
      true,
      true,
      true,
      NBIS_VECTORS.evenAnalysis,
    ],
    [
      '9/7 synthesis, 10x9, inverted in x',
      STANDARD_FILTERS,
      10,
      9,
      true,
      false,
      false,
      NBIS_VECTORS.standardSynthesis,
    ],
  ] as const)('matches %s', (_name, bank, w, h, ix, iy, forward, expected) => {
    const input = forward ? samples(w * h) : coefficients(w * h);
    const out = oneSplit(bank, w, h, ix, iy, input, forward);
    expect(out).toHaveLength(expected.length);
    let worst = 0;
    expected.forEach((v, i) => {
      worst = Math.max(worst, Math.abs((out[i] ?? Number.NaN) - v / 1000));
    });
    expect(worst).toBeLessThan(2e-3);
  });
});

function noise(w: number, h: number): { image: Float32Array; original: Float32Array } {
  const image = new Float32Array(w * h);
  let s = 12345;
  for (let i = 0; i < image.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    image[i] = ((s >>> 8) % 256) - 128 + 40 * Math.sin(i / 7);
  }
  return { image, original: image.slice() };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe('Huffman tables (JPEG Annex K.2 construction)', () => {
  it('never makes a code longer than 16 bits, even for Fibonacci frequencies', () => {
    const freq = new Float64Array(ALPHABET);
    let a = 1;
    let b = 1;
    for (let v = 1; v <= 40; v++) {
      freq[v] = a;
      [a, b] = [b, a + b];
    }
    const spec = optimalSpec(freq);
    expect(spec.bits).toHaveLength(MAX_CODE_LENGTH);
    expect(spec.values).toHaveLength(40);
    expect(specProblem(spec)).toBeUndefined();
    expect(spec.bits[15]).toBeGreaterThan(0);
  });

  it('decodes every symbol back through the lookup and long-code paths, and reserves the all-ones code', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(10000), { minLength: ALPHABET, maxLength: ALPHABET }), (counts) => {
        const spec = optimalSpec(counts);
        const used = counts.filter((c) => c > 0).length;
        if (spec.values.length !== used) return false;
        const enc = encodeTable(spec);
        const dec = decodeTable(spec);
        for (const v of spec.values) {
          const len = enc.length[v] ?? 0;
          const code = enc.code[v] ?? 0;
          if (len === 0 || len > MAX_CODE_LENGTH) return false;
          // No code is all ones (the segment padding can never be read as a symbol).
          if (code === 2 ** len - 1) return false;
          if (len <= LOOKUP_BITS) {
            if ((dec.lookup[code << (LOOKUP_BITS - len)] ?? 0) !== ((len << 8) | v)) return false;
          } else {
            if (code > (dec.maxCode[len] ?? -1)) return false;
            if (spec.values[(dec.valueOffset[len] ?? 0) + code] !== v) return false;
          }
        }
        return true;
      }),
      { seed, numRuns: 60 },
    );
  });

  it('gives one code to a lone symbol and none to an empty block', () => {
    const one = new Float64Array(ALPHABET);
    one[100] = 5;
    expect([...optimalSpec(one).bits]).toEqual([1, ...new Array(15).fill(0)]);
    expect(optimalSpec(new Float64Array(ALPHABET)).values).toHaveLength(0);
  });

  it('flags tables that overflow the code space', () => {
    const bits = new Uint8Array(16);
    bits[0] = 3;
    expect(specProblem({ bits, values: Uint8Array.of(1, 2, 3) })).toMatchObject({ at: 0 });
    bits[0] = 2;
    // Two 1-bit codes fill the space exactly; NBIS accepts such tables, so do we.
    expect(specProblem({ bits, values: Uint8Array.of(1, 2) })).toBeUndefined();
    expect(specProblem({ bits, values: Uint8Array.of(1) })).toMatchObject({ at: 16 });
  });

  it('stuffs a zero after every 0xFF and pads with ones', () => {
    const out = new Uint8Array(8);
    const w = new BitWriter(out, 0);
    w.write(0xff, 8);
    w.write(0b101, 3);
    w.flush();
    expect([...out.subarray(0, w.position)]).toEqual([0xff, 0x00, 0b10111111]);
  });
});

describe('scaled reals (DTT, DQT, SOF)', () => {
  it('writes as many digits as fit the field, like cwsq', () => {
    expect(toScaled(0.44, 0xffff)).toEqual({ exponent: 5, integer: 44000 });
    expect(toScaledShortest(0.44, 0xffff)).toEqual({ exponent: 2, integer: 44 });
    expect(toScaled(29.1867, 0xffff)).toEqual({ exponent: 3, integer: 29187 });
    expect(toScaled(0.93426, 0xffff)).toEqual({ exponent: 4, integer: 9343 });
    expect(toScaled(0.85269867900940344, 0xffffffff)).toEqual({ exponent: 9, integer: 852698679 });
    expect(toScaled(0, 0xffff)).toEqual({ exponent: 0, integer: 0 });
    expect(scaledValue(3, 29187)).toBe(29.187);
    expect(roundTripScaled(123.5926, 0xffff)).toBe(123.59);
    expect(() => toScaled(70000, 0xffff)).toThrow(RangeError);
  });
});

describe('bit allocation (Part 3)', () => {
  it('spends more bits (narrower bins) at a higher rate and drops flat subbands', () => {
    const variances = new Float64Array(60).map((_, k) => (k === 40 ? 0.5 : 1e5 / (k + 1)));
    const low = allocateBins(variances, 0.75, () => 100, 100);
    const high = allocateBins(variances, 2.25, () => 100, 100);
    expect(low[40]).toBe(0);
    expect(low[0]).toBeGreaterThan(high[0] ?? 0);
    expect([...low.subarray(60)]).toEqual([0, 0, 0, 0]);
    for (let k = 0; k < 60; k++) if (k !== 40) expect(low[k]).toBeGreaterThan(0);
  });

  it('keeps bins wide enough for 16-bit indices when few subbands share a high rate', () => {
    // Only the four lowest subbands vary: 8 bpp over 4/1024 of the image would ask for 2^2048.
    const variances = new Float64Array(60).map((_, k) => (k < 4 ? 1e6 : 0));
    const measured: number[] = [];
    const bins = allocateBins(
      variances,
      8,
      (k) => {
        measured.push(k);
        return 5000;
      },
      1e5,
    );
    expect(measured).toEqual([0, 1, 2, 3]);
    for (let k = 0; k < 4; k++) expect(bins[k]).toBeCloseTo(5000 / MAX_INDEX, 9);
    // NIST's dwsq reads indices as signed 16-bit integers: nothing above 32767 may be written.
    expect(MAX_INDEX).toBeLessThan(0x7fff);
    // A moderate rate leaves the bins above the bound and measures nothing.
    const none: number[] = [];
    allocateBins(
      new Float64Array(60).fill(1e4),
      0.75,
      (k) => {
        none.push(k);
        return 5000;
      },
      1e4,
    );
    expect(none).toEqual([]);
  });
});
