/**
 * A whole first-issue enrollment in a real Chromium against the built station and its simulators:
 * the queue, the type, the details (the name typed with Telex keys and sent in NFC; the station's
 * per-field refusals shown under their fields in Vietnamese), the portrait with the camera's live
 * feedback, the 4-4-2 fingerprints with the scanner's live preview (its frame rate measured as the
 * screen receives it), the station's checks, the review with the kept portrait, the signature with
 * the password entered again, the packet queued and acknowledged by the embedded central service,
 * and the citizen's receipt as a PDF. Every screen is checked with axe-core and saved as a screenshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atStage,
  captureSlap,
  fillDetails,
  fromPage,
  noSeriousViolations,
  openNewDraft,
  PERSON,
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

const FLOW = 'enrollment-first-issue';
let station: RunningStation;
let browsing: Browsing;

beforeAll(async () => {
  // The simulated finger takes 1.5 s to settle, previews streaming meanwhile, as a hand being placed.
  station = await startStation({ devices: { fingerprintHid: { simulatedFingerDelayMs: 1500 } } });
  browsing = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browsing?.close();
  await station?.stop();
});

describe('a first-issue enrollment', () => {
  it('goes from the queue to a packet acknowledged by central, with the receipt printed', async () => {
    const { page } = browsing;
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
    });
    await page.goto(station.url);
    await signIn(page, 'off-1');
    await scenario(page, 'scanner-hid', 'good');
    await scenario(page, 'camera', 'good');

    // The queue, loaded afresh: usable (its first button enabled, the device bar filled) soon after navigation.
    await page.goto('about:blank');
    const started = performance.now();
    await page.goto(`${station.url}/ui/#/enrollment`);
    await page.locator('button.enr-big:not([disabled])').waitFor();
    await page.locator('[data-device="scanner-hid"]').waitFor();
    const usableMs = performance.now() - started;
    process.stdout.write(`e2e: enrollment queue usable ${usableMs.toFixed(0)} ms after navigation\n`);
    await page.getByRole('heading', { name: 'Hồ sơ cấp Căn cước' }).waitFor();
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '01-queue');
    await page.getByRole('link', { name: 'Về trang chính' }).click();
    const id = await openNewDraft(page);
    expect(posts.filter((p) => p === '/enrollments')).toHaveLength(1);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '02-type');
    await page.getByRole('button', { name: /^Cấp mới/ }).click();
    await atStage(page, 'demographics');

    // The details: the name typed in Telex; a wrong date of birth against the personal ID and an
    // empty residence, refused by the station field by field.
    await fillDetails(page, { telexName: 'Nguyeenx Vawn An' });
    expect(await page.getByLabel('Họ, chữ đệm và tên').inputValue()).toBe('Nguyễn Văn An');
    await page.getByLabel('Ngày sinh').fill('2001-01-01');
    await page.getByLabel('Nơi thường trú').fill('');
    await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
    await page.locator('#enr-placeOfResidence-error').waitFor();
    expect(await page.locator('#enr-placeOfResidence-error').textContent()).toBe('Chưa nhập thông tin này.');
    expect(await page.locator('#enr-personalId-error').textContent()).toMatch(/\S/);
    expect(await page.getByLabel('Nơi thường trú').getAttribute('aria-invalid')).toBe('true');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '03-details-refused');
    await page.getByLabel('Ngày sinh').fill(PERSON.birthDate);
    await page.getByLabel('Nơi thường trú').fill(PERSON.placeOfResidence);
    await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
    await atStage(page, 'portrait');
    const typed = await fromPage<{ demographics: { applicant: { fullName: string } } }>(
      page,
      'GET',
      `/enrollments/${id}`,
    );
    expect(typed.demographics.applicant.fullName).toBe('Nguyễn Văn An'.normalize('NFC'));

    // The portrait with the camera's live feedback.
    await page.locator('.enr-feedback[data-accepted="true"]').waitFor({ timeout: 30_000 });
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '04-portrait-live');
    await takePortrait(page);

    // Fingerprints 4-4-2 with the live preview.
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '05-fingerprints');
    const button = page.getByRole('button', { name: /^Lấy bốn ngón tay phải$/ });
    await button.click();
    await page.locator('.enr-preview img').waitFor({ timeout: 30_000 });
    await screenshot(page, FLOW, '06-scanning');
    await page.locator('li[data-hand="right"][data-attempts="1"]').waitFor({ timeout: 60_000 });
    const preview = page.locator('.enr-preview');
    const right = {
      frames: Number(await preview.getAttribute('data-preview-frames')),
      fps: Number(await preview.getAttribute('data-preview-fps')),
    };
    const left = await captureSlap(page, 'left');
    const thumbs = await captureSlap(page, 'thumbs');
    const rates = [right, left, thumbs];
    for (const rate of rates) expect(rate.frames).toBeGreaterThanOrEqual(10);
    process.stdout.write(
      `e2e: fingerprint preview ${rates.map((r) => `${r.fps.toFixed(1)} frames/s (${r.frames} frames)`).join(', ')} reached the screen\n`,
    );
    expect(await page.locator('.enr-fingers li[data-state="captured"]').count()).toBe(10);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '07-fingerprints-captured');
    await page.getByRole('button', { name: 'Kiểm tra bộ vân tay' }).click();
    await atStage(page, 'review');

    // The review: every field, the kept portrait, every finger; no finding.
    await page.locator('[data-findings="0"]').waitFor();
    expect(await page.locator('dd[data-field="fullName"]').textContent()).toBe('Nguyễn Văn An');
    const portrait = page.getByRole('img', { name: 'Ảnh chân dung đã chụp' });
    await portrait.waitFor();
    await expect
      .poll(() => portrait.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '08-review');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await screenshot(page, FLOW, '08-review-1920');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Sign: a wrong password is refused, the right one signs.
    await page.getByLabel('Mật khẩu của bạn').fill('not my password');
    await page.getByRole('button', { name: 'Ký hồ sơ' }).click();
    await page.locator('.enr-sign .form-error').waitFor();
    expect(await page.locator('.enr-sign .form-error').textContent()).toMatch(/mật khẩu/i);
    await page.getByLabel('Mật khẩu của bạn').fill(PASSWORD);
    // The station slows the next attempt after a wrong password; the button waits as long as it asks.
    await page.locator('.enr-sign button[type=submit]:not([disabled])').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Ký hồ sơ' }).click();
    await atStage(page, 'signed');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '09-signed');

    // Send: a double click queues one packet.
    await page.getByRole('button', { name: 'Gửi hồ sơ' }).dblclick();
    await page.getByRole('heading', { name: 'Đã gửi hồ sơ' }).waitFor({ timeout: 60_000 });
    const packetId = await page.locator('code[data-packet]').getAttribute('data-packet');
    expect(packetId).toMatch(/^[0-9a-f-]{36}$/);
    const submits = await fromPage<{ packets: { packetId: string; state: string }[] }>(
      page,
      'GET',
      '/outbox',
    );
    expect(submits.packets.filter((p) => p.packetId === packetId)).toHaveLength(1);
    await page.locator('[data-upload="acknowledged"]').waitFor({ timeout: 90_000 });
    const outbox = await fromPage<{ packets: { packetId: string; state: string }[] }>(page, 'GET', '/outbox');
    expect(outbox.packets.find((p) => p.packetId === packetId)?.state).toBe('acknowledged');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '10-queued-acknowledged');

    // The receipt the kiosk prints: a PDF of this enrollment.
    const href = await page.getByRole('link', { name: 'In giấy hẹn' }).getAttribute('href');
    expect(href).toBe(`/enrollments/${id}/receipt`);
    const receipt = await page.request.get(`${station.url}${href}`);
    expect(receipt.status()).toBe(200);
    expect(receipt.headers()['content-type']).toBe('application/pdf');
    expect((await receipt.body()).subarray(0, 5).toString()).toBe('%PDF-');
  }, 300_000);
});
