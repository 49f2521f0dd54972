/**
 * The notary's verification workflow: the steps of session.ts with their work, over small ports
 * (the card read, central's card status, the face and finger comparisons, the station signer), so
 * the routes (station/plugins/verification.ts) only translate HTTP.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { OfficerMessage } from '../../../protocol/cccd/text.ts';
import type { PacketSigner } from '../../../protocol/packet/keys.ts';
import type { CardKey } from '../../cards/read-card.ts';
import { signReport } from '../../reports/cms.ts';
import {
  encodeReport,
  REPORT_NOTICE,
  REPORT_SCHEMA,
  REPORT_VERSION,
  type VerificationReport,
} from '../../reports/verification-report.ts';
import type { VerificationRead } from './read.ts';
import { SessionStore, type StepAnswer, type StepName, VerificationError } from './session.ts';
import { decideVerdict, VERDICT_PRECEDENCE, type Verdict } from './verdict.ts';

/** Who is acting: the officer's id and roles (station/auth's session, or the default without it). */
export interface Officer {
  readonly id: string;
  readonly roles: readonly string[];
  /** False when the station runs without accounts. */
  readonly authenticated: boolean;
  /** The account's display name (shown to another officer as "device in use by ..."). */
  readonly displayName?: string;
}

/** The chip's key as the officer gave it. */
export interface CardKeyInput {
  /** MRZ information for PACE-MRZ and BAC; undefined with a CAN alone. */
  readonly mrzInformation: string | undefined;
  readonly can: string | undefined;
  readonly key: CardKey | undefined;
  readonly from: 'numbers' | 'qr' | 'can';
}

/** Central's answer for a card number. */
export type CardStatusOutcome =
  | {
      readonly kind: 'answer';
      readonly status: 'valid' | 'reported-lost' | 'replaced' | 'revoked';
      readonly since: string | null;
      readonly asOf: string | null;
    }
  | { readonly kind: 'unknown-card'; readonly message: OfficerMessage }
  | { readonly kind: 'offline'; readonly detail: string }
  | { readonly kind: 'refused'; readonly code: string; readonly detail: string };

export type FaceOutcome =
  | {
      readonly compared: true;
      readonly decision: 'same' | 'different';
      readonly distance: number;
      readonly threshold: number;
      readonly engine: string;
      readonly engineVersion: string;
    }
  | { readonly compared: false; readonly reason: string; readonly message: OfficerMessage };

export type FingerOutcome =
  | {
      readonly compared: true;
      readonly decision: 'match' | 'no-match' | 'cannot-compare';
      readonly score: number;
      readonly finger: number;
      readonly chipFingerprintsVerified: boolean;
    }
  | { readonly compared: false; readonly reason: string; readonly message: OfficerMessage };

/** A one-use grant to sign (station/auth's reauthentication), or the default without accounts. */
export type SigningGrant =
  | { readonly ok: true; readonly method: string }
  | { readonly ok: false; readonly code: string; readonly message: OfficerMessage };

