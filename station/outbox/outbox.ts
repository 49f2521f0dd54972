/**
 * The crash-safe outbox: encrypted packets waiting for central's signed receipt (issue 18 item 1).
 * Design and durability reasoning: ./README.md. Layout under the outbox root (all I/O through the
 * injected {@link OutboxFs}):
 *
 * | directory     | holds                                                                   |
 * |---------------|-------------------------------------------------------------------------|
 * | `tmp/`        | files being written; emptied on open (nobody was told they exist)       |
 * | `queue/`      | `<packetId>.<enqueuedAtMs>.<size>.<sha256hex>.pkt`: queued or uploading |
 * |               | and beside it `<packetId>.url` (upload URL), `<packetId>.<atMs>.exported` |
 * | `acked/`      | the same `.pkt` moved here, and `<packetId>.<ackedAtMs>.rcpt` (receipt) |
 * | `dead/`       | the same `.pkt` moved here, and `<packetId>.<atMs>.reason` (JSON)       |
 * |               | and `<packetId>.<atMs>.reason.retried`: reasons of earlier dead-letters |
 * | `quarantine/` | corrupt entries `<atMs>-<original name>` and `<that name>.why` (JSON)   |
 *
 * The names are the index: opening reads the four directories and no payload. A file reaches a
 * state directory only by rename after its bytes were fsynced, and each rename is followed by an
 * fsync of the directories it touched, so a state once returned survives a power cut. The receipt
 * (or the dead-letter reason) is made durable before the packet moves, so a crash between the two
 * leaves a packet in `queue/` beside its receipt, and opening finishes the move.
 *
 * "uploading" is held in memory only, as a lease timed on the monotonic clock: after a crash or an
 * expired lease the packet is queued again, and the uploader asks central for a receipt before it
 * uploads again (central is idempotent by packet id).
 */
import { createHash } from 'node:crypto';
import { type FailpointName, failpoint } from '../failpoints.ts';
import type { OutboxFs } from './fs-port.ts';

export type OutboxState = 'queued' | 'uploading' | 'acknowledged' | 'dead-letter';

/** One packet in the outbox, as list() and next() show it. Only metadata: no payload. */
export interface OutboxEntry {
  readonly packetId: string;
  readonly state: OutboxState;
  /** Wall-clock ms when it was enqueued. */
  readonly enqueuedAt: number;
  readonly size: number;
  /** SHA-256 of the sealed packet, lower-case hex: what a receipt is bound to. */
  readonly digest: string;
  /** Wall-clock ms of the receipt, when acknowledged. */
  readonly acknowledgedAt?: number;
  /** Why central refused it for good, when dead-lettered. */
  readonly deadLetter?: DeadLetterReason;
  /** Wall-clock ms of the last export to removable media, while it waits for its receipt. */
  readonly exportedAt?: number;
  /** How many times it was sent again from dead-letter by {@link Outbox.retry}. */
  readonly retried?: number;
}

/** A packet ready to upload: its entry and its verified bytes. */
export interface OutboxPacket {
  readonly entry: OutboxEntry;
  readonly bytes: Uint8Array;
}

/** Why a packet was dead-lettered: a stable code from central and the officer-facing text. */
export interface DeadLetterReason {
  readonly code: string;
  readonly message: string;
}

/** A corrupt file moved aside, never served. */
export interface QuarantinedEntry {
  /** The quarantine file name. */
  readonly name: string;
  /** The packet id when the name still told it. */
  readonly packetId?: string;
  readonly reason: 'unreadable-name' | 'wrong-size' | 'wrong-digest' | 'duplicate' | 'unreadable';
  readonly at: number;
}

/** Officer-facing limits, as data for the screen (days offline, packets waiting, disk left). */
export interface OutboxStats {
  readonly queued: number;
  readonly uploading: number;
  readonly acknowledged: number;
  readonly deadLetter: number;
  readonly quarantined: number;
  /** Bytes of packets waiting for a receipt. */
  readonly waitingBytes: number;
  /** Wall-clock ms since when packets have been waiting without a receipt; null when none waits. */
  readonly offlineSince: number | null;
  readonly daysOffline: number;
  readonly diskFreeBytes: number;
  readonly limits: OutboxLimits;
}

export interface OutboxLimits {
  /** Free bytes kept back: a new enrollment is refused below this plus one packet. Default 2 GiB. */
  readonly reserveBytes: number;
  /** Room kept for the enrollment about to start. Default 2 MB (a packet is under 1 MB). */
  readonly packetAllowanceBytes: number;
  /** Packets waiting before new enrollments are refused. Default 5,000. */
  readonly maxWaiting: number;
  /** Days without a receipt before new enrollments are refused. Default 7. */
  readonly maxDaysOffline: number;
}

export type AcceptDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'OUTBOX_DISK_LOW' | 'OUTBOX_TOO_MANY_WAITING' | 'OUTBOX_OFFLINE_TOO_LONG';
      readonly message: string;
    };

