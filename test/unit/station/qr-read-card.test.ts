import { describe, expect, it } from 'vitest';
import { readCardQr } from '../../../station/qr/read-card-qr.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

describe('readCardQr: scanned QR text to the chip key', () => {
  it('ignores a byte-order mark and the line end some scanners leave on the text', () => {
    const key = readCardQr(`\uFEFF${CCCD_TEXT}\r\n`, { today: '2026-12-07' });
    expect(key).toMatchObject({
      ok: true,
      key: { id12: '001099012345', dateOfBirth: '990101' },
      expiryFrom: 'derived',
    });
  });

  it('uses the expiry the officer typed', () => {
    expect(readCardQr(CCCD_TEXT, { today: '2026-12-07', dateOfExpiry: '390101' })).toMatchObject({
      ok: true,
      key: { dateOfExpiry: '390101' },
      expiryFrom: 'given',
    });
  });

  it('returns QR_INVALID with a Vietnamese and English message for text that is not a CCCD code', () => {
    const result = readCardQr('https://example.com/menu', { today: '2026-12-07' });
    expect(result).toMatchObject({ ok: false, code: 'QR_INVALID' });
    if (!result.ok) {
      expect(result.message.vi).toMatch(/Mã QR/);
      expect(result.message.en).toMatch(/QR code/);
    }
  });
});
