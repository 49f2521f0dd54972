/**
 * SecurityInfos (9303-11 §9.2; BSI TR-03110-3 §A.1): the SET OF SecurityInfo in EF.CardAccess
 * (which PACE the chip offers) and in DG14 (its Chip Authentication key and, for ECDSA, the Active
 * Authentication signature algorithm). Each SecurityInfo is `SEQUENCE { protocol OID, requiredData
 * ANY, optionalData ANY OPTIONAL }`; the ones this station does not use are kept, raw, so a report
 * can show what the chip offers.
 *
 * Decoding never throws. A SecurityInfo that is malformed is skipped and counted, as a chip with one
 * odd entry must still be readable; only input that is not a SET at all fails.
 */

import { concatBytes, encodeTlv, parseTree, type TlvNode } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import { bytesToBigInt, curveByOid, curveFromDomain, decodePoint, type EcCurve, type EcPoint } from './ec.ts';
import { dataGroupTag } from './lds/files.ts';
import type { HashAlgorithm } from './sod.ts';
import { decodeOidValue, encodeDerInteger, encodeOid, hashAlgorithmFromOid, OID } from './sod.ts';

/** bsi-de protocols: 0.4.0.127.0.7.2.2 (TR-03110-3 §A.1.1). */
const BSI = '0.4.0.127.0.7.2.2';
export const SECURITY_OID = {
  /** id-PACE; + mapping (1 DH-GM, 2 ECDH-GM, 3 DH-IM, 4 ECDH-IM, 6 ECDH-CAM) + cipher. */
  pace: `${BSI}.4`,
  /** id-CA; + 1 DH / 2 ECDH + cipher (1 3DES, 2 AES-128, 3 AES-192, 4 AES-256). */
  chipAuthentication: `${BSI}.3`,
  /** id-PK; + 1 DH / 2 ECDH: ChipAuthenticationPublicKeyInfo. */
  publicKey: `${BSI}.1`,
  /** id-TA: Terminal Authentication (EAC), listed but not used here. */
  terminalAuthentication: `${BSI}.2`,
  /** id-icao-mrtd-security-aaProtocolObject (9303-11 §6.1). */
  activeAuthentication: '2.23.136.1.1.5',
  /** id-ecPublicKey (X9.62). */
  ecPublicKey: '1.2.840.10045.2.1',
  /** prime-field (X9.62). */
  primeField: '1.2.840.10045.1.1',
} as const;

export type PaceMapping = 'DH-GM' | 'ECDH-GM' | 'DH-IM' | 'ECDH-IM' | 'ECDH-CAM';
export type SecureMessagingCipher = '3des' | 'aes-128' | 'aes-192' | 'aes-256';

const MAPPINGS: ReadonlyMap<number, PaceMapping> = new Map([
  [1, 'DH-GM'],
  [2, 'ECDH-GM'],
  [3, 'DH-IM'],
  [4, 'ECDH-IM'],
  [6, 'ECDH-CAM'],
]);
const CIPHERS: ReadonlyMap<number, SecureMessagingCipher> = new Map([
  [1, '3des'],
  [2, 'aes-128'],
  [3, 'aes-192'],
  [4, 'aes-256'],
]);

export interface PaceInfo {
  readonly type: 'pace';
  /** The full protocol OID, sent back in MSE:Set AT and in the tokens. */
  readonly protocol: string;
  readonly mapping: PaceMapping;
  readonly cipher: SecureMessagingCipher;
  readonly version: number;
  /** Standardized domain parameter id (Table 6); absent: proprietary parameters in another info. */
  readonly parameterId: number | undefined;
}

export interface ChipAuthenticationInfo {
  readonly type: 'chip-authentication';
  readonly protocol: string;
  readonly agreement: 'DH' | 'ECDH';
  readonly cipher: SecureMessagingCipher;
  readonly version: number;
  readonly keyId: number | undefined;
}

