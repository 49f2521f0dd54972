/**
 * The notary's card check: read a chip ID card in a reader session and report what an officer and
 * an audit need, as plain JSON-able data: who the card says (DG1, and the CCCD's DG13), how it was
 * opened (PACE-CAN, PACE-MRZ, BAC, every attempt), whether the chip's data is genuine (Passive
 * Authentication) and whether the chip itself is (Chip and Active Authentication), each with the
 * reason in Vietnamese and English, the personal-ID check, the portrait, timings and APDU count.
 * With the station's EAC terminal credentials (terminal-credentials.ts) it also runs Terminal
 * Authentication and reads the fingerprints (DG3); when they cannot be read the officer is told
 * why and what to fall back to (the face check, or a fingerprint check by the central service).
 */

import { createNodeAaCrypto } from '../../drivers/crypto/aa-node.ts';
import { nodeIcao9303Crypto } from '../../drivers/crypto/node-crypto.ts';
import { createNodePaCrypto } from '../../drivers/crypto/pa-node.ts';
import type { CardSession } from '../../drivers/smartcard/card-reader.ts';
import { isoToYymmdd } from '../../protocol/cccd/date.ts';
import { type Dg13, decodeDg13 } from '../../protocol/cccd/dg13.ts';
import { type CardExpiry, deriveCardExpiry, expiryYymmdd } from '../../protocol/cccd/expiry.ts';
import { type PersonalIdCheck, validatePersonalId } from '../../protocol/cccd/personal-id.ts';
import { type CccdQr, parseCccdQr } from '../../protocol/cccd/qr.ts';
import type { OfficerMessage } from '../../protocol/cccd/text.ts';
import { chipValidity, type DocumentValidity } from '../../protocol/cccd/validity.ts';
import { CHIP_VERDICT_MESSAGES, type ChipVerdict } from '../../protocol/icao9303/chip-verdict.ts';
import {
  cccdDocumentNumber,
  cccdMrzInformation,
  type MrzResult,
  mrzInformation,
} from '../../protocol/icao9303/mrz-info.ts';
import { paMessage, type TrustStore } from '../../protocol/icao9303/pa.ts';
import {
  type AccessAttempt,
  type AccessMethodName,
  type Dg3UnavailableReason,
  type DocumentReport,
  readDocument,
} from '../../protocol/icao9303/read-document.ts';
import type { ApduTrace } from '../../protocol/icao9303/reader.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import { parseAtr } from '../../protocol/iso7816/atr.ts';
import { localToday } from '../clock.ts';

/** The numbers that open the chip: a CCCD's 12-digit ID, or an MRZ document number; dates YYMMDD. */
export type CardKey =
  | { readonly id12: string; readonly dateOfBirth: string; readonly dateOfExpiry: string }
  | { readonly documentNumber: string; readonly dateOfBirth: string; readonly dateOfExpiry: string };

/** The order CCCD chips need (reference §8): PACE with the CAN, PACE with the MRZ, then BAC. */
export const DEFAULT_ACCESS_ORDER: readonly AccessMethodName[] = ['PACE-CAN', 'PACE-MRZ', 'BAC'];

/**
 * The CAN to try when the officer gives none: the last 6 digits of the 12-digit ID. One open-source
 * reader reports this for CCCD chips; it is unverified, so it is only a default.
 */
export function defaultCan(key: CardKey): string | undefined {
  return 'id12' in key && /^\d{12}$/.test(key.id12) ? key.id12.slice(-6) : undefined;
}

/** A CAN as printed: 6 digits. */
export function isCan(text: string): boolean {
  return /^\d{6}$/.test(text);
}

