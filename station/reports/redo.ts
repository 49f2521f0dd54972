/**
 * Redoes the chip checks of a verification report from its embedded evidence, trusting nothing the
 * station claims: Passive Authentication (ICAO 9303-11 §5: the SOD's signature by the document
 * signer, the signer's chain to a CSCA of the reader's own trust store, the embedded data groups'
 * hashes), the station's listed hashes of the biometric groups against the hashes the issuer
 * signed in the SOD, and Active Authentication (9303-11 §6.1: the chip's signature over the
 * challenge, with DG15's key, the hash for an EC key from DG14's ActiveAuthenticationInfo).
 * Certificate validity is judged at the report's signing time (when the station read the card).
 */
import { createNodeAaCrypto } from '../../drivers/crypto/aa-node.ts';
import { createNodePaCrypto } from '../../drivers/crypto/pa-node.ts';
import { AA_CHALLENGE_LENGTH, verifyActiveAuthentication } from '../../protocol/icao9303/active-auth.ts';
import { type TrustStore, verifyPassiveAuthentication } from '../../protocol/icao9303/pa.ts';
import { decodeSecurityInfos } from '../../protocol/icao9303/security-infos.ts';
import { decodeSod, findSignerCertificate } from '../../protocol/icao9303/sod.ts';
import type { VerificationReport } from './verification-report.ts';

