/**
 * Reads and checks a whole eMRTD (ICAO 9303-10 and -11): select, access control, EF.COM, EF.SOD,
 * every data group EF.COM lists that the terminal may read, then Passive Authentication, DG1 and
 * the DG2 portrait. Clocks, crypto and the trust store are injected; the channel is the driver's.
 *
 * DG3 and DG4 (fingerprints, iris) sit behind Extended Access Control, which this terminal does not
 * hold: they are not asked for, and are listed as `notRead` (PA reports them as not read).
 */
import type { DecodeError } from '../result.ts';
import type { Icao9303Crypto } from './crypto.ts';
import { CardError } from './errors.ts';
import { decodeEfCom, type EfCom } from './lds/com.ts';
import { type Dg1, decodeDg1 } from './lds/dg1.ts';
import { decodeDg2 } from './lds/dg2.ts';
import { type ImageFormat, sniffImageFormat } from './lds/face-record.ts';
import { dataGroupFile, EF_COM, EF_SOD } from './lds/files.ts';
import { type PaCrypto, type PaReport, type TrustStore, verifyPassiveAuthentication } from './pa.ts';
import { type ApduTrace, type CardChannel, EmrtdReader } from './reader.ts';

/** Data groups behind Extended Access Control (Terminal Authentication). */
const EAC_PROTECTED = new Set([3, 4]);

export type DocumentAccess =
  /** BAC with the MRZ information (document number, birth and expiry dates, check digits). */
  { readonly method: 'bac'; readonly mrzInformation: string };

export interface ReadDocumentOptions {
  readonly access: DocumentAccess;
  readonly crypto: Icao9303Crypto;
  readonly paCrypto: PaCrypto;
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
  readonly onApdu?: (trace: ApduTrace) => void;
}

export interface Portrait {
  /** From the image's first bytes, not the record's type field. */
  readonly format: ImageFormat;
  readonly image: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface DocumentReport {
  readonly accessMethod: 'BAC';
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
  readonly apdus: number;
  /** ms: access control, each file by name, PA, and the whole read. */
  readonly timings: {
    readonly accessMs: number;
    readonly files: Readonly<Record<string, number>>;
    readonly passiveAuthenticationMs: number;
    readonly totalMs: number;
  };
}

/**
 * Reads the document on `channel` and checks it.
 * @throws {CardError} CARD_NOT_EMRTD, CARD_ACCESS_DENIED (check the numbers on the card),
 *   CARD_AUTHENTICATION_FAILED, CARD_SM_SESSION_DEAD, CARD_SM_MAC_MISMATCH, CARD_DATA_DAMAGED
 *   (EF.COM or EF.SOD unreadable as files), CARD_FILE_NOT_FOUND (EF.COM or EF.SOD absent); the
 *   channel's own errors (card removed, timeout) pass through. Damaged data groups are not
 *   errors: PA and the decoders report them.
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
  await reader.selectApplication();
  await reader.authenticateBac(options.access.mrzInformation);
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
  for (const n of com.value.dataGroups) {
    if (EAC_PROTECTED.has(n)) {
      notRead.push({ dataGroup: n, why: 'eac-protected' });
      continue;
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
    accessMethod: 'BAC',
    com: com.value,
    dataGroups,
    sod,
    notRead,
    dg1: dg1?.ok ? dg1.value : undefined,
    dg1Error: dg1 && !dg1.ok ? dg1.error : undefined,
    portrait,
    portraitError: dg2 && !dg2.ok ? dg2.error : undefined,
    passiveAuthentication,
    apdus: reader.apduCount,
    timings: { accessMs, files, passiveAuthenticationMs, totalMs: monotonic() - started },
  };
}
