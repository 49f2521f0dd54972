/**
 * The compiled station under the restrictions of deploy/systemd/cccd-station.service, as far as they can
 * be had without systemd (the test machine runs none): a private mount and PID namespace (unshare)
 * where the whole file system is read-only except the data and cache folders (ProtectSystem=strict with
 * StateDirectory= and CacheDirectory=), /tmp is a private tmpfs (PrivateTmp=), /root and /home are
 * empty (ProtectHome=), /proc shows processes only (ProcSubset=pid, ProtectProc=invisible); the
 * process runs as an unprivileged user with no capabilities and no new privileges (setpriv: User=,
 * CapabilityBoundingSet=, NoNewPrivileges=), umask 077 and no core dumps, the unit's environment.
 *
 * SystemCallFilter= is checked after the fact: strace records every system call the station and its
 * children make, and each must be in the unit's filter (systemd-analyze syscall-filter expands it).
 * Not emulated here: RestrictAddressFamilies=, DevicePolicy=/DeviceAllow= (the station runs its
 * simulated devices), RestrictNamespaces= and the other kernel protections.
 *
 * It starts the simulated station, then asks for what exercises its workers and native code: /health,
 * a camera frame, a face comparison (TensorFlow.js WASM in a worker) and a slap capture (the simulated
 * HID scanner and the hot path).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, requireCommand, requireRoot } from '../../support/deploy.ts';

/** nobody: an unprivileged user every Debian system has. */
const UID = 65534;
const UNIT = path.join(ROOT, 'deploy/systemd/cccd-station.service');

let base: string;
let station: ChildProcess;
let url: string;
let output = '';
/** strace's record of the station's system calls. */
let trace: string;

beforeAll(async () => {
  requireRoot('the station sandbox test (namespaces, mounts, another user)');
  for (const [command, pkg] of [
    ['unshare', 'util-linux'],
    ['setpriv', 'util-linux'],
    ['mount', 'mount'],
    ['strace', 'strace'],
    ['systemd-analyze', 'systemd'],
  ] as const)
    requireCommand(command, pkg);
  // The unit runs the build; `npm start` builds a stale one the same way.
  const build = spawnSync(
    path.join(ROOT, 'scripts/with-runtime'),
    ['node', 'scripts/build.mjs', '--if-stale'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 180_000,
    },
  );
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);

  // Outside /tmp, which the sandbox replaces with its own tmpfs.
  base = mkdtempSync('/var/tmp/cccd-station-sandbox-');
  chmodSync(base, 0o755);
  const state = path.join(base, 'state');
  const cache = path.join(base, 'cache');
  for (const dir of [state, cache]) {
    mkdirSync(dir);
    chownSync(dir, UID, UID);
    chmodSync(dir, 0o700);
  }
  // Root's: strace writes there, outside what the station may see as its own.
  const traceDir = path.join(base, 'trace');
  mkdirSync(traceDir, { mode: 0o700 });
  trace = path.join(traceDir, 'syscalls');
  const config = path.join(base, 'station.config.json');
  writeFileSync(config, JSON.stringify({ dataDir: state, server: { host: '127.0.0.1', port: 0 } }));
  chmodSync(config, 0o644);

  const unitEnv = readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Environment='))
    .map((line) => line.slice('Environment='.length))
    .map((pair) =>
      pair.startsWith('STATION_CONFIG=')
        ? `STATION_CONFIG=${config}`
        : pair.startsWith('NODE_COMPILE_CACHE=')
          ? `NODE_COMPILE_CACHE=${cache}/node-compile-cache`
          : pair,
    );
  const script = [
    'set -e',
    `mount --bind '${state}' '${state}'`,
    `mount --bind '${cache}' '${cache}'`,
    `mount --bind '${traceDir}' '${traceDir}'`,
    // Every other path read-only: the root is one mount here, the data and cache folders their own.
    'mount -o remount,bind,ro /',
    'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp',
    'mount -t proc -o subset=pid,hidepid=invisible proc /proc',
    'mount -t tmpfs -o ro,mode=755 tmpfs /root',
    'mount -t tmpfs -o ro,mode=755 tmpfs /home',
    'umask 077',
    'ulimit -c 0',
    `cd '${ROOT}'`,
    // strace records every system call of the station and its children (the embedded central, ffmpeg).
    `exec strace -f -qq -o '${trace}' setpriv --reuid=${UID} --regid=${UID} --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all ` +
      `env -i PATH=/usr/bin:/bin HOME=/nonexistent ${unitEnv.map((e) => `'${e}'`).join(' ')} ` +
      `'${ROOT}/scripts/with-runtime' node --enable-source-maps '${ROOT}/dist/station/main.js'`,
  ].join('\n');
  station = spawn('unshare', ['--mount', '--pid', '--fork', '--propagation', 'private', 'sh', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  station.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  station.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the station did not start in 60 s:\n${output}`)),
      60_000,
    );
    const look = () => {
      const ready = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*Station ready/.exec(output);
      if (ready?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    };
    station.stdout?.on('data', look);
    station.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sandboxed station exited (${code}) before it was ready:\n${output}`));
    });
  });
}, 240_000);

/** The processes below `pid` (every thread's children), depth first. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    } catch {
      continue;
    }
    for (const child of children.split(/\s+/).filter((c) => c !== '')) {
      found.push(Number(child));
      found.push(...descendants(Number(child)));
    }
  }
  return found;
}

/**
 * Sends SIGTERM to the station itself (below unshare and strace, which would not pass it on) and
 * resolves unshare's exit code, which is strace's, which is the station's, once its output has ended.
 */
