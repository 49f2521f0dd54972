/**
 * The verification session's state machine: which step may run in which state, the session's
 * version, and replays. Transport-free (the routes are station/plugins/verification.ts).
 *
 *   started ──card-key──▶ card-key ──card-read──▶ card-read ──status──▶ status ──face──▶ face
 *      ──finger──▶ finger ──verdict──▶ verdict ──report──▶ reported
 *
 * `card-key` may be given again while no card was read (the officer corrects a number). Every step
 * request carries the version the client last saw:
 * - the current version: the step runs (if the state allows it), the version goes up by one;
 * - the version a step just ran at, for that same step: its answer is returned again, marked
 *   `replayed`, and nothing runs twice (a double-click, a retried request whose answer was lost);
 *   the same holds while that step is still running (the second request waits for the first);
 * - anything else: VERIFICATION_VERSION_CONFLICT with the current version.
 * A step that fails (no card on the reader, wrong numbers) changes nothing: the same request may be
 * sent again.
 */
import type { OfficerMessage } from '../../../protocol/cccd/text.ts';

export type VerificationState =
  | 'started'
  | 'card-key'
  | 'card-read'
  | 'status'
  | 'face'
  | 'finger'
  | 'verdict'
  | 'reported';

export type StepName = 'card-key' | 'card-read' | 'status' | 'face' | 'finger' | 'verdict' | 'report';

/** The states each step may run from. */
export const STEP_FROM: Readonly<Record<StepName, readonly VerificationState[]>> = {
  'card-key': ['started', 'card-key'],
  'card-read': ['card-key'],
  status: ['card-read'],
  face: ['status'],
  finger: ['face'],
  verdict: ['finger'],
  report: ['verdict'],
};

/** The state a step leads to. */
export const STEP_TO: Readonly<Record<StepName, VerificationState>> = {
  'card-key': 'card-key',
  'card-read': 'card-read',
  status: 'status',
  face: 'face',
  finger: 'finger',
  verdict: 'verdict',
  report: 'reported',
};

/** The step a state waits for (undefined once reported). */
export const NEXT_STEP: Readonly<Record<VerificationState, StepName | undefined>> = {
  started: 'card-key',
  'card-key': 'card-read',
  'card-read': 'status',
  status: 'face',
  face: 'finger',
  finger: 'verdict',
  verdict: 'report',
  reported: undefined,
};

export type VerificationErrorCode =
  | 'VERIFICATION_NOT_FOUND'
  | 'VERIFICATION_OUT_OF_ORDER'
  | 'VERIFICATION_VERSION_CONFLICT'
  | 'VERIFICATION_BUSY'
  | 'VERIFICATION_TOO_MANY'
  | 'VERIFICATION_FORBIDDEN'
  | 'VERIFICATION_NO_REPORT'
  | 'VERIFICATION_NO_PORTRAIT'
  | 'VERIFICATION_PORTRAIT_UNREADABLE';

/** A refused step: a stable code, the HTTP status, the officer's message and structured fields. */
export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  readonly code: VerificationErrorCode | string;
  readonly statusCode: number;
  readonly officer: OfficerMessage;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    code: VerificationErrorCode | string,
    statusCode: number,
    officer: OfficerMessage,
    details: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(officer.en, options);
    this.code = code;
    this.statusCode = statusCode;
    this.officer = officer;
    this.details = details;
  }
}

/** What a step answers (JSON-able), kept for replays. */
export interface StepAnswer {
  readonly sessionId: string;
  readonly step: StepName;
  readonly state: VerificationState;
  /** The session's version after the step: send it with the next step. */
  readonly version: number;
  readonly next: StepName | null;
  readonly result: unknown;
}

export interface SessionRecord<D> {
  readonly id: string;
  version: number;
  state: VerificationState;
  /** ms since the epoch. */
  readonly createdAt: number;
  /** Monotonic ms of the last step, for expiry. */
  touchedAt: number;
  data: D;
  last: { readonly step: StepName; readonly version: number; readonly answer: StepAnswer } | undefined;
  inflight:
    | { readonly step: StepName; readonly version: number; readonly done: Promise<StepAnswer> }
    | undefined;
}

export interface SessionStoreOptions<D> {
  readonly newId: () => string;
  readonly clock: { now(): number; monotonic(): number };
  /** Sessions kept at once (default 64); the oldest idle one goes first. */
  readonly maxSessions?: number;
  /** A session idle this long is dropped, ms (default 30 min). */
  readonly idleMs?: number;
  /** Wipes what a dropped session holds in memory (portrait, fingers). */
  readonly onDrop?: (data: D) => void;
  readonly initial: () => D;
}

/** The outcome of a step's work: the result to answer and how the session's data changes. */
export interface StepOutcome<D> {
  readonly result: unknown;
  readonly data: D;
}

/** In-memory verification sessions (they hold a portrait: never written to disk). */
export class SessionStore<D> {
  readonly #sessions = new Map<string, SessionRecord<D>>();
  readonly #options: SessionStoreOptions<D>;

  constructor(options: SessionStoreOptions<D>) {
    this.#options = options;
  }

