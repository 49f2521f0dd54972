/**
 * `station users add|list|disable|enable|reset|unlock`: officer accounts, worked on directly in the
 * account file `<dataDir>/auth/accounts.json` of the configuration in effect (STATION_CONFIG,
 * station.config.json, or the defaults; `--data-dir DIR` names another), under the file's lock, so a
 * running station and these commands never interleave a write. The running station notices the
 * change at its next use of the file (it compares the file's inode, size and times): a disabled or
 * reset account's sessions end at their next request.
 *
 * A password is never taken from the command line (it would sit in the shell history and in
 * /proc/PID/cmdline): it is typed at a prompt without echo, or read from --password-file or, with
 * --password-stdin, from standard input (one line; a trailing newline is dropped).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AccountAdmin } from '../../auth/accounts.ts';
import { AuthError } from '../../auth/errors.ts';
import { MIN_PASSWORD_LENGTH, PasswordHasher, type ScryptParams } from '../../auth/password.ts';
import { ACCOUNT_ID_PATTERN, AccountFile, ROLES, type Role } from '../../auth/store.ts';
import { loadConfig } from '../../config/load.ts';
import { ConfigError } from '../../errors.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

/** Where a password comes from; replaced in tests. */
export interface SecretInput {
  /** Everything on standard input. */
  readStdin(): Promise<string>;
  /** Whether a person can be asked (standard input is a terminal). */
  interactive(): boolean;
  /** Asks at the terminal without echo; the text typed. */
  prompt(question: string): Promise<string>;
}

const dataDirOption = { 'data-dir': { type: 'string' } } as const;
const secretOptions = { 'password-file': { type: 'string' }, 'password-stdin': { type: 'boolean' } } as const;
const LONGEST_INPUT = 4096;