/** The access attempts, in order, for the MRZ information and an optional CAN. */
export function accessAttempts(
  mrzInformation: string,
  can: string | undefined,
  order: readonly AccessMethodName[] = DEFAULT_ACCESS_ORDER,
): AccessAttempt[] {
  const out: AccessAttempt[] = [];
  for (const method of order) {
    if (method === 'PACE-CAN' && can !== undefined)
      out.push({ method: 'pace', password: { kind: 'can', can } });
    if (method === 'PACE-MRZ') out.push({ method: 'pace', password: { kind: 'mrz', mrzInformation } });
    if (method === 'BAC') out.push({ method: 'bac', mrzInformation });
  }
  return out;
}

/** MRZ information for BAC from the printed numbers; a typed failure for malformed ones. */
export function accessKey(key: CardKey): MrzResult<string> {
  return 'id12' in key
    ? cccdMrzInformation(key.id12, key.dateOfBirth, key.dateOfExpiry)
    : mrzInformation({
        documentNumber: key.documentNumber,
        dateOfBirth: key.dateOfBirth,
        dateOfExpiry: key.dateOfExpiry,
      });
}

export interface ReadCardOptions {
  readonly mrzInformation: string;
  /** The numbers as typed, to name each one that differs from the chip's DG1. */
  readonly key?: CardKey;
  /** The card access number for PACE-CAN; absent: PACE-CAN is not tried. */
  readonly can?: string;
  /** Which methods to try, in order (default PACE-CAN, PACE-MRZ, BAC). */
  readonly methods?: readonly AccessMethodName[];
  /** Skip Chip and Active Authentication (benchmarks of the bare read). */
  readonly skipChipAuthentication?: boolean;
  readonly trustStore?: TrustStore;
  /** Wall clock, ms since the epoch (certificate validity; its local day is "today" for the expiry). */
  readonly now: () => number;
  /** Force short APDUs even when reader and card take extended ones (for comparisons). */
  readonly shortApdusOnly?: boolean;
  /** Plaintext bytes per short READ BINARY (default: the largest secure messaging allows). */
  readonly shortChunk?: number;
  /** EAC terminal credentials: with them TA runs and DG3 (the fingerprints) is read. */
  readonly terminal?: TerminalCredentials;
  readonly onApdu?: (trace: ApduTrace) => void;
}

/** What became of the chip's fingerprints (DG3), for the officer and the audit. */
export interface FingerprintCheck {
  readonly status: 'read' | 'unavailable';
  /** Why not, when unavailable (read-document.ts' Dg3UnavailableReason). */
  readonly reason?: Dg3UnavailableReason;
  readonly detail?: string;
  readonly statusWord?: number;
  /** The certificate (CHR) at fault, when one was. */
  readonly certificate?: string;
  /** What to tell the officer, and what to do instead. */
  readonly message: OfficerMessage;
  /** DG3's hash matched EF.SOD (Passive Authentication): the prints are the issuer's. */
  readonly verified: boolean;
  readonly fingers: readonly {
    readonly position: number;
    readonly width: number;
    readonly height: number;
    readonly ppi: number;
    readonly compression: string;
    /** Bytes of the stored image. */
    readonly bytes: number;
    /** The image decoded (WSQ): the pixels are in the report. */
    readonly decoded: boolean;
  }[];
}

const FALLBACK = {
  vi: 'đối chiếu khuôn mặt với ảnh trên chip, hoặc gửi vân tay để trung tâm đối chiếu',
  en: "compare the face with the chip's portrait, or send the fingerprint for a check by the central service",
};

