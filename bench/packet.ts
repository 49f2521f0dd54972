/**
 * npm run bench:packet: an enrollment packet (protocol/packet) built, signed and encrypted, then
 * opened (decrypt, verify, validate, every image of the ANSI/NIST transaction against the
 * manifest). Issue 17 targets: build <= 60 ms with a file key, <= 100 ms with the key in SoftHSM2,
 * open <= 60 ms, packet <= 1 MB. Median and p95 over BENCH_RUNS (default 30), sizes per component.
 * Writes bench/results/packet.json.
 *
 * The enrollment: 13 WSQ images of a 4-4-2 set made by the fingerprint generator and our WSQ
 * encoder (10 fingers 500 x 500 at 2.25 bpp, 3 slaps 1600 x 1500 at 0.4 bpp: ~20-45 KB each), a
 * real portrait JPEG from the shared fixtures, the demographics with every Vietnamese diacritic,
 * in a real ANSI/NIST-ITL transaction (protocol/ansi-nist: Type-1, Type-2, Type-10, 13 Type-14).
 * A second, "large" case encodes the slaps at 1.5 bpp (a transaction near 1 MB) to show how the
 * times scale with size. The SoftHSM2 case needs softhsm2 (`npm run setup:test`): a fresh token in
 * a temp folder, the key generated inside it.
 *
 * In the station the event loop must stay free: building and opening (large-buffer crypto) run
 * in a worker there; this script measures the pure work on the main thread.
 */
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { createNodePacketCrypto } from '../drivers/crypto/packet-node.ts';
import { buildTransaction, type RecordSpec } from '../protocol/ansi-nist/builder.ts';
import { buildPacket } from '../protocol/packet/build.ts';
import type { PacketSigner } from '../protocol/packet/keys.ts';
import type { PacketManifest } from '../protocol/packet/manifest.ts';
import { openPacket } from '../protocol/packet/open.ts';
import { SCORE_IDENTITY } from '../protocol/quality/score.ts';
import { encodeWsq } from '../protocol/wsq/index.ts';
import { renderFinger, renderSlap } from '../simulators/fingerprint/generator.ts';
import { openOrCreateStationKey, packetSigner } from '../station/keys/station-key.ts';
import { portraitSpec, type14Spec } from '../test/support/ansi-nist-specs.ts';
import { readFixture } from '../test/support/fixtures.ts';
import {
  createPacketTestPki,
  type PacketTestPki,
  sampleEnrollment,
  VIETNAMESE_LOWER,
  VIETNAMESE_UPPER,
} from '../test/support/packet-keys.ts';
import { createSoftHsmToken } from '../test/support/softhsm.ts';
import { type Summary, summarize } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 30);
const TARGETS = { buildMs: 60, buildSofthsmMs: 100, openMs: 60, packetBytes: 1_000_000 } as const;
const PIN = '246810';
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
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

/**
 * A real ANSI/NIST-ITL transaction of our profile (protocol/ansi-nist): Type-1, Type-2 with the
 * demographics, Type-10 with the portrait, a Type-14 per finger and slap; the manifest lists the
 * portrait and the 13 prints in that order, as the reader checks them.
 */
function enrollment(images: Uint8Array[], positions: number[], portrait: Uint8Array) {
  const type14 = (idc: number, fgp: number, data: Uint8Array): RecordSpec =>
    type14Spec(idc, fgp, data, { src: 'VN-CCCD-DN01' });
  const transaction = buildTransaction({
    type1: {
      tot: 'CCE',
      date: '20260314',
      dai: 'VNCCCD000',
      ori: 'VNDN00001',
      tcn: 'DN01-20260314-0001',
      nsr: '00.00',
      ntr: '00.00',
    },
    records: [
      {
        type: 2,
        idc: 0,
        demographics: {
          personalId: '001090012345',
          fullName: `NGUYỄN ${VIETNAMESE_UPPER}`,
          dateOfBirth: '19900228',
          sex: 'F',
          nationality: 'VNM',
          ethnicity: 'Kinh',
          religion: 'Không',
          placeOfOrigin: `Xã ${VIETNAMESE_LOWER}, Hà Nội`,
          placeOfResidence: `Số 1 phố Đinh Tiên Hoàng, ${VIETNAMESE_LOWER}`,
        },
      },
      portraitSpec(1, portrait, { src: 'VN-CCCD-DN01' }),
      ...images.map((data, i) => type14(i + 2, positions[i] ?? 0, data)),
    ],
  });
  const base = sampleEnrollment({
    images: [portrait, ...images],
    portrait,
    deviceCertificate: new Uint8Array(600).fill(0x30),
  });
  const manifest: PacketManifest = {
    ...base.manifest,
    transactionSha256: sha256(transaction),
    capture: {
      ...base.manifest.capture,
      images: base.manifest.capture.images.map((image, i) => {
        const deviceSignature = Buffer.from(new Uint8Array(72).fill(i)).toString('base64');
        if (i === 0) {
          const { quality: _, ...face } = image;
          return { ...face, kind: 'face' as const, position: 0, format: 'jpeg' as const, deviceSignature };
        }
        const position = positions[i - 1] ?? 0;
        return {
          ...image,
          kind: position >= 13 ? ('slap' as const) : ('finger' as const),
          position,
          quality: { score: 60 + i, algorithm: { ...SCORE_IDENTITY } },
          deviceSignature,
        };
      }),
    },
  };
  return { manifest, transaction, portrait, images: [portrait, ...images] };
}

