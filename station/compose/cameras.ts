/**
 * The portrait camera from the configuration: a CameraDevice (drivers/camera/camera.ts) over the
 * ffmpeg source (native-ffmpeg.ts), on a V4L2 camera in hardware mode and, in simulated mode, on the
 * simulated camera's JPEG frames piped through the same ffmpeg. The simulated camera therefore runs
 * the production path (frame splitter, newest-only delivery, restarts), not a shortcut around it.
 *
 * The simulated camera itself lives in simulators/camera; it reaches this module only through the
 * `SimulatedFeed` seam, so station code never renders or encodes pictures here (sharp and the face
 * renderer stay behind their own adapters) and never spawns ffmpeg (native-ffmpeg.ts does).
 */
import { realpath } from 'node:fs/promises';
import { CameraDevice, type CameraDriverOptions } from '../../drivers/camera/camera.ts';
import { type FfmpegCameraOptions, FfmpegCameraSource } from '../../drivers/camera/native-ffmpeg.ts';
import { listV4l2Cameras, type V4l2Camera } from '../../drivers/camera/native-v4l2.ts';
import type { HotplugPort } from '../../drivers/hotplug/port.ts';
import { SimulatorActionError, type SimulatorControl } from '../../drivers/sim-control.ts';
import type { StationConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';

/** The camera's device id in /devices. */
export const CAMERA_ID = 'camera';

/** Where a hardware camera is looked for when none is configured and none is plugged in at start. */
export const FALLBACK_CAMERA_NODE = '/dev/video0';

/** What a simulated camera is asked to show. Sizes in pixels, rate in frames per second. */
export interface SimulatedFeedOptions {
  /** 640x480 or 1280x720 (the configuration allows only these). */
  readonly width: 640 | 1280;
  readonly height: 480 | 720;
  readonly fps: number;
  readonly personSeed: string;
  readonly scenario: string;
}

/**
 * A simulated camera as the station drives it (simulators/camera's SimulatedCamera fits it).
 * `frames()` yields whole JPEG files paced at the frame rate, dropping rather than queueing when the
 * reader is slow; `setScenario` throws (RangeError) for a name it does not know; both setters apply
 * from the next frame on.
 */
export interface SimulatedFeed {
  frames(): AsyncIterable<Uint8Array>;
  setScenario(name: string): void;
  setPerson(seed: string): void;
  /** Every frame this JPEG (of the feed's size) until undefined or setPerson; optional. */
  setPhoto?(jpeg: Uint8Array | undefined): void;
  close(): Promise<void>;
}

/** Makes the simulated camera. @throws what the simulator throws for options it refuses. */
export type SimulatedFeedFactory = (options: SimulatedFeedOptions) => SimulatedFeed;

export interface CameraCompositionDeps {
  /** Required in simulated mode: the simulated camera (the station has no picture source of its own). */
  readonly simulatedFeed?: SimulatedFeedFactory;
  /** The simulator's scenario names, the first the default; `/sim/camera` offers these. Default: the configured one. */
  readonly simulatedScenarios?: readonly string[];
  /** USB attach/detach for a hardware camera (the station's hot-plug port). */
  readonly hotplug?: HotplugPort;
  /** V4L2 discovery; default listV4l2Cameras (tests pass a fake). */
  readonly listCameras?: () => Promise<V4l2Camera[]>;
  /** Passed to the ffmpeg source (timeouts, backoff, ffmpeg path). */
  readonly source?: FfmpegCameraOptions;
  /** Passed to the device (node polling, watch interval). */
  readonly driver?: Pick<
    CameraDriverOptions,
    'nodeExists' | 'sleep' | 'nodePollMs' | 'nodeWaitMs' | 'watchMs'
  >;
}

/** What the station was configured to capture, for GET /devices (the state's detail says what it gets). */
export interface CameraSettings {
  /** The device path, or `simulated`. */
  readonly source: string;
  readonly width: number;
  readonly height: number;
  /** Frames per second. */
  readonly fps: number;
  /** Simulated only: the person and scenario now in front of the camera. */
  readonly personSeed?: string;
  readonly scenario?: string;
}

/** A CameraDevice that knows its configuration and owns its simulated feed (closed with it). */
export class StationCamera extends CameraDevice {
  readonly #settings: CameraSettings;
  readonly #feed: SimulatedFeed | undefined;
  #scenario: string | undefined;
  #personSeed: string | undefined;

  constructor(options: CameraDriverOptions, settings: CameraSettings, feed?: SimulatedFeed) {
    super(options);
    this.#settings = settings;
    this.#feed = feed;
    this.#scenario = settings.scenario;
    this.#personSeed = settings.personSeed;
  }

  settings(): CameraSettings {
    return {
      ...this.#settings,
      ...(this.#scenario === undefined ? {} : { scenario: this.#scenario }),
      ...(this.#personSeed === undefined ? {} : { personSeed: this.#personSeed }),
    };
  }

  /** Simulated only. @throws {SimulatorActionError} SIM_CAMERA_NOT_SIMULATED on hardware; the feed's RangeError for an unknown name. */
  setScenario(name: string): void {
    this.#simulated().setScenario(name);
    this.#scenario = name;
  }

  /** Simulated only. @throws {SimulatorActionError} SIM_CAMERA_NOT_SIMULATED on hardware. */
  setPerson(seed: string): void {
    this.#simulated().setPerson(seed);
    this.#personSeed = seed;
  }

  /**
   * Simulated only: a photograph held up to the lens (a JPEG of the camera's frame size), or none.
   * @throws {SimulatorActionError} SIM_CAMERA_NOT_SIMULATED on hardware, SIM_CAMERA_NO_PHOTO when the
   *   feed cannot show one.
   */
  setPhoto(jpeg: Uint8Array | undefined): void {
    const feed = this.#simulated();
    if (feed.setPhoto === undefined)
      throw new SimulatorActionError(
        'SIM_CAMERA_NO_PHOTO',
        `Camera ${this.id}'s simulated feed shows no photographs`,
      );
    feed.setPhoto(jpeg);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.#feed?.close().catch(() => undefined);
  }

  #simulated(): SimulatedFeed {
    if (!this.#feed)
      throw new SimulatorActionError('SIM_CAMERA_NOT_SIMULATED', `Camera ${this.id} is a hardware camera`);
    return this.#feed;
  }
}

export interface CameraComposition {
  /** Undefined when the camera is disabled. */
  readonly camera: StationCamera | undefined;
  /** The /sim/camera control surface, in simulated mode. */
  readonly simulator: SimulatorControl | undefined;
}

/** The capture node to use: the first camera with a UVC capture node (index 0), preferring MJPEG ones. */
function firstCamera(cameras: readonly V4l2Camera[]): V4l2Camera | undefined {
  const capture = cameras.filter((c) => c.index === undefined || c.index === 0);
  return capture.find((c) => c.mjpegSizes.length > 0) ?? capture[0];
}

/** The discovered camera behind `device` (a /dev/videoN or a /dev/v4l/by-id link to one), if plugged in. */
async function cameraAt(device: string, cameras: readonly V4l2Camera[]): Promise<V4l2Camera | undefined> {
  let target: string;
  try {
    target = await realpath(device);
  } catch {
    return undefined; // not plugged in now: it is waited for
  }
  return cameras.find((c) => c.device === target || c.device === device);
}

/** A photograph for `/sim/camera/actions/photo`, base64 (within the station's 1 MB body limit). */
const MAX_PHOTO_BASE64 = 1_000_000;

/**
 * The camera's /sim/ control: `PUT /sim/camera/scenario { scenario }` switches the scene,
 * `POST /sim/camera/actions/person { seed }` puts another person in front of the lens, and
 * `POST /sim/camera/actions/photo { jpeg }` holds a photograph up to it (someone who is not the
 * procedural citizen: the face engine tells real faces apart, not procedural ones).
 */
export function cameraSimulatorControl(
  camera: StationCamera,
  scenarios: readonly string[],
): SimulatorControl {
  return {
    name: 'camera',
    description: 'The simulated portrait camera: a person (by seed) in a scenario, piped through ffmpeg',
    scenarios,
    scenario: () => camera.settings().scenario ?? scenarios[0] ?? '',
    setScenario: (name) => camera.setScenario(name),
    actions: [
      {
        name: 'person',
        description:
          'Put another person in front of the camera (the seed of the simulated citizen, e.g. the 12-digit id)',
        input: {
          type: 'object',
          additionalProperties: false,
          required: ['seed'],
          properties: { seed: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        run: async (input) => {
          const { seed } = input as { seed: string };
          camera.setPerson(seed);
          return { personSeed: seed };
        },
      },
      {
        name: 'photo',
        description:
          "Hold a photograph up to the lens (a JPEG of the camera's frame size, base64), or take it away (no jpeg); another person takes it away too",
        input: {
          type: 'object',
          additionalProperties: false,
          properties: { jpeg: { type: 'string', minLength: 4, maxLength: MAX_PHOTO_BASE64 } },
        },
        run: async (input) => {
          const { jpeg } = input as { jpeg?: string };
          if (jpeg === undefined) {
            camera.setPhoto(undefined);
            return { photo: false };
          }
          const bytes = new Uint8Array(Buffer.from(jpeg, 'base64'));
          const { width, height } = camera.settings();
          // sharp loads only when a tester holds a photo up (the station starts without it).
          const { readImageMetadata } = await import('../imaging/sharp-images.ts');
          const meta = await readImageMetadata(bytes);
          if (
            !meta.ok ||
            meta.value.format !== 'jpeg' ||
            meta.value.width !== width ||
            meta.value.height !== height
          )
            throw new SimulatorActionError(
              'SIM_CAMERA_BAD_PHOTO',
              `the photo must be a ${width}x${height} JPEG (the camera's frame size)${meta.ok ? `; it is a ${meta.value.width}x${meta.value.height} ${meta.value.format}` : `; ${meta.error.message}`}`,
            );
          camera.setPhoto(bytes);
          return { photo: true, bytes: bytes.length };
        },
      },
    ],
    snapshot: () => ({ settings: camera.settings(), state: camera.state(), stats: camera.stats() }),
  };
}

/**
 * Builds the configured camera (not opened: buildStation opens every device).
 * @throws {ConfigError} CONFIG_INVALID when simulated mode has no simulated feed, or the configured
 *   scenario is not one of `deps.simulatedScenarios`; the feed factory's error for options it refuses.
 */
export async function composeCamera(
  config: StationConfig,
  deps: CameraCompositionDeps = {},
): Promise<CameraComposition> {
  const settings = config.devices.camera;
  const { width, height, fps } = settings;
  if (settings.mode === 'disabled') return { camera: undefined, simulator: undefined };

  if (settings.mode === 'simulated') {
    const scenarios = deps.simulatedScenarios ?? [settings.scenario];
    if (!deps.simulatedFeed)
      throw new ConfigError('CONFIG_INVALID', undefined, [
        {
          key: '/devices/camera/mode',
          message:
            'is "simulated" but this build has no simulated camera to feed it: set "hardware" or "disabled"',
          allowed: ['hardware', 'disabled'],
        },
      ]);
    if (!scenarios.includes(settings.scenario))
      throw new ConfigError('CONFIG_INVALID', undefined, [
        {
          key: '/devices/camera/scenario',
          message: `is "${settings.scenario}", which the simulated camera does not know`,
          allowed: [...scenarios],
        },
      ]);
    const feed = deps.simulatedFeed({
      width,
      height,
      fps,
      personSeed: settings.personSeed,
      scenario: settings.scenario,
    });
    // The frames are asked for when ffmpeg first runs, not now: nothing renders for a camera never opened.
    const frames: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => feed.frames()[Symbol.asyncIterator](),
    };
    const camera = new StationCamera(
      {
        id: CAMERA_ID,
        mode: 'simulated',
        source: new FfmpegCameraSource({ kind: 'pipe', frames }, deps.source),
        fps,
        ...deps.driver,
      },
      {
        source: 'simulated',
        width,
        height,
        fps,
        personSeed: settings.personSeed,
        scenario: settings.scenario,
      },
      feed,
    );
    return { camera, simulator: cameraSimulatorControl(camera, scenarios) };
  }

  const cameras = await (deps.listCameras ?? (() => listV4l2Cameras()))();
  const found =
    settings.device === undefined ? firstCamera(cameras) : await cameraAt(settings.device, cameras);
  // Nothing plugged in and nothing configured: the first camera plugged in later becomes video0.
  const device = settings.device ?? found?.device ?? FALLBACK_CAMERA_NODE;
  const usb =
    found?.vendorId === undefined || found.productId === undefined
      ? undefined
      : { vendorId: found.vendorId, productId: found.productId };
  const camera = new StationCamera(
    {
      id: CAMERA_ID,
      mode: 'hardware',
      source: new FfmpegCameraSource({ kind: 'v4l2', device, width, height, fps }, deps.source),
      devicePath: device,
      fps,
      ...(deps.hotplug === undefined ? {} : { hotplug: deps.hotplug }),
      ...(usb === undefined ? {} : { usb }),
      ...deps.driver,
    },
    { source: device, width, height, fps },
  );
  return { camera, simulator: undefined };
}
