/**
 * Which scanners the station believes: a device's certificate (FPSCAN GET_INFO field 0x09) must be
 * issued by one of the trusted device CAs and be valid now. The verified public key then checks
 * every RESULT signature (FPSCAN section 4.7).
 */
import { type KeyObject, verify, X509Certificate } from 'node:crypto';
import { UntrustedDeviceError } from '../errors.ts';

export interface VerifiedDevice {
  readonly publicKey: KeyObject;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
}

export class DeviceTrustStore {
  readonly #cas: X509Certificate[];

  /** @param caCertificates DER or PEM of each trusted device CA. */
  constructor(caCertificates: readonly (Uint8Array | string)[]) {
    this.#cas = caCertificates.map((c) => new X509Certificate(typeof c === 'string' ? c : Buffer.from(c)));
  }

  get size(): number {
    return this.#cas.length;
  }

  /**
   * @param nowMs the wall clock, ms since the epoch (injected)
   * @throws {UntrustedDeviceError} when the certificate does not parse, is not issued by a trusted
   *   CA (name and signature), or is outside its validity period.
   */
  verifyDevice(der: Uint8Array, nowMs: number, devicePath?: string): VerifiedDevice {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(der));
    } catch (cause) {
      throw new UntrustedDeviceError('The scanner sent a certificate that does not parse as X.509', {
        devicePath,
        cause,
      });
    }
    const issuer = this.#cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!issuer)
      throw new UntrustedDeviceError(
        `The scanner's certificate (${cert.subject.replaceAll('\n', ', ')}) is not issued by a trusted device CA; add its vendor CA to the trust store`,
        { devicePath },
      );
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (!(nowMs >= from && nowMs <= to))
      throw new UntrustedDeviceError(
        `The scanner's certificate is valid from ${cert.validFrom} to ${cert.validTo}, not now`,
        {
          devicePath,
        },
      );
    return {
      publicKey: cert.publicKey,
      subject: cert.subject,
      issuer: cert.issuer,
      serialNumber: cert.serialNumber,
    };
  }
}

/** ECDSA-SHA256 check of a DER signature; false for a malformed signature, never throws. */
export function verifyEcdsa(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, publicKey, signature);
  } catch {
    return false;
  }
}
