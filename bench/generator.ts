/**
 * npm run bench:generator: time and memory per rendered print. Cold = a new identity (master grown),
 * warm = another impression of a cached identity. Target: a 1600x1500 slap in under 2 s.
 * Writes bench/results/generator.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clearMasterCache, renderFinger, renderSlap } from '../simulators/fingerprint/generator.ts';
import { buildMaster } from '../simulators/fingerprint/master.ts';
import { summarize } from './stats.ts';

/** Peak RSS of a fresh process doing one render of `kind`, in KiB (median of three processes). */
function peakRssKiB(kind: 'baseline' | 'finger' | 'slap'): number {
  const script = fileURLToPath(new URL('./generator-memory.ts', import.meta.url));
  const samples = [0, 1, 2].map(() => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, kind], { encoding: 'utf8' });
    return (JSON.parse(out) as { maxRssKiB: number }).maxRssKiB;
  });
  return samples.sort((a, b) => a - b)[1] ?? 0;
}

/** Bytes a cached master holds: its float fields, measured on a real one. */
function masterBytes(position: 1 | 2 | 5): number {
  const m = buildMaster({ personSeed: 5, position });
  return m.field.byteLength + m.orientation.byteLength + m.period.byteLength;
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
const baseline = peakRssKiB('baseline');
const fingerPeak = peakRssKiB('finger');
const slapPeak = peakRssKiB('slap');
const result = {
  benchmark: 'generator',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms',
  targets: { slapColdMs: 2000 },
  finger500x500: { cold: summarize(fingerCold), warm: summarize(fingerWarm) },
  slap1600x1500: { cold: summarize(slapCold), warm: summarize(slapWarm) },
  memory: {
    peakRssMiB: Math.round(peakRss / 1048576),
    // Measured in fresh processes: peak RSS of one cold render minus that of loading the generator.
    fingerRenderMiB: Math.round((fingerPeak - baseline) / 102.4) / 10,
    slapRenderMiB: Math.round((slapPeak - baseline) / 102.4) / 10,
    // What the identity cache keeps per finger (the cache holds up to 24 masters).
    cachedMasterMiB: {
      thumb: Math.round(masterBytes(1) / 104857.6) / 10,
      finger: Math.round(masterBytes(2) / 104857.6) / 10,
      little: Math.round(masterBytes(5) / 104857.6) / 10,
    },
  },
};
console.table({
  'finger 500x500 cold': result.finger500x500.cold,
  'finger 500x500 warm': result.finger500x500.warm,
  'slap 1600x1500 cold': result.slap1600x1500.cold,
  'slap 1600x1500 warm': result.slap1600x1500.warm,
});
console.log(
  `memory per cold render: finger ${result.memory.fingerRenderMiB} MiB, slap ${result.memory.slapRenderMiB} MiB; ` +
    `cached master ${result.memory.cachedMasterMiB.finger} MiB; peak RSS ${result.memory.peakRssMiB} MiB; slap cold median ${result.slap1600x1500.cold.median} ms (target < 2000 ms)`,
);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/generator.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
