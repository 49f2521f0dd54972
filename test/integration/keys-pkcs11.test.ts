/**
 * Station keys in a PKCS#11 token: SoftHSM2 (Debian's softhsm2), a fresh token per run in a temp
 * folder. Needs softhsm2 installed (`npm run setup:test`); without it the suite fails saying so.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { constants, createPublicKey, publicEncrypt, randomBytes, verify, webcrypto } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../station/cli/main.ts';
import { KeyError } from '../../station/keys/errors.ts';
import { SOFTHSM2_MODULE } from '../../station/keys/pkcs11-uri.ts';
import { openDecryptionKey, openStationKey } from '../../station/keys/station-key.ts';
import { openStoreSigner } from '../../station/keys/store.ts';
import { recordingIo } from '../support/cli.ts';
import { createSoftHsmToken } from '../support/softhsm.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const PIN = '246810';
const TOKEN = 'station-test';

let dir: string;

beforeAll(() => {
  dir = createSoftHsmToken({ label: TOKEN, pin: PIN, prefix: 'keys-pkcs11-' }).dir;
  writeFileSync(
    path.join(dir, 'station.config.json'),
    JSON.stringify({ stationId: 'DN-HAICHAU-02', dataDir: './var' }),
  );
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const URI = `pkcs11:token=${TOKEN};object=station-sign`;
const env = () => ({ STATION_PKCS11_PIN: PIN });

async function cli(...argv: string[]) {
  const io = recordingIo(dir, env());
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    const value = (await promise) as { close?: () => Promise<void> };
    await value.close?.();
  } catch (error) {
    if (error instanceof KeyError) return error.code;
    throw error;
  }
  return 'resolved';
}

/** Reads attributes of the token's objects with the binding itself, as an auditor would. */
function privateKeyAttributes(label: string) {
  const module = new pkcs11js.PKCS11();
  module.load(SOFTHSM2_MODULE);
  module.C_Initialize();
  try {
    const slot = module.C_GetSlotList(true).find((s) => module.C_GetTokenInfo(s).label.trim() === TOKEN);
    if (slot === undefined) throw new Error('token not found');
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    module.C_Login(session, pkcs11js.CKU_USER, PIN);
    module.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    const [handle] = module.C_FindObjects(session, 2);
    module.C_FindObjectsFinal(session);
    if (handle === undefined) throw new Error('key not found');
    const [sensitive, extractable] = module.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_EXTRACTABLE },
    ]);
    module.C_CloseSession(session);
    return { sensitive: sensitive?.value?.[0] === 1, extractable: extractable?.value?.[0] === 1 };
  } finally {
    module.C_Finalize();
    module.close();
  }
}

function generateRsaInToken(label: string): void {
  const module = new pkcs11js.PKCS11();
  module.load(SOFTHSM2_MODULE);
  module.C_Initialize();
  try {
    const slot = module.C_GetSlotList(true).find((s) => module.C_GetTokenInfo(s).label.trim() === TOKEN);
    if (slot === undefined) throw new Error('token not found');
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    module.C_Login(session, pkcs11js.CKU_USER, PIN);
    module.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_DECRYPT, value: true },
      ],
    );
    module.C_CloseSession(session);
  } finally {
    module.C_Finalize();
    module.close();
  }
}

