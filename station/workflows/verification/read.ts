/**
 * The notary's card read, keeping the evidence a third party needs to redo the chip checks:
 * EF.SOD, the data groups' hashes, the small non-biometric data groups (DG1, DG13, DG14, DG15) whole,
 * and Active Authentication's challenge and the chip's signature over it.
 *
 * It runs the same read as `POST /cards/read` (protocol/icao9303 readDocument with the access order
 * of station/cards/read-card.ts: PACE-CAN, PACE-MRZ, BAC; PA, CA, AA; TA and DG3 with EAC credentials)
 * and derives the same verdicts with read-card.ts' helpers. It calls readDocument itself, not
 * readCard, because readCard builds its crypto inside and the AA challenge and signature are not
 * in DocumentReport: here the Active Authentication crypto is wrapped to record what it was asked
 * to verify (the challenge comes from the same 8 random bytes readDocument sent in INTERNAL
 * AUTHENTICATE). Once read-document.ts reports them, this wrapper can go.
 */
import { createHash } from 'node:crypto';
import { createNodeAaCrypto } from '../../../drivers/crypto/aa-node.ts';
import { nodeIcao9303Crypto } from '../../../drivers/crypto/node-crypto.ts';
import { createNodePaCrypto } from '../../../drivers/crypto/pa-node.ts';
import type { CardSession } from '../../../drivers/smartcard/card-reader.ts';
import { decodeDg13 } from '../../../protocol/cccd/dg13.ts';
import type { OfficerMessage } from '../../../protocol/cccd/text.ts';
import { chipValidity, type DocumentValidity } from '../../../protocol/cccd/validity.ts';
import type { AaCrypto } from '../../../protocol/icao9303/active-auth.ts';
import { CHIP_VERDICT_MESSAGES, type ChipVerdictKind } from '../../../protocol/icao9303/chip-verdict.ts';
import type { Icao9303Crypto } from '../../../protocol/icao9303/crypto.ts';
import { type PaVerdict, paMessage, type TrustStore } from '../../../protocol/icao9303/pa.ts';
import { type DocumentReport, readDocument } from '../../../protocol/icao9303/read-document.ts';
import { decodeSod, findSignerCertificate } from '../../../protocol/icao9303/sod.ts';
import type { TerminalCredentials } from '../../../protocol/icao9303/terminal-auth.ts';
import { parseAtr } from '../../../protocol/iso7816/atr.ts';
import { accessAttempts, type FingerprintCheck, fingerprintCheck } from '../../cards/read-card.ts';
import { localToday } from '../../clock.ts';

/** Data groups carried whole in the report: no biometrics (DG2 face, DG3 fingers, DG4 iris stay out). */
export const EMBEDDED_DATA_GROUPS: readonly number[] = [1, 13, 14, 15];

/** What a third party needs to redo Passive and Active Authentication. */
export interface ChipEvidence {
  /** EF.SOD as read (77 …). */
  readonly sod: Uint8Array;
  /** The document signer's certificate, DER, as the SOD carries it (undefined when it carries none). */
  readonly documentSigner: Uint8Array | undefined;
  /** The SOD's hash algorithm (sha256 ...), undefined when the SOD did not decode. */
  readonly hashAlgorithm: string | undefined;
  /** Hash of every data group read (the station's computation), by number. */
  readonly dataGroupHashes: ReadonlyMap<number, Uint8Array>;
  /** EMBEDDED_DATA_GROUPS that were read, whole. */
  readonly dataGroups: ReadonlyMap<number, Uint8Array>;
  /** The 8-byte challenge sent in INTERNAL AUTHENTICATE and the chip's answer, when AA ran. */
  readonly activeAuthentication:
    | { readonly challenge: Uint8Array; readonly signature: Uint8Array }
    | undefined;
}

/** The card as the verification workflow keeps it (the portrait only in memory, never in the report). */
export interface VerificationRead {
  readonly accessMethod: DocumentReport['accessMethod'];
  readonly holder:
    | {
        readonly fullName: string | undefined;
        readonly surname: string;
        readonly givenNames: string;
        readonly documentNumber: string;
        readonly id12: string | undefined;
        readonly dateOfBirth: string;
        readonly dateOfExpiry: string;
        readonly sex: string;
        readonly nationality: string;
        readonly issuingState: string;
      }
    | undefined;
  readonly passiveAuthentication: {
    readonly verdict: PaVerdict['kind'];
    readonly finding: PaVerdict;
    readonly message: OfficerMessage;
    readonly dataGroups: readonly { readonly dataGroup: number; readonly status: string }[];
    readonly documentSigner: string | undefined;
    readonly csca: string | undefined;
  };
  readonly chip: {
    readonly verdict: ChipVerdictKind;
    readonly message: OfficerMessage;
    readonly chipAuthentication: { readonly status: string; readonly detail?: string };
    readonly activeAuthentication: { readonly status: string; readonly detail?: string };
  };
  readonly validity: DocumentValidity;
  readonly fingerprints: FingerprintCheck;
  readonly portrait: Uint8Array | undefined;
  /** The chip's decoded fingers (DG3), kept in memory for the finger step. */
  readonly dg3: DocumentReport['dg3'];
  readonly evidence: ChipEvidence;
  readonly timings: DocumentReport['timings'];
  readonly apdus: number;
}

export interface VerificationReadOptions {
  /** For PACE-MRZ and BAC; undefined with a CAN alone (PACE-CAN only). */
  readonly mrzInformation: string | undefined;
  readonly can: string | undefined;
  readonly trustStore: TrustStore | undefined;
  readonly terminal: TerminalCredentials | undefined;
  /** Wall clock, ms since the epoch. */
  readonly now: () => number;
}

