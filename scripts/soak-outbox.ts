/**
 * `npm run soak:outbox` (issue 18 item 5): kills the station (and at times central) again and again
 * while enrollments are sealed and uploaded, then drains the queue and checks central's raw log:
 * no enrollment the station confirmed is lost, none is produced twice.
 *
 * The harness runs outside both processes. It puts its own nonce (the enrollment session id) in
 * each enrollment and counts an enrollment as CONFIRMED only when the station's enroll answered 200
 * (the packet is durable in the outbox). Unconfirmed enrollments are submitted again with the same
 * ids at a later start (an officer's retry). Each iteration starts the station, maybe arms one of
 * the six STATION_FAILPOINT names, submits 1-3 enrollments (at times at once), and SIGKILLs the
 * station while they are sealed or while they upload, unless the failpoint kills it first. Every
 * seventh iteration central is SIGKILLed too and restarted on its data folder.
 *
 * Environment:
 *   ITERATIONS        iterations (default 200)
 *   SOAK_SEED         seed of the plan (default: random, printed); same seed, same plan and ids
 *   SOAK_DIR          keep everything in this (new or empty) folder; default a temp folder,
 *                     removed after a passing run and kept after a failing one
 *   SOAK_RESULT       where the JSON figures go (default bench/results/soak-outbox.json)
 *   SOAK_DRAIN_MS     time limit of the drain (default 180000)
 *
 * Output: one progress line per iteration, the failpoint counts, then as the very last line
 * `soak: <N> crashes, <L> lost, <D> duplicated` (N = station kills: the harness's SIGKILLs and the
 * failpoints'). Exit 1 when L or D > 0, a failpoint was never hit, the drain did not finish, or the
 * run could not go on (a station that does not start, a hang); the reason is printed above.
 */
import { randomInt } from 'node:crypto';
import { promises as fs, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type SpawnedCentral, spawnCentral } from '../simulators/central/process.ts';
import type { FailpointName } from '../station/failpoints.ts';
import { type Confirmed, judgeLog, parseAcceptedLog, type SoakVerdict } from './soak/central-log.ts';
import { FailpointSchedule, type IterationPlan, planIteration, SOAK_FAILPOINTS } from './soak/schedule.ts';
import { installStationKeys, soakConfig } from './soak/setup.ts';
import {
  freePort,
  REPO_ROOT,
  requestJson,
  type SpawnedProcess,
  sleep,
  spawnNode,
  waitHealthy,
} from './soak/station-process.ts';

const STATION_ID = 'SOAK-01';
const STATION_START_MS = 60_000;
const ENROLL_TIMEOUT_MS = 60_000;
/**
 * How long an armed failpoint gets to fire after the iteration's enrollments were answered, before
 * the harness kills the station itself, ms.
 */
const FAILPOINT_WAIT_MS = 10_000;
/** While waiting for a failpoint, one more enrollment this often, ms. */
const FAILPOINT_NUDGE_MS = 2_000;

class SoakAbort extends Error {
  override readonly name = 'SoakAbort';
}

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    process.stderr.write(`soak: ${name} must be a positive whole number, not "${text}"\n`);
    process.exit(2);
  }
  return value;
}

interface Enrollment {
  readonly packetId: string;
  readonly enrollmentSessionId: string;
  readonly seed: number;
  attempts: number;
}

interface EnrollAnswer {
  readonly packetId?: unknown;
  readonly enrollmentSessionId?: unknown;
  readonly sha256?: unknown;
  readonly state?: unknown;
}

interface OutboxStats {
  readonly queued: number;
  readonly uploading: number;
  readonly acknowledged: number;
  readonly deadLetter: number;
  readonly quarantined: number;
}

