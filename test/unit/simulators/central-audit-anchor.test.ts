/**
 * The central simulator keeps the highest audit anchor per station and echoes it in each receipt
 * (issue 21, Build 8): an older packet arriving later does not lower it, a packet without an anchor
 * gets the held one, and the anchor survives a restart of the store.
 */
import 'reflect-metadata';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePacketCrypto } from '../../../drivers/crypto/packet-node.ts';
import { buildTransaction } from '../../../protocol/ansi-nist/builder.ts';
import { peekStatement, type Receipt } from '../../../protocol/central/statement.ts';
import { buildPacket } from '../../../protocol/packet/build.ts';
import type { PacketManifest } from '../../../protocol/packet/manifest.ts';
import { Intake } from '../../../simulators/central/intake.ts';
import type { StatementKey } from '../../../simulators/central/pki.ts';
import { CentralStore, normalizeSerial } from '../../../simulators/central/store.ts';
import { type14Spec } from '../../support/ansi-nist-specs.ts';
import {
  createPacketTestPki,
  type PacketTestPki,
  sampleEnrollment,
  toPem,
} from '../../support/packet-keys.ts';

const crypto = createNodePacketCrypto();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const now = Date.parse('2026-03-14T02:20:00Z');
const head = (n: number) => createHash('sha256').update(`entry-${n}`).digest('hex');

let dir: string;
let pki: PacketTestPki;
let statementKey: StatementKey;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(tmpdir(), 'central-anchor-'));
  pki = await createPacketTestPki();
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const certificate = pki.central.certificate; // any DER: only its kid names the key here
  statementKey = {
    key,
    certificate,
    certificatePem: toPem(certificate),
    kid: sha256(certificate),
    notBefore: new Date(0),
    notAfter: new Date(now + 86_400_000),
  };
}, 60_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function openIntake() {
  const store = await CentralStore.open(dir);
  const cert = new x509.X509Certificate(pki.station.certificate);
  await store.register(
    'station-0001',
    {
      pem: toPem(pki.station.certificate),
      serialNumber: normalizeSerial(new X509Certificate(Buffer.from(pki.station.certificate)).serialNumber),
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
    },
    new Date(now).toISOString(),
  );
  const intake = new Intake({
    store,
    environment: 'test',
    decryptors: () => [pki.decryptor],
    trustAnchors: () => [pki.stationCa.certificate],
    statementKey: () => statementKey,
    now: () => now,
    diskFull: () => false,
    crypto,
  });
  return { store, intake };
}

async function packet(audit: PacketManifest['audit']): Promise<{ id: string; bytes: Uint8Array }> {
  const fingers = [1, 2].map(() => new Uint8Array(randomBytes(64)));
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
    transactionSha256: sha256(transaction),
    ...(audit === undefined ? {} : { auditChainHead: audit.head, audit }),
  };
  const built = await buildPacket({
    manifest,
    transaction,
    portrait: base.portrait,
    signer: pki.signer,
    recipientCertificate: pki.central.certificate,
    signingTime: now - 60_000,
    crypto,
  });
  return { id, bytes: built.packet };
}

async function receiptFor(intake: Intake, p: { id: string; bytes: Uint8Array }): Promise<Receipt> {
  const result = await intake.accept(p.bytes, {
    packetId: p.id,
    sha256: sha256(p.bytes),
    stationId: 'station-0001',
  });
  if (result.kind !== 'statement' || result.decision !== 'receipt')
    throw new Error(
      `not a receipt: ${JSON.stringify(result.kind === 'statement' ? peekStatement(result.statement) : result)}`,
    );
  const statement = peekStatement(result.statement);
  if (statement?.kind !== 'receipt') throw new Error('not a receipt');
  return statement;
}

describe('central keeps and echoes the highest audit anchor', () => {
  it('raises it, never lowers it, fills it into receipts of packets without one, and keeps it over a restart', async () => {
    const { intake } = await openIntake();
    const before = await receiptFor(intake, await packet(undefined));
    expect(before.audit).toBeUndefined();

    const at10 = await receiptFor(intake, await packet({ seq: 10, head: head(10) }));
    expect(at10.audit).toEqual({ seq: 10, head: head(10) });

    // Built earlier (seq 7), delivered later: the receipt echoes 10, not 7.
    const older = await receiptFor(intake, await packet({ seq: 7, head: head(7) }));
    expect(older.audit).toEqual({ seq: 10, head: head(10) });

    const plain = await receiptFor(intake, await packet(undefined));
    expect(plain.audit).toEqual({ seq: 10, head: head(10) });

    const at12 = await receiptFor(intake, await packet({ seq: 12, head: head(12) }));
    expect(at12.audit).toEqual({ seq: 12, head: head(12) });

    const restarted = await openIntake();
    expect(restarted.store.anchor('station-0001')).toEqual({ seq: 12, head: head(12) });
    const after = await receiptFor(restarted.intake, await packet({ seq: 11, head: head(11) }));
    expect(after.audit).toEqual({ seq: 12, head: head(12) });
  }, 60_000);
});
