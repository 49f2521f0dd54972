/**
 * The e-ID level-2 registration service: drives a registration through the state machine
 * (machine.ts) with the notary verification's own card read and face comparison
 * (station/workflows/verification/station-ports.ts: PACE/BAC, PA, CA, AA; the live face against
 * DG2), the contact rules (contact.ts), the officer's signing grant, and the sealer (an
 * `eid-level2-application` packet through the same builder, outbox and uploader as enrollments).
 *
 * Order of every step, so that a retried or replayed request never acts twice:
 *   1. one step at a time per registration (a queue per session id; `abandon` first frees the
 *      registration's devices, cancelling a card wait or capture in flight);
 *   2. a request at an older version is answered from the registration's memory of it (the same
 *      request: its first outcome) or refused as a conflict, with no device touched;
 *   3. the step must be allowed at the stage, checked before any device is touched;
 *   4. the side effect (card read, face, grant, sealing) holding the devices it uses (leases), then
 *      the machine's transition;
 *   5. every step (and refusal) recorded in the audit trail: officer, step, outcome, the citizen as
 *      the trail's keyed pseudonym; no names, numbers, contact details or images.
 *
 * Registrations live in memory only (they hold a portrait and the chip's SOD, like a verification):
 * a registration idle for `idleMs` (30 min) is dropped, its bytes wiped and its devices freed. The
 * application is sealed (encrypted to central, fsync'd) before submit answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Environment } from '../../../protocol/packet/manifest.ts';
import type { Clock } from '../../clock.ts';
import { DeviceInUseError, type DeviceLeases, type LeasePurpose } from '../../devices/leases.ts';
import type { EidApplicationSet } from '../../packets/eid-application.ts';
import type { EnrollmentAudit, SigningGrantCheck } from '../enrollment/service.ts';
import { SessionQueue } from '../steps.ts';
import type { VerificationRead } from '../verification/read.ts';
import { VerificationError } from '../verification/session.ts';
import type { CardKeyInput, CardStatusOutcome, FaceOutcome } from '../verification/workflow.ts';
import { normaliseEmail, normaliseMobile } from './contact.ts';
import {
  ALLOWED,
  apply,
  type Bilingual,
  type CardFacts,
  type Command,
  type EidStage,
  newRegistration,
  type Outcome,
  precheck,
  type Refusal,
  type Registration,
} from './machine.ts';
import { type EidStore, EidStoreError } from './store.ts';

/** The version of the consent text the screen shows; a consent given to another text is refused. */
export const EID_CONSENT_TEXT_VERSION = 'eid-l2-consent-2026.1';

/** What the service needs from the rest of the station. */
export interface EidPorts {
  /** Reads and checks the placed card (the verification's port). @throws {VerificationError}. */
  readCard(
    key: CardKeyInput,
    options: { reader?: string; waitMs?: number; signal?: AbortSignal },
  ): Promise<VerificationRead>;
  /** The card's status at central (the verification's port); undefined: no central link. */
  readonly cardStatus?: ((cardNumber: string) => Promise<CardStatusOutcome>) | undefined;
  /** Live face against the chip portrait (the verification's port); undefined: no face engine. */
  readonly compareFace: ((live: { image: Uint8Array }, chip: Uint8Array) => Promise<FaceOutcome>) | undefined;
  /** Starts analysing the chip portrait once the card is read (optional, never rejects). */
  readonly preparePortrait?: ((portrait: Uint8Array) => void) | undefined;
  /** The newest frame of a camera (by id, or the station's camera), JPEG; undefined when none. */
  liveFrame(
    camera: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ readonly cameraId: string; readonly jpeg: Uint8Array } | undefined>;
  /** The devices a step uses (leased for it). */
  devicesFor(
    step: { readonly kind: 'read-card' } | { readonly kind: 'compare-face'; readonly camera?: string },
  ): string[];
  /** Seals the application into the outbox (idempotent by packet id). */
  seal(
    set: EidApplicationSet,
  ): Promise<{ readonly packetId: string; readonly state: string; readonly sha256: string }>;
}

