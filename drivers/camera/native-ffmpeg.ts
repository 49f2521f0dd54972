/**
 * CameraSource on an ffmpeg child process: the only file that spawns ffmpeg (STYLE.md, drivers).
 *
 * ffmpeg writes MJPEG to its stdout (`-f mjpeg pipe:1`) and JpegSplitter cuts it into frames; the
 * frames go to subscribers newest-only (FrameFanout), so ffmpeg is read as fast as it writes and a
 * slow consumer costs drops, never memory. Three inputs:
 * - `v4l2`: a UVC camera sending MJPEG, copied without re-encoding (`-c:v copy`).
 * - `lavfi`: an ffmpeg test graph (testsrc2), encoded to MJPEG: a camera for tests and CI.
 * - `pipe`: JPEG frames we write to ffmpeg's stdin (`-f mjpeg -i pipe:0 -c:v copy`), respecting its
 *   backpressure: how the simulated camera feeds this production path. ffmpeg's MJPEG parser emits a
 *   frame when the next one begins, so a piped frame comes out one frame later.
 *
 * Stopping: `q` on stdin (ffmpeg's own quit key; for the pipe input, the end of stdin), then SIGINT
 * after `stopGraceMs`, then SIGKILL after `killAfterMs` (ffmpeg exits 255 on SIGTERM, so that
 * signal is not used to tell a clean stop). When ffmpeg dies by itself while streaming it is started
 * again after a backoff, at most `maxRestartsPerMinute` times in any minute; then, or at once for an
 * error a restart cannot fix (no device, format not supported, permission), the source fails with a
 * typed error read from ffmpeg's stderr (kept bounded, its last `stderrLimitBytes`).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { CanceledError, throwIfAborted } from '../errors.ts';
import {
  CameraBusyError,
  type CameraError,
  CameraFormatError,
  CameraNoFramesError,
  CameraNotFoundError,
  CameraPermissionError,
  FfmpegFailedError,
  FfmpegMissingError,
} from './errors.ts';
import { FrameFanout } from './frame-fanout.ts';
import { DEFAULT_MAX_FRAME_BYTES, JpegSplitter } from './jpeg-splitter.ts';
import type { CameraFrame, CameraSource, CameraSourceStats, CameraSourceStatus } from './port.ts';

/** What ffmpeg reads. Sizes in pixels, rates in frames per second. */
export type FfmpegInput =
  | {
      readonly kind: 'v4l2';
      /** e.g. /dev/video0 */
      readonly device: string;
      readonly width: number;
      readonly height: number;
      readonly fps: number;
    }
  | {
      readonly kind: 'lavfi';
      /** e.g. testsrc2=size=640x480:rate=30 */
      readonly graph: string;
      /** Pace the graph at its own rate (`-re`), like a camera; default true. False: as fast as ffmpeg can. */
      readonly realtime?: boolean;
      /** MJPEG quality, 2 (best) .. 31; default 5. */
      readonly quality?: number;
    }
  | {
      readonly kind: 'pipe';
      /** Whole JPEG files, written to ffmpeg's stdin in order. Read only while the source runs. */
      readonly frames: AsyncIterable<Uint8Array>;
    };

export interface FfmpegCameraOptions {
  /** The ffmpeg executable; default `ffmpeg` from PATH. */
  readonly ffmpegPath?: string;
  /** Bound on one frame, bytes; default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** How long `start` waits for the first frame, ms; default 10000. */
  readonly firstFrameTimeoutMs?: number;
  /** How long a streaming ffmpeg may send nothing before it is killed and restarted, ms; default 5000 (0: never; the default for the pipe input). */
  readonly stallTimeoutMs?: number;
  /** After `q` (or the end of stdin), how long ffmpeg gets before SIGINT, ms; default 2000. */
  readonly stopGraceMs?: number;
  /** After SIGINT, how long ffmpeg gets before SIGKILL, ms; default 1000. */
  readonly killAfterMs?: number;
  /** Restarts allowed in any 60 s window before the source fails; default 5. */
  readonly maxRestartsPerMinute?: number;
  /** Wait before restart n (1-based; the last entry repeats), ms; default 250, 500, 1000, 2000, 4000. */
  readonly restartBackoffMs?: readonly number[];
  /** Bytes of ffmpeg's stderr kept (its end), default 16 KiB. */
  readonly stderrLimitBytes?: number;
  /** Monotonic clock for frame timestamps and the restart window, ms; default performance.now. */
  readonly now?: () => number;
}

