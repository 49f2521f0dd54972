/** Summary statistics for the bench scripts: nearest-rank median and p95, rounded to 0.01. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly min: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { n: sorted.length, median: round(at(0.5)), p95: round(at(0.95)), min: round(sorted[0] ?? 0) };
}

/** Times `fn` `runs` times after `warm` untimed calls; the samples in ms. */
export function timeRuns(runs: number, warm: number, fn: () => unknown): number[] {
  for (let i = 0; i < warm; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return samples;
}
