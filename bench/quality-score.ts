/**
 * The unified quality score and the live-preview assessment (protocol/quality/score.ts,
 * preview.ts): time per call on generated prints.
 *
 *   scoreFinger        500 x 500 (500 ppi), no minutiae supplied (the score does not use them)
 *   assessPreview      400 x 400 at 500 ppi, and the same frame downscaled to 100 x 100 (125 ppi)
 *
 * Targets: scoreFinger <= 50 ms (the station's budget for measures plus score on 500 x 500);
 * assessPreview >= 25 frames/s on one core, i.e. <= 40 ms, aiming at <= 10 ms.
 * Run: node --import tsx bench/quality-score.ts   (BENCH_RUNS sets timed runs per image, default 31)
 * Writes bench/results/quality-score.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { downscaleBox } from '../protocol/image/downscale.ts';
import { assessPreview, type GreyImage, scoreFinger } from '../protocol/quality/index.ts';
import { renderFinger } from '../simulators/fingerprint/generator.ts';
import { type Summary, summarize, timeRuns } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 31);
const warm = 5;

const prints: [string, GreyImage][] = [
  ['good, personSeed 1', renderFinger({ personSeed: 1 }).image],
  ['good, personSeed 2, finger 7', renderFinger({ personSeed: 2, finger: 7 }).image],
  ['dry 0.8, personSeed 3', renderFinger({ personSeed: 3, condition: 'dry', severity: 0.8 }).image],
  ['wet 0.8, personSeed 4', renderFinger({ personSeed: 4, condition: 'wet', severity: 0.8 }).image],
  ['moving 0.8, personSeed 5', renderFinger({ personSeed: 5, condition: 'moving', severity: 0.8 }).image],
];

const score: Record<string, Summary & { score: number }> = {};
const pooled: number[] = [];
for (const [name, image] of prints) {
  const r = scoreFinger(image);
  const samples = timeRuns(runs, warm, () => scoreFinger(image));
  pooled.push(...samples);
  score[name] = { ...summarize(samples), score: r.ok ? r.value.score : -1 };
}
const allScore = summarize(pooled);

const frames: [string, GreyImage, number][] = [];
for (const [name, condition] of [
  ['good', 'good'],
  ['no finger', 'no-finger'],
  ['partial 0.9', 'partial'],
] as const) {
  const image = renderFinger({
    personSeed: 6,
    condition,
    width: 400,
    height: 400,
    ...(condition === 'partial' ? { severity: 0.9 } : {}),
  }).image;
  frames.push([`400x400 500 ppi, ${name}`, image, 500]);
  frames.push([`100x100 125 ppi (1/4), ${name}`, downscaleBox(image, 4), 125]);
}
const preview: Record<string, Summary & { framesPerSecond: number }> = {};
for (const [name, image, ppi] of frames) {
  const s = summarize(timeRuns(runs * 10, warm, () => assessPreview(image, { ppi })));
  preview[name] = { ...s, framesPerSecond: Math.round(1000 / Math.max(s.p95, 0.001)) };
}

const result = {
  benchmark: 'quality-score',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms',
  runsPerImage: runs,
  targets: { scoreFinger500x500: 50, previewFrame: 40, previewFrameAim: 10 },
  notes:
    'scoreFinger without minutiae (none are extracted). Preview timed over 10x the runs. ' +
    'Other processes may share the 2 cores: compare min and median.',
  scoreFinger: { perImage: score, all: allScore },
  assessPreview: preview,
};

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/quality-score.json', import.meta.url),
  `${JSON.stringify(result, null, 2)}\n`,
);

const row = (name: string, s: Summary, extra = '') =>
  console.log(
    `  ${name.padEnd(40)} ${String(s.median).padStart(7)} ${String(s.p95).padStart(7)} ${String(s.min).padStart(7)}${extra}`,
  );
console.log(`scoreFinger, 500x500${' '.repeat(21)}  median     p95     min  ms`);
for (const [name, s] of Object.entries(score)) row(name, s, `   score ${s.score}`);
row('all prints', allScore);
console.log(`\nassessPreview${' '.repeat(28)}  median     p95     min  ms`);
for (const [name, s] of Object.entries(preview)) row(name, s, `   ${s.framesPerSecond} frames/s at p95`);
console.log('\nwrote bench/results/quality-score.json');
