/**
 * Active Authentication (ICAO 9303-11 §6.1, reference §6): the chip proves it holds the private key
 * whose public key is in DG15 by signing an 8-byte challenge from the station, so a copy of the
 * data on another chip is told apart from the genuine chip. AA proves nothing unless DG15 itself
 * passed Passive Authentication (its hash in EF.SOD): the caller must check both.
 *
 * 1. `decodeDg15`: DG15 = `6F { SubjectPublicKeyInfo }` (RSA or EC).
 * 2. `internalAuthenticateCommand`: `00 88 00 00 08 <challenge> 00` (9303-11 §6.1, ISO 7816-4 §11.5.3).
 * 3. `verifyActiveAuthentication`: for RSA, ISO/IEC 9796-2 digital signature scheme 1 (message
 *    recovery) opened with the public key; for EC, plain ECDSA (BSI TR-03111 §5.2.1, r‖s) over the
 *    challenge with the hash that DG14's ActiveAuthenticationInfo names.
 *
 * Pure: the RSA public operation, ECDSA verification and hashing go through the injected
 * `AaCrypto` (drivers/crypto/aa-node.ts for Node). The RSA modulus and exponent are read here, with
 * BigInt, because opening an ISO 9796-2 signature may need `n − F` (below). Nothing here throws on
 * card data; every outcome is a verdict.
 */
import { equalBytes, toHex } from '../bytes.ts';
import type { CommandApdu } from '../iso7816/apdu.ts';
import { parseTree, type TlvNode } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import { dataGroupTag } from './lds/files.ts';
import { decodeOidValue, HASH_LENGTH, type HashAlgorithm, OID } from './sod.ts';

// ---------------------------------------------------------------------------------------------
// DG15: the Active Authentication public key (9303-10 §4.7.15, 9303-11 §6.1)
//
//   DG15                  6F L  SubjectPublicKeyInfo
//   SubjectPublicKeyInfo  SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
//   AlgorithmIdentifier   SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
//   rsaEncryption         1.2.840.113549.1.1.1, parameters NULL (RFC 8017 App. C);
//                         key = RSAPublicKey SEQUENCE { modulus INTEGER, publicExponent INTEGER }
//   id-ecPublicKey        1.2.840.10045.2.1, parameters = named curve OID or explicit
//                         ECParameters SEQUENCE { version 1, fieldID SEQUENCE { prime-field OID,
//                         p INTEGER }, curve SEQUENCE { a, b OCTET STRING, seed BIT STRING OPT },
//                         base OCTET STRING, order INTEGER, cofactor INTEGER OPT } (X9.62,
//                         RFC 5480, TR-03111 §5.1.1); key = the point 04‖X‖Y or 02/03‖X

/** What DG15 holds. */
export interface ActiveAuthenticationKey {
  /** The SubjectPublicKeyInfo, DER, as stored (a view into the DG15 bytes). */
  readonly spki: Uint8Array;
  readonly algorithm: 'rsa' | 'ec';
  /** RSA: modulus bits. EC: field size bits (256 for P-256), when the curve is known or explicit. */
  readonly keyBits?: number;
  /** EC with a named curve: its OID (undefined for explicit parameters). */
  readonly curveOid?: string;
}

/** Bounds for DG15. An RSA-8192 key is about 1.1 KB; explicit P-521 parameters about 600 bytes. */
export const DG15_LIMITS = {
  /** Largest DG15 accepted, bytes. */
  maxLength: 8 * 1024,
  maxDepth: 8,
  maxNodes: 64,
  /** RSA modulus bits accepted. */
  minRsaBits: 512,
  maxRsaBits: 8192,
  /** EC field bits accepted (explicit parameters). */
  maxEcBits: 1024,
} as const;

const OID_PRIME_FIELD = '1.2.840.10045.1.1';
const OID_CHARACTERISTIC_TWO_FIELD = '1.2.840.10045.1.2';

