import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classicalAssessment, faceAnchor, toGreyFrame, trackFace } from '../../../protocol/face/classical.ts';
import { classicalFeedback, liveFeedback } from '../../../protocol/face/feedback.ts';
import { computeFaceMeasures } from '../../../protocol/face/measures.ts';
import { renderSyntheticPortrait, type SyntheticPortraitOptions } from '../../../protocol/face/synthetic.ts';
import type { Box } from '../../../protocol/face/types.ts';

function frameOf(options: SyntheticPortraitOptions) {
  const p = renderSyntheticPortrait(options);
  const face = p.faces[0];
  if (face === undefined) throw new Error('no face rendered');
  return { grey: toGreyFrame(p.image), face };
}

function near(a: Box, b: Box, px: number) {
  expect(Math.abs(a.x - b.x)).toBeLessThanOrEqual(px);
  expect(Math.abs(a.y - b.y)).toBeLessThanOrEqual(px);
  expect(Math.abs(a.width - b.width)).toBeLessThanOrEqual(px * 2);
}

describe('grey frame', () => {
  it('holds BT.601 luma and averages blocks when downscaled', () => {
    const data = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const full = toGreyFrame({ width: 2, height: 2, data });
    const bt601 = [0.299 * 255, 0.587 * 255, 0.114 * 255, 255];
    for (const [i, v] of full.pixels.entries()) expect(Math.abs(v - (bt601[i] ?? 0))).toBeLessThanOrEqual(1);
    const half = toGreyFrame({ width: 2, height: 2, data }, 2);
    expect(half.width).toBe(1);
    expect(half.pixels[0]).toBe(Math.round([...full.pixels].reduce((a, b) => a + b) / 4));
    expect(() => toGreyFrame({ width: 2, height: 2, data }, 0)).toThrow(RangeError);
  });
});

describe('face tracker', () => {
  const start = frameOf({ eyeMid: { x: 300, y: 200 }, seed: 3 });

  it('follows a face that moved, through a change of exposure', () => {
    const moved = frameOf({ eyeMid: { x: 323, y: 189 }, seed: 4, gain: 0.8 });
    const got = trackFace(start.grey, start.face.box, moved.grey);
    expect(got.lost).toBe(false);
    near(got.box, moved.face.box, 2);
  });

  it('keeps the box of a face that did not move (only the sensor noise changed)', () => {
    const still = frameOf({ eyeMid: { x: 300, y: 200 }, seed: 8 });
    const got = trackFace(start.grey, start.face.box, still.grey);
    expect(got.lost).toBe(false);
    expect(got.correlation).toBeGreaterThan(0.9);
    near(got.box, start.face.box, 1);
    expect(got.box.width).toBe(start.face.box.width);
  });

  it('follows a face that came closer (box about 10 % larger)', () => {
    const closer = frameOf({ eyeMid: { x: 305, y: 202 }, ied: 99, seed: 5 });
    const got = trackFace(start.grey, start.face.box, closer.grey);
    expect(got.lost).toBe(false);
    expect(got.box.width / start.face.box.width).toBeCloseTo(1.1, 1);
    expect(
      Math.abs(got.box.x + got.box.width / 2 - (closer.face.box.x + closer.face.box.width / 2)),
    ).toBeLessThan(4);
  });

  it('reports the face lost when it left', () => {
    const p = renderSyntheticPortrait({ seed: 6, eyeMid: { x: -400, y: -400 } });
    const got = trackFace(start.grey, start.face.box, toGreyFrame(p.image));
    expect(got.lost).toBe(true);
  });

  it('reports a box wholly outside the frame as lost without searching', () => {
    const got = trackFace(start.grey, { x: -500, y: -500, width: 50, height: 50 }, start.grey);
    expect(got.lost).toBe(true);
  });
});

