/**
 * The simulated central service's intake (issue 18, protocol/central/CONTRACT.md): judge one packet's
 * bytes for the station that sent them, commit the decision durably, and sign the statement
 * (a receipt or a refusal) that is answered. Transport-free: the tus hooks (https.ts) and the
 * removable-media ingest (ingest.ts) both call `Intake.accept`.
 *
 * Order, per packet: digest check; open and verify (decrypt with each key-transport key in turn,
 * signature, chain to the station CA, signing time, manifest, images); the signer must be a
 * certificate the uploading station registered, valid at signing time and not revoked at it; then,
 * one commit at a time: a packet already committed answers its stored statement (no second order);
 * a second packet of a committed enrollment session is received but held; the statement is signed
 * and committed with the packet (store.ts), the raw log line fsync'd, and only then answered.
 */
import { createHash, sign } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import {
  type AuditAnchorField,
  joinStatement,
  type Receipt,
  type Refusal,
  type Statement,
  type StatementMessage,
  statementSigningInput,
} from '../../protocol/central/statement.ts';
import type { PacketCrypto } from '../../protocol/packet/crypto.ts';
import { sessionIdOf } from '../../protocol/packet/eid-manifest.ts';
import type { PacketDecryptor } from '../../protocol/packet/keys.ts';
import { type OpenAnyPacketResult, openAnyPacket, type PacketRejection } from '../../protocol/packet/open.ts';
import type { Opened, PacketOpener } from './opener.ts';
import type { StatementKey } from './pki.ts';
import { type CentralStore, normalizeSerial, type PacketIndex } from './store.ts';

export type RefusalCode =
  | 'CENTRAL_PACKET_UNREADABLE'
  | 'CENTRAL_SIGNATURE_INVALID'
  | 'CENTRAL_SIGNER_UNTRUSTED'
  | 'CENTRAL_SIGNER_REVOKED'
  | 'CENTRAL_SIGNING_TIME_INVALID'
  | 'CENTRAL_MANIFEST_INVALID'
  | 'CENTRAL_WRONG_ENVIRONMENT'
  | 'CENTRAL_PACKET_ID_MISMATCH'
  | 'CENTRAL_TEST_PACKET_IN_PRODUCTION';

export const REFUSAL_MESSAGES: Readonly<Record<RefusalCode, StatementMessage>> = {
  CENTRAL_PACKET_UNREADABLE: {
    vi: 'Trung tâm không đọc được gói hồ sơ (hỏng hoặc mã hóa cho nơi nhận khác). Cần thu nhận lại hồ sơ.',
    en: 'Central cannot read the packet (damaged, or encrypted for another recipient). Enroll again.',
  },
  CENTRAL_SIGNATURE_INVALID: {
    vi: 'Chữ ký của gói hồ sơ không hợp lệ (nội dung đã bị thay đổi). Cần thu nhận lại hồ sơ.',
    en: 'The packet signature does not verify (its content was altered). Enroll again.',
  },
  CENTRAL_SIGNER_UNTRUSTED: {
    vi: 'Chứng thư ký gói không phải của trạm đã đăng ký. Liên hệ quản trị để đăng ký chứng thư của trạm.',
    en: 'The packet was not signed with a certificate this station registered. Ask the administrator to register it.',
  },
  CENTRAL_SIGNER_REVOKED: {
    vi: 'Chứng thư ký gói đã bị thu hồi trước thời điểm ký. Cần thu nhận lại hồ sơ bằng khóa mới.',
    en: 'The signing certificate was revoked before the packet was signed. Enroll again with the new key.',
  },
  CENTRAL_SIGNING_TIME_INVALID: {
    vi: 'Thời điểm ký gói không hợp lệ (đồng hồ trạm sai hoặc chứng thư hết hạn). Kiểm tra đồng hồ của trạm.',
    en: 'The signing time is not valid (station clock wrong, or certificate outside its validity). Check the station clock.',
  },
  CENTRAL_MANIFEST_INVALID: {
    vi: 'Nội dung gói hồ sơ không khớp với bản kê khai. Cần thu nhận lại hồ sơ.',
    en: 'The packet content does not match its manifest. Enroll again.',
  },
  CENTRAL_WRONG_ENVIRONMENT: {
    vi: 'Gói hồ sơ thuộc môi trường khác (thử nghiệm/chính thức). Kiểm tra cấu hình môi trường của trạm.',
    en: 'The packet belongs to the other environment (test/production). Check the station environment setting.',
  },
  CENTRAL_PACKET_ID_MISMATCH: {
    vi: 'Mã gói khai báo khi tải lên khác mã trong gói. Báo cho quản trị hệ thống.',
    en: 'The packet id given at upload differs from the one inside the packet. Tell the system administrator.',
  },
  CENTRAL_TEST_PACKET_IN_PRODUCTION: {
    vi: 'Gói hồ sơ thử nghiệm không được gửi tới hệ thống chính thức. Kiểm tra cấu hình môi trường của trạm.',
    en: 'A test packet was sent to the production service. Check the station environment setting.',
  },
};

