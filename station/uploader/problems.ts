/**
 * Why an upload did not end with a statement, in words the officer reads (Vietnamese first), and
 * which part of the path failed: the **link** (no answer from central at all, or an answer that is
 * not central's protocol: a captive portal's page, a proxy's error, a reset) or **central** (central
 * answered in its protocol and said no for now). A link problem puts the uploader offline and it
 * probes `GET /v1/health` until central answers again; a central problem backs off that one packet.
 * Neither ever dead-letters a packet: only a verified refusal does (CONTRACT.md).
 */

/** An officer-facing message, Vietnamese first. */
export interface OfficerMessage {
  readonly vi: string;
  readonly en: string;
}

export type UploadProblemCode =
  // The link: no usable answer from central.
  | 'UPLOAD_OFFLINE' // no route, refused, DNS
  | 'UPLOAD_CONNECTION_LOST' // reset, closed mid-request
  | 'UPLOAD_TIMEOUT'
  | 'UPLOAD_TLS_FAILED' // central's certificate is not from the pinned CA, or the handshake failed
  | 'UPLOAD_NOT_CENTRAL' // an HTML page (captive portal) or another server's answer
  | 'UPLOAD_PROXY_ERROR' // a 5xx that is not central's JSON (a proxy or gateway)
  | 'UPLOAD_RESPONSE_TOO_LARGE'
  | 'UPLOAD_WRONG_ENVIRONMENT' // central serves the other environment
  // Central answered in its protocol.
  | 'CENTRAL_CLIENT_CERTIFICATE_REQUIRED'
  | 'CENTRAL_STATION_NOT_REGISTERED'
  | 'CENTRAL_STORAGE_FULL'
  | 'CENTRAL_DIGEST_MISMATCH'
  | 'CENTRAL_PACKET_TOO_LARGE'
  | 'CENTRAL_METADATA_INVALID'
  | 'CENTRAL_SERVER_ERROR'
  | 'CENTRAL_UNEXPECTED_ANSWER'
  // The station's own checks.
  | 'UPLOAD_NO_STATEMENT' // all bytes are at central, it holds no statement (yet)
  | 'UPLOAD_STATEMENT_REJECTED'; // a statement that does not verify (signature, key, other packet)

export type ProblemScope = 'link' | 'central';

export interface UploadProblem {
  readonly code: UploadProblemCode;
  readonly scope: ProblemScope;
  readonly message: OfficerMessage;
  /** Technical detail for logs (never shown as the reason, never branched on). */
  readonly detail: string;
  /** HTTP status when central (or something in between) answered. */
  readonly status?: number;
}

