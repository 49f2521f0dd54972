/**
 * The enrollment service wired to the station: the ports of station/workflows/enrollment/service.ts
 * over the fingerprint scanners, the camera and face engine, the hot path, central's population
 * lookup and the sealer. Nothing here decides anything: capture, hand over, report failures as the
 * officer's messages.
 *
 * Device signatures: a packet (manifest layout 1) carries every image's device signature and
 * certificate. Attested HID scanners give both. A UVC camera signs nothing; until a signing camera
 * (or a camera attestation scheme) is configured, a hardware camera's portrait is refused with
 * CAMERA_UNATTESTED rather than packed unsigned. The simulated camera signs with a simulated device
 * key (`cameraAttestor`).
 */
import path from 'node:path';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import type { Device } from '../../drivers/device.ts';
import { DriverError } from '../../drivers/errors.ts';
import { type FingerprintScanner, isFingerprintScanner } from '../../drivers/fingerprint/scanner.ts';
import type { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import { decodeDg13 } from '../../protocol/cccd/dg13.ts';
import type { MccTemplate } from '../../protocol/fingerprint/match/index.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
import type { CaptureModeName } from '../../protocol/scanner/commands.ts';
import { decodeWsq } from '../../protocol/wsq/index.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import type { DeviceLeases } from '../devices/leases.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import { loadOrCreateSymmetricKey } from '../keys/symmetric.ts';
import {
  type CaptureDeviceIdentity,
  type CaptureSet,
  type SlapHand,
  slapCaptureOf,
} from '../packets/capture-set.ts';
import { capturePortrait } from '../portrait/capture.ts';
import type { LazyFaceEngine } from '../portrait/engine-provider.ts';
import { CORRECTABLE_FIELDS } from '../workflows/enrollment/demographics.ts';
import { DraftStore } from '../workflows/enrollment/draft-store.ts';
import {
  type EnrollmentAudit,
  type EnrollmentPorts,
  EnrollmentService,
  type EnrollmentServiceOptions,
  type SigningGrantCheck,
} from '../workflows/enrollment/service.ts';
import { VerificationError } from '../workflows/verification/session.ts';
import { stationVerificationPorts } from '../workflows/verification/station-ports.ts';

const MODE_OF: Readonly<Record<SlapHand, CaptureModeName>> = {
  right: 'slap-right',
  left: 'slap-left',
  thumbs: 'two-thumbs',
};

/** How long a slap capture waits for the fingers on the glass. */
const FINGER_WAIT_MS = 30_000;
/** How long the portrait waits for the camera's first frame. */
const FRAME_WAIT_MS = 5_000;

/** Signs a portrait as its capture device: the device identity and a DER ECDSA signature over the JPEG. */
export type CameraAttestor = (
  jpeg: Uint8Array,
) => Promise<{ readonly device: CaptureDeviceIdentity; readonly signature: Uint8Array }>;

export interface EnrollmentCompositionOptions {
  readonly config: StationConfig;
  readonly devices: readonly Device[];
  readonly hotpath: Hotpath;
  readonly faces: LazyFaceEngine | undefined;
  readonly sealer: {
    seal(set: CaptureSet): Promise<{
      readonly entry: { readonly packetId: string; readonly state: string; readonly digest: string };
    }>;
  };
  /** GET on central through the station's transport (mutual TLS): its status and body. */
  readonly centralGet: (
    pathAndQuery: string,
  ) => Promise<{ readonly status: number; readonly body: Uint8Array }>;
  readonly clock: Clock;
  readonly signingGrant: SigningGrantCheck;
  readonly cameraAttestor?: CameraAttestor;
  readonly audit?: EnrollmentAudit;
  /** The station's device leases: a capture holds its scanner or camera for the step. */
  readonly leases?: DeviceLeases;
  /** The card reader and trust store, to read an old card for a renewal's prefill. */
  readonly cards?: { readonly reader: CardReaderDevice; readonly trustStore: TrustStore | undefined };
}

const say = (vi: string, en: string) => ({ vi, en });

export async function composeEnrollment(options: EnrollmentCompositionOptions): Promise<EnrollmentService> {
  const { config, devices, hotpath } = options;
  const key = await loadOrCreateSymmetricKey(
    path.join(config.dataDir, 'keys', 'draft.key'),
    'enrollment draft key',
  );
  const store = new DraftStore(path.join(config.dataDir, 'enrollments'), key);

  const scannerFor = (mode: CaptureModeName): FingerprintScanner | undefined => {
    const scanners = devices.filter(isFingerprintScanner);
    return (
      scanners.find((s) => s.state().status === 'ready' && (s.describe()?.modes.includes(mode) ?? false)) ??
      scanners.find((s) => s.describe()?.modes.includes(mode) ?? false)
    );
  };

  const ports: EnrollmentPorts = {
    devicesFor(capture) {
      if (capture.kind === 'portrait') {
        const camera = devices.find((d): d is CameraDevice => d instanceof CameraDevice);
        return camera === undefined ? [] : [camera.id];
      }
      if (capture.kind === 'card') return options.cards === undefined ? [] : [options.cards.reader.id];
      const scanner = scannerFor(MODE_OF[capture.hand]);
      return scanner === undefined ? [] : [scanner.id];
    },

    async captureSlap(hand, { missing, signal }) {
      const mode = MODE_OF[hand];
      const scanner = scannerFor(mode);
      if (scanner === undefined)
        return {
          ok: false,
          code: 'SCANNER_UNAVAILABLE',
          message: say('Không có máy quét vân tay sẵn sàng.', `No fingerprint scanner offers ${mode}.`),
        };
      let image: Awaited<ReturnType<typeof firstResult>>;
      try {
        image = await firstResult(scanner, mode, signal);
      } catch (error) {
        if (!(error instanceof DriverError)) throw error;
        return {
          ok: false,
          code: error.code,
          message: say(`Máy quét ${scanner.id}: ${error.message}`, `Scanner ${scanner.id}: ${error.message}`),
        };
      }
      if (image.attestation === undefined)
        return {
          ok: false,
          code: 'SCANNER_UNATTESTED',
          message: say(
            'Máy quét này không ký ảnh; không dùng để thu nhận hồ sơ.',
            `Scanner ${scanner.id} signs nothing: it is for verification only, not enrollment.`,
          ),
        };
      const result = await hotpath.processSlap(
        { width: image.width, height: image.height, pixels: image.pixels },
        { hand, missing },
      );
      if (result.problem !== undefined)
        return { ok: false, code: result.problem.code, message: result.problem.message };
      const device: CaptureDeviceIdentity = {
        model: image.device.model,
        serialNumber: image.device.serial,
        firmware: scanner.describe()?.firmware ?? '',
        certificate: image.attestation.certificate,
      };
      const slap = slapCaptureOf(result, image, device, {
        attestation: { signature: image.attestation.signature },
      });
      return {
        ok: true,
        slap,
        templates: result.fingers.flatMap((f) =>
          f.template === null ? [] : [{ position: f.position, template: f.template }],
        ),
        ...(hand !== 'thumbs' && result.wrongHand !== undefined
          ? { handSeen: result.wrongHand.handSeen }
          : {}),
      };
    },

    async capturePortrait({ signal } = {}) {
      const camera = devices.find((d): d is CameraDevice => d instanceof CameraDevice);
      if (camera === undefined || options.faces === undefined)
        return {
          ok: false,
          code: 'CAMERA_UNAVAILABLE',
          message: say('Không có máy ảnh.', 'No camera is configured.'),
        };
      if (options.cameraAttestor === undefined)
        return {
          ok: false,
          code: 'CAMERA_UNATTESTED',
          message: say(
            'Máy ảnh này không ký ảnh; hồ sơ cần chữ ký của thiết bị thu nhận.',
            "This camera signs nothing, and a packet needs the capture device's signature on the portrait.",
          ),
        };
      let frame = camera.latestFrame();
      if (frame === undefined) {
        const wait = AbortSignal.timeout(FRAME_WAIT_MS);
        for await (const next of camera.frames(
          signal === undefined ? wait : AbortSignal.any([wait, signal]),
        )) {
          frame = next;
          break;
        }
      }
      if (frame === undefined)
        return {
          ok: false,
          code: 'CAMERA_NOT_READY',
          message: say('Máy ảnh chưa có hình.', 'No frame from the camera.'),
        };
      const faces = options.faces;
      const capture = await capturePortrait(frame.jpeg, () => faces.get(), hotpath);
      if (capture.status === 'unreadable')
        return {
          ok: false,
          code: 'CAMERA_FRAME_UNREADABLE',
          message: say('Ảnh lỗi.', capture.error.message),
        };
      if (!capture.decision.accepted || capture.icao === null) {
        const first = capture.decision.feedback[0];
        return {
          ok: false,
          code: first?.code ?? 'PORTRAIT_NOT_MADE',
          message:
            first?.message ??
            say(
              'Chưa tạo được ảnh chân dung.',
              capture.portraitError?.message ?? 'No portrait could be made.',
            ),
        };
      }
      const attested = await options.cameraAttestor(capture.icao.jpeg);
      return {
        ok: true,
        capture: {
          jpeg: capture.icao.jpeg,
          device: attested.device,
          attestation: { signature: attested.signature },
          attempts: 1,
        },
      };
    },

    async templatesOf(slap) {
      const out: { position: number; template: MccTemplate }[] = [];
      for (const finger of slap.fingers) {
        const decoded = decodeWsq(finger.wsq);
        if (!decoded.ok) continue;
        const assessed = await hotpath.assessFinger(decoded.value, { wsq: false });
        if (assessed.template !== null) out.push({ position: finger.position, template: assessed.template });
      }
      return out;
    },

    async checkSet(fingers, geometry) {
      return (await hotpath.checkSet(fingers, { geometry })).findings;
    },

    async lookupCitizen(personalId) {
      let answer: { status: number; body: Uint8Array };
      try {
        answer = await options.centralGet(`/v1/population/citizens/${encodeURIComponent(personalId)}`);
      } catch {
        return 'offline';
      }
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) return 'offline';
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(answer.body).toString('utf8'));
      } catch {
        return 'offline';
      }
      const record: Record<string, string> = {};
      const source = (body as { citizen?: unknown }).citizen ?? body;
      if (source !== null && typeof source === 'object')
        for (const field of CORRECTABLE_FIELDS) {
          const value = (source as Record<string, unknown>)[field];
          if (typeof value === 'string') record[field] = value.normalize('NFC');
        }
      return record;
    },

    ...(options.cards === undefined ? {} : { readOldCard: oldCardReader(options.cards, options.clock) }),

    async seal(set) {
      const { entry } = await options.sealer.seal(set);
      return { packetId: entry.packetId, state: entry.state, sha256: entry.digest };
    },
  };

  return new EnrollmentService({
    store,
    ports,
    clock: options.clock,
    stationId: config.stationId,
    environment: config.environment,
    signingGrant: options.signingGrant,
    ...enrollmentRules(config),
    ...(options.audit === undefined ? {} : { audit: options.audit }),
    ...(options.leases === undefined ? {} : { leases: options.leases }),
  });
}

