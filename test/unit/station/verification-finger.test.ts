/**
 * The verification workflow's finger step on the embedded station: the simulated CCCD read with EAC
 * (TA, DG3), the simulated HID scanner giving a live flat finger, compared in the hot path. The
 * holder's finger makes the person check (face skipped); another person's is "person does not
 * match"; a terminal without the DG3 right gets "not checked" with why and the fallback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardFingerprintSeed, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import { embeddedStation, ManualClock, TEST_OFFICERS } from '../../support/station.ts';

const CARD = { id12: SAMPLE_PERSON.id12, dateOfBirth: '990101', dateOfExpiry: '390101' };
let s: Awaited<ReturnType<typeof embeddedStation>>;

beforeAll(async () => {
  // The simulator's EAC PKI dates the terminal certificate from the real day.
  s = await embeddedStation({}, new ManualClock(Date.now()), { officers: TEST_OFFICERS });
  // The population lookup answers once the station has registered with central.
  for (let i = 0; i < 200; i++) {
    const answer = await s.deps.verification?.centralGet?.(
      `/v1/population/cards/${SAMPLE_PERSON.id12}/status`,
    );
    if (answer?.status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);
afterAll(async () => s?.cleanup());

const post = (url: string, payload: Record<string, unknown> = {}) =>
  s.app.inject({ method: 'POST', url, payload });

async function verifyByFinger(): Promise<{ finger: Record<string, unknown>; verdict: string }> {
  const id: string = (await post('/verifications')).json().sessionId;
  let version = 0;
  const step = async (name: string, body: Record<string, unknown> = {}) => {
    const r = await post(`/verifications/${id}/${name}`, { version, ...body });
    expect(r.statusCode, `${name}: ${r.body}`).toBe(200);
    version = r.json().version;
    return r.json().result;
  };
  await step('card-key', CARD);
  await step('card-read', { waitMs: 5000 });
  await step('status');
  await step('face', { skip: 'testing the fingerprint path' });
  const finger = await step('finger');
  const verdict = await step('verdict');
  return { finger, verdict: verdict.code };
}

const placeFingerOf = async (personSeed: number) =>
  expect((await post('/sim/scanner-hid/actions/set-person', { personSeed })).statusCode).toBe(200);

describe('the finger step', () => {
  it("the holder's finger: match, and the person check is made by fingerprint", async () => {
    await placeFingerOf(cardFingerprintSeed(SAMPLE_PERSON));
    const { finger, verdict } = await verifyByFinger();
    expect(finger).toMatchObject({
      checked: true,
      decision: 'match',
      chipFingerprintsVerified: true,
      claim: 'station',
    });
    expect(verdict).toBe('genuine-holder-present');
  }, 60_000);

  it("another person's finger: person-does-not-match", async () => {
    await placeFingerOf(cardFingerprintSeed(SAMPLE_PERSON) ^ 0x5a5a5a5a);
    const { finger, verdict } = await verifyByFinger();
    expect(finger).toMatchObject({ checked: true, decision: 'no-match' });
    expect(verdict).toBe('person-does-not-match');
  }, 60_000);

  it('a terminal without the DG3 right: the finger is not checked, with why and what to do instead', async () => {
    const r = await s.app.inject({
      method: 'PUT',
      url: '/sim/card/scenario',
      payload: { scenario: 'ta-no-dg3-right', applyNow: true },
    });
    expect(r.statusCode).toBe(200);
    const { finger, verdict } = await verifyByFinger();
    expect(finger).toMatchObject({ checked: false, reason: 'no-dg3-right' });
    expect((finger.message as { en: string }).en).toContain("compare the face with the chip's portrait");
    expect(verdict).toBe('person-not-checked');
  }, 60_000);
});
