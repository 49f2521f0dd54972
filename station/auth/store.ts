/**
 * The account file, `<dataDir>/auth/accounts.json`: every officer account with its scrypt hashes.
 *
 * Writers (the running station and `station users ...`) take a lock file beside it,
 * `accounts.json.lock`, created exclusively (O_CREAT|O_EXCL) with the writer's pid, so the CLI and the
 * station never interleave a read-modify-write. A lock whose pid is gone (a writer killed mid-way) or
 * older than STALE_LOCK_MS is taken over. Each write goes to a temporary file (mode 0600), is fsynced,
 * renamed over the old file and the folder fsynced: a power cut leaves the old file or the new one,
 * never half of one. Readers take no lock: the rename is atomic.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { AuthError } from './errors.ts';
import { checkParams, type StoredHash } from './password.ts';

export const ROLES = ['officer', 'supervisor', 'notary', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Account ids: login names such as `off-0001` or `nguyen.van.a`. */
export const ACCOUNT_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

export interface Account {
  readonly id: string;
  displayName: string;
  roles: Role[];
  password: StoredHash;
  /** For re-authentication when signing; optional. */
  pin?: StoredHash;
  disabled: boolean;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  passwordChangedAt: string;
  /**
   * Raised on every reset, disable and admin "logout everywhere": a session made under an older
   * value is over, also when the change came from the CLI while the station ran.
   */
  credentialVersion: number;
  /** Set when repeated failures locked the account (ISO 8601). */
  lockedAt?: string;
  /** When that lock ends by itself (ISO 8601); absent with `lockedAt`: only a supervisor unlocks. */
  lockedUntil?: string;
}

export interface AccountsDocument {
  version: 1;
  accounts: Account[];
}

/** The account file's name inside `<dataDir>/auth`. */
export const ACCOUNTS_FILE = 'accounts.json';
/** How long a writer waits for the lock before AUTH_STORE_BUSY, ms. */
export const LOCK_WAIT_MS = 10_000;
/** A lock older than this is a writer that died without cleaning up, ms. */
export const STALE_LOCK_MS = 60_000;
/** The file is a few kB per hundred accounts; anything far larger is not ours. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

const hashSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['alg', 'N', 'r', 'p', 'keylen', 'salt', 'hash'],
  properties: {
    alg: { const: 'scrypt' },
    N: { type: 'integer' },
    r: { type: 'integer' },
    p: { type: 'integer' },
    keylen: { type: 'integer' },
    salt: { type: 'string', maxLength: 256 },
    hash: { type: 'string', maxLength: 256 },
  },
} as const;

const documentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'accounts'],
  properties: {
    version: { const: 1 },
    accounts: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'id',
          'displayName',
          'roles',
          'password',
          'disabled',
          'createdAt',
          'passwordChangedAt',
          'credentialVersion',
        ],
        properties: {
          id: { type: 'string', pattern: ACCOUNT_ID_PATTERN },
          displayName: { type: 'string', minLength: 1, maxLength: 200 },
          roles: { type: 'array', uniqueItems: true, items: { enum: [...ROLES] } },
          password: hashSchema,
          pin: hashSchema,
          disabled: { type: 'boolean' },
          createdAt: { type: 'string', maxLength: 40 },
          passwordChangedAt: { type: 'string', maxLength: 40 },
          credentialVersion: { type: 'integer', minimum: 0 },
          lockedAt: { type: 'string', maxLength: 40 },
          lockedUntil: { type: 'string', maxLength: 40 },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: true }).compile(documentSchema);

/** The file as read, with what identifies this version of it (to notice a change cheaply). */
interface Snapshot {
  readonly document: AccountsDocument;
  readonly stamp: string;
}

