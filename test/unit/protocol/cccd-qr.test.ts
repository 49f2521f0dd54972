/**
 * The CCCD QR text (reference §8): seven and six parts, NFC/NFD and whitespace tolerance, every
 * per-field error code, the ID checked against the QR's own sex and birth date, and that no string
 * makes the parser throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCccdQr, type QrErrorCode } from '../../../protocol/cccd/qr.ts';
import {
  foldVietnamese,
  normalizeText,
  parseVietnameseSex,
  sameNameLoosely,
} from '../../../protocol/cccd/text.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const today = '2025-06-01';
const ADDRESS = 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội';
const SAMPLE = `001099012345|012345678|Nguyễn Văn An|01011999|Nam|${ADDRESS}|01012024`;

function parse(text: string) {
  return parseCccdQr(text, { today });
}

function errorCodes(text: string): [string, QrErrorCode][] {
  return parse(text).errors.map((e) => [e.field, e.code]);
}

describe('parseCccdQr: well-formed codes', () => {
  it('reads the seven parts of the sample card', () => {
    const qr = parse(SAMPLE);
    expect(qr).toMatchObject({
      ok: true,
      layout: 'seven-parts',
      id: '001099012345',
      oldId: '012345678',
      fullName: 'Nguyễn Văn An',
      dateOfBirth: '1999-01-01',
      sexText: 'Nam',
      sex: 'M',
      address: ADDRESS,
      dateOfIssue: '2024-01-01',
      errors: [],
    });
    expect(qr.personalId?.ok).toBe(true);
    expect(qr.personalId?.province?.name).toBe('Hà Nội');
  });

  it('reads a woman born 2001 with an empty old ID, a trailing CR/LF and padding', () => {
    const qr = parse('  079301000001||Trần Thị Bích|15032001|Nữ|Quận 1,  TP Hồ Chí Minh |20052021\r\n');
    expect(qr.ok).toBe(true);
    expect(qr.errors).toEqual([]);
    expect(qr.oldId).toBeUndefined();
    expect([qr.sex, qr.dateOfBirth, qr.dateOfIssue]).toEqual(['F', '2001-03-15', '2021-05-20']);
    expect(qr.address).toBe('Quận 1, TP Hồ Chí Minh');
    expect(qr.personalId?.province?.name).toBe('Hồ Chí Minh');
  });

  it('gives the same fields for NFD text as for NFC', () => {
    const nfd = SAMPLE.normalize('NFD');
    expect(nfd).not.toBe(SAMPLE);
    const qr = parse(nfd);
    expect(qr.fullName).toBe('Nguyễn Văn An');
    expect(qr.fullName?.normalize('NFC')).toBe(qr.fullName);
    expect(qr.address).toBe(ADDRESS);
    expect(qr).toEqual(parse(SAMPLE));
  });

  it('accepts Nam / Nữ in any case and in NFD', () => {
    const line = (sex: string) => `079301000001||Trần Thị Bích|15032001|${sex}|Quận 1|20052021`;
    for (const sex of ['Nữ', 'NỮ', 'nữ', 'Nữ'.normalize('NFD'), 'NỮ'.normalize('NFD')])
      expect(parse(line(sex)).sex, sex).toBe('F');
    for (const sex of ['Nam', 'NAM', 'nam']) expect(parse(SAMPLE.replace('|Nam|', `|${sex}|`)).sex).toBe('M');
  });

  it('reads six parts as "no old ID" by default', () => {
    const qr = parse(`001099012345|Nguyễn Văn An|01011999|Nam|${ADDRESS}|01012024`);
    expect(qr.layout).toBe('six-parts-no-old-id');
    expect(qr.ok).toBe(true);
    expect(qr.oldId).toBeUndefined();
    expect([qr.fullName, qr.dateOfBirth, qr.sex, qr.address, qr.dateOfIssue]).toEqual([
      'Nguyễn Văn An',
      '1999-01-01',
      'M',
      ADDRESS,
      '2024-01-01',
    ]);
  });

  it('reads six parts as "no issue date" when only that reading fits', () => {
    const qr = parse(`001099012345|012345678|Nguyễn Văn An|01011999|Nam|${ADDRESS}`);
    expect(qr.layout).toBe('six-parts-no-issue-date');
    expect(qr.ok).toBe(true);
    expect([qr.oldId, qr.fullName, qr.dateOfBirth, qr.sex, qr.address]).toEqual([
      '012345678',
      'Nguyễn Văn An',
      '1999-01-01',
      'M',
      ADDRESS,
    ]);
    expect(qr.dateOfIssue).toBeUndefined();
  });
});

describe('parseCccdQr: per-field errors', () => {
  it('wrong separators: commas or semicolons only', () => {
    const commas = parse('001099012345,012345678,Nguyen Van An,01011999,Nam,Ha Noi,01012024');
    expect(commas.errors.map((e) => [e.field, e.code])).toEqual([['format', 'wrong-separator']]);
    expect(commas.id).toBeUndefined();
    expect(commas.ok).toBe(false);
    expect(errorCodes('001099012345;012345678;Nguyễn Văn An;01011999;Nam;Hà Nội;01012024')).toEqual([
      ['format', 'wrong-separator'],
    ]);
    expect(errorCodes('001099012345\t012345678\tNguyễn Văn An\t01011999\tNam\tHà Nội\t01012024')).toEqual([
      ['format', 'wrong-separator'],
    ]);
    expect(errorCodes('001099012345')).toEqual([['format', 'too-few-parts']]);
    expect(errorCodes(' \r\n')).toEqual([['format', 'empty']]);
  });

  it('missing parts: each absent field is named, the ones present are returned', () => {
    const qr = parse('001099012345|012345678|Nguyễn Văn An');
    expect(qr.layout).toBe('irregular');
    expect(qr.errors.map((e) => [e.field, e.code])).toEqual([
      ['format', 'too-few-parts'],
      ['dateOfBirth', 'missing'],
      ['sex', 'missing'],
      ['address', 'missing'],
      ['dateOfIssue', 'missing'],
    ]);
    expect([qr.id, qr.oldId, qr.fullName]).toEqual(['001099012345', '012345678', 'Nguyễn Văn An']);
    expect(qr.personalId?.ok).toBe(true);
  });

  it('an empty required field is missing', () => {
    expect(errorCodes(`001099012345|012345678||01011999|Nam|${ADDRESS}|01012024`)).toEqual([
      ['fullName', 'missing'],
    ]);
  });

  it('too many parts', () => {
    const qr = parse(`${SAMPLE}|extra`);
    expect(qr.errors.map((e) => e.code)).toEqual(['too-many-parts']);
    expect(qr.dateOfIssue).toBe('2024-01-01');
  });

  it('bad dates: not a calendar day, wrong form', () => {
    const qr = parse(`001099012345|012345678|Nguyễn Văn An|30021999|Nam|${ADDRESS}|2024-01-01`);
    expect(qr.errors.map((e) => [e.field, e.code])).toEqual([
      ['dateOfBirth', 'invalid-date'],
      ['dateOfIssue', 'invalid-date'],
    ]);
    expect(qr.dateOfBirth).toBeUndefined();
    expect(qr.dateOfIssue).toBeUndefined();
    // The other fields still parse.
    expect(qr.fullName).toBe('Nguyễn Văn An');
  });

  it('inconsistent dates: issued before birth, issued or born after today', () => {
    expect(errorCodes(`001099012345|012345678|Nguyễn Văn An|01011999|Nam|${ADDRESS}|31121998`)).toEqual([
      ['dateOfIssue', 'issue-before-birth'],
    ]);
    expect(errorCodes(`001099012345|012345678|Nguyễn Văn An|01011999|Nam|${ADDRESS}|02062025`)).toEqual([
      ['dateOfIssue', 'issue-in-future'],
    ]);
    // Today itself is fine.
    expect(errorCodes(`001099012345|012345678|Nguyễn Văn An|01011999|Nam|${ADDRESS}|01062025`)).toEqual([]);
    expect(errorCodes(`001299012345|012345678|Nguyễn Văn An|01012099|Nam|${ADDRESS}|01012024`)).toEqual([
      ['dateOfBirth', 'birth-in-future'],
      ['dateOfIssue', 'issue-before-birth'],
    ]);
  });

  it('sex neither Nam nor Nữ, and an old ID of the wrong length', () => {
    expect(errorCodes(`001099012345|012345678|Nguyễn Văn An|01011999|Nu|${ADDRESS}|01012024`)).toEqual([
      ['sex', 'invalid-sex'],
    ]);
    expect(errorCodes(`001099012345|1234567|Nguyễn Văn An|01011999|Nam|${ADDRESS}|01012024`)).toEqual([
      ['oldId', 'invalid-old-id'],
    ]);
  });

  it("an ID that contradicts the QR's own sex and birth date: one error per rule, on the id field", () => {
    expect(errorCodes(`001099012345|012345678|Nguyễn Văn An|01011999|Nữ|${ADDRESS}|01012024`)).toEqual([
      ['id', 'sex-mismatch'],
    ]);
    expect(errorCodes(`001099012345|012345678|Nguyễn Văn An|01011998|Nam|${ADDRESS}|01012024`)).toEqual([
      ['id', 'birth-year-mismatch'],
    ]);
    expect(errorCodes(`001099012345|012345678|Nguyễn Văn An|01012099|Nam|${ADDRESS}|01012024`)).toEqual(
      expect.arrayContaining([['id', 'century-mismatch']]),
    );
    expect(errorCodes(`003099012345|012345678|Nguyễn Văn An|01011999|Nam|${ADDRESS}|01012024`)).toEqual([
      ['id', 'unknown-province'],
    ]);
    const short = parse(`00109901234|012345678|Nguyễn Văn An|01011999|Nam|${ADDRESS}|01012024`);
    expect(short.errors.map((e) => [e.field, e.code])).toEqual([['id', 'not-12-digits']]);
    expect(short.errors[0]?.message.vi).toContain('12 chữ số');
  });

  it('refuses a malformed today (a programming error)', () => {
    expect(() => parseCccdQr(SAMPLE, { today: '01/06/2025' })).toThrow(RangeError);
  });
});

describe('Vietnamese text (text.ts)', () => {
  it('makes NFD and NFC equal, trims, and collapses spaces, tabs, NULs and zero-width spaces', () => {
    const nfc = 'Nguyễn Thị Ánh Tuyết';
    const nfd = nfc.normalize('NFD');
    expect(nfd.length).toBeGreaterThan(nfc.length);
    expect(normalizeText(nfd)).toBe(nfc);
    expect(normalizeText(` ${nfd}\u0000\u0000`)).toBe(nfc);
    expect(normalizeText('Hoàn\tKiếm,\u200b  Hà\r\nNội ')).toBe('Hoàn Kiếm, Hà Nội');
  });

  it('compares names ignoring case and diacritics, đ included, for cross-checks', () => {
    expect(foldVietnamese('Nguyễn Văn Đức')).toBe('nguyen van duc');
    expect(sameNameLoosely('NGUYEN VAN DUC', 'Nguyễn Văn Đức'.normalize('NFD'))).toBe(true);
    expect(sameNameLoosely('Nguyễn Văn Đức', 'Nguyễn Văn Được')).toBe(false);
    expect(sameNameLoosely('', '')).toBe(false);
  });

  it('reads sex only as Nam or Nữ', () => {
    expect(['Nam', ' nAM ', 'Nữ', 'NỮ'.normalize('NFD'), 'Nu', 'Male', ''].map(parseVietnameseSex)).toEqual([
      'M',
      'M',
      'F',
      'F',
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('parseCccdQr never throws', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => {
        const qr = parse(text);
        expect(qr.ok).toBe(qr.errors.length === 0);
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('on arbitrary fields joined with |', () => {
    const part = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.stringMatching(/^[0-9]{8,12}$/),
      fc.constantFrom('Nam', 'Nữ', '', 'NỮ'.normalize('NFD')),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 10 }), (parts) => {
        const qr = parse(parts.join('|'));
        for (const e of qr.errors) expect(e.message.vi.length * e.message.en.length).toBeGreaterThan(0);
      }),
      { seed, numRuns: 1000 },
    );
  });
});
