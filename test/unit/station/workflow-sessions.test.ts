/**
 * The enrollment routes sit behind station/auth in the composed station: no session, no enrollment;
 * a signed-in officer opens one; a cookie write from another origin is refused. (The verification
 * routes' notary session is wired the same way in composeStation.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../../station/auth/service.ts';
import { systemClock } from '../../../station/clock.ts';
import { embeddedStation, tempDir } from '../../support/station.ts';

const HOST = '127.0.0.1:8080';
const ORIGIN = 'http://127.0.0.1:8080';
const data = tempDir('workflow-sessions-');
let station: Awaited<ReturnType<typeof embeddedStation>>;

beforeAll(async () => {
  const auth = new AuthService({
    dataDir: data.dir,
    clock: systemClock,
    scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 32 },
  });
  station = await embeddedStation(
    { devices: { camera: { mode: 'disabled' }, cardReader: { mode: 'disabled' } } },
    systemClock,
    { auth, dataDir: data.dir },
  );
  await auth.admin.add({
    id: 'off-1',
    displayName: 'Officer',
    roles: ['officer'],
    password: 'officer one password',
  });
  await auth.admin.add({
    id: 'not-1',
    displayName: 'Notary',
    roles: ['notary'],
    password: 'notary one password',
  });
}, 120_000);

afterAll(async () => {
  await station?.cleanup();
  data.remove();
});

async function login(account: string, password: string): Promise<Record<string, string>> {
  const r = await station.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { host: HOST, origin: ORIGIN },
    payload: { account, password },
  });
  expect(r.statusCode, r.body).toBe(200);
  return {
    host: HOST,
    origin: ORIGIN,
    cookie: String([r.headers['set-cookie']].flat()[0]).split(';')[0] as string,
  };
}

describe('workflow routes and sessions', () => {
  it('refuse without a session, open one for a signed-in officer, refuse a cookie write from another origin', async () => {
    const none = await station.app.inject({ method: 'POST', url: '/enrollments', headers: { host: HOST } });
    expect(none.statusCode).toBe(401);
    const officer = await login('off-1', 'officer one password');
    expect(
      (await station.app.inject({ method: 'POST', url: '/enrollments', headers: officer })).statusCode,
    ).toBe(201);
    const foreign = await station.app.inject({
      method: 'POST',
      url: '/enrollments',
      headers: { ...officer, origin: 'http://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    const list = await station.app.inject({ url: '/enrollments', headers: officer });
    expect(list.json().enrollments).toHaveLength(1);
  });
});
