/**
 * What the station asks of any fingerprint scanner, whatever its wire: the FPSCAN HID scanners
 * (hid-scanner.ts) and the R30x serial modules (r30x-scanner.ts) both implement FingerprintScanner,
 * so the capture workflow, the CLI and the devices route never look at the transport.
 */
import type { CaptureModeName, DeviceStatusName, Preview } from '../../protocol/scanner/commands.ts';
import type { Device } from '../device.ts';

export type { CaptureModeName, DeviceStatusName, Preview };

/**
 * `enrollment`: an FPSCAN device whose images are signed by a certified device key.
 * `verification-only`: a module that is not enrollment-grade (small 4-bit sensor, no attestation);
 * its images may be used to check a holder against a card, never to enrol.
 */
export type ScannerUse = 'enrollment' | 'verification-only';

/** A scanner as the officer and the logs see it, once open. */
export interface ScannerDescription {
  readonly vendor: string;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
  /** Resolution, pixels per inch. */
  readonly ppi: number;
  /** Largest image, pixels. */
  readonly captureWidth: number;
  readonly captureHeight: number;
  /** FAP class (10 .. 60), 0 when the device declares none. */
  readonly fap: number;
  readonly modes: readonly CaptureModeName[];
  readonly use: ScannerUse;
  /** Subject of the device certificate that signs its images, when it has one. */
  readonly certificateSubject?: string;
}

export interface CaptureOptions {
  readonly mode: CaptureModeName;
  /** How long the scanner waits for a finger, ms (1 .. 600000). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Ask for preview frames (ignored by scanners that have none). */
  readonly preview?: boolean;
  /** Preview downscale divisor, 1 .. 16 (default 4). */
  readonly previewScale?: number;
}

/** Proof of which device captured an image: its signature over the host's nonce and the image hash. */
export interface ImageAttestation {
  readonly nonce: Uint8Array;
  /** ECDSA signature, DER, over protocol/scanner resultSignedBytes. */
  readonly signature: Uint8Array;
  readonly certificateSubject: string;
  /** The device certificate (DER) the signature was verified against; packets carry it. */
  readonly certificate: Uint8Array;
}

export interface CapturedImage {
  readonly mode: CaptureModeName;
  readonly width: number;
  readonly height: number;
  readonly ppi: number;
  /** 8-bit grey, row-major, 0 = black. */
  readonly pixels: Uint8Array;
  readonly device: { readonly vendor: string; readonly model: string; readonly serial: string };
  readonly use: ScannerUse;
  /** Present for attested (enrollment-grade) devices; verified before the image is handed out. */
  readonly attestation?: ImageAttestation;
}

export type CaptureEvent =
  | { readonly type: 'status'; readonly status: DeviceStatusName }
  | { readonly type: 'preview'; readonly preview: Preview }
  | { readonly type: 'result'; readonly image: CapturedImage };

export interface FingerprintScanner extends Device {
  readonly family: 'fingerprint-hid' | 'fingerprint-serial';
  /** The open scanner's identity and abilities; undefined until it has opened once. */
  describe(): ScannerDescription | undefined;
  /**
   * Captures in `options.mode`: STATUS (and, where the scanner has them, PREVIEW) events, then one
   * `result`. Rejects (on iteration) with BusyError while another exchange runs, CanceledError when
   * the signal fires, DeviceReportedError (NO_FINGER_TIMEOUT, UNSUPPORTED_MODE, sensor faults),
   * IntegrityError, ProtocolError, DeviceTimeoutError or DisconnectedError; after any of these the
   * scanner resynchronises so the next capture works. Breaking out of the loop cancels the capture.
   */
  capture(options: CaptureOptions): AsyncIterable<CaptureEvent>;
}

/**
 * Runs a capture to its end and returns the image, dropping status and preview events.
 * @throws whatever the capture rejects with; ProtocolError-free scanners always end in a result.
 */
export async function captureImage(
  scanner: FingerprintScanner,
  options: CaptureOptions,
): Promise<CapturedImage> {
  for await (const event of scanner.capture(options)) if (event.type === 'result') return event.image;
  throw new TypeError(`scanner ${scanner.id} ended a capture without a result`);
}

/** True for devices that implement FingerprintScanner (the HID and serial families). */
export function isFingerprintScanner(device: Device): device is FingerprintScanner {
  return (
    (device.family === 'fingerprint-hid' || device.family === 'fingerprint-serial') &&
    'capture' in device &&
    'describe' in device
  );
}
