/**
 * A full chip read through the real PC/SC stack: pcsclite → pcscd → vpcd → the simulated CCCD
 * (BAC, EF.COM, EF.SOD, DG1, DG2 of about 15 KB, DG13, DG14, DG15, then Passive Authentication),
 * in three ways:
 *
 *   extended      extended-length APDUs (reader and card both support them)
 *   short         short APDUs, the largest chunk 3DES secure messaging allows (231 bytes)
 *   short-223     short APDUs in the usual 223-byte chunks (0xDF), for comparison
 *
 * The APDU count is the real figure: vpcd adds tens of ms per APDU, so wall time here is mostly
 * the virtual reader's. Targets: DG2 of 15 KB in <= 70 APDUs with short APDUs, <= 4 extended.
 * Needs pcscd with vpcd listening (`npm run setup:test`). Run: npm run bench:card
 * (BENCH_RUNS reads per mode, default 7; BENCH_VPCD_PORT, default 35963 = 'Virtual PCD 00 00').
 * Writes bench/results/card.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { CardReaderDevice } from '../drivers/smartcard/card-reader.ts';
import { dataGroupFile } from '../protocol/icao9303/lds/files.ts';
import type { ApduTrace } from '../protocol/icao9303/reader.ts';
import { CccdCardSimulator } from '../simulators/card/cccd-card-sim.ts';
import { VpcdLink } from '../simulators/card/vpcd-link.ts';
import { readCard } from '../station/cards/read-card.ts';
import { type Summary, summarize } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const port = Number(process.env.BENCH_VPCD_PORT ?? 35963);
const readerName = `Virtual PCD 00 ${String(port - 35963).padStart(2, '0')}`;
const TARGETS = { dg2ShortApdus: 70, dg2ExtendedApdus: 4 } as const;

const sim = await CccdCardSimulator.create({ portrait: { width: 360, height: 480 } });
const link = new VpcdLink({ ...sim.card(), port });
const { NativePcsc } = await import('../drivers/smartcard/native-pcsc.ts');
const device = new CardReaderDevice({
  id: 'bench-reader',
  mode: 'hardware',
  openPort: () => NativePcsc.open(),
  reader: readerName,
  timeoutMs: 10_000,
});

interface ModeResult {
  readonly totalApdus: number;
  readonly dg2Apdus: number;
  readonly dg2Bytes: number;
  readonly wallMs: Summary;
  readonly dg2Ms: Summary;
  readonly accessMs: Summary;
  readonly passiveAuthenticationMs: Summary;
  readonly verdict: string;
}

const DG2_FID = dataGroupFile(2).fid;

/** APDUs from the SELECT of DG2 up to (not including) the next SELECT. */
function dg2Apdus(traces: readonly ApduTrace[]): number {
  const start = traces.findIndex(
    (t) =>
      t.plain.ins === 0xa4 &&
      t.plain.p1 === 0x02 &&
      (((t.plain.data?.[0] ?? 0) << 8) | (t.plain.data?.[1] ?? 0)) === DG2_FID,
  );
  if (start < 0) return 0;
  const next = traces.findIndex((t, i) => i > start && t.plain.ins === 0xa4);
  return (next < 0 ? traces.length : next) - start;
}

async function mode(
  name: string,
  options: { shortApdusOnly?: boolean; shortChunk?: number },
): Promise<ModeResult> {
  const wall: number[] = [];
  const dg2: number[] = [];
  const access: number[] = [];
  const pa: number[] = [];
  let totalApdus = 0;
  let dg2Count = 0;
  let dg2Bytes = 0;
  let verdict = '';
  for (let i = 0; i < runs + 1; i++) {
    const session = await device.connect(readerName);
    const traces: ApduTrace[] = [];
    try {
      const { check, report } = await readCard(session, {
        mrzInformation: sim.access().mrzInformation,
        trustStore: { cscaCertificates: [sim.cscaCertificate] },
        now: () => Date.now(),
        ...options,
        onApdu: (t) => traces.push(t),
      });
      if (i === 0) continue; // warm-up
      wall.push(report.timings.totalMs);
      dg2.push(report.timings.files.DG2 ?? Number.NaN);
      access.push(report.timings.accessMs);
      pa.push(report.timings.passiveAuthenticationMs);
      totalApdus = report.apdus;
      dg2Count = dg2Apdus(traces);
      dg2Bytes = report.dataGroups.get(2)?.length ?? 0;
      verdict = check.passiveAuthentication.verdict;
    } finally {
      await session.close();
    }
  }
  process.stdout.write(
    `${name}: ${totalApdus} APDUs, DG2 ${dg2Count} APDUs, ${summarize(wall).median} ms median\n`,
  );
  return {
    totalApdus,
    dg2Apdus: dg2Count,
    dg2Bytes,
    wallMs: summarize(wall),
    dg2Ms: summarize(dg2),
    accessMs: summarize(access),
    passiveAuthenticationMs: summarize(pa),
    verdict,
  };
}

let results: Record<string, ModeResult>;
try {
  await device.open();
  await link.insert();
  await device.waitForCard({ reader: readerName, timeoutMs: 10_000 });
  results = {
    extended: await mode('extended', {}),
    short: await mode('short', { shortApdusOnly: true }),
    'short-223': await mode('short-223', { shortApdusOnly: true, shortChunk: 223 }),
  };
} finally {
  await link.remove().catch(() => undefined);
  await device.close();
}

const met = {
  dg2ShortApdus: (results.short?.dg2Apdus ?? Number.POSITIVE_INFINITY) <= TARGETS.dg2ShortApdus,
  dg2ExtendedApdus: (results.extended?.dg2Apdus ?? Number.POSITIVE_INFINITY) <= TARGETS.dg2ExtendedApdus,
};
const table = [
  '| mode | APDUs, whole read | DG2 APDUs (DG2 bytes) | wall median / p95 ms | DG2 median ms | PA verdict |',
  '|---|---|---|---|---|---|',
  ...Object.entries(results).map(
    ([name, r]) =>
      `| ${name} | ${r.totalApdus} | ${r.dg2Apdus} (${r.dg2Bytes}) | ${r.wallMs.median} / ${r.wallMs.p95} | ${r.dg2Ms.median} | ${r.verdict} |`,
  ),
].join('\n');
process.stdout.write(
  `\n${table}\n\ntargets: DG2 <= 70 APDUs short (${met.dg2ShortApdus ? 'met' : 'MISSED'}), <= 4 extended (${met.dg2ExtendedApdus ? 'met' : 'MISSED'})\n`,
);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/card.json', import.meta.url),
  `${JSON.stringify(
    {
      benchmark: 'card',
      date: new Date().toISOString(),
      node: process.version,
      unit: 'ms',
      runs,
      reader: readerName,
      notes:
        'Full read through pcsclite, pcscd and vpcd of the simulated CCCD (BAC, COM, SOD, DG1, DG2, DG13, DG14, DG15) plus PA. The APDU count is the figure that carries to a real reader; wall time is dominated by vpcd.',
      targets: TARGETS,
      met,
      modes: results,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write('wrote bench/results/card.json\n');
