/**
 * Opens an enrollment packet (the layout in build.ts): decrypt through `PacketDecryptor`, verify
 * the CMS signature, the signer's chain to the given trust anchors and the signing time against
 * every certificate's validity, then the content, the manifest and the part and image hashes.
 *
 * Every outcome is a result: a packet that is not ours, damaged or forged gives one typed
 * `PacketRejection` with its reason; nothing here throws on packet bytes (property-tested).
 * Memory is bounded by PACKET_LIMITS before the ASN.1 library sees the bytes.
 */
import { Attribute, type KeyTransRecipientInfo, RecipientInfo, SigningTime } from '@peculiar/asn1-cms';
import { RsaEsOaepParams } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { readTransactionImages, type TransactionImage } from '../ansi-nist/images.ts';
import { equalBytes, toHex } from '../bytes.ts';
import { signatureSchemeFor } from '../icao9303/pa.ts';
import {
  type CertificateInfo,
  decodeCertificate,
  decodeOidValue,
  decodeSignedData,
  findSignerCertificate,
  integerMagnitude,
} from '../icao9303/sod.ts';
import { concatBytes, parseTree, type TlvNode } from '../iso7816/tlv.ts';
import { type DecodeError, type DecodeResult, fail, ok } from '../result.ts';
import { AttributeSet } from './build.ts';
import { DerCache } from './cache.ts';
import { bytesOf, CMS_OID, decodePacketContent, PACKET_OID, PrintableValue, Utf8Value } from './container.ts';
import type { PacketCrypto } from './crypto.ts';
import { decodeEidContent, eidPartProblems } from './eid.ts';
import { decodeEidManifest, EID_MANIFEST_TYPE, type EidApplicationManifest } from './eid-manifest.ts';
import type { PacketDecryptor } from './keys.ts';
import { decodeManifest, type ManifestImage, type ManifestProblem, type PacketManifest } from './manifest.ts';

/** Bounds applied before any ASN.1 parsing. */
export const PACKET_LIMITS = {
  /** Largest packet accepted, bytes (a typical one is under 1 MB). */
  maxPacketLength: 32 * 1024 * 1024,
  maxDepth: 32,
  maxNodes: 4000,
  maxRecipients: 8,
  /** Longest certificate path followed from the signer to an anchor. */
  maxPathLength: 5,
  /**
   * How far a packet's signingTime may lie after the reader's "now", ms: the station's and the
   * central's clocks differ by a little (NTP keeps them within seconds); more means a station
   * clock set forward, or a packet dated to outlive a certificate.
   */
  clockSkewMs: 5 * 60_000,
} as const;

const decryptorCertificates = new DerCache<Certificate>();
const anchorCertificates = new DerCache<DecodeResult<CertificateInfo>>();

/** Unencrypted labels of the EnvelopedData (unprotectedAttrs): for deduplication, not trusted. */
export interface EnvelopeLabels {
  readonly packetId?: string;
  readonly enrollmentSessionId?: string;
  readonly environment?: string;
}

export type PacketStage = 'envelope' | 'signed-data' | 'content';

export type PacketRejection =
  /** The bytes are not a packet: not DER, not the layout, or past a bound. */
  | { readonly kind: 'malformed'; readonly stage: PacketStage; readonly error: DecodeError }
  /** No recipient is our certificate, or our key does not unwrap the content key. */
  | { readonly kind: 'wrong-recipient'; readonly detail: string }
  /** Our key unwrapped a key, but the content does not decrypt with it (altered ciphertext). */
  | { readonly kind: 'decryption-failed'; readonly detail: string }
  | { readonly kind: 'unsupported-algorithm'; readonly detail: string }
  /** The content does not match its signature. */
  | {
      readonly kind: 'content-mismatch';
      readonly problem: 'message-digest' | 'signature' | 'content-type' | 'signed-attributes-incomplete';
    }
  /** The signer's certificate is absent, or does not chain to a trust anchor. */
  | { readonly kind: 'unknown-signer'; readonly detail: string }
  /** signingTime lies outside a certificate's validity in the signer's path. */
  | {
      readonly kind: 'signer-expired';
      readonly certificate: string;
      /** ms since the Unix epoch. */
      readonly signingTime: number;
      readonly notBefore: number;
      readonly notAfter: number;
    }
  /** signingTime lies after the reader's clock by more than PACKET_LIMITS.clockSkewMs. */
  | {
      readonly kind: 'signed-in-future';
      /** ms since the Unix epoch. */
      readonly signingTime: number;
      readonly now: number;
      readonly allowanceMs: number;
    }
  /** The carried transaction is not a readable ANSI/NIST-ITL transaction (protocol/ansi-nist). */
  | { readonly kind: 'transaction-invalid'; readonly error: DecodeError }
  /** The manifest breaks the schema or the rules: every failing field with its path. */
  | { readonly kind: 'schema-violation'; readonly problems: readonly ManifestProblem[] }
  /** The signed attributes or the unencrypted labels disagree with the manifest. */
  | {
      readonly kind: 'label-mismatch';
      readonly field: string;
      readonly manifest: string;
      readonly label: string | undefined;
    }
  /**
   * A part or an image does not match what the manifest lists. Each problem's `rule`:
   * `hash` (the transaction or portrait), `image-hash`, `image-length`, `image-record` (a record
   * type that is not the listed kind), `image-position` (FGP differs), `image-missing` (listed, not
   * in the transaction), `image-unlisted` (in the transaction, not listed).
   */
  | { readonly kind: 'image-mismatch'; readonly problems: readonly ManifestProblem[] };

