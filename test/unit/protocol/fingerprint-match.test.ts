import { describe, expect, it } from 'vitest';
import {
  compare,
  MAX_INPUT_MINUTIAE,
  MAX_USED_MINUTIAE,
  type MatchMinutia,
  type MccTemplate,
  MIN_MINUTIAE,
  type PrepareInput,
  prepare,
} from '../../../protocol/fingerprint/match/index.ts';
import { scoreToFmr, thresholdForFmr } from '../../../protocol/fingerprint/match/thresholds.ts';
import { extractMinutiae } from '../../../protocol/fingerprint/ridges.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';

/** mulberry32: a small seeded generator, so every set here is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A fingerprint-like minutiae set: `n` points at least 12 px apart in a 280 x 340 px oval centred
 * in a 500 x 500 image, directions following a smooth flow (neighbouring minutiae roughly agree, as
 * on ridges), endings and bifurcations mixed.
 */
function minutiaeSet(seed: number, n = 45): MatchMinutia[] {
  const next = random(seed);
  const flow = next() * Math.PI;
  const curl = (next() - 0.5) * 0.02;
  const out: MatchMinutia[] = [];
  while (out.length < n) {
    const x = 250 + (next() - 0.5) * 280;
    const y = 250 + (next() - 0.5) * 340;
    if (((x - 250) / 140) ** 2 + ((y - 250) / 170) ** 2 > 1) continue;
    if (out.some((m) => Math.hypot(m.x - x, m.y - y) < 12)) continue;
    const axis = flow + curl * (x - 250) + curl * (y - 250);
    const angle = (axis + (next() < 0.5 ? 0 : Math.PI) + (next() - 0.5) * 0.3 + 4 * Math.PI) % (2 * Math.PI);
    out.push({ x, y, angle, kind: next() < 0.6 ? 'ending' : 'bifurcation' });
  }
  return out;
}

