/**
 * The ICAO 9303-12 certificate profiles (§7.1.1, and ICAO's "Checks against Doc 9303 applied to
 * PKD uploads") that decide what a certificate may do in Passive Authentication:
 *
 * | extension          | CSCA (self-signed or link)         | Document Signer       | Master List Signer                  |
 * |--------------------|------------------------------------|-----------------------|-------------------------------------|
 * | basicConstraints   | critical, cA TRUE, pathLen 0       | no cA                 | no cA                               |
 * | keyUsage           | critical, keyCertSign + cRLSign    | critical, digitalSig. | critical, digitalSignature          |
 * | extendedKeyUsage   | absent                             | absent                | critical, id-icao-cscaMasterListSigningKey 2.23.136.1.1.3 |
 * | issuer country     | = subject country                  | = subject country     | = subject country                   |
 *
 * Pure: reads the extensions of a decoded certificate (sod.ts `CertificateInfo`) from its
 * tbsCertificate bytes. What a profile breaks is split in two: a `refusal` (the certificate
 * cannot serve in that role: a CSCA that is not a CA, or cannot sign certificates) and
 * `deviations` (9303-12 says otherwise, but real issuers ship it and it changes nothing a
 * verifier relies on: a constraint not marked critical, an extra key usage bit). RFC 5280 §4.2:
 * a certificate with a critical extension we do not understand is refused.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  ExtendedKeyUsage,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_issuerAltName,
  id_ce_keyUsage,
  id_ce_privateKeyUsagePeriod,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { parseTree, type TlvNode } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import { type CertificateInfo, decodeOidValue } from './sod.ts';

/** ICAO object identifiers of the 9303-12 PKI (§7.1.1, §9). */
export const ICAO_PKI_OID = {
  /** id-icao-cscaMasterListSigningKey: the extended key usage of a Master List Signer. */
  cscaMasterListSigningKey: '2.23.136.1.1.3',
  /** id-icao-mrtd-security-extensions-nameChange: a link certificate to a CSCA with a new name. */
  nameChange: '2.23.136.1.1.6.1',
  /** id-icao-mrtd-security-extensions-documentTypeList: the document types a DS may sign. */
  documentTypeList: '2.23.136.1.1.6.2',
} as const;

/** RFC 5280 §4.2.1.3, bit 0 first. */
export type KeyUsageBit =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: readonly KeyUsageBit[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/** Extensions a verifier here understands; any other one marked critical refuses the certificate. */
const UNDERSTOOD: ReadonlySet<string> = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_privateKeyUsagePeriod,
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_subjectAltName,
  id_ce_issuerAltName,
  ICAO_PKI_OID.nameChange,
  ICAO_PKI_OID.documentTypeList,
]);

export interface CertificateProfileFields {
  readonly basicConstraints?: {
    readonly cA: boolean;
    readonly pathLength?: number;
    readonly critical: boolean;
  };
  readonly keyUsage?: { readonly bits: readonly KeyUsageBit[]; readonly critical: boolean };
  readonly extendedKeyUsage?: { readonly purposes: readonly string[]; readonly critical: boolean };
  /** Critical extensions not in the list above (RFC 5280 §4.2). */
  readonly unknownCritical: readonly string[];
  /** The countryName (2.5.4.6) of subject and issuer, upper case; undefined when absent. */
  readonly subjectCountry?: string;
  readonly issuerCountry?: string;
}