export interface RedoneCheck {
  /** Stable name: sod, sod-signature, document-signer, csca-chain, data-group-N, active-authentication. */
  readonly check: string;
  readonly outcome: 'passed' | 'failed' | 'not-available';
  readonly detail: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const fromHex = (text: string): Uint8Array | undefined =>
  /^(?:[0-9a-f]{2})*$/i.test(text) ? new Uint8Array(Buffer.from(text, 'hex')) : undefined;

/**
 * Every redone check, in order. `at` is when certificates must have been valid, ms since the epoch.
 * Never throws on report contents (malformed evidence is a failed check).
 */
export async function redoChipChecks(
  report: VerificationReport,
  trustStore: TrustStore,
  at: number,
): Promise<RedoneCheck[]> {
  const out: RedoneCheck[] = [];
  const evidence = report.evidence;
  const sodBytes = fromBase64(evidence.sod);
  const sod = decodeSod(sodBytes);
  if (!sod.ok) {
    out.push({ check: 'sod', outcome: 'failed', detail: `EF.SOD does not decode: ${sod.error.detail}` });
    return out;
  }
  out.push({ check: 'sod', outcome: 'passed', detail: `EF.SOD decodes (${sodBytes.length} bytes)` });

  const dataGroups = new Map<number, Uint8Array>();
  for (const [key, value] of Object.entries(evidence.dataGroups)) {
    const n = Number(key);
    if (!Number.isInteger(n) || n < 1 || n > 16 || typeof value !== 'string') {
      out.push({ check: `data-group-${key}`, outcome: 'failed', detail: 'not a data group 1-16 in base64' });
      continue;
    }
    dataGroups.set(n, fromBase64(value));
  }
  const pa = await verifyPassiveAuthentication({
    sod: sodBytes,
    dataGroups,
    trustStore,
    crypto: createNodePaCrypto(),
    clock: { now: () => at },
  });

  // The document signer the report names must be the one in the SOD.
  const signerInfo = sod.value.signedData.signerInfos[0];
  const inSod =
    signerInfo === undefined
      ? undefined
      : findSignerCertificate(signerInfo.sid, sod.value.signedData.certificates);
  if (evidence.documentSigner === null || inSod === undefined)
    out.push({
      check: 'document-signer',
      outcome: 'failed',
      detail: 'the SOD or the report carries no document signer certificate',
    });
  else
    out.push(
      hex(fromBase64(evidence.documentSigner)) === hex(inSod.der)
        ? { check: 'document-signer', outcome: 'passed', detail: inSod.subjectText }
        : {
            check: 'document-signer',
            outcome: 'failed',
            detail: "the report's document signer certificate is not the SOD's signer",
          },
    );
  out.push(
    pa.signature === 'valid'
      ? {
          check: 'sod-signature',
          outcome: 'passed',
          detail: 'the SOD signature verifies with the document signer key',
        }
      : { check: 'sod-signature', outcome: 'failed', detail: `the SOD signature is ${pa.signature}` },
  );
  const chainProblem = pa.findings.find(
    (f) => f.kind === 'unknown-issuer' || f.kind === 'certificate-expired' || f.kind === 'revoked',
  );
  out.push(
    pa.csca !== undefined && chainProblem === undefined
      ? {
          check: 'csca-chain',
          outcome: 'passed',
          detail: `${pa.documentSigner?.subject ?? '?'} ← ${pa.csca.subject}`,
        }
      : {
          check: 'csca-chain',
          outcome: 'failed',
          detail:
            chainProblem === undefined
              ? 'no CSCA in the trust store signed the document signer'
              : JSON.stringify(chainProblem),
        },
  );

  // Embedded groups: hashed here. Listed hashes (the biometric groups): compared with the SOD's.
  const signed = sod.value.ldsSecurityObject.dataGroupHashes;
  for (const n of [...dataGroups.keys()].sort((a, b) => a - b)) {
    const status = pa.dataGroups.find((d) => d.dataGroup === n)?.status ?? 'not-checked';
    out.push({
      check: `data-group-${n}`,
      outcome: status === 'match' ? 'passed' : 'failed',
      detail:
        status === 'match'
          ? `DG${n} (embedded) hashes to the value the issuer signed`
          : `DG${n} (embedded): ${status}`,
    });
  }
  for (const [key, value] of Object.entries(evidence.dataGroupHashes)) {
    const n = Number(key);
    if (dataGroups.has(n)) continue;
    const listed = typeof value === 'string' ? fromHex(value) : undefined;
    const issuer = signed.get(n as Parameters<typeof signed.get>[0]);
    if (listed === undefined || issuer === undefined)
      out.push({
        check: `data-group-${key}`,
        outcome: 'failed',
        detail: issuer === undefined ? `DG${key} is not in the SOD` : `DG${key}'s hash is not hex`,
      });
    else
      out.push(
        hex(listed) === hex(issuer)
          ? { check: `data-group-${n}`, outcome: 'passed', detail: `DG${n}'s hash as read equals the SOD's` }
          : {
              check: `data-group-${n}`,
              outcome: 'failed',
              detail: `DG${n}'s hash as read (${hex(listed)}) differs from the SOD's (${hex(issuer)}): altered data`,
            },
      );
  }

  const aa = evidence.activeAuthentication;
  const dg15 = dataGroups.get(15);
  if (aa === null || dg15 === undefined) {
    const claimed = report.chip.activeAuthentication.status === 'passed';
    out.push({
      check: 'active-authentication',
      outcome: claimed ? 'failed' : 'not-available',
      detail: claimed
        ? 'the report says Active Authentication passed but carries no challenge, signature or DG15'
        : 'Active Authentication did not run on this card',
    });
  } else {
    const challenge = fromHex(aa.challenge);
    const signature = fromHex(aa.signature);
    const dg14 = dataGroups.get(14);
    const infos = dg14 === undefined ? undefined : decodeSecurityInfos(dg14, { dg14: true });
    const aaInfo = infos?.ok ? infos.value.infos.find((i) => i.type === 'active-authentication') : undefined;
    if (challenge === undefined || signature === undefined || challenge.length !== AA_CHALLENGE_LENGTH)
      out.push({
        check: 'active-authentication',
        outcome: 'failed',
        detail: 'the challenge or signature is malformed',
      });
    else {
      const verdict = await verifyActiveAuthentication(
        {
          dg15,
          challenge,
          signature,
          ...(aaInfo?.type === 'active-authentication' && aaInfo.hash !== undefined
            ? { ecdsaHash: aaInfo.hash }
            : {}),
        },
        createNodeAaCrypto(),
      );
      out.push(
        verdict.kind === 'verified'
          ? {
              check: 'active-authentication',
              outcome: 'passed',
              detail: `the chip's ${verdict.algorithm.toUpperCase()} signature over the challenge verifies with DG15's key`,
            }
          : {
              check: 'active-authentication',
              outcome: 'failed',
              detail: `${verdict.kind}: ${verdict.detail}`,
            },
      );
    }
  }
  return out;
}
