/**
 * `station card readers|read` and `station sim card`: chip-card readers through PC/SC, the notary's
 * card check from the command line, and a simulated CCCD in vsmartcard's vpcd reader so the real
 * pcscd path (and any PC/SC tool, opensc-tool included) can be tried without a card.
 *
 * `card read` prints JSON on stdout and one line summing up the verdict on stderr. It exits 0
 * whenever the chip was read, whatever the verdict (`genuine`, `valid`, `usable` carry it), unless
 * `--strict` asks for 1 when the card is not usable (not genuine or not valid), or a portrait that
 * failed its check was refused; 1 when the read failed (the typed error's code and what to do go
 * to stderr); 2 for a wrong command line.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadTrustStoreFolder } from '../../../drivers/crypto/pa-node.ts';
import { DeviceTimeoutError, DriverError } from '../../../drivers/errors.ts';
import { CardReaderDevice, type CardSession } from '../../../drivers/smartcard/card-reader.ts';
import { NativePcsc } from '../../../drivers/smartcard/native-pcsc.ts';
import type { PcscPort } from '../../../drivers/smartcard/port.ts';
import { compare, prepare } from '../../../protocol/fingerprint/match/index.ts';
import { scoreToFmr, thresholdForFmr } from '../../../protocol/fingerprint/match/thresholds.ts';
import { extractMinutiae } from '../../../protocol/fingerprint/ridges.ts';
import { CardError } from '../../../protocol/icao9303/errors.ts';
import type { ImageFormat } from '../../../protocol/icao9303/lds/face-record.ts';
import type { MrzError } from '../../../protocol/icao9303/mrz-info.ts';
import type { TrustStore } from '../../../protocol/icao9303/pa.ts';
import type { DocumentReport } from '../../../protocol/icao9303/read-document.ts';
import { describeTrustRefusal, type TrustStoreRefusal } from '../../../protocol/icao9303/trust-store.ts';
import { parseAtr } from '../../../protocol/iso7816/atr.ts';
import {
  CARD_SCENARIOS,
  type CardScenario,
  CccdCardSimulator,
} from '../../../simulators/card/cccd-card-sim.ts';
import { type Dg13Field, type PersonRecord, personMrz } from '../../../simulators/card/lds-builder.ts';
import { VpcdLink } from '../../../simulators/card/vpcd-link.ts';
import { sleep } from '../../../simulators/sleep.ts';
import {
  accessKey,
  type CardKey,
  cardKeyFromQr,
  defaultCan,
  FINGERPRINT_MESSAGES,
  isCan,
  readCard,
} from '../../cards/read-card.ts';
import {
  type LoadedTerminalCredentials,
  loadTerminalCredentials,
  TerminalCredentialsError,
} from '../../cards/terminal-credentials.ts';
import { VERIFY_FINGER_MESSAGES } from '../../cards/verify-finger.ts';
import { localToday } from '../../clock.ts';
import { KeyError } from '../../keys/errors.ts';
import {
  type CliIo,
  type Command,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  json,
  parse,
  positiveInteger,
  UsageError,
} from '../command.ts';
import { fmrOption, templateOf, templateOfImage } from './match.ts';
import { type CapturedImage, captureImage, isCaptureFailure } from './scanner.ts';

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
/** ms rounded to 0.1 ms, for the printed timings. */
const tenths = (ms: number) => Math.round(ms * 10) / 10;

/** How long `card read` waits for a card by default, ms. */
export const DEFAULT_CARD_WAIT_MS = 10_000;
/** vpcd's first slot ("Virtual PCD 00 00"); the second slot is the next port. */
export const VPCD_BASE_PORT = 35963;
/** Slots vsmartcard-vpcd 3.3 opens (VICC_MAX_SLOTS). */
const VPCD_SLOTS = 2;

// ---------------------------------------------------------------------------------------------
// What to do after a failed read, by error code (officer- and technician-facing)

const ADVICE: Readonly<Record<string, string>> = {
  CARD_ACCESS_DENIED:
    'check the numbers on the card (ID number, date of birth, date of expiry) and type them again',
  CARD_AUTHENTICATION_FAILED:
    'the chip did not prove it holds the key: check the numbers on the card; if they are right, the chip may not be genuine',
  CARD_REMOVED: 'the card was removed during the read; put it back and hold it still',
  CARD_SM_MAC_MISMATCH:
    'a protected answer from the chip failed its check, so nothing read can be trusted: read the card again; if it happens again, treat the chip as faulty or forged',
  CARD_SM_SESSION_DEAD: 'the secure session with the chip ended: read the card again',
  CARD_NOT_EMRTD: 'this card has no ID-document application: is it a chip ID card (CCCD) or a passport?',
  CARD_DATA_DAMAGED: 'read the card again; if it fails again, check the document by eye and report it',
  CARD_FILE_NOT_FOUND: 'read the card again; if it fails again, check the document by eye and report it',
  CARD_ACCESS_CONDITIONS: 'the chip refused a file this station needs; report the card',
  CARD_UNEXPECTED_STATUS: 'read the card again; if it fails again, report the card',
  DEVICE_TIMEOUT: 'the card stopped answering: hold it still on the reader and try again',
  DEVICE_BUSY: 'another application is using the card: close it (or wait) and try again',
  DEVICE_PROTOCOL: 'communication with the card failed: put it back on the reader and try again',
  DEVICE_DISCONNECTED: 'the reader went away: plug it in again and retry',
  DEVICE_REPORTED_ERROR: 'the reader reported an error: take the card off, put it back and try again',
};

/** "CODE: message\nwhat to do" for a typed failure; undefined for anything else. */
export function describeReadFailure(error: unknown): string | undefined {
  if (!(error instanceof CardError) && !(error instanceof DriverError)) return undefined;
  const advice = ADVICE[error.code];
  return `${error.code}: ${error.message}${advice === undefined ? '' : `\n${advice}`}\n`;
}

// ---------------------------------------------------------------------------------------------
// The access key from the command line

interface KeyOptions {
  readonly 'mrz-info'?: string | undefined;
  readonly id?: string | undefined;
  readonly dob?: string | undefined;
  readonly expiry?: string | undefined;
}

