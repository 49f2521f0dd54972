/**
 * The synthetic fingerprint generator's public API: single fingers and four-finger slaps (or two
 * thumbs), by identity seed, impression seed, class and condition. The same options render the same
 * bytes on every machine. No real person's print is ever involved.
 */
import {
  CONDITIONS,
  type Condition,
  cutScars,
  developScan,
  drawImpression,
  type ImpressionTruth,
  motionBlur,
  newCanvas,
  type Placement,
} from './impression.ts';
import {
  buildMaster,
  FINGERPRINT_CLASSES,
  type FingerPosition,
  type FingerprintClass,
  type Master,
} from './master.ts';
import { mixSeed, Random } from './random.ts';

export type { Condition, FingerPosition, FingerprintClass };
export { CONDITIONS, FINGERPRINT_CLASSES };

/** Largest seed accepted: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;
/** Image sides accepted, px (a FAP 60 slap is 1600 x 1500). */
export const MIN_SIDE = 256;
export const MAX_SIDE = 4000;
export const HANDS = ['right', 'left', 'thumbs'] as const;
export type Hand = (typeof HANDS)[number];
/** Scanner sizes at 500 ppi, for the command line's --size presets. */
export const SIZE_PRESETS = {
  'single-500': [500, 500],
  'single-416x560': [416, 560],
  fap30: [400, 500],
  fap60: [1600, 1500],
} as const;

/** A bad generator option: names the option and, where there is a fixed set, the allowed values. */
export class GeneratorOptionError extends Error {
  override readonly name = 'GeneratorOptionError';
  readonly code = 'GENERATOR_INVALID_OPTION';
  readonly option: string;
  readonly allowed: string | undefined;
  constructor(option: string, message: string, allowed?: string) {
    super(`${option}: ${message}${allowed === undefined ? '' : ` (allowed: ${allowed})`}`);
    this.option = option;
    this.allowed = allowed;
  }
}

function checkInteger(option: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new GeneratorOptionError(option, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function checkOneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new GeneratorOptionError(option, `unknown value '${value}'`, allowed.join(', '));
  }
  return value as T;
}

// Building a master is the expensive step; testers reuse a few identities, so keep recent ones.
const MASTER_CACHE_SIZE = 24;
const masterCache = new Map<string, Master>();

/** Forgets cached masters (tests use it to prove a rebuilt master gives the same bytes). */
export function clearMasterCache(): void {
  masterCache.clear();
}

function master(personSeed: number, position: FingerPosition, fingerClass?: FingerprintClass): Master {
  const key = `${personSeed}/${position}/${fingerClass ?? ''}`;
  const cached = masterCache.get(key);
  if (cached) {
    masterCache.delete(key);
    masterCache.set(key, cached);
    return cached;
  }
  const built = buildMaster({ personSeed, position, ...(fingerClass === undefined ? {} : { fingerClass }) });
  masterCache.set(key, built);
  if (masterCache.size > MASTER_CACHE_SIZE) masterCache.delete(masterCache.keys().next().value ?? '');
  return built;
}

export interface RenderedImage {
  readonly width: number;
  readonly height: number;
  /** 8-bit greyscale, row-major, 0 = black. */
  readonly pixels: Uint8Array;
  /** Always 500: the generator renders at 500 ppi. */
  readonly ppi: 500;
}

export interface FingerTruth extends ImpressionTruth {
  readonly position: FingerPosition;
  readonly fingerClass: FingerprintClass;
}

export interface FingerOptions {
  /** Person seed, 0 .. 2^32-1: with the finger position it fixes the ridge pattern. */
  readonly personSeed: number;
  /** Finger position 1-10 (ANSI/NIST): 1 right thumb, 2 right index ... 6 left thumb ... 10 left little. */
  readonly finger?: number;
  /** Impression seed, 0 .. 2^32-1: placement, distortion, pressure, noise. */
  readonly impression?: number;
  /** Forces the class instead of the one the identity draws. */
  readonly fingerClass?: string;
  readonly condition?: string;
  /**
   * Strength of the condition, 0 .. 1, for graded test sets (quality model fitting). Omitted: the
   * strength varies with the impression seed, and the bytes are those of earlier releases.
   */
  readonly severity?: number;
  readonly width?: number;
  readonly height?: number;
}

