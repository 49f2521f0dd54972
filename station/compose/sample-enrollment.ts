/**
 * A simulated applicant (a tester's tool): 4-4-2 slaps rendered by simulators/fingerprint and run
 * through the station's hot path, a synthetic portrait, demographics with every Vietnamese
 * diacritic. Used by `station packet build --sample SEED` and by the station's tester route
 * `POST /sim/enrollments` (which seals it into the outbox). Lives in compose/ because it wires
 * simulators/, which no other production module imports.
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { SimulatorControl } from '../../drivers/sim-control.ts';
import { resultSignedBytes } from '../../protocol/scanner/commands.ts';
import { encodeGreyJpeg, syntheticPortrait } from '../../simulators/card/lds-builder.ts';
import { renderSlap } from '../../simulators/fingerprint/generator.ts';
import { createDeviceCa, issueDeviceCertificate } from '../../simulators/pki/device-ca.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import {
  type CaptureDeviceIdentity,
  type CaptureSet,
  type EnrollmentApplicant,
  type SlapCapture,
  slapCaptureOf,
} from '../packets/capture-set.ts';
import { processSlap } from '../packets/directory.ts';
import type { CameraAttestor } from './enrollment.ts';

/** Every Vietnamese letter with a diacritic (NFC), upper case: the sample's names carry them all. */
export const VIETNAMESE_DIACRITICS = 'ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ';

/** A UUID (version 4 layout) derived from `text`, so one seed always names the same session. */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface SampleCaptureSet {
  readonly set: CaptureSet;
  /** ms: rendering the slaps; the hot path's wall time for the three slaps. */
  readonly timings: { readonly renderMs: number; readonly hotpathMs: number };
}

/**
 * A simulated applicant: 4-4-2 slaps rendered by simulators/fingerprint for `seed` and run through
 * `hotpath`, signed by a simulated scanner; a synthetic 480 x 640 portrait from a simulated camera;
 * demographics with every Vietnamese diacritic. `now` (ms) dates the capture.
 * @throws {PacketStationError} PACKET_INPUT_INVALID when the hot path refuses a rendered slap.
 */
export async function sampleCaptureSet(
  hotpath: Hotpath,
  seed: number,
  now: number,
): Promise<SampleCaptureSet> {
  const ca = await createDeviceCa('Simulated Device CA');
  const scanner = {
    model: 'SIM-FAP60',
    serialNumber: `SIM60-${String(seed).padStart(6, '0')}`,
    firmware: '1.0.0',
  };
  const camera = {
    model: 'SIM-ICAO-CAM',
    serialNumber: `CAM-${String(seed).padStart(6, '0')}`,
    firmware: '2.1.0',
  };
  const scannerKey = await issueDeviceCertificate(ca, scanner);
  const cameraKey = await issueDeviceCertificate(ca, camera);
  const scannerDevice: CaptureDeviceIdentity = { ...scanner, certificate: scannerKey.certificate };
  const nonce = new Uint8Array(createHash('sha256').update(`nonce-${seed}`).digest());
  const modes = { right: 'slap-right', left: 'slap-left', thumbs: 'two-thumbs' } as const;

  let renderMs = 0;
  let hotpathMs = 0;
  const slaps: SlapCapture[] = [];
  for (const hand of ['right', 'left', 'thumbs'] as const) {
    let t = performance.now();
    const { image } = renderSlap({ personSeed: seed, hand });
    renderMs += performance.now() - t;
    const pixelHash = new Uint8Array(createHash('sha256').update(image.pixels).digest());
    const signed = resultSignedBytes(
      nonce,
      { mode: modes[hand], width: image.width, height: image.height, ppi: 500 },
      pixelHash,
    );
    const signature = new Uint8Array(sign('sha256', signed, scannerKey.privateKey));
    t = performance.now();
    const result = await processSlap(hotpath, hand, image, [], `sample slap ${hand}`);
    hotpathMs += performance.now() - t;
    slaps.push(slapCaptureOf(result, image, scannerDevice, { attestation: { signature } }));
  }

  const jpeg = encodeGreyJpeg(syntheticPortrait(`sample-${seed}`, 480, 640), 480, 640, 85);
  const portraitSignature = new Uint8Array(
    sign('sha256', createHash('sha256').update(jpeg).digest(), cameraKey.privateKey),
  );
  const lower = VIETNAMESE_DIACRITICS.toLowerCase();
  const applicant: EnrollmentApplicant = {
    personalId: `0010900${String(seed % 100_000).padStart(5, '0')}`,
    fullName: `NGUYỄN THỊ ${VIETNAMESE_DIACRITICS}`,
    birthDate: '1990-02-28',
    sex: seed % 2 === 0 ? 'male' : 'female',
    nationality: 'Việt Nam',
    nationalityCode: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: `Xã ${lower}, Huyện Đông Anh, Hà Nội`,
    placeOfBirthRegistration: 'Phường Điện Biên, Quận Ba Đình, Hà Nội',
    placeOfResidence: 'Số 1 phố Đinh Tiên Hoàng, Phường Hàng Trống, Quận Hoàn Kiếm, Hà Nội',
    identifyingMarks: 'Nốt ruồi C:1cm trên trước mép trái',
    father: { fullName: 'NGUYỄN VĂN ĐỨC' },
    mother: { fullName: 'TRẦN THỊ THỦY' },
  };
  const at = (ms: number) => new Date(ms).toISOString();
  return {
    set: {
      packetId: uuidOf(`packet-${seed}`),
      enrollmentSessionId: uuidOf(`session-${seed}`),
      environment: 'test',
      enrollmentType: 'first-issue',
      applicant,
      slaps,
      portrait: {
        jpeg,
        device: { ...camera, certificate: cameraKey.certificate },
        attestation: { signature: portraitSignature },
        attempts: 1,
      },
      exceptions: [],
      stationId: 'station-0001',
      officerId: 'officer-001',
      supervisorApproval: null,
      times: { sessionStartedAt: at(now - 600_000), capturedAt: at(now - 60_000) },
      auditChainHead: createHash('sha256').update(`audit-${seed}`).digest('hex'),
    },
    timings: { renderMs, hotpathMs },
  };
}

