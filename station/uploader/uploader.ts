/**
 * The upload loop (issue 18 item 2; README.md in this folder): takes packets from the outbox,
 * asks central for a statement first, uploads or resumes, verifies the statement against the
 * pinned keys and this packet, and only then acknowledges (a receipt) or dead-letters (a refusal).
 * Anything else keeps the packet queued and retries it with capped, fully jittered backoff; a
 * failure of the link puts the whole uploader offline, and it probes `GET /v1/health` (with its
 * own capped backoff) instead of trying packet after packet.
 */

import {
  type PinnedStatementKey,
  type Receipt,
  type StatementExpectation,
  verifyStatement,
} from '../../protocol/central/statement.ts';
import type { SignatureCheck } from '../../protocol/icao9303/pa.ts';
import type { AnchorStore } from '../audit/anchor.ts';
import { type BackoffSettings, backoffDelay, checkBackoff, DEFAULT_BACKOFF } from './backoff.ts';
import type { CentralPort, StatementSource } from './central-client.ts';
import {
  classifyError,
  type OfficerMessage,
  problem,
  type UploadProblem,
  type UploadProblemCode,
  UploadProblemError,
} from './problems.ts';
import { sleep as defaultSleep } from './throttle.ts';

/** What the uploader needs from the outbox (station/outbox/outbox.ts fits it). */
export interface UploaderOutbox {
  /** The oldest queued packet (or one whose lease ran out) with its verified bytes, or null. */
  next(): Promise<{ readonly entry: UploaderEntry; readonly bytes: Uint8Array } | null>;
  /** The verified bytes of a held packet, or null when it was quarantined. */
  read(packetId: string): Promise<Uint8Array | null>;
  /** Leases the packet for one upload; throws (OUTBOX_WRONG_STATE) when it is no longer waiting. */
  markUploading(packetId: string): UploaderEntry;
  acknowledge(packetId: string, receipt: Uint8Array): Promise<unknown>;
  deadLetter(packetId: string, reason: { readonly code: string; readonly message: string }): Promise<unknown>;
  /** The stored tus upload URL of a packet, if any. */
  uploadUrl(packetId: string): string | null | undefined | Promise<string | null | undefined>;
  /** Stores the URL durably (fsynced) before it resolves. */
  setUploadUrl(packetId: string, url: string): Promise<unknown>;
  clearUploadUrl(packetId: string): Promise<unknown>;
  /** Packets waiting for a statement. */
  depth(): number;
}

export interface UploaderEntry {
  readonly packetId: string;
  readonly size: number;
  /** Lowercase hex SHA-256 of the packet bytes. */
  readonly digest: string;
}

export interface UploaderSettings {
  /** Packets uploaded at once. Default 2. */
  readonly concurrency: number;
  /** Retry of one packet after a failure. Default 1 s doubling to 5 min, full jitter. */
  readonly backoff: BackoffSettings;
  /** Health probes while offline. Default 1 s doubling to 1 min, full jitter. */
  readonly probeBackoff: BackoffSettings;
  /** Longest idle wait before looking at the outbox again without a wake(), ms. Default 30 s. */
  readonly idlePollMs: number;
  /** Least time between two progress events of one packet, ms. Default 100. */
  readonly progressIntervalMs: number;
}

export const DEFAULT_UPLOADER_SETTINGS: UploaderSettings = {
  concurrency: 2,
  backoff: DEFAULT_BACKOFF,
  probeBackoff: { baseMs: 1_000, maxMs: 60_000, factor: 2 },
  idlePollMs: 30_000,
  progressIntervalMs: 100,
};

export interface UploaderState {
  readonly running: boolean;
  /** Central answered the last probe or upload in its protocol. */
  readonly online: boolean;
  /** Wall-clock ms since when central has been unreachable; null while online (or not yet probed). */
  readonly offlineSince: number | null;
  /** Packets waiting for a statement (queued and uploading). */
  readonly queueDepth: number;
  /** Wall-clock ms of the last verified receipt stored by this uploader; null before one. */
  readonly lastSuccessAt: number | null;
  /** Packet ids being uploaded now. */
  readonly uploading: readonly string[];
}

