/**
 * Portrait quality measures, OFIQ-aligned: the names, raw values and 0-100 quality components follow
 * BSI's OFIQ (the reference implementation of ISO/IEC 29794-5) where it defines them, but every value
 * here is an APPROXIMATION computed from a 68-point detector's landmarks and the pixels, not OFIQ's
 * networks (its 98-point landmarks, 3DDFA-V2 pose, face parsing and occlusion segmentation). They are
 * never ISO/IEC 29794-5 values. README.md in this folder lists each measure's method, its mapping and
 * the measures we do not compute.
 *
 * Work is bounded whatever the input size: the face is resampled to a crop with a fixed inter-eye
 * distance (at most 256 x 256 px), the background to at most 400 px a side, each eye zone to at most
 * 64 x 64 samples.
 */
import {
  assertLandmarks,
  eyeOpening,
  type FaceGeometry,
  faceGeometry,
  faceOutline,
  mouthOpening,
} from './geometry.ts';
import { estimateHeadPose, type HeadPose } from './pose.ts';
import {
  assertRgbImage,
  blurEffect,
  clipBox,
  component,
  fillPolygonMask,
  type GreyImage,
  laplacianVariance,
  luma,
  resampleGrey,
  scanPolygon,
  sigmoid,
} from './raster.ts';
import type { Box, DetectedFace, RgbImage } from './types.ts';

/** The OFIQ measure names we compute (OFIQ's spelling), plus three of ours marked in the README. */
export const FACE_MEASURE_NAMES = [
  'SingleFacePresent',
  'InterEyeDistance',
  'HeadSize',
  'LeftwardCropOfTheFaceImage',
  'RightwardCropOfTheFaceImage',
  'MarginAboveOfTheFaceImage',
  'MarginBelowOfTheFaceImage',
  'HeadPoseYaw',
  'HeadPosePitch',
  'HeadPoseRoll',
  'EyesOpen',
  'EyesVisible',
  'MouthClosed',
  'LuminanceMean',
  'LuminanceVariance',
  'UnderExposurePrevention',
  'OverExposurePrevention',
  'DynamicRange',
  'IlluminationUniformity',
  'NaturalColour',
  'BackgroundUniformity',
  'Sharpness',
  // Ours, not OFIQ's: what the feedback needs beyond OFIQ's set.
  'BackgroundLuminanceMean',
  'LaplacianVariance',
  'IrisVisible',
] as const;

export type FaceMeasureName = (typeof FACE_MEASURE_NAMES)[number];

export interface MeasureValue {
  /** The native value, in the unit README.md gives for the measure. */
  readonly raw: number;
  /** 0 (worst) .. 100 (best), OFIQ's mapping where OFIQ defines one, ours otherwise; null if none. */
  readonly quality: number | null;
}

export type FaceMeasures = Partial<Record<FaceMeasureName, MeasureValue>>;

export interface FaceAssessment {
  /** Faces the detector reported. */
  readonly faceCount: number;
  /** The largest face by box area, the one measured; null when there is none. */
  readonly face: DetectedFace | null;
  readonly pose: HeadPose | null;
  /** Face-dependent measures are absent when there is no face; SingleFacePresent is always there. */
  readonly measures: FaceMeasures;
}

/**
 * Larger faces are shrunk to this inter-eye distance, px, before the pixel measures (OFIQ aligns to
 * about 113 px; ours is smaller: cheaper). Smaller faces are read at their own size: enlarging would
 * invent no detail and would make the blur measure read pixel repetition as blur.
 */
export const CROP_IED = 64;
/** The background is read at an inter-eye distance of 81 px, about OFIQ's after its resize to 354 x 295. */
export const BACKGROUND_IED = 81;
/** Luma at or above this counts as saturated in the eye zones (specular glare). */
export const GLARE_LUMA = 250;

/** OFIQ's SingleFacePresent: f = sqrt(a2 / a1) over the two largest box areas; 0 for one face, 1 for none. */
function singleFacePresent(faces: readonly DetectedFace[]): MeasureValue {
  let a1 = 0;
  let a2 = 0;
  for (const face of faces) {
    const a = Math.max(0, face.box.width) * Math.max(0, face.box.height);
    if (a > a1) {
      a2 = a1;
      a1 = a;
    } else if (a > a2) a2 = a;
  }
  const f = faces.length === 0 ? 1 : faces.length === 1 || a1 === 0 ? 0 : Math.sqrt(a2 / a1);
  return { raw: f, quality: component(100 * (1 - f)) };
}

