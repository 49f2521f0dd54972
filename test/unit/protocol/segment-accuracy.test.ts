/**
 * Slap segmentation against generated slaps whose truth is known (simulators/fingerprint): fingers
 * detected, positions assigned, box-centre and rotation errors, crop sizes. PRINT_SEGMENT=1 prints
 * the measurement. Thresholds were set from the measured values with a margin (SEGMENTATION.md).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type SlapSegmentation, segmentSlap } from '../../../protocol/fingerprint/segment.ts';
import { type RenderedSlap, renderSlap } from '../../../simulators/fingerprint/generator.ts';

// Two identities (masters are the slow part of a render, and the generator caches 24 of them), many
// impressions: right and left hands, thumbs, the conditions an officer meets most.
const CASES = [
  { personSeed: 41, hand: 'right', impression: 1, condition: 'good' },
  { personSeed: 41, hand: 'right', impression: 2, condition: 'dry' },
  { personSeed: 41, hand: 'right', impression: 3, condition: 'wet' },
  { personSeed: 41, hand: 'right', impression: 4, condition: 'heavy-pressure' },
  { personSeed: 42, hand: 'right', impression: 1, condition: 'good' },
  { personSeed: 42, hand: 'right', impression: 2, condition: 'dry' },
  { personSeed: 42, hand: 'right', impression: 3, condition: 'wet' },
  { personSeed: 42, hand: 'right', impression: 4, condition: 'light-touch' },
  { personSeed: 41, hand: 'left', impression: 1, condition: 'good' },
  { personSeed: 41, hand: 'left', impression: 2, condition: 'dry' },
  { personSeed: 41, hand: 'left', impression: 3, condition: 'wet' },
  { personSeed: 41, hand: 'left', impression: 4, condition: 'smudged' },
  { personSeed: 41, hand: 'left', impression: 5, condition: 'good' },
  { personSeed: 41, hand: 'thumbs', impression: 1, condition: 'good' },
  { personSeed: 41, hand: 'thumbs', impression: 2, condition: 'dry' },
  { personSeed: 41, hand: 'thumbs', impression: 3, condition: 'wet' },
  { personSeed: 41, hand: 'thumbs', impression: 4, condition: 'scarred' },
  { personSeed: 41, hand: 'thumbs', impression: 5, condition: 'good' },
] as const;

/** A finger counts as detected when a reported region's box centre lies this close to the truth's, px. */
const DETECTED_WITHIN = 60;

interface Measured {
  fingers: number;
  detected: number;
  rightPosition: number;
  centreErrors: number[];
  rotationErrors: number[];
  cropsWithinLimits: number;
  crops: number;
  /** Slaps with a missing, extra, unexpected or wrong-hand report (none is right on these). */
  falseReports: string[];
  failures: string[];
}

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

function score(slaps: readonly { rendered: RenderedSlap; result: SlapSegmentation }[]): Measured {
  const m: Measured = {
    fingers: 0,
    detected: 0,
    rightPosition: 0,
    centreErrors: [],
    rotationErrors: [],
    cropsWithinLimits: 0,
    crops: 0,
    falseReports: [],
    failures: [],
  };
  for (const { rendered, result } of slaps) {
    const name = `${rendered.hand} ${rendered.condition}`;
    for (const truth of rendered.fingers) {
      m.fingers++;
      const tx = truth.box.x + truth.box.width / 2;
      const ty = truth.box.y + truth.box.height / 2;
      const regions = [...result.fingers, ...result.extra];
      const distance = (r: (typeof regions)[number]) =>
        Math.hypot(r.box.x + r.box.width / 2 - tx, r.box.y + r.box.height / 2 - ty);
      const nearest = regions.sort((a, b) => distance(a) - distance(b))[0];
      if (nearest === undefined || distance(nearest) > DETECTED_WITHIN) {
        m.failures.push(`${name}: finger ${truth.position} not found`);
        continue;
      }
      m.detected++;
      m.centreErrors.push(distance(nearest));
      m.rotationErrors.push(Math.abs(nearest.rotation - (truth.placement.rotation * 180) / Math.PI));
      const position = 'position' in nearest ? nearest.position : 'extra';
      if (position === truth.position) m.rightPosition++;
      else m.failures.push(`${name}: finger ${truth.position} labelled ${position}`);
    }
    for (const finger of result.fingers) {
      m.crops++;
      const { width, height } = finger.crop;
      if (width >= 197 && width <= 799 && height >= 197 && height <= 999) m.cropsWithinLimits++;
    }
    if (result.missing.length + result.extra.length + result.unexpected.length > 0 || result.wrongHand)
      m.falseReports.push(
        `${name}: missing ${result.missing} extra ${result.extra.length} wrong hand ${result.wrongHand?.handSeen}`,
      );
  }
  return m;
}

describe('segmentation of generated slaps', () => {
  let measured: Measured;
  let times: number[];

  beforeAll(() => {
    const slaps = CASES.map((options) => {
      const rendered = renderSlap(options);
      const start = performance.now();
      const result = segmentSlap(rendered.image, { hand: rendered.hand });
      const ms = performance.now() - start;
      if (!result.ok) throw new Error(`segmentation failed: ${result.error.reason}: ${result.error.detail}`);
      return { rendered, result: result.value, ms };
    });
    measured = score(slaps);
    times = slaps.map((s) => s.ms);
    if (process.env.PRINT_SEGMENT) {
      console.log(
        JSON.stringify({
          slaps: slaps.length,
          fingers: measured.fingers,
          detected: measured.detected,
          rightPosition: measured.rightPosition,
          centreErrorPx: {
            median: quantile(measured.centreErrors, 0.5),
            p95: quantile(measured.centreErrors, 0.95),
            max: Math.max(...measured.centreErrors),
          },
          rotationErrorDeg: {
            median: quantile(measured.rotationErrors, 0.5),
            p95: quantile(measured.rotationErrors, 0.95),
            max: Math.max(...measured.rotationErrors),
          },
          msMedian: quantile(times, 0.5),
          failures: measured.failures,
          falseReports: measured.falseReports,
        }),
      );
    }
  }, 180_000); // renders and segments every case: a minute or more on a loaded 2-core machine

  it('detects at least 98 % of the fingers with the right position', () => {
    expect(measured.fingers).toBe(62);
    expect(measured.failures).toEqual([]);
    expect(measured.detected / measured.fingers).toBeGreaterThanOrEqual(0.98);
    expect(measured.rightPosition / measured.fingers).toBeGreaterThanOrEqual(0.98);
  });

  it('puts box centres within a few pixels of the truth (median <= 6 px, 95th percentile <= 15 px)', () => {
    expect(quantile(measured.centreErrors, 0.5)).toBeLessThanOrEqual(6);
    expect(quantile(measured.centreErrors, 0.95)).toBeLessThanOrEqual(15);
  });

  it('measures the finger rotation (median error <= 1.5 degrees, 95th percentile <= 4)', () => {
    expect(quantile(measured.rotationErrors, 0.5)).toBeLessThanOrEqual(1.5);
    expect(quantile(measured.rotationErrors, 0.95)).toBeLessThanOrEqual(4);
  });

  it('crops every finger within the NFIQ 2 size limits', () => {
    expect(measured.crops).toBe(measured.fingers);
    expect(measured.cropsWithinLimits).toBe(measured.crops);
  });

  it('reports nothing missing, extra or wrong on complete slaps of the declared hand', () => {
    expect(measured.falseReports).toEqual([]);
  });
});
