/**
 * Benchmark of the audit trail (station/audit): run with `node --import tsx bench/audit.ts` (the
 * lead may add `npm run bench:audit`). No issue target; these figures size the trail's cost in a
 * workflow step and at station start.
 *
 * - one `record()` awaited at a time (each its own write + fdatasync): latency p50/p95;
 * - bursts of 50 concurrent `record()`s (group commit: one write + fdatasync per batch): entries/s;
 * - opening a log of BENCH_AUDIT_ENTRIES entries (default 20,000): the whole verification at start,
 *   and `verifyAtOpen: 'since-mark'` (only what follows the verified mark);
 * - a signed checkpoint (ECDSA P-256 file key).
 * Writes bench/results/audit.json. The folder is fresh under the OS temp directory or BENCH_AUDIT_DIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { auditLogFile, openAuditTrail } from '../station/audit/trail.ts';
import { createStationCa, fileSigner, issueStationCertificate } from '../test/support/packet-keys.ts';

const SINGLES = Number(process.env.BENCH_RUNS ?? 300);
const BURSTS = Number(process.env.BENCH_BURSTS ?? 20);
const ENTRIES = Number(process.env.BENCH_AUDIT_ENTRIES ?? 20_000);

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return {
    runs: sorted.length,
    medianMs: +at(0.5).toFixed(3),
    p95Ms: +at(0.95).toFixed(3),
    maxMs: +at(1).toFixed(3),
  };
}

const event = (i: number) => ({
  actor: 'officer-042',
  action: 'enrollment.step',
  outcome: 'ok' as const,
  subject: { citizen: '079203001234', session: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d' },
  details: { step: 'fingerprints', attempt: i % 3, quality: 71 },
});

const dir = await mkdtemp(path.join(process.env.BENCH_AUDIT_DIR ?? os.tmpdir(), 'bench-audit-'));
try {
  const ca = await createStationCa();
  const signer = fileSigner(await issueStationCertificate(ca));
  const clock = { now: () => Date.now() };
  const trail = await openAuditTrail({
    dataDir: dir,
    clock,
    signer,
    checkpoints: { everyEntries: 1_000_000 },
  });

  const singles: number[] = [];
  for (let i = 0; i < SINGLES; i++) {
    const t = performance.now();
    await trail.record(event(i));
    singles.push(performance.now() - t);
  }

  const bursts: number[] = [];
  for (let b = 0; b < BURSTS; b++) {
    const t = performance.now();
    await Promise.all(Array.from({ length: 50 }, (_, i) => trail.record(event(i))));
    bursts.push(performance.now() - t);
  }

  const checkpoints: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await trail.checkpoint();
    checkpoints.push(performance.now() - t);
  }

  // Fill to ENTRIES in large bursts, then time opening (full verification) a few times.
  while (trail.head().seq < ENTRIES)
    await Promise.all(Array.from({ length: 500 }, (_, i) => trail.record(event(i))));
  await trail.close();
  const logBytes = (await stat(auditLogFile(dir))).size;
  const opens: number[] = [];
  const marked: number[] = [];
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    const again = await openAuditTrail({ dataDir: dir, clock });
    opens.push(performance.now() - t);
    await again.close();
    t = performance.now();
    const quick = await openAuditTrail({ dataDir: dir, clock, verifyAtOpen: 'since-mark' });
    marked.push(performance.now() - t);
    await quick.close();
  }

  const burstSummary = summary(bursts);
  const result = {
    node: process.version,
    disk: 'fresh folder under the OS temp directory (or BENCH_AUDIT_DIR)',
    recordOneAtATime: summary(singles),
    burstOf50: { ...burstSummary, entriesPerSecond: +((50 * 1000) / burstSummary.medianMs).toFixed(0) },
    signedCheckpoint: summary(checkpoints),
    openAndVerify: {
      entries: ENTRIES,
      logBytes,
      bytesPerEntry: +(logBytes / ENTRIES).toFixed(0),
      ...summary(opens),
    },
    openSinceMark: { entries: ENTRIES, ...summary(marked) },
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/audit.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench/results/audit.json');
} finally {
  await rm(dir, { recursive: true, force: true });
}
