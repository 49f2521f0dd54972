/**
 * The station's audit trail (issue 21, Build 8; README.md in this folder): one append-only,
 * hash-chained log per data folder, `<dataDir>/audit/audit.log`, written by this process only.
 *
 * Durability: `record()` resolves only after the entry's line was written with O_APPEND and
 * fdatasync'd, so a resolved entry survives a power cut. Appends are serialised; those that arrive
 * while a write is in flight go out together in the next write and its one fsync (group commit), so
 * a burst costs one fsync per batch, never one entry less durable. A failed write or fsync stops the
 * trail (AUDIT_WRITE_FAILED for every later record): the file's tail is then unknown, and the next
 * open sorts it out (a torn line is moved aside; anything else refuses to open).
 *
 * No rotation: one file for the station's life (about 490 bytes an entry; 1,000 actions a day make
 * 180 MB a year). protocol/audit's verifier takes a `start` anchor so a later segmented layout can
 * start each file at the previous file's head without breaking the chain.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants, createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import {
  type CheckpointStatement,
  checkpointDetails,
  checkpointSigningInput,
} from '../../protocol/audit/checkpoint.ts';
import {
  AUDIT_FORMAT_VERSION,
  type AuditAnchor,
  type AuditDetails,
  type AuditEntry,
  type AuditOutcome,
  type AuditRecord,
  chainEntry,
  entryLine,
  isAuditAnchor,
  MAX_LINE_BYTES,
  recordProblem,
  type Sha256,
  type SubjectKind,
} from '../../protocol/audit/entry.ts';
import { type ChainVerification, parseAuditLine, verifyChain } from '../../protocol/audit/verify.ts';
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import { writeFileAtomic } from '../keys/key-file.ts';
import { anchorFile, auditDir, readAnchorFile, type StoredAnchor } from './anchor.ts';
import { AuditError } from './errors.ts';
import { openAuditKey, pseudonymiser } from './pseudonym.ts';

export const auditLogFile = (dataDir: string): string => path.join(auditDir(dataDir), 'audit.log');

export const nodeSha256: Sha256 = async (data) => new Uint8Array(createHash('sha256').update(data).digest());

/**
 * What happened, as a caller states it. Identifiers in `subject` are given **in clear**: the trail
 * replaces each by its keyed pseudonym before anything is written, so a caller cannot forget to.
 * `details` must not hold personal data (names, addresses, ids); strings with twelve digits standing
 * alone (an id's shape) are refused outright (TypeError).
 */
export interface AuditEvent {
  /** The officer's account id, or 'station'. */
  readonly actor: string;
  /** A stable code, `domain.verb`. */
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly subject?: {
    /** The 12-digit personal id (số định danh cá nhân). */
    readonly citizen?: string;
    /** A card's document number. */
    readonly document?: string;
    readonly packet?: string;
    readonly session?: string;
    readonly report?: string;
    /** An officer account the action is about (not pseudonymised: accounts are not citizens). */
    readonly officer?: string;
  };
  readonly details?: AuditDetails;
}

export interface CheckpointPolicy {
  /** A checkpoint after this many entries since the last one. Default 100. */
  readonly everyEntries: number;
  /** And at least this often while entries come in, ms. Default 15 min. */
  readonly everyMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyEntries: 100, everyMs: 15 * 60_000 };

export interface OpenAuditTrailOptions {
  readonly dataDir: string;
  /** ms since the Unix epoch; entry times. */
  readonly clock: { now(): number };
  /**
   * The station key and certificate (station/keys `openStoreSigner`): checkpoints are signed with
   * it. Undefined when no certificate is installed: checkpoints are written unsigned, saying why.
   * The trail does not close it.
   */
  readonly signer?: PacketSigner | undefined;
  readonly checkpoints?: Partial<CheckpointPolicy>;
  readonly sha256?: Sha256;
  /**
   * How much open verifies. `whole` (default): every line, so any break refuses to open; its time
   * grows with the log (README: figures). `since-mark`: only what follows the prefix verified at the
   * last open or close (`verified.json`), that prefix's last entry and the anchor's entry; an edit
   * inside the prefix then shows at `verifyAll()` or `station audit verify`, not at open.
   */
  readonly verifyAtOpen?: 'whole' | 'since-mark';
}