export interface VerificationPorts {
  readonly stationId: string;
  readonly environment: string;
  readonly clock: { now(): number; monotonic(): number };
  /** Reads and checks the placed card. @throws {VerificationError} with the card's failure code. */
  readonly readCard: (
    key: CardKeyInput,
    options: { reader?: string; waitMs?: number; signal?: AbortSignal },
  ) => Promise<VerificationRead>;
  /** Central's card status; undefined: this station has no central link. Never rejects. */
  readonly cardStatus: ((cardNumber: string) => Promise<CardStatusOutcome>) | undefined;
  /** Compares a live portrait with the chip's; undefined: no face engine. Rejects only on engine faults. */
  readonly compareFace:
    | ((live: { image: Uint8Array } | { camera: string }, chip: Uint8Array) => Promise<FaceOutcome>)
    | undefined;
  /**
   * Starts analysing the chip portrait as soon as the card is read (off the request path), so the
   * face step waits only for the live image. Optional; never rejects.
   */
  readonly preparePortrait?: ((portrait: Uint8Array) => void) | undefined;
  /** Captures a live finger and compares it with the chip's; undefined: no scanner or hot path. */
  readonly compareFinger:
    | ((read: VerificationRead, options: { scanner?: string; finger?: number }) => Promise<FingerOutcome>)
    | undefined;
  /** The station key; undefined: reports cannot be signed here. */
  readonly signer: (() => Promise<PacketSigner>) | undefined;
  /**
   * The audit trail's anchor (sequence number and head) to put in the report before it is signed
   * (station/audit); undefined, or resolving undefined: the report has no `audit` field.
   */
  readonly auditAnchor?:
    | (() => Promise<{ readonly seq: number; readonly head: string } | undefined>)
    | undefined;
  /**
   * Told of every step that ran (not of replays or refusals), for the audit trail. The summary holds
   * no personal data and no biometrics: verdict codes, statuses, the report id.
   */
  readonly onStep?: ((event: StepEvent) => void) | undefined;
}

/** One step that ran, as the audit trail records it. */
export interface StepEvent {
  readonly sessionId: string;
  readonly officerId: string;
  readonly step: StepName;
  readonly version: number;
  readonly outcome: Readonly<Record<string, string | boolean | null>>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The audit's words for a step's result: codes only, never names, numbers or images. */
function stepOutcome(step: StepName, result: unknown): StepEvent['outcome'] {
  const r = (result ?? {}) as Record<string, unknown>;
  const nested = (key: string, field: string) =>
    str((r[key] as Record<string, unknown> | undefined)?.[field]);
  switch (step) {
    case 'card-key':
      return { from: str(r.from) };
    case 'card-read':
      return {
        passiveAuthentication: nested('passiveAuthentication', 'verdict'),
        chip: nested('chip', 'verdict'),
      };
    case 'status':
    case 'face':
    case 'finger':
      return {
        checked: r.checked === true,
        result: str(r.status) ?? str(r.decision) ?? str(r.reason),
      };
    case 'verdict':
      return { verdict: str(r.code) };
    case 'report':
      return { reportId: str(r.reportId), verdict: str(r.verdict) };
  }
}

export interface SessionData {
  readonly officer: Officer;
  readonly key?: CardKeyInput;
  read?: VerificationRead;
  readonly status?: VerificationReport['status'];
  readonly face?: VerificationReport['face'];
  readonly finger?: VerificationReport['finger'];
  readonly verdict?: Verdict;
  readonly report?: {
    readonly report: VerificationReport;
    readonly json: Uint8Array;
    readonly cms: Uint8Array;
  };
}

const notChecked = (reason: string, message: OfficerMessage) => ({
  checked: false as const,
  reason,
  message,
  claim: 'station' as const,
});

const OFFLINE: OfficerMessage = {
  vi: 'Không kết nối được trung tâm: chưa kiểm tra tình trạng thẻ (báo mất, thu hồi). Kiểm tra lại khi có mạng.',
  en: 'Central cannot be reached: the card status (lost, revoked) was not checked. Check again when online.',
};

/** Wipes the biometric bytes a session holds in memory. */
function wipe(data: SessionData): void {
  data.read?.portrait?.fill(0);
  if (data.read?.dg3.status === 'read') for (const f of data.read.dg3.fingers) f.pixels?.fill(0);
}

export class VerificationWorkflow {
  readonly #ports: VerificationPorts;
  readonly #store: SessionStore<SessionData>;

