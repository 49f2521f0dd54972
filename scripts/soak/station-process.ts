/**
 * The station under test as a child process (`node --import tsx station/main.ts`, as
 * `npm start` runs it), with its stderr watched for `failpoint: <name>` lines and appended, with its
 * stdout, to a log file the harness keeps for diagnosis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FailpointName } from '../../station/failpoints.ts';
import { failpointLines } from './schedule.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  readonly pid: number;
  /** Resolves when the process has exited and its output pipes are read to the end (or 1 s later). */
  readonly exited: Promise<ExitStatus>;
  /** True once the process has exited. */
  readonly gone: () => boolean;
  /** Failpoint lines seen so far on stderr. */
  readonly failpoints: () => readonly FailpointName[];
  /** The last 8 KiB of stderr. */
  readonly stderrTail: () => string;
  /** SIGKILL (default) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitStatus>;
}

export interface SpawnOptions {
  /** Script and arguments after `node --import tsx`, relative to the repository root. */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Appends stdout and stderr here, each chunk as it comes. */
  readonly logFile?: string;
}

/** Starts `node --import tsx <args>` with the runtime that runs this harness. */
export function spawnNode(options: SpawnOptions): SpawnedProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...options.args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let pending = '';
  const hits: FailpointName[] = [];
  const log = (chunk: string) => {
    if (options.logFile !== undefined) appendFileSync(options.logFile, chunk);
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', log);
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log(chunk);
    stderr = (stderr + chunk).slice(-8192);
    pending += chunk;
    const end = pending.lastIndexOf('\n');
    if (end < 0) return;
    hits.push(...failpointLines(pending.slice(0, end + 1)));
    pending = pending.slice(end + 1);
  });
  let gone = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true;
      // 'close' follows once the pipes are drained; a grandchild holding them must not hang us.
      const timer = setTimeout(() => resolve({ code, signal }), 1000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
  });
  return {
    pid: child.pid ?? -1,
    exited,
    gone: () => gone,
    failpoints: () => hits,
    stderrTail: () => stderr,
    kill: async (signal = 'SIGKILL') => {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * One HTTP request with a JSON body and answer (plain HTTP on loopback: the station's own API).
 * @throws the socket's error (ECONNREFUSED, ECONNRESET when the station dies) or a timeout Error.
 */
export function requestJson(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs: number },
): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const request = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('error', reject);
        response.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: the text as it came
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    request.setTimeout(options.timeoutMs, () => {
      request.destroy(
        new Error(`${options.method ?? 'GET'} ${url}: no answer within ${options.timeoutMs} ms`),
      );
    });
    request.on('error', reject);
    request.end(payload);
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `GET <url>/health` until the service itself answers (200 with a status other than
 * `starting`: the startup gate answers from the first moments, before the routes exist), the process
 * exits, or the time runs out.
 * @returns 'up' or 'exited'. @throws Error when neither happens within timeoutMs.
 */
export async function waitHealthy(
  url: string,
  child: SpawnedProcess,
  timeoutMs: number,
): Promise<'up' | 'exited'> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.gone()) return 'exited';
    try {
      const answer = await requestJson(`${url}/health`, { timeoutMs: 2000 });
      const status = (answer.body as { status?: unknown } | null)?.status;
      if (answer.status === 200 && status !== 'starting') return 'up';
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  if (child.gone()) return 'exited';
  throw new Error(`the station at ${url} did not answer /health within ${timeoutMs} ms`);
}