/** The statement's binding, from the transport: what the station says it sends, and who it is. */
export interface IntakeClaim {
  readonly packetId: string;
  /** Lowercase hex SHA-256 the station declared. */
  readonly sha256: string;
  /** The verified station id (TLS client certificate CN, or the signer's CN for removable media). */
  readonly stationId: string;
  /**
   * Removable media (no TLS): the station is the CN of the packet's signer certificate, which must be
   * registered; `stationId` (the export's claim) names it only in a refusal of an unreadable packet.
   */
  readonly stationFromSigner?: boolean;
}

export type IntakeResult =
  | {
      readonly kind: 'statement';
      readonly statement: Uint8Array;
      readonly decision: 'receipt' | 'refusal';
      /** False when the packet was committed before (the stored statement is answered). */
      readonly committedNow: boolean;
    }
  /** The bytes' digest is not the declared one: transient, nothing is stored. */
  | { readonly kind: 'digest-mismatch'; readonly actual: string };

/** The simulated disk is full (fault hooks): transient, nothing is stored. */
export class CentralStorageFullError extends Error {
  override readonly name = 'CentralStorageFullError';
  readonly code = 'CENTRAL_STORAGE_FULL';
  constructor() {
    super('Central storage is full; try again later');
  }
}

export interface IntakeOptions {
  readonly store: CentralStore;
  readonly environment: 'test' | 'production';
  /** Key-transport keys, current first; a packet is opened with the first that is its recipient. */
  readonly decryptors: () => readonly PacketDecryptor[];
  /** Station CA certificates (DER). */
  readonly trustAnchors: () => readonly Uint8Array[];
  readonly statementKey: () => StatementKey;
  /** ms since the Unix epoch. */
  readonly now: () => number;
  readonly diskFull: () => boolean;
  readonly crypto?: PacketCrypto;
  /** Opens packets elsewhere (a worker thread: opener.ts); default here, with `decryptors`. */
  readonly opener?: PacketOpener;
}

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function refusalCodeOf(rejection: PacketRejection): RefusalCode {
  switch (rejection.kind) {
    case 'malformed':
    case 'wrong-recipient':
    case 'decryption-failed':
    case 'unsupported-algorithm':
      return 'CENTRAL_PACKET_UNREADABLE';
    case 'content-mismatch':
      return 'CENTRAL_SIGNATURE_INVALID';
    case 'unknown-signer':
      return 'CENTRAL_SIGNER_UNTRUSTED';
    case 'signer-expired':
    case 'signed-in-future':
      return 'CENTRAL_SIGNING_TIME_INVALID';
    case 'transaction-invalid':
    case 'schema-violation':
    case 'label-mismatch':
    case 'image-mismatch':
      return 'CENTRAL_MANIFEST_INVALID';
  }
}