/** The officer's message for each way DG3 can stay unread (Vietnamese first). */
export const FINGERPRINT_MESSAGES: Readonly<Record<Dg3UnavailableReason | 'read', OfficerMessage>> = {
  read: { vi: 'Đã đọc vân tay trên chip.', en: "The chip's fingerprints were read." },
  'not-on-chip': {
    vi: `Thẻ không lưu vân tay: ${FALLBACK.vi}.`,
    en: `The card holds no fingerprints: ${FALLBACK.en}.`,
  },
  'no-credentials': {
    vi: `Máy chưa được cấp quyền đọc vân tay trên chip (chứng thư EAC): ${FALLBACK.vi}.`,
    en: `This station is not authorised to read the chip's fingerprints (no EAC certificate): ${FALLBACK.en}.`,
  },
  'no-chip-authentication': {
    vi: `Chip chưa được xác thực (Chip Authentication) nên không đọc được vân tay: ${FALLBACK.vi}.`,
    en: `The chip was not authenticated (Chip Authentication), so its fingerprints cannot be read: ${FALLBACK.en}.`,
  },
  'no-cvca-file': {
    vi: `Chip không cho biết CVCA nó tin cậy: ${FALLBACK.vi}; báo cáo thẻ.`,
    en: `The chip does not name the CVCA it trusts: ${FALLBACK.en}; report the card.`,
  },
  'no-terminal-certificate': {
    vi: `Máy chưa có chứng thư đầu đọc (terminal): xin cấp qua Document Verifier; tạm thời ${FALLBACK.vi}.`,
    en: `This station has no terminal certificate: request one through its Document Verifier; meanwhile ${FALLBACK.en}.`,
  },
  'no-trust-point': {
    vi: `Chip tin cậy một CVCA mà chứng thư của máy không dẫn tới (thiếu chứng thư liên kết): cập nhật chứng thư; tạm thời ${FALLBACK.vi}.`,
    en: `The chip trusts a CVCA this station's certificates do not lead to (a link certificate is missing): update the certificates; meanwhile ${FALLBACK.en}.`,
  },
  'credentials-expired': {
    vi: `Chứng thư đọc vân tay của máy đã hết hạn: gia hạn qua Document Verifier; tạm thời ${FALLBACK.vi}.`,
    en: `This station's fingerprint-reading certificate has expired: renew it through the Document Verifier; meanwhile ${FALLBACK.en}.`,
  },
  'credentials-invalid': {
    vi: `Chứng thư EAC của máy không hợp lệ (cấu hình sai): báo kỹ thuật; tạm thời ${FALLBACK.vi}.`,
    en: `This station's EAC certificates do not verify (misconfigured): call the technician; meanwhile ${FALLBACK.en}.`,
  },
  'certificate-refused': {
    vi: `Chip từ chối chứng thư của máy (có thể đã hết hạn theo ngày của chip): gia hạn qua Document Verifier; tạm thời ${FALLBACK.vi}.`,
    en: `The chip refused this station's certificate (it may have expired by the chip's date): renew it through the Document Verifier; meanwhile ${FALLBACK.en}.`,
  },
  'authentication-refused': {
    vi: `Chip không chấp nhận xác thực của máy: đọc lại thẻ; nếu vẫn lỗi, ${FALLBACK.vi}.`,
    en: `The chip did not accept this station's authentication: read the card again; if it fails again, ${FALLBACK.en}.`,
  },
  'signer-failed': {
    vi: `Khóa đầu đọc không ký được (thiết bị khóa/mã PIN): báo kỹ thuật; tạm thời ${FALLBACK.vi}.`,
    en: `The terminal key did not sign (token or PIN): call the technician; meanwhile ${FALLBACK.en}.`,
  },
  'no-dg3-right': {
    vi: `Chứng thư của máy không có quyền đọc vân tay: xin cấp lại có quyền đó; tạm thời ${FALLBACK.vi}.`,
    en: `This station's certificate does not grant reading fingerprints: request one that does; meanwhile ${FALLBACK.en}.`,
  },
  refused: {
    vi: `Chip từ chối cho đọc vân tay: ${FALLBACK.vi}.`,
    en: `The chip refused to give its fingerprints: ${FALLBACK.en}.`,
  },
  absent: {
    vi: `Chip báo có vân tay nhưng không có tệp: ${FALLBACK.vi}; báo cáo thẻ.`,
    en: `The chip lists fingerprints but has no such file: ${FALLBACK.en}; report the card.`,
  },
  damaged: {
    vi: `Tệp vân tay trên chip bị hỏng: đọc lại thẻ; nếu vẫn lỗi, ${FALLBACK.vi}.`,
    en: `The chip's fingerprint file is damaged: read the card again; if it fails again, ${FALLBACK.en}.`,
  },
  'session-lost': {
    vi: `Mất kết nối bảo mật với chip khi đọc vân tay: đọc lại thẻ.`,
    en: 'The secure session with the chip ended while reading the fingerprints: read the card again.',
  },
};

