/**
 * ICAO 9303 secure messaging (9303-11 §9.8; worked example App. D.4), both sides, over a cipher
 * suite: 3DES after BAC (block and SSC 8 bytes, IV 0, retail MAC) or AES after PACE and Chip
 * Authentication (block and SSC 16 bytes, IV = AES-ECB(KSenc, SSC), AES-CMAC cut to 8 bytes).
 *
 * The send sequence counter (SSC) is incremented before every command is protected and before every
 * response is checked, on both sides, so each message is MACed under its own counter.
 *
 * Protected command (CLA with bits 0x0C set; always case 4, Le '00' or '0000'):
 *
 * | DO | content                                                     | when                   |
 * |----|-------------------------------------------------------------|------------------------|
 * | 87 | 01 ‖ Enc(pad(data)) (01: padding-content indicator)          | command data, even INS |
 * | 85 | Enc(pad(data)) (the data is BER-TLV; no indicator)          | command data, odd INS  |
 * | 97 | Le: 1 byte (256 → 00); 2 bytes when extended (65536 → 0000) | an Le is expected      |
 * | 8E | MAC(pad(SSC ‖ pad(header) ‖ DO87/85 ‖ DO97)), 8 bytes       | always                 |
 *
 * Protected response: `[DO87|DO85] DO99 DO8E SW1 SW2`, DO99 = 99 02 SW1 SW2 (the status word under
 * the MAC), DO8E = MAC(pad(SSC ‖ DO87/85 ‖ DO99)). A plain 6987 / 6988 means the chip found the SM
 * objects missing or wrong and has dropped the session keys: authenticate again.
 *
 * Checking untrusted bytes never throws; it returns an `SmFailure`. Failures end the session
 * (the counters can no longer agree), except a plain status word other than 6987/6988.
 */
import { constantTimeEqual } from '../bytes.ts';
import {
  type CommandApdu,
  type DecodedCommand,
  decodeCommand,
  EXTENDED_LC_MAX,
  EXTENDED_LE_MAX,
  encodeCommand,
  type ResponseApdu,
  SHORT_LC_MAX,
  SHORT_LE_MAX,
} from '../iso7816/apdu.ts';
import { hexStatus, SW } from '../iso7816/status.ts';
import { concatBytes, encodeTlv, readTlvs, type Tlv } from '../iso7816/tlv.ts';
import type { DecodeError } from '../result.ts';
import type { Icao9303Crypto } from './crypto.ts';
import type { SessionKeys } from './keys.ts';
import { aesCmac, type BlockSize, pad2, retailMac, SM_MAC_LENGTH, unpad2 } from './mac.ts';

/** Data-object tags of secure messaging (ISO/IEC 7816-4 §10; 9303-11 §9.8). */
export const SM_TAG = {
  /** Cryptogram whose plain value is BER-TLV (odd INS); no padding-indicator byte. */
  CRYPTOGRAM_TLV: 0x85,
  /** Padding-content indicator byte ‖ cryptogram (even INS). */
  CRYPTOGRAM: 0x87,
  /** Protected Le. */
  LE: 0x97,
  /** Processing status SW1 SW2. */
  STATUS: 0x99,
  /** Cryptographic checksum (MAC). */
  MAC: 0x8e,
} as const;

/** The padding-content indicator of DO87: ISO/IEC 9797-1 padding method 2 ('01'). */
const PADDING_INDICATOR = 0x01;
/** CLA bits b4 b3 = 11: secure messaging with the header authenticated (7816-4 §5.4.1). */
const CLA_SM = 0x0c;

/** Most plain data one protected response may carry, bytes (an extended Le of 65536). */
export const SM_RESPONSE_DATA_MAX = EXTENDED_LE_MAX;
/** Longest protected response accepted, bytes: DO87 over 65536 + a block, DO99, DO8E, SW. */
export const SM_RESPONSE_MAX = SM_RESPONSE_DATA_MAX + 64;

