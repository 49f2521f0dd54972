/**
 * The simulated camera's renderer on a worker thread: the rasteriser is synchronous JavaScript (tens
 * of ms per 640x480 frame), so a station that shows the simulated camera runs it here, not on its
 * event loop. Requests are answered in order; one thread renders one frame at a time.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import type { RgbImage } from '../../protocol/face/types.ts';
import type { CardQrOptions } from '../barcode/qr-card-image.ts';
import type { FrameRenderer, FrameRequest, RenderedFrame } from './render-frame.ts';

export type ToRenderWorker =
  | { readonly type: 'render'; readonly id: number; readonly request: FrameRequest }
  | { readonly type: 'card'; readonly image: RgbImage | undefined }
  | { readonly type: 'card-qr'; readonly text: string; readonly options: CardQrOptions };

export type FromRenderWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'frame'; readonly id: number; readonly frame: RenderedFrame }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** The render thread failed, exited, or the renderer was closed with frames pending. */
export class SimulatedCameraWorkerError extends Error {
  override readonly name = 'SimulatedCameraWorkerError';
  readonly code: 'SIM_CAMERA_WORKER_FAILED' | 'SIM_CAMERA_CLOSED';
  constructor(code: SimulatedCameraWorkerError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

interface Pending {
  resolve(frame: RenderedFrame): void;
  reject(error: Error): void;
}

/** A renderer on its own thread, which can also draw the card the person holds up itself. */
export interface WorkerFrameRenderer extends FrameRenderer {
  /**
   * The card held up in `card-qr`, drawn on the render thread from the QR's text (renderCardQr:
   * a few hundred ms of CPU that would otherwise hold the caller's event loop). Frames asked for
   * after this call show it.
   */
  setCardQr(text: string, options: CardQrOptions): void;
}

/**
 * Starts a render thread. `render` rejects with SimulatedCameraWorkerError when the thread fails or
 * the renderer is closed; a failed thread is not restarted (create a new renderer).
 */
export function createWorkerRenderer(): WorkerFrameRenderer {
  // From the sources the worker module is TypeScript: it starts through an entry that loads tsx first.
  const module = siblingModule('./render-worker', import.meta.url);
  const worker = new Worker(workerStartUrl(module, new URL('./worker-entry.mjs', import.meta.url)), {
    workerData: { module: module.href },
    resourceLimits: { maxOldGenerationSizeMb: 256 },
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: SimulatedCameraWorkerError | undefined;
  const failAll = (error: SimulatedCameraWorkerError) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (message: FromRenderWorker) => {
    if (message.type === 'ready') return;
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    if (message.type === 'frame') p.resolve(message.frame);
    else
      p.reject(
        new SimulatedCameraWorkerError('SIM_CAMERA_WORKER_FAILED', `rendering failed: ${message.message}`),
      );
  });
  worker.on('error', (error) =>
    failAll(
      new SimulatedCameraWorkerError('SIM_CAMERA_WORKER_FAILED', 'the render thread failed', {
        cause: error,
      }),
    ),
  );
  worker.on('exit', (code) =>
    failAll(
      new SimulatedCameraWorkerError(
        'SIM_CAMERA_WORKER_FAILED',
        `the render thread exited with code ${code}`,
      ),
    ),
  );
  return {
    render(request) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<RenderedFrame>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'render', id, request } satisfies ToRenderWorker);
      });
    },
    setCardImage(image) {
      if (!failure) worker.postMessage({ type: 'card', image } satisfies ToRenderWorker);
    },
    setCardQr(text, options) {
      if (!failure) worker.postMessage({ type: 'card-qr', text, options } satisfies ToRenderWorker);
    },
    async close() {
      failAll(new SimulatedCameraWorkerError('SIM_CAMERA_CLOSED', 'the simulated camera was closed'));
      await worker.terminate();
    },
  };
}