/** The input stream as ffmpeg reported it: what the camera actually sends. */
export interface FfmpegStreamInfo {
  readonly width: number;
  readonly height: number;
  /** Frames per second, when ffmpeg says. */
  readonly fps?: number;
}

const DEFAULTS = {
  firstFrameTimeoutMs: 10_000,
  stallTimeoutMs: 5_000,
  stopGraceMs: 2_000,
  killAfterMs: 1_000,
  maxRestartsPerMinute: 5,
  restartBackoffMs: [250, 500, 1000, 2000, 4000],
  stderrLimitBytes: 16 * 1024,
} as const;

/** The restart window, ms. */
const MINUTE_MS = 60_000;

/**
 * ffmpeg's arguments for `input`: reads it and writes MJPEG to stdout.
 * @throws {RangeError} for a size, rate or quality out of range, or a device path that is not absolute.
 */
export function ffmpegArgs(input: FfmpegInput): string[] {
  const common = ['-hide_banner', '-nostats', '-loglevel', 'info'];
  const output = ['-f', 'mjpeg', '-flush_packets', '1', 'pipe:1'];
  switch (input.kind) {
    case 'v4l2': {
      const { device, width, height, fps } = input;
      if (!device.startsWith('/'))
        throw new RangeError(`v4l2 device must be an absolute path, got ${device}`);
      for (const [name, value, max] of [
        ['width', width, 8192],
        ['height', height, 8192],
        ['fps', fps, 240],
      ] as const)
        if (!Number.isInteger(value) || value < 1 || value > max)
          throw new RangeError(`v4l2 ${name} must be an integer 1..${max}, got ${value}`);
      return [
        ...common,
        '-f',
        'v4l2',
        '-input_format',
        'mjpeg',
        '-video_size',
        `${width}x${height}`,
        '-framerate',
        String(fps),
        '-i',
        device,
        '-c:v',
        'copy',
        ...output,
      ];
    }
    case 'lavfi': {
      const quality = input.quality ?? 5;
      if (!Number.isInteger(quality) || quality < 2 || quality > 31)
        throw new RangeError(`lavfi quality must be an integer 2..31, got ${quality}`);
      return [
        ...common,
        ...((input.realtime ?? true) ? ['-re'] : []),
        '-f',
        'lavfi',
        '-i',
        input.graph,
        '-c:v',
        'mjpeg',
        '-q:v',
        String(quality),
        ...output,
      ];
    }
    case 'pipe':
      return [...common, '-f', 'mjpeg', '-i', 'pipe:0', '-c:v', 'copy', ...output];
  }
}

/**
 * The typed error ffmpeg's stderr shows, or undefined when it names none we know. Reads the lines
 * libavdevice's v4l2 input and ffmpeg's option parser print (ffmpeg 5.1).
 */
