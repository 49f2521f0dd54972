/**
 * The enrollment service: drives a draft through the state machine (machine.ts) with the devices,
 * the hot path, the population lookup and the sealer behind ports, and keeps it on disk encrypted
 * (draft-store.ts) after every step.
 *
 * Order of every step, so that a retried or replayed request never acts twice:
 *   1. one step at a time per enrollment (a queue per session id);
 *   2. load the draft; a request at an older version is answered from the draft's memory of it
 *      (the same request: its first outcome) or refused as a conflict, with no device touched;
 *   3. the step must be allowed at the draft's stage, checked before any capture starts;
 *   4. the side effect (capture, lookup, checks, sealing), then the machine's transition;
 *   5. the draft saved (fsync'd) before the answer; wiped once queued or abandoned.
 * Sealing is idempotent by packet id (the outbox keeps one packet per id), so a station that died
 * between sealing and saving the draft seals nothing twice when the officer retries.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { MccTemplate } from '../../../protocol/fingerprint/match/index.ts';
import type { SetFinding, SlapGeometry } from '../../../protocol/fingerprint/set-checks.ts';
import type { Environment } from '../../../protocol/packet/manifest.ts';
import { type Clock, localToday } from '../../clock.ts';
import { DeviceInUseError, type DeviceLeases, type LeasePurpose } from '../../devices/leases.ts';
import type { CaptureSet, PortraitCapture, SlapCapture, SlapHand } from '../../packets/capture-set.ts';
import { SessionQueue } from '../steps.ts';
import type { CardKeyInput } from '../verification/workflow.ts';
import { checkDemographics, type DemographicsInput, differences, type FieldProblem } from './demographics.ts';
import { type ClosedDraft, DraftError, type DraftStore } from './draft-store.ts';
import {
  type Actor,
  ALLOWED,
  type ApprovalPolicy,
  apply,
  attemptsKey,
  type CheckFinding,
  type Command,
  canonicalJson,
  type Draft,
  digestOf,
  type ExceptionReason,
  HAND_POSITIONS,
  HANDS,
  type MachineLimits,
  newDraft,
  type Outcome,
  type PrefillRecord,
  precheck,
  type Refusal,
  type Signature,
  type Stage,
  setComplete,
} from './machine.ts';
import { type CardQrFields, cardQrFields } from './prefill-qr.ts';
import { type ReceiptCalendar, type ReceiptData, receiptOf } from './receipt.ts';

/** One slap as the devices and the hot path gave it. */
export interface CapturedSlap {
  readonly slap: SlapCapture;
  /** Each finger's template (from the hot path's finger job). */
  readonly templates: readonly { readonly position: number; readonly template: MccTemplate }[];
  /** Which hand the slap's geometry shows (four-finger slaps only). */
  readonly handSeen?: 'left' | 'right';
}

/** What the service needs from the rest of the station. */
export interface EnrollmentPorts {
  /** Captures one slap (the fingers in `missing` are declared absent) and runs it through the hot path. */
  captureSlap(
    hand: SlapHand,
    options: { readonly missing: readonly number[]; readonly signal?: AbortSignal },
  ): Promise<
    | ({ readonly ok: true } & CapturedSlap)
    | { readonly ok: false; readonly code: string; readonly message: { vi: string; en: string } }
  >;
  /** Takes the portrait; a refusal carries the camera's feedback for the officer. */
  capturePortrait(options?: {
    readonly signal?: AbortSignal;
  }): Promise<
    | { readonly ok: true; readonly capture: PortraitCapture }
    | { readonly ok: false; readonly code: string; readonly message: { vi: string; en: string } }
  >;
  /** The templates of a kept slap's fingers, when they are no longer in memory (after a restart). */
  templatesOf(slap: SlapCapture): Promise<CapturedSlap['templates']>;
  /** The station-side checks over the whole set (protocol/fingerprint/set-checks.ts, in the pool). */
  checkSet(
    fingers: readonly { readonly position: number; readonly template: MccTemplate }[],
    geometry: SlapGeometry,
  ): Promise<readonly SetFinding[]>;
  /** The population database's record for a renewal or re-issue; 'offline' when central is out of reach. */
  lookupCitizen(personalId: string): Promise<Readonly<Record<string, string>> | undefined | 'offline'>;
  /**
   * The devices a capture would use (leased for the step, so a second session is told at once who
   * holds them); empty when none is available (the capture then says so itself).
   */
  devicesFor?(
    capture:
      | { readonly kind: 'slap'; readonly hand: SlapHand }
      | { readonly kind: 'portrait' }
      | { readonly kind: 'card' },
  ): string[];
  /**
   * Reads the old card's chip (renewal, re-issue, correction): its personal ID and the DG13 details
   * under the applicant's field names, once Passive Authentication proved them the issuer's.
   * Absent: the station has no card reader.
   */
  readOldCard?(key: CardKeyInput, options: { readonly signal?: AbortSignal }): Promise<OldCardRead>;
  /** Builds the packet and seals it into the outbox (idempotent by packet id). */
  seal(
    set: CaptureSet,
  ): Promise<{ readonly packetId: string; readonly state: string; readonly sha256: string }>;
}

