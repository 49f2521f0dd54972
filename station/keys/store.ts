/**
 * The station's key store: which key and certificate sign packets now, the CSR awaiting its
 * certificate, and every certificate the station signed with before.
 *
 *   <dataDir>/keys/
 *     station.json   current: { key, publicKey, certificate sha-256, installedAt }
 *     station.crt    current certificate (PEM); chain.pem: its intermediates, if any
 *     pending.json   the key a CSR was made with, until install-cert
 *     history/       replaced certificates, <notAfter>-<serial>.crt, kept so old packets still verify
 *
 * A key is named by where it lives (a file path, or a `pkcs11:` URI stored without its PIN); the
 * store never copies a private key. Rotation is create-csr with a new key, then install-cert: the
 * new pair becomes current and the old certificate moves to history/ (the old key stays where it
 * is, to be destroyed by the operator once its packets have been delivered).
 */

import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  type CertificateSummary,
  certificateMatchesKey,
  certificateToPem,
  checkStationCertificate,
  describeCertificate,
  parseCertificates,
  readCertificateFile,
} from './certificate.ts';
import { KeyError } from './errors.ts';
import { writeFileAtomic } from './key-file.ts';
import { isPkcs11Uri, redactPkcs11Uri, withoutPinValue } from './pkcs11-uri.ts';
import {
  createCsr,
  type OpenKeyOptions,
  openDecryptionKey,
  openOrCreateStationKey,
  openStationKey,
  packetDecryptor,
  packetSigner,
} from './station-key.ts';

export const STORE_VERSION = 1;

interface KeyRecord {
  readonly version: number;
  /** File path (absolute) or pkcs11: URI without pin-value. */
  readonly key: string;
  /** DER SubjectPublicKeyInfo, base64. */
  readonly publicKey: string;
}

interface CurrentRecord extends KeyRecord {
  readonly certificateSha256: string;
  readonly installedAt: string;
}

interface PendingRecord extends KeyRecord {
  readonly csr: string;
  readonly subject: string;
  readonly createdAt: string;
}

/** Where the store of a station with this data directory is. */
export function keyStoreDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

const files = (dir: string) => ({
  current: path.join(dir, 'station.json'),
  certificate: path.join(dir, 'station.crt'),
  chain: path.join(dir, 'chain.pem'),
  pending: path.join(dir, 'pending.json'),
  history: path.join(dir, 'history'),
});

async function readRecord<T extends KeyRecord>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyError('KEY_FILE_UNREADABLE', `Cannot read ${file}: ${String(cause)}`, { file, cause });
  }
  try {
    const record = JSON.parse(text) as T;
    if (
      record.version !== STORE_VERSION ||
      typeof record.key !== 'string' ||
      typeof record.publicKey !== 'string'
    )
      throw new Error(`not a version ${STORE_VERSION} key record`);
    return record;
  } catch (cause) {
    throw new KeyError(
      'KEY_FILE_UNREADABLE',
      `${file} is damaged (${String(cause)}); restore it from a backup or make a new CSR`,
      {
        file,
        cause,
      },
    );
  }
}

function storedLocation(location: string, cwd: string): string {
  return isPkcs11Uri(location) ? withoutPinValue(location) : path.resolve(cwd, location);
}

function shown(location: string): string {
  return isPkcs11Uri(location) ? redactPkcs11Uri(location) : location;
}

export interface CsrResult {
  readonly key: string;
  readonly keyCreated: boolean;
  readonly csr: string;
  readonly subject: string;
  /** Set when the URI carried pin-value, which the store does not keep. */
  readonly note?: string;
}

/**
 * Opens (or creates) the key at `keyLocation`, writes a CSR for `subject` to `out`, and records the
 * key as pending until its certificate is installed.
 * @throws {KeyError} the key's errors; KEY_SUBJECT_INVALID.
 */
export async function createStationCsr(options: {
  readonly dir: string;
  readonly keyLocation: string;
  readonly subject: string;
  readonly stationId: string;
  readonly out: string;
  readonly now: Date;
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
}): Promise<CsrResult> {
  const location = isPkcs11Uri(options.keyLocation)
    ? options.keyLocation
    : path.resolve(options.cwd, options.keyLocation);
  const keyOptions: OpenKeyOptions = options.env === undefined ? {} : { env: options.env };
  const { key, created } = await openOrCreateStationKey(location, keyOptions);
  try {
    const pem = await createCsr(key, options.subject, options.stationId);
    const out = path.resolve(options.cwd, options.out);
    await writeFileAtomic(out, pem, { mode: 0o644, overwrite: true });
    const record: PendingRecord = {
      version: STORE_VERSION,
      key: storedLocation(location, options.cwd),
      publicKey: Buffer.from(key.publicKeySpki).toString('base64'),
      csr: out,
      subject: options.subject,
      createdAt: options.now.toISOString(),
    };
    await writeFileAtomic(files(options.dir).pending, `${JSON.stringify(record, null, 2)}\n`, {
      overwrite: true,
    });
    const note =
      isPkcs11Uri(location) && withoutPinValue(location) !== location
        ? 'pin-value is not stored: give the PIN through STATION_PKCS11_PIN or pin-source=file:... when the station signs'
        : undefined;
    return {
      key: shown(location),
      keyCreated: created,
      csr: out,
      subject: options.subject,
      ...(note ? { note } : {}),
    };
  } finally {
    await key.close();
  }
}

