/**
 * The simulated camera (issue 19): JPEG frames at a fixed rate showing the person of a person seed
 * (the same seed as the simulated card's DG2 and the citizen records) in one of the named scenarios.
 * The production camera driver writes these frames into ffmpeg, so what comes out is plain JPEG bytes,
 * like a webcam's MJPEG stream.
 *
 * Frames are paced by an injected clock; a consumer slower than the frame rate makes the camera drop
 * frames (the frame number jumps), as a real camera does, instead of queueing them.
 */
import type { RgbImage } from '../../protocol/face/types.ts';
import { sleep } from '../sleep.ts';
import { createInProcessRenderer, type FrameRenderer, type RenderedFrame } from './render-frame.ts';
import { type CameraScenario, isCameraScenario } from './scenarios.ts';

/** Time for the camera: monotonic milliseconds and a cancellable wait. */
export interface CameraClock {
  monotonic(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemCameraClock: CameraClock = {
  monotonic: () => performance.now(),
  sleep,
};

export type SimulatedCameraSize =
  | { readonly width: 640; readonly height: 480 }
  | { readonly width: 1280; readonly height: 720 };

export interface SimulatedCameraOptions {
  /** The person in front of the camera, e.g. the citizen's 12-digit id. */
  readonly personSeed: string;
  /** 640x480 (default) or 1280x720. */
  readonly width?: 640 | 1280;
  readonly height?: 480 | 720;
  /** Frames per second, 1..60; default 30. */
  readonly fps?: number;
  readonly scenario?: CameraScenario;
  readonly clock?: CameraClock;
  /** JPEG quality; default 75. */
  readonly quality?: number;
  /** The card the person holds up in `card-qr`. */
  readonly cardImage?: RgbImage;
  /** Where frames are rendered; default on this thread. A station passes createWorkerRenderer(). */
  readonly renderer?: FrameRenderer;
  /** No sway and no blinking: every frame of a scenario shows the same pose. */
  readonly still?: boolean;
  /**
   * The motion repeats every this many seconds and each frame of the loop is rendered once, then
   * replayed: a station's idle simulated camera then costs almost no CPU (rendering every frame
   * takes most of a core at 30 fps). 0 renders every frame anew. Default 4.
   */
  readonly loopSeconds?: number;
}

/** A bad option or an unknown scenario name. */
export class SimulatedCameraError extends RangeError {
  override readonly name = 'SimulatedCameraError';
  readonly code: 'SIM_CAMERA_BAD_OPTION' | 'SIM_CAMERA_UNKNOWN_SCENARIO';
  constructor(code: SimulatedCameraError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface SimulatedFrame extends RenderedFrame {
  /** Capture time on the camera's clock, ms. */
  readonly timestampMs: number;
  readonly scenario: CameraScenario;
  readonly personSeed: string;
}

export interface SimulatedCamera {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly scenario: CameraScenario;
  readonly personSeed: string;
  /** Switches the scenario from the next frame on. @throws {SimulatedCameraError} for an unknown name. */
  setScenario(name: string): void;
  /** Puts another person in front of the camera from the next frame on (and takes a photo away). */
  setPerson(personSeed: string): void;
  /**
   * Holds a photograph up to the lens from the next frame on: every frame is `jpeg` as it is (a JPEG
   * of the camera's size, which the caller checks), until undefined or another person takes it away.
   */
  setPhoto(jpeg: Uint8Array | undefined): void;
  setCardImage(image: RgbImage | undefined): void;
  /** Frame `n` of the current scenario and person (deterministic: the same n, the same bytes). */
  frameAt(n: number): Promise<SimulatedFrame>;
  /**
   * JPEG frames at the frame rate until `signal` fires or the camera is closed. Frames the consumer
   * was too slow for are skipped, never queued.
   */
  frames(signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /** Like frames(), with the frame number, timestamp and ground truth. */
  framesWithTruth(signal?: AbortSignal): AsyncIterable<SimulatedFrame>;
  /** Stops every stream and closes the renderer. */
  close(): Promise<void>;
}

/**
 * Creates a simulated camera.
 * @throws {SimulatedCameraError} for a size other than 640x480 or 1280x720, an fps outside 1..60, a
 *   quality outside 1..100 or an unknown scenario.
 */
export function createSimulatedCamera(options: SimulatedCameraOptions): SimulatedCamera {
  const width = options.width ?? 640;
  const height = options.height ?? (width === 1280 ? 720 : 480);
  if (!((width === 640 && height === 480) || (width === 1280 && height === 720)))
    throw new SimulatedCameraError(
      'SIM_CAMERA_BAD_OPTION',
      `frame size ${width}x${height}: use 640x480 or 1280x720`,
    );
  const fps = options.fps ?? 30;
  if (!(fps >= 1 && fps <= 60))
    throw new SimulatedCameraError('SIM_CAMERA_BAD_OPTION', `fps ${fps} is outside 1..60`);
  const quality = options.quality ?? 75;
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100))
    throw new SimulatedCameraError('SIM_CAMERA_BAD_OPTION', `JPEG quality ${quality} is outside 1..100`);
  const clock = options.clock ?? systemCameraClock;
  const renderer = options.renderer ?? createInProcessRenderer();
  if (options.cardImage) renderer.setCardImage(options.cardImage);
  const closed = new AbortController();
  let scenario: CameraScenario = options.scenario ?? 'good';
  if (!isCameraScenario(scenario))
    throw new SimulatedCameraError(
      'SIM_CAMERA_UNKNOWN_SCENARIO',
      `unknown camera scenario ${String(scenario)}`,
    );
  let personSeed = options.personSeed;
  const period = 1000 / fps;
  const origin = clock.monotonic();
  const loopSeconds = options.loopSeconds ?? 4;
  if (!(loopSeconds >= 0 && loopSeconds <= 60))
    throw new SimulatedCameraError('SIM_CAMERA_BAD_OPTION', `loopSeconds ${loopSeconds} is outside 0..60`);
  const loopFrames = Math.round(loopSeconds * fps);
  /** Rendered frames of the current loop by their place in it; emptied when the picture changes. */
  const loop = new Map<string, Promise<RenderedFrame>>();
  let photo: Uint8Array | undefined;

  const frameAt = async (n: number): Promise<SimulatedFrame> => {
    if (!(Number.isInteger(n) && n >= 0))
      throw new SimulatedCameraError('SIM_CAMERA_BAD_OPTION', `frame number ${n} is not a whole number >= 0`);
    const s = scenario;
    const p = personSeed;
    const place = loopFrames > 0 ? n % loopFrames : n;
    if (photo !== undefined)
      return {
        frame: place,
        jpeg: photo,
        faces: [],
        renderMs: 0,
        encodeMs: 0,
        timestampMs: origin + n * period,
        scenario: s,
        personSeed: p,
      };
    const key = `${s}\u0000${p}\u0000${place}`;
    let rendering = loopFrames > 0 ? loop.get(key) : undefined;
    if (rendering === undefined) {
      rendering = renderer.render({
        scenario: s,
        personSeed: p,
        width,
        height,
        frame: place,
        fps,
        quality,
        ...(options.still ? { still: true } : {}),
      });
      if (loopFrames > 0) {
        loop.set(key, rendering);
        // A failed render is not kept: the next pass tries again.
        rendering.catch(() => loop.delete(key));
      }
    }
    const frame = await rendering;
    return { ...frame, timestampMs: origin + n * period, scenario: s, personSeed: p };
  };

  async function* stream(signal?: AbortSignal): AsyncGenerator<SimulatedFrame> {
    const stop = signal ? AbortSignal.any([signal, closed.signal]) : closed.signal;
    let n = Math.max(0, Math.floor((clock.monotonic() - origin) / period));
    while (!stop.aborted) {
      // Rendering (on the worker, for a station) overlaps the wait for the frame's time.
      const pending = frameAt(n);
      pending.catch(() => {}); // observed below; an abort must not leave it unhandled
      const wait = origin + n * period - clock.monotonic();
      if (wait > 0) {
        try {
          await clock.sleep(wait, stop);
        } catch {
          break;
        }
      }
      let frame: SimulatedFrame;
      try {
        frame = await pending;
      } catch (error) {
        if (stop.aborted) break;
        throw error;
      }
      if (stop.aborted) break;
      yield frame;
      // A consumer (or a render) slower than the frame rate skips the frames whose time has passed.
      n = Math.max(n + 1, Math.floor((clock.monotonic() - origin) / period));
    }
  }

  return {
    width,
    height,
    fps,
    get scenario() {
      return scenario;
    },
    get personSeed() {
      return personSeed;
    },
    setScenario(name) {
      if (!isCameraScenario(name))
        throw new SimulatedCameraError('SIM_CAMERA_UNKNOWN_SCENARIO', `unknown camera scenario ${name}`);
      scenario = name;
      loop.clear();
    },
    setPerson(seed) {
      personSeed = seed;
      photo = undefined;
      loop.clear();
    },
    setPhoto(jpeg) {
      photo = jpeg;
    },
    setCardImage(image) {
      renderer.setCardImage(image);
      loop.clear();
    },
    frameAt,
    async *frames(signal) {
      for await (const frame of stream(signal)) yield frame.jpeg;
    },
    framesWithTruth: stream,
    async close() {
      closed.abort();
      await renderer.close();
    },
  };
}
