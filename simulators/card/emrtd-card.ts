/**
 * A simulated eMRTD chip: the card's side of ICAO 9303-10/-11 for the files it is given. It answers
 * SELECT of the eMRTD application, GET CHALLENGE and EXTERNAL AUTHENTICATE (BAC), then SELECT and
 * READ BINARY (B0, B1 with DO54/DO53, short Le and extended Le) under 3DES secure messaging; with the
 * options for them, EF.CardAccess in the master file, PACE (ECDH-GM, CAN and MRZ) with AES or 3DES
 * secure messaging, Chip Authentication and Active Authentication under secure messaging, and
 * Terminal Authentication (EAC, TR-03110) guarding DG3 and DG4: EF.CVCA names its trust points,
 * and DG3 (fingerprints) and DG4 (irises) answer 6982 to READ BINARY until a terminal has
 * authenticated with the right in its certificates' CHATs (9303-11's EAC; TR-03110-3 C.4). Built
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
import {
  ChipAuthenticationChip,
  type ChipAuthenticationChipOptions,
} from '../../protocol/icao9303/chip-auth.ts';
import type { Icao9303Crypto } from '../../protocol/icao9303/crypto.ts';
import type { CvCertificate, CvcCrypto } from '../../protocol/icao9303/cvc.ts';
import { IS_RIGHT } from '../../protocol/icao9303/cvc.ts';
import { type BacKeys, deriveBacKeys } from '../../protocol/icao9303/keys.ts';
import { PaceChip } from '../../protocol/icao9303/pace.ts';
import { EF_CARD_ACCESS, EMRTD_AID } from '../../protocol/icao9303/reader.ts';
import { SmCardSession, type SmCipherSuite, tdesSuite } from '../../protocol/icao9303/secure-messaging.ts';
import type { PaceInfo } from '../../protocol/icao9303/security-infos.ts';
import {
  EF_CVCA,
  encodeEfCvca,
  idPiccAfterBac,
  idPiccAfterPace,
  TerminalAuthenticationChip,
} from '../../protocol/icao9303/terminal-auth.ts';
import { decodeCommand, encodeResponse } from '../../protocol/iso7816/apdu.ts';
import { SW } from '../../protocol/iso7816/status.ts';
import { concatBytes, encodeTlv, findTag, readTlv, readTlvs } from '../../protocol/iso7816/tlv.ts';

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
  /** EF.CardAccess (FID 011C, SFI 1C in the master file). Absent: a BAC-only chip. */
  readonly cardAccess?: Uint8Array;
  /** PACE the chip runs, and with which passwords. Absent: no PACE. */
  readonly pace?: { readonly info: PaceInfo; readonly can?: string; readonly mrz?: boolean };
  /** The chip answers BAC (default true; false for a PACE-only chip: 6D00). */
  readonly bac?: boolean;
  /** Answer MSE:Set AT for PACE with this status word (6982 as some CCCD chips do). */
  readonly refusePaceWith?: number;
  /** The status word for SELECT MF (default 9000; 6D00 as some chips answer). */
  readonly selectMfStatus?: number;
  /** Chip Authentication with this static key (a clone holds another key than DG14's). */
  readonly chipAuthentication?: ChipAuthenticationChipOptions;
  /** INTERNAL AUTHENTICATE: the signature over a challenge. Absent: 6D00. */
  readonly activeAuthentication?: (challenge: Uint8Array) => Uint8Array;
  /**
   * Terminal Authentication v1 (after Chip Authentication), with the chip's trust points (CVCA
   * certificates, newest first) and its current date at personalisation. With it, EF.CVCA (011C)
   * names the trust points and DG3/DG4 need TA with their right. Absent: no TA (6D00) and DG3/DG4
   * read like any file, as on a chip without EAC.
   */
  readonly terminalAuthentication?: {
    readonly crypto: CvcCrypto;
    readonly trustPoints: readonly CvCertificate[];
    readonly currentDate: string;
  };
}

/** Data groups behind EAC and the CHAT right each needs (TR-03110-3 C.4.1). */
const EAC_FILES: ReadonlyMap<number, number> = new Map([
  [0x0103, IS_RIGHT.readDg3],
  [0x0104, IS_RIGHT.readDg4],
]);

