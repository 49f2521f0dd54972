/** ECDSA signature encodings: PKCS#11 and WebCrypto give raw r‖s; CMS and X.509 carry DER. */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * Converts a raw r‖s ECDSA P-256 signature (PKCS#11 CKM_ECDSA, WebCrypto) to DER Ecdsa-Sig-Value
 * (SEC 1 §C.8 / RFC 5480: SEQUENCE { r INTEGER, s INTEGER }).
 * @throws {RangeError} when `raw` is not 64 bytes.
 */
export function rawEcdsaToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 64) throw new RangeError(`a P-256 r‖s signature is 64 bytes, got ${raw.length}`);
  const der = new x509.AsnEcSignatureFormatter().toAsnSignature(P256, raw.slice().buffer);
  if (der === null) throw new TypeError('cannot convert the ECDSA signature to DER');
  return new Uint8Array(der);
}

/**
 * Converts DER Ecdsa-Sig-Value to raw r‖s (64 bytes for P-256).
 * @throws {Error} when `der` is not an Ecdsa-Sig-Value.
 */
export function derEcdsaToRaw(der: Uint8Array): Uint8Array {
  const raw = new x509.AsnEcSignatureFormatter().toWebSignature(P256, der.slice().buffer);
  if (raw === null) throw new TypeError('cannot convert the ECDSA signature to r‖s');
  return new Uint8Array(raw);
}
