/**
 * Officer authentication: login, the screen lock, logout (here and everywhere), re-authentication for
 * signing, and the failure limits. The HTTP side is plugin.ts; the file is store.ts; README.md says
 * how the limits interact.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { AccountAdmin, type AccountView, isLocked, viewOf } from './accounts.ts';
import { AuthError } from './errors.ts';
import { PasswordHasher, type ScryptParams } from './password.ts';
import { type Session, type SessionState, SessionTable } from './sessions.ts';
import { AccountFile, type Role } from './store.ts';
import { Throttle, type ThrottleSettings } from './throttle.ts';

export interface AuthSettings {
  /** Idle minutes before the screen locks. */
  readonly idleLockMinutes: number;
  /** A session's absolute lifetime, hours. */
  readonly sessionHours: number;
  /** Consecutive failed logins that lock an account. */
  readonly maxFailures: number;
  /** How long that lock lasts, minutes; 0: until a supervisor unlocks it. */
  readonly lockoutMinutes: number;
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  idleLockMinutes: 10,
  sessionHours: 12,
  maxFailures: 10,
  lockoutMinutes: 15,
};

/** Wrong PINs a session may make before only the password signs. */
export const MAX_PIN_FAILURES = 3;
/** A signing grant's life, ms: enough to press "sign" after typing the password. */
export const GRANT_MS = 2 * 60_000;

/** Who is acting: what `requireSession` puts on the request. */
export interface Officer {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  /** The session's public id (for the audit trail; not a credential). */
  readonly sessionId: string;
}

/** The proof of a fresh re-authentication, consumed once by a signing step. */
export interface SigningGrant {
  readonly grantId: string;
  readonly accountId: string;
  readonly sessionId: string;
  readonly method: 'password' | 'pin';
  /** Wall ms of the re-authentication. */
  readonly at: number;
  /** Wall ms after which it is refused. */
  readonly expiresAt: number;
}

export interface SessionView {
  readonly account: { readonly id: string; readonly displayName: string; readonly roles: readonly Role[] };
  readonly session: {
    readonly sessionId: string;
    readonly state: SessionState;
    readonly createdAt: string;
    readonly expiresAt: string;
    /** When the screen locks if nothing happens (absent when locked already). */
    readonly idleLockAt?: string;
  };
}

