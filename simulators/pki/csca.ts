/**
 * Test country signing PKI (ICAO 9303-12): a self-signed Country Signing CA (CSCA), Document
 * Signer (DS) certificates under it (normal, expired, and from a CSCA nobody trusts), CSCA link
 * certificates, Master List Signers, CRLs, a CMS signer for EF.SOD and master lists, and a
 * trust-store folder exporter. For the trust store's tests it also makes deliberately bad
 * certificates (a CSCA that is no CA, without keyCertSign, a DS without digitalSignature, a list
 * signer without its extended key usage). Keys are made fresh in memory with WebCrypto;
 * certificates with @peculiar/x509, as simulators/pki/device-ca.ts does.
 */
import 'reflect-metadata';
import { constants, createHash, KeyObject, sign as nodeSign, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CertificateChoices,
  CertificateSet,
  Attribute as CmsAttribute,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import {
  encodeDerInteger,
  encodeOid,
  type HashAlgorithm,
  hashAlgorithmOid,
  OID,
} from '../../protocol/icao9303/sod.ts';
import { concatBytes, encodeTlv } from '../../protocol/iso7816/tlv.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Key and signature algorithm of a CSCA or DS. */
export type PkiAlgorithm = 'ecdsa-p256' | 'rsa-2048' | 'rsa-pss-2048';

const DAY = 86_400_000;

const KEY_PARAMS: Readonly<Record<PkiAlgorithm, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams>> =
  {
    'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
    'rsa-2048': {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: 'SHA-256',
    },
    'rsa-pss-2048': {
      name: 'RSA-PSS',
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: 'SHA-256',
    },
  };

/** What the issuer signs certificates with (SHA-256 throughout). */
const SIGNING: Readonly<
  Record<PkiAlgorithm, webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaPssParams>
> = {
  'ecdsa-p256': { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5' },
  'rsa-pss-2048': { name: 'RSA-PSS', saltLength: 32 } as webcrypto.RsaPssParams,
};

let serial = 0x1000;
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(8, '0');
}

async function generateKeys(algorithm: PkiAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_PARAMS[algorithm], true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

export interface Csca {
  /** X.509 DER. */
  readonly certificate: Uint8Array;
  /** Subject DN text. */
  readonly name: string;
  readonly algorithm: PkiAlgorithm;
  readonly keys: CryptoKeyPair;
}

/** RFC 5280 §4.2.1.3 key usage bits, by name. */
export type KeyUsageName = keyof typeof x509.KeyUsageFlags;

/** id-icao-cscaMasterListSigningKey (9303-12 §7.1.1): the extended key usage of a Master List Signer. */
export const MASTER_LIST_SIGNING_KEY_OID = '2.23.136.1.1.3';

function keyUsageFlags(names: readonly KeyUsageName[]): number {
  return names.reduce((flags, name) => flags | x509.KeyUsageFlags[name], 0);
}

/** Deliberate departures from the CSCA profile, for the trust store's tests. */
export interface CscaProfileFaults {
  /** 'not-ca': cA FALSE; 'absent': no basicConstraints; 'not-critical': cA TRUE, not marked critical. */
  readonly basicConstraints?: 'not-ca' | 'absent' | 'not-critical';
  /** The key usage bits instead of keyCertSign + cRLSign, or 'absent' for no extension. */
  readonly keyUsage?: readonly KeyUsageName[] | 'absent';
  /** keyUsage present but not marked critical. */
  readonly keyUsageNotCritical?: boolean;
  /** Add a critical extension of this OID (empty value) that no verifier understands. */
  readonly unknownCriticalExtension?: string;
}

export interface CscaOptions {
  /** Default 'CSCA Viet Nam (simulated)'. */
  readonly commonName?: string;
  /** ISO 3166-1 alpha-2, default 'VN'. */
  readonly country?: string;
  readonly algorithm?: PkiAlgorithm;
  /** Default 2024-01-01. */
  readonly notBefore?: Date;
  /** Default 15 years (9303-12 §7.1.1: key usage 3–5 years plus the longest DS validity). */
  readonly validDays?: number;
  readonly faults?: CscaProfileFaults;
}

function cscaConstraintExtensions(faults: CscaProfileFaults = {}): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (faults.basicConstraints !== 'absent')
    extensions.push(
      faults.basicConstraints === 'not-ca'
        ? new x509.BasicConstraintsExtension(false, undefined, true)
        : new x509.BasicConstraintsExtension(true, 0, faults.basicConstraints !== 'not-critical'),
    );
  if (faults.keyUsage !== 'absent')
    extensions.push(
      new x509.KeyUsagesExtension(
        keyUsageFlags(faults.keyUsage ?? ['keyCertSign', 'cRLSign']),
        faults.keyUsageNotCritical !== true,
      ),
    );
  if (faults.unknownCriticalExtension !== undefined)
    extensions.push(new x509.Extension(faults.unknownCriticalExtension, true, Uint8Array.of(0x05, 0x00)));
  return extensions;
}

/**
 * A self-signed CSCA certificate with a fresh key (9303-12 §7.1.1 profile, simplified):
 * basicConstraints cA pathLen 0 and keyUsage keyCertSign + cRLSign, both critical, unless `faults`.
 */
export async function createCsca(options: CscaOptions = {}): Promise<Csca> {
  const algorithm = options.algorithm ?? 'ecdsa-p256';
  const notBefore = options.notBefore ?? new Date(Date.UTC(2024, 0, 1));
  const name = `C=${options.country ?? 'VN'}, O=Simulated Government, CN=${options.commonName ?? 'CSCA Viet Nam (simulated)'}`;
  const keys = await generateKeys(algorithm);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.validDays ?? 15 * 365) * DAY),
    keys,
    signingAlgorithm: SIGNING[algorithm],
    extensions: [
      ...cscaConstraintExtensions(options.faults),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: new Uint8Array(cert.rawData), name, algorithm, keys };
}

