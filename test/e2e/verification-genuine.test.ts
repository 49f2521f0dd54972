/**
 * The notary's verification of a genuine card with its holder, in a real Chromium against the built
 * station: the card screen refuses a malformed CAN under its field, then reads the simulated CCCD
 * (PACE-CAN, PA, CA, AA) and asks central for its status; the chip portrait stands beside the live
 * camera; the face and a fingerprint (the holder's fingers on the scanner, DG3 read under EAC) match;
 * the verdict says "genuine and holder present"; the password signs the report, which prints from
 * the screen (the PDF framed inline in Chromium's viewer) and saves as signed JSON; English on request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browsing,
  openBrowser,
  PASSWORD,
  type RunningStation,
  screenshot,
  seriousViolations,
  startStation,
} from './harness.ts';
import {
  checkOutcomes,
  insertCard,
  signInAsNotary,
  sim,
  simulatedCard,
  toVerdict,
} from './verification-support.ts';

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

const FLOW = 'verification-genuine';

describe('a notary verifies a genuine card with its holder', () => {
  it('reads the card, compares face and finger, says genuine, signs, prints and saves the report', async () => {
    const { page } = browsing;
    await insertCard(station, 'valid');
    const card = await simulatedCard(station);
    // The holder's own fingers on both scanners.
    for (const scanner of ['scanner-hid', 'scanner-serial'])
      await sim(station, 'POST', `/sim/${scanner}/actions/set-person`, { personSeed: card.fingerprintSeed });

    await signInAsNotary(page, station);
    await page.getByRole('link', { name: /Xác thực thẻ/ }).click();
    await page.getByRole('heading', { name: 'Xác thực thẻ Căn cước' }).waitFor();
    await page.locator('.ver-reader[data-cards="1"]').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '01-place-card');

    // A CAN of five digits is refused under its field, before anything is sent.
    const requests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/verifications'))
        requests.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    await page.getByLabel(/^Số CAN \(6 chữ số in/).fill('12345');
    await page.getByLabel(/^Số CAN \(6 chữ số in/).press('Enter');
    await expect(page.locator('#ver-can-error').textContent()).resolves.toBe('Số CAN gồm đúng 6 chữ số.');
    expect(requests).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '02-key-refused');

    // The QR way: the camera is not showing a card, so it says so.
    await page.getByLabel('Mã QR trên thẻ').check();
    await page.getByRole('button', { name: 'Đưa mã QR trước camera' }).click();
    await page.locator('#ver-qr-error').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '03-key-qr');
    await page.getByLabel('Số CAN (6 chữ số)', { exact: true }).check();

    // A mistyped CAN: the chip refuses it, the screen says so, and the same session takes the right one.
    await page.getByLabel(/^Số CAN \(6 chữ số in/).fill(card.can === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Đọc thẻ' }).click();
    const refusal = page.locator('.ver > .ver-grid .form-error[data-code]');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.getAttribute('data-code')).toMatch(/^[A-Z_]+$/);
    expect(await page.locator('[data-check="access"] [data-outcome]').getAttribute('data-outcome')).toBe(
      'pending',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '04-wrong-can');

    // Enter reads the card (a double Enter reads it once).
    await page.getByLabel(/^Số CAN \(6 chữ số in/).fill(card.can);
    await page.getByLabel(/^Số CAN \(6 chữ số in/).press('Enter');
    await page
      .getByLabel(/^Số CAN \(6 chữ số in/)
      .press('Enter')
      .catch(() => undefined);
    await page.getByRole('heading', { name: 'Đối chiếu người xuất trình' }).waitFor({ timeout: 30_000 });
    expect(requests.filter((r) => r.endsWith('/card-read'))).toHaveLength(2);
    expect(requests.filter((r) => r === 'POST /verifications')).toHaveLength(1);
    expect(await checkOutcomes(page)).toEqual({
      access: 'passed',
      pa: 'passed',
      ca: 'passed',
      aa: 'passed',
      status: 'passed',
    });
    await expect(page.locator('[data-holder="name"]').textContent()).resolves.toBe('Nguyễn Văn An');
    await expect(page.locator('[data-holder="id12"]').textContent()).resolves.toBe(card.id12);
    // Dates as the card prints them, with four-digit years (the century from the personal ID and DG13).
    await expect(page.locator('[data-holder="birth"]').textContent()).resolves.toBe('01/01/1999');
    await expect(page.locator('[data-holder="expiry"]').textContent()).resolves.toMatch(
      /^\d{2}\/\d{2}\/20\d{2}$/,
    );
    // The chip portrait beside the live camera.
    await page.locator('img[data-portrait="chip"]').waitFor();
    await page.locator('img[data-portrait="live"]').waitFor({ timeout: 15_000 });
    const chipWidth = await page
      .locator('img[data-portrait="chip"]')
      .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    expect(chipWidth).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '05-person');

    await page.getByRole('button', { name: 'So khớp khuôn mặt' }).click();
    await expect(
      page
        .locator('[data-face]')
        .waitFor({ timeout: 60_000 })
        .then(() => page.locator('[data-face]').getAttribute('data-face')),
    ).resolves.toBe('same');
    await page.getByRole('button', { name: 'Lấy vân tay' }).click();
    await page.locator('[data-finger]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-finger]').getAttribute('data-finger')).toBe('match');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '06-face-finger');

    const verdict = await toVerdict(page);
    expect(verdict).toEqual({
      code: 'genuine-holder-present',
      text: 'Thẻ thật và người xuất trình đúng là chủ thẻ.',
    });
    expect(await checkOutcomes(page)).toMatchObject({ face: 'passed', finger: 'passed' });
    await screenshot(page, FLOW, '07-verdict');

    // Signing asks for the password again; a wrong one is refused in Vietnamese.
    await page.getByLabel('Mật khẩu').fill('not the password');
    await page.getByRole('button', { name: 'Ký biên bản' }).click();
    await page.locator('.ver-report .form-error').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '08-sign-refused');
    await page.getByLabel('Mật khẩu').fill(PASSWORD);
    // After a failure the station slows the next attempt; the button waits as long as it asks.
    await page.locator('.ver-report button[type=submit]:not([disabled])').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Ký biên bản' }).dblclick();
    const signed = page.locator('[data-report]');
    await signed.waitFor({ timeout: 30_000 });
    expect(requests.filter((r) => r.endsWith('/report'))).toHaveLength(1);
    const reportId = (await signed.getAttribute('data-report')) ?? '';
    expect(reportId).toMatch(/^[0-9a-f-]{36}$/);

    // Print: the PDF is framed inline from the station (the kiosk prints it; no download).
    const pdf = page.waitForResponse((response) => response.url().includes('/report.pdf?print=true'));
    await page.getByRole('button', { name: 'In biên bản' }).click();
    const printed = await pdf;
    expect(printed.status()).toBe(200);
    expect(printed.headers()['content-type']).toBe('application/pdf');
    expect(printed.headers()['content-disposition']).toMatch(/^inline;/);
    // (Chromium's PDF viewer takes the framed response over; the bytes themselves, fetched again.)
    const head = await page.evaluate(async (url) => {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      return { magic: String.fromCharCode(...bytes.subarray(0, 5)), size: bytes.length };
    }, printed.url());
    expect(head.magic).toBe('%PDF-');
    expect(head.size).toBeGreaterThan(10_000);
    await page.locator('iframe.ver-print-frame').waitFor();
    // (The double click selected the words around the button; the screenshot shows the screen itself.)
    await page.evaluate('getSelection().removeAllRanges()');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '09-print-preview');
    await page.getByRole('button', { name: 'Đóng bản xem trước' }).click();
    // Save: the signed JSON, the report the screen named.
    const href =
      (await page.getByRole('link', { name: 'Lưu biên bản có chữ ký (JSON)' }).getAttribute('href')) ?? '';
    const saved = await page.evaluate(async (url) => (await fetch(url)).json(), href);
    expect(saved).toMatchObject({
      reportId,
      verdict: { code: 'genuine-holder-present' },
      officer: { id: 'not-1', authenticated: true, signingMethod: 'password' },
    });
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '10-report-signed');

    // The same screen at 1920 x 1080.
    await page.setViewportSize({ width: 1920, height: 1080 });
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '11-report-1920');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByText('The card is genuine and its holder is present.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '12-verdict-en');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();

    // Another card: Esc (or the button) starts again on the card screen.
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Mã truy cập chip' }).waitFor();
  }, 120_000);
});
