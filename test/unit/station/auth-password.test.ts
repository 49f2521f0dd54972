import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../station/auth/errors.ts';
import {
  checkParams,
  checkPasswordPolicy,
  checkPinPolicy,
  PasswordHasher,
  PRODUCTION_SCRYPT,
  SALT_BYTES,
  SCRYPT_MAXMEM,
} from '../../../station/auth/password.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };

describe('password hashing', () => {
  it('uses N=2^15, r=8, p=1, a 32-byte key and a 16-byte salt in production, and verifies', async () => {
    expect(PRODUCTION_SCRYPT).toEqual({ N: 32768, r: 8, p: 1, keylen: 32 });
    // 128·N·r = 32 MiB is exactly Node's default maxmem, which it refuses: ours must be larger.
    expect(SCRYPT_MAXMEM).toBeGreaterThan(128 * 32768 * 8);
    const hasher = new PasswordHasher();
    const stored = await hasher.hash('Mật khẩu an toàn 2026');
    expect(stored).toMatchObject({ alg: 'scrypt', N: 32768, r: 8, p: 1, keylen: 32 });
    expect(Buffer.from(stored.salt, 'base64')).toHaveLength(SALT_BYTES);
    // Independently recomputed with the synchronous API: the stored hash is scrypt of the NFC text.
    const expected = scryptSync(
      'Mật khẩu an toàn 2026'.normalize('NFC'),
      Buffer.from(stored.salt, 'base64'),
      32,
      {
        N: 32768,
        r: 8,
        p: 1,
        maxmem: 64 * 1024 * 1024,
      },
    );
    expect(stored.hash).toBe(expected.toString('base64'));
    expect(await hasher.verify('Mật khẩu an toàn 2026', stored)).toBe(true);
    expect(await hasher.verify('Mật khẩu an toàn 2027', stored)).toBe(false);
  });

  it('matches the RFC 7914 section 12 test vector (N=16, r=1, p=1, empty password and salt)', async () => {
    const hasher = new PasswordHasher({ N: 16, r: 1, p: 1, keylen: 64 });
    const stored = { alg: 'scrypt' as const, N: 16, r: 1, p: 1, keylen: 64, salt: '', hash: '' };
    const vector =
      '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906';
    expect(await hasher.verify('', { ...stored, hash: Buffer.from(vector, 'hex').toString('base64') })).toBe(
      true,
    );
  });

  it('treats the same word typed composed or decomposed (NFC) as one password', async () => {
    const hasher = new PasswordHasher(FAST);
    const stored = await hasher.hash('Nguyễn Thị Ánh 99');
    expect(await hasher.verify('Nguyễn Thị Ánh 99'.normalize('NFD'), stored)).toBe(true);
  });

  it('checks an unknown account against a dummy hash: one scrypt run, always false', async () => {
    const hasher = new PasswordHasher(FAST);
    const dummy = await hasher.dummy();
    expect(dummy).toMatchObject(FAST);
    expect(await hasher.verify('whatever password', undefined)).toBe(false);
    expect(hasher.verifications).toBe(1);
  });

  it('verifies an old hash with its own parameters and says it needs a rehash', async () => {
    const old = new PasswordHasher(FAST);
    const stored = await old.hash('mật khẩu cũ 12345');
    const current = new PasswordHasher({ ...FAST, N: 2 ** 11 });
    expect(await current.verify('mật khẩu cũ 12345', stored)).toBe(true);
    expect(current.needsRehash(stored)).toBe(true);
    expect(current.needsRehash(await current.hash('x'.repeat(10)))).toBe(false);
  });

  it('refuses parameters from the file that would cost too much memory or are not scrypt-valid', async () => {
    const hasher = new PasswordHasher(FAST);
    const stored = await hasher.hash('mật khẩu cũ 12345');
    for (const bad of [
      { N: 2 ** 21 },
      { N: 1000 },
      { r: 0 },
      { p: 17 },
      { keylen: 8 },
      { N: 2 ** 20, r: 8, p: 1 }, // 1 GiB
    ]) {
      const error = await hasher.verify('mật khẩu cũ 12345', { ...stored, ...bad }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe('AUTH_STORE_INVALID');
    }
    expect(() => checkParams({ N: 2 ** 14, r: 8, p: 1, keylen: 32 })).not.toThrow();
  });

  it('asks at least 10 characters of a password and 6 to 12 digits of a PIN', () => {
    expect(() => checkPasswordPolicy('123456789')).toThrow(AuthError);
    expect(() => checkPasswordPolicy('1234567890')).not.toThrow();
    // Characters, not UTF-16 units or bytes: ten Vietnamese letters are ten.
    expect(() => checkPasswordPolicy('ễễễễễễễễễễ')).not.toThrow();
    expect(() => checkPasswordPolicy('x'.repeat(257))).toThrow(AuthError);
    expect(() => checkPinPolicy('12345')).toThrow(AuthError);
    expect(() => checkPinPolicy('123456')).not.toThrow();
    expect(() => checkPinPolicy('12345a')).toThrow(AuthError);
    expect(() => checkPinPolicy('1234567890123')).toThrow(AuthError);
  });
});
