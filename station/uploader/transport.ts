/**
 * HTTPS with mutual TLS to central, the one way the uploader talks to it: every request presents
 * the station certificate, trusts only the pinned CA (Node's `ca` option replaces the system
 * store), reads at most `maxResponseBytes` of an answer (a captive portal or a hostile proxy cannot
 * make the station buffer without bound), times out when the socket idles, stops on an
 * AbortSignal, and sends bodies through the shared bandwidth throttle.
 *
 * `httpStack()` exposes the same requests as tus-js-client's `HttpStack`, in place of its
 * `DefaultHttpStack` (which buffers any answer whole and cannot throttle): tus-js-client still runs
 * the protocol (creation, HEAD, PATCH, offsets).
 */
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import { type HttpAnswer, problem, UploadProblemError } from './problems.ts';
import { type Throttle, UNLIMITED } from './throttle.ts';

export interface MutualTls {
  /** The station's TLS private key (PEM). */
  readonly key: string | Uint8Array;
  /** The station's certificate (PEM), with its chain when central needs it. */
  readonly cert: string | Uint8Array;
  /** Central's TLS CA (PEM): the only trust anchor. */
  readonly ca: string | Uint8Array;
}

export interface TransportOptions {
  readonly tls: MutualTls;
  /** Socket idle time before a request fails with UPLOAD_TIMEOUT, ms. Default 30,000. */
  readonly timeoutMs?: number;
  /** Largest answer body read, bytes. Default 64 KiB (a statement is at most 16 KiB). */
  readonly maxResponseBytes?: number;
  /** Shared bandwidth limit for request bodies. Default none. */
  readonly throttle?: Throttle;
  /** Sockets kept per host (keep-alive). Default 4. */
  readonly maxSockets?: number;
}

export interface RequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | null;
  readonly signal?: AbortSignal;
  /** Bytes of the body written so far. */
  readonly onProgress?: (bytesSent: number) => void;
}

/** An answer with its headers as Node gave them. */
export interface TransportAnswer extends HttpAnswer {
  readonly headers: IncomingMessage['headers'];
}

/** Slice of a body written per throttle grant, bytes. */
const WRITE_SLICE = 16 * 1024;

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`no answer from central within ${ms} ms`), { code: 'UPLOAD_TIMEOUT' });
}

export class CentralTransport {
  readonly #tls: MutualTls;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #throttle: Throttle;
  readonly #agent: Agent;

