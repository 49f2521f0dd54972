/**
 * Where the client commands (`health`, `scanner …`, `sim …`) find a running station: the same place
 * `npm start` listens, so a tester who changed `server.port` in the configuration file does not also
 * have to pass `--url` to every command.
 *
 * Precedence: `--url`, then `STATION_URL`, then the configuration file that `npm start` would read
 * (`STATION_CONFIG`, else `station.config.json` in the working directory, else the one in the
 * checkout, where `npm start` runs whatever directory it is typed in), then the defaults.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKOUT_URL } from '../../drivers/runtime-url.ts';
import { CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { UsageError } from './command.ts';

export const STATION_URL_ENV_VAR = 'STATION_URL';

/** The checkout this CLI runs from: npm runs `npm start` there, so its config file is read there. */
const CHECKOUT = path.resolve(fileURLToPath(CHECKOUT_URL));

/** Where the station was found, and which setting said so (for "cannot reach" messages). */
export interface StationUrl {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly base: string;
  /** `--url`, `STATION_URL`, `configuration file <path>` or `defaults`. */
  readonly source: string;
}

/**
 * Normalises what a person types for a station's address: `127.0.0.1:8080`, `localhost:8080/`,
 * `http://host:8080///` all name `http://host:8080`.
 * @throws {UsageError} when the text is not an http(s) URL with a host, or carries a query or fragment.
 */
export function normaliseStationUrl(text: string, source: string): string {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`${source} '${text}' is not a URL; expected e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${source} '${text}' must be an http:// or https:// URL`);
  if (url.hostname === '') throw new UsageError(`${source} '${text}' names no host`);
  if (url.search !== '' || url.hash !== '')
    throw new UsageError(`${source} '${text}' must not carry a query or fragment`);
  const pathname = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${pathname}`;
}

/** A wildcard listen address is not an address to connect to: use loopback of the same family. */
function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Resolves the station's base URL for a client command.
 * @throws {UsageError} for a malformed `--url` or `STATION_URL`, or a configuration file that cannot
 *   be read (naming the file and the fix).
 */
export function resolveStationUrl(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  checkout: string = CHECKOUT,
): StationUrl {
  if (option !== undefined) return { base: normaliseStationUrl(option, '--url'), source: '--url' };
  const fromEnv = env[STATION_URL_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '')
    return { base: normaliseStationUrl(fromEnv, STATION_URL_ENV_VAR), source: STATION_URL_ENV_VAR };
  const fromCheckout =
    (env[CONFIG_ENV_VAR] ?? '') === '' &&
    !existsSync(path.join(cwd, DEFAULT_CONFIG_FILE)) &&
    existsSync(path.join(checkout, DEFAULT_CONFIG_FILE));
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(env, fromCheckout ? checkout : cwd);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(
      `cannot tell where the station listens: ${error.message}\nFix the file, or pass --url (or set ${STATION_URL_ENV_VAR}).`,
    );
  }
  const { host, port } = loaded.config.server;
  return {
    base: `http://${connectHost(host)}:${port}`,
    source: loaded.file === undefined ? 'defaults' : `configuration file ${loaded.file}`,
  };
}

/** The socket-level reason of a failed fetch (`ECONNREFUSED`, a timeout), without undici's wrapper. */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer within 10 s';
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return 'nothing is listening there (connection refused)';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
    return cause.message;
  }
  return error.message;
}

/** The message for a station that does not answer: where we looked, why, and what to do. */
export function unreachable(station: StationUrl, error: unknown): string {
  return `No station answers at ${station.base} (from ${station.source}): ${reason(error)}.
Start it with 'npm start' (or 'station start'), or point at another with --url or ${STATION_URL_ENV_VAR}.`;
}
