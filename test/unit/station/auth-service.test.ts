import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, type AuthErrorCode } from '../../../station/auth/errors.ts';
import { AuthService, GRANT_MS, MAX_PIN_FAILURES } from '../../../station/auth/service.ts';
import type { Clock } from '../../../station/clock.ts';

/** Low scrypt cost for speed; the production parameters are tested once in auth-password.test.ts. */
const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
const PASSWORD = 'mật khẩu đủ dài 1';
const ADDRESS = '127.0.0.1';

class TestClock implements Clock {
  wall = Date.UTC(2026, 11, 7, 8, 0, 0);
  mono = 1000;
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

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() ?? '', { recursive: true, force: true });
});

async function setup(settings: Partial<AuthService['settings']> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'auth-service-'));
  dirs.push(dataDir);
  const clock = new TestClock();
  const service = new AuthService({ dataDir, clock, settings, scrypt: FAST });
  await service.admin.add({
    id: 'off-0001',
    displayName: 'Nguyễn Văn A',
    roles: ['officer'],
    password: PASSWORD,
  });
  await service.admin.add({
    id: 'sup-0001',
    displayName: 'Trần Thị B',
    roles: ['supervisor'],
    password: 'giám sát viên 22',
  });
  return { service, clock, dataDir };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
  throw new Error('expected an AuthError');
}

