/**
 * The e-ID level-2 registration wired to the station: the ports of station/workflows/eid/service.ts
 * over the notary verification's card read and face comparison (the same code, the same reader,
 * trust store and face engine), the station's camera for the live frame, and the sealer's e-ID
 * packet type. Nothing here decides anything.
 */

import path from 'node:path';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import type { Device } from '../../drivers/device.ts';
import type { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import type { DeviceLeases } from '../devices/leases.ts';
import { loadOrCreateSymmetricKey } from '../keys/symmetric.ts';
import type { EidApplicationSet } from '../packets/eid-application.ts';
import type { LazyFaceEngine } from '../portrait/engine-provider.ts';
import { type EidPorts, EidService } from '../workflows/eid/service.ts';
import { EidStore } from '../workflows/eid/store.ts';
import type { EnrollmentAudit, SigningGrantCheck } from '../workflows/enrollment/service.ts';
import { stationVerificationPorts } from '../workflows/verification/station-ports.ts';

/** How long the face step waits for the camera's first frame, ms. */
const FRAME_WAIT_MS = 5_000;

export interface EidCompositionOptions {
  readonly config: StationConfig;
  readonly devices: readonly Device[];
  readonly cards: {
    readonly reader: CardReaderDevice;
    readonly trustStore: TrustStore | undefined;
    readonly terminal?: (() => Promise<TerminalCredentials | undefined>) | undefined;
  };
  readonly faces: LazyFaceEngine | undefined;
  readonly sealer: {
    sealEid(set: EidApplicationSet): Promise<{
      readonly entry: { readonly packetId: string; readonly state: string; readonly digest: string };
    }>;
  };
  readonly clock: Clock;
  readonly signingGrant: SigningGrantCheck;
  readonly audit?: EnrollmentAudit;
  readonly leases?: DeviceLeases;
  /** GET on central (card status before registering). */
  readonly centralGet?: (path: string) => Promise<{ status: number; body: Uint8Array }>;
}

/**
 * @throws {KeyError} when the e-ID key file (`<dataDir>/keys/eid.key`) cannot be read or made.
 */
export async function composeEid(options: EidCompositionOptions): Promise<EidService> {
  const { devices, cards, clock } = options;
  const verification = stationVerificationPorts({
    clock,
    devices,
    reader: cards.reader,
    trustStore: cards.trustStore,
    terminal: cards.terminal,
    faces: options.faces,
    ...(options.centralGet === undefined ? {} : { centralGet: options.centralGet }),
  });
  const cameraOf = (id: string | undefined) =>
    devices.find((d): d is CameraDevice => d instanceof CameraDevice && (id === undefined || d.id === id));
  const ports: EidPorts = {
    readCard: verification.readCard,
    cardStatus: verification.cardStatus,
    compareFace: verification.compareFace,
    preparePortrait: verification.preparePortrait,
    async liveFrame(id, signal) {
      const camera = cameraOf(id);
      if (camera === undefined) return undefined;
      let frame = camera.latestFrame();
      if (frame === undefined) {
        const wait = AbortSignal.timeout(FRAME_WAIT_MS);
        try {
          for await (const next of camera.frames(
            signal === undefined ? wait : AbortSignal.any([wait, signal]),
          )) {
            frame = next;
            break;
          }
        } catch (error) {
          // No frame in time, or the registration was abandoned: "no frame", not a fault.
          if (!wait.aborted && signal?.aborted !== true) throw error;
        }
      }
      return frame === undefined ? undefined : { cameraId: camera.id, jpeg: frame.jpeg.slice() };
    },
    devicesFor(step) {
      if (step.kind === 'read-card') return [cards.reader.id];
      const camera = cameraOf(step.camera);
      return camera === undefined ? [] : [camera.id];
    },
    async seal(set) {
      const { entry } = await options.sealer.sealEid(set);
      return { packetId: entry.packetId, state: entry.state, sha256: entry.digest };
    },
  };
  // Registrations in progress are kept encrypted under a key of their own, so a restart resumes them.
  const key = await loadOrCreateSymmetricKey(
    path.join(options.config.dataDir, 'keys', 'eid.key'),
    'e-ID registration key',
  );
  return new EidService({
    ports,
    store: new EidStore(path.join(options.config.dataDir, 'eid'), key),
    clock,
    stationId: options.config.stationId,
    environment: options.config.environment,
    signingGrant: options.signingGrant,
    ...(options.audit === undefined ? {} : { audit: options.audit }),
    ...(options.leases === undefined ? {} : { leases: options.leases }),
  });
}
