/**
 * A simulated eMRTD chip: the card's side of ICAO 9303-10/-11 for the files it is given. It answers
 * SELECT of the eMRTD application, GET CHALLENGE and EXTERNAL AUTHENTICATE (BAC), then SELECT and
 * READ BINARY (B0, B1 with DO54/DO53, short Le and extended Le) under 3DES secure messaging, built
 * on the same protocol code the reader uses (protocol/icao9303), whose known-answer tests hold it
 * to the standard's worked examples.
 *
 * `handle(apdu)` takes one command APDU and returns the response APDU; transports (vpcd, the
 * in-process PC/SC port) carry the bytes. Behaviour scenarios apply here; data scenarios (tampered
 * data group, unknown CSCA, expired signer) live in the files (lds-builder.ts).
 */

import {
  answerExternalAuthenticate,
  type BacChipNonces,
  createBacChipNonces,
} from '../../protocol/icao9303/bac.ts';
import type { Icao9303Crypto } from '../../protocol/icao9303/crypto.ts';
import { type BacKeys, deriveBacKeys } from '../../protocol/icao9303/keys.ts';
import { EMRTD_AID } from '../../protocol/icao9303/reader.ts';
import { SmCardSession, tdesSuite } from '../../protocol/icao9303/secure-messaging.ts';
import { decodeCommand, encodeResponse } from '../../protocol/iso7816/apdu.ts';
import { SW } from '../../protocol/iso7816/status.ts';
import { encodeTlv, readTlv } from '../../protocol/iso7816/tlv.ts';

export interface EmrtdCardOptions {
  readonly crypto: Icao9303Crypto;
  /** The BAC key the chip holds: MRZ information (document number, dates, check digits). */
  readonly mrzInformation: string;
  /** The application's elementary files by FID (011E EF.COM, 0101.. DGs, 011D EF.SOD). */
  readonly files: ReadonlyMap<number, Uint8Array>;
  /** The chip takes extended-length APDUs (default true). */
  readonly extendedLength?: boolean;
  /**
   * Corrupt the MAC of the n-th protected response (1-based) of the first session, as a faulty
   * chip or a relay might: the reader must reject it. Omitted: never.
   */
  readonly badMacOnResponse?: number;
}

const CLA_SM = 0x0c;