function largest(faces: readonly DetectedFace[]): DetectedFace | null {
  let best: DetectedFace | null = null;
  for (const face of faces)
    if (best === null || face.box.width * face.box.height > best.box.width * best.box.height) best = face;
  return best;
}

interface FaceCrop {
  readonly grey: GreyImage;
  /** 1 inside the face outline (jaw and eyebrows). */
  readonly mask: Uint8Array;
  /** Crop px per image px. */
  readonly scale: number;
  readonly region: Box;
}

/** The face, shrunk to an inter-eye distance of CROP_IED px when larger, with its outline mask. */
function faceCrop(image: RgbImage, face: DetectedFace, g: FaceGeometry): FaceCrop | null {
  const pad = 0.1 * g.ied;
  const region = clipBox(
    { x: g.minX - pad, y: g.minY - pad, width: g.maxX - g.minX + 2 * pad, height: g.maxY - g.minY + 2 * pad },
    image.width,
    image.height,
  );
  if (region === null) return null;
  const scale = Math.min(1, CROP_IED / g.ied, 256 / region.width, 256 / region.height);
  const w = Math.max(1, Math.round(region.width * scale));
  const h = Math.max(1, Math.round(region.height * scale));
  const grey = resampleGrey(image, w, h, region);
  const sx = w / region.width;
  const sy = h / region.height;
  const mask = new Uint8Array(w * h);
  fillPolygonMask(
    mask,
    w,
    h,
    faceOutline(face.landmarks).map((p) => ({ x: (p.x - region.x) * sx, y: (p.y - region.y) * sy })),
  );
  return { grey, mask, scale: sx, region };
}

interface Histogram {
  readonly bins: Float64Array;
  readonly n: number;
}

function histogram(grey: GreyImage, mask: Uint8Array, keep?: (x: number, y: number) => boolean): Histogram {
  const bins = new Float64Array(256);
  let n = 0;
  const { width, height, pixels } = grey;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mask[i] === 0 || (keep !== undefined && !keep(x, y))) continue;
      const v = pixels[i] ?? 0;
      bins[v] = (bins[v] ?? 0) + 1;
      n++;
    }
  return { bins, n };
}

/** LuminanceMean, LuminanceVariance, Under/OverExposurePrevention, DynamicRange from the face histogram. */
function luminanceMeasures(h: Histogram): FaceMeasures {
  if (h.n === 0) return {};
  let mean = 0;
  for (let i = 0; i < 256; i++) mean += ((h.bins[i] ?? 0) / h.n) * (i / 255);
  let variance = 0;
  let dark = 0;
  let bright = 0;
  let entropy = 0;
  for (let i = 0; i < 256; i++) {
    const p = (h.bins[i] ?? 0) / h.n;
    variance += p * (i / 255 - mean) ** 2;
    if (i <= 25) dark += p;
    if (i >= 247) bright += p;
    if (p > 0) entropy -= p * Math.log2(p);
  }
  return {
    LuminanceMean: {
      raw: mean,
      quality: component(100 * sigmoid(mean, 0.2, 0.05) * (1 - sigmoid(mean, 0.8, 0.05))),
    },
    LuminanceVariance: {
      raw: variance,
      quality: component(100 * Math.sin(((60 * variance) / (60 * variance + 1)) * Math.PI)),
    },
    UnderExposurePrevention: { raw: dark, quality: component(120 * (0.832 - sigmoid(dark, 0.92, 0.05))) },
    OverExposurePrevention: { raw: bright, quality: component(1 / (bright + 0.01)) },
    DynamicRange: { raw: entropy, quality: component(12.5 * entropy) },
  };
}

/**
 * IlluminationUniformity: OFIQ intersects the luminance histograms of two zones either side of the
 * face's midline, between the eyes and the mouth; ours splits the face mask at the nose line (points
 * 27-30) over the same rows. Raw = sum of the bin-wise minimum of the normalised histograms (1 = the
 * halves are lit alike); quality 100 * raw^0.3 (OFIQ's mapping).
 */
