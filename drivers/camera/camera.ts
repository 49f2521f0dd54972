/**
 * The camera as a station device: owns a CameraSource (native-ffmpeg.ts, or the simulated camera),
 * reports its state for /health, keeps the latest frame and hands frames to any number of consumers
 * newest-only (port.ts, backpressure).
 *
 * A camera that is not there is a state, not an exception loop: `disconnected` with the reason. It is
 * looked for again by a cheap check that its device node exists (every `watchMs`, no state event per
 * look), and at once when the hot-plug port reports a matching USB attach. After an attach the
 * /dev/videoN node appears only once udev has processed the device (reference/drivers.md §5), so the
 * driver polls for it (`nodePollMs`, at most `nodeWaitMs`) before starting the source. A matching
 * detach stops the source at once. A source that fails for good (ffmpeg gave up, format not
 * supported) is `error` with the camera's code (e.g. CAMERA_FORMAT_UNSUPPORTED); it is retried on the
 * next hot-plug attach or `reconnect()`, not in a loop.
 */
import { stat } from 'node:fs/promises';
import { type Device, type DeviceMode, type DeviceState, DeviceStateHolder } from '../device.ts';
import { DisconnectedError, DriverError } from '../errors.ts';
import type { HotplugEvent, HotplugPort } from '../hotplug/port.ts';
import { CameraError } from './errors.ts';
import { FrameFanout } from './frame-fanout.ts';
import { jpegDimensions } from './jpeg-splitter.ts';
import type { CameraFrame, CameraSource, CameraSourceStatus } from './port.ts';

export interface CameraDriverOptions {
  readonly id: string;
  readonly mode: DeviceMode;
  readonly source: CameraSource;
  /**
   * The device node the source opens (e.g. /dev/video0), for a V4L2 camera: watched while the camera
   * is away and waited for after a hot-plug attach. Absent for sources without one (lavfi, pipe).
   */
  readonly devicePath?: string;
  /** The configured frame rate, frames per second, shown in the ready detail. */
  readonly fps?: number;
  /** USB hot-plug events; only those matching `usb` (when given) concern this camera. */
  readonly hotplug?: HotplugPort;
  readonly usb?: { readonly vendorId?: number; readonly productId?: number };
  /** Whether a device node exists; default fs.stat. */
  readonly nodeExists?: (path: string) => Promise<boolean>;
  /** Waits `ms`; default setTimeout. Injected so tests drive the node polling without real time. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often the node is polled after an attach, ms; default 100. */
  readonly nodePollMs?: number;
  /** How long an attach waits for the node, ms; default 5000. */
  readonly nodeWaitMs?: number;
  /** How often a disconnected camera's node is looked for, ms; default 2000 (0: only on hot-plug). */
  readonly watchMs?: number;
  /** How often the ready detail's counters are refreshed, at most, ms; default 1000. */
  readonly detailIntervalMs?: number;
}

/** Live counters, for diagnostics and the benchmark. */
export interface CameraDriverStats {
  readonly frames: number;
  /** Frames dropped by the source and by this driver's consumers together. */
  readonly framesDropped: number;
  readonly warnings: number;
  readonly restarts: number;
}

async function defaultNodeExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The device state a source failure puts the camera in: a camera that is not there is disconnected. */
export function cameraStateAfter(error: unknown): DeviceState {
  if (error instanceof DriverError && error.code === 'DEVICE_NOT_FOUND')
    return { status: 'disconnected', reason: error.message };
  if (error instanceof DisconnectedError) return { status: 'disconnected', reason: error.message };
  if (error instanceof CameraError)
    return { status: 'error', code: error.cameraCode, message: error.message };
  if (error instanceof DriverError) return { status: 'error', code: error.code, message: error.message };
  return { status: 'error', code: 'DEVICE_UNAVAILABLE', message: String(error) };
}

export class CameraDevice implements Device {
  readonly id: string;
  readonly family = 'camera' as const;
  readonly mode: DeviceMode;
  readonly #o: CameraDriverOptions;
  readonly #source: CameraSource;
  readonly #state = new DeviceStateHolder({ status: 'closed' });
  readonly #fanout = new FrameFanout<CameraFrame>();
  readonly #nodeExists: (path: string) => Promise<boolean>;
  readonly #sleep: (ms: number) => Promise<void>;
  #closed = true;
  #connecting: Promise<void> | undefined;
  #unlistenHotplug: (() => void) | undefined;
  #unlistenSource: (() => void) | undefined;
  #watch: ReturnType<typeof setInterval> | undefined;
  #detailTimer: ReturnType<typeof setInterval> | undefined;
  #latest: CameraFrame | undefined;
  #size: { width: number; height: number } | undefined;
  #pumping = false;
  /** Bumped by every detach and close: a connect that started before one does not make the camera ready. */
  #generation = 0;