export interface LinkCertificateOptions {
  /** Sign with this CSCA's key instead of `from`'s while still naming `from` as issuer: a forgery. */
  readonly signWith?: Csca;
  /** Default: `to`'s validity start. */
  readonly notBefore?: Date;
  /** Default 10 years. */
  readonly validDays?: number;
}

/**
 * A CSCA link certificate (9303-12 §7.1.1, key rollover): `to`'s name and public key, issued and
 * signed by `from`'s key, so a verifier holding `from` can trust `to`. With the default names both
 * CSCAs are 'CSCA Viet Nam (simulated)': a self-issued link told apart only by its key identifiers.
 */
export async function issueLinkCertificate(
  from: Csca,
  to: Csca,
  options: LinkCertificateOptions = {},
): Promise<Uint8Array> {
  const signer = options.signWith ?? from;
  const toCert = new x509.X509Certificate(to.certificate);
  const notBefore = options.notBefore ?? toCert.notBefore;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: toCert.subject,
    issuer: new x509.X509Certificate(from.certificate).subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.validDays ?? 10 * 365) * DAY),
    publicKey: to.keys.publicKey,
    signingKey: signer.keys.privateKey,
    signingAlgorithm: SIGNING[signer.algorithm],
    extensions: [
      ...cscaConstraintExtensions(),
      await x509.SubjectKeyIdentifierExtension.create(to.keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(from.keys.publicKey),
    ],
  });
  return new Uint8Array(cert.rawData);
}

export interface DocumentSigner {
  /** X.509 DER. */
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
  readonly algorithm: PkiAlgorithm;
  /** Serial number, hex. */
  readonly serialNumber: string;
  readonly csca: Csca;
}

export interface DocumentSignerOptions {
  /** Default 'Document Signer <n> (simulated)'. */
  readonly commonName?: string;
  /** The DS key's algorithm; defaults to the CSCA's. */
  readonly algorithm?: PkiAlgorithm;
  /** Default 2025-01-01. */
  readonly notBefore?: Date;
  /** Default 11 years (9303-12 §7.1.2: key usage up to 3 months plus the document's 10 years). */
  readonly validDays?: number;
  /** Leave out the authority key identifier, so only the issuer name links the DS to a CSCA. */
  readonly omitAuthorityKeyIdentifier?: boolean;
  /** Key usage bits (critical); default digitalSignature. */
  readonly keyUsage?: readonly KeyUsageName[];
  /** Extended key usage purposes (OIDs, critical); default none, as 9303-12 wants for a DS. */
  readonly extendedKeyUsage?: readonly string[];
}

