/**
 * The station's hot-path API: assess one finger, assess a live preview frame, process a slap end to
 * end. Everything runs in the worker pool (pool.ts), never on the event loop that serves the
 * officer's screen; every result carries its stage timings and whether it kept its latency budget.
 *
 * A slap runs as a small job graph across the workers: the slap's WSQ starts at once beside the
 * segmentation; as soon as the fingers are cut, each finger's quality and WSQ run as jobs of their
 * own, so on two cores the whole slap costs about one segmentation plus two fingers of wall time.
 *
 * Pixels are copied into the pool unless the caller passes `transferPixels: true`, which moves the
 * caller's buffer instead (the caller's array is emptied).
 */
import type { DetectedFace, RgbImage } from '../../protocol/face/types.ts';
import type { MccTemplate } from '../../protocol/fingerprint/match/index.ts';
import type { Hand, SlapSegmentation } from '../../protocol/fingerprint/segment.ts';
import type { SlapGeometry } from '../../protocol/fingerprint/set-checks.ts';
import type { GreyImage, PreviewAssessment } from '../../protocol/quality/index.ts';
import { HotpathError } from './errors.ts';
import type {
  FaceLiveInput,
  FaceLiveOutput,
  FaceMeasuresOutput,
  FingerOutput,
  FingerQuality,
  GreyInput,
  HotpathJobs,
  JobKind,
  SetCheckInput,
  SetCheckOutput,
} from './jobs.ts';
import {
  HotpathPool,
  type JobResult,
  type JobTimings,
  type OverBudgetReport,
  type PoolStats,
} from './pool.ts';

/** Latency budgets, ms: the targets with a margin for moving buffers between threads. */
export const HOTPATH_BUDGETS_MS = {
  /**
   * Quality (all measures, minutiae, score), the matcher's template (a second extraction, tuned for
   * matching) and WSQ of one 500 x 500 finger.
   */
  finger: 100,
  /** The station-side checks of a ten-print set: 45 comparisons (issue 20: 30 ms). */
  'set-check': 30,
  /** One 1:1 comparison of two templates (issue 20: 0.5 ms; the rest is moving them to the worker). */
  compare: 10,
  /** One live frame; 40 ms is 25 frames/s. */
  preview: 40,
  /** Segmentation of a 1600 x 1500 slap. */
  segment: 80,
  /** WSQ of a whole slap. */
  'wsq-encode': 250,
  'wsq-decode': 250,
  /** A slap end to end, wall time on two cores. */
  slap: 400,
  /** A portrait's measures and decision (640x480 to 1280x720). */
  'face-measures': 150,
  /** One live camera frame: grey copy, tracking, classical checks; 66 ms is 15 frames/s. */
  'face-live': 66,
} as const;

export type BudgetKind = keyof typeof HOTPATH_BUDGETS_MS;

export interface HotpathOptions {
  /** Worker threads; one per core by default. */
  readonly workers?: number;
  /** Overrides of HOTPATH_BUDGETS_MS, ms. */
  readonly budgetsMs?: Readonly<Partial<Record<BudgetKind, number>>>;
  /** A job running longer than this is killed with its worker, ms (default 30000). */
  readonly hardLimitMs?: number;
  /** Jobs allowed to wait for a worker (default 256; a slap is 6 jobs). */
  readonly maxQueued?: number;
  /** Heap cap per worker, MB (default 512). */
  readonly maxHeapMb?: number;
  /** Told about every job, and every slap, that finished over its budget. */
  readonly onOverBudget?: (report: OverBudgetReport) => void;
  /** The worker module; tests pass their own. */
  readonly workerUrl?: URL;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Move the caller's pixel buffer to the worker instead of copying it (the array is emptied). */
  readonly transferPixels?: boolean;
}

export interface FingerOptions extends CallOptions {
  /** Resolution written into the WSQ file (default 500; the score assumes 500 ppi). */
  readonly ppi?: number;
  /** WSQ bits per pixel (default 0.75). */
  readonly bitRate?: number;
  /** Also compress to WSQ (default true). */
  readonly wsq?: boolean;
}

export interface FingerAssessment extends FingerOutput {
  readonly timings: JobTimings;
  readonly budgetMs: number;
  readonly overBudget: boolean;
}

export interface PreviewOptions extends CallOptions {
  /** The frame's resolution: 500 full size, 125 for a 1/4 preview (default 500). */
  readonly ppi?: number;
}

export interface PreviewResult {
  readonly assessment: PreviewAssessment;
  readonly timings: JobTimings;
  readonly overBudget: boolean;
}