export interface CardCheck {
  readonly reader: string;
  readonly accessMethod: AccessMethodName;
  readonly accessAttempts: DocumentReport['accessAttempts'];
  /**
   * Whether the numbers given (ID or document number, birth and expiry dates) are the chip's own
   * (DG1). False when PACE-CAN opened a chip whose MRZ differs from what was typed: the officer
   * should look at the card again. Undefined without a readable DG1.
   */
  readonly accessKeyMatchesChip: boolean | undefined;
  /**
   * Each typed number that differs from the chip's DG1 (typed vs chip), with what to tell the
   * officer. Empty when they agree; undefined without a readable DG1 or without `options.key`.
   */
  readonly accessKeyMismatches: readonly KeyMismatch[] | undefined;
  /** The chip and its data are authentic: Passive Authentication valid and no clone suspected. */
  readonly genuine: boolean;
  /** The document is in date on the station's calendar day (null: the expiry is unknown). */
  readonly valid: boolean | null;
  /** Genuine and valid: the card can be accepted. */
  readonly usable: boolean;
  /** The expiry verdict (protocol/cccd/validity.ts), with the officer's message. */
  readonly validity: DocumentValidity;
  /** One line summing up the verdict for people, Vietnamese and English. */
  readonly summary: OfficerMessage;
  readonly extendedLength: boolean;
  readonly holder:
    | {
        readonly documentCode: string;
        readonly issuingState: string;
        readonly documentNumber: string;
        /** The 12-digit CCCD number, when the MRZ carries one. */
        readonly id12: string | undefined;
        readonly surname: string;
        readonly givenNames: string;
        readonly sex: string;
        readonly dateOfBirth: string;
        readonly dateOfExpiry: string;
        readonly nationality: string;
        /** Every MRZ check digit is right. */
        readonly checkDigitsOk: boolean;
      }
    | undefined;
  readonly passiveAuthentication: {
    readonly verdict: string;
    readonly detail: unknown;
    readonly message: { readonly vi: string; readonly en: string };
    readonly dataGroups: readonly { readonly dataGroup: number; readonly status: string }[];
    readonly documentSigner: string | undefined;
    readonly csca: string | undefined;
  };
  /** Is the chip the issuer's, or a copy (Chip and Active Authentication)? */
  readonly chip: {
    readonly verdict: ChipVerdict['kind'];
    readonly by: ChipVerdict['by'];
    readonly keysTrusted: ChipVerdict['keysTrusted'];
    readonly message: { readonly vi: string; readonly en: string };
    readonly chipAuthentication: DocumentReport['chipAuthentication'];
    readonly activeAuthentication: { readonly status: string; readonly detail?: string };
  };
  /** The CCCD's own data group (DG13), decoded by field number, with what did not decode. */
  readonly dg13: (Dg13 & { readonly error?: undefined }) | { readonly error: string } | undefined;
  /** The 12-digit ID checked against its structure, the holder's sex and date of birth. */
  readonly personalId: PersonalIdCheck | undefined;
  readonly dataGroupsRead: readonly number[];
  readonly notRead: DocumentReport['notRead'];
  /** EAC Terminal Authentication: passed (with the rights), failed at the chip, or not run and why. */
  readonly terminalAuthentication: DocumentReport['terminalAuthentication'];
  /** The fingerprints (DG3), or why they were not read and what to do instead. */
  readonly fingerprints: FingerprintCheck;
  readonly portrait:
    | { readonly format: string; readonly width: number; readonly height: number; readonly bytes: number }
    | undefined;
  readonly apdus: number;
  readonly timings: DocumentReport['timings'];
}

