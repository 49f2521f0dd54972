/**
 * A few worker threads for bench/match.ts, one task at a time each, tasks queued in order. The
 * workers are TypeScript, started through the station's worker entry (it loads tsx first).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Task } from './worker.ts';

interface Pending {
  readonly task: Task;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: Pending | undefined;
}

export class BenchPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 1;

  constructor(size = availableParallelism()) {
    this.size = size;
    const entry = new URL('../../station/hotpath/worker-entry.mjs', import.meta.url);
    const module = new URL('./worker.ts', import.meta.url).href;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(entry, {
        workerData: { module },
        resourceLimits: { maxOldGenerationSizeMb: 2048 },
      });
      const slot: Slot = { worker, busy: undefined };
      worker.on('message', (reply: { ok: boolean; value?: unknown; error?: string }) => {
        const job = slot.busy;
        slot.busy = undefined;
        if (job) {
          if (reply.ok) job.resolve(reply.value);
          else job.reject(new Error(`bench worker failed: ${reply.error}`));
        }
        this.#pump();
      });
      worker.on('error', (error) => {
        slot.busy?.reject(error);
        slot.busy = undefined;
      });
      this.#slots.push(slot);
    }
  }

  run<T>(task: Task): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ task, resolve: resolve as (value: unknown) => void, reject });
      this.#pump();
    });
  }

  /** Runs the task once on every worker (e.g. loading the templates to compare). */
  broadcast<T>(task: Task): Promise<T[]> {
    return Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<T>((resolve, reject) => {
            const job: Pending = { task, resolve: resolve as (value: unknown) => void, reject };
            // Broadcasts are only sent while the pool is idle; queueing behind a busy slot would
            // need per-slot queues.
            if (slot.busy) throw new Error('broadcast while a worker is busy');
            slot.busy = job;
            slot.worker.postMessage({ id: this.#nextId++, task });
          }),
      ),
    );
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (slot.busy) continue;
      const job = this.#queue.shift();
      if (!job) return;
      slot.busy = job;
      slot.worker.postMessage({ id: this.#nextId++, task: job.task });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }
}
