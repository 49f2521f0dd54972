/**
 * Type-9 against NBIS: the record mindtct appended for the NIST finger (shared fixture
 * templates/nistFinger_mindtct_type9.an2: Type-1, Type-2 and mindtct's Type-9, its image records
 * deleted with an2ktool), mindtct's `.xyt` of the same run, and NBIS's palm test transaction
 * valid1.15.an2 (13-digit 9.012 items).
 */
import { describe, expect, it } from 'vitest';
import {
  nistMinutiaeOfTemplate,
  readTransaction,
  readType9Records,
  templateMinutiaeOfNist,
  type9Record,
  writeTransaction,
} from '../../../protocol/ansi-nist/index.ts';
import { readXyt } from '../../../protocol/fingerprint/template/index.ts';
import { unwrap } from '../../../protocol/result.ts';
import { readRepoFixture } from '../../support/fixtures.ts';

const image = { width: 500, height: 500, ppi: 500 };

describe("NBIS mindtct's Type-9 of the NIST finger", () => {
  const bytes = readRepoFixture('templates/nistFinger_mindtct_type9.an2');
  const [found] = unwrap(readType9Records(bytes));
  const nist = found?.minutiae.nist;
  const xyt = unwrap(
    readXyt(readRepoFixture('templates/nistFinger_mindtct.xyt'), { ...image, variant: 'nist' }),
  );

  it('reads the legacy fields NBIS writes', () => {
    expect(found?.recordIndex).toBe(2);
    expect(found?.minutiae).toMatchObject({ idc: 1, impression: 4 });
    expect(found?.minutiae.incits).toBeUndefined();
    expect(nist?.readingSystem).toEqual({ name: 'NIST_LFS_VER2', method: 'A' });
    expect(nist?.fingerPositions).toEqual([0]);
    expect(nist?.patternClass).toEqual([['T', 'UN']]);
    expect(nist?.ridgeCountsPresent).toBe(true);
    expect(nist?.minutiae).toHaveLength(141);
    expect(nist?.minutiae[0]).toEqual({
      index: 1,
      x: 91,
      y: 416,
      theta: 214,
      quality: 59,
      type: 'A',
      ridgeCounts: [
        { neighbour: 3, count: 1 },
        { neighbour: 10, count: 2 },
        { neighbour: 9, count: 4 },
        { neighbour: 7, count: 2 },
        { neighbour: 1, count: 2 },
      ],
    });
  });

  it('our writer formats the record as NBIS did, byte for byte', () => {
    const transaction = unwrap(readTransaction(bytes));
    const [type1, type2] = transaction.records;
    if (!type1 || !type2 || !found) throw new Error('records missing');
    expect(writeTransaction({ records: [type1, type2, type9Record(found.minutiae)] })).toEqual(bytes);
  });

  it("converts to the positions and angles mindtct's .xyt of the same run gives", () => {
    if (!nist) throw new Error('no legacy fields');
    const minutiae = templateMinutiaeOfNist(nist, image);
    expect(minutiae.map((m) => [Math.round(m.x), Math.round(m.y), m.angle])).toEqual(
      xyt.map((m) => [m.x, m.y, m.angle]),
    );
  });

  it('and from the .xyt back to the units of 9.012, exactly; quality within 1 (the .xyt rounded it first)', () => {
    if (!nist) throw new Error('no legacy fields');
    const back = nistMinutiaeOfTemplate(xyt, image);
    expect(back.map((m) => [m.x, m.y, m.theta])).toEqual(nist.minutiae.map((m) => [m.x, m.y, m.theta]));
    for (const [i, m] of back.entries())
      expect(Math.abs((m.quality ?? 0) - (nist.minutiae[i]?.quality ?? 0))).toBeLessThanOrEqual(1);
  });
});

describe("NBIS's valid1.15.an2", () => {
  it('reads the palm form of 9.012 and the legacy core and delta', () => {
    const [found] = unwrap(readType9Records(readRepoFixture('ansi-nist/valid1.15.an2')));
    expect(found?.minutiae).toEqual({
      idc: 1,
      impression: 29,
      nist: {
        readingSystem: { name: 'William', method: 'U', subsystem: 'sr' },
        fingerPositions: [28],
        patternClass: [['T', 'PA']],
        cores: [{ x: 2500, y: 2500 }],
        deltas: [{ x: 2500, y: 2500 }],
        ridgeCountsPresent: true,
        minutiae: [
          {
            index: 1,
            x: 12501,
            y: 25011,
            theta: 231,
            quality: 2,
            type: 'B',
            ridgeCounts: [{ neighbour: 1, count: 0 }],
          },
        ],
      },
    });
  });
});