/** The old card as read for a prefill, or why it cannot serve. */
export type OldCardRead =
  | {
      readonly ok: true;
      readonly personalId: string;
      /** DG13's details under the applicant's field names (NFC). */
      readonly record: Readonly<Record<string, string>>;
    }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: { readonly vi: string; readonly en: string };
    };

/** Checks a signing grant (re-entered password or PIN) and consumes it: its method, or why not. */
export type SigningGrantCheck = (
  actor: Actor,
  grant: string,
) => Promise<
  | { readonly ok: true; readonly method: Signature['method'] }
  | { readonly ok: false; readonly reason: string }
>;

/** A step as the API receives it. */
export type StepRequest =
  | { readonly kind: 'choose-type'; readonly type: NonNullable<Draft['type']> }
  | {
      readonly kind: 'prefill';
      readonly personalId?: string;
      readonly cardNumber?: string;
      /** The old card's QR text, as the camera or a 2D barcode scanner read it. */
      readonly qr?: string;
      /** Read the old card's chip with this access key (PACE/BAC, Passive Authentication). */
      readonly card?: CardKeyInput;
      readonly skipReason?: string;
    }
  | { readonly kind: 'demographics'; readonly input: DemographicsInput }
  | { readonly kind: 'capture-portrait' }
  | { readonly kind: 'capture-slap'; readonly hand: SlapHand }
  | {
      readonly kind: 'exception';
      readonly position: number;
      readonly reason: ExceptionReason;
      readonly note?: string;
      readonly confirmed: boolean;
    }
  | { readonly kind: 'withdraw-exception'; readonly position: number }
  | { readonly kind: 'run-checks' }
  | { readonly kind: 'sign'; readonly grant: string }
  | { readonly kind: 'approve'; readonly digest: string }
  | { readonly kind: 'submit' }
  | { readonly kind: 'abandon'; readonly reason: string };

/** The machine command each request becomes (for the stage check before any side effect). */
const COMMAND_OF: Readonly<Record<StepRequest['kind'], Command['kind']>> = {
  'choose-type': 'choose-type',
  prefill: 'prefill',
  demographics: 'demographics',
  'capture-portrait': 'portrait',
  'capture-slap': 'slap',
  exception: 'exception',
  'withdraw-exception': 'withdraw-exception',
  'run-checks': 'checks',
  sign: 'sign',
  approve: 'approve',
  submit: 'queued',
  abandon: 'abandon',
};

export type StepAnswer =
  | {
      readonly ok: true;
      readonly outcome: Outcome;
      readonly replayed: boolean;
      readonly draft?: DraftView;
      /** A replay of the step that closed the enrollment. */
      readonly closed?: ClosedDraft;
      /** Submit: the packet in the outbox. */
      readonly packet?: { readonly packetId: string; readonly state: string; readonly sha256: string };
    }
  | { readonly ok: false; readonly status: number; readonly refusal: Refusal | StepProblem };

