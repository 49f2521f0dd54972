/**
 * PACE, Password Authenticated Connection Establishment (9303-11 §4.4; worked example App. G.1),
 * with the generic mapping over ECDH (ECDH-GM) and the 3DES or AES secure-messaging suites. Both
 * sides: `performPace` is the terminal's, `PaceChip` the chip's (used by the simulated card).
 *
 *   MSE:Set AT       00 22 C1 A4 {80 OID}{83 password ref}{84 parameter id}
 *   GA 1 (chained)   10 86 00 00 {7C 00}                 → 7C{80 z}     s = Dec(Kπ, z)
 *   GA 2 (chained)   10 86 00 00 {7C{81 PKmap.PCD}}      → 7C{82 PKmap.IC}  G' = s·G + H
 *   GA 3 (chained)   10 86 00 00 {7C{83 PK.PCD}}         → 7C{84 PK.IC}     K = x(SK·PK)
 *   GA 4             00 86 00 00 {7C{85 T.PCD}}          → 7C{86 T.IC}
 *
 * Kπ = KDF(π, 3), π = SHA-1(MRZ information) for the MRZ, the CAN's ASCII digits for the CAN.
 * Session keys KSenc, KSmac = KDF(K, 1), KDF(K, 2); the SSC starts at zero. A token is the MAC
 * (AES-CMAC cut to 8 bytes, or the retail MAC) over `7F49{06 OID, 86 the other side's PK}`.
 *
 * Pure: crypto and randomness are injected; the exchange goes through the caller's `send`.
 */

import { constantTimeEqual } from '../bytes.ts';
import type { CommandApdu, ResponseApdu } from '../iso7816/apdu.ts';
import { SW } from '../iso7816/status.ts';
import { concatBytes, encodeTlv, findTag, readTlv, readTlvs } from '../iso7816/tlv.ts';
import type { Icao9303Crypto } from './crypto.ts';
import {
  bytesToBigInt,
  decodePoint,
  type EcCurve,
  type EcPoint,
  encodePoint,
  multiply,
  paceStandardCurve,
  randomScalar,
  sharedSecret,
} from './ec.ts';
import { deriveSessionKeys, KDF_COUNTER, type KdfCipher, kdf, mrzAscii, type SessionKeys } from './keys.ts';
import { aesCmac, retailMac, SM_MAC_LENGTH } from './mac.ts';
import { aesSuite, type SmCipherSuite, tdesSuite } from './secure-messaging.ts';
import type { PaceInfo, SecureMessagingCipher } from './security-infos.ts';
import { decodeOidValue, encodeOid } from './sod.ts';

/** The password PACE runs with: the MRZ information (BAC's key text) or the card access number. */
export type PacePassword =
  | { readonly kind: 'mrz'; readonly mrzInformation: string }
  | { readonly kind: 'can'; readonly can: string };

/** MSE:Set AT password references (9303-11 §4.4.4.1): 1 = MRZ, 2 = CAN. */
export const PACE_PASSWORD_REF = { mrz: 1, can: 2 } as const;

/** Why PACE did not establish a session. A fixed set: callers switch on it. */
export type PaceFailureReason =
  /** The chip has no usable PACE (no PACEInfo we implement, unknown parameters). */
  | 'unsupported'
  /** The chip refused a step with a status word (6982, 6985, 6A80, 6D00, …): try another method. */
  | 'refused'
  /** The chip refused the password (63xx at mutual authentication): wrong CAN or MRZ. */
  | 'access-denied'
  /** The chip's answer is malformed, or its token or points do not verify. */
  | 'authentication-failed';

export interface PaceFailure {
  readonly reason: PaceFailureReason;
  /** 'mse-set-at', 'nonce', 'map', 'key-agreement', 'mutual-authentication'. */
  readonly step: string;
  readonly statusWord?: number;
  readonly detail: string;
}

export interface PaceSession {
  readonly keys: SessionKeys;
  readonly suite: SmCipherSuite;
  /** Zero, one block long. */
  readonly ssc: Uint8Array;
  readonly curve: EcCurve;
  /** The chip's ephemeral public key (Chip Authentication mapping and CA would use it). */
  readonly chipPublicKey: Uint8Array;
}

export type PaceResult =
  | { readonly ok: true; readonly value: PaceSession }
  | { readonly ok: false; readonly error: PaceFailure };

