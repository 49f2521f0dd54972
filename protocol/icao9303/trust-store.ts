/**
 * Building the CSCA trust store Passive Authentication chains to (ICAO 9303-12 §§5, 7.1.1, 9),
 * from what an operator supplies: CSCA certificates placed by hand, ICAO master lists, CRLs.
 *
 * Trust comes from two places only:
 * - **explicit**: a CSCA certificate the operator placed. These are also the default anchors for
 *   master lists: the issuing state's own CSCA (for the CCCD, Viet Nam's), obtained out of band.
 * - **a verified master list**: its CMS signature holds, its signer carries the Master List
 *   Signer extended key usage and was issued by an anchor, all within validity
 *   (pa.ts `verifyMasterList`). A list that fails is refused whole: none of its certificates
 *   enters, and certificates from one list never vouch for another list.
 *
 * Every certificate entering, from either place, must fit the CSCA profile
 * (certificate-profile.ts: cA, keyCertSign, cRLSign, no unknown critical extension, one country),
 * be within validity as of `clock`, and verify: a self-signed CSCA under its own key, a link
 * certificate (key rollover: issued by another CSCA key, told apart by issuer name or key
 * identifiers) under the CSCA that issued it when that CSCA is in the store. A link certificate
 * whose issuer is absent is taken on the strength of its source and says so
 * ('link-issuer-absent'). Nothing is dropped silently: every refusal is listed with its reason.
 *
 * Pure: signatures through the injected `PaCrypto`, time through `clock`. Never rejects on input
 * bytes; only a rejection of the injected crypto for a reason other than an unsupported algorithm
 * would propagate (the Node implementation has none).
 */
import { equalBytes, toHex } from '../bytes.ts';
import {
  type CscaDeviation,
  type CscaProfileRefusal,
  checkCscaProfile,
  decodeProfileFields,
} from './certificate-profile.ts';
import {
  type CertificateSummary,
  decodeCrl,
  decodeMasterList,
  type MasterListProblem,
  type PaCrypto,
  signatureSchemeFor,
  type TrustStore,
  verifyMasterList,
} from './pa.ts';
import { type CertificateInfo, decodeCertificate, serialHex } from './sod.ts';

/** One thing the operator supplied: a file's bytes (or one PEM block of it), named for reports. */
export interface TrustSource {
  /** A file name or path, for the load report. */
  readonly source: string;
  readonly bytes: Uint8Array;
}

export interface TrustStoreSources {
  /** CSCA certificates (DER) placed by the operator: trusted explicitly. */
  readonly certificates: readonly TrustSource[];
  /** ICAO CSCA master lists (CMS, DER). */
  readonly masterLists: readonly TrustSource[];
  /** CRLs (DER). Undefined: revocation is not configured; present (even empty): it is. */
  readonly crls?: readonly TrustSource[];
}

export interface BuildTrustStoreOptions {
  readonly crypto: PaCrypto;
  /** ms since the Unix epoch: validity of every certificate is judged at `now()`. */
  readonly clock: { now(): number };
  /**
   * The CSCAs (DER) that may issue Master List Signers. Default: the explicit certificates that
   * were accepted. Certificates that arrived in a master list are never anchors.
   */
  readonly masterListAnchors?: readonly Uint8Array[];
}

/** Why a certificate was kept out of the store. */
export type CertificateRefusal =
  | CscaProfileRefusal
  /** The bytes are not an X.509 certificate (or an extension does not decode). */
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  /** A self-signed CSCA whose signature does not verify under its own key. */
  | 'self-signature-invalid'
  /** A link certificate that the CSCA it names as issuer (present in the store) did not sign. */
  | 'link-signature-invalid'
  /** Its signature uses a scheme or curve the station's crypto does not implement. */
  | 'unsupported-algorithm';

export type TrustStoreRefusal =
  | {
      readonly kind: 'certificate';
      readonly source: string;
      readonly reason: CertificateRefusal;
      readonly detail: string;
      readonly subject?: string;
      /** Upper-case hex. */
      readonly serialNumber?: string;
    }
  | {
      readonly kind: 'master-list';
      readonly source: string;
      /** 'malformed': the bytes are not a master list; otherwise why its signature was refused. */
      readonly reason: MasterListProblem | 'malformed';
      readonly detail: string;
      readonly signer?: CertificateSummary;
    }
  | { readonly kind: 'crl'; readonly source: string; readonly reason: 'malformed'; readonly detail: string };

