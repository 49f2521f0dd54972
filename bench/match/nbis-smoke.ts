/**
 * The reference figure for issue 20's matcher: NIST's mindtct + bozorth3 alone over the real FVC "B"
 * sets, under the FVC protocol, with its own small DET computation. bench/match.ts runs our matcher and
 * bozorth3 side by side over the same pairs; this script answers the narrower question "what does
 * bozorth3 reach on these sets?" without our matcher, so it stands even while the matcher changes.
 *
 * Run (nothing is downloaded; both folders are outside the repository):
 *   NBIS_BIN=<folder with mindtct and bozorth3> FVC_DIR=<folder of set folders> \
 *     scripts/with-runtime node --import tsx bench/match/nbis-smoke.ts
 * FVC_PPI=native keeps each set's own resolution; by default every set is resampled to 500 ppi, the
 * resolution bozorth3's pixel tolerances are tuned for (FVC2002 DB2 is 569 ppi, FVC2004 DB3 512 ppi).
 * FVC_SETS=a,b limits the run to those folders.
 *
 * Per set it prints FNMR at FMR 1 % and the EER twice: against the FVC protocol's 45 impostor pairs
 * (45 in a full B set; with so few, FMR 1 % means no impostor accepted) and against all 2,880 impostor pairs; then the same
 * over all sets pooled (impostors only ever within a set). Writes bench/results/nbis-smoke.json.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import {
  type FvcPair,
  type FvcSet,
  fvcAllImpostorPairs,
  fvcGenuinePairs,
  fvcImpostorPairs,
  fvcImpressionId,
  loadFvcSets,
} from './fvc.ts';
import { bozorth3Scores, findNbis, type NbisTools, nbisTemplates } from './nbis.ts';

// ---------------------------------------------------------------------------------------------
// DET arithmetic. Scores are similarities: a pair is accepted when its score >= the threshold.
// ---------------------------------------------------------------------------------------------

export interface OperatingPoint {
  /** Accept when score >= threshold. */
  readonly threshold: number;
  /** Fraction of impostor scores accepted. */
  readonly fmr: number;
  /** Fraction of genuine scores rejected. */
  readonly fnmr: number;
}

/**
 * Every distinct operating point, thresholds ascending: one at each distinct score and one above the
 * highest (everything rejected). @throws {RangeError} when either list is empty or holds a NaN
 */
export function operatingPoints(genuine: ArrayLike<number>, impostor: ArrayLike<number>): OperatingPoint[] {
  if (genuine.length === 0 || impostor.length === 0) throw new RangeError('need genuine and impostor scores');
  const g = Float64Array.from(genuine).sort();
  const i = Float64Array.from(impostor).sort();
  if (Number.isNaN(g[g.length - 1]) || Number.isNaN(i[i.length - 1])) throw new RangeError('a score is NaN');
  const thresholds = [...new Set([...g, ...i])].sort((a, b) => a - b);
  thresholds.push((thresholds.at(-1) as number) + 1);
  // Walk both sorted lists once: below = how many scores fall under the threshold.
  let gBelow = 0;
  let iBelow = 0;
  return thresholds.map((threshold) => {
    while (gBelow < g.length && (g[gBelow] as number) < threshold) gBelow++;
    while (iBelow < i.length && (i[iBelow] as number) < threshold) iBelow++;
    return { threshold, fmr: (i.length - iBelow) / i.length, fnmr: gBelow / g.length };
  });
}

/** The lowest FNMR over the thresholds whose FMR is at most `fmr` (and that threshold). */
export function fnmrAtFmr(points: readonly OperatingPoint[], fmr: number): OperatingPoint {
  let best: OperatingPoint | undefined;
  for (const point of points)
    if (point.fmr <= fmr && (best === undefined || point.fnmr < best.fnmr)) best = point;
  // The last point rejects everything (FMR 0), so one always qualifies.
  return best as OperatingPoint;
}

/**
 * Equal error rate as the FVC reports define it (Maio et al., FVC2000, section 4): t1 is the highest
 * threshold with FNMR <= FMR, t2 the lowest with FNMR >= FMR; the EER lies in the interval of the one
 * whose FMR + FNMR is smaller, and is reported as that interval's middle.
 */