function kdfCipher(cipher: SecureMessagingCipher): KdfCipher {
  return cipher;
}

/** Kπ = KDF(π, 3) for the cipher (9303-11 §4.4.3.1, §9.7.3). */
export function pacePasswordKey(
  crypto: Icao9303Crypto,
  password: PacePassword,
  cipher: SecureMessagingCipher,
): Uint8Array {
  const pi =
    password.kind === 'mrz' ? crypto.sha1(mrzAscii(password.mrzInformation)) : mrzAscii(password.can);
  return kdf(crypto, pi, KDF_COUNTER.PACE, kdfCipher(cipher));
}

/** The secure-messaging suite for a cipher and session keys. */
export function suiteFor(
  crypto: Icao9303Crypto,
  cipher: SecureMessagingCipher,
  keys: SessionKeys,
): SmCipherSuite {
  return cipher === '3des' ? tdesSuite(crypto, keys) : aesSuite(crypto, keys);
}

function blockOf(cipher: SecureMessagingCipher): number {
  return cipher === '3des' ? 8 : 16;
}

/** Decrypts (or, on the chip, encrypts) the PACE nonce with Kπ, CBC with a zero IV. */
function nonceCipher(
  crypto: Icao9303Crypto,
  cipher: SecureMessagingCipher,
  key: Uint8Array,
  data: Uint8Array,
  direction: 'encrypt' | 'decrypt',
): Uint8Array {
  const iv = new Uint8Array(blockOf(cipher));
  if (cipher === '3des')
    return direction === 'encrypt'
      ? crypto.tdesCbcEncrypt(key, iv, data)
      : crypto.tdesCbcDecrypt(key, iv, data);
  return direction === 'encrypt' ? crypto.aesCbcEncrypt(key, iv, data) : crypto.aesCbcDecrypt(key, iv, data);
}

/** The authentication token over `7F49{06 OID, 86 point}` (9303-11 §4.4.3.4, §9.4.4). */
export function paceToken(
  crypto: Icao9303Crypto,
  cipher: SecureMessagingCipher,
  KSmac: Uint8Array,
  protocol: string,
  point: Uint8Array,
): Uint8Array {
  const input = encodeTlv(0x7f49, encodeOid(protocol), encodeTlv(0x86, point));
  return cipher === '3des'
    ? retailMac(crypto, KSmac, input)
    : aesCmac(crypto, KSmac, input).slice(0, SM_MAC_LENGTH);
}

/** MSE:Set AT for PACE (9303-11 §4.4.4.1). */
export function mseSetAtPace(info: PaceInfo, password: PacePassword): CommandApdu {
  const oid = encodeOid(info.protocol).subarray(2);
  return {
    cla: 0x00,
    ins: 0x22,
    p1: 0xc1,
    p2: 0xa4,
    data: concatBytes(
      encodeTlv(0x80, oid),
      encodeTlv(0x83, Uint8Array.of(PACE_PASSWORD_REF[password.kind])),
      ...(info.parameterId === undefined ? [] : [encodeTlv(0x84, Uint8Array.of(info.parameterId))]),
    ),
  };
}

/** GENERAL AUTHENTICATE with dynamic authentication data `7C{…}`; chained for all but the last. */
export function generalAuthenticate(inner: Uint8Array, last: boolean): CommandApdu {
  return { cla: last ? 0x00 : 0x10, ins: 0x86, p1: 0x00, p2: 0x00, data: encodeTlv(0x7c, inner), le: 256 };
}

/** Whether this station can run PACE with `info` (ECDH generic mapping on a known curve). */
export function paceSupported(info: PaceInfo): boolean {
  return (
    info.mapping === 'ECDH-GM' &&
    info.parameterId !== undefined &&
    paceStandardCurve(info.parameterId) !== undefined
  );
}

export interface PaceTerminalOptions {
  readonly crypto: Icao9303Crypto;
  readonly info: PaceInfo;
  readonly password: PacePassword;
  /**
   * The terminal's private keys (mapping, then ephemeral); only for known-answer tests. Omitted:
   * fresh random keys, as every real session must use.
   */
  readonly privateKeys?: { readonly mapping: bigint; readonly ephemeral: bigint };
}

function failure(reason: PaceFailureReason, step: string, detail: string, statusWord?: number): PaceResult {
  return { ok: false, error: { reason, step, detail, ...(statusWord === undefined ? {} : { statusWord }) } };
}

