import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../../station/auth/password.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from '../../../station/cli/command.ts';
import { makeUsersCommand, type SecretInput } from '../../../station/cli/commands/users.ts';
import { main } from '../../../station/cli/main.ts';
import { recordingIo } from '../../support/cli.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() ?? '', { recursive: true, force: true });
});

function dataDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'auth-cli-'));
  dirs.push(dir);
  return dir;
}

function input(overrides: Partial<SecretInput> = {}): SecretInput & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    readStdin: async () => 'from standard input\n',
    interactive: () => false,
    prompt: async (question) => {
      prompts.push(question);
      return 'typed at the prompt';
    },
    ...overrides,
  };
}

/** Runs `station users <sub> ...args` with low scrypt cost and the given secret input. */
async function users(args: string[], secrets: SecretInput = input()) {
  const command = makeUsersCommand({ input: secrets, scrypt: FAST });
  const io = recordingIo(dataDir());
  const sub = command.subcommands?.find((c) => c.name === args[0]);
  if (!sub?.run) throw new Error(`no subcommand ${args[0]}`);
  try {
    const code = await sub.run(args.slice(1), io);
    return { code, out: io.out, err: io.err };
  } catch (error) {
    if (error instanceof UsageError) return { code: EXIT_USAGE, out: io.out, err: error.message };
    throw error;
  }
}

function accountsFile(dir: string) {
  return JSON.parse(readFileSync(path.join(dir, 'auth', 'accounts.json'), 'utf8'));
}

