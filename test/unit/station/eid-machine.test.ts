/**
 * The e-ID level-2 registration's state machine and contact rules (station/workflows/eid): stages
 * in order, each command only where the stage allows it, replays answered with their first
 * outcome, conflicts with the current version, refusals for a card that is not genuine, expired or
 * nameless and for a face of another person; Vietnamese mobile numbers and e-mail addresses checked
 * and normalised.
 */
import { describe, expect, it } from 'vitest';
import { normaliseEmail, normaliseMobile } from '../../../station/workflows/eid/contact.ts';
import {
  ALLOWED,
  apply,
  type CardFacts,
  type Command,
  cardRefusal,
  EID_STAGES,
  newRegistration,
  type Registration,
} from '../../../station/workflows/eid/machine.ts';

const GENUINE: CardFacts = {
  accessMethod: 'PACE-CAN',
  holder: {
    id12: '001099012345',
    fullName: 'Nguyễn Văn An',
    surname: 'NGUYEN',
    givenNames: 'VAN AN',
    documentNumber: '099012345',
    dateOfBirth: '990101',
    dateOfExpiry: '390101',
    sex: 'M',
  },
  passiveAuthentication: 'valid',
  chipVerdict: 'genuine-chip',
  chipAuthentication: 'passed',
  activeAuthentication: 'passed',
  documentSigner: 'CN=DS',
  validity: { kind: 'in-date', valid: true, today: '2026-12-07' },
  portrait: true,
};
const SAME = { decision: 'same' as const, distance: 0.3, threshold: 0.6, engine: 'e', engineVersion: '1' };
const CONTACT = {
  phone: '0912345678',
  email: 'an@example.vn',
  consent: {
    phone: true as const,
    email: true as const,
    dataProcessing: true as const,
    textVersion: 'v1',
    at: '2026-12-07T03:00:00.000Z',
  },
};
const WHO = { officerId: 'off-1', now: '2026-12-07T03:00:00.000Z' };

function fresh(): Registration {
  return newRegistration({ id: 'r-1', packetId: 'p-1', officerId: 'off-1', now: WHO.now });
}

/** Applies commands in order, each at the current version with its own digest. */
function run(commands: Command[], start = fresh()): Registration {
  let r = start;
  for (const [i, command] of commands.entries()) {
    const step = apply(r, command, r.version, WHO, `digest-${r.version}-${i}-${command.kind}`);
    if (!step.ok) throw new Error(`${command.kind}: ${step.refusal.code}`);
    r = step.registration;
  }
  return r;
}

const HAPPY: Command[] = [
  { kind: 'card-key', from: 'numbers' },
  { kind: 'card-read', card: GENUINE },
  { kind: 'face', face: SAME },
  { kind: 'contact', contact: CONTACT },
  { kind: 'sign', method: 'password' },
  { kind: 'queued' },
];

