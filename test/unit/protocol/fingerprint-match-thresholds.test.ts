import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  descending,
  equalErrorRate,
  nextAbove,
  operatingPoint,
  summarizeRates,
  thresholdAt,
} from '../../../bench/match/det.ts';
import { fmrGrid, thresholdsDataText, thresholdTable } from '../../../bench/match/thresholds-writer.ts';
import {
  DEFAULT_FMR,
  FLOOR_SCORE,
  FMR_FLOOR,
  FMR_TABLE,
  IMPOSTOR_COMPARISONS,
  scoreToFmr,
  thresholdForFmr,
} from '../../../protocol/fingerprint/match/thresholds.ts';

describe('the measured thresholds (thresholds.ts)', () => {
  it('come from enough impostor comparisons to state FMR 0.01 % and the default FMR', () => {
    expect(IMPOSTOR_COMPARISONS).toBeGreaterThanOrEqual(300_000);
    expect(FMR_FLOOR).toBeCloseTo(1 / IMPOSTOR_COMPARISONS, 12);
    expect(DEFAULT_FMR).toBeGreaterThanOrEqual(FMR_FLOOR);
    for (const fmr of [0.01, 0.001, 0.0001]) expect(FMR_TABLE.some((p) => p.fmr === fmr)).toBe(true);
  });

  it('order FMR down as the score goes up, and name each table point exactly', () => {
    for (let k = 1; k < FMR_TABLE.length; k++) {
      const previous = FMR_TABLE[k - 1] as { fmr: number; score: number };
      const point = FMR_TABLE[k] as { fmr: number; score: number };
      expect(point.fmr).toBeLessThan(previous.fmr);
      expect(point.score).toBeGreaterThanOrEqual(previous.score);
      expect(thresholdForFmr(point.fmr)).toBe(point.score);
    }
    expect(FLOOR_SCORE).toBeGreaterThanOrEqual((FMR_TABLE.at(-1) as { score: number }).score);
  });

  it('turn a score into its FMR and back', () => {
    for (const fmr of [0.05, 0.01, 0.003, 0.001, 0.0004, 0.0001]) {
      expect(scoreToFmr(thresholdForFmr(fmr))).toBeCloseTo(fmr, 10);
    }
    let previous = 1;
    for (let score = 0; score <= 2 * FLOOR_SCORE; score += FLOOR_SCORE / 200) {
      const fmr = scoreToFmr(score);
      expect(fmr).toBeLessThanOrEqual(previous);
      expect(fmr).toBeGreaterThanOrEqual(FMR_FLOOR);
      previous = fmr;
    }
    expect(scoreToFmr(FLOOR_SCORE)).toBe(FMR_FLOOR);
    expect(scoreToFmr(1)).toBe(FMR_FLOOR);
    expect(scoreToFmr(0)).toBe(1);
    expect(scoreToFmr(Number.NaN)).toBe(1);
  });

  it('refuse an FMR the table cannot state', () => {
    for (const fmr of [0, FMR_FLOOR / 2, 1.5, Number.NaN, -0.01])
      expect(() => thresholdForFmr(fmr)).toThrow(RangeError);
  });
});

describe('error rates from scores (bench/match/det.ts)', () => {
  // Ten impostor scores 1..10 and eight genuine ones; every figure below is counted by hand.
  const impostors = descending([3, 1, 4, 10, 5, 9, 2, 6, 8, 7]);
  const genuine = [6.5, 8, 9.5, 11, 12, 13, 7.5, 20];

  it('sets the threshold just above the impostor that would exceed the target FMR', () => {
    // FMR 20 %: two impostors (10 and 9) may match, so the threshold is just above 8.
    expect(thresholdAt(impostors, 0.2)).toBe(nextAbove(8));
    const point = operatingPoint(genuine, impostors, 0.2);
    expect(point.fmr).toBeCloseTo(0.2, 12);
    // Genuine below 8+: 6.5 and 7.5 and 8 itself: 3 of 8.
    expect(point.fnmr).toBeCloseTo(3 / 8, 12);
    // FMR 10 %: only 10 may match; genuine below 9+ are 6.5, 7.5, 8: 3 of 8 (9.5 passes).
    expect(operatingPoint(genuine, impostors, 0.1).fnmr).toBeCloseTo(3 / 8, 12);
  });

  it('cannot state an FMR below one impostor in the set', () => {
    expect(Number.isNaN(thresholdAt(impostors, 0.05))).toBe(true);
    expect(Number.isNaN(operatingPoint(genuine, impostors, 0.05).fnmr)).toBe(true);
  });

  it('finds the equal error rate where FMR and FNMR cross', () => {
    // Threshold 8: FMR 3/10 (8, 9, 10), FNMR 2/8 (6.5, 7.5): the closest pair, mean 0.275.
    const eer = equalErrorRate(genuine, impostors);
    expect(eer.threshold).toBe(8);
    expect(eer.eer).toBeCloseTo((0.3 + 0.25) / 2, 12);
  });

  it('counts the genuine pairs that could not be compared as non-matches when asked', () => {
    const summary = summarizeRates(genuine, impostors, [0.2], 2);
    expect(summary.points[0]?.fnmr).toBeCloseTo(3 / 8, 12);
    expect(summary.fnmrWithFailures[0]).toBeCloseTo(5 / 10, 12);
  });

  it('writes a threshold table on a 1-2-5 grid down to the run resolution', () => {
    expect(fmrGrid(1000)).toEqual([1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]);
    const table = thresholdTable(impostors);
    expect(table.points.map((p) => p.fmr)).toEqual([1, 0.5, 0.2, 0.1]);
    expect(table.points.map((p) => p.score)).toEqual([0, nextAbove(5), nextAbove(8), nextAbove(9)]);
    expect(table.floor).toBe(0.1);
    expect(table.floorScore).toBe(nextAbove(10));
  });

  it('writes the table as data only, which reads back as the same numbers (thresholds rounded up)', async () => {
    const table = thresholdTable(impostors);
    const text = thresholdsDataText(table, 'Run of test: 10 impostors.');
    // Constants only: the functions live in the hand-written thresholds.ts.
    expect(text).not.toMatch(/\bfunction\b|=>/);
    expect(text).toContain('Run of test: 10 impostors.');
    const dir = mkdtempSync(path.join(tmpdir(), 'thresholds-data-'));
    try {
      const file = path.join(dir, 'thresholds-data.ts');
      writeFileSync(file, text);
      const data = (await import(
        pathToFileURL(file).href
      )) as typeof import('../../../protocol/fingerprint/match/thresholds-data.ts');
      expect(data.THRESHOLD_SOURCE).toBe('Run of test: 10 impostors.');
      expect(data.IMPOSTOR_COMPARISONS).toBe(10);
      expect(data.FMR_FLOOR).toBe(0.1);
      expect(data.FMR_TABLE.map((p) => p.fmr)).toEqual([1, 0.5, 0.2, 0.1]);
      data.FMR_TABLE.forEach((p, k) => {
        const measured = table.points[k]?.score ?? Number.NaN;
        expect(p.score).toBeGreaterThanOrEqual(measured);
        expect(p.score - measured).toBeLessThan(1e-6);
      });
      expect(data.FLOOR_SCORE).toBeGreaterThanOrEqual(table.floorScore);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