/** The value of tag `tag` inside a `7C{…}` response, or undefined. */
function dynamicData(response: ResponseApdu, tag: number): Uint8Array | undefined {
  const outer = readTlv(response.data);
  if (!outer.ok || outer.value.tag !== 0x7c) return undefined;
  const inner = readTlvs(outer.value.value);
  if (!inner.ok) return undefined;
  return findTag(inner.value, tag)?.value;
}

function refusal(step: string, sw: number): PaceResult {
  // 63xx at mutual authentication (or anywhere) is the chip saying the password is wrong.
  const reason: PaceFailureReason = (sw & 0xff00) === 0x6300 ? 'access-denied' : 'refused';
  return failure(reason, step, `the chip answered ${sw.toString(16).toUpperCase()}`, sw);
}

/**
 * The terminal's side of PACE over `send` (plain APDUs, no secure messaging yet). Never throws for
 * the chip's answers; transport errors from `send` pass through.
 */
export async function performPace(
  send: (command: CommandApdu) => Promise<ResponseApdu>,
  options: PaceTerminalOptions,
): Promise<PaceResult> {
  const { crypto, info, password } = options;
  if (info.mapping !== 'ECDH-GM')
    return failure('unsupported', 'mse-set-at', `mapping ${info.mapping} is not implemented; ECDH-GM is`);
  const curve = info.parameterId === undefined ? undefined : paceStandardCurve(info.parameterId);
  if (!curve)
    return failure(
      'unsupported',
      'mse-set-at',
      `domain parameters ${info.parameterId ?? '(proprietary)'} are not supported`,
    );
  const cipher = info.cipher;
  const random = (n: number) => crypto.randomBytes(n);

  const set = await send(mseSetAtPace(info, password));
  if (set.sw !== SW.OK) return refusal('mse-set-at', set.sw);

  // 1. Encrypted nonce.
  const r1 = await send(generalAuthenticate(new Uint8Array(0), false));
  if (r1.sw !== SW.OK) return refusal('nonce', r1.sw);
  const z = dynamicData(r1, 0x80);
  if (!z || z.length === 0 || z.length % blockOf(cipher) !== 0)
    return failure('authentication-failed', 'nonce', 'the chip sent no encrypted nonce (7C{80})');
  const kPi = pacePasswordKey(crypto, password, cipher);
  const s = bytesToBigInt(nonceCipher(crypto, cipher, kPi, z, 'decrypt'));

  // 2. Generic mapping.
  const mapKey = options.privateKeys?.mapping ?? randomScalar(curve, random);
  const mapPublic = encodePoint(multiply(curve, curve.generator, mapKey));
  const r2 = await send(generalAuthenticate(encodeTlv(0x81, mapPublic), false));
  if (r2.sw !== SW.OK) return refusal('map', r2.sw);
  const chipMap = decodePoint(curve, dynamicData(r2, 0x82) ?? new Uint8Array(0));
  if (!chipMap.ok)
    return failure('authentication-failed', 'map', `the chip's mapping key: ${chipMap.error.detail}`);
  const mapped = mapGenerator(curve, s, mapKey, chipMap.value);
  if (!mapped)
    return failure('authentication-failed', 'map', 'the mapped generator is the point at infinity');

  // 3. Key agreement on the mapped generator.
  const ephemeral = options.privateKeys?.ephemeral ?? randomScalar(curve, random);
  const ephemeralPublic = encodePoint(multiply(curve, mapped, ephemeral));
  const r3 = await send(generalAuthenticate(encodeTlv(0x83, ephemeralPublic), false));
  if (r3.sw !== SW.OK) return refusal('key-agreement', r3.sw);
  const chipKeyBytes = dynamicData(r3, 0x84) ?? new Uint8Array(0);
  const chipKey = decodePoint(curve, chipKeyBytes);
  if (!chipKey.ok)
    return failure(
      'authentication-failed',
      'key-agreement',
      `the chip's ephemeral key: ${chipKey.error.detail}`,
    );
  if (constantTimeEqual(chipKeyBytes, ephemeralPublic))
    return failure('authentication-failed', 'key-agreement', 'the chip echoed our ephemeral key');
  const shared = sharedSecret(curve, ephemeral, chipKey.value);
  if (!shared) return failure('authentication-failed', 'key-agreement', 'the shared point is at infinity');
  const keys = deriveSessionKeys(crypto, shared, kdfCipher(cipher));

  // 4. Mutual authentication.
  const ourToken = paceToken(crypto, cipher, keys.KSmac, info.protocol, chipKeyBytes);
  const r4 = await send(generalAuthenticate(encodeTlv(0x85, ourToken), true));
  if (r4.sw !== SW.OK) return refusal('mutual-authentication', r4.sw);
  const chipToken = dynamicData(r4, 0x86);
  const expected = paceToken(crypto, cipher, keys.KSmac, info.protocol, ephemeralPublic);
  if (!chipToken || !constantTimeEqual(chipToken, expected))
    return failure('authentication-failed', 'mutual-authentication', "the chip's token does not verify");
  return {
    ok: true,
    value: {
      keys,
      suite: suiteFor(crypto, cipher, keys),
      ssc: new Uint8Array(blockOf(cipher)),
      curve,
      chipPublicKey: chipKeyBytes,
    },
  };
}