export interface RenderedFinger {
  readonly image: RenderedImage;
  readonly condition: Condition;
  /** Undefined for 'no-finger'. */
  readonly finger: FingerTruth | undefined;
}

const STREAM_PLACEMENT = 0x504c4143; // 'PLAC'
const STREAM_SCAN = 0x5343414e; // 'SCAN'
const STREAM_LATENT = 0x4c41544e; // 'LATN'

function validateCommon(options: {
  personSeed: number;
  impression?: number;
  condition?: string;
  width?: number;
  height?: number;
}) {
  checkInteger('personSeed', options.personSeed, 0, MAX_SEED);
  checkInteger('impression', options.impression ?? 0, 0, MAX_SEED);
  const condition = checkOneOf('condition', options.condition ?? 'good', CONDITIONS);
  return condition;
}

/**
 * Renders one flat finger impression.
 * @throws {GeneratorOptionError} for an unknown class or condition, out-of-range seed, finger or size.
 */
export function renderFinger(options: FingerOptions): RenderedFinger {
  const condition = validateCommon(options);
  const finger = options.finger ?? 2;
  checkInteger('finger', finger, 1, 10);
  if (options.severity !== undefined && !(options.severity >= 0 && options.severity <= 1))
    throw new GeneratorOptionError('severity', `must be a number from 0 to 1, got ${options.severity}`);
  const width = options.width ?? 500;
  const height = options.height ?? 500;
  checkInteger('width', width, MIN_SIDE, MAX_SIDE);
  checkInteger('height', height, MIN_SIDE, MAX_SIDE);
  const fingerClass =
    options.fingerClass === undefined
      ? undefined
      : checkOneOf('class', options.fingerClass, FINGERPRINT_CLASSES);
  const impression = options.impression ?? 0;
  const position = finger as FingerPosition;
  const canvas = newCanvas(width, height);
  const random = new Random(mixSeed(STREAM_PLACEMENT, options.personSeed, position, impression));
  const placement: Placement = {
    cx: width / 2 + Math.max(-30, Math.min(30, random.gaussian() * 12)),
    cy: height / 2 + 8 + Math.max(-30, Math.min(30, random.gaussian() * 12)),
    rotation: (Math.max(-15, Math.min(15, random.gaussian() * 6)) * Math.PI) / 180,
  };

  if (condition === 'latent-residue' || (condition === 'no-finger' && random.next() < 0.5)) {
    // What the previous applicant left on the glass: another finger, faint and offset.
    const other = master(mixSeed(STREAM_LATENT, options.personSeed, impression), position);
    drawImpression(canvas, {
      master: other,
      placement: {
        cx: placement.cx + random.range(-40, 40),
        cy: placement.cy + random.range(-30, 30),
        rotation: random.range(-0.3, 0.3),
      },
      condition: 'good',
      impressionSeed: mixSeed(impression, 7),
      strength: random.range(0.18, 0.3),
    });
  }
  let truth: FingerTruth | undefined;
  if (condition !== 'no-finger') {
    const m = master(options.personSeed, position, fingerClass);
    const severity = options.severity;
    const drawn = drawImpression(canvas, {
      master: m,
      placement,
      condition,
      impressionSeed: impression,
      ...(severity === undefined ? {} : { severity }),
    });
    truth = { ...drawn, position, fingerClass: m.fingerClass };
    applyCaptureDefects(canvas, condition, drawn, random, severity);
  }
  const pixels = developScan(
    canvas,
    new Random(mixSeed(STREAM_SCAN, options.personSeed, position, impression)),
  );
  return { image: { width, height, pixels, ppi: 500 }, condition, finger: truth };
}

