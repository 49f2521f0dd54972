/**
 * Memoised decoding of long-lived DER (the station's and central's certificates, the trust
 * anchors): the same bytes come with every packet, and parsing one certificate with the ASN.1
 * library costs ~0.7 ms. Keyed by the array's identity and checked byte for byte on every hit, so
 * bytes changed in place are decoded again; held weakly, so nothing outlives its bytes.
 */
import { equalBytes } from '../bytes.ts';

export class DerCache<T> {
  readonly #entries = new WeakMap<Uint8Array, { readonly der: Uint8Array; readonly value: T }>();

  /** The decoded value of `der`, from `decode` on a miss. `decode` may throw; nothing is cached then. */
  get(der: Uint8Array, decode: (der: Uint8Array) => T): T {
    const hit = this.#entries.get(der);
    if (hit && equalBytes(hit.der, der)) return hit.value;
    const value = decode(der);
    this.#entries.set(der, { der: der.slice(), value });
    return value;
  }
}
