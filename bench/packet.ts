/**
 * npm run bench:packet: an enrollment packet (protocol/packet) built, signed and encrypted, then
 * opened (decrypt, verify, validate, image hashes), with a file key (issue 17 targets: build
 * <= 60 ms, open <= 60 ms, packet <= 1 MB), median and p95 over BENCH_RUNS (default 30), sizes per
 * component. Writes bench/results/packet.json.
 *
 * The enrollment: 13 WSQ images of a 4-4-2 set made by the fingerprint generator and our WSQ
 * encoder (10 fingers 500 x 500 at 2.25 bpp, 3 slaps 1600 x 1500 at 0.4 bpp: ~20-45 KB each), a
 * real portrait JPEG from the shared fixtures, the demographics with every Vietnamese diacritic.
 * The ANSI/NIST codec lands separately, so the transaction is the images concatenated after a
 * 2 KB stand-in for the Type-1/Type-2 text: opaque bytes of the real size. A second, "large" case
 * encodes the slaps at 1.5 bpp (a transaction near 1 MB) to show how the times scale with size.
 *
 * In the station the event loop must stay free: building and opening (large-buffer crypto) run
 * in a worker there; this script measures the pure work on the main thread.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createNodePacketCrypto } from '../drivers/crypto/packet-node.ts';
import { buildPacket } from '../protocol/packet/build.ts';
import type { PacketManifest } from '../protocol/packet/manifest.ts';
import { openPacket } from '../protocol/packet/open.ts';
import { SCORE_IDENTITY } from '../protocol/quality/score.ts';
import { encodeWsq } from '../protocol/wsq/index.ts';
import { renderFinger, renderSlap } from '../simulators/fingerprint/generator.ts';
import { readFixture } from '../test/support/fixtures.ts';
import { createPacketTestPki, sampleEnrollment, splitImages } from '../test/support/packet-keys.ts';
import { type Summary, summarize } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 30);
const TARGETS = { buildMs: 60, openMs: 60, packetBytes: 1_000_000 } as const;
const crypto = createNodePacketCrypto();

function wsq(image: { width: number; height: number; pixels: Uint8Array }, bitRate: number): Uint8Array {
  const r = encodeWsq(image.pixels, { width: image.width, height: image.height, bitRate });
  if (!r.ok) throw new Error(`WSQ encode failed: ${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function fourFourTwo(
  fingerBitRate: number,
  slapBitRate: number,
): { images: Uint8Array[]; positions: number[] } {
  const images: Uint8Array[] = [];
  const positions: number[] = [];
  for (let finger = 1; finger <= 10; finger++) {
    images.push(wsq(renderFinger({ personSeed: 17, finger, width: 500, height: 500 }).image, fingerBitRate));
    positions.push(finger);
  }
  for (const [hand, position] of [
    ['right', 13],
    ['left', 14],
    ['thumbs', 15],
  ] as const) {
    images.push(wsq(renderSlap({ personSeed: 17, hand }).image, slapBitRate));
    positions.push(position);
  }
  return { images, positions };
}

function enrollment(images: Uint8Array[], positions: number[], portrait: Uint8Array) {
  const header = new Uint8Array(2048).fill(0x20); // stand-in for the Type-1 and Type-2 records
  const base = sampleEnrollment({ images, portrait, deviceCertificate: new Uint8Array(600).fill(0x30) });
  const transaction = new Uint8Array(header.length + base.transaction.length);
  transaction.set(header);
  transaction.set(base.transaction, header.length);
  const manifest: PacketManifest = {
    ...base.manifest,
    transactionSha256: sha256(transaction),
    capture: {
      ...base.manifest.capture,
      images: base.manifest.capture.images.map((image, i) => ({
        ...image,
        kind: (positions[i] ?? 0) >= 13 ? ('slap' as const) : ('finger' as const),
        position: positions[i] ?? 0,
        quality: { score: 60 + i, algorithm: { ...SCORE_IDENTITY } },
        deviceSignature: Buffer.from(new Uint8Array(72).fill(i)).toString('base64'),
      })),
    },
  };
  return { manifest, transaction, portrait, images, headerLength: header.length };
}

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

const pki = await createPacketTestPki();
const portrait = readFixture('faces/obama__obama.jpg');

async function measure(name: string, fingerBitRate: number, slapBitRate: number) {
  const { images, positions } = fourFourTwo(fingerBitRate, slapBitRate);
  const e = enrollment(images, positions, portrait);
  const signingTime = Date.UTC(2026, 2, 14, 2, 10);
  const input = {
    manifest: e.manifest,
    transaction: e.transaction,
    portrait: e.portrait,
    images: e.images,
    signer: pki.signer,
    recipientCertificate: pki.central.certificate,
    signingTime,
    crypto,
  };
  const lengths = images.map((i) => i.length);
  const extractImages = (t: Uint8Array) => splitImages(t.subarray(e.headerLength), lengths);
  const built = await buildPacket(input);
  const opened = await openPacket({
    packet: built.packet,
    decryptor: pki.decryptor,
    crypto,
    trustAnchors: [pki.stationCa.certificate],
    extractImages,
  });
  if (!opened.ok || !opened.packet.imagesChecked)
    throw new Error(
      `the benchmark packet does not open: ${JSON.stringify(opened.ok ? 'images' : opened.rejection)}`,
    );
  const build: Summary = summarize(await time(() => buildPacket(input)));
  const open: Summary = summarize(
    await time(async () => {
      const r = await openPacket({
        packet: built.packet,
        decryptor: pki.decryptor,
        crypto,
        trustAnchors: [pki.stationCa.certificate],
        extractImages,
      });
      if (!r.ok) throw new Error(r.rejection.kind);
    }),
  );
  return {
    case: name,
    images: { count: images.length, minBytes: Math.min(...lengths), maxBytes: Math.max(...lengths) },
    sizes: {
      ...built.sizes,
      overhead: built.sizes.packet - built.sizes.manifest - built.sizes.transaction - built.sizes.portrait,
    },
    buildMs: build,
    openMs: open,
  };
}

const cases = [
  await measure('typical (fingers 2.25 bpp, slaps 0.4 bpp)', 2.25, 0.4),
  await measure('large (fingers 2.25 bpp, slaps 1.5 bpp)', 2.25, 1.5),
];
const result = {
  benchmark: 'packet',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms, bytes',
  runs,
  targets: TARGETS,
  cases,
};
for (const c of cases) {
  console.log(
    `${c.case}: build+sign+encrypt median ${c.buildMs.median} ms p95 ${c.buildMs.p95} ms (target <= ${TARGETS.buildMs}); ` +
      `open median ${c.openMs.median} ms p95 ${c.openMs.p95} ms (target <= ${TARGETS.openMs}); ` +
      `packet ${c.sizes.packet} bytes (transaction ${c.sizes.transaction}, portrait ${c.sizes.portrait}, ` +
      `manifest ${c.sizes.manifest}, overhead ${c.sizes.overhead}; target <= ${TARGETS.packetBytes}); ` +
      `images ${c.images.minBytes}-${c.images.maxBytes} bytes`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/packet.json', `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/packet.json');
