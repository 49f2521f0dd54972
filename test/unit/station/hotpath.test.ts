import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWsq } from '../../../protocol/wsq/index.ts';
import { renderFinger, renderSlap } from '../../../simulators/fingerprint/generator.ts';
import { HotpathError } from '../../../station/hotpath/errors.ts';
import { Hotpath } from '../../../station/hotpath/hotpath.ts';

let hotpath: Hotpath;
beforeAll(async () => {
  hotpath = new Hotpath({ workers: 2 });
  await hotpath.ready();
});
afterAll(() => hotpath.close());

async function failure(promise: Promise<unknown>): Promise<HotpathError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HotpathError);
    return error as HotpathError;
  }
  throw new Error('expected a HotpathError, the call resolved');
}

describe('assessFinger', () => {
  it('scores a good print with NFIQ 2 measures and our minutiae, and compresses it, off the main thread', async () => {
    const { image } = renderFinger({ personSeed: 41 });
    const before = image.pixels.slice();
    const result = await hotpath.assessFinger(image);
    // Copied by default: the caller keeps its pixels.
    expect(image.pixels).toEqual(before);
    expect(result.quality.score).toBeGreaterThanOrEqual(70);
    expect(result.quality.feedback).toEqual([]);
    expect(result.quality.identity.vendorId).toBe(0);
    const measures = result.quality.measures;
    expect(measures?.FDA_Bin10_Mean).toBeGreaterThan(0);
    expect(measures?.Minutiae_Count).toBe(result.quality.minutiae.length);
    expect(result.quality.minutiae.length).toBeGreaterThan(20);
    expect(result.timings.threadId).toBeGreaterThan(0);
    expect(result.timings.stages.quality).toBeGreaterThan(0);
    expect(result.timings.stages.wsq).toBeGreaterThan(0);
    const wsq = result.wsq;
    expect(wsq).toBeInstanceOf(Uint8Array);
    const decoded = decodeWsq(wsq ?? new Uint8Array());
    expect(decoded.ok && [decoded.value.width, decoded.value.height]).toEqual([image.width, image.height]);
  });

  it('moves the pixels when asked, and skips WSQ when not wanted', async () => {
    const { image } = renderFinger({ personSeed: 42, condition: 'dry', severity: 0.9 });
    const result = await hotpath.assessFinger(image, { transferPixels: true, wsq: false });
    expect(image.pixels.byteLength).toBe(0);
    expect(result.wsq).toBeUndefined();
    expect(result.quality.feedback.map((f) => f.code)).toContain('FINGER_TOO_DRY');
  });

  it('answers an empty glass with score 0 and FINGER_NOT_DETECTED, and bad images with HOTPATH_INPUT', async () => {
    const white = { width: 500, height: 500, pixels: new Uint8Array(500 * 500).fill(255) };
    const blank = await hotpath.assessFinger(white);
    expect(blank.quality.score).toBe(0);
    expect(blank.quality.feedback[0]?.code).toBe('FINGER_NOT_DETECTED');

    const cases = [
      [{ width: 1, height: 1, pixels: new Uint8Array(1) }, 'too-small'],
      [{ width: 0, height: 0, pixels: new Uint8Array(0) }, 'empty'],
      [{ width: 500, height: 500, pixels: new Uint8Array(100) }, 'size-mismatch'],
      [{ width: 5000, height: 10, pixels: new Uint8Array(50_000) }, 'too-large'],
    ] as const;
    for (const [image, reason] of cases) {
      const error = await failure(hotpath.assessFinger(image));
      expect([error.code, error.reason]).toEqual(['HOTPATH_INPUT', reason]);
    }
    // A black image is a print of nothing: a result, never a crash.
    const black = await hotpath.assessFinger({ width: 400, height: 400, pixels: new Uint8Array(160_000) });
    expect(black.quality.score).toBeLessThan(20);
    expect(black.quality.feedback.length).toBeGreaterThan(0);
    expect(hotpath.stats().crashed).toBe(0);
  });
});

