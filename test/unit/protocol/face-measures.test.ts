import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeFaceMeasures, FACE_MEASURE_NAMES } from '../../../protocol/face/measures.ts';
import { estimateHeadPose, GENERIC_FACE_68, projectModel } from '../../../protocol/face/pose.ts';
import { renderSyntheticPortrait } from '../../../protocol/face/synthetic.ts';
import type { DetectedFace, Point, RgbImage } from '../../../protocol/face/types.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('head pose from landmarks', () => {
  const poses = [
    { yaw: 0, pitch: 0, roll: 0 },
    { yaw: 20, pitch: 0, roll: 0 },
    { yaw: -25, pitch: 5, roll: 0 },
    { yaw: 0, pitch: 15, roll: 0 },
    { yaw: 0, pitch: -15, roll: 0 },
    { yaw: 0, pitch: 0, roll: 12 },
    { yaw: 10, pitch: -8, roll: -6 },
  ];
  it('recovers yaw, pitch and roll of the generic face, with their signs', () => {
    for (const pose of poses) {
      const lm = projectModel(GENERIC_FACE_68, pose, { x: 320, y: 240 }, 1.4);
      const got = estimateHeadPose(lm);
      expect(got).not.toBeNull();
      expect(got?.yaw).toBeCloseTo(pose.yaw, 3);
      expect(got?.pitch).toBeCloseTo(pose.pitch, 3);
      expect(got?.roll).toBeCloseTo(pose.roll, 3);
    }
  });

  it('stays within 3 degrees when the landmarks are off by a pixel or two', () => {
    const next = seeded(7);
    for (const pose of poses) {
      const lm = projectModel(GENERIC_FACE_68, pose, { x: 320, y: 240 }, 1.4).map((p) => ({
        x: p.x + (next() - 0.5) * 3,
        y: p.y + (next() - 0.5) * 3,
      }));
      const got = estimateHeadPose(lm);
      expect(Math.abs((got?.yaw ?? 99) - pose.yaw)).toBeLessThan(3);
      expect(Math.abs((got?.pitch ?? 99) - pose.pitch)).toBeLessThan(3);
      expect(Math.abs((got?.roll ?? 99) - pose.roll)).toBeLessThan(3);
    }
  });

  it('roll follows the eye line: the eye on the image right lower is positive', () => {
    const lm = projectModel(GENERIC_FACE_68, { yaw: 0, pitch: 0, roll: 10 }, { x: 100, y: 100 }, 1);
    expect((lm[45]?.y ?? 0) > (lm[36]?.y ?? 0)).toBe(true);
    expect(estimateHeadPose(lm)?.roll).toBeGreaterThan(0);
  });

  it('degenerate landmarks give null, not a throw', () => {
    expect(estimateHeadPose(Array.from({ length: 68 }, () => ({ x: 5, y: 5 })))).toBeNull();
    expect(estimateHeadPose([])).toBeNull();
  });
});

describe('measures of a good synthetic portrait', () => {
  const { image, faces } = renderSyntheticPortrait({ ied: 90 });
  const a = computeFaceMeasures(image, faces);
  const m = a.measures;

  it('reads the geometry OFIQ defines: IED, T-based head size, crops', () => {
    expect(m.InterEyeDistance?.raw).toBeCloseTo(90, 5);
    // T = eye midpoint to chin: 115 mm at 64 mm IED on the generic face.
    expect(m.HeadSize?.raw).toBeCloseTo((90 * 115) / 64 / 480, 3);
    expect(m.LeftwardCropOfTheFaceImage?.raw).toBeCloseTo((320 - 45) / 90, 3);
    expect(m.MarginAboveOfTheFaceImage?.raw).toBeCloseTo((480 * 0.42) / ((90 * 115) / 64), 3);
    expect(m.SingleFacePresent).toEqual({ raw: 0, quality: 100 });
  });

  it('gives every measure a finite raw value and a 0-100 component or none', () => {
    for (const name of FACE_MEASURE_NAMES) {
      const v = m[name];
      expect(v, name).toBeDefined();
      expect(Number.isFinite(v?.raw)).toBe(true);
      if (v?.quality !== null) {
        expect(v?.quality).toBeGreaterThanOrEqual(0);
        expect(v?.quality).toBeLessThanOrEqual(100);
      }
    }
  });

  it('maps values the way OFIQ does where it defines the mapping', () => {
    // HeadPose: 100 cos^2; EyesOpen: 100 sigmoid(raw, 0.02, 0.01); InterEyeDistance: sigmoid(70, 20).
    expect(m.HeadPoseYaw?.quality).toBe(100);
    expect(m.EyesOpen?.quality).toBe(
      Math.round(100 / (1 + Math.exp((0.02 - (m.EyesOpen?.raw ?? 0)) / 0.01))),
    );
    expect(m.InterEyeDistance?.quality).toBe(Math.round(100 / (1 + Math.exp((70 - 90) / 20))));
    expect(m.IlluminationUniformity?.quality).toBe(
      Math.round(100 * (m.IlluminationUniformity?.raw ?? 0) ** 0.3),
    );
  });

  it("NaturalColour: skin tones inside OFIQ's a*/b* box score 100, a blue cast does not", () => {
    expect(m.NaturalColour).toEqual({ raw: 0, quality: 100 });
    const data = Uint8Array.from(image.data, (v, i) =>
      i % 3 === 0 ? v * 0.55 : i % 3 === 2 ? Math.min(255, v * 1.3) : v,
    );
    const cast = computeFaceMeasures({ ...image, data }, faces).measures.NaturalColour;
    expect(cast?.raw ?? 0).toBeGreaterThan(5);
    expect(cast?.quality ?? 100).toBeLessThan(50);
  });

  it('ranks conditions the right way round', () => {
    const of = (o: Parameters<typeof renderSyntheticPortrait>[0]) => {
      const p = renderSyntheticPortrait(o);
      return computeFaceMeasures(p.image, p.faces).measures;
    };
    expect(of({ gain: 0.3 }).LuminanceMean?.raw ?? 1).toBeLessThan((m.LuminanceMean?.raw ?? 0) - 0.2);
    expect(of({ blur: 3 }).Sharpness?.raw ?? 0).toBeGreaterThan((m.Sharpness?.raw ?? 1) + 0.2);
    expect(of({ blur: 3 }).LaplacianVariance?.raw ?? 1e9).toBeLessThan((m.LaplacianVariance?.raw ?? 0) / 10);
    expect(of({ background: 'cluttered' }).BackgroundUniformity?.raw ?? 0).toBeGreaterThan(
      2 * (m.BackgroundUniformity?.raw ?? 1e9),
    );
    expect(of({ sideLight: 0.65 }).IlluminationUniformity?.raw ?? 1).toBeLessThan(0.3);
    expect(of({ eyesClosed: true }).EyesOpen?.raw).toBeCloseTo(0, 5);
    expect(of({ glare: true }).EyesVisible?.raw ?? 0).toBeGreaterThan(0.3);
  });

  it('IrisVisible sees closed eyes in the pixels even where the landmarks say open', () => {
    for (const options of [{}, { pose: { roll: 12 } }, { ied: 50 }, { gain: 0.6 }]) {
      const open = renderSyntheticPortrait(options);
      const closed = renderSyntheticPortrait({ ...options, eyesClosed: true });
      // What the landmark model does on drawn lids: open-eye contours over the closed eyes.
      const detected = computeFaceMeasures(closed.image, open.faces).measures;
      expect(detected.EyesOpen?.raw ?? 0).toBeGreaterThan(0.03);
      expect(detected.IrisVisible?.raw ?? 1).toBeLessThan(0.17);
      expect(computeFaceMeasures(open.image, open.faces).measures.IrisVisible?.raw ?? 0).toBeGreaterThan(
        0.25,
      );
    }
  });
});