/** The office's rules from the configuration: attempts, idle wipe, approval and the receipt's calendar. */
export function enrollmentRules(
  config: StationConfig,
): Pick<EnrollmentServiceOptions, 'limits' | 'idleMs' | 'policy' | 'receipt'> {
  const { enrollment } = config;
  return {
    limits: { maxAttempts: enrollment.maxAttempts },
    idleMs: enrollment.idleWipeMinutes * 60_000,
    policy: { ...enrollment.approval },
    receipt: {
      workingDays: enrollment.receipt.workingDays,
      holidays: [...enrollment.receipt.holidays],
      keepMs: enrollment.receipt.keepHours * 3_600_000,
    },
  };
}

async function firstResult(scanner: FingerprintScanner, mode: CaptureModeName, signal?: AbortSignal) {
  for await (const event of scanner.capture({
    mode,
    timeoutMs: FINGER_WAIT_MS,
    ...(signal === undefined ? {} : { signal }),
  }))
    if (event.type === 'result') return event.image;
  throw new DriverError('DEVICE_PROTOCOL', `scanner ${scanner.id} ended the capture without an image`);
}

/** How long a prefill's card read waits for the card on the reader, ms. */
const OLD_CARD_WAIT_MS = 10_000;

/**
 * Reads an old card's chip for a prefill with the notary's read (PACE/BAC, Passive, Chip and Active
 * Authentication): its details are taken only when Passive Authentication proves them the issuer's.
 * An expired card is fine (that is why it is renewed); a chip whose data fails Passive
 * Authentication, or whose issuer is not trusted, is refused with the officer's words.
 */
