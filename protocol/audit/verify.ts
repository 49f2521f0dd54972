/**
 * Walks an audit log and reports the first break: which line, and what kind. Pure: it reads the
 * chunks it is given (a file stream at the station, bytes in tests) and holds at most one line
 * (MAX_LINE_BYTES) plus one chunk, whatever the input.
 *
 * | kind | what the line shows |
 * |---|---|
 * | `bad-json` | not UTF-8 JSON, or longer than MAX_LINE_BYTES, or empty |
 * | `malformed` | JSON, but not an entry (members, types, patterns) |
 * | `edited` | its hash is not the hash of its content, it is not in canonical form, or its `prev` does not name the line before (that line, or this one, was rewritten with a fresh hash) |
 * | `deleted` | its `seq` skips ahead and the skipped ones appear nowhere later |
 * | `reordered` | its `seq` goes back, or skips ahead to entries that appear later |
 * | `bad-checkpoint` | a checkpoint that does not certify the entry before it, or that the caller's check refused (a signature) |
 * | `truncated` | the chain ends before the anchor's `seq` (what central acknowledged): truncation, rollback, restore from backup |
 * | `anchor-mismatch` | the entry at the anchor's `seq` has another hash: the chain was rewritten from there |
 *
 * A last line without its newline is a **torn tail**: an append cut by a power failure before it was
 * durable (the writer resolves an append only after fsync, so no one was told it happened). It is
 * reported apart (`tornTail`), never as a break; the station moves it aside at open.
 */
import { type CheckpointStatement, checkpointOf } from './checkpoint.ts';
import {
  type AuditAnchor,
  type AuditEntry,
  EMPTY_ANCHOR,
  entryLine,
  entryShape,
  MAX_LINE_BYTES,
  type Sha256,
  toHex,
} from './entry.ts';

export type ChainBreakKind =
  | 'bad-json'
  | 'malformed'
  | 'edited'
  | 'deleted'
  | 'reordered'
  | 'bad-checkpoint'
  | 'truncated'
  | 'anchor-mismatch';

export interface ChainBreak {
  readonly kind: ChainBreakKind;
  /** 1-based line number; for `truncated`, the line after the last. */
  readonly line: number;
  /** Byte offset where that line starts. */
  readonly offset: number;
  /** The seq the line should have had (for `truncated`/`anchor-mismatch`: the anchor's). */
  readonly seq: number;
  /** What was found, for people and logs; never parsed. */
  readonly detail: string;
}

/** Bytes after the last newline. */
export interface TornTail {
  readonly line: number;
  readonly offset: number;
  readonly length: number;
}

interface VerificationBase {
  /** Where the verified part of the chain ends: its last good entry's seq and hash. */
  readonly head: AuditAnchor;
  /** Byte offset just after the last good entry's newline. */
  readonly verifiedBytes: number;
  /** Complete lines read. */
  readonly lines: number;
  readonly checkpoints: { readonly signed: number; readonly unsigned: number };
  /** The latest checkpoint seen, if any. */
  readonly lastCheckpoint?: CheckpointStatement & { readonly signed: boolean };
  readonly tornTail?: TornTail;
}

export type ChainVerification =
  | (VerificationBase & {
      readonly ok: true;
      /** True when an anchor was given and the chain holds it (same seq, same hash). */
      readonly anchorHeld: boolean;
    })
  | (VerificationBase & { readonly ok: false; readonly break: ChainBreak });

