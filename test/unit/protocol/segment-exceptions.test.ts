/**
 * The expected-count check and the wrong-hand warning against generated slaps: fingers missing
 * (declared or not), an extra finger (the thumb creeping in), the other hand on the glass.
 * PRINT_SEGMENT=1 prints every case's outcome.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type SlapSegmentation, segmentSlap } from '../../../protocol/fingerprint/segment.ts';
import {
  type RenderedSlap,
  renderSlap,
  type SlapOptions,
} from '../../../simulators/fingerprint/generator.ts';

type Hand = 'right' | 'left' | 'thumbs';

interface Case {
  readonly name: string;
  /** What is on the glass (hand asked for, missing, extra finger, wrong hand). */
  readonly render: SlapOptions & { readonly hand: Hand };
  /** What the officer declares as missing, if anything. */
  readonly declare?: readonly number[];
  /** Expected positions left to right: of the declared hand, or with the wrong hand, of the hand seen. */
  readonly positions: readonly number[];
  readonly missing: readonly number[];
  readonly unexpected?: readonly number[];
  readonly extra: number;
  readonly handSeen?: 'right' | 'left';
}

// One identity for every case (its ten masters stay in the generator's cache).
const P = 43;
const CASES: readonly Case[] = [
  {
    name: 'right, ring finger absent, not declared',
    render: { personSeed: P, hand: 'right', impression: 11, missing: [4] },
    positions: [2, 3, 5],
    missing: [4],
    extra: 0,
  },
  {
    name: 'right, ring finger absent and declared',
    render: { personSeed: P, hand: 'right', impression: 11, missing: [4] },
    declare: [4],
    positions: [2, 3, 5],
    missing: [],
    extra: 0,
  },
  {
    name: 'right, index absent (an end of the arc), dry',
    render: { personSeed: P, hand: 'right', impression: 12, missing: [2], condition: 'dry' },
    positions: [3, 4, 5],
    missing: [2],
    extra: 0,
  },
  {
    name: 'right, little finger absent (an end of the arc), wet',
    render: { personSeed: P, hand: 'right', impression: 13, missing: [5], condition: 'wet' },
    positions: [2, 3, 4],
    missing: [5],
    extra: 0,
  },
  {
    name: 'left, middle and little absent',
    render: { personSeed: P, hand: 'left', impression: 14, missing: [8, 10] },
    positions: [9, 7],
    missing: [8, 10],
    extra: 0,
  },
  {
    name: 'left, ring absent but the middle declared',
    render: { personSeed: P, hand: 'left', impression: 15, missing: [9] },
    declare: [8],
    positions: [10, 8, 7],
    missing: [9],
    unexpected: [8],
    extra: 0,
  },
  {
    name: 'right with the thumb creeping in',
    render: { personSeed: P, hand: 'right', impression: 16, extraFinger: true },
    positions: [2, 3, 4, 5],
    missing: [],
    extra: 1,
  },
  {
    name: 'left with the thumb creeping in and the little finger absent, dry',
    render: {
      personSeed: P,
      hand: 'left',
      impression: 17,
      extraFinger: true,
      missing: [10],
      condition: 'dry',
    },
    positions: [9, 8, 7],
    missing: [10],
    extra: 1,
  },
  {
    name: 'thumbs, left thumb absent',
    render: { personSeed: P, hand: 'thumbs', impression: 18, missing: [6] },
    positions: [1],
    missing: [6],
    extra: 0,
  },
  {
    name: 'thumbs with an extra finger',
    render: { personSeed: P, hand: 'thumbs', impression: 19, extraFinger: true },
    positions: [6, 1],
    missing: [],
    extra: 1,
  },
  {
    name: 'right asked, left hand shown',
    render: { personSeed: P, hand: 'right', impression: 20, wrongHand: true },
    positions: [10, 9, 8, 7],
    missing: [],
    extra: 0,
    handSeen: 'left',
  },
  {
    name: 'left asked, right hand shown, wet',
    render: { personSeed: P, hand: 'left', impression: 21, wrongHand: true, condition: 'wet' },
    positions: [2, 3, 4, 5],
    missing: [],
    extra: 0,
    handSeen: 'right',
  },
  {
    name: 'right asked (index declared missing), left hand shown',
    render: { personSeed: P, hand: 'right', impression: 22, wrongHand: true, missing: [2] },
    declare: [2],
    positions: [10, 9, 8],
    missing: [],
    extra: 0,
    handSeen: 'left',
  },
];

