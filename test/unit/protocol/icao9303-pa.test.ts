/**
 * Passive Authentication (ICAO 9303-11 §5.1, 9303-12) end to end on cards built by
 * simulators/card/lds-builder.ts and signed by simulators/pki/csca.ts, with the Node crypto
 * (drivers/crypto/pa-node.ts) and an injected clock: one verdict per scenario, CRLs, and the crypto
 * adapter's curves and encodings. Trust stores (folders, master lists, CSCA profiles) are in
 * icao9303-truststore.test.ts.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodePaCrypto, PaCryptoUnsupportedError } from '../../../drivers/crypto/pa-node.ts';
import { fromHex } from '../../../protocol/bytes.ts';
import {
  PA_MESSAGES,
  PA_NOT_CHECKED_MESSAGES,
  type PaReport,
  type PassiveAuthenticationInput,
  paMessage,
  signatureSchemeFor,
  type TrustStore,
  verifyPassiveAuthentication,
} from '../../../protocol/icao9303/pa.ts';
import { decodeSignedData, decodeSod, OID } from '../../../protocol/icao9303/sod.ts';
import { encodeTlv, parseTree, type TlvNode } from '../../../protocol/iso7816/tlv.ts';
import { unwrap } from '../../../protocol/result.ts';
import {
  type BuiltLds,
  buildLds,
  buildScenarioLds,
  SAMPLE_PERSON,
} from '../../../simulators/card/lds-builder.ts';
import { createCrl, createTestPki, issueDocumentSigner, type TestPki } from '../../../simulators/pki/csca.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const crypto = createNodePaCrypto();
/** Inside the normal DS (2025–2035) and CSCA (2024–2038) validity; after the expired DS (2014–2018). */
const JUNE_2026 = Date.UTC(2026, 5, 1);
const clockAt = (ms: number) => ({ now: () => ms });

let pki: TestPki;
let trustStore: TrustStore;
let valid: BuiltLds;

beforeAll(async () => {
  pki = await createTestPki('ecdsa-p256');
  trustStore = { cscaCertificates: [pki.csca.certificate] };
  valid = buildScenarioLds(SAMPLE_PERSON, pki, 'valid');
});

function run(
  lds: { readonly sod: Uint8Array; readonly dataGroups: ReadonlyMap<number, Uint8Array> },
  overrides: Partial<PassiveAuthenticationInput> = {},
): Promise<PaReport> {
  return verifyPassiveAuthentication({
    sod: lds.sod,
    dataGroups: lds.dataGroups,
    trustStore,
    crypto,
    clock: clockAt(JUNE_2026),
    ...overrides,
  });
}