export function equalErrorRate(points: readonly OperatingPoint[]): number {
  let t1: OperatingPoint | undefined;
  let t2: OperatingPoint | undefined;
  for (const point of points) {
    if (point.fnmr <= point.fmr) t1 = point;
    if (t2 === undefined && point.fnmr >= point.fmr) t2 = point;
  }
  if (t1 === undefined || t2 === undefined)
    throw new RangeError('no crossing: is the first threshold the lowest score?');
  const [low, high] = t1.fnmr + t1.fmr <= t2.fnmr + t2.fmr ? [t1.fnmr, t1.fmr] : [t2.fmr, t2.fnmr];
  return (low + high) / 2;
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

interface Figures {
  readonly genuine: number;
  readonly impostor: number;
  /** FNMR at FMR <= 1 %, and the threshold that gives it. */
  readonly fnmrAtFmr1: number;
  readonly threshold: number;
  readonly eer: number;
}

function figures(genuine: Float64Array, impostor: Float64Array): Figures {
  const points = operatingPoints(genuine, impostor);
  const at1 = fnmrAtFmr(points, 0.01);
  return {
    genuine: genuine.length,
    impostor: impostor.length,
    fnmrAtFmr1: at1.fnmr,
    threshold: at1.threshold,
    eer: equalErrorRate(points),
  };
}

async function scorePairs(tools: NbisTools, set: FvcSet, pairs: FvcPair[], templates: Map<string, string>) {
  const ids = pairs.map(([a, b]) => [fvcImpressionId(set, a), fvcImpressionId(set, b)] as const);
  return bozorth3Scores(tools, ids, templates);
}

const pct = (v: number) => `${(v * 100).toFixed(2).padStart(6)} %`;

async function main(): Promise<void> {
  const tools = findNbis();
  const fvcDir = process.env.FVC_DIR;
  if (tools === null || fvcDir === undefined) {
    console.error(
      'nbis-smoke needs NBIS_BIN (a folder holding NIST mindtct and bozorth3, built from NBIS outside the repository) and FVC_DIR (a folder of FVC set folders such as FVC2004_DB1_B/101_1.tif).',
    );
    process.exitCode = 1;
    return;
  }
  const keepNative = process.env.FVC_PPI === 'native';
  const only = process.env.FVC_SETS?.split(',').map((s) => s.trim());
  const sets = await loadFvcSets(fvcDir, {
    ...(keepNative ? {} : { resampleToPpi: 500 }),
    ...(only ? { only } : {}),
  });

  const perSet: Record<string, unknown> = {};
  const pooled = { genuine: [] as number[], fvcImpostor: [] as number[], allImpostor: [] as number[] };
  let extractMs = 0;
  let images = 0;
  let compareMs = 0;
  let comparisons = 0;
  console.log(
    `mindtct + bozorth3 on FVC sets (${keepNative ? 'native resolution' : 'resampled to 500 ppi'})`,
  );
  console.log(
    'set              prints  genuine  FNMR@FMR1% (FVC imp.) EER (FVC)  FNMR@FMR1% (all imp.)  EER (all)  mean minutiae',
  );
  for (const set of sets) {
    const started = performance.now();
    const templates = await nbisTemplates(
      tools,
      set.impressions.map((impression) => ({ ...impression, id: fvcImpressionId(set, impression) })),
    );
    extractMs += performance.now() - started;
    images += set.impressions.length;
    try {
      let minutiae = 0;
      for (const file of templates.values()) {
        const text = await readFile(file, 'latin1');
        minutiae += text.split('\n').filter((line) => line.trim() !== '').length;
      }
      const genuinePairs = fvcGenuinePairs(set);
      const fvcImpostors = fvcImpostorPairs(set);
      const allImpostors = fvcAllImpostorPairs(set);
      const compareStart = performance.now();
      const genuine = await scorePairs(tools, set, genuinePairs, templates);
      const fvcImpostor = await scorePairs(tools, set, fvcImpostors, templates);
      const allImpostor = await scorePairs(tools, set, allImpostors, templates);
      compareMs += performance.now() - compareStart;
      comparisons += genuinePairs.length + fvcImpostors.length + allImpostors.length;
      const fvc = figures(genuine, fvcImpostor);
      const all = figures(genuine, allImpostor);
      const meanMinutiae = minutiae / templates.size;
      perSet[set.name] = {
        prints: set.impressions.length,
        fvcProtocol: fvc,
        allImpostors: all,
        meanMinutiae,
      };
      pooled.genuine.push(...genuine);
      pooled.fvcImpostor.push(...fvcImpostor);
      pooled.allImpostor.push(...allImpostor);
      console.log(
        `${set.name.padEnd(16)} ${String(set.impressions.length).padStart(6)} ${String(genuine.length).padStart(8)}  ${pct(fvc.fnmrAtFmr1)} (t=${String(fvc.threshold).padStart(3)})    ${pct(fvc.eer)}   ${pct(all.fnmrAtFmr1)} (t=${String(all.threshold).padStart(3)})      ${pct(all.eer)}   ${meanMinutiae.toFixed(1)}`,
      );
    } finally {
      await templates.dispose();
    }
  }
  const g = Float64Array.from(pooled.genuine);
  const fvc = figures(g, Float64Array.from(pooled.fvcImpostor));
  const all = figures(g, Float64Array.from(pooled.allImpostor));
  console.log(
    `${'pooled'.padEnd(16)} ${String(images).padStart(6)} ${String(g.length).padStart(8)}  ${pct(fvc.fnmrAtFmr1)} (t=${String(fvc.threshold).padStart(3)})    ${pct(fvc.eer)}   ${pct(all.fnmrAtFmr1)} (t=${String(all.threshold).padStart(3)})      ${pct(all.eer)}`,
  );
  console.log(
    `mindtct ${(extractMs / images).toFixed(1)} ms a print (${images} prints, incl. process start); bozorth3 ${((compareMs / comparisons) * 1000).toFixed(0)} us a comparison (${comparisons}, 2 processes)`,
  );
  const result = {
    benchmark: 'nbis-smoke',
    date: new Date().toISOString(),
    node: process.version,
    resolution: keepNative ? 'native' : 500,
    sets: perSet,
    pooled: { fvcProtocol: fvc, allImpostors: all },
    timing: {
      mindtctMsPerPrint: extractMs / images,
      bozorth3UsPerComparison: (compareMs / comparisons) * 1000,
    },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/nbis-smoke.json', `${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
