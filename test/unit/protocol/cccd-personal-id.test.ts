/**
 * The 12-digit personal ID (Circular 07/2016/TT-BCA art. 7 and Appendix I): one failing case per
 * rule, passing cases from the simulated card and the reference, the century-and-sex table, and
 * the province table.
 */
import { describe, expect, it } from 'vitest';
import { validatePersonalId } from '../../../protocol/cccd/personal-id.ts';
import { PROVINCES, provinceByCode } from '../../../protocol/cccd/provinces.ts';
import { SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';

function codes(id: string, expected: Parameters<typeof validatePersonalId>[1] = {}): string[] {
  return validatePersonalId(id, expected).failures.map((f) => f.code);
}

describe('validatePersonalId: passing numbers', () => {
  it('reads the simulated card: 001099012345, Hà Nội, male, born 1999', () => {
    expect(SAMPLE_PERSON.id12).toBe('001099012345');
    const check = validatePersonalId('001099012345', { sex: 'M', dateOfBirth: '1999-01-01' });
    expect(check).toEqual({
      ok: true,
      id: '001099012345',
      failures: [],
      provinceCode: '001',
      province: { code: '001', name: 'Hà Nội' },
      centuryCode: 0,
      sex: 'M',
      birthYearRange: { from: 1900, to: 1999 },
      birthYear: 1999,
      serial: '012345',
    });
  });

  it('reads 079301000001: Hồ Chí Minh, female, born 2001', () => {
    const check = validatePersonalId('079301000001', { sex: 'F', dateOfBirth: '2001-03-15' });
    expect(check.ok).toBe(true);
    expect(check.province?.name).toBe('Hồ Chí Minh');
    expect(check.sex).toBe('F');
    expect(check.birthYear).toBe(2001);
    expect(check.birthYearRange).toEqual({ from: 2000, to: 2099 });
  });

  it('reads the reference card number 080087016029: Long An, male, born 1987', () => {
    const check = validatePersonalId('080087016029');
    expect(check.ok).toBe(true);
    expect(check.province?.name).toBe('Long An');
    expect([check.sex, check.birthYear]).toEqual(['M', 1987]);
  });

  it('maps every century-and-sex digit as art. 7 lists it', () => {
    const table: [string, 'M' | 'F', number][] = [
      ['0', 'M', 1900],
      ['1', 'F', 1900],
      ['2', 'M', 2000],
      ['3', 'F', 2000],
      ['4', 'M', 2100],
      ['5', 'F', 2100],
      ['6', 'M', 2200],
      ['7', 'F', 2200],
      ['8', 'M', 2300],
      ['9', 'F', 2300],
    ];
    for (const [digit, sex, from] of table) {
      const check = validatePersonalId(`001${digit}05123456`);
      expect([check.sex, check.birthYearRange, check.birthYear], digit).toEqual([
        sex,
        { from, to: from + 99 },
        from + 5,
      ]);
    }
  });
});

describe('validatePersonalId: one failing case per rule', () => {
  it('not-12-digits: too short, a letter, spaces, full-width digits; nothing else is decoded', () => {
    for (const id of [
      '00109901234',
      '0010990123456',
      '00109901234a',
      ' 001099012345',
      '００１０９９０１２３４５',
      '',
    ]) {
      const check = validatePersonalId(id, { sex: 'M' });
      expect(
        check.failures.map((f) => f.code),
        id,
      ).toEqual(['not-12-digits']);
      expect(check.ok).toBe(false);
      expect(check.province).toBeUndefined();
      expect(check.sex).toBeUndefined();
    }
  });

  it('unknown-province: codes in the gaps and past 096', () => {
    for (const id of ['003099012345', '000099012345', '097099012345', '999099012345'])
      expect(codes(id), id).toEqual(['unknown-province']);
    const check = validatePersonalId('003099012345');
    expect(check.provinceCode).toBe('003');
    expect(check.province).toBeUndefined();
    // The rest is still decoded.
    expect(check.birthYear).toBe(1999);
  });

  it('sex-mismatch: digit 4 says male, the card says female (and the reverse)', () => {
    expect(codes('001099012345', { sex: 'F' })).toEqual(['sex-mismatch']);
    expect(codes('079301000001', { sex: 'M' })).toEqual(['sex-mismatch']);
  });

  it('century-mismatch: digit 4 says 2000–2099, born 1999', () => {
    expect(codes('001299012345', { dateOfBirth: '1999-01-01' })).toEqual(['century-mismatch']);
    expect(codes('079101000001', { dateOfBirth: '2001-03-15' })).toEqual(['century-mismatch']);
  });

  it('birth-year-mismatch: digits 5–6 are 98, born 1999', () => {
    expect(codes('001098012345', { dateOfBirth: '1999-01-01' })).toEqual(['birth-year-mismatch']);
  });

  it('invalid-date-of-birth: the date to check against is not a calendar day', () => {
    expect(codes('001099012345', { dateOfBirth: '1999-02-29' })).toEqual(['invalid-date-of-birth']);
    expect(codes('001099012345', { dateOfBirth: '01/01/1999' })).toEqual(['invalid-date-of-birth']);
  });

  it('lists every failing rule at once, each with a Vietnamese and an English message', () => {
    const check = validatePersonalId('003298012345', { sex: 'F', dateOfBirth: '1999-01-01' });
    expect(check.failures.map((f) => f.code)).toEqual([
      'unknown-province',
      'sex-mismatch',
      'century-mismatch',
      'birth-year-mismatch',
    ]);
    for (const f of check.failures) {
      expect(f.message.vi.length).toBeGreaterThan(10);
      expect(f.message.en.length).toBeGreaterThan(10);
    }
    expect(check.failures[2]?.message.en).toContain('2000–2099');
  });
});

describe('province table (Circular 07/2016/TT-BCA Appendix I)', () => {
  it('has the 63 codes, unique and ascending, from 001 Hà Nội to 096 Cà Mau', () => {
    expect(PROVINCES).toHaveLength(63);
    expect(PROVINCES[0]).toEqual({ code: '001', name: 'Hà Nội' });
    expect(PROVINCES[62]).toEqual({ code: '096', name: 'Cà Mau' });
    const list = PROVINCES.map((p) => p.code);
    expect(new Set(list).size).toBe(63);
    expect([...list].sort()).toEqual(list);
    for (const p of PROVINCES) {
      expect(p.code).toMatch(/^0[0-9]{2}$/);
      expect(p.name.normalize('NFC')).toBe(p.name);
    }
  });

  it('names the codes people quote', () => {
    const spot: [string, string][] = [
      ['031', 'Hải Phòng'],
      ['048', 'Đà Nẵng'],
      ['079', 'Hồ Chí Minh'],
      ['087', 'Đồng Tháp'],
      ['092', 'Cần Thơ'],
      ['046', 'Thừa Thiên Huế'],
      ['077', 'Bà Rịa - Vũng Tàu'],
    ];
    for (const [code, name] of spot) expect(provinceByCode(code)?.name, code).toBe(name);
    for (const gap of ['003', '005', '007', '009', '041', '090', '097'])
      expect(provinceByCode(gap), gap).toBeUndefined();
  });
});
