/**
 * Central's signed statements about one packet (issue 18; CONTRACT.md in this folder): a **receipt**
 * ("I hold this packet, durably") or a **refusal** ("I refuse this packet for good, and why").
 *
 * A statement is a JWS in compact serialization (RFC 7515 §7.1), signed ES256 (RFC 7518 §3.4: ECDSA
 * P-256 over SHA-256, the signature as raw r‖s, 64 bytes) by central's receipt-signing key. Its
 * protected header names the key by `kid`: the lowercase hex SHA-256 of that key's X.509 certificate
 * (DER), which the station pins. The payload is JSON (below). Pure: the signature check is injected.
 */
import type { SignatureCheck } from '../icao9303/pa.ts';

/** The media type a statement travels as (RFC 7515 §9.2.1). */
export const STATEMENT_MEDIA_TYPE = 'application/jose';
/** The JWS `typ` of a statement. */
export const STATEMENT_TYPE = 'cccd-central-statement';
/** Largest statement accepted, bytes (a receipt is about 700). */
export const STATEMENT_MAX_LENGTH = 16 * 1024;

/** An officer-facing message, Vietnamese first. */
export interface StatementMessage {
  readonly vi: string;
  readonly en: string;
}

interface StatementBase {
  /** Format version: 1. */
  readonly v: 1;
  /** The packet's id (manifest packetId, a UUID). */
  readonly packetId: string;
  /** Lowercase hex SHA-256 of the packet's bytes exactly as uploaded (the outbox file). */
  readonly sha256: string;
  /** The packet's length, bytes. */
  readonly size: number;
  /** The environment central serves: 'test' or 'production'. */
  readonly environment: string;
  /** The station that uploaded it, as its client certificate names it (CN). */
  readonly stationId: string;
  /** The `kid` of the key that signed this statement (repeated from the header, bound by the signature). */
  readonly centralKeyId: string;
}

export interface Receipt extends StatementBase {
  readonly kind: 'receipt';
  /** When central had the packet durably, ISO 8601 UTC with milliseconds. */
  readonly receivedAt: string;
  /** The enrollment session the packet belongs to (from its manifest). */
  readonly enrollmentSessionId: string;
  /**
   * The highest audit-chain anchor central has seen from this station (manifest `audit`, over every
   * packet it accepted up to this one), signed with the rest: the station keeps it and requires its
   * audit log to still hold it (protocol/audit). Absent while central has seen none.
   */
  readonly audit?: AuditAnchorField;
}

/** An audit-chain anchor as statements carry it: the entry's seq and its hash (lowercase hex). */
export interface AuditAnchorField {
  readonly seq: number;
  readonly head: string;
}

export interface Refusal extends StatementBase {
  readonly kind: 'refusal';
  /** When central decided, ISO 8601 UTC with milliseconds. */
  readonly decidedAt: string;
  /** Stable code of the refusal (CONTRACT.md lists them). */
  readonly code: string;
  readonly message: StatementMessage;
}

export type Statement = Receipt | Refusal;

/** Why a statement is not accepted. Callers switch on `reason`, never on `detail`. */
export type StatementProblem =
  | 'malformed' // not a compact JWS, bad base64url, bad JSON, missing or mistyped fields, too large
  | 'unsupported' // another alg, typ or version
  | 'unknown-key' // kid names no pinned certificate
  | 'bad-signature'
  | 'wrong-packet' // packetId, sha256 or size differ from what was asked about
  | 'wrong-station'
  | 'wrong-environment';

export type StatementCheck =
  | { readonly ok: true; readonly statement: Statement }
  | { readonly ok: false; readonly problem: StatementProblem; readonly detail: string };

/** A pinned receipt-signing key: its kid and its SubjectPublicKeyInfo (DER). */
export interface PinnedStatementKey {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
}

export interface StatementExpectation {
  readonly packetId: string;
  readonly sha256: string;
  readonly size: number;
  readonly stationId: string;
  readonly environment: string;
}

