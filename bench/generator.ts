/**
 * npm run bench:generator: time and memory per rendered print. Cold = a new identity (master grown),
 * warm = another impression of a cached identity. Target: a 1600x1500 slap in under 2 s.
 * Writes bench/results/generator.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { clearMasterCache, renderFinger, renderSlap } from '../simulators/fingerprint/generator.ts';

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    n: sorted.length,
    median: Math.round(at(0.5) * 10) / 10,
    p95: Math.round(at(0.95) * 10) / 10,
    min: Math.round((sorted[0] ?? 0) * 10) / 10,
  };
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const runs = Number(process.env.BENCH_RUNS ?? 9);
const fingerCold: number[] = [];
const fingerWarm: number[] = [];
const slapCold: number[] = [];
const slapWarm: number[] = [];
let peakRss = 0;
for (let i = 0; i < runs; i++) {
  clearMasterCache();
  fingerCold.push(time(() => renderFinger({ personSeed: 1000 + i })));
  fingerWarm.push(time(() => renderFinger({ personSeed: 1000 + i, impression: 1 })));
  clearMasterCache();
  slapCold.push(time(() => renderSlap({ personSeed: 2000 + i, hand: 'right' })));
  slapWarm.push(time(() => renderSlap({ personSeed: 2000 + i, hand: 'right', impression: 1 })));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const result = {
  benchmark: 'generator',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms',
  targets: { slapColdMs: 2000 },
  finger500x500: { cold: stats(fingerCold), warm: stats(fingerWarm) },
  slap1600x1500: { cold: stats(slapCold), warm: stats(slapWarm) },
  memory: {
    peakRssMiB: Math.round(peakRss / 1048576),
    // Per render: the output image plus the float ink canvas (5 bytes a pixel); a master is
    // 4 float fields of its canvas (about 4 MiB for a 440 x 720 finger).
    fingerRenderMiB: Math.round(((500 * 500 * 5) / 1048576) * 10) / 10,
    slapRenderMiB: Math.round(((1600 * 1500 * 5) / 1048576) * 10) / 10,
  },
};
console.table({
  'finger 500x500 cold': result.finger500x500.cold,
  'finger 500x500 warm': result.finger500x500.warm,
  'slap 1600x1500 cold': result.slap1600x1500.cold,
  'slap 1600x1500 warm': result.slap1600x1500.warm,
});
console.log(
  `peak RSS ${result.memory.peakRssMiB} MiB; slap cold median ${result.slap1600x1500.cold.median} ms (target < 2000 ms)`,
);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/generator.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
