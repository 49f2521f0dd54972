/**
 * Accuracy and speed of the 1:1 fingerprint matcher (protocol/fingerprint/match: Minutia
 * Cylinder-Code with LSS-R) on synthetic prints, and, where present, on FVC real prints and beside
 * NIST's bozorth3 on the same pairs.
 *
 * Generator set (bench/match/set.ts): 130 fingers x 7 impressions (4 good, 3 in other conditions),
 * rendered and extracted on worker threads; genuine pairs are every two impressions of a finger
 * (2,730), impostor pairs every two impressions of different fingers (about 411,000; same person and
 * same pattern class included). Reports FNMR at FMR 1 %, 0.1 % (headline) and 0.01 % and the EER,
 * overall and per condition (the other impression of a pair with a good one), at thresholds set on
 * all impostors; template time (extraction + prepare) on the 500x500 prints, one comparison, and
 * the 45 comparisons of a 10-finger set.
 *
 * Run: npm run bench:match [-- --fingers N] [-- --write-thresholds]
 *   --fingers N          fingers in the generator set (default 130; 7 impressions each)
 *   --write-thresholds   rewrite protocol/fingerprint/match/thresholds-data.ts from this run's impostors
 *   NBIS_BIN=dir         NIST's mindtct + bozorth3 (bench/match/nbis.ts) on the same images and pairs
 *   FVC_DIR=dir          the FVC B sets too (bench/match/fvc.ts), resampled to 500 ppi; genuine pairs
 *                        are the FVC protocol's (every impression with every later one of its
 *                        finger), impostors all 2,880 different-finger pairs (the protocol's 45 cannot
 *                        state FMR 1 %); FVC_SETS=a,b limits the sets. Also reported: the FMR and
 *                        FNMR the generator set's thresholds give on each real set.
 * Writes bench/results/match.json and bench/results/match-det.md. Caches nothing. The full run
 * with NBIS takes about 25 minutes on the 2-core VM (bozorth3 over 410,000 pairs is most of it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  compare,
  MCC_FORMAT,
  MCC_PARAMETERS,
  type MccTemplate,
  prepare,
} from '../protocol/fingerprint/match/index.ts';
import { thresholdForFmr } from '../protocol/fingerprint/match/thresholds.ts';
import { extractMinutiae } from '../protocol/fingerprint/ridges.ts';
import { renderFinger } from '../simulators/fingerprint/generator.ts';
import {
  DET_FMRS,
  type Descending,
  descending,
  HEADLINE_FMRS,
  operatingPoint,
  percent,
  type RateSummary,
  rateAtOrAbove,
  summarizeRates,
} from './match/det.ts';
import type { FvcSet } from './match/fvc.ts';
import { bozorth3Scores, type NbisTemplates, type NbisTools, nbisTemplates } from './match/nbis.ts';
import { loadFvc, loadNbis } from './match/others.ts';
import { BenchPool } from './match/pool.ts';
import {
  GOOD_IMPRESSIONS,
  generatorSet,
  genuineCategory,
  type ImpressionSpec,
  OTHER_CONDITIONS,
  OTHER_IMPRESSIONS,
} from './match/set.ts';
import { thresholdTable, writeThresholds } from './match/thresholds-writer.ts';
import type { GreyInput, TemplateOutcome } from './match/worker.ts';
import { type Summary, summarize } from './stats.ts';

const { values: options } = parseArgs({
  options: { fingers: { type: 'string' }, 'write-thresholds': { type: 'boolean' } },
});
const FINGERS = Number(options.fingers ?? 130);
if (!Number.isInteger(FINGERS) || FINGERS < 2) throw new RangeError(`--fingers ${options.fingers}`);
const TARGETS = { templateMedianMs: 25, compareMedianMs: 0.5, set45MedianMs: 30, fnmrGoodAtFmr01: 0.01 };

const started = performance.now();
const log = (text: string) => process.stderr.write(`${text}\n`);
const pool = new BenchPool(2);

/** A pair list as [a, b] indices, flattened. */
type Pairs = Int32Array;

