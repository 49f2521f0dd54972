/**
 * The station-side checks on simulated 4-4-2 sets (issue 20, "Done when": each check fires on its
 * simulator scenario and stays quiet on 100 clean sets). Each set is three slaps rendered as the
 * simulated HID scanner presents them in a scenario (simulators/scanner slapPlacement), processed
 * through the hot path (segmentation, quality, template, WSQ on worker threads) and checked with
 * Hotpath.checkSet (45 comparisons at SET_CHECK_FMR plus the slaps' geometry).
 *
 * Reports: findings on clean sets (target 0 of 100), each scenario's detection rate, the set-check
 * job's time (target ≤ 30 ms wall for 45 comparisons) and a 4-4-2 set end to end.
 * Run: npm run bench:set-checks   (BENCH_CLEAN_SETS, default 100; BENCH_MISTAKE_SETS per scenario,
 * default 20). Writes bench/results/set-checks.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { MccTemplate } from '../protocol/fingerprint/match/index.ts';
import type { SetFinger, SlapGeometry } from '../protocol/fingerprint/set-checks.ts';
import { renderSlap } from '../simulators/fingerprint/generator.ts';
import { type HidScenario, slapPlacement } from '../simulators/scanner/hid-scanner-sim.ts';
import { Hotpath } from '../station/hotpath/hotpath.ts';
import { SET_CHECK_FMR } from '../station/hotpath/jobs.ts';
import { summarize } from './stats.ts';

const cleanSets = Number(process.env.BENCH_CLEAN_SETS ?? 100);
const mistakeSets = Number(process.env.BENCH_MISTAKE_SETS ?? 20);
const EXPECTED: Partial<Record<HidScenario, string>> = {
  'same-hand-twice': 'SAME_HAND_TWICE',
  'finger-twice': 'THUMB_TWICE',
  'hands-swapped': 'HANDS_SWAPPED',
};

const hotpath = new Hotpath({ workers: 2 });
await hotpath.ready();
const checkMs: number[] = [];
const setMs: number[] = [];

async function tenPrint(personSeed: number, scenario: HidScenario): Promise<string[]> {
  const fingers: SetFinger<MccTemplate>[] = [];
  const geometry: { left?: SlapGeometry['left']; right?: SlapGeometry['right'] } = {};
  let processing = 0;
  for (const hand of ['right', 'left', 'thumbs'] as const) {
    const slap = renderSlap({
      personSeed,
      hand,
      impression: personSeed % 7,
      ...slapPlacement(scenario, hand),
    });
    const started = performance.now();
    const result = await hotpath.processSlap(slap.image, { hand });
    processing += performance.now() - started;
    for (const f of result.fingers) fingers.push({ position: f.position, template: f.template });
    if (hand !== 'thumbs' && result.wrongHand !== undefined) geometry[hand] = result.wrongHand;
  }
  const started = performance.now();
  const checked = await hotpath.checkSet(fingers, { geometry });
  const check = performance.now() - started;
  checkMs.push(check);
  setMs.push(processing + check);
  return checked.findings.map((f) => f.code);
}

const started = performance.now();
const clean: { seed: number; findings: string[] }[] = [];
for (let i = 0; i < cleanSets; i++) {
  const seed = 5000 + i;
  const findings = await tenPrint(seed, 'good');
  if (findings.length > 0) clean.push({ seed, findings });
  if ((i + 1) % 10 === 0) process.stderr.write(`clean sets: ${i + 1}/${cleanSets}\n`);
}
const scenarios: Record<string, { sets: number; detected: number; other: Record<string, number> }> = {};
for (const [scenario, code] of Object.entries(EXPECTED) as [HidScenario, string][]) {
  const entry = { sets: mistakeSets, detected: 0, other: {} as Record<string, number> };
  for (let i = 0; i < mistakeSets; i++) {
    const findings = await tenPrint(7000 + i, scenario);
    if (findings.includes(code)) entry.detected++;
    for (const f of findings) if (f !== code) entry.other[f] = (entry.other[f] ?? 0) + 1;
  }
  scenarios[scenario] = entry;
  process.stderr.write(`${scenario}: ${entry.detected}/${mistakeSets}\n`);
}
await hotpath.close();

const result = {
  benchmark: 'set-checks',
  date: new Date().toISOString(),
  node: process.version,
  machine: '2 cores, shared and noisy: figures vary from run to run',
  loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
  fmr: SET_CHECK_FMR,
  cleanSets: { sets: cleanSets, withFindings: clean.length, target: 0, findings: clean },
  scenarios,
  setCheckMs: { ...summarize(checkMs), targetMs: 30 },
  tenPrintProcessingMs: summarize(setMs),
  wallSeconds: Math.round((performance.now() - started) / 1000),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/set-checks.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\nwrote bench/results/set-checks.json\n`);
