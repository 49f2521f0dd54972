import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../station/cli/main.ts';
import { recordingIo } from '../../support/cli.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'keys-cli-'));
  writeFileSync(
    path.join(dir, 'station.config.json'),
    JSON.stringify({ stationId: 'HN-BADINH-07', dataDir: './var' }),
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const io = recordingIo(dir, {});
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

async function caIssuing(csrFile: string, usages = x509.KeyUsageFlags.digitalSignature) {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Test Station CA',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const csr = new x509.Pkcs10CertificateRequest(readFileSync(csrFile, 'utf8'));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0badcafe',
    subject: csr.subject,
    issuer: ca.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 90 * DAY + 3_600_000),
    publicKey: await csr.publicKey.export(EC, ['verify']),
    signingKey: keys.privateKey,
    signingAlgorithm: EC,
    extensions: [new x509.KeyUsagesExtension(usages, true)],
  });
  writeFileSync(path.join(dir, 'ca.crt'), ca.toString('pem'));
  writeFileSync(path.join(dir, 'issued.der'), new Uint8Array(cert.rawData));
  return cert;
}

describe('station keys', () => {
  it('create-csr, install-cert (DER, with --ca), show', async () => {
    const made = await run('keys', 'create-csr', '--key', 'station.key', '--out', 'station.csr');
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({
      keyCreated: true,
      subject: 'CN=HN-BADINH-07',
      key: path.join(dir, 'station.key'),
    });
    expect(statSync(path.join(dir, 'station.key')).mode & 0o777).toBe(0o600);
    const csr = new x509.Pkcs10CertificateRequest(readFileSync(path.join(dir, 'station.csr'), 'utf8'));
    expect(csr.subject).toBe('CN=HN-BADINH-07');

    const cert = await caIssuing(path.join(dir, 'station.csr'));
    const installed = await run('keys', 'install-cert', '--cert', 'issued.der', '--ca', 'ca.crt');
    expect(installed.err).toBe('');
    expect(installed.code).toBe(0);
    expect(JSON.parse(installed.out)).toMatchObject({
      change: 'first',
      certificate: { serialNumber: '0badcafe' },
    });

    const shown = await run('keys', 'show');
    expect(shown.code).toBe(0);
    const summary = JSON.parse(shown.out);
    expect(summary.dir).toBe(path.join(dir, 'var', 'keys'));
    expect(summary.current).toMatchObject({
      key: path.join(dir, 'station.key'),
      kind: 'file',
      certificate: {
        subject: 'CN=HN-BADINH-07',
        issuer: 'CN=Test Station CA',
        serialNumber: '0badcafe',
        notAfter: cert.notAfter.toISOString(),
        daysToExpiry: 90,
      },
    });
    const expected = Buffer.from(await cert.getThumbprint('SHA-256'))
      .toString('hex')
      .toUpperCase();
    expect(summary.current.certificate.fingerprintSha256.replaceAll(':', '')).toBe(expected);
  });

  it('refuses a group-readable key file with exit 1, the code and the chmod fix', async () => {
    expect((await run('keys', 'create-csr', '--key', 'station.key')).code).toBe(0);
    chmodSync(path.join(dir, 'station.key'), 0o640);
    const again = await run('keys', 'create-csr', '--key', 'station.key');
    expect(again.code).toBe(1);
    expect(again.err).toContain('KEY_FILE_PERMISSIONS');
    expect(again.err).toContain(`chmod 600 ${path.join(dir, 'station.key')}`);
  });

  it('refuses a certificate without digitalSignature with exit 1 and its code', async () => {
    await run('keys', 'create-csr', '--key', 'station.key');
    await caIssuing(path.join(dir, 'station.csr'), x509.KeyUsageFlags.keyEncipherment);
    const refused = await run('keys', 'install-cert', '--cert', 'issued.der', '--ca', 'ca.crt');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^CERT_KEY_USAGE: /);
    expect((await run('keys', 'show')).code).toBe(1);
  });

  it('exits 2 for a wrong command line', async () => {
    for (const argv of [
      ['keys', 'create-csr'],
      ['keys', 'create-csr', '--key', 'a.key', '--bogus'],
      ['keys', 'install-cert'],
      ['keys', 'show', 'extra'],
      ['keys', 'rotate'],
    ]) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err).not.toBe('');
    }
  });

  it('a subject that does not name the station is exit 1 with KEY_SUBJECT_INVALID', async () => {
    const result = await run('keys', 'create-csr', '--key', 'station.key', '--subject', 'CN=someone-else');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^KEY_SUBJECT_INVALID: .*HN-BADINH-07/);
  });
});
