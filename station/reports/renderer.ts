/**
 * Printed documents off the event loop: one worker thread (started on the first document, unref'd
 * while idle) renders the citizen's receipt and the notary's report with pdf-worker.ts, one at a
 * time, from a bounded queue.
 *
 * - A full queue refuses at once (PDF_QUEUE_FULL): a print is an officer's click, and eight waiting
 *   ones mean something is wrong, not busy.
 * - A document running past `hardLimitMs` terminates the worker (PDF_TIMEOUT); a worker that dies
 *   fails its document (PDF_WORKER_CRASHED); the next document starts a new worker.
 * - `close()` fails what waits with PDF_CLOSED and stops the worker.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import type { PdfDocumentRequest, PdfWorkerReply } from './pdf-worker.ts';

export type PdfRendererErrorCode = 'PDF_QUEUE_FULL' | 'PDF_TIMEOUT' | 'PDF_WORKER_CRASHED' | 'PDF_CLOSED';

export class PdfRendererError extends Error {
  override readonly name = 'PdfRendererError';
  constructor(
    readonly code: PdfRendererErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PdfRendererOptions {
  /** Documents allowed to wait (default 8). */
  readonly maxQueued?: number;
  /** A document taking longer than this kills the worker, ms (default 15 000). */
  readonly hardLimitMs?: number;
  /** The worker module; tests pass their own (default ./pdf-worker). */
  readonly workerUrl?: URL;
}

interface Job {
  readonly id: number;
  readonly document: PdfDocumentRequest;
  readonly resolve: (pdf: Uint8Array) => void;
  readonly reject: (error: PdfRendererError) => void;
}

export class PdfRenderer {
  readonly #maxQueued: number;
  readonly #hardLimitMs: number;
  readonly #workerUrl: URL;
  readonly #queue: Job[] = [];
  #worker: Worker | undefined;
  #ready = false;
  #running: { job: Job; timer: ReturnType<typeof setTimeout> } | undefined;
  #nextId = 1;
  #closed = false;

  constructor(options: PdfRendererOptions = {}) {
    this.#maxQueued = options.maxQueued ?? 8;
    this.#hardLimitMs = options.hardLimitMs ?? 15_000;
    this.#workerUrl = options.workerUrl ?? siblingModule('./pdf-worker', import.meta.url);
    if (!Number.isInteger(this.#maxQueued) || this.#maxQueued < 1)
      throw new RangeError(`PDF queue bound ${this.#maxQueued}`);
    if (!(this.#hardLimitMs > 0)) throw new RangeError(`PDF hard limit ${this.#hardLimitMs} ms`);
  }

  /**
   * Renders `document` in the worker; resolves the PDF bytes.
   * @throws {PdfRendererError} PDF_QUEUE_FULL, PDF_TIMEOUT, PDF_WORKER_CRASHED, PDF_CLOSED.
   */
  render(document: PdfDocumentRequest): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new PdfRendererError('PDF_CLOSED', 'the PDF renderer is closed'));
    if (this.#queue.length >= this.#maxQueued)
      return Promise.reject(
        new PdfRendererError(
          'PDF_QUEUE_FULL',
          `${this.#queue.length} documents are already waiting to print`,
        ),
      );
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, document, resolve, reject });
      this.#pump();
    });
  }

  /** Fails what waits with PDF_CLOSED and stops the worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new PdfRendererError('PDF_CLOSED', 'the PDF renderer closed before the document was made');
    if (this.#running !== undefined) {
      clearTimeout(this.#running.timer);
      this.#running.job.reject(closed);
      this.#running = undefined;
    }
    for (const job of this.#queue.splice(0)) job.reject(closed);
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #start(): Worker {
    const worker = new Worker(
      workerStartUrl(this.#workerUrl, new URL('../hotpath/worker-entry.mjs', import.meta.url)),
      { workerData: { module: this.#workerUrl.href }, resourceLimits: { maxOldGenerationSizeMb: 256 } },
    );
    this.#ready = false;
    worker.on('message', (message: PdfWorkerReply | { ready: true }) => {
      if (worker !== this.#worker) return;
      if ('ready' in message) {
        this.#ready = true;
        this.#pump();
        return;
      }
      const running = this.#running;
      if (running === undefined || running.job.id !== message.id) return;
      clearTimeout(running.timer);
      this.#running = undefined;
      if ('pdf' in message) running.job.resolve(message.pdf);
      else
        running.job.reject(new PdfRendererError('PDF_WORKER_CRASHED', `rendering failed: ${message.error}`));
      this.#idle();
      this.#pump();
    });
    const gone = (error: Error) => {
      if (worker !== this.#worker) return;
      this.#worker = undefined;
      const running = this.#running;
      this.#running = undefined;
      if (running !== undefined) {
        clearTimeout(running.timer);
        running.job.reject(
          new PdfRendererError('PDF_WORKER_CRASHED', 'the PDF worker stopped', { cause: error }),
        );
      }
      this.#pump();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the PDF worker exited with code ${code}`)));
    return worker;
  }

  /** An idle worker does not keep the process alive; a busy one does. */
  #idle(): void {
    if (this.#running === undefined && this.#queue.length === 0) this.#worker?.unref();
  }

  #pump(): void {
    if (this.#closed || this.#running !== undefined || this.#queue.length === 0) return;
    if (this.#worker === undefined) this.#worker = this.#start();
    this.#worker.ref();
    if (!this.#ready) return;
    const job = this.#queue.shift() as Job;
    const worker = this.#worker;
    const timer = setTimeout(() => {
      if (this.#running?.job !== job) return;
      this.#running = undefined;
      this.#worker = undefined;
      job.reject(
        new PdfRendererError(
          'PDF_TIMEOUT',
          `the document took longer than ${this.#hardLimitMs} ms; its worker was stopped`,
        ),
      );
      void worker.terminate();
      this.#pump();
    }, this.#hardLimitMs);
    this.#running = { job, timer };
    worker.postMessage({ id: job.id, document: job.document });
  }
}

/** The HTTP answer for a document that could not be made: 503 with the code and both languages. */
export function printFailure(error: PdfRendererError): {
  readonly status: 503;
  readonly body: { readonly error: { code: string; message: string; messages: { vi: string; en: string } } };
} {
  return {
    status: 503,
    body: {
      error: {
        code: error.code,
        message: error.message,
        messages: {
          vi: 'Chưa in được tài liệu; thử lại sau giây lát. Nếu vẫn lỗi, báo quản trị viên.',
          en: 'The document could not be made; try again in a moment, and tell the administrator if it persists.',
        },
      },
    },
  };
}
