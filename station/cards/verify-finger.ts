/**
 * A live finger against the chip's (DG3), for the notary's "is this the holder?": both images become
 * the matcher's templates in the hot path's workers, the comparison too, and the answer carries the
 * score, the false-match rate the score stands for and the decision at the configured FMR (default 1
 * in 10,000: protocol/fingerprint/match/thresholds.ts). A print with too few minutiae is a typed
 * `cannot-compare`, never a silent no-match.
 */
import type { Device } from '../../drivers/device.ts';
import { type FingerprintScanner, isFingerprintScanner } from '../../drivers/fingerprint/scanner.ts';
import { DEFAULT_FMR, scoreToFmr, thresholdForFmr } from '../../protocol/fingerprint/match/thresholds.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';

export interface FingerImage {
  readonly width: number;
  readonly height: number;
  /** 8-bit grey, row-major. */
  readonly pixels: Uint8Array;
  readonly ppi: number;
}

export type FingerprintComparison =
  | {
      readonly decision: 'match' | 'no-match';
      readonly score: number;
      /** The share of impostor comparisons scoring this high or higher (thresholds.ts). */
      readonly scoreFmr: number;
      /** The FMR the decision is taken at, and the score that stands for it. */
      readonly decisionFmr: number;
      readonly threshold: number;
      readonly pairedMinutiae: number;
      /** Our quality score of the live capture (0-100; not an NFIQ 2 score). */
      readonly liveQuality: number;
    }
  | {
      readonly decision: 'cannot-compare';
      /** Which image could not be compared, and why (too few minutiae, a blank capture). */
      readonly image: 'live' | 'chip';
      readonly detail: string;
      readonly decisionFmr: number;
      readonly liveQuality: number;
    };

/** The officer's words for each decision (Vietnamese first). */
export const VERIFY_FINGER_MESSAGES = {
  match: {
    vi: 'Vân tay khớp với vân tay trên chip.',
    en: "The fingerprint matches the chip's.",
  },
  'no-match': {
    vi: 'Vân tay KHÔNG khớp với vân tay trên chip. Chụp lại một lần; nếu vẫn không khớp, kiểm tra danh tính bằng cách khác.',
    en: "The fingerprint does NOT match the chip's. Capture once more; if it still does not match, check the identity another way.",
  },
  'cannot-compare': {
    vi: 'Không đủ chi tiết vân tay để đối chiếu. Lau mặt kính, đặt ngón tay phẳng và chụp lại.',
    en: 'Not enough fingerprint detail to compare. Clean the glass, place the finger flat and capture again.',
  },
} as const;

/** The scanners among the station's devices, by id or the first. */
export function scannerFinder(
  devices: readonly Device[],
): (id: string | undefined) => FingerprintScanner | undefined {
  return (id) =>
    devices.find(
      (d): d is FingerprintScanner => isFingerprintScanner(d) && (id === undefined || d.id === id),
    );
}

/**
 * Compares a live finger with a chip finger through the hot path.
 * @throws {HotpathError} (as a rejection) for an image the workers refuse, and the pool's codes.
 * @throws {RangeError} for an FMR outside what the threshold table states.
 */
export async function compareFingers(
  hotpath: Hotpath,
  live: FingerImage,
  chip: FingerImage,
  fmr: number | undefined,
): Promise<FingerprintComparison & { readonly message: { readonly vi: string; readonly en: string } }> {
  const decisionFmr = fmr ?? DEFAULT_FMR;
  const threshold = thresholdForFmr(decisionFmr);
  const [a, b] = await Promise.all([
    hotpath.assessFinger({ ...live, pixels: new Uint8Array(live.pixels) }, { wsq: false, ppi: live.ppi }),
    hotpath.assessFinger({ ...chip, pixels: new Uint8Array(chip.pixels) }, { wsq: false, ppi: chip.ppi }),
  ]);
  const liveQuality = a.quality.score;
  const missing = a.template === null ? ('live' as const) : b.template === null ? ('chip' as const) : null;
  if (missing !== null || a.template === null || b.template === null) {
    const problem = (missing === 'live' ? a : b).templateProblem;
    return {
      decision: 'cannot-compare',
      image: missing ?? 'live',
      detail: problem?.detail ?? 'no template',
      decisionFmr,
      liveQuality,
      message: VERIFY_FINGER_MESSAGES['cannot-compare'],
    };
  }
  const compared = await hotpath.compareTemplates(a.template, b.template);
  const decision = compared.score >= threshold ? 'match' : 'no-match';
  return {
    decision,
    score: compared.score,
    scoreFmr: scoreToFmr(compared.score),
    decisionFmr,
    threshold,
    pairedMinutiae: compared.pairs.length,
    liveQuality,
    message: VERIFY_FINGER_MESSAGES[decision],
  };
}
