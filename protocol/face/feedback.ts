/**
 * Officer feedback on a portrait: accept, or what the applicant should do, in the order to fix it,
 * each with a stable code and a sentence the officer can read aloud (Vietnamese first, English
 * second). Rules are fixed thresholds over the OFIQ-aligned measures (measures.ts) or, on the live
 * screen, over the per-frame classical checks (classical.ts); FACE_FEEDBACK_THRESHOLDS holds them and
 * README.md explains each. They were set on the synthetic portraits of the tests (synthetic.ts), not
 * on a population of real captures: calibrate them on the station's own captures before relying on
 * the boundaries.
 */
import type { ClassicalAssessment, Framing } from './classical.ts';
import { type FaceAssessment, type FaceMeasureName, IRIS_CLOSED } from './measures.ts';

/** Stable codes: callers and translations switch on them, never on the message text. */
export type FaceFeedbackCode =
  | 'FACE_NOT_FOUND'
  | 'FACE_MULTIPLE'
  | 'FACE_MOVE_CLOSER'
  | 'FACE_MOVE_BACK'
  | 'FACE_NOT_CENTRED'
  | 'FACE_LOOK_STRAIGHT'
  | 'FACE_RAISE_HEAD'
  | 'FACE_LOWER_HEAD'
  | 'FACE_HEAD_TILTED'
  | 'FACE_BACKLIT'
  | 'FACE_TOO_DARK'
  | 'FACE_TOO_BRIGHT'
  | 'FACE_UNEVEN_LIGHT'
  | 'FACE_BLURRY'
  | 'FACE_EYES_CLOSED'
  | 'FACE_GLASSES_GLARE'
  | 'FACE_MOUTH_OPEN'
  | 'FACE_BACKGROUND_NOT_PLAIN';

/** The order feedback is given in: the first is what to fix first (nothing else can be judged before it). */
export const FACE_FEEDBACK_CODES: readonly FaceFeedbackCode[] = [
  'FACE_NOT_FOUND',
  'FACE_MULTIPLE',
  'FACE_MOVE_CLOSER',
  'FACE_MOVE_BACK',
  'FACE_NOT_CENTRED',
  'FACE_LOOK_STRAIGHT',
  'FACE_RAISE_HEAD',
  'FACE_LOWER_HEAD',
  'FACE_HEAD_TILTED',
  'FACE_BACKLIT',
  'FACE_TOO_DARK',
  'FACE_TOO_BRIGHT',
  'FACE_UNEVEN_LIGHT',
  'FACE_BLURRY',
  'FACE_EYES_CLOSED',
  'FACE_GLASSES_GLARE',
  'FACE_MOUTH_OPEN',
  'FACE_BACKGROUND_NOT_PLAIN',
];

export interface OfficerMessage {
  /** Vietnamese, shown first. */
  readonly vi: string;
  /** English, shown second. */
  readonly en: string;
}

