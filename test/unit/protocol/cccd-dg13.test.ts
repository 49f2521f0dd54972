/**
 * DG13 of the CCCD (reference §8): a hand-assembled known-answer vector, the simulated card's
 * encoder output, fields by number in any order, NFC/NFD, PrintableString and UTF8String, nested
 * parents and spouse, unknown fields kept raw, wrong string types, a file cut short, the bounds,
 * and that no byte string makes the decoder throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../protocol/bytes.ts';
import { decodeDg13, MAX_DG13_FIELDS } from '../../../protocol/cccd/dg13.ts';
import { encodeTlv } from '../../../protocol/iso7816/tlv.ts';
import { encodeDg13, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

const utf8 = (text: string) => new TextEncoder().encode(text);
const utf8String = (text: string) => encodeTlv(0x0c, utf8(text));
const printable = (text: string) => encodeTlv(0x13, utf8(text));
const entry = (fieldNo: number, value: Uint8Array) =>
  encodeTlv(0x30, Uint8Array.of(0x02, 0x01, fieldNo), value);
/** version 1, OID 1.0.10646.1.0.8 (06 06 28 D3 16 01 00 08), then the field set. */
const dg13 = (...entries: Uint8Array[]) =>
  encodeTlv(0x6d, encodeTlv(0x30, fromHex('020101 060628D316010008'), encodeTlv(0x31, ...entries)));

function decoded(bytes: Uint8Array) {
  const result = decodeDg13(bytes);
  if (!result.ok) throw new Error(`expected a DG13, got ${JSON.stringify(result.error)}`);
  return result.value;
}