export interface ChipAuthenticationPublicKeyInfo {
  readonly type: 'chip-authentication-public-key';
  readonly protocol: string;
  readonly agreement: 'DH' | 'ECDH';
  /** The SubjectPublicKeyInfo as stored. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly keyId: number | undefined;
}

export interface ActiveAuthenticationInfo {
  readonly type: 'active-authentication';
  readonly version: number;
  /** The signature algorithm OID (ecdsa-plain-SHA* or ecdsa-with-SHA*). */
  readonly signatureAlgorithm: string;
  /** Its hash, when this station knows the OID. */
  readonly hash: HashAlgorithm | undefined;
}

export interface OtherSecurityInfo {
  readonly type: 'other';
  readonly protocol: string;
  /** The whole SecurityInfo, DER. */
  readonly raw: Uint8Array;
}

export type SecurityInfo =
  | PaceInfo
  | ChipAuthenticationInfo
  | ChipAuthenticationPublicKeyInfo
  | ActiveAuthenticationInfo
  | OtherSecurityInfo;

export interface SecurityInfos {
  readonly infos: readonly SecurityInfo[];
  /** Entries that did not decode and were skipped. */
  readonly skipped: number;
}

const LIMITS = { maxLength: 64 * 1024, maxDepth: 10, maxNodes: 2000 };
const MAX_INFOS = 64;

function smallInt(node: TlvNode | undefined): number | undefined {
  if (node?.tag !== 0x02 || node.value.length === 0 || node.value.length > 4) return undefined;
  if (((node.value[0] ?? 0) & 0x80) !== 0) return undefined;
  let n = 0;
  for (const b of node.value) n = n * 256 + b;
  return n;
}

function oidOf(node: TlvNode | undefined): string | undefined {
  return node && node.tag === 0x06 ? decodeOidValue(node.value) : undefined;
}

function rawOf(buffer: Uint8Array, node: TlvNode): Uint8Array {
  return buffer.subarray(node.offset, node.offset + node.totalLength);
}

