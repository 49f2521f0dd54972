/**
 * `PaCrypto` (protocol/icao9303/pa.ts) on Node's `node:crypto` (OpenSSL 3.0), and a loader for a
 * CSCA trust-store folder.
 *
 * OpenSSL 3.0 verifies RSA PKCS#1 v1.5, RSA-PSS (MGF1 with the message hash: Node has no option
 * for a different MGF1 hash, so that combination is reported as unsupported), and ECDSA on the
 * NIST and brainpool curves (`crypto.getCurves()` lists brainpoolP256r1 … P512r1/t1), with named
 * or explicit domain parameters in the SubjectPublicKeyInfo. ECDSA signatures are DER in CMS and
 * X.509 (`dsaEncoding: 'der'`) and r‖s for BSI plain ECDSA (`'ieee-p1363'`).
 */
import { constants, createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeCrl,
  decodeMasterList,
  type PaCrypto,
  type SignatureCheck,
  type TrustStore,
} from '../../protocol/icao9303/pa.ts';
import { decodeCertificate, type HashAlgorithm } from '../../protocol/icao9303/sod.ts';
import { parseTree } from '../../protocol/iso7816/tlv.ts';

const NODE_HASH: Readonly<Record<HashAlgorithm, string>> = {
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};

/** Thrown (as a rejection) for a scheme, curve or key this OpenSSL cannot verify. */
export class PaCryptoUnsupportedError extends Error {
  override readonly name = 'PaCryptoUnsupportedError';
  readonly code = 'PA_CRYPTO_UNSUPPORTED';
}

/** True when `spki` is at least shaped like SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID … }, BIT STRING }. */
function looksLikeSpki(spki: Uint8Array): boolean {
  const tree = parseTree(spki, { maxDepth: 8, maxNodes: 200 });
  if (!tree.ok || tree.value.length !== 1) return false;
  const [alg, key] = tree.value[0]?.children ?? [];
  return alg?.tag === 0x30 && alg.children[0]?.tag === 0x06 && key?.tag === 0x03;
}

function importKey(spki: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    // A well-formed key OpenSSL refuses (an unknown curve or algorithm) is unsupported, not false.
    if (looksLikeSpki(spki))
      throw new PaCryptoUnsupportedError(
        `OpenSSL cannot load this public key: ${error instanceof Error ? error.message : String(error)}`,
      );
    return undefined;
  }
}

function verifyWith(check: SignatureCheck, key: KeyObject): boolean {
  const { scheme } = check;
  const type = key.asymmetricKeyType;
  const data = Buffer.from(check.data);
  const signature = Buffer.from(check.signature);
  switch (scheme.kind) {
    case 'rsa-pkcs1-v1_5':
      if (type !== 'rsa') return false;
      return verify(NODE_HASH[scheme.hash], data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    case 'rsa-pss':
      if (type !== 'rsa' && type !== 'rsa-pss') return false;
      if (scheme.mgf1Hash !== scheme.hash)
        throw new PaCryptoUnsupportedError(`RSA-PSS with MGF1-${scheme.mgf1Hash} and ${scheme.hash}`);
      return verify(
        NODE_HASH[scheme.hash],
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
        signature,
      );
    case 'ecdsa':
      if (type !== 'ec') return false;
      return verify(
        NODE_HASH[scheme.hash],
        data,
        { key, dsaEncoding: scheme.encoding === 'der' ? 'der' : 'ieee-p1363' },
        signature,
      );
  }
}

/** The Node implementation of `PaCrypto`. */
export function createNodePaCrypto(): PaCrypto {
  return {
    async digest(algorithm, data) {
      return new Uint8Array(createHash(NODE_HASH[algorithm]).update(data).digest());
    },
    async verifySignature(check) {
      const key = importKey(check.publicKey);
      if (key === undefined) return false;
      try {
        return verifyWith(check, key);
      } catch (error) {
        if (error instanceof PaCryptoUnsupportedError) throw error;
        return false; // a malformed signature (bad DER, wrong length) is a failed check
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Trust-store folder

export interface TrustStoreLoad {
  readonly trustStore: TrustStore;
  /** Files that were skipped, with why. */
  readonly problems: readonly { readonly file: string; readonly reason: string }[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function pemBlocks(text: string): { label: string; der: Uint8Array }[] {
  const out: { label: string; der: Uint8Array }[] = [];
  for (const match of text.matchAll(PEM_BLOCK))
    out.push({
      label: match[1] ?? '',
      der: new Uint8Array(Buffer.from((match[2] ?? '').replace(/\s+/g, ''), 'base64')),
    });
  return out;
}

/**
 * Reads a CSCA trust-store folder (not recursive): `*.pem`, `*.crt`, `*.cer`, `*.der` certificates
 * (PEM may hold several; `.crt`/`.cer` may be PEM or DER; `.der` one), `*.crl` CRLs (PEM or DER) and `*.ml` ICAO master lists, whose
 * CSCA certificates are added. A master list's own signature is not checked here: use
 * `verifyMasterList` when the list did not come through a trusted channel.
 * Rejects only when the folder cannot be read; bad files are listed in `problems`.
 * `crls` is present in the result only when the folder has at least one `.crl` file.
 */
export async function loadTrustStoreFolder(dir: string): Promise<TrustStoreLoad> {
  const names = (await readdir(dir)).sort();
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const problems: { file: string; reason: string }[] = [];
  let sawCrlFile = false;
  for (const name of names) {
    const file = path.join(dir, name);
    const ext = path.extname(name).toLowerCase();
    if (!['.pem', '.crt', '.cer', '.der', '.crl', '.ml'].includes(ext)) continue;
    const bytes = new Uint8Array(await readFile(file));
    const text = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
    const blocks = text.includes('-----BEGIN')
      ? pemBlocks(new TextDecoder('latin1').decode(bytes))
      : undefined;
    if (ext === '.ml') {
      const ml = decodeMasterList(bytes);
      if (!ml.ok) problems.push({ file, reason: `master list: ${ml.error.reason}: ${ml.error.detail}` });
      else {
        certificates.push(...ml.value.certificates);
        if (ml.value.skipped > 0)
          problems.push({ file, reason: `${ml.value.skipped} certificates did not decode` });
      }
      continue;
    }
    if (ext === '.crl') {
      sawCrlFile = true;
      const ders = blocks ? blocks.filter((b) => b.label === 'X509 CRL').map((b) => b.der) : [bytes];
      for (const der of ders) {
        if (decodeCrl(der).ok) crls.push(der);
        else problems.push({ file, reason: 'not a CRL' });
      }
      continue;
    }
    if (ext === '.pem' && blocks === undefined) {
      problems.push({ file, reason: 'no PEM block' });
      continue;
    }
    const ders = blocks ? blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.der) : [bytes];
    if (ders.length === 0) problems.push({ file, reason: 'no CERTIFICATE block' });
    for (const der of ders) {
      const cert = decodeCertificate(der);
      if (cert.ok) certificates.push(der);
      else problems.push({ file, reason: `certificate: ${cert.error.reason}: ${cert.error.detail}` });
    }
  }
  return {
    trustStore: sawCrlFile ? { cscaCertificates: certificates, crls } : { cscaCertificates: certificates },
    problems,
  };
}
