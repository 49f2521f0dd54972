/**
 * EF.SOD, the Document Security Object (ICAO 9303-10 §4.6.2, 9303-12 §4.1, reference §5):
 * `77 L { ContentInfo { signedData, SignedData (RFC 5652 §5) } }` whose encapsulated content
 * (eContentType 2.23.136.1.1.1) is the LDSSecurityObject: the hash of every data group.
 *
 * ASN.1 library: @peculiar/asn1-cms + asn1-x509 + asn1-schema (2.11.1), not pkijs + asn1js.
 * - They are already installed as dependencies of @peculiar/x509 (which simulators/pki uses), with
 *   asn1js 3.1; pkijs 4 would add a second asn1js major (4.0) and is ESM-only (reference/packages.md).
 * - They are declarative schemas with no crypto engine and no global state: verification stays
 *   behind the injected `PaCrypto` (pa.ts), and nothing here touches WebCrypto, Buffer or node:*.
 *   pkijs's SignedData.verify runs its own WebCrypto engine and chain logic (its `checkChain`
 *   rejects a self-signed trust anchor used as an end entity, packages.md §3), which we would
 *   have to bypass anyway.
 * - Gotchas handled here: AsnConvert.parse throws on malformed input (every call is caught and
 *   mapped to a DecodeResult); it does not keep the original bytes of a repeated field such as
 *   signedAttrs, and re-encoding a parsed Name or SubjectPublicKeyInfo need not reproduce the
 *   signed bytes. So the raw slices that signatures and comparisons need (signedAttrs,
 *   tbsCertificate, issuer, subject, SubjectPublicKeyInfo, each certificate) are taken from our own
 *   bounded BER-TLV tree (iso7816/tlv.ts), which also bounds depth and object count before the
 *   library sees the bytes. Indefinite lengths (BER, not DER) are therefore `unsupported`.
 */
import { SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_subjectKeyIdentifier,
  type Name,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { equalBytes, toHex } from '../bytes.ts';
import { concatBytes, encodeTlv, parseTree, readTlv, readTlvs, type TlvNode } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import { type DataGroupNumber, EF_SOD, isDataGroupNumber } from './lds/files.ts';

/** Object identifiers used by EF.SOD, master lists and their signatures. */
export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  /** id-icao-mrtd-security-ldsSecurityObject (9303-10 §4.6.2.1). */
  ldsSecurityObject: '2.23.136.1.1.1',
  /** id-data: some issuers (e.g. CN) label the LDSSecurityObject with it instead. */
  data: '1.2.840.113549.1.7.1',
  /** id-icao-cscaMasterList (9303-12 §8). */
  cscaMasterList: '2.23.136.1.1.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha224WithRSA: '1.2.840.113549.1.1.14',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha224: '1.2.840.10045.4.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  /** BSI TR-03111 ecdsa-plain-SHAxxx: signatures as r‖s, not DER. Prefix; the last arc picks the hash. */
  ecdsaPlainPrefix: '0.4.0.127.0.7.1.1.4.1',
} as const;

export type HashAlgorithm = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Digest length of each hash, bytes. */
export const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

const HASH_BY_OID: ReadonlyMap<string, HashAlgorithm> = new Map([
  [OID.sha1, 'sha1'],
  [OID.sha224, 'sha224'],
  [OID.sha256, 'sha256'],
  [OID.sha384, 'sha384'],
  [OID.sha512, 'sha512'],
]);

/** The hash an AlgorithmIdentifier's OID names, or undefined for one we do not know. */
export function hashAlgorithmFromOid(oid: string): HashAlgorithm | undefined {
  return HASH_BY_OID.get(oid);
}

/** The OID of a hash algorithm. */
export function hashAlgorithmOid(hash: HashAlgorithm): string {
  return OID[hash];
}

export interface AlgorithmId {
  readonly oid: string;
  /** DER of the parameters when present (NULL included). */
  readonly parameters?: Uint8Array;
}

/** Bounds for the SOD and what it holds. */
export const SOD_LIMITS = {
  /** Largest EF.SOD accepted, bytes. Real ones are 1.5–8 KB. */
  maxLength: 64 * 1024,
  /** Deepest DER nesting followed. */
  maxDepth: 32,
  maxNodes: 8000,
  maxCertificates: 8,
  maxSignerInfos: 4,
  maxCertificateLength: 16 * 1024,
} as const;

