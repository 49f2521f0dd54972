/**
 * The chip verdict (protocol/icao9303/chip-verdict.ts): Chip Authentication and Active
 * Authentication prove a genuine chip only with a key Passive Authentication vouches for (hash
 * match, valid SOD signature, a trusted CSCA); any failure means a suspected clone.
 */
import { describe, expect, it } from 'vitest';
import {
  CHIP_VERDICT_MESSAGES,
  type ChipProtocolStatus,
  type ChipVerdictKind,
  chipVerdict,
  vouchedByPassiveAuthentication,
} from '../../../protocol/icao9303/chip-verdict.ts';
import type { DataGroupStatus, PaReport } from '../../../protocol/icao9303/pa.ts';

type Status = ChipProtocolStatus['status'];

const CSCA = {
  subject: 'C=VN, O=Bo Cong an, CN=CSCA Viet Nam',
  issuer: 'C=VN, O=Bo Cong an, CN=CSCA Viet Nam',
  serialNumber: '01',
  notBefore: Date.UTC(2024, 0, 1),
  notAfter: Date.UTC(2038, 0, 1),
};

/**
 * A PA report with only what the verdict reads: the data group checks, the signature and the CSCA.
 * Defaults: DG14 and DG15 match, the signature is valid, the CSCA was found.
 */
function pa(
  options: {
    dg14?: DataGroupStatus | 'absent';
    dg15?: DataGroupStatus | 'absent';
    signature?: PaReport['signature'];
    csca?: boolean;
  } = {},
): PaReport {
  const dataGroups = [
    { dataGroup: 1, status: 'match' as const },
    ...(options.dg14 === 'absent' ? [] : [{ dataGroup: 14, status: options.dg14 ?? 'match' }]),
    ...(options.dg15 === 'absent' ? [] : [{ dataGroup: 15, status: options.dg15 ?? 'match' }]),
  ];
  return {
    verdict: { kind: 'valid' },
    findings: [{ kind: 'valid' }],
    dataGroups,
    signature: options.signature ?? 'valid',
    ...(options.csca === false ? {} : { csca: CSCA }),
    revocation: 'not-configured',
    trustStoreSkipped: 0,
  };
}

function verdict(ca: Status, aa: Status, report: PaReport = pa()) {
  return chipVerdict({
    chipAuthentication: { status: ca },
    activeAuthentication: { status: aa },
    passiveAuthentication: report,
  });
}

describe('vouchedByPassiveAuthentication', () => {
  it('needs the data group’s hash to match, a valid signature and a CSCA', () => {
    expect(vouchedByPassiveAuthentication(pa(), 14)).toBe(true);
    expect(vouchedByPassiveAuthentication(pa(), 15)).toBe(true);
    expect(vouchedByPassiveAuthentication(pa({ dg14: 'mismatch' }), 14)).toBe(false);
    expect(vouchedByPassiveAuthentication(pa({ dg14: 'mismatch' }), 15)).toBe(true);
    expect(vouchedByPassiveAuthentication(pa({ signature: 'invalid' }), 14)).toBe(false);
    expect(vouchedByPassiveAuthentication(pa({ signature: 'not-checked' }), 14)).toBe(false);
    expect(vouchedByPassiveAuthentication(pa({ csca: false }), 14)).toBe(false);
  });

  it.each<DataGroupStatus | 'absent'>(['mismatch', 'not-read', 'not-in-sod', 'not-checked', 'absent'])(
    'not for a data group whose check is %s',
    (status) => {
      expect(vouchedByPassiveAuthentication(pa({ dg15: status }), 15)).toBe(false);
    },
  );
});

