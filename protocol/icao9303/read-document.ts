/**
 * Reads and checks a whole eMRTD (ICAO 9303-10 and -11): select, access control, EF.COM, EF.SOD,
 * every data group EF.COM lists that the terminal may read, then Passive Authentication, DG1 and
 * the DG2 portrait. Clocks, crypto and the trust store are injected; the channel is the driver's.
 *
 * Access control tries the given methods in order (the CCCD habit: PACE with the CAN, PACE with
 * the MRZ, then BAC), moving on when the chip refuses one: real chips answer 6982, 6985, 6A80 or
 * 6D00 to a PACE they will not run, and some refuse SELECT MF, so EF.CardAccess is selected
 * directly. Every attempt and its outcome is in the report.
 *
 * Chip authenticity: with DG14, Chip Authentication runs right after EF.SOD and DG14 are read, and
 * the other groups are read under its keys; with DG15, Active Authentication signs a fresh random
 * challenge. Either proves the chip holds a private key only when the data group carrying the
 * public key passed Passive Authentication (`chipVerdict`).
 *
 * DG3 and DG4 (fingerprints, iris) sit behind Extended Access Control. With terminal credentials
 * (a CV certificate chain and its key), Terminal Authentication v1 runs once everything else is
 * read and Active Authentication is done, so a chip that refuses it still gives the rest of the
 * read; then DG3 is read, its WSQ fingers decoded, and its hash checked by PA like any group. Why
 * DG3 was not read is always a typed reason (`dg3`). DG4 is never asked for.
 */
import type { DecodeError } from '../result.ts';
import {
  AA_CHALLENGE_LENGTH,
  type AaCrypto,
  type AaVerdict,
  verifyActiveAuthentication,
} from './active-auth.ts';
import { chooseChipAuthentication } from './chip-auth.ts';
import { type ChipProtocolStatus, type ChipVerdict, chipVerdict } from './chip-verdict.ts';
import type { Icao9303Crypto } from './crypto.ts';
import { IS_RIGHT } from './cvc.ts';
import { CardError } from './errors.ts';
import { decodeEfCom, type EfCom } from './lds/com.ts';
import { type Dg1, decodeDg1 } from './lds/dg1.ts';
import { decodeDg2 } from './lds/dg2.ts';
import { decodeDg3, decodeFingerImage, dg3Fingers } from './lds/dg3.ts';
import { type ImageFormat, sniffImageFormat } from './lds/face-record.ts';
import { dataGroupFile, EF_COM, EF_SOD } from './lds/files.ts';
import type { FingerCompression } from './lds/finger-record.ts';
import { type PaCrypto, type PaReport, type TrustStore, verifyPassiveAuthentication } from './pa.ts';
import { type PacePassword, paceSupported } from './pace.ts';
import { type ApduTrace, type CardChannel, EmrtdReader } from './reader.ts';
import { decodeSecurityInfos, type PaceInfo, type SecurityInfos } from './security-infos.ts';
import {
  decodeEfCvca,
  planTerminalAuthentication,
  type TaFailureReason,
  type TaPlanFailureReason,
  type TaStep,
  type TerminalCredentials,
} from './terminal-auth.ts';

/** Data groups behind Extended Access Control (Terminal Authentication). */
const EAC_PROTECTED = new Set([3, 4]);

/** One way to open the chip. */
export type AccessAttempt =
  /** BAC with the MRZ information (document number, birth and expiry dates, check digits). */
  | { readonly method: 'bac'; readonly mrzInformation: string }
  /** PACE with the CAN or the MRZ information. */
  | { readonly method: 'pace'; readonly password: PacePassword };

/** One method, or several tried in order until the chip accepts one. */
export type DocumentAccess = AccessAttempt | readonly AccessAttempt[];

export type AccessMethodName = 'PACE-CAN' | 'PACE-MRZ' | 'BAC';

export interface AccessAttemptRecord {
  readonly method: AccessMethodName;
  readonly outcome:
    | 'opened'
    /** The chip does not offer it (no EF.CardAccess, or no PACE this station runs). */
    | 'not-offered'
    /** The chip refused the protocol with a status word: the next method is tried. */
    | 'refused'
    /** The chip refused the password or key. */
    | 'access-denied'
    /** The chip's answers did not verify. */
    | 'authentication-failed';
  readonly statusWord?: number;
  readonly detail?: string;
}

