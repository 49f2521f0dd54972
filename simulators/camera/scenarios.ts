/**
 * The simulated camera's named scenarios (issue 19): each is a parameter set for the procedural face
 * renderer, plus mild natural motion that depends only on the frame number (a small head sway, a blink
 * every few seconds), so frame n of a scenario is the same picture on every run.
 */
import type { RgbImage } from '../../protocol/face/types.ts';
import { type Rgb, seedNumber } from '../face/person.ts';
import {
  type FacePose,
  type FaceScene,
  type FaceSubject,
  FRONTAL_POSE,
  type Glasses,
  type Lighting,
} from '../face/procedural-face.ts';

export const CAMERA_SCENARIOS = [
  'good',
  'too-far',
  'too-close',
  'off-centre',
  'turned-left',
  'turned-right',
  'looking-up',
  'looking-down',
  'tilted',
  'dark',
  'backlit',
  'uneven-light',
  'busy-background',
  'coloured-background',
  'eyes-closed',
  'glasses-glare',
  'blurred',
  'two-faces',
  'no-face',
  'card-qr',
] as const;

export type CameraScenario = (typeof CAMERA_SCENARIOS)[number];

export function isCameraScenario(name: string): name is CameraScenario {
  return (CAMERA_SCENARIOS as readonly string[]).includes(name);
}

/** What a scenario sets; everything else is the `good` default. */
export interface ScenarioParams {
  /** What the scenario shows, for the officer's simulator panel. */
  readonly description: { readonly vi: string; readonly en: string };
  /** The person's pose before the per-frame sway. */
  readonly pose: FacePose;
  readonly lighting: Lighting;
  readonly background: Rgb;
  /** 0..1, see FaceScene.clutter. */
  readonly clutter: number;
  readonly eyesClosed: boolean;
  readonly glasses: Glasses;
  /** Gaussian sigma at 480 lines, pixels (scaled with the frame height). */
  readonly blur: number;
  /** A second person behind and beside the first. */
  readonly secondFace?: FacePose;
  /** Nobody in front of the camera. */
  readonly noFace: boolean;
  /** A card held in front of the lens: centre and width as fractions of the frame. */
  readonly card?: { readonly x: number; readonly y: number; readonly width: number };
}

/** A light grey wall, as ICAO asks of a portrait's background (about 0.8 luminance). */
const WALL: Rgb = [200, 203, 207];

/**
 * The head's pitch when the person looks into the lens: the simulated camera stands a little above
 * the eye line, as desk cameras do, so a person facing it tilts the head up by this much, degrees
 * (with 0, the OFIQ-aligned pose estimate reads the procedural face as looking down about 12°).
 */
export const LOOK_AT_LENS_PITCH = 12;

const BASE: ScenarioParams = {
  description: { vi: 'Ảnh chân dung tốt', en: 'A good portrait' },
  pose: { ...FRONTAL_POSE, pitch: LOOK_AT_LENS_PITCH },
  lighting: 'normal',
  background: WALL,
  clutter: 0,
  eyesClosed: false,
  glasses: 'none',
  blur: 0,
  noFace: false,
};

const pose = (p: Partial<FacePose>): FacePose => ({
  ...FRONTAL_POSE,
  ...p,
  pitch: LOOK_AT_LENS_PITCH + (p.pitch ?? 0),
});

