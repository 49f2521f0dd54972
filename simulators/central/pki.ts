/**
 * The simulated central service's own keys and certificates (issue 18), minted on the first start
 * in its data directory and reused at every later start (a new key per start would break every
 * station that pinned the old one):
 *
 *   tls/ca.key, tls/ca.crt             central's TLS CA (ECDSA P-256); stations pin ca.crt
 *   tls/server.key, tls/server.crt     the HTTPS server certificate, SAN 127.0.0.1 and localhost
 *   statement-keys/<kid>.key/.crt      receipt-signing keys (ECDSA P-256); kid = hex SHA-256 of the DER
 *   statement-keys/current             the kid that signs now (rotation keeps the others listed)
 *   station-ca/ca.key, ca.crt          the ministry's simulated station CA, issuing station certificates
 *
 * Keys are PKCS#8 PEM, mode 0600 (refused when group or others can read or write them), written to a
 * temporary file, fsync'd, linked into place (never replacing one), and the folder fsync'd. The
 * key-transport RSA key is keys.ts's.
 */
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Station certificates issued by the simulated station CA are valid this long, days. */
export const STATION_CERTIFICATE_DAYS = 730;

export type CentralPkiErrorCode =
  | 'CENTRAL_KEY_PERMISSIONS'
  | 'CENTRAL_KEY_INVALID'
  | 'CENTRAL_CSR_INVALID'
  | 'CENTRAL_DATA_DIR_UNWRITABLE';

export class CentralPkiError extends Error {
  override readonly name = 'CentralPkiError';
  readonly code: CentralPkiErrorCode;
  readonly file: string | undefined;
  constructor(code: CentralPkiErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
  }
}

export interface KeyAndCertificate {
  readonly key: KeyObject;
  /** DER. */
  readonly certificate: Uint8Array;
  readonly certificatePem: string;
}

