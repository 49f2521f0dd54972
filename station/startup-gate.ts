/**
 * The station's socket from the first moments of `npm start` (issue 21, part 9). It listens before the
 * service's module graph loads and before devices, the embedded central and the workers start, so a
 * monitor or the officer's screen gets an answer at once instead of "connection refused":
 *
 * - `GET /health` answers 200 with `status: "starting"`, the stage the start is in and the stages
 *   done with their times; it never claims a device or central is ready before the real /health can.
 * - Every other request answers 503 `STATION_STARTING` with `Retry-After`, at once: nothing waits on
 *   a start that may still fail.
 *
 * - A Host the station does not answer to gets 421 AUTH_HOST_NOT_ALLOWED, as from the service
 *   (station/auth): a page on another name cannot read even the starting station (DNS rebinding).
 *
 * When the service is built, `handOver` routes every later request on the same socket to it (the
 * port is never released in between). Only Node's http here: this module loads before the rest.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { AuthError } from './auth/errors.ts';

/** The stages of a start, in order; `ready` once the service answers. */
export type StartupStage = 'loading' | 'composing' | 'opening-devices' | 'ready';

/** What the service answers with once built: Node's request listener (fastify's `routing`). */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface StartupGateOptions {
  readonly version: string;
  readonly environment: string;
  readonly stationId: string;
  /**
   * Host names (lowercased, no port) the station answers to: loopback, server.host and
   * auth.allowedHosts, as station/auth checks them. Absent: every Host is answered.
   */
  readonly allowedHosts?: readonly string[];
  /** Monotonic ms (performance.now()); injected for tests. */
  readonly monotonic?: () => number;
  /** Serve HTTPS with this certificate chain and key (PEM); absent: plain HTTP. */
  readonly tls?: { readonly cert: Uint8Array; readonly key: Uint8Array };
}

/** The name of a Host header (`[::1]:8080` → `::1`), lowercased; undefined when malformed. */
function hostNameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '' || header.length > 300) return undefined;
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::[0-9]{1,5})?$/.exec(header.toLowerCase());
  return match?.[1] ?? match?.[2];
}

/** Seconds a client is told to wait before asking again while the station starts. */
const RETRY_AFTER_S = 1;

export const STARTING_MESSAGE = {
  vi: 'Trạm đang khởi động (thiết bị và dịch vụ trung tâm chưa sẵn sàng). Vui lòng thử lại sau vài giây.',
  en: 'The station is starting (devices and the central service are not ready yet). Try again in a few seconds.',
} as const;

export interface StartupGate {
  readonly server: Server;
  /** The stage now, and each stage done with its duration (ms). */
  stage(): { readonly current: StartupStage; readonly done: readonly { name: StartupStage; ms: number }[] };
  /** Marks the end of the current stage and the start of `next`. */
  advance(next: StartupStage): void;
  /**
   * Routes every later request to `listener`, and takes over the service's server settings (timeouts,
   * `clientError`/`upgrade` handlers) from `settingsFrom`, the server the service would have listened on.
   */
  handOver(listener: RequestListener, settingsFrom: Server): void;
  /** Stops accepting connections; resolves once the open ones have ended (idle ones are closed now). */
  close(): Promise<void>;
}

/**
 * Listens on host:port and answers as a starting station until `handOver`.
 * @throws the listen error from Node (EADDRINUSE, EACCES, EADDRNOTAVAIL); the caller maps it to the
 *   station's ListenError.
 */
export async function openStartupGate(
  host: string,
  port: number,
  options: StartupGateOptions,
): Promise<StartupGate> {
  const monotonic = options.monotonic ?? (() => performance.now());
  const startedAt = monotonic();
  let current: StartupStage = 'loading';
  let stageStartedAt = startedAt;
  const done: { name: StartupStage; ms: number }[] = [];
  let service: RequestListener | undefined;

  const allowed =
    options.allowedHosts === undefined
      ? undefined
      : new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  const starting: RequestListener = (request, response) => {
    // Nothing is read from a request answered here; let its body drain so the socket stays usable.
    request.resume();
    const host = hostNameOf(request.headers.host);
    if (allowed !== undefined && (host === undefined || !allowed.has(host))) {
      const refusal = new AuthError(
        'AUTH_HOST_NOT_ALLOWED',
        `the Host ${JSON.stringify(request.headers.host ?? '')} is not one this station answers to`,
      );
      const text = JSON.stringify(refusal.toJSON());
      response.writeHead(refusal.statusCode, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      response.end(text);
      return;
    }
    const isHealth = request.method === 'GET' && (request.url ?? '').split('?')[0] === '/health';
    const body = isHealth
      ? {
          status: 'starting',
          version: options.version,
          runtime: { node: process.versions.node, v8: process.versions.v8, abi: process.versions.modules },
          environment: options.environment,
          stationId: options.stationId,
          uptimeMs: Math.round(monotonic() - startedAt),
          startup: { stage: current, done: [...done] },
        }
      : { error: { code: 'STATION_STARTING', message: STARTING_MESSAGE, stage: current } };
    const text = JSON.stringify(body);
    response.writeHead(isHealth ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(isHealth ? {} : { 'retry-after': String(RETRY_AFTER_S) }),
    });
    response.end(text);
  };

  let closing = false;
  /** Live event streams (EventSource asks with Accept: text/event-stream): they never end by themselves. */
  const streams = new Set<ServerResponse>();
  const handle: RequestListener = (request, response) => {
    if (!closing && (request.headers.accept ?? '').includes('text/event-stream')) {
      streams.add(response);
      response.once('close', () => streams.delete(response));
    }
    if (closing) {
      // Asked on a kept-alive connection during shutdown: answered, and that connection ends.
      response.shouldKeepAlive = false;
    } else {
      // A request in flight when shutdown begins leaves its connection idle when answered; close it
      // then, or the drain would wait for the keep-alive timeout.
      response.once('finish', () => {
        if (closing) setImmediate(() => server.closeIdleConnections());
      });
    }
    (service ?? starting)(request, response);
  };
  // https.Server is an http.Server over TLS: every setting and method used here is the same.
  const server: Server =
    options.tls === undefined
      ? createServer(handle)
      : (createTlsServer(
          { cert: Buffer.from(options.tls.cert), key: Buffer.from(options.tls.key) },
          handle,
        ) as unknown as Server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    server,
    stage: () => ({ current, done: [...done] }),
    advance: (next) => {
      const now = monotonic();
      done.push({ name: current, ms: Math.round(now - stageStartedAt) });
      current = next;
      stageStartedAt = now;
    },
    handOver: (listener, settingsFrom) => {
      server.keepAliveTimeout = settingsFrom.keepAliveTimeout;
      server.headersTimeout = settingsFrom.headersTimeout;
      server.requestTimeout = settingsFrom.requestTimeout;
      server.timeout = settingsFrom.timeout;
      server.maxRequestsPerSocket = settingsFrom.maxRequestsPerSocket;
      for (const event of ['clientError', 'upgrade', 'checkContinue'] as const) {
        for (const handler of settingsFrom.listeners(event)) server.on(event, handler as () => void);
      }
      service = listener;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        // The drain waits for requests in flight, and an open event stream would hold it until the
        // grace period ran out (leaving the embedded central behind): streams end now, and the
        // browser's EventSource connects again to the next start.
        for (const stream of streams) stream.end();
      }),
  };
}
