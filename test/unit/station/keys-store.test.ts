import 'reflect-metadata';
import { createPublicKey, verify, webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyError } from '../../../station/keys/errors.ts';
import { parsePkcs11Uri, redactPkcs11Uri, withoutPinValue } from '../../../station/keys/pkcs11-uri.ts';
import {
  createStationCsr,
  describeKeyStore,
  installStationCertificate,
  openStoreSigner,
} from '../../../station/keys/store.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const NOW = new Date(Date.UTC(2026, 5, 1));

interface Ca {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

async function makeCa(name: string, issuer?: Ca): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0a',
    subject: `CN=${name}`,
    issuer: issuer ? issuer.cert.subject : `CN=${name}`,
    notBefore: new Date(NOW.getTime() - 365 * DAY),
    notAfter: new Date(NOW.getTime() + 3650 * DAY),
    publicKey: keys.publicKey,
    signingKey: (issuer ?? { keys }).keys.privateKey,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { cert, keys };
}

/** Issues a certificate for the CSR in `csrFile`, as a CA would. */
async function issue(
  ca: Ca,
  csrFile: string,
  options: { serial?: string; notBefore?: Date; notAfter?: Date; usages?: number | null } = {},
): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(readFileSync(csrFile, 'utf8'));
  const usages = options.usages === undefined ? x509.KeyUsageFlags.digitalSignature : options.usages;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serial ?? '1001',
    subject: csr.subject,
    issuer: ca.cert.subject,
    notBefore: options.notBefore ?? new Date(NOW.getTime() - DAY),
    notAfter: options.notAfter ?? new Date(NOW.getTime() + 365 * DAY),
    publicKey: await csr.publicKey.export(EC, ['verify']),
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    extensions: usages === null ? [] : [new x509.KeyUsagesExtension(usages, true)],
  });
  return cert.toString('pem');
}

let dir: string;
let store: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'keys-store-'));
  store = path.join(dir, 'var', 'keys');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function csr(key = 'station.key', out = 'station.csr') {
  return createStationCsr({
    dir: store,
    keyLocation: key,
    subject: 'CN=st-07, O=Test',
    stationId: 'st-07',
    out,
    now: NOW,
    cwd: dir,
  });
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KeyError) return error.code;
    throw error;
  }
  return 'resolved';
}

