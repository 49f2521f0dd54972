/**
 * Card-verifiable certificates (BSI TR-03110-3 Appendix C and D.2; ICAO 9303-11 refers to them for
 * Extended Access Control): the certificates a terminal shows a chip to prove it may read the
 * fingerprints (DG3) and irises (DG4). A country's CVCA certifies Document Verifiers (DV), and a DV
 * certifies its inspection systems (the terminals). The chip holds the CVCA's public key as its
 * trust point and checks each certificate with the key of the one before.
 *
 * ```
 * 7F21                 CV certificate
 *   7F4E               certificate body (the signed bytes: its whole TLV)
 *     5F29 01 00       certificate profile identifier: version 1
 *     42   ≤ 16        certification authority reference (CAR): the issuer's CHR
 *     7F49             public key (D.3.3, ECDSA): 06 OID, [81 p, 82 a, 83 b, 84 G, 85 n], 86 Y, [87 f]
 *     5F20 ≤ 16        certificate holder reference (CHR): country ‖ mnemonic ‖ sequence number
 *     7F4C             certificate holder authorization template (CHAT): 06 terminal type, 53 rights
 *     5F25 06          effective date, YYMMDD, one decimal digit per byte (unpacked BCD, 20YY)
 *     5F24 06          expiration date, the same
 *     [65]             certificate extensions (discretionary data templates 73)
 *   5F37               signature: plain r ‖ s (TR-03111 §5.2.1) over the DER of 7F4E
 * ```
 *
 * The signature algorithm is the issuer's public-key OID (id-TA-ECDSA-SHA-*, TR-03110-3 §A.2.1.1).
 * Domain parameters (81–85, 87) sit only in CVCA certificates; DV and terminal keys use the CVCA's
 * curve (D.3.3). The CHAT of an inspection system (id-IS) is one byte: bits 8–7 the role (11 CVCA,
 * 10 DV official domestic, 01 DV foreign, 00 terminal), bit 2 read DG4 (iris), bit 1 read DG3
 * (fingerprints) (C.4.1). The rights a terminal gets are the AND over the chain.
 *
 * The chip's notion of time (TR-03110-3 §A.6.2, and 9303-11's EAC chapter): it has no clock, only
 * a current date it moves forward to the effective date of a CVCA certificate, a domestic DV
 * certificate, or a terminal certificate issued by a domestic DV ("accurate" dates); it refuses a
 * DV or terminal certificate that expired before that date; CVCA (link) certificates are accepted
 * whatever their dates, so a chip that slept for years can still follow key roll-overs.
 *
 * Pure: hashes come from the injected crypto, ECDSA verification is ec.ts'. Decoding untrusted
 * bytes never throws; a certificate is at most `CVC_LIMITS.maxLength` bytes.
 */
import { equalBytes } from '../bytes.ts';
import { concatBytes, encodeTlv, readTlv, readTlvs, type Tlv } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import type { Icao9303Crypto } from './crypto.ts';
import {
  bytesToBigInt,
  curveFromDomain,
  decodePoint,
  type EcCurve,
  type EcDomain,
  type EcPoint,
  encodePoint,
  fieldElementBytes,
  verifyEcdsa,
} from './ec.ts';
import { decodeOidValue, encodeOid, type HashAlgorithm } from './sod.ts';

// ---------------------------------------------------------------------------------------------
// Object identifiers (TR-03110-3 §A.2.1.1 Terminal Authentication, §C.4 roles)

/** id-TA: 0.4.0.127.0.7.2.2.2. */
const ID_TA = '0.4.0.127.0.7.2.2.2';

export const CVC_OID = {
  idTa: ID_TA,
  /** id-TA-ECDSA-SHA-1 … SHA-512: arcs 1 … 5 under id-TA-ECDSA. */
  ecdsaSha1: `${ID_TA}.2.1`,
  ecdsaSha224: `${ID_TA}.2.2`,
  ecdsaSha256: `${ID_TA}.2.3`,
  ecdsaSha384: `${ID_TA}.2.4`,
  ecdsaSha512: `${ID_TA}.2.5`,
  /** id-roles: the terminal types. */
  inspectionSystem: '0.4.0.127.0.7.3.1.2.1',
  authenticationTerminal: '0.4.0.127.0.7.3.1.2.2',
  signatureTerminal: '0.4.0.127.0.7.3.1.2.3',
} as const;

const ECDSA_HASHES: ReadonlyMap<string, HashAlgorithm> = new Map([
  [CVC_OID.ecdsaSha1, 'sha1'],
  [CVC_OID.ecdsaSha224, 'sha224'],
  [CVC_OID.ecdsaSha256, 'sha256'],
  [CVC_OID.ecdsaSha384, 'sha384'],
  [CVC_OID.ecdsaSha512, 'sha512'],
]);

