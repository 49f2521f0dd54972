/**
 * The station's EAC terminal credentials (what lets it read the chip's fingerprints): the CV
 * certificates in a folder and the terminal's private key, in a file there or in a PKCS#11 token.
 *
 * ```
 * DIR/
 *   cvca-*.cvcert     CVCA certificates: the trust points chips name, and link certificates
 *   dv.cvcert         the Document Verifier's certificate (any *.cvcert: files are told by role)
 *   terminal.cvcert   this station's inspection-system certificate (short-lived: days to weeks)
 *   terminal.key      its private key, PKCS#8 PEM, mode 0600 (or --terminal-key pkcs11:…)
 * ```
 * Every `*.cvcert` is read (binary, TR-03110-3 C.1); the roles in their CHATs say which is which,
 * so a renewed terminal certificate can sit beside the old one until it is removed. The key must
 * be the public key of a terminal certificate in the folder; certificates of other keys are left
 * out. Renewal: docs/eac.md, "Renewing the terminal certificate".
 *
 * A key in a token signs through station/keys (ECDSA P-256 with SHA-256 there), so a token key
 * serves a terminal certificate on P-256 with id-TA-ECDSA-SHA-256; a key file serves any curve and
 * hash Node's OpenSSL knows (brainpool included).
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign as nodeSign } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { equalBytes } from '../../protocol/bytes.ts';
import { type CvCertificate, decodeCvCertificate } from '../../protocol/icao9303/cvc.ts';
import type { TerminalCredentials, TerminalSigner } from '../../protocol/icao9303/terminal-auth.ts';
import { derEcdsaToRaw } from '../keys/ecdsa.ts';
import { KeyError } from '../keys/errors.ts';
import { readSecretFile } from '../keys/key-file.ts';
import { isPkcs11Uri, redactPkcs11Uri } from '../keys/pkcs11-uri.ts';
import { openStationKey } from '../keys/station-key.ts';

/** The key file's name in the credentials folder. */
export const TERMINAL_KEY_FILE = 'terminal.key';
/** Most certificate files read from the folder. */
const MAX_CERTIFICATE_FILES = 64;
/** A CV certificate file is well under this, bytes. */
const MAX_CERTIFICATE_FILE_BYTES = 8192;

export type TerminalCredentialsErrorCode =
  /** The folder cannot be listed. */
  | 'EAC_FOLDER_UNREADABLE'
  /** A *.cvcert file is not a CV certificate. */
  | 'EAC_CERTIFICATE_INVALID'
  /** The folder holds no terminal (inspection system) certificate. */
  | 'EAC_NO_TERMINAL_CERTIFICATE'
  /** The key is not the key of any terminal certificate in the folder. */
  | 'EAC_KEY_MISMATCH'
  /** The key cannot sign for the terminal certificate's algorithm (a token key and a brainpool certificate). */
  | 'EAC_KEY_UNSUPPORTED';

export class TerminalCredentialsError extends Error {
  override readonly name = 'TerminalCredentialsError';
  readonly code: TerminalCredentialsErrorCode;
  readonly file: string | undefined;

  constructor(
    code: TerminalCredentialsErrorCode,
    message: string,
    fields: { file?: string; cause?: unknown } = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.file = fields.file;
  }
}

export interface LoadedTerminalCredentials {
  readonly credentials: TerminalCredentials;
  readonly dir: string;
  /** Where the key is, safe to print (a PIN is masked). */
  readonly keyLocation: string;
  /** Every certificate kept, for reports: CHR, issuer, role, validity. */
  readonly certificates: readonly {
    readonly chr: string;
    readonly car: string;
    readonly role: string;
    readonly effectiveDate: string;
    readonly expirationDate: string;
  }[];
  /** Files skipped, with why (certificates of another key). */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  /** Releases a token session. */
  close(): Promise<void>;
}

function pointOf(key: KeyObject): Uint8Array {
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  // An EC SubjectPublicKeyInfo ends with its uncompressed point; compared with the certificate's.
  return spki;
}

function endsWith(whole: Uint8Array, tail: Uint8Array): boolean {
  return (
    tail.length > 0 &&
    whole.length >= tail.length &&
    equalBytes(whole.subarray(whole.length - tail.length), tail)
  );
}

/**
 * Reads the credentials in `dir`; the key from `keyLocation` (a PKCS#8 PEM file or a `pkcs11:`
 * URI), default `dir/terminal.key`.
 * @throws {TerminalCredentialsError} EAC_FOLDER_UNREADABLE, EAC_CERTIFICATE_INVALID,
 *   EAC_NO_TERMINAL_CERTIFICATE, EAC_KEY_MISMATCH, EAC_KEY_UNSUPPORTED; {KeyError} for the key
 *   (KEY_FILE_UNREADABLE, KEY_FILE_PERMISSIONS, KEY_INVALID, the PKCS11_* codes).
 */