  constructor(options: TransportOptions) {
    this.#tls = options.tls;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
    this.#throttle = options.throttle ?? UNLIMITED;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 4,
      key: toPemInput(options.tls.key),
      cert: toPemInput(options.tls.cert),
      ca: toPemInput(options.tls.ca),
    });
  }

  /**
   * One request. Resolves with any answer (every status); rejects with the socket's, TLS's or the
   * signal's error, `UPLOAD_TIMEOUT`, or an `UploadProblemError` UPLOAD_RESPONSE_TOO_LARGE.
   * Throws TypeError for a URL that is not https.
   */
  request(method: string, url: string, options: RequestOptions = {}): Promise<TransportAnswer> {
    const target = new URL(url);
    if (target.protocol !== 'https:') throw new TypeError(`central is reached over https only, not ${url}`);
    const { signal, body, onProgress } = options;
    return new Promise<TransportAnswer>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const headers: Record<string, string> = { ...options.headers };
      if (body) headers['content-length'] = String(body.length);
      const req = httpsRequest(target, {
        method,
        headers,
        agent: this.#agent,
        key: toPemInput(this.#tls.key),
        cert: toPemInput(this.#tls.cert),
        ca: toPemInput(this.#tls.ca),
      });
      let settled = false;
      const finish = (error: unknown, answer?: TransportAnswer) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (answer) resolve(answer);
        else reject(error);
      };
      const onAbort = () => {
        req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        finish(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.setTimeout(this.#timeoutMs, () => req.destroy(timeoutError(this.#timeoutMs)));
      req.on('error', (error) => finish(error));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length > this.#maxResponseBytes) {
            const tooLarge = new UploadProblemError(
              problem(
                'UPLOAD_RESPONSE_TOO_LARGE',
                `${method} ${target.pathname}: answer over ${this.#maxResponseBytes} bytes (HTTP ${res.statusCode})`,
                res.statusCode,
              ),
            );
            res.destroy();
            req.destroy();
            finish(tooLarge);
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => finish(error));
        res.on('close', () => {
          // Destroyed before its end (a cut mid-answer): no 'end' will come.
          if (!res.complete)
            finish(Object.assign(new Error('the answer was cut short'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          const bytes = new Uint8Array(Buffer.concat(chunks, length));
          finish(undefined, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            header: (name) => {
              const value = res.headers[name.toLowerCase()];
              return Array.isArray(value) ? value.join(', ') : value;
            },
            body: bytes,
          });
        });
      });
      if (!body || body.length === 0) {
        req.end();
        return;
      }
      this.#writeBody(req, body, signal, onProgress).then(
        () => req.end(),
        (error: unknown) => {
          req.destroy(error instanceof Error ? error : new Error(String(error)));
          finish(error);
        },
      );
    });
  }

  async #writeBody(
    req: ReturnType<typeof httpsRequest>,
    body: Uint8Array,
    signal: AbortSignal | undefined,
    onProgress: ((bytesSent: number) => void) | undefined,
  ): Promise<void> {
    let offset = 0;
    while (offset < body.length) {
      if (req.destroyed) return;
      const slice = body.subarray(offset, Math.min(body.length, offset + WRITE_SLICE));
      await this.#throttle.take(slice.length, signal);
      if (req.destroyed) return;
      offset += slice.length;
      const more = req.write(slice);
      onProgress?.(offset);
      if (!more) {
        await new Promise<void>((resolve) => {
          const done = () => {
            req.off('drain', done);
            req.off('close', done);
            resolve();
          };
          req.on('drain', done);
          req.on('close', done);
        });
      }
    }
  }

  /** tus-js-client's HttpStack over this transport; `signal` aborts every request it makes. */
  httpStack(signal?: AbortSignal): HttpStack {
    return {
      getName: () => 'CentralTransport',
      createRequest: (method, url) => new TusRequest(this, method, url, signal),
    };
  }

  /** Closes kept-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }
}

function toPemInput(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}

const latin1 = new TextDecoder('latin1');

class TusRequest implements HttpRequest {
  readonly #transport: CentralTransport;
  readonly #method: string;
  readonly #url: string;
  readonly #outer: AbortSignal | undefined;
  readonly #headers: Record<string, string> = {};
  readonly #controller = new AbortController();
  #progress: (bytesSent: number) => void = () => {};

  constructor(transport: CentralTransport, method: string, url: string, outer: AbortSignal | undefined) {
    this.#transport = transport;
    this.#method = method;
    this.#url = url;
    this.#outer = outer;
  }

  getMethod(): string {
    return this.#method;
  }

  getURL(): string {
    return this.#url;
  }

  setHeader(header: string, value: string): void {
    this.#headers[header] = value;
  }

  getHeader(header: string): string | undefined {
    return this.#headers[header];
  }

  setProgressHandler(handler: (bytesSent: number) => void): void {
    this.#progress = handler;
  }

  async send(body: unknown): Promise<HttpResponse> {
    if (body !== null && body !== undefined && !(body instanceof Uint8Array))
      throw new TypeError('the central transport sends Uint8Array bodies only');
    const signal = this.#outer
      ? AbortSignal.any([this.#outer, this.#controller.signal])
      : this.#controller.signal;
    const answer = await this.#transport.request(this.#method, this.#url, {
      headers: this.#headers,
      body: body ?? null,
      signal,
      onProgress: this.#progress,
    });
    return {
      getStatus: () => answer.status,
      getHeader: (name) => answer.header(name),
      getBody: () => latin1.decode(answer.body),
      getUnderlyingObject: () => answer,
    };
  }

  async abort(): Promise<void> {
    this.#controller.abort(new Error('upload aborted'));
  }

  getUnderlyingObject(): unknown {
    return undefined;
  }
}
