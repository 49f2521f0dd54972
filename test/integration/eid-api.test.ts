/**
 * e-ID level-2 registration through the HTTP API on the embedded default (issue 21, part 4): the
 * simulated CCCD read with PACE, PA, CA and AA; the simulated camera's live face against the chip
 * portrait through the face engine; the contact details with their consent; the officer's
 * signature; then the application sealed into the outbox as its own packet type and acknowledged by
 * the embedded central simulator. A registration is refused when the camera shows another person,
 * and when the chip is not genuine (altered data, a cloned chip). Two registrations racing for the
 * card reader (part 7): the second is told at once who holds it, and abandoning the first while it
 * waits for a card frees the reader. The audit trail holds none of the citizen's data in clear.
 *
 * Identity needs real faces: procedural faces of two person seeds are "the same" to the face engine
 * (simulators/face/real-faces.ts), so the camera shows the real photograph a person seed maps to,
 * and the card in the reader carries that person's other photograph as DG2 (the shared face
 * fixtures, read at run time).
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_SCENARIOS } from '../../simulators/camera/scenarios.ts';
import { createSimulatedCamera } from '../../simulators/camera/sim-camera.ts';
import { CccdCardSimulator } from '../../simulators/card/cccd-card-sim.ts';
import type { InProcessPcsc } from '../../simulators/card/in-process-pcsc.ts';
import { SAMPLE_PERSON } from '../../simulators/card/lds-builder.ts';
import { realFaceFrame, realPhotosFor } from '../../simulators/face/real-faces.ts';
import { buildStation } from '../../station/app.ts';
import { auditLogFile } from '../../station/audit/trail.ts';
import { systemClock } from '../../station/clock.ts';
import { SIMULATED_READER } from '../../station/compose/cards.ts';
import { composeStation } from '../../station/compose/embedded.ts';
import { EID_CONSENT_TEXT_VERSION } from '../../station/workflows/eid/service.ts';
import { faceFixturesDir } from '../support/face-images.ts';
import { TEST_OFFICERS, tempDir, testConfig } from '../support/station.ts';

const data = tempDir('eid-api-');
let app: FastifyInstance;
let pcsc: InProcessPcsc;
let holderCard: CccdCardSimulator;
/** A person seed whose real photographs are of someone other than the card holder's. */
let otherSeed: string;

/** The chip portrait: the holder's first photograph, greyscale 480 x 640 (DG2 of the simulated card). */
async function chipPortrait(dir: string): Promise<Uint8Array> {
  const { dg2 } = realPhotosFor(SAMPLE_PERSON.id12, dir);
  const jpeg = await sharp(dg2)
    .rotate()
    .resize(480, 640, { fit: 'contain', background: { r: 200, g: 200, b: 200 } })
    .greyscale()
    .jpeg({ quality: 85 })
    .toBuffer();
  return new Uint8Array(jpeg);
}

