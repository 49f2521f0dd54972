/**
 * Assembles one enrollment from a finished capture set: the ANSI/NIST-ITL transaction of our
 * profile (protocol/ansi-nist/PROFILE.md) and the packet manifest (protocol/packet/README.md) whose
 * image list hashes the transaction's images. Synchronous and without I/O: it runs inside the packet
 * worker (worker.ts), beside the signing and encryption.
 *
 * Transaction order, and the manifest's `capture.images` in the same order:
 *
 * | record | IDC | what |
 * |---|---|---|
 * | Type-1 | | TOT from the enrollment type, DAT the capture date in Vietnam, TCN the packet id |
 * | Type-2 | 00 | the demographics (2.003-2.017) |
 * | Type-10 | 01 | the portrait: IMT FACE, JPEGB, POS F; manifest `face`, position 0 |
 * | Type-14 | 02.. | each finger by FGP 1-10: WSQ20, FQM with our score |
 * | Type-14 | .. | each slap, FGP 13 right / 14 left / 15 thumbs: SEG per finger, FQM per finger, AMP |
 *
 * - A finger cut from a slap carries the slap's device and device signature: the scanner signed the
 *   slap's pixels, which the finger was cut from.
 * - A slap's manifest quality is its weakest finger's score.
 * - AMP (14.018) goes on the slap record of the finger's hand: `XX` amputated, `UP` for bandaged,
 *   unable to print and other.
 */
import { createHash } from 'node:crypto';
import {
  AnsiNistWriteError,
  buildTransaction,
  type Demographics,
  type RecordSpec,
  type Type14Spec,
  VN_TOT,
} from '../../protocol/ansi-nist/index.ts';
import type { Applicant, ManifestImage, PacketManifest } from '../../protocol/packet/manifest.ts';
import { SCORE_IDENTITY } from '../../protocol/quality/score.ts';
import type { CaptureDeviceIdentity, CaptureSet, SlapCapture, SlapHand } from './capture-set.ts';
import { PacketStationError } from './errors.ts';

/** 14.013 FGP of a slap (ANSI/NIST-ITL Table 8): right four fingers, left four, both thumbs. */
export const SLAP_FGP: Readonly<Record<SlapHand, number>> = { right: 13, left: 14, thumbs: 15 };
const HAND_POSITIONS: Readonly<Record<SlapHand, readonly number[]>> = {
  right: [2, 3, 4, 5],
  left: [7, 8, 9, 10],
  thumbs: [1, 6],
};
const TOT = {
  'first-issue': VN_TOT.firstIssue,
  renewal: VN_TOT.renewal,
  'reissue-after-loss': VN_TOT.reissueAfterLoss,
  correction: VN_TOT.correction,
} as const;
/** Vietnam's offset from UTC, ms (UTC+7, no daylight saving). */
const VIETNAM_OFFSET_MS = 7 * 3_600_000;
const PPI = 500;

export interface AssembledEnrollment {
  readonly manifest: PacketManifest;
  readonly transaction: Uint8Array;
  readonly portrait: Uint8Array;
  /** The transaction's images in the manifest's order (for buildPacket's hash check). */
  readonly images: readonly Uint8Array[];
}

function invalid(path: string, message: string): PacketStationError {
  return new PacketStationError('PACKET_CAPTURE_INVALID', message, { path });
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** YYYYMMDD of an ISO 8601 instant on the calendar in Vietnam (UTC+7). */
export function vietnamDate(iso: string, path: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw invalid(path, `'${iso}' is not an ISO 8601 date-time`);
  return new Date(ms + VIETNAM_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '');
}

/** Size and colour components of a baseline or progressive JPEG, from its SOF segment (T.81 B.2.2). */
export function jpegInfo(jpeg: Uint8Array): { width: number; height: number; components: number } {
  const bad = (why: string) => invalid('/portrait/jpeg', `the portrait is not a JPEG: ${why}`);
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw bad('no SOI marker');
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) throw bad(`no marker at byte ${at}`);
    const marker = jpeg[at + 1] ?? 0;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = ((jpeg[at + 2] ?? 0) << 8) | (jpeg[at + 3] ?? 0);
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 10 > jpeg.length) break;
      const height = ((jpeg[at + 5] ?? 0) << 8) | (jpeg[at + 6] ?? 0);
      const width = ((jpeg[at + 7] ?? 0) << 8) | (jpeg[at + 8] ?? 0);
      return { width, height, components: jpeg[at + 9] ?? 0 };
    }
    at += 2 + length;
  }
  throw bad('no SOF segment');
}

function manifestDevice(device: CaptureDeviceIdentity): ManifestImage['device'] {
  return {
    model: device.model,
    serialNumber: device.serialNumber,
    firmware: device.firmware,
    certificate: base64(device.certificate),
  };
}

