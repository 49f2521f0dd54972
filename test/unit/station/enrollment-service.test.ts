/**
 * The enrollment service over fake ports: steps in order through the encrypted store, no device
 * touched for a refused or replayed step, a restart resumes, the closing step answers its replay,
 * and the capture set handed to the sealer is what was captured and signed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MccTemplate } from '../../../protocol/fingerprint/match/index.ts';
import type { SetFinding } from '../../../protocol/fingerprint/set-checks.ts';
import type { CaptureSet, SlapCapture, SlapHand } from '../../../station/packets/capture-set.ts';
import { DraftStore } from '../../../station/workflows/enrollment/draft-store.ts';
import { HAND_POSITIONS } from '../../../station/workflows/enrollment/machine.ts';
import {
  type EnrollmentPorts,
  EnrollmentService,
  type StepRequest,
} from '../../../station/workflows/enrollment/service.ts';
import { ManualClock, tempDir } from '../../support/station.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

const DEVICE = { model: 'sim', serialNumber: '1', firmware: '1', certificate: new Uint8Array([48, 0]) };
const OFFICER = { officerId: 'off-1', roles: ['officer'] };
const SUPERVISOR = { officerId: 'sup-1', roles: ['officer', 'supervisor'] };

const PERSON = {
  personalId: '001099012345',
  fullName: 'Nguyễn Văn An',
  birthDate: '1999-01-01',
  sex: 'male' as const,
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Hà Nội',
  placeOfBirthRegistration: 'Hà Nội',
  placeOfResidence: '1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
};

function fakePorts(findings: SetFinding[] = []) {
  const calls = {
    slaps: [] as SlapHand[],
    portraits: 0,
    checks: 0,
    sealed: [] as CaptureSet[],
    templatesOf: 0,
  };
  let attempt = 0;
  const ports: EnrollmentPorts = {
    async captureSlap(hand, { missing }) {
      calls.slaps.push(hand);
      attempt += 1;
      const fingers = HAND_POSITIONS[hand]
        .filter((p) => !missing.includes(p))
        .map((position) => ({
          position,
          box: { x: 0, y: 0, width: 10, height: 10 },
          width: 10,
          height: 10,
          score: 80,
          wsq: new Uint8Array([position, attempt]),
        }));
      const slap: SlapCapture = {
        hand,
        width: 100,
        height: 100,
        wsq: new Uint8Array([attempt, hand.length]),
        fingers,
        device: DEVICE,
        attestation: { signature: new Uint8Array([1]) },
        attempts: 1,
      };
      return {
        ok: true,
        slap,
        templates: fingers.map((f) => ({ position: f.position, template: {} as MccTemplate })),
      };
    },
    async capturePortrait() {
      calls.portraits += 1;
      return {
        ok: true,
        capture: {
          jpeg: new Uint8Array([0xff, 0xd8, calls.portraits]),
          device: DEVICE,
          attestation: { signature: new Uint8Array([2]) },
          attempts: 1,
        },
      };
    },
    async templatesOf(slap) {
      calls.templatesOf += 1;
      return slap.fingers.map((f) => ({ position: f.position, template: {} as MccTemplate }));
    },
    async checkSet() {
      calls.checks += 1;
      return findings;
    },
    async lookupCitizen(personalId) {
      return personalId === PERSON.personalId
        ? { fullName: PERSON.fullName, placeOfResidence: 'Số 9 Hàng Bạc, Hà Nội' }
        : undefined;
    },
    async seal(set) {
      calls.sealed.push(set);
      return { packetId: set.packetId, state: 'queued', sha256: 'ab'.repeat(32) };
    },
  };
  return { ports, calls };
}

async function setup(findings: SetFinding[] = []) {
  const tmp = tempDir('enroll-service-');
  cleanups.push(tmp.remove);
  const key = new Uint8Array(32).fill(5);
  const store = new DraftStore(path.join(tmp.dir, 'drafts'), key);
  const { ports, calls } = fakePorts(findings);
  const clock = new ManualClock(Date.parse('2026-12-07T03:00:00Z'));
  const make = (more: Partial<EnrollmentPorts> = {}) =>
    new EnrollmentService({
      store,
      ports: { ...ports, ...more },
      clock,
      stationId: 'dev-station-01',
      environment: 'test',
      signingGrant: async (_actor, grant) =>
        grant === 'good' ? { ok: true, method: 'password' } : { ok: false, reason: 'unknown grant' },
    });
  return { service: make(), make, calls, dir: path.join(tmp.dir, 'drafts'), clock };
}

async function walk(service: EnrollmentService, id: string, steps: StepRequest[], who = OFFICER) {
  let version = (await service.view(id)).version;
  const answers = [];
  for (const step of steps) {
    const answer = await service.step(id, version, step, who);
    if (!answer.ok) throw new Error(`${step.kind}: ${JSON.stringify(answer.refusal)}`);
    version = answer.outcome.version;
    answers.push(answer);
  }
  return answers;
}

const CAPTURE: StepRequest[] = [
  { kind: 'choose-type', type: 'first-issue' },
  { kind: 'demographics', input: PERSON },
  { kind: 'capture-portrait' },
  { kind: 'capture-slap', hand: 'right' },
  { kind: 'capture-slap', hand: 'left' },
  { kind: 'capture-slap', hand: 'thumbs' },
  { kind: 'run-checks' },
];

describe('EnrollmentService', () => {
  it('runs a first issue to a sealed packet whose capture set is what was captured and signed', async () => {
    const { service, calls } = await setup();
    const started = await service.start('off-1');
    const answers = await walk(service, started.id, [
      ...CAPTURE,
      { kind: 'sign', grant: 'good' },
      { kind: 'submit' },
    ]);
    const last = answers.at(-1);
    expect(last).toMatchObject({
      ok: true,
      outcome: { stage: 'queued' },
      packet: { packetId: started.packetId },
    });
    expect(calls.sealed).toHaveLength(1);
    const set = calls.sealed[0] as CaptureSet;
    expect(set).toMatchObject({
      packetId: started.packetId,
      enrollmentSessionId: started.id,
      enrollmentType: 'first-issue',
      officerId: 'off-1',
      supervisorApproval: null,
      applicant: { personalId: '001099012345', fullName: 'Nguyễn Văn An', nationalityCode: 'VNM' },
    });
    expect(set.slaps.map((s) => s.hand)).toEqual(['right', 'left', 'thumbs']);
    expect(set.portrait.jpeg).toEqual(new Uint8Array([0xff, 0xd8, 1]));
    await expect(service.view(started.id)).rejects.toMatchObject({ code: 'DRAFT_NOT_FOUND' });
  });

  it('keeps the citizen’s receipt of a queued enrollment, encrypted, until the sweep wipes it', async () => {
    const { service, dir, clock } = await setup();
    const started = await service.start('off-1');
    await walk(service, started.id, [...CAPTURE, { kind: 'sign', grant: 'good' }, { kind: 'submit' }]);
    expect(await service.receipt(started.id)).toEqual({
      format: 1,
      enrollmentId: started.id,
      packetId: started.packetId,
      type: 'first-issue',
      fullName: 'Nguyễn Văn An',
      personalId: '001099012345',
      birthDate: PERSON.birthDate,
      submittedAt: '2026-12-07T03:00:00.000Z',
      // Monday 7 December 2026 plus seven working days.
      expectedFrom: '2026-12-16',
      stationId: 'dev-station-01',
      officerId: 'off-1',
      exceptions: [],
    });
    const file = readFileSync(path.join(dir, `${started.id}.receipt`));
    expect(file.includes(Buffer.from('Nguyễn'))).toBe(false);
    expect(file.includes(Buffer.from('001099012345'))).toBe(false);
    // An abandoned enrollment has none.
    const other = await service.start('off-1');
    await walk(service, other.id, [{ kind: 'abandon', reason: 'citizen left' }]);
    await expect(service.receipt(other.id)).rejects.toMatchObject({ code: 'RECEIPT_NOT_FOUND' });
    // Kept a day by default: an hour later it is still there, after 25 hours it is gone.
    clock.advance(3_600_000);
    await service.sweep();
    expect((await service.receipt(started.id)).packetId).toBe(started.packetId);
    clock.advance(24 * 3_600_000);
    await service.sweep();
    await expect(service.receipt(started.id)).rejects.toMatchObject({ code: 'RECEIPT_NOT_FOUND' });
  });

  it('touches no device for a step at the wrong stage, and a repeated capture request captures once', async () => {
    const { service, calls } = await setup();
    const { id } = await service.start('off-1');
    const early = await service.step(id, 0, { kind: 'capture-slap', hand: 'right' }, OFFICER);
    expect(early).toMatchObject({
      ok: false,
      status: 409,
      refusal: { code: 'WRONG_STAGE', expected: { stages: ['fingerprints', 'review'] } },
    });
    expect(calls.slaps).toEqual([]);
    await walk(service, id, CAPTURE.slice(0, 3));
    const v = (await service.view(id)).version;
    const [a, b] = await Promise.all([
      service.step(id, v, { kind: 'capture-slap', hand: 'right' }, OFFICER),
      service.step(id, v, { kind: 'capture-slap', hand: 'right' }, OFFICER),
    ]);
    expect(calls.slaps).toEqual(['right']);
    expect(a).toMatchObject({ ok: true, replayed: false });
    expect(b).toMatchObject({ ok: true, replayed: true });
    if (a.ok && b.ok) expect(b.outcome).toEqual(a.outcome);
    expect((await service.view(id)).slaps[0]).toMatchObject({ hand: 'right', attempts: 1 });
  });

  it('resumes after a restart from the encrypted draft, recomputing the templates it lost', async () => {
    const { service, make, calls } = await setup();
    const { id } = await service.start('off-1');
    await walk(service, id, CAPTURE.slice(0, 6));
    const restarted = make();
    const view = await restarted.view(id);
    expect(view).toMatchObject({
      stage: 'fingerprints',
      demographics: { applicant: { fullName: 'Nguyễn Văn An' } },
    });
    expect(view.slaps.map((s) => s.hand)).toEqual(['right', 'left', 'thumbs']);
    await walk(restarted, id, [{ kind: 'run-checks' }]);
    expect(calls.templatesOf).toBe(3);
    expect((await restarted.view(id)).stage).toBe('review');
  });

  it('the capture that completes the set runs its checks; run-checks records them, and compares again only when the slaps changed', async () => {
    const { service, calls } = await setup();
    const { id } = await service.start('off-1');
    await walk(service, id, CAPTURE.slice(0, 5));
    expect(calls.checks).toBe(0);
    await walk(service, id, [{ kind: 'capture-slap', hand: 'thumbs' }]);
    expect(calls.checks).toBe(1);
    // A recapture of a complete set checks the new set at once.
    await walk(service, id, [{ kind: 'capture-slap', hand: 'right' }]);
    expect(calls.checks).toBe(2);
    await walk(service, id, [{ kind: 'run-checks' }]);
    expect(calls.checks).toBe(2);
    expect((await service.view(id)).stage).toBe('review');
  });

  it('when the checks fail during the capture, the capture stands and run-checks runs them itself', async () => {
    const { make, calls } = await setup();
    let failNext = true;
    const service = make({
      async checkSet() {
        calls.checks += 1;
        if (failNext) {
          failNext = false;
          throw new Error('the hot-path pool is shutting down');
        }
        return [];
      },
    });
    const { id } = await service.start('off-1');
    // The thumbs, completing the set, are captured although their checks failed.
    await walk(service, id, CAPTURE.slice(0, 6));
    expect(calls.checks).toBe(1);
    expect((await service.view(id)).slaps.map((slap) => slap.hand)).toEqual(['right', 'left', 'thumbs']);
    await walk(service, id, [{ kind: 'run-checks' }]);
    expect(calls.checks).toBe(2);
    expect((await service.view(id)).stage).toBe('review');
  });

  it('names the wrong hand when the other hand on the glass lost a finger, and keeps nothing', async () => {
    const { service, make } = await setup();
    const { id } = await service.start('off-1');
    await walk(service, id, CAPTURE.slice(0, 4));
    const base = fakePorts().ports;
    // The right hand again on the left slap: segmentation finds three fingers, the geometry the right hand.
    const wrong = make({
      async captureSlap(hand, options) {
        const captured = await base.captureSlap(hand, options);
        if (!captured.ok) return captured;
        const fingers = captured.slap.fingers.slice(0, 3);
        return { ...captured, slap: { ...captured.slap, fingers }, handSeen: 'right' };
      },
    });
    const version = (await wrong.view(id)).version;
    const refused = await wrong.step(id, version, { kind: 'capture-slap', hand: 'left' }, OFFICER);
    expect(refused).toMatchObject({ ok: false, status: 422, refusal: { code: 'WRONG_HAND' } });
    expect(refused.ok ? '' : refused.refusal.message.en).toMatch(/the right hand, not the left/);
    expect((await wrong.view(id)).slaps.map((s) => s.hand)).toEqual(['right']);
    // The same three fingers with the left hand's geometry are the machine's missing finger.
    const missing = make({
      async captureSlap(hand, options) {
        const captured = await base.captureSlap(hand, options);
        if (!captured.ok) return captured;
        return {
          ...captured,
          slap: { ...captured.slap, fingers: captured.slap.fingers.slice(0, 3) },
          handSeen: 'left',
        };
      },
    });
    const plain = await missing.step(id, version, { kind: 'capture-slap', hand: 'left' }, OFFICER);
    expect(plain).toMatchObject({ ok: false, refusal: { code: 'FINGER_MISSING' } });
  });

  it('a blocking finding keeps the set at fingerprints with the slaps to recapture', async () => {
    const finding: SetFinding = {
      code: 'SAME_HAND_TWICE',
      positions: [7, 8, 9, 10],
      evidence: [],
      message: { vi: 'Hai lần cùng một bàn tay', en: 'The same hand twice' },
    };
    const { service } = await setup([finding]);
    const { id } = await service.start('off-1');
    const answers = await walk(service, id, CAPTURE);
    expect(answers.at(-1)).toMatchObject({
      outcome: {
        stage: 'fingerprints',
        findings: [{ code: 'SAME_HAND_TWICE', blocking: true, hands: ['left'] }],
      },
    });
    const sign = await service.step(
      id,
      answers.at(-1)?.ok ? (answers.at(-1) as { outcome: { version: number } }).outcome.version : 0,
      { kind: 'sign', grant: 'good' },
      OFFICER,
    );
    expect(sign).toMatchObject({ ok: false, refusal: { code: 'WRONG_STAGE' } });
  });

  it('signing needs a valid grant; an exception needs a supervisor other than the signer; the replayed submit answers once', async () => {
    const { service, calls } = await setup();
    const { id } = await service.start('off-1');
    await walk(service, id, [
      ...CAPTURE.slice(0, 3),
      { kind: 'exception', position: 9, reason: 'amputated', confirmed: true },
      ...CAPTURE.slice(3),
    ]);
    let view = await service.view(id);
    const bad = await service.step(id, view.version, { kind: 'sign', grant: 'stolen' }, OFFICER);
    expect(bad).toMatchObject({ ok: false, status: 403, refusal: { code: 'SIGNING_GRANT_INVALID' } });
    await walk(service, id, [{ kind: 'sign', grant: 'good' }]);
    view = await service.view(id);
    expect(view.approvalRules).toEqual(['finger-exception']);
    const early = await service.step(id, view.version, { kind: 'submit' }, OFFICER);
    expect(early).toMatchObject({ ok: false, refusal: { code: 'APPROVAL_REQUIRED' } });
    expect(calls.sealed).toHaveLength(0);
    await walk(service, id, [{ kind: 'approve', digest: view.digest }], SUPERVISOR);
    view = await service.view(id);
    const submitted = await service.step(id, view.version, { kind: 'submit' }, OFFICER);
    const again = await service.step(id, view.version, { kind: 'submit' }, OFFICER);
    expect(submitted).toMatchObject({ ok: true, replayed: false });
    expect(again).toMatchObject({ ok: true, replayed: true, closed: { stage: 'queued' } });
    expect(calls.sealed).toHaveLength(1);
    expect(calls.sealed[0]?.supervisorApproval).toMatchObject({ supervisorId: 'sup-1' });
    expect(calls.sealed[0]?.exceptions).toEqual([{ position: 9, reason: 'amputated' }]);
    expect(calls.sealed[0]?.slaps[1]?.fingers.map((f) => f.position)).toEqual([7, 8, 10]);
    const late = await service.step(id, view.version + 1, { kind: 'abandon', reason: 'x' }, OFFICER);
    expect(late).toMatchObject({ ok: false, refusal: { code: 'ENROLLMENT_CLOSED' } });
  });

  it('a renewal prefills from the old card’s QR: the database’s record with the card’s details beside it; a QR without an ID is refused', async () => {
    const { service } = await setup();
    const { id } = await service.start('off-1');
    await walk(service, id, [{ kind: 'choose-type', type: 'renewal' }]);
    const bad = await service.step(id, 1, { kind: 'prefill', qr: 'not|a|card' }, OFFICER);
    expect(bad).toMatchObject({ ok: false, status: 422, refusal: { code: 'QR_INVALID', stage: 'prefill' } });
    if (!bad.ok) expect(bad.refusal.message.vi).toContain('Mã QR');
    const qr =
      '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024\r\n';
    await walk(service, id, [
      { kind: 'prefill', qr },
      { kind: 'demographics', input: { ...PERSON, previousCardNumber: '001099012345' } },
    ]);
    const view = await service.view(id);
    expect(view.prefill).toMatchObject({
      source: 'qr',
      cardNumber: '001099012345',
      // The population database's current record prefills...
      record: { fullName: PERSON.fullName, placeOfResidence: 'Số 9 Hàng Bạc, Hà Nội' },
      // ...and the old card's own details stay beside it.
      card: {
        fullName: 'Nguyễn Văn An',
        birthDate: '1999-01-01',
        sex: 'male',
        placeOfResidence: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
        formerIdNumber: '012345678',
      },
      differences: [
        { field: 'placeOfResidence', recorded: 'Số 9 Hàng Bạc, Hà Nội', typed: PERSON.placeOfResidence },
      ],
    });
    // What was typed differs from the card's own address as well.
    expect(view.prefill?.cardDifferences).toEqual([
      {
        field: 'placeOfResidence',
        recorded: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
        typed: PERSON.placeOfResidence,
      },
    ]);
  });

  it('a renewal prefills from the old card’s chip when it reads as proven, and says why when it does not', async () => {
    const { service, make, calls } = await setup();
    const key = { mrzInformation: undefined, can: '123456', key: undefined, from: 'can' as const };
    // A station without a card reader says so.
    const { id: first } = await service.start('off-1');
    await walk(service, first, [{ kind: 'choose-type', type: 'renewal' }]);
    expect(await service.step(first, 1, { kind: 'prefill', card: key }, OFFICER)).toMatchObject({
      ok: false,
      status: 422,
      refusal: { code: 'CARD_READER_UNAVAILABLE' },
    });
    const reads: string[] = [];
    const withReader = make({
      async readOldCard(given) {
        reads.push(String(given.can));
        return reads.length === 1
          ? { ok: false, code: 'OLD_CARD_NOT_PROVEN', message: { vi: 'không xác thực', en: 'not proven' } }
          : { ok: true, personalId: PERSON.personalId, record: { fullName: 'Nguyễn Văn An', sex: 'male' } };
      },
    });
    const refused = await withReader.step(first, 1, { kind: 'prefill', card: key }, OFFICER);
    expect(refused).toMatchObject({
      ok: false,
      status: 422,
      refusal: { code: 'OLD_CARD_NOT_PROVEN', stage: 'prefill' },
    });
    await walk(withReader, first, [{ kind: 'prefill', card: key }]);
    expect(reads).toEqual(['123456', '123456']);
    expect((await withReader.view(first)).prefill).toMatchObject({
      source: 'card',
      cardNumber: PERSON.personalId,
      record: { placeOfResidence: 'Số 9 Hàng Bạc, Hà Nội' },
      card: { fullName: 'Nguyễn Văn An', sex: 'male' },
    });
    expect(calls.slaps).toEqual([]);
  });

  it('a renewal prefills from the population database and shows what differs; a tampered draft is refused; idle drafts are wiped', async () => {
    const { service, dir, clock } = await setup();
    const { id } = await service.start('off-1');
    await walk(service, id, [
      { kind: 'choose-type', type: 'renewal' },
      { kind: 'prefill', personalId: PERSON.personalId, cardNumber: '001099012345' },
      { kind: 'demographics', input: { ...PERSON, previousCardNumber: '001099012345' } },
    ]);
    const view = await service.view(id);
    expect(view.prefill).toMatchObject({
      source: 'population',
      differences: [
        { field: 'placeOfResidence', recorded: 'Số 9 Hàng Bạc, Hà Nội', typed: PERSON.placeOfResidence },
      ],
    });
    const file = path.join(dir, `${id}.draft`);
    const other = await service.start('off-1');
    writeFileSync(file, Buffer.from('CCCDDRAFT1 not a draft at all, truncated'));
    await expect(service.view(id)).rejects.toMatchObject({ code: 'DRAFT_TAMPERED' });
    clock.advance(3 * 3_600_000);
    // The tampered file stays for investigation (its time is the real clock's); the idle one goes.
    expect(await service.sweep()).toEqual([other.id]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.draft'))).toEqual([`${id}.draft`]);
  });
});
