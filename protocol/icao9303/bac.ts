/**
 * Basic Access Control (9303-11 §4.3; worked example App. D.3), both sides, as pure steps.
 *
 * Reader (IFD):
 *   1. GET CHALLENGE `00 84 00 00 08` → RND.IC (`parseGetChallengeResponse`).
 *   2. `startBac` / `buildExternalAuthenticate`: S = RND.IFD || RND.IC || K.IFD,
 *      E.IFD = 3DES-CBC(KEnc, IV 0, S), M.IFD = retail MAC(KMac, E.IFD);
 *      EXTERNAL AUTHENTICATE `00 82 00 00 28 <E.IFD || M.IFD> 28`.
 *   3. `finishBac`: the chip answers E.IC || M.IC (40 bytes); check M.IC, decrypt
 *      R = RND.IC || RND.IFD || K.IC, check the RND.IFD echo, then
 *      KSenc/KSmac = KDF(K.IFD xor K.IC, 1/2) and SSC = RND.IC[4:8] || RND.IFD[4:8].
 *
 * Chip (the simulated card): `answerExternalAuthenticate` mirrors step 3 for the IFD's data.
 *
 * Field table of the EXTERNAL AUTHENTICATE data, both directions (9303-11 §4.3):
 *
 * | bytes  | IFD → chip                 | chip → IFD                 |
 * |--------|----------------------------|----------------------------|
 * | 0..31  | E.IFD = Enc(RND.IFD‖RND.IC‖K.IFD) | E.IC = Enc(RND.IC‖RND.IFD‖K.IC) |
 * | 32..39 | M.IFD = MAC(E.IFD)         | M.IC = MAC(E.IC)           |
 */

import { constantTimeEqual } from '../bytes.ts';
import type { CommandApdu, ResponseApdu } from '../iso7816/apdu.ts';
import { hexStatus, SW } from '../iso7816/status.ts';
import { concatBytes } from '../iso7816/tlv.ts';
import type { Icao9303Crypto } from './crypto.ts';
import { type BacKeys, deriveSessionKeys } from './keys.ts';
import { retailMac, SM_MAC_LENGTH } from './mac.ts';

/** Length of RND.IC and RND.IFD, bytes. */
export const BAC_NONCE_LENGTH = 8;
/** Length of K.IFD and K.IC, bytes. */
export const BAC_KEY_MATERIAL_LENGTH = 16;
/** Length of E.IFD / E.IC, bytes. */
export const BAC_CRYPTOGRAM_LENGTH = 32;
/** Length of the EXTERNAL AUTHENTICATE data and of the chip's answer (E‖M), bytes (0x28). */
export const BAC_AUTH_DATA_LENGTH = BAC_CRYPTOGRAM_LENGTH + SM_MAC_LENGTH;

/** GET CHALLENGE for BAC: `00 84 00 00 08`. */
export const BAC_GET_CHALLENGE: CommandApdu = {
  cla: 0x00,
  ins: 0x84,
  p1: 0x00,
  p2: 0x00,
  le: BAC_NONCE_LENGTH,
};

/** Why BAC failed. A fixed set: callers switch on it, never on message text. */
export type BacFailureReason =
  /**
   * The chip refused EXTERNAL AUTHENTICATE with 6300 or 6982: the keys from the MRZ are not the
   * card's. Upstream: "check the numbers on the card" (document number, dates).
   */
  | 'access-denied'
  /** Another status word than 9000, 6300 or 6982. */
  | 'unexpected-status'
  /** A challenge or answer of the wrong length. */
  | 'invalid-length'
  /**
   * The MAC over the other side's cryptogram does not verify: on the reader, M.IC (a chip that
   * answered without checking our MAC, or a corrupted answer); on the chip, M.IFD (wrong keys).
   */
  | 'mac-mismatch'
  /** The decrypted cryptogram does not echo our nonce (replay or a broken counterpart). */
  | 'nonce-mismatch';

export interface BacFailure {
  readonly reason: BacFailureReason;
  /** The status word the chip answered (reader side) or should answer (chip side). */
  readonly statusWord: number | undefined;
  /** What was wrong, for logs and developers; never parsed. */
  readonly detail: string;
}

export type BacResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: BacFailure };

function bacFail(reason: BacFailureReason, statusWord: number | undefined, detail: string): BacResult<never> {
  return { ok: false, error: { reason, statusWord, detail } };
}

/** What BAC establishes: 3DES session keys and the initial send sequence counter. */
export interface BacSession {
  readonly KSenc: Uint8Array;
  readonly KSmac: Uint8Array;
  /** Send sequence counter, 8 bytes: RND.IC[4:8] || RND.IFD[4:8]. */
  readonly SSC: Uint8Array;
}

function expectLength(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
}

