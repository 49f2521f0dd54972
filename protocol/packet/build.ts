/**
 * Builds an enrollment packet: EnrollmentPacketContent (container.ts), signed as CMS SignedData
 * (RFC 5652 §5) by the station through `PacketSigner`, then encrypted as CMS EnvelopedData
 * (RFC 5652 §6) to the central service's RSA certificate.
 *
 * ```
 * ContentInfo { id-envelopedData, EnvelopedData {
 *   version 2,                                   -- §6.1: unprotectedAttrs present
 *   recipientInfos { ktri { version 0, rid issuerAndSerialNumber(central),
 *                           id-RSAES-OAEP { sha256, mgf1(sha256), pSpecified("") },   -- RFC 4055/8017
 *                           encryptedKey } },
 *   encryptedContentInfo { id-data, aes256-CBC (IV), -- RFC 3565
 *     AES-256-CBC( ContentInfo { id-signedData, SignedData {
 *       version 3,                               -- §5.1: eContentType is not id-data
 *       digestAlgorithms { sha256 },
 *       encapContentInfo { PACKET_OID.enrollmentPacket, DER(EnrollmentPacketContent) },
 *       certificates { station, chain ... },
 *       signerInfos { { version 1, sid issuerAndSerialNumber(station), sha256,
 *         signedAttrs { contentType, signingTime, messageDigest, officerId, environment },
 *         ecdsa-with-SHA256, signature } } } } ) },
 *   unprotectedAttrs { packetId, enrollmentSessionId, environment } } }
 * ```
 * The encrypted content is a whole ContentInfo labelled id-data (as `openssl cms -sign | openssl
 * cms -encrypt` makes it), so `openssl cms -decrypt` yields bytes `openssl cms -verify` reads.
 */
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  SigningTime,
  UnprotectedAttributes,
} from '@peculiar/asn1-cms';
import { RsaEsOaepParams } from '@peculiar/asn1-rsa';
import { AsnArray, AsnConvert, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { equalBytes, toHex } from '../bytes.ts';
import { DerCache } from './cache.ts';
import {
  CMS_OID,
  EnvelopedDataContentInfo,
  encodePacketContent,
  OidValue,
  PACKET_OID,
  PrintableValue,
  SignedDataContentInfo,
  Utf8Value,
} from './container.ts';
import type { PacketCrypto } from './crypto.ts';
import type { PacketSigner } from './keys.ts';
import { encodeManifest, type ManifestProblem, type PacketManifest, validateManifest } from './manifest.ts';

/** SET OF Attribute, for the DER the signature covers (RFC 5652 §5.4). */
export class AttributeSet extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, AttributeSet.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })(AttributeSet);

export type PacketBuildErrorCode =
  | 'PACKET_MANIFEST_INVALID'
  | 'PACKET_PART_HASH_MISMATCH'
  | 'PACKET_CERTIFICATE_INVALID'
  | 'PACKET_RECIPIENT_EXPIRED'
  | 'PACKET_RECIPIENT_NOT_YET_VALID';

/**
 * The builder refused its input. `problems` lists every failing manifest field (for
 * PACKET_MANIFEST_INVALID) or the part whose hash disagrees with the manifest; `notBefore` and
 * `notAfter` (ms since the Unix epoch) give the central certificate's validity for
 * PACKET_RECIPIENT_EXPIRED / PACKET_RECIPIENT_NOT_YET_VALID.
 */
export class PacketBuildError extends Error {
  override readonly name = 'PacketBuildError';
  readonly code: PacketBuildErrorCode;
  readonly problems: readonly ManifestProblem[];
  readonly notBefore: number | undefined;
  readonly notAfter: number | undefined;
  constructor(
    code: PacketBuildErrorCode,
    message: string,
    problems: readonly ManifestProblem[] = [],
    validity: { readonly notBefore: number; readonly notAfter: number } | undefined = undefined,
  ) {
    super(message);
    this.code = code;
    this.problems = problems;
    this.notBefore = validity?.notBefore;
    this.notAfter = validity?.notAfter;
  }
}

