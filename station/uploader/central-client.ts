/**
 * The station's side of the central contract (protocol/central/CONTRACT.md) for one packet: ask for
 * its statement, upload it with tus 1.0.0 (tus-js-client) over mutual TLS, resume a stored upload,
 * and bring back central's signed statement bytes (a receipt or a refusal). It does not judge the
 * statement: the uploader verifies it against the pinned keys. Every outcome that is not a
 * statement is an `UploadProblemError` (problems.ts), classified for the officer.
 */
import * as tus from 'tus-js-client';
import { base64UrlDecode, STATEMENT_MAX_LENGTH } from '../../protocol/central/statement.ts';
import { failpoint } from '../failpoints.ts';
import { centralCodeOf, classifyAnswer, classifyError, problem, UploadProblemError } from './problems.ts';
import type { CentralTransport, TransportAnswer } from './transport.ts';

/** What the uploader needs from central (a fake stands in for it in tests). */
export interface CentralPort {
  /**
   * Central's statement for a packet, or 'none' when central holds neither a receipt nor a
   * refusal for it. Rejects with UploadProblemError for anything else.
   */
  statement(packetId: string, signal?: AbortSignal): Promise<Uint8Array | 'none'>;
  /** Uploads (or resumes) a packet and resolves with central's statement bytes. */
  upload(packet: UploadPacket, options: UploadOptions): Promise<UploadOutcome>;
  /** `GET /v1/health`: the environment central serves. Rejects with UploadProblemError. */
  health(signal?: AbortSignal): Promise<{ readonly environment: string }>;
}

export interface UploadPacket {
  readonly packetId: string;
  /** Lowercase hex SHA-256 of `bytes` (the outbox entry's digest). */
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

export interface UploadOptions {
  /**
   * The stored upload URL to resume, when there is one: a path (`/v1/uploads/<id>`, resolved
   * against central's current URL, so a central that moved port is still found) or an absolute URL.
   */
  readonly resumeUrl?: string | undefined;
  /**
   * Called with a new upload's URL before any byte is sent; resolve only once it is durable. It is
   * the path alone when the upload lives on central's own origin (the usual case), else absolute.
   */
  readonly onUrl: (url: string) => Promise<void>;
  /** Called when the stored URL is no longer usable (gone at central, or its bytes were refused). */
  readonly onUrlGone: () => Promise<void>;
  readonly onProgress?: (bytesSent: number, bytesTotal: number) => void;
  readonly signal?: AbortSignal;
}

/** How the statement came back (for logs and tests; the uploader treats them alike). */
export type StatementSource = 'commit' | 'already-committed' | 'refused' | 'receipt-query';

export interface UploadOutcome {
  readonly statement: Uint8Array;
  readonly source: StatementSource;
}

export interface CentralClientOptions {
  /** Central's base URL, https (e.g. `https://central.example:8443`). */
  readonly url: string;
  readonly transport: CentralTransport;
  /** Bytes per PATCH. Default: the whole packet in one PATCH. */
  readonly chunkSize?: number;
}

const STATEMENT_HEADER = 'central-statement';
const utf8 = new TextEncoder();

/** The body of an answer, as statement bytes, when it can be one (size and JWS shape only). */
function statementBody(answer: TransportAnswer): Uint8Array | undefined {
  const body = answer.body;
  if (body.length === 0 || body.length > STATEMENT_MAX_LENGTH) return undefined;
  // A compact JWS is three base64url parts; anything else (JSON, HTML) is not a statement.
  const text = new TextDecoder('latin1').decode(body).trim();
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text) ? utf8.encode(text) : undefined;
}

function answerOf(error: unknown): TransportAnswer | undefined {
  if (error instanceof tus.DetailedError && error.originalResponse) {
    const underlying: unknown = error.originalResponse.getUnderlyingObject();
    if (underlying && typeof underlying === 'object' && 'body' in underlying)
      return underlying as TransportAnswer;
  }
  return undefined;
}

function causeOf(error: unknown): unknown {
  return error instanceof tus.DetailedError ? (error.causingError ?? error) : error;
}

function problemError(error: unknown): UploadProblemError {
  if (error instanceof UploadProblemError) return error;
  return new UploadProblemError(classifyError(error), { cause: error });
}

/** The tus steps' outcome before interpretation. */
type TusResult =
  | { readonly kind: 'success'; readonly last: TransportAnswer | undefined }
  | { readonly kind: 'answer'; readonly method: string; readonly answer: TransportAnswer }
  | { readonly kind: 'error'; readonly error: unknown }
  /** The station's own failure (the URL could not be stored): passed on unchanged. */
  | { readonly kind: 'local'; readonly error: unknown };

export class CentralClient implements CentralPort {
  readonly #base: string;
  readonly #transport: CentralTransport;
  readonly #chunkSize: number;

