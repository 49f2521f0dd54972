/**
 * The kiosk in Debian's chromium: the managed policy deploy/install.sh writes and the launcher's own
 * flags (deploy/kiosk/cccd-kiosk --print-flags), headless. The station's URL loads; another port,
 * another host name, the browser's own pages, file:// and data: URLs and downloads are refused;
 * DevTools are off.
 *
 * Chromium reads managed policies from /etc/chromium/policies/managed only. So that no other browser
 * test of the suite (running at the same time in another worker) ever sees these policies, and nothing
 * is left behind, each browser starts in a private mount namespace where a staged /etc/chromium is
 * bind-mounted over the system's (unshare + mount; CI runs as root). Headless as root here also needs
 * --no-sandbox; the real launcher keeps the sandbox on (test/unit/deploy/shellcheck.test.ts).
 *
 * DeveloperToolsAvailability 2 also refuses the DevTools protocol's access to pages, which is how
 * playwright drives a browser. So: DevTools are checked on a browser with the installed policy
 * exactly, over the raw protocol (a page cannot be attached: "Not allowed"), beside the same browser
 * without that one key (it can); the navigation checks run in playwright on the installed policy
 * minus that key, plus chrome://policy allowed so the test can read Chromium's verdict on every key.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, HEADLESS_FLAGS } from '../../support/chromium.ts';
import { fakeBuiltCheckout, ROOT, requireCommand, requireRoot, runInstall } from '../../support/deploy.ts';
import { tempDir } from '../../support/station.ts';

const CHROMIUM = CHROMIUM_PATH;
/** Keys chromium 156 reports as deprecated but still applies (no replacement covers addresses and cards). */
const DEPRECATED_KEPT = ['AutofillAddressEnabled', 'AutofillCreditCardEnabled'];

type Policy = Record<string, unknown>;

let tmp: ReturnType<typeof tempDir>;
let station: Server;
let other: Server;
let stationUrl: string;
let otherPort: number;
let installed: Policy;
let kioskFlags: string[];
let profileRoot: string;
let context: BrowserContext;
/** Every raw browser started, so a failed test leaves none running. */
const started = new Set<ChildProcess>();

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * An executable that starts chromium seeing `policy` as its only managed policy: /etc/chromium of a
 * private mount namespace replaced by a staged folder.
 */
function chromiumWithPolicy(name: string, policy: Policy): string {
  const etc = path.join(tmp.dir, name, 'etc-chromium');
  mkdirSync(path.join(etc, 'policies/managed'), { recursive: true });
  writeFileSync(path.join(etc, 'policies/managed/cccd-station.json'), JSON.stringify(policy, null, 2));
  const wrapper = path.join(tmp.dir, name, 'chromium');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec unshare --mount --propagation private -- sh -c 'mount --bind "$0" /etc/chromium && exec ${CHROMIUM} "$@"' '${etc}' "$@"\n`,
    { mode: 0o755 },
  );
  return wrapper;
}

/**
 * The browsers' temporary folder (chromium leaves its process-singleton folders there when it is
 * stopped): inside the test's own folder, removed with it.
 */
function browserTmp(): string {
  const dir = path.join(tmp.dir, 'browser-tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh profile folder for one browser, beside the launcher's own. */
function profile(name: string): string {
  const dir = path.join(profileRoot, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  requireRoot('the kiosk policy test (a private mount namespace for /etc/chromium)');
  if (!existsSync(CHROMIUM))
    throw new Error("chromium is not installed: run 'npm run setup:test' (apt package chromium)");
  requireCommand('unshare', 'util-linux');
  requireCommand('mount', 'mount');
  if (!existsSync('/etc/chromium'))
    throw new Error('/etc/chromium does not exist: the chromium package creates it; reinstall chromium');
  tmp = tempDir('deploy-kiosk-');

  station = createServer((request, response) => {
    if (request.url === '/receipt.pdf') {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment; filename="receipt.pdf"',
      });
      response.end('%PDF-1.4\n');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html lang="vi"><title>Trạm cấp CCCD</title><h1>Đăng nhập</h1>');
  });
  other = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>Other site</title><h1>other</h1>');
  });
  const stationPort = await listen(station);
  otherPort = await listen(other);
  stationUrl = `http://127.0.0.1:${stationPort}`;

  // The policy exactly as install.sh writes it for this URL.
  const root = path.join(tmp.dir, 'root');
  mkdirSync(root, { recursive: true });
  const app = fakeBuiltCheckout(path.join(tmp.dir, 'app'), 1_765_000_000_000);
  const install = runInstall(['--root', root, '--app', app, '--url', stationUrl]);
  if (install.status !== 0) throw new Error(`install.sh failed:\n${install.stdout}${install.stderr}`);
  installed = JSON.parse(
    readFileSync(path.join(root, 'etc/chromium/policies/managed/cccd-station.json'), 'utf8'),
  ) as Policy;

  // The launcher's flags, its profile under this test's HOME.
  const printed = spawnSync(path.join(ROOT, 'deploy/kiosk/cccd-kiosk'), ['--print-flags'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, CCCD_KIOSK_ENV: '/nonexistent' },
  });
  if (printed.status !== 0) throw new Error(`cccd-kiosk --print-flags failed: ${printed.stderr}`);
  const flags = printed.stdout.trim().split('\n');
  const profileFlag = flags.find((f) => f.startsWith('--user-data-dir='));
  if (profileFlag === undefined) throw new Error('cccd-kiosk prints no --user-data-dir');
  profileRoot = profileFlag.slice('--user-data-dir='.length);
  kioskFlags = flags.filter((f) => f !== profileFlag);

  const { DeveloperToolsAvailability: _devtools, ...drivable } = installed;
  const allowlist = installed.URLAllowlist as string[];
  context = await chromium.launchPersistentContext(profile('playwright'), {
    executablePath: chromiumWithPolicy('playwright', {
      ...drivable,
      URLAllowlist: [...allowlist, 'chrome://policy'],
    }),
    headless: true,
    args: [...kioskFlags, ...HEADLESS_FLAGS],
    env: { ...process.env, TMPDIR: browserTmp() },
    timeout: 30_000,
  });
}, 90_000);