/** Scores of `pairs` over `templates`, on the workers (NaN where a template is missing). */
async function scorePairs(templates: readonly (MccTemplate | null)[], pairs: Pairs): Promise<Float64Array> {
  await pool.broadcast({ kind: 'load', templates });
  const chunk = 20000;
  const count = pairs.length / 2;
  const parts: Promise<Float64Array>[] = [];
  for (let p = 0; p < count; p += chunk)
    parts.push(
      pool.run<Float64Array>({ kind: 'compare', pairs: pairs.slice(2 * p, 2 * Math.min(count, p + chunk)) }),
    );
  const scores = new Float64Array(count);
  let at = 0;
  for (const part of await Promise.all(parts)) {
    scores.set(part, at);
    at += part.length;
  }
  await pool.broadcast({ kind: 'load', templates: [] });
  return scores;
}

/** Genuine = same finger, impostor = different fingers, over every pair i < j. */
function allPairs(fingerOf: readonly number[]): { genuine: Pairs; impostor: Pairs } {
  const n = fingerOf.length;
  let genuineCount = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (fingerOf[i] === fingerOf[j]) genuineCount++;
  const impostorCount = (n * (n - 1)) / 2 - genuineCount;
  const genuine = new Int32Array(2 * genuineCount);
  const impostor = new Int32Array(2 * impostorCount);
  let g = 0;
  let m = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (fingerOf[i] === fingerOf[j]) {
        genuine[g++] = i;
        genuine[g++] = j;
      } else {
        impostor[m++] = i;
        impostor[m++] = j;
      }
    }
  return { genuine, impostor };
}

/** The made comparisons' scores (NaN dropped) and how many were not made. */
function made(scores: Float64Array, select?: (p: number) => boolean): { scores: number[]; failures: number } {
  const out: number[] = [];
  let failures = 0;
  for (let p = 0; p < scores.length; p++) {
    if (select && !select(p)) continue;
    const s = scores[p] ?? Number.NaN;
    if (Number.isNaN(s)) failures++;
    else out.push(s);
  }
  return { scores: out, failures };
}

function rateRecord(summary: RateSummary) {
  return {
    genuine: summary.genuine,
    genuineFailures: summary.genuineFailures,
    impostors: summary.impostors,
    eer: summary.eer,
    at: Object.fromEntries(
      summary.points.map((p, k) => [
        `fmr${p.target}`,
        { threshold: p.threshold, fmr: p.fmr, fnmr: p.fnmr, fnmrWithFailures: summary.fnmrWithFailures[k] },
      ]),
    ),
  };
}

// ---------------------------------------------------------------- generator set: templates

const specs = generatorSet(FINGERS);
const nbis = loadNbis();
/** mindtct's template folders, removed at the end. */
const nbisFolders: NbisTemplates[] = [];
log(
  `generator set: ${FINGERS} fingers x ${GOOD_IMPRESSIONS + OTHER_IMPRESSIONS} impressions = ${specs.length} templates`,
);
log(nbis.ok ? 'bozorth3: NBIS found, scoring the same pairs' : `bozorth3 skipped: ${nbis.skipped}`);

const outcomes: TemplateOutcome[] = new Array(specs.length);
const byFinger = new Map<number, ImpressionSpec[]>();
for (const spec of specs) byFinger.set(spec.finger, [...(byFinger.get(spec.finger) ?? []), spec]);
const nbisGeneratorTemplates = new Map<string, string>();
let nbisChain: Promise<void> = Promise.resolve();
let done = 0;
await Promise.all(
  [...byFinger.values()].map(async (chunk) => {
    const results = await pool.run<TemplateOutcome[]>({ kind: 'render', specs: chunk, keepPixels: nbis.ok });
    const images: GreyInput[] = [];
    for (const r of results) {
      outcomes[r.index] = { ...r, image: null };
      if (r.image) images.push(r.image);
    }
    if (nbis.ok && images.length > 0) {
      const tools = nbis.value;
      nbisChain = nbisChain.then(async () => {
        const made = await nbisTemplates(tools, images, { concurrency: 1 });
        nbisFolders.push(made);
        for (const [id, t] of made) nbisGeneratorTemplates.set(id, t);
      });
    }
    done += chunk.length;
    if (done % (specs.length / 10 < 7 ? 7 : Math.ceil(specs.length / 70) * 7) === 0)
      log(`  templates ${done}/${specs.length}`);
  }),
);
await nbisChain;
const templates = outcomes.map((o) => o.template);
const failedTemplates = outcomes.filter((o) => o.template === null);
log(
  `templates done in ${((performance.now() - started) / 1000).toFixed(0)} s; ${failedTemplates.length} cannot be compared`,
);