// ---------------------------------------------------------------------------------------------
// Small DER helpers (X.690 §8.19 object identifiers, §8.3 integers)

/** Dotted text of an OBJECT IDENTIFIER's value bytes, or undefined when malformed. */
export function decodeOidValue(value: Uint8Array): string | undefined {
  if (value.length === 0 || value.length > 64) return undefined;
  const arcs: number[] = [];
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i] ?? 0;
    if (n === 0 && b === 0x80) return undefined; // non-minimal
    n = n * 128 + (b & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = n < 40 ? 0 : n < 80 ? 1 : 2;
        arcs.push(first, n - first * 40);
      } else arcs.push(n);
      n = 0;
    } else if (i === value.length - 1) return undefined;
  }
  return arcs.join('.');
}

/** DER OBJECT IDENTIFIER (tag 06) for dotted text. @throws {RangeError} for a malformed OID. */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined || arcs.some((x) => !Number.isSafeInteger(x) || x < 0) || a > 2)
    throw new RangeError(`'${dotted}' is not an OID`);
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const group: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v & 0x7f) | 0x80);
    out.push(...group);
  }
  return encodeTlv(0x06, Uint8Array.from(out));
}

/** DER INTEGER (tag 02) for a non-negative safe integer. @throws {RangeError} otherwise. */
export function encodeDerInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${value} is not a non-negative integer`);
  const bytes: number[] = [];
  for (let v = value; ; v = Math.floor(v / 256)) {
    bytes.unshift(v & 0xff);
    if (v < 256) break;
  }
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return encodeTlv(0x02, Uint8Array.from(bytes));
}

/** A small non-negative INTEGER's value, or undefined if negative, non-minimal or above 2^31. */
function smallInteger(value: Uint8Array): number | undefined {
  if (value.length === 0 || value.length > 4) return undefined;
  if (((value[0] ?? 0) & 0x80) !== 0) return undefined;
  if (value.length > 1 && value[0] === 0 && ((value[1] ?? 0) & 0x80) === 0) return undefined;
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

/** An INTEGER's magnitude without leading zero bytes (for comparing serial numbers). */
export function integerMagnitude(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return value.subarray(i);
}

function bytesOf(buffer: ArrayBuffer | ArrayBufferView): Uint8Array {
  return buffer instanceof ArrayBuffer
    ? new Uint8Array(buffer)
    : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function raw(buffer: Uint8Array, node: TlvNode): Uint8Array {
  return buffer.subarray(node.offset, node.offset + node.totalLength);
}

function algorithmFromNode(buffer: Uint8Array, node: TlvNode | undefined): AlgorithmId | undefined {
  if (node?.tag !== 0x30) return undefined;
  const [oidNode, params] = node.children;
  if (oidNode?.tag !== 0x06) return undefined;
  const oid = decodeOidValue(oidNode.value);
  if (oid === undefined) return undefined;
  return params === undefined ? { oid } : { oid, parameters: raw(buffer, params) };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// X.509 certificates (RFC 5280 §4.1)

export interface CertificateInfo {
  /** The certificate's DER. */
  readonly der: Uint8Array;
  /** DER of tbsCertificate: what the issuer signed. */
  readonly tbs: Uint8Array;
  /** DER of the subject and issuer Names, compared byte for byte. */
  readonly subject: Uint8Array;
  readonly issuer: Uint8Array;
  /** e.g. "C=VN, O=..., CN=...", for logs and the officer screen. */
  readonly subjectText: string;
  readonly issuerText: string;
  /** The serial number's INTEGER content bytes. */
  readonly serialNumber: Uint8Array;
  /** Validity, ms since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** DER of SubjectPublicKeyInfo, as signed. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly publicKeyAlgorithm: AlgorithmId;
  readonly signatureAlgorithm: AlgorithmId;
  /** The signature BIT STRING's bits. */
  readonly signature: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly authorityKeyIdentifier?: Uint8Array;
  /** basicConstraints cA, when the extension is present. */
  readonly isCa?: boolean;
}

const NAME_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
]);

/** "C=VN, O=..., CN=..." in encoding order. */
export function nameText(name: Name): string {
  const parts: string[] = [];
  for (const rdn of name)
    for (const atv of rdn) parts.push(`${NAME_ATTRIBUTES.get(atv.type) ?? atv.type}=${atv.value.toString()}`);
  return parts.join(', ');
}

/**
 * Decodes one X.509 certificate. Errors: `too-large` beyond 16 KiB or the DER bounds,
 * `truncated`/`unsupported` from the DER walk, `invalid-value` when it is not a certificate,
 * `trailing-data` after it.
 */
export function decodeCertificate(der: Uint8Array): DecodeResult<CertificateInfo> {
  if (der.length > SOD_LIMITS.maxCertificateLength)
    return fail(
      'too-large',
      0,
      `certificate of ${der.length} bytes; at most ${SOD_LIMITS.maxCertificateLength}`,
    );
  const tree = parseTree(der, { maxDepth: SOD_LIMITS.maxDepth, maxNodes: SOD_LIMITS.maxNodes });
  if (!tree.ok) return tree;
  const [root, extra] = tree.value;
  if (root?.tag !== 0x30) return fail('invalid-value', 0, 'a certificate is a SEQUENCE');
  if (extra !== undefined) return fail('trailing-data', extra.offset, 'bytes after the certificate');
  const [tbsNode, sigAlgNode] = root.children;
  if (tbsNode?.tag !== 0x30) return fail('invalid-value', root.offset, 'tbsCertificate missing');
  const k = tbsNode.children[0]?.tag === 0xa0 ? 1 : 0;
  const issuerNode = tbsNode.children[k + 2];
  const subjectNode = tbsNode.children[k + 4];
  const spkiNode = tbsNode.children[k + 5];
  if (issuerNode?.tag !== 0x30 || subjectNode?.tag !== 0x30 || spkiNode?.tag !== 0x30)
    return fail('invalid-value', tbsNode.offset, 'tbsCertificate lacks issuer, subject or public key');
  const publicKeyAlgorithm = algorithmFromNode(der, spkiNode.children[0]);
  const signatureAlgorithm = algorithmFromNode(der, sigAlgNode);
  if (publicKeyAlgorithm === undefined || signatureAlgorithm === undefined)
    return fail('invalid-value', tbsNode.offset, 'malformed algorithm identifier');

  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (error) {
    return fail('invalid-value', 0, `certificate does not decode: ${message(error)}`);
  }
  try {
    const tbs = cert.tbsCertificate;
    let subjectKeyIdentifier: Uint8Array | undefined;
    let authorityKeyIdentifier: Uint8Array | undefined;
    let isCa: boolean | undefined;
    for (const ext of tbs.extensions ?? []) {
      const value = ext.extnValue.buffer;
      if (ext.extnID === id_ce_subjectKeyIdentifier)
        subjectKeyIdentifier = bytesOf(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
      else if (ext.extnID === id_ce_authorityKeyIdentifier) {
        const aki = AsnConvert.parse(value, AuthorityKeyIdentifier);
        if (aki.keyIdentifier) authorityKeyIdentifier = bytesOf(aki.keyIdentifier.buffer);
      } else if (ext.extnID === id_ce_basicConstraints) isCa = AsnConvert.parse(value, BasicConstraints).cA;
    }
    return ok({
      der,
      tbs: raw(der, tbsNode),
      subject: raw(der, subjectNode),
      issuer: raw(der, issuerNode),
      subjectText: nameText(tbs.subject),
      issuerText: nameText(tbs.issuer),
      serialNumber: bytesOf(tbs.serialNumber),
      notBefore: tbs.validity.notBefore.getTime().getTime(),
      notAfter: tbs.validity.notAfter.getTime().getTime(),
      subjectPublicKeyInfo: raw(der, spkiNode),
      publicKeyAlgorithm,
      signatureAlgorithm,
      signature: bytesOf(cert.signatureValue),
      ...(subjectKeyIdentifier ? { subjectKeyIdentifier } : {}),
      ...(authorityKeyIdentifier ? { authorityKeyIdentifier } : {}),
      ...(isCa === undefined ? {} : { isCa }),
    });
  } catch (error) {
    return fail('invalid-value', 0, `certificate field does not decode: ${message(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// CMS SignedData (RFC 5652 §5)

export type SignerIdentifier =
  | { readonly kind: 'issuer-and-serial'; readonly issuer: Uint8Array; readonly serialNumber: Uint8Array }
  | { readonly kind: 'subject-key-identifier'; readonly keyIdentifier: Uint8Array };

export interface SignedAttributes {
  /** DER of the attributes as a SET (tag 31): the bytes the signature covers (RFC 5652 §5.4). */
  readonly der: Uint8Array;
  /** The contentType attribute, when present exactly once. */
  readonly contentType?: string;
  /** The messageDigest attribute, when present exactly once. */
  readonly messageDigest?: Uint8Array;
  /** Attribute types in order, for diagnostics. */
  readonly types: readonly string[];
}

export interface SignerInfoData {
  readonly version: number;
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: AlgorithmId;
  readonly signedAttributes?: SignedAttributes;
  readonly signatureAlgorithm: AlgorithmId;
  readonly signature: Uint8Array;
}

export interface SignedDataContent {
  readonly version: number;
  readonly digestAlgorithms: readonly AlgorithmId[];
  readonly eContentType: string;
  /** The encapsulated content's octets (what messageDigest covers). */
  readonly eContent: Uint8Array;
  readonly certificates: readonly CertificateInfo[];
  readonly signerInfos: readonly SignerInfoData[];
}

function rebase<T>(result: DecodeResult<T>, base: number): DecodeResult<T> {
  return result.ok ? result : fail(result.error.reason, base + result.error.offset, result.error.detail);
}

function signerFromTree(buffer: Uint8Array, node: TlvNode, parsed: SignerInfo): DecodeResult<SignerInfoData> {
  const children = node.children;
  const sidNode = children[1];
  let sid: SignerIdentifier;
  if (sidNode?.tag === 0x30) {
    const [issuer, serial] = sidNode.children;
    if (issuer?.tag !== 0x30 || serial?.tag !== 0x02)
      return fail('invalid-value', sidNode.offset, 'issuerAndSerialNumber malformed');
    sid = { kind: 'issuer-and-serial', issuer: raw(buffer, issuer), serialNumber: serial.value };
  } else if (sidNode?.tag === 0x80) sid = { kind: 'subject-key-identifier', keyIdentifier: sidNode.value };
  else return fail('invalid-value', node.offset, 'signer identifier malformed');
  const digestAlgorithm = algorithmFromNode(buffer, children[2]);
  const attrsNode = children[3]?.tag === 0xa0 ? children[3] : undefined;
  const signatureAlgorithm = algorithmFromNode(buffer, children[attrsNode ? 4 : 3]);
  if (digestAlgorithm === undefined || signatureAlgorithm === undefined)
    return fail('invalid-value', node.offset, 'signer info algorithm identifier malformed');

  let signedAttributes: SignedAttributes | undefined;
  if (attrsNode) {
    // RFC 5652 §5.4: the signature covers the DER of SET OF Attribute, i.e. [0] re-tagged as 31.
    const der = concatBytes(Uint8Array.of(0x31), raw(buffer, attrsNode).subarray(1));
    const types: string[] = [];
    let contentType: string | undefined;
    let messageDigest: Uint8Array | undefined;
    const seen = new Map<string, number>();
    for (const attr of parsed.signedAttrs ?? []) {
      types.push(attr.attrType);
      seen.set(attr.attrType, (seen.get(attr.attrType) ?? 0) + 1);
      const first = attr.attrValues[0];
      if (attr.attrValues.length !== 1 || first === undefined) continue;
      const value = readTlv(bytesOf(first));
      if (!value.ok) continue;
      if (attr.attrType === OID.contentType && value.value.tag === 0x06)
        contentType = decodeOidValue(value.value.value);
      if (attr.attrType === OID.messageDigest && value.value.tag === 0x04) messageDigest = value.value.value;
    }
    // Each of these must occur once (RFC 5652 §11.1, §11.2); a duplicate is treated as absent.
    if ((seen.get(OID.contentType) ?? 0) !== 1) contentType = undefined;
    if ((seen.get(OID.messageDigest) ?? 0) !== 1) messageDigest = undefined;
    signedAttributes = {
      der,
      types,
      ...(contentType ? { contentType } : {}),
      ...(messageDigest ? { messageDigest } : {}),
    };
  }
  return ok({
    version: parsed.version,
    sid,
    digestAlgorithm,
    ...(signedAttributes ? { signedAttributes } : {}),
    signatureAlgorithm,
    signature: bytesOf(parsed.signature.buffer),
  });
}

/**
 * Decodes a CMS ContentInfo holding SignedData. `expectedContentTypes` are the eContentTypes the
 * caller needs (2.23.136.1.1.1 for EF.SOD, 2.23.136.1.1.2 for a master list).
 * Errors: `too-large` past SOD_LIMITS, `truncated`/`unsupported` from the DER walk,
 * `invalid-value` for anything that is not SignedData with that content, detached content, no
 * signer, or a malformed certificate; `trailing-data` after the ContentInfo.
 */
export function decodeSignedData(
  contentInfo: Uint8Array,
  expectedContentTypes: readonly string[],
  maxLength: number = SOD_LIMITS.maxLength,
): DecodeResult<SignedDataContent> {
  if (contentInfo.length > maxLength)
    return fail('too-large', 0, `${contentInfo.length} bytes; at most ${maxLength}`);
  const tree = parseTree(contentInfo, {
    maxDepth: SOD_LIMITS.maxDepth,
    maxNodes: SOD_LIMITS.maxNodes,
    maxLength,
  });
  if (!tree.ok) return tree;
  const [root, extra] = tree.value;
  if (root?.tag !== 0x30) return fail('invalid-value', 0, 'ContentInfo is a SEQUENCE');
  if (extra !== undefined) return fail('trailing-data', extra.offset, 'bytes after the ContentInfo');
  const sdNode = root.children[1]?.children[0];
  if (root.children[1]?.tag !== 0xa0 || sdNode?.tag !== 0x30 || root.children[1].children.length !== 1)
    return fail('invalid-value', root.offset, 'ContentInfo has no [0] content');
  // SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET, encapContentInfo SEQUENCE,
  //   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
  // Walked here by its DER layout; only each SignerInfo goes through the ASN.1 library, so a
  // large eContent (a packet's ~1 MB) is read as a view, never copied or re-parsed.
  const contentType = root.children[0]?.tag === 0x06 ? decodeOidValue(root.children[0].value) : undefined;
  if (contentType === undefined || root.children.length !== 2)
    return fail('invalid-value', root.offset, 'ContentInfo is { contentType, [0] content }');
  if (contentType !== OID.signedData)
    return fail('invalid-value', 0, `content type ${contentType} is not signedData`);
  const [versionNode, digestsNode, encapNode, ...tail] = sdNode.children;
  const version = versionNode?.tag === 0x02 ? smallInteger(versionNode.value) : undefined;
  if (version === undefined) return fail('invalid-value', sdNode.offset, 'SignedData has no version');
  if (digestsNode?.tag !== 0x31)
    return fail('invalid-value', sdNode.offset, 'SignedData has no digestAlgorithms SET');
  if (encapNode?.tag !== 0x30)
    return fail('invalid-value', sdNode.offset, 'SignedData has no encapContentInfo');
  const signersNode = tail.pop();
  const certsNode = tail[0]?.tag === 0xa0 ? tail.shift() : undefined;
  if (tail[0]?.tag === 0xa1) tail.shift(); // crls: not used by this reader
  if (tail.length > 0)
    return fail('invalid-value', tail[0]?.offset ?? 0, 'SignedData has unexpected elements');
  if (signersNode?.tag !== 0x31)
    return fail('invalid-value', sdNode.offset, 'SignedData has no signerInfos SET');
  if (signersNode.children.length === 0)
    return fail('invalid-value', signersNode.offset, 'SignedData has no signer');
  if (signersNode.children.length > SOD_LIMITS.maxSignerInfos)
    return fail('too-large', signersNode.offset, `${signersNode.children.length} signers`);

  const [eTypeNode, eWrapper, encapMore] = encapNode.children;
  const eContentType = eTypeNode?.tag === 0x06 ? decodeOidValue(eTypeNode.value) : undefined;
  if (eContentType === undefined || encapMore !== undefined)
    return fail('invalid-value', encapNode.offset, 'encapContentInfo is { eContentType, [0] eContent }');
  if (!expectedContentTypes.includes(eContentType))
    return fail(
      'invalid-value',
      sdNode.offset,
      `eContentType ${eContentType}, expected ${expectedContentTypes.join(' or ')}`,
    );
  const [eNode, eExtra] = eWrapper?.children ?? [];
  if (eWrapper?.tag !== 0xa0 || eNode === undefined || eExtra !== undefined)
    return fail('invalid-value', sdNode.offset, 'encapsulated content is absent (detached)');
  let eContent: Uint8Array;
  if (eNode.tag === 0x04) eContent = eNode.value;
  else if (eNode.tag === 0x24 && eNode.children.every((c) => c.tag === 0x04))
    eContent = concatBytes(...eNode.children.map((c) => c.value)); // BER segments, in order
  else return fail('invalid-value', eNode.offset, 'encapsulated content is not an OCTET STRING');

  const digestAlgorithms: AlgorithmId[] = [];
  for (const node of digestsNode.children) {
    const algorithm = algorithmFromNode(contentInfo, node);
    if (algorithm === undefined) return fail('invalid-value', node.offset, 'digest algorithm malformed');
    digestAlgorithms.push(algorithm);
  }
  const certificates: CertificateInfo[] = [];
  const certNodes = (certsNode?.children ?? []).filter((c) => c.tag === 0x30);
  if (certNodes.length > SOD_LIMITS.maxCertificates)
    return fail('too-large', certsNode?.offset ?? 0, `${certNodes.length} certificates`);
  for (const node of certNodes) {
    const cert = decodeCertificate(raw(contentInfo, node));
    if (!cert.ok) return rebase(cert, node.offset);
    certificates.push(cert.value);
  }
  const signerInfos: SignerInfoData[] = [];
  for (const node of signersNode.children) {
    let parsed: SignerInfo;
    try {
      parsed = AsnConvert.parse(raw(contentInfo, node), SignerInfo);
    } catch (error) {
      return fail('invalid-value', node.offset, `SignerInfo does not decode: ${message(error)}`);
    }
    const signer = signerFromTree(contentInfo, node, parsed);
    if (!signer.ok) return signer;
    signerInfos.push(signer.value);
  }
  return ok({
    version,
    digestAlgorithms,
    eContentType,
    eContent,
    certificates,
    signerInfos,
  });
}

// ---------------------------------------------------------------------------------------------
// LDSSecurityObject (9303-10 §4.6.2.2)

/**
 * ```
 * LDSSecurityObject ::= SEQUENCE {
 *   version                 INTEGER (0 | 1),
 *   hashAlgorithm           AlgorithmIdentifier,
 *   dataGroupHashValues     SEQUENCE SIZE (2..16) OF SEQUENCE {
 *                             dataGroupNumber INTEGER, dataGroupHashValue OCTET STRING },
 *   ldsVersionInfo          LDSVersionInfo OPTIONAL }  -- present iff version 1
 * LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
 * ```
 */
export interface LdsSecurityObject {
  readonly version: number;
  readonly hashAlgorithm: AlgorithmId;
  /** Known hash, or undefined for an OID we do not implement. */
  readonly hash?: HashAlgorithm;
  readonly dataGroupHashes: ReadonlyMap<DataGroupNumber, Uint8Array>;
  readonly ldsVersionInfo?: { readonly ldsVersion: string; readonly unicodeVersion: string };
}

function printable(value: Uint8Array): string | undefined {
  let out = '';
  for (const b of value) {
    if (b < 0x20 || b > 0x7e) return undefined;
    out += String.fromCharCode(b);
  }
  return out;
}

/**
 * Decodes the LDSSecurityObject (the SOD's eContent). Errors (offsets into `bytes`):
 * `invalid-value` for a wrong structure, a version other than 0 or 1, a data group number outside
 * 1–16 or repeated, or a hash whose length is not the algorithm's; `too-large`; `truncated`;
 * `trailing-data`.
 */
export function decodeLdsSecurityObject(bytes: Uint8Array): DecodeResult<LdsSecurityObject> {
  const tree = parseTree(bytes, { maxDepth: 8, maxNodes: 200, maxLength: 8192 });
  if (!tree.ok) return tree;
  const [root, extra] = tree.value;
  if (root?.tag !== 0x30) return fail('invalid-value', 0, 'LDSSecurityObject is a SEQUENCE');
  if (extra !== undefined) return fail('trailing-data', extra.offset, 'bytes after the LDSSecurityObject');
  const [versionNode, algNode, hashesNode, versionInfoNode, more] = root.children;
  if (more !== undefined) return fail('invalid-value', more.offset, 'unexpected element');
  const version = versionNode?.tag === 0x02 ? smallInteger(versionNode.value) : undefined;
  if (version !== 0 && version !== 1)
    return fail('invalid-value', versionNode?.offset ?? 0, 'version is not 0 or 1');
  const hashAlgorithm = algorithmFromNode(bytes, algNode);
  if (hashAlgorithm === undefined)
    return fail('invalid-value', algNode?.offset ?? 0, 'hashAlgorithm malformed');
  const hash = hashAlgorithmFromOid(hashAlgorithm.oid);
  if (hashesNode?.tag !== 0x30) return fail('invalid-value', root.offset, 'dataGroupHashValues missing');
  if (hashesNode.children.length > 16)
    return fail('too-large', hashesNode.offset, 'more than 16 data group hashes');
  const dataGroupHashes = new Map<DataGroupNumber, Uint8Array>();
  for (const entry of hashesNode.children) {
    const [numberNode, valueNode] = entry.children;
    const dg = numberNode?.tag === 0x02 ? smallInteger(numberNode.value) : undefined;
    if (entry.tag !== 0x30 || dg === undefined || !isDataGroupNumber(dg) || valueNode?.tag !== 0x04)
      return fail('invalid-value', entry.offset, 'DataGroupHash is SEQUENCE { INTEGER 1..16, OCTET STRING }');
    if (entry.children.length !== 2)
      return fail('invalid-value', entry.offset, 'DataGroupHash has extra elements');
    if (dataGroupHashes.has(dg)) return fail('invalid-value', entry.offset, `DG${dg} hashed twice`);
    if (hash !== undefined && valueNode.value.length !== HASH_LENGTH[hash])
      return fail(
        'invalid-value',
        valueNode.offset,
        `DG${dg} hash is ${valueNode.value.length} bytes, not ${HASH_LENGTH[hash]}`,
      );
    dataGroupHashes.set(dg, valueNode.value);
  }
  let ldsVersionInfo: LdsSecurityObject['ldsVersionInfo'];
  if (versionInfoNode !== undefined) {
    const [lds, unicode] = versionInfoNode.children;
    const ldsVersion = lds?.tag === 0x13 ? printable(lds.value) : undefined;
    const unicodeVersion = unicode?.tag === 0x13 ? printable(unicode.value) : undefined;
    if (versionInfoNode.tag !== 0x30 || ldsVersion === undefined || unicodeVersion === undefined)
      return fail('invalid-value', versionInfoNode.offset, 'LDSVersionInfo malformed');
    ldsVersionInfo = { ldsVersion, unicodeVersion };
  }
  return ok({
    version,
    hashAlgorithm,
    ...(hash ? { hash } : {}),
    dataGroupHashes,
    ...(ldsVersionInfo ? { ldsVersionInfo } : {}),
  });
}

/**
 * DER of an LDSSecurityObject: version 1 when `ldsVersionInfo` is given, else 0; hashes in
 * ascending data group order; hash parameters omitted (9303-10 §4.6.2.2 allows either).
 * @throws {RangeError} for a hash whose length is not the algorithm's.
 */
export function encodeLdsSecurityObject(lso: {
  readonly hash: HashAlgorithm;
  readonly dataGroupHashes: ReadonlyMap<DataGroupNumber, Uint8Array>;
  readonly ldsVersionInfo?: { readonly ldsVersion: string; readonly unicodeVersion: string };
}): Uint8Array {
  const entries = [...lso.dataGroupHashes.entries()].sort((a, b) => a[0] - b[0]);
  const hashes = entries.map(([dg, value]) => {
    if (value.length !== HASH_LENGTH[lso.hash])
      throw new RangeError(`DG${dg} hash of ${value.length} bytes is not ${lso.hash}`);
    return encodeTlv(0x30, encodeDerInteger(dg), encodeTlv(0x04, value));
  });
  const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const info = lso.ldsVersionInfo;
  return encodeTlv(
    0x30,
    encodeDerInteger(info ? 1 : 0),
    encodeTlv(0x30, encodeOid(hashAlgorithmOid(lso.hash))),
    encodeTlv(0x30, ...hashes),
    info
      ? encodeTlv(0x30, encodeTlv(0x13, ascii(info.ldsVersion)), encodeTlv(0x13, ascii(info.unicodeVersion)))
      : new Uint8Array(0),
  );
}

// ---------------------------------------------------------------------------------------------
// EF.SOD

export interface Sod {
  /** The whole file (77 …). */
  readonly bytes: Uint8Array;
  /** The ContentInfo inside tag 77. */
  readonly contentInfo: Uint8Array;
  readonly signedData: SignedDataContent;
  readonly ldsSecurityObject: LdsSecurityObject;
}

/**
 * Decodes the whole EF.SOD file. Never throws. Errors (offsets into `bytes`): `truncated`,
 * `too-large` (64 KiB and the DER bounds), `unsupported` (indefinite lengths), `invalid-value`
 * (not tag 77, not SignedData over an LDSSecurityObject, malformed certificate or signer),
 * `trailing-data`. Pass any error to Passive Authentication as "document data damaged".
 */
export function decodeSod(bytes: Uint8Array): DecodeResult<Sod> {
  const outer = readTlv(bytes, 0, { maxLength: SOD_LIMITS.maxLength });
  if (!outer.ok) return outer;
  if (outer.value.tag !== EF_SOD.tag)
    return fail('invalid-value', 0, `EF.SOD starts with tag 77, not ${outer.value.tag.toString(16)}`);
  if (outer.value.totalLength !== bytes.length)
    return fail('trailing-data', outer.value.totalLength, 'bytes after the EF.SOD object');
  const base = outer.value.headerLength;
  const contentInfo = outer.value.value;
  // 9303-10 §4.6.2 names id-icao-mrtd-security-ldsSecurityObject; id-data is accepted as issued in the field.
  const signedData = decodeSignedData(contentInfo, [OID.ldsSecurityObject, OID.data]);
  if (!signedData.ok) return rebase(signedData, base);
  const lso = decodeLdsSecurityObject(signedData.value.eContent);
  if (!lso.ok)
    return fail(lso.error.reason, base, `LDSSecurityObject: ${lso.error.detail} (at ${lso.error.offset})`);
  return ok({ bytes, contentInfo, signedData: signedData.value, ldsSecurityObject: lso.value });
}

/** EF.SOD file bytes around a DER ContentInfo. */
export function encodeSodFile(contentInfo: Uint8Array): Uint8Array {
  return encodeTlv(EF_SOD.tag, contentInfo);
}

/** The signer's certificate among `certificates`, matched by issuer+serial or key identifier. */
export function findSignerCertificate(
  sid: SignerIdentifier,
  certificates: readonly CertificateInfo[],
): CertificateInfo | undefined {
  return certificates.find((c) =>
    sid.kind === 'issuer-and-serial'
      ? equalBytes(c.issuer, sid.issuer) &&
        equalBytes(integerMagnitude(c.serialNumber), integerMagnitude(sid.serialNumber))
      : c.subjectKeyIdentifier !== undefined && equalBytes(c.subjectKeyIdentifier, sid.keyIdentifier),
  );
}

/** Serial number as upper-case hex without leading zero bytes. */
export function serialHex(serialNumber: Uint8Array): string {
  return toHex(integerMagnitude(serialNumber));
}

/** Reads consecutive DER objects (e.g. the certificates of a master list's SET OF). */
export function splitDer(bytes: Uint8Array): DecodeResult<Uint8Array[]> {
  const list = readTlvs(bytes, { maxNodes: 4096, maxLength: SOD_LIMITS.maxCertificateLength });
  if (!list.ok) return list;
  return ok(list.value.map((t) => bytes.subarray(t.offset, t.offset + t.totalLength)));
}