/** The TA signature algorithm an id-TA OID names, or undefined (RSA, unknown). */
export function taEcdsaHash(oid: string): HashAlgorithm | undefined {
  return ECDSA_HASHES.get(oid);
}

/** id-TA-ECDSA-<hash>. @throws {RangeError} for a hash without one. */
export function taEcdsaOid(hash: HashAlgorithm): string {
  for (const [oid, h] of ECDSA_HASHES) if (h === hash) return oid;
  throw new RangeError(`no id-TA-ECDSA OID for ${hash}`);
}

// ---------------------------------------------------------------------------------------------
// Tags and bounds

export const CVC_TAG = {
  certificate: 0x7f21,
  body: 0x7f4e,
  profileIdentifier: 0x5f29,
  car: 0x42,
  publicKey: 0x7f49,
  chr: 0x5f20,
  chat: 0x7f4c,
  effectiveDate: 0x5f25,
  expirationDate: 0x5f24,
  extensions: 0x65,
  signature: 0x5f37,
  discretionaryData: 0x53,
} as const;

/** The body's data objects, in the order C.1 fixes. The extensions are optional. */
const BODY_ORDER = [
  CVC_TAG.profileIdentifier,
  CVC_TAG.car,
  CVC_TAG.publicKey,
  CVC_TAG.chr,
  CVC_TAG.chat,
  CVC_TAG.effectiveDate,
  CVC_TAG.expirationDate,
] as const;

export const CVC_LIMITS = {
  /** Largest certificate accepted, bytes: ECDSA P-521 with its domain parameters is about 800. */
  maxLength: 4096,
  /** CAR and CHR: 2-letter country, mnemonic up to 9, sequence number 5 (A.6.1). */
  maxReferenceLength: 16,
  /** Largest EC integer (p, a, b, n), bytes: 521 bits. */
  maxIntegerLength: 66,
  /** CHAT discretionary data, bytes (5 for authentication terminals). */
  maxChatLength: 5,
  /** Extensions kept. */
  maxExtensions: 8,
} as const;

// ---------------------------------------------------------------------------------------------
// Decoded forms

/** The role bits of a CHAT (C.4.1): who the holder is in the EAC PKI. */
export type CvcRole = 'cvca' | 'dv-domestic' | 'dv-foreign' | 'terminal';

const ROLE_BITS: Readonly<Record<CvcRole, number>> = {
  cvca: 0xc0,
  'dv-domestic': 0x80,
  'dv-foreign': 0x40,
  terminal: 0x00,
};

/** Rights of an inspection system (C.4.1): read DG3, read DG4. */
export const IS_RIGHT = { readDg3: 0x01, readDg4: 0x02 } as const;

export interface Chat {
  /** id-IS for an eMRTD inspection system. */
  readonly terminalType: string;
  readonly role: CvcRole;
  /**
   * The discretionary data with the role bits cleared: for an inspection system bit 0 is DG3 and
   * bit 1 DG4. For longer templates (authentication terminals) the first byte's bits only.
   */
  readonly rights: number;
  /** The discretionary data as stored. */
  readonly discretionaryData: Uint8Array;
}

/** A public key of a CV certificate (D.3.3). */
export interface CvcPublicKey {
  readonly oid: string;
  /** ECDSA hash when `oid` is id-TA-ECDSA-*; undefined for RSA or an unknown OID. */
  readonly hash: HashAlgorithm | undefined;
  /** Explicit domain parameters (CVCA certificates); absent: the issuer's curve. */
  readonly domain: EcDomain | undefined;
  /** Public point Y (86), as stored. Empty for RSA keys (81 modulus, 82 exponent instead). */
  readonly point: Uint8Array;
}

export interface CvcExtension {
  readonly oid: string | undefined;
  /** The whole discretionary data template, DER. */
  readonly raw: Uint8Array;
}