export interface BuildPacketInput {
  readonly manifest: PacketManifest;
  /** The ANSI/NIST-ITL transaction, opaque here. */
  readonly transaction: Uint8Array;
  /** The card portrait, JPEG. */
  readonly portrait: Uint8Array;
  /**
   * The transaction's images in the manifest's order, when the caller has them (the ANSI/NIST
   * codec): each must hash to `manifest.capture.images[i].sha256`.
   */
  readonly images?: readonly Uint8Array[];
  readonly signer: PacketSigner;
  /** The central service's certificate, DER, with an RSA key. */
  readonly recipientCertificate: Uint8Array;
  /**
   * signingTime, ms since the Unix epoch (whole seconds are kept): the station's "now". The
   * central certificate must be valid at this time.
   */
  readonly signingTime: number;
  readonly crypto: PacketCrypto;
}

export interface BuiltPacket {
  /** The packet: DER ContentInfo holding EnvelopedData. */
  readonly packet: Uint8Array;
  /** Sizes, bytes, for the outbox and the benchmark. */
  readonly sizes: {
    readonly manifest: number;
    readonly transaction: number;
    readonly portrait: number;
    readonly content: number;
    readonly signedData: number;
    readonly packet: number;
  };
}

function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

/** DER SET OF order (X.690 §11.6): by encoding, shorter first when one is a prefix. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

/** Attributes in DER SET OF order (X.690 §11.6), as signed attributes must be encoded. */
export function derSorted(attributes: Attribute[]): Attribute[] {
  return attributes
    .map((a) => ({ a, der: new Uint8Array(AsnConvert.serialize(a)) }))
    .sort((x, y) => compareBytes(x.der, y.der))
    .map((x) => x.a);
}

function attribute(type: string, value: ArrayBuffer): Attribute {
  return new Attribute({ attrType: type, attrValues: [value] });
}

const certificates = new DerCache<Certificate>();

function parseCertificate(der: Uint8Array, role: string): Certificate {
  return certificates.get(der, () => parseCertificateOnce(der, role));
}

function parseCertificateOnce(der: Uint8Array, role: string): Certificate {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw new PacketBuildError(
      'PACKET_CERTIFICATE_INVALID',
      `the ${role} certificate does not decode (${(error as Error).message}): give the DER of an X.509 certificate`,
    );
  }
  // The library re-encodes what it parsed: a certificate that does not come back byte for byte
  // (not DER) would no longer match its issuer's signature inside the packet.
  if (!equalBytes(new Uint8Array(AsnConvert.serialize(cert)), der))
    throw new PacketBuildError(
      'PACKET_CERTIFICATE_INVALID',
      `the ${role} certificate is not DER (it does not re-encode to the same bytes): re-issue it`,
    );
  return cert;
}

function issuerAndSerial(cert: Certificate): IssuerAndSerialNumber {
  return new IssuerAndSerialNumber({
    issuer: cert.tbsCertificate.issuer,
    serialNumber: cert.tbsCertificate.serialNumber,
  });
}

/** RSAES-OAEP-params with SHA-256 and MGF1-SHA-256 (RFC 4055 §4.1, sha256Identifier with NULL). */
export function oaepSha256Algorithm(): AlgorithmIdentifier {
  const sha256 = new AlgorithmIdentifier({ algorithm: CMS_OID.sha256, parameters: null });
  const params = new RsaEsOaepParams({
    hashAlgorithm: sha256,
    maskGenAlgorithm: new AlgorithmIdentifier({
      algorithm: CMS_OID.mgf1,
      parameters: AsnConvert.serialize(sha256),
    }),
  });
  return new AlgorithmIdentifier({ algorithm: CMS_OID.rsaesOaep, parameters: AsnConvert.serialize(params) });
}

/**
 * A packet encrypted to a certificate outside its validity would be refused, or sit undecryptable,
 * at central: the station must fetch the central service's current certificate instead.
 */
function checkRecipientValidity(cert: Certificate, at: number): void {
  const validity = {
    notBefore: cert.tbsCertificate.validity.notBefore.getTime().getTime(),
    notAfter: cert.tbsCertificate.validity.notAfter.getTime().getTime(),
  };
  const when = new Date(at).toISOString();
  if (at < validity.notBefore)
    throw new PacketBuildError(
      'PACKET_RECIPIENT_NOT_YET_VALID',
      `the central service's certificate is not valid until ${new Date(validity.notBefore).toISOString()} (now ${when}): check the station clock, or install the central certificate in use now`,
      [],
      validity,
    );
  if (at > validity.notAfter)
    throw new PacketBuildError(
      'PACKET_RECIPIENT_EXPIRED',
      `the central service's certificate expired at ${new Date(validity.notAfter).toISOString()} (now ${when}): install the central service's current certificate`,
      [],
      validity,
    );
}