export const FACE_FEEDBACK_MESSAGES: Readonly<Record<FaceFeedbackCode, OfficerMessage>> = {
  FACE_NOT_FOUND: {
    vi: 'Không thấy khuôn mặt: xin nhìn vào máy ảnh.',
    en: 'No face found: please look at the camera.',
  },
  FACE_MULTIPLE: {
    vi: 'Chỉ một người trước máy ảnh: xin những người khác đứng ra ngoài khung hình.',
    en: 'Only one person in front of the camera: others please step out of the picture.',
  },
  FACE_MOVE_CLOSER: { vi: 'Xin tiến lại gần máy ảnh hơn.', en: 'Please move closer to the camera.' },
  FACE_MOVE_BACK: { vi: 'Xin lùi ra xa máy ảnh một chút.', en: 'Please move back a little from the camera.' },
  FACE_NOT_CENTRED: {
    vi: 'Xin đưa khuôn mặt vào giữa khung hình.',
    en: 'Please move so that the face is in the middle of the picture.',
  },
  FACE_LOOK_STRAIGHT: {
    vi: 'Xin nhìn thẳng vào máy ảnh, không quay mặt sang bên.',
    en: 'Please look straight at the camera, without turning the head to the side.',
  },
  FACE_RAISE_HEAD: { vi: 'Xin ngẩng đầu lên một chút.', en: 'Please raise the head a little.' },
  FACE_LOWER_HEAD: { vi: 'Xin cúi đầu xuống một chút.', en: 'Please lower the chin a little.' },
  FACE_HEAD_TILTED: {
    vi: 'Xin giữ đầu thẳng, không nghiêng sang bên.',
    en: 'Please hold the head straight, not tilted to one side.',
  },
  FACE_BACKLIT: {
    vi: 'Ảnh bị ngược sáng: xin tránh đứng quay lưng về phía cửa sổ hoặc đèn, hoặc bật đèn phía trước.',
    en: 'The light is behind the person: move away from the window or lamp behind, or light the face from the front.',
  },
  FACE_TOO_DARK: {
    vi: 'Ảnh quá tối: xin bật thêm đèn chiếu vào mặt.',
    en: 'The picture is too dark: please add light on the face.',
  },
  FACE_TOO_BRIGHT: {
    vi: 'Ảnh quá sáng: xin giảm đèn hoặc tránh ánh nắng chiếu thẳng vào mặt.',
    en: 'The picture is too bright: dim the light or keep direct sunlight off the face.',
  },
  FACE_UNEVEN_LIGHT: {
    vi: 'Ánh sáng không đều trên khuôn mặt: xin đứng thẳng trước nguồn sáng hoặc che bớt ánh sáng bên cạnh.',
    en: 'The light on the face is uneven: face the light, or shade the light coming from one side.',
  },
  FACE_BLURRY: {
    vi: 'Ảnh bị mờ: xin giữ yên đầu trong giây lát.',
    en: 'The picture is blurry: please hold still for a moment.',
  },
  FACE_EYES_CLOSED: {
    vi: 'Xin mở mắt và nhìn vào máy ảnh.',
    en: 'Please open the eyes and look at the camera.',
  },
  FACE_GLASSES_GLARE: {
    vi: 'Kính bị lóa: xin tháo kính ra.',
    en: 'The glasses reflect the light: please remove the glasses.',
  },
  FACE_MOUTH_OPEN: {
    vi: 'Xin ngậm miệng lại, giữ nét mặt tự nhiên.',
    en: 'Please close the mouth and keep a neutral expression.',
  },
  FACE_BACKGROUND_NOT_PLAIN: {
    vi: 'Nền phía sau không đồng màu: xin đứng trước phông nền trơn.',
    en: 'The background is not plain: please stand in front of a plain backdrop.',
  },
};

/**
 * The rule thresholds. Units: IED px; margins in IED (sideways) or T (eye midpoint to chin,
 * vertically); angles in degrees; luminance 0..1; shares 0..1. README.md gives each one's reason.
 */
