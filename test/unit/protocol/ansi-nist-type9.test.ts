/**
 * Type-9 minutiae records (protocol/ansi-nist/type9.ts): the legacy NIST fields 9.005-9.012 as NBIS
 * writes them and the INCITS 378 block 9.126-9.141, against field text composed by hand from the
 * field tables; errors with the offset of the item; the unit conversions to and from the template.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildTransaction,
  incitsMinutiaeOfTemplate,
  nistMinutiaeOfTemplate,
  readTransaction,
  readType9Records,
  type TaggedRecord,
  type Type9Minutiae,
  type Type9Spec,
  templateMinutiaeOfIncits,
  templateMinutiaeOfNist,
  type9Record,
  writeTransaction,
} from '../../../protocol/ansi-nist/index.ts';
import { unwrap } from '../../../protocol/result.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const [GS, RS, US, FS] = ['\x1d', '\x1e', '\x1f', '\x1c'];

const TYPE1 = {
  tot: 'CCE',
  date: '20260314',
  dai: 'DAI000000',
  ori: 'ORI000000',
  tcn: 'TCN0000000001',
  nsr: '00.00',
  ntr: '00.00',
} as const;

const MINUTIAE: Type9Minutiae = {
  idc: 1,
  impression: 0,
  nist: {
    readingSystem: { name: 'CCCD', method: 'A' },
    fingerPositions: [2],
    patternClass: [['T', 'UN']],
    cores: [{ x: 1000, y: 1200 }],
    deltas: [],
    ridgeCountsPresent: true,
    minutiae: [
      {
        index: 1,
        x: 91,
        y: 416,
        theta: 214,
        quality: 59,
        type: 'A',
        ridgeCounts: [{ neighbour: 2, count: 3 }],
      },
      { index: 2, x: 1234, y: 50, theta: 5, quality: 2, type: 'B', ridgeCounts: [] },
    ],
  },
  incits: {
    cbeff: { formatOwner: 27, formatType: 513, productId: '01030000' },
    equipment: { appendixF: false, id: '0' },
    width: 500,
    height: 500,
    scale: { units: 2, horizontal: 197, vertical: 197 },
    viewNumber: 0,
    fingerPositions: [2],
    quality: [{ value: 80, vendor: '0000', product: 1 }],
    minutiae: [{ index: 1, x: 18, y: 418, angle: 17, type: 1, quality: 7 }],
    ridgeCounts: { method: 1, counts: [{ centre: 1, neighbour: 1, count: 0 }] },
    cores: [{ x: 250, y: 260, angle: 45 }],
    deltas: [{ x: 100, y: 400, angles: [10, 70, 130] }],
  },
};

const spec = (minutiae: Type9Minutiae): Type9Spec => ({ type: 9, ...minutiae });
const decode = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);

describe('Type-9 writer and reader', () => {
  const bytes = buildTransaction({ type1: TYPE1, records: [spec(MINUTIAE)] });

  it('writes the fields in number order with the widths NBIS uses, both blocks, counts from the lists', () => {
    const text = decode(bytes);
    const type9 = text.slice(text.indexOf(`${GS}9.002:`));
    expect(type9).toBe(
      [
        '9.002:01',
        '9.003:0',
        '9.004:S',
        `9.005:CCCD${US}A`,
        '9.006:02',
        `9.007:T${US}UN`,
        '9.008:10001200',
        '9.010:2',
        '9.011:1',
        `9.012:001${US}00910416214${US}59${US}A${US}002,03${RS}002${US}12340050005${US}02${US}B`,
        `9.126:27${US}513${US}01030000`,
        `9.127:NONE${US}0`,
        '9.128:500',
        '9.129:500',
        '9.130:2',
        '9.131:197',
        '9.132:197',
        '9.133:0',
        '9.134:2',
        `9.135:80${US}0000${US}1`,
        '9.136:1',
        `9.137:1${US}18${US}418${US}17${US}1${US}7`,
        `9.138:1${US}0${US}0${RS}1${US}1${US}0`,
        `9.139:250${US}260${US}45`,
        `9.140:100${US}400${US}10`,
        `9.141:70${US}130`,
      ]
        .map((field) => `${GS}${field}`)
        .join('') + FS,
    );
    expect(text).toContain(`1.003:1${US}1${RS}9${US}01`);
  });

  it('reads back what it wrote, and the record writes back to the same bytes', () => {
    const read = unwrap(readType9Records(bytes));
    expect(read).toEqual([{ recordIndex: 1, minutiae: MINUTIAE }]);
    const transaction = unwrap(readTransaction(bytes));
    expect(writeTransaction(transaction)).toEqual(bytes);
  });

  it('writes FMT U and no legacy field when only the INCITS block is given', () => {
    const { nist: _nist, ...incitsOnly } = MINUTIAE;
    const only = buildTransaction({ type1: TYPE1, records: [spec(incitsOnly)] });
    expect(decode(only)).toContain(`${GS}9.004:U${GS}9.126:`);
    expect(unwrap(readType9Records(only))[0]?.minutiae).toEqual(incitsOnly);
  });

  it('reads the five-digit palm form XXXXXYYYYYTTT and ridge counts without padding', () => {
    const record: TaggedRecord = {
      encoding: 'tagged',
      type: 9,
      fields: [
        { kind: 'text', tag: '9.001', number: 1, subfields: [['0']] },
        { kind: 'text', tag: '9.002', number: 2, subfields: [['01']] },
        { kind: 'text', tag: '9.003', number: 3, subfields: [['29']] },
        { kind: 'text', tag: '9.004', number: 4, subfields: [['S']] },
        { kind: 'text', tag: '9.010', number: 10, subfields: [['1']] },
        { kind: 'text', tag: '9.012', number: 12, subfields: [['1', '1250125011231', '2', 'B', '1,0']] },
      ],
    };
    const type1 = unwrap(readTransaction(bytes)).records[0];
    if (!type1) throw new Error('no Type-1');
    const palm = writeTransaction({ records: [type1, record] });
    const read = unwrap(readType9Records(palm))[0]?.minutiae.nist?.minutiae;
    expect(read).toEqual([
      {
        index: 1,
        x: 12501,
        y: 25011,
        theta: 231,
        quality: 2,
        type: 'B',
        ridgeCounts: [{ neighbour: 1, count: 0 }],
      },
    ]);
  });
});

describe('Type-9 errors name the item and its byte', () => {
  const base = type9Record(MINUTIAE);
  const type1 = unwrap(readTransaction(buildTransaction({ type1: TYPE1, records: [] }))).records[0];

  /** A transaction whose Type-9 has field `number` replaced by `subfields`. */
  function withField(number: number, subfields: string[][] | null): Uint8Array {
    const fields = base.fields.flatMap((f) =>
      f.number !== number ? [f] : subfields === null ? [] : [{ ...f, subfields }],
    );
    if (type1?.encoding !== 'tagged') throw new Error('no Type-1');
    const cnt = {
      kind: 'text' as const,
      tag: '1.003',
      number: 3,
      subfields: [
        ['1', '1'],
        ['9', '01'],
      ],
    };
    const head = { ...type1, fields: type1.fields.map((f) => (f.number === 3 ? cnt : f)) };
    return writeTransaction({ records: [head, { ...base, fields }] });
  }

  const second = ['002', '12340050005', '02', 'B'];
  /** [name, field replaced, its new subfields (null: removed), the text just before the item, the item] */
  const cases: [string, number, string[][] | null, string, string][] = [
    ['an angle over 179', 137, [['1', '18', '418', '180', '1', '7']], `${US}418${US}`, '180'],
    ['a minutia outside 9.128 x 9.129', 137, [['1', '500', '418', '17', '1', '7']], `9.137:1${US}`, '500'],
    ['9.136 disagreeing with 9.137', 136, [['2']], '9.137:', '1'],
    ['9.012 disagreeing with 9.010', 10, [['3']], '9.012:', '001'],
    ['a theta of 360', 12, [['001', '00910416360'], second], `9.012:001${US}`, '00910416360'],
    ['a QMS of 64', 12, [['001', '00910416214', '64'], second], `00910416214${US}`, '64'],
    ['an unknown minutia type', 12, [['001', '00910416214', '59', 'E'], second], `${US}59${US}`, 'E'],
    ['a bad ridge count item', 12, [['001', '00910416214', '59', 'A', '2-3'], second], `${US}A${US}`, '2-3'],
    ['AFS neither APPF nor NONE', 127, [['YES', '0']], '9.127:', 'YES'],
  ];
  it.each(cases)('%s', (_name, number, subfields, before, item) => {
    const bytes = withField(number, subfields);
    const result = readType9Records(bytes);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.reason).toBe('invalid-value');
    const text = decode(bytes);
    expect(text.indexOf(before)).toBeGreaterThan(0);
    expect(result.error.offset).toBe(text.indexOf(before) + before.length);
    expect(text.slice(result.error.offset, result.error.offset + item.length)).toBe(item);
  });

  it('a missing required INCITS field is named', () => {
    const result = readType9Records(withField(128, null));
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error).toMatchObject({
        reason: 'invalid-value',
        detail: expect.stringMatching(/^9\.128: is missing/),
      });
  });
});

