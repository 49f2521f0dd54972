/**
 * An e-ID level-2 registration in a real Chromium against the built station: the officer opens a
 * registration, reads the simulated CCCD with its CAN (PACE, PA, CA, AA, central's status), compares
 * the live camera with the chip portrait (both on screen), types a landline and a malformed e-mail (each refused under
 * its field, in Vietnamese, by the station), forgets a consent, then gives a mobile number and an
 * e-mail with the three consents, signs with the password again, and the application is queued and
 * acknowledged by the embedded central. A refresh on the way resumes the registration from its URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browsing,
  openBrowser,
  PASSWORD,
  type RunningStation,
  screenshot,
  seriousViolations,
  signIn,
  startStation,
} from './harness.ts';
import { insertCard, simulatedCard } from './verification-support.ts';

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

const FLOW = 'eid-registration';

describe('an e-ID level-2 registration', () => {
  it('card, live face, contact and consent, signature: queued, then acknowledged by central', async () => {
    const { page } = browsing;
    await insertCard(station, 'valid');
    const card = await simulatedCard(station);
    await page.goto(station.url);
    await signIn(page, 'off-1');
    await page.getByRole('link', { name: /Định danh điện tử mức 2/ }).click();
    await page.getByRole('heading', { name: 'Đăng ký định danh điện tử mức 2' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '01-start');

    await page.getByRole('button', { name: 'Bắt đầu đăng ký' }).dblclick();
    await page.getByRole('heading', { name: 'Đọc thẻ Căn cước của công dân' }).waitFor();
    expect(page.url()).toMatch(/#\/eid\/[0-9a-f-]{36}$/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '02-card');
    await page.getByLabel(/^Số CAN \(6 chữ số in/).fill(card.can);
    await page.getByLabel(/^Số CAN \(6 chữ số in/).press('Enter');
    await page
      .getByRole('heading', { name: 'Đối chiếu khuôn mặt với ảnh trong chip' })
      .waitFor({ timeout: 30_000 });
    await expect(page.locator('[data-holder="name"]').textContent()).resolves.toBe('Nguyễn Văn An');
    // The chip portrait beside the live camera.
    await page.locator('img[data-portrait="chip"]').waitFor();
    await page.locator('img[data-portrait="live"]').waitFor({ timeout: 15_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '03-face');

    // A refresh resumes the registration where it was (the station keeps it encrypted).
    await page.reload();
    await page.getByRole('heading', { name: 'Đối chiếu khuôn mặt với ảnh trong chip' }).waitFor();
    await page.getByRole('button', { name: 'So khớp khuôn mặt' }).click();
    await page.getByRole('heading', { name: 'Số điện thoại, email và sự đồng ý của công dân' }).waitFor({
      timeout: 60_000,
    });
    await page.locator('[data-face="same"]').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '04-contact');

    // A landline and a malformed address: the station's problem under each field, in Vietnamese.
    await page.getByLabel('Số điện thoại di động', { exact: true }).fill('024 3825 1234');
    await page.getByLabel('Địa chỉ email', { exact: true }).fill('an@@example');
    for (const name of [/^Dùng số điện thoại/, /^Dùng địa chỉ email/, /^Cho phép xử lý dữ liệu/])
      await page.getByLabel(name).check();
    await page.getByRole('button', { name: 'Lưu thông tin liên hệ' }).click();
    await page.locator('#eid-phone-error').waitFor();
    const phoneError = (await page.locator('#eid-phone-error').textContent()) ?? '';
    const emailError = (await page.locator('#eid-email-error').textContent()) ?? '';
    expect(phoneError).toMatch(/cố định|di động/);
    expect(emailError.length).toBeGreaterThan(5);
    expect(phoneError).not.toBe(emailError);
    expect(await page.getByLabel('Số điện thoại di động', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '05-contact-refused');

    // Without every consent nothing is sent.
    await page.getByLabel('Số điện thoại di động', { exact: true }).fill('+84 912 345 678');
    await page.getByLabel('Địa chỉ email', { exact: true }).fill('An.Nguyen@Example.VN');
    await page.getByLabel(/^Cho phép xử lý dữ liệu/).uncheck();
    await page.getByRole('button', { name: 'Lưu thông tin liên hệ' }).click();
    await expect(page.locator('#eid-consent-error').textContent()).resolves.toBe(
      'Cần công dân đánh dấu đồng ý cả ba mục.',
    );
    await page.getByLabel(/^Cho phép xử lý dữ liệu/).check();
    await page.getByRole('button', { name: 'Lưu thông tin liên hệ' }).click();
    await page.getByRole('heading', { name: 'Cán bộ ký hồ sơ' }).waitFor();
    // The station's normalised contact details.
    await page.getByText('Số điện thoại 0912345678, email An.Nguyen@example.vn.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '06-sign');

    await page.getByLabel('Mật khẩu').fill(PASSWORD);
    await page.getByRole('button', { name: 'Ký và gửi hồ sơ' }).click();
    await page.getByRole('heading', { name: 'Hồ sơ đã vào hàng đợi gửi' }).waitFor({ timeout: 30_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '07-queued');
    await page.locator('[data-upload="acknowledged"]').waitFor({ timeout: 60_000 });
    await page.getByText('Trung tâm đã nhận hồ sơ.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, FLOW, '08-acknowledged');
  }, 150_000);
});
