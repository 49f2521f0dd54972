/**
 * The CSCA trust store (ICAO 9303-12 §§5, 7.1.1, 9): certificate profiles
 * (protocol/icao9303/certificate-profile.ts), master-list signatures (pa.ts verifyMasterList),
 * building the store (trust-store.ts), Passive Authentication against it, and the station's
 * loaders (drivers/crypto/pa-node.ts, station/compose/cards.ts). Real DER throughout: made by
 * simulators/pki/csca.ts, plus three real CSCA certificates (AT, DE, CN), verified with the Node
 * crypto and an injected clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePaCrypto, loadTrustStoreFolder } from '../../../drivers/crypto/pa-node.ts';
import { checkCscaProfile, decodeProfileFields } from '../../../protocol/icao9303/certificate-profile.ts';
import {
  decodeMasterList,
  type PaReport,
  type TrustStore,
  verifyMasterList,
  verifyPassiveAuthentication,
} from '../../../protocol/icao9303/pa.ts';
import { decodeCertificate, decodeSignedData, OID } from '../../../protocol/icao9303/sod.ts';
import {
  buildTrustStore,
  describeTrustRefusal,
  type TrustSource,
  type TrustStoreBuild,
  type TrustStoreSources,
} from '../../../protocol/icao9303/trust-store.ts';
import { unwrap } from '../../../protocol/result.ts';
import { InProcessPcsc } from '../../../simulators/card/in-process-pcsc.ts';
import { buildLds, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import {
  type Csca,
  type CscaProfileFaults,
  createCrl,
  createCsca,
  createMasterList,
  createTestPki,
  type DocumentSigner,
  issueDocumentSigner,
  issueLinkCertificate,
  issueMasterListSigner,
  MASTER_LIST_SIGNING_KEY_OID,
  type TestPki,
  writeTrustStoreFolder,
} from '../../../simulators/pki/csca.ts';
import { createCardCommand } from '../../../station/cli/commands/card.ts';
import { composeCardReader } from '../../../station/compose/cards.ts';
import { parseConfig } from '../../../station/config/load.ts';
import { recordingIo } from '../../support/cli.ts';

const seed = Number(process.env.FC_SEED ?? 20261207);
const crypto = createNodePaCrypto();
/** Inside the simulated CSCAs (2024–2038), DSs (2025–2035) and list signers (2025–2029). */
const JUNE_2026 = Date.UTC(2026, 5, 1);
const clock = { now: () => JUNE_2026 };

let pki: TestPki;
/** A second state's CSCA, which Viet Nam's master list vouches for. */
let laos: Csca;
let laosSigner: DocumentSigner;

beforeAll(async () => {
  pki = await createTestPki('ecdsa-p256');
  laos = await createCsca({ country: 'LA', commonName: 'CSCA Laos (simulated)' });
  laosSigner = await issueDocumentSigner(laos);
});

const src = (source: string, bytes: Uint8Array): TrustSource => ({ source, bytes });

function build(sources: Partial<TrustStoreSources>, now = JUNE_2026): Promise<TrustStoreBuild> {
  return buildTrustStore(
    { certificates: [], masterLists: [], ...sources },
    { crypto, clock: { now: () => now } },
  );
}

/** Passive Authentication of a fresh card signed by `ds`, against `trustStore`. */
function paOf(ds: DocumentSigner, trustStore: TrustStore, now = JUNE_2026): Promise<PaReport> {
  const lds = buildLds(SAMPLE_PERSON, { documentSigner: ds });
  return verifyPassiveAuthentication({
    sod: lds.sod,
    dataGroups: lds.dataGroups,
    trustStore,
    crypto,
    clock: { now: () => now },
  });
}

/** The refusals as (source, kind, reason), the part a test can state exactly. */
const reasons = (b: { refused: TrustStoreBuild['refused'] }) =>
  b.refused.map((r) => ({ source: r.source, kind: r.kind, reason: r.reason }));

function fromBase64(lines: readonly string[]): Uint8Array {
  return new Uint8Array(Buffer.from(lines.join(''), 'base64'));
}

