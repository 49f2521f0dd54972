/**
 * Issue 20's station-side checks end to end in the hot path: a 4-4-2 set as the simulated HID
 * scanner presents it in each enrollment-mistake scenario (its slapPlacement, rendered by the
 * generator), segmented, templated and compared in the pool. Each mistake yields its finding; clean
 * sets yield none (100 clean sets are in `npm run bench:match`, part set-checks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MccTemplate } from '../../protocol/fingerprint/match/index.ts';
import { compare } from '../../protocol/fingerprint/match/index.ts';
import { thresholdForFmr } from '../../protocol/fingerprint/match/thresholds.ts';
import { checkRecapture, type SetFinger, type SlapGeometry } from '../../protocol/fingerprint/set-checks.ts';
import { renderFinger, renderSlap } from '../../simulators/fingerprint/generator.ts';
import { type HidScenario, slapPlacement } from '../../simulators/scanner/hid-scanner-sim.ts';
import { Hotpath } from '../../station/hotpath/hotpath.ts';
import { SET_CHECK_FMR } from '../../station/hotpath/jobs.ts';

let hotpath: Hotpath;
beforeAll(async () => {
  hotpath = new Hotpath({ workers: 2 });
  await hotpath.ready();
});
afterAll(async () => {
  await hotpath?.close();
});

/** The three captures of a 4-4-2 set in `scenario`, through the hot path, and their set check. */
async function tenPrint(personSeed: number, scenario: HidScenario) {
  const fingers: SetFinger<MccTemplate>[] = [];
  const geometry: { left?: SlapGeometry['left']; right?: SlapGeometry['right'] } = {};
  for (const hand of ['right', 'left', 'thumbs'] as const) {
    const slap = renderSlap({ personSeed, hand, impression: 3, ...slapPlacement(scenario, hand) });
    const result = await hotpath.processSlap(slap.image, { hand });
    for (const f of result.fingers) fingers.push({ position: f.position, template: f.template });
    if (hand !== 'thumbs' && result.wrongHand !== undefined) geometry[hand] = result.wrongHand;
  }
  return hotpath.checkSet(fingers, { geometry });
}

const codes = (r: { findings: readonly { code: string }[] }) => r.findings.map((f) => f.code);

describe('the station-side checks on simulated 4-4-2 sets', () => {
  it('say nothing on clean sets, after all 45 comparisons', async () => {
    for (const seed of [301, 302]) {
      const r = await tenPrint(seed, 'good');
      expect(r.comparisons).toHaveLength(45);
      expect(codes(r)).toEqual([]);
      expect(r.fmr).toBe(SET_CHECK_FMR);
    }
  }, 120_000);

  it('same-hand-twice: the right hand again on the left slap', async () => {
    const r = await tenPrint(303, 'same-hand-twice');
    expect(codes(r)).toEqual(['SAME_HAND_TWICE']);
    expect(r.findings[0]?.evidence.length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('finger-twice: the right thumb in both thumb places', async () => {
    const r = await tenPrint(304, 'finger-twice');
    expect(codes(r)).toEqual(['THUMB_TWICE']);
  }, 120_000);

  it('hands-swapped: every finger different, told by the slaps geometry', async () => {
    const r = await tenPrint(305, 'hands-swapped');
    expect(codes(r)).toEqual(['HANDS_SWAPPED']);
  }, 120_000);

  it('finger-changed: a recapture that is another finger is flagged; the same finger again is not', async () => {
    const template = async (finger: number, impression: number) => {
      const { image } = renderFinger({ personSeed: 306, finger, impression });
      return (await hotpath.assessFinger(image, { wsq: false })).template;
    };
    const comparer = {
      compare: (a: MccTemplate, b: MccTemplate) => compare(a, b).score,
      matched: (s: number) => s >= thresholdForFmr(SET_CHECK_FMR),
    };
    const first = await template(2, 1);
    expect(checkRecapture(2, first, await template(2, 2), comparer)).toBeNull();
    expect(checkRecapture(2, first, await template(3, 2), comparer)).toMatchObject({
      code: 'RECAPTURE_OTHER_FINGER',
    });
  }, 60_000);
});