/** A step as the API receives it. */
export type EidStepRequest =
  | { readonly kind: 'card-key'; readonly key: CardKeyInput }
  | { readonly kind: 'read-card'; readonly reader?: string; readonly waitMs?: number }
  | { readonly kind: 'compare-face'; readonly camera?: string }
  | {
      readonly kind: 'contact';
      readonly phone: string;
      readonly email: string;
      readonly consent: {
        readonly phone: boolean;
        readonly email: boolean;
        readonly dataProcessing: boolean;
        readonly textVersion: string;
      };
    }
  | { readonly kind: 'sign'; readonly grant: string }
  | { readonly kind: 'submit' }
  | { readonly kind: 'abandon'; readonly reason: string };

const COMMAND_OF: Readonly<Record<EidStepRequest['kind'], Command['kind']>> = {
  'card-key': 'card-key',
  'read-card': 'card-read',
  'compare-face': 'face',
  contact: 'contact',
  sign: 'sign',
  submit: 'queued',
  abandon: 'abandon',
};

/** A refusal that is not the machine's: a device, a field, a grant, the session. */
export interface EidProblem {
  readonly code: string;
  readonly message: Bilingual;
  readonly stage: EidStage;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type EidStepAnswer =
  | {
      readonly ok: true;
      readonly outcome: Outcome;
      readonly replayed: boolean;
      readonly registration: EidView;
      /** Submit: the application packet in the outbox. */
      readonly packet?: { readonly packetId: string; readonly state: string; readonly sha256: string };
    }
  | { readonly ok: false; readonly status: number; readonly refusal: Refusal | EidProblem };

export interface EidActor {
  readonly officerId: string;
  readonly roles: readonly string[];
  readonly displayName?: string;
}

/** The registration as the officer's screen shows it. */
export interface EidView {
  readonly id: string;
  readonly packetId: string;
  readonly version: number;
  readonly stage: EidStage;
  readonly officerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly keyFrom: Registration['keyFrom'] | null;
  readonly card: CardFacts | null;
  readonly face: Registration['face'] | null;
  readonly contact: Registration['contact'] | null;
  readonly signature: Registration['signature'] | null;
  readonly refused: Registration['refused'] | null;
  readonly consentTextVersion: string;
  /** The steps allowed now. */
  readonly next: readonly EidStepRequest['kind'][];
}

export interface EidServiceOptions {
  readonly ports: EidPorts;
  readonly clock: Clock;
  readonly stationId: string;
  readonly environment: Environment;
  readonly signingGrant: SigningGrantCheck;
  readonly audit?: EnrollmentAudit;
  readonly leases?: DeviceLeases;
  /** A registration idle this long is dropped, ms (default 30 min). */
  readonly idleMs?: number;
  /** Registrations kept at once (default 64). */
  readonly maxSessions?: number;
  /**
   * Where registrations are kept, encrypted, so a restart resumes them (store.ts). Without it they
   * live in memory only.
   */
  readonly store?: EidStore;
}

interface Session {
  registration: Registration;
  /** Held in memory only, wiped when the session ends. */
  key?: CardKeyInput;
  /** Of the card read, only what later steps need: the chip portrait (DG2) and EF.SOD. */
  chip?: { readonly portrait: Uint8Array | undefined; readonly sod: Uint8Array };
  live?: Uint8Array;
  touchedAt: number;
}

const DEFAULT_IDLE_MS = 30 * 60_000;

export class EidError extends Error {
  override readonly name = 'EidError';
  readonly code: 'EID_NOT_FOUND' | 'EID_FORBIDDEN' | 'EID_TOO_MANY' | 'EID_TAMPERED' | 'EID_INVALID';
  readonly statusCode: number;
  readonly officer: Bilingual;
  constructor(code: EidError['code'], statusCode: number, officer: Bilingual) {
    super(officer.en);
    this.code = code;
    this.statusCode = statusCode;
    this.officer = officer;
  }
}

export class EidService {
  readonly #options: EidServiceOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #queues = new SessionQueue();

  constructor(options: EidServiceOptions) {
    this.#options = options;
  }

  #now(): string {
    return new Date(this.#options.clock.now()).toISOString();
  }

