/**
 * The hot path's face jobs (issue 19): a portrait's OFIQ-aligned measures and decision, and one live
 * frame's grey copy, tracking and classical checks, computed in the workers with the pixels
 * transferred, so the event loop that serves the officer's screen never runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSyntheticPortrait } from '../../../protocol/face/synthetic.ts';
import { HotpathError } from '../../../station/hotpath/errors.ts';
import { Hotpath } from '../../../station/hotpath/hotpath.ts';

let hotpath: Hotpath;
beforeAll(async () => {
  hotpath = new Hotpath({ workers: 1 });
  await hotpath.ready();
});
afterAll(() => hotpath.close());

describe('portrait measures in the hot path', () => {
  it('accepts a good frontal portrait and asks an officer to bring a far face closer', async () => {
    const good = renderSyntheticPortrait({ seed: 3 });
    const accepted = await hotpath.assessPortrait(good.image, good.faces, { transferPixels: true });
    expect(accepted.decision).toMatchObject({ accepted: true, feedback: [] });
    expect(accepted.assessment.faceCount).toBe(1);
    expect(accepted.timings.stages['face-measures']).toBeGreaterThan(0);
    // Asked to, the pixels moved to the worker: the caller's copy is emptied, not duplicated.
    expect(good.image.data.byteLength).toBe(0);

    const far = renderSyntheticPortrait({ seed: 3, ied: 30 });
    const refused = await hotpath.assessPortrait(far.image, far.faces);
    expect(refused.decision.accepted).toBe(false);
    expect(refused.decision.feedback.map((f) => f.code)).toContain('FACE_MOVE_CLOSER');
  });

  it('gives FACE_NOT_FOUND without faces, and HOTPATH_INPUT for a raster that is not its size', async () => {
    const empty = renderSyntheticPortrait({ seed: 4 });
    const none = await hotpath.assessPortrait(empty.image, []);
    expect(none.decision.feedback.map((f) => f.code)).toEqual(['FACE_NOT_FOUND']);
    const error = await hotpath.assessPortrait({ width: 10, height: 10, data: new Uint8Array(7) }, []).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HotpathError);
    expect((error as HotpathError).code).toBe('HOTPATH_INPUT');
  });
});

describe('live frames in the hot path', () => {
  it('tracks the detected face into the next frame and checks exposure on it', async () => {
    const first = renderSyntheticPortrait({ seed: 5 });
    const face = first.faces[0];
    if (face === undefined) throw new Error('the synthetic portrait has a face');
    const start = await hotpath.assessLiveFrame(first.image, 2, null);
    expect(start.track).toBeNull();
    expect(start.classical.region).toBe('frame-centre');
    expect(start.grey).toMatchObject({ width: 320, height: 240, scale: 2 });

    // The same face 12 px to the right in the next frame.
    const moved = renderSyntheticPortrait({ seed: 5, eyeMid: { x: 332, y: 480 * 0.42 } });
    const { faceAnchor } = await import('../../../protocol/face/classical.ts');
    const next = await hotpath.assessLiveFrame(moved.image, 2, {
      grey: start.grey,
      box: face.box,
      anchor: faceAnchor(face),
    });
    expect(next.track?.lost).toBe(false);
    expect(next.track?.box.x).toBeGreaterThan(face.box.x + 6);
    expect(next.track?.box.x).toBeLessThan(face.box.x + 18);
    expect(next.classical.region).toBe('face');
    expect(next.classical.framing).not.toBeNull();
  });

  it('copies a frame decoded by sharp (memory sharp owns cannot move to a worker), and refuses to move it', async () => {
    const { decodeRgb, encodeJpeg } = await import('../../../station/imaging/sharp-images.ts');
    const portrait = renderSyntheticPortrait({ seed: 7 });
    const decoded = await decodeRgb(await encodeJpeg(portrait.image, { quality: 80 }));
    if (!decoded.ok) throw decoded.error;
    const result = await hotpath.assessLiveFrame(decoded.value, 1, null);
    expect(result.grey).toMatchObject({ width: 640, height: 480 });
    expect(decoded.value.data.byteLength).toBe(640 * 480 * 3);
    await expect(
      hotpath.assessLiveFrame(decoded.value, 1, null, { transferPixels: true }),
    ).rejects.toMatchObject({
      code: 'HOTPATH_INPUT',
    });
  });

  it('reads a dark frame as dark', async () => {
    const portrait = renderSyntheticPortrait({ seed: 6 });
    const dark = portrait.image.data.map((v) => v >> 3);
    const result = await hotpath.assessLiveFrame({ ...portrait.image, data: dark }, 1, null);
    expect(result.classical.luminanceMean).toBeLessThan(0.15);
  });
});