describe('CSCA profile (9303-12 §7.1.1)', () => {
  it.each(['AT', 'DE', 'CN'] as const)(
    'the real %s CSCA fits it: cA with pathLen 0, keyCertSign + cRLSign, both critical, one country',
    (country) => {
      const cert = unwrap(decodeCertificate(REAL_CSCAS[country]));
      const fields = unwrap(decodeProfileFields(cert));
      expect(fields).toEqual({
        basicConstraints: { cA: true, pathLength: 0, critical: true },
        keyUsage: { bits: ['keyCertSign', 'cRLSign'], critical: true },
        unknownCritical: [],
        subjectCountry: country,
        issuerCountry: country,
      });
      expect(checkCscaProfile(cert, fields)).toEqual({ deviations: [] });
    },
  );

  it('mutated certificates give a profile or a typed error, never a throw', () => {
    const original = REAL_CSCAS.DE;
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bytes = original.slice();
        bytes[i] = (bytes[i] ?? 0) ^ x;
        const cert = decodeCertificate(bytes);
        if (!cert.ok) return;
        const fields = decodeProfileFields(cert.value);
        if (fields.ok) checkCscaProfile(cert.value, fields.value);
        else
          expect(['invalid-value', 'truncated', 'too-large', 'unsupported']).toContain(fields.error.reason);
      }),
      { seed, numRuns: 150 },
    );
  });

  it('the simulated Document and Master List Signers carry what 9303-12 asks of them', async () => {
    const ds = unwrap(decodeProfileFields(unwrap(decodeCertificate(pki.documentSigner.certificate))));
    expect(ds).toMatchObject({ keyUsage: { bits: ['digitalSignature'], critical: true } });
    expect(ds.basicConstraints).toBeUndefined();
    expect(ds.extendedKeyUsage).toBeUndefined();
    const mls = await issueMasterListSigner(pki.csca);
    expect(unwrap(decodeProfileFields(unwrap(decodeCertificate(mls.certificate))))).toMatchObject({
      keyUsage: { bits: ['digitalSignature'], critical: true },
      extendedKeyUsage: { purposes: ['2.23.136.1.1.3'], critical: true },
    });
  });

  const FAULTS: readonly [string, string, CscaProfileFaults][] = [
    ['cA FALSE', 'not-a-ca', { basicConstraints: 'not-ca' }],
    ['no basicConstraints', 'not-a-ca', { basicConstraints: 'absent' }],
    ['no keyUsage', 'key-usage-missing', { keyUsage: 'absent' }],
    ['keyUsage without keyCertSign', 'no-key-cert-sign', { keyUsage: ['cRLSign', 'digitalSignature'] }],
    ['keyUsage without cRLSign', 'no-crl-sign', { keyUsage: ['keyCertSign'] }],
    [
      'an unknown critical extension',
      'unknown-critical-extension',
      { unknownCriticalExtension: '1.3.6.1.4.1.99999.1' },
    ],
  ];

  it.each(FAULTS)(
    'a CSCA with %s is refused as %s and reported; the good one beside it enters',
    async (_, reason, faults) => {
      const bad = await createCsca({ faults });
      const built = await build({
        certificates: [src('bad.pem', bad.certificate), src('vn.pem', pki.csca.certificate)],
      });
      expect(reasons(built)).toEqual([{ source: 'bad.pem', kind: 'certificate', reason }]);
      expect(built.refused[0]).toMatchObject({ subject: expect.stringContaining('CN=CSCA Viet Nam') });
      expect(built.trustStore.cscaCertificates).toEqual([pki.csca.certificate]);
      // A card signed under the refused CSCA does not verify: nothing else has its key.
      const report = await paOf(await issueDocumentSigner(bad), built.trustStore);
      expect(report.verdict).toMatchObject({ kind: 'unknown-issuer', problem: 'no-matching-csca' });
    },
  );

  it('constraints not marked critical and extra key usage bits are deviations: accepted, and listed', async () => {
    const loose = await createCsca({
      faults: {
        basicConstraints: 'not-critical',
        keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
        keyUsageNotCritical: true,
      },
    });
    const built = await build({ certificates: [src('loose.pem', loose.certificate)] });
    expect(built.refused).toEqual([]);
    expect(built.accepted).toEqual([
      expect.objectContaining({
        source: 'loose.pem',
        origin: 'explicit',
        kind: 'self-signed',
        deviations: ['basic-constraints-not-critical', 'key-usage-not-critical', 'extra-key-usage'],
      }),
    ]);
  });

  it('expired, not yet valid, or with a broken self-signature: refused', async () => {
    const old = await createCsca({ notBefore: new Date(Date.UTC(2005, 0, 1)), validDays: 10 * 365 });
    const future = await createCsca({ notBefore: new Date(Date.UTC(2030, 0, 1)) });
    const forged = pki.csca.certificate.slice();
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0x01; // the signature's last byte
    const built = await build({
      certificates: [
        src('old.pem', old.certificate),
        src('future.pem', future.certificate),
        src('forged.pem', forged),
      ],
    });
    expect(reasons(built)).toEqual([
      { source: 'old.pem', kind: 'certificate', reason: 'expired' },
      { source: 'future.pem', kind: 'certificate', reason: 'not-yet-valid' },
      { source: 'forged.pem', kind: 'certificate', reason: 'self-signature-invalid' },
    ]);
    expect(built.trustStore.cscaCertificates).toEqual([]);
  });

  it('a certificate that is no CSCA at all (a DS, a list signer, garbage) is refused, not dropped', async () => {
    const mls = await issueMasterListSigner(pki.csca);
    const built = await build({
      certificates: [
        src('ds.pem', pki.documentSigner.certificate),
        src('mls.pem', mls.certificate),
        src('junk.der', Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)),
      ],
    });
    expect(reasons(built)).toEqual([
      { source: 'ds.pem', kind: 'certificate', reason: 'not-a-ca' },
      { source: 'mls.pem', kind: 'certificate', reason: 'not-a-ca' },
      { source: 'junk.der', kind: 'certificate', reason: 'malformed' },
    ]);
  });
});