beforeAll(async () => {
  const dir = faceFixturesDir();
  const holder = realPhotosFor(SAMPLE_PERSON.id12, dir).person;
  const seed = Array.from({ length: 40 }, (_, i) => `0481${String(i).padStart(8, '0')}`).find(
    (s) => realPhotosFor(s, dir).person !== holder,
  );
  if (seed === undefined) throw new Error(`the face fixtures in ${dir} hold only one person`);
  otherSeed = seed;
  const frames = new Map<string, Uint8Array>();
  const config = testConfig(
    { hotpath: { workers: 1 }, devices: { camera: { width: 640, height: 480 } } },
    data.dir,
  );
  const deps = await composeStation(config, {
    clock: systemClock,
    logger: false,
    officers: TEST_OFFICERS,
    // The camera shows the real photograph of whoever is in front of it (by person seed).
    simulatedCamera: {
      simulatedScenarios: CAMERA_SCENARIOS,
      simulatedFeed: (o) =>
        createSimulatedCamera({
          ...o,
          width: 640,
          height: 480,
          scenario: 'good',
          renderer: {
            async render(request) {
              let jpeg = frames.get(request.personSeed);
              if (jpeg === undefined) {
                jpeg = await realFaceFrame(request.personSeed, dir, {
                  width: request.width,
                  height: request.height,
                });
                frames.set(request.personSeed, jpeg);
              }
              return { frame: request.frame, jpeg, faces: [], renderMs: 0, encodeMs: 0 };
            },
            setCardImage: () => undefined,
            close: async () => undefined,
          },
        }),
    },
  });
  const cards = deps.cards;
  if (cards === undefined) throw new Error('the embedded station has a card reader');
  holderCard = await CccdCardSimulator.create({
    person: SAMPLE_PERSON,
    portrait: { width: 480, height: 640 },
    portraitJpeg: await chipPortrait(dir),
    dg3InWorker: true,
  });
  // This card's own test CSCA is trusted beside the embedded card's (the station's trust store is
  // the list the composition made; PA of the e-ID read checks against it).
  (cards.trustStore?.cscaCertificates as Uint8Array[] | undefined)?.push(holderCard.cscaCertificate);
  app = await buildStation(deps);
  pcsc = deps.simulators?.find((s) => s.name === 'pcsc') as InProcessPcsc;
  for (let i = 0; i < 600 && !cards.reader.readers().some((r) => r.status === 'card'); i++)
    await new Promise((r) => setTimeout(r, 50));
  pcsc.remove(SIMULATED_READER);
  pcsc.insert(holderCard.card(), SIMULATED_READER);
}, 120_000);

afterAll(async () => {
  await app?.close();
  data.remove();
});

const HOST = { host: '127.0.0.1:8080' };
const CARD = { id12: SAMPLE_PERSON.id12, dateOfBirth: '990101', dateOfExpiry: '390101' };
const PHONE = '+84 912 345 678';
const EMAIL = 'An.Nguyen@Example.VN';
const CONSENT = { phone: true, email: true, dataProcessing: true, textVersion: EID_CONSENT_TEXT_VERSION };

async function open(officer = 'off-1'): Promise<string> {
  const r = await app.inject({
    method: 'POST',
    url: '/eid-registrations',
    headers: { ...HOST, 'x-test-officer': officer },
  });
  expect(r.statusCode, r.body).toBe(201);
  expect(r.json()).toMatchObject({ stage: 'started', version: 0, next: ['card-key', 'abandon'] });
  return r.json().id;
}

function step(id: string, version: number, body: Record<string, unknown>, officer = 'off-1') {
  return app
    .inject({
      method: 'POST',
      url: `/eid-registrations/${id}/steps`,
      headers: { ...HOST, 'x-test-officer': officer },
      payload: { version, step: body },
    })
    .then((r) => ({ status: r.statusCode, body: r.json() }));
}

async function sim(url: string, payload: Record<string, unknown> = {}) {
  const r = await app.inject({ method: 'POST', url, payload, headers: HOST });
  expect(r.statusCode, r.body).toBe(200);
}

