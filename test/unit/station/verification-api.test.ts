/**
 * The notary verification workflow through the API of the embedded station, against the simulated
 * CCCD (in-process PC/SC), the embedded central simulator (its population database: 079190001234
 * is reported lost) and the station key: a genuine card with its holder present; a tampered card;
 * a cloned chip; a reported-lost card; central offline; a person who does not match; steps out of
 * order; a replayed step; and the signed report, checked by `station report verify`, refused once
 * altered.
 *
 * The face engine is a stand-in (its descriptor is the image's 8 x 8 luminance layout, z-scored):
 * the same portrait compares "same", another person's portrait "different". The real engine's
 * comparisons are tested in station/faces; this file tests the workflow around them.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceDescriptor, RgbImage } from '../../../protocol/face/types.ts';
import { CccdCardSimulator, REPORTED_LOST_PERSON } from '../../../simulators/card/cccd-card-sim.ts';
import type { InProcessPcsc } from '../../../simulators/card/in-process-pcsc.ts';
import { encodeGreyJpeg, SAMPLE_PERSON, syntheticPortrait } from '../../../simulators/card/lds-builder.ts';
import { writeTrustStoreFolder } from '../../../simulators/pki/csca.ts';
import { buildStation, type StationDeps } from '../../../station/app.ts';
import { main } from '../../../station/cli/main.ts';
import { SIMULATED_READER } from '../../../station/compose/cards.ts';
import { composeStation } from '../../../station/compose/embedded.ts';
import { type AnalyzedFace, compareDescriptors, type FaceEngine } from '../../../station/faces/engine.ts';
import { lazyFaceEngine } from '../../../station/portrait/engine-provider.ts';
import { redoChipChecks } from '../../../station/reports/redo.ts';
import type { VerificationReport } from '../../../station/reports/verification-report.ts';
import type { StepEvent } from '../../../station/workflows/verification/workflow.ts';
import { recordingIo } from '../../support/cli.ts';
import { ManualClock, TEST_OFFICERS, tempDir, testConfig } from '../../support/station.ts';

const ENGINE = { name: 'stand-in', version: '1', threshold: 0.6, descriptorEngine: 'stand-in-64' };

/** 8 x 8 mean luminance, z-scored, scaled so different faces land far apart. */
function layout(image: RgbImage): FaceDescriptor {
  const cells = new Float64Array(64);
  const counts = new Float64Array(64);
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 3;
      const cell = Math.floor((y * 8) / image.height) * 8 + Math.floor((x * 8) / image.width);
      cells[cell] = (cells[cell] ?? 0) + (image.data[i] ?? 0);
      counts[cell] = (counts[cell] ?? 0) + 1;
    }
  const means = [...cells].map((v, i) => v / (counts[i] || 1));
  const mean = means.reduce((a, b) => a + b, 0) / 64;
  const sd = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / 64) || 1;
  return { engine: 'stand-in-64', values: Float32Array.from(means.map((m) => (m - mean) / sd)) };
}

const standInEngine: FaceEngine = {
  name: ENGINE.name,
  version: ENGINE.version,
  threshold: ENGINE.threshold,
  detect: async () => [],
  describe: async (image) => layout(image),
  analyze: async (image): Promise<AnalyzedFace[]> => [
    {
      box: { x: 0, y: 0, width: image.width, height: image.height },
      score: 0.99,
      landmarks: [],
      descriptor: layout(image),
    },
  ],
  compare: (a, b) => compareDescriptors(a, b, ENGINE),
  close: async () => undefined,
};

const CARD = { id12: SAMPLE_PERSON.id12, dateOfBirth: '990101', dateOfExpiry: '390101' };
/** Central's reported-lost citizen (simulators/central/citizens.ts), as the card simulator's scenario has it. */
const LOST_PERSON = REPORTED_LOST_PERSON;
const LOST_CARD = { id12: LOST_PERSON.id12, dateOfBirth: '900714', dateOfExpiry: '300714' };

let app: FastifyInstance;
let deps: StationDeps;
let card: CccdCardSimulator;
let lost: CccdCardSimulator;
let pcsc: InProcessPcsc;
let dir: string;
let cleanup: () => Promise<void>;
const steps: StepEvent[] = [];
const AUDIT = { seq: 42, head: 'ab'.repeat(32) };