/** A secure-messaging cipher suite (9303-11 §9.8): the part that differs between 3DES and AES. */
export interface SmCipherSuite {
  readonly cipher: '3des' | 'aes';
  /** Cipher block size, bytes; also the SSC length and the padding block. */
  readonly blockSize: BlockSize;
  /** Encrypts padded data of the message counted by `ssc` (whole blocks). */
  encrypt(ssc: Uint8Array, padded: Uint8Array): Uint8Array;
  /** Decrypts a cryptogram of the message counted by `ssc` (whole blocks). */
  decrypt(ssc: Uint8Array, cryptogram: Uint8Array): Uint8Array;
  /** The 8-byte MAC over `message` (which begins with the SSC); the suite pads it. */
  mac(message: Uint8Array): Uint8Array;
}

function expectKey(name: string, key: Uint8Array, lengths: readonly number[]): void {
  if (!lengths.includes(key.length))
    throw new RangeError(`${name} must be ${lengths.join(' or ')} bytes, got ${key.length}`);
}

/**
 * 3DES secure messaging (after BAC): 2-key 3DES-CBC with IV 0, retail MAC (9303-11 §9.8).
 * @throws {RangeError} for KSenc or KSmac that is not 16 bytes.
 */
export function tdesSuite(crypto: Icao9303Crypto, keys: SessionKeys): SmCipherSuite {
  expectKey('KSenc', keys.KSenc, [16]);
  expectKey('KSmac', keys.KSmac, [16]);
  const KSenc = keys.KSenc.slice();
  const KSmac = keys.KSmac.slice();
  const iv = new Uint8Array(8);
  return {
    cipher: '3des',
    blockSize: 8,
    encrypt: (_ssc, padded) => crypto.tdesCbcEncrypt(KSenc, iv, padded),
    decrypt: (_ssc, cryptogram) => crypto.tdesCbcDecrypt(KSenc, iv, cryptogram),
    mac: (message) => retailMac(crypto, KSmac, message),
  };
}

/**
 * AES secure messaging (after PACE or Chip Authentication): AES-CBC with IV = AES-ECB(KSenc, SSC),
 * AES-CMAC over the padded message cut to 8 bytes (9303-11 §9.8). Keys of 16, 24 or 32 bytes.
 * @throws {RangeError} for other key lengths.
 */
export function aesSuite(crypto: Icao9303Crypto, keys: SessionKeys): SmCipherSuite {
  expectKey('KSenc', keys.KSenc, [16, 24, 32]);
  expectKey('KSmac', keys.KSmac, [16, 24, 32]);
  const KSenc = keys.KSenc.slice();
  const KSmac = keys.KSmac.slice();
  return {
    cipher: 'aes',
    blockSize: 16,
    encrypt: (ssc, padded) => crypto.aesCbcEncrypt(KSenc, crypto.aesEcbEncrypt(KSenc, ssc), padded),
    decrypt: (ssc, cryptogram) => crypto.aesCbcDecrypt(KSenc, crypto.aesEcbEncrypt(KSenc, ssc), cryptogram),
    mac: (message) => aesCmac(crypto, KSmac, pad2(message, 16)).slice(0, SM_MAC_LENGTH),
  };
}

/** Why secure messaging refused a message. A fixed set: callers switch on it, never on message text. */
export type SmFailureReason =
  /**
   * The session is over: the chip answered a plain 6987/6988 (it dropped the session keys), or an
   * earlier failure ended this session object. Authenticate again (BAC or PACE).
   */
  | 'session-dead'
  /** A plain status word without SM objects (other than 6987/6988); `statusWord` has it. */
  | 'unprotected-status'
  /** DO8E, or DO99 in a response, is absent; or a command arrived without SM (CLA). */
  | 'missing-sm-objects'
  /** The MAC (DO8E) does not verify. */
  | 'mac-mismatch'
  /** The decrypted data does not end in valid 80 00… padding (wrong key or corruption). */
  | 'bad-padding'
  /** A DO in the wrong place, of the wrong length, unknown, or a cryptogram of partial blocks. */
  | 'invalid-value'
  /** The bytes end inside a length or a DO. */
  | 'truncated'
  /** A length beyond the bounds of this module. */
  | 'too-large';

export interface SmFailure {
  readonly reason: SmFailureReason;
  /** Byte offset into the checked message where the problem was found. */
  readonly offset: number;
  /**
   * Reader side: the plain status word received, if any. Card side: the plain status word to
   * answer (6987 objects missing, 6988 objects incorrect, 6700 malformed APDU).
   */
  readonly statusWord: number | undefined;
  /** What was wrong, for logs and developers; never parsed. */
  readonly detail: string;
}