type Judgement =
  | {
      readonly ok: true;
      readonly enrollmentSessionId: string;
      readonly stationId: string;
      /** The packet's audit anchor (manifest `audit`), when it carries one. */
      readonly audit?: AuditAnchorField;
    }
  | { readonly ok: false; readonly code: RefusalCode; readonly stationId?: string };

export class Intake {
  readonly #options: IntakeOptions;
  readonly #crypto: PacketCrypto;
  /** One commit at a time: the session decision and the packet-id check must see every commit. */
  #tail: Promise<unknown> = Promise.resolve();
  /** Validity of each registered certificate, by its PEM: parsed once, not once per packet. */
  readonly #validities = new Map<string, { readonly notBefore: number; readonly notAfter: number }>();

  constructor(options: IntakeOptions) {
    this.#options = options;
    this.#crypto = options.crypto ?? createNodePacketCrypto();
  }

  /**
   * Judges, commits and signs (module comment).
   * @throws {CentralStorageFullError} while the simulated disk is full; I/O errors of the data folder.
   */
  async accept(bytes: Uint8Array, claim: IntakeClaim): Promise<IntakeResult> {
    const stored = await this.#stored(claim.packetId);
    if (stored !== undefined) return stored;
    const actual = hex(bytes);
    if (actual !== claim.sha256.toLowerCase()) return { kind: 'digest-mismatch', actual };
    const judgement = await this.#judge(bytes, claim);
    const stationId = judgement.stationId ?? claim.stationId;
    return this.#serialized(async () => {
      const again = await this.#stored(claim.packetId);
      if (again !== undefined) return again;
      if (this.#options.diskFull()) throw new CentralStorageFullError();
      const { store, environment } = this.#options;
      const key = this.#options.statementKey();
      const at = new Date(this.#options.now()).toISOString();
      const base = {
        v: 1 as const,
        packetId: claim.packetId,
        sha256: actual,
        size: bytes.length,
        environment,
        stationId,
        centralKeyId: key.kid,
      };
      let statement: Statement;
      let index: PacketIndex;
      if (judgement.ok) {
        // The highest anchor is kept durably before the receipt that echoes it is signed; an older
        // packet arriving later leaves it where it is (CONTRACT.md, statements).
        const anchor =
          judgement.audit === undefined
            ? store.anchor(stationId)
            : await store.raiseAnchor(stationId, judgement.audit);
        const receipt: Receipt = {
          ...base,
          kind: 'receipt',
          receivedAt: at,
          enrollmentSessionId: judgement.enrollmentSessionId,
          ...(anchor === undefined ? {} : { audit: anchor }),
        };
        const produced = store.producedFor(judgement.enrollmentSessionId);
        statement = receipt;
        index = {
          packetId: claim.packetId,
          kind: 'receipt',
          sha256: actual,
          size: bytes.length,
          stationId,
          at,
          enrollmentSessionId: judgement.enrollmentSessionId,
          order: produced === undefined ? 'production' : 'held-duplicate-session',
        };
      } else {
        const refusal: Refusal = {
          ...base,
          kind: 'refusal',
          decidedAt: at,
          code: judgement.code,
          message: REFUSAL_MESSAGES[judgement.code],
        };
        statement = refusal;
        index = {
          packetId: claim.packetId,
          kind: 'refusal',
          sha256: actual,
          size: bytes.length,
          stationId,
          at,
          code: judgement.code,
        };
      }
      const signed = signStatement(key, statement);
      const committed = await store.commit(index, signed, judgement.ok ? bytes : undefined);
      if (!committed) {
        const existing = await this.#stored(claim.packetId);
        if (existing !== undefined) return existing;
        throw new Error(`packet ${claim.packetId} was neither committed nor found`);
      }
      return { kind: 'statement', statement: signed, decision: index.kind, committedNow: true } as const;
    });
  }