function answer(sw: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeResponse({ data, sw });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class SimulatedEmrtdCard {
  readonly #options: EmrtdCardOptions;
  readonly #keys: BacKeys;
  #applicationSelected = false;
  #nonces: BacChipNonces | undefined;
  #sm: SmCardSession | undefined;
  #file: number | undefined;
  #protectedResponses = 0;
  #corrupted = false;

  constructor(options: EmrtdCardOptions) {
    this.#options = options;
    this.#keys = deriveBacKeys(options.crypto, options.mrzInformation);
  }

  /** Power cycle or warm reset: nothing selected, no session. */
  reset(): void {
    this.#applicationSelected = false;
    this.#nonces = undefined;
    this.#sm = undefined;
    this.#file = undefined;
  }

  /** One command APDU in, one response APDU out. Never throws for any input. */
  handle(apdu: Uint8Array): Uint8Array {
    const decoded = decodeCommand(apdu);
    if (!decoded.ok) return answer(SW.WRONG_LENGTH);
    const command = decoded.value;
    if (command.extended && this.#options.extendedLength === false) return answer(SW.WRONG_LENGTH);
    if ((command.cla & CLA_SM) === CLA_SM) return this.#protected(apdu);
    // Plain commands: only the ones before authentication.
    switch (command.ins) {
      case 0xa4:
        if (command.p1 === 0x04) {
          this.#sm = undefined;
          this.#applicationSelected = sameBytes(command.data, EMRTD_AID);
          return answer(this.#applicationSelected ? SW.OK : SW.FILE_NOT_FOUND);
        }
        // Files need secure messaging once BAC is the access control.
        return answer(this.#applicationSelected ? SW.SECURITY_STATUS_NOT_SATISFIED : SW.FILE_NOT_FOUND);
      case 0x84: {
        if (!this.#applicationSelected) return answer(SW.CONDITIONS_NOT_SATISFIED);
        if (command.le !== 8 && command.le !== 256) return answer(SW.WRONG_LENGTH);
        this.#sm = undefined;
        this.#nonces = createBacChipNonces(this.#options.crypto);
        return answer(SW.OK, this.#nonces.rndIc);
      }
      case 0x82: {
        const nonces = this.#nonces;
        this.#nonces = undefined;
        if (!nonces) return answer(SW.CONDITIONS_NOT_SATISFIED);
        const result = answerExternalAuthenticate(this.#options.crypto, this.#keys, nonces, command.data);
        if (!result.ok) return answer(result.error.statusWord ?? SW.AUTHENTICATION_FAILED);
        const { KSenc, KSmac, SSC } = result.value.session;
        this.#sm = new SmCardSession(tdesSuite(this.#options.crypto, { KSenc, KSmac }), SSC);
        return answer(SW.OK, result.value.data);
      }
      case 0xb0:
      case 0xb1:
        return answer(
          this.#applicationSelected ? SW.SECURITY_STATUS_NOT_SATISFIED : SW.CONDITIONS_NOT_SATISFIED,
        );
      default:
        return answer(SW.INS_NOT_SUPPORTED);
    }
  }

  #protected(apdu: Uint8Array): Uint8Array {
    const sm = this.#sm;
    if (!sm?.alive) return answer(SW.SM_DATA_OBJECTS_MISSING);
    const unwrapped = sm.unwrapCommand(apdu);
    if (!unwrapped.ok) {
      // The chip forgets the session after a bad protected command (9303-11 §9.8.6).
      this.#sm = undefined;
      return answer(unwrapped.error.statusWord ?? SW.SM_DATA_OBJECTS_INCORRECT);
    }
    const command = unwrapped.value;
    const { data, sw } = this.#dispatch(command.ins, command.p1, command.p2, command.data, command.le);
    const response = sm.wrapResponse(data, sw);
    this.#protectedResponses++;
    if (!this.#corrupted && this.#protectedResponses === this.#options.badMacOnResponse) {
      this.#corrupted = true;
      // DO8E's last MAC byte sits just before SW1 SW2.
      const last = response.length - 3;
      response[last] = (response[last] ?? 0) ^ 0x01;
    }
    return response;
  }

  #dispatch(
    ins: number,
    p1: number,
    p2: number,
    data: Uint8Array,
    le: number | undefined,
  ): { data: Uint8Array; sw: number } {
    const empty = new Uint8Array(0);
    switch (ins) {
      case 0xa4: {
        if (p1 !== 0x02 || data.length !== 2) return { data: empty, sw: SW.WRONG_P1P2 };
        const fid = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
        if (!this.#options.files.has(fid)) return { data: empty, sw: SW.FILE_NOT_FOUND };
        this.#file = fid;
        return { data: empty, sw: SW.OK };
      }
      case 0xb0: {
        let offset = (p1 << 8) | p2;
        if (p1 & 0x80) {
          // Short EF identifier in P1 b5-b1, offset in P2.
          const fid = 0x0100 | (p1 & 0x1f);
          if (!this.#options.files.has(fid)) return { data: empty, sw: SW.FILE_NOT_FOUND };
          this.#file = fid;
          offset = p2;
        }
        return this.#read(offset, le);
      }
      case 0xb1: {
        const object = readTlv(data);
        if (
          !object.ok ||
          object.value.tag !== 0x54 ||
          object.value.value.length === 0 ||
          object.value.value.length > 3
        )
          return { data: empty, sw: SW.WRONG_DATA };
        let offset = 0;
        for (const b of object.value.value) offset = offset * 256 + b;
        const read = this.#read(offset, le === undefined ? undefined : Math.max(1, le - 4));
        if (read.sw !== SW.OK && read.sw !== SW.END_OF_FILE) return read;
        return { data: encodeTlv(0x53, read.data), sw: read.sw };
      }
      default:
        return { data: empty, sw: SW.INS_NOT_SUPPORTED };
    }
  }

  #read(offset: number, le: number | undefined): { data: Uint8Array; sw: number } {
    const empty = new Uint8Array(0);
    if (this.#file === undefined) return { data: empty, sw: SW.COMMAND_NOT_ALLOWED };
    const file = this.#options.files.get(this.#file) ?? empty;
    if (offset > file.length) return { data: empty, sw: SW.WRONG_PARAMETERS };
    const wanted = le ?? 256;
    const data = file.slice(offset, Math.min(file.length, offset + wanted));
    // Fewer bytes than asked: 6282 for an exact Le, 9000 for "as much as possible" (256, 65536).
    const wildcard = wanted === 256 || wanted === 65536;
    return { data, sw: data.length < wanted && !wildcard ? SW.END_OF_FILE : SW.OK };
  }
}