interface CurveSize {
  /** Field size, bits. */
  readonly fieldBits: number;
  /** Bytes of the group order: each of r and s in a plain signature (TR-03111 §5.2.1). */
  readonly orderBytes: number;
}

/**
 * Named curves whose sizes are known here (SEC 2, FIPS 186-4, RFC 5639). For all of them the order
 * has as many bytes as a field element. A curve not listed decodes but is not checked.
 */
const NAMED_CURVES: ReadonlyMap<string, CurveSize> = new Map([
  ['1.2.840.10045.3.1.1', { fieldBits: 192, orderBytes: 24 }], // secp192r1
  ['1.3.132.0.33', { fieldBits: 224, orderBytes: 28 }], // secp224r1
  ['1.2.840.10045.3.1.7', { fieldBits: 256, orderBytes: 32 }], // secp256r1
  ['1.3.132.0.10', { fieldBits: 256, orderBytes: 32 }], // secp256k1
  ['1.3.132.0.34', { fieldBits: 384, orderBytes: 48 }], // secp384r1
  ['1.3.132.0.35', { fieldBits: 521, orderBytes: 66 }], // secp521r1
  // brainpoolPxxxr1 (odd arcs) and brainpoolPxxxt1 (even arcs), RFC 5639 §4.
  ...[160, 192, 224, 256, 320, 384, 512].flatMap((bits, i): [string, CurveSize][] => [
    [`1.3.36.3.3.2.8.1.1.${2 * i + 1}`, { fieldBits: bits, orderBytes: bits / 8 }],
    [`1.3.36.3.3.2.8.1.1.${2 * i + 2}`, { fieldBits: bits, orderBytes: bits / 8 }],
  ]),
]);

/** DG15 decoded with what verification needs beyond the public shape. */
type ParsedKey =
  | {
      readonly algorithm: 'rsa';
      readonly spki: Uint8Array;
      readonly modulus: bigint;
      readonly exponent: bigint;
      readonly modulusBits: number;
    }
  | {
      readonly algorithm: 'ec';
      readonly spki: Uint8Array;
      readonly curveOid: string | undefined;
      /** Undefined for a named curve this module does not know. */
      readonly size: CurveSize | undefined;
    };

function oidOf(node: TlvNode | undefined): string | undefined {
  return node?.tag === 0x06 ? decodeOidValue(node.value) : undefined;
}

