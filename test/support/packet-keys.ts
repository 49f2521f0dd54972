/**
 * Test keys for enrollment packets: a station CA and station certificates (ECDSA P-256), central
 * service certificates (RSA 2048), and file-key `PacketSigner` / `PacketDecryptor` on node:crypto.
 * Made fresh in memory; nothing secret is stored in the repository. The real key store is
 * station/keys; these exist for tests and benchmarks only.
 */
import 'reflect-metadata';
import {
  constants,
  createHash,
  type KeyObject,
  KeyObject as NodeKeyObject,
  privateDecrypt,
  sign,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PacketDecryptor, PacketSigner } from '../../protocol/packet/keys.ts';
import type { PacketManifest } from '../../protocol/packet/manifest.ts';
import { type DecodeResult, fail, ok } from '../../protocol/result.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;
const DAY = 86_400_000;
const NOT_BEFORE = new Date(Date.UTC(2025, 0, 1));

let serial = 0x1000;
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(8, '0');
}

export interface TestCa {
  readonly certificate: Uint8Array;
  readonly keys: CryptoKeyPair;
  readonly privateKey: KeyObject;
}

export interface TestCredentials {
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
}

export interface Validity {
  readonly notBefore?: Date;
  /** Days from notBefore (default 3650). */
  readonly days?: number;
}

/** A self-signed station CA (ECDSA P-256). */
export async function createStationCa(name = 'Test Station CA', validity: Validity = {}): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = validity.notBefore ?? NOT_BEFORE;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}, O=Bộ Công an (test), C=VN`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (validity.days ?? 3650) * DAY),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return {
    certificate: new Uint8Array(cert.rawData),
    keys,
    privateKey: NodeKeyObject.from(keys.privateKey),
  };
}

/** A station certificate (ECDSA P-256) under `ca`. */
export async function issueStationCertificate(
  ca: TestCa,
  stationId = 'station-0001',
  validity: Validity = {},
): Promise<TestCredentials> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = validity.notBefore ?? NOT_BEFORE;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${stationId}, O=Bộ Công an (test), C=VN`,
    issuer: new x509.X509Certificate(ca.certificate).subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (validity.days ?? 3650) * DAY),
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