/** G' = s·G + k·P (9303-11 §4.4.3.3.1), or undefined for the point at infinity. */
function mapGenerator(curve: EcCurve, s: bigint, k: bigint, peer: EcPoint): EcPoint | undefined {
  const n = curve.domain.n;
  const sG = s % n === 0n ? undefined : multiply(curve, curve.generator, s % n);
  const h = multiply(curve, peer, k);
  const sum = sG ? sG.add(h) : h;
  return sum.is0() ? undefined : sum;
}

// ---------------------------------------------------------------------------------------------
// The chip's side

export interface PaceChipOptions {
  readonly crypto: Icao9303Crypto;
  /** The PACEInfo the chip offers in EF.CardAccess. */
  readonly info: PaceInfo;
  /** The passwords the chip accepts. */
  readonly passwords: { readonly mrzInformation?: string; readonly can?: string };
}

export interface PaceChipAnswer {
  readonly sw: number;
  readonly data?: Uint8Array;
  /** Present once mutual authentication succeeded: start secure messaging with it. */
  readonly session?: { readonly suite: SmCipherSuite; readonly ssc: Uint8Array };
}

type ChipState =
  | { readonly step: 'idle' }
  | { readonly step: 'set'; readonly password: PacePassword }
  | { readonly step: 'nonce'; readonly s: bigint }
  | { readonly step: 'mapped'; readonly generator: EcPoint; readonly mapPublic: Uint8Array }
  | {
      readonly step: 'agreed';
      readonly keys: SessionKeys;
      readonly chipPublic: Uint8Array;
      readonly terminalPublic: Uint8Array;
    };

/** The chip's PACE state machine: MSE:Set AT, then the four GENERAL AUTHENTICATE steps. */
export class PaceChip {
  readonly #options: PaceChipOptions;
  readonly #curve: EcCurve;
  #state: ChipState = { step: 'idle' };

  /** @throws {RangeError} when `info` is not ECDH-GM on a supported standard curve. */
  constructor(options: PaceChipOptions) {
    const curve =
      options.info.parameterId === undefined ? undefined : paceStandardCurve(options.info.parameterId);
    if (options.info.mapping !== 'ECDH-GM' || !curve)
      throw new RangeError('the simulated chip does ECDH-GM only');
    this.#options = options;
    this.#curve = curve;
  }

  reset(): void {
    this.#state = { step: 'idle' };
  }

  /** MSE:Set AT's data. */
  setAuthenticationTemplate(data: Uint8Array): PaceChipAnswer {
    this.#state = { step: 'idle' };
    const objects = readTlvs(data);
    if (!objects.ok) return { sw: SW.WRONG_DATA };
    const oid = findTag(objects.value, 0x80)?.value;
    const ref = findTag(objects.value, 0x83)?.value;
    const param = findTag(objects.value, 0x84)?.value;
    const { info, passwords } = this.#options;
    if (!oid || decodeOidValue(oid) !== info.protocol) return { sw: SW.WRONG_DATA };
    if (param !== undefined && (param.length !== 1 || param[0] !== info.parameterId))
      return { sw: SW.WRONG_DATA };
    const which = ref?.length === 1 ? ref[0] : undefined;
    let password: PacePassword | undefined;
    if (which === PACE_PASSWORD_REF.mrz && passwords.mrzInformation !== undefined)
      password = { kind: 'mrz', mrzInformation: passwords.mrzInformation };
    else if (which === PACE_PASSWORD_REF.can && passwords.can !== undefined)
      password = { kind: 'can', can: passwords.can };
    if (!password) return { sw: SW.REFERENCED_DATA_NOT_FOUND };
    this.#state = { step: 'set', password };
    return { sw: SW.OK };
  }

