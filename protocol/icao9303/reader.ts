/**
 * The reader's side of an eMRTD session (ICAO 9303-10 and -11): select the application,
 * authenticate with BAC, then read files under secure messaging in as few APDUs as the chip and
 * the reader allow. Pure apart from the injected channel and crypto: no timers, no clock.
 *
 * Reading (9303-10 §3.6, 7816-4 READ BINARY):
 *   - the first READ BINARY asks for a whole chunk, not 4 bytes: its first bytes carry the file's
 *     TLV header, so the total length is known after one exchange;
 *   - with short APDUs a chunk is the largest plaintext whose protected response still fits in
 *     256 bytes: 231 bytes under 3DES, 223 under AES (padding to the block, DO87, DO99, DO8E);
 *   - with extended length (when the chip and the reader both support it) one chunk is up to
 *     65,280 bytes, so most files come in one READ BINARY;
 *   - offsets above 32,767 use READ BINARY with odd INS (B1) and the offset in DO54; its answer
 *     wraps the data in DO53.
 */

import { type CommandApdu, decodeResponse, encodeCommand, type ResponseApdu } from '../iso7816/apdu.ts';
import { SW } from '../iso7816/status.ts';
import { concatBytes, encodeTlv, readTlv, readTlvHeader, readTlvs } from '../iso7816/tlv.ts';
import { internalAuthenticateCommand } from './active-auth.ts';
import { BAC_GET_CHALLENGE, finishBac, parseGetChallengeResponse, startBac } from './bac.ts';
import { type ChipAuthenticationOffer, startChipAuthentication } from './chip-auth.ts';
import type { Icao9303Crypto } from './crypto.ts';
import { CardError, fileText, statusText } from './errors.ts';
import { deriveBacKeys } from './keys.ts';
import { type PaceFailure, type PacePassword, performPace } from './pace.ts';
import { type SmFailure, SmReaderSession, tdesSuite } from './secure-messaging.ts';
import type { PaceInfo } from './security-infos.ts';
import {
  EF_CVCA,
  idPiccAfterBac,
  idPiccAfterPace,
  performTerminalAuthentication,
  type TaPlan,
  type TaResult,
  type TerminalSigner,
} from './terminal-auth.ts';

/** The eMRTD application identifier (9303-10 §3.6.1). */
export const EMRTD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01);

/** EF.CardAccess, in the master file (9303-10 §3.11.3): FID 011C, short EF identifier 1C. */
export const EF_CARD_ACCESS = { fid: 0x011c, sfi: 0x1c } as const;

/** How Chip Authentication went, as the terminal saw it. */
export type ChipAuthenticationOutcome =
  /** The chip answered under the keys only the holder of DG14's private key can compute. */
  | { readonly kind: 'passed' }
  /** The chip accepted the key agreement but could not continue under the new keys: a clone. */
  | { readonly kind: 'failed'; readonly detail: string }
  /** The chip refused the CA commands with a status word (check `secured`: the session may be gone). */
  | { readonly kind: 'refused'; readonly statusWord: number };

/** Largest offset plain READ BINARY (B0) can address: 15 bits. */
export const MAX_EVEN_OFFSET = 0x7fff;
/** Largest extended-length chunk we ask for, bytes (its protected answer stays under 65,536). */
export const EXTENDED_CHUNK = 0xff00;
/** Largest file we accept, bytes: a DG2 with a large JPEG 2000 portrait stays well under it. */
export const MAX_FILE_LENGTH = 512 * 1024;

/** What the reader needs from the card driver: one command in, one response out (T=0 handled). */
export interface CardChannel {
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

export interface ApduTrace {
  /** The command as sent (protected when secure messaging is on). */
  readonly command: Uint8Array;
  readonly response: Uint8Array;
  /** The plain command, before protection. */
  readonly plain: CommandApdu;
}

export interface ReaderOptions {
  readonly crypto: Icao9303Crypto;
  /** Read with extended-length APDUs (only if both the chip and the reader support them). */
  readonly extendedLength?: boolean;
  /** Plaintext bytes per short READ BINARY; default the largest secure messaging allows. */
  readonly shortChunk?: number;
  /** Told about every exchange (tests, bench, debugging); never logs by itself. */
  readonly onApdu?: (trace: ApduTrace) => void;
}

/** The largest plaintext whose protected response fits a short APDU's 256 bytes. */
export function maxShortChunk(blockSize: number): number {
  // Protected response: DO87 (87 81 L 01 || padded) + DO99 (4) + DO8E (10); padded = whole blocks
  // with at least one padding byte.
  for (let n = 256; n > 0; n--) {
    const padded = (Math.floor(n / blockSize) + 1) * blockSize;
    const do87 = 3 + 1 + padded;
    if (do87 + 4 + 10 <= 256) return n;
  }
  return 1;
}

export class EmrtdReader {
  readonly #channel: CardChannel;
  readonly #options: ReaderOptions;
  #sm: SmReaderSession | undefined;
  #blockSize = 8;
  #apdus = 0;
  /** ID_PICC of the session for Terminal Authentication (from BAC's MRZ or PACE's chip key). */
  #idPicc: Uint8Array | undefined;
  /** Our ephemeral public key of the Chip Authentication that keys the session, once it passed. */
  #caTerminalKey: Uint8Array | undefined;