/** A refusal that is not the machine's: invalid fields, a device or a grant. */
export interface StepProblem {
  readonly code: string;
  readonly message: { readonly vi: string; readonly en: string };
  readonly stage: Stage;
  readonly problems?: readonly FieldProblem[];
  /** Structured fields of the refusal (DEVICE_IN_USE: the device and its holder). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface EnrollmentServiceOptions {
  readonly store: DraftStore;
  readonly ports: EnrollmentPorts;
  readonly clock: Clock;
  readonly stationId: string;
  readonly environment: Environment;
  readonly signingGrant: SigningGrantCheck;
  readonly policy?: ApprovalPolicy;
  readonly limits?: MachineLimits;
  /** A draft untouched this long is wiped (default 2 h). */
  readonly idleMs?: number;
  /**
   * The citizen's receipt: working days to collection, public holidays, and how long the station
   * keeps it for reprinting (default 24 h; the sweep wipes it after).
   */
  readonly receipt?: ReceiptCalendar & { readonly keepMs?: number };
  /**
   * The station's audit trail (station/audit): every step is recorded (who, which step, outcome;
   * identifiers pseudonymised by the trail, no personal data in details), and the packet carries
   * the chain's head. Without it the packet's head is 64 zeros (tests).
   */
  readonly audit?: EnrollmentAudit;
  /**
   * The station's device leases (station/devices/leases.ts): a capture holds its device for the
   * step; abandoning the enrollment frees it and cancels the capture. Without it nothing is leased.
   */
  readonly leases?: DeviceLeases;
}

/** Who acts on a step: the officer's id, roles and display name (for "device in use by ..."). */
export interface StepActor {
  readonly officerId: string;
  readonly roles: readonly string[];
  readonly displayName?: string;
}

/** What the service needs of the audit trail. */
export interface EnrollmentAudit {
  head(): { readonly seq: number; readonly head: string };
  record(event: {
    readonly actor: string;
    readonly action: string;
    readonly outcome: 'ok' | 'failed' | 'refused';
    readonly subject?: { readonly citizen?: string; readonly packet?: string; readonly session?: string };
    readonly details?: Readonly<Record<string, string | number | boolean>>;
  }): Promise<unknown>;
}

const DEFAULT_IDLE_MS = 2 * 3_600_000;
/** Slaps whose templates are kept in memory (several desks' drafts, every attempt of each). */
const RECENT_SLAPS = 256;
/** Drafts whose early set checks are kept in memory. */
const RECENT_DRAFTS = 64;

/** A map that keeps its newest `limit` entries (by last write). */
class RecentMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  get(key: K): V | undefined {
    return this.#entries.get(key);
  }
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#limit) break;
      this.#entries.delete(oldest);
    }
  }
  delete(key: K): void {
    this.#entries.delete(key);
  }
}
const DEFAULT_RECEIPT_KEEP_MS = 24 * 3_600_000;

export class EnrollmentService {
  readonly #options: EnrollmentServiceOptions;
  readonly #queues = new SessionQueue();
  /**
   * Templates of captured slaps by the SHA-256 of the slap's WSQ (recomputed after a restart), the
   * newest few hundred: a station runs for weeks, and a draft's slaps are done with in minutes.
   */
  readonly #templates = new RecentMap<string, CapturedSlap['templates']>(RECENT_SLAPS);
  readonly #handSeen = new RecentMap<string, 'left' | 'right'>(RECENT_SLAPS);
  /**
   * The set checks run by the capture that completed a draft's 4-4-2 set, by draft id, with the
   * attempts they ran on: `run-checks` then only records them (the comparisons are part of the
   * set's capture, as issue 20 budgets them), or runs them itself when the slaps changed since or
   * the station restarted.
   */
  readonly #setChecks = new RecentMap<string, { attempts: string; findings: CheckFinding[] }>(RECENT_DRAFTS);

  constructor(options: EnrollmentServiceOptions) {
    this.#options = options;
  }

  #now(): string {
    return new Date(this.#options.clock.now()).toISOString();
  }

