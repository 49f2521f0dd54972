/**
 * The simulated central service in a child process (issue 18), so the station and the soak harness
 * run it off their own event loop (its packet decryption and signature checks are CPU work).
 * `spawnCentral` starts main.ts with node and tsx (from the sources) or the compiled main.js with node
 * alone (from the build), waits for its one ready line, and reads the certificates a station pins from
 * the data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import nodeModule from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKOUT_URL, RUNNING_FROM_BUILD, siblingModule } from '../../drivers/runtime-url.ts';

const REPO_ROOT = fileURLToPath(CHECKOUT_URL);
const MAIN = fileURLToPath(siblingModule('./main', import.meta.url));
/** Node's options for the child: the sources need the TypeScript loader, the build its source maps. */
const NODE_OPTIONS = RUNNING_FROM_BUILD ? ['--enable-source-maps'] : ['--import', 'tsx'];
/** How long a start may take (the first mints an RSA-3072 key: seconds), ms. */
export const CENTRAL_START_TIMEOUT_MS = 60_000;

/**
 * The child shares this process's V8 compile cache (the station enables one at start), so a warm
 * start does not compile central's module graph again (about a tenth of a second here).
 */
function compileCacheEnv(): Record<string, string> {
  const dir = nodeModule.getCompileCacheDir?.();
  return dir === undefined ? {} : { NODE_COMPILE_CACHE: dir };
}

export class CentralSpawnError extends Error {
  override readonly name = 'CentralSpawnError';
  /** The child's own code (first word of its stderr, e.g. CENTRAL_PORT_IN_USE), else CENTRAL_SPAWN_FAILED. */
  readonly code: string;
  readonly stderr: string;
  constructor(code: string, message: string, stderr: string) {
    super(message);
    this.code = code;
    this.stderr = stderr;
  }
}

export interface SpawnCentralOptions {
  readonly dataDir: string;
  readonly environment: 'test' | 'production';
  readonly port?: number;
  readonly host?: string;
  readonly statusStepMs?: number;
  /** Extra environment variables for the child (merged over this process's). */
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}

export interface SpawnedCentral {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  /** The TLS CA a station pins for central. */
  readonly tlsCaPem: string;
  /** Receipt-signing certificates, current first. */
  readonly statementCertificatesPem: string[];
  /** The simulated station CA (issues station certificates). */
  readonly stationCaPem: string;
  /** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * Starts central in a child process and resolves once it listens.
 * @throws {CentralSpawnError} when the child exits before it is ready (its stderr's code, e.g.
 *   CENTRAL_PORT_IN_USE or CENTRAL_DATA_DIR_UNWRITABLE) or is not ready in time (CENTRAL_START_TIMEOUT).
 */
export async function spawnCentral(options: SpawnCentralOptions): Promise<SpawnedCentral> {
  const dataDir = path.resolve(options.dataDir);
  const args = [...NODE_OPTIONS, MAIN, '--data-dir', dataDir, '--environment', options.environment];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.statusStepMs !== undefined) args.push('--status-step-ms', String(options.statusStepMs));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...compileCacheEnv(), ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await readyUrl(child, exited, () => stderr, options.startTimeoutMs ?? CENTRAL_START_TIMEOUT_MS);
  const read = (file: string) => fs.readFile(path.join(dataDir, file), 'utf8');
  const current = (await read(path.join('statement-keys', 'current'))).trim();
  const others = (await fs.readdir(path.join(dataDir, 'statement-keys')))
    .filter((name) => /^[0-9a-f]{64}\.crt$/.test(name) && name !== `${current}.crt`)
    .sort();
  const statementCertificatesPem = [
    await read(path.join('statement-keys', `${current}.crt`)),
    ...(await Promise.all(others.map((name) => read(path.join('statement-keys', name))))),
  ];
  return {
    url,
    pid: child.pid ?? -1,
    dataDir,
    tlsCaPem: await read(path.join('tls', 'ca.crt')),
    stationCaPem: await read(path.join('station-ca', 'ca.crt')),
    statementCertificatesPem,
    exited,
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function readyUrl(
  child: ChildProcess,
  exited: Promise<number | null>,
  stderr: () => string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new CentralSpawnError(
          'CENTRAL_START_TIMEOUT',
          `central was not ready within ${timeoutMs} ms`,
          stderr(),
        ),
      );
    }, timeoutMs);
    child.stdout?.setEncoding('utf8');
    const onData = (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      clearTimeout(timer);
      try {
        const line = JSON.parse(buffered.slice(0, newline)) as { ready?: unknown; url?: unknown };
        if (line.ready === true && typeof line.url === 'string') return resolve(line.url);
      } catch {
        // reported below
      }
      reject(
        new CentralSpawnError(
          'CENTRAL_SPAWN_FAILED',
          `central printed no ready line: ${buffered.slice(0, 200)}`,
          stderr(),
        ),
      );
    };
    child.stdout?.on('data', onData);
    exited.then(
      (code) => {
        clearTimeout(timer);
        const text = stderr();
        const own = /^(CENTRAL_[A-Z_]+):/m.exec(text)?.[1];
        reject(
          new CentralSpawnError(
            own ?? 'CENTRAL_SPAWN_FAILED',
            `central exited (${code}) before it was ready: ${text.trim()}`,
            text,
          ),
        );
      },
      () => undefined,
    );
  });
}
