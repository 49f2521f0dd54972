/**
 * `devices.camera`: its defaults in test and production, the values it refuses with the key named,
 * and what composeCamera builds (or refuses) from it. Nothing here starts ffmpeg.
 */
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { V4l2Camera } from '../../../drivers/camera/native-v4l2.ts';
import {
  CAMERA_ID,
  composeCamera,
  FALLBACK_CAMERA_NODE,
  type SimulatedFeed,
} from '../../../station/compose/cameras.ts';
import { parseConfig } from '../../../station/config/load.ts';
import { ConfigError } from '../../../station/errors.ts';
import { tempDir } from '../../support/station.ts';

function problemsOf(fn: () => unknown): {
  code: string;
  problems: { key: string; message: string; allowed?: unknown }[];
} {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return { code: error.code, problems: [...error.problems] };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const PRODUCTION = {
  environment: 'production',
  devices: {
    hotplug: { mode: 'hardware' },
    fingerprintHid: { mode: 'disabled' },
    fingerprintSerial: { mode: 'disabled' },
    cardReader: { mode: 'disabled' },
  },
  central: {
    mode: 'remote',
    url: 'https://central.example.test',
    tlsCa: 'ca.pem',
    statementCertificates: 's.pem',
  },
};

const idleFeed = (): SimulatedFeed => ({
  frames: () => ({
    [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => undefined) }),
  }),
  setScenario: () => undefined,
  setPerson: () => undefined,
  close: async () => undefined,
});

describe('devices.camera configuration', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('camera-config-');
  });
  afterEach(() => tmp.remove());
  const parse = (document: unknown) => parseConfig(document, { baseDir: tmp.dir });

  it('defaults to a simulated 640x480 camera at 30 fps showing the simulated card holder in the good scenario', () => {
    expect(parse({}).devices.camera).toEqual({
      mode: 'simulated',
      width: 640,
      height: 480,
      fps: 30,
      personSeed: '001099012345',
      scenario: 'good',
    });
  });

  it('is disabled by default in production, so a production file written before cameras still starts', () => {
    expect(parse(PRODUCTION).devices.camera.mode).toBe('disabled');
  });

  it('refuses a simulated camera in production, naming the key', () => {
    const { code, problems } = problemsOf(() =>
      parse({ ...PRODUCTION, devices: { ...PRODUCTION.devices, camera: { mode: 'simulated' } } }),
    );
    expect(code).toBe('CONFIG_PRODUCTION_UNSAFE');
    expect(problems).toEqual([
      expect.objectContaining({ key: '/devices/camera/mode', allowed: ['hardware', 'disabled'] }),
    ]);
  });

  it('accepts a hardware camera at 1280x720 on a by-id path in production', () => {
    const camera = {
      mode: 'hardware',
      device: '/dev/v4l/by-id/usb-Logitech_C920-video-index0',
      width: 1280,
      height: 720,
      fps: 15,
    };
    expect(parse({ ...PRODUCTION, devices: { ...PRODUCTION.devices, camera } }).devices.camera).toMatchObject(
      camera,
    );
  });

  it.each([
    [{ mode: 'webcam' }, '/devices/camera/mode', /must be one of: simulated, hardware, disabled/],
    [{ width: 800 }, '/devices/camera/width', /must be one of: 640, 1280/],
    [{ height: 600 }, '/devices/camera/height', /must be one of: 480, 720/],
    [{ fps: 0 }, '/devices/camera/fps', /must be >= 1/],
    [{ fps: 120 }, '/devices/camera/fps', /must be <= 60/],
    [{ fps: 29.97 }, '/devices/camera/fps', /must be integer/],
    [{ device: 'video0' }, '/devices/camera/device', /\/dev\//],
    [{ scenario: 'Too Far' }, '/devices/camera/scenario', /lowercase letters/],
    [{ personSeed: '' }, '/devices/camera/personSeed', /fewer than 1 characters|at least 1/],
    [{ lens: 'wide' }, '/devices/camera/lens', /unknown|not allowed|additional/],
  ])('refuses %j at %s', (camera, key, message) => {
    const { code, problems } = problemsOf(() => parse({ devices: { camera } }));
    expect(code).toBe('CONFIG_INVALID');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.key).toBe(key);
    expect(problems[0]?.message).toMatch(message);
  });

  it('refuses a frame size that mixes the two sizes', () => {
    const { code, problems } = problemsOf(() => parse({ devices: { camera: { width: 1280 } } }));
    expect(code).toBe('CONFIG_INVALID');
    expect(problems).toEqual([
      {
        key: '/devices/camera',
        message: 'has width 1280 and height 480; the frame size must be 640x480 or 1280x720',
        allowed: ['640x480', '1280x720'],
      },
    ]);
  });
});