export type OutboxErrorCode =
  | 'OUTBOX_BAD_PACKET_ID'
  | 'OUTBOX_EMPTY_PACKET'
  | 'OUTBOX_UNKNOWN_PACKET'
  | 'OUTBOX_WRONG_STATE'
  | 'OUTBOX_EMPTY_RECEIPT'
  | 'OUTBOX_BAD_UPLOAD_URL';

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
  readonly code: OutboxErrorCode;
  readonly packetId: string | undefined;

  constructor(code: OutboxErrorCode, message: string, packetId?: string) {
    super(message);
    this.code = code;
    this.packetId = packetId;
  }
}

export interface OutboxOptions {
  readonly fs: OutboxFs;
  /** Wall clock (ms since epoch): enqueue and receipt times, offline since, retention. */
  readonly now?: () => number;
  /** Monotonic clock (ms): upload leases. Default performance.now. */
  readonly monotonic?: () => number;
  /** How long acknowledged packets and receipts are kept before purgeExpired removes them. Default 30 days. */
  readonly retentionMs?: number;
  /** How long markUploading holds a packet before next() may hand it out again. Default 10 minutes. */
  readonly uploadLeaseMs?: number;
  readonly limits?: Partial<OutboxLimits>;
}

const DAY_MS = 86_400_000;
const PACKET_ID = /^[A-Za-z0-9-]{1,64}$/;
const PACKET_NAME = /^([A-Za-z0-9-]{1,64})\.(\d{1,16})\.(\d{1,12})\.([0-9a-f]{64})\.pkt$/;
const RECEIPT_NAME = /^([A-Za-z0-9-]{1,64})\.(\d{1,16})\.rcpt$/;
const REASON_NAME = /^([A-Za-z0-9-]{1,64})\.(\d{1,16})\.reason$/;
const RETRIED_NAME = /^([A-Za-z0-9-]{1,64})\.(\d{1,16})\.reason\.retried$/;
const URL_NAME = /^([A-Za-z0-9-]{1,64})\.url$/;
const EXPORTED_NAME = /^([A-Za-z0-9-]{1,64})\.(\d{1,16})\.exported$/;
/** Longest upload URL kept, bytes (a tus Location is under 200). */
export const UPLOAD_URL_MAX_LENGTH = 2048;
const UPLOAD_PATH = /^\/v1\/uploads\/[A-Za-z0-9._~%+=-]{1,256}$/;
const DIRS = ['tmp', 'queue', 'acked', 'dead', 'quarantine'] as const;

interface Record {
  packetId: string;
  state: OutboxState;
  dir: 'queue' | 'acked' | 'dead';
  pktName: string;
  enqueuedAt: number;
  size: number;
  digest: string;
  sideName?: string;
  acknowledgedAt?: number;
  deadLetter?: DeadLetterReason;
  verified: boolean;
  leaseUntil?: number;
  /** A `queue/<id>.url` file exists (its content is read and checked lazily, like the digest). */
  hasUrl?: boolean;
  /** The URL once read or set. */
  url?: string;
  /** The `queue/<id>.<atMs>.exported` marker and its time. */
  exportedName?: string;
  exportedAt?: number;
  /** `dead/<id>.<atMs>.reason.retried` files: reasons of earlier dead-letters, kept as history. */
  history: string[];
}

/**
 * Why an upload URL is not kept, or undefined when it is: an https URL without credentials, or a
 * path under `/v1/uploads/` (central answers tus creation with a relative Location, CONTRACT.md),
 * printable ASCII, at most {@link UPLOAD_URL_MAX_LENGTH} bytes.
 */