  #expire(): void {
    const idleMs = this.#options.idleMs ?? 30 * 60_000;
    const now = this.#options.clock.monotonic();
    for (const [id, s] of this.#sessions)
      if (s.inflight === undefined && now - s.touchedAt > idleMs) {
        this.#sessions.delete(id);
        this.#options.onDrop?.(s.data);
      }
  }

  /** @throws {VerificationError} VERIFICATION_TOO_MANY when every kept session is busy. */
  create(): SessionRecord<D> {
    this.#expire();
    const max = this.#options.maxSessions ?? 64;
    if (this.#sessions.size >= max) {
      const idle = [...this.#sessions.values()]
        .filter((s) => s.inflight === undefined)
        .sort((a, b) => a.touchedAt - b.touchedAt)[0];
      if (idle === undefined)
        throw new VerificationError('VERIFICATION_TOO_MANY', 503, {
          vi: 'Quá nhiều phiên xác minh đang chạy: chờ một phiên kết thúc rồi thử lại.',
          en: 'Too many verifications are running: wait for one to finish and try again.',
        });
      this.#sessions.delete(idle.id);
      this.#options.onDrop?.(idle.data);
    }
    const record: SessionRecord<D> = {
      id: this.#options.newId(),
      version: 0,
      state: 'started',
      createdAt: this.#options.clock.now(),
      touchedAt: this.#options.clock.monotonic(),
      data: this.#options.initial(),
      last: undefined,
      inflight: undefined,
    };
    this.#sessions.set(record.id, record);
    return record;
  }

  /** @throws {VerificationError} VERIFICATION_NOT_FOUND. */
  get(id: string): SessionRecord<D> {
    this.#expire();
    const record = this.#sessions.get(id);
    if (record === undefined)
      throw new VerificationError(
        'VERIFICATION_NOT_FOUND',
        404,
        {
          vi: `Không có phiên xác minh ${id} (phiên hết hạn sau 30 phút không dùng): bắt đầu phiên mới.`,
          en: `No verification session ${id} (sessions expire after 30 idle minutes): start a new one.`,
        },
        { sessionId: id },
      );
    return record;
  }

  /**
   * Runs `step` at `version` (see the module comment for versions and replays).
   * @throws {VerificationError} NOT_FOUND, VERSION_CONFLICT, BUSY, OUT_OF_ORDER, or what `work` throws.
   */
  async run(
    id: string,
    step: StepName,
    version: number,
    work: (record: SessionRecord<D>) => Promise<StepOutcome<D>>,
  ): Promise<StepAnswer & { readonly replayed: boolean }> {
    const record = this.get(id);
    const { inflight, last } = record;
    if (inflight !== undefined && inflight.step === step && inflight.version === version)
      return { ...(await inflight.done), replayed: true };
    if (last !== undefined && last.step === step && last.version === version)
      return { ...last.answer, replayed: true };
    if (inflight !== undefined)
      throw new VerificationError(
        'VERIFICATION_BUSY',
        409,
        {
          vi: `Phiên đang thực hiện bước ${inflight.step}: chờ bước đó xong.`,
          en: `The session is running its ${inflight.step} step: wait for it to finish.`,
        },
        { running: inflight.step },
      );
    if (version !== record.version)
      throw new VerificationError(
        'VERIFICATION_VERSION_CONFLICT',
        409,
        {
          vi: `Phiên đã ở phiên bản ${record.version}, không phải ${version}: tải lại phiên rồi làm tiếp.`,
          en: `The session is at version ${record.version}, not ${version}: reload it and go on from there.`,
        },
        { version: record.version, state: record.state },
      );
    if (!STEP_FROM[step].includes(record.state)) {
      const expected = NEXT_STEP[record.state];
      throw new VerificationError(
        'VERIFICATION_OUT_OF_ORDER',
        409,
        {
          vi: `Chưa thể làm bước ${step}: phiên đang ở trạng thái ${record.state}, bước tiếp theo là ${expected ?? '(đã xong)'}.`,
          en: `Step ${step} cannot run now: the session is in state ${record.state}; the next step is ${expected ?? '(none, it is finished)'}.`,
        },
        { state: record.state, expected: expected ?? null, allowedFrom: STEP_FROM[step] },
      );
    }
    const done = (async (): Promise<StepAnswer> => {
      const outcome = await work(record);
      record.data = outcome.data;
      record.version += 1;
      record.state = STEP_TO[step];
      record.touchedAt = this.#options.clock.monotonic();
      const answer: StepAnswer = {
        sessionId: record.id,
        step,
        state: record.state,
        version: record.version,
        next: NEXT_STEP[record.state] ?? null,
        result: outcome.result,
      };
      record.last = { step, version, answer };
      return answer;
    })();
    record.inflight = { step, version, done };
    try {
      return { ...(await done), replayed: false };
    } finally {
      record.inflight = undefined;
    }
  }

  /** Drops every session (the station closes). */
  clear(): void {
    for (const s of this.#sessions.values()) this.#options.onDrop?.(s.data);
    this.#sessions.clear();
  }
}