/** Largest certificate data a chained PSO:Verify Certificate may gather, bytes. */
const MAX_CHAINED_DATA = 4096;

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
  /** The master file's current EF (EF.CardAccess) before the application is selected. */
  #mfFile: number | undefined;
  readonly #pace: PaceChip | undefined;
  readonly #chipAuthentication: ChipAuthenticationChip | undefined;
  /** A session to switch to after the current protected answer (Chip Authentication). */
  #nextSession: { suite: SmCipherSuite; ssc: Uint8Array } | undefined;
  /** TA's trust points and current date live across sessions, as in the chip's EEPROM. */
  readonly #terminalAuthentication: TerminalAuthenticationChip | undefined;
  /** ID_PICC of the session: from BAC's MRZ, or Comp of the chip's own PACE key. */
  #idPicc: Uint8Array | undefined;
  /** The chip's ephemeral PACE key of the run under way. */
  #paceChipKey: Uint8Array | undefined;
  /** The terminal's Chip Authentication key, once CA has switched the session. */
  #caTerminalKey: Uint8Array | undefined;
  #caPendingKey: Uint8Array | undefined;
  /** PSO:Verify Certificate data gathered from chained commands. */
  #chained: Uint8Array[] = [];

  constructor(options: EmrtdCardOptions) {
    this.#options = options;
    this.#keys = deriveBacKeys(options.crypto, options.mrzInformation);
    const pace = options.pace;
    this.#pace =
      pace &&
      new PaceChip({
        crypto: options.crypto,
        info: pace.info,
        passwords: {
          ...(pace.can === undefined ? {} : { can: pace.can }),
          ...(pace.mrz === false ? {} : { mrzInformation: options.mrzInformation }),
        },
      });
    this.#chipAuthentication =
      options.chipAuthentication && new ChipAuthenticationChip(options.chipAuthentication);
    const ta = options.terminalAuthentication;
    this.#terminalAuthentication =
      ta &&
      new TerminalAuthenticationChip({
        crypto: ta.crypto,
        trustPoints: ta.trustPoints,
        currentDate: ta.currentDate,
        random: (n) => options.crypto.randomBytes(n),
      });
  }

  /** The chip's TA state (trust points, current date), for tests and the simulator's snapshot. */
  get terminalAuthentication(): TerminalAuthenticationChip | undefined {
    return this.#terminalAuthentication;
  }

  /** Ends what belongs to one secure session: TA's rights, CA's and PACE's keys. */
  #newSession(): void {
    this.#idPicc = undefined;
    this.#caTerminalKey = undefined;
    this.#caPendingKey = undefined;
    this.#chained = [];
    this.#terminalAuthentication?.reset();
  }

  /** Power cycle or warm reset: nothing selected, no session. */
  reset(): void {
    this.#applicationSelected = false;
    this.#nonces = undefined;
    this.#sm = undefined;
    this.#file = undefined;
    this.#mfFile = undefined;
    this.#nextSession = undefined;
    this.#pace?.reset();
    this.#newSession();
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
        if (command.p1 === 0x00) {
          const status = this.#options.selectMfStatus ?? SW.OK;
          if (status === SW.OK) {
            this.#applicationSelected = false;
            this.#mfFile = undefined;
          }
          return answer(status);
        }
        if (!this.#applicationSelected && command.p1 === 0x02) {
          // The master file holds EF.CardAccess, readable without access control.
          const fid = ((command.data[0] ?? 0) << 8) | (command.data[1] ?? 0);
          if (fid !== EF_CARD_ACCESS.fid || !this.#options.cardAccess || command.data.length !== 2)
            return answer(SW.FILE_NOT_FOUND);
          this.#mfFile = fid;
          return answer(SW.OK);
        }
        // Files need secure messaging once BAC is the access control.
        return answer(this.#applicationSelected ? SW.SECURITY_STATUS_NOT_SATISFIED : SW.FILE_NOT_FOUND);
      case 0x22: {
        if (command.p1 !== 0xc1 || command.p2 !== 0xa4) return answer(SW.WRONG_P1P2);
        if (this.#options.refusePaceWith !== undefined) return answer(this.#options.refusePaceWith);
        if (!this.#pace) return answer(SW.INS_NOT_SUPPORTED);
        this.#sm = undefined;
        this.#newSession();
        return answer(this.#pace.setAuthenticationTemplate(command.data).sw);
      }
      case 0x86: {
        if (!this.#pace) return answer(SW.INS_NOT_SUPPORTED);
        const result = this.#pace.generalAuthenticate(command.data, (command.cla & 0x10) !== 0);
        // The chip's ephemeral key (7C{84}) is ID_PICC's source for Terminal Authentication.
        const chipKey = result.sw === SW.OK ? dynamicObject(result.data, 0x84) : undefined;
        if (chipKey) this.#paceChipKey = chipKey;
        if (result.session) {
          this.#sm = new SmCardSession(result.session.suite, result.session.ssc);
          this.#newSession();
          if (this.#paceChipKey) this.#idPicc = idPiccAfterPace(this.#paceChipKey);
        }
        return answer(result.sw, result.data);
      }
      case 0x84: {
        if (this.#options.bac === false) return answer(SW.INS_NOT_SUPPORTED);
        if (!this.#applicationSelected) return answer(SW.CONDITIONS_NOT_SATISFIED);
        if (command.le !== 8 && command.le !== 256) return answer(SW.WRONG_LENGTH);
        this.#sm = undefined;
        this.#nonces = createBacChipNonces(this.#options.crypto);
        return answer(SW.OK, this.#nonces.rndIc);
      }
      case 0x82: {
        if (this.#options.bac === false) return answer(SW.INS_NOT_SUPPORTED);
        const nonces = this.#nonces;
        this.#nonces = undefined;
        if (!nonces) return answer(SW.CONDITIONS_NOT_SATISFIED);
        const result = answerExternalAuthenticate(this.#options.crypto, this.#keys, nonces, command.data);
        if (!result.ok) return answer(result.error.statusWord ?? SW.AUTHENTICATION_FAILED);
        const { KSenc, KSmac, SSC } = result.value.session;
        this.#sm = new SmCardSession(tdesSuite(this.#options.crypto, { KSenc, KSmac }), SSC);
        this.#newSession();
        this.#idPicc = idPiccAfterBac(this.#options.mrzInformation);
        return answer(SW.OK, result.value.data);
      }
      case 0xb0:
      case 0xb1: {
        const cardAccess = this.#options.cardAccess;
        const bySfi = command.ins === 0xb0 && command.p1 === (0x80 | EF_CARD_ACCESS.sfi);
        if (
          !this.#applicationSelected &&
          cardAccess &&
          (bySfi || (command.ins === 0xb0 && this.#mfFile !== undefined))
        ) {
          const offset = bySfi ? command.p2 : (command.p1 << 8) | command.p2;
          if (offset > cardAccess.length) return answer(SW.WRONG_PARAMETERS);
          const wanted = command.le ?? 256;
          const data = cardAccess.slice(offset, offset + wanted);
          return answer(
            data.length < wanted && wanted !== 256 && wanted !== 65536 ? SW.END_OF_FILE : SW.OK,
            data,
          );
        }
        return answer(
          this.#applicationSelected ? SW.SECURITY_STATUS_NOT_SATISFIED : SW.CONDITIONS_NOT_SATISFIED,
        );
      }
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
      this.#newSession();
      return answer(unwrapped.error.statusWord ?? SW.SM_DATA_OBJECTS_INCORRECT);
    }
    const command = unwrapped.value;
    const { data, sw } = this.#dispatch(
      command.cla,
      command.ins,
      command.p1,
      command.p2,
      command.data,
      command.le,
    );
    const response = sm.wrapResponse(data, sw);
    const next = this.#nextSession;
    if (next) {
      // Chip Authentication: this answer went under the old keys; the next command uses the new.
      this.#nextSession = undefined;
      this.#sm = new SmCardSession(next.suite, next.ssc);
      // TA v1 signs over the terminal's CA key: it belongs to this new session.
      this.#terminalAuthentication?.reset();
      this.#caTerminalKey = this.#caPendingKey;
    }
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
    cla: number,
    ins: number,
    p1: number,
    p2: number,
    data: Uint8Array,
    le: number | undefined,
  ): { data: Uint8Array; sw: number } {
    const empty = new Uint8Array(0);
    const ta = this.#terminalAuthentication;
    if (ins !== 0x2a) this.#chained = [];
    switch (ins) {
      case 0xa4: {
        if (p1 === 0x04) {
          // Selecting the application after PACE (under the PACE session).
          this.#applicationSelected = sameBytes(data, EMRTD_AID);
          return { data: empty, sw: this.#applicationSelected ? SW.OK : SW.FILE_NOT_FOUND };
        }
        if (p1 !== 0x02 || data.length !== 2) return { data: empty, sw: SW.WRONG_P1P2 };
        const fid = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
        if (!this.#fileBytes(fid)) return { data: empty, sw: SW.FILE_NOT_FOUND };
        this.#file = fid;
        return { data: empty, sw: SW.OK };
      }
      case 0xb0: {
        let offset = (p1 << 8) | p2;
        if (p1 & 0x80) {
          // Short EF identifier in P1 b5-b1, offset in P2.
          const fid = 0x0100 | (p1 & 0x1f);
          if (!this.#fileBytes(fid)) return { data: empty, sw: SW.FILE_NOT_FOUND };
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
      case 0x22: {
        if (p1 === 0x81) {
          // Terminal Authentication: Set DST (B6) names the verifying key, Set AT (A4) the terminal.
          if (!ta) return { data: empty, sw: SW.INS_NOT_SUPPORTED };
          if (p2 === 0xb6) return { data: empty, sw: ta.setDst(data).sw };
          if (p2 === 0xa4) return { data: empty, sw: ta.setAt(data).sw };
          return { data: empty, sw: SW.WRONG_P1P2 };
        }
        const ca = this.#chipAuthentication;
        if (!ca || p1 !== 0x41) return { data: empty, sw: ca ? SW.WRONG_P1P2 : SW.INS_NOT_SUPPORTED };
        const result = ca.manageSecurityEnvironment(p2, data);
        if (result.next) {
          this.#nextSession = result.next;
          this.#caPendingKey = keyObject(data, 0x91);
        }
        return { data: result.data ?? empty, sw: result.sw };
      }
      case 0x86: {
        const ca = this.#chipAuthentication;
        if (!ca) return { data: empty, sw: SW.INS_NOT_SUPPORTED };
        const result = ca.generalAuthenticate(data);
        if (result.next) {
          this.#nextSession = result.next;
          this.#caPendingKey = dynamicObject(data, 0x80);
        }
        return { data: result.data ?? empty, sw: result.sw };
      }
      case 0x2a: {
        if (!ta) return { data: empty, sw: SW.INS_NOT_SUPPORTED };
        if (p1 !== 0x00 || p2 !== 0xbe) return { data: empty, sw: SW.WRONG_P1P2 };
        this.#chained.push(data);
        const gathered = this.#chained.reduce((n, part) => n + part.length, 0);
        if (gathered > MAX_CHAINED_DATA) {
          this.#chained = [];
          return { data: empty, sw: SW.WRONG_LENGTH };
        }
        // Command chaining (CLA bit 5): more of the certificate follows.
        if ((cla & 0x10) !== 0) return { data: empty, sw: SW.OK };
        const whole = concatBytes(...this.#chained);
        this.#chained = [];
        return { data: empty, sw: ta.verifyCertificate(whole).sw };
      }
      case 0x84: {
        if (!ta) return { data: empty, sw: SW.INS_NOT_SUPPORTED };
        const result = ta.getChallenge(le);
        return { data: result.data ?? empty, sw: result.sw };
      }
      case 0x82: {
        if (!ta) return { data: empty, sw: SW.INS_NOT_SUPPORTED };
        const idPicc = this.#idPicc;
        const caTerminalPublicKey = this.#caTerminalKey;
        // TA v1 follows Chip Authentication: without it there is no key to sign over.
        const session = idPicc && caTerminalPublicKey ? { idPicc, caTerminalPublicKey } : undefined;
        return { data: empty, sw: ta.externalAuthenticate(data, session).sw };
      }
      case 0x88: {
        const sign = this.#options.activeAuthentication;
        if (!sign) return { data: empty, sw: SW.INS_NOT_SUPPORTED };
        if (data.length !== 8) return { data: empty, sw: SW.WRONG_DATA };
        return { data: sign(data), sw: SW.OK };
      }
      default:
        return { data: empty, sw: SW.INS_NOT_SUPPORTED };
    }
  }

  /** The application file `fid` (EF.CVCA from the TA state), or undefined when absent. */
  #fileBytes(fid: number): Uint8Array | undefined {
    const ta = this.#terminalAuthentication;
    if (fid === EF_CVCA.fid && ta) return encodeEfCvca(ta.trustPointReferences);
    return this.#options.files.get(fid);
  }

  #read(offset: number, le: number | undefined): { data: Uint8Array; sw: number } {
    const empty = new Uint8Array(0);
    if (this.#file === undefined) return { data: empty, sw: SW.COMMAND_NOT_ALLOWED };
    const right = EAC_FILES.get(this.#file);
    const ta = this.#terminalAuthentication;
    // DG3/DG4 need Terminal Authentication with their right (9303-11 EAC): 6982 until then.
    if (right !== undefined && ta && ((ta.authenticatedRights ?? 0) & right) === 0)
      return { data: empty, sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    const file = this.#fileBytes(this.#file) ?? empty;
    if (offset > file.length) return { data: empty, sw: SW.WRONG_PARAMETERS };
    const wanted = le ?? 256;
    const data = file.slice(offset, Math.min(file.length, offset + wanted));
    // Fewer bytes than asked: 6282 for an exact Le, 9000 for "as much as possible" (256, 65536).
    const wildcard = wanted === 256 || wanted === 65536;
    return { data, sw: data.length < wanted && !wildcard ? SW.END_OF_FILE : SW.OK };
  }
}

/** The value of `tag` inside a `7C{…}` object, or undefined. */
function dynamicObject(data: Uint8Array | undefined, tag: number): Uint8Array | undefined {
  const outer = data && readTlv(data);
  if (!outer?.ok || outer.value.tag !== 0x7c) return undefined;
  const inner = readTlvs(outer.value.value);
  return inner.ok ? findTag(inner.value, tag)?.value.slice() : undefined;
}

/** The value of `tag` among the command's data objects, or undefined. */
function keyObject(data: Uint8Array, tag: number): Uint8Array | undefined {
  const objects = readTlvs(data);
  return objects.ok ? findTag(objects.value, tag)?.value.slice() : undefined;
}
