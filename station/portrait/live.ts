/**
 * Live portrait feedback (issue 19 item 5): while the applicant sits in front of the camera, every
 * frame gets the classical checks (exposure, sharpness, where the tracked face is) and, every few
 * frames, the detector runs in the face engine's worker; between detections the face is tracked.
 * Face-dependent feedback (pose, eyes, glare, background) is shown only while its detection is at
 * most `maxDetectionAgeMs` old (400 ms by default, the bound); older, it is dropped rather
 * than shown stale.
 *
 * Nothing here runs on the event loop: JPEG decoding in sharp (libuv's pool), the per-frame checks in
 * the hot path's workers, detection in the engine's worker. Frames arrive newest-only from the
 * camera, so a slow step skips frames; it never queues them.
 */

import type { ClassicalAssessment } from '../../protocol/face/classical.ts';
import { type FaceAnchor, faceAnchor, type GreyFrame } from '../../protocol/face/classical.ts';
import { liveFeedback, type PortraitDecision, portraitFeedback } from '../../protocol/face/feedback.ts';
import type { FaceAssessment } from '../../protocol/face/measures.ts';
import type { Box, RgbImage } from '../../protocol/face/types.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import { decodeRgb } from '../imaging/sharp-images.ts';
import type { EngineProvider } from './capture.ts';

/** What the live loop needs of a camera (drivers/camera/camera.ts CameraDevice has it). */
export interface LiveFrameSource {
  frames(signal?: AbortSignal): AsyncIterable<{
    readonly jpeg: Uint8Array;
    readonly timestampMs: number;
    readonly sequence: number;
  }>;
}

export interface LiveAssessment {
  readonly sequence: number;
  /** The frame's capture time, ms (the camera's clock). */
  readonly timestampMs: number;
  readonly width: number;
  readonly height: number;
  /** Classical checks of this frame plus the fresh detection's face-dependent checks. */
  readonly decision: PortraitDecision;
  readonly classical: ClassicalAssessment;
  /** The face box in this frame (tracked from the last detection), or null. */
  readonly face: { readonly box: Box; readonly tracked: boolean } | null;
  /** The detection whose measures are in `decision`, or null when none is fresh. */
  readonly detection: { readonly ageMs: number; readonly faceCount: number } | null;
  /** Wall time of this frame's decode and checks, ms. */
  readonly frameMs: number;
}

export interface LivePortraitOptions {
  readonly source: LiveFrameSource;
  readonly engines: EngineProvider;
  readonly hotpath: Hotpath;
  /** Face-dependent feedback older than this is not shown, ms. Default 400. */
  readonly maxDetectionAgeMs?: number;
  /** Milliseconds; default performance.now. Must share the camera frames' time base. */
  readonly now?: () => number;
  /** Told of frames that cannot be decoded or checked (counted, skipped). */
  readonly onWarning?: (message: string) => void;
}

interface Detection {
  readonly at: number;
  readonly faceCount: number;
  readonly assessment: FaceAssessment;
  readonly decision: PortraitDecision;
}

interface Tracking {
  readonly grey: GreyFrame;
  readonly box: Box;
  readonly anchor: FaceAnchor;
}

/** Source px per grey px for the per-frame checks: 640x480 at full size, 1280x720 halved. */
export function liveScale(width: number): number {
  return width >= 1000 ? 2 : 1;
}

export class LivePortrait {
  readonly #options: LivePortraitOptions;
  readonly #now: () => number;
  readonly #maxAge: number;
  readonly #listeners = new Set<(assessment: LiveAssessment) => void>();
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #latest: LiveAssessment | undefined;
  #tracking: Tracking | null = null;
  #detection: Detection | undefined;
  #detecting = false;
  #warnings = 0;

  constructor(options: LivePortraitOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#maxAge = options.maxDetectionAgeMs ?? 400;
  }

  /** The newest assessment, if any. */
  latest(): LiveAssessment | undefined {
    return this.#latest;
  }

  /** Frames that could not be decoded or checked so far. */
  warnings(): number {
    return this.#warnings;
  }

