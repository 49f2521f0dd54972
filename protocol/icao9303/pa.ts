/**
 * Passive Authentication (ICAO 9303-11 §5.1, 9303-12 §§4–7, reference §5): prove the data groups
 * read from the chip are the ones the issuing state signed.
 *
 * 1. Hash each data group over its whole file (tag, length, value) and compare with the
 *    LDSSecurityObject (9303-11 §5.1 step 3).
 * 2. Check the SOD's signer: signed attributes contentType = eContentType and messageDigest =
 *    hash(eContent); the signature over the signed attributes' DER as a SET (tag 31, RFC 5652
 *    §5.4) with the Document Signer (DS) key: RSA PKCS#1 v1.5, RSA-PSS or ECDSA (9303-12 §4.4).
 * 3. Chain the DS certificate to a CSCA in the trust store (9303-12 §5) that may sign
 *    certificates (cA, keyCertSign), check that the DS's keyUsage allows digitalSignature
 *    (9303-12 §7.1.1), check both validity periods as of the injected clock (shell model) and,
 *    when CRLs are configured, that the DS is not revoked (9303-12 §7).
 *
 * The trust store itself (which CSCAs, from which files and master lists) is built by
 * trust-store.ts; master-list signatures are checked here (`verifyMasterList`).
 *
 * Pure: hashing and signature checks go through the injected `PaCrypto`, time through `clock`.
 * Nothing here throws on card data; every outcome is a verdict.
 */

import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, CertificateList } from '@peculiar/asn1-x509';
import { equalBytes } from '../bytes.ts';
import { parseTree, readTlv } from '../iso7816/tlv.ts';
import { type DecodeError, type DecodeResult, fail, ok } from '../result.ts';
import {
  type CertificateProfileFields,
  canIssueCertificates,
  canSignContent,
  decodeProfileFields,
  ICAO_PKI_OID,
} from './certificate-profile.ts';
import { isDataGroupNumber } from './lds/files.ts';
import {
  type AlgorithmId,
  type CertificateInfo,
  decodeCertificate,
  decodeOidValue,
  decodeSignedData,
  decodeSod,
  findSignerCertificate,
  type HashAlgorithm,
  hashAlgorithmFromOid,
  integerMagnitude,
  OID,
  type SignedDataContent,
  type Sod,
  serialHex,
  splitDer,
} from './sod.ts';

// ---------------------------------------------------------------------------------------------
// Injected crypto

/** How a signature is checked. ECDSA signatures are DER (X9.62) in CMS and X.509, r‖s for BSI plain. */
export type SignatureScheme =
  | { readonly kind: 'rsa-pkcs1-v1_5'; readonly hash: HashAlgorithm }
  | {
      readonly kind: 'rsa-pss';
      readonly hash: HashAlgorithm;
      readonly mgf1Hash: HashAlgorithm;
      /** Bytes. */
      readonly saltLength: number;
    }
  | { readonly kind: 'ecdsa'; readonly hash: HashAlgorithm; readonly encoding: 'der' | 'plain' };