  constructor(options: CameraDriverOptions) {
    this.id = options.id;
    this.mode = options.mode;
    this.#o = options;
    this.#source = options.source;
    this.#nodeExists = options.nodeExists ?? defaultNodeExists;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  state(): DeviceState {
    return this.#state.get();
  }

  onStateChange(listener: (state: DeviceState) => void): () => void {
    return this.#state.subscribe(listener);
  }

  /** The newest frame while the camera is ready; undefined before the first frame or when not ready. */
  latestFrame(): CameraFrame | undefined {
    return this.#state.get().status === 'ready' ? this.#latest : undefined;
  }

  /**
   * The frames from now on, newest-only (a slow consumer sees gaps in `sequence`, never a backlog).
   * The subscription lasts across the source's own restarts. Its `next()` rejects with
   * DisconnectedError when the camera goes away or fails (subscribe again once it is ready), and with
   * CanceledError when `signal` fires or the camera is closed.
   */
  frames(signal?: AbortSignal): AsyncIterable<CameraFrame> {
    return this.#fanout.subscribe(signal);
  }

  stats(): CameraDriverStats {
    const s = this.#source.stats();
    return {
      frames: s.frames,
      framesDropped: s.framesDropped + this.#fanout.dropped,
      warnings: s.warnings,
      restarts: s.restarts,
    };
  }

