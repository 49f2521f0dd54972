/**
 * The pure parts of the NBIS side-by-side (bench/match/nbis.ts, fvc.ts, nbis-smoke.ts): the FVC
 * protocol's pair lists, set and file naming, bozorth3's score output, the IHead and BMP codecs and the
 * DET arithmetic. None of it needs NBIS installed or FVC images on disk.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBmpGrey,
  FVC_PPI,
  type FvcImpression,
  type FvcSet,
  fvcAllImpostorPairs,
  fvcDatabase,
  fvcGenuinePairs,
  fvcImpostorPairs,
  fvcImpressionId,
  parseFvcFileName,
} from '../../../bench/match/fvc.ts';
import { encodeIhead, findNbis, IHEAD_HEADER_BYTES, parseBozorthScores } from '../../../bench/match/nbis.ts';
import { equalErrorRate, fnmrAtFmr, operatingPoints } from '../../../bench/match/nbis-smoke.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

function makeSet(fingers: readonly number[], impressions: readonly number[], name = 'FVC2004_DB1_B'): FvcSet {
  const list: FvcImpression[] = [];
  for (const finger of fingers)
    for (const impression of impressions)
      list.push({ finger, impression, pixels: new Uint8Array(1), width: 1, height: 1, ppi: 500 });
  return { name, impressions: list };
}

const B_SET_FINGERS = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110];
const EIGHT = [1, 2, 3, 4, 5, 6, 7, 8];
const key = ([a, b]: readonly [FvcImpression, FvcImpression]) =>
  `${a.finger}_${a.impression}|${b.finger}_${b.impression}`;

describe('FVC protocol pair lists', () => {
  const set = makeSet(B_SET_FINGERS, EIGHT);

  it('makes the 280 genuine attempts of a B set: each impression against every later one of its finger', () => {
    const pairs = fvcGenuinePairs(set);
    expect(pairs).toHaveLength(280);
    expect(new Set(pairs.map(key)).size).toBe(280);
    for (const [a, b] of pairs) {
      expect(a.finger).toBe(b.finger);
      expect(a.impression).toBeLessThan(b.impression);
    }
    // 28 a finger: C(8, 2).
    expect(pairs.filter(([a]) => a.finger === 107)).toHaveLength(28);
  });

  it('makes the 45 FVC impostor attempts: first impressions of different fingers, no symmetric pair', () => {
    const pairs = fvcImpostorPairs(set);
    expect(pairs).toHaveLength(45);
    expect(new Set(pairs.map(key)).size).toBe(45);
    for (const [a, b] of pairs) {
      expect(a.impression).toBe(1);
      expect(b.impression).toBe(1);
      expect(a.finger).toBeLessThan(b.finger);
    }
  });

  it('the all-impostor list and the genuine list together are every unordered pair of prints, once', () => {
    const all = fvcAllImpostorPairs(set);
    expect(all).toHaveLength(2880);
    for (const [a, b] of all) expect(a.finger).toBeLessThan(b.finger);
    const covered = new Set(
      [...fvcGenuinePairs(set), ...all].map(([a, b]) =>
        [fvcImpressionId(set, a), fvcImpressionId(set, b)].sort().join('|'),
      ),
    );
    // 80 prints: C(80, 2) = 3160 unordered pairs, none twice.
    expect(covered.size).toBe(3160);
    expect(fvcGenuinePairs(set).length + all.length).toBe(3160);
  });

  it('copes with an incomplete set: a missing finger, and a finger without its impression 1', () => {
    const set9 = makeSet(B_SET_FINGERS.slice(0, 9), EIGHT);
    expect(fvcGenuinePairs(set9)).toHaveLength(252);
    expect(fvcImpostorPairs(set9)).toHaveLength(36);
    const gap: FvcSet = {
      ...set9,
      impressions: set9.impressions.filter((i) => !(i.finger === 103 && i.impression === 1)),
    };
    expect(fvcGenuinePairs(gap)).toHaveLength(252 - 7);
    const firstOf103 = fvcImpostorPairs(gap).find(([a]) => a.finger === 103)?.[0];
    expect(firstOf103?.impression).toBe(2);
  });

  it('orders pairs the same whatever order the impressions were loaded in', () => {
    const shuffled: FvcSet = { ...set, impressions: [...set.impressions].reverse() };
    expect(fvcGenuinePairs(shuffled).map(key)).toEqual(fvcGenuinePairs(set).map(key));
    expect(fvcImpostorPairs(shuffled).map(key)).toEqual(fvcImpostorPairs(set).map(key));
  });
});

describe('FVC names', () => {
  it('reads finger and impression from the file name, and nothing else', () => {
    expect(parseFvcFileName('101_3.tif')).toEqual({ finger: 101, impression: 3 });
    expect(parseFvcFileName('110_8.BMP')).toEqual({ finger: 110, impression: 8 });
    expect(parseFvcFileName('1_1.tiff')).toEqual({ finger: 1, impression: 1 });
    expect(parseFvcFileName('101_3.png')).toBeUndefined();
    expect(parseFvcFileName('README.txt')).toBeUndefined();
    expect(parseFvcFileName('101-3.tif')).toBeUndefined();
  });

  it('knows each database from its folder name, with the resolutions the FVC papers give', () => {
    expect(fvcDatabase('FVC2004_DB1_B')).toBe('FVC2004_DB1');
    expect(fvcDatabase('fvc2002-db2b')).toBe('FVC2002_DB2');
    expect(fvcDatabase('FVC2002/Db3_b')).toBe('FVC2002_DB3');
    expect(fvcDatabase('Neurotech_CrossMatch')).toBeUndefined();
    expect(fvcDatabase('FVC2006_DB1_B')).toBeUndefined();
    // The two databases that are not 500 ppi: FX2000 at 569, FingerChip at 512.
    expect(FVC_PPI.FVC2002_DB2).toBe(569);
    expect(FVC_PPI.FVC2004_DB3).toBe(512);
    expect(FVC_PPI.FVC2004_DB1).toBe(500);
  });
});

describe("bozorth3's mates-list output", () => {
  // Captured from bozorth3 (NBIS 5.0.0) run as `bozorth3 -A outfmt=spg -b -M mates.lis` on mindtct
  // templates of FVC2004 DB1_B (t0 = 101_1, t1 = 101_2, t8 = 102_1), mates list:
  // t0 t1 / t0 t8 / t8 t0 / t0 t0. Exit code 0.
  const captured = '83 t0.xyt t1.xyt\n5 t0.xyt t8.xyt\n5 t8.xyt t0.xyt\n260 t0.xyt t0.xyt\n';
  const asked: [string, string][] = [
    ['t0.xyt', 't1.xyt'],
    ['t0.xyt', 't8.xyt'],
    ['t8.xyt', 't0.xyt'],
    ['t0.xyt', 't0.xyt'],
  ];

  it('gives one score per pair, in order', () => {
    const parsed = parseBozorthScores(captured, asked);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect([...parsed.value]).toEqual([83, 5, 5, 260]);
  });

  it('notices that bozorth3 stopped early at an unreadable template', () => {
    // Same run with `missing.xyt` as the second pair's gallery: bozorth3 printed the first line,
    // "bozorth3: ERROR: fopen() of minutiae file "missing.xyt" failed" on stderr, and exited 1.
    const parsed = parseBozorthScores('83 t0.xyt t1.xyt\n', [
      ['t0.xyt', 't1.xyt'],
      ['t0.xyt', 'missing.xyt'],
      ['t8.xyt', 't0.xyt'],
    ]);
    expect(parsed).toEqual({ ok: false, error: { reason: 'missing-scores', expected: 3, got: 1 } });
  });

  it('refuses lines that answer another pair, malformed lines and extra lines', () => {
    const swapped: [string, string][] = [
      asked[1] as [string, string],
      asked[0] as [string, string],
      ...asked.slice(2),
    ];
    expect(parseBozorthScores(captured, swapped)).toEqual({
      ok: false,
      error: { reason: 'pair-mismatch', line: 1, text: '83 t0.xyt t1.xyt' },
    });
    expect(parseBozorthScores('83\n', [['t0.xyt', 't1.xyt']])).toEqual({
      ok: false,
      error: { reason: 'malformed-line', line: 1, text: '83' },
    });
    expect(parseBozorthScores('-3 a b\n', [['a', 'b']]).ok).toBe(false);
    expect(parseBozorthScores(captured, asked.slice(0, 3))).toEqual({
      ok: false,
      error: { reason: 'extra-scores', expected: 3, got: 4 },
    });
    expect(parseBozorthScores('', [])).toEqual({ ok: true, value: new Float64Array(0) });
  });

  it('never throws on arbitrary output', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 0, max: 4 }), (text, n) => {
        const result = parseBozorthScores(text, asked.slice(0, n));
        expect(typeof result.ok).toBe('boolean');
      }),
      { seed, numRuns: 300 },
    );
  });
});

describe('IHead writer', () => {
  const ascii = (bytes: Uint8Array, offset: number, size: number) =>
    String.fromCharCode(...bytes.subarray(offset, offset + size)).replace(/\0+$/, '');

  it('lays out the NBIS ihead.h record: sizes, 8-bit, density, uncompressed, pixels after 296 bytes', () => {
    const pixels = Uint8Array.from({ length: 6 }, (_, i) => i * 40);
    const file = encodeIhead({ id: 'x', pixels, width: 3, height: 2, ppi: 569.4 });
    expect(file).toHaveLength(296 + 6);
    expect(IHEAD_HEADER_BYTES).toBe(296);
    // Offsets from ihead.h: an 8-byte length field, then id[80], created[26], eight 8-byte fields ...
    expect(ascii(file, 0, 8)).toBe('288');
    expect(ascii(file, 114, 8)).toBe('3'); // width
    expect(ascii(file, 122, 8)).toBe('2'); // height
    expect(ascii(file, 130, 8)).toBe('8'); // depth
    expect(ascii(file, 138, 8)).toBe('569'); // density, whole ppi
    expect(ascii(file, 146, 8)).toBe('0'); // compress: none
    expect(ascii(file, 162, 8)).toBe('8'); // align
    expect(ascii(file, 188, 8)).toBe('255'); // whitepix
    expect(ascii(file, 196, 4)).toBe('0000'); // unsigned, row major, top-down, left-right
    expect([...file.subarray(296)]).toEqual([...pixels]);
  });

  it('refuses an image whose buffer does not fit its size', () => {
    expect(() => encodeIhead({ id: 'x', pixels: new Uint8Array(5), width: 3, height: 2, ppi: 500 })).toThrow(
      RangeError,
    );
    expect(() => encodeIhead({ id: 'x', pixels: new Uint8Array(6), width: 3, height: 2, ppi: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('BMP reader', () => {
  // A 5x3 grey ramp (0x00, 0x10 ... 0xd0, 0xff) written by ffmpeg as a 24-bit BMP: bottom-up rows of
  // 15 bytes padded to 16.
  const ffmpeg24 = Uint8Array.from(
    Buffer.from(
      '424d66000000000000003600000028000000050000000300000001001800000000003000000000000000000000000000000000000000a0a0a0b0b0b0c0c0c0d0d0d0ffffff005050506060607070708080809090900000000010101020202030303040404000',
      'hex',
    ),
  );
  const ramp = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xff];

  it('reads a 24-bit file written by another encoder', () => {
    const result = decodeBmpGrey(ffmpeg24);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).toEqual({ width: 5, height: 3, pixels: Uint8Array.from(ramp) });
  });

  it('maps 8-bit indices through the palette, and reads top-down files', () => {
    // 3x2, 8 bits, palette of 4 greys reversed (index i -> 255 - 85 i), rows top-down (height -2).
    const palette = [255, 170, 85, 0];
    const file = new Uint8Array(54 + 16 + 8);
    const view = new DataView(file.buffer);
    file.set([0x42, 0x4d]);
    view.setUint32(2, file.length, true);
    view.setUint32(10, 54 + 16, true);
    view.setUint32(14, 40, true);
    view.setInt32(18, 3, true);
    view.setInt32(22, -2, true);
    view.setUint16(26, 1, true);
    view.setUint16(28, 8, true);
    view.setUint32(46, 4, true);
    for (const [i, g] of palette.entries()) file.set([g, g, g, 0], 54 + i * 4);
    file.set([0, 1, 2, 0], 70); // row 0 (top), padded to 4
    file.set([3, 3, 1, 0], 74); // row 1
    const result = decodeBmpGrey(file);
    expect(result).toEqual({
      ok: true,
      value: { width: 3, height: 2, pixels: Uint8Array.of(255, 170, 85, 0, 0, 170) },
    });
  });

  it('gives a reason, never a throw, for truncated or mutated files', () => {
    expect(decodeBmpGrey(ffmpeg24.subarray(0, 60)).ok).toBe(false);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ffmpeg24.length }),
        fc.array(fc.tuple(fc.nat(ffmpeg24.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (cut, edits) => {
          const bytes = ffmpeg24.slice(0, cut);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const result = decodeBmpGrey(bytes);
          if (result.ok) expect(result.value.pixels).toHaveLength(result.value.width * result.value.height);
        },
      ),
      { seed, numRuns: 500 },
    );
  });
});

describe('findNbis', () => {
  it('is null when NBIS_BIN is unset or lacks a tool, and names both tools when they are there', () => {
    expect(findNbis({})).toBeNull();
    const dir = mkdtempSync(path.join(tmpdir(), 'nbis-test-'));
    try {
      expect(findNbis({ NBIS_BIN: dir })).toBeNull();
      writeFileSync(path.join(dir, 'mindtct'), '#!/bin/sh\n');
      chmodSync(path.join(dir, 'mindtct'), 0o755);
      expect(findNbis({ NBIS_BIN: dir })).toBeNull();
      writeFileSync(path.join(dir, 'bozorth3'), '#!/bin/sh\n');
      expect(findNbis({ NBIS_BIN: dir })).toBeNull(); // not executable yet
      chmodSync(path.join(dir, 'bozorth3'), 0o755);
      expect(findNbis({ NBIS_BIN: dir })).toEqual({
        mindtct: path.join(dir, 'mindtct'),
        bozorth3: path.join(dir, 'bozorth3'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DET arithmetic of the smoke script', () => {
  // Worked by hand: genuine 10 20 30 40, impostor 5 15 25; accept when score >= t.
  //   t     5    10   15   20   25   30   40   41
  //   FMR   1   2/3  2/3  1/3  1/3   0    0    0
  //   FNMR  0    0   1/4  1/4  1/2  1/2  3/4   1
  const points = operatingPoints([10, 20, 30, 40], [5, 15, 25]);

  it('lists every threshold with its FMR and FNMR', () => {
    expect(points.map((p) => p.threshold)).toEqual([5, 10, 15, 20, 25, 30, 40, 41]);
    expect(points.find((p) => p.threshold === 20)).toEqual({ threshold: 20, fmr: 1 / 3, fnmr: 1 / 4 });
  });

  it('finds FNMR at a given FMR as the best threshold within it', () => {
    expect(fnmrAtFmr(points, 0.01)).toEqual({ threshold: 30, fmr: 0, fnmr: 0.5 });
    expect(fnmrAtFmr(points, 0.34)).toEqual({ threshold: 20, fmr: 1 / 3, fnmr: 0.25 });
  });

  it('takes the EER from the FVC interval: t1 = 20 (FNMR 1/4 <= FMR 1/3) beats t2 = 25', () => {
    expect(equalErrorRate(points)).toBeCloseTo((1 / 4 + 1 / 3) / 2, 12);
  });

  it('keeps FMR falling and FNMR rising as the threshold rises', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }),
        (genuine, impostor) => {
          const det = operatingPoints(genuine, impostor);
          for (let i = 1; i < det.length; i++) {
            expect(det[i]?.fmr).toBeLessThanOrEqual(det[i - 1]?.fmr as number);
            expect(det[i]?.fnmr).toBeGreaterThanOrEqual(det[i - 1]?.fnmr as number);
          }
          const eer = equalErrorRate(det);
          expect(eer).toBeGreaterThanOrEqual(0);
          expect(eer).toBeLessThanOrEqual(1);
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});