export type PacketRejectionKind = PacketRejection['kind'];

export interface OfficerMessage {
  readonly vi: string;
  readonly en: string;
}

/** What an officer or an operator at central reads for each rejection. */
export const PACKET_MESSAGES: Readonly<Record<PacketRejectionKind, OfficerMessage>> = {
  malformed: {
    vi: 'Gói hồ sơ bị hỏng hoặc không đúng định dạng. Hãy gửi lại gói từ trạm.',
    en: 'The packet is damaged or not in the packet format. Send it again from the station.',
  },
  'wrong-recipient': {
    vi: 'Gói hồ sơ được mã hóa cho máy chủ khác. Kiểm tra chứng thư máy chủ trung tâm đã cài ở trạm.',
    en: 'The packet is encrypted for another server. Check the central certificate installed at the station.',
  },
  'decryption-failed': {
    vi: 'Không giải mã được nội dung gói: gói đã bị thay đổi trên đường truyền. Hãy gửi lại.',
    en: 'The packet content does not decrypt: it was altered in transit. Send it again.',
  },
  'unsupported-algorithm': {
    vi: 'Gói dùng thuật toán không được hỗ trợ. Cập nhật phần mềm trạm.',
    en: 'The packet uses an unsupported algorithm. Update the station software.',
  },
  'content-mismatch': {
    vi: 'Nội dung gói không khớp chữ ký: gói đã bị sửa. Không dùng gói này; gửi lại từ trạm.',
    en: 'The content does not match its signature: the packet was altered. Do not use it; send it again.',
  },
  'unknown-signer': {
    vi: 'Trạm ký gói không được tin cậy. Kiểm tra chứng thư của trạm.',
    en: 'The signing station is not trusted. Check the station certificate.',
  },
  'signer-expired': {
    vi: 'Chứng thư của trạm đã hết hạn (hoặc chưa có hiệu lực) khi ký. Gia hạn chứng thư trạm.',
    en: "The station's certificate was expired (or not yet valid) at signing. Renew the station certificate.",
  },
  'signed-in-future': {
    vi: 'Thời điểm ký gói muộn hơn đồng hồ máy chủ: đồng hồ của trạm bị sai. Chỉnh đồng hồ trạm (NTP) rồi lập lại gói.',
    en: "The packet's signing time is later than the server's clock: the station's clock is wrong. Set the station clock (NTP) and build the packet again.",
  },
  'transaction-invalid': {
    vi: 'Giao dịch ANSI/NIST trong gói bị hỏng, không đọc được. Lập lại gói từ trạm.',
    en: 'The ANSI/NIST transaction in the packet is damaged and cannot be read. Build the packet again at the station.',
  },
  'schema-violation': {
    vi: 'Dữ liệu hồ sơ không hợp lệ ở các trường được liệt kê. Sửa và lập lại gói.',
    en: 'The enrollment data is invalid in the fields listed. Correct them and build the packet again.',
  },
  'label-mismatch': {
    vi: 'Nhãn của gói không khớp nội dung đã ký. Không dùng gói này.',
    en: 'The packet labels do not match the signed content. Do not use it.',
  },
  'image-mismatch': {
    vi: 'Ảnh trong gói không khớp mã băm trong hồ sơ. Chụp lại và lập lại gói.',
    en: 'An image does not match the hash in the manifest. Capture again and rebuild the packet.',
  },
};

// ---------------------------------------------------------------------------------------------
// Envelope

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseBounded<T>(bytes: Uint8Array, what: string, parse: (root: TlvNode) => T): DecodeResult<T> {
  if (bytes.length > PACKET_LIMITS.maxPacketLength)
    return fail('too-large', 0, `${what} of ${bytes.length} bytes; at most ${PACKET_LIMITS.maxPacketLength}`);
  const tree = parseTree(bytes, {
    maxDepth: PACKET_LIMITS.maxDepth,
    maxNodes: PACKET_LIMITS.maxNodes,
    maxLength: PACKET_LIMITS.maxPacketLength,
  });
  if (!tree.ok) return tree;
  const [root, extra] = tree.value;
  if (root?.tag !== 0x30) return fail('invalid-value', 0, `${what} is not a DER SEQUENCE`);
  if (extra !== undefined) return fail('trailing-data', extra.offset, `bytes after the ${what}`);
  try {
    return ok(parse(root));
  } catch (error) {
    if (error instanceof LayoutError) return fail(error.reason, error.offset, `${what}: ${error.message}`);
    return fail('invalid-value', 0, `${what} does not decode: ${errorText(error)}`);
  }
}

/** A structural fault found while walking the DER tree, with where it is; parseBounded reports it. */
class LayoutError extends Error {
  override readonly name = 'LayoutError';
  constructor(
    readonly offset: number,
    message: string,
    readonly reason: 'invalid-value' | 'too-large' = 'invalid-value',
  ) {
    super(message);
  }
}

/**
 * The parts of an EnvelopedData (RFC 5652 §6.1) a packet reader uses. The ciphertext is a view
 * into the packet: only the small parts go through the ASN.1 library, never the ~1 MB content.
 */
