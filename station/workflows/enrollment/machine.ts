/**
 * The enrollment state machine: a draft and the commands that move it, every one validated against
 * the stage the draft is in. No I/O: the service (service.ts) captures, checks and stores; this file
 * decides what is allowed and what it changes.
 *
 * Stages, in order:
 *
 *   type → prefill (renewal, re-issue, correction) → demographics → portrait → fingerprints
 *        → review → signed → [approved] → queued
 *
 * and `abandoned` from any stage before `queued`. Going back is explicit: recapturing a slap from
 * `review` returns the draft to `fingerprints` (the set checks must run again); editing the
 * demographics is allowed up to `review`. Once signed, the content is frozen: the signature and any
 * approval are bound to the draft's digest, and a change would need a new signature.
 *
 * Idempotency: every command carries the draft version the client saw. The draft keeps what the
 * last commands did (their version, the digest of the command and the outcome), so a command
 * replayed with an old version (a double click, a retried request after a lost answer) gets the
 * outcome it got the first time and changes nothing. A different command at an old version is a
 * conflict, answered with the current version.
 */
import { createHash } from 'node:crypto';
import type { EnrollmentType } from '../../../protocol/packet/manifest.ts';
import type { PortraitCapture, SlapCapture, SlapHand } from '../../packets/capture-set.ts';
import { precheckStep } from '../steps.ts';
import type { Bilingual, Demographics } from './demographics.ts';

export const STAGES = [
  'type',
  'prefill',
  'demographics',
  'portrait',
  'fingerprints',
  'review',
  'signed',
  'approved',
  'queued',
  'abandoned',
] as const;
export type Stage = (typeof STAGES)[number];

export const HANDS: readonly SlapHand[] = ['right', 'left', 'thumbs'];
/** The finger positions each slap holds (ANSI/NIST FGP). */
export const HAND_POSITIONS: Readonly<Record<SlapHand, readonly number[]>> = {
  right: [2, 3, 4, 5],
  left: [7, 8, 9, 10],
  thumbs: [1, 6],
};

export type ExceptionReason = 'amputated' | 'bandaged' | 'unable-to-print' | 'other';

/** A finger the officer declares cannot be captured, and who confirmed it. */
export interface FingerException {
  readonly position: number;
  readonly reason: ExceptionReason;
  readonly note?: string;
  readonly confirmedBy: string;
  readonly at: string;
}

/** One slap: the best attempt so far (by its weakest finger's score) and how many were made. */
export interface SlapEntry {
  readonly best: SlapCapture;
  /** The best attempt's weakest finger score, 0-100. */
  readonly minScore: number;
  readonly attempts: number;
}

/** A station-side check's finding as the workflow keeps it (protocol/fingerprint/set-checks.ts). */
export interface CheckFinding {
  readonly code: string;
  /** Whether it stops the enrollment until the slaps it names are captured again. */
  readonly blocking: boolean;
  /** The slaps to capture again. */
  readonly hands: readonly SlapHand[];
  readonly message: Bilingual;
}

export interface PrefillRecord {
  /** Where the prefill came from. */
  readonly source: 'card' | 'qr' | 'population' | 'none';
  /** What the old card or the population database says (NFC text), field by field. */
  readonly record: Readonly<Record<string, string>>;
  /** The old card's number, when read. */
  readonly cardNumber?: string;
  /** What the old card's QR code says (source 'qr'), field by field, beside the database's record. */
  readonly card?: Readonly<Record<string, string>>;
  /** Why there is no prefill (source 'none'): e.g. the card was lost and the lookup found nobody. */
  readonly reason?: string;
}

/** Who signed, how they proved it again, and over what. */
export interface Signature {
  readonly officerId: string;
  readonly method: 'password' | 'pin' | 'token';
  readonly at: string;
  /** The draft digest (digestOf) at signing, SHA-256 hex. */
  readonly digest: string;
}

export interface Approval {
  readonly supervisorId: string;
  readonly at: string;
  readonly digest: string;
  /** The rules that required it. */
  readonly rules: readonly string[];
}