  constructor(ports: VerificationPorts) {
    this.#ports = ports;
    this.#store = new SessionStore<SessionData>({
      newId: randomUUID,
      clock: ports.clock,
      initial: () => ({ officer: { id: 'unknown', roles: [], authenticated: false } }),
      onDrop: wipe,
    });
  }

  /** Starts a session for `officer`. @throws {VerificationError} VERIFICATION_TOO_MANY. */
  create(officer: Officer): ReturnType<VerificationWorkflow['view']> {
    const record = this.#store.create();
    record.data = { officer };
    return this.view(record.id, officer);
  }

  /** @throws {VerificationError} NOT_FOUND, or FORBIDDEN for another officer's session. */
  #owned(id: string, officer: Officer) {
    const record = this.#store.get(id);
    if (record.data.officer.authenticated && record.data.officer.id !== officer.id)
      throw new VerificationError(
        'VERIFICATION_FORBIDDEN',
        403,
        {
          vi: 'Phiên xác minh này thuộc cán bộ khác.',
          en: 'This verification session belongs to another officer.',
        },
        { sessionId: id },
      );
    return record;
  }

  /** The session as the API shows it (no biometrics). */
  view(id: string, officer: Officer) {
    const record = this.#owned(id, officer);
    const d = record.data;
    return {
      sessionId: record.id,
      state: record.state,
      version: record.version,
      createdAt: new Date(record.createdAt).toISOString(),
      officer: { id: d.officer.id },
      card: d.read === undefined ? null : cardSummary(d.read),
      status: d.status ?? null,
      face: d.face ?? null,
      finger: d.finger ?? null,
      verdict: d.verdict ?? null,
      report: d.report === undefined ? null : { reportId: d.report.report.reportId },
    };
  }

  /**
   * The chip portrait (DG2's image bytes, JPEG or JPEG 2000) for the notary's screen, held only until
   * the verdict wipes it. @throws {VerificationError} NOT_FOUND, FORBIDDEN, or VERIFICATION_NO_PORTRAIT
   * when no card was read, the chip had no portrait, or the verdict already wiped it.
   */
  portrait(id: string, officer: Officer): Uint8Array {
    const record = this.#owned(id, officer);
    const portrait = record.data.verdict === undefined ? record.data.read?.portrait : undefined;
    if (portrait === undefined)
      throw new VerificationError(
        'VERIFICATION_NO_PORTRAIT',
        409,
        {
          vi: 'Không có ảnh chân dung từ chip: chưa đọc thẻ, chip không có ảnh, hoặc ảnh đã được xóa sau kết luận.',
          en: 'No chip portrait: no card read yet, the chip has none, or it was wiped after the verdict.',
        },
        { state: record.state },
      );
    return portrait;
  }

  /** The signed report's parts, once the report step ran. @throws {VerificationError} NO_REPORT. */
  report(id: string, officer: Officer): NonNullable<SessionData['report']> {
    const record = this.#owned(id, officer);
    if (record.data.report === undefined)
      throw new VerificationError(
        'VERIFICATION_NO_REPORT',
        409,
        {
          vi: `Chưa có biên bản: phiên đang ở trạng thái ${record.state}.`,
          en: `No report yet: the session is in state ${record.state}.`,
        },
        { state: record.state },
      );
    return record.data.report;
  }

  /** store.run, then onStep for a step that ran. */
  async #run(
    officer: Officer,
    ...args: Parameters<SessionStore<SessionData>['run']>
  ): ReturnType<SessionStore<SessionData>['run']> {
    const answer = await this.#store.run(...args);
    if (!answer.replayed)
      this.#ports.onStep?.({
        sessionId: answer.sessionId,
        officerId: officer.id,
        step: answer.step,
        version: answer.version,
        outcome: stepOutcome(answer.step, answer.result),
      });
    return answer;
  }

  cardKey(id: string, officer: Officer, version: number, key: CardKeyInput) {
    this.#owned(id, officer);
    return this.#run(officer, id, 'card-key', version, async (record) => ({
      data: { officer: record.data.officer, key },
      result: { from: key.from, can: key.can !== undefined, numbers: key.mrzInformation !== undefined },
    }));
  }

  cardRead(
    id: string,
    officer: Officer,
    version: number,
    options: { reader?: string; waitMs?: number; signal?: AbortSignal },
  ) {
    this.#owned(id, officer);
    return this.#run(officer, id, 'card-read', version, async (record) => {
      const key = record.data.key;
      if (key === undefined) throw new Error('card-read runs only after card-key');
      const read = await this.#ports.readCard(key, options);
      if (read.portrait !== undefined) this.#ports.preparePortrait?.(read.portrait);
      return { data: { ...record.data, read }, result: cardSummary(read) };
    });
  }

  status(id: string, officer: Officer, version: number) {
    this.#owned(id, officer);
    return this.#run(officer, id, 'status', version, async (record) => {
      const number = record.data.read?.holder?.id12;
      let status: VerificationReport['status'];
      const lookup = this.#ports.cardStatus;
      if (number === undefined)
        status = {
          checked: false,
          reason: 'no-card-number',
          message: {
            vi: 'Chip không cho số định danh 12 chữ số: không hỏi được trung tâm.',
            en: 'The chip gives no 12-digit ID: central cannot be asked.',
          },
        };
      else if (lookup === undefined) status = { checked: false, reason: 'offline', message: OFFLINE };
      else {
        const answer = await lookup(number);
        status =
          answer.kind === 'answer'
            ? { checked: true, status: answer.status, since: answer.since, asOf: answer.asOf }
            : answer.kind === 'unknown-card'
              ? { checked: false, reason: 'unknown-at-central', message: answer.message }
              : answer.kind === 'offline'
                ? { checked: false, reason: 'offline', message: OFFLINE }
                : {
                    checked: false,
                    reason: answer.code,
                    message: {
                      vi: `Trung tâm từ chối trả lời (${answer.code}): chưa kiểm tra tình trạng thẻ.`,
                      en: `Central refused to answer (${answer.code}): the card status was not checked.`,
                    },
                  };
      }
      return { data: { ...record.data, status }, result: status };
    });
  }

  face(
    id: string,
    officer: Officer,
    version: number,
    input: { image: Uint8Array } | { camera: string } | { skip: string },
  ) {
    this.#owned(id, officer);
    return this.#run(officer, id, 'face', version, async (record) => {
      const portrait = record.data.read?.portrait;
      let face: VerificationReport['face'];
      if ('skip' in input)
        face = notChecked('skipped', {
          vi: `Cán bộ bỏ qua đối chiếu khuôn mặt: ${input.skip}`,
          en: `The officer skipped the face comparison: ${input.skip}`,
        });
      else if (portrait === undefined)
        face = notChecked('no-chip-portrait', {
          vi: 'Chip không có ảnh chân dung đọc được (DG2).',
          en: 'The chip has no readable portrait (DG2).',
        });
      else if (this.#ports.compareFace === undefined)
        face = notChecked('no-face-engine', {
          vi: 'Trạm không có bộ so khớp khuôn mặt.',
          en: 'This station has no face engine.',
        });
      else {
        const outcome = await this.#ports.compareFace(input, portrait);
        face = outcome.compared
          ? {
              checked: true,
              decision: outcome.decision,
              distance: outcome.distance,
              threshold: outcome.threshold,
              engine: outcome.engine,
              engineVersion: outcome.engineVersion,
              advisory: true,
              claim: 'station',
            }
          : notChecked(outcome.reason, outcome.message);
      }
      return { data: { ...record.data, face }, result: face };
    });
  }

  finger(
    id: string,
    officer: Officer,
    version: number,
    input: { skip?: boolean; scanner?: string; finger?: number },
  ) {
    this.#owned(id, officer);
    return this.#run(officer, id, 'finger', version, async (record) => {
      const read = record.data.read;
      let finger: VerificationReport['finger'];
      if (read === undefined) throw new Error('finger runs only after card-read');
      if (input.skip === true)
        finger = notChecked('skipped', {
          vi: 'Cán bộ bỏ qua đối chiếu vân tay.',
          en: 'The officer skipped the fingerprint comparison.',
        });
      else if (read.fingerprints.status !== 'read')
        // Without EAC authorisation (or when the chip refused) DG3 is not there: say why.
        finger = notChecked(read.fingerprints.reason ?? 'unavailable', read.fingerprints.message);
      else if (this.#ports.compareFinger === undefined)
        finger = notChecked('no-scanner', {
          vi: 'Trạm không có máy quét vân tay để đối chiếu.',
          en: 'This station has no fingerprint scanner to compare with.',
        });
      else {
        const outcome = await this.#ports.compareFinger(read, {
          ...(input.scanner === undefined ? {} : { scanner: input.scanner }),
          ...(input.finger === undefined ? {} : { finger: input.finger }),
        });
        finger = outcome.compared
          ? {
              checked: true,
              decision: outcome.decision,
              score: outcome.score,
              finger: outcome.finger,
              chipFingerprintsVerified: outcome.chipFingerprintsVerified,
              claim: 'station',
            }
          : notChecked(outcome.reason, outcome.message);
      }
      return { data: { ...record.data, finger }, result: finger };
    });
  }

  verdict(id: string, officer: Officer, version: number) {
    this.#owned(id, officer);
    return this.#run(officer, id, 'verdict', version, async (record) => {
      const { read, status, face, finger } = record.data;
      if (read === undefined || status === undefined || face === undefined || finger === undefined)
        throw new Error('verdict runs only after finger');
      const verdict = decideVerdict({
        passiveAuthentication: read.passiveAuthentication.verdict,
        chip: read.chip.verdict,
        validity: read.validity.kind,
        status: status.checked
          ? { checked: true, status: status.status as 'valid' | 'reported-lost' | 'replaced' | 'revoked' }
          : { checked: false },
        face: face.checked
          ? { checked: true, decision: face.decision as 'same' | 'different' }
          : { checked: false },
        finger: finger.checked
          ? { checked: true, decision: finger.decision as 'match' | 'no-match' | 'cannot-compare' }
          : { checked: false },
      });
      // The biometric bytes are not needed after the verdict: wiped now, not at expiry.
      wipe(record.data);
      return { data: { ...record.data, verdict }, result: verdict };
    });
  }

  signReport(id: string, officer: Officer, version: number, grant: () => Promise<SigningGrant>) {
    this.#owned(id, officer);
    return this.#run(officer, id, 'report', version, async (record) => {
      const { read, status, face, finger, verdict } = record.data;
      if (
        read === undefined ||
        status === undefined ||
        face === undefined ||
        finger === undefined ||
        verdict === undefined
      )
        throw new Error('report runs only after verdict');
      const signerOf = this.#ports.signer;
      if (signerOf === undefined)
        throw new VerificationError('VERIFICATION_NO_SIGNER', 503, {
          vi: 'Trạm chưa có khóa ký: không ký được biên bản. Báo quản trị viên (station keys).',
          en: 'This station has no signing key: the report cannot be signed. Tell the administrator (station keys).',
        });
      const granted = await grant();
      if (!granted.ok) throw new VerificationError(granted.code, 403, granted.message);
      const now = this.#ports.clock.now();
      const audit = await this.#ports.auditAnchor?.();
      const report = buildReport(record.id, record.data.officer, granted.method, now, this.#ports, {
        read,
        status,
        face,
        finger,
        verdict,
        audit,
      });
      const json = encodeReport(report);
      const cms = await signReport({
        content: json,
        signer: await signerOf(),
        officerId: report.officer.id,
        environment: report.environment,
        signingTime: now,
        sha256: async (data) => new Uint8Array(createHash('sha256').update(data).digest()),
      });
      return {
        data: { ...record.data, report: { report, json, cms } },
        result: {
          reportId: report.reportId,
          verdict: report.verdict.code,
          bytes: { json: json.length, cms: cms.length },
        },
      };
    });
  }

  close(): void {
    this.#store.clear();
  }
}

