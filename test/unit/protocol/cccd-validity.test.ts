import { describe, expect, it } from 'vitest';
import { deriveCardExpiry } from '../../../protocol/cccd/expiry.ts';
import {
  chipValidity,
  mrzExpiryDate,
  validityOfDate,
  validityOfDerivedExpiry,
} from '../../../protocol/cccd/validity.ts';

describe('mrzExpiryDate: the century of a YYMMDD expiry', () => {
  it.each([
    ['390101', '2026-11-22', '2039-01-01'],
    ['560101', '2026-11-22', '2056-01-01'], // 30 years ahead: still this century
    ['570101', '2026-11-22', '1957-01-01'], // 31 years ahead: the last century
    ['991231', '2026-11-22', '1999-12-31'],
    ['000101', '2026-11-22', '2000-01-01'],
    ['050101', '2096-01-01', '2105-01-01'], // near the end of a century the next one is reached
    ['960101', '2096-01-01', '2096-01-01'],
    ['260101', '2096-01-01', '2126-01-01'],
    ['270101', '2096-01-01', '2027-01-01'],
  ])('%s on %s is %s', (yymmdd, today, expected) => {
    expect(mrzExpiryDate(yymmdd, today)).toBe(expected);
  });

  it.each(['<<<<<<', '390231', '3901', '39010a'])('%s is no date', (yymmdd) => {
    expect(mrzExpiryDate(yymmdd, '2026-11-22')).toBeUndefined();
  });
});

describe('validity of a date of expiry', () => {
  it('is in date through the expiry day and expired the day after', () => {
    expect(validityOfDate('2039-01-01', '2038-12-31', 'dg1')).toMatchObject({ kind: 'in-date', valid: true });
    expect(validityOfDate('2039-01-01', '2039-01-01', 'dg1')).toMatchObject({ kind: 'in-date', valid: true });
    const expired = validityOfDate('2039-01-01', '2039-01-02', 'dg1');
    expect(expired).toMatchObject({
      kind: 'expired',
      valid: false,
      dateOfExpiry: '2039-01-01',
      today: '2039-01-02',
      from: 'dg1',
    });
    expect(expired.message.vi).toMatch(/hết hạn.*01\/01\/2039/);
    expect(expired.message.en).toMatch(/expired after 2039-01-01/);
  });

  it('chip: DG1 decides the date, DG13 settles the century and says "no expiry"', () => {
    expect(chipValidity({ mrz: '240101' }, '2026-11-22')).toMatchObject({
      kind: 'expired',
      dateOfExpiry: '2024-01-01',
      from: 'dg1',
    });
    // A DG13 with a four-digit year agreeing with DG1 beats the window.
    expect(
      chipValidity({ mrz: '700101', dg13: { iso: '2070-01-01', noExpiry: false } }, '2026-11-22'),
    ).toMatchObject({ kind: 'in-date', dateOfExpiry: '2070-01-01', from: 'dg1' });
    // "Không thời hạn": valid, not unknown and not expired, whatever DG1 holds.
    for (const mrz of ['<<<<<<', '991231', undefined])
      expect(chipValidity({ mrz, dg13: { noExpiry: true } }, '2026-11-22')).toMatchObject({
        kind: 'no-expiry',
        valid: true,
        dateOfExpiry: null,
      });
    expect(chipValidity({ mrz: '<<<<<<' }, '2026-11-22')).toMatchObject({ kind: 'unknown', valid: null });
    expect(chipValidity({ dg13: { iso: '2030-05-01', noExpiry: false } }, '2026-11-22')).toMatchObject({
      kind: 'in-date',
      from: 'dg13',
    });
    expect(chipValidity({}, '2026-11-22').kind).toBe('unknown');
  });

  it('QR: the derived expiry compared with today, no-expiry valid, unknown passes its reason on', () => {
    // Born 1999-01-01, issued 2016-03-01 at 17: runs to the 25th birthday, 2024-01-01.
    expect(validityOfDerivedExpiry(deriveCardExpiry('1999-01-01', '2016-03-01'), '2025-06-01')).toMatchObject(
      {
        kind: 'expired',
        valid: false,
        dateOfExpiry: '2024-01-01',
        from: 'qr',
      },
    );
    expect(validityOfDerivedExpiry(deriveCardExpiry('1965-04-01', '2023-04-02'), '2025-06-01')).toMatchObject(
      {
        kind: 'no-expiry',
        valid: true,
      },
    );
    const unknown = validityOfDerivedExpiry(deriveCardExpiry('1999-01-01', '2015-01-01'), '2025-06-01');
    expect(unknown).toMatchObject({ kind: 'unknown', valid: null });
    expect(unknown.message.en).toMatch(/2016-01-01/);
  });
});