async function stopStation(): Promise<number | null> {
  const closed = new Promise<number | null>((resolve) => station.once('close', (code) => resolve(code)));
  const pids = descendants(station.pid ?? 0).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv[0] === 'node' && argv.includes(`${ROOT}/dist/station/main.js`);
    } catch {
      return false;
    }
  });
  if (pids.length !== 1) throw new Error(`expected one station process below unshare, found ${pids.length}`);
  process.kill(pids[0] ?? 0, 'SIGTERM');
  return closed;
}

/** The system calls a filter group or name stands for (systemd-analyze syscall-filter, groups expanded). */
function syscallsOf(item: string, seen = new Set<string>()): Set<string> {
  if (!item.startsWith('@')) return new Set([item]);
  if (seen.has(item)) return new Set();
  seen.add(item);
  const listed = spawnSync('systemd-analyze', ['syscall-filter', item], { encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`systemd-analyze syscall-filter ${item} failed: ${listed.stderr}`);
  const names = new Set<string>();
  for (const line of listed.stdout.split('\n').slice(1)) {
    const word = line.replace(/#.*$/, '').trim();
    if (word !== '') for (const name of syscallsOf(word, seen)) names.add(name);
  }
  return names;
}

afterAll(async () => {
  if (station !== undefined && station.exitCode === null && station.signalCode === null) await stopStation();
  if (base !== undefined) rmSync(base, { recursive: true, force: true });
}, 30_000);

async function post(route: string, body: unknown): Promise<Response> {
  return fetch(`${url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify(body),
  });
}

describe("the compiled station under the unit's restrictions", () => {
  it('starts and reports itself ok, with its hot-path workers', async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as {
      status: string;
      hotpath?: { started: boolean; workers: number };
    };
    expect(health.status).toBe('ok');
    expect(health.hotpath?.started).toBe(true);
  });

  it('compares faces (WASM in a worker) and captures a slap (the hot path)', async () => {
    const frame = await fetch(`${url}/devices/camera/frame`);
    expect(frame.status).toBe(200);
    const image = Buffer.from(await frame.arrayBuffer()).toString('base64');
    const compared = await post('/faces/compare', { a: { image }, b: { image } });
    expect(compared.status).toBe(200);
    expect(((await compared.json()) as { decision: string }).decision).toBe('same');
    const capture = await post('/devices/scanner-hid/capture', { mode: 'slap-right' });
    expect(capture.status).toBe(200);
  }, 120_000);

  it('writes its state as the service user, owner-only', () => {
    const state = path.join(base, 'state');
    const entries = readdirSync(state);
    expect(entries).toEqual(expect.arrayContaining(['audit', 'keys', 'outbox']));
    for (const entry of entries) {
      const st = statSync(path.join(state, entry));
      expect([entry, st.uid, st.mode & 0o077]).toEqual([entry, UID, 0]);
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await stopStation()).toBe(0);
    expect(output).toMatch(/"msg":"stopped"/);
  }, 30_000);

  it("made only system calls the unit's SystemCallFilter allows, from start to stop", () => {
    // The unit's own lines: allow lists, then `~` deny lists (systemd.exec(5)).
    const allowed = new Set<string>();
    const denied = new Set<string>();
    for (const line of readFileSync(UNIT, 'utf8').split('\n')) {
      const value = /^SystemCallFilter=(.*)$/.exec(line)?.[1];
      if (value === undefined) continue;
      const deny = value.startsWith('~');
      for (const item of value
        .replace(/^~/, '')
        .split(/\s+/)
        .filter((w) => w !== ''))
        for (const name of syscallsOf(item)) (deny ? denied : allowed).add(name);
    }
    expect(allowed.size).toBeGreaterThan(300);
    // From the exec of ExecStart's command on: before it, setpriv and env stand in for systemd.
    const lines = readFileSync(trace, 'utf8').split('\n');
    const start = lines.findIndex((l) => l.includes(`execve("${ROOT}/scripts/with-runtime"`));
    expect(start).toBeGreaterThanOrEqual(0);
    const used = new Map<string, number>();
    for (const line of lines.slice(start)) {
      const name = /^\d+\s+([a-z0-9_]+)\(/.exec(line)?.[1];
      if (name !== undefined) used.set(name, (used.get(name) ?? 0) + 1);
    }
    expect(used.size).toBeGreaterThan(40);
    const refused = [...used.keys()].filter((name) => !allowed.has(name) || denied.has(name)).sort();
    process.stderr.write(
      `station sandbox: ${used.size} distinct system calls, ${refused.length} outside the filter\n`,
    );
    expect(refused).toEqual([]);
  });

  it('opened only sockets of the address families the unit allows', () => {
    const allowed = readFileSync(UNIT, 'utf8')
      .split('\n')
      .flatMap((line) => /^RestrictAddressFamilies=(.*)$/.exec(line)?.[1]?.split(/\s+/) ?? []);
    const lines = readFileSync(trace, 'utf8').split('\n');
    const start = lines.findIndex((l) => l.includes(`execve("${ROOT}/scripts/with-runtime"`));
    const families = new Set<string>();
    for (const line of lines.slice(start))
      for (const match of line.matchAll(/\bsocket(?:pair)?\((AF_[A-Z0-9]+)/g))
        if (match[1]) families.add(match[1]);
    // The HTTP socket and central's connection at least, whatever else.
    expect([...families]).toEqual(expect.arrayContaining(['AF_INET']));
    expect([...families].filter((family) => !allowed.includes(family))).toEqual([]);
  });
});
