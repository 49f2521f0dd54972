/**
 * `PacketCrypto` (protocol/packet/crypto.ts) on Node's `node:crypto` (OpenSSL 3): SHA-256,
 * AES-256-CBC with PKCS#7 padding, RSAES-OAEP with SHA-256 and MGF1-SHA-256, a CSPRNG, and the
 * signature checks of `createNodePaCrypto` (ECDSA and RSA over X.509 and CMS).
 *
 * Large buffers are processed synchronously by OpenSSL here; the station runs packet building and
 * opening in a worker so its event loop stays free.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import type { PacketCrypto } from '../../protocol/packet/crypto.ts';
import { createNodePaCrypto } from './pa-node.ts';

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function checkKeyAndIv(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`AES-256 needs a 32-byte key, got ${key.length}`);
  if (iv.length !== 16) throw new RangeError(`AES-CBC needs a 16-byte IV, got ${iv.length}`);
}

/** The Node implementation of `PacketCrypto`. */
export function createNodePacketCrypto(): PacketCrypto {
  const pa = createNodePaCrypto();
  return {
    async sha256(data) {
      return bytes(createHash('sha256').update(data).digest());
    },
    async randomBytes(length) {
      return bytes(randomBytes(length));
    },
    async aes256CbcEncrypt(key, iv, plaintext) {
      checkKeyAndIv(key, iv);
      const cipher = createCipheriv('aes-256-cbc', key, iv);
      return bytes(Buffer.concat([cipher.update(plaintext), cipher.final()]));
    },
    async aes256CbcDecrypt(key, iv, ciphertext) {
      checkKeyAndIv(key, iv);
      const decipher = createDecipheriv('aes-256-cbc', key, iv);
      return bytes(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
    },
    async rsaOaepSha256Encrypt(recipientSpki, key) {
      const publicKey = createPublicKey({ key: Buffer.from(recipientSpki), format: 'der', type: 'spki' });
      if (publicKey.asymmetricKeyType !== 'rsa')
        throw new TypeError(`the recipient key is ${publicKey.asymmetricKeyType}, not RSA`);
      return bytes(
        publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key),
      );
    },
    verifySignature: (check) => pa.verifySignature(check),
  };
}