describe('decodeDg13: known answers', () => {
  it('decodes a hand-assembled DG13 holding only the ID as PrintableString', () => {
    // 30 11 02 01 01 13 0C <12 digits>: the ID prefix seen on real cards (reference §8).
    const bytes = fromHex('6D22 3020 020101 060628D316010008 3113 3011 020101 130C 303739333031303030303031');
    expect(decoded(bytes)).toEqual({
      version: 1,
      oid: '1.0.10646.1.0.8',
      idNumber: '079301000001',
      fieldNumbers: [1],
      unknown: [],
      issues: [],
    });
  });

  it("decodes what the simulated card's encoder (lds-builder encodeDg13) writes for a full record", () => {
    // A fixed record, so the test does not move when SAMPLE_PERSON is edited.
    const value = decoded(
      encodeDg13([
        { fieldNo: 1, value: '001099012345' },
        { fieldNo: 2, value: 'Nguyễn Văn An' },
        { fieldNo: 3, value: '01/01/1999' },
        { fieldNo: 4, value: 'Nam' },
        { fieldNo: 5, value: 'Việt Nam' },
        { fieldNo: 6, value: 'Kinh' },
        { fieldNo: 7, value: 'Không' },
        { fieldNo: 8, value: 'Hoàn Kiếm, Hà Nội' },
        { fieldNo: 9, value: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội' },
        { fieldNo: 10, value: 'Nốt ruồi C:2cm dưới sau mép trái' },
        { fieldNo: 11, value: '01/01/2024' },
        { fieldNo: 12, value: '01/01/2039' },
        { fieldNo: 13, value: ['Nguyễn Văn Bình', 'Trần Thị Cúc'] },
        { fieldNo: 14, value: ['Lê Thị Hương'] },
        { fieldNo: 15, value: '012345678' },
      ]),
    );
    expect(value).toEqual({
      version: 1,
      oid: '1.0.10646.1.0.8',
      idNumber: '001099012345',
      fullName: 'Nguyễn Văn An',
      dateOfBirth: { text: '01/01/1999', iso: '1999-01-01' },
      sex: 'Nam',
      sexCode: 'M',
      nationality: 'Việt Nam',
      ethnicity: 'Kinh',
      religion: 'Không',
      placeOfOrigin: 'Hoàn Kiếm, Hà Nội',
      placeOfResidence: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
      identifyingMarks: 'Nốt ruồi C:2cm dưới sau mép trái',
      dateOfIssue: { text: '01/01/2024', iso: '2024-01-01' },
      dateOfExpiry: { text: '01/01/2039', iso: '2039-01-01', noExpiry: false },
      fatherName: 'Nguyễn Văn Bình',
      motherName: 'Trần Thị Cúc',
      spouseName: 'Lê Thị Hương',
      oldIdNumber: '012345678',
      fieldNumbers: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
      unknown: [],
      issues: [],
    });
  });

  it("gives back every field of SAMPLE_PERSON's DG13, whatever the record holds", () => {
    const names: Record<number, string[]> = {
      1: ['idNumber'],
      2: ['fullName'],
      4: ['sex'],
      5: ['nationality'],
      6: ['ethnicity'],
      7: ['religion'],
      8: ['placeOfOrigin'],
      9: ['placeOfResidence'],
      10: ['identifyingMarks'],
      13: ['fatherName', 'motherName'],
      14: ['spouseName'],
      15: ['oldIdNumber'],
    };
    const value = decoded(encodeDg13(SAMPLE_PERSON.dg13)) as unknown as Record<string, unknown>;
    expect(value.issues).toEqual([]);
    expect(value.fieldNumbers).toEqual(SAMPLE_PERSON.dg13.map((f) => f.fieldNo));
    for (const { fieldNo, value: written } of SAMPLE_PERSON.dg13) {
      const list = typeof written === 'string' ? [written] : written;
      if (fieldNo === 3 || fieldNo === 11 || fieldNo === 12) {
        const key = { 3: 'dateOfBirth', 11: 'dateOfIssue', 12: 'dateOfExpiry' }[fieldNo];
        expect((value[key] as { text: string }).text, `field ${fieldNo}`).toBe(list[0]);
      } else if (names[fieldNo])
        names[fieldNo].forEach((key, i) => {
          expect(value[key], `field ${fieldNo}`).toBe(list[i] || undefined);
        });
    }
  });

  it('finds fields by number in any order, and tolerates missing ones', () => {
    const value = decoded(
      dg13(
        entry(4, utf8String('Nữ')),
        entry(2, utf8String('Trần Thị Bích')),
        entry(1, printable('079301000001')),
      ),
    );
    expect(value.fieldNumbers).toEqual([4, 2, 1]);
    expect([value.idNumber, value.fullName, value.sex, value.sexCode]).toEqual([
      '079301000001',
      'Trần Thị Bích',
      'Nữ',
      'F',
    ]);
    expect(value.dateOfBirth).toBeUndefined();
    expect(value.fatherName).toBeUndefined();
    expect(value.spouseName).toBeUndefined();
    expect(value.issues).toEqual([]);
  });

  it('accepts both UTF8String and PrintableString for IDs and dates', () => {
    const a = decoded(dg13(entry(1, utf8String('001099012345')), entry(3, utf8String('15/03/2001'))));
    const b = decoded(dg13(entry(1, printable('001099012345')), entry(3, printable('15/03/2001'))));
    for (const v of [a, b]) {
      expect(v.idNumber).toBe('001099012345');
      expect(v.dateOfBirth).toEqual({ text: '15/03/2001', iso: '2001-03-15' });
      expect(v.issues).toEqual([]);
    }
  });
});

describe('decodeDg13: text', () => {
  it('gives NFC text for NFD input, spaces collapsed', () => {
    const nfd = 'Nguyễn  Văn   An '.normalize('NFD');
    const value = decoded(
      dg13(entry(2, utf8String(nfd)), entry(8, utf8String('Hoàn Kiếm,\tHà Nội'.normalize('NFD')))),
    );
    expect(value.fullName).toBe('Nguyễn Văn An');
    expect(value.fullName).toBe('Nguyễn Văn An'.normalize('NFC'));
    expect(value.placeOfOrigin).toBe('Hoàn Kiếm, Hà Nội');
  });

  it('reads "Không thời hạn" as no expiry, in any case or form', () => {
    for (const text of ['Không thời hạn', 'KHÔNG THỜI HẠN'.normalize('NFD')]) {
      const value = decoded(dg13(entry(12, utf8String(text))));
      expect(value.dateOfExpiry?.noExpiry).toBe(true);
      expect(value.dateOfExpiry?.iso).toBeUndefined();
      expect(value.issues).toEqual([]);
    }
  });

  it('keeps a date that is not a calendar day as text and flags it', () => {
    const bytes = dg13(entry(3, printable('30/02/2000')), entry(11, printable('2021-05-20')));
    const value = decoded(bytes);
    expect(value.dateOfBirth).toEqual({ text: '30/02/2000' });
    expect(value.dateOfIssue).toEqual({ text: '2021-05-20' });
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([
      [3, 'invalid-date'],
      [11, 'invalid-date'],
    ]);
  });

  it('flags a sex that is neither Nam nor Nữ, and an ID that is not 12 digits', () => {
    const value = decoded(dg13(entry(1, printable('00109901234')), entry(4, utf8String('X'))));
    expect(value.idNumber).toBe('00109901234');
    expect(value.sex).toBe('X');
    expect(value.sexCode).toBeUndefined();
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([
      [1, 'invalid-value'],
      [4, 'invalid-value'],
    ]);
  });
});

describe('decodeDg13: nested and unknown fields', () => {
  const names = (...list: string[]) => encodeTlv(0x30, ...list.map(utf8String));

  it('reads parents (13) and spouse (14), either parent may be blank', () => {
    const both = decoded(
      dg13(entry(13, names('Nguyễn Văn Bình', 'Trần Thị Cúc')), entry(14, names('Lê Thị Dung'))),
    );
    expect([both.fatherName, both.motherName, both.spouseName]).toEqual([
      'Nguyễn Văn Bình',
      'Trần Thị Cúc',
      'Lê Thị Dung',
    ]);
    const noFather = decoded(dg13(entry(13, names('', 'Trần Thị Cúc'))));
    expect([noFather.fatherName, noFather.motherName]).toEqual([undefined, 'Trần Thị Cúc']);
    const noMother = decoded(dg13(entry(13, names('Nguyễn Văn Bình'))));
    expect([noMother.fatherName, noMother.motherName]).toEqual(['Nguyễn Văn Bình', undefined]);
    expect(noMother.spouseName).toBeUndefined();
    expect([...both.issues, ...noFather.issues, ...noMother.issues]).toEqual([]);
  });

  it('flags a parents field that is a plain string, keeping it raw', () => {
    const value = decoded(dg13(entry(13, utf8String('Bình'))));
    expect(value.fatherName).toBeUndefined();
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([[13, 'unexpected-tag']]);
    // The entry starts at 17 (6D L, 30 L, 3 bytes version, 8 bytes OID, 31 L); its value after 30 L 02 01 0D.
    expect(value.unknown).toEqual([{ fieldNo: 13, offset: 22, tag: 0x0c, hex: '42C3AC6E68', text: 'Bình' }]);
  });

  it('keeps field 15 (old ID), field 16 raw, and unknown numbers raw', () => {
    const value = decoded(
      dg13(
        entry(15, printable('012345678')),
        entry(16, printable('0123456789ABCDEF')),
        entry(40, fromHex('0403CAFE01')),
      ),
    );
    expect(value.oldIdNumber).toBe('012345678');
    expect(value.field16).toEqual({
      tag: 0x13,
      hex: '30313233343536373839414243444546',
      text: '0123456789ABCDEF',
    });
    // Entries from 17: 30 0E (field 15, 16 bytes), 30 15 (field 16, 23 bytes), 30 08 (field 40) at 56; its value at 61.
    expect(value.unknown).toEqual([{ fieldNo: 40, offset: 61, tag: 0x04, hex: 'CAFE01' }]);
    expect(value.fieldNumbers).toEqual([15, 16, 40]);
    expect(value.issues).toEqual([]);
  });

  it('uses the first of a repeated field and keeps the repeat raw', () => {
    const value = decoded(dg13(entry(2, utf8String('An')), entry(2, utf8String('Bình'))));
    expect(value.fullName).toBe('An');
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([[2, 'duplicate-field']]);
    expect(value.unknown.map((u) => [u.fieldNo, u.text])).toEqual([[2, 'Bình']]);
  });
});

describe('decodeDg13: wrong types and damaged input', () => {
  it('decodes other string types with a flag (BMPString, T61String)', () => {
    const bmp = encodeTlv(0x1e, fromHex('004E 0067 01B0 1EDD 0069')); // "Người" in UCS-2
    const t61 = encodeTlv(0x14, utf8('Kinh'));
    const value = decoded(dg13(entry(2, bmp), entry(6, t61)));
    expect(value.fullName).toBe('Người');
    expect(value.ethnicity).toBe('Kinh');
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([
      [2, 'string-type'],
      [6, 'string-type'],
    ]);
  });

  it('flags bad UTF-8 and a PrintableString with characters outside its repertoire', () => {
    const value = decoded(dg13(entry(5, encodeTlv(0x0c, fromHex('5669C3'))), entry(1, printable('Nguyễn'))));
    expect(value.nationality).toBe('Vi\uFFFD');
    expect(value.idNumber).toBe('Nguyễn');
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([
      [5, 'invalid-text'],
      [1, 'invalid-text'],
      [1, 'invalid-value'],
    ]);
  });

  it('keeps a non-string value and a non-SEQUENCE entry raw, decoding the rest', () => {
    const value = decoded(
      dg13(entry(7, Uint8Array.of(0x02, 0x01, 0x05)), fromHex('0401AA'), entry(6, utf8String('Kinh'))),
    );
    expect(value.religion).toBeUndefined();
    expect(value.ethnicity).toBe('Kinh');
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([
      [7, 'unexpected-tag'],
      [undefined, 'unexpected-tag'],
    ]);
    expect(value.unknown.map((u) => [u.fieldNo, u.tag, u.hex])).toEqual([
      [7, 0x02, '05'],
      [undefined, 0x04, 'AA'],
    ]);
  });

  it('decodes the fields before a cut inside field 9 and flags field 9 as truncated', () => {
    const full = encodeDg13(SAMPLE_PERSON.dg13);
    // Field 9's entry starts with 30 32 02 01 09 (its value is 0C 2D + 45 bytes).
    const at = indexOf(full, fromHex('3032020109'));
    expect(at).toBeGreaterThan(0);
    const value = decoded(full.subarray(0, at + 20));
    expect(value.idNumber).toBe('001099012345');
    expect(value.fullName).toBe('Nguyễn Văn An');
    expect(value.placeOfOrigin).toBe('Hoàn Kiếm, Hà Nội');
    expect(value.placeOfResidence).toBeUndefined();
    expect(value.identifyingMarks).toBeUndefined();
    expect(value.dateOfExpiry).toBeUndefined();
    expect(value.fieldNumbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(value.issues).toEqual([
      {
        fieldNo: 9,
        offset: at,
        reason: 'truncated',
        detail: 'the input ends inside field 9: 18 of 50 bytes present',
      },
    ]);
  });

  it('flags a cut between two fields once, without a field number', () => {
    const full = encodeDg13(SAMPLE_PERSON.dg13);
    const at = indexOf(full, fromHex('3032020109'));
    const value = decoded(full.subarray(0, at));
    expect(value.fieldNumbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(value.issues.map((i) => [i.fieldNo, i.reason, i.offset])).toEqual([[undefined, 'truncated', at]]);
  });

  it('flags bytes after the DG13 object', () => {
    const value = decoded(Uint8Array.of(...dg13(entry(6, utf8String('Kinh'))), 0x00, 0x00));
    expect(value.ethnicity).toBe('Kinh');
    expect(value.issues.map((i) => i.reason)).toEqual(['trailing-data']);
  });

  it('fails only when the input is not a DG13', () => {
    expect(decodeDg13(new Uint8Array())).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 0 },
    });
    expect(decodeDg13(fromHex('6102 5F1F'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 0 },
    });
    expect(decodeDg13(fromHex('6D03 0401AA'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 2 },
    });
    expect(decodeDg13(fromHex('6D00'))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(decodeDg13(fromHex('6D83FFFFFF'))).toMatchObject({ ok: false, error: { reason: 'too-large' } });
  });

  it(`reads at most ${MAX_DG13_FIELDS} entries and flags the rest once`, () => {
    const entries = Array.from({ length: 70 }, (_, i) => entry(17 + i, utf8String('x')));
    const value = decoded(dg13(...entries));
    expect(value.unknown).toHaveLength(MAX_DG13_FIELDS);
    expect(value.issues.map((i) => i.reason)).toEqual(['too-large']);
  });

  it('refuses a string longer than 1024 bytes with a flag', () => {
    const value = decoded(dg13(entry(9, utf8String('a'.repeat(1025))), entry(6, utf8String('Kinh'))));
    expect(value.placeOfResidence).toBeUndefined();
    expect(value.ethnicity).toBe('Kinh');
    expect(value.issues.map((i) => [i.fieldNo, i.reason])).toEqual([[9, 'too-large']]);
  });
});

describe('decodeDg13 never throws', () => {
  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const result = decodeDg13(bytes);
        if (!result.ok) expect(result.error.offset).toBeGreaterThanOrEqual(0);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('on random bytes behind a DG13 header, and on mutations of a real one', () => {
    const full = encodeDg13(SAMPLE_PERSON.dg13);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(full.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(full.length),
        (tail, edits, cut) => {
          decodeDg13(Uint8Array.of(0x6d, 0x81, tail.length, ...tail));
          decodeDg13(Uint8Array.of(0x6d, 0x82, 0x01, 0x00, 0x30, 0x81, 0xfc, ...tail));
          const mutated = full.slice();
          for (const [at, b] of edits) mutated[at] = b;
          const result = decodeDg13(mutated.subarray(0, cut));
          if (result.ok)
            for (const i of result.value.issues) expect(i.offset).toBeLessThanOrEqual(full.length);
        },
      ),
      { seed, numRuns: 2000 },
    );
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