function applyCaptureDefects(
  canvas: ReturnType<typeof newCanvas>,
  condition: Condition,
  drawn: ImpressionTruth,
  random: Random,
  severity?: number,
) {
  // The random draws happen whatever the severity, so the seeded stream stays the same.
  if (condition === 'smudged') {
    const length = random.range(6, 9);
    motionBlur(canvas, severity === undefined ? length : 2 + 14 * severity, random.range(0, Math.PI));
  }
  if (condition === 'moving') {
    const length = random.range(13, 20);
    motionBlur(canvas, severity === undefined ? length : 3 + 30 * severity, random.range(0, Math.PI));
  }
  if (condition === 'scarred') cutScars(canvas, drawn.box, random);
}

export interface SlapOptions {
  readonly personSeed: number;
  /** The hand placed on the glass: right or left four fingers, or both thumbs. */
  readonly hand?: string;
  readonly impression?: number;
  readonly condition?: string;
  /** Finger positions absent from the hand (amputation, bandage). */
  readonly missing?: readonly number[];
  /** An extra finger on the glass (the thumb creeping in beside a four-finger slap). */
  readonly extraFinger?: boolean;
  /** The applicant put the other hand down: the image shows the other hand's fingers. */
  readonly wrongHand?: boolean;
  /**
   * Slots that show another finger of the same person: position of the slot -> finger placed there
   * (a finger placed twice: `{ 6: 1 }` puts the right thumb in the left thumb's place too). The
   * truth's `position` is the finger shown.
   */
  readonly substitute?: Readonly<Record<number, number>>;
  readonly width?: number;
  readonly height?: number;
}

export interface RenderedSlap {
  readonly image: RenderedImage;
  readonly condition: Condition;
  /** The hand asked for. */
  readonly hand: Hand;
  /** The hand actually on the glass (differs with wrongHand). */
  readonly handShown: Hand;
  readonly fingers: readonly FingerTruth[];
  readonly missing: readonly FingerPosition[];
  readonly extra: readonly FingerTruth[];
}

/** Slot layout for a 1600 x 1500 platen, scaled to the canvas: x, y as fractions, rotation in degrees. */
const LAYOUTS: Record<Hand, readonly { position: FingerPosition; x: number; y: number; rotation: number }[]> =
  {
    // Right hand as printed: index at the left, little finger lowest at the right, fingers fanning out.
    right: [
      { position: 2, x: 0.17, y: 0.42, rotation: -11 },
      { position: 3, x: 0.39, y: 0.36, rotation: -3 },
      { position: 4, x: 0.61, y: 0.4, rotation: 5 },
      { position: 5, x: 0.82, y: 0.54, rotation: 14 },
    ],
    left: [
      { position: 10, x: 0.18, y: 0.54, rotation: -14 },
      { position: 9, x: 0.39, y: 0.4, rotation: -5 },
      { position: 8, x: 0.61, y: 0.36, rotation: 3 },
      { position: 7, x: 0.83, y: 0.42, rotation: 11 },
    ],
    // Left thumb on the left, right thumb on the right, both leaning inwards.
    thumbs: [
      { position: 6, x: 0.3, y: 0.5, rotation: 12 },
      { position: 1, x: 0.7, y: 0.5, rotation: -12 },
    ],
  };

/**
 * Renders a four-finger slap or two thumbs with known truth (positions, boxes, rotations).
 * @throws {GeneratorOptionError} for an unknown hand or condition, bad seeds or sizes, or a missing
 *   position that is not a finger of that hand.
 */
