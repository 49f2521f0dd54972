/**
 * Slap segmentation on hand-drawn images (striped ellipses at known places), and its handling of bad
 * input. The accuracy on generated slaps is in segment-accuracy.test.ts and segment-exceptions.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { positionsOnImage, segmentSlap } from '../../../protocol/fingerprint/segment.ts';
import { CROP_MARGIN, cropToSlap } from '../../../protocol/fingerprint/segment-crop.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

interface Drawn {
  readonly cx: number;
  readonly cy: number;
  /** Degrees, clockwise positive (tip leaning right). */
  readonly rotation: number;
  readonly rx?: number;
  readonly ry?: number;
}

/**
 * A white slap with finger-like contacts: ellipses of dark ridges 9 px apart, running across the
 * finger, each turned by its rotation about its centre.
 */
function drawSlap(width: number, height: number, fingers: readonly Drawn[]) {
  const pixels = new Uint8Array(width * height).fill(235);
  for (const f of fingers) {
    const rx = f.rx ?? 170;
    const ry = f.ry ?? 290;
    const t = (f.rotation * Math.PI) / 180;
    const cos = Math.cos(t);
    const sin = Math.sin(t);
    const reach = Math.ceil(Math.max(rx, ry)) + 2;
    for (let y = Math.max(0, Math.floor(f.cy - reach)); y < Math.min(height, f.cy + reach); y++) {
      for (let x = Math.max(0, Math.floor(f.cx - reach)); x < Math.min(width, f.cx + reach); x++) {
        const ox = x - f.cx;
        const oy = y - f.cy;
        const u = ox * cos + oy * sin; // across the finger
        const v = -ox * sin + oy * cos; // along it, downwards
        if ((u / rx) ** 2 + (v / ry) ** 2 > 1) continue;
        const ink = (1 + Math.cos(((v + 0.3 * u) / 9) * 2 * Math.PI)) / 2;
        pixels[y * width + x] = Math.round(235 - 200 * ink);
      }
    }
  }
  return { width, height, pixels };
}

function segmentOk(...args: Parameters<typeof segmentSlap>) {
  const result = segmentSlap(...args);
  if (!result.ok) throw new Error(`segmentation failed: ${result.error.reason}: ${result.error.detail}`);
  return result.value;
}