describe('Passive Authentication verdicts', () => {
  it('a card built by lds-builder passes as valid', async () => {
    const report = await run(valid);
    expect(report.verdict).toEqual({ kind: 'valid' });
    expect(report.findings).toEqual([{ kind: 'valid' }]);
    expect(report.signature).toBe('valid');
    expect(report.dataGroups).toEqual(
      [1, 2, 13, 14, 15].map((dataGroup) => ({ dataGroup, status: 'match' })),
    );
    expect(report.csca?.subject).toContain('CSCA Viet Nam');
    expect(report.documentSigner?.serialNumber).toBe(
      pki.documentSigner.serialNumber.toUpperCase().replace(/^0+/, ''),
    );
    expect(report.revocation).toBe('not-configured');
  });

  it('DG2 changed after signing → data-group-altered [2]', async () => {
    const report = await run(buildScenarioLds(SAMPLE_PERSON, pki, 'tampered-dg2'));
    expect(report.verdict).toEqual({ kind: 'data-group-altered', dataGroups: [2] });
    expect(report.dataGroups.find((d) => d.dataGroup === 2)?.status).toBe('mismatch');
    expect(report.signature).toBe('valid');
  });

  it('DG1 changed after signing → data-group-altered [1]', async () => {
    const report = await run(
      buildLds(SAMPLE_PERSON, { documentSigner: pki.documentSigner, tamperDataGroup: 1 }),
    );
    expect(report.verdict).toEqual({ kind: 'data-group-altered', dataGroups: [1] });
  });

  it('a data group the SOD does not cover is treated as altered', async () => {
    const dataGroups = new Map<number, Uint8Array>(valid.dataGroups);
    dataGroups.set(3, fromHex('6300'));
    const report = await run({ sod: valid.sod, dataGroups });
    expect(report.verdict).toEqual({ kind: 'data-group-altered', dataGroups: [3] });
    expect(report.dataGroups.find((d) => d.dataGroup === 3)?.status).toBe('not-in-sod');
  });

  it('a data group listed in the SOD but not read is reported, and the rest still passes', async () => {
    const dataGroups = new Map<number, Uint8Array>(valid.dataGroups);
    dataGroups.delete(13);
    const report = await run({ sod: valid.sod, dataGroups });
    expect(report.verdict.kind).toBe('valid');
    expect(report.dataGroups.find((d) => d.dataGroup === 13)?.status).toBe('not-read');
  });

  it('SOD from a CSCA the trust store does not hold → unknown-issuer', async () => {
    const report = await run(buildScenarioLds(SAMPLE_PERSON, pki, 'unknown-csca'));
    expect(report.verdict).toMatchObject({ kind: 'unknown-issuer', problem: 'no-matching-csca' });
    expect(report.signature).toBe('valid');
    expect(report.csca).toBeUndefined();
  });

  it('a DS from a look-alike CSCA (same name, no key identifier to tell them apart) → unknown-issuer', async () => {
    // The name matches the trusted CSCA, so the DS certificate's signature decides, and it fails.
    const forged = await issueDocumentSigner(pki.unknownCsca, { omitAuthorityKeyIdentifier: true });
    const report = await run(buildLds(SAMPLE_PERSON, { documentSigner: forged }));
    expect(report.verdict).toMatchObject({ kind: 'unknown-issuer', problem: 'issuer-signature-invalid' });
    expect(report.signature).toBe('valid');
  });

  it('expired DS certificate (clock injected) → certificate-expired, which one', async () => {
    const report = await run(buildScenarioLds(SAMPLE_PERSON, pki, 'expired-ds'));
    expect(report.verdict).toMatchObject({
      kind: 'certificate-expired',
      certificates: [{ role: 'document-signer', state: 'expired' }],
    });
  });

  it('the same valid card read in 2040 has both certificates expired', async () => {
    const report = await run(valid, { clock: clockAt(Date.UTC(2040, 0, 1)) });
    expect(report.verdict.kind).toBe('certificate-expired');
    if (report.verdict.kind === 'certificate-expired')
      expect(report.verdict.certificates.map((c) => c.role).sort()).toEqual(['csca', 'document-signer']);
  });

  it('read before the DS is valid → certificate-expired, not-yet-valid', async () => {
    const report = await run(valid, { clock: clockAt(Date.UTC(2024, 5, 1)) });
    expect(report.verdict).toMatchObject({
      kind: 'certificate-expired',
      certificates: [{ role: 'document-signer', state: 'not-yet-valid' }],
    });
  });

  it('corrupted SOD signature → signature-invalid', async () => {
    const report = await run(buildScenarioLds(SAMPLE_PERSON, pki, 'bad-signature'));
    expect(report.verdict).toEqual({ kind: 'signature-invalid', problem: 'signature-mismatch' });
    expect(report.signature).toBe('invalid');
  });

  it('a hash changed inside the signed LDSSecurityObject breaks messageDigest as well as the data group', async () => {
    const sod = valid.sod.slice();
    const lso = unwrap(decodeSod(valid.sod)).ldsSecurityObject;
    const dg1Hash = lso.dataGroupHashes.get(1)!;
    const at = findBytes(sod, dg1Hash);
    sod[at] = (sod[at] ?? 0) ^ 0xff;
    const report = await run({ sod, dataGroups: valid.dataGroups });
    expect(report.verdict).toEqual({ kind: 'data-group-altered', dataGroups: [1] });
    expect(report.findings).toContainEqual({ kind: 'signature-invalid', problem: 'message-digest-mismatch' });
  });

  it('no trust store → not-checked, with hashes and signature still checked', async () => {
    const report = await run(valid, { trustStore: undefined });
    expect(report.verdict).toEqual({ kind: 'not-checked', reason: 'no-trust-store' });
    expect(report.signature).toBe('valid');
    expect(report.dataGroups.every((d) => d.status === 'match')).toBe(true);
  });

  it('no trust store does not hide an altered data group', async () => {
    const report = await run(buildScenarioLds(SAMPLE_PERSON, pki, 'tampered-dg2'), { trustStore: undefined });
    expect(report.verdict.kind).toBe('data-group-altered');
    expect(report.findings.map((f) => f.kind)).toEqual(['data-group-altered', 'not-checked']);
  });

  it('truncated SOD → not-checked: document data damaged', async () => {
    const report = await run({
      sod: valid.sod.subarray(0, valid.sod.length - 20),
      dataGroups: valid.dataGroups,
    });
    expect(report.verdict).toMatchObject({ kind: 'not-checked', reason: 'document-data-damaged' });
    expect(report.sodError?.reason).toBe('truncated');
    expect(report.dataGroups.every((d) => d.status === 'not-checked')).toBe(true);
  });

  it('a SOD whose DER is intact but whose content is not SignedData → document data damaged', async () => {
    const sod = valid.sod.slice();
    const at = findBytes(sod, fromHex('2A864886F70D010702')); // id-signedData
    sod[at + 8] = 0x03; // → id-envelopedData
    const report = await run({ sod, dataGroups: valid.dataGroups });
    expect(report.verdict).toMatchObject({ kind: 'not-checked', reason: 'document-data-damaged' });
    expect(report.sodError?.reason).toBe('invalid-value');
  });

  it('decodeSignedData walks the DER layout: eContent is a view, BER segments read the same, a stray element is refused', () => {
    const contentInfo = unwrap(decodeSod(valid.sod)).contentInfo;
    const decoded = unwrap(decodeSignedData(contentInfo, [OID.ldsSecurityObject]));
    expect(decoded.eContent.buffer).toBe(contentInfo.buffer);
    const tree = unwrap(parseTree(contentInfo, { maxLength: contentInfo.length }));
    const [typeNode, wrapper] = tree[0]?.children ?? [];
    const sd = wrapper?.children[0];
    const encap = sd?.children[2];
    const [eType, eWrapper] = encap?.children ?? [];
    const eNode = eWrapper?.children[0];
    if (!typeNode || !sd || !encap || !eType || !eNode) throw new Error('unexpected SOD layout');
    const raw = (n: TlvNode) => contentInfo.subarray(n.offset, n.offset + n.totalLength);
    const rebuild = (encapDer: Uint8Array, ...extra: Uint8Array[]) => {
      const children = sd.children.map((c) => (c === encap ? encapDer : raw(c)));
      const last = children.pop() ?? new Uint8Array(0);
      return encodeTlv(0x30, raw(typeNode), encodeTlv(0xa0, encodeTlv(0x30, ...children, ...extra, last)));
    };
    const half = Math.floor(eNode.value.length / 2);
    const segmented = rebuild(
      encodeTlv(
        0x30,
        raw(eType),
        encodeTlv(
          0xa0,
          encodeTlv(
            0x24,
            encodeTlv(0x04, eNode.value.subarray(0, half)),
            encodeTlv(0x04, eNode.value.subarray(half)),
          ),
        ),
      ),
    );
    const again = unwrap(decodeSignedData(segmented, [OID.ldsSecurityObject]));
    expect([...again.eContent]).toEqual([...decoded.eContent]);
    expect(again.signerInfos[0]?.signature).toEqual(decoded.signerInfos[0]?.signature);
    expect(
      decodeSignedData(rebuild(raw(encap), Uint8Array.of(0x05, 0x00)), [OID.ldsSecurityObject]),
    ).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', detail: 'SignedData has unexpected elements' },
    });
    const detached = rebuild(encodeTlv(0x30, raw(eType)));
    expect(decodeSignedData(detached, [OID.ldsSecurityObject])).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', detail: 'encapsulated content is absent (detached)' },
    });
  });

  it('DS revoked by a CRL from its CSCA → revoked', async () => {
    const crl = await createCrl(pki.csca, [pki.documentSigner.serialNumber]);
    const report = await run(valid, { trustStore: { ...trustStore, crls: [crl] } });
    expect(report.verdict).toMatchObject({
      kind: 'revoked',
      serialNumber: pki.documentSigner.serialNumber.replace(/^0+/, '').toUpperCase(),
    });
    expect(report.revocation).toBe('revoked');
  });

  it('a CRL that does not list the DS → valid, not-revoked; a CRL from another CSCA is not trusted', async () => {
    const other = await createCrl(pki.csca, ['7fff']);
    expect((await run(valid, { trustStore: { ...trustStore, crls: [other] } })).revocation).toBe(
      'not-revoked',
    );
    const foreign = await createCrl(pki.unknownCsca, [pki.documentSigner.serialNumber]);
    const report = await run(valid, { trustStore: { ...trustStore, crls: [foreign, fromHex('3000')] } });
    expect(report.verdict.kind).toBe('valid');
    expect(report.revocation).toBe('no-crl-for-issuer');
    expect(report.trustStoreSkipped).toBe(1);
  });

  it('every verdict has an officer message in Vietnamese and English', () => {
    for (const m of [...Object.values(PA_MESSAGES), ...Object.values(PA_NOT_CHECKED_MESSAGES)]) {
      expect(m.vi.length).toBeGreaterThan(20);
      expect(m.en.length).toBeGreaterThan(20);
      expect(m.vi).not.toBe(m.en);
    }
    expect(paMessage({ kind: 'not-checked', reason: 'document-data-damaged' })).toBe(
      PA_NOT_CHECKED_MESSAGES['document-data-damaged'],
    );
    expect(paMessage({ kind: 'data-group-altered', dataGroups: [2] })).toBe(
      PA_MESSAGES['data-group-altered'],
    );
  });

  it('mutated SODs always give a report, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(valid.sod.length - 1), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const sod = valid.sod.slice();
        sod[at] = (sod[at] ?? 0) ^ xor;
        const report = await run({ sod, dataGroups: valid.dataGroups });
        expect(report.findings.length).toBeGreaterThan(0);
      }),
      { seed, numRuns: 150 },
    );
  });
});