// ---------------------------------------------------------------- generator set: scores

const { genuine: genuinePairs, impostor: impostorPairs } = allPairs(specs.map((s) => s.finger));
log(`comparing ${genuinePairs.length / 2} genuine and ${impostorPairs.length / 2} impostor pairs`);
const compareStarted = performance.now();
const genuineScores = await scorePairs(templates, genuinePairs);
const impostorScores = await scorePairs(templates, impostorPairs);
log(`compared in ${((performance.now() - compareStarted) / 1000).toFixed(0)} s`);

const impostorMade = made(impostorScores);
const impostors = descending(impostorMade.scores);
const genuineAll = made(genuineScores);
const overall = summarizeRates(genuineAll.scores, impostors, HEADLINE_FMRS, genuineAll.failures);

const categoryOf = (p: number) => {
  const a = specs[genuinePairs[2 * p] ?? 0];
  const b = specs[genuinePairs[2 * p + 1] ?? 0];
  return genuineCategory(a?.condition ?? 'good', b?.condition ?? 'good');
};
const categories = ['good', ...OTHER_CONDITIONS, 'mixed'];
const byCategory: Record<string, RateSummary> = {};
for (const category of categories) {
  const subset = made(genuineScores, (p) => categoryOf(p) === category);
  if (subset.scores.length + subset.failures === 0) continue;
  byCategory[category] = summarizeRates(subset.scores, impostors, HEADLINE_FMRS, subset.failures);
}

// Impostor subsets at the overall thresholds: do pattern class and identity raise the FMR?
const fingerClass = (i: number) => outcomes[i]?.fingerClass ?? '';
const impostorSubsets: Record<string, { comparisons: number; fmrAt: Record<string, number> }> = {};
for (const [name, select] of [
  ['same pattern class', (i: number, j: number) => fingerClass(i) === fingerClass(j)],
  ['other pattern class', (i: number, j: number) => fingerClass(i) !== fingerClass(j)],
  ['same person, other finger', (i: number, j: number) => specs[i]?.personSeed === specs[j]?.personSeed],
] as const) {
  const subset = made(impostorScores, (p) =>
    select(impostorPairs[2 * p] ?? 0, impostorPairs[2 * p + 1] ?? 0),
  );
  impostorSubsets[name] = {
    comparisons: subset.scores.length,
    fmrAt: Object.fromEntries(
      overall.points.map((point) => [`fmr${point.target}`, rateAtOrAbove(subset.scores, point.threshold)]),
    ),
  };
}

// ---------------------------------------------------------------- speed (main thread)

const fiveHundred = outcomes.filter((o) => o.template !== null);

/**
 * Template time on this thread, with the workers idle: 36 of the set's 500x500 prints (every
 * condition), the JIT warmed on them first, five timed runs each. The workers' own times are
 * reported too, but they ran two at a time beside the rendering.
 */
function timeTemplates(): { extract: Summary; prepare: Summary; template: Summary } {
  const sample = specs.filter((_, k) => k % Math.max(1, Math.floor(specs.length / 36)) === 0).slice(0, 36);
  const images = sample.map(
    (s) =>
      renderFinger({
        personSeed: s.personSeed,
        finger: s.position,
        impression: s.impression,
        condition: s.condition,
      }).image,
  );
  const once = (image: (typeof images)[number]) => {
    const t0 = performance.now();
    const extracted = extractMinutiae(image, { profile: 'template' });
    const t1 = performance.now();
    prepare({
      width: image.width,
      height: image.height,
      minutiae: extracted.minutiae,
    });
    return [t1 - t0, performance.now() - t1] as const;
  };
  for (let k = 0; k < 3; k++) for (const image of images) once(image);
  const extract: number[] = [];
  const prep: number[] = [];
  for (let k = 0; k < 5; k++)
    for (const image of images) {
      const [e, p] = once(image);
      extract.push(e);
      prep.push(p);
    }
  return {
    extract: summarize(extract),
    prepare: summarize(prep),
    template: summarize(extract.map((e, k) => e + (prep[k] ?? 0))),
  };
}

