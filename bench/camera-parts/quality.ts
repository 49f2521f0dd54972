/**
 * Portrait quality (issue 19 item 5), pure part: the per-frame classical live assessment at 640x480
 * (grey copy, tracker step, exposure, sharpness, framing, feedback) against its target of <= 66 ms
 * p95 on one core, and the full OFIQ-aligned measures plus feedback on a capture (640x480 and
 * 1280x720). Frames are synthetic portraits (protocol/face/synthetic.ts) pre-rendered before timing:
 * a face drifting across the frame, some frames dark or blurred, so the tracker and every check do
 * their real work. The detector is not part of this figure (it runs in its own worker).
 *
 * Part of `npm run bench:camera` (the lead composes it); alone:
 *   node --import tsx bench/camera-parts/quality.ts   (BENCH_RUNS sets timed frames, default 120)
 */
import {
  classicalAssessment,
  faceAnchor,
  type GreyFrame,
  toGreyFrame,
  trackFace,
} from '../../protocol/face/classical.ts';
import { classicalFeedback, portraitFeedback } from '../../protocol/face/feedback.ts';
import { computeFaceMeasures } from '../../protocol/face/measures.ts';
import { renderSyntheticPortrait } from '../../protocol/face/synthetic.ts';
import type { Box, RgbImage } from '../../protocol/face/types.ts';
import { summarize, timeRuns } from '../stats.ts';

const TARGET_CLASSICAL_P95_MS = 66;

function liveFrames(count: number): RgbImage[] {
  // 12 distinct frames cycled: the face moves 6 px a frame, every fourth frame dim, every sixth blurred.
  const distinct = Array.from({ length: Math.min(count, 12) }, (_, i) =>
    renderSyntheticPortrait({
      seed: 100 + i,
      eyeMid: { x: 290 + 6 * i, y: 200 + 2 * i },
      gain: i % 4 === 3 ? 0.4 : 1,
      blur: i % 6 === 5 ? 2 : 0,
    }),
  );
  return Array.from({ length: count }, (_, i) => {
    const frame = distinct[i % distinct.length];
    if (frame === undefined) throw new RangeError('no frames rendered');
    return frame.image;
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const runs = Number(process.env.BENCH_RUNS ?? 120);
  const first = renderSyntheticPortrait({ seed: 100, eyeMid: { x: 290, y: 200 } });
  const detected = first.faces[0];
  if (detected === undefined) throw new Error('synthetic portrait has no face');
  const anchor = faceAnchor(detected);
  const frames = liveFrames(runs + 10);

  // One live step per frame: grey copy, track from the previous frame, assess, feedback.
  let prev: GreyFrame = toGreyFrame(first.image);
  let box: Box = detected.box;
  let index = 0;
  const stages = { grey: [] as number[], track: [] as number[], assess: [] as number[] };
  const step = () => {
    const frame = frames[index++ % frames.length] ?? first.image;
    const t0 = performance.now();
    const grey = toGreyFrame(frame);
    const t1 = performance.now();
    const tracked = trackFace(prev, box, grey);
    const t2 = performance.now();
    if (!tracked.lost) box = tracked.box;
    classicalFeedback(classicalAssessment(grey, tracked.lost ? null : { box, anchor }));
    const t3 = performance.now();
    stages.grey.push(t1 - t0);
    stages.track.push(t2 - t1);
    stages.assess.push(t3 - t2);
    prev = grey;
  };
  const classical = timeRuns(runs, 10, step);
  const warmStages = (xs: number[]) => summarize(xs.slice(10));

  const capture640 = first;
  const capture720 = renderSyntheticPortrait({ width: 1280, height: 720, ied: 130, seed: 7 });
  const full = (p: typeof first) => () => portraitFeedback(computeFaceMeasures(p.image, p.faces));
  const full640 = summarize(timeRuns(Math.max(10, Math.floor(runs / 4)), 3, full(capture640)));
  const full720 = summarize(timeRuns(Math.max(10, Math.floor(runs / 4)), 3, full(capture720)));

  const classicalSummary = summarize(classical);
  return {
    classicalPerFrame640x480Ms: classicalSummary,
    classicalStagesMs: {
      greyCopy: warmStages(stages.grey),
      trackFace: warmStages(stages.track),
      assessAndFeedback: warmStages(stages.assess),
    },
    classicalTargetP95Ms: TARGET_CLASSICAL_P95_MS,
    classicalMeetsTarget: classicalSummary.p95 <= TARGET_CLASSICAL_P95_MS,
    fullMeasuresCapture640x480Ms: full640,
    fullMeasuresCapture1280x720Ms: full720,
    note: 'synthetic portraits, one core, detector excluded; measures are OFIQ-aligned approximations',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
