/**
 * The inside of a hot-path worker: receives jobs from the pool, runs the named handler, times its
 * stages, and answers with the result and the buffers to transfer. A handler refuses bad input by
 * throwing JobInputError; anything else it throws is a defect, reported as such.
 *
 * Cancellation is cooperative: the pool sets a shared flag, and `ctx.stage()` checks it before each
 * stage, so a multi-stage job (a whole slap) stops at the next stage boundary.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { lowerThreadPriority } from '../../drivers/thread-priority.ts';

// CPU work off the event loop yields the cores to it (drivers/thread-priority.ts).
lowerThreadPriority();

/** Thrown by a handler for input the algorithm refuses; becomes HOTPATH_INPUT with `reason`. */
export class JobInputError extends Error {
  override readonly name = 'JobInputError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

class JobCanceled extends Error {
  override readonly name = 'JobCanceled';
}

export interface JobContext {
  /** Runs `body` as a named, timed stage; throws (ending the job) if the job was canceled. */
  stage<T>(name: string, body: () => T): T;
}

export interface JobOutput<T> {
  readonly value: T;
  /** Buffers to move, not copy, to the main thread (they become unusable here). */
  readonly transfer?: readonly ArrayBuffer[];
}

export type JobHandler = (input: never, ctx: JobContext) => JobOutput<unknown>;

export interface JobRequest {
  readonly id: number;
  readonly kind: string;
  readonly input: unknown;
  /** Int32Array over a SharedArrayBuffer: [0] becomes 1 when the job is canceled. */
  readonly cancel: SharedArrayBuffer;
}

export type JobReply =
  /** Sent once, when the worker is ready for jobs. */
  | { readonly ready: true }
  | {
      readonly id: number;
      readonly ok: true;
      readonly value: unknown;
      readonly stages: Readonly<Record<string, number>>;
      readonly threadId: number;
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly code: string; readonly reason?: string; readonly message: string };
      readonly stages: Readonly<Record<string, number>>;
      readonly threadId: number;
    };

/** Serves jobs on this worker's parent port with `handlers`, keyed by job kind. */
export function serveJobs(handlers: Readonly<Record<string, JobHandler>>): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs runs inside a worker thread');
  port.on('message', (request: JobRequest) => {
    const stages: Record<string, number> = {};
    const flag = new Int32Array(request.cancel);
    const ctx: JobContext = {
      stage(name, body) {
        if (Atomics.load(flag, 0) !== 0) throw new JobCanceled();
        const start = performance.now();
        try {
          return body();
        } finally {
          stages[name] = (stages[name] ?? 0) + (performance.now() - start);
        }
      },
    };
    const handler = handlers[request.kind];
    let reply: JobReply;
    let transfer: readonly ArrayBuffer[] = [];
    try {
      if (!handler) throw new TypeError(`no hot-path job '${request.kind}'`);
      const output = handler(request.input as never, ctx);
      transfer = output.transfer ?? [];
      reply = { id: request.id, ok: true, value: output.value, stages, threadId };
    } catch (error) {
      const code =
        error instanceof JobInputError
          ? 'HOTPATH_INPUT'
          : error instanceof JobCanceled
            ? 'HOTPATH_CANCELED'
            : 'DEFECT';
      reply = {
        id: request.id,
        ok: false,
        error: {
          code,
          ...(error instanceof JobInputError ? { reason: error.reason } : {}),
          message: error instanceof Error ? error.message : String(error),
        },
        stages,
        threadId,
      };
    }
    port.postMessage(reply, [...transfer]);
  });
  port.postMessage({ ready: true } satisfies JobReply);
}
