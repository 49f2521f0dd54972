/**
 * The same hand presented twice, caught: the simulated scanner's `same-hand-twice` scenario puts the
 * right hand on the glass again for the left slap. Its geometry shows the right hand (and the
 * segmentation finds three fingers where the left slap wants four), so the station refuses the
 * capture and names the hand to place, in the officer's language; nothing is kept, and once the
 * left hand is captured the set checks pass. (A wrong-hand slap segmented into four fingers would
 * be caught by run-checks as SAME_HAND_TWICE instead: test/integration/set-checks.test.ts.)
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
import { type Browsing, openBrowser, type RunningStation, screenshot, startStation } from './harness.ts';

const FLOW = 'enrollment-same-hand';
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

describe('the same hand twice', () => {
  it('is refused with the hand to place, and the left hand then completes the set', async () => {
    const { page } = browsing;
    await page.goto(station.url);
    await signIn(page, 'off-1');
    await scenario(page, 'scanner-hid', 'good');
    await firstIssueToFingerprints(page, 'Võ Minh Khôi');
    await captureSlap(page, 'right');
    await scenario(page, 'scanner-hid', 'same-hand-twice');
    await page.getByRole('button', { name: /^Lấy bốn ngón tay trái$/ }).click();

    // The right hand again on the left slap: its geometry shows the right hand, and the station
    // says so in Vietnamese; nothing is kept, the draft stays at the fingerprints.
    const refusal = page.locator('.enr-capture .form-error');
    await refusal.waitFor({ timeout: 60_000 });
    expect(await refusal.textContent()).toBe(
      'Bàn tay trên máy quét là tay phải, không phải tay trái: mời đặt tay trái rồi lấy lại.',
    );
    expect(await page.locator('li[data-hand="left"]').getAttribute('data-attempts')).toBe('0');
    expect(await page.locator('.enr-fingers li[data-state="captured"]').count()).toBe(4);
    await atStage(page, 'fingerprints');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '01-same-hand-caught');
    await page.getByRole('button', { name: 'English' }).click();
    expect(await refusal.textContent()).toBe(
      'The hand on the scanner is the right hand, not the left: place the left hand and capture again.',
    );
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await scenario(page, 'scanner-hid', 'good');

    // The left hand this time: the set is complete, the checks pass and the review opens.
    await captureSlap(page, 'left');
    await captureSlap(page, 'thumbs');
    await page.getByRole('button', { name: 'Kiểm tra bộ vân tay' }).click();
    await atStage(page, 'review');
    await page.locator('[data-findings="0"]').waitFor();
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '02-cleared-review');
  }, 200_000);
});
