/**
 * A finished capture set: what the enrollment workflow hands to the packet builder once the officer
 * has taken every slap and the portrait and typed (or read from the old card) the demographics.
 * Plain data with typed arrays only, so it crosses to the packet worker by structured clone.
 *
 * The slaps are the hot path's results as they are (station/hotpath `SlapResult`): segmented
 * fingers with their positions and boxes, our quality score and the finger's WSQ, and the whole slap
 * as WSQ. `slapCaptureOf` turns one `SlapResult` into a `SlapCapture`.
 */
import type {
  Applicant,
  CaptureException,
  EnrollmentType,
  Environment,
} from '../../protocol/packet/manifest.ts';
import type { SlapResult } from '../hotpath/hotpath.ts';

export type SlapHand = 'right' | 'left' | 'thumbs';

/** The capture device (scanner or camera) as it identified itself. */
export interface CaptureDeviceIdentity {
  readonly model: string;
  readonly serialNumber: string;
  readonly firmware: string;
  /** The device's X.509 signing certificate, DER. */
  readonly certificate: Uint8Array;
}

/**
 * The device's own signature over what it captured (protocol/scanner §4.7 for our scanners: ECDSA
 * over the domain, the host nonce, the header and the SHA-256 of the pixels), DER.
 */
export interface CaptureAttestation {
  readonly signature: Uint8Array;
}

/** One finger cut from a slap by the hot path. */
export interface CapturedFinger {
  /** ANSI/NIST finger position (FGP) 1-10. */
  readonly position: number;
  /** The finger's box in the slap, px (segmentation's axis-aligned contact box). */
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** The upright crop that was scored and compressed, px. */
  readonly width: number;
  readonly height: number;
  /** Our unified quality score 0-100 (protocol/quality SCORE_IDENTITY), never NFIQ 2's. */
  readonly score: number;
  /** The crop as WSQ (500 ppi). */
  readonly wsq: Uint8Array;
}

/** One four-finger slap or the two thumbs. */
export interface SlapCapture {
  readonly hand: SlapHand;
  /** The slap image, px at 500 ppi. */
  readonly width: number;
  readonly height: number;
  /** The whole slap as WSQ. */
  readonly wsq: Uint8Array;
  readonly fingers: readonly CapturedFinger[];
  readonly device: CaptureDeviceIdentity;
  /** Absent when the device signs nothing; the manifest (layout 1) then cannot be built. */
  readonly attestation?: CaptureAttestation;
  /** Captures the officer made of this slap (1-99). */
  readonly attempts: number;
}

/** The card portrait: the full-resolution ICAO capture as JPEG (not the chip's small JPEG). */
export interface PortraitCapture {
  readonly jpeg: Uint8Array;
  readonly device: CaptureDeviceIdentity;
  readonly attestation?: CaptureAttestation;
  readonly attempts: number;
}

/**
 * The applicant as the manifest carries them, plus what only the ANSI/NIST Type-2 record needs:
 * the nationality's ISO 3166-1 alpha-3 code (2.007 NAT) and the former CMND number (2.017 OID).
 */
export interface EnrollmentApplicant extends Applicant {
  readonly nationalityCode: string;
  readonly formerIdNumber?: string;
}

export interface CaptureSet {
  /** UUID fixed when the enrollment session started (a retry reuses it). */
  readonly packetId: string;
  readonly enrollmentSessionId: string;
  readonly environment: Environment;
  readonly enrollmentType: EnrollmentType;
  readonly applicant: EnrollmentApplicant;
  /** Slaps in capture order (usually right, left, thumbs: the 4-4-2 set). */
  readonly slaps: readonly SlapCapture[];
  readonly portrait: PortraitCapture;
  /** Fingers declared not captured (amputated, bandaged ...), with the reason. */
  readonly exceptions: readonly CaptureException[];
  readonly stationId: string;
  readonly officerId: string;
  readonly supervisorApproval: { readonly supervisorId: string; readonly approvedAt: string } | null;
  /** ISO 8601 with offset. `capturedAt` dates the images and drives the age rules. */
  readonly times: { readonly sessionStartedAt: string; readonly capturedAt: string };
  /** Head of the station's audit chain, SHA-256 lower-case hex. */
  readonly auditChainHead: string;
  /**
   * The audit trail's anchor when the packet is built (station/audit `trail.head()`); its head must
   * equal `auditChainHead`. Goes into the manifest's `audit`, which central echoes in receipts.
   */
  readonly audit?: { readonly seq: number; readonly head: string };
  /** 1.008 ORI and 1.007 DAI of the transaction; ORI defaults to the station id, DAI to `VN-C06`. */
  readonly agencies?: { readonly ori?: string; readonly dai?: string };
}

/**
 * A hot-path slap result as a `SlapCapture`.
 * @throws {TypeError} when a finger of the result was not compressed (processSlap always does).
 */
export function slapCaptureOf(
  result: SlapResult,
  size: { readonly width: number; readonly height: number },
  device: CaptureDeviceIdentity,
  options: { readonly attestation?: CaptureAttestation; readonly attempts?: number } = {},
): SlapCapture {
  return {
    hand: result.hand,
    width: size.width,
    height: size.height,
    wsq: result.wsq,
    fingers: result.fingers.map((finger) => {
      if (finger.wsq === undefined) throw new TypeError(`finger ${finger.position} has no WSQ`);
      return {
        position: finger.position,
        box: finger.box,
        width: finger.crop.width,
        height: finger.crop.height,
        score: finger.quality.score,
        wsq: finger.wsq,
      };
    }),
    device,
    ...(options.attestation === undefined ? {} : { attestation: options.attestation }),
    attempts: options.attempts ?? 1,
  };
}
