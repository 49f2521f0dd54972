/**
 * Builds enrollment packets from capture sets in a dedicated worker thread, so the ~0.6 MB of
 * hashing, CMS encoding and AES that a packet costs never holds the event loop that answers /health
 * and the officer's screen.
 *
 * Why a worker of its own and not a job on the hot-path pool: hot-path jobs are synchronous
 * handlers with latency budgets sized for fingers, and a packet needs a round trip in the middle
 * (the signature comes from the station's key, which may be a PKCS#11 session that lives on this
 * thread); a packet build queued there would also delay live previews and slaps, or wait behind
 * them. One small worker, started on the first build and kept, costs one thread at rest.
 *
 * The private key never crosses threads: the worker sends the DER of the SignedAttributes (~200
 * bytes) here, `PacketSigner.sign` signs it (file key or token), and the signature goes back.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import { PacketBuildError, type PacketBuildErrorCode } from '../../protocol/packet/build.ts';
import type { EidApplicationManifest } from '../../protocol/packet/eid-manifest.ts';
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import type { PacketManifest } from '../../protocol/packet/manifest.ts';
import type { CaptureSet } from './capture-set.ts';
import type { EidApplicationSet } from './eid-application.ts';
import { PacketStationError, type PacketStationErrorCode } from './errors.ts';
import type { BuildEidDone, BuildFailed, FromWorker, PacketSizes, ToWorker } from './worker-protocol.ts';

export type { PacketSizes };

export interface PacketBuildRequest {
  readonly signer: PacketSigner;
  /** The central service's certificate, DER. */
  readonly recipientCertificate: Uint8Array;
  /** signingTime and builtAt, ms since the Unix epoch. */
  readonly signingTime: number;
}

export interface StationPacket {
  readonly packet: Uint8Array;
  readonly manifest: PacketManifest;
  readonly sizes: PacketSizes;
  /** ms: worker time assembling and building; wall time of the call on this thread. */
  readonly timings: { readonly assembleMs: number; readonly buildMs: number; readonly wallMs: number };
}

/** An e-ID application packet as built. */
export interface StationEidPacket {
  readonly packet: Uint8Array;
  readonly manifest: EidApplicationManifest;
  /** ms: worker time building; wall time of the call on this thread. */
  readonly timings: { readonly buildMs: number; readonly wallMs: number };
}

interface Pending {
  readonly request: PacketBuildRequest;
  readonly resolve: (packet: StationPacket) => void;
  readonly resolveEid?: (packet: StationEidPacket) => void;
  readonly reject: (error: Error) => void;
  readonly started: number;
  /** The signer's own error, rethrown as is when the worker reports the failure it caused. */
  signError?: unknown;
}

const STATION_CODES: readonly string[] = [
  'PACKET_CAPTURE_INVALID',
  'PACKET_INPUT_INVALID',
  'PACKET_WORKER_FAILED',
  'PACKET_BUILD_CANCELED',
] satisfies PacketStationErrorCode[];
const BUILD_CODES: readonly string[] = [
  'PACKET_MANIFEST_INVALID',
  'PACKET_PART_HASH_MISMATCH',
  'PACKET_CERTIFICATE_INVALID',
] satisfies PacketBuildErrorCode[];

function errorOf(failure: BuildFailed['error']): Error {
  if (failure.code !== undefined && BUILD_CODES.includes(failure.code))
    return new PacketBuildError(
      failure.code as PacketBuildErrorCode,
      failure.message,
      failure.problems ?? [],
    );
  if (failure.code !== undefined && STATION_CODES.includes(failure.code))
    return new PacketStationError(failure.code as PacketStationErrorCode, failure.message, {
      ...(failure.path === undefined ? {} : { path: failure.path }),
    });
  return new PacketStationError(
    'PACKET_WORKER_FAILED',
    `the packet worker failed: ${failure.name}: ${failure.message}`,
  );
}

