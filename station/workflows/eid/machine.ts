/**
 * The e-ID level-2 registration's state machine: a registration and the commands that move it,
 * each validated against its stage. No I/O: the service (service.ts) reads the card, compares the
 * face, checks the grant and seals; this file decides what is allowed, what it changes, and when
 * the registration is refused.
 *
 *   started ─card-key→ card-key ─read-card→ card-read ─compare-face→ face-matched
 *           ─contact→ contact ─sign→ signed ─submit→ queued
 *
 * `refused` when the card is not genuine (Passive Authentication not valid, Chip or Active
 * Authentication not proving the chip), not in date, or gives no 12-digit ID; and when the live face
 * is another person than the chip portrait. `abandoned` from any stage before `queued`. The card
 * key may be given again until a card is read; the contact details may be corrected until signed.
 *
 * Idempotency as in the enrollment machine: every command carries the version the client saw; the
 * registration remembers what its last commands did (version, request digest, outcome), so the same
 * request again gets its first outcome and changes nothing; another request at an old version is a
 * conflict answered with the current version.
 */

import { precheckStep } from '../steps.ts';

export const EID_STAGES = [
  'started',
  'card-key',
  'card-read',
  'face-matched',
  'contact',
  'signed',
  'queued',
  'refused',
  'abandoned',
] as const;
export type EidStage = (typeof EID_STAGES)[number];

export interface Bilingual {
  readonly vi: string;
  readonly en: string;
}

/** What the card read established (no biometrics, no raw evidence: the service keeps those). */
export interface CardFacts {
  readonly accessMethod: string;
  readonly holder:
    | {
        readonly id12: string | undefined;
        readonly fullName: string | undefined;
        readonly surname: string;
        readonly givenNames: string;
        readonly documentNumber: string;
        readonly dateOfBirth: string;
        readonly dateOfExpiry: string;
        readonly sex: string;
      }
    | undefined;
  /** Passive Authentication's verdict kind ('valid' when the data is the issuer's). */
  readonly passiveAuthentication: string;
  /** The chip verdict ('genuine-chip' when CA or AA proved the chip with a key PA vouches for). */
  readonly chipVerdict: string;
  readonly chipAuthentication: string;
  readonly activeAuthentication: string;
  readonly documentSigner: string | undefined;
  readonly validity: { readonly kind: string; readonly valid: boolean | null; readonly today: string };
  /** Whether the chip gave a portrait (DG2) to compare with. */
  readonly portrait: boolean;
  /**
   * The card's status at central (the population service): `checked` false when central could not
   * be asked (offline: central checks the application again when it arrives).
   */
  readonly central?:
    | { readonly checked: true; readonly status: string; readonly since: string | null }
    | { readonly checked: false; readonly reason: string };
}

export interface FaceFacts {
  readonly decision: 'same' | 'different';
  readonly distance: number;
  readonly threshold: number;
  readonly engine: string;
  readonly engineVersion: string;
}

export interface ContactFacts {
  /** 0XXXXXXXXX. */
  readonly phone: string;
  readonly email: string;
  readonly consent: {
    readonly phone: true;
    readonly email: true;
    readonly dataProcessing: true;
    readonly textVersion: string;
    /** ISO 8601: when the officer recorded the consent. */
    readonly at: string;
  };
}

export type EidRefusalCode =
  | 'WRONG_STAGE'
  | 'VERSION_CONFLICT'
  | 'EID_CARD_NOT_GENUINE'
  | 'EID_CHIP_NOT_GENUINE'
  | 'EID_CARD_EXPIRED'
  | 'EID_CARD_NOT_VALID_AT_CENTRAL'
  | 'EID_CARD_NO_IDENTITY'
  | 'EID_NO_CHIP_PORTRAIT'
  | 'EID_FACE_MISMATCH';

export interface Outcome {
  readonly version: number;
  readonly stage: EidStage;
  /** Why the registration was refused (stage `refused`). */
  readonly refusal?: { readonly code: EidRefusalCode; readonly message: Bilingual };
}

export interface AppliedCommand {
  readonly version: number;
  readonly digest: string;
  readonly outcome: Outcome;
}