function stampOf(stats: { ino: number | bigint; size: number | bigint; mtimeMs: number; ctimeMs: number }) {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Parses and checks the file's text.
 * @throws {AuthError} AUTH_STORE_INVALID naming what is wrong (never echoing hash material).
 */
export function parseAccounts(text: string, file: string): AccountsDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new AuthError('AUTH_STORE_INVALID', `${file} is not valid JSON`, { cause });
  }
  if (!validate(document)) {
    const first = validate.errors?.[0];
    throw new AuthError(
      'AUTH_STORE_INVALID',
      `${file} is not an accounts file: ${first?.instancePath || '(document)'} ${first?.message ?? ''}`.trim(),
    );
  }
  const result = document as unknown as AccountsDocument;
  const seen = new Set<string>();
  for (const account of result.accounts) {
    if (seen.has(account.id))
      throw new AuthError('AUTH_STORE_INVALID', `${file} holds account ${account.id} twice`);
    seen.add(account.id);
    checkParams(account.password);
    if (account.pin !== undefined) checkParams(account.pin);
  }
  return result;
}

export class AccountFile {
  readonly dir: string;
  readonly file: string;
  readonly lockFile: string;
  readonly #lockWaitMs: number;
  #cache: Snapshot | undefined;

  /** @param dir the `auth` folder, `<dataDir>/auth` (created on first write, mode 0700). */
  constructor(dir: string, options: { lockWaitMs?: number } = {}) {
    this.dir = dir;
    this.file = path.join(dir, ACCOUNTS_FILE);
    this.lockFile = `${this.file}.lock`;
    this.#lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
  }

  /**
   * The accounts as the file holds them now: read again only when the file changed (inode, size,
   * times), so the running station sees the CLI's changes at its next use for the price of a stat.
   * No file: no accounts.
   * @throws {AuthError} AUTH_STORE_INVALID
   */
  async read(): Promise<AccountsDocument> {
    let stamp: string;
    try {
      stamp = stampOf(await stat(this.file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#cache = undefined;
        return { version: 1, accounts: [] };
      }
      throw error;
    }
    if (this.#cache?.stamp === stamp) return structuredClone(this.#cache.document);
    const bytes = await readFile(this.file);
    if (bytes.length > MAX_FILE_BYTES)
      throw new AuthError('AUTH_STORE_INVALID', `${this.file} is ${bytes.length} bytes; far too large`);
    const document = parseAccounts(bytes.toString('utf8'), this.file);
    this.#cache = { document, stamp };
    return structuredClone(document);
  }

  /**
   * Read-modify-write under the lock: `change` gets the current document, edits it in place and
   * returns a value; the document is written back atomically unless `change` throws.
   * @throws {AuthError} AUTH_STORE_BUSY when the lock is not had within the wait; whatever `change` throws.
   */
  async update<T>(change: (document: AccountsDocument) => T | Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const release = await this.#lock();
    try {
      this.#cache = undefined;
      const document = await this.read();
      const result = await change(document);
      await this.#write(document);
      return result;
    } finally {
      await release();
    }
  }

  async #write(document: AccountsDocument): Promise<void> {
    const temporary = `${this.file}.tmp-${process.pid}-${Date.now()}`;
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(document, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.file);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    const folder = await open(this.dir, constants.O_RDONLY);
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    this.#cache = undefined;
  }

  async #lock(): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.#lockWaitMs;
    let pause = 5;
    for (;;) {
      try {
        const handle = await open(
          this.lockFile,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
          0o600,
        );
        try {
          await handle.writeFile(`${process.pid} ${Date.now()}\n`);
        } finally {
          await handle.close();
        }
        return () => unlink(this.lockFile).catch(() => undefined);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await this.#stale()) {
        await unlink(this.lockFile).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline)
        throw new AuthError(
          'AUTH_STORE_BUSY',
          `another program holds ${this.lockFile} (a 'station users' command or the station); try again`,
        );
      await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
      pause = Math.min(pause * 2, 100);
    }
  }

  /** The lock's holder died, or held it implausibly long. */
  async #stale(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.lockFile, 'utf8');
    } catch {
      return false; // gone already: the next try takes it
    }
    const [pidText, atText] = text.trim().split(' ');
    const pid = Number(pidText);
    const at = Number(atText);
    // A lock file just created and not yet written: its writer is alive, give it a moment.
    if (!Number.isInteger(pid) || pid <= 0 || !Number.isFinite(at)) {
      try {
        return Date.now() - (await stat(this.lockFile)).mtimeMs > STALE_LOCK_MS;
      } catch {
        return false;
      }
    }
    return !processAlive(pid) || Date.now() - at > STALE_LOCK_MS;
  }
}