async function checkParts(input: BuildPacketInput): Promise<void> {
  const { manifest, crypto } = input;
  const problems: ManifestProblem[] = [];
  const expect = async (bytes: Uint8Array, hex: string, path: string) => {
    const got = toHex(await crypto.sha256(bytes)).toLowerCase();
    if (got !== hex)
      problems.push({ path, rule: 'hash', message: `the bytes given hash to ${got}, not ${hex}` });
  };
  await expect(input.transaction, manifest.transactionSha256, '/transactionSha256');
  await expect(input.portrait, manifest.portraitSha256, '/portraitSha256');
  if (input.images) {
    if (input.images.length !== manifest.capture.images.length)
      problems.push({
        path: '/capture/images',
        rule: 'hash',
        message: `${input.images.length} images given, the manifest lists ${manifest.capture.images.length}`,
      });
    for (const [i, image] of input.images.entries()) {
      const listed = manifest.capture.images[i];
      if (listed) await expect(image, listed.sha256, `/capture/images/${i}/sha256`);
    }
  }
  if (problems.length > 0)
    throw new PacketBuildError(
      'PACKET_PART_HASH_MISMATCH',
      `the transaction, portrait or images do not match the manifest's hashes: rebuild the manifest from the same capture (${problems.map((p) => p.path).join(', ')})`,
      problems,
    );
}

/**
 * Validates, signs and encrypts one enrollment packet.
 * @throws {PacketBuildError} PACKET_MANIFEST_INVALID with every failing field;
 *   PACKET_PART_HASH_MISMATCH when a part does not hash to the manifest's value;
 *   PACKET_CERTIFICATE_INVALID for a signer or recipient certificate that is not DER X.509;
 *   PACKET_RECIPIENT_EXPIRED / PACKET_RECIPIENT_NOT_YET_VALID when the central certificate is not
 *   valid at `signingTime`.
 * Rejects with the signer's or the crypto's own error when signing or wrapping fails.
 */
