/**
 * The hot-path worker pool: fingerprint quality, segmentation and WSQ run here, one worker per core,
 * so the event loop that serves the officer's screen never runs them.
 *
 * - Buffers move to and from workers by transfer (the caller's input pixels are emptied).
 * - Each job has a latency budget; a job over it still returns, and is reported (result flag,
 *   `onOverBudget`, counters), never dropped.
 * - Each job has a hard limit; past it the worker is terminated and replaced, and the job fails with
 *   HOTPATH_TIMEOUT. A worker that dies fails its job with HOTPATH_WORKER_CRASHED and is replaced.
 * - A canceled job leaves the queue at once; a running one stops at its next stage boundary and its
 *   caller hears HOTPATH_CANCELED immediately.
 * - The queue is bounded (HOTPATH_QUEUE_FULL), and each worker's heap is capped.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import { HotpathError } from './errors.ts';
import type { HotpathJobs, JobKind } from './jobs.ts';
import type { JobReply, JobRequest } from './worker-runtime.ts';

export interface JobTimings {
  /** Waiting for a free worker, ms. */
  readonly queuedMs: number;
  /** From handing the job to a worker to its answer, ms (transfer included). */
  readonly runMs: number;
  readonly totalMs: number;
  /** Time per named stage inside the worker, ms. */
  readonly stages: Readonly<Record<string, number>>;
  /** The worker thread that ran it (never 0, the main thread). */
  readonly threadId: number;
}

export interface JobResult<T> {
  readonly value: T;
  readonly timings: JobTimings;
  readonly budgetMs: number;
  readonly overBudget: boolean;
}

export interface OverBudgetReport {
  readonly kind: string;
  readonly budgetMs: number;
  readonly timings: JobTimings;
}

export interface HotpathPoolOptions {
  /** Workers; one per core by default. */
  readonly size?: number;
  /** The worker module (tests pass their own); station/hotpath/worker.ts by default. */
  readonly workerUrl?: URL;
  /** Jobs allowed to wait for a worker (default 256). */
  readonly maxQueued?: number;
  /** Latency budget per job kind, ms (default 1000 for kinds not listed). */
  readonly budgetsMs?: Readonly<Partial<Record<string, number>>>;
  /** A job running longer than this is killed with its worker, ms (default 30000). */
  readonly hardLimitMs?: number;
  /** Heap cap per worker, MB (default 512). */
  readonly maxHeapMb?: number;
  readonly onOverBudget?: (report: OverBudgetReport) => void;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Buffers of the input to move to the worker (emptied here). */
  readonly transfer?: readonly ArrayBuffer[];
  /** Overrides the kind's budget for this job, ms. */
  readonly budgetMs?: number;
  /**
   * 'urgent' jobs (live preview frames) wait ahead of every 'normal' one, in their own arrival
   * order; a running job is never interrupted. Default 'normal'.
   */
  readonly priority?: 'normal' | 'urgent';
}

interface Job {
  readonly id: number;
  readonly kind: string;
  readonly input: unknown;
  readonly transfer: readonly ArrayBuffer[];
  readonly cancel: SharedArrayBuffer;
  readonly budgetMs: number;
  readonly urgent: boolean;
  readonly enqueuedAt: number;
  startedAt: number;
  settled: boolean;
  readonly resolve: (result: JobResult<unknown>) => void;
  readonly reject: (error: HotpathError) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded its module and takes jobs. */
  ready: boolean;
  /** The job the worker is running (possibly already canceled, awaiting its answer). */
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

export interface PoolStats {
  readonly workers: number;
  readonly busy: number;
  /** Workers still loading their module. */
  readonly starting: number;
  readonly queued: number;
  readonly completed: number;
  readonly failed: number;
  readonly overBudget: number;
  readonly crashed: number;
  readonly timedOut: number;
}

const DEFAULT_BUDGET_MS = 1000;

export class HotpathPool {
  readonly size: number;
  readonly #options: HotpathPoolOptions;
  readonly #workerUrl: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  readonly #readyWaiters: (() => void)[] = [];
  #closed = false;
  #stats = { completed: 0, failed: 0, overBudget: 0, crashed: 0, timedOut: 0 };

