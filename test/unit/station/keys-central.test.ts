import 'reflect-metadata';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CentralKeyError, loadOrCreateCentralKeys } from '../../../simulators/central/keys.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'keys-central-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the central simulator key', () => {
  it('is minted on the first start (RSA-3072, 0600) and reused by the next start', async () => {
    const data = path.join(dir, 'central');
    const first = await loadOrCreateCentralKeys(data);
    expect(first.created).toBe(true);
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
    const cert = new x509.X509Certificate(first.certificate);
    const publicKey = createPublicKey(cert.toString('pem'));
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(await cert.verify({ signatureOnly: true })).toBe(true);
    const keyText = readFileSync(first.keyFile, 'utf8');

    const second = await loadOrCreateCentralKeys(data);
    expect(second.created).toBe(false);
    expect(second.certificate).toEqual(first.certificate);
    expect(readFileSync(first.keyFile, 'utf8')).toBe(keyText);

    // A content key wrapped to the first start's certificate opens after the restart.
    const cek = randomBytes(32);
    const wrapped = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    expect(Buffer.from(await second.decryptor.unwrapKey(wrapped))).toEqual(cek);
  }, 60_000);

  it('re-certifies the same key when the certificate was lost, and refuses an open key file', async () => {
    const first = await loadOrCreateCentralKeys(dir);
    rmSync(first.certificateFile);
    const again = await loadOrCreateCentralKeys(dir);
    expect(again.created).toBe(false);
    expect(
      createPublicKey(new x509.X509Certificate(again.certificate).toString('pem')).equals(
        createPublicKey(new x509.X509Certificate(first.certificate).toString('pem')),
      ),
    ).toBe(true);
    chmodSync(first.keyFile, 0o644);
    await expect(loadOrCreateCentralKeys(dir)).rejects.toThrow(CentralKeyError);
    await expect(loadOrCreateCentralKeys(dir)).rejects.toMatchObject({ code: 'CENTRAL_KEY_PERMISSIONS' });
  }, 60_000);
});