describe('positions and rotation on drawn slaps', () => {
  // A right hand as printed: index at the left, little finger lowest at the right, fanning out.
  const right = [
    { cx: 280, cy: 640, rotation: -10 },
    { cx: 630, cy: 560, rotation: -2 },
    { cx: 980, cy: 610, rotation: 6 },
    { cx: 1310, cy: 830, rotation: 15, rx: 150, ry: 260 },
  ];

  it('labels a right slap 2-5 from left to right, with boxes and clockwise-positive rotations', () => {
    const slap = segmentOk(drawSlap(1600, 1500, right), { hand: 'right' });
    expect(slap.fingers.map((f) => f.position)).toEqual([2, 3, 4, 5]);
    expect(slap.missing).toEqual([]);
    expect(slap.extra).toEqual([]);
    expect(slap.wrongHand).toBeUndefined();
    slap.fingers.forEach((finger, i) => {
      const drawn = right[i];
      if (drawn === undefined) throw new Error('no drawn finger');
      expect(Math.abs(finger.rotation - drawn.rotation)).toBeLessThan(2);
      expect(Math.abs(finger.box.x + finger.box.width / 2 - drawn.cx)).toBeLessThan(12);
      expect(Math.abs(finger.box.y + finger.box.height / 2 - drawn.cy)).toBeLessThan(12);
      // The tip is the top of the contact, on the finger axis.
      const ry = drawn.ry ?? 290;
      const t = (drawn.rotation * Math.PI) / 180;
      const tipX = drawn.cx + ry * Math.sin(t);
      const tipY = drawn.cy - ry * Math.cos(t);
      expect(Math.hypot(finger.tip.x - tipX, finger.tip.y - tipY)).toBeLessThan(12);
    });
  });

  it('labels the mirror image as a left slap 10, 9, 8, 7 from left to right', () => {
    const mirrored = right.map((f) => ({ ...f, cx: 1600 - f.cx, rotation: -f.rotation }));
    const slap = segmentOk(drawSlap(1600, 1500, mirrored), { hand: 'left' });
    expect(slap.fingers.map((f) => f.position)).toEqual([10, 9, 8, 7]);
    expect(positionsOnImage('left')).toEqual([10, 9, 8, 7]);
    expect(slap.wrongHand).toBeUndefined();
  });

  it('warns when a right hand is declared but the little finger is low on the left', () => {
    const mirrored = right.map((f) => ({ ...f, cx: 1600 - f.cx, rotation: -f.rotation }));
    const slap = segmentOk(drawSlap(1600, 1500, mirrored), { hand: 'right' });
    expect(slap.wrongHand?.handSeen).toBe('left');
    expect(slap.wrongHand?.confidence).toBeGreaterThan(0.95);
  });

  it('gives no wrong-hand warning on two fingers, too few to tell the hands apart', () => {
    const mirrored = right.map((f) => ({ ...f, cx: 1600 - f.cx, rotation: -f.rotation }));
    const two = [mirrored[0], mirrored[3]].filter((f) => f !== undefined);
    const slap = segmentOk(drawSlap(1600, 1500, two), { hand: 'right' });
    expect(slap.fingers.length).toBe(2);
    expect(slap.wrongHand).toBeUndefined();
  });

  it('labels thumbs: left thumb (6) on the left, right thumb (1) on the right, never a hand warning', () => {
    const thumbs = [
      { cx: 480, cy: 750, rotation: 12, rx: 205, ry: 280 },
      { cx: 1120, cy: 750, rotation: -12, rx: 205, ry: 280 },
    ];
    const slap = segmentOk(drawSlap(1600, 1500, thumbs), { hand: 'thumbs' });
    expect(slap.fingers.map((f) => f.position)).toEqual([6, 1]);
    expect(slap.wrongHand).toBeUndefined();
    // One thumb alone: leaning right (inwards from the left), it is the left thumb.
    const single = segmentOk(drawSlap(1600, 1500, thumbs.slice(0, 1)), { hand: 'thumbs' });
    expect(single.fingers.map((f) => f.position)).toEqual([6]);
    expect(single.missing).toEqual([1]);
  });

  it('crops each finger upright, tip at the top, within NFIQ 2 size limits, neighbours painted white', () => {
    const slap = segmentOk(drawSlap(1600, 1500, right), { hand: 'right' });
    for (const finger of slap.fingers) {
      const { crop, cropFrame } = finger;
      expect(crop.pixels.length).toBe(crop.width * crop.height);
      expect(crop.width).toBeGreaterThanOrEqual(197);
      expect(crop.width).toBeLessThanOrEqual(799);
      expect(crop.height).toBeGreaterThanOrEqual(197);
      expect(crop.height).toBeLessThanOrEqual(999);
      // The middle of the crop's top edge sits CROP_MARGIN above the fingertip.
      const top = cropToSlap(cropFrame, crop.width / 2, CROP_MARGIN);
      expect(Math.hypot(top.x - cropFrame.tipX, top.y - cropFrame.tipY)).toBeLessThan(1e-9);
      expect(Math.hypot(cropFrame.tipX - finger.tip.x, cropFrame.tipY - finger.tip.y)).toBeLessThan(1);
      // Above the tip: glass. Down the middle column: the ridges drawn across the finger.
      const column = crop.width >> 1;
      expect(crop.pixels[4 * crop.width + column]).toBeGreaterThan(220);
      let darkRows = 0;
      for (let v = CROP_MARGIN + 20; v < crop.height - CROP_MARGIN - 20; v++)
        if ((crop.pixels[v * crop.width + column] ?? 255) < 120) darkRows++;
      expect(darkRows).toBeGreaterThan(crop.height / 6);
    }
    const middle = slap.fingers.find((f) => f.position === 3);
    expect(middle).toBeDefined();
    if (middle === undefined) return;
    // The middle finger's crop reaches past its own contact; whatever of the index or ring falls in
    // it is white.
    let neighbourInk = 0;
    for (let v = 0; v < middle.crop.height; v++) {
      for (const u of [0, 1, 2, middle.crop.width - 3, middle.crop.width - 2, middle.crop.width - 1]) {
        if ((middle.crop.pixels[v * middle.crop.width + u] ?? 255) < 120) neighbourInk++;
      }
    }
    expect(neighbourInk).toBe(0);
  });
});

