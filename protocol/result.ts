/**
 * Decoding untrusted bytes returns a result, never throws (STYLE.md, protocol code).
 *
 * Every codec in protocol/ reports failures with one of these reasons and the byte offset where the
 * problem was found, so a caller can log it, map it to an officer-facing message, and carry on.
 */

/** Why a decoder rejected its input. A fixed set: callers switch on it, never on message text. */
export type DecodeErrorReason =
  /** The input ended before the structure did. */
  | 'truncated'
  /** A field holds a value the format does not allow. */
  | 'invalid-value'
  /** Bytes remain after a complete structure where the format allows none. */
  | 'trailing-data'
  /** A declared length or count exceeds the bound this decoder accepts. */
  | 'too-large'
  /** A checksum, CRC or MAC over the input does not match. */
  | 'checksum-mismatch'
  /** The input is well-formed but uses a feature this decoder does not implement. */
  | 'unsupported';

export interface DecodeError {
  readonly reason: DecodeErrorReason;
  /** Byte offset into the decoder's input where the problem was detected. */
  readonly offset: number;
  /** What was wrong, for logs and developers; never parsed. */
  readonly detail: string;
}

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DecodeError };

export function ok<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(reason: DecodeErrorReason, offset: number, detail: string): DecodeResult<T> {
  return { ok: false, error: { reason, offset, detail } };
}

/**
 * Unwraps a result in code that has already established it cannot fail (tests, known-good constants).
 * @throws {Error} with the decode error's reason, offset and detail when the result is an error.
 */
export function unwrap<T>(result: DecodeResult<T>): T {
  if (result.ok) return result.value;
  const { reason, offset, detail } = result.error;
  throw new Error(`decode failed: ${reason} at offset ${offset}: ${detail}`);
}
