/**
 * The administrator's screens in a real Chromium against the built station: accounts (the list,
 * per-field errors for a bad new account, a new account that then signs in, a password reset in a
 * dialog that Escape cancels, disabling), the devices with a simulator's scenario switched from
 * the screen, and the audit trail verified on request. One station for the three, to keep the
 * suite short. The tabs are reached by their documented shortcuts (Alt+1, Alt+3, Alt+4).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browsing,
  openBrowser,
  PASSWORD,
  type RunningStation,
  screenshot,
  seriousViolations,
  startStation,
  submitSignIn,
} from './harness.ts';

const FLOW = 'admin-users';
const NEW_PASSWORD = 'mật khẩu mới của Hà 2026';

let station: RunningStation;
let browsing: Browsing;

const signIn = submitSignIn;

async function signOut(page: Page): Promise<void> {
  await page.goto(`${station.url}/ui/#/`);
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
}

beforeAll(async () => {
  // Three wrong passwords lock an account here (ten by default), so the unlock is quick to reach.
  station = await startStation({ auth: { required: true, maxFailures: 3 } });
  browsing = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browsing?.close();
  await station?.stop();
});

describe('the administrator’s accounts screen', () => {
  it('offers administration to an admin only, and lists the accounts', async () => {
    const { page } = browsing;
    await page.goto(station.url);
    await signIn(page, 'adm-1', PASSWORD);
    await page.getByRole('heading', { name: 'Xin chào, Phạm Quốc Dũng' }).waitFor();
    await page.getByRole('link', { name: /Quản trị/ }).click();
    await page.getByRole('heading', { name: 'Quản trị trạm' }).waitFor();
    await page.keyboard.press('Alt+3');
    await page.getByRole('heading', { name: 'Tài khoản cán bộ' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/admin/users');
    const rows = page.locator('tr[data-account]');
    await rows.first().waitFor();
    expect(
      (await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-account')))).sort(),
    ).toEqual(['adm-1', 'not-1', 'off-1', 'sup-1']);
    // The administrator's own row offers no disable or reset (either would end this very session).
    expect(await page.locator('tr[data-account="adm-1"] button').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '01-accounts');
  });

  it('shows each field’s problem, the station’s refusal of a short password, then creates the account once', async () => {
    const { page } = browsing;
    await page.getByLabel(/^Tên tài khoản \(/).fill('Bad Name');
    await page.getByRole('checkbox', { name: 'cán bộ tiếp nhận' }).uncheck();
    await page.getByRole('button', { name: 'Tạo tài khoản' }).click();
    await expect(page.locator('#new-id-error').textContent()).resolves.toMatch(/chữ thường không dấu/);
    await expect(page.locator('#new-name-error').textContent()).resolves.toBe('Vui lòng nhập họ và tên.');
    await expect(page.locator('#new-roles-error').textContent()).resolves.toBe('Chọn ít nhất một vai trò.');
    await expect(page.locator('#new-password-error').textContent()).resolves.toMatch(/ít nhất 10 ký tự/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '02-new-account-errors');

    // An account name that exists already: the station refuses it, in Vietnamese.
    await page.getByLabel(/^Tên tài khoản \(/).fill('off-1');
    await page.getByLabel('Họ và tên').fill('Người trùng tên');
    await page.getByRole('checkbox', { name: 'cán bộ tiếp nhận' }).check();
    await page.getByLabel('Mật khẩu (ít nhất 10 ký tự)').fill(NEW_PASSWORD);
    await page.getByLabel('Nhập lại mật khẩu').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Tạo tài khoản' }).click();
    const refusal = page.locator('form[aria-labelledby="new-account-title"] .form-error');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('AUTH_ACCOUNT_EXISTS');
    expect(await refusal.textContent()).toBe('Tài khoản này đã tồn tại.');

    const adds: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/auth/accounts')) adds.push(request.url());
    });
    await page.getByLabel(/^Tên tài khoản \(/).fill('off-2');
    await page.getByLabel('Họ và tên').fill('Đỗ Thị Hà');
    await page.getByRole('button', { name: 'Tạo tài khoản' }).dblclick();
    await page.locator('tr[data-account="off-2"]').waitFor();
    expect(adds).toHaveLength(1);
    await expect(
      page.getByRole('status').filter({ hasText: 'Đã tạo tài khoản off-2.' }).count(),
    ).resolves.toBe(1);
    expect(
      await page.locator('tr[data-account="off-2"] [data-account-state]').getAttribute('data-account-state'),
    ).toBe('active');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '03-account-added');
  });

  it('the new account signs in', async () => {
    const { page } = browsing;
    await signOut(page);
    await signIn(page, 'off-2', NEW_PASSWORD);
    await page.getByRole('heading', { name: 'Xin chào, Đỗ Thị Hà' }).waitFor();
    // An officer is not offered administration, and its route shows the home screen instead.
    expect(await page.getByRole('link', { name: /Quản trị/ }).count()).toBe(0);
    await page.goto(`${station.url}/ui/#/admin/users`);
    await page.getByRole('heading', { name: 'Xin chào, Đỗ Thị Hà' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Tài khoản cán bộ' }).count()).toBe(0);
    // Nor does the station answer an officer's session on the administrator's routes.
    const refused = await page.evaluate(async () =>
      Promise.all(
        [
          ['GET', '/auth/accounts'],
          ['POST', '/audit/verify'],
        ].map(async ([method, route]) => (await fetch(route ?? '', { method })).status),
      ),
    );
    expect(refused).toEqual([403, 403]);
    await signOut(page);
  });

  it('resets a password in a dialog (Escape cancels), and disables an account', async () => {
    const { page } = browsing;
    await signIn(page, 'adm-1', PASSWORD);
    await page.getByRole('heading', { name: 'Xin chào, Phạm Quốc Dũng' }).waitFor();
    await page.goto(`${station.url}/ui/#/admin/users`);
    const row = page.locator('tr[data-account="off-2"]');
    await row.getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
    const dialog = page.getByRole('dialog', { name: 'Mật khẩu mới cho Đỗ Thị Hà' });
    await dialog.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '04-reset-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await row.getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
    await dialog.waitFor();
    await dialog.getByLabel('Mật khẩu mới (ít nhất 10 ký tự)').fill('ngắn');
    await page.keyboard.press('Enter');
    await expect(page.locator('#reset-password-error').textContent()).resolves.toMatch(/ít nhất 10 ký tự/);
    await dialog.getByLabel('Mật khẩu mới (ít nhất 10 ký tự)').fill(`${NEW_PASSWORD} lần hai`);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Đã đặt mật khẩu mới cho off-2' }).waitFor();

    await row.getByRole('button', { name: 'Vô hiệu hóa' }).click();
    await row.locator('[data-account-state="disabled"]').waitFor();
    await row.getByRole('button', { name: 'Kích hoạt lại' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '05-account-disabled');

    // The station agrees: the disabled account cannot sign in, with the new password or the old.
    const login = await fetch(`${station.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'off-2', password: `${NEW_PASSWORD} lần hai` }),
    });
    expect(login.status).toBeGreaterThanOrEqual(400);
    expect(((await login.json()) as { error: { code: string } }).error.code).toBe('AUTH_ACCOUNT_DISABLED');
  });
  it('lifts the lock that repeated wrong passwords put on an account', async () => {
    const { page } = browsing;
    const login = (password: string) =>
      fetch(`${station.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ account: 'off-1', password }),
      });
    /** Tries until the station's delay after a failure has passed; the code it answered. */
    const attempt = async (password: string): Promise<string> => {
      for (;;) {
        const answer = await login(password);
        if (answer.ok) return 'OK';
        const code = ((await answer.json()) as { error: { code: string } }).error.code;
        if (code !== 'AUTH_TOO_MANY_ATTEMPTS') return code;
        await new Promise((resolve) =>
          setTimeout(resolve, Number(answer.headers.get('retry-after') ?? 1) * 1000),
        );
      }
    };
    expect(await attempt('not the password at all')).toBe('AUTH_LOGIN_FAILED');
    expect(await attempt('still not the password')).toBe('AUTH_LOGIN_FAILED');
    expect(await attempt('nor is this one')).toBe('AUTH_ACCOUNT_LOCKED');
    expect(await attempt(PASSWORD)).toBe('AUTH_ACCOUNT_LOCKED');
    await page.reload();
    const row = page.locator('tr[data-account="off-1"]');
    await row.locator('[data-account-state="locked"]').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '06-account-locked');
    await row.getByRole('button', { name: 'Mở khóa' }).click();
    await row.locator('[data-account-state="active"]').waitFor();
    await page.getByRole('status').filter({ hasText: 'Đã mở khóa tài khoản off-1.' }).waitFor();
    expect(await attempt(PASSWORD)).toBe('OK');
  }, 60_000);
});

