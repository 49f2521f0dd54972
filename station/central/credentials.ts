/**
 * What the station needs to talk to central (issue 18, protocol/central/CONTRACT.md): the mutual-TLS
 * material (central's pinned TLS CA, the station's certificate chain and key), the pinned
 * statement-signing keys receipts are checked against, and the packet signer.
 *
 * The station's TLS client certificate is its packet-signing certificate from the key store
 * (station/keys: ECDSA P-256, CN = stationId, issued by the station CA): one identity, one renewal.
 * Node's TLS needs the private key in memory, so this works for a key **file**; a key inside a
 * PKCS#11 token cannot be handed to TLS (KEY_TLS_NEEDS_FILE_KEY says so; see README, not done).
 *
 * In the embedded test default, a station with an empty key store gets its first key and
 * certificate from the simulated ministry CA the embedded central runs (the `issue` callback), so
 * `npm start` works on a fresh machine with no setup.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PinnedStatementKey } from '../../protocol/central/statement.ts';
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import { certificateToPem, readCertificateFile } from '../keys/certificate.ts';
import { KeyError } from '../keys/errors.ts';
import { readSecretFile, writeFileAtomic } from '../keys/key-file.ts';
import { isPkcs11Uri } from '../keys/pkcs11-uri.ts';
import { defaultSubject } from '../keys/station-key.ts';
import {
  createStationCsr,
  describeKeyStore,
  installStationCertificate,
  keyStoreDir,
  openStoreSigner,
} from '../keys/store.ts';
import type { CentralTls } from './link.ts';

export interface CentralCredentials {
  readonly tls: CentralTls;
  readonly statementKeys: readonly PinnedStatementKey[];
  /** The station's packet-signing certificate, PEM (what `POST /v1/stations/register` sends). */
  readonly certificatePem: string;
  readonly signer: PacketSigner & { close?(): Promise<void> };
}

/** Issues the station's first certificate from a CSR (the embedded central's simulated ministry CA). */
export type FirstCertificateIssuer = (
  csrPem: string,
) => Promise<{ certificate: string; chain: readonly string[] }>;

export interface LoadCentralCredentialsOptions {
  readonly dataDir: string;
  readonly stationId: string;
  /** Central's TLS CA, PEM. */
  readonly tlsCaPem: string;
  /** Central's statement-signing certificates, PEM (one or more). */
  readonly statementCertificatesPem: string;
  /** When given and the key store is empty, a file key is made and certified through it. */
  readonly issueFirstCertificate?: FirstCertificateIssuer;
  readonly now?: Date;
}

/** Pinned keys from PEM certificates: kid = lowercase hex SHA-256 of each certificate's DER. */
export function pinnedStatementKeys(pem: string, source: string): PinnedStatementKey[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw new KeyError(
      'CERT_INVALID',
      `${source} holds no certificate: give central's statement certificates (PEM)`,
    );
  return blocks.map((block) => {
    const certificate = new X509Certificate(block);
    return {
      keyId: createHash('sha256').update(certificate.raw).digest('hex'),
      publicKey: new Uint8Array(certificate.publicKey.export({ type: 'spki', format: 'der' })),
    };
  });
}

/**
 * Loads (and in the embedded default, first creates) the station's credentials for central.
 * @throws {KeyError} KEY_NOT_INSTALLED when the store has no certificate and no issuer is given;
 *   KEY_TLS_NEEDS_FILE_KEY for a key in a PKCS#11 token; the key store's errors; CERT_INVALID for
 *   unreadable statement certificates.
 */
export async function loadCentralCredentials(
  options: LoadCentralCredentialsOptions,
): Promise<CentralCredentials> {
  const dir = keyStoreDir(options.dataDir);
  const now = options.now ?? new Date();
  let summary = await describeKeyStore(dir, now);
  if (summary.current === undefined && options.issueFirstCertificate !== undefined) {
    const csrFile = path.join(dir, 'station.csr');
    await createStationCsr({
      dir,
      keyLocation: path.join(dir, 'station.key'),
      subject: defaultSubject(options.stationId),
      stationId: options.stationId,
      out: csrFile,
      now,
      cwd: dir,
    });
    const issued = await options.issueFirstCertificate(await readFile(csrFile, 'utf8'));
    const certFile = path.join(dir, 'issued.pem');
    await writeFileAtomic(certFile, [issued.certificate, ...issued.chain].join('\n'), {
      mode: 0o644,
      overwrite: true,
    });
    await installStationCertificate({ dir, certFile, now });
    summary = await describeKeyStore(dir, now);
  }
  const current = summary.current;
  if (current === undefined)
    throw new KeyError(
      'KEY_NOT_INSTALLED',
      `The station has no certificate in ${dir}, so it cannot sign packets or connect to central: run 'station keys create-csr', have the station CA issue it, then 'station keys install-cert'.`,
    );
  if (isPkcs11Uri(current.key)) {
    throw new KeyError(
      'KEY_TLS_NEEDS_FILE_KEY',
      `The station key is in a PKCS#11 token (${current.key}); the upload connection's mutual TLS needs a key file. Use a file key for this station, or wait for the TLS-through-token support named in station/uploader/README.md.`,
    );
  }
  const signer = await openStoreSigner(dir);
  const [leaf, ...chain] = [signer.certificate, ...signer.chain];
  const keyPem = new TextDecoder().decode(await readSecretFile(current.key));
  const certificatePem = certificateToPem(leaf === undefined ? [] : [leaf]);
  return {
    tls: { ca: options.tlsCaPem, cert: certificateToPem([...(leaf ? [leaf] : []), ...chain]), key: keyPem },
    statementKeys: pinnedStatementKeys(options.statementCertificatesPem, 'central statement certificates'),
    certificatePem,
    signer,
  };
}

/** Reads a PEM file named by the configuration. @throws {KeyError} CERT_INVALID naming the file. */
export async function readPemFile(file: string): Promise<string> {
  const ders = await readCertificateFile(file);
  return certificateToPem(ders);
}
