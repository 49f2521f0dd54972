/**
 * The cryptographic primitives ICAO 9303 access control and secure messaging need, injected so that
 * protocol/ stays pure (no `node:crypto`). The Node implementation is `drivers/crypto/node-crypto.ts`;
 * tests may pass any other.
 *
 * Deliberately small: every function is synchronous, takes and returns fresh `Uint8Array`s, and
 * never pads. Built on top of it in pure code: the retail MAC (ISO/IEC 9797-1 MAC algorithm 3) from
 * 2-key 3DES-CBC, AES-CMAC (RFC 4493) from AES-CBC, the 9303-11 §9.7.1 KDF from SHA-1/SHA-256.
 *
 * Single DES is not a separate primitive: 2-key 3DES with Ka = Kb is single DES
 * (E_K(D_K(E_K(x))) = E_K(x)), which is how mac.ts computes the retail MAC's CBC part. That keeps
 * implementations off OpenSSL 3's legacy provider, which alone has `des-cbc`/`des-ecb`.
 */

export interface Icao9303Crypto {
  /** SHA-1 digest, 20 bytes (BAC key seed, KDF for 3DES and AES-128, 9303-11 §9.7.1). */
  sha1(data: Uint8Array): Uint8Array;
  /** SHA-256 digest, 32 bytes (KDF for AES-192/256; Passive Authentication). */
  sha256(data: Uint8Array): Uint8Array;
  /** SHA-384 digest, 48 bytes (Passive Authentication). */
  sha384(data: Uint8Array): Uint8Array;
  /** SHA-512 digest, 64 bytes (Passive Authentication). */
  sha512(data: Uint8Array): Uint8Array;
  /**
   * 2-key 3DES (EDE, K1 = K3) in CBC mode without padding.
   * `key` is 16 bytes Ka||Kb (parity bits ignored), `iv` 8 bytes, `data` a multiple of 8 bytes.
   * @throws {RangeError} for other lengths.
   */
  tdesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** Inverse of `tdesCbcEncrypt`; same lengths. @throws {RangeError} for other lengths. */
  tdesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * AES in CBC mode without padding. `key` is 16, 24 or 32 bytes, `iv` 16 bytes, `data` a multiple
   * of 16 bytes. @throws {RangeError} for other lengths.
   */
  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** Inverse of `aesCbcEncrypt` (also PACE's nonce decryption). @throws {RangeError} for other lengths. */
  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * AES in ECB mode without padding (the AES secure-messaging IV is AES-ECB(KSenc, SSC),
   * 9303-11 §9.8). `key` 16, 24 or 32 bytes; `data` a multiple of 16 bytes.
   * @throws {RangeError} for other lengths.
   */
  aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** `n` bytes from a cryptographically secure generator (RND.IFD, K.IFD, challenges). */
  randomBytes(n: number): Uint8Array;
}
