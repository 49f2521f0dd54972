/**
 * The simulated central service's packet check (issue 17): open one enrollment packet with the
 * central's key (protocol/packet `openPacket`: decrypt, verify the station's signature and chain,
 * the signing time, the manifest, every image of the ANSI/NIST transaction) and say what it found.
 *
 * MINIMAL ON PURPOSE: this is a verdict, not intake. Nothing is stored, no receipt is signed and
 * no deduplication by packet id happens; the upload and receipt contract is issue 18's.
 */
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import type { PacketCrypto } from '../../protocol/packet/crypto.ts';
import type { PacketDecryptor } from '../../protocol/packet/keys.ts';
import {
  type EnvelopeLabels,
  type OfficerMessage,
  openPacket,
  PACKET_MESSAGES,
  type PacketRejection,
} from '../../protocol/packet/open.ts';

/** What the central refuses beyond the packet's own rejections. */
export type CentralRejection =
  | PacketRejection
  /** A valid packet of the other environment (test material at production, or the reverse). */
  | { readonly kind: 'wrong-environment'; readonly packet: string; readonly central: string };

export const CENTRAL_MESSAGES: Readonly<Record<CentralRejection['kind'], OfficerMessage>> = {
  ...PACKET_MESSAGES,
  'wrong-environment': {
    vi: 'Gói hồ sơ thuộc môi trường khác (thử nghiệm/chính thức). Kiểm tra cấu hình môi trường của trạm.',
    en: 'The packet belongs to the other environment (test/production). Check the station environment setting.',
  },
};

/** The verdict, as POST /v1/packets/verify answers it (JSON). Times are ISO 8601 UTC. */
export type PacketVerdict =
  | {
      readonly accepted: true;
      readonly packetId: string;
      readonly enrollmentSessionId: string;
      readonly environment: string;
      readonly stationId: string;
      readonly officerId: string;
      readonly signer: { readonly subject: string; readonly issuer: string; readonly serialNumber: string };
      readonly signingTime: string;
      readonly imagesChecked: boolean;
      readonly imageCount: number;
    }
  | {
      readonly accepted: false;
      /** The unencrypted labels, when the envelope decoded (not authenticated). */
      readonly labels?: EnvelopeLabels;
      readonly rejection: CentralRejection & { readonly message: OfficerMessage };
    };

export interface VerifyPacketOptions {
  readonly decryptor: PacketDecryptor;
  /** Station CA certificates (DER) a packet's signer must chain to. */
  readonly trustAnchors: readonly Uint8Array[];
  readonly environment: 'test' | 'production';
  /** The central's clock, ms since the Unix epoch. */
  readonly now: number;
  readonly crypto?: PacketCrypto;
}

function rejected(rejection: CentralRejection, labels?: EnvelopeLabels): PacketVerdict {
  return {
    accepted: false,
    ...(labels === undefined ? {} : { labels }),
    rejection: { ...rejection, message: CENTRAL_MESSAGES[rejection.kind] },
  };
}

/**
 * Opens and verifies one packet. Resolves a verdict for every input (openPacket never throws on
 * packet bytes); rejects only when the decryptor's own certificate does not decode (setup error).
 */
export async function verifyPacket(packet: Uint8Array, options: VerifyPacketOptions): Promise<PacketVerdict> {
  const result = await openPacket({
    packet,
    decryptor: options.decryptor,
    crypto: options.crypto ?? createNodePacketCrypto(),
    trustAnchors: options.trustAnchors,
    now: options.now,
  });
  if (!result.ok) return rejected(result.rejection, result.labels);
  const { manifest } = result.packet;
  if (manifest.environment !== options.environment)
    return rejected(
      { kind: 'wrong-environment', packet: manifest.environment, central: options.environment },
      result.packet.labels,
    );
  return {
    accepted: true,
    packetId: manifest.packetId,
    enrollmentSessionId: manifest.enrollmentSessionId,
    environment: manifest.environment,
    stationId: manifest.stationId,
    officerId: manifest.officerId,
    signer: result.packet.signer,
    signingTime: new Date(result.packet.signingTime).toISOString(),
    imagesChecked: result.packet.imagesChecked,
    imageCount: manifest.capture.images.length,
  };
}
