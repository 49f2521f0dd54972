/**
 * An amputated finger with a supervisor's approval: the officer declares the left ring finger
 * amputated (the dialog asks for the reason and the confirmation, Escape cancels it), the scanner
 * presents the left hand without it, the officer signs, and the screen waits for a supervisor, who
 * signs in on a second screen (another browser context), opens the same draft from the queue and
 * approves it; the officer's screen follows by itself and sends the packet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atStage,
  captureSlap,
  firstIssueToFingerprints,
  noSeriousViolations,
  scenario,
  signIn,
} from './enrollment-flow.ts';
import {
  type Browsing,
  openBrowser,
  PASSWORD,
  type RunningStation,
  screenshot,
  startStation,
} from './harness.ts';

const FLOW = 'enrollment-approval';
let station: RunningStation;
let browsing: Browsing;

beforeAll(async () => {
  station = await startStation();
  browsing = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browsing?.close();
  await station?.stop();
});

describe('an amputated finger', () => {
  it('is declared with its reason, and a supervisor on another screen approves before the packet is sent', async () => {
    const { page, browser } = browsing;
    await page.goto(station.url);
    await signIn(page, 'off-1');
    await scenario(page, 'scanner-hid', 'good');
    const id = await firstIssueToFingerprints(page, 'Đặng Thị Mai');
    await captureSlap(page, 'right');

    // The exception dialog: Escape cancels it; the reason and the confirmation are required.
    const ring = page.locator('.enr-fingers li[data-finger="9"]');
    await ring.getByRole('button', { name: 'Ngoại lệ' }).click();
    const dialog = page.getByRole('dialog', { name: 'Khai báo ngoại lệ: Ngón áp út trái' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await ring.getByRole('button', { name: 'Ngoại lệ' }).click();
    await dialog.getByRole('button', { name: 'Xác nhận ngoại lệ' }).click();
    expect(await dialog.locator('#enr-reason-error').textContent()).toBe('Chọn một lý do.');
    expect(await dialog.locator('#enr-confirm-error').textContent()).toBe('Cán bộ phải xác nhận ngoại lệ.');
    await dialog.getByRole('radio', { name: 'cụt ngón' }).check();
    await dialog.getByLabel('Ghi chú').fill('Tai nạn lao động năm 2015');
    await dialog.getByRole('checkbox').check();
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '01-exception-dialog');
    await dialog.getByRole('button', { name: 'Xác nhận ngoại lệ' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await ring.getAttribute('data-state')).toBe('exception');
    expect(await page.locator('g[data-finger="9"]').getAttribute('data-state')).toBe('exception');

    // The left hand without its ring finger; then the thumbs; the checks; the review.
    await scenario(page, 'scanner-hid', 'missing-finger');
    await captureSlap(page, 'left');
    await scenario(page, 'scanner-hid', 'good');
    await captureSlap(page, 'thumbs');
    expect(await page.locator('.enr-fingers li[data-state="captured"]').count()).toBe(9);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '02-fingerprints-with-exception');
    await page.getByRole('button', { name: 'Kiểm tra bộ vân tay' }).click();
    await atStage(page, 'review');
    expect(await page.locator('.enr-exceptions').textContent()).toContain('Ngón áp út trái: cụt ngón');
    await page.getByLabel('Mật khẩu của bạn').fill(PASSWORD);
    await page.getByRole('button', { name: 'Ký hồ sơ' }).click();
    await atStage(page, 'signed');

    // The officer cannot approve; the screen waits for a supervisor.
    await page.locator('[data-approval="needed"]').waitFor();
    expect(await page.getByRole('button', { name: 'Phê duyệt hồ sơ' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Gửi hồ sơ' }).count()).toBe(0);
    expect(await page.locator('[data-approval]').textContent()).toContain('có ngón tay ngoại lệ');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '03-waiting-for-approval');

    // The supervisor, on a screen of their own.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
    try {
      const supervisor = await context.newPage();
      await supervisor.goto(station.url);
      await signIn(supervisor, 'sup-1');
      await supervisor.getByRole('link', { name: /Cấp Căn cước/ }).click();
      await supervisor.locator(`li[data-draft="${id}"] a`).click();
      await atStage(supervisor, 'signed');
      await supervisor.getByRole('button', { name: 'Phê duyệt hồ sơ' }).waitFor();
      expect(await supervisor.locator('dd[data-field="fullName"]').textContent()).toBe('Đặng Thị Mai');
      await noSeriousViolations(supervisor);
      await screenshot(supervisor, FLOW, '04-supervisor-approves');
      await supervisor.getByRole('button', { name: 'Phê duyệt hồ sơ' }).click();
      await atStage(supervisor, 'approved');
    } finally {
      await context.close();
    }

    // The officer's screen follows, and sends.
    await atStage(page, 'approved', 15_000);
    expect(await page.locator('[data-approval]').textContent()).toContain('Đã được sup-1 phê duyệt.');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '05-approved');
    await page.getByRole('button', { name: 'Gửi hồ sơ' }).click();
    await page.getByRole('heading', { name: 'Đã gửi hồ sơ' }).waitFor({ timeout: 60_000 });
    await screenshot(page, FLOW, '06-queued');
  }, 240_000);
});
