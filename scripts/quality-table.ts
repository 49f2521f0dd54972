/**
 * Comparison of our NFIQ 2 native quality measures (protocol/quality) with NIST's expected NFIQ 2
 * v2.3 outputs for the five SFinGe examples (shared/fixtures/nfiq2), as Markdown tables.
 *
 *   node --import tsx scripts/quality-table.ts            print the tables
 *   node --import tsx scripts/quality-table.ts --write    also replace them in protocol/quality/README.md
 *                                                          (between the quality-table markers)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  ACTIONABLE_FEEDBACK_NAMES,
  computeQualityMeasures,
  HISTOGRAM_FAMILIES,
  MINUTIAE_COUNTERPARTS,
  MINUTIAE_MEASURE_NAMES,
  NIST_COMPUTED_MEASURE_NAMES,
  type QualityMeasureName,
} from '../protocol/quality/index.ts';
import { decodePgm } from '../station/imaging/grey-image.ts';
import { readFixture, readNistQualityOutput } from '../test/support/fixtures.ts';

const FIXTURES = [1, 2, 3, 4, 5].map((n) => `SFinGe_Test0${n}`);

const ours = FIXTURES.map((name) => {
  const r = computeQualityMeasures(decodePgm(readFixture(`nfiq2/${name}.pgm`)));
  if (!r.ok) throw new Error(`${name}: ${r.error.reason}: ${r.error.detail}`);
  return r.value.measures;
});
const nist = FIXTURES.map(
  (name) => new Map([...readNistQualityOutput(name)].map(([k, v]) => [k, Number(v)] as const)),
);

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));
const isBin = (name: string) =>
  /_Bin10_\d$/.test(name) ||
  name === 'SufficientFingerprintForeground' ||
  name.includes('Count') ||
  name.includes('COMMinRect');

/** Largest |ours - NIST| (counts) or |ours - NIST| / |NIST| (other values) over the fixtures. */
function deviation(name: QualityMeasureName, nistName: string): { value: number; relative: boolean } {
  let worst = 0;
  const relative = !isBin(name) && !name.startsWith('MinutiaeQuality');
  FIXTURES.forEach((_, i) => {
    const a = ours[i]?.[name] ?? Number.NaN;
    const b = nist[i]?.get(nistName) ?? Number.NaN;
    const d = relative ? Math.abs(a - b) / Math.abs(b) : Math.abs(a - b);
    worst = Math.max(worst, d);
  });
  return { value: worst, relative };
}

function describeDeviation(d: { value: number; relative: boolean }): string {
  if (d.relative) return d.value === 0 ? '0' : `${(d.value * 100).toPrecision(2)} %`;
  return Number.isInteger(d.value) ? String(d.value) : d.value.toFixed(3);
}

const lines: string[] = [];
lines.push('### Summary: worst deviation over the five examples');
lines.push('');
lines.push('| Family | Mean (rel.) | StdDev (rel.) | Worst bin (counts) |');
lines.push('|---|---|---|---|');
for (const family of HISTOGRAM_FAMILIES) {
  const mean = deviation(`${family}_Bin10_Mean`, `${family}_Bin10_Mean`);
  const std = deviation(`${family}_Bin10_StdDev`, `${family}_Bin10_StdDev`);
  let bin = 0;
  for (let b = 0; b < 10; b++)
    bin = Math.max(
      bin,
      deviation(`${family}_Bin10_${b}` as QualityMeasureName, `${family}_Bin10_${b}`).value,
    );
  lines.push(`| ${family} | ${describeDeviation(mean)} | ${describeDeviation(std)} | ${bin} |`);
}
lines.push('');
lines.push('| Measure | Worst deviation |');
lines.push('|---|---|');
for (const name of [
  'Mu',
  'MMB',
  'ImgProcROIArea_Mean',
  'OrientationMap_ROIFilter_CoherenceSum',
  'OrientationMap_ROIFilter_CoherenceRel',
  ...ACTIONABLE_FEEDBACK_NAMES,
] as const) {
  const nistName = name === 'FingerprintImageWithMinutiae' ? 'FingerprintImageWithMinutiae' : name;
  const note = name === 'FingerprintImageWithMinutiae' ? ' (our minutiae vs FingerJet FX)' : '';
  lines.push(`| ${name} | ${describeDeviation(deviation(name, nistName))}${note} |`);
}
for (const name of MINUTIAE_MEASURE_NAMES)
  lines.push(
    `| ${name} vs ${MINUTIAE_COUNTERPARTS[name]} | ${describeDeviation(deviation(name, MINUTIAE_COUNTERPARTS[name]))} (not comparable: other minutiae) |`,
  );
lines.push('');
lines.push('Relative deviations are |ours - NIST| / |NIST|; counts and shares are absolute. NIST prints six');
lines.push('significant digits, so a relative deviation below 5e-6 is equality as far as the file can tell.');
lines.push('');
lines.push('### Every measure, ours / NIST');
lines.push('');
lines.push(`| Measure | ${FIXTURES.map((f) => f.replace('SFinGe_', '')).join(' | ')} |`);
lines.push(`|---|${FIXTURES.map(() => '---').join('|')}|`);
const rows: [QualityMeasureName, string][] = [
  ...NIST_COMPUTED_MEASURE_NAMES.map((n) => [n, n] as [QualityMeasureName, string]),
  ...ACTIONABLE_FEEDBACK_NAMES.map((n) => [n, n] as [QualityMeasureName, string]),
  ...MINUTIAE_MEASURE_NAMES.map((n) => [n, MINUTIAE_COUNTERPARTS[n]] as [QualityMeasureName, string]),
];
for (const [name, nistName] of rows) {
  const label = name === nistName ? name : `${name} / ${nistName}`;
  const cells = FIXTURES.map((_, i) => {
    const a = ours[i]?.[name] ?? Number.NaN;
    const b = nist[i]?.get(nistName) ?? Number.NaN;
    return fmt(a) === fmt(b) ? fmt(a) : `**${fmt(a)}** / ${fmt(b)}`;
  });
  lines.push(`| ${label} | ${cells.join(' | ')} |`);
}
lines.push('');
lines.push("A single number means ours prints exactly as NIST's; **ours** / NIST otherwise.");

const table = lines.join('\n');
console.log(table);

if (process.argv.includes('--write')) {
  const readme = new URL('../protocol/quality/README.md', import.meta.url);
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- quality-table:start -->';
  const end = '<!-- quality-table:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error('protocol/quality/README.md lacks the quality-table markers');
  writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  console.error('updated protocol/quality/README.md');
}
