import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraDevice, type CameraDriverOptions } from '../../../drivers/camera/camera.ts';
import { CameraFormatError, CameraNotFoundError, FfmpegFailedError } from '../../../drivers/camera/errors.ts';
import { FrameFanout } from '../../../drivers/camera/frame-fanout.ts';
import type {
  CameraFrame,
  CameraSource,
  CameraSourceStats,
  CameraSourceStatus,
} from '../../../drivers/camera/port.ts';
import type { DeviceState } from '../../../drivers/device.ts';
import { CanceledError, DisconnectedError } from '../../../drivers/errors.ts';
import { SimulatedUsbBus } from '../../../simulators/hotplug/simulated-hotplug.ts';
import { makeJpeg } from '../../support/camera-frames.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A CameraSource test double: frames and failures on command, with the port's delivery semantics. */
class ScriptedSource implements CameraSource {
  readonly description = 'scripted';
  readonly fanout = new FrameFanout<CameraFrame>();
  readonly listeners = new Set<(status: CameraSourceStatus) => void>();
  current: CameraSourceStatus = { state: 'idle' };
  startError: Error | undefined;
  starts = 0;
  stops = 0;
  sequence = 0;

  constructor(readonly jpeg: Uint8Array) {}

  async open(): Promise<void> {}
  async start(): Promise<void> {
    this.starts++;
    await tick();
    if (this.startError) {
      this.fanout.fail(this.startError);
      this.set({ state: 'failed', error: this.startError });
      throw this.startError;
    }
    this.fanout.recover();
    this.emit();
    this.set({ state: 'streaming' });
  }
  async stop(): Promise<void> {
    this.stops++;
    this.set({ state: 'idle' });
  }
  async close(): Promise<void> {
    this.fanout.close();
    this.set({ state: 'closed' });
  }
  frames(signal?: AbortSignal): AsyncIterable<CameraFrame> {
    return this.fanout.subscribe(signal);
  }
  stats(): CameraSourceStats {
    return { frames: this.sequence, framesDropped: this.fanout.dropped, warnings: 0, restarts: 0 };
  }
  status(): CameraSourceStatus {
    return this.current;
  }
  onStatus(listener: (status: CameraSourceStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(status: CameraSourceStatus): void {
    this.current = status;
    for (const l of this.listeners) l(status);
  }
  emit(): CameraFrame {
    const frame = { jpeg: this.jpeg, timestampMs: this.sequence * 33, sequence: this.sequence++ };
    this.fanout.publish(frame);
    return frame;
  }
  fail(error: Error): void {
    this.fanout.fail(error);
    this.set({ state: 'failed', error });
  }
}

let jpeg: Uint8Array;
const devices: CameraDevice[] = [];

beforeAll(async () => {
  jpeg = await makeJpeg(7, { width: 64, height: 48 });
});

afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
});

function camera(source: CameraSource, options: Partial<CameraDriverOptions> = {}): CameraDevice {
  const device = new CameraDevice({ id: 'camera-0', mode: 'simulated', source, watchMs: 0, ...options });
  devices.push(device);
  return device;
}

function record(device: CameraDevice): DeviceState[] {
  const states: DeviceState[] = [];
  device.onStateChange((s) => states.push(s));
  return states;
}

