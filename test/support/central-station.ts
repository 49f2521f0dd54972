/**
 * A station enrolled at the real central simulator (simulators/central), for the upload benchmark
 * and the network chaos tests (issue 18): a P-256 station key with a certificate from central's
 * simulated station CA (`issueStationCertificate` on central's data directory), registered over
 * mutual TLS; central's statement certificates as the keys a station pins; real sealed packets
 * (ANSI/NIST transaction, CMS signed by the station and encrypted to central's key-transport
 * certificate, protocol/packet/build.ts) of a chosen size; and central's raw log of accepted packets.
 */
import { pinnedStatementKeys as pinnedFromPem } from '../../station/central/credentials.ts';
import 'reflect-metadata';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { buildTransaction } from '../../protocol/ansi-nist/builder.ts';
import type { PinnedStatementKey } from '../../protocol/central/statement.ts';
import { buildPacket } from '../../protocol/packet/build.ts';
import type { PacketManifest } from '../../protocol/packet/manifest.ts';
import { issueStationCertificate } from '../../simulators/central/pki.ts';
import { type14Spec } from './ansi-nist-specs.ts';
import { fileSigner, sampleEnrollment } from './packet-keys.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What a test needs of a running central (startCentral in process, or spawnCentral). */
export interface CentralEndpoint {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  readonly dataDir: string;
  /** Central's TLS CA, PEM. */
  readonly tlsCaPem: string;
  /** Receipt-signing certificates, PEM. */
  readonly statementCertificatesPem: readonly string[];
}

export interface EnrolledStation {
  readonly stationId: string;
  readonly key: KeyObject;
  readonly keyPem: string;
  readonly certificatePem: string;
}

/**
 * Makes a station key, has central's simulated station CA certify it, and registers it over mTLS.
 * @throws when registration does not answer 200.
 */
export async function enrollStation(central: CentralEndpoint, stationId: string): Promise<EnrolledStation> {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${stationId}`,
    keys: {
      privateKey: key.toCryptoKey(EC, false, ['sign']),
      publicKey: createPublicKey(key).toCryptoKey(EC, true, ['verify']),
    },
    signingAlgorithm: EC,
  });
  const issued = await issueStationCertificate(central.dataDir, csr.toString('pem'));
  const station: EnrolledStation = {
    stationId,
    key,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: issued.certificate,
  };
  const status = await new Promise<number>((resolve, reject) => {
    const request = https.request(
      `${central.url}/v1/stations/register`,
      {
        method: 'POST',
        ca: central.tlsCaPem,
        key: station.keyPem,
        cert: station.certificatePem,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ certificate: station.certificatePem }));
  });
  if (status !== 200) throw new Error(`registering ${stationId} at central answered ${status}`);
  return station;
}

/** Central's statement certificates as the station pins them: the station's own derivation. */
export function pinnedStatementKeys(pems: readonly string[]): PinnedStatementKey[] {
  return pinnedFromPem(pems.join('\n'), 'central statement certificates');
}

export interface SealedPacket {
  readonly id: string;
  readonly bytes: Uint8Array;
}

/**
 * Returns a function that seals packets central accepts: two fingers of random (incompressible)
 * image bytes, `imageBytes` each, so the sealed packet is about 2 × imageBytes + 3 KB. Each packet
 * has its own packet id and enrollment session id.
 */
export function packetSealer(
  central: CentralEndpoint,
  station: EnrolledStation,
  options: { readonly imageBytes: number; readonly environment?: 'test' | 'production' },
): () => Promise<SealedPacket> {
  const crypto = createNodePacketCrypto();
  const recipientCertificate = new Uint8Array(
    new X509Certificate(readFileSync(path.join(central.dataDir, 'central.crt'))).raw,
  );
  const signer = fileSigner({
    certificate: new Uint8Array(new X509Certificate(station.certificatePem).raw),
    privateKey: station.key,
  });
  return async () => {
    const fingers = [1, 2].map(() => new Uint8Array(randomBytes(options.imageBytes)));
    const transaction = buildTransaction({
      type1: {
        tot: 'CCE',
        date: '20260314',
        dai: 'DAI000000',
        ori: 'ORI000000',
        tcn: 'TCN0000000001',
        nsr: '00.00',
        ntr: '00.00',
      },
      records: [{ type: 2, idc: 0 }, ...fingers.map((data, i) => type14Spec(i + 1, i + 1, data))],
    });
    const base = sampleEnrollment({ images: fingers });
    const id = randomUUID();
    const manifest: PacketManifest = {
      ...base.manifest,
      packetId: id,
      enrollmentSessionId: randomUUID(),
      stationId: station.stationId,
      environment: options.environment ?? 'test',
      transactionSha256: sha256(transaction),
    };
    const built = await buildPacket({
      manifest,
      transaction,
      portrait: base.portrait,
      signer,
      recipientCertificate,
      signingTime: Date.now(),
      crypto,
    });
    return { id, bytes: built.packet };
  };
}

export interface AcceptedLine {
  readonly packetId?: string;
  readonly order?: string;
}

/** Central's raw log of accepted packets (`<dataDir>/log/accepted.jsonl`), one object per line. */
export function acceptedLog(dataDir: string): AcceptedLine[] {
  const file = path.join(dataDir, 'log', 'accepted.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AcceptedLine);
}