class Soak {
  readonly iterations: number;
  readonly seed: number;
  readonly root: string;
  readonly keep: boolean;
  readonly drainMs: number;
  readonly centralDir: string;
  readonly stationDir: string;
  readonly logFile: string;
  readonly schedule = new FailpointSchedule();
  /** Submitted, not yet confirmed: submitted again later with the same ids. */
  readonly pending = new Map<string, Enrollment>();
  readonly confirmed = new Map<string, Confirmed>();
  readonly submitted = new Set<string>();
  /** Answers that break the enroll contract (200 naming other ids, a digest changing). */
  readonly anomalies: string[] = [];
  crashes = 0;
  centralKills = 0;
  resubmissions = 0;
  failpointMisses = 0;
  central: SpawnedCentral | undefined;
  station: SpawnedProcess | undefined;
  /** Expected time of an enroll, ms: the first in a process renders the simulated slaps. */
  firstEnrollMs = 8000;
  laterEnrollMs = 300;
  /** The first answered enroll of the current station process, ms (for the progress line). */
  firstAnswerMs: number | undefined;
  readonly started = performance.now();

  constructor(options: { iterations: number; seed: number; root: string; keep: boolean; drainMs: number }) {
    this.iterations = options.iterations;
    this.seed = options.seed;
    this.root = options.root;
    this.keep = options.keep;
    this.drainMs = options.drainMs;
    this.centralDir = path.join(this.root, 'central');
    this.stationDir = path.join(this.root, 'station');
    this.logFile = path.join(this.root, 'station.log');
  }

  elapsed(): string {
    return `${((performance.now() - this.started) / 1000).toFixed(1)} s`;
  }

  // ---- central --------------------------------------------------------------------------------

  async startCentral(): Promise<SpawnedCentral> {
    this.central = await spawnCentral({ dataDir: this.centralDir, environment: 'test' });
    return this.central;
  }

  async killCentral(downMs: number): Promise<void> {
    const central = this.central;
    if (central === undefined) return;
    central.kill('SIGKILL');
    await central.exited;
    this.centralKills += 1;
    await sleep(downMs);
    await this.startCentral();
  }

  // ---- setup ----------------------------------------------------------------------------------

  async setUp(): Promise<void> {
    await fs.mkdir(this.stationDir, { recursive: true });
    const central = await this.startCentral();
    await fs.writeFile(path.join(this.root, 'central-tls-ca.pem'), central.tlsCaPem);
    await fs.writeFile(
      path.join(this.root, 'central-statement-certificates.pem'),
      central.statementCertificatesPem.join('\n'),
    );
    await installStationKeys({
      stationDataDir: this.stationDir,
      stationId: STATION_ID,
      centralDataDir: this.centralDir,
    });
  }

  async startStation(failpoint: FailpointName | undefined, label: string): Promise<string> {
    const central = this.central;
    if (central === undefined) throw new SoakAbort('central is not running');
    const port = await freePort();
    const configFile = path.join(this.root, 'station.config.json');
    const config = soakConfig({
      stationId: STATION_ID,
      port,
      dataDir: this.stationDir,
      centralUrl: central.url,
      tlsCaFile: path.join(this.root, 'central-tls-ca.pem'),
      statementCertificatesFile: path.join(this.root, 'central-statement-certificates.pem'),
    });
    await fs.writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    await fs.appendFile(
      this.logFile,
      `\n=== ${label}: station on port ${port}, failpoint ${failpoint ?? 'none'} ===\n`,
    );
    this.station = spawnNode({
      args: ['station/main.ts'],
      env: { STATION_CONFIG: configFile, STATION_FAILPOINT: failpoint },
      logFile: this.logFile,
    });
    return `http://127.0.0.1:${port}`;
  }

  /** SIGKILLs the station (unless it is gone already) and counts the crash and its failpoint lines. */
  async endStation(): Promise<FailpointName[]> {
    const station = this.station;
    if (station === undefined) return [];
    const status = await station.kill('SIGKILL');
    this.station = undefined;
    const hits = [...station.failpoints()];
    for (const name of hits) this.schedule.recordHit(name);
    if (status.signal === 'SIGKILL') this.crashes += 1;
    else if (hits.length === 0)
      throw new SoakAbort(
        `the station exited on its own (code ${status.code}, signal ${status.signal}): ${station.stderrTail().trim()}`,
      );
    return hits;
  }

  // ---- enrollments ----------------------------------------------------------------------------