export type SmResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: SmFailure };

function smFail(
  reason: SmFailureReason,
  offset: number,
  statusWord: number | undefined,
  detail: string,
): SmResult<never> {
  return { ok: false, error: { reason, offset, statusWord, detail } };
}

function fromDecodeError(error: DecodeError, base: number, statusWord: number | undefined): SmResult<never> {
  const reason: SmFailureReason =
    error.reason === 'truncated' ? 'truncated' : error.reason === 'too-large' ? 'too-large' : 'invalid-value';
  return smFail(reason, base + error.offset, statusWord, error.detail);
}

/** Big-endian increment with wrap-around, in place. */
function increment(counter: Uint8Array): void {
  for (let i = counter.length - 1; i >= 0; i--) {
    const next = ((counter[i] ?? 0) + 1) & 0xff;
    counter[i] = next;
    if (next !== 0) return;
  }
}

/** The SSC and suite shared by both sides; a failure ends it. */
abstract class SmSessionBase {
  protected readonly suite: SmCipherSuite;
  protected readonly counter: Uint8Array;
  #alive = true;

  /** @throws {RangeError} for an SSC whose length is not the suite's block size. */
  constructor(suite: SmCipherSuite, ssc: Uint8Array) {
    if (ssc.length !== suite.blockSize)
      throw new RangeError(`SSC must be ${suite.blockSize} bytes for ${suite.cipher}, got ${ssc.length}`);
    this.suite = suite;
    this.counter = ssc.slice();
  }

  /** The current send sequence counter (a copy). */
  get ssc(): Uint8Array {
    return this.counter.slice();
  }

  /** False once a failure has ended the session; a new authentication starts a new one. */
  get alive(): boolean {
    return this.#alive;
  }

  protected end(): void {
    this.#alive = false;
  }

