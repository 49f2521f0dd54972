/**
 * Card expiry from birth and issue dates (Law 26/2023/QH15 art. 21; Law 59/2014/QH13 art. 21):
 * each renewal age's 2-year boundary on both sides, the day itself, no expiry from 58, leap-day
 * birthdays, cards under the 2014 law, and the inputs that must send the officer to the card.
 * Expected dates are worked out by hand from the birth date.
 */
import { describe, expect, it } from 'vitest';
import { birthdayAt } from '../../../protocol/cccd/date.ts';
import { deriveCardExpiry, expiryYymmdd } from '../../../protocol/cccd/expiry.ts';
import { SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';

function expires(birth: string, issue: string) {
  const result = deriveCardExpiry(birth, issue);
  if (result.kind === 'date') return [result.date, result.renewalAge];
  return [result.kind];
}

describe('deriveCardExpiry', () => {
  it("gives the simulated card's printed expiry: born 1999-01-01, issued on the 25th birthday → 40", () => {
    const result = deriveCardExpiry('1999-01-01', '2024-01-01');
    expect(result).toEqual({
      kind: 'date',
      date: '2039-01-01',
      yymmdd: '390101',
      renewalAge: 40,
      law: '59/2014/QH13',
    });
    expect(result.kind === 'date' && result.date).toBe(SAMPLE_PERSON.dateOfExpiry);
  });

  it('25: issued 2 years and 1 day before → expires at 25; 2 years minus 1 day before → at 40', () => {
    // Born 2000-06-15: 23rd birthday 2023-06-15, 25th 2025-06-15, 40th 2040-06-15.
    expect(expires('2000-06-15', '2023-06-14')).toEqual(['2025-06-15', 25]);
    expect(expires('2000-06-15', '2023-06-16')).toEqual(['2040-06-15', 40]);
    // Exactly 2 years before (the 23rd birthday) counts as within the 2 years.
    expect(expires('2000-06-15', '2023-06-15')).toEqual(['2040-06-15', 40]);
  });

  it('25 under the 2023 law, same boundary', () => {
    // Born 2003-03-10: 23rd birthday 2026-03-10.
    expect(deriveCardExpiry('2003-03-10', '2026-03-09')).toMatchObject({
      date: '2028-03-10',
      renewalAge: 25,
      law: '26/2023/QH15',
    });
    expect(expires('2003-03-10', '2026-03-11')).toEqual(['2043-03-10', 40]);
  });

  it('14 (2023 law only): issued before 12 → at 14; from 12 → at 25; a small child → at 14', () => {
    // Born 2013-09-01: 12th birthday 2025-09-01, 14th 2027-09-01, 25th 2038-09-01.
    expect(expires('2013-09-01', '2025-08-31')).toEqual(['2027-09-01', 14]);
    expect(expires('2013-09-01', '2025-09-02')).toEqual(['2038-09-01', 25]);
    expect(expires('2020-01-10', '2025-01-10')).toEqual(['2034-01-10', 14]);
  });

  it('40: issued the day before the 38th birthday → at 40; the day after → at 60', () => {
    // Born 1990-05-05: 38th birthday 2028-05-05.
    expect(expires('1990-05-05', '2028-05-04')).toEqual(['2030-05-05', 40]);
    expect(expires('1990-05-05', '2028-05-06')).toEqual(['2050-05-05', 60]);
  });

  it('60: issued before 58 → at 60; from 58, and at 60 or later, no expiry', () => {
    // Born 1965-04-01: 58th birthday 2023-04-01, 60th 2025-04-01.
    expect(expires('1965-04-01', '2023-03-31')).toEqual(['2025-04-01', 60]);
    expect(expires('1965-04-01', '2023-04-02')).toEqual(['no-expiry']);
    expect(expires('1965-04-01', '2025-04-01')).toEqual(['no-expiry']);
    expect(deriveCardExpiry('1950-01-01', '2021-06-01')).toEqual({ kind: 'no-expiry', law: '59/2014/QH13' });
  });

  it('a card issued from 14 under the 2014 law runs to 25', () => {
    expect(deriveCardExpiry('2005-03-03', '2019-04-01')).toMatchObject({
      date: '2030-03-03',
      renewalAge: 25,
      law: '59/2014/QH13',
    });
  });

  it('29 February birthdays fall on 28 February in common years', () => {
    // Born 2000-02-29: 25th birthday in 2025 (common) → 28 Feb; 40th in 2040 (leap) → 29 Feb.
    expect(expires('2000-02-29', '2021-01-10')).toEqual(['2025-02-28', 25]);
    // The 23rd birthday is taken as 2023-02-28: issued that day is within the 2 years.
    expect(expires('2000-02-29', '2023-02-28')).toEqual(['2040-02-29', 40]);
    expect(expires('2000-02-29', '2023-02-27')).toEqual(['2025-02-28', 25]);
    expect(birthdayAt('2000-02-29', 1)).toBe('2001-02-28');
    expect(birthdayAt('2000-02-29', 4)).toBe('2004-02-29');
  });

  it("is 'unknown', with a message sending the officer to the card, when the inputs cannot be a CCCD's", () => {
    const cases: [string | undefined, string | undefined, string][] = [
      ['1999-02-29', '2024-01-01', 'invalid-date-of-birth'],
      [undefined, '2024-01-01', 'invalid-date-of-birth'],
      ['1899-12-31', '2024-01-01', 'invalid-date-of-birth'],
      ['01/01/1999', '2024-01-01', 'invalid-date-of-birth'],
      ['1999-01-01', undefined, 'invalid-date-of-issue'],
      ['1999-01-01', '2024-13-01', 'invalid-date-of-issue'],
      ['2005-05-05', '2005-05-04', 'issued-before-birth'],
      ['1980-01-01', '2015-12-31', 'issued-before-2016'],
      // Under 14 before the 2023 law took effect: no such card was issued.
      ['2012-01-01', '2024-06-30', 'issued-under-14-before-2024'],
    ];
    for (const [birth, issue, reason] of cases) {
      const result = deriveCardExpiry(birth, issue);
      expect(result.kind === 'unknown' && result.reason, `${birth} ${issue}`).toBe(reason);
      if (result.kind === 'unknown') {
        expect(result.message.vi).toContain('nhập ngày hết hạn in trên mặt trước thẻ');
        expect(result.message.en).toContain('enter the expiry date printed');
      }
    }
    // The same child a day after the 2023 law took effect: 12½, within 2 years of 14 → 25.
    expect(deriveCardExpiry('2012-01-01', '2024-07-01')).toMatchObject({
      date: '2037-01-01',
      renewalAge: 25,
      law: '26/2023/QH15',
    });
    // Issued on the day of birth is possible under the 2023 law.
    expect(expires('2025-02-01', '2025-02-01')).toEqual(['2039-02-01', 14]);
  });
});

describe('expiryYymmdd (the BAC key form)', () => {
  it('is the date as YYMMDD, and nothing for no expiry or unknown', () => {
    expect(expiryYymmdd(deriveCardExpiry('2000-06-15', '2023-06-14'))).toBe('250615');
    expect(expiryYymmdd(deriveCardExpiry('1965-04-01', '2024-07-01'))).toBeUndefined();
    expect(expiryYymmdd(deriveCardExpiry('2005-05-05', '2005-05-04'))).toBeUndefined();
  });
});