  /**
   * Calls `listener` with each frame's assessment; the loop runs while anyone listens (the engine
   * and the camera's frames are only used then). Returns the unsubscribe function.
   */
  subscribe(listener: (assessment: LiveAssessment) => void): () => void {
    this.#listeners.add(listener);
    if (this.#loop === undefined) this.#start();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) void this.stop();
    };
  }

  /** Stops the loop (listeners stay registered; a new subscribe starts it again). */
  async stop(): Promise<void> {
    this.#abort?.abort();
    const loop = this.#loop;
    this.#loop = undefined;
    await loop;
  }

  #start(): void {
    const abort = new AbortController();
    this.#abort = abort;
    this.#tracking = null;
    this.#detection = undefined;
    this.#loop = this.#run(abort.signal).catch((error: unknown) => {
      if (!abort.signal.aborted) this.#warn(`live portrait stopped: ${(error as Error).message}`);
    });
  }

  #warn(message: string): void {
    this.#warnings += 1;
    this.#options.onWarning?.(message);
  }

  async #run(signal: AbortSignal): Promise<void> {
    for await (const frame of this.#options.source.frames(signal)) {
      if (signal.aborted) return;
      const started = this.#now();
      const decoded = await decodeRgb(frame.jpeg);
      if (!decoded.ok) {
        this.#warn(`frame ${frame.sequence} skipped: ${decoded.error.message}`);
        continue;
      }
      const image = decoded.value;
      const scale = liveScale(image.width);
      const detectThis = !this.#detecting;
      // The detector gets its own copy: the hot path below takes this frame's pixels by transfer.
      const forDetector: RgbImage | undefined = detectThis
        ? { ...image, data: image.data.slice() }
        : undefined;
      let live: Awaited<ReturnType<Hotpath['assessLiveFrame']>>;
      try {
        live = await this.#options.hotpath.assessLiveFrame(image, scale, this.#tracking, { signal });
      } catch (error) {
        if (signal.aborted) return;
        this.#warn(`frame ${frame.sequence} not checked: ${(error as Error).message}`);
        continue;
      }
      const track = live.track;
      if (this.#tracking !== null && track !== null && !track.lost)
        this.#tracking = { grey: live.grey, box: track.box, anchor: this.#tracking.anchor };
      else if (track?.lost === true) this.#tracking = null;
      if (forDetector !== undefined) this.#detect(forDetector, frame.timestampMs, live.grey, signal);

      const fresh =
        this.#detection !== undefined && this.#now() - this.#detection.at <= this.#maxAge
          ? this.#detection
          : undefined;
      const decision =
        fresh !== undefined && fresh.faceCount === 0
          ? fresh.decision
          : liveFeedback(live.classical, fresh?.assessment ?? null);
      const assessment: LiveAssessment = {
        sequence: frame.sequence,
        timestampMs: frame.timestampMs,
        width: image.width,
        height: image.height,
        decision,
        classical: live.classical,
        face: this.#tracking === null ? null : { box: this.#tracking.box, tracked: true },
        detection:
          fresh === undefined
            ? null
            : { ageMs: Math.round(this.#now() - fresh.at), faceCount: fresh.faceCount },
        frameMs: Math.round((this.#now() - started) * 10) / 10,
      };
      this.#latest = assessment;
      for (const listener of [...this.#listeners]) listener(assessment);
    }
  }

  /** Runs the detector on one frame in the background; its result resets the tracker. */
  #detect(image: RgbImage, at: number, grey: GreyFrame, signal: AbortSignal): void {
    this.#detecting = true;
    void (async () => {
      try {
        const engine = await this.#options.engines();
        const faces = await engine.detect(image, { detector: 'tiny', signal });
        const measured = await this.#options.hotpath.assessPortrait(image, faces, {
          signal,
          transferPixels: true,
        });
        const face = measured.assessment.face;
        this.#detection = {
          at,
          faceCount: faces.length,
          assessment: measured.assessment,
          decision: faces.length === 0 ? portraitFeedback(measured.assessment) : measured.decision,
        };
        this.#tracking = face === null ? null : { grey, box: face.box, anchor: faceAnchor(face) };
      } catch (error) {
        if (!signal.aborted) this.#warn(`detection failed: ${(error as Error).message}`);
      } finally {
        this.#detecting = false;
      }
    })();
  }
}