/** The card as step answers show it (no portrait, no fingers, no raw evidence). */
function cardSummary(read: VerificationRead) {
  return {
    accessMethod: read.accessMethod,
    holder: read.holder ?? null,
    validity: read.validity,
    passiveAuthentication: {
      verdict: read.passiveAuthentication.verdict,
      message: read.passiveAuthentication.message,
      dataGroups: read.passiveAuthentication.dataGroups,
    },
    chip: read.chip,
    fingerprints: { status: read.fingerprints.status, message: read.fingerprints.message },
    portrait: read.portrait !== undefined,
    apdus: read.apdus,
    timings: read.timings,
  };
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function buildReport(
  sessionId: string,
  officer: Officer,
  signingMethod: string,
  now: number,
  ports: VerificationPorts,
  parts: {
    read: VerificationRead;
    status: VerificationReport['status'];
    face: VerificationReport['face'];
    finger: VerificationReport['finger'];
    verdict: Verdict;
    audit: { readonly seq: number; readonly head: string } | undefined;
  },
): VerificationReport {
  const { read } = parts;
  const ev = read.evidence;
  const holder = read.holder;
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    reportId: randomUUID(),
    sessionId,
    stationId: ports.stationId,
    environment: ports.environment,
    createdAt: new Date(now).toISOString(),
    officer: { id: officer.id, authenticated: officer.authenticated, signingMethod },
    verdict: {
      code: parts.verdict.code,
      message: parts.verdict.message,
      findings: parts.verdict.findings,
      precedence: VERDICT_PRECEDENCE,
    },
    card: {
      accessMethod: read.accessMethod,
      holder:
        holder === undefined
          ? null
          : {
              fullName: holder.fullName ?? null,
              surname: holder.surname,
              givenNames: holder.givenNames,
              documentNumber: holder.documentNumber,
              id12: holder.id12 ?? null,
              dateOfBirth: holder.dateOfBirth,
              dateOfExpiry: holder.dateOfExpiry,
              sex: holder.sex,
              nationality: holder.nationality,
              issuingState: holder.issuingState,
            },
      validity: {
        kind: read.validity.kind,
        valid: read.validity.valid,
        dateOfExpiry: read.validity.dateOfExpiry,
        today: read.validity.today,
      },
    },
    chip: {
      passiveAuthentication: {
        verdict: read.passiveAuthentication.verdict,
        dataGroups: read.passiveAuthentication.dataGroups,
        documentSigner: read.passiveAuthentication.documentSigner ?? null,
        csca: read.passiveAuthentication.csca ?? null,
      },
      chipAuthentication: read.chip.chipAuthentication,
      activeAuthentication: read.chip.activeAuthentication,
      verdict: read.chip.verdict,
    },
    status: parts.status,
    face: parts.face,
    finger: parts.finger,
    evidence: {
      sod: b64(ev.sod),
      documentSigner: ev.documentSigner === undefined ? null : b64(ev.documentSigner),
      hashAlgorithm: ev.hashAlgorithm ?? null,
      dataGroupHashes: Object.fromEntries([...ev.dataGroupHashes].map(([n, h]) => [String(n), hexOf(h)])),
      dataGroups: Object.fromEntries([...ev.dataGroups].map(([n, bytes]) => [String(n), b64(bytes)])),
      activeAuthentication:
        ev.activeAuthentication === undefined
          ? null
          : {
              challenge: hexOf(ev.activeAuthentication.challenge),
              signature: hexOf(ev.activeAuthentication.signature),
            },
    },
    notice: REPORT_NOTICE,
    ...(parts.audit === undefined ? {} : { audit: { seq: parts.audit.seq, head: parts.audit.head } }),
  };
}

export type { StepAnswer };