export const FACE_FEEDBACK_THRESHOLDS = {
  /** Move closer below this inter-eye distance, px (OFIQ's InterEyeDistance component is 50 at 70). */
  minInterEyeDistance: 70,
  /**
   * Each eye centre at least this many IED from its side border. The ISO/IEC 19794-5 token the chip
   * portrait is cut to is 4 IED wide, centred on the eye midpoint: 1.5 IED from each eye centre keeps
   * that crop inside the frame (OFIQ's crop component is 50 at 0.9, which only avoids a cut face).
   */
  minSideMargin: 1.5,
  /** Eye midpoint at least this many T below the top border: room for the forehead and hair. */
  minMarginAbove: 1.0,
  /** Eye midpoint at least this many T above the bottom border: the chin and the neck's start. */
  minMarginBelow: 1.3,
  /** |yaw| above this asks to look straight (ICAO advises within 5; ours is an estimate). */
  maxYaw: 8,
  /** |pitch| above this asks to raise or lower the head. */
  maxPitch: 10,
  /** |roll| above this asks to hold the head straight (ICAO: within 8). */
  maxRoll: 8,
  /** Backlit: the background's mean luminance exceeds the face's by this much ... */
  backlitContrast: 0.35,
  /** ... and the face is darker than this. */
  backlitFaceMax: 0.4,
  /** Too dark: the face's mean luminance below this (OFIQ's LuminanceMean component is 50 at 0.2). */
  minLuminanceMean: 0.25,
  /** Too dark also when this share of the face is at luma <= 25. */
  maxUnderExposed: 0.3,
  /** Too bright: mean luminance above this (component 50 at 0.8) ... */
  maxLuminanceMean: 0.8,
  /** ... or this share of the face at luma >= 247. */
  maxOverExposed: 0.25,
  /**
   * Uneven light: the two halves' histogram overlap below this (IlluminationUniformity component 70).
   * Evenly lit real portraits read 0.4 to 0.8 (a 256-bin overlap is strict), a lamp at one side 0.15.
   */
  minIlluminationUniformity: 0.3,
  /**
   * Blurry: the blur effect above this (our Sharpness component is 50 here). Sharp real portraits read
   * 0.3 to 0.45, soft video stills 0.5 to 0.65.
   */
  maxBlurEffect: 0.5,
  /** Eyes closed: the smaller eyelid opening below this share of T (OFIQ's EyesOpen component 50 at 0.02). */
  minEyesOpen: 0.025,
  /**
   * Eyes closed, read from the pixels: neither eye shows an iris run this long, in eye widths
   * (IrisVisible). Open eyes read 0.48 to 0.55 on the simulated camera's faces and 0.24 to 0.9 on the
   * shared real photographs, drawn closed lids 0.10.
   */
  minIrisVisible: IRIS_CLOSED,
  /** Glare: at least this share of the eye zones saturated ... */
  minGlareShare: 0.1,
  /** ... and that share at least this many times the face's overexposed share (not just a bright picture). */
  glareOverFace: 4,
  /** Mouth open: inner-lip gap above this share of T (OFIQ's MouthClosed component 50 at 0.2). */
  maxMouthOpening: 0.1,
  /** Background not plain: mean Scharr gradient magnitude above this (BackgroundUniformity component ~72). */
  maxBackgroundGradient: 60,
  /**
   * Background luminance below this is not the plain light background ICAO 9303 and the CCCD photo
   * rules ask for (white or a light colour).
   */
  minBackgroundLuminance: 0.55,
  /** Two faces: OFIQ's SingleFacePresent raw sqrt(a2/a1) above this (a second face over 1/16 of the first's area). */
  maxSecondFace: 0.25,
} as const;

export interface FaceFeedback {
  readonly code: FaceFeedbackCode;
  readonly message: OfficerMessage;
}

export interface PortraitDecision {
  /** True when no rule fired. */
  readonly accepted: boolean;
  /** In FACE_FEEDBACK_CODES order; empty when accepted. */
  readonly feedback: readonly FaceFeedback[];
}

const T = FACE_FEEDBACK_THRESHOLDS;

function decide(codes: Set<FaceFeedbackCode>): PortraitDecision {
  const feedback = FACE_FEEDBACK_CODES.filter((c) => codes.has(c)).map((code) => ({
    code,
    message: FACE_FEEDBACK_MESSAGES[code],
  }));
  return { accepted: feedback.length === 0, feedback };
}