  protected assertAlive(operation: string): void {
    if (!this.#alive)
      throw new Error(
        `${operation}: the secure messaging session has ended; authenticate again (BAC or PACE)`,
      );
  }

  /** Encrypts `data` into the value of DO87 (with the indicator) or DO85 (without). */
  protected cryptogramObject(tag: 0x85 | 0x87, data: Uint8Array): Uint8Array {
    const cryptogram = this.suite.encrypt(this.counter, pad2(data, this.suite.blockSize));
    return tag === SM_TAG.CRYPTOGRAM
      ? encodeTlv(tag, Uint8Array.of(PADDING_INDICATOR), cryptogram)
      : encodeTlv(tag, cryptogram);
  }

  /** MAC check and decryption of a DO87/DO85 value; `offset` is where the DO starts. */
  protected openCryptogram(tlv: Tlv, offset: number, statusWord: number | undefined): SmResult<Uint8Array> {
    let cryptogram = tlv.value;
    let at = offset + tlv.headerLength;
    if (tlv.tag === SM_TAG.CRYPTOGRAM) {
      if (cryptogram[0] !== PADDING_INDICATOR)
        return smFail(
          'invalid-value',
          at,
          statusWord,
          `DO87 padding indicator ${cryptogram[0] ?? 'missing'}, expected 01`,
        );
      cryptogram = cryptogram.subarray(1);
      at++;
    }
    const { blockSize } = this.suite;
    if (cryptogram.length === 0 || cryptogram.length % blockSize !== 0)
      return smFail(
        'invalid-value',
        at,
        statusWord,
        `cryptogram of ${cryptogram.length} bytes is not whole ${blockSize}-byte blocks`,
      );
    const plain = unpad2(this.suite.decrypt(this.counter, cryptogram), blockSize);
    if (!plain.ok) return smFail('bad-padding', at, statusWord, `decrypted data: ${plain.error.detail}`);
    return { ok: true, value: plain.value.slice() };
  }

  /** Constant-time check of DO8E against the MAC over SSC ‖ `macInput`. */
  protected verifyMac(macInput: Uint8Array, mac: Uint8Array): boolean {
    return constantTimeEqual(this.suite.mac(concatBytes(this.counter, macInput)), mac);
  }
}

export interface WrapOptions {
  /**
   * Extended length for the protected APDU and a 2-byte DO97. Omitted: extended only when Le is
   * over 256 or the protected data over 255 bytes. Only if the chip and the reader support it
   * (EF.ATR/INFO, reference notes §1).
   */
  readonly extended?: boolean;
}

/** Splits `bytes` into the SM data objects, bounded; errors already shaped as SmFailure. */
function readObjects(bytes: Uint8Array, base: number, statusWord: number | undefined): SmResult<Tlv[]> {
  const objects = readTlvs(bytes, { maxLength: SM_RESPONSE_MAX, maxNodes: 4 });
  if (!objects.ok) return fromDecodeError(objects.error, base, statusWord);
  return { ok: true, value: objects.value };
}

/** The reader's (IFD's) end of a secure-messaging session: protects commands, checks responses. */
export class SmReaderSession extends SmSessionBase {
  /**
   * Protects a command (9303-11 §9.8): increments the SSC, encrypts the data into DO87 (even INS)
   * or DO85 (odd INS), puts Le into DO97, MACs, and encodes the protected APDU with Le '00' (short)
   * or '0000' (extended).
   * @throws {RangeError} for a header field that is not a byte, a CLA outside the first
   *   interindustry class (00-1F), Le or data out of range, or a command that needs extended
   *   length when `extended: false` was asked for. The SSC is untouched when it throws.
   * @throws {Error} when the session has ended.
   */
  wrapCommand(command: CommandApdu, options: WrapOptions = {}): Uint8Array {
    this.assertAlive('wrapCommand');
    const { cla, ins, p1, p2, le } = command;
    for (const [name, value] of [
      ['CLA', cla],
      ['INS', ins],
      ['P1', p1],
      ['P2', p2],
    ] as const)
      if (!Number.isInteger(value) || value < 0 || value > 0xff)
        throw new RangeError(`${name} must be a byte, got ${value}`);
    if ((cla & 0xe0) !== 0)
      throw new RangeError(`CLA ${cla.toString(16)} is not of the first interindustry class (00-1F)`);
    if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > EXTENDED_LE_MAX))
      throw new RangeError(`Le must be 1..65536, got ${le}`);
    const data = command.data ?? new Uint8Array(0);
    const { blockSize } = this.suite;
    const tag = (ins & 1) === 1 ? SM_TAG.CRYPTOGRAM_TLV : SM_TAG.CRYPTOGRAM;

    // Size the protected body before touching the SSC.
    const paddedLength = data.length === 0 ? 0 : (Math.floor(data.length / blockSize) + 1) * blockSize;
    const cryptoValue = paddedLength === 0 ? 0 : paddedLength + (tag === SM_TAG.CRYPTOGRAM ? 1 : 0);
    const lengthOfLength = cryptoValue < 0x80 ? 1 : cryptoValue <= 0xff ? 2 : cryptoValue <= 0xffff ? 3 : 4;
    const cryptoObject = cryptoValue === 0 ? 0 : 1 + lengthOfLength + cryptoValue;
    const bodyWith = (do97: number): number => cryptoObject + do97 + 2 + SM_MAC_LENGTH;
    const needsExtended = (le ?? 0) > SHORT_LE_MAX || bodyWith(le === undefined ? 0 : 3) > SHORT_LC_MAX;
    const extended = options.extended ?? needsExtended;
    if (!extended && needsExtended)
      throw new RangeError(
        `Le ${le} or ${data.length} data bytes need extended length under secure messaging; short was asked for`,
      );
    const leObject = le === undefined ? 0 : extended ? 4 : 3;
    if (bodyWith(leObject) > EXTENDED_LC_MAX)
      throw new RangeError(`${data.length} data bytes do not fit a protected APDU (Lc at most 65535)`);

