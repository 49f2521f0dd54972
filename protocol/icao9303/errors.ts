/**
 * The chip-card reading catalogue (STYLE.md, errors): what went wrong talking to an eMRTD chip,
 * by stable code, with the status word where the chip gave one. Transport failures (reader gone,
 * card pulled, timeouts) are the driver's errors and pass through unchanged.
 */
import { describeStatus, hexStatus } from '../iso7816/status.ts';

export type CardErrorCode =
  /** The chip has no eMRTD application (SELECT of A0000002471001 refused). */
  | 'CARD_NOT_EMRTD'
  /** BAC or PACE was refused: the access key (document number, dates, CAN) is wrong. */
  | 'CARD_ACCESS_DENIED'
  /** The chip's authentication answer did not verify (MAC or nonce): wrong key or a fake chip. */
  | 'CARD_AUTHENTICATION_FAILED'
  /** The secure-messaging session ended (6987/6988, or an earlier failure); authenticate again. */
  | 'CARD_SM_SESSION_DEAD'
  /** A protected response failed its MAC or padding check: the data cannot be trusted. */
  | 'CARD_SM_MAC_MISMATCH'
  /** A file is not on the chip (6A82). */
  | 'CARD_FILE_NOT_FOUND'
  /** The chip refuses access to a file (6982: e.g. DG3 without terminal authentication). */
  | 'CARD_ACCESS_CONDITIONS'
  /** A file's bytes do not parse as the structure it must hold. */
  | 'CARD_DATA_DAMAGED'
  /** The chip answered a status word the flow does not expect. */
  | 'CARD_UNEXPECTED_STATUS';

export class CardError extends Error {
  override readonly name = 'CardError';
  readonly code: CardErrorCode;
  /** The chip's status word, when it gave one. */
  readonly statusWord: number | undefined;
  /** The file (FID) being read, when the error is about one. */
  readonly fileId: number | undefined;

  constructor(
    code: CardErrorCode,
    message: string,
    fields: { statusWord?: number; fileId?: number; cause?: unknown } = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.statusWord = fields.statusWord;
    this.fileId = fields.fileId;
  }
}

/** "6A82 (file or application not found)", for messages. */
export function statusText(sw: number): string {
  return `${hexStatus(sw)} (${describeStatus(sw)})`;
}

/** FID as 4 hex digits, for messages. */
export function fileText(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}