/** Which option an MRZ field came from, for usage messages. */
function optionOf(error: MrzError, fromMrzInfo: boolean): string {
  if (fromMrzInfo)
    return {
      documentNumber: '--mrz-info (document number)',
      dateOfBirth: '--mrz-info (date of birth)',
      dateOfExpiry: '--mrz-info (date of expiry)',
      id12: '--mrz-info',
      text: '--mrz-info',
    }[error.field];
  return {
    documentNumber: '--id',
    id12: '--id',
    dateOfBirth: '--dob',
    dateOfExpiry: '--expiry',
    text: '--id',
  }[error.field];
}

/**
 * The card key from `--mrz-info DOCNO,YYMMDD,YYMMDD` or `--id ID12 --dob YYMMDD --expiry YYMMDD`,
 * and its MRZ information for BAC.
 * @throws {UsageError} naming the option (and field) that is missing or malformed.
 */
export function keyFromOptions(values: KeyOptions): {
  readonly key: CardKey;
  readonly mrzInformation: string;
  readonly from: 'id12' | 'mrz-info';
} {
  const mrzInfo = values['mrz-info'];
  const cccd = [values.id, values.dob, values.expiry];
  let key: CardKey;
  if (mrzInfo !== undefined) {
    if (cccd.some((v) => v !== undefined))
      throw new UsageError('give either --mrz-info or --id with --dob and --expiry, not both');
    const parts = mrzInfo.split(',').map((p) => p.trim());
    const [documentNumber, dateOfBirth, dateOfExpiry] = parts;
    if (
      parts.length !== 3 ||
      documentNumber === undefined ||
      dateOfBirth === undefined ||
      dateOfExpiry === undefined
    )
      throw new UsageError(
        `--mrz-info takes DOCUMENT-NUMBER,YYMMDD,YYMMDD (number, date of birth, date of expiry); got '${mrzInfo}'`,
      );
    key = { documentNumber, dateOfBirth, dateOfExpiry };
  } else {
    if (cccd.every((v) => v === undefined))
      throw new UsageError(
        'the card key is required: --id ID12 --dob YYMMDD --expiry YYMMDD (CCCD), or --mrz-info DOCNO,YYMMDD,YYMMDD',
      );
    const [id12, dateOfBirth, dateOfExpiry] = cccd;
    if (id12 === undefined) throw new UsageError('--id is required with --dob and --expiry');
    if (dateOfBirth === undefined) throw new UsageError('--dob is required with --id');
    if (dateOfExpiry === undefined) throw new UsageError('--expiry is required with --id');
    key = { id12, dateOfBirth, dateOfExpiry };
  }
  const result = accessKey(key);
  if (!result.ok) {
    const { error } = result;
    const fromMrzInfo = mrzInfo !== undefined;
    const value =
      error.field === 'dateOfBirth'
        ? key.dateOfBirth
        : error.field === 'dateOfExpiry'
          ? key.dateOfExpiry
          : 'id12' in key
            ? key.id12
            : key.documentNumber;
    throw new UsageError(
      `${optionOf(error, fromMrzInfo)} '${value}' is not valid: ${error.detail} (${error.reason} at character ${error.position + 1})`,
    );
  }
  return { key, mrzInformation: result.value, from: mrzInfo === undefined ? 'id12' : 'mrz-info' };
}

// ---------------------------------------------------------------------------------------------
// station card readers | read

/** What the card commands need from the machine; tests give an in-process PC/SC. */
export interface CardCommandDeps {
  /** Opens PC/SC. @throws {DeviceUnavailableError} when pcscd is not running. */
  readonly openPort: () => Promise<PcscPort>;
  /** Wall clock, ms since the epoch (certificate validity). Default Date.now. */
  readonly now?: () => number;
}

const PORTRAIT_EXTENSION: Readonly<Record<ImageFormat, string>> = {
  jpeg: '.jpg',
  jp2: '.jp2',
  j2k: '.j2k',
  unknown: '.bin',
};

/** The requested photo path with the extension of the image's real format. */
export function photoPath(requested: string, format: ImageFormat): string {
  const ext = path.extname(requested);
  const fits = format === 'jpeg' ? ['.jpg', '.jpeg'] : [PORTRAIT_EXTENSION[format]];
  if (fits.includes(ext.toLowerCase())) return requested;
  const stem = ext === '' ? requested : requested.slice(0, -ext.length);
  return `${stem}${PORTRAIT_EXTENSION[format]}`;
}

interface LoadedTrust {
  readonly dir: string;
  readonly trustStore: TrustStore;
  /** CSCA certificates accepted into the store. */
  readonly certificates: number;
  /** Certificates, master lists and CRLs refused, with why (protocol/icao9303/trust-store.ts). */
  readonly refused: readonly TrustStoreRefusal[];
}

class CliFailure extends Error {
  override readonly name = 'CliFailure';
}