/** A command applied, for replays: its version before, its digest, and what it answered. */
export interface AppliedCommand {
  readonly version: number;
  readonly digest: string;
  readonly outcome: Outcome;
}

export interface Draft {
  readonly format: 1;
  /** The enrollment session's id (UUID). */
  readonly id: string;
  /** The packet id, fixed at the start: a rebuilt packet keeps it. */
  readonly packetId: string;
  readonly version: number;
  readonly stage: Stage;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The officer who opened it. */
  readonly officerId: string;
  readonly type?: EnrollmentType;
  readonly prefill?: PrefillRecord;
  readonly demographics?: Demographics;
  readonly portrait?: { readonly capture: PortraitCapture; readonly attempts: number };
  readonly slaps: Readonly<Partial<Record<SlapHand, SlapEntry>>>;
  readonly exceptions: readonly FingerException[];
  /** The last set check, and the slap attempts it saw (a recapture makes it stale). */
  readonly checks?: {
    readonly findings: readonly CheckFinding[];
    readonly at: string;
    readonly attempts: string;
  };
  readonly signature?: Signature;
  readonly approval?: Approval;
  /** Why approval is needed (empty: not needed), fixed at signing. */
  readonly approvalRules?: readonly string[];
  readonly queued?: { readonly at: string };
  readonly abandoned?: { readonly at: string; readonly reason: string };
  /** The last commands applied (at most KEPT_COMMANDS), for replays. */
  readonly applied: readonly AppliedCommand[];
}

/** How many applied commands are kept for replays. */
export const KEPT_COMMANDS = 32;

/** The rules that make a supervisor's approval necessary (from the station configuration). */
export interface ApprovalPolicy {
  /** Any finger declared not captured. */
  readonly onExceptions: boolean;
  /** Any kept finger scoring below this (0: never). */
  readonly belowScore: number;
  /** Corrections of data. */
  readonly onCorrection: boolean;
}

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  onExceptions: true,
  belowScore: 40,
  onCorrection: true,
};

export interface MachineLimits {
  /** Captures allowed per slap and for the portrait (the best is kept). */
  readonly maxAttempts: number;
}

export const DEFAULT_LIMITS: MachineLimits = { maxAttempts: 3 };

export type Command =
  | { readonly kind: 'choose-type'; readonly type: EnrollmentType }
  | { readonly kind: 'prefill'; readonly prefill: PrefillRecord }
  | { readonly kind: 'demographics'; readonly demographics: Demographics }
  | { readonly kind: 'portrait'; readonly capture: PortraitCapture }
  | { readonly kind: 'slap'; readonly capture: SlapCapture }
  | {
      readonly kind: 'exception';
      readonly position: number;
      readonly reason: ExceptionReason;
      readonly note?: string;
      readonly confirmed: boolean;
    }
  | { readonly kind: 'withdraw-exception'; readonly position: number }
  | { readonly kind: 'checks'; readonly findings: readonly CheckFinding[]; readonly attempts: string }
  | { readonly kind: 'sign'; readonly method: Signature['method'] }
  | { readonly kind: 'approve'; readonly digest: string }
  | { readonly kind: 'queued' }
  | { readonly kind: 'abandon'; readonly reason: string };

/** Who acts, and when. */
export interface Actor {
  readonly officerId: string;
  readonly roles: readonly string[];
  readonly now: string;
}

/** What a command did: the draft's version and stage after it, and anything it found. */
export interface Outcome {
  readonly version: number;
  readonly stage: Stage;
  readonly findings?: readonly CheckFinding[];
  readonly note?: Bilingual;
}

export type RefusalCode =
  | 'WRONG_STAGE'
  | 'VERSION_CONFLICT'
  | 'MAX_ATTEMPTS'
  | 'EXCEPTION_UNCONFIRMED'
  | 'EXCEPTION_POSITION'
  | 'FINGER_MISSING'
  | 'CHECKS_STALE'
  | 'CHECKS_BLOCKING'
  | 'APPROVER_IS_SIGNER'
  | 'APPROVAL_DIGEST'
  | 'APPROVAL_NOT_REQUIRED'
  | 'APPROVAL_REQUIRED'
  | 'ROLE_REQUIRED'
  | 'TYPE_MISMATCH';

