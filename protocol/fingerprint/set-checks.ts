/**
 * Station-side checks on a ten-print enrollment set (issue 20): mistakes that no quality score sees
 * and that would put the wrong fingerprints on a card for ten years.
 *
 * - The same hand presented twice: the left slap shows the right hand's fingers again (or the right
 *   the left's). Seen as matches between the two slaps; at least two of the four fingers must match,
 *   so that one chance match among the 16 cross comparisons raises nothing.
 * - A thumb presented twice: the two thumbs match.
 * - The hands swapped (each hand on the other's slap): every finger is still a different finger, so
 *   comparison cannot see it; the slaps' geometry can (protocol/fingerprint/segment.ts: the little
 *   finger outermost and lowest, the fan), and at a renewal the old card's prints can.
 * - A recapture that is another finger: a retry compared with the earlier attempt of that position.
 *
 * Pure: the comparison is injected (`compare`), so the rules here are the same whichever matcher
 * the station runs; `matched` says what a score means at the configured false-match rate.
 */
import type { FingerPosition } from './segment.ts';

export type SetFindingCode =
  | 'SAME_HAND_TWICE'
  | 'THUMB_TWICE'
  | 'FINGER_TWICE'
  | 'HANDS_SWAPPED'
  | 'WRONG_HAND'
  | 'RECAPTURE_OTHER_FINGER'
  | 'RENEWAL_HANDS_SWAPPED'
  | 'RENEWAL_NO_MATCH';

export interface OfficerText {
  /** Vietnamese, shown first. */
  readonly vi: string;
  /** English, shown second. */
  readonly en: string;
}

/** One comparison that supports a finding: the two positions and the matcher's score. */
export interface PairEvidence {
  readonly a: number;
  readonly b: number;
  readonly score: number;
}

export interface SetFinding {
  readonly code: SetFindingCode;
  /** The positions the officer should recapture or look at. */
  readonly positions: readonly number[];
  /** The comparisons (or, for geometry, none) the finding rests on. */
  readonly evidence: readonly PairEvidence[];
  readonly message: OfficerText;
}

export const SET_FINDING_MESSAGES: Readonly<Record<SetFindingCode, OfficerText>> = {
  SAME_HAND_TWICE: {
    vi: 'Cùng một bàn tay được đặt hai lần. Hãy chụp lại bốn ngón tay trái và bốn ngón tay phải.',
    en: 'The same hand was presented twice. Recapture the left four fingers and the right four fingers.',
  },
  THUMB_TWICE: {
    vi: 'Cùng một ngón cái được đặt hai lần. Hãy chụp lại hai ngón cái, trái và phải.',
    en: 'The same thumb was placed twice. Recapture both thumbs, left and right.',
  },
  FINGER_TWICE: {
    vi: 'Cùng một ngón tay xuất hiện ở hai vị trí. Hãy chụp lại các ngón được nêu.',
    en: 'The same finger appears in two positions. Recapture the fingers named.',
  },
  HANDS_SWAPPED: {
    vi: 'Hai bàn tay bị đổi chỗ: tay phải đặt ở lượt tay trái và ngược lại. Hãy chụp lại cả hai bàn tay.',
    en: 'The hands were swapped: the right hand on the left slap and the left on the right. Recapture both hands.',
  },
  WRONG_HAND: {
    vi: 'Hình dáng bàn tay không khớp với bàn tay được yêu cầu. Hãy kiểm tra và chụp lại.',
    en: 'The hand on the scanner does not look like the hand asked for. Check and recapture.',
  },
  RECAPTURE_OTHER_FINGER: {
    vi: 'Lần chụp lại không phải cùng ngón tay với lần trước. Hãy đặt đúng ngón tay.',
    en: 'The recapture is not the same finger as the earlier attempt. Place the right finger.',
  },
  RENEWAL_HANDS_SWAPPED: {
    vi: 'So với thẻ cũ, các ngón tay trái và phải bị đổi chỗ. Hãy chụp lại cả hai bàn tay.',
    en: 'Against the old card, the left and right fingers are swapped. Recapture both hands.',
  },
  RENEWAL_NO_MATCH: {
    vi: 'Vân tay mới không khớp với vân tay trên thẻ cũ. Cán bộ cần kiểm tra lại danh tính.',
    en: "The new fingerprints do not match the old card's. The officer must check the identity again.",
  },
};

