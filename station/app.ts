/**
 * The composition of the station's HTTP service: `buildStation(deps)` returns the fastify app with
 * its devices opened; `main.ts` only listens. Tests call it with their own devices and clock and use
 * `app.inject()`.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { type Device, openOnce } from '../drivers/device.ts';
import { isFingerprintScanner } from '../drivers/fingerprint/scanner.ts';
import type { SimulatorControl } from '../drivers/sim-control.ts';
import type { CardReaderDevice } from '../drivers/smartcard/card-reader.ts';
import type { TrustStore } from '../protocol/icao9303/pa.ts';
import type { TerminalCredentials } from '../protocol/icao9303/terminal-auth.ts';
import { NO_QUERY, openObject, responses } from './api-schema.ts';
import { authPlugin, requireSession, sessionStillActive } from './auth/plugin.ts';
import type { AuthService } from './auth/service.ts';
import { compareFingers, scannerFinder } from './cards/verify-finger.ts';
import type { CentralLink } from './central/link.ts';
import type { Clock } from './clock.ts';
import { productionProblems } from './config/load.ts';
import type { StationConfig } from './config/schema.ts';
import { DeviceLeases } from './devices/leases.ts';
import { ConfigError, type ConfigProblem } from './errors.ts';
import type { Hotpath } from './hotpath/hotpath.ts';
import { installErrorAnswers } from './http-errors.ts';
import { lazySerializerFactory, lazyValidatorFactory } from './lazy-compilers.ts';
import type { OutboxStatus } from './outbox/status.ts';
import { type AuditRoutesOptions, auditRoutes } from './plugins/audit.ts';
import { cardRoutes } from './plugins/cards.ts';
import { deviceRoutes } from './plugins/devices.ts';
import { type EidRoutesOptions, eidRoutes } from './plugins/eid.ts';
import { type EnrollmentRoutesOptions, enrollmentRoutes } from './plugins/enrollment.ts';
import { faceRoutes, LivePortraits } from './plugins/faces.ts';
import { healthRoutes } from './plugins/health.ts';
import { openApiPlugin, serveOpenApi } from './plugins/openapi.ts';
import { type OutboxRoutesOptions, outboxRoutes } from './plugins/outbox.ts';
import { qrRoutes } from './plugins/qr.ts';
import { simulatorRoutes } from './plugins/sim.ts';
import { streamRoutes } from './plugins/streams.ts';
import { uiRoutes, wantsPage } from './plugins/ui.ts';
import { type VerificationRoutesOptions, verificationRoutes } from './plugins/verification.ts';
import type { LazyFaceEngine } from './portrait/engine-provider.ts';
import { CaptureTap } from './streams/capture-tap.ts';
import { STATION_VERSION } from './version.ts';

export interface StationDeps {
  readonly config: StationConfig;
  readonly devices: readonly Device[];
  readonly clock: Clock;
  readonly central: CentralLink;
  readonly outbox: OutboxStatus;
  /** Simulator control surfaces, mounted under /sim/ in the test environment. */
  readonly simulators?: readonly SimulatorControl[];
  /** Fastify/pino logger settings; defaults to the configured level on stdout. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Closed after the devices when the app closes (e.g. the embedded central simulator). */
  readonly resources?: readonly { close(): Promise<void> }[];
  /** The fingerprint hot path (reported in /health; the caller closes it, e.g. as a resource). */
  readonly hotpath?: Hotpath;
  /** The chip-card reader (also in `devices`) and the trust store PA checks against. */
  readonly cards?: {
    readonly reader: CardReaderDevice;
    readonly trustStore: TrustStore | undefined;
    /** EAC terminal credentials for the next read; undefined: no TA, DG3 not read. */
    readonly terminal?: (() => Promise<TerminalCredentials | undefined>) | undefined;
  };
  /** Store-and-forward: the outbox, uploader and central queries behind /outbox and /central. */
  readonly storeAndForward?: OutboxRoutesOptions;
  /**
   * The face engine behind portraits and face comparison (started on first use; the caller closes
   * it, e.g. as a resource). Without it the portrait and /faces routes are not mounted.
   */
  readonly faces?: LazyFaceEngine;
  /** The enrollment workflow and who the officer of a request is (mounted only with both). */
  readonly enrollment?: EnrollmentRoutesOptions;
  /**
   * Officer accounts and sessions, with the safety rails (Host allowlist, Origin check, security
   * headers) for every route. Without it neither is mounted.
   */
  readonly auth?: AuthService;
  /**
   * The notary verification workflow's extra parts (central's card status, the station signer,
   * station/auth's officer and signing grant); the routes are mounted whenever `cards` is.
   */
  /** The e-ID level-2 registration and who the officer of a request is (mounted only with both). */
  readonly eid?: EidRoutesOptions;
  /** The audit trail's head and its verification (GET /audit, POST /audit/verify); administrators only. */
  readonly audit?: Pick<AuditRoutesOptions, 'head' | 'verify'>;
  /** Which session holds which device (station/devices/leases.ts); default: a registry of this app's own. */
  readonly leases?: DeviceLeases;
  readonly verification?: Pick<
    VerificationRoutesOptions,
    'centralGet' | 'signer' | 'officerOf' | 'signingGrant' | 'preHandler' | 'auditAnchor' | 'onStep'
  >;
}