  /** One GENERAL AUTHENTICATE; `chained` is CLA bit 0x10. Any failure resets the protocol. */
  generalAuthenticate(data: Uint8Array, chained: boolean): PaceChipAnswer {
    const answer = this.#step(data, chained);
    if (answer.sw !== SW.OK) this.#state = { step: 'idle' };
    return answer;
  }

  #step(data: Uint8Array, chained: boolean): PaceChipAnswer {
    const { crypto, info } = this.#options;
    const curve = this.#curve;
    const random = (n: number) => crypto.randomBytes(n);
    const outer = readTlv(data);
    if (!outer.ok || outer.value.tag !== 0x7c) return { sw: SW.WRONG_DATA };
    const inner = readTlvs(outer.value.value);
    if (!inner.ok) return { sw: SW.WRONG_DATA };
    const state = this.#state;
    const wantChained = state.step !== 'agreed';
    if (chained !== wantChained) return { sw: wantChained ? SW.CONDITIONS_NOT_SATISFIED : 0x6883 };
    const reply = (tag: number, value: Uint8Array): PaceChipAnswer => ({
      sw: SW.OK,
      data: encodeTlv(0x7c, encodeTlv(tag, value)),
    });
    switch (state.step) {
      case 'idle':
        return { sw: SW.CONDITIONS_NOT_SATISFIED };
      case 'set': {
        if (inner.value.length !== 0) return { sw: SW.WRONG_DATA };
        // A 16-byte nonce: whole blocks for both ciphers (9303-11 §4.4.3.3).
        const nonce = random(16);
        const kPi = pacePasswordKey(crypto, state.password, info.cipher);
        const z = nonceCipher(crypto, info.cipher, kPi, nonce, 'encrypt');
        this.#state = { step: 'nonce', s: bytesToBigInt(nonce) };
        return reply(0x80, z);
      }
      case 'nonce': {
        const terminal = decodePoint(curve, findTag(inner.value, 0x81)?.value ?? new Uint8Array(0));
        if (!terminal.ok) return { sw: SW.WRONG_DATA };
        const k = randomScalar(curve, random);
        const mapPublic = encodePoint(multiply(curve, curve.generator, k));
        const generator = mapGenerator(curve, state.s, k, terminal.value);
        if (!generator) return { sw: SW.WRONG_DATA };
        this.#state = { step: 'mapped', generator, mapPublic };
        return reply(0x82, mapPublic);
      }
      case 'mapped': {
        const terminalBytes = findTag(inner.value, 0x83)?.value ?? new Uint8Array(0);
        const terminal = decodePoint(curve, terminalBytes);
        if (!terminal.ok) return { sw: SW.WRONG_DATA };
        const k = randomScalar(curve, random);
        const chipPublic = encodePoint(multiply(curve, state.generator, k));
        if (constantTimeEqual(chipPublic, terminalBytes)) return { sw: SW.WRONG_DATA };
        const shared = sharedSecret(curve, k, terminal.value);
        if (!shared) return { sw: SW.WRONG_DATA };
        const keys = deriveSessionKeys(crypto, shared, kdfCipher(info.cipher));
        this.#state = { step: 'agreed', keys, chipPublic, terminalPublic: terminalBytes };
        return reply(0x84, chipPublic);
      }
      case 'agreed': {
        const token = findTag(inner.value, 0x85)?.value;
        const expected = paceToken(crypto, info.cipher, state.keys.KSmac, info.protocol, state.chipPublic);
        if (!token || !constantTimeEqual(token, expected)) return { sw: SW.AUTHENTICATION_FAILED };
        const chipToken = paceToken(
          crypto,
          info.cipher,
          state.keys.KSmac,
          info.protocol,
          state.terminalPublic,
        );
        this.#state = { step: 'idle' };
        return {
          ...reply(0x86, chipToken),
          session: {
            suite: suiteFor(crypto, info.cipher, state.keys),
            ssc: new Uint8Array(blockOf(info.cipher)),
          },
        };
      }
    }
  }
}