describe('Type-9 units to and from the template', () => {
  const image = { width: 500, height: 500, ppi: 500 };

  it('legacy: 0.01 mm from the bottom-left, theta turned 180 degrees, with NBIS rounding', () => {
    // 18 px at 500 ppi: 18 / 19.685 mm = 0.9144 mm -> 91; row 418 -> 21.234 mm -> 2123, and the
    // image is 2540 units high, so y = 2540 - 1 - 2123 = 416. ISO direction 34 degrees -> theta 214.
    const [nist] = nistMinutiaeOfTemplate([{ x: 18, y: 418, angle: 34, kind: 'ending', quality: 7 }], image);
    expect(nist).toEqual({ index: 1, x: 91, y: 416, theta: 214, quality: 59, type: 'A', ridgeCounts: [] });
    const [back] = templateMinutiaeOfNist(
      { fingerPositions: [], cores: [], deltas: [], ridgeCountsPresent: false, minutiae: nist ? [nist] : [] },
      image,
    );
    expect(back?.x).toBeCloseTo(17.913, 3);
    expect(back?.y).toBeCloseTo(417.913, 3);
    expect(back && [Math.round(back.x), Math.round(back.y), back.angle, back.kind, back.quality]).toEqual([
      18,
      418,
      34,
      'ending',
      7,
    ]);
  });

  it('legacy: QMS 0 and 1 (manual, none) read as quality not reported, and none writes QMS 1', () => {
    const fields = {
      fingerPositions: [],
      cores: [],
      deltas: [],
      ridgeCountsPresent: false,
      minutiae: [0, 1, 2, 63].map((quality, i) => ({
        index: i + 1,
        x: 0,
        y: 0,
        theta: 0,
        quality,
        type: 'D' as const,
        ridgeCounts: [],
      })),
    };
    expect(templateMinutiaeOfNist(fields, image).map((m) => [m.quality, m.kind])).toEqual([
      [undefined, 'other'],
      [undefined, 'other'],
      [100, 'other'],
      [undefined, 'other'],
    ]);
    expect(nistMinutiaeOfTemplate([{ x: 0, y: 0, angle: 0, kind: 'other' }], image)[0]).toMatchObject({
      quality: 1,
      type: 'D',
    });
  });

  it('INCITS block: pixels from the top-left and 2-degree units, as INCITS 378 records', () => {
    const incits = MINUTIAE.incits;
    if (!incits) throw new Error('no INCITS block');
    expect(templateMinutiaeOfIncits(incits)).toEqual([
      { x: 18, y: 418, angle: 34, kind: 'ending', quality: 7 },
    ]);
    expect(incitsMinutiaeOfTemplate([{ x: 17.5, y: 3.49, angle: 45, kind: 'bifurcation' }])).toEqual([
      { index: 1, x: 18, y: 3, angle: 23, type: 2, quality: 0 },
    ]);
  });
});