/** What the applicant simulator seals with (station/packets/sealer.ts). */
export interface ApplicantSealer {
  seal(set: CaptureSet): Promise<{
    readonly entry: {
      readonly packetId: string;
      readonly digest: string;
      readonly size: number;
      readonly state: string;
    };
    readonly built: boolean;
    readonly timings: { readonly totalMs: number };
  }>;
}

/**
 * The tester's applicant: `POST /sim/applicant/actions/enroll {seed, packetId, enrollmentSessionId}`
 * makes the simulated applicant of `seed` (slaps through the hot path once per seed; later enrolls
 * reuse them) and seals it into the outbox under the given ids, answering once it is durable. The
 * same packetId again returns the packet already sealed (idempotent), as an officer's retry would.
 */
export function applicantControl(options: {
  readonly hotpath: Hotpath;
  readonly sealer: ApplicantSealer;
  readonly stationId: string;
  readonly environment: 'test' | 'production';
  readonly now: () => number;
  /**
   * Where rendered applicants are kept between runs (a tester's cache, e.g. `<dataDir>/sim`): a
   * restarted station reuses the processed slaps instead of rendering them again (several seconds).
   */
  readonly cacheDir?: string;
}): SimulatorControl {
  const made = new Map<number, Promise<SampleCaptureSet>>();
  const cached = async (seed: number): Promise<SampleCaptureSet> => {
    const file =
      options.cacheDir === undefined ? undefined : path.join(options.cacheDir, `applicant-${seed}.v8`);
    if (file !== undefined) {
      try {
        return deserialize(await readFile(file)) as SampleCaptureSet;
      } catch {
        // Absent or unreadable: render it again below.
      }
    }
    const sample = await sampleCaptureSet(options.hotpath, seed, options.now());
    if (file !== undefined) {
      // Written whole then renamed: a station killed meanwhile leaves no torn cache behind.
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, serialize(sample));
      await rename(temp, file);
    }
    return sample;
  };
  let sealed = 0;
  const uuid = {
    type: 'string',
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  };
  return {
    name: 'applicant',
    description: 'a simulated applicant sealed into the outbox (store-and-forward testing)',
    scenarios: ['default'],
    scenario: () => 'default',
    setScenario: () => {},
    actions: [
      {
        name: 'enroll',
        description:
          'seal the applicant of `seed` under packetId and enrollmentSessionId; answers when durable',
        input: {
          type: 'object',
          additionalProperties: false,
          required: ['seed', 'packetId', 'enrollmentSessionId'],
          properties: {
            seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
            packetId: uuid,
            enrollmentSessionId: uuid,
          },
        },
        async run(input) {
          const { seed, packetId, enrollmentSessionId } = input as {
            seed: number;
            packetId: string;
            enrollmentSessionId: string;
          };
          let sample = made.get(seed);
          if (sample === undefined) {
            sample = cached(seed);
            made.set(seed, sample);
            sample.catch(() => made.delete(seed));
          }
          const { set } = await sample;
          const now = options.now();
          const result = await options.sealer.seal({
            ...set,
            packetId,
            enrollmentSessionId,
            times: {
              sessionStartedAt: new Date(now - 600_000).toISOString(),
              capturedAt: new Date(now - 60_000).toISOString(),
            },
            stationId: options.stationId,
            environment: options.environment,
          });
          sealed += 1;
          return {
            packetId: result.entry.packetId,
            enrollmentSessionId,
            sha256: result.entry.digest,
            size: result.entry.size,
            state: result.entry.state,
            built: result.built,
            sealMs: Math.round(result.timings.totalMs),
          };
        },
      },
    ],
    snapshot: () => ({ seeds: [...made.keys()], sealed }),
  };
}

/**
 * The simulated camera's signature on a portrait, as sampleCaptureSet makes it: a simulated device
 * CA and camera key (made on first use, kept for the station's life), ECDSA over the SHA-256 of the
 * JPEG. Real UVC cameras sign nothing (station/compose/enrollment.ts).
 */
export function simulatedCameraAttestor(): CameraAttestor {
  let credentials: Promise<{ device: CaptureDeviceIdentity; privateKey: KeyObject }> | undefined;
  return async (jpeg) => {
    credentials ??= (async () => {
      const ca = await createDeviceCa('Simulated Camera CA');
      const camera = { model: 'SIM-ICAO-CAM', serialNumber: 'CAM-000001', firmware: '2.1.0' };
      const key = await issueDeviceCertificate(ca, camera);
      return { device: { ...camera, certificate: key.certificate }, privateKey: key.privateKey };
    })();
    const { device, privateKey } = await credentials;
    return {
      device,
      signature: new Uint8Array(sign('sha256', createHash('sha256').update(jpeg).digest(), privateKey)),
    };
  };
}