describe('self-signed CSCAs and link certificates', () => {
  it('a link certificate (key rollover) enters under the CSCA that signed it, whatever the order; a DS of the new key verifies', async () => {
    const next = await createCsca({ notBefore: new Date(Date.UTC(2026, 0, 1)) });
    const newer = await createCsca({ notBefore: new Date(Date.UTC(2026, 2, 1)) });
    const link1 = await issueLinkCertificate(pki.csca, next);
    const link2 = await issueLinkCertificate(next, newer);
    const built = await build({
      certificates: [src('link2.pem', link2), src('link1.pem', link1), src('vn.pem', pki.csca.certificate)],
    });
    expect(built.refused).toEqual([]);
    expect(built.accepted.map((a) => [a.source, a.kind, a.deviations])).toEqual([
      ['vn.pem', 'self-signed', []],
      ['link1.pem', 'link', []],
      ['link2.pem', 'link', []],
    ]);
    expect(built.accepted[1]?.linkedFrom).toBe(built.accepted[0]?.subject);
    // Neither new key's self-signed certificate is in the store: the links carry them.
    expect((await paOf(await issueDocumentSigner(newer), built.trustStore)).verdict).toEqual({
      kind: 'valid',
    });
  });

  it('a link that names a CSCA in the store but was signed by another key is refused', async () => {
    const next = await createCsca({ notBefore: new Date(Date.UTC(2026, 0, 1)) });
    const forged = await issueLinkCertificate(pki.csca, next, { signWith: pki.unknownCsca });
    const built = await build({
      certificates: [src('vn.pem', pki.csca.certificate), src('forged.pem', forged)],
    });
    expect(reasons(built)).toEqual([
      { source: 'forged.pem', kind: 'certificate', reason: 'link-signature-invalid' },
    ]);
    const report = await paOf(await issueDocumentSigner(next), built.trustStore);
    expect(report.verdict.kind).toBe('unknown-issuer');
  });

  it('a link whose issuing CSCA is absent is taken for its source, and says so', async () => {
    const next = await createCsca({ notBefore: new Date(Date.UTC(2026, 0, 1)) });
    const built = await build({
      certificates: [src('link.pem', await issueLinkCertificate(pki.csca, next))],
    });
    expect(built.accepted).toEqual([
      expect.objectContaining({ kind: 'link', deviations: ['link-issuer-absent'] }),
    ]);
    expect(built.accepted[0]?.linkedFrom).toBeUndefined();
  });

  it('links from an absent issuer: the first is taken for its source, the next is verified under it', async () => {
    const next = await createCsca({ notBefore: new Date(Date.UTC(2026, 0, 1)) });
    const newer = await createCsca({ notBefore: new Date(Date.UTC(2026, 2, 1)) });
    const forged = await issueLinkCertificate(next, newer, { signWith: pki.unknownCsca });
    const built = await build({
      certificates: [
        src('forged.pem', forged),
        src('link2.pem', await issueLinkCertificate(next, newer)),
        src('link1.pem', await issueLinkCertificate(pki.csca, next)),
      ],
    });
    expect(reasons(built)).toEqual([
      { source: 'forged.pem', kind: 'certificate', reason: 'link-signature-invalid' },
    ]);
    expect(built.accepted.map((a) => [a.source, a.deviations])).toEqual([
      ['link1.pem', ['link-issuer-absent']],
      ['link2.pem', []],
    ]);
  });

  it('a cross-certificate from another state is refused (issuer and subject countries differ)', async () => {
    const built = await build({
      certificates: [
        src('la.pem', laos.certificate),
        src('cross.pem', await issueLinkCertificate(laos, pki.csca)),
      ],
    });
    expect(reasons(built)).toEqual([
      { source: 'cross.pem', kind: 'certificate', reason: 'country-mismatch' },
    ]);
  });

  it('the real CSCAs: DE (brainpool) and CN (RSA 4096) verify under their own keys; AT is a link from an absent key', async () => {
    const built = await build(
      {
        certificates: [
          src('at.der', REAL_CSCAS.AT),
          src('de.der', REAL_CSCAS.DE),
          src('cn.der', REAL_CSCAS.CN),
        ],
      },
      Date.UTC(2024, 5, 1),
    );
    expect(built.refused).toEqual([]);
    expect(built.accepted.map((a) => [a.source, a.kind, a.deviations])).toEqual([
      ['de.der', 'self-signed', []],
      ['cn.der', 'self-signed', []],
      ['at.der', 'link', ['link-issuer-absent']],
    ]);
  });

  it('the same certificate twice is in the store once, and counted', async () => {
    const built = await build({
      certificates: [src('a.pem', pki.csca.certificate), src('b.pem', pki.csca.certificate)],
    });
    expect(built.trustStore.cscaCertificates).toHaveLength(1);
    expect(built.duplicates).toBe(1);
    expect(built.refused).toEqual([]);
  });
});

