/**
 * From our extractor's minutiae (ridges.ts) to the neutral template (model.ts), and back.
 *
 * Two conventions differ, and nothing else:
 * - angle: ridges.ts gives radians in [0, 2 pi) measured with y downwards (clockwise as the image is
 *   viewed); the template gives degrees counter-clockwise. Both point the same way (along the ridge
 *   away from an ending, into the fork of a bifurcation), which is INCITS 378's and ISO's direction.
 * - ridge ending position: ridges.ts finds an ending where the thinned ridge stops; ISO/IEC
 *   19794-2:2005 and INCITS 378-2004 place it at the fork of the valley skeleton in front of the
 *   ridge end. The template's ending sits ENDING_SHIFT_PERIODS ridge periods further out, away from
 *   the ridge. Bifurcations are at the ridge fork in both.
 */
import type { MinutiaeResult } from '../ridges.ts';
import {
  type FingerTemplate,
  normalizeDegrees,
  PRODUCT_UNKNOWN,
  ppcmOfPpi,
  type TemplateMinutia,
  type TemplateMinutiaKind,
} from './model.ts';

/**
 * How far, in ridge periods, the valley fork lies beyond the end of the ridge skeleton. Measured:
 * on the NIST 500 ppi finger (shared fixtures), NBIS mindtct, whose "M1" output NIST made to
 * INCITS 378, puts ridge endings about 3.5 px beyond ours along the ridge (mean over 45 endings
 * paired by position and angle; 3.4 px over the 39 also paired by type) at a ridge period of 9 px,
 * and its bifurcations within 0.3 px of ours on average: 3/8 of a period.
 */
export const ENDING_SHIFT_PERIODS = 0.375;

/** Ridge period at 500 ppi when none is measured (9 px, 0.46 mm; typical prints are 8-11 px). */
export const NOMINAL_PERIOD_500PPI = 9;

/** The most minutiae a view of the binary formats holds (a one-byte count). */
export const MAX_VIEW_MINUTIAE = 255;

/** What a minutia of ridges.ts looks like, read structurally (quality 0..100 is optional). */
export interface ExtractedMinutia {
  readonly x: number;
  readonly y: number;
  readonly kind: 'ending' | 'bifurcation';
  /** Radians in [0, 2 pi), y downwards. */
  readonly angle: number;
  readonly quality?: number;
}

export interface TemplateImage {
  /** px */
  readonly width: number;
  readonly height: number;
  /** Scan resolution, pixels per inch; 500 when not given. */
  readonly ppi?: number;
}