/** The parameters of every scenario. */
export const SCENARIOS: Readonly<Record<CameraScenario, ScenarioParams>> = {
  good: BASE,
  'too-far': {
    ...BASE,
    description: { vi: 'Người đứng quá xa máy ảnh', en: 'The person stands too far from the camera' },
    pose: pose({ scale: 0.56, y: 0.4 }),
  },
  'too-close': {
    ...BASE,
    description: { vi: 'Người đứng quá gần máy ảnh', en: 'The person is too close to the camera' },
    pose: pose({ scale: 1.7, y: 0.47 }),
  },
  'off-centre': {
    ...BASE,
    description: { vi: 'Khuôn mặt lệch khỏi giữa khung hình', en: 'The face is off the centre of the frame' },
    pose: pose({ x: 0.2, y: 0.38, scale: 1 }),
  },
  'turned-left': {
    ...BASE,
    description: { vi: 'Người quay đầu sang trái', en: 'The person has turned their head to their left' },
    pose: pose({ yaw: 30 }),
  },
  'turned-right': {
    ...BASE,
    description: { vi: 'Người quay đầu sang phải', en: 'The person has turned their head to their right' },
    pose: pose({ yaw: -30 }),
  },
  'looking-up': {
    ...BASE,
    description: { vi: 'Người ngẩng đầu lên', en: 'The person is looking up' },
    pose: pose({ pitch: 22 }),
  },
  'looking-down': {
    ...BASE,
    description: { vi: 'Người cúi đầu xuống', en: 'The person is looking down' },
    pose: pose({ pitch: -20 }),
  },
  tilted: {
    ...BASE,
    description: { vi: 'Đầu nghiêng sang một bên', en: 'The head is tilted to one side' },
    pose: pose({ roll: 18 }),
  },
  dark: {
    ...BASE,
    description: { vi: 'Ánh sáng quá tối', en: 'The light is too dim' },
    lighting: 'dark',
  },
  backlit: {
    ...BASE,
    description: {
      vi: 'Ngược sáng: nguồn sáng phía sau người',
      en: 'Backlit: the light is behind the person',
    },
    lighting: 'backlit',
  },
  'uneven-light': {
    ...BASE,
    description: { vi: 'Ánh sáng không đều trên khuôn mặt', en: 'The light falls unevenly on the face' },
    lighting: 'uneven',
  },
  'busy-background': {
    ...BASE,
    description: { vi: 'Phông nền có nhiều đồ vật', en: 'The background is cluttered' },
    background: [205, 196, 180],
    clutter: 1,
  },
  'coloured-background': {
    ...BASE,
    description: {
      vi: 'Phông nền có màu, không phải nền trắng',
      en: 'The background is coloured, not white',
    },
    background: [74, 122, 188],
  },
  'eyes-closed': {
    ...BASE,
    description: { vi: 'Người đang nhắm mắt', en: 'The person has their eyes closed' },
    eyesClosed: true,
  },
  'glasses-glare': {
    ...BASE,
    description: { vi: 'Kính đeo bị lóa sáng', en: 'Glare on the glasses' },
    glasses: 'glare',
  },
  blurred: {
    ...BASE,
    description: { vi: 'Ảnh bị mờ', en: 'The picture is blurred' },
    blur: 3.5,
  },
  'two-faces': {
    ...BASE,
    description: { vi: 'Có hai người trong khung hình', en: 'Two people are in the frame' },
    pose: pose({ x: 0.27, y: 0.4, scale: 0.85 }),
    secondFace: pose({ x: 0.75, y: 0.37, scale: 0.85 }),
  },
  'no-face': {
    ...BASE,
    description: { vi: 'Không có ai trước máy ảnh', en: 'Nobody is in front of the camera' },
    noFace: true,
  },
  'card-qr': {
    ...BASE,
    description: { vi: 'Người giơ thẻ CCCD trước máy ảnh', en: 'The person holds a CCCD up to the camera' },
    pose: pose({ scale: 0.88, y: 0.3 }),
    card: { x: 0.5, y: 0.83, width: 0.42 },
  },
};

export interface ScenarioFrameOptions {
  /** The person seed, e.g. the citizen's 12-digit id. */
  readonly personSeed: string;
  /** Pixels. */
  readonly width: number;
  readonly height: number;
  /** Frame number from the start of the stream; motion and noise depend only on it. */
  readonly frame: number;
  /** Frames per second the motion is timed for; default 30. */
  readonly fps?: number;
  /** The card shown in `card-qr` (another helper renders the CCCD with its QR code). */
  readonly cardImage?: RgbImage;
  /** Turns the sway and blinking off (still pictures, e.g. for tests of pose). */
  readonly still?: boolean;
}

/** How often the picture changes, Hz. */
export const MOTION_HZ = 15;

/** How long a blink lasts, s. */
const BLINK_SECONDS = 0.2;