describe('master lists (9303-12 §9)', () => {
  let thai: Csca;
  /** Viet Nam's list of the Lao and Thai CSCAs, signed by a Master List Signer under its CSCA. */
  let list: Uint8Array;
  const anchor = () => src('vn.pem', pki.csca.certificate);

  beforeAll(async () => {
    thai = await createCsca({ country: 'TH', commonName: 'CSCA Thailand (simulated)' });
    list = await createMasterList(pki.csca, [laos.certificate, thai.certificate]);
  });

  it('a list whose signer chains to the anchor: its CSCAs enter, and a Lao card verifies', async () => {
    const built = await build({ certificates: [anchor()], masterLists: [src('vn.ml', list)] });
    expect(built.refused).toEqual([]);
    expect(built.masterLists).toEqual([
      {
        source: 'vn.ml',
        signer: expect.objectContaining({ subject: expect.stringContaining('CN=Master List Signer') }),
        anchor: expect.objectContaining({ subject: expect.stringContaining('CN=CSCA Viet Nam') }),
        offered: 2,
        accepted: 2,
      },
    ]);
    expect(
      built.accepted.filter((a) => a.origin === 'master-list').map((a) => a.subject.replace(/.*CN=/, '')),
    ).toEqual(expect.arrayContaining(['CSCA Laos (simulated)', 'CSCA Thailand (simulated)']));
    expect((await paOf(laosSigner, built.trustStore)).verdict).toEqual({ kind: 'valid' });
  });

  /** Flips one byte inside the signed content (the CscaMasterList), after signing. */
  function tamper(bytes: Uint8Array): Uint8Array {
    const out = bytes.slice();
    const eContent = unwrap(decodeSignedData(out, [OID.cscaMasterList], 1 << 20)).eContent;
    const at = eContent.byteOffset - out.byteOffset + eContent.length - 40;
    out[at] = (out[at] ?? 0) ^ 0x01;
    return out;
  }

  const REFUSED: readonly [string, () => Promise<Uint8Array>, string][] = [
    ['altered after signing', async () => tamper(list), 'message-digest-mismatch'],
    [
      'with a corrupted signature',
      () => createMasterList(pki.csca, [laos.certificate], { corruptSignature: true }),
      'signature-invalid',
    ],
    [
      'signed under a CSCA nobody trusts (same name, another key)',
      () => createMasterList(pki.unknownCsca, [laos.certificate]),
      'signer-untrusted',
    ],
    [
      'whose signer lacks the master-list extended key usage',
      async () =>
        createMasterList(pki.csca, [laos.certificate], {
          signer: await issueMasterListSigner(pki.csca, { omitExtendedKeyUsage: true }),
        }),
      'signer-not-master-list-signer',
    ],
    [
      'signed by a Document Signer',
      () => createMasterList(pki.csca, [laos.certificate], { signer: pki.documentSigner }),
      'signer-not-master-list-signer',
    ],
    [
      'whose signer may not make signatures (keyUsage nonRepudiation only)',
      async () =>
        createMasterList(pki.csca, [laos.certificate], {
          signer: await issueDocumentSigner(pki.csca, {
            keyUsage: ['nonRepudiation'],
            extendedKeyUsage: [MASTER_LIST_SIGNING_KEY_OID],
          }),
        }),
      'signer-key-usage',
    ],
    [
      'whose signer has expired',
      async () =>
        createMasterList(pki.csca, [laos.certificate], {
          signer: await issueMasterListSigner(pki.csca, {
            notBefore: new Date(Date.UTC(2024, 0, 1)),
            validDays: 365,
          }),
        }),
      'signer-expired',
    ],
    [
      'whose signer is not valid yet',
      async () =>
        createMasterList(pki.csca, [laos.certificate], {
          signer: await issueMasterListSigner(pki.csca, { notBefore: new Date(Date.UTC(2027, 0, 1)) }),
        }),
      'signer-not-yet-valid',
    ],
  ];

  it.each(REFUSED)('a list %s is refused whole: none of its CSCAs enters', async (_, make, reason) => {
    const built = await build({ certificates: [anchor()], masterLists: [src('vn.ml', await make())] });
    expect(reasons(built)).toEqual([{ source: 'vn.ml', kind: 'master-list', reason }]);
    expect(built.masterLists).toEqual([]);
    expect(built.trustStore.cscaCertificates).toEqual([pki.csca.certificate]);
    expect((await paOf(laosSigner, built.trustStore)).verdict).toMatchObject({ kind: 'unknown-issuer' });
  });

  it('without an anchor no list is trusted; an explicit anchor list replaces the default', async () => {
    const alone = await build({ masterLists: [src('vn.ml', list)] });
    expect(reasons(alone)).toEqual([{ source: 'vn.ml', kind: 'master-list', reason: 'no-anchor' }]);
    expect((await paOf(laosSigner, alone.trustStore)).verdict).toMatchObject({
      kind: 'not-checked',
      reason: 'no-trust-store',
    });
    const other = await buildTrustStore(
      { certificates: [anchor()], masterLists: [src('vn.ml', list)] },
      { crypto, clock, masterListAnchors: [thai.certificate] },
    );
    expect(reasons(other)).toEqual([{ source: 'vn.ml', kind: 'master-list', reason: 'signer-untrusted' }]);
  });

  it('a CSCA that came in a list never vouches for another list', async () => {
    const byLaos = await createMasterList(laos, [thai.certificate]);
    const built = await build({
      certificates: [anchor()],
      masterLists: [src('vn.ml', await createMasterList(pki.csca, [laos.certificate])), src('la.ml', byLaos)],
    });
    expect(reasons(built)).toEqual([{ source: 'la.ml', kind: 'master-list', reason: 'signer-untrusted' }]);
    expect(built.accepted.map((a) => a.subject)).not.toContainEqual(expect.stringContaining('Thailand'));
  });

  it('inside a verified list, each certificate still passes the CSCA checks on its own', async () => {
    const notCa = await createCsca({ country: 'KH', faults: { basicConstraints: 'not-ca' } });
    const expired = await createCsca({
      country: 'MM',
      notBefore: new Date(Date.UTC(2005, 0, 1)),
      validDays: 3650,
    });
    const mixed = await createMasterList(pki.csca, [
      laos.certificate,
      notCa.certificate,
      expired.certificate,
    ]);
    const built = await build({ certificates: [anchor()], masterLists: [src('vn.ml', mixed)] });
    expect(built.masterLists).toMatchObject([{ source: 'vn.ml', offered: 3, accepted: 1 }]);
    expect(built.refused.map((r) => [r.kind, r.reason, r.source.startsWith('vn.ml#')]).sort()).toEqual([
      ['certificate', 'expired', true],
      ['certificate', 'not-a-ca', true],
    ]);
  });

  it('verifyMasterList names the signer and the anchor it chained to', async () => {
    const check = await verifyMasterList(unwrap(decodeMasterList(list)), {
      trustAnchors: [pki.csca.certificate],
      crypto,
      clock,
    });
    expect(check).toEqual({
      ok: true,
      signer: expect.objectContaining({ subject: expect.stringContaining('Master List Signer') }),
      anchor: expect.objectContaining({ serialNumber: expect.stringMatching(/^[0-9A-F]+$/) }),
    });
  });

  it('a list mutated anywhere is refused, or (outside what is signed) gives exactly the same CSCAs', async () => {
    const good = await build({ certificates: [anchor()], masterLists: [src('vn.ml', list)] });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: list.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const bad = list.slice();
        bad[i] = (bad[i] ?? 0) ^ x;
        const built = await build({ certificates: [anchor()], masterLists: [src('vn.ml', bad)] });
        if (built.masterLists.length === 1)
          expect(built.trustStore.cscaCertificates).toEqual(good.trustStore.cscaCertificates);
        else {
          expect(reasons(built)).toEqual([
            { source: 'vn.ml', kind: 'master-list', reason: expect.any(String) },
          ]);
          expect(built.trustStore.cscaCertificates).toEqual([pki.csca.certificate]);
        }
      }),
      { seed, numRuns: 100 },
    );
  });

  it('whatever bytes are given, every source is accounted for and nothing throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        async (cert, ml, crl) => {
          const built = await build({
            certificates: [src('c', cert)],
            masterLists: [src('m', ml)],
            crls: [src('r', crl)],
          });
          const named = new Set([
            ...built.accepted.map((a) => a.source),
            ...built.refused.map((r) => r.source),
          ]);
          expect(named).toEqual(new Set(['c', 'm', 'r']));
          for (const r of built.refused)
            expect(describeTrustRefusal(r)).toContain(`${r.source}: ${r.kind} refused`);
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});