/** The comparison the checks run on, and what its score means. */
export interface SetComparer<T> {
  readonly compare: (a: T, b: T) => number;
  /** True when the score is a match at the configured false-match rate. */
  readonly matched: (score: number) => boolean;
}

export interface SetFinger<T> {
  readonly position: number;
  /** Null when the finger could not be compared (too few minutiae, an exception): left out. */
  readonly template: T | null;
}

/** What the slaps' segmentation said about each four-finger slap's hand. */
export interface SlapGeometry {
  readonly left?: { readonly handSeen: 'left' | 'right' } | undefined;
  readonly right?: { readonly handSeen: 'left' | 'right' } | undefined;
}

export interface SetCheckResult {
  readonly findings: readonly SetFinding[];
  /** Every comparison made, position pairs ascending (45 for a complete ten-print set). */
  readonly comparisons: readonly PairEvidence[];
}

const RIGHT_SLAP: readonly FingerPosition[] = [2, 3, 4, 5];
const LEFT_SLAP: readonly FingerPosition[] = [7, 8, 9, 10];
/** Two matching cross-slap pairs at least for "same hand twice" (issue 20: keep false alarms down). */
export const SAME_HAND_MIN_PAIRS = 2;

function finding(code: SetFindingCode, positions: number[], evidence: PairEvidence[]): SetFinding {
  return {
    code,
    positions: [...new Set(positions)].sort((p, q) => p - q),
    evidence,
    message: SET_FINDING_MESSAGES[code],
  };
}

/** Largest set of pairs using each finger at most once (brute force: at most 4 x 4 cross pairs). */
function disjointPairs(pairs: readonly PairEvidence[]): PairEvidence[] {
  let best: PairEvidence[] = [];
  const walk = (i: number, used: Set<number>, chosen: PairEvidence[]) => {
    if (chosen.length > best.length) best = [...chosen];
    for (let k = i; k < pairs.length; k++) {
      const p = pairs[k] as PairEvidence;
      if (used.has(p.a) || used.has(p.b)) continue;
      used.add(p.a);
      used.add(p.b);
      chosen.push(p);
      walk(k + 1, used, chosen);
      chosen.pop();
      used.delete(p.a);
      used.delete(p.b);
    }
  };
  walk(0, new Set(), []);
  return best;
}

/**
 * Compares every finger of the set with every other (45 comparisons for ten fingers) and reads the
 * matches as findings; adds the geometry's hand findings.
 * @throws RangeError when a position is outside 1-10 or given twice (a programmer error).
 */