interface Outcome {
  readonly test: Case;
  readonly rendered: RenderedSlap;
  readonly result: SlapSegmentation;
  /** With a wrong-hand warning: the slap segmented again as the hand seen. */
  readonly asSeen: SlapSegmentation | undefined;
}

function segment(rendered: RenderedSlap, hand: Hand, declare: readonly number[] | undefined) {
  const result = segmentSlap(rendered.image, { hand, ...(declare ? { missing: declare } : {}) });
  if (!result.ok) throw new Error(`segmentation failed: ${result.error.reason}: ${result.error.detail}`);
  return result.value;
}

describe('missing, extra and wrong-hand reports on generated slaps', () => {
  const outcomes: Outcome[] = [];

  beforeAll(() => {
    // Cases that differ only in what is declared share one render.
    const renders = new Map<string, RenderedSlap>();
    for (const test of CASES) {
      const key = JSON.stringify(test.render);
      const rendered = renders.get(key) ?? renderSlap(test.render);
      renders.set(key, rendered);
      const result = segment(rendered, test.render.hand, test.declare);
      const mirrored = test.declare?.map((p) => (p <= 5 ? p + 5 : p - 5));
      const asSeen = result.wrongHand ? segment(rendered, result.wrongHand.handSeen, mirrored) : undefined;
      outcomes.push({ test, rendered, result, asSeen });
      if (process.env.PRINT_SEGMENT) {
        const { fingers, missing, unexpected, extra, wrongHand, positionConfidence } = result;
        console.log(
          JSON.stringify({
            case: test.name,
            positions: fingers.map((f) => f.position),
            missing,
            unexpected,
            extra: extra.length,
            wrongHand,
            positionConfidence,
          }),
        );
      }
    }
  });

  it('assigns the positions of the fingers present by the arc and spacing, whatever is absent', () => {
    for (const { test, result, asSeen } of outcomes) {
      // With the wrong hand, the slap segmented again as the hand seen must label it right.
      const slap = test.handSeen ? asSeen : result;
      expect(
        slap?.fingers.map((f) => f.position),
        test.name,
      ).toEqual(test.positions);
    }
  });

  it('reports undeclared absent fingers as missing, and declared ones found anyway as unexpected', () => {
    for (const { test, result } of outcomes) {
      if (test.handSeen) continue;
      expect(result.missing, test.name).toEqual(test.missing);
      expect(result.unexpected, test.name).toEqual(test.unexpected ?? []);
    }
  });

  it('reports the thumb creeping into a slap as extra, near where it lies', () => {
    for (const { test, result, rendered } of outcomes) {
      if (test.handSeen) continue;
      expect(result.extra.length, test.name).toBe(test.extra);
      const truth = rendered.extra[0];
      const found = result.extra[0];
      if (truth === undefined || found === undefined) continue;
      const dx = found.box.x + found.box.width / 2 - (truth.box.x + truth.box.width / 2);
      const dy = found.box.y + found.box.height / 2 - (truth.box.y + truth.box.height / 2);
      if (process.env.PRINT_SEGMENT) console.log(test.name, 'extra centre error', Math.hypot(dx, dy));
      expect(Math.hypot(dx, dy), test.name).toBeLessThan(15);
    }
  });

  it('warns of the wrong hand with high confidence, and never when the declared hand is on the glass', () => {
    for (const { test, result } of outcomes) {
      if (test.handSeen === undefined) {
        expect(result.wrongHand, test.name).toBeUndefined();
        continue;
      }
      expect(result.wrongHand?.handSeen, test.name).toBe(test.handSeen);
      expect(result.wrongHand?.confidence, test.name).toBeGreaterThanOrEqual(0.95);
    }
  });
});