describe('Passive Authentication against the store', () => {
  it('a DS whose keyUsage lacks digitalSignature: signature-invalid, though the signature itself verifies', async () => {
    const ds = await issueDocumentSigner(pki.csca, { keyUsage: ['nonRepudiation'] });
    const report = await paOf(ds, { cscaCertificates: [pki.csca.certificate] });
    expect(report.verdict).toEqual({ kind: 'signature-invalid', problem: 'document-signer-key-usage' });
    expect(report.signature).toBe('valid');
  });

  it('a trust store handed over without the loader: a "CSCA" that may not sign certificates vouches for nothing', async () => {
    const noSign = await createCsca({ faults: { keyUsage: ['cRLSign'] } });
    const notCa = await createCsca({ faults: { basicConstraints: 'not-ca' } });
    for (const bad of [noSign, notCa]) {
      const report = await paOf(await issueDocumentSigner(bad), { cscaCertificates: [bad.certificate] });
      expect(report.verdict).toMatchObject({ kind: 'unknown-issuer', problem: 'issuer-not-csca' });
    }
  });
});

describe('the station loads a trust-store folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'trust-store-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['pem', 'der'] as const)(
    'a %s folder written by csca.ts loads and verifies the card',
    async (format) => {
      const sub = path.join(dir, format);
      const crl = await createCrl(pki.csca, ['7fff']);
      const written = await writeTrustStoreFolder(sub, [pki.unknownCsca.certificate, pki.csca.certificate], {
        format,
        crls: [crl],
      });
      expect(written.map((f) => path.basename(f))).toEqual([
        `csca-1.${format}`,
        `csca-2.${format}`,
        'crl-1.crl',
      ]);
      writeFileSync(path.join(sub, 'junk.pem'), 'not a certificate');
      writeFileSync(path.join(sub, 'notes.txt'), 'ignored');
      const loaded = await loadTrustStoreFolder(sub, { clock });
      expect(loaded.trustStore.cscaCertificates).toHaveLength(2);
      expect(loaded.trustStore.crls).toHaveLength(1);
      expect(reasons(loaded)).toEqual([
        { source: path.join(sub, 'junk.pem'), kind: 'certificate', reason: 'malformed' },
      ]);
      const report = await paOf(pki.documentSigner, loaded.trustStore);
      expect(report.verdict.kind).toBe('valid');
      expect(report.revocation).toBe('not-revoked');
    },
  );

  it('anchor, a good list, an untrusted list, a bad CSCA and junk: what entered and what was refused', async () => {
    const sub = path.join(dir, 'mixed');
    const notCa = await createCsca({ faults: { basicConstraints: 'not-ca' } });
    await writeTrustStoreFolder(sub, [pki.csca.certificate, notCa.certificate], {
      masterLists: [
        await createMasterList(pki.csca, [laos.certificate]),
        await createMasterList(pki.unknownCsca, [pki.unknownCsca.certificate]),
      ],
    });
    writeFileSync(path.join(sub, 'junk.pem'), 'not a certificate');
    const loaded = await loadTrustStoreFolder(sub, { clock });
    const at = (name: string) => path.join(sub, name);
    expect(reasons(loaded)).toEqual([
      { source: at('junk.pem'), kind: 'certificate', reason: 'malformed' },
      { source: at('csca-2.pem'), kind: 'certificate', reason: 'not-a-ca' },
      { source: at('list-2.ml'), kind: 'master-list', reason: 'signer-untrusted' },
    ]);
    expect(loaded.trustStore.crls).toBeUndefined();
    expect(loaded.accepted.map((a) => [a.source, a.origin])).toEqual([
      [at('csca-1.pem'), 'explicit'],
      [`${at('list-1.ml')}#1`, 'master-list'],
    ]);
    expect((await paOf(laosSigner, loaded.trustStore)).verdict).toEqual({ kind: 'valid' });
    expect((await paOf(pki.unknownDocumentSigner, loaded.trustStore)).verdict.kind).toBe('unknown-issuer');
  });

  it('a master list alone, with no CSCA file to anchor it, is refused whole', async () => {
    const sub = path.join(dir, 'ml-only');
    await writeTrustStoreFolder(sub, [], {
      masterLists: [await createMasterList(pki.csca, [pki.csca.certificate])],
    });
    const loaded = await loadTrustStoreFolder(sub, { clock });
    expect(reasons(loaded)).toEqual([
      { source: path.join(sub, 'list-1.ml'), kind: 'master-list', reason: 'no-anchor' },
    ]);
    expect(loaded.trustStore.cscaCertificates).toEqual([]);
  });

  it('station card read --trust prints each refusal; a folder where nothing is accepted is exit 1', async () => {
    const sub = path.join(dir, 'cli');
    const notCa = await createCsca({ faults: { basicConstraints: 'not-ca' } });
    await writeTrustStoreFolder(sub, [pki.csca.certificate, notCa.certificate]);
    const command = createCardCommand({ openPort: async () => new InProcessPcsc().client(), now: clock.now });
    const read = command.subcommands?.find((c) => c.name === 'read');
    const key = [
      '--reader',
      'Nowhere',
      '--id',
      '001099012345',
      '--dob',
      '990101',
      '--expiry',
      '390101',
      '--timeout-ms',
      '50',
    ];
    let io = recordingIo(dir);
    await read?.run?.([...key, '--trust', sub], io);
    expect(io.err).toContain(`--trust: ${path.join(sub, 'csca-2.pem')}: certificate refused: not-a-ca (`);
    const onlyBad = path.join(dir, 'cli-bad');
    await writeTrustStoreFolder(onlyBad, [notCa.certificate]);
    io = recordingIo(dir);
    expect(await read?.run?.([...key, '--trust', onlyBad], io)).toBe(1);
    expect(io.err).toMatch(/no CSCA certificate in the folder .*csca-1\.pem: certificate refused: not-a-ca/);
  });

  it('composeCardReader (hardware) loads the configured folder at start and logs each refusal', async () => {
    const sub = path.join(dir, 'station');
    const expired = await createCsca({ notBefore: new Date(Date.UTC(2005, 0, 1)), validDays: 3650 });
    await writeTrustStoreFolder(sub, [pki.csca.certificate, expired.certificate], {
      masterLists: [await createMasterList(pki.csca, [laos.certificate], { corruptSignature: true })],
    });
    const config = parseConfig(
      { devices: { cardReader: { mode: 'hardware', trustStore: 'station' } } },
      { baseDir: dir },
    );
    const lines: string[] = [];
    const parts = await composeCardReader(config, { clock, log: (line) => lines.push(line) });
    expect(parts.trustStore?.cscaCertificates).toEqual([pki.csca.certificate]);
    expect(parts.trustStoreLoad?.refused.map((r) => r.reason)).toEqual(['expired', 'signature-invalid']);
    expect(lines).toEqual([
      expect.stringMatching(/^trust store: .*csca-2\.pem: certificate refused: expired \(valid 2005-01-01/),
      expect.stringMatching(
        /^trust store: .*list-1\.ml: master-list refused: signature-invalid .*Master List Signer/,
      ),
      `trust store ${sub}: 1 CSCA certificates, 0 master lists accepted, 2 refused`,
    ]);
  });
});