/** Distance and position rules, shared by the capture and the live screen. */
function framingCodes(f: Framing, codes: Set<FaceFeedbackCode>): void {
  const sidesShort = (f.leftward < T.minSideMargin ? 1 : 0) + (f.rightward < T.minSideMargin ? 1 : 0);
  const verticalShort = (f.above < T.minMarginAbove ? 1 : 0) + (f.below < T.minMarginBelow ? 1 : 0);
  if (f.ied < T.minInterEyeDistance) codes.add('FACE_MOVE_CLOSER');
  // Too close when the face does not fit between both borders of one axis; off-centre when one
  // border is short and the face would fit by moving.
  else if (sidesShort === 2 || verticalShort === 2) codes.add('FACE_MOVE_BACK');
  if (!codes.has('FACE_MOVE_BACK') && (sidesShort > 0 || verticalShort > 0)) codes.add('FACE_NOT_CENTRED');
}

function exposureCodes(
  e: { mean: number; under: number; over: number; background?: number | undefined },
  codes: Set<FaceFeedbackCode>,
): void {
  const dark = e.mean < T.minLuminanceMean || e.under > T.maxUnderExposed;
  if (e.background !== undefined && e.background - e.mean >= T.backlitContrast && e.mean < T.backlitFaceMax)
    codes.add('FACE_BACKLIT');
  else if (dark) codes.add('FACE_TOO_DARK');
  if (e.mean > T.maxLuminanceMean || e.over > T.maxOverExposed) codes.add('FACE_TOO_BRIGHT');
}

/**
 * The decision on a captured portrait from its measures. Rules whose measure is missing (the face
 * is outside the frame, pose could not be fitted) do not fire; the framing rules catch those cases.
 */
export function portraitFeedback(assessment: FaceAssessment): PortraitDecision {
  const codes = new Set<FaceFeedbackCode>();
  const m = assessment.measures;
  const raw = (name: FaceMeasureName): number | undefined => m[name]?.raw;
  if (assessment.face === null) return decide(new Set(['FACE_NOT_FOUND']));
  if ((raw('SingleFacePresent') ?? 0) > T.maxSecondFace) codes.add('FACE_MULTIPLE');
  const ied = raw('InterEyeDistance');
  const leftward = raw('LeftwardCropOfTheFaceImage');
  const rightward = raw('RightwardCropOfTheFaceImage');
  const above = raw('MarginAboveOfTheFaceImage');
  const below = raw('MarginBelowOfTheFaceImage');
  if (
    ied !== undefined &&
    leftward !== undefined &&
    rightward !== undefined &&
    above !== undefined &&
    below !== undefined
  )
    framingCodes({ ied, leftward, rightward, above, below }, codes);
  const yaw = raw('HeadPoseYaw');
  const pitch = raw('HeadPosePitch');
  const roll = raw('HeadPoseRoll');
  if (yaw !== undefined && Math.abs(yaw) > T.maxYaw) codes.add('FACE_LOOK_STRAIGHT');
  if (pitch !== undefined && pitch < -T.maxPitch) codes.add('FACE_RAISE_HEAD');
  if (pitch !== undefined && pitch > T.maxPitch) codes.add('FACE_LOWER_HEAD');
  if (roll !== undefined && Math.abs(roll) > T.maxRoll) codes.add('FACE_HEAD_TILTED');
  const mean = raw('LuminanceMean');
  if (mean !== undefined)
    exposureCodes(
      {
        mean,
        under: raw('UnderExposurePrevention') ?? 0,
        over: raw('OverExposurePrevention') ?? 0,
        background: raw('BackgroundLuminanceMean'),
      },
      codes,
    );
  const lightingProblem =
    codes.has('FACE_BACKLIT') || codes.has('FACE_TOO_DARK') || codes.has('FACE_TOO_BRIGHT');
  const uniformity = raw('IlluminationUniformity');
  // A dark or washed-out face has no usable halves to compare: fix the exposure first.
  if (!lightingProblem && uniformity !== undefined && uniformity < T.minIlluminationUniformity)
    codes.add('FACE_UNEVEN_LIGHT');
  const blur = raw('Sharpness');
  if (blur !== undefined && blur > T.maxBlurEffect) codes.add('FACE_BLURRY');
  const glare = raw('EyesVisible');
  const over = raw('OverExposurePrevention') ?? 0;
  const glaring = glare !== undefined && glare >= T.minGlareShare && glare >= T.glareOverFace * over;
  const eyes = raw('EyesOpen');
  const iris = raw('IrisVisible');
  // The iris is read from the pixels: not through glare on lenses (then the glare is the finding),
  // nor in a blurred, dark or washed-out picture (fix that first; a soft iris fades into the skin).
  const irisReadable = !glaring && !lightingProblem && (blur === undefined || blur <= T.maxBlurEffect);
  if (
    (eyes !== undefined && eyes < T.minEyesOpen) ||
    (irisReadable && iris !== undefined && iris < T.minIrisVisible)
  )
    codes.add('FACE_EYES_CLOSED');
  if (glaring) codes.add('FACE_GLASSES_GLARE');
  const mouth = raw('MouthClosed');
  if (mouth !== undefined && mouth > T.maxMouthOpening) codes.add('FACE_MOUTH_OPEN');
  const background = raw('BackgroundUniformity');
  const backgroundLuminance = raw('BackgroundLuminanceMean');
  if (
    (background !== undefined && background > T.maxBackgroundGradient) ||
    // A dark or side-lit frame darkens the wall too: that is the light's fault, said once above.
    (!lightingProblem &&
      !codes.has('FACE_UNEVEN_LIGHT') &&
      backgroundLuminance !== undefined &&
      backgroundLuminance < T.minBackgroundLuminance)
  )
    codes.add('FACE_BACKGROUND_NOT_PLAIN');
  return decide(codes);
}