export interface AuditTrail {
  /** Where the chain stands: packets carry it (manifest `audit`). */
  head(): AuditAnchor;
  /**
   * Appends one entry and resolves its anchor once it is durable (fsync'd).
   * @throws {TypeError} for an event the format refuses (bad code, a 12-digit number in details ...).
   * @throws {AuditError} AUDIT_WRITE_FAILED after a failed write; AUDIT_CLOSED after close().
   */
  record(event: AuditEvent): Promise<AuditAnchor>;
  /** Appends a checkpoint now (also done by the policy). Resolves the checkpoint entry's anchor. */
  checkpoint(): Promise<AuditAnchor>;
  /** The keyed pseudonym of an identifier, as entries carry it (to search the log for one citizen). */
  pseudonym(kind: Exclude<SubjectKind, 'officer'>, value: string): string;
  /**
   * Verifies the whole log now, against the latest stored anchor (open verifies only what follows
   * its mark): run it in the background after start, or on a schedule. Entries appended meanwhile
   * may be missed or seen as a torn tail, never as a break.
   */
  verifyAll(): Promise<ChainVerification>;
  /** What open found: the torn tail it moved aside, if any. */
  readonly recovered: { readonly file: string; readonly bytes: number } | undefined;
  /** Waits for pending appends, stops the checkpoint timer, closes the file. */
  close(): Promise<void>;
}

/** Data folders whose trail is open in this process: one writer per log. */
const open = new Set<string>();

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Moves a torn tail (bytes after the last newline) to `audit.log.torn-<time>` and cuts it off the
 * log. The copy is made durable before the cut, so a crash in between leaves the tail in place for
 * the next open (a second copy at worst), never lost.
 */
async function moveTornTail(
  logFile: string,
  offset: number,
  now: number,
): Promise<{ file: string; bytes: Uint8Array }> {
  const handle = await fs.open(logFile, constants.O_RDWR);
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(size - offset);
    await handle.read(bytes, 0, bytes.length, offset);
    const stamp = new Date(now).toISOString().replaceAll(':', '-');
    const aside = `${logFile}.torn-${stamp}-${randomUUID().slice(0, 8)}`;
    const copy = await fs.open(aside, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await copy.writeFile(bytes);
      await copy.sync();
    } finally {
      await copy.close();
    }
    await syncDir(path.dirname(logFile));
    await handle.truncate(offset);
    await handle.sync();
    return { file: aside, bytes };
  } finally {
    await handle.close();
  }
}

/**
 * The station's own mark of the log prefix it has verified or written itself
 * (`<dataDir>/audit/verified.json`: `{ seq, head, bytes }`), written after open's verification and
 * at close. The next open verifies only what follows it (and that the mark's entry is still there,
 * hashing to `head`), so start-up time does not grow with the log. A whole-log check is
 * `trail.verifyAll()` and `station audit verify`. A log shorter than its mark was truncated.
 */
export interface VerifiedMark extends AuditAnchor {
  readonly bytes: number;
}

const markFile = (dataDir: string): string => path.join(auditDir(dataDir), 'verified.json');

async function readMark(dataDir: string): Promise<VerifiedMark | undefined> {
  return readMarkFile(markFile(dataDir));
}

/** The verified mark in `file`; undefined when missing or not a mark. Never throws. */
export async function readMarkFile(file: string): Promise<VerifiedMark | undefined> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    const { seq, head, bytes } = value;
    if (
      !isAuditAnchor({ seq, head }) ||
      typeof bytes !== 'number' ||
      !Number.isSafeInteger(bytes) ||
      bytes < 0
    )
      return undefined;
    return { seq: seq as number, head: head as string, bytes };
  } catch {
    // Missing or unreadable: the whole log is verified instead.
    return undefined;
  }
}