function illuminationUniformity(crop: FaceCrop, face: DetectedFace, g: FaceGeometry): MeasureValue | null {
  const lm = face.landmarks;
  let noseX = 0;
  for (let i = 27; i <= 30; i++) noseX += ((lm[i]?.x ?? 0) - crop.region.x) * crop.scale;
  noseX /= 4;
  const mouthY = ((((lm[51]?.y ?? 0) + (lm[57]?.y ?? 0)) / 2 - crop.region.y) * crop.scale) | 0;
  const eyeY = ((g.eyeMid.y - crop.region.y) * crop.scale) | 0;
  const top = Math.min(eyeY, mouthY);
  const bottom = Math.max(eyeY, mouthY);
  const left = histogram(crop.grey, crop.mask, (x, y) => y >= top && y <= bottom && x + 0.5 < noseX);
  const right = histogram(crop.grey, crop.mask, (x, y) => y >= top && y <= bottom && x + 0.5 > noseX);
  if (left.n === 0 || right.n === 0) return null;
  let overlap = 0;
  for (let i = 0; i < 256; i++)
    overlap += Math.min((left.bins[i] ?? 0) / left.n, (right.bins[i] ?? 0) / right.n);
  return { raw: overlap, quality: component(100 * overlap ** 0.3) };
}

/** sRGB 8-bit to linear light, 0..1. */
function linear(c: number): number {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
}

/**
 * NaturalColour: OFIQ converts the two cheek zones (the IlluminationUniformity zones) to CIELAB and
 * takes the mean a* and b*; raw = the distance of (a*, b*) from the box a* 5..25, b* 5..35 (0 inside,
 * 100 when either mean is negative), quality 200 * (1 - sigmoid(raw, 0, 10)). Ours: the same
 * arithmetic (sRGB, D65) over the face outline between the eye line and the mouth, at most 64 x 64
 * samples.
 */
function naturalColour(image: RgbImage, face: DetectedFace, g: FaceGeometry): MeasureValue | null {
  const lm = face.landmarks;
  const mouthY = ((lm[51]?.y ?? 0) + (lm[57]?.y ?? 0)) / 2;
  const top = Math.min(g.eyeMid.y, mouthY);
  const bottom = Math.max(g.eyeMid.y, mouthY);
  const stepY = Math.max(1, Math.ceil((bottom - top) / 64));
  const stepX = Math.max(1, Math.ceil((g.maxX - g.minX) / 64));
  let n = 0;
  let sumA = 0;
  let sumB = 0;
  scanPolygon(image.width, image.height, faceOutline(lm), (y, x0, x1) => {
    if (y < top || y > bottom || (y - Math.floor(top)) % stepY !== 0) return;
    for (let x = x0; x <= x1; x += stepX) {
      const p = (y * image.width + x) * 3;
      const r = linear(image.data[p] ?? 0);
      const gr = linear(image.data[p + 1] ?? 0);
      const b = linear(image.data[p + 2] ?? 0);
      // sRGB (D65) to XYZ, normalised by the D65 white.
      const fx = labF((0.4124 * r + 0.3576 * gr + 0.1805 * b) / 0.95047);
      const fy = labF(0.2126 * r + 0.7152 * gr + 0.0722 * b);
      const fz = labF((0.0193 * r + 0.1192 * gr + 0.9505 * b) / 1.08883);
      sumA += 500 * (fx - fy);
      sumB += 200 * (fy - fz);
      n++;
    }
  });
  if (n === 0) return null;
  const a = sumA / n;
  const b = sumB / n;
  const raw = a >= 0 && b >= 0 ? Math.hypot(Math.max(0, 5 - a, a - 25), Math.max(0, 5 - b, b - 35)) : 100;
  return { raw, quality: component(200 * (1 - sigmoid(raw, 0, 10))) };
}

