/**
 * The notary's verifications that must not pass, in a real Chromium against the built station, each
 * with its card put in through /sim/card: a card whose chip data was altered after signing (PA fails),
 * a cloned chip (the data copied onto a chip without the issuer's keys: CA and AA fail), and a genuine
 * card that central has on file as reported lost, and a genuine card presented by someone else (its
 * key from its QR code through the barcode scanner; a real photograph held up to the simulated camera through /sim/camera: the face engine tells real
 * faces apart, not the simulator's procedural ones; the photograph is read from the shared fixtures
 * at run time). The screen shows the failing check as it runs and the verdict in plain words.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
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
  sim,
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

  it('a face that does not match: someone else before the camera, the verdict says the person does not match', async () => {
    const { page } = browsing;
    await insertCard(station, 'valid');
    const card = await simulatedCard(station);
    // A real person's photograph, of the camera's frame size, held up to the lens.
    const photo = await sharp(await readFile(fixture('faces/biden__biden.jpg')))
      .rotate()
      .resize(640, 480, { fit: 'contain', background: { r: 200, g: 200, b: 200 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    await sim(station, 'POST', '/sim/camera/actions/photo', { jpeg: photo.toString('base64') });
    try {
      // This time the access key comes from the card's QR code, read by the barcode scanner.
      await page.goto(`${station.url}/ui/#/`);
      await page.getByRole('link', { name: /Xác thực thẻ/ }).click();
      await page.getByLabel('Mã QR trên thẻ').check();
      await page.getByRole('button', { name: 'Quét bằng máy quét mã' }).click();
      await page.getByText('Đang chờ mã QR…').waitFor();
      await sim(station, 'POST', '/sim/barcode/actions/scan-card', {});
      await page.getByText(`Đã đọc mã QR của thẻ số ${card.id12}.`).waitFor({ timeout: 15_000 });
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'verification-face-mismatch', '00-key-qr-scanned');
      await page.getByRole('button', { name: 'Đọc thẻ' }).click();
      await page.getByRole('heading', { name: 'Đối chiếu người xuất trình' }).waitFor({ timeout: 30_000 });
      await page.locator('img[data-portrait="live"]').waitFor({ timeout: 15_000 });
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'verification-face-mismatch', '01-person');
      await page.getByRole('button', { name: 'So khớp khuôn mặt' }).click();
      const face = page.locator('[data-face]');
      await face.waitFor({ timeout: 60_000 });
      expect(await face.getAttribute('data-face')).toBe('different');
      expect(await face.textContent()).toMatch(/^Khuôn mặt KHÔNG khớp với ảnh trong chip/);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'verification-face-mismatch', '02-face-different');
      const verdict = await toVerdict(page);
      await screenshot(page, 'verification-face-mismatch', '03-verdict');
      expect(verdict.code).toBe('person-does-not-match');
      expect(verdict.text).toMatch(/^Người xuất trình không khớp với chủ thẻ/);
      expect(await checkOutcomes(page)).toMatchObject({
        pa: 'passed',
        ca: 'passed',
        aa: 'passed',
        face: 'failed',
      });
    } finally {
      await sim(station, 'POST', '/sim/camera/actions/photo', {});
    }
  }, 90_000);
});