export async function buildPacket(input: BuildPacketInput): Promise<BuiltPacket> {
  const { manifest, signer, crypto } = input;
  const validation = validateManifest(manifest);
  if (!validation.ok)
    throw new PacketBuildError(
      'PACKET_MANIFEST_INVALID',
      `the manifest is invalid: ${validation.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
      validation.problems,
    );
  await checkParts(input);
  const manifestBytes = encodeManifest(manifest);
  const content = encodePacketContent({
    manifest: manifestBytes,
    transaction: input.transaction,
    portrait: input.portrait,
  });
  const { packet, signedData } = await signAndEnvelope({
    content,
    eContentType: PACKET_OID.enrollmentPacket,
    officerId: manifest.officerId,
    environment: manifest.environment,
    labels: { packetId: manifest.packetId, sessionId: manifest.enrollmentSessionId },
    signer,
    recipientCertificate: input.recipientCertificate,
    signingTime: input.signingTime,
    crypto,
  });
  return {
    packet,
    sizes: {
      manifest: manifestBytes.length,
      transaction: input.transaction.length,
      portrait: input.portrait.length,
      content: content.length,
      signedData,
      packet: packet.length,
    },
  };
}

/** What `signAndEnvelope` seals: a content of any of the packet's types, and its labels. */
export interface EnvelopeInput {
  /** DER of the content (EnrollmentPacketContent, EidApplicationContent ...). */
  readonly content: Uint8Array;
  /** eContentType of the SignedData (PACKET_OID). */
  readonly eContentType: string;
  /** The signed attributes our reader requires. */
  readonly officerId: string;
  readonly environment: string;
  /** The unprotected labels: the packet id and its session id (the enrollmentSessionId attribute). */
  readonly labels: { readonly packetId: string; readonly sessionId: string };
  readonly signer: PacketSigner;
  readonly recipientCertificate: Uint8Array;
  /** signingTime, ms since the Unix epoch (whole seconds are kept). */
  readonly signingTime: number;
  readonly crypto: PacketCrypto;
}

/**
 * Signs `content` as CMS SignedData by the station and encrypts it as EnvelopedData to central
 * (the layout above), for every packet type. Returns the packet and the SignedData's size, bytes.
 * @throws {PacketBuildError} PACKET_CERTIFICATE_INVALID, PACKET_RECIPIENT_EXPIRED,
 *   PACKET_RECIPIENT_NOT_YET_VALID; rejects with the signer's or the crypto's own error.
 */
export async function signAndEnvelope(
  input: EnvelopeInput,
): Promise<{ readonly packet: Uint8Array; readonly signedData: number }> {
  const { signer, crypto } = input;
  const signerCert = parseCertificate(signer.certificate, 'station');
  const chain = signer.chain.map((der) => parseCertificate(der, 'station chain'));
  const recipientCert = parseCertificate(input.recipientCertificate, 'central service');
  checkRecipientValidity(recipientCert, input.signingTime);

  // --- SignedData (RFC 5652 §5)
  const { content } = input;
  const digest = await crypto.sha256(content);
  const signingTime = new Date(Math.floor(input.signingTime / 1000) * 1000);
  const signedAttrs = derSorted([
    attribute(CMS_OID.contentType, AsnConvert.serialize(new OidValue(input.eContentType))),
    attribute(CMS_OID.signingTime, AsnConvert.serialize(new SigningTime(signingTime))),
    attribute(CMS_OID.messageDigest, AsnConvert.serialize(new OctetString(buffer(digest)))),
    attribute(PACKET_OID.officerId, AsnConvert.serialize(new Utf8Value(input.officerId))),
    attribute(PACKET_OID.environment, AsnConvert.serialize(new PrintableValue(input.environment))),
  ]);
  const toBeSigned = new Uint8Array(AsnConvert.serialize(new AttributeSet(signedAttrs)));
  const signature = await signer.sign(toBeSigned);
  const sha256 = new AlgorithmIdentifier({ algorithm: CMS_OID.sha256 });
  const signedData = new SignedData({
    version: 3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([sha256]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: input.eContentType,
      eContent: new EncapsulatedContent({ single: new OctetString(buffer(content)) }),
    }),
    certificates: new CertificateSet(
      [signerCert, ...chain].map((certificate) => new CertificateChoices({ certificate })),
    ),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: 1,
        sid: new SignerIdentifier({ issuerAndSerialNumber: issuerAndSerial(signerCert) }),
        digestAlgorithm: sha256,
        signedAttrs,
        signatureAlgorithm: new AlgorithmIdentifier({ algorithm: CMS_OID.ecdsaWithSha256 }),
        signature: new OctetString(buffer(signature)),
      }),
    ]),
  });
  const signedContentInfo = new Uint8Array(
    AsnConvert.serialize(new SignedDataContentInfo({ content: signedData })),
  );

  // --- EnvelopedData (RFC 5652 §6, RFC 3565 AES-CBC, RFC 8017 / RFC 4055 OAEP)
  const cek = await crypto.randomBytes(32);
  const iv = await crypto.randomBytes(16);
  const ciphertext = await crypto.aes256CbcEncrypt(cek, iv, signedContentInfo);
  const spki = new Uint8Array(AsnConvert.serialize(recipientCert.tbsCertificate.subjectPublicKeyInfo));
  const encryptedKey = await crypto.rsaOaepSha256Encrypt(spki, cek);
  cek.fill(0);
  const envelopedData = new EnvelopedData({
    version: 2,
    recipientInfos: new RecipientInfos([
      new RecipientInfo({
        ktri: new KeyTransRecipientInfo({
          version: 0,
          rid: new RecipientIdentifier({ issuerAndSerialNumber: issuerAndSerial(recipientCert) }),
          keyEncryptionAlgorithm: oaepSha256Algorithm(),
          encryptedKey: new OctetString(buffer(encryptedKey)),
        }),
      }),
    ]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: CMS_OID.data,
      contentEncryptionAlgorithm: new AlgorithmIdentifier({
        algorithm: CMS_OID.aes256Cbc,
        parameters: AsnConvert.serialize(new OctetString(buffer(iv))),
      }),
      encryptedContent: new EncryptedContent({ value: new OctetString(buffer(ciphertext)) }),
    }),
    unprotectedAttrs: new UnprotectedAttributes(
      derSorted([
        attribute(PACKET_OID.packetId, AsnConvert.serialize(new PrintableValue(input.labels.packetId))),
        attribute(
          PACKET_OID.enrollmentSessionId,
          AsnConvert.serialize(new PrintableValue(input.labels.sessionId)),
        ),
        attribute(PACKET_OID.environment, AsnConvert.serialize(new PrintableValue(input.environment))),
      ]),
    ),
  });
  const packet = new Uint8Array(
    AsnConvert.serialize(new EnvelopedDataContentInfo({ content: envelopedData })),
  );
  return { packet, signedData: signedContentInfo.length };
}