export interface AcceptedCsca {
  readonly source: string;
  /** explicit: placed by the operator; master-list: from a verified master list. */
  readonly origin: 'explicit' | 'master-list';
  /** self-signed: verified under its own key; link: issued by another CSCA key. */
  readonly kind: 'self-signed' | 'link';
  /** For a link verified under a CSCA in the store: that CSCA's subject. */
  readonly linkedFrom?: string;
  readonly subject: string;
  /** Upper-case hex. */
  readonly serialNumber: string;
  /** ms since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly deviations: readonly CscaDeviation[];
}

export interface AcceptedMasterList {
  readonly source: string;
  readonly signer: CertificateSummary;
  readonly anchor: CertificateSummary;
  /** Certificates the list carries, and how many of them entered the store. */
  readonly offered: number;
  readonly accepted: number;
}

export interface TrustStoreBuild {
  readonly trustStore: TrustStore;
  readonly accepted: readonly AcceptedCsca[];
  readonly refused: readonly TrustStoreRefusal[];
  readonly masterLists: readonly AcceptedMasterList[];
  /** Certificates given more than once (same DER); each is in the store once. */
  readonly duplicates: number;
}

interface Candidate {
  readonly source: string;
  readonly origin: AcceptedCsca['origin'];
  /** Which master list (index into sources.masterLists) it came from. */
  readonly list?: number;
  readonly cert: CertificateInfo;
  readonly deviations: readonly CscaDeviation[];
}

interface Admitted extends Candidate {
  readonly record: AcceptedCsca;
}

type Verified = 'valid' | 'invalid' | 'unsupported';

async function verifyIssuedBy(
  cert: CertificateInfo,
  issuer: CertificateInfo,
  crypto: PaCrypto,
): Promise<Verified> {
  const scheme = signatureSchemeFor(cert.signatureAlgorithm);
  if (scheme === undefined) return 'unsupported';
  try {
    const valid = await crypto.verifySignature({
      scheme,
      publicKey: issuer.subjectPublicKeyInfo,
      data: cert.tbs,
      signature: cert.signature,
    });
    return valid ? 'valid' : 'invalid';
  } catch {
    return 'unsupported';
  }
}

/** Self-signed: issuer name = subject name and no key identifier says another key signed it. */
function isSelfSigned(cert: CertificateInfo): boolean {
  return (
    equalBytes(cert.subject, cert.issuer) &&
    (cert.authorityKeyIdentifier === undefined ||
      cert.subjectKeyIdentifier === undefined ||
      equalBytes(cert.authorityKeyIdentifier, cert.subjectKeyIdentifier))
  );
}