export interface AuthServiceOptions {
  /** The station's data folder; the accounts live in `<dataDir>/auth/accounts.json`. */
  readonly dataDir: string;
  readonly clock: Clock;
  readonly settings?: Partial<AuthSettings>;
  /** scrypt parameters for new hashes (tests pass low ones). */
  readonly scrypt?: ScryptParams;
  readonly throttle?: Partial<ThrottleSettings>;
  /** How long a writer waits for the account file's lock, ms. */
  readonly lockWaitMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class AuthService {
  readonly settings: AuthSettings;
  readonly admin: AccountAdmin;
  readonly hasher: PasswordHasher;
  readonly sessions: SessionTable;
  readonly #clock: Clock;
  readonly #throttle: Throttle;
  /** Names locked in memory that have no account: they answer as a locked account does. */
  readonly #phantomLocks = new Map<string, number | undefined>();
  /** Client addresses with a password check running (one at a time each). */
  readonly #checking = new Set<string>();
  readonly #grants = new Map<string, SigningGrant>();

  constructor(options: AuthServiceOptions) {
    this.#clock = options.clock;
    this.settings = { ...DEFAULT_AUTH_SETTINGS, ...options.settings };
    this.hasher = new PasswordHasher(options.scrypt);
    const file = new AccountFile(
      path.join(options.dataDir, 'auth'),
      options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs },
    );
    this.admin = new AccountAdmin(file, this.hasher, () => this.#clock.now());
    this.#throttle = new Throttle(options.clock, options.throttle);
    this.sessions = new SessionTable(options.clock, {
      idleMs: this.settings.idleLockMinutes * 60_000,
      lifetimeMs: this.settings.sessionHours * 3_600_000,
    });
  }

  /** Starts the dummy hash unknown accounts are checked against, so the first login is not slower. */
  async warm(): Promise<void> {
    await this.hasher.dummy();
  }

  /**
   * Checks a password with the failure limits around it (login, unlock, password re-authentication).
   * @throws {AuthError} AUTH_TOO_MANY_ATTEMPTS, AUTH_ACCOUNT_LOCKED, `failure` (wrong name or password),
   *   AUTH_ACCOUNT_DISABLED (only after a right password)
   */
  async #checkPassword(
    name: string,
    password: string,
    address: string,
    failure: 'AUTH_LOGIN_FAILED' | 'AUTH_REAUTH_FAILED',
  ) {
    const nameKey = `account:${name}`;
    const addressKey = `address:${address}`;
    const wait = Math.max(this.#throttle.waitMs(nameKey), this.#throttle.waitMs(addressKey));
    if (wait > 0 || this.#checking.has(address))
      throw new AuthError('AUTH_TOO_MANY_ATTEMPTS', 'too many failed attempts; wait before trying again', {
        retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
      });
    // Taken before the first await, so two requests racing from one address cannot both pass.
    this.#checking.add(address);
    try {
      return await this.#checkPasswordOnce(name, password, nameKey, addressKey, failure);
    } finally {
      this.#checking.delete(address);
    }
  }

  async #checkPasswordOnce(
    name: string,
    password: string,
    nameKey: string,
    addressKey: string,
    failure: 'AUTH_LOGIN_FAILED' | 'AUTH_REAUTH_FAILED',
  ) {
    const now = this.#clock.now();
    const accounts = await this.admin.file.read();
    const account = accounts.accounts.find((a) => a.id === name);
    const phantom = this.#phantomLocks.get(name);
    const phantomLocked = this.#phantomLocks.has(name) && (phantom === undefined || phantom > now);
    if ((account && isLocked(account, now)) || (!account && phantomLocked)) {
      const until = account ? account.lockedUntil && Date.parse(account.lockedUntil) : phantom;
      throw new AuthError('AUTH_ACCOUNT_LOCKED', 'the account is locked after repeated failures', {
        ...(until ? { retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) } : {}),
      });
    }
    // An unknown name costs one scrypt run too (against a dummy hash): no enumeration by timing.
    const ok = await this.hasher.verify(password, account?.password);
    // verify answers true only for a stored hash; the second test is for the type checker.
    if (!ok || account === undefined) {
      this.#throttle.fail(addressKey);
      const failures = this.#throttle.fail(nameKey);
      if (failures >= this.settings.maxFailures) {
        const until =
          this.settings.lockoutMinutes === 0
            ? undefined
            : this.#clock.now() + this.settings.lockoutMinutes * 60_000;
        if (account) await this.admin.lock(name, until);
        else {
          this.#phantomLocks.set(name, until);
          if (this.#phantomLocks.size > 10_000) {
            const oldest = this.#phantomLocks.keys().next();
            if (!oldest.done) this.#phantomLocks.delete(oldest.value);
          }
        }
        this.#throttle.succeed(nameKey); // the lock takes over from the delay
        throw new AuthError('AUTH_ACCOUNT_LOCKED', `locked after ${failures} failed attempts`, {
          ...(until === undefined
            ? {}
            : { retryAfterSeconds: Math.ceil((until - this.#clock.now()) / 1000) }),
        });
      }
      // The delay now in force comes with the refusal, so a screen can wait it out instead of
      // meeting AUTH_TOO_MANY_ATTEMPTS on the next try.
      const wait = Math.max(this.#throttle.waitMs(nameKey), this.#throttle.waitMs(addressKey));
      throw new AuthError(
        failure,
        failure === 'AUTH_LOGIN_FAILED' ? 'wrong account name or password' : 'wrong password',
        wait > 0 ? { retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) } : {},
      );
    }
    const found = account;
    if (found.disabled) throw new AuthError('AUTH_ACCOUNT_DISABLED', `account ${name} is disabled`);
    this.#throttle.succeed(nameKey);
    this.#throttle.succeed(addressKey);
    if (found.lockedAt !== undefined) await this.admin.unlock(name); // an expired lock, cleared
    if (this.hasher.needsRehash(found.password))
      await this.admin.rehash(name, password, found.password).catch(() => undefined);
    return found;
  }

  /**
   * Logs in: a new session; a session cookie presented with the login is ended (the id rotates).
   * @throws {AuthError} as #checkPassword with AUTH_LOGIN_FAILED
   */
  async login(
    name: string,
    password: string,
    address: string,
    presentedToken?: string,
  ): Promise<{ token: string; view: SessionView }> {
    const account = await this.#checkPassword(name, password, address, 'AUTH_LOGIN_FAILED');
    this.sessions.remove(presentedToken);
    this.sessions.sweep();
    const { token, session } = this.sessions.create(account.id, account.credentialVersion);
    return { token, view: this.#view(session, account.displayName, account.roles) };
  }

  /**
   * The officer behind a session token, with the session.
   * @param options.allowLocked answer for a locked session too (me, unlock, logout)
   * @param options.touch count this as the officer's action (default true)
   * @throws {AuthError} AUTH_SESSION_REQUIRED (none, unknown, forged, ended by a reset or disable),
   *   AUTH_SESSION_EXPIRED, AUTH_SESSION_LOCKED
   */
  async authenticate(
    token: string | undefined,
    options: { allowLocked?: boolean; touch?: boolean } = {},
  ): Promise<{ officer: Officer; session: Session; view: SessionView }> {
    const found = this.sessions.lookup(token);
    if (found.status === 'unknown') throw new AuthError('AUTH_SESSION_REQUIRED', 'no valid session');
    if (found.status === 'expired') throw new AuthError('AUTH_SESSION_EXPIRED', 'the session has ended');
    const { session } = found;
    const account = (await this.admin.file.read()).accounts.find((a) => a.id === session.accountId);
    if (!account || account.disabled || account.credentialVersion !== session.credentialVersion) {
      this.sessions.remove(token);
      throw new AuthError(
        'AUTH_SESSION_REQUIRED',
        'the session was ended (account reset, disabled or removed)',
      );
    }
    if (session.state === 'locked' && options.allowLocked !== true)
      throw new AuthError('AUTH_SESSION_LOCKED', 'the screen is locked; unlock it with the password');
    if (options.touch !== false) this.sessions.touch(session);
    return {
      officer: {
        id: account.id,
        displayName: account.displayName,
        roles: [...account.roles],
        sessionId: session.sessionId,
      },
      session,
      view: this.#view(session, account.displayName, account.roles),
    };
  }

  /**
   * Unlocks a locked (or active) session with the password; the token rotates.
   * @throws {AuthError} as authenticate, and as #checkPassword with AUTH_REAUTH_FAILED
   */
  async unlock(token: string | undefined, password: string, address: string) {
    const { officer, session } = await this.authenticate(token, { allowLocked: true, touch: false });
    const account = await this.#checkPassword(officer.id, password, address, 'AUTH_REAUTH_FAILED');
    if (token === undefined) throw new AuthError('AUTH_SESSION_REQUIRED', 'no valid session'); // refused above
    const fresh = this.sessions.rotate(token, session);
    return { token: fresh, view: this.#view(session, account.displayName, account.roles) };
  }

  /** Ends the session of `token`; whether there was one. */
  logout(token: string | undefined): boolean {
    return this.sessions.remove(token);
  }

  /**
   * Ends every session of an account here, and through the file any the CLI or another writer knows of.
   * @throws {AuthError} AUTH_ACCOUNT_UNKNOWN, AUTH_STORE_BUSY
   */
  async logoutAccount(accountId: string): Promise<number> {
    await this.admin.endSessions(accountId);
    for (const [id, grant] of this.#grants) if (grant.accountId === accountId) this.#grants.delete(id);
    return this.sessions.removeAccount(accountId);
  }

  /**
   * Re-authentication for signing: the password or the PIN again gives a one-use grant.
   * @throws {AuthError} as authenticate; AUTH_REAUTH_FAILED; AUTH_PIN_UNAVAILABLE; and as #checkPassword
   */
  async reauth(
    token: string | undefined,
    secret: { password: string } | { pin: string },
    address: string,
  ): Promise<SigningGrant> {
    const { officer, session } = await this.authenticate(token);
    let method: SigningGrant['method'];
    if ('password' in secret) {
      await this.#checkPassword(officer.id, secret.password, address, 'AUTH_REAUTH_FAILED');
      method = 'password';
    } else {
      const account = (await this.admin.file.read()).accounts.find((a) => a.id === officer.id);
      if (account?.pin === undefined || session.pinFailures >= MAX_PIN_FAILURES)
        throw new AuthError('AUTH_PIN_UNAVAILABLE', 'no PIN, or too many wrong PINs in this session');
      if (!(await this.hasher.verify(secret.pin, account.pin))) {
        session.pinFailures++;
        throw new AuthError('AUTH_REAUTH_FAILED', 'wrong PIN');
      }
      session.pinFailures = 0;
      method = 'pin';
    }
    const at = this.#clock.now();
    for (const [id, grant] of this.#grants) if (grant.expiresAt <= at) this.#grants.delete(id);
    const grant: SigningGrant = {
      grantId: randomBytes(24).toString('base64url'),
      accountId: officer.id,
      sessionId: session.sessionId,
      method,
      at,
      expiresAt: at + GRANT_MS,
    };
    this.#grants.set(createHash('sha256').update(grant.grantId).digest('hex'), grant);
    return grant;
  }

  /**
   * Uses a signing grant up: it is the officer's, fresh, and never used before.
   * @throws {AuthError} AUTH_GRANT_INVALID
   */
  consumeGrant(grantId: string, officer: Pick<Officer, 'id'>): SigningGrant {
    const key = createHash('sha256').update(grantId).digest('hex');
    const grant = this.#grants.get(key);
    if (!grant || grant.accountId !== officer.id)
      throw new AuthError('AUTH_GRANT_INVALID', 'no such signing grant for this officer');
    this.#grants.delete(key);
    if (grant.expiresAt <= this.#clock.now())
      throw new AuthError('AUTH_GRANT_INVALID', 'the signing grant expired');
    return grant;
  }

  /**
   * The officer sets their own PIN, confirming with the password.
   * @throws {AuthError} as authenticate and #checkPassword; AUTH_PASSWORD_POLICY
   */
  async setPin(token: string | undefined, password: string, pin: string, address: string): Promise<void> {
    const { officer } = await this.authenticate(token);
    await this.#checkPassword(officer.id, password, address, 'AUTH_REAUTH_FAILED');
    await this.admin.setPin(officer.id, pin);
  }

  /** A supervisor's unlock: the failure lock and the name's delay are lifted. */
  async unlockAccount(id: string): Promise<AccountView> {
    this.#throttle.succeed(`account:${id}`);
    this.#phantomLocks.delete(id);
    return this.admin.unlock(id);
  }

  /** An admin's reset: new password; the account's sessions end. */
  async resetAccount(id: string, password: string): Promise<AccountView> {
    const view = await this.admin.reset(id, password);
    this.sessions.removeAccount(id);
    this.#throttle.succeed(`account:${id}`);
    return view;
  }

  async setDisabled(id: string, disabled: boolean): Promise<AccountView> {
    const view = await this.admin.setDisabled(id, disabled);
    if (disabled) this.sessions.removeAccount(id);
    return view;
  }

  #view(session: Session, displayName: string, roles: readonly Role[]): SessionView {
    const { idleLockAt, expiresAt } = this.sessions.deadlines(session);
    return {
      account: { id: session.accountId, displayName, roles: [...roles] },
      session: {
        sessionId: session.sessionId,
        state: session.state,
        createdAt: iso(session.createdAt),
        expiresAt: iso(expiresAt),
        ...(idleLockAt === undefined ? {} : { idleLockAt: iso(idleLockAt) }),
      },
    };
  }

  /** An account as the admin routes show it. */
  async account(id: string): Promise<AccountView | undefined> {
    const account = (await this.admin.file.read()).accounts.find((a) => a.id === id);
    return account && viewOf(account, this.#clock.now());
  }
}
