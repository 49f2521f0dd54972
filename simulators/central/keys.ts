/**
 * The simulated central service's key-transport key and certificate (issue 17): RSA-3072, made on the
 * first start and kept in the central's data directory, then reused at every later start. A new key
 * at each start would strand every queued packet encrypted to the old one.
 *
 *   <dataDir>/central.key   PKCS#8 PEM, mode 0600 (refused if group or others can read or write it)
 *   <dataDir>/central.crt   self-signed X.509 (PEM), keyUsage keyEncipherment
 *
 * Both are written to a temporary file, fsync'd and then linked/renamed into place, so a crash leaves
 * whole files; a key without its certificate (a crash between the two) gets a new certificate for
 * the same key. Self-contained: simulators do not import station/.
 */
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  constants as cryptoConstants,
  type KeyObject,
  privateDecrypt,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { PacketDecryptor } from '../../protocol/packet/keys.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const CENTRAL_KEY_FILE = 'central.key';
export const CENTRAL_CERT_FILE = 'central.crt';
/** RSA modulus, bits. */
export const CENTRAL_KEY_BITS = 3072;
const VALID_DAYS = 3650;
const DAY_MS = 86_400_000;
const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export type CentralKeyErrorCode =
  | 'CENTRAL_KEY_PERMISSIONS'
  | 'CENTRAL_KEY_INVALID'
  | 'CENTRAL_KEY_UNWRAP_FAILED';

export class CentralKeyError extends Error {
  override readonly name = 'CentralKeyError';
  readonly code: CentralKeyErrorCode;
  readonly file: string | undefined;
  constructor(code: CentralKeyErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
  }
}

export interface CentralKeys {
  readonly keyFile: string;
  readonly certificateFile: string;
  /** The certificate, DER. */
  readonly certificate: Uint8Array;
  /** Unwraps content keys encrypted to `certificate` with RSA-OAEP (SHA-256, MGF1-SHA-256). */
  readonly decryptor: PacketDecryptor;
  /** True when this start minted the key (the first start). */
  readonly created: boolean;
}

/**
 * Loads the central simulator's key and certificate from `dataDir`, minting them on the first start.
 * @param now when a certificate is minted, its notBefore (ms precision dropped by X.509).
 * @throws {CentralKeyError} CENTRAL_KEY_PERMISSIONS for a key file open to group or others (with the
 *   chmod fix); CENTRAL_KEY_INVALID for a key file that is not an RSA PKCS#8 PEM key.
 */
export async function loadOrCreateCentralKeys(dataDir: string, now: Date = new Date()): Promise<CentralKeys> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dataDir, CENTRAL_KEY_FILE);
  const certificateFile = path.join(dataDir, CENTRAL_CERT_FILE);

  let created = false;
  let privateKey = await readKey(keyFile);
  if (privateKey === undefined) {
    const pem = await mintKeyPem();
    try {
      await writeAtomic(keyFile, pem, 0o600, false);
      created = true;
    } catch (error) {
      // Another start of the same central won the race: use its key.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    privateKey = await readKey(keyFile);
    if (privateKey === undefined)
      throw new CentralKeyError('CENTRAL_KEY_INVALID', `${keyFile} vanished while starting`);
  }
  const publicKey = createPublicKey(privateKey);

  let certificate = await readCertificate(certificateFile);
  if (
    certificate === undefined ||
    !createPublicKey(new x509.X509Certificate(certificate).toString('pem')).equals(publicKey)
  ) {
    certificate = await mintCertificate(privateKey, now);
    await writeAtomic(certificateFile, new x509.X509Certificate(certificate).toString('pem'), 0o644, true);
  }

  const key = privateKey;
  return {
    keyFile,
    certificateFile,
    certificate,
    created,
    decryptor: decryptorFor(key, certificate),
  };
}