  /** Opens a new enrollment for `officerId`. */
  async start(officerId: string): Promise<DraftView> {
    const draft = newDraft({ id: randomUUID(), packetId: randomUUID(), officerId, now: this.#now() });
    await this.#options.store.save(draft);
    return viewOf(draft);
  }

  /**
   * The draft as the screen shows it.
   * @throws {DraftError} DRAFT_NOT_FOUND, DRAFT_TAMPERED, DRAFT_INVALID.
   */
  async view(id: string): Promise<DraftView> {
    return viewOf(await this.#options.store.load(id));
  }

  /**
   * The kept portrait's JPEG (the ICAO capture), for the officer's review; undefined before one is taken.
   * @throws {DraftError} DRAFT_NOT_FOUND, DRAFT_TAMPERED, DRAFT_INVALID.
   */
  async portrait(id: string): Promise<Uint8Array | undefined> {
    return (await this.#options.store.load(id)).portrait?.capture.jpeg;
  }

  /** The open drafts (id and last change), e.g. to resume after a restart. */
  async list(): Promise<{ id: string; updatedAt: string }[]> {
    return (await this.#options.store.list()).map((d) => ({
      id: d.id,
      updatedAt: new Date(d.updatedAtMs).toISOString(),
    }));
  }

  /**
   * The citizen's receipt of a queued enrollment (kept for reprinting until the sweep wipes it).
   * @throws {DraftError} RECEIPT_NOT_FOUND when there is none (still open, abandoned, or wiped);
   *   DRAFT_TAMPERED or DRAFT_INVALID for a damaged file.
   */
  async receipt(id: string): Promise<ReceiptData> {
    const receipt = await this.#options.store.receipt(id);
    if (receipt === undefined)
      throw new DraftError('RECEIPT_NOT_FOUND', `enrollment ${id} has no receipt (not queued, or wiped)`, id);
    return receipt;
  }

  /**
   * Wipes drafts untouched for longer than the idle time, and receipts older than their keeping
   * time; returns the wiped drafts' ids.
   */
  async sweep(): Promise<string[]> {
    const now = this.#options.clock.now();
    await this.#options.store.sweepReceipts(now - (this.#options.receipt?.keepMs ?? DEFAULT_RECEIPT_KEEP_MS));
    const limit = now - (this.#options.idleMs ?? DEFAULT_IDLE_MS);
    const wiped: string[] = [];
    for (const d of await this.#options.store.list())
      if (d.updatedAtMs < limit && !this.#queues.busy(d.id)) {
        this.#options.leases?.releaseSession(d.id, 'The enrollment expired');
        await this.#options.store.wipe(d.id);
        wiped.push(d.id);
      }
    return wiped;
  }

  /**
   * Applies one step at the version the client saw.
   * @throws {DraftError} when the draft is missing or refused (tampered, invalid).
   */
  step(
    id: string,
    seenVersion: number,
    request: StepRequest,
    actor: StepActor,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<StepAnswer> {
    // Abandoning frees the enrollment's devices at once: a capture in flight is canceled (it ends
    // with DEVICE_CANCELED), so the abandon queued behind it runs, and another session can go on.
    if (request.kind === 'abandon') this.#options.leases?.releaseSession(id, 'The enrollment was abandoned');
    return this.#queues.run(id, () => this.#step(id, seenVersion, request, actor, options.signal));
  }

  async #step(
    id: string,
    seenVersion: number,
    request: StepRequest,
    who: StepActor,
    signal: AbortSignal | undefined,
  ): Promise<StepAnswer> {
    const answer = await this.#run(id, seenVersion, request, who, signal);
    const audit = this.#options.audit;
    if (audit !== undefined && !(answer.ok && answer.replayed)) {
      const citizen = answer.ok ? answer.draft?.demographics?.applicant.personalId : undefined;
      await audit.record({
        actor: who.officerId,
        action: `enrollment.${request.kind}`,
        outcome: answer.ok ? 'ok' : 'refused',
        subject: {
          session: id,
          ...(answer.ok && answer.draft !== undefined ? { packet: answer.draft.packetId } : {}),
          ...(citizen === undefined ? {} : { citizen }),
        },
        details: answer.ok
          ? { stage: answer.outcome.stage, version: answer.outcome.version }
          : { code: answer.refusal.code, stage: answer.refusal.stage },
      });
    }
    return answer;
  }

  /**
   * Runs a capture holding its devices: DEVICE_IN_USE (409) at once when another session holds one.
   */
  async #leased<T>(
    id: string,
    who: StepActor,
    capture: Parameters<NonNullable<EnrollmentPorts['devicesFor']>>[0],
    purpose: LeasePurpose,
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T | DeviceInUseError> {
    const leases = this.#options.leases;
    const devices = this.#options.ports.devicesFor?.(capture) ?? [];
    if (leases === undefined || devices.length === 0) return work(signal);
    try {
      return await leases.run(
        devices,
        { sessionId: id, officerId: who.officerId, officerName: who.displayName ?? who.officerId, purpose },
        work,
        signal === undefined ? {} : { signal },
      );
    } catch (error) {
      if (error instanceof DeviceInUseError) return error;
      throw error;
    }
  }

  async #run(
    id: string,
    seenVersion: number,
    request: StepRequest,
    who: StepActor,
    signal: AbortSignal | undefined,
  ): Promise<StepAnswer> {
    const { store } = this.#options;
    const requestDigest = createHash('sha256')
      .update(canonicalJson({ officerId: who.officerId, request }))
      .digest('hex');
    let draft: Draft;
    try {
      draft = await store.load(id);
    } catch (error) {
      const closed =
        error instanceof DraftError && error.code === 'DRAFT_NOT_FOUND' ? await store.closed(id) : undefined;
      if (closed === undefined) throw error;
      if (closed.last.version === seenVersion && closed.last.digest === requestDigest)
        return { ok: true, outcome: closed.last.outcome as Outcome, replayed: true, closed };
      return {
        ok: false,
        status: 409,
        refusal: {
          code: 'ENROLLMENT_CLOSED',
          message: {
            vi: closed.stage === 'queued' ? 'Hồ sơ đã được gửi đi.' : 'Hồ sơ đã bị hủy.',
            en:
              closed.stage === 'queued'
                ? `This enrollment was queued as packet ${closed.packetId}.`
                : 'This enrollment was abandoned.',
          },
          stage: closed.stage,
        },
      };
    }
    const actor: Actor = { officerId: who.officerId, roles: who.roles, now: this.#now() };
    const options = {
      ...(this.#options.policy === undefined ? {} : { policy: this.#options.policy }),
      ...(this.#options.limits === undefined ? {} : { limits: this.#options.limits }),
      requestDigest,
    };
    const problem = (
      status: number,
      code: string,
      vi: string,
      en: string,
      problems?: readonly FieldProblem[],
    ): StepAnswer => ({
      ok: false,
      status,
      refusal: {
        code,
        message: { vi, en },
        stage: draft.stage,
        ...(problems === undefined ? {} : { problems }),
      },
    });
    const inUse = (error: DeviceInUseError): StepAnswer => ({
      ok: false,
      status: 409,
      refusal: {
        code: error.code,
        message: error.officer,
        stage: draft.stage,
        details: { deviceId: error.deviceId, holder: error.holder },
      },
    });
    // 2 and 3: replays, conflicts and wrong stages are answered before anything is touched.
    const checked = precheck(draft, COMMAND_OF[request.kind], seenVersion, requestDigest);
    if (checked.kind === 'refused') return { ok: false, status: 409, refusal: checked.refusal };
    if (checked.kind === 'replay')
      return {
        ok: true,
        outcome: checked.outcome,
        replayed: true,
        draft: viewOf(draft),
      };

    let command: Command;
    let packet: { packetId: string; state: string; sha256: string } | undefined;
    /** A four-finger slap whose geometry shows the other hand (the right hand again on the left slap). */
    let otherHand: 'left' | 'right' | undefined;
    switch (request.kind) {
      case 'choose-type':
        command = { kind: 'choose-type', type: request.type };
        break;
      case 'prefill': {
        let card: CardQrFields | undefined;
        if (request.card !== undefined) {
          const readOldCard = this.#options.ports.readOldCard;
          if (readOldCard === undefined)
            return problem(
              422,
              'CARD_READER_UNAVAILABLE',
              'Trạm không có đầu đọc thẻ: quét mã QR hoặc nhập số định danh.',
              'This station has no card reader: scan the QR code or type the personal ID.',
            );
          const key = request.card;
          const read = await this.#leased(
            id,
            who,
            { kind: 'card' },
            'enrollment.card-read',
            signal,
            (leased) => readOldCard(key, leased === undefined ? {} : { signal: leased }),
          );
          if (read instanceof DeviceInUseError) return inUse(read);
          if (!read.ok) return problem(422, read.code, read.message.vi, read.message.en);
          card = { personalId: read.personalId, record: read.record, source: 'card' };
        } else if (request.qr !== undefined) {
          const read = cardQrFields(request.qr, localToday(this.#options.clock.now()));
          if (!read.ok) return problem(422, 'QR_INVALID', read.message.vi, read.message.en);
          card = read.fields;
        }
        command = { kind: 'prefill', prefill: await this.#prefill(request, card) };
        break;
      }
      case 'demographics': {
        const checked = checkDemographics(request.input, draft.type ?? 'first-issue', actor.now);
        if (!checked.ok)
          return problem(
            422,
            'DEMOGRAPHICS_INVALID',
            'Thông tin nhân thân chưa hợp lệ; xem từng trường.',
            'Some details are not valid; see each field.',
            checked.problems,
          );
        command = { kind: 'demographics', demographics: checked.value };
        break;
      }
      case 'capture-portrait': {
        const taken = await this.#leased(
          id,
          who,
          { kind: 'portrait' },
          'enrollment.capture-portrait',
          signal,
          (leased) => this.#options.ports.capturePortrait(leased === undefined ? {} : { signal: leased }),
        );
        if (taken instanceof DeviceInUseError) return inUse(taken);
        if (!taken.ok) return problem(422, taken.code, taken.message.vi, taken.message.en);
        command = { kind: 'portrait', capture: taken.capture };
        break;
      }
      case 'capture-slap': {
        const excepted = draft.exceptions
          .map((e) => e.position)
          .filter((p) => HAND_POSITIONS[request.hand].includes(p));
        const captured = await this.#leased(
          id,
          who,
          { kind: 'slap', hand: request.hand },
          'enrollment.capture-slap',
          signal,
          (leased) =>
            this.#options.ports.captureSlap(request.hand, {
              missing: excepted,
              ...(leased === undefined ? {} : { signal: leased }),
            }),
        );
        if (captured instanceof DeviceInUseError) return inUse(captured);
        if (!captured.ok) return problem(422, captured.code, captured.message.vi, captured.message.en);
        const key = sha(captured.slap.wsq);
        this.#templates.set(key, captured.templates);
        if (captured.handSeen !== undefined) this.#handSeen.set(key, captured.handSeen);
        if (
          request.hand !== 'thumbs' &&
          captured.handSeen !== undefined &&
          captured.handSeen !== request.hand
        )
          otherHand = captured.handSeen;
        command = { kind: 'slap', capture: captured.slap };
        break;
      }
      case 'exception':
        command = {
          kind: 'exception',
          position: request.position,
          reason: request.reason,
          ...(request.note === undefined ? {} : { note: request.note }),
          confirmed: request.confirmed,
        };
        break;
      case 'withdraw-exception':
        command = { kind: 'withdraw-exception', position: request.position };
        break;
      case 'run-checks': {
        const ran = this.#setChecks.get(id);
        const findings =
          ran !== undefined && ran.attempts === attemptsKey(draft) ? ran.findings : await this.#checks(draft);
        command = { kind: 'checks', findings, attempts: attemptsKey(draft) };
        break;
      }
      case 'sign': {
        const grant = await this.#options.signingGrant(actor, request.grant);
        if (!grant.ok)
          return problem(
            403,
            'SIGNING_GRANT_INVALID',
            'Cần nhập lại mật khẩu hoặc mã PIN để ký.',
            `Signing needs the password or PIN entered again: ${grant.reason}.`,
          );
        command = { kind: 'sign', method: grant.method };
        break;
      }
      case 'approve':
        command = { kind: 'approve', digest: request.digest };
        break;
      case 'submit': {
        // The machine refuses a draft that still needs approval; ask it before sealing.
        const dry = apply(draft, { kind: 'queued' }, draft.version, actor, options);
        if (!dry.ok) return { ok: false, status: 409, refusal: dry.refusal };
        // The submission is recorded first, so the packet carries a chain head that includes it.
        await this.#options.audit?.record({
          actor: who.officerId,
          action: 'enrollment.sealing',
          outcome: 'ok',
          subject: { session: draft.id, packet: draft.packetId },
        });
        packet = await this.#options.ports.seal(this.#captureSet(draft));
        command = { kind: 'queued' };
        break;
      }
      case 'abandon':
        command = { kind: 'abandon', reason: request.reason };
        break;
    }
    const step = apply(draft, command, seenVersion, actor, options);
    // The other hand on the glass loses a finger to segmentation: say what the officer must change.
    if (!step.ok && step.refusal.code === 'FINGER_MISSING' && otherHand !== undefined)
      return problem(
        422,
        'WRONG_HAND',
        `Bàn tay trên máy quét là tay ${otherHand === 'right' ? 'phải' : 'trái'}, không phải tay ${otherHand === 'right' ? 'trái' : 'phải'}: mời đặt tay ${otherHand === 'right' ? 'trái' : 'phải'} rồi lấy lại.`,
        `The hand on the scanner is the ${otherHand} hand, not the ${otherHand === 'right' ? 'left' : 'right'}: place the ${otherHand === 'right' ? 'left' : 'right'} hand and capture again.`,
      );
    if (!step.ok) return { ok: false, status: 409, refusal: step.refusal };
    const stage = step.draft.stage;
    // The capture that completes the set runs its checks (in the pool) before it answers.
    if (command.kind === 'slap' && setComplete(step.draft)) await this.#checkSetEarly(id, step.draft);
    if (stage === 'queued' || stage === 'abandoned') this.#setChecks.delete(id);
    // The receipt is kept before the draft that holds its details is wiped.
    if (stage === 'queued')
      await store.saveReceipt(
        receiptOf(step.draft, this.#options.clock.now(), this.#options.stationId, this.#options.receipt),
      );
    if (stage === 'queued' || stage === 'abandoned')
      await store.close(id, {
        id,
        packetId: draft.packetId,
        stage,
        version: step.draft.version,
        at: actor.now,
        last: { version: seenVersion, digest: requestDigest, outcome: step.outcome },
      });
    else await store.save(step.draft);
    return {
      ok: true,
      outcome: step.outcome,
      replayed: false,
      draft: viewOf(step.draft),
      ...(packet === undefined ? {} : { packet }),
    };
  }

  async #prefill(
    request: Extract<StepRequest, { kind: 'prefill' }>,
    card: CardQrFields | undefined,
  ): Promise<PrefillRecord> {
    if (card !== undefined) {
      // The old card's QR, and the population database's current record of the same person: the
      // record prefills (it is the current one), the card's details are kept beside it.
      const looked = await this.#options.ports.lookupCitizen(card.personalId);
      const found = looked !== 'offline' && looked !== undefined;
      return {
        source: card.source ?? 'qr',
        record: found ? looked : card.record,
        card: card.record,
        cardNumber: card.personalId,
        ...(found
          ? {}
          : {
              reason:
                looked === 'offline'
                  ? 'central is out of reach: prefilled from the card, checked later'
                  : `no citizen ${card.personalId} in the population database: prefilled from the card`,
            }),
      };
    }
    if (request.personalId === undefined)
      return {
        source: 'none',
        record: {},
        reason: (request.skipReason ?? 'no prefill asked').normalize('NFC'),
      };
    const record = await this.#options.ports.lookupCitizen(request.personalId);
    if (record === 'offline')
      return {
        source: 'none',
        record: {},
        reason: 'central is out of reach: the details are typed and checked later',
      };
    if (record === undefined)
      return {
        source: 'none',
        record: {},
        reason: `no citizen ${request.personalId} in the population database`,
      };
    return {
      source: 'population',
      record,
      ...(request.cardNumber === undefined ? {} : { cardNumber: request.cardNumber }),
    };
  }

  /**
   * The set checks of a draft whose set is complete, kept for its `run-checks`. A failure (the pool
   * shut down, say) keeps nothing: `run-checks` runs them again and reports what goes wrong.
   */
  async #checkSetEarly(id: string, draft: Draft): Promise<void> {
    try {
      this.#setChecks.set(id, { attempts: attemptsKey(draft), findings: await this.#checks(draft) });
    } catch {
      this.#setChecks.delete(id);
    }
  }

  async #checks(draft: Draft): Promise<CheckFinding[]> {
    const fingers: { position: number; template: MccTemplate }[] = [];
    const geometry: { left?: { handSeen: 'left' | 'right' }; right?: { handSeen: 'left' | 'right' } } = {};
    for (const hand of HANDS) {
      const entry = draft.slaps[hand];
      if (entry === undefined) continue;
      const key = sha(entry.best.wsq);
      let templates = this.#templates.get(key);
      if (templates === undefined) {
        templates = await this.#options.ports.templatesOf(entry.best);
        this.#templates.set(key, templates);
      }
      fingers.push(...templates);
      const seen = this.#handSeen.get(key);
      if (seen !== undefined && hand !== 'thumbs') geometry[hand] = { handSeen: seen };
    }
    const findings = await this.#options.ports.checkSet(fingers, geometry);
    return findings.map((f) => ({
      code: f.code,
      blocking: true,
      hands: HANDS.filter((h) => f.positions.some((p) => HAND_POSITIONS[h].includes(p))),
      message: f.message,
    }));
  }