export interface StatementKey extends KeyAndCertificate {
  /** Lowercase hex SHA-256 of the certificate's DER. */
  readonly kid: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CentralPki {
  readonly tlsCa: KeyAndCertificate;
  readonly tlsServer: KeyAndCertificate;
  readonly stationCa: KeyAndCertificate;
  /** The key that signs statements now. */
  readonly statementKey: StatementKey;
  /** Every receipt-signing key, current first. */
  readonly statementKeys: readonly StatementKey[];
}

export const toPem = (der: Uint8Array, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`;

export const keyIdOf = (certificateDer: Uint8Array): string =>
  createHash('sha256').update(certificateDer).digest('hex');

/**
 * Loads central's TLS, statement and station-CA keys from `dataDir`, minting what is missing.
 * @param now notBefore of anything minted.
 * @throws {CentralPkiError} CENTRAL_KEY_PERMISSIONS (a key file open to others: chmod 600),
 *   CENTRAL_KEY_INVALID (a key file that is not a P-256 PKCS#8 key), CENTRAL_DATA_DIR_UNWRITABLE.
 */
export async function loadOrCreateCentralPki(dataDir: string, now: Date = new Date()): Promise<CentralPki> {
  for (const dir of ['tls', 'statement-keys', 'station-ca']) await makeDir(path.join(dataDir, dir));
  const tlsCa = await loadOrMint(path.join(dataDir, 'tls'), 'ca', (key) =>
    selfSigned(key, 'CN=CCCD central TLS CA (simulated), O=Simulated', now),
  );
  const tlsServer = await loadOrMint(path.join(dataDir, 'tls'), 'server', (key) =>
    issued(key, tlsCa, 'CN=127.0.0.1, O=Simulated', now, 3650, [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ]),
  );
  const stationCa = await loadOrMint(path.join(dataDir, 'station-ca'), 'ca', (key) =>
    selfSigned(key, 'CN=CCCD station CA (simulated ministry), O=Simulated, C=VN', now),
  );
  const statementKeys = await loadStatementKeys(path.join(dataDir, 'statement-keys'), now);
  const [statementKey] = statementKeys;
  if (statementKey === undefined) throw new Error('unreachable: a statement key was minted');
  return { tlsCa, tlsServer, stationCa, statementKey, statementKeys };
}

/**
 * Mints a new receipt-signing key and makes it current; the old ones stay listed (and verifiable).
 * @returns the new key's kid.
 */
export async function rotateStatementKey(dataDir: string, now: Date = new Date()): Promise<string> {
  const dir = path.join(dataDir, 'statement-keys');
  await makeDir(dir);
  const minted = await mintStatementKey(dir, now);
  await writeAtomic(path.join(dir, 'current'), `${minted}\n`, 0o644, true);
  return minted;
}

async function loadStatementKeys(dir: string, now: Date): Promise<StatementKey[]> {
  let current = (await readText(path.join(dir, 'current')))?.trim();
  if (current === undefined || current === '') {
    current = await mintStatementKey(dir, now);
    await writeAtomic(path.join(dir, 'current'), `${current}\n`, 0o644, true);
  }
  const keys: StatementKey[] = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    const match = /^([0-9a-f]{64})\.crt$/.exec(name);
    if (!match?.[1]) continue;
    const pair = await loadPair(dir, match[1]);
    if (pair === undefined) continue;
    const cert = new x509.X509Certificate(pair.certificate);
    const key: StatementKey = { ...pair, kid: match[1], notBefore: cert.notBefore, notAfter: cert.notAfter };
    if (match[1] === current) keys.unshift(key);
    else keys.push(key);
  }
  if (keys[0]?.kid !== current)
    throw new CentralPkiError(
      'CENTRAL_KEY_INVALID',
      `statement-keys/current names ${current}, which has no key and certificate there; remove 'current' to mint a new key`,
      { file: path.join(dir, 'current') },
    );
  return keys;
}

async function mintStatementKey(dir: string, now: Date): Promise<string> {
  const key = newEcKey();
  const der = await selfSigned(key, 'CN=CCCD central statement signer (simulated), O=Simulated', now, 1825, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  ]);
  const kid = keyIdOf(der);
  await writeAtomic(path.join(dir, `${kid}.key`), pemOfKey(key), 0o600, false);
  await writeAtomic(path.join(dir, `${kid}.crt`), toPem(der), 0o644, false);
  return kid;
}

/** A CSR's certificate from the simulated station CA, with the CA certificate as its chain. */
export interface IssuedStationCertificate {
  readonly certificate: string;
  readonly chain: readonly string[];
}

/**
 * Issues a station certificate (digitalSignature, clientAuth) for a PKCS#10 CSR with an ECDSA P-256
 * key and a CN (the station id), as the ministry's station CA would. Test environment only.
 * @throws {CentralPkiError} CENTRAL_CSR_INVALID for a CSR that does not parse, whose signature does
 *   not verify, without a CN, or with another key type.
 */
export async function issueStationCertificate(
  dataDir: string,
  csrPem: string,
  now: Date = new Date(),
): Promise<IssuedStationCertificate> {
  await makeDir(path.join(dataDir, 'station-ca'));
  const ca = await loadOrMint(path.join(dataDir, 'station-ca'), 'ca', (key) =>
    selfSigned(key, 'CN=CCCD station CA (simulated ministry), O=Simulated, C=VN', now),
  );
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (cause) {
    throw new CentralPkiError(
      'CENTRAL_CSR_INVALID',
      `The CSR is not a PKCS#10 request (PEM): ${String(cause)}`,
      {
        cause,
      },
    );
  }
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256')
    throw new CentralPkiError(
      'CENTRAL_CSR_INVALID',
      'A station key is ECDSA P-256; this CSR carries another key',
    );
  if (!(await csr.verify()))
    throw new CentralPkiError('CENTRAL_CSR_INVALID', 'The CSR signature does not verify with its own key');
  const cn = csr.subjectName.getField('CN')[0];
  if (cn === undefined || cn === '')
    throw new CentralPkiError('CENTRAL_CSR_INVALID', 'The CSR subject has no CN (the station id)');
  const issuedAt = new Date(now.getTime() - DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(9).toString('hex')}`,
    subject: csr.subjectName,
    issuer: new x509.X509Certificate(ca.certificate).subjectName,
    notBefore: issuedAt,
    notAfter: new Date(issuedAt.getTime() + STATION_CERTIFICATE_DAYS * DAY_MS),
    publicKey: await csr.publicKey.export(EC, ['verify']),
    signingKey: ca.key.toCryptoKey(EC, false, ['sign']),
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return { certificate: cert.toString('pem'), chain: [ca.certificatePem] };
}

// ---------------------------------------------------------------------------------------------

const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const pemOfKey = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

async function selfSigned(
  key: KeyObject,
  name: string,
  now: Date,
  days = 3650,
  extensions?: x509.Extension[],
): Promise<Uint8Array> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(9).toString('hex')}`,
    subject: name,
    issuer: name,
    notBefore: now,
    notAfter: new Date(now.getTime() + days * DAY_MS),
    publicKey: createPublicKey(key).toCryptoKey(EC, true, ['verify']),
    signingKey: key.toCryptoKey(EC, false, ['sign']),
    signingAlgorithm: EC,
    extensions: extensions ?? [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return new Uint8Array(cert.rawData);
}

