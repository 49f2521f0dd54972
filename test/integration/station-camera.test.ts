/**
 * The camera in the station, on the production path: a simulated feed of real JPEG frames (sharp)
 * piped through real ffmpeg into the CameraDevice the station composes, then GET /devices, the newest
 * frame, the MJPEG preview over a real socket, the /sim/camera controls, and a hardware camera on a
 * machine that has none. The CLI commands run against the same kind of station.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceState } from '../../drivers/device.ts';
import { SimulatedUsbBus } from '../../simulators/hotplug/simulated-hotplug.ts';
import { buildStation } from '../../station/app.ts';
import { main } from '../../station/cli/main.ts';
import {
  composeCamera,
  type SimulatedFeed,
  type SimulatedFeedOptions,
} from '../../station/compose/cameras.ts';
import { composeStation } from '../../station/compose/embedded.ts';
import { parseConfig } from '../../station/config/load.ts';
import { isWholeJpeg, jpegSize, makeJpegs } from '../support/camera-frames.ts';
import { recordingIo } from '../support/cli.ts';
import { ManualClock, tempDir, testConfig } from '../support/station.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const SCENARIOS = ['good', 'too-far', 'no-face'] as const;

/**
 * A stand-in for simulators/camera: our JPEG pictures at `fps`, recording what the station asks of
 * it. `pause()` stops the pictures (as the simulated camera does between scenarios) until `resume()`.
 */