describe('assessPreview', () => {
  it('tells a finger on the glass from an empty one', async () => {
    const finger = renderFinger({ personSeed: 43, width: 400, height: 400 }).image;
    const empty = renderFinger({ personSeed: 43, width: 400, height: 400, condition: 'no-finger' }).image;
    const [on, off] = await Promise.all([hotpath.assessPreview(finger), hotpath.assessPreview(empty)]);
    expect(on.assessment.fingerPresent).toBe(true);
    expect(on.assessment.quality).toBeGreaterThan(50);
    expect(off.assessment.fingerPresent).toBe(false);
    expect(on.timings.stages.preview).toBeGreaterThan(0);
    const error = await failure(hotpath.assessPreview({ width: 4, height: 4, pixels: new Uint8Array(16) }));
    expect(error.code).toBe('HOTPATH_INPUT');
  });
});

describe('processSlap', () => {
  it('cuts a right slap into positions 2-5, scores and compresses each finger and the slap, on both workers', async () => {
    const slap = renderSlap({ personSeed: 44, hand: 'right' });
    const result = await hotpath.processSlap(slap.image, { hand: 'right' });
    expect(result.fingers.map((f) => f.position)).toEqual([2, 3, 4, 5]);
    expect(result.missing).toEqual([]);
    for (const finger of result.fingers) {
      expect(finger.quality.score).toBeGreaterThan(40);
      // The matcher's template, made in the same job: a good print compares.
      expect(finger.template?.count).toBeGreaterThan(8);
      const decoded = decodeWsq(finger.wsq ?? new Uint8Array());
      expect(decoded.ok && [decoded.value.width, decoded.value.height]).toEqual([
        finger.crop.width,
        finger.crop.height,
      ]);
      expect(finger.crop.pixels.length).toBe(finger.crop.width * finger.crop.height);
    }
    const whole = decodeWsq(result.wsq);
    expect(whole.ok && [whole.value.width, whole.value.height]).toEqual([1600, 1500]);
    // Stage timings from every part, and the work spread over both workers.
    expect(Object.keys(result.timings.stages).sort()).toEqual(['quality', 'segment', 'template', 'wsq']);
    const threads = new Set([
      result.timings.segment.threadId,
      result.timings.slapWsq.threadId,
      ...result.fingers.map((f) => f.timings.threadId),
    ]);
    expect(threads.size).toBe(2);
    expect(result.timings.wallMs).toBeGreaterThan(0);
    expect(result.budgetMs).toBe(400);
  });

  it('matches declared missing fingers, and refuses a position the hand does not have', async () => {
    const slap = renderSlap({ personSeed: 45, hand: 'left', missing: [8] });
    const result = await hotpath.processSlap(slap.image, { hand: 'left', missing: [8] });
    expect(result.fingers.map((f) => f.position)).toEqual([10, 9, 7]);
    expect(result.missing).toEqual([]);
    const error = await failure(hotpath.processSlap(slap.image, { hand: 'left', missing: [3] }));
    expect([error.code, error.reason]).toEqual(['HOTPATH_INPUT', 'invalid-option']);
  });

  it('refuses an image too small to segment, and stops every part when canceled', async () => {
    const tiny = await failure(
      hotpath.processSlap({ width: 10, height: 10, pixels: new Uint8Array(100) }, { hand: 'right' }),
    );
    expect(tiny.code).toBe('HOTPATH_INPUT');

    const slap = renderSlap({ personSeed: 46, hand: 'thumbs' });
    const controller = new AbortController();
    const pending = hotpath.processSlap(slap.image, { hand: 'thumbs', signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    expect((await failure(pending)).code).toBe('HOTPATH_CANCELED');
    // Nothing of the canceled slap is left queued, and the workers carry on.
    expect(hotpath.stats().queued).toBe(0);
    const again = await hotpath.processSlap(slap.image, { hand: 'thumbs' });
    expect(again.fingers.map((f) => f.position)).toEqual([6, 1]);
  });
});

describe('the hot path before and after its life', () => {
  it('starts no worker until asked, and refuses work once closed', async () => {
    const idle = new Hotpath({ workers: 1 });
    expect(idle.stats()).toMatchObject({ started: false, workers: 0 });
    await idle.close();
    const { image } = renderFinger({ personSeed: 47 });
    expect((await failure(idle.assessFinger(image))).code).toBe('HOTPATH_CLOSED');
    expect((await failure(idle.processSlap(image, { hand: 'right' }))).code).toBe('HOTPATH_CLOSED');
    expect(idle.stats().started).toBe(false);
  });
});