async function loadTrust(dir: string, now: () => number): Promise<LoadedTrust> {
  let loaded: Awaited<ReturnType<typeof loadTrustStoreFolder>>;
  try {
    loaded = await loadTrustStoreFolder(dir, { clock: { now } });
  } catch (error) {
    throw new CliFailure(
      `--trust ${dir}: cannot read the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const certificates = loaded.trustStore.cscaCertificates.length;
  if (certificates === 0)
    throw new CliFailure(
      `--trust ${dir}: no CSCA certificate in the folder (*.pem, *.crt, *.cer, *.der or a *.ml master list)${
        loaded.refused.length > 0 ? `; ${loaded.refused.map(describeTrustRefusal).join('; ')}` : ''
      }`,
    );
  return { dir, trustStore: loaded.trustStore, certificates, refused: loaded.refused };
}

/** The names of every reader the PC/SC service lists now. */
async function readerNames(openPort: () => Promise<PcscPort>): Promise<string[]> {
  const port = await openPort();
  try {
    return (await port.listReaders()).map((r) => r.name);
  } finally {
    await port.close();
  }
}

function readersCommand(deps: CardCommandDeps): Command {
  return {
    name: 'readers',
    summary: 'List the PC/SC readers, whether a card is in each, and its ATR',
    help: `Usage: station card readers

Lists the readers pcscd knows, each with its card (present/absent) and, for a card, its ATR (hex),
the protocols it offers and whether it announces extended-length APDUs. Exit 1 when pcscd is not
running.`,
    async run(args, io) {
      parse(args, {}, { min: 0, max: 0 });
      let port: PcscPort;
      try {
        port = await deps.openPort();
      } catch (error) {
        const text = describeReadFailure(error);
        if (text === undefined) throw error;
        io.stderr(text);
        return EXIT_FAILED;
      }
      try {
        const readers = (await port.listReaders()).map((r) => {
          if (r.card === 'absent') return { name: r.name, card: 'absent' as const };
          const atr = parseAtr(r.atr);
          return {
            name: r.name,
            card: 'present' as const,
            atr: toHex(r.atr),
            ...(atr.ok
              ? {
                  protocols: atr.value.protocols.map((t) => `T=${t}`),
                  extendedLength: atr.value.extendedLength,
                }
              : { atrProblem: atr.error.detail }),
          };
        });
        if (readers.length === 0) io.stderr('no PC/SC reader is connected\n');
        io.stdout(json({ readers }));
        return EXIT_OK;
      } finally {
        await port.close();
      }
    },
  };
}

const READ_HELP = `Usage: station card read --reader NAME (--id ID12 --dob YYMMDD --expiry YYMMDD | --qr TEXT [--expiry YYMMDD] | --mrz-info DOCNO,YYMMDD,YYMMDD) [--can NNNNNN] [options]

  --reader NAME       the reader, by name or name prefix (see 'station card readers')
  --id ID12           the 12-digit number printed on a CCCD, with
  --dob YYMMDD        the date of birth and
  --expiry YYMMDD     the date of expiry printed on the card
  --qr TEXT           instead of --id and --dob: the text of the card's QR code; the expiry is derived
                      from the birth and issue dates by the renewal ages unless --expiry is given
  --mrz-info D,B,E    instead of --id: a document number, date of birth and date of expiry (MRZ)
  --can NNNNNN        the card access number for PACE (default for a CCCD: the last 6 digits of the ID,
                      an unverified habit; PACE with the MRZ and BAC follow if the chip refuses it)
  --trust DIR         CSCA trust-store folder for Passive Authentication (*.pem, *.der, *.crl, *.ml);
                      certificate files are CSCAs trusted as placed, and the anchors a master list's
                      signer must chain to; what is refused is printed on stderr (docs/trust-store.md);
                      without it PA is 'not-checked': hashes and signature are checked, the issuer not
  --out-photo FILE    write the portrait there (the extension follows the image: .jpg or .jp2); a
                      portrait whose data group (DG2) failed its hash check is refused (exit 1)
  --allow-unverified-photo
                      write such a portrait anyway (stderr and "portrait.verified": false say so)
  --strict            exit 1 unless the card is usable: genuine (PA valid, no clone suspected) and
                      valid (in date on the station's calendar day, or without expiry)
  --short-apdus       short APDUs only, even when reader and card take extended ones
  --timeout-ms N      how long to wait for a card, ms (default ${DEFAULT_CARD_WAIT_MS})
  --terminal DIR      EAC terminal credentials (*.cvcert: CVCA, link, DV and terminal certificates;
                      terminal.key): run Terminal Authentication after Chip Authentication and read
                      the fingerprints (DG3); 'station sim card --export-trust DIR' writes DIR/eac
  --terminal-key LOC  the terminal key elsewhere: a PKCS#8 PEM file (mode 0600) or a pkcs11: URI

Waits for a card in the reader, opens it (PACE-CAN, then PACE-MRZ, then BAC), reads every data group it
may, checks the data (Passive Authentication) and the chip (Chip and Active Authentication) and prints
JSON: the holder (DG1 and the CCCD's DG13 fields), the personal-ID check, the access method and every
attempt, the verdict, the PA and chip verdicts with their reasons and the officer's messages
(Vietnamese and English), data groups read and not read, extended length used, timings (ms) and the
APDU count. The verdict:
  genuine              the chip and its data are authentic (PA valid and no clone suspected)
  valid                the card is in date on the station's calendar day (null: expiry unknown)
  usable               genuine and valid
  validity             { kind: in-date | no-expiry | expired | unknown, valid, dateOfExpiry, today,
                       from: dg1 | dg13, message: { vi, en } }
  accessKeyMismatches  each number given that differs from the chip's (DG1), typed vs chip: PACE with
                       the CAN opens the chip even when the date of birth or expiry was mistyped
  summary              { vi, en }: the line also printed on stderr, e.g.
                       "verdict: NOT USABLE: the chip and its data are genuine; EXPIRED after 2024-01-01"
  terminalAuthentication  { status: passed | failed | not-run, rights: { dg3, dg4 }, reason, ... }
  fingerprints         { status: read | unavailable, reason, message: { vi, en }, verified, fingers:
                       [{ position, width, height, ppi, compression, bytes, decoded }] }: without
                       --terminal, reason no-credentials; the message says what to do instead
Exit 0 when the card was read, whatever the verdict (1 with --strict when it is not usable, or when a
portrait was refused); 1 when the read failed (the error code and what to do on stderr, e.g.
CARD_ACCESS_DENIED: check the numbers on the card); 2 for a wrong command line.`;

function readCommand(deps: CardCommandDeps, variant: 'read' | 'verify-finger' = 'read'): Command {
  const verifying = variant === 'verify-finger';
  return {
    name: variant,
    summary: verifying
      ? "Read a card with EAC and compare a live fingerprint with the chip's (DG3)"
      : 'Read and check the chip of an ID card (PACE/BAC, data groups, Passive, Chip and Active Authentication)',
    help: verifying ? VERIFY_FINGER_HELP : READ_HELP,
    async run(args, io) {
      const { values } = parse(
        args,
        {
          reader: { type: 'string' },
          'mrz-info': { type: 'string' },
          id: { type: 'string' },
          dob: { type: 'string' },
          expiry: { type: 'string' },
          qr: { type: 'string' },
          can: { type: 'string' },
          trust: { type: 'string' },
          'out-photo': { type: 'string' },
          'short-apdus': { type: 'boolean', default: false },
          'timeout-ms': { type: 'string' },
          'allow-unverified-photo': { type: 'boolean', default: false },
          strict: { type: 'boolean', default: false },
          terminal: { type: 'string' },
          'terminal-key': { type: 'string' },
          ...(verifying
            ? {
                finger: { type: 'string' },
                scanner: { type: 'string' },
                url: { type: 'string' },
                standalone: { type: 'boolean', default: false },
                config: { type: 'string' },
                'finger-wait-ms': { type: 'string' },
                position: { type: 'string' },
                fmr: { type: 'string' },
              }
            : {}),
        },
        { min: 0, max: 0 },
      );
      let verify: VerifyFingerOptions | undefined;
      if (verifying) {
        const v = values as {
          finger?: string;
          scanner?: string;
          url?: string;
          standalone?: boolean;
          config?: string;
          'finger-wait-ms'?: string;
          position?: string;
          fmr?: string;
        };
        if ((v.finger === undefined) === (v.scanner === undefined))
          throw new UsageError(
            'give the live finger with --finger FILE (PNG, PGM, WSQ or TIFF at 500 ppi) or capture it with --scanner ID|any, not both',
          );
        if (v.scanner === undefined && (v.url !== undefined || v.standalone || v.config !== undefined))
          throw new UsageError(
            '--url, --standalone and --config choose where --scanner captures: give --scanner',
          );
        if (values.terminal === undefined)
          throw new UsageError("--terminal DIR is required: the chip's fingerprints need EAC (docs/eac.md)");
        const position = v.position === undefined ? undefined : positiveInteger('position', v.position);
        if (position !== undefined && position > 10) throw new UsageError('--position is a finger 1-10');
        const fingerWaitMs = positiveInteger('finger-wait-ms', v['finger-wait-ms']) ?? DEFAULT_FINGER_WAIT_MS;
        if (fingerWaitMs > 600_000) throw new UsageError('--finger-wait-ms is at most 600000 (10 minutes)');
        verify = {
          live:
            v.scanner === undefined
              ? { file: path.resolve(io.cwd, v.finger ?? '') }
              : {
                  scanner: v.scanner,
                  capture: () =>
                    captureImage(io, {
                      url: v.url,
                      standalone: v.standalone ?? false,
                      config: v.config === undefined ? undefined : path.resolve(io.cwd, v.config),
                      scanner: v.scanner === 'any' ? undefined : v.scanner,
                      mode: 'flat-single',
                      timeoutMs: fingerWaitMs,
                    }),
                },
          position,
          fmr: fmrOption(v.fmr),
        };
      }
      if (values['terminal-key'] !== undefined && values.terminal === undefined)
        throw new UsageError('--terminal-key needs --terminal DIR (the certificates it signs for)');
      const prefix = values.reader;
      if (prefix === undefined || prefix === '')
        throw new UsageError("--reader is required (a reader name or prefix; see 'station card readers')");
      let qr: ReturnType<typeof cardKeyFromQr> | undefined;
      let keyValues: KeyOptions = values;
      if (values.qr !== undefined) {
        if (values.id !== undefined || values.dob !== undefined || values['mrz-info'] !== undefined)
          throw new UsageError(
            '--qr gives the ID and the date of birth: do not also give --id, --dob or --mrz-info',
          );
        qr = cardKeyFromQr(values.qr, {
          today: localToday((deps.now ?? Date.now)()),
          ...(values.expiry === undefined ? {} : { dateOfExpiry: values.expiry }),
        });
        if (!qr.ok) {
          io.stderr(`${qr.code}: ${qr.message.en}\n${qr.message.vi}\n`);
          for (const e of qr.qr.errors) io.stderr(`  ${e.field}: ${e.code}: ${e.message.en}\n`);
          return qr.code === 'EXPIRY_UNKNOWN' ? EXIT_USAGE : EXIT_FAILED;
        }
        keyValues = { id: qr.key.id12, dob: qr.key.dateOfBirth, expiry: qr.key.dateOfExpiry };
      }
      const access = keyFromOptions(keyValues);
      if (values.can !== undefined && !isCan(values.can))
        throw new UsageError(`--can '${values.can}' is not 6 digits`);
      const can = values.can ?? defaultCan(access.key);
      const waitMs = positiveInteger('timeout-ms', values['timeout-ms']) ?? DEFAULT_CARD_WAIT_MS;
      const photo = values['out-photo'] === undefined ? undefined : path.resolve(io.cwd, values['out-photo']);

      let terminal: LoadedTerminalCredentials | undefined;
      try {
        const trust =
          values.trust === undefined
            ? undefined
            : await loadTrust(path.resolve(io.cwd, values.trust), deps.now ?? Date.now);
        for (const refusal of trust?.refused ?? []) io.stderr(`--trust: ${describeTrustRefusal(refusal)}\n`);
        terminal =
          values.terminal === undefined
            ? undefined
            : await loadTerminal(path.resolve(io.cwd, values.terminal), values['terminal-key'], io.cwd);
        for (const skipped of terminal?.skipped ?? [])
          io.stderr(`--terminal: skipped ${skipped.file}: ${skipped.reason}\n`);
        return await readWithReader(deps, io, {
          prefix,
          waitMs,
          key: access.key,
          mrzInformation: access.mrzInformation,
          can,
          keyFrom: qr?.ok ? 'qr' : access.from,
          qr: qr?.ok
            ? { errors: qr.qr.errors, expiryFrom: qr.expiryFrom, expiry: qr.expiry ?? null }
            : undefined,
          trust,
          photo,
          allowUnverifiedPhoto: values['allow-unverified-photo'],
          strict: values.strict,
          shortApdusOnly: values['short-apdus'],
          terminal,
          verify,
        });
      } catch (error) {
        if (error instanceof CliFailure) {
          io.stderr(`${error.message}\n`);
          return EXIT_FAILED;
        }
        if (error instanceof TerminalCredentialsError || error instanceof KeyError) {
          io.stderr(`${error.code}: --terminal: ${error.message}\n`);
          return EXIT_FAILED;
        }
        const text = describeReadFailure(error);
        if (text === undefined) throw error;
        io.stderr(text);
        return EXIT_FAILED;
      } finally {
        await terminal?.close();
      }
    },
  };
}

/** The EAC credentials of --terminal, the key from --terminal-key when given (relative to `cwd`). */
async function loadTerminal(
  dir: string,
  keyLocation: string | undefined,
  cwd: string,
): Promise<LoadedTerminalCredentials> {
  const location =
    keyLocation === undefined || keyLocation.startsWith('pkcs11:')
      ? keyLocation
      : path.resolve(cwd, keyLocation);
  return loadTerminalCredentials(dir, location === undefined ? {} : { keyLocation: location });
}

async function readWithReader(
  deps: CardCommandDeps,
  io: Parameters<NonNullable<Command['run']>>[1],
  options: {
    readonly prefix: string;
    readonly waitMs: number;
    readonly key: CardKey;
    readonly mrzInformation: string;
    readonly can: string | undefined;
    readonly keyFrom: 'id12' | 'mrz-info' | 'qr';
    readonly qr: unknown;
    readonly trust: LoadedTrust | undefined;
    readonly photo: string | undefined;
    readonly allowUnverifiedPhoto: boolean;
    readonly strict: boolean;
    readonly shortApdusOnly: boolean;
    readonly terminal: LoadedTerminalCredentials | undefined;
    readonly verify?: VerifyFingerOptions | undefined;
  },
): Promise<number> {
  const device = new CardReaderDevice({
    id: 'cli',
    mode: 'hardware',
    openPort: deps.openPort,
    reader: options.prefix,
  });
  await device.open();
  let session: CardSession | undefined;
  try {
    const state = device.state();
    // open() never rejects: PC/SC failing to open (pcscd not running) is the error state.
    if (state.status === 'error') throw new CliFailure(`${state.code}: ${state.message}`);
    if (state.status !== 'ready') {
      const names = await readerNames(deps.openPort).catch(() => []);
      throw new CliFailure(
        `no reader whose name starts with '${options.prefix}'; readers: ${
          names.length === 0 ? 'none connected' : names.map((n) => `'${n}'`).join(', ')
        }`,
      );
    }
    const started = performance.now();
    if (!device.readers().some((r) => r.status === 'card'))
      io.stderr(`waiting up to ${options.waitMs} ms for a card in ${options.prefix}…\n`);
    let found: Awaited<ReturnType<CardReaderDevice['waitForCard']>>;
    try {
      found = await device.waitForCard({ timeoutMs: options.waitMs });
    } catch (error) {
      if (error instanceof DeviceTimeoutError)
        throw new CliFailure(
          `no card in ${options.prefix} within ${options.waitMs} ms: put the card on the reader (or use --timeout-ms)`,
        );
      throw error;
    }
    const waitMs = performance.now() - started;
    const connecting = performance.now();
    session = await device.connect(found.name);
    const connectMs = performance.now() - connecting;
    const { check, report } = await readCard(session, {
      key: options.key,
      mrzInformation: options.mrzInformation,
      ...(options.can === undefined ? {} : { can: options.can }),
      now: deps.now ?? Date.now,
      ...(options.trust === undefined ? {} : { trustStore: options.trust.trustStore }),
      ...(options.shortApdusOnly ? { shortApdusOnly: true } : {}),
      ...(options.terminal === undefined ? {} : { terminal: options.terminal.credentials }),
    });
    const atr = toHex(session.atr);
    await session.close();
    session = undefined;

    let photoFile: string | undefined;
    let photoRefused = false;
    // The portrait is only the holder's when its data group matches the signed hash (PA).
    const dg2 = check.passiveAuthentication.dataGroups.find((d) => d.dataGroup === 2)?.status ?? 'not-read';
    const photoVerified = dg2 === 'match';
    if (options.photo !== undefined) {
      if (report.portrait && !photoVerified && !options.allowUnverifiedPhoto) {
        photoRefused = true;
        io.stderr(
          `PORTRAIT_UNVERIFIED: the portrait's data group (DG2) failed its check (${dg2}): nothing written to ${options.photo}; it may not be the holder's. --allow-unverified-photo writes it anyway\n`,
        );
      } else if (report.portrait) {
        if (!photoVerified)
          io.stderr(
            `the portrait's data group (DG2) failed its check (${dg2}); written anyway (--allow-unverified-photo): do not use it to identify the holder\n`,
          );
        photoFile = photoPath(options.photo, report.portrait.format);
        if (photoFile !== options.photo)
          io.stderr(`the portrait is ${report.portrait.format}: written to ${photoFile}\n`);
        await mkdir(path.dirname(photoFile), { recursive: true });
        await writeFile(photoFile, report.portrait.image);
      } else io.stderr(`the chip gave no readable portrait: nothing written to ${options.photo}\n`);
    }
    const fingerprint =
      options.verify === undefined ? undefined : await verifyFinger(options.verify, report, io);
    const pa = check.passiveAuthentication;
    io.stdout(
      json({
        ...(fingerprint === undefined ? {} : { fingerprint }),
        reader: check.reader,
        atr,
        genuine: check.genuine,
        valid: check.valid,
        usable: check.usable,
        validity: check.validity,
        accessKeyMismatches: check.accessKeyMismatches ?? null,
        summary: check.summary,
        holder: check.holder ?? null,
        ...(report.dg1Error ? { holderError: report.dg1Error } : {}),
        dg13: check.dg13 ?? null,
        personalId: check.personalId ?? null,
        ...(options.qr === undefined ? {} : { qr: options.qr }),
        accessMethod: check.accessMethod,
        accessAttempts: check.accessAttempts,
        accessKey: options.keyFrom,
        accessKeyMatchesChip: check.accessKeyMatchesChip ?? null,
        chip: check.chip,
        passiveAuthentication: {
          ...pa,
          trustStore:
            options.trust === undefined
              ? null
              : {
                  dir: options.trust.dir,
                  certificates: options.trust.certificates,
                  refused: options.trust.refused.length,
                },
          ...(options.trust === undefined
            ? {
                note: 'no --trust folder: the issuer (CSCA) was not checked, so the card cannot be called genuine',
              }
            : {}),
        },
        dataGroupsRead: check.dataGroupsRead,
        notRead: check.notRead,
        terminalAuthentication: check.terminalAuthentication,
        fingerprints: {
          ...check.fingerprints,
          terminalCredentials:
            options.terminal === undefined
              ? null
              : {
                  dir: options.terminal.dir,
                  key: options.terminal.keyLocation,
                  certificates: options.terminal.certificates,
                },
        },
        extendedLength: check.extendedLength,
        portrait: check.portrait
          ? { ...check.portrait, verified: photoVerified, file: photoFile ?? null }
          : null,
        ...(report.portraitError ? { portraitError: report.portraitError } : {}),
        apdus: check.apdus,
        timings: {
          waitForCardMs: tenths(waitMs),
          connectMs: tenths(connectMs),
          accessMs: tenths(check.timings.accessMs),
          files: Object.fromEntries(Object.entries(check.timings.files).map(([f, t]) => [f, tenths(t)])),
          chipAuthenticationMs: tenths(check.timings.chipAuthenticationMs),
          activeAuthenticationMs: tenths(check.timings.activeAuthenticationMs),
          terminalAuthenticationMs: tenths(check.timings.terminalAuthenticationMs),
          passiveAuthenticationMs: tenths(check.timings.passiveAuthenticationMs),
          totalMs: tenths(check.timings.totalMs),
        },
        eacApdus: report.eacApdus,
      }),
    );
    io.stderr(`verdict: ${check.summary.en}\n`);
    if (fingerprint !== undefined) {
      io.stderr(`fingerprint: ${fingerprint.decision}: ${fingerprint.message.en}\n`);
      return fingerprint.decision === 'match' ? EXIT_OK : EXIT_FAILED;
    }
    if (photoRefused) return EXIT_FAILED;
    return options.strict && !check.usable ? EXIT_FAILED : EXIT_OK;
  } finally {
    await session?.close().catch(() => undefined);
    await device.close();
  }
}

