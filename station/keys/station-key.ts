/**
 * A station key wherever it lives (a PKCS#8 file, or a PKCS#11 token), the CSR made with it, and
 * the protocol/packet seam (`PacketSigner`, `PacketDecryptor`) implemented over it.
 *
 * The PKCS#11 binding is native: it sits behind `native-pkcs11.ts`, imported here lazily, only when a
 * `pkcs11:` location is opened, so a station with file keys (or none) never loads it.
 */
import 'reflect-metadata';
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  sign as nodeSign,
  privateDecrypt,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PacketDecryptor, PacketSigner } from '../../protocol/packet/keys.ts';
import { derEcdsaToRaw } from './ecdsa.ts';
import { KeyError } from './errors.ts';
import { readSecretFile, writeFileAtomic } from './key-file.ts';
import { isPkcs11Uri, parsePkcs11Uri, redactPkcs11Uri } from './pkcs11-uri.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** An ECDSA P-256 signing key, in a file or a token. */
export interface StationKey {
  readonly kind: 'file' | 'pkcs11';
  /** Where the key is, safe to print (a file path, or the URI with its PIN masked). */
  readonly location: string;
  /** The public key as DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
  /** ECDSA P-256 over SHA-256(data); resolves DER Ecdsa-Sig-Value. Rejects with KeyError. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** Releases the token session (a no-op for files). */
  close(): Promise<void>;
}

/** An RSA key-transport key (RSAES-OAEP, SHA-256, MGF1-SHA-256, empty label). */
export interface DecryptionKey {
  readonly kind: 'file' | 'pkcs11';
  readonly location: string;
  readonly publicKeySpki: Uint8Array;
  /** Rejects with KeyError KEY_DECRYPT_FAILED when the data was not encrypted to this key. */
  decrypt(data: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface OpenKeyOptions {
  /** Where a `pkcs11:` URI's PIN and module defaults come from (STATION_PKCS11_PIN, ...). */
  readonly env?: NodeJS.ProcessEnv;
}

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

/**
 * Parses a private key file's text: unencrypted PKCS#8 PEM only.
 * @throws {KeyError} KEY_INVALID naming the format found and what is expected.
 */
function parsePkcs8Pem(bytes: Uint8Array, file: string, expect: 'ec' | 'rsa'): KeyObject {
  const text = new TextDecoder().decode(bytes);
  const wanted = expect === 'ec' ? 'an ECDSA P-256' : 'an RSA';
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) {
    const found = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
    throw new KeyError(
      'KEY_INVALID',
      `${file} is ${found === undefined ? 'not PEM' : `a PEM "${found}"`}; the station reads ${wanted} key as ` +
        `unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"). Convert it with 'openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW'.`,
      { file },
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (cause) {
    throw new KeyError('KEY_INVALID', `${file} holds no readable PKCS#8 private key: ${String(cause)}`, {
      file,
      cause,
    });
  }
  const ok =
    expect === 'ec'
      ? key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      : key.asymmetricKeyType === 'rsa';
  if (!ok) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw new KeyError(
      'KEY_INVALID',
      `${file} is a ${key.asymmetricKeyType}${curve === undefined ? '' : ` ${curve}`} key; ${wanted} key is needed`,
      { file },
    );
  }
  return key;
}

/**
 * Opens a signing key in a PKCS#8 PEM file (owner-only).
 * @throws {KeyError} KEY_FILE_UNREADABLE, KEY_FILE_PERMISSIONS, KEY_INVALID.
 */
export async function openFileKey(file: string): Promise<StationKey> {
  const key = parsePkcs8Pem(await readSecretFile(file), file, 'ec');
  return {
    kind: 'file',
    location: file,
    publicKeySpki: spkiOf(key),
    sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key, dsaEncoding: 'der' })),
    close: async () => undefined,
  };
}

/**
 * Creates a new ECDSA P-256 key and writes it to `file` as PKCS#8 PEM, mode 0600, atomically.
 * @throws {KeyError} KEY_EXISTS if `file` exists; KEY_FILE_UNREADABLE if it cannot be written.
 */