afterAll(async () => {
  await Promise.all([...started].map(stop));
  await context?.close();
  await new Promise((resolve) => station?.close(resolve));
  await new Promise((resolve) => other?.close(resolve));
  tmp?.remove();
});

async function outcome(url: string): Promise<string> {
  const page = await context.newPage();
  try {
    await page.goto(url, { timeout: 15_000 });
    return `loaded: ${await page.title()}`;
  } catch (error) {
    return String(error);
  } finally {
    await page.close();
  }
}

describe('the kiosk in chromium with the managed policy', () => {
  it("opens the station's URL", async () => {
    const page = await context.newPage();
    const response = await page.goto(stationUrl);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Trạm cấp CCCD');
    expect(await page.textContent('h1')).toBe('Đăng nhập');
    await page.close();
  });

  it('refuses another port on the same host, and the same port under another host name', async () => {
    expect(await outcome(`http://127.0.0.1:${otherPort}/`)).toMatch(/ERR_BLOCKED_BY_ADMINISTRATOR/);
    expect(await outcome(`http://localhost:${new URL(stationUrl).port}/`)).toMatch(
      /ERR_BLOCKED_BY_ADMINISTRATOR/,
    );
  });

  it("refuses the browser's own pages, file:// and data: URLs", async () => {
    for (const url of ['chrome://settings', 'chrome://version', 'file:///etc/passwd', 'data:text/html,x'])
      expect([url, await outcome(url)]).toEqual([url, expect.stringMatching(/ERR_BLOCKED_BY_ADMINISTRATOR/)]);
  });

  it('takes every key of the policy as a mandatory machine policy, none unknown or in error', async () => {
    const page = await context.newPage();
    await page.goto('chrome://policy');
    await page.getByText('URLAllowlist', { exact: true }).first().waitFor({ timeout: 15_000 });
    // The page's text, shadow roots included, one leaf element per entry. A string: the test's
    // TypeScript has no DOM types.
    const leaves = (await page.evaluate(`(() => {
      const out = [];
      const walk = (node) => {
        if (node.shadowRoot) walk(node.shadowRoot);
        for (const child of Array.from(node.children)) walk(child);
        if (node.nodeType === 1 && node.children.length === 0 && node.textContent.trim()) out.push(node.textContent.trim());
      };
      walk(document.body);
      return out;
    })()`)) as string[];
    const text = leaves.join('|');
    for (const key of Object.keys(installed).filter((k) => k !== 'DeveloperToolsAvailability')) {
      const row = new RegExp(`\\|${key}\\|[^|]*\\|Platform\\|Machine\\|Mandatory\\|([^|]+)\\|`).exec(text);
      const want = DEPRECATED_KEPT.includes(key) ? 'Deprecated' : 'OK';
      expect([key, row?.[1]]).toEqual([key, want]);
    }
    await page.close();
  });
});

