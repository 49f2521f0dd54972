/**
 * The face-api inference worker: the only module that loads @vladmandic/face-api and TensorFlow.js.
 * It runs on a worker thread of its own (FaceApiEngine starts it), loads the models once from the
 * package's `model/` folder (nothing is downloaded), warms them up, then answers one request at a
 * time.
 *
 * Runtime: face-api's `node-wasm` build on the TensorFlow.js WASM backend (SIMD, one thread).
 * tfjs-node cannot be installed offline (it downloads libtensorflow at install time), and the pure
 * JavaScript CPU backend is 10-20x slower (reference/packages.md section 1).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../../drivers/thread-priority.ts';
import type { DetectedFace, Point, RgbImage } from '../../protocol/face/types.ts';
import type {
  FaceWorkerConfig,
  FaceWorkerDetectOptions,
  FaceWorkerReply,
  FaceWorkerRequest,
  WorkerAnalyzedFace,
} from './worker-protocol.ts';

// CPU work off the event loop yields the cores to it (drivers/thread-priority.ts).
lowerThreadPriority();

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
type TfjsCore = typeof import('@tensorflow/tfjs');
type TfjsWasm = typeof import('@tensorflow/tfjs-backend-wasm');
type Tensor3D = import('@vladmandic/face-api/dist/face-api.node-wasm.js').tf.Tensor3D;

const require = createRequire(import.meta.url);
// face-api's node-wasm build requires these two packages itself; requiring them here gives the same
// module instances, so the backend set below is the one face-api runs on.
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
const tf = require('@tensorflow/tfjs') as TfjsCore;
const wasm = require('@tensorflow/tfjs-backend-wasm') as TfjsWasm;

const port = parentPort;
if (!port) throw new Error('face-api-worker runs inside a worker thread');
const config = workerData as FaceWorkerConfig;

function post(reply: FaceWorkerReply): void {
  port?.postMessage(reply);
}

async function load(): Promise<number> {
  const start = performance.now();
  // setWasmPaths wants a prefix ending in '/': the backend appends the .wasm file names to it.
  wasm.setWasmPaths(
    `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`,
  );
  if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WASM backend did not start');
  await tf.ready();
  const modelDir =
    config.modelDir ?? path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  if (config.detectors.includes('ssd')) await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  if (config.detectors.includes('tiny')) await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  return performance.now() - start;
}

function detectorOptions(options: FaceWorkerDetectOptions) {
  return options.detector === 'tiny'
    ? new faceapi.TinyFaceDetectorOptions({
        inputSize: config.tinyInputSize,
        scoreThreshold: options.minScore,
      })
    : new faceapi.SsdMobilenetv1Options({ minConfidence: options.minScore });
}

function toTensor(image: RgbImage): Tensor3D {
  return faceapi.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
}

interface FaceApiResult {
  readonly detection: {
    readonly box: { x: number; y: number; width: number; height: number };
    readonly score: number;
  };
  readonly landmarks: { readonly positions: readonly { x: number; y: number }[] };
}

function toDetectedFace(result: FaceApiResult): DetectedFace {
  const { box, score } = result.detection;
  return {
    box: { x: box.x, y: box.y, width: box.width, height: box.height },
    score,
    landmarks: result.landmarks.positions.map((p): Point => ({ x: p.x, y: p.y })),
  };
}

const byScore = (a: { readonly score: number }, b: { readonly score: number }) => b.score - a.score;

/** The detectors to try in order: the chosen one, then its fallback when it finds no face. */
function detectorChain(options: FaceWorkerDetectOptions): FaceWorkerDetectOptions[] {
  const { fallback, ...first } = options;
  return fallback === undefined || fallback === options.detector
    ? [first]
    : [first, { ...first, detector: fallback }];
}

async function detect(image: RgbImage, options: FaceWorkerDetectOptions): Promise<DetectedFace[]> {
  const tensor = toTensor(image);
  try {
    for (const step of detectorChain(options)) {
      const results = await faceapi.detectAllFaces(tensor, detectorOptions(step)).withFaceLandmarks();
      if (results.length > 0) return results.map(toDetectedFace).sort(byScore);
    }
    return [];
  } finally {
    tensor.dispose();
  }
}