export function checkEnrollmentSet<T>(
  fingers: readonly SetFinger<T>[],
  comparer: SetComparer<T>,
  geometry: SlapGeometry = {},
): SetCheckResult {
  const seen = new Set<number>();
  for (const f of fingers) {
    if (!Number.isInteger(f.position) || f.position < 1 || f.position > 10 || seen.has(f.position))
      throw new RangeError(`finger position ${f.position} is outside 1-10 or repeated`);
    seen.add(f.position);
  }
  const usable = fingers
    .filter((f): f is SetFinger<T> & { template: T } => f.template !== null)
    .sort((p, q) => p.position - q.position);
  const comparisons: PairEvidence[] = [];
  for (let i = 0; i < usable.length; i++)
    for (let j = i + 1; j < usable.length; j++) {
      const a = usable[i] as SetFinger<T> & { template: T };
      const b = usable[j] as SetFinger<T> & { template: T };
      comparisons.push({ a: a.position, b: b.position, score: comparer.compare(a.template, b.template) });
    }
  const matches = comparisons.filter((c) => comparer.matched(c.score));
  const findings: SetFinding[] = [];
  const isCross = (c: PairEvidence) =>
    (RIGHT_SLAP.includes(c.a as FingerPosition) && LEFT_SLAP.includes(c.b as FingerPosition)) ||
    (LEFT_SLAP.includes(c.a as FingerPosition) && RIGHT_SLAP.includes(c.b as FingerPosition));
  const cross = disjointPairs(matches.filter(isCross));
  const sameHand = cross.length >= SAME_HAND_MIN_PAIRS;
  if (sameHand)
    findings.push(
      finding(
        'SAME_HAND_TWICE',
        cross.flatMap((c) => [c.a, c.b]),
        cross,
      ),
    );
  const thumbs = matches.find((c) => c.a === 1 && c.b === 6);
  if (thumbs !== undefined) findings.push(finding('THUMB_TWICE', [1, 6], [thumbs]));
  // Any other match: one finger in two places (within a slap, or a thumb in a slap). Lone cross-slap
  // matches are left out: one chance match among 16 must not raise an alarm.
  const others = matches.filter((c) => c !== thumbs && !isCross(c));
  if (others.length > 0)
    findings.push(
      finding(
        'FINGER_TWICE',
        others.flatMap((c) => [c.a, c.b]),
        others,
      ),
    );
  const leftSeen = geometry.left?.handSeen;
  const rightSeen = geometry.right?.handSeen;
  if (!sameHand) {
    if (leftSeen === 'right' && rightSeen === 'left')
      findings.push(finding('HANDS_SWAPPED', [...RIGHT_SLAP, ...LEFT_SLAP], []));
    else if (leftSeen === 'right') findings.push(finding('WRONG_HAND', [...LEFT_SLAP], []));
    else if (rightSeen === 'left') findings.push(finding('WRONG_HAND', [...RIGHT_SLAP], []));
  }
  return { findings, comparisons };
}

/**
 * A retry of one position compared with the earlier attempt: a finding when they do not match
 * (another finger was placed). Null when they match, or when either cannot be compared.
 */
export function checkRecapture<T>(
  position: number,
  earlier: T | null,
  retry: T | null,
  comparer: SetComparer<T>,
): SetFinding | null {
  if (earlier === null || retry === null) return null;
  const score = comparer.compare(earlier, retry);
  if (comparer.matched(score)) return null;
  return finding('RECAPTURE_OTHER_FINGER', [position], [{ a: position, b: position, score }]);
}

/** The finger at the same place on the other hand (2 <-> 7 ... 5 <-> 10, 1 <-> 6). */
export function mirrorPosition(position: number): number {
  return position <= 5 ? position + 5 : position - 5;
}

/**
 * At a renewal: the new set against the old card's prints (DG3 holds two; the central record may
 * hold ten). Each old finger is compared with the new finger of its position and of the mirrored
 * position. Matches on the mirrored positions and none on the declared ones: the hands are swapped.
 * No match at all for any old finger that could be compared: the prints are not the card holder's
 * (or the old prints are too poor): the officer checks the identity. Null when all is well or
 * nothing could be compared.
 */
export function checkAgainstPrevious<T>(
  current: readonly SetFinger<T>[],
  previous: readonly SetFinger<T>[],
  comparer: SetComparer<T>,
): SetFinding | null {
  const now = new Map(current.filter((f) => f.template !== null).map((f) => [f.position, f.template as T]));
  const same: PairEvidence[] = [];
  const mirrored: PairEvidence[] = [];
  let compared = 0;
  for (const old of previous) {
    if (old.template === null) continue;
    const declared = now.get(old.position);
    const other = now.get(mirrorPosition(old.position));
    if (declared === undefined && other === undefined) continue;
    compared++;
    if (declared !== undefined) {
      const score = comparer.compare(old.template, declared);
      if (comparer.matched(score)) same.push({ a: old.position, b: old.position, score });
    }
    if (other !== undefined) {
      const score = comparer.compare(old.template, other);
      if (comparer.matched(score)) mirrored.push({ a: old.position, b: mirrorPosition(old.position), score });
    }
  }
  if (compared === 0 || same.length > 0) return null;
  if (mirrored.length > 0)
    return finding(
      'RENEWAL_HANDS_SWAPPED',
      mirrored.flatMap((c) => [c.a, c.b]),
      mirrored,
    );
  return finding(
    'RENEWAL_NO_MATCH',
    previous.filter((f) => f.template !== null).map((f) => f.position),
    [],
  );
}
