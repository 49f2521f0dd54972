import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkAgainstPrevious,
  checkEnrollmentSet,
  checkRecapture,
  SET_FINDING_MESSAGES,
  type SetComparer,
  type SetFinger,
} from '../../../protocol/fingerprint/set-checks.ts';

// Templates here are the finger actually placed (person:position); the comparer says whether two
// placements are the same finger, as a perfect matcher would. The rules, not a matcher, are on test.
const perfect: SetComparer<string> = { compare: (a, b) => (a === b ? 90 : 5), matched: (s) => s >= 40 };
const tenPrint = (shown: Partial<Record<number, string>> = {}): SetFinger<string>[] =>
  Array.from({ length: 10 }, (_, i) => ({ position: i + 1, template: shown[i + 1] ?? `p:${i + 1}` }));
const codes = (r: { findings: readonly { code: string }[] }) => r.findings.map((f) => f.code);

describe('checks on a ten-print set', () => {
  it('compares every finger with every other and finds nothing on a clean set', () => {
    const r = checkEnrollmentSet(tenPrint(), perfect);
    expect(r.comparisons).toHaveLength(45);
    expect(new Set(r.comparisons.map((c) => `${c.a}-${c.b}`)).size).toBe(45);
    expect(r.findings).toEqual([]);
  });

  it('finds the right hand presented again for the left slap (mirrored order on the glass)', () => {
    // The left slap's slots read 10, 9, 8, 7 from the left; the right hand there shows 2, 3, 4, 5.
    const r = checkEnrollmentSet(tenPrint({ 10: 'p:2', 9: 'p:3', 8: 'p:4', 7: 'p:5' }), perfect);
    expect(codes(r)).toEqual(['SAME_HAND_TWICE']);
    expect(r.findings[0]?.positions).toEqual([2, 3, 4, 5, 7, 8, 9, 10]);
    expect(r.findings[0]?.evidence).toHaveLength(4);
    expect(r.findings[0]?.message).toBe(SET_FINDING_MESSAGES.SAME_HAND_TWICE);
  });

  it('needs two matching fingers across the slaps: one chance match raises nothing', () => {
    expect(codes(checkEnrollmentSet(tenPrint({ 8: 'p:3' }), perfect))).toEqual([]);
    expect(codes(checkEnrollmentSet(tenPrint({ 8: 'p:3', 9: 'p:4' }), perfect))).toEqual(['SAME_HAND_TWICE']);
    // Two matches on one finger (a finger matching two others) is still one finger: not enough.
    const oneFinger = tenPrint({ 8: 'p:3', 9: 'p:3' });
    expect(codes(checkEnrollmentSet(oneFinger, perfect))).toEqual(['FINGER_TWICE']);
  });

  it('finds a thumb placed twice, and a finger repeated within a slap', () => {
    expect(codes(checkEnrollmentSet(tenPrint({ 6: 'p:1' }), perfect))).toEqual(['THUMB_TWICE']);
    const r = checkEnrollmentSet(tenPrint({ 4: 'p:3' }), perfect);
    expect(codes(r)).toEqual(['FINGER_TWICE']);
    expect(r.findings[0]?.positions).toEqual([3, 4]);
  });

  it('reads swapped and wrong hands from the slap geometry, which comparison cannot see', () => {
    const swapped = checkEnrollmentSet(tenPrint(), perfect, {
      left: { handSeen: 'right' },
      right: { handSeen: 'left' },
    });
    expect(codes(swapped)).toEqual(['HANDS_SWAPPED']);
    expect(codes(checkEnrollmentSet(tenPrint(), perfect, { left: { handSeen: 'right' } }))).toEqual([
      'WRONG_HAND',
    ]);
    expect(
      checkEnrollmentSet(tenPrint(), perfect, { right: { handSeen: 'left' } }).findings[0]?.positions,
    ).toEqual([2, 3, 4, 5]);
    // The same hand twice also looks like a wrong hand on the left slap: said once, as what it is.
    const same = checkEnrollmentSet(tenPrint({ 10: 'p:2', 9: 'p:3', 8: 'p:4', 7: 'p:5' }), perfect, {
      left: { handSeen: 'right' },
    });
    expect(codes(same)).toEqual(['SAME_HAND_TWICE']);
  });

  it('leaves out fingers that cannot be compared, and refuses positions outside 1-10 or repeated', () => {
    const set = tenPrint().map((f) => (f.position === 4 ? { ...f, template: null } : f));
    expect(checkEnrollmentSet(set, perfect).comparisons).toHaveLength(36);
    expect(() => checkEnrollmentSet([{ position: 11, template: 'x' }], perfect)).toThrow(RangeError);
    expect(() =>
      checkEnrollmentSet(
        [
          { position: 2, template: 'x' },
          { position: 2, template: 'y' },
        ],
        perfect,
      ),
    ).toThrow(RangeError);
  });

  it('never finds a comparison problem when every finger is a different finger (any set, any order)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), (positions) => {
        const r = checkEnrollmentSet(
          positions.map((p) => ({ position: p, template: `p:${p}` })),
          perfect,
        );
        return (
          r.findings.length === 0 && r.comparisons.length === (positions.length * (positions.length - 1)) / 2
        );
      }),
    );
  });
});

describe('recapture and renewal checks', () => {
  it('flags a retry that is another finger, not one that is the same', () => {
    expect(checkRecapture(2, 'p:2', 'p:2', perfect)).toBeNull();
    expect(checkRecapture(2, 'p:2', 'p:3', perfect)).toMatchObject({
      code: 'RECAPTURE_OTHER_FINGER',
      positions: [2],
    });
    expect(checkRecapture(2, null, 'p:3', perfect)).toBeNull();
  });

  it('against the old card: swapped hands, no match, and all well', () => {
    const old: SetFinger<string>[] = [
      { position: 2, template: 'p:2' },
      { position: 7, template: 'p:7' },
    ];
    expect(checkAgainstPrevious(tenPrint(), old, perfect)).toBeNull();
    const swapped = tenPrint({ 2: 'p:7', 7: 'p:2' });
    expect(checkAgainstPrevious(swapped, old, perfect)).toMatchObject({
      code: 'RENEWAL_HANDS_SWAPPED',
      positions: [2, 7],
    });
    const stranger = Array.from({ length: 10 }, (_, i) => ({ position: i + 1, template: `q:${i + 1}` }));
    expect(checkAgainstPrevious(stranger, old, perfect)).toMatchObject({ code: 'RENEWAL_NO_MATCH' });
    expect(checkAgainstPrevious(tenPrint(), [{ position: 2, template: null }], perfect)).toBeNull();
  });

  it('has a Vietnamese and an English message for every finding', () => {
    for (const m of Object.values(SET_FINDING_MESSAGES)) {
      expect(m.vi.length).toBeGreaterThan(10);
      expect(m.en.length).toBeGreaterThan(10);
      expect(m.vi.normalize('NFC')).toBe(m.vi);
    }
  });
});