/**
 * A DS certificate under `csca` with a fresh key (9303-12 §7.1.2 profile, simplified). With
 * `extendedKeyUsage` it is any other end-entity signer of the same PKI (a Master List Signer).
 */
export async function issueDocumentSigner(
  csca: Csca,
  options: DocumentSignerOptions = {},
): Promise<DocumentSigner> {
  const algorithm = options.algorithm ?? csca.algorithm;
  const notBefore = options.notBefore ?? new Date(Date.UTC(2025, 0, 1));
  const serialNumber = nextSerial();
  const keys = await generateKeys(algorithm);
  const cscaCert = new x509.X509Certificate(csca.certificate);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `C=VN, O=Simulated Government, CN=${options.commonName ?? `Document Signer ${serialNumber} (simulated)`}`,
    issuer: cscaCert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.validDays ?? 11 * 365) * DAY),
    publicKey: keys.publicKey,
    signingKey: csca.keys.privateKey,
    signingAlgorithm: SIGNING[csca.algorithm],
    extensions: [
      new x509.KeyUsagesExtension(keyUsageFlags(options.keyUsage ?? ['digitalSignature']), true),
      ...(options.extendedKeyUsage === undefined
        ? []
        : [new x509.ExtendedKeyUsageExtension([...options.extendedKeyUsage], true)]),
      ...(options.omitAuthorityKeyIdentifier
        ? []
        : [await x509.AuthorityKeyIdentifierExtension.create(csca.keys.publicKey)]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate: new Uint8Array(cert.rawData),
    privateKey: KeyObject.from(keys.privateKey),
    algorithm,
    serialNumber,
    csca,
  };
}

/** A CRL from `csca` listing `revokedSerials` (hex), valid from `thisUpdate` for 90 days. */
export async function createCrl(
  csca: Csca,
  revokedSerials: readonly string[],
  thisUpdate = new Date(Date.UTC(2025, 6, 1)),
): Promise<Uint8Array> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(csca.certificate).subject,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 90 * DAY),
    entries: revokedSerials.map((serialNumber) => ({ serialNumber, revocationDate: thisUpdate })),
    signingKey: csca.keys.privateKey,
    signingAlgorithm: SIGNING[csca.algorithm],
  });
  return new Uint8Array(crl.rawData);
}

// ---------------------------------------------------------------------------------------------
// CMS SignedData signer (RFC 5652 §5), as EF.SOD (9303-10 §4.6.2) and master lists use it

export interface CmsSigner {
  /** X.509 DER of the signer's certificate (embedded in `certificates`). */
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
  readonly algorithm: PkiAlgorithm;
}

export interface CmsSignOptions {
  /** Digest for messageDigest and the signature (default sha256). */
  readonly hash?: HashAlgorithm;
  /** Flip a bit of the signature after signing (the 'signature-invalid' scenario). */
  readonly corruptSignature?: boolean;
}

function signatureAlgorithm(algorithm: PkiAlgorithm, hash: HashAlgorithm): AlgorithmIdentifier {
  if (algorithm === 'ecdsa-p256') {
    const oid = {
      sha1: OID.ecdsaWithSha1,
      sha224: OID.ecdsaWithSha224,
      sha256: OID.ecdsaWithSha256,
      sha384: OID.ecdsaWithSha384,
      sha512: OID.ecdsaWithSha512,
    }[hash];
    return new AlgorithmIdentifier({ algorithm: oid });
  }
  if (algorithm === 'rsa-2048') {
    const oid = {
      sha1: OID.sha1WithRSA,
      sha224: OID.sha224WithRSA,
      sha256: OID.sha256WithRSA,
      sha384: OID.sha384WithRSA,
      sha512: OID.sha512WithRSA,
    }[hash];
    return new AlgorithmIdentifier({ algorithm: oid, parameters: null });
  }
  const hashId = new AlgorithmIdentifier({ algorithm: hashAlgorithmOid(hash) });
  const params = new RsaSaPssParams({
    hashAlgorithm: hashId,
    maskGenAlgorithm: new AlgorithmIdentifier({
      algorithm: OID.mgf1,
      parameters: AsnConvert.serialize(hashId),
    }),
    saltLength: saltLength(hash),
  });
  return new AlgorithmIdentifier({ algorithm: OID.rsaPss, parameters: AsnConvert.serialize(params) });
}

