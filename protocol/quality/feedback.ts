/**
 * Officer feedback: what is wrong with a captured finger and what to do about it, from NFIQ 2's
 * native measures and the print signals (score-signals.ts). Each code has a fixed rule over named
 * values (FEEDBACK_THRESHOLDS; the table in docs/quality-score.md) and a message in Vietnamese
 * first, English second, that tells the officer what the applicant should do.
 *
 * The rules were set on generated prints (seeds apart from the score's fitting and test seeds) and
 * are checked by test/unit/protocol/quality-feedback.test.ts with one generator condition each.
 * They are not NFIQ 2's actionable feedback (NFIQ 2 has four flags, all kept in the measures).
 */

import type { QualityMeasureName } from './names.ts';
import { FULL_FRAME_SHARE, type PrintSignals } from './score-signals.ts';

/** Stable codes: callers and translations switch on them, never on the message text. */
export type FeedbackCode =
  | 'FINGER_NOT_DETECTED'
  | 'FINGER_NOT_CENTRED'
  | 'FINGER_TOO_LITTLE_AREA'
  | 'FINGER_MOVING'
  | 'FINGER_SMUDGED'
  | 'FINGER_TOO_WET'
  | 'FINGER_TOO_DRY'
  | 'FINGER_TOO_MUCH_PRESSURE'
  | 'FINGER_TOO_LIGHT';

/** The order feedback is reported in: the first is what to fix first. */
export const FEEDBACK_CODES: readonly FeedbackCode[] = [
  'FINGER_NOT_DETECTED',
  'FINGER_NOT_CENTRED',
  'FINGER_TOO_LITTLE_AREA',
  'FINGER_MOVING',
  'FINGER_SMUDGED',
  'FINGER_TOO_WET',
  'FINGER_TOO_DRY',
  'FINGER_TOO_MUCH_PRESSURE',
  'FINGER_TOO_LIGHT',
];

export interface OfficerMessage {
  /** Vietnamese, shown first. */
  readonly vi: string;
  /** English, shown second. */
  readonly en: string;
}

export const FEEDBACK_MESSAGES: Readonly<Record<FeedbackCode, OfficerMessage>> = {
  FINGER_NOT_DETECTED: {
    vi: 'Không thấy ngón tay: đặt ngón tay vào giữa mặt kính; nếu kính còn vết vân tay cũ, lau sạch kính.',
    en: 'No finger detected: place the finger in the middle of the glass; if an old print is left on the glass, wipe it clean.',
  },
  FINGER_NOT_CENTRED: {
    vi: 'Ngón tay lệch khỏi tâm: đặt ngón tay vào giữa mặt kính.',
    en: 'The finger is off-centre: move it to the middle of the glass.',
  },
  FINGER_TOO_LITTLE_AREA: {
    vi: 'Vân tay quá nhỏ: đặt phẳng cả đốt đầu ngón tay lên mặt kính.',
    en: 'Too little of the finger is on the glass: lay the whole top joint flat on the glass.',
  },
  FINGER_MOVING: {
    vi: 'Ngón tay bị xê dịch: giữ yên ngón tay cho đến khi chụp xong.',
    en: 'The finger moved: hold it still until the capture is finished.',
  },
  FINGER_SMUDGED: {
    vi: 'Vân tay bị nhòe: lau sạch mặt kính, nhấc ngón tay lên rồi đặt thẳng xuống, không miết.',
    en: 'The print is smeared: wipe the glass, lift the finger and put it straight down without sliding.',
  },
  FINGER_TOO_WET: {
    vi: 'Ngón tay quá ướt: lau khô ngón tay và mặt kính rồi đặt lại.',
    en: 'The finger is too wet: dry the finger and the glass, then place it again.',
  },
  FINGER_TOO_DRY: {
    vi: 'Ngón tay quá khô: hà hơi vào đầu ngón tay hoặc chạm vào khăn ẩm rồi đặt lại.',
    en: 'The finger is too dry: breathe on the fingertip or touch a damp cloth, then place it again.',
  },
  FINGER_TOO_MUCH_PRESSURE: {
    vi: 'Ấn quá mạnh: đặt ngón tay nhẹ nhàng hơn, không đè xuống.',
    en: 'Pressing too hard: rest the finger more gently, without pushing down.',
  },
  FINGER_TOO_LIGHT: {
    vi: 'Ấn quá nhẹ: ấn ngón tay chắc hơn một chút và giữ yên.',
    en: 'Pressing too lightly: press the finger a little more firmly and hold still.',
  },
};

/**
 * The thresholds of the rules. Grey levels are 8-bit at the scanner's output, areas px at
 * 500 ppi; docs/quality-score.md gives the values each condition produced when they were set.
 */