    increment(this.counter);
    const header = Uint8Array.of(cla | CLA_SM, ins, p1, p2);
    const parts: Uint8Array[] = [];
    if (data.length > 0) parts.push(this.cryptogramObject(tag, data));
    if (le !== undefined) {
      const value = extended ? Uint8Array.of((le >> 8) & 0xff, le & 0xff) : Uint8Array.of(le & 0xff); // 65536 → 0000, 256 → 00
      parts.push(encodeTlv(SM_TAG.LE, value));
    }
    const objects = concatBytes(...parts);
    const mac = this.suite.mac(concatBytes(this.counter, pad2(header, blockSize), objects));
    const protectedCommand: CommandApdu = {
      cla: cla | CLA_SM,
      ins,
      p1,
      p2,
      data: concatBytes(objects, encodeTlv(SM_TAG.MAC, mac)),
      le: extended ? EXTENDED_LE_MAX : SHORT_LE_MAX,
    };
    return encodeCommand(protectedCommand, { length: extended ? 'extended' : 'short' });
  }

  /**
   * Checks a protected response (9303-11 §9.8): increments the SSC, verifies DO8E over
   * SSC ‖ DO87/85 ‖ DO99, decrypts the data, and returns it with the status word of DO99.
   * The trailing plain SW1 SW2 is not under the MAC and is ignored once the MAC verifies.
   * Never throws. Failures: `session-dead` (plain 6987/6988, or the session had ended),
   * `unprotected-status` (another plain status word; the session stays usable), and, ending the
   * session, `missing-sm-objects`, `mac-mismatch`, `bad-padding`, `invalid-value`, `truncated`,
   * `too-large`.
   */
  unwrapResponse(bytes: Uint8Array): SmResult<ResponseApdu> {
    if (!this.alive) return smFail('session-dead', 0, undefined, 'the secure messaging session has ended');
    const result = this.#unwrap(bytes);
    if (!result.ok && result.error.reason !== 'unprotected-status') this.end();
    return result;
  }

  #unwrap(bytes: Uint8Array): SmResult<ResponseApdu> {
    if (bytes.length < 2)
      return smFail(
        'truncated',
        bytes.length,
        undefined,
        `a response has a 2-byte status word; got ${bytes.length}`,
      );
    if (bytes.length > SM_RESPONSE_MAX)
      return smFail(
        'too-large',
        SM_RESPONSE_MAX,
        undefined,
        `response of ${bytes.length} bytes exceeds ${SM_RESPONSE_MAX}`,
      );
    const body = bytes.subarray(0, bytes.length - 2);
    const plainSw = ((bytes[bytes.length - 2] ?? 0) << 8) | (bytes[bytes.length - 1] ?? 0);
    increment(this.counter);
    if (body.length === 0) {
      if (plainSw === SW.SM_DATA_OBJECTS_MISSING || plainSw === SW.SM_DATA_OBJECTS_INCORRECT)
        return smFail(
          'session-dead',
          0,
          plainSw,
          `the chip answered ${hexStatus(plainSw)}: it dropped the session`,
        );
      return smFail(
        'unprotected-status',
        0,
        plainSw,
        `plain status ${hexStatus(plainSw)} without SM objects`,
      );
    }
    const objects = readObjects(body, 0, plainSw);
    if (!objects.ok) return objects;
    const list = objects.value;
    let index = 0;
    let cryptogram: Tlv | undefined;
    const first = list[0];
    if (first !== undefined && (first.tag === SM_TAG.CRYPTOGRAM || first.tag === SM_TAG.CRYPTOGRAM_TLV)) {
      cryptogram = first;
      index++;
    }
    const status = list[index];
    if (status === undefined || status.tag !== SM_TAG.STATUS) {
      if (status === undefined || status.tag === SM_TAG.MAC)
        return smFail(
          'missing-sm-objects',
          status?.offset ?? body.length,
          plainSw,
          'DO99 (status) is missing',
        );
      return smFail(
        'invalid-value',
        status.offset,
        plainSw,
        `unexpected DO ${status.tag.toString(16)} in a response`,
      );
    }
    if (status.value.length !== 2)
      return smFail(
        'invalid-value',
        status.offset,
        plainSw,
        `DO99 of ${status.value.length} bytes, expected 2`,
      );
    const macObject = list[index + 1];
    if (macObject === undefined || macObject.tag !== SM_TAG.MAC) {
      if (macObject === undefined)
        return smFail('missing-sm-objects', body.length, plainSw, 'DO8E (MAC) is missing');
      return smFail(
        'invalid-value',
        macObject.offset,
        plainSw,
        `unexpected DO ${macObject.tag.toString(16)} in a response`,
      );
    }
    if (index + 2 !== list.length) {
      const extra = list[index + 2];
      return smFail('invalid-value', extra?.offset ?? body.length, plainSw, 'data objects after DO8E');
    }
    if (macObject.value.length !== SM_MAC_LENGTH)
      return smFail(
        'invalid-value',
        macObject.offset,
        plainSw,
        `DO8E of ${macObject.value.length} bytes, expected 8`,
      );
    if (!this.verifyMac(body.subarray(0, macObject.offset), macObject.value))
      return smFail(
        'mac-mismatch',
        macObject.offset,
        plainSw,
        'DO8E does not verify: wrong session keys, SSC or corrupted response',
      );
    const sw = ((status.value[0] ?? 0) << 8) | (status.value[1] ?? 0);
    if (cryptogram === undefined) return { ok: true, value: { data: new Uint8Array(0), sw } };
    const data = this.openCryptogram(cryptogram, cryptogram.offset, plainSw);
    if (!data.ok) return data;
    return { ok: true, value: { data: data.value, sw } };
  }
}