function timeCompares(): { compare: Summary; set45: Summary } {
  const ok = fiveHundred.map((o) => o.template as MccTemplate);
  // Warm the JIT, then time single comparisons over a spread of pairs.
  for (let k = 0; k < 2000; k++)
    compare(ok[k % ok.length] as MccTemplate, ok[(k * 7 + 3) % ok.length] as MccTemplate);
  const samples: number[] = [];
  for (let k = 0; k < 4000; k++) {
    const a = ok[(k * 131) % ok.length] as MccTemplate;
    const b = ok[(k * 197 + 11) % ok.length] as MccTemplate;
    const t0 = performance.now();
    compare(a, b);
    samples.push(performance.now() - t0);
  }
  // A 4-4-2 set: ten templates of ten different fingers (good impressions), all 45 pairs.
  const good = outcomes.filter((o) => o.template !== null && specs[o.index]?.condition === 'good');
  const sets: number[] = [];
  for (let g = 0; g + 10 * GOOD_IMPRESSIONS <= good.length && sets.length < 40; g += 10 * GOOD_IMPRESSIONS) {
    const ten = Array.from({ length: 10 }, (_, k) => good[g + k * GOOD_IMPRESSIONS]?.template as MccTemplate);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++)
      for (let j = i + 1; j < 10; j++) compare(ten[i] as MccTemplate, ten[j] as MccTemplate);
    sets.push(performance.now() - t0);
  }
  return { compare: summarize(samples), set45: summarize(sets) };
}
const compareTimes = timeCompares();
const templateTimes = {
  ...timeTemplates(),
  inWorkers: {
    extract: summarize(outcomes.map((o) => o.extractMs)),
    prepare: summarize(outcomes.map((o) => o.prepareMs)),
    render: summarize(outcomes.map((o) => o.renderMs)),
  },
};

// ---------------------------------------------------------------- bozorth3 on the same pairs

interface SideBySide {
  readonly set: string;
  readonly ours: ReturnType<typeof rateRecord>;
  readonly bozorth3: ReturnType<typeof rateRecord> | null;
}
const sideBySide: SideBySide[] = [];

async function bozorthRates(
  tools: NbisTools,
  templatesOf: ReadonlyMap<string, string>,
  ids: readonly string[],
  genuine: Pairs,
  impostor: Pairs,
  goodOnly?: (p: number) => boolean,
): Promise<{ all: RateSummary; good: RateSummary | null }> {
  const usable = (pairs: Pairs) => {
    const kept: number[] = [];
    for (let p = 0; p < pairs.length; p += 2)
      if (templatesOf.has(ids[pairs[p] ?? 0] ?? '') && templatesOf.has(ids[pairs[p + 1] ?? 0] ?? ''))
        kept.push(p / 2);
    return kept;
  };
  const score = async (pairs: Pairs) => {
    const kept = usable(pairs);
    const list: [string, string][] = kept.map((p) => [
      ids[pairs[2 * p] ?? 0] ?? '',
      ids[pairs[2 * p + 1] ?? 0] ?? '',
    ]);
    const scores = await bozorth3Scores(tools, list, templatesOf);
    const out = new Float64Array(pairs.length / 2).fill(Number.NaN);
    kept.forEach((p, k) => {
      out[p] = scores[k] ?? Number.NaN;
    });
    return out;
  };
  const g = await score(genuine);
  const i = made(await score(impostor));
  const imp = descending(i.scores);
  const all = made(g);
  const good = goodOnly ? made(g, goodOnly) : null;
  return {
    all: summarizeRates(all.scores, imp, HEADLINE_FMRS, all.failures),
    good: good ? summarizeRates(good.scores, imp, HEADLINE_FMRS, good.failures) : null,
  };
}

