/**
 * A whole first-issue enrollment through the HTTP API on the embedded default: the simulated HID
 * scanner's three slaps through the hot path, the simulated camera's portrait through the face
 * engine, the station-side checks, the officer's signature, then the packet sealed into the outbox
 * and acknowledged by the embedded central simulator. A restart in the middle resumes the draft
 * from its encrypted file. The officer signs in (station/auth) and enters the password again to sign.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../station/auth/service.ts';
import { systemClock } from '../../station/clock.ts';
import { embeddedStation, tempDir } from '../support/station.ts';

const data = tempDir('enrollment-api-');
let app: FastifyInstance | undefined;
let close: (() => Promise<void>) | undefined;

afterAll(async () => {
  await close?.();
  data.remove();
});

const HOST = '127.0.0.1:8080';
const ORIGIN = 'http://127.0.0.1:8080';
const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
/** The session cookie of each officer, after login. */
const cookies = new Map<string, string>();

async function boot(): Promise<FastifyInstance> {
  const auth = new AuthService({ dataDir: data.dir, clock: systemClock, scrypt: FAST });
  const station = await embeddedStation({ hotpath: { workers: 1 } }, systemClock, {
    auth,
    dataDir: data.dir,
  });
  close = station.cleanup;
  app = station.app;
  if ((await auth.admin.list()).length === 0)
    await auth.admin.add({
      id: 'off-1',
      displayName: 'Cán bộ Một',
      roles: ['officer'],
      password: 'officer one password',
    });
  // Sessions live in memory: a restarted station needs its officers to sign in again.
  cookies.clear();
  return app;
}

async function headers(officer: string): Promise<Record<string, string>> {
  let cookie = cookies.get(officer);
  if (cookie === undefined) {
    const r = await (app as FastifyInstance).inject({
      method: 'POST',
      url: '/auth/login',
      headers: { host: HOST, origin: ORIGIN },
      payload: { account: officer, password: 'officer one password' },
    });
    expect(r.statusCode, r.body).toBe(200);
    cookie = String([r.headers['set-cookie']].flat()[0]).split(';')[0] as string;
    cookies.set(officer, cookie);
  }
  return { host: HOST, origin: ORIGIN, cookie };
}

async function grant(officer: string): Promise<string> {
  const r = await (app as FastifyInstance).inject({
    method: 'POST',
    url: '/auth/reauth',
    headers: await headers(officer),
    payload: { password: 'officer one password' },
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().grantId;
}

async function step(id: string, version: number, body: Record<string, unknown>, officer = 'off-1') {
  const r = await (app as FastifyInstance).inject({
    method: 'POST',
    url: `/enrollments/${id}/steps`,
    headers: await headers(officer),
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
    const anonymous = await station.inject({ method: 'POST', url: '/enrollments', headers: { host: HOST } });
    expect(anonymous.statusCode).toBe(401);
    const opened = await station.inject({
      method: 'POST',
      url: '/enrollments',
      headers: await headers('off-1'),
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
    const early = await step(id, 2, { kind: 'sign', grant: 'no-such-grant' });
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
      headers: await headers('off-1'),
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
    const forged = await step(id, 7, { kind: 'sign', grant: 'a-grant-nobody-issued' });
    expect(forged).toMatchObject({ status: 403, body: { error: { code: 'SIGNING_GRANT_INVALID' } } });
    const once = await grant('off-1');
    r = await step(id, 7, { kind: 'sign', grant: once });
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
    const shown = (await station.inject({ url: `/outbox/${packetId}`, headers: { host: HOST } })).json();
    expect(shown.receipt.statement).toMatchObject({ kind: 'receipt', packetId });
    // The packet carried the audit chain's head, and central echoed it in the receipt.
    expect(shown.receipt.statement.audit?.seq).toBeGreaterThan(0);
  }, 240_000);
});