  /** Drops idle registrations: wipes their bytes and frees their devices. */
  sweep(): string[] {
    const limit = this.#options.clock.monotonic() - (this.#options.idleMs ?? DEFAULT_IDLE_MS);
    const dropped: string[] = [];
    for (const [id, session] of this.#sessions)
      if (session.touchedAt < limit && !this.#queues.busy(id)) {
        this.#drop(id, session, 'The e-ID registration expired', true);
        dropped.push(id);
      }
    return dropped;
  }

  /** Forgets a session in memory (bytes zeroed, devices freed); `expired` also wipes its file. */
  #drop(id: string, session: Session, reason: string, expired: boolean): void {
    this.#sessions.delete(id);
    this.#options.leases?.releaseSession(id, reason);
    wipe(session);
    if (expired) void this.#options.store?.wipe(id).catch(() => undefined);
  }

  /** Wipes registration files idle for longer than the idle time (after a restart, say); their ids. */
  async sweepStored(): Promise<string[]> {
    const store = this.#options.store;
    if (store === undefined) return [];
    const limit = this.#options.clock.now() - (this.#options.idleMs ?? DEFAULT_IDLE_MS);
    const wiped: string[] = [];
    for (const { id, updatedAtMs } of await store.list())
      if (updatedAtMs < limit && !this.#sessions.has(id) && !this.#queues.busy(id)) {
        await store.wipe(id);
        wiped.push(id);
      }
    return wiped;
  }

  /** Saves the session (encrypted) while it is open; wipes its file once it has ended. */
  async #persist(session: Session): Promise<void> {
    const store = this.#options.store;
    if (store === undefined) return;
    const { registration } = session;
    if (
      registration.stage === 'queued' ||
      registration.stage === 'abandoned' ||
      registration.stage === 'refused'
    )
      await store.wipe(registration.id);
    else
      await store.save({
        registration,
        ...(session.key === undefined ? {} : { key: session.key }),
        ...(session.chip === undefined ? {} : { chip: session.chip }),
        ...(session.live === undefined ? {} : { live: session.live }),
      });
  }

