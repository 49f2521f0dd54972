/**
 * `station packet build` signing with a key in a PKCS#11 token (SoftHSM2, a fresh token per run in
 * a temp folder), and `station packet open` accepting the packet. Needs softhsm2 (`npm run
 * setup:test`); without it the suite fails saying so.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../station/cli/main.ts';
import { openOrCreateStationKey } from '../../station/keys/station-key.ts';
import { recordingIo } from '../support/cli.ts';
import { createPacketTestPki, type PacketTestPki, privateKeyPem, toPem } from '../support/packet-keys.ts';
import { createSoftHsmToken } from '../support/softhsm.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const PIN = '135790';
const TOKEN = 'packet-test';
const URI = `pkcs11:token=${TOKEN};object=station-sign`;

let dir: string;
let pki: PacketTestPki;

async function cli(...argv: string[]) {
  const io = recordingIo(dir, { STATION_PKCS11_PIN: PIN });
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

beforeAll(async () => {
  dir = createSoftHsmToken({ label: TOKEN, pin: PIN, soPin: '97531', prefix: 'packet-pkcs11-' }).dir;
  pki = await createPacketTestPki();
  // The key pair is generated inside the token; the station CA certifies its public key.
  const { key } = await openOrCreateStationKey(URI, { env: { STATION_PKCS11_PIN: PIN } });
  const publicKey = await webcrypto.subtle.importKey('spki', key.publicKeySpki, EC, true, ['verify']);
  await key.close();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '5a5a0001',
    subject: 'CN=station-0001, O=Bộ Công an (test), C=VN',
    issuer: new x509.X509Certificate(pki.stationCa.certificate).subject,
    notBefore: new Date(Date.UTC(2025, 0, 1)),
    notAfter: new Date(Date.UTC(2034, 0, 1)),
    publicKey,
    signingKey: pki.stationCa.keys.privateKey,
    signingAlgorithm: EC,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  writeFileSync(path.join(dir, 'station.crt'), cert.toString('pem'));
  writeFileSync(path.join(dir, 'station-ca.crt'), toPem(pki.stationCa.certificate));
  writeFileSync(path.join(dir, 'central.crt'), toPem(pki.central.certificate));
  const centralKey = path.join(dir, 'central.key');
  writeFileSync(centralKey, privateKeyPem(pki.central.privateKey), { mode: 0o600 });
  chmodSync(centralKey, 0o600);
}, 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('station packet build with a PKCS#11 station key', () => {
  it('signs in the token a packet that station packet open accepts', async () => {
    const built = await cli(
      'packet',
      'build',
      '--sample',
      '3',
      '--station-key',
      URI,
      '--station-cert',
      'station.crt',
      '--to',
      'central.crt',
      '--out',
      'token.cms',
    );
    expect(built.err).toBe('');
    expect(built.code).toBe(0);
    expect(JSON.parse(built.out).signer.kind).toBe('pkcs11');
    const opened = await cli(
      'packet',
      'open',
      '--in',
      'token.cms',
      '--key',
      'central.key',
      '--cert',
      'central.crt',
      '--trust',
      'station-ca.crt',
    );
    expect(opened.err).toBe('');
    expect(opened.code).toBe(0);
    const report = JSON.parse(opened.out);
    expect(report.accepted).toBe(true);
    expect(report.signer.subject).toContain('station-0001');
  }, 120_000);

  it('a wrong PIN is refused with its code before anything is built', async () => {
    const io = recordingIo(dir, { STATION_PKCS11_PIN: '000000' });
    const code = await main(
      [
        'packet',
        'build',
        '--sample',
        '3',
        '--station-key',
        URI,
        '--station-cert',
        'station.crt',
        '--to',
        'central.crt',
        '--out',
        'no.cms',
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.err).toMatch(/^PKCS11_PIN_INCORRECT: /);
    expect(existsSync(path.join(dir, 'no.cms'))).toBe(false);
  });
});