/**
 * Reads and checks the card in `session`. The report's portrait bytes are in `report.portrait`.
 * @throws the CardError of protocol/icao9303 (wrong key, dead session, ...) and the driver's errors
 *   (card removed, timeout), unchanged.
 */
export async function readCard(
  session: CardSession,
  options: ReadCardOptions,
): Promise<{ check: CardCheck; report: DocumentReport }> {
  const atr = parseAtr(session.atr);
  const extendedLength =
    options.shortApdusOnly !== true && session.extendedLength && atr.ok && atr.value.extendedLength;
  const report = await readDocument(
    { transmit: (command) => session.transmit(command) },
    {
      access: accessAttempts(options.mrzInformation, options.can, options.methods),
      crypto: nodeIcao9303Crypto,
      paCrypto: createNodePaCrypto(),
      aaCrypto: createNodeAaCrypto(),
      ...(options.skipChipAuthentication ? { skipChipAuthentication: true } : {}),
      ...(options.trustStore === undefined ? {} : { trustStore: options.trustStore }),
      clock: { now: options.now },
      monotonic: () => performance.now(),
      extendedLength,
      ...(options.shortChunk === undefined ? {} : { shortChunk: options.shortChunk }),
      ...(options.terminal === undefined ? {} : { terminal: options.terminal }),
      ...(options.onApdu === undefined ? {} : { onApdu: options.onApdu }),
    },
  );
  const mrz = report.dg1?.mrz;
  const pa = report.passiveAuthentication;
  const { kind, ...detail } = pa.verdict;
  const dg13Bytes = report.dataGroups.get(13);
  const dg13 = dg13Bytes === undefined ? undefined : decodeDg13(dg13Bytes);
  const id12 = (dg13?.ok ? dg13.value.idNumber : undefined) ?? mrz?.cccd?.id12;
  const sex = mrz?.sex === 'M' || mrz?.sex === 'F' ? mrz.sex : dg13?.ok ? dg13.value.sexCode : undefined;
  const birth = dg13?.ok ? dg13.value.dateOfBirth?.iso : undefined;
  const aa = report.activeAuthentication;
  const chipKeyResult =
    mrz &&
    mrzInformation({
      documentNumber: mrz.documentNumber,
      dateOfBirth: mrz.dateOfBirth,
      dateOfExpiry: mrz.dateOfExpiry,
    });
  const chipKey = chipKeyResult?.ok ? chipKeyResult.value : undefined;
  const genuine = pa.verdict.kind === 'valid' && report.chip.kind !== 'clone-suspected';
  const validity = chipValidity(
    {
      mrz: mrz?.dateOfExpiry,
      dg13: dg13?.ok ? dg13.value.dateOfExpiry : undefined,
    },
    localToday(options.now()),
  );
  const mismatches =
    mrz === undefined || options.key === undefined
      ? undefined
      : keyMismatches(options.key, {
          documentNumber: mrz.documentNumber,
          id12: mrz.cccd?.id12,
          dateOfBirth: mrz.dateOfBirth,
          dateOfExpiry: mrz.dateOfExpiry,
        });
  const usable = genuine && validity.valid === true;
  const check: CardCheck = {
    reader: session.reader,
    accessMethod: report.accessMethod,
    accessAttempts: report.accessAttempts,
    accessKeyMatchesChip: chipKey === undefined ? undefined : chipKey === options.mrzInformation,
    accessKeyMismatches: mismatches,
    genuine,
    valid: validity.valid,
    usable,
    validity,
    summary: summarize({
      genuine,
      usable,
      passiveAuthentication: kind,
      chip: report.chip.kind,
      validity,
      mismatches: mismatches ?? [],
    }),
    extendedLength,
    holder: mrz && {
      documentCode: mrz.documentCode,
      issuingState: mrz.issuingState,
      documentNumber: mrz.documentNumber,
      id12: mrz.cccd?.id12,
      surname: mrz.name.primary,
      givenNames: mrz.name.secondary,
      sex: mrz.sex,
      dateOfBirth: mrz.dateOfBirth,
      dateOfExpiry: mrz.dateOfExpiry,
      nationality: mrz.nationality,
      checkDigitsOk: mrz.checksOk,
    },
    passiveAuthentication: {
      verdict: kind,
      detail,
      message: paMessage(pa.verdict),
      dataGroups: pa.dataGroups,
      documentSigner: pa.documentSigner?.subject,
      csca: pa.csca?.subject,
    },
    chip: {
      verdict: report.chip.kind,
      by: report.chip.by,
      keysTrusted: report.chip.keysTrusted,
      message: CHIP_VERDICT_MESSAGES[report.chip.kind],
      chipAuthentication: report.chipAuthentication,
      activeAuthentication: { status: aa.status, ...(aa.detail === undefined ? {} : { detail: aa.detail }) },
    },
    dg13: dg13 === undefined ? undefined : dg13.ok ? dg13.value : { error: dg13.error.detail },
    personalId:
      id12 === undefined
        ? undefined
        : validatePersonalId(id12, {
            ...(sex === undefined ? {} : { sex }),
            ...(birth === undefined ? {} : { dateOfBirth: birth }),
          }),
    dataGroupsRead: [...report.dataGroups.keys()].sort((a, b) => a - b),
    notRead: report.notRead,
    terminalAuthentication: report.terminalAuthentication,
    fingerprints: fingerprintCheck(report),
    portrait: report.portrait && {
      format: report.portrait.format,
      width: report.portrait.width,
      height: report.portrait.height,
      bytes: report.portrait.image.length,
    },
    apdus: report.apdus,
    timings: report.timings,
  };
  return { check, report };
}

