/**
 * Terminal Authentication version 1 (BSI TR-03110-1 §3.2 as ICAO 9303 adopted it for Extended
 * Access Control; commands TR-03110-3 Appendix B), both sides. After Chip Authentication, the
 * terminal proves it holds a certificate chain from the chip's CVCA that grants reading DG3
 * (fingerprints) and DG4 (irises):
 *
 *   READ EF.CVCA (011C, in the application)       → the CARs of the chip's trust points
 *   for each certificate of the chain (link certificates, DV, terminal):
 *     MSE:Set DST           0C 22 81 B6 {83 CAR}
 *     PSO:Verify Cert.      0C 2A 00 BE {7F4E body, 5F37 signature}   (extended length or chained)
 *   MSE:Set AT              0C 22 81 A4 {83 CHR of the terminal certificate}
 *   GET CHALLENGE           0C 84 00 00 Le 08         → r_PICC
 *   EXTERNAL AUTHENTICATE   0C 82 00 00 {s}   s = Sign(SK_PCD, ID_PICC ‖ r_PICC ‖ Comp(PK_PCD~))
 *
 * PK_PCD~ is the terminal's ephemeral key of Chip Authentication, Comp(·) its x coordinate
 * (TR-03110-3 §A.2.2.3, ECDH). ID_PICC is the document number with its check digit when BAC
 * opened the chip, but Comp of the chip's ephemeral PACE key when PACE did (TR-03110-1 §3.2,
 * 9303-11): the CCCD's usual path, and where open readers often go wrong. The signature is plain
 * r ‖ s with the hash of the terminal certificate's key algorithm (id-TA-ECDSA-SHA-*).
 *
 * The rights the chip grants are the AND of the CHATs over the chain (cvc.ts). The chip side
 * (`TerminalAuthenticationChip`) keeps its trust points and current date across sessions, as a real
 * chip's EEPROM does; the simulated card holds one.
 *
 * Pure: the exchange goes through the caller's `send`, signing through the injected signer.
 */
import type { CommandApdu, ResponseApdu } from '../iso7816/apdu.ts';
import { SW } from '../iso7816/status.ts';
import { concatBytes, encodeTlv, findTag, readTlvs } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import {
  type CvCertificate,
  type CvcChainError,
  type CvcCrypto,
  type CvcKey,
  chipAcceptsDate,
  chipDateAfter,
  cvcKey,
  cvcPsoData,
  decodeCvcParts,
  issuerMayCertify,
  verifyCvcChain,
  verifyCvcSignature,
  verifyTaSignature,
} from './cvc.ts';

// ---------------------------------------------------------------------------------------------
// EF.CVCA (TR-03110-3 §A.6.2.1; 9303-10 lists it in the eMRTD application)

/** EF.CVCA: FID 011C, short EF identifier 1C, inside the eMRTD application (not the master file). */
export const EF_CVCA = { fid: 0x011c, sfi: 0x1c, length: 36 } as const;

/**
 * The CARs EF.CVCA names: one or two `42 L CAR` objects, then zero padding to 36 bytes (the file
 * is transparent and fixed-size, not one TLV). Errors: `invalid-value` for another tag, an empty
 * or over-long CAR, padding that is not zero, or no CAR; `too-large` for more than two.
 */