function signatureOf(capture: { attestation?: { signature: Uint8Array } }, path: string): string {
  if (capture.attestation === undefined || capture.attestation.signature.length === 0)
    throw invalid(
      `${path}/attestation`,
      `the capture at ${path} carries no device signature; manifest layout 1 requires one for every image (capture it again on an attesting device)`,
    );
  return base64(capture.attestation.signature);
}

function demographicsOf(applicant: CaptureSet['applicant']): Demographics {
  const optional = (key: keyof Demographics, value: string | undefined) =>
    value === undefined || value === '' ? {} : { [key]: value };
  return {
    personalId: applicant.personalId,
    fullName: applicant.fullName,
    dateOfBirth: applicant.birthDate.replaceAll('-', ''),
    sex: applicant.sex === 'male' ? 'M' : 'F',
    nationality: applicant.nationalityCode,
    ...optional('ethnicity', applicant.ethnicity),
    ...optional('religion', applicant.religion),
    ...optional('placeOfOrigin', applicant.placeOfOrigin),
    ...optional('placeOfBirthRegistration', applicant.placeOfBirthRegistration),
    ...optional('placeOfResidence', applicant.placeOfResidence),
    ...optional('identifyingMarks', applicant.identifyingMarks),
    ...optional('father', applicant.father?.fullName),
    ...optional('mother', applicant.mother?.fullName),
    ...optional('spouse', applicant.spouse?.fullName),
    ...optional('formerIdNumber', applicant.formerIdNumber),
  } as Demographics;
}

function manifestApplicant(applicant: CaptureSet['applicant']): Applicant {
  const { nationalityCode: _code, formerIdNumber: _former, ...rest } = applicant;
  return rest;
}

function checkSlaps(set: CaptureSet): void {
  const seen = new Map<number, string>();
  const hands = new Set<SlapHand>();
  for (const [i, slap] of set.slaps.entries()) {
    const at = `/slaps/${i}`;
    if (hands.has(slap.hand)) throw invalid(`${at}/hand`, `two slaps of '${slap.hand}'; keep one`);
    hands.add(slap.hand);
    if (slap.fingers.length === 0) throw invalid(`${at}/fingers`, 'the slap holds no finger');
    for (const [j, finger] of slap.fingers.entries()) {
      const where = `${at}/fingers/${j}`;
      if (!HAND_POSITIONS[slap.hand].includes(finger.position))
        throw invalid(`${where}/position`, `finger ${finger.position} is not on the ${slap.hand} slap`);
      if (seen.has(finger.position))
        throw invalid(
          `${where}/position`,
          `finger ${finger.position} is also at ${seen.get(finger.position)}`,
        );
      seen.set(finger.position, where);
    }
  }
  for (const [i, exception] of set.exceptions.entries())
    if (seen.has(exception.position))
      throw invalid(
        `/exceptions/${i}/position`,
        `finger ${exception.position} is declared not captured but was captured at ${seen.get(exception.position)}`,
      );
}

/**
 * The transaction and manifest of `set`, built at `builtAt` (ms since the Unix epoch).
 * @throws {PacketStationError} PACKET_CAPTURE_INVALID naming the capture set's value (a finger on
 *   the wrong slap or captured twice, a missing device signature, a portrait that is not a JPEG, or
 *   a value the ANSI/NIST profile refuses, with its field).
 */