export interface Registration {
  readonly id: string;
  /** Fixed at the start: a retried submit seals the same packet. */
  readonly packetId: string;
  readonly version: number;
  readonly stage: EidStage;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly officerId: string;
  readonly keyFrom?: 'numbers' | 'qr' | 'can';
  readonly card?: CardFacts;
  readonly face?: FaceFacts;
  readonly contact?: ContactFacts;
  readonly signature?: {
    readonly officerId: string;
    readonly method: 'password' | 'pin' | 'token';
    readonly at: string;
  };
  readonly queued?: { readonly at: string };
  readonly refused?: { readonly code: EidRefusalCode; readonly message: Bilingual; readonly at: string };
  readonly abandoned?: { readonly at: string; readonly reason: string };
  readonly applied: readonly AppliedCommand[];
}

/** How many applied commands are kept for replays. */
export const KEPT_COMMANDS = 16;

export type Command =
  | { readonly kind: 'card-key'; readonly from: 'numbers' | 'qr' | 'can' }
  | { readonly kind: 'card-read'; readonly card: CardFacts }
  | { readonly kind: 'face'; readonly face: FaceFacts }
  | { readonly kind: 'contact'; readonly contact: ContactFacts }
  | { readonly kind: 'sign'; readonly method: 'password' | 'pin' | 'token' }
  | { readonly kind: 'queued' }
  | { readonly kind: 'abandon'; readonly reason: string };

export const ALLOWED: Readonly<Record<Command['kind'], readonly EidStage[]>> = {
  'card-key': ['started', 'card-key'],
  'card-read': ['card-key'],
  face: ['card-read'],
  contact: ['face-matched', 'contact'],
  sign: ['contact'],
  queued: ['signed'],
  abandon: ['started', 'card-key', 'card-read', 'face-matched', 'contact', 'signed'],
};

export interface Refusal {
  readonly code: EidRefusalCode;
  readonly message: Bilingual;
  readonly stage: EidStage;
  readonly expected?: { readonly stages?: readonly EidStage[]; readonly version?: number };
}

export type Step =
  | {
      readonly ok: true;
      readonly registration: Registration;
      readonly outcome: Outcome;
      readonly replayed: boolean;
    }
  | { readonly ok: false; readonly refusal: Refusal };

export function newRegistration(init: {
  id: string;
  packetId: string;
  officerId: string;
  now: string;
}): Registration {
  return {
    id: init.id,
    packetId: init.packetId,
    version: 0,
    stage: 'started',
    createdAt: init.now,
    updatedAt: init.now,
    officerId: init.officerId,
    applied: [],
  };
}

/**
 * What to do with a command of `kind` at `seenVersion` with request digest `digest`, before any
 * device is touched: proceed, answer a replay with its first outcome, or refuse.
 */
export function precheck(
  registration: Registration,
  kind: Command['kind'],
  seenVersion: number,
  digest: string,
):
  | { readonly kind: 'proceed' }
  | { readonly kind: 'replay'; readonly outcome: Outcome }
  | { readonly kind: 'refused'; readonly refusal: Refusal } {
  return precheckStep<EidStage, Outcome>(
    registration,
    { kind, allowed: ALLOWED[kind] },
    seenVersion,
    digest,
    'registration',
  );
}

/**
 * Why a card read refuses the registration, or undefined when the card is genuine, in date and
 * names its holder. The first that applies, data integrity first (as the notary's verdict orders it).
 */
const CENTRAL_STATUS_VI: Readonly<Record<string, string>> = {
  'reported-lost': 'đã báo mất',
  replaced: 'đã được thay bằng thẻ mới',
  revoked: 'đã bị thu hồi',
};