export function decodeEfCvca(bytes: Uint8Array): DecodeResult<string[]> {
  const cars: string[] = [];
  let at = 0;
  while (at < bytes.length && bytes[at] !== 0x00) {
    if (bytes[at] !== 0x42)
      return fail('invalid-value', at, `EF.CVCA holds 42 objects, not ${(bytes[at] ?? 0).toString(16)}`);
    const length = bytes[at + 1];
    if (length === undefined) return fail('truncated', at + 1, 'a CAR without its length');
    if (length === 0 || length > 16) return fail('invalid-value', at + 1, `a CAR of ${length} characters`);
    if (at + 2 + length > bytes.length) return fail('truncated', at + 2, 'a CAR cut short');
    if (cars.length === 2) return fail('too-large', at, 'EF.CVCA names at most two trust points');
    const value = bytes.subarray(at + 2, at + 2 + length);
    if (value.some((b) => b < 0x20 || b > 0x7e))
      return fail('invalid-value', at + 2, 'a CAR holds an unprintable byte');
    cars.push(String.fromCharCode(...value));
    at += 2 + length;
  }
  for (let i = at; i < bytes.length; i++)
    if (bytes[i] !== 0x00) return fail('invalid-value', i, 'EF.CVCA padding is zero bytes');
  if (cars.length === 0) return fail('invalid-value', 0, 'EF.CVCA names no trust point');
  return ok(cars);
}

/** EF.CVCA's 36 bytes for one or two CARs. @throws {RangeError} for none, more than two, or too long. */
export function encodeEfCvca(cars: readonly string[]): Uint8Array {
  if (cars.length === 0 || cars.length > 2) throw new RangeError('EF.CVCA names one or two CARs');
  const body = concatBytes(
    ...cars.map((car) =>
      encodeTlv(
        0x42,
        Uint8Array.from(car, (c) => c.charCodeAt(0)),
      ),
    ),
  );
  if (body.length > EF_CVCA.length) throw new RangeError('the CARs do not fit EF.CVCA');
  const out = new Uint8Array(EF_CVCA.length);
  out.set(body);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Commands (TR-03110-3 B.11.1, B.11.4, B.11.5, B.11.6; ISO/IEC 7816-4)

export function mseSetDst(car: string): CommandApdu {
  return { cla: 0x00, ins: 0x22, p1: 0x81, p2: 0xb6, data: referenceObject(car) };
}

export function mseSetAtTerminal(chr: string): CommandApdu {
  return { cla: 0x00, ins: 0x22, p1: 0x81, p2: 0xa4, data: referenceObject(chr) };
}

export function psoVerifyCertificate(data: Uint8Array, chained = false): CommandApdu {
  return { cla: chained ? 0x10 : 0x00, ins: 0x2a, p1: 0x00, p2: 0xbe, data };
}

export const TA_GET_CHALLENGE: CommandApdu = { cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: 8 };

export function externalAuthenticate(signature: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x82, p1: 0x00, p2: 0x00, data: signature };
}

function referenceObject(reference: string): Uint8Array {
  return encodeTlv(
    0x83,
    Uint8Array.from(reference, (c) => c.charCodeAt(0)),
  );
}

/** r_PICC: the chip's challenge, bytes. */
export const TA_CHALLENGE_LENGTH = 8;

/**
 * Comp(PK) for an EC public key (TR-03110-3 §A.2.2.3): the x coordinate of an uncompressed point
 * `04 ‖ x ‖ y`. @throws {RangeError} for anything else (our own keys never are).
 */
export function compressPublicKey(point: Uint8Array): Uint8Array {
  if (point[0] !== 0x04 || point.length < 3 || (point.length - 1) % 2 !== 0)
    throw new RangeError('Comp() takes an uncompressed point 04 ‖ x ‖ y');
  return point.slice(1, 1 + (point.length - 1) / 2);
}

/** ID_PICC after BAC: the document number and its check digit, as in the MRZ information (ASCII). */
export function idPiccAfterBac(mrzInformation: string): Uint8Array {
  // MRZ information = number ‖ check ‖ birth date ‖ check ‖ expiry date ‖ check: 14 characters after.
  return Uint8Array.from(mrzInformation.slice(0, -14), (c) => c.charCodeAt(0));
}

/** ID_PICC after PACE: Comp of the chip's ephemeral PACE public key. */
export function idPiccAfterPace(chipEphemeralPublicKey: Uint8Array): Uint8Array {
  return compressPublicKey(chipEphemeralPublicKey);
}