export interface Refusal {
  readonly code: RefusalCode;
  readonly message: Bilingual;
  /** WRONG_STAGE: the stages the command is allowed in; VERSION_CONFLICT: the current version. */
  readonly expected?: { readonly stages?: readonly Stage[]; readonly version?: number };
  readonly stage: Stage;
}

export type Step =
  | { readonly ok: true; readonly draft: Draft; readonly outcome: Outcome; readonly replayed: boolean }
  | { readonly ok: false; readonly refusal: Refusal };

/** A new draft in stage `type`. */
export function newDraft(init: { id: string; packetId: string; officerId: string; now: string }): Draft {
  return {
    format: 1,
    id: init.id,
    packetId: init.packetId,
    version: 0,
    stage: 'type',
    createdAt: init.now,
    updatedAt: init.now,
    officerId: init.officerId,
    slaps: {},
    exceptions: [],
    applied: [],
  };
}

/** Where each command may be applied. */
export const ALLOWED: Readonly<Record<Command['kind'], readonly Stage[]>> = {
  'choose-type': ['type'],
  prefill: ['prefill'],
  demographics: ['demographics', 'portrait', 'fingerprints', 'review'],
  portrait: ['portrait', 'fingerprints', 'review'],
  slap: ['fingerprints', 'review'],
  exception: ['fingerprints', 'review'],
  'withdraw-exception': ['fingerprints', 'review'],
  checks: ['fingerprints', 'review'],
  sign: ['review'],
  approve: ['signed'],
  queued: ['signed', 'approved'],
  abandon: ['type', 'prefill', 'demographics', 'portrait', 'fingerprints', 'review', 'signed', 'approved'],
};

/**
 * What to do with a command of `kind` sent at `seenVersion` with identity `digest`, before anything
 * is done for it: proceed, answer a replay with its first outcome, or refuse (a version conflict,
 * or a stage that does not allow it). The service asks this before touching a device.
 */
export function precheck(
  draft: Draft,
  kind: Command['kind'],
  seenVersion: number,
  digest: string,
):
  | { readonly kind: 'proceed' }
  | { readonly kind: 'replay'; readonly outcome: Outcome }
  | { readonly kind: 'refused'; readonly refusal: Refusal } {
  return precheckStep<Stage, Outcome>(draft, { kind, allowed: ALLOWED[kind] }, seenVersion, digest, 'draft');
}

/**
 * Applies `command` to `draft` at the version the client saw. A replay (same command, older
 * version, still remembered) returns its first outcome with the draft unchanged. `requestDigest`
 * identifies the request for replays when the command itself differs between tries (a capture's
 * pixels); by default the command's own digest.
 */
export function apply(
  draft: Draft,
  command: Command,
  seenVersion: number,
  actor: Actor,
  options: {
    readonly policy?: ApprovalPolicy;
    readonly limits?: MachineLimits;
    readonly requestDigest?: string;
  } = {},
): Step {
  const digest = options.requestDigest ?? commandDigest(command, actor.officerId);
  const checked = precheck(draft, command.kind, seenVersion, digest);
  if (checked.kind === 'replay') return { ok: true, draft, outcome: checked.outcome, replayed: true };
  if (checked.kind === 'refused') return { ok: false, refusal: checked.refusal };
  const changed = transition(
    draft,
    command,
    actor,
    options.policy ?? DEFAULT_APPROVAL_POLICY,
    options.limits ?? DEFAULT_LIMITS,
  );
  if (!changed.ok) return changed;
  const next: Draft = { ...changed.draft, version: draft.version + 1, updatedAt: actor.now };
  const outcome: Outcome = {
    version: next.version,
    stage: next.stage,
    ...(changed.findings === undefined ? {} : { findings: changed.findings }),
    ...(changed.note === undefined ? {} : { note: changed.note }),
  };
  const applied = [...draft.applied, { version: draft.version, digest, outcome }].slice(-KEPT_COMMANDS);
  return { ok: true, draft: { ...next, applied }, outcome, replayed: false };
}

