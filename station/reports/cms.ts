/**
 * The report's signature: CMS SignedData (RFC 5652 §5) by the station key, the report's JSON bytes
 * **encapsulated** (so the .p7s alone carries what was signed, and `openssl cms -verify` prints it),
 * built like the enrollment packet's inner SignedData (protocol/packet/build.ts) and verified by the
 * same `verifySignedData` (protocol/packet/open.ts):
 *
 * ```
 * ContentInfo { id-signedData, SignedData {
 *   version 3, digestAlgorithms { sha256 },
 *   encapContentInfo { REPORT_CONTENT_TYPE, OCTET STRING (the report JSON, UTF-8) },
 *   certificates { station, chain ... },
 *   signerInfos { { version 1, sid issuerAndSerialNumber(station), sha256,
 *     signedAttrs { contentType, signingTime, messageDigest, officerId, environment },
 *     ecdsa-with-SHA256, signature } } } }
 * ```
 * The officer's id is a signed attribute (PACKET_OID.officerId, as in packets) and also in the
 * signed JSON; the verifier requires the two to agree. The signature is the station key's: the
 * officer is named, not a signer.
 */
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  SigningTime,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { AttributeSet, derSorted } from '../../protocol/packet/build.ts';
import {
  CMS_OID,
  OidValue,
  PACKET_ARC,
  PACKET_OID,
  PrintableValue,
  SignedDataContentInfo,
  Utf8Value,
} from '../../protocol/packet/container.ts';
import type { PacketCrypto } from '../../protocol/packet/crypto.ts';
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import {
  type PacketRejection,
  type VerifiedSignedData,
  verifySignedData,
} from '../../protocol/packet/open.ts';

/** eContentType of a verification report (our placeholder arc, beside the packet's). */
export const REPORT_CONTENT_TYPE = `${PACKET_ARC}.3`;

const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

const attribute = (type: string, value: ArrayBuffer) =>
  new Attribute({ attrType: type, attrValues: [value] });

export interface SignReportInput {
  readonly content: Uint8Array;
  readonly signer: PacketSigner;
  readonly officerId: string;
  readonly environment: string;
  /** ms since the epoch (whole seconds are kept). */
  readonly signingTime: number;
  readonly sha256: (data: Uint8Array) => Promise<Uint8Array>;
}

/**
 * Signs the report bytes. Resolves the DER ContentInfo. Rejects with the signer's error when the key
 * cannot sign, and with the parser's error for a signer certificate that does not decode.
 */
export async function signReport(input: SignReportInput): Promise<Uint8Array> {
  const signerCert = AsnConvert.parse(input.signer.certificate, Certificate);
  const chain = input.signer.chain.map((der) => AsnConvert.parse(der, Certificate));
  const digest = await input.sha256(input.content);
  const signedAttrs = derSorted([
    attribute(CMS_OID.contentType, AsnConvert.serialize(new OidValue(REPORT_CONTENT_TYPE))),
    attribute(
      CMS_OID.signingTime,
      AsnConvert.serialize(new SigningTime(new Date(Math.floor(input.signingTime / 1000) * 1000))),
    ),
    attribute(CMS_OID.messageDigest, AsnConvert.serialize(new OctetString(buffer(digest)))),
    attribute(PACKET_OID.officerId, AsnConvert.serialize(new Utf8Value(input.officerId))),
    attribute(PACKET_OID.environment, AsnConvert.serialize(new PrintableValue(input.environment))),
  ]);
  const toBeSigned = new Uint8Array(AsnConvert.serialize(new AttributeSet(signedAttrs)));
  const signature = await input.signer.sign(toBeSigned);
  const sha256 = new AlgorithmIdentifier({ algorithm: CMS_OID.sha256 });
  const signedData = new SignedData({
    version: 3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([sha256]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: REPORT_CONTENT_TYPE,
      eContent: new EncapsulatedContent({ single: new OctetString(buffer(input.content)) }),
    }),
    certificates: new CertificateSet(
      [signerCert, ...chain].map((certificate) => new CertificateChoices({ certificate })),
    ),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: 1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({
            issuer: signerCert.tbsCertificate.issuer,
            serialNumber: signerCert.tbsCertificate.serialNumber,
          }),
        }),
        digestAlgorithm: sha256,
        signedAttrs,
        signatureAlgorithm: new AlgorithmIdentifier({ algorithm: CMS_OID.ecdsaWithSha256 }),
        signature: new OctetString(buffer(signature)),
      }),
    ]),
  });
  return new Uint8Array(AsnConvert.serialize(new SignedDataContentInfo({ content: signedData })));
}

export type ReportSignatureCheck =
  | { readonly ok: true; readonly value: VerifiedSignedData }
  | { readonly ok: false; readonly rejection: PacketRejection };

/**
 * Verifies the report's CMS: signature, messageDigest, the station certificate's chain to one of
 * `stationCas` (DER) and signingTime within each certificate's validity. Never throws on the bytes.
 */
export async function verifyReportSignature(
  cms: Uint8Array,
  stationCas: readonly Uint8Array[],
  crypto: PacketCrypto,
): Promise<ReportSignatureCheck> {
  return verifySignedData(cms, REPORT_CONTENT_TYPE, stationCas, crypto);
}