  /** Opens a registration for the officer. @throws {EidError} EID_TOO_MANY when every kept one is in use. */
  async start(actor: EidActor): Promise<EidView> {
    this.sweep();
    await this.sweepStored();
    if (this.#sessions.size >= (this.#options.maxSessions ?? 64))
      throw new EidError('EID_TOO_MANY', 503, {
        vi: 'Quá nhiều hồ sơ định danh điện tử đang mở: hoàn tất hoặc hủy bớt rồi thử lại.',
        en: 'Too many e-ID registrations are open: finish or abandon one, then try again.',
      });
    const registration = newRegistration({
      id: randomUUID(),
      packetId: randomUUID(),
      officerId: actor.officerId,
      now: this.#now(),
    });
    const session: Session = { registration, touchedAt: this.#options.clock.monotonic() };
    this.#sessions.set(registration.id, session);
    await this.#persist(session);
    return viewOf(registration);
  }

  /**
   * @throws {EidError} EID_NOT_FOUND, EID_FORBIDDEN (another officer's registration), EID_TAMPERED
   *   and EID_INVALID (its file is refused).
   */
  async view(id: string, actor: EidActor): Promise<EidView> {
    return viewOf((await this.#owned(id, actor)).registration);
  }

  /**
   * The chip portrait (DG2's bytes) for the officer's screen, from the card read until the
   * registration ends (queued, refused or abandoned: its bytes are wiped then); undefined otherwise.
   * @throws {EidError} as view().
   */
  async portrait(id: string, actor: EidActor): Promise<Uint8Array | undefined> {
    const session = await this.#owned(id, actor);
    const ended = ['queued', 'refused', 'abandoned'].includes(session.registration.stage);
    return ended ? undefined : session.chip?.portrait;
  }

  readonly #loading = new Map<string, Promise<Session | undefined>>();

  /** The session in memory, or read back from the store (after a restart). */
  async #session(id: string): Promise<Session | undefined> {
    const known = this.#sessions.get(id);
    if (known !== undefined || this.#options.store === undefined) return known;
    let loading = this.#loading.get(id);
    if (loading === undefined) {
      const store = this.#options.store;
      loading = (async () => {
        let stored: Awaited<ReturnType<EidStore['load']>>;
        try {
          stored = await store.load(id);
        } catch (error) {
          if (!(error instanceof EidStoreError)) throw error;
          throw new EidError(error.code === 'EID_INVALID' ? 'EID_INVALID' : 'EID_TAMPERED', 422, {
            vi: 'Tệp hồ sơ định danh điện tử đã bị thay đổi ngoài ứng dụng hoặc hỏng; không mở được. Báo cán bộ phụ trách.',
            en: 'The e-ID registration file was changed outside the station or is damaged and is refused; report it to the supervisor.',
          });
        }
        if (stored === undefined) return undefined;
        const session: Session = {
          registration: stored.registration,
          ...(stored.key === undefined ? {} : { key: stored.key }),
          ...(stored.chip === undefined ? {} : { chip: stored.chip }),
          ...(stored.live === undefined ? {} : { live: stored.live }),
          touchedAt: this.#options.clock.monotonic(),
        };
        // A second reader that finished first wins: one session object per registration.
        const raced = this.#sessions.get(id);
        if (raced !== undefined) return raced;
        this.#sessions.set(id, session);
        return session;
      })();
      this.#loading.set(id, loading);
      void loading.then(
        () => this.#loading.delete(id),
        () => this.#loading.delete(id),
      );
    }
    return loading;
  }

  async #owned(id: string, actor: EidActor): Promise<Session> {
    this.sweep();
    const session = await this.#session(id);
    if (session === undefined)
      throw new EidError('EID_NOT_FOUND', 404, {
        vi: 'Không có hồ sơ định danh điện tử này (hồ sơ hết hạn sau 30 phút không dùng).',
        en: 'No such e-ID registration (registrations expire after 30 idle minutes).',
      });
    if (session.registration.officerId !== actor.officerId)
      throw new EidError('EID_FORBIDDEN', 403, {
        vi: 'Hồ sơ này thuộc cán bộ khác.',
        en: 'This registration belongs to another officer.',
      });
    return session;
  }

  /**
   * Applies one step at the version the client saw.
   * @throws {EidError} EID_NOT_FOUND, EID_FORBIDDEN.
   */
  async step(
    id: string,
    seenVersion: number,
    request: EidStepRequest,
    actor: EidActor,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<EidStepAnswer> {
    const session = await this.#owned(id, actor);
    // Abandoning frees the devices at once: a card wait or capture in flight ends canceled, so the
    // abandon queued behind it runs, and another session may use the devices.
    if (request.kind === 'abandon')
      this.#options.leases?.releaseSession(id, 'The e-ID registration was abandoned');
    return this.#queues.run(id, () => this.#step(session, seenVersion, request, actor, options.signal));
  }

  async #step(
    session: Session,
    seenVersion: number,
    request: EidStepRequest,
    actor: EidActor,
    signal: AbortSignal | undefined,
  ): Promise<EidStepAnswer> {
    const answer = await this.#run(session, seenVersion, request, actor, signal);
    session.touchedAt = this.#options.clock.monotonic();
    const id = session.registration.id;
    // Saved (fsync'd) before the answer, so a restart resumes at this step; wiped once ended.
    if (answer.ok && !answer.replayed) await this.#persist(session);
    if (answer.ok && (answer.outcome.stage === 'queued' || answer.outcome.stage === 'abandoned'))
      // Nothing more is needed of the bytes; the registration answers replays until it expires.
      wipe(session);
    const audit = this.#options.audit;
    if (audit !== undefined && !(answer.ok && answer.replayed)) {
      const citizen = session.registration.card?.holder?.id12;
      await audit.record({
        actor: actor.officerId,
        action: `eid.${request.kind}`,
        outcome: answer.ok ? (answer.outcome.stage === 'refused' ? 'refused' : 'ok') : 'refused',
        subject: {
          session: id,
          packet: session.registration.packetId,
          ...(citizen === undefined ? {} : { citizen }),
        },
        details: answer.ok
          ? {
              stage: answer.outcome.stage,
              version: answer.outcome.version,
              ...(answer.outcome.refusal === undefined ? {} : { code: answer.outcome.refusal.code }),
            }
          : { code: answer.refusal.code, stage: answer.refusal.stage },
      });
    }
    return answer;
  }

  async #leased<T>(
    session: Session,
    actor: EidActor,
    devices: readonly string[],
    purpose: LeasePurpose,
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const leases = this.#options.leases;
    if (leases === undefined || devices.length === 0) return work(signal);
    return leases.run(
      devices,
      {
        sessionId: session.registration.id,
        officerId: actor.officerId,
        officerName: actor.displayName ?? actor.officerId,
        purpose,
      },
      work,
      signal === undefined ? {} : { signal },
    );
  }

  async #run(
    session: Session,
    seenVersion: number,
    request: EidStepRequest,
    actor: EidActor,
    signal: AbortSignal | undefined,
  ): Promise<EidStepAnswer> {
    const registration = session.registration;
    const digest = createHash('sha256')
      .update(JSON.stringify({ officerId: actor.officerId, request }))
      .digest('hex');
    const checked = precheck(registration, COMMAND_OF[request.kind], seenVersion, digest);
    if (checked.kind === 'refused') return { ok: false, status: 409, refusal: checked.refusal };
    if (checked.kind === 'replay')
      return { ok: true, outcome: checked.outcome, replayed: true, registration: viewOf(registration) };
    const now = this.#now();
    const problem = (
      status: number,
      code: string,
      message: Bilingual,
      details?: Record<string, unknown>,
    ): EidStepAnswer => ({
      ok: false,
      status,
      refusal: { code, message, stage: registration.stage, ...(details === undefined ? {} : { details }) },
    });

    let command: Command;
    let packet: { packetId: string; state: string; sha256: string } | undefined;
    try {
      switch (request.kind) {
        case 'card-key':
          session.key = request.key;
          command = { kind: 'card-key', from: request.key.from };
          break;
        case 'read-card': {
          const key = session.key;
          if (key === undefined) throw new Error('read-card runs only after card-key');
          const read = await this.#leased(
            session,
            actor,
            this.#options.ports.devicesFor({ kind: 'read-card' }),
            'eid.card-read',
            signal,
            (leased) =>
              this.#options.ports.readCard(key, {
                ...(request.reader === undefined ? {} : { reader: request.reader }),
                ...(request.waitMs === undefined ? {} : { waitMs: request.waitMs }),
                ...(leased === undefined ? {} : { signal: leased }),
              }),
          );
          // Keep only what the face step and the application need; the chip's fingers (DG3, read
          // with EAC credentials) are not used here and are wiped at once.
          session.chip = { portrait: read.portrait, sod: read.evidence.sod };
          if (read.dg3.status === 'read') for (const f of read.dg3.fingers) f.pixels?.fill(0);
          if (read.portrait !== undefined) this.#options.ports.preparePortrait?.(read.portrait);
          command = {
            kind: 'card-read',
            card: { ...factsOf(read), central: await centralStatusOf(this.#options.ports.cardStatus, read) },
          };
          break;
        }
        case 'compare-face': {
          const portrait = session.chip?.portrait;
          const compare = this.#options.ports.compareFace;
          if (portrait === undefined)
            throw new Error('compare-face runs only after a card with a portrait was read');
          if (compare === undefined)
            return problem(503, 'EID_NO_FACE_ENGINE', {
              vi: 'Trạm không có bộ so khớp khuôn mặt: không đăng ký được mức 2 tại đây.',
              en: 'This station has no face engine: level-2 registration cannot be done here.',
            });
          const outcome = await this.#leased(
            session,
            actor,
            this.#options.ports.devicesFor({
              kind: 'compare-face',
              ...(request.camera === undefined ? {} : { camera: request.camera }),
            }),
            'eid.face',
            signal,
            async (leased) => {
              const frame = await this.#options.ports.liveFrame(request.camera, leased);
              if (frame === undefined) return undefined;
              return { frame, face: await compare({ image: frame.jpeg }, portrait) };
            },
          );
          if (outcome === undefined)
            return problem(409, 'CAMERA_NOT_READY', {
              vi: 'Máy ảnh chưa có hình: kiểm tra máy ảnh rồi chụp lại.',
              en: 'The camera has no frame: check it and capture again.',
            });
          const { face } = outcome;
          // No face, several faces, an unreadable image: nothing is decided; the officer tries again.
          if (!face.compared)
            return problem(422, 'EID_FACE_NOT_COMPARED', face.message, { reason: face.reason });
          session.live = outcome.frame.jpeg;
          command = {
            kind: 'face',
            face: {
              decision: face.decision,
              distance: face.distance,
              threshold: face.threshold,
              engine: face.engine,
              engineVersion: face.engineVersion,
            },
          };
          break;
        }
        case 'contact': {
          const phone = normaliseMobile(request.phone);
          const email = normaliseEmail(request.email);
          const problems = [phone, email].flatMap((c, i) =>
            c.ok ? [] : [{ field: i === 0 ? '/phone' : '/email', code: c.code, message: c.message }],
          );
          if (problems.length > 0)
            return problem(
              422,
              'CONTACT_INVALID',
              {
                vi: 'Thông tin liên hệ chưa hợp lệ; xem từng trường.',
                en: 'The contact details are not valid; see each field.',
              },
              { problems },
            );
          const { consent } = request;
          if (!consent.phone || !consent.email || !consent.dataProcessing)
            return problem(422, 'CONSENT_REQUIRED', {
              vi: 'Cần công dân đồng ý rõ ràng cho số điện thoại, email và xử lý dữ liệu cá nhân trước khi đăng ký.',
              en: "The citizen's explicit consent to the phone number, the e-mail and the processing of personal data is required.",
            });
          if (consent.textVersion !== EID_CONSENT_TEXT_VERSION)
            return problem(
              409,
              'CONSENT_TEXT_OUTDATED',
              {
                vi: 'Nội dung đồng ý đã được cập nhật: cho công dân xem nội dung mới rồi xác nhận lại.',
                en: `The consent text was updated (now ${EID_CONSENT_TEXT_VERSION}): show the citizen the current text and confirm again.`,
              },
              { expected: EID_CONSENT_TEXT_VERSION },
            );
          if (!phone.ok || !email.ok) throw new Error('unreachable: contact problems are answered above');
          command = {
            kind: 'contact',
            contact: {
              phone: phone.value,
              email: email.value,
              consent: {
                phone: true,
                email: true,
                dataProcessing: true,
                textVersion: consent.textVersion,
                at: now,
              },
            },
          };
          break;
        }
        case 'sign': {
          const grant = await this.#options.signingGrant(
            { officerId: actor.officerId, roles: actor.roles, now },
            request.grant,
          );
          if (!grant.ok)
            return problem(403, 'SIGNING_GRANT_INVALID', {
              vi: 'Cần nhập lại mật khẩu hoặc mã PIN để ký.',
              en: `Signing needs the password or PIN entered again: ${grant.reason}.`,
            });
          command = { kind: 'sign', method: grant.method };
          break;
        }
        case 'submit': {
          await this.#options.audit?.record({
            actor: actor.officerId,
            action: 'eid.sealing',
            outcome: 'ok',
            subject: { session: registration.id, packet: registration.packetId },
          });
          packet = await this.#options.ports.seal(this.#applicationSet(session));
          command = { kind: 'queued' };
          break;
        }
        case 'abandon':
          command = { kind: 'abandon', reason: request.reason };
          break;
      }
    } catch (error) {
      if (error instanceof DeviceInUseError)
        return problem(409, error.code, error.officer, { deviceId: error.deviceId, holder: error.holder });
      if (error instanceof VerificationError)
        return problem(error.statusCode, error.code, error.officer, { ...error.details });
      throw error;
    }
    const step = apply(registration, command, seenVersion, { officerId: actor.officerId, now }, digest);
    if (!step.ok) return { ok: false, status: 409, refusal: step.refusal };
    session.registration = step.registration;
    if (step.registration.stage === 'refused') wipe(session);
    return {
      ok: true,
      outcome: step.outcome,
      replayed: false,
      registration: viewOf(step.registration),
      ...(packet === undefined ? {} : { packet }),
    };
  }

  #applicationSet(session: Session): EidApplicationSet {
    const r = session.registration;
    const { card, face, contact, signature } = r;
    const chip = session.chip;
    const holder = card?.holder;
    if (
      card === undefined ||
      face === undefined ||
      contact === undefined ||
      signature === undefined ||
      chip === undefined ||
      session.live === undefined ||
      holder?.id12 === undefined ||
      card.documentSigner === undefined
    )
      throw new Error(`registration ${r.id} is signed without its card, face or contact`);
    const audit = this.#options.audit?.head();
    return {
      kind: 'eid-level2-application',
      packetId: r.packetId,
      registrationSessionId: r.id,
      environment: this.#options.environment,
      citizen: {
        personalId: holder.id12,
        fullName: (holder.fullName ?? `${holder.surname} ${holder.givenNames}`).normalize('NFC'),
        documentNumber: holder.documentNumber,
        dateOfBirth: holder.dateOfBirth,
        dateOfExpiry: holder.dateOfExpiry,
        sex: holder.sex === 'M' || holder.sex === 'F' || holder.sex === 'X' ? holder.sex : '<',
      },
      chip: {
        accessMethod: card.accessMethod,
        passiveAuthentication: 'valid',
        chipVerdict: 'genuine-chip',
        chipAuthentication: card.chipAuthentication,
        activeAuthentication: card.activeAuthentication,
        documentSigner: card.documentSigner,
        validOn: card.validity.today,
      },
      face: {
        decision: 'same',
        distance: face.distance,
        threshold: face.threshold,
        engine: face.engine,
        engineVersion: face.engineVersion,
      },
      contact: { phone: contact.phone, email: contact.email },
      consent: contact.consent,
      livePortrait: session.live,
      sod: chip.sod,
      stationId: this.#options.stationId,
      officerId: signature.officerId,
      signingMethod: signature.method,
      times: { sessionStartedAt: r.createdAt, signedAt: signature.at },
      auditChainHead: audit?.head ?? '0'.repeat(64),
      ...(audit === undefined ? {} : { audit }),
    };
  }

  /**
   * Forgets every registration in memory (the station closes): their bytes are zeroed and their
   * devices freed; their encrypted files stay, so the next start resumes them.
   */
  close(): void {
    for (const [id, session] of this.#sessions) this.#drop(id, session, 'The station is closing', false);
  }
}

