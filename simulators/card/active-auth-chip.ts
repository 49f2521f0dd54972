/**
 * The chip's side of Active Authentication (ICAO 9303-11 §6.1): what a simulated card answers to
 * INTERNAL AUTHENTICATE with the private key behind its DG15.
 *
 * - RSA: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery. The block is
 *   `6A ‖ M1 ‖ H ‖ trailer` as long as the modulus, M1 a fresh nonce filling the space,
 *   H = hash(M1 ‖ challenge), trailer BC for SHA-1 (or 33 CC on request) and `xx CC` (ISO/IEC
 *   10118-3 identifier) for the others; signed with the raw private operation.
 * - EC: ECDSA over the challenge, plain r‖s (BSI TR-03111 §5.2.1).
 */
import { constants, createHash, type KeyObject, privateEncrypt, randomBytes, sign } from 'node:crypto';
import { iso9796HashIdentifier } from '../../protocol/icao9303/active-auth.ts';
import { HASH_LENGTH, type HashAlgorithm } from '../../protocol/icao9303/sod.ts';

export interface ActiveAuthenticationSignOptions {
  /** RSA: the hash in the ISO 9796-2 block, default 'sha1' (trailer BC). EC: default 'sha256'. */
  readonly hash?: HashAlgorithm;
  /** RSA with SHA-1: write the explicit trailer 33 CC instead of the implicit BC. */
  readonly explicitTrailer?: boolean;
  /** RSA: the source of M1 (default a CSPRNG); tests pass a seeded one. */
  readonly random?: (length: number) => Uint8Array;
}

/**
 * The chip's INTERNAL AUTHENTICATE response data for `challenge`.
 * @throws {TypeError} for a key that is not an RSA or EC private key.
 * @throws {RangeError} for an RSA modulus that is not a whole number of bytes or too short for
 *   the hash (at least one byte of M1 must fit), or a `random` that returns the wrong length.
 */
export function signActiveAuthentication(
  privateKey: KeyObject,
  challenge: Uint8Array,
  options: ActiveAuthenticationSignOptions = {},
): Uint8Array {
  if (privateKey.type !== 'private') throw new TypeError('Active Authentication signs with a private key');
  const type = privateKey.asymmetricKeyType;
  if (type === 'ec') {
    const hash = options.hash ?? 'sha256';
    return new Uint8Array(sign(hash, challenge, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  }
  if (type !== 'rsa') throw new TypeError(`no Active Authentication for ${type ?? 'unknown'} keys`);

  const hash = options.hash ?? 'sha1';
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits % 8 !== 0) throw new RangeError(`RSA modulus of ${bits} bits is not a whole number of bytes`);
  const length = bits / 8;
  const trailer =
    hash === 'sha1' && !options.explicitTrailer
      ? Uint8Array.of(0xbc)
      : Uint8Array.of(iso9796HashIdentifier(hash), 0xcc);
  const m1Length = length - 1 - HASH_LENGTH[hash] - trailer.length;
  if (m1Length < 1) throw new RangeError(`a ${bits}-bit modulus has no room for M1 with ${hash}`);
  const m1 = (options.random ?? ((n: number) => new Uint8Array(randomBytes(n))))(m1Length);
  if (m1.length !== m1Length) throw new RangeError(`random returned ${m1.length} bytes, not ${m1Length}`);

  const block = new Uint8Array(length);
  block[0] = 0x6a; // header '01', more-data bit 1 (partial recovery), padding '0' + 'A'
  block.set(m1, 1);
  block.set(createHash(hash).update(m1).update(challenge).digest(), 1 + m1Length);
  block.set(trailer, length - trailer.length);
  // 6A… is below 2^(8·length − 1) ≤ n, so the raw private operation accepts it.
  return new Uint8Array(privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block));
}