describe('Type-9, property tests', () => {
  const nistMinutia = fc.record({
    x: fc.integer({ min: 0, max: 9999 }),
    y: fc.integer({ min: 0, max: 9999 }),
    theta: fc.integer({ min: 0, max: 359 }),
    quality: fc.integer({ min: 0, max: 63 }),
    type: fc.constantFrom('A' as const, 'B' as const, 'C' as const, 'D' as const),
    ridgeCounts: fc.array(
      fc.record({ neighbour: fc.integer({ min: 0, max: 999 }), count: fc.integer({ min: 0, max: 99 }) }),
      {
        maxLength: 3,
      },
    ),
  });
  const arb = fc
    .record({
      idc: fc.integer({ min: 0, max: 99 }),
      impression: fc.integer({ min: 0, max: 99 }),
      nist: fc.array(nistMinutia, { maxLength: 8 }),
      width: fc.integer({ min: 10, max: 2000 }),
      height: fc.integer({ min: 10, max: 2000 }),
      incits: fc.array(
        fc.record({
          x: fc.nat(),
          y: fc.nat(),
          angle: fc.integer({ min: 0, max: 179 }),
          type: fc.constantFrom(0 as const, 1 as const, 2 as const),
          quality: fc.integer({ min: 0, max: 100 }),
        }),
        { maxLength: 8 },
      ),
    })
    .map(
      ({ idc, impression, nist, width, height, incits }): Type9Minutiae => ({
        idc,
        impression,
        nist: {
          fingerPositions: [0],
          cores: [],
          deltas: [],
          ridgeCountsPresent: nist.some((m) => m.ridgeCounts.length > 0),
          minutiae: nist.map((m, i) => ({ index: i + 1, ...m })),
        },
        incits: {
          cbeff: { formatOwner: 27, formatType: 513, productId: '01030000' },
          width,
          height,
          scale: { units: 1, horizontal: 500, vertical: 500 },
          viewNumber: 0,
          fingerPositions: [0],
          quality: [],
          minutiae: incits.map((m, i) => ({ ...m, index: i + 1, x: m.x % width, y: m.y % height })),
          cores: [],
          deltas: [],
        },
      }),
    );

  it('random Type-9 minutiae build and read back equal', () => {
    fc.assert(
      fc.property(arb, (minutiae) => {
        const bytes = buildTransaction({ type1: TYPE1, records: [spec(minutiae)] });
        expect(unwrap(readType9Records(bytes))[0]?.minutiae).toEqual(minutiae);
      }),
      { seed, numRuns: 150 },
    );
  });

  it('mutated Type-9 text gives a result, never a throw', () => {
    const bytes = buildTransaction({ type1: TYPE1, records: [spec(MINUTIAE)] });
    const start = decode(bytes).indexOf('9.002:');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x30, 0x39, 0x41, 0x2c, 0x1f, 0x1e, 0x2d)), {
          minLength: 1,
          maxLength: 5,
        }),
        (flips) => {
          const mutated = bytes.slice();
          for (const [at, value] of flips) mutated[start + (at % (bytes.length - start - 1))] = value;
          let result: ReturnType<typeof readType9Records>;
          try {
            result = readType9Records(mutated);
          } catch (error) {
            throw new Error(`readType9Records threw: ${String(error)}`);
          }
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});