class PictureFeed implements SimulatedFeed {
  readonly options: SimulatedFeedOptions;
  readonly calls: string[] = [];
  readonly #pictures: readonly Uint8Array[];
  #closed = false;
  #paused: { promise: Promise<void>; resolve(): void } | undefined;
  constructor(options: SimulatedFeedOptions, pictures: readonly Uint8Array[]) {
    this.options = options;
    this.#pictures = pictures;
  }
  pause(): void {
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#paused ??= { promise, resolve };
  }
  resume(): void {
    this.#paused?.resolve();
    this.#paused = undefined;
  }
  frames(): AsyncIterable<Uint8Array> {
    const pictures = this.#pictures;
    const period = 1000 / this.options.fps;
    const feed = this;
    return (async function* () {
      for (let i = 0; !feed.#closed; i++) {
        if (feed.#paused) await feed.#paused.promise;
        yield pictures[i % pictures.length] as Uint8Array;
        await new Promise((r) => setTimeout(r, period));
      }
    })();
  }
  setScenario(name: string): void {
    this.calls.push(`scenario ${name}`);
  }
  setPerson(seed: string): void {
    this.calls.push(`person ${seed}`);
  }
  async close(): Promise<void> {
    this.#closed = true;
    this.resume();
    this.calls.push('close');
  }
}

const OTHER_DEVICES_OFF = {
  hotplug: { mode: 'disabled' },
  fingerprintHid: { mode: 'disabled' },
  fingerprintSerial: { mode: 'disabled' },
  cardReader: { mode: 'disabled' },
};

async function cameraStation(camera: Record<string, unknown>) {
  const pictures = await makeJpegs(3, 500, { width: 640, height: 480, quality: 70 });
  const tmp = tempDir('station-camera-');
  const config = testConfig({ devices: { ...OTHER_DEVICES_OFF, camera }, hotpath: { workers: 1 } }, tmp.dir);
  const feeds: PictureFeed[] = [];
  const deps = await composeStation(config, {
    clock: new ManualClock(),
    logger: false,
    simulatedCamera: {
      simulatedFeed: (options) => {
        const feed = new PictureFeed(options, pictures);
        feeds.push(feed);
        return feed;
      },
      simulatedScenarios: SCENARIOS,
    },
  });
  const app = await buildStation(deps);
  cleanups.push(() => tmp.remove());
  cleanups.push(() => app.close());
  return { app, feeds, pictures };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

interface CameraView {
  id: string;
  family: string;
  mode: string;
  state: { status: string; reason?: string; detail?: Record<string, unknown> };
  camera: Record<string, unknown>;
}

async function cameraView(app: FastifyInstance): Promise<CameraView> {
  const answer = await app.inject('/devices');
  const { devices } = answer.json() as { devices: CameraView[] };
  const camera = devices.find((d) => d.family === 'camera');
  if (!camera) throw new Error(`no camera in ${answer.body}`);
  return camera;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads multipart parts from a preview response until `count` have come. */
async function readParts(
  response: Response,
  count: number,
): Promise<{ headers: string; jpeg: Uint8Array }[]> {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  let buffer = Buffer.alloc(0);
  const parts: { headers: string; jpeg: Uint8Array }[] = [];
  while (parts.length < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${parts.length} parts`);
    buffer = Buffer.concat([buffer, value]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const headers = buffer.subarray(0, end).toString('latin1');
      const length = Number(/Content-Length: (\d+)/.exec(headers)?.[1]);
      if (buffer.length < end + 4 + length + 2) break;
      parts.push({ headers, jpeg: new Uint8Array(buffer.subarray(end + 4, end + 4 + length)) });
      buffer = buffer.subarray(end + 4 + length + 2);
    }
  }
  reader.releaseLock();
  return parts;
}

describe('the station camera on a simulated feed through ffmpeg', () => {
  it('is ready, listed with its settings, serves the newest JPEG and an MJPEG preview that ends with the client', async () => {
    const { app, feeds, pictures } = await cameraStation({ mode: 'simulated', personSeed: '079300001111' });
    expect(feeds).toHaveLength(1);
    expect(feeds[0]?.options).toEqual({
      width: 640,
      height: 480,
      fps: 30,
      personSeed: '079300001111',
      scenario: 'good',
    });

    const view = await cameraView(app);
    expect(view).toMatchObject({
      id: 'camera',
      mode: 'simulated',
      state: { status: 'ready' },
      camera: {
        source: 'simulated',
        width: 640,
        height: 480,
        fps: 30,
        personSeed: '079300001111',
        scenario: 'good',
      },
    });
    expect(view.camera.framesDropped).toEqual(expect.any(Number));

    const frame = await app.inject('/devices/camera/frame');
    expect(frame.statusCode).toBe(200);
    expect(frame.headers['content-type']).toBe('image/jpeg');
    expect(Number(frame.headers['x-frame-sequence'])).toBeGreaterThanOrEqual(0);
    expect(Number(frame.headers['x-frame-timestamp'])).toBeGreaterThan(0);
    const jpeg = new Uint8Array(frame.rawPayload);
    expect(isWholeJpeg(jpeg)).toBe(true);
    expect(await jpegSize(jpeg)).toEqual({ width: 640, height: 480 });
    // ffmpeg copies the MJPEG stream: what the station serves is one of the pictures fed in, byte for byte.
    expect(pictures.some((p) => Buffer.from(p).equals(Buffer.from(jpeg)))).toBe(true);

    const base = await listen(app);
    const abort = new AbortController();
    const response = await fetch(`${base}/devices/camera/preview?fps=15`, { signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('multipart/x-mixed-replace; boundary=frame');
    const parts = await readParts(response, 3);
    const sequences = parts.map((p) => Number(/X-Frame-Sequence: (\d+)/.exec(p.headers)?.[1]));
    for (const part of parts) {
      expect(part.headers).toMatch(/^--frame\r\nContent-Type: image\/jpeg\r\n/);
      expect(isWholeJpeg(part.jpeg)).toBe(true);
    }
    // Newest frames in order, each newer than the last.
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(3);
    expect((await cameraView(app)).camera.previewClients).toBe(1);

    // The client leaves while no frame comes (the feed paused): its subscription must still end,
    // not wait for a frame that may never come.
    feeds[0]?.pause();
    abort.abort();
    await until(async () => (await cameraView(app)).camera.previewClients === 0, 'the preview to end');
    expect((await cameraView(app)).state.status).toBe('ready');
    feeds[0]?.resume();
  });

  it('switches the scenario and the person through /sim/camera, refusing a scenario it does not know', async () => {
    const { app, feeds } = await cameraStation({ mode: 'simulated' });
    const feed = feeds[0];
    const listed = (await app.inject('/sim/')).json() as {
      simulators: { name: string; scenarios: string[] }[];
    };
    expect(listed.simulators.find((s) => s.name === 'camera')?.scenarios).toEqual([...SCENARIOS]);

    const scenario = await app.inject({
      method: 'PUT',
      url: '/sim/camera/scenario',
      payload: { scenario: 'too-far' },
    });
    expect(scenario.statusCode).toBe(200);
    expect(scenario.json()).toMatchObject({ name: 'camera', scenario: 'too-far' });
    const person = await app.inject({
      method: 'POST',
      url: '/sim/camera/actions/person',
      payload: { seed: '001099012345' },
    });
    expect(person.statusCode).toBe(200);
    expect(feed?.calls).toEqual(['scenario too-far', 'person 001099012345']);
    expect((await cameraView(app)).camera).toMatchObject({ scenario: 'too-far', personSeed: '001099012345' });

    const unknown = await app.inject({
      method: 'PUT',
      url: '/sim/camera/scenario',
      payload: { scenario: 'sunny' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(feed?.calls).toHaveLength(2);

    await app.close();
    expect(feed?.calls.at(-1)).toBe('close');
  });

  it('answers typed errors: an unknown device, a device that is not a camera, a bad preview rate', async () => {
    const tmp = tempDir('station-camera-');
    cleanups.push(() => tmp.remove());
    const config = testConfig(
      { devices: { ...OTHER_DEVICES_OFF, hotplug: { mode: 'simulated' }, camera: { mode: 'disabled' } } },
      tmp.dir,
    );
    const app = await buildStation(await composeStation(config, { clock: new ManualClock(), logger: false }));
    cleanups.push(() => app.close());
    const missing = await app.inject('/devices/camera/frame');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'DEVICE_NOT_FOUND' } });
    const hotplug = await app.inject('/devices/usb-hotplug/frame');
    expect(hotplug.json()).toMatchObject({ error: { code: 'NOT_A_CAMERA' } });
    expect(hotplug.statusCode).toBe(400);
    const tooFast = await app.inject('/devices/usb-hotplug/preview?fps=100');
    expect(tooFast.statusCode).toBe(400);
    expect(tooFast.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
  });
});

describe('a hardware camera on a machine without one', () => {
  it('is disconnected with the reason, and its frame and preview answer 503 CAMERA_NOT_READY', async () => {
    // This machine (a container) has no /dev/video*: the station must start and say so, not crash.
    const { app } = await cameraStation({ mode: 'hardware', device: '/dev/v4l/by-id/usb-none-video-index0' });
    const view = await cameraView(app);
    expect(view).toMatchObject({
      mode: 'hardware',
      state: {
        status: 'disconnected',
        reason: expect.stringContaining('/dev/v4l/by-id/usb-none-video-index0'),
      },
      camera: {
        source: '/dev/v4l/by-id/usb-none-video-index0',
        width: 640,
        height: 480,
        fps: 30,
        lastFrame: null,
      },
    });
    for (const route of ['/devices/camera/frame', '/devices/camera/preview']) {
      const answer = await app.inject(route);
      expect(answer.statusCode).toBe(503);
      expect(answer.json()).toMatchObject({
        error: { code: 'CAMERA_NOT_READY', message: expect.stringContaining('plug the camera in') },
      });
    }
    // The station runs on, degraded, and says which device is missing.
    const health = (await app.inject('/health')).json() as { status: string; devices: CameraView[] };
    expect(health.status).toBe('degraded');
    expect(health.devices.find((d) => d.id === 'camera')?.state.status).toBe('disconnected');
  });
});

describe('a hardware camera with hot-plug', () => {
  it('follows the USB ids discovery found: a detach of that camera makes it disconnected, another device does not', async () => {
    const tmp = tempDir('camera-hw-');
    cleanups.push(() => tmp.remove());
    // A node that exists but is no camera: ffmpeg's V4L2 input refuses it, as it would a metadata node.
    const node = path.join(tmp.dir, 'video0');
    writeFileSync(node, '');
    const ids = { vendorId: 0x046d, productId: 0x082d };
    const bus = new SimulatedUsbBus([ids, { vendorId: 0x1d6b, productId: 0x0f60 }]);
    const config = parseConfig({ devices: { camera: { mode: 'hardware' } } }, { baseDir: tmp.dir });
    // The schema wants a /dev path; the test's node lives in a temp folder.
    config.devices.camera.device = node;
    const { camera } = await composeCamera(config, {
      hotplug: bus,
      listCameras: async () => [
        { device: node, name: 'C920', index: 0, ...ids, mjpegSizes: [], formatsKnown: true },
      ],
      driver: { watchMs: 0 },
    });
    if (!camera) throw new Error('no camera composed');
    cleanups.push(() => camera.close());
    const states: DeviceState[] = [];
    camera.onStateChange((state) => states.push(state));
    await camera.open();
    expect(camera.state()).toMatchObject({ status: 'error', code: 'CAMERA_FORMAT_UNSUPPORTED' });

    bus.detach({ vendorId: 0x1d6b, productId: 0x0f60 }); // the fingerprint scanner, not the camera
    await new Promise((r) => setTimeout(r, 50));
    expect(camera.state().status).toBe('error');

    bus.detach(ids);
    await until(async () => camera.state().status === 'disconnected', 'the detach to reach the camera');
    expect(camera.state()).toMatchObject({ reason: expect.stringMatching(/unplugged/) });
    expect(states.map((s) => s.status)).toEqual(['opening', 'error', 'disconnected']);
  });
});

describe('station camera and station sim camera', () => {
  it('list, capture, preview and switch the simulated camera of a running station', async () => {
    const { app, feeds } = await cameraStation({ mode: 'simulated' });
    const url = await listen(app);
    const tmp = tempDir('camera-cli-');
    cleanups.push(() => tmp.remove());
    const run = async (argv: string[]) => {
      const io = recordingIo(tmp.dir);
      const code = await main(argv, io);
      return { code, out: io.out, err: io.err };
    };

    const list = await run(['camera', 'list', '--url', url]);
    expect(list.code, list.err).toBe(0);
    expect(JSON.parse(list.out)).toMatchObject({
      source: url,
      cameras: [{ id: 'camera', state: { status: 'ready' }, camera: { source: 'simulated' } }],
    });

    const capture = await run(['camera', 'capture', '--out', 'face.jpg', '--url', url]);
    expect(capture.code, capture.err).toBe(0);
    const captured = JSON.parse(capture.out) as Record<string, unknown>;
    expect(captured).toMatchObject({
      device: 'camera',
      width: 640,
      height: 480,
      file: path.join(tmp.dir, 'face.jpg'),
    });
    const written = readFileSync(path.join(tmp.dir, 'face.jpg'));
    expect(written.length).toBe(captured.bytes);
    expect(isWholeJpeg(written)).toBe(true);

    const preview = await run([
      'camera',
      'preview',
      '--seconds',
      '1',
      '--out-dir',
      'frames',
      '--fps',
      '10',
      '--url',
      url,
    ]);
    expect(preview.code, preview.err).toBe(0);
    const recorded = JSON.parse(preview.out) as { frames: number; fps: number; ended: string };
    const files = readdirSync(path.join(tmp.dir, 'frames')).sort();
    expect(files.length).toBe(recorded.frames);
    expect(recorded.frames).toBeGreaterThanOrEqual(3);
    expect(recorded.ended).toBe('time');
    expect(files[0]).toBe('frame-00001.jpg');
    expect(isWholeJpeg(readFileSync(path.join(tmp.dir, 'frames', files[0] ?? '')))).toBe(true);
    await until(async () => (await cameraView(app)).camera.previewClients === 0, 'the CLI preview to end');

    const sim = await run([
      'sim',
      'camera',
      '--scenario',
      'no-face',
      '--person',
      '079300002222',
      '--url',
      url,
    ]);
    expect(sim.code, sim.err).toBe(0);
    expect(feeds[0]?.calls).toEqual(['scenario no-face', 'person 079300002222']);

    const wrong = await run(['camera', 'capture', '--out', 'x.jpg', '--device', 'nope', '--url', url]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/no camera 'nope'; cameras: camera \(ready\)/);
  });

  it('lists the cameras of this machine when no station answers', async () => {
    const tmp = tempDir('camera-cli-');
    cleanups.push(() => tmp.remove());
    const io = recordingIo(tmp.dir);
    // Port 9 (discard) on loopback: nothing listens.
    const code = await main(['camera', 'list', '--url', 'http://127.0.0.1:9'], io);
    expect(code, io.err).toBe(0);
    expect(io.err).toMatch(
      /No station answers at http:\/\/127\.0\.0\.1:9; listing the cameras of this machine/,
    );
    const answer = JSON.parse(io.out) as { source: string; cameras: unknown[] };
    expect(answer.source).toBe('local');
    expect(Array.isArray(answer.cameras)).toBe(true);
  });
});
