/**
 * The enrollment packet's manifest (issue 17): schema violations list every failing field with its
 * path; the age rules of the Law on Identity 2023 on the capture date (6 years, and a legal
 * representative from 6 to 13), including 29 February birthdays; Vietnamese text must be NFC.
 */
import { describe, expect, it } from 'vitest';
import {
  ageInYears,
  decodeManifest,
  encodeManifest,
  type PacketManifest,
  parseCalendarDate,
  validateManifest,
  vietnamDateOf,
} from '../../../protocol/packet/manifest.ts';
import { sampleEnrollment, VIETNAMESE_LOWER, VIETNAMESE_UPPER } from '../../support/packet-keys.ts';

function withBirth(birthDate: string, capturedAt: string, withRepresentative = false): PacketManifest {
  return sampleEnrollment({ birthDate, capturedAt, withRepresentative }).manifest;
}

function problemsOf(manifest: unknown) {
  const result = validateManifest(manifest);
  return result.ok ? [] : result.problems;
}

describe('manifest age rules on the capture date (Vietnam time)', () => {
  it.each([
    // birth, capture (ICT), representative given, expected problem paths
    ['2020-03-15', '2026-03-14T10:00:00+07:00', true, ['/applicant/birthDate']], // 5 y 364 d
    ['2020-03-15', '2026-03-15T10:00:00+07:00', true, []], // 6 y 0 d
    ['2020-03-15', '2026-03-15T10:00:00+07:00', false, ['/applicant/legalRepresentative']], // 6, none
    ['2012-03-15', '2026-03-14T10:00:00+07:00', false, ['/applicant/legalRepresentative']], // 13 y 364 d
    ['2012-03-15', '2026-03-15T10:00:00+07:00', false, []], // 14 y 0 d
    // 29 February: the anniversary in a common year is 28 February.
    ['2020-02-29', '2026-02-27T10:00:00+07:00', true, ['/applicant/birthDate']], // 5 y, day before
    ['2020-02-29', '2026-02-28T10:00:00+07:00', true, []], // 6 on 28 Feb of a common year
    ['2012-02-29', '2026-02-27T10:00:00+07:00', false, ['/applicant/legalRepresentative']], // 13
    ['2012-02-29', '2026-02-28T10:00:00+07:00', false, []], // 14
    ['2020-02-29', '2028-02-28T10:00:00+07:00', false, ['/applicant/legalRepresentative']], // 7 (leap: 29th)
    // UTC 17:30 on the 14th is already the 15th in Vietnam: 6 years 0 days there.
    ['2020-03-15', '2026-03-14T17:30:00Z', true, []],
    ['2020-03-15', '2026-03-14T16:59:59Z', true, ['/applicant/birthDate']],
    // Born after the capture date.
    ['2027-01-01', '2026-03-15T10:00:00+07:00', true, ['/applicant/birthDate']],
  ] as const)('born %s, captured %s, representative %s', (birth, captured, representative, paths) => {
    const problems = problemsOf(withBirth(birth, captured, representative));
    expect(problems.map((p) => p.path)).toEqual(paths);
    for (const p of problems) expect(p.rule).toBe('age');
  });

  it('says that under-6 applications go through the online portal', () => {
    const [problem] = problemsOf(withBirth('2020-03-15', '2026-03-14T10:00:00+07:00', true));
    expect(problem?.message).toMatch(/applicant is 5 .*online portal/);
  });

  it('counts completed years with the 28 February anniversary for 29 February births', () => {
    const birth = parseCalendarDate('2016-02-29');
    if (!birth) throw new Error('bad date');
    expect(ageInYears(birth, { year: 2022, month: 2, day: 27 })).toBe(5);
    expect(ageInYears(birth, { year: 2022, month: 2, day: 28 })).toBe(6);
    expect(ageInYears(birth, { year: 2024, month: 2, day: 28 })).toBe(7);
    expect(ageInYears(birth, { year: 2024, month: 2, day: 29 })).toBe(8);
  });

  it('rejects impossible calendar dates', () => {
    expect(parseCalendarDate('2023-02-29')).toBeUndefined();
    expect(parseCalendarDate('2024-04-31')).toBeUndefined();
    expect(vietnamDateOf('2026-02-30T10:00:00+07:00')).toBeUndefined();
    const problems = problemsOf(withBirth('2019-02-29', '2026-03-15T10:00:00+07:00', true));
    expect(problems).toEqual([
      { path: '/applicant/birthDate', rule: 'date', message: 'is not a calendar date' },
    ]);
  });
});

describe('manifest schema', () => {
  it('accepts the sample and round-trips its bytes with every Vietnamese diacritic', () => {
    const { manifest } = sampleEnrollment();
    expect(validateManifest(manifest).ok).toBe(true);
    const bytes = encodeManifest(manifest);
    const decoded = decodeManifest(bytes);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.manifest).toEqual(manifest);
      expect(decoded.manifest.applicant.fullName).toBe(`NGUYỄN ${VIETNAMESE_UPPER}`);
      expect(decoded.manifest.applicant.placeOfOrigin).toContain(VIETNAMESE_LOWER);
    }
    // UTF-8 as is, not \u escapes.
    expect(new TextDecoder().decode(bytes)).toContain(VIETNAMESE_UPPER);
  });

  it('lists every failing field with its JSON Pointer path', () => {
    const { manifest } = sampleEnrollment();
    const bad = {
      ...manifest,
      packetId: 'not-a-uuid',
      environment: 'staging',
      applicant: { ...manifest.applicant, personalId: '12345', sex: 'x', nationality: undefined },
      capture: {
        ...manifest.capture,
        images: manifest.capture.images.map((image, i) =>
          i === 1 ? { ...image, sha256: 'XYZ', quality: { ...image.quality, score: 101 } } : image,
        ),
      },
      auditChainHead: 'abc',
      extra: 1,
    };
    const paths = problemsOf(JSON.parse(JSON.stringify(bad))).map((p) => p.path);
    expect(paths.sort()).toEqual(
      [
        '/packetId',
        '/environment',
        '/applicant/personalId',
        '/applicant/sex',
        '/applicant/nationality',
        '/capture/images/1/sha256',
        '/capture/images/1/quality/score',
        '/auditChainHead',
        '/extra',
      ].sort(),
    );
  });

  it('refuses text that is not NFC (combining diacritics) at its path', () => {
    const { manifest } = sampleEnrollment();
    const decomposed = 'NGUYỄN THỊ ẢNH'.normalize('NFD');
    expect(decomposed).not.toBe('NGUYỄN THỊ ẢNH');
    const problems = problemsOf({ ...manifest, applicant: { ...manifest.applicant, fullName: decomposed } });
    expect(problems).toEqual([
      { path: '/applicant/fullName', rule: 'nfc', message: 'must be Unicode NFC (precomposed letters)' },
    ]);
  });

  it('requires a quality score for each finger and a position that fits the kind', () => {
    const { manifest } = sampleEnrollment();
    const [first, ...rest] = manifest.capture.images;
    if (!first) throw new Error('no image');
    const { quality: _dropped, ...noQuality } = first;
    const problems = problemsOf({
      ...manifest,
      capture: { ...manifest.capture, images: [{ ...noQuality, position: 13 }, ...rest] },
    });
    expect(problems.map((p) => p.path)).toEqual(['/capture/images/0/position', '/capture/images/0/quality']);
  });

  it('reports bytes that are not UTF-8 JSON as one problem at the root', () => {
    const result = decodeManifest(new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toMatchObject([{ path: '', rule: 'json' }]);
  });
});
