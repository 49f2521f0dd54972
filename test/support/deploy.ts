/**
 * Helpers for the deployment kit's tests (test/unit/deploy/, test/integration/deploy/): the tools they
 * need, and deploy/install.sh run into a staged root with a small stand-in for the built checkout.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const INSTALL_SH = path.join(ROOT, 'deploy/install.sh');

/**
 * @throws {Error} naming the apt package and `npm run setup:test` when `command` is not on PATH: the
 *   deployment checks never skip.
 */
export function requireCommand(command: string, aptPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command], { encoding: 'utf8' });
  const where = found.stdout.trim();
  if (found.status !== 0 || where === '')
    throw new Error(`${command} is not installed: run 'npm run setup:test' (apt package ${aptPackage})`);
  return where;
}

/** @throws {Error} when the tests do not run as root (CI does; users, chown and mounts need it). */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0)
    throw new Error(`${what} needs root (CI runs the suite as root): run the tests as root`);
}

/**
 * A stand-in for a checkout after `npm run setup`: what install.sh checks and copies (the build's entry
 * and stamp, the runtime launcher with the pinned runtime's `node`, the build's staleness check,
 * package.json), none of the
 * 800 MB of node_modules and runtime. `startedMs` is the build's stamp: a new one is a new release.
 */
export function fakeBuiltCheckout(dir: string, startedMs: number, version = '0.1.0'): string {
  const runtimeVersion = /^NODE_RUNTIME_VERSION=(\S+)$/m.exec(
    readFileSync(path.join(ROOT, 'scripts/runtime.env'), 'utf8'),
  )?.[1];
  if (runtimeVersion === undefined) throw new Error('scripts/runtime.env names no NODE_RUNTIME_VERSION');
  mkdirSync(path.join(dir, 'dist/station'), { recursive: true });
  mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  mkdirSync(path.join(dir, `.runtime/node-v${runtimeVersion}/bin`), { recursive: true });
  writeFileSync(path.join(dir, 'dist/station/main.js'), 'process.stdout.write("station\\n");\n');
  writeFileSync(path.join(dir, 'dist/.build-stamp.json'), `${JSON.stringify({ startedMs })}\n`);
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'cccd-station', version })}\n`);
  for (const file of ['scripts/with-runtime', 'scripts/runtime.env', 'scripts/build.mjs'])
    writeFileSync(path.join(dir, file), readFileSync(path.join(ROOT, file)), {
      mode: file.endsWith('with-runtime') ? 0o755 : 0o644,
    });
  // The tests themselves run on the pinned runtime (scripts/with-runtime).
  symlinkSync(process.execPath, path.join(dir, `.runtime/node-v${runtimeVersion}/bin/node`));
  // Written before the build started, as in a checkout whose build is current.
  const before = new Date(startedMs - 60_000);
  for (const file of ['package.json', 'scripts/with-runtime', 'scripts/runtime.env', 'scripts/build.mjs'])
    utimesSync(path.join(dir, file), before, before);
  return dir;
}

export interface InstallRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs deploy/install.sh with `args` (add --root and --app); never throws on a failed run. */
export function runInstall(args: readonly string[]): InstallRun {
  const run = spawnSync('bash', [INSTALL_SH, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The numeric id of a user or group in a staged root's /etc/passwd or /etc/group. */
export function idIn(root: string, file: 'passwd' | 'group', name: string): number {
  const line = readFileSync(path.join(root, 'etc', file), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const id = line?.split(':')[2];
  if (id === undefined) throw new Error(`${name} is not in ${root}/etc/${file}`);
  return Number(id);
}