/** Could `issuer` have issued `cert`: its name, and its key identifier when both carry one. */
function namesIssuer(issuer: CertificateInfo, cert: CertificateInfo): boolean {
  return (
    equalBytes(issuer.subject, cert.issuer) &&
    (issuer.subjectKeyIdentifier === undefined ||
      cert.authorityKeyIdentifier === undefined ||
      equalBytes(issuer.subjectKeyIdentifier, cert.authorityKeyIdentifier))
  );
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Builds the trust store from the operator's sources (module comment for the rules). Resolves
 * with what entered, what was refused and why, and which master lists were accepted.
 */
export async function buildTrustStore(
  sources: TrustStoreSources,
  options: BuildTrustStoreOptions,
): Promise<TrustStoreBuild> {
  const now = options.clock.now();
  const refused: TrustStoreRefusal[] = [];
  const admitted: Admitted[] = [];
  const seen = new Set<string>();
  let duplicates = 0;

  const refuseCert = (
    source: string,
    reason: CertificateRefusal,
    detail: string,
    cert?: CertificateInfo,
  ): void => {
    refused.push({
      kind: 'certificate',
      source,
      reason,
      detail,
      ...(cert ? { subject: cert.subjectText, serialNumber: serialHex(cert.serialNumber) } : {}),
    });
  };

  const admit = (candidate: Candidate, kind: AcceptedCsca['kind'], extra: Partial<AcceptedCsca> = {}) => {
    const { cert } = candidate;
    admitted.push({
      ...candidate,
      record: {
        source: candidate.source,
        origin: candidate.origin,
        kind,
        subject: cert.subjectText,
        serialNumber: serialHex(cert.serialNumber),
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        deviations: candidate.deviations,
        ...extra,
      },
    });
  };

  /** Profile, validity and (for self-signed CSCAs) signature; returns the links left to resolve. */
  const screen = async (
    entries: readonly { source: string; der: Uint8Array; decoded?: CertificateInfo }[],
    origin: AcceptedCsca['origin'],
    list?: number,
  ): Promise<Candidate[]> => {
    const links: Candidate[] = [];
    for (const { source, der, decoded: given } of entries) {
      const decoded = given === undefined ? decodeCertificate(der) : ({ ok: true, value: given } as const);
      if (!decoded.ok) {
        refuseCert(source, 'malformed', `${decoded.error.reason}: ${decoded.error.detail}`);
        continue;
      }
      const cert = decoded.value;
      const key = toHex(der);
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      seen.add(key);
      const fields = decodeProfileFields(cert);
      if (!fields.ok) {
        refuseCert(source, 'malformed', fields.error.detail, cert);
        continue;
      }
      const profile = checkCscaProfile(cert, fields.value);
      if (profile.refusal !== undefined) {
        refuseCert(source, profile.refusal, profile.detail ?? profile.refusal, cert);
        continue;
      }
      if (now < cert.notBefore || now > cert.notAfter) {
        refuseCert(
          source,
          now > cert.notAfter ? 'expired' : 'not-yet-valid',
          `valid ${iso(cert.notBefore)} to ${iso(cert.notAfter)}, now ${iso(now)}`,
          cert,
        );
        continue;
      }
      const candidate: Candidate = {
        source,
        origin,
        ...(list === undefined ? {} : { list }),
        cert,
        deviations: profile.deviations,
      };
      if (!isSelfSigned(cert)) {
        links.push(candidate);
        continue;
      }
      const self = await verifyIssuedBy(cert, cert, options.crypto);
      if (self === 'valid') admit(candidate, 'self-signed');
      else if (self === 'invalid')
        refuseCert(source, 'self-signature-invalid', 'does not verify under its own key', cert);
      else refuseCert(source, 'unsupported-algorithm', `signature ${cert.signatureAlgorithm.oid}`, cert);
    }
    return links;
  };

  /**
   * Links are verified under a CSCA already in the store, repeatedly, so a chain of rollovers
   * (old → new → newer) resolves in any order. When none is left that names a CSCA in the store,
   * the first links of what remains (those no other pending link could have issued) are taken as
   * 'link-issuer-absent', and the links they issued are then verified under them.
   */
  const resolveLinks = async (pending: Candidate[]): Promise<void> => {
    await verifyLinks(pending);
    while (pending.length > 0) {
      const roots = pending.filter((l) => !pending.some((o) => o !== l && namesIssuer(o.cert, l.cert)));
      for (const link of roots.length > 0 ? roots : [...pending]) {
        pending.splice(pending.indexOf(link), 1);
        admit(link, 'link', { deviations: [...link.deviations, 'link-issuer-absent'] });
      }
      await verifyLinks(pending);
    }
  };

  /** Verifies, until nothing changes, each pending link whose issuer is in the store. */
  const verifyLinks = async (pending: Candidate[]): Promise<void> => {
    let progress = true;
    while (progress && pending.length > 0) {
      progress = false;
      for (const link of [...pending]) {
        const issuers = admitted.filter((a) => namesIssuer(a.cert, link.cert));
        if (issuers.length === 0) continue;
        pending.splice(pending.indexOf(link), 1);
        progress = true;
        let outcome: Verified = 'invalid';
        let issuer: Admitted | undefined;
        for (const candidate of issuers) {
          const result = await verifyIssuedBy(link.cert, candidate.cert, options.crypto);
          if (result === 'valid') {
            outcome = 'valid';
            issuer = candidate;
            break;
          }
          if (result === 'unsupported') outcome = 'unsupported';
        }
        if (issuer) admit(link, 'link', { linkedFrom: issuer.cert.subjectText });
        else if (outcome === 'unsupported')
          refuseCert(
            link.source,
            'unsupported-algorithm',
            `signature ${link.cert.signatureAlgorithm.oid}`,
            link.cert,
          );
        else
          refuseCert(
            link.source,
            'link-signature-invalid',
            `issued by ${link.cert.issuerText}, whose key in the store did not sign it`,
            link.cert,
          );
      }
    }
  };

  // 1. What the operator placed.
  await resolveLinks(
    await screen(
      sources.certificates.map((s) => ({ source: s.source, der: s.bytes })),
      'explicit',
    ),
  );
  const anchors = options.masterListAnchors ?? admitted.map((a) => a.cert.der);

  // 2. Master lists, each verified against the anchors before any of its certificates is looked at.
  const verifiedLists: (Omit<AcceptedMasterList, 'accepted'> & { readonly list: number })[] = [];
  const listLinks: Candidate[] = [];
  for (const [list, { source, bytes }] of sources.masterLists.entries()) {
    const decoded = decodeMasterList(bytes);
    if (!decoded.ok) {
      refused.push({
        kind: 'master-list',
        source,
        reason: 'malformed',
        detail: `${decoded.error.reason} at ${decoded.error.offset}: ${decoded.error.detail}`,
      });
      continue;
    }
    const check = await verifyMasterList(decoded.value, {
      trustAnchors: anchors,
      crypto: options.crypto,
      clock: options.clock,
    });
    if (!check.ok) {
      refused.push({
        kind: 'master-list',
        source,
        reason: check.error.problem,
        detail: check.error.detail,
        ...(check.error.signer ? { signer: check.error.signer } : {}),
      });
      continue;
    }
    const { decoded: infos } = decoded.value;
    const entries = decoded.value.certificates.map((der, i) => ({
      source: `${source}#${i + 1}`,
      der,
      ...(infos[i] === undefined ? {} : { decoded: infos[i] }),
    }));
    listLinks.push(...(await screen(entries, 'master-list', list)));
    if (decoded.value.skipped > 0)
      refuseCert(source, 'malformed', `${decoded.value.skipped} entries of the list are not certificates`);
    verifiedLists.push({
      list,
      source,
      signer: check.signer,
      anchor: check.anchor,
      offered: decoded.value.certificates.length + decoded.value.skipped,
    });
  }
  // Links from lists may name a CSCA from any source, another list's included.
  await resolveLinks(listLinks);
  const masterLists = verifiedLists.map(({ list, ...ml }) => ({
    ...ml,
    accepted: admitted.filter((a) => a.list === list).length,
  }));

  // 3. CRLs: kept when they decode; their signatures are checked against the DS's CSCA at PA time.
  const crls: Uint8Array[] = [];
  for (const { source, bytes } of sources.crls ?? []) {
    const crl = decodeCrl(bytes);
    if (crl.ok) crls.push(bytes);
    else refused.push({ kind: 'crl', source, reason: 'malformed', detail: crl.error.detail });
  }

  const cscaCertificates = admitted.map((a) => a.cert.der);
  return {
    trustStore: sources.crls === undefined ? { cscaCertificates } : { cscaCertificates, crls },
    accepted: admitted.map((a) => a.record),
    refused,
    masterLists,
    duplicates,
  };
}

/** One line for logs and the CLI: "<source>: <kind> refused: <reason> (<detail>) [<subject>]". */
export function describeTrustRefusal(refusal: TrustStoreRefusal): string {
  const who =
    refusal.kind === 'certificate' && refusal.subject !== undefined
      ? ` [${refusal.subject}, serial ${refusal.serialNumber ?? '?'}]`
      : refusal.kind === 'master-list' && refusal.signer !== undefined
        ? ` [signer ${refusal.signer.subject}]`
        : '';
  return `${refusal.source}: ${refusal.kind} refused: ${refusal.reason} (${refusal.detail})${who}`;
}