/**
 * EyesVisible, as a glare check: OFIQ reads the share of each eye's visibility zone (the eye's
 * landmark box grown by IED/20) that its occlusion network marks as covered. We have no such network;
 * ours is the share of the zone (grown by IED/10, glasses frames sit wider) whose luma is saturated
 * (>= GLARE_LUMA): light reflected by spectacle lenses. Quality 100 * (1 - raw), OFIQ's mapping.
 */
function eyesVisible(image: RgbImage, face: DetectedFace, g: FaceGeometry): MeasureValue {
  const v = g.ied / 10;
  let saturated = 0;
  let n = 0;
  for (const [from, to] of [
    [36, 42],
    [42, 48],
  ] as const) {
    let x0 = Number.POSITIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (let i = from; i < to; i++) {
      const p = face.landmarks[i] ?? { x: 0, y: 0 };
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
    const zone = clipBox(
      { x: x0 - v, y: y0 - v, width: x1 - x0 + 2 * v, height: y1 - y0 + 2 * v },
      image.width,
      image.height,
    );
    if (zone === null) continue;
    const stepX = Math.max(1, Math.ceil(zone.width / 64));
    const stepY = Math.max(1, Math.ceil(zone.height / 64));
    for (let y = zone.y; y < zone.y + zone.height; y += stepY)
      for (let x = zone.x; x < zone.x + zone.width; x += stepX) {
        const p = (y * image.width + x) * 3;
        if (luma(image.data[p] ?? 0, image.data[p + 1] ?? 0, image.data[p + 2] ?? 0) >= GLARE_LUMA)
          saturated++;
        n++;
      }
  }
  const raw = n === 0 ? 0 : saturated / n;
  return { raw, quality: component(100 * (1 - raw)) };
}

/** IrisVisible below this (eye widths): no iris in either eye, read as closed (see feedback.ts). */
export const IRIS_CLOSED = 0.17;

/** IrisVisible samples across each eye's middle this many eye widths either side of its centre ... */
const IRIS_COLUMNS = 0.2;
/** ... and this far above and below the eye axis, in eye widths (short of the eyebrow). */
const IRIS_REACH = 0.45;
/** A sample darker than this share of the cheek's median luma counts as iris, pupil or lash. */
const IRIS_DARK = 0.6;

/**
 * IrisVisible (ours, not OFIQ's): the 68-point landmark model puts open-lid contours on a closed eye
 * when the lids are drawn plainly, so EyesOpen (a landmark measure) cannot be the only witness. This
 * reads the pixels: along 21 lines across the middle of each eye, perpendicular to the corner-to-corner
 * axis, the longest run of samples darker than IRIS_DARK x the cheek's median luma (a patch 0.5 to 0.8
 * eye widths below the eye). An open eye shows the iris, a run of about half the eye's width; a closed
 * one only the lash line. Raw value: the larger of the two eyes' median runs, in eye widths (the larger,
 * so that a turned head's foreshortened far eye does not read as closed; a wink is not caught). Samples
 * are taken every 0.01 eye width, 21 x 91 per eye, whatever the image size. Null when an eye's middle
 * or its cheek patch lies outside the image.
 */
function irisVisible(image: RgbImage, face: DetectedFace): MeasureValue | null {
  const sample = (x: number, y: number): number => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= image.width || yi >= image.height) return Number.NaN;
    const p = (yi * image.width + xi) * 3;
    return luma(image.data[p] ?? 0, image.data[p + 1] ?? 0, image.data[p + 2] ?? 0);
  };
  let best = Number.NEGATIVE_INFINITY;
  for (const [outer, inner] of [
    [36, 39],
    [42, 45],
  ] as const) {
    const a = face.landmarks[outer] ?? { x: 0, y: 0 };
    const b = face.landmarks[inner] ?? { x: 0, y: 0 };
    const w = Math.hypot(b.x - a.x, b.y - a.y);
    if (!(w >= 2)) continue;
    // u along the eye, v perpendicular to it, pointing down the face.
    const u = { x: (b.x - a.x) / w, y: (b.y - a.y) / w };
    const v = u.x >= 0 ? { x: -u.y, y: u.x } : { x: u.y, y: -u.x };
    const c = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    const at = (along: number, across: number) =>
      sample(c.x + w * (along * u.x + across * v.x), c.y + w * (along * u.y + across * v.y));
    const cheek: number[] = [];
    for (let i = -6; i <= 6; i++)
      for (let j = 10; j <= 16; j++) {
        const l = at(i * 0.05, j * 0.05);
        if (!Number.isNaN(l)) cheek.push(l);
      }
    if (cheek.length < 46) continue;
    cheek.sort((p, q) => p - q);
    const dark = IRIS_DARK * (cheek[cheek.length >> 1] ?? 0);
    const runs: number[] = [];
    const steps = Math.round(IRIS_REACH * 100);
    for (let i = -Math.round(IRIS_COLUMNS * 100); i <= Math.round(IRIS_COLUMNS * 100); i += 2) {
      let longest = 0;
      let run = 0;
      let outside = false;
      for (let j = -steps; j <= steps; j++) {
        const l = at(i / 100, j / 100);
        if (Number.isNaN(l)) outside = true;
        run = l < dark ? run + 1 : 0;
        if (run > longest) longest = run;
      }
      if (!outside) runs.push(longest / 100);
    }
    if (runs.length < 11) continue;
    runs.sort((p, q) => p - q);
    best = Math.max(best, runs[runs.length >> 1] ?? 0);
  }
  if (best === Number.NEGATIVE_INFINITY) return null;
  return { raw: best, quality: component(100 * sigmoid(best, IRIS_CLOSED, 0.03)) };
}

