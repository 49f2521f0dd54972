/**
 * Runs the station as a service: load config, listen, compose, build; stop cleanly on SIGINT/SIGTERM
 * (stop accepting, drain in-flight requests, close devices, exit 0). Used by main.ts and `station start`.
 *
 * The socket is bound first, by the startup gate (startup-gate.ts): a taken port is reported before
 * anything else starts, and from then on /health answers (`starting`, then the service's own) while
 * the module graph loads, the devices open and the embedded central starts. Other requests get 503
 * STATION_STARTING until the service is built.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { StationDeps } from './app.ts';
import { systemClock } from './clock.ts';
import type { EarlyCentral } from './compose/early-central.ts';
import { loadConfig } from './config/load.ts';
import type { StationConfig } from './config/schema.ts';
import { ConfigError, ListenError } from './errors.ts';
import { openStartupGate, type StartupGate } from './startup-gate.ts';
import { STATION_VERSION } from './version.ts';

/**
 * The service's heaviest module subgraphs, loaded one at a time before app.ts and the composition
 * (about 50 to 120 ms each on a quiet two-core machine), so no slice holds the startup gate's /health
 * for long. Only the order of loading depends on this list: a module left off loads with app.ts.
 */
const SERVICE_SLICES: readonly (() => Promise<unknown>)[] = [
  () => import('fastify'),
  () => import('./plugins/devices.ts'),
  () => import('./plugins/cards.ts'),
  () => import('./plugins/verification.ts'),
  () => import('./app.ts'),
  () => import('./compose/central.ts'),
  () => import('./compose/cards.ts'),
];

/** How long shutdown may take before the process exits anyway, ms. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** The same signal again within this many ms is one delivery seen twice, not a second request. */
const DUPLICATE_SIGNAL_MS = 1000;

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** A listen failure as the station's typed error, naming the address and the setting to change. */
function listenError(error: unknown, host: string, port: number, file: string | undefined): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const setting = `server.port in ${file ?? 'a configuration file (STATION_CONFIG or station.config.json)'}`;
  if (code === 'EADDRINUSE')
    return new ListenError(
      'PORT_IN_USE',
      host,
      port,
      `Port ${port} on ${host} is already in use (is another station running?). Stop the other program, or set ${setting}.`,
      { cause: error },
    );
  if (code === 'EACCES')
    return new ListenError(
      'PORT_NOT_PERMITTED',
      host,
      port,
      `Port ${port} on ${host} needs privileges this user does not have. Choose a port above 1023 in ${setting}.`,
      { cause: error },
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new ListenError(
      'ADDRESS_NOT_AVAILABLE',
      host,
      port,
      `${host} is not an address of this machine. Set server.host to one of its addresses (127.0.0.1 for this machine only).`,
      { cause: error },
    );
  return error;
}

/**
 * The TLS server credential of `server.tls`, read and checked before the port is bound.
 * @throws {ConfigError} CONFIG_INVALID naming the file that cannot be read, or the pair that does not
 *   make a credential (not PEM, a key that is not the certificate's).
 */
