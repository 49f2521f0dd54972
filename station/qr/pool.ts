/**
 * QR decoding off the event loop: a small pool of worker threads (one by default) each running
 * decodeQrFrame (decode.ts), with a bounded queue.
 *
 * - Live camera frames come faster than they can be decoded; a frame that finds the queue full is
 *   refused at once (QR_QUEUE_FULL) rather than queued without bound: the next frame is newer anyway.
 * - A job that runs past `hardLimitMs` terminates its worker (jsQR cannot be interrupted) and fails
 *   with QR_TIMEOUT; a worker that dies fails its job with QR_WORKER_CRASHED; both are replaced.
 * - An aborted job leaves the queue at once, or, if running, its caller hears QR_CANCELED at once
 *   and the worker's answer is dropped.
 * - `close()` fails every pending job with QR_CLOSED and stops the workers.
 * The frame's pixels are copied to the worker (about 1 ms for 1280x720 RGB), or moved with
 * `transfer: true` (the caller's buffer is then emptied).
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import type { QrDecodeResult, QrFrame } from './decode.ts';
import { QrDecoderError } from './errors.ts';
import type { QrWorkerReply, QrWorkerRequest } from './worker.ts';

export interface QrDecoderOptions {
  /** Worker threads (default 1: QR decoding shares the station's cores with the face pipeline). */
  readonly size?: number;
  /** Frames allowed to wait for a worker (default 2). */
  readonly maxQueued?: number;
  /** A decode running longer than this kills its worker, ms (default 3000). */
  readonly hardLimitMs?: number;
  /** Heap cap per worker, MB (default 256). */
  readonly maxHeapMb?: number;
  /** The worker module; tests pass their own (default ./worker.ts). */
  readonly workerUrl?: URL;
}

export interface QrDecodeCallOptions {
  readonly signal?: AbortSignal;
  /** Move the frame's pixel buffer to the worker instead of copying it (the caller's is emptied). */
  readonly transfer?: boolean;
  /** This call's hard limit, ms (default: the decoder's). */
  readonly hardLimitMs?: number;
}

