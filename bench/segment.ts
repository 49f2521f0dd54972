/**
 * Slap segmentation time and accuracy (protocol/fingerprint/SEGMENTATION.md). Target: median
 * <= 80 ms for a 1600x1500 slap on the 2-core station VM. Renders BENCH_SLAPS generated slaps (default
 * 10: right, left and thumbs, good, dry and wet), times `segmentSlap` BENCH_RUNS times on each after
 * two warm-up calls, and scores the result against the generator's truth: fingers detected with the
 * right position, box-centre error (px) and rotation error (degrees). Writes
 * bench/results/segment.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { segmentSlap } from '../protocol/fingerprint/segment.ts';
import { type RenderedSlap, renderSlap } from '../simulators/fingerprint/generator.ts';
import { summarize } from './stats.ts';

const slapCount = Number(process.env.BENCH_SLAPS ?? 10);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const hands = ['right', 'left', 'thumbs'] as const;
const conditions = ['good', 'dry', 'wet'] as const;

const slaps: RenderedSlap[] = [];
for (let i = 0; i < slapCount; i++) {
  slaps.push(
    renderSlap({
      personSeed: 3000 + (i % 4),
      hand: hands[i % hands.length],
      impression: i,
      condition: conditions[i % conditions.length],
    }),
  );
}

const times: number[] = [];
const centreErrors: number[] = [];
const rotationErrors: number[] = [];
let fingers = 0;
let correct = 0;
for (const slap of slaps) {
  const options = { hand: slap.hand };
  for (let w = 0; w < 2; w++) segmentSlap(slap.image, options);
  let result = segmentSlap(slap.image, options);
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    result = segmentSlap(slap.image, options);
    times.push(performance.now() - start);
  }
  if (!result.ok) throw new Error(`segmentation failed: ${result.error.reason}: ${result.error.detail}`);
  for (const truth of slap.fingers) {
    fingers++;
    const found = result.value.fingers.find((f) => f.position === truth.position);
    if (found === undefined) continue;
    const dx = found.box.x + found.box.width / 2 - (truth.box.x + truth.box.width / 2);
    const dy = found.box.y + found.box.height / 2 - (truth.box.y + truth.box.height / 2);
    const error = Math.hypot(dx, dy);
    // A finger counts when it is labelled right and its box centre is within 60 px of the truth.
    if (error > 60) continue;
    correct++;
    centreErrors.push(error);
    rotationErrors.push(Math.abs(found.rotation - (truth.placement.rotation * 180) / Math.PI));
  }
}

const result = {
  benchmark: 'segment',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms',
  targets: { slap1600x1500MedianMs: 80 },
  slaps: slapCount,
  runsPerSlap: runs,
  slap1600x1500: summarize(times),
  accuracy: {
    fingers,
    detectedWithRightPosition: correct,
    rate: Math.round((correct / Math.max(1, fingers)) * 1000) / 1000,
    centreErrorPx: summarize(centreErrors),
    rotationErrorDeg: summarize(rotationErrors),
  },
};
console.table({ 'segment 1600x1500': result.slap1600x1500 });
console.table({
  'centre error, px': result.accuracy.centreErrorPx,
  'rotation error, deg': result.accuracy.rotationErrorDeg,
});
console.log(
  `${correct}/${fingers} fingers detected with the right position; median ${result.slap1600x1500.median} ms, p95 ${result.slap1600x1500.p95} ms (target <= 80 ms median)`,
);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/segment.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