describe('e-ID registration machine', () => {
  it('goes through its stages in order to queued', () => {
    const stages: string[] = [];
    let r = fresh();
    for (const [i, command] of HAPPY.entries()) {
      const step = apply(r, command, r.version, WHO, `d${i}`);
      if (!step.ok) throw new Error(step.refusal.code);
      r = step.registration;
      stages.push(r.stage);
    }
    expect(stages).toEqual(['card-key', 'card-read', 'face-matched', 'contact', 'signed', 'queued']);
    expect(r).toMatchObject({
      version: 6,
      signature: { officerId: 'off-1', method: 'password' },
      queued: {},
    });
  });

  it('refuses each command outside its stages and says where it is allowed, changing nothing', () => {
    for (const stage of EID_STAGES)
      for (const kind of Object.keys(ALLOWED) as Command['kind'][]) {
        if (ALLOWED[kind].includes(stage)) continue;
        const r: Registration = { ...fresh(), stage };
        const command = HAPPY.find((c) => c.kind === kind) ?? { kind: 'abandon', reason: 'x' };
        const step = apply(r, command, r.version, WHO, 'd');
        expect(step, `${kind} at ${stage}`).toMatchObject({
          ok: false,
          refusal: { code: 'WRONG_STAGE', stage, expected: { stages: ALLOWED[kind] } },
        });
      }
    // Nothing is allowed after queued, refused or abandoned.
    for (const stage of ['queued', 'refused', 'abandoned'] as const)
      expect(Object.values(ALLOWED).some((stages) => stages.includes(stage))).toBe(false);
  });

  it('answers a replay with its first outcome and a different request at an old version with a conflict', () => {
    const r1 = run(HAPPY.slice(0, 1));
    const first = apply(r1, { kind: 'card-read', card: GENUINE }, 1, WHO, 'read-once');
    if (!first.ok) throw new Error(first.refusal.code);
    const again = apply(first.registration, { kind: 'card-read', card: GENUINE }, 1, WHO, 'read-once');
    expect(again).toMatchObject({ ok: true, replayed: true, outcome: first.outcome });
    if (!again.ok) return;
    expect(again.registration).toBe(first.registration);
    const other = apply(first.registration, { kind: 'abandon', reason: 'x' }, 1, WHO, 'something-else');
    expect(other).toMatchObject({
      ok: false,
      refusal: { code: 'VERSION_CONFLICT', expected: { version: 2 } },
    });
  });

  it('refuses a card that is not genuine, not in date, nameless or without a portrait, data integrity first', () => {
    const cases: [Partial<CardFacts>, string][] = [
      [
        { passiveAuthentication: 'data-group-altered', chipVerdict: 'clone-suspected' },
        'EID_CARD_NOT_GENUINE',
      ],
      [{ passiveAuthentication: 'unknown-issuer' }, 'EID_CARD_NOT_GENUINE'],
      [{ chipVerdict: 'clone-suspected' }, 'EID_CHIP_NOT_GENUINE'],
      [{ chipVerdict: 'not-supported' }, 'EID_CHIP_NOT_GENUINE'],
      [{ validity: { kind: 'expired', valid: false, today: '2026-12-07' } }, 'EID_CARD_EXPIRED'],
      [{ validity: { kind: 'unknown', valid: null, today: '2026-12-07' } }, 'EID_CARD_EXPIRED'],
      [{ holder: GENUINE.holder && { ...GENUINE.holder, id12: undefined } }, 'EID_CARD_NO_IDENTITY'],
      [{ portrait: false }, 'EID_NO_CHIP_PORTRAIT'],
      [
        { central: { checked: true, status: 'reported-lost', since: '2026-01-02' } },
        'EID_CARD_NOT_VALID_AT_CENTRAL',
      ],
      [{ central: { checked: true, status: 'revoked', since: null } }, 'EID_CARD_NOT_VALID_AT_CENTRAL'],
      [{ central: { checked: true, status: 'replaced', since: null } }, 'EID_CARD_NOT_VALID_AT_CENTRAL'],
    ];
    expect(cardRefusal(GENUINE)).toBeUndefined();
    // Valid at central, or central out of reach (it checks the application when it arrives): no refusal.
    expect(
      cardRefusal({ ...GENUINE, central: { checked: true, status: 'valid', since: null } }),
    ).toBeUndefined();
    expect(cardRefusal({ ...GENUINE, central: { checked: false, reason: 'offline' } })).toBeUndefined();
    for (const [change, code] of cases) {
      const card = { ...GENUINE, ...change };
      expect(cardRefusal(card)?.code, JSON.stringify(change)).toBe(code);
      const r = run([
        { kind: 'card-key', from: 'qr' },
        { kind: 'card-read', card },
      ]);
      expect(r.stage).toBe('refused');
      expect(r.refused?.code).toBe(code);
      expect(r.refused?.message.vi.length).toBeGreaterThan(10);
    }
  });

  it('refuses the registration when the live face is another person', () => {
    const r = fresh();
    const read = run(HAPPY.slice(0, 2), r);
    const step = apply(
      read,
      { kind: 'face', face: { ...SAME, decision: 'different', distance: 0.8 } },
      2,
      WHO,
      'f',
    );
    expect(step).toMatchObject({
      ok: true,
      outcome: { stage: 'refused', refusal: { code: 'EID_FACE_MISMATCH' } },
    });
  });

  it('lets the card key be given again until a card is read, and the contact corrected until signed', () => {
    const r = run([
      { kind: 'card-key', from: 'numbers' },
      { kind: 'card-key', from: 'can' },
      { kind: 'card-read', card: GENUINE },
      { kind: 'face', face: SAME },
      { kind: 'contact', contact: CONTACT },
      { kind: 'contact', contact: { ...CONTACT, phone: '0387654321' } },
    ]);
    expect(r).toMatchObject({ keyFrom: 'can', stage: 'contact', contact: { phone: '0387654321' } });
  });
});

describe('contact rules', () => {
  it('normalises Vietnamese mobile numbers to 10 digits and refuses landlines and wrong lengths', () => {
    const good: [string, string][] = [
      ['0912345678', '0912345678'],
      ['+84 912 345 678', '0912345678'],
      ['84912345678', '0912345678'],
      ['0084-38-765-4321', '0387654321'],
      ['(070) 123.4567', '0701234567'],
      ['０９１２３４５６７８', '0912345678'],
      ['0581234567', '0581234567'],
      ['0861234567', '0861234567'],
    ];
    for (const [input, expected] of good)
      expect(normaliseMobile(input), input).toEqual({ ok: true, value: expected });
    for (const input of [
      '0212345678',
      '02438251234',
      '091234567',
      '09123456789',
      '1912345678',
      '09l2345678',
      '',
      '+1 912 345 678',
    ])
      expect(normaliseMobile(input), input).toMatchObject({ ok: false, code: 'PHONE_INVALID' });
    const landline = normaliseMobile('024 3825 1234');
    expect(landline.ok === false && landline.message.vi).toContain('số cố định');
  });

  it('checks e-mail addresses and lower-cases their domain', () => {
    expect(normaliseEmail('  An.Nguyen@Example.VN ')).toEqual({ ok: true, value: 'An.Nguyen@example.vn' });
    expect(normaliseEmail("o'brien+eid@mail.gov.vn")).toEqual({ ok: true, value: "o'brien+eid@mail.gov.vn" });
    for (const input of [
      'an@@example.vn',
      'an@example',
      '@example.vn',
      'an.@example.vn',
      'a..n@example.vn',
      'an@-example.vn',
      'an@example.v',
      'an@example.123',
      'an nguyen@example.vn',
      `${'a'.repeat(65)}@example.vn`,
      `an@${'b'.repeat(250)}.vn`,
    ])
      expect(normaliseEmail(input), input).toMatchObject({ ok: false, code: 'EMAIL_INVALID' });
    const accented = normaliseEmail('nguyễn@example.vn');
    expect(accented.ok === false && accented.message.en).toContain('ASCII');
  });
});
