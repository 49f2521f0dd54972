/**
 * The card and pcsc simulator controls of the embedded station, as a tester drives them over /sim:
 * when a card scenario applies, applying it at once, a pull that happens once so the retry reads,
 * scenario lists that do not overlap, and actions that take no body.
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
  const cards = async (): Promise<number> =>
    (await s.app.inject('/devices/card-reader')).json().state.detail?.cards ?? -1;
  /** Waits until the reader reports `want` cards (events reach the driver asynchronously). */
  const until = async (want: number) => {
    for (let i = 0; i < 200 && (await cards()) !== want; i++) await new Promise((r) => setTimeout(r, 10));
  };
  const read = (body: Record<string, unknown> = CARD) =>
    s.app.inject({ method: 'POST', url: '/cards/read', payload: body });
  const scenario = (body: Record<string, unknown>) =>
    s.app.inject({ method: 'PUT', url: '/sim/card/scenario', payload: body });
  return { app: s.app, read, scenario, until };
}

// Each test boots a whole embedded station whose simulated card renders its fingerprints first: on
// a loaded two-core machine that is more than the default 20 s.
describe('/sim/card and /sim/pcsc', { timeout: 60_000 }, () => {
  it('a card scenario says it applies at the next insertion; the card in the reader keeps behaving as before', async () => {
    const { read, scenario } = await station();
    const answer = await scenario({ scenario: 'tampered-dg' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ name: 'card', scenario: 'tampered-dg', appliesFrom: 'next-insertion' });
    const body = (await read()).json();
    expect(body.passiveAuthentication.verdict).toBe('valid');
  });

  it('"applyNow": true puts a fresh card of the scenario in at once; so does the reinsert action', async () => {
    const { app, read, scenario, until } = await station();
    const answer = await scenario({ scenario: 'tampered-dg', applyNow: true });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ name: 'card', scenario: 'tampered-dg', appliesFrom: 'now' });
    await until(1);
    expect((await read()).json().passiveAuthentication.verdict).toBe('data-group-altered');

    expect((await scenario({ scenario: 'valid' })).json().appliesFrom).toBe('next-insertion');
    const reinsert = await app.inject({ method: 'POST', url: '/sim/card/actions/reinsert' });
    expect(reinsert.statusCode).toBe(200);
    await until(1);
    expect((await read()).json().passiveAuthentication.verdict).toBe('valid');
  });

  it('card-pulled-mid-read pulls once: the read fails with CARD_REMOVED, the card put back reads', async () => {
    const { app, read, scenario, until } = await station();
    expect((await scenario({ scenario: 'card-pulled-mid-read', applyNow: true })).statusCode).toBe(200);
    await until(1);
    const pulled = await read();
    expect(pulled.statusCode).toBe(409);
    expect(pulled.json().error.code).toBe('CARD_REMOVED');
    await until(0);
    // What the officer is told: put the card back and read again.
    expect((await app.inject({ method: 'POST', url: '/sim/pcsc/actions/insert' })).statusCode).toBe(200);
    await until(1);
    const again = await read();
    expect(again.statusCode).toBe(200);
    expect(again.json().genuine).toBe(true);
    expect((await app.inject('/sim/card')).json().state).toMatchObject({
      scenario: 'card-pulled-mid-read',
      pullPending: false,
    });
  });

  it('the card and pcsc scenario lists do not overlap', async () => {
    const { app } = await station();
    const simulators: { name: string; scenarios: string[]; scenarioTiming: string }[] = (
      await app.inject('/sim/')
    ).json().simulators;
    const card = simulators.find((s) => s.name === 'card');
    const pcsc = simulators.find((s) => s.name === 'pcsc');
    expect(card?.scenarios).toContain('card-pulled-mid-read');
    expect(card?.scenarios).toContain('slow-card');
    expect(pcsc?.scenarios.filter((s) => s !== 'normal' && card?.scenarios.includes(s))).toEqual([]);
    expect(pcsc?.scenarios).not.toContain('card-removed-mid-read');
    expect(pcsc?.scenarios).not.toContain('slow-card');
    expect([card?.scenarioTiming, pcsc?.scenarioTiming]).toEqual(['next-insertion', 'now']);
  });

  it('POST /sim/pcsc/actions/remove and insert work with no body and no content-type', async () => {
    const { app, until } = await station();
    const remove = await app.inject({ method: 'POST', url: '/sim/pcsc/actions/remove' });
    expect(remove.statusCode).toBe(200);
    expect(remove.json()).toMatchObject({
      name: 'pcsc',
      action: 'remove',
      result: { reader: expect.any(String) },
    });
    await until(0);
    const insert = await app.inject({ method: 'POST', url: '/sim/pcsc/actions/insert' });
    expect(insert.statusCode).toBe(200);
    // A body the action's schema refuses is still refused.
    const bad = await app.inject({
      method: 'POST',
      url: '/sim/pcsc/actions/remove',
      payload: { reader: { name: 'x' } },
    });
    expect(bad.statusCode).toBe(400);
  });
});
