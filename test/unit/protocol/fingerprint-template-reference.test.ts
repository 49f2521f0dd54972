/**
 * The template codecs against independent references in test/fixtures/ (`templates/`, see
 * test/fixtures/README.md):
 * - NBIS 5.0 mindtct's two `.xyt` representations of the NIST 500 ppi finger (mindtct and
 *   mindtct -m1 on wsq/nistFinger_500x500_cwsq075.wsq);
 * - the sample records printed in ISO/IEC 19794-2:2005 and INCITS 378-2004 (as transcribed in the
 *   FingerprintIO project's test resources), and NIST libbiomeval's two test records;
 * - our extractor's ridge endings against mindtct's, for the position convention.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../protocol/bytes.ts';
import { extractMinutiae } from '../../../protocol/fingerprint/ridges.ts';
import {
  ENDING_SHIFT_PERIODS,
  readAnsiRecord,
  readExtendedBlocks,
  readFingerRecord,
  readIsoRecord,
  readXyt,
  type TemplateMinutia,
  templateFromExtraction,
  writeIsoRecord,
  writeXyt,
} from '../../../protocol/fingerprint/template/index.ts';
import { unwrap } from '../../../protocol/result.ts';
import { readFixture, readRepoFixture } from '../../support/fixtures.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const image = { width: 500, height: 500 };

describe('NBIS mindtct .xyt of the NIST finger', () => {
  const nistFile = readRepoFixture('templates/nistFinger_mindtct.xyt');
  const m1File = readRepoFixture('templates/nistFinger_mindtct_m1.xyt');
  const nist = unwrap(readXyt(nistFile, { ...image, variant: 'nist' }));

  it('reads 141 minutiae and writes the file back byte for byte', () => {
    expect(nist).toHaveLength(141);
    expect(writeXyt(nist, { ...image, variant: 'nist' })).toBe(text(nistFile));
  });

  it('writes from the default representation exactly what mindtct -m1 wrote: top-left origin, 2-degree units, M1 direction', () => {
    expect(writeXyt(nist, { ...image, variant: 'm1' })).toBe(text(m1File));
  });

  it('reads the -m1 file to the same positions, angles at most 1 degree (a truncated half unit) lower', () => {
    const m1 = unwrap(readXyt(m1File, { ...image, variant: 'm1' }));
    expect(m1.map((m) => [m.x, m.y, m.quality])).toEqual(nist.map((m) => [m.x, m.y, m.quality]));
    for (const [i, m] of m1.entries()) expect([0, 1]).toContain((nist[i]?.angle ?? Number.NaN) - m.angle);
  });
});

describe('the sample records of the standards', () => {
  const isoSample = readRepoFixture('templates/iso19794-2-2005_spec_sample.fmr');

  it('ISO/IEC 19794-2:2005: the sample reads as the standard describes it', () => {
    const template = unwrap(readIsoRecord(isoSample));
    expect(template).toMatchObject({ width: 512, height: 512, resolutionX: 197, resolutionY: 197 });
    const [left, right] = template.views;
    expect(left).toMatchObject({ position: 7, impression: 0, quality: 90 });
    expect(right).toMatchObject({ position: 2, impression: 0, quality: 70 });
    expect(left?.minutiae).toHaveLength(27);
    expect(right?.minutiae).toHaveLength(22);
    const near = (m: TemplateMinutia | undefined) => m && [m.kind, m.x, m.y, Math.round(m.angle), m.quality];
    expect(near(left?.minutiae[0])).toEqual(['ending', 100, 14, 113, 90]); // 112.5 degrees
    expect(near(left?.minutiae[26])).toEqual(['bifurcation', 126, 115, 172, 30]);
    expect(near(right?.minutiae[0])).toEqual(['ending', 40, 93, 0, 90]);
    expect(near(right?.minutiae[21])).toEqual(['bifurcation', 125, 73, 350, 40]);
  });

  it('ISO/IEC 19794-2:2005: writes back byte for byte, its extended block tiling only when lengths count data alone', () => {
    const template = unwrap(readIsoRecord(isoSample));
    expect(writeIsoRecord(template)).toEqual(isoSample);
    const area = template.views[1]?.extended?.data;
    expect(area).toEqual(fromHex('0221 0006 0144BC362143'));
    const blocks = unwrap(readExtendedBlocks(area ?? new Uint8Array(), 'iso19794-2:2005'));
    expect(blocks.lengthIncludesHeader).toBe(false);
    expect(blocks.blocks.map((b) => b.type)).toEqual([0x0221]);
  });

  it("INCITS 378-2004: the standard's sample is refused where it breaks its own rules: version, then an angle over 179", () => {
    const sample = readRepoFixture('templates/incits378-2004_spec_sample.fmr');
    const asIs = readAnsiRecord(sample);
    expect(asIs.ok).toBe(false);
    if (!asIs.ok) expect(asIs.error).toMatchObject({ reason: 'unsupported', offset: 4 });
    const fixed = sample.slice();
    fixed[4] = 0x20; // its version reads '020\0'
    const read = readAnsiRecord(fixed);
    expect(read.ok).toBe(false);
    if (!read.ok) {
      expect(read.error).toMatchObject({ reason: 'invalid-value', offset: 322 });
      expect(read.error.detail).toMatch(/view 2 minutia 21: angle code 213/);
    }
  });

  it("NIST libbiomeval's ISO record: its last extended block claims one byte more than the record holds", () => {
    const result = readFingerRecord(readRepoFixture('templates/libbiomeval_fmr.iso2005'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason: 'truncated', offset: 328 });
  });

  it("NIST libbiomeval's INCITS record: the core/delta block understates its length by 2, which the record's end shows", () => {
    const bytes = readRepoFixture('templates/libbiomeval_fmr.ansi2004');
    const result = readFingerRecord(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason: 'trailing-data', offset: 1236 });
  });
});

describe('ridge ending position: ours at the ridge end, the standards at the valley fork', () => {
  /**
   * Pairs our minutiae with mindtct's of the same type (its .min types are not in .xyt; endings are
   * told apart as those ours calls endings) within 10 px and 40 degrees, and returns the mean
   * offset of mindtct's position from ours along our ending direction (into the ridge), px.
   */
  function meanAlongOffset(
    ours: readonly TemplateMinutia[],
    theirs: readonly TemplateMinutia[],
  ): { n: number; mean: number } {
    let sum = 0;
    let n = 0;
    for (const m of ours) {
      if (m.kind !== 'ending') continue;
      let best: TemplateMinutia | undefined;
      let bestDistance = 10;
      for (const t of theirs) {
        const distance = Math.hypot(t.x - m.x, t.y - m.y);
        const turn = Math.abs(((t.angle - m.angle + 540) % 360) - 180);
        if (distance < bestDistance && turn < 40) {
          best = t;
          bestDistance = distance;
        }
      }
      if (!best) continue;
      const radians = (m.angle * Math.PI) / 180;
      // Direction into the ridge, in image coordinates (y downwards).
      sum += (best.x - m.x) * Math.cos(radians) - (best.y - m.y) * Math.sin(radians);
      n++;
    }
    return { n, mean: sum / n };
  }

  it('mindtct puts ridge endings in front of our ridge ends by about the 3/8 of a period we move them', () => {
    // mindtct read the WSQ file; we read NIST's reconstruction of it, the same pixels.
    const pixels = readFixture('wsq/nistFinger_500x500_cwsq075_dwsq.raw');
    const extraction = extractMinutiae({ width: 500, height: 500, pixels });
    const theirs = unwrap(
      readXyt(readRepoFixture('templates/nistFinger_mindtct.xyt'), { ...image, variant: 'nist' }),
    );
    // Our endings where the extractor found them (no shift), paired with mindtct's.
    const atRidgeEnds =
      templateFromExtraction({ ...extraction, period: 1e-6 }, image).views[0]?.minutiae ?? [];
    const measured = meanAlongOffset(atRidgeEnds, theirs);
    const shift = ENDING_SHIFT_PERIODS * extraction.period;
    expect(measured.n).toBeGreaterThanOrEqual(25);
    expect(measured.mean).toBeLessThan(-2); // theirs lie out in the valley, in front of our ridge ends
    expect(Math.abs(measured.mean + shift)).toBeLessThan(1);
    // And the template moves every ending by exactly that much, out of the ridge.
    const moved = templateFromExtraction(extraction, image).views[0]?.minutiae ?? [];
    for (const [i, m] of moved.entries()) {
      const at = atRidgeEnds[i];
      if (m.kind === 'ending' && at)
        expect(Math.hypot(m.x - at.x, m.y - at.y)).toBeLessThanOrEqual(shift + 1e-9);
    }
  });
});
