/**
 * Test EAC PKI (BSI TR-03110-3; ICAO 9303-11 Extended Access Control): a country verifying CA
 * (CVCA) as the simulated chip's trust point, a domestic Document Verifier under it, and inspection
 * system (terminal) certificates under the DV: the normal one (DG3 and DG4, valid for a month around
 * `today`, as real terminal certificates live days to weeks), an expired one, one without the DG3
 * right; a second CVCA generation with its link certificate; and a CVCA nobody's chain reaches.
 * Keys are fresh Node EC keys (brainpoolP256r1 by default, as states mostly use); certificates are
 * written with protocol/icao9303/cvc.ts and signed by Node's ECDSA in its plain r ‖ s form.
 *
 * `writeEacTrustFolder` exports what a station needs to do Terminal Authentication: the CVCA
 * certificates (trust points and link certificates), the DV certificate, the terminal certificate
 * and its private key (PKCS#8 PEM, mode 0600).
 */
import { generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type CvCertificate,
  type CvcRole,
  decodeCvCertificate,
  encodeCvCertificate,
  encodeCvcBody,
  IS_RIGHT,
  taEcdsaOid,
} from '../../protocol/icao9303/cvc.ts';
import { curveByName, type EcCurve } from '../../protocol/icao9303/ec.ts';
import type { HashAlgorithm } from '../../protocol/icao9303/sod.ts';

/** Curves Node's OpenSSL signs on and ec.ts knows by the same name. */
export type EacCurveName = 'brainpoolP256r1' | 'brainpoolP384r1' | 'prime256v1' | 'secp384r1';

export interface EacKey {
  readonly privateKey: KeyObject;
  readonly curve: EcCurve;
  /** Uncompressed public point 04 ‖ x ‖ y. */
  readonly point: Uint8Array;
  readonly hash: HashAlgorithm;
}

export interface IssuedCvc {
  readonly certificate: CvCertificate;
  /** The whole certificate, 7F21 … */
  readonly bytes: Uint8Array;
  readonly key: EacKey;
}

const NODE_CURVE: Readonly<Record<EacCurveName, string>> = {
  brainpoolP256r1: 'brainpoolP256r1',
  brainpoolP384r1: 'brainpoolP384r1',
  prime256v1: 'prime256v1',
  secp384r1: 'secp384r1',
};

/** A fresh EC key on `curveName`, with the hash TR-03110-3 pairs with its size. */
export function createEacKey(curveName: EacCurveName = 'brainpoolP256r1'): EacKey {
  const curve = curveByName(curveName);
  if (!curve) throw new Error(`ec.ts lacks ${curveName}`);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: NODE_CURVE[curveName] });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  // The SubjectPublicKeyInfo ends with the BIT STRING's uncompressed point.
  const point = spki.slice(spki.length - (1 + 2 * curve.fieldBytes));
  return { privateKey, curve, point, hash: curve.fieldBytes > 32 ? 'sha384' : 'sha256' };
}

/** Plain r ‖ s over `message` with `key` (TR-03111 §5.2.1), as Terminal Authentication signs. */
export function signPlain(key: EacKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(key.hash, message, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }));
}

export interface IssueOptions {
  readonly car: string;
  readonly chr: string;
  readonly role: CvcRole;
  readonly rights: number;
  readonly effectiveDate: string;
  readonly expirationDate: string;
  /** The holder's key (default: a fresh one on the issuer's curve). */
  readonly key?: EacKey;
}

/**
 * A certificate for `options.key` signed with `issuerKey` (the holder's own key for a self-signed
 * CVCA certificate). CVCA certificates carry their domain parameters; others do not (D.3.3).
 */
export function issueCvc(issuerKey: EacKey | 'self', options: IssueOptions): IssuedCvc {
  const key =
    options.key ??
    createEacKey(issuerKey === 'self' ? 'brainpoolP256r1' : (issuerKey.curve.name as EacCurveName));
  const signer = issuerKey === 'self' ? key : issuerKey;
  const body = encodeCvcBody({
    car: options.car,
    chr: options.chr,
    publicKey: {
      oid: taEcdsaOid(key.hash),
      point: key.point,
      ...(options.role === 'cvca' ? { curve: key.curve } : {}),
    },
    chat: { role: options.role, rights: options.rights },
    effectiveDate: options.effectiveDate,
    expirationDate: options.expirationDate,
  });
  const bytes = encodeCvCertificate(body, signPlain(signer, body));
  const decoded = decodeCvCertificate(bytes);
  if (!decoded.ok)
    throw new Error(`the test PKI wrote a certificate that does not decode: ${decoded.error.detail}`);
  return { certificate: decoded.value, bytes, key };
}

/** YYYY-MM-DD `days` after `iso` (UTC). */
export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The EAC PKI every TA scenario needs. */
export interface TestEacPki {
  /** The chip's trust point: self-signed, DG3 and DG4, ten years from `today` − 1 year. */
  readonly cvca: IssuedCvc;
  /** A domestic DV under the CVCA: DG3 and DG4, three months. */
  readonly dv: IssuedCvc;
  /** The station's terminal: DG3 and DG4, valid from `today` − 1 day for 30 days. */
  readonly terminal: IssuedCvc;
  /** The same DV's terminal whose certificate expired yesterday (valid for 30 days before). */
  readonly expiredTerminal: IssuedCvc;
  /** A terminal certificate granting DG4 (iris) only. */
  readonly noDg3Terminal: IssuedCvc;
  /** The next CVCA generation, and the link certificate that makes it reachable from `cvca`. */
  readonly nextCvca: IssuedCvc;
  readonly link: IssuedCvc;
  /** A CVCA of another generation the station holds no chain to (ta-wrong-cvca). */
  readonly otherCvca: IssuedCvc;
  /** The date the PKI was made for, YYYY-MM-DD. */
  readonly today: string;
}

