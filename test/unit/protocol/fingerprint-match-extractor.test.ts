import { describe, expect, it } from 'vitest';
import { extractMinutiae, type Minutia } from '../../../protocol/fingerprint/ridges.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';

/**
 * Parallel ridges `period` px apart at angle `theta` (dark ridges on light glass) inside a disc;
 * `cut` erases ridge ink where it returns true.
 */
function stripes(size: number, period: number, theta: number, cut?: (x: number, y: number) => boolean) {
  const pixels = new Uint8Array(size * size).fill(235);
  const nx = -Math.sin(theta);
  const ny = Math.cos(theta);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (Math.hypot(x - size / 2, y - size / 2) > size * 0.45) continue;
      const ink = (1 + Math.cos(((x * nx + y * ny) / period) * 2 * Math.PI)) / 2;
      pixels[y * size + x] = Math.round(235 - 200 * (cut?.(x, y) ? 0 : ink));
    }
  }
  return { width: size, height: size, pixels };
}

/** Angle between two directions, radians in [0, pi]. */
function gap(a: number, b: number): number {
  const d = Math.abs(a - b) % (2 * Math.PI);
  return d > Math.PI ? 2 * Math.PI - d : d;
}

describe("extractMinutiae, 'template' profile", () => {
  it('grades each minutia 1..100 and leaves the classic profile as it was (no quality)', () => {
    const image = renderFinger({ personSeed: 515, finger: 2, impression: 3 }).image;
    const template = extractMinutiae(image, { profile: 'template' }).minutiae;
    expect(template.length).toBeGreaterThan(20);
    for (const m of template)
      expect(Number.isInteger(m.quality) && (m.quality ?? 0) >= 1 && (m.quality ?? 0) <= 100).toBe(true);
    // Not one grade for all: the grade tells minutiae apart.
    expect(new Set(template.map((m) => m.quality)).size).toBeGreaterThan(5);
    const classic = extractMinutiae(image).minutiae;
    expect(classic.every((m) => !('quality' in m))).toBe(true);
    expect(extractMinutiae(image, { profile: 'classic' }).minutiae).toEqual(classic);
  });

  it('takes the direction from the ridge flow: within 5 degrees on straight ridges cut at a slant', () => {
    // Ridges at 36 degrees, 10 px apart, one ridge cut across a 40 px gap: two endings whose ridges
    // leave along +-(cos 36, sin 36). The skeleton alone is a few pixels long and steps in 45s.
    const theta = Math.PI / 5;
    const along = (x: number, y: number) => (x - 128) * Math.cos(theta) + (y - 128) * Math.sin(theta);
    const across = (x: number, y: number) => -(x - 128) * Math.sin(theta) + (y - 128) * Math.cos(theta);
    const image = stripes(256, 10, theta, (x, y) => Math.abs(across(x, y)) < 5 && Math.abs(along(x, y)) < 20);
    const classic = extractMinutiae(image).minutiae;
    const template = extractMinutiae(image, { profile: 'template' }).minutiae;
    const error = (list: readonly Minutia[]) =>
      Math.max(...list.map((m) => Math.min(gap(m.angle, theta), gap(m.angle, theta + Math.PI))));
    expect(template.filter((m) => m.kind === 'ending')).toHaveLength(2);
    expect(error(template)).toBeLessThan((5 * Math.PI) / 180);
    expect(error(template)).toBeLessThanOrEqual(error(classic));
    // And which way: each ending's ridge leaves away from the gap.
    for (const m of template) {
      const outward = Math.sign(along(m.x, m.y));
      expect(Math.sign(Math.cos(m.angle - theta))).toBe(outward);
    }
  });

  it('removes the two endings of a ridge broken by a short gap, as a scar or dry skin leaves it', () => {
    // Vertical ridges, one broken over 22 px (about 2 periods): the classic profile reports the two
    // ends as minutiae; they are one ridge.
    const image = stripes(256, 10, Math.PI / 2, (x, y) => Math.abs(x - 130) < 5 && y > 117 && y < 139);
    expect(extractMinutiae(image).minutiae.filter((m) => m.kind === 'ending')).toHaveLength(2);
    expect(extractMinutiae(image, { profile: 'template' }).minutiae).toEqual([]);
    // A longer break is a real pair of endings (a ridge that stops and another that starts).
    const long = stripes(256, 10, Math.PI / 2, (x, y) => Math.abs(x - 130) < 5 && y > 98 && y < 158);
    expect(
      extractMinutiae(long, { profile: 'template' }).minutiae.filter((m) => m.kind === 'ending'),
    ).toHaveLength(2);
  });

  it('finds fewer false minutiae on a dry finger than the classic profile', () => {
    // The same dry impression: breaks along the ridges make false endings in pairs.
    const image = renderFinger({
      personSeed: 515,
      finger: 2,
      impression: 3,
      condition: 'dry',
      severity: 0.7,
    }).image;
    const classic = extractMinutiae(image).minutiae.length;
    const template = extractMinutiae(image, { profile: 'template' }).minutiae.length;
    expect(template).toBeLessThan(0.7 * classic);
  });
});
