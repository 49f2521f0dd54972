/**
 * Which finger is which: a small geometric model of a hand on the platen, and the assignment of the
 * finger-like regions to its slots (or to "extra") that fits it best.
 *
 * Positions are the ANSI/NIST-ITL 1-2011 finger position codes (FGP): 1 right thumb, 2-5 right
 * index to little, 6 left thumb, 7-10 left index to little.
 *
 * The model, in a canonical frame where the index finger is at the left (a right hand as printed;
 * a left hand is mirrored into it):
 * - fingertips on an arc: the middle finger's tip highest, the ring and index a little lower, the
 *   little finger's clearly lowest (generator layout, docs/fingerprint-generator.md, and real hands);
 *   the arc turns with the hand, whose rotation is read off the fan of the fingers;
 * - fingers side by side at a regular spacing, about one finger width (a gap of two spacings is a
 *   finger missing there), fanning out: index leaning towards the thumb, little finger away from it;
 * - the little finger about 12 % narrower than the others;
 * - a weak prior that the hand is roughly centred on the platen.
 * Each term is a squared residual in units of its spread, so the cost of an assignment reads like a
 * chi-square; missing and extra fingers pay a fixed price. All assignments that keep the left-to-right
 * order are tried (at most a few hundred), and the cheapest wins.
 */

export type Hand = 'right' | 'left' | 'thumbs';
export type FingerPosition = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

/** What the model needs of a finger-like region, slap px and degrees (clockwise positive). */
export interface Candidate {
  /** Centroid, px from the left of the image. */
  readonly x: number;
  /** Fingertip height, px from the top. */
  readonly tipY: number;
  readonly rotation: number;
  /** Across the finger axis, px. */
  readonly width: number;
}

interface SlotModel {
  /** Tip height below the highest slot's tip, finger widths (the hand's spacing / `spacing`). */
  readonly tipDrop: number;
  /** Rotation, degrees clockwise, canonical frame. */
  readonly rotation: number;
  /** Centre as a fraction of the image width, canonical frame. */
  readonly x: number;
  /** Width relative to an index or middle finger. */
  readonly width: number;
}

interface HandModel {
  readonly slots: readonly SlotModel[];
  /** Spread of the tip heights around the arc, finger widths. */
  readonly tipSpread: number;
  /** Spread of each finger's rotation around the fan, degrees. */
  readonly rotationSpread: number;
  /** Spread of the whole hand's rotation, degrees (a free offset with this prior). */
  readonly handRotationSpread: number;
  /** Spread of the centre around its slot, fraction of the image width. */
  readonly xSpread: number;
  /** Centre-to-centre distance of neighbouring slots, contact widths (0: no spacing term). */
  readonly spacing: number;
  /** Spread of the hand's spacing around `spacing`, contact widths (a light touch shrinks contacts). */
  readonly spacingPriorSpread: number;
  /** Spread of each gap around the hand's own spacing, relative. */
  readonly spacingSpread: number;
  /** Spread of a contact's width around its slot's, relative. */
  readonly widthSpread: number;
}

// Four fingers, canonical (index at the left): tip heights and fan measured on the generator's
// layout (simulators/fingerprint/generator.ts, LAYOUTS.right) with contact sizes from master.ts;
// spreads wide enough for the generator's jitter and for real hands that tilt a little.
const FOUR_FINGERS: HandModel = {
  slots: [
    { tipDrop: 0.28, rotation: -11, x: 0.17, width: 1 },
    { tipDrop: 0, rotation: -3, x: 0.39, width: 1 },
    { tipDrop: 0.18, rotation: 5, x: 0.61, width: 1 },
    { tipDrop: 0.89, rotation: 14, x: 0.82, width: 0.88 },
  ],
  tipSpread: 0.15,
  rotationSpread: 5,
  handRotationSpread: 10,
  xSpread: 0.15,
  spacing: 1.03,
  spacingPriorSpread: 0.3,
  spacingSpread: 0.12,
  widthSpread: 0.1,
};