export const EAC_REFERENCES = {
  cvca: 'VNCVCA00001',
  nextCvca: 'VNCVCA00002',
  otherCvca: 'VNCVCA00009',
  dv: 'VNDVCCCD00001',
  terminal: 'VNNOTARY00001',
  expiredTerminal: 'VNNOTARY00000',
  noDg3Terminal: 'VNIRIS00001',
} as const;

/**
 * A fresh EAC PKI for `today` (YYYY-MM-DD), about 10 ms. The terminal certificates are short-lived
 * on purpose: a station renews them through its DV (docs/eac.md).
 */
export function createTestEacPki(today: string, curve: EacCurveName = 'brainpoolP256r1'): TestEacPki {
  const r = EAC_REFERENCES;
  const all = IS_RIGHT.readDg3 | IS_RIGHT.readDg4;
  const cvcaKey = createEacKey(curve);
  const cvca = issueCvc('self', {
    car: r.cvca,
    chr: r.cvca,
    role: 'cvca',
    rights: all,
    effectiveDate: addDays(today, -365),
    expirationDate: addDays(today, 9 * 365),
    key: cvcaKey,
  });
  const dv = issueCvc(cvcaKey, {
    car: r.cvca,
    chr: r.dv,
    role: 'dv-domestic',
    rights: all,
    effectiveDate: addDays(today, -30),
    expirationDate: addDays(today, 60),
  });
  const terminal = issueCvc(dv.key, {
    car: r.dv,
    chr: r.terminal,
    role: 'terminal',
    rights: all,
    effectiveDate: addDays(today, -1),
    expirationDate: addDays(today, 29),
  });
  const expiredTerminal = issueCvc(dv.key, {
    car: r.dv,
    chr: r.expiredTerminal,
    role: 'terminal',
    rights: all,
    effectiveDate: addDays(today, -31),
    expirationDate: addDays(today, -1),
  });
  const noDg3Terminal = issueCvc(dv.key, {
    car: r.dv,
    chr: r.noDg3Terminal,
    role: 'terminal',
    rights: IS_RIGHT.readDg4,
    effectiveDate: addDays(today, -1),
    expirationDate: addDays(today, 29),
  });
  const nextKey = createEacKey(curve);
  const nextCvca = issueCvc('self', {
    car: r.nextCvca,
    chr: r.nextCvca,
    role: 'cvca',
    rights: all,
    effectiveDate: today,
    expirationDate: addDays(today, 10 * 365),
    key: nextKey,
  });
  const link = issueCvc(cvcaKey, {
    car: r.cvca,
    chr: r.nextCvca,
    role: 'cvca',
    rights: all,
    effectiveDate: today,
    expirationDate: addDays(today, 10 * 365),
    key: nextKey,
  });
  const otherCvca = issueCvc('self', {
    car: r.otherCvca,
    chr: r.otherCvca,
    role: 'cvca',
    rights: all,
    effectiveDate: addDays(today, -365),
    expirationDate: addDays(today, 9 * 365),
  });
  return { cvca, dv, terminal, expiredTerminal, noDg3Terminal, nextCvca, link, otherCvca, today };
}

/** The folder layout `station card read --terminal DIR` reads (station/cards/terminal-credentials.ts). */
export const EAC_FOLDER = {
  /** CVCA certificates: trust points and link certificates. */
  cvcaPrefix: 'cvca-',
  dv: 'dv.cvcert',
  terminal: 'terminal.cvcert',
  terminalKey: 'terminal.key',
} as const;

/**
 * Writes the station's EAC credentials into `dir`: `cvca-<CHR>.cvcert` for the CVCA certificate and
 * the link certificate, `dv.cvcert`, `terminal.cvcert` and `terminal.key` (PKCS#8 PEM, mode 0600) of
 * `terminal` (default the normal one). Returns the paths written.
 */
export async function writeEacTrustFolder(
  dir: string,
  pki: TestEacPki,
  terminal: IssuedCvc = pki.terminal,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, Uint8Array | string][] = [
    [`${EAC_FOLDER.cvcaPrefix}${pki.cvca.certificate.chr}.cvcert`, pki.cvca.bytes],
    [
      `${EAC_FOLDER.cvcaPrefix}${pki.link.certificate.car}-${pki.link.certificate.chr}.cvcert`,
      pki.link.bytes,
    ],
    [EAC_FOLDER.dv, pki.dv.bytes],
    [EAC_FOLDER.terminal, terminal.bytes],
  ];
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    written.push(file);
  }
  const keyFile = path.join(dir, EAC_FOLDER.terminalKey);
  await writeFile(keyFile, terminal.key.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  await chmod(keyFile, 0o600);
  written.push(keyFile);
  return written;
}
