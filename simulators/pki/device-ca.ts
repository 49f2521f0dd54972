/**
 * Test PKI for simulated devices: a vendor device CA and device certificates under it, each with
 * its own P-256 key, made fresh in memory (nothing secret is stored in the repository).
 */
import 'reflect-metadata';
import { type KeyObject, KeyObject as NodeKeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface DeviceCa {
  readonly certificate: Uint8Array;
  readonly name: string;
  readonly keys: CryptoKeyPair;
}

export interface DeviceCredentials {
  /** X.509 DER of the device certificate. */
  readonly certificate: Uint8Array;
  /** The device's signing key (ECDSA P-256). */
  readonly privateKey: KeyObject;
}

let serial = 1;
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(8, '0');
}

/** A self-signed vendor device CA, valid from `notBefore` for ten years. */
export async function createDeviceCa(
  name: string,
  notBefore = new Date(Date.UTC(2025, 0, 1)),
): Promise<DeviceCa> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}, O=Simulated Devices`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 3650 * DAY),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certificate: new Uint8Array(cert.rawData), name, keys };
}

/** A device certificate for `serialNumber` under `ca`, with a fresh key. */
export async function issueDeviceCertificate(
  ca: DeviceCa,
  subject: { readonly model: string; readonly serialNumber: string },
  notBefore = new Date(Date.UTC(2025, 0, 1)),
  validDays = 3650,
): Promise<DeviceCredentials> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${subject.model} ${subject.serialNumber}, 2.5.4.5=${subject.serialNumber}, O=Simulated Devices`,
    issuer: new x509.X509Certificate(ca.certificate).subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + validDays * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  return { certificate: new Uint8Array(cert.rawData), privateKey: NodeKeyObject.from(keys.privateKey) };
}