interface Job {
  readonly id: number;
  readonly frame: QrFrame;
  readonly transfer: boolean;
  readonly hardLimitMs: number;
  readonly resolve: (result: QrDecodeResult) => void;
  readonly reject: (error: QrDecoderError) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class QrDecoder {
  readonly size: number;
  readonly #maxQueued: number;
  readonly #hardLimitMs: number;
  readonly #maxHeapMb: number;
  readonly #workerUrl: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  /** @throws {RangeError} for a size below 1, a negative queue bound, or a non-positive limit. */
  constructor(options: QrDecoderOptions = {}) {
    this.size = options.size ?? 1;
    this.#maxQueued = options.maxQueued ?? 2;
    this.#hardLimitMs = options.hardLimitMs ?? 3000;
    this.#maxHeapMb = options.maxHeapMb ?? 256;
    this.#workerUrl = options.workerUrl ?? siblingModule('./worker', import.meta.url);
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`QR pool size ${this.size}`);
    if (!Number.isInteger(this.#maxQueued) || this.#maxQueued < 0)
      throw new RangeError(`QR queue bound ${this.#maxQueued}`);
    if (!(this.#hardLimitMs > 0)) throw new RangeError(`QR hard limit ${this.#hardLimitMs} ms`);
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    // From the sources the worker module is TypeScript: it starts through the hot path's entry, which loads tsx.
    const worker = new Worker(
      workerStartUrl(this.#workerUrl, new URL('../hotpath/worker-entry.mjs', import.meta.url)),
      {
        workerData: { module: this.#workerUrl.href },
        resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
      },
    );
    const slot: Slot = { worker, ready: false, job: undefined, timer: undefined };
    worker.on('message', (message: QrWorkerReply | { ready: true }) => {
      if ('ready' in message) {
        slot.ready = true;
        this.#pump();
        return;
      }
      this.#onReply(slot, message);
    });
    worker.on('error', (error) => this.#onWorkerGone(slot, worker, error));
    worker.on('exit', (code) =>
      this.#onWorkerGone(slot, worker, new Error(`the QR worker exited with code ${code}`)),
    );
    // An idle worker does not keep a command-line process alive; a busy one does (see #holdAlive).
    worker.unref();
    return slot;
  }

  /**
   * Decodes the QR code in `frame` in a worker. Resolves the typed result (a frame without a
   * readable code is `ok: false`, not a rejection).
   * @throws {RangeError} for a non-positive `hardLimitMs`.
   * @throws {QrDecoderError} QR_QUEUE_FULL, QR_CANCELED, QR_CLOSED, QR_TIMEOUT, QR_WORKER_CRASHED.
   */
  decode(frame: QrFrame, options: QrDecodeCallOptions = {}): Promise<QrDecodeResult> {
    if (options.hardLimitMs !== undefined && !(options.hardLimitMs > 0))
      throw new RangeError(`QR hard limit ${options.hardLimitMs} ms`);
    if (this.#closed) return Promise.reject(new QrDecoderError('QR_CLOSED', 'The QR decoder is closed'));
    if (options.signal?.aborted)
      return Promise.reject(
        new QrDecoderError('QR_CANCELED', 'QR decoding was canceled before it started', {
          cause: options.signal.reason,
        }),
      );
    // Workers still starting count as free: the jobs that wait for them are not the backlog.
    const free = this.#slots.filter((s) => s.job === undefined).length;
    if (this.#queue.length >= this.#maxQueued + free)
      return Promise.reject(
        new QrDecoderError(
          'QR_QUEUE_FULL',
          `${this.#queue.length} frames already wait for QR decoding; this frame is dropped`,
        ),
      );
    return new Promise<QrDecodeResult>((resolve, reject) => {
      const signal = options.signal;
      const job: Job = {
        id: this.#nextId++,
        frame,
        transfer: options.transfer === true,
        hardLimitMs: options.hardLimitMs ?? this.#hardLimitMs,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.#queue.indexOf(job);
          if (at >= 0) this.#queue.splice(at, 1);
          this.#settle(
            job,
            new QrDecoderError('QR_CANCELED', 'QR decoding was canceled', { cause: signal?.reason }),
          );
        },
        settled: false,
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Frames waiting for a worker now. */
  get queued(): number {
    return this.#queue.length;
  }

  #settle(job: Job, outcome: QrDecodeResult | QrDecoderError): void {
    if (job.settled) return;
    job.settled = true;
    job.signal?.removeEventListener('abort', job.onAbort);
    if (outcome instanceof QrDecoderError) job.reject(outcome);
    else job.resolve(outcome);
  }

  /**
   * Workers that have a job, or are starting while frames wait, keep the process alive (a CLI
   * awaiting its decode must not exit); idle ones do not.
   */
  #holdAlive(): void {
    for (const slot of this.#slots) {
      if (slot.job !== undefined || (!slot.ready && this.#queue.length > 0)) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  #pump(): void {
    this.#dispatch();
    this.#holdAlive();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.job !== undefined) continue;
      const job = this.#queue.shift();
      if (!job) return;
      slot.job = job;
      slot.timer = setTimeout(() => this.#onTimeout(slot, job), job.hardLimitMs);
      const request: QrWorkerRequest = { id: job.id, frame: job.frame };
      const buffer = job.frame.data.buffer;
      slot.worker.postMessage(request, job.transfer && buffer instanceof ArrayBuffer ? [buffer] : []);
    }
  }

  #finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    this.#holdAlive();
  }

  #onReply(slot: Slot, reply: QrWorkerReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    this.#finish(slot);
    if ('error' in reply)
      this.#settle(job, new QrDecoderError('QR_WORKER_CRASHED', `The QR worker failed: ${reply.error}`));
    else this.#settle(job, reply.result);
    this.#pump();
  }

  #onTimeout(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    this.#finish(slot);
    this.#settle(
      job,
      new QrDecoderError(
        'QR_TIMEOUT',
        `QR decoding took longer than ${job.hardLimitMs} ms; the worker was restarted`,
      ),
    );
    this.#replace(slot);
  }

  #onWorkerGone(slot: Slot, worker: Worker, error: Error): void {
    if (this.#closed || slot.worker !== worker) return;
    const job = slot.job;
    this.#finish(slot);
    if (job)
      this.#settle(
        job,
        new QrDecoderError('QR_WORKER_CRASHED', `The QR worker died: ${error.message}`, { cause: error }),
      );
    this.#replace(slot);
  }

  #replace(slot: Slot): void {
    const old = slot.worker;
    const fresh = this.#spawn();
    const at = this.#slots.indexOf(slot);
    if (at >= 0) this.#slots[at] = fresh;
    this.#holdAlive();
    // The old worker's exit event now finds its slot gone and is ignored.
    slot.worker = fresh.worker;
    void old.terminate();
  }

  /** Fails pending jobs with QR_CLOSED and stops the workers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = () => new QrDecoderError('QR_CLOSED', 'The QR decoder was closed');
    for (const job of this.#queue.splice(0)) this.#settle(job, closed());
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      if (slot.job) this.#settle(slot.job, closed());
      slot.job = undefined;
    }
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }
}