export type UploaderEvent =
  | {
      readonly type: 'progress';
      readonly packetId: string;
      readonly bytesSent: number;
      readonly bytesTotal: number;
    }
  | {
      readonly type: 'acknowledged';
      readonly packetId: string;
      readonly receivedAt: string;
      readonly source: StatementSource;
      /**
       * The audit anchor the receipt echoed (station/audit), and what became of it: `raised` (now
       * the stored anchor), `unchanged` (the stored one is as high), `failed` (could not be written:
       * the next receipt echoes it again). Absent when the receipt carries none or no store is set.
       */
      readonly audit?: {
        readonly seq: number;
        readonly head: string;
        readonly stored: 'raised' | 'unchanged' | 'failed';
      };
    }
  | {
      readonly type: 'dead-lettered';
      readonly packetId: string;
      readonly code: string;
      readonly message: OfficerMessage;
    }
  | {
      readonly type: 'problem';
      readonly packetId?: string;
      readonly code: UploadProblemCode | 'UPLOAD_OUTBOX_FAILED';
      readonly message: OfficerMessage;
      readonly detail: string;
      /** When this packet (or the next probe) is tried again, ms from now. */
      readonly retryInMs: number;
    }
  | { readonly type: 'state'; readonly state: UploaderState };

export interface UploaderClock {
  /** Wall clock, ms since the epoch: offlineSince, lastSuccessAt. */
  now(): number;
  /** Monotonic ms: backoff and intervals. */
  monotonic(): number;
}

export interface UploaderOptions {
  readonly outbox: UploaderOutbox;
  readonly central: CentralPort;
  /** Central's receipt-signing keys the station pins. */
  readonly pinned: readonly PinnedStatementKey[];
  /** ES256 (raw r‖s) verification, e.g. drivers/crypto/pa-node.ts createNodePaCrypto().verifySignature. */
  readonly verifySignature: (check: SignatureCheck) => Promise<boolean>;
  /** The station id (its certificate's CN) receipts must name. */
  readonly stationId: string;
  /** 'test' or 'production': receipts and central must match. */
  readonly environment: string;
  /** Where the audit anchors receipts echo are kept (station/audit `openAnchorStore`). */
  readonly anchors?: Pick<AnchorStore, 'record'>;
  readonly clock?: UploaderClock;
  readonly settings?: Partial<UploaderSettings>;
  /** Uniform in [0, 1), for jitter. Default Math.random. */
  readonly random?: () => number;
  /** Waits ms (rejects when the signal aborts). Default setTimeout. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Retry {
  attempts: number;
  notBefore: number;
}

interface Claim {
  readonly entry: UploaderEntry;
  readonly bytes: Uint8Array;
}

const OUTBOX_FAILED: OfficerMessage = {
  vi: 'Không ghi được vào hộp thư đi của trạm. Hãy kiểm tra ổ đĩa; gói vẫn được giữ.',
  en: "Could not write to the station's outbox. Check the disk; the packet is kept.",
};

/** An outbox error that says the packet is no longer waiting (acknowledged elsewhere, purged). */
function isGoneFromQueue(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'OUTBOX_UNKNOWN_PACKET' || code === 'OUTBOX_WRONG_STATE';
}

class StationStorageError extends Error {
  override readonly name = 'StationStorageError';
}

export class Uploader {
  readonly #o: UploaderOptions;
  readonly #settings: UploaderSettings;
  readonly #clock: UploaderClock;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #listeners = new Set<(event: UploaderEvent) => void>();
  readonly #retrying = new Map<string, Retry>();
  readonly #inFlight = new Set<string>();
  #running = false;
  #controller = new AbortController();
  #tasks: Promise<void>[] = [];
  #online = false;
  #offlineSince: number | null = null;
  #lastSuccessAt: number | null = null;
  #probeAttempts = 0;
  #probing: Promise<void> | undefined;
  /** Cuts the offline probe's back-off wait short (probeNow). */
  #probeNap: AbortController | undefined;
  #claimLock: Promise<unknown> = Promise.resolve();
  #wakeUp: () => void = () => {};
  #wakeSignal: Promise<void>;
  #lastState = '';

