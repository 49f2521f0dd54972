/**
 * The embedded central simulator opens and verifies enrollment packets (issue 17, wire-up): it
 * keeps its key in its data directory, serves its certificate, and answers POST /v1/packets/verify
 * with the verdict. Real sockets on loopback; keys made fresh per run.
 */
import 'reflect-metadata';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { buildTransaction, type RecordSpec } from '../../protocol/ansi-nist/builder.ts';
import { buildPacket } from '../../protocol/packet/build.ts';
import type { ManifestImage, PacketManifest } from '../../protocol/packet/manifest.ts';
import { type RunningCentralSimulator, startCentralSimulator } from '../../simulators/central/server.ts';
import { type14Spec } from '../support/ansi-nist-specs.ts';
import { createPacketTestPki, type PacketTestPki, sampleEnrollment } from '../support/packet-keys.ts';

const crypto = createNodePacketCrypto();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let pki: PacketTestPki;
let central: RunningCentralSimulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'central-packets-'));
  pki = await createPacketTestPki();
  central = await startCentralSimulator({
    environment: 'test',
    dataDir: path.join(dir, 'central'),
    trustAnchors: [pki.stationCa.certificate],
  });
}, 60_000);

afterAll(async () => {
  await central?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const FINGERS = [1, 2].map((fgp) => new Uint8Array(300 + fgp).fill(fgp));

const fingerRecord = (idc: number, fgp: number, data: Uint8Array): RecordSpec => type14Spec(idc, fgp, data);

/** A consistent enrollment with a real ANSI/NIST transaction of two fingers. */
function enrollment(environment: 'test' | 'production' = 'test') {
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
    records: [{ type: 2, idc: 0 }, ...FINGERS.map((data, i) => fingerRecord(i + 1, i + 1, data))],
  });
  const base = sampleEnrollment({ images: FINGERS });
  const manifest: PacketManifest = {
    ...base.manifest,
    environment,
    transactionSha256: sha256(transaction),
    capture: {
      ...base.manifest.capture,
      images: base.manifest.capture.images.map((image: ManifestImage) => image),
    },
  };
  return { manifest, transaction, portrait: base.portrait };
}

async function certificateDer(url: string): Promise<Uint8Array> {
  const response = await fetch(`${url}/v1/certificate`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/application\/x-pem-file/);
  return new Uint8Array(new X509Certificate(await response.text()).raw);
}

async function packetFor(recipientCertificate: Uint8Array, environment: 'test' | 'production' = 'test') {
  const built = await buildPacket({
    ...enrollment(environment),
    signer: pki.signer,
    recipientCertificate,
    signingTime: Date.now(),
    crypto,
  });
  return built.packet;
}

async function verify(packet: Uint8Array, contentType = 'application/pkcs7-mime') {
  const response = await fetch(`${central.url}/v1/packets/verify`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: packet,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the central simulator verifies packets', () => {
  it('serves the certificate it minted, and the same one after a restart', async () => {
    const first = await certificateDer(central.url);
    expect(central.certificate).toEqual(first);
    const again = await startCentralSimulator({ environment: 'test', dataDir: path.join(dir, 'central') });
    try {
      expect(await certificateDer(again.url)).toEqual(first);
    } finally {
      await again.close();
    }
  });

  it('accepts a packet a trusted station built for its certificate', async () => {
    const packet = await packetFor(await certificateDer(central.url));
    for (const contentType of ['application/pkcs7-mime', 'application/octet-stream']) {
      const { status, body } = await verify(packet, contentType);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        accepted: true,
        packetId: enrollment().manifest.packetId,
        environment: 'test',
        stationId: 'station-0001',
        officerId: 'officer-042',
        imagesChecked: true,
        imageCount: 2,
      });
    }
  });

  it('rejects a tampered packet, one for another recipient, an untrusted station, the other environment', async () => {
    const ours = await certificateDer(central.url);
    const packet = await packetFor(ours);
    // One bit flipped in the middle of the ciphertext, which there holds the signed content: two
    // CBC blocks of it decrypt to other bytes.
    const tampered = packet.slice();
    const middle = Math.floor(tampered.length / 2);
    tampered[middle] = (tampered[middle] ?? 0) ^ 0x01;
    const t = await verify(tampered);
    expect(t.status).toBe(422);
    expect(t.body).toMatchObject({
      accepted: false,
      labels: { packetId: enrollment().manifest.packetId },
      rejection: { kind: 'content-mismatch', problem: 'message-digest' },
    });
    expect((t.body.rejection as { message: { vi: string } }).message.vi).toMatch(/chữ ký/);

    const elsewhere = await verify(await packetFor(pki.central.certificate));
    expect(elsewhere.body).toMatchObject({ accepted: false, rejection: { kind: 'wrong-recipient' } });

    const otherPki = await createPacketTestPki();
    const untrusted = await buildPacket({
      ...enrollment(),
      signer: otherPki.signer,
      recipientCertificate: ours,
      signingTime: Date.now(),
      crypto,
    });
    expect((await verify(untrusted.packet)).body).toMatchObject({
      accepted: false,
      rejection: { kind: 'unknown-signer' },
    });

    expect((await verify(await packetFor(ours, 'production'))).body).toMatchObject({
      accepted: false,
      rejection: { kind: 'wrong-environment' },
    });
  });

  it('refuses a body that is not a packet media type, empty, or too large, with a status', async () => {
    const packet = await packetFor(await certificateDer(central.url));
    const response = await fetch(`${central.url}/v1/packets/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect((await verify(new Uint8Array(0))).status).toBe(400);
    const small = await startCentralSimulator({
      environment: 'test',
      dataDir: path.join(dir, 'central'),
      trustAnchors: [pki.stationCa.certificate],
      maxPacketBytes: 1024,
    });
    try {
      const big = await fetch(`${small.url}/v1/packets/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/pkcs7-mime' },
        body: packet,
      });
      expect(big.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('without a data directory it has no key and says so', async () => {
    const keyless = await startCentralSimulator({ environment: 'test' });
    try {
      expect(keyless.certificate).toBeUndefined();
      const response = await fetch(`${keyless.url}/v1/certificate`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: 'CENTRAL_NO_KEY' });
    } finally {
      await keyless.close();
    }
  });
});
