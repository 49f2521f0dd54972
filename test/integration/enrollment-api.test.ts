/**
 * A whole first-issue enrollment through the HTTP API on the embedded default: the simulated HID
 * scanner's three slaps through the hot path, the simulated camera's portrait through the face
 * engine, the station-side checks, the officer's signature, then the packet sealed into the outbox
 * and acknowledged by the embedded central simulator. A restart in the middle resumes the draft
 * from its encrypted file. The officer signs in (station/auth) and enters the password again to sign.
 *
 * Then, over real HTTP on a loopback port: a renewal prefilled by reading the old card's chip and
 * the population database (what differs is shown), with the left ring finger declared amputated (the simulated scanner presents
 * the left hand without it), which the signer cannot approve and a supervisor approves by the
 * draft's digest; and the citizen's receipt as a PDF whose text names the applicant. A canary name
 * and address typed in it reach no log line (trace level) and no file the station keeps in the clear.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { CccdCardSimulator } from '../../simulators/card/cccd-card-sim.ts';
import { AuthService } from '../../station/auth/service.ts';
import { systemClock } from '../../station/clock.ts';
import { embeddedStation, tempDir } from '../support/station.ts';

const data = tempDir('enrollment-api-');
let app: FastifyInstance | undefined;
let simulators: readonly { name: string }[] = [];
let close: (() => Promise<void>) | undefined;

afterAll(async () => {
  await close?.();
  data.remove();
});

const HOST = '127.0.0.1:8080';
const ORIGIN = 'http://127.0.0.1:8080';
const FAST = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
/** Planted in the HTTP renewal's typed details; must never reach a log, the audit trail or outbox metadata. */
const CANARY = { fullName: 'Phạm Canary Thử', residence: 'Số 77 Ngõ Canary, Ba Đình, Hà Nội' };
const logLines: string[] = [];
/** The session cookie of each officer, after login. */
const cookies = new Map<string, string>();

async function boot(): Promise<FastifyInstance> {
  const auth = new AuthService({ dataDir: data.dir, clock: systemClock, scrypt: FAST });
  const station = await embeddedStation({ hotpath: { workers: 1 } }, systemClock, {
    auth,
    dataDir: data.dir,
    // Every log line the station writes, at the most verbose level, for the canary search.
    logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } },
  });
  close = station.cleanup;
  app = station.app;
  simulators = station.deps.simulators ?? [];
  if ((await auth.admin.list()).length === 0) {
    await auth.admin.add({
      id: 'off-1',
      displayName: 'Cán bộ Một',
      roles: ['officer'],
      password: 'officer one password',
    });
    await auth.admin.add({
      id: 'sup-1',
      displayName: 'Lãnh đạo Một',
      roles: ['officer', 'supervisor'],
      password: 'officer one password',
    });
  }
  // Sessions live in memory: a restarted station needs its officers to sign in again.
  cookies.clear();
  return app;
}

async function headers(officer: string): Promise<Record<string, string>> {
  let cookie = cookies.get(officer);
  if (cookie === undefined) {
    const r = await (app as FastifyInstance).inject({
      method: 'POST',
      url: '/auth/login',
      headers: { host: HOST, origin: ORIGIN },
      payload: { account: officer, password: 'officer one password' },
    });
    expect(r.statusCode, r.body).toBe(200);
    cookie = String([r.headers['set-cookie']].flat()[0]).split(';')[0] as string;
    cookies.set(officer, cookie);
  }
  return { host: HOST, origin: ORIGIN, cookie };
}

