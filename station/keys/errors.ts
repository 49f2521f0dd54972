/**
 * The station keys' error catalogue (STYLE.md, errors). These reach technicians through
 * `station keys ...` and the service's start-up, so each message says what happened and what to do;
 * a PIN never appears in any message or field.
 */

export type KeyErrorCode =
  /** A key file is readable or writable by group or others (mode & 0o077). */
  | 'KEY_FILE_PERMISSIONS'
  /** A key file, certificate or key-store file is missing or cannot be read. */
  | 'KEY_FILE_UNREADABLE'
  /** A key file is not an unencrypted PKCS#8 PEM key of the expected algorithm. */
  | 'KEY_INVALID'
  /** A new key would overwrite an existing one. */
  | 'KEY_EXISTS'
  /** The subject of a CSR does not name this station. */
  | 'KEY_SUBJECT_INVALID'
  /** No certificate is installed yet (or no CSR was made before install-cert). */
  | 'KEY_NOT_INSTALLED'
  /** A certificate file is not an X.509 certificate (PEM or DER). */
  | 'CERT_INVALID'
  /** The certificate's public key is not the key's (not the pending key's, not the current key's). */
  | 'CERT_KEY_MISMATCH'
  /** The certificate is not signed by (a chain up to) the given CA. */
  | 'CERT_NOT_CHAINED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_EXPIRED'
  /** The certificate lacks the digitalSignature key usage (or any key usage extension). */
  | 'CERT_KEY_USAGE'
  /** The station key is in a PKCS#11 token, and the upload connection's mutual TLS needs a key file. */
  | 'KEY_TLS_NEEDS_FILE_KEY'
  /** A `pkcs11:` URI that RFC 7512 (or our use of it) does not accept. */
  | 'PKCS11_URI_INVALID'
  /** The PKCS#11 binding or the token's module cannot be loaded. */
  | 'PKCS11_MODULE_UNAVAILABLE'
  | 'PKCS11_TOKEN_NOT_FOUND'
  /** The URI gives no PIN and none is in the environment. */
  | 'PKCS11_PIN_MISSING'
  | 'PKCS11_PIN_INCORRECT'
  | 'PKCS11_PIN_LOCKED'
  | 'PKCS11_OBJECT_NOT_FOUND'
  | 'PKCS11_OBJECT_EXISTS'
  /** The token lacks a mechanism or parameter the station needs (e.g. RSA-OAEP with SHA-256). */
  | 'PKCS11_MECHANISM_UNSUPPORTED'
  /** Any other failure the token reports, with its CKR_ name. */
  | 'PKCS11_FAILED'
  /** An encrypted key does not decrypt with this key (packet addressed to another recipient). */
  | 'KEY_DECRYPT_FAILED';

export class KeyError extends Error {
  override readonly name = 'KeyError';
  readonly code: KeyErrorCode;
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;
  /** The PKCS#11 return value's name (`CKR_PIN_INCORRECT`), for token errors. */
  readonly ckr: string | undefined;

  constructor(
    code: KeyErrorCode,
    message: string,
    options: { file?: string; ckr?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.ckr = options.ckr;
  }
}
