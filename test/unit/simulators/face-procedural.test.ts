import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Landmarks68, Point } from '../../../protocol/face/types.ts';
import { CAMERA_SCENARIOS, scenarioScene } from '../../../simulators/camera/scenarios.ts';
import { appearanceFor } from '../../../simulators/face/person.ts';
import {
  type FacePose,
  FaceSceneError,
  FRONTAL_POSE,
  type RenderedScene,
  renderFaceScene,
  renderPortrait,
} from '../../../simulators/face/procedural-face.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const render = (person: string, pose: Partial<FacePose> = {}, extra: { eyeOpenness?: number } = {}) =>
  renderFaceScene({
    width: 320,
    height: 240,
    subjects: [{ person, pose: { ...FRONTAL_POSE, ...pose }, ...extra }],
    noiseSeed: 1,
  });

const mean = (points: readonly Point[]): Point => ({
  x: points.reduce((s, p) => s + p.x, 0) / points.length,
  y: points.reduce((s, p) => s + p.y, 0) / points.length,
});

const face = (scene: RenderedScene, index = 0) => {
  const f = scene.faces[index];
  if (!f) throw new Error(`no face ${index}`);
  return f;
};

const eyeCentres = (l: Landmarks68) => ({ left: mean(l.slice(36, 42)), right: mean(l.slice(42, 48)) });

/** Eye aspect ratio (Soukupová and Čech): lid opening over eye width, both eyes averaged. */
const eyeAspect = (l: Landmarks68) => {
  const d = (a: number, b: number) =>
    Math.hypot((l[a]?.x ?? 0) - (l[b]?.x ?? 0), (l[a]?.y ?? 0) - (l[b]?.y ?? 0));
  const one = (o: number) => (d(o + 1, o + 5) + d(o + 2, o + 4)) / (2 * d(o, o + 3));
  return (one(36) + one(42)) / 2;
};

describe('determinism', () => {
  it('renders the same bytes for the same person, pose and frame', () => {
    expect(sha256(render('079201001234').image.data)).toBe(sha256(render('079201001234').image.data));
  });

  it('renders different people for different seeds', () => {
    const a = render('079201001234');
    const b = render('079201001235');
    expect(sha256(a.image.data)).not.toBe(sha256(b.image.data));
    expect(appearanceFor('079201001234')).not.toEqual(appearanceFor('079201001235'));
  });

  it('changes only the sensor noise between frames of a still pose', () => {
    const scene = { width: 160, height: 120, subjects: [{ person: '1', pose: FRONTAL_POSE }] };
    const a = renderFaceScene({ ...scene, noiseSeed: 1 }).image.data;
    const b = renderFaceScene({ ...scene, noiseSeed: 2 }).image.data;
    expect(sha256(a)).not.toBe(sha256(b));
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
    expect(worst).toBeLessThan(24);
  });
});

describe('ground truth', () => {
  it('gives 68 landmarks inside the face box, and the box inside the picture for a frontal face', () => {
    const f = face(render('079201001234'));
    expect(f.landmarks).toHaveLength(68);
    for (const p of f.landmarks) {
      expect(p.x).toBeGreaterThanOrEqual(f.box.x - 1e-9);
      expect(p.x).toBeLessThanOrEqual(f.box.x + f.box.width + 1e-9);
      expect(p.y).toBeGreaterThanOrEqual(f.box.y - 1e-9);
      expect(p.y).toBeLessThanOrEqual(f.box.y + f.box.height + 1e-9);
    }
    expect(f.box.x).toBeGreaterThan(0);
    expect(f.box.y).toBeGreaterThan(0);
    expect(f.box.x + f.box.width).toBeLessThan(320);
    expect(f.box.y + f.box.height).toBeLessThan(240);
  });

  it('keeps the iBUG order: jaw left to right, the image-left eye left of the image-right eye, mouth below the nose', () => {
    const l = face(render('5')).landmarks;
    expect(l[0]?.x).toBeLessThan(l[8]?.x ?? 0);
    expect(l[8]?.x).toBeLessThan(l[16]?.x ?? 0);
    expect(l[8]?.y).toBeGreaterThan(l[57]?.y ?? 0); // chin below the lower lip
    const { left, right } = eyeCentres(l);
    expect(left.x).toBeLessThan(right.x);
    expect(l[36]?.x).toBeLessThan(l[39]?.x ?? 0); // outer corner left of the inner one
    expect(l[33]?.y).toBeLessThan(l[51]?.y ?? 0); // nose base above the upper lip
    expect(l[19]?.y).toBeLessThan(left.y); // brow above the eye
  });

  it('moves the nose tip toward the image right for a positive yaw and left for a negative one', () => {
    const tip = (yaw: number) => {
      const f = face(render('7', { yaw }));
      const { left, right } = eyeCentres(f.landmarks);
      return (f.landmarks[30]?.x ?? 0) - (left.x + right.x) / 2;
    };
    expect(Math.abs(tip(0))).toBeLessThan(0.5);
    expect(tip(25)).toBeGreaterThan(5);
    expect(tip(-25)).toBeLessThan(-5);
  });

  it('moves the nose tip up for a positive pitch', () => {
    const rel = (pitch: number) => {
      const f = face(render('7', { pitch }));
      const { left, right } = eyeCentres(f.landmarks);
      return (f.landmarks[30]?.y ?? 0) - (left.y + right.y) / 2;
    };
    expect(rel(20)).toBeLessThan(rel(0) - 3);
    expect(rel(-20)).toBeGreaterThan(rel(0) + 1);
  });

  it.each([-20, -7, 12, 25])('tilts the eye line by the requested roll (%d°)', (roll) => {
    const { left, right } = eyeCentres(face(render('3', { roll })).landmarks);
    const angle = (Math.atan2(right.y - left.y, right.x - left.x) * 180) / Math.PI;
    expect(angle).toBeCloseTo(roll, 0);
  });

  it('closes the eyes: the eye aspect ratio falls from open to closed', () => {
    const open = eyeAspect(face(render('9', {}, { eyeOpenness: 1 })).landmarks);
    const closed = eyeAspect(face(render('9', {}, { eyeOpenness: 0 })).landmarks);
    expect(open).toBeGreaterThan(0.25);
    expect(closed).toBeLessThan(0.1);
  });

  it('scales the face with distance', () => {
    const near = face(render('2', { scale: 1.5 })).box.height;
    const far = face(render('2', { scale: 0.5 })).box.height;
    expect(near / far).toBeCloseTo(3, 1);
  });

  it('paints the face where the truth says it is: skin at the cheek, not the wall', () => {
    const scene = render('079201001234');
    const l = face(scene).landmarks;
    // Between the image-left eye's lower lid and the mouth corner: a cheek.
    const x = Math.round(((l[41]?.x ?? 0) + (l[48]?.x ?? 0)) / 2);
    const y = Math.round(((l[41]?.y ?? 0) + (l[48]?.y ?? 0)) / 2);
    const o = (y * 320 + x) * 3;
    const skin = appearanceFor('079201001234').skin;
    const red = scene.image.data[o] ?? 0;
    const blue = scene.image.data[o + 2] ?? 0;
    // Red above blue like skin (the wall is neutral grey), within the lit range of the skin tone.
    expect(red - blue).toBeGreaterThan(15);
    expect(Math.abs(red - skin[0])).toBeLessThan(80);
  });
});