sideBySide.push({ set: 'generator, all conditions', ours: rateRecord(overall), bozorth3: null });
if (byCategory.good)
  sideBySide.push({ set: 'generator, good', ours: rateRecord(byCategory.good), bozorth3: null });
if (nbis.ok) {
  log('scoring the generator pairs with bozorth3');
  const tools = nbis.value;
  const b = await bozorthRates(
    tools,
    nbisGeneratorTemplates,
    specs.map((s) => s.id),
    genuinePairs,
    impostorPairs,
    (p) => categoryOf(p) === 'good',
  );
  sideBySide[0] = { ...(sideBySide[0] as SideBySide), bozorth3: rateRecord(b.all) };
  if (b.good && sideBySide[1]) sideBySide[1] = { ...sideBySide[1], bozorth3: rateRecord(b.good) };
}

// ---------------------------------------------------------------- FVC real prints

const fvc = await loadFvc();
const fvcResults: Record<string, unknown> = {};
if (!fvc.ok) log(`FVC skipped: ${fvc.skipped}`);
else {
  for (const set of fvc.value) fvcResults[set.name] = await evaluateFvc(set);
}

async function evaluateFvc(set: FvcSet) {
  log(`FVC ${set.name}: ${set.impressions.length} impressions`);
  const ids = set.impressions.map((m) => `${set.name}-${m.finger}_${m.impression}`);
  const images = set.impressions.map((m, index) => ({
    index,
    id: ids[index] ?? '',
    pixels: m.pixels,
    width: m.width,
    height: m.height,
    ppi: m.ppi,
  }));
  const parts: Promise<TemplateOutcome[]>[] = [];
  for (let k = 0; k < images.length; k += 16)
    parts.push(pool.run({ kind: 'extract', images: images.slice(k, k + 16) }));
  const results = (await Promise.all(parts)).flat().sort((a, b) => a.index - b.index);
  const fvcTemplates = results.map((r) => r.template);
  const { genuine, impostor } = allPairs(set.impressions.map((m) => m.finger));
  const g = made(await scorePairs(fvcTemplates, genuine));
  const imp = made(await scorePairs(fvcTemplates, impostor));
  const ours = summarizeRates(g.scores, descending(imp.scores), HEADLINE_FMRS, g.failures);
  let bozorth3: RateSummary | null = null;
  if (nbis.ok) {
    const made = await nbisTemplates(nbis.value, images);
    nbisFolders.push(made);
    bozorth3 = (await bozorthRates(nbis.value, made, ids, genuine, impostor)).all;
  }
  sideBySide.push({
    set: `FVC ${set.name}`,
    ours: rateRecord(ours),
    bozorth3: bozorth3 ? rateRecord(bozorth3) : null,
  });
  return {
    impressions: set.impressions.length,
    cannotCompare: results.filter((r) => r.template === null).length,
    template: summarize(results.map((r) => r.extractMs + r.prepareMs)),
    ours: rateRecord(ours),
    // What the committed thresholds (thresholds.ts, measured on the generator set) give on real prints.
    atCommittedThresholds: Object.fromEntries(
      HEADLINE_FMRS.map((target) => {
        const threshold = thresholdForFmr(target);
        return [
          `fmr${target}`,
          {
            threshold,
            fmr: rateAtOrAbove(imp.scores, threshold),
            fnmr: 1 - rateAtOrAbove(g.scores, threshold),
          },
        ];
      }),
    ),
    bozorth3: bozorth3 ? rateRecord(bozorth3) : null,
  };
}

await pool.close();
for (const folder of nbisFolders) await folder.dispose();

// ---------------------------------------------------------------- report