interface Envelope {
  readonly recipientInfos: readonly RecipientInfo[];
  readonly contentEncryptionAlgorithm: AlgorithmIdentifier;
  /** Undefined when absent (detached content is not a packet). */
  readonly encryptedContent: Uint8Array | undefined;
  readonly unprotectedAttrs: readonly Attribute[];
}

const der = (bytes: Uint8Array, node: TlvNode): Uint8Array =>
  bytes.subarray(node.offset, node.offset + node.totalLength);

/**
 * ```
 * ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER (id-envelopedData), content [0] EXPLICIT EnvelopedData }
 * EnvelopedData ::= SEQUENCE { version INTEGER, originatorInfo [0] IMPLICIT OPTIONAL,
 *   recipientInfos SET OF RecipientInfo, encryptedContentInfo EncryptedContentInfo,
 *   unprotectedAttrs [1] IMPLICIT SET OF Attribute OPTIONAL }
 * EncryptedContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER,
 *   contentEncryptionAlgorithm AlgorithmIdentifier, encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }
 * ```
 */
function decodeEnvelope(bytes: Uint8Array): DecodeResult<Envelope> {
  return parseBounded(bytes, 'ContentInfo', (root) => {
    const [typeNode, wrapper, more] = root.children;
    const contentType = typeNode?.tag === 0x06 ? decodeOidValue(typeNode.value) : undefined;
    if (contentType === undefined || wrapper === undefined || more !== undefined)
      throw new LayoutError(root.offset, 'not a ContentInfo { contentType, [0] content }');
    if (contentType !== CMS_OID.envelopedData)
      throw new LayoutError(typeNode?.offset ?? 0, `content type ${contentType} is not envelopedData`);
    const [node, extra] = wrapper.children;
    if (wrapper.tag !== 0xa0 || node?.tag !== 0x30 || extra !== undefined)
      throw new LayoutError(wrapper.offset, 'the content is not one [0] EnvelopedData SEQUENCE');
    const fields = [...node.children];
    if (fields.shift()?.tag !== 0x02) throw new LayoutError(node.offset, 'EnvelopedData has no version');
    if (fields[0]?.tag === 0xa0) fields.shift(); // originatorInfo: not used by a packet reader
    const [recipients, eci, attrs, rest] = fields;
    if (recipients?.tag !== 0x31)
      throw new LayoutError(node.offset, 'EnvelopedData has no recipientInfos SET');
    if (eci?.tag !== 0x30) throw new LayoutError(node.offset, 'EnvelopedData has no encryptedContentInfo');
    if ((attrs !== undefined && attrs.tag !== 0xa1) || rest !== undefined)
      throw new LayoutError((rest ?? attrs)?.offset ?? node.offset, 'EnvelopedData has unexpected elements');
    if (recipients.children.length > PACKET_LIMITS.maxRecipients)
      throw new LayoutError(
        recipients.offset,
        `${recipients.children.length} recipients; at most ${PACKET_LIMITS.maxRecipients}`,
        'too-large',
      );
    const [eciType, algorithm, content, eciRest] = eci.children;
    if (eciType?.tag !== 0x06 || algorithm?.tag !== 0x30 || eciRest !== undefined)
      throw new LayoutError(
        eci.offset,
        'encryptedContentInfo is not { contentType, algorithm, [0] content }',
      );
    let encryptedContent: Uint8Array | undefined;
    if (content?.tag === 0x80) encryptedContent = content.value;
    else if (content?.tag === 0xa0) {
      // BER's constructed form: the segments in order (RFC 5652 §6.1 allows either).
      if (content.children.some((c) => c.tag !== 0x04))
        throw new LayoutError(
          content.offset,
          'a constructed encryptedContent holds something other than OCTET STRINGs',
        );
      encryptedContent = concatBytes(...content.children.map((c) => c.value));
    } else if (content !== undefined)
      throw new LayoutError(content.offset, 'encryptedContent is not [0] IMPLICIT OCTET STRING');
    return {
      recipientInfos: recipients.children.map((r) => AsnConvert.parse(der(bytes, r), RecipientInfo)),
      contentEncryptionAlgorithm: AsnConvert.parse(der(bytes, algorithm), AlgorithmIdentifier),
      encryptedContent,
      unprotectedAttrs: (attrs?.children ?? []).map((a) => AsnConvert.parse(der(bytes, a), Attribute)),
    };
  });
}

function singleValue<T>(
  attrs: readonly { attrType: string; attrValues: ArrayBuffer[] }[],
  type: string,
  schema: new () => T,
): T | undefined {
  const matches = attrs.filter((a) => a.attrType === type);
  const value =
    matches.length === 1 && matches[0]?.attrValues.length === 1 ? matches[0].attrValues[0] : undefined;
  if (value === undefined) return undefined;
  try {
    return AsnConvert.parse(value, schema);
  } catch {
    return undefined;
  }
}