describe('composeCamera', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('camera-compose-');
  });
  afterEach(() => tmp.remove());
  const config = (camera: Record<string, unknown>) =>
    parseConfig({ devices: { camera } }, { baseDir: tmp.dir });

  it('builds nothing for a disabled camera', async () => {
    expect(await composeCamera(config({ mode: 'disabled' }))).toEqual({
      camera: undefined,
      simulator: undefined,
    });
  });

  it('refuses simulated mode without a simulated feed, saying what to set', async () => {
    const error = await rejection(composeCamera(config({ mode: 'simulated' })));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems[0]).toMatchObject({
      key: '/devices/camera/mode',
      allowed: ['hardware', 'disabled'],
    });
  });

  it('refuses a scenario the simulated camera does not know, listing those it does', async () => {
    const error = await rejection(
      composeCamera(config({ mode: 'simulated', scenario: 'sunny' }), {
        simulatedFeed: idleFeed,
        simulatedScenarios: ['good', 'dark'],
      }),
    );
    expect(error.problems[0]).toMatchObject({ key: '/devices/camera/scenario', allowed: ['good', 'dark'] });
  });

  it('hands the feed the configured size, rate, person and scenario, and offers the /sim/camera control', async () => {
    const asked: unknown[] = [];
    const { camera, simulator } = await composeCamera(
      config({ mode: 'simulated', width: 1280, height: 720, fps: 25, personSeed: 'p-7', scenario: 'dark' }),
      {
        simulatedFeed: (options) => {
          asked.push(options);
          return idleFeed();
        },
        simulatedScenarios: ['good', 'dark'],
      },
    );
    expect(asked).toEqual([{ width: 1280, height: 720, fps: 25, personSeed: 'p-7', scenario: 'dark' }]);
    expect(camera).toMatchObject({ id: CAMERA_ID, family: 'camera', mode: 'simulated' });
    expect(simulator).toMatchObject({ name: 'camera', scenarios: ['good', 'dark'] });
    expect(simulator?.scenario()).toBe('dark');
    expect(simulator?.actions.map((a) => a.name)).toEqual(['person', 'photo']);
  });

  it("/sim/camera's photo: a JPEG of the frame size is held up to the lens; another size or format is refused, no jpeg takes it away", async () => {
    const shown: (Uint8Array | undefined)[] = [];
    const { simulator } = await composeCamera(config({ mode: 'simulated', width: 640, height: 480 }), {
      simulatedFeed: () => ({ ...idleFeed(), setPhoto: (jpeg) => shown.push(jpeg) }),
      simulatedScenarios: ['good'],
    });
    const photo = simulator?.actions.find((a) => a.name === 'photo');
    if (photo === undefined) throw new Error('no photo action');
    const jpeg = (width: number, height: number) =>
      sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 150 } } })
        .jpeg()
        .toBuffer();
    const right = await jpeg(640, 480);
    await expect(photo.run({ jpeg: right.toString('base64') })).resolves.toEqual({
      photo: true,
      bytes: right.length,
    });
    expect(shown).toEqual([new Uint8Array(right)]);
    await expect(photo.run({ jpeg: (await jpeg(480, 640)).toString('base64') })).rejects.toMatchObject({
      code: 'SIM_CAMERA_BAD_PHOTO',
      message: expect.stringContaining('must be a 640x480 JPEG'),
    });
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    await expect(photo.run({ jpeg: png.toString('base64') })).rejects.toMatchObject({
      code: 'SIM_CAMERA_BAD_PHOTO',
    });
    await expect(photo.run({})).resolves.toEqual({ photo: false });
    expect(shown).toHaveLength(2);
    expect(shown[1]).toBeUndefined();
  });

  it('uses the first UVC capture node found, with its USB ids; the metadata node and the order do not fool it', async () => {
    const cameras: V4l2Camera[] = [
      { device: '/dev/video0', name: 'Integrated IR', index: 0, mjpegSizes: [], formatsKnown: true },
      {
        device: '/dev/video1',
        name: 'C920',
        index: 1,
        vendorId: 0x046d,
        productId: 0x082d,
        mjpegSizes: [],
        formatsKnown: true,
      },
      {
        device: '/dev/video2',
        name: 'C920',
        index: 0,
        vendorId: 0x046d,
        productId: 0x082d,
        mjpegSizes: [{ width: 640, height: 480, fps: [30] }],
        formatsKnown: true,
      },
    ];
    const { camera } = await composeCamera(config({ mode: 'hardware' }), {
      listCameras: async () => cameras,
      driver: { watchMs: 0 },
    });
    expect(camera?.settings()).toEqual({ source: '/dev/video2', width: 640, height: 480, fps: 30 });
    expect(camera?.mode).toBe('hardware');
  });

  it('waits for /dev/video0 when no camera is configured and none is plugged in', async () => {
    const { camera, simulator } = await composeCamera(config({ mode: 'hardware' }), {
      listCameras: async () => [],
      driver: { watchMs: 0 },
    });
    expect(camera?.settings().source).toBe(FALLBACK_CAMERA_NODE);
    expect(simulator).toBeUndefined();
  });
});
