/**
 * Sealing, as the officer sees it (issue 18): a finished capture set becomes a signed, encrypted
 * packet in the crash-safe outbox, and the uploader is woken. The packet worker does the heavy work
 * (assembly, hashing, CMS, AES) off the event loop; the outbox makes it durable (fsync) before the
 * promise resolves, so a "sealed" answer means the packet survives a power cut.
 *
 * Idempotent by packet id (Outbox.seal): sealing a capture set whose packet id the outbox already
 * holds returns the stored packet and builds nothing, so a retry after a crash or a double click
 * never changes the digest a receipt will be bound to.
 */
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import type { Clock } from '../clock.ts';
import type { OutboxEntry } from '../outbox/outbox.ts';
import type { PacketBuilder } from './builder.ts';
import type { CaptureSet } from './capture-set.ts';
import type { EidApplicationSet } from './eid-application.ts';
import { PacketStationError } from './errors.ts';

/** What sealing needs from the outbox. */
export interface SealOutbox {
  seal(packetId: string, build: () => Promise<Uint8Array>): Promise<OutboxEntry>;
}

/** The keys a packet is made with: the station's signer and central's key-transport certificate. */
export interface SealCredentials {
  readonly signer: PacketSigner;
  /** Central's key-transport certificate, DER. */
  readonly recipientCertificate: Uint8Array;
}

export interface SealerOptions {
  readonly builder: Pick<PacketBuilder, 'build'> & Partial<Pick<PacketBuilder, 'buildEid'>>;
  readonly outbox: SealOutbox;
  /** Resolves the current credentials (they may rotate while the station runs). */
  readonly credentials: () => Promise<SealCredentials>;
  readonly clock: Clock;
  /** The station's own identity: a capture set for another station or environment is refused. */
  readonly stationId: string;
  readonly environment: string;
  /** Called once a packet is durable in the outbox (e.g. the uploader's wake). */
  readonly onSealed?: (entry: OutboxEntry) => void;
}

export interface SealResult {
  readonly entry: OutboxEntry;
  /** False when the outbox already held this packet id (nothing was built). */
  readonly built: boolean;
  /** ms: the whole seal as the caller waited; the build (worker) part when built. */
  readonly timings: { readonly totalMs: number; readonly buildMs?: number };
}

export class Sealer {
  readonly #options: SealerOptions;

  constructor(options: SealerOptions) {
    this.#options = options;
  }

  /**
   * Seals `set` into the outbox. Resolves once the packet is durable.
   * @throws {PacketStationError} PACKET_CAPTURE_INVALID for a capture set of another station or
   *   environment; the builder's errors (PacketBuildError, PacketStationError); the outbox's
   *   (OutboxError, or the fs error when the disk fails).
   */
  async seal(set: CaptureSet): Promise<SealResult> {
    return this.#seal(set, (credentials, signingTime) =>
      this.#options.builder.build(set, { ...credentials, signingTime }).then(({ packet }) => packet),
    );
  }

  /**
   * Seals an e-ID level-2 application into the same outbox (its own packet type,
   * protocol/packet/eid.ts). Idempotent by packet id, as `seal`.
   * @throws {PacketStationError} PACKET_CAPTURE_INVALID for another station or environment, or when
   *   the builder cannot build e-ID packets; the builder's and the outbox's errors as `seal`.
   */
  async sealEid(application: EidApplicationSet): Promise<SealResult> {
    const { builder } = this.#options;
    return this.#seal(application, async (credentials, signingTime) => {
      if (builder.buildEid === undefined)
        throw new PacketStationError(
          'PACKET_CAPTURE_INVALID',
          'this packet builder does not build e-ID applications',
        );
      return (await builder.buildEid(application, { ...credentials, signingTime })).packet;
    });
  }

  async #seal(
    set: { readonly packetId: string; readonly stationId: string; readonly environment: string },
    build: (credentials: SealCredentials, signingTime: number) => Promise<Uint8Array>,
  ): Promise<SealResult> {
    const { clock, stationId, environment } = this.#options;
    if (set.stationId !== stationId)
      throw new PacketStationError(
        'PACKET_CAPTURE_INVALID',
        `the capture set names station ${set.stationId}; this station is ${stationId}`,
      );
    if (set.environment !== environment)
      throw new PacketStationError(
        'PACKET_CAPTURE_INVALID',
        `the capture set is for the ${set.environment} environment; this station is ${environment}`,
      );
    const started = clock.monotonic();
    let buildMs: number | undefined;
    const entry = await this.#options.outbox.seal(set.packetId, async () => {
      const credentials = await this.#options.credentials();
      const t = clock.monotonic();
      const packet = await build(credentials, clock.now());
      buildMs = clock.monotonic() - t;
      return packet;
    });
    this.#options.onSealed?.(entry);
    return {
      entry,
      built: buildMs !== undefined,
      timings: { totalMs: clock.monotonic() - started, ...(buildMs === undefined ? {} : { buildMs }) },
    };
  }
}