function decryptorFor(key: KeyObject, certificate: Uint8Array): PacketDecryptor {
  return {
    certificate,
    unwrapKey: async (encryptedKey) => {
      try {
        return new Uint8Array(
          privateDecrypt(
            { key, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
            encryptedKey,
          ),
        );
      } catch (cause) {
        throw new CentralKeyError(
          'CENTRAL_KEY_UNWRAP_FAILED',
          'The central key cannot unwrap this content key (RSA-OAEP-SHA256): the packet was encrypted to another recipient',
          { cause },
        );
      }
    },
  };
}

/** Where replaced key-transport keys are kept (`<sha256 of the certificate>.key` / `.crt`). */
export const CENTRAL_KEY_HISTORY_DIR = 'key-transport-history';

/**
 * Rotates the key-transport key: the current key and certificate move to `key-transport-history/`
 * (kept, so packets already encrypted to them stay readable) and a new pair is minted.
 * @returns the new keys.
 * @throws {CentralKeyError} as loadOrCreateCentralKeys.
 */
export async function rotateCentralKeys(dataDir: string, now: Date = new Date()): Promise<CentralKeys> {
  const current = await loadOrCreateCentralKeys(dataDir, now);
  const history = path.join(dataDir, CENTRAL_KEY_HISTORY_DIR);
  await fs.mkdir(history, { recursive: true, mode: 0o700 });
  const name = createHash('sha256').update(current.certificate).digest('hex');
  // Copy into the history first (durably), then remove the current pair: a crash in between leaves
  // the key in both places, never in neither.
  for (const [from, to] of [
    [current.keyFile, `${name}.key`],
    [current.certificateFile, `${name}.crt`],
  ] as const) {
    const target = path.join(history, to);
    await fs.rm(target, { force: true });
    await fs.link(from, target);
  }
  await syncFolder(history);
  await fs.rm(current.certificateFile);
  await fs.rm(current.keyFile);
  await syncFolder(dataDir);
  // The new certificate starts a day back, as at first start (service.ts): a station whose clock is
  // a little behind, or a packet sealed the same second, still finds it valid.
  return loadOrCreateCentralKeys(dataDir, new Date(now.getTime() - 86_400_000));
}

/**
 * Decryptors of the replaced key-transport keys in `key-transport-history/` (oldest order not
 * guaranteed). A pair whose certificate does not match its key is skipped.
 * @throws {CentralKeyError} CENTRAL_KEY_PERMISSIONS / CENTRAL_KEY_INVALID for a bad key file.
 */
export async function loadPastCentralKeys(dataDir: string): Promise<PacketDecryptor[]> {
  const history = path.join(dataDir, CENTRAL_KEY_HISTORY_DIR);
  let names: string[];
  try {
    names = await fs.readdir(history);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: PacketDecryptor[] = [];
  for (const name of names.filter((n) => n.endsWith('.key')).sort()) {
    const key = await readKey(path.join(history, name));
    const certificate = await readCertificate(path.join(history, name.replace(/\.key$/, '.crt')));
    if (key === undefined || certificate === undefined) continue;
    if (!createPublicKey(new x509.X509Certificate(certificate).toString('pem')).equals(createPublicKey(key)))
      continue;
    out.push(decryptorFor(key, certificate));
  }
  return out;
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readKey(file: string): Promise<KeyObject | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CentralKeyError('CENTRAL_KEY_INVALID', `Cannot read ${file}: ${String(error)}`, {
      file,
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    if ((stat.mode & 0o077) !== 0)
      throw new CentralKeyError(
        'CENTRAL_KEY_PERMISSIONS',
        `The central key ${file} has mode ${(stat.mode & 0o777).toString(8)}: group or others can read or change it. Run 'chmod 600 ${file}'.`,
        { file },
      );
    const text = await handle.readFile('utf8');
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: text, format: 'pem' });
    } catch (cause) {
      throw new CentralKeyError(
        'CENTRAL_KEY_INVALID',
        `${file} holds no readable PKCS#8 key: ${String(cause)}`,
        { file, cause },
      );
    }
    if (key.asymmetricKeyType !== 'rsa' || !text.includes('BEGIN PRIVATE KEY'))
      throw new CentralKeyError(
        'CENTRAL_KEY_INVALID',
        `${file} is not an RSA PKCS#8 PEM key; remove it to mint a new one`,
        { file },
      );
    return key;
  } finally {
    await handle.close();
  }
}

async function readCertificate(file: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(new x509.X509Certificate(await fs.readFile(file, 'utf8')).rawData);
  } catch {
    // Missing or damaged: a new certificate is minted for the key.
    return undefined;
  }
}

async function mintKeyPem(): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(
    { ...RSA_SIGN, modulusLength: CENTRAL_KEY_BITS, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
  const der = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

async function mintCertificate(privateKey: KeyObject, now: Date): Promise<Uint8Array> {
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, RSA_SIGN, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, RSA_SIGN, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    subject: 'CN=CCCD central simulator, O=Simulated',
    issuer: 'CN=CCCD central simulator, O=Simulated',
    notBefore: now,
    notAfter: new Date(now.getTime() + VALID_DAYS * DAY_MS),
    publicKey,
    signingKey,
    signingAlgorithm: RSA_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/** temp + fsync + link (no overwrite) or rename (overwrite), then fsync the folder. */
async function writeAtomic(file: string, text: string, mode: number, overwrite: boolean): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (overwrite) await fs.rename(temp, file);
    else await fs.link(temp, file);
  } finally {
    await fs.rm(temp, { force: true });
  }
  const dir = await fs.open(path.dirname(file), constants.O_RDONLY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