  /** @throws {RangeError} for a size below 1 or a non-positive limit. */
  constructor(options: HotpathPoolOptions = {}) {
    this.size = options.size ?? availableParallelism();
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`pool size ${this.size}`);
    if (options.hardLimitMs !== undefined && !(options.hardLimitMs > 0))
      throw new RangeError(`hard limit ${options.hardLimitMs} ms`);
    this.#options = options;
    this.#workerUrl = options.workerUrl ?? siblingModule('./worker', import.meta.url);
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    // From the sources the worker module is TypeScript: it starts through an entry that loads tsx first.
    const entry = workerStartUrl(this.#workerUrl, new URL('./worker-entry.mjs', import.meta.url));
    const worker = new Worker(entry, {
      workerData: { module: this.#workerUrl.href },
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxHeapMb ?? 512 },
    });
    const slot: Slot = { worker, ready: false, job: undefined, timer: undefined };
    worker.on('message', (reply: JobReply) => this.#onReply(slot, reply));
    worker.on('error', (error) => this.#onWorkerGone(slot, error));
    worker.on('exit', (code) => {
      if (!this.#closed && this.#slots.includes(slot) && slot.worker === worker)
        this.#onWorkerGone(slot, new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  /** Replaces a dead or killed worker; its job (if any) fails with `error`. */
  #replace(slot: Slot, failure: HotpathError | undefined): void {
    const job = slot.job;
    slot.job = undefined;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const old = slot.worker;
    old.removeAllListeners();
    old.on('error', () => undefined);
    void old.terminate();
    if (job && failure) this.#settle(job, failure);
    if (this.#closed) return;
    const index = this.#slots.indexOf(slot);
    const fresh = this.#spawn();
    if (index >= 0) this.#slots[index] = fresh;
    this.#pump();
  }

  #onWorkerGone(slot: Slot, error: unknown): void {
    if (this.#closed) return;
    this.#stats.crashed++;
    const kind = slot.job?.kind;
    this.#replace(
      slot,
      new HotpathError(
        'HOTPATH_WORKER_CRASHED',
        `The hot-path worker running ${kind ?? 'no job'} died (${error instanceof Error ? error.message : String(error)}); it was replaced, retry the job`,
        { ...(kind === undefined ? {} : { job: kind }), cause: error },
      ),
    );
  }

  #onReply(slot: Slot, reply: JobReply): void {
    if ('ready' in reply) {
      slot.ready = true;
      for (const waiter of this.#readyWaiters.splice(0)) waiter();
      this.#pump();
      return;
    }
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    slot.job = undefined;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const now = performance.now();
    const timings: JobTimings = {
      queuedMs: job.startedAt - job.enqueuedAt,
      runMs: now - job.startedAt,
      totalMs: now - job.enqueuedAt,
      stages: reply.stages,
      threadId: reply.threadId,
    };
    if (reply.ok) {
      const overBudget = timings.totalMs > job.budgetMs;
      if (overBudget && !job.settled) {
        this.#stats.overBudget++;
        this.#options.onOverBudget?.({ kind: job.kind, budgetMs: job.budgetMs, timings });
      }
      if (!job.settled) this.#stats.completed++;
      this.#settle(job, { value: reply.value, timings, budgetMs: job.budgetMs, overBudget });
    } else {
      const code =
        reply.error.code === 'HOTPATH_INPUT' || reply.error.code === 'HOTPATH_CANCELED'
          ? reply.error.code
          : undefined;
      this.#settle(
        job,
        new HotpathError(
          code ?? 'HOTPATH_WORKER_CRASHED',
          code ? reply.error.message : `The ${job.kind} job failed inside its worker: ${reply.error.message}`,
          { job: job.kind, ...(reply.error.reason === undefined ? {} : { reason: reply.error.reason }) },
        ),
      );
    }
    this.#pump();
  }

  #settle(job: Job, outcome: JobResult<unknown> | HotpathError): void {
    if (job.settled) return;
    job.settled = true;
    job.signal?.removeEventListener('abort', job.onAbort);
    if (outcome instanceof HotpathError) {
      this.#stats.failed++;
      job.reject(outcome);
    } else {
      job.resolve(outcome);
    }
  }

  /** Hands queued jobs to idle workers. */
  #pump(): void {
    for (const slot of this.#slots) {
      if (slot.job || !slot.ready) continue;
      const job = this.#queue.shift();
      if (!job) return;
      slot.job = job;
      job.startedAt = performance.now();
      const request: JobRequest = { id: job.id, kind: job.kind, input: job.input, cancel: job.cancel };
      try {
        slot.worker.postMessage(request, [...job.transfer]);
      } catch (error) {
        // The input cannot cross to a worker (a buffer that cannot be transferred or cloned): the
        // caller's mistake, answered as such; the worker never saw it and takes the next job.
        slot.job = undefined;
        this.#settle(
          job,
          new HotpathError(
            'HOTPATH_INPUT',
            `The ${job.kind} job's input cannot be sent to a worker: ${(error as Error).message}`,
            { job: job.kind, reason: 'invalid-value' },
          ),
        );
        // This slot is idle again: hand it the next job on a later turn.
        queueMicrotask(() => this.#pump());
        continue;
      }
      const limit = this.#options.hardLimitMs ?? 30_000;
      slot.timer = setTimeout(() => {
        this.#stats.timedOut++;
        this.#replace(
          slot,
          new HotpathError(
            'HOTPATH_TIMEOUT',
            `The ${job.kind} job ran past its ${limit} ms limit; its worker was replaced`,
            { job: job.kind },
          ),
        );
      }, limit);
    }
  }

  /**
   * Runs one job in a worker.
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT, HOTPATH_CANCELED, HOTPATH_TIMEOUT,
   *   HOTPATH_WORKER_CRASHED, HOTPATH_QUEUE_FULL or HOTPATH_CLOSED.
   */
  run<K extends JobKind>(
    kind: K,
    input: HotpathJobs[K]['input'],
    options: RunOptions = {},
  ): Promise<JobResult<HotpathJobs[K]['output']>> {
    return this.runAny(kind, input, options) as Promise<JobResult<HotpathJobs[K]['output']>>;
  }

  /** `run` for job kinds outside HotpathJobs (test workers). Same contract. */
  runAny(kind: string, input: unknown, options: RunOptions = {}): Promise<JobResult<unknown>> {
    if (this.#closed)
      return Promise.reject(new HotpathError('HOTPATH_CLOSED', 'The hot-path pool is closed'));
    if (options.signal?.aborted)
      return Promise.reject(
        new HotpathError('HOTPATH_CANCELED', `The ${kind} job was canceled`, { job: kind }),
      );
    if (this.#queue.length >= (this.#options.maxQueued ?? 256))
      return Promise.reject(
        new HotpathError(
          'HOTPATH_QUEUE_FULL',
          `${this.#queue.length} hot-path jobs are waiting; retry shortly`,
          {
            job: kind,
          },
        ),
      );
    return new Promise((resolve, reject) => {
      const cancel = new SharedArrayBuffer(4);
      const job: Job = {
        id: this.#nextId++,
        kind,
        input,
        transfer: options.transfer ?? [],
        cancel,
        budgetMs: options.budgetMs ?? this.#options.budgetsMs?.[kind] ?? DEFAULT_BUDGET_MS,
        urgent: options.priority === 'urgent',
        enqueuedAt: performance.now(),
        startedAt: 0,
        settled: false,
        resolve,
        reject,
        signal: options.signal,
        onAbort: () => {
          Atomics.store(new Int32Array(cancel), 0, 1);
          const queued = this.#queue.indexOf(job);
          if (queued >= 0) this.#queue.splice(queued, 1);
          this.#settle(
            job,
            new HotpathError('HOTPATH_CANCELED', `The ${kind} job was canceled`, { job: kind }),
          );
        },
      };
      options.signal?.addEventListener('abort', job.onAbort, { once: true });
      if (job.urgent) {
        const firstNormal = this.#queue.findIndex((queued) => !queued.urgent);
        this.#queue.splice(firstNormal < 0 ? this.#queue.length : firstNormal, 0, job);
      } else {
        this.#queue.push(job);
      }
      this.#pump();
    });
  }

  /** Resolves once every worker has started (jobs may be queued before: they wait). */
  async ready(): Promise<void> {
    while (!this.#closed && this.#slots.some((s) => !s.ready))
      await new Promise<void>((resolve) => this.#readyWaiters.push(resolve));
  }

  stats(): PoolStats {
    return {
      workers: this.#slots.length,
      busy: this.#slots.filter((s) => s.job).length,
      starting: this.#slots.filter((s) => !s.ready).length,
      queued: this.#queue.length,
      ...this.#stats,
    };
  }

  /** Fails waiting and running jobs with HOTPATH_CLOSED and stops the workers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = () => new HotpathError('HOTPATH_CLOSED', 'The hot-path pool closed');
    for (const job of this.#queue.splice(0)) this.#settle(job, closed());
    for (const waiter of this.#readyWaiters.splice(0)) waiter();
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        if (slot.job) this.#settle(slot.job, closed());
        slot.job = undefined;
        slot.worker.removeAllListeners();
        slot.worker.on('error', () => undefined);
        await slot.worker.terminate();
      }),
    );
  }
}