/** A non-negative INTEGER's magnitude (leading zero bytes dropped), or undefined if negative or empty. */
function unsignedInteger(node: TlvNode | undefined): Uint8Array | undefined {
  if (node?.tag !== 0x02 || node.value.length === 0 || ((node.value[0] ?? 0) & 0x80) !== 0) return undefined;
  let i = 0;
  while (i < node.value.length - 1 && node.value[i] === 0) i++;
  return node.value.subarray(i);
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** `value` as exactly `length` bytes, big-endian. The caller guarantees it fits. */
function toFixedBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function parseRsaKey(spki: Uint8Array, keyBits: TlvNode): DecodeResult<ParsedKey> {
  // RSAPublicKey sits inside the BIT STRING after its unused-bits byte (offsets: into DG15).
  const inner = parseTree(keyBits.value.subarray(1), { maxDepth: 2, maxNodes: 4 });
  const at = keyBits.offset + keyBits.headerLength + 1;
  if (!inner.ok)
    return fail(inner.error.reason, at + inner.error.offset, `RSAPublicKey: ${inner.error.detail}`);
  const [sequence, extra] = inner.value;
  if (sequence?.tag !== 0x30) return fail('invalid-value', at, 'RSAPublicKey is not a SEQUENCE');
  if (extra !== undefined) return fail('trailing-data', at + extra.offset, 'bytes after RSAPublicKey');
  const [modulusNode, exponentNode, more] = sequence.children;
  const n = unsignedInteger(modulusNode);
  const e = unsignedInteger(exponentNode);
  if (n === undefined || e === undefined || more !== undefined)
    return fail('invalid-value', at, 'RSAPublicKey is not { modulus INTEGER, publicExponent INTEGER }');
  const modulus = toBigInt(n);
  const exponent = toBigInt(e);
  const modulusBits = bitLength(modulus);
  if (modulusBits > DG15_LIMITS.maxRsaBits)
    return fail('too-large', at, `RSA modulus of ${modulusBits} bits; at most ${DG15_LIMITS.maxRsaBits}`);
  if (modulusBits < DG15_LIMITS.minRsaBits)
    return fail(
      'invalid-value',
      at,
      `RSA modulus of ${modulusBits} bits; at least ${DG15_LIMITS.minRsaBits}`,
    );
  if ((modulus & 1n) === 0n) return fail('invalid-value', at, 'RSA modulus is even');
  if (exponent < 2n || exponent >= modulus)
    return fail('invalid-value', at, `RSA exponent ${exponent} out of range`);
  return ok({ algorithm: 'rsa', spki, modulus, exponent, modulusBits });
}

function explicitCurveSize(parameters: TlvNode): DecodeResult<CurveSize> {
  const [version, fieldId, curve, point, order] = parameters.children;
  const [fieldType, prime] = fieldId?.children ?? [];
  const at = parameters.offset;
  const fieldOid = oidOf(fieldType);
  if (fieldOid === OID_CHARACTERISTIC_TWO_FIELD)
    return fail('unsupported', at, 'EC parameters over a characteristic-two field');
  const p = unsignedInteger(prime);
  const n = unsignedInteger(order);
  if (
    version?.tag !== 0x02 ||
    fieldId?.tag !== 0x30 ||
    fieldOid !== OID_PRIME_FIELD ||
    curve?.tag !== 0x30 ||
    point?.tag !== 0x04 ||
    p === undefined ||
    n === undefined
  )
    return fail(
      'invalid-value',
      at,
      'explicit EC parameters are not { version, prime field, curve, base, order }',
    );
  const fieldBits = bitLength(toBigInt(p));
  const orderBits = bitLength(toBigInt(n));
  if (fieldBits > DG15_LIMITS.maxEcBits || orderBits > DG15_LIMITS.maxEcBits + 1)
    return fail('too-large', at, `EC field of ${fieldBits} bits`);
  if (fieldBits < 2 || orderBits < 2) return fail('invalid-value', at, 'EC field or order too small');
  return ok({ fieldBits, orderBytes: Math.ceil(orderBits / 8) });
}

function parseEcKey(
  spki: Uint8Array,
  parameters: TlvNode | undefined,
  keyBits: TlvNode,
): DecodeResult<ParsedKey> {
  let curveOid: string | undefined;
  let size: CurveSize | undefined;
  if (parameters?.tag === 0x06) {
    curveOid = oidOf(parameters);
    if (curveOid === undefined) return fail('invalid-value', parameters.offset, 'curve OID malformed');
    size = NAMED_CURVES.get(curveOid);
  } else if (parameters?.tag === 0x30) {
    const explicit = explicitCurveSize(parameters);
    if (!explicit.ok) return explicit;
    size = explicit.value;
  } else if (parameters?.tag === 0x05)
    // implicitlyCA: the curve is whatever the issuer's CA uses; DG15 alone cannot say.
    return fail('unsupported', parameters.offset, 'EC key with implicitlyCA parameters');
  else return fail('invalid-value', parameters?.offset ?? keyBits.offset, 'EC key without curve parameters');

  const point = keyBits.value.subarray(1);
  const at = keyBits.offset + keyBits.headerLength + 1;
  const first = point[0];
  const fieldBytes = size === undefined ? undefined : Math.ceil(size.fieldBits / 8);
  const valid =
    (first === 0x04 &&
      (fieldBytes === undefined ? point.length % 2 === 1 : point.length === 1 + 2 * fieldBytes)) ||
    ((first === 0x02 || first === 0x03) && (fieldBytes === undefined || point.length === 1 + fieldBytes));
  if (!valid || point.length < 2)
    return fail('invalid-value', at, 'EC public point is not 04‖X‖Y or 02/03‖X');
  return ok({ algorithm: 'ec', spki, curveOid, size });
}

function parseDg15(bytes: Uint8Array): DecodeResult<ParsedKey> {
  if (bytes.length === 0) return fail('truncated', 0, 'DG15 is empty');
  const tree = parseTree(bytes, DG15_LIMITS);
  if (!tree.ok) return tree;
  const [dg15, extra] = tree.value;
  if (dg15?.tag !== dataGroupTag(15)) return fail('invalid-value', 0, 'DG15 does not start with tag 6F');
  if (extra !== undefined) return fail('trailing-data', extra.offset, 'bytes after DG15');
  const [spkiNode, more] = dg15.children;
  if (spkiNode?.tag !== 0x30)
    return fail('invalid-value', dg15.headerLength, 'DG15 holds no SubjectPublicKeyInfo');
  if (more !== undefined) return fail('trailing-data', more.offset, 'bytes after the SubjectPublicKeyInfo');
  const spki = bytes.subarray(spkiNode.offset, spkiNode.offset + spkiNode.totalLength);
  const [algorithm, keyBits, spkiExtra] = spkiNode.children;
  if (algorithm?.tag !== 0x30 || keyBits?.tag !== 0x03 || spkiExtra !== undefined)
    return fail(
      'invalid-value',
      spkiNode.offset,
      'SubjectPublicKeyInfo is not { AlgorithmIdentifier, BIT STRING }',
    );
  if (keyBits.value[0] !== 0x00 || keyBits.value.length < 2)
    return fail('invalid-value', keyBits.offset, 'public key BIT STRING has unused bits or no content');
  const [oidNode, parameters, algorithmExtra] = algorithm.children;
  const oid = oidOf(oidNode);
  if (oid === undefined || algorithmExtra !== undefined)
    return fail('invalid-value', algorithm.offset, 'AlgorithmIdentifier malformed');
  if (oid === OID.rsaEncryption) {
    if (parameters !== undefined && !(parameters.tag === 0x05 && parameters.value.length === 0))
      return fail('invalid-value', parameters.offset, 'rsaEncryption parameters must be NULL');
    return parseRsaKey(spki, keyBits);
  }
  if (oid === OID.ecPublicKey) return parseEcKey(spki, parameters, keyBits);
  return fail('unsupported', algorithm.offset, `public key algorithm ${oid} is neither RSA nor EC`);
}

/**
 * Decodes DG15 (the whole file, tag 6F included). Never throws.
 * Errors: `unsupported` for a key that is neither RSA nor EC (e.g. Ed25519), EC over a binary field
 * or with implicitlyCA parameters; `invalid-value` for a structure that is not a
 * SubjectPublicKeyInfo, a negative or even modulus, an RSA modulus under 512 bits, a malformed
 * point; `too-large` beyond `DG15_LIMITS`; `truncated`; `trailing-data` after the key.
 */
export function decodeDg15(bytes: Uint8Array): DecodeResult<ActiveAuthenticationKey> {
  const parsed = parseDg15(bytes);
  if (!parsed.ok) return parsed;
  const key = parsed.value;
  if (key.algorithm === 'rsa') return ok({ spki: key.spki, algorithm: 'rsa', keyBits: key.modulusBits });
  return ok({
    spki: key.spki,
    algorithm: 'ec',
    ...(key.size === undefined ? {} : { keyBits: key.size.fieldBits }),
    ...(key.curveOid === undefined ? {} : { curveOid: key.curveOid }),
  });
}

// ---------------------------------------------------------------------------------------------
// INTERNAL AUTHENTICATE (ISO 7816-4 §11.5.3, 9303-11 §6.1)

/** INS of INTERNAL AUTHENTICATE. */
export const INS_INTERNAL_AUTHENTICATE = 0x88;
/** Bytes of RND.IFD, the challenge (9303-11 §6.1). */
export const AA_CHALLENGE_LENGTH = 8;

/**
 * `00 88 00 00 08 <challenge> Le`, Le = 256 (written 00) unless given: an RSA key over 2048 bits
 * answers more than 256 bytes and needs `le` = modulus bytes (extended length).
 * The caller wraps it in secure messaging. The challenge must come from a CSPRNG, fresh each time.
 * @throws {RangeError} when the challenge is not 8 bytes or `le` is not 1..65536.
 */
export function internalAuthenticateCommand(
  challenge: Uint8Array,
  options: { le?: number } = {},
): CommandApdu {
  if (challenge.length !== AA_CHALLENGE_LENGTH)
    throw new RangeError(`the AA challenge is ${AA_CHALLENGE_LENGTH} bytes, got ${challenge.length}`);
  const le = options.le ?? 256;
  if (!Number.isInteger(le) || le < 1 || le > 65536) throw new RangeError(`Le must be 1..65536, got ${le}`);
  return { cla: 0x00, ins: INS_INTERNAL_AUTHENTICATE, p1: 0x00, p2: 0x00, data: challenge.slice(), le };
}

// ---------------------------------------------------------------------------------------------
// Injected crypto

/**
 * The crypto Active Authentication needs (drivers/crypto/aa-node.ts for Node).
 *
 * - `rsaPublicRaw(spki, block)`: the raw RSA public operation `block^e mod n`, no padding, the result
 *   left-padded with zeros to the modulus length. `block` is exactly the modulus length and less
 *   than the modulus (checked by the caller). Rejects when the key cannot be loaded as RSA.
 * - `verifyEcdsa(spki, hash, message, signature)`: ECDSA verification of `signature`, plain r‖s
 *   (BSI TR-03111 §5.2.1, each half the order's length), over `message` hashed with `hash`.
 *   Resolves false for a signature that does not verify (r or s zero or out of range included).
 *   Rejects when the key cannot be used (an unknown curve, a point off the curve).
 * - `digest(hash, data)`: rejects only for a hash the implementation lacks.
 */
export interface AaCrypto {
  rsaPublicRaw(spki: Uint8Array, block: Uint8Array): Promise<Uint8Array>;
  verifyEcdsa(
    spki: Uint8Array,
    hash: HashAlgorithm,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
  digest(hash: HashAlgorithm, data: Uint8Array): Promise<Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Verdicts

/** Why the chip's answer does not prove it holds the DG15 key: a clone or a faulty chip. */
export type AaProblem =
  /** ECDSA: the signature does not verify over the challenge. */
  | 'signature-mismatch'
  /** RSA: the recovered block's header or padding is not ISO 9796-2 scheme 1, or leaves no room for M1. */
  | 'bad-recovery-format'
  /** RSA: the recovered block (and n minus it) does not end in a valid trailer. */
  | 'bad-trailer'
  /** RSA: H in the block is not hash(M1 ‖ challenge). */
  | 'hash-mismatch'
  /** RSA, total recovery: the recovered message is not the challenge. */
  | 'challenge-mismatch'
  /** Not the modulus length (RSA) or twice the order length (ECDSA). */
  | 'wrong-signature-length'
  /** RSA: the signature as an integer is not below the modulus. */
  | 'signature-out-of-range';

export type AaNotCheckedReason =
  /** A key type, curve, hash or key size this station does not verify. */
  | 'unsupported-algorithm'
  /** DG15 does not decode, or the crypto refused its key. */
  | 'key-damaged'
  /** An EC key, but no ActiveAuthenticationInfo hash was given (DG14 lacks it or was not read). */
  | 'ecdsa-hash-unknown';

export type AaVerdict =
  | { readonly kind: 'verified'; readonly algorithm: 'rsa' | 'ecdsa'; readonly hash: HashAlgorithm }
  | { readonly kind: 'failed'; readonly problem: AaProblem; readonly detail: string }
  | { readonly kind: 'not-checked'; readonly reason: AaNotCheckedReason; readonly detail: string };

export interface ActiveAuthenticationInput {
  /** DG15 as read from the chip (tag 6F included); it must also pass Passive Authentication. */
  readonly dg15: Uint8Array;
  /** The 8-byte challenge (RND.IFD) sent in INTERNAL AUTHENTICATE. */
  readonly challenge: Uint8Array;
  /** INTERNAL AUTHENTICATE's response data (after secure messaging is removed). */
  readonly signature: Uint8Array;
  /**
   * EC keys only: the hash of DG14's ActiveAuthenticationInfo signatureAlgorithm (9303-11 §6.1).
   * There is deliberately no default by curve size: 9303-11 requires ActiveAuthenticationInfo for
   * ECDSA, and a guessed hash that fails would brand a genuine chip a clone. Without it the verdict
   * is `not-checked: ecdsa-hash-unknown`.
   */
  readonly ecdsaHash?: HashAlgorithm;
}

function failed(problem: AaProblem, detail: string): AaVerdict {
  return { kind: 'failed', problem, detail };
}

function notChecked(reason: AaNotCheckedReason, detail: string): AaVerdict {
  return { kind: 'not-checked', reason, detail };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// ISO/IEC 9796-2 digital signature scheme 1 (9303-11 §6.1)
//
// The recovered message representative J, as many bytes as the modulus (whose bit length must be a
// multiple of 8 here), left to right:
//
//   bits 8..7 of byte 0   header '01'
//   bit 6                 more-data bit: 1 = partial recovery (M2, the challenge, is not in J),
//                         0 = total recovery (the whole message is M1)
//   bit 5 .. nibble end   padding: '0', then nibbles 'B'… ending in nibble 'A' at a byte
//                         boundary. Partial recovery fills the block, so its padding is just 'A':
//                         byte 0 = 6A. Total recovery: 4A, or 4B BB … BA.
//   M1                    the recovered message (AA: a nonce the chip chose), at least 1 byte
//   H                     hash(M1 ‖ M2), the hash's length
//   trailer               BC (implicit: SHA-1), or two bytes xx CC where xx is the hash-function
//                         identifier of ISO/IEC 10118-3: 33 SHA-1, 34 SHA-256, 35 SHA-512,
//                         36 SHA-384, 38 SHA-224
//
// Opening (the RSA signature-opening function): F = Σ^e mod n. J = F when F ≡ 12 (mod 16) — the
// trailer's last nibble is C — else J = n − F when that is ≡ 12 (mod 16) (a signer may return
// n − Σ, e.g. Σ = min(Σ, n − Σ); for odd e, (n − Σ)^e ≡ −F), else the signature is rejected.

const TRAILER_IMPLICIT = 0xbc;
const TRAILER_EXPLICIT = 0xcc;

/** ISO/IEC 10118-3 hash-function identifiers this station implements. */
const HASH_BY_IDENTIFIER: ReadonlyMap<number, HashAlgorithm> = new Map([
  [0x33, 'sha1'],
  [0x34, 'sha256'],
  [0x35, 'sha512'],
  [0x36, 'sha384'],
  [0x38, 'sha224'],
]);
/** Valid identifiers for hashes not implemented here: RIPEMD-160, RIPEMD-128, Whirlpool, SHA-512/224, SHA-512/256. */
const OTHER_HASH_IDENTIFIERS: ReadonlySet<number> = new Set([0x31, 0x32, 0x37, 0x39, 0x3a]);

/**
 * The ISO/IEC 10118-3 identifier of a hash, as written in an explicit trailer `xx CC`.
 * @throws {RangeError} for a hash without one (none of today's `HashAlgorithm`s).
 */
export function iso9796HashIdentifier(hash: HashAlgorithm): number {
  for (const [id, h] of HASH_BY_IDENTIFIER) if (h === hash) return id;
  throw new RangeError(`no ISO/IEC 10118-3 identifier for ${hash}`);
}

interface Opened {
  readonly recovery: 'partial' | 'total';
  readonly hash: HashAlgorithm;
  readonly m1: Uint8Array;
  readonly digest: Uint8Array;
}

function nibble(block: Uint8Array, index: number): number {
  const byte = block[index >> 1] ?? 0;
  return index % 2 === 0 ? byte >> 4 : byte & 0x0f;
}

/** Parses J (already chosen between F and n − F) into its fields, or a verdict. */
function parseRepresentative(block: Uint8Array): Opened | AaVerdict {
  const length = block.length;
  const last = block[length - 1] ?? 0;
  let hash: HashAlgorithm;
  let trailerLength: number;
  if (last === TRAILER_IMPLICIT) {
    hash = 'sha1';
    trailerLength = 1;
  } else if (last === TRAILER_EXPLICIT) {
    const id = block[length - 2] ?? 0;
    const known = HASH_BY_IDENTIFIER.get(id);
    if (known === undefined)
      return OTHER_HASH_IDENTIFIERS.has(id)
        ? notChecked(
            'unsupported-algorithm',
            `ISO 9796-2 trailer ${toHex(block.subarray(length - 2))} names a hash this station does not implement`,
          )
        : failed('bad-trailer', `trailer ${toHex(block.subarray(length - 2))} names no ISO/IEC 10118-3 hash`);
    hash = known;
    trailerLength = 2;
  } else return failed('bad-trailer', `trailer byte ${toHex(Uint8Array.of(last))} is neither BC nor xx CC`);

  const first = block[0] ?? 0;
  if ((first & 0xc0) !== 0x40)
    return failed('bad-recovery-format', `header bits of ${toHex(Uint8Array.of(first))} are not '01'`);
  const recovery = (first & 0x20) !== 0 ? 'partial' : 'total';
  if ((first & 0x10) !== 0)
    return failed(
      'bad-recovery-format',
      `byte 0 ${toHex(Uint8Array.of(first))}: the padding does not start with '0'`,
    );
  const hashStart = length - trailerLength - HASH_LENGTH[hash];
  // Padding nibbles from index 1 (byte 0's low nibble): 'B'* then 'A' on a low nibble.
  let index = 1;
  while (index < 2 * hashStart && nibble(block, index) === 0x0b) index++;
  if (index >= 2 * hashStart || nibble(block, index) !== 0x0a || index % 2 === 0)
    return failed(
      'bad-recovery-format',
      'the padding is not B…BA ending on a byte boundary, or leaves no room for M1',
    );
  if (recovery === 'partial' && index !== 1)
    return failed(
      'bad-recovery-format',
      `partial recovery with ${index} padding nibbles; M1 must fill the block (byte 0 = 6A)`,
    );
  const m1Start = (index + 1) / 2;
  if (hashStart - m1Start < 1) return failed('bad-recovery-format', 'no room for M1 in the recovered block');
  return {
    recovery,
    hash,
    m1: block.subarray(m1Start, hashStart),
    digest: block.subarray(hashStart, hashStart + HASH_LENGTH[hash]),
  };
}

async function verifyRsa(
  key: Extract<ParsedKey, { algorithm: 'rsa' }>,
  challenge: Uint8Array,
  signature: Uint8Array,
  crypto: AaCrypto,
): Promise<AaVerdict> {
  const { modulus, exponent, modulusBits } = key;
  if (modulusBits % 8 !== 0)
    return notChecked(
      'unsupported-algorithm',
      `RSA modulus of ${modulusBits} bits is not a whole number of bytes`,
    );
  if ((exponent & 1n) === 0n)
    return notChecked('unsupported-algorithm', 'even public exponent (Rabin-Williams) is not implemented');
  const length = modulusBits / 8;
  if (signature.length !== length)
    return failed(
      'wrong-signature-length',
      `signature of ${signature.length} bytes for a ${length}-byte modulus`,
    );
  if (toBigInt(signature) >= modulus)
    return failed('signature-out-of-range', 'signature is not below the modulus');

  let raw: Uint8Array;
  try {
    raw = await crypto.rsaPublicRaw(key.spki, signature);
  } catch (error) {
    return notChecked('key-damaged', `the RSA public operation failed: ${message(error)}`);
  }
  const f = toBigInt(raw);
  if (f >= modulus)
    return notChecked('key-damaged', 'the RSA public operation returned a value above the modulus');
  let j: bigint;
  if ((f & 0xfn) === 0xcn) j = f;
  else if (((modulus - f) & 0xfn) === 0xcn) j = modulus - f;
  else
    return failed(
      'bad-trailer',
      `recovered block ends in nibble ${(f & 0xfn).toString(16).toUpperCase()}; neither it nor n − it ends in C`,
    );

  const opened = parseRepresentative(toFixedBytes(j, length));
  if ('kind' in opened) return opened;
  let signed: Uint8Array;
  if (opened.recovery === 'partial') {
    signed = new Uint8Array(opened.m1.length + challenge.length);
    signed.set(opened.m1);
    signed.set(challenge, opened.m1.length);
  } else {
    if (!equalBytes(opened.m1, challenge))
      return failed(
        'challenge-mismatch',
        `total recovery of ${opened.m1.length} bytes that are not the challenge`,
      );
    signed = opened.m1;
  }
  let digest: Uint8Array;
  try {
    digest = await crypto.digest(opened.hash, signed);
  } catch (error) {
    return notChecked('unsupported-algorithm', `${opened.hash}: ${message(error)}`);
  }
  if (!equalBytes(digest, opened.digest))
    return failed('hash-mismatch', `${opened.hash}(M1 ‖ challenge) differs from H in the recovered block`);
  return { kind: 'verified', algorithm: 'rsa', hash: opened.hash };
}

async function verifyEcdsa(
  key: Extract<ParsedKey, { algorithm: 'ec' }>,
  input: ActiveAuthenticationInput,
  crypto: AaCrypto,
): Promise<AaVerdict> {
  if (key.size === undefined)
    return notChecked('unsupported-algorithm', `curve ${key.curveOid ?? '?'} is not known to this station`);
  if (input.ecdsaHash === undefined)
    return notChecked('ecdsa-hash-unknown', 'EC key but no ActiveAuthenticationInfo hash from DG14');
  const expected = 2 * key.size.orderBytes;
  if (input.signature.length !== expected)
    return failed(
      'wrong-signature-length',
      `signature of ${input.signature.length} bytes; plain r‖s is ${expected}`,
    );
  let valid: boolean;
  try {
    valid = await crypto.verifyEcdsa(key.spki, input.ecdsaHash, input.challenge, input.signature);
  } catch (error) {
    return notChecked('key-damaged', `the EC key was refused: ${message(error)}`);
  }
  return valid
    ? { kind: 'verified', algorithm: 'ecdsa', hash: input.ecdsaHash }
    : failed('signature-mismatch', `ECDSA-${input.ecdsaHash} signature does not verify over the challenge`);
}

/**
 * Checks the chip's answer to INTERNAL AUTHENTICATE against the DG15 key (9303-11 §6.1).
 * Never rejects on card data: a DG15 that does not decode is `not-checked: key-damaged` (or
 * `unsupported-algorithm` for a key type not implemented), a bad signature is `failed`.
 * Rejects with RangeError only when `challenge` is not 8 bytes (a programming error).
 */
export async function verifyActiveAuthentication(
  input: ActiveAuthenticationInput,
  crypto: AaCrypto,
): Promise<AaVerdict> {
  if (input.challenge.length !== AA_CHALLENGE_LENGTH)
    throw new RangeError(`the AA challenge is ${AA_CHALLENGE_LENGTH} bytes, got ${input.challenge.length}`);
  const parsed = parseDg15(input.dg15);
  if (!parsed.ok) {
    const { reason, offset, detail } = parsed.error;
    return notChecked(
      reason === 'unsupported' ? 'unsupported-algorithm' : 'key-damaged',
      `DG15 ${reason} at offset ${offset}: ${detail}`,
    );
  }
  const key = parsed.value;
  return key.algorithm === 'rsa'
    ? verifyRsa(key, input.challenge, input.signature, crypto)
    : verifyEcdsa(key, input, crypto);
}
