/**
 * Signed checkpoints of the audit chain. Every N entries or M minutes the station appends an
 * `audit.checkpoint` entry whose details certify the entry before it: `{ seq, head }` of that entry
 * and the checkpoint's own `time`, signed with the station key (ECDSA P-256 over SHA-256, the
 * signature DER `Ecdsa-Sig-Value` as station/keys and CMS produce it, base64 in the entry).
 *
 * The signature covers `checkpointSigningInput`: the RFC 8785 JSON of
 * `{ type: 'cccd-audit-checkpoint', v: 1, seq, head, time }` in UTF-8. The `type` member keeps a
 * checkpoint signature from ever being taken for another statement the same key signs (CMS signed
 * attributes start with a DER SET, 0x31; this starts with `{`).
 *
 * A station without a certificate still writes checkpoints, `signed: false` with the reason, so an
 * auditor sees that and why, never a silent gap.
 */
import { type AuditEntry, canonicalJson, isHex64 } from './entry.ts';

export const CHECKPOINT_ACTION = 'audit.checkpoint';
export const CHECKPOINT_TYPE = 'cccd-audit-checkpoint';
/** The only signature algorithm written: ECDSA P-256 with SHA-256, DER signature. */
export const CHECKPOINT_ALGORITHM = 'ecdsa-p256-sha256';

export type UnsignedReason = 'no-station-certificate' | 'signing-failed';
export const UNSIGNED_REASONS: readonly UnsignedReason[] = ['no-station-certificate', 'signing-failed'];

/** What a checkpoint certifies: the entry before it, and when. */
export interface CheckpointStatement {
  readonly seq: number;
  readonly head: string;
  /** The checkpoint entry's own `time`. */
  readonly time: string;
}

export type Checkpoint =
  | (CheckpointStatement & {
      readonly signed: true;
      /** DER Ecdsa-Sig-Value, base64. */
      readonly signature: string;
      /** Lowercase hex SHA-256 of the signing certificate (DER): which station certificate to use. */
      readonly certificateSha256: string;
    })
  | (CheckpointStatement & { readonly signed: false; readonly reason: UnsignedReason });

/** The bytes a checkpoint signature covers. */
export function checkpointSigningInput(statement: CheckpointStatement): Uint8Array {
  return new TextEncoder().encode(
    canonicalJson({
      type: CHECKPOINT_TYPE,
      v: 1,
      seq: statement.seq,
      head: statement.head,
      time: statement.time,
    }),
  );
}

/** The `details` of a checkpoint entry (the chain adds seq/prev/hash; `time` is the entry's). */
export function checkpointDetails(
  checkpoint:
    | {
        readonly seq: number;
        readonly head: string;
        readonly signature: string;
        readonly certificateSha256: string;
      }
    | { readonly seq: number; readonly head: string; readonly reason: UnsignedReason },
): Readonly<Record<string, string | number | boolean>> {
  if ('reason' in checkpoint)
    return { seq: checkpoint.seq, head: checkpoint.head, signed: false, reason: checkpoint.reason };
  return {
    seq: checkpoint.seq,
    head: checkpoint.head,
    signed: true,
    algorithm: CHECKPOINT_ALGORITHM,
    signature: checkpoint.signature,
    certificateSha256: checkpoint.certificateSha256,
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The checkpoint an entry carries; undefined for an entry that is not `audit.checkpoint`; a string
 * saying what is wrong with a checkpoint entry's details. Does not check the signature (that needs
 * the certificate: station/audit) nor that it names the previous entry (the verifier does).
 */
export function checkpointOf(entry: AuditEntry): Checkpoint | string | undefined {
  if (entry.action !== CHECKPOINT_ACTION) return undefined;
  const d = entry.details;
  if (typeof d.seq !== 'number' || !Number.isSafeInteger(d.seq) || d.seq < 1) return 'checkpoint seq missing';
  if (!isHex64(d.head)) return 'checkpoint head missing';
  const base = { seq: d.seq, head: d.head, time: entry.time };
  if (d.signed === false) {
    if (!UNSIGNED_REASONS.includes(d.reason as UnsignedReason))
      return 'unsigned checkpoint without a known reason';
    return { ...base, signed: false, reason: d.reason as UnsignedReason };
  }
  if (d.signed !== true) return 'checkpoint neither signed nor unsigned';
  if (d.algorithm !== CHECKPOINT_ALGORITHM)
    return `checkpoint algorithm ${String(d.algorithm)} is not supported`;
  if (typeof d.signature !== 'string' || d.signature.length < 8 || !BASE64.test(d.signature))
    return 'checkpoint signature is not base64';
  if (!isHex64(d.certificateSha256)) return 'checkpoint certificateSha256 missing';
  return { ...base, signed: true, signature: d.signature, certificateSha256: d.certificateSha256 };
}
