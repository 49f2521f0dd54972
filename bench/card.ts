/**
 * A full chip read through the real PC/SC stack: pcsclite → pcscd → vpcd → the simulated CCCD
 * (access control, EF.COM, EF.SOD, DG14, Chip Authentication, DG1, DG2 of about 15 KB, DG13, DG15,
 * Active Authentication, then Passive Authentication), in these ways:
 *
 *   pace-extended   PACE-CAN (AES), CA and AA, extended-length APDUs: what the station does
 *   pace-short      the same with short APDUs (223-byte chunks, the most AES messaging allows)
 *   bac-extended    BAC only, no CA or AA, extended length (the bare read, for comparison)
 *   bac-short       BAC with short APDUs, the largest chunk 3DES messaging allows (231 bytes)
 *
 * The APDU count is the real figure: vpcd adds tens of ms per APDU, so wall time here is mostly
 * the virtual reader's. Targets: DG2 of 15 KB in <= 70 APDUs with short APDUs, <= 4 extended.
 *
 * Separately, in process (no vpcd): the station's own CPU time for PACE (the terminal's side only:
 * the simulated chip's time is subtracted), target <= 50 ms, and for Chip Authentication.
 * Needs pcscd with vpcd listening (`npm run setup:test`). Run: npm run bench:card
 * (BENCH_RUNS reads per mode, default 7; BENCH_VPCD_PORT, default 35963 = 'Virtual PCD 00 00').
 * Writes bench/results/card.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { nodeIcao9303Crypto } from '../drivers/crypto/node-crypto.ts';
import { CardReaderDevice } from '../drivers/smartcard/card-reader.ts';
import { dataGroupFile } from '../protocol/icao9303/lds/files.ts';
import { performPace } from '../protocol/icao9303/pace.ts';
import type { AccessMethodName } from '../protocol/icao9303/read-document.ts';
import type { ApduTrace } from '../protocol/icao9303/reader.ts';
import { decodeResponse, encodeCommand } from '../protocol/iso7816/apdu.ts';
import { CccdCardSimulator, simulatedCardAccess } from '../simulators/card/cccd-card-sim.ts';
import { VpcdLink } from '../simulators/card/vpcd-link.ts';
import { readCard } from '../station/cards/read-card.ts';
import { type Summary, summarize } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const port = Number(process.env.BENCH_VPCD_PORT ?? 35963);
const readerName = `Virtual PCD 00 ${String(port - 35963).padStart(2, '0')}`;
const TARGETS = { dg2ShortApdus: 70, dg2ExtendedApdus: 4, paceStationCpuMs: 50 } as const;

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
  readonly chipAuthenticationMs: Summary;
  readonly activeAuthenticationMs: Summary;
  readonly passiveAuthenticationMs: Summary;
  readonly accessMethod: string;
  readonly verdict: string;
  readonly chipVerdict: string;
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
  options: {
    shortApdusOnly?: boolean;
    shortChunk?: number;
    methods?: readonly AccessMethodName[];
    skipChipAuthentication?: boolean;
  },
): Promise<ModeResult> {
  const wall: number[] = [];
  const dg2: number[] = [];
  const access: number[] = [];
  const ca: number[] = [];
  const aa: number[] = [];
  const pa: number[] = [];
  let accessMethod = '';
  let chipVerdict = '';
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
        can: sim.access().can,
        trustStore: { cscaCertificates: [sim.cscaCertificate] },
        now: () => Date.now(),
        ...options,
        onApdu: (t) => traces.push(t),
      });
      if (i === 0) continue; // warm-up
      wall.push(report.timings.totalMs);
      dg2.push(report.timings.files.DG2 ?? Number.NaN);
      access.push(report.timings.accessMs);
      ca.push(report.timings.chipAuthenticationMs);
      aa.push(report.timings.activeAuthenticationMs);
      accessMethod = report.accessMethod;
      chipVerdict = report.chip.kind;
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
    chipAuthenticationMs: summarize(ca),
    activeAuthenticationMs: summarize(aa),
    passiveAuthenticationMs: summarize(pa),
    accessMethod,
    verdict,
    chipVerdict,
  };
}

/**
 * The terminal's CPU time for one PACE, ms: wall time of `performPace` against the simulated chip
 * in process, minus the time spent inside the chip's handler.
 */
