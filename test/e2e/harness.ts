/**
 * The end-to-end harness (issue 22): the built station started as `npm start` starts it (a child
 * process on dist/, its own data folder and port, the embedded simulators and central), officer
 * accounts made with `station users add` before it starts, and Debian's Chromium driven by
 * playwright-core, headless, with a fresh profile and no network beyond loopback. Screenshots go to
 * test/e2e/artifacts/<flow>/ (not committed); axe-core checks each screen.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_PATH, HEADLESS_FLAGS } from '../support/chromium.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const ARTIFACTS = path.join(ROOT, 'test/e2e/artifacts');
const CHROMIUM = CHROMIUM_PATH;
/** The flags this machine's headless Chromium needs, and no first-run or QUIC probes. */
const CHROMIUM_ARGS = [...HEADLESS_FLAGS, '--disable-quic', '--no-first-run'];

export const PASSWORD = 'e2e officer password';

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
}

export const ACCOUNTS: readonly Account[] = [
  { id: 'off-1', name: 'Nguyễn Thị Hoa', roles: ['officer'] },
  { id: 'sup-1', name: 'Trần Văn Bình', roles: ['officer', 'supervisor'] },
  { id: 'not-1', name: 'Lê Minh Châu', roles: ['notary'] },
  { id: 'adm-1', name: 'Phạm Quốc Dũng', roles: ['admin'] },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Builds dist/ (station and screen) when it is missing or older than the sources. */
export function ensureBuilt(): void {
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--if-stale'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) throw new Error(`npm run build failed (exit ${built.status})`);
  if (!existsSync(path.join(ROOT, 'dist/ui/app.js')))
    throw new Error('dist/ui/app.js is missing after the build');
}

export interface RunningStation {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly log: () => string;
  stop(): Promise<void>;
  /** Stops the station and starts it again on the same port and data folder. */
  restart(): Promise<void>;
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  log: () => string,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the station exited (${child.exitCode}):\n${log()}`);
    try {
      const response = await fetch(`${url}/health`);
      const body = (await response.json()) as { status?: string };
      if (body.status === 'ok') return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the station was not ready within ${timeoutMs} ms:\n${log()}`);
}

/** Starts the built station with its own data folder, the e2e accounts made first. */
export async function startStation(config: Record<string, unknown> = {}): Promise<RunningStation> {
  ensureBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'e2e-station-'));
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const configFile = path.join(dir, 'station.json');
  writeFileSync(
    configFile,
    JSON.stringify({ environment: 'test', dataDir, server: { port }, auth: { required: true }, ...config }),
  );
  for (const account of ACCOUNTS) {
    const made = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'dist/station/cli/bin.js'),
        'users',
        'add',
        account.id,
        '--name',
        account.name,
        ...account.roles.flatMap((role) => ['--role', role]),
        '--password-stdin',
        '--data-dir',
        dataDir,
      ],
      { input: `${PASSWORD}\n`, encoding: 'utf8', env: { ...process.env, STATION_CONFIG: configFile } },
    );
    if (made.status !== 0) throw new Error(`station users add ${account.id} failed: ${made.stderr}`);
  }
  let output = '';
  let child: ChildProcess;
  const url = `http://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn(process.execPath, ['--enable-source-maps', path.join(ROOT, 'dist/station/main.js')], {
      cwd: dir,
      env: { ...process.env, STATION_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-200_000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-200_000);
    });
    await waitForHealth(url, child, () => output, 60_000);
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url,
    port,
    dataDir,
    log: () => output,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      await start();
    },
  };
}

export interface Browsing {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/** Headless Chromium at 1280 x 800 (the smaller of the two sizes the screen must work at). */
export async function openBrowser(viewport = { width: 1280, height: 800 }): Promise<Browsing> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run the README's test command (it installs chromium)`,
    );
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport, locale: 'vi-VN' });
  const page = await context.newPage();
  return {
    browser,
    context,
    page,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}

/** Fills and sends the sign-in screen shown now (without waiting for its outcome: it may be refused). */
export async function submitSignIn(page: Page, account: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Tên tài khoản').fill(account);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
}

/** Signs `account` in on the sign-in screen shown now, and waits for its home screen. */
export async function signIn(page: Page, account: string): Promise<void> {
  await submitSignIn(page, account);
  await page.getByRole('heading', { name: /^Xin chào/ }).waitFor();
}

/** Saves a screenshot of `page` as artifacts/<flow>/<name>.png; returns its path under the repo. */
export async function screenshot(page: Page, flow: string, name: string): Promise<string> {
  const dir = path.join(ARTIFACTS, flow);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return path.relative(ROOT, file);
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

const AXE_SOURCE = readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(options: unknown): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