/** How long `--scanner` waits for the finger on the glass by default. */
const DEFAULT_FINGER_WAIT_MS = 30_000;

interface VerifyFingerOptions {
  /** The live finger: an image file, or a capture from a scanner once the card is read. */
  readonly live:
    | { readonly file: string }
    | { readonly scanner: string; readonly capture: () => Promise<CapturedImage> };
  /** The chip finger to compare with; default the first DG3 holds. */
  readonly position: number | undefined;
  readonly fmr: number;
}

/** The live finger against the chip's (in this process: a command line, not the service). */
async function verifyFinger(options: VerifyFingerOptions, report: DocumentReport, io: CliIo) {
  const decisionFmr = options.fmr;
  const dg3 = report.dg3;
  if (dg3.status !== 'read')
    return {
      decision: 'unavailable' as const,
      reason: dg3.reason,
      detail: dg3.detail,
      message: FINGERPRINT_MESSAGES[dg3.reason],
      decisionFmr,
    };
  const chip = dg3.fingers.find(
    (f) => f.pixels !== undefined && (options.position === undefined || f.position === options.position),
  );
  if (chip?.pixels === undefined)
    return {
      decision: 'unavailable' as const,
      reason: 'finger-not-on-chip',
      detail: `the chip holds fingers ${dg3.fingers.map((f) => f.position).join(', ')}`,
      message: VERIFY_FINGER_MESSAGES['cannot-compare'],
      decisionFmr,
    };
  let live: Awaited<ReturnType<typeof templateOf>>;
  if ('file' in options.live) live = await templateOf(options.live.file);
  else {
    const where = options.live.scanner === 'any' ? 'the scanner' : `scanner ${options.live.scanner}`;
    io.stderr(`card read; place finger ${chip.position} flat on ${where}\n`);
    let captured: CapturedImage;
    try {
      captured = await options.live.capture();
    } catch (error) {
      if (!isCaptureFailure(error)) throw error;
      return {
        decision: 'unavailable' as const,
        reason: 'live-capture-failed',
        detail: error.message,
        message: VERIFY_FINGER_MESSAGES['cannot-compare'],
        decisionFmr,
      };
    }
    live = templateOfImage(captured.image, captured.metadata.ppi, `the live finger from ${captured.scanner}`);
  }
  const chipPrepared = prepare({
    width: chip.width,
    height: chip.height,
    ppi: chip.ppi,
    ...(() => {
      const extracted = extractMinutiae(
        { width: chip.width, height: chip.height, pixels: chip.pixels },
        { profile: 'template' },
      );
      return { minutiae: extracted.minutiae, foreground: extracted.mask };
    })(),
  });
  if (!live.ok || !chipPrepared.ok)
    return {
      decision: 'cannot-compare' as const,
      finger: chip.position,
      image: !live.ok ? 'live' : 'chip',
      detail: !live.ok ? live.error.message : chipPrepared.ok ? '' : chipPrepared.error.detail,
      message: VERIFY_FINGER_MESSAGES['cannot-compare'],
      decisionFmr,
    };
  const threshold = thresholdForFmr(decisionFmr);
  const compared = compare(live.template, chipPrepared.value);
  const decision = compared.score >= threshold ? ('match' as const) : ('no-match' as const);
  return {
    decision,
    finger: chip.position,
    score: compared.score,
    scoreFmr: scoreToFmr(compared.score),
    decisionFmr,
    threshold,
    pairedMinutiae: compared.pairs.length,
    message: VERIFY_FINGER_MESSAGES[decision],
  };
}

