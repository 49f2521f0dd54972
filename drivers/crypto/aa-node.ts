/**
 * `AaCrypto` (protocol/icao9303/active-auth.ts) on Node's `node:crypto` (OpenSSL 3).
 *
 * - Raw RSA public operation: `publicDecrypt` with `RSA_NO_PADDING` (OpenSSL's
 *   RSA_public_decrypt without a padding check); ISO 9796-2 is opened in the pure code.
 * - ECDSA: `verify` with `dsaEncoding: 'ieee-p1363'`, which takes the plain r‖s that AA uses
 *   (BSI TR-03111 §5.2.1). OpenSSL 3 knows the NIST/SEC curves and brainpoolP160…P512 r1/t1
 *   (`crypto.getCurves()`), and loads explicit prime-field parameters.
 */
import { constants, createHash, createPublicKey, type KeyObject, publicDecrypt, verify } from 'node:crypto';
import type { AaCrypto } from '../../protocol/icao9303/active-auth.ts';

/** The DG15 key cannot be used: OpenSSL does not load it, or it is not the expected type. */
export class AaKeyRejectedError extends Error {
  override readonly name = 'AaKeyRejectedError';
  readonly code = 'AA_KEY_REJECTED';
  /** The key type OpenSSL saw ('rsa', 'ec', 'ed25519' …), when it loaded the key. */
  readonly keyType: string | undefined;

  constructor(message: string, fields: { keyType?: string; cause?: unknown } = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.keyType = fields.keyType;
  }
}

function importKey(spki: Uint8Array, expected: 'rsa' | 'ec'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw new AaKeyRejectedError(
      `OpenSSL cannot load the DG15 public key: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const type = key.asymmetricKeyType;
  if (type !== expected)
    throw new AaKeyRejectedError(`the DG15 key is ${type ?? 'of unknown type'}, not ${expected}`, {
      ...(type === undefined ? {} : { keyType: type }),
    });
  return key;
}

/** The Node implementation of `AaCrypto`. Every method is stateless; keys are loaded per call. */
export function createNodeAaCrypto(): AaCrypto {
  return {
    /**
     * `block^e mod n`, left-padded to the modulus length (bytes).
     * Rejects with AaKeyRejectedError for a key that is not RSA or does not load, RangeError when
     * `block` is not the modulus length or not below the modulus.
     */
    async rsaPublicRaw(spki, block) {
      const key = importKey(spki, 'rsa');
      const length = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      if (block.length !== length)
        throw new RangeError(`RSA block of ${block.length} bytes for a ${length}-byte modulus`);
      let out: Buffer;
      try {
        out = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, block);
      } catch (error) {
        throw new RangeError('the RSA public operation refused the block (not below the modulus?)', {
          cause: error,
        });
      }
      if (out.length > length) throw new RangeError(`RSA result of ${out.length} bytes exceeds the modulus`);
      const result = new Uint8Array(length);
      result.set(out, length - out.length);
      return result;
    },

    /**
     * Resolves false for a signature that does not verify (wrong length, r or s out of range
     * included). Rejects with AaKeyRejectedError for a key that is not EC or does not load.
     */
    async verifyEcdsa(spki, hash, message, signature) {
      const key = importKey(spki, 'ec');
      try {
        return verify(hash, message, { key, dsaEncoding: 'ieee-p1363' }, signature);
      } catch {
        return false;
      }
    },

    async digest(hash, data) {
      return new Uint8Array(createHash(hash).update(data).digest());
    },
  };
}