export interface VerifyChainOptions {
  readonly sha256: Sha256;
  /** Where this file's chain starts (a later segment starts at the previous one's head). */
  readonly start?: AuditAnchor;
  /** The latest anchor central echoed: the chain must still hold it. */
  readonly anchor?: AuditAnchor;
  /**
   * Called for every entry that passed the chain checks, in order. A string result is a
   * `bad-checkpoint` break with that detail (station/audit checks checkpoint signatures here).
   */
  readonly onEntry?: (entry: AuditEntry, line: number) => undefined | string | Promise<undefined | string>;
  /**
   * Where `source` starts in the file, when it is the tail after a prefix verified before: the
   * prefix's byte length and line count, so offsets and line numbers stay the file's. Default 0.
   */
  readonly startOffset?: number;
  readonly startLine?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

type Parsed = { readonly entry: AuditEntry } | { readonly kind: ChainBreakKind; readonly detail: string };

/**
 * One line (without its newline) as an entry whose hash is the hash of its content, or why not.
 * Does not check its place in a chain. Never throws on the bytes.
 */
export function parseAuditLine(bytes: Uint8Array, sha256: Sha256): Promise<Parsed> {
  return parseLine(bytes.length > MAX_LINE_BYTES ? undefined : bytes, sha256);
}

async function parseLine(bytes: Uint8Array | undefined, sha256: Sha256): Promise<Parsed> {
  if (bytes === undefined) return { kind: 'bad-json', detail: `longer than ${MAX_LINE_BYTES} bytes` };
  if (bytes.length === 0) return { kind: 'bad-json', detail: 'empty line' };
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return { kind: 'bad-json', detail: 'not UTF-8 JSON' };
  }
  const shaped = entryShape(value);
  if (typeof shaped === 'string') return { kind: 'malformed', detail: shaped };
  let canonical: string;
  try {
    canonical = entryLine(shaped);
  } catch (error) {
    return { kind: 'malformed', detail: (error as Error).message };
  }
  if (canonical !== text) return { kind: 'edited', detail: 'not in canonical form (changed by hand)' };
  if ((await lineHash(text, shaped.hash, sha256)) !== shaped.hash)
    return { kind: 'edited', detail: `entry seq ${shaped.seq}: its hash is not the hash of its content` };
  return { entry: shaped };
}

/**
 * The hash of a canonical line's entry: the line without its top-level `,"hash":"…"` member is the
 * canonical entry without `hash` (keys are sorted, `hash` is neither first nor last), so the text
 * is not serialised twice. It is the last occurrence: only `details` (flat, before `hash`) could
 * hold the same text, and `outcome`, `prev`, `seq`, `subject`, `time` after it cannot.
 */
async function lineHash(line: string, hash: string, sha256: Sha256): Promise<string> {
  const member = `,"hash":"${hash}"`;
  const at = line.lastIndexOf(member);
  return toHex(await sha256(utf8Encoder.encode(line.slice(0, at) + line.slice(at + member.length))));
}

/** The `seq` member of a line, when it parses far enough to have one (gap classification only). */
function seqOf(bytes: Uint8Array | undefined): number | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    const seq = (value as { seq?: unknown } | null)?.seq;
    return typeof seq === 'number' ? seq : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Splits chunks into lines, keeping at most MAX_LINE_BYTES of an unfinished line: a longer line is
 * yielded as `undefined` (its bytes dropped, its length still counted for offsets).
 */
async function* lines(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  startOffset: number,
): AsyncGenerator<{ bytes: Uint8Array | undefined; offset: number; terminated: boolean; length: number }> {
  let parts: Uint8Array[] = [];
  let held = 0;
  let length = 0;
  let overlong = false;
  let offset = startOffset;
  const take = (): Uint8Array | undefined => {
    if (overlong) return undefined;
    const out = new Uint8Array(held);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  };
  const add = (part: Uint8Array) => {
    length += part.length;
    if (overlong) return;
    if (held + part.length > MAX_LINE_BYTES) {
      overlong = true;
      parts = [];
      held = 0;
      return;
    }
    if (part.length > 0) parts.push(part.slice());
    held += part.length;
  };
  for await (const chunk of source) {
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(10, from);
      if (newline < 0) {
        add(chunk.subarray(from));
        break;
      }
      add(chunk.subarray(from, newline));
      yield { bytes: take(), offset, terminated: true, length };
      offset += length + 1;
      parts = [];
      held = 0;
      length = 0;
      overlong = false;
      from = newline + 1;
    }
  }
  if (length > 0) yield { bytes: take(), offset, terminated: false, length };
}

/**
 * Verifies the chain in `source` (chunks of the log file, in order). Resolves a result for any
 * input bytes, never throws on them; rejects only when `sha256` or `onEntry` rejects.
 */