/**
 * The per-frame motion of a person: a sway of about ±2° yaw, ±1.2° pitch, ±1° roll and a few pixels of
 * drift, on incommensurate periods, and a blink every few seconds. Deterministic in (seed, frame).
 */
export function naturalMotion(
  personSeed: string,
  frame: number,
  fps = 30,
): { dyaw: number; dpitch: number; droll: number; dx: number; dy: number; eyeOpenness: number } {
  const h = seedNumber(`motion:${personSeed}`);
  const phase = (k: number) => (((h >>> (k * 4)) & 0xff) / 256) * 2 * Math.PI;
  const t = frame / fps;
  const wave = (period: number, k: number) => Math.sin((2 * Math.PI * t) / period + phase(k));
  const blinkPeriod = 2.8 + ((h >>> 20) % 19) / 10;
  const sinceBlink = (t + (h % 1000) / 1000) % blinkPeriod;
  // Lids close and reopen in BLINK_SECONDS: a triangle from 1 down to 0 and back.
  const b = sinceBlink / BLINK_SECONDS;
  const eyeOpenness = b >= 1 ? 1 : Math.abs(1 - 2 * b);
  return {
    dyaw: 2 * wave(4.1, 0),
    dpitch: 1.2 * wave(5.3, 1),
    droll: 1 * wave(6.7, 2),
    dx: 0.004 * wave(7.9, 3),
    dy: 0.003 * wave(3.7, 4),
    eyeOpenness,
  };
}

/** A plain pale card with a dark square, for `card-qr` when no card picture is supplied. */
export function placeholderCard(): RgbImage {
  const width = 172;
  const height = 108;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inQr = x >= 118 && x < 162 && y >= 10 && y < 54;
      const o = (y * width + x) * 3;
      const v = inQr ? (((x >> 2) + (y >> 2)) % 2 === 0 ? 20 : 245) : 0;
      data[o] = inQr ? v : 228;
      data[o + 1] = inQr ? v : 236;
      data[o + 2] = inQr ? v : 244;
    }
  return { width, height, data };
}

/**
 * The renderer's scene for frame `options.frame` of `scenario`.
 * @throws {RangeError} for an unknown scenario name.
 */
export function scenarioScene(scenario: CameraScenario, options: ScenarioFrameOptions): FaceScene {
  const p = SCENARIOS[scenario];
  if (!p) throw new RangeError(`unknown camera scenario ${String(scenario)}`);
  const fps = options.fps ?? 30;
  // The picture changes at about 15 Hz (every second frame at 30 fps): a pair of frames shares one
  // rendering, which halves the simulator's cost while the stream keeps its frame rate.
  const step = Math.max(1, Math.round(fps / MOTION_HZ));
  const frame = Math.floor(options.frame / step) * step;
  const moving = (seed: string, base: FacePose, extra: Partial<FaceSubject>): FaceSubject => {
    const m = options.still
      ? { dyaw: 0, dpitch: 0, droll: 0, dx: 0, dy: 0, eyeOpenness: 1 }
      : naturalMotion(seed, frame, fps);
    return {
      person: seed,
      pose: {
        ...base,
        yaw: base.yaw + m.dyaw,
        pitch: base.pitch + m.dpitch,
        roll: base.roll + m.droll,
        x: base.x + m.dx,
        y: base.y + m.dy,
      },
      eyeOpenness: p.eyesClosed ? 0 : m.eyeOpenness,
      glasses: p.glasses,
      ...extra,
    };
  };
  const subjects: FaceSubject[] = [];
  if (!p.noFace) {
    if (p.secondFace) subjects.push(moving(`${options.personSeed}:companion`, p.secondFace, {}));
    subjects.push(moving(options.personSeed, p.pose, {}));
  }
  return {
    width: options.width,
    height: options.height,
    subjects,
    lighting: p.lighting,
    background: p.background,
    clutter: p.clutter,
    roomSeed: 7,
    blur: (p.blur * options.height) / 480,
    noiseSeed: frame,
    ...(p.card
      ? {
          card: {
            image: options.cardImage ?? placeholderCard(),
            x: p.card.x,
            y: p.card.y,
            width: p.card.width,
          },
        }
      : {}),
  };
}
