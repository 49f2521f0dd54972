/**
 * Bench part for `npm run bench:camera`: the camera driver path the simulated camera uses. JPEG frames
 * at 640x480 are written to ffmpeg's stdin at 30 frames/s (FfmpegCameraSource, pipe input, `-c:v
 * copy`), split by JpegSplitter and delivered through CameraDevice to one consumer. Reports the frame
 * rate the consumer sees, the inter-frame interval (median, p95) and the latency from our write to
 * delivery (median, p95), which includes ffmpeg's one-frame hold (its MJPEG parser ends a frame when
 * the next one begins). Target: the camera's own 30 frames/s, inter-frame p95 near 33 ms.
 *
 * The frames are ffmpeg's testsrc2 at 640x480, captured first through the same source (lavfi), so
 * nothing but the driver spawns ffmpeg. BENCH_CAMERA_SECONDS sets the measured time (default 6 s).
 */
import { CameraDevice } from '../../drivers/camera/camera.ts';
import { FfmpegCameraSource } from '../../drivers/camera/native-ffmpeg.ts';
import { summarize } from '../stats.ts';

const FPS = 30;
const WIDTH = 640;
const HEIGHT = 480;

/** A key for a frame's bytes: the pipe input copies frames unchanged, so the bytes identify it. */
function key(jpeg: Uint8Array): string {
  let h = 2166136261;
  for (let i = Math.max(0, jpeg.length - 256); i < jpeg.length; i++)
    h = Math.imul(h ^ (jpeg[i] ?? 0), 16777619);
  return `${jpeg.length}:${h >>> 0}`;
}

async function captureFrames(count: number): Promise<Uint8Array[]> {
  const source = new FfmpegCameraSource({
    kind: 'lavfi',
    graph: `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}`,
    realtime: true,
  });
  const out: Uint8Array[] = [];
  const frames = source.frames()[Symbol.asyncIterator]();
  await source.start();
  while (out.length < count) {
    const next = await frames.next();
    if (next.done) break;
    out.push(next.value.jpeg);
  }
  await source.close();
  return out;
}

export async function run(): Promise<Record<string, unknown>> {
  const seconds = Number(process.env.BENCH_CAMERA_SECONDS ?? 6);
  const pictures = await captureFrames(60);
  const sentAt = new Map<string, number>();
  let stopFeeding = false;
  async function* feed(): AsyncGenerator<Uint8Array> {
    const start = performance.now();
    for (let i = 0; !stopFeeding; i++) {
      const due = start + (i * 1000) / FPS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const jpeg = pictures[i % pictures.length] as Uint8Array;
      sentAt.set(key(jpeg), performance.now());
      yield jpeg;
    }
  }
  const source = new FfmpegCameraSource({ kind: 'pipe', frames: feed() });
  const camera = new CameraDevice({ id: 'bench-camera', mode: 'simulated', source, fps: FPS });
  await camera.open();
  if (camera.state().status !== 'ready')
    throw new Error(`camera not ready: ${JSON.stringify(camera.state())}`);
  const intervals: number[] = [];
  const latencies: number[] = [];
  let frames = 0;
  let last: number | undefined;
  const started = performance.now();
  const rssBefore = process.memoryUsage().rss;
  for await (const frame of camera.frames()) {
    const now = performance.now();
    if (last !== undefined) intervals.push(now - last);
    last = now;
    frames++;
    const sent = sentAt.get(key(frame.jpeg));
    if (sent !== undefined) latencies.push(now - sent);
    if (now - started >= seconds * 1000) break;
  }
  const elapsed = (performance.now() - started) / 1000;
  const stats = camera.stats();
  stopFeeding = true;
  await camera.close();
  return {
    figure: 'camera driver, piped 640x480 JPEG frames at 30 fps through ffmpeg to one consumer',
    target: { framesPerSecond: FPS, interFrameP95Ms: Math.round(1000 / FPS) },
    framesPerSecond: Math.round((frames / elapsed) * 10) / 10,
    interFrameMs: summarize(intervals),
    latencyMs: summarize(latencies),
    frameBytes: summarize(pictures.map((p) => p.length)),
    framesDropped: stats.framesDropped,
    warnings: stats.warnings,
    restarts: stats.restarts,
    rssDeltaMiB: Math.round(((process.memoryUsage().rss - rssBefore) / 1024 / 1024) * 10) / 10,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