export interface CvCertificate {
  /** 0: version 1. */
  readonly profileIdentifier: number;
  readonly car: string;
  readonly chr: string;
  readonly publicKey: CvcPublicKey;
  readonly chat: Chat;
  /** YYYY-MM-DD. */
  readonly effectiveDate: string;
  /** YYYY-MM-DD. */
  readonly expirationDate: string;
  readonly extensions: readonly CvcExtension[];
  /** The body's TLV (7F4E …): the signed bytes, and what PSO:Verify Certificate sends. */
  readonly body: Uint8Array;
  /** Plain r ‖ s (ECDSA). */
  readonly signature: Uint8Array;
  /** The whole certificate, 7F21 … (rebuilt when decoded from a PSO's 7F4E ‖ 5F37). */
  readonly encoded: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function rebase<T>(result: DecodeResult<T>, base: number): DecodeResult<T> {
  return result.ok ? result : fail(result.error.reason, base + result.error.offset, result.error.detail);
}

/** CAR and CHR characters: printable ISO 8859-1 (A.6.1 allows A–Z, 0–9 and a few more). */
function reference(tlv: Tlv, at: number, what: string): DecodeResult<string> {
  const { value } = tlv;
  if (value.length === 0 || value.length > CVC_LIMITS.maxReferenceLength)
    return fail('invalid-value', at, `${what} is 1 to ${CVC_LIMITS.maxReferenceLength} characters`);
  let text = '';
  for (const b of value) {
    if (b < 0x20 || b > 0x7e) return fail('invalid-value', at, `${what} holds byte ${b.toString(16)}`);
    text += String.fromCharCode(b);
  }
  return ok(text);
}

/** YYMMDD as six bytes 0–9 (C.1.5) → YYYY-MM-DD, a real calendar day. */
function cvcDate(tlv: Tlv, at: number, what: string): DecodeResult<string> {
  const { value } = tlv;
  if (value.length !== 6 || value.some((d) => d > 9))
    return fail('invalid-value', at, `${what} is six digits 00–09, one per byte`);
  const digits = Array.from(value, (d) => String(d)).join('');
  const iso = `20${digits.slice(0, 2)}-${digits.slice(2, 4)}-${digits.slice(4, 6)}`;
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || !date.toISOString().startsWith(iso))
    return fail('invalid-value', at, `${what} ${digits} is not a calendar day`);
  return ok(iso);
}

function unsignedInteger(tlv: Tlv, at: number): DecodeResult<bigint> {
  if (tlv.value.length === 0 || tlv.value.length > CVC_LIMITS.maxIntegerLength + 1)
    return fail('invalid-value', at, `integer ${tlv.tag.toString(16)} of ${tlv.value.length} bytes`);
  return ok(bytesToBigInt(tlv.value));
}

/** The public key (D.3.3): 06 OID first, then context tags in ascending order, each once. */
function decodePublicKey(tlv: Tlv, base: number): DecodeResult<CvcPublicKey> {
  const at = base + tlv.headerLength;
  const items = readTlvs(tlv.value, { maxNodes: 10, maxLength: 1024 });
  if (!items.ok) return rebase(items, at);
  const [oidTlv, ...rest] = items.value;
  if (oidTlv?.tag !== 0x06) return fail('invalid-value', at, 'the public key starts with its OID (06)');
  const oid = decodeOidValue(oidTlv.value);
  if (oid === undefined) return fail('invalid-value', at, 'the public key OID does not decode');
  if (!oid.startsWith(`${ID_TA}.`))
    return fail('unsupported', at, `public key algorithm ${oid} is not an id-TA algorithm`);
  let previous = 0;
  const byTag = new Map<number, Tlv>();
  for (const item of rest) {
    if (item.tag < 0x81 || item.tag > 0x87 || item.tag <= previous)
      return fail(
        'invalid-value',
        at + item.offset,
        `unexpected or repeated public key object ${item.tag.toString(16)}`,
      );
    previous = item.tag;
    byTag.set(item.tag, item);
  }
  const hash = taEcdsaHash(oid);
  if (hash === undefined) {
    // RSA (81 modulus, 82 exponent) or an id-TA arc this station does not know: kept, not usable.
    if (!oid.startsWith(`${ID_TA}.1.`)) return fail('unsupported', at, `id-TA algorithm ${oid} is unknown`);
    return ok({ oid, hash: undefined, domain: undefined, point: new Uint8Array(0) });
  }
  const point = byTag.get(0x86);
  if (point === undefined) return fail('invalid-value', at, 'an ECDSA public key holds its point (86)');
  if (point.value.length === 0 || point.value.length > 2 * CVC_LIMITS.maxIntegerLength + 1)
    return fail('invalid-value', at + point.offset, `a public point of ${point.value.length} bytes`);
  const parameterTags = [0x81, 0x82, 0x83, 0x84, 0x85];
  const present = parameterTags.filter((t) => byTag.has(t));
  if (present.length === 0) {
    if (byTag.has(0x87)) return fail('invalid-value', at, 'a cofactor (87) without the domain parameters');
    return ok({ oid, hash, domain: undefined, point: point.value });
  }
  if (present.length !== parameterTags.length)
    return fail('invalid-value', at, 'domain parameters 81–85 come all together or not at all');
  const integer = (tag: number): DecodeResult<bigint> => {
    const item = byTag.get(tag) as Tlv;
    return unsignedInteger(item, at + item.offset);
  };
  const p = integer(0x81);
  if (!p.ok) return p;
  const a = integer(0x82);
  if (!a.ok) return a;
  const b = integer(0x83);
  if (!b.ok) return b;
  const n = integer(0x85);
  if (!n.ok) return n;
  const f = byTag.has(0x87) ? integer(0x87) : ok(1n);
  if (!f.ok) return f;
  const g = byTag.get(0x84) as Tlv;
  // G is an uncompressed point 04 ‖ x ‖ y: both halves field-sized.
  if (g.value[0] !== 0x04 || g.value.length < 3 || (g.value.length - 1) % 2 !== 0)
    return fail('invalid-value', at + g.offset, 'the base point (84) is an uncompressed point 04 ‖ x ‖ y');
  const half = (g.value.length - 1) / 2;
  const domain: EcDomain = {
    p: p.value,
    a: a.value,
    b: b.value,
    Gx: bytesToBigInt(g.value.subarray(1, 1 + half)),
    Gy: bytesToBigInt(g.value.subarray(1 + half)),
    n: n.value,
    h: f.value,
  };
  return ok({ oid, hash, domain, point: point.value });
}