beforeAll(async () => {
  const tmp = tempDir('station-verify-');
  dir = tmp.dir;
  const config = testConfig(
    {
      devices: {
        fingerprintHid: { mode: 'disabled' },
        fingerprintSerial: { mode: 'disabled' },
        camera: { mode: 'disabled' },
        barcode: { mode: 'disabled' },
        hotplug: { mode: 'disabled' },
      },
      hotpath: { workers: 1 },
    },
    tmp.dir,
  );
  const composed = await composeStation(config, {
    clock: new ManualClock(Date.now()),
    logger: false,
    officers: TEST_OFFICERS,
  });
  lost = await CccdCardSimulator.create({ person: LOST_PERSON, dg3InWorker: true });
  const cards = composed.cards;
  if (cards === undefined) throw new Error('the embedded station has a card reader');
  deps = {
    ...composed,
    faces: lazyFaceEngine(async () => standInEngine),
    verification: {
      ...composed.verification,
      onStep: (event) => steps.push(event),
      auditAnchor: async () => AUDIT,
    },
    // The lost card's simulator has its own test CSCA: trusted beside the embedded card's.
    cards: {
      ...cards,
      trustStore: { cscaCertificates: [...(cards.trustStore?.cscaCertificates ?? []), lost.cscaCertificate] },
    },
  };
  app = await buildStation(deps);
  card = deps.simulators?.find((s) => s.name === 'card') as CccdCardSimulator;
  pcsc = deps.simulators?.find((s) => s.name === 'pcsc') as InProcessPcsc;
  for (let i = 0; i < 600 && !cards.reader.readers().some((r) => r.status === 'card'); i++)
    await new Promise((r) => setTimeout(r, 50));
  // The population lookup answers once the station has registered with central.
  for (let i = 0; i < 200; i++) {
    const answer = await deps.verification?.centralGet?.(`/v1/population/cards/${SAMPLE_PERSON.id12}/status`);
    if (answer?.status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  cleanup = async () => {
    await app.close();
    tmp.remove();
  };
}, 60_000);

afterAll(async () => cleanup?.());

const post = (url: string, payload: Record<string, unknown> = {}) =>
  app.inject({ method: 'POST', url, payload });

async function scenario(name: string) {
  const r = await app.inject({
    method: 'PUT',
    url: '/sim/card/scenario',
    payload: { scenario: name, applyNow: true },
  });
  expect(r.statusCode).toBe(200);
}

const holderJpeg = () => card.lds().portraitJpeg;
async function otherPersonJpeg(): Promise<Uint8Array> {
  return encodeGreyJpeg(syntheticPortrait('048202003456', 240, 320), 240, 320);
}

/** Runs a whole verification; returns each step's answer. */
async function verify(
  options: { key?: Record<string, unknown>; face?: Uint8Array | 'skip'; report?: boolean } = {},
) {
  const created = await post('/verifications');
  expect(created.statusCode).toBe(201);
  const id: string = created.json().sessionId;
  let version = 0;
  const step = async (name: string, body: Record<string, unknown> = {}) => {
    const r = await post(`/verifications/${id}/${name}`, { version, ...body });
    expect(r.statusCode, `${name}: ${r.body}`).toBe(200);
    version = r.json().version;
    return r.json();
  };
  const key = await step('card-key', options.key ?? CARD);
  const read = await step('card-read', { waitMs: 5000 });
  const status = await step('status');
  const faceInput = options.face ?? holderJpeg();
  const face = await step(
    'face',
    faceInput === 'skip'
      ? { skip: 'no camera at this desk' }
      : { image: Buffer.from(faceInput).toString('base64') },
  );
  const finger = await step('finger', { skip: true });
  const verdict = await step('verdict');
  const report = options.report === false ? undefined : await step('report');
  return { id, key, read, status, face, finger, verdict, report, version };
}

async function reportFiles(id: string, name: string) {
  const json = await app.inject(`/verifications/${id}/report.json`);
  const cms = await app.inject(`/verifications/${id}/report.p7s`);
  expect(json.statusCode).toBe(200);
  expect(cms.statusCode).toBe(200);
  const folder = path.join(dir, 'reports');
  await mkdir(folder, { recursive: true });
  const jsonFile = path.join(folder, `${name}.json`);
  await writeFile(jsonFile, json.rawPayload);
  await writeFile(path.join(folder, `${name}.p7s`), cms.rawPayload);
  return { jsonFile, json: new Uint8Array(json.rawPayload), cms: new Uint8Array(cms.rawPayload) };
}

async function trustFolders() {
  const trust = path.join(dir, 'trust');
  await writeTrustStoreFolder(trust, [card.cscaCertificate]);
  // The station CA the embedded central issued the station's certificate from.
  const caDir = path.join(dir, 'central', 'station-ca');
  const caFile = (await readdir(caDir)).find((f) => /\.(crt|pem)$/.test(f) && !/key/.test(f));
  if (caFile === undefined) throw new Error(`no station CA certificate in ${caDir}`);
  return { trust, stationCa: path.join(caDir, caFile) };
}

async function reportVerify(args: string[]) {
  const io = recordingIo(dir);
  const code = await main(['report', 'verify', ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('notary verification through the API', () => {
  it('a genuine card with its holder present: genuine-holder-present, a signed report that `station report verify` accepts', async () => {
    await scenario('valid');
    const run = await verify();
    expect(run.read.result).toMatchObject({
      passiveAuthentication: { verdict: 'valid' },
      chip: { verdict: 'genuine-chip', activeAuthentication: { status: 'passed' } },
      holder: { id12: SAMPLE_PERSON.id12, fullName: 'Nguyễn Văn An' },
    });
    expect(run.status.result).toMatchObject({ checked: true, status: 'valid' });
    expect(run.face.result).toMatchObject({ checked: true, decision: 'same', claim: 'station' });
    expect(run.verdict.result).toMatchObject({
      code: 'genuine-holder-present',
      message: { vi: 'Thẻ thật và người xuất trình đúng là chủ thẻ.' },
    });
    expect(run.report).toMatchObject({
      state: 'reported',
      next: null,
      result: { verdict: 'genuine-holder-present' },
    });

    const files = await reportFiles(run.id, 'genuine');
    const report = JSON.parse(Buffer.from(files.json).toString('utf8'));
    expect(report).toMatchObject({
      schema: 'cccd-verification-report',
      version: 1,
      officer: { id: 'anonymous' },
    });
    // The evidence: no portrait, DG2's hash only; AA's challenge and signature.
    expect(Object.keys(report.evidence.dataGroups).sort()).toEqual(['1', '13', '14', '15']);
    expect(report.evidence.dataGroupHashes['2']).toMatch(/^[0-9a-f]{64}$/);
    expect(report.evidence.activeAuthentication.challenge).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(report)).not.toContain(Buffer.from(holderJpeg()).toString('base64').slice(0, 40));

    const { trust, stationCa } = await trustFolders();
    const ok = await reportVerify(['--in', files.jsonFile, '--trust', trust, '--station-ca', stationCa]);
    expect(ok.code, ok.err).toBe(0);
    const answer = JSON.parse(ok.out);
    expect(answer.ok).toBe(true);
    expect(answer.checks.map((c: { check: string; outcome: string }) => `${c.check}:${c.outcome}`)).toEqual(
      expect.arrayContaining([
        'sod:passed',
        'sod-signature:passed',
        'csca-chain:passed',
        'data-group-1:passed',
        'data-group-2:passed',
        'data-group-15:passed',
        'active-authentication:passed',
      ]),
    );

    // Altered: a verdict flipped in the JSON.
    const flipped = path.join(dir, 'reports', 'flipped.json');
    await writeFile(
      flipped,
      Buffer.from(files.json).toString('utf8').replace('"genuine-holder-present"', '"reported-lost"'),
    );
    await writeFile(path.join(dir, 'reports', 'flipped.p7s'), files.cms);
    const a = await reportVerify(['--in', flipped, '--trust', trust, '--station-ca', stationCa]);
    expect(a.code).toBe(1);
    expect(a.err).toContain('the report was altered');

    // Altered: a data-group hash changed.
    const hashed = path.join(dir, 'reports', 'hash.json');
    const dg2 = report.evidence.dataGroupHashes['2'] as string;
    const otherHash = `${dg2.slice(0, 10)}${dg2[10] === '0' ? '1' : '0'}${dg2.slice(11)}`;
    await writeFile(hashed, Buffer.from(files.json).toString('utf8').replace(dg2, otherHash));
    const b = await reportVerify([
      '--in',
      hashed,
      '--cms',
      path.join(dir, 'reports', 'genuine.p7s'),
      '--trust',
      trust,
      '--station-ca',
      stationCa,
    ]);
    expect(b.code).toBe(1);
    expect(JSON.parse(b.out).checks).toContainEqual(
      expect.objectContaining({ check: 'data-group-2', outcome: 'failed' }),
    );

    // Altered: one byte of the CMS signature.
    const cms = files.cms.slice();
    cms[cms.length - 5] = (cms[cms.length - 5] ?? 0) ^ 0x01;
    await writeFile(path.join(dir, 'reports', 'sig.json'), files.json);
    await writeFile(path.join(dir, 'reports', 'sig.p7s'), cms);
    const c = await reportVerify([
      '--in',
      path.join(dir, 'reports', 'sig.json'),
      '--trust',
      trust,
      '--station-ca',
      stationCa,
    ]);
    expect(c.code).toBe(1);
    expect(c.err).toContain('signature');

    // Another CA is not the station's.
    const d = await reportVerify([
      '--in',
      files.jsonFile,
      '--trust',
      trust,
      '--station-ca',
      path.join(trust, (await readdir(trust))[0] ?? ''),
    ]);
    expect(d.code).toBe(1);
    // Usage.
    expect((await reportVerify(['--trust', trust])).code).toBe(2);
  }, 60_000);

  it('redoing the chip checks on a real report passes, and fails (never throws) once any evidence byte is changed', async () => {
    await scenario('valid');
    const run = await verify();
    const files = await reportFiles(run.id, 'mutated');
    const report = JSON.parse(Buffer.from(files.json).toString('utf8')) as VerificationReport;
    const trust = { cscaCertificates: [card.cscaCertificate] };
    const at = Date.parse(report.createdAt);
    const failed = (checks: { outcome: string }[]) => checks.filter((c) => c.outcome === 'failed');
    expect(failed(await redoChipChecks(report, trust, at))).toEqual([]);
    const fields = ['sod', '1', '13', '14', '15', 'challenge', 'signature'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (field, at0, xor) => {
          const ev = report.evidence;
          const aa = ev.activeAuthentication;
          if (aa === null) throw new Error('the genuine report carries AA');
          const bytes =
            field === 'sod'
              ? Buffer.from(ev.sod, 'base64')
              : field === 'challenge' || field === 'signature'
                ? Buffer.from(aa[field], 'hex')
                : Buffer.from(ev.dataGroups[field] ?? '', 'base64');
          const i = at0 % bytes.length;
          bytes[i] = (bytes[i] ?? 0) ^ xor;
          const evidence =
            field === 'sod'
              ? { ...ev, sod: bytes.toString('base64') }
              : field === 'challenge' || field === 'signature'
                ? { ...ev, activeAuthentication: { ...aa, [field]: bytes.toString('hex') } }
                : { ...ev, dataGroups: { ...ev.dataGroups, [field]: bytes.toString('base64') } };
          const checks = await redoChipChecks({ ...report, evidence }, trust, at);
          expect(failed(checks).length, `${field}[${i}] ^ ${xor}`).toBeGreaterThan(0);
        },
      ),
      { seed: 2121, numRuns: 40 },
    );
  }, 60_000);

  it('the PDF rendering carries the Vietnamese text with its diacritics (pdftotext)', async () => {
    await scenario('valid');
    const run = await verify();
    const pdf = await app.inject(`/verifications/${run.id}/report.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const file = path.join(dir, 'report.pdf');
    await writeFile(file, pdf.rawPayload);
    const { execFileSync } = await import('node:child_process');
    let text: string;
    try {
      text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    } catch (error) {
      throw new Error(`pdftotext is needed for this test: apt-get install poppler-utils (${String(error)})`);
    }
    const normalized = text.normalize('NFC');
    expect(normalized).toContain('Biên bản xác minh thẻ căn cước gắn chip');
    expect(normalized).toContain('Thẻ thật và người xuất trình đúng là chủ thẻ.');
    expect(normalized).toContain('Nguyễn Văn An');
    expect(normalized).toContain('The card is genuine and its holder is present.');
  }, 60_000);

  it('the chip portrait is served for the screen until the verdict wipes it; the PDF prints inline, framed by the station only', async () => {
    await scenario('valid');
    const created = await post('/verifications');
    const id: string = created.json().sessionId;
    const none = await app.inject(`/verifications/${id}/portrait`);
    expect(none.statusCode).toBe(409);
    expect(none.json().error.code).toBe('VERIFICATION_NO_PORTRAIT');
    let version = 0;
    const step = async (name: string, body: Record<string, unknown> = {}) => {
      const r = await post(`/verifications/${id}/${name}`, { version, ...body });
      expect(r.statusCode, `${name}: ${r.body}`).toBe(200);
      version = r.json().version;
    };
    await step('card-key', CARD);
    await step('card-read', { waitMs: 5000 });
    const portrait = await app.inject(`/verifications/${id}/portrait`);
    expect(portrait.statusCode).toBe(200);
    expect(portrait.headers['content-type']).toBe('image/jpeg');
    expect(new Uint8Array(portrait.rawPayload)).toEqual(holderJpeg());
    await step('status');
    await step('face', { skip: 'no camera at this desk' });
    await step('finger', { skip: true });
    await step('verdict');
    const wiped = await app.inject(`/verifications/${id}/portrait`);
    expect(wiped.statusCode).toBe(409);
    expect(wiped.json().error.code).toBe('VERIFICATION_NO_PORTRAIT');
    await step('report');
    const download = await app.inject(`/verifications/${id}/report.pdf`);
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);
    expect(download.headers['x-frame-options']).toBe('DENY');
    const print = await app.inject(`/verifications/${id}/report.pdf?print=true`);
    expect(print.statusCode).toBe(200);
    expect(print.headers['content-type']).toBe('application/pdf');
    expect(print.headers['content-disposition']).toMatch(/^inline;/);
    expect(print.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(print.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'self'");
    expect(print.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const unknown = await app.inject(`/verifications/${id}/report.pdf?inline=true`);
    expect(unknown.statusCode).toBe(400);
  }, 60_000);

  it("the simulated card's reported-lost scenario: a genuine chip of the citizen central has as reported lost", async () => {
    await scenario('reported-lost');
    try {
      const key = card.access();
      expect(key.id12).toBe('079190001234');
      const run = await verify({ key: { can: key.can }, face: 'skip', report: false });
      expect(run.read.result).toMatchObject({
        passiveAuthentication: { verdict: 'valid' },
        chip: { verdict: 'genuine-chip' },
        holder: { id12: '079190001234', fullName: 'Trần Thị Bích Ngọc' },
      });
      expect(run.status.result).toMatchObject({ checked: true, status: 'reported-lost' });
      expect(run.verdict.result.code).toBe('reported-lost');
    } finally {
      await scenario('valid');
    }
  }, 60_000);

  it('a chip with RSA Active Authentication (ISO 9796-2): its report verifies, the AA redo included', async () => {
    await scenario('aa-rsa');
    try {
      const run = await verify();
      expect(run.read.result.chip.activeAuthentication.status).toBe('passed');
      const files = await reportFiles(run.id, 'rsa');
      const { trust, stationCa } = await trustFolders();
      const checked = await reportVerify([
        '--in',
        files.jsonFile,
        '--trust',
        trust,
        '--station-ca',
        stationCa,
      ]);
      expect(checked.code, checked.err).toBe(0);
      expect(JSON.parse(checked.out).checks).toContainEqual(
        expect.objectContaining({
          check: 'active-authentication',
          outcome: 'passed',
          detail: expect.stringContaining('RSA'),
        }),
      );
    } finally {
      await scenario('valid');
    }
  }, 30_000);

  it('a tampered card: data-altered, whatever the person check says', async () => {
    await scenario('tampered-dg');
    const run = await verify({ report: false });
    expect(run.read.result.passiveAuthentication.verdict).toBe('data-group-altered');
    expect(run.verdict.result.code).toBe('data-altered');
    expect(run.verdict.result.message.vi).toContain('đã bị sửa đổi');
  }, 30_000);

  it('a cloned chip: cloned-chip (Chip and Active Authentication fail), and its report fails the AA redo', async () => {
    await scenario('cloned-chip');
    const run = await verify();
    expect(run.read.result.chip).toMatchObject({
      verdict: 'clone-suspected',
      activeAuthentication: { status: 'failed' },
    });
    expect(run.verdict.result.code).toBe('cloned-chip');
    const files = await reportFiles(run.id, 'cloned');
    const { trust, stationCa } = await trustFolders();
    const checked = await reportVerify(['--in', files.jsonFile, '--trust', trust, '--station-ca', stationCa]);
    expect(checked.code).toBe(1);
    const answer = JSON.parse(checked.out);
    expect(answer.signature.ok).toBe(true);
    expect(answer.checks).toContainEqual(
      expect.objectContaining({ check: 'active-authentication', outcome: 'failed' }),
    );
  }, 30_000);

  it('a person who does not match the chip portrait: person-does-not-match', async () => {
    await scenario('valid');
    const run = await verify({ face: await otherPersonJpeg(), report: false });
    expect(run.face.result).toMatchObject({ checked: true, decision: 'different' });
    expect(run.verdict.result.code).toBe('person-does-not-match');
  }, 30_000);

  it('a reported-lost card: reported-lost from central', async () => {
    pcsc.remove(SIMULATED_READER);
    pcsc.insert(lost.card(), SIMULATED_READER);
    try {
      const run = await verify({ key: LOST_CARD, face: lost.lds().portraitJpeg, report: false });
      expect(run.read.result.passiveAuthentication.verdict).toBe('valid');
      expect(run.status.result).toMatchObject({
        checked: true,
        status: 'reported-lost',
        since: '2025-09-20T03:15:00.000Z',
      });
      expect(run.verdict.result.code).toBe('reported-lost');
      expect(run.verdict.result.message.en).toContain('reported lost');
    } finally {
      await scenario('valid');
    }
  }, 30_000);

  it('out-of-order steps are refused with the state expected; a replayed step answers the same and acts once', async () => {
    await scenario('valid');
    const id: string = (await post('/verifications')).json().sessionId;
    const early = await post(`/verifications/${id}/card-read`, { version: 0 });
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toMatchObject({
      code: 'VERIFICATION_OUT_OF_ORDER',
      state: 'started',
      expected: 'card-key',
      officer: { vi: expect.stringContaining('bước tiếp theo là card-key') },
    });
    expect((await post(`/verifications/${id}/card-key`, { version: 0, ...CARD })).json().version).toBe(1);
    const [first, second] = await Promise.all([
      post(`/verifications/${id}/card-read`, { version: 1 }),
      post(`/verifications/${id}/card-read`, { version: 1 }),
    ]);
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    const replay = await post(`/verifications/${id}/card-read`, { version: 1 });
    expect(replay.json().replayed).toBe(true);
    // One read: the same APDU count and the same timings in every answer.
    expect(replay.json().result).toEqual(first.json().result);
    expect(second.json().result).toEqual(first.json().result);
    expect([first.json().replayed, second.json().replayed].sort()).toEqual([false, true]);
    expect(replay.json().version).toBe(2);
    const stale = await post(`/verifications/${id}/status`, { version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERIFICATION_VERSION_CONFLICT', version: 2 });
    const noReport = await app.inject(`/verifications/${id}/report.json`);
    expect(noReport.json().error.code).toBe('VERIFICATION_NO_REPORT');
    const bad = await post(`/verifications/${id}/face`, { version: 2, image: 'aGk=', camera: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'REQUEST_INVALID', officer: { vi: expect.any(String) } });
    expect((await app.inject('/verifications/00000000-0000-0000-0000-000000000000')).json().error.code).toBe(
      'VERIFICATION_NOT_FOUND',
    );
    expect((await app.inject('/verifications/not-a-uuid')).statusCode).toBe(400);
  }, 30_000);

  it('central offline: status "not checked, offline", never a silent valid', async () => {
    await scenario('valid');
    const store = deps.resources?.find((r) => 'embeddedCentralPid' in r) as
      | { embeddedCentralPid?: number }
      | undefined;
    const pid = store?.embeddedCentralPid;
    expect(pid).toBeTypeOf('number');
    process.kill(pid as number, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const run = await verify({ face: 'skip', report: false });
    expect(run.status.result).toMatchObject({ checked: false, reason: 'offline' });
    expect(run.status.result.message.vi).toContain('chưa kiểm tra tình trạng thẻ');
    expect(run.verdict.result.code).toBe('status-not-checked');
    expect(run.verdict.result.findings.map((f: { code: string }) => f.code)).toEqual([
      'status-not-checked',
      'person-not-checked',
    ]);
  }, 30_000);
});
