/**
 * The audit trail's error catalogue (STYLE.md, errors). These stop the station at start-up or fail
 * an action that could not be recorded, so each message says what happened and what to do.
 */
import type { ChainBreakKind } from '../../protocol/audit/verify.ts';

export type AuditErrorCode =
  /** The log has a break (edited, deleted, reordered, bad line, bad checkpoint): possible tampering. */
  | 'AUDIT_CHAIN_BROKEN'
  /** The log is valid but no longer holds what central acknowledged (truncated, rolled back, restored). */
  | 'AUDIT_BEHIND_ANCHOR'
  /** anchor.json is not an anchor. */
  | 'AUDIT_ANCHOR_INVALID'
  /** The HMAC key file is not 32 bytes (or not owner-only: KeyError from station/keys). */
  | 'AUDIT_KEY_INVALID'
  /** An append or its fsync failed: the trail stops taking entries until the station restarts. */
  | 'AUDIT_WRITE_FAILED'
  /** The trail of this data folder is already open in this process. */
  | 'AUDIT_ALREADY_OPEN'
  | 'AUDIT_CLOSED';

export class AuditError extends Error {
  override readonly name = 'AuditError';
  readonly code: AuditErrorCode;
  /** The file the error is about. */
  readonly file: string | undefined;
  /** For a broken chain: the 1-based line, the kind of break and the seq that was due there. */
  readonly line: number | undefined;
  readonly kind: ChainBreakKind | undefined;
  readonly seq: number | undefined;

  constructor(
    code: AuditErrorCode,
    message: string,
    options: { file?: string; line?: number; kind?: ChainBreakKind; seq?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.kind = options.kind;
    this.seq = options.seq;
  }
}
