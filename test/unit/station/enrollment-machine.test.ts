/**
 * The enrollment state machine (station/workflows/enrollment/machine.ts) and the demographics
 * checks: every transition validated against the stage, replays answered once, the signature and
 * approval bound to the content, the approval rules, the age and ID rules with their messages.
 */
import { describe, expect, it } from 'vitest';
import type { SlapCapture, SlapHand } from '../../../station/packets/capture-set.ts';
import {
  checkDemographics,
  type DemographicsInput,
} from '../../../station/workflows/enrollment/demographics.ts';
import {
  type Actor,
  apply,
  attemptsKey,
  type Command,
  type Draft,
  digestOf,
  HAND_POSITIONS,
  newDraft,
} from '../../../station/workflows/enrollment/machine.ts';

const NOW = '2026-12-07T10:00:00+07:00';
const OFFICER: Actor = { officerId: 'off-1', roles: ['officer'], now: NOW };
const SUPERVISOR: Actor = { officerId: 'sup-1', roles: ['officer', 'supervisor'], now: NOW };
const DEVICE = { model: 'sim', serialNumber: '1', firmware: '1', certificate: new Uint8Array([1]) };

const PERSON: DemographicsInput = {
  personalId: '001099012345',
  fullName: 'Nguye\u0302\u0303n Văn An', // "Nguyễn" typed with combining marks
  birthDate: '1999-01-01',
  sex: 'male',
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Hà Nội',
  placeOfBirthRegistration: 'Hà Nội',
  placeOfResidence: '1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
};

function slap(hand: SlapHand, scores: number[], skip: number[] = []): SlapCapture {
  const positions = HAND_POSITIONS[hand].filter((p) => !skip.includes(p));
  return {
    hand,
    width: 800,
    height: 750,
    wsq: new Uint8Array([hand.length, ...scores]),
    fingers: positions.map((position, i) => ({
      position,
      box: { x: i * 100, y: 0, width: 90, height: 200 },
      width: 90,
      height: 200,
      score: scores[i] ?? 80,
      wsq: new Uint8Array([position, scores[i] ?? 80]),
    })),
    device: DEVICE,
    attestation: { signature: new Uint8Array([9]) },
    attempts: 1,
  };
}

/** Applies commands in order at the current version, failing the test on a refusal. */
function run(draft: Draft, commands: Command[], actor: Actor = OFFICER): Draft {
  let current = draft;
  for (const command of commands) {
    const step = apply(current, command, current.version, actor);
    if (!step.ok) throw new Error(`${command.kind}: ${step.refusal.code} ${step.refusal.message.en}`);
    current = step.draft;
  }
  return current;
}

function demographics() {
  const checked = checkDemographics(PERSON, 'first-issue', NOW);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.value;
}

const start = () =>
  newDraft({ id: '11111111-2222-4333-8444-555555555555', packetId: 'p', officerId: 'off-1', now: NOW });
const portrait = { jpeg: new Uint8Array([0xff, 0xd8, 1]), device: DEVICE, attempts: 1 };

function captured(): Draft {
  const d = run(start(), [
    { kind: 'choose-type', type: 'first-issue' },
    { kind: 'demographics', demographics: demographics() },
    { kind: 'portrait', capture: portrait },
    { kind: 'slap', capture: slap('right', [80, 81, 82, 83]) },
    { kind: 'slap', capture: slap('left', [70, 71, 72, 73]) },
    { kind: 'slap', capture: slap('thumbs', [90, 91]) },
  ]);
  return d;
}