/** E = 3DES-CBC(KEnc, IV 0, plain); M = retail MAC(KMac, E); returns E ‖ M. */
function seal(crypto: Icao9303Crypto, keys: BacKeys, plain: Uint8Array): Uint8Array {
  const cryptogram = crypto.tdesCbcEncrypt(keys.KEnc, new Uint8Array(8), plain);
  return concatBytes(cryptogram, retailMac(crypto, keys.KMac, cryptogram));
}

/** Checks M over E in constant time, then decrypts E. Undefined when the MAC does not verify. */
function open(crypto: Icao9303Crypto, keys: BacKeys, sealed: Uint8Array): Uint8Array | undefined {
  const cryptogram = sealed.subarray(0, BAC_CRYPTOGRAM_LENGTH);
  const mac = sealed.subarray(BAC_CRYPTOGRAM_LENGTH);
  if (!constantTimeEqual(retailMac(crypto, keys.KMac, cryptogram), mac)) return undefined;
  return crypto.tdesCbcDecrypt(keys.KEnc, new Uint8Array(8), cryptogram);
}

function session(
  crypto: Icao9303Crypto,
  rndIc: Uint8Array,
  rndIfd: Uint8Array,
  kIfd: Uint8Array,
  kIc: Uint8Array,
): BacSession {
  const seed = new Uint8Array(BAC_KEY_MATERIAL_LENGTH);
  for (let i = 0; i < seed.length; i++) seed[i] = (kIfd[i] ?? 0) ^ (kIc[i] ?? 0);
  const { KSenc, KSmac } = deriveSessionKeys(crypto, seed, '3des');
  return { KSenc, KSmac, SSC: concatBytes(rndIc.subarray(4, 8), rndIfd.subarray(4, 8)) };
}

/**
 * RND.IC from the answer to `BAC_GET_CHALLENGE`. Returns `unexpected-status` for a status word
 * other than 9000 and `invalid-length` for data that is not 8 bytes.
 */
export function parseGetChallengeResponse(response: ResponseApdu): BacResult<Uint8Array> {
  if (response.sw !== SW.OK)
    return bacFail('unexpected-status', response.sw, `GET CHALLENGE answered ${hexStatus(response.sw)}`);
  if (response.data.length !== BAC_NONCE_LENGTH)
    return bacFail(
      'invalid-length',
      response.sw,
      `GET CHALLENGE returned ${response.data.length} bytes, expected ${BAC_NONCE_LENGTH}`,
    );
  return { ok: true, value: response.data.slice() };
}

/** The reader's state between EXTERNAL AUTHENTICATE and the chip's answer. Holds secrets. */
export interface BacAuthentication {
  readonly keys: BacKeys;
  readonly rndIc: Uint8Array;
  readonly rndIfd: Uint8Array;
  readonly kIfd: Uint8Array;
  /** E.IFD ‖ M.IFD, 40 bytes. */
  readonly data: Uint8Array;
  /** EXTERNAL AUTHENTICATE `00 82 00 00 28 <data> 28`. */
  readonly command: CommandApdu;
}

/**
 * Builds the EXTERNAL AUTHENTICATE data from explicit nonces (tests, App. D.3; production code
 * calls `startBac`). `rndIfd` is 8 bytes and `kIfd` 16, both secret and random.
 * @throws {RangeError} for RND.IC, RND.IFD or K.IFD of the wrong length (validate RND.IC with
 *   `parseGetChallengeResponse`).
 */
export function buildExternalAuthenticate(
  crypto: Icao9303Crypto,
  keys: BacKeys,
  rndIc: Uint8Array,
  rndIfd: Uint8Array,
  kIfd: Uint8Array,
): BacAuthentication {
  expectLength('RND.IC', rndIc, BAC_NONCE_LENGTH);
  expectLength('RND.IFD', rndIfd, BAC_NONCE_LENGTH);
  expectLength('K.IFD', kIfd, BAC_KEY_MATERIAL_LENGTH);
  const data = seal(crypto, keys, concatBytes(rndIfd, rndIc, kIfd));
  return {
    keys,
    rndIc: rndIc.slice(),
    rndIfd: rndIfd.slice(),
    kIfd: kIfd.slice(),
    data,
    // Le = 28 as 9303-11 App. D.3 prints it; a short Le of 256 ('00') also gets the 40 bytes.
    command: { cla: 0x00, ins: 0x82, p1: 0x00, p2: 0x00, data, le: BAC_AUTH_DATA_LENGTH },
  };
}

/**
 * `buildExternalAuthenticate` with RND.IFD and K.IFD from `crypto.randomBytes`.
 * @throws {RangeError} for an RND.IC that is not 8 bytes.
 */
export function startBac(crypto: Icao9303Crypto, keys: BacKeys, rndIc: Uint8Array): BacAuthentication {
  return buildExternalAuthenticate(
    crypto,
    keys,
    rndIc,
    crypto.randomBytes(BAC_NONCE_LENGTH),
    crypto.randomBytes(BAC_KEY_MATERIAL_LENGTH),
  );
}

