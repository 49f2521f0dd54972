/**
 * A notary's verification over real HTTP on the composed embedded station, with real officer
 * accounts (station/auth): an enrollment officer is refused the notary's routes; the notary signs
 * in, reads the simulated CCCD (PACE, PA, CA, AA), gets its status from the embedded central,
 * compares the holder's face with DG2 on the real face engine, enters the password again to sign
 * the report, and downloads it as JSON and PDF; after logout the session no longer works.
 * (The workflow's every verdict is tested through inject in test/unit/station/verification-api.)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CccdCardSimulator } from '../../simulators/card/cccd-card-sim.ts';
import { AuthService } from '../../station/auth/service.ts';
import { systemClock } from '../../station/clock.ts';
import { embeddedStation, tempDir } from '../support/station.ts';

const data = tempDir('verification-http-');
let cleanup: (() => Promise<void>) | undefined;

afterAll(async () => {
  await cleanup?.();
  data.remove();
});

const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
const PASSWORD = 'a notary password';

describe('notary verification over HTTP', () => {
  it('a notary signs in, verifies the genuine card with its holder, signs the report and downloads it', async () => {
    const auth = new AuthService({ dataDir: data.dir, clock: systemClock, scrypt: FAST });
    await auth.admin.add({
      id: 'not-1',
      displayName: 'Công chứng viên',
      roles: ['notary'],
      password: PASSWORD,
    });
    await auth.admin.add({ id: 'off-1', displayName: 'Cán bộ', roles: ['officer'], password: PASSWORD });
    const station = await embeddedStation(
      { hotpath: { workers: 1 }, devices: { fingerprintSerial: { mode: 'disabled' } } },
      systemClock,
      { auth, dataDir: data.dir },
    );
    cleanup = station.cleanup;
    const origin = (await station.app.listen({ host: '127.0.0.1', port: 0 })).replace(
      'localhost',
      '127.0.0.1',
    );

    const login = async (account: string) => {
      const r = await fetch(`${origin}/auth/login`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ account, password: PASSWORD }),
      });
      expect(r.status, await r.clone().text()).toBe(200);
      return String(r.headers.get('set-cookie')).split(';')[0] as string;
    };
    const call = (cookie: string, method: string, url: string, body?: unknown) =>
      fetch(`${origin}${url}`, {
        method,
        headers: {
          cookie,
          origin,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    // An enrollment officer is not a notary.
    const officer = await login('off-1');
    expect((await call(officer, 'POST', '/verifications')).status).toBe(403);

    const notary = await login('not-1');
    const created = await call(notary, 'POST', '/verifications');
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { sessionId: string }).sessionId;
    let version = 0;
    const step = async (name: string, body: Record<string, unknown> = {}) => {
      const r = await call(notary, 'POST', `/verifications/${id}/${name}`, { version, ...body });
      // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the test asserts
      const answer = (await r.json()) as any;
      expect(r.status, `${name}: ${JSON.stringify(answer)}`).toBe(200);
      version = answer.version;
      return answer;
    };

    const card = station.deps.simulators?.find((s) => s.name === 'card') as CccdCardSimulator | undefined;
    if (card === undefined) throw new Error('the embedded station has a simulated card');
    const access = card.access();
    await step('card-key', {
      id12: access.id12,
      dateOfBirth: access.dateOfBirth,
      dateOfExpiry: access.dateOfExpiry,
    });
    const read = await step('card-read', { waitMs: 10_000 });
    expect(read.result).toMatchObject({
      passiveAuthentication: { verdict: 'valid' },
      chip: { verdict: 'genuine-chip' },
    });
    // Central answers once the station has registered with it; the status step says so either way.
    const status = await step('status');
    expect(status.result.checked === false || status.result.status === 'valid').toBe(true);
    const live = Buffer.from(card.lds().portraitJpeg).toString('base64');
    const face = await step('face', { image: live });
    expect(face.result).toMatchObject({ checked: true, decision: 'same', claim: 'station' });
    await step('finger', { skip: true });
    const verdict = await step('verdict');
    expect(verdict.result.code).toMatch(/^genuine-holder-present/);

    // Signing asks for the password again: a grant from /auth/reauth.
    const unsigned = await call(notary, 'POST', `/verifications/${id}/report`, { version });
    expect(unsigned.status).toBe(403);
    const reauth = await call(notary, 'POST', '/auth/reauth', { password: PASSWORD });
    expect(reauth.status).toBe(200);
    const { grantId } = (await reauth.json()) as { grantId: string };
    const report = await step('report', { grant: grantId });
    expect(report.state).toBe('reported');

    const json = await call(notary, 'GET', `/verifications/${id}/report.json`);
    expect(json.status).toBe(200);
    const signed = await json.json();
    expect(signed).toMatchObject({
      officer: { id: 'not-1', authenticated: true, signingMethod: 'password' },
    });
    const pdf = await call(notary, 'GET', `/verifications/${id}/report.pdf`);
    expect(pdf.status).toBe(200);
    const file = path.join(data.dir, 'report.pdf');
    writeFileSync(file, new Uint8Array(await pdf.arrayBuffer()));
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).normalize(
      'NFC',
    );
    expect(text).toContain('Biên bản xác minh thẻ căn cước gắn chip');
    expect(text).toContain('Nguyễn Văn An');

    const out = await call(notary, 'POST', '/auth/logout');
    expect(out.status).toBe(204);
    expect((await call(notary, 'POST', '/verifications')).status).toBe(401);
  }, 240_000);
});