function saltLength(hash: HashAlgorithm): number {
  return { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 }[hash];
}

function signBytes(
  algorithm: PkiAlgorithm,
  hash: HashAlgorithm,
  key: KeyObject,
  data: Uint8Array,
): Uint8Array {
  if (algorithm === 'ecdsa-p256') return new Uint8Array(nodeSign(hash, data, { key, dsaEncoding: 'der' }));
  if (algorithm === 'rsa-2048')
    return new Uint8Array(nodeSign(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }));
  return new Uint8Array(
    nodeSign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength(hash) }),
  );
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

/**
 * A DER ContentInfo { signedData } over `eContent` with one signer (version 1, issuer and serial),
 * signed attributes contentType and messageDigest, and the signer's certificate embedded.
 */
export function signCms(
  eContentType: string,
  eContent: Uint8Array,
  signer: CmsSigner,
  options: CmsSignOptions = {},
): Uint8Array {
  const hash = options.hash ?? 'sha256';
  const cert = AsnConvert.parse(signer.certificate, Certificate);
  const digest = new Uint8Array(createHash(hash).update(eContent).digest());
  const attributes = [
    new CmsAttribute({ attrType: OID.contentType, attrValues: [toArrayBuffer(encodeOid(eContentType))] }),
    new CmsAttribute({ attrType: OID.messageDigest, attrValues: [toArrayBuffer(encodeTlv(0x04, digest))] }),
  ]
    .map((a) => ({ a, der: new Uint8Array(AsnConvert.serialize(a)) }))
    .sort((x, y) => compareBytes(x.der, y.der)); // DER SET OF order (X.690 §11.6)
  const signedAttrsDer = encodeTlv(0x31, ...attributes.map((x) => x.der));
  const signature = signBytes(signer.algorithm, hash, signer.privateKey, signedAttrsDer);
  if (options.corruptSignature)
    signature[signature.length >> 1] = (signature[signature.length >> 1] ?? 0) ^ 0x01;
  const digestAlgorithm = new AlgorithmIdentifier({ algorithm: hashAlgorithmOid(hash) });
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: cert.tbsCertificate.issuer,
        serialNumber: cert.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm,
    signedAttrs: attributes.map((x) => x.a),
    signatureAlgorithm: signatureAlgorithm(signer.algorithm, hash),
    signature: new OctetString(signature),
  });
  const signedData = new SignedData({
    version: 3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType,
      eContent: new EncapsulatedContent({ single: new OctetString(eContent) }),
    }),
    certificates: new CertificateSet([new CertificateChoices({ certificate: cert })]),
    signerInfos: new SignerInfos([signerInfo]),
  });
  const contentInfo = new ContentInfo({
    contentType: OID.signedData,
    content: AsnConvert.serialize(signedData),
  });
  return new Uint8Array(AsnConvert.serialize(contentInfo));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

// ---------------------------------------------------------------------------------------------
// Master lists (9303-12 §9) and trust-store folders

export interface MasterListSignerOptions {
  /** Default 2025-01-01. */
  readonly notBefore?: Date;
  /** Default 5 years. */
  readonly validDays?: number;
  /** Leave out the extendedKeyUsage id-icao-cscaMasterListSigningKey (a DS-shaped signer). */
  readonly omitExtendedKeyUsage?: boolean;
}

/**
 * A Master List Signer under `csca` (9303-12 §7.1.1): keyUsage digitalSignature and extendedKeyUsage
 * id-icao-cscaMasterListSigningKey, both critical.
 */
