/**
 * `station packet build|open`: enrollment packets (protocol/packet, station/packets) from a shell.
 *
 * `build` makes a capture set (a directory, or a simulated applicant run through the hot path),
 * then assembles, signs and encrypts the packet in the packet worker. `open` decrypts, verifies and
 * validates one, printing the manifest and the verdict of every check.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createNodePacketCrypto } from '../../../drivers/crypto/packet-node.ts';
import { PacketBuildError } from '../../../protocol/packet/build.ts';
import {
  openAnyPacket,
  PACKET_LIMITS,
  PACKET_MESSAGES,
  type PacketRejection,
} from '../../../protocol/packet/open.ts';
import { sampleCaptureSet } from '../../compose/sample-enrollment.ts';
import { HotpathError } from '../../hotpath/errors.ts';
import { Hotpath } from '../../hotpath/hotpath.ts';
import { isPkcs11Uri, KeyError, readCertificateFile } from '../../keys/index.ts';
import { openPacketDecryptor, openPacketSigner } from '../../keys/store.ts';
import { PacketBuilder } from '../../packets/builder.ts';
import type { CaptureSet } from '../../packets/capture-set.ts';
import { captureSetFromDirectory } from '../../packets/directory.ts';
import { PacketStationError } from '../../packets/errors.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Runs `task`, turning key, capture-set and packet-build errors into exit 1 with their code. */
async function failures(io: CliIo, task: () => Promise<number>): Promise<number> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof KeyError || error instanceof PacketStationError || error instanceof HotpathError) {
      io.stderr(`${error.code}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    if (error instanceof PacketBuildError) {
      const problems = error.problems.map((p) => `  ${p.path || '/'}: ${p.message}\n`).join('');
      io.stderr(`${error.code}: ${error.message}\n${problems}`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

function resolveKey(io: CliIo, location: string): string {
  return isPkcs11Uri(location) ? location : path.resolve(io.cwd, location);
}

async function firstCertificate(file: string): Promise<Uint8Array> {
  const [leaf] = await readCertificateFile(file);
  if (leaf === undefined) throw new KeyError('CERT_INVALID', `${file} holds no certificate`);
  return leaf;
}

const buildCommand: Command = {
  name: 'build',
  summary: 'Build a signed and encrypted enrollment packet',
  help: `Usage: station packet build (--in DIR | --sample SEED) --station-key FILE|pkcs11:URI
                            --station-cert FILE --to CENTRAL.crt --out P.cms

  --in DIR            a capture set on disk (station/packets/README.md: manifest-input.json,
                      slaps/right.png|left.png|thumbs.png, portrait.jpg)
  --sample SEED       a simulated applicant: 4-4-2 slaps generated for SEED and run through the
                      hot path, a synthetic portrait, demographics with Vietnamese diacritics
  --station-key LOC   the station's signing key: a PKCS#8 PEM file (mode 0600) or a pkcs11: URI
  --station-cert FILE the station certificate, then its intermediates (PEM or DER)
  --to FILE           the central service's certificate (PEM or DER, RSA)
  --out FILE          where the packet (DER CMS) is written

Prints JSON: packet id, sha256 and size of the packet, the size of each component, timings (ms).
Exit 1 with the error code on stderr when a key, certificate, capture set or manifest is refused.`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        in: { type: 'string' },
        sample: { type: 'string' },
        'station-key': { type: 'string' },
        'station-cert': { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if ((values.in === undefined) === (values.sample === undefined))
      throw new UsageError('give exactly one of --in DIR or --sample SEED');
    for (const name of ['station-key', 'station-cert', 'to', 'out'] as const)
      if (values[name] === undefined) throw new UsageError(`--${name} is required`);
    const seed = values.sample === undefined ? undefined : Number(values.sample);
    if (seed !== undefined && (!/^\d+$/.test(values.sample ?? '') || seed > 0xffffffff))
      throw new UsageError(`--sample takes an integer 0-4294967295, got '${values.sample}'`);
    const out = path.resolve(io.cwd, values.out as string);

    return failures(io, async () => {
      const started = performance.now();
      const signer = await openPacketSigner(
        resolveKey(io, values['station-key'] as string),
        path.resolve(io.cwd, values['station-cert'] as string),
        { env: io.env },
      );
      const hotpath = new Hotpath({ workers: Math.min(2, availableParallelism()) });
      const builder = new PacketBuilder();
      try {
        const recipientCertificate = await firstCertificate(path.resolve(io.cwd, values.to as string));
        const captureStarted = performance.now();
        let set: CaptureSet;
        let sample: { renderMs: number; hotpathMs: number } | undefined;
        if (seed !== undefined) {
          const made = await sampleCaptureSet(hotpath, seed, Date.now());
          set = made.set;
          sample = made.timings;
        } else set = await captureSetFromDirectory(hotpath, path.resolve(io.cwd, values.in as string));
        const captureMs = performance.now() - captureStarted;
        const built = await builder.build(set, { signer, recipientCertificate, signingTime: Date.now() });
        writeFileSync(out, built.packet);
        io.stdout(
          json({
            packetId: built.manifest.packetId,
            enrollmentSessionId: built.manifest.enrollmentSessionId,
            out,
            sha256: sha256(built.packet),
            bytes: built.packet.length,
            sizes: built.sizes,
            images: built.manifest.capture.images.length,
            signer: { key: signer.key.location, kind: signer.key.kind },
            timings: {
              captureMs,
              ...(sample === undefined ? {} : sample),
              assembleMs: built.timings.assembleMs,
              signEncryptMs: built.timings.buildMs,
              buildWallMs: built.timings.wallMs,
              totalMs: performance.now() - started,
            },
          }),
        );
        return EXIT_OK;
      } finally {
        await builder.close();
        await hotpath.close();
        await signer.close();
      }
    });
  },
};

type Verdict = 'ok' | 'failed' | 'not-checked';
const STEPS = [
  'decrypt',
  'signature',
  'signer-chain',
  'signing-time',
  'manifest',
  'labels',
  'hashes',
  'images',
] as const;
type Step = (typeof STEPS)[number];

/** The check a rejection stopped at (openPacket runs them in STEPS order). */
function failedStep(rejection: PacketRejection): Step {
  switch (rejection.kind) {
    case 'malformed':
      return rejection.stage === 'envelope'
        ? 'decrypt'
        : rejection.stage === 'signed-data'
          ? 'signature'
          : 'manifest';
    case 'wrong-recipient':
    case 'decryption-failed':
    case 'unsupported-algorithm':
      return 'decrypt';
    case 'content-mismatch':
      return 'signature';
    case 'unknown-signer':
      return 'signer-chain';
    case 'signer-expired':
    case 'signed-in-future':
      return 'signing-time';
    case 'schema-violation':
      return 'manifest';
    case 'label-mismatch':
      return 'labels';
    case 'image-mismatch':
      return 'hashes';
    case 'transaction-invalid':
      return 'images';
  }
}

function verdicts(rejection: PacketRejection | undefined, imagesChecked: boolean): Record<Step, Verdict> {
  const stop = rejection === undefined ? undefined : STEPS.indexOf(failedStep(rejection));
  const out = {} as Record<Step, Verdict>;
  for (const [i, step] of STEPS.entries())
    out[step] = stop === undefined ? 'ok' : i < stop ? 'ok' : i === stop ? 'failed' : 'not-checked';
  // Image and part hashes are one step in openPacket: an image mismatch fails both lines.
  if (rejection === undefined && !imagesChecked) out.images = 'not-checked';
  if (rejection?.kind === 'image-mismatch')
    out.images = rejection.problems.some((p) => p.path.startsWith('/capture/images')) ? 'failed' : 'ok';
  return out;
}

const openCommand: Command = {
  name: 'open',
  summary: 'Decrypt, verify and validate a packet (an enrollment or an e-ID application)',
  help: `Usage: station packet open --in P.cms --key CENTRAL.key --cert CENTRAL.crt [--trust STATION-CA.crt ...]

  --in FILE     the packet (DER CMS EnvelopedData)
  --key LOC     the central service's RSA key: a PKCS#8 PEM file (mode 0600) or a pkcs11: URI
  --cert FILE   the central service's certificate (PEM or DER)
  --trust FILE  station CA certificate(s) the signer must chain to; repeatable. Without it no
                signer is trusted and the packet is refused as unknown-signer.

Prints JSON: accepted, the verdict of every check (ok, failed, not-checked), the unencrypted
labels, and for an accepted packet its type (enrollment or eid-level2-application), the signer,
the signing time and the manifest.
Exit 0 accepted; 1 refused (the reason's kind and message on stderr) or a key that does not open.`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        in: { type: 'string' },
        key: { type: 'string' },
        cert: { type: 'string' },
        trust: { type: 'string', multiple: true },
      },
      { min: 0, max: 0 },
    );
    for (const name of ['in', 'key', 'cert'] as const)
      if (values[name] === undefined) throw new UsageError(`--${name} is required`);
    const file = path.resolve(io.cwd, values.in as string);
    return failures(io, async () => {
      let packet: Uint8Array;
      try {
        if (statSync(file).size > PACKET_LIMITS.maxPacketLength) {
          io.stderr(`${file} is larger than ${PACKET_LIMITS.maxPacketLength} bytes; not read\n`);
          return EXIT_FAILED;
        }
        packet = new Uint8Array(readFileSync(file));
      } catch (error) {
        io.stderr(`${file}: cannot be read (${(error as Error).message})\n`);
        return EXIT_FAILED;
      }
      const trustAnchors: Uint8Array[] = [];
      for (const trust of values.trust ?? [])
        trustAnchors.push(...(await readCertificateFile(path.resolve(io.cwd, trust))));
      const decryptor = await openPacketDecryptor(
        resolveKey(io, values.key as string),
        path.resolve(io.cwd, values.cert as string),
        { env: io.env },
      );
      try {
        const started = performance.now();
        const result = await openAnyPacket({
          packet,
          decryptor,
          crypto: createNodePacketCrypto(),
          trustAnchors,
          now: Date.now(),
        });
        const openMs = performance.now() - started;
        const base = { file, sha256: sha256(packet), bytes: packet.length };
        if (!result.ok) {
          const { rejection } = result;
          io.stdout(
            json({
              ...base,
              accepted: false,
              verdicts: verdicts(rejection, false),
              rejection: { ...rejection, message: PACKET_MESSAGES[rejection.kind] },
              labels: result.labels ?? null,
              timings: { openMs },
            }),
          );
          const message = PACKET_MESSAGES[rejection.kind];
          io.stderr(`PACKET_REJECTED ${rejection.kind}: ${message.vi}\n${message.en}\n`);
          return EXIT_FAILED;
        }
        if (result.type === 'eid-level2-application') {
          const application = result.application;
          const checks = verdicts(undefined, true);
          io.stdout(
            json({
              ...base,
              accepted: true,
              type: result.type,
              // An application carries no ANSI/NIST transaction: its parts are the live portrait and EF.SOD.
              verdicts: { ...checks, images: 'not-checked' },
              labels: application.labels,
              signer: application.signer,
              signingTime: new Date(application.signingTime).toISOString(),
              sizes: {
                manifest: application.manifestBytes.length,
                livePortrait: application.livePortrait.length,
                sod: application.sod.length,
              },
              manifest: application.manifest,
              timings: { openMs },
            }),
          );
          return EXIT_OK;
        }
        const opened = result.packet;
        io.stdout(
          json({
            ...base,
            accepted: true,
            type: result.type,
            verdicts: verdicts(undefined, opened.imagesChecked),
            labels: opened.labels,
            signer: opened.signer,
            signingTime: new Date(opened.signingTime).toISOString(),
            sizes: {
              manifest: opened.manifestBytes.length,
              transaction: opened.transaction.length,
              portrait: opened.portrait.length,
            },
            manifest: opened.manifest,
            timings: { openMs },
          }),
        );
        return EXIT_OK;
      } finally {
        await decryptor.close();
      }
    });
  },
};

export const packetCommand: Command = {
  name: 'packet',
  summary: 'Build and open enrollment packets (signed, encrypted CMS)',
  help: 'Usage: station packet build|open [options]',
  subcommands: [buildCommand, openCommand],
};