export interface SlapOptions extends CallOptions {
  /** The hand the officer asked for. */
  readonly hand: Hand;
  /** Positions declared absent (amputated, bandaged). */
  readonly missing?: readonly number[];
  /** WSQ bits per pixel for the slap and its fingers (default 0.75). */
  readonly bitRate?: number;
}

/** One finger of a processed slap. */
export interface SlapFinger extends Omit<SlapSegmentation['fingers'][number], 'crop'>, FingerOutput {
  /** The upright crop (500 ppi) that was scored and compressed. */
  readonly crop: GreyImage;
  readonly timings: JobTimings;
}

export interface SlapTimings {
  /** From the call to the result, ms: what the officer waits. */
  readonly wallMs: number;
  readonly segment: JobTimings;
  readonly slapWsq: JobTimings;
  /**
   * Worker time per stage summed over the slap's jobs, ms: segment, quality (measures, minutiae
   * and score), wsq (the slap's and the fingers').
   */
  readonly stages: Readonly<Record<string, number>>;
}

export interface SlapResult extends Omit<SlapSegmentation, 'fingers'> {
  readonly fingers: readonly SlapFinger[];
  /** The whole slap as WSQ. */
  readonly wsq: Uint8Array;
  readonly timings: SlapTimings;
  readonly budgetMs: number;
  readonly overBudget: boolean;
}

/** The pixels to send: a copy, or the caller's own buffer when it may be moved whole. */
function pixelsFor(image: GreyInput, transfer: boolean): { pixels: Uint8Array; transfer: ArrayBuffer[] } {
  const { pixels } = image;
  if (!(pixels instanceof Uint8Array)) throw new TypeError('image.pixels must be a Uint8Array');
  // A view on part of a larger buffer (a pooled Buffer) is never moved: that would take the rest too.
  const whole = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength;
  const own = transfer && whole && pixels.buffer instanceof ArrayBuffer ? pixels : new Uint8Array(pixels);
  return { pixels: own, transfer: [own.buffer as ArrayBuffer] };
}

function addStages(into: Record<string, number>, stages: Readonly<Record<string, number>>): void {
  for (const [name, ms] of Object.entries(stages)) into[name] = (into[name] ?? 0) + ms;
}

export class Hotpath {
  readonly #options: HotpathOptions;
  readonly #budgets: Readonly<Record<BudgetKind, number>>;
  readonly #onOverBudget: ((report: OverBudgetReport) => void) | undefined;
  #started: HotpathPool | undefined;
  #closed = false;

  /**
   * Workers start on the first job or on `ready()`, whichever comes first, so a station that never
   * scores a finger (a notary desk) never pays for them; call `ready()` at start to have them warm.
   */
  constructor(options: HotpathOptions = {}) {
    this.#options = options;
    this.#budgets = { ...HOTPATH_BUDGETS_MS, ...options.budgetsMs };
    this.#onOverBudget = options.onOverBudget;
  }