/** Wipes the biometric and chip bytes a session holds. */
function wipe(session: Pick<Session, 'chip' | 'live'>): void {
  session.chip?.portrait?.fill(0);
  session.live?.fill(0);
}

/** What central says of a card: a lost, replaced or revoked card is refused; offline is recorded. */
async function centralStatusOf(
  lookup: ((cardNumber: string) => Promise<CardStatusOutcome>) | undefined,
  read: VerificationRead,
): Promise<NonNullable<CardFacts['central']>> {
  const number = read.holder?.id12;
  if (number === undefined) return { checked: false, reason: 'no 12-digit card number on the chip' };
  if (lookup === undefined) return { checked: false, reason: 'no central link at this station' };
  const answer = await lookup(number);
  switch (answer.kind) {
    case 'answer':
      return { checked: true, status: answer.status, since: answer.since };
    case 'unknown-card':
      return { checked: false, reason: 'central does not know this card' };
    case 'offline':
      return {
        checked: false,
        reason: `central is out of reach (${answer.detail}); it checks the application on arrival`,
      };
    case 'refused':
      return { checked: false, reason: `central refused the question (${answer.code})` };
  }
}

function factsOf(read: VerificationRead): CardFacts {
  return {
    accessMethod: read.accessMethod,
    holder:
      read.holder === undefined
        ? undefined
        : {
            id12: read.holder.id12,
            fullName: read.holder.fullName,
            surname: read.holder.surname,
            givenNames: read.holder.givenNames,
            documentNumber: read.holder.documentNumber,
            dateOfBirth: read.holder.dateOfBirth,
            dateOfExpiry: read.holder.dateOfExpiry,
            sex: read.holder.sex,
          },
    passiveAuthentication: read.passiveAuthentication.verdict,
    chipVerdict: read.chip.verdict,
    chipAuthentication: read.chip.chipAuthentication.status,
    activeAuthentication: read.chip.activeAuthentication.status,
    documentSigner: read.passiveAuthentication.documentSigner,
    validity: { kind: read.validity.kind, valid: read.validity.valid, today: read.validity.today },
    portrait: read.portrait !== undefined,
  };
}

export function viewOf(r: Registration): EidView {
  const next = (Object.keys(COMMAND_OF) as EidStepRequest['kind'][]).filter((kind) =>
    ALLOWED[COMMAND_OF[kind]].includes(r.stage),
  );
  return {
    id: r.id,
    packetId: r.packetId,
    version: r.version,
    stage: r.stage,
    officerId: r.officerId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    keyFrom: r.keyFrom ?? null,
    card: r.card ?? null,
    face: r.face ?? null,
    contact: r.contact ?? null,
    signature: r.signature ?? null,
    refused: r.refused ?? null,
    consentTextVersion: EID_CONSENT_TEXT_VERSION,
    next,
  };
}
