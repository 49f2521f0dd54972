/**
 * The notary's card check: read a chip ID card in a reader session and report what an officer and
 * an audit need, as plain JSON-able data: who the card says (DG1), how it was opened, whether the
 * chip's data is genuine (Passive Authentication, with the reason in Vietnamese and English), the
 * portrait, timings and the APDU count.
 */

import { nodeIcao9303Crypto } from '../../drivers/crypto/node-crypto.ts';
import { createNodePaCrypto } from '../../drivers/crypto/pa-node.ts';
import type { CardSession } from '../../drivers/smartcard/card-reader.ts';
import { cccdMrzInformation, type MrzResult, mrzInformation } from '../../protocol/icao9303/mrz-info.ts';
import { paMessage, type TrustStore } from '../../protocol/icao9303/pa.ts';
import { type DocumentReport, readDocument } from '../../protocol/icao9303/read-document.ts';
import type { ApduTrace } from '../../protocol/icao9303/reader.ts';
import { parseAtr } from '../../protocol/iso7816/atr.ts';

/** The numbers that open the chip: a CCCD's 12-digit ID, or an MRZ document number; dates YYMMDD. */
export type CardKey =
  | { readonly id12: string; readonly dateOfBirth: string; readonly dateOfExpiry: string }
  | { readonly documentNumber: string; readonly dateOfBirth: string; readonly dateOfExpiry: string };

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
  readonly trustStore?: TrustStore;
  /** Wall clock, ms since the epoch (certificate validity). */
  readonly now: () => number;
  /** Force short APDUs even when reader and card take extended ones (for comparisons). */
  readonly shortApdusOnly?: boolean;
  /** Plaintext bytes per short READ BINARY (default: the largest secure messaging allows). */
  readonly shortChunk?: number;
  readonly onApdu?: (trace: ApduTrace) => void;
}

export interface CardCheck {
  readonly reader: string;
  readonly accessMethod: 'BAC';
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
  readonly dataGroupsRead: readonly number[];
  readonly notRead: DocumentReport['notRead'];
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
      access: { method: 'bac', mrzInformation: options.mrzInformation },
      crypto: nodeIcao9303Crypto,
      paCrypto: createNodePaCrypto(),
      ...(options.trustStore === undefined ? {} : { trustStore: options.trustStore }),
      clock: { now: options.now },
      monotonic: () => performance.now(),
      extendedLength,
      ...(options.shortChunk === undefined ? {} : { shortChunk: options.shortChunk }),
      ...(options.onApdu === undefined ? {} : { onApdu: options.onApdu }),
    },
  );
  const mrz = report.dg1?.mrz;
  const pa = report.passiveAuthentication;
  const { kind, ...detail } = pa.verdict;
  const check: CardCheck = {
    reader: session.reader,
    accessMethod: report.accessMethod,
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
    dataGroupsRead: [...report.dataGroups.keys()].sort((a, b) => a - b),
    notRead: report.notRead,
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
