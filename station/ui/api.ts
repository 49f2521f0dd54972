/**
 * The station's API from the screen: same-origin fetch with the session cookie, JSON in and out, and
 * one error type carrying the station's stable code, its message in both languages and each field's
 * problem. A request that cannot reach the station at all marks the connection lost, which the
 * banner shows until a request gets through again.
 */
export interface Bilingual {
  readonly vi: string;
  readonly en: string;
}

/** One field's problem, as the station describes a refused body (a JSON pointer and a message). */
export interface FieldProblem {
  readonly key?: string;
  readonly field?: string;
  readonly message: string | Bilingual;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messages: Bilingual,
    readonly problems: readonly FieldProblem[] = [],
    readonly body: unknown = undefined,
  ) {
    super(`${status} ${code}: ${messages.en}`);
  }
}

/** The station could not be reached (network down, station restarting). */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
}

type ConnectionListener = (connected: boolean) => void;
const listeners = new Set<ConnectionListener>();
let connected = true;

function setConnected(now: boolean): void {
  if (now === connected) return;
  connected = now;
  for (const listener of [...listeners]) listener(now);
}

export function onConnectionChange(listener: ConnectionListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function isConnected(): boolean {
  return connected;
}

type SessionLostListener = () => void;
const sessionLost = new Set<SessionLostListener>();

/**
 * Tells `listener` when the station no longer knows the browser's session (a 401 AUTH_SESSION_*:
 * the station restarted, or the session ended elsewhere), so the screen asks to sign in again and
 * then goes on where it was.
 */
export function onSessionLost(listener: SessionLostListener): () => void {
  sessionLost.add(listener);
  return () => sessionLost.delete(listener);
}

const FALLBACK: Bilingual = {
  vi: 'Trạm trả lời không như mong đợi.',
  en: 'The station answered in an unexpected way.',
};

function asBilingual(value: unknown): Bilingual | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { vi, en } = value as { vi?: unknown; en?: unknown };
  return typeof vi === 'string' && typeof en === 'string' ? { vi, en } : undefined;
}

export interface ApiOptions {
  /**
   * A request the screen makes by itself (a refresh on a timer), not the officer's action: the
   * station does not count it as activity, so the idle lock still comes.
   */
  readonly background?: boolean;
}

/**
 * Sends `method path` with an optional JSON body; resolves to the parsed JSON answer.
 * @throws {ApiError} for any answer other than 2xx; {ConnectionLostError} when the station is unreachable.
 */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
  options: ApiOptions = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.background === true ? { 'x-cccd-background': '1' } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    setConnected(false);
    throw new ConnectionLostError(error instanceof Error ? error.message : String(error));
  }
  setConnected(true);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  const error = (parsed as { error?: Record<string, unknown> } | undefined)?.error ?? {};
  const messages = asBilingual(error.messages) ?? asBilingual(error.officer) ?? FALLBACK;
  const problems = Array.isArray(error.problems) ? (error.problems as FieldProblem[]) : [];
  if (response.status === 401 && typeof error.code === 'string' && error.code.startsWith('AUTH_SESSION'))
    for (const listener of [...sessionLost]) listener();
  throw new ApiError(
    response.status,
    typeof error.code === 'string' ? error.code : `HTTP_${response.status}`,
    messages,
    problems,
    parsed,
  );
}

/** The message of an error for the officer, in `lang`. */
export function officerMessage(error: unknown, lang: 'vi' | 'en'): string {
  if (error instanceof ApiError) return error.messages[lang];
  if (error instanceof ConnectionLostError)
    return lang === 'vi' ? 'Không kết nối được với trạm.' : 'The station cannot be reached.';
  return error instanceof Error ? error.message : String(error);
}