function bitsOf(bitString: Uint8Array): KeyUsageBit[] {
  return KEY_USAGE_BITS.filter((_, i) => (((bitString[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) === 1);
}

/** countryName (2.5.4.6) of a Name node (SEQUENCE OF SET OF { OID, string }), upper case. */
function countryOf(name: TlvNode | undefined): string | undefined {
  for (const rdn of name?.children ?? [])
    for (const atv of rdn.children) {
      const [type, value] = atv.children;
      if (type?.tag === 0x06 && value !== undefined && decodeOidValue(type.value) === COUNTRY_NAME)
        return String.fromCharCode(...value.value.subarray(0, 8))
          .trim()
          .toUpperCase();
    }
  return undefined;
}

const COUNTRY_NAME = '2.5.4.6';

/**
 * The profile fields of an already decoded certificate, read from its tbsCertificate:
 * ```
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber, signature, issuer,
 *   validity, subject, subjectPublicKeyInfo, issuerUniqueID [1] OPTIONAL,
 *   subjectUniqueID [2] OPTIONAL, extensions [3] EXPLICIT SEQUENCE OF Extension OPTIONAL }
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 *   extnValue OCTET STRING }                                            -- RFC 5280 §4.1
 * ```
 * Walked with the bounded TLV reader; only the small extension values go through asn1-x509.
 * Errors: `invalid-value` when the extensions are malformed, one this module reads does not
 * decode, or one extension appears twice (RFC 5280 §4.2); `too-large`/`truncated` from the walk.
 */
export function decodeProfileFields(cert: CertificateInfo): DecodeResult<CertificateProfileFields> {
  const tree = parseTree(cert.tbs, { maxDepth: 16, maxNodes: 4000 });
  if (!tree.ok) return tree;
  const tbs = tree.value[0];
  if (tbs?.tag !== 0x30) return fail('invalid-value', 0, 'tbsCertificate is a SEQUENCE');
  const k = tbs.children[0]?.tag === 0xa0 ? 1 : 0;
  const wrapper = tbs.children.find((c) => c.tag === 0xa3);
  const list = wrapper?.children[0];
  if (wrapper !== undefined && (list?.tag !== 0x30 || wrapper.children.length !== 1))
    return fail('invalid-value', wrapper.offset, 'extensions [3] is one SEQUENCE');
  const seen = new Set<string>();
  const unknownCritical: string[] = [];
  let basicConstraints: CertificateProfileFields['basicConstraints'];
  let keyUsage: CertificateProfileFields['keyUsage'];
  let extendedKeyUsage: CertificateProfileFields['extendedKeyUsage'];
  for (const ext of list?.children ?? []) {
    const [idNode, second, third, extra] = ext.children;
    const id = idNode?.tag === 0x06 ? decodeOidValue(idNode.value) : undefined;
    const hasCritical = second?.tag === 0x01;
    const valueNode = hasCritical ? third : second;
    if (
      ext.tag !== 0x30 ||
      id === undefined ||
      extra !== undefined ||
      (!hasCritical && third !== undefined) ||
      (hasCritical && second.value.length !== 1) ||
      valueNode?.tag !== 0x04
    )
      return fail('invalid-value', ext.offset, 'Extension is { extnID, [critical], extnValue }');
    if (seen.has(id)) return fail('invalid-value', ext.offset, `extension ${id} appears twice`);
    seen.add(id);
    const critical = hasCritical && second.value[0] !== 0;
    const value = valueNode.value.slice();
    try {
      if (id === id_ce_basicConstraints) {
        const bc = AsnConvert.parse(value, BasicConstraints);
        basicConstraints = {
          cA: bc.cA === true,
          ...(bc.pathLenConstraint === undefined ? {} : { pathLength: bc.pathLenConstraint }),
          critical,
        };
      } else if (id === id_ce_keyUsage) {
        // KeyUsage ::= BIT STRING: tag 03, length, unused-bits count, then the bits (RFC 5280 §4.2.1.3).
        if (value[0] !== 0x03 || value.length < 3 || value[1] !== value.length - 2 || (value[2] ?? 8) > 7)
          return fail('invalid-value', valueNode.offset, 'keyUsage is not a short BIT STRING');
        keyUsage = { bits: bitsOf(value.subarray(3)), critical };
      } else if (id === id_ce_extKeyUsage) {
        extendedKeyUsage = { purposes: [...AsnConvert.parse(value, ExtendedKeyUsage)], critical };
      } else if (critical && !UNDERSTOOD.has(id)) unknownCritical.push(id);
    } catch (error) {
      return fail('invalid-value', valueNode.offset, `extension ${id} does not decode: ${String(error)}`);
    }
  }
  const issuerCountry = countryOf(tbs.children[k + 2]);
  const subjectCountry = countryOf(tbs.children[k + 4]);
  return ok({
    ...(basicConstraints ? { basicConstraints } : {}),
    ...(keyUsage ? { keyUsage } : {}),
    ...(extendedKeyUsage ? { extendedKeyUsage } : {}),
    unknownCritical,
    ...(subjectCountry === undefined ? {} : { subjectCountry }),
    ...(issuerCountry === undefined ? {} : { issuerCountry }),
  });
}

// ---------------------------------------------------------------------------------------------
// CSCA

/** Why a certificate cannot be a CSCA (or a CSCA link certificate) in the trust store. */
export type CscaProfileRefusal =
  /** basicConstraints absent, or cA FALSE: the certificate may not issue certificates. */
  | 'not-a-ca'
  /** No keyUsage extension: 9303-12 makes it mandatory for a CSCA. */
  | 'key-usage-missing'
  /** keyUsage without keyCertSign: the key may not sign Document Signer certificates. */
  | 'no-key-cert-sign'
  /** keyUsage without cRLSign: the key may not sign the CRLs that revoke its DSs. */
  | 'no-crl-sign'
  /** A critical extension this verifier does not implement (RFC 5280 §4.2). */
  | 'unknown-critical-extension'
  /** The issuer's countryName differs from the subject's: a cross-certificate, not a CSCA. */
  | 'country-mismatch';

/** Where a CSCA departs from 9303-12 without losing the ability to vouch for a DS. */
export type CscaDeviation =
  | 'basic-constraints-not-critical'
  | 'key-usage-not-critical'
  /** pathLenConstraint absent or above 1 (9303-12: 0; 0 or 1 for some link certificates). */
  | 'path-length'
  /** keyUsage bits other than keyCertSign and cRLSign. */
  | 'extra-key-usage'
  /** An extendedKeyUsage, which 9303-12 forbids for a CSCA. */
  | 'extended-key-usage-present'
  | 'subject-key-identifier-missing'
  /** A link certificate whose issuing CSCA is not in the store: trusted for where it came from. */
  | 'link-issuer-absent';

export interface CscaProfile {
  /** The first reason it cannot be a CSCA, or undefined. */
  readonly refusal?: CscaProfileRefusal;
  /** What went wrong, for the load report. */
  readonly detail?: string;
  readonly deviations: readonly CscaDeviation[];
}

/** Checks a CSCA certificate's profile (no signature, no dates: trust-store.ts does those). */
export function checkCscaProfile(cert: CertificateInfo, fields: CertificateProfileFields): CscaProfile {
  const deviations: CscaDeviation[] = [];
  const refuse = (refusal: CscaProfileRefusal, detail: string): CscaProfile => ({
    refusal,
    detail,
    deviations,
  });
  const bc = fields.basicConstraints;
  if (bc === undefined) return refuse('not-a-ca', 'no basicConstraints extension');
  if (!bc.cA) return refuse('not-a-ca', 'basicConstraints cA is FALSE');
  const ku = fields.keyUsage;
  if (ku === undefined) return refuse('key-usage-missing', 'no keyUsage extension');
  if (!ku.bits.includes('keyCertSign'))
    return refuse('no-key-cert-sign', `keyUsage is ${ku.bits.join(', ') || 'empty'}`);
  if (!ku.bits.includes('cRLSign')) return refuse('no-crl-sign', `keyUsage is ${ku.bits.join(', ')}`);
  if (fields.unknownCritical.length > 0)
    return refuse('unknown-critical-extension', fields.unknownCritical.join(', '));
  if (
    fields.subjectCountry !== undefined &&
    fields.issuerCountry !== undefined &&
    fields.subjectCountry !== fields.issuerCountry
  )
    return refuse('country-mismatch', `issuer C=${fields.issuerCountry}, subject C=${fields.subjectCountry}`);
  if (!bc.critical) deviations.push('basic-constraints-not-critical');
  if (!ku.critical) deviations.push('key-usage-not-critical');
  if (bc.pathLength === undefined || bc.pathLength > 1) deviations.push('path-length');
  if (ku.bits.some((b) => b !== 'keyCertSign' && b !== 'cRLSign')) deviations.push('extra-key-usage');
  if (fields.extendedKeyUsage !== undefined) deviations.push('extended-key-usage-present');
  if (cert.subjectKeyIdentifier === undefined) deviations.push('subject-key-identifier-missing');
  return { deviations };
}

/**
 * True when `cert` may sign certificates: basicConstraints cA TRUE and keyUsage keyCertSign
 * (both present). Passive Authentication asks this of the CSCA it chains a DS to, whatever
 * built the trust store. False when the extensions do not decode.
 */
export function canIssueCertificates(cert: CertificateInfo): boolean {
  const fields = decodeProfileFields(cert);
  return (
    fields.ok &&
    fields.value.basicConstraints?.cA === true &&
    fields.value.keyUsage?.bits.includes('keyCertSign') === true
  );
}

/** True when `cert` carries keyUsage with digitalSignature (9303-12 DS and Master List Signer). */
export function canSignContent(fields: CertificateProfileFields): boolean {
  return fields.keyUsage?.bits.includes('digitalSignature') === true;
}