export interface ReadDocumentOptions {
  readonly access: DocumentAccess;
  readonly crypto: Icao9303Crypto;
  readonly paCrypto: PaCrypto;
  /** Active Authentication's crypto; absent: AA is not run (reported as not checked). */
  readonly aaCrypto?: AaCrypto;
  /** Absent: PA's verdict is at best not-checked (no trust store). */
  readonly trustStore?: TrustStore;
  /** Wall clock, ms since the epoch: certificate validity. */
  readonly clock: { now(): number };
  /** Monotonic ms for the timings. */
  readonly monotonic: () => number;
  /** Use extended-length APDUs (chip and reader both support them). */
  readonly extendedLength?: boolean;
  /** Plaintext bytes per short READ BINARY (default: the largest secure messaging allows). */
  readonly shortChunk?: number;
  /** Skip Chip and Active Authentication (comparisons, benchmarks of the bare read). */
  readonly skipChipAuthentication?: boolean;
  /**
   * The station's EAC credentials (CV certificates and the terminal key). With them Terminal
   * Authentication runs after Chip Authentication and DG3 is read; without, DG3 is not asked for.
   */
  readonly terminal?: TerminalCredentials;
  readonly onApdu?: (trace: ApduTrace) => void;
}

/** Why DG3 (the fingerprints) was not read. A fixed set: callers switch on it. */
export type Dg3UnavailableReason =
  /** EF.COM does not list DG3: the card carries no fingerprints. */
  | 'not-on-chip'
  /** The station holds no terminal credentials. */
  | 'no-credentials'
  /** TA v1 needs a Chip Authentication that passed in this session. */
  | 'no-chip-authentication'
  /** The chip has no EF.CVCA, or it does not decode. */
  | 'no-cvca-file'
  /** From planning: our credentials cannot be shown to this chip (see TaPlanFailureReason). */
  | TaPlanFailureReason
  /** From the chip: it refused our certificates or our signature, or the key did not sign. */
  | TaFailureReason
  /** TA passed, but the effective rights (AND of the CHATs) do not include DG3. */
  | 'no-dg3-right'
  /** After TA the chip still refused DG3 (6982). */
  | 'refused'
  /** EF.COM lists DG3 but the chip has no such file (6A82). */
  | 'absent'
  /** The file's bytes could not be read as one TLV file. */
  | 'damaged'
  /** The secure session ended during TA or DG3 (the chip dropped it). */
  | 'session-lost';

/** One fingerprint from DG3. */
export interface ChipFinger {
  /** ANSI/NIST finger position: 1 right thumb, 2 right index … 7 left index … 10 left little. */
  readonly position: number;
  readonly width: number;
  readonly height: number;
  /** Pixels per inch. */
  readonly ppi: number;
  readonly compression: FingerCompression;
  /** 0–100; 254 not assessed (as stored). */
  readonly quality: number;
  readonly impressionType: number;
  /** The image as stored (WSQ for the CCCD). */
  readonly data: Uint8Array;
  /** The decoded 8-bit grey pixels, row-major; absent when the image did not decode. */
  readonly pixels?: Uint8Array;
  readonly decodeError?: DecodeError;
}

/** What became of DG3. */
export type Dg3Outcome =
  | {
      readonly status: 'read';
      readonly fingers: readonly ChipFinger[];
      /** The file did not decode as DG3 (the bytes are still in `dataGroups` for PA). */
      readonly error?: DecodeError;
    }
  | {
      readonly status: 'unavailable';
      readonly reason: Dg3UnavailableReason;
      readonly detail: string;
      readonly statusWord?: number;
      /** The TA step that failed, for the chip's refusals. */
      readonly step?: TaStep;
      /** The certificate (CHR) at fault, when one was. */
      readonly certificate?: string;
    };

/** How Terminal Authentication went. */
export type TerminalAuthenticationStatus =
  | {
      readonly status: 'passed';
      readonly terminal: string;
      readonly trustPoint: string;
      /** CHRs sent, in order (link certificates, DV, terminal). */
      readonly chain: readonly string[];
      readonly rights: { readonly dg3: boolean; readonly dg4: boolean };
    }
  | {
      readonly status: 'failed';
      readonly reason: TaFailureReason | 'session-lost';
      readonly detail: string;
      readonly step?: TaStep;
      readonly statusWord?: number;
      readonly certificate?: string;
    }
  | {
      readonly status: 'not-run';
      readonly reason: Dg3UnavailableReason;
      readonly detail: string;
      readonly certificate?: string;
    };

