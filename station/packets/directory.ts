/**
 * Capture sets from disk for `station packet build --in DIR` (layout in README.md). The slaps run
 * through the hot path (segment, score, WSQ), as the enrollment workflow does. (The simulated
 * applicant of `--sample` lives with the command: production code never imports simulators/.)
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CaptureException, EnrollmentType, Environment } from '../../protocol/packet/manifest.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import { decodeGreyPng, decodePgm, type GreyImage } from '../imaging/grey-image.ts';
import {
  type CaptureDeviceIdentity,
  type CaptureSet,
  type EnrollmentApplicant,
  type SlapCapture,
  type SlapHand,
  slapCaptureOf,
} from './capture-set.ts';
import { PacketStationError } from './errors.ts';

const HANDS: readonly SlapHand[] = ['right', 'left', 'thumbs'];
const HAND_POSITIONS: Readonly<Record<SlapHand, readonly number[]>> = {
  right: [2, 3, 4, 5],
  left: [7, 8, 9, 10],
  thumbs: [1, 6],
};
/** Largest file read from a capture directory, bytes (a 1600 x 1500 PGM is 2.4 MB). */
export const MAX_CAPTURE_FILE_BYTES = 32 * 1024 * 1024;

/** Segments, scores and compresses one slap, refusing one the officer would have to retake. */
export async function processSlap(
  hotpath: Hotpath,
  hand: SlapHand,
  image: GreyImage,
  exceptions: readonly CaptureException[],
  where: string,
): Promise<Awaited<ReturnType<Hotpath['processSlap']>>> {
  const missing = exceptions.map((e) => e.position).filter((p) => HAND_POSITIONS[hand].includes(p));
  const result = await hotpath.processSlap(
    { width: image.width, height: image.height, pixels: image.pixels },
    { hand, missing },
  );
  if (result.problem !== undefined)
    throw new PacketStationError(
      'PACKET_INPUT_INVALID',
      `${where}: ${result.problem.message.en} [${result.problem.code}]`,
      { path: where },
    );
  return result;
}

// ---------------------------------------------------------------------------------------------
// --in DIR

function inputError(file: string, message: string, cause?: unknown): PacketStationError {
  return new PacketStationError('PACKET_INPUT_INVALID', `${file}: ${message}`, {
    path: file,
    ...(cause === undefined ? {} : { cause }),
  });
}

function readCaptureFile(file: string): Uint8Array | undefined {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw inputError(file, 'cannot be read', error);
  }
  if (size > MAX_CAPTURE_FILE_BYTES)
    throw inputError(file, `is ${size} bytes; at most ${MAX_CAPTURE_FILE_BYTES} are read`);
  return new Uint8Array(readFileSync(file));
}

type Json = Record<string, unknown>;

function object(value: unknown, where: string, file: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw inputError(file, `${where} must be a JSON object`);
  return value as Json;
}

function bytesOf(value: unknown, where: string, file: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value))
    throw inputError(file, `${where} must be base64 text`);
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function deviceOf(value: unknown, where: string, file: string): CaptureDeviceIdentity {
  const d = object(value, where, file);
  for (const key of ['model', 'serialNumber', 'firmware'])
    if (typeof d[key] !== 'string') throw inputError(file, `${where}.${key} must be text`);
  return {
    model: d.model as string,
    serialNumber: d.serialNumber as string,
    firmware: d.firmware as string,
    certificate: bytesOf(d.certificate, `${where}.certificate`, file),
  };
}

/** The file of one slap, PNG or PGM, or undefined when the directory has none for that hand. */
async function slapImage(
  dir: string,
  hand: SlapHand,
): Promise<{ file: string; image: GreyImage } | undefined> {
  for (const ext of ['png', 'pgm'] as const) {
    const file = path.join(dir, 'slaps', `${hand}.${ext}`);
    const bytes = readCaptureFile(file);
    if (bytes === undefined) continue;
    try {
      return { file, image: ext === 'png' ? await decodeGreyPng(bytes) : decodePgm(bytes) };
    } catch (error) {
      throw inputError(file, `is not an 8-bit grey ${ext.toUpperCase()} (${String(error)})`, error);
    }
  }
  return undefined;
}

/**
 * The capture set in `dir` (README.md: manifest-input.json, slaps/<hand>.png|pgm, portrait.jpg),
 * its slaps run through `hotpath`.
 * @throws {PacketStationError} PACKET_INPUT_INVALID naming the file and value that is missing or
 *   does not read, or the slap the hot path refuses. The manifest's own rules are checked when the
 *   packet is built (PacketBuildError PACKET_MANIFEST_INVALID lists every failing field).
 */
export async function captureSetFromDirectory(hotpath: Hotpath, dir: string): Promise<CaptureSet> {
  const inputFile = path.join(dir, 'manifest-input.json');
  const text = readCaptureFile(inputFile);
  if (text === undefined)
    throw inputError(inputFile, 'is missing; see station/packets/README.md for the layout');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (error) {
    throw inputError(inputFile, `is not UTF-8 JSON (${String(error)})`, error);
  }
  const input = object(parsed, 'the file', inputFile);
  const devices = object(input.devices, 'devices', inputFile);
  const attestations = object(input.attestations ?? {}, 'attestations', inputFile);
  const attempts = object(input.attempts ?? {}, 'attempts', inputFile);
  const exceptions = (input.exceptions ?? []) as CaptureException[];
  if (!Array.isArray(exceptions)) throw inputError(inputFile, 'exceptions must be an array');
  const scanner = deviceOf(devices.scanner, 'devices.scanner', inputFile);
  const camera = deviceOf(devices.camera, 'devices.camera', inputFile);
  const attestation = (key: string) =>
    attestations[key] === undefined
      ? {}
      : { attestation: { signature: bytesOf(attestations[key], `attestations.${key}`, inputFile) } };
  const attemptsOf = (key: string) => {
    const n = attempts[key] ?? 1;
    if (typeof n !== 'number') throw inputError(inputFile, `attempts.${key} must be a number`);
    return n;
  };

  const slaps: SlapCapture[] = [];
  for (const hand of HANDS) {
    const found = await slapImage(dir, hand);
    if (found === undefined) continue;
    const result = await processSlap(hotpath, hand, found.image, exceptions, found.file);
    slaps.push(
      slapCaptureOf(result, found.image, scanner, { ...attestation(hand), attempts: attemptsOf(hand) }),
    );
  }
  if (slaps.length === 0)
    throw inputError(path.join(dir, 'slaps'), 'holds no right.png, left.png or thumbs.png (or .pgm)');
  const portraitFile = path.join(dir, 'portrait.jpg');
  const jpeg = readCaptureFile(portraitFile);
  if (jpeg === undefined) throw inputError(portraitFile, 'is missing');

  const {
    devices: _d,
    attestations: _a,
    attempts: _n,
    exceptions: _e,
    ...rest
  } = input as Json & {
    packetId: string;
    enrollmentSessionId: string;
    environment: Environment;
    enrollmentType: EnrollmentType;
    applicant: EnrollmentApplicant;
    stationId: string;
    officerId: string;
    supervisorApproval: CaptureSet['supervisorApproval'];
    times: CaptureSet['times'];
    auditChainHead: string;
    audit?: CaptureSet['audit'];
  };
  for (const key of ['applicant', 'times'] as const) object(rest[key], key, inputFile);
  return {
    ...rest,
    supervisorApproval: rest.supervisorApproval ?? null,
    slaps,
    portrait: { jpeg, device: camera, ...attestation('portrait'), attempts: attemptsOf('portrait') },
    exceptions,
  };
}
