/**
 * The packet worker: assembles the transaction and manifest, then signs (through the station) and
 * encrypts the packet, off the station's event loop. Started by PacketBuilder (builder.ts), never
 * imported.
 */
import { parentPort } from 'node:worker_threads';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { buildPacket, PacketBuildError } from '../../protocol/packet/build.ts';
import { buildEidPacket } from '../../protocol/packet/eid.ts';
import { assembleEnrollment } from './assemble.ts';
import { assembleEid } from './eid-application.ts';
import { PacketStationError } from './errors.ts';
import type { BuildEidRequest, BuildRequest, FromWorker, SignAnswer, ToWorker } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('the packet worker runs inside a worker thread');
const crypto = createNodePacketCrypto();
const pendingSigns = new Map<number, { resolve: (s: Uint8Array) => void; reject: (e: Error) => void }>();

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function build(request: BuildRequest): Promise<void> {
  try {
    const started = performance.now();
    const assembled = assembleEnrollment(request.set, request.signingTime);
    const assembledAt = performance.now();
    const built = await buildPacket({
      ...assembled,
      signer: remoteSigner(request),
      recipientCertificate: request.recipientCertificate,
      signingTime: request.signingTime,
      crypto,
    });
    const kinds = assembled.manifest.capture.images;
    const total = (kind: string) =>
      kinds.reduce((n, image) => n + (image.kind === kind ? image.byteLength : 0), 0);
    send(
      {
        type: 'done',
        id: request.id,
        packet: built.packet,
        manifest: assembled.manifest,
        sizes: {
          ...built.sizes,
          images: { face: total('face'), fingers: total('finger'), slaps: total('slap') },
        },
        timings: { assembleMs: assembledAt - started, buildMs: performance.now() - assembledAt },
      },
      [built.packet.buffer as ArrayBuffer],
    );
  } catch (error) {
    failed(request.id, error);
  }
}

/** Tells the station a build failed, with its typed code, path and problems. */
function failed(id: number, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  send({
    type: 'failed',
    id,
    error: {
      name: e.name,
      code: typeof code === 'string' ? code : undefined,
      message: e.message,
      ...(e instanceof PacketStationError && e.path !== undefined ? { path: e.path } : {}),
      ...(e instanceof PacketBuildError ? { problems: e.problems } : {}),
    },
  });
}

/** The station's signer, asked across the thread (the private key stays there). */
function remoteSigner(request: { id: number; signerCertificate: Uint8Array; chain: readonly Uint8Array[] }) {
  return {
    certificate: request.signerCertificate,
    chain: request.chain,
    sign: (data: Uint8Array) =>
      new Promise<Uint8Array>((resolve, reject) => {
        pendingSigns.set(request.id, { resolve, reject });
        send({ type: 'sign', id: request.id, data });
      }),
  };
}

async function buildEid(request: BuildEidRequest): Promise<void> {
  try {
    const started = performance.now();
    const manifest = assembleEid(request.application, request.signingTime);
    const { packet } = await buildEidPacket({
      manifest,
      livePortrait: request.application.livePortrait,
      sod: request.application.sod,
      signer: remoteSigner(request),
      recipientCertificate: request.recipientCertificate,
      signingTime: request.signingTime,
      crypto,
    });
    send(
      {
        type: 'done-eid',
        id: request.id,
        packet,
        manifest,
        timings: { buildMs: performance.now() - started },
      },
      [packet.buffer as ArrayBuffer],
    );
  } catch (error) {
    failed(request.id, error);
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'build') {
    void build(message);
    return;
  }
  if (message.type === 'build-eid') {
    void buildEid(message);
    return;
  }
  const answer: SignAnswer = message;
  const pending = pendingSigns.get(answer.id);
  pendingSigns.delete(answer.id);
  if (!pending) return;
  if (answer.type === 'signed') pending.resolve(answer.signature);
  else pending.reject(new Error('the station could not sign'));
});
send({ type: 'ready' });
