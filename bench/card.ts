/**
 * A full chip read through the real PC/SC stack: pcsclite → pcscd → vpcd → the simulated CCCD
 * (access control, EF.COM, EF.SOD, DG14, Chip Authentication, DG1, DG2 of about 15 KB, DG13, DG15,
 * Active Authentication, then Passive Authentication), in these ways:
 *
 *   pace-extended   PACE-CAN (AES), CA and AA, extended-length APDUs: what the station does
 *   pace-short      the same with short APDUs (223-byte chunks, the most AES messaging allows)
 *   bac-extended    BAC only, no CA or AA, extended length (the bare read, for comparison)
 *   bac-short       BAC with short APDUs, the largest chunk 3DES messaging allows (231 bytes)
 *   pace-ta-extended  pace-extended plus EAC: EF.CVCA, Terminal Authentication (DV and terminal
 *                   certificates, brainpoolP256r1) and DG3 (two WSQ fingers, about 27 KB)
 *   pace-ta-short   the same with short APDUs
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
import {
  planTerminalAuthentication,
  type TerminalCredentials,
  terminalAuthenticationMessage,
} from '../protocol/icao9303/terminal-auth.ts';
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
  /** With terminal credentials: TA (EF.CVCA included) and DG3, APDUs and ms. */
  readonly eac?: {
    readonly terminalAuthenticationApdus: number;
    readonly dg3Apdus: number;
    readonly dg3Bytes: number;
    readonly terminalAuthenticationMs: Summary;
    readonly dg3Ms: Summary;
    readonly fingerprints: string;
  };
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
    terminal?: TerminalCredentials;
  },
): Promise<ModeResult> {
  const taMs: number[] = [];
  const dg3Ms: number[] = [];
  let eacApdus = { terminalAuthentication: 0, dg3: 0 };
  let dg3Bytes = 0;
  let fingerprints = '';
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
      taMs.push(report.timings.terminalAuthenticationMs);
      dg3Ms.push(report.timings.files.DG3 ?? Number.NaN);
      eacApdus = report.eacApdus;
      dg3Bytes = report.dataGroups.get(3)?.length ?? 0;
      fingerprints =
        check.fingerprints.status === 'read'
          ? `read (${check.fingerprints.fingers.length})`
          : `unavailable: ${check.fingerprints.reason}`;
    } finally {
      await session.close();
    }
  }
  process.stdout.write(
    `${name}: ${totalApdus} APDUs, DG2 ${dg2Count} APDUs, ${summarize(wall).median} ms median${
      options.terminal
        ? `; TA ${eacApdus.terminalAuthentication} APDUs, DG3 ${eacApdus.dg3} APDUs (${fingerprints})`
        : ''
    }\n`,
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
    ...(options.terminal === undefined
      ? {}
      : {
          eac: {
            terminalAuthenticationApdus: eacApdus.terminalAuthentication,
            dg3Apdus: eacApdus.dg3,
            dg3Bytes,
            terminalAuthenticationMs: summarize(taMs),
            dg3Ms: summarize(dg3Ms),
            fingerprints,
          },
        }),
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

/**
 * The station's CPU time for Terminal Authentication, ms: planning (checking its own chain: two
 * ECDSA verifications on brainpoolP256r1 in pure JavaScript) and signing the challenge (Node).
 */
async function taStationCpu(samples: number): Promise<Summary> {
  const credentials = sim.terminalCredentials();
  const today = new Date().toISOString().slice(0, 10);
  const point = Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i));
  const out: number[] = [];
  for (let i = 0; i < samples + 2; i++) {
    const started = performance.now();
    const plan = planTerminalAuthentication({
      certificates: credentials.certificates,
      chipCars: [sim.eac.cvca.certificate.chr],
      today,
      crypto: nodeIcao9303Crypto,
    });
    if (!plan.ok) throw new Error(`TA plan failed: ${plan.error.detail}`);
    await credentials.signer.sign(
      terminalAuthenticationMessage(new Uint8Array(32), new Uint8Array(8), point),
    );
    if (i >= 2) out.push(performance.now() - started);
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
    'pace-ta-extended': await mode('pace-ta-extended', { terminal: sim.terminalCredentials() }),
    'pace-ta-short': await mode('pace-ta-short', {
      shortApdusOnly: true,
      terminal: sim.terminalCredentials(),
    }),
  };
} finally {
  await link.remove().catch(() => undefined);
  await device.close();
}

const paceCpu = await paceStationCpu(21);
const taCpu = await taStationCpu(21);
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
const eacTable = [
  '| mode | TA APDUs (EF.CVCA included) | TA median / p95 ms | DG3 APDUs (DG3 bytes) | DG3 median / p95 ms | fingerprints |',
  '|---|---|---|---|---|---|',
  ...Object.entries(results)
    .filter(([, r]) => r.eac !== undefined)
    .map(([name, r]) => {
      const e = r.eac as NonNullable<ModeResult['eac']>;
      return `| ${name} | ${e.terminalAuthenticationApdus} | ${e.terminalAuthenticationMs.median} / ${e.terminalAuthenticationMs.p95} | ${e.dg3Apdus} (${e.dg3Bytes}) | ${e.dg3Ms.median} / ${e.dg3Ms.p95} | ${e.fingerprints} |`;
    }),
].join('\n');
process.stdout.write(
  `\n${table}\n\n${eacTable}\n\nPACE, station CPU: ${paceCpu.median} ms median, ${paceCpu.p95} ms p95\n` +
    `TA, station CPU (plan + sign): ${taCpu.median} ms median, ${taCpu.p95} ms p95\n` +
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
        'Full read through pcsclite, pcscd and vpcd of the simulated CCCD (PACE-CAN or BAC, COM, SOD, DG14, CA, DG1, DG2, DG13, DG15, AA) plus PA; the pace-ta modes add EF.CVCA, Terminal Authentication and DG3 (eac). The APDU count is the figure that carries to a real reader; wall time is dominated by vpcd (tens of ms per APDU). paceStationCpuMs is measured in process: performPace against the simulated chip, minus the chip handler time.',
      targets: TARGETS,
      met,
      paceStationCpuMs: paceCpu,
      taStationCpuMs: taCpu,
      modes: results,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write('wrote bench/results/card.json\n');