export interface SignatureCheck {
  readonly scheme: SignatureScheme;
  /** The signer's SubjectPublicKeyInfo, DER (named or explicit EC domain parameters). */
  readonly publicKey: Uint8Array;
  /** The signed bytes (hashed by the verifier with `scheme.hash`). */
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * The crypto Passive Authentication needs, injected (drivers/crypto/pa-node.ts for Node).
 * Contract: `digest` rejects only for an algorithm the implementation lacks. `verifySignature`
 * resolves false for a wrong or malformed signature and for a malformed key, and rejects only for
 * a scheme or curve the implementation lacks.
 */
export interface PaCrypto {
  digest(algorithm: HashAlgorithm, data: Uint8Array): Promise<Uint8Array>;
  verifySignature(check: SignatureCheck): Promise<boolean>;
}

const RSA_PKCS1: ReadonlyMap<string, HashAlgorithm> = new Map([
  [OID.sha1WithRSA, 'sha1'],
  [OID.sha224WithRSA, 'sha224'],
  [OID.sha256WithRSA, 'sha256'],
  [OID.sha384WithRSA, 'sha384'],
  [OID.sha512WithRSA, 'sha512'],
]);
const ECDSA_DER: ReadonlyMap<string, HashAlgorithm> = new Map([
  [OID.ecdsaWithSha1, 'sha1'],
  [OID.ecdsaWithSha224, 'sha224'],
  [OID.ecdsaWithSha256, 'sha256'],
  [OID.ecdsaWithSha384, 'sha384'],
  [OID.ecdsaWithSha512, 'sha512'],
]);
/** BSI TR-03111 §5.2.1: ecdsa-plain-SHA1 … SHA512 are arcs 1 … 5. */
const ECDSA_PLAIN: readonly HashAlgorithm[] = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

function pssScheme(parameters: Uint8Array | undefined): SignatureScheme | undefined {
  // RFC 4055 §3.1: absent fields default to SHA-1, MGF1 with SHA-1, salt 20.
  let hash: HashAlgorithm | undefined = 'sha1';
  let mgf1Hash: HashAlgorithm | undefined = 'sha1';
  let saltLength = 20;
  if (parameters !== undefined && !(parameters.length === 2 && parameters[0] === 0x05)) {
    try {
      const params = AsnConvert.parse(parameters, RsaSaPssParams);
      hash = hashAlgorithmFromOid(params.hashAlgorithm.algorithm);
      if (params.maskGenAlgorithm.algorithm !== OID.mgf1 || !params.maskGenAlgorithm.parameters)
        return undefined;
      mgf1Hash = hashAlgorithmFromOid(
        AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm,
      );
      saltLength = params.saltLength;
      if (params.trailerField !== 1) return undefined;
    } catch {
      return undefined;
    }
  }
  if (hash === undefined || mgf1Hash === undefined || !Number.isInteger(saltLength) || saltLength < 0)
    return undefined;
  return { kind: 'rsa-pss', hash, mgf1Hash, saltLength };
}

/**
 * The scheme a signature AlgorithmIdentifier names. For CMS signers that name only the key type
 * (rsaEncryption, id-ecPublicKey), the hash comes from `digestAlgorithm`. Undefined when unknown.
 */
export function signatureSchemeFor(
  algorithm: AlgorithmId,
  digestAlgorithm?: AlgorithmId,
): SignatureScheme | undefined {
  const digest = digestAlgorithm ? hashAlgorithmFromOid(digestAlgorithm.oid) : undefined;
  const pkcs1 = RSA_PKCS1.get(algorithm.oid);
  if (pkcs1) return { kind: 'rsa-pkcs1-v1_5', hash: pkcs1 };
  const ecdsa = ECDSA_DER.get(algorithm.oid);
  if (ecdsa) return { kind: 'ecdsa', hash: ecdsa, encoding: 'der' };
  if (algorithm.oid === OID.rsaPss) return pssScheme(algorithm.parameters);
  if (algorithm.oid === OID.rsaEncryption && digest) return { kind: 'rsa-pkcs1-v1_5', hash: digest };
  if (algorithm.oid === OID.ecPublicKey && digest) return { kind: 'ecdsa', hash: digest, encoding: 'der' };
  if (algorithm.oid.startsWith(`${OID.ecdsaPlainPrefix}.`)) {
    const hash = ECDSA_PLAIN[Number(algorithm.oid.slice(OID.ecdsaPlainPrefix.length + 1)) - 1];
    if (hash) return { kind: 'ecdsa', hash, encoding: 'plain' };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Verdicts

export type PaNotCheckedReason =
  /** No CSCA certificates were configured: hashes and signature were checked, the issuer was not. */
  | 'no-trust-store'
  /** EF.SOD does not decode. */
  | 'document-data-damaged'
  /** A hash, signature scheme or curve the station does not implement. */
  | 'unsupported-algorithm'
  /** The SOD does not carry the Document Signer certificate its signer names. */
  | 'document-signer-missing';

export type SignatureProblem =
  | 'signature-mismatch'
  | 'message-digest-mismatch'
  | 'content-type-mismatch'
  /** Signed attributes present without exactly one contentType and one messageDigest. */
  | 'signed-attributes-incomplete'
  /**
   * The signature verifies, but the Document Signer certificate's keyUsage lacks
   * digitalSignature (9303-12 §7.1.1): its key was not issued to sign documents.
   */
  | 'document-signer-key-usage';

export interface CertificateValidityProblem {
  readonly role: 'document-signer' | 'csca';
  readonly subject: string;
  /** ms since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly state: 'expired' | 'not-yet-valid';
}

export type PaVerdict =
  | { readonly kind: 'valid' }
  | { readonly kind: 'data-group-altered'; readonly dataGroups: readonly number[] }
  | { readonly kind: 'signature-invalid'; readonly problem: SignatureProblem }
  | {
      readonly kind: 'unknown-issuer';
      /**
       * No trust-store CSCA has the DS issuer's name (and key id), none of them signed it, or the
       * one that did is no CA (basicConstraints cA and keyUsage keyCertSign, 9303-12 §7.1.1).
       */
      readonly problem: 'no-matching-csca' | 'issuer-signature-invalid' | 'issuer-not-csca';
      readonly issuer: string;
    }
  | { readonly kind: 'certificate-expired'; readonly certificates: readonly CertificateValidityProblem[] }
  | { readonly kind: 'revoked'; readonly serialNumber: string; readonly revocationDate?: number }
  | { readonly kind: 'not-checked'; readonly reason: PaNotCheckedReason; readonly detail?: string };

export type PaVerdictKind = PaVerdict['kind'];

/** Most severe first: the report's verdict is the first finding in this order. */
export const PA_VERDICT_ORDER: readonly PaVerdictKind[] = [
  'data-group-altered',
  'signature-invalid',
  'revoked',
  'unknown-issuer',
  'certificate-expired',
  'not-checked',
  'valid',
];

export interface OfficerMessage {
  /** Vietnamese, shown first. */
  readonly vi: string;
  /** English, shown second. */
  readonly en: string;
}

/** What the officer reads for each verdict (not-checked has one per reason, below). */
export const PA_MESSAGES: Readonly<Record<Exclude<PaVerdictKind, 'not-checked'>, OfficerMessage>> = {
  valid: {
    vi: 'Dữ liệu trên chip là thật: chữ ký số hợp lệ và do cơ quan cấp được tin cậy ký.',
    en: 'The chip data is genuine: the digital signature is valid and comes from a trusted issuing authority.',
  },
  'data-group-altered': {
    vi: 'Dữ liệu trên chip khác với dữ liệu lúc cấp. Không chấp nhận thẻ; kiểm tra giấy tờ bằng mắt và báo cáo cấp trên.',
    en: 'The chip data differs from what was issued. Do not accept the card; check the document by eye and report it to your supervisor.',
  },
  'signature-invalid': {
    vi: 'Chữ ký số trên chip không hợp lệ: dữ liệu có thể bị giả mạo. Không chấp nhận thẻ; báo cáo cấp trên.',
    en: 'The digital signature on the chip is not valid: the data may be forged. Do not accept the card; report it to your supervisor.',
  },
  revoked: {
    vi: 'Chứng thư số đã ký dữ liệu chip đã bị thu hồi. Không chấp nhận thẻ; báo cáo cấp trên.',
    en: 'The certificate that signed the chip data has been revoked. Do not accept the card; report it to your supervisor.',
  },
  'unknown-issuer': {
    vi: 'Chữ ký không thuộc cơ quan cấp nào trong danh sách tin cậy. Kiểm tra danh sách CSCA đã cập nhật chưa; nếu đã cập nhật, không chấp nhận thẻ.',
    en: 'The signature does not come from any issuing authority in the trust list. Check that the CSCA list is up to date; if it is, do not accept the card.',
  },
  'certificate-expired': {
    vi: 'Chứng thư số ký dữ liệu chip đã hết hạn hoặc chưa có hiệu lực. Kiểm tra đồng hồ của máy; nếu giờ đúng, hỏi cấp trên trước khi chấp nhận thẻ.',
    en: 'A certificate behind the chip signature has expired or is not yet valid. Check the station clock; if it is right, ask your supervisor before accepting the card.',
  },
};

export const PA_NOT_CHECKED_MESSAGES: Readonly<Record<PaNotCheckedReason, OfficerMessage>> = {
  'no-trust-store': {
    vi: 'Chưa kiểm tra được nguồn gốc dữ liệu chip: máy chưa có danh sách CSCA tin cậy. Báo quản trị viên cài đặt danh sách.',
    en: 'The origin of the chip data could not be checked: no trusted CSCA list is installed on this station. Ask the administrator to install it.',
  },
  'document-data-damaged': {
    vi: 'Dữ liệu bảo mật trên chip bị hỏng, không đọc được. Đọc lại thẻ; nếu vẫn lỗi, kiểm tra giấy tờ bằng mắt và báo cáo cấp trên.',
    en: 'The security data on the chip is damaged and cannot be read. Read the card again; if it still fails, check the document by eye and report it.',
  },
  'unsupported-algorithm': {
    vi: 'Chip dùng thuật toán mật mã mà máy chưa hỗ trợ nên chưa kiểm tra được. Báo quản trị viên.',
    en: 'The chip uses a cryptographic algorithm this station does not support, so it could not be checked. Tell the administrator.',
  },
  'document-signer-missing': {
    vi: 'Chip không chứa chứng thư của người ký tài liệu nên chưa kiểm tra được chữ ký. Báo quản trị viên.',
    en: 'The chip does not carry the document signer certificate, so the signature could not be checked. Tell the administrator.',
  },
};

/** The officer message for a verdict. */
export function paMessage(verdict: PaVerdict): OfficerMessage {
  return verdict.kind === 'not-checked' ? PA_NOT_CHECKED_MESSAGES[verdict.reason] : PA_MESSAGES[verdict.kind];
}

// ---------------------------------------------------------------------------------------------
// Trust store: CSCA certificates, CRLs, master lists

export interface TrustStore {
  /** CSCA certificates, DER (from a folder or a master list). */
  readonly cscaCertificates: readonly Uint8Array[];
  /** CRLs, DER. When given (even empty), revocation is checked and reported. */
  readonly crls?: readonly Uint8Array[];
}

export interface CrlInfo {
  readonly der: Uint8Array;
  /** DER of tbsCertList: what the issuer signed. */
  readonly tbs: Uint8Array;
  /** DER of the issuer Name. */
  readonly issuer: Uint8Array;
  readonly signatureAlgorithm: AlgorithmId;
  readonly signature: Uint8Array;
  /** ms since the Unix epoch. */
  readonly thisUpdate: number;
  readonly nextUpdate?: number;
  readonly revoked: readonly { readonly serialNumber: Uint8Array; readonly revocationDate: number }[];
}

/** Most revoked entries a CRL may list here. */
const MAX_CRL_ENTRIES = 100_000;

/**
 * Decodes an X.509 CRL (RFC 5280 §5.1). Errors: `invalid-value` when it is not a CRL,
 * `too-large`, `truncated`, `unsupported`, `trailing-data`.
 */
export function decodeCrl(der: Uint8Array): DecodeResult<CrlInfo> {
  const tree = parseTree(der, { maxDepth: 16, maxNodes: MAX_CRL_ENTRIES * 8, maxLength: 16 * 1024 * 1024 });
  if (!tree.ok) return tree;
  const [root, extra] = tree.value;
  if (root?.tag !== 0x30) return fail('invalid-value', 0, 'a CRL is a SEQUENCE');
  if (extra !== undefined) return fail('trailing-data', extra.offset, 'bytes after the CRL');
  const [tbsNode, algNode] = root.children;
  if (tbsNode?.tag !== 0x30 || algNode?.tag !== 0x30) return fail('invalid-value', 0, 'tbsCertList missing');
  const k = tbsNode.children[0]?.tag === 0x02 ? 1 : 0;
  const issuerNode = tbsNode.children[k + 1];
  if (issuerNode?.tag !== 0x30) return fail('invalid-value', tbsNode.offset, 'CRL issuer missing');
  const oidNode = algNode.children[0];
  const signatureAlgorithm = oidNode?.tag === 0x06 ? decodeOidValue(oidNode.value) : undefined;
  if (signatureAlgorithm === undefined)
    return fail('invalid-value', algNode.offset, 'CRL signature algorithm malformed');
  const params = algNode.children[1];
  try {
    const crl = AsnConvert.parse(der, CertificateList);
    const tbs = crl.tbsCertList;
    const revoked = (tbs.revokedCertificates ?? []).map((r) => ({
      serialNumber: new Uint8Array(r.userCertificate),
      revocationDate: r.revocationDate.getTime().getTime(),
    }));
    const nextUpdate = tbs.nextUpdate?.getTime().getTime();
    return ok({
      der,
      tbs: der.subarray(tbsNode.offset, tbsNode.offset + tbsNode.totalLength),
      issuer: der.subarray(issuerNode.offset, issuerNode.offset + issuerNode.totalLength),
      signatureAlgorithm: params
        ? {
            oid: signatureAlgorithm,
            parameters: der.subarray(params.offset, params.offset + params.totalLength),
          }
        : { oid: signatureAlgorithm },
      signature: new Uint8Array(crl.signature),
      thisUpdate: tbs.thisUpdate.getTime().getTime(),
      ...(nextUpdate === undefined ? {} : { nextUpdate }),
      revoked,
    });
  } catch (error) {
    return fail(
      'invalid-value',
      0,
      `CRL does not decode: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export interface MasterList {
  /** The CMS envelope: signer, its certificate, eContent. */
  readonly signedData: SignedDataContent;
  /** CscaMasterList version. */
  readonly version: number;
  /** The CSCA certificates listed, DER, in order. Undecodable entries are left out and counted. */
  readonly certificates: readonly Uint8Array[];
  /** The same certificates decoded, index for index. */
  readonly decoded: readonly CertificateInfo[];
  readonly skipped: number;
}

/**
 * Decodes an ICAO CSCA master list (9303-12 §9): a CMS ContentInfo, SignedData with eContentType
 * 2.23.136.1.1.2 over `CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF
 * Certificate }`. The signature is checked separately (`verifyMasterList`). Errors as
 * `decodeSignedData`, with a bound of 8 MiB and 4096 certificates.
 */
export function decodeMasterList(bytes: Uint8Array): DecodeResult<MasterList> {
  const signedData = decodeSignedData(bytes, [OID.cscaMasterList], 8 * 1024 * 1024);
  if (!signedData.ok) return signedData;
  const content = signedData.value.eContent;
  const seq = readTlv(content, 0, { maxLength: 8 * 1024 * 1024 });
  if (!seq.ok) return seq;
  if (seq.value.tag !== 0x30 || seq.value.totalLength !== content.length)
    return fail('invalid-value', 0, 'CscaMasterList is one SEQUENCE');
  const version = readTlv(seq.value.value, 0);
  if (!version.ok || version.value.tag !== 0x02 || version.value.value.length !== 1)
    return fail('invalid-value', seq.value.headerLength, 'CscaMasterList version missing');
  const set = readTlv(seq.value.value, version.value.totalLength, { maxLength: 8 * 1024 * 1024 });
  if (!set.ok) return set;
  if (set.value.tag !== 0x31) return fail('invalid-value', set.value.offset, 'certList is a SET');
  const items = splitDer(set.value.value);
  if (!items.ok) return items;
  if (items.value.length > 4096)
    return fail('too-large', set.value.offset, `${items.value.length} certificates`);
  const certificates: Uint8Array[] = [];
  const decoded: CertificateInfo[] = [];
  let skipped = 0;
  for (const item of items.value) {
    const cert = decodeCertificate(item);
    if (cert.ok) {
      certificates.push(item);
      decoded.push(cert.value);
    } else skipped++;
  }
  return ok({
    signedData: signedData.value,
    version: version.value.value[0] ?? 0,
    certificates,
    decoded,
    skipped,
  });
}

// ---------------------------------------------------------------------------------------------
// Checks shared by EF.SOD and master lists

type SignerOutcome =
  | { readonly ok: true; readonly signer: CertificateInfo }
  | { readonly ok: false; readonly verdict: PaVerdict; readonly signer?: CertificateInfo };

const notChecked = (reason: PaNotCheckedReason, detail?: string): PaVerdict =>
  detail === undefined ? { kind: 'not-checked', reason } : { kind: 'not-checked', reason, detail };

/** RFC 5652 §5.4–5.6 for the first signer (9303 SODs have exactly one). */
async function checkSigner(sd: SignedDataContent, crypto: PaCrypto): Promise<SignerOutcome> {
  const signerInfo = sd.signerInfos[0];
  if (signerInfo === undefined)
    return { ok: false, verdict: notChecked('document-data-damaged', 'no signer') };
  const signer = findSignerCertificate(signerInfo.sid, sd.certificates);
  const digestHash = hashAlgorithmFromOid(signerInfo.digestAlgorithm.oid);
  if (digestHash === undefined)
    return {
      ok: false,
      verdict: notChecked('unsupported-algorithm', `digest ${signerInfo.digestAlgorithm.oid}`),
    };
  let signedBytes = sd.eContent;
  const attrs = signerInfo.signedAttributes;
  if (attrs) {
    if (attrs.contentType === undefined || attrs.messageDigest === undefined)
      return { ok: false, verdict: { kind: 'signature-invalid', problem: 'signed-attributes-incomplete' } };
    if (attrs.contentType !== sd.eContentType)
      return { ok: false, verdict: { kind: 'signature-invalid', problem: 'content-type-mismatch' } };
    let digest: Uint8Array;
    try {
      digest = await crypto.digest(digestHash, sd.eContent);
    } catch {
      return { ok: false, verdict: notChecked('unsupported-algorithm', `digest ${digestHash}`) };
    }
    if (!equalBytes(digest, attrs.messageDigest))
      return { ok: false, verdict: { kind: 'signature-invalid', problem: 'message-digest-mismatch' } };
    signedBytes = attrs.der;
  }
  if (signer === undefined) return { ok: false, verdict: notChecked('document-signer-missing') };
  const scheme = signatureSchemeFor(signerInfo.signatureAlgorithm, signerInfo.digestAlgorithm);
  if (scheme === undefined)
    return {
      ok: false,
      signer,
      verdict: notChecked('unsupported-algorithm', `signature ${signerInfo.signatureAlgorithm.oid}`),
    };
  let valid: boolean;
  try {
    valid = await crypto.verifySignature({
      scheme,
      publicKey: signer.subjectPublicKeyInfo,
      data: signedBytes,
      signature: signerInfo.signature,
    });
  } catch (error) {
    return { ok: false, signer, verdict: notChecked('unsupported-algorithm', String(error)) };
  }
  if (!valid)
    return { ok: false, signer, verdict: { kind: 'signature-invalid', problem: 'signature-mismatch' } };
  return { ok: true, signer };
}

type IssuerOutcome =
  | { readonly ok: true; readonly issuer: CertificateInfo }
  | { readonly ok: false; readonly verdict: PaVerdict };

/** The trust anchor that issued `cert`: same name (and key id when both carry one), valid signature. */
async function findIssuer(
  cert: CertificateInfo,
  anchors: readonly CertificateInfo[],
  crypto: PaCrypto,
): Promise<IssuerOutcome> {
  const candidates = anchors.filter(
    (a) =>
      equalBytes(a.subject, cert.issuer) &&
      (a.subjectKeyIdentifier === undefined ||
        cert.authorityKeyIdentifier === undefined ||
        equalBytes(a.subjectKeyIdentifier, cert.authorityKeyIdentifier)),
  );
  if (candidates.length === 0)
    return {
      ok: false,
      verdict: { kind: 'unknown-issuer', problem: 'no-matching-csca', issuer: cert.issuerText },
    };
  const scheme = signatureSchemeFor(cert.signatureAlgorithm);
  if (scheme === undefined)
    return {
      ok: false,
      verdict: notChecked('unsupported-algorithm', `certificate signature ${cert.signatureAlgorithm.oid}`),
    };
  let unsupported: string | undefined;
  let notCa = false;
  for (const candidate of candidates) {
    try {
      if (
        await crypto.verifySignature({
          scheme,
          publicKey: candidate.subjectPublicKeyInfo,
          data: cert.tbs,
          signature: cert.signature,
        })
      ) {
        // A key that signed it is not enough: the anchor must be a CA allowed to sign certificates.
        if (canIssueCertificates(candidate)) return { ok: true, issuer: candidate };
        notCa = true;
      }
    } catch (error) {
      unsupported = String(error);
    }
  }
  if (notCa)
    return {
      ok: false,
      verdict: { kind: 'unknown-issuer', problem: 'issuer-not-csca', issuer: cert.issuerText },
    };
  if (unsupported !== undefined)
    return { ok: false, verdict: notChecked('unsupported-algorithm', unsupported) };
  return {
    ok: false,
    verdict: { kind: 'unknown-issuer', problem: 'issuer-signature-invalid', issuer: cert.issuerText },
  };
}

function validityProblem(
  cert: CertificateInfo,
  role: CertificateValidityProblem['role'],
  now: number,
): CertificateValidityProblem | undefined {
  const state = now < cert.notBefore ? 'not-yet-valid' : now > cert.notAfter ? 'expired' : undefined;
  return (
    state && { role, subject: cert.subjectText, notBefore: cert.notBefore, notAfter: cert.notAfter, state }
  );
}

function decodeAnchors(ders: readonly Uint8Array[]): { anchors: CertificateInfo[]; skipped: number } {
  const anchors: CertificateInfo[] = [];
  let skipped = 0;
  for (const der of ders) {
    const cert = decodeCertificate(der);
    if (cert.ok) anchors.push(cert.value);
    else skipped++;
  }
  return { anchors, skipped };
}

function rank(verdict: PaVerdict): number {
  return PA_VERDICT_ORDER.indexOf(verdict.kind);
}

// ---------------------------------------------------------------------------------------------
// Passive Authentication of a document

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex. */
  readonly serialNumber: string;
  /** ms since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
}

export type DataGroupStatus =
  /** Hash equals the SOD's. */
  | 'match'
  /** Hash differs: altered. */
  | 'mismatch'
  /** Listed in the SOD, not given (e.g. DG3 behind Terminal Authentication). */
  | 'not-read'
  /** Read from the chip but not covered by the SOD: unprotected, treated as altered. */
  | 'not-in-sod'
  /** Hashes were not compared (the SOD did not decode or names an unknown hash). */
  | 'not-checked';

export interface DataGroupCheck {
  readonly dataGroup: number;
  readonly status: DataGroupStatus;
}

export type RevocationStatus =
  | 'not-configured'
  /** A CRL signed by the CSCA was consulted and does not list the DS. */
  | 'not-revoked'
  | 'revoked'
  /** CRLs were configured but none from the DS's CSCA verified. */
  | 'no-crl-for-issuer'
  /** The CSCA was not found, so no CRL could be trusted. */
  | 'not-checked';

export interface PaReport {
  /** The most severe finding (PA_VERDICT_ORDER). */
  readonly verdict: PaVerdict;
  /** Every finding, most severe first; `[{ kind: 'valid' }]` when there is none. */
  readonly findings: readonly PaVerdict[];
  readonly dataGroups: readonly DataGroupCheck[];
  /**
   * The SOD signature's cryptographic check alone; a DS whose keyUsage forbids signing documents
   * is a finding ('document-signer-key-usage') even when this is 'valid'.
   */
  readonly signature: 'valid' | 'invalid' | 'not-checked';
  readonly documentSigner?: CertificateSummary;
  readonly csca?: CertificateSummary;
  readonly revocation: RevocationStatus;
  /** Why EF.SOD did not decode, for 'document-data-damaged'. */
  readonly sodError?: DecodeError;
  /** Trust-store entries (certificates, CRLs) that did not decode and were ignored. */
  readonly trustStoreSkipped: number;
  readonly sod?: Sod;
}

export interface PassiveAuthenticationInput {
  /** The EF.SOD file as read (77 …). */
  readonly sod: Uint8Array;
  /** Each data group read, as its whole file bytes (tag, length, value), by number 1–16. */
  readonly dataGroups: ReadonlyMap<number, Uint8Array>;
  /** Absent: the verdict is at best not-checked 'no-trust-store'. */
  readonly trustStore?: TrustStore;
  readonly crypto: PaCrypto;
  /** ms since the Unix epoch. */
  readonly clock: { now(): number };
}

function summary(cert: CertificateInfo): CertificateSummary {
  return {
    subject: cert.subjectText,
    issuer: cert.issuerText,
    serialNumber: serialHex(cert.serialNumber),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

/**
 * Runs Passive Authentication. Never rejects on card or trust-store data: damaged input is a
 * verdict. @throws {RangeError} (as a rejected promise) if a `dataGroups` key is not 1–16.
 */
export async function verifyPassiveAuthentication(input: PassiveAuthenticationInput): Promise<PaReport> {
  for (const n of input.dataGroups.keys())
    if (!isDataGroupNumber(n)) throw new RangeError(`data group ${n} is not 1–16`);
  const readNumbers = [...input.dataGroups.keys()].sort((a, b) => a - b);
  const base = { trustStoreSkipped: 0 };

  const decoded = decodeSod(input.sod);
  if (!decoded.ok) {
    const verdict = notChecked('document-data-damaged', decoded.error.detail);
    return {
      ...base,
      verdict,
      findings: [verdict],
      dataGroups: readNumbers.map((dataGroup) => ({ dataGroup, status: 'not-checked' })),
      signature: 'not-checked',
      revocation: 'not-checked',
      sodError: decoded.error,
    };
  }
  const sod = decoded.value;
  const lso = sod.ldsSecurityObject;
  const findings: PaVerdict[] = [];

  // Step 1: data group hashes over the whole file bytes.
  const dataGroups: DataGroupCheck[] = [];
  const hash = lso.hash;
  if (hash === undefined) {
    findings.push(notChecked('unsupported-algorithm', `hash ${lso.hashAlgorithm.oid}`));
    for (const dataGroup of readNumbers) dataGroups.push({ dataGroup, status: 'not-checked' });
  } else {
    const all = [...new Set([...readNumbers, ...lso.dataGroupHashes.keys()])].sort((a, b) => a - b);
    for (const dataGroup of all) {
      const bytes = input.dataGroups.get(dataGroup);
      const expected = isDataGroupNumber(dataGroup) ? lso.dataGroupHashes.get(dataGroup) : undefined;
      if (bytes === undefined) dataGroups.push({ dataGroup, status: 'not-read' });
      else if (expected === undefined) dataGroups.push({ dataGroup, status: 'not-in-sod' });
      else {
        let actual: Uint8Array | undefined;
        try {
          actual = await input.crypto.digest(hash, bytes);
        } catch {
          actual = undefined;
        }
        if (actual === undefined) {
          findings.push(notChecked('unsupported-algorithm', `hash ${hash}`));
          dataGroups.push({ dataGroup, status: 'not-checked' });
        } else dataGroups.push({ dataGroup, status: equalBytes(actual, expected) ? 'match' : 'mismatch' });
      }
    }
    const altered = dataGroups
      .filter((d) => d.status === 'mismatch' || d.status === 'not-in-sod')
      .map((d) => d.dataGroup);
    if (altered.length > 0) findings.push({ kind: 'data-group-altered', dataGroups: altered });
  }

  // Step 2: the signer.
  const signerOutcome = await checkSigner(sod.signedData, input.crypto);
  const ds = signerOutcome.signer;
  const signature = signerOutcome.ok
    ? 'valid'
    : signerOutcome.verdict.kind === 'signature-invalid'
      ? 'invalid'
      : 'not-checked';
  if (!signerOutcome.ok) findings.push(signerOutcome.verdict);

  // Step 3: the chain, validity, revocation.
  const now = input.clock.now();
  const expired: CertificateValidityProblem[] = [];
  let csca: CertificateInfo | undefined;
  let revocation: RevocationStatus = input.trustStore?.crls === undefined ? 'not-configured' : 'not-checked';
  let trustStoreSkipped = 0;
  if (ds) {
    // 9303-12 §7.1.1: a DS key signs documents only if its keyUsage says digitalSignature.
    if (signerOutcome.ok) {
      const fields = decodeProfileFields(ds);
      if (!fields.ok || !canSignContent(fields.value))
        findings.push({ kind: 'signature-invalid', problem: 'document-signer-key-usage' });
    }
    const dsProblem = validityProblem(ds, 'document-signer', now);
    if (dsProblem) expired.push(dsProblem);
    if (input.trustStore === undefined) findings.push(notChecked('no-trust-store'));
    else {
      const { anchors, skipped } = decodeAnchors(input.trustStore.cscaCertificates);
      trustStoreSkipped += skipped;
      if (anchors.length === 0)
        findings.push(notChecked('no-trust-store', 'the trust store holds no usable CSCA'));
      else {
        const issuer = await findIssuer(ds, anchors, input.crypto);
        if (!issuer.ok) findings.push(issuer.verdict);
        else {
          csca = issuer.issuer;
          const cscaProblem = validityProblem(csca, 'csca', now);
          if (cscaProblem) expired.push(cscaProblem);
          if (input.trustStore.crls !== undefined) {
            const result = await checkRevocation(ds, csca, input.trustStore.crls, input.crypto);
            revocation = result.status;
            trustStoreSkipped += result.skipped;
            if (result.revoked) findings.push(result.revoked);
          }
        }
      }
    }
  } else if (input.trustStore === undefined) findings.push(notChecked('no-trust-store'));
  if (expired.length > 0) findings.push({ kind: 'certificate-expired', certificates: expired });

  const sorted = dedupe(findings).sort((a, b) => rank(a) - rank(b));
  const verdict: PaVerdict = sorted[0] ?? { kind: 'valid' };
  return {
    ...base,
    verdict,
    findings: sorted.length > 0 ? sorted : [verdict],
    dataGroups,
    signature,
    ...(ds ? { documentSigner: summary(ds) } : {}),
    ...(csca ? { csca: summary(csca) } : {}),
    revocation,
    trustStoreSkipped,
    sod,
  };
}

function dedupe(findings: readonly PaVerdict[]): PaVerdict[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function checkRevocation(
  ds: CertificateInfo,
  csca: CertificateInfo,
  crls: readonly Uint8Array[],
  crypto: PaCrypto,
): Promise<{ status: RevocationStatus; skipped: number; revoked?: PaVerdict }> {
  let skipped = 0;
  let consulted = false;
  for (const der of crls) {
    const crl = decodeCrl(der);
    if (!crl.ok) {
      skipped++;
      continue;
    }
    if (!equalBytes(crl.value.issuer, csca.subject)) continue;
    const scheme = signatureSchemeFor(crl.value.signatureAlgorithm);
    if (scheme === undefined) continue;
    let valid = false;
    try {
      valid = await crypto.verifySignature({
        scheme,
        publicKey: csca.subjectPublicKeyInfo,
        data: crl.value.tbs,
        signature: crl.value.signature,
      });
    } catch {
      valid = false;
    }
    if (!valid) continue;
    consulted = true;
    const serial = integerMagnitude(ds.serialNumber);
    const entry = crl.value.revoked.find((r) => equalBytes(integerMagnitude(r.serialNumber), serial));
    if (entry)
      return {
        status: 'revoked',
        skipped,
        revoked: {
          kind: 'revoked',
          serialNumber: serialHex(ds.serialNumber),
          revocationDate: entry.revocationDate,
        },
      };
  }
  return { status: consulted ? 'not-revoked' : 'no-crl-for-issuer', skipped };
}

// ---------------------------------------------------------------------------------------------
// Master list signature (9303-12 §9)

/** Why a master list is refused. The list is refused whole: none of its CSCAs is trusted. */
export type MasterListProblem =
  /** No SignerInfo, or the signer's certificate is not in the SignedData's certificates. */
  | 'signer-missing'
  /** The SignerInfo has no signed attributes (9303-12 §9.1 requires contentType and messageDigest). */
  | 'signed-attributes-missing'
  /** Signed attributes without exactly one contentType and one messageDigest. */
  | 'signed-attributes-incomplete'
  | 'content-type-mismatch'
  /** The digest of the list (eContent) differs from the signed messageDigest: altered after signing. */
  | 'message-digest-mismatch'
  /** The signature over the signed attributes does not verify with the signer's key. */
  | 'signature-invalid'
  /** The signer certificate lacks extendedKeyUsage id-icao-cscaMasterListSigningKey (2.23.136.1.1.3). */
  | 'signer-not-master-list-signer'
  /** The signer certificate's keyUsage lacks digitalSignature (or its extensions do not decode). */
  | 'signer-key-usage'
  /** No trust anchor has the signer's issuer name (and key identifier). */
  | 'signer-untrusted'
  /** Anchors with the issuer's name exist but none of them signed the signer's certificate. */
  | 'signer-issuer-signature-invalid'
  /** The anchor that signed the signer's certificate is no CA (cA, keyCertSign). */
  | 'signer-issuer-not-csca'
  | 'signer-expired'
  | 'signer-not-yet-valid'
  /** The anchor that issued the signer has expired or is not yet valid. */
  | 'anchor-not-valid'
  /** No usable trust anchor was given: nothing can vouch for any list. */
  | 'no-anchor'
  /** A hash, signature scheme or curve the station does not implement. */
  | 'unsupported-algorithm';

export interface MasterListError {
  readonly problem: MasterListProblem;
  /** For logs and the operator; never parsed. */
  readonly detail: string;
  readonly signer?: CertificateSummary;
}

export type MasterListCheck =
  | {
      readonly ok: true;
      readonly signer: CertificateSummary;
      /** The trust anchor (a CSCA the operator configured) that issued the signer. */
      readonly anchor: CertificateSummary;
    }
  | { readonly ok: false; readonly error: MasterListError };

function masterListSignerProblem(fields: CertificateProfileFields): MasterListProblem | undefined {
  if (fields.extendedKeyUsage?.purposes.includes(ICAO_PKI_OID.cscaMasterListSigningKey) !== true)
    return 'signer-not-master-list-signer';
  if (!canSignContent(fields)) return 'signer-key-usage';
  return undefined;
}

const SIGNER_PROBLEMS: Readonly<Record<SignatureProblem, MasterListProblem>> = {
  'signature-mismatch': 'signature-invalid',
  'message-digest-mismatch': 'message-digest-mismatch',
  'content-type-mismatch': 'content-type-mismatch',
  'signed-attributes-incomplete': 'signed-attributes-incomplete',
  'document-signer-key-usage': 'signer-key-usage',
};

/**
 * Checks a decoded master list before any of its CSCAs may be trusted (9303-12 §9; a list is only
 * as good as its signer):
 * 1. the CMS signature: signed attributes present, contentType, messageDigest = hash(eContent),
 *    the signature with the signer certificate's key (RFC 5652 §5.4–5.6);
 * 2. the signer is a Master List Signer: extendedKeyUsage 2.23.136.1.1.3 and keyUsage
 *    digitalSignature (9303-12 §7.1.1);
 * 3. its certificate was signed by one of `trustAnchors`, CSCAs the operator trusts explicitly
 *    (the issuing state's own CSCA, obtained out of band), never by a certificate inside the list;
 * 4. signer and anchor are within their validity as of `clock`.
 * Never rejects on list data; every failure is one `MasterListProblem`.
 */
export async function verifyMasterList(
  masterList: MasterList,
  options: {
    readonly trustAnchors: readonly Uint8Array[];
    readonly crypto: PaCrypto;
    readonly clock: { now(): number };
  },
): Promise<MasterListCheck> {
  const refuse = (problem: MasterListProblem, detail: string, signer?: CertificateInfo): MasterListCheck => ({
    ok: false,
    error: { problem, detail, ...(signer ? { signer: summary(signer) } : {}) },
  });
  const sd = masterList.signedData;
  if (sd.signerInfos[0]?.signedAttributes === undefined)
    return refuse(
      sd.signerInfos[0] === undefined ? 'signer-missing' : 'signed-attributes-missing',
      'the list has no signer with signed attributes',
    );
  const signed = await checkSigner(sd, options.crypto);
  if (!signed.ok) {
    const verdict = signed.verdict;
    if (verdict.kind === 'signature-invalid')
      return refuse(SIGNER_PROBLEMS[verdict.problem], verdict.problem, signed.signer);
    if (verdict.kind === 'not-checked' && verdict.reason === 'document-signer-missing')
      return refuse('signer-missing', "the signer's certificate is not in the list's SignedData");
    return refuse(
      'unsupported-algorithm',
      verdict.kind === 'not-checked' ? (verdict.detail ?? verdict.reason) : verdict.kind,
      signed.signer,
    );
  }
  const signer = signed.signer;
  const fields = decodeProfileFields(signer);
  if (!fields.ok) return refuse('signer-key-usage', fields.error.detail, signer);
  const profileProblem = masterListSignerProblem(fields.value);
  if (profileProblem)
    return refuse(
      profileProblem,
      profileProblem === 'signer-not-master-list-signer'
        ? `extendedKeyUsage ${fields.value.extendedKeyUsage?.purposes.join(', ') ?? 'absent'}; needs ${ICAO_PKI_OID.cscaMasterListSigningKey}`
        : `keyUsage ${fields.value.keyUsage?.bits.join(', ') ?? 'absent'}; needs digitalSignature`,
      signer,
    );
  const { anchors } = decodeAnchors(options.trustAnchors);
  if (anchors.length === 0) return refuse('no-anchor', 'no master-list trust anchor is configured', signer);
  const issuer = await findIssuer(signer, anchors, options.crypto);
  if (!issuer.ok) {
    const verdict = issuer.verdict;
    if (verdict.kind !== 'unknown-issuer')
      return refuse(
        'unsupported-algorithm',
        verdict.kind === 'not-checked' ? (verdict.detail ?? '') : '',
        signer,
      );
    const problem: MasterListProblem =
      verdict.problem === 'no-matching-csca'
        ? 'signer-untrusted'
        : verdict.problem === 'issuer-not-csca'
          ? 'signer-issuer-not-csca'
          : 'signer-issuer-signature-invalid';
    return refuse(problem, `signer issued by ${signer.issuerText}`, signer);
  }
  const now = options.clock.now();
  const signerValidity = validityProblem(signer, 'document-signer', now);
  if (signerValidity)
    return refuse(
      signerValidity.state === 'expired' ? 'signer-expired' : 'signer-not-yet-valid',
      `signer valid ${new Date(signer.notBefore).toISOString()} to ${new Date(signer.notAfter).toISOString()}`,
      signer,
    );
  if (validityProblem(issuer.issuer, 'csca', now))
    return refuse(
      'anchor-not-valid',
      `anchor ${issuer.issuer.subjectText} valid ${new Date(issuer.issuer.notBefore).toISOString()} to ${new Date(issuer.issuer.notAfter).toISOString()}`,
      signer,
    );
  return { ok: true, signer: summary(signer), anchor: summary(issuer.issuer) };
}
