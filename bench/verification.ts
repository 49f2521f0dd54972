/**
 * A notary verification through the API (issue 21 performance table: ≤ 3 s on vpcd), software and
 * virtual-reader time only: POST /verifications, card-key, card-read (PACE-CAN, PA, CA, AA; no EAC,
 * as the target defines it: BENCH_EAC=1 adds TA and DG3's 27 KB), status (central's population lookup over mutual
 * TLS), face (the real face engine: the live image against the chip's DG2), finger skipped, verdict,
 * report (CMS signature). The PDF is not rendered. Timed per step; median and p95 of the whole.
 *
 * The card is the embedded station's own simulated CCCD served through pcscd and the vpcd virtual
 * reader (the production PC/SC path); with BENCH_IN_PROCESS=1 the in-process PC/SC port instead.
 * The face engine starts (models load) before the timed runs. Needs pcscd with vpcd listening
 * (`npm run setup:test`). Run: npm run bench:verification (BENCH_RUNS, default 7;
 * BENCH_VPCD_PORT, default 35963). Writes bench/results/verification.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CardReaderDevice } from '../drivers/smartcard/card-reader.ts';
import type { CccdCardSimulator } from '../simulators/card/cccd-card-sim.ts';
import { VpcdLink } from '../simulators/card/vpcd-link.ts';
import { buildStation, type StationDeps } from '../station/app.ts';
import { CARD_READER_ID } from '../station/compose/cards.ts';
import { composeStation } from '../station/compose/embedded.ts';
import { parseConfig } from '../station/config/load.ts';
import { type Summary, summarize } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const port = Number(process.env.BENCH_VPCD_PORT ?? 35963);
const inProcess = process.env.BENCH_IN_PROCESS === '1';
const eac = process.env.BENCH_EAC === '1';
const TARGET_MS = 3000;

const dir = mkdtempSync(path.join(tmpdir(), 'bench-verification-'));
const config = parseConfig(
  {
    log: { level: 'silent' },
    dataDir: dir,
    devices: {
      fingerprintHid: { mode: 'disabled' },
      fingerprintSerial: { mode: 'disabled' },
      camera: { mode: 'disabled' },
      barcode: { mode: 'disabled' },
      hotplug: { mode: 'disabled' },
    },
    hotpath: { workers: 1 },
  },
  { baseDir: dir },
);
const clock = { now: () => Date.now(), monotonic: () => performance.now() };
// Without station/auth: the routes run as the workflows' default officer (sign-in is not what is measured).
const composed = await composeStation(config, {
  clock,
  logger: false,
  officers: {
    officerOf: () => undefined,
    signingGrant: async () => ({ ok: false, reason: 'no accounts in the bench' }),
  },
});
const card = composed.simulators?.find((s) => s.name === 'card') as CccdCardSimulator;
const composedCards = composed.cards;
if (composedCards === undefined) throw new Error('the embedded station has a card reader');
let deps: StationDeps = eac ? composed : { ...composed, cards: { ...composedCards, terminal: undefined } };
let link: VpcdLink | undefined;
if (!inProcess) {
  const cards = composed.cards;
  if (cards === undefined) throw new Error('the embedded station has a card reader');
  await composed.resources?.find((r) => 'placed' in r && r.placed instanceof Promise)?.close();
  link = new VpcdLink({ ...card.card(), port });
  const { NativePcsc } = await import('../drivers/smartcard/native-pcsc.ts');
  const reader = new CardReaderDevice({
    id: CARD_READER_ID,
    mode: 'hardware',
    openPort: () => NativePcsc.open(),
    reader: `Virtual PCD 00 ${String(port - 35963).padStart(2, '0')}`,
    timeoutMs: 10_000,
  });
  // Test-environment composition with one device swapped for the vpcd path: not production.
  deps = {
    ...deps,
    devices: [...composed.devices.filter((d) => d.id !== CARD_READER_ID), reader],
    cards: { ...cards, ...(eac ? {} : { terminal: undefined }), reader },
  };
}
const app = await buildStation(deps);
await link?.insert();
// The live image: the holder's portrait (the chip's DG2 source), decoded and analysed like a capture.
const live = Buffer.from(card.lds().portraitJpeg).toString('base64');
const access = card.access();
const key = { id12: access.id12, dateOfBirth: access.dateOfBirth, dateOfExpiry: access.dateOfExpiry };
await deps.faces?.get();
// The population lookup answers once the station has registered with central.
for (let i = 0; i < 200; i++) {
  const answer = await deps.verification?.centralGet?.(`/v1/population/cards/${access.id12}/status`);
  if (answer?.status === 200) break;
  await new Promise((r) => setTimeout(r, 50));
}

async function once(): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  const started = performance.now();
  let at = started;
  const mark = (name: string) => {
    const now = performance.now();
    times[name] = Math.round((now - at) * 10) / 10;
    at = now;
  };
  const created = await app.inject({ method: 'POST', url: '/verifications' });
  const id: string = created.json().sessionId;
  let version = 0;
  const step = async (name: string, body: Record<string, unknown> = {}) => {
    const r = await app.inject({
      method: 'POST',
      url: `/verifications/${id}/${name}`,
      payload: { version, ...body },
    });
    if (r.statusCode !== 200) throw new Error(`${name}: ${r.statusCode} ${r.body}`);
    version = r.json().version;
    mark(name);
    return r.json();
  };
  mark('create');
  await step('card-key', key);
  await step('card-read', { waitMs: 5000 });
  await step('status');
  const face = await step('face', { image: live });
  if (face.result.decision !== 'same')
    throw new Error(`the holder's face compared ${JSON.stringify(face.result)}`);
  await step('finger', { skip: true });
  const verdict = await step('verdict');
  if (verdict.result.code !== 'genuine-holder-present') throw new Error(`verdict ${verdict.result.code}`);
  await step('report');
  times.total = Math.round((performance.now() - started) * 10) / 10;
  return times;
}

await once(); // warm: first read, JIT
const samples: Record<string, number>[] = [];
for (let i = 0; i < runs; i++) samples.push(await once());
const stats: Record<string, Summary> = {};
for (const name of Object.keys(samples[0] ?? {})) stats[name] = summarize(samples.map((s) => s[name] ?? 0));
const total = stats.total;
const result = {
  transport: inProcess ? 'in-process PC/SC' : 'pcscd + vpcd',
  eac,
  runs,
  targetMs: TARGET_MS,
  meetsTarget: total !== undefined && total.p95 <= TARGET_MS,
  ms: stats,
};
console.log(JSON.stringify(result, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/verification.json', `${JSON.stringify(result, null, 2)}\n`);
await link?.remove().catch(() => undefined);
await app.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