describe('login and sessions', () => {
  it('logs in with the right password and knows the officer by the token', async () => {
    const { service } = await setup();
    const { token, view } = await service.login('off-0001', PASSWORD, ADDRESS);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(view.account).toEqual({ id: 'off-0001', displayName: 'Nguyễn Văn A', roles: ['officer'] });
    expect(view.session.state).toBe('active');
    const { officer } = await service.authenticate(token);
    expect(officer).toMatchObject({ id: 'off-0001', roles: ['officer'], sessionId: view.session.sessionId });
    // The public session id is not the credential.
    expect(await codeOf(service.authenticate(view.session.sessionId))).toBe('AUTH_SESSION_REQUIRED');
  });

  it('answers a wrong password and an unknown account the same way, each after one scrypt run', async () => {
    const { service } = await setup();
    const before = service.hasher.verifications;
    const wrong = await codeOf(service.login('off-0001', 'not the password', ADDRESS));
    expect(service.hasher.verifications).toBe(before + 1);
    const unknown = await codeOf(service.login('nobody-here', PASSWORD, '10.0.0.9'));
    // The unknown name cost a scrypt run too (against the dummy hash): no enumeration by timing.
    expect(service.hasher.verifications).toBe(before + 2);
    expect(wrong).toBe('AUTH_LOGIN_FAILED');
    expect(unknown).toBe('AUTH_LOGIN_FAILED');
  });

  it('rotates the session id at login: the cookie presented at login is refused afterwards', async () => {
    const { service } = await setup();
    const first = await service.login('off-0001', PASSWORD, ADDRESS);
    const second = await service.login('off-0001', PASSWORD, ADDRESS, first.token);
    expect(second.token).not.toBe(first.token);
    expect(await codeOf(service.authenticate(first.token))).toBe('AUTH_SESSION_REQUIRED');
    await expect(service.authenticate(second.token)).resolves.toBeDefined();
  });

  it('refuses forged, malformed and missing tokens', async () => {
    const { service } = await setup();
    const { token } = await service.login('off-0001', PASSWORD, ADDRESS);
    const forged = `${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [forged, undefined, '', 'x', `${token}=`, 'A'.repeat(43)])
      expect(await codeOf(service.authenticate(bad))).toBe('AUTH_SESSION_REQUIRED');
  });

  it('locks the screen after the idle time; only the password unlocks it, with a new id', async () => {
    const { service, clock } = await setup({ idleLockMinutes: 10 });
    const { token } = await service.login('off-0001', PASSWORD, ADDRESS);
    clock.advance(9 * 60_000);
    await service.authenticate(token); // an action: the idle time starts again
    clock.advance(9 * 60_000);
    await expect(service.authenticate(token)).resolves.toBeDefined();
    clock.advance(10 * 60_000);
    expect(await codeOf(service.authenticate(token))).toBe('AUTH_SESSION_LOCKED');
    // Looking at the state (GET /auth/me) is allowed, and is not an action.
    expect((await service.authenticate(token, { allowLocked: true, touch: false })).view.session.state).toBe(
      'locked',
    );
    expect(await codeOf(service.unlock(token, 'wrong password!', ADDRESS))).toBe('AUTH_REAUTH_FAILED');
    expect(await codeOf(service.authenticate(token))).toBe('AUTH_SESSION_LOCKED');
    clock.advance(1000); // the failure's delay
    const unlocked = await service.unlock(token, PASSWORD, ADDRESS);
    expect(unlocked.view.session.state).toBe('active');
    expect(await codeOf(service.authenticate(token))).toBe('AUTH_SESSION_REQUIRED');
    await expect(service.authenticate(unlocked.token)).resolves.toBeDefined();
  });

  it('ends a session at its absolute lifetime, however active', async () => {
    const { service, clock } = await setup({ sessionHours: 12, idleLockMinutes: 10 });
    const { token, view } = await service.login('off-0001', PASSWORD, ADDRESS);
    expect(Date.parse(view.session.expiresAt) - clock.wall).toBe(12 * 3_600_000);
    for (let minutes = 0; minutes < 12 * 60 - 5; minutes += 5) {
      clock.advance(5 * 60_000);
      await service.authenticate(token);
    }
    clock.advance(5 * 60_000);
    expect(await codeOf(service.authenticate(token))).toBe('AUTH_SESSION_EXPIRED');
    expect(await codeOf(service.authenticate(token))).toBe('AUTH_SESSION_REQUIRED');
  });

  it('logs out one session, and every session of an account', async () => {
    const { service } = await setup();
    const a = await service.login('off-0001', PASSWORD, ADDRESS);
    const b = await service.login('off-0001', PASSWORD, ADDRESS);
    const c = await service.login('off-0001', PASSWORD, ADDRESS);
    const other = await service.login('sup-0001', 'giám sát viên 22', ADDRESS);
    expect(service.logout(a.token)).toBe(true);
    expect(await codeOf(service.authenticate(a.token))).toBe('AUTH_SESSION_REQUIRED');
    expect(await service.logoutAccount('off-0001')).toBe(2);
    expect(await codeOf(service.authenticate(b.token))).toBe('AUTH_SESSION_REQUIRED');
    expect(await codeOf(service.authenticate(c.token))).toBe('AUTH_SESSION_REQUIRED');
    await expect(service.authenticate(other.token)).resolves.toBeDefined();
  });

  it('a wrong password says how long the next attempt must wait, and that wait is what the throttle enforces', async () => {
    const { service, clock } = await setup();
    const refused = await service
      .login('off-0001', 'not the password', ADDRESS)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AuthError);
    const wait = (refused as AuthError).retryAfterSeconds ?? 0;
    expect((refused as AuthError).code).toBe('AUTH_LOGIN_FAILED');
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(await codeOf(service.login('off-0001', PASSWORD, ADDRESS))).toBe('AUTH_TOO_MANY_ATTEMPTS');
    clock.advance(wait * 1000);
    await expect(service.login('off-0001', PASSWORD, ADDRESS)).resolves.toBeDefined();
  });

  it('ends sessions when the account file says the account was reset or disabled (by the CLI)', async () => {
    const { service, dataDir, clock } = await setup();
    const { token } = await service.login('off-0001', PASSWORD, ADDRESS);
    // Another writer (as `station users reset` is) on the same file.
    const cli = new AuthService({ dataDir, clock, scrypt: FAST });
    await cli.admin.reset('off-0001', 'một mật khẩu mới 2');
    expect(await codeOf(service.authenticate(token))).toBe('AUTH_SESSION_REQUIRED');
    expect(await codeOf(service.login('off-0001', PASSWORD, '10.0.0.2'))).toBe('AUTH_LOGIN_FAILED');
    clock.advance(1000); // the failure's delay
    const again = await service.login('off-0001', 'một mật khẩu mới 2', '10.0.0.3');
    await cli.admin.setDisabled('off-0001', true);
    expect(await codeOf(service.authenticate(again.token))).toBe('AUTH_SESSION_REQUIRED');
    expect(await codeOf(service.login('off-0001', 'một mật khẩu mới 2', '10.0.0.4'))).toBe(
      'AUTH_ACCOUNT_DISABLED',
    );
  });
});

describe('failed logins', () => {
  it('delays progressively per account name and per address, doubling from 1 s to the 30 s cap', async () => {
    const { service, clock } = await setup({ maxFailures: 20 });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      // A new address each time: only the account name's delay applies.
      expect(await codeOf(service.login('off-0001', 'wrong password', `10.0.1.${i}`))).toBe(
        'AUTH_LOGIN_FAILED',
      );
      const refused = await service.login('off-0001', PASSWORD, `10.0.2.${i}`).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AuthError);
      expect((refused as AuthError).code).toBe('AUTH_TOO_MANY_ATTEMPTS');
      delays.push((refused as AuthError).retryAfterSeconds ?? -1);
      clock.advance(((refused as AuthError).retryAfterSeconds ?? 0) * 1000);
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30]);
    // After waiting, the right password works and clears the count.
    await expect(service.login('off-0001', PASSWORD, '10.0.3.1')).resolves.toBeDefined();

    // Per address: failures on different names from one address slow that address down.
    expect(await codeOf(service.login('name-a', 'wrong password', '10.9.9.9'))).toBe('AUTH_LOGIN_FAILED');
    expect(await codeOf(service.login('sup-0001', 'giám sát viên 22', '10.9.9.9'))).toBe(
      'AUTH_TOO_MANY_ATTEMPTS',
    );
  });

  it('locks the account after maxFailures; a supervisor unlocks it', async () => {
    const { service, clock } = await setup({ maxFailures: 3, lockoutMinutes: 0 });
    const codes: AuthErrorCode[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push(await codeOf(service.login('off-0001', 'wrong password', `10.0.0.${i}`)));
      clock.advance(60_000);
    }
    expect(codes).toEqual(['AUTH_LOGIN_FAILED', 'AUTH_LOGIN_FAILED', 'AUTH_ACCOUNT_LOCKED']);
    // The right password does not open a locked account, and costs no scrypt run.
    const runs = service.hasher.verifications;
    expect(await codeOf(service.login('off-0001', PASSWORD, '10.0.1.1'))).toBe('AUTH_ACCOUNT_LOCKED');
    expect(service.hasher.verifications).toBe(runs);
    // The lock is in the file: a restarted station (a new service on the same folder) keeps it.
    expect((await service.account('off-0001'))?.locked).toMatchObject({ until: null });
    clock.advance(24 * 3_600_000);
    expect(await codeOf(service.login('off-0001', PASSWORD, '10.0.1.2'))).toBe('AUTH_ACCOUNT_LOCKED');
    await service.unlockAccount('off-0001');
    await expect(service.login('off-0001', PASSWORD, '10.0.1.3')).resolves.toBeDefined();
  });

  it('ends a timed lock by itself, and answers an unknown name with the same lock', async () => {
    const { service, clock } = await setup({ maxFailures: 3, lockoutMinutes: 15 });
    for (const name of ['off-0001', 'no-such-officer'])
      for (let i = 0; i < 3; i++) {
        await codeOf(service.login(name, 'wrong password', `10.0.0.${i}`));
        clock.advance(60_000);
      }
    const known = await service.login('off-0001', PASSWORD, '10.1.0.1').catch((e: AuthError) => e);
    const unknown = await service.login('no-such-officer', PASSWORD, '10.1.0.2').catch((e: AuthError) => e);
    expect([(known as AuthError).code, (unknown as AuthError).code]).toEqual([
      'AUTH_ACCOUNT_LOCKED',
      'AUTH_ACCOUNT_LOCKED',
    ]);
    expect((known as AuthError).retryAfterSeconds).toBeGreaterThan(0);
    clock.advance(15 * 60_000);
    const { view } = await service.login('off-0001', PASSWORD, '10.1.0.3');
    expect(view.account.id).toBe('off-0001');
    expect((await service.account('off-0001'))?.locked).toBeNull();
  });

  it('lets one password check run per address at a time', async () => {
    const { service } = await setup();
    const results = await Promise.allSettled([
      service.login('off-0001', PASSWORD, ADDRESS),
      service.login('off-0001', PASSWORD, ADDRESS),
    ]);
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as AuthError).code));
    expect(codes.sort()).toEqual(['AUTH_TOO_MANY_ATTEMPTS', 'ok']);
  });
});

describe('re-authentication for signing', () => {
  it('gives a one-use grant for the password, recording the method and time', async () => {
    const { service, clock } = await setup();
    const { token } = await service.login('off-0001', PASSWORD, ADDRESS);
    const grant = await service.reauth(token, { password: PASSWORD }, ADDRESS);
    expect(grant).toMatchObject({ accountId: 'off-0001', method: 'password', at: clock.wall });
    expect(
      await codeOf(Promise.resolve().then(() => service.consumeGrant(grant.grantId, { id: 'sup-0001' }))),
    ).toBe('AUTH_GRANT_INVALID');
    expect(service.consumeGrant(grant.grantId, { id: 'off-0001' }).method).toBe('password');
    // Used once: a replay is refused.
    expect(
      await codeOf(Promise.resolve().then(() => service.consumeGrant(grant.grantId, { id: 'off-0001' }))),
    ).toBe('AUTH_GRANT_INVALID');
    const late = await service.reauth(token, { password: PASSWORD }, ADDRESS);
    clock.advance(GRANT_MS);
    expect(
      await codeOf(Promise.resolve().then(() => service.consumeGrant(late.grantId, { id: 'off-0001' }))),
    ).toBe('AUTH_GRANT_INVALID');
    expect(await codeOf(service.reauth(token, { password: 'wrong password' }, ADDRESS))).toBe(
      'AUTH_REAUTH_FAILED',
    );
  });

  it('accepts a PIN once set, and stops taking PINs after too many wrong ones in a session', async () => {
    const { service } = await setup();
    const { token } = await service.login('off-0001', PASSWORD, ADDRESS);
    expect(await codeOf(service.reauth(token, { pin: '123456' }, ADDRESS))).toBe('AUTH_PIN_UNAVAILABLE');
    expect(await codeOf(service.setPin(token, PASSWORD, '12ab', ADDRESS))).toBe('AUTH_PASSWORD_POLICY');
    await service.setPin(token, PASSWORD, '246810', ADDRESS);
    expect((await service.reauth(token, { pin: '246810' }, ADDRESS)).method).toBe('pin');
    for (let i = 0; i < MAX_PIN_FAILURES; i++)
      expect(await codeOf(service.reauth(token, { pin: '000000' }, ADDRESS))).toBe('AUTH_REAUTH_FAILED');
    expect(await codeOf(service.reauth(token, { pin: '246810' }, ADDRESS))).toBe('AUTH_PIN_UNAVAILABLE');
    expect((await service.reauth(token, { password: PASSWORD }, ADDRESS)).method).toBe('password');
  });

  it('refuses re-authentication on a locked screen', async () => {
    const { service, clock } = await setup();
    const { token } = await service.login('off-0001', PASSWORD, ADDRESS);
    clock.advance(11 * 60_000);
    expect(await codeOf(service.reauth(token, { password: PASSWORD }, ADDRESS))).toBe('AUTH_SESSION_LOCKED');
  });
});