  /** Submits one enrollment; resolves true when the station confirmed it (200, durable). */
  async enroll(url: string, enrollment: Enrollment, first: boolean): Promise<boolean> {
    enrollment.attempts += 1;
    if (enrollment.attempts > 1) this.resubmissions += 1;
    this.submitted.add(enrollment.enrollmentSessionId);
    const began = performance.now();
    let answer: Awaited<ReturnType<typeof requestJson>>;
    try {
      answer = await requestJson(`${url}/sim/applicant/actions/enroll`, {
        method: 'POST',
        body: {
          seed: enrollment.seed,
          packetId: enrollment.packetId,
          enrollmentSessionId: enrollment.enrollmentSessionId,
        },
        timeoutMs: ENROLL_TIMEOUT_MS,
      });
    } catch (error) {
      if (this.station !== undefined && !this.station.gone() && /no answer within/.test(String(error)))
        this.anomalies.push(`enroll ${enrollment.packetId} hung: ${String(error)}`);
      return false;
    }
    if (answer.status !== 200) {
      if (this.station !== undefined && !this.station.gone())
        process.stdout.write(
          `soak:   enroll ${enrollment.packetId} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}\n`,
        );
      return false;
    }
    // The simulator route wraps an action's result: { name, action, result }.
    const wrapped = answer.body as { result?: EnrollAnswer };
    const body =
      (typeof wrapped === 'object' && wrapped !== null && wrapped.result) || (answer.body as EnrollAnswer);
    if (
      body.packetId !== enrollment.packetId ||
      body.enrollmentSessionId !== enrollment.enrollmentSessionId ||
      typeof body.sha256 !== 'string'
    ) {
      this.anomalies.push(
        `enroll ${enrollment.packetId} answered 200 with ${JSON.stringify(body).slice(0, 300)}`,
      );
      return false;
    }
    const ms = performance.now() - began;
    if (first) this.firstEnrollMs = 0.7 * this.firstEnrollMs + 0.3 * ms;
    else this.laterEnrollMs = 0.7 * this.laterEnrollMs + 0.3 * ms;
    this.firstAnswerMs ??= ms;
    const nonce = enrollment.enrollmentSessionId;
    const before = this.confirmed.get(nonce);
    if (before !== undefined && before.sha256 !== body.sha256)
      this.anomalies.push(
        `packet ${enrollment.packetId} was confirmed twice with different digests (${before.sha256}, ${body.sha256}): sealed again`,
      );
    this.confirmed.set(nonce, { packetId: enrollment.packetId, sha256: body.sha256.toLowerCase() });
    this.pending.delete(nonce);
    return true;
  }

  /** Submits these, all at once or one after the other; resolves when every answer (or error) is in. */
  async submitAll(url: string, list: readonly Enrollment[], concurrent: boolean, firstInProcess: boolean) {
    if (concurrent) {
      await Promise.all(list.map((enrollment, i) => this.enroll(url, enrollment, firstInProcess && i === 0)));
      return;
    }
    let first = firstInProcess;
    for (const enrollment of list) {
      if (this.station === undefined || this.station.gone()) return;
      await this.enroll(url, enrollment, first);
      first = false;
    }
  }

  fresh(plan: IterationPlan): Enrollment[] {
    return plan.enrollments.map((e) => {
      const enrollment = { ...e, attempts: 0 };
      this.pending.set(e.enrollmentSessionId, enrollment);
      return enrollment;
    });
  }

  // ---- one iteration --------------------------------------------------------------------------