describe('other signature algorithms', () => {
  it.each(['rsa-2048', 'rsa-pss-2048'] as const)(
    '%s CSCA and DS → valid; tampered → altered',
    async (algorithm) => {
      const rsa = await createTestPki(algorithm);
      const store = { cscaCertificates: [rsa.csca.certificate] };
      const ok = await run(buildScenarioLds(SAMPLE_PERSON, rsa, 'valid'), { trustStore: store });
      expect(ok.verdict.kind).toBe('valid');
      const bad = await run(buildScenarioLds(SAMPLE_PERSON, rsa, 'bad-signature'), { trustStore: store });
      expect(bad.verdict.kind).toBe('signature-invalid');
    },
    60_000,
  );

  it('maps signature algorithm identifiers to schemes (RFC 4055 PSS defaults, BSI plain ECDSA)', () => {
    expect(signatureSchemeFor({ oid: OID.sha256WithRSA })).toEqual({
      kind: 'rsa-pkcs1-v1_5',
      hash: 'sha256',
    });
    expect(signatureSchemeFor({ oid: OID.ecdsaWithSha384 })).toEqual({
      kind: 'ecdsa',
      hash: 'sha384',
      encoding: 'der',
    });
    expect(signatureSchemeFor({ oid: OID.rsaPss })).toEqual({
      kind: 'rsa-pss',
      hash: 'sha1',
      mgf1Hash: 'sha1',
      saltLength: 20,
    });
    expect(signatureSchemeFor({ oid: `${OID.ecdsaPlainPrefix}.3` })).toEqual({
      kind: 'ecdsa',
      hash: 'sha256',
      encoding: 'plain',
    });
    expect(signatureSchemeFor({ oid: OID.ecPublicKey }, { oid: OID.sha512 })).toEqual({
      kind: 'ecdsa',
      hash: 'sha512',
      encoding: 'der',
    });
    expect(signatureSchemeFor({ oid: OID.rsaEncryption })).toBeUndefined();
    expect(signatureSchemeFor({ oid: '1.2.3' })).toBeUndefined();
  });
});

describe('real documents (REAL_SODS below)', () => {
  const JUNE_2024 = Date.UTC(2024, 5, 1);
  const cases = [
    { country: 'AT', hash: 'sha256', dataGroups: [1, 2, 3, 11, 12, 14], ldsVersion: undefined },
    { country: 'DE', hash: 'sha384', dataGroups: [1, 2, 3, 14], ldsVersion: '0108' },
    { country: 'CN', hash: 'sha256', dataGroups: [1, 2, 11, 12, 15], ldsVersion: undefined },
  ] as const;

  it.each(cases)(
    '$country EF.SOD decodes: $hash, DGs $dataGroups',
    ({ country, hash, dataGroups, ldsVersion }) => {
      const sod = unwrap(decodeSod(fromHex(REAL_SODS[country].sod)));
      expect(sod.ldsSecurityObject.hash).toBe(hash);
      expect([...sod.ldsSecurityObject.dataGroupHashes.keys()]).toEqual(dataGroups);
      expect(sod.ldsSecurityObject.ldsVersionInfo?.ldsVersion).toBe(ldsVersion);
      expect(sod.signedData.certificates).toHaveLength(1);
      expect(sod.signedData.signerInfos[0]?.signedAttributes?.messageDigest).toBeDefined();
    },
  );

  it.each(cases)(
    '$country passes Passive Authentication against its CSCA (data groups not read)',
    async ({ country, dataGroups }) => {
      const report = await verifyPassiveAuthentication({
        sod: fromHex(REAL_SODS[country].sod),
        dataGroups: new Map(),
        trustStore: { cscaCertificates: [fromHex(REAL_SODS[country].csca)] },
        crypto,
        clock: clockAt(JUNE_2024),
      });
      expect(report.verdict).toEqual({ kind: 'valid' });
      expect(report.signature).toBe('valid');
      expect(report.csca?.subject).toContain(`C=${country}`);
      expect(report.dataGroups).toEqual(dataGroups.map((dataGroup) => ({ dataGroup, status: 'not-read' })));
    },
  );

  it("another country's CSCA does not vouch for it; a flipped signature byte is caught", async () => {
    const sod = fromHex(REAL_SODS.AT.sod);
    const wrong = await verifyPassiveAuthentication({
      sod,
      dataGroups: new Map(),
      trustStore: { cscaCertificates: [fromHex(REAL_SODS.DE.csca), fromHex(REAL_SODS.CN.csca)] },
      crypto,
      clock: clockAt(JUNE_2024),
    });
    expect(wrong.verdict).toMatchObject({ kind: 'unknown-issuer', problem: 'no-matching-csca' });
    const bad = sod.slice();
    bad[bad.length - 5] = (bad[bad.length - 5] ?? 0) ^ 0x01; // inside the ECDSA signature's s
    const report = await verifyPassiveAuthentication({
      sod: bad,
      dataGroups: new Map(),
      trustStore: { cscaCertificates: [fromHex(REAL_SODS.AT.csca)] },
      crypto,
      clock: clockAt(JUNE_2024),
    });
    expect(report.verdict).toEqual({ kind: 'signature-invalid', problem: 'signature-mismatch' });
  });

  it('the Austrian CSCA certificate has expired by 2031', async () => {
    const report = await verifyPassiveAuthentication({
      sod: fromHex(REAL_SODS.AT.sod),
      dataGroups: new Map(),
      trustStore: { cscaCertificates: [fromHex(REAL_SODS.AT.csca)] },
      crypto,
      clock: clockAt(Date.UTC(2031, 0, 1)),
    });
    expect(report.verdict).toMatchObject({
      kind: 'certificate-expired',
      certificates: [{ role: 'csca', state: 'expired' }],
    });
  });
});

