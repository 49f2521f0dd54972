import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../station/auth/errors.ts';
import {
  authPlugin,
  BACKGROUND_HEADER,
  CONTENT_SECURITY_POLICY,
  hostName,
  requireSession,
  SESSION_COOKIE,
  sendAuthError,
  sessionToken,
} from '../../../station/auth/plugin.ts';
import { AuthService } from '../../../station/auth/service.ts';
import type { Clock } from '../../../station/clock.ts';
import { installErrorAnswers } from '../../../station/http-errors.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
const ORIGIN = 'http://127.0.0.1:8080';
const HOST = '127.0.0.1:8080';

class TestClock implements Clock {
  wall = Date.UTC(2026, 11, 7, 8, 0, 0);
  mono = 0;
  now() {
    return this.wall;
  }
  monotonic() {
    return this.mono;
  }
  advance(ms: number) {
    this.wall += ms;
    this.mono += ms;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** The plugin in a bare app, with routes standing in for the device routes and a workflow. */
async function station(options: { required?: boolean; allowedHosts?: string[]; serverHost?: string } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'auth-plugin-'));
  const clock = new TestClock();
  const service = new AuthService({ dataDir, clock, scrypt: FAST });
  const accounts = [
    {
      id: 'off-0001',
      displayName: 'Nguyễn Văn A',
      roles: ['officer'] as const,
      password: 'officer password',
    },
    {
      id: 'sup-0001',
      displayName: 'Trần Thị B',
      roles: ['supervisor'] as const,
      password: 'supervisor password',
    },
    { id: 'adm-0001', displayName: 'Lê Văn C', roles: ['admin'] as const, password: 'admin password!' },
  ];
  for (const a of accounts) await service.admin.add({ ...a, roles: [...a.roles] });
  // As the station's app: an unknown key is refused, not dropped, and answered in the shared error shape.
  const app: FastifyInstance = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, verbose: true } },
  });
  installErrorAnswers(app);
  await app.register(authPlugin, {
    service,
    required: options.required ?? false,
    serverHost: options.serverHost ?? '127.0.0.1',
    allowedHosts: options.allowedHosts ?? [],
    tls: false,
  });
  app.get('/health', async () => ({ ok: true }));
  app.get('/devices', async () => ({ devices: [] }));
  app.post('/devices/scanner/capture', async () => ({ captured: true }));
  app.get('/events', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    reply.raw.end('data: 1\n\n');
  });
  app.post(
    '/enrollments/sign',
    { preHandler: requireSession(service, 'officer') },
    async (request, reply) => {
      try {
        const { grantId } = request.body as { grantId: string };
        const grant = service.consumeGrant(grantId, request.officer ?? { id: '' });
        return { signedBy: request.officer?.id, method: grant.method };
      } catch (error) {
        if (error instanceof AuthError) return sendAuthError(reply, error);
        throw error;
      }
    },
  );
  cleanups.push(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { app, service, clock };
}

