/**
 * Messages between FaceApiEngine (main thread) and its inference worker (face-api-worker.ts). Plain
 * structured-clone data: images and descriptors travel as typed arrays.
 */
import type { DetectedFace, RgbImage } from '../../protocol/face/types.ts';
import type { FaceDetectorKind } from './engine.ts';

/** What the worker is started with (workerData). */
export interface FaceWorkerConfig {
  /** The worker module to load (the entry script imports it). */
  readonly module: string;
  /** Folder of face-api's model files; the package's own `model/` folder by default. */
  readonly modelDir?: string;
  /** Detectors to load; each one costs memory and start-up time. */
  readonly detectors: readonly FaceDetectorKind[];
  /** Tiny detector input size in pixels (multiple of 32). */
  readonly tinyInputSize: number;
}

export interface FaceWorkerDetectOptions {
  readonly detector: FaceDetectorKind;
  /** Tried when `detector` finds no face. */
  readonly fallback?: FaceDetectorKind;
  readonly minScore: number;
}

export type FaceWorkerRequest =
  | {
      readonly id: number;
      readonly kind: 'detect';
      readonly image: RgbImage;
      readonly options: FaceWorkerDetectOptions;
    }
  | {
      readonly id: number;
      readonly kind: 'analyze';
      readonly image: RgbImage;
      readonly options: FaceWorkerDetectOptions;
    }
  | { readonly id: number; readonly kind: 'describe'; readonly image: RgbImage; readonly face: DetectedFace };

export interface WorkerAnalyzedFace extends DetectedFace {
  readonly descriptor: Float32Array;
}

export interface FaceWorkerInfo {
  /** @vladmandic/face-api version. */
  readonly faceApi: string;
  /** TensorFlow.js version. */
  readonly tfjs: string;
  /** The TensorFlow.js backend in use ('wasm'). */
  readonly backend: string;
  /** Loading the models, ms. */
  readonly loadMs: number;
  /** The warm-up inference (first runs are about twice as slow), ms. */
  readonly warmupMs: number;
}

export type FaceWorkerReply =
  | { readonly type: 'ready'; readonly info: FaceWorkerInfo }
  | { readonly type: 'load-failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly ok: true;
      readonly value: DetectedFace[] | WorkerAnalyzedFace[] | Float32Array;
      /** Inference time inside the worker, ms (wall). */
      readonly ms: number;
      /** CPU time the worker thread spent on it, ms (independent of other load on the machine). */
      readonly cpuMs: number;
    }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly ok: false;
      readonly message: string;
      readonly ms: number;
      readonly cpuMs: number;
    };
