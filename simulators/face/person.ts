/**
 * A simulated person's appearance, derived from a person seed (e.g. the citizen's 12-digit id), so the
 * camera, the card's DG2 portrait and the citizen records all show the same face for the same seed.
 * Geometry is in millimetres in the head's own frame: x to the subject's left (the image's right when
 * they face the camera), y down, z toward the camera, origin between the eyes.
 */
import { Random } from '../fingerprint/random.ts';

export type Rgb = readonly [number, number, number];

/** Everything about a face that the seed decides. */
export interface Appearance {
  readonly skin: Rgb;
  readonly hair: Rgb;
  readonly iris: Rgb;
  readonly lips: Rgb;
  readonly clothing: Rgb;
  /** Cranium and jaw half-widths, mm: a wider jaw gives a squarer face. */
  readonly craniumHalfWidth: number;
  readonly jawHalfWidth: number;
  /** Chin's distance below the eye line, mm. */
  readonly chinY: number;
  /** Eye centres at ±eyeX, mm; eye half-width and open half-height, mm. */
  readonly eyeX: number;
  readonly eyeHalfWidth: number;
  readonly eyeHalfHeight: number;
  /** Brow line above the eyes (negative y), mm; brow thickness, mm. */
  readonly browY: number;
  readonly browThickness: number;
  /** Nose base below the eye line, nose half-width at the nostrils, protrusion, mm. */
  readonly noseBaseY: number;
  readonly noseHalfWidth: number;
  readonly noseProtrusion: number;
  /** Mouth line below the eye line, half-width, upper and lower lip heights, mm. */
  readonly mouthY: number;
  readonly mouthHalfWidth: number;
  readonly upperLip: number;
  readonly lowerLip: number;
  /** Hairline at the forehead (negative y), mm; hair length at the sides and back, mm below the eyes. */
  readonly hairlineY: number;
  readonly hairSideY: number;
  readonly hairBackY: number;
  /** Long hair falls behind the shoulders. */
  readonly longHair: boolean;
}

/** FNV-1a over the UTF-16 code units: a stable 32-bit number from any seed string. */
export function seedNumber(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];

/** Skin tones seen across Vietnam, light to deep (sRGB, lit). */
const SKIN_TONES: readonly Rgb[] = [
  [238, 206, 180],
  [226, 186, 154],
  [210, 162, 128],
  [190, 140, 106],
  [166, 116, 86],
];

const HAIR: readonly Rgb[] = [
  [22, 18, 17],
  [30, 24, 21],
  [42, 32, 26],
  [58, 42, 32],
];

const CLOTHING: readonly Rgb[] = [
  [235, 236, 238], // white shirt
  [40, 52, 88], // navy
  [30, 30, 34], // black
  [96, 120, 160], // light blue
  [120, 40, 44], // maroon
  [70, 84, 70], // olive
];

/**
 * The appearance for `seed`: the same seed gives the same face on every machine (sfc32 seeded with
 * FNV-1a of the string).
 */
export function appearanceFor(seed: string): Appearance {
  const r = new Random(seedNumber(seed));
  const toneAt = r.range(0, SKIN_TONES.length - 1);
  const i = Math.floor(toneAt);
  const skin = mix(SKIN_TONES[i] ?? [210, 162, 128], SKIN_TONES[i + 1] ?? [166, 116, 86], toneAt - i);
  const hair = HAIR[r.int(0, HAIR.length - 1)] ?? [22, 18, 17];
  const iris = mix([52, 34, 24], [88, 60, 40], r.next());
  const lips = mix(mix(skin, [170, 76, 78], 0.45), [150, 80, 80], r.range(0, 0.3));
  const clothing = CLOTHING[r.int(0, CLOTHING.length - 1)] ?? [235, 236, 238];
  const longHair = r.next() < 0.4;
  return {
    skin,
    hair,
    iris,
    lips,
    clothing,
    craniumHalfWidth: r.range(70, 77),
    jawHalfWidth: r.range(54, 64),
    chinY: r.range(108, 120),
    eyeX: r.range(29, 33),
    eyeHalfWidth: r.range(13, 14.5),
    eyeHalfHeight: r.range(5.2, 6.2),
    browY: r.range(-20, -15),
    browThickness: r.range(3.5, 5.5),
    noseBaseY: r.range(42, 48),
    noseHalfWidth: r.range(16, 20),
    noseProtrusion: r.range(9, 12),
    mouthY: r.range(62, 68),
    mouthHalfWidth: r.range(21, 26),
    upperLip: r.range(4, 6),
    lowerLip: r.range(5.5, 8),
    hairlineY: r.range(-72, -52),
    hairSideY: longHair ? r.range(40, 80) : r.range(-12, 6),
    hairBackY: longHair ? r.range(90, 110) : r.range(60, 85),
    longHair,
  };
}
