/**
 * The fingerprint hot path against its targets (issue 6), medians and p95 in ms:
 *
 *   measures + score   all NFIQ 2 measures (with our minutiae) and our score, one 500 x 500 finger,
 *                      one core, in-process                                        target <= 50 ms
 *   preview            assessPreview of a 400 x 400 frame, one core, in-process     target >= 25 frames/s
 *   segmentation       segmentSlap of a 1600 x 1500 slap, one core, in-process      target <= 80 ms
 *   one slap           Hotpath.processSlap (segment, 4 x quality + WSQ, slap WSQ), wall time on the
 *                      worker pool (2 workers on this 2-core machine)               target <= 400 ms
 *   4-4-2 set          right slap, left slap, thumbs, end to end, wall               target <= 1.2 s
 *                      (one slap after another, as the officer captures them, and all three at once)
 *
 * Also reported: the preview round trip through the pool, per-stage worker time of a slap, and its
 * overhead (wall minus the busiest worker's time). Inputs come from the generator, so every run
 * sees the same images. Run: npm run bench:hotpath (BENCH_RUNS: timed runs per figure, default 21).
 * Writes bench/results/hotpath.json. The machine is shared: read medians and p95, not single runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { segmentSlap } from '../protocol/fingerprint/segment.ts';
import { assessPreview, scoreFinger } from '../protocol/quality/index.ts';
import { renderFinger, renderSlap } from '../simulators/fingerprint/generator.ts';
import { Hotpath, type SlapResult } from '../station/hotpath/hotpath.ts';
import { type Summary, summarize, timeRuns } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 21);
const warm = 3;

const TARGETS = {
  measuresAndScoreMs: 50,
  previewFramesPerSecond: 25,
  segmentationMs: 80,
  slapWallMs: 400,
  setWallMs: 1200,
} as const;

// Inputs: five fingers, four frames, six slaps (two of each hand), fixed seeds.
const fingers = [1, 2, 3, 4, 5].map((seed) => renderFinger({ personSeed: 7000 + seed, finger: seed }).image);
const frames = [1, 2, 3, 4].map(
  (seed) => renderFinger({ personSeed: 7100 + seed, width: 400, height: 400 }).image,
);
const HANDS = ['right', 'left', 'thumbs'] as const;
const slaps = [0, 1].flatMap((i) =>
  HANDS.map((hand) => ({ hand, image: renderSlap({ personSeed: 7200 + i, hand }).image })),
);

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

process.stdout.write(`hot path bench: ${runs} timed runs per figure, ${availableParallelism()} cores\n`);

// 1. Measures + score, one core.
const measureSamples: number[] = [];
for (const image of fingers)
  measureSamples.push(...timeRuns(runs, warm, () => scoreFinger(image, { minutiae: 'extract' })));
const measures = summarize(measureSamples);

// 2. Preview, one core.
const previewSamples: number[] = [];
for (const frame of frames) previewSamples.push(...timeRuns(runs * 5, warm, () => assessPreview(frame)));
const preview = summarize(previewSamples);

// 3. Segmentation, one core.
const segmentSamples: number[] = [];
for (const slap of slaps.filter((s) => s.hand !== 'thumbs'))
  segmentSamples.push(...timeRuns(runs, warm, () => segmentSlap(slap.image, { hand: slap.hand })));
const segmentation = summarize(segmentSamples);

// 4, 5. Through the pool.
const hotpath = new Hotpath();
await hotpath.ready();
const slapOf = (i: number) => slaps[i % slaps.length] as (typeof slaps)[number];
for (let i = 0; i < warm * 2; i++) await hotpath.processSlap(slapOf(i).image, { hand: slapOf(i).hand });

const slapWall: number[] = [];
const overhead: number[] = [];
const stageSamples: Record<string, number[]> = {};
let overBudget = 0;
const fourFinger = slaps.filter((s) => s.hand !== 'thumbs');
for (let i = 0; i < runs; i++) {
  const slap = fourFinger[i % fourFinger.length] as (typeof slaps)[number];
  const result: SlapResult = await hotpath.processSlap(slap.image, { hand: slap.hand });
  if (result.fingers.length !== 4) throw new Error(`expected 4 fingers, got ${result.fingers.length}`);
  slapWall.push(result.timings.wallMs);
  if (result.overBudget) overBudget++;
  for (const [stage, ms] of Object.entries(result.timings.stages)) {
    const samples = stageSamples[stage] ?? [];
    samples.push(ms);
    stageSamples[stage] = samples;
  }
  // The busiest worker's time: the wall can be no shorter than that.
  const perThread = new Map<number, number>();
  for (const t of [result.timings.segment, result.timings.slapWsq, ...result.fingers.map((f) => f.timings)])
    perThread.set(t.threadId, (perThread.get(t.threadId) ?? 0) + t.runMs);
  overhead.push(result.timings.wallMs - Math.max(...perThread.values()));
}

const setSequential: number[] = [];
const setTogether: number[] = [];
for (let i = 0; i < runs; i++) {
  const base = (i % 2) * 3;
  const set = [0, 1, 2].map((k) => slapOf(base + k));
  let start = performance.now();
  for (const slap of set) await hotpath.processSlap(slap.image, { hand: slap.hand });
  setSequential.push(performance.now() - start);
  start = performance.now();
  await Promise.all(set.map((slap) => hotpath.processSlap(slap.image, { hand: slap.hand })));
  setTogether.push(performance.now() - start);
}

const poolPreview: number[] = [];
for (let i = 0; i < runs * 5; i++) {
  const result = await hotpath.assessPreview(frames[i % frames.length] as (typeof frames)[number]);
  poolPreview.push(result.timings.totalMs);
}
const stats = hotpath.stats();
await hotpath.close();

const stages: Record<string, Summary> = {};
for (const [stage, samples] of Object.entries(stageSamples)) stages[stage] = summarize(samples);

const figures = {
  measuresAndScore500: { ...measures, target: `<= ${TARGETS.measuresAndScoreMs} ms` },
  preview400: {
    ...preview,
    framesPerSecondAtMedian: Math.round(1000 / preview.median),
    framesPerSecondAtP95: Math.round(1000 / preview.p95),
    target: `>= ${TARGETS.previewFramesPerSecond} frames/s`,
  },
  segmentation1600x1500: { ...segmentation, target: `<= ${TARGETS.segmentationMs} ms` },
  slapEndToEnd: {
    ...summarize(slapWall),
    overBudget,
    target: `<= ${TARGETS.slapWallMs} ms wall`,
  },
  set442Sequential: { ...summarize(setSequential), target: `<= ${TARGETS.setWallMs} ms wall` },
  set442Together: { ...summarize(setTogether), target: `<= ${TARGETS.setWallMs} ms wall` },
};

// The median is the figure held against the target; the p95 shows how steady it is.
const rows: [string, Summary, string, (value: number) => boolean][] = [
  ['measures + score, 500x500 (1 core)', measures, '<= 50 ms', (v) => v <= TARGETS.measuresAndScoreMs],
  [
    'preview 400x400 (1 core)',
    preview,
    `>= 25 fps (${figures.preview400.framesPerSecondAtMedian} fps at the median)`,
    (v) => 1000 / v >= TARGETS.previewFramesPerSecond,
  ],
  ['segmentation 1600x1500 (1 core)', segmentation, '<= 80 ms', (v) => v <= TARGETS.segmentationMs],
  [
    `one slap end to end (${stats.workers} workers)`,
    figures.slapEndToEnd,
    '<= 400 ms',
    (v) => v <= TARGETS.slapWallMs,
  ],
  [
    '4-4-2 set, one slap after another',
    figures.set442Sequential,
    '<= 1200 ms',
    (v) => v <= TARGETS.setWallMs,
  ],
  ['4-4-2 set, submitted together', figures.set442Together, '<= 1200 ms', (v) => v <= TARGETS.setWallMs],
];
const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
const table = [
  '| figure | median ms | p95 ms | target | median meets | p95 meets |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    ([name, s, target, meets]) =>
      `| ${name} | ${s.median} | ${s.p95} | ${target} | ${yes(meets(s.median))} | ${yes(meets(s.p95))} |`,
  ),
].join('\n');

const result = {
  benchmark: 'hotpath',
  date: new Date().toISOString(),
  node: process.version,
  cores: availableParallelism(),
  workers: stats.workers,
  unit: 'ms',
  runs,
  notes:
    'measures+score: scoreFinger with our minutiae extracted, 5 generated 500x500 fingers; preview: 4 ' +
    'generated 400x400 frames, 5x the runs; segmentation: 4 four-finger slaps; slap: processSlap on ' +
    'four-finger slaps through the pool; set: right, left and thumbs. The median is the figure ' +
    'held against the target; the p95 shows how steady it is on this shared machine.',
  targets: TARGETS,
  figures,
  slapStagesWorkerMs: stages,
  slapOverheadMs: summarize(overhead),
  previewThroughPoolMs: summarize(poolPreview),
  pool: stats,
  met: Object.fromEntries(
    rows.map(([name, s, , meets]) => [name, { median: meets(s.median), p95: meets(s.p95) }]),
  ),
};

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/hotpath.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${table}\n\n`);
process.stdout.write(
  `slap stages (worker ms, median): ${Object.entries(stages)
    .map(([k, s]) => `${k} ${s.median}`)
    .join(', ')}; overhead median ${round(result.slapOverheadMs.median)} ms; ` +
    `preview through the pool median ${result.previewThroughPoolMs.median} ms\n`,
);
process.stdout.write('wrote bench/results/hotpath.json\n');