describe('CameraDevice', () => {
  it('is ready with its picture size once the source streams, and hands frames to consumers', async () => {
    const source = new ScriptedSource(jpeg);
    const device = camera(source, { fps: 30 });
    expect(device.family).toBe('camera');
    const states = record(device);
    await device.open();
    await tick();
    expect(states[0]).toEqual({ status: 'opening' });
    expect(device.state()).toMatchObject({ status: 'ready', detail: { source: 'scripted', fps: 30 } });
    expect(device.latestFrame()?.sequence).toBe(0);
    const frames = device.frames()[Symbol.asyncIterator]();
    const next = frames.next();
    source.emit();
    expect((await next).value?.sequence).toBe(1);
    expect(device.latestFrame()?.sequence).toBe(1);
    // The size comes from the JPEG frame header, shown at the next detail refresh.
    await device.reconnect();
    expect(device.state()).toMatchObject({ status: 'ready', detail: { width: 64, height: 48 } });
  });

  it('gives a slow consumer the newest frame and counts the ones it missed', async () => {
    const source = new ScriptedSource(jpeg);
    const device = camera(source);
    await device.open();
    const frames = device.frames()[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) source.emit();
    await tick();
    const next = await frames.next();
    expect(next.value?.sequence).toBe(10);
    expect(device.stats().framesDropped).toBe(9);
  });

  it('is disconnected, not in error, when its device node is missing, and starts when it appears', async () => {
    const source = new ScriptedSource(jpeg);
    let present = false;
    const device = camera(source, {
      devicePath: '/dev/video0',
      nodeExists: async () => present,
      watchMs: 5,
    });
    const states = record(device);
    await device.open();
    expect(device.state()).toEqual({
      status: 'disconnected',
      reason: 'No camera at /dev/video0: plug the camera in',
    });
    await new Promise((r) => setTimeout(r, 40)); // several watch ticks
    expect(source.starts).toBe(0);
    expect(states.map((s) => s.status)).toEqual(['opening', 'disconnected']); // no event per look
    present = true;
    for (let i = 0; i < 100 && device.state().status !== 'ready'; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(device.state().status).toBe('ready');
    expect(states.map((s) => s.status)).toEqual(['opening', 'disconnected', 'ready']);
  });

  it('maps start failures to states: not found is disconnected, an unsupported format is an error with its code', async () => {
    const missing = new ScriptedSource(jpeg);
    missing.startError = new CameraNotFoundError('No camera at /dev/video0');
    const a = camera(missing);
    await a.open();
    expect(a.state()).toEqual({ status: 'disconnected', reason: 'No camera at /dev/video0' });

    const format = new ScriptedSource(jpeg);
    format.startError = new CameraFormatError('no MJPEG at 1920x1080');
    const b = camera(format, { devicePath: '/dev/video0', nodeExists: async () => true, watchMs: 5 });
    await b.open();
    expect(b.state()).toEqual({
      status: 'error',
      code: 'CAMERA_FORMAT_UNSUPPORTED',
      message: 'no MJPEG at 1920x1080',
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(format.starts).toBe(1); // an error is not retried in a loop
    format.startError = undefined;
    await b.reconnect();
    expect(b.state().status).toBe('ready');
  });

  it('tells consumers DisconnectedError when the source fails while streaming, and CanceledError on close', async () => {
    const source = new ScriptedSource(jpeg);
    const device = camera(source);
    await device.open();
    const frames = device.frames()[Symbol.asyncIterator]();
    const pending = frames.next();
    source.fail(new FfmpegFailedError('ffmpeg died 6 times within a minute'));
    await expect(pending).rejects.toBeInstanceOf(DisconnectedError);
    expect(device.state()).toMatchObject({ status: 'error', code: 'CAMERA_FFMPEG_FAILED' });
    expect(device.latestFrame()).toBeUndefined();

    await device.reconnect();
    expect(device.state().status).toBe('ready');
    const again = device.frames()[Symbol.asyncIterator]();
    const waiting = again.next();
    await device.close();
    await expect(waiting).rejects.toBeInstanceOf(CanceledError);
    expect(device.state()).toEqual({ status: 'closed' });
    await device.close(); // twice is fine
  });
});

describe('CameraDevice hot-plug', () => {
  const usb = { vendorId: 0x046d, productId: 0x082d };

  it('stops on a matching detach, and after an attach waits for the node before starting', async () => {
    const bus = new SimulatedUsbBus([usb]);
    const source = new ScriptedSource(jpeg);
    let present = true;
    let polls = 0;
    const slept: number[] = [];
    const device = camera(source, {
      devicePath: '/dev/video0',
      hotplug: bus,
      usb,
      nodeExists: async () => {
        polls++;
        return present;
      },
      sleep: async (ms) => {
        slept.push(ms);
        if (slept.length === 3) present = true; // udev made the node on the third poll
      },
      nodePollMs: 100,
    });
    await device.open();
    expect(device.state().status).toBe('ready');
    const frames = device.frames()[Symbol.asyncIterator]();
    const pending = expect(frames.next()).rejects.toBeInstanceOf(DisconnectedError);

    bus.attach({ vendorId: 0x1234, productId: 0x0001 }); // someone else's device: ignored
    await tick();
    expect(device.state().status).toBe('ready');

    present = false;
    bus.detach(usb);
    await tick();
    expect(device.state()).toEqual({
      status: 'disconnected',
      reason: 'The camera was unplugged (USB detach)',
    });
    await pending;
    expect(source.stops).toBe(1);

    polls = 0;
    bus.attach(usb);
    for (let i = 0; i < 50 && device.state().status !== 'ready'; i++) await tick();
    expect(device.state().status).toBe('ready');
    expect(slept).toEqual([100, 100, 100]);
    expect(polls).toBe(5); // 3 misses, the hit, and the connect's own look
    expect(source.starts).toBe(2);
  });

  it('stays disconnected with a reason when the node never appears after an attach (bounded wait)', async () => {
    const bus = new SimulatedUsbBus();
    const source = new ScriptedSource(jpeg);
    const slept: number[] = [];
    const device = camera(source, {
      devicePath: '/dev/video0',
      hotplug: bus,
      usb,
      nodeExists: async () => false,
      sleep: async (ms) => {
        slept.push(ms);
      },
      nodePollMs: 100,
      nodeWaitMs: 500,
    });
    await device.open();
    bus.attach(usb);
    for (let i = 0; i < 50 && slept.length < 5; i++) await tick();
    await tick();
    expect(slept).toHaveLength(5);
    expect(device.state()).toEqual({
      status: 'disconnected',
      reason: 'No camera at /dev/video0: plug the camera in',
    });
    expect(source.starts).toBe(0);
  });
});