export async function createFileKey(file: string): Promise<StationKey> {
  const { privateKey } = await new Promise<{ privateKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: 'P-256' }, (error, _publicKey, privateKey) =>
      error ? reject(error) : resolve({ privateKey }),
    ),
  );
  await writeFileAtomic(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return openFileKey(file);
}

/**
 * Opens the signing key at `location`: a file path, or a `pkcs11:` URI (the binding loads then).
 * @throws {KeyError} as openFileKey, or the PKCS11_* codes of the token.
 */
export async function openStationKey(location: string, options: OpenKeyOptions = {}): Promise<StationKey> {
  if (!isPkcs11Uri(location)) return openFileKey(location);
  const uri = parsePkcs11Uri(location, options.env ?? process.env);
  const native = await loadNative(location);
  return native.openPkcs11SigningKey(uri, redactPkcs11Uri(location), options.env ?? process.env);
}

/**
 * Opens the key at `location`, or creates it when there is none (a missing file; a token without
 * an object of that label: the key pair is generated inside the token, non-extractable).
 * @returns the key and whether it was created now.
 */
export async function openOrCreateStationKey(
  location: string,
  options: OpenKeyOptions = {},
): Promise<{ key: StationKey; created: boolean }> {
  if (!isPkcs11Uri(location)) {
    try {
      return { key: await openFileKey(location), created: false };
    } catch (error) {
      if (
        !(
          error instanceof KeyError &&
          error.code === 'KEY_FILE_UNREADABLE' &&
          /does not exist/.test(error.message)
        )
      )
        throw error;
      return { key: await createFileKey(location), created: true };
    }
  }
  const uri = parsePkcs11Uri(location, options.env ?? process.env);
  const native = await loadNative(location);
  return native.openOrCreatePkcs11SigningKey(uri, redactPkcs11Uri(location), options.env ?? process.env);
}

/**
 * Opens an RSA decryption key: a PKCS#8 PEM file, or a `pkcs11:` URI (CKM_RSA_PKCS_OAEP in the token).
 * @throws {KeyError} as openStationKey, KEY_INVALID for a non-RSA key.
 */
export async function openDecryptionKey(
  location: string,
  options: OpenKeyOptions = {},
): Promise<DecryptionKey> {
  if (isPkcs11Uri(location)) {
    const uri = parsePkcs11Uri(location, options.env ?? process.env);
    const native = await loadNative(location);
    return native.openPkcs11DecryptionKey(uri, redactPkcs11Uri(location), options.env ?? process.env);
  }
  const key = parsePkcs8Pem(await readSecretFile(location), location, 'rsa');
  return {
    kind: 'file',
    location,
    publicKeySpki: spkiOf(key),
    decrypt: async (data) => {
      try {
        return new Uint8Array(
          privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data),
        );
      } catch (cause) {
        throw new KeyError(
          'KEY_DECRYPT_FAILED',
          `The key ${location} cannot unwrap this content key (RSA-OAEP-SHA256): it was encrypted to another recipient, or altered`,
          { file: location, cause },
        );
      }
    },
    close: async () => undefined,
  };
}

type NativePkcs11 = typeof import('./native-pkcs11.ts');

async function loadNative(location: string): Promise<NativePkcs11> {
  try {
    return await import('./native-pkcs11.ts');
  } catch (cause) {
    throw new KeyError(
      'PKCS11_MODULE_UNAVAILABLE',
      `Cannot load the PKCS#11 binding (pkcs11js) for ${redactPkcs11Uri(location)}: ${String(cause)}. Run 'npm run setup' to rebuild it.`,
      { cause },
    );
  }
}

/** The subject a station's CSR carries: CN = the station id. */
export function defaultSubject(stationId: string): string {
  return `CN=${stationId}`;
}

/**
 * Makes a PKCS#10 CSR signed by `key` (ECDSA with SHA-256), asking for the digitalSignature key usage.
 * The subject must name the station: its CN (or serialNumber) must be `stationId`.
 * @returns the CSR as PEM.
 * @throws {KeyError} KEY_SUBJECT_INVALID when the subject does not parse or does not name the station;
 *   the key's errors when it cannot sign.
 */
