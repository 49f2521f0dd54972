import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountAdmin } from '../../../station/auth/accounts.ts';
import { AuthError } from '../../../station/auth/errors.ts';
import { PasswordHasher } from '../../../station/auth/password.ts';
import { AccountFile, parseAccounts } from '../../../station/auth/store.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
const run = promisify(execFile);

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() ?? '', { recursive: true, force: true });
});

function folder() {
  const dir = mkdtempSync(path.join(tmpdir(), 'auth-store-'));
  dirs.push(dir);
  return path.join(dir, 'auth');
}

function admin(dir: string, lockWaitMs?: number) {
  const file = new AccountFile(dir, lockWaitMs === undefined ? {} : { lockWaitMs });
  return new AccountAdmin(file, new PasswordHasher(FAST), () => Date.UTC(2026, 11, 7));
}

describe('the account file', () => {
  it('is written with mode 0600 in a 0700 folder, with no temporary or lock file left', async () => {
    const dir = folder();
    await admin(dir).add({ id: 'off-0001', displayName: 'A', roles: ['officer'], password: 'mười ký tự!' });
    expect(statSync(path.join(dir, 'accounts.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(['accounts.json']);
    const document = JSON.parse(readFileSync(path.join(dir, 'accounts.json'), 'utf8'));
    expect(document.accounts[0]).toMatchObject({
      id: 'off-0001',
      roles: ['officer'],
      disabled: false,
      credentialVersion: 0,
      password: { alg: 'scrypt', N: 1024, r: 8, p: 1, keylen: 32 },
    });
    expect(JSON.stringify(document)).not.toContain('mười ký tự');
  });

  it('keeps every account when several writers in this process add at once', async () => {
    const dir = folder();
    const writers = Array.from({ length: 12 }, () => admin(dir));
    await Promise.all(
      writers.map((w, i) =>
        w.add({
          id: `off-${String(i).padStart(4, '0')}`,
          displayName: `O ${i}`,
          roles: ['officer'],
          password: 'mật khẩu 123',
        }),
      ),
    );
    expect((await admin(dir).list()).map((a) => a.id).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `off-${String(i).padStart(4, '0')}`),
    );
  });

  it('keeps every change when separate processes write at once (the lock file)', async () => {
    const dir = folder();
    mkdirSync(dir, { recursive: true });
    const script = `
      import { AccountFile } from ${JSON.stringify(path.resolve('station/auth/store.ts'))};
      const file = new AccountFile(process.argv[1]);
      for (let i = 0; i < 15; i++)
        await file.update((doc) => {
          doc.accounts.push({ id: 'p' + process.argv[2] + '-' + i, displayName: 'x', roles: [], disabled: false,
            createdAt: '', passwordChangedAt: '', credentialVersion: 0,
            password: { alg: 'scrypt', N: 1024, r: 8, p: 1, keylen: 32, salt: '', hash: '' } });
        });
    `;
    await Promise.all(
      [1, 2, 3].map((n) =>
        run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, String(n)]),
      ),
    );
    const ids = (await new AccountFile(dir).read()).accounts.map((a) => a.id);
    expect(ids).toHaveLength(45);
    expect(new Set(ids).size).toBe(45);
  }, 30_000);

  it('waits for a live lock and says AUTH_STORE_BUSY when it is not freed in time', async () => {
    const dir = folder();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'accounts.json.lock'), `${process.pid} ${Date.now()}\n`);
    const error = await admin(dir, 100)
      .unlock('x')
      .catch((e: unknown) => e);
    expect((error as AuthError).code).toBe('AUTH_STORE_BUSY');
  });

  it('takes over the lock of a writer that died', async () => {
    const dir = folder();
    mkdirSync(dir, { recursive: true });
    // A pid that is not running (the largest pid Linux hands out is 2^22).
    writeFileSync(path.join(dir, 'accounts.json.lock'), `${2 ** 22 + 7} ${Date.now()}\n`);
    await admin(dir, 500).add({
      id: 'off-0001',
      displayName: 'A',
      roles: ['admin'],
      password: 'mật khẩu 123',
    });
    expect(readdirSync(dir)).toEqual(['accounts.json']);
  });

  it('refuses a damaged or foreign file with AUTH_STORE_INVALID, and never half-loads it', async () => {
    const dir = folder();
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'accounts.json');
    for (const text of [
      '{',
      '[]',
      '{"version":2,"accounts":[]}',
      '{"version":1,"accounts":[{"id":"A B"}]}',
      JSON.stringify({
        version: 1,
        accounts: [
          {
            id: 'x',
            displayName: 'x',
            roles: ['root'],
            password: { alg: 'scrypt', N: 1024, r: 8, p: 1, keylen: 32, salt: '', hash: '' },
            disabled: false,
            createdAt: '',
            passwordChangedAt: '',
            credentialVersion: 0,
          },
        ],
      }),
    ]) {
      writeFileSync(file, text);
      const error = await new AccountFile(dir).read().catch((e: unknown) => e);
      expect((error as AuthError).code).toBe('AUTH_STORE_INVALID');
    }
  });

  it('parses any bytes to accounts or AUTH_STORE_INVALID, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseAccounts(text, 'accounts.json');
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
        }
      }),
      { numRuns: 300, seed: 21 },
    );
  });
});