/** The fingerprint part of the check from the report's DG3 outcome and PA's verdict on DG3. */
export function fingerprintCheck(report: DocumentReport): FingerprintCheck {
  const dg3 = report.dg3;
  const verified = report.passiveAuthentication.dataGroups.find((d) => d.dataGroup === 3)?.status === 'match';
  if (dg3.status === 'unavailable')
    return {
      status: 'unavailable',
      reason: dg3.reason,
      detail: dg3.detail,
      ...(dg3.statusWord === undefined ? {} : { statusWord: dg3.statusWord }),
      ...(dg3.certificate === undefined ? {} : { certificate: dg3.certificate }),
      message: FINGERPRINT_MESSAGES[dg3.reason],
      verified: false,
      fingers: [],
    };
  if (dg3.error !== undefined)
    return {
      status: 'unavailable',
      reason: 'damaged',
      detail: `DG3 does not decode: ${dg3.error.detail}`,
      message: FINGERPRINT_MESSAGES.damaged,
      verified,
      fingers: [],
    };
  return {
    status: 'read',
    message: verified
      ? FINGERPRINT_MESSAGES.read
      : {
          vi: 'Đã đọc vân tay nhưng dữ liệu không khớp chữ ký của cơ quan cấp: không dùng để đối chiếu.',
          en: "The fingerprints were read but do not match the issuer's signature: do not use them for a comparison.",
        },
    verified,
    fingers: dg3.fingers.map((f) => ({
      position: f.position,
      width: f.width,
      height: f.height,
      ppi: f.ppi,
      compression: f.compression,
      bytes: f.data.length,
      decoded: f.pixels !== undefined,
    })),
  };
}

/** A number typed by the officer that is not the chip's (DG1). */
export interface KeyMismatch {
  readonly field: 'id12' | 'documentNumber' | 'dateOfBirth' | 'dateOfExpiry';
  /** As typed (an ID's 12 digits, dates YYMMDD). */
  readonly typed: string;
  /** As the chip's DG1 holds it. */
  readonly chip: string;
  readonly message: OfficerMessage;
}

