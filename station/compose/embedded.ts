/**
 * The composition root: turns a configuration into real or simulated devices, the central link and
 * the outbox, ready for buildStation. The only production module that imports simulators/ (for the
 * embedded simulated default); native device packages load lazily, only when configured.
 */

import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { type Device, openOnce } from '../../drivers/device.ts';
import { HotplugMonitor } from '../../drivers/hotplug/hotplug-monitor.ts';
import type { HotplugPort } from '../../drivers/hotplug/port.ts';
import type { SimulatorControl } from '../../drivers/sim-control.ts';
import { CAMERA_SCENARIOS } from '../../simulators/camera/scenarios.ts';
import { createSimulatedCamera } from '../../simulators/camera/sim-camera.ts';
import { createWorkerRenderer } from '../../simulators/camera/worker.ts';
import type { SpawnedCentral } from '../../simulators/central/process.ts';
import { SimulatedUsbBus } from '../../simulators/hotplug/simulated-hotplug.ts';
import { SIM_SLAP_SCANNER } from '../../simulators/scanner/hid-scanner-sim.ts';
import { createWorkerPrintRenderer } from '../../simulators/scanner/print-render.ts';
import type { StationDeps } from '../app.ts';
import { openAuditTrail, openCheckpointSigner, verifyStationAudit } from '../audit/index.ts';
import { AuthError } from '../auth/errors.ts';
import { requireSession } from '../auth/plugin.ts';
import { AuthService } from '../auth/service.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import { DeviceLeases } from '../devices/leases.ts';
import { Hotpath } from '../hotpath/hotpath.ts';
import type { EnrollmentRoutesOptions } from '../plugins/enrollment.ts';
import { lazyFaceEngine } from '../portrait/engine-provider.ts';
import type { SigningGrantCheck } from '../workflows/enrollment/service.ts';
import { composeBarcode, sampleCardQrText } from './barcode.ts';
import { type CameraCompositionDeps, composeCamera, type SimulatedFeedOptions } from './cameras.ts';
import { composeCardReader } from './cards.ts';
import { composeStoreAndForward } from './central.ts';
import { composeEid } from './eid.ts';
import { composeEnrollment } from './enrollment.ts';
import { applicantControl, simulatedCameraAttestor } from './sample-enrollment.ts';
import { composeScanners } from './scanners.ts';

export interface ComposeOptions {
  readonly clock: Clock;
  readonly logger?: StationDeps['logger'];
  /**
   * The simulated camera (simulators/camera) and its scenario names, for `devices.camera.mode`
   * "simulated"; tests pass their own. Without one a simulated camera is left out (logged).
   */
  readonly simulatedCamera?: Pick<CameraCompositionDeps, 'simulatedFeed' | 'simulatedScenarios'>;
  /**
   * Who the officer of a request is, and the check of a signing grant (a password or PIN entered
   * again). Without them the enrollment routes are not mounted: they need an officer.
   */
  readonly officers?: Officers;
  /** The accounts service (tests pass one with low scrypt parameters); default from the config. */
  readonly auth?: AuthService;
  /**
   * The embedded central, already starting (`npm start` spawns it before the service's modules load,
   * so its second of start-up runs beside theirs); absent: composed here. Used for
   * `central.mode` "embedded" only; the composition owns it from here (stops it on failure).
   */
  readonly embeddedCentral?: Promise<SpawnedCentral>;
}

/** Who the officer of a request is, how a route demands one, and how a signing grant is checked. */
export interface Officers {
  readonly officerOf: EnrollmentRoutesOptions['officerOf'];
  readonly signingGrant: SigningGrantCheck;
  readonly preHandler?: EnrollmentRoutesOptions['preHandler'];
}

const GRANT_REQUIRED = {
  vi: 'Cần nhập lại mật khẩu hoặc mã PIN để ký.',
  en: 'Signing needs the password or PIN entered again (POST /auth/reauth), and its grant.',
};

