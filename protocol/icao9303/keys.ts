/**
 * Key derivation for ICAO 9303 access control and secure messaging (9303-11 §9.7).
 *
 * KDF(K, c) = H(K || c) with c a 32-bit big-endian counter (1 = encryption, 2 = MAC, 3 = PACE
 * password), truncated to the cipher's key length: SHA-1 for 3DES and AES-128, SHA-256 for AES-192
 * and AES-256 (§9.7.1). 3DES keys are Ka||Kb, 16 bytes, with DES odd parity set in each byte's least
 * significant bit, as App. D.1 prints them (DES engines ignore that bit).
 */
import type { Icao9303Crypto } from './crypto.ts';

/** The ciphers whose keys the KDF produces (9303-11 §9.7.1). */
export type KdfCipher = '3des' | 'aes-128' | 'aes-192' | 'aes-256';

/** KDF counters (9303-11 §9.7.1). */
export const KDF_COUNTER = { ENC: 1, MAC: 2, PACE: 3 } as const;

/** Key length in bytes of each KDF cipher. */
export const KDF_KEY_LENGTH: Readonly<Record<KdfCipher, number>> = {
  '3des': 16,
  'aes-128': 16,
  'aes-192': 24,
  'aes-256': 32,
};

/** Largest shared secret or seed the KDF accepts, bytes (a DH-2048 secret is 256). */
export const KDF_SEED_MAX = 1024;

/**
 * Sets DES odd parity: each byte's least significant bit is chosen so the byte has an odd number of
 * one bits. Returns a new array.
 */
export function adjustParity(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) {
    const b = (key[i] ?? 0) & 0xfe;
    let ones = 0;
    for (let v = b; v !== 0; v >>= 1) ones += v & 1;
    out[i] = ones % 2 === 0 ? b | 1 : b;
  }
  return out;
}

/**
 * KDF(seed, counter) of 9303-11 §9.7.1. `seed` is the BAC key seed, K.IFD xor K.IC, the PACE or
 * Chip Authentication shared secret, or the PACE password π.
 * @throws {RangeError} for a counter outside 0..2^32-1 or a seed longer than `KDF_SEED_MAX` bytes.
 */
export function kdf(
  crypto: Icao9303Crypto,
  seed: Uint8Array,
  counter: number,
  cipher: KdfCipher,
): Uint8Array {
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff)
    throw new RangeError(`KDF counter must be a 32-bit unsigned integer, got ${counter}`);
  if (seed.length > KDF_SEED_MAX)
    throw new RangeError(`KDF seed of ${seed.length} bytes exceeds ${KDF_SEED_MAX}`);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  new DataView(input.buffer).setUint32(seed.length, counter, false);
  const length = KDF_KEY_LENGTH[cipher];
  if (cipher === '3des') return adjustParity(crypto.sha1(input).slice(0, length));
  const hash = cipher === 'aes-128' ? crypto.sha1(input) : crypto.sha256(input);
  return hash.slice(0, length);
}

/** Bytes of MRZ text (A-Z, 0-9, '<': all ASCII). */
export function mrzAscii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

/**
 * Kseed = SHA-1(MRZ_information)[0:16] (9303-11 §9.7.2; App. D.2). `mrzInformation` is the text
 * from mrz-info.ts `mrzInformation`, e.g. 'L898902C<369080619406236'.
 */
export function bacKeySeed(crypto: Icao9303Crypto, mrzInformation: string): Uint8Array {
  return crypto.sha1(mrzAscii(mrzInformation)).slice(0, 16);
}

/** The document basic access keys, 2-key 3DES each (16 bytes, parity adjusted). */
export interface BacKeys {
  readonly KEnc: Uint8Array;
  readonly KMac: Uint8Array;
}

/** KEnc = KDF(Kseed, 1), KMac = KDF(Kseed, 2), 3DES (9303-11 §9.7.2; App. D.1). */
export function bacKeysFromSeed(crypto: Icao9303Crypto, kseed: Uint8Array): BacKeys {
  return {
    KEnc: kdf(crypto, kseed, KDF_COUNTER.ENC, '3des'),
    KMac: kdf(crypto, kseed, KDF_COUNTER.MAC, '3des'),
  };
}

/** The BAC keys from MRZ_information text: `bacKeysFromSeed(bacKeySeed(mrzInformation))`. */
export function deriveBacKeys(crypto: Icao9303Crypto, mrzInformation: string): BacKeys {
  return bacKeysFromSeed(crypto, bacKeySeed(crypto, mrzInformation));
}

/** Session keys after BAC, PACE or Chip Authentication. */
export interface SessionKeys {
  readonly KSenc: Uint8Array;
  readonly KSmac: Uint8Array;
}

/** KSenc = KDF(seed, 1), KSmac = KDF(seed, 2) for the session's cipher (9303-11 §9.7.1). */
export function deriveSessionKeys(crypto: Icao9303Crypto, seed: Uint8Array, cipher: KdfCipher): SessionKeys {
  return {
    KSenc: kdf(crypto, seed, KDF_COUNTER.ENC, cipher),
    KSmac: kdf(crypto, seed, KDF_COUNTER.MAC, cipher),
  };
}