const VERIFY_FINGER_HELP = `Usage: station card verify-finger --reader NAME --terminal DIR (--finger FILE | --scanner ID|any)
                                 (--id N --dob YYMMDD --expiry YYMMDD | --qr TEXT | --mrz-info ...)
                                 [--position 1-10] [--fmr 0.0001] [--trust DIR] [--can NNNNNN]

Reads the card as 'station card read' does, with Terminal Authentication (--terminal, docs/eac.md),
then compares the live finger with the chip's finger at --position (default: the first DG3 holds;
the CCCD's are 2 right index and 7 left index). The live finger is either
  --finger FILE         an image (PNG, PGM, WSQ or TIFF at 500 ppi), or
  --scanner ID|any      captured flat once the card is read, from the running station's scanner
                        (--url URL, default as 'station scanner capture' finds it) or, with
                        --standalone [--config FILE], from the configured scanners opened here;
                        'any' takes the first ready one; --finger-wait-ms (default 30000) is how
                        long it waits for the finger.

Prints the read's JSON with a "fingerprint" field first: decision match | no-match | cannot-compare
| unavailable (DG3 not read, or the capture failed, and why), the score, the FMR it stands for, the
decision's FMR (--fmr, default 1 in 10,000) and threshold, the paired minutiae. Exit 0 on a match,
1 otherwise (the card read, the capture or the comparison failed, or no match), 2 for a wrong
command line.`;

