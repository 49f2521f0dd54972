/**
 * What the notary's flows share: the simulators set through /sim (the test environment's controls),
 * signing in as the notary, and going through the card screen with the card's CAN.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { PASSWORD, type RunningStation, seriousViolations, signIn } from './harness.ts';

const cookies = new WeakMap<RunningStation, string>();

/** The tester's session (the admin account): /sim writes need a session and the station's Origin. */
async function testerCookie(station: RunningStation): Promise<string> {
  const known = cookies.get(station);
  if (known !== undefined) return known;
  const response = await fetch(`${station.url}/auth/login`, {
    method: 'POST',
    headers: { origin: station.url, 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'adm-1', password: PASSWORD }),
  });
  if (!response.ok) throw new Error(`the tester's login failed: ${response.status} ${await response.text()}`);
  const cookie = String(response.headers.get('set-cookie')).split(';')[0] ?? '';
  cookies.set(station, cookie);
  return cookie;
}

/** Calls a /sim route of the running station as the tester; resolves to its JSON answer. */
export async function sim(
  station: RunningStation,
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${station.url}${url}`, {
    method,
    headers: {
      cookie: await testerCookie(station),
      origin: station.url,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The simulated card's printed numbers and CAN, and its holder's fingerprint seed. */
export async function simulatedCard(station: RunningStation) {
  const card = (await sim(station, 'GET', '/sim/card')) as {
    state: {
      person: { id12: string; dateOfBirth: string; dateOfExpiry: string; can: string };
      fingerprintSeed: number;
    };
  };
  return { ...card.state.person, fingerprintSeed: card.state.fingerprintSeed };
}

/** Puts a fresh card of `scenario` in the reader at once. */
export async function insertCard(station: RunningStation, scenario: string): Promise<void> {
  await sim(station, 'PUT', '/sim/card/scenario', { scenario, applyNow: true });
}

/** Signs in as the notary (the sign-in screen, then the home screen's tile). */
export async function signInAsNotary(page: Page, station: RunningStation): Promise<void> {
  await page.goto(station.url);
  await signIn(page, 'not-1');
}

/** From the home screen: the verification tile, the CAN typed, the card read; waits for the person step. */
export async function readCardWithCan(page: Page, can: string): Promise<void> {
  await page.getByRole('link', { name: /Xác thực thẻ/ }).click();
  await page.getByRole('heading', { name: 'Xác thực thẻ Căn cước' }).waitFor();
  await page.getByLabel(/^Số CAN \(6 chữ số in/).fill(can);
  await page.getByRole('button', { name: 'Đọc thẻ' }).click();
  await page.getByRole('heading', { name: 'Đối chiếu người xuất trình' }).waitFor({ timeout: 30_000 });
}

/** Every check's outcome on the screen, by check id (access, pa, ca, aa, status, face, finger). */
export async function checkOutcomes(page: Page): Promise<Record<string, string>> {
  const items = page.locator('.ver-checks li[data-check]');
  const found: Record<string, string> = {};
  for (const item of await items.all()) {
    const id = (await item.getAttribute('data-check')) ?? '';
    found[id] = (await item.locator('[data-outcome]').getAttribute('data-outcome')) ?? '';
  }
  return found;
}

/** The verdict screen after "see the verdict": its code and its sentence. */
export async function toVerdict(page: Page): Promise<{ code: string; text: string }> {
  await page.getByRole('button', { name: 'Xem kết luận' }).click();
  const banner = page.locator('[data-verdict]');
  await banner.waitFor({ timeout: 30_000 });
  expect(await seriousViolations(page)).toEqual([]);
  return {
    code: (await banner.getAttribute('data-verdict')) ?? '',
    text: (await banner.locator('.ver-verdict-text').textContent()) ?? '',
  };
}