function roleOf(bits: number): CvcRole {
  switch (bits & 0xc0) {
    case 0xc0:
      return 'cvca';
    case 0x80:
      return 'dv-domestic';
    case 0x40:
      return 'dv-foreign';
    default:
      return 'terminal';
  }
}

function decodeChat(tlv: Tlv, base: number): DecodeResult<Chat> {
  const at = base + tlv.headerLength;
  const items = readTlvs(tlv.value, { maxNodes: 3, maxLength: 64 });
  if (!items.ok) return rebase(items, at);
  const [oidTlv, data, ...extra] = items.value;
  if (oidTlv?.tag !== 0x06 || data?.tag !== CVC_TAG.discretionaryData || extra.length > 0)
    return fail('invalid-value', at, 'the CHAT is 06 terminal type, 53 discretionary data');
  const terminalType = decodeOidValue(oidTlv.value);
  if (terminalType === undefined) return fail('invalid-value', at, 'the CHAT terminal type does not decode');
  if (data.value.length === 0 || data.value.length > CVC_LIMITS.maxChatLength)
    return fail('invalid-value', at + data.offset, `CHAT discretionary data of ${data.value.length} bytes`);
  const first = data.value[0] ?? 0;
  return ok({ terminalType, role: roleOf(first), rights: first & 0x3f, discretionaryData: data.value });
}

function decodeExtensions(tlv: Tlv, base: number): DecodeResult<CvcExtension[]> {
  const at = base + tlv.headerLength;
  const items = readTlvs(tlv.value, { maxNodes: CVC_LIMITS.maxExtensions, maxLength: 1024 });
  if (!items.ok) return rebase(items, at);
  const out: CvcExtension[] = [];
  for (const item of items.value) {
    if (item.tag !== 0x73) return fail('invalid-value', at + item.offset, 'an extension is a template 73');
    const inner = readTlv(item.value);
    const oid = inner.ok && inner.value.tag === 0x06 ? decodeOidValue(inner.value.value) : undefined;
    out.push({ oid, raw: tlv.value.subarray(item.offset, item.offset + item.totalLength) });
  }
  return ok(out);
}

/** Decodes a certificate body (7F4E's TLV, starting at `base` in the caller's bytes). */
function decodeBody(
  body: Tlv,
  base: number,
): DecodeResult<Omit<CvCertificate, 'signature' | 'encoded' | 'body'>> {
  const at = base + body.headerLength;
  const items = readTlvs(body.value, { maxNodes: BODY_ORDER.length + 1, maxLength: CVC_LIMITS.maxLength });
  if (!items.ok) return rebase(items, at);
  const list = items.value;
  for (const [i, tag] of BODY_ORDER.entries()) {
    const item = list[i];
    if (item === undefined)
      return fail('truncated', at + body.value.length, `the body lacks ${tag.toString(16)}`);
    if (item.tag !== tag)
      return fail(
        'invalid-value',
        at + item.offset,
        `expected ${tag.toString(16)}, found ${item.tag.toString(16)}`,
      );
  }
  const [cpi, carTlv, keyTlv, chrTlv, chatTlv, effTlv, expTlv, extTlv] = list as [
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv | undefined,
  ];
  if (extTlv !== undefined && extTlv.tag !== CVC_TAG.extensions)
    return fail('invalid-value', at + extTlv.offset, `unexpected ${extTlv.tag.toString(16)} after the dates`);
  if (cpi.value.length !== 1)
    return fail('invalid-value', at + cpi.offset, 'the profile identifier is one byte');
  if (cpi.value[0] !== 0) return fail('unsupported', at + cpi.offset, `certificate profile ${cpi.value[0]}`);
  const car = reference(carTlv, at + carTlv.offset, 'the CAR');
  if (!car.ok) return car;
  const publicKey = decodePublicKey(keyTlv, at + keyTlv.offset);
  if (!publicKey.ok) return publicKey;
  const chr = reference(chrTlv, at + chrTlv.offset, 'the CHR');
  if (!chr.ok) return chr;
  const chat = decodeChat(chatTlv, at + chatTlv.offset);
  if (!chat.ok) return chat;
  const effective = cvcDate(effTlv, at + effTlv.offset, 'the effective date');
  if (!effective.ok) return effective;
  const expiry = cvcDate(expTlv, at + expTlv.offset, 'the expiration date');
  if (!expiry.ok) return expiry;
  if (expiry.value < effective.value)
    return fail(
      'invalid-value',
      at + expTlv.offset,
      `expires (${expiry.value}) before it is effective (${effective.value})`,
    );
  const extensions = extTlv === undefined ? ok([]) : decodeExtensions(extTlv, at + extTlv.offset);
  if (!extensions.ok) return extensions;
  return ok({
    profileIdentifier: 0,
    car: car.value,
    chr: chr.value,
    publicKey: publicKey.value,
    chat: chat.value,
    effectiveDate: effective.value,
    expirationDate: expiry.value,
    extensions: extensions.value,
  });
}