describe('Node PaCrypto (OpenSSL 3)', () => {
  const data = new TextEncoder().encode('hello\n');

  it('digests', async () => {
    expect(await crypto.digest('sha256', data)).toEqual(
      fromHex('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03'),
    );
  });

  it.each(['prime256v1', 'secp384r1', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1'])(
    'ECDSA on %s, DER and plain r‖s',
    async (namedCurve) => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
      const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
      for (const encoding of ['der', 'plain'] as const) {
        const signature = new Uint8Array(
          sign('sha256', data, { key: privateKey, dsaEncoding: encoding === 'der' ? 'der' : 'ieee-p1363' }),
        );
        const check = {
          scheme: { kind: 'ecdsa', hash: 'sha256', encoding } as const,
          publicKey: spki,
          data,
          signature,
        };
        expect(await crypto.verifySignature(check)).toBe(true);
        signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1;
        expect(await crypto.verifySignature(check)).toBe(false);
      }
    },
  );

  it('ECDSA with explicit brainpoolP256r1 domain parameters in the SPKI (openssl -param_enc explicit)', async () => {
    const publicKey = fromHex(
      '308201333081ec06072a8648ce3d02013081e0020101302c06072a8648ce3d0101022100a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377304404207d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9042026dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b60441048bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997022100a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a70201010342000443246fc2d94a2f2b444bea51dfd2e407a21e178062aedb82d0a0128f01345e6d25770a4d53484002b618ba2cea94d5428fdd1251a250ed6d4502dc811e43d00e',
    );
    const signature = fromHex(
      '304502205936e025ac952dcaac520597499cea43f9eb40ecdc00744ecf15eb3173dc0ce30221008c6900912506ec43aea5e8c0bb660d10c859ed62e3fbb4cc821a1efbb55c9813',
    );
    const scheme = { kind: 'ecdsa', hash: 'sha256', encoding: 'der' } as const;
    expect(await crypto.verifySignature({ scheme, publicKey, data, signature })).toBe(true);
    expect(await crypto.verifySignature({ scheme, publicKey, data: data.subarray(1), signature })).toBe(
      false,
    );
  });

  it('a key of the wrong type, a malformed key or signature is false; an MGF1 hash Node lacks rejects', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const spki = new Uint8Array(rsa.publicKey.export({ format: 'der', type: 'spki' }));
    const pss = { kind: 'rsa-pss', hash: 'sha256', mgf1Hash: 'sha256', saltLength: 32 } as const;
    const ecdsa = { kind: 'ecdsa', hash: 'sha256', encoding: 'der' } as const;
    expect(
      await crypto.verifySignature({ scheme: ecdsa, publicKey: spki, data, signature: new Uint8Array(64) }),
    ).toBe(false);
    expect(
      await crypto.verifySignature({
        scheme: pss,
        publicKey: fromHex('3003020100'),
        data,
        signature: new Uint8Array(8),
      }),
    ).toBe(false);
    expect(
      await crypto.verifySignature({ scheme: pss, publicKey: spki, data, signature: new Uint8Array(3) }),
    ).toBe(false);
    await expect(
      crypto.verifySignature({
        scheme: { ...pss, mgf1Hash: 'sha1' },
        publicKey: spki,
        data,
        signature: new Uint8Array(128),
      }),
    ).rejects.toBeInstanceOf(PaCryptoUnsupportedError);
  });
});

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}

/**
 * Real EF.SOD files and their CSCA certificates (Austria: brainpool explicit parameters, SHA-256;
 * Germany: LDS 1.8 with version info, SHA-384, brainpoolP384r1/P512r1; China: RSA, eContentType
 * id-data), from the gmrtd project's tests (github.com/gmrtd/gmrtd document/sod_test.go). Public
 * signed data: hashes, certificates and signatures only.
 */
