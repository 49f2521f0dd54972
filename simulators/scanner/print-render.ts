/**
 * Where the simulated scanners render what lands on the glass. The generator is synchronous
 * JavaScript: a 1600 x 1500 slap takes a second or more of CPU, which on the station's own thread
 * held /health and every screen behind it (1.4 s measured). The station therefore passes
 * `createWorkerPrintRenderer()`: renders run on one worker thread, in order, and the pixels come back
 * by transfer. Tests and tools without a station can keep the in-thread renderer.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import { type FingerOptions, renderFinger, renderSlap, type SlapOptions } from '../fingerprint/generator.ts';

export type PrintRequest =
  | { readonly kind: 'finger'; readonly options: FingerOptions }
  | { readonly kind: 'slap'; readonly options: SlapOptions };

export interface RenderedPrint {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  /** How many fingers are on the glass. */
  readonly fingers: number;
}

export interface PrintRenderer {
  render(request: PrintRequest): Promise<RenderedPrint>;
  close(): Promise<void>;
}

/** Renders one request on the calling thread. @throws {GeneratorOptionError} for bad options. */
export function renderPrint(request: PrintRequest): RenderedPrint {
  if (request.kind === 'finger') {
    const { image } = renderFinger(request.options);
    return { width: image.width, height: image.height, pixels: image.pixels, fingers: 1 };
  }
  const slap = renderSlap(request.options);
  return {
    width: slap.image.width,
    height: slap.image.height,
    pixels: slap.image.pixels,
    fingers: slap.fingers.length,
  };
}

/** The renderer on the calling thread (tests, tools). */
export function inThreadPrintRenderer(): PrintRenderer {
  return {
    render: async (request) => renderPrint(request),
    close: async () => {},
  };
}

export type ToPrintWorker = { readonly id: number; readonly request: PrintRequest };
export type FromPrintWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'print'; readonly id: number; readonly print: RenderedPrint }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** The render thread failed or was closed with renders pending. */
export class PrintRenderError extends Error {
  override readonly name = 'PrintRenderError';
}

/**
 * One render thread for the simulated scanners; started on the first render, unref'd (it never
 * keeps a process alive), closed with `close()`. A failed thread fails its pending renders and is started again on
 * the next render.
 */
export function createWorkerPrintRenderer(): PrintRenderer {
  let worker: Worker | undefined;
  const pending = new Map<number, { resolve(print: RenderedPrint): void; reject(error: Error): void }>();
  let nextId = 1;
  let closed = false;
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const start = (): Worker => {
    // From the sources the worker module is TypeScript: it starts through an entry that loads tsx first.
    const module = siblingModule('./print-worker', import.meta.url);
    const w = new Worker(workerStartUrl(module, new URL('./worker-entry.mjs', import.meta.url)), {
      workerData: { module: module.href },
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    w.unref();
    w.on('message', (message: FromPrintWorker) => {
      if (message.type === 'ready') return;
      const p = pending.get(message.id);
      if (p === undefined) return;
      pending.delete(message.id);
      if (message.type === 'print') p.resolve(message.print);
      else p.reject(new PrintRenderError(`rendering the simulated print failed: ${message.message}`));
    });
    w.on('error', (error) =>
      failAll(new PrintRenderError('the print render thread failed', { cause: error })),
    );
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new PrintRenderError(`the print render thread exited with code ${code}`));
    });
    return w;
  };
  // Started on the first render, not now: a station's start-up (and /health) does not share the
  // CPU with loading the generator until a capture needs it.
  return {
    render(request) {
      if (closed) return Promise.reject(new PrintRenderError('the print renderer is closed'));
      worker ??= start();
      const id = nextId++;
      return new Promise<RenderedPrint>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker?.postMessage({ id, request } satisfies ToPrintWorker);
      });
    },
    async close() {
      closed = true;
      const w = worker;
      worker = undefined;
      failAll(new PrintRenderError('the print renderer is closed'));
      await w?.terminate();
    },
  };
}