export class PacketBuilder {
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  get #started(): Worker {
    if (this.#worker) return this.#worker;
    // From the sources the worker module is TypeScript: the hot path's entry loads tsx in the thread, then it.
    const module = siblingModule('./worker', import.meta.url);
    const worker = new Worker(
      workerStartUrl(module, new URL('../hotpath/worker-entry.mjs', import.meta.url)),
      {
        workerData: { module: module.href },
        resourceLimits: { maxOldGenerationSizeMb: 256 },
      },
    );
    worker.on('message', (message: FromWorker) => this.#onMessage(message));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#fail(new Error(`the packet worker exited with code ${code}`));
    });
    // An idle worker does not keep a command-line process alive.
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #fail(cause: unknown): void {
    const worker = this.#worker;
    this.#worker = undefined;
    worker?.removeAllListeners();
    void worker?.terminate();
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(
        new PacketStationError('PACKET_WORKER_FAILED', `the packet worker stopped: ${String(cause)}`, {
          cause,
        }),
      );
    }
  }

  #onMessage(message: FromWorker): void {
    if (message.type === 'ready') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.type === 'sign') {
      pending.request.signer.sign(message.data).then(
        (signature) => this.#post({ type: 'signed', id: message.id, signature }),
        (error: unknown) => {
          pending.signError = error;
          this.#post({ type: 'sign-failed', id: message.id });
        },
      );
      return;
    }
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (message.type === 'done-eid') {
      this.#resolveEid(pending, message);
      return;
    }
    if (message.type === 'done') {
      pending.resolve({
        packet: message.packet,
        manifest: message.manifest,
        sizes: message.sizes,
        timings: { ...message.timings, wallMs: performance.now() - pending.started },
      });
      return;
    }
    pending.reject(pending.signError instanceof Error ? pending.signError : errorOf(message.error));
  }

  #resolveEid(pending: Pending, message: BuildEidDone): void {
    if (pending.resolveEid === undefined) {
      pending.reject(
        new PacketStationError(
          'PACKET_WORKER_FAILED',
          'the packet worker answered an e-ID build not asked for',
        ),
      );
      return;
    }
    pending.resolveEid({
      packet: message.packet,
      manifest: message.manifest,
      timings: { buildMs: message.timings.buildMs, wallMs: performance.now() - pending.started },
    });
  }

  #post(message: ToWorker): void {
    this.#worker?.postMessage(message);
  }

  /**
   * Assembles, signs and encrypts the packet of `set` in the worker.
   * @throws {PacketStationError} (as a rejection) PACKET_CAPTURE_INVALID with the capture set's path,
   *   PACKET_WORKER_FAILED, PACKET_BUILD_CANCELED after close();
   *   {PacketBuildError} as buildPacket; the signer's own error (KeyError ...) when it cannot sign.
   */
  build(set: CaptureSet, request: PacketBuildRequest): Promise<StationPacket> {
    if (this.#closed)
      return Promise.reject(new PacketStationError('PACKET_BUILD_CANCELED', 'the packet builder is closed'));
    const id = this.#nextId++;
    const worker = this.#started;
    return new Promise<StationPacket>((resolve, reject) => {
      this.#pending.set(id, { request, resolve, reject, started: performance.now() });
      worker.ref();
      worker.postMessage({
        type: 'build',
        id,
        set,
        signerCertificate: request.signer.certificate,
        chain: request.signer.chain,
        recipientCertificate: request.recipientCertificate,
        signingTime: request.signingTime,
      } satisfies ToWorker);
    });
  }

  /**
   * Signs and encrypts the e-ID level-2 application `application` in the worker (the same worker
   * and the same signing round trip as an enrollment packet).
   * @throws {PacketStationError} (as a rejection) PACKET_WORKER_FAILED, PACKET_BUILD_CANCELED;
   *   {PacketBuildError} as buildEidPacket; the signer's own error when it cannot sign.
   */
  buildEid(application: EidApplicationSet, request: PacketBuildRequest): Promise<StationEidPacket> {
    if (this.#closed)
      return Promise.reject(new PacketStationError('PACKET_BUILD_CANCELED', 'the packet builder is closed'));
    const id = this.#nextId++;
    const worker = this.#started;
    return new Promise<StationEidPacket>((resolve, reject) => {
      this.#pending.set(id, {
        request,
        resolve: () =>
          reject(new PacketStationError('PACKET_WORKER_FAILED', 'an enrollment answer to an e-ID build')),
        resolveEid: resolve,
        reject,
        started: performance.now(),
      });
      worker.ref();
      worker.postMessage({
        type: 'build-eid',
        id,
        application,
        signerCertificate: request.signer.certificate,
        chain: request.signer.chain,
        recipientCertificate: request.recipientCertificate,
        signingTime: request.signingTime,
      } satisfies ToWorker);
    });
  }

  /** Stops the worker; pending builds reject with PACKET_BUILD_CANCELED. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new PacketStationError('PACKET_BUILD_CANCELED', 'the packet builder was closed'));
    }
    if (worker) {
      worker.removeAllListeners();
      await worker.terminate();
    }
  }
}