/**
 * A raw chromium (no playwright, so nothing overrides its download behaviour) with `policy` and a
 * DevTools port, opening `url`, its HOME (and so ~/Downloads) in its own folder; resolves once it
 * printed its DevTools websocket URL.
 */
async function rawBrowser(
  name: string,
  policy: Policy,
  url = 'about:blank',
): Promise<{ child: ChildProcess; ws: string; home: string }> {
  const home = path.join(tmp.dir, name, 'home');
  mkdirSync(home, { recursive: true });
  const child = spawn(
    chromiumWithPolicy(name, policy),
    [...HEADLESS_FLAGS, '--headless', `--user-data-dir=${profile(name)}`, '--remote-debugging-port=0', url],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: home, TMPDIR: browserTmp() } },
  );
  started.add(child);
  let stderr = '';
  const ws = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools URL:\n${stderr}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /DevTools listening on (ws:\S+)/.exec(stderr);
      if (found?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`chromium exited (${code}):\n${stderr}`)));
  });
  return { child, ws, home };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The files in a browser's ~/Downloads (none when the folder is not there). */
function downloads(home: string): string[] {
  const dir = path.join(home, 'Downloads');
  return existsSync(dir) ? readdirSync(dir) : [];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks the browser, over the DevTools protocol, to attach to its page; the answer's result or error. */
async function attachToPage(ws: string): Promise<string> {
  const base = ws.replace(/^ws:/, 'http:').replace(/\/devtools\/browser\/.*$/, '');
  const targets = (await (await fetch(`${base}/json/list`)).json()) as { id: string; type: string }[];
  const page = targets.find((t) => t.type === 'page');
  if (page === undefined) throw new Error('the browser shows no page');
  const socket = new WebSocket(ws);
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to Target.attachToTarget')), 10_000);
      socket.onopen = () =>
        socket.send(
          JSON.stringify({
            id: 1,
            method: 'Target.attachToTarget',
            params: { targetId: page.id, flatten: true },
          }),
        );
      socket.onmessage = (message) => {
        const answer = JSON.parse(String(message.data)) as {
          id?: number;
          result?: unknown;
          error?: { message: string };
        };
        if (answer.id !== 1) return;
        clearTimeout(timer);
        resolve(answer.error === undefined ? 'attached' : `refused: ${answer.error.message}`);
      };
      socket.onerror = () => reject(new Error('the DevTools websocket failed'));
    });
  } finally {
    socket.close();
  }
}

describe('DevTools in the kiosk', () => {
  it('cannot reach a page with the installed policy, and can without its DeveloperToolsAvailability', async () => {
    const { DeveloperToolsAvailability: _devtools, ...without } = installed;
    const answers: string[] = [];
    for (const [name, policy] of [
      ['devtools-off', installed],
      ['devtools-control', without],
    ] as const) {
      const { child, ws } = await rawBrowser(name, policy);
      try {
        answers.push(await attachToPage(ws));
      } finally {
        await stop(child);
      }
    }
    expect(answers).toEqual(['refused: Not allowed', 'attached']);
  }, 90_000);
});

describe('downloads in the kiosk', () => {
  it('saves nothing with the installed policy, even from the station; without DownloadRestrictions the file comes', async () => {
    const receipt = `${stationUrl}/receipt.pdf`;
    // The control first: how long a download takes here, so the refusal is watched for longer than that.
    const { DownloadRestrictions: _downloads, ...without } = installed;
    const control = await rawBrowser('downloads-control', without, receipt);
    const started = Date.now();
    try {
      while (!downloads(control.home).includes('receipt.pdf')) {
        if (Date.now() - started > 20_000)
          throw new Error('the control browser did not download the receipt in 20 s');
        await sleep(100);
      }
    } finally {
      await stop(control.child);
    }
    const took = Date.now() - started;
    const kiosk = await rawBrowser('downloads-off', installed, receipt);
    try {
      await sleep(Math.max(3000, 3 * took));
      expect(downloads(kiosk.home)).toEqual([]);
    } finally {
      await stop(kiosk.child);
    }
  }, 90_000);
});