/**
 * A command recovered by the card from its protected form; `extended` is true when the protected
 * APDU or its DO97 used extended length.
 */
export type SmCommand = DecodedCommand;

/**
 * The card's (chip's) end of a secure-messaging session, for simulated cards: checks and decrypts
 * protected commands, protects responses.
 */
export class SmCardSession extends SmSessionBase {
  #lastIns: number | undefined;

  /**
   * Checks a protected command (9303-11 §9.8): increments the SSC, verifies DO8E over
   * SSC ‖ pad(header) ‖ DO87/85 ‖ DO97, decrypts the data and returns the plain command (CLA with
   * the SM bits cleared, Le from DO97). Never throws.
   *
   * On failure the chip answers the plain `statusWord` and forgets the session (the session
   * object ends): 6987 `missing-sm-objects` (no DO8E, or a plain CLA), 6988 for `mac-mismatch`,
   * `bad-padding` and `invalid-value`, 6700 for a malformed APDU (`truncated`, `too-large`).
   */
  unwrapCommand(bytes: Uint8Array): SmResult<SmCommand> {
    if (!this.alive)
      return smFail(
        'session-dead',
        0,
        SW.SM_DATA_OBJECTS_INCORRECT,
        'the secure messaging session has ended',
      );
    const result = this.#unwrap(bytes);
    if (!result.ok) this.end();
    return result;
  }