export const FEEDBACK_THRESHOLDS = {
  /** No finger: the ink is less than this far below the glass, grey levels (empty glass: ~10) ... */
  noFingerInkDepth: 25,
  /** ... or the ink is shallower than this (a latent left on the glass: 34 to 55) ... */
  latentInkDepth: 62,
  /** ... while its ridges are as orderly as a finger's (OrientationMap_ROIFilter_CoherenceRel). */
  latentCoherence: 0.55,
  /** No finger either when fewer px than this show ridges (a speck, not a fingertip). */
  noFingerRidgeArea: 5000,
  /**
   * The finger fills the frame: ridges over at least this share of the image (a small sensor such
   * as the R30x's 256 x 288 window). NFIQ 2's ROI is then not read for area or centring.
   */
  fullFrameShare: FULL_FRAME_SHARE,
  /** Not centred: ROI centroid further than this from the image centre, fraction of the side. */
  offCentre: 0.15,
  /** Too little area: NFIQ 2 SufficientFingerprintForeground below this (NIST's own threshold) ... */
  minRoiPixels: 50000,
  /** ... or less than this many px show ridges (a light touch leaves gaps NFIQ 2's ROI spans). */
  minRidgeArea: 40000,
  /** Smear: contrast lost in one direction (contrastAnisotropy) at least this ... */
  directionalAnisotropy: 0.45,
  /** ... and the gradients over the whole print lined up at least this much. */
  directionalCoherence: 0.4,
  /** Moving rather than smudged: a directional smear that leaves this share of blocks flat. */
  movingFlatShare: 0.45,
  /** Smudged without a direction: this share of blocks flat ... */
  blurFlatShare: 0.3,
  /** ... and edges this soft (fineShare; a good print 0.06 to 0.09) ... */
  blurFineShare: 0.05,
  /** ... or this share of blocks flat whatever the edges (streaks left by a smear across the ridges). */
  smearFlatShare: 0.5,
  /**
   * Smeared along the ridges (an arch whose ridges run with the motion) or blurred: ridge flow
   * smoother than any good print's (OrientationMap_ROIFilter_CoherenceRel; good prints 0.77 to
   * 0.84) ...
   */
  smoothCoherence: 0.885,
  /** ... with soft edges (fineShare). */
  smoothFineShare: 0.05,
  /** Blurred whatever else: edges this soft (fineShare), as after a Gaussian blur of 1.2 px or more. */
  softFineShare: 0.03,
  /** Edges at least this sharp (fineShare) before a faint or broken print is put down to the skin. */
  sharpFineShare: 0.045,
  /** Smear and blur are judged only over at least this many 16 x 16 blocks inside the ROI. */
  minSmearBlocks: 8,
  /** Too wet: this share of the ROI's blocks are ink-dark blobs. */
  wetBlobShare: 0.05,
  /** Too dry: ridges broken (OrientationMap_ROIFilter_CoherenceRel below this) ... */
  dryCoherence: 0.55,
  /** ... and unclear (LCS_Bin10_Mean below this) ... */
  dryClarity: 0.45,
  /** ... and faint (ink depth below this many grey levels). */
  dryInkDepth: 120,
  /** Too much pressure: valleys stay this dark (valleyFill) ... */
  pressureValleyFill: 0.25,
  /** ... ridges cover at least this share of the ROI (inkCoverage) ... */
  pressureCoverage: 0.55,
  /** Too light: ink depth below this many grey levels (a good print: 156 to 191) with ridges intact. */
  lightInkDepth: 130,
} as const;

/**
 * Pairs of codes that cannot both be true of one print: the first of each pair wins, the second
 * is dropped (assessFeedback's rules already avoid them; this is the guarantee). A finger that
 * moved was also smeared, but "hold still" is the whole advice; wet and dry skin, pressing too
 * hard and too lightly, exclude each other.
 */
export const CONTRADICTORY_FEEDBACK: readonly (readonly [FeedbackCode, FeedbackCode])[] = [
  ['FINGER_MOVING', 'FINGER_SMUDGED'],
  ['FINGER_TOO_WET', 'FINGER_TOO_DRY'],
  ['FINGER_TOO_MUCH_PRESSURE', 'FINGER_TOO_LIGHT'],
];

/** `feedback` without the second code of any CONTRADICTORY_FEEDBACK pair whose first is present. */
function withoutContradictions(feedback: QualityFeedback[]): QualityFeedback[] {
  const present = new Set(feedback.map((f) => f.code));
  const dropped = new Set(CONTRADICTORY_FEEDBACK.filter(([a]) => present.has(a)).map(([, b]) => b));
  return feedback.filter((f) => !dropped.has(f.code));
}

