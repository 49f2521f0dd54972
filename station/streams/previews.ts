/**
 * Preview frames as the live streams send them: a small JPEG (base64) and what the station can say
 * about the frame. Encoding runs in sharp (libvips threads) and the fingerprint checks in the hot
 * path's workers; the event loop only waits. A source faster than the encoder never queues work:
 * `LatestOnly` keeps one job running and the newest frame waiting, and skips the rest.
 */
import type { Preview } from '../../drivers/fingerprint/scanner.ts';
import type { PreviewAssessment } from '../../protocol/quality/index.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import { encodePreviewJpeg } from '../imaging/sharp-images.ts';

/** An officer-facing line, Vietnamese first. */
export interface Advice {
  readonly vi: string;
  readonly en: string;
}

/**
 * Runs `work` on the newest input only: one job at a time, and while it runs the newest input waits
 * (replacing any older one, counted in `skipped`). Failures go to `onError`; the next input still runs.
 */
export class LatestOnly<T> {
  readonly #work: (input: T) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #running = false;
  #next: { input: T } | undefined;
  #skipped = 0;
  #stopped = false;

  constructor(work: (input: T) => Promise<void>, onError: (error: unknown) => void = () => {}) {
    this.#work = work;
    this.#onError = onError;
  }

  /** Inputs replaced before their turn came. */
  get skipped(): number {
    return this.#skipped;
  }

  offer(input: T): void {
    if (this.#stopped) return;
    if (this.#running) {
      if (this.#next !== undefined) this.#skipped++;
      this.#next = { input };
      return;
    }
    void this.#run(input);
  }

  /** Drops the waiting input; a running job finishes, nothing starts after it. */
  stop(): void {
    this.#stopped = true;
    this.#next = undefined;
  }

  async #run(first: T): Promise<void> {
    this.#running = true;
    let input: T | undefined = first;
    let has = true;
    while (has && !this.#stopped) {
      try {
        await this.#work(input as T);
      } catch (error) {
        this.#onError(error);
      }
      const next = this.#next;
      this.#next = undefined;
      has = next !== undefined;
      input = next?.input;
    }
    this.#running = false;
  }
}

/** The longest side of a scanner preview and of a camera preview as streamed, px. */
export const SCANNER_PREVIEW_SIDE = 240;
export const CAMERA_PREVIEW_SIDE = 320;

/** What to tell the applicant about a fingerprint preview frame. */
export function fingerAdvice(assessment: PreviewAssessment): Advice {
  if (!assessment.fingerPresent)
    return { vi: 'Đặt ngón tay lên mặt kính.', en: 'Place the finger on the glass.' };
  if (!assessment.centred)
    return {
      vi: 'Đặt ngón tay vào giữa mặt kính.',
      en: 'Move the finger to the middle of the glass.',
    };
  if (assessment.quality < 40)
    return {
      vi: 'Ấn ngón tay phẳng hơn và giữ yên.',
      en: 'Press the finger flatter and hold still.',
    };
  return { vi: 'Tốt, giữ yên.', en: 'Good, hold still.' };
}

/** A scanner preview event's data. */
export interface ScannerPreviewFrame {
  readonly sequence: number;
  readonly fingers: number;
  /** The scanner's preview frame size, px, and its resolution, ppi. */
  readonly width: number;
  readonly height: number;
  readonly ppi: number;
  /** The streamed JPEG's size, px, and the JPEG in base64. */
  readonly image: { readonly width: number; readonly height: number; readonly jpeg: string };
  /** The hot path's preview checks, or null on a station without one (or when they failed). */
  readonly quality: {
    readonly fingerPresent: boolean;
    readonly centred: boolean;
    readonly areaFraction: number;
    readonly contrast: number;
    readonly quality: number;
  } | null;
  readonly advice: Advice | null;
}

const base64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/**
 * One scanner preview frame for the stream: a greyscale JPEG at most SCANNER_PREVIEW_SIDE a side
 * and, with a hot path, its quality checks and the applicant's advice.
 * @param scale the preview's downscale from the 500 ppi image (4: a quarter).
 * @throws {ImageError} IMAGE_ENCODE_FAILED, {RangeError} for an inconsistent frame.
 */
export async function scannerPreviewFrame(
  preview: Preview,
  scale: number,
  hotpath: Hotpath | undefined,
): Promise<ScannerPreviewFrame> {
  const ppi = Math.round(500 / scale);
  const [image, checked] = await Promise.all([
    encodePreviewJpeg(preview, SCANNER_PREVIEW_SIDE),
    hotpath === undefined
      ? Promise.resolve(undefined)
      : hotpath
          .assessPreview({ width: preview.width, height: preview.height, pixels: preview.pixels }, { ppi })
          .then(
            (result) => result.assessment,
            () => undefined,
          ),
  ]);
  return {
    sequence: preview.sequence,
    fingers: preview.fingers,
    width: preview.width,
    height: preview.height,
    ppi,
    image: { width: image.width, height: image.height, jpeg: base64(image.jpeg) },
    quality:
      checked === undefined
        ? null
        : {
            fingerPresent: checked.fingerPresent,
            centred: checked.centred,
            areaFraction: Math.round(checked.areaFraction * 1000) / 1000,
            contrast: checked.contrast,
            quality: checked.quality,
          },
    advice: checked === undefined ? null : fingerAdvice(checked),
  };
}

/** A camera preview event's data. */
export interface CameraPreviewFrame {
  readonly sequence: number;
  /** The frame's capture time, ms (the camera's clock). */
  readonly timestampMs: number;
  readonly image: { readonly width: number; readonly height: number; readonly jpeg: string };
}

/**
 * One camera frame for the stream, shrunk to CAMERA_PREVIEW_SIDE a side.
 * @throws {ImageError} IMAGE_ENCODE_FAILED when the frame does not decode.
 */
export async function cameraPreviewFrame(frame: {
  readonly jpeg: Uint8Array;
  readonly sequence: number;
  readonly timestampMs: number;
}): Promise<CameraPreviewFrame> {
  const image = await encodePreviewJpeg(frame.jpeg, CAMERA_PREVIEW_SIDE);
  return {
    sequence: frame.sequence,
    timestampMs: frame.timestampMs,
    image: { width: image.width, height: image.height, jpeg: base64(image.jpeg) },
  };
}