function oldCardReader(
  cards: { readonly reader: CardReaderDevice; readonly trustStore: TrustStore | undefined },
  clock: Clock,
): NonNullable<EnrollmentPorts['readOldCard']> {
  const ports = stationVerificationPorts({
    clock,
    devices: [cards.reader],
    reader: cards.reader,
    trustStore: cards.trustStore,
  });
  return async (key, { signal }) => {
    let read: Awaited<ReturnType<typeof ports.readCard>>;
    try {
      read = await ports.readCard(key, {
        waitMs: OLD_CARD_WAIT_MS,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      return { ok: false, code: error.code, message: error.officer };
    }
    if (read.passiveAuthentication.verdict !== 'valid')
      return {
        ok: false,
        code: 'OLD_CARD_NOT_PROVEN',
        message: say(
          `Dữ liệu chip thẻ cũ không được xác thực (${read.passiveAuthentication.message.vi}); nhập số định danh và báo lãnh đạo.`,
          `The old card's chip data is not proven genuine (${read.passiveAuthentication.message.en}); type the personal ID and tell the supervisor.`,
        ),
      };
    const dg13Bytes = read.evidence.dataGroups.get(13);
    const dg13 = dg13Bytes === undefined ? undefined : decodeDg13(dg13Bytes);
    const personalId = (dg13?.ok ? dg13.value.idNumber : undefined) ?? read.holder?.id12;
    if (personalId === undefined || !/^[0-9]{12}$/.test(personalId))
      return {
        ok: false,
        code: 'OLD_CARD_NO_PERSONAL_ID',
        message: say(
          'Chip thẻ cũ không cho số định danh: nhập số định danh.',
          "The old card's chip gives no personal ID: type it instead.",
        ),
      };
    const record: Record<string, string> = {};
    if (dg13?.ok) {
      const d = dg13.value;
      const put = (field: string, value: string | undefined) => {
        if (value !== undefined && value.trim() !== '') record[field] = value.normalize('NFC');
      };
      put('fullName', d.fullName);
      put('birthDate', d.dateOfBirth?.iso);
      if (d.sexCode !== undefined) record.sex = d.sexCode === 'M' ? 'male' : 'female';
      put('nationality', d.nationality);
      put('ethnicity', d.ethnicity);
      put('religion', d.religion);
      put('placeOfOrigin', d.placeOfOrigin);
      put('placeOfResidence', d.placeOfResidence);
      put('identifyingMarks', d.identifyingMarks);
      put('formerIdNumber', d.oldIdNumber);
    } else if (read.holder?.fullName !== undefined) record.fullName = read.holder.fullName.normalize('NFC');
    return { ok: true, personalId, record };
  };
}
