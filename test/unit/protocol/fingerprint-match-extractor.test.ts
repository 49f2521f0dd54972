import { describe, expect, it } from 'vitest';
import { extractMinutiae, foregroundBlocks, type Minutia } from '../../../protocol/fingerprint/ridges.ts';
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
    // The same dry impression: breaks along the ridges make false endings in pairs. The template
    // profile also reaches fainter ridges (its lower foreground floor), so both are counted over
    // the classic profile's foreground, the region both search.
    const image = renderFinger({
      personSeed: 515,
      finger: 2,
      impression: 3,
      condition: 'dry',
      severity: 0.7,
    }).image;
    const region = foregroundBlocks(image, 16);
    const inRegion = (m: { x: number; y: number }) =>
      region.inside[Math.floor(m.y / region.block) * region.blocksWide + Math.floor(m.x / region.block)] ===
      1;
    const classic = extractMinutiae(image).minutiae.filter(inRegion).length;
    const template = extractMinutiae(image, { profile: 'template' }).minutiae.filter(inRegion).length;
    expect(classic).toBeGreaterThan(50);
    expect(template).toBeLessThan(0.7 * classic);
  });
});

describe("extractMinutiae, 'template' profile, minutia directions", () => {
  /**
   * Horizontal ridges 10 px apart with one extra ridge starting at the centre (a phase dislocation:
   * phase 2 pi y / 10 + atan2(y - c, x - c)), so that right of the centre there is one ridge more
   * than left of it. With ink on cos(phase) = 1 the centre is a fork opening rightwards or a ridge
   * ending whose ridge goes right; the inverted image gives the other type. Either way the
   * minutia's direction (into the fork; into the ending's ridge) is +x.
   */
  function dislocation(invert: boolean) {
    const size = 192;
    const c = size / 2;
    const pixels = new Uint8Array(size * size).fill(235);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        if (Math.hypot(x - c, y - c) > size * 0.45) continue;
        const phase = ((y - c) / 10) * 2 * Math.PI + Math.atan2(y - c, x - c);
        const ink = (1 + (invert ? -1 : 1) * Math.cos(phase)) / 2;
        pixels[y * size + x] = Math.round(235 - 200 * ink);
      }
    return { image: { width: size, height: size, pixels }, c };
  }

  it('points a bifurcation into its fork and an ending into its ridge', () => {
    const kinds = new Set<string>();
    for (const invert of [false, true]) {
      const { image, c } = dislocation(invert);
      const found = extractMinutiae(image, { profile: 'template' }).minutiae;
      const near = found.filter((m) => Math.hypot(m.x - c, m.y - c) < 8);
      expect(near).toHaveLength(1);
      const m = near[0] as Minutia;
      kinds.add(m.kind);
      expect(gap(m.angle, 0)).toBeLessThan((20 * Math.PI) / 180);
    }
    expect(kinds).toEqual(new Set(['ending', 'bifurcation']));
  });
});
