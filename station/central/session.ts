/**
 * The station's standing with central (issue 18): registration of its certificate, and central's
 * key-transport certificate (what packets are encrypted to), cached on disk so a mobile station that
 * connected once can seal packets for days without a network.
 *
 * `start()` tries at once and then again with capped backoff until it succeeds or the session is
 * closed; `ready` resolves at the first success (the uploader starts then). Nothing here blocks the
 * station from starting, listening or sealing offline.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../keys/key-file.ts';

/** What the session needs from the upload transport (station/uploader CentralTransport). */
export interface SessionTransport {
  request(
    method: string,
    url: string,
    options?: { readonly headers?: Readonly<Record<string, string>>; readonly body?: Uint8Array | null },
  ): Promise<{ readonly status: number; readonly body: Uint8Array }>;
}

export class CentralSessionError extends Error {
  override readonly name = 'CentralSessionError';
  readonly code: 'CENTRAL_CERTIFICATE_UNKNOWN' | 'CENTRAL_REGISTRATION_REFUSED';
  constructor(code: CentralSessionError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export interface CentralSessionOptions {
  readonly url: string;
  readonly transport: SessionTransport;
  /** The station's packet-signing certificate, PEM (sent at registration). */
  readonly certificatePem: string;
  /** Where the station caches central's key-transport certificate. */
  readonly cacheDir: string;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly log?: (message: string) => void;
}

const RECIPIENT_FILE = 'central-recipient.crt';

function pemToDer(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).raw);
}

export class CentralSession {
  readonly ready: Promise<void>;
  readonly #options: CentralSessionOptions;
  #resolveReady!: () => void;
  #recipient: Uint8Array | undefined;
  #registered = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #lastProblem: string | undefined;

  constructor(options: CentralSessionOptions) {
    this.#options = options;
    this.ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
  }

  /** Loads the cached recipient certificate, then registers and refreshes it in the background. */
  async start(): Promise<void> {
    try {
      const pem = await readFile(path.join(this.#options.cacheDir, RECIPIENT_FILE), 'utf8');
      this.#recipient = pemToDer(pem);
    } catch {
      // No cache yet: the first successful contact fills it.
    }
    void this.#attempt(0);
  }

  get registered(): boolean {
    return this.#registered;
  }

  get problem(): string | undefined {
    return this.#lastProblem;
  }

  /**
   * Central's key-transport certificate, DER.
   * @throws {CentralSessionError} CENTRAL_CERTIFICATE_UNKNOWN before the station ever reached central.
   */
  recipientCertificate(): Uint8Array {
    if (this.#recipient === undefined)
      throw new CentralSessionError(
        'CENTRAL_CERTIFICATE_UNKNOWN',
        'Trạm chưa từng kết nối tới trung tâm nên chưa có chứng thư mã hóa: hãy kết nối mạng một lần. / The station has never reached central, so it has no encryption certificate yet: connect it to the network once.',
      );
    return this.#recipient;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #attempt(failures: number): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#contact();
      this.#lastProblem = undefined;
      this.#resolveReady();
    } catch (error) {
      this.#lastProblem = error instanceof Error ? error.message : String(error);
      this.#options.log?.(`central not ready: ${this.#lastProblem}`);
      if (this.#closed) return;
      const { initialMs, maxMs } = this.#options.retry ?? { initialMs: 1000, maxMs: 60_000 };
      const cap = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 20));
      this.#timer = setTimeout(
        () => void this.#attempt(failures + 1),
        Math.max(initialMs, Math.random() * cap),
      );
      this.#timer.unref();
    }
  }

  async #contact(): Promise<void> {
    const { transport, url, certificatePem, cacheDir } = this.#options;
    if (!this.#registered) {
      const answer = await transport.request('POST', `${url}/v1/stations/register`, {
        headers: { 'content-type': 'application/json' },
        body: new TextEncoder().encode(JSON.stringify({ certificate: certificatePem })),
      });
      if (answer.status === 400)
        throw new CentralSessionError(
          'CENTRAL_REGISTRATION_REFUSED',
          `central refused the station's registration: ${new TextDecoder().decode(answer.body).slice(0, 300)}`,
        );
      if (answer.status !== 200) throw new Error(`registration answered HTTP ${answer.status}`);
      this.#registered = true;
    }
    const answer = await transport.request('GET', `${url}/v1/certificate`);
    if (answer.status !== 200) throw new Error(`GET /v1/certificate answered HTTP ${answer.status}`);
    const pem = new TextDecoder().decode(answer.body);
    const der = pemToDer(pem);
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(cacheDir, RECIPIENT_FILE), pem, { mode: 0o644, overwrite: true });
    this.#recipient = der;
  }
}
