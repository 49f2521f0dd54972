/**
 * Messages between the station (builder.ts) and the packet worker (worker.ts). Structured clone
 * carries them; the packet bytes move by transfer. The private key never crosses: the worker asks
 * the station to sign the SignedAttributes (about 200 bytes) and waits for the answer, so a key in
 * a PKCS#11 token keeps its one session on the station's thread.
 */

import type { EidApplicationManifest } from '../../protocol/packet/eid-manifest.ts';
import type { ManifestProblem, PacketManifest } from '../../protocol/packet/manifest.ts';
import type { CaptureSet } from './capture-set.ts';
import type { EidApplicationSet } from './eid-application.ts';

export interface BuildRequest {
  readonly type: 'build';
  readonly id: number;
  readonly set: CaptureSet;
  readonly signerCertificate: Uint8Array;
  readonly chain: readonly Uint8Array[];
  readonly recipientCertificate: Uint8Array;
  /** ms since the Unix epoch: signingTime and the manifest's builtAt. */
  readonly signingTime: number;
}

export type SignAnswer =
  | { readonly type: 'signed'; readonly id: number; readonly signature: Uint8Array }
  | { readonly type: 'sign-failed'; readonly id: number };

/** An e-ID level-2 application to build (station/packets/eid-application.ts). */
export interface BuildEidRequest {
  readonly type: 'build-eid';
  readonly id: number;
  readonly application: EidApplicationSet;
  readonly signerCertificate: Uint8Array;
  readonly chain: readonly Uint8Array[];
  readonly recipientCertificate: Uint8Array;
  /** ms since the Unix epoch: signingTime and the manifest's builtAt. */
  readonly signingTime: number;
}

export type ToWorker = BuildRequest | BuildEidRequest | SignAnswer;

/** Component sizes, bytes. */
export interface PacketSizes {
  readonly manifest: number;
  readonly transaction: number;
  readonly portrait: number;
  /** Images inside the transaction: the portrait, each finger and each slap. */
  readonly images: {
    readonly face: number;
    readonly fingers: number;
    readonly slaps: number;
  };
  readonly content: number;
  readonly signedData: number;
  readonly packet: number;
}

export interface BuildDone {
  readonly type: 'done';
  readonly id: number;
  readonly packet: Uint8Array;
  readonly manifest: PacketManifest;
  readonly sizes: PacketSizes;
  /** Worker time, ms: assembling the transaction and manifest; signing and encrypting. */
  readonly timings: { readonly assembleMs: number; readonly buildMs: number };
}

export interface BuildFailed {
  readonly type: 'failed';
  readonly id: number;
  readonly error: {
    readonly name: string;
    readonly code: string | undefined;
    readonly message: string;
    readonly path?: string;
    readonly problems?: readonly ManifestProblem[];
  };
}

export interface BuildEidDone {
  readonly type: 'done-eid';
  readonly id: number;
  readonly packet: Uint8Array;
  readonly manifest: EidApplicationManifest;
  /** Worker time, ms: signing and encrypting. */
  readonly timings: { readonly buildMs: number };
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'sign'; readonly id: number; readonly data: Uint8Array }
  | BuildDone
  | BuildEidDone
  | BuildFailed;