  constructor(channel: CardChannel, options: ReaderOptions) {
    this.#channel = channel;
    this.#options = options;
  }

  /** Command APDUs exchanged so far (GET RESPONSE inside the driver not counted). */
  get apduCount(): number {
    return this.#apdus;
  }

  /** Whether a secure-messaging session is established and alive. */
  get secured(): boolean {
    return this.#sm?.alive === true;
  }

  /**
   * Sends one command, protected when a session is up, and returns the plain response.
   * @throws {CardError} CARD_SM_SESSION_DEAD or CARD_SM_MAC_MISMATCH for a response that fails
   *   secure messaging; transport errors from the channel pass through.
   */
  async send(command: CommandApdu, options: { extended?: boolean } = {}): Promise<ResponseApdu> {
    const sm = this.#sm;
    if (sm && !sm.alive)
      throw new CardError(
        'CARD_SM_SESSION_DEAD',
        'The secure session with the chip has ended after an error; read the card again',
      );
    const bytes = sm
      ? sm.wrapCommand(command, options.extended === undefined ? {} : { extended: options.extended })
      : encodeCommand(command, options.extended ? { length: 'extended' } : {});
    this.#apdus++;
    const response = await this.#channel.transmit(bytes);
    this.#options.onApdu?.({ command: bytes, response, plain: command });
    if (!sm) {
      const plain = decodeResponse(response);
      if (!plain.ok)
        throw new CardError(
          'CARD_DATA_DAMAGED',
          `the chip answered ${response.length} bytes, not an APDU response`,
        );
      return plain.value;
    }
    const unwrapped = sm.unwrapResponse(response);
    if (unwrapped.ok) return unwrapped.value;
    throw smError(unwrapped.error);
  }

  /**
   * Selects the eMRTD application (`00 A4 04 0C 07 A0000002471001`).
   * @throws {CardError} CARD_NOT_EMRTD when the chip refuses it.
   */
  async selectApplication(): Promise<void> {
    const response = await this.send({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: EMRTD_AID });
    if (response.sw !== SW.OK)
      throw new CardError(
        'CARD_NOT_EMRTD',
        `the chip has no eMRTD application: SELECT answered ${statusText(response.sw)}`,
        {
          statusWord: response.sw,
        },
      );
  }

  /**
   * Basic Access Control with the MRZ information (document number, birth and expiry dates with
   * their check digits); starts 3DES secure messaging.
   * @throws {CardError} CARD_ACCESS_DENIED when the chip refuses the key (check the numbers on the
   *   card), CARD_AUTHENTICATION_FAILED when its answer does not verify, CARD_UNEXPECTED_STATUS.
   */
  async authenticateBac(mrzInformation: string): Promise<void> {
    const { crypto } = this.#options;
    this.#sm = undefined;
    this.#idPicc = undefined;
    this.#caTerminalKey = undefined;
    const challenge = parseGetChallengeResponse(await this.send(BAC_GET_CHALLENGE));
    if (!challenge.ok)
      throw new CardError('CARD_UNEXPECTED_STATUS', `GET CHALLENGE failed: ${challenge.error.detail}`, {
        statusWord: challenge.error.statusWord,
      });
    const keys = deriveBacKeys(crypto, mrzInformation);
    const auth = startBac(crypto, keys, challenge.value);
    const answer = finishBac(crypto, auth, await this.send(auth.command));
    if (!answer.ok) {
      const { reason, statusWord, detail } = answer.error;
      if (reason === 'access-denied')
        throw new CardError(
          'CARD_ACCESS_DENIED',
          'The chip refused the access key: check the document number, date of birth and date of expiry against the card',
          { statusWord },
        );
      throw new CardError(
        reason === 'mac-mismatch' || reason === 'nonce-mismatch'
          ? 'CARD_AUTHENTICATION_FAILED'
          : 'CARD_UNEXPECTED_STATUS',
        `BAC failed: ${detail}`,
        { statusWord },
      );
    }
    const session = answer.value;
    this.#sm = new SmReaderSession(
      tdesSuite(crypto, { KSenc: session.KSenc, KSmac: session.KSmac }),
      session.SSC,
    );
    this.#blockSize = 8;
    this.#idPicc = idPiccAfterBac(mrzInformation);
  }