  get #pool(): HotpathPool {
    if (this.#started) return this.#started;
    if (this.#closed) throw new HotpathError('HOTPATH_CLOSED', 'The hot path is closed');
    const options = this.#options;
    this.#started = new HotpathPool({
      ...(options.workers === undefined ? {} : { size: options.workers }),
      ...(options.workerUrl === undefined ? {} : { workerUrl: options.workerUrl }),
      ...(options.hardLimitMs === undefined ? {} : { hardLimitMs: options.hardLimitMs }),
      ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
      ...(options.maxHeapMb === undefined ? {} : { maxHeapMb: options.maxHeapMb }),
      budgetsMs: this.#budgets,
      ...(options.onOverBudget === undefined ? {} : { onOverBudget: options.onOverBudget }),
    });
    return this.#started;
  }

  /** Starts the workers if they are not yet, and resolves once every one has loaded. */
  async ready(): Promise<void> {
    await this.#pool.ready();
  }

  /** The pool's counters; all zero, with `started: false`, before the first job. */
  stats(): PoolStats & { readonly started: boolean } {
    if (this.#started) return { ...this.#started.stats(), started: true };
    return {
      started: false,
      workers: 0,
      busy: 0,
      starting: 0,
      queued: 0,
      completed: 0,
      failed: 0,
      overBudget: 0,
      crashed: 0,
      timedOut: 0,
    };
  }

  /** Fails pending work with HOTPATH_CLOSED and stops the workers. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#started?.close();
  }

  /**
   * Scores one 500 ppi finger (NFIQ 2 measures with our minutiae, our unified score, officer
   * feedback) and compresses it to WSQ.
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT with the algorithm's reason for an image
   *   it refuses (empty, size-mismatch, too-small, too-large...), and the pool's other codes.
   */
  async assessFinger(image: GreyInput, options: FingerOptions = {}): Promise<FingerAssessment> {
    const { pixels, transfer } = pixelsFor(image, options.transferPixels === true);
    const result = await this.#pool.run(
      'finger',
      {
        width: image.width,
        height: image.height,
        pixels,
        ...(options.ppi === undefined ? {} : { ppi: options.ppi }),
        ...(options.bitRate === undefined ? {} : { bitRate: options.bitRate }),
        ...(options.wsq === undefined ? {} : { wsq: options.wsq }),
      },
      { transfer, ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
    return {
      ...result.value,
      timings: result.timings,
      budgetMs: result.budgetMs,
      overBudget: result.overBudget,
    };
  }

  /**
   * Assesses one live preview frame: finger present, centred, area, contrast, coarse quality.
   * Preview jobs wait ahead of slap and finger work, so the applicant's guidance keeps flowing.
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT for a frame it refuses, and the pool's codes.
   */
  async assessPreview(frame: GreyInput, options: PreviewOptions = {}): Promise<PreviewResult> {
    const { pixels, transfer } = pixelsFor(frame, options.transferPixels === true);
    const result = await this.#pool.run(
      'preview',
      {
        width: frame.width,
        height: frame.height,
        pixels,
        ...(options.ppi === undefined ? {} : { ppi: options.ppi }),
      },
      { transfer, priority: 'urgent', ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
    return { assessment: result.value, timings: result.timings, overBudget: result.overBudget };
  }

  /**
   * A portrait's OFIQ-aligned measures (protocol/face/measures.ts) and the officer's decision, from
   * the image and the detector's faces. Pixels are copied unless `transferPixels`.
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT for a malformed raster or landmarks, and
   *   the pool's other codes.
   */
  async assessPortrait(
    image: RgbImage,
    faces: readonly DetectedFace[],
    options: CallOptions = {},
  ): Promise<FaceMeasuresOutput & { readonly timings: JobResult<unknown>['timings'] }> {
    const { pixels: data, transfer } = pixelsFor(
      { width: image.width, height: image.height, pixels: image.data },
      options.transferPixels === true,
    );
    const result = await this.#pool.run(
      'face-measures',
      { image: { width: image.width, height: image.height, data }, faces },
      { transfer, ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
    return { ...result.value, timings: result.timings };
  }

  /**
   * One live camera frame: grey copy, the face tracked from `previous` (what the last call for this
   * camera returned, with the box and anchor of the last detection), the classical checks. Urgent, as
   * fingerprint previews are. Pixels are copied unless `transferPixels`.
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT for a malformed frame, and the pool's codes.
   */
  async assessLiveFrame(
    frame: RgbImage,
    scale: number,
    previous: FaceLiveInput['previous'],
    options: CallOptions = {},
  ): Promise<FaceLiveOutput & { readonly timings: JobResult<unknown>['timings'] }> {
    const { pixels: data, transfer } = pixelsFor(
      { width: frame.width, height: frame.height, pixels: frame.data },
      options.transferPixels === true,
    );
    const result = await this.#pool.run(
      'face-live',
      { frame: { width: frame.width, height: frame.height, data }, scale, previous },
      {
        transfer,
        priority: 'urgent',
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    return { ...result.value, timings: result.timings };
  }

  /**
   * One 1:1 comparison of two prepared templates (the matcher's score and paired minutiae).
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT for a template of another layout.
   */
  async compareTemplates(
    a: MccTemplate,
    b: MccTemplate,
    options: CallOptions = {},
  ): Promise<{ readonly score: number; readonly pairs: ReadonlyArray<readonly [number, number]> }> {
    const result = await this.#pool.run(
      'compare',
      { a, b },
      options.signal === undefined ? {} : { signal: options.signal },
    );
    return result.value;
  }

  /**
   * The station-side checks of a ten-print set (issue 20): every finger against every other (the
   * same hand or a finger given twice), and the slaps' hand geometry (hands swapped). Fingers whose
   * template is null (too few minutiae, an exception) are left out.
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT for a position outside 1-10 or repeated,
   *   a template of another layout, or an FMR the threshold table cannot state; the pool's codes.
   */
  async checkSet(
    fingers: SetCheckInput['fingers'],
    options: CallOptions & { readonly geometry?: SlapGeometry; readonly fmr?: number } = {},
  ): Promise<SetCheckOutput & { readonly timings: JobTimings; readonly overBudget: boolean }> {
    const result = await this.#pool.run(
      'set-check',
      {
        fingers,
        ...(options.geometry === undefined ? {} : { geometry: options.geometry }),
        ...(options.fmr === undefined ? {} : { fmr: options.fmr }),
      },
      options.signal === undefined ? {} : { signal: options.signal },
    );
    return { ...result.value, timings: result.timings, overBudget: result.overBudget };
  }

  /**
   * Processes a four-finger slap or a two-thumb image end to end: segmentation into fingers with
   * positions and the expected-count check, each finger's quality and WSQ, and the slap's WSQ.
   * One failing part cancels the rest.
   * @throws {HotpathError} (as a rejection) HOTPATH_INPUT when segmentation or WSQ refuses the image
   *   (with their reason; 'invalid-option' for a `missing` position not on `hand`), HOTPATH_CANCELED
   *   when `signal` fires, and the pool's other codes.
   */
  async processSlap(image: GreyInput, options: SlapOptions): Promise<SlapResult> {
    const started = performance.now();
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    if (options.signal?.aborted)
      throw new HotpathError('HOTPATH_CANCELED', 'The slap was canceled', { job: 'slap' });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const jobs: Promise<unknown>[] = [];
    // The first failure is the one reported; it cancels the slap's other jobs, whose own
    // (HOTPATH_CANCELED) failures come after it and are ignored.
    let firstFailure: unknown;
    const track = <K extends JobKind>(job: Promise<JobResult<HotpathJobs[K]['output']>>) => {
      jobs.push(
        job.catch((error: unknown) => {
          firstFailure ??= error;
          controller.abort();
        }),
      );
      return job;
    };
    const signal = controller.signal;
    const budgetMs = this.#budgets.slap;
    try {
      const forWsq = pixelsFor(image, false);
      const forSegment = pixelsFor(image, options.transferPixels === true);
      const size = { width: image.width, height: image.height };
      const bitRate = options.bitRate === undefined ? {} : { bitRate: options.bitRate };
      // Sub-jobs carry the slap's budget: queueing behind each other is the plan, not a delay.
      const slapWsq = track<'wsq-encode'>(
        this.#pool.run(
          'wsq-encode',
          { ...size, pixels: forWsq.pixels, ...bitRate },
          { transfer: forWsq.transfer, signal, budgetMs },
        ),
      );
      const segmented = await track<'segment'>(
        this.#pool.run(
          'segment',
          {
            ...size,
            pixels: forSegment.pixels,
            hand: options.hand,
            ...(options.missing === undefined ? {} : { missing: options.missing }),
          },
          { transfer: forSegment.transfer, signal, budgetMs },
        ),
      );
      const scored = segmented.value.fingers.map((finger) => {
        // The crop stays in the result; the worker gets a copy (a finger is ~150 kB).
        const copy = new Uint8Array(finger.crop.pixels);
        return track<'finger'>(
          this.#pool.run(
            'finger',
            { width: finger.crop.width, height: finger.crop.height, pixels: copy, ...bitRate },
            { transfer: [copy.buffer], signal, budgetMs },
          ),
        );
      });
      const [wsq, fingers] = await Promise.all([slapWsq, Promise.all(scored)]);
      const stages: Record<string, number> = {};
      addStages(stages, segmented.timings.stages);
      addStages(stages, wsq.timings.stages);
      for (const f of fingers) addStages(stages, f.timings.stages);
      const wallMs = performance.now() - started;
      const timings: SlapTimings = { wallMs, segment: segmented.timings, slapWsq: wsq.timings, stages };
      const overBudget = wallMs > budgetMs;
      if (overBudget)
        this.#onOverBudget?.({
          kind: 'slap',
          budgetMs,
          timings: { ...segmented.timings, totalMs: wallMs, stages },
        });
      const { fingers: cut, ...checks } = segmented.value;
      return {
        ...checks,
        fingers: cut.map((finger, i) => {
          const done = fingers[i] as JobResult<FingerOutput>;
          return { ...finger, ...done.value, timings: done.timings };
        }),
        wsq: wsq.value,
        timings,
        budgetMs,
        overBudget,
      };
    } catch (error) {
      controller.abort();
      // Let the other jobs settle so none is left running or rejecting unobserved.
      await Promise.all(jobs);
      throw firstFailure ?? error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

export type { FingerQuality };