async function paceStationCpu(samples: number): Promise<Summary> {
  const { info } = simulatedCardAccess();
  const out: number[] = [];
  for (let i = 0; i < samples + 2; i++) {
    const card = sim.card();
    let chipMs = 0;
    const started = performance.now();
    const result = await performPace(
      async (command) => {
        const at = performance.now();
        const bytes = await card.application(encodeCommand(command));
        chipMs += performance.now() - at;
        const response = decodeResponse(bytes);
        if (!response.ok) throw new Error('chip answer is not an APDU');
        return response.value;
      },
      { crypto: nodeIcao9303Crypto, info, password: { kind: 'can', can: sim.access().can } },
    );
    const total = performance.now() - started;
    if (!result.ok) throw new Error(`PACE failed: ${result.error.detail}`);
    if (i >= 2) out.push(total - chipMs); // two warm-ups (JIT, curve tables)
  }
  return summarize(out);
}

let results: Record<string, ModeResult>;
try {
  await device.open();
  await link.insert();
  await device.waitForCard({ reader: readerName, timeoutMs: 10_000 });
  results = {
    'pace-extended': await mode('pace-extended', {}),
    'pace-short': await mode('pace-short', { shortApdusOnly: true }),
    'bac-extended': await mode('bac-extended', { methods: ['BAC'], skipChipAuthentication: true }),
    'bac-short': await mode('bac-short', {
      shortApdusOnly: true,
      methods: ['BAC'],
      skipChipAuthentication: true,
    }),
  };
} finally {
  await link.remove().catch(() => undefined);
  await device.close();
}

const paceCpu = await paceStationCpu(21);
const dg2Short = Math.max(
  results['pace-short']?.dg2Apdus ?? Infinity,
  results['bac-short']?.dg2Apdus ?? Infinity,
);
const dg2Extended = Math.max(
  results['pace-extended']?.dg2Apdus ?? Infinity,
  results['bac-extended']?.dg2Apdus ?? Infinity,
);
const met = {
  dg2ShortApdus: dg2Short <= TARGETS.dg2ShortApdus,
  dg2ExtendedApdus: dg2Extended <= TARGETS.dg2ExtendedApdus,
  paceStationCpuMs: paceCpu.median <= TARGETS.paceStationCpuMs,
};
const table = [
  '| mode | opened with | APDUs, whole read | DG2 APDUs (DG2 bytes) | wall median / p95 ms | access median ms | CA median ms | AA median ms | PA verdict | chip verdict |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...Object.entries(results).map(
    ([name, r]) =>
      `| ${name} | ${r.accessMethod} | ${r.totalApdus} | ${r.dg2Apdus} (${r.dg2Bytes}) | ${r.wallMs.median} / ${r.wallMs.p95} | ${r.accessMs.median} | ${r.chipAuthenticationMs.median} | ${r.activeAuthenticationMs.median} | ${r.verdict} | ${r.chipVerdict} |`,
  ),
].join('\n');
process.stdout.write(
  `\n${table}\n\nPACE, station CPU: ${paceCpu.median} ms median, ${paceCpu.p95} ms p95\n` +
    `targets: DG2 <= 70 APDUs short (${met.dg2ShortApdus ? 'met' : 'MISSED'}), <= 4 extended (${met.dg2ExtendedApdus ? 'met' : 'MISSED'}), PACE station CPU <= 50 ms median (${met.paceStationCpuMs ? 'met' : 'MISSED'})\n`,
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
        'Full read through pcsclite, pcscd and vpcd of the simulated CCCD (PACE-CAN or BAC, COM, SOD, DG14, CA, DG1, DG2, DG13, DG15, AA) plus PA. The APDU count is the figure that carries to a real reader; wall time is dominated by vpcd (tens of ms per APDU). paceStationCpuMs is measured in process: performPace against the simulated chip, minus the chip handler time.',
      targets: TARGETS,
      met,
      paceStationCpuMs: paceCpu,
      modes: results,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write('wrote bench/results/card.json\n');
