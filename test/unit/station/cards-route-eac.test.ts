/**
 * POST /cards/read with EAC on the embedded station: the simulated reader's card is read with the
 * terminal credentials the simulator hands out, so Terminal Authentication runs after Chip
 * Authentication and the fingerprints (DG3) come back; a scenario that takes the station's right
 * away still gives the rest of the read, with why the fingerprints are missing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedStation, ManualClock } from '../../support/station.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const CARD = { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' };

describe('POST /cards/read with terminal credentials', () => {
  it('runs TA and reads both fingerprints; without the DG3 right, the rest of the read stands', async () => {
    // The simulator's EAC PKI dates its terminal certificate from the real day (it lives days, like a
    // real one), so the station's clock is today's.
    const s = await embeddedStation({}, new ManualClock(Date.now()));
    cleanups.push(s.cleanup);
    const read = async () =>
      (await s.app.inject({ method: 'POST', url: '/cards/read', payload: CARD })).json();
    const body = await read();
    expect(body).toMatchObject({
      genuine: true,
      terminalAuthentication: { status: 'passed' },
      fingerprints: { status: 'read' },
    });
    expect(body.dataGroupsRead).toContain(3);
    expect(body.fingerprints.fingers.map((f: { position: number }) => f.position).sort()).toEqual([2, 7]);

    const switched = await s.app.inject({
      method: 'PUT',
      url: '/sim/card/scenario',
      payload: { scenario: 'ta-no-dg3-right', applyNow: true },
    });
    expect(switched.statusCode).toBe(200);
    const refused = await read();
    expect(refused).toMatchObject({
      genuine: true,
      fingerprints: { status: 'unavailable', reason: 'no-dg3-right' },
    });
    expect(refused.dataGroupsRead).not.toContain(3);
    expect(refused.fingerprints.message.vi.length).toBeGreaterThan(10);
  }, 60_000);
});