const ROOT_SCHEMA = {
  tags: ['station'],
  summary: 'What this service is, its version and environment, and its main routes',
  security: [],
  querystring: NO_QUERY,
  response: responses({
    200: openObject('service, version, environment, stationId, and the main routes with what each does', {
      version: { type: 'string' },
      environment: { type: 'string' },
      stationId: { type: 'string' },
    }),
  }),
} as const;

/** Production refuses anything simulated, whether it came from the config or was passed in. */
function assertEnvironment(deps: StationDeps): void {
  if (deps.config.environment !== 'production') return;
  const problems: ConfigProblem[] = [...productionProblems(deps.config)];
  for (const device of deps.devices) {
    if (device.mode === 'simulated') {
      problems.push({
        key: `/devices (${device.id})`,
        message: 'is a simulated device; production refuses it',
      });
    }
  }
  if ((deps.simulators?.length ?? 0) > 0) {
    problems.push({
      key: '/simulators',
      message: 'simulator controls were supplied; production refuses them',
    });
  }
  if (problems.length > 0) throw new ConfigError('CONFIG_PRODUCTION_UNSAFE', undefined, problems);
}

/**
 * Builds the station and opens its devices.
 * @throws {ConfigError} CONFIG_PRODUCTION_UNSAFE when production is asked to run simulated parts.
 */
