/**
 * The camera driver on the production path: CameraDevice over FfmpegCameraSource running real
 * ffmpeg, fed JPEG frames through its stdin (how the simulated camera plugs in), with hot-plug from
 * the simulated USB bus and a device node that comes and goes.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import { FfmpegCameraSource } from '../../drivers/camera/native-ffmpeg.ts';
import type { CameraFrame } from '../../drivers/camera/port.ts';
import type { DeviceState } from '../../drivers/device.ts';
import { DisconnectedError } from '../../drivers/errors.ts';
import { SimulatedUsbBus } from '../../simulators/hotplug/simulated-hotplug.ts';
import { isWholeJpeg, jpegSize, makeJpegs } from '../support/camera-frames.ts';
import { tempDir } from '../support/station.ts';

const devices: CameraDevice[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function take(iterator: AsyncIterator<CameraFrame>, count: number): Promise<CameraFrame[]> {
  const out: CameraFrame[] = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error('frames ended');
    out.push(next.value);
  }
  return out;
}

/** A paced, endless feed of our JPEG frames, as the simulated camera would write them. */
function feed(pictures: readonly Uint8Array[], intervalMs: number): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let i = 0; ; i++) {
      yield pictures[i % pictures.length]!;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
}

describe('CameraDevice on ffmpeg', () => {
  it('streams piped 640x480 frames, survives ffmpeg being killed, and follows the camera being unplugged and plugged back', async () => {
    const pictures = await makeJpegs(4, 100, { width: 640, height: 480, quality: 70 });
    const dir = tempDir('camera-node-');
    cleanups.push(() => dir.remove());
    const node = `${dir.dir}/video0`;
    writeFileSync(node, '');
    const usb = { vendorId: 0x046d, productId: 0x082d };
    const bus = new SimulatedUsbBus([usb]);
    const source = new FfmpegCameraSource(
      { kind: 'pipe', frames: feed(pictures, 20) },
      { restartBackoffMs: [50] },
    );
    const device = new CameraDevice({
      id: 'camera-0',
      mode: 'simulated',
      source,
      devicePath: node,
      fps: 30,
      hotplug: bus,
      usb,
      nodePollMs: 20,
      watchMs: 0,
      detailIntervalMs: 20,
    });
    devices.push(device);
    const states: DeviceState['status'][] = [];
    device.onStateChange((s) => states.push(s.status));

    await device.open();
    expect(device.state().status).toBe('ready');
    const frames = device.frames()[Symbol.asyncIterator]();
    const first = await take(frames, 3);
    for (const frame of first) {
      expect(isWholeJpeg(frame.jpeg)).toBe(true);
      expect(await jpegSize(frame.jpeg)).toEqual({ width: 640, height: 480 });
    }
    expect(device.latestFrame()).toBeDefined();
    await until(
      () => device.state().status === 'ready' && 'width' in (device.state() as { detail: object }).detail,
      'the size in the detail',
    );
    expect(device.state()).toMatchObject({ status: 'ready', detail: { width: 640, height: 480, fps: 30 } });

    // ffmpeg dies under the driver: restarted, the same subscription keeps getting frames.
    const pid = source.pid()!;
    process.kill(pid, 'SIGKILL');
    await until(() => source.stats().restarts === 1, 'the restart');
    const afterKill = await take(frames, 3);
    expect(afterKill[0]!.sequence).toBeGreaterThan(first.at(-1)!.sequence);
    expect(device.state().status).toBe('ready');
    await until(
      () => (device.state() as { detail?: { restarts?: number } }).detail?.restarts === 1,
      'the restart in the detail',
    );

    // Unplugged: the node goes, USB says detach; ffmpeg is stopped and consumers are told.
    const running = source.pid()!;
    const told = expect(frames.next()).rejects.toBeInstanceOf(DisconnectedError);
    rmSync(node);
    bus.detach(usb);
    await told;
    await until(() => !alive(running), 'ffmpeg to be gone');
    expect(device.state()).toEqual({
      status: 'disconnected',
      reason: 'The camera was unplugged (USB detach)',
    });
    expect(device.latestFrame()).toBeUndefined();

    // Plugged back: USB says attach before udev makes the node; the driver waits for it.
    bus.attach(usb);
    await new Promise((r) => setTimeout(r, 100));
    expect(device.state().status).toBe('disconnected');
    writeFileSync(node, '');
    await until(() => device.state().status === 'ready', 'ready again');
    const again = await take(device.frames()[Symbol.asyncIterator](), 2);
    expect(again.every((f) => isWholeJpeg(f.jpeg))).toBe(true);
    expect(states.filter((s) => s === 'disconnected')).toHaveLength(1);

    await device.close();
    expect(source.pid()).toBeUndefined();
    expect(device.state()).toEqual({ status: 'closed' });
  });

  it('shows a missing V4L2 camera as disconnected with its reason, with no ffmpeg left running', async () => {
    const source = new FfmpegCameraSource({
      kind: 'v4l2',
      device: '/dev/video98',
      width: 640,
      height: 480,
      fps: 30,
    });
    const device = new CameraDevice({
      id: 'camera-1',
      mode: 'hardware',
      source,
      devicePath: '/dev/video98',
      watchMs: 10,
    });
    devices.push(device);
    const states: DeviceState[] = [];
    device.onStateChange((s) => states.push(s));
    await device.open();
    expect(device.state()).toEqual({
      status: 'disconnected',
      reason: 'No camera at /dev/video98: plug the camera in',
    });
    await new Promise((r) => setTimeout(r, 100)); // ten looks
    expect(states.map((s) => s.status)).toEqual(['opening', 'disconnected']);
    expect(source.pid()).toBeUndefined();
  });

  it('reports a node that is not a V4L2 camera with the typed error ffmpeg gives, as an error state', async () => {
    const dir = tempDir('camera-node-');
    cleanups.push(() => dir.remove());
    const node = `${dir.dir}/video0`;
    writeFileSync(node, 'not a camera');
    const source = new FfmpegCameraSource({ kind: 'v4l2', device: node, width: 640, height: 480, fps: 30 });
    const device = new CameraDevice({
      id: 'camera-2',
      mode: 'hardware',
      source,
      devicePath: node,
      watchMs: 0,
    });
    devices.push(device);
    await device.open();
    expect(device.state()).toMatchObject({ status: 'error', code: 'CAMERA_FORMAT_UNSUPPORTED' });
    expect(source.pid()).toBeUndefined();
  });
});