  /** Starts the camera; a camera that is missing or fails ends `disconnected` or `error` and this resolves. */
  async open(): Promise<void> {
    if (!this.#closed) return this.#connecting;
    this.#closed = false;
    this.#state.set({ status: 'opening' });
    this.#unlistenSource = this.#source.onStatus((status) => this.#onSourceStatus(status));
    if (this.#o.hotplug && !this.#unlistenHotplug)
      this.#unlistenHotplug = this.#o.hotplug.listen((event) => this.#onHotplug(event));
    const watchMs = this.#o.watchMs ?? 2000;
    if (watchMs > 0 && this.#o.devicePath !== undefined) {
      this.#watch = setInterval(() => void this.#watchTick(), watchMs);
      this.#watch.unref();
    }
    this.#detailTimer = setInterval(() => this.#refreshDetail(), this.#o.detailIntervalMs ?? 1000);
    this.#detailTimer.unref();
    await this.#connect();
  }

  /** Tries again now: after an `error` (e.g. the busy camera was freed). Never rejects. */
  async reconnect(): Promise<void> {
    if (this.#closed) return;
    await this.#connect();
  }

  async close(): Promise<void> {
    if (this.#closed && this.#state.get().status === 'closed') return;
    this.#closed = true;
    this.#generation++;
    this.#unlistenHotplug?.();
    this.#unlistenHotplug = undefined;
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
    if (this.#detailTimer) clearInterval(this.#detailTimer);
    this.#detailTimer = undefined;
    this.#fanout.close(`Camera ${this.id} was closed`);
    await this.#source.close().catch(() => undefined);
    this.#unlistenSource?.();
    this.#unlistenSource = undefined;
    this.#latest = undefined;
    this.#state.set({ status: 'closed' });
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#doConnect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #doConnect(): Promise<void> {
    const generation = this.#generation;
    const path = this.#o.devicePath;
    if (path !== undefined && !(await this.#nodeExists(path))) {
      this.#lose(`No camera at ${path}: plug the camera in`);
      return;
    }
    // A camera coming back from `disconnected` stays so until it works: no opening/disconnected flapping.
    if (this.#state.get().status !== 'disconnected') this.#state.set({ status: 'opening' });
    try {
      await this.#source.open();
      // Subscribed before the start, so the first frame (the one that proves the start) is kept too.
      this.#pump();
      await this.#source.start();
    } catch (error) {
      if (this.#closed || generation !== this.#generation) return;
      await this.#source.stop().catch(() => undefined);
      this.#setFailed(error);
      return;
    }
    if (this.#closed) return;
    if (generation !== this.#generation) {
      // Detached while starting: the camera is gone, whatever the source thinks.
      await this.#source.stop().catch(() => undefined);
      return;
    }
    this.#fanout.recover();
    this.#pump();
    this.#publishReady();
  }

  /** Moves the camera's frames into our fanout and keeps the newest. One loop per source subscription. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    const frames = this.#source.frames()[Symbol.asyncIterator]();
    void (async () => {
      try {
        for (;;) {
          const next = await frames.next();
          if (next.done) return;
          const frame = next.value;
          if (!this.#size) this.#size = jpegDimensions(frame.jpeg);
          this.#latest = frame;
          if (this.#state.get().status === 'ready') this.#fanout.publish(frame);
        }
      } catch {
        // The source failed or closed; its status listener has told us why.
      } finally {
        this.#pumping = false;
      }
    })();
  }

  #onSourceStatus(status: CameraSourceStatus): void {
    if (this.#closed) return;
    if (status.state === 'failed' && this.#state.get().status === 'ready') this.#setFailed(status.error);
    else if (status.state === 'streaming' && this.#state.get().status === 'ready') this.#publishReady();
  }

  #setFailed(error: unknown): void {
    const next = cameraStateAfter(error);
    this.#latest = undefined;
    if (next.status === 'disconnected') {
      this.#lose(next.reason);
      return;
    }
    const message = next.status === 'error' ? next.message : String(error);
    this.#fanout.fail(
      new DisconnectedError(`Camera ${this.id} failed: ${message}`, {
        devicePath: this.#o.devicePath,
        cause: error,
      }),
    );
    this.#state.set(next);
  }

  /** The camera is not there: `disconnected` once (the first reason stays), consumers told. */
  #lose(reason: string): void {
    if (this.#closed) return;
    this.#latest = undefined;
    this.#fanout.fail(
      new DisconnectedError(`Camera ${this.id}: ${reason}`, { devicePath: this.#o.devicePath }),
    );
    if (this.#state.get().status !== 'disconnected') this.#state.set({ status: 'disconnected', reason });
  }

  #hotplugMatches(event: HotplugEvent): boolean {
    const usb = this.#o.usb;
    if (!usb || (usb.vendorId === undefined && usb.productId === undefined)) return true;
    return (
      (usb.vendorId === undefined || event.device.vendorId === usb.vendorId) &&
      (usb.productId === undefined || event.device.productId === usb.productId)
    );
  }

  #onHotplug(event: HotplugEvent): void {
    if (this.#closed || !this.#hotplugMatches(event)) return;
    if (event.type === 'detach') {
      // Without USB ids any detach may be ours: only a vanished node proves it.
      if (this.#o.usb === undefined && this.#o.devicePath !== undefined) {
        void this.#nodeExists(this.#o.devicePath).then((exists) => {
          if (!exists) void this.#detach();
        });
        return;
      }
      void this.#detach();
      return;
    }
    if (this.#state.get().status === 'ready') return;
    void this.#afterAttach();
  }

  async #detach(): Promise<void> {
    if (this.#closed || this.#state.get().status === 'disconnected') return;
    this.#generation++;
    this.#lose('The camera was unplugged (USB detach)');
    await this.#source.stop().catch(() => undefined);
  }

  /** After an attach: wait (bounded) for udev to create the node, then start. */
  async #afterAttach(): Promise<void> {
    const path = this.#o.devicePath;
    if (path !== undefined) {
      const pollMs = this.#o.nodePollMs ?? 100;
      const waitMs = this.#o.nodeWaitMs ?? 5000;
      let waited = 0;
      while (!(await this.#nodeExists(path))) {
        if (this.#closed) return;
        if (waited >= waitMs) {
          this.#lose(`A camera was plugged in but ${path} did not appear within ${waitMs} ms`);
          return;
        }
        await this.#sleep(pollMs);
        waited += pollMs;
      }
    }
    if (this.#closed || this.#state.get().status === 'ready') return;
    await this.#connect();
  }

  async #watchTick(): Promise<void> {
    if (this.#closed || this.#connecting || this.#state.get().status !== 'disconnected') return;
    const path = this.#o.devicePath;
    if (path !== undefined && (await this.#nodeExists(path))) await this.#connect();
  }

  #detail(): Record<string, string | number | boolean> {
    const s = this.stats();
    return {
      source: this.#source.description,
      ...(this.#size ? { width: this.#size.width, height: this.#size.height } : {}),
      ...(this.#o.fps !== undefined ? { fps: this.#o.fps } : {}),
      framesDropped: s.framesDropped,
      warnings: s.warnings,
      restarts: s.restarts,
    };
  }

  #publishReady(): void {
    if (this.#closed) return;
    this.#state.set({ status: 'ready', detail: this.#detail() });
  }

  /** Counters change every frame; the state shows them at most once per interval, and only when changed. */
  #refreshDetail(): void {
    if (this.#state.get().status === 'ready') this.#publishReady();
  }
}