export function classifyFfmpegStderr(stderr: string, devicePath?: string): CameraError | undefined {
  const fields = { devicePath };
  const line = (pattern: RegExp) =>
    stderr
      .split('\n')
      .find((l) => pattern.test(l))
      ?.trim();
  const noDevice = line(/No such file or directory|No such device/);
  if (noDevice && (devicePath === undefined || /video device|VIDIOC|\/dev\//.test(noDevice)))
    return new CameraNotFoundError(
      `No camera at ${devicePath ?? 'the configured path'}: ${noDevice}; plug the camera in or fix the path`,
      fields,
    );
  const busy = line(/Device or resource busy/);
  if (busy)
    return new CameraBusyError(
      `The camera ${devicePath ?? ''} is in use by another program: ${busy}; close it (fuser ${devicePath ?? '/dev/video*'} shows which)`,
      fields,
    );
  const denied = line(/Permission denied/);
  if (denied)
    return new CameraPermissionError(
      `No permission to open the camera ${devicePath ?? ''}: ${denied}; add the station's user to the video group`,
      fields,
    );
  const format = line(
    /Cannot find a proper format|changed the pixel format|Not a video capture device|Inappropriate ioctl for device|VIDIOC_S_FMT|VIDIOC_S_PARM|Invalid data found when processing input/,
  );
  if (format)
    return new CameraFormatError(
      `The camera ${devicePath ?? ''} does not give MJPEG at the configured size and rate: ${format}; list its formats with v4l2-ctl --list-formats-ext`,
      fields,
    );
  return undefined;
}

/** Reads the input stream's size and rate from ffmpeg's stream line (`Stream #0:0: Video: mjpeg ..., 640x480, 30 fps`). */
export function parseStreamInfo(line: string): FfmpegStreamInfo | undefined {
  const match = /Stream #0:0[^:]*: Video: .*?\b(\d{1,5})x(\d{1,5})\b/.exec(line);
  if (!match) return undefined;
  const fps = /(\d+(?:\.\d+)?) fps/.exec(line);
  const info = { width: Number(match[1]), height: Number(match[2]) };
  return fps ? { ...info, fps: Number(fps[1]) } : info;
}

/** Errors a restart cannot fix: the source fails at once. */
function isTerminal(error: CameraError | undefined): boolean {
  return (
    error instanceof CameraNotFoundError ||
    error instanceof CameraFormatError ||
    error instanceof CameraPermissionError ||
    error instanceof FfmpegMissingError
  );
}

type FfmpegChild = ChildProcessByStdio<Writable, Readable, Readable>;

interface Run {
  readonly child: FfmpegChild;
  readonly splitter: JpegSplitter;
  stderr: string;
  lastOutput: number;
  /** Set when we asked it to stop: its exit is not a failure. */
  stopping: boolean;
  spawnError: Error | undefined;
  readonly exited: Promise<void>;
  readonly streamLines: { info: FfmpegStreamInfo | undefined; partial: string };
}

interface Deferred {
  resolve(): void;
  reject(error: unknown): void;
}

export class FfmpegCameraSource implements CameraSource {
  readonly description: string;
  readonly #input: FfmpegInput;
  readonly #ffmpeg: string;
  readonly #now: () => number;
  readonly #o: Required<Omit<FfmpegCameraOptions, 'ffmpegPath' | 'now'>>;
  readonly #fanout = new FrameFanout<CameraFrame>();
  readonly #statusListeners = new Set<(status: CameraSourceStatus) => void>();
  #status: CameraSourceStatus = { state: 'idle' };
  #run: Run | undefined;
  #sequence = 0;
  #warnings = 0;
  #restarts = 0;
  #restartTimes: number[] = [];
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #starting: Promise<void> | undefined;
  #firstFrame: Deferred | undefined;
  /** Running means: the user asked to start and has not asked to stop. */
  #wanted = false;
  #closed = false;
  #pipeIterator: AsyncIterator<Uint8Array> | undefined;
  #pumping = false;
  #childChanged: (() => void) | undefined;
  #info: FfmpegStreamInfo | undefined;

  constructor(input: FfmpegInput, options: FfmpegCameraOptions = {}) {
    ffmpegArgs(input); // validates now, not at the first start
    this.#input = input;
    this.description = input.kind === 'v4l2' ? input.device : input.kind;
    this.#ffmpeg = options.ffmpegPath ?? 'ffmpeg';
    this.#now = options.now ?? (() => performance.now());
    this.#o = {
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      firstFrameTimeoutMs: options.firstFrameTimeoutMs ?? DEFAULTS.firstFrameTimeoutMs,
      stallTimeoutMs: options.stallTimeoutMs ?? (input.kind === 'pipe' ? 0 : DEFAULTS.stallTimeoutMs),
      stopGraceMs: options.stopGraceMs ?? DEFAULTS.stopGraceMs,
      killAfterMs: options.killAfterMs ?? DEFAULTS.killAfterMs,
      maxRestartsPerMinute: options.maxRestartsPerMinute ?? DEFAULTS.maxRestartsPerMinute,
      restartBackoffMs: options.restartBackoffMs ?? DEFAULTS.restartBackoffMs,
      stderrLimitBytes: options.stderrLimitBytes ?? DEFAULTS.stderrLimitBytes,
    };
  }

  /** The running ffmpeg's process id (for tests and diagnostics), undefined when none runs. */
  pid(): number | undefined {
    return this.#run?.child.pid;
  }

  /** The input stream's size and rate as ffmpeg reported them at the last start. */
  streamInfo(): FfmpegStreamInfo | undefined {
    return this.#info;
  }

  /** The end of the current (or last) ffmpeg's stderr, bounded by `stderrLimitBytes`. */
  stderrTail(): string {
    return this.#run?.stderr ?? this.#lastStderr;
  }
  #lastStderr = '';

  status(): CameraSourceStatus {
    return this.#status;
  }

  onStatus(listener: (status: CameraSourceStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => {
      this.#statusListeners.delete(listener);
    };
  }

  stats(): CameraSourceStats {
    return {
      frames: this.#sequence,
      framesDropped: this.#fanout.dropped,
      warnings: this.#warnings,
      restarts: this.#restarts,
    };
  }

  frames(signal?: AbortSignal): AsyncIterable<CameraFrame> {
    return this.#fanout.subscribe(signal);
  }

  /**
   * Checks that ffmpeg runs and, for a V4L2 camera, that its device node exists and may be opened.
   * @throws {FfmpegMissingError} {CameraNotFoundError} {CameraPermissionError} {CanceledError}
   */
  async open(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.#closed) throw new CanceledError('The camera source is closed');
    await new Promise<void>((resolve, reject) => {
      const probe = spawn(this.#ffmpeg, ['-hide_banner', '-version'], { stdio: 'ignore' });
      probe.once('error', (cause) =>
        reject(
          (cause as NodeJS.ErrnoException).code === 'ENOENT'
            ? new FfmpegMissingError({ cause })
            : new FfmpegFailedError(`ffmpeg could not be run: ${cause.message}`, { cause }),
        ),
      );
      probe.once('close', () => resolve());
    });
    if (this.#input.kind !== 'v4l2') return;
    const device = this.#input.device;
    try {
      await access(device, constants.R_OK | constants.W_OK);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM')
        throw new CameraPermissionError(
          `No permission to open the camera ${device}: add the station's user to the video group`,
          { devicePath: device, cause },
        );
      throw new CameraNotFoundError(`No camera at ${device}: plug the camera in or fix the path`, {
        devicePath: device,
        cause,
      });
    }
  }

  /**
   * Starts ffmpeg and resolves on the first frame.
   * @throws {CameraNotFoundError} {CameraBusyError} {CameraFormatError} {CameraPermissionError}
   *   {FfmpegMissingError} {FfmpegFailedError} {CameraNoFramesError} {CanceledError}
   */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new CanceledError('The camera source is closed'));
    if (signal?.aborted) return Promise.reject(new CanceledError('The start was canceled'));
    if (this.#status.state === 'streaming' || this.#status.state === 'restarting') return Promise.resolve();
    this.#starting ??= this.#doStart(signal).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #doStart(signal: AbortSignal | undefined): Promise<void> {
    this.#wanted = true;
    this.#restartTimes = [];
    this.#setStatus({ state: 'starting' });
    const first = new Promise<void>((resolve, reject) => {
      this.#firstFrame = { resolve, reject };
    });
    const timer = setTimeout(
      () =>
        this.#failStart(
          new CameraNoFramesError(
            this.#o.firstFrameTimeoutMs,
            `No frame from ${this.description} within ${this.#o.firstFrameTimeoutMs} ms of starting`,
            { devicePath: this.#devicePath() },
          ),
        ),
      this.#o.firstFrameTimeoutMs,
    );
    const onAbort = () =>
      this.#failStart(new CanceledError('The start was canceled', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.#spawn();
      await first;
      this.#fanout.recover();
      this.#setStatus({ state: 'streaming' });
      this.#startWatchdog();
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#firstFrame = undefined;
    }
  }

  /** The start failed: stop what runs, tell subscribers, reject the start. */
  #failStart(error: Error): void {
    const pending = this.#firstFrame;
    if (!pending) return;
    this.#firstFrame = undefined;
    this.#wanted = false;
    const run = this.#run;
    if (run) void this.#terminate(run);
    if (!(error instanceof CanceledError)) {
      this.#fanout.fail(error);
      this.#setStatus({ state: 'failed', error });
    } else this.#setStatus({ state: 'idle' });
    pending.reject(error);
  }

  /** Stops ffmpeg cleanly and waits for it to exit. Frame subscriptions stay open. */
  async stop(): Promise<void> {
    this.#wanted = false;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#stopWatchdog();
    this.#firstFrame?.reject(new CanceledError('The camera was stopped while starting'));
    this.#firstFrame = undefined;
    const run = this.#run;
    if (run) await this.#terminate(run);
    if (!this.#closed && this.#status.state !== 'failed') this.#setStatus({ state: 'idle' });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.stop();
    this.#closed = true;
    this.#fanout.close('The camera source was closed');
    this.#childChanged?.();
    // Not awaited: a frame source waiting for its next frame (a paused simulator) finishes its
    // return() only when that wait ends, and close() must not hang on it.
    this.#pipeIterator?.return?.().catch(() => undefined);
    this.#setStatus({ state: 'closed' });
  }

  #devicePath(): string | undefined {
    return this.#input.kind === 'v4l2' ? this.#input.device : undefined;
  }

  #setStatus(next: CameraSourceStatus): void {
    if (this.#status.state === 'closed') return;
    const same =
      next.state === this.#status.state &&
      (next.state !== 'restarting' ||
        (this.#status.state === 'restarting' && this.#status.attempt === next.attempt));
    if (same && next.state !== 'failed') return;
    this.#status = next;
    for (const listener of [...this.#statusListeners]) listener(next);
  }

  #spawn(): void {
    const child = spawn(this.#ffmpeg, ffmpegArgs(this.#input), { stdio: ['pipe', 'pipe', 'pipe'] });
    let onExit: () => void = () => undefined;
    const run: Run = {
      child,
      splitter: new JpegSplitter(this.#o.maxFrameBytes),
      stderr: '',
      lastOutput: this.#now(),
      stopping: false,
      spawnError: undefined,
      exited: new Promise<void>((resolve) => {
        onExit = resolve;
      }),
      streamLines: { info: undefined, partial: '' },
    };
    this.#run = run;
    child.stdout.on('data', (chunk: Buffer) => this.#onOutput(run, chunk));
    child.stderr.on('data', (chunk: Buffer) => this.#onStderr(run, chunk));
    // A write to a stdin ffmpeg closed (it died) must not become an uncaught error.
    child.stdin.on('error', () => undefined);
    let ended = false;
    const finish = (code: number | null, signalName: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      onExit();
      this.#onExit(run, code, signalName);
    };
    child.once('error', (cause) => {
      run.spawnError = cause;
      // A spawn failure emits no 'close' of its own.
      if (child.pid === undefined) finish(null, null);
    });
    child.once('close', finish);
    this.#childChanged?.();
    if (this.#input.kind === 'pipe') this.#startPump(this.#input.frames);
  }

  #onOutput(run: Run, chunk: Uint8Array): void {
    run.lastOutput = this.#now();
    const result = run.splitter.push(chunk);
    this.#warnings += result.warnings.length;
    for (const jpeg of result.frames) this.#publish(jpeg);
  }

  #publish(jpeg: Uint8Array): void {
    const frame: CameraFrame = { jpeg, timestampMs: this.#now(), sequence: this.#sequence++ };
    this.#fanout.publish(frame);
    this.#firstFrame?.resolve();
    if (this.#status.state === 'restarting') {
      this.#fanout.recover();
      this.#setStatus({ state: 'streaming' });
    }
  }

  #onStderr(run: Run, chunk: Buffer): void {
    const text = chunk.toString('utf8');
    run.stderr = (run.stderr + text).slice(-this.#o.stderrLimitBytes);
    const lines = run.streamLines;
    if (lines.info) return;
    // Only the header part matters for the stream line; it is short, so this stays bounded.
    const all = (lines.partial + text).slice(-4096);
    const parts = all.split('\n');
    lines.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!/^\s*Stream #0:0/.test(line) || !/Input|Video/.test(line)) continue;
      const info = parseStreamInfo(line);
      if (info) {
        lines.info = info;
        this.#info = info;
        break;
      }
    }
  }

  #onExit(run: Run, code: number | null, signalName: NodeJS.Signals | null): void {
    if (this.#run === run) {
      this.#run = undefined;
      this.#lastStderr = run.stderr;
    }
    this.#warnings += run.splitter.end().warnings.length;
    if (run.stopping || this.#closed) return;
    const classified = run.spawnError
      ? (run.spawnError as NodeJS.ErrnoException).code === 'ENOENT'
        ? new FfmpegMissingError({ cause: run.spawnError })
        : new FfmpegFailedError(`ffmpeg could not be started: ${run.spawnError.message}`, {
            cause: run.spawnError,
          })
      : classifyFfmpegStderr(run.stderr, this.#devicePath());
    const tail = run.stderr.trim().split('\n').slice(-3).join(' | ');
    const failure =
      classified ??
      new FfmpegFailedError(
        `ffmpeg reading ${this.description} exited (${signalName ? `signal ${signalName}` : `code ${code}`}): ${tail}`,
        { devicePath: this.#devicePath(), exitCode: code, signal: signalName, stderrTail: run.stderr },
      );
    if (this.#firstFrame && this.#status.state === 'starting') {
      this.#failStart(failure);
      return;
    }
    if (!this.#wanted) return;
    if (this.#input.kind === 'pipe' && code === 0 && this.#pipeEnded) {
      // Our own frames ran out: the stream ended, nothing died.
      this.#wanted = false;
      this.#setStatus({ state: 'idle' });
      return;
    }
    this.#restartAfter(failure, isTerminal(classified));
  }

  #pipeEnded = false;

  #restartAfter(failure: Error, terminal: boolean): void {
    const now = this.#now();
    this.#restartTimes = this.#restartTimes.filter((t) => now - t < MINUTE_MS);
    if (terminal || this.#restartTimes.length >= this.#o.maxRestartsPerMinute) {
      const error = terminal
        ? failure
        : new FfmpegFailedError(
            `ffmpeg reading ${this.description} died ${this.#restartTimes.length + 1} times within a minute; giving up: ${failure.message}`,
            { devicePath: this.#devicePath(), cause: failure },
          );
      this.#wanted = false;
      this.#stopWatchdog();
      this.#fanout.fail(error);
      this.#setStatus({ state: 'failed', error });
      return;
    }
    this.#restartTimes.push(now);
    const attempt = this.#restartTimes.length;
    const backoff = this.#o.restartBackoffMs;
    const delay = backoff[Math.min(attempt, backoff.length) - 1] ?? 0;
    this.#setStatus({ state: 'restarting', attempt, reason: failure.message });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#wanted || this.#closed) return;
      this.#restarts++;
      this.#spawn();
    }, delay);
  }

  #startWatchdog(): void {
    const stallMs = this.#o.stallTimeoutMs;
    if (stallMs <= 0 || this.#watchdog) return;
    this.#watchdog = setInterval(
      () => {
        const run = this.#run;
        // A restarted ffmpeg that hangs before its first frame is caught too (`restarting`).
        const watched = this.#status.state === 'streaming' || this.#status.state === 'restarting';
        if (!run || run.stopping || !watched) return;
        if (this.#now() - run.lastOutput > stallMs) {
          run.stderr += `\n[camera driver] no output for ${stallMs} ms: killed to restart\n`;
          run.child.kill('SIGKILL');
        }
      },
      Math.max(50, Math.floor(stallMs / 4)),
    );
    this.#watchdog.unref();
  }

  #stopWatchdog(): void {
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** Asks ffmpeg to quit, then interrupts, then kills it; resolves when it has exited. */
  async #terminate(run: Run): Promise<void> {
    run.stopping = true;
    const { child } = run;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      if (this.#input.kind === 'pipe') child.stdin.end();
      else child.stdin.end('q');
      const exited = await Promise.race([run.exited.then(() => true), delay(this.#o.stopGraceMs, false)]);
      if (!exited) {
        child.kill('SIGINT');
        const interrupted = await Promise.race([
          run.exited.then(() => true),
          delay(this.#o.killAfterMs, false),
        ]);
        if (!interrupted) child.kill('SIGKILL');
      }
    }
    await run.exited;
    this.#childChanged?.();
  }

  /** Feeds the pipe input's frames to whichever ffmpeg runs, one write at a time, honouring its backpressure. */
  #startPump(frames: AsyncIterable<Uint8Array>): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#pipeIterator ??= frames[Symbol.asyncIterator]();
    const iterator = this.#pipeIterator;
    void (async () => {
      try {
        for (;;) {
          const run = await this.#runningChild();
          if (!run) return;
          const next = await iterator.next();
          if (next.done) {
            this.#pipeEnded = true;
            this.#run?.child.stdin.end();
            return;
          }
          const current = this.#run;
          if (!current || current.stopping || !current.child.stdin.writable) continue; // died meanwhile: frame lost
          if (!current.child.stdin.write(next.value)) await drainOrExit(current);
        }
      } catch (error) {
        // The frame source itself failed: nothing more can be fed; ffmpeg ends its stream.
        this.#run?.child.stdin.end();
        this.#lastStderr += `\n[camera driver] the piped frame source failed: ${String(error)}\n`;
      } finally {
        this.#pumping = false;
      }
    })();
  }

  /** The running, not stopping, ffmpeg; waits for a restart; undefined once the source is stopped or closed. */
  async #runningChild(): Promise<Run | undefined> {
    for (;;) {
      if (this.#closed || !this.#wanted) return undefined;
      const run = this.#run;
      if (run && !run.stopping && run.child.stdin.writable) return run;
      await new Promise<void>((resolve) => {
        this.#childChanged = () => {
          this.#childChanged = undefined;
          resolve();
        };
      });
    }
  }
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

function drainOrExit(run: Run): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      run.child.stdin.off('drain', done);
      resolve();
    };
    run.child.stdin.once('drain', done);
    void run.exited.then(done);
  });
}