const MESSAGES: Readonly<Record<UploadProblemCode, OfficerMessage>> = {
  UPLOAD_OFFLINE: {
    vi: 'Không kết nối được máy chủ trung tâm. Gói được giữ an toàn trên trạm và sẽ tự gửi khi có mạng.',
    en: 'Cannot reach the central service. Packets are kept safe on the station and sent when the network is back.',
  },
  UPLOAD_CONNECTION_LOST: {
    vi: 'Kết nối bị ngắt giữa chừng. Trạm sẽ gửi tiếp từ chỗ dừng.',
    en: 'The connection dropped mid-transfer. The station will resume where it stopped.',
  },
  UPLOAD_TIMEOUT: {
    vi: 'Máy chủ trung tâm không trả lời kịp. Trạm sẽ thử lại.',
    en: 'The central service did not answer in time. The station will try again.',
  },
  UPLOAD_TLS_FAILED: {
    vi: 'Không thiết lập được kết nối bảo mật với máy chủ trung tâm (chứng thư không hợp lệ). Hãy báo bộ phận kỹ thuật.',
    en: 'Could not set up a secure connection to the central service (certificate not trusted). Tell technical support.',
  },
  UPLOAD_NOT_CENTRAL: {
    vi: 'Mạng đang chuyển hướng sang trang khác (ví dụ trang đăng nhập Wi-Fi của khách sạn, bệnh viện). Hãy đăng nhập mạng hoặc dùng mạng khác.',
    en: 'The network is redirecting to another page (for example a hotel or hospital Wi-Fi login). Log in to the network or use another one.',
  },
  UPLOAD_PROXY_ERROR: {
    vi: 'Một máy chủ trung gian (proxy) báo lỗi. Trạm sẽ thử lại.',
    en: 'A proxy between the station and central reported an error. The station will try again.',
  },
  UPLOAD_RESPONSE_TOO_LARGE: {
    vi: 'Nhận được câu trả lời lạ, quá lớn, không phải từ máy chủ trung tâm. Trạm sẽ thử lại.',
    en: 'Received an oversized answer that is not from the central service. The station will try again.',
  },
  UPLOAD_WRONG_ENVIRONMENT: {
    vi: 'Máy chủ trung tâm thuộc môi trường khác (thử nghiệm/chính thức) với trạm. Hãy báo bộ phận kỹ thuật.',
    en: 'The central service serves another environment (test/production) than this station. Tell technical support.',
  },
  CENTRAL_CLIENT_CERTIFICATE_REQUIRED: {
    vi: 'Máy chủ trung tâm không nhận chứng thư của trạm. Hãy báo bộ phận kỹ thuật.',
    en: "The central service did not accept the station's certificate. Tell technical support.",
  },
  CENTRAL_STATION_NOT_REGISTERED: {
    vi: 'Trạm chưa được đăng ký với máy chủ trung tâm. Hãy đăng ký trạm.',
    en: 'This station is not registered with the central service. Register the station.',
  },
  CENTRAL_STORAGE_FULL: {
    vi: 'Máy chủ trung tâm tạm thời hết chỗ lưu. Trạm sẽ thử lại sau.',
    en: 'The central service is out of storage for now. The station will try again later.',
  },
  CENTRAL_DIGEST_MISMATCH: {
    vi: 'Dữ liệu đến máy chủ bị sai lệch trên đường truyền. Trạm sẽ gửi lại từ đầu.',
    en: 'The data arrived altered. The station will send it again from the start.',
  },
  CENTRAL_PACKET_TOO_LARGE: {
    vi: 'Máy chủ trung tâm từ chối gói vì quá lớn. Hãy báo bộ phận kỹ thuật.',
    en: 'The central service refused the packet as too large. Tell technical support.',
  },
  CENTRAL_METADATA_INVALID: {
    vi: 'Máy chủ trung tâm không đọc được thông tin kèm gói. Hãy báo bộ phận kỹ thuật.',
    en: "The central service could not read the packet's upload details. Tell technical support.",
  },
  CENTRAL_SERVER_ERROR: {
    vi: 'Máy chủ trung tâm đang gặp sự cố. Trạm sẽ thử lại.',
    en: 'The central service has a problem right now. The station will try again.',
  },
  CENTRAL_UNEXPECTED_ANSWER: {
    vi: 'Máy chủ trung tâm trả lời không như mong đợi. Trạm sẽ thử lại.',
    en: 'The central service gave an unexpected answer. The station will try again.',
  },
  UPLOAD_NO_STATEMENT: {
    vi: 'Máy chủ đã nhận đủ dữ liệu nhưng chưa có biên nhận. Trạm sẽ hỏi lại.',
    en: 'Central has all the bytes but no receipt yet. The station will ask again.',
  },
  UPLOAD_STATEMENT_REJECTED: {
    vi: 'Biên nhận của máy chủ trung tâm không hợp lệ (chữ ký hoặc nội dung sai). Gói vẫn được giữ và gửi lại. Hãy báo bộ phận kỹ thuật.',
    en: "Central's receipt is not valid (bad signature or content). The packet is kept and sent again. Tell technical support.",
  },
};

const LINK_CODES: ReadonlySet<UploadProblemCode> = new Set([
  'UPLOAD_OFFLINE',
  'UPLOAD_CONNECTION_LOST',
  'UPLOAD_TIMEOUT',
  'UPLOAD_TLS_FAILED',
  'UPLOAD_NOT_CENTRAL',
  'UPLOAD_PROXY_ERROR',
  'UPLOAD_RESPONSE_TOO_LARGE',
  'UPLOAD_WRONG_ENVIRONMENT',
]);

/** The officer's message for a code. */
export function officerMessage(code: UploadProblemCode): OfficerMessage {
  return MESSAGES[code];
}

/** A problem from its code (scope follows the code). */
export function problem(code: UploadProblemCode, detail: string, status?: number): UploadProblem {
  return {
    code,
    scope: LINK_CODES.has(code) ? 'link' : 'central',
    message: MESSAGES[code],
    detail,
    ...(status !== undefined ? { status } : {}),
  };
}

/** Thrown (as a rejection) by the central client for any outcome that is not a statement. */
export class UploadProblemError extends Error {
  override readonly name = 'UploadProblemError';
  readonly problem: UploadProblem;

  constructor(value: UploadProblem, options?: { cause?: unknown }) {
    super(`${value.code}: ${value.detail}`, options);
    this.problem = value;
  }

  get code(): UploadProblemCode {
    return this.problem.code;
  }
}

// ---- classification -----------------------------------------------------------------------

const OFFLINE_ERRNO = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
]);
const LOST_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const TIMEOUT_ERRNO = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UPLOAD_TIMEOUT']);
/** OpenSSL's and Node's codes for a certificate or handshake that failed. */
const TLS_ERRNO = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;

function errnoOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause ?? (e as { causingError?: unknown }).causingError;
  }
  return undefined;
}

/**
 * Classifies a failure that came without an answer (a Node socket, TLS or timeout error, possibly
 * wrapped in `cause`). An `UploadProblemError` passes through unchanged.
 */
export function classifyError(error: unknown): UploadProblem {
  if (error instanceof UploadProblemError) return error.problem;
  const code = errnoOf(error);
  const text = error instanceof Error ? error.message : String(error);
  const detail = code ? `${code}: ${text}` : text;
  if (code && OFFLINE_ERRNO.has(code)) return problem('UPLOAD_OFFLINE', detail);
  if (code && TIMEOUT_ERRNO.has(code)) return problem('UPLOAD_TIMEOUT', detail);
  if (code && TLS_ERRNO.test(code)) return problem('UPLOAD_TLS_FAILED', detail);
  if (code && LOST_ERRNO.has(code)) return problem('UPLOAD_CONNECTION_LOST', detail);
  if (/socket hang up|aborted|closed/i.test(text)) return problem('UPLOAD_CONNECTION_LOST', detail);
  return problem('UPLOAD_CONNECTION_LOST', detail);
}

/** An HTTP answer as the client holds it: status, lower-case headers, a bounded body. */
export interface HttpAnswer {
  readonly status: number;
  readonly header: (name: string) => string | undefined;
  readonly body: Uint8Array;
}

const CENTRAL_CODE = /^CENTRAL_[A-Z0-9_]{1,60}$/;
const KNOWN_CENTRAL: ReadonlySet<string> = new Set([
  'CENTRAL_CLIENT_CERTIFICATE_REQUIRED',
  'CENTRAL_STATION_NOT_REGISTERED',
  'CENTRAL_STORAGE_FULL',
  'CENTRAL_DIGEST_MISMATCH',
  'CENTRAL_PACKET_TOO_LARGE',
  'CENTRAL_METADATA_INVALID',
]);

/** Central's `{ code }` from a JSON (or plain) error body, when the body is one. */
export function centralCodeOf(answer: HttpAnswer): string | undefined {
  if (answer.body.length === 0 || answer.body.length > 16 * 1024) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(answer.body).trim();
  } catch {
    return undefined;
  }
  if (text.startsWith('{')) {
    try {
      const code = (JSON.parse(text) as { code?: unknown }).code;
      return typeof code === 'string' && CENTRAL_CODE.test(code) ? code : undefined;
    } catch {
      return undefined;
    }
  }
  // @tus/server writes a hook's thrown body as-is: accept a bare code as the whole body.
  return CENTRAL_CODE.test(text) ? text : undefined;
}

function looksLikeHtml(answer: HttpAnswer): boolean {
  const type = answer.header('content-type') ?? '';
  if (/text\/html|application\/xhtml/i.test(type)) return true;
  const head = new TextDecoder('latin1').decode(answer.body.subarray(0, 256)).trimStart().toLowerCase();
  return head.startsWith('<!doctype') || head.startsWith('<html') || head.startsWith('<');
}

/**
 * Classifies an answer that is not what the protocol step expected: central's own error
 * (`{ code: 'CENTRAL_…' }`) is a central problem; an HTML page, a redirect, or a status without
 * central's JSON is a link problem (something other than central answered).
 */
export function classifyAnswer(answer: HttpAnswer, step: string): UploadProblem {
  const { status } = answer;
  const code = centralCodeOf(answer);
  const detail = `${step}: HTTP ${status}${code ? ` ${code}` : ''}`;
  if (code !== undefined) {
    if (KNOWN_CENTRAL.has(code)) return problem(code as UploadProblemCode, detail, status);
    if (status >= 500) return problem('CENTRAL_SERVER_ERROR', detail, status);
    return problem('CENTRAL_UNEXPECTED_ANSWER', detail, status);
  }
  if (status >= 300 && status < 400) return problem('UPLOAD_NOT_CENTRAL', `${detail} (redirect)`, status);
  if (looksLikeHtml(answer)) return problem('UPLOAD_NOT_CENTRAL', `${detail} (HTML page)`, status);
  // A tus server's own answer (it names the protocol) is central speaking, without a code.
  if (answer.header('tus-resumable') !== undefined) {
    if (status >= 500) return problem('CENTRAL_SERVER_ERROR', detail, status);
    return problem('CENTRAL_UNEXPECTED_ANSWER', detail, status);
  }
  if (status >= 500) return problem('UPLOAD_PROXY_ERROR', detail, status);
  return problem('UPLOAD_NOT_CENTRAL', detail, status);
}