/** The officers of station/auth: a session for every workflow route, one-use signing grants. */
export function authOfficers(auth: AuthService): Officers {
  return {
    officerOf: (request) =>
      request.officer === undefined
        ? undefined
        : { id: request.officer.id, roles: request.officer.roles, displayName: request.officer.displayName },
    preHandler: requireSession(auth, 'officer', 'supervisor'),
    signingGrant: async (actor, grant) => {
      try {
        return { ok: true, method: auth.consumeGrant(grant, { id: actor.officerId }).method };
      } catch (error) {
        if (error instanceof AuthError) return { ok: false, reason: error.message };
        throw error;
      }
    },
  };
}

/**
 * @throws the fs error when the data directory cannot be created; the listen error when the embedded
 *   central simulator cannot bind loopback.
 */
export async function composeStation(config: StationConfig, options: ComposeOptions): Promise<StationDeps> {
  const devices: Device[] = [];
  const simulators: SimulatorControl[] = [];
  const resources: { close(): Promise<void> }[] = [];
  // The card reader first: the simulated card renders its fingerprints (DG3) on a worker thread for
  // a couple of seconds, beside the rest of the composition on this one.
  const cardsComposed = composeCardReader(config, {
    clock: options.clock,
    log: (message) => (options.logger === false ? undefined : process.stderr.write(`station: ${message}\n`)),
  });
  // Awaited below; until then a rejection must not count as unhandled.
  cardsComposed.catch(() => undefined);
  // Store-and-forward next, also in the background: the embedded central is a child process that
  // takes a second or more to load and listen (its own core on a two-core machine), and nothing
  // composed before it needs it.
  const storeComposed = composeStoreAndForward(
    config,
    options.clock,
    (message) => (options.logger === false ? undefined : process.stderr.write(`station: ${message}\n`)),
    options.embeddedCentral,
  );
  storeComposed.catch(() => undefined);
  try {
    return await composeRest(config, options, {
      devices,
      simulators,
      resources,
      cardsComposed,
      storeComposed,
    });
  } catch (error) {
    // The parts started in the background are not in `resources` yet: close them too.
    await Promise.allSettled([
      // Opened early (above the central's wait), so closed here when the composition fails.
      ...devices.map((device) => device.close()),
      ...resources.map((resource) => resource.close()),
      cardsComposed.then((cards) => (resources.includes(cards) ? undefined : cards.close())),
      storeComposed.then((store) => (resources.includes(store) ? undefined : store.close())),
    ]);
    throw error;
  }
}

interface Started {
  readonly devices: Device[];
  readonly simulators: SimulatorControl[];
  readonly resources: { close(): Promise<void> }[];
  readonly cardsComposed: ReturnType<typeof composeCardReader>;
  readonly storeComposed: ReturnType<typeof composeStoreAndForward>;
}