describe('chipVerdict', () => {
  describe('any failure: clone-suspected', () => {
    it('CA failed, even though AA passed with a trusted key', () => {
      expect(verdict('failed', 'passed')).toEqual({
        kind: 'clone-suspected',
        by: ['chip-authentication'],
        keysTrusted: { dg14: true, dg15: true },
      });
    });

    it('AA failed, even though CA passed with a trusted key', () => {
      expect(verdict('passed', 'failed')).toMatchObject({
        kind: 'clone-suspected',
        by: ['active-authentication'],
      });
    });

    it('both failed: both listed, CA first', () => {
      expect(verdict('failed', 'failed')).toMatchObject({
        kind: 'clone-suspected',
        by: ['chip-authentication', 'active-authentication'],
      });
    });

    it('a failure counts even when PA does not vouch for the key', () => {
      expect(
        verdict('failed', 'not-offered', pa({ dg14: 'mismatch', signature: 'invalid', csca: false })),
      ).toEqual({
        kind: 'clone-suspected',
        by: ['chip-authentication'],
        keysTrusted: { dg14: false, dg15: false },
      });
    });

    it.each<Status>(['not-offered', 'not-checked'])('AA failed with CA %s', (ca) => {
      expect(verdict(ca, 'failed')).toMatchObject({ kind: 'clone-suspected', by: ['active-authentication'] });
    });
  });

  describe('passed with a key PA vouches for: genuine-chip', () => {
    it('CA alone', () => {
      expect(verdict('passed', 'not-offered')).toEqual({
        kind: 'genuine-chip',
        by: ['chip-authentication'],
        keysTrusted: { dg14: true, dg15: true },
      });
    });

    it('AA alone (a card without DG14)', () => {
      expect(verdict('not-offered', 'passed', pa({ dg14: 'absent' }))).toEqual({
        kind: 'genuine-chip',
        by: ['active-authentication'],
        keysTrusted: { dg14: false, dg15: true },
      });
    });

    it('both: both listed', () => {
      expect(verdict('passed', 'passed').by).toEqual(['chip-authentication', 'active-authentication']);
    });

    it('CA with a trusted DG14 and AA with an altered DG15: genuine by CA only', () => {
      expect(verdict('passed', 'passed', pa({ dg15: 'mismatch' }))).toEqual({
        kind: 'genuine-chip',
        by: ['chip-authentication'],
        keysTrusted: { dg14: true, dg15: false },
      });
    });

    it('AA with a trusted DG15 and CA with an unsigned DG14: genuine by AA only', () => {
      expect(verdict('passed', 'passed', pa({ dg14: 'not-in-sod' }))).toMatchObject({
        kind: 'genuine-chip',
        by: ['active-authentication'],
      });
    });
  });

  describe('passed with a key PA does not vouch for: not-proven', () => {
    it.each<[string, PaReport, { dg14: boolean; dg15: boolean }]>([
      ['DG14’s hash does not match', pa({ dg14: 'mismatch' }), { dg14: false, dg15: true }],
      ['DG14 is not in the SOD', pa({ dg14: 'not-in-sod' }), { dg14: false, dg15: true }],
      ['DG14 was not checked', pa({ dg14: 'not-checked' }), { dg14: false, dg15: true }],
      ['the SOD signature is invalid', pa({ signature: 'invalid' }), { dg14: false, dg15: false }],
      ['the SOD signature was not checked', pa({ signature: 'not-checked' }), { dg14: false, dg15: false }],
      ['no trusted CSCA', pa({ csca: false }), { dg14: false, dg15: false }],
    ])('CA passed, but %s', (_label, report, keysTrusted) => {
      expect(verdict('passed', 'not-offered', report)).toEqual({
        kind: 'not-proven',
        by: ['chip-authentication'],
        keysTrusted,
      });
    });

    it('AA passed, but DG15’s hash does not match', () => {
      expect(verdict('not-checked', 'passed', pa({ dg15: 'mismatch' }))).toEqual({
        kind: 'not-proven',
        by: ['active-authentication'],
        keysTrusted: { dg14: true, dg15: false },
      });
    });

    it('both passed, neither key vouched for: both listed', () => {
      expect(verdict('passed', 'passed', pa({ signature: 'invalid' }))).toMatchObject({
        kind: 'not-proven',
        by: ['chip-authentication', 'active-authentication'],
      });
    });
  });

  describe('neither passed nor failed: not-supported', () => {
    it.each<[Status, Status]>([
      ['not-offered', 'not-offered'],
      ['not-checked', 'not-offered'],
      ['not-offered', 'not-checked'],
      ['not-checked', 'not-checked'],
    ])('CA %s, AA %s', (ca, aa) => {
      expect(verdict(ca, aa)).toEqual({
        kind: 'not-supported',
        by: [],
        keysTrusted: { dg14: true, dg15: true },
      });
    });

    it('even with a PA report that vouches for nothing', () => {
      expect(verdict('not-offered', 'not-offered', pa({ signature: 'invalid' })).kind).toBe('not-supported');
    });
  });
});

describe('CHIP_VERDICT_MESSAGES', () => {
  const kinds: ChipVerdictKind[] = ['genuine-chip', 'clone-suspected', 'not-proven', 'not-supported'];

  it('has exactly one message per verdict', () => {
    expect(Object.keys(CHIP_VERDICT_MESSAGES).sort()).toEqual([...kinds].sort());
  });

  it.each(kinds)('%s: Vietnamese and English, both non-empty and different', (kind) => {
    const { vi, en } = CHIP_VERDICT_MESSAGES[kind];
    expect(vi.trim().length).toBeGreaterThan(10);
    expect(en.trim().length).toBeGreaterThan(10);
    expect(vi).not.toBe(en);
    // Vietnamese text carries Vietnamese letters (đ, ơ, ư, tone marks); English does not.
    expect(vi).toMatch(/[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]/i);
    expect(en).toMatch(/^[\x20-\x7e’]+$/);
  });

  it('every verdict a run can produce has a message', () => {
    const produced = new Set<ChipVerdictKind>();
    const statuses: Status[] = ['passed', 'failed', 'not-offered', 'not-checked'];
    for (const ca of statuses)
      for (const aa of statuses)
        for (const report of [pa(), pa({ signature: 'invalid' })]) produced.add(verdict(ca, aa, report).kind);
    expect([...produced].sort()).toEqual([...kinds].sort());
    for (const kind of produced) expect(CHIP_VERDICT_MESSAGES[kind].vi).toBeTruthy();
  });
});