export function assembleEnrollment(set: CaptureSet, builtAt: number): AssembledEnrollment {
  checkSlaps(set);
  const date = vietnamDate(set.times.capturedAt, '/times/capturedAt');
  const ori = set.agencies?.ori ?? set.stationId;
  const image = { slc: 1, thps: PPI, tvps: PPI, cga: 'WSQ20', bpx: 8, imp: 0, src: ori, fcd: date } as const;
  const records: RecordSpec[] = [{ type: 2, idc: 0, demographics: demographicsOf(set.applicant) }];
  const images: Uint8Array[] = [];
  const listed: ManifestImage[] = [];

  const portrait = jpegInfo(set.portrait.jpeg);
  records.push({
    type: 10,
    idc: 1,
    imt: 'FACE',
    src: ori,
    phd: date,
    hll: portrait.width,
    vll: portrait.height,
    slc: 0,
    thps: 1,
    tvps: 1,
    cga: 'JPEGB',
    csp: portrait.components === 1 ? 'GRAY' : 'SYCC',
    sap: 0,
    pos: 'F',
    data: set.portrait.jpeg,
  });
  images.push(set.portrait.jpeg);
  listed.push({
    kind: 'face',
    position: 0,
    format: 'jpeg',
    sha256: sha256Hex(set.portrait.jpeg),
    byteLength: set.portrait.jpeg.length,
    device: manifestDevice(set.portrait.device),
    deviceSignature: signatureOf(set.portrait, '/portrait'),
    attempts: set.portrait.attempts,
  });

  const algorithm = {
    vendorId: SCORE_IDENTITY.vendorId,
    productId: SCORE_IDENTITY.productId,
    version: SCORE_IDENTITY.version,
  };
  let idc = 2;
  const fingers = set.slaps
    .flatMap((slap, i) => slap.fingers.map((finger) => ({ slap, i, finger })))
    .sort((a, b) => a.finger.position - b.finger.position);
  for (const { slap, i, finger } of fingers) {
    records.push({
      type: 14,
      idc: idc++,
      ...image,
      hll: finger.width,
      vll: finger.height,
      fgp: finger.position,
      quality: [{ fgp: finger.position, score: finger.score }],
      data: finger.wsq,
    });
    images.push(finger.wsq);
    listed.push({
      kind: 'finger',
      position: finger.position,
      format: 'wsq',
      sha256: sha256Hex(finger.wsq),
      byteLength: finger.wsq.length,
      device: manifestDevice(slap.device),
      deviceSignature: signatureOf(slap, `/slaps/${i}`),
      quality: { score: finger.score, algorithm },
      attempts: slap.attempts,
    });
  }

  const slaps = set.slaps
    .map((slap, i) => ({ slap, i }))
    .sort((a, b) => SLAP_FGP[a.slap.hand] - SLAP_FGP[b.slap.hand]);
  for (const { slap, i } of slaps) {
    records.push(slapRecord(slap, idc++, image, set));
    images.push(slap.wsq);
    listed.push({
      kind: 'slap',
      position: SLAP_FGP[slap.hand],
      format: 'wsq',
      sha256: sha256Hex(slap.wsq),
      byteLength: slap.wsq.length,
      device: manifestDevice(slap.device),
      deviceSignature: signatureOf(slap, `/slaps/${i}`),
      quality: { score: Math.min(...slap.fingers.map((f) => f.score)), algorithm },
      attempts: slap.attempts,
    });
  }

  let transaction: Uint8Array;
  try {
    transaction = buildTransaction({
      type1: {
        tot: TOT[set.enrollmentType],
        date,
        dai: set.agencies?.dai ?? 'VN-C06',
        ori,
        tcn: set.packetId,
        nsr: '00.00',
        ntr: '00.00',
        gmt: `${new Date(builtAt).toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`,
      },
      records,
    });
  } catch (error) {
    if (error instanceof AnsiNistWriteError)
      throw new PacketStationError(
        'PACKET_CAPTURE_INVALID',
        `the transaction cannot be built: ${error.message}`,
        {
          cause: error,
        },
      );
    throw error;
  }

  const manifest: PacketManifest = {
    manifestVersion: 1,
    packetId: set.packetId,
    enrollmentSessionId: set.enrollmentSessionId,
    environment: set.environment,
    enrollmentType: set.enrollmentType,
    applicant: manifestApplicant(set.applicant),
    capture: { images: listed, exceptions: set.exceptions },
    transactionSha256: sha256Hex(transaction),
    portraitSha256: sha256Hex(set.portrait.jpeg),
    stationId: set.stationId,
    officerId: set.officerId,
    supervisorApproval: set.supervisorApproval,
    times: { ...set.times, builtAt: new Date(builtAt).toISOString() },
    auditChainHead: set.auditChainHead,
    ...(set.audit === undefined ? {} : { audit: { seq: set.audit.seq, head: set.audit.head } }),
  };
  return { manifest, transaction, portrait: set.portrait.jpeg, images };
}

function slapRecord(
  slap: SlapCapture,
  idc: number,
  image: Omit<Type14Spec, 'type' | 'idc' | 'hll' | 'vll' | 'fgp' | 'data'>,
  set: CaptureSet,
): Type14Spec {
  const amputations = set.exceptions
    .filter((e) => HAND_POSITIONS[slap.hand].includes(e.position))
    .map((e) => ({ fgp: e.position, code: e.reason === 'amputated' ? ('XX' as const) : ('UP' as const) }));
  const clamp = (value: number, max: number) => Math.max(0, Math.min(max, Math.round(value)));
  return {
    type: 14,
    idc,
    ...image,
    hll: slap.width,
    vll: slap.height,
    fgp: SLAP_FGP[slap.hand],
    ...(amputations.length > 0 ? { amputations } : {}),
    segments: slap.fingers.map((f) => ({
      fgp: f.position,
      left: clamp(f.box.x, slap.width - 1),
      right: clamp(f.box.x + f.box.width - 1, slap.width - 1),
      top: clamp(f.box.y, slap.height - 1),
      bottom: clamp(f.box.y + f.box.height - 1, slap.height - 1),
    })),
    quality: slap.fingers.map((f) => ({ fgp: f.position, score: f.score })),
    data: slap.wsq,
  };
}