/** A self-signed central service certificate with an RSA 2048 key-transport key. */
export async function createCentral(name = 'Test Central'): Promise<TestCredentials> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}, O=Bộ Công an (test), C=VN`,
    notBefore: NOT_BEFORE,
    notAfter: new Date(NOT_BEFORE.getTime() + 3650 * DAY),
    keys,
    signingAlgorithm: RSA,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true)],
  });
  return { certificate: new Uint8Array(cert.rawData), privateKey: NodeKeyObject.from(keys.privateKey) };
}

/** A `PacketSigner` over a P-256 key object (the file-key case). */
export function fileSigner(credentials: TestCredentials, chain: readonly Uint8Array[] = []): PacketSigner {
  return {
    certificate: credentials.certificate,
    chain,
    async sign(data) {
      return new Uint8Array(sign('sha256', data, { key: credentials.privateKey, dsaEncoding: 'der' }));
    },
  };
}

/** A `PacketDecryptor` over an RSA key object. */
export function fileDecryptor(credentials: TestCredentials): PacketDecryptor {
  return {
    certificate: credentials.certificate,
    async unwrapKey(encryptedKey) {
      return new Uint8Array(
        privateDecrypt(
          { key: credentials.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          encryptedKey,
        ),
      );
    },
  };
}

/** PEM text of DER bytes. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** PKCS#8 PEM of a private key. */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export interface PacketTestPki {
  readonly stationCa: TestCa;
  readonly station: TestCredentials;
  readonly central: TestCredentials;
  readonly signer: PacketSigner;
  readonly decryptor: PacketDecryptor;
}

/** A station CA, a station certificate under it, and a central service, with signer and decryptor. */
export async function createPacketTestPki(): Promise<PacketTestPki> {
  const stationCa = await createStationCa();
  const station = await issueStationCertificate(stationCa);
  const central = await createCentral();
  return {
    stationCa,
    station,
    central,
    signer: fileSigner(station, [stationCa.certificate]),
    decryptor: fileDecryptor(central),
  };
}

// ---------------------------------------------------------------------------------------------
// A sample enrollment

/** Every Vietnamese letter with a diacritic, upper and lower case (NFC). */
export const VIETNAMESE_UPPER = 'ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ';
export const VIETNAMESE_LOWER = VIETNAMESE_UPPER.toLowerCase();

export interface SampleEnrollment {
  readonly manifest: PacketManifest;
  readonly transaction: Uint8Array;
  readonly portrait: Uint8Array;
  readonly images: readonly Uint8Array[];
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A consistent enrollment: `images` concatenated are the transaction (a stand-in until the
 * ANSI/NIST codec lands), the manifest lists their hashes. `overrides.applicant` is merged.
 */
export function sampleEnrollment(
  options: {
    readonly images?: readonly Uint8Array[];
    readonly portrait?: Uint8Array;
    readonly birthDate?: string;
    readonly capturedAt?: string;
    readonly withRepresentative?: boolean;
    readonly deviceCertificate?: Uint8Array;
  } = {},
): SampleEnrollment {
  const images = options.images ?? [1, 2, 3].map((n) => new Uint8Array(64).fill(n));
  const portrait = options.portrait ?? new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
  const transaction = new Uint8Array(images.reduce((n, i) => n + i.length, 0));
  let at = 0;
  for (const image of images) {
    transaction.set(image, at);
    at += image.length;
  }
  const certificate = Buffer.from(
    options.deviceCertificate ?? new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
  ).toString('base64');
  const manifest: PacketManifest = {
    manifestVersion: 1,
    packetId: '3f0c6a52-8a39-4d1e-9b6e-2f4f7a1c0d11',
    enrollmentSessionId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    environment: 'test',
    enrollmentType: 'first-issue',
    applicant: {
      personalId: '001090012345',
      fullName: `NGUYỄN ${VIETNAMESE_UPPER}`,
      birthDate: options.birthDate ?? '1990-02-28',
      sex: 'female',
      nationality: 'Việt Nam',
      ethnicity: 'Kinh',
      religion: 'Không',
      placeOfOrigin: `Xã ${VIETNAMESE_LOWER}, Hà Nội`,
      placeOfBirthRegistration: 'Phường Điện Biên, Quận Ba Đình, Hà Nội',
      placeOfResidence: `Số 1 phố Đinh Tiên Hoàng, ${VIETNAMESE_LOWER}`,
      identifyingMarks: 'Nốt ruồi C:1cm trên trước mép trái',
      father: { fullName: 'NGUYỄN VĂN ĐỨC' },
      mother: { fullName: 'TRẦN THỊ THỦY' },
      ...(options.withRepresentative
        ? {
            legalRepresentative: {
              personalId: '001065000111',
              fullName: 'NGUYỄN VĂN ĐỨC',
              relationship: 'father' as const,
              consent: { given: true as const, at: '2026-03-14T09:00:00+07:00' },
            },
          }
        : {}),
    },
    capture: {
      images: images.map((image, i) => ({
        kind: 'finger' as const,
        position: (i % 10) + 1,
        format: 'wsq' as const,
        sha256: sha256Hex(image),
        byteLength: image.length,
        device: { model: 'SIM-4500', serialNumber: 'SN0001', firmware: '1.2.3', certificate },
        deviceSignature: 'MEUCIQ==',
        quality: { score: 70, algorithm: { vendorId: 0, productId: 1, version: 'q1' } },
        attempts: 1,
      })),
      exceptions: [],
    },
    transactionSha256: sha256Hex(transaction),
    portraitSha256: sha256Hex(portrait),
    stationId: 'station-0001',
    officerId: 'officer-042',
    supervisorApproval: null,
    times: {
      sessionStartedAt: '2026-03-14T08:55:00+07:00',
      capturedAt: options.capturedAt ?? '2026-03-14T09:05:00+07:00',
      builtAt: '2026-03-14T09:10:00+07:00',
    },
    auditChainHead: 'ab'.repeat(32),
  };
  return { manifest, transaction, portrait, images };
}

/** Splits the stand-in transaction back into images of the given lengths. */
export function splitImages(transaction: Uint8Array, lengths: readonly number[]): DecodeResult<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const length of lengths) {
    if (at + length > transaction.length) return fail('truncated', at, 'image runs past the transaction');
    out.push(transaction.subarray(at, at + length));
    at += length;
  }
  return at === transaction.length ? ok(out) : fail('trailing-data', at, 'bytes after the last image');
}
