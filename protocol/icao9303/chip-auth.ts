/**
 * Chip Authentication (9303-11 §6.2; BSI TR-03110-2 §3.4 version 1 as ICAO adopted it), ECDH,
 * both sides. The terminal sends an ephemeral public key on the curve of the chip's static key
 * (DG14); both sides compute K = x(SK · PK) and restart secure messaging with
 * KSenc, KSmac = KDF(K, 1), KDF(K, 2) and a zero SSC. Only a chip that holds the private key of the
 * DG14 key can compute the new keys, so the first protected answer under them is the proof.
 *
 *   3DES   MSE:Set KAT  0C 22 41 A6 {91 PK.PCD}[84 key id]
 *   AES    MSE:Set AT   0C 22 41 A4 {80 CA OID}[84 key id]
 *          GENERAL AUTHENTICATE 0C 86 00 00 {7C{80 PK.PCD}}
 *
 * Both commands go under the current session; the chip answers under it too, then both switch.
 * DH Chip Authentication (id-CA-DH) is not implemented: chips issued this decade use ECDH.
 */
import type { CommandApdu } from '../iso7816/apdu.ts';
import { SW } from '../iso7816/status.ts';
import { concatBytes, encodeTlv, findTag, readTlv, readTlvs } from '../iso7816/tlv.ts';
import type { Icao9303Crypto } from './crypto.ts';
import { decodePoint, type EcCurve, encodePoint, multiply, randomScalar, sharedSecret } from './ec.ts';
import { deriveSessionKeys, type SessionKeys } from './keys.ts';
import { suiteFor } from './pace.ts';
import type { SmCipherSuite } from './secure-messaging.ts';
import {
  type ChipAuthenticationInfo,
  type ChipAuthenticationPublicKeyInfo,
  decodeEcPublicKey,
  type EcPublicKey,
  type SecureMessagingCipher,
  type SecurityInfos,
} from './security-infos.ts';
import { decodeOidValue, encodeOid } from './sod.ts';

/** What DG14 offers for Chip Authentication, chosen and decoded. */
export interface ChipAuthenticationOffer {
  /** Absent: a DG14 with only the key means CA with 3DES (9303-11 §6.2.1). */
  readonly info: ChipAuthenticationInfo | undefined;
  readonly publicKeyInfo: ChipAuthenticationPublicKeyInfo;
  readonly publicKey: EcPublicKey;
  readonly cipher: SecureMessagingCipher;
  readonly keyId: number | undefined;
}

export type ChipAuthenticationChoice =
  | { readonly ok: true; readonly offer: ChipAuthenticationOffer }
  | {
      readonly ok: false;
      /** 'absent': DG14 offers no CA; 'unsupported': DH, or a key this station cannot use. */
      readonly reason: 'absent' | 'unsupported';
      readonly detail: string;
    };

/**
 * Picks the Chip Authentication to run from DG14's SecurityInfos: an ECDH ChipAuthenticationInfo
 * and the public key with its key id (or the only key), preferring AES.
 */
export function chooseChipAuthentication(infos: SecurityInfos): ChipAuthenticationChoice {
  const keys = infos.infos.filter((i) => i.type === 'chip-authentication-public-key');
  const cas = infos.infos.filter((i) => i.type === 'chip-authentication');
  if (keys.length === 0)
    return { ok: false, reason: 'absent', detail: 'DG14 holds no Chip Authentication key' };
  const ecdhKeys = keys.filter((k) => k.agreement === 'ECDH');
  if (ecdhKeys.length === 0) return { ok: false, reason: 'unsupported', detail: 'DG14 holds only a DH key' };
  const rank = (c: SecureMessagingCipher) => ['aes-128', 'aes-256', 'aes-192', '3des'].indexOf(c);
  const candidates = cas
    .filter((c) => c.agreement === 'ECDH')
    .sort((a, b) => rank(a.cipher) - rank(b.cipher));
  const pairs: { info: ChipAuthenticationInfo | undefined; key: ChipAuthenticationPublicKeyInfo }[] = [];
  for (const info of candidates) {
    const key = ecdhKeys.find(
      (k) => info.keyId === undefined || k.keyId === undefined || k.keyId === info.keyId,
    );
    if (key) pairs.push({ info, key });
  }
  if (pairs.length === 0 && cas.length === 0)
    for (const key of ecdhKeys) pairs.push({ info: undefined, key });
  if (pairs.length === 0)
    return { ok: false, reason: 'unsupported', detail: 'no ECDH Chip Authentication matches a key in DG14' };
  let lastProblem = '';
  for (const { info, key } of pairs) {
    const publicKey = decodeEcPublicKey(key.subjectPublicKeyInfo);
    if (!publicKey.ok) {
      lastProblem = publicKey.error.detail;
      continue;
    }
    return {
      ok: true,
      offer: {
        info,
        publicKeyInfo: key,
        publicKey: publicKey.value,
        cipher: info?.cipher ?? '3des',
        keyId: info?.keyId ?? key.keyId,
      },
    };
  }
  return { ok: false, reason: 'unsupported', detail: `the Chip Authentication key: ${lastProblem}` };
}

export interface ChipAuthenticationStart {
  /** The commands to send, in order, under the current secure messaging. */
  readonly commands: readonly CommandApdu[];
  /** The session to switch to once the chip has answered every command with 9000. */
  readonly next: { readonly keys: SessionKeys; readonly suite: SmCipherSuite; readonly ssc: Uint8Array };
}