describe('measures on any input', () => {
  const face = (points: Point[]): DetectedFace => {
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const x = Math.min(...xs);
    const y = Math.min(...ys);
    return {
      box: { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y },
      score: 0.9,
      landmarks: points,
    };
  };

  it('never throws on images from 1x1 up and landmarks anywhere, and stays finite and in range', () => {
    const coordinate = fc.double({ min: -5000, max: 5000, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.array(fc.array(fc.record({ x: coordinate, y: coordinate }), { minLength: 68, maxLength: 68 }), {
          maxLength: 3,
        }),
        (width, height, seed, landmarkSets) => {
          const next = seeded(seed);
          const data = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(next() * 256));
          const a = computeFaceMeasures({ width, height, data }, landmarkSets.map(face));
          expect(a.faceCount).toBe(landmarkSets.length);
          for (const v of Object.values(a.measures)) {
            expect(Number.isFinite(v.raw)).toBe(true);
            if (v.quality !== null) expect(v.quality >= 0 && v.quality <= 100).toBe(true);
          }
        },
      ),
      { numRuns: 200, seed: 19 },
    );
  });

  it('bounds the work on a face far larger than the image and on collapsed landmarks', () => {
    const image: RgbImage = { width: 1, height: 1, data: new Uint8Array(3) };
    const huge = projectModel(GENERIC_FACE_68, { yaw: 0, pitch: 0, roll: 0 }, { x: 0, y: 0 }, 1e5);
    expect(computeFaceMeasures(image, [face(huge)]).measures.InterEyeDistance?.raw).toBeGreaterThan(1e6);
    const big: RgbImage = { width: 1500, height: 1500, data: new Uint8Array(1500 * 1500 * 3).fill(128) };
    const tiny = projectModel(GENERIC_FACE_68, { yaw: 0, pitch: 0, roll: 0 }, { x: 750, y: 750 }, 1e-3);
    const a = computeFaceMeasures(big, [face(tiny), face(huge)]);
    expect(a.measures.HeadPoseYaw?.raw).toBeCloseTo(0, 3);
    const collapsed = Array.from({ length: 68 }, () => ({ x: 10, y: 10 }));
    expect(() => computeFaceMeasures(big, [face(collapsed)])).not.toThrow();
  });

  it('rejects a malformed raster or landmark set as a programmer error', () => {
    expect(() => computeFaceMeasures({ width: 2, height: 2, data: new Uint8Array(11) }, [])).toThrow(
      RangeError,
    );
    expect(() => computeFaceMeasures({ width: 0, height: 2, data: new Uint8Array(0) }, [])).toThrow(
      RangeError,
    );
    const image = { width: 4, height: 4, data: new Uint8Array(48) };
    expect(() => computeFaceMeasures(image, [face([{ x: 1, y: 1 }])])).toThrow(RangeError);
    const withNaN = Array.from({ length: 68 }, (_, i) => ({ x: i === 3 ? Number.NaN : i, y: i }));
    expect(() =>
      computeFaceMeasures(image, [
        { box: { x: 0, y: 0, width: 1, height: 1 }, score: 1, landmarks: withNaN },
      ]),
    ).toThrow(RangeError);
  });
});