describe('station users', () => {
  it('is registered in the station command, and lists an empty store', async () => {
    const dir = dataDir();
    const io = recordingIo(dir);
    expect(await main(['users', 'list', '--data-dir', dir], io)).toBe(EXIT_OK);
    expect(JSON.parse(io.out)).toEqual({ accounts: [] });
    const help = recordingIo(dir);
    expect(await main(['--help'], help)).toBe(EXIT_OK);
    expect(help.out).toMatch(/users\s+Officer accounts/);
  });

  it('adds an account with the production scrypt parameters, the password from a file', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'pw.txt'), 'Mật khẩu quản trị 1\n');
    const io = recordingIo(dir);
    const code = await main(
      [
        'users',
        'add',
        'adm-0001',
        '--name',
        'Quản Trị Viên',
        '--role',
        'admin',
        '--role',
        'supervisor',
        '--password-file',
        'pw.txt',
        '--data-dir',
        dir,
      ],
      io,
    );
    expect(io.err).toBe('');
    expect(code).toBe(EXIT_OK);
    expect(JSON.parse(io.out)).toMatchObject({
      id: 'adm-0001',
      displayName: 'Quản Trị Viên',
      roles: ['admin', 'supervisor'],
    });
    const stored = accountsFile(dir).accounts[0];
    expect(stored.password).toMatchObject({ N: 32768, r: 8, p: 1, keylen: 32 });
    // The trailing newline of the file is not part of the password.
    expect(await new PasswordHasher().verify('Mật khẩu quản trị 1', stored.password)).toBe(true);
  });

  it('reads the password from standard input, or asks twice at a terminal', async () => {
    const dir = dataDir();
    const secrets = input();
    expect(
      (
        await users(
          ['add', 'off-0001', '--name', 'A', '--role', 'officer', '--password-stdin', '--data-dir', dir],
          secrets,
        )
      ).code,
    ).toBe(EXIT_OK);
    const hasher = new PasswordHasher(FAST);
    expect(await hasher.verify('from standard input', accountsFile(dir).accounts[0].password)).toBe(true);

    const terminal = input({ interactive: () => true });
    expect(
      (await users(['add', 'off-0002', '--name', 'B', '--role', 'officer', '--data-dir', dir], terminal))
        .code,
    ).toBe(EXIT_OK);
    expect(terminal.prompts).toHaveLength(2);
    expect(await hasher.verify('typed at the prompt', accountsFile(dir).accounts[1].password)).toBe(true);

    let n = 0;
    const differing = input({ interactive: () => true, prompt: async () => `attempt number ${n++}` });
    const refused = await users(
      ['add', 'off-0003', '--name', 'C', '--role', 'officer', '--data-dir', dir],
      differing,
    );
    expect(refused).toMatchObject({ code: EXIT_USAGE, err: 'the two passwords differ' });
  });

  it('never takes a password from the command line, and says what to use without a terminal', async () => {
    const dir = dataDir();
    const io = recordingIo(dir);
    expect(
      await main(
        [
          'users',
          'add',
          'off-0001',
          '--name',
          'A',
          '--role',
          'officer',
          '--password',
          'secret12345',
          '--data-dir',
          dir,
        ],
        io,
      ),
    ).toBe(EXIT_USAGE);
    const noTerminal = await users([
      'add',
      'off-0001',
      '--name',
      'A',
      '--role',
      'officer',
      '--data-dir',
      dir,
    ]);
    expect(noTerminal.code).toBe(EXIT_USAGE);
    expect(noTerminal.err).toMatch(/--password-file FILE or --password-stdin/);
    const both = await users([
      'add',
      'off-0001',
      '--name',
      'A',
      '--role',
      'officer',
      '--password-stdin',
      '--password-file',
      'x',
      '--data-dir',
      dir,
    ]);
    expect(both.code).toBe(EXIT_USAGE);
    expect(
      (
        await users([
          'add',
          'Off 1',
          '--name',
          'A',
          '--role',
          'officer',
          '--password-stdin',
          '--data-dir',
          dir,
        ])
      ).code,
    ).toBe(EXIT_USAGE);
    expect(
      (
        await users([
          'add',
          'off-0001',
          '--name',
          'A',
          '--role',
          'root',
          '--password-stdin',
          '--data-dir',
          dir,
        ])
      ).code,
    ).toBe(EXIT_USAGE);
    expect(
      (await users(['add', 'off-0001', '--role', 'officer', '--password-stdin', '--data-dir', dir])).code,
    ).toBe(EXIT_USAGE);
  });

  it('refuses a short password and an existing id with exit 1 and the code first on stderr', async () => {
    const dir = dataDir();
    const short = await users(
      ['add', 'off-0001', '--name', 'A', '--role', 'officer', '--password-stdin', '--data-dir', dir],
      input({ readStdin: async () => 'short\n' }),
    );
    expect(short.code).toBe(EXIT_FAILED);
    expect(short.err).toMatch(/^AUTH_PASSWORD_POLICY: /);
    await users([
      'add',
      'off-0001',
      '--name',
      'A',
      '--role',
      'officer',
      '--password-stdin',
      '--data-dir',
      dir,
    ]);
    const again = await users([
      'add',
      'off-0001',
      '--name',
      'A',
      '--role',
      'officer',
      '--password-stdin',
      '--data-dir',
      dir,
    ]);
    expect(again.code).toBe(EXIT_FAILED);
    expect(again.err).toMatch(/^AUTH_ACCOUNT_EXISTS: /);
    const unknown = await users(['disable', 'nobody', '--data-dir', dir]);
    expect(unknown.code).toBe(EXIT_FAILED);
    expect(unknown.err).toMatch(/^AUTH_ACCOUNT_UNKNOWN: /);
  });

  it('lists, disables, enables, resets and unlocks; a reset ends sessions (credentialVersion) and the PIN', async () => {
    const dir = dataDir();
    await users([
      'add',
      'off-0001',
      '--name',
      'Nguyễn Văn A',
      '--role',
      'officer',
      '--password-stdin',
      '--data-dir',
      dir,
    ]);
    const listed = JSON.parse((await users(['list', '--data-dir', dir])).out);
    expect(listed.accounts).toEqual([
      expect.objectContaining({
        id: 'off-0001',
        displayName: 'Nguyễn Văn A',
        disabled: false,
        hasPin: false,
        locked: null,
      }),
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/salt|hash"/);
    expect(JSON.parse((await users(['disable', 'off-0001', '--data-dir', dir])).out).disabled).toBe(true);
    expect(accountsFile(dir).accounts[0].credentialVersion).toBe(1);
    expect(JSON.parse((await users(['enable', 'off-0001', '--data-dir', dir])).out).disabled).toBe(false);

    const file = accountsFile(dir);
    file.accounts[0].lockedAt = '2026-12-07T08:00:00.000Z';
    file.accounts[0].pin = file.accounts[0].password;
    writeFileSync(path.join(dir, 'auth', 'accounts.json'), JSON.stringify(file));
    expect(JSON.parse((await users(['list', '--data-dir', dir])).out).accounts[0].locked).toEqual({
      at: '2026-12-07T08:00:00.000Z',
      until: null,
    });
    expect(JSON.parse((await users(['unlock', 'off-0001', '--data-dir', dir])).out).locked).toBeNull();
    const reset = await users(
      ['reset', 'off-0001', '--password-stdin', '--data-dir', dir],
      input({ readStdin: async () => 'a brand new password' }),
    );
    expect(reset.code).toBe(EXIT_OK);
    const after = accountsFile(dir).accounts[0];
    expect(after.pin).toBeUndefined();
    expect(after.credentialVersion).toBe(3);
    expect(await new PasswordHasher(FAST).verify('a brand new password', after.password)).toBe(true);
  });

  it('keeps every account when many adds run at once (the file lock)', async () => {
    const dir = dataDir();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        users([
          'add',
          `off-${i}`,
          '--name',
          `Officer ${i}`,
          '--role',
          'officer',
          '--password-stdin',
          '--data-dir',
          dir,
        ]),
      ),
    );
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(EXIT_OK));
    expect(
      accountsFile(dir)
        .accounts.map((a: { id: string }) => a.id)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `off-${i}`).sort());
  });
});