  async iteration(index: number): Promise<void> {
    const failpoint = this.schedule.choose(index, this.iterations);
    const plan = planIteration(this.seed, index, failpoint);
    const label = `iteration ${index + 1}/${this.iterations}`;
    const retried = [...this.pending.values()].slice(0, 3);
    this.firstAnswerMs = undefined;
    const url = await this.startStation(failpoint, label);
    const startedAt = performance.now();
    const up = await waitHealthy(url, this.forStation(), STATION_START_MS);
    const startMs = performance.now() - startedAt;
    let centralRestart: Promise<void> | undefined;
    let how: string;
    if (up === 'exited') {
      how = 'died at start';
    } else {
      if (plan.centralKillAfterMs !== undefined) {
        const delay = plan.centralKillAfterMs;
        centralRestart = sleep(delay).then(() => this.killCentral(plan.centralDownMs));
      }
      const work = [...retried, ...this.fresh(plan)];
      how = await this.crash(url, plan, work);
    }
    const hits = await this.endStation();
    if (centralRestart !== undefined) await centralRestart;
    if (failpoint !== undefined && !hits.includes(failpoint)) this.failpointMisses += 1;
    const fp = hits.length > 0 ? `failpoint ${hits.join(',')}${up === 'exited' ? ' at start' : ''}` : how;
    process.stdout.write(
      `soak: ${label} up in ${(startMs / 1000).toFixed(1)} s, first enroll ${this.firstAnswerMs === undefined ? '-' : `${(this.firstAnswerMs / 1000).toFixed(1)} s`}, armed=${failpoint ?? '-'} -> ${fp}; confirmed ${this.confirmed.size}, unconfirmed ${this.pending.size}` +
        `${centralRestart === undefined ? '' : ', central killed and restarted'} (${this.elapsed()})\n`,
    );
  }

  forStation(): SpawnedProcess {
    if (this.station === undefined) throw new SoakAbort('no station is running');
    return this.station;
  }

  /** Runs the iteration's enrollments and kills the station as planned; says how it ended. */
  async crash(url: string, plan: IterationPlan, work: Enrollment[]): Promise<string> {
    const station = this.forStation();
    if (plan.failpoint !== undefined) {
      const sending = this.submitAll(url, work, plan.concurrent, true);
      await Promise.race([sending, station.exited]);
      const deadline = performance.now() + FAILPOINT_WAIT_MS;
      let nudges = 0;
      while (!station.gone() && performance.now() < deadline) {
        await Promise.race([station.exited, sleep(FAILPOINT_NUDGE_MS)]);
        const spare = plan.spares[nudges];
        if (station.gone() || spare === undefined) break;
        // Not hit yet: one more enrollment (an enqueue failpoint needs a new seal, an upload one a new upload).
        nudges += 1;
        const extra: Enrollment = { ...spare, attempts: 0 };
        this.pending.set(extra.enrollmentSessionId, extra);
        void this.enroll(url, extra, false);
      }
      return station.gone() ? `exited after ${nudges} extra enrollments` : 'failpoint missed, killed';
    }
    if (plan.killAt === 'enqueue') {
      const delay = plan.killDelay * (this.firstEnrollMs + this.laterEnrollMs * (work.length - 1));
      const sending = this.submitAll(url, work, plan.concurrent, true);
      const sent = sending.then(() => 'sent' as const);
      const early = await Promise.race([sleep(delay), station.exited, sent]);
      await station.kill('SIGKILL');
      await sending;
      return early === 'sent'
        ? 'killed as the enrollments were answered'
        : `killed ${Math.round(delay)} ms into enqueue`;
    }
    await this.submitAll(url, work, plan.concurrent, true);
    await Promise.race([sleep(plan.killDelay), station.exited]);
    return `killed ${plan.killDelay} ms into upload`;
  }

  // ---- drain ----------------------------------------------------------------------------------