/** Real CSCA certificates (the ones REAL_SODS in icao9303-pa.test.ts chain to), DER in base64. */
const REAL_CSCAS = {
  AT: fromBase64([
    'MIIEPzCCA8SgAwIBAgICBH8wDAYIKoZIzj0EAwMFADA/MQswCQYDVQQGEwJBVDELMAkGA1UECgwCR1YxDDAKBgNVBAsMA0JN',
    'STEVMBMGA1UEAwwMQ1NDQS1BVVNUUklBMB4XDTE5MDkwMjA3MTM0NFoXDTMwMDEwNTA4NTMyOVowPzELMAkGA1UEBhMCQVQx',
    'CzAJBgNVBAoMAkdWMQwwCgYDVQQLDANCTUkxFTATBgNVBAMMDENTQ0EtQVVTVFJJQTCCAbUwggFNBgcqhkjOPQIBMIIBQAIB',
    'ATA8BgcqhkjOPQEBAjEAjLkegqM4bSgPXW9+UOZB3xUvcQntVFa0ErHaGX+3ESOs06cpkB0acYdHABMxB+xTMGQEMHvDgsY9',
    'jBUMPHIICs4Fr6DCvqKOT7InhxORZe+6kfkPiqWBSlA61OsEqMfdIs4oJgQwBKjH3SLOKCaLObVUFvBEfC+3feEH3NKmLogO',
    'pT7rYtV8tDkCldvJlDq3hpb6UEwRBGEEHRxk8GjPRf+ipjqBt8E/a4hHo+d+8U/j23/K/gy9EOjoJuA0NtZGqu+HsuJH1K8e',
    'ir4ddSD5wqRcseuOlc/VUmK3Cyn+7Fhk4ZwFT/mRKSgORkYhd5GBEUKCA0EmPFMVAjEAjLkegqM4bSgPXW9+UOZB3xUvcQnt',
    'VFazHxZubKwEJafPOrava3/DEDuIMgLpBGVlAgEBA2IABEPDxgJnFuCqMAs7GTPoWmOawYNIjCNezTxT6rAbkbbQxt4hhwse',
    'qS4sr4qXAJbPgoxeyxB4LFuWl2cqHlHbZIg+PsSq4jAC3dxxdsfplDk+PCBtz1E3EKgsotcK5S1jbaOCAU4wggFKMBoGA1Ud',
    'EAQTMBGBDzIwMjQxMjA5MDcxMzQ0WjAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFCaSx+OYq/vjUZLT8m6aMX0f7VO9MD4G',
    'A1UdHwQ3MDUwM6AxoC+GLWh0dHA6Ly93d3cuYm1pLmd2LmF0L2NzY2EvY3JsL0NTQ0FBVVNUUklBLmNybDAWBgNVHSAEDzAN',
    'MAsGCSooAAoBAgEBATASBgNVHRMBAf8ECDAGAQH/AgEAMDcGA1UdEgQwMC6kEDAOMQwwCgYDVQQHDANBVVSGGmh0dHA6Ly93',
    'd3cuYm1pLmd2LmF0L2NzY2EvMDcGA1UdEQQwMC6kEDAOMQwwCgYDVQQHDANBVVSGGmh0dHA6Ly93d3cuYm1pLmd2LmF0L2Nz',
    'Y2EvMB8GA1UdIwQYMBaAFP+N6oavGO7li6LWuoz6qzmhaa9bMAwGCCqGSM49BAMDBQADZwAwZAIwYEg6Bzva7SUs7jMyI7HC',
    'mRw6oHbFKZeleZQgo26O0KUpn9p2S1y1UxkaTmeM1yk1AjBJpc2c12bt2VPbM/GY/twUAD9bgo+eSo7jFphllNIfTrchqBp8',
    'mxU6cIjkYDVYBWQ=',
  ]),
  DE: fromBase64([
    'MIIFHDCCBICgAwIBAgICBIswCgYIKoZIzj0EAwQwQTELMAkGA1UEBhMCREUxDTALBgNVBAoMBGJ1bmQxDDAKBgNVBAsMA2Jz',
    'aTEVMBMGA1UEAwwMY3NjYS1nZXJtYW55MB4XDTIxMTEyMzA2MjQxNVoXDTM2MDIyMzIzNTk1OVowQTELMAkGA1UEBhMCREUx',
    'DTALBgNVBAoMBGJ1bmQxDDAKBgNVBAsMA2JzaTEVMBMGA1UEAwwMY3NjYS1nZXJtYW55MIICODCCAa8GByqGSM49AgEwggGi',
    'AgEBMEwGByqGSM49AQECQQCq3Z242+nEiz/U5q4zyfwHyzCNs7PJ0g7WY5zKcDMIcX1NmwCbxmhCrs2hKuajgOYogf8vLYLG',
    'hSiqYFZYOkjzMIGEBEB4MKMxi2A7ieIycUWsI0zFlMvdjT35FhCoNEHK6phjvC3tXVqoJTqhCi7xyYuayLV/ERenK/LHuefB',
    'rE13/JTKBEA9+RYQqDRByuqYY7wt7V1aqCU6oQou8cmLmsi1fxEXpyvyx7nnwaxNd/yUytwIPmeYQFC3Xrrl3SgJvWOAFvcj',
    'BIGBBIGu5L3YLtlkWiEyLpxMapOF7Z9wtdkWwbQ7Yu700AmO/zsfeOLQ1I1Q0Wh7k7l9X3xtUEdAal5oizUiCby5+CJ93jhd',
    'VmMy7MDqv6nPeCL98gn3ACSlexqgAMVbiB+BEbLc3klKX0heW8pL2IonY67RyisvqPBUBnjNHg862AiSAkEAqt2duNvpxIs/',
    '1OauM8n8B8swjbOzydIO1mOcynAzCHBVPlxBTKkmGUGGYRl/rBBHHbHTgQhd2t21h5aCnKkAaQIBAQOBggAEgZCVbAm4Upgd',
    'xSlJ80Y7jvzf5l4+WlHRwNrPJ8deglLMCEAVeiGpe9m0yScxKvqK4MocpRX5jMEVD5p2jU1D71VqvNNWS8r1g/U8b0CRgVUU',
    'bbq1f2ysC6g4AQNF49vHFA2C6jOaV0fUjFPwLbQhh9Mg7U4nXHVQknULBP5yrpejggGFMIIBgTAdBgNVHQ4EFgQUpApfw4Cu',
    'PlmvGzLWE2rv7sjKNegwDgYDVR0PAQH/BAQDAgEGMCsGA1UdEAQkMCKADzIwMjExMTIzMDYyNDE1WoEPMjAyNTAxMjMyMzU5',
    'NTlaMBYGA1UdIAQPMA0wCwYJBAB/AAcDAQEBMFEGA1UdEQRKMEiBGGNzY2EtZ2VybWFueUBic2kuYnVuZC5kZYYcaHR0cHM6',
    'Ly93d3cuYnNpLmJ1bmQuZGUvY3NjYaQOMAwxCjAIBgNVBAcMAUQwUQYDVR0SBEowSIEYY3NjYS1nZXJtYW55QGJzaS5idW5k',
    'LmRlhhxodHRwczovL3d3dy5ic2kuYnVuZC5kZS9jc2NhpA4wDDEKMAgGA1UEBwwBRDASBgNVHRMBAf8ECDAGAQH/AgEAMDAG',
    'A1UdHwQpMCcwJaAjoCGGH2h0dHA6Ly93d3cuYnNpLmJ1bmQuZGUvY3NjYV9jcmwwHwYDVR0jBBgwFoAUpApfw4CuPlmvGzLW',
    'E2rv7sjKNegwCgYIKoZIzj0EAwQDgYkAMIGFAkEAkgdFGwJ2ybC/6Rw7P7dZRIn21cNNT/ERSfGTe+zPGo05GSZ7K8uxduK5',
    '7PakwkCw4dCYPiQqMuDBYNUw22k01QJAN/spjC2j75DHCUmuxxEfXu3QpwipNs6rR501faCMdCdio83dLWqlhtaCLrt2LP3L',
    'Xbc07m1/jsHtNmMFuhrvCw==',
  ]),
  CN: fromBase64([
    'MIIGCzCCA/OgAwIBAgIIVf3fb7nGNpowDQYJKoZIhvcNAQELBQAwgaExCzAJBgNVBAYTAkNOMRswGQYDVQQKDBJDaGluZXNl',
    'IEdvdmVybm1lbnQxJDAiBgNVBAsMG01pbmlzdHJ5IG9mIEZvcmVpZ24gQWZmYWlyczEaMBgGA1UECwwRQ2hpbmEgUGFzc3Bv',
    'cnQgQ0ExMzAxBgNVBAMMKkNoaW5hIFBhc3Nwb3J0IENvdW50cnkgU2lnbmluZyBDZXJ0aWZpY2F0ZTAeFw0xNTA0MDkwMTQz',
    'MjZaFw0yOTA0MDUwMTQzMjZaMIGhMQswCQYDVQQGEwJDTjEbMBkGA1UECgwSQ2hpbmVzZSBHb3Zlcm5tZW50MSQwIgYDVQQL',
    'DBtNaW5pc3RyeSBvZiBGb3JlaWduIEFmZmFpcnMxGjAYBgNVBAsMEUNoaW5hIFBhc3Nwb3J0IENBMTMwMQYDVQQDDCpDaGlu',
    'YSBQYXNzcG9ydCBDb3VudHJ5IFNpZ25pbmcgQ2VydGlmaWNhdGUwggIiMA0GCSqGSIb3DQEBAQUAA4ICDwAwggIKAoICAQCR',
    '783TYrfp5XdO1yrrPgEuulVnUPdCBDBlKhKiLCMHSv04YH6b0yPoVIombGPy89AAejDWWR5e64m5aONBk1+KzzYJ88+s/3y2',
    '7N5An3g/3vaKpDhmqpB43AXR2+qOJu/8/2kZtcVhLu/fgj2SHYZNr2c40Jz/JfQrpMoLOAWZ0kv7ohjWpBfIikU3FjQw8zwU',
    'BKxvqbWSxra0+ks6NraOpkuilYumyAEqTiaNTSTNucVtyZnkXh6Wii3ouaixsj3hD3sZjzTgbCGyp4xhoLab7bTBgtMlGzt0',
    'vezBUsqB/f2NvJwopnMQTak0Tqd0UEwULzMpKF1JAqYJKT4O5lxlodDoaYUTxtGAJS+86ivYkPNxobfaTEOmo0raa5kAy0xP',
    'iscyQlJ/hcjM3znO1F292hpFvDVobraU5tBSwv0sXEVI6OLI8PbmSEym00dDlDHOJ8rA0ONyIguX7QNsl8lyR7EsaQ9yXNAs',
    '32ajdb+4IzTXn1C2ciKmgS1nb/J4V6VpnZnita0o08NQM0eDbNNf5C8Moj5iA9Nq7i9T8BRM8eP1cttEOITsYxDGTA77fXBR',
    '+ULVXC8Zgbo6x8UFWIgYzK6qruVg4MawDoPdV/eqSQaVMz5o6qEoq60OF8Qon9XZMrTmY+NnKu9oBJ4DjVU/nVLzEnANO06N',
    'kth4shrRGwIDAQABo0UwQzASBgNVHRMBAf8ECDAGAQH/AgEAMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUa2Im5FOU+Pr8',
    'demnh93q6M22T5MwDQYJKoZIhvcNAQELBQADggIBAHjP2YEB4CyDuc0y8XMrJ2qo8G6EinFwUZFrdFErSL1Tnt2FWgGRbtxt',
    '5hwh8DVecREXG9ZOIqQr+/vTjYu0xJdC6fO26l08Ql+qGyGkdGVm+ccCNuE+3qdiUysuFbPB7lIyl2DyC1PZz4lcMN0QS/Js',
    'PfCT0mMP6NlguwemgaCJzfgD9QXkyGPUHHYsoNMDPQdcllYNw5moTTQ9ujmMZ5wNbwhzi+sJm1kz9xp7jHqjGQ7PHSXFWpBg',
    'zJ0Nnz7c2W2dwAqOve4StaJrgjgMGJGd2F0fWe/wQ8tm07a1rAeA1lmPeUnkIOTFRABVEkp3e5z1nErPbVxOH13pwLB+EkGt',
    'bfi+tKCd5FYipdd3suAliVoRjlgHxx2JxBZZJwSFJ1fWp1d3jK5am64+cdtV4055Kx3KAOG6ITQEjszckGC1oi0umifWWqGs',
    'HBMrqXKt5LFD+HR/mQWELyCMYln93UhJKv+KA0Fn2aoUCf0iQD0WMTiubc+YjBeHv7iJA5Hjexd8nlzQZcxOtSV/+UrCHhM1',
    '328TyAmkm3feg1dHIHpDmPue/8FWGTEaP/+g8Orhj0gi1KGkC58bQcBDyyptgmeOv6IQ2JcbcgJckmD7m/cJXsCI6RXVs9wZ',
    'ug45P+oIH3FBipa8IorAfvUjwNxkL5PmdHrA7XNQ7Wzm6adSbQis',
  ]),
};
