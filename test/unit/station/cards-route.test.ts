/**
 * POST /cards/read on the embedded station: the simulated CCCD in the simulated reader, read
 * through the production driver and protocol code, with scenarios switched over /sim/card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedStation, ManualClock } from '../../support/station.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** The numbers printed on the simulated card (SAMPLE_PERSON). */
const CARD = { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' };

async function station() {
  const s = await embeddedStation({}, new ManualClock(Date.UTC(2026, 10, 22, 9, 0, 0)));
  cleanups.push(s.cleanup);
  const read = (body: Record<string, unknown>) =>
    s.app.inject({ method: 'POST', url: '/cards/read', payload: body });
  const scenario = (name: string) =>
    s.app.inject({ method: 'PUT', url: '/sim/card/scenario', payload: { scenario: name } });
  const cards = async (): Promise<number> =>
    (await s.app.inject('/devices/card-reader')).json().state.detail?.cards ?? -1;
  /** Runs the simulator action, then waits until the reader has reported it (events are async). */
  const action = async (name: 'insert' | 'remove') => {
    const response = await s.app.inject({ method: 'POST', url: `/sim/pcsc/actions/${name}`, payload: {} });
    const want = name === 'insert' ? 1 : 0;
    for (let i = 0; i < 200 && (await cards()) !== want; i++) await new Promise((r) => setTimeout(r, 10));
    return response;
  };
  return { read, scenario, action };
}

describe('POST /cards/read', () => {
  it('reads the simulated CCCD: holder from DG1, PA valid against the station trust store, the portrait', async () => {
    const { read } = await station();
    const response = await read({ ...CARD, photo: true });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      genuine: true,
      accessMethod: 'PACE-CAN',
      accessKeyMatchesChip: true,
      chip: { verdict: 'genuine-chip', message: { vi: expect.stringMatching(/chip thật/) } },
      holder: { id12: '001099012345', issuingState: 'VNM', dateOfBirth: '990101', checkDigitsOk: true },
      passiveAuthentication: { verdict: 'valid' },
      dataGroupsRead: [1, 2, 13, 14, 15],
    });
    expect(body.passiveAuthentication.message.vi.length).toBeGreaterThan(0);
    // Genuine and, on 2026-11-22, in date until 2039-01-01: usable; the typed numbers are the chip's.
    expect(body).toMatchObject({
      valid: true,
      usable: true,
      validity: {
        kind: 'in-date',
        valid: true,
        dateOfExpiry: '2039-01-01',
        today: '2026-11-22',
        from: 'dg1',
      },
      accessKeyMismatches: [],
      summary: { en: 'USABLE: the chip and its data are genuine; valid until 2039-01-01' },
    });
    expect(Buffer.from(body.photo.base64, 'base64').subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(body.apdus).toBeGreaterThan(8);
  });

  it('wrong numbers: 422 CARD_ACCESS_DENIED with the officer told to check them; malformed: 400', async () => {
    const { read } = await station();
    // Another ID: its CAN guess (last 6 digits) and its MRZ key are both wrong.
    const wrong = await read({ ...CARD, id12: '001099012346' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error).toMatchObject({
      code: 'CARD_ACCESS_DENIED',
      officer: { en: expect.stringMatching(/check/) },
    });
    expect((await read({ ...CARD, id12: '12345' })).statusCode).toBe(400);
    // A mistyped date alone does not stop PACE with the CAN; the differing field is named.
    const typo = await read({ ...CARD, dateOfBirth: '990102', dateOfExpiry: '390102' });
    expect(typo.statusCode).toBe(200);
    expect(typo.json()).toMatchObject({
      accessMethod: 'PACE-CAN',
      accessKeyMatchesChip: false,
      accessKeyMismatches: [
        { field: 'dateOfBirth', typed: '990102', chip: '990101' },
        { field: 'dateOfExpiry', typed: '390102', chip: '390101' },
      ],
    });
    expect(typo.json().accessKeyMismatches[0].message.vi).toMatch(
      /Ngày sinh đã nhập \(990102\) khác với chip \(990101\)/,
    );
    expect(typo.json().summary.en).toMatch(/typed date of birth 990102 differs from the chip's 990101/);
    // Without the CAN guess (a CAN given that the chip does not take) the wrong date is refused.
    const noCan = await read({ ...CARD, dateOfBirth: '990102', can: '000000' });
    expect(noCan.statusCode).toBe(422);
    expect(noCan.json().error.code).toBe('CARD_ACCESS_DENIED');
    expect((await read({ dateOfBirth: '990101', dateOfExpiry: '390101' })).statusCode).toBe(400);
  });

  it('an expired card is genuine but not valid: its own verdict and officer message, not usable', async () => {
    const { read, scenario, action } = await station();
    expect((await scenario('expired-card')).statusCode).toBe(200);
    expect((await action('remove')).statusCode).toBe(200);
    expect((await action('insert')).statusCode).toBe(200);
    // The previous card of the sample citizen: issued at 17, expired on the 25th birthday.
    const response = await read({ ...CARD, dateOfExpiry: '240101' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      genuine: true,
      valid: false,
      usable: false,
      validity: { kind: 'expired', valid: false, dateOfExpiry: '2024-01-01', today: '2026-11-22' },
      passiveAuthentication: { verdict: 'valid' },
      accessKeyMismatches: [],
    });
    expect(body.validity.message.vi).toMatch(/hết hạn/);
    expect(body.validity.message.en).toMatch(/expired/);
    expect(body.summary.en).toMatch(
      /^NOT USABLE: the chip and its data are genuine; EXPIRED after 2024-01-01$/,
    );
  });

  it('reports each data scenario as its PA verdict, and no card on the reader as 409 CARD_ABSENT', async () => {
    const { read, scenario, action } = await station();
    for (const [name, verdict] of [
      ['tampered-dg', 'data-group-altered'],
      ['expired-ds', 'certificate-expired'],
      ['unknown-csca', 'unknown-issuer'],
    ] as const) {
      expect((await scenario(name)).statusCode).toBe(200);
      // A new card of the scenario goes in.
      expect((await action('remove')).statusCode).toBe(200);
      expect((await action('insert')).statusCode).toBe(200);
      const body = (await read(CARD)).json();
      expect([body.genuine, body.passiveAuthentication.verdict]).toEqual([false, verdict]);
    }
    expect((await action('remove')).statusCode).toBe(200);
    const none = await read({ ...CARD, waitMs: 300 });
    expect(none.statusCode).toBe(409);
    expect(none.json().error).toMatchObject({
      code: 'CARD_ABSENT',
      officer: { en: expect.stringMatching(/place it/) },
    });
  });
});
