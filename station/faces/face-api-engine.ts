/**
 * The first FaceEngine: @vladmandic/face-api (SSD MobileNet v1 or Tiny Face Detector, the 68-point
 * landmark net, and the dlib ResNet-34 128-d descriptor) on the TensorFlow.js WASM backend.
 *
 * All inference runs on one worker thread of its own (face-api-worker.ts), never on the event loop
 * that serves the officer's screen. The models load once, in the worker, at start, followed by one
 * warm-up pass. Requests run one at a time in arrival order (WASM runs single-threaded here, so a
 * second worker would only split the same cores); at most `maxQueued` wait, and one more is refused
 * with FACE_QUEUE_FULL, so a live preview drops frames instead of piling them up.
 *
 * Failures, all FaceEngineError:
 * - FACE_MODEL_LOAD_FAILED: the models or the WASM runtime did not load (start() rejects; a worker
 *   that dies while loading fails the same way). The engine stays failed: close it and start anew.
 * - FACE_WORKER_CRASHED: the worker died while running a request; that request fails, a new worker
 *   is started (models loaded again), and the queued requests run on it.
 * - FACE_TIMEOUT: a request ran past `requestTimeoutMs`; its worker is replaced likewise.
 * - FACE_QUEUE_FULL, FACE_CANCELED (the caller's signal), FACE_ENGINE_CLOSED.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import type { DetectedFace, FaceDescriptor, RgbImage } from '../../protocol/face/types.ts';
import {
  type AnalyzedFace,
  assertRgbImage,
  compareDescriptors,
  type DetectOptions,
  type FaceComparison,
  type FaceDetectorKind,
  type FaceEngine,
} from './engine.ts';
import { FaceEngineError } from './errors.ts';
import type {
  FaceWorkerConfig,
  FaceWorkerInfo,
  FaceWorkerReply,
  FaceWorkerRequest,
  WorkerAnalyzedFace,
} from './worker-protocol.ts';

/**
 * The decision threshold on the Euclidean distance of two descriptors: dlib's, for which it reports
 * 99.38% accuracy on LFW (README.md beside this file has the false-match rate it stands for and the
 * rates measured on the shared photographs).
 */
export const FACE_API_THRESHOLD = 0.6;

export interface FaceApiEngineOptions {
  /** Detectors to load. Default both: 'ssd' for capture and comparison, 'tiny' for live tracking. */
  readonly detectors?: readonly FaceDetectorKind[];
  /** The detector used when a call names none. Default 'ssd'. */
  readonly defaultDetector?: FaceDetectorKind;
  /**
   * The fallback used when a call names none (see DetectOptions.fallback), e.g. defaultDetector 'tiny'
   * with defaultFallback 'ssd' to meet a 300 ms capture budget. Default: none.
   */
  readonly defaultFallback?: FaceDetectorKind;
  /** Tiny detector input size, pixels, a multiple of 32. Default 416. */
  readonly tinyInputSize?: number;
  /** Comparison threshold, Euclidean distance. Default FACE_API_THRESHOLD (0.6). */
  readonly threshold?: number;
  /** Default minimum detector score, 0..1. Default 0.5. */
  readonly minScore?: number;
  /** Requests allowed to wait behind the running one. Default 8. */
  readonly maxQueued?: number;
  /** A request running longer than this is killed with its worker, ms. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Loading and warming up the models may take this long, ms. Default 120000. */
  readonly startTimeoutMs?: number;
  /** Folder of face-api's model files. Default: the package's own `model/` folder. */
  readonly modelDir?: string;
  /** The worker module (tests pass a stand-in). Default face-api-worker.ts beside this file. */
  readonly workerModule?: URL;
  /** Heap cap of the worker's JavaScript, MB (the WASM memory is apart). Default 512. */
  readonly maxHeapMb?: number;
}

export interface FaceApiEngineStats {
  /** Workers started after the first (crashes and timeouts). */
  readonly restarts: number;
  readonly completed: number;
  readonly failed: number;
  readonly queued: number;
  readonly busy: boolean;
  /** The latest answered request: its kind, its time in the worker (wall) and its CPU time, ms. */
  readonly lastRequest:
    | { readonly kind: string; readonly workerMs: number; readonly cpuMs: number }
    | undefined;
  /** The worker's start-up: model loading and warm-up, ms (the latest worker's). */
  readonly loadMs: number;
  readonly warmupMs: number;
}

type Value = DetectedFace[] | WorkerAnalyzedFace[] | Float32Array;

