/**
 * The notary's verifications that must not pass, in a real Chromium against the built station, each
 * with its card put in through /sim/card: a card whose chip data was altered after signing (PA fails),
 * a cloned chip (the data copied onto a chip without the issuer's keys: CA and AA fail), and a genuine
 * card that central has on file as reported lost. The screen shows the failing check as it runs and
 * the verdict in plain words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browsing,
  openBrowser,
  type RunningStation,
  screenshot,
  seriousViolations,
  startStation,
} from './harness.ts';
import {
  checkOutcomes,
  insertCard,
  readCardWithCan,
  signInAsNotary,
  simulatedCard,
  toVerdict,
} from './verification-support.ts';

let station: RunningStation;
let browsing: Browsing;

beforeAll(async () => {
  station = await startStation();
  browsing = await openBrowser();
  await signInAsNotary(browsing.page, station);
}, 120_000);

afterAll(async () => {
  await browsing?.close();
  await station?.stop();
});

/** Puts a card of `scenario` in, reads it with its CAN, and takes the screens to the verdict. */
async function verify(flow: string, scenario: string) {
  const { page } = browsing;
  await insertCard(station, scenario);
  const card = await simulatedCard(station);
  await page.goto(`${station.url}/ui/#/`);
  await readCardWithCan(page, card.can);
  const checks = await checkOutcomes(page);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, flow, '01-card-read');
  const verdict = await toVerdict(page);
  await screenshot(page, flow, '02-verdict');
  return { card, checks, verdict };
}

describe('notary verifications that must not pass', () => {
  it('a tampered card: the data signature check fails and the verdict says the data was altered', async () => {
    const { checks, verdict } = await verify('verification-tampered', 'tampered-dg');
    expect(checks).toMatchObject({ access: 'passed', pa: 'failed' });
    expect(verdict.code).toBe('data-altered');
    expect(verdict.text).toBe('Dữ liệu trên chip đã bị sửa đổi: không chấp nhận thẻ, báo cáo cấp trên.');
  }, 60_000);

  it('a cloned chip: chip and active authentication fail and the verdict says cloned chip', async () => {
    const { checks, verdict } = await verify('verification-cloned', 'cloned-chip');
    expect(checks).toMatchObject({ access: 'passed', pa: 'passed', ca: 'failed', aa: 'failed' });
    expect(verdict.code).toBe('cloned-chip');
    expect(verdict.text).toMatch(/^Nghi chip bị sao chép/);
  }, 60_000);

  it('a card reported lost: genuine chip, central says lost, and so does the verdict', async () => {
    const { card, checks, verdict } = await verify('verification-lost', 'reported-lost');
    expect(card.id12).toBe('079190001234');
    expect(checks).toEqual({ access: 'passed', pa: 'passed', ca: 'passed', aa: 'passed', status: 'failed' });
    expect(await browsing.page.locator('[data-check="status"] .ver-check-detail').textContent()).toBe(
      'đã báo mất',
    );
    expect(verdict.code).toBe('reported-lost');
    expect(verdict.text).toMatch(/^Thẻ đã được báo mất/);
    await insertCard(station, 'valid');
  }, 60_000);
});
