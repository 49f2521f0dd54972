/**
 * Password and PIN hashing with scrypt (RFC 7914) through node:crypto's asynchronous `scrypt`, which
 * runs on libuv's thread pool, so a login never holds the event loop that serves the screen.
 *
 * Production parameters: N = 2^15, r = 8, p = 1, 32-byte key, 16-byte random salt. scrypt needs
 * 128·N·r·p bytes = 32 MiB of memory per hash; Node refuses anything at or above its default `maxmem`
 * of 32 MiB, so `maxmem` is set to 64 MiB. Each stored hash carries its parameters, so they can be
 * raised later: old hashes still verify with their own parameters and `needsRehash` says when to
 * replace them (done at the next successful login).
 *
 * Parameters read from the accounts file are bounded (`MAX_*`): a hand-edited or planted file must
 * not make one login allocate gigabytes.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.ts';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
  /** Derived key length, bytes. */
  readonly keylen: number;
}

/** What the accounts file stores for a password or a PIN. */
export interface StoredHash extends ScryptParams {
  readonly alg: 'scrypt';
  /** base64 */
  readonly salt: string;
  /** base64 */
  readonly hash: string;
}

export const PRODUCTION_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1, keylen: 32 };
/** Salt length, bytes. */
export const SALT_BYTES = 16;
/** Memory allowed to one scrypt call, bytes (it needs 128·N·r·p = 32 MiB at the production parameters). */
export const SCRYPT_MAXMEM = 64 * 1024 * 1024;

/** Bounds for parameters read from the file: N ≤ 2^20, r ≤ 32, p ≤ 16, 128·N·r·p ≤ 256 MiB. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;

/** Smallest password, characters (NIST SP 800-63B asks for at least 8; we ask 10). */
export const MIN_PASSWORD_LENGTH = 10;
/** Longest password, characters: beyond this scrypt still works, but nobody types it. */
export const MAX_PASSWORD_LENGTH = 256;
/** A PIN: 6 to 12 digits. */
export const PIN_PATTERN = /^[0-9]{6,12}$/;

function memoryOf(params: ScryptParams): number {
  return 128 * params.N * params.r * params.p;
}

/** @throws {AuthError} AUTH_STORE_INVALID when the parameters are not a power-of-two N within the bounds. */
export function checkParams(params: ScryptParams): void {
  const { N, r, p, keylen } = params;
  const ok =
    Number.isInteger(N) &&
    N >= 2 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= MAX_R &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= MAX_P &&
    Number.isInteger(keylen) &&
    keylen >= 16 &&
    keylen <= 64 &&
    memoryOf(params) <= MAX_MEMORY;
  if (!ok)
    throw new AuthError(
      'AUTH_STORE_INVALID',
      `scrypt parameters N=${N} r=${r} p=${p} keylen=${keylen} are outside the bounds (N a power of two ≤ 2^20, r ≤ 32, p ≤ 16, 128·N·r·p ≤ 256 MiB, keylen 16..64)`,
    );
}

function derive(secret: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const maxmem = Math.max(SCRYPT_MAXMEM, memoryOf(params) * 2);
  return new Promise((resolve, reject) => {
    scrypt(
      secret.normalize('NFC'),
      salt,
      params.keylen,
      { N: params.N, r: params.r, p: params.p, maxmem },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/**
 * Hashes, verifies and judges passwords; one instance per station, with the parameters new hashes get.
 * Tests pass low parameters (e.g. N = 2^10) to stay fast; `verifications` counts scrypt runs, so a test
 * can see that an unknown account costs one as a known one does.
 */
export class PasswordHasher {
  readonly params: ScryptParams;
  /** scrypt runs by `verify` (including those against the dummy hash). */
  verifications = 0;
  #dummy: Promise<StoredHash> | undefined;

  constructor(params: ScryptParams = PRODUCTION_SCRYPT) {
    checkParams(params);
    this.params = params;
  }

  /** A new salted hash of `secret` (NFC-normalised first: the same word typed on two keyboards). */
  async hash(secret: string): Promise<StoredHash> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(secret, salt, this.params);
    return { alg: 'scrypt', ...this.params, salt: salt.toString('base64'), hash: key.toString('base64') };
  }

  /**
   * Whether `secret` matches `stored`, compared in constant time. With `stored` undefined (an unknown
   * account) it runs scrypt against a dummy hash of the same parameters and answers false, so the
   * answer takes the same time either way.
   * @throws {AuthError} AUTH_STORE_INVALID when the stored parameters are out of bounds.
   */
  async verify(secret: string, stored: StoredHash | undefined): Promise<boolean> {
    const target = stored ?? (await this.dummy());
    checkParams(target);
    const salt = Buffer.from(target.salt, 'base64');
    const expected = Buffer.from(target.hash, 'base64');
    this.verifications++;
    const key = await derive(secret, salt, target);
    const same = expected.length === key.length && timingSafeEqual(expected, key);
    return stored !== undefined && same;
  }

  /** A stored hash made with weaker parameters than the current ones. */
  needsRehash(stored: StoredHash): boolean {
    return (
      stored.N < this.params.N ||
      stored.r < this.params.r ||
      stored.p < this.params.p ||
      stored.keylen < this.params.keylen
    );
  }

  /** The dummy hash unknown accounts are checked against (made once, of a random secret). */
  dummy(): Promise<StoredHash> {
    this.#dummy ??= this.hash(randomBytes(18).toString('base64'));
    return this.#dummy;
  }
}

/**
 * @throws {AuthError} AUTH_PASSWORD_POLICY when the password is shorter than MIN_PASSWORD_LENGTH or
 *   longer than MAX_PASSWORD_LENGTH characters (counted after NFC normalisation).
 */
export function checkPasswordPolicy(password: string): void {
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH)
    throw new AuthError(
      'AUTH_PASSWORD_POLICY',
      `a password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters; this one has ${length}`,
    );
}

/** @throws {AuthError} AUTH_PASSWORD_POLICY when the PIN is not 6 to 12 digits. */
export function checkPinPolicy(pin: string): void {
  if (!PIN_PATTERN.test(pin)) throw new AuthError('AUTH_PASSWORD_POLICY', 'a PIN is 6 to 12 digits');
}
