import 'reflect-metadata';
import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  verify,
  webcrypto,
} from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { derEcdsaToRaw, rawEcdsaToDer } from '../../../station/keys/ecdsa.ts';
import { KeyError } from '../../../station/keys/errors.ts';
import {
  createCsr,
  createFileKey,
  openDecryptionKey,
  openFileKey,
  packetDecryptor,
  packetSigner,
} from '../../../station/keys/station-key.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'keys-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<KeyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KeyError) return error;
    throw error;
  }
  throw new Error('expected a KeyError, got success');
}

describe('key files', () => {
  it('creates a P-256 PKCS#8 PEM key with mode 0600 and refuses to overwrite it', async () => {
    const file = path.join(dir, 'sub', 'station.key');
    const key = await createFileKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const spki = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
    expect(spki.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const error = await rejection(createFileKey(file));
    expect(error.code).toBe('KEY_EXISTS');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it.each([0o640, 0o604, 0o620, 0o602, 0o660, 0o644, 0o700 | 0o044])(
    'refuses a key file with mode %o, naming chmod 600',
    async (mode) => {
      const file = path.join(dir, 'station.key');
      await createFileKey(file);
      chmodSync(file, mode);
      const error = await rejection(openFileKey(file));
      expect(error.code).toBe('KEY_FILE_PERMISSIONS');
      expect(error.file).toBe(file);
      expect(error.message).toContain(`chmod 600 ${file}`);
    },
  );

  it.each([0o600, 0o400])('opens a key file with mode %o', async (mode) => {
    const file = path.join(dir, 'station.key');
    await createFileKey(file);
    chmodSync(file, mode);
    await expect(openFileKey(file)).resolves.toMatchObject({ kind: 'file', location: file });
  });

  it('refuses a missing file, a SEC1 PEM and an RSA key with typed errors', async () => {
    expect((await rejection(openFileKey(path.join(dir, 'none.key')))).code).toBe('KEY_FILE_UNREADABLE');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sec1 = path.join(dir, 'sec1.key');
    writeFileSync(sec1, ec.privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
    const sec1Error = await rejection(openFileKey(sec1));
    expect(sec1Error.code).toBe('KEY_INVALID');
    expect(sec1Error.message).toContain('openssl pkcs8 -topk8');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaFile = path.join(dir, 'rsa.key');
    writeFileSync(rsaFile, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect((await rejection(openFileKey(rsaFile))).code).toBe('KEY_INVALID');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const p384File = path.join(dir, 'p384.key');
    writeFileSync(p384File, p384.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect((await rejection(openFileKey(p384File))).code).toBe('KEY_INVALID');
  });

  it('signs with ECDSA P-256 over SHA-256 as DER, verifiable by node:crypto', async () => {
    const key = await createFileKey(path.join(dir, 'station.key'));
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
    for (let seed = 0; seed < 20; seed++) {
      const data = randomBytes(100 + seed * 7);
      const signature = await key.sign(data);
      expect(signature[0]).toBe(0x30);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
      data[0] = (data[0] ?? 0) ^ 1;
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(false);
    }
  });
});

describe('ECDSA signature encodings', () => {
  it('converts raw r‖s to DER Ecdsa-Sig-Value with INTEGER sign padding, and back', () => {
    // r with its high bit set needs a 0x00 pad; s with leading zero bytes is shortened (X.690 §8.3).
    const r = new Uint8Array(32).fill(0x80);
    const s = new Uint8Array(32);
    s[31] = 0x05;
    const raw = new Uint8Array([...r, ...s]);
    const der = rawEcdsaToDer(raw);
    expect(Buffer.from(der).toString('hex')).toBe(`3026022100${'80'.repeat(32)}020105`);
    expect(derEcdsaToRaw(der)).toEqual(raw);
    expect(() => rawEcdsaToDer(new Uint8Array(63))).toThrow(RangeError);
  });
});

describe('CSR', () => {
  it('makes a PKCS#10 request signed by the key, naming the station, asking for digitalSignature', async () => {
    const key = await createFileKey(path.join(dir, 'station.key'));
    const pem = await createCsr(key, 'CN=HN-BADINH-07, O=Bo Cong an', 'HN-BADINH-07');
    const csr = new x509.Pkcs10CertificateRequest(pem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subjectName.getField('CN')).toEqual(['HN-BADINH-07']);
    expect(new Uint8Array(csr.publicKey.rawData)).toEqual(key.publicKeySpki);
    const extension = csr.extensions.find((e) => e.type === '2.5.29.15');
    expect(extension).toBeDefined();
    const usage = new x509.KeyUsagesExtension(extension?.rawData ?? new ArrayBuffer(0));
    expect(usage.usages).toBe(x509.KeyUsageFlags.digitalSignature);
  });

  it('refuses a subject that does not name the station, or does not parse', async () => {
    const key = await createFileKey(path.join(dir, 'station.key'));
    expect((await rejection(createCsr(key, 'CN=other-station', 'HN-BADINH-07'))).code).toBe(
      'KEY_SUBJECT_INVALID',
    );
    expect((await rejection(createCsr(key, 'not a name', 'HN-BADINH-07'))).code).toBe('KEY_SUBJECT_INVALID');
  });
});

async function selfSignedFor(spkiPem: webcrypto.CryptoKey, signer: webcrypto.CryptoKeyPair) {
  return x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=central',
    issuer: 'CN=central',
    notBefore: new Date(Date.UTC(2025, 0, 1)),
    notAfter: new Date(Date.UTC(2035, 0, 1)),
    publicKey: spkiPem,
    signingKey: signer.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
}

describe('PacketSigner and PacketDecryptor over files', () => {
  it('refuses a certificate that is not the key’s', async () => {
    const key = await createFileKey(path.join(dir, 'station.key'));
    const other = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cert = await selfSignedFor(other.publicKey, other);
    expect(() => packetSigner(key, new Uint8Array(cert.rawData))).toThrow(
      expect.objectContaining({ code: 'CERT_KEY_MISMATCH' }),
    );
  });

  it('unwraps RSA-OAEP-SHA256 with an RSA key file, and refuses data for another key', async () => {
    const mine = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const theirs = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file = path.join(dir, 'central.key');
    writeFileSync(file, mine.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const signer = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const rsaPublic = await webcrypto.subtle.importKey(
      'spki',
      mine.publicKey.export({ type: 'spki', format: 'der' }),
      { name: 'RSA-OAEP', hash: 'SHA-256' },
      true,
      ['encrypt'],
    );
    const cert = await selfSignedFor(rsaPublic, signer);
    const decryptor = packetDecryptor(await openDecryptionKey(file), new Uint8Array(cert.rawData));
    const cek = randomBytes(32);
    const wrapped = publicEncrypt(
      { key: mine.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    expect(Buffer.from(await decryptor.unwrapKey(wrapped))).toEqual(cek);
    const forOther = publicEncrypt(
      { key: theirs.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    expect((await rejection(decryptor.unwrapKey(forOther))).code).toBe('KEY_DECRYPT_FAILED');
    // SHA-1 OAEP (OpenSSL's default) is not what CMS here uses: it must not unwrap either.
    const sha1 = publicEncrypt({ key: mine.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, cek);
    expect((await rejection(decryptor.unwrapKey(sha1))).code).toBe('KEY_DECRYPT_FAILED');
  });
});
