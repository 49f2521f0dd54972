/**
 * The station certificate: reading PEM/DER files, the checks before one is installed, and the
 * summary `station keys show` prints.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { KeyError } from './errors.ts';
import { samePublicKey } from './station-key.ts';

/** A certificate file holds a handful of certificates; anything larger is not one. */
export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;
const DAY_MS = 86_400_000;

/**
 * Reads every certificate in a file: PEM (one or more "BEGIN CERTIFICATE" blocks) or one DER.
 * @returns DER certificates, in file order (at least one).
 * @throws {KeyError} KEY_FILE_UNREADABLE; CERT_INVALID when the file holds no certificate.
 */
export async function readCertificateFile(file: string): Promise<Uint8Array[]> {
  let bytes: Uint8Array;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_CERTIFICATE_FILE_BYTES)
      throw new KeyError(
        'CERT_INVALID',
        `${file} is ${stat.size} bytes; a certificate file is at most 1 MiB`,
        { file },
      );
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (cause) {
    if (cause instanceof KeyError) throw cause;
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new KeyError(
      'KEY_FILE_UNREADABLE',
      `The certificate file ${file} ${missing ? 'does not exist' : `cannot be read (${String(cause)})`}`,
      { file, cause },
    );
  }
  return parseCertificates(bytes, file);
}

/**
 * Parses PEM or DER certificate bytes.
 * @throws {KeyError} CERT_INVALID naming `source`.
 */
export function parseCertificates(bytes: Uint8Array, source: string): Uint8Array[] {
  const text = new TextDecoder('latin1').decode(bytes);
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  const ders =
    blocks.length > 0
      ? blocks.map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')))
      : text.includes('-----BEGIN')
        ? []
        : [bytes];
  if (ders.length === 0)
    throw new KeyError(
      'CERT_INVALID',
      `${source} holds no "BEGIN CERTIFICATE" block; give a PEM or DER X.509 certificate`,
      {
        file: source,
      },
    );
  for (const der of ders) {
    try {
      new x509.X509Certificate(der);
    } catch (cause) {
      throw new KeyError(
        'CERT_INVALID',
        `${source} is not an X.509 certificate (PEM or DER): ${String(cause)}`,
        {
          file: source,
          cause,
        },
      );
    }
  }
  return ders;
}

export function certificateToPem(ders: readonly Uint8Array[]): string {
  return `${ders.map((der) => new x509.X509Certificate(der).toString('pem')).join('\n')}\n`;
}

/** SHA-256 of the DER, upper-case hex pairs separated by ':' (as `openssl x509 -fingerprint` prints). */
export function fingerprintSha256(der: Uint8Array): string {
  return (createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? []).join(':');
}

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** Hex, as in the certificate. */
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly fingerprintSha256: string;
  /** Whole days until notAfter (negative once expired). */
  readonly daysToExpiry: number;
}

export function describeCertificate(der: Uint8Array, now: Date): CertificateSummary {
  const cert = new x509.X509Certificate(der);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    fingerprintSha256: fingerprintSha256(der),
    daysToExpiry: Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS),
  };
}

function isSelfSigned(cert: x509.X509Certificate): boolean {
  return cert.subject === cert.issuer;
}

/**
 * Checks a certificate before it becomes the station's: within validity at `now`, the
 * digitalSignature key usage (RFC 5280 §4.2.1.3; a certificate without the extension is refused, since
 * a signing certificate must say what it is for), and, when `ca` is given, signed by a chain that
 * ends at one of the `ca` certificates. The key match is checked by the caller (it knows which keys
 * qualify).
 * @returns the intermediates between the certificate and the trust anchor, DER, nearest first.
 * @throws {KeyError} CERT_NOT_YET_VALID, CERT_EXPIRED, CERT_KEY_USAGE, CERT_NOT_CHAINED.
 */
export async function checkStationCertificate(
  der: Uint8Array,
  options: { readonly ca?: readonly Uint8Array[]; readonly now: Date },
): Promise<Uint8Array[]> {
  const cert = new x509.X509Certificate(der);
  const { now } = options;
  if (now < cert.notBefore)
    throw new KeyError(
      'CERT_NOT_YET_VALID',
      `The certificate is valid only from ${cert.notBefore.toISOString()} (now ${now.toISOString()}); check the station's clock, or wait.`,
    );
  if (now > cert.notAfter)
    throw new KeyError(
      'CERT_EXPIRED',
      `The certificate expired on ${cert.notAfter.toISOString()}; ask the CA for a new one (station keys create-csr).`,
    );
  // By OID, then parsed: the class lookup misses an extension parsed as a plain Extension.
  const usageExtension = cert.getExtension('2.5.29.15');
  const usage = usageExtension === null ? null : new x509.KeyUsagesExtension(usageExtension.rawData);
  if (usage === null || (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0)
    throw new KeyError(
      'CERT_KEY_USAGE',
      `The certificate ${usage === null ? 'has no key usage extension' : 'lacks the digitalSignature key usage'}; packets are signed with it, so the CA must issue it with keyUsage = digitalSignature.`,
    );
  if (options.ca === undefined) return [];

  const anchors = options.ca.map((c) => new x509.X509Certificate(c));
  const chain = await new x509.X509ChainBuilder({ certificates: anchors }).build(cert);
  // Each link is checked here, not only found: the builder matches names and key identifiers.
  const top = chain[chain.length - 1];
  const reached = top !== undefined && chain.length > 1 && anchors.some((a) => a.equal(top));
  let linked = reached;
  for (let i = 0; linked && i + 1 < chain.length; i++) {
    const child = chain[i];
    const parent = chain[i + 1];
    if (child === undefined || parent === undefined) break;
    linked =
      child.issuer === parent.subject &&
      (await child.verify({ publicKey: parent.publicKey, signatureOnly: true }));
  }
  if (!linked)
    throw new KeyError(
      'CERT_NOT_CHAINED',
      `The certificate (issuer "${cert.issuer}") is not signed by the given CA (${anchors.map((a) => `"${a.subject}"`).join(', ')}); ` +
        'give the CA that issued it with --ca (intermediates and root in one PEM file).',
    );
  return chain
    .slice(1)
    .filter((c) => !isSelfSigned(c))
    .map((c) => new Uint8Array(c.rawData));
}

/** Whether the certificate carries `spki`'s public key. */
export function certificateMatchesKey(der: Uint8Array, spki: Uint8Array): boolean {
  return samePublicKey(new Uint8Array(new x509.X509Certificate(der).publicKey.rawData), spki);
}