async function analyze(image: RgbImage, options: FaceWorkerDetectOptions): Promise<WorkerAnalyzedFace[]> {
  const tensor = toTensor(image);
  try {
    for (const step of detectorChain(options)) {
      const results = await faceapi
        .detectAllFaces(tensor, detectorOptions(step))
        .withFaceLandmarks()
        .withFaceDescriptors();
      if (results.length > 0)
        return results.map((r) => ({ ...toDetectedFace(r), descriptor: r.descriptor })).sort(byScore);
    }
    return [];
  } finally {
    tensor.dispose();
  }
}

/**
 * The descriptor of a face given by its box and landmarks: the same dlib-style alignment face-api's
 * own pipeline uses (landmarks relative to the detection box, shifted to its origin), then the
 * aligned crop through the recognition network.
 */
async function describe(image: RgbImage, face: DetectedFace): Promise<Float32Array> {
  const { box } = face;
  const width = Math.max(1, Math.round(box.width));
  const height = Math.max(1, Math.round(box.height));
  const relative = face.landmarks.map(
    (p) => new faceapi.Point((p.x - box.x) / width, (p.y - box.y) / height),
  );
  const landmarks = new faceapi.FaceLandmarks68(relative, { width, height }, new faceapi.Point(box.x, box.y));
  const aligned = landmarks.align(null, { useDlibAlignment: true });
  const tensor = toTensor(image);
  const crops = await faceapi.extractFaceTensors(tensor, [
    new faceapi.Rect(aligned.x, aligned.y, aligned.width, aligned.height),
  ]);
  try {
    const [crop] = crops;
    if (!crop) throw new Error('the aligned face lies outside the image');
    const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop);
    if (!(descriptor instanceof Float32Array)) throw new Error('the recognition net returned a batch');
    return descriptor;
  } finally {
    for (const crop of crops) crop.dispose();
    tensor.dispose();
  }
}

/** One pass through every loaded network, so the first real request is not the slow one. */
async function warmUp(): Promise<number> {
  const start = performance.now();
  const blank: RgbImage = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(128) };
  for (const detector of config.detectors) await detect(blank, { detector, minScore: 0.5 });
  // The blank frame holds no face, so the landmark and recognition nets get inputs of their own.
  const face = faceapi.tf.zeros([112, 112, 3]) as Tensor3D;
  const crop = faceapi.tf.zeros([150, 150, 3]) as Tensor3D;
  try {
    await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
    await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop);
  } finally {
    face.dispose();
    crop.dispose();
  }
  return performance.now() - start;
}

async function serve(request: FaceWorkerRequest): Promise<FaceWorkerReply> {
  const start = performance.now();
  const cpuStart = process.threadCpuUsage();
  const cpuMs = () => {
    const used = process.threadCpuUsage(cpuStart);
    return (used.user + used.system) / 1000;
  };
  try {
    const value =
      request.kind === 'detect'
        ? await detect(request.image, request.options)
        : request.kind === 'analyze'
          ? await analyze(request.image, request.options)
          : await describe(request.image, request.face);
    return { type: 'result', id: request.id, ok: true, value, ms: performance.now() - start, cpuMs: cpuMs() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      type: 'result',
      id: request.id,
      ok: false,
      message,
      ms: performance.now() - start,
      cpuMs: cpuMs(),
    };
  }
}

try {
  const loadMs = await load();
  const warmupMs = await warmUp();
  // The engine sends one request at a time and waits for its answer, so requests never interleave.
  port.on('message', (request: FaceWorkerRequest) => {
    void serve(request).then(post);
  });
  post({
    type: 'ready',
    info: { faceApi: faceapi.version, tfjs: tf.version.tfjs, backend: tf.getBackend(), loadMs, warmupMs },
  });
} catch (error) {
  post({ type: 'load-failed', message: error instanceof Error ? error.message : String(error) });
}