  /** Throws RangeError for settings that cannot work (concurrency < 1, bad backoff). */
  constructor(options: UploaderOptions) {
    this.#o = options;
    this.#settings = { ...DEFAULT_UPLOADER_SETTINGS, ...options.settings };
    const { concurrency } = this.#settings;
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 16))
      throw new RangeError(`concurrency ${concurrency} must be an integer from 1 to 16`);
    checkBackoff(this.#settings.backoff);
    checkBackoff(this.#settings.probeBackoff);
    this.#clock = options.clock ?? { now: () => Date.now(), monotonic: () => performance.now() };
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#wakeSignal = this.#newWakeSignal();
  }

  /** Listens to events; returns the function that stops listening. */
  subscribe(listener: (event: UploaderEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  snapshot(): UploaderState {
    return {
      running: this.#running,
      online: this.#online,
      offlineSince: this.#offlineSince,
      queueDepth: this.#o.outbox.depth(),
      lastSuccessAt: this.#lastSuccessAt,
      uploading: [...this.#inFlight].sort(),
    };
  }

  /** Starts the loop: a health probe, then `concurrency` workers. Starting twice does nothing. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#controller = new AbortController();
    this.#online = false;
    this.#probeAttempts = 0;
    this.#ensureProbing();
    for (let i = 0; i < this.#settings.concurrency; i++) this.#tasks.push(this.#worker());
    this.#emitState();
  }

  /**
   * Stops: aborts uploads in flight (their stored URLs stay, so the next start resumes them) and
   * resolves when every worker and the probe have returned.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#controller.abort(new Error('uploader stopped'));
    this.#wake();
    const tasks: Promise<void>[] = [...this.#tasks];
    if (this.#probing !== undefined) tasks.push(this.#probing);
    this.#tasks = [];
    await Promise.allSettled(tasks);
    this.#probing = undefined;
    this.#emitState();
  }

  /** A packet was enqueued (or a retry was asked for): look at the outbox now. */
  wake(): void {
    this.#wake();
  }

  /**
   * While offline: ask central's health now instead of after the probe's back-off (an
   * administrator says the network is back), and start the back-off again from its first step.
   * Online or stopped, it does nothing. Returns at once; the outcome comes as events.
   */
  probeNow(): void {
    if (!this.#running || this.#online) return;
    this.#probeAttempts = 0;
    this.#probeNap?.abort();
    this.#ensureProbing();
  }

  // ---- loop ---------------------------------------------------------------------------------

  #newWakeSignal(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakeUp = resolve;
    });
  }

  #wake(): void {
    const resolve = this.#wakeUp;
    this.#wakeSignal = this.#newWakeSignal();
    resolve();
  }

  /** Waits for wake(), stop() or `ms`. */
  async #idle(ms: number): Promise<void> {
    const signal = this.#controller.signal;
    const woken = this.#wakeSignal;
    const ac = new AbortController();
    const timer = this.#sleep(Math.max(0, ms), AbortSignal.any([signal, ac.signal])).catch(() => {});
    await Promise.race([woken, timer]);
    ac.abort();
  }