async function issued(
  key: KeyObject,
  ca: KeyAndCertificate,
  subject: string,
  now: Date,
  days: number,
  extensions: x509.Extension[],
): Promise<Uint8Array> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(9).toString('hex')}`,
    subject,
    issuer: new x509.X509Certificate(ca.certificate).subjectName,
    notBefore: now,
    notAfter: new Date(now.getTime() + days * DAY_MS),
    publicKey: createPublicKey(key).toCryptoKey(EC, true, ['verify']),
    signingKey: ca.key.toCryptoKey(EC, false, ['sign']),
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...extensions],
  });
  return new Uint8Array(cert.rawData);
}

/** `<dir>/<name>.key` and `.crt`: read, or minted (key first, then a certificate for it). */
async function loadOrMint(
  dir: string,
  name: string,
  mint: (key: KeyObject) => Promise<Uint8Array>,
): Promise<KeyAndCertificate> {
  const existing = await loadPair(dir, name);
  if (existing !== undefined) return existing;
  const keyFile = path.join(dir, `${name}.key`);
  let key = await readKey(keyFile);
  if (key === undefined) {
    try {
      await writeAtomic(keyFile, pemOfKey(newEcKey()), 0o600, false);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    key = await readKey(keyFile);
    if (key === undefined)
      throw new CentralPkiError('CENTRAL_KEY_INVALID', `${keyFile} vanished while starting`);
  }
  const der = await mint(key);
  await writeAtomic(path.join(dir, `${name}.crt`), toPem(der), 0o644, true);
  return { key, certificate: der, certificatePem: toPem(der) };
}

async function loadPair(dir: string, name: string): Promise<KeyAndCertificate | undefined> {
  const key = await readKey(path.join(dir, `${name}.key`));
  if (key === undefined) return undefined;
  const pem = await readText(path.join(dir, `${name}.crt`));
  if (pem === undefined) return undefined;
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(pem);
  } catch {
    return undefined;
  }
  const der = new Uint8Array(cert.rawData);
  if (!createPublicKey(toPem(der)).equals(createPublicKey(key))) return undefined;
  return { key, certificate: der, certificatePem: toPem(der) };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readKey(file: string): Promise<KeyObject | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CentralPkiError('CENTRAL_KEY_INVALID', `Cannot read ${file}: ${String(error)}`, {
      file,
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    if ((stat.mode & 0o077) !== 0)
      throw new CentralPkiError(
        'CENTRAL_KEY_PERMISSIONS',
        `The key ${file} has mode ${(stat.mode & 0o777).toString(8)}: group or others can read or change it. Run 'chmod 600 ${file}'.`,
        { file },
      );
    const text = await handle.readFile('utf8');
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: text, format: 'pem' });
    } catch (cause) {
      throw new CentralPkiError(
        'CENTRAL_KEY_INVALID',
        `${file} holds no readable PKCS#8 key: ${String(cause)}`,
        {
          file,
          cause,
        },
      );
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new CentralPkiError(
        'CENTRAL_KEY_INVALID',
        `${file} is not an ECDSA P-256 key; remove it to mint a new one`,
        {
          file,
        },
      );
    return key;
  } finally {
    await handle.close();
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.access(dir, constants.W_OK);
  } catch (cause) {
    throw new CentralPkiError(
      'CENTRAL_DATA_DIR_UNWRITABLE',
      `The central data folder ${dir} cannot be created or written: ${String(cause)}. Give --data-dir a folder this user can write.`,
      { file: dir, cause },
    );
  }
}

/** temp + fsync + link (no overwrite) or rename (overwrite), then fsync the folder. */
export async function writeAtomic(
  file: string,
  data: string | Uint8Array,
  mode: number,
  overwrite: boolean,
): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
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
  await syncDir(path.dirname(file));
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
