/**
 * The crypto an enrollment packet needs, injected (drivers/crypto/packet-node.ts on node:crypto),
 * so protocol/packet stays pure. Private keys are not here: signing and unwrapping go through
 * `PacketSigner` and `PacketDecryptor` (keys.ts).
 */
import type { SignatureCheck } from '../icao9303/pa.ts';

export type { SignatureCheck };

/**
 * Contract:
 * - `sha256` resolves the 32-byte digest.
 * - `randomBytes` resolves `length` bytes from a cryptographically secure generator.
 * - `aes256CbcEncrypt` pads with PKCS#7 (RFC 5652 §6.3); `aes256CbcDecrypt` rejects when the
 *   padding is wrong (a wrong key or altered ciphertext), and for a key not 32 or an IV not 16 bytes.
 * - `rsaOaepSha256Encrypt` wraps `key` with RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label) to the
 *   RSA key in `recipientSpki` (SubjectPublicKeyInfo DER); rejects for a key that is not RSA.
 * - `verifySignature` is PaCrypto's (protocol/icao9303/pa.ts): false for a wrong or malformed
 *   signature or key, rejects only for a scheme or curve the implementation lacks.
 */
export interface PacketCrypto {
  sha256(data: Uint8Array): Promise<Uint8Array>;
  randomBytes(length: number): Promise<Uint8Array>;
  aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
  rsaOaepSha256Encrypt(recipientSpki: Uint8Array, key: Uint8Array): Promise<Uint8Array>;
  verifySignature(check: SignatureCheck): Promise<boolean>;
}
