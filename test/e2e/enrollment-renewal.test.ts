/**
 * A renewal that reads the old card and prefills: the officer chooses renewal, enters the CAN
 * printed on the old card, the station reads the chip (PACE, Passive Authentication) and looks the
 * citizen up in the population database; the details form opens filled in, the old card number
 * carried over; the officer changes the residence and the screen lists what differs from the
 * records, as the station does once the details are saved. Then the citizen leaves and the draft
 * is abandoned with a reason, typed in Telex.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atStage, fromPage, noSeriousViolations, openNewDraft, signIn } from './enrollment-flow.ts';
import { type Browsing, openBrowser, type RunningStation, screenshot, startStation } from './harness.ts';

const FLOW = 'enrollment-renewal';
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

describe('a renewal', () => {
  it('reads the old card, prefills the details and shows what the officer changes', async () => {
    const { page } = browsing;
    await page.goto(station.url);
    await signIn(page, 'off-1');
    const card = await fromPage<{ state: { person: { id12: string; can: string } } }>(
      page,
      'GET',
      '/sim/card',
    );
    const { id12, can } = card.state.person;
    const id = await openNewDraft(page);
    await page.getByRole('button', { name: /^Cấp đổi/ }).click();
    await atStage(page, 'prefill');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '01-old-card');

    // A CAN of five digits is refused on the screen; the right one reads the chip.
    await page.getByLabel('Mã CAN', { exact: true }).fill(can.slice(0, 5));
    await page.getByRole('button', { name: 'Đọc thẻ' }).click();
    expect(await page.locator('#enr-can-error').textContent()).toBe('Mã CAN gồm 6 chữ số.');
    await page.getByLabel('Mã CAN', { exact: true }).fill(can);
    await page.getByRole('button', { name: 'Đọc thẻ' }).click();
    await atStage(page, 'demographics', 60_000);

    // The form is filled from the chip and the population database.
    expect(await page.locator('[data-prefill]').getAttribute('data-prefill')).toBe('card');
    expect(await page.getByLabel('Số định danh cá nhân').inputValue()).toBe(id12);
    expect(await page.getByLabel('Số thẻ cũ').inputValue()).toBe(id12);
    const name = await page.getByLabel('Họ, chữ đệm và tên').inputValue();
    expect(name.length).toBeGreaterThan(3);
    const draft = await fromPage<{
      prefill: { record: Record<string, string>; card?: Record<string, string> };
    }>(page, 'GET', `/enrollments/${id}`);
    expect(name).toBe(draft.prefill.record.fullName);
    expect(await page.getByLabel('Ngày sinh').inputValue()).toBe(draft.prefill.record.birthDate);
    expect(await page.locator('.enr-changes').count()).toBe(0);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '02-prefilled');

    // The citizen moved: what differs is listed as it is typed, and by the station once saved.
    const moved = 'Số 12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội';
    await page.getByLabel('Nơi thường trú').fill(moved);
    const row = page.locator('.enr-changes tr[data-change="placeOfResidence"]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain(moved);
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '03-differences');
    await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
    await atStage(page, 'portrait');
    const saved = await fromPage<{
      prefill: { differences: { field: string; typed: string; recorded: string }[] };
    }>(page, 'GET', `/enrollments/${id}`);
    expect(saved.prefill.differences).toEqual(
      expect.arrayContaining([
        {
          field: 'placeOfResidence',
          typed: moved,
          recorded: draft.prefill.record.placeOfResidence,
        },
      ]),
    );

    // The citizen leaves: abandoning asks for a reason (Enter submits the dialog) and wipes the draft.
    await page.getByRole('button', { name: 'Hủy hồ sơ' }).click();
    const dialog = page.getByRole('dialog', { name: 'Hủy hồ sơ này?' });
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    expect(await dialog.locator('#enr-abandon-reason-error').textContent()).toBe('Chưa nhập thông tin này.');
    await dialog.getByLabel('Lý do hủy').pressSequentially('Coong daan veef truwowcs');
    expect(await dialog.getByLabel('Lý do hủy').inputValue()).toBe('Công dân về trước');
    await noSeriousViolations(page);
    await screenshot(page, FLOW, '04-abandon');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Hồ sơ cấp Căn cước' }).waitFor();
    await page.locator('.enr-queue, .enr-queue ~ p, main p.note').first().waitFor();
    expect(await page.locator(`li[data-draft="${id}"]`).count()).toBe(0);
    const gone = await page.evaluate(async (path) => (await fetch(path)).status, `/enrollments/${id}`);
    expect(gone).toBe(404);
  }, 200_000);
});
