/**
 * Slap segmentation: a four-finger slap (FAP 60, 1600 x 1500 at 500 ppi) or a two-thumb image in,
 * one upright crop per finger out, each with its ANSI/NIST finger position, its box and rotation in
 * the slap, plus the expected-count check (missing, extra) and a wrong-hand warning.
 *
 * The method (protocol/fingerprint/SEGMENTATION.md): foreground cells on an 8 px grid of a 4x box
 * downscale (segment-mask.ts), touching fingers pulled apart by a persistence watershed of the
 * distance map, one region per finger measured by its moments (centre, axis, tip, width); then a
 * small hand model picks which region is which finger (segment-hand.ts) and the crops are sampled
 * at full resolution (segment-crop.ts).
 *
 * Pure: pixels in, values out; buffers are sized from the image (bounded by MAX_SIDE).
 */

import { type DecodeResult, fail, ok } from '../result.ts';
import {
  CROP_MARGIN,
  CROP_MAX_HEIGHT,
  CROP_MAX_WIDTH,
  CROP_MIN_SIDE,
  type CropFrame,
  sampleCrop,
} from './segment-crop.ts';
import {
  assignPositions,
  type Candidate,
  type FingerPosition,
  type Hand,
  MAX_CANDIDATES,
} from './segment-hand.ts';
import {
  CELL,
  CHAMFER_STEP,
  distanceMap,
  foregroundCells,
  measureCells,
  measureRegions,
  type Region,
  reassignByShape,
  splitByPersistence,
} from './segment-mask.ts';

export { cropToSlap } from './segment-crop.ts';
export { positionsOnImage } from './segment-hand.ts';
export type { CropFrame, FingerPosition, Hand };

/** Smallest image side accepted, px: below it no finger fits (a fingertip is ~300 px at 500 ppi). */
export const MIN_SIDE = 64;
/** Largest image side accepted, px (a FAP 60 slap is 1600 x 1500; 4000 leaves room for 1000 ppi). */
export const MAX_SIDE = 4000;

export interface SegmentImage {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey, 0 = black (ridge), `width * height` bytes, 500 ppi. */
  readonly pixels: Uint8Array;
}

export interface SegmentOptions {
  /** The hand the officer asked for: four fingers of one hand, or both thumbs. */
  readonly hand: Hand;
  /** Positions declared absent (amputated, bandaged): not reported as missing when not found. */
  readonly missing?: readonly number[];
}

