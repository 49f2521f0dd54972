/**
 * What the live streams see of fingerprint captures. Captures are run by whoever needs one (the
 * devices route, the enrollment and verification workflows, the card check), each iterating the
 * scanner's `capture()`; the tap sits on each scanner's `capture` at composition, passes every event
 * through unchanged to that caller, and tells the stream listeners of the same device:
 *
 *   { type: 'started', mode }                   a capture began
 *   { type: 'status', status }                  waiting-for-finger, capturing, processing
 *   { type: 'preview', preview }                a preview frame (greyscale pixels, downscaled)
 *   { type: 'ended', outcome, code? }           result | failed (with the driver's code) | stopped
 *
 * The captured image itself is never told (it goes only to the caller). Preview frames are asked of
 * the scanner only while someone listens to that device's previews, and only when the caller did
 * not say (`preview` unset), so a capture nobody watches costs nothing more.
 */
import type {
  CaptureEvent,
  CaptureModeName,
  CaptureOptions,
  DeviceStatusName,
  FingerprintScanner,
  Preview,
} from '../../drivers/fingerprint/scanner.ts';

export type TapEvent =
  | { readonly type: 'started'; readonly mode: CaptureModeName }
  | { readonly type: 'status'; readonly status: DeviceStatusName }
  | { readonly type: 'preview'; readonly preview: Preview; readonly scale: number }
  | {
      readonly type: 'ended';
      readonly outcome: 'result' | 'failed' | 'stopped';
      readonly code?: string;
    };

export type TapListener = (event: TapEvent) => void;

/** The preview scale asked for when the caller names none (the HID driver's own default). */
const DEFAULT_PREVIEW_SCALE = 4;

export class CaptureTap {
  readonly #listeners = new Map<string, Set<{ listener: TapListener; previews: boolean }>>();

  /**
   * Listens to one device's captures until the returned function is called. `previews: true` makes
   * the scanner send preview frames for captures that start from now on.
   */
  listen(deviceId: string, listener: TapListener, options: { previews?: boolean } = {}): () => void {
    const entry = { listener, previews: options.previews === true };
    let set = this.#listeners.get(deviceId);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(deviceId, set);
    }
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#listeners.get(deviceId) === set) this.#listeners.delete(deviceId);
    };
  }

  /** How many listeners a device has (for tests and /devices counters). */
  listeners(deviceId: string): number {
    return this.#listeners.get(deviceId)?.size ?? 0;
  }

  /**
   * Puts the tap on `scanner.capture`; the returned function takes it off again. A listener that
   * throws is not the caller's problem: it is dropped from this event, never from the capture.
   */
  attach(scanner: FingerprintScanner): () => void {
    const original = scanner.capture;
    const tap = this;
    const tapped = function (this: FingerprintScanner, options: CaptureOptions): AsyncIterable<CaptureEvent> {
      const wantPreviews = [...(tap.#listeners.get(scanner.id) ?? [])].some((entry) => entry.previews);
      const asked = wantPreviews && options.preview === undefined ? { ...options, preview: true } : options;
      return tap.#observe(scanner.id, asked, original.call(this, asked));
    };
    scanner.capture = tapped;
    return () => {
      if (scanner.capture === tapped) scanner.capture = original;
    };
  }

  #tell(deviceId: string, event: TapEvent): void {
    for (const { listener } of [...(this.#listeners.get(deviceId) ?? [])]) {
      try {
        listener(event);
      } catch {
        // A stream's fault stays in the stream.
      }
    }
  }

  async *#observe(
    deviceId: string,
    options: CaptureOptions,
    events: AsyncIterable<CaptureEvent>,
  ): AsyncGenerator<CaptureEvent> {
    this.#tell(deviceId, { type: 'started', mode: options.mode });
    let outcome: 'result' | 'failed' | 'stopped' = 'stopped';
    let code: string | undefined;
    try {
      for await (const event of events) {
        if (event.type === 'status') this.#tell(deviceId, { type: 'status', status: event.status });
        else if (event.type === 'preview')
          this.#tell(deviceId, {
            type: 'preview',
            preview: event.preview,
            scale: options.previewScale ?? DEFAULT_PREVIEW_SCALE,
          });
        else outcome = 'result';
        yield event;
      }
    } catch (error) {
      outcome = 'failed';
      const errorCode = (error as { code?: unknown }).code;
      code = typeof errorCode === 'string' ? errorCode : undefined;
      throw error;
    } finally {
      this.#tell(deviceId, { type: 'ended', outcome, ...(code === undefined ? {} : { code }) });
    }
  }
}
