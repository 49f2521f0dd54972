/**
 * What the matcher takes and gives. Minutiae come from our extractor (protocol/fingerprint/ridges.ts)
 * or from a template file (ISO/IEC 19794-2, ANSI INCITS 378, NIST .xyt), so the input is a plain
 * structure, not the extractor's own type.
 */

/** Minutia types as the template standards name them; the matcher does not use the type. */
export type MatchMinutiaKind = 'ending' | 'bifurcation' | 'other';

export interface MatchMinutia {
  /** Position, px from the image's left edge, at the template's resolution (`ppi`). */
  readonly x: number;
  /** Position, px from the image's top edge (y grows downwards). */
  readonly y: number;
  /**
   * Direction, radians, y downwards (so a positive angle turns clockwise on screen); any finite
   * value, taken modulo 2 pi. Both templates of a comparison must use the same convention.
   */
  readonly angle: number;
  readonly kind?: MatchMinutiaKind;
  /** 0 (unknown or worst) .. 100 (best), as ISO/IEC 19794-2 minutia quality. */
  readonly quality?: number;
}

/**
 * Where the print is, per square block (protocol/fingerprint/ridges.ts BlockMask has this shape):
 * `inside[by * blocksWide + bx]` is 1 for a block of ridges. Blocks are in the image's own pixels.
 */
export interface Foreground {
  /** Block side, px. */
  readonly block: number;
  readonly blocksWide: number;
  readonly blocksHigh: number;
  readonly inside: Uint8Array;
}

export interface PrepareInput {
  /** Image size, px (at `ppi`): minutiae must lie inside it. */
  readonly width: number;
  readonly height: number;
  /** Resolution, pixels per inch; default 500. Everything is rescaled to 500 ppi. */
  readonly ppi?: number;
  readonly minutiae: readonly MatchMinutia[];
  /**
   * The print's foreground, when known (our extractor gives it): cylinder cells outside it are not
   * compared. Without it, the convex hull of the minutiae enlarged by 50 px stands in (the paper's
   * choice for templates that carry no image).
   */
  readonly foreground?: Foreground;
}

/**
 * A prepared template: plain numbers, strings and typed arrays only, so it survives
 * `structuredClone` and `postMessage` to a worker thread unchanged. Positions are at 500 ppi.
 */
export interface MccTemplate {
  /** Layout tag; `compare` refuses any other. */
  readonly format: typeof MCC_FORMAT;
  /** Image size at 500 ppi, px. */
  readonly width: number;
  readonly height: number;
  /** Minutiae used (after duplicates are merged and the best `MAX_USED_MINUTIAE` kept). */
  readonly minutiae: number;
  /** Valid cylinders: the template's comparable minutiae. */
  readonly count: number;
  /** Per cylinder: index of its minutia in the input list given to `prepare`. */
  readonly source: Int32Array;
  /** Per cylinder: position at 500 ppi (px) and direction (radians, [0, 2 pi)). */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly angle: Float32Array;
  /**
   * Cell bits, `CYLINDER_WORDS` 32-bit words per cylinder: cell (i, j) of section k is bit
   * (i * 16 + j) & 31 of word (i * 16 + j) >> 5) * 6 + k, so a valid-mask word's six sections are adjacent.
   */
  readonly bits: Int32Array;
  /** Valid cells, `MASK_WORDS` words per cylinder (row i, column j; the same for every section). */
  readonly valid: Int32Array;
  /** Per cylinder: set bits in `bits`. */
  readonly ones: Uint16Array;
  /** Per cylinder: 1 when every cell of the disc is valid (the comparison's fast path). */
  readonly full: Uint8Array;
  /** Per cylinder and valid-mask word: set bits in that word's six section words. */
  readonly wordOnes: Uint8Array;
  /** count x count: distance between cylinder minutiae i and j, px. */
  readonly distance: Float32Array;
  /** count x count: direction from minutia i to j relative to i's own direction, radians in [-pi, pi). */
  readonly radial: Float32Array;
}

export const MCC_FORMAT = 'mcc-16x16x6-bits/1';

/** Why `prepare` gave no template. */
export type PrepareErrorReason =
  /** Too few minutiae or cylinders to compare: never a silent non-match (see `minimum`). */
  | 'cannot-compare'
  /** A field holds a value the input does not allow (NaN, out of the image, a bad size). */
  | 'invalid-value'
  /** More minutiae than `MAX_INPUT_MINUTIAE`, or an image above `MAX_SIDE`. */
  | 'too-large';

export interface PrepareError {
  readonly reason: PrepareErrorReason;
  /** What was wrong, for logs and developers; never parsed. */
  readonly detail: string;
  /** The offending minutia's index in the input, for 'invalid-value' on one minutia. */
  readonly index?: number;
  /** For 'cannot-compare': how many were found and how many are needed. */
  readonly found?: number;
  readonly minimum?: number;
}

export type PrepareResult =
  | { readonly ok: true; readonly value: MccTemplate }
  | { readonly ok: false; readonly error: PrepareError };

export interface Comparison {
  /** Similarity 0 (nothing in common) .. 1; see thresholds.ts for the FMR a score stands for. */
  readonly score: number;
  /**
   * Paired minutiae, as indices into each template's input minutiae list: the pairs the score
   * rests on, and every other pair that is geometrically consistent with them.
   */
  readonly pairs: ReadonlyArray<readonly [number, number]>;
}