const detRows = DET_FMRS.map((target) => {
  const point = operatingPoint(genuineAll.scores, impostors, target);
  const perCategory = Object.fromEntries(
    Object.keys(byCategory).map((c) => [
      c,
      operatingPoint(made(genuineScores, (p) => categoryOf(p) === c).scores, impostors, target).fnmr,
    ]),
  );
  return { target, threshold: point.threshold, fmr: point.fmr, fnmr: point.fnmr, perCategory };
});

const goodAt01 = byCategory.good?.points.find((p) => p.target === 0.001)?.fnmr ?? Number.NaN;
const result = {
  benchmark: 'match',
  date: new Date().toISOString(),
  node: process.version,
  matcher: {
    format: MCC_FORMAT,
    parameters: MCC_PARAMETERS,
    extractor: "extractMinutiae profile 'template'",
  },
  set: {
    fingers: FINGERS,
    impressionsPerFinger: GOOD_IMPRESSIONS + OTHER_IMPRESSIONS,
    goodImpressions: GOOD_IMPRESSIONS,
    otherConditions: OTHER_CONDITIONS,
    templates: specs.length,
    cannotCompare: failedTemplates.length,
    cannotCompareByCondition: Object.fromEntries(
      ['good', ...OTHER_CONDITIONS].map((c) => [
        c,
        failedTemplates.filter((o) => specs[o.index]?.condition === c).length,
      ]),
    ),
    minutiae: summarize(outcomes.map((o) => o.minutiae)),
  },
  comparisons: {
    genuine: genuinePairs.length / 2,
    impostor: impostorPairs.length / 2,
    genuineNotMade: genuineAll.failures,
    impostorNotMade: impostorMade.failures,
  },
  notes:
    'Thresholds from all impostor comparisons made; FNMR over the genuine comparisons made, fnmrWithFailures counting the ' +
    'pairs with a template that cannot be compared as non-matches. Per condition: pairs of a good impression with one in ' +
    "that condition ('mixed': two other conditions). Times in ms; other processes may share the 2 cores.",
  accuracy: {
    overall: rateRecord(overall),
    byCondition: Object.fromEntries(Object.entries(byCategory).map(([c, s]) => [c, rateRecord(s)])),
    impostorSubsets,
    det: detRows,
  },
  timing: { ...templateTimes, compare: compareTimes.compare, set45: compareTimes.set45 },
  targets: TARGETS,
  met: {
    templateMedian: templateTimes.template.median <= TARGETS.templateMedianMs,
    compareMedian: compareTimes.compare.median <= TARGETS.compareMedianMs,
    set45Median: compareTimes.set45.median <= TARGETS.set45MedianMs,
    fnmrGoodAtFmr01: goodAt01 <= TARGETS.fnmrGoodAtFmr01,
  },
  sideBySide,
  bozorth3: nbis.ok ? 'scored' : { skipped: nbis.skipped },
  fvc: fvc.ok ? fvcResults : { skipped: fvc.skipped },
  wallSeconds: Math.round((performance.now() - started) / 1000),
};

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/match.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(new URL('./results/match-det.md', import.meta.url), detMarkdown());

if (options['write-thresholds']) {
  const about = `Run of ${result.date.slice(0, 16).replace('T', ' ')} UTC at commit ${commitOfRun()}: ${impostors.length} impostor comparisons of ${specs.length} generator templates (${FINGERS} fingers x ${GOOD_IMPRESSIONS + OTHER_IMPRESSIONS} impressions, all conditions but no-finger; bench/match/set.ts).`;
  writeThresholds(
    new URL('../protocol/fingerprint/match/thresholds-data.ts', import.meta.url),
    thresholdTable(impostors as Descending),
    about,
  );
  log('wrote protocol/fingerprint/match/thresholds-data.ts (run biome format on it)');
}

/** The checkout's commit (with "+changes" when the work tree differs), or "unknown" outside git. */
function commitOfRun(): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
    const head = git(['rev-parse', '--short=12', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) === '' ? head : `${head}+changes`;
  } catch {
    return 'unknown';
  }
}

