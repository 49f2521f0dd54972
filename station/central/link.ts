/**
 * The station's view of the central card-production service. For now: reachability, which /health
 * reports and the uploader will gate on. Results are cached briefly so a busy /health does not flood
 * the service.
 */
import { request as httpsRequest } from 'node:https';
import type { Clock } from '../clock.ts';

/** Mutual-TLS material for the connection to central: its pinned CA, the station's certificate and key. */
export interface CentralTls {
  /** PEM of the CA that issued central's server certificate: the only CA trusted. */
  readonly ca: string;
  /** The station's client certificate chain, PEM. */
  readonly cert: string;
  /** The station's private key, PEM. */
  readonly key: string;
}

export interface CentralReachability {
  readonly url: string;
  readonly mode: 'embedded' | 'remote';
  readonly reachable: boolean;
  /** Round trip of the probe, ms (only when reachable). */
  readonly latencyMs?: number;
  /** The environment the service says it serves; a mismatch makes it unusable. */
  readonly environment?: string;
  /** Why it is not reachable or not usable. */
  readonly problem?: string;
  /** ISO 8601 time of the probe. */
  readonly checkedAt: string;
}

export interface CentralLink {
  readonly url: string;
  /** Probes the service; never rejects (an unreachable service is a result, not an error). */
  reachability(): Promise<CentralReachability>;
}

export interface HttpCentralLinkOptions {
  readonly url: string;
  readonly mode: 'embedded' | 'remote';
  /** The station's own environment; a service of the other environment counts as unusable. */
  readonly environment: 'test' | 'production';
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** How long a probe result is reused, ms. */
  readonly cacheMs?: number;
  readonly fetch?: typeof fetch;
  /** Mutual TLS for an https:// central (the probe then uses node:https, not fetch). */
  readonly tls?: CentralTls;
}

/** GET over https with mutual TLS, as a minimal fetch-like answer. */
function tlsGet(
  url: string,
  tls: CentralTls,
  timeoutMs: number,
): Promise<{ ok: boolean; status: number; json(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'GET', ca: tls.ca, cert: tls.cert, key: tls.key, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // A health answer is small; anything bigger is not central.
          if (size > 64 * 1024) req.destroy(new Error('health answer over 64 KiB'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve({
            ok: status >= 200 && status < 300,
            status,
            json: async () => JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      req.destroy(error);
    });
    req.on('error', reject);
    req.end();
  });
}

export class HttpCentralLink implements CentralLink {
  readonly url: string;
  readonly #options: HttpCentralLinkOptions;
  #cached: { at: number; value: CentralReachability } | undefined;
  #inflight: Promise<CentralReachability> | undefined;

  constructor(options: HttpCentralLinkOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#options = options;
  }

  async reachability(): Promise<CentralReachability> {
    const { clock, cacheMs = 2000 } = this.#options;
    const cached = this.#cached;
    if (cached && clock.monotonic() - cached.at < cacheMs) return cached.value;
    this.#inflight ??= this.#probe().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #probe(): Promise<CentralReachability> {
    const { clock, timeoutMs, mode, environment } = this.#options;
    const doFetch = this.#options.fetch ?? fetch;
    const started = clock.monotonic();
    const base = { url: this.url, mode, checkedAt: new Date(clock.now()).toISOString() };
    let value: CentralReachability;
    try {
      const tls = this.#options.tls;
      const response =
        tls === undefined
          ? await doFetch(`${this.url}/v1/health`, { signal: AbortSignal.timeout(timeoutMs) })
          : await tlsGet(`${this.url}/v1/health`, tls, timeoutMs);
      const latencyMs = Math.round((clock.monotonic() - started) * 10) / 10;
      const body: unknown = response.ok ? await response.json() : undefined;
      const served =
        typeof body === 'object' && body !== null && 'environment' in body
          ? String(body.environment)
          : undefined;
      if (!response.ok) {
        value = { ...base, reachable: false, problem: `health probe answered HTTP ${response.status}` };
      } else if (served !== environment) {
        value = {
          ...base,
          reachable: false,
          latencyMs,
          ...(served === undefined ? {} : { environment: served }),
          problem: `the service serves environment "${served ?? 'unknown'}", this station is "${environment}"`,
        };
      } else {
        value = { ...base, reachable: true, latencyMs, environment: served };
      }
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : `cannot connect (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`;
      value = { ...base, reachable: false, problem: reason };
    }
    this.#cached = { at: clock.monotonic(), value };
    return value;
  }
}