function labelsOf(envelope: Envelope): EnvelopeLabels {
  const attrs = envelope.unprotectedAttrs;
  const packetId = singleValue(attrs, PACKET_OID.packetId, PrintableValue)?.value;
  const enrollmentSessionId = singleValue(attrs, PACKET_OID.enrollmentSessionId, PrintableValue)?.value;
  const environment = singleValue(attrs, PACKET_OID.environment, PrintableValue)?.value;
  return {
    ...(packetId === undefined ? {} : { packetId }),
    ...(enrollmentSessionId === undefined ? {} : { enrollmentSessionId }),
    ...(environment === undefined ? {} : { environment }),
  };
}

/**
 * The unencrypted labels (packet id, enrollment session id, environment), read without a key so
 * an outbox or central can deduplicate. They are not authenticated: `openPacket` checks them
 * against the signed manifest. Errors as the envelope stage of `openPacket`.
 */
export function readEnvelopeLabels(packet: Uint8Array): DecodeResult<EnvelopeLabels> {
  const envelope = decodeEnvelope(packet);
  return envelope.ok ? ok(labelsOf(envelope.value)) : envelope;
}

function isOaepSha256(algorithm: AlgorithmIdentifier): boolean {
  if (algorithm.algorithm !== CMS_OID.rsaesOaep || !algorithm.parameters) return false;
  try {
    const params = AsnConvert.parse(algorithm.parameters, RsaEsOaepParams);
    if (params.hashAlgorithm.algorithm !== CMS_OID.sha256) return false;
    if (params.maskGenAlgorithm.algorithm !== CMS_OID.mgf1 || !params.maskGenAlgorithm.parameters)
      return false;
    const mgfHash = AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier);
    if (mgfHash.algorithm !== CMS_OID.sha256) return false;
    // A non-empty label (pSpecified with octets) is not checked here: the unwrap, which uses the
    // empty label, fails for it. (asn1-rsa fills the absent DEFAULT with SHA-1 of "" octets.)
    return params.pSourceAlgorithm.algorithm === CMS_OID.pSpecified;
  } catch {
    return false;
  }
}

function matchesRecipient(ktri: KeyTransRecipientInfo, cert: Certificate): boolean {
  const rid = ktri.rid.issuerAndSerialNumber;
  if (!rid) return false;
  return (
    equalBytes(
      new Uint8Array(AsnConvert.serialize(rid.issuer)),
      new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.issuer)),
    ) &&
    equalBytes(
      integerMagnitude(new Uint8Array(rid.serialNumber)),
      integerMagnitude(new Uint8Array(cert.tbsCertificate.serialNumber)),
    )
  );
}

type Step<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly rejection: PacketRejection };

const reject = (rejection: PacketRejection): { ok: false; rejection: PacketRejection } => ({
  ok: false,
  rejection,
});

async function decrypt(
  envelope: Envelope,
  decryptor: PacketDecryptor,
  ours: Certificate,
  crypto: PacketCrypto,
): Promise<Step<Uint8Array>> {
  const infos = envelope.recipientInfos;
  const ktri = infos.map((r) => r.ktri).find((k) => k !== undefined && matchesRecipient(k, ours));
  if (!ktri)
    return reject({
      kind: 'wrong-recipient',
      detail: 'no recipient info names our certificate (issuer and serial)',
    });
  if (!isOaepSha256(ktri.keyEncryptionAlgorithm))
    return reject({
      kind: 'unsupported-algorithm',
      detail: `key transport ${ktri.keyEncryptionAlgorithm.algorithm}; expected RSAES-OAEP with SHA-256`,
    });
  const alg = envelope.contentEncryptionAlgorithm;
  if (alg.algorithm !== CMS_OID.aes256Cbc || !alg.parameters)
    return reject({
      kind: 'unsupported-algorithm',
      detail: `content encryption ${alg.algorithm}; expected AES-256-CBC`,
    });
  let iv: Uint8Array;
  try {
    iv = bytesOf(AsnConvert.parse(alg.parameters, OctetString).buffer);
  } catch {
    iv = new Uint8Array(0);
  }
  if (iv.length !== 16)
    return reject({
      kind: 'malformed',
      stage: 'envelope',
      error: { reason: 'invalid-value', offset: 0, detail: 'AES-CBC IV is not a 16-byte OCTET STRING' },
    });
  const ciphertext = envelope.encryptedContent;
  if (ciphertext === undefined || ciphertext.length === 0)
    return reject({
      kind: 'malformed',
      stage: 'envelope',
      error: {
        reason: 'invalid-value',
        offset: 0,
        detail: 'no encrypted content (detached content is not a packet)',
      },
    });
  let cek: Uint8Array;
  try {
    cek = await decryptor.unwrapKey(bytesOf(ktri.encryptedKey.buffer));
  } catch (error) {
    return reject({
      kind: 'wrong-recipient',
      detail: `our key does not unwrap the content key: ${errorText(error)}`,
    });
  }
  if (cek.length !== 32)
    return reject({
      kind: 'decryption-failed',
      detail: `content key of ${cek.length} bytes; AES-256 needs 32`,
    });
  try {
    return { ok: true, value: await crypto.aes256CbcDecrypt(cek, iv, ciphertext) };
  } catch (error) {
    return reject({ kind: 'decryption-failed', detail: errorText(error) });
  } finally {
    cek.fill(0);
  }
}

// ---------------------------------------------------------------------------------------------
// SignedData