/**
 * BackgroundUniformity: OFIQ's raw value is the mean Scharr gradient magnitude of the luminance over
 * the background (its face-parsing network says where the head is) at its aligned scale, quality
 * 190 * (1 - sigmoid(raw, 10, 100)). Ours reads the same gradient at an inter-eye distance of
 * BACKGROUND_IED px over the part of the frame beside and above the head, down to the chin: the head
 * zone is the landmarks' width grown by 35 % each side, from 1.3 T above the eye line (hair) down.
 * Also returns the background's mean luma (0..1) for the backlight check.
 */
function background(
  image: RgbImage,
  g: FaceGeometry,
): { uniformity: MeasureValue; luminance: MeasureValue } | null {
  const scale = Math.min(BACKGROUND_IED / g.ied, 400 / Math.max(image.width, image.height));
  const w = Math.max(1, Math.round(image.width * scale));
  const h = Math.max(1, Math.round(image.height * scale));
  const grey = resampleGrey(image, w, h);
  const sx = w / image.width;
  const sy = h / image.height;
  const faceWidth = g.maxX - g.minX;
  const headX0 = (g.minX - 0.35 * faceWidth) * sx;
  const headX1 = (g.maxX + 0.35 * faceWidth) * sx;
  const headTop = (g.eyeMid.y - 1.3 * g.t) * sy;
  const chinY = Math.max(g.chin.y, g.maxY) * sy;
  const px = grey.pixels;
  let sum = 0;
  let lum = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    if (y > chinY) break;
    for (let x = 1; x < w - 1; x++) {
      if (x >= headX0 && x <= headX1 && y >= headTop) continue;
      const i = y * w + x;
      const a = px[i - w - 1] ?? 0;
      const b = px[i - w] ?? 0;
      const c = px[i - w + 1] ?? 0;
      const d = px[i - 1] ?? 0;
      const f = px[i + 1] ?? 0;
      const gg = px[i + w - 1] ?? 0;
      const hh = px[i + w] ?? 0;
      const k = px[i + w + 1] ?? 0;
      // Scharr, as OpenCV's Sobel with ksize -1 (OFIQ's choice).
      const gx = 3 * (c - a) + 10 * (f - d) + 3 * (k - gg);
      const gy = 3 * (gg - a) + 10 * (hh - b) + 3 * (k - c);
      sum += Math.hypot(gx, gy);
      lum += px[i] ?? 0;
      n++;
    }
  }
  if (n === 0) return null;
  const m = sum / n;
  return {
    uniformity: { raw: m, quality: component(190 * (1 - sigmoid(m, 10, 100))) },
    luminance: { raw: lum / n / 255, quality: null },
  };
}

/** Mapping of our Sharpness raw (blur effect, 0 sharp .. 1 flat) to 0-100: 50 at 0.5. */
export const SHARPNESS_MIDPOINT = 0.5;