async function composeRest(
  config: StationConfig,
  options: ComposeOptions,
  { devices, simulators, resources, cardsComposed, storeComposed }: Started,
): Promise<StationDeps> {
  let hotplug: HotplugPort | undefined;
  let usb: SimulatedUsbBus | undefined;
  switch (config.devices.hotplug.mode) {
    case 'simulated': {
      // A simulated HID scanner starts out plugged into the simulated bus.
      usb = new SimulatedUsbBus(
        config.devices.fingerprintHid.mode === 'simulated'
          ? [{ vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId }]
          : [],
      );
      hotplug = usb;
      devices.push(new HotplugMonitor(usb, 'simulated'));
      simulators.push(usb);
      break;
    }
    case 'hardware': {
      const { NativeUsbHotplug } = await import('../../drivers/hotplug/native-usb.ts');
      hotplug = new NativeUsbHotplug();
      devices.push(new HotplugMonitor(hotplug, 'hardware'));
      break;
    }
    case 'disabled':
      break;
  }

  // Simulated prints render on a worker thread: a slap is a second or more of CPU.
  const printRenderer =
    config.devices.fingerprintHid.mode === 'simulated' ? createWorkerPrintRenderer() : undefined;
  if (printRenderer !== undefined) resources.push(printRenderer);
  const scanners = await composeScanners(config, {
    clock: options.clock,
    ...(hotplug === undefined ? {} : { hotplug }),
    ...(usb === undefined ? {} : { usb }),
    ...(printRenderer === undefined ? {} : { printRenderer }),
  });
  devices.push(...scanners.scanners);
  simulators.push(...scanners.simulators);

  // The embedded simulated camera: procedural faces of the configured person seed, rendered in a
  // worker and piped through ffmpeg like a real camera's MJPEG (the production driver path).
  const simulatedCamera = options.simulatedCamera ?? {
    simulatedFeed: (o: SimulatedFeedOptions) => {
      const renderer = createWorkerRenderer();
      // In `card-qr` the person holds up the simulated card, its QR readable at 1280 x 720; drawn on
      // the render thread, not on this event loop.
      renderer.setCardQr(sampleCardQrText(), { width: 428, height: 270, qrSizePx: 170, noise: 0 });
      return createSimulatedCamera({
        ...o,
        renderer,
        scenario: CAMERA_SCENARIOS.find((name) => name === o.scenario) ?? 'good',
      });
    },
    simulatedScenarios: CAMERA_SCENARIOS,
  };
  const camera = await composeCamera(config, {
    ...simulatedCamera,
    ...(hotplug === undefined ? {} : { hotplug }),
  });
  if (camera.camera) devices.push(camera.camera);
  if (camera.simulator) simulators.push(camera.simulator);

  // The devices start opening now, while the card reader and the embedded central finish composing
  // (the camera's first frame alone takes most of a second); the service awaits the same openings.
  for (const device of devices) void openOnce(device).catch(() => undefined);

  const cards = await cardsComposed;
  if (cards.reader) devices.push(cards.reader);
  simulators.push(...cards.simulators);
  resources.push(cards);

  const barcode = await composeBarcode(config, { clock: options.clock });
  if (barcode.scanner) devices.push(barcode.scanner);
  if (barcode.simulator) simulators.push(barcode.simulator);

  const store = await storeComposed;
  resources.push(store);

  const hotpath = new Hotpath({
    ...(config.hotpath.workers === 0 ? {} : { workers: config.hotpath.workers }),
    hardLimitMs: config.hotpath.hardLimitMs,
  });
  resources.push(hotpath);
  // The face models load on first use (about 0.4 GB): a desk that never takes a portrait never pays.
  const faces = lazyFaceEngine(async () => {
    const { FaceApiEngine } = await import('../faces/face-api-engine.ts');
    return FaceApiEngine.start();
  });
  resources.push(faces);
  if (config.environment === 'test')
    simulators.push(
      applicantControl({
        hotpath,
        sealer: store.sealer,
        stationId: config.stationId,
        environment: config.environment,
        now: () => options.clock.now(),
        cacheDir: path.join(config.dataDir, 'sim'),
      }),
    );
  const crypto = createNodePacketCrypto();
  const centralGet = (pathAndQuery: string) =>
    store.transport.request('GET', `${store.centralUrl}${pathAndQuery}`);
  // Officer accounts and sessions (station/auth), and the audit trail every workflow records to.
  const auth =
    options.auth ?? new AuthService({ dataDir: config.dataDir, clock: options.clock, settings: config.auth });
  const auditSigner = await openCheckpointSigner(config.dataDir);
  const audit = await openAuditTrail({
    dataDir: config.dataDir,
    clock: options.clock,
    ...(auditSigner === undefined ? {} : { signer: auditSigner }),
    // Only what follows the last verified mark is read at start (start-up stays flat as the log
    // grows); the whole chain is verified in the background right after (below).
    verifyAtOpen: 'since-mark',
  });
  resources.push({
    close: async () => {
      await audit.close();
      await auditSigner?.close?.();
    },
  });
  void audit.verifyAll().then(
    (result) => {
      if (!result.ok) process.stderr.write(`station: AUDIT TRAIL BROKEN: ${JSON.stringify(result)}\n`);
    },
    () => undefined,
  );
  const officers = options.officers ?? authOfficers(auth);
  // One registry for the workflows and the device routes: a busy device is "in use by ..." at once.
  const leases = new DeviceLeases(options.clock);
  const enrollment = {
    service: await composeEnrollment({
      config,
      devices,
      hotpath,
      faces,
      sealer: store.sealer,
      centralGet,
      clock: options.clock,
      signingGrant: officers.signingGrant,
      audit,
      leases,
      ...(cards.reader === undefined
        ? {}
        : { cards: { reader: cards.reader, trustStore: cards.trustStore } }),
      ...(config.devices.camera.mode === 'simulated' ? { cameraAttestor: simulatedCameraAttestor() } : {}),
    }),
    officerOf: officers.officerOf,
    clock: options.clock,
    ...(officers.preHandler === undefined ? {} : { preHandler: officers.preHandler }),
  };

  const eid =
    cards.reader === undefined
      ? undefined
      : {
          service: await composeEid({
            config,
            devices,
            cards: { reader: cards.reader, trustStore: cards.trustStore, terminal: cards.terminal },
            centralGet,
            faces,
            sealer: store.sealer,
            clock: options.clock,
            signingGrant: officers.signingGrant,
            audit,
            leases,
          }),
          clock: options.clock,
          officerOf: officers.officerOf,
          ...(officers.preHandler === undefined ? {} : { preHandler: officers.preHandler }),
        };

  return {
    config,
    devices,
    hotpath,
    faces,
    ...(cards.reader === undefined
      ? {}
      : { cards: { reader: cards.reader, trustStore: cards.trustStore, terminal: cards.terminal } }),
    clock: options.clock,
    central: store.link,
    outbox: { depth: async () => store.outbox.depth() },
    storeAndForward: {
      outbox: store.outbox,
      uploader: store.uploader.uploader,
      clock: options.clock,
      stationId: config.stationId,
      environment: config.environment,
      statementKeys: store.credentials.statementKeys,
      verifySignature: (check) => crypto.verifySignature(check),
      centralStatus: (packetId) => centralGet(`/v1/packets/${encodeURIComponent(packetId)}/status`),
    },
    enrollment,
    ...(eid === undefined ? {} : { eid }),
    leases,
    auth,
    audit: { head: () => audit.head(), verify: () => verifyStationAudit(config.dataDir) },
    verification: {
      centralGet,
      signer: async () => store.credentials.signer,
      auditAnchor: async () => audit.head(),
      onStep: (event) => {
        void audit
          .record({
            actor: event.officerId,
            action: `verification.${event.step}`,
            outcome: 'ok',
            subject: { session: event.sessionId },
            details: { version: event.version },
          })
          .catch(() => undefined);
      },
      ...(options.officers === undefined
        ? {
            officerOf: (request: FastifyRequest) => {
              const officer = request.officer;
              return officer === undefined
                ? { id: 'anonymous', roles: [], authenticated: false }
                : {
                    id: officer.id,
                    roles: officer.roles,
                    authenticated: true,
                    displayName: officer.displayName,
                  };
            },
            preHandler: requireSession(auth, 'notary'),
            signingGrant: async (request: FastifyRequest & { body?: unknown }) => {
              const grant = (request.body as { grant?: unknown } | undefined)?.grant;
              const officer = request.officer;
              if (typeof grant !== 'string' || officer === undefined)
                return { ok: false, code: 'SIGNING_GRANT_REQUIRED', message: GRANT_REQUIRED };
              try {
                return { ok: true, method: auth.consumeGrant(grant, officer).method };
              } catch (error) {
                if (error instanceof AuthError)
                  return { ok: false, code: error.code, message: GRANT_REQUIRED };
                throw error;
              }
            },
          }
        : {}),
    },
    simulators,
    resources,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}
