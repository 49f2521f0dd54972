/**
 * JPEG 2000 portraits off the event loop, and one entry point for any chip or camera portrait.
 *
 * OpenJPEG's WebAssembly decode is synchronous and takes 50-300 ms for a 480 x 640 portrait, so it runs
 * in a worker thread of its own (jpeg2000-worker.ts), started on first use and kept for the next
 * (loading the WASM module costs more than a decode). The worker holds the process open only while a
 * decode is pending. A decode that runs past its time limit, or a worker that dies, fails the pending
 * decodes with IMAGE_DECODE_FAILED and the next decode starts a fresh worker.
 *
 * sharp needs no such wrapper: its work already runs on libuv's threadpool.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import type { RgbImage } from '../../protocol/face/types.ts';
import { DEFAULT_IMAGE_LIMITS, ImageError, type ImageLimits, type ImageResult } from './image-errors.ts';
import type { Jpeg2000Reply, Jpeg2000Request } from './jpeg2000-worker.ts';
import { decodeRgb } from './sharp-images.ts';
import { sniffImageKind } from './sniff.ts';

export interface Jpeg2000DecoderOptions {
  /** Longest one decode may take before the worker is stopped, ms. Default 10 000. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly resolve: (result: ImageResult<RgbImage>) => void;
  readonly timer: NodeJS.Timeout;
}

/** A JPEG 2000 decoder running in one worker thread. */
export class Jpeg2000Decoder {
  readonly #timeoutMs: number;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  /** @throws {RangeError} for a timeout that is not positive. */
  constructor(options: Jpeg2000DecoderOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.#timeoutMs > 0)) throw new RangeError(`timeout ${this.#timeoutMs} ms is not positive`);
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // From the sources the worker module is TypeScript: the hot path's entry loads tsx in the thread, then it.
    const module = siblingModule('./jpeg2000-worker', import.meta.url);
    const worker = new Worker(
      workerStartUrl(module, new URL('../hotpath/worker-entry.mjs', import.meta.url)),
      {
        workerData: { module: module.href },
        resourceLimits: { maxOldGenerationSizeMb: 256 },
      },
    );
    worker.on('message', (reply: Jpeg2000Reply) => this.#onReply(reply));
    worker.on('error', (error) => this.#stop(worker, `the JPEG 2000 decoder failed: ${error.message}`));
    worker.on('exit', (code) => this.#stop(worker, `the JPEG 2000 decoder exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #onReply(reply: Jpeg2000Reply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#settle(reply.id, pending);
    pending.resolve(
      reply.ok
        ? { ok: true, value: { width: reply.width, height: reply.height, data: reply.data } }
        : { ok: false, error: new ImageError(reply.code, reply.message) },
    );
  }

  #settle(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
  }

  /** Stops `worker` (if still ours) and fails everything pending on it. */
  #stop(worker: Worker, message: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    worker.removeAllListeners();
    worker.on('error', () => undefined);
    void worker.terminate();
    for (const [id, pending] of this.#pending) {
      this.#settle(id, pending);
      pending.resolve({ ok: false, error: new ImageError('IMAGE_DECODE_FAILED', message) });
    }
  }

  /**
   * Decodes a JP2 file or J2K codestream to 8-bit RGB in the worker (see decodeJpeg2000With for the
   * conversions). The caller's bytes are copied, not transferred.
   * @returns IMAGE_DECODE_FAILED (also for a decode past the time limit or a dead worker),
   *   IMAGE_TOO_LARGE, IMAGE_UNSUPPORTED.
   * @throws {Error} after close().
   */
  decode(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ImageResult<RgbImage>> {
    if (this.#closed) return Promise.reject(new Error('the JPEG 2000 decoder is closed'));
    // Bound before copying: a huge input is refused here, not after a copy into the worker.
    if (bytes.length > limits.maxBytes)
      return Promise.resolve({
        ok: false,
        error: new ImageError(
          'IMAGE_TOO_LARGE',
          `the image is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`,
        ),
      });
    const worker = this.#start();
    const id = this.#nextId++;
    const copy = bytes.slice();
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.#stop(worker, `the JPEG 2000 decode took longer than ${this.#timeoutMs} ms`),
        this.#timeoutMs,
      );
      timer.unref();
      this.#pending.set(id, { resolve, timer });
      worker.ref();
      const request: Jpeg2000Request = { id, bytes: copy, limits };
      worker.postMessage(request, [copy.buffer]);
    });
  }

  /** Stops the worker; pending decodes fail with IMAGE_DECODE_FAILED. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker) this.#stop(worker, 'the JPEG 2000 decoder was closed');
  }
}

let shared: Jpeg2000Decoder | undefined;

/** The process's shared decoder (one worker), started on first use. */
export function sharedJpeg2000Decoder(): Jpeg2000Decoder {
  shared ??= new Jpeg2000Decoder();
  return shared;
}

/**
 * Decodes any portrait a chip or a camera gives us: JPEG, PNG or WebP through sharp, JP2 or a J2K
 * codestream through OpenJPEG in its worker; chosen by the bytes' signature (sniff.ts), never by a file
 * name. Output is upright 8-bit sRGB.
 * @returns IMAGE_DECODE_FAILED (empty, unknown signature, corrupt), IMAGE_TOO_LARGE, IMAGE_UNSUPPORTED.
 */
export async function decodeAnyPortrait(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
  decoder: Jpeg2000Decoder = sharedJpeg2000Decoder(),
): Promise<ImageResult<RgbImage>> {
  const kind = sniffImageKind(bytes);
  switch (kind) {
    case 'jpeg':
    case 'png':
    case 'webp':
      return decodeRgb(bytes, limits);
    case 'jp2':
    case 'j2k':
      return decoder.decode(bytes, limits);
    case undefined:
      return {
        ok: false,
        error: new ImageError(
          'IMAGE_DECODE_FAILED',
          bytes.length === 0 ? 'the image is empty (0 bytes)' : 'not a JPEG, JPEG 2000, PNG or WebP image',
        ),
      };
  }
}