/**
 * Live-screen feedback from the per-frame classical checks: exposure, sharpness and, with a tracked
 * face, distance and position. `accepted` here means only that none of these checks fired; the
 * capture decision is portraitFeedback's. With no tracked face it reports FACE_NOT_FOUND first.
 */
export function classicalFeedback(a: ClassicalAssessment): PortraitDecision {
  const codes = new Set<FaceFeedbackCode>();
  if (a.framing === null) codes.add('FACE_NOT_FOUND');
  else framingCodes(a.framing, codes);
  exposureCodes({ mean: a.luminanceMean, under: a.underExposed, over: a.overExposed }, codes);
  if (a.sharpness > T.maxBlurEffect) codes.add('FACE_BLURRY');
  return decide(codes);
}

/** Codes the per-frame classical checks decide on the live screen: they are fresher than a detection. */
const CLASSICAL_CODES: ReadonlySet<FaceFeedbackCode> = new Set([
  'FACE_NOT_FOUND',
  'FACE_MOVE_CLOSER',
  'FACE_MOVE_BACK',
  'FACE_NOT_CENTRED',
  'FACE_TOO_DARK',
  'FACE_TOO_BRIGHT',
  'FACE_BLURRY',
]);

/**
 * The live screen's feedback: this frame's classical checks, plus the face-dependent codes (pose,
 * eyes, glare, mouth, a second face, light balance, background, backlight) of the latest detection.
 * The caller passes that detection only while it is fresh (issue 19: never older than 400 ms) and
 * while the tracker still holds the face; otherwise null, and only the classical codes are given.
 */
export function liveFeedback(
  classical: ClassicalAssessment,
  detection: FaceAssessment | null,
): PortraitDecision {
  const codes = new Set(classicalFeedback(classical).feedback.map((f) => f.code));
  if (detection !== null && detection.face !== null)
    for (const f of portraitFeedback(detection).feedback) if (!CLASSICAL_CODES.has(f.code)) codes.add(f.code);
  // A backlit face also reads dark per frame: say why, once.
  if (codes.has('FACE_BACKLIT')) codes.delete('FACE_TOO_DARK');
  return decide(codes);
}
