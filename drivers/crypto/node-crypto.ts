/**
 * `Icao9303Crypto` on Node's `node:crypto` (OpenSSL 3).
 *
 * OpenSSL 3's default provider has `des-ede-cbc` (2-key 3DES) and the AES modes; single-DES ciphers
 * (`des-cbc`, `des-ecb`) need the legacy provider, which the interface avoids needing (see
 * protocol/icao9303/crypto.ts). Every result is copied into a plain `Uint8Array` so no caller holds
 * a view into Node's shared buffer pool.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Icao9303Crypto } from '../../protocol/icao9303/crypto.ts';

function digest(algorithm: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(data).digest());
}

function check(name: string, value: Uint8Array, lengths: readonly number[]): void {
  if (!lengths.includes(value.length))
    throw new RangeError(`${name} must be ${lengths.join(' or ')} bytes, got ${value.length}`);
}

function checkBlocks(data: Uint8Array, blockSize: number): void {
  if (data.length % blockSize !== 0)
    throw new RangeError(`data of ${data.length} bytes is not a multiple of the ${blockSize}-byte block`);
}

function run(
  mode: 'encrypt' | 'decrypt',
  algorithm: string,
  key: Uint8Array,
  iv: Uint8Array | null,
  data: Uint8Array,
): Uint8Array {
  const cipher =
    mode === 'encrypt' ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
  cipher.setAutoPadding(false);
  const head = cipher.update(data);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

function aesName(key: Uint8Array, mode: 'cbc' | 'ecb'): string {
  check('AES key', key, [16, 24, 32]);
  return `aes-${key.length * 8}-${mode}`;
}

function tdes(mode: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  check('3DES key', key, [16]);
  check('3DES IV', iv, [8]);
  checkBlocks(data, 8);
  return run(mode, 'des-ede-cbc', key, iv, data);
}

function aesCbc(mode: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const name = aesName(key, 'cbc');
  check('AES IV', iv, [16]);
  checkBlocks(data, 16);
  return run(mode, name, key, iv, data);
}

/** Builds the Node implementation (stateless; one shared instance is fine). */
export function createNodeIcao9303Crypto(): Icao9303Crypto {
  return {
    sha1: (data) => digest('sha1', data),
    sha256: (data) => digest('sha256', data),
    sha384: (data) => digest('sha384', data),
    sha512: (data) => digest('sha512', data),
    tdesCbcEncrypt: (key, iv, data) => tdes('encrypt', key, iv, data),
    tdesCbcDecrypt: (key, iv, data) => tdes('decrypt', key, iv, data),
    aesCbcEncrypt: (key, iv, data) => aesCbc('encrypt', key, iv, data),
    aesCbcDecrypt: (key, iv, data) => aesCbc('decrypt', key, iv, data),
    aesEcbEncrypt: (key, data) => {
      const name = aesName(key, 'ecb');
      checkBlocks(data, 16);
      return run('encrypt', name, key, null, data);
    },
    randomBytes: (n) => {
      if (!Number.isInteger(n) || n < 0 || n > 65536)
        throw new RangeError(`randomBytes: n must be 0..65536, got ${n}`);
      return new Uint8Array(randomBytes(n));
    },
  };
}

/** A shared instance of the Node implementation. */
export const nodeIcao9303Crypto: Icao9303Crypto = createNodeIcao9303Crypto();