function keyIdObject(keyId: number | undefined): Uint8Array[] {
  if (keyId === undefined) return [];
  const bytes: number[] = [];
  for (let v = keyId; ; v = Math.floor(v / 256)) {
    bytes.unshift(v & 0xff);
    if (v < 256) break;
  }
  return [encodeTlv(0x84, Uint8Array.from(bytes))];
}

/**
 * The terminal's side: an ephemeral key, the commands, and the session that follows.
 * `privateKey` only for known-answer tests; otherwise fresh randomness.
 */
export function startChipAuthentication(
  crypto: Icao9303Crypto,
  offer: ChipAuthenticationOffer,
  privateKey?: bigint,
): ChipAuthenticationStart {
  const { curve, point } = offer.publicKey;
  const ephemeral = privateKey ?? randomScalar(curve, (n) => crypto.randomBytes(n));
  const ephemeralPublic = encodePoint(multiply(curve, curve.generator, ephemeral));
  const shared = sharedSecret(curve, ephemeral, point);
  // A validated chip key on a prime-order curve never gives the point at infinity.
  if (!shared) throw new RangeError('the Chip Authentication shared point is at infinity');
  const keys = deriveSessionKeys(crypto, shared, offer.cipher);
  const keyId = keyIdObject(offer.keyId);
  const commands: CommandApdu[] =
    offer.cipher === '3des' || offer.info === undefined
      ? [
          {
            cla: 0x00,
            ins: 0x22,
            p1: 0x41,
            p2: 0xa6,
            data: concatBytes(encodeTlv(0x91, ephemeralPublic), ...keyId),
          },
        ]
      : [
          {
            cla: 0x00,
            ins: 0x22,
            p1: 0x41,
            p2: 0xa4,
            data: concatBytes(encodeTlv(0x80, encodeOid(offer.info.protocol).subarray(2)), ...keyId),
          },
          {
            cla: 0x00,
            ins: 0x86,
            p1: 0x00,
            p2: 0x00,
            data: encodeTlv(0x7c, encodeTlv(0x80, ephemeralPublic)),
            le: 256,
          },
        ];
  return {
    commands,
    next: {
      keys,
      suite: suiteFor(crypto, offer.cipher, keys),
      ssc: new Uint8Array(offer.cipher === '3des' ? 8 : 16),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The chip's side

export interface ChipAuthenticationChipOptions {
  readonly crypto: Icao9303Crypto;
  readonly curve: EcCurve;
  /** The chip's static private key. A cloned chip holds another one. */
  readonly privateKey: bigint;
  /** The CA protocol OID it offers (cipher from it), as in DG14. */
  readonly protocol: string;
  readonly cipher: SecureMessagingCipher;
}

export interface ChipAuthenticationChipAnswer {
  readonly sw: number;
  readonly data?: Uint8Array;
  /** Switch to this session after answering (under the old one). */
  readonly next?: { readonly suite: SmCipherSuite; readonly ssc: Uint8Array };
}

/** The chip's side of CA: MSE:Set KAT, or MSE:Set AT then GENERAL AUTHENTICATE. */
export class ChipAuthenticationChip {
  readonly #options: ChipAuthenticationChipOptions;
  #protocolSet: string | undefined;

  constructor(options: ChipAuthenticationChipOptions) {
    this.#options = options;
  }

  #agree(terminalKey: Uint8Array | undefined, cipher: SecureMessagingCipher): ChipAuthenticationChipAnswer {
    const { crypto, curve, privateKey } = this.#options;
    const point = decodePoint(curve, terminalKey ?? new Uint8Array(0));
    if (!point.ok) return { sw: SW.WRONG_DATA };
    const shared = sharedSecret(curve, privateKey, point.value);
    if (!shared) return { sw: SW.WRONG_DATA };
    const keys = deriveSessionKeys(crypto, shared, cipher);
    return {
      sw: SW.OK,
      next: { suite: suiteFor(crypto, cipher, keys), ssc: new Uint8Array(cipher === '3des' ? 8 : 16) },
    };
  }

  /** MSE (INS 22) with P1 41: Set KAT (P2 A6) or Set AT (P2 A4). */
  manageSecurityEnvironment(p2: number, data: Uint8Array): ChipAuthenticationChipAnswer {
    this.#protocolSet = undefined;
    const objects = readTlvs(data);
    if (!objects.ok) return { sw: SW.WRONG_DATA };
    if (p2 === 0xa6) return this.#agree(findTag(objects.value, 0x91)?.value, '3des');
    if (p2 !== 0xa4) return { sw: SW.WRONG_P1P2 };
    const oid = findTag(objects.value, 0x80)?.value;
    const protocol = oid && decodeOidValue(oid);
    if (protocol !== this.#options.protocol) return { sw: SW.WRONG_DATA };
    this.#protocolSet = protocol;
    return { sw: SW.OK };
  }

  /** GENERAL AUTHENTICATE after MSE:Set AT. */
  generalAuthenticate(data: Uint8Array): ChipAuthenticationChipAnswer {
    if (this.#protocolSet === undefined) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    this.#protocolSet = undefined;
    const outer = readTlv(data);
    if (!outer.ok || outer.value.tag !== 0x7c) return { sw: SW.WRONG_DATA };
    const inner = readTlvs(outer.value.value);
    if (!inner.ok) return { sw: SW.WRONG_DATA };
    const answer = this.#agree(findTag(inner.value, 0x80)?.value, this.#options.cipher);
    return answer.sw === SW.OK ? { ...answer, data: encodeTlv(0x7c, new Uint8Array(0)) } : answer;
  }
}