const nativeDeps: CardCommandDeps = { openPort: () => NativePcsc.open() };

/** The `card` command group on the given PC/SC (default: pcscd through pcsclite). */
export function createCardCommand(deps: CardCommandDeps = nativeDeps): Command {
  return {
    name: 'card',
    summary: 'Chip-card readers and ID cards: list readers, read and check a card',
    help: `Usage: station card <readers|read|verify-finger> ...

Uses the PC/SC readers through pcscd (start it with 'sudo pcscd'; 'station sim card' puts a
simulated CCCD in vsmartcard's virtual reader).`,
    subcommands: [readersCommand(deps), readCommand(deps), readCommand(deps, 'verify-finger')],
  };
}

export const cardCommand: Command = createCardCommand();

// ---------------------------------------------------------------------------------------------
// station sim card

/** A person file that cannot be used; the message says which field and why. */
export class PersonFileError extends Error {
  override readonly name = 'PersonFileError';
}

/** Largest person file read, bytes (a record is well under 2 KB). */
const MAX_PERSON_BYTES = 64 * 1024;

const PERSON_KEYS = [
  'id12',
  'surname',
  'givenNames',
  'sex',
  'dateOfBirth',
  'dateOfExpiry',
  'nationality',
  'issuingState',
  'dg13',
] as const;

function isoDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/**
 * Checks a parsed person record (simulators/card/lds-builder.ts PersonRecord; `dg13` may be left
 * out). Returns the record, or every problem found as `field: what is wrong`.
 */
export function validatePerson(
  value: unknown,
): { ok: true; value: PersonRecord } | { ok: false; problems: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problems: ['the file must hold one JSON object (a person record)'] };
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(record))
    if (!(PERSON_KEYS as readonly string[]).includes(key))
      problems.push(`${key}: unknown field; allowed: ${PERSON_KEYS.join(', ')}`);
  if (typeof record.id12 !== 'string' || !/^\d{12}$/.test(record.id12))
    problems.push(`id12: must be the 12-digit citizen ID as a string (got ${JSON.stringify(record.id12)})`);
  for (const key of ['surname', 'givenNames'] as const)
    if (typeof record[key] !== 'string' || (record[key] as string).trim() === '')
      problems.push(`${key}: must be a non-empty string`);
  if (record.sex !== 'M' && record.sex !== 'F')
    problems.push(`sex: must be "M" or "F" (got ${JSON.stringify(record.sex)})`);
  for (const key of ['dateOfBirth', 'dateOfExpiry'] as const)
    if (!isoDate(record[key]))
      problems.push(`${key}: must be a real date as YYYY-MM-DD (got ${JSON.stringify(record[key])})`);
  for (const key of ['nationality', 'issuingState'] as const)
    if (record[key] !== undefined && (typeof record[key] !== 'string' || !/^[A-Z<]{3}$/.test(record[key])))
      problems.push(
        `${key}: must be a 3-letter ICAO code such as "VNM" (got ${JSON.stringify(record[key])})`,
      );
  const dg13 = record.dg13 ?? [];
  if (!Array.isArray(dg13))
    problems.push('dg13: must be a list of { "fieldNo": 1-255, "value": string or [strings] }');
  else
    dg13.forEach((field: unknown, i) => {
      const f = field as Partial<Record<'fieldNo' | 'value', unknown>> | null;
      const valueOk =
        typeof f?.value === 'string' ||
        (Array.isArray(f?.value) && f.value.every((v) => typeof v === 'string'));
      if (
        typeof f !== 'object' ||
        f === null ||
        !Number.isInteger(f.fieldNo) ||
        (f.fieldNo as number) < 1 ||
        (f.fieldNo as number) > 255 ||
        !valueOk
      )
        problems.push(`dg13[${i}]: must be { "fieldNo": 1-255, "value": string or [strings] }`);
    });
  if (problems.length > 0) return { ok: false, problems };
  const person = { ...record, dg13: dg13 as Dg13Field[] } as unknown as PersonRecord;
  try {
    // The MRZ the chip's DG1 will hold: names and dates must fit it.
    personMrz(person);
  } catch (error) {
    return { ok: false, problems: [`the record does not make a CCCD MRZ: ${(error as Error).message}`] };
  }
  return { ok: true, value: person };
}

/**
 * Reads and checks a person file.
 * @throws {PersonFileError} when it cannot be read, is not JSON or is not a valid person record.
 */