export interface Box {
  /** Left, top, px in the slap. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A finger-like region of the slap. */
export interface SlapRegion {
  /** Axis-aligned bounding box of the contact in the slap, px (measured on the 8 px cell grid). */
  readonly box: Box;
  /** Centroid of the contact, px. */
  readonly centre: { readonly x: number; readonly y: number };
  /**
   * Finger axis against vertical, degrees in (-90, 90], clockwise positive as seen on the image
   * (y down): positive when the tip leans to the right. Same sign as the generator's placement.
   */
  readonly rotation: number;
  /** Fingertip: where the axis leaves the contact at the top, px. */
  readonly tip: { readonly x: number; readonly y: number };
  /** Contact area, px^2. */
  readonly area: number;
}

export interface SegmentedFinger extends SlapRegion {
  /** ANSI/NIST finger position: 2-5 right index-little, 7-10 left index-little, 1 and 6 thumbs. */
  readonly position: FingerPosition;
  /**
   * The finger turned upright (tip at the top, axis vertical), 500 ppi, cut at the first joint;
   * neighbouring fingers painted white. Width 197-799 px, height 197-999 px (NFIQ 2's limits).
   */
  readonly crop: { readonly width: number; readonly height: number; readonly pixels: Uint8Array };
  /** How the crop sits in the slap: `cropToSlap(cropFrame, u, v)` maps a crop pixel back. */
  readonly cropFrame: CropFrame;
}

/**
 * The other hand seems to be on the glass. The fingers are still labelled as the declared hand;
 * to keep the capture as the other hand, segment it again with `hand: handSeen`.
 */
export interface WrongHandWarning {
  /** The hand the geometry says is on the glass. */
  readonly handSeen: 'right' | 'left';
  /** 0.5-1: how much better the other hand explains the fingertip arc, fan and sizes. */
  readonly confidence: number;
}

/** Why a segmentation that ran cannot be used as the capture asked for. Callers switch on `code`. */
export type SegmentProblemCode =
  /** No finger-like region on the glass (empty, all white, all black, only a palm-sized smear). */
  | 'SEGMENT_NO_FINGER'
  /** The image holds the other kind of capture: four fingers where two thumbs were asked for, or the reverse. */
  | 'SEGMENT_HAND_MISMATCH';

export interface SegmentProblem {
  readonly code: SegmentProblemCode;
  /** For the officer: Vietnamese first, English second; says what to do. */
  readonly message: { readonly vi: string; readonly en: string };
  /** With SEGMENT_HAND_MISMATCH: what the image holds. */
  readonly seen?: 'four-fingers' | 'thumbs';
  /** Finger-like regions found. */
  readonly regions: number;
}

export const SEGMENT_PROBLEM_MESSAGES = {
  SEGMENT_NO_FINGER: {
    vi: 'Không tìm thấy ngón tay nào trên mặt kính: đặt các ngón tay lên mặt kính rồi chụp lại.',
    en: 'No finger was found on the glass: place the fingers on the glass and capture again.',
  },
  'SEGMENT_HAND_MISMATCH/four-fingers': {
    vi: 'Ảnh có bốn ngón tay, không phải hai ngón cái: chụp lại hai ngón cái, hoặc chọn đúng bàn tay.',
    en: 'The image shows four fingers, not two thumbs: capture the two thumbs again, or choose the right hand.',
  },
  'SEGMENT_HAND_MISMATCH/thumbs': {
    vi: 'Ảnh có hai ngón cái, không phải bốn ngón tay: chụp lại bốn ngón của bàn tay đã chọn, hoặc chọn hai ngón cái.',
    en: 'The image shows two thumbs, not four fingers: capture the four fingers of the chosen hand again, or choose thumbs.',
  },
} as const;

export interface SlapSegmentation {
  readonly hand: Hand;
  /**
   * Set when the result cannot be used as asked: no finger at all, or the other kind of capture
   * (then `fingers` holds what the declared hand's model made of it, not a usable labelling).
   */
  readonly problem: SegmentProblem | undefined;
  /** Fingers found, left to right on the image. */
  readonly fingers: readonly SegmentedFinger[];
  /** Positions expected (not declared missing) but not found, ascending. */
  readonly missing: readonly FingerPosition[];
  /** Positions declared missing that were found on the glass anyway, ascending. */
  readonly unexpected: readonly FingerPosition[];
  /**
   * Regions left over, left to right: finger-like ones beyond the hand (the thumb creeping into a
   * slap), or blobs far too big for a finger (a palm, a smear).
   */
  readonly extra: readonly SlapRegion[];
  /** 0.5-1: how clearly the positions beat the next best labelling (low when a finger is absent). */
  readonly positionConfidence: number;
  /** Set when the other hand fits clearly better and labels three fingers or more; never for thumbs. */
  readonly wrongHand: WrongHandWarning | undefined;
}

export type SegmentResult = DecodeResult<SlapSegmentation>;

const HAND_FINGERS: Record<Hand, readonly FingerPosition[]> = {
  right: [2, 3, 4, 5],
  left: [7, 8, 9, 10],
  thumbs: [1, 6],
};

/** Regions below this area are dust, noise or latent traces, not fingers, px^2 (a ~160 px disc). */
const MIN_REGION_AREA = 20_000;
/** Relative to the typical finger of the same slap: smaller is a fragment, not a finger. */
const MIN_RELATIVE_AREA = 0.2;
/** Persistence of a distance-map peak that makes it a finger of its own, chamfer units (3 per cell). */
const PERSISTENCE = 4 * CHAMFER_STEP;
/** Passes of the shape-based border refinement between touching fingers. */
const SHAPE_PASSES = 2;
/** Rounds of re-splitting regions too big for one finger (three fingers pressed together need two). */
const MAX_SPLIT_ROUNDS = 3;
/** Narrower than this across its axis, a region is a line or an edge, not a finger, px. */
const MIN_FINGER_WIDTH = 100;
/** Wider than this across its axis, or larger than this, a region holds more than one finger, px. */
const MAX_FINGER_WIDTH = 500;
const MAX_FINGER_AREA = 280_000;
/** Regions larger than this are not split again (four fingers pressed together fit), px^2. */
const MAX_SPLIT_AREA = 5 * MAX_FINGER_AREA;
/**
 * The crop is cut at the first joint: this many finger widths below the tip. Tip to distal crease is
 * roughly 1.5 widths, a little more pressed on a slap; the generator's contacts end there at ~1.75.
 */
const JOINT_WIDTHS = 1.8;
/**
 * Two regions lean towards each other by at least this much, degrees (the right one's rotation minus
 * the left one's): thumbs, which lean inwards (about -24), not two fingers of one hand, which fan
 * out (index -11, middle -3, ring 5, little 14: any pair differs by +8 or more).
 */
const THUMBS_CONVERGENCE = 10;
/** The other hand must explain at least this many fingers for a wrong-hand warning. */
const MIN_FINGERS_FOR_HAND = 3;
/** The wrong-hand warning needs the other hand to explain the geometry this much better (chi-square). */
const WRONG_HAND_MARGIN = 6;

/**
 * Segments a slap into fingers.
 *
 * @returns `ok` with the fingers (possibly none: empty glass, all white, all black), or an error:
 *   `invalid-value` (sides not integers or below MIN_SIDE), `too-large` (a side above MAX_SIDE),
 *   `truncated` / `trailing-data` (the buffer is shorter / longer than width x height; the offset is
 *   where the mismatch starts)
 * @throws {RangeError} for options a caller cannot have meant: an unknown hand, or a declared missing
 *   position that is not a finger of that hand
 */
export function segmentSlap(image: SegmentImage, options: SegmentOptions): SegmentResult {
  const declared = checkOptions(options);
  const { width, height, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < MIN_SIDE || height < MIN_SIDE)
    return fail(
      'invalid-value',
      0,
      `image ${width}x${height}: sides must be whole numbers of at least ${MIN_SIDE} px`,
    );
  if (width > MAX_SIDE || height > MAX_SIDE)
    return fail('too-large', 0, `image ${width}x${height}: sides above ${MAX_SIDE} px are not accepted`);
  const expectedBytes = width * height;
  if (pixels.length < expectedBytes)
    return fail(
      'truncated',
      pixels.length,
      `${pixels.length} bytes for ${width}x${height} (${expectedBytes} needed)`,
    );
  if (pixels.length > expectedBytes)
    return fail(
      'trailing-data',
      expectedBytes,
      `${pixels.length} bytes for ${width}x${height} (${expectedBytes} expected)`,
    );

  const { regions, cells, cellsWide, cellsHigh } = findRegions(image);
  const hand = options.hand;
  const { candidates, leftOver } = classify(regions);
  const assigned = assignPositions(candidates.map(asCandidate), hand, declared, width);

  const fingers: SegmentedFinger[] = [];
  const extra: SlapRegion[] = leftOver.map(describe);
  candidates.forEach((region, k) => {
    const position = assigned.positions[k] ?? 0;
    if (position === 0) {
      extra.push(describe(region));
      return;
    }
    const frame = cropFrame(region);
    const crop = sampleCrop(image, frame, cells, cellsWide, cellsHigh, region.id);
    fingers.push({
      ...describe(region),
      position,
      crop: { width: frame.width, height: frame.height, pixels: crop },
      cropFrame: frame,
    });
  });
  fingers.sort((a, b) => a.centre.x - b.centre.x);
  extra.sort((a, b) => a.centre.x - b.centre.x);

  const found = new Set(fingers.map((f) => f.position));
  const missing = HAND_FINGERS[hand]
    .filter((p) => !found.has(p) && !declared.includes(p))
    .sort((a, b) => a - b);
  const unexpected = HAND_FINGERS[hand]
    .filter((p) => found.has(p) && declared.includes(p))
    .sort((a, b) => a - b);

  let wrongHand: WrongHandWarning | undefined;
  if (hand !== 'thumbs' && candidates.length >= MIN_FINGERS_FOR_HAND) {
    const other: Hand = hand === 'right' ? 'left' : 'right';
    const mirrored = declared.map((p) => (p <= 5 ? p + 5 : p - 5));
    const alternative = assignPositions(candidates.map(asCandidate), other, mirrored, width);
    const margin = assigned.cost - alternative.cost;
    // Two fingers say too little about the arc (a slap shifted on the platen can pass for the other
    // hand): the other hand must explain at least three of them.
    const explained = alternative.positions.filter((p) => p !== 0).length;
    if (margin > WRONG_HAND_MARGIN && explained >= MIN_FINGERS_FOR_HAND)
      wrongHand = { handSeen: other, confidence: round3(logistic(margin)) };
  }
  return ok({
    hand,
    problem: findProblem(candidates.map(asCandidate), hand, width, assigned.cost),
    fingers,
    missing,
    unexpected,
    extra,
    positionConfidence: round3(logistic(assigned.runnerUp - assigned.cost)),
    wrongHand,
  });
}

/**
 * SEGMENT_NO_FINGER without finger-like regions; SEGMENT_HAND_MISMATCH for three or more of them
 * under `thumbs` (two thumbs never make three), or for exactly two under a four-finger hand that
 * lean towards each other as thumbs do and that the thumbs model explains better.
 */
function findProblem(
  candidates: readonly Candidate[],
  hand: Hand,
  width: number,
  cost: number,
): SegmentProblem | undefined {
  const regions = candidates.length;
  if (regions === 0)
    return { code: 'SEGMENT_NO_FINGER', message: SEGMENT_PROBLEM_MESSAGES.SEGMENT_NO_FINGER, regions };
  const mismatch = (seen: 'four-fingers' | 'thumbs'): SegmentProblem => ({
    code: 'SEGMENT_HAND_MISMATCH',
    message: SEGMENT_PROBLEM_MESSAGES[`SEGMENT_HAND_MISMATCH/${seen}`],
    seen,
    regions,
  });
  if (hand === 'thumbs') return regions >= MIN_FINGERS_FOR_HAND ? mismatch('four-fingers') : undefined;
  const [a, b] = [...candidates].sort((p, q) => p.x - q.x);
  if (regions === 2 && a !== undefined && b !== undefined && b.rotation - a.rotation <= -THUMBS_CONVERGENCE) {
    if (assignPositions(candidates, 'thumbs', [], width).cost < cost) return mismatch('thumbs');
  }
  return undefined;
}

function checkOptions(options: SegmentOptions): number[] {
  const fingers = HAND_FINGERS[options.hand];
  if (fingers === undefined)
    throw new RangeError(`hand '${String(options.hand)}' is not right, left or thumbs`);
  const declared = [...new Set(options.missing ?? [])];
  for (const p of declared)
    if (!(fingers as readonly number[]).includes(p))
      throw new RangeError(`missing finger ${p} is not on the ${options.hand} slap (${fingers.join(', ')})`);
  return declared;
}

/** Chi-square difference to a probability-like confidence: 1 / (1 + e^(-d/2)). */
function logistic(difference: number): number {
  if (!Number.isFinite(difference)) return 1;
  return 1 / (1 + Math.exp(-difference / 2));
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

interface FoundRegions {
  readonly regions: readonly Region[];
  readonly cells: Int32Array;
  readonly cellsWide: number;
  readonly cellsHigh: number;
}

function findRegions(image: SegmentImage): FoundRegions {
  const grid = measureCells(image);
  const { width, height } = grid;
  const minCells = Math.ceil(MIN_REGION_AREA / (CELL * CELL));
  if (width < 2 || height < 2)
    return { regions: [], cells: new Int32Array(0), cellsWide: width, cellsHigh: height };
  const foreground = foregroundCells(grid);
  const distance = distanceMap(foreground, width, height);
  const labels = splitByPersistence(distance, width, height, PERSISTENCE);
  let map = measureRegions(labels, width, height, minCells, foreground);
  // A region too wide or too large for one finger is fingers pressed together: split it again with
  // a lower persistence, restricted to its own cells, until its parts are finger-sized.
  for (let round = 0; round < MAX_SPLIT_ROUNDS; round++) {
    let changed = false;
    for (const region of map.regions) {
      if (region.width <= MAX_FINGER_WIDTH && region.area <= MAX_FINGER_AREA) continue;
      // Larger than a whole hand of fingers pressed together: a palm or a smear, not worth splitting.
      if (region.area > MAX_SPLIT_AREA) continue;
      const own = new Uint16Array(distance.length);
      for (let i = 0; i < own.length; i++) if (map.cells[i] === region.id) own[i] = distance[i] ?? 0;
      for (let h = PERSISTENCE - 1; h >= 1; h--) {
        const sub = splitByPersistence(own, width, height, h);
        if (measureRegions(sub, width, height, minCells).regions.length < 2) continue;
        for (let i = 0; i < own.length; i++) if ((own[i] ?? 0) > 0) labels[i] = sub[i] ?? -1;
        changed = true;
        break;
      }
    }
    if (!changed) break;
    map = measureRegions(labels, width, height, minCells, foreground);
  }
  for (let pass = 0; pass < SHAPE_PASSES; pass++)
    map = measureRegions(reassignByShape(map, width, height), width, height, minCells, foreground);
  return { regions: map.regions, cells: map.cells, cellsWide: width, cellsHigh: height };
}

function asCandidate(region: Region): Candidate {
  return { x: region.x, tipY: region.tip.y, rotation: region.rotation, width: region.width };
}

/**
 * Sorts the regions: candidates for a finger position (finger-sized, at most MAX_CANDIDATES, the
 * largest), and the rest worth reporting as extra (finger-sized beyond that number, or far too big
 * for a finger even after splitting: a palm, a smear). Fragments much smaller than the slap's
 * typical finger (a broken-off piece of a dry print, dust) and thin lines (an edge) are dropped.
 */
function classify(regions: readonly Region[]): { candidates: Region[]; leftOver: Region[] } {
  const tooBig = (r: Region) => r.width > 2 * MAX_FINGER_WIDTH || r.area > 2 * MAX_FINGER_AREA;
  const fingerLike = regions.filter((r) => !tooBig(r)).sort((a, b) => b.area - a.area);
  // Typical finger: the median of the (up to) four largest finger-like regions.
  const top = fingerLike.slice(0, 4);
  const typical = top[Math.floor((top.length - 1) / 2)]?.area ?? 0;
  const sized = fingerLike.filter(
    (r) => r.area >= MIN_RELATIVE_AREA * typical && r.width >= MIN_FINGER_WIDTH,
  );
  return {
    candidates: sized.slice(0, MAX_CANDIDATES),
    leftOver: [...sized.slice(MAX_CANDIDATES), ...regions.filter(tooBig)],
  };
}

function describe(region: Region): SlapRegion {
  return {
    box: region.box,
    centre: { x: Math.round(region.x), y: Math.round(region.y) },
    rotation: Math.round(region.rotation * 10) / 10,
    tip: { x: Math.round(region.tip.x), y: Math.round(region.tip.y) },
    area: region.area,
  };
}

function cropFrame(region: Region): CropFrame {
  const cut = Math.min(region.length, JOINT_WIDTHS * region.width);
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(v)));
  return {
    tipX: region.tip.x,
    tipY: region.tip.y,
    rotation: region.rotation,
    width: clamp(region.width + 2 * CROP_MARGIN, CROP_MIN_SIDE, CROP_MAX_WIDTH),
    height: clamp(cut + 2 * CROP_MARGIN, CROP_MIN_SIDE, CROP_MAX_HEIGHT),
  };
}
