/**
 * `station keys create-csr|install-cert|show`: the station's packet-signing key and certificate
 * (station/keys/README.md). The key store is `<dataDir>/keys` of the configuration in effect
 * (STATION_CONFIG, station.config.json, or the defaults); `--store DIR` names another.
 * A PIN never appears in what these commands print.
 */
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { ConfigError } from '../../errors.ts';
import { KeyError } from '../../keys/errors.ts';
import {
  createStationCsr,
  describeKeyStore,
  installStationCertificate,
  keyStoreDir,
} from '../../keys/store.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

const storeOption = { store: { type: 'string' } } as const;

function settings(io: CliIo, store: string | undefined): { dir: string; stationId: string } {
  const { config } = loadConfig(io.env, io.cwd);
  return {
    dir: store === undefined ? keyStoreDir(config.dataDir) : path.resolve(io.cwd, store),
    stationId: config.stationId,
  };
}

/** Runs `task`, turning the key and configuration errors into exit 1 with their code and advice. */
async function failures(io: CliIo, task: () => Promise<number>): Promise<number> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof KeyError) {
      io.stderr(`${error.code}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    if (error instanceof ConfigError) {
      io.stderr(`${error.code}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

const createCsr: Command = {
  name: 'create-csr',
  summary: 'Make (or reuse) the station key and a PKCS#10 CSR for the CA',
  help: `Usage: station keys create-csr --key FILE|pkcs11:URI [--subject DN] [--out station.csr] [--store DIR]

Opens the ECDSA P-256 key at --key, creating it when there is none: a new FILE is written as PKCS#8
PEM with mode 0600; in a PKCS#11 token the key pair is generated inside the token, non-extractable.
Writes a CSR signed by that key to --out (default station.csr) and records the key as pending until
'station keys install-cert' installs its certificate. --subject defaults to CN=<stationId>; its CN
must be the station id of the configuration.

PKCS#11 URIs (RFC 7512): pkcs11:token=LABEL;object=KEY-LABEL[?pin-source=file:/path|env:VAR]
[&module-path=/path/module.so]. Without pin-source the PIN is read from STATION_PKCS11_PIN;
pin-value=PIN works but is not stored. The module defaults to STATION_PKCS11_MODULE, else
/usr/lib/softhsm/libsofthsm2.so.

Prints { key, keyCreated, csr, subject } as JSON. Exit 1 with the error code when the key cannot be
read or made (e.g. KEY_FILE_PERMISSIONS: run chmod 600 on it), 2 for a wrong command line.`,
  async run(args, io) {
    const { values } = parse(
      args,
      { key: { type: 'string' }, subject: { type: 'string' }, out: { type: 'string' }, ...storeOption },
      { min: 0, max: 0 },
    );
    if (values.key === undefined || values.key === '')
      throw new UsageError('--key FILE|pkcs11:URI is required (a new file is created there if none exists)');
    const key = values.key;
    return failures(io, async () => {
      const { dir, stationId } = settings(io, values.store);
      const result = await createStationCsr({
        dir,
        keyLocation: key,
        subject: values.subject ?? `CN=${stationId}`,
        stationId,
        out: values.out ?? 'station.csr',
        now: new Date(),
        cwd: io.cwd,
        env: io.env,
      });
      io.stdout(json(result));
      return EXIT_OK;
    });
  },
};

const installCert: Command = {
  name: 'install-cert',
  summary: 'Install the certificate the CA issued for the station key',
  help: `Usage: station keys install-cert --cert issued.crt [--ca ca.crt] [--store DIR]

Installs --cert (PEM or DER) as the station's signing certificate. It must carry the public key of
the key of the last create-csr (a new key: rotation) or of the current key (a renewal), be valid now
and allow digitalSignature; with --ca (PEM, intermediates and root) it must chain to that CA. The
replaced certificate is kept in <store>/history/, so packets signed before still verify.

Prints { key, change, certificate } as JSON. Exit 1 with the error code when the certificate is
refused (CERT_KEY_MISMATCH, CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_KEY_USAGE, CERT_NOT_CHAINED,
CERT_INVALID), 2 for a wrong command line.`,
  async run(args, io) {
    const { values } = parse(
      args,
      { cert: { type: 'string' }, ca: { type: 'string' }, ...storeOption },
      { min: 0, max: 0 },
    );
    if (values.cert === undefined || values.cert === '') throw new UsageError('--cert FILE is required');
    const certFile = path.resolve(io.cwd, values.cert);
    const caFile = values.ca === undefined ? undefined : path.resolve(io.cwd, values.ca);
    return failures(io, async () => {
      const { dir } = settings(io, values.store);
      const result = await installStationCertificate({
        dir,
        certFile,
        ...(caFile === undefined ? {} : { caFile }),
        now: new Date(),
      });
      io.stdout(json(result));
      return EXIT_OK;
    });
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show the signing key location and certificate (subject, issuer, serial, validity, fingerprint)',
  help: `Usage: station keys show [--store DIR]

Prints the key store as JSON: the current key's location (a file, or a pkcs11: URI without its PIN)
and certificate (subject, issuer, serial, notBefore, notAfter, SHA-256 fingerprint, days to expiry),
a pending CSR if any, and the certificates kept in history. Opens no key (no PIN needed). Exit 1
when no certificate is installed yet (KEY_NOT_INSTALLED, saying what to run).`,
  async run(args, io) {
    const { values } = parse(args, storeOption, { min: 0, max: 0 });
    return failures(io, async () => {
      const { dir } = settings(io, values.store);
      const summary = await describeKeyStore(dir, new Date());
      io.stdout(json(summary));
      if (summary.current === undefined) {
        io.stderr(
          `KEY_NOT_INSTALLED: no signing certificate is installed in ${dir}; run 'station keys create-csr --key FILE|pkcs11:URI', have the CA issue it, then 'station keys install-cert --cert FILE'.\n`,
        );
        return EXIT_FAILED;
      }
      return EXIT_OK;
    });
  },
};

export const keysCommand: Command = {
  name: 'keys',
  summary: 'The station signing key: create-csr, install-cert, show',
  help: `Usage: station keys <create-csr|install-cert|show> ...

The key that signs enrollment packets lives in a file (PKCS#8 PEM, mode 0600) or a PKCS#11 token;
its certificate, the pending CSR and replaced certificates are kept in <dataDir>/keys.`,
  subcommands: [createCsr, installCert, show],
};
