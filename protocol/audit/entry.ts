/**
 * One entry of the station's audit trail (issue 21, Build 8; README.md beside this file): who did
 * what, when, to which applicant or card (as keyed pseudonyms only), with what outcome. Entries are
 * UTF-8 JSON, one per line, each naming the previous entry's hash (`prev`) and carrying its own
 * (`hash`), so editing, removing or reordering a line breaks the chain where it happened.
 *
 * Canonical form: RFC 8785 (JSON Canonicalization Scheme) over the restricted value set this file
 * allows (objects, strings, safe integers, booleans, null; no arrays, no fractions), which for that
 * set is `JSON.stringify` with every object's keys sorted by UTF-16 code units. A third party
 * recomputes a hash with any JCS library: hash = lowercase hex SHA-256 of the UTF-8 of the canonical
 * entry without its `hash` member (`prev` included). The line in the file is the canonical entry
 * with `hash`, so any other spelling of the same values (spaces, key order, escapes, a duplicate
 * key) is itself an edit.
 *
 * Pure: no clock, no I/O; SHA-256 is injected (as protocol/packet's PacketCrypto.sha256).
 */

/** Resolves the 32-byte SHA-256 digest of `data` (PacketCrypto.sha256 satisfies it). */
export type Sha256 = (data: Uint8Array) => Promise<Uint8Array>;

/** `prev` of the first entry of a chain: 64 zeros. */
export const GENESIS_HEAD = '0'.repeat(64);
/** Format of the entries and of the canonical form; the chain's first entry records it. */
export const AUDIT_FORMAT_VERSION = 1;
/** Longest line accepted, bytes without its newline. */
export const MAX_LINE_BYTES = 8192;
/** Most members of `details`. */
export const MAX_DETAILS = 32;
/** Longest string value of `details`, UTF-16 code units. */
export const MAX_DETAIL_STRING = 1024;

export type AuditOutcome = 'ok' | 'failed' | 'refused';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['ok', 'failed', 'refused'];

/**
 * What an entry is about. Every value but `officer` is a pseudonym (`pseudonymInput` keyed with the
 * station's HMAC key, lowercase hex): never a citizen id, a card number or a packet id in clear.
 */
export type SubjectKind = 'citizen' | 'document' | 'packet' | 'session' | 'report' | 'officer';
export const SUBJECT_KINDS: readonly SubjectKind[] = [
  'citizen',
  'document',
  'packet',
  'session',
  'report',
  'officer',
];
export type AuditSubject = Readonly<Partial<Record<SubjectKind, string>>>;

/** A value of `details`: no arrays or nested objects, so the canonical form stays trivial. */
export type DetailValue = string | number | boolean | null;
export type AuditDetails = Readonly<Record<string, DetailValue>>;

/** An entry as the file holds it. */
export interface AuditEntry {
  /** 1 for a chain's first entry, then +1 per entry. */
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds, from the station's clock. */
  readonly time: string;
  /** The officer's account id, or `station` for what the station does by itself. */
  readonly actor: string;
  /** A stable code, `domain.verb` (e.g. `enrollment.signed`, `audit.checkpoint`). */
  readonly action: string;
  readonly subject: AuditSubject;
  readonly outcome: AuditOutcome;
  readonly details: AuditDetails;
  /** `hash` of the previous entry (GENESIS_HEAD for the first). */
  readonly prev: string;
  /** SHA-256 of the canonical entry without `hash`, lowercase hex. */
  readonly hash: string;
}

/** What a writer supplies for a new entry; the chain fills `seq`, `prev` and `hash`. */
export type AuditRecord = Omit<AuditEntry, 'seq' | 'prev' | 'hash'>;

/**
 * Where a chain stands: the last entry's `seq` and `hash` (`{ seq: 0, head: GENESIS_HEAD }` for an
 * empty chain). Packets carry it, central keeps the highest per station and echoes it in receipts.
 */
export interface AuditAnchor {
  readonly seq: number;
  readonly head: string;
}

export const EMPTY_ANCHOR: AuditAnchor = { seq: 0, head: GENESIS_HEAD };