export async function issueMasterListSigner(
  csca: Csca,
  options: MasterListSignerOptions = {},
): Promise<DocumentSigner> {
  return issueDocumentSigner(csca, {
    commonName: 'Master List Signer (simulated)',
    notBefore: options.notBefore ?? new Date(Date.UTC(2025, 0, 1)),
    validDays: options.validDays ?? 5 * 365,
    ...(options.omitExtendedKeyUsage ? {} : { extendedKeyUsage: [MASTER_LIST_SIGNING_KEY_OID] }),
  });
}

export interface MasterListOptions {
  /** Sign with this signer instead of a fresh Master List Signer under the issuer. */
  readonly signer?: CmsSigner;
  /** Flip a bit of the signature after signing. */
  readonly corruptSignature?: boolean;
}

/**
 * A CSCA master list: `CscaMasterList { version 0, certList SET OF Certificate }` in CMS
 * SignedData (eContentType 2.23.136.1.1.2), signed by a fresh Master List Signer under `issuer`
 * (or by `options.signer`).
 */
export async function createMasterList(
  issuer: Csca,
  cscaCertificates: readonly Uint8Array[],
  options: MasterListOptions = {},
): Promise<Uint8Array> {
  const signer = options.signer ?? (await issueMasterListSigner(issuer));
  const sorted = [...cscaCertificates].sort(compareBytes);
  const content = encodeTlv(0x30, encodeDerInteger(0), encodeTlv(0x31, concatBytes(...sorted)));
  return signCms(OID.cscaMasterList, content, signer, {
    ...(options.corruptSignature ? { corruptSignature: true } : {}),
  });
}

export type TrustStoreFormat = 'pem' | 'der';

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

/**
 * Writes CSCA certificates (and optional CRLs and master lists) into `dir` as a trust-store folder:
 * `csca-<n>.pem|.der`, `crl-<n>.crl`, `list-<n>.ml`. Returns the paths written.
 */
export async function writeTrustStoreFolder(
  dir: string,
  certificates: readonly Uint8Array[],
  options: {
    readonly format?: TrustStoreFormat;
    readonly crls?: readonly Uint8Array[];
    readonly masterLists?: readonly Uint8Array[];
  } = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const format = options.format ?? 'pem';
  for (const [i, der] of certificates.entries()) {
    const file = path.join(dir, `csca-${i + 1}.${format}`);
    await writeFile(file, format === 'pem' ? pem('CERTIFICATE', der) : der);
    written.push(file);
  }
  for (const [i, der] of (options.crls ?? []).entries()) {
    const file = path.join(dir, `crl-${i + 1}.crl`);
    await writeFile(file, format === 'pem' ? pem('X509 CRL', der) : der);
    written.push(file);
  }
  for (const [i, bytes] of (options.masterLists ?? []).entries()) {
    const file = path.join(dir, `list-${i + 1}.ml`);
    await writeFile(file, bytes);
    written.push(file);
  }
  return written;
}

/** The PKI every PA scenario needs. */
export interface TestPki {
  /** The trusted CSCA. */
  readonly csca: Csca;
  /** A DS under it, valid 2025-01-01 … 2035-12-30. */
  readonly documentSigner: DocumentSigner;
  /** A DS under it, valid 2014-01-01 … 2018-12-31: expired for any clock after 2019. */
  readonly expiredDocumentSigner: DocumentSigner;
  /** A CSCA with the same name that no trust store holds, and a DS under it. */
  readonly unknownCsca: Csca;
  readonly unknownDocumentSigner: DocumentSigner;
}

/** A fresh test PKI (about 10 ms for ECDSA, a second or two for RSA key generation). */
export async function createTestPki(algorithm: PkiAlgorithm = 'ecdsa-p256'): Promise<TestPki> {
  const csca = await createCsca({ algorithm });
  const unknownCsca = await createCsca({ algorithm });
  return {
    csca,
    documentSigner: await issueDocumentSigner(csca),
    expiredDocumentSigner: await issueDocumentSigner(csca, {
      notBefore: new Date(Date.UTC(2014, 0, 1)),
      validDays: 5 * 365,
    }),
    unknownCsca,
    unknownDocumentSigner: await issueDocumentSigner(unknownCsca),
  };
}