export function uploadUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string') return 'it is not text';
  if (url.length === 0 || url.length > UPLOAD_URL_MAX_LENGTH)
    return `it is ${url.length} characters, not 1 to ${UPLOAD_URL_MAX_LENGTH}`;
  if (!/^[\x21-\x7e]+$/.test(url)) return 'it holds spaces, control characters or non-ASCII';
  if (url.startsWith('/')) {
    if (!UPLOAD_PATH.test(url) || url.includes('..')) return 'a relative URL must be /v1/uploads/<upload id>';
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'it is neither an absolute URL nor a /v1/uploads/ path';
  }
  if (parsed.protocol !== 'https:') return `its scheme is ${parsed.protocol}, not https:`;
  if (parsed.username !== '' || parsed.password !== '') return 'it carries credentials';
  return undefined;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class Outbox {
  readonly #fs: OutboxFs;
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #retentionMs: number;
  readonly #leaseMs: number;
  readonly #limits: OutboxLimits;
  readonly #records = new Map<string, Record>();
  readonly #quarantine: QuarantinedEntry[] = [];
  readonly #sealing = new Map<string, Promise<OutboxEntry>>();
  readonly #retrying = new Map<string, Promise<OutboxEntry>>();
  #tmpCounter = 0;
  #lastReceiptAt: number | null = null;

  private constructor(options: OutboxOptions) {
    this.#fs = options.fs;
    this.#now = options.now ?? Date.now;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#retentionMs = options.retentionMs ?? 30 * DAY_MS;
    this.#leaseMs = options.uploadLeaseMs ?? 10 * 60_000;
    this.#limits = {
      reserveBytes: 2 * 1024 ** 3,
      packetAllowanceBytes: 2_000_000,
      maxWaiting: 5_000,
      maxDaysOffline: 7,
      ...options.limits,
    };
  }

  /**
   * Opens (and recovers) the outbox: creates its directories, removes unfinished temporary files,
   * finishes interrupted moves, and quarantines names that cannot be read. Reads names only.
   */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const outbox = new Outbox(options);
    await outbox.#recover();
    return outbox;
  }

  async #recover(): Promise<void> {
    const fs = this.#fs;
    for (const dir of DIRS) await fs.mkdir(dir);
    const tmp = await fs.readdir('tmp');
    for (const name of tmp) await fs.unlink(`tmp/${name}`);
    if (tmp.length > 0) await fs.fsyncDir('tmp');

    const receipts = new Map<string, { name: string; at: number }>();
    const reasons = new Map<string, { name: string; at: number }>();
    const ackedPkts: string[] = [];
    const deadPkts: string[] = [];
    const history = new Map<string, string[]>();
    const queuePkts: string[] = [];
    const urls = new Map<string, string>();
    const exported = new Map<string, { name: string; at: number }[]>();
    for (const name of await fs.readdir('acked')) {
      const receipt = RECEIPT_NAME.exec(name);
      if (receipt) receipts.set(receipt[1] as string, { name, at: Number(receipt[2]) });
      else ackedPkts.push(name);
    }
    for (const name of await fs.readdir('dead')) {
      const reason = REASON_NAME.exec(name);
      const retried = RETRIED_NAME.exec(name);
      if (reason) reasons.set(reason[1] as string, { name, at: Number(reason[2]) });
      else if (retried)
        history.set(retried[1] as string, [...(history.get(retried[1] as string) ?? []), name]);
      else deadPkts.push(name);
    }
    for (const name of (await fs.readdir('queue')).sort()) {
      if (name.endsWith('.pkt')) {
        queuePkts.push(name);
        continue;
      }
      const url = URL_NAME.exec(name);
      const mark = EXPORTED_NAME.exec(name);
      if (url) urls.set(url[1] as string, name);
      else if (mark) {
        const id = mark[1] as string;
        exported.set(id, [...(exported.get(id) ?? []), { name, at: Number(mark[2]) }]);
      } else queuePkts.push(name);
    }
    await this.#loadQuarantine();

    for (const name of ackedPkts) await this.#adopt('acked', name, receipts, reasons);
    for (const name of deadPkts) await this.#adopt('dead', name, receipts, reasons);
    for (const name of queuePkts) await this.#adopt('queue', name, receipts, reasons);
    // A receipt whose packet is gone was being purged; a reason whose packet is gone never moved one.
    let ackedChanged = false;
    for (const [id, receipt] of receipts) {
      if (this.#records.get(id)?.dir !== 'acked') {
        await fs.unlink(`acked/${receipt.name}`);
        ackedChanged = true;
      }
    }
    if (ackedChanged) await fs.fsyncDir('acked');
    let deadChanged = false;
    for (const [id, reason] of reasons) {
      if (this.#records.get(id)?.dir !== 'dead') {
        await fs.unlink(`dead/${reason.name}`);
        deadChanged = true;
      }
    }
    // Dead-letter history of a packet that is gone (purged, or quarantined) goes with it.
    for (const [id, names] of history) {
      const record = this.#records.get(id);
      if (record) record.history = names;
      else {
        for (const name of names) await fs.unlink(`dead/${name}`);
        deadChanged = true;
      }
    }
    if (deadChanged) await fs.fsyncDir('dead');
    // Side files of a queued packet live beside it in queue/; once the packet has left the queue
    // (acknowledged, dead-lettered, quarantined) they are stale: the step that moved it was cut short.
    let queueChanged = false;
    for (const [id, name] of urls) {
      const record = this.#records.get(id);
      if (record?.dir === 'queue') record.hasUrl = true;
      else {
        await fs.unlink(`queue/${name}`);
        queueChanged = true;
      }
    }
    for (const [id, marks] of exported) {
      const record = this.#records.get(id);
      const newest = record?.dir === 'queue' ? marks.reduce((a, b) => (b.at > a.at ? b : a)) : undefined;
      for (const mark of marks) {
        if (record && mark === newest) {
          record.exportedName = mark.name;
          record.exportedAt = mark.at;
        } else {
          await fs.unlink(`queue/${mark.name}`);
          queueChanged = true;
        }
      }
    }
    if (queueChanged) await fs.fsyncDir('queue');
    for (const record of this.#records.values()) {
      if (record.acknowledgedAt !== undefined) {
        this.#lastReceiptAt = Math.max(this.#lastReceiptAt ?? 0, record.acknowledgedAt);
      }
    }
  }

  async #loadQuarantine(): Promise<void> {
    const names = await this.#fs.readdir('quarantine');
    const whys = new Set(names.filter((name) => name.endsWith('.why')));
    // A note whose file never arrived: the quarantine move was cut short, the file is still in place.
    const orphans = [...whys].filter((why) => !names.includes(why.slice(0, -'.why'.length)));
    for (const why of orphans) await this.#fs.unlink(`quarantine/${why}`);
    if (orphans.length > 0) await this.#fs.fsyncDir('quarantine');
    for (const name of names) {
      if (name.endsWith('.why')) continue;
      let entry: QuarantinedEntry = { name, reason: 'unreadable', at: 0 };
      if (whys.has(`${name}.why`)) {
        try {
          const text = new TextDecoder().decode(await this.#fs.readFile(`quarantine/${name}.why`));
          entry = { ...(JSON.parse(text) as QuarantinedEntry), name };
        } catch {
          // the packet is quarantined either way; the note is only an explanation
        }
      }
      this.#quarantine.push(entry);
    }
  }

  /** Takes a `.pkt` found in a directory into the index, finishing an interrupted move. */
  async #adopt(
    dir: 'queue' | 'acked' | 'dead',
    name: string,
    receipts: Map<string, { name: string; at: number }>,
    reasons: Map<string, { name: string; at: number }>,
  ): Promise<void> {
    const match = PACKET_NAME.exec(name);
    if (!match) {
      await this.#quarantineFile(`${dir}/${name}`, name, 'unreadable-name', undefined);
      return;
    }
    const packetId = match[1] as string;
    const existing = this.#records.get(packetId);
    if (existing) {
      // Same packet in two directories (a move whose old name survived): keep the later state.
      if (existing.pktName === name) {
        await this.#fs.unlink(`${dir}/${name}`);
        await this.#fs.fsyncDir(dir);
      } else {
        await this.#quarantineFile(`${dir}/${name}`, name, 'duplicate', packetId);
      }
      return;
    }
    const record: Record = {
      packetId,
      state: 'queued',
      dir,
      pktName: name,
      enqueuedAt: Number(match[2]),
      size: Number(match[3]),
      digest: match[4] as string,
      verified: false,
      history: [],
    };
    const receipt = receipts.get(packetId);
    const reason = reasons.get(packetId);
    this.#records.set(packetId, record);
    if (receipt) {
      record.acknowledgedAt = receipt.at;
      record.sideName = receipt.name;
      if (dir !== 'acked') await this.#move(record, 'acked');
      record.state = 'acknowledged';
    } else if (reason) {
      record.sideName = reason.name;
      record.deadLetter = await this.#readReason(reason.name);
      if (dir !== 'dead') await this.#move(record, 'dead');
      record.state = 'dead-letter';
    } else if (dir === 'acked') {
      // Acknowledging stores the receipt before the move, and purging unlinks the packet before
      // the receipt: a packet in acked/ without its receipt was being purged. Finish that.
      this.#records.delete(packetId);
      await this.#fs.unlink(`acked/${name}`);
      await this.#fs.fsyncDir('acked');
    } else if (dir === 'dead') {
      // The reason is written before the move and never removed: this cannot come from our writes.
      this.#records.delete(packetId);
      await this.#quarantineFile(`${dir}/${name}`, name, 'unreadable', packetId);
    }
  }

  async #readReason(name: string): Promise<DeadLetterReason> {
    try {
      const parsed = JSON.parse(new TextDecoder().decode(await this.#fs.readFile(`dead/${name}`)));
      return { code: String(parsed.code), message: String(parsed.message) };
    } catch {
      return { code: 'REASON_UNREADABLE', message: 'Không đọc được lý do / Reason unreadable' };
    }
  }

  // ---- writing ----------------------------------------------------------------------------

  /**
   * Writes a whole file under tmp/, fsyncs it, renames it into place and fsyncs that directory.
   * `afterFsync` names the failpoint between the file's fsync and its rename (enqueue only).
   */
  async #writeDurable(file: string, bytes: Uint8Array, afterFsync?: FailpointName): Promise<void> {
    const fs = this.#fs;
    this.#tmpCounter += 1;
    const tmp = `tmp/${this.#now()}-${this.#tmpCounter}.tmp`;
    const handle = await fs.create(tmp);
    try {
      try {
        await handle.write(bytes);
        await handle.fsync();
      } finally {
        await handle.close();
      }
      if (afterFsync) failpoint(afterFsync);
      await fs.rename(tmp, file);
    } catch (error) {
      // Disk full or an I/O error: nobody was told of this file; remove it now rather than at next open.
      await fs.unlink(tmp).catch(() => undefined);
      throw error;
    }
    await fs.fsyncDir(file.slice(0, file.indexOf('/')));
  }

  /**
   * Moves a packet out of queue/ once its receipt or reason is durable, removing its side files
   * (upload URL, export mark) first: the move's fsync of queue/ makes those unlinks durable too, and
   * one left behind by a crash is removed on open (its packet is no longer in queue/).
   */
  async #leaveQueue(record: Record, to: 'acked' | 'dead'): Promise<void> {
    if (record.hasUrl) await this.#fs.unlink(`queue/${record.packetId}.url`);
    if (record.exportedName) await this.#fs.unlink(`queue/${record.exportedName}`);
    await this.#move(record, to);
    delete record.hasUrl;
    delete record.url;
    delete record.exportedName;
    delete record.exportedAt;
    delete record.leaseUntil;
  }

  async #move(record: Record, to: 'queue' | 'acked' | 'dead'): Promise<void> {
    const from = record.dir;
    await this.#fs.rename(`${from}/${record.pktName}`, `${to}/${record.pktName}`);
    await this.#fs.fsyncDir(to);
    await this.#fs.fsyncDir(from);
    record.dir = to;
  }

  async #quarantineFile(
    file: string,
    name: string,
    reason: QuarantinedEntry['reason'],
    packetId: string | undefined,
  ): Promise<void> {
    const at = this.#now();
    const qName = `${at}-${name}`;
    const entry: QuarantinedEntry = packetId
      ? { name: qName, packetId, reason, at }
      : { name: qName, reason, at };
    await this.#writeDurable(`quarantine/${qName}.why`, new TextEncoder().encode(JSON.stringify(entry)));
    await this.#fs.rename(file, `quarantine/${qName}`);
    await this.#fs.fsyncDir('quarantine');
    await this.#fs.fsyncDir(file.slice(0, file.indexOf('/')));
    this.#quarantine.push(entry);
  }

  #checkId(packetId: string): void {
    if (!PACKET_ID.test(packetId)) {
      throw new OutboxError(
        'OUTBOX_BAD_PACKET_ID',
        `packet id ${JSON.stringify(packetId)} is not 1-64 letters, digits or dashes (a UUID)`,
        packetId,
      );
    }
  }

  /**
   * Seals a packet once: when the outbox already holds this packet id (in any state but
   * quarantine) its entry comes back and `build` is not called, so a retry after a crash never
   * makes a second, different packet. Otherwise `build` makes the bytes and they are enqueued.
   */
  seal(packetId: string, build: () => Promise<Uint8Array>): Promise<OutboxEntry> {
    try {
      this.#checkId(packetId);
    } catch (error) {
      return Promise.reject(error);
    }
    const existing = this.#records.get(packetId);
    if (existing) return Promise.resolve(this.#entry(existing));
    const pending = this.#sealing.get(packetId);
    if (pending !== undefined) return pending;
    const sealing = (async () => {
      try {
        return await this.#enqueueNow(packetId, await build());
      } finally {
        this.#sealing.delete(packetId);
      }
    })();
    this.#sealing.set(packetId, sealing);
    return sealing;
  }

  /**
   * Puts sealed bytes in the queue; durable when it resolves. Idempotent: a packet id already
   * held (or being enqueued) returns its entry unchanged (the bytes given are ignored).
   */
  enqueue(packetId: string, bytes: Uint8Array): Promise<OutboxEntry> {
    return this.seal(packetId, async () => bytes);
  }

  async #enqueueNow(packetId: string, bytes: Uint8Array): Promise<OutboxEntry> {
    if (bytes.length === 0) {
      throw new OutboxError(
        'OUTBOX_EMPTY_PACKET',
        `packet ${packetId} has no bytes; seal it again`,
        packetId,
      );
    }
    const digest = sha256Hex(bytes);
    const enqueuedAt = this.#now();
    const pktName = `${packetId}.${enqueuedAt}.${bytes.length}.${digest}.pkt`;
    await this.#writeDurable(`queue/${pktName}`, bytes, 'outbox.after-tmp-fsync');
    failpoint('outbox.after-rename');
    const record: Record = {
      packetId,
      state: 'queued',
      dir: 'queue',
      pktName,
      enqueuedAt,
      size: bytes.length,
      digest,
      verified: true,
      history: [],
    };
    this.#records.set(packetId, record);
    return this.#entry(record);
  }

  // ---- the uploader's side ----------------------------------------------------------------

  /**
   * The oldest queued packet (or one whose upload lease expired), its bytes read and checked
   * against the size and digest in its name; a corrupt one is quarantined and the next is tried.
   * Null when nothing waits.
   */
  async next(): Promise<OutboxPacket | null> {
    const now = this.#monotonic();
    const candidates = [...this.#records.values()]
      .filter((r) => r.state === 'queued' || (r.state === 'uploading' && (r.leaseUntil ?? 0) <= now))
      .sort((a, b) => a.enqueuedAt - b.enqueuedAt || (a.packetId < b.packetId ? -1 : 1));
    for (const record of candidates) {
      if (record.state === 'uploading') record.state = 'queued';
      const bytes = await this.#readVerified(record);
      if (bytes) return { entry: this.#entry(record), bytes };
    }
    return null;
  }

  /**
   * The verified bytes of a held packet (queued, uploading, acknowledged or dead-lettered), or null
   * when they turned out corrupt (then quarantined). The digest is checked on the first read after
   * opening; `recheck` checks it again (an export to removable media copies only checked bytes).
   * @throws OutboxError OUTBOX_UNKNOWN_PACKET
   */
  async read(packetId: string, options: { readonly recheck?: boolean } = {}): Promise<Uint8Array | null> {
    const record = this.#require(packetId);
    if (options.recheck) record.verified = false;
    return this.#readVerified(record);
  }

  async #readVerified(record: Record): Promise<Uint8Array | null> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#fs.readFile(`${record.dir}/${record.pktName}`);
    } catch {
      await this.#quarantineRecord(record, 'unreadable');
      return null;
    }
    if (bytes.length !== record.size) {
      await this.#quarantineRecord(record, 'wrong-size');
      return null;
    }
    if (!record.verified && sha256Hex(bytes) !== record.digest) {
      await this.#quarantineRecord(record, 'wrong-digest');
      return null;
    }
    record.verified = true;
    return bytes;
  }

  async #quarantineRecord(record: Record, reason: QuarantinedEntry['reason']): Promise<void> {
    this.#records.delete(record.packetId);
    await this.#quarantineFile(`${record.dir}/${record.pktName}`, record.pktName, reason, record.packetId);
  }

  /** Holds a queued packet for one upload, for the lease time on the monotonic clock. */
  markUploading(packetId: string): OutboxEntry {
    const record = this.#require(packetId);
    if (record.state !== 'queued' && record.state !== 'uploading')
      this.#wrongState(record, 'mark it uploading');
    record.state = 'uploading';
    record.leaseUntil = this.#monotonic() + this.#leaseMs;
    return this.#entry(record);
  }

  /**
   * Keeps the upload URL of a waiting packet (tus Location: an https URL or `/v1/uploads/<id>`) in
   * `queue/<packetId>.url`, durable when it resolves (tmp, fsync, rename, fsync queue/), so an upload
   * resumes after a restart. Replaces an earlier URL. Removed when the packet leaves the queue.
   * @throws OutboxError OUTBOX_BAD_UPLOAD_URL, OUTBOX_UNKNOWN_PACKET, OUTBOX_WRONG_STATE (not waiting)
   */
  async setUploadUrl(packetId: string, url: string): Promise<void> {
    const record = this.#require(packetId);
    if (record.dir !== 'queue') this.#wrongState(record, 'keep an upload URL');
    const problem = uploadUrlProblem(url);
    if (problem !== undefined) {
      throw new OutboxError(
        'OUTBOX_BAD_UPLOAD_URL',
        `the upload URL for packet ${packetId} is not kept: ${problem}`,
        packetId,
      );
    }
    if (record.hasUrl && record.url === url) return;
    const file = `queue/${packetId}.url`;
    await this.#writeDurable(file, new TextEncoder().encode(JSON.stringify({ packetId, url })));
    if (this.#records.get(packetId) !== record || record.dir !== 'queue') {
      // The packet left the queue while the URL was written: that file is stale already.
      await this.#fs.unlink(file).catch(() => undefined);
      await this.#fs.fsyncDir('queue');
      return;
    }
    record.hasUrl = true;
    record.url = url;
  }

  /**
   * The kept upload URL of a waiting packet, or undefined (none, or the packet is not waiting). The
   * file is read and checked on first use after opening: a torn or garbage one is removed and
   * undefined comes back (the uploader then asks central for the receipt and creates a new upload).
   * @throws OutboxError OUTBOX_UNKNOWN_PACKET
   */
  async uploadUrl(packetId: string): Promise<string | undefined> {
    const record = this.#require(packetId);
    if (record.dir !== 'queue' || !record.hasUrl) return undefined;
    if (record.url !== undefined) return record.url;
    const file = `queue/${packetId}.url`;
    let url: string | undefined;
    try {
      const bytes = await this.#fs.readFile(file);
      const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
        packetId?: unknown;
        url?: unknown;
      };
      if (fields.packetId === packetId && uploadUrlProblem(fields.url) === undefined) {
        url = fields.url as string;
      }
    } catch {
      // unreadable, not UTF-8 or not JSON: treated as garbage below
    }
    if (record.url !== undefined) return record.url; // set again while this one was read
    if (url === undefined) {
      delete record.hasUrl;
      await this.#fs.unlink(file).catch(() => undefined);
      await this.#fs.fsyncDir('queue');
      return undefined;
    }
    record.url = url;
    return url;
  }

  /**
   * Forgets the upload URL (central answered 404/410: the upload no longer exists); durable when it
   * resolves. No-op when none is kept. @throws OutboxError OUTBOX_UNKNOWN_PACKET
   */
  async clearUploadUrl(packetId: string): Promise<void> {
    const record = this.#require(packetId);
    if (!record.hasUrl) return;
    delete record.hasUrl;
    delete record.url;
    await this.#fs.unlink(`queue/${packetId}.url`).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    });
    await this.#fs.fsyncDir('queue');
  }

  /**
   * Sends a packet again. A dead-lettered one moves back to the queue (the officer or support
   * decided so, e.g. after central fixed its side); its reason stays in dead/ as history
   * (`<reason name>.retried`). Durable when it resolves; a crash before that leaves it dead-lettered.
   * A queued or uploading one loses its lease, so the uploader takes it at once.
   * @throws OutboxError OUTBOX_UNKNOWN_PACKET, OUTBOX_WRONG_STATE (acknowledged: central holds it)
   */
  retry(packetId: string): Promise<OutboxEntry> {
    let record: Record;
    try {
      record = this.#require(packetId);
    } catch (error) {
      return Promise.reject(error);
    }
    const pending = this.#retrying.get(packetId);
    if (pending !== undefined) return pending;
    if (record.state === 'acknowledged') {
      return Promise.reject(
        new OutboxError(
          'OUTBOX_WRONG_STATE',
          `Gói ${packetId} đã được trung tâm xác nhận, không cần gửi lại. / Packet ${packetId} is already acknowledged by central: nothing to send again.`,
          packetId,
        ),
      );
    }
    if (record.state !== 'dead-letter') {
      record.state = 'queued';
      delete record.leaseUntil;
      return Promise.resolve(this.#entry(record));
    }
    const retrying = (async () => {
      try {
        const reasonName = record.sideName;
        // Packet first: a crash now leaves it in queue/ beside its reason, and opening moves it back
        // to dead/ (the retry had not returned). Then the reason becomes history.
        await this.#move(record, 'queue');
        if (reasonName) {
          const retired = `${reasonName}.retried`;
          await this.#fs.rename(`dead/${reasonName}`, `dead/${retired}`);
          await this.#fs.fsyncDir('dead');
          record.history.push(retired);
        }
        record.state = 'queued';
        delete record.deadLetter;
        delete record.sideName;
        return this.#entry(record);
      } finally {
        this.#retrying.delete(packetId);
      }
    })();
    this.#retrying.set(packetId, retrying);
    return retrying;
  }

  /**
   * Notes that waiting packets were exported to removable media at `at` (wall-clock ms), as an
   * empty `queue/<id>.<at>.exported` file each (one fsync of queue/ for all). They stay queued until
   * their receipt comes back. Packets no longer waiting are skipped.
   */
  async markExported(packetIds: readonly string[], at: number): Promise<void> {
    const stale: string[] = [];
    const marked: [Record, string][] = [];
    for (const packetId of packetIds) {
      const record = this.#records.get(packetId);
      if (record?.dir !== 'queue' || (record.exportedAt ?? -1) >= at) continue;
      const name = `${packetId}.${at}.exported`;
      await (await this.#fs.create(`queue/${name}`)).close();
      if (record.exportedName) stale.push(record.exportedName);
      marked.push([record, name]);
    }
    for (const name of stale) await this.#fs.unlink(`queue/${name}`);
    if (marked.length > 0) await this.#fs.fsyncDir('queue');
    for (const [record, name] of marked) {
      record.exportedName = name;
      record.exportedAt = at;
    }
  }

  /**
   * Stores central's receipt (already verified by the uploader) durably, then moves the packet to
   * acknowledged. Acknowledging an acknowledged packet again changes nothing.
   */
  async acknowledge(packetId: string, receipt: Uint8Array): Promise<OutboxEntry> {
    const record = this.#require(packetId);
    if (record.state === 'acknowledged') return this.#entry(record);
    if (record.state === 'dead-letter') this.#wrongState(record, 'acknowledge it');
    if (receipt.length === 0) {
      throw new OutboxError('OUTBOX_EMPTY_RECEIPT', `the receipt for ${packetId} is empty`, packetId);
    }
    const at = this.#now();
    const receiptName = `${packetId}.${at}.rcpt`;
    await this.#writeDurable(`acked/${receiptName}`, receipt);
    failpoint('outbox.after-receipt-before-move');
    await this.#leaveQueue(record, 'acked');
    record.state = 'acknowledged';
    record.acknowledgedAt = at;
    record.sideName = receiptName;
    this.#lastReceiptAt = Math.max(this.#lastReceiptAt ?? 0, at);
    failpoint('outbox.after-receipt-before-purge');
    return this.#entry(record);
  }

  /** The stored receipt of an acknowledged packet. */
  async receipt(packetId: string): Promise<Uint8Array> {
    const record = this.#require(packetId);
    if (record.state !== 'acknowledged' || !record.sideName) this.#wrongState(record, 'read its receipt');
    return this.#fs.readFile(`acked/${record.sideName}`);
  }

  /** Central refused the packet for good: it moves to dead-letter with the reason, shown to the officer. */
  async deadLetter(packetId: string, reason: DeadLetterReason): Promise<OutboxEntry> {
    const record = this.#require(packetId);
    if (record.state === 'dead-letter') return this.#entry(record);
    if (record.state === 'acknowledged') this.#wrongState(record, 'dead-letter it');
    const reasonName = `${packetId}.${this.#now()}.reason`;
    const json = JSON.stringify({ code: reason.code, message: reason.message });
    await this.#writeDurable(`dead/${reasonName}`, new TextEncoder().encode(json));
    await this.#leaveQueue(record, 'dead');
    record.state = 'dead-letter';
    record.deadLetter = { code: reason.code, message: reason.message };
    record.sideName = reasonName;
    return this.#entry(record);
  }

  /**
   * Removes acknowledged packets (payload first, then receipt) whose receipt is older than the
   * retention period at `now` (wall clock). Dead-lettered and queued packets are never purged.
   * @returns the purged packet ids.
   */
  async purgeExpired(now: number = this.#now()): Promise<string[]> {
    const purged: string[] = [];
    let historyGone = false;
    for (const record of [...this.#records.values()]) {
      if (record.state !== 'acknowledged' || (record.acknowledgedAt ?? 0) + this.#retentionMs > now) continue;
      await this.#fs.unlink(`acked/${record.pktName}`);
      if (record.sideName) await this.#fs.unlink(`acked/${record.sideName}`);
      for (const name of record.history) await this.#fs.unlink(`dead/${name}`);
      if (record.history.length > 0) historyGone = true;
      this.#records.delete(record.packetId);
      purged.push(record.packetId);
    }
    if (purged.length > 0) await this.#fs.fsyncDir('acked');
    if (historyGone) await this.#fs.fsyncDir('dead');
    return purged;
  }

  // ---- what the officer and /health see ---------------------------------------------------

  list(): OutboxEntry[] {
    return [...this.#records.values()]
      .sort((a, b) => a.enqueuedAt - b.enqueuedAt || (a.packetId < b.packetId ? -1 : 1))
      .map((record) => this.#entry(record));
  }

  /** One packet's entry, or undefined when the outbox does not hold it. */
  entry(packetId: string): OutboxEntry | undefined {
    const record = this.#records.get(packetId);
    return record ? this.#entry(record) : undefined;
  }

  quarantined(): QuarantinedEntry[] {
    return [...this.#quarantine];
  }

  /** Packets waiting for a receipt (queued and uploading). */
  depth(): number {
    let waiting = 0;
    for (const record of this.#records.values()) if (record.dir === 'queue') waiting += 1;
    return waiting;
  }

  async stats(): Promise<OutboxStats> {
    const counts = { queued: 0, uploading: 0, acknowledged: 0, deadLetter: 0 };
    let waitingBytes = 0;
    let oldestWaiting: number | null = null;
    for (const record of this.#records.values()) {
      if (record.state === 'dead-letter') counts.deadLetter += 1;
      else counts[record.state] += 1;
      if (record.dir === 'queue') {
        waitingBytes += record.size;
        oldestWaiting = Math.min(oldestWaiting ?? record.enqueuedAt, record.enqueuedAt);
      }
    }
    // Offline since the last receipt, or since the oldest packet waits if that is later.
    const offlineSince =
      oldestWaiting === null ? null : Math.max(oldestWaiting, this.#lastReceiptAt ?? oldestWaiting);
    const { freeBytes } = await this.#fs.statfs();
    return {
      ...counts,
      quarantined: this.#quarantine.length,
      waitingBytes,
      offlineSince,
      daysOffline: offlineSince === null ? 0 : Math.max(0, (this.#now() - offlineSince) / DAY_MS),
      diskFreeBytes: freeBytes,
      limits: this.#limits,
    };
  }

  /**
   * Whether a new enrollment may start: checked before the officer begins, never in the middle.
   * Refuses below the disk reserve plus one packet's room, over the waiting limit, or offline too long.
   */
  async canAccept(): Promise<AcceptDecision> {
    const stats = await this.stats();
    const limits = this.#limits;
    if (stats.diskFreeBytes < limits.reserveBytes + limits.packetAllowanceBytes) {
      const mb = Math.floor(stats.diskFreeBytes / 1_000_000);
      return {
        ok: false,
        code: 'OUTBOX_DISK_LOW',
        message: `Ổ đĩa sắp đầy (còn ${mb} MB): hãy gửi hoặc xuất các gói đang chờ trước khi thu nhận mới. / Disk almost full (${mb} MB left): upload or export waiting packets before a new enrollment.`,
      };
    }
    if (stats.queued + stats.uploading >= limits.maxWaiting) {
      return {
        ok: false,
        code: 'OUTBOX_TOO_MANY_WAITING',
        message: `Có ${stats.queued + stats.uploading} gói đang chờ gửi: hãy kết nối mạng hoặc xuất ra USB. / ${stats.queued + stats.uploading} packets waiting: connect to the network or export them to USB.`,
      };
    }
    if (stats.daysOffline >= limits.maxDaysOffline) {
      const days = Math.floor(stats.daysOffline);
      return {
        ok: false,
        code: 'OUTBOX_OFFLINE_TOO_LONG',
        message: `Trạm đã ngoại tuyến ${days} ngày: hãy kết nối mạng hoặc xuất các gói ra USB. / The station has been offline ${days} days: connect to the network or export the packets to USB.`,
      };
    }
    return { ok: true };
  }

  #require(packetId: string): Record {
    const record = this.#records.get(packetId);
    if (!record) {
      throw new OutboxError('OUTBOX_UNKNOWN_PACKET', `the outbox holds no packet ${packetId}`, packetId);
    }
    return record;
  }

  #wrongState(record: Record, action: string): never {
    throw new OutboxError(
      'OUTBOX_WRONG_STATE',
      `packet ${record.packetId} is ${record.state}: cannot ${action}`,
      record.packetId,
    );
  }

  #entry(record: Record): OutboxEntry {
    return {
      packetId: record.packetId,
      state: record.state,
      enqueuedAt: record.enqueuedAt,
      size: record.size,
      digest: record.digest,
      ...(record.acknowledgedAt !== undefined ? { acknowledgedAt: record.acknowledgedAt } : {}),
      ...(record.deadLetter ? { deadLetter: record.deadLetter } : {}),
      ...(record.exportedAt !== undefined ? { exportedAt: record.exportedAt } : {}),
      ...(record.history.length > 0 ? { retried: record.history.length } : {}),
    };
  }
}