interface Pending {
  readonly id: number;
  readonly request: FaceWorkerRequest;
  readonly resolve: (value: Value) => void;
  readonly reject: (error: Error) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  /** Answered already (canceled while running); the worker's late answer is dropped. */
  settled: boolean;
}

/** The largest image side the engine takes, pixels. */
export const MAX_SIDE = 4096;

const DEFAULTS = {
  detectors: ['ssd', 'tiny'] as readonly FaceDetectorKind[],
  tinyInputSize: 416,
  minScore: 0.5,
  maxQueued: 8,
  requestTimeoutMs: 30_000,
  startTimeoutMs: 120_000,
  maxHeapMb: 512,
};

export class FaceApiEngine implements FaceEngine {
  readonly name = 'face-api';
  readonly threshold: number;
  readonly #options: FaceApiEngineOptions;
  readonly #detectors: readonly FaceDetectorKind[];
  readonly #defaultDetector: FaceDetectorKind;
  #worker: Worker | undefined;
  #ready = false;
  #info: FaceWorkerInfo | undefined;
  #failed: FaceEngineError | undefined;
  #closed = false;
  #current: Pending | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #stats = { restarts: 0, completed: 0, failed: 0 };
  #lastRequest: FaceApiEngineStats['lastRequest'];
  #startWaiter: { resolve: () => void; reject: (error: FaceEngineError) => void } | undefined;