// Two thumbs: left thumb on the left of the image, right thumb on the right, both leaning inwards
// (generator LAYOUTS.thumbs). Their rotation is absolute: with two slots a free offset would absorb it.
const THUMBS: HandModel = {
  slots: [
    { tipDrop: 0, rotation: 12, x: 0.3, width: 1 },
    { tipDrop: 0, rotation: -12, x: 0.7, width: 1 },
  ],
  tipSpread: 0.2,
  rotationSpread: 9,
  handRotationSpread: 0,
  xSpread: 0.15,
  spacing: 0,
  spacingPriorSpread: 1,
  spacingSpread: 1,
  widthSpread: 0.15,
};

/** Positions of the canonical slots, left to right in the canonical frame. */
const POSITIONS: Record<Hand, readonly FingerPosition[]> = {
  right: [2, 3, 4, 5],
  left: [7, 8, 9, 10],
  thumbs: [6, 1],
};

/** The finger positions of a hand, left to right as they appear on the image. */
export function positionsOnImage(hand: Hand): readonly FingerPosition[] {
  return hand === 'left' ? [...POSITIONS.left].reverse() : POSITIONS[hand];
}

/** Price of an expected finger not found, and of a finger-like region left over (chi-square units). */
const MISSING_COST = 10;
const EXTRA_COST = 10;
/** Price of finding a finger in a slot the caller declared missing: below EXTRA_COST, so a finger
 * that fits the slot is reported there (as unexpected) rather than as extra. */
const DECLARED_MISSING_COST = 6;
/** At most this many candidates enter the enumeration (the largest); more are extra outright. */
export const MAX_CANDIDATES = 7;

export interface Assignment {
  /** Per candidate: its finger position, or 0 for extra. */
  readonly positions: readonly (FingerPosition | 0)[];
  /** Cost of the best assignment (chi-square-like, lower is better). */
  readonly cost: number;
  /** Cost of the best assignment that labels some candidate differently; Infinity if none. */
  readonly runnerUp: number;
}

/**
 * Best assignment of `candidates` to the slots of `hand`.
 * @param candidates slap px and degrees; at most MAX_CANDIDATES (the enumeration grows as n^4)
 * @param imageWidth px, for the centring prior and the left-hand mirror
 * @param declaredMissing positions the caller said are absent
 * @throws {RangeError} for more than MAX_CANDIDATES candidates
 */
