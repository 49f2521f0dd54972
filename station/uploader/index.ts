/**
 * The station's uploader, assembled: mutual-TLS transport (with the bandwidth limit), tus client and
 * the loop, from one settings object. See README.md in this folder.
 */

import type { PinnedStatementKey } from '../../protocol/central/statement.ts';
import type { SignatureCheck } from '../../protocol/icao9303/pa.ts';
import type { BackoffSettings } from './backoff.ts';
import { CentralClient } from './central-client.ts';
import { TokenBucket } from './throttle.ts';
import { CentralTransport, type MutualTls } from './transport.ts';
import {
  Uploader,
  type UploaderClock,
  type UploaderOptions,
  type UploaderOutbox,
  type UploaderSettings,
} from './uploader.ts';

export type { BackoffSettings } from './backoff.ts';
export { backoffCap, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
export type { CentralPort, UploadOptions, UploadOutcome, UploadPacket } from './central-client.ts';
export { CentralClient } from './central-client.ts';
export type { OfficerMessage, UploadProblem, UploadProblemCode } from './problems.ts';
export { classifyAnswer, classifyError, UploadProblemError } from './problems.ts';
export { TokenBucket } from './throttle.ts';
export type { MutualTls } from './transport.ts';
export { CentralTransport } from './transport.ts';
export type { UploaderEvent, UploaderOutbox, UploaderSettings, UploaderState } from './uploader.ts';
export { DEFAULT_UPLOADER_SETTINGS, Uploader } from './uploader.ts';

export interface CentralUploaderOptions {
  /** Central's base URL (https). */
  readonly url: string;
  readonly tls: MutualTls;
  readonly outbox: UploaderOutbox;
  readonly pinned: readonly PinnedStatementKey[];
  readonly verifySignature: (check: SignatureCheck) => Promise<boolean>;
  readonly stationId: string;
  readonly environment: string;
  /** Where audit anchors echoed by receipts are kept (station/audit `openAnchorStore(dataDir)`). */
  readonly anchors?: UploaderOptions['anchors'];
  readonly clock?: UploaderClock;
  readonly random?: () => number;
  readonly settings?: Partial<
    UploaderSettings & {
      /** Bytes per PATCH. Default: the whole packet in one PATCH. */
      readonly chunkSize: number;
      /** Upload bandwidth for all packets together, bytes/s. Default: unlimited. */
      readonly bandwidthLimitBytesPerSecond: number;
      /** Socket idle timeout, ms. Default 30,000. */
      readonly timeoutMs: number;
      readonly backoff: BackoffSettings;
    }
  >;
}

export interface CentralUploader {
  readonly uploader: Uploader;
  readonly client: CentralClient;
  /** Stops the loop and closes kept-alive sockets. */
  close(): Promise<void>;
}

/** Builds transport, client and loop. Throws TypeError/RangeError for bad settings. */
export function createCentralUploader(options: CentralUploaderOptions): CentralUploader {
  const { settings = {} } = options;
  const monotonic = options.clock ? () => options.clock?.monotonic() ?? performance.now() : undefined;
  const transport = new CentralTransport({
    tls: options.tls,
    maxSockets: Math.max(2, (settings.concurrency ?? 2) + 1),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.bandwidthLimitBytesPerSecond !== undefined
      ? {
          throttle: new TokenBucket({
            bytesPerSecond: settings.bandwidthLimitBytesPerSecond,
            ...(monotonic ? { monotonic } : {}),
          }),
        }
      : {}),
  });
  const client = new CentralClient({
    url: options.url,
    transport,
    ...(settings.chunkSize !== undefined ? { chunkSize: settings.chunkSize } : {}),
  });
  const uploader = new Uploader({
    outbox: options.outbox,
    central: client,
    pinned: options.pinned,
    verifySignature: options.verifySignature,
    stationId: options.stationId,
    environment: options.environment,
    ...(options.anchors === undefined ? {} : { anchors: options.anchors }),
    settings,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  return {
    uploader,
    client,
    async close() {
      await uploader.stop();
      transport.close();
    },
  };
}

/** The uploader part of the station config (station/config/schema.ts `uploader`). */
export interface UploaderConfig {
  readonly concurrency: number;
  readonly chunkSizeBytes: number;
  /** 0 = no limit. */
  readonly bandwidthLimitBytesPerSecond: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

/** Settings for createCentralUploader from the station config (the cap doubles per attempt). */
export function uploaderSettingsFromConfig(
  config: UploaderConfig,
): NonNullable<CentralUploaderOptions['settings']> {
  return {
    concurrency: config.concurrency,
    chunkSize: config.chunkSizeBytes,
    ...(config.bandwidthLimitBytesPerSecond > 0
      ? { bandwidthLimitBytesPerSecond: config.bandwidthLimitBytesPerSecond }
      : {}),
    backoff: { baseMs: config.backoff.initialMs, maxMs: config.backoff.maxMs, factor: 2 },
  };
}