describe('the administrator’s devices and audit screens', () => {
  it('lists the devices and switches a simulator’s scenario', async () => {
    const { page } = browsing;
    await page.keyboard.press('Alt+1');
    await page.getByRole('heading', { name: 'Thiết bị và trạng thái' }).waitFor();
    await page.locator('tr[data-device-row="scanner-hid"]').waitFor();
    expect(await page.locator('tr[data-device-row="scanner-hid"]').textContent()).toMatch(
      /Máy quét vân tay.*Giả lập.*sẵn sàng/,
    );
    const scanner = page.locator('li[data-simulator="scanner-hid"]');
    await scanner.waitFor();
    expect(await scanner.locator('[data-current-scenario]').textContent()).toBe('good');
    await scanner.getByLabel('Kịch bản', { exact: true }).selectOption('dry');
    await scanner.getByRole('button', { name: 'Chuyển kịch bản' }).click();
    await scanner.getByRole('status').filter({ hasText: 'Đã chuyển sang kịch bản dry.' }).waitFor();
    // The card re-reads /sim/ after the switch: its current scenario follows.
    await expect.poll(() => scanner.locator('[data-current-scenario]').textContent()).toBe('dry');
    // The card's scenario applies to the next card put in, and the screen says so.
    const card = page.locator('li[data-simulator="card"]');
    await card.getByLabel('Kịch bản', { exact: true }).selectOption('tampered-dg');
    await card.getByRole('button', { name: 'Chuyển kịch bản' }).click();
    await card.getByRole('status').filter({ hasText: 'thẻ đặt vào tiếp theo' }).waitFor();
    const sims = (await page.evaluate(async () => (await fetch('/sim/')).json())) as {
      simulators: { name: string; scenario: string }[];
    };
    expect(sims.simulators.find((s) => s.name === 'scanner-hid')?.scenario).toBe('dry');
    expect(sims.simulators.find((s) => s.name === 'card')?.scenario).toBe('tampered-dg');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '07-devices');
  });

  it('verifies the audit trail on request', async () => {
    const { page } = browsing;
    await page.keyboard.press('Alt+4');
    await page.getByRole('heading', { name: 'Nhật ký kiểm tra' }).waitFor();
    const head = page.locator('[data-audit-head]');
    await head.waitFor();
    // Accounts created, disabled, sign-ins: the chain has entries.
    expect(Number(await head.getAttribute('data-audit-head'))).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Kiểm tra toàn bộ nhật ký' }).click();
    const report = page.locator('[data-intact]');
    await report.waitFor();
    expect(await report.getAttribute('data-intact')).toBe('true');
    expect(await report.textContent()).toMatch(/Nhật ký nguyên vẹn: \d+ mục\./);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '08-audit');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '09-audit-en');
    // The larger of the two screens the station must work at: the accounts in English.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.keyboard.press('Alt+3');
    await page.getByRole('heading', { name: "Officers' accounts" }).waitFor();
    await page.locator('tr[data-account="off-2"] [data-account-state="disabled"]').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '10-accounts-en-1920');
  });
});
