/**
 * `npm run bench:startup` (issue 21, part 9): how fast the built station and CLI start.
 *
 * - CLI start: `node dist/station/cli/bin.js --version`, warm (page cache and Node's compile cache as
 *   a second run finds them), median and p95 of BENCH_CLI_RUNS (10); target ≤ 300 ms. Beside it, for
 *   the record: the same through the launcher's entry (station/cli/bin.mjs, which checks the build is
 *   current first) and `--help`, which loads every command module.
 * - Service start: `npm start` to the first 200 from /health, over a real socket (target ≤ 2 s warm),
 *   and, for the record, to the service's own /health (devices opened; until then the startup gate
 *   answers `starting`) and to status `ok`; one cold start (a new data directory: the embedded
 *   central mints its keys) and BENCH_START_RUNS (3) warm ones on the same data directory.
 *
 * Builds dist/ first when it is missing or older than the sources (the build is not timed). Writes
 * bench/results/startup.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { type Summary, summarize } from './stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI_RUNS = Number(process.env.BENCH_CLI_RUNS ?? 10);
const START_RUNS = Number(process.env.BENCH_START_RUNS ?? 3);
const CLI_TARGET_MS = 300;
const START_TARGET_MS = 2000;
/** Give up on one start after this long, ms. */
const START_LIMIT_MS = 60_000;

function buildIfStale(): void {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error(`npm run build failed (exit ${built.status})`);
}

/** Wall time of one `node <args>` to its exit, ms; throws when it fails. */
function timeNode(args: readonly string[]): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });
  const took = performance.now() - start;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return took;
}

/** This process's environment without loader options (the bench itself runs under tsx). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _drop, ...env } = process.env;
  return { ...env, ...extra };
}

function timeCli(args: readonly string[]): Summary {
  for (let i = 0; i < 2; i++) timeNode(args);
  const samples: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) samples.push(timeNode(args));
  return summarize(samples);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface StartTimes {
  /** To the first 200 from /health (the startup gate's `starting`, or the service's own), ms. */
  readonly firstHealthMs: number;
  /** To the first /health from the service itself (devices opened, central up), ms. */
  readonly serviceMs: number;
  /** To the first /health with status `ok` (also central reachable), ms. */
  readonly okMs: number;
}

/** `npm start` until /health says `ok`; then SIGTERM to npm and wait for the group to exit. */
async function timeNpmStart(configFile: string, port: number): Promise<StartTimes> {
  const start = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: cleanEnv({ STATION_CONFIG: configFile }),
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let firstHealthMs: number | undefined;
  let serviceMs: number | undefined;
  try {
    while (performance.now() - start < START_LIMIT_MS) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${stderr}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`, {
          signal: AbortSignal.timeout(1000),
        });
        const body = (await response.json()) as { status?: unknown };
        const at = performance.now() - start;
        if (response.status === 200) {
          firstHealthMs ??= at;
          if (body.status !== 'starting') serviceMs ??= at;
          if (body.status === 'ok' && serviceMs !== undefined) return { firstHealthMs, serviceMs, okMs: at };
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no /health "ok" within ${START_LIMIT_MS} ms: ${stderr}`);
  } finally {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
    const killer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(killer);
  }
}

buildIfStale();
const cliVersion = timeCli(['dist/station/cli/bin.js', '--version']);
const launcherVersion = timeCli(['station/cli/bin.mjs', '--version']);
const cliHelp = timeCli(['dist/station/cli/bin.js', '--help']);

const loadBefore = loadavg();
const dir = mkdtempSync(path.join(tmpdir(), 'bench-startup-'));
let cold: StartTimes;
const warm: StartTimes[] = [];
try {
  const port = await freePort();
  const configFile = path.join(dir, 'station.json');
  writeFileSync(configFile, JSON.stringify({ server: { port }, dataDir: 'data', log: { level: 'warn' } }));
  cold = await timeNpmStart(configFile, port);
  for (let i = 0; i < START_RUNS; i++) warm.push(await timeNpmStart(configFile, port));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const warmFirst = summarize(warm.map((t) => t.firstHealthMs));
const warmService = summarize(warm.map((t) => t.serviceMs));
const warmOk = summarize(warm.map((t) => t.okMs));

const line = (name: string, s: Summary, target?: number) =>
  `${name.padEnd(48)} median ${String(s.median).padStart(8)} ms   p95 ${String(s.p95).padStart(8)} ms   (n=${s.n})${target === undefined ? '' : `   target ≤ ${target} ms${s.median <= target ? ' (met)' : ' (MISSED)'}`}`;
const coldLine = (name: string, ms: number) => `${name.padEnd(48)} ${ms.toFixed(0)} ms`;
process.stdout.write(
  `${[
    line('node dist/station/cli/bin.js --version', cliVersion, CLI_TARGET_MS),
    line('node station/cli/bin.mjs --version', launcherVersion),
    line('node dist/station/cli/bin.js --help', cliHelp),
    coldLine('npm start → first /health 200, cold data dir', cold.firstHealthMs),
    coldLine('npm start → service /health, cold data dir', cold.serviceMs),
    coldLine('npm start → /health ok, cold data dir', cold.okMs),
    line('npm start → first /health 200, warm', warmFirst, START_TARGET_MS),
    line('npm start → service /health (devices up), warm', warmService),
    line('npm start → /health ok, warm', warmOk),
    `load average: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} after`,
  ].join('\n')}\n`,
);
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(
  path.join(ROOT, 'bench/results/startup.json'),
  `${JSON.stringify(
    {
      benchmark: 'startup',
      date: new Date().toISOString(),
      node: process.version,
      unit: 'ms',
      notes:
        'Wall time from spawn to exit (CLI) or, for npm start, to: the first 200 from /health (the startup gate answers "starting" while the service loads, composes and opens devices), the first /health from the service itself, and the first with status "ok" (central reachable too); polled every 10 ms, on the built dist/. Warm CLI runs follow 2 untimed runs. Cold start: a new data directory (the embedded central mints its keys); warm starts reuse it.',
      targets: { cliVersionMs: CLI_TARGET_MS, npmStartHealthMs: START_TARGET_MS },
      cliVersionMs: cliVersion,
      launcherVersionMs: launcherVersion,
      cliHelpMs: cliHelp,
      npmStartColdMs: {
        firstHealth: Math.round(cold.firstHealthMs),
        service: Math.round(cold.serviceMs),
        ok: Math.round(cold.okMs),
      },
      npmStartWarmMs: warmFirst,
      npmStartWarmServiceMs: warmService,
      npmStartWarmOkMs: warmOk,
      targetsMet: {
        cliVersion: cliVersion.median <= CLI_TARGET_MS,
        npmStartHealth: warmFirst.median <= START_TARGET_MS,
      },
      loadAverageBefore: loadBefore,
      loadAverage: loadavg(),
    },
    null,
    2,
  )}\n`,
);
process.stdout.write('wrote bench/results/startup.json\n');
