/**
 * The report file is untrusted input to `station report verify`: decodeReport and the chip-check
 * redo give a typed answer for any bytes or any mangled evidence, never a foreign exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redoChipChecks } from '../../../station/reports/redo.ts';
import {
  decodeReport,
  encodeReport,
  MAX_REPORT_BYTES,
  REPORT_NOTICE,
  type VerificationReport,
} from '../../../station/reports/verification-report.ts';

const MINIMAL: VerificationReport = {
  schema: 'cccd-verification-report',
  version: 1,
  reportId: '00000000-0000-4000-8000-000000000000',
  sessionId: '00000000-0000-4000-8000-000000000001',
  stationId: 'st',
  environment: 'test',
  createdAt: '2026-12-07T00:00:00.000Z',
  officer: { id: 'o1', authenticated: true, signingMethod: 'password' },
  verdict: { code: 'genuine-holder-present', message: { vi: 'v', en: 'e' }, findings: [], precedence: [] },
  card: {
    accessMethod: 'PACE-CAN',
    holder: null,
    validity: { kind: 'in-date', valid: true, dateOfExpiry: null, today: '2026-12-07' },
  },
  chip: {
    passiveAuthentication: { verdict: 'valid', dataGroups: [], documentSigner: null, csca: null },
    chipAuthentication: { status: 'passed' },
    activeAuthentication: { status: 'passed' },
    verdict: 'genuine-chip',
  },
  status: { checked: true, status: 'valid', since: null, asOf: null },
  face: { checked: false, claim: 'station' },
  finger: { checked: false, claim: 'station' },
  evidence: {
    sod: '',
    documentSigner: null,
    hashAlgorithm: null,
    dataGroupHashes: {},
    dataGroups: {},
    activeAuthentication: null,
  },
  notice: REPORT_NOTICE,
};

describe('decodeReport', () => {
  it('reads what encodeReport wrote, and names what is wrong otherwise', () => {
    expect(decodeReport(encodeReport(MINIMAL))).toEqual({ ok: true, report: MINIMAL });
    const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(decodeReport(text({ ...MINIMAL, version: 2 }))).toEqual({
      ok: false,
      problem: 'version 2 is not 1',
    });
    expect(decodeReport(text({ ...MINIMAL, schema: 'x' }))).toMatchObject({ ok: false });
    expect(decodeReport(Uint8Array.of(0xff, 0xfe))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('not UTF-8 JSON'),
    });
    expect(decodeReport(new Uint8Array(MAX_REPORT_BYTES + 1))).toMatchObject({ ok: false });
  });

  it('answers a result for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const r = decodeReport(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('redoChipChecks', () => {
  it('fails, not throws, on mangled evidence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          sod: fc.base64String({ maxLength: 200 }),
          dataGroups: fc.dictionary(
            fc.constantFrom('1', '14', '15', '99', 'x'),
            fc.base64String({ maxLength: 80 }),
          ),
          dataGroupHashes: fc.dictionary(fc.constantFrom('2', '3'), fc.string({ maxLength: 64 })),
        }),
        async (evidence) => {
          const report = { ...MINIMAL, evidence: { ...MINIMAL.evidence, ...evidence } };
          const checks = await redoChipChecks(
            report,
            { cscaCertificates: [] },
            Date.parse(MINIMAL.createdAt),
          );
          expect(checks.length).toBeGreaterThan(0);
          expect(checks.some((c) => c.outcome === 'failed')).toBe(true);
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });
});
