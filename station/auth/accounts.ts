/**
 * Account administration on the account file, shared by the station's admin routes and
 * `station users ...`: each change is one read-modify-write under the file's lock. Hashing (scrypt,
 * tens of ms) happens before the lock is taken, so a writer holds it only for the file's I/O.
 */
import { AuthError } from './errors.ts';
import { checkPasswordPolicy, checkPinPolicy, type PasswordHasher, type StoredHash } from './password.ts';
import type { Account, AccountFile, AccountsDocument, Role } from './store.ts';

/** An account as the API and the CLI show it: never a hash. */
export interface AccountView {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly passwordChangedAt: string;
  readonly hasPin: boolean;
  /** Locked after failures: since when, and until when (null: until a supervisor unlocks it). */
  readonly locked: { readonly at: string; readonly until: string | null } | null;
}

/** Whether the account's failure lock holds at `now` (wall ms). */
export function isLocked(account: Account, now: number): boolean {
  if (account.lockedAt === undefined) return false;
  return account.lockedUntil === undefined || Date.parse(account.lockedUntil) > now;
}

export function viewOf(account: Account, now: number): AccountView {
  return {
    id: account.id,
    displayName: account.displayName,
    roles: [...account.roles],
    disabled: account.disabled,
    createdAt: account.createdAt,
    passwordChangedAt: account.passwordChangedAt,
    hasPin: account.pin !== undefined,
    locked:
      account.lockedAt !== undefined && isLocked(account, now)
        ? { at: account.lockedAt, until: account.lockedUntil ?? null }
        : null,
  };
}

function find(document: AccountsDocument, id: string): Account {
  const account = document.accounts.find((a) => a.id === id);
  if (!account) throw new AuthError('AUTH_ACCOUNT_UNKNOWN', `there is no account ${id}`, { account: id });
  return account;
}

export interface NewAccount {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly password: string;
}

/** Administration of one account file with one hasher; `now` gives wall ms (the injected clock). */
export class AccountAdmin {
  readonly file: AccountFile;
  readonly hasher: PasswordHasher;
  readonly #now: () => number;

  constructor(file: AccountFile, hasher: PasswordHasher, now: () => number) {
    this.file = file;
    this.hasher = hasher;
    this.#now = now;
  }

  async list(): Promise<AccountView[]> {
    const now = this.#now();
    return (await this.file.read()).accounts.map((a) => viewOf(a, now));
  }

  /** @throws {AuthError} AUTH_PASSWORD_POLICY, AUTH_ACCOUNT_EXISTS, AUTH_STORE_BUSY, AUTH_STORE_INVALID */
  async add(input: NewAccount): Promise<AccountView> {
    checkPasswordPolicy(input.password);
    const password = await this.hasher.hash(input.password);
    const at = new Date(this.#now()).toISOString();
    return this.file.update((document) => {
      if (document.accounts.some((a) => a.id === input.id))
        throw new AuthError('AUTH_ACCOUNT_EXISTS', `account ${input.id} exists already`, {
          account: input.id,
        });
      const account: Account = {
        id: input.id,
        displayName: input.displayName,
        roles: [...new Set(input.roles)],
        password,
        disabled: false,
        createdAt: at,
        passwordChangedAt: at,
        credentialVersion: 0,
      };
      document.accounts.push(account);
      return viewOf(account, this.#now());
    });
  }

  /** Disables (or enables again) an account; disabling ends its sessions (credentialVersion rises). */
  async setDisabled(id: string, disabled: boolean): Promise<AccountView> {
    return this.file.update((document) => {
      const account = find(document, id);
      if (account.disabled !== disabled) {
        account.disabled = disabled;
        account.credentialVersion++;
      }
      return viewOf(account, this.#now());
    });
  }

  /**
   * A new password (an administrator's reset): ends the account's sessions, removes its PIN (the
   * officer sets a new one) and its failure lock.
   * @throws {AuthError} AUTH_PASSWORD_POLICY, AUTH_ACCOUNT_UNKNOWN, AUTH_STORE_BUSY
   */
  async reset(id: string, newPassword: string): Promise<AccountView> {
    checkPasswordPolicy(newPassword);
    const password = await this.hasher.hash(newPassword);
    return this.file.update((document) => {
      const account = find(document, id);
      account.password = password;
      delete account.pin;
      delete account.lockedAt;
      delete account.lockedUntil;
      account.passwordChangedAt = new Date(this.#now()).toISOString();
      account.credentialVersion++;
      return viewOf(account, this.#now());
    });
  }

  /** Lifts a failure lock (a supervisor's unlock); a no-op on an unlocked account. */
  async unlock(id: string): Promise<AccountView> {
    return this.file.update((document) => {
      const account = find(document, id);
      delete account.lockedAt;
      delete account.lockedUntil;
      return viewOf(account, this.#now());
    });
  }

  /** Locks after failures; `untilMs` undefined: until a supervisor unlocks. Unknown ids are ignored. */
  async lock(id: string, untilMs: number | undefined): Promise<void> {
    await this.file.update((document) => {
      const account = document.accounts.find((a) => a.id === id);
      if (!account) return;
      account.lockedAt = new Date(this.#now()).toISOString();
      if (untilMs === undefined) delete account.lockedUntil;
      else account.lockedUntil = new Date(untilMs).toISOString();
    });
  }

  /** Raises the credential version: every session of the account ends, wherever it was made. */
  async endSessions(id: string): Promise<void> {
    await this.file.update((document) => {
      find(document, id).credentialVersion++;
    });
  }

  /** Sets the officer's own PIN. @throws {AuthError} AUTH_PASSWORD_POLICY, AUTH_ACCOUNT_UNKNOWN */
  async setPin(id: string, pin: string): Promise<void> {
    checkPinPolicy(pin);
    const hash = await this.hasher.hash(pin);
    await this.file.update((document) => {
      find(document, id).pin = hash;
    });
  }

  /** Replaces a hash made with weaker parameters (after a successful login with that password). */
  async rehash(id: string, password: string, previous: StoredHash): Promise<void> {
    const hash = await this.hasher.hash(password);
    await this.file.update((document) => {
      const account = document.accounts.find((a) => a.id === id);
      // Only if the password is still the one just checked (not reset meanwhile by an admin).
      if (account && account.password.hash === previous.hash) account.password = hash;
    });
  }
}