  async #worker(): Promise<void> {
    while (this.#running) {
      if (!this.#online) {
        this.#ensureProbing();
        await this.#idle(this.#settings.idlePollMs);
        continue;
      }
      let claim: Claim | null;
      try {
        claim = await this.#claim();
      } catch (error) {
        this.#emitProblem(
          undefined,
          'UPLOAD_OUTBOX_FAILED',
          OUTBOX_FAILED,
          String(error),
          this.#settings.idlePollMs,
        );
        await this.#idle(this.#settings.idlePollMs);
        continue;
      }
      if (claim === null) {
        await this.#idle(this.#nextDueIn());
        continue;
      }
      await this.#process(claim);
    }
  }

  #nextDueIn(): number {
    const now = this.#clock.monotonic();
    let due = this.#settings.idlePollMs;
    for (const [id, retry] of this.#retrying)
      if (!this.#inFlight.has(id)) due = Math.min(due, retry.notBefore - now);
    return Math.max(0, due);
  }

  /** One claim at a time, so two workers never take the same packet. */
  #claim(): Promise<Claim | null> {
    const run = this.#claimLock.then(() => this.#claimNow());
    this.#claimLock = run.catch(() => {});
    return run;
  }

  async #claimNow(): Promise<Claim | null> {
    const { outbox } = this.#o;
    const now = this.#clock.monotonic();
    // Packets whose backoff is over come first; they stay leased while they wait.
    for (const [id, retry] of this.#retrying) {
      if (retry.notBefore > now || this.#inFlight.has(id)) continue;
      let entry: UploaderEntry;
      try {
        entry = outbox.markUploading(id);
      } catch (error) {
        if (!isGoneFromQueue(error)) throw error;
        this.#retrying.delete(id);
        continue;
      }
      const bytes = await outbox.read(id);
      if (bytes === null) {
        this.#retrying.delete(id); // quarantined: the outbox reports it
        continue;
      }
      this.#inFlight.add(id);
      return { entry, bytes };
    }
    for (;;) {
      const next = await outbox.next();
      if (next === null) return null;
      const id = next.entry.packetId;
      outbox.markUploading(id); // renews the lease of one in flight, too
      // One backing off comes back from next() only when its lease ran out or the officer asked
      // for a retry (outbox.retry drops the lease): either way it is due now.
      if (this.#inFlight.has(id)) continue;
      this.#inFlight.add(id);
      return next;
    }
  }

  async #process(claim: Claim): Promise<void> {
    const { entry, bytes } = claim;
    const id = entry.packetId;
    const signal = this.#controller.signal;
    this.#emitState();
    try {
      await this.#deliver(entry, bytes, signal);
      this.#retrying.delete(id);
      this.#markOnline();
    } catch (error) {
      if (!this.#running || signal.aborted) {
        // Stopped: the packet is tried first on the next start (its URL is stored).
        const retry = this.#retrying.get(id);
        this.#retrying.set(id, { attempts: retry?.attempts ?? 0, notBefore: 0 });
        return;
      }
      if (isGoneFromQueue(error)) {
        this.#retrying.delete(id);
        return;
      }
      this.#fail(id, error);
    } finally {
      this.#inFlight.delete(id);
      this.#emitState();
    }
  }

  /** Statement first, then upload or resume, then verify and store. */
  async #deliver(entry: UploaderEntry, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    const { outbox, central } = this.#o;
    const id = entry.packetId;
    const held = await central.statement(id, signal);
    this.#markOnline();
    if (held !== 'none') {
      await this.#settle(entry, held, 'receipt-query');
      return;
    }
    const stored = await this.#storage(() => outbox.uploadUrl(id));
    let lastProgress = Number.NEGATIVE_INFINITY;
    const outcome = await central.upload(
      { packetId: id, sha256: entry.digest, bytes },
      {
        resumeUrl: stored ?? undefined,
        onUrl: (url) => this.#storage(() => outbox.setUploadUrl(id, url)).then(() => {}),
        onUrlGone: () => this.#storage(() => outbox.clearUploadUrl(id)).then(() => {}),
        onProgress: (bytesSent, bytesTotal) => {
          const now = this.#clock.monotonic();
          if (bytesSent < bytesTotal && now - lastProgress < this.#settings.progressIntervalMs) return;
          lastProgress = now;
          this.#emit({ type: 'progress', packetId: id, bytesSent, bytesTotal });
        },
        signal,
      },
    );
    await this.#settle(entry, outcome.statement, outcome.source);
  }

  async #storage<T>(action: () => T | Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (isGoneFromQueue(error)) throw error;
      throw new StationStorageError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  /**
   * Accepts a statement only when it verifies with a pinned key and is about exactly this packet,
   * this station and this environment; then stores it. Dead-letters only on such a refusal.
   */
  async #settle(entry: UploaderEntry, bytes: Uint8Array, source: StatementSource): Promise<void> {
    const { outbox, pinned, verifySignature, stationId, environment } = this.#o;
    const expect: StatementExpectation = {
      packetId: entry.packetId,
      sha256: entry.digest,
      size: entry.size,
      stationId,
      environment,
    };
    const check = await verifyStatement(bytes, { pinned, expect, verifySignature });
    if (!check.ok)
      throw new UploadProblemError(
        problem(
          'UPLOAD_STATEMENT_REJECTED',
          `${source} statement for ${entry.packetId}: ${check.problem}: ${check.detail}`,
        ),
      );
    const statement = check.statement;
    if (statement.kind === 'receipt') {
      await this.#storage(() => outbox.acknowledge(entry.packetId, bytes));
      this.#lastSuccessAt = this.#clock.now();
      const audit = await this.#keepAnchor(statement);
      this.#emit({
        type: 'acknowledged',
        packetId: entry.packetId,
        receivedAt: statement.receivedAt,
        source,
        ...(audit === undefined ? {} : { audit }),
      });
      return;
    }
    const message = statement.message;
    await this.#storage(() =>
      outbox.deadLetter(entry.packetId, { code: statement.code, message: `${message.vi} / ${message.en}` }),
    );
    this.#emit({ type: 'dead-lettered', packetId: entry.packetId, code: statement.code, message });
  }

  /**
   * Hands the receipt's audit anchor (verified with the rest of it) to the anchor store. The packet
   * is acknowledged either way: a failed write only delays the anchor to the next receipt, which
   * echoes central's highest again.
   */
  async #keepAnchor(receipt: Receipt): Promise<Extract<UploaderEvent, { type: 'acknowledged' }>['audit']> {
    const { anchors } = this.#o;
    if (anchors === undefined || receipt.audit === undefined) return undefined;
    const { seq, head } = receipt.audit;
    try {
      const raised = await anchors.record({
        seq,
        head,
        packetId: receipt.packetId,
        receivedAt: receipt.receivedAt,
      });
      return { seq, head, stored: raised ? 'raised' : 'unchanged' };
    } catch {
      return { seq, head, stored: 'failed' };
    }
  }

  #fail(packetId: string, error: unknown): void {
    const attempts = (this.#retrying.get(packetId)?.attempts ?? 0) + 1;
    const wait = backoffDelay(attempts, this.#settings.backoff, this.#random);
    this.#retrying.set(packetId, { attempts, notBefore: this.#clock.monotonic() + wait });
    if (error instanceof StationStorageError) {
      this.#emitProblem(packetId, 'UPLOAD_OUTBOX_FAILED', OUTBOX_FAILED, error.message, wait);
      return;
    }
    const found: UploadProblem = classifyError(error);
    this.#emitProblem(packetId, found.code, found.message, found.detail, wait);
    if (found.scope === 'link') this.#markOffline();
  }

  // ---- connectivity -------------------------------------------------------------------------

  #markOnline(): void {
    if (this.#online) return;
    this.#online = true;
    this.#offlineSince = null;
    this.#probeAttempts = 0;
    this.#wake();
    this.#emitState();
  }

  #markOffline(): void {
    if (this.#online) {
      this.#online = false;
      this.#offlineSince = this.#clock.now();
      this.#emitState();
    }
    this.#ensureProbing();
  }

  #ensureProbing(): void {
    if (this.#probing !== undefined || !this.#running) return;
    this.#probing = this.#probe().finally(() => {
      this.#probing = undefined;
    });
  }

  /** Probes health until central answers in its protocol and serves this environment. */
  async #probe(): Promise<void> {
    const signal = this.#controller.signal;
    while (this.#running && !this.#online) {
      let found: UploadProblem | undefined;
      try {
        const health = await this.#o.central.health(signal);
        if (health.environment === this.#o.environment) {
          this.#markOnline();
          return;
        }
        found = problem(
          'UPLOAD_WRONG_ENVIRONMENT',
          `central serves ${health.environment}, the station ${this.#o.environment}`,
        );
      } catch (error) {
        if (!this.#running) return;
        found = classifyError(error);
      }
      this.#offlineSince ??= this.#clock.now();
      this.#probeAttempts += 1;
      const wait = backoffDelay(this.#probeAttempts, this.#settings.probeBackoff, this.#random);
      this.#emitProblem(undefined, found.code, found.message, found.detail, wait);
      this.#emitState();
      const nap = new AbortController();
      this.#probeNap = nap;
      try {
        await this.#sleep(wait, AbortSignal.any([signal, nap.signal]));
      } catch {
        if (signal.aborted || !this.#running) return;
        // probeNow(): probe again at once.
      } finally {
        this.#probeNap = undefined;
      }
    }
  }

  // ---- events -------------------------------------------------------------------------------

  #emitProblem(
    packetId: string | undefined,
    code: UploadProblemCode | 'UPLOAD_OUTBOX_FAILED',
    message: OfficerMessage,
    detail: string,
    retryInMs: number,
  ): void {
    this.#emit({
      type: 'problem',
      ...(packetId !== undefined ? { packetId } : {}),
      code,
      message,
      detail,
      retryInMs,
    });
  }

  /** A state event only when something the screen shows changed. */
  #emitState(): void {
    const state = this.snapshot();
    const key = JSON.stringify(state);
    if (key === this.#lastState) return;
    this.#lastState = key;
    this.#emit({ type: 'state', state });
  }

  #emit(event: UploaderEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A screen's listener must not stop the uploads.
      }
    }
  }
}