export async function buildStation(deps: StationDeps): Promise<FastifyInstance> {
  assertEnvironment(deps);
  const { config, devices, clock } = deps;
  const app = Fastify({
    logger: deps.logger ?? { level: config.log.level },
    // Biometric payloads are large; the default 1 MiB stays until the capture routes set their own.
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // A key the schema does not know is refused, not dropped: `{"timeout":1000}` meant `timeoutMs`,
    // and silently waiting the default 10 s instead is worse than saying so. `verbose` gives the
    // formatter the parent schema, so it can list the allowed keys and values.
    ajv: { customOptions: { removeAdditional: false, allErrors: true, verbose: true } },
    // Each route's schemas compile at its first request, not during the start (station/lazy-compilers.ts).
    schemaController: {
      compilersFactory: { buildValidator: lazyValidatorFactory, buildSerializer: lazySerializerFactory },
    },
  });

  installErrorAnswers(app);

  // Before any route: the OpenAPI document collects the routes as they are added.
  await app.register(openApiPlugin, { version: STATION_VERSION });

  // First, so its hooks run before every route's.
  if (deps.auth)
    await app.register(authPlugin, {
      service: deps.auth,
      required: config.auth.required,
      serverHost: config.server.host,
      allowedHosts: config.auth.allowedHosts,
      tls: config.server.tls !== undefined,
    });

  serveOpenApi(app);

  // Until the officer's screen is served here, `/` says what this is and where to look.
  await app.register(uiRoutes);
  app.get('/', { schema: ROOT_SCHEMA }, async (request, reply) => {
    // A browser goes to the screen; a program gets what this service is.
    if (wantsPage(request.headers.accept)) return reply.redirect('/ui/', 302);
    return rootDescription();
  });
  const rootDescription = () => ({
    service: 'CCCD enrollment and verification station',
    version: STATION_VERSION,
    environment: config.environment,
    stationId: config.stationId,
    health: '/health',
    openapi: '/openapi.json',
    routes: {
      'GET /health': 'status, devices, hot path, outbox and central service',
      'GET /devices': 'devices with their state',
      'POST /devices/:id/capture': 'capture a fingerprint image',
      'GET /devices/:id/frame': "a camera's newest JPEG frame",
      'GET /devices/:id/preview': "a camera's MJPEG preview",
      ...(deps.faces
        ? {
            'POST /devices/:id/portrait': 'capture a portrait: checks, feedback, chip portrait, ICAO capture',
            'GET /devices/:id/portrait/live': 'live portrait feedback as server-sent events',
            'POST /faces/compare': 'advisory 1:1 face comparison (e.g. chip DG2 against a live capture)',
          }
        : {}),
      'POST /devices/:id/scan': "wait for a 2D barcode scanner's next code (a CCCD QR) and its chip key",
      'POST /qr/decode': "read a CCCD QR code from an image and derive the chip's key",
      ...(deps.cards ? { 'POST /cards/read': 'read and authenticate a chip ID card' } : {}),
      ...(deps.cards
        ? {
            'POST /verifications':
              "a notary's verification session: card, status, face, verdict, signed report",
          }
        : {}),
      ...(deps.cards && deps.hotpath
        ? { 'POST /cards/verify-fingerprint': "compare a live finger with the chip's (DG3, after EAC)" }
        : {}),
      ...(deps.storeAndForward
        ? {
            'GET /outbox': 'packets waiting, sent and refused; the uploader; offline limits',
            'GET /outbox/events': 'upload progress and state as server-sent events',
            'GET /streams/outbox': 'upload progress for screens (server-sent events, slow clients skip)',
          }
        : {}),
      'GET /streams/devices': 'device state and capture events (server-sent events)',
      'GET /streams/scanner/:id/preview': 'fingerprint preview frames with quality and advice',
      'GET /streams/camera/:id/preview': 'camera preview frames as small JPEGs',
      'GET /openapi.json': 'the OpenAPI 3.1 document of every route',
      ...(deps.enrollment
        ? {
            'POST /enrollments': 'open an enrollment (first issue, renewal, re-issue, correction)',
            'GET /enrollments/:id': 'an enrollment draft: stage, version, fields, scores, findings',
            'POST /enrollments/:id/steps': 'the next step of an enrollment, at the version seen',
          }
        : {}),
      ...(deps.eid
        ? {
            'POST /eid-registrations': "register a citizen's e-ID account, level 2 (card, face, contact)",
            'POST /eid-registrations/:id/steps': 'the next step of an e-ID registration, at the version seen',
          }
        : {}),
      ...(config.environment === 'test' && config.simulators.routes
        ? { 'GET /sim/': 'simulators, their scenarios and actions' }
        : {}),
    },
    docs: 'README.md and docs/ in the station repository; `station --help` for the command line',
  });

  const leases = deps.leases ?? new DeviceLeases(clock);
  const startedAt = clock.monotonic();
  await app.register(healthRoutes, {
    config,
    devices,
    clock,
    central: deps.central,
    outbox: deps.outbox,
    startedAt,
    ...(deps.hotpath === undefined ? {} : { hotpath: deps.hotpath }),
  });
  await app.register(deviceRoutes, { devices, leases });
  if (deps.cards) {
    const { hotpath } = deps;
    await app.register(cardRoutes, {
      ...deps.cards,
      clock,
      leases,
      // The notary's fingerprint check needs a scanner and the hot path to compare in.
      ...(hotpath === undefined
        ? {}
        : {
            verifier: {
              scanner: scannerFinder(devices),
              compare: (live, chip, fmr) => compareFingers(hotpath, live, chip, fmr),
            },
          }),
    });
  }
  if (deps.cards)
    await app.register(verificationRoutes, {
      stationId: config.stationId,
      environment: config.environment,
      clock,
      devices,
      reader: deps.cards.reader,
      trustStore: deps.cards.trustStore,
      terminal: deps.cards.terminal,
      ...(deps.faces === undefined ? {} : { faces: deps.faces }),
      ...(deps.hotpath === undefined ? {} : { hotpath: deps.hotpath }),
      leases,
      ...deps.verification,
    });
  await app.register(qrRoutes, { devices, clock, leases });
  // One live portrait loop per camera, shared by /devices/:id/portrait/live and the camera stream.
  const portraits =
    deps.faces === undefined || deps.hotpath === undefined
      ? undefined
      : new LivePortraits(deps.faces, deps.hotpath);
  if (deps.faces)
    await app.register(faceRoutes, {
      devices,
      engine: deps.faces,
      clock,
      ...(deps.hotpath === undefined ? {} : { hotpath: deps.hotpath }),
      ...(portraits === undefined ? {} : { lives: portraits }),
    });
  if (deps.storeAndForward) await app.register(outboxRoutes(deps.storeAndForward));
  if (deps.enrollment) await app.register(enrollmentRoutes(deps.enrollment));
  // Live streams see every capture through a tap on the scanners, whoever runs the capture.
  const captures = new CaptureTap();
  const untap = devices.filter(isFingerprintScanner).map((scanner) => captures.attach(scanner));
  app.addHook('onClose', async () => {
    for (const restore of untap) restore();
  });
  await app.register(streamRoutes, {
    devices,
    clock,
    captures,
    ...(deps.hotpath === undefined ? {} : { hotpath: deps.hotpath }),
    ...(portraits === undefined ? {} : { portraits }),
    ...(deps.storeAndForward === undefined ? {} : { uploader: deps.storeAndForward.uploader }),
    ...(deps.auth === undefined
      ? {}
      : { preHandler: requireSession(deps.auth), stillAllowed: sessionStillActive(deps.auth) }),
  });
  if (deps.eid) await app.register(eidRoutes(deps.eid));
  if (deps.audit)
    await app.register(
      auditRoutes({
        ...deps.audit,
        ...(deps.auth === undefined ? {} : { preHandler: requireSession(deps.auth, 'admin') }),
      }),
    );
  if (config.environment === 'test' && config.simulators.routes) {
    await app.register(simulatorRoutes(deps.simulators ?? []), { prefix: '/sim' });
  }

  app.addHook('onClose', async () => {
    await Promise.allSettled(devices.map((device) => device.close()));
    await Promise.allSettled((deps.resources ?? []).map((resource) => resource.close()));
  });

  // Composition may have started opening them already (station/compose/embedded.ts): the same opening.
  await Promise.all(devices.map((device) => openOnce(device)));
  for (const device of devices) {
    device.onStateChange((state) => app.log.info({ device: device.id, state }, 'device state'));
  }
  return app;
}