  private constructor(options: FaceApiEngineOptions) {
    this.#options = options;
    this.#detectors = options.detectors ?? DEFAULTS.detectors;
    this.#defaultDetector = options.defaultDetector ?? (this.#detectors.includes('ssd') ? 'ssd' : 'tiny');
    this.threshold = options.threshold ?? FACE_API_THRESHOLD;
    if (this.#detectors.length === 0) throw new RangeError('at least one detector');
    if (!this.#detectors.includes(this.#defaultDetector))
      throw new RangeError(`default detector '${this.#defaultDetector}' is not loaded`);
    if (!(this.threshold > 0)) throw new RangeError(`threshold ${this.threshold}`);
    const tiny = options.tinyInputSize ?? DEFAULTS.tinyInputSize;
    if (!Number.isInteger(tiny) || tiny < 32 || tiny % 32 !== 0)
      throw new RangeError(`tiny input size ${tiny}`);
  }

  /**
   * Starts the worker, loads the models and warms them up (about 2 s on the reference machine).
   * @throws {FaceEngineError} FACE_MODEL_LOAD_FAILED when the models or the runtime do not load in time.
   * @throws {RangeError} for invalid options.
   */
  static async start(options: FaceApiEngineOptions = {}): Promise<FaceApiEngine> {
    const engine = new FaceApiEngine(options);
    const started = new Promise<void>((resolve, reject) => {
      engine.#startWaiter = { resolve, reject };
    });
    const limit = options.startTimeoutMs ?? DEFAULTS.startTimeoutMs;
    const timer = setTimeout(
      () =>
        engine.#fail(
          new FaceEngineError('FACE_MODEL_LOAD_FAILED', `The face models did not load within ${limit} ms`),
        ),
      limit,
    );
    engine.#spawn();
    try {
      await started;
    } catch (error) {
      await engine.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return engine;
  }

  /** e.g. '1.7.15 (tfjs 4.22.0 wasm)'. */
  get version(): string {
    const info = this.#info;
    return info ? `${info.faceApi} (tfjs ${info.tfjs} ${info.backend})` : 'not started';
  }

  /** The FaceDescriptor.engine of this engine's descriptors. */
  get descriptorEngine(): string {
    return `face-api faceRecognitionNet (ResNet-34, 128-d) ${this.#info?.faceApi ?? ''}`.trim();
  }

  stats(): FaceApiEngineStats {
    return {
      ...this.#stats,
      lastRequest: this.#lastRequest,
      queued: this.#queue.length,
      busy: this.#current !== undefined,
      loadMs: this.#info?.loadMs ?? 0,
      warmupMs: this.#info?.warmupMs ?? 0,
    };
  }

  async detect(image: RgbImage, options: DetectOptions = {}): Promise<DetectedFace[]> {
    const value = await this.#run(
      (id) => ({ id, kind: 'detect', image: this.#wire(image), options: this.#detectOptions(options) }),
      options.signal,
    );
    return value as DetectedFace[];
  }

  async analyze(image: RgbImage, options: DetectOptions = {}): Promise<AnalyzedFace[]> {
    const value = (await this.#run(
      (id) => ({ id, kind: 'analyze', image: this.#wire(image), options: this.#detectOptions(options) }),
      options.signal,
    )) as WorkerAnalyzedFace[];
    const engine = this.descriptorEngine;
    return value.map(({ descriptor, ...face }) => ({ ...face, descriptor: { engine, values: descriptor } }));
  }

  async describe(
    image: RgbImage,
    face: DetectedFace,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<FaceDescriptor> {
    if (face.landmarks.length !== 68)
      throw new RangeError(`a face needs 68 landmarks, got ${face.landmarks.length}`);
    const value = await this.#run(
      (id) => ({ id, kind: 'describe', image: this.#wire(image), face: plainFace(face) }),
      options.signal,
    );
    return { engine: this.descriptorEngine, values: value as Float32Array };
  }

  compare(a: FaceDescriptor, b: FaceDescriptor): FaceComparison {
    return compareDescriptors(a, b, this);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new FaceEngineError('FACE_ENGINE_CLOSED', 'The face engine was closed');
    this.#startWaiter?.reject(closed);
    this.#startWaiter = undefined;
    this.#rejectAll(closed);
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) {
      worker.removeAllListeners();
      worker.on('error', () => undefined);
      await worker.terminate();
    }
  }

  #detectOptions(options: DetectOptions) {
    const detector = options.detector ?? this.#defaultDetector;
    if (!this.#detectors.includes(detector))
      throw new RangeError(`detector '${detector}' is not loaded (loaded: ${this.#detectors.join(', ')})`);
    const fallback = options.fallback ?? this.#options.defaultFallback;
    if (fallback !== undefined && !this.#detectors.includes(fallback))
      throw new RangeError(
        `fallback detector '${fallback}' is not loaded (loaded: ${this.#detectors.join(', ')})`,
      );
    const minScore = options.minScore ?? this.#options.minScore ?? DEFAULTS.minScore;
    if (!(minScore >= 0 && minScore <= 1)) throw new RangeError(`minimum score ${minScore}`);
    return { detector, minScore, ...(fallback === undefined ? {} : { fallback }) };
  }

  /**
   * The image as it crosses to the worker (copied): a view into a larger buffer is cut out first.
   * Bounded to MAX_SIDE on each side: the detectors scale every input down to 512 px or less anyway,
   * and a larger raster only costs the copy and the WASM memory.
   */
  #wire(image: RgbImage): RgbImage {
    assertRgbImage(image);
    if (image.width > MAX_SIDE || image.height > MAX_SIDE)
      throw new RangeError(
        `image ${image.width}x${image.height} is larger than ${MAX_SIDE} px a side: scale it down first`,
      );
    const { data } = image;
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return { width: image.width, height: image.height, data: whole ? data : data.slice() };
  }

  #run(build: (id: number) => FaceWorkerRequest, signal: AbortSignal | undefined): Promise<Value> {
    return new Promise<Value>((resolve, reject) => {
      if (this.#closed) throw new FaceEngineError('FACE_ENGINE_CLOSED', 'The face engine is closed');
      if (this.#failed) throw this.#failed;
      if (signal?.aborted) throw canceled();
      const limit = this.#options.maxQueued ?? DEFAULTS.maxQueued;
      if (this.#queue.length >= limit)
        throw new FaceEngineError(
          'FACE_QUEUE_FULL',
          `${this.#queue.length} face requests are already waiting; drop this one or retry shortly`,
        );
      const id = this.#nextId++;
      const pending: Pending = {
        id,
        request: build(id),
        resolve,
        reject,
        signal,
        settled: false,
        onAbort: () => {
          const at = this.#queue.indexOf(pending);
          if (at >= 0) this.#queue.splice(at, 1);
          this.#settle(pending, canceled());
        },
      };
      signal?.addEventListener('abort', pending.onAbort, { once: true });
      this.#queue.push(pending);
      this.#pump();
    });
  }

  #pump(): void {
    const worker = this.#worker;
    if (!worker || !this.#ready || this.#current || this.#closed) return;
    const next = this.#queue.shift();
    if (!next) return;
    this.#current = next;
    const limit = this.#options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.#timer = setTimeout(() => {
      this.#stats.failed++;
      this.#restart(
        new FaceEngineError(
          'FACE_TIMEOUT',
          `The face request ${next.request.kind} ran longer than ${limit} ms; the worker was replaced`,
        ),
      );
    }, limit);
    worker.postMessage(next.request);
  }

  #settle(pending: Pending, outcome: Value | Error): void {
    if (pending.settled) return;
    pending.settled = true;
    pending.signal?.removeEventListener('abort', pending.onAbort);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  #spawn(): void {
    const module = this.#options.workerModule ?? siblingModule('./face-api-worker', import.meta.url);
    const config: FaceWorkerConfig = {
      module: module.href,
      detectors: this.#detectors,
      tinyInputSize: this.#options.tinyInputSize ?? DEFAULTS.tinyInputSize,
      ...(this.#options.modelDir === undefined ? {} : { modelDir: this.#options.modelDir }),
    };
    // From the sources the worker module is TypeScript: it starts through an entry that loads tsx first.
    const worker = new Worker(workerStartUrl(module, new URL('./worker-entry.mjs', import.meta.url)), {
      workerData: config,
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxHeapMb ?? DEFAULTS.maxHeapMb },
    });
    this.#worker = worker;
    this.#ready = false;
    worker.on('message', (reply: FaceWorkerReply) => {
      if (this.#worker === worker) this.#onReply(reply);
    });
    worker.on('error', (error) => {
      if (this.#worker === worker) this.#onWorkerGone(error);
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#onWorkerGone(new Error(`the face worker exited with code ${code}`));
    });
  }

  #onReply(reply: FaceWorkerReply): void {
    if (reply.type === 'ready') {
      this.#ready = true;
      this.#info = reply.info;
      this.#startWaiter?.resolve();
      this.#startWaiter = undefined;
      this.#pump();
      return;
    }
    if (reply.type === 'load-failed') {
      this.#fail(
        new FaceEngineError('FACE_MODEL_LOAD_FAILED', `The face models did not load: ${reply.message}`),
      );
      return;
    }
    const pending = this.#current;
    if (!pending || pending.id !== reply.id) return;
    this.#current = undefined;
    clearTimeout(this.#timer);
    this.#lastRequest = { kind: pending.request.kind, workerMs: reply.ms, cpuMs: reply.cpuMs };
    if (reply.ok) {
      this.#stats.completed++;
      this.#settle(pending, reply.value);
    } else {
      this.#stats.failed++;
      this.#settle(
        pending,
        new FaceEngineError(
          'FACE_INFERENCE_FAILED',
          `The face request ${pending.request.kind} failed: ${reply.message}`,
        ),
      );
    }
    this.#pump();
  }

  #onWorkerGone(error: unknown): void {
    if (this.#closed) return;
    const reason = error instanceof Error ? error.message : String(error);
    if (!this.#ready) {
      // Dying while loading is not a crash to retry in a loop: the models or runtime are broken.
      this.#fail(
        new FaceEngineError(
          'FACE_MODEL_LOAD_FAILED',
          `The face worker died while loading the models (${reason})`,
          { cause: error },
        ),
      );
      return;
    }
    this.#stats.failed++;
    this.#restart(
      new FaceEngineError(
        'FACE_WORKER_CRASHED',
        `The face worker died (${reason}); a new one was started, retry the request`,
        { cause: error },
      ),
    );
  }

  /** Replaces the worker; the running request fails with `failure`, the queued ones wait for the new one. */
  #restart(failure: FaceEngineError): void {
    clearTimeout(this.#timer);
    const running = this.#current;
    this.#current = undefined;
    this.#dropWorker();
    if (running) this.#settle(running, failure);
    if (this.#closed) return;
    this.#stats.restarts++;
    this.#spawn();
  }

  /** The engine can no longer serve: every request, now and later, fails with `error`. */
  #fail(error: FaceEngineError): void {
    if (this.#closed || this.#failed) return;
    this.#failed = error;
    clearTimeout(this.#timer);
    this.#dropWorker();
    this.#startWaiter?.reject(error);
    this.#startWaiter = undefined;
    this.#rejectAll(error);
  }

  #dropWorker(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = false;
    if (!worker) return;
    worker.removeAllListeners();
    worker.on('error', () => undefined);
    void worker.terminate();
  }

  #rejectAll(error: FaceEngineError): void {
    clearTimeout(this.#timer);
    const running = this.#current;
    this.#current = undefined;
    if (running) this.#settle(running, error);
    for (const pending of this.#queue.splice(0)) this.#settle(pending, error);
  }
}

function canceled(): FaceEngineError {
  return new FaceEngineError('FACE_CANCELED', 'The face request was canceled');
}

/** A DetectedFace as plain data (a caller's object may carry extra fields, e.g. a descriptor). */
function plainFace(face: DetectedFace): DetectedFace {
  const { x, y, width, height } = face.box;
  return {
    box: { x, y, width, height },
    score: face.score,
    landmarks: face.landmarks.map(({ x, y }) => ({ x, y })),
  };
}