describe('e-ID level-2 registration through the API', () => {
  it('card, live face, contact and consent, signature: the application is acknowledged by central', async () => {
    const id = await open();
    let r = await step(id, 0, { kind: 'card-key', ...CARD });
    expect(r).toMatchObject({ status: 200, body: { outcome: { version: 1, stage: 'card-key' } } });
    const early = await step(id, 1, { kind: 'compare-face' });
    expect(early).toMatchObject({
      status: 409,
      body: { error: { code: 'WRONG_STAGE', expected: { stages: ['card-read'] } } },
    });

    r = await step(id, 1, { kind: 'read-card', waitMs: 5000 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.registration.card).toMatchObject({
      passiveAuthentication: 'valid',
      chipVerdict: 'genuine-chip',
      activeAuthentication: 'passed',
      holder: { id12: SAMPLE_PERSON.id12 },
      portrait: true,
    });
    expect(r.body.outcome).toMatchObject({ version: 2, stage: 'card-read' });

    // The chip portrait for the officer's screen, from the read until the registration ends.
    const portrait = await app.inject({
      url: `/eid-registrations/${id}/portrait`,
      headers: { ...HOST, 'x-test-officer': 'off-1' },
    });
    expect(portrait.statusCode, portrait.body).toBe(200);
    expect(portrait.headers['content-type']).toBe('image/jpeg');
    expect(new Uint8Array(portrait.rawPayload)).toEqual(holderCard.lds().portraitJpeg);
    const elsewhere = await app.inject({
      url: `/eid-registrations/${id}/portrait`,
      headers: { ...HOST, 'x-test-officer': 'off-2' },
    });
    expect(elsewhere.statusCode).toBe(403);

    r = await step(id, 2, { kind: 'compare-face' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outcome.stage).toBe('face-matched');
    expect(r.body.registration.face).toMatchObject({ decision: 'same' });
    expect(r.body.registration.face.distance).toBeLessThan(r.body.registration.face.threshold);

    const invalid = await step(id, 3, {
      kind: 'contact',
      phone: '024 3825 1234',
      email: 'an@@example',
      consent: CONSENT,
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toMatchObject({ code: 'CONTACT_INVALID' });
    expect(
      invalid.body.error.problems.map((p: { field: string; code: string }) => [p.field, p.code]),
    ).toEqual([
      ['/phone', 'PHONE_INVALID'],
      ['/email', 'EMAIL_INVALID'],
    ]);
    expect(invalid.body.error.messages.vi).toBeTruthy();
    const noConsent = await step(id, 3, {
      kind: 'contact',
      phone: PHONE,
      email: EMAIL,
      consent: { ...CONSENT, dataProcessing: false },
    });
    expect(noConsent).toMatchObject({ status: 422, body: { error: { code: 'CONSENT_REQUIRED' } } });
    r = await step(id, 3, { kind: 'contact', phone: PHONE, email: EMAIL, consent: CONSENT });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.registration.contact).toMatchObject({
      phone: '0912345678',
      email: 'An.Nguyen@example.vn',
      consent: { phone: true, email: true, dataProcessing: true, textVersion: EID_CONSENT_TEXT_VERSION },
    });

    const forged = await step(id, 4, { kind: 'sign', grant: 'grant-for-someone-else' });
    expect(forged).toMatchObject({ status: 403, body: { error: { code: 'SIGNING_GRANT_INVALID' } } });
    r = await step(id, 4, { kind: 'sign', grant: 'grant-for-off-1' });
    expect(r.body.outcome).toMatchObject({ version: 5, stage: 'signed' });
    r = await step(id, 5, { kind: 'submit' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const { packetId } = r.body.registration;
    expect(r.body).toMatchObject({ outcome: { stage: 'queued' }, packet: { packetId, state: 'queued' } });
    const ended = await app.inject({
      url: `/eid-registrations/${id}/portrait`,
      headers: { ...HOST, 'x-test-officer': 'off-1' },
    });
    expect(ended.statusCode).toBe(409);
    expect(ended.json().error.code).toBe('EID_NO_PORTRAIT');
    const replay = await step(id, 5, { kind: 'submit' });
    expect(replay).toMatchObject({ status: 200, body: { replayed: true, outcome: { stage: 'queued' } } });

    const deadline = Date.now() + 90_000;
    let state = '';
    while (Date.now() < deadline) {
      const outbox = (await app.inject({ url: '/outbox', headers: HOST })).json() as {
        packets: { packetId: string; state: string }[];
      };
      state = outbox.packets.find((p) => p.packetId === packetId)?.state ?? '';
      if (state === 'acknowledged' || state === 'dead-letter') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(state).toBe('acknowledged');
    const shown = (await app.inject({ url: `/outbox/${packetId}`, headers: HOST })).json();
    expect(shown.receipt.statement).toMatchObject({ kind: 'receipt', packetId });

    // The audit trail recorded every step, with the citizen only as a keyed pseudonym.
    const log = await readFile(auditLogFile(data.dir), 'utf8');
    for (const action of [
      'eid.card-key',
      'eid.read-card',
      'eid.compare-face',
      'eid.contact',
      'eid.sign',
      'eid.sealing',
      'eid.submit',
    ])
      expect(log).toContain(`"${action}"`);
    for (const secret of [SAMPLE_PERSON.id12, 'Nguyễn Văn An', '0912345678', 'example.vn', 'An.Nguyen'])
      expect(log).not.toContain(secret);
  }, 240_000);

  it('refused when the live face is another person, and nothing after it is allowed', async () => {
    const id = await open();
    await step(id, 0, { kind: 'card-key', ...CARD });
    const read = await step(id, 1, { kind: 'read-card', waitMs: 5000 });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    await sim('/sim/camera/actions/person', { seed: otherSeed });
    try {
      // Frames of the new person: wait until the camera shows them (a few frames at its rate).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const r = await step(id, 2, { kind: 'compare-face' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.outcome).toMatchObject({ stage: 'refused', refusal: { code: 'EID_FACE_MISMATCH' } });
      expect(r.body.outcome.refusal.message.vi).toContain('không khớp');
      expect(r.body.registration.face.decision).toBe('different');
      const after = await step(id, 3, { kind: 'contact', phone: PHONE, email: EMAIL, consent: CONSENT });
      expect(after).toMatchObject({
        status: 409,
        body: { error: { code: 'WRONG_STAGE', stage: 'refused' } },
      });
    } finally {
      await sim('/sim/camera/actions/person', { seed: SAMPLE_PERSON.id12 });
    }
  }, 120_000);

  it('two registrations racing for the reader: the second gets DEVICE_IN_USE at once; abandoning the first frees it', async () => {
    await sim('/sim/pcsc/actions/remove');
    const first = await open('off-1');
    const second = await open('off-2');
    await step(first, 0, { kind: 'card-key', ...CARD }, 'off-1');
    await step(second, 0, { kind: 'card-key', ...CARD }, 'off-2');
    // The first waits for a card to be placed.
    const waiting = step(first, 1, { kind: 'read-card', waitMs: 30_000 }, 'off-1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const refused = await step(second, 1, { kind: 'read-card', waitMs: 5000 }, 'off-2');
    // Told at once, not after the first's 30 s wait (a generous bound for a loaded machine).
    expect(performance.now() - started).toBeLessThan(5000);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'DEVICE_IN_USE',
      holder: { officerName: 'off-1', purpose: 'eid.card-read' },
    });
    expect(refused.body.error.messages.vi).toContain('đang được off-1 dùng để đọc thẻ');
    expect(refused.body.error.messages.en).toContain('in use by off-1');

    const abandoned = await step(first, 1, { kind: 'abandon', reason: 'citizen left' }, 'off-1');
    expect(abandoned).toMatchObject({ status: 200, body: { outcome: { stage: 'abandoned' } } });
    const canceled = await waiting;
    expect(canceled.body.error?.code).toBe('DEVICE_CANCELED');

    const reading = step(second, 1, { kind: 'read-card', waitMs: 10_000 }, 'off-2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sim('/sim/pcsc/actions/insert');
    const read = await reading;
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.outcome.stage).toBe('card-read');
  }, 120_000);

  it('refused when the chip is not genuine: altered data (PA) and a cloned chip (CA/AA)', async () => {
    const scenario = async (name: string) => {
      const r = await app.inject({
        method: 'PUT',
        url: '/sim/card/scenario',
        headers: HOST,
        payload: { scenario: name, applyNow: true },
      });
      expect(r.statusCode, r.body).toBe(200);
    };
    try {
      for (const [name, code] of [
        ['tampered-dg', 'EID_CARD_NOT_GENUINE'],
        ['cloned-chip', 'EID_CHIP_NOT_GENUINE'],
      ] as const) {
        // The embedded simulated card (its CSCA trusted by the station) goes in with the scenario.
        await scenario(name);
        const id = await open();
        await step(id, 0, { kind: 'card-key', ...CARD });
        const r = await step(id, 1, { kind: 'read-card', waitMs: 5000 });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.outcome, name).toMatchObject({ stage: 'refused', refusal: { code } });
        const next = await step(id, 2, { kind: 'compare-face' });
        expect(next).toMatchObject({
          status: 409,
          body: { error: { code: 'WRONG_STAGE', stage: 'refused' } },
        });
      }
    } finally {
      await scenario('valid');
    }
  }, 120_000);
});