/** Node's hash name for the SOD's algorithm names (sod.ts HashAlgorithm). */
const NODE_HASH: Readonly<Record<string, string>> = {
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};

/**
 * Reads and checks the card in `session`, keeping the chip evidence.
 * @throws the CardError of protocol/icao9303 and the driver's errors unchanged, as readCard does.
 */
export async function readForVerification(
  session: CardSession,
  options: VerificationReadOptions,
): Promise<VerificationRead> {
  let lastChallenge: Uint8Array | undefined;
  let recorded: { challenge: Uint8Array; signature: Uint8Array } | undefined;
  const crypto: Icao9303Crypto = {
    ...nodeIcao9303Crypto,
    randomBytes: (n) => {
      const bytes = nodeIcao9303Crypto.randomBytes(n);
      // AA's challenge is the last 8 random bytes before its signature is verified (9303-11 §6.1).
      if (n === 8) lastChallenge = bytes.slice();
      return bytes;
    },
  };
  const aa = createNodeAaCrypto();
  const aaCrypto: AaCrypto = {
    rsaPublicRaw: (spki, block) => {
      if (recorded === undefined && lastChallenge !== undefined)
        recorded = { challenge: lastChallenge, signature: block.slice() };
      return aa.rsaPublicRaw(spki, block);
    },
    verifyEcdsa: (spki, hash, message, signature) => {
      recorded ??= { challenge: message.slice(), signature: signature.slice() };
      return aa.verifyEcdsa(spki, hash, message, signature);
    },
    digest: (hash, data) => aa.digest(hash, data),
  };
  const atr = parseAtr(session.atr);
  const report = await readDocument(
    { transmit: (command) => session.transmit(command) },
    {
      access:
        options.mrzInformation === undefined
          ? [{ method: 'pace', password: { kind: 'can', can: options.can ?? '' } }]
          : accessAttempts(options.mrzInformation, options.can),
      crypto,
      paCrypto: createNodePaCrypto(),
      aaCrypto,
      ...(options.trustStore === undefined ? {} : { trustStore: options.trustStore }),
      ...(options.terminal === undefined ? {} : { terminal: options.terminal }),
      clock: { now: options.now },
      monotonic: () => performance.now(),
      extendedLength: session.extendedLength && atr.ok && atr.value.extendedLength,
    },
  );
  const mrz = report.dg1?.mrz;
  const dg13Bytes = report.dataGroups.get(13);
  const dg13 = dg13Bytes === undefined ? undefined : decodeDg13(dg13Bytes);
  const pa = report.passiveAuthentication;
  const sod = decodeSod(report.sod);
  const hashAlgorithm = sod.ok ? sod.value.ldsSecurityObject.hash : undefined;
  const hashes = new Map<number, Uint8Array>();
  const nodeHash = hashAlgorithm === undefined ? undefined : NODE_HASH[hashAlgorithm];
  if (nodeHash !== undefined)
    for (const [n, bytes] of report.dataGroups)
      hashes.set(n, new Uint8Array(createHash(nodeHash).update(bytes).digest()));
  const embedded = new Map<number, Uint8Array>();
  for (const n of EMBEDDED_DATA_GROUPS) {
    const bytes = report.dataGroups.get(n);
    if (bytes !== undefined) embedded.set(n, bytes);
  }
  let documentSigner: Uint8Array | undefined;
  if (sod.ok) {
    const signerInfo = sod.value.signedData.signerInfos[0];
    documentSigner =
      signerInfo === undefined
        ? undefined
        : findSignerCertificate(signerInfo.sid, sod.value.signedData.certificates)?.der;
  }
  const aaStatus = report.activeAuthentication;
  const ca = report.chipAuthentication;
  return {
    accessMethod: report.accessMethod,
    holder: mrz && {
      fullName: dg13?.ok ? dg13.value.fullName : undefined,
      surname: mrz.name.primary,
      givenNames: mrz.name.secondary,
      documentNumber: mrz.documentNumber,
      id12: (dg13?.ok ? dg13.value.idNumber : undefined) ?? mrz.cccd?.id12,
      dateOfBirth: mrz.dateOfBirth,
      dateOfExpiry: mrz.dateOfExpiry,
      sex: mrz.sex,
      nationality: mrz.nationality,
      issuingState: mrz.issuingState,
    },
    passiveAuthentication: {
      verdict: pa.verdict.kind,
      finding: pa.verdict,
      message: paMessage(pa.verdict),
      dataGroups: pa.dataGroups,
      documentSigner: pa.documentSigner?.subject,
      csca: pa.csca?.subject,
    },
    chip: {
      verdict: report.chip.kind,
      message: CHIP_VERDICT_MESSAGES[report.chip.kind],
      chipAuthentication: { status: ca.status, ...(ca.detail === undefined ? {} : { detail: ca.detail }) },
      activeAuthentication: {
        status: aaStatus.status,
        ...(aaStatus.detail === undefined ? {} : { detail: aaStatus.detail }),
      },
    },
    validity: chipValidity(
      { mrz: mrz?.dateOfExpiry, dg13: dg13?.ok ? dg13.value.dateOfExpiry : undefined },
      localToday(options.now()),
    ),
    fingerprints: fingerprintCheck(report),
    portrait: report.portrait?.image,
    dg3: report.dg3,
    evidence: {
      sod: report.sod,
      documentSigner,
      hashAlgorithm,
      dataGroupHashes: hashes,
      dataGroups: embedded,
      activeAuthentication: recorded,
    },
    timings: report.timings,
    apdus: report.apdus,
  };
}
