/**
 * POST /cards/verify-fingerprint on the embedded station: the simulated CCCD is read with EAC (TA,
 * DG3), the simulated HID scanner gives a live flat finger, both are compared in the hot path. The
 * scanner presenting the card holder's finger matches; another person's does not; a card whose
 * fingerprints cannot be read answers why, with the officer's fallback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cardFingerprintSeed, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import { embeddedStation, ManualClock } from '../../support/station.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const CARD = { id12: SAMPLE_PERSON.id12, dateOfBirth: '990101', dateOfExpiry: '390101' };

describe('POST /cards/verify-fingerprint', () => {
  it("matches the holder's finger, refuses another person's, and says why when DG3 is out of reach", async () => {
    // The simulator's EAC PKI dates the terminal certificate from the real day.
    const s = await embeddedStation({}, new ManualClock(Date.now()));
    cleanups.push(s.cleanup);
    const placeFingerOf = async (personSeed: number) => {
      const r = await s.app.inject({
        method: 'POST',
        url: '/sim/scanner-hid/actions/set-person',
        payload: { personSeed },
      });
      expect(r.statusCode).toBe(200);
    };
    const verify = async () =>
      s.app.inject({ method: 'POST', url: '/cards/verify-fingerprint', payload: CARD });

    await placeFingerOf(cardFingerprintSeed(SAMPLE_PERSON));
    const holder = await verify();
    expect(holder.statusCode).toBe(200);
    const same = holder.json();
    expect(same).toMatchObject({
      finger: 2,
      decision: 'match',
      decisionFmr: 0.0001,
      chipFingerprintsVerified: true,
      card: { genuine: true, terminalAuthentication: { status: 'passed' } },
      message: { en: "The fingerprint matches the chip's." },
    });
    expect(same.score).toBeGreaterThanOrEqual(same.threshold);
    expect(same.scoreFmr).toBeLessThanOrEqual(0.0001);
    expect(same.pairedMinutiae).toBeGreaterThan(0);

    await placeFingerOf(cardFingerprintSeed(SAMPLE_PERSON) ^ 0x5a5a5a5a);
    const other = (await verify()).json();
    expect(other).toMatchObject({ decision: 'no-match', card: { genuine: true } });
    expect(other.score).toBeLessThan(other.threshold);
    expect(other.scoreFmr).toBeGreaterThan(0.0001);

    await s.app.inject({
      method: 'PUT',
      url: '/sim/card/scenario',
      payload: { scenario: 'ta-no-dg3-right', applyNow: true },
    });
    const refused = await verify();
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      error: { code: 'FINGERPRINTS_UNAVAILABLE', officer: { vi: expect.any(String) } },
      card: { genuine: true },
    });

    const unknown = await s.app.inject({
      method: 'POST',
      url: '/cards/verify-fingerprint',
      payload: { ...CARD, scanner: 'no-such-scanner' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('SCANNER_NOT_FOUND');
  }, 120_000);
});