const ES256: SignatureCheck['scheme'] = { kind: 'ecdsa', hash: 'sha256', encoding: 'plain' };
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PACKET_ID = /^[0-9A-Za-z-]{1,64}$/;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const digit = (n: number): string => B64URL.charAt(n & 63);

/** base64url without padding (RFC 7515 §2). */
export function base64UrlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += digit(n >> 18) + digit(n >> 12) + digit(n >> 6) + digit(n);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += digit(n >> 18) + digit(n >> 12);
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += digit(n >> 18) + digit(n >> 12) + digit(n >> 6);
  }
  return out;
}

/** Bytes of base64url text without padding, or undefined when it is not canonical base64url. */
export function base64UrlDecode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of text) {
    value = (value << 6) | B64URL.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  // Non-canonical: leftover bits must be zero.
  if ((value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The bytes central signs for a statement (the JWS signing input), from its header fields and
 * payload. Central's signer signs these with ES256 (raw r‖s) and calls `joinStatement`.
 */
export function statementSigningInput(keyId: string, statement: Statement): string {
  const header = { alg: 'ES256', typ: STATEMENT_TYPE, kid: keyId };
  return `${base64UrlEncode(utf8.encode(JSON.stringify(header)))}.${base64UrlEncode(utf8.encode(JSON.stringify(statement)))}`;
}

/** The compact JWS: signing input and the 64-byte r‖s signature. */
export function joinStatement(signingInput: string, signature: Uint8Array): Uint8Array {
  return utf8.encode(`${signingInput}.${base64UrlEncode(signature)}`);
}

function fail(problem: StatementProblem, detail: string): StatementCheck {
  return { ok: false, problem, detail };
}

function isMessage(value: unknown): value is StatementMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { vi?: unknown }).vi === 'string' &&
    typeof (value as { en?: unknown }).en === 'string'
  );
}

function isAnchorField(value: unknown): value is AuditAnchorField {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { seq, head } = value as Record<string, unknown>;
  return (
    Object.keys(value).length === 2 &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq >= 0 &&
    typeof head === 'string' &&
    HEX64.test(head)
  );
}

/** Checks the payload's shape; returns a reason or the typed statement. */
function shapeOf(payload: unknown): Statement | string {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return 'payload is not an object';
  const p = payload as Record<string, unknown>;
  if (p.v !== 1) return `version ${String(p.v)} is not 1`;
  if (typeof p.packetId !== 'string' || !PACKET_ID.test(p.packetId)) return 'packetId missing or malformed';
  if (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256)) return 'sha256 missing or not lowercase hex';
  if (typeof p.size !== 'number' || !Number.isSafeInteger(p.size) || p.size <= 0) return 'size missing';
  for (const field of ['environment', 'stationId', 'centralKeyId'] as const)
    if (typeof p[field] !== 'string' || p[field] === '') return `${field} missing`;
  if (p.kind === 'receipt') {
    if (typeof p.receivedAt !== 'string' || !ISO_UTC.test(p.receivedAt))
      return 'receivedAt missing or malformed';
    if (typeof p.enrollmentSessionId !== 'string' || p.enrollmentSessionId === '')
      return 'enrollmentSessionId missing';
    if (p.audit !== undefined && !isAnchorField(p.audit)) return 'audit is not { seq, head }';
    return p as unknown as Receipt;
  }
  if (p.kind === 'refusal') {
    if (typeof p.decidedAt !== 'string' || !ISO_UTC.test(p.decidedAt))
      return 'decidedAt missing or malformed';
    if (typeof p.code !== 'string' || p.code === '') return 'code missing';
    if (!isMessage(p.message)) return 'message missing';
    return p as unknown as Refusal;
  }
  return `kind ${String(p.kind)} is neither receipt nor refusal`;
}

/**
 * Decodes a statement without checking its signature (for display and logs only: never act on it).
 */
export function peekStatement(bytes: Uint8Array): Statement | undefined {
  if (bytes.length > STATEMENT_MAX_LENGTH) return undefined;
  try {
    const parts = utf8Decoder.decode(bytes).split('.');
    const payload = parts.length === 3 ? base64UrlDecode(parts[1] ?? '') : undefined;
    if (payload === undefined) return undefined;
    const shaped = shapeOf(JSON.parse(utf8Decoder.decode(payload)));
    return typeof shaped === 'string' ? undefined : shaped;
  } catch {
    return undefined;
  }
}