export function assignPositions(
  candidates: readonly Candidate[],
  hand: Hand,
  declaredMissing: readonly number[],
  imageWidth: number,
): Assignment {
  if (candidates.length > MAX_CANDIDATES)
    throw new RangeError(`${candidates.length} candidates, at most ${MAX_CANDIDATES} are assigned`);
  const model = hand === 'thumbs' ? THUMBS : FOUR_FINGERS;
  const positions = POSITIONS[hand];
  const mirror = hand === 'left';
  const n = candidates.length;
  // Canonical frame: mirror a left hand so that its index finger is at the left too.
  const canon = candidates.map((c) => ({
    x: mirror ? imageWidth - c.x : c.x,
    tipY: c.tipY,
    rotation: mirror ? -c.rotation : c.rotation,
    width: c.width,
  }));
  const order = canon.map((_, i) => i).sort((a, b) => (canon[a]?.x ?? 0) - (canon[b]?.x ?? 0));
  const declared = positions.map((p) => declaredMissing.includes(p));

  const slotOf = new Int8Array(n).fill(-1); // by rank in `order`
  let best = Number.POSITIVE_INFINITY;
  let runnerUp = Number.POSITIVE_INFINITY;
  let bestSlots = Int8Array.from(slotOf);

  const score = (): number => {
    let cost = 0;
    const used = new Uint8Array(model.slots.length);
    const picked: { c: (typeof canon)[number]; slot: SlotModel; s: number }[] = [];
    for (let rank = 0; rank < n; rank++) {
      const s = slotOf[rank] ?? -1;
      const c = canon[order[rank] ?? 0];
      const slot = model.slots[s];
      if (s < 0 || c === undefined || slot === undefined) {
        cost += EXTRA_COST;
        continue;
      }
      used[s] = 1;
      picked.push({ c, slot, s });
    }
    for (let s = 0; s < model.slots.length; s++) {
      if (used[s] === 1 && declared[s]) cost += DECLARED_MISSING_COST;
      if (used[s] === 0 && !declared[s]) cost += MISSING_COST;
    }
    const count = picked.length;
    if (count === 0) return cost;

    // Finger width of this hand: the median contact width, the little finger scaled up to the others.
    const scaled = picked.map((p) => p.c.width / p.slot.width).sort((a, b) => a - b);
    const fingerWidth = scaled[Math.floor((count - 1) / 2)] ?? 1;
    for (const p of picked) cost += ((p.c.width / p.slot.width / fingerWidth - 1) / model.widthSpread) ** 2;

    // Slot spacing: the gaps between neighbours, per slot, agree with each other (a gap twice the
    // others is a finger missing between them) and with the finger width. The spacing, not the
    // contact width, sets the scale of the arc: a light touch shrinks contacts, not the hand.
    let unit = fingerWidth;
    if (model.spacing > 0 && count >= 2) {
      const gaps: number[] = [];
      for (let k = 1; k < count; k++) {
        const a = picked[k - 1];
        const b = picked[k];
        if (a !== undefined && b !== undefined) gaps.push((b.c.x - a.c.x) / (b.s - a.s));
      }
      const spacing = gaps.reduce((sum, g) => sum + g, 0) / gaps.length;
      if (spacing <= 0) return Number.POSITIVE_INFINITY;
      for (const g of gaps) cost += ((g / spacing - 1) / model.spacingSpread) ** 2;
      cost += ((spacing / fingerWidth - model.spacing) / model.spacingPriorSpread) ** 2;
      unit = spacing / model.spacing;
    }

    // The hand's own rotation: a free offset of the fan with a prior (MAP). The fingertip arc turns
    // with the hand, so the tips are compared after undoing that tilt, then with a free height.
    let rotSum = 0;
    let xSum = 0;
    for (const p of picked) {
      rotSum += p.c.rotation - p.slot.rotation;
      xSum += p.c.x;
      cost += ((p.c.x / imageWidth - p.slot.x) / model.xSpread) ** 2;
    }
    let rotOffset = 0;
    if (model.handRotationSpread > 0) {
      rotOffset = rotSum / (count + (model.rotationSpread / model.handRotationSpread) ** 2);
      cost += (rotOffset / model.handRotationSpread) ** 2;
    }
    const tilt = Math.tan((rotOffset * Math.PI) / 180);
    const xMean = xSum / count;
    const level = (p: (typeof picked)[number]) => (p.c.tipY - tilt * (p.c.x - xMean)) / unit - p.slot.tipDrop;
    let tipSum = 0;
    for (const p of picked) tipSum += level(p);
    const tipOffset = tipSum / count;
    for (const p of picked) {
      cost += ((level(p) - tipOffset) / model.tipSpread) ** 2;
      cost += ((p.c.rotation - p.slot.rotation - rotOffset) / model.rotationSpread) ** 2;
    }
    return cost;
  };

  const visit = (rank: number, lastSlot: number): void => {
    if (rank === n) {
      const cost = score();
      if (cost < best) {
        runnerUp = best;
        best = cost;
        bestSlots = Int8Array.from(slotOf);
      } else if (cost < runnerUp) {
        runnerUp = cost;
      }
      return;
    }
    slotOf[rank] = -1;
    visit(rank + 1, lastSlot);
    for (let s = lastSlot + 1; s < model.slots.length; s++) {
      slotOf[rank] = s;
      visit(rank + 1, s);
    }
    slotOf[rank] = -1;
  };
  visit(0, -1);

  const result: (FingerPosition | 0)[] = candidates.map(() => 0);
  for (let rank = 0; rank < n; rank++) {
    const s = bestSlots[rank] ?? -1;
    const position = s >= 0 ? positions[s] : undefined;
    result[order[rank] ?? 0] = position ?? 0;
  }
  return { positions: result, cost: best, runnerUp };
}