const HEX64 = /^[0-9a-f]{64}$/;
const TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const ACTOR = /^[A-Za-z0-9._:-]{1,64}$/;
const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){1,3}$/;
const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ENTRY_KEYS = ['action', 'actor', 'details', 'hash', 'outcome', 'prev', 'seq', 'subject', 'time'];
/**
 * Twelve digits standing alone (no letter or digit either side) in a detail string: the shape of a
 * citizen id or a card number. Refused at record time, so careless code cannot leak one through
 * `details`. Runs inside a hex digest or base64 signature sit between letters and digits, so
 * those pass.
 */
const TWELVE_DIGITS = /(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])/;
/** With the `u` flag a surrogate pair is one code point, so this matches only a lone surrogate. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function wellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function isHex64(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/** An anchor's shape: a safe integer `seq` ≥ 0 and a 64-hex `head` (GENESIS_HEAD only at 0). */
export function isAuditAnchor(value: unknown): value is AuditAnchor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { seq, head } = value as Record<string, unknown>;
  if (Object.keys(value).length !== 2) return false;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || !isHex64(head)) return false;
  return (seq === 0) === (head === GENESIS_HEAD);
}

// ---------------------------------------------------------------------------------------------
// Canonical form (RFC 8785 over the restricted value set)

type Canonical = string | number | boolean | null | { readonly [key: string]: Canonical };

/**
 * RFC 8785 text of `value`.
 * @throws {TypeError} for a value outside the restricted set (array, fraction, unsafe integer,
 *   undefined, lone surrogate): a programmer error, since callers validate first.
 */
