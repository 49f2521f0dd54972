/**
 * The WSQ subband decomposition (Part 1, Annex A: the 64-subband split of the image; the same tree
 * is fixed for every image, only the rectangle sizes depend on width and height).
 *
 * The image is split five times along its low-pass corner and fewer times elsewhere. Each split
 * filters the rows, then the columns, of one rectangle and leaves four quadrants in its place:
 * top-left (low x, low y), top-right (high x), bottom-left (high y), bottom-right (high both).
 * Along an axis the low-pass half gets ceil(n/2) samples and the high-pass half floor(n/2).
 *
 * A quadrant that is high-pass along an axis holds a spectrally inverted signal, so when it is split
 * again its outputs are swapped along that axis (high-pass first). That rule is positional: the
 * top-right child of any split is inverted in x, the bottom-left in y, the bottom-right in both.
 *
 * `LAYOUT` below is the numbering of Part 1's subband figure: a leaf is a subband number, a
 * four-element node is one split into [top-left, top-right, bottom-left, bottom-right]. Subbands
 * 0-59 are coded; the level-1 high-high quadrant (numbered 60-63 in the spec) is never coded and
 * never split. Blocks (Huffman-coded units) start at subbands 0, 19 and 52.
 */

/** One 2-D analysis step over a rectangle of the image (rows first, then columns). */
export interface Split {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Outputs along x are written high-pass first (spectral inversion). */
  readonly invertX: boolean;
  /** Outputs along y are written high-pass first. */
  readonly invertY: boolean;
}

/** One coded subband: a rectangle of wavelet coefficients, row-major in the image buffer. */
export interface SubbandRect {
  readonly index: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Decomposition {
  readonly width: number;
  readonly height: number;
  /** Splits in analysis order (every parent before its children); synthesis runs them backwards. */
  readonly splits: readonly Split[];
  /** The 60 coded subbands, indexed by subband number. */
  readonly subbands: readonly SubbandRect[];
}

/** Subbands the bitstream codes; the spec's DQT still lists 64. */
export const CODED_SUBBANDS = 60;
/** Subbands the DQT lists (60-63 are never coded and carry zeros). */
export const DQT_SUBBANDS = 64;
/** First subband of each of the three blocks (Part 1: block 1 = 0-18, block 2 = 19-51, block 3 = 52-59). */
export const BLOCK_STARTS = [0, 19, 52] as const;

/** Which of the three blocks (0, 1, 2) a subband belongs to. */
export function blockOf(subband: number): 0 | 1 | 2 {
  return subband < 19 ? 0 : subband < 52 ? 1 : 2;
}

type Layout = number | readonly [Layout, Layout, Layout, Layout];
/** The never-coded level-1 high-high quadrant. */
const UNCODED = -1;

const LAYOUT: Layout = [
  [
    [
      [[0, 1, 2, 3], 4, 5, 6],
      [7, 8, 9, 10],
      [11, 12, 13, 14],
      [15, 16, 17, 18],
    ],
    [
      [19, 20, 21, 22],
      [23, 24, 25, 26],
      [27, 28, 29, 30],
      [31, 32, 33, 34],
    ],
    [
      [35, 36, 37, 38],
      [39, 40, 41, 42],
      [43, 44, 45, 46],
      [47, 48, 49, 50],
    ],
    51,
  ],
  [52, 53, 54, 55],
  [56, 57, 58, 59],
  UNCODED,
];

/**
 * The splits and subband rectangles for a width x height image (pixels). Pure arithmetic on the
 * sizes; callers validate the sizes first (encoder.ts and decoder.ts refuse anything below
 * MIN_SIDE, where some split would get fewer than two samples along an axis).
 */
export function decompose(width: number, height: number): Decomposition {
  const splits: Split[] = [];
  const subbands: SubbandRect[] = [];
  const visit = (
    node: Layout,
    x: number,
    y: number,
    w: number,
    h: number,
    invertX: boolean,
    invertY: boolean,
  ): void => {
    if (typeof node === 'number') {
      if (node !== UNCODED) subbands[node] = { index: node, x, y, width: w, height: h };
      return;
    }
    splits.push({ x, y, width: w, height: h, invertX, invertY });
    const low = (n: number) => (n + 1) >> 1;
    const high = (n: number) => n >> 1;
    const left = invertX ? high(w) : low(w);
    const top = invertY ? high(h) : low(h);
    const [tl, tr, bl, br] = node;
    visit(tl, x, y, left, top, false, false);
    visit(tr, x + left, y, w - left, top, true, false);
    visit(bl, x, y + top, left, h - top, false, true);
    visit(br, x + left, y + top, w - left, h - top, true, true);
  };
  visit(LAYOUT, 0, 0, width, height, false, false);
  return { width, height, splits, subbands };
}