/** Turns by `theta` about the image centre and shifts; points leaving the image are dropped. */
function moved(set: readonly MatchMinutia[], theta: number, dx: number, dy: number): MatchMinutia[] {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const out: MatchMinutia[] = [];
  for (const m of set) {
    const x = 250 + c * (m.x - 250) - s * (m.y - 250) + dx;
    const y = 250 + s * (m.x - 250) + c * (m.y - 250) + dy;
    if (x < 0 || y < 0 || x >= 500 || y >= 500) continue;
    out.push({ ...m, x, y, angle: (((m.angle + theta) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI) });
  }
  return out;
}

function template(minutiae: readonly MatchMinutia[], extra: Partial<PrepareInput> = {}): MccTemplate {
  const result = prepare({ width: 500, height: 500, minutiae, ...extra });
  if (!result.ok) throw new Error(`prepare failed: ${result.error.detail}`);
  return result.value;
}

describe('the MCC matcher on minutiae sets', () => {
  const base = minutiaeSet(1);
  const self = compare(template(base), template(base));

  it('pairs every comparable minutia of a set with itself', () => {
    const t = template(base);
    expect(self.score).toBeGreaterThan(0.1);
    // Every pair it reports is a minutia with itself, and it pairs most of them.
    expect(self.pairs.every(([i, j]) => i === j)).toBe(true);
    expect(self.pairs.length).toBeGreaterThanOrEqual(Math.floor(0.8 * t.count));
  });

  it('is invariant to rotation (up to the 90 degrees it searches) and translation', () => {
    for (const [theta, dx, dy] of [
      [0.5, 20, -15],
      [-1.2, -30, 10],
      [1.45, 0, 0],
    ] as const) {
      const turned = moved(base, theta, dx, dy);
      const result = compare(template(base), template(turned));
      expect(result.score).toBeGreaterThan(0.75 * self.score);
      // The pairs found are the true correspondences (turned keeps base's order and all points).
      expect(turned).toHaveLength(base.length);
      expect(result.pairs.filter(([i, j]) => i === j).length).toBeGreaterThan(0.9 * result.pairs.length);
    }
  });

  it('does not search rotations beyond 90 degrees (a finger is not placed upside down)', () => {
    const upsideDown = compare(template(base), template(moved(base, Math.PI, 0, 0)));
    expect(upsideDown.score).toBeLessThan(0.1 * self.score);
  });

  it('keeps a genuine pair far above impostors under distortion, missing and false minutiae', () => {
    const next = random(7);
    // Up to 4 px of displacement growing away from the centre, 10 degrees of direction noise, a
    // fifth of the minutiae lost and as many false ones added: a hard genuine impression.
    const distorted: MatchMinutia[] = [];
    for (const m of moved(base, 0.3, 12, 8)) {
      if (next() < 0.2) continue;
      const r = Math.hypot(m.x - 250, m.y - 250) / 170;
      distorted.push({
        ...m,
        x: Math.min(499, Math.max(0, m.x + (next() - 0.5) * 8 * r)),
        y: Math.min(499, Math.max(0, m.y + (next() - 0.5) * 8 * r)),
        angle: (m.angle + (next() - 0.5) * 0.35 + 2 * Math.PI) % (2 * Math.PI),
      });
    }
    const noise = minutiaeSet(99, 9);
    const genuine = compare(template(base), template([...distorted, ...noise])).score;
    const impostors = [2, 3, 4, 5, 6].map(
      (seed) => compare(template(base), template(minutiaeSet(seed))).score,
    );
    expect(genuine).toBeGreaterThan(3 * Math.max(...impostors));
  });

  it('matches a partial overlap: two halves that share a third of the print', () => {
    const top = base.filter((m) => m.y < 300);
    const bottom = base.filter((m) => m.y > 200);
    const shared = compare(template(top), template(bottom));
    const impostor = compare(template(top), template(minutiaeSet(11).filter((m) => m.y > 200)));
    expect(shared.score).toBeGreaterThan(2 * impostor.score);
    expect(shared.pairs.length).toBeGreaterThan(0);
    expect(shared.pairs.every(([i, j]) => top[i] === bottom[j])).toBe(true);
  });

  it('scores the same both ways round', () => {
    const a = template(base);
    const b = template(moved(minutiaeSet(1), 0.2, 5, 5).slice(0, 38));
    expect(compare(b, a).score).toBeCloseTo(compare(a, b).score, 6);
  });

  it('compares a template sent through structuredClone (a worker) exactly as the original', () => {
    const a = template(base);
    const b = template(minutiaeSet(3));
    const copy = structuredClone(a);
    expect(compare(copy, b)).toEqual(compare(a, b));
    expect(compare(copy, copy)).toEqual(compare(a, a));
  });

  it('rescales another resolution to 500 ppi', () => {
    const doubled = base.map((m) => ({ ...m, x: 2 * m.x, y: 2 * m.y }));
    const at1000 = template(doubled, { width: 1000, height: 1000, ppi: 1000 });
    expect(compare(at1000, template(base)).score).toBeCloseTo(self.score, 4);
  });

  it('merges minutiae given twice and caps how many it uses', () => {
    const twice = template([...base, ...base.map((m) => ({ ...m, x: m.x + 0.5 }))]);
    expect(twice.minutiae).toBe(base.length);
    expect(compare(twice, template(base)).score).toBeCloseTo(self.score, 6);
    const many = template(minutiaeSet(5, 200));
    expect(many.minutiae).toBe(MAX_USED_MINUTIAE);
  });

  it('uses the given quality to choose which minutiae to keep', () => {
    const set = minutiaeSet(6, 120).map((m, i) => ({ ...m, quality: i < MAX_USED_MINUTIAE ? 90 : 10 }));
    const t = template(set);
    expect(Math.max(...t.source)).toBeLessThan(MAX_USED_MINUTIAE);
  });

  it('refuses something that is not a template', () => {
    const a = template(base);
    expect(() => compare({ ...a, format: 'other' } as unknown as MccTemplate, a)).toThrow(TypeError);
    expect(() => compare(a, { ...a, bits: new Int32Array(3) })).toThrow(TypeError);
  });
});

describe('prepare: what cannot be compared, and bad input', () => {
  it(`says 'cannot-compare' below ${MIN_MINUTIAE} minutiae, with the minimum`, () => {
    const result = prepare({ width: 500, height: 500, minutiae: minutiaeSet(1, MIN_MINUTIAE - 1) });
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'cannot-compare', found: MIN_MINUTIAE - 1, minimum: MIN_MINUTIAE },
    });
  });

  it("says 'cannot-compare' when no minutia has neighbours (too few cylinders)", () => {
    // Ten minutiae on a 150 px grid: none has another within radius + 3 sigma (98 px).
    const sparse = Array.from({ length: 10 }, (_, i) => ({
      x: 20 + 150 * (i % 3),
      y: 20 + 150 * Math.floor(i / 3),
      angle: 0,
    }));
    const result = prepare({ width: 500, height: 500, minutiae: sparse });
    expect(result).toMatchObject({ ok: false, error: { reason: 'cannot-compare', found: 0, minimum: 4 } });
  });

  it('names the bad minutia', () => {
    const set = minutiaeSet(1, 12);
    for (const [bad, index] of [
      [{ x: Number.NaN, y: 10, angle: 0 }, 3],
      [{ x: 10, y: 500, angle: 0 }, 5],
      [{ x: -1, y: 10, angle: 0 }, 0],
      [{ x: 10, y: 10, angle: Number.POSITIVE_INFINITY }, 11],
      [{ x: 10, y: 10, angle: 1, quality: 101 }, 7],
      [{ x: 10, y: 10, angle: 1, kind: 'delta' }, 2],
    ] as const) {
      const minutiae = [...set];
      minutiae[index] = bad as unknown as MatchMinutia;
      expect(prepare({ width: 500, height: 500, minutiae })).toMatchObject({
        ok: false,
        error: { reason: 'invalid-value', index },
      });
    }
  });

  it('refuses bad sizes, resolutions, foregrounds and too many minutiae', () => {
    const minutiae = minutiaeSet(1, 12);
    for (const input of [
      { width: 0, height: 500 },
      { width: 500.5, height: 500 },
      { width: 500, height: 500, ppi: 50 },
      { width: 500, height: 500, ppi: Number.NaN },
      {
        width: 500,
        height: 500,
        foreground: { block: 16, blocksWide: 31, blocksHigh: 31, inside: new Uint8Array(5) },
      },
      {
        width: 500,
        height: 500,
        foreground: { block: 16, blocksWide: 99, blocksHigh: 31, inside: new Uint8Array(99 * 31) },
      },
    ])
      expect(prepare({ minutiae, ...input }).ok === false && prepare({ minutiae, ...input })).toMatchObject({
        error: { reason: 'invalid-value' },
      });
    expect(prepare({ width: 5000, height: 500, minutiae })).toMatchObject({
      ok: false,
      error: { reason: 'too-large' },
    });
    const flood = Array.from({ length: MAX_INPUT_MINUTIAE + 1 }, () => ({ x: 1, y: 1, angle: 0 }));
    expect(prepare({ width: 500, height: 500, minutiae: flood })).toMatchObject({
      ok: false,
      error: { reason: 'too-large', found: MAX_INPUT_MINUTIAE + 1 },
    });
  });
});

describe('the matcher on generator prints, at the measured thresholds', () => {
  const templateOf = (personSeed: number, impression: number) => {
    const image = renderFinger({ personSeed, finger: 3, impression }).image;
    const extracted = extractMinutiae(image, { profile: 'template' });
    return template(extracted.minutiae);
  };
  it('matches two impressions of a finger at FMR 0.01 % and not another finger at FMR 1 %', () => {
    const a1 = templateOf(424242, 1);
    const a2 = templateOf(424242, 2);
    const b1 = templateOf(434343, 1);
    const genuine = compare(a1, a2);
    expect(genuine.score).toBeGreaterThanOrEqual(thresholdForFmr(0.0001));
    expect(scoreToFmr(genuine.score)).toBeLessThanOrEqual(0.0001);
    expect(genuine.pairs.length).toBeGreaterThanOrEqual(8);
    const impostor = compare(a1, b1);
    expect(impostor.score).toBeLessThan(thresholdForFmr(0.01));
    expect(scoreToFmr(impostor.score)).toBeGreaterThan(0.01);
  });
});