async function writeMark(dataDir: string, mark: VerifiedMark): Promise<void> {
  await writeFileAtomic(markFile(dataDir), `${JSON.stringify(mark)}\n`, { overwrite: true });
}

/** The line that ends just before `end` (a newline at end - 1), or undefined. */
async function lineBefore(file: string, end: number): Promise<Uint8Array | undefined> {
  const from = Math.max(0, end - 1 - MAX_LINE_BYTES - 1);
  const handle = await fs.open(file, constants.O_RDONLY);
  try {
    const bytes = new Uint8Array(end - from);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, from);
    if (bytesRead !== bytes.length || bytes[bytes.length - 1] !== 0x0a) return undefined;
    const start = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
    if (start === 0 && from !== 0) return undefined;
    return bytes.subarray(start, bytes.length - 1);
  } finally {
    await handle.close();
  }
}

/**
 * Whether the prefix (the first `end` bytes) holds the entry `anchor` names: searched backwards for
 * its hash (anchors are recent, so this reads little), then that line's content must hash to it and
 * carry its seq.
 */
async function prefixHolds(file: string, end: number, anchor: AuditAnchor, sha256: Sha256): Promise<boolean> {
  const needle = new TextEncoder().encode(`"hash":"${anchor.head}"`);
  const handle = await fs.open(file, constants.O_RDONLY);
  try {
    const window = 256 * 1024;
    let to = end;
    while (to > 0) {
      const from = Math.max(0, to - window - MAX_LINE_BYTES);
      const bytes = new Uint8Array(to - from);
      await handle.read(bytes, 0, bytes.length, from);
      const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).lastIndexOf(Buffer.from(needle));
      if (at >= 0) {
        const start = bytes.lastIndexOf(0x0a, at) + 1;
        const stop = bytes.indexOf(0x0a, at);
        if (stop < 0) return false;
        const parsed = await parseAuditLine(bytes.subarray(start, stop), sha256);
        return 'entry' in parsed && parsed.entry.seq === anchor.seq && parsed.entry.hash === anchor.head;
      }
      if (from === 0) return false;
      to = from + MAX_LINE_BYTES;
    }
    return false;
  } finally {
    await handle.close();
  }
}

function breakError(file: string, result: Extract<ChainVerification, { ok: false }>): AuditError {
  const { kind, line, seq, detail } = result.break;
  if (kind === 'truncated' || kind === 'anchor-mismatch')
    return new AuditError(
      'AUDIT_BEHIND_ANCHOR',
      `The audit log ${file} does not hold what central acknowledged (${detail}). It was truncated, ` +
        `rolled back or restored from an older backup: keep the file as evidence, tell the supervisor, ` +
        `and run 'station audit verify' for the details.`,
      { file, line, kind, seq },
    );
  return new AuditError(
    'AUDIT_CHAIN_BROKEN',
    `The audit log ${file} is broken at line ${line} (${kind}: ${detail}). It may have been tampered ` +
      `with: keep the file as evidence, tell the supervisor, and run 'station audit verify' for the details.`,
    { file, line, kind, seq },
  );
}