function detMarkdown(): string {
  const cats = Object.keys(byCategory);
  const lines = [
    '# Matcher DET table (bench:match)',
    '',
    `${result.date}: ${genuinePairs.length / 2} genuine and ${impostors.length} impostor comparisons of ${specs.length} generator templates (${FINGERS} fingers); ${failedTemplates.length} templates cannot be compared. Thresholds from all impostors; FNMR per condition over the pairs of a good impression with one in that condition.`,
    '',
    `| FMR target | threshold | FMR | FNMR all | ${cats.map((c) => `FNMR ${c}`).join(' | ')} |`,
    `|---|---|---|---|${cats.map(() => '---').join('|')}|`,
    ...detRows.map(
      (r) =>
        `| ${percent(r.target, 3)} | ${Number.isFinite(r.threshold) ? r.threshold.toFixed(4) : 'n/a'} | ${percent(r.fmr, 3)} | ${percent(r.fnmr)} | ${cats.map((c) => percent(r.perCategory[c] ?? Number.NaN)).join(' | ')} |`,
    ),
    `| EER | | | ${percent(overall.eer)} | ${cats.map((c) => percent(byCategory[c]?.eer ?? Number.NaN)).join(' | ')} |`,
    '',
    '## Side by side',
    '',
    '| set | matcher | FNMR @ FMR 1 % | FNMR @ 0.1 % | FNMR @ 0.01 % | EER |',
    '|---|---|---|---|---|---|',
  ];
  const cell = (r: ReturnType<typeof rateRecord>, key: string) => {
    const point = (r.at as Record<string, { fnmr: number }>)[key];
    return percent(point?.fnmr ?? Number.NaN);
  };
  for (const row of sideBySide) {
    for (const [name, r] of [
      ['MCC (ours)', row.ours],
      ['bozorth3', row.bozorth3],
    ] as const) {
      if (!r) {
        lines.push(`| ${row.set} | ${name} | not run | | | |`);
        continue;
      }
      lines.push(
        `| ${row.set} | ${name} | ${cell(r, 'fmr0.01')} | ${cell(r, 'fmr0.001')} | ${cell(r, 'fmr0.0001')} | ${percent(r.eer)} |`,
      );
    }
  }
  lines.push(
    '',
    `Template (extract + prepare, 500x500): median ${templateTimes.template.median} ms, p95 ${templateTimes.template.p95} ms. ` +
      `One comparison: median ${compareTimes.compare.median} ms, p95 ${compareTimes.compare.p95} ms. ` +
      `45 comparisons of a 10-finger set: median ${compareTimes.set45.median} ms, p95 ${compareTimes.set45.p95} ms.`,
    '',
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------- console

const row = (name: string, s: RateSummary) =>
  `${name.padEnd(18)} ${String(s.genuine + s.genuineFailures).padStart(5)} ${s.points.map((p) => percent(p.fnmr).padStart(9)).join(' ')} ${percent(s.eer).padStart(9)}`;
console.log(`${'genuine subset'.padEnd(18)} pairs  FNMR@1%  FNMR@0.1% FNMR@0.01%      EER`);
console.log(row('all', overall));
for (const [c, s] of Object.entries(byCategory)) console.log(row(c, s));
console.log(
  `thresholds: ${overall.points.map((p) => `FMR ${percent(p.target, 2)} -> ${p.threshold.toFixed(4)}`).join(', ')} (${impostors.length} impostors)`,
);
console.log(
  `template ms median ${templateTimes.template.median} p95 ${templateTimes.template.p95} | compare ms median ${compareTimes.compare.median} p95 ${compareTimes.compare.p95} | 45-set ms median ${compareTimes.set45.median} p95 ${compareTimes.set45.p95}`,
);
for (const s of sideBySide)
  console.log(
    `${s.set}: ours FNMR@1% ${percent((s.ours.at as Record<string, { fnmr: number }>)['fmr0.01']?.fnmr ?? Number.NaN)}` +
      (s.bozorth3
        ? `, bozorth3 ${percent((s.bozorth3.at as Record<string, { fnmr: number }>)['fmr0.01']?.fnmr ?? Number.NaN)}`
        : ''),
  );
console.log(
  `met: ${JSON.stringify(result.met)}; wrote bench/results/match.json and match-det.md in ${result.wallSeconds} s`,
);