  #captureSet(draft: Draft): CaptureSet {
    const { demographics, portrait } = draft;
    if (
      demographics === undefined ||
      portrait === undefined ||
      draft.type === undefined ||
      draft.signature === undefined
    )
      throw new DraftError(
        'DRAFT_INVALID',
        `draft ${draft.id} is signed without demographics or portrait`,
        draft.id,
      );
    return {
      packetId: draft.packetId,
      enrollmentSessionId: draft.id,
      environment: this.#options.environment,
      enrollmentType: draft.type,
      applicant: {
        ...demographics.applicant,
        nationalityCode: demographics.nationalityCode,
        ...(demographics.formerIdNumber === undefined ? {} : { formerIdNumber: demographics.formerIdNumber }),
      },
      slaps: HANDS.flatMap((h) => {
        const entry = draft.slaps[h];
        return entry === undefined ? [] : [entry.best];
      }),
      portrait: portrait.capture,
      exceptions: draft.exceptions.map((e) => ({
        position: e.position,
        reason: e.reason,
        ...(e.note === undefined ? {} : { note: e.note }),
      })),
      stationId: this.#options.stationId,
      officerId: draft.signature.officerId,
      supervisorApproval:
        draft.approval === undefined
          ? null
          : { supervisorId: draft.approval.supervisorId, approvedAt: draft.approval.at },
      times: { sessionStartedAt: draft.createdAt, capturedAt: draft.signature.at },
      auditChainHead: this.#options.audit?.head().head ?? '0'.repeat(64),
      ...(this.#options.audit === undefined ? {} : { audit: this.#options.audit.head() }),
    };
  }
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The draft as the API shows it: every field and score, images by hash and size only. */
export interface DraftView {
  readonly id: string;
  readonly packetId: string;
  readonly version: number;
  readonly stage: Stage;
  readonly type: Draft['type'] | null;
  readonly officerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * The prefill, with what the typed details change from the database's record (`differences`) and
   * from the old card's QR (`cardDifferences`, when the QR was read).
   */
  readonly prefill:
    | (PrefillRecord & {
        readonly differences: ReturnType<typeof differences>;
        readonly cardDifferences: ReturnType<typeof differences>;
      })
    | null;
  readonly demographics: Draft['demographics'] | null;
  readonly portrait: { readonly sha256: string; readonly bytes: number; readonly attempts: number } | null;
  readonly slaps: readonly {
    readonly hand: SlapHand;
    readonly attempts: number;
    readonly minScore: number;
    readonly fingers: readonly { readonly position: number; readonly score: number }[];
  }[];
  readonly exceptions: Draft['exceptions'];
  readonly checks: Draft['checks'] | null;
  readonly signature: Signature | null;
  readonly approval: Draft['approval'] | null;
  readonly approvalRules: readonly string[];
  /** The content digest a supervisor approves. */
  readonly digest: string;
  /** The steps allowed now. */
  readonly next: readonly StepRequest['kind'][];
}

export function viewOf(draft: Draft): DraftView {
  const next = (Object.keys(COMMAND_OF) as StepRequest['kind'][]).filter((kind) =>
    ALLOWED[COMMAND_OF[kind]].includes(draft.stage),
  );
  return {
    id: draft.id,
    packetId: draft.packetId,
    version: draft.version,
    stage: draft.stage,
    type: draft.type ?? null,
    officerId: draft.officerId,
    createdAt: draft.createdAt,
    updatedAt: draft.updatedAt,
    prefill:
      draft.prefill === undefined
        ? null
        : {
            ...draft.prefill,
            differences:
              draft.demographics === undefined
                ? []
                : differences(draft.demographics.applicant, draft.prefill.record),
            cardDifferences:
              draft.demographics === undefined || draft.prefill.card === undefined
                ? []
                : differences(draft.demographics.applicant, draft.prefill.card),
          },
    demographics: draft.demographics ?? null,
    portrait:
      draft.portrait === undefined
        ? null
        : {
            sha256: sha(draft.portrait.capture.jpeg),
            bytes: draft.portrait.capture.jpeg.length,
            attempts: draft.portrait.attempts,
          },
    slaps: HANDS.flatMap((hand) => {
      const entry = draft.slaps[hand];
      return entry === undefined
        ? []
        : [
            {
              hand,
              attempts: entry.attempts,
              minScore: entry.minScore,
              fingers: entry.best.fingers.map((f) => ({ position: f.position, score: f.score })),
            },
          ];
    }),
    exceptions: draft.exceptions,
    checks: draft.checks ?? null,
    signature: draft.signature ?? null,
    approval: draft.approval ?? null,
    approvalRules: draft.approvalRules ?? [],
    digest: digestOf(draft),
    next,
  };
}