export interface QualityFeedback {
  readonly code: FeedbackCode;
  readonly message: OfficerMessage;
  /** The values the rule read, by name, for logs and for tuning; never shown to the officer. */
  readonly evidence: Readonly<Record<string, number>>;
}

function item(code: FeedbackCode, evidence: Record<string, number>): QualityFeedback {
  return { code, message: FEEDBACK_MESSAGES[code], evidence };
}

/** The single feedback for an image in which no print could be found at all. */
export function noFingerFeedback(evidence: Record<string, number> = {}): QualityFeedback {
  return item('FINGER_NOT_DETECTED', evidence);
}

/**
 * What to tell the officer about one print, most urgent first (FEEDBACK_CODES order); empty for a
 * good print. FINGER_NOT_DETECTED comes alone. Pure; never throws.
 */
export function assessFeedback(
  measures: Readonly<Record<QualityMeasureName, number>>,
  signals: PrintSignals,
): QualityFeedback[] {
  const t = FEEDBACK_THRESHOLDS;
  const coherence = measures.OrientationMap_ROIFilter_CoherenceRel;
  const clarity = measures.LCS_Bin10_Mean;
  const roiPixels = measures.SufficientFingerprintForeground;
  const { inkDepth, ridgeArea } = signals;

  const faintLatent = inkDepth < t.latentInkDepth && coherence >= t.latentCoherence;
  if (inkDepth < t.noFingerInkDepth || faintLatent || ridgeArea < t.noFingerRidgeArea)
    return [noFingerFeedback({ inkDepth, ridgeArea, coherence })];

  const out: QualityFeedback[] = [];
  // A finger that fills the frame shows no glass around it: NFIQ 2's ROI (Otsu over finger only)
  // does not measure its area, and its ridge centroid cannot be off-centre by more than
  // (1 - fullFrameShare) / 2 = 0.1 of the side, under offCentre.
  const fillsFrame = signals.ridgeShare >= t.fullFrameShare;
  const { offsetX, offsetY } = signals;
  if (!fillsFrame && (Math.abs(offsetX) > t.offCentre || Math.abs(offsetY) > t.offCentre))
    out.push(item('FINGER_NOT_CENTRED', { offsetX, offsetY }));

  const { contrastAnisotropy, gradientCoherence, flatShare, fineShare } = signals;
  const directional =
    contrastAnisotropy >= t.directionalAnisotropy && gradientCoherence >= t.directionalCoherence;
  const blurred =
    signals.roiBlocks >= t.minSmearBlocks &&
    (flatShare >= t.smearFlatShare ||
      (flatShare >= t.blurFlatShare && fineShare < t.blurFineShare) ||
      (coherence >= t.smoothCoherence && fineShare < t.smoothFineShare) ||
      fineShare < t.softFineShare);
  const moving = directional && flatShare >= t.movingFlatShare;
  // A smear explains faint ink, grey valleys, broken ridges and ridges missing from part of the
  // print; they are not put down to the skin or the contact.
  const smeared = moving || directional || blurred;
  const sharp = fineShare >= t.sharpFineShare;

  if ((roiPixels < t.minRoiPixels && !fillsFrame) || (ridgeArea < t.minRidgeArea && !smeared))
    out.push(item('FINGER_TOO_LITTLE_AREA', { roiPixels, ridgeArea, ridgeShare: signals.ridgeShare }));

  const smearEvidence = { contrastAnisotropy, gradientCoherence, flatShare, fineShare };
  if (moving) out.push(item('FINGER_MOVING', smearEvidence));
  else if (smeared) out.push(item('FINGER_SMUDGED', smearEvidence));

  const wet = signals.blobShare >= t.wetBlobShare;
  if (wet) out.push(item('FINGER_TOO_WET', { blobShare: signals.blobShare }));

  const broken = coherence < t.dryCoherence;
  if (!wet && broken && clarity < t.dryClarity && inkDepth < t.dryInkDepth && !smeared)
    out.push(item('FINGER_TOO_DRY', { coherence, clarity, inkDepth }));

  const { valleyFill, inkCoverage } = signals;
  const pressed =
    valleyFill >= t.pressureValleyFill && inkCoverage >= t.pressureCoverage && sharp && !smeared;
  if (pressed) out.push(item('FINGER_TOO_MUCH_PRESSURE', { valleyFill, inkCoverage, fineShare }));

  if (!pressed && inkDepth < t.lightInkDepth && !broken && sharp && !smeared)
    out.push(item('FINGER_TOO_LIGHT', { inkDepth, coherence, fineShare }));
  return withoutContradictions(out);
}
