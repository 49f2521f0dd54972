/**
 * The ffmpeg camera source on the production path: real ffmpeg (apt-get install ffmpeg), reading
 * its lavfi test source or JPEG frames we pipe in, so the splitter, the newest-only delivery, the
 * restart and the stop are the real ones.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraNotFoundError, FfmpegFailedError, FfmpegMissingError } from '../../drivers/camera/errors.ts';
import {
  type FfmpegCameraOptions,
  FfmpegCameraSource,
  type FfmpegInput,
} from '../../drivers/camera/native-ffmpeg.ts';
import type { CameraFrame, CameraSourceStatus } from '../../drivers/camera/port.ts';
import { CanceledError } from '../../drivers/errors.ts';
import { isWholeJpeg, jpegSize, makeJpegs } from '../support/camera-frames.ts';

const sources: FfmpegCameraSource[] = [];

beforeAll(() => {
  if (spawnSync('ffmpeg', ['-version']).error)
    throw new Error('ffmpeg is not installed: apt-get install -y --no-install-recommends ffmpeg');
});

afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
});

function source(input: FfmpegInput, options: FfmpegCameraOptions = {}): FfmpegCameraSource {
  const s = new FfmpegCameraSource(input, options);
  sources.push(s);
  return s;
}

function equal(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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

async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const testsrc = (size: string, realtime = true): FfmpegInput => ({
  kind: 'lavfi',
  graph: `testsrc2=size=${size}:rate=30`,
  realtime,
});

describe('FfmpegCameraSource reading lavfi testsrc2', () => {
  it('delivers whole, decodable JPEG frames in sequence, and a stop leaves no ffmpeg behind', async () => {
    const camera = source(testsrc('640x480'));
    await camera.open();
    const frames = camera.frames()[Symbol.asyncIterator]();
    await camera.start();
    expect(camera.status()).toEqual({ state: 'streaming' });
    const pid = camera.pid();
    expect(pid).toBeTypeOf('number');
    const got = await take(frames, 8);
    for (const frame of got) {
      expect(isWholeJpeg(frame.jpeg)).toBe(true);
      expect(await jpegSize(frame.jpeg)).toEqual({ width: 640, height: 480 });
    }
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.sequence).toBeGreaterThan(got[i - 1]!.sequence);
      expect(got[i]!.timestampMs).toBeGreaterThanOrEqual(got[i - 1]!.timestampMs);
    }
    expect(camera.streamInfo()).toMatchObject({ width: 640, height: 480 });
    await camera.stop();
    expect(camera.pid()).toBeUndefined();
    expect(alive(pid!)).toBe(false);
    expect(camera.status()).toEqual({ state: 'idle' });
    expect(camera.stats().warnings).toBe(0);
    // Stopped, the subscription is still there: a new start feeds it again.
    await camera.start();
    const after = await take(frames, 2);
    expect(after[0]!.sequence).toBeGreaterThan(got.at(-1)!.sequence);
  });

  it('drops old frames for a consumer that stalls, holding one frame, not a queue', async () => {
    // Not paced: ffmpeg makes frames as fast as it can, far faster than this consumer takes them.
    const camera = source(testsrc('320x240', false));
    const frames = camera.frames()[Symbol.asyncIterator]();
    await camera.start();
    const first = (await take(frames, 1))[0]!;
    await until(() => camera.stats().frames > first.sequence + 200, '200 more frames');
    const producedBefore = camera.stats().frames;
    const next = (await take(frames, 1))[0]!;
    // The frame waiting for us is the newest one, not the one after `first`.
    expect(next.sequence).toBeGreaterThanOrEqual(producedBefore - 1);
    expect(camera.stats().framesDropped).toBeGreaterThanOrEqual(199);
    expect(isWholeJpeg(next.jpeg)).toBe(true);
  });

  it('restarts ffmpeg killed with SIGKILL mid-stream, and the frames continue', async () => {
    const camera = source(testsrc('320x240'), { restartBackoffMs: [50] });
    const statuses: CameraSourceStatus['state'][] = [];
    camera.onStatus((s) => statuses.push(s.state));
    const frames = camera.frames()[Symbol.asyncIterator]();
    await camera.start();
    await take(frames, 3);
    const pid = camera.pid()!;
    process.kill(pid, 'SIGKILL');
    await until(() => camera.stats().restarts === 1, 'the restart');
    const after = await take(frames, 5);
    expect(after.every((f) => isWholeJpeg(f.jpeg))).toBe(true);
    expect(camera.pid()).not.toBe(pid);
    expect(statuses).toEqual(['starting', 'streaming', 'restarting', 'streaming']);
    expect(camera.status()).toEqual({ state: 'streaming' });
  });

  it('gives up with a typed error when ffmpeg keeps dying, and the subscriber hears it', async () => {
    const camera = source(testsrc('160x120'), { restartBackoffMs: [20], maxRestartsPerMinute: 1 });
    const frames = camera.frames()[Symbol.asyncIterator]();
    await camera.start();
    await take(frames, 1);
    process.kill(camera.pid()!, 'SIGKILL');
    await until(() => camera.stats().restarts === 1 && camera.status().state === 'streaming', 'the restart');
    process.kill(camera.pid()!, 'SIGKILL');
    await until(() => camera.status().state === 'failed', 'the failure');
    const status = camera.status();
    expect(status.state === 'failed' && status.error).toBeInstanceOf(FfmpegFailedError);
    await expect(take(frames, 10)).rejects.toBeInstanceOf(FfmpegFailedError);
    expect(camera.pid()).toBeUndefined();
  });

  it('rejects pending frame reads with CanceledError on close', async () => {
    const camera = source(testsrc('160x120'));
    const frames = camera.frames()[Symbol.asyncIterator]();
    const pending = frames.next();
    await camera.close();
    await expect(pending).rejects.toBeInstanceOf(CanceledError);
    await expect(camera.start()).rejects.toBeInstanceOf(CanceledError);
  });
});

describe('FfmpegCameraSource fed JPEG frames through a pipe (the simulated camera path)', () => {
  it('passes our frames through unchanged and skips a zero-byte and a corrupt frame with counted warnings', async () => {
    const pictures = await makeJpegs(6, 10, { width: 320, height: 240 });
    const [a, b, c, d, e, f] = pictures as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const zeroByte = Uint8Array.of(0xff, 0xd8, 0xff, 0xd9);
    const corrupt = c.subarray(0, c.length >> 1); // a frame cut in the middle
    const sent = [a, b, zeroByte, corrupt, d, e, f];
    async function* feed(): AsyncGenerator<Uint8Array> {
      for (const frame of sent) {
        yield frame;
        await new Promise((r) => setTimeout(r, 15));
      }
    }
    const camera = source({ kind: 'pipe', frames: feed() });
    const frames = camera.frames()[Symbol.asyncIterator]();
    const got: CameraFrame[] = [];
    const collecting = (async () => {
      try {
        for (;;) {
          const next = await frames.next();
          if (next.done) return;
          got.push(next.value);
        }
      } catch {
        // closed
      }
    })();
    await camera.start();
    // The feed ends, ffmpeg flushes its last frame and exits by itself: the source goes idle.
    await until(() => camera.status().state === 'idle', 'the end of the piped stream');
    // Exactly the five good pictures came out, each byte for byte as we made it (-c:v copy), in
    // order; frames ffmpeg flushed together reach a subscriber newest-only, so some may be dropped.
    expect(camera.stats().frames).toBe(5);
    expect(camera.stats().warnings).toBe(2);
    expect(got.length + camera.stats().framesDropped).toBe(5);
    const good = [a, b, d, e, f];
    let at = 0;
    for (const frame of got) {
      while (at < good.length && !equal(good[at]!, frame.jpeg)) at++;
      expect(at, 'each frame is one of ours, in order').toBeLessThan(good.length);
    }
    expect(got.at(-1)?.jpeg).toEqual(f);
    expect(camera.stats().restarts).toBe(0);
    await camera.close();
    await collecting;
  });

  it('stops cleanly while the feed still has frames, leaving no ffmpeg behind', async () => {
    const pictures = await makeJpegs(3, 40, { width: 160, height: 120 });
    let i = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        yield pictures[i++ % pictures.length]!;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const camera = source({ kind: 'pipe', frames: endless() });
    const frames = camera.frames()[Symbol.asyncIterator]();
    await camera.start();
    await take(frames, 3);
    const pid = camera.pid()!;
    await camera.stop();
    expect(alive(pid)).toBe(false);
    expect(camera.status()).toEqual({ state: 'idle' });
    // And it starts again on the same feed.
    await camera.start();
    expect((await take(frames, 2)).every((f) => isWholeJpeg(f.jpeg))).toBe(true);
  });
});

describe('FfmpegCameraSource closing under a paused feed', () => {
  it('closes at once while the feed waits for its next frame forever (a paused simulator)', async () => {
    const pictures = await makeJpegs(3, 60, { width: 160, height: 120 });
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield* pictures;
      await new Promise(() => undefined);
    }
    const camera = source({ kind: 'pipe', frames: stalls() });
    const frames = camera.frames()[Symbol.asyncIterator]();
    await camera.start();
    await take(frames, 1);
    const pid = camera.pid()!;
    await camera.close();
    expect(alive(pid)).toBe(false);
    expect(camera.status()).toEqual({ state: 'closed' });
  });
});

describe('FfmpegCameraSource errors', () => {
  it('reports a missing V4L2 camera as CameraNotFoundError, at open and at start', async () => {
    // A tiny stderr bound: the classification reads the tail, where ffmpeg's last words are.
    const camera = source(
      { kind: 'v4l2', device: '/dev/video97', width: 640, height: 480, fps: 30 },
      { stderrLimitBytes: 64 },
    );
    await expect(camera.open()).rejects.toBeInstanceOf(CameraNotFoundError);
    const started = camera.start();
    await expect(started).rejects.toBeInstanceOf(CameraNotFoundError);
    await expect(started).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      cameraCode: 'CAMERA_NOT_FOUND',
      devicePath: '/dev/video97',
    });
    expect(camera.status().state).toBe('failed');
    expect(camera.pid()).toBeUndefined();
    expect(camera.stderrTail().length).toBeLessThanOrEqual(64);
    expect(camera.stderrTail()).toContain('No such file or directory');
  });

  it('tells to install ffmpeg when it is missing', async () => {
    const camera = source(testsrc('160x120'), { ffmpegPath: '/nonexistent/ffmpeg' });
    await expect(camera.open()).rejects.toBeInstanceOf(FfmpegMissingError);
    await expect(camera.start()).rejects.toThrow(/apt-get install/);
  });
});