export interface Portrait {
  /** From the image's first bytes, not the record's type field. */
  readonly format: ImageFormat;
  readonly image: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface DocumentReport {
  readonly accessMethod: AccessMethodName;
  readonly accessAttempts: readonly AccessAttemptRecord[];
  /** EF.CardAccess as read (absent on a BAC-only chip), and what it offers. */
  readonly cardAccess: SecurityInfos | undefined;
  readonly com: EfCom;
  /** Whole file bytes of each data group read, by number. */
  readonly dataGroups: ReadonlyMap<number, Uint8Array>;
  readonly sod: Uint8Array;
  /** Listed in EF.COM but not read: EAC-protected, refused (6982) or absent (6A82). */
  readonly notRead: readonly {
    readonly dataGroup: number;
    readonly why: 'eac-protected' | 'refused' | 'absent';
  }[];
  readonly dg1: Dg1 | undefined;
  readonly dg1Error: DecodeError | undefined;
  readonly portrait: Portrait | undefined;
  readonly portraitError: DecodeError | undefined;
  readonly passiveAuthentication: PaReport;
  readonly chipAuthentication: ChipProtocolStatus;
  readonly activeAuthentication: ChipProtocolStatus & { readonly verdict?: AaVerdict };
  readonly terminalAuthentication: TerminalAuthenticationStatus;
  /** The fingerprints, or why they were not read. */
  readonly dg3: Dg3Outcome;
  /** Whether the chip proved it is not a copy (CA or AA with a key PA vouches for). */
  readonly chip: ChipVerdict;
  readonly apdus: number;
  /** ms: access control, each file by name, CA, AA, PA, and the whole read. */
  readonly timings: {
    readonly accessMs: number;
    readonly files: Readonly<Record<string, number>>;
    readonly chipAuthenticationMs: number;
    readonly activeAuthenticationMs: number;
    /** Reading EF.CVCA, planning and the TA exchange (0 when it did not run). */
    readonly terminalAuthenticationMs: number;
    readonly passiveAuthenticationMs: number;
    readonly totalMs: number;
  };
  /** Command APDUs of Terminal Authentication and of reading DG3 (EF.CVCA included in TA). */
  readonly eacApdus: { readonly terminalAuthentication: number; readonly dg3: number };
}

function methodName(attempt: AccessAttempt): AccessMethodName {
  if (attempt.method === 'bac') return 'BAC';
  return attempt.password.kind === 'can' ? 'PACE-CAN' : 'PACE-MRZ';
}

/** The PACEInfo to run: ECDH-GM on a supported curve, AES-128 first. */
function choosePace(infos: SecurityInfos | undefined): PaceInfo | undefined {
  const offered = (infos?.infos ?? []).filter((i): i is PaceInfo => i.type === 'pace' && paceSupported(i));
  const rank = (i: PaceInfo) => ['aes-128', 'aes-256', 'aes-192', '3des'].indexOf(i.cipher);
  return offered.sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * Opens the chip with the first method it accepts; records every attempt.
 * @throws {CardError} CARD_NOT_EMRTD, or CARD_ACCESS_DENIED when no method opened it.
 */
async function openChip(
  reader: EmrtdReader,
  attempts: readonly AccessAttempt[],
  cardAccess: SecurityInfos | undefined,
  record: AccessAttemptRecord[],
): Promise<AccessAttempt> {
  const pace = choosePace(cardAccess);
  let notEmrtd: CardError | undefined;
  for (const attempt of attempts) {
    const method = methodName(attempt);
    if (attempt.method === 'pace') {
      if (!pace) {
        record.push({
          method,
          outcome: 'not-offered',
          detail: cardAccess
            ? 'EF.CardAccess offers no PACE this station runs'
            : 'the chip has no EF.CardAccess',
        });
        continue;
      }
      const failure = await reader.authenticatePace(pace, attempt.password);
      if (!failure) {
        await reader.selectApplication();
        record.push({ method, outcome: 'opened' });
        return attempt;
      }
      record.push({
        method,
        outcome: failure.reason === 'unsupported' ? 'not-offered' : failure.reason,
        ...(failure.statusWord === undefined ? {} : { statusWord: failure.statusWord }),
        detail: `${failure.step}: ${failure.detail}`,
      });
      continue;
    }
    try {
      await reader.selectApplication();
      await reader.authenticateBac(attempt.mrzInformation);
      record.push({ method, outcome: 'opened' });
      return attempt;
    } catch (error) {
      if (!(error instanceof CardError)) throw error;
      if (error.code === 'CARD_NOT_EMRTD') notEmrtd = error;
      record.push({
        method,
        outcome:
          error.code === 'CARD_ACCESS_DENIED'
            ? 'access-denied'
            : error.code === 'CARD_AUTHENTICATION_FAILED'
              ? 'authentication-failed'
              : 'refused',
        ...(error.statusWord === undefined ? {} : { statusWord: error.statusWord }),
        detail: error.message,
      });
    }
  }
  if (notEmrtd && record.every((r) => r.outcome !== 'access-denied')) throw notEmrtd;
  const tried = record.map((r) => `${r.method} ${r.outcome}`).join(', ');
  const statusWord = record.findLast((r) => r.statusWord !== undefined)?.statusWord;
  throw new CardError(
    'CARD_ACCESS_DENIED',
    `The chip did not open with any method (${tried}): check the numbers and the CAN against the card`,
    statusWord === undefined ? {} : { statusWord },
  );
}

/**
 * Reads the document on `channel` and checks it.
 * @throws {CardError} CARD_NOT_EMRTD, CARD_ACCESS_DENIED (no method opened the chip: check the
 *   numbers on the card), CARD_AUTHENTICATION_FAILED, CARD_SM_SESSION_DEAD, CARD_SM_MAC_MISMATCH,
 *   CARD_DATA_DAMAGED (EF.COM or EF.SOD unreadable as files), CARD_FILE_NOT_FOUND (EF.COM or EF.SOD
 *   absent); the channel's own errors (card removed, timeout) pass through. Damaged data groups,
 *   a failed Chip or Active Authentication are not errors: the verdicts report them.
 */
export async function readDocument(
  channel: CardChannel,
  options: ReadDocumentOptions,
): Promise<DocumentReport> {
  const { monotonic } = options;
  const started = monotonic();
  const reader = new EmrtdReader(channel, {
    crypto: options.crypto,
    ...(options.extendedLength === undefined ? {} : { extendedLength: options.extendedLength }),
    ...(options.shortChunk === undefined ? {} : { shortChunk: options.shortChunk }),
    ...(options.onApdu === undefined ? {} : { onApdu: options.onApdu }),
  });
  const attempts: readonly AccessAttempt[] = Array.isArray(options.access)
    ? (options.access as readonly AccessAttempt[])
    : [options.access as AccessAttempt];
  let cardAccess: SecurityInfos | undefined;
  if (attempts.some((a) => a.method === 'pace')) {
    const bytes = await reader.readCardAccess();
    const decoded = bytes === undefined ? undefined : decodeSecurityInfos(bytes);
    cardAccess = decoded?.ok ? decoded.value : undefined;
  }
  const accessAttempts: AccessAttemptRecord[] = [];
  const opened = await openChip(reader, attempts, cardAccess, accessAttempts);
  const accessMs = monotonic() - started;

  const files: Record<string, number> = {};
  const timed = async (name: string, fid: number): Promise<Uint8Array> => {
    const at = monotonic();
    try {
      return await reader.readFile(fid);
    } finally {
      files[name] = monotonic() - at;
    }
  };

  const comBytes = await timed(EF_COM.name, EF_COM.fid);
  const com = decodeEfCom(comBytes);
  if (!com.ok)
    throw new CardError('CARD_DATA_DAMAGED', `EF.COM is damaged: ${com.error.detail}`, {
      fileId: EF_COM.fid,
    });
  const sod = await timed(EF_SOD.name, EF_SOD.fid);

  const dataGroups = new Map<number, Uint8Array>();
  const notRead: { dataGroup: number; why: 'eac-protected' | 'refused' | 'absent' }[] = [];
  const readGroup = async (n: number): Promise<void> => {
    if (EAC_PROTECTED.has(n)) {
      notRead.push({ dataGroup: n, why: 'eac-protected' });
      return;
    }
    const file = dataGroupFile(n);
    try {
      dataGroups.set(n, await timed(file.name, file.fid));
    } catch (error) {
      if (error instanceof CardError && error.code === 'CARD_ACCESS_CONDITIONS')
        notRead.push({ dataGroup: n, why: 'refused' });
      else if (error instanceof CardError && error.code === 'CARD_FILE_NOT_FOUND')
        notRead.push({ dataGroup: n, why: 'absent' });
      else throw error;
    }
  };

  // Chip Authentication first, so that the rest is read under its keys (9303-11 §7.2).
  let chipAuthentication: ChipProtocolStatus = { status: 'not-offered' };
  let dg14Infos: SecurityInfos | undefined;
  if (com.value.dataGroups.includes(14)) await readGroup(14);
  const caStarted = monotonic();
  if (com.value.dataGroups.includes(14)) {
    const dg14 = dataGroups.get(14);
    const decoded = dg14 === undefined ? undefined : decodeSecurityInfos(dg14, { dg14: true });
    dg14Infos = decoded?.ok ? decoded.value : undefined;
    if (dg14 !== undefined && !decoded?.ok)
      chipAuthentication = {
        status: 'not-checked',
        detail: `DG14 does not decode: ${decoded?.error.detail ?? ''}`,
      };
    else if (dg14Infos && !options.skipChipAuthentication) {
      const choice = chooseChipAuthentication(dg14Infos);
      if (!choice.ok)
        chipAuthentication =
          choice.reason === 'absent'
            ? { status: 'not-offered' }
            : { status: 'not-checked', detail: choice.detail };
      else {
        const outcome = await reader.chipAuthenticate(choice.offer);
        if (outcome.kind === 'passed') chipAuthentication = { status: 'passed' };
        else if (outcome.kind === 'refused') {
          chipAuthentication = {
            status: 'not-checked',
            detail: `the chip refused Chip Authentication (${outcome.statusWord.toString(16).toUpperCase()})`,
          };
          if (!reader.secured) await openChip(reader, [opened], cardAccess, []);
        } else {
          chipAuthentication = { status: 'failed', detail: outcome.detail };
          // The session is gone with the failed keys: open the chip again to read the rest.
          await openChip(reader, [opened], cardAccess, []);
        }
      }
    } else if (options.skipChipAuthentication)
      chipAuthentication = { status: 'not-checked', detail: 'skipped' };
  }
  const chipAuthenticationMs = monotonic() - caStarted;

  for (const n of com.value.dataGroups) if (n !== 14) await readGroup(n);

  // Active Authentication: a fresh challenge, signed by the chip with DG15's private key.
  const aaStarted = monotonic();
  let activeAuthentication: ChipProtocolStatus & { verdict?: AaVerdict } = { status: 'not-offered' };
  const dg15 = dataGroups.get(15);
  if (dg15 !== undefined && options.skipChipAuthentication)
    activeAuthentication = { status: 'not-checked', detail: 'skipped' };
  else if (dg15 !== undefined && !options.aaCrypto)
    activeAuthentication = { status: 'not-checked', detail: 'no Active Authentication crypto given' };
  else if (dg15 !== undefined && options.aaCrypto) {
    const challenge = options.crypto.randomBytes(AA_CHALLENGE_LENGTH);
    let signature: Uint8Array | undefined;
    try {
      signature = await reader.internalAuthenticate(challenge);
    } catch (error) {
      if (!(error instanceof CardError) || error.code !== 'CARD_UNEXPECTED_STATUS') throw error;
      activeAuthentication = { status: 'not-checked', detail: error.message };
    }
    if (signature !== undefined) {
      const aaInfo = dg14Infos?.infos.find((i) => i.type === 'active-authentication');
      const verdict = await verifyActiveAuthentication(
        {
          dg15,
          challenge,
          signature,
          ...(aaInfo?.type === 'active-authentication' && aaInfo.hash !== undefined
            ? { ecdsaHash: aaInfo.hash }
            : {}),
        },
        options.aaCrypto,
      );
      activeAuthentication = {
        status: verdict.kind === 'verified' ? 'passed' : verdict.kind === 'failed' ? 'failed' : 'not-checked',
        ...(verdict.kind === 'verified' ? {} : { detail: verdict.detail }),
        verdict,
      };
    }
  }
  const activeAuthenticationMs = monotonic() - aaStarted;

  // Terminal Authentication and DG3 last: a chip that refuses them has given everything else.
  const taStarted = monotonic();
  const taApdusBefore = reader.apduCount;
  const eac = await readFingerprints(reader, {
    listed: com.value.dataGroups.includes(3),
    chipAuthentication,
    ...(options.terminal === undefined ? {} : { terminal: options.terminal }),
    crypto: options.crypto,
    today: new Date(options.clock.now()).toISOString().slice(0, 10),
  });
  const terminalAuthenticationMs = monotonic() - taStarted;
  const taApdus = reader.apduCount - taApdusBefore;
  let dg3: Dg3Outcome = eac.dg3;
  let dg3Apdus = 0;
  if (eac.readDg3) {
    const file = dataGroupFile(3);
    const before = reader.apduCount;
    const at = monotonic();
    try {
      dataGroups.set(3, await reader.readFile(file.fid));
    } catch (error) {
      if (!(error instanceof CardError)) throw error;
      dg3 = {
        status: 'unavailable',
        reason:
          error.code === 'CARD_ACCESS_CONDITIONS'
            ? 'refused'
            : error.code === 'CARD_FILE_NOT_FOUND'
              ? 'absent'
              : error.code === 'CARD_DATA_DAMAGED'
                ? 'damaged'
                : 'session-lost',
        detail: error.message,
        ...(error.statusWord === undefined ? {} : { statusWord: error.statusWord }),
      };
    } finally {
      files[file.name] = monotonic() - at;
      dg3Apdus = reader.apduCount - before;
    }
  }
  const dg3Bytes = dataGroups.get(3);
  // Decoding the WSQ fingers is the station's work, not the chip's: outside DG3's read time.
  if (dg3Bytes !== undefined) dg3 = fingerprintsOf(dg3Bytes);
  if (dataGroups.has(3)) {
    const index = notRead.findIndex((n) => n.dataGroup === 3);
    if (index >= 0) notRead.splice(index, 1);
  }

  const paStarted = monotonic();
  const passiveAuthentication = await verifyPassiveAuthentication({
    sod,
    dataGroups,
    ...(options.trustStore === undefined ? {} : { trustStore: options.trustStore }),
    crypto: options.paCrypto,
    clock: options.clock,
  });
  const passiveAuthenticationMs = monotonic() - paStarted;

  const dg1Bytes = dataGroups.get(1);
  const dg1 = dg1Bytes === undefined ? undefined : decodeDg1(dg1Bytes);
  const dg2Bytes = dataGroups.get(2);
  const dg2 = dg2Bytes === undefined ? undefined : decodeDg2(dg2Bytes);
  let portrait: Portrait | undefined;
  if (dg2?.ok) {
    const face = dg2.value.instances[0]?.record.faces[0];
    if (face)
      portrait = {
        format: sniffImageFormat(face.image),
        image: face.image,
        width: face.width,
        height: face.height,
      };
  }
  return {
    accessMethod: methodName(opened),
    accessAttempts,
    cardAccess,
    com: com.value,
    dataGroups,
    sod,
    notRead,
    dg1: dg1?.ok ? dg1.value : undefined,
    dg1Error: dg1 && !dg1.ok ? dg1.error : undefined,
    portrait,
    portraitError: dg2 && !dg2.ok ? dg2.error : undefined,
    passiveAuthentication,
    chipAuthentication,
    activeAuthentication,
    terminalAuthentication: eac.status,
    dg3,
    chip: chipVerdict({ chipAuthentication, activeAuthentication, passiveAuthentication }),
    apdus: reader.apduCount,
    timings: {
      accessMs,
      files,
      chipAuthenticationMs,
      activeAuthenticationMs,
      terminalAuthenticationMs,
      passiveAuthenticationMs,
      totalMs: monotonic() - started,
    },
    eacApdus: { terminalAuthentication: taApdus, dg3: dg3Apdus },
  };
}

/**
 * Terminal Authentication, when it can run: EF.CVCA, the plan, the exchange. Says whether to read
 * DG3 and, if not, why. Never throws for the chip's answers; transport errors pass through.
 */
async function readFingerprints(
  reader: EmrtdReader,
  input: {
    readonly listed: boolean;
    readonly chipAuthentication: ChipProtocolStatus;
    readonly terminal?: TerminalCredentials;
    readonly crypto: Icao9303Crypto;
    /** YYYY-MM-DD by the station's clock. */
    readonly today: string;
  },
): Promise<{
  readonly status: TerminalAuthenticationStatus;
  readonly dg3: Dg3Outcome;
  readonly readDg3: boolean;
}> {
  const skip = (reason: Dg3UnavailableReason, detail: string, extra: { certificate?: string } = {}) => ({
    status: { status: 'not-run' as const, reason, detail, ...extra },
    dg3: { status: 'unavailable' as const, reason, detail, ...extra },
    readDg3: false,
  });
  if (!input.listed) return skip('not-on-chip', 'EF.COM does not list DG3: the card carries no fingerprints');
  const { terminal } = input;
  if (!terminal) return skip('no-credentials', 'this station holds no EAC terminal credentials');
  if (input.chipAuthentication.status !== 'passed' || !reader.terminalAuthenticationReady)
    return skip(
      'no-chip-authentication',
      `Terminal Authentication v1 follows a Chip Authentication that passed (${input.chipAuthentication.status})`,
    );
  let cars: string[];
  try {
    const bytes = await reader.readCvca();
    const decoded = bytes === undefined ? undefined : decodeEfCvca(bytes);
    if (!decoded?.ok)
      return skip(
        'no-cvca-file',
        decoded ? `EF.CVCA does not decode: ${decoded.error.detail}` : 'the chip has no EF.CVCA',
      );
    cars = decoded.value;
  } catch (error) {
    if (!(error instanceof CardError)) throw error;
    return skip('no-cvca-file', `EF.CVCA could not be read: ${error.message}`);
  }
  const plan = planTerminalAuthentication({
    certificates: terminal.certificates,
    chipCars: cars,
    today: input.today,
    crypto: input.crypto,
  });
  if (!plan.ok)
    return skip(
      plan.error.reason,
      plan.error.detail,
      plan.error.certificate === undefined ? {} : { certificate: plan.error.certificate },
    );
  let result: Awaited<ReturnType<EmrtdReader['terminalAuthenticate']>>;
  try {
    result = await reader.terminalAuthenticate(plan.value, terminal.signer);
  } catch (error) {
    if (!(error instanceof CardError)) throw error;
    const detail = `the secure session ended during Terminal Authentication: ${error.message}`;
    return {
      status: { status: 'failed', reason: 'session-lost', detail },
      dg3: {
        status: 'unavailable',
        reason: 'session-lost',
        detail,
        ...(error.statusWord === undefined ? {} : { statusWord: error.statusWord }),
      },
      readDg3: false,
    };
  }
  if (!result.ok) {
    const { reason, detail, step, statusWord, certificate } = result.error;
    const extra = {
      step,
      ...(statusWord === undefined ? {} : { statusWord }),
      ...(certificate === undefined ? {} : { certificate }),
    };
    return {
      status: { status: 'failed', reason, detail, ...extra },
      dg3: { status: 'unavailable', reason, detail, ...extra },
      readDg3: false,
    };
  }
  const rights = result.value.rights;
  const status: TerminalAuthenticationStatus = {
    status: 'passed',
    terminal: result.value.terminal,
    trustPoint: result.value.trustPoint,
    chain: plan.value.chain.map((c) => c.chr),
    rights: { dg3: (rights & IS_RIGHT.readDg3) !== 0, dg4: (rights & IS_RIGHT.readDg4) !== 0 },
  };
  if ((rights & IS_RIGHT.readDg3) === 0)
    return {
      status,
      dg3: {
        status: 'unavailable',
        reason: 'no-dg3-right',
        detail: `the certificates of ${result.value.terminal} do not grant reading DG3`,
        certificate: result.value.terminal,
      },
      readDg3: false,
    };
  return { status, dg3: { status: 'read', fingers: [] }, readDg3: true };
}

/** DG3's fingers with their pixels decoded (WSQ); the file's own decode error when it has one. */
function fingerprintsOf(bytes: Uint8Array): Dg3Outcome {
  const decoded = decodeDg3(bytes);
  if (!decoded.ok) return { status: 'read', fingers: [], error: decoded.error };
  const fingers = dg3Fingers(decoded.value).map((finger): ChipFinger => {
    const image = decodeFingerImage(finger);
    return {
      position: finger.position,
      width: finger.width,
      height: finger.height,
      ppi: finger.ppi,
      compression: finger.compression,
      quality: finger.quality,
      impressionType: finger.impressionType,
      data: finger.data,
      ...(image.ok ? { pixels: image.value.pixels } : { decodeError: image.error }),
    };
  });
  return { status: 'read', fingers };
}