type Changed =
  | { ok: true; draft: Draft; findings?: readonly CheckFinding[]; note?: Bilingual }
  | { ok: false; refusal: Refusal };

function transition(
  draft: Draft,
  command: Command,
  actor: Actor,
  policy: ApprovalPolicy,
  limits: MachineLimits,
): Changed {
  switch (command.kind) {
    case 'choose-type':
      return {
        ok: true,
        draft: {
          ...draft,
          type: command.type,
          stage: command.type === 'first-issue' ? 'demographics' : 'prefill',
        },
      };
    case 'prefill':
      return { ok: true, draft: { ...draft, prefill: command.prefill, stage: 'demographics' } };
    case 'demographics':
      return {
        ok: true,
        draft: {
          ...draft,
          demographics: command.demographics,
          stage: draft.stage === 'demographics' ? 'portrait' : draft.stage,
        },
      };
    case 'portrait': {
      const attempts = (draft.portrait?.attempts ?? 0) + 1;
      if (attempts > limits.maxAttempts)
        return refused(
          draft,
          'MAX_ATTEMPTS',
          `Đã chụp ảnh chân dung ${limits.maxAttempts} lần; ảnh tốt nhất được giữ.`,
          `The portrait was taken ${limits.maxAttempts} times, the most allowed; the best is kept.`,
        );
      // The service keeps only portraits that passed the ICAO checks, so the latest one is the best.
      return {
        ok: true,
        draft: {
          ...draft,
          portrait: { capture: { ...command.capture, attempts }, attempts },
          stage: draft.stage === 'portrait' ? 'fingerprints' : draft.stage,
        },
      };
    }
    case 'slap': {
      const hand = command.capture.hand;
      const entry = draft.slaps[hand];
      const attempts = (entry?.attempts ?? 0) + 1;
      if (attempts > limits.maxAttempts)
        return refused(
          draft,
          'MAX_ATTEMPTS',
          `Đã lấy vân tay ${HAND_NAMES[hand].vi} ${limits.maxAttempts} lần; lần tốt nhất được giữ. Nếu ngón không lấy được, khai báo ngoại lệ.`,
          `The ${HAND_NAMES[hand].en} was captured ${limits.maxAttempts} times, the most allowed; the best is kept. Declare an exception for a finger that cannot be printed.`,
        );
      const excepted = new Set(draft.exceptions.map((e) => e.position));
      const missing = HAND_POSITIONS[hand].filter(
        (p) => !excepted.has(p) && !command.capture.fingers.some((f) => f.position === p),
      );
      if (missing.length > 0)
        return refused(
          draft,
          'FINGER_MISSING',
          `Thiếu ngón ${missing.join(', ')}: lấy lại, hoặc khai báo ngoại lệ trước.`,
          `Finger(s) ${missing.join(', ')} missing from the slap: capture it again, or declare an exception first.`,
        );
      const minScore = Math.min(...command.capture.fingers.map((f) => f.score), 100);
      const keep = entry === undefined || minScore > entry.minScore;
      const best = keep ? command.capture : entry.best;
      return {
        ok: true,
        draft: {
          ...draft,
          slaps: {
            ...draft.slaps,
            [hand]: { best: { ...best, attempts }, minScore: keep ? minScore : entry.minScore, attempts },
          },
          stage: 'fingerprints',
        },
        ...(keep
          ? {}
          : {
              note: {
                vi: 'Lần lấy trước tốt hơn và được giữ.',
                en: `The earlier capture was better (weakest finger ${entry.minScore} against ${minScore}) and is kept.`,
              },
            }),
      };
    }
    case 'exception': {
      if (!command.confirmed)
        return refused(
          draft,
          'EXCEPTION_UNCONFIRMED',
          'Cán bộ phải xác nhận ngoại lệ.',
          'The officer must confirm the exception.',
        );
      if (!Number.isInteger(command.position) || command.position < 1 || command.position > 10)
        return refused(
          draft,
          'EXCEPTION_POSITION',
          'Vị trí ngón từ 1 đến 10.',
          'A finger position is 1 to 10.',
        );
      const others = draft.exceptions.filter((e) => e.position !== command.position);
      const exception: FingerException = {
        position: command.position,
        reason: command.reason,
        ...(command.note === undefined ? {} : { note: command.note.normalize('NFC') }),
        confirmedBy: actor.officerId,
        at: actor.now,
      };
      return {
        ok: true,
        draft: {
          ...draft,
          exceptions: [...others, exception].sort((a, b) => a.position - b.position),
          stage: 'fingerprints',
        },
      };
    }
    case 'withdraw-exception':
      return {
        ok: true,
        draft: {
          ...draft,
          exceptions: draft.exceptions.filter((e) => e.position !== command.position),
          stage: 'fingerprints',
        },
      };
    case 'checks': {
      if (command.attempts !== attemptsKey(draft))
        return refused(
          draft,
          'CHECKS_STALE',
          'Vân tay đã thay đổi trong lúc kiểm tra; kiểm tra lại.',
          'The slaps changed while the checks ran; run them again.',
        );
      const missing = HANDS.filter((h) => draft.slaps[h] === undefined && !allExcepted(draft, h));
      if (missing.length > 0)
        return refused(
          draft,
          'FINGER_MISSING',
          `Chưa lấy: ${missing.map((h) => HAND_NAMES[h].vi).join(', ')}.`,
          `Not captured yet: ${missing.map((h) => HAND_NAMES[h].en).join(', ')}.`,
        );
      const blocking = command.findings.some((f) => f.blocking);
      return {
        ok: true,
        draft: {
          ...draft,
          checks: { findings: command.findings, at: actor.now, attempts: command.attempts },
          stage: blocking ? 'fingerprints' : 'review',
        },
        findings: command.findings,
      };
    }
    case 'sign': {
      if (draft.checks === undefined || draft.checks.attempts !== attemptsKey(draft))
        return refused(
          draft,
          'CHECKS_STALE',
          'Chưa kiểm tra bộ vân tay hiện tại.',
          'The set checks have not run on the current slaps.',
        );
      if (draft.checks.findings.some((f) => f.blocking))
        return refused(
          draft,
          'CHECKS_BLOCKING',
          'Còn lỗi vân tay chưa xử lý; lấy lại các lần được chỉ ra.',
          'A fingerprint finding is unresolved; capture the slaps it names again.',
        );
      const rules = approvalRules(draft, policy);
      const digest = digestOf(draft);
      return {
        ok: true,
        draft: {
          ...draft,
          signature: { officerId: actor.officerId, method: command.method, at: actor.now, digest },
          approvalRules: rules,
          stage: 'signed',
        },
      };
    }
    case 'approve': {
      if (!actor.roles.includes('supervisor'))
        return refused(draft, 'ROLE_REQUIRED', 'Cần lãnh đạo phê duyệt.', 'Approval takes a supervisor.');
      if ((draft.approvalRules ?? []).length === 0)
        return refused(
          draft,
          'APPROVAL_NOT_REQUIRED',
          'Hồ sơ này không cần phê duyệt.',
          'This enrollment needs no approval.',
        );
      if (draft.signature?.officerId === actor.officerId)
        return refused(
          draft,
          'APPROVER_IS_SIGNER',
          'Người phê duyệt phải khác người ký.',
          'The approver must be someone other than the officer who signed.',
        );
      if (command.digest !== draft.signature?.digest || command.digest !== digestOf(draft))
        return refused(
          draft,
          'APPROVAL_DIGEST',
          'Phê duyệt không khớp với hồ sơ đã ký; tải lại hồ sơ.',
          'The approval is for other content than what was signed; reload the draft.',
        );
      return {
        ok: true,
        draft: {
          ...draft,
          approval: {
            supervisorId: actor.officerId,
            at: actor.now,
            digest: command.digest,
            rules: draft.approvalRules ?? [],
          },
          stage: 'approved',
        },
      };
    }
    case 'queued':
      if (draft.stage === 'signed' && (draft.approvalRules ?? []).length > 0)
        return refused(
          draft,
          'APPROVAL_REQUIRED',
          `Cần phê duyệt (${(draft.approvalRules ?? []).join(', ')}) trước khi gửi.`,
          `A supervisor must approve (${(draft.approvalRules ?? []).join(', ')}) before the packet is queued.`,
        );
      return { ok: true, draft: { ...draft, queued: { at: actor.now }, stage: 'queued' } };
    case 'abandon':
      return {
        ok: true,
        draft: {
          ...draft,
          abandoned: { at: actor.now, reason: command.reason.normalize('NFC') },
          stage: 'abandoned',
        },
      };
  }
}

