/**
 * Minutiae extraction time (protocol/fingerprint/ridges.ts extractMinutiae) on NIST's 500x500
 * reference print, the five NIST SFinGe examples (416x560) and a 500x500 synthetic print
 * (simulators renderFinger, personSeed 1). Target: median <= 10 ms on 500x500, so that the
 * extractor fits inside the 50 ms hot-path budget for all quality measures plus the score.
 *
 * "extract" is the whole call; "prelude" is the part it shares with other measures and runs first
 * (blockOrientation, foregroundBlocks, ridgePeriod), timed alone, so the rest is the extractor's own.
 * Run: node --import tsx bench/minutiae.ts   (BENCH_RUNS sets timed runs per image, default 51)
 * Writes bench/results/minutiae.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { blockOrientation } from '../protocol/fingerprint/orientation.ts';
import {
  extractMinutiae,
  foregroundBlocks,
  type GreyPixels,
  ridgePeriod,
} from '../protocol/fingerprint/ridges.ts';
import { renderFinger } from '../simulators/fingerprint/generator.ts';
import { decodePgm } from '../station/imaging/grey-image.ts';
import { readFixture } from '../test/support/fixtures.ts';
import { type Summary, summarize, timeRuns } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 51);
const warm = 5;

const images: [string, GreyPixels][] = [
  ['nistFinger_500x500', { width: 500, height: 500, pixels: readFixture('wsq/nistFinger_500x500.raw') }],
];
for (const n of [1, 2, 3, 4, 5])
  images.push([`SFinGe_Test0${n}`, decodePgm(readFixture(`nfiq2/SFinGe_Test0${n}.pgm`))]);
images.push([
  'synthetic 500x500 (personSeed 1)',
  renderFinger({ personSeed: 1, width: 500, height: 500 }).image,
]);

function prelude(image: GreyPixels): void {
  const field = blockOrientation(image.pixels, image.width, image.height, 16);
  ridgePeriod(image, field, foregroundBlocks(image, 16));
}

// Warm the JIT on every image first, so the first image timed does not pay for compilation.
for (let i = 0; i < warm; i++) for (const [, image] of images) extractMinutiae(image);

const perImage: Record<string, { size: string; minutiae: number; extract: Summary; prelude: Summary }> = {};
for (const [name, image] of images) {
  perImage[name] = {
    size: `${image.width}x${image.height}`,
    minutiae: extractMinutiae(image).minutiae.length,
    extract: summarize(timeRuns(runs, warm, () => extractMinutiae(image))),
    prelude: summarize(timeRuns(runs, warm, () => prelude(image))),
  };
}

const result = {
  benchmark: 'minutiae',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms',
  runsPerImage: runs,
  targets: { extractMedian500x500: 10 },
  notes:
    'extract = extractMinutiae; prelude = blockOrientation + foregroundBlocks + ridgePeriod, timed alone. ' +
    'Other processes may share the 2 cores: compare min and median.',
  images: perImage,
};

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/minutiae.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

const cell = (v: number) => String(v).padStart(7);
console.log(`${'image'.padEnd(42)} minutiae   median     p95     min  (prelude median)  ms`);
for (const [name, r] of Object.entries(perImage))
  console.log(
    `${`${name} ${r.size}`.padEnd(42)} ${String(r.minutiae).padStart(8)} ${cell(r.extract.median)} ${cell(r.extract.p95)} ${cell(r.extract.min)}  (${r.prelude.median})`,
  );
console.log('wrote bench/results/minutiae.json');