describe('install-cert', () => {
  it('installs the certificate for the pending key; the store then signs packets with it', async () => {
    const ca = await makeCa('Test Station CA');
    const made = await csr();
    expect(made.keyCreated).toBe(true);
    const certFile = write('issued.crt', await issue(ca, made.csr));
    const caFile = write('ca.crt', ca.cert.toString('pem'));
    const installed = await installStationCertificate({ dir: store, certFile, caFile, now: NOW });
    expect(installed.change).toBe('first');
    expect(installed.certificate.serialNumber).toBe('1001');
    expect(existsSync(path.join(store, 'pending.json'))).toBe(false);

    const signer = await openStoreSigner(store);
    const data = new TextEncoder().encode('SignedAttributes');
    const signature = await signer.sign(data);
    const publicKey = createPublicKey({
      key: new x509.X509Certificate(signer.certificate).toString('pem'),
      format: 'pem',
    });
    expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
    expect(signer.chain).toEqual([]);
    await signer.close();
  });

  it('refuses a certificate for another key, outside its validity, without digitalSignature, or from another CA', async () => {
    const ca = await makeCa('Test Station CA');
    const otherCa = await makeCa('Other CA');
    const caFile = write('ca.crt', ca.cert.toString('pem'));
    const elsewhere = await createStationCsr({
      dir: path.join(dir, 'elsewhere'),
      keyLocation: 'other.key',
      subject: 'CN=st-07',
      stationId: 'st-07',
      out: 'other.csr',
      now: NOW,
      cwd: dir,
    });
    const made = await csr();
    const cases: [string, string][] = [
      ['CERT_KEY_MISMATCH', await issue(ca, elsewhere.csr)],
      [
        'CERT_EXPIRED',
        await issue(ca, made.csr, {
          notBefore: new Date(NOW.getTime() - 400 * DAY),
          notAfter: new Date(NOW.getTime() - DAY),
        }),
      ],
      ['CERT_NOT_YET_VALID', await issue(ca, made.csr, { notBefore: new Date(NOW.getTime() + DAY) })],
      ['CERT_KEY_USAGE', await issue(ca, made.csr, { usages: x509.KeyUsageFlags.keyEncipherment })],
      ['CERT_KEY_USAGE', await issue(ca, made.csr, { usages: null })],
      ['CERT_NOT_CHAINED', await issue(otherCa, made.csr)],
    ];
    for (const [code, pem] of cases) {
      const certFile = write('bad.crt', pem);
      expect(await codeOf(installStationCertificate({ dir: store, certFile, caFile, now: NOW }))).toBe(code);
    }
    expect(
      await codeOf(installStationCertificate({ dir: store, certFile: write('junk.crt', 'junk'), now: NOW })),
    ).toBe('CERT_INVALID');
    // Nothing was installed by the refusals.
    expect(existsSync(path.join(store, 'station.json'))).toBe(false);
  });

  it('accepts a certificate through an intermediate CA and keeps the intermediate as the chain', async () => {
    const root = await makeCa('Root CA');
    const intermediate = await makeCa('Issuing CA', root);
    const made = await csr();
    const certFile = write('issued.crt', await issue(intermediate, made.csr));
    const caFile = write('cas.pem', `${intermediate.cert.toString('pem')}\n${root.cert.toString('pem')}`);
    await installStationCertificate({ dir: store, certFile, caFile, now: NOW });
    const signer = await openStoreSigner(store);
    expect(signer.chain.map((c) => new x509.X509Certificate(c).subject)).toEqual(['CN=Issuing CA']);
    await signer.close();
  });

  it('without a CSR or a current key, says to run create-csr first', async () => {
    const ca = await makeCa('Test Station CA');
    const certFile = write('ca.crt', ca.cert.toString('pem'));
    expect(await codeOf(installStationCertificate({ dir: store, certFile, now: NOW }))).toBe(
      'KEY_NOT_INSTALLED',
    );
    expect(await codeOf(openStoreSigner(store))).toBe('KEY_NOT_INSTALLED');
  });
});

describe('rotation', () => {
  it('makes the new key and certificate current and keeps the old certificate in history', async () => {
    const ca = await makeCa('Test Station CA');
    const caFile = write('ca.crt', ca.cert.toString('pem'));
    const first = await csr('key-1.key', 'one.csr');
    await installStationCertificate({
      dir: store,
      certFile: write('one.crt', await issue(ca, first.csr, { serial: '11' })),
      caFile,
      now: NOW,
    });
    const oldCert = (await openStoreSigner(store)).certificate;

    const second = await csr('key-2.key', 'two.csr');
    expect(second.keyCreated).toBe(true);
    const rotated = await installStationCertificate({
      dir: store,
      certFile: write('two.crt', await issue(ca, second.csr, { serial: '22' })),
      caFile,
      now: NOW,
    });
    expect(rotated.change).toBe('rotated');
    expect(rotated.key).toBe(path.join(dir, 'key-2.key'));

    const signer = await openStoreSigner(store);
    expect(new x509.X509Certificate(signer.certificate).serialNumber).toBe('22');
    expect(signer.key.location).toBe(path.join(dir, 'key-2.key'));
    const history = readdirSync(path.join(store, 'history'));
    expect(history).toHaveLength(1);
    const kept = new x509.X509Certificate(
      readFileSync(path.join(store, 'history', history[0] ?? ''), 'utf8'),
    );
    expect(new Uint8Array(kept.rawData)).toEqual(oldCert);

    const shown = await describeKeyStore(store, NOW);
    expect(shown.current?.certificate.serialNumber).toBe('22');
    expect(shown.current?.key).toBe(path.join(dir, 'key-2.key'));
    expect(shown.current?.certificate.daysToExpiry).toBe(365);
    expect(shown.history.map((h) => h.serialNumber)).toEqual(['11']);
    expect(shown.pending).toBeUndefined();
  });

  it('renews: a second certificate for the current key replaces the first', async () => {
    const ca = await makeCa('Test Station CA');
    const made = await csr();
    await installStationCertificate({
      dir: store,
      certFile: write('a.crt', await issue(ca, made.csr, { serial: '31' })),
      now: NOW,
    });
    const renewed = await installStationCertificate({
      dir: store,
      certFile: write('b.crt', await issue(ca, made.csr, { serial: '32' })),
      now: NOW,
    });
    expect(renewed.change).toBe('renewed');
    expect((await describeKeyStore(store, NOW)).history.map((h) => h.serialNumber)).toEqual(['31']);
  });
});

