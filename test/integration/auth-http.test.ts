/**
 * The station with officer accounts over a real socket (127.0.0.1, an ephemeral port): the cookie
 * as a browser would carry it, the Origin check, and a DNS-rebinding Host, through buildStation.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStation } from '../../station/app.ts';
import { SESSION_COOKIE } from '../../station/auth/plugin.ts';
import { AuthService } from '../../station/auth/service.ts';
import { systemClock } from '../../station/clock.ts';
import { composeStation } from '../../station/compose/embedded.ts';
import { tempDir, testConfig } from '../support/station.ts';

let app: FastifyInstance;
let base: string;
const tmp = tempDir('auth-http-');

beforeAll(async () => {
  const config = testConfig(
    {
      auth: { required: true },
      devices: {
        hotplug: { mode: 'disabled' },
        fingerprintHid: { mode: 'disabled' },
        fingerprintSerial: { mode: 'disabled' },
        cardReader: { mode: 'disabled' },
        camera: { mode: 'disabled' },
        barcode: { mode: 'disabled' },
      },
    },
    tmp.dir,
  );
  const auth = new AuthService({
    dataDir: config.dataDir,
    clock: systemClock,
    settings: config.auth,
    scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 32 },
  });
  await auth.admin.add({
    id: 'off-0001',
    displayName: 'Nguyễn Văn A',
    roles: ['officer'],
    password: 'officer password',
  });
  const deps = await composeStation(config, { clock: systemClock, logger: false });
  app = await buildStation({ ...deps, auth });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await app?.close();
  tmp.remove();
});

function rawGet(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = httpRequest({ host: '127.0.0.1', port: url.port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('officer sessions over real HTTP', () => {
  it('logs in, carries the cookie, refuses writes without the Origin, logs out', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const closed = await fetch(`${base}/devices`);
    expect(closed.status).toBe(401);
    expect(((await closed.json()) as { error: { code: string } }).error.code).toBe('AUTH_SESSION_REQUIRED');

    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ account: 'off-0001', password: 'officer password' }),
    });
    expect(login.status).toBe(200);
    const [setCookie] = login.headers.getSetCookie();
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    const cookie = String(setCookie).split(';')[0] ?? '';
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);

    const devices = await fetch(`${base}/devices`, { headers: { cookie } });
    expect(devices.status).toBe(200);
    expect(devices.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(devices.headers.get('cache-control')).toBe('no-store');

    const noOrigin = await fetch(`${base}/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(noOrigin.status).toBe(403);
    const otherPort = await fetch(`${base}/auth/logout`, {
      method: 'POST',
      headers: { cookie, origin: 'http://127.0.0.1:1' },
    });
    expect(otherPort.status).toBe(403);
    const me = await fetch(`${base}/auth/me`, { headers: { cookie } });
    expect(((await me.json()) as { account: { id: string } }).account.id).toBe('off-0001');

    const logout = await fetch(`${base}/auth/logout`, { method: 'POST', headers: { cookie, origin: base } });
    expect(logout.status).toBe(204);
    expect((await fetch(`${base}/devices`, { headers: { cookie } })).status).toBe(401);
  });

  it('refuses a rebinding Host on the socket', async () => {
    expect(await rawGet('/health', 'rebind.attacker.example')).toBe(421);
    expect(await rawGet('/health', 'localhost')).toBe(200);
  });
});