function refused(draft: Draft, code: RefusalCode, vi: string, en: string): Changed {
  return { ok: false, refusal: { code, message: { vi, en }, stage: draft.stage } };
}

export const HAND_NAMES: Readonly<Record<SlapHand, Bilingual>> = {
  right: { vi: 'bốn ngón tay phải', en: 'right four-finger slap' },
  left: { vi: 'bốn ngón tay trái', en: 'left four-finger slap' },
  thumbs: { vi: 'hai ngón cái', en: 'two thumbs' },
};

/** Every hand captured, or all of its fingers declared exceptions: the set checks can run. */
export function setComplete(draft: Draft): boolean {
  return HANDS.every((h) => draft.slaps[h] !== undefined || allExcepted(draft, h));
}

function allExcepted(draft: Draft, hand: SlapHand): boolean {
  const excepted = new Set(draft.exceptions.map((e) => e.position));
  return HAND_POSITIONS[hand].every((p) => excepted.has(p));
}

/**
 * Identifies the slap attempts a set check ran on: the attempt count of each hand. A recapture
 * changes it, so a check that ran before the recapture is stale.
 */
export function attemptsKey(draft: Draft): string {
  return HANDS.map((h) => `${h}:${draft.slaps[h]?.attempts ?? 0}`).join(',');
}

