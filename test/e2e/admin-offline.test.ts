/**
 * Going offline with packets queued, exporting them to a folder, coming back online (issue 22's
 * flow), in a real Chromium on the administrator's outbox screen against the built station and its
 * embedded central. Central is made unusable through the central simulator's own control routes
 * (a captive portal's page instead of central's answers: a link failure, so the uploader goes
 * offline and only probes); packets come from the `applicant` simulator, so this flow does not
 * depend on the enrollment screens. Coming back, a slow link makes the per-packet progress visible
 * before the queue drains and every packet carries central's receipt.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browsing,
  openBrowser,
  type RunningStation,
  screenshot,
  seriousViolations,
  startStation,
  submitSignIn,
} from './harness.ts';

const FLOW = 'admin-offline';
const PACKETS = ['e2e0a000-0000-4000-8000-000000000001', 'e2e0a000-0000-4000-8000-000000000002'];

let station: RunningStation;
let browsing: Browsing;
let usb: string;
let centralUrl: string;
let centralCa: string;

/** A call to the embedded central simulator's /v1/sim/ control routes (no client certificate). */
function centralSim(method: string, route: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${centralUrl}${route}`,
      {
        method,
        ca: centralCa,
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A station route from the signed-in page (its cookie and Origin), answered as JSON. */
async function fromPage<T>(page: Page, method: string, route: string, body?: unknown): Promise<T> {
  return page.evaluate(
    async ({ method, route, body }) => {
      const response = await fetch(route, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
      return JSON.parse(text);
    },
    { method, route, body },
  );
}

function packetRow(page: Page, packetId: string) {
  return page.locator(`tr[data-packet="${packetId}"]`);
}

beforeAll(async () => {
  station = await startStation();
  browsing = await openBrowser();
  usb = mkdtempSync(path.join(tmpdir(), 'e2e-usb-'));
  const health = (await (await fetch(`${station.url}/health`)).json()) as { central: { url: string } };
  centralUrl = health.central.url;
  // The embedded central's TLS CA, which the station pins, is kept in its data folder.
  centralCa = readFileSync(path.join(station.dataDir, 'central', 'tls', 'ca.crt'), 'utf8');
}, 120_000);

afterAll(async () => {
  await browsing?.close();
  await station?.stop();
  if (usb !== undefined) rmSync(usb, { recursive: true, force: true });
});

describe('offline with packets queued, exported to a folder, then back online', () => {
  it('shows the outbox online and empty to the administrator', async () => {
    const { page } = browsing;
    await page.goto(station.url);
    await submitSignIn(page, 'adm-1');
    await page.getByRole('heading', { name: 'Xin chào, Phạm Quốc Dũng' }).waitFor();
    await page.getByRole('link', { name: /Quản trị/ }).click();
    await page.keyboard.press('Alt+2');
    await page.getByRole('heading', { name: 'Hàng đợi gửi về trung tâm' }).waitFor();
    await page.locator('[data-online="true"]').waitFor({ timeout: 30_000 });
    await page.getByText('Không có gói nào.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '01-online-empty');
  }, 60_000);

  it('central unreachable: the packets stay queued, the screen says offline since when', async () => {
    const { page } = browsing;
    // Every central route (but the simulator's own controls) answers with a Wi-Fi login page.
    expect(
      await centralSim('PUT', '/v1/sim/faults', { faults: [{ kind: 'captivePortal', path: '/v1/' }] }),
    ).toBe(200);
    // One simulated applicant sealed twice under two packet ids: the station renders and checks its
    // slaps once (seconds on two shared cores) and keeps them for the second.
    const started = performance.now();
    for (const [n, packetId] of PACKETS.entries()) {
      const sealed = await fromPage<{ result: { state: string } }>(
        page,
        'POST',
        '/sim/applicant/actions/enroll',
        {
          seed: 21,
          packetId,
          enrollmentSessionId: `e2e0b000-0000-4000-8000-00000000000${n + 1}`,
        },
      );
      expect(sealed.result.state).toBe('queued');
    }
    process.stdout.write(`e2e: two packets sealed in ${(performance.now() - started).toFixed(0)} ms\n`);
    await page.locator('[data-online="false"]').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator('.admin-central').textContent())
      .toMatch(/^Trung tâm: mất kết nối từ \d{2}:\d{2} \(\d+ phút\)/);
    // The uploader's last problem, in Vietnamese: not central's answer (the captive portal).
    await page.locator('[data-problem]').waitFor();
    // The status bar's indicator says the same, with the queue depth.
    const indicator = page.locator('header .outbox');
    await page.locator('header .outbox[data-central="offline"][data-outbox-depth="2"]').waitFor();
    await expect(indicator.textContent()).resolves.toMatch(/2 hồ sơ chờ gửi.*Trung tâm: mất kết nối từ/);
    for (const packetId of PACKETS) await packetRow(page, packetId).waitFor();
    await expect(page.locator('[data-stat="waiting"] dd').textContent()).resolves.toBe('2');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '02-offline-queued');
  }, 90_000);

  it('exports the waiting packets to a folder, with the problems of a bad folder first', async () => {
    const { page } = browsing;
    const form = page.locator('form[aria-labelledby="export-folder-legend"]');
    const submit = form.getByRole('button', { name: 'Xuất các gói chờ gửi' });
    // The form starts at the kiosk's USB mount point; emptied, it says what is missing.
    expect(await form.getByLabel('Thư mục trên ổ USB').inputValue()).toBe('/media/cccd-export');
    await form.getByLabel('Thư mục trên ổ USB').fill('');
    await submit.click();
    await expect(page.locator('#export-folder-error').textContent()).resolves.toBe('Vui lòng nhập thư mục.');
    await form.getByLabel('Thư mục trên ổ USB').fill(path.join(usb, 'not-plugged-in'));
    await submit.click();
    const refusal = form.locator('.form-error');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('EXPORT_FOLDER_MISSING');
    expect(await refusal.textContent()).toMatch(/Không tìm thấy thư mục này/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '03-export-refused');

    await form.getByLabel('Thư mục trên ổ USB').fill(usb);
    await submit.dblclick();
    const done = form.getByRole('status');
    await done.waitFor();
    expect(await done.textContent()).toMatch(/^Đã xuất 2 gói vào /);
    // One export folder (a double click exported once), holding both packets and their manifest.
    const folders = readdirSync(usb);
    expect(folders).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(path.join(usb, folders[0] ?? '', 'manifest.json'), 'utf8')) as {
      packets: { packetId: string }[];
    };
    expect(manifest.packets.map((p) => p.packetId).sort()).toEqual([...PACKETS].sort());
    // Exported packets stay queued until central's receipts come back.
    for (const packetId of PACKETS) {
      await packetRow(page, packetId)
        .getByText(/Đã xuất ra USB lúc/)
        .waitFor();
      expect(['queued', 'uploading']).toContain(await packetRow(page, packetId).getAttribute('data-state'));
    }
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '04-exported');
  }, 60_000);

  it('back online: the packets upload with their progress shown, then central acknowledges each', async () => {
    const { page } = browsing;
    const outbox = await fromPage<{ packets: { size: number }[] }>(page, 'GET', '/outbox');
    const largest = Math.max(...outbox.packets.map((p) => p.size));
    // Central is back, over a slow link: each packet takes about three seconds to send.
    expect(await centralSim('DELETE', '/v1/sim/faults')).toBe(200);
    expect(
      await centralSim('PUT', '/v1/sim/faults', {
        faults: [{ kind: 'slowLink', bytesPerSecond: Math.ceil(largest / 3), path: '/v1/uploads' }],
      }),
    ).toBe(200);
    // The uploader's probe back-off could wait a minute: the administrator asks now.
    await page.getByRole('button', { name: 'Kiểm tra kết nối trung tâm ngay' }).click();
    await page.locator('[data-online="true"]').waitFor({ timeout: 15_000 });
    await page.locator('header .outbox-sending progress').first().waitFor({ timeout: 15_000 });
    await page.locator('tr[data-state="uploading"] progress').first().waitFor({ timeout: 15_000 });
    // Real progress: some bytes of a packet are through (its bar past 0) before it is acknowledged.
    await expect
      .poll(
        () =>
          page
            .locator('header .outbox-sending progress')
            .evaluateAll((bars) => bars.some((bar) => Number(bar.getAttribute('value')) > 0)),
        { timeout: 15_000, interval: 50 },
      )
      .toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '05-uploading');

    for (const packetId of PACKETS)
      await page
        .locator(`tr[data-packet="${packetId}"][data-state="acknowledged"]`)
        .waitFor({ timeout: 30_000 });
    await page.locator('header .outbox[data-outbox-depth="0"]').waitFor();
    await expect(page.locator('header .outbox').textContent()).resolves.toMatch(
      /Đã gửi hết.*Trung tâm: đã kết nối/,
    );
    for (const packetId of PACKETS) {
      const shown = await fromPage<{ receipt: { statement: { kind: string; packetId: string } } }>(
        page,
        'GET',
        `/outbox/${packetId}`,
      );
      expect(shown.receipt.statement).toMatchObject({ kind: 'receipt', packetId });
    }
    await expect(page.locator('[data-stat="acknowledged"] dd').textContent()).resolves.toBe('2');
    expect(await centralSim('DELETE', '/v1/sim/faults')).toBe(200);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '06-drained');
  }, 90_000);
});