export interface VerifiedSignedData {
  readonly eContentType: string;
  readonly eContent: Uint8Array;
  readonly signer: { readonly subject: string; readonly issuer: string; readonly serialNumber: string };
  /** ms since the Unix epoch. */
  readonly signingTime: number;
  /** Our own signed attributes, when present exactly once. */
  readonly officerId?: string;
  readonly environment?: string;
}

function validAt(cert: CertificateInfo, time: number): boolean {
  return cert.notBefore <= time && time <= cert.notAfter;
}

async function signedBy(
  cert: CertificateInfo,
  issuer: CertificateInfo,
  crypto: PacketCrypto,
): Promise<boolean> {
  const scheme = signatureSchemeFor(cert.signatureAlgorithm);
  if (!scheme) return false;
  return crypto.verifySignature({
    scheme,
    publicKey: issuer.subjectPublicKeyInfo,
    data: cert.tbs,
    signature: cert.signature,
  });
}

/** The path from `signer` to an anchor (signer first, anchor last), or undefined. */
async function pathToAnchor(
  signer: CertificateInfo,
  certificates: readonly CertificateInfo[],
  anchors: readonly CertificateInfo[],
  crypto: PacketCrypto,
): Promise<CertificateInfo[] | undefined> {
  const path = [signer];
  let current = signer;
  for (let depth = 0; depth < PACKET_LIMITS.maxPathLength; depth++) {
    if (anchors.some((a) => equalBytes(a.der, current.der))) return path;
    let next: CertificateInfo | undefined;
    for (const anchor of anchors)
      if (equalBytes(anchor.subject, current.issuer) && (await signedBy(current, anchor, crypto)))
        return [...path, anchor];
    for (const candidate of certificates)
      if (
        candidate.isCa === true &&
        !path.some((p) => equalBytes(p.der, candidate.der)) &&
        equalBytes(candidate.subject, current.issuer) &&
        (await signedBy(current, candidate, crypto))
      ) {
        next = candidate;
        break;
      }
    if (!next) return undefined;
    path.push(next);
    current = next;
  }
  return undefined;
}

/**
 * Verifies a CMS SignedData (a DER ContentInfo) that carries `expectedContentType`: the signer's
 * certificate among those included, contentType and messageDigest signed attributes (SHA-256),
 * the signature (ECDSA with SHA-256), the chain to one of `trustAnchors` (DER), and signingTime
 * within every certificate's validity on that path. Standard CMS: it verifies what
 * `openssl cms -sign -md sha256` makes with an EC key. Never throws on the bytes; rejects only
 * when the injected crypto does.
 */
