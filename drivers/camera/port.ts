/**
 * Camera port: what the camera driver needs from a source of JPEG frames, nothing more. The native
 * adapter (native-ffmpeg.ts: ffmpeg reading V4L2, an lavfi test graph, or frames we pipe in) and the
 * simulated camera implement it.
 *
 * Contract:
 * - `open(signal)` checks that the source can run at all (ffmpeg installed, the device node there).
 *   It rejects with FfmpegMissingError, CameraNotFoundError, CameraPermissionError (camera/errors.ts)
 *   or CanceledError; it starts nothing.
 * - `start(signal)` starts capturing and resolves when the first frame has arrived, which proves the
 *   whole path works. It rejects with CameraNotFoundError, CameraBusyError, CameraFormatError,
 *   FfmpegFailedError, CameraNoFramesError (no frame within the source's first-frame timeout) or
 *   CanceledError. Starting a started source resolves at once.
 * - `stop()` stops capturing cleanly (no child process left behind); frame iterators stay open and
 *   get frames again after the next `start`. Safe to call when stopped.
 * - `close()` stops and releases the source: every pending `next()` of a frame iterator rejects with
 *   CanceledError, and so does every later `start`. Safe to call twice.
 * - A source that loses its camera for good while running (unplugged, restarts exhausted) reports
 *   `{ state: 'failed', error }` to its status listeners, and every pending and later `next()` rejects
 *   with that typed error until the next successful `start`. A source that restarts its capture by
 *   itself (the process died) reports `restarting`; frame iterators see a gap, not an error.
 *
 * Frames and backpressure:
 * - `frames(signal)` returns a new subscription that yields the frames captured after it was made,
 *   each a whole JPEG (SOI .. EOI). Several subscriptions may run at once; each gets every frame it
 *   keeps up with.
 * - A subscriber slower than the camera never builds a queue: each subscription holds at most ONE
 *   undelivered frame. A newer frame replaces it and the older one is dropped and counted
 *   (`stats().framesDropped`, the sum over subscriptions). Memory per subscription is one frame.
 * - `sequence` counts the frames the source produced since it was created (0, 1, 2 ...), across
 *   restarts, so a consumer sees drops as gaps. `timestampMs` is the source's monotonic clock
 *   (performance.now() for the native adapter) when the frame was complete, ms.
 * - Frames the source could not use (a zero-byte or corrupt JPEG, garbage between frames, a frame
 *   above the size bound) are skipped and counted in `stats().warnings`, never thrown.
 */

/** One JPEG frame from a camera. */
export interface CameraFrame {
  /** A whole JPEG file, SOI (FF D8) to EOI (FF D9). Callers must not modify it. */
  readonly jpeg: Uint8Array;
  /** When the frame was complete, on the source's monotonic clock, ms. */
  readonly timestampMs: number;
  /** 0, 1, 2 ... over the source's lifetime; a gap means dropped frames. */
  readonly sequence: number;
}

/** Counters since the source was created. */
export interface CameraSourceStats {
  /** Frames the source produced (handed to subscriptions). */
  readonly frames: number;
  /** Frames replaced before a slow subscriber took them, summed over subscriptions. */
  readonly framesDropped: number;
  /** Unusable input skipped: zero-byte or corrupt frames, garbage runs, oversized frames. */
  readonly warnings: number;
  /** Times the capture was restarted after it died unexpectedly. */
  readonly restarts: number;
}

/** What a source is doing; status listeners hear each change. */
export type CameraSourceStatus =
  | { readonly state: 'idle' }
  | { readonly state: 'starting' }
  | { readonly state: 'streaming' }
  | { readonly state: 'restarting'; readonly attempt: number; readonly reason: string }
  | { readonly state: 'failed'; readonly error: Error }
  | { readonly state: 'closed' };

export interface CameraSource {
  /** For logs and /health: the device path, `lavfi` or `pipe`. */
  readonly description: string;
  open(signal?: AbortSignal): Promise<void>;
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
  frames(signal?: AbortSignal): AsyncIterable<CameraFrame>;
  stats(): CameraSourceStats;
  status(): CameraSourceStatus;
  /** Calls `listener` on every status change until the returned function is called. */
  onStatus(listener: (status: CameraSourceStatus) => void): () => void;
}
