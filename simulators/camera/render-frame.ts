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

/** Renders on the calling thread: for tests and tools; a station uses the worker renderer. */
export function createInProcessRenderer(): FrameRenderer {
  let card: RgbImage | undefined;
  return {
    async render(request) {
      const t0 = performance.now();
      const scene = renderRequest(request, card);
      const t1 = performance.now();
      const jpeg = await encodeJpeg(scene.image, request.quality);
      return {
        frame: request.frame,
        jpeg,
        faces: scene.faces,
        renderMs: t1 - t0,
        encodeMs: performance.now() - t1,
      };
    },
    setCardImage(image) {
      card = image;
    },
    async close() {},
  };
}