/** The whole log from the start (ENOENT: an empty chain). */
async function verifyWhole(
  file: string,
  anchor: AuditAnchor | undefined,
  sha256: Sha256,
): Promise<ChainVerification> {
  const options = { sha256, ...(anchor === undefined ? {} : { anchor }) };
  try {
    return await verifyChain(createReadStream(file, { highWaterMark: 64 * 1024 }), options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return verifyChain([], options);
  }
}

/**
 * Open's verification: the tail after the verified mark when the mark's entry is still in place,
 * else the whole log. A log shorter than its mark was truncated.
 * @throws {AuditError} AUDIT_BEHIND_ANCHOR for a log shorter than its mark.
 */
async function verifyAtOpen(
  dataDir: string,
  file: string,
  anchor: AuditAnchor | undefined,
  sha256: Sha256,
  mode: 'whole' | 'since-mark',
): Promise<ChainVerification> {
  const mark = await readMark(dataDir);
  if (mark === undefined || mark.seq === 0) return verifyWhole(file, anchor, sha256);
  const size = await fs.stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size < mark.bytes)
    throw new AuditError(
      'AUDIT_BEHIND_ANCHOR',
      `The audit log ${file} is ${size} bytes, shorter than the ${mark.bytes} bytes (seq ${mark.seq}) the station ` +
        `verified when it last opened or closed it: it was truncated or replaced. Keep the file as evidence, ` +
        `tell the supervisor, and run 'station audit verify' for the details.`,
      { file, kind: 'truncated', seq: mark.seq },
    );
  if (mode === 'whole') {
    const whole = await verifyWhole(file, anchor, sha256);
    // The whole log verifies but ends before the mark's entry: a valid prefix put back in its place.
    if (whole.ok && whole.head.seq < mark.seq)
      throw new AuditError(
        'AUDIT_BEHIND_ANCHOR',
        `The audit log ${file} ends at seq ${whole.head.seq}, before seq ${mark.seq} the station verified when it ` +
          `last opened or closed it: it was truncated or restored from an older copy. Keep the file as evidence, ` +
          `tell the supervisor, and run 'station audit verify' for the details.`,
        { file, kind: 'truncated', seq: mark.seq },
      );
    return whole;
  }
  const last = await lineBefore(file, mark.bytes);
  const parsed = last === undefined ? undefined : await parseAuditLine(last, sha256);
  if (
    parsed === undefined ||
    !('entry' in parsed) ||
    parsed.entry.seq !== mark.seq ||
    parsed.entry.hash !== mark.head
  )
    return verifyWhole(file, anchor, sha256); // the mark no longer fits: check everything, report precisely
  if (anchor !== undefined && anchor.seq <= mark.seq && anchor.seq > 0) {
    if (!(await prefixHolds(file, mark.bytes, anchor, sha256))) return verifyWhole(file, anchor, sha256);
  }
  return verifyChain(createReadStream(file, { start: mark.bytes, highWaterMark: 64 * 1024 }), {
    sha256,
    start: mark,
    startOffset: mark.bytes,
    startLine: mark.seq,
    ...(anchor !== undefined && anchor.seq > mark.seq ? { anchor } : {}),
  });
}

/**
 * Opens the trail of a data folder: creates `<dataDir>/audit/` and the HMAC key on first use,
 * verifies the log (all of it, or what follows the verified mark: `verifyAtOpen`) against the
 * stored anchor and the mark, moves a torn last line aside (and records
 * `audit.torn-line-recovered`), then records `audit.opened`.
 * @throws {AuditError} AUDIT_CHAIN_BROKEN, AUDIT_BEHIND_ANCHOR (the station must not start on such
 *   a log), AUDIT_ANCHOR_INVALID, AUDIT_KEY_INVALID, AUDIT_ALREADY_OPEN.
 * @throws {KeyError} for an audit key file readable by others or unreadable.
 */
export async function openAuditTrail(options: OpenAuditTrailOptions): Promise<AuditTrail> {
  const dataDir = path.resolve(options.dataDir);
  if (open.has(dataDir))
    throw new AuditError(
      'AUDIT_ALREADY_OPEN',
      `The audit trail of ${dataDir} is already open in this process`,
    );
  open.add(dataDir);
  try {
    return await openTrail(dataDir, options);
  } catch (error) {
    open.delete(dataDir);
    throw error;
  }
}