function cookieOf(response: { headers: Record<string, unknown> }): string {
  const header = response.headers['set-cookie'];
  const value = Array.isArray(header) ? header[0] : header;
  const match = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(String(value));
  if (!match?.[1]) throw new Error(`no session cookie in ${String(value)}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

async function login(app: FastifyInstance, account = 'off-0001', password = 'officer password') {
  const response = await app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { host: HOST, origin: ORIGIN },
    payload: { account, password },
  });
  expect(response.statusCode).toBe(200);
  return cookieOf(response);
}

describe('login over HTTP', () => {
  it('sets a __Host- cookie: HttpOnly, Secure, SameSite=Strict, Path=/, no Domain', async () => {
    const { app } = await station();
    const response = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { host: HOST },
      payload: { account: 'off-0001', password: 'officer password' },
    });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-cccd-session=[A-Za-z0-9_-]{43}; /);
    const attributes = cookie.split('; ').slice(1);
    expect(attributes).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict']));
    expect(cookie).not.toMatch(/domain/i);
    expect(response.json()).toMatchObject({
      account: { id: 'off-0001', roles: ['officer'] },
      session: { state: 'active' },
    });
  });

  it('answers a wrong password with a stable code, Vietnamese and English words', async () => {
    const { app } = await station();
    const response = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { host: HOST },
      payload: { account: 'off-0001', password: 'wrong password' },
    });
    expect(response.statusCode).toBe(401);
    const { error } = response.json();
    expect(error.code).toBe('AUTH_LOGIN_FAILED');
    expect(error.officer.vi).toMatch(/mật khẩu/);
    expect(error.officer.en).toMatch(/password/);
    const again = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { host: HOST },
      payload: { account: 'off-0001', password: 'officer password' },
    });
    expect(again.statusCode).toBe(429);
    expect(again.headers['retry-after']).toBe('1');
    expect(again.json().error.code).toBe('AUTH_TOO_MANY_ATTEMPTS');
  });

  it('refuses a body the schema does not allow', async () => {
    const { app } = await station();
    const response = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { host: HOST },
      payload: { account: 'off-0001', password: 'officer password', remember: true },
    });
    expect(response.statusCode).toBe(400);
  });

  it('tells /auth/me the session state; a forged cookie is refused and cleared', async () => {
    const { app, clock } = await station();
    const cookie = await login(app);
    const me = await app.inject({ url: '/auth/me', headers: { host: HOST, cookie } });
    expect(me.json()).toMatchObject({ account: { id: 'off-0001' }, session: { state: 'active' } });
    clock.advance(10 * 60_000);
    const locked = await app.inject({ url: '/auth/me', headers: { host: HOST, cookie } });
    expect(locked.json().session.state).toBe('locked');
    const forged = await app.inject({
      url: '/auth/me',
      headers: { host: HOST, cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` },
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('AUTH_SESSION_REQUIRED');
    expect(String(forged.headers['set-cookie'])).toMatch(/Max-Age=0/);
  });

  it('unlocks a locked screen with the password and rotates the cookie', async () => {
    const { app, clock } = await station();
    const cookie = await login(app);
    clock.advance(11 * 60_000);
    const refused = await app.inject({
      method: 'POST',
      url: '/enrollments/sign',
      headers: { host: HOST, origin: ORIGIN, cookie },
      payload: { grantId: 'x' },
    });
    expect(refused.statusCode).toBe(423);
    expect(refused.json().error.code).toBe('AUTH_SESSION_LOCKED');
    const unlocked = await app.inject({
      method: 'POST',
      url: '/auth/unlock',
      headers: { host: HOST, origin: ORIGIN, cookie },
      payload: { password: 'officer password' },
    });
    expect(unlocked.statusCode).toBe(200);
    const fresh = cookieOf(unlocked);
    expect(fresh).not.toBe(cookie);
    const old = await app.inject({ url: '/auth/me', headers: { host: HOST, cookie } });
    expect(old.statusCode).toBe(401);
    const now = await app.inject({ url: '/auth/me', headers: { host: HOST, cookie: fresh } });
    expect(now.json().session.state).toBe('active');
  });

  it('signs with a re-authentication grant once; logout and logout-all end sessions', async () => {
    const { app } = await station();
    const cookie = await login(app);
    const other = await login(app);
    const headers = { host: HOST, origin: ORIGIN, cookie };
    const grant = await app.inject({
      method: 'POST',
      url: '/auth/reauth',
      headers,
      payload: { password: 'officer password' },
    });
    expect(grant.statusCode).toBe(200);
    expect(grant.json().method).toBe('password');
    const { grantId } = grant.json();
    const signed = await app.inject({
      method: 'POST',
      url: '/enrollments/sign',
      headers,
      payload: { grantId },
    });
    expect(signed.json()).toEqual({ signedBy: 'off-0001', method: 'password' });
    const replay = await app.inject({
      method: 'POST',
      url: '/enrollments/sign',
      headers,
      payload: { grantId },
    });
    expect(replay.statusCode).toBe(403);
    expect(replay.json().error.code).toBe('AUTH_GRANT_INVALID');
    const both = await app.inject({
      method: 'POST',
      url: '/auth/reauth',
      headers,
      payload: { password: 'x', pin: '123456' },
    });
    expect(both.statusCode).toBe(400);

    const logoutAll = await app.inject({ method: 'POST', url: '/auth/logout-all', headers });
    expect(logoutAll.json()).toEqual({ ended: 2 });
    for (const c of [cookie, other])
      expect((await app.inject({ url: '/auth/me', headers: { host: HOST, cookie: c } })).statusCode).toBe(
        401,
      );

    const third = await login(app);
    const out = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { ...headers, cookie: third },
    });
    expect(out.statusCode).toBe(204);
    expect((await app.inject({ url: '/auth/me', headers: { host: HOST, cookie: third } })).statusCode).toBe(
      401,
    );
  });
});