export interface ViewFacts {
  /** Finger position 0..10; 0 (unknown) when not given. */
  readonly position?: number;
  /** Impression type; 0 (live-scan plain) when not given. */
  readonly impression?: number;
  /** Finger quality 0..100 (our quality score); 0 when not given. */
  readonly quality?: number;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Degrees counter-clockwise of a ridges.ts angle (radians, y downwards). */
export function degreesOfExtractorAngle(radians: number): number {
  return normalizeDegrees(360 - (radians * 180) / Math.PI);
}

/** A ridges.ts angle (radians in [0, 2 pi), y downwards) of degrees counter-clockwise. */
export function extractorAngleOfDegrees(degrees: number): number {
  const radians = ((360 - normalizeDegrees(degrees)) * Math.PI) / 180;
  return radians >= 2 * Math.PI ? radians - 2 * Math.PI : radians;
}

/**
 * At most `limit` minutiae, as ISO/IEC 19794-2:2011 §9.3.2 asks a card's minutiae to be cut: the lowest
 * quality first, and among equals the farthest from the centre of mass. Order is kept.
 */
export function limitMinutiae<
  T extends { readonly x: number; readonly y: number; readonly quality?: number },
>(minutiae: readonly T[], limit: number): T[] {
  if (minutiae.length <= limit) return [...minutiae];
  let cx = 0;
  let cy = 0;
  for (const m of minutiae) {
    cx += m.x;
    cy += m.y;
  }
  cx /= minutiae.length;
  cy /= minutiae.length;
  const ranked = minutiae
    .map((m, index) => ({ index, quality: m.quality ?? 0, distance: Math.hypot(m.x - cx, m.y - cy) }))
    .sort((a, b) => b.quality - a.quality || a.distance - b.distance || a.index - b.index)
    .slice(0, limit)
    .map((r) => r.index)
    .sort((a, b) => a - b);
  return ranked.map((i) => minutiae[i] as T);
}

/**
 * Template minutiae of extracted ones: angles to degrees counter-clockwise, ridge endings moved
 * `ENDING_SHIFT_PERIODS * period` px out of the ridge (kept inside the image). Quality is kept when
 * the extractor gives it (0 reads as not reported).
 * @param period ridge period, px (MinutiaeResult.period)
 */
export function templateMinutiae(
  minutiae: readonly ExtractedMinutia[],
  period: number,
  image: { readonly width: number; readonly height: number },
): TemplateMinutia[] {
  const shift =
    ENDING_SHIFT_PERIODS * (Number.isFinite(period) && period > 0 ? period : NOMINAL_PERIOD_500PPI);
  return minutiae.map((m) => {
    const ending = m.kind === 'ending';
    const quality = m.quality === undefined ? undefined : clamp(Math.round(m.quality), 0, 100);
    return {
      x: ending ? clamp(m.x - shift * Math.cos(m.angle), 0, image.width - 1) : m.x,
      y: ending ? clamp(m.y - shift * Math.sin(m.angle), 0, image.height - 1) : m.y,
      angle: degreesOfExtractorAngle(m.angle),
      kind: m.kind,
      ...(quality === undefined || quality === 0 ? {} : { quality }),
    };
  });
}

/**
 * A one-view template of an extraction, ready for writeIsoRecord / writeAnsiRecord / writeXyt:
 * the image size and resolution, the view facts given, and at most 255 minutiae (limitMinutiae).
 */
export function templateFromExtraction(
  result: Pick<MinutiaeResult, 'minutiae' | 'period'>,
  image: TemplateImage,
  view: ViewFacts = {},
): FingerTemplate {
  const ppcm = ppcmOfPpi(image.ppi ?? 500);
  const minutiae = limitMinutiae(templateMinutiae(result.minutiae, result.period, image), MAX_VIEW_MINUTIAE);
  return {
    width: image.width,
    height: image.height,
    resolutionX: ppcm,
    resolutionY: ppcm,
    equipment: { compliance: 0, id: 0 },
    product: PRODUCT_UNKNOWN,
    views: [
      {
        position: view.position ?? 0,
        viewNumber: 0,
        impression: view.impression ?? 0,
        quality: view.quality ?? 0,
        minutiae,
      },
    ],
  };
}

/** A template minutia in ridges.ts's conventions; `other` stays `other` (ridges.ts has none). */
export interface ExtractorLikeMinutia {
  readonly x: number;
  readonly y: number;
  readonly kind: TemplateMinutiaKind;
  /** Radians in [0, 2 pi), y downwards. */
  readonly angle: number;
  readonly quality?: number;
}

/**
 * The inverse of templateMinutiae: radians with y downwards, and ridge endings moved back onto the
 * ridge by `ENDING_SHIFT_PERIODS * period` px. For a template from elsewhere the ridge period is
 * not known: NOMINAL_PERIOD_500PPI scaled to the template's resolution is a fair guess.
 * @param period ridge period, px
 */
export function extractorMinutiae(
  minutiae: readonly TemplateMinutia[],
  period: number,
): ExtractorLikeMinutia[] {
  const shift = ENDING_SHIFT_PERIODS * period;
  return minutiae.map((m) => {
    const angle = extractorAngleOfDegrees(m.angle);
    const ending = m.kind === 'ending';
    return {
      x: ending ? m.x + shift * Math.cos(angle) : m.x,
      y: ending ? m.y + shift * Math.sin(angle) : m.y,
      kind: m.kind,
      angle,
      ...(m.quality === undefined ? {} : { quality: m.quality }),
    };
  });
}