/**
 * Wall time per run, and CPU time of the whole process (main thread, libuv's crypto threads, GC)
 * per run: on a shared, loaded machine the wall time's p95 mostly measures the other load.
 */
async function time(fn: () => Promise<unknown>): Promise<{ wall: Summary; cpu: Summary }> {
  for (let i = 0; i < 3; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(startCpu);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: summarize(wall), cpu: summarize(cpu) };
}

/**
 * A fresh SoftHSM2 token in a temp folder (as test/integration/keys-pkcs11.test.ts makes one), the
 * station's P-256 key generated inside it through station/keys, and a certificate for it under the
 * test station CA. Fails saying what to install when SoftHSM2 is missing.
 */
async function softhsmSigner(
  pki: PacketTestPki,
): Promise<{ signer: PacketSigner; cleanup(): Promise<void> }> {
  const token = createSoftHsmToken({ label: 'bench', pin: PIN, prefix: 'bench-packet-pkcs11-' });
  const { key } = await openOrCreateStationKey(`pkcs11:token=bench;object=station-sign?pin-value=${PIN}`);
  const publicKey = await webcrypto.subtle.importKey('spki', key.publicKeySpki, EC, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '7f000001',
    subject: 'CN=station-bench, O=Bộ Công an (test), C=VN',
    issuer: new x509.X509Certificate(pki.stationCa.certificate).subject,
    notBefore: new Date(Date.UTC(2025, 0, 1)),
    notAfter: new Date(Date.UTC(2030, 0, 1)),
    publicKey,
    signingKey: pki.stationCa.keys.privateKey,
    signingAlgorithm: EC,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const signer = packetSigner(key, new Uint8Array(cert.rawData), [pki.stationCa.certificate]);
  return {
    signer,
    cleanup: async () => {
      await signer.close();
      token.remove();
    },
  };
}

const pki = await createPacketTestPki();
const portrait = readFixture('faces/obama__obama.jpg');
const hsm = await softhsmSigner(pki);

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
  const opening = (packet: Uint8Array) => ({
    packet,
    decryptor: pki.decryptor,
    crypto,
    trustAnchors: [pki.stationCa.certificate],
    now: signingTime,
  });
  const built = await buildPacket(input);
  for (const packet of [built.packet, (await buildPacket({ ...input, signer: hsm.signer })).packet]) {
    const opened = await openPacket(opening(packet));
    if (!opened.ok || !opened.packet.imagesChecked)
      throw new Error(
        `the benchmark packet does not open: ${JSON.stringify(opened.ok ? 'images' : opened.rejection)}`,
      );
  }
  const build = await time(() => buildPacket(input));
  const buildSofthsm = await time(() => buildPacket({ ...input, signer: hsm.signer }));
  const open = await time(async () => {
    const r = await openPacket(opening(built.packet));
    if (!r.ok) throw new Error(r.rejection.kind);
  });
  const lengths = images.map((i) => i.length);
  return {
    case: name,
    images: { count: images.length, minBytes: Math.min(...lengths), maxBytes: Math.max(...lengths) },
    sizes: {
      ...built.sizes,
      images: e.images.reduce((n, i) => n + i.length, 0),
      overhead: built.sizes.packet - built.sizes.manifest - built.sizes.transaction - built.sizes.portrait,
    },
    buildMs: build.wall,
    buildSofthsmMs: buildSofthsm.wall,
    openMs: open.wall,
    cpuMs: { build: build.cpu, buildSofthsm: buildSofthsm.cpu, open: open.cpu },
  };
}

const cases = [
  await measure('typical (fingers 2.25 bpp, slaps 0.4 bpp)', 2.25, 0.4),
  await measure('large (fingers 2.25 bpp, slaps 1.5 bpp)', 2.25, 1.5),
];
await hsm.cleanup();
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
    `${c.case}:\n` +
      `  build+sign+encrypt, file key: median ${c.buildMs.median} ms, p95 ${c.buildMs.p95} ms (target <= ${TARGETS.buildMs}); CPU median ${c.cpuMs.build.median} ms, p95 ${c.cpuMs.build.p95} ms\n` +
      `  build+sign+encrypt, SoftHSM2: median ${c.buildSofthsmMs.median} ms, p95 ${c.buildSofthsmMs.p95} ms (target <= ${TARGETS.buildSofthsmMs}); CPU median ${c.cpuMs.buildSofthsm.median} ms, p95 ${c.cpuMs.buildSofthsm.p95} ms\n` +
      `  open (decrypt+verify+validate+images): median ${c.openMs.median} ms, p95 ${c.openMs.p95} ms (target <= ${TARGETS.openMs}); CPU median ${c.cpuMs.open.median} ms, p95 ${c.cpuMs.open.p95} ms\n` +
      `  packet ${c.sizes.packet} bytes (target <= ${TARGETS.packetBytes}): transaction ${c.sizes.transaction} ` +
      `(images ${c.sizes.images}, ${c.images.count} prints ${c.images.minBytes}-${c.images.maxBytes} bytes + portrait), ` +
      `portrait ${c.sizes.portrait}, manifest ${c.sizes.manifest}, CMS overhead ${c.sizes.overhead}`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/packet.json', `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/packet.json');