export interface InstallResult {
  readonly key: string;
  /** `rotated`: a new key became current; `renewed`: the current key got a new certificate; `first`. */
  readonly change: 'first' | 'rotated' | 'renewed';
  readonly certificate: CertificateSummary;
  /** Where the replaced certificate was kept, if one was replaced. */
  readonly archived?: string;
}

/**
 * Installs an issued certificate: it must carry the public key of the pending key (after create-csr)
 * or of the current key (a renewal), be valid at `now`, allow digitalSignature and, with `caFile`,
 * chain to that CA. The replaced certificate moves to history/.
 * @throws {KeyError} KEY_NOT_INSTALLED (no CSR made and no key current), CERT_INVALID,
 *   CERT_KEY_MISMATCH, CERT_NOT_YET_VALID, CERT_EXPIRED, CERT_KEY_USAGE, CERT_NOT_CHAINED.
 */
export async function installStationCertificate(options: {
  readonly dir: string;
  readonly certFile: string;
  readonly caFile?: string;
  readonly now: Date;
}): Promise<InstallResult> {
  const paths = files(options.dir);
  const pending = await readRecord<PendingRecord>(paths.pending);
  const current = await readRecord<CurrentRecord>(paths.current);
  if (pending === undefined && current === undefined)
    throw new KeyError(
      'KEY_NOT_INSTALLED',
      `No key waits for a certificate in ${options.dir}: make a key and CSR first with 'station keys create-csr --key FILE|pkcs11:URI --out station.csr'.`,
    );
  const [leaf, ...extra] = await readCertificateFile(options.certFile);
  if (leaf === undefined) throw new KeyError('CERT_INVALID', `${options.certFile} holds no certificate`);
  const candidates = [pending, current].filter((r): r is PendingRecord | CurrentRecord => r !== undefined);
  const owner = candidates.find((r) =>
    certificateMatchesKey(leaf, new Uint8Array(Buffer.from(r.publicKey, 'base64'))),
  );
  if (owner === undefined)
    throw new KeyError(
      'CERT_KEY_MISMATCH',
      `The certificate ${options.certFile} is not for ${candidates.map((r) => shown(r.key)).join(' nor ')}: its public key differs. ` +
        'Install the certificate the CA issued for the latest CSR.',
      { file: options.certFile },
    );
  const ca = options.caFile === undefined ? undefined : await readCertificateFile(options.caFile);
  const chain = await checkStationCertificate(leaf, {
    now: options.now,
    ...(ca === undefined ? {} : { ca }),
  });
  const intermediates = ca === undefined ? extra : chain;

  let archived: string | undefined;
  const previous = await fs.readFile(paths.certificate).catch(() => undefined);
  if (previous !== undefined) {
    const [old] = parseCertificates(new Uint8Array(previous), paths.certificate);
    if (old !== undefined) {
      const summary = describeCertificate(old, options.now);
      archived = path.join(
        paths.history,
        `${summary.notAfter.replace(/[:.]/g, '')}-${summary.serialNumber}.crt`,
      );
      await writeFileAtomic(archived, certificateToPem([old]), { mode: 0o644, overwrite: true });
    }
  }
  await writeFileAtomic(paths.certificate, certificateToPem([leaf]), { mode: 0o644, overwrite: true });
  if (intermediates.length > 0)
    await writeFileAtomic(paths.chain, certificateToPem(intermediates), { mode: 0o644, overwrite: true });
  else await fs.rm(paths.chain, { force: true });
  const record: CurrentRecord = {
    version: STORE_VERSION,
    key: owner.key,
    publicKey: owner.publicKey,
    certificateSha256: describeCertificate(leaf, options.now).fingerprintSha256,
    installedAt: options.now.toISOString(),
  };
  await writeFileAtomic(paths.current, `${JSON.stringify(record, null, 2)}\n`, { overwrite: true });
  if (owner === pending) await fs.rm(paths.pending, { force: true });
  const change =
    current === undefined
      ? 'first'
      : owner === pending && owner.key !== current.key
        ? 'rotated'
        : owner.publicKey === current.publicKey
          ? 'renewed'
          : 'rotated';
  return {
    key: shown(owner.key),
    change,
    certificate: describeCertificate(leaf, options.now),
    ...(archived === undefined ? {} : { archived }),
  };
}