  /**
   * Reads EF.CardAccess before any access control (9303-11 §4.4.1): SELECT by FID in the master
   * file, else READ BINARY by short EF identifier (some chips refuse one or the other, and many
   * refuse SELECT MF with 6D00, so it is never sent). Undefined when the chip has none: a BAC-only
   * chip.
   * @throws transport errors only; a refusal is an answer, not an error.
   */
  async readCardAccess(): Promise<Uint8Array | undefined> {
    this.#sm = undefined;
    try {
      return await this.readFile(EF_CARD_ACCESS.fid);
    } catch (error) {
      if (!(error instanceof CardError)) throw error;
    }
    // READ BINARY with the short EF identifier in P1 (b8 set), offset 0.
    const response = await this.send({
      cla: 0x00,
      ins: 0xb0,
      p1: 0x80 | EF_CARD_ACCESS.sfi,
      p2: 0x00,
      le: 256,
    });
    if (response.sw !== SW.OK && response.sw !== SW.END_OF_FILE) return undefined;
    const header = readTlvHeader(response.data, 0, { maxLength: 4096 });
    if (!header.ok) return undefined;
    const total = header.value.headerLength + header.value.length;
    if (total <= response.data.length) return response.data.slice(0, total);
    try {
      const rest = await this.readBinary(
        EF_CARD_ACCESS.fid,
        response.data.length,
        total - response.data.length,
      );
      return concatBytes(response.data, rest).slice(0, total);
    } catch (error) {
      if (error instanceof CardError) return undefined;
      throw error;
    }
  }

  /**
   * PACE (9303-11 §4.4) with `password` over the PACEInfo `info`; on success secure messaging
   * starts with the session's suite. Returns the failure instead of throwing, so that the caller
   * can fall back to another password or to BAC.
   * @throws transport errors only.
   */
  async authenticatePace(info: PaceInfo, password: PacePassword): Promise<PaceFailure | undefined> {
    this.#sm = undefined;
    this.#idPicc = undefined;
    this.#caTerminalKey = undefined;
    const result = await performPace((command) => this.send(command), {
      crypto: this.#options.crypto,
      info,
      password,
    });
    if (!result.ok) return result.error;
    this.#sm = new SmReaderSession(result.value.suite, result.value.ssc);
    this.#blockSize = result.value.suite.blockSize;
    // TA after PACE identifies the chip by its ephemeral PACE key, not the document number.
    this.#idPicc = idPiccAfterPace(result.value.chipPublicKey);
    return undefined;
  }