export interface VerifyStatementOptions {
  readonly pinned: readonly PinnedStatementKey[];
  /** What the statement must be about; omit to check only the signature and shape (import of a folder). */
  readonly expect?: StatementExpectation | undefined;
  readonly verifySignature: (check: SignatureCheck) => Promise<boolean>;
}

/**
 * Verifies a statement: compact JWS, ES256, `typ`, a pinned `kid` (also equal to the payload's
 * `centralKeyId`), the signature, the payload's shape, and (when `expect` is given) that it is about
 * this packet (id, digest, size), this station and this environment. Never throws on input bytes.
 */
export async function verifyStatement(
  bytes: Uint8Array,
  options: VerifyStatementOptions,
): Promise<StatementCheck> {
  if (bytes.length === 0 || bytes.length > STATEMENT_MAX_LENGTH)
    return fail('malformed', `a statement is 1 to ${STATEMENT_MAX_LENGTH} bytes, not ${bytes.length}`);
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    return fail('malformed', 'not UTF-8 text');
  }
  const parts = text.trim().split('.');
  if (parts.length !== 3) return fail('malformed', `a compact JWS has 3 parts, this has ${parts.length}`);
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const headerBytes = base64UrlDecode(headerPart);
  const payloadBytes = base64UrlDecode(payloadPart);
  const signature = base64UrlDecode(signaturePart);
  if (headerBytes === undefined || payloadBytes === undefined || signature === undefined)
    return fail('malformed', 'a part is not base64url');
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(utf8Decoder.decode(headerBytes));
    payload = JSON.parse(utf8Decoder.decode(payloadBytes));
  } catch {
    return fail('malformed', 'header or payload is not JSON');
  }
  if (typeof header !== 'object' || header === null) return fail('malformed', 'header is not an object');
  const { alg, typ, kid, crit } = header as Record<string, unknown>;
  if (alg !== 'ES256') return fail('unsupported', `alg ${String(alg)} is not ES256`);
  if (typ !== STATEMENT_TYPE) return fail('unsupported', `typ ${String(typ)} is not ${STATEMENT_TYPE}`);
  if (crit !== undefined) return fail('unsupported', 'crit header parameters are not understood');
  if (typeof kid !== 'string') return fail('malformed', 'kid missing');
  const key = options.pinned.find((candidate) => candidate.keyId === kid);
  if (key === undefined) return fail('unknown-key', `kid ${kid.slice(0, 16)}… is not a pinned central key`);
  if (signature.length !== 64)
    return fail('bad-signature', `an ES256 signature is 64 bytes, not ${signature.length}`);
  const valid = await options.verifySignature({
    scheme: ES256,
    publicKey: key.publicKey,
    data: utf8.encode(`${headerPart}.${payloadPart}`),
    signature,
  });
  if (!valid) return fail('bad-signature', 'the signature does not verify with the pinned key');
  const statement = shapeOf(payload);
  if (typeof statement === 'string') return fail('malformed', statement);
  if (statement.centralKeyId !== kid) return fail('malformed', 'centralKeyId differs from the header kid');
  const expect = options.expect;
  if (expect !== undefined) {
    if (statement.packetId !== expect.packetId)
      return fail('wrong-packet', `for packet ${statement.packetId}, not ${expect.packetId}`);
    if (statement.sha256 !== expect.sha256.toLowerCase() || statement.size !== expect.size)
      return fail('wrong-packet', 'for other bytes of this packet (digest or size differ)');
    if (statement.stationId !== expect.stationId)
      return fail('wrong-station', `for station ${statement.stationId}, not ${expect.stationId}`);
    if (statement.environment !== expect.environment)
      return fail('wrong-environment', `for environment ${statement.environment}, not ${expect.environment}`);
  }
  return { ok: true, statement };
}