/**
 * Checks the chip's answer to EXTERNAL AUTHENTICATE and derives the session.
 * Returns `access-denied` (6300/6982: wrong MRZ), `unexpected-status`, `invalid-length` (not 40
 * bytes), `mac-mismatch` (M.IC does not verify) or `nonce-mismatch` (RND.IFD not echoed).
 */
export function finishBac(
  crypto: Icao9303Crypto,
  auth: BacAuthentication,
  response: ResponseApdu,
): BacResult<BacSession> {
  const { sw } = response;
  if (sw === SW.AUTHENTICATION_FAILED || sw === SW.SECURITY_STATUS_NOT_SATISFIED)
    return bacFail('access-denied', sw, `the chip refused EXTERNAL AUTHENTICATE with ${hexStatus(sw)}`);
  if (sw !== SW.OK)
    return bacFail('unexpected-status', sw, `EXTERNAL AUTHENTICATE answered ${hexStatus(sw)}`);
  if (response.data.length !== BAC_AUTH_DATA_LENGTH)
    return bacFail(
      'invalid-length',
      sw,
      `EXTERNAL AUTHENTICATE returned ${response.data.length} bytes, expected ${BAC_AUTH_DATA_LENGTH}`,
    );
  const r = open(crypto, auth.keys, response.data);
  if (r === undefined) return bacFail('mac-mismatch', sw, 'M.IC does not verify under KMac');
  if (!constantTimeEqual(r.subarray(8, 16), auth.rndIfd))
    return bacFail('nonce-mismatch', sw, 'the chip did not echo RND.IFD');
  return { ok: true, value: session(crypto, auth.rndIc, auth.rndIfd, auth.kIfd, r.subarray(16, 32)) };
}

/** The chip's secrets for one BAC run: RND.IC (answered to GET CHALLENGE) and K.IC. */
export interface BacChipNonces {
  readonly rndIc: Uint8Array;
  readonly kIc: Uint8Array;
}

/** Fresh RND.IC (8 bytes) and K.IC (16 bytes) from `crypto.randomBytes`. */
export function createBacChipNonces(crypto: Icao9303Crypto): BacChipNonces {
  return { rndIc: crypto.randomBytes(BAC_NONCE_LENGTH), kIc: crypto.randomBytes(BAC_KEY_MATERIAL_LENGTH) };
}

export interface BacChipAnswer {
  /** E.IC ‖ M.IC, 40 bytes, to answer with status 9000. */
  readonly data: Uint8Array;
  readonly session: BacSession;
}

export interface BacChipOptions {
  /**
   * Status word for a refused authentication (bad M.IFD, RND.IC not echoed). 9303-11 does not fix
   * it: chips answer 6300 "authentication failed" (the default) or 6982 "security status not
   * satisfied", and readers treat both as a wrong MRZ.
   */
  readonly refusal?: typeof SW.AUTHENTICATION_FAILED | typeof SW.SECURITY_STATUS_NOT_SATISFIED;
}

/**
 * The chip's side of EXTERNAL AUTHENTICATE (simulated cards): verifies M.IFD, decrypts S, checks
 * the RND.IC echo, and builds E.IC ‖ M.IC with the session it establishes.
 *
 * Refusals carry the status word to answer (plain, no secure messaging): `invalid-length` → 6700
 * (data not 40 bytes); `mac-mismatch` and `nonce-mismatch` → `options.refusal` (6300 by default).
 * A refusal ends the attempt: the chip needs a new GET CHALLENGE before another try.
 * @throws {RangeError} for RND.IC or K.IC of the wrong length (the chip's own values).
 */
export function answerExternalAuthenticate(
  crypto: Icao9303Crypto,
  keys: BacKeys,
  chip: BacChipNonces,
  commandData: Uint8Array,
  options: BacChipOptions = {},
): BacResult<BacChipAnswer> {
  expectLength('RND.IC', chip.rndIc, BAC_NONCE_LENGTH);
  expectLength('K.IC', chip.kIc, BAC_KEY_MATERIAL_LENGTH);
  const refusal = options.refusal ?? SW.AUTHENTICATION_FAILED;
  if (commandData.length !== BAC_AUTH_DATA_LENGTH)
    return bacFail(
      'invalid-length',
      SW.WRONG_LENGTH,
      `EXTERNAL AUTHENTICATE data of ${commandData.length} bytes, expected ${BAC_AUTH_DATA_LENGTH}`,
    );
  const s = open(crypto, keys, commandData);
  if (s === undefined) return bacFail('mac-mismatch', refusal, 'M.IFD does not verify under KMac');
  if (!constantTimeEqual(s.subarray(8, 16), chip.rndIc))
    return bacFail('nonce-mismatch', refusal, 'the reader did not echo RND.IC');
  const rndIfd = s.subarray(0, 8);
  const kIfd = s.subarray(16, 32);
  const data = seal(crypto, keys, concatBytes(chip.rndIc, rndIfd, chip.kIc));
  return { ok: true, value: { data, session: session(crypto, chip.rndIc, rndIfd, kIfd, chip.kIc) } };
}
