/**
 * The neutral finger minutiae template every format in this folder reads into and writes from:
 * ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 records, NIST `.xyt` text, and ANSI/NIST-ITL Type-9
 * (protocol/ansi-nist/type9.ts). README.md in this folder states every convention and rounding.
 *
 * Conventions, once for all formats:
 * - x, y: pixels from the image's top-left corner, x to the right, y downwards (the ISO/INCITS
 *   origin). Numbers, not only integers: Type-9's 0.01 mm units land between pixels.
 * - angle: degrees in [0, 360), counter-clockwise from the +x axis as the image is viewed (so with y
 *   downwards, a direction (dx, dy) has angle atan2(-dy, dx)). It points as ISO/IEC 19794-2 and
 *   INCITS 378 define: for a ridge ending, along the ridge away from its end; for a bifurcation,
 *   into the valley between the two branches. Degrees, because the three format units (360/256,
 *   2 and 1 degrees) are exact in a double as degrees, so conversions between formats round once.
 * - position: ridge endings are placed where the standards place them, at the fork of the valley
 *   in front of the ridge end (not at the end of the ridge skeleton, where our extractor finds them;
 *   extracted.ts moves them).
 */

export type TemplateMinutiaKind = 'ending' | 'bifurcation' | 'other';

export interface TemplateMinutia {
  /** px from the left edge of the image. */
  readonly x: number;
  /** px from the top edge of the image. */
  readonly y: number;
  /** Degrees in [0, 360), counter-clockwise as the image is viewed; direction as above. */
  readonly angle: number;
  readonly kind: TemplateMinutiaKind;
  /** 1..100; undefined when not reported (0 in the binary formats). */
  readonly quality?: number;
}

/** ISO/IEC 19794-2:2005 Table 2 and INCITS 378-2004 finger position codes (0 unknown). */
export const FINGER_POSITIONS = [
  'unknown',
  'right thumb',
  'right index',
  'right middle',
  'right ring',
  'right little',
  'left thumb',
  'left index',
  'left middle',
  'left ring',
  'left little',
] as const;

/**
 * Impression types (ISO/IEC 19794-2:2005 Table 3; INCITS 378-2004 adds nothing we write):
 * 0 live-scan plain, 1 live-scan rolled, 2 non-live plain, 3 non-live rolled, 8 swipe.
 */
export const IMPRESSION_TYPES: ReadonlySet<number> = new Set([0, 1, 2, 3, 8]);

/** One finger view of a record (ISO/IEC 19794-2:2005 §7.4, INCITS 378-2004 §6.5). */
export interface FingerView {
  /** Finger position code 0..10 (FINGER_POSITIONS). */
  readonly position: number;
  /** View number 0..15: several views of the same finger are numbered from 0. */
  readonly viewNumber: number;
  /** Impression type (IMPRESSION_TYPES). */
  readonly impression: number;
  /** Finger quality 0..100. */
  readonly quality: number;
  readonly minutiae: readonly TemplateMinutia[];
  /**
   * The view's extended data area (ridge counts, cores and deltas, vendor blocks) as read, kept
   * opaque so the record writes back byte for byte in the same format. It is format-specific
   * (angle units, block lengths), so a writer of the other format leaves it out.
   */
  readonly extended?: { readonly format: RecordFormat; readonly data: Uint8Array };
}

/** The two binary record formats, both 'FMR\0' version ' 20\0'. */
export type RecordFormat = 'iso19794-2:2005' | 'incits378:2004';

/** A finger minutiae record: the header's image and device facts, then the finger views. */
export interface FingerTemplate {
  /** Image width and height, px (1..65535 in the binary formats). */
  readonly width: number;
  readonly height: number;
  /** Image resolution, pixels per centimetre (the binary formats' unit; 197 for 500 ppi). */
  readonly resolutionX: number;
  readonly resolutionY: number;
  /**
   * Capture equipment: the 4-bit compliance field (INCITS 378: its top bit says the device is
   * certified to Appendix F of the FBI's IAFIS specification) and the 12-bit device type id.
   */
  readonly equipment: { readonly compliance: number; readonly id: number };
  /**
   * INCITS 378's CBEFF product identifier (owner and type, IBIA-registered); ISO/IEC 19794-2:2005
   * has none. PRODUCT_UNKNOWN when absent.
   */
  readonly product?: { readonly owner: number; readonly type: number };
  readonly views: readonly FingerView[];
}

/**
 * IBIA's registered placeholder organisation "vendor unknown" (0x0103): we hold no CBEFF vendor id
 * of our own yet, and 0x0000 is not a valid owner.
 */
export const PRODUCT_UNKNOWN = { owner: 0x0103, type: 0 } as const;

/** Pixels per centimetre of a resolution in pixels per inch, rounded (500 ppi -> 197). */
export function ppcmOfPpi(ppi: number): number {
  return Math.round(ppi / 2.54);
}

/** Pixels per inch of a resolution in pixels per centimetre (197 -> 500.38). */
export function ppiOfPpcm(ppcm: number): number {
  return ppcm * 2.54;
}

/** An angle in degrees folded into [0, 360). */
export function normalizeDegrees(degrees: number): number {
  const folded = degrees % 360;
  return folded < 0 ? folded + 360 : folded === 360 ? 0 : folded;
}

/** Rounds half up (towards +infinity): the one rounding every writer here uses. */
export function roundHalfUp(value: number): number {
  return Math.floor(value + 0.5);
}

/*
 * Angle units. Degrees are exact in a double for each unit (k * 45/32, 2k, k), so reading and
 * writing the same format gives the same code back, and a conversion between formats rounds once,
 * half up: ISO 360/256 -> INCITS 2 degrees is floor((45 k + 32) / 64) mod 180, ties at k = 32, 96,
 * 160, 224 (45, 135, 225, 315 degrees) going up; INCITS -> ISO is round(64 k / 45) mod 256, which
 * never ties (128 k is even, 90 j + 45 is odd).
 */

/** ISO/IEC 19794-2:2005 angle code (units of 360/256 degree) of an angle in degrees. */
export function isoAngleCode(degrees: number): number {
  return roundHalfUp((normalizeDegrees(degrees) * 32) / 45) % 256;
}

/** Degrees of an ISO/IEC 19794-2:2005 angle code 0..255. */
export function degreesOfIsoCode(code: number): number {
  return (code * 45) / 32;
}

/** INCITS 378-2004 angle code (units of 2 degrees, 0..179) of an angle in degrees. */
export function ansiAngleCode(degrees: number): number {
  return roundHalfUp(normalizeDegrees(degrees) / 2) % 180;
}

/** Degrees of an INCITS 378-2004 angle code 0..179. */
export function degreesOfAnsiCode(code: number): number {
  return code * 2;
}

/**
 * A template that cannot be written: a programmer error or a bad conversion input (a minutia
 * outside the image, a field out of its range), named by where it is.
 */
export class TemplateWriteError extends RangeError {
  override readonly name = 'TemplateWriteError';
  readonly code = 'TEMPLATE_WRITE_INVALID';
  constructor(
    /** Where: `view 2 minutia 14 x`. */
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
  }
}

/**
 * Checks that `value` is an integer in `min..max` for a writer.
 * @throws {TemplateWriteError} naming `where` otherwise.
 */
export function requireRange(value: number, min: number, max: number, where: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TemplateWriteError(where, `${value} is not an integer in ${min}..${max}`);
  return value;
}