describe('roles and the admin routes', () => {
  it('lets an officer set a PIN and sign with it; an admin ends all sessions of an account', async () => {
    const { app } = await station();
    const cookie = await login(app);
    const headers = { host: HOST, origin: ORIGIN, cookie };
    const weak = await app.inject({
      method: 'POST',
      url: '/auth/pin',
      headers,
      payload: { password: 'officer password', pin: '12' },
    });
    expect(weak.statusCode).toBe(400);
    const set = await app.inject({
      method: 'POST',
      url: '/auth/pin',
      headers,
      payload: { password: 'officer password', pin: '135790' },
    });
    expect(set.statusCode).toBe(204);
    const grant = await app.inject({
      method: 'POST',
      url: '/auth/reauth',
      headers,
      payload: { pin: '135790' },
    });
    expect(grant.json().method).toBe('pin');
    const wrong = await app.inject({
      method: 'POST',
      url: '/auth/reauth',
      headers,
      payload: { pin: '000000' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('AUTH_REAUTH_FAILED');

    const admin = await login(app, 'adm-0001', 'admin password!');
    const ended = await app.inject({
      method: 'POST',
      url: '/auth/accounts/off-0001/logout-all',
      headers: { ...headers, cookie: admin },
    });
    expect(ended.json()).toEqual({ ended: 1 });
    expect((await app.inject({ url: '/auth/me', headers: { host: HOST, cookie } })).statusCode).toBe(401);
  });

  it('lets a supervisor unlock a locked account, and not an officer', async () => {
    const { app, service, clock } = await station();
    await service.admin.add({
      id: 'off-0002',
      displayName: 'D',
      roles: ['officer'],
      password: 'officer2 password',
    });
    for (let i = 0; i < service.settings.maxFailures; i++) {
      await service.login('off-0001', 'wrong password', `10.0.0.${i}`).catch(() => undefined);
      clock.advance(60_000);
    }
    const sup = await login(app, 'sup-0001', 'supervisor password');
    const plain = await login(app, 'off-0002', 'officer2 password');
    const locked = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { host: HOST },
      payload: { account: 'off-0001', password: 'officer password' },
    });
    expect(locked.statusCode).toBe(423);
    expect(locked.json().error.code).toBe('AUTH_ACCOUNT_LOCKED');
    const forbidden = await app.inject({
      method: 'POST',
      url: '/auth/accounts/off-0001/unlock',
      headers: { host: HOST, origin: ORIGIN, cookie: plain },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe('AUTH_FORBIDDEN');
    const unlocked = await app.inject({
      method: 'POST',
      url: '/auth/accounts/off-0001/unlock',
      headers: { host: HOST, origin: ORIGIN, cookie: sup },
    });
    expect(unlocked.statusCode).toBe(200);
    expect(unlocked.json()).toMatchObject({ id: 'off-0001', locked: null });
    expect(await login(app, 'off-0001', 'officer password')).toMatch(SESSION_COOKIE);
  });

  it('lets an admin add, list, disable, enable and reset accounts; never shows a hash', async () => {
    const { app } = await station();
    const cookie = await login(app, 'adm-0001', 'admin password!');
    const headers = { host: HOST, origin: ORIGIN, cookie };
    const added = await app.inject({
      method: 'POST',
      url: '/auth/accounts',
      headers,
      payload: {
        id: 'not-0001',
        displayName: 'Phạm Công Chứng',
        roles: ['notary'],
        password: 'notary password',
      },
    });
    expect(added.statusCode).toBe(201);
    const twice = await app.inject({
      method: 'POST',
      url: '/auth/accounts',
      headers,
      payload: { id: 'not-0001', displayName: 'X', roles: ['notary'], password: 'notary password' },
    });
    expect(twice.json().error.code).toBe('AUTH_ACCOUNT_EXISTS');
    const weak = await app.inject({
      method: 'POST',
      url: '/auth/accounts',
      headers,
      payload: { id: 'not-0002', displayName: 'X', roles: ['notary'], password: 'short' },
    });
    expect(weak.json().error.code).toBe('AUTH_PASSWORD_POLICY');
    const badRole = await app.inject({
      method: 'POST',
      url: '/auth/accounts',
      headers,
      payload: { id: 'not-0002', displayName: 'X', roles: ['root'], password: 'long enough password' },
    });
    expect(badRole.statusCode).toBe(400);

    const notary = await login(app, 'not-0001', 'notary password');
    const list = await app.inject({ url: '/auth/accounts', headers });
    expect(list.json().accounts.map((a: { id: string }) => a.id)).toEqual([
      'off-0001',
      'sup-0001',
      'adm-0001',
      'not-0001',
    ]);
    expect(list.body).not.toMatch(/scrypt|"hash"|salt/);

    const disabled = await app.inject({ method: 'POST', url: '/auth/accounts/not-0001/disable', headers });
    expect(disabled.json().disabled).toBe(true);
    expect((await app.inject({ url: '/auth/me', headers: { host: HOST, cookie: notary } })).statusCode).toBe(
      401,
    );
    await app.inject({ method: 'POST', url: '/auth/accounts/not-0001/enable', headers });
    const reset = await app.inject({
      method: 'POST',
      url: '/auth/accounts/not-0001/reset',
      headers,
      payload: { password: 'a new notary password' },
    });
    expect(reset.statusCode).toBe(200);
    expect(await login(app, 'not-0001', 'a new notary password')).toMatch(SESSION_COOKIE);
    const unknown = await app.inject({ method: 'POST', url: '/auth/accounts/nobody/disable', headers });
    expect(unknown.statusCode).toBe(404);
    const officer = await login(app);
    const notAdmin = await app.inject({ url: '/auth/accounts', headers: { ...headers, cookie: officer } });
    expect(notAdmin.statusCode).toBe(403);
  });
});

describe('safety rails', () => {
  it('refuses a Host that is not the station (DNS rebinding), on every route', async () => {
    const { app } = await station({ allowedHosts: ['station-07.local'] });
    for (const host of [
      'attacker.example:8080',
      'attacker.example',
      '127.0.0.1.attacker.example',
      'a b',
      '[::1',
    ]) {
      const response = await app.inject({ url: '/health', headers: { host } });
      expect(response.statusCode, host).toBe(421);
      expect(response.json().error.code).toBe('AUTH_HOST_NOT_ALLOWED');
    }
    for (const host of ['127.0.0.1:8080', 'localhost:1', 'LOCALHOST', '[::1]:8080', 'station-07.local:443'])
      expect((await app.inject({ url: '/health', headers: { host } })).statusCode).toBe(200);
  });

  it('refuses a cookie write without the Origin, or with another origin; accepts the right one', async () => {
    const { app } = await station();
    const cookie = await login(app);
    const write = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/devices/scanner/capture', headers: { host: HOST, ...headers } });
    const missing = await write({ cookie });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error.code).toBe('AUTH_ORIGIN_REFUSED');
    // Another local web server: same site for SameSite, another origin here.
    expect((await write({ cookie, origin: 'http://127.0.0.1:3000' })).statusCode).toBe(403);
    expect((await write({ cookie, origin: 'https://127.0.0.1:8080' })).statusCode).toBe(403);
    expect((await write({ cookie, origin: 'null' })).statusCode).toBe(403);
    // A cross-origin write is refused even without a cookie; a client without Origin (the CLI) is not.
    expect((await write({ origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await write({})).statusCode).toBe(200);
    expect((await write({ cookie, origin: ORIGIN })).statusCode).toBe(200);
    // Reads are not checked: a GET changes nothing.
    expect((await app.inject({ url: '/devices', headers: { host: HOST, cookie } })).statusCode).toBe(200);
  });

  it('checks the Origin of every WebSocket upgrade, cookie or not', async () => {
    const { app } = await station();
    const upgrade = { host: HOST, connection: 'Upgrade', upgrade: 'websocket' };
    expect((await app.inject({ url: '/devices', headers: upgrade })).statusCode).toBe(403);
    expect(
      (await app.inject({ url: '/devices', headers: { ...upgrade, origin: 'http://localhost:8080' } }))
        .statusCode,
    ).toBe(403);
    expect((await app.inject({ url: '/devices', headers: { ...upgrade, origin: ORIGIN } })).statusCode).toBe(
      200,
    );
  });

  it('sends the security headers on every answer, hijacked streams and refusals included', async () => {
    const { app } = await station();
    for (const response of [
      await app.inject({ url: '/health', headers: { host: HOST } }),
      await app.inject({ url: '/events', headers: { host: HOST } }),
      await app.inject({ url: '/nope', headers: { host: HOST } }),
      await app.inject({ url: '/health', headers: { host: 'evil.example' } }),
    ]) {
      expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cache-control']).toBe('no-store');
    }
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
  });

  it('with auth.required, asks a session everywhere but /health and the login', async () => {
    const { app } = await station({ required: true });
    expect((await app.inject({ url: '/health', headers: { host: HOST } })).statusCode).toBe(200);
    const open = await app.inject({ url: '/devices', headers: { host: HOST } });
    expect(open.statusCode).toBe(401);
    expect(open.json().error.code).toBe('AUTH_SESSION_REQUIRED');
    const cookie = await login(app);
    expect((await app.inject({ url: '/devices', headers: { host: HOST, cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/nope?x=1', headers: { host: HOST } })).statusCode).toBe(401);
    // Open by the matched route, not by the URL's prefix: a made-up path under /auth/ is not open.
    expect((await app.inject({ url: '/auth/../devices', headers: { host: HOST } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/auth/nope', headers: { host: HOST } })).statusCode).toBe(401);
  });

  it('lets the screen poll without keeping itself awake (x-cccd-background: 1)', async () => {
    const { app, clock } = await station({ required: true });
    const cookie = await login(app);
    for (let i = 0; i < 11; i++) {
      clock.advance(60_000);
      const poll = await app.inject({
        url: '/devices',
        headers: { host: HOST, cookie, [BACKGROUND_HEADER]: '1' },
      });
      expect(poll.statusCode).toBe(i < 9 ? 200 : 423);
    }
    const next = await login(app);
    clock.advance(9 * 60_000);
    expect((await app.inject({ url: '/devices', headers: { host: HOST, cookie: next } })).statusCode).toBe(
      200,
    );
    clock.advance(9 * 60_000);
    expect((await app.inject({ url: '/devices', headers: { host: HOST, cookie: next } })).statusCode).toBe(
      200,
    );
  });

  it('without auth.required, leaves the device routes open (the test environment)', async () => {
    const { app } = await station({ required: false });
    expect((await app.inject({ url: '/devices', headers: { host: HOST } })).statusCode).toBe(200);
  });
});

describe('header parsing', () => {
  it('reads host names and the session cookie', () => {
    expect(hostName('[::1]:8080')).toBe('::1');
    expect(hostName('Example.Local:80')).toBe('example.local');
    expect(hostName('[::1]x')).toBeUndefined();
    expect(hostName('a:b:c')).toBeUndefined();
    expect(hostName(undefined)).toBeUndefined();
    expect(sessionToken(`a=1; ${SESSION_COOKIE}=tok; b=2`)).toBe('tok');
    expect(sessionToken('cccd-session=tok')).toBeUndefined();
  });

  it('reads any header text to a value or undefined, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const name = hostName(text);
        if (name !== undefined) expect(name).toBe(name.toLowerCase());
        const token = sessionToken(text);
        if (token !== undefined) expect(text).toContain(token);
      }),
      { numRuns: 2000, seed: 21 },
    );
  });
});