describe('PKCS#11 URIs (RFC 7512)', () => {
  it('reads token, object, id and the PIN sources', () => {
    const uri = parsePkcs11Uri('pkcs11:token=station;object=station%2Dsign;id=%01%FF?pin-value=12%2034', {});
    expect(uri).toMatchObject({
      token: 'station',
      object: 'station-sign',
      pinSource: { kind: 'value', pin: '12 34' },
    });
    expect(uri.id).toEqual(new Uint8Array([1, 0xff]));
    expect(uri.modulePath).toBe('/usr/lib/softhsm/libsofthsm2.so');
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:/etc/pin', {}).pinSource).toEqual({
      kind: 'file',
      path: '/etc/pin',
    });
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:///etc/pin', {}).pinSource).toEqual({
      kind: 'file',
      path: '/etc/pin',
    });
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=env:MY_PIN', {}).pinSource).toEqual({
      kind: 'env',
      name: 'MY_PIN',
    });
    expect(
      parsePkcs11Uri('pkcs11:token=t;object=o', { STATION_PKCS11_MODULE: '/opt/vendor.so' }),
    ).toMatchObject({
      pinSource: { kind: 'env', name: 'STATION_PKCS11_PIN' },
      modulePath: '/opt/vendor.so',
    });
  });

  it.each([
    'pkcs11:object=o',
    'pkcs11:token=t',
    'pkcs11:token=t;object=o;type=cert',
    'pkcs11:token=t;token=u;object=o',
    'pkcs11:token=t;object=o;colour=red',
    'pkcs11:token=t;object=%G1',
    'pkcs11:token=t;object=o?pin-value=1&pin-source=file:/p',
    'pkcs11:token=t;object=o?pin-source=https://x',
    'pkcs11:token=t;object=o?module-name=softhsm2',
    'pkcs11:slot-id=x;object=o',
  ])('refuses %s with PKCS11_URI_INVALID', (text) => {
    expect(() => parsePkcs11Uri(text, {})).toThrow(expect.objectContaining({ code: 'PKCS11_URI_INVALID' }));
  });

  it('never shows or stores the PIN', () => {
    const text = 'pkcs11:token=t;object=o?module-path=/m.so&pin-value=s3cret';
    expect(redactPkcs11Uri(text)).toBe('pkcs11:token=t;object=o?module-path=/m.so&pin-value=***');
    expect(withoutPinValue(text)).toBe('pkcs11:token=t;object=o?module-path=/m.so');
    expect(withoutPinValue('pkcs11:token=t;object=o?pin-value=s3cret')).toBe('pkcs11:token=t;object=o');
    try {
      parsePkcs11Uri('pkcs11:token=t;object=o;bad=1?pin-value=s3cret', {});
    } catch (error) {
      expect(String(error)).not.toContain('s3cret');
    }
  });
});