export async function verifyChain(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: VerifyChainOptions,
): Promise<ChainVerification> {
  const start = options.start ?? EMPTY_ANCHOR;
  let head = start;
  let verifiedBytes = options.startOffset ?? 0;
  let count = options.startLine ?? 0;
  let signed = 0;
  let unsigned = 0;
  let lastCheckpoint: (CheckpointStatement & { signed: boolean }) | undefined;
  let tornTail: TornTail | undefined;
  let found: ChainBreak | undefined;
  /** A forward skip waiting to be told deleted or reordered: the missing seqs [from, to). */
  let gap: { from: number; to: number } | undefined;
  let anchorHeld =
    options.anchor !== undefined && options.anchor.seq === start.seq && options.anchor.head === start.head;

  for await (const line of lines(source, options.startOffset ?? 0)) {
    if (!line.terminated) {
      tornTail = { line: count + 1, offset: line.offset, length: line.length };
      break;
    }
    count += 1;
    if (found !== undefined) {
      // Only classifying a skip now: does a missing seq turn up later?
      const seq = seqOf(line.bytes);
      if (gap !== undefined && seq !== undefined && seq >= gap.from && seq < gap.to) {
        found = {
          ...found,
          kind: 'reordered',
          detail: `${found.detail}; seq ${seq} appears later, at line ${count}`,
        };
        gap = undefined;
      }
      continue;
    }
    const expected = head.seq + 1;
    const at = { line: count, offset: line.offset, seq: expected };
    const parsed = await parseLine(line.bytes, options.sha256);
    if (!('entry' in parsed)) {
      found = { ...at, kind: parsed.kind, detail: parsed.detail };
      continue;
    }
    const entry = parsed.entry;
    if (entry.seq < expected) {
      found = { ...at, kind: 'reordered', detail: `seq ${entry.seq} where ${expected} was due` };
      continue;
    }
    if (entry.seq > expected) {
      found = {
        ...at,
        kind: 'deleted',
        detail: `seq ${entry.seq} where ${expected} was due: ${entry.seq - expected} entr${entry.seq - expected === 1 ? 'y is' : 'ies are'} missing`,
      };
      gap = { from: expected, to: entry.seq };
      continue;
    }
    if (entry.prev !== head.head) {
      found = {
        ...at,
        kind: 'edited',
        detail: `prev does not name the entry before (seq ${head.seq}): that line or this one was rewritten`,
      };
      continue;
    }
    const checkpoint = checkpointOf(entry);
    if (typeof checkpoint === 'string') {
      found = { ...at, kind: 'bad-checkpoint', detail: checkpoint };
      continue;
    }
    if (checkpoint !== undefined && (checkpoint.seq !== head.seq || checkpoint.head !== head.head)) {
      found = {
        ...at,
        kind: 'bad-checkpoint',
        detail: `certifies seq ${checkpoint.seq}, not the entry before it`,
      };
      continue;
    }
    const anchor = options.anchor;
    if (anchor !== undefined && entry.seq === anchor.seq) {
      if (entry.hash !== anchor.head) {
        found = {
          ...at,
          kind: 'anchor-mismatch',
          detail: `the chain differs at seq ${anchor.seq} from what central acknowledged (rewritten from there on)`,
        };
        continue;
      }
      anchorHeld = true;
    }
    const refused = await options.onEntry?.(entry, count);
    if (refused !== undefined) {
      found = { ...at, kind: 'bad-checkpoint', detail: refused };
      continue;
    }
    if (checkpoint !== undefined) {
      if (checkpoint.signed) signed += 1;
      else unsigned += 1;
      lastCheckpoint = {
        seq: checkpoint.seq,
        head: checkpoint.head,
        time: checkpoint.time,
        signed: checkpoint.signed,
      };
    }
    head = { seq: entry.seq, head: entry.hash };
    verifiedBytes = line.offset + line.length + 1;
  }

  const base = {
    head,
    verifiedBytes,
    lines: count,
    checkpoints: { signed, unsigned },
    ...(lastCheckpoint === undefined ? {} : { lastCheckpoint }),
    ...(tornTail === undefined ? {} : { tornTail }),
  };
  if (found !== undefined) return { ...base, ok: false, break: found };
  const anchor = options.anchor;
  if (anchor !== undefined && anchor.seq > head.seq)
    return {
      ...base,
      ok: false,
      break: {
        kind: 'truncated',
        line: count + 1,
        offset: verifiedBytes,
        seq: anchor.seq,
        detail: `the chain is shorter than what central acknowledged: it ends at seq ${head.seq}, central holds seq ${anchor.seq}`,
      },
    };
  return { ...base, ok: true, anchorHeld };
}
