import { describe, expect, it } from 'vitest';
import {
  AnsiNistWriteError,
  buildTransaction,
  type Demographics,
  fieldText,
  readDemographics,
  readTransaction,
  type TaggedRecord,
  type Transaction,
  VN_DOMAIN,
} from '../../../protocol/ansi-nist/index.ts';
import { SCORE_IDENTITY } from '../../../protocol/quality/score.ts';
import { readFixture } from '../../support/fixtures.ts';

const wsq = readFixture('wsq/nistFinger_500x500_cwsq075.wsq');

/** The field values of an2k_type1_2_14_v0502.an2 as shared/fixtures/README.md lists them. */
const fixtureSpec = {
  type1: {
    version: '0502',
    tot: 'CAR',
    date: '20261122',
    priority: 4,
    dai: 'DAI000000',
    ori: 'ORI000000',
    tcn: 'TCN0000000001',
    nsr: '00.00',
    ntr: '00.00',
    domain: null,
  },
  records: [
    { type: 2, idc: 0 },
    {
      type: 14,
      idc: 1,
      imp: 0,
      src: 'ORI000000',
      fcd: '20261122',
      hll: 500,
      vll: 500,
      slc: 1,
      thps: 500,
      tvps: 500,
      cga: 'WSQ20',
      bpx: 8,
      fgp: 2,
      data: wsq,
    },
  ],
} as const;

function parse(bytes: Uint8Array): Transaction {
  const result = readTransaction(bytes);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

function tagged(transaction: Transaction, index: number): TaggedRecord {
  const record = transaction.records[index];
  if (record?.encoding !== 'tagged') throw new Error(`record ${index} is not tagged`);
  return record;
}

/** Every Vietnamese vowel with every tone mark, đ/Đ, in both cases (134 letters + Đ/đ). */
const VIETNAMESE = (() => {
  const bases = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];
  const tones = ['', '\u0300', '\u0301', '\u0309', '\u0303', '\u0323'];
  const lower = bases.flatMap((b) => tones.map((t) => `${b}${t}`.normalize('NFC'))).join('');
  return `${lower}${lower.toUpperCase()}đĐ`;
})();

const applicant: Demographics = {
  personalId: '001099012345',
  fullName: 'Nguyễn Thị Ngọc Ánh',
  dateOfBirth: '19990215',
  sex: 'F',
  nationality: 'VNM',
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Xã Đông Hưng, Huyện Đông Hưng, Tỉnh Thái Bình',
  placeOfResidence: `Số 12 phố Hàng Bạc, Hoàn Kiếm, Hà Nội ${VIETNAMESE}`,
  identifyingMarks: 'Nốt ruồi C:1cm trên đuôi mắt trái',
  father: 'Nguyễn Văn Đức',
  mother: 'Trần Thị Hương',
};

