/**
 * A recapture loop on a dry finger: the simulated scanner's `dry` scenario gives faint prints; the
 * officer captures the right hand again up to the limit (3 attempts), the screen shows each
 * attempt's count and the weakest finger's score, the station keeps the best attempt (by its
 * weakest finger), and a fourth capture is refused with the officer's words. Then, with the
 * finger moistened (`good`), the set completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureSlap,
  firstIssueToFingerprints,
  fromPage,
  noSeriousViolations,
  scenario,
  signIn,
} from './enrollment-flow.ts';
import { type Browsing, openBrowser, type RunningStation, screenshot, startStation } from './harness.ts';

const FLOW = 'enrollment-dry-finger';
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

interface SlapView {
  hand: string;
  attempts: number;
  minScore: number;
}

describe('a dry finger', () => {
  it('is captured again up to the limit, the best attempt kept', async () => {
    const { page } = browsing;
    await page.goto(station.url);
    await signIn(page, 'off-1');
    await scenario(page, 'scanner-hid', 'good');
    const id = await firstIssueToFingerprints(page, 'Bùi Văn Tư');
    await scenario(page, 'scanner-hid', 'dry');

    // The kept attempt's weakest score after each attempt, from the draft (the best so far).
    const kept: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await captureSlap(page, 'right', attempt);
      const draft = await fromPage<{ slaps: SlapView[] }>(page, 'GET', `/enrollments/${id}`);
      const right = draft.slaps.find((s) => s.hand === 'right');
      expect(right?.attempts).toBe(attempt);
      kept.push(right?.minScore ?? -1);
      const shown = (await page.locator('li[data-hand="right"] .enr-attempts').textContent()) ?? '';
      expect(shown).toBe(`Lần ${attempt}/3, ngón yếu nhất ${right?.minScore} điểm`);
      if (attempt === 2) {
        await noSeriousViolations(page);
        await screenshot(page, FLOW, '01-recapture');
      }
    }
    // The kept score never goes down: a worse attempt leaves the best one in place (and says so).
    for (let i = 1; i < kept.length; i += 1) expect(kept[i]).toBeGreaterThanOrEqual(kept[i - 1] ?? 0);
    process.stdout.write(
      `e2e: dry finger, kept weakest-finger score after each attempt: ${kept.join(', ')}\n`,
    );

    // A fourth attempt is refused: the limit, and what to do instead.
    await page.getByRole('button', { name: /^Lấy lại bốn ngón tay phải$/ }).click();
    const refusal = page.locator('.enr-capture .form-error');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.textContent()).toMatch(/3 lần; lần tốt nhất được giữ/);
    expect(await page.locator('li[data-hand="right"]').getAttribute('data-attempts')).toBe('3');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '02-limit-reached');

    // The finger moistened: the other slaps are clean and the set completes.
    await scenario(page, 'scanner-hid', 'good');
    await captureSlap(page, 'left');
    await captureSlap(page, 'thumbs');
    expect(await page.locator('.enr-fingers li[data-state="captured"]').count()).toBe(10);
    await screenshot(page, FLOW, '03-set-complete');
  }, 200_000);
});