describe('enrollment state machine', () => {
  it('walks a first issue from type to queued, one version per step', () => {
    let d = captured();
    expect(d.stage).toBe('fingerprints');
    d = run(d, [{ kind: 'checks', findings: [], attempts: attemptsKey(d) }]);
    expect(d.stage).toBe('review');
    d = run(d, [{ kind: 'sign', method: 'password' }]);
    expect(d.stage).toBe('signed');
    expect(d.signature).toMatchObject({ officerId: 'off-1', method: 'password', digest: digestOf(d) });
    expect(d.approvalRules).toEqual([]);
    d = run(d, [{ kind: 'queued' }]);
    expect(d.stage).toBe('queued');
    expect(d.version).toBe(9);
  });

  it('refuses a step out of order with the stages it is allowed in', () => {
    const d = start();
    const step = apply(d, { kind: 'sign', method: 'password' }, 0, OFFICER);
    expect(step.ok).toBe(false);
    if (step.ok) return;
    expect(step.refusal).toMatchObject({
      code: 'WRONG_STAGE',
      stage: 'type',
      expected: { stages: ['review'] },
    });
    expect(step.refusal.message.vi).toMatch(/Bước này/);
  });

  it('answers a replayed step with its first outcome and changes nothing; another step at an old version is a conflict', () => {
    const d0 = start();
    const first = apply(d0, { kind: 'choose-type', type: 'renewal' }, 0, OFFICER);
    if (!first.ok) throw new Error('refused');
    expect(first.outcome).toMatchObject({ version: 1, stage: 'prefill' });
    const again = apply(first.draft, { kind: 'choose-type', type: 'renewal' }, 0, OFFICER);
    expect(again).toMatchObject({ ok: true, replayed: true, outcome: { version: 1, stage: 'prefill' } });
    if (again.ok) expect(again.draft).toBe(first.draft);
    const other = apply(first.draft, { kind: 'choose-type', type: 'correction' }, 0, OFFICER);
    expect(other.ok ? undefined : other.refusal).toMatchObject({
      code: 'VERSION_CONFLICT',
      expected: { version: 1 },
    });
    const future = apply(first.draft, { kind: 'abandon', reason: 'x' }, 7, OFFICER);
    expect(future.ok ? undefined : future.refusal.code).toBe('VERSION_CONFLICT');
  });

  it('keeps the best of the attempts and stops at the limit', () => {
    let d = run(start(), [
      { kind: 'choose-type', type: 'first-issue' },
      { kind: 'demographics', demographics: demographics() },
      { kind: 'portrait', capture: portrait },
      { kind: 'slap', capture: slap('right', [60, 61, 62, 63]) },
      { kind: 'slap', capture: slap('right', [90, 30, 90, 90]) },
    ]);
    expect(d.slaps.right).toMatchObject({ attempts: 2, minScore: 60 });
    expect(d.slaps.right?.best.fingers.map((f) => f.score)).toEqual([60, 61, 62, 63]);
    d = run(d, [{ kind: 'slap', capture: slap('right', [70, 71, 72, 73]) }]);
    expect(d.slaps.right).toMatchObject({ attempts: 3, minScore: 70 });
    const fourth = apply(d, { kind: 'slap', capture: slap('right', [99, 99, 99, 99]) }, d.version, OFFICER);
    expect(fourth.ok ? undefined : fourth.refusal.code).toBe('MAX_ATTEMPTS');
  });

  it('a finger missing from a slap needs a confirmed exception, which then needs a supervisor, who is not the signer', () => {
    let d = run(start(), [
      { kind: 'choose-type', type: 'first-issue' },
      { kind: 'demographics', demographics: demographics() },
      { kind: 'portrait', capture: portrait },
    ]);
    const missing = apply(d, { kind: 'slap', capture: slap('left', [80, 80, 80], [9]) }, d.version, OFFICER);
    expect(missing.ok ? undefined : missing.refusal.code).toBe('FINGER_MISSING');
    const unconfirmed = apply(
      d,
      { kind: 'exception', position: 9, reason: 'amputated', confirmed: false },
      d.version,
      OFFICER,
    );
    expect(unconfirmed.ok ? undefined : unconfirmed.refusal.code).toBe('EXCEPTION_UNCONFIRMED');
    d = run(d, [
      { kind: 'exception', position: 9, reason: 'amputated', note: 'cụt đốt', confirmed: true },
      { kind: 'slap', capture: slap('left', [80, 80, 80], [9]) },
      { kind: 'slap', capture: slap('right', [80, 81, 82, 83]) },
      { kind: 'slap', capture: slap('thumbs', [90, 91]) },
    ]);
    d = run(d, [
      { kind: 'checks', findings: [], attempts: attemptsKey(d) },
      { kind: 'sign', method: 'pin' },
    ]);
    expect(d.approvalRules).toEqual(['finger-exception']);
    const early = apply(d, { kind: 'queued' }, d.version, OFFICER);
    expect(early.ok ? undefined : early.refusal.code).toBe('APPROVAL_REQUIRED');
    const self = apply(d, { kind: 'approve', digest: digestOf(d) }, d.version, {
      ...SUPERVISOR,
      officerId: 'off-1',
    });
    expect(self.ok ? undefined : self.refusal.code).toBe('APPROVER_IS_SIGNER');
    const officer = apply(d, { kind: 'approve', digest: digestOf(d) }, d.version, {
      ...OFFICER,
      officerId: 'off-2',
    });
    expect(officer.ok ? undefined : officer.refusal.code).toBe('ROLE_REQUIRED');
    const stale = apply(d, { kind: 'approve', digest: '00'.repeat(32) }, d.version, SUPERVISOR);
    expect(stale.ok ? undefined : stale.refusal.code).toBe('APPROVAL_DIGEST');
    d = run(d, [{ kind: 'approve', digest: digestOf(d) }], SUPERVISOR);
    expect(d.approval).toMatchObject({ supervisorId: 'sup-1', rules: ['finger-exception'] });
    d = run(d, [{ kind: 'queued' }]);
    expect(d.stage).toBe('queued');
  });

  it('blocking findings keep the draft at fingerprints; a recapture makes the checks stale; low quality needs approval', () => {
    let d = captured();
    const finding = {
      code: 'SAME_HAND_TWICE',
      blocking: true,
      hands: ['left' as const],
      message: { vi: 'Cùng một bàn tay hai lần', en: 'Same hand twice' },
    };
    d = run(d, [{ kind: 'checks', findings: [finding], attempts: attemptsKey(d) }]);
    expect(d.stage).toBe('fingerprints');
    const sign = apply(d, { kind: 'sign', method: 'password' }, d.version, OFFICER);
    expect(sign.ok ? undefined : sign.refusal.code).toBe('WRONG_STAGE');
    const before = attemptsKey(d);
    d = run(d, [{ kind: 'slap', capture: slap('left', [30, 31, 32, 33]) }]);
    const stale = apply(d, { kind: 'checks', findings: [], attempts: before }, d.version, OFFICER);
    expect(stale.ok ? undefined : stale.refusal.code).toBe('CHECKS_STALE');
    // The earlier left slap (70) is better than 30 and stays: no low-quality rule.
    d = run(d, [
      { kind: 'checks', findings: [], attempts: attemptsKey(d) },
      { kind: 'sign', method: 'password' },
    ]);
    expect(d.approvalRules).toEqual([]);
  });

  it('the digest changes with any image or field, so a signature cannot be moved to other content', () => {
    const a = captured();
    const b = run(a, [{ kind: 'slap', capture: slap('thumbs', [95, 96]) }]);
    expect(digestOf(b)).not.toBe(digestOf(a));
    const c = run(a, [
      {
        kind: 'demographics',
        demographics: {
          ...demographics(),
          applicant: { ...demographics().applicant, religion: 'Phật giáo' },
        },
      },
    ]);
    expect(digestOf(c)).not.toBe(digestOf(a));
    expect(digestOf({ ...a, version: 99 })).toBe(digestOf(a));
  });
});