describe('classical per-frame checks', () => {
  function live(options: SyntheticPortraitOptions) {
    const { grey, face } = frameOf(options);
    // The anchor comes from the last detection; here the frame's own landmarks.
    return classicalFeedback(classicalAssessment(grey, { box: face.box, anchor: faceAnchor(face) }));
  }

  it('passes a good frame', () => {
    expect(live({}).feedback.map((f) => f.code)).toEqual([]);
  });

  const cases: [string, SyntheticPortraitOptions, string][] = [
    ['dark', { gain: 0.3 }, 'FACE_TOO_DARK'],
    ['overexposed', { gain: 2.5 }, 'FACE_TOO_BRIGHT'],
    ['blurred', { blur: 3 }, 'FACE_BLURRY'],
    ['far', { ied: 40 }, 'FACE_MOVE_CLOSER'],
    ['too close', { ied: 200 }, 'FACE_MOVE_BACK'],
    ['off to the side', { eyeMid: { x: 70, y: 200 } }, 'FACE_NOT_CENTRED'],
  ];
  for (const [name, options, code] of cases)
    it(`${name}: ${code}`, () => {
      expect(live(options).feedback.map((f) => f.code)).toEqual([code]);
    });

  it('with no tracked face reads the frame centre and says no face', () => {
    const { grey } = frameOf({ gain: 0.3 });
    const a = classicalAssessment(grey, null);
    expect(a.region).toBe('frame-centre');
    expect(a.framing).toBeNull();
    expect(classicalFeedback(a).feedback.map((f) => f.code)).toEqual(['FACE_NOT_FOUND', 'FACE_TOO_DARK']);
  });

  it('agrees with the capture measures on framing (same thresholds, same units)', () => {
    const { grey, face } = frameOf({ eyeMid: { x: 250, y: 210 } });
    const f = classicalAssessment(grey, { box: face.box, anchor: faceAnchor(face) }).framing;
    expect(f?.ied).toBeCloseTo(90, 5);
    expect(f?.leftward).toBeCloseTo((250 - 45) / 90, 5);
    expect(f?.above).toBeCloseTo(210 / ((90 * 115) / 64), 5);
  });

  it('handles a 1x1 frame and a box outside it', () => {
    const grey = toGreyFrame({ width: 1, height: 1, data: new Uint8Array(3) });
    const anchor = { eyeMidX: 0.5, eyeMidY: 0.4, ied: 0.4, t: 0.7 };
    const a = classicalAssessment(grey, { box: { x: 10, y: 10, width: 5, height: 5 }, anchor });
    expect(a.region).toBe('frame-centre');
    expect(Number.isFinite(a.sharpness)).toBe(true);
    expect(trackFace(grey, { x: 0, y: 0, width: 1, height: 1 }, grey).lost).toBe(true);
  });
});

describe('live feedback: classical checks per frame plus the latest detection', () => {
  function step(frameOptions: SyntheticPortraitOptions, detectionOptions: SyntheticPortraitOptions | null) {
    const { grey, face } = frameOf(frameOptions);
    const classical = classicalAssessment(grey, { box: face.box, anchor: faceAnchor(face) });
    const detected = detectionOptions === null ? null : renderSyntheticPortrait(detectionOptions);
    const detection = detected === null ? null : computeFaceMeasures(detected.image, detected.faces);
    return liveFeedback(classical, detection).feedback.map((f) => f.code);
  }

  it("adds the detection's face-dependent codes to the frame's own", () => {
    expect(step({ gain: 0.3 }, { pose: { yaw: 20 } })).toEqual(['FACE_LOOK_STRAIGHT', 'FACE_TOO_DARK']);
    expect(step({}, { eyesClosed: true })).toEqual(['FACE_EYES_CLOSED']);
  });

  it('lets the fresher frame decide exposure, blur and framing', () => {
    // The detection saw a dark, blurred, distant face; this frame is fine.
    expect(step({}, { gain: 0.3, blur: 3, ied: 40 })).toEqual([]);
  });

  it('without a fresh detection gives the classical codes only', () => {
    expect(step({ blur: 3 }, null)).toEqual(['FACE_BLURRY']);
  });

  it('says backlit rather than dark when the detection saw the light behind', () => {
    expect(step({ backlit: true }, { backlit: true })).toEqual(['FACE_BACKLIT']);
  });
});

describe('classical checks on any input', () => {
  it('never throw on frames from 1x1 up and any box, and stay finite', () => {
    const num = fc.double({ min: -1e9, max: 1e9, noNaN: false });
    const box = fc.record({ x: num, y: num, width: num, height: num });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 255 }),
        box,
        fc.record({ eyeMidX: num, eyeMidY: num, ied: num, t: num }),
        (width, height, value, b, anchor) => {
          const grey = toGreyFrame({ width, height, data: new Uint8Array(width * height * 3).fill(value) });
          const tracked = trackFace(grey, b, grey);
          expect(typeof tracked.lost).toBe('boolean');
          const a = classicalAssessment(grey, { box: b, anchor });
          expect(Number.isFinite(a.luminanceMean) && Number.isFinite(a.sharpness)).toBe(true);
          expect(() => classicalFeedback(a)).not.toThrow();
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });

  it('bounds the search for a box far taller than wide', () => {
    const grey = toGreyFrame({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) });
    expect(trackFace(grey, { x: 10, y: 0, width: 3, height: 1e9 }, grey).box.width).toBeGreaterThan(0);
  });
});
