/**
 * A station restart in the middle of an enrollment, resumed in the browser: the draft (details,
 * portrait and the right hand's slap) is on the station's disk encrypted; the restarted station no
 * longer knows the browser's session, so the next action sends the officer to sign in, and after
 * signing in the screen is back on the same draft at the same step, with nothing lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atStage,
  captureSlap,
  fillDetails,
  noSeriousViolations,
  openNewDraft,
  scenario,
  signIn,
  takePortrait,
} from './enrollment-flow.ts';
import {
  type Browsing,
  openBrowser,
  PASSWORD,
  type RunningStation,
  screenshot,
  startStation,
} from './harness.ts';

const FLOW = 'enrollment-resume';
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

describe('a station restart mid-enrollment', () => {
  it('resumes the draft in the browser after signing in again', async () => {
    const { page } = browsing;
    await page.goto(station.url);
    await signIn(page, 'off-1');
    await scenario(page, 'scanner-hid', 'good');
    const id = await openNewDraft(page);
    // The type screen's shortcut: Alt+1 is a first issue.
    await page.keyboard.press('Alt+1');
    await atStage(page, 'demographics');
    await fillDetails(page, { name: 'Lê Thị Thu Hà' });
    await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
    await atStage(page, 'portrait');
    await takePortrait(page);
    await captureSlap(page, 'right');
    await screenshot(page, FLOW, '01-before-restart');

    await station.restart();
    // The screen sees the lost connection, then the station again.
    await page.locator('.status-bar [data-device="scanner-hid"]').waitFor();
    await page.getByRole('button', { name: /^Lấy bốn ngón tay trái$/ }).click();
    await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).hash).toBe(`#/enrollment/${id}`);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '02-sign-in-again');
    await page.getByLabel('Tên tài khoản').fill('off-1');
    await page.getByLabel('Mật khẩu').fill(PASSWORD);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();

    // Back on the same draft, at the fingerprints, the right hand kept.
    await atStage(page, 'fingerprints');
    expect(await page.locator('h1').textContent()).toContain('Lê Thị Thu Hà');
    await page.locator('li[data-hand="right"][data-attempts="1"]').waitFor();
    expect(await page.locator('.enr-fingers li[data-state="captured"]').count()).toBe(4);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '03-resumed');
    await captureSlap(page, 'left');
    await captureSlap(page, 'thumbs');
    await page.getByRole('button', { name: 'Kiểm tra bộ vân tay' }).click();
    await atStage(page, 'review');
    await page.getByRole('img', { name: 'Ảnh chân dung đã chụp' }).waitFor();
    expect(await page.locator('dd[data-field="fullName"]').textContent()).toBe('Lê Thị Thu Hà');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '04-review-after-restart');
  }, 240_000);
});