  /** Throws TypeError for a URL that is not https or a chunk size below 1 byte. */
  constructor(options: CentralClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'https:')
      throw new TypeError(`central is reached over https only, not ${options.url}`);
    this.#base = options.url.replace(/\/+$/, '');
    this.#transport = options.transport;
    const chunk = options.chunkSize ?? Number.POSITIVE_INFINITY;
    if (!(chunk >= 1)) throw new TypeError(`chunkSize ${chunk} must be at least 1 byte`);
    this.#chunkSize = chunk;
  }

  async health(signal?: AbortSignal): Promise<{ readonly environment: string }> {
    let answer: TransportAnswer;
    try {
      answer = await this.#transport.request('GET', `${this.#base}/v1/health`, {
        headers: { accept: 'application/json' },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw problemError(error);
    }
    if (answer.status === 200) {
      try {
        const body = JSON.parse(new TextDecoder().decode(answer.body)) as { environment?: unknown };
        if (typeof body.environment === 'string') return { environment: body.environment };
      } catch {
        // not JSON: a portal's page; classified below
      }
    }
    throw new UploadProblemError(classifyAnswer(answer, 'GET /v1/health'));
  }

  async statement(packetId: string, signal?: AbortSignal): Promise<Uint8Array | 'none'> {
    let answer: TransportAnswer;
    try {
      answer = await this.#transport.request(
        'GET',
        `${this.#base}/v1/packets/${encodeURIComponent(packetId)}/receipt`,
        { headers: { accept: 'application/jose' }, ...(signal ? { signal } : {}) },
      );
    } catch (error) {
      throw problemError(error);
    }
    if (answer.status === 200) {
      const bytes = statementBody(answer);
      if (bytes) return bytes;
    }
    // Only central's own words mean "none": a proxy's 404 is not an answer about the packet.
    if (answer.status === 404 && centralCodeOf(answer) === 'CENTRAL_UNKNOWN_PACKET') return 'none';
    throw new UploadProblemError(classifyAnswer(answer, `GET receipt of ${packetId}`));
  }

  async upload(packet: UploadPacket, options: UploadOptions): Promise<UploadOutcome> {
    const { signal } = options;
    let resumeUrl = options.resumeUrl === undefined ? undefined : this.#absolute(options.resumeUrl);
    if (options.resumeUrl !== undefined && resumeUrl === undefined) {
      // A stored URL that cannot be used (not https): forget it, ask, then create.
      await options.onUrlGone();
      const held = await this.statement(packet.packetId, signal);
      if (held !== 'none') return { statement: held, source: 'receipt-query' };
    }
    if (resumeUrl !== undefined) {
      const result = await this.#runTus(packet, options, resumeUrl);
      // The stored upload is gone (expired, or central restarted without it): forget it, and ask
      // for a statement before creating another (CONTRACT.md: before creating any new upload).
      if (
        result.kind === 'answer' &&
        (result.answer.status === 404 || result.answer.status === 410) &&
        isTus(result.answer)
      ) {
        await options.onUrlGone();
        resumeUrl = undefined;
        const held = await this.statement(packet.packetId, signal);
        if (held !== 'none') return { statement: held, source: 'receipt-query' };
      } else {
        return this.#interpret(packet, options, result);
      }
    }
    return this.#interpret(packet, options, await this.#runTus(packet, options, undefined));
  }

  async #interpret(packet: UploadPacket, options: UploadOptions, result: TusResult): Promise<UploadOutcome> {
    if (result.kind === 'local') throw result.error;
    if (result.kind === 'error') throw problemError(causeOf(result.error));
    if (result.kind === 'success') {
      const header = result.last?.header(STATEMENT_HEADER);
      const decoded = header ? base64UrlDecode(header.trim()) : undefined;
      if (decoded && decoded.length > 0 && decoded.length <= STATEMENT_MAX_LENGTH)
        return { statement: decoded, source: 'commit' };
      // Success without a statement: tus saw all bytes there (a HEAD after a commit whose answer
      // was lost), or the answer lacked the header. Ask for it.
      const held = await this.statement(packet.packetId, options.signal);
      if (held !== 'none') return { statement: held, source: 'receipt-query' };
      // All bytes are there and central holds no statement: the upload was never committed (central
      // stopped between its last write and its commit). Resuming it would only find it complete
      // again, forever; forget it, so the next try asks for the receipt and then uploads anew.
      await options.onUrlGone();
      throw new UploadProblemError(
        problem(
          'UPLOAD_NO_STATEMENT',
          `all ${packet.bytes.length} bytes of ${packet.packetId} are at central, no statement`,
        ),
      );
    }
    const { answer, method } = result;
    if (method === 'POST' && answer.status === 409) {
      const bytes = statementBody(answer);
      if (bytes) return { statement: bytes, source: 'already-committed' };
      if (centralCodeOf(answer) === 'CENTRAL_ALREADY_COMMITTED') {
        const held = await this.statement(packet.packetId, options.signal);
        if (held !== 'none') return { statement: held, source: 'receipt-query' };
      }
    }
    if (method === 'PATCH' && answer.status === 422) {
      const bytes = statementBody(answer);
      if (bytes) return { statement: bytes, source: 'refused' };
    }
    const classified = classifyAnswer(answer, `${method} ${packet.packetId}`);
    // Central could not match the bytes to their digest: the next try starts a new upload.
    if (classified.code === 'CENTRAL_DIGEST_MISMATCH') await options.onUrlGone();
    throw new UploadProblemError(classified);
  }

  /** The stored form of an upload URL: its path when it is on central's origin. */
  #storable(url: string): string {
    const parsed = new URL(url);
    return parsed.origin === new URL(this.#base).origin ? `${parsed.pathname}${parsed.search}` : url;
  }

  /** A stored URL resolved against central's URL; undefined when it is not an https URL. */
  #absolute(stored: string): string | undefined {
    try {
      const url = new URL(stored, `${this.#base}/`);
      return url.protocol === 'https:' ? url.toString() : undefined;
    } catch {
      return undefined;
    }
  }

  /** Runs tus-js-client once (no retries of its own: the uploader owns backoff). */
  #runTus(packet: UploadPacket, options: UploadOptions, resumeUrl: string | undefined): Promise<TusResult> {
    const { signal } = options;
    const size = packet.bytes.length;
    const chunkSize = this.#chunkSize;
    const file = Buffer.from(packet.bytes.buffer, packet.bytes.byteOffset, packet.bytes.byteLength);
    return new Promise<TusResult>((resolve) => {
      if (signal?.aborted) {
        resolve({ kind: 'error', error: signal.reason });
        return;
      }
      let urlStored = false;
      const urlStorage: tus.UrlStorage = {
        findAllUploads: async () => [],
        findUploadsByFingerprint: async () => [],
        removeUpload: async () => {},
        // tus-js-client awaits this after creation and before the first PATCH: the URL is durable
        // in the outbox before any byte leaves (tus's Node URL storage keeps nothing).
        addUpload: async (_fingerprint, previous) => {
          const url = previous.uploadUrl;
          if (url && url !== resumeUrl && !urlStored) {
            failpoint('uploader.after-create');
            try {
              await options.onUrl(this.#storable(url));
            } catch (error) {
              // Not stored, so no byte may go: stop here (tus-js-client would otherwise never settle).
              signal?.removeEventListener('abort', onAbort);
              void upload.abort();
              resolve({ kind: 'local', error });
              return `cccd-${packet.packetId}`;
            }
            urlStored = true;
          }
          return `cccd-${packet.packetId}`;
        },
      };
      const onAbort = () => {
        void upload.abort();
        resolve({ kind: 'error', error: signal?.reason });
      };
      const upload = new tus.Upload(file, {
        endpoint: resumeUrl === undefined ? `${this.#base}/v1/uploads` : null,
        uploadUrl: resumeUrl ?? null,
        uploadSize: size,
        metadata: { packetId: packet.packetId, sha256: packet.sha256 },
        chunkSize,
        retryDelays: null,
        httpStack: this.#transport.httpStack(signal),
        urlStorage,
        fingerprint: async () => `cccd-${packet.packetId}`,
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: false,
        onProgress: (sent, total) => options.onProgress?.(sent, total),
        onAfterResponse: (req) => {
          if (req.getMethod() !== 'PATCH') return;
          const offset = Number(req.getHeader('Upload-Offset'));
          // The last PATCH's answer has arrived and is not yet read: a crash here is the
          // commit-then-drop case (central holds the packet, the station never saw the receipt).
          if (offset + chunkSize >= size) failpoint('uploader.after-commit-before-receipt');
        },
        onSuccess: ({ lastResponse }) => {
          signal?.removeEventListener('abort', onAbort);
          resolve({ kind: 'success', last: underlying(lastResponse) });
        },
        onError: (error) => {
          signal?.removeEventListener('abort', onAbort);
          const answer = answerOf(error);
          const method = error instanceof tus.DetailedError ? error.originalRequest?.getMethod() : undefined;
          if (answer && method) resolve({ kind: 'answer', method, answer });
          else resolve({ kind: 'error', error });
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      upload.start();
    });
  }
}

function underlying(response: tus.HttpResponse | undefined): TransportAnswer | undefined {
  const value: unknown = response?.getUnderlyingObject();
  return value && typeof value === 'object' && 'body' in value ? (value as TransportAnswer) : undefined;
}

/** The answer is a tus server's (it names the protocol), not a proxy's. */
function isTus(answer: TransportAnswer): boolean {
  return answer.header('tus-resumable') !== undefined;
}