/** The approval rules this draft meets (empty: no approval needed). */
export function approvalRules(draft: Draft, policy: ApprovalPolicy): string[] {
  const rules: string[] = [];
  if (policy.onExceptions && draft.exceptions.length > 0) rules.push('finger-exception');
  if (
    policy.belowScore > 0 &&
    HANDS.some((h) => {
      const entry = draft.slaps[h];
      return entry !== undefined && entry.minScore < policy.belowScore;
    })
  )
    rules.push('low-quality');
  if (policy.onCorrection && draft.type === 'correction') rules.push('correction');
  return rules;
}

/**
 * SHA-256 over what the enrollment says: its type, demographics, prefill source, the portrait and
 * every kept image (by their bytes' hashes), the exceptions and the checks. Not the version, the
 * history or the signature: the signature and the approval are over this.
 */
export function digestOf(draft: Draft): string {
  const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const content = {
    id: draft.id,
    packetId: draft.packetId,
    type: draft.type ?? null,
    prefill:
      draft.prefill === undefined
        ? null
        : { source: draft.prefill.source, cardNumber: draft.prefill.cardNumber ?? null },
    demographics: draft.demographics ?? null,
    portrait: draft.portrait === undefined ? null : sha(draft.portrait.capture.jpeg),
    slaps: HANDS.map((h) => {
      const entry = draft.slaps[h];
      return entry === undefined
        ? null
        : {
            hand: h,
            wsq: sha(entry.best.wsq),
            fingers: entry.best.fingers.map((f) => [f.position, f.score, sha(f.wsq)]),
          };
    }),
    exceptions: draft.exceptions.map((e) => [e.position, e.reason, e.note ?? '']),
    findings: draft.checks?.findings.map((f) => f.code) ?? [],
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** A command's identity for replays: its canonical JSON (bytes hashed) with who sent it. */
export function commandDigest(command: Command, officerId: string): string {
  return createHash('sha256').update(canonicalJson({ officerId, command })).digest('hex');
}

/** JSON with object keys sorted and byte arrays replaced by their SHA-256, so equal content hashes equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return { sha256: createHash('sha256').update(value).digest('hex') };
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}
