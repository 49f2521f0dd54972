/**
 * A whole first-issue enrollment through the HTTP API on the embedded default: the simulated HID
 * scanner's three slaps through the hot path, the simulated camera's portrait through the face
 * engine, the station-side checks, the officer's signature, then the packet sealed into the outbox
 * and acknowledged by the embedded central simulator. A restart in the middle resumes the draft
 * from its encrypted file. The officer comes from a test seam here; the accounts of
 * station/auth provide it in the running station.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../station/clock.ts';
import { embeddedStation, tempDir } from '../support/station.ts';

const data = tempDir('enrollment-api-');
let app: FastifyInstance | undefined;
let close: (() => Promise<void>) | undefined;

afterAll(async () => {
  await close?.();
  data.remove();
});

const officers = {
  officerOf: (request: { headers: Record<string, unknown> }) => {
    const id = request.headers['x-test-officer'];
    if (typeof id !== 'string') return undefined;
    return { id, roles: id.startsWith('sup') ? ['officer', 'supervisor'] : ['officer'] };
  },
  signingGrant: async (actor: { officerId: string }, grant: string) =>
    grant === `grant-for-${actor.officerId}`
      ? { ok: true as const, method: 'password' as const }
      : { ok: false as const, reason: 'not a grant of this officer' },
};

async function boot(): Promise<FastifyInstance> {
  const station = await embeddedStation({ hotpath: { workers: 1 } }, systemClock, {
    officers,
    dataDir: data.dir,
  });
  close = station.cleanup;
  app = station.app;
  return app;
}

async function step(id: string, version: number, body: Record<string, unknown>, officer = 'off-1') {
  const r = await (app as FastifyInstance).inject({
    method: 'POST',
    url: `/enrollments/${id}/steps`,
    headers: { 'x-test-officer': officer },
    payload: { version, step: body },
  });
  return { status: r.statusCode, body: r.json() };
}

const PERSON = {
  personalId: '001099012345',
  fullName: 'Nguyễn Văn An',
  birthDate: '1999-01-01',
  sex: 'male',
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Hà Nội',
  placeOfBirthRegistration: 'Hà Nội',
  placeOfResidence: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
};

describe('enrollment through the API', () => {
  it('a first issue, restarted midway, ends with the packet acknowledged by central', async () => {
    let station = await boot();
    const anonymous = await station.inject({ method: 'POST', url: '/enrollments' });
    expect(anonymous.statusCode).toBe(401);
    const opened = await station.inject({
      method: 'POST',
      url: '/enrollments',
      headers: { 'x-test-officer': 'off-1' },
    });
    expect(opened.statusCode).toBe(201);
    const { id, packetId } = opened.json();

    let r = await step(id, 0, { kind: 'choose-type', type: 'first-issue' });
    expect(r).toMatchObject({ status: 200, body: { outcome: { version: 1, stage: 'demographics' } } });
    const invalid = await step(id, 1, {
      kind: 'demographics',
      input: { ...PERSON, birthDate: '1999-02-30' },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toMatchObject({
      code: 'DEMOGRAPHICS_INVALID',
      problems: [{ field: '/birthDate', code: 'DATE_INVALID' }],
    });
    const unknownKey = await step(id, 1, { kind: 'demographics', input: { ...PERSON, shoe: 42 } });
    expect(unknownKey.status).toBe(400);
    r = await step(id, 1, { kind: 'demographics', input: PERSON });
    expect(r.body.outcome).toMatchObject({ version: 2, stage: 'portrait' });
    const early = await step(id, 2, { kind: 'sign', grant: 'grant-for-off-1' });
    expect(early).toMatchObject({
      status: 409,
      body: { error: { code: 'WRONG_STAGE', expected: { stages: ['review'] } } },
    });

    r = await step(id, 2, { kind: 'capture-portrait' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outcome.stage).toBe('fingerprints');
    r = await step(id, 3, { kind: 'capture-slap', hand: 'right' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.draft.slaps[0]).toMatchObject({ hand: 'right', attempts: 1 });
    expect(r.body.draft.slaps[0].fingers.map((f: { position: number }) => f.position)).toEqual([2, 3, 4, 5]);

    // The station stops and starts again: the draft comes back from its encrypted file.
    await close?.();
    station = await boot();
    const resumed = await station.inject({
      url: `/enrollments/${id}`,
      headers: { 'x-test-officer': 'off-1' },
    });
    expect(resumed.json()).toMatchObject({
      version: 4,
      stage: 'fingerprints',
      demographics: { applicant: { fullName: 'Nguyễn Văn An' } },
    });

    r = await step(id, 4, { kind: 'capture-slap', hand: 'left' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await step(id, 5, { kind: 'capture-slap', hand: 'thumbs' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await step(id, 6, { kind: 'run-checks' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outcome).toMatchObject({ version: 7, stage: 'review', findings: [] });
    const stolen = await step(id, 7, { kind: 'sign', grant: 'grant-for-off-2' });
    expect(stolen).toMatchObject({ status: 403, body: { error: { code: 'SIGNING_GRANT_INVALID' } } });
    r = await step(id, 7, { kind: 'sign', grant: 'grant-for-off-1' });
    expect(r.body.outcome).toMatchObject({ version: 8, stage: 'signed' });
    r = await step(id, 8, { kind: 'submit' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ outcome: { stage: 'queued' }, packet: { packetId, state: 'queued' } });
    const replay = await step(id, 8, { kind: 'submit' });
    expect(replay).toMatchObject({ status: 200, body: { replayed: true, outcome: { stage: 'queued' } } });

    const deadline = Date.now() + 90_000;
    let state = '';
    while (Date.now() < deadline) {
      const outbox = (await station.inject('/outbox')).json() as {
        packets: { packetId: string; state: string }[];
      };
      state = outbox.packets.find((p) => p.packetId === packetId)?.state ?? '';
      if (state === 'acknowledged') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(state).toBe('acknowledged');
    const shown = (await station.inject(`/outbox/${packetId}`)).json();
    expect(shown.receipt.statement).toMatchObject({ kind: 'receipt', packetId });
  }, 240_000);
});