  #unwrap(bytes: Uint8Array): SmResult<SmCommand> {
    const incorrect = SW.SM_DATA_OBJECTS_INCORRECT;
    const decoded = decodeCommand(bytes);
    if (!decoded.ok) return fromDecodeError(decoded.error, 0, SW.WRONG_LENGTH);
    const command = decoded.value;
    if ((command.cla & 0xe0) !== 0 || (command.cla & CLA_SM) !== CLA_SM)
      return smFail(
        'missing-sm-objects',
        0,
        SW.SM_DATA_OBJECTS_MISSING,
        `CLA ${command.cla.toString(16)} without secure messaging`,
      );
    increment(this.counter);
    // Offset of the command data field in `bytes`: after a short (1-byte) or extended (3-byte) Lc.
    const base = command.data.length === 0 ? bytes.length : command.extended ? 7 : 5;
    const objects = readObjects(command.data, base, incorrect);
    if (!objects.ok) return objects;
    const list = objects.value;
    const expectedTag = (command.ins & 1) === 1 ? SM_TAG.CRYPTOGRAM_TLV : SM_TAG.CRYPTOGRAM;
    let index = 0;
    let cryptogram: Tlv | undefined;
    let leObject: Tlv | undefined;
    const first = list[index];
    if (first !== undefined && (first.tag === SM_TAG.CRYPTOGRAM || first.tag === SM_TAG.CRYPTOGRAM_TLV)) {
      if (first.tag !== expectedTag)
        return smFail(
          'invalid-value',
          base + first.offset,
          incorrect,
          `DO${first.tag.toString(16)} with INS ${command.ins.toString(16)}: odd INS uses DO85, even INS DO87`,
        );
      cryptogram = first;
      index++;
    }
    const second = list[index];
    if (second !== undefined && second.tag === SM_TAG.LE) {
      if (second.value.length !== 1 && second.value.length !== 2)
        return smFail(
          'invalid-value',
          base + second.offset,
          incorrect,
          `DO97 of ${second.value.length} bytes, expected 1 or 2`,
        );
      leObject = second;
      index++;
    }
    const macObject = list[index];
    if (macObject === undefined)
      return smFail(
        'missing-sm-objects',
        base + command.data.length,
        SW.SM_DATA_OBJECTS_MISSING,
        'DO8E (MAC) is missing',
      );
    if (macObject.tag !== SM_TAG.MAC)
      return smFail(
        'invalid-value',
        base + macObject.offset,
        incorrect,
        `unexpected DO ${macObject.tag.toString(16)} in a command`,
      );
    if (index + 1 !== list.length)
      return smFail(
        'invalid-value',
        base + (list[index + 1]?.offset ?? 0),
        incorrect,
        'data objects after DO8E',
      );
    if (macObject.value.length !== SM_MAC_LENGTH)
      return smFail(
        'invalid-value',
        base + macObject.offset,
        incorrect,
        `DO8E of ${macObject.value.length} bytes, expected 8`,
      );
    const header = bytes.subarray(0, 4);
    const macInput = concatBytes(
      pad2(header, this.suite.blockSize),
      command.data.subarray(0, macObject.offset),
    );
    if (!this.verifyMac(macInput, macObject.value))
      return smFail('mac-mismatch', base + macObject.offset, incorrect, 'DO8E does not verify');
    let data: Uint8Array = new Uint8Array(0);
    if (cryptogram !== undefined) {
      const plain = this.openCryptogram(cryptogram, base + cryptogram.offset, incorrect);
      if (!plain.ok) return plain;
      data = plain.value;
    }
    let le: number | undefined;
    if (leObject !== undefined) {
      const v = leObject.value;
      le = v.length === 1 ? (v[0] ?? 0) || SHORT_LE_MAX : ((v[0] ?? 0) << 8) | (v[1] ?? 0) || EXTENDED_LE_MAX;
    }
    this.#lastIns = command.ins;
    const plain: SmCommand = {
      cla: command.cla & ~CLA_SM,
      ins: command.ins,
      p1: command.p1,
      p2: command.p2,
      data,
      extended: command.extended || (leObject?.value.length ?? 0) === 2,
      ...(le === undefined ? {} : { le }),
    };
    return { ok: true, value: plain };
  }

  /**
   * Protects a response (9303-11 §9.8): increments the SSC, encrypts `data` into DO87 (or DO85
   * when the last unwrapped command had an odd INS), adds DO99 with `sw` and DO8E, then the plain
   * SW1 SW2. Error status words are protected the same way; only the SM failures of
   * `unwrapCommand` are answered in plain.
   * @throws {RangeError} for more than 65536 data bytes or an `sw` outside 0..FFFF.
   * @throws {Error} when the session has ended.
   */
  wrapResponse(data: Uint8Array, sw: number): Uint8Array {
    this.assertAlive('wrapResponse');
    if (data.length > SM_RESPONSE_DATA_MAX)
      throw new RangeError(`response data of ${data.length} bytes exceeds ${SM_RESPONSE_DATA_MAX}`);
    if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff)
      throw new RangeError(`status word ${sw} is not 16 bits`);
    increment(this.counter);
    const swBytes = Uint8Array.of(sw >> 8, sw & 0xff);
    const tag =
      this.#lastIns !== undefined && (this.#lastIns & 1) === 1 ? SM_TAG.CRYPTOGRAM_TLV : SM_TAG.CRYPTOGRAM;
    const objects = concatBytes(
      data.length > 0 ? this.cryptogramObject(tag, data) : new Uint8Array(0),
      encodeTlv(SM_TAG.STATUS, swBytes),
    );
    const mac = this.suite.mac(concatBytes(this.counter, objects));
    return concatBytes(objects, encodeTlv(SM_TAG.MAC, mac), swBytes);
  }
}
