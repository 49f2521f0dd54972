/**
 * The soak station's one-time setup (issue 18 item 5): its key store (a file key, a certificate
 * from central's simulated ministry CA) and its configuration file pointing at the standalone
 * central with central's TLS CA and statement certificates pinned.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { issueStationCertificate } from '../../simulators/central/pki.ts';
import { defaultSubject } from '../../station/keys/station-key.ts';
import { createStationCsr, installStationCertificate, keyStoreDir } from '../../station/keys/store.ts';

/** Makes a file key, has central's station CA certify it, and installs the certificate. */
export async function installStationKeys(options: {
  readonly stationDataDir: string;
  readonly stationId: string;
  readonly centralDataDir: string;
}): Promise<void> {
  const dir = keyStoreDir(options.stationDataDir);
  await fs.mkdir(dir, { recursive: true });
  const now = new Date();
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
  const issued = await issueStationCertificate(
    options.centralDataDir,
    await fs.readFile(csrFile, 'utf8'),
    now,
  );
  const certFile = path.join(dir, 'issued.pem');
  await fs.writeFile(certFile, [issued.certificate, ...issued.chain].join('\n'));
  await installStationCertificate({ dir, certFile, now });
}

export interface SoakConfigOptions {
  readonly stationId: string;
  readonly port: number;
  readonly dataDir: string;
  readonly centralUrl: string;
  readonly tlsCaFile: string;
  readonly statementCertificatesFile: string;
}

/** The station configuration the soak runs (station/config/schema.ts): no devices, remote central. */
export function soakConfig(options: SoakConfigOptions): Record<string, unknown> {
  return {
    environment: 'test',
    stationId: options.stationId,
    server: { host: '127.0.0.1', port: options.port },
    dataDir: options.dataDir,
    log: { level: 'warn' },
    devices: {
      hotplug: { mode: 'disabled' },
      fingerprintHid: { mode: 'disabled' },
      fingerprintSerial: { mode: 'disabled' },
      cardReader: { mode: 'disabled' },
    },
    central: {
      mode: 'remote',
      url: options.centralUrl,
      tlsCa: options.tlsCaFile,
      statementCertificates: options.statementCertificatesFile,
    },
    hotpath: { workers: 1 },
    uploader: { backoff: { initialMs: 50, maxMs: 1000 } },
  };
}