/**
 * All measures of the largest face in `faces` (OFIQ measures the largest too).
 * Never throws on untrusted pixels or landmark positions (outside the image, degenerate); measures
 * that cannot be read (the face is wholly outside the frame) are left out.
 * @throws RangeError when `image` is malformed or a face's landmarks are not 68 finite points
 *   (programmer errors: the decoder and detector adapters build these).
 */
export function computeFaceMeasures(image: RgbImage, faces: readonly DetectedFace[]): FaceAssessment {
  assertRgbImage(image);
  for (const face of faces) assertLandmarks(face.landmarks);
  const measures: FaceMeasures = { SingleFacePresent: singleFacePresent(faces) };
  const face = largest(faces);
  if (face === null) return { faceCount: 0, face: null, pose: null, measures };
  const g = faceGeometry(face.landmarks);
  measures.InterEyeDistance = { raw: g.ied, quality: component(100 * sigmoid(g.ied, 70, 20)) };
  const headSize = g.t / image.height;
  measures.HeadSize = {
    raw: headSize,
    quality: component(200 * (1 - sigmoid(Math.abs(headSize - 0.45), 0, 0.05))),
  };
  const leftward = g.eyeImageLeft.x / g.ied;
  const rightward = (image.width - g.eyeImageRight.x) / g.ied;
  const above = g.eyeMid.y / g.t;
  const below = (image.height - g.eyeMid.y) / g.t;
  measures.LeftwardCropOfTheFaceImage = {
    raw: leftward,
    quality: component(100 * sigmoid(leftward, 0.9, 0.1)),
  };
  measures.RightwardCropOfTheFaceImage = {
    raw: rightward,
    quality: component(100 * sigmoid(rightward, 0.9, 0.1)),
  };
  measures.MarginAboveOfTheFaceImage = { raw: above, quality: component(100 * sigmoid(above, 1.4, 0.1)) };
  measures.MarginBelowOfTheFaceImage = { raw: below, quality: component(100 * sigmoid(below, 1.8, 0.1)) };

  const pose = estimateHeadPose(face.landmarks);
  if (pose !== null) {
    const cos2 = (deg: number) => component(100 * Math.cos((deg * Math.PI) / 180) ** 2);
    measures.HeadPoseYaw = { raw: pose.yaw, quality: cos2(pose.yaw) };
    measures.HeadPosePitch = { raw: pose.pitch, quality: cos2(pose.pitch) };
    measures.HeadPoseRoll = { raw: pose.roll, quality: cos2(pose.roll) };
  }
  const eyes = Math.min(eyeOpening(face.landmarks, false), eyeOpening(face.landmarks, true)) / g.t;
  measures.EyesOpen = { raw: eyes, quality: component(100 * sigmoid(eyes, 0.02, 0.01)) };
  const mouth = mouthOpening(face.landmarks) / g.t;
  measures.MouthClosed = { raw: mouth, quality: component(100 * (1 - sigmoid(mouth, 0.2, 0.06))) };
  measures.EyesVisible = eyesVisible(image, face, g);
  const iris = irisVisible(image, face);
  if (iris !== null) measures.IrisVisible = iris;

  const crop = faceCrop(image, face, g);
  if (crop !== null) {
    Object.assign(measures, luminanceMeasures(histogram(crop.grey, crop.mask)));
    const uniformity = illuminationUniformity(crop, face, g);
    if (uniformity !== null) measures.IlluminationUniformity = uniformity;
    if (crop.mask.includes(1)) {
      const blur = blurEffect(crop.grey, crop.mask);
      measures.Sharpness = {
        raw: blur,
        quality: component(100 * (1 - sigmoid(blur, SHARPNESS_MIDPOINT, 0.05))),
      };
      measures.LaplacianVariance = { raw: laplacianVariance(crop.grey, crop.mask), quality: null };
    }
  }
  const colour = naturalColour(image, face, g);
  if (colour !== null) measures.NaturalColour = colour;
  const bg = background(image, g);
  if (bg !== null) {
    measures.BackgroundUniformity = bg.uniformity;
    measures.BackgroundLuminanceMean = bg.luminance;
  }
  return { faceCount: faces.length, face, pose, measures };
}