  /**
   * Chip Authentication (9303-11 §6.2) with DG14's key, under the current session; then one
   * protected SELECT of EF.COM under the new keys, whose answer only the genuine chip can MAC.
   * After 'failed' the secure session is gone: authenticate again to keep reading.
   * @throws {CardError} when no session is up; transport errors pass through.
   */
  async chipAuthenticate(offer: ChipAuthenticationOffer): Promise<ChipAuthenticationOutcome> {
    if (!this.#sm?.alive)
      throw new CardError('CARD_SM_SESSION_DEAD', 'Chip Authentication needs an open secure session');
    const start = startChipAuthentication(this.#options.crypto, offer);
    for (const command of start.commands) {
      let response: ResponseApdu;
      try {
        response = await this.send(command);
      } catch (error) {
        // A refusal without secure messaging (6987/6988) ends the session: the caller re-opens.
        if (!(error instanceof CardError)) throw error;
        this.#sm = undefined;
        return { kind: 'refused', statusWord: error.statusWord ?? 0 };
      }
      if (response.sw !== SW.OK) return { kind: 'refused', statusWord: response.sw };
    }
    this.#sm = new SmReaderSession(start.next.suite, start.next.ssc);
    this.#blockSize = start.next.suite.blockSize;
    try {
      await this.selectFile(0x011e);
      this.#caTerminalKey = caEphemeralKey(start.commands);
      return { kind: 'passed' };
    } catch (error) {
      if (!(error instanceof CardError)) throw error;
      this.#sm = undefined;
      return { kind: 'failed', detail: error.message };
    }
  }

  /** Whether Terminal Authentication can run: a session keyed by a Chip Authentication that passed. */
  get terminalAuthenticationReady(): boolean {
    return this.secured && this.#caTerminalKey !== undefined && this.#idPicc !== undefined;
  }

  /**
   * EF.CVCA of the application (TA's trust points): its raw 36 bytes, or undefined when the chip
   * has none (6A82). The file is fixed-size, not one TLV, so it is read whole in one READ BINARY.
   * @throws {CardError} as `selectFile` and `readBinary` for other refusals; SM errors as `send`.
   */
  async readCvca(): Promise<Uint8Array | undefined> {
    try {
      await this.selectFile(EF_CVCA.fid);
      return await this.readBinary(EF_CVCA.fid, 0, EF_CVCA.length);
    } catch (error) {
      if (error instanceof CardError && error.code === 'CARD_FILE_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /**
   * Terminal Authentication v1 (terminal-auth.ts) with `plan`, under the Chip Authentication
   * session; ID_PICC follows how the chip was opened (BAC: document number, PACE: the chip's PACE
   * key). Certificates go in one extended APDU when the reader reads with extended length, chained
   * short APDUs otherwise.
   * @throws {CardError} CARD_SM_SESSION_DEAD when Chip Authentication has not passed in this
   *   session; SM and transport errors as `send`.
   */
  async terminalAuthenticate(plan: TaPlan, signer: TerminalSigner): Promise<TaResult> {
    const idPicc = this.#idPicc;
    const caTerminalPublicKey = this.#caTerminalKey;
    if (!this.secured || idPicc === undefined || caTerminalPublicKey === undefined)
      throw new CardError(
        'CARD_SM_SESSION_DEAD',
        'Terminal Authentication needs a secure session keyed by a Chip Authentication that passed',
      );
    return performTerminalAuthentication((command, options) => this.send(command, options ?? {}), {
      plan,
      signer,
      idPicc,
      caTerminalPublicKey,
      extendedLength: this.#options.extendedLength === true,
      blockSize: this.#blockSize,
    });
  }

  /**
   * INTERNAL AUTHENTICATE (Active Authentication, 9303-11 §6.1) with an 8-byte challenge; the
   * chip's signature.
   * @throws {CardError} CARD_UNEXPECTED_STATUS when the chip refuses; SM errors as `send`.
   */
  async internalAuthenticate(challenge: Uint8Array): Promise<Uint8Array> {
    const response = await this.send(
      internalAuthenticateCommand(challenge),
      this.#options.extendedLength ? { extended: true } : {},
    );
    if (response.sw !== SW.OK)
      throw new CardError(
        'CARD_UNEXPECTED_STATUS',
        `INTERNAL AUTHENTICATE answered ${statusText(response.sw)}`,
        {
          statusWord: response.sw,
        },
      );
    return response.data;
  }

  /**
   * Selects an elementary file of the application by FID (`00 A4 02 0C 02 <FID>`).
   * @throws {CardError} CARD_FILE_NOT_FOUND, CARD_ACCESS_CONDITIONS, CARD_UNEXPECTED_STATUS.
   */
  async selectFile(fid: number): Promise<void> {
    const response = await this.send({
      cla: 0x00,
      ins: 0xa4,
      p1: 0x02,
      p2: 0x0c,
      data: Uint8Array.of(fid >> 8, fid & 0xff),
    });
    if (response.sw !== SW.OK) throw statusError(response.sw, fid, 'SELECT');
  }

  /**
   * Reads the selected file's bytes [offset, offset + length): B0 up to offset 32,767, B1 with DO54
   * above. The chip may return fewer bytes at the end of the file (9000 or 6282).
   * @throws {CardError} as `selectFile`, and CARD_DATA_DAMAGED for a malformed B1 answer.
   */
  async readBinary(fid: number, offset: number, length: number): Promise<Uint8Array> {
    const extended = length > 256;
    const le = length;
    let response: ResponseApdu;
    if (offset <= MAX_EVEN_OFFSET) {
      response = await this.send(
        { cla: 0x00, ins: 0xb0, p1: offset >> 8, p2: offset & 0xff, le },
        extended ? { extended: true } : {},
      );
    } else {
      const data = encodeTlv(0x54, Uint8Array.of(offset >> 16, (offset >> 8) & 0xff, offset & 0xff));
      response = await this.send(
        { cla: 0x00, ins: 0xb1, p1: 0x00, p2: 0x00, data, le },
        extended ? { extended: true } : {},
      );
    }
    if (response.sw !== SW.OK && response.sw !== SW.END_OF_FILE)
      throw statusError(response.sw, fid, 'READ BINARY');
    if (offset <= MAX_EVEN_OFFSET) return response.data;
    const wrapped = readTlv(response.data);
    if (!wrapped.ok || wrapped.value.tag !== 0x53)
      throw new CardError('CARD_DATA_DAMAGED', `READ BINARY (B1) of ${fileText(fid)} did not answer DO53`, {
        fileId: fid,
      });
    return wrapped.value.value.slice();
  }

  /**
   * Selects and reads a whole file: its length comes from the TLV header in the first chunk.
   * @throws {CardError} as `selectFile` and `readBinary`; CARD_DATA_DAMAGED when the header does not
   *   parse, the file is longer than MAX_FILE_LENGTH, or the chip stops short of the declared length.
   */
  async readFile(fid: number): Promise<Uint8Array> {
    await this.selectFile(fid);
    const chunk = this.#options.extendedLength
      ? EXTENDED_CHUNK
      : (this.#options.shortChunk ?? maxShortChunk(this.#blockSize));
    const first = await this.readBinary(fid, 0, chunk);
    const header = readTlvHeader(first, 0, { maxLength: MAX_FILE_LENGTH });
    if (!header.ok) throw damaged(fid, header.error.detail);
    const total = header.value.headerLength + header.value.length;
    if (total > MAX_FILE_LENGTH)
      throw damaged(fid, `declares ${total} bytes; at most ${MAX_FILE_LENGTH} are read`);
    const parts: Uint8Array[] = [first.subarray(0, Math.min(first.length, total))];
    let read = parts[0]?.length ?? 0;
    while (read < total) {
      const next = await this.readBinary(fid, read, Math.min(chunk, total - read));
      if (next.length === 0) throw damaged(fid, `the chip stopped at byte ${read} of ${total}`);
      parts.push(next.subarray(0, total - read));
      read += next.length;
    }
    return concatBytes(...parts);
  }
}

function damaged(fid: number, detail: string): CardError {
  return new CardError('CARD_DATA_DAMAGED', `File ${fileText(fid)} is damaged: ${detail}`, { fileId: fid });
}

function statusError(sw: number, fid: number, what: string): CardError {
  const code =
    sw === SW.FILE_NOT_FOUND
      ? 'CARD_FILE_NOT_FOUND'
      : sw === SW.SECURITY_STATUS_NOT_SATISFIED
        ? 'CARD_ACCESS_CONDITIONS'
        : 'CARD_UNEXPECTED_STATUS';
  return new CardError(code, `${what} of file ${fileText(fid)} answered ${statusText(sw)}`, {
    statusWord: sw,
    fileId: fid,
  });
}

function smError(failure: SmFailure): CardError {
  if (failure.reason === 'session-dead')
    return new CardError(
      'CARD_SM_SESSION_DEAD',
      'The chip ended the secure session (it rejected our protected command); read the card again',
      failure.statusWord === undefined ? {} : { statusWord: failure.statusWord },
    );
  if (failure.reason === 'unprotected-status')
    return new CardError(
      'CARD_UNEXPECTED_STATUS',
      `the chip answered ${statusText(failure.statusWord ?? 0)} without secure messaging`,
      {
        ...(failure.statusWord === undefined ? {} : { statusWord: failure.statusWord }),
      },
    );
  return new CardError(
    'CARD_SM_MAC_MISMATCH',
    `A protected answer from the chip failed its integrity check (${failure.reason}): ${failure.detail}`,
  );
}

/** Our ephemeral public key in the Chip Authentication commands: 91 of MSE:Set KAT, or 7C{80} of GA. */
function caEphemeralKey(commands: readonly CommandApdu[]): Uint8Array | undefined {
  for (const command of commands) {
    const objects = readTlvs(command.data ?? new Uint8Array(0));
    if (!objects.ok) continue;
    const direct = objects.value.find((o) => o.tag === 0x91)?.value;
    if (direct) return direct.slice();
    const dynamic = objects.value.find((o) => o.tag === 0x7c);
    if (dynamic) {
      const inner = readTlvs(dynamic.value);
      const key = inner.ok ? inner.value.find((o) => o.tag === 0x80)?.value : undefined;
      if (key) return key.slice();
    }
  }
  return undefined;
}