describe('ANSI/NIST builder', () => {
  it('reproduces NIST txt2an2k output an2k_type1_2_14_v0502.an2 byte for byte from its field values', () => {
    const expected = readFixture('ansi-nist/an2k_type1_2_14_v0502.an2');
    const built = buildTransaction(fixtureSpec);
    expect(built.length).toBe(expected.length);
    expect(Buffer.from(built).equals(Buffer.from(expected))).toBe(true);
  });

  it('names our profile in 1.013 DOM by default and stays ASCII without DCS when the text is ASCII', () => {
    const transaction = parse(
      buildTransaction({ ...fixtureSpec, type1: { ...fixtureSpec.type1, domain: undefined } }),
    );
    const type1 = tagged(transaction, 0);
    expect(type1.fields.find((f) => f.number === 13)).toMatchObject({
      subfields: [[VN_DOMAIN.name, VN_DOMAIN.version]],
    });
    expect(fieldText(type1, 15)).toBeUndefined();
  });

  it('Vietnamese demographics with every diacritic survive build then parse unchanged (NFC, DCS 3 UTF-8)', () => {
    // Decomposed input (NFD) is stored NFC.
    const nfd = Object.fromEntries(
      Object.entries(applicant).map(([k, v]) => [k, v.normalize('NFD')]),
    ) as Demographics;
    const bytes = buildTransaction({ ...fixtureSpec, records: [{ type: 2, idc: 0, demographics: nfd }] });
    const transaction = parse(bytes);
    const type1 = tagged(transaction, 0);
    expect(type1.fields.find((f) => f.number === 15)).toMatchObject({ subfields: [['3', 'UTF-8']] });
    // Type-1 stays 7-bit.
    const type1Len = Number(fieldText(type1, 1));
    expect(bytes.subarray(0, type1Len).every((b) => b < 0x80)).toBe(true);
    const read = readDemographics(tagged(transaction, 1));
    expect(read).toEqual({ ok: true, value: applicant });
    expect(read.ok && read.value.placeOfResidence?.endsWith(VIETNAMESE)).toBe(true);
    // The bytes hold UTF-8 NFC: "Ánh" is C3 81 6E 68.
    expect(Buffer.from(bytes).includes(Buffer.from('Ánh'.normalize('NFC'), 'utf8'))).toBe(true);
  });

  it('writes Type-14 slap fields: SEG, AMP and FQM with our quality algorithm id, never NFIQ 2', () => {
    const bytes = buildTransaction({
      ...fixtureSpec,
      records: [
        { type: 2, idc: 0 },
        {
          ...fixtureSpec.records[1],
          fgp: 13,
          hll: 1600,
          vll: 1500,
          segments: [
            { fgp: 2, left: 10, right: 300, top: 20, bottom: 700 },
            { fgp: 3, left: 320, right: 640, top: 0, bottom: 650 },
          ],
          amputations: [{ fgp: 5, code: 'UP' }],
          quality: [
            { fgp: 2, score: 71 },
            { fgp: 3, score: 64 },
          ],
        },
      ],
    });
    const type14 = tagged(parse(bytes), 2);
    const field = (n: number) => type14.fields.find((f) => f.number === n);
    expect(field(21)).toMatchObject({
      tag: '14.021',
      subfields: [
        ['2', '10', '300', '20', '700'],
        ['3', '320', '640', '0', '650'],
      ],
    });
    expect(field(18)).toMatchObject({ subfields: [['5', 'UP']] });
    const vendor = SCORE_IDENTITY.vendorId.toString(16).toUpperCase().padStart(4, '0');
    expect(field(24)).toMatchObject({
      subfields: [
        ['2', '71', vendor, String(SCORE_IDENTITY.productId)],
        ['3', '64', vendor, String(SCORE_IDENTITY.productId)],
      ],
    });
    expect(vendor).not.toBe('0101'); // NFIQ 2's CBEFF owner (ISO/IEC JTC 1 SC 37)
    expect(type14.fields.map((f) => f.number)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 18, 21, 24, 999,
    ]);
  });

  it('writes Type-10 portrait and Type-17 iris records with their image last', () => {
    const jpeg = Uint8Array.of(0xff, 0xd8, 0x1c, 0x1d, 0x1e, 0x1f, 0xff, 0xd9); // separators inside binary
    const bytes = buildTransaction({
      ...fixtureSpec,
      records: [
        { type: 2, idc: 0, demographics: applicant },
        {
          type: 10,
          idc: 1,
          imt: 'FACE',
          src: 'ORI000000',
          phd: '20261122',
          hll: 600,
          vll: 800,
          slc: 1,
          thps: 300,
          tvps: 300,
          cga: 'JPEGB',
          csp: 'YCC',
          sap: 0,
          pos: 'F',
          data: jpeg,
        },
        {
          type: 17,
          idc: 2,
          elr: 1,
          src: 'ORI000000',
          icd: '20261122',
          hll: 640,
          vll: 480,
          slc: 1,
          thps: 500,
          tvps: 500,
          cga: 'NONE',
          bpx: 8,
          csp: 'GRAY',
          data: jpeg,
        },
      ],
    });
    const transaction = parse(bytes);
    expect(transaction.records.map((r) => r.type)).toEqual([1, 2, 10, 17]);
    for (const index of [2, 3]) {
      const last = tagged(transaction, index).fields.at(-1);
      expect(last?.kind === 'binary' ? [...last.data] : []).toEqual([...jpeg]);
    }
    expect(fieldText(tagged(transaction, 2), 20)).toBe('F');
    expect(fieldText(tagged(transaction, 3), 3)).toBe('1');
  });

  it('refuses values the profile or the standard does not allow, naming the field', () => {
    const bad = (demographics: Partial<Demographics>) => () =>
      buildTransaction({
        ...fixtureSpec,
        records: [{ type: 2, idc: 0, demographics: { ...applicant, ...demographics } }],
      });
    expect(bad({ personalId: '12345' })).toThrow(/2\.003.*PID/);
    expect(bad({ fullName: 'A\u001eB' })).toThrow(AnsiNistWriteError);
    expect(bad({ dateOfBirth: '19991301' })).toThrow(/2\.005/);
    expect(() => buildTransaction({ ...fixtureSpec, type1: { ...fixtureSpec.type1, ori: 'ORIĐ' } })).toThrow(
      /7-bit/,
    );
  });
});
