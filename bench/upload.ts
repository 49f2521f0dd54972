/**
 * npm run bench:upload: the station's uploader (station/uploader) against the central simulator
 * running in a CHILD process (spawnCentral, as the product runs it), over loopback HTTPS with
 * mutual TLS. Issue 18 targets:
 * - upload of 600 KB packets, receipts verified and stored as in production: >= 25 packets/s with
 *   4 in parallel, >= 10 packets/s sequential (per-packet latency median and p95 beside them);
 * - bytes sent again after a connection cut mid-upload: <= one chunk (the station config's
 *   `uploader.chunkSizeBytes`, default 256 KiB, which is also the chunk size used here).
 * Writes bench/results/upload.json.
 *
 * Packets are real sealed packets, built by protocol/packet/build.ts (ANSI/NIST transaction, CMS
 * signed with a station key certified by central's simulated station CA, encrypted to central's
 * key-transport certificate), padded to about 600 KB with two fingers of random image bytes (the
 * station's own packets are about 400 KB). Central opens, verifies and commits each one (fsync,
 * rename) and signs a receipt; the uploader verifies it against central's pinned statement
 * certificates and stores it in an Outbox on NodeOutboxFs (fsynced), exactly as the station does.
 *
 * Per-packet latency: from the claim (the packet read from the outbox and its digest checked) to
 * the receipt stored. Packets/s: packets / (first start to last receipt).
 *
 * Resent bytes: through the chaos proxy (test/support/chaos-proxy.ts), one packet at a time, the
 * connection is cut once after N bytes went up since the packet started (N at several offsets);
 * the uploader reconnects, asks central's offset with HEAD and resumes. The request-body bytes the
 * client wrote are counted at the transport's throttle (every body byte passes it); resent = that
 * count minus the packet size. The extra bytes on the wire (proxy, both attempts, TLS handshake and
 * headers of the reconnect included) are reported beside it, against a clean upload.
 *
 * This VM has 2 cores shared with other work and is noisy: figures vary from run to run; measure
 * again on the station's hardware.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createNodePaCrypto } from '../drivers/crypto/pa-node.ts';
import { spawnCentral } from '../simulators/central/process.ts';
import { NodeOutboxFs } from '../station/outbox/node-fs.ts';
import { Outbox } from '../station/outbox/outbox.ts';
import {
  CentralClient,
  CentralTransport,
  createCentralUploader,
  Uploader,
  type UploaderEvent,
} from '../station/uploader/index.ts';
import {
  acceptedLog,
  type EnrolledStation,
  enrollStation,
  packetSealer,
  pinnedStatementKeys,
  type SealedPacket,
} from '../test/support/central-station.ts';
import { startChaosProxy } from '../test/support/chaos-proxy.ts';

const PACKETS = Number(process.env.BENCH_PACKETS ?? 100);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 8);
/** The station config's default `uploader.chunkSizeBytes` (station/config/schema.ts). */
const CHUNK = 256 * 1024;
/** Two fingers of this many bytes make a sealed packet of about 600 KB (600 × 1024 bytes). */
const IMAGE_BYTES = 305_000;
/** Bytes forwarded up since the packet started before the one cut. */
const CUT_OFFSETS = [50_000, 150_000, 270_000, 390_000, 500_000, 590_000];
const STATION_ID = 'station-bench-upload';
const verifySignature = createNodePaCrypto().verifySignature;

/** CPU time of a process so far, ms (Linux /proc; null elsewhere). Clock ticks are 100 Hz on Linux. */
function childCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function summary(times: readonly number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return {
    runs: sorted.length,
    medianMs: +at(0.5).toFixed(2),
    p95Ms: +at(0.95).toFixed(2),
    maxMs: +at(1).toFixed(2),
  };
}