async function grant(officer: string): Promise<string> {
  const r = await (app as FastifyInstance).inject({
    method: 'POST',
    url: '/auth/reauth',
    headers: await headers(officer),
    payload: { password: 'officer one password' },
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().grantId;
}

async function step(id: string, version: number, body: Record<string, unknown>, officer = 'off-1') {
  const r = await (app as FastifyInstance).inject({
    method: 'POST',
    url: `/enrollments/${id}/steps`,
    headers: await headers(officer),
    payload: { version, step: body },
  });
  return { status: r.statusCode, body: r.json() };
}

const PERSON = {
  personalId: '001099012345',
  fullName: 'Nguyễn Văn An',
  birthDate: '1999-01-01',
  sex: 'male',
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Hà Nội',
  placeOfBirthRegistration: 'Hà Nội',
  placeOfResidence: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
};

describe('enrollment through the API', () => {
  it('a first issue, restarted midway, ends with the packet acknowledged by central', async () => {
    let station = await boot();
    const anonymous = await station.inject({ method: 'POST', url: '/enrollments', headers: { host: HOST } });
    expect(anonymous.statusCode).toBe(401);
    const opened = await station.inject({
      method: 'POST',
      url: '/enrollments',
      headers: await headers('off-1'),
    });
    expect(opened.statusCode).toBe(201);
    const { id, packetId } = opened.json();

    let r = await step(id, 0, { kind: 'choose-type', type: 'first-issue' });
    expect(r).toMatchObject({ status: 200, body: { outcome: { version: 1, stage: 'demographics' } } });
    const invalid = await step(id, 1, {
      kind: 'demographics',
      input: { ...PERSON, birthDate: '1999-02-30' },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toMatchObject({
      code: 'DEMOGRAPHICS_INVALID',
      problems: [{ field: '/birthDate', code: 'DATE_INVALID' }],
    });
    const unknownKey = await step(id, 1, { kind: 'demographics', input: { ...PERSON, shoe: 42 } });
    expect(unknownKey.status).toBe(400);
    r = await step(id, 1, { kind: 'demographics', input: PERSON });
    expect(r.body.outcome).toMatchObject({ version: 2, stage: 'portrait' });
    const early = await step(id, 2, { kind: 'sign', grant: 'no-such-grant' });
    expect(early).toMatchObject({
      status: 409,
      body: { error: { code: 'WRONG_STAGE', expected: { stages: ['review'] } } },
    });

    const before = await station.inject({
      url: `/enrollments/${id}/portrait`,
      headers: await headers('off-1'),
    });
    expect(before.statusCode).toBe(404);
    expect(before.json().error.code).toBe('PORTRAIT_NOT_TAKEN');
    r = await step(id, 2, { kind: 'capture-portrait' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outcome.stage).toBe('fingerprints');
    // The kept portrait, for the review screen: the JPEG whose hash the draft shows.
    const portrait = await station.inject({
      url: `/enrollments/${id}/portrait`,
      headers: await headers('off-1'),
    });
    expect(portrait.statusCode).toBe(200);
    expect(portrait.headers['content-type']).toBe('image/jpeg');
    expect(createHash('sha256').update(portrait.rawPayload).digest('hex')).toBe(r.body.draft.portrait.sha256);
    r = await step(id, 3, { kind: 'capture-slap', hand: 'right' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.draft.slaps[0]).toMatchObject({ hand: 'right', attempts: 1 });
    expect(r.body.draft.slaps[0].fingers.map((f: { position: number }) => f.position)).toEqual([2, 3, 4, 5]);

    // The station stops and starts again: the draft comes back from its encrypted file.
    await close?.();
    station = await boot();
    const resumed = await station.inject({
      url: `/enrollments/${id}`,
      headers: await headers('off-1'),
    });
    expect(resumed.json()).toMatchObject({
      version: 4,
      stage: 'fingerprints',
      demographics: { applicant: { fullName: 'Nguyễn Văn An' } },
    });

    r = await step(id, 4, { kind: 'capture-slap', hand: 'left' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await step(id, 5, { kind: 'capture-slap', hand: 'thumbs' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await step(id, 6, { kind: 'run-checks' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outcome).toMatchObject({ version: 7, stage: 'review', findings: [] });
    const forged = await step(id, 7, { kind: 'sign', grant: 'a-grant-nobody-issued' });
    expect(forged).toMatchObject({ status: 403, body: { error: { code: 'SIGNING_GRANT_INVALID' } } });
    const once = await grant('off-1');
    r = await step(id, 7, { kind: 'sign', grant: once });
    expect(r.body.outcome).toMatchObject({ version: 8, stage: 'signed' });
    r = await step(id, 8, { kind: 'submit' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ outcome: { stage: 'queued' }, packet: { packetId, state: 'queued' } });
    const replay = await step(id, 8, { kind: 'submit' });
    expect(replay).toMatchObject({ status: 200, body: { replayed: true, outcome: { stage: 'queued' } } });

    const deadline = Date.now() + 90_000;
    let state = '';
    while (Date.now() < deadline) {
      const outbox = (await station.inject('/outbox')).json() as {
        packets: { packetId: string; state: string }[];
      };
      state = outbox.packets.find((p) => p.packetId === packetId)?.state ?? '';
      if (state === 'acknowledged') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(state).toBe('acknowledged');
    const shown = (await station.inject({ url: `/outbox/${packetId}`, headers: { host: HOST } })).json();
    expect(shown.receipt.statement).toMatchObject({ kind: 'receipt', packetId });
    // The packet carried the audit chain's head, and central echoed it in the receipt.
    expect(shown.receipt.statement.audit?.seq).toBeGreaterThan(0);
  }, 240_000);

  it('over HTTP: a renewal with prefill and an amputated finger, approved by a supervisor, with its receipt', async () => {
    const station = app ?? (await boot());
    const address = await station.listen({ host: '127.0.0.1', port: 0 });
    const origin = address.replace('localhost', '127.0.0.1');
    const http = async (officer: string, method: string, url: string, body?: unknown) => {
      const { cookie } = await headers(officer);
      const response = await fetch(`${origin}${url}`, {
        method,
        headers: {
          cookie,
          origin,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return response;
    };
    const json = async (officer: string, method: string, url: string, body?: unknown) => {
      const response = await http(officer, method, url, body);
      // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the test asserts
      return { status: response.status, body: (await response.json()) as any };
    };
    let version = 0;
    let id = '';
    const next = async (body: Record<string, unknown>, officer = 'off-1') => {
      const r = await json(officer, 'POST', `/enrollments/${id}/steps`, { version, step: body });
      expect(r.status, `${String(body.kind)}: ${JSON.stringify(r.body)}`).toBe(200);
      version = r.body.outcome.version;
      return r.body;
    };

    const opened = await json('off-1', 'POST', '/enrollments');
    expect(opened.status).toBe(201);
    id = opened.body.id;
    await next({ kind: 'choose-type', type: 'renewal' });
    // The old card's chip is read (PACE with the printed numbers, Passive Authentication) and the
    // population database looked up by its personal ID.
    const card = simulators.find((s) => s.name === 'card') as CccdCardSimulator | undefined;
    if (card === undefined) throw new Error('the embedded station has a simulated card');
    const access = card.access();
    const prefilled = await next({
      kind: 'prefill',
      card: { id12: access.id12, dateOfBirth: access.dateOfBirth, dateOfExpiry: access.dateOfExpiry },
    });
    expect(prefilled.draft.prefill).toMatchObject({
      source: 'card',
      cardNumber: PERSON.personalId,
      record: { fullName: 'Nguyễn Văn An' },
      card: { fullName: 'Nguyễn Văn An', birthDate: '1999-01-01', sex: 'male' },
    });
    const typed = await next({
      kind: 'demographics',
      input: {
        ...PERSON,
        fullName: CANARY.fullName,
        placeOfResidence: CANARY.residence,
        previousCardNumber: PERSON.personalId,
      },
    });
    // The officer sees what differs from the population database's record.
    expect(typed.draft.prefill.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'placeOfResidence', typed: CANARY.residence }),
      ]),
    );
    await next({ kind: 'capture-portrait' });
    await next({ kind: 'capture-slap', hand: 'right' });
    await next({ kind: 'exception', position: 9, reason: 'amputated', confirmed: true });
    // The simulated scanner presents the left hand without its ring finger.
    const controls = (await station.inject({ url: '/sim/', headers: { host: HOST } })).json() as {
      simulators: { name: string; scenarios: string[] }[];
    };
    const scanner = controls.simulators.find((c) => c.scenarios.includes('missing-finger'));
    expect(scanner).toBeDefined();
    const switched = await station.inject({
      method: 'PUT',
      url: `/sim/${scanner?.name}/scenario`,
      headers: { host: HOST },
      payload: { scenario: 'missing-finger' },
    });
    expect(switched.statusCode, switched.body).toBe(200);
    const left = await next({ kind: 'capture-slap', hand: 'left' });
    expect(
      left.draft.slaps
        .find((s: { hand: string }) => s.hand === 'left')
        .fingers.map((f: { position: number }) => f.position)
        .sort((a: number, b: number) => a - b),
    ).toEqual([7, 8, 10]);
    await station.inject({
      method: 'PUT',
      url: `/sim/${scanner?.name}/scenario`,
      headers: { host: HOST },
      payload: { scenario: 'good' },
    });
    await next({ kind: 'capture-slap', hand: 'thumbs' });
    const checked = await next({ kind: 'run-checks' });
    expect(checked.outcome).toMatchObject({ stage: 'review', findings: [] });
    const signed = await next({ kind: 'sign', grant: await grant('off-1') });
    expect(signed.outcome.stage).toBe('signed');
    expect(signed.draft.approvalRules.length).toBeGreaterThan(0);
    const digest: string = signed.draft.digest;

    // Submitting before approval, or approving as the signer, is refused.
    const early = await json('off-1', 'POST', `/enrollments/${id}/steps`, {
      version,
      step: { kind: 'submit' },
    });
    expect(early.status).toBe(409);
    const self = await json('off-1', 'POST', `/enrollments/${id}/steps`, {
      version,
      step: { kind: 'approve', digest },
    });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toMatch(/ROLE_REQUIRED|APPROVER_IS_SIGNER/);
    const wrongDigest = await json('sup-1', 'POST', `/enrollments/${id}/steps`, {
      version,
      step: { kind: 'approve', digest: '0'.repeat(64) },
    });
    expect(wrongDigest.status).toBe(409);
    const approved = await next({ kind: 'approve', digest }, 'sup-1');
    expect(approved.outcome.stage).toBe('approved');
    const queued = await next({ kind: 'submit' });
    expect(queued).toMatchObject({ outcome: { stage: 'queued' }, packet: { state: 'queued' } });

    const receipt = await http('off-1', 'GET', `/enrollments/${id}/receipt`);
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get('content-type')).toBe('application/pdf');
    const pdf = new Uint8Array(await receipt.arrayBuffer());
    const file = path.join(data.dir, 'receipt.pdf');
    writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).normalize(
      'NFC',
    );
    expect(text).toContain(CANARY.fullName);
    expect(text).toContain('Cấp đổi / Renewal');
    expect(text).toContain('cụt ngón');
    expect(text).toContain(opened.body.packetId);
    const none = await http('off-1', 'GET', `/enrollments/${randomUUID()}/receipt`);
    expect(none.status).toBe(404);
    // The receipt file is in the data folder; the canary search must not count it.
    await rm(file);

    // Canary: the typed name and address went through every step, a packet and a receipt. They are
    // in no log line, and in no file the station keeps in the clear (the audit trail, the outbox's
    // metadata, closing records). Drafts, receipts and packets are encrypted; central's own store
    // (the embedded simulator's folder) is the population service's, not the station's.
    expect(logLines.length).toBeGreaterThan(20);
    const needles = [CANARY.fullName, CANARY.residence, 'Canary', 'canary'];
    for (const line of logLines)
      for (const needle of needles) expect(line.includes(needle), `log line: ${line}`).toBe(false);
    const holding = async (): Promise<string[]> => {
      const found = new Set<string>();
      for (const entry of await readdir(data.dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const relative = path.relative(data.dir, file);
        if (relative.startsWith(`central${path.sep}`)) continue;
        const bytes = await readFile(file);
        for (const needle of needles)
          for (const form of [needle.normalize('NFC'), needle.normalize('NFD')])
            if (bytes.includes(Buffer.from(form))) found.add(relative);
      }
      return [...found];
    };
    // The search itself finds a planted file (in either Unicode form), so an empty answer means something.
    await writeFile(path.join(data.dir, 'control.txt'), `x ${CANARY.residence.normalize('NFD')} y`);
    expect(await holding()).toEqual(['control.txt']);
    await rm(path.join(data.dir, 'control.txt'));
    expect(await readdir(path.join(data.dir, 'audit'))).not.toHaveLength(0);
    expect(await holding()).toEqual([]);
  }, 240_000);
});