  /** Starts a station with no failpoint, submits every unconfirmed enrollment, waits for an empty queue. */
  async drain(): Promise<{ ok: boolean; ms: number; reason?: string; stats?: OutboxStats }> {
    const began = performance.now();
    const deadline = began + this.drainMs;
    const url = await this.startStation(undefined, 'drain');
    const station = this.forStation();
    if ((await waitHealthy(url, station, STATION_START_MS)) === 'exited')
      return {
        ok: false,
        ms: performance.now() - began,
        reason: `the station exited at start: ${station.stderrTail().trim()}`,
      };
    process.stdout.write(`soak: drain: submitting ${this.pending.size} unconfirmed enrollments again\n`);
    let first = true;
    for (const enrollment of [...this.pending.values()]) {
      for (let attempt = 0; attempt < 3 && this.pending.has(enrollment.enrollmentSessionId); attempt += 1) {
        if (station.gone() || performance.now() > deadline) break;
        await this.enroll(url, enrollment, first);
        first = false;
      }
    }
    if (this.pending.size > 0)
      return {
        ok: false,
        ms: performance.now() - began,
        reason: `${this.pending.size} enrollments were never confirmed, even in the drain: ${[
          ...this.pending.values(),
        ]
          .map((e) => e.packetId)
          .join(', ')}`,
      };
    let stats: OutboxStats | undefined;
    let lastLine = 0;
    while (performance.now() < deadline) {
      if (station.gone())
        return {
          ok: false,
          ms: performance.now() - began,
          reason: `the station died during the drain: ${station.stderrTail().trim()}`,
        };
      try {
        const answer = await requestJson(`${url}/outbox`, { timeoutMs: 10_000 });
        if (answer.status === 200) stats = (answer.body as { stats: OutboxStats }).stats;
      } catch {
        // asked again below
      }
      if (
        stats !== undefined &&
        stats.queued === 0 &&
        stats.uploading === 0 &&
        stats.deadLetter === 0 &&
        stats.quarantined === 0
      )
        return { ok: true, ms: performance.now() - began, stats };
      if (stats !== undefined && (stats.deadLetter > 0 || stats.quarantined > 0))
        return {
          ok: false,
          ms: performance.now() - began,
          stats,
          reason: `dead-lettered or quarantined packets: ${await this.outboxProblems(url)}`,
        };
      if (performance.now() - lastLine > 10_000) {
        lastLine = performance.now();
        process.stdout.write(
          `soak: drain: ${JSON.stringify(stats ?? 'no /outbox answer yet')} (${this.elapsed()})\n`,
        );
      }
      await sleep(250);
    }
    return {
      ok: false,
      ms: performance.now() - began,
      ...(stats === undefined ? {} : { stats }),
      reason: `the queue did not drain within ${this.drainMs} ms: last stats ${JSON.stringify(stats)}; ${await this.outboxProblems(url)}`,
    };
  }

  async outboxProblems(url: string): Promise<string> {
    try {
      const answer = await requestJson(`${url}/outbox`, { timeoutMs: 10_000 });
      const packets = (answer.body as { packets?: { state?: string }[]; uploader?: unknown }).packets ?? [];
      const open = packets.filter((p) => p.state !== 'acknowledged');
      return `uploader ${JSON.stringify((answer.body as { uploader?: unknown }).uploader)}; packets not acknowledged: ${JSON.stringify(open).slice(0, 2000)}`;
    } catch (error) {
      return `GET /outbox failed: ${String(error)}`;
    }
  }

