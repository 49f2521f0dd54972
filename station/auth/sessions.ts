/**
 * Server-side sessions, in memory: a restart of the station logs every officer out.
 *
 * The cookie carries a random 32-byte token (base64url); the table keeps only its SHA-256, so a heap
 * dump or a debugging print of the table gives no live cookie. Each session also has a public id
 * (`sessionId`, random, never accepted as a credential) that the audit trail and the workflows name.
 *
 * Time is the injected clock's monotonic time: the idle lock (the screen locks itself; only the
 * password unlocks it) and the absolute lifetime do not move when the wall clock is set.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';

/** Token length, bytes (256 bits). */
export const TOKEN_BYTES = 32;

export type SessionState = 'active' | 'locked';

export interface Session {
  /** Public id for logs and the audit trail; not a credential. */
  readonly sessionId: string;
  readonly accountId: string;
  /** The account's credentialVersion at login: a reset or disable since ends the session. */
  readonly credentialVersion: number;
  /** Wall time of login, ms since the epoch. */
  readonly createdAt: number;
  /** Monotonic ms at login. */
  readonly createdMono: number;
  /** Monotonic ms of the officer's last action. */
  lastActivity: number;
  state: SessionState;
  /** Wrong PINs in this session (PIN re-authentication stops after MAX_PIN_FAILURES). */
  pinFailures: number;
}

export type Lookup =
  | { readonly status: 'unknown' }
  | { readonly status: 'expired'; readonly session: Session }
  | { readonly status: 'ok'; readonly session: Session };

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A token is 43 base64url characters; anything else is not looked up at all. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class SessionTable {
  readonly #clock: Clock;
  /** Idle time before the screen locks, ms. */
  readonly idleMs: number;
  /** Absolute lifetime, ms. */
  readonly lifetimeMs: number;
  readonly #byDigest = new Map<string, Session>();

  constructor(clock: Clock, options: { idleMs: number; lifetimeMs: number }) {
    this.#clock = clock;
    this.idleMs = options.idleMs;
    this.lifetimeMs = options.lifetimeMs;
  }

  get size(): number {
    return this.#byDigest.size;
  }

  /** A new active session; returns the token for the cookie (shown once, never stored). */
  create(accountId: string, credentialVersion: number): { token: string; session: Session } {
    const now = this.#clock.monotonic();
    const session: Session = {
      sessionId: randomBytes(12).toString('base64url'),
      accountId,
      credentialVersion,
      createdAt: this.#clock.now(),
      createdMono: now,
      lastActivity: now,
      state: 'active',
      pinFailures: 0,
    };
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    this.#byDigest.set(tokenDigest(token), session);
    return { token, session };
  }

  /**
   * The session of `token`, its idle lock applied (an active session idle for idleMs becomes locked).
   * An expired session is removed and reported once as expired.
   */
  lookup(token: string | undefined): Lookup {
    if (token === undefined || !TOKEN_PATTERN.test(token)) return { status: 'unknown' };
    const digest = tokenDigest(token);
    const session = this.#byDigest.get(digest);
    if (!session) return { status: 'unknown' };
    const now = this.#clock.monotonic();
    if (now - session.createdMono >= this.lifetimeMs) {
      this.#byDigest.delete(digest);
      return { status: 'expired', session };
    }
    if (session.state === 'active' && now - session.lastActivity >= this.idleMs) session.state = 'locked';
    return { status: 'ok', session };
  }

  /** Marks the officer's action now (keeps an active session from locking). */
  touch(session: Session): void {
    if (session.state === 'active') session.lastActivity = this.#clock.monotonic();
  }

  /**
   * Moves the session to a new token (after login or unlock) and makes it active; the old token is
   * refused from now on.
   */
  rotate(oldToken: string, session: Session): string {
    this.#byDigest.delete(tokenDigest(oldToken));
    session.state = 'active';
    session.lastActivity = this.#clock.monotonic();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    this.#byDigest.set(tokenDigest(token), session);
    return token;
  }

  /** Ends the session of `token`; whether there was one. */
  remove(token: string | undefined): boolean {
    if (token === undefined) return false;
    return this.#byDigest.delete(tokenDigest(token));
  }

  /** Ends every session of an account ("logout everywhere"); how many. */
  removeAccount(accountId: string): number {
    let count = 0;
    for (const [digest, session] of this.#byDigest) {
      if (session.accountId === accountId) {
        this.#byDigest.delete(digest);
        count++;
      }
    }
    return count;
  }

  /** Drops expired sessions (called now and then, so the table does not keep forgotten ones). */
  sweep(): void {
    const now = this.#clock.monotonic();
    for (const [digest, session] of this.#byDigest)
      if (now - session.createdMono >= this.lifetimeMs) this.#byDigest.delete(digest);
  }

  /** When the session locks itself and when it ends, wall ms. */
  deadlines(session: Session): { idleLockAt: number | undefined; expiresAt: number } {
    const wallOffset = this.#clock.now() - this.#clock.monotonic();
    return {
      idleLockAt: session.state === 'active' ? session.lastActivity + this.idleMs + wallOffset : undefined,
      expiresAt: session.createdAt + this.lifetimeMs,
    };
  }
}
