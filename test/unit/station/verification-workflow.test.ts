/**
 * The verification session's rules without devices: the verdict's precedence (each rule, and the
 * order when several apply), the state machine (order, versions, replays, a failed step changing
 * nothing, concurrent duplicates acting once), with a counting fake for the work.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SessionStore,
  STEP_FROM,
  type StepName,
  VerificationError,
} from '../../../station/workflows/verification/session.ts';
import {
  decideVerdict,
  VERDICT_MESSAGES,
  VERDICT_PRECEDENCE,
  type VerdictInput,
} from '../../../station/workflows/verification/verdict.ts';

const GOOD: VerdictInput = {
  passiveAuthentication: 'valid',
  chip: 'genuine-chip',
  validity: 'in-date',
  status: { checked: true, status: 'valid' },
  face: { checked: true, decision: 'same' },
  finger: { checked: false },
};

describe('decideVerdict', () => {
  it('says genuine-holder-present only when every check passed', () => {
    expect(decideVerdict(GOOD)).toEqual({
      code: 'genuine-holder-present',
      message: VERDICT_MESSAGES['genuine-holder-present'],
      findings: [{ code: 'genuine-holder-present', message: VERDICT_MESSAGES['genuine-holder-present'] }],
    });
    // A finger match alone is a person check too.
    expect(
      decideVerdict({ ...GOOD, face: { checked: false }, finger: { checked: true, decision: 'match' } }).code,
    ).toBe('genuine-holder-present');
  });

  it.each([
    [{ passiveAuthentication: 'data-group-altered' }, 'data-altered'],
    [{ passiveAuthentication: 'signature-invalid' }, 'data-altered'],
    [{ chip: 'clone-suspected' }, 'cloned-chip'],
    [{ passiveAuthentication: 'unknown-issuer', chip: 'not-proven' }, 'unknown-issuer'],
    [{ status: { checked: true, status: 'reported-lost' } }, 'reported-lost'],
    [{ status: { checked: true, status: 'revoked' } }, 'card-revoked'],
    [{ status: { checked: true, status: 'replaced' } }, 'card-replaced'],
    [{ validity: 'expired' }, 'expired'],
    [{ face: { checked: true, decision: 'different' } }, 'person-does-not-match'],
    [
      { face: { checked: true, decision: 'same' }, finger: { checked: true, decision: 'no-match' } },
      'person-does-not-match',
    ],
    [{ passiveAuthentication: 'not-checked', chip: 'not-proven' }, 'chip-not-checked'],
    [{ status: { checked: false } }, 'status-not-checked'],
    [{ face: { checked: false } }, 'person-not-checked'],
    [
      { face: { checked: true, decision: 'same' }, finger: { checked: true, decision: 'cannot-compare' } },
      'genuine-holder-present',
    ],
  ] as const)('%j gives %s', (change, code) => {
    expect(decideVerdict({ ...GOOD, ...(change as Partial<VerdictInput>) }).code).toBe(code);
  });

  it('puts the chip before the card status, definite refusals before "not checked", and lists every finding in order', () => {
    const v = decideVerdict({
      passiveAuthentication: 'data-group-altered',
      chip: 'clone-suspected',
      validity: 'expired',
      status: { checked: true, status: 'reported-lost' },
      face: { checked: true, decision: 'different' },
      finger: { checked: false },
    });
    expect(v.findings.map((f) => f.code)).toEqual([
      'data-altered',
      'cloned-chip',
      'reported-lost',
      'expired',
      'person-does-not-match',
    ]);
    const offline = decideVerdict({
      ...GOOD,
      status: { checked: false },
      face: { checked: true, decision: 'different' },
    });
    expect(offline.findings.map((f) => f.code)).toEqual(['person-does-not-match', 'status-not-checked']);
  });

  it('never answers genuine beside another finding, and the verdict is always the first finding by precedence', () => {
    const input = fc.record({
      passiveAuthentication: fc.constantFrom(
        'valid',
        'data-group-altered',
        'signature-invalid',
        'unknown-issuer',
        'revoked',
        'certificate-expired',
        'not-checked',
      ),
      chip: fc.constantFrom('genuine-chip', 'clone-suspected', 'not-proven', 'not-supported'),
      validity: fc.constantFrom('in-date', 'no-expiry', 'expired', 'unknown') as fc.Arbitrary<
        VerdictInput['validity']
      >,
      status: fc.oneof(
        fc.constant({ checked: false as const }),
        fc.record({
          checked: fc.constant(true as const),
          status: fc.constantFrom('valid', 'reported-lost', 'replaced', 'revoked') as fc.Arbitrary<'valid'>,
        }),
      ),
      face: fc.oneof(
        fc.constant({ checked: false as const }),
        fc.record({
          checked: fc.constant(true as const),
          decision: fc.constantFrom('same', 'different') as fc.Arbitrary<'same'>,
        }),
      ),
      finger: fc.oneof(
        fc.constant({ checked: false as const }),
        fc.record({
          checked: fc.constant(true as const),
          decision: fc.constantFrom('match', 'no-match', 'cannot-compare') as fc.Arbitrary<'match'>,
        }),
      ),
    });
    fc.assert(
      fc.property(input, (i) => {
        const v = decideVerdict(i);
        const codes = v.findings.map((f) => f.code);
        expect(codes[0]).toBe(v.code);
        expect(
          [...codes].sort((a, b) => VERDICT_PRECEDENCE.indexOf(a) - VERDICT_PRECEDENCE.indexOf(b)),
        ).toEqual(codes);
        if (codes.includes('genuine-holder-present')) expect(codes).toEqual(['genuine-holder-present']);
        if (i.status.checked === false) expect(codes).toContain('status-not-checked');
      }),
      { seed: 21, numRuns: 300 },
    );
  });
});

function store() {
  const t = 0;
  let n = 0;
  return new SessionStore<{ count: number }>({
    newId: () => `s${++n}`,
    clock: { now: () => 1_700_000_000_000 + t, monotonic: () => t },
    initial: () => ({ count: 0 }),
    maxSessions: 2,
  });
}

const bump =
  (result: unknown = 'ok') =>
  async (r: { data: { count: number } }) => ({
    result,
    data: { count: r.data.count + 1 },
  });

describe('SessionStore', () => {
  it('runs the steps in order and refuses one out of order with the state it is in and the step it expects', async () => {
    const s = store();
    const { id } = s.create();
    await expect(s.run(id, 'status', 0, bump())).rejects.toMatchObject({
      code: 'VERIFICATION_OUT_OF_ORDER',
      statusCode: 409,
      details: { state: 'started', expected: 'card-key' },
    });
    const steps: StepName[] = [
      'card-key',
      'card-key',
      'card-read',
      'status',
      'face',
      'finger',
      'verdict',
      'report',
    ];
    let version = 0;
    for (const step of steps) {
      const answer = await s.run(id, step, version, bump(step));
      expect(answer).toMatchObject({ step, replayed: false, version: version + 1, result: step });
      version = answer.version;
    }
    expect(s.get(id)).toMatchObject({ state: 'reported', version: 8, data: { count: 8 } });
    await expect(s.run(id, 'card-key', 8, bump())).rejects.toMatchObject({
      code: 'VERIFICATION_OUT_OF_ORDER',
      details: { state: 'reported', expected: null },
    });
    expect(STEP_FROM['card-read']).toEqual(['card-key']);
  });

  it('answers a replay from memory, refuses stale versions, and a failed step changes nothing', async () => {
    const s = store();
    const { id } = s.create();
    await s.run(id, 'card-key', 0, bump('first'));
    const again = await s.run(id, 'card-key', 0, bump('second'));
    expect(again).toMatchObject({ replayed: true, result: 'first', version: 1 });
    expect(s.get(id).data.count).toBe(1);
    await expect(s.run(id, 'card-read', 0, bump())).rejects.toMatchObject({
      code: 'VERIFICATION_VERSION_CONFLICT',
      details: { version: 1 },
    });
    const failing = async () => {
      throw new VerificationError('CARD_ABSENT', 409, { vi: 'Không có thẻ.', en: 'No card.' });
    };
    await expect(s.run(id, 'card-read', 1, failing)).rejects.toMatchObject({ code: 'CARD_ABSENT' });
    expect(s.get(id)).toMatchObject({ state: 'card-key', version: 1, data: { count: 1 } });
    expect((await s.run(id, 'card-read', 1, bump())).replayed).toBe(false);
  });

  it('two identical requests at once act once; a different step meanwhile is told the session is busy', async () => {
    const s = store();
    const { id } = s.create();
    let release: () => void = () => undefined;
    let calls = 0;
    const slow = async (r: { data: { count: number } }) => {
      calls++;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { result: 'read', data: { count: r.data.count + 1 } };
    };
    const a = s.run(id, 'card-key', 0, slow);
    const b = s.run(id, 'card-key', 0, slow);
    await expect(s.run(id, 'card-read', 0, bump())).rejects.toMatchObject({ code: 'VERIFICATION_BUSY' });
    release();
    const [x, y] = await Promise.all([a, b]);
    expect(calls).toBe(1);
    expect([x.replayed, y.replayed]).toEqual([false, true]);
    expect(y.result).toBe(x.result);
  });

  it('keeps a bounded number of sessions, dropping the oldest idle one; an unknown id is NOT_FOUND', () => {
    const s = store();
    const first = s.create();
    s.create();
    s.create();
    expect(() => s.get(first.id)).toThrow(
      expect.objectContaining({ code: 'VERIFICATION_NOT_FOUND', statusCode: 404 }),
    );
  });
});