  async verdict(): Promise<{ verdict: SoakVerdict; unreadable: number }> {
    let text = '';
    try {
      text = await fs.readFile(path.join(this.centralDir, 'log', 'accepted.jsonl'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const parsed = parseAcceptedLog(text);
    for (const bad of parsed.unreadable)
      process.stdout.write(`soak: central's log line ${bad.line} is not a whole record: ${bad.text}\n`);
    return {
      verdict: judgeLog(parsed.lines, this.confirmed, this.submitted),
      unreadable: parsed.unreadable.length,
    };
  }

  async stopAll(): Promise<void> {
    const station = this.station;
    this.station = undefined;
    if (station !== undefined) await station.kill('SIGKILL');
    await this.central?.stop();
  }
}

async function makeRoot(): Promise<{ root: string; keep: boolean }> {
  const wanted = process.env.SOAK_DIR;
  if (wanted === undefined || wanted === '')
    return { root: await fs.mkdtemp(path.join(tmpdir(), 'soak-outbox-')), keep: false };
  const root = path.resolve(wanted);
  await fs.mkdir(root, { recursive: true });
  if ((await fs.readdir(root)).length > 0) {
    process.stderr.write(`soak: SOAK_DIR ${root} is not empty; give a new or empty folder\n`);
    process.exit(2);
  }
  return { root, keep: true };
}

async function main(): Promise<number> {
  const iterations = positiveInteger('ITERATIONS', 200);
  const seedText = process.env.SOAK_SEED;
  const seed = seedText === undefined || seedText === '' ? randomInt(0, 2 ** 31) : Number(seedText);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    process.stderr.write(`soak: SOAK_SEED must be a non-negative whole number, not "${seedText}"\n`);
    return 2;
  }
  const drainMs = positiveInteger('SOAK_DRAIN_MS', 180_000);
  const resultFile = path.resolve(
    process.env.SOAK_RESULT ?? path.join(REPO_ROOT, 'bench', 'results', 'soak-outbox.json'),
  );
  const { root, keep } = await makeRoot();
  const soak = new Soak({ iterations, seed, root, keep, drainMs });
  process.stdout.write(
    `soak: seed ${seed} (replay with SOAK_SEED=${seed}), ${iterations} iterations, folder ${root}\n`,
  );
  const stopOnSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`soak: ${signal}: stopping the station and central\n`);
    void soak.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const problems: string[] = [];
  let drain: Awaited<ReturnType<Soak['drain']>> | undefined;
  try {
    await soak.setUp();
    for (let index = 0; index < iterations; index += 1) await soak.iteration(index);
    drain = await soak.drain();
    if (!drain.ok) problems.push(`drain failed: ${drain.reason}`);
    else
      process.stdout.write(
        `soak: drained in ${(drain.ms / 1000).toFixed(1)} s: ${JSON.stringify(drain.stats)}\n`,
      );
  } catch (error) {
    problems.push(
      `the run stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    await soak.stopAll().catch((error: unknown) => problems.push(`stopping: ${String(error)}`));
  }

  const { verdict, unreadable } = await soak.verdict();
  const counts = soak.schedule.counts();
  const missing = soak.schedule.missing();
  if (missing.length > 0) problems.push(`failpoints never hit: ${missing.join(', ')}`);
  if (verdict.lost.length > 0) problems.push(`lost (confirmed, never produced): ${verdict.lost.join(', ')}`);
  if (verdict.duplicated.length > 0)
    problems.push(`duplicated (more than one accepted packet): ${verdict.duplicated.join(', ')}`);
  for (const m of verdict.mismatched)
    problems.push(
      `enrollment ${m.nonce}: the station confirmed packet ${m.confirmed.packetId} sha256 ${m.confirmed.sha256}, central produced ${m.logged.packetId} sha256 ${m.logged.sha256}`,
    );
  if (verdict.unknown.length > 0)
    problems.push(`central holds enrollments the harness never sent: ${verdict.unknown.join(', ')}`);
  if (unreadable > 0) problems.push(`${unreadable} lines of central's log are not whole records`);
  problems.push(...soak.anomalies);

  const wallMs = performance.now() - soak.started;
  const result = {
    seed,
    iterations,
    crashes: soak.crashes,
    lost: verdict.lost.length,
    duplicated: verdict.duplicated.length,
    mismatched: verdict.mismatched.length,
    failpoints: counts,
    failpointMisses: soak.failpointMisses,
    centralKills: soak.centralKills,
    enrollments: soak.submitted.size,
    confirmed: soak.confirmed.size,
    resubmissions: soak.resubmissions,
    drained: drain?.ok ?? false,
    drainMs: drain === undefined ? null : Math.round(drain.ms),
    wallMs: Math.round(wallMs),
    ok: problems.length === 0,
    problems,
    at: new Date().toISOString(),
  };
  mkdirSync(path.dirname(resultFile), { recursive: true });
  await fs.writeFile(resultFile, `${JSON.stringify(result, null, 2)}\n`);

  if (problems.length === 0 && !keep) await fs.rm(root, { recursive: true, force: true });
  for (const problem of problems) process.stdout.write(`soak: FAIL: ${problem}\n`);
  if (problems.length > 0)
    process.stdout.write(
      `soak: kept ${root} for diagnosis (station output: station.log); replay with SOAK_SEED=${seed}\n`,
    );
  process.stdout.write(
    `soak: ${soak.submitted.size} enrollments, ${soak.confirmed.size} confirmed, ${soak.resubmissions} re-submissions, central killed ${soak.centralKills} times, wall ${(wallMs / 1000).toFixed(1)} s\n`,
  );
  for (const name of SOAK_FAILPOINTS) process.stdout.write(`soak: failpoint ${name}: ${counts[name]}\n`);
  process.stdout.write(
    `soak: ${soak.crashes} crashes, ${verdict.lost.length} lost, ${verdict.duplicated.length} duplicated\n`,
  );
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