/**
 * Decodes the pair a certificate carries and PSO:Verify Certificate sends: `7F4E … 5F37 …`, nothing
 * else. Errors as `decodeCvCertificate`, offsets into `bytes`.
 */
export function decodeCvcParts(bytes: Uint8Array): DecodeResult<CvCertificate> {
  if (bytes.length > CVC_LIMITS.maxLength)
    return fail('too-large', 0, `${bytes.length} bytes; a CV certificate is at most ${CVC_LIMITS.maxLength}`);
  const items = readTlvs(bytes, { maxNodes: 3, maxLength: CVC_LIMITS.maxLength });
  if (!items.ok) return items;
  const [body, signature, ...extra] = items.value;
  if (body?.tag !== CVC_TAG.body)
    return fail('invalid-value', 0, 'a CV certificate starts with its body (7F4E)');
  if (signature?.tag !== CVC_TAG.signature)
    return fail('invalid-value', body.totalLength, 'the body is followed by the signature (5F37)');
  if (extra.length > 0)
    return fail('trailing-data', body.totalLength + signature.totalLength, 'bytes after the signature');
  if (signature.value.length === 0 || signature.value.length > 2 * CVC_LIMITS.maxIntegerLength + 512)
    return fail('invalid-value', body.totalLength, `a signature of ${signature.value.length} bytes`);
  const decoded = decodeBody(body, 0);
  if (!decoded.ok) return decoded;
  const bodyBytes = bytes.slice(0, body.totalLength);
  return ok({
    ...decoded.value,
    body: bodyBytes,
    signature: signature.value.slice(),
    encoded: encodeTlv(CVC_TAG.certificate, bytes),
  });
}

/**
 * Decodes a whole CV certificate `7F21 { 7F4E body, 5F37 signature }` (TR-03110-3 C.1).
 * Errors (offsets into `bytes`): `truncated`; `too-large` past `CVC_LIMITS`; `invalid-value` for a
 * wrong tag or order, a malformed reference, date, key or CHAT, an expiry before the effective
 * date; `unsupported` for a profile other than version 1 or a key that is not id-TA;
 * `trailing-data` after the certificate.
 */
export function decodeCvCertificate(bytes: Uint8Array): DecodeResult<CvCertificate> {
  const outer = readTlv(bytes, 0, { maxLength: CVC_LIMITS.maxLength });
  if (!outer.ok) return outer;
  if (outer.value.tag !== CVC_TAG.certificate)
    return fail('invalid-value', 0, `a CV certificate starts with 7F21, not ${outer.value.tag.toString(16)}`);
  if (outer.value.totalLength !== bytes.length)
    return fail('trailing-data', outer.value.totalLength, 'bytes after the certificate');
  const inner = decodeCvcParts(outer.value.value);
  if (!inner.ok) return rebase(inner, outer.value.headerLength);
  return ok({ ...inner.value, encoded: bytes.slice() });
}

// ---------------------------------------------------------------------------------------------
// Encoding (the simulator's test PKI, tests)

export interface CvcBodyInput {
  readonly car: string;
  readonly chr: string;
  readonly publicKey: {
    /** id-TA-ECDSA-*: the algorithm this key signs with. */
    readonly oid: string;
    /** The public point, uncompressed. */
    readonly point: Uint8Array;
    /** Domain parameters to include (CVCA certificates only, D.3.3). */
    readonly curve?: EcCurve;
  };
  readonly chat: {
    /** Default id-IS. */
    readonly terminalType?: string;
    readonly role: CvcRole;
    /** Right bits (IS_RIGHT), without the role. */
    readonly rights: number;
  };
  /** YYYY-MM-DD, 2000–2099. */
  readonly effectiveDate: string;
  readonly expirationDate: string;
  /** Discretionary data templates (73 …) for 65, as DER. */
  readonly extensions?: readonly Uint8Array[];
}

