/**
 * The seam between enrollment packets (protocol/packet) and where the station's and the central
 * service's keys live (station/keys: a file, or a PKCS#11 token). protocol/ never sees a private
 * key: it asks a `PacketSigner` to sign and a `PacketDecryptor` to unwrap, so a key held in hardware
 * never leaves it.
 */

/**
 * The station's signing key and its certificate (issue 17: ECDSA P-256 with SHA-256).
 * Implemented by station/keys for a key file and for a PKCS#11 token.
 */
export interface PacketSigner {
  /** The signer's X.509 certificate, DER. */
  readonly certificate: Uint8Array;
  /** Certificates between the signer's and a trust anchor, DER, nearest first (may be empty). */
  readonly chain: readonly Uint8Array[];
  /**
   * Signs `data` (in CMS: the DER of the SignedAttributes as a SET) with ECDSA P-256 over its
   * SHA-256, and resolves the signature as DER `Ecdsa-Sig-Value` (SEQUENCE { r, s }), as CMS and
   * X.509 carry it. A token that answers raw r‖s (PKCS#11 CKM_ECDSA) is converted by its adapter.
   * Rejects when the key cannot sign (token removed, PIN locked), with the adapter's typed error.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * The recipient's key-transport key (the central service's RSA key): unwraps a content-encryption
 * key encrypted with RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label).
 */
export interface PacketDecryptor {
  /** The recipient's X.509 certificate, DER (its issuer and serial name it in RecipientInfo). */
  readonly certificate: Uint8Array;
  /** Resolves the unwrapped key bytes; rejects for a key that does not decrypt (wrong recipient). */
  unwrapKey(encryptedKey: Uint8Array): Promise<Uint8Array>;
}
