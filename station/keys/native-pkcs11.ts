/**
 * The station's only door to PKCS#11: the pkcs11js binding (PeculiarVentures, 2.1.x). Loaded lazily
 * by station-key.ts when a `pkcs11:` key is opened, so nothing else loads the native addon.
 *
 * Why pkcs11js and not graphene-pk11: graphene is an object layer over this same binding (it depends
 * on pkcs11js); we call eight Cryptoki functions, so the thin binding keeps one native dependency, no
 * second API to learn, and the CK_ constants and CKR_ codes exactly as the PKCS#11 2.40 spec names
 * them.
 *
 * Keys: ECDSA P-256 (CKK_EC, CKA_EC_PARAMS = prime256v1) generated inside the token, CKA_SENSITIVE
 * and not CKA_EXTRACTABLE; signing is CKM_ECDSA over a SHA-256 digest computed here (the token's
 * CKM_ECDSA_SHA256 is optional in many tokens), its raw r‖s converted to DER. RSA decryption is
 * CKM_RSA_PKCS_OAEP with SHA-256 and MGF1-SHA-256. Each session runs one operation at a time
 * (PKCS#11 §5.1: one active operation per session), queued here; the Async calls run in libuv's pool
 * so a slow hardware token does not stall the event loop.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { rawEcdsaToDer } from './ecdsa.ts';
import { KeyError } from './errors.ts';
import { readSecretFile } from './key-file.ts';
import { describePkcs11Key, PKCS11_PIN_ENV, type Pkcs11Uri } from './pkcs11-uri.ts';
import type { DecryptionKey, StationKey } from './station-key.ts';

type Handle = pkcs11js.Handle;

/** DER of the prime256v1 OID (1.2.840.10045.3.1.7), CKA_EC_PARAMS for P-256 (RFC 5480 §2.1.1.1). */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
/** PKCS#11 2.40 §2.1.8: CKZ_DATA_SPECIFIED, the OAEP label source (empty label here). */
const CKZ_DATA_SPECIFIED = 1;

interface LoadedModule {
  readonly module: pkcs11js.PKCS11;
  users: number;
}

/** One initialised module per library path, shared by every key in this process. */
const modules = new Map<string, LoadedModule>();

function ckrName(error: unknown): string | undefined {
  if (error instanceof pkcs11js.Pkcs11Error) return error.message;
  const match = /(CKR_[A-Z_]+)/.exec(String(error));
  return match?.[1];
}

function tokenError(error: unknown, what: string, where: string): KeyError {
  if (error instanceof KeyError) return error;
  const ckr = ckrName(error);
  switch (ckr) {
    case 'CKR_PIN_INCORRECT':
      return new KeyError(
        'PKCS11_PIN_INCORRECT',
        `The token refused the PIN for ${where}. Check the PIN (pin-source, or ${PKCS11_PIN_ENV}); the token locks after a few wrong tries.`,
        { ckr, cause: error },
      );
    case 'CKR_PIN_LOCKED':
      return new KeyError(
        'PKCS11_PIN_LOCKED',
        `The token's user PIN is locked (${where}); the security officer must unlock it (softhsm2-util or the token vendor's tool).`,
        { ckr, cause: error },
      );
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_SESSION_HANDLE_INVALID':
    case 'CKR_SESSION_CLOSED':
      return new KeyError(
        'PKCS11_TOKEN_NOT_FOUND',
        `The token of ${where} is gone (${ckr}); plug it in and retry.`,
        {
          ckr,
          cause: error,
        },
      );
    default:
      return new KeyError(
        'PKCS11_FAILED',
        `The token could not ${what} (${where}): ${ckr ?? String(error)}`,
        ckr === undefined ? { cause: error } : { ckr, cause: error },
      );
  }
}