describe('station keys in SoftHSM2', () => {
  it('generates the key in the token, makes a CSR, installs the CA-issued certificate and signs verifiably', async () => {
    const made = await cli('keys', 'create-csr', '--key', URI, '--out', 'station.csr');
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({ keyCreated: true, key: URI });
    expect(privateKeyAttributes('station-sign')).toEqual({ sensitive: true, extractable: false });

    const csr = new x509.Pkcs10CertificateRequest(readFileSync(path.join(dir, 'station.csr'), 'utf8'));
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('CN=DN-HAICHAU-02');

    const caKeys = (await webcrypto.subtle.generateKey(EC, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=Test Station CA',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 3650 * DAY),
      keys: caKeys,
      signingAlgorithm: EC,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '5150',
      subject: csr.subject,
      issuer: ca.subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
      publicKey: await csr.publicKey.export(EC, ['verify']),
      signingKey: caKeys.privateKey,
      signingAlgorithm: EC,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    });
    writeFileSync(path.join(dir, 'issued.crt'), cert.toString('pem'));
    writeFileSync(path.join(dir, 'ca.crt'), ca.toString('pem'));
    const installed = await cli('keys', 'install-cert', '--cert', 'issued.crt', '--ca', 'ca.crt');
    expect(installed.err).toBe('');
    expect(installed.code).toBe(0);
    const shown = JSON.parse((await cli('keys', 'show')).out);
    expect(shown.current).toMatchObject({ kind: 'pkcs11', key: URI, certificate: { serialNumber: '5150' } });

    const signer = await openStoreSigner(path.join(dir, 'var', 'keys'), { env: env() });
    const publicKey = createPublicKey({ key: cert.toString('pem'), format: 'pem' });
    for (let seed = 0; seed < 20; seed++) {
      const data = randomBytes(200 + seed);
      const signature = await signer.sign(data);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
    }
    // Concurrent signatures on one session are queued, not interleaved.
    const data = randomBytes(64);
    const signatures = await Promise.all(Array.from({ length: 8 }, () => signer.sign(data)));
    for (const signature of signatures)
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
    await signer.close();

    const reused = await cli('keys', 'create-csr', '--key', URI, '--out', 'again.csr');
    expect(JSON.parse(reused.out)).toMatchObject({ keyCreated: false });
  });

  it('gives typed errors for a wrong or missing PIN, an unknown token or key, and an open PIN file', async () => {
    const opened = await openStationKey(`${URI}?pin-value=${PIN}`);
    await opened.close();
    expect(await codeOf(openStationKey(`${URI}?pin-value=000000`))).toBe('PKCS11_PIN_INCORRECT');
    expect(await codeOf(openStationKey(URI, { env: {} }))).toBe('PKCS11_PIN_MISSING');
    expect(await codeOf(openStationKey(`pkcs11:token=nope;object=station-sign?pin-value=${PIN}`))).toBe(
      'PKCS11_TOKEN_NOT_FOUND',
    );
    expect(await codeOf(openStationKey(`pkcs11:token=${TOKEN};object=nope?pin-value=${PIN}`))).toBe(
      'PKCS11_OBJECT_NOT_FOUND',
    );
    expect(await codeOf(openStationKey(`${URI}?pin-value=${PIN}&module-path=/nonexistent/lib.so`))).toBe(
      'PKCS11_MODULE_UNAVAILABLE',
    );
    const pinFile = path.join(dir, 'pin');
    writeFileSync(pinFile, `${PIN}\n`, { mode: 0o644 });
    expect(await codeOf(openStationKey(`${URI}?pin-source=file:${pinFile}`))).toBe('KEY_FILE_PERMISSIONS');
    rmSync(pinFile);
    writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
    expect(await codeOf(openStationKey(`${URI}?pin-source=file:${pinFile}`))).toBe('resolved');
    // The PIN never shows in an error.
    try {
      await openStationKey(`${URI}?pin-value=975310`);
    } catch (error) {
      expect(String(error)).not.toContain('975310');
      expect((error as KeyError).message).not.toContain('975310');
    }
  });

  it('unwraps RSA-OAEP-SHA256 with an RSA key in the token (CKM_RSA_PKCS_OAEP), or says the token cannot', async () => {
    generateRsaInToken('central-rsa');
    const key = await openDecryptionKey(`pkcs11:token=${TOKEN};object=central-rsa?pin-value=${PIN}`);
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const cek = randomBytes(32);
    const wrapped = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    const version = execFileSync('softhsm2-util', ['--version'], { encoding: 'utf8' }).trim();
    if (/^2\.[0-6]\./.test(version)) {
      // SoftHSM2 up to 2.6 (Debian 12 ships 2.6.1) implements OAEP with SHA-1 only.
      expect(await codeOf(key.decrypt(wrapped))).toBe('PKCS11_MECHANISM_UNSUPPORTED');
    } else {
      expect(Buffer.from(await key.decrypt(wrapped))).toEqual(cek);
    }
    await key.close();
  });
});