describe('bad input', () => {
  const right = { hand: 'right' } as const;

  it.each([
    ['empty', 0, 0, 0],
    ['1x1', 1, 1, 1],
    ['below 64 px', 63, 500, 63 * 500],
    ['not whole', 100.5, 100, 10050],
    ['negative', -100, 100, 0],
    ['NaN', Number.NaN, 100, 0],
  ])('rejects an image that is %s as invalid-value', (_name, width, height, bytes) => {
    const result = segmentSlap({ width, height, pixels: new Uint8Array(bytes) }, right);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe('invalid-value');
  });

  it('rejects a huge image as too-large without looking at its pixels', () => {
    const result = segmentSlap({ width: 4001, height: 1500, pixels: new Uint8Array(0) }, right);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe('too-large');
  });

  it('rejects a buffer shorter or longer than width x height, with the offset', () => {
    const short = segmentSlap({ width: 1600, height: 1500, pixels: new Uint8Array(1600 * 1499) }, right);
    expect(short).toEqual({
      ok: false,
      error: expect.objectContaining({ reason: 'truncated', offset: 1600 * 1499 }),
    });
    const long = segmentSlap({ width: 200, height: 200, pixels: new Uint8Array(200 * 200 + 1) }, right);
    expect(long).toEqual({
      ok: false,
      error: expect.objectContaining({ reason: 'trailing-data', offset: 200 * 200 }),
    });
  });

  it.each([
    ['all white', 255],
    ['all black', 0],
    ['empty glass', 235],
  ])('finds no finger on a %s slap, and reports all four missing', (_name, level) => {
    const slap = segmentOk(
      { width: 1600, height: 1500, pixels: new Uint8Array(1600 * 1500).fill(level) },
      right,
    );
    expect(slap.fingers).toEqual([]);
    expect(slap.extra).toEqual([]);
    expect(slap.missing).toEqual([2, 3, 4, 5]);
    expect(slap.wrongHand).toBeUndefined();
  });

  it('finds no finger in sensor noise, and reports a palm-sized blob as extra', () => {
    let state = 1;
    const noise = new Uint8Array(800 * 800);
    for (let i = 0; i < noise.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      noise[i] = 230 + ((state >>> 16) % 9);
    }
    const quiet = segmentOk({ width: 800, height: 800, pixels: noise }, right);
    expect(quiet.fingers).toEqual([]);
    expect(quiet.extra).toEqual([]);
    // A 1000 px disc of ridges: something is on the glass, but far too big for one finger.
    const palm = drawSlap(1600, 1500, [{ cx: 800, cy: 750, rotation: 0, rx: 500, ry: 500 }]);
    const slap = segmentOk(palm, right);
    expect(slap.fingers).toEqual([]);
    expect(slap.extra.length).toBe(1);
    expect(slap.missing).toEqual([2, 3, 4, 5]);
  });

  it('takes a small image without fingers in its stride', () => {
    const slap = segmentOk({ width: 64, height: 64, pixels: new Uint8Array(64 * 64).fill(200) }, right);
    expect(slap.fingers).toEqual([]);
  });

  it('never throws on any size or buffer, and errs exactly when the size or buffer is wrong', () => {
    const side = fc.oneof(
      fc.integer({ min: -3, max: 300 }),
      fc.constantFrom(0, 1, 63, 64, 4000, 4001, Number.NaN, Number.POSITIVE_INFINITY, 64.5),
    );
    fc.assert(
      fc.property(
        side,
        side,
        fc.integer({ min: -2, max: 2 }),
        fc.integer({ min: 0, max: 255 }),
        (w, h, skew, fill) => {
          const bytes =
            Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0 && w * h < 200_000 ? w * h : 1000;
          const pixels = new Uint8Array(Math.max(0, bytes + skew));
          for (let i = 0; i < pixels.length; i++) pixels[i] = (fill + i * 37) & 0xff;
          const result = segmentSlap({ width: w, height: h, pixels }, right);
          const valid =
            Number.isInteger(w) && Number.isInteger(h) && w >= 64 && h >= 64 && w <= 4000 && h <= 4000;
          return result.ok === (valid && pixels.length === w * h);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('throws RangeError for options a caller cannot mean', () => {
    const image = { width: 64, height: 64, pixels: new Uint8Array(64 * 64) };
    expect(() => segmentSlap(image, { hand: 'right', missing: [7] })).toThrow(RangeError);
    expect(() => segmentSlap(image, { hand: 'thumbs', missing: [2] })).toThrow(RangeError);
    // @ts-expect-error: an unknown hand, as untyped callers could pass
    expect(() => segmentSlap(image, { hand: 'both' })).toThrow(RangeError);
  });
});