export async function createCsr(key: StationKey, subject: string, stationId: string): Promise<string> {
  let name: x509.Name;
  try {
    name = new x509.Name(subject);
  } catch (cause) {
    throw new KeyError(
      'KEY_SUBJECT_INVALID',
      `The subject '${subject}' is not a distinguished name like 'CN=${stationId}, O=...'`,
      {
        cause,
      },
    );
  }
  const named = [...name.getField('CN'), ...name.getField('2.5.4.5')];
  if (!named.includes(stationId))
    throw new KeyError(
      'KEY_SUBJECT_INVALID',
      `The subject '${subject}' does not name this station: its CN must be the station id '${stationId}' (stationId in the configuration)`,
    );
  const request = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name,
      keys: placeholderKeyPair(),
      signingAlgorithm: ECDSA_P256,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    },
    signingCrypto(key),
  );
  return request.toString('pem');
}

/**
 * @peculiar/x509 signs through a WebCrypto `Crypto`; this one answers only what its CSR generator
 * asks (exportKey spki, sign) and signs with the station key wherever it lives. WebCrypto ECDSA
 * signatures are raw r‖s, so the key's DER signature is converted back for it.
 */
function signingCrypto(key: StationKey): Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1] {
  const subtle = {
    exportKey: async (format: string) => {
      if (format !== 'spki') throw new TypeError(`signingCrypto exports spki only, not ${format}`);
      return key.publicKeySpki.slice().buffer;
    },
    sign: async (_algorithm: unknown, _key: unknown, data: ArrayBuffer | ArrayBufferView) => {
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      return derEcdsaToRaw(await key.sign(bytes)).buffer;
    },
  };
  return { subtle } as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1];
}

function placeholderKeyPair(): webcrypto.CryptoKeyPair {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  // Handles only: signingCrypto never looks inside them.
  return {
    publicKey: { algorithm, type: 'public', extractable: true, usages: ['verify'] },
    privateKey: { algorithm, type: 'private', extractable: false, usages: ['sign'] },
  } as unknown as webcrypto.CryptoKeyPair;
}

/**
 * Whether two DER SubjectPublicKeyInfos hold the same public key (compared as keys, so an encoder's
 * choice, such as a compressed EC point, does not matter); false when either does not parse.
 */
export function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  try {
    const ka = createPublicKey({ key: Buffer.from(a), format: 'der', type: 'spki' });
    const kb = createPublicKey({ key: Buffer.from(b), format: 'der', type: 'spki' });
    return ka.equals(kb);
  } catch {
    return false;
  }
}

/** The DER SubjectPublicKeyInfo of a certificate. */
export function certificateSpki(certificate: Uint8Array): Uint8Array {
  return new Uint8Array(new x509.X509Certificate(certificate).publicKey.rawData);
}

/**
 * The protocol/packet signer over `key` and its certificate.
 * @throws {KeyError} CERT_KEY_MISMATCH when the certificate is not the key's.
 */
export function packetSigner(
  key: StationKey,
  certificate: Uint8Array,
  chain: readonly Uint8Array[] = [],
): PacketSigner & { readonly key: StationKey; close(): Promise<void> } {
  if (!samePublicKey(certificateSpki(certificate), key.publicKeySpki))
    throw new KeyError(
      'CERT_KEY_MISMATCH',
      `The certificate does not belong to the key ${key.location}: its public key differs`,
    );
  return { certificate, chain, key, sign: (data) => key.sign(data), close: () => key.close() };
}

/**
 * The protocol/packet decryptor over `key` and its certificate.
 * @throws {KeyError} CERT_KEY_MISMATCH when the certificate is not the key's.
 */
export function packetDecryptor(
  key: DecryptionKey,
  certificate: Uint8Array,
): PacketDecryptor & { readonly key: DecryptionKey; close(): Promise<void> } {
  if (!samePublicKey(certificateSpki(certificate), key.publicKeySpki))
    throw new KeyError(
      'CERT_KEY_MISMATCH',
      `The certificate does not belong to the key ${key.location}: its public key differs`,
    );
  return { certificate, key, unwrapKey: (data) => key.decrypt(data), close: () => key.close() };
}
