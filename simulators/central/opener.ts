/**
 * Opens packets for the intake in a worker thread (open-worker.ts), one request at a time per
 * message id; the packet bytes are copied once into the worker. `close()` ends the worker.
 */
import { Worker } from 'node:worker_threads';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import type { AnyManifest } from '../../protocol/packet/eid-manifest.ts';
import type { OpenedPacket, PacketRejection } from '../../protocol/packet/open.ts';

export interface OpenRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly now: number;
}

/** What the intake judges on: the verified manifest, signer and signing time, or the rejection. */
export type Opened =
  | {
      readonly ok: true;
      /** An enrollment's manifest or an e-ID application's. */
      readonly manifest: AnyManifest;
      readonly signer: OpenedPacket['signer'];
      readonly signingTime: number;
    }
  | { readonly ok: false; readonly rejection: PacketRejection };

export type OpenAnswer =
  | { readonly id: number; readonly result: Opened; readonly error?: undefined }
  | { readonly id: number; readonly error: string; readonly result?: undefined };

export interface PacketOpener {
  open(bytes: Uint8Array, now: number): Promise<Opened>;
  close(): Promise<void>;
}

/** Starts the worker and resolves once it has loaded the keys. @throws the worker's start error. */
export async function startOpenerWorker(options: {
  readonly dataDir: string;
  readonly trustAnchors: readonly Uint8Array[];
  /** The notBefore central's keys were minted with (service.ts), ms. */
  readonly mintedFrom: number;
}): Promise<PacketOpener> {
  // From the sources the worker module is TypeScript: it starts through an entry that loads tsx first.
  const module = siblingModule('./open-worker', import.meta.url);
  const worker = new Worker(workerStartUrl(module, new URL('./worker-entry.mjs', import.meta.url)), {
    workerData: {
      module: module.href,
      dataDir: options.dataDir,
      trustAnchors: [...options.trustAnchors],
      mintedFrom: options.mintedFrom,
    },
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  const pending = new Map<number, { resolve: (value: Opened) => void; reject: (error: Error) => void }>();
  let next = 0;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: OpenAnswer | { ready: true }) => {
      if ('ready' in message) {
        resolve();
        return;
      }
      const waiting = pending.get(message.id);
      if (waiting === undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(`packet worker: ${message.error}`));
      else waiting.resolve(message.result);
    });
    worker.once('error', (error) => {
      reject(error);
      failAll(error);
    });
    worker.once('exit', (code) => {
      const error = new Error(`central's packet worker exited with code ${code}`);
      reject(error);
      failAll(error);
    });
  });
  return {
    open(bytes, now) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = next++;
      return new Promise<Opened>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, bytes, now } satisfies OpenRequest);
      });
    },
    async close() {
      failure ??= new Error('central is closing');
      await worker.terminate();
    },
  };
}