export async function loadTerminalCredentials(
  dir: string,
  options: { readonly keyLocation?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<LoadedTerminalCredentials> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.cvcert')).sort();
  } catch (cause) {
    throw new TerminalCredentialsError(
      'EAC_FOLDER_UNREADABLE',
      `The EAC credentials folder ${dir} cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
      { file: dir, cause },
    );
  }
  if (names.length > MAX_CERTIFICATE_FILES)
    throw new TerminalCredentialsError(
      'EAC_FOLDER_UNREADABLE',
      `${dir} holds ${names.length} certificate files; at most ${MAX_CERTIFICATE_FILES}`,
      { file: dir },
    );
  const read: { file: string; certificate: CvCertificate }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const size = (await stat(file)).size;
    if (size > MAX_CERTIFICATE_FILE_BYTES)
      throw new TerminalCredentialsError(
        'EAC_CERTIFICATE_INVALID',
        `${file} is ${size} bytes: not a CV certificate`,
        { file },
      );
    const decoded = decodeCvCertificate(new Uint8Array(await readFile(file)));
    if (!decoded.ok)
      throw new TerminalCredentialsError(
        'EAC_CERTIFICATE_INVALID',
        `${file} is not a CV certificate (${decoded.error.reason} at byte ${decoded.error.offset}: ${decoded.error.detail})`,
        { file },
      );
    read.push({ file, certificate: decoded.value });
  }
  const terminals = read.filter((r) => r.certificate.chat.role === 'terminal');
  if (terminals.length === 0)
    throw new TerminalCredentialsError(
      'EAC_NO_TERMINAL_CERTIFICATE',
      `${dir} holds no terminal certificate (*.cvcert with an inspection-system CHAT): ask the Document Verifier for one`,
      { file: dir },
    );

  const location = options.keyLocation ?? path.join(dir, TERMINAL_KEY_FILE);
  const key = await openTerminalKey(location, options.env);
  const mine = terminals.filter((t) => endsWith(key.spki, t.certificate.publicKey.point));
  if (mine.length === 0) {
    await key.close();
    throw new TerminalCredentialsError(
      'EAC_KEY_MISMATCH',
      `The key ${key.location} is not the key of ${terminals.map((t) => t.certificate.chr).join(', ')}: install the certificate issued for this key, or name the right key`,
    );
  }
  const hashes = new Set(mine.map((t) => t.certificate.publicKey.hash));
  if (key.kind === 'pkcs11' && (hashes.size !== 1 || !hashes.has('sha256') || !key.p256)) {
    await key.close();
    throw new TerminalCredentialsError(
      'EAC_KEY_UNSUPPORTED',
      'A token key signs ECDSA P-256 with SHA-256 only; this terminal certificate needs another curve or hash: keep its key in a file',
    );
  }
  const hash = mine[0]?.certificate.publicKey.hash ?? 'sha256';
  const skipped = terminals
    .filter((t) => !mine.includes(t))
    .map((t) => ({ file: t.file, reason: `terminal certificate ${t.certificate.chr} is for another key` }));
  const kept = read.filter((r) => r.certificate.chat.role !== 'terminal' || mine.includes(r));
  const signer: TerminalSigner = { sign: (message) => key.sign(hash, message) };
  return {
    credentials: { certificates: kept.map((r) => r.certificate), signer },
    dir,
    keyLocation: key.location,
    certificates: kept.map(({ certificate: c }) => ({
      chr: c.chr,
      car: c.car,
      role: c.chat.role,
      effectiveDate: c.effectiveDate,
      expirationDate: c.expirationDate,
    })),
    skipped,
    close: () => key.close(),
  };
}

interface OpenedTerminalKey {
  readonly kind: 'file' | 'pkcs11';
  readonly location: string;
  readonly spki: Uint8Array;
  /** P-256, for a token key. */
  readonly p256: boolean;
  /** Plain r ‖ s over `message` hashed with `hash`. */
  sign(hash: string, message: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function openTerminalKey(
  location: string,
  env: NodeJS.ProcessEnv | undefined,
): Promise<OpenedTerminalKey> {
  if (isPkcs11Uri(location)) {
    const key = await openStationKey(location, env === undefined ? {} : { env });
    return {
      kind: 'pkcs11',
      location: redactPkcs11Uri(location),
      spki: key.publicKeySpki,
      p256: true,
      // The token signs SHA-256 digests with P-256 and station/keys hands back DER.
      sign: async (_hash, message) => derEcdsaToRaw(await key.sign(message)),
      close: () => key.close(),
    };
  }
  const bytes = await readSecretFile(location, 'terminal key file');
  const text = new TextDecoder().decode(bytes);
  if (!text.includes('-----BEGIN PRIVATE KEY-----'))
    throw new KeyError(
      'KEY_INVALID',
      `${location} is not an unencrypted PKCS#8 PEM key ("BEGIN PRIVATE KEY"); convert it with 'openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW'`,
      { file: location },
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' });
  } catch (cause) {
    throw new KeyError('KEY_INVALID', `${location} does not hold a usable private key: ${String(cause)}`, {
      file: location,
      cause,
    });
  }
  if (privateKey.asymmetricKeyType !== 'ec')
    throw new KeyError(
      'KEY_INVALID',
      `${location} holds a ${privateKey.asymmetricKeyType} key; a terminal key is an EC key`,
      { file: location },
    );
  return {
    kind: 'file',
    location,
    spki: pointOf(privateKey),
    p256: privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1',
    sign: async (hash, message) =>
      new Uint8Array(nodeSign(hash, message, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
    close: async () => undefined,
  };
}