export function cardRefusal(card: CardFacts): { code: EidRefusalCode; message: Bilingual } | undefined {
  if (card.passiveAuthentication !== 'valid')
    return {
      code: 'EID_CARD_NOT_GENUINE',
      message: {
        vi: 'Dữ liệu trên chip không được xác thực là của cơ quan cấp (kiểm tra thụ động không đạt): không đăng ký định danh điện tử.',
        en: `The chip's data is not proven to be the issuer's (Passive Authentication: ${card.passiveAuthentication}): the e-ID registration is refused.`,
      },
    };
  if (card.chipVerdict !== 'genuine-chip')
    return {
      code: 'EID_CHIP_NOT_GENUINE',
      message: {
        vi: 'Không chứng minh được chip là chip thật (xác thực chip / xác thực chủ động không đạt): không đăng ký định danh điện tử.',
        en: `The chip is not proven genuine (Chip/Active Authentication: ${card.chipVerdict}): the e-ID registration is refused.`,
      },
    };
  if (card.validity.valid !== true)
    return {
      code: 'EID_CARD_EXPIRED',
      message: {
        vi: 'Thẻ đã hết hạn hoặc không xác định được hạn: công dân cần đổi thẻ trước.',
        en: `The card is ${card.validity.kind === 'expired' ? 'expired' : 'of unknown validity'}: the citizen must renew it first.`,
      },
    };
  if (card.central?.checked === true && card.central.status !== 'valid')
    return {
      code: 'EID_CARD_NOT_VALID_AT_CENTRAL',
      message: {
        vi: `Thẻ này không còn giá trị theo cơ sở dữ liệu (${CENTRAL_STATUS_VI[card.central.status] ?? card.central.status}): không đăng ký định danh điện tử bằng thẻ này.`,
        en: `Central records this card as ${card.central.status}: the e-ID registration is refused with it.`,
      },
    };
  if (card.holder?.id12 === undefined)
    return {
      code: 'EID_CARD_NO_IDENTITY',
      message: {
        vi: 'Chip không cho số định danh cá nhân 12 chữ số.',
        en: 'The chip gives no 12-digit personal ID.',
      },
    };
  if (!card.portrait)
    return {
      code: 'EID_NO_CHIP_PORTRAIT',
      message: {
        vi: 'Chip không có ảnh chân dung để đối chiếu khuôn mặt.',
        en: 'The chip holds no portrait to compare the face with.',
      },
    };
  return undefined;
}

/**
 * Applies `command` at the version the client saw. A replay (the same request digest at an older,
 * remembered version) returns its first outcome with the registration unchanged.
 */
export function apply(
  registration: Registration,
  command: Command,
  seenVersion: number,
  actor: { readonly officerId: string; readonly now: string },
  requestDigest: string,
): Step {
  const checked = precheck(registration, command.kind, seenVersion, requestDigest);
  if (checked.kind === 'replay') return { ok: true, registration, outcome: checked.outcome, replayed: true };
  if (checked.kind === 'refused') return { ok: false, refusal: checked.refusal };
  const changed = transition(registration, command, actor);
  const next: Registration = { ...changed, version: registration.version + 1, updatedAt: actor.now };
  const outcome: Outcome = {
    version: next.version,
    stage: next.stage,
    ...(next.stage === 'refused' && next.refused !== undefined
      ? { refusal: { code: next.refused.code, message: next.refused.message } }
      : {}),
  };
  const applied = [
    ...registration.applied,
    { version: registration.version, digest: requestDigest, outcome },
  ].slice(-KEPT_COMMANDS);
  return { ok: true, registration: { ...next, applied }, outcome, replayed: false };
}

function transition(
  r: Registration,
  command: Command,
  actor: { officerId: string; now: string },
): Registration {
  switch (command.kind) {
    case 'card-key':
      return { ...r, keyFrom: command.from, stage: 'card-key' };
    case 'card-read': {
      const refusal = cardRefusal(command.card);
      return refusal === undefined
        ? { ...r, card: command.card, stage: 'card-read' }
        : { ...r, card: command.card, stage: 'refused', refused: { ...refusal, at: actor.now } };
    }
    case 'face':
      if (command.face.decision === 'same') return { ...r, face: command.face, stage: 'face-matched' };
      return {
        ...r,
        face: command.face,
        stage: 'refused',
        refused: {
          code: 'EID_FACE_MISMATCH',
          message: {
            vi: 'Khuôn mặt người đăng ký không khớp với ảnh trên chip: không đăng ký định danh điện tử cho người này.',
            en: 'The live face does not match the chip portrait: the e-ID registration is refused for this person.',
          },
          at: actor.now,
        },
      };
    case 'contact':
      return { ...r, contact: command.contact, stage: 'contact' };
    case 'sign':
      return {
        ...r,
        signature: { officerId: actor.officerId, method: command.method, at: actor.now },
        stage: 'signed',
      };
    case 'queued':
      return { ...r, queued: { at: actor.now }, stage: 'queued' };
    case 'abandon':
      return {
        ...r,
        abandoned: { at: actor.now, reason: command.reason.normalize('NFC') },
        stage: 'abandoned',
      };
  }
}