const FIELD_NAMES: Readonly<Record<KeyMismatch['field'], { vi: string; en: string }>> = {
  id12: { vi: 'số định danh', en: 'ID number' },
  documentNumber: { vi: 'số giấy tờ', en: 'document number' },
  dateOfBirth: { vi: 'ngày sinh', en: 'date of birth' },
  dateOfExpiry: { vi: 'ngày hết hạn', en: 'date of expiry' },
};

/** MRZ text without its fillers. */
const unfilled = (text: string) => text.replace(/</g, '');

/**
 * Each typed number that is not the chip's: the 12-digit ID against DG1's (or, when DG1 carries no
 * 12-digit ID, its document number against DG1's), the birth and expiry dates (YYMMDD) against
 * DG1's. Never throws.
 */
export function keyMismatches(
  typed: CardKey,
  chip: {
    readonly documentNumber: string;
    readonly id12: string | undefined;
    readonly dateOfBirth: string;
    readonly dateOfExpiry: string;
  },
): KeyMismatch[] {
  const pairs: [KeyMismatch['field'], string, string][] = [];
  if ('id12' in typed) {
    if (chip.id12 !== undefined) pairs.push(['id12', typed.id12, chip.id12]);
    else {
      const number = cccdDocumentNumber(typed.id12);
      pairs.push(['documentNumber', number.ok ? number.value : typed.id12, unfilled(chip.documentNumber)]);
    }
  } else pairs.push(['documentNumber', unfilled(typed.documentNumber), unfilled(chip.documentNumber)]);
  pairs.push(['dateOfBirth', typed.dateOfBirth, chip.dateOfBirth]);
  pairs.push(['dateOfExpiry', typed.dateOfExpiry, chip.dateOfExpiry]);
  return pairs
    .filter(([, a, b]) => a !== b)
    .map(([field, typedValue, chipValue]) => ({
      field,
      typed: typedValue,
      chip: chipValue,
      message: {
        vi: `${capitalize(FIELD_NAMES[field].vi)} đã nhập (${typedValue}) khác với chip (${chipValue}): đối chiếu lại với thẻ.`,
        en: `The ${FIELD_NAMES[field].en} typed (${typedValue}) differs from the chip's (${chipValue}): check it against the card.`,
      },
    }));
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** dd/mm/yyyy for the Vietnamese summary. */
const viDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

/**
 * One line for people: usable or not, genuine or not (with the PA and chip verdicts when not),
 * the expiry, and each typed number that differs from the chip.
 */
export function summarize(verdict: {
  readonly genuine: boolean;
  readonly usable: boolean;
  readonly passiveAuthentication: string;
  readonly chip: string;
  readonly validity: DocumentValidity;
  readonly mismatches: readonly KeyMismatch[];
}): OfficerMessage {
  const { validity } = verdict;
  const en: string[] = [
    verdict.genuine
      ? 'the chip and its data are genuine'
      : `NOT confirmed genuine (data: ${verdict.passiveAuthentication}, chip: ${verdict.chip})`,
  ];
  const vi: string[] = [
    verdict.genuine
      ? 'chip và dữ liệu là thật'
      : `KHÔNG xác nhận được là thẻ thật (dữ liệu: ${verdict.passiveAuthentication}, chip: ${verdict.chip})`,
  ];
  switch (validity.kind) {
    case 'in-date':
      en.push(`valid until ${validity.dateOfExpiry}`);
      vi.push(`còn hạn đến ${viDate(validity.dateOfExpiry ?? '')}`);
      break;
    case 'no-expiry':
      en.push('valid, no expiry');
      vi.push('còn giá trị, không thời hạn');
      break;
    case 'expired':
      en.push(`EXPIRED after ${validity.dateOfExpiry}`);
      vi.push(`ĐÃ HẾT HẠN sau ngày ${viDate(validity.dateOfExpiry ?? '')}`);
      break;
    case 'unknown':
      en.push('expiry unknown: check the date printed on the card');
      vi.push('không rõ ngày hết hạn: xem ngày in trên thẻ');
      break;
  }
  for (const m of verdict.mismatches) {
    en.push(`typed ${FIELD_NAMES[m.field].en} ${m.typed} differs from the chip's ${m.chip}`);
    vi.push(`${FIELD_NAMES[m.field].vi} đã nhập ${m.typed} khác chip ${m.chip}`);
  }
  return {
    vi: `${verdict.usable ? 'DÙNG ĐƯỢC' : 'KHÔNG DÙNG ĐƯỢC'}: ${vi.join('; ')}`,
    en: `${verdict.usable ? 'USABLE' : 'NOT USABLE'}: ${en.join('; ')}`,
  };
}

export type QrKeyResult =
  | {
      readonly ok: true;
      readonly key: { readonly id12: string; readonly dateOfBirth: string; readonly dateOfExpiry: string };
      readonly qr: CccdQr;
      /** How the expiry was found: typed by the officer, or derived from the renewal ages. */
      readonly expiryFrom: 'given' | 'derived';
      readonly expiry: CardExpiry | undefined;
    }
  | {
      readonly ok: false;
      /** QR_INVALID: no usable ID or birth date; EXPIRY_UNKNOWN: ask the officer for the expiry. */
      readonly code: 'QR_INVALID' | 'EXPIRY_UNKNOWN';
      readonly message: { readonly vi: string; readonly en: string };
      readonly qr: CccdQr;
      readonly expiry: CardExpiry | undefined;
    };

/**
 * The chip's key from the card's QR text: the ID and birth date from the QR, the expiry typed by
 * the officer (`dateOfExpiry`, YYMMDD) or else derived from the birth and issue dates by the
 * renewal ages (protocol/cccd/expiry.ts). When it cannot be derived, the officer must type it.
 * The QR's own problems (a personal ID that disagrees with its sex or birth date, a bad address
 * field) are in `qr.errors` either way; only a missing ID or birth date stops the read.
 */
export function cardKeyFromQr(text: string, options: { today: string; dateOfExpiry?: string }): QrKeyResult {
  const qr = parseCccdQr(text, { today: options.today });
  const blocking = qr.errors.filter(
    (e) => e.field === 'format' || e.field === 'id' || e.field === 'dateOfBirth',
  );
  if (qr.id === undefined || !/^\d{12}$/.test(qr.id) || qr.dateOfBirth === undefined || blocking.length > 0)
    return {
      ok: false,
      code: 'QR_INVALID',
      message: {
        vi: `Mã QR không đọc được số định danh hoặc ngày sinh: ${blocking.map((e) => e.message.vi).join('; ') || 'thiếu trường'}`,
        en: `The QR code gives no usable ID number or date of birth: ${blocking.map((e) => e.message.en).join('; ') || 'field missing'}`,
      },
      qr,
      expiry: undefined,
    };
  const dateOfBirth = isoToYymmdd(qr.dateOfBirth);
  if (options.dateOfExpiry !== undefined)
    return {
      ok: true,
      key: { id12: qr.id, dateOfBirth, dateOfExpiry: options.dateOfExpiry },
      qr,
      expiryFrom: 'given',
      expiry: undefined,
    };
  const expiry = deriveCardExpiry(qr.dateOfBirth, qr.dateOfIssue);
  const yymmdd = expiryYymmdd(expiry);
  if (yymmdd === undefined)
    return {
      ok: false,
      code: 'EXPIRY_UNKNOWN',
      message: {
        vi: 'Không suy ra được ngày hết hạn từ mã QR: nhập ngày hết hạn in trên thẻ.',
        en: 'The expiry date cannot be derived from the QR code: enter the expiry date printed on the card.',
      },
      qr,
      expiry,
    };
  return {
    ok: true,
    key: { id12: qr.id, dateOfBirth, dateOfExpiry: yymmdd },
    qr,
    expiryFrom: 'derived',
    expiry,
  };
}