/** The message the terminal signs: ID_PICC ‖ r_PICC ‖ Comp(PK_PCD~). */
export function terminalAuthenticationMessage(
  idPicc: Uint8Array,
  challenge: Uint8Array,
  caTerminalPublicKey: Uint8Array,
): Uint8Array {
  return concatBytes(idPicc, challenge, compressPublicKey(caTerminalPublicKey));
}

/** The largest command data a protected short APDU carries (Lc ≤ 255 with DO87 and DO8E). */
export function maxShortCommandData(blockSize: number): number {
  for (let n = 255; n > 0; n--) {
    const padded = (Math.floor(n / blockSize) + 1) * blockSize;
    const value = padded + 1;
    const do87 = 1 + (value < 0x80 ? 1 : 2) + value;
    if (do87 + 10 <= 255) return n;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// The terminal's side

/**
 * The terminal's private key, wherever it lives (a key file, a PKCS#11 token): signs a message
 * with the algorithm of the terminal certificate's key (id-TA-ECDSA-SHA-*: hash, then ECDSA) and
 * resolves the plain r ‖ s signature. Rejects when the key cannot sign (token gone, PIN refused).
 */
export interface TerminalSigner {
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A station's EAC credentials: its certificates (CVCA, link, DV, terminal, any order) and its key. */
export interface TerminalCredentials {
  readonly certificates: readonly CvCertificate[];
  readonly signer: TerminalSigner;
}

/** Why the station cannot even try Terminal Authentication with a chip. A fixed set. */
export type TaPlanFailureReason =
  /** The credentials hold no terminal (inspection system) certificate. */
  | 'no-terminal-certificate'
  /** No chain from a CVCA the chip names (EF.CVCA) to our terminal certificate. */
  | 'no-trust-point'
  /** Our DV or terminal certificate is out of date by the station's clock: renew it. */
  | 'credentials-expired'
  /** Our chain does not verify (signature, roles, key): the credentials are misconfigured. */
  | 'credentials-invalid';

export interface TaPlanFailure {
  readonly reason: TaPlanFailureReason;
  readonly detail: string;
  /** The certificate at fault, by CHR, when one is. */
  readonly certificate?: string;
  /** The chain check's own error, when it ran. */
  readonly chain?: CvcChainError;
}

export interface TaPlan {
  /** The chip's CVCA certificate the chain starts from (the chip holds it; not sent). */
  readonly trustPoint: CvCertificate;
  /** What is sent, in order: link certificates, the DV, the terminal. */
  readonly chain: readonly CvCertificate[];
  readonly terminal: CvCertificate;
  /** The rights the chip will grant: AND of the CHATs (IS_RIGHT bits). */
  readonly rights: number;
}

export type TaPlanResult =
  | { readonly ok: true; readonly value: TaPlan }
  | { readonly ok: false; readonly error: TaPlanFailure };

/** Longest chain of link certificates followed from a trust point (CVCA generations). */
const MAX_LINKS = 4;

/**
 * Picks the chain to show a chip that names `chipCars` in EF.CVCA: from one of those CVCAs,
 * through link certificates if the DV was issued under a later generation, to the DV and our
 * terminal certificate, and checks it on `today` (YYYY-MM-DD) as the chip would, plus the dates
 * of the DV and terminal certificates by the station's clock. Never throws.
 */
export function planTerminalAuthentication(input: {
  readonly certificates: readonly CvCertificate[];
  readonly chipCars: readonly string[];
  readonly today: string;
  readonly crypto: CvcCrypto;
}): TaPlanResult {
  const { certificates, chipCars, today, crypto } = input;
  const failure = (
    reason: TaPlanFailureReason,
    detail: string,
    extra: Partial<TaPlanFailure> = {},
  ): TaPlanResult => ({
    ok: false,
    error: { reason, detail, ...extra },
  });
  const terminals = certificates
    .filter((c) => c.chat.role === 'terminal')
    // The one valid today first, then the newest.
    .sort(
      (a, b) =>
        rankTerminal(b, today) - rankTerminal(a, today) || b.effectiveDate.localeCompare(a.effectiveDate),
    );
  const terminal = terminals[0];
  if (!terminal) return failure('no-terminal-certificate', 'the credentials hold no terminal certificate');
  const dv = certificates.find(
    (c) => c.chr === terminal.car && (c.chat.role === 'dv-domestic' || c.chat.role === 'dv-foreign'),
  );
  if (!dv)
    return failure('credentials-invalid', `no DV certificate ${terminal.car} for terminal ${terminal.chr}`, {
      certificate: terminal.chr,
    });
  const cvcas = certificates.filter((c) => c.chat.role === 'cvca');
  let lastChainError: CvcChainError | undefined;
  for (const car of chipCars) {
    const trustPoint =
      cvcas.find((c) => c.chr === car && c.car === c.chr) ?? cvcas.find((c) => c.chr === car);
    if (!trustPoint) continue;
    const links = linkPath(cvcas, car, dv.car);
    if (!links) continue;
    const chain = [...links, dv, terminal];
    const verified = verifyCvcChain({ trustPoint, certificates: chain, today, crypto });
    if (verified.ok)
      return { ok: true, value: { trustPoint, chain, terminal, rights: verified.value.rights } };
    lastChainError = verified.error;
  }
  if (!lastChainError)
    return failure(
      'no-trust-point',
      `the chip trusts ${chipCars.join(' and ') || 'no CVCA'}; our DV ${dv.chr} was issued by ${dv.car} and no link certificate connects them`,
    );
  const expired = lastChainError.reason === 'expired' || lastChainError.reason === 'not-yet-effective';
  return failure(expired ? 'credentials-expired' : 'credentials-invalid', lastChainError.detail, {
    certificate: lastChainError.chr,
    chain: lastChainError,
  });
}

function rankTerminal(certificate: CvCertificate, today: string): number {
  return certificate.effectiveDate <= today && today <= certificate.expirationDate ? 1 : 0;
}

/** Link certificates from CVCA `from` to CVCA `to` (empty when they are the same), or undefined. */
function linkPath(cvcas: readonly CvCertificate[], from: string, to: string): CvCertificate[] | undefined {
  const path: CvCertificate[] = [];
  let at = from;
  for (let i = 0; i <= MAX_LINKS; i++) {
    if (at === to) return path;
    const next = cvcas.find((c) => c.car === at && c.chr !== at && !path.some((p) => p.chr === c.chr));
    if (!next) return undefined;
    path.push(next);
    at = next.chr;
  }
  return undefined;
}

/** The step of Terminal Authentication that failed. */
export type TaStep =
  | 'mse-set-dst'
  | 'verify-certificate'
  | 'mse-set-at'
  | 'get-challenge'
  | 'sign'
  | 'external-authenticate';

/** Why the chip did not accept our Terminal Authentication. A fixed set: callers switch on it. */
export type TaFailureReason =
  /** The chip refused a certificate (MSE:Set DST or PSO:Verify Certificate). */
  | 'certificate-refused'
  /** The chip refused MSE:Set AT, GET CHALLENGE or our signature (EXTERNAL AUTHENTICATE). */
  | 'authentication-refused'
  /** Our key did not sign (token missing, PIN refused). */
  | 'signer-failed';

export interface TaFailure {
  readonly reason: TaFailureReason;
  readonly step: TaStep;
  readonly statusWord?: number;
  /** The certificate being shown, by CHR, for the certificate steps. */
  readonly certificate?: string;
  readonly detail: string;
  readonly cause?: unknown;
}

export interface TaSuccess {
  readonly rights: number;
  readonly terminal: string;
  readonly trustPoint: string;
  /** Command APDUs TA took. */
  readonly apdus: number;
}

export type TaResult =
  | { readonly ok: true; readonly value: TaSuccess }
  | { readonly ok: false; readonly error: TaFailure };

export type TaSend = (
  command: CommandApdu,
  options?: { readonly extended?: boolean },
) => Promise<ResponseApdu>;

export interface TaTerminalOptions {
  readonly plan: TaPlan;
  readonly signer: TerminalSigner;
  /** ID_PICC (idPiccAfterBac / idPiccAfterPace). */
  readonly idPicc: Uint8Array;
  /** The terminal's ephemeral public key of Chip Authentication, uncompressed. */
  readonly caTerminalPublicKey: Uint8Array;
  /** Send certificates in one extended-length APDU; else command chaining of short APDUs. */
  readonly extendedLength: boolean;
  /** The session's block size (8 for 3DES, 16 for AES): sizes the chained chunks. */
  readonly blockSize: number;
}

/**
 * The terminal's side of TA v1 over `send` (under the Chip Authentication session). Never throws
 * for the chip's answers or the signer's failure; transport and secure-messaging errors from
 * `send` pass through.
 */
export async function performTerminalAuthentication(
  send: TaSend,
  options: TaTerminalOptions,
): Promise<TaResult> {
  const { plan } = options;
  let apdus = 0;
  const exchange = async (command: CommandApdu, extended?: boolean): Promise<ResponseApdu> => {
    apdus++;
    return send(command, extended ? { extended: true } : {});
  };
  const refused = (
    reason: TaFailureReason,
    step: TaStep,
    sw: number,
    detail: string,
    certificate?: string,
  ): TaResult => ({
    ok: false,
    error: { reason, step, statusWord: sw, detail, ...(certificate === undefined ? {} : { certificate }) },
  });
  for (const certificate of plan.chain) {
    const dst = await exchange(mseSetDst(certificate.car));
    if (dst.sw !== SW.OK)
      return refused(
        'certificate-refused',
        'mse-set-dst',
        dst.sw,
        `the chip does not know the key ${certificate.car}`,
        certificate.chr,
      );
    const data = cvcPsoData(certificate);
    let answer: ResponseApdu;
    if (options.extendedLength) answer = await exchange(psoVerifyCertificate(data), true);
    else {
      const chunk = maxShortCommandData(options.blockSize);
      let at = 0;
      for (;;) {
        const part = data.subarray(at, at + chunk);
        at += part.length;
        const last = at >= data.length;
        answer = await exchange(psoVerifyCertificate(part, !last));
        if (last || answer.sw !== SW.OK) break;
      }
    }
    if (answer.sw !== SW.OK)
      return refused(
        'certificate-refused',
        'verify-certificate',
        answer.sw,
        `the chip refused certificate ${certificate.chr}`,
        certificate.chr,
      );
  }
  const setAt = await exchange(mseSetAtTerminal(plan.terminal.chr));
  if (setAt.sw !== SW.OK)
    return refused(
      'authentication-refused',
      'mse-set-at',
      setAt.sw,
      `MSE:Set AT with ${plan.terminal.chr} refused`,
    );
  const challenge = await exchange(TA_GET_CHALLENGE);
  if (challenge.sw !== SW.OK || challenge.data.length !== TA_CHALLENGE_LENGTH)
    return refused(
      'authentication-refused',
      'get-challenge',
      challenge.sw,
      `GET CHALLENGE gave ${challenge.data.length} bytes`,
    );
  let signature: Uint8Array;
  try {
    signature = await options.signer.sign(
      terminalAuthenticationMessage(options.idPicc, challenge.data, options.caTerminalPublicKey),
    );
  } catch (cause) {
    return {
      ok: false,
      error: {
        reason: 'signer-failed',
        step: 'sign',
        detail: `the terminal key did not sign: ${String(cause)}`,
        cause,
      },
    };
  }
  const answer = await exchange(externalAuthenticate(signature));
  if (answer.sw !== SW.OK)
    return refused(
      'authentication-refused',
      'external-authenticate',
      answer.sw,
      'the chip refused our signature',
    );
  return {
    ok: true,
    value: { rights: plan.rights, terminal: plan.terminal.chr, trustPoint: plan.trustPoint.chr, apdus },
  };
}

// ---------------------------------------------------------------------------------------------
// The chip's side

export interface TerminalAuthenticationChipOptions {
  readonly crypto: CvcCrypto;
  /** The CVCA certificates the chip trusts, at most two, newest first (personalisation). */
  readonly trustPoints: readonly CvCertificate[];
  /** The chip's current date at personalisation, YYYY-MM-DD. */
  readonly currentDate: string;
  readonly random: (n: number) => Uint8Array;
}

export interface TaChipAnswer {
  readonly sw: number;
  readonly data?: Uint8Array;
}

/** A key the chip can verify with: a trust point, or a certificate it has just imported. */
interface ChipKey {
  readonly certificate: CvCertificate;
  readonly key: CvcKey;
  /** AND of the rights from the trust point to this certificate. */
  readonly rights: number;
}

/**
 * The chip's side of TA v1: trust points and the current date (kept across sessions), and the
 * session's progress (reset with the session). After `externalAuthenticate` succeeds,
 * `authenticatedRights` holds the rights the terminal gets until the next reset.
 */
export class TerminalAuthenticationChip {
  readonly #options: TerminalAuthenticationChipOptions;
  #trustPoints: CvCertificate[];
  #currentDate: string;
  #key: ChipKey | undefined;
  #imported: ChipKey | undefined;
  #terminal: ChipKey | undefined;
  #challenge: Uint8Array | undefined;
  #rights: number | undefined;

  constructor(options: TerminalAuthenticationChipOptions) {
    this.#options = options;
    this.#trustPoints = options.trustPoints.slice(0, 2);
    this.#currentDate = options.currentDate;
  }

  get currentDate(): string {
    return this.#currentDate;
  }

  /** The CHRs of the trust points, newest first: what EF.CVCA names. */
  get trustPointReferences(): string[] {
    return this.#trustPoints.map((c) => c.chr);
  }

  /** The rights granted by a successful TA in this session (IS_RIGHT bits), or undefined. */
  get authenticatedRights(): number | undefined {
    return this.#rights;
  }

  /** A new session (power cycle, new access control): TA must be run again. */
  reset(): void {
    this.#key = undefined;
    this.#imported = undefined;
    this.#terminal = undefined;
    this.#challenge = undefined;
    this.#rights = undefined;
  }

  /** MSE:Set DST {83 CAR}: choose the key the next certificate is verified with. */
  setDst(data: Uint8Array): TaChipAnswer {
    this.#key = undefined;
    const car = reference(data);
    if (car === undefined) return { sw: SW.WRONG_DATA };
    const imported = this.#imported;
    if (imported && imported.certificate.chr === car) {
      this.#key = imported;
      return { sw: SW.OK };
    }
    const trustPoint = this.#trustPoints.find((c) => c.chr === car);
    if (!trustPoint) return { sw: SW.REFERENCED_DATA_NOT_FOUND };
    const key = cvcKey(trustPoint, undefined);
    if (!key.ok) return { sw: SW.REFERENCE_DATA_NOT_USABLE };
    this.#key = { certificate: trustPoint, key: key.value, rights: trustPoint.chat.rights };
    return { sw: SW.OK };
  }

  /** PSO:Verify Certificate {7F4E body, 5F37 signature} (the whole data, chaining done). */
  verifyCertificate(data: Uint8Array): TaChipAnswer {
    const issuer = this.#key;
    if (!issuer) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    const decoded = decodeCvcParts(data);
    if (!decoded.ok) return { sw: SW.WRONG_DATA };
    const certificate = decoded.value;
    if (certificate.car !== issuer.certificate.chr) return { sw: SW.REFERENCED_DATA_NOT_FOUND };
    if (!issuerMayCertify(issuer.certificate.chat.role, certificate.chat.role))
      return { sw: SW.REFERENCE_DATA_NOT_USABLE };
    if (certificate.chat.terminalType !== issuer.certificate.chat.terminalType)
      return { sw: SW.REFERENCE_DATA_NOT_USABLE };
    if (verifyCvcSignature(this.#options.crypto, certificate, issuer.key) !== 'valid')
      return { sw: SW.REFERENCE_DATA_NOT_USABLE };
    if (!chipAcceptsDate(this.#currentDate, certificate)) return { sw: SW.REFERENCE_DATA_NOT_USABLE };
    const key = cvcKey(certificate, issuer.key.curve);
    if (!key.ok) return { sw: SW.REFERENCE_DATA_NOT_USABLE };
    this.#currentDate = chipDateAfter(this.#currentDate, certificate, issuer.certificate);
    const isCvca = certificate.chat.role === 'cvca';
    const imported: ChipKey = {
      certificate,
      key: key.value,
      rights: isCvca ? certificate.chat.rights : issuer.rights & certificate.chat.rights,
    };
    if (isCvca && !this.#trustPoints.some((c) => c.chr === certificate.chr))
      // A link certificate: the new CVCA key becomes a trust point (permanent import, A.6.2.1).
      this.#trustPoints = [certificate, ...this.#trustPoints].slice(0, 2);
    this.#imported = imported;
    this.#key = imported;
    return { sw: SW.OK };
  }

  /** MSE:Set AT {83 CHR}: the terminal certificate just imported. */
  setAt(data: Uint8Array): TaChipAnswer {
    this.#terminal = undefined;
    const chr = reference(data);
    if (chr === undefined) return { sw: SW.WRONG_DATA };
    const imported = this.#imported;
    if (!imported || imported.certificate.chr !== chr || imported.certificate.chat.role !== 'terminal')
      return { sw: SW.REFERENCED_DATA_NOT_FOUND };
    this.#terminal = imported;
    return { sw: SW.OK };
  }

  /** GET CHALLENGE: r_PICC, 8 bytes. */
  getChallenge(le: number | undefined): TaChipAnswer {
    if (le !== undefined && le !== TA_CHALLENGE_LENGTH && le !== 256) return { sw: SW.WRONG_LENGTH };
    this.#challenge = this.#options.random(TA_CHALLENGE_LENGTH);
    return { sw: SW.OK, data: this.#challenge };
  }

  /**
   * EXTERNAL AUTHENTICATE with the terminal's signature over ID_PICC ‖ r_PICC ‖ Comp(PK_PCD~), the
   * session giving `idPicc` and the terminal's Chip Authentication key.
   */
  externalAuthenticate(
    signature: Uint8Array,
    session: { readonly idPicc: Uint8Array; readonly caTerminalPublicKey: Uint8Array } | undefined,
  ): TaChipAnswer {
    const terminal = this.#terminal;
    const challenge = this.#challenge;
    this.#challenge = undefined;
    if (!terminal || !challenge || !session) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    let message: Uint8Array;
    try {
      message = terminalAuthenticationMessage(session.idPicc, challenge, session.caTerminalPublicKey);
    } catch {
      return { sw: SW.CONDITIONS_NOT_SATISFIED };
    }
    if (verifyTaSignature(this.#options.crypto, terminal.key, message, signature) !== 'valid')
      return { sw: SW.AUTHENTICATION_FAILED };
    this.#rights = terminal.rights;
    return { sw: SW.OK };
  }
}

function reference(data: Uint8Array): string | undefined {
  const objects = readTlvs(data, { maxNodes: 4, maxLength: 64 });
  if (!objects.ok) return undefined;
  const value = findTag(objects.value, 0x83)?.value;
  if (!value || value.length === 0 || value.length > 16 || value.some((b) => b < 0x20 || b > 0x7e))
    return undefined;
  return String.fromCharCode(...value);
}
