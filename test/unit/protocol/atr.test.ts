import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../protocol/bytes.ts';
import { capabilityHistoricalBytes, contactlessAtr, parseAtr } from '../../../protocol/iso7816/atr.ts';

describe('ATR', () => {
  it('parses the PC/SC ATR of a MIFARE Classic 1K (TCK 6A): T=0 and T=1, no capabilities', () => {
    const atr = parseAtr(fromHex('3B8F8001804F0CA000000306030001000000006A'));
    expect(atr.ok).toBe(true);
    if (!atr.ok) return;
    expect(atr.value.protocols).toEqual([0, 1]);
    expect(atr.value.historical.length).toBe(15);
    expect(atr.value.extendedLength).toBe(false);
  });

  it('reads extended-length support from the card capabilities of a synthesised contactless ATR', () => {
    for (const extendedLength of [true, false]) {
      const bytes = contactlessAtr(capabilityHistoricalBytes({ extendedLength }));
      const atr = parseAtr(bytes);
      expect(atr.ok && atr.value.extendedLength).toBe(extendedLength);
      expect(atr.ok && atr.value.commandChaining).toBe(true);
    }
  });

  it('refuses a wrong TCK, a cut ATR and trailing bytes; never throws on random bytes', () => {
    const good = contactlessAtr(capabilityHistoricalBytes({ extendedLength: true }));
    const badTck = good.slice();
    badTck[badTck.length - 1] = (badTck.at(-1) ?? 0) ^ 0xff;
    expect(parseAtr(badTck)).toMatchObject({ ok: false, error: { reason: 'checksum-mismatch' } });
    expect(parseAtr(good.subarray(0, 6))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
    expect(parseAtr(Uint8Array.of(...good, 0))).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data' },
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const r = parseAtr(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