async function openTrail(dataDir: string, options: OpenAuditTrailOptions): Promise<AuditTrail> {
  const sha256 = options.sha256 ?? nodeSha256;
  const policy: CheckpointPolicy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoints };
  if (!(policy.everyEntries >= 1) || !(policy.everyMs >= 1000))
    throw new RangeError('checkpoints come every ≥ 1 entries and ≥ 1000 ms');
  const dir = auditDir(dataDir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const pseudonym = pseudonymiser(await openAuditKey(dataDir));
  const file = auditLogFile(dataDir);
  const anchor: StoredAnchor | undefined = await readAnchorFile(anchorFile(dataDir));

  const result = await verifyAtOpen(dataDir, file, anchor, sha256, options.verifyAtOpen ?? 'whole');
  if (!result.ok) throw breakError(file, result);

  let recovered: { file: string; bytes: number; sha256: string; line: number } | undefined;
  if (result.tornTail !== undefined) {
    const moved = await moveTornTail(file, result.tornTail.offset, options.clock.now());
    recovered = {
      file: moved.file,
      bytes: moved.bytes.length,
      sha256: createHash('sha256').update(moved.bytes).digest('hex'),
      line: result.tornTail.line,
    };
  }

  const handle = await fs.open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  await syncDir(dir);
  // The mark only speeds up a later open and catches a shorter log: failing to write it stops nothing.
  await writeMark(dataDir, { ...result.head, bytes: result.verifiedBytes }).catch(() => undefined);
  let head: AuditAnchor = result.head;
  let sinceCheckpoint = 0;
  let lastCheckpointAt = options.clock.now();
  let failure: AuditError | undefined;
  let closed = false;
  const certificateSha256 =
    options.signer === undefined
      ? undefined
      : createHash('sha256').update(options.signer.certificate).digest('hex');

  type Job = {
    readonly build: (after: AuditAnchor) => Promise<AuditRecord>;
    readonly resolve: (anchor: AuditAnchor) => void;
    readonly reject: (error: unknown) => void;
  };
  let queue: Job[] = [];
  let writing: Promise<void> | undefined;

  /** Writes every queued job as one batch: entries chained in order, one write, one fdatasync. */
  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      let at = head;
      const lines: string[] = [];
      const done: { job: Job; anchor: AuditAnchor }[] = [];
      for (const job of batch) {
        try {
          const entry: AuditEntry = await chainEntry(at, await job.build(at), sha256);
          at = { seq: entry.seq, head: entry.hash };
          lines.push(entryLine(entry));
          done.push({ job, anchor: at });
        } catch (error) {
          job.reject(error);
        }
      }
      if (lines.length === 0) continue;
      try {
        if (failure !== undefined) throw failure;
        await handle.write(`${lines.join('\n')}\n`);
        await handle.datasync();
      } catch (cause) {
        failure ??= new AuditError(
          'AUDIT_WRITE_FAILED',
          `Writing the audit log ${file} failed (${(cause as Error).message}): actions cannot be recorded ` +
            `until the station restarts; free disk space or check the disk.`,
          { file, cause },
        );
        for (const { job } of done) job.reject(failure);
        continue;
      }
      head = at;
      for (const { job, anchor } of done) job.resolve(anchor);
    }
  }

  function enqueue(build: Job['build']): Promise<AuditAnchor> {
    if (closed) return Promise.reject(new AuditError('AUDIT_CLOSED', 'The audit trail is closed'));
    if (failure !== undefined) return Promise.reject(failure);
    const promise = new Promise<AuditAnchor>((resolve, reject) => queue.push({ build, resolve, reject }));
    kick();
    return promise;
  }

  /** Starts the writer unless it runs; a job queued as it finished starts it again. */
  function kick(): void {
    if (writing !== undefined) return;
    writing = drain().finally(() => {
      writing = undefined;
      if (queue.length > 0) kick();
    });
  }

  const time = () => new Date(options.clock.now()).toISOString();

  function recordOf(event: AuditEvent): AuditRecord {
    const subject: Record<string, string> = {};
    for (const [kind, value] of Object.entries(event.subject ?? {})) {
      if (value === undefined) continue;
      subject[kind] = kind === 'officer' ? value : pseudonym(kind as Exclude<SubjectKind, 'officer'>, value);
    }
    return {
      time: time(),
      actor: event.actor,
      action: event.action,
      subject,
      outcome: event.outcome,
      details: event.details ?? {},
    };
  }

  async function checkpointRecord(after: AuditAnchor): Promise<AuditRecord> {
    const at = time();
    const statement: CheckpointStatement = { seq: after.seq, head: after.head, time: at };
    let details: AuditDetails;
    if (options.signer === undefined || certificateSha256 === undefined) {
      details = checkpointDetails({ seq: after.seq, head: after.head, reason: 'no-station-certificate' });
    } else {
      try {
        const signature = await options.signer.sign(checkpointSigningInput(statement));
        details = checkpointDetails({
          seq: after.seq,
          head: after.head,
          signature: Buffer.from(signature).toString('base64'),
          certificateSha256,
        });
      } catch {
        details = checkpointDetails({ seq: after.seq, head: after.head, reason: 'signing-failed' });
      }
    }
    return { time: at, actor: 'station', action: 'audit.checkpoint', subject: {}, outcome: 'ok', details };
  }

  function checkpoint(): Promise<AuditAnchor> {
    const promise = enqueue(checkpointRecord);
    sinceCheckpoint = 0;
    lastCheckpointAt = options.clock.now();
    return promise;
  }

  function record(event: AuditEvent): Promise<AuditAnchor> {
    // Validated now, so a bad event fails at its caller and never counts towards a checkpoint.
    let entry: AuditRecord;
    try {
      entry = recordOf(event);
    } catch (error) {
      return Promise.reject(error);
    }
    const problem = recordProblem(entry);
    if (problem !== undefined) return Promise.reject(new TypeError(`audit event refused: ${problem}`));
    const anchor = enqueue(async () => entry);
    sinceCheckpoint += 1;
    if (sinceCheckpoint >= policy.everyEntries) void checkpoint().catch(() => undefined);
    return anchor;
  }

  const timer = setInterval(
    () => {
      if (sinceCheckpoint > 0 && options.clock.now() - lastCheckpointAt >= policy.everyMs)
        void checkpoint().catch(() => undefined);
    },
    Math.min(policy.everyMs, 60_000),
  );
  timer.unref();

  const trail: AuditTrail = {
    head: () => head,
    record,
    checkpoint,
    pseudonym: (kind, value) => pseudonym(kind, value),
    async verifyAll() {
      const current = await readAnchorFile(anchorFile(dataDir)).catch(() => undefined);
      return verifyWhole(file, current ?? anchor, sha256);
    },
    recovered: recovered === undefined ? undefined : { file: recovered.file, bytes: recovered.bytes },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      while (writing !== undefined) await writing;
      if (failure === undefined) {
        // Everything up to here was verified at open or written by this trail: the next open starts here.
        const { size } = await handle.stat();
        await writeMark(dataDir, { ...head, bytes: size }).catch(() => undefined);
      }
      await handle.close();
      open.delete(dataDir);
    },
  };

  try {
    if (recovered !== undefined)
      await record({
        actor: 'station',
        action: 'audit.torn-line-recovered',
        outcome: 'ok',
        details: {
          movedTo: path.basename(recovered.file),
          bytes: recovered.bytes,
          sha256: recovered.sha256,
          line: recovered.line,
        },
      });
    await record({
      actor: 'station',
      action: 'audit.opened',
      outcome: 'ok',
      details: {
        format: AUDIT_FORMAT_VERSION,
        checkpointsSigned: options.signer !== undefined,
        checkpointsUnsignedReason: options.signer === undefined ? 'no-station-certificate' : null,
        anchorSeq: anchor?.seq ?? null,
      },
    });
  } catch (error) {
    clearInterval(timer);
    await handle.close();
    throw error;
  }
  return trail;
}
