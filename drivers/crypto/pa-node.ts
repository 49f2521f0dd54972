/**
 * `PaCrypto` (protocol/icao9303/pa.ts) on Node's `node:crypto` (OpenSSL 3.0), and the loader of a
 * CSCA trust-store folder (files in, protocol/icao9303/trust-store.ts decides what is trusted).
 *
 * OpenSSL 3.0 verifies RSA PKCS#1 v1.5, RSA-PSS (MGF1 with the message hash: Node has no option
 * for a different MGF1 hash, so that combination is reported as unsupported), and ECDSA on the
 * NIST and brainpool curves (`crypto.getCurves()` lists brainpoolP256r1 … P512r1/t1), with named
 * or explicit domain parameters in the SubjectPublicKeyInfo. ECDSA signatures are DER in CMS and
 * X.509 (`dsaEncoding: 'der'`) and r‖s for BSI plain ECDSA (`'ieee-p1363'`).
 */
import { constants, createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PaCrypto, SignatureCheck } from '../../protocol/icao9303/pa.ts';
import type { HashAlgorithm } from '../../protocol/icao9303/sod.ts';
import {
  buildTrustStore,
  type TrustSource,
  type TrustStoreBuild,
  type TrustStoreRefusal,
} from '../../protocol/icao9303/trust-store.ts';
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

export interface TrustStoreLoadOptions {
  /** Certificate validity is judged at `now()` (ms since the epoch). Default: the system clock. */
  readonly clock?: { now(): number };
  /** Default: `createNodePaCrypto()`. */
  readonly crypto?: PaCrypto;
  /**
   * The CSCAs (DER) that may vouch for master lists. Default: the CSCA certificate files of the
   * folder that were accepted (protocol/icao9303/trust-store.ts).
   */
  readonly masterListAnchors?: readonly Uint8Array[];
}

/** What a folder gave: the store, and every certificate, list and CRL accepted or refused. */
export interface TrustStoreLoad extends TrustStoreBuild {
  readonly dir: string;
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

/** A file refused before its contents could be judged. */
function fileRefusal(ext: string, source: string, detail: string): TrustStoreRefusal {
  if (ext === '.ml') return { kind: 'master-list', source, reason: 'malformed', detail };
  if (ext === '.crl') return { kind: 'crl', source, reason: 'malformed', detail };
  return { kind: 'certificate', source, reason: 'malformed', detail };
}

/** Largest file read from a trust-store folder, bytes (a full ICAO master list is about 1 MB). */
const MAX_TRUST_FILE = 16 * 1024 * 1024;

/**
 * Reads a CSCA trust-store folder (not recursive) and builds the store with
 * `buildTrustStore` (protocol/icao9303/trust-store.ts), which checks every certificate's CSCA
 * profile, validity and signature, and each master list's signature against the anchors:
 * - `*.pem`, `*.crt`, `*.cer`, `*.der`: CSCA certificates the operator trusts explicitly (PEM may
 *   hold several; `.crt`/`.cer` may be PEM or DER; `.der` one); by default also the anchors
 *   that master lists must chain to;
 * - `*.ml`: ICAO CSCA master lists (DER CMS), taken only when their signer verifies;
 * - `*.crl`: CRLs (PEM or DER); `crls` is in the store only when the folder has a `.crl` file.
 * Other files are ignored. Rejects only when the folder or a file cannot be read; everything
 * refused is listed in `refused` with its reason, never dropped silently.
 */
export async function loadTrustStoreFolder(
  dir: string,
  options: TrustStoreLoadOptions = {},
): Promise<TrustStoreLoad> {
  const names = (await readdir(dir)).sort();
  const certificates: TrustSource[] = [];
  const masterLists: TrustSource[] = [];
  const crls: TrustSource[] = [];
  const unreadable: TrustStoreRefusal[] = [];
  let sawCrlFile = false;
  for (const name of names) {
    const file = path.join(dir, name);
    const ext = path.extname(name).toLowerCase();
    if (!['.pem', '.crt', '.cer', '.der', '.crl', '.ml'].includes(ext)) continue;
    const size = (await stat(file)).size;
    if (size > MAX_TRUST_FILE) {
      unreadable.push(fileRefusal(ext, file, `${size} bytes; at most ${MAX_TRUST_FILE}`));
      continue;
    }
    const bytes = new Uint8Array(await readFile(file));
    if (ext === '.ml') {
      masterLists.push({ source: file, bytes });
      continue;
    }
    const text = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
    const blocks = text.includes('-----BEGIN')
      ? pemBlocks(new TextDecoder('latin1').decode(bytes))
      : undefined;
    const wanted = ext === '.crl' ? 'X509 CRL' : 'CERTIFICATE';
    const ders = blocks ? blocks.filter((b) => b.label === wanted).map((b) => b.der) : [bytes];
    const target = ext === '.crl' ? crls : certificates;
    if (ext === '.crl') sawCrlFile = true;
    if (ext === '.pem' && blocks === undefined) {
      unreadable.push(fileRefusal(ext, file, 'no PEM block'));
      continue;
    }
    if (ders.length === 0) unreadable.push(fileRefusal(ext, file, `no ${wanted} block`));
    for (const [i, der] of ders.entries())
      target.push({ source: ders.length > 1 ? `${file}[${i + 1}]` : file, bytes: der });
  }
  const built = await buildTrustStore(
    { certificates, masterLists, ...(sawCrlFile ? { crls } : {}) },
    {
      crypto: options.crypto ?? createNodePaCrypto(),
      clock: options.clock ?? { now: () => Date.now() },
      ...(options.masterListAnchors === undefined ? {} : { masterListAnchors: options.masterListAnchors }),
    },
  );
  return { ...built, refused: [...unreadable, ...built.refused], dir };
}