export interface KeyStoreSummary {
  readonly dir: string;
  readonly current?: {
    readonly key: string;
    readonly kind: 'file' | 'pkcs11';
    readonly installedAt: string;
    readonly certificate: CertificateSummary;
    readonly chain: number;
  };
  readonly pending?: {
    readonly key: string;
    readonly csr: string;
    readonly subject: string;
    readonly createdAt: string;
  };
  readonly history: readonly (CertificateSummary & { readonly file: string })[];
}

/**
 * What `station keys show` prints; opens no key (no PIN needed).
 * @throws {KeyError} KEY_FILE_UNREADABLE for a damaged store.
 */
export async function describeKeyStore(dir: string, now: Date): Promise<KeyStoreSummary> {
  const paths = files(dir);
  const current = await readRecord<CurrentRecord>(paths.current);
  const pending = await readRecord<PendingRecord>(paths.pending);
  const historyFiles = (await fs.readdir(paths.history).catch(() => [] as string[]))
    .filter((f) => f.endsWith('.crt'))
    .sort();
  const history = [];
  for (const name of historyFiles) {
    const file = path.join(paths.history, name);
    for (const der of await readCertificateFile(file))
      history.push({ file, ...describeCertificate(der, now) });
  }
  let currentSummary: KeyStoreSummary['current'];
  if (current !== undefined) {
    const [leaf] = await readCertificateFile(paths.certificate);
    const chain = await readCertificateFile(paths.chain).catch(() => []);
    if (leaf !== undefined)
      currentSummary = {
        key: shown(current.key),
        kind: isPkcs11Uri(current.key) ? 'pkcs11' : 'file',
        installedAt: current.installedAt,
        certificate: describeCertificate(leaf, now),
        chain: chain.length,
      };
  }
  return {
    dir,
    ...(currentSummary === undefined ? {} : { current: currentSummary }),
    ...(pending === undefined
      ? {}
      : {
          pending: {
            key: shown(pending.key),
            csr: pending.csr,
            subject: pending.subject,
            createdAt: pending.createdAt,
          },
        }),
    history,
  };
}

/**
 * The PacketSigner of the store's current key and certificate (close it when done: a token session).
 * @throws {KeyError} KEY_NOT_INSTALLED when no certificate is installed; the key's errors;
 *   CERT_KEY_MISMATCH when the key at the recorded location is no longer the certified one.
 */
export async function openStoreSigner(dir: string, options: OpenKeyOptions = {}) {
  const paths = files(dir);
  const current = await readRecord<CurrentRecord>(paths.current);
  if (current === undefined)
    throw new KeyError(
      'KEY_NOT_INSTALLED',
      `The station has no signing certificate in ${dir}: run 'station keys create-csr', have the CA issue it, then 'station keys install-cert'.`,
    );
  const [leaf] = await readCertificateFile(paths.certificate);
  if (leaf === undefined) throw new KeyError('CERT_INVALID', `${paths.certificate} holds no certificate`);
  const chain = await readCertificateFile(paths.chain).catch(() => []);
  const key = await openStationKey(current.key, options);
  try {
    return packetSigner(key, leaf, chain);
  } catch (error) {
    await key.close();
    throw error;
  }
}

/**
 * A PacketSigner from a key location and a certificate file (leaf first, then its intermediates),
 * as `station packet build --station-key --station-cert` names them.
 * @throws {KeyError} as openStationKey and readCertificateFile; CERT_KEY_MISMATCH.
 */
export async function openPacketSigner(
  keyLocation: string,
  certificateFile: string,
  options: OpenKeyOptions = {},
) {
  const [leaf, ...chain] = await readCertificateFile(certificateFile);
  if (leaf === undefined) throw new KeyError('CERT_INVALID', `${certificateFile} holds no certificate`);
  const key = await openStationKey(keyLocation, options);
  try {
    return packetSigner(key, leaf, chain);
  } catch (error) {
    await key.close();
    throw error;
  }
}

/**
 * A PacketDecryptor from an RSA key location (file or `pkcs11:`) and its certificate file, as
 * `station packet open --key --cert` names them.
 * @throws {KeyError} as openDecryptionKey and readCertificateFile; CERT_KEY_MISMATCH.
 */
export async function openPacketDecryptor(
  keyLocation: string,
  certificateFile: string,
  options: OpenKeyOptions = {},
) {
  const [leaf] = await readCertificateFile(certificateFile);
  if (leaf === undefined) throw new KeyError('CERT_INVALID', `${certificateFile} holds no certificate`);
  const key = await openDecryptionKey(keyLocation, options);
  try {
    return packetDecryptor(key, leaf);
  } catch (error) {
    await key.close();
    throw error;
  }
}
