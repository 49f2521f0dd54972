/**
 * npm run bench:scanner: the FPSCAN path through the production driver and the simulated scanner
 * under its default link budget (8,000 reports/s of 1,024 bytes). Targets: a 1600x1500 slap
 * transfer in 350 ms or less; at least 15 preview frames/s at 400x375 end to end; at most 5 ms of
 * driver CPU per preview frame. Also, for reference (no target: the wire sets it), one R30x image
 * through the serial driver at the module's factory 57,600 bit/s. Writes bench/results/scanner.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { HidFingerprintScanner } from '../drivers/fingerprint/hid-scanner.ts';
import { R30xFingerprintScanner } from '../drivers/fingerprint/r30x-scanner.ts';
import { DeviceTrustStore } from '../drivers/fingerprint/trust.ts';
import { imageTransferBytes, serialTimeMs } from '../protocol/r30x/packet.ts';
import { decodePreview, encodePreview } from '../protocol/scanner/commands.ts';
import { foldReport, frameMessage, IDLE, type Reassembly } from '../protocol/scanner/framing.ts';
import { createDeviceCa, issueDeviceCertificate } from '../simulators/pki/device-ca.ts';
import { SIM_SLAP_SCANNER, SimulatedHidScanner } from '../simulators/scanner/hid-scanner-sim.ts';
import { SimulatedR30xModule } from '../simulators/scanner/r30x-sim.ts';
import { summarize } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 9);
const ca = await createDeviceCa('Bench CA');
const credentials = await issueDeviceCertificate(ca, { model: 'SIM-FAP60', serialNumber: 'BENCH-1' });
const device = new SimulatedHidScanner({ ...credentials, personSeed: 3, fingerDelayMs: 1500 });
const scanner = new HidFingerprintScanner({
  id: 'bench',
  mode: 'simulated',
  bus: device,
  match: { vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId },
  trust: new DeviceTrustStore([ca.certificate]),
  now: () => Date.now(),
});
await scanner.open();

// Slap transfer: from the device's "processing" STATUS to the verified image in hand (signing,
// 2,363 reports on the paced link, reassembly, CRC and signature check).
const transfer: number[] = [];
const previewFps: number[] = [];
for (let i = 0; i < runs; i++) {
  let processingAt = 0;
  const previewTimes: number[] = [];
  for await (const event of scanner.capture({
    mode: 'slap-right',
    timeoutMs: 10000,
    preview: true,
    previewScale: 4,
  })) {
    if (event.type === 'status' && event.status === 'processing') processingAt = performance.now();
    if (event.type === 'preview') previewTimes.push(performance.now());
    if (event.type === 'result') transfer.push(performance.now() - processingAt);
  }
  const first = previewTimes[0] ?? 0;
  const last = previewTimes.at(-1) ?? 0;
  if (previewTimes.length > 1) previewFps.push((previewTimes.length - 1) / ((last - first) / 1000));
}
await scanner.close();

// Driver CPU per 400x375 preview frame: reassembling its 148 reports and decoding it.
const preview = encodePreview({
  sequence: 1,
  fingers: 15,
  width: 400,
  height: 375,
  pixels: new Uint8Array(400 * 375).fill(200),
});
const reports = frameMessage({ cid: 42, cmd: 0x84, payload: preview }, 1024);
const cpu: number[] = [];
for (let i = 0; i < 200; i++) {
  const start = process.cpuUsage();
  let state: Reassembly = IDLE;
  for (const report of reports) {
    const outcome = foldReport(state, report, { size: 1024, cid: 42 });
    state = outcome.state;
    if (outcome.kind === 'message' && !decodePreview(outcome.message.payload).ok)
      throw new Error('bad preview');
  }
  const used = process.cpuUsage(start);
  cpu.push((used.user + used.system) / 1000);
}

// R30x: from the "capturing" status (GenImg answered OK) to the image in hand: UpImage, 289
// packets at 57,600 bit/s through the simulated module's paced line, unpacking.
const serialRuns = Number(process.env.BENCH_SERIAL_RUNS ?? 3);
const module = new SimulatedR30xModule({ fingerDelayMs: 100 });
const serial = new R30xFingerprintScanner({
  id: 'bench-serial',
  mode: 'simulated',
  opener: module,
  path: module.path,
});
await serial.open();
const serialImage: number[] = [];
for (let i = 0; i < serialRuns; i++) {
  let capturingAt = 0;
  for await (const event of serial.capture({ mode: 'flat-single', timeoutMs: 10000 })) {
    if (event.type === 'status' && event.status === 'capturing') capturingAt = performance.now();
    if (event.type === 'result') serialImage.push(performance.now() - capturingAt);
  }
}
await serial.close();
await module.close();

const result = {
  benchmark: 'scanner',
  date: new Date().toISOString(),
  node: process.version,
  linkBudget: { reportsPerSecond: 8000, reportBytes: 1024 },
  targets: { slapTransferMs: 350, previewFps: 15, driverCpuPerPreviewMs: 5 },
  slapTransferMs: summarize(transfer),
  previewFps: summarize(previewFps),
  driverCpuPerPreviewMs: summarize(cpu),
  serialImage: {
    baud: 57600,
    packetSize: 128,
    wireTimeMs: Math.round(serialTimeMs(imageTransferBytes(128), 57600)),
    ms: summarize(serialImage),
  },
};
console.table({
  'slap transfer, ms': result.slapTransferMs,
  'preview frames/s (400x375)': result.previewFps,
  'driver CPU per preview, ms': result.driverCpuPerPreviewMs,
  'R30x image at 57,600 bit/s, ms': result.serialImage.ms,
});
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/scanner.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