export async function verifySignedData(
  signedContentInfo: Uint8Array,
  expectedContentType: string | readonly string[],
  trustAnchors: readonly Uint8Array[],
  crypto: PacketCrypto,
): Promise<Step<VerifiedSignedData>> {
  const decoded = decodeSignedData(
    signedContentInfo,
    typeof expectedContentType === 'string' ? [expectedContentType] : expectedContentType,
    PACKET_LIMITS.maxPacketLength,
  );
  if (!decoded.ok) return reject({ kind: 'malformed', stage: 'signed-data', error: decoded.error });
  const sd = decoded.value;
  const signerInfo = sd.signerInfos[0];
  if (!signerInfo || sd.signerInfos.length !== 1)
    return reject({
      kind: 'malformed',
      stage: 'signed-data',
      error: { reason: 'invalid-value', offset: 0, detail: 'a packet has exactly one signer' },
    });
  if (signerInfo.digestAlgorithm.oid !== CMS_OID.sha256)
    return reject({
      kind: 'unsupported-algorithm',
      detail: `digest ${signerInfo.digestAlgorithm.oid}; expected SHA-256`,
    });
  const scheme = signatureSchemeFor(signerInfo.signatureAlgorithm, signerInfo.digestAlgorithm);
  if (scheme?.kind !== 'ecdsa' || scheme.hash !== 'sha256' || scheme.encoding !== 'der')
    return reject({
      kind: 'unsupported-algorithm',
      detail: `signature ${signerInfo.signatureAlgorithm.oid}; expected ECDSA with SHA-256`,
    });
  const signer = findSignerCertificate(signerInfo.sid, sd.certificates);
  if (!signer)
    return reject({ kind: 'unknown-signer', detail: "the signer's certificate is not in the packet" });

  const attrs = signerInfo.signedAttributes;
  if (!attrs || attrs.contentType === undefined || attrs.messageDigest === undefined)
    return reject({ kind: 'content-mismatch', problem: 'signed-attributes-incomplete' });
  if (attrs.contentType !== sd.eContentType)
    return reject({ kind: 'content-mismatch', problem: 'content-type' });
  let parsedAttrs: AttributeSet;
  try {
    parsedAttrs = AsnConvert.parse(attrs.der, AttributeSet);
  } catch {
    return reject({ kind: 'content-mismatch', problem: 'signed-attributes-incomplete' });
  }
  const signingTimeAttr = singleValue([...parsedAttrs], CMS_OID.signingTime, SigningTime);
  if (!signingTimeAttr) return reject({ kind: 'content-mismatch', problem: 'signed-attributes-incomplete' });
  const signingTime = signingTimeAttr.getTime().getTime();
  const digest = await crypto.sha256(sd.eContent);
  if (!equalBytes(digest, attrs.messageDigest))
    return reject({ kind: 'content-mismatch', problem: 'message-digest' });
  const valid = await crypto.verifySignature({
    scheme,
    publicKey: signer.subjectPublicKeyInfo,
    data: attrs.der,
    signature: signerInfo.signature,
  });
  if (!valid) return reject({ kind: 'content-mismatch', problem: 'signature' });

  const anchors: CertificateInfo[] = [];
  for (const der of trustAnchors) {
    const anchor = anchorCertificates.get(der, decodeCertificate);
    if (anchor.ok) anchors.push(anchor.value);
  }
  const path = await pathToAnchor(signer, sd.certificates, anchors, crypto);
  if (!path)
    return reject({
      kind: 'unknown-signer',
      detail: `${signer.subjectText} (issuer ${signer.issuerText}) does not chain to a trusted station CA`,
    });
  for (const cert of path)
    if (!validAt(cert, signingTime))
      return reject({
        kind: 'signer-expired',
        certificate: cert.subjectText,
        signingTime,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
      });
  const officerId = singleValue([...parsedAttrs], PACKET_OID.officerId, Utf8Value)?.value;
  const environment = singleValue([...parsedAttrs], PACKET_OID.environment, PrintableValue)?.value;
  return {
    ok: true,
    value: {
      eContentType: sd.eContentType,
      eContent: sd.eContent,
      signer: {
        subject: signer.subjectText,
        issuer: signer.issuerText,
        serialNumber: toHex(signer.serialNumber),
      },
      signingTime,
      ...(officerId === undefined ? {} : { officerId }),
      ...(environment === undefined ? {} : { environment }),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The packet

export interface OpenedPacket {
  readonly manifest: PacketManifest;
  /** The raw manifest bytes (UTF-8 JSON) as signed. */
  readonly manifestBytes: Uint8Array;
  readonly transaction: Uint8Array;
  readonly portrait: Uint8Array;
  readonly labels: EnvelopeLabels;
  readonly signer: VerifiedSignedData['signer'];
  /** ms since the Unix epoch. */
  readonly signingTime: number;
  /**
   * True when every image of the transaction was checked against the manifest (always, with the
   * default `extractImages`). Only a packet that passes is returned, so false never occurs today;
   * kept for readers that log it.
   */
  readonly imagesChecked: boolean;
}

export type OpenPacketResult =
  | { readonly ok: true; readonly packet: OpenedPacket }
  | { readonly ok: false; readonly rejection: PacketRejection; readonly labels?: EnvelopeLabels };

export interface OpenPacketInput {
  readonly packet: Uint8Array;
  readonly decryptor: PacketDecryptor;
  readonly crypto: PacketCrypto;
  /** Station CA certificates (DER) a signer must chain to. */
  readonly trustAnchors: readonly Uint8Array[];
  /**
   * The reader's clock, ms since the Unix epoch: a signingTime later than this by more than
   * PACKET_LIMITS.clockSkewMs is refused (`signed-in-future`). protocol/ has no clock of its own.
   */
  readonly now: number;
  /**
   * The transaction's image-bearing records, in order. Default: protocol/ansi-nist's
   * `readTransactionImages`; replace it only to test the check itself. A decode error is
   * `transaction-invalid`.
   */
  readonly extractImages?: (transaction: Uint8Array) => DecodeResult<readonly TransactionImage[]>;
}

/** Record types that may carry each kind of manifest image (ANSI/NIST-ITL 1-2011 §8). */
const RECORD_TYPES_OF: Readonly<Record<ManifestImage['kind'], readonly number[]>> = {
  finger: [14, 3, 4, 5, 6],
  slap: [14, 3, 4, 5, 6],
  face: [10],
  iris: [17],
};

/**
 * Checks the transaction's image-bearing records against the manifest's list, in order: the same
 * count, each record of a type that carries the listed kind, at the listed finger position, of the
 * listed length and SHA-256. Returns every problem with its path; empty when all match.
 */
export async function checkImages(
  manifest: PacketManifest,
  images: readonly TransactionImage[],
  crypto: PacketCrypto,
): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  const listed = manifest.capture.images;
  for (const [i, entry] of listed.entries()) {
    const image = images[i];
    const at = `/capture/images/${i}`;
    if (!image) {
      problems.push({
        path: at,
        rule: 'image-missing',
        message: `the manifest lists a ${entry.kind} image (position ${entry.position}) the transaction does not hold`,
      });
      continue;
    }
    const record = `Type-${image.recordType} record IDC ${image.idc}`;
    if (!RECORD_TYPES_OF[entry.kind].includes(image.recordType))
      problems.push({
        path: `${at}/kind`,
        rule: 'image-record',
        message: `listed as a ${entry.kind} image; the transaction holds a ${record} there`,
      });
    else if ((entry.kind === 'finger' || entry.kind === 'slap') && image.position !== entry.position)
      problems.push({
        path: `${at}/position`,
        rule: 'image-position',
        message: `listed at position ${entry.position}; the ${record} has position ${image.position ?? 'none'}`,
      });
    if (image.data.length !== entry.byteLength)
      problems.push({
        path: `${at}/byteLength`,
        rule: 'image-length',
        message: `the ${record} holds ${image.data.length} bytes, not ${entry.byteLength}`,
      });
    const got = toHex(await crypto.sha256(image.data)).toLowerCase();
    if (got !== entry.sha256)
      problems.push({ path: `${at}/sha256`, rule: 'image-hash', message: `the ${record} hashes to ${got}` });
  }
  for (const image of images.slice(listed.length))
    problems.push({
      path: '/capture/images',
      rule: 'image-unlisted',
      message: `the transaction's Type-${image.recordType} record IDC ${image.idc} (record ${image.recordIndex}) carries an image the manifest does not list`,
    });
  return problems;
}

/** A packet's envelope opened and its signature verified, before its content is read. */
interface OpenedSigned {
  readonly labels: EnvelopeLabels;
  readonly signed: VerifiedSignedData & { readonly officerId: string; readonly environment: string };
}

/** Decrypts, verifies the signature (one of `contentTypes`), the signing time and our signed attributes. */
async function openSigned(
  input: OpenPacketInput,
  ours: Certificate,
  contentTypes: readonly string[],
): Promise<
  | { readonly ok: true; readonly value: OpenedSigned }
  | { readonly ok: false; readonly rejection: PacketRejection; readonly labels?: EnvelopeLabels }
> {
  const envelope = decodeEnvelope(input.packet);
  if (!envelope.ok)
    return { ok: false, rejection: { kind: 'malformed', stage: 'envelope', error: envelope.error } };
  const labels = labelsOf(envelope.value);
  const failed = (rejection: PacketRejection) => ({ ok: false as const, rejection, labels });

  const plaintext = await decrypt(envelope.value, input.decryptor, ours, input.crypto);
  if (!plaintext.ok) return failed(plaintext.rejection);
  const verified = await verifySignedData(plaintext.value, contentTypes, input.trustAnchors, input.crypto);
  if (!verified.ok) return failed(verified.rejection);
  const signed = verified.value;
  if (signed.signingTime > input.now + PACKET_LIMITS.clockSkewMs)
    return failed({
      kind: 'signed-in-future',
      signingTime: signed.signingTime,
      now: input.now,
      allowanceMs: PACKET_LIMITS.clockSkewMs,
    });
  const { officerId, environment } = signed;
  if (officerId === undefined || environment === undefined)
    return failed({ kind: 'content-mismatch', problem: 'signed-attributes-incomplete' });
  return { ok: true, value: { labels, signed: { ...signed, officerId, environment } } };
}

async function openChecked(input: OpenPacketInput, ours: Certificate): Promise<OpenPacketResult> {
  const opened = await openSigned(input, ours, [PACKET_OID.enrollmentPacket]);
  if (!opened.ok) return opened;
  return checkEnrollment(input, opened.value);
}

async function checkEnrollment(input: OpenPacketInput, opened: OpenedSigned): Promise<OpenPacketResult> {
  const { labels, signed } = opened;
  const failed = (rejection: PacketRejection): OpenPacketResult => ({ ok: false, rejection, labels });
  const parts = decodePacketContent(signed.eContent);
  if (!parts.ok) return failed({ kind: 'malformed', stage: 'content', error: parts.error });
  const manifestResult = decodeManifest(parts.value.manifest);
  if (!manifestResult.ok) return failed({ kind: 'schema-violation', problems: manifestResult.problems });
  const manifest = manifestResult.manifest;

  const labelChecks: [string, string, string | undefined][] = [
    ['officerId (signed attribute)', manifest.officerId, signed.officerId],
    ['environment (signed attribute)', manifest.environment, signed.environment],
    ['packetId (label)', manifest.packetId, labels.packetId],
    ['enrollmentSessionId (label)', manifest.enrollmentSessionId, labels.enrollmentSessionId],
    ['environment (label)', manifest.environment, labels.environment],
  ];
  for (const [field, expected, label] of labelChecks)
    if (expected !== label) return failed({ kind: 'label-mismatch', field, manifest: expected, label });

  const problems: ManifestProblem[] = [];
  const transactionHash = toHex(await input.crypto.sha256(parts.value.transaction)).toLowerCase();
  if (transactionHash !== manifest.transactionSha256)
    problems.push({
      path: '/transactionSha256',
      rule: 'hash',
      message: `the transaction hashes to ${transactionHash}`,
    });
  const portraitHash = toHex(await input.crypto.sha256(parts.value.portrait)).toLowerCase();
  if (portraitHash !== manifest.portraitSha256)
    problems.push({
      path: '/portraitSha256',
      rule: 'hash',
      message: `the portrait hashes to ${portraitHash}`,
    });
  if (problems.length > 0) return failed({ kind: 'image-mismatch', problems });
  const images = (input.extractImages ?? readTransactionImages)(parts.value.transaction);
  if (!images.ok) return failed({ kind: 'transaction-invalid', error: images.error });
  problems.push(...(await checkImages(manifest, images.value, input.crypto)));
  if (problems.length > 0) return failed({ kind: 'image-mismatch', problems });
  return {
    ok: true,
    packet: {
      manifest,
      manifestBytes: parts.value.manifest,
      transaction: parts.value.transaction,
      portrait: parts.value.portrait,
      labels,
      signer: signed.signer,
      signingTime: signed.signingTime,
      imagesChecked: true,
    },
  };
}

/**
 * Decrypts, verifies and validates one packet. Resolves a result for every input: the packet, or
 * the first reason it is refused (with the unencrypted labels when the envelope decoded).
 * A crypto implementation that rejects with a typed error (one with a `code`, such as an algorithm
 * it lacks) gives `unsupported-algorithm`; anything else the libraries throw on odd input gives
 * `malformed`.
 * @throws {TypeError} when the decryptor's own certificate does not decode (a setup error).
 */
export async function openPacket(input: OpenPacketInput): Promise<OpenPacketResult> {
  let ours: Certificate;
  try {
    ours = decryptorCertificates.get(input.decryptor.certificate, (der) =>
      AsnConvert.parse(der, Certificate),
    );
  } catch (error) {
    throw new TypeError(`the decryptor's certificate does not decode: ${errorText(error)}`);
  }
  try {
    return await openChecked(input, ours);
  } catch (error) {
    if (typeof (error as { code?: unknown } | null)?.code === 'string')
      return { ok: false, rejection: { kind: 'unsupported-algorithm', detail: errorText(error) } };
    return {
      ok: false,
      rejection: {
        kind: 'malformed',
        stage: 'envelope',
        error: { reason: 'invalid-value', offset: 0, detail: errorText(error) },
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Any packet type: an enrollment or an e-ID level-2 application (eid.ts)

/** An e-ID application as opened: its manifest, the live portrait and EF.SOD, who signed and when. */
export interface OpenedEidApplication {
  readonly manifest: EidApplicationManifest;
  readonly manifestBytes: Uint8Array;
  readonly livePortrait: Uint8Array;
  readonly sod: Uint8Array;
  readonly labels: EnvelopeLabels;
  readonly signer: VerifiedSignedData['signer'];
  /** ms since the Unix epoch. */
  readonly signingTime: number;
}

export type OpenAnyPacketResult =
  | { readonly ok: true; readonly type: 'enrollment'; readonly packet: OpenedPacket }
  | { readonly ok: true; readonly type: typeof EID_MANIFEST_TYPE; readonly application: OpenedEidApplication }
  | { readonly ok: false; readonly rejection: PacketRejection; readonly labels?: EnvelopeLabels };

async function checkEid(input: OpenPacketInput, opened: OpenedSigned): Promise<OpenAnyPacketResult> {
  const { labels, signed } = opened;
  const failed = (rejection: PacketRejection): OpenAnyPacketResult => ({ ok: false, rejection, labels });
  const parts = decodeEidContent(signed.eContent);
  if (!parts.ok) return failed({ kind: 'malformed', stage: 'content', error: parts.error });
  const decoded = decodeEidManifest(parts.value.manifest);
  if (!decoded.ok) return failed({ kind: 'schema-violation', problems: decoded.problems });
  const manifest = decoded.manifest;
  const labelChecks: [string, string, string | undefined][] = [
    ['officerId (signed attribute)', manifest.officerId, signed.officerId],
    ['environment (signed attribute)', manifest.environment, signed.environment],
    ['packetId (label)', manifest.packetId, labels.packetId],
    ['registrationSessionId (label)', manifest.registrationSessionId, labels.enrollmentSessionId],
    ['environment (label)', manifest.environment, labels.environment],
  ];
  for (const [field, expected, label] of labelChecks)
    if (expected !== label) return failed({ kind: 'label-mismatch', field, manifest: expected, label });
  const problems = await eidPartProblems(manifest, parts.value, input.crypto);
  if (problems.length > 0) return failed({ kind: 'image-mismatch', problems });
  return {
    ok: true,
    type: EID_MANIFEST_TYPE,
    application: {
      manifest,
      manifestBytes: parts.value.manifest,
      livePortrait: parts.value.livePortrait,
      sod: parts.value.sod,
      labels,
      signer: signed.signer,
      signingTime: signed.signingTime,
    },
  };
}

/**
 * Opens a packet of any type central takes: an enrollment (as openPacket) or an e-ID level-2
 * application (its manifest, the live portrait's and EF.SOD's hashes, the same labels and signed
 * attributes). Resolves a result for every input, as openPacket does.
 * @throws {TypeError} when the decryptor's own certificate does not decode (a setup error).
 */
export async function openAnyPacket(input: OpenPacketInput): Promise<OpenAnyPacketResult> {
  let ours: Certificate;
  try {
    ours = decryptorCertificates.get(input.decryptor.certificate, (der) =>
      AsnConvert.parse(der, Certificate),
    );
  } catch (error) {
    throw new TypeError(`the decryptor's certificate does not decode: ${errorText(error)}`);
  }
  try {
    const opened = await openSigned(input, ours, [PACKET_OID.enrollmentPacket, PACKET_OID.eidApplication]);
    if (!opened.ok) return opened;
    if (opened.value.signed.eContentType === PACKET_OID.eidApplication)
      return await checkEid(input, opened.value);
    const enrollment = await checkEnrollment(input, opened.value);
    return enrollment.ok ? { ok: true, type: 'enrollment', packet: enrollment.packet } : enrollment;
  } catch (error) {
    if (typeof (error as { code?: unknown } | null)?.code === 'string')
      return { ok: false, rejection: { kind: 'unsupported-algorithm', detail: errorText(error) } };
    return {
      ok: false,
      rejection: {
        kind: 'malformed',
        stage: 'envelope',
        error: { reason: 'invalid-value', offset: 0, detail: errorText(error) },
      },
    };
  }
}
