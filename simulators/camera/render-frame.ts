/**
 * One simulated camera frame: the scenario's scene for frame n, rendered and encoded as JPEG with
 * sharp. Shared by the in-process renderer and the worker thread (worker.ts), so both give the same
 * bytes.
 */
import sharp from 'sharp';
import type { RgbImage } from '../../protocol/face/types.ts';
import { type RenderedFace, renderFaceScene } from '../face/procedural-face.ts';
import { type CameraScenario, scenarioScene } from './scenarios.ts';

export interface FrameRequest {
  readonly scenario: CameraScenario;
  readonly personSeed: string;
  /** Pixels. */
  readonly width: number;
  readonly height: number;
  /** Frame number from the start of the stream. */
  readonly frame: number;
  readonly fps: number;
  /** JPEG quality 1..100. */
  readonly quality: number;
  /** No sway and no blinking. */
  readonly still?: boolean;
}

export interface RenderedFrame {
  readonly frame: number;
  readonly jpeg: Uint8Array;
  /** Ground truth of each face in the picture, back to front (the requested person is last). */
  readonly faces: readonly RenderedFace[];
  /** Time spent rendering and encoding, ms (for the benchmark and the simulator's status). */
  readonly renderMs: number;
  readonly encodeMs: number;
}

/** Renders and encodes frames; `close` frees what it holds (a worker thread, for the worker one). */
export interface FrameRenderer {
  render(request: FrameRequest): Promise<RenderedFrame>;
  /** The card shown in the `card-qr` scenario; undefined for the built-in placeholder. */
  setCardImage(image: RgbImage | undefined): void;
  close(): Promise<void>;
}

/** The raw RGB picture and its ground truth for a request (no JPEG): for tests and the DG2 path. */
export function renderRequest(request: FrameRequest, cardImage?: RgbImage) {
  return renderFaceScene(
    scenarioScene(request.scenario, {
      personSeed: request.personSeed,
      width: request.width,
      height: request.height,
      frame: request.frame,
      fps: request.fps,
      ...(cardImage ? { cardImage } : {}),
      ...(request.still ? { still: true } : {}),
    }),
  );
}

/** Baseline JPEG of an RGB raster through sharp (libjpeg-turbo), 4:2:0 like a webcam's MJPEG. */
export async function encodeJpeg(image: RgbImage, quality: number): Promise<Uint8Array> {
  const buffer = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0' })
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Above this many pixels a frame is rendered at half size and upscaled by sharp (a 720p webcam is
 * soft anyway; the rasteriser's cost grows with the pixel count). */
const FULL_RENDER_MAX_PIXELS = 640 * 480;

/**
 * Renders on the calling thread: for tests and tools; a station uses the worker renderer. Frames whose
 * scene is the one just rendered (the pair of frames that share a 15 Hz picture) reuse its JPEG.
 */
export function createInProcessRenderer(): FrameRenderer {
  let card: RgbImage | undefined;
  let cardVersion = 0;
  let last: { key: string; frame: RenderedFrame } | undefined;
  return {
    async render(request) {
      const half = request.width * request.height > FULL_RENDER_MAX_PIXELS;
      const inner = half ? { ...request, width: request.width / 2, height: request.height / 2 } : request;
      const scene = scenarioScene(request.scenario, {
        personSeed: request.personSeed,
        width: inner.width,
        height: inner.height,
        frame: request.frame,
        fps: request.fps,
        ...(card ? { cardImage: card } : {}),
        ...(request.still ? { still: true } : {}),
      });
      const key = JSON.stringify({
        ...scene,
        card: scene.card ? cardVersion : undefined,
        q: request.quality,
        half,
      });
      if (last?.key === key) return { ...last.frame, frame: request.frame, renderMs: 0, encodeMs: 0 };
      const t0 = performance.now();
      const painted = renderFaceScene(scene);
      const t1 = performance.now();
      let jpeg: Uint8Array;
      let faces = painted.faces;
      if (half) {
        const buffer = await sharp(painted.image.data, {
          raw: { width: inner.width, height: inner.height, channels: 3 },
        })
          .resize(request.width, request.height, { kernel: 'linear' })
          .jpeg({ quality: request.quality, chromaSubsampling: '4:2:0' })
          .toBuffer();
        jpeg = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
        faces = faces.map((f) => scaleFace(f, 2));
      } else jpeg = await encodeJpeg(painted.image, request.quality);
      const frame: RenderedFrame = {
        frame: request.frame,
        jpeg,
        faces,
        renderMs: t1 - t0,
        encodeMs: performance.now() - t1,
      };
      last = { key, frame };
      return frame;
    },
    setCardImage(image) {
      card = image;
      cardVersion++;
      last = undefined;
    },
    async close() {
      last = undefined;
    },
  };
}

function scaleFace(face: RenderedFace, k: number): RenderedFace {
  return {
    ...face,
    box: { x: face.box.x * k, y: face.box.y * k, width: face.box.width * k, height: face.box.height * k },
    landmarks: face.landmarks.map((p) => ({ x: p.x * k, y: p.y * k })),
    pixelsPerMm: face.pixelsPerMm * k,
  };
}