function referenceBytes(text: string, what: string): Uint8Array {
  if (text.length === 0 || text.length > CVC_LIMITS.maxReferenceLength || !/^[\x20-\x7e]+$/.test(text))
    throw new RangeError(`${what} '${text}' is not 1 to 16 printable characters`);
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function dateBytes(iso: string, what: string): Uint8Array {
  const m = /^20(\d\d)-(\d\d)-(\d\d)$/.exec(iso);
  if (!m) throw new RangeError(`${what} '${iso}' is not YYYY-MM-DD in 2000–2099`);
  return Uint8Array.from(`${m[1]}${m[2]}${m[3]}`, (c) => Number(c));
}

function minimalBytes(value: bigint): Uint8Array {
  const hex = value.toString(16);
  const padded = hex.length % 2 === 0 ? hex : `0${hex}`;
  return Uint8Array.from(padded.match(/../g) ?? ['00'], (h) => Number.parseInt(h, 16));
}

/**
 * The body's TLV, 7F4E … (the bytes the issuer signs).
 * @throws {RangeError} for a reference that is not 1–16 printable characters, a date outside
 *   2000–2099, rights over 6 bits, or a key OID that is not id-TA-ECDSA-*.
 */
export function encodeCvcBody(input: CvcBodyInput): Uint8Array {
  const { publicKey, chat } = input;
  if (taEcdsaHash(publicKey.oid) === undefined) throw new RangeError(`${publicKey.oid} is not id-TA-ECDSA-*`);
  if (!Number.isInteger(chat.rights) || chat.rights < 0 || chat.rights > 0x3f)
    throw new RangeError(`CHAT rights ${chat.rights} are not 6 bits`);
  const curve = publicKey.curve;
  const keyObjects = curve
    ? [
        encodeTlv(0x81, fieldElementBytes(curve, curve.domain.p)),
        encodeTlv(0x82, fieldElementBytes(curve, curve.domain.a)),
        encodeTlv(0x83, fieldElementBytes(curve, curve.domain.b)),
        encodeTlv(0x84, encodePoint(curve.generator)),
        encodeTlv(0x85, minimalBytes(curve.domain.n)),
        encodeTlv(0x86, publicKey.point),
        encodeTlv(0x87, minimalBytes(curve.domain.h)),
      ]
    : [encodeTlv(0x86, publicKey.point)];
  const extensions = input.extensions ?? [];
  return encodeTlv(
    CVC_TAG.body,
    encodeTlv(CVC_TAG.profileIdentifier, Uint8Array.of(0)),
    encodeTlv(CVC_TAG.car, referenceBytes(input.car, 'the CAR')),
    encodeTlv(CVC_TAG.publicKey, encodeOid(publicKey.oid), ...keyObjects),
    encodeTlv(CVC_TAG.chr, referenceBytes(input.chr, 'the CHR')),
    encodeTlv(
      CVC_TAG.chat,
      encodeOid(chat.terminalType ?? CVC_OID.inspectionSystem),
      encodeTlv(CVC_TAG.discretionaryData, Uint8Array.of(ROLE_BITS[chat.role] | chat.rights)),
    ),
    encodeTlv(CVC_TAG.effectiveDate, dateBytes(input.effectiveDate, 'the effective date')),
    encodeTlv(CVC_TAG.expirationDate, dateBytes(input.expirationDate, 'the expiration date')),
    ...(extensions.length > 0 ? [encodeTlv(CVC_TAG.extensions, ...extensions)] : []),
  );
}

/** 7F21 { body, 5F37 signature }. */
export function encodeCvCertificate(body: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeTlv(CVC_TAG.certificate, body, encodeTlv(CVC_TAG.signature, signature));
}

/** What PSO:Verify Certificate carries: the body and the signature, without 7F21 (TR-03110-3 B.11.5). */
export function cvcPsoData(certificate: CvCertificate): Uint8Array {
  return concatBytes(certificate.body, encodeTlv(CVC_TAG.signature, certificate.signature));
}

// ---------------------------------------------------------------------------------------------
// Keys and signatures

/** A certificate's key made usable: the curve (its own or inherited) and the point on it. */
export interface CvcKey {
  readonly hash: HashAlgorithm;
  readonly curve: EcCurve;
  readonly point: EcPoint;
}

/**
 * The certificate's public key on its curve: the explicit domain parameters of a CVCA certificate,
 * else `inherited` (the CVCA's curve, D.3.3). Errors: `unsupported` for RSA and unknown algorithms,
 * `invalid-value` for a curve or point that does not check, or no curve to inherit.
 */
export function cvcKey(certificate: CvCertificate, inherited: EcCurve | undefined): DecodeResult<CvcKey> {
  const { publicKey } = certificate;
  if (publicKey.hash === undefined)
    return fail('unsupported', 0, `${certificate.chr}: key algorithm ${publicKey.oid} is not ECDSA`);
  let curve = inherited;
  if (publicKey.domain !== undefined) {
    const fromDomain = curveFromDomain(publicKey.domain);
    if (!fromDomain.ok)
      return fail(fromDomain.error.reason, 0, `${certificate.chr}: ${fromDomain.error.detail}`);
    curve = fromDomain.value;
  }
  if (curve === undefined)
    return fail('invalid-value', 0, `${certificate.chr}: no domain parameters, and none to inherit`);
  const point = decodePoint(curve, publicKey.point);
  if (!point.ok) return fail('invalid-value', 0, `${certificate.chr}: ${point.error.detail}`);
  return ok({ hash: publicKey.hash, curve, point: point.value });
}

/** The hash a TA key signs with, from the injected crypto; undefined where it has none (SHA-224). */
export function taDigest(crypto: CvcCrypto, hash: HashAlgorithm, data: Uint8Array): Uint8Array | undefined {
  switch (hash) {
    case 'sha1':
      return crypto.sha1(data);
    case 'sha224':
      return crypto.sha224?.(data);
    case 'sha256':
      return crypto.sha256(data);
    case 'sha384':
      return crypto.sha384(data);
    case 'sha512':
      return crypto.sha512(data);
  }
}

/** Hashes for CV certificates and TA: 9303's set, SHA-224 where the implementation has it. */
export type CvcCrypto = Pick<Icao9303Crypto, 'sha1' | 'sha256' | 'sha384' | 'sha512'> & {
  sha224?(data: Uint8Array): Uint8Array;
};

/**
 * Whether `signature` (plain r ‖ s) over `message` verifies with `key`: 'unsupported' when the
 * crypto has no such hash. Never throws.
 */
export function verifyTaSignature(
  crypto: CvcCrypto,
  key: CvcKey,
  message: Uint8Array,
  signature: Uint8Array,
): 'valid' | 'invalid' | 'unsupported' {
  const digest = taDigest(crypto, key.hash, message);
  if (digest === undefined) return 'unsupported';
  return verifyEcdsa(key.curve, key.point, digest, signature) ? 'valid' : 'invalid';
}

/** Whether the certificate's signature verifies with the issuer's key. */
export function verifyCvcSignature(
  crypto: CvcCrypto,
  certificate: CvCertificate,
  issuerKey: CvcKey,
): 'valid' | 'invalid' | 'unsupported' {
  return verifyTaSignature(crypto, issuerKey, certificate.body, certificate.signature);
}

// ---------------------------------------------------------------------------------------------
// Chains

/** Why a chain does not hold. A fixed set: callers switch on it. */
export type CvcChainFailure =
  /** A certificate's CAR is not the CHR before it. */
  | 'issuer-mismatch'
  /** A role that cannot follow the one before (a DV under a DV, a terminal under a CVCA …). */
  | 'role-invalid'
  /** The terminal types of the CHATs differ (an id-AT certificate in an id-IS chain). */
  | 'terminal-type-mismatch'
  | 'signature-invalid'
  /** A DV or terminal certificate expired before the date checked. */
  | 'expired'
  /** A DV or terminal certificate is not yet effective on the date checked. */
  | 'not-yet-effective'
  /** A key that cannot be used (RSA, SHA-224 without the hash, a point off the curve). */
  | 'key-unusable';

export interface CvcChainError {
  readonly reason: CvcChainFailure;
  /** Index into `certificates`; -1 for the trust point. */
  readonly index: number;
  readonly chr: string;
  readonly detail: string;
}

export interface VerifiedCvcChain {
  /** AND of the rights over the trust point and every certificate (IS_RIGHT bits). */
  readonly rights: number;
  /** The last certificate's key, on its curve. */
  readonly holderKey: CvcKey;
  readonly holder: CvCertificate;
}

export type CvcChainResult =
  | { readonly ok: true; readonly value: VerifiedCvcChain }
  | { readonly ok: false; readonly error: CvcChainError };

/**
 * Whether `role` may be certified by `issuer` (TR-03110-3 §2.6.2): CVCA link and DV certificates
 * by a CVCA, terminal certificates by a DV.
 */
export function issuerMayCertify(issuer: CvcRole, role: CvcRole): boolean {
  if (role === 'cvca' || role === 'dv-domestic' || role === 'dv-foreign') return issuer === 'cvca';
  return issuer === 'dv-domestic' || issuer === 'dv-foreign';
}

/**
 * Verifies `certificates` (CVCA link certificates, then a DV, then usually a terminal) from the
 * CVCA certificate `trustPoint`, as a terminal checks its own chain before showing it: each CAR is
 * the CHR before, each role may follow the one before, each signature verifies with the key
 * before, and DV and terminal certificates are in date on `today` (YYYY-MM-DD; CVCA certificates
 * are not date-checked, as the chip does not). Never throws.
 */
export function verifyCvcChain(input: {
  readonly trustPoint: CvCertificate;
  readonly certificates: readonly CvCertificate[];
  readonly today: string;
  readonly crypto: CvcCrypto;
}): CvcChainResult {
  const { trustPoint, certificates, today, crypto } = input;
  const failure = (reason: CvcChainFailure, index: number, chr: string, detail: string): CvcChainResult => ({
    ok: false,
    error: { reason, index, chr, detail },
  });
  if (trustPoint.chat.role !== 'cvca')
    return failure(
      'role-invalid',
      -1,
      trustPoint.chr,
      `the trust point ${trustPoint.chr} is not a CVCA certificate`,
    );
  const trustKey = cvcKey(trustPoint, undefined);
  if (!trustKey.ok) return failure('key-unusable', -1, trustPoint.chr, trustKey.error.detail);
  let issuer = trustPoint;
  let issuerKey = trustKey.value;
  let rights = trustPoint.chat.rights;
  for (const [index, certificate] of certificates.entries()) {
    const { chr } = certificate;
    if (certificate.car !== issuer.chr)
      return failure(
        'issuer-mismatch',
        index,
        chr,
        `${chr} names ${certificate.car} as issuer, not ${issuer.chr}`,
      );
    if (!issuerMayCertify(issuer.chat.role, certificate.chat.role))
      return failure(
        'role-invalid',
        index,
        chr,
        `a ${certificate.chat.role} certificate cannot follow a ${issuer.chat.role} one`,
      );
    if (certificate.chat.terminalType !== trustPoint.chat.terminalType)
      return failure('terminal-type-mismatch', index, chr, `terminal type ${certificate.chat.terminalType}`);
    const verdict = verifyCvcSignature(crypto, certificate, issuerKey);
    if (verdict === 'unsupported')
      return failure('key-unusable', index, chr, `no ${issuerKey.hash} hash to check ${chr}`);
    if (verdict === 'invalid')
      return failure(
        'signature-invalid',
        index,
        chr,
        `the signature of ${chr} does not verify with ${issuer.chr}'s key`,
      );
    if (certificate.chat.role !== 'cvca') {
      if (today > certificate.expirationDate)
        return failure('expired', index, chr, `${chr} expired on ${certificate.expirationDate}`);
      if (today < certificate.effectiveDate)
        return failure(
          'not-yet-effective',
          index,
          chr,
          `${chr} is effective from ${certificate.effectiveDate}`,
        );
    }
    // A CVCA link certificate brings its own domain parameters; DV and terminal keys inherit.
    const key = cvcKey(certificate, issuerKey.curve);
    if (!key.ok) return failure('key-unusable', index, chr, key.error.detail);
    rights = certificate.chat.role === 'cvca' ? certificate.chat.rights : rights & certificate.chat.rights;
    issuer = certificate;
    issuerKey = key.value;
  }
  return { ok: true, value: { rights, holderKey: issuerKey, holder: issuer } };
}

// ---------------------------------------------------------------------------------------------
// The chip's date rules (TR-03110-3 §A.6.2; TR-03110 v2.10 §2.6.2)

/**
 * The chip's current date after it accepted `certificate` from `issuer`: moved forward to the
 * effective date of a CVCA certificate, a domestic DV certificate, or a terminal certificate a
 * domestic DV issued; foreign DVs and their terminals do not move it.
 */
export function chipDateAfter(current: string, certificate: CvCertificate, issuer: CvCertificate): string {
  const accurate =
    certificate.chat.role === 'cvca' ||
    certificate.chat.role === 'dv-domestic' ||
    (certificate.chat.role === 'terminal' && issuer.chat.role === 'dv-domestic');
  return accurate && certificate.effectiveDate > current ? certificate.effectiveDate : current;
}

/**
 * Whether the chip takes `certificate` on its current date: CVCA certificates always (expired link
 * certificates included), others unless they expired before it. A certificate not yet effective
 * is taken: the chip cannot know the real time.
 */
export function chipAcceptsDate(current: string, certificate: CvCertificate): boolean {
  return certificate.chat.role === 'cvca' || certificate.expirationDate >= current;
}

/** Same key and holder: `a` and `b` are the same certificate as far as a chain goes. */
export function sameCvCertificate(a: CvCertificate, b: CvCertificate): boolean {
  return a.chr === b.chr && a.car === b.car && equalBytes(a.body, b.body);
}