function serverTls(
  config: StationConfig,
  file: string | undefined,
): { cert: Uint8Array; key: Uint8Array } | undefined {
  const files = config.server.tls;
  if (files === undefined) return undefined;
  const read = (which: 'certFile' | 'keyFile'): Buffer => {
    try {
      return readFileSync(files[which]);
    } catch (error) {
      throw new ConfigError(
        'CONFIG_INVALID',
        file,
        [
          {
            key: `/server/tls/${which}`,
            message: `${files[which]} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
          },
        ],
        { cause: error },
      );
    }
  };
  const cert = read('certFile');
  const key = read('keyFile');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      [
        {
          key: '/server/tls',
          message: `the certificate and key do not make a TLS credential: ${error instanceof Error ? error.message : String(error)} (PEM files; the key must be the certificate's)`,
        },
      ],
      { cause: error },
    );
  }
  return { cert, key };
}

/**
 * Starts the station; resolves once the service answers on its socket (it listens, answering as a
 * starting station, from just after the configuration is read). Installs signal handlers that exit
 * the process. The returned app is not listening itself (`app.server` is unused): the startup gate's
 * server carries its requests.
 * @throws {ListenError} PORT_IN_USE, PORT_NOT_PERMITTED or ADDRESS_NOT_AVAILABLE before anything starts;
 *   {ConfigError} for the configuration; whatever composing or building the station throws.
 */
export async function runStation(options: RunOptions = {}): Promise<FastifyInstance> {
  const { config, file } = loadConfig(options.env ?? process.env, options.cwd ?? process.cwd());
  const tls = serverTls(config, file);
  let gate: StartupGate;
  try {
    gate = await openStartupGate(config.server.host, config.server.port, {
      version: STATION_VERSION,
      environment: config.environment,
      stationId: config.stationId,
      ...(tls === undefined ? {} : { tls }),
      // The names station/auth answers to, so the starting station is not readable from elsewhere.
      allowedHosts: ['localhost', '127.0.0.1', '::1', config.server.host, ...config.auth.allowedHosts]
        .map((name) => name.toLowerCase().replace(/^\[(.*)\]$/, '$1'))
        .filter((name) => name !== '0.0.0.0' && name !== '::' && name !== ''),
    });
  } catch (error) {
    throw listenError(error, config.server.host, config.server.port, file);
  }
  let app: FastifyInstance;
  let deps: StationDeps;
  // The embedded central (a child process that takes a second to load and listen) starts first, so
  // its start runs beside the service's own; composition takes it over (and stops it on failure).
  let embeddedCentral: EarlyCentral | undefined;
  let centralHandedOver = false;
  try {
    embeddedCentral = (await import('./compose/early-central.ts')).startEmbeddedCentral(config);
    // The service's module graph (fastify, every route, the simulators) loads after the socket is
    // bound. Each import evaluates its new modules in one synchronous run, so it loads in slices with
    // a turn of the event loop between them, and the gate answers /health meanwhile.
    for (const slice of SERVICE_SLICES) {
      await slice();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const [{ buildStation }, { composeStation }] = await Promise.all([
      import('./app.ts'),
      import('./compose/embedded.ts'),
    ]);
    gate.advance('composing');
    centralHandedOver = true;
    deps = await composeStation(config, {
      clock: systemClock,
      ...(embeddedCentral === undefined ? {} : { embeddedCentral }),
    });
    gate.advance('opening-devices');
    try {
      app = await buildStation(deps);
      await app.ready();
    } catch (error) {
      // Composition opens the devices early: close them as well as the other resources.
      await Promise.allSettled([
        ...deps.devices.map((device) => device.close()),
        ...(deps.resources ?? []).map((r) => r.close()),
      ]);
      throw error;
    }
  } catch (error) {
    if (!centralHandedOver)
      await embeddedCentral?.then(
        (central) => central.stop(),
        () => undefined,
      );
    await gate.close();
    throw error;
  }
  // The service answers on the gate's socket from now on; fastify's own server never listens.
  gate.handOver(app.routing, app.server);
  gate.advance('ready');
  const { auth } = deps;
  // The dummy hash an unknown account is checked against: made now (one scrypt run off the loop), so
  // the first login for an unknown name takes no longer than one for a known name.
  auth?.warm().catch((error: unknown) => app.log.error({ err: error }, 'auth warm-up failed'));
  // Warm the hot-path workers now, so the officer's first capture does not wait for them.
  deps.hotpath
    ?.ready()
    .catch((error: unknown) => app.log.error({ err: error }, 'hot-path workers did not start'));
  const address = gate.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.server.port;
  const url = `${tls === undefined ? 'http' : 'https'}://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`;
  app.log.info(
    {
      url,
      environment: config.environment,
      config: file ?? '(defaults)',
      dataDir: config.dataDir,
      // Where the start's time went: loading the modules, composing, building and opening devices.
      startup: gate.stage().done,
    },
    `Station ready at ${url} (${config.environment})`,
  );

  let stopping: { signal: NodeJS.Signals; at: number } | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Ctrl-C under npm arrives twice: once to the process group, once forwarded by npm. The same
      // signal again within a second is that echo; a later one is someone insisting.
      if (signal === stopping.signal && performance.now() - stopping.at < DUPLICATE_SIGNAL_MS) return;
      app.log.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    stopping = { signal, at: performance.now() };
    app.log.info({ signal }, 'stopping: draining requests and closing devices');
    const timer = setTimeout(() => {
      app.log.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms: exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    // Stop accepting and let requests in flight finish (idle keep-alive connections close now),
    // then close the service: devices, workers, the embedded central.
    gate
      .close()
      .then(() => app.close())
      .then(
        () => {
          app.log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return app;
}