describe('demographics', () => {
  it('normalises names to NFC and takes a consistent person', () => {
    const checked = checkDemographics(PERSON, 'first-issue', NOW);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.value.applicant.fullName).toBe('Nguyễn Văn An');
    expect(checked.value.applicant.fullName).toBe(checked.value.applicant.fullName.normalize('NFC'));
    expect(checked.value.age).toBe(27);
    expect(checked.value.nationalityCode).toBe('VNM');
  });

  it('names each wrong field with a code and both languages', () => {
    const checked = checkDemographics(
      { ...PERSON, fullName: 'An 3', placeOfResidence: ' ', sex: 'female' },
      'first-issue',
      NOW,
    );
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    const byField = new Map(checked.problems.map((p) => [`${p.field} ${p.code}`, p]));
    expect([...byField.keys()]).toEqual(
      expect.arrayContaining([
        '/fullName NAME_CHARACTERS',
        '/placeOfResidence REQUIRED',
        '/personalId ID_SEX_MISMATCH',
      ]),
    );
    for (const p of checked.problems) {
      expect(p.message.vi.length).toBeGreaterThan(0);
      expect(p.message.en.length).toBeGreaterThan(0);
    }
  });

  it('applies the age rules: under 6 refused at the desk, 6-13 needs a consenting representative', () => {
    const child = { ...PERSON, personalId: '001222012345', birthDate: '2022-05-05' };
    const under6 = checkDemographics(child, 'first-issue', NOW);
    expect(under6.ok ? [] : under6.problems.map((p) => p.code)).toContain('AGE_UNDER_6');
    const ten = { ...PERSON, personalId: '001216012345', birthDate: '2016-05-05' };
    const noRep = checkDemographics(ten, 'first-issue', NOW);
    expect(noRep.ok ? [] : noRep.problems.map((p) => p.code)).toContain('REPRESENTATIVE_REQUIRED');
    const withRep = checkDemographics(
      {
        ...ten,
        legalRepresentative: {
          personalId: '001085012345',
          fullName: 'Nguyễn Văn Bố',
          relationship: 'father',
          consentGiven: true,
        },
      },
      'first-issue',
      NOW,
    );
    expect(withRep.ok).toBe(true);
    if (withRep.ok)
      expect(withRep.value.applicant.legalRepresentative?.consent).toEqual({ given: true, at: NOW });
  });

  it('requires per type: the old card for a renewal, the fields and document for a correction', () => {
    const renewal = checkDemographics(PERSON, 'renewal', NOW);
    expect(renewal.ok ? [] : renewal.problems.map((p) => p.field)).toContain('/previousCardNumber');
    const correction = checkDemographics(
      { ...PERSON, correction: { fields: ['shoeSize'], document: '' } },
      'correction',
      NOW,
    );
    expect(correction.ok ? [] : correction.problems.map((p) => `${p.field} ${p.code}`)).toEqual(
      expect.arrayContaining(['/correction/fields/0 FIELD_UNKNOWN', '/correction/document REQUIRED']),
    );
  });
});