export function renderSlap(options: SlapOptions): RenderedSlap {
  const condition = validateCommon(options);
  const hand = checkOneOf('hand', options.hand ?? 'right', HANDS);
  const width = options.width ?? 1600;
  const height = options.height ?? 1500;
  checkInteger('width', width, MIN_SIDE, MAX_SIDE);
  checkInteger('height', height, MIN_SIDE, MAX_SIDE);
  const slots = LAYOUTS[hand];
  const missing = [...new Set(options.missing ?? [])];
  for (const position of missing) {
    if (!slots.some((s) => s.position === position)) {
      throw new GeneratorOptionError(
        'missing',
        `finger ${position} is not on the ${hand} slap`,
        slots.map((s) => s.position).join(', '),
      );
    }
  }
  const substitutes = new Map<FingerPosition, FingerPosition>();
  for (const [slot, finger] of Object.entries(options.substitute ?? {})) {
    checkInteger('substitute', Number(slot), 1, 10);
    checkInteger('substitute', finger, 1, 10);
    substitutes.set(Number(slot) as FingerPosition, finger as FingerPosition);
  }
  const handShown: Hand = options.wrongHand
    ? hand === 'right'
      ? 'left'
      : hand === 'left'
        ? 'right'
        : 'thumbs'
    : hand;
  const impression = options.impression ?? 0;
  const random = new Random(
    mixSeed(STREAM_PLACEMENT, options.personSeed, 100 + HANDS.indexOf(hand), impression),
  );
  const canvas = newCanvas(width, height);
  const scale = Math.min(width / 1600, height / 1500);
  const mirror = (p: FingerPosition): FingerPosition => (p <= 5 ? p + 5 : p - 5) as FingerPosition;
  const fingers: FingerTruth[] = [];
  const extra: FingerTruth[] = [];

  if (condition !== 'no-finger') {
    const shownSlots = LAYOUTS[handShown];
    for (const slot of shownSlots) {
      // Missing fingers are named by the hand asked for; with the wrong hand, its mirror is missing.
      const declared = handShown === hand ? slot.position : mirror(slot.position);
      if (missing.includes(declared)) continue;
      const shown = substitutes.get(slot.position) ?? slot.position;
      const m = master(options.personSeed, shown);
      const placement: Placement = {
        cx: slot.x * width + random.gaussian() * 18 * scale,
        cy: slot.y * height + random.gaussian() * 25 * scale,
        rotation: ((slot.rotation + random.gaussian() * 3) * Math.PI) / 180,
      };
      const drawn = drawImpression(canvas, {
        master: m,
        placement,
        condition,
        impressionSeed: mixSeed(impression, slot.position),
        elongation: hand === 'thumbs' ? 1.1 : 1.25,
      });
      fingers.push({ ...drawn, position: shown, fingerClass: m.fingerClass });
      applyCaptureDefects(
        canvas,
        condition === 'smudged' || condition === 'moving' ? 'good' : condition,
        drawn,
        random,
      );
    }
    if (condition === 'smudged' || condition === 'moving') {
      motionBlur(
        canvas,
        condition === 'moving' ? random.range(13, 20) : random.range(6, 9),
        random.range(0, Math.PI),
      );
    }
    if (options.extraFinger) {
      // The thumb of the same hand creeping onto the glass at the index side, low down.
      const thumb: FingerPosition = handShown === 'left' ? 6 : 1;
      const atRight = handShown === 'left';
      const m = master(options.personSeed, handShown === 'thumbs' ? 2 : thumb);
      const placement: Placement = {
        cx: (atRight ? 0.93 : 0.07) * width,
        cy: 0.82 * height,
        rotation: ((atRight ? -38 : 38) * Math.PI) / 180,
      };
      const drawn = drawImpression(canvas, {
        master: m,
        placement,
        condition,
        impressionSeed: mixSeed(impression, 99),
      });
      extra.push({ ...drawn, position: m.position, fingerClass: m.fingerClass });
    }
  }
  const pixels = developScan(
    canvas,
    new Random(mixSeed(STREAM_SCAN, options.personSeed, 200 + HANDS.indexOf(hand), impression)),
  );
  return {
    image: { width, height, pixels, ppi: 500 },
    condition,
    hand,
    handShown,
    fingers,
    missing: missing as FingerPosition[],
    extra,
  };
}