export function loadPersonFile(file: string): PersonRecord {
  let text: string;
  try {
    if (statSync(file).size > MAX_PERSON_BYTES)
      throw new PersonFileError(`${file}: larger than ${MAX_PERSON_BYTES} bytes; not a person record`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof PersonFileError) throw error;
    throw new PersonFileError(
      `${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PersonFileError(`${file}: not JSON (${(error as Error).message})`);
  }
  const checked = validatePerson(parsed);
  if (!checked.ok)
    throw new PersonFileError(`${file}: not a valid person record:\n  ${checked.problems.join('\n  ')}`);
  return checked.value;
}

/** The vpcd reader name pcscd gives the slot behind `port`, when it is a default vpcd slot. */
export function vpcdReaderName(port: number): string | null {
  const slot = port - VPCD_BASE_PORT;
  return slot >= 0 && slot < VPCD_SLOTS
    ? `Virtual PCD 00 ${slot.toString(16).toUpperCase().padStart(2, '0')}`
    : null;
}

/** The line `station sim card` prints once its card is in the reader. */
export interface SimCardInfo {
  readonly port: number;
  /** The reader pcscd shows the card in; null for a port that is not one of vpcd's default slots. */
  readonly readerName: string | null;
  readonly id12: string;
  /** YYMMDD. */
  readonly dateOfBirth: string;
  /** YYMMDD. */
  readonly dateOfExpiry: string;
  readonly mrzInformation: string;
  /** The card access number the simulated chip takes (for PACE-CAN). */
  readonly can: string;
  readonly scenario: string;
  /** The exported trust-store folder, or null. */
  readonly trustStore: string | null;
  /** The exported EAC terminal credentials (for `card read --terminal`), or null. */
  readonly terminalCredentials: string | null;
  /** The fingerprint person seed of DG3's fingers: set the simulated scanner to it for the holder. */
  readonly fingerprintSeed: number;
}

export interface RunSimCardOptions {
  readonly simulator: CccdCardSimulator;
  /** vpcd's port: 35963 for "Virtual PCD 00 00", 35964 for "... 00 01". Default 35963. */
  readonly port?: number;
  /** Where pcscd runs. Default 127.0.0.1. */
  readonly host?: string;
  /**
   * Write the simulator's CSCA certificate into this folder (a trust store for `card read`), and
   * its EAC terminal credentials into `<folder>/eac` (for `card read --terminal`).
   */
  readonly exportTrust?: string;
  /** Ends the run: the card is removed and the promise resolves. */
  readonly signal: AbortSignal;
  /** Called once, when the first card is in the reader. */
  readonly onReady: (info: SimCardInfo) => void;
  /** Progress for a human (card pulled, put back). */
  readonly log?: (message: string) => void;
  /** Pause before a card that left the reader (pulled mid-read, dropped by vpcd) is put back, ms. Default 1000. */
  readonly reinsertMs?: number;
  /** Longest wait for vpcd to take the card, ms. Default 10000. */
  readonly insertTimeoutMs?: number;
}

/**
 * Keeps a simulated CCCD in a vpcd reader until `signal` fires, then removes it. A card that leaves
 * on its own (the card-pulled-mid-read scenario, vpcd dropping it) is replaced by a fresh one after
 * `reinsertMs`, as an officer would put it back.
 * @throws {DeviceUnavailableError} when vpcd does not take the card (pcscd or vsmartcard-vpcd missing).
 * @throws {RangeError} when the simulator's person record does not make a card.
 */
export async function runSimCard(options: RunSimCardOptions): Promise<void> {
  const { simulator, signal } = options;
  const port = options.port ?? VPCD_BASE_PORT;
  const log = options.log ?? (() => undefined);
  const access = simulator.access();
  simulator.lds(); // builds the chip's files now, so a bad record fails before the card goes in
  let trustStore: string | null = null;
  let terminalCredentials: string | null = null;
  if (options.exportTrust !== undefined) {
    terminalCredentials = await simulator.exportTrust(options.exportTrust);
    trustStore = options.exportTrust;
  }
  const readerName = vpcdReaderName(port);
  const where = readerName ?? `vpcd port ${port}`;
  let announced = false;
  while (!signal.aborted) {
    const link = new VpcdLink({
      ...simulator.card(),
      port,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.insertTimeoutMs === undefined ? {} : { insertTimeoutMs: options.insertTimeoutMs }),
      onError: (error) => log(`vpcd link: ${error.message}`),
    });
    const onAbort = () => void link.remove();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await link.insert();
      if (!announced) {
        announced = true;
        options.onReady({
          port,
          readerName,
          ...access,
          scenario: simulator.scenario(),
          trustStore,
          terminalCredentials,
          fingerprintSeed: simulator.fingerprintSeed,
        });
      } else log(`the card is back in ${where}`);
      await link.whenRemoved();
    } catch (error) {
      if (signal.aborted) break;
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) break;
    const pause = options.reinsertMs ?? 1000;
    log(`the card left ${where}; a fresh one goes back in ${pause} ms`);
    await sleep(pause, signal).catch(() => undefined);
  }
}

const SIM_CARD_HELP = `Usage: station sim card [--scenario NAME] [--person FILE.json] [--port ${VPCD_BASE_PORT}] [--host HOST] [--export-trust DIR]

  --scenario NAME     how the card behaves (default valid):
${scenarioLines(CARD_SCENARIOS, 22, 100)}
  --person FILE       the card holder as JSON: { "id12", "surname", "givenNames", "sex": "M"|"F",
                      "dateOfBirth": "YYYY-MM-DD", "dateOfExpiry": "YYYY-MM-DD", "nationality"?,
                      "issuingState"?, "dg13"?: [{ "fieldNo", "value" }] } (default: a sample citizen)
  --port N            vpcd's port: ${VPCD_BASE_PORT} is reader 'Virtual PCD 00 00', ${VPCD_BASE_PORT + 1} is 'Virtual PCD 00 01'
  --host HOST         where pcscd with vsmartcard-vpcd runs (default 127.0.0.1)
  --export-trust DIR  write the simulator's CSCA certificate there, for 'station card read --trust DIR',
                      and its EAC terminal credentials (CVCA, link, DV and terminal certificates,
                      terminal.key) into DIR/eac, for 'station card read --terminal DIR/eac'; the
                      ta-expired-terminal and ta-no-dg3-right scenarios export their own terminal
                      certificate

Puts a simulated CCCD chip (PACE and BAC, secure messaging, signed data groups, Chip and Active
Authentication, fingerprints in DG3 behind Terminal Authentication) into vsmartcard's virtual reader
and keeps it there until SIGINT or SIGTERM, then removes it and exits 0. The scenario applies from the
first card. Once the card is in, prints one JSON line: port, readerName, id12, dateOfBirth,
dateOfExpiry (YYMMDD), mrzInformation, can, scenario, trustStore, terminalCredentials and
fingerprintSeed (the scanner's person seed for the holder's fingers). A card that leaves the reader is put back after 1 s; card-pulled-mid-read pulls only
once, so the read retried after it succeeds.
The CSCA is made fresh at each start: export it again after a restart. Needs pcscd with
vsmartcard-vpcd (bash scripts/setup-system.sh --test).`;

/** Names joined by ', ' in lines indented by `indent` spaces, at most `width` characters each. */
function scenarioLines(names: readonly string[], indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const [i, name] of names.entries()) {
    const item = i < names.length - 1 ? `${name},` : name;
    if (line !== '' && indent + line.length + 1 + item.length > width) {
      lines.push(line);
      line = item;
    } else line = line === '' ? item : `${line} ${item}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => `${' '.repeat(indent)}${l}`).join('\n');
}

export const simCardCommand: Command = {
  name: 'card',
  summary: "Put a simulated CCCD into vpcd's virtual reader until stopped",
  help: SIM_CARD_HELP,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        scenario: { type: 'string', default: 'valid' },
        person: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'export-trust': { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    const scenario = values.scenario;
    if (!(CARD_SCENARIOS as readonly string[]).includes(scenario))
      throw new UsageError(`--scenario must be one of: ${CARD_SCENARIOS.join(', ')}; got '${scenario}'`);
    const port = positiveInteger('port', values.port) ?? VPCD_BASE_PORT;
    if (port > 65535) throw new UsageError(`--port must be a TCP port (1-65535), got ${port}`);
    let person: PersonRecord | undefined;
    if (values.person !== undefined) {
      try {
        person = loadPersonFile(path.resolve(io.cwd, values.person));
      } catch (error) {
        if (!(error instanceof PersonFileError)) throw error;
        io.stderr(`${error.message}\n`);
        return EXIT_FAILED;
      }
    }
    const simulator = await CccdCardSimulator.create({
      scenario: scenario as CardScenario,
      ...(person === undefined ? {} : { person }),
    });
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await runSimCard({
        simulator,
        port,
        ...(values.host === undefined ? {} : { host: values.host }),
        ...(values['export-trust'] === undefined
          ? {}
          : { exportTrust: path.resolve(io.cwd, values['export-trust']) }),
        signal: controller.signal,
        onReady: (info) => io.stdout(`${JSON.stringify(info)}\n`),
        log: (message) => io.stderr(`${message}\n`),
      });
    } catch (error) {
      if (!(error instanceof DriverError)) throw error;
      io.stderr(`${error.code}: ${error.message}\n`);
      return EXIT_FAILED;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    io.stderr('the card was removed; simulator stopped\n');
    return EXIT_OK;
  },
};