function acquireModule(modulePath: string): pkcs11js.PKCS11 {
  const loaded = modules.get(modulePath);
  if (loaded) {
    loaded.users++;
    return loaded.module;
  }
  const module = new pkcs11js.PKCS11();
  try {
    module.load(modulePath);
  } catch (cause) {
    throw new KeyError(
      'PKCS11_MODULE_UNAVAILABLE',
      `Cannot load the PKCS#11 module ${modulePath}: ${String(cause)}. Install the token's module ` +
        `(SoftHSM2 for tests: 'npm run setup:test'), or name it with module-path= in the URI.`,
      { file: modulePath, cause },
    );
  }
  try {
    // OS locking: the Async calls run on libuv's worker threads.
    module.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (cause) {
    if (ckrName(cause) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      module.close();
      throw tokenError(cause, 'initialise', modulePath);
    }
  }
  modules.set(modulePath, { module, users: 1 });
  return module;
}

function releaseModule(modulePath: string): void {
  const loaded = modules.get(modulePath);
  if (!loaded) return;
  loaded.users--;
  if (loaded.users > 0) return;
  modules.delete(modulePath);
  try {
    loaded.module.C_Finalize();
  } finally {
    loaded.module.close();
  }
}

async function resolvePin(uri: Pkcs11Uri, env: NodeJS.ProcessEnv): Promise<string> {
  const source = uri.pinSource;
  if (source.kind === 'value') return source.pin;
  if (source.kind === 'file') {
    const text = new TextDecoder().decode(await readSecretFile(source.path, 'PIN file'));
    return text.replace(/\r?\n$/, '');
  }
  const pin = env[source.name];
  if (pin === undefined || pin === '')
    throw new KeyError(
      'PKCS11_PIN_MISSING',
      `No PIN for ${describePkcs11Key(uri)}: set ${source.name}, or add pin-source=file:/path/to/pin-file (mode 0600) to the URI.`,
    );
  return pin;
}

function trimmed(field: string): string {
  return field.replace(/[ \0]+$/, '');
}

/** CK_SLOT_ID is a CK_ULONG: 8 bytes on 64-bit Linux, as the binding hands it over. */
function slotNumber(slot: Handle): number {
  return slot.length >= 8 ? Number(slot.readBigUInt64LE(0)) : slot.readUInt32LE(0);
}

function findSlot(module: pkcs11js.PKCS11, uri: Pkcs11Uri): Handle {
  const slots = module.C_GetSlotList(true);
  for (const slot of slots) {
    if (uri.slotId !== undefined && slotNumber(slot) !== uri.slotId) continue;
    const info = module.C_GetTokenInfo(slot);
    if (uri.token !== undefined && trimmed(info.label) !== uri.token) continue;
    if (uri.serial !== undefined && trimmed(info.serialNumber) !== uri.serial) continue;
    if (uri.manufacturer !== undefined && trimmed(info.manufacturerID) !== uri.manufacturer) continue;
    if (uri.model !== undefined && trimmed(info.model) !== uri.model) continue;
    return slot;
  }
  const labels = slots.map((slot) => `"${trimmed(module.C_GetTokenInfo(slot).label)}"`);
  throw new KeyError(
    'PKCS11_TOKEN_NOT_FOUND',
    `No token matches ${describePkcs11Key(uri)} in ${uri.modulePath} (tokens present: ${labels.join(', ') || 'none'}). ` +
      'Plug the token in, or correct token= in the URI.',
  );
}

/** A logged-in session on the URI's token; operations run one at a time. */
class TokenSession {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly module: pkcs11js.PKCS11,
    readonly session: Handle,
    readonly uri: Pkcs11Uri,
    readonly where: string,
  ) {}

  static async open(uri: Pkcs11Uri, where: string, env: NodeJS.ProcessEnv): Promise<TokenSession> {
    const pin = await resolvePin(uri, env);
    const module = acquireModule(uri.modulePath);
    let session: Handle | undefined;
    try {
      const slot = findSlot(module, uri);
      session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        module.C_Login(session, pkcs11js.CKU_USER, pin);
      } catch (error) {
        // Login state is per token and application: a second key on the same token is already in.
        if (ckrName(error) !== 'CKR_USER_ALREADY_LOGGED_IN') throw error;
      }
      return new TokenSession(module, session, uri, where);
    } catch (error) {
      if (session !== undefined) module.C_CloseSession(session);
      releaseModule(uri.modulePath);
      throw tokenError(error, 'open a session', where);
    }
  }

  /** Runs `task` after every earlier one on this session has settled. */
  run<T>(what: string, task: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(async () => {
      if (this.closed) throw new KeyError('PKCS11_FAILED', `The session for ${this.where} is closed`);
      try {
        return await task();
      } catch (error) {
        throw tokenError(error, what, this.where);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  find(objectClass: number, keyType: number): Handle | undefined {
    const template: pkcs11js.Template = [
      { type: pkcs11js.CKA_CLASS, value: objectClass },
      { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
    ];
    if (this.uri.object !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: this.uri.object });
    if (this.uri.id !== undefined) template.push({ type: pkcs11js.CKA_ID, value: Buffer.from(this.uri.id) });
    this.module.C_FindObjectsInit(this.session, template);
    try {
      const found = this.module.C_FindObjects(this.session, 2);
      if (found.length > 1)
        throw new KeyError(
          'PKCS11_FAILED',
          `More than one key matches ${this.where}; add id= to the URI to say which`,
        );
      return found[0];
    } finally {
      this.module.C_FindObjectsFinal(this.session);
    }
  }

  require(objectClass: number, keyType: number, what: string): Handle {
    const handle = this.find(objectClass, keyType);
    if (handle === undefined)
      throw new KeyError(
        'PKCS11_OBJECT_NOT_FOUND',
        `The token has no ${what} ${describePkcs11Key(this.uri)}. Create one with 'station keys create-csr --key <uri>', or correct object=/id= in the URI.`,
      );
    return handle;
  }

  attribute(handle: Handle, type: number): Buffer {
    const [result] = this.module.C_GetAttributeValue(this.session, handle, [{ type }]);
    if (result?.value === undefined)
      throw new KeyError('PKCS11_FAILED', `The token returned no attribute ${type}`);
    return Buffer.from(result.value as Buffer);
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    try {
      // Closing the last session logs the user out (PKCS#11 §5.6, C_CloseSession).
      this.module.C_CloseSession(this.session);
    } catch {
      // A removed token has no session to close.
    } finally {
      releaseModule(this.uri.modulePath);
    }
  }
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** SPKI of the EC public key object: CKA_EC_POINT is a DER OCTET STRING around 04‖X‖Y (§2.3.3). */
function ecSpki(session: TokenSession, publicKey: Handle): Uint8Array {
  const params = session.attribute(publicKey, pkcs11js.CKA_EC_PARAMS);
  if (!params.equals(P256_PARAMS))
    throw new KeyError(
      'KEY_INVALID',
      `The key ${session.where} is not on curve P-256 (CKA_EC_PARAMS ${params.toString('hex')})`,
    );
  let point = session.attribute(publicKey, pkcs11js.CKA_EC_POINT);
  if (point.length === 67 && point[0] === 0x04 && point[1] === 0x41) point = point.subarray(2);
  if (point.length !== 65 || point[0] !== 0x04)
    throw new KeyError('KEY_INVALID', `The key ${session.where} has an EC point the station cannot read`);
  const jwk = { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) };
  return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
}

function signingKey(session: TokenSession, privateKey: Handle, spki: Uint8Array): StationKey {
  return {
    kind: 'pkcs11',
    location: session.where,
    publicKeySpki: spki,
    sign: (data) =>
      session.run('sign', async () => {
        const digest = createHash('sha256').update(data).digest();
        session.module.C_SignInit(session.session, { mechanism: pkcs11js.CKM_ECDSA }, privateKey);
        const raw = await session.module.C_SignAsync(session.session, digest, Buffer.alloc(132));
        return rawEcdsaToDer(new Uint8Array(raw));
      }),
    close: () => session.close(),
  };
}

/**
 * Opens the ECDSA P-256 key the URI names (its private key and the public key object of the same
 * label/id).
 * @throws {KeyError} PKCS11_* (module, token, PIN, object), KEY_INVALID for a key not on P-256.
 */
export async function openPkcs11SigningKey(
  uri: Pkcs11Uri,
  where: string,
  env: NodeJS.ProcessEnv,
): Promise<StationKey> {
  const session = await TokenSession.open(uri, where, env);
  try {
    return await session.run('find the key', () => {
      const privateKey = session.require(pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKK_EC, 'EC private key');
      const publicKey = session.require(pkcs11js.CKO_PUBLIC_KEY, pkcs11js.CKK_EC, 'EC public key');
      return signingKey(session, privateKey, ecSpki(session, publicKey));
    });
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * Opens the URI's EC key, or generates an ECDSA P-256 pair inside the token under its label and id
 * (private: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_SIGN only).
 * @throws {KeyError} as openPkcs11SigningKey.
 */
export async function openOrCreatePkcs11SigningKey(
  uri: Pkcs11Uri,
  where: string,
  env: NodeJS.ProcessEnv,
): Promise<{ key: StationKey; created: boolean }> {
  const session = await TokenSession.open(uri, where, env);
  try {
    return await session.run('generate the key pair', async () => {
      const existing = session.find(pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKK_EC);
      if (existing !== undefined) {
        const publicKey = session.require(pkcs11js.CKO_PUBLIC_KEY, pkcs11js.CKK_EC, 'EC public key');
        return { key: signingKey(session, existing, ecSpki(session, publicKey)), created: false };
      }
      const id = Buffer.from(uri.id ?? randomBytes(16));
      const common: pkcs11js.Template = [
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_ID, value: id },
        ...(uri.object === undefined ? [] : [{ type: pkcs11js.CKA_LABEL, value: uri.object }]),
      ];
      const pair = await session.module.C_GenerateKeyPairAsync(
        session.session,
        { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
        [
          ...common,
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
          { type: pkcs11js.CKA_PRIVATE, value: false },
          { type: pkcs11js.CKA_VERIFY, value: true },
          { type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS },
        ],
        [
          ...common,
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_SIGN, value: true },
        ],
      );
      return { key: signingKey(session, pair.privateKey, ecSpki(session, pair.publicKey)), created: true };
    });
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * Opens the RSA key the URI names for RSA-OAEP-SHA256 decryption (CKM_RSA_PKCS_OAEP).
 * @throws {KeyError} PKCS11_*; KEY_DECRYPT_FAILED from decrypt when the data is not for this key.
 */
export async function openPkcs11DecryptionKey(
  uri: Pkcs11Uri,
  where: string,
  env: NodeJS.ProcessEnv,
): Promise<DecryptionKey> {
  const session = await TokenSession.open(uri, where, env);
  try {
    const { privateKey, spki, size } = await session.run('find the key', () => {
      const privateKey = session.require(pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKK_RSA, 'RSA private key');
      const n = session.attribute(privateKey, pkcs11js.CKA_MODULUS);
      const e = session.attribute(privateKey, pkcs11js.CKA_PUBLIC_EXPONENT);
      const jwk = { kty: 'RSA', n: b64url(n), e: b64url(e) };
      const spki = new Uint8Array(
        createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }),
      );
      return { privateKey, spki, size: n.length };
    });
    return {
      kind: 'pkcs11',
      location: where,
      publicKeySpki: spki,
      decrypt: (data) =>
        session
          .run('decrypt', async () => {
            const parameter: pkcs11js.RsaOAEP = {
              type: pkcs11js.CK_PARAMS_RSA_OAEP,
              hashAlg: pkcs11js.CKM_SHA256,
              mgf: pkcs11js.CKG_MGF1_SHA256,
              source: CKZ_DATA_SPECIFIED,
            };
            try {
              session.module.C_DecryptInit(
                session.session,
                { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter },
                privateKey,
              );
            } catch (error) {
              const ckr = ckrName(error);
              // SoftHSM2 2.6 (Debian 12) accepts OAEP with SHA-1 only ("hashAlg must be CKM_SHA_1").
              if (
                ckr === 'CKR_ARGUMENTS_BAD' ||
                ckr === 'CKR_MECHANISM_PARAM_INVALID' ||
                ckr === 'CKR_MECHANISM_INVALID'
              )
                throw new KeyError(
                  'PKCS11_MECHANISM_UNSUPPORTED',
                  `The token of ${where} cannot decrypt RSA-OAEP with SHA-256 and MGF1-SHA-256 (${ckr}); ` +
                    'SoftHSM2 2.6 offers OAEP with SHA-1 only. Keep this key in a file, or use a token that supports it.',
                  { ckr, cause: error },
                );
              throw error;
            }
            return new Uint8Array(
              await session.module.C_DecryptAsync(session.session, Buffer.from(data), Buffer.alloc(size)),
            );
          })
          .catch((error: unknown) => {
            if (
              error instanceof KeyError &&
              (error.ckr === 'CKR_ENCRYPTED_DATA_INVALID' || error.ckr === 'CKR_ENCRYPTED_DATA_LEN_RANGE')
            )
              throw new KeyError(
                'KEY_DECRYPT_FAILED',
                `The key ${where} cannot unwrap this content key (RSA-OAEP-SHA256): it was encrypted to another recipient, or altered`,
                { ckr: error.ckr, cause: error },
              );
            throw error;
          }),
      close: () => session.close(),
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
