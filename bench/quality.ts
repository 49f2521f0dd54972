/**
 * NFIQ 2 native quality measures (protocol/quality): time per measure group and in total, on the
 * five NIST SFinGe examples (416x560) and a 500x500 synthetic print (simulators renderFinger,
 * personSeed 1). Target (station budget): all measures plus the score <= 50 ms on a 500x500 image;
 * NIST's C++ takes 150-230 ms on this VM (shared/reference/biometrics.md §2.2).
 *
 * "total" is computeQualityMeasures with the minutiae supplied (the station extracts them for the
 * template anyway); "total+extract" lets it run protocol/fingerprint/ridges.ts extractMinutiae.
 * The groups re-run the stages computeQualityMeasures runs, in its order, each timed alone.
 * Run: node --import tsx bench/quality.ts   (BENCH_RUNS sets timed runs per image, default 31)
 * Writes bench/results/quality.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { extractMinutiae } from '../protocol/fingerprint/ridges.ts';
import {
  blockGradients,
  greyStatistics,
  orientationCertainty,
  orientationMap,
} from '../protocol/quality/blocks.ts';
import { cropPixels, findPrintBox } from '../protocol/quality/crop.ts';
import { histogram } from '../protocol/quality/histogram.ts';
import { computeQualityMeasures } from '../protocol/quality/index.ts';
import { localRegions } from '../protocol/quality/local-regions.ts';
import { minutiaeMeasures } from '../protocol/quality/minutiae.ts';
import { regionOfInterest } from '../protocol/quality/roi.ts';
import { renderFinger } from '../simulators/fingerprint/generator.ts';
import { decodePgm } from '../station/imaging/grey-image.ts';
import { readFixture } from '../test/support/fixtures.ts';
import { type Summary, summarize, timeRuns } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 31);
const warm = 5;

interface Raster {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

const images: [string, Raster][] = [1, 2, 3, 4, 5].map((n) => [
  `SFinGe_Test0${n}`,
  decodePgm(readFixture(`nfiq2/SFinGe_Test0${n}.pgm`)),
]);
images.push([
  'synthetic 500x500 (personSeed 1)',
  renderFinger({ personSeed: 1, width: 500, height: 500 }).image,
]);

const GROUPS = [
  'crop',
  'Mu, MMB, segmentation',
  'local regions (FDA, LCS, OF, RVUP)',
  'block gradients + OCL',
  'ROI (ImgProcROIArea_Mean, foreground)',
  'orientation map coherence',
  'minutiae measures',
  'histograms',
  'extractMinutiae (ridges.ts)',
] as const;
type Group = (typeof GROUPS)[number];

/** One pass over the stages, each timed; returns ms per group. */
function stages(image: Raster): Record<Group, number> {
  const t: Partial<Record<Group, number>> = {};
  const time = <T>(group: Group, fn: () => T): T => {
    const start = performance.now();
    const value = fn();
    t[group] = performance.now() - start;
    return value;
  };
  const box = time('crop', () => {
    const b = findPrintBox(image.pixels, image.width, image.height);
    return { b, print: cropPixels(image.pixels, image.width, b) };
  });
  const { width: w, height: h } = box.b;
  const print = box.print;
  const grey = time('Mu, MMB, segmentation', () => greyStatistics(print, w, h));
  const local = time('local regions (FDA, LCS, OF, RVUP)', () =>
    localRegions(print, w, h, grey.segmentation),
  );
  const { gradients, ocl } = time('block gradients + OCL', () => {
    const g = blockGradients(print, w, h);
    return { gradients: g, ocl: orientationCertainty(g) };
  });
  const roi = time('ROI (ImgProcROIArea_Mean, foreground)', () => regionOfInterest(print, w, h));
  time('orientation map coherence', () => orientationMap(gradients, roi.blocks));
  const minutiae = time('extractMinutiae (ridges.ts)', () =>
    extractMinutiae({ width: w, height: h, pixels: print }),
  );
  time('minutiae measures', () => minutiaeMeasures(print, w, h, grey.mu, grey.sigma, minutiae.minutiae));
  time('histograms', () => {
    histogram('FDA', local.fda);
    histogram('LCS', local.lcs);
    histogram(
      'OCL',
      Float64Array.from(ocl).filter((v) => !Number.isNaN(v)),
    );
    histogram('OF', local.of);
    histogram('RVUP', local.rvu);
  });
  return t as Record<Group, number>;
}

const perImage: Record<
  string,
  { size: string; groups: Record<string, Summary>; total: Summary; totalWithExtraction: Summary }
> = {};
for (const [name, image] of images) {
  const supplied = extractMinutiae(image).minutiae.map((m) => ({ x: m.x, y: m.y }));
  const samples = new Map<Group, number[]>(GROUPS.map((g) => [g, []]));
  for (let i = 0; i < warm; i++) stages(image);
  for (let i = 0; i < runs; i++)
    for (const [g, ms] of Object.entries(stages(image)) as [Group, number][]) samples.get(g)?.push(ms);
  const total = summarize(timeRuns(runs, warm, () => computeQualityMeasures(image, { minutiae: supplied })));
  const totalWithExtraction = summarize(
    timeRuns(Math.max(5, Math.round(runs / 3)), warm, () => computeQualityMeasures(image)),
  );
  perImage[name] = {
    size: `${image.width}x${image.height}`,
    groups: Object.fromEntries(GROUPS.map((g) => [g, summarize(samples.get(g) ?? [])])),
    total,
    totalWithExtraction,
  };
}

const result = {
  benchmark: 'quality',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms',
  runsPerImage: runs,
  targets: { allMeasuresPlusScore500x500: 50 },
  nistCpp: { perImage: '150-230 (median, 416x560 and 500x500)' },
  notes:
    'total = computeQualityMeasures with minutiae supplied; totalWithExtraction adds extractMinutiae. ' +
    'Groups are timed one stage at a time. Other processes may share the 2 cores: compare min and median.',
  images: perImage,
};

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/quality.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

const pad = (s: string, n: number) => s.padEnd(n);
for (const [name, r] of Object.entries(perImage)) {
  console.log(`\n${name} (${r.size})     median     p95     min  ms`);
  for (const [g, s] of Object.entries(r.groups))
    console.log(
      `  ${pad(g, 40)} ${String(s.median).padStart(7)} ${String(s.p95).padStart(7)} ${String(s.min).padStart(7)}`,
    );
  console.log(
    `  ${pad('TOTAL (minutiae supplied)', 40)} ${String(r.total.median).padStart(7)} ${String(r.total.p95).padStart(7)} ${String(r.total.min).padStart(7)}`,
  );
  const e = r.totalWithExtraction;
  console.log(
    `  ${pad('TOTAL with extractMinutiae', 40)} ${String(e.median).padStart(7)} ${String(e.p95).padStart(7)} ${String(e.min).padStart(7)}`,
  );
}
console.log('\nwrote bench/results/quality.json');