export function canonicalJson(value: Canonical): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${value}`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') {
    if (!wellFormed(value)) throw new TypeError('a string holds a lone surrogate');
    return JSON.stringify(value);
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`not canonicalisable: ${typeof value}`);
  // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
  const keys = Object.keys(value).sort();
  return `{${keys
    .map((key) => {
      const member = value[key];
      if (member === undefined) throw new TypeError(`member ${key} is undefined`);
      return `${canonicalJson(key)}:${canonicalJson(member)}`;
    })
    .join(',')}}`;
}

const utf8 = new TextEncoder();

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** The bytes an entry's hash is computed over: the canonical entry without `hash`, UTF-8. */
export function hashInput(entry: Omit<AuditEntry, 'hash'>): Uint8Array {
  const { hash: _ignored, ...rest } = entry as AuditEntry;
  return utf8.encode(canonicalJson(rest as unknown as Canonical));
}

/** The entry's hash, lowercase hex. Rejects only when `sha256` rejects. */
export async function entryHash(entry: Omit<AuditEntry, 'hash'>, sha256: Sha256): Promise<string> {
  return hex(await sha256(hashInput(entry)));
}

/** The line of an entry in the file, without its newline. */
export function entryLine(entry: AuditEntry): string {
  return canonicalJson(entry as unknown as Canonical);
}

// ---------------------------------------------------------------------------------------------
// Shape

/**
 * Why `record` (or an entry's non-chain fields) is not acceptable, or undefined when it is.
 * Checks lengths, patterns, the subject's kinds and pseudonyms, and the details' keys and values,
 * including that no detail string holds a standalone run of twelve digits (a citizen id's shape).
 */
export function recordProblem(record: AuditRecord): string | undefined {
  if (typeof record.time !== 'string' || !TIME.test(record.time)) return 'time is not ISO 8601 UTC with ms';
  if (typeof record.actor !== 'string' || !ACTOR.test(record.actor)) return 'actor is not an account id';
  if (typeof record.action !== 'string' || !ACTION.test(record.action) || record.action.length > 64)
    return 'action is not a stable code (domain.verb)';
  if (!AUDIT_OUTCOMES.includes(record.outcome)) return `outcome is not one of ${AUDIT_OUTCOMES.join(', ')}`;
  const subject = record.subject as unknown;
  if (typeof subject !== 'object' || subject === null || Array.isArray(subject))
    return 'subject is not an object';
  for (const [kind, value] of Object.entries(subject)) {
    if (!SUBJECT_KINDS.includes(kind as SubjectKind)) return `subject kind ${kind} is not known`;
    if (kind === 'officer' ? !(typeof value === 'string' && ACTOR.test(value)) : !isHex64(value))
      return kind === 'officer'
        ? 'subject.officer is not an account id'
        : `subject.${kind} is not a pseudonym (64 hex digits)`;
  }
  const details = record.details as unknown;
  if (typeof details !== 'object' || details === null || Array.isArray(details))
    return 'details is not an object';
  const entries = Object.entries(details);
  if (entries.length > MAX_DETAILS) return `details has more than ${MAX_DETAILS} members`;
  for (const [key, value] of entries) {
    if (!DETAIL_KEY.test(key)) return `details key ${JSON.stringify(key.slice(0, 70))} is not allowed`;
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) return `details.${key} is not a safe integer`;
      continue;
    }
    if (typeof value !== 'string') return `details.${key} is not a string, integer, boolean or null`;
    if (value.length > MAX_DETAIL_STRING) return `details.${key} is longer than ${MAX_DETAIL_STRING}`;
    if (!wellFormed(value)) return `details.${key} holds a lone surrogate`;
    if (TWELVE_DIGITS.test(value)) return `details.${key} holds twelve digits standing alone (a citizen id?)`;
  }
  return undefined;
}

/**
 * The entry `value` parses to, or why it is not one (members, types, patterns; `recordProblem`).
 * Does not check the hash or the chain.
 */
export function entryShape(value: unknown): AuditEntry | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const keys = Object.keys(value).sort();
  if (keys.length !== ENTRY_KEYS.length || keys.some((key, i) => key !== ENTRY_KEYS[i]))
    return `members are ${keys.join(', ').slice(0, 200)}, not ${ENTRY_KEYS.join(', ')}`;
  const entry = value as AuditEntry;
  if (typeof entry.seq !== 'number' || !Number.isSafeInteger(entry.seq) || entry.seq < 1)
    return 'seq is not a positive integer';
  if (!isHex64(entry.prev)) return 'prev is not 64 hex digits';
  if (!isHex64(entry.hash)) return 'hash is not 64 hex digits';
  return recordProblem(entry) ?? entry;
}

/**
 * The next entry of a chain that stands at `after`.
 * @throws {TypeError} when `record` breaks `recordProblem` (a programmer error: the caller builds it).
 */
export async function chainEntry(
  after: AuditAnchor,
  record: AuditRecord,
  sha256: Sha256,
): Promise<AuditEntry> {
  const problem = recordProblem(record);
  if (problem !== undefined) throw new TypeError(`audit record refused: ${problem}`);
  const unhashed = {
    seq: after.seq + 1,
    time: record.time,
    actor: record.actor,
    action: record.action,
    subject: record.subject,
    outcome: record.outcome,
    details: record.details,
    prev: after.head,
  };
  const entry: AuditEntry = { ...unhashed, hash: await entryHash(unhashed, sha256) };
  if (utf8.encode(entryLine(entry)).length > MAX_LINE_BYTES)
    throw new TypeError(`audit record refused: its line exceeds ${MAX_LINE_BYTES} bytes`);
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Pseudonyms

/**
 * The message a subject's pseudonym is the HMAC-SHA-256 of, under the station's audit key:
 * `cccd-audit-pseudonym:v1:<kind>:<value>` in UTF-8. The kind separates domains, so a card number
 * and a packet id with the same text get different pseudonyms. A plain hash would not do: twelve
 * digits are 10^12 candidates, an afternoon of hashing; without the key nothing can be enumerated.
 * @throws {TypeError} for the `officer` kind (not pseudonymised) or an empty value.
 */
export function pseudonymInput(kind: Exclude<SubjectKind, 'officer'>, value: string): Uint8Array {
  if (!SUBJECT_KINDS.includes(kind) || kind === ('officer' as SubjectKind))
    throw new TypeError(`no pseudonym for subject kind ${kind}`);
  if (value === '') throw new TypeError('an empty identifier has no pseudonym');
  return utf8.encode(`cccd-audit-pseudonym:v1:${kind}:${value.normalize('NFC')}`);
}

export { hex as toHex };