function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > LONGEST_INPUT) throw new UsageError(`standard input is longer than ${LONGEST_INPUT} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D aborts. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004') return finish(new UsageError('cancelled'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (typed.length < LONGEST_INPUT) typed += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

export const processSecretInput: SecretInput = {
  readStdin,
  interactive: () => process.stdin.isTTY === true && typeof process.stdin.setRawMode === 'function',
  prompt: promptHidden,
};

/**
 * The new password from the option given, or the prompt (asked twice).
 * @throws {UsageError} when both options are given, or neither and no terminal is there to ask.
 */
async function newPassword(
  values: { 'password-file'?: string | undefined; 'password-stdin'?: boolean | undefined },
  io: CliIo,
  input: SecretInput,
): Promise<string> {
  if (values['password-file'] !== undefined && values['password-stdin'] === true)
    throw new UsageError('give --password-file or --password-stdin, not both');
  if (values['password-file'] !== undefined) {
    const file = path.resolve(io.cwd, values['password-file']);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new UsageError(`cannot read --password-file ${file}: ${(cause as Error).message}`);
    }
    return stripNewline(text);
  }
  if (values['password-stdin'] === true) return stripNewline(await input.readStdin());
  if (!input.interactive())
    throw new UsageError('no terminal to ask the password at: use --password-file FILE or --password-stdin');
  const first = await input.prompt(`New password (at least ${MIN_PASSWORD_LENGTH} characters): `);
  const second = await input.prompt('Again: ');
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}

export interface UsersCommandOptions {
  readonly input?: SecretInput;
  /** scrypt parameters for new hashes (tests pass low ones; default: the production ones). */
  readonly scrypt?: ScryptParams;
}

function accountId(text: string | undefined): string {
  if (text === undefined || !new RegExp(ACCOUNT_ID_PATTERN).test(text))
    throw new UsageError(
      `the account id must be 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit; got '${text ?? ''}'`,
    );
  return text;
}

export function makeUsersCommand(options: UsersCommandOptions = {}): Command {
  const input = options.input ?? processSecretInput;

  function admin(io: CliIo, dataDir: string | undefined): AccountAdmin {
    const dir =
      dataDir === undefined ? loadConfig(io.env, io.cwd).config.dataDir : path.resolve(io.cwd, dataDir);
    return new AccountAdmin(new AccountFile(path.join(dir, 'auth')), new PasswordHasher(options.scrypt), () =>
      Date.now(),
    );
  }

  /** Runs `task`; account and configuration errors exit 1 with their code first on stderr. */
  async function failures(io: CliIo, task: () => Promise<unknown>): Promise<number> {
    try {
      io.stdout(json(await task()));
      return EXIT_OK;
    } catch (error) {
      if (error instanceof AuthError || error instanceof ConfigError) {
        io.stderr(`${error.code}: ${error.message}\n`);
        return EXIT_FAILED;
      }
      throw error;
    }
  }

  const add: Command = {
    name: 'add',
    summary: 'Create an officer account',
    help: `Usage: station users add <id> --name "Display Name" --role ROLE [--role ROLE ...]
                         [--password-file FILE | --password-stdin] [--data-dir DIR]

Creates the account <id> (1 to 64 lowercase letters, digits, '.', '_', '-'; e.g. off-0001) with the
roles given (${ROLES.join(', ')}). The password (at least ${MIN_PASSWORD_LENGTH} characters) is typed
twice at a prompt without echo, or read from FILE or standard input; never from the command line.
It is stored as an scrypt hash (N=2^15, r=8, p=1) in <dataDir>/auth/accounts.json.

Prints the account (without its hash) as JSON. Exit 1 with AUTH_ACCOUNT_EXISTS, AUTH_PASSWORD_POLICY
or AUTH_STORE_BUSY first on stderr; 2 for a wrong command line.`,
    async run(args, io) {
      const { values, positionals } = parse(
        args,
        {
          name: { type: 'string' },
          role: { type: 'string', multiple: true },
          ...secretOptions,
          ...dataDirOption,
        },
        { min: 1, max: 1 },
      );
      const id = accountId(positionals[0]);
      if (values.name === undefined || values.name.trim() === '')
        throw new UsageError('--name "Display Name" is required');
      const roles = values.role ?? [];
      if (roles.length === 0) throw new UsageError(`at least one --role is required (${ROLES.join(', ')})`);
      for (const role of roles)
        if (!(ROLES as readonly string[]).includes(role))
          throw new UsageError(`unknown role '${role}'; roles: ${ROLES.join(', ')}`);
      const password = await newPassword(values, io, input);
      const displayName = values.name.trim().normalize('NFC');
      return failures(io, () =>
        admin(io, values['data-dir']).add({ id, displayName, roles: roles as Role[], password }),
      );
    },
  };

  const list: Command = {
    name: 'list',
    summary: 'List the accounts (never a hash)',
    help: `Usage: station users list [--data-dir DIR]

Prints { accounts: [{ id, displayName, roles, disabled, createdAt, passwordChangedAt, hasPin, locked }] }
as JSON.`,
    async run(args, io) {
      const { values } = parse(args, { ...dataDirOption }, { min: 0, max: 0 });
      return failures(io, async () => ({ accounts: await admin(io, values['data-dir']).list() }));
    },
  };

  const simple = (
    name: string,
    summary: string,
    help: string,
    act: (admin: AccountAdmin, id: string) => Promise<unknown>,
  ): Command => ({
    name,
    summary,
    help,
    async run(args, io) {
      const { values, positionals } = parse(args, { ...dataDirOption }, { min: 1, max: 1 });
      const id = accountId(positionals[0]);
      return failures(io, () => act(admin(io, values['data-dir']), id));
    },
  });

  const disable = simple(
    'disable',
    'Disable an account (its sessions end)',
    `Usage: station users disable <id> [--data-dir DIR]

Disables the account: it cannot log in, and its sessions in a running station end at their next
request. Prints the account as JSON; exit 1 with AUTH_ACCOUNT_UNKNOWN if there is none.`,
    (a, id) => a.setDisabled(id, true),
  );
  const enable = simple(
    'enable',
    'Enable a disabled account again',
    `Usage: station users enable <id> [--data-dir DIR]

Prints the account as JSON; exit 1 with AUTH_ACCOUNT_UNKNOWN if there is none.`,
    (a, id) => a.setDisabled(id, false),
  );
  const unlock = simple(
    'unlock',
    'Lift the lock repeated failed logins put on an account',
    `Usage: station users unlock <id> [--data-dir DIR]

Prints the account as JSON; exit 1 with AUTH_ACCOUNT_UNKNOWN if there is none.`,
    (a, id) => a.unlock(id),
  );

  const reset: Command = {
    name: 'reset',
    summary: 'Set a new password for an account (its sessions end, its PIN is removed)',
    help: `Usage: station users reset <id> [--password-file FILE | --password-stdin] [--data-dir DIR]

Sets a new password (asked as for 'add'), removes the account's PIN and failure lock, and ends its
sessions in a running station at their next request. Prints the account as JSON; exit 1 with
AUTH_ACCOUNT_UNKNOWN or AUTH_PASSWORD_POLICY first on stderr.`,
    async run(args, io) {
      const { values, positionals } = parse(args, { ...secretOptions, ...dataDirOption }, { min: 1, max: 1 });
      const id = accountId(positionals[0]);
      const password = await newPassword(values, io, input);
      return failures(io, () => admin(io, values['data-dir']).reset(id, password));
    },
  };

  return {
    name: 'users',
    summary: 'Officer accounts: add, list, disable, enable, reset, unlock',
    help: `Usage: station users <add|list|disable|enable|reset|unlock> ...

Works on <dataDir>/auth/accounts.json of the configuration in effect, under its lock; a running
station picks the change up at its next request (station/auth/README.md).`,
    subcommands: [add, list, disable, enable, reset, unlock],
  };
}

export const usersCommand: Command = makeUsersCommand();