  async #stored(packetId: string): Promise<IntakeResult | undefined> {
    const index = this.#options.store.packet(packetId);
    const statement = await this.#options.store.statement(packetId);
    if (index === undefined || statement === undefined) return undefined;
    return { kind: 'statement', statement, decision: index.kind, committedNow: false };
  }

  #validity(pem: string): { readonly notBefore: number; readonly notAfter: number } {
    let known = this.#validities.get(pem);
    if (known === undefined) {
      const cert = new x509.X509Certificate(pem);
      known = { notBefore: cert.notBefore.getTime(), notAfter: cert.notAfter.getTime() };
      this.#validities.set(pem, known);
    }
    return known;
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #judge(bytes: Uint8Array, claim: IntakeClaim): Promise<Judgement> {
    const now = this.#options.now();
    let result: Opened | undefined;
    if (this.#options.opener !== undefined) {
      result = await this.#options.opener.open(bytes, now);
    } else {
      let opened: OpenAnyPacketResult | undefined;
      for (const decryptor of this.#options.decryptors()) {
        opened = await openAnyPacket({
          packet: bytes,
          decryptor,
          crypto: this.#crypto,
          trustAnchors: this.#options.trustAnchors(),
          now,
        });
        if (opened.ok || opened.rejection.kind !== 'wrong-recipient') break;
      }
      if (opened !== undefined)
        result = opened.ok
          ? {
              ok: true,
              ...(opened.type === 'enrollment'
                ? {
                    manifest: opened.packet.manifest,
                    signer: opened.packet.signer,
                    signingTime: opened.packet.signingTime,
                  }
                : {
                    manifest: opened.application.manifest,
                    signer: opened.application.signer,
                    signingTime: opened.application.signingTime,
                  }),
            }
          : { ok: false, rejection: opened.rejection };
    }
    if (result === undefined) return { ok: false, code: 'CENTRAL_PACKET_UNREADABLE' };
    if (!result.ok) return { ok: false, code: refusalCodeOf(result.rejection) };
    const { manifest, signer, signingTime } = result;

    const stationId =
      claim.stationFromSigner === true
        ? (/(?:^|,\s*)CN=([^,+]+)/.exec(signer.subject)?.[1] ?? '')
        : claim.stationId;
    const station = this.#options.store.station(stationId);
    const serial = normalizeSerial(signer.serialNumber);
    const registered = station?.certificates.find((c) => c.serialNumber === serial);
    if (registered === undefined) return { ok: false, code: 'CENTRAL_SIGNER_UNTRUSTED', stationId };
    const cert = this.#validity(registered.pem);
    if (signingTime < cert.notBefore || signingTime > cert.notAfter)
      return { ok: false, code: 'CENTRAL_SIGNING_TIME_INVALID', stationId };
    const revoked = this.#options.store.revocations().find((r) => r.serialNumber === serial);
    if (revoked !== undefined && signingTime >= Date.parse(revoked.compromisedAt))
      return { ok: false, code: 'CENTRAL_SIGNER_REVOKED', stationId };

    if (manifest.environment !== this.#options.environment)
      return {
        ok: false,
        code:
          this.#options.environment === 'production' && manifest.environment === 'test'
            ? 'CENTRAL_TEST_PACKET_IN_PRODUCTION'
            : 'CENTRAL_WRONG_ENVIRONMENT',
        stationId,
      };
    if (manifest.stationId !== stationId) return { ok: false, code: 'CENTRAL_MANIFEST_INVALID', stationId };
    if (manifest.packetId !== claim.packetId)
      return { ok: false, code: 'CENTRAL_PACKET_ID_MISMATCH', stationId };
    return {
      ok: true,
      enrollmentSessionId: sessionIdOf(manifest),
      stationId,
      ...(manifest.audit === undefined ? {} : { audit: manifest.audit }),
    };
  }
}

/** ES256 compact JWS of `statement` with `key` (RFC 7515 §7.1; raw r‖s, RFC 7518 §3.4). */
export function signStatement(key: StatementKey, statement: Statement): Uint8Array {
  const input = statementSigningInput(key.kid, statement);
  const signature = sign('sha256', Buffer.from(input, 'utf8'), { key: key.key, dsaEncoding: 'ieee-p1363' });
  return joinStatement(input, new Uint8Array(signature));
}