/** ECDSA signature OIDs an ActiveAuthenticationInfo may name (TR-03111 plain, and X9.62 DER). */
const ECDSA_PLAIN_PREFIX = '0.4.0.127.0.7.1.1.4.1';
function ecdsaHash(oid: string): HashAlgorithm | undefined {
  if (oid.startsWith(`${ECDSA_PLAIN_PREFIX}.`)) {
    const arc = Number(oid.slice(ECDSA_PLAIN_PREFIX.length + 1));
    return (['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const)[arc - 1];
  }
  const der: Readonly<Record<string, HashAlgorithm>> = {
    [OID.ecdsaWithSha1]: 'sha1',
    [OID.ecdsaWithSha224]: 'sha224',
    [OID.ecdsaWithSha256]: 'sha256',
    [OID.ecdsaWithSha384]: 'sha384',
    [OID.ecdsaWithSha512]: 'sha512',
  };
  return der[oid] ?? hashAlgorithmFromOid(oid);
}

function decodeInfo(buffer: Uint8Array, node: TlvNode): SecurityInfo | undefined {
  if (node.tag !== 0x30) return undefined;
  const [first, second, third] = node.children;
  const protocol = oidOf(first);
  if (protocol === undefined || second === undefined) return undefined;
  const arcs = (prefix: string): number[] | undefined =>
    protocol.startsWith(`${prefix}.`)
      ? protocol
          .slice(prefix.length + 1)
          .split('.')
          .map(Number)
      : undefined;

  const pace = arcs(SECURITY_OID.pace);
  if (pace && pace.length === 2) {
    const mapping = MAPPINGS.get(pace[0] ?? 0);
    const cipher = CIPHERS.get(pace[1] ?? 0);
    const version = smallInt(second);
    if (!mapping || !cipher || version === undefined)
      return { type: 'other', protocol, raw: rawOf(buffer, node).slice() };
    const parameterId = third === undefined ? undefined : smallInt(third);
    if (third !== undefined && parameterId === undefined) return undefined;
    return { type: 'pace', protocol, mapping, cipher, version, parameterId };
  }
  const ca = arcs(SECURITY_OID.chipAuthentication);
  if (ca && ca.length === 2) {
    const agreement = ca[0] === 1 ? 'DH' : ca[0] === 2 ? 'ECDH' : undefined;
    const cipher = CIPHERS.get(ca[1] ?? 0);
    const version = smallInt(second);
    if (!agreement || !cipher || version === undefined)
      return { type: 'other', protocol, raw: rawOf(buffer, node).slice() };
    const keyId = third === undefined ? undefined : smallInt(third);
    return { type: 'chip-authentication', protocol, agreement, cipher, version, keyId };
  }
  const pk = arcs(SECURITY_OID.publicKey);
  if (pk && pk.length === 1 && (pk[0] === 1 || pk[0] === 2)) {
    if (second.tag !== 0x30) return undefined;
    const keyId = third === undefined ? undefined : smallInt(third);
    return {
      type: 'chip-authentication-public-key',
      protocol,
      agreement: pk[0] === 1 ? 'DH' : 'ECDH',
      subjectPublicKeyInfo: rawOf(buffer, second).slice(),
      keyId,
    };
  }
  if (protocol === SECURITY_OID.activeAuthentication) {
    const version = smallInt(second);
    const signatureAlgorithm = oidOf(third);
    if (version === undefined || signatureAlgorithm === undefined) return undefined;
    return {
      type: 'active-authentication',
      version,
      signatureAlgorithm,
      hash: ecdsaHash(signatureAlgorithm),
    };
  }
  return { type: 'other', protocol, raw: rawOf(buffer, node).slice() };
}

/**
 * Decodes a SecurityInfos SET: EF.CardAccess's whole content, or (with `dg14: true`) the DG14 file
 * `6E { SET }`.
 */
export function decodeSecurityInfos(
  bytes: Uint8Array,
  options: { dg14?: boolean } = {},
): DecodeResult<SecurityInfos> {
  const tree = parseTree(bytes, LIMITS);
  if (!tree.ok) return tree;
  let set = tree.value[0];
  if (tree.value.length > 1)
    return fail(
      'trailing-data',
      tree.value[1]?.offset ?? 0,
      `bytes after the ${options.dg14 ? 'DG14' : 'SecurityInfos SET'}`,
    );
  if (options.dg14) {
    if (set?.tag !== dataGroupTag(14)) return fail('invalid-value', 0, 'DG14 does not start with tag 6E');
    if (set.children.length > 1)
      return fail(
        'trailing-data',
        set.children[1]?.offset ?? 0,
        'DG14 holds more than its SecurityInfos SET',
      );
    set = set.children[0];
  }
  if (set?.tag !== 0x31) return fail('invalid-value', set?.offset ?? 0, 'SecurityInfos is not a SET');
  if (set.children.length > MAX_INFOS)
    return fail('too-large', set.offset, `more than ${MAX_INFOS} SecurityInfo entries`);
  const infos: SecurityInfo[] = [];
  let skipped = 0;
  for (const child of set.children) {
    const info = decodeInfo(bytes, child);
    if (info) infos.push(info);
    else skipped++;
  }
  return ok({ infos, skipped });
}

// ---------------------------------------------------------------------------------------------
// EC public keys (the Chip Authentication key in DG14)

export interface EcPublicKey {
  readonly curve: EcCurve;
  readonly point: EcPoint;
}

function integerBig(node: TlvNode | undefined): bigint | undefined {
  if (node?.tag !== 0x02 || node.value.length === 0 || node.value.length > 80) return undefined;
  if (((node.value[0] ?? 0) & 0x80) !== 0) return undefined;
  return bytesToBigInt(node.value);
}

/**
 * An EC SubjectPublicKeyInfo (id-ecPublicKey with a named curve OID or explicit ECParameters, X9.62
 * / RFC 5480 / TR-03111 §5.1.1) as a curve and a validated point.
 */
export function decodeEcPublicKey(spki: Uint8Array): DecodeResult<EcPublicKey> {
  const tree = parseTree(spki, LIMITS);
  if (!tree.ok) return tree;
  const top = tree.value[0];
  const [algorithm, bitString] = top?.children ?? [];
  if (top?.tag !== 0x30 || algorithm?.tag !== 0x30 || bitString?.tag !== 0x03)
    return fail('invalid-value', 0, 'not a SubjectPublicKeyInfo');
  const [algorithmOid, parameters] = algorithm.children;
  if (oidOf(algorithmOid) !== SECURITY_OID.ecPublicKey)
    return fail('unsupported', algorithm.offset, `key algorithm ${oidOf(algorithmOid) ?? '?'} is not EC`);
  let curve: EcCurve | undefined;
  if (parameters?.tag === 0x06) {
    const oid = oidOf(parameters) ?? '?';
    curve = curveByOid(oid);
    if (!curve) return fail('unsupported', parameters.offset, `curve ${oid} is not known to this station`);
  } else if (parameters?.tag === 0x30) {
    const [version, fieldId, curveNode, base, order, cofactor] = parameters.children;
    const [fieldType, prime] = fieldId?.children ?? [];
    const [a, b] = curveNode?.children ?? [];
    const p = integerBig(prime);
    const n = integerBig(order);
    if (
      smallInt(version) !== 1 ||
      oidOf(fieldType) !== SECURITY_OID.primeField ||
      p === undefined ||
      n === undefined
    )
      return fail('unsupported', parameters.offset, 'EC parameters are not a prime-field curve');
    if (a?.tag !== 0x04 || b?.tag !== 0x04 || base?.tag !== 0x04)
      return fail('invalid-value', parameters.offset, 'EC parameters lack a, b or the base point');
    const fieldBytes = Math.ceil(p.toString(2).length / 8);
    if (base.value[0] !== 0x04 || base.value.length !== 1 + 2 * fieldBytes)
      return fail('unsupported', base.offset, 'the base point is not uncompressed');
    const domain = {
      p,
      a: bytesToBigInt(a.value),
      b: bytesToBigInt(b.value),
      Gx: bytesToBigInt(base.value.subarray(1, 1 + fieldBytes)),
      Gy: bytesToBigInt(base.value.subarray(1 + fieldBytes)),
      n,
      h: cofactor === undefined ? 1n : (integerBig(cofactor) ?? 0n),
    };
    if (domain.h !== 1n) return fail('unsupported', parameters.offset, `cofactor ${domain.h}`);
    const built = curveFromDomain(domain);
    if (!built.ok) return fail(built.error.reason, parameters.offset, built.error.detail);
    curve = built.value;
  } else return fail('invalid-value', algorithm.offset, 'EC key without curve parameters');
  // BIT STRING: first byte is the count of unused bits, 0 for a point.
  if (bitString.value[0] !== 0x00) return fail('invalid-value', bitString.offset, 'public key bit string');
  const point = decodePoint(curve, bitString.value.subarray(1));
  if (!point.ok) return fail(point.error.reason, bitString.offset, point.error.detail);
  return ok({ curve, point: point.value });
}

// ---------------------------------------------------------------------------------------------
// Encoders (the simulated chip's EF.CardAccess and DG14)

/** A PACEInfo SecurityInfo, DER. */
export function encodePaceInfo(info: {
  protocol: string;
  version?: number;
  parameterId?: number;
}): Uint8Array {
  return encodeTlv(
    0x30,
    encodeOid(info.protocol),
    encodeDerInteger(info.version ?? 2),
    ...(info.parameterId === undefined ? [] : [encodeDerInteger(info.parameterId)]),
  );
}

/** The OID of PACE with a mapping and a cipher, e.g. ECDH-GM with AES-128 = 0.4.0.127.0.7.2.2.4.2.2. */
export function paceProtocolOid(mapping: PaceMapping, cipher: SecureMessagingCipher): string {
  const m = [...MAPPINGS].find(([, v]) => v === mapping)?.[0];
  const c = [...CIPHERS].find(([, v]) => v === cipher)?.[0];
  return `${SECURITY_OID.pace}.${m}.${c}`;
}

/** The OID of Chip Authentication with ECDH and a cipher, e.g. AES-128 = 0.4.0.127.0.7.2.2.3.2.2. */
export function chipAuthenticationOid(cipher: SecureMessagingCipher): string {
  const c = [...CIPHERS].find(([, v]) => v === cipher)?.[0];
  return `${SECURITY_OID.chipAuthentication}.2.${c}`;
}

/** A SET OF the given SecurityInfo encodings, sorted as DER requires. */
export function encodeSecurityInfos(infos: readonly Uint8Array[]): Uint8Array {
  const sorted = [...infos].sort((a, b) => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
    return a.length - b.length;
  });
  return encodeTlv(0x31, concatBytes(...sorted));
}
