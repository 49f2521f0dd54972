/**
 * Steps the enrollment e2e flows share: signing in, opening a draft, the simulators' scenarios
 * (through the station's /sim routes, with the page's own session), the details form, and the
 * captures, each waiting for what the screen shows rather than for time.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { seriousViolations } from './harness.ts';

export const PERSON = {
  personalId: '001099012345',
  birthDate: '1999-01-01',
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Hà Nội',
  placeOfBirthRegistration: 'Hà Nội',
  placeOfResidence: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
};

export { signIn } from './harness.ts';

/** Sends a request from the page (its session cookie and Origin), answering the parsed JSON. */
export async function fromPage<T>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, text: await response.text() };
    },
    { method, path, body },
  );
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
  return JSON.parse(answer.text) as T;
}

/** Switches a simulator's scenario (test environment only). */
export async function scenario(page: Page, simulator: string, name: string): Promise<void> {
  await fromPage(page, 'PUT', `/sim/${simulator}/scenario`, { scenario: name });
}

/** From home: the enrollment queue, then a new draft; answers its id. */
export async function openNewDraft(page: Page): Promise<string> {
  await page.getByRole('link', { name: /Cấp Căn cước/ }).click();
  await page.getByRole('heading', { name: 'Hồ sơ cấp Căn cước' }).waitFor();
  await page.getByRole('button', { name: 'Hồ sơ mới' }).click();
  await page.getByRole('heading', { name: 'Loại hồ sơ', level: 1 }).waitFor();
  const id = /#\/enrollment\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
  if (id === undefined) throw new Error(`no draft id in ${page.url()}`);
  return id;
}

/** Waits until the draft shown is at `stage`. */
export async function atStage(page: Page, stage: string, timeout = 30_000): Promise<void> {
  await page.locator(`main[data-stage="${stage}"]`).waitFor({ timeout });
}

/** Fills the details form with PERSON and `name`, typing the name with Telex keys when asked. */
export async function fillDetails(
  page: Page,
  options: { telexName?: string; name?: string } = {},
): Promise<void> {
  await page.getByLabel('Số định danh cá nhân').fill(PERSON.personalId);
  const name = page.getByLabel('Họ, chữ đệm và tên');
  if (options.telexName !== undefined) {
    await name.fill('');
    await name.pressSequentially(options.telexName);
  } else await name.fill(options.name ?? 'Nguyễn Văn An');
  await page.getByLabel('Ngày sinh').fill(PERSON.birthDate);
  await page.getByRole('radio', { name: 'Nam', exact: true }).check();
  await page.getByLabel('Dân tộc').fill(PERSON.ethnicity);
  await page.getByLabel('Tôn giáo').fill(PERSON.religion);
  await page.getByLabel('Quê quán').fill(PERSON.placeOfOrigin);
  await page.getByLabel('Nơi đăng ký khai sinh').fill(PERSON.placeOfBirthRegistration);
  await page.getByLabel('Nơi thường trú').fill(PERSON.placeOfResidence);
}

/** Takes the portrait once the camera's live picture is showing. */
export async function takePortrait(page: Page): Promise<void> {
  await page.getByRole('img', { name: 'Hình ảnh trực tiếp từ camera' }).waitFor();
  await page.getByRole('button', { name: 'Chụp ảnh', exact: true }).click();
  await atStage(page, 'fingerprints', 60_000);
}

const HAND_BUTTON: Readonly<Record<string, RegExp>> = {
  right: /^Lấy (lại )?bốn ngón tay phải$/,
  left: /^Lấy (lại )?bốn ngón tay trái$/,
  thumbs: /^Lấy (lại )?hai ngón cái$/,
};

/** Captures one slap and waits for its attempt count to reach `attempt`; answers the preview counters. */
export async function captureSlap(
  page: Page,
  hand: 'right' | 'left' | 'thumbs',
  attempt = 1,
): Promise<{ frames: number; fps: number }> {
  await page.getByRole('button', { name: HAND_BUTTON[hand] }).click();
  const done = page.locator(`li[data-hand="${hand}"][data-attempts="${attempt}"]`);
  const refused = page.locator('.enr-capture .form-error');
  await done.or(refused).first().waitFor({ timeout: 60_000 });
  if (!(await done.isVisible()))
    throw new Error(`the ${hand} capture was refused: ${await refused.textContent()}`);
  const preview = page.locator('.enr-preview');
  return {
    frames: Number(await preview.getAttribute('data-preview-frames')),
    fps: Number(await preview.getAttribute('data-preview-fps')),
  };
}

export async function noSeriousViolations(page: Page): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
}

/** From home: a new first-issue draft with the details typed and the portrait taken; answers its id. */
export async function firstIssueToFingerprints(page: Page, name: string): Promise<string> {
  const id = await openNewDraft(page);
  await page.getByRole('button', { name: /^Cấp mới/ }).click();
  await atStage(page, 'demographics');
  await fillDetails(page, { name });
  await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
  await atStage(page, 'portrait');
  await takePortrait(page);
  return id;
}
