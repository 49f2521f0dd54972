/**
 * bench:camera part "live": the live portrait loop as the officer's screen gets it. The simulated
 * camera (pre-recorded: its 4-second loop is rendered before timing starts) feeds the production path
 * (JPEG frames piped through ffmpeg into a CameraDevice); station/portrait/live.ts decodes each frame,
 * runs the classical checks in the hot path's worker and the detector (Tiny) in the face engine's
 * worker every few frames, tracking in between. Figures:
 * - frames assessed per second at 640x480 (target >= 15) and the per-frame wall time (decode +
 *   checks, median and p95; target <= 66 ms p95);
 * - the age of the face-dependent measures each assessment carries (target <= 400 ms), and how often
 *   an assessment had none fresh enough.
 * BENCH_LIVE_SECONDS (default 20) of assessments are timed after a 5 s warm-up.
 */
import { CameraDevice } from '../../drivers/camera/camera.ts';
import { FfmpegCameraSource } from '../../drivers/camera/native-ffmpeg.ts';
import { createSimulatedCamera } from '../../simulators/camera/sim-camera.ts';
import { createWorkerRenderer } from '../../simulators/camera/worker.ts';
import { FaceApiEngine } from '../../station/faces/face-api-engine.ts';
import { Hotpath } from '../../station/hotpath/hotpath.ts';
import { type LiveAssessment, LivePortrait } from '../../station/portrait/live.ts';
import { summarize } from '../stats.ts';

const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 20);
const WARMUP_MS = 5_000;

export async function run(): Promise<Record<string, unknown>> {
  const engine = await FaceApiEngine.start({ detectors: ['tiny'], defaultDetector: 'tiny' });
  const hotpath = new Hotpath({ workers: 1 });
  await hotpath.ready();
  const simulated = createSimulatedCamera({
    personSeed: '001099012345',
    scenario: 'good',
    renderer: createWorkerRenderer(),
  });
  // Pre-record the loop, so the figures measure the station, not the simulator's renderer.
  for (let n = 0; n < 4 * 30; n++) await simulated.frameAt(n);
  const camera = new CameraDevice({
    id: 'camera',
    mode: 'simulated',
    source: new FfmpegCameraSource({ kind: 'pipe', frames: simulated.frames() }),
  });
  await camera.open();
  const live = new LivePortrait({ source: camera, engines: async () => engine, hotpath });
  const assessments: LiveAssessment[] = [];
  let started = 0;
  const unsubscribe = live.subscribe((a) => {
    if (started > 0) assessments.push(a);
  });
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  started = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const seconds = (performance.now() - started) / 1000;
  unsubscribe();
  await live.stop();
  await camera.close();
  await simulated.close();
  await engine.close();
  await hotpath.close();

  const ages = assessments.flatMap((a) => (a.detection === null ? [] : [a.detection.ageMs]));
  const frame = summarize(assessments.map((a) => a.frameMs));
  const age = summarize(ages);
  const fps = assessments.length / seconds;
  return {
    frameSize: '640x480',
    seconds: +seconds.toFixed(1),
    assessedFramesPerSecond: +fps.toFixed(1),
    targetFramesPerSecond: 15,
    perFrameMs: frame,
    perFrameTargetP95Ms: 66,
    detectionAgeMs: age,
    detectionAgeTargetMs: 400,
    maxDetectionAgeMs: Math.max(0, ...ages),
    assessmentsWithoutFreshDetection: assessments.length - ages.length,
    assessments: assessments.length,
    accepted: assessments.filter((a) => a.decision.accepted).length,
    warnings: live.warnings(),
    meetsTargets: fps >= 15 && frame.p95 <= 66 && Math.max(0, ...ages) <= 400,
    note: 'the 640x480 frames come through the production ffmpeg path from the simulated camera; the detector is Tiny in its own worker, the checks run in one hot-path worker',
  };
}
