/**
 * Central's packet opening (enrollments and e-ID level-2 applications) in a worker thread (issue 18, upload throughput): decrypt, verify the
 * CMS signature and chain, the signing time, the manifest and every image, off the thread that
 * serves TLS and tus, so central's two halves use two cores. The worker loads central's
 * key-transport keys (current and past) from the data folder itself: private keys never cross
 * threads. Answers only what the intake judges on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import type { PacketDecryptor } from '../../protocol/packet/keys.ts';
import { type OpenAnyPacketResult, openAnyPacket } from '../../protocol/packet/open.ts';
import { loadOrCreateCentralKeys, loadPastCentralKeys } from './keys.ts';
import type { OpenAnswer, Opened, OpenRequest } from './opener.ts';

const { dataDir, trustAnchors, mintedFrom } = workerData as {
  dataDir: string;
  trustAnchors: Uint8Array[];
  mintedFrom: number;
  module: string;
};
const crypto = createNodePacketCrypto();
const decryptors: PacketDecryptor[] = [
  (await loadOrCreateCentralKeys(dataDir, new Date(mintedFrom))).decryptor,
  ...(await loadPastCentralKeys(dataDir)),
];

async function open(bytes: Uint8Array, now: number): Promise<Opened> {
  let result: OpenAnyPacketResult | undefined;
  for (const decryptor of decryptors) {
    result = await openAnyPacket({ packet: bytes, decryptor, crypto, trustAnchors, now });
    if (result.ok || result.rejection.kind !== 'wrong-recipient') break;
  }
  if (result === undefined) throw new Error('central has no key-transport key');
  if (!result.ok) return { ok: false, rejection: result.rejection };
  const { manifest, signer, signingTime } = result.type === 'enrollment' ? result.packet : result.application;
  return { ok: true, manifest, signer, signingTime };
}

parentPort?.on('message', (request: OpenRequest) => {
  open(request.bytes, request.now).then(
    (result) => parentPort?.postMessage({ id: request.id, result } satisfies OpenAnswer),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});
parentPort?.postMessage({ ready: true });
