/**
 * The second packet type the station seals: an e-ID level-2 application (protocol/packet/eid.ts).
 * `EidApplicationSet` is what the e-ID workflow (station/workflows/eid) hands over when the officer
 * submits; `assembleEid` makes its manifest (sync, no I/O). The packet worker signs and encrypts it
 * through the same PacketBuilder, and the Sealer puts it in the same outbox, so the uploader and
 * central's receipts treat both types alike.
 */
import { createHash } from 'node:crypto';
import type { EidApplicationManifest } from '../../protocol/packet/eid-manifest.ts';
import type { Environment } from '../../protocol/packet/manifest.ts';

export interface EidApplicationSet {
  readonly kind: 'eid-level2-application';
  /** UUIDs fixed when the registration started. */
  readonly packetId: string;
  readonly registrationSessionId: string;
  readonly environment: Environment;
  readonly citizen: EidApplicationManifest['citizen'];
  /** The chip checks, without the SOD's hash (computed here from `sod`). */
  readonly chip: Omit<EidApplicationManifest['chip'], 'sodSha256'>;
  /** The face comparison, without the portrait's hash (computed here from `livePortrait`). */
  readonly face: Omit<EidApplicationManifest['face'], 'livePortraitSha256'>;
  readonly contact: EidApplicationManifest['contact'];
  readonly consent: EidApplicationManifest['consent'];
  /** The live portrait compared with DG2, JPEG. */
  readonly livePortrait: Uint8Array;
  /** EF.SOD as read. */
  readonly sod: Uint8Array;
  readonly stationId: string;
  readonly officerId: string;
  readonly signingMethod: EidApplicationManifest['signingMethod'];
  /** ISO 8601 with offset. */
  readonly times: { readonly sessionStartedAt: string; readonly signedAt: string };
  readonly auditChainHead: string;
  readonly audit?: { readonly seq: number; readonly head: string };
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The manifest of `set`, built at `builtAt` (ms since the Unix epoch). */
export function assembleEid(set: EidApplicationSet, builtAt: number): EidApplicationManifest {
  return {
    manifestType: 'eid-level2-application',
    manifestVersion: 1,
    packetId: set.packetId,
    registrationSessionId: set.registrationSessionId,
    environment: set.environment,
    level: 2,
    citizen: set.citizen,
    chip: { ...set.chip, sodSha256: sha(set.sod) },
    face: { ...set.face, livePortraitSha256: sha(set.livePortrait) },
    contact: set.contact,
    consent: set.consent,
    stationId: set.stationId,
    officerId: set.officerId,
    signingMethod: set.signingMethod,
    times: { ...set.times, builtAt: new Date(builtAt).toISOString() },
    auditChainHead: set.auditChainHead,
    ...(set.audit === undefined ? {} : { audit: set.audit }),
  };
}