const loadAtStart = os.loadavg()[0] ?? 0;
const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-upload-'));
const central = await spawnCentral({
  dataDir: path.join(dir, 'central'),
  environment: 'test',
  statusStepMs: 3_600_000,
  // e.g. BENCH_CENTRAL_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles central's process.
  ...(process.env.BENCH_CENTRAL_NODE_OPTIONS
    ? { env: { NODE_OPTIONS: process.env.BENCH_CENTRAL_NODE_OPTIONS } }
    : {}),
});
try {
  const station = await enrollStation(central, STATION_ID);
  const pinned = pinnedStatementKeys(central.statementCertificatesPem);
  const seal = packetSealer(central, station, { imageBytes: IMAGE_BYTES });
  const tls = { key: station.keyPem, cert: station.certificatePem, ca: central.tlsCaPem };

  const sealMany = async (n: number) => {
    const out: SealedPacket[] = [];
    for (let i = 0; i < n; i += 1) out.push(await seal());
    return out;
  };

  /** Uploads `packets` with `concurrency` workers; latencies and packets/s. */
  const run = async (name: string, concurrency: number, packets: readonly SealedPacket[]) => {
    const outbox = await Outbox.open({ fs: new NodeOutboxFs(path.join(dir, name)) });
    for (const p of packets) await outbox.enqueue(p.id, p.bytes);
    const u = createCentralUploader({
      url: central.url,
      tls,
      outbox,
      pinned,
      verifySignature,
      stationId: STATION_ID,
      environment: 'test',
      settings: { concurrency, chunkSize: CHUNK },
    });
    const claimedAt = new Map<string, number>();
    const latencies: number[] = [];
    const problems: string[] = [];
    let acknowledged = 0;
    const done = new Promise<void>((resolve, reject) => {
      u.uploader.subscribe((e: UploaderEvent) => {
        const now = performance.now();
        if (e.type === 'state')
          for (const id of e.state.uploading) if (!claimedAt.has(id)) claimedAt.set(id, now);
        if (e.type === 'problem') problems.push(`${e.code}: ${e.detail}`);
        if (e.type === 'dead-lettered') reject(new Error(`${e.packetId} dead-lettered: ${e.code}`));
        if (e.type === 'acknowledged') {
          latencies.push(now - (claimedAt.get(e.packetId) ?? now));
          acknowledged += 1;
          if (acknowledged === packets.length) resolve();
        }
      });
    });
    const started = performance.now();
    const cpu = { station: process.cpuUsage(), central: childCpuMs(central.pid) };
    u.uploader.start();
    await done;
    const seconds = (performance.now() - started) / 1000;
    const stationCpu = process.cpuUsage(cpu.station);
    const centralCpuNow = childCpuMs(central.pid);
    const cpuMsPerPacket = {
      station: +((stationCpu.user + stationCpu.system) / 1000 / packets.length).toFixed(1),
      central:
        centralCpuNow === null || cpu.central === null
          ? null
          : +((centralCpuNow - cpu.central) / packets.length).toFixed(1),
    };
    await u.close();
    const states = outbox.list().map((e) => e.state);
    if (states.some((s) => s !== 'acknowledged')) throw new Error(`${name}: not all acknowledged`);
    return { latencies, packetsPerSecond: packets.length / seconds, seconds, problems, cpuMsPerPacket };
  };

  // Warm-up (TLS sessions, the child's JIT), then the two timed modes, each on fresh packets.
  const warm = await sealMany(WARMUP);
  await run('warm', 4, warm);
  const sequentialPackets = await sealMany(PACKETS);
  const packetBytes = sequentialPackets.map((p) => p.bytes.length);
  const sequential = await run('sequential', 1, sequentialPackets);
  const parallelPackets = await sealMany(PACKETS);
  const parallel = await run('parallel', 4, parallelPackets);

  // Resent bytes after one cut, through the chaos proxy.
  const port = Number(new URL(central.url).port);
  const proxy = await startChaosProxy({ target: { host: '127.0.0.1', port } });
  const resentRuns = await cutRuns(station, pinned, proxy, tls);
  await proxy.close();

  const accepted = acceptedLog(central.dataDir);
  const allIds = [...warm, ...sequentialPackets, ...parallelPackets].map((p) => p.id);
  const perId = new Map<string, number>();
  for (const line of accepted)
    if (line.packetId) perId.set(line.packetId, (perId.get(line.packetId) ?? 0) + 1);
  const duplicated = allIds.filter((id) => (perId.get(id) ?? 0) > 1).length;
  const missing = allIds.filter((id) => (perId.get(id) ?? 0) === 0).length;

  const maxResent = Math.max(...resentRuns.runs.map((r) => r.resentBodyBytes));
  const result = {
    node: process.version,
    machine:
      "this VM's 2 cores are shared with other work and the machine is noisy: figures vary from run to run",
    loadAverage1m: {
      start: +loadAtStart.toFixed(2),
      end: +(os.loadavg()[0] ?? 0).toFixed(2),
      cores: os.cpus().length,
    },
    setup: {
      central: 'simulators/central in a child process (spawnCentral), loopback HTTPS with mutual TLS',
      packets:
        'real sealed packets (protocol/packet/build.ts: ANSI/NIST, CMS signed by the station, encrypted to central), two 305,000-byte fingers of random bytes: about 600 KB; the station seals about 400 KB',
      receipts:
        "verified by the uploader against central's pinned statement certificates and stored in an Outbox on NodeOutboxFs",
      chunkSizeBytes: CHUNK,
      packetBytes: { min: Math.min(...packetBytes), max: Math.max(...packetBytes) },
      cpuMsPerPacket:
        'CPU time per packet of the station process (uploader, TLS, outbox) and of the central child (TLS, tus, open, verify, commit, sign)',
      latency: 'from the claim (packet read from the outbox, digest checked) to the receipt stored',
    },
    uploadSequential: {
      packets: PACKETS,
      concurrency: 1,
      ...summary(sequential.latencies),
      packetsPerSecond: +sequential.packetsPerSecond.toFixed(1),
      targetPacketsPerSecond: 10,
      problems: sequential.problems.length,
      cpuMsPerPacket: sequential.cpuMsPerPacket,
    },
    uploadParallel4: {
      packets: PACKETS,
      concurrency: 4,
      ...summary(parallel.latencies),
      packetsPerSecond: +parallel.packetsPerSecond.toFixed(1),
      targetPacketsPerSecond: 25,
      problems: parallel.problems.length,
      cpuMsPerPacket: parallel.cpuMsPerPacket,
    },
    centralLog: { packets: allIds.length, duplicated, missing },
    resentAfterCut: {
      chunkSizeBytes: CHUNK,
      maxResentBodyBytes: maxResent,
      targetMaxBytes: CHUNK,
      cleanUploadBytesUp: resentRuns.clean,
      runs: resentRuns.runs,
      note: 'resentBodyBytes = request-body bytes the client wrote (counted at the transport) minus the packet size; extraBytesUpOnWire = bytes through the proxy minus a clean upload of the same packet size, the reconnect (TLS handshake, HEAD, headers) included',
    },
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/upload.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench/results/upload.json');
} finally {
  await central.stop();
  await rm(dir, { recursive: true, force: true });
}

/**
 * One clean upload, then one upload per offset cut once after that many bytes went up. The
 * uploader is assembled as createCentralUploader assembles it, with a throttle that only counts.
 */
async function cutRuns(
  station: EnrolledStation,
  pinned: ReturnType<typeof pinnedStatementKeys>,
  proxy: Awaited<ReturnType<typeof startChaosProxy>>,
  tls: { key: string; cert: string; ca: string },
) {
  const seal = packetSealer(central, station, { imageBytes: IMAGE_BYTES });
  const outbox = await Outbox.open({ fs: new NodeOutboxFs(path.join(dir, 'cuts')) });
  let bodyBytes = 0;
  const transport = new CentralTransport({
    tls,
    maxSockets: 2,
    throttle: {
      take: async (n) => {
        bodyBytes += n;
      },
    },
  });
  const fast = { baseMs: 10, maxMs: 100, factor: 2 };
  const uploader = new Uploader({
    outbox,
    central: new CentralClient({ url: proxy.url('', 'https'), transport, chunkSize: CHUNK }),
    pinned,
    verifySignature,
    stationId: STATION_ID,
    environment: 'test',
    settings: { concurrency: 1, backoff: fast, probeBackoff: fast },
  });
  let waiting: { id: string; resolve: () => void; reject: (e: Error) => void } | undefined;
  let bodyAtProblem: number | undefined;
  uploader.subscribe((e) => {
    if (e.type === 'problem' && e.packetId !== undefined && bodyAtProblem === undefined)
      bodyAtProblem = bodyBytes;
    if (e.type === 'dead-lettered') waiting?.reject(new Error(`${e.packetId} dead-lettered: ${e.code}`));
    if (e.type === 'acknowledged' && e.packetId === waiting?.id) waiting.resolve();
  });
  uploader.start();
  const once = async (cutAfter: number | undefined) => {
    const packet = await seal();
    const acknowledged = new Promise<void>((resolve, reject) => {
      waiting = { id: packet.id, resolve, reject };
    });
    const before = { body: bodyBytes, up: proxy.stats.bytesUp, cuts: proxy.stats.cuts };
    bodyAtProblem = undefined;
    if (cutAfter !== undefined) proxy.cutAfter(cutAfter);
    await outbox.enqueue(packet.id, packet.bytes);
    uploader.wake();
    await acknowledged;
    return {
      size: packet.bytes.length,
      body: bodyBytes - before.body,
      up: proxy.stats.bytesUp - before.up,
      cuts: proxy.stats.cuts - before.cuts,
      bodyBeforeCut: bodyAtProblem === undefined ? undefined : bodyAtProblem - before.body,
    };
  };
  try {
    await once(undefined); // a connection to reuse, as in the runs below
    const clean = await once(undefined);
    const runs = [];
    for (const offset of CUT_OFFSETS) {
      const r = await once(offset);
      if (r.cuts !== 1) throw new Error(`cut after ${offset} bytes: ${r.cuts} cuts happened, not 1`);
      runs.push({
        cutAfterBytesUp: offset,
        packetBytes: r.size,
        clientBodyBytesBeforeCutSeen: r.bodyBeforeCut ?? null,
        clientBodyBytesTotal: r.body,
        resentBodyBytes: r.body - r.size,
        extraBytesUpOnWire: r.up - clean.up - (r.size - clean.size),
      });
    }
    return { clean: clean.up, runs };
  } finally {
    await uploader.stop();
    transport.close();
  }
}