const REAL_SODS = {
  AT: {
    sod: [
      '7782064d3082064906092a864886f70d010702a082063a30820636020103310f300d06096086480165030402010500308201',
      '120606678108010101a0820106048201023081ff020100300d060960864801650304020105003081ea302502010104209046',
      '2cd4824bc24ce1ce77e0e40da503b5f25063e61a78e22c3ac04e49b2024330250201020420113888bddfb89a94522959f3cf',
      '41007bb1241e2fdfa585d8f480317eb648215f302502010304205c1c4fa5fd3d90662a92d5c6c7ee94030ae7eed9070a6d8f',
      '1db376b268d99f83302502010b04202a1704fa33c5b3a5760eb8b48ff0ff9178e6470dc525b79b13bdcbc95d9d83d5302502',
      '010c0420c9673800c44a18a3d6e5300e6ad35ab8737dcdfb9f259e43bcff0c9b6a2d78a9302502010e0420aff8c92133072e',
      'd5703a84a5a6f5fe148f02a86b36b2d5876193bd48243cd2f2a08203e3308203df30820366a00302010202086189db18b6ed',
      'e857300a06082a8648ce3d040303303f310b3009060355040613024154310b3009060355040a0c024756310c300a06035504',
      '0b0c03424d493115301306035504030c0c435343412d41555354524941301e170d3233303133313038303430325a170d3333',
      '303530363038303430325a3054310b3009060355040613024154310b3009060355040a0c024756310c300a060355040b0c03',
      '424d49310f300d060355040513063030343031353119301706035504030c1044532d415553545249412d654d525444308201',
      '333081ec06072a8648ce3d02013081e0020101302c06072a8648ce3d0101022100a9fb57dba1eea9bc3e660a909d838d726e',
      '3bf623d52620282013481d1f6e5377304404207d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5',
      'd9042026dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b60441048bd2aeb9cb7e57cb2c4b482f',
      'fc81b7afb9de27e1e3bd23c23a4453bd9ace3262547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f04',
      '6997022100a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7020101034200048893905193f3',
      '15ee2e2f1eee3fd5a496f6637deb3778cfe7cc2f6c7f0682acc795b0290265a2cb83119343544f2bbfe42974159ac77b113d',
      'afbee860c2523c06a382015930820155301d0603551d0e04160414e76eaa567acf6568c660c985717c3c8a50bd024b301f06',
      '03551d230418301680142692c7e398abfbe35192d3f26e9a317d1fed53bd301a0603551d1004133011810f32303233303530',
      '363038303430325a30160603551d20040f300d300b06092a28000a0102010101303e0603551d1f043730353033a031a02f86',
      '2d687474703a2f2f7777772e626d692e67762e61742f637363612f63726c2f43534341415553545249412e63726c300e0603',
      '551d0f0101ff04040302078030370603551d120430302ea410300e310c300a06035504070c03415554861a687474703a2f2f',
      '7777772e626d692e67762e61742f637363612f30370603551d110430302ea410300e310c300a06035504070c03415554861a',
      '687474703a2f2f7777772e626d692e67762e61742f637363612f301d06076781080101060204123010020100310b13015013',
      '02415213024944300a06082a8648ce3d040303036700306402303af7ae31ca6b8fafca6ec51985997f7119fb2e6d20d61b53',
      '27d5740109aa310b410bfb44f354e086f207fcab721e69ae023046c68fb7909f994350a2d1c84d1ae5dff8c00de6d86b7891',
      'a6cf90ceea09159402e6e2ed3fa548db28d33146319eefda318201213082011d020101304b303f310b300906035504061302',
      '4154310b3009060355040a0c024756310c300a060355040b0c03424d493115301306035504030c0c435343412d4155535452',
      '494102086189db18b6ede857300d06096086480165030402010500a066301506092a864886f70d0109033108060667810801',
      '0101301c06092a864886f70d010905310f170d3233303331373133343031385a302f06092a864886f70d01090431220420eb',
      '5dd19b9688751461b3e61c9c80f1e848d91eec210048aca6653279c7c37c76300c06082a8648ce3d04030205000446304402',
      '202567959c119ee15d14520eab1b527c2bc493253d6733bbec30295af57e3ceb070220614dcea3ba92499e2212b9cd415975',
      '8cd49ae240e74b3e20d8d49183ed1feb09',
    ].join(''),
    csca: [
      '3082043f308203c4a0030201020202047f300c06082a8648ce3d0403030500303f310b3009060355040613024154310b3009',
      '060355040a0c024756310c300a060355040b0c03424d493115301306035504030c0c435343412d41555354524941301e170d',
      '3139303930323037313334345a170d3330303130353038353332395a303f310b3009060355040613024154310b3009060355',
      '040a0c024756310c300a060355040b0c03424d493115301306035504030c0c435343412d41555354524941308201b5308201',
      '4d06072a8648ce3d020130820140020101303c06072a8648ce3d01010231008cb91e82a3386d280f5d6f7e50e641df152f71',
      '09ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53306404307bc382c63d8c150c3c72080ace05afa0c2',
      'bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826043004a8c7dd22ce28268b39b55416f0447c2f',
      'b77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c110461041d1c64f068cf45ffa2a63a81b7c13f6b',
      '8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e8abe1d7520f9c2a45cb1eb8e95cfd55262b7',
      '0b29feec5864e19c054ff99129280e4646217791811142820341263c53150231008cb91e82a3386d280f5d6f7e50e641df15',
      '2f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e90465650201010362000443c3c6026716e0aa300b3b19',
      '33e85a639ac183488c235ecd3c53eab01b91b6d0c6de21870b1ea92e2caf8a970096cf828c5ecb10782c5b9697672a1e51db',
      '64883e3ec4aae23002dddc7176c7e994393e3c206dcf513710a82ca2d70ae52d636da382014e3082014a301a0603551d1004',
      '133011810f32303234313230393037313334345a300e0603551d0f0101ff040403020106301d0603551d0e041604142692c7',
      'e398abfbe35192d3f26e9a317d1fed53bd303e0603551d1f043730353033a031a02f862d687474703a2f2f7777772e626d69',
      '2e67762e61742f637363612f63726c2f43534341415553545249412e63726c30160603551d20040f300d300b06092a28000a',
      '010201010130120603551d130101ff040830060101ff02010030370603551d120430302ea410300e310c300a06035504070c',
      '03415554861a687474703a2f2f7777772e626d692e67762e61742f637363612f30370603551d110430302ea410300e310c30',
      '0a06035504070c03415554861a687474703a2f2f7777772e626d692e67762e61742f637363612f301f0603551d2304183016',
      '8014ff8dea86af18eee58ba2d6ba8cfaab39a169af5b300c06082a8648ce3d04030305000367003064023060483a073bdaed',
      '252cee333223b1c2991c3aa076c52997a5799420a36e8ed0a5299fda764b5cb553191a4e678cd72935023049a5cd9cd766ed',
      'd953db33f198fedc14003f5b828f9e4a8ee316986594d21f4eb721a81a7c9b153a7088e46035580564',
    ].join(''),
  },
  DE: {
    sod: [
      '7782070f3082070b06092a864886f70d010702a08206fc308206f8020103310f300d06096086480165030402020500308201',
      '120606678108010101a0820106048201023081ff020101300b06096086480165030402023081dc303502010104302daffeb0',
      'f67656ae099fd655b32f7dc857c31073df9bc0af8c9cc783fb40cd9c3fe7503e07421f560ecd7a09b6133d4e303502010204',
      '302c65a444298e8a7c1fe51ede7f2cdd9b8439597330fe142a1996984f841ed3840ee6fef3475336d29d94012149d9669730',
      '350201030430a668251fb0ffdaef79fedbd092a296bd808e79fae546754d0e7f2c9f3f016f23849dd0b7c74a8752dda55441',
      '2a8542cd303502010e0430c87ab92f21166ae1059b7d7d995dce9cdd3e211aecfb943259d88bb2eb8b533b2b5c780251eb5a',
      'd21b0a4a8d8a9ee1a2300e1304303130381306303430303030a082049730820493308203f8a003020102020204a8300a0608',
      '2a8648ce3d0403043041310b3009060355040613024445310d300b060355040a0c0462756e64310c300a060355040b0c0362',
      '73693115301306035504030c0c637363612d6765726d616e79301e170d3233303130343036303434325a170d333330373034',
      '3233353935395a305d310b3009060355040613024445311d301b060355040a0c1442756e646573647275636b657265692047',
      '6d6248310c300a060355040513033135323121301f06035504030c18446f63756d656e74205369676e65722050617373706f',
      '7274308201b53082014d06072a8648ce3d020130820140020101303c06072a8648ce3d01010231008cb91e82a3386d280f5d',
      '6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53306404307bc382c63d8c150c',
      '3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826043004a8c7dd22ce2826',
      '8b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c110461041d1c64f068cf45',
      'ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e8abe1d7520f9c2a45c',
      'b1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c53150231008cb91e82a3386d28',
      '0f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565020101036200042ca852',
      'cb9a1caaaa466256d1cfd678bb7e5d8502dfa6f3fdb287293c32af9fa77ad3a7fa92e56f608110053121354002198b530bc6',
      '0ac7050ab98d7f6c475fd50706a4a6207d7a6336cb480b966a3aa64894f7f42b8fb4ac4774c9d6892330fba3820164308201',
      '60301f0603551d23041830168014a40a5fc380ae3e59af1b32d6136aefeec8ca35e8301d0603551d0e04160414af9dd5e656',
      '5737a8804b5b4c6f45093d809aa865300e0603551d0f0101ff040403020780302b0603551d1004243022800f323032333031',
      '30343036303434325a810f32303233303730343233353935395a30160603551d20040f300d300b060904007f000703010101',
      '302d0603551d1104263024821262756e646573647275636b657265692e6465a40e300c310a300806035504070c0144305106',
      '03551d12044a30488118637363612d6765726d616e79406273692e62756e642e6465861c68747470733a2f2f7777772e6273',
      '692e62756e642e64652f63736361a40e300c310a300806035504070c01443015060767810801010602040a30080201003103',
      '13015030300603551d1f042930273025a023a021861f687474703a2f2f7777772e6273692e62756e642e64652f637363615f',
      '63726c300a06082a8648ce3d0403040381880030818402404846f4a03e17896e9094af7652c38fe31ec964c2c3a906af813a',
      'abef5fe4f3156d140e2ef991dc11fd860a4a301b225de9fd4ed39b4f47ac72cdb88cc63b335902405d4e2895875e603ce286',
      '3073bf441d1ec53761cf47e5bc2b9b6bece4f229712e39002d77b555290fa550df5f40aa22d7d2a1e89feb3fef730ae33c93',
      '7796e8e33182012f3082012b02010130473041310b3009060355040613024445310d300b060355040a0c0462756e64310c30',
      '0a060355040b0c036273693115301306035504030c0c637363612d6765726d616e79020204a8300d06096086480165030402',
      '020500a058301506092a864886f70d01090331080606678108010101303f06092a864886f70d01090431320430c194cbc52a',
      'ac7a5077e792739434040cce0c465ddebf366d64eb3ab8ef5bb457cf5c4bd3d28f69804e5507308dcae3e8300c06082a8648',
      'ce3d0403030500046630640230403c68550dbc310a8002110ee18aef04e00b119030e0cc3ac8cad347d87f59031af26867f1',
      '855b1f1555b7c925b92d8a02307185621cd2cda6051e81627be5a486eb667897440f5bd69f96b8dd43f4f0b0a0cd21df3760',
      '12dba79d9f7138c2d9b3c7',
    ].join(''),
    csca: [
      '3082051c30820480a0030201020202048b300a06082a8648ce3d0403043041310b3009060355040613024445310d300b0603',
      '55040a0c0462756e64310c300a060355040b0c036273693115301306035504030c0c637363612d6765726d616e79301e170d',
      '3231313132333036323431355a170d3336303232333233353935395a3041310b3009060355040613024445310d300b060355',
      '040a0c0462756e64310c300a060355040b0c036273693115301306035504030c0c637363612d6765726d616e793082023830',
      '8201af06072a8648ce3d0201308201a2020101304c06072a8648ce3d0101024100aadd9db8dbe9c48b3fd4e6ae33c9fc07cb',
      '308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3308184',
      '04407830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b5',
      '7f1117a72bf2c7b9e7c1ac4d77fc94ca04403df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a7',
      '2bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f7230481810481aee4bdd82ed9645a21322e9c4c',
      '6a9385ed9f70b5d916c1b43b62eef4d0098eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f822',
      '7dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111b2dcde494a5f485e5bca4bd88a2763aed1ca',
      '2b2fa8f0540678cd1e0f3ad80892024100aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca7033087055',
      '3e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca9006902010103818200048190956c09b852981dc529',
      '49f3463b8efcdfe65e3e5a51d1c0dacf27c75e8252cc0840157a21a97bd9b4c927312afa8ae0ca1ca515f98cc1150f9a768d',
      '4d43ef556abcd3564bcaf583f53c6f40918155146dbab57f6cac0ba838010345e3dbc7140d82ea339a5747d48c53f02db421',
      '87d320ed4e275c755092750b04fe72ae97a382018530820181301d0603551d0e04160414a40a5fc380ae3e59af1b32d6136a',
      'efeec8ca35e8300e0603551d0f0101ff040403020106302b0603551d1004243022800f32303231313132333036323431355a',
      '810f32303235303132333233353935395a30160603551d20040f300d300b060904007f00070301010130510603551d11044a',
      '30488118637363612d6765726d616e79406273692e62756e642e6465861c68747470733a2f2f7777772e6273692e62756e64',
      '2e64652f63736361a40e300c310a300806035504070c014430510603551d12044a30488118637363612d6765726d616e7940',
      '6273692e62756e642e6465861c68747470733a2f2f7777772e6273692e62756e642e64652f63736361a40e300c310a300806',
      '035504070c014430120603551d130101ff040830060101ff02010030300603551d1f042930273025a023a021861f68747470',
      '3a2f2f7777772e6273692e62756e642e64652f637363615f63726c301f0603551d23041830168014a40a5fc380ae3e59af1b',
      '32d6136aefeec8ca35e8300a06082a8648ce3d040304038189003081850241009207451b0276c9b0bfe91c3b3fb7594489f6',
      'd5c34d4ff11149f1937beccf1a8d3919267b2bcbb176e2b9ecf6a4c240b0e1d0983e242a32e0c160d530db6934d5024037fb',
      '298c2da3ef90c70949aec7111f5eedd0a708a936ceab479d357da08c742762a3cddd2d6aa586d6822ebb762cfdcb5db734ee',
      '6d7f8ec1ed366305ba1aef0b',
    ].join(''),
  },
  CN: {
    sod: [
      '778208723082086e06092a864886f70d010702a082085f3082085b020103310f300d060960864801650304020105003081ec',
      '06092a864886f70d010701a081de0481db3081d8020100300d060960864801650304020105003081c3302502010104208e3d',
      'b602c52b6ddb7a64b51b8ac11fe180041e1ec0a99b15d13b23791db44cc230250201020420e39ad777c0f39826cec30f7363',
      '83c483110085ed0f2f3be68d05ca8083934de4302502010b04206a2c339878701019e0619ad0f62295e90f95971d29960c0b',
      '85429c9aaa1b0030302502010c0420ae4bba015b391df89ee3365c8c184ffcf9bb7e825a30077b73877278974e7a28302502',
      '010f0420350e1348a6a9e3e4f818e6c4b5de41543cb2dc32965e28410761dc27d5a5b30da082050b30820507308202efa003',
      '02010202086ec2bf305459ece8300d06092a864886f70d01010b05003081a1310b300906035504061302434e311b30190603',
      '55040a0c124368696e65736520476f7665726e6d656e7431243022060355040b0c1b4d696e6973747279206f6620466f7265',
      '69676e2041666661697273311a3018060355040b0c114368696e612050617373706f72742043413133303106035504030c2a',
      '4368696e612050617373706f727420436f756e747279205369676e696e67204365727469666963617465301e170d31373130',
      '32353032303735365a170d3238303631393032303735365a308190310b300906035504061302434e311b3019060355040a0c',
      '124368696e65736520476f7665726e6d656e7431243022060355040b0c1b4d696e6973747279206f66205075626c69632053',
      '656375726974793111300f060355040b0c0850617373706f7274312b302906035504030c2243445320445a485a4230313130',
      '3031392d31342d323031373130323431373239353830820122300d06092a864886f70d01010105000382010f003082010a02',
      '820101009bac315b5902605f4cdbbaa6b5b64eeba78d80046a5ba23f5d04254b44a862da93079b9a8361225674317dbf48fb',
      '8c09e9968958c232c845db34080257e70bfee1c5f8db29d132cfb41b12756132f8c183b66c23e9c14bbb9c1af7202d2e8d82',
      'f7e64478ee335136e85b76776d54daad4bbbca89f2f31cbc34f20884f46f3278a79ba5bec98fc717a90d72efc9a4c6cfe733',
      'fbbb50ba9c8d67e9ec8757bbe96a6cfb4807c35e63964df25a9d70fab4342788d3fb6e7661f32c698d1253d57a5008480e11',
      '3f11a0be909eb35c3ead98838e91d5a729b48499b2c646ce357f0457e3311750f29795445a016457fc5dd9ef4baff2ad062c',
      'a16623463a5667aa55830203010001a3523050301f0603551d230418301680146b6226e45394f8fafc75e9a787ddeae8cdb6',
      '4f93300e0603551d0f0101ff040403020780301d0603551d0e04160414305c6fd337f275b5ca1379c9ef8acd365a578fe830',
      '0d06092a864886f70d01010b05000382020100734e4b242b337f580e8634e97fbcf075a21700eeb3d5dee6e31b1c5f71b398',
      '83fc6745b53275d465c8917c20dc809f959207a6d1d1c8e8595eed37aed84df1ab24ea3c397966ca83ca187c0b8e59d28654',
      'a03a92c65d9008069bddd302f37c1658ace01fbd4d2c998f059328f84f510ac4d06fbc3020dbee34521237a0c60fd7ee87b9',
      'c5afde3fe862606be79f5825b9064394feaeb58004f6f1b1a1f1c034f2d7007805d74c5223f4d34b5285d57519a8f1c275d9',
      'b755384a01635597431c7607a8de2a249f397150b7325779d2dd1ffda8b686e5b7cf76ffef3d5c95b36d4f79053c5abb76ac',
      '87003e7074d911cd67363919bed2df268e94193a94c6e11e5fed8f1f865e7e6d97952ccfda93b5395e08355e953eeed4cc33',
      '8b6eeee3b98b326429698d02879aa36012aa396bbc7f5eec288c9e7d67da7b1be36c5325816c9ddd466cf6688e14b5c9c507',
      '9e0c67f266b0a918c33fe25c50a6307a7ce04a0f34dad16e02cd9e3fb0ad2494ee36b01b34f0cf2656801e3f766ad6460c79',
      'e932e630695d69921ceaaa58fce2777e11002d7d22d7f1a32058ad4e0663076478a8ff58c3f2508c03e6a3d36ba8b8847769',
      '362565e975d98d089196b3245a21fb8c2262fb2e3d3d47ba39222c55a54b217ffa3ee13a0292342b0be2d6aa69aca5b5d8c4',
      'e4152aadfba8b3d438f8fd44f4ef32bddfb94ed0b92088d1e3910f2ad5a53131820245308202410201013081ae3081a1310b',
      '300906035504061302434e311b3019060355040a0c124368696e65736520476f7665726e6d656e7431243022060355040b0c',
      '1b4d696e6973747279206f6620466f726569676e2041666661697273311a3018060355040b0c114368696e61205061737370',
      '6f72742043413133303106035504030c2a4368696e612050617373706f727420436f756e747279205369676e696e67204365',
      '72746966696361746502086ec2bf305459ece8300d06096086480165030402010500a069301806092a864886f70d01090331',
      '0b06092a864886f70d010701301c06092a864886f70d010905310f170d3138303330373038313132395a302f06092a864886',
      'f70d01090431220420223f9775973a1a44437d59b4cdb8d4c41cd0da477536e120e68433949faced2d300d06092a864886f7',
      '0d01010b05000482010004b1e23ae607023729a0323c47de6a6ec32eb3959fbf592eec08b46e3c1994fb1b330a8e3beaf2b6',
      '716d3032e492b7106b3f2f72882643c2bb41cef3317fc53f51f807274c7e48831be0aeea6ba8042f6fe463537db7bd2e535f',
      '2833ee35bd46541a8292b7d91a8cf12e8211f80260f5394913165f901c83f620486f3447ca7c5e5e3f11576677dca318c724',
      'b70981574e0ec02c8a1f1fb0e56ec0d416fa384c5d55077a7480cdc975c7c9e0c8e2b655c73f3eeac7359629a6afe12a8707',
      '4e74cc04e60567acc65174e3d9229b60f82aa6796b9922ead9b9c1bfc4c6f916341dbefee69dcc43fab5e3358c5681d38854',
      '9a7da6c00ac253e74d9036d10c5c5811',
    ].join(''),
    csca: [
      '3082060b308203f3a003020102020855fddf6fb9c6369a300d06092a864886f70d01010b05003081a1310b30090603550406',
      '1302434e311b3019060355040a0c124368696e65736520476f7665726e6d656e7431243022060355040b0c1b4d696e697374',
      '7279206f6620466f726569676e2041666661697273311a3018060355040b0c114368696e612050617373706f727420434131',
      '33303106035504030c2a4368696e612050617373706f727420436f756e747279205369676e696e6720436572746966696361',
      '7465301e170d3135303430393031343332365a170d3239303430353031343332365a3081a1310b300906035504061302434e',
      '311b3019060355040a0c124368696e65736520476f7665726e6d656e7431243022060355040b0c1b4d696e6973747279206f',
      '6620466f726569676e2041666661697273311a3018060355040b0c114368696e612050617373706f72742043413133303106',
      '035504030c2a4368696e612050617373706f727420436f756e747279205369676e696e672043657274696669636174653082',
      '0222300d06092a864886f70d01010105000382020f003082020a028202010091efcdd362b7e9e5774ed72aeb3e012eba5567',
      '50f7420430652a12a22c23074afd38607e9bd323e8548a266c63f2f3d0007a30d6591e5eeb89b968e341935f8acf3609f3cf',
      'acff7cb6ecde409f783fdef68aa43866aa9078dc05d1dbea8e26effcff6919b5c5612eefdf823d921d864daf6738d09cff25',
      'f42ba4ca0b380599d24bfba218d6a417c88a4537163430f33c1404ac6fa9b592c6b6b4fa4b3a36b68ea64ba2958ba6c8012a',
      '4e268d4d24cdb9c56dc999e45e1e968a2de8b9a8b1b23de10f7b198f34e06c21b2a78c61a0b69bedb4c182d3251b3b74bdec',
      'c152ca81fdfd8dbc9c28a673104da9344ea774504c142f3329285d4902a609293e0ee65c65a1d0e8698513c6d180252fbcea',
      '2bd890f371a1b7da4c43a6a34ada6b9900cb4c4f8ac73242527f85c8ccdf39ced45dbdda1a45bc35686eb694e6d052c2fd2c',
      '5c4548e8e2c8f0f6e6484ca6d347439431ce27cac0d0e372220b97ed036c97c97247b12c690f725cd02cdf66a375bfb82334',
      'd79f50b67222a6812d676ff27857a5699d99e2b5ad28d3c3503347836cd35fe42f0ca23e6203d36aee2f53f0144cf1e3f572',
      'db443884ec6310c64c0efb7d7051f942d55c2f1981ba3ac7c505588818ccaeaaaee560e0c6b00e83dd57f7aa490695333e68',
      'eaa128abad0e17c4289fd5d932b4e663e3672aef68049e038d553f9d52f312700d3b4e8d92d878b21ad11b0203010001a345',
      '304330120603551d130101ff040830060101ff020100300e0603551d0f0101ff040403020106301d0603551d0e041604146b',
      '6226e45394f8fafc75e9a787ddeae8cdb64f93300d06092a864886f70d01010b0500038202010078cfd98101e02c83b9cd32',
      'f1732b276aa8f06e848a717051916b74512b48bd539edd855a01916edc6de61c21f0355e7111171bd64e22a42bfbfbd38d8b',
      'b4c49742e9f3b6ea5d3c425faa1b21a4746566f9c70236e13edea762532b2e15b3c1ee52329760f20b53d9cf895c30dd104b',
      'f26c3df093d2630fe8d960bb07a681a089cdf803f505e4c863d41c762ca0d3033d075c96560dc399a84d343dba398c679c0d',
      '6f08738beb099b5933f71a7b8c7aa3190ecf1d25c55a9060cc9d0d9f3edcd96d9dc00a8ebdee12b5a26b82380c18919dd85d',
      '1f59eff043cb66d3b6b5ac0780d6598f7949e420e4c5440055124a777b9cf59c4acf6d5c4e1f5de9c0b07e1241ad6df8beb4',
      'a09de45622a5d777b2e025895a118e5807c71d89c416592704852757d6a757778cae5a9bae3e71db55e34e792b1dca00e1ba',
      '2134048eccdc9060b5a22d2e9a27d65aa1ac1c132ba972ade4b143f8747f9905842f208c6259fddd48492aff8a034167d9aa',
      '1409fd22403d163138ae6dcf988c1787bfb8890391e37b177c9e5cd065cc4eb5257ff94ac21e1335df6f13c809a49b77de83',
      '5747207a4398fb9effc15619311a3fffa0f0eae18f4822d4a1a40b9f1b41c043cb2a6d82678ebfa210d8971b72025c9260fb',
      '9bf7095ec088e915d5b3dc19ba0e393fea081f71418a96bc228ac07ef523c0dc642f93e6747ac0ed7350ed6ce6e9a7526d08',
      'ac',
    ].join(''),
  },
} as const;