describe('scenes', () => {
  it('has no face and no landmarks when nobody is there', () => {
    const scene = renderFaceScene(
      scenarioScene('no-face', { personSeed: '1', width: 640, height: 480, frame: 0 }),
    );
    expect(scene.faces).toEqual([]);
  });

  it('has two faces, of two different people, in two-faces', () => {
    const scene = renderFaceScene(
      scenarioScene('two-faces', { personSeed: '1', width: 640, height: 480, frame: 0 }),
    );
    expect(scene.faces).toHaveLength(2);
    expect(scene.faces[0]?.person).not.toBe(scene.faces[1]?.person);
    expect(scene.faces.at(-1)?.person).toBe('1');
  });

  it.each(
    CAMERA_SCENARIOS.flatMap((name) => [
      [name, 640, 480],
      [name, 1280, 720],
    ]) as [string, number, number][],
  )('renders %s at %dx%d with its faces inside the frame', (name, width, height) => {
    const scene = renderFaceScene(
      scenarioScene(name as (typeof CAMERA_SCENARIOS)[number], {
        personSeed: '036190000777',
        width,
        height,
        frame: 45,
      }),
    );
    expect(scene.image.width).toBe(width);
    expect(scene.image.height).toBe(height);
    expect(scene.image.data.length).toBe(width * height * 3);
    expect(scene.faces.length).toBe(name === 'no-face' ? 0 : name === 'two-faces' ? 2 : 1);
    for (const f of scene.faces)
      for (const p of f.landmarks) {
        expect(p.x).toBeGreaterThan(0);
        expect(p.x).toBeLessThan(width);
        expect(p.y).toBeGreaterThan(0);
        expect(p.y).toBeLessThan(height);
      }
  });

  it('makes too-far small, too-close large, and off-centre off the centre', () => {
    const at = (name: 'good' | 'too-far' | 'too-close' | 'off-centre') =>
      face(renderFaceScene(scenarioScene(name, { personSeed: '4', width: 640, height: 480, frame: 0 })));
    const good = at('good').box;
    expect(at('too-far').box.height).toBeLessThan(good.height * 0.7);
    expect(at('too-close').box.height).toBeGreaterThan(good.height * 1.4);
    const off = at('off-centre').box;
    expect(Math.abs(off.x + off.width / 2 - 320)).toBeGreaterThan(100);
  });

  it('darkens the dark scenario and brightens the wall when backlit', () => {
    const meanOf = (name: 'good' | 'dark' | 'backlit') => {
      const d = renderFaceScene(scenarioScene(name, { personSeed: '4', width: 320, height: 240, frame: 0 }))
        .image.data;
      let s = 0;
      for (const v of d) s += v;
      return s / d.length;
    };
    const good = meanOf('good');
    expect(meanOf('dark')).toBeLessThan(good * 0.4);
    expect(meanOf('backlit')).toBeGreaterThan(good);
  });

  it('rejects an impossible scene with a typed error', () => {
    expect(() => renderFaceScene({ width: 0, height: 8, subjects: [] })).toThrow(FaceSceneError);
    expect(() =>
      renderFaceScene({
        width: 64,
        height: 64,
        subjects: [{ person: '1', pose: { ...FRONTAL_POSE, yaw: Number.NaN } }],
      }),
    ).toThrow(FaceSceneError);
  });

  it('renders a passport-style portrait with the head filling most of the height', () => {
    const p = renderPortrait('079201001234', 240, 320);
    const f = face(p);
    expect(f.box.height / 320).toBeGreaterThan(0.4);
    expect(f.box.height / 320).toBeLessThan(0.8);
    expect(Math.abs(f.box.x + f.box.width / 2 - 120)).toBeLessThan(3);
  });
});
