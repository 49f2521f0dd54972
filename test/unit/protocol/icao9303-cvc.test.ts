/**
 * Card-verifiable certificates (TR-03110-3 Appendix C; protocol/icao9303/cvc.ts): a real CVCA
 * certificate of the German eID test PKI decoded and its self-signature checked; certificates
 * written here and signed by Node's OpenSSL (an independent ECDSA) read back; plain ECDSA against
 * Node on NIST and brainpool curves; chains with their failures, link certificates and the AND of
 * the rights; the chip's date rules; boundaries; random and mutated bytes never throwing.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto as crypto } from '../../../drivers/crypto/node-crypto.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import {
  CVC_OID,
  type CvCertificate,
  chipAcceptsDate,
  chipDateAfter,
  cvcKey,
  cvcPsoData,
  decodeCvCertificate,
  decodeCvcParts,
  encodeCvCertificate,
  encodeCvcBody,
  IS_RIGHT,
  taDigest,
  taEcdsaOid,
  verifyCvcChain,
  verifyCvcSignature,
} from '../../../protocol/icao9303/cvc.ts';
import { bytesToBigInt, signEcdsaWithNonce, verifyEcdsa } from '../../../protocol/icao9303/ec.ts';
import type { HashAlgorithm } from '../../../protocol/icao9303/sod.ts';
import { encodeTlv } from '../../../protocol/iso7816/tlv.ts';
import {
  addDays,
  createEacKey,
  createTestEacPki,
  type EacCurveName,
  issueCvc,
  signPlain,
  type TestEacPki,
} from '../../../simulators/pki/cvca.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const TODAY = '2026-11-22';

/**
 * The German eID test PKI's CVCA certificate DECVCAeID00103 (self-signed, brainpoolP256r1,
 * id-TA-ECDSA-SHA-256, an authentication-terminal CHAT), body and signature as AusweisApp2's test
 * data publishes them (test/qt/card/asn1/test_CVCertificate.cpp). Public data, not ours.
 */
const DECVCA_BODY = fromHex(
  '7f4e82016e5f290100420e44454356434165494430303130337f4982011d060a04007f000702020202038120a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e537782207d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9832026dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b68441048bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f0469978520a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a78641048925419fc7f194922cfc6b8dd25ae6a19c1b59216e6cf06270e5d75cfd64205f55cf867bbfefeefd6e680e1fd197f18ab684484901362568efc9adb5c6018d728701015f200e44454356434165494430303130337f4c12060904007f0007030102025305fc0f13ffff5f25060102010200035f2406010501020003',
);
const DECVCA_SIGNATURE = fromHex(
  '5f37406018cff8ee22ae417a63446a5fbf53ac39dd1ee331af4b62569604966f7575359b0c536673dcb98f9ae62c5f9724e0236bef6dc485ffa331be5e82de4410e2e8',
);
const DECVCA = encodeTlv(0x7f21, DECVCA_BODY, DECVCA_SIGNATURE);

function decoded(bytes: Uint8Array): CvCertificate {
  const result = decodeCvCertificate(bytes);
  if (!result.ok) throw new Error(`${result.error.reason} at ${result.error.offset}: ${result.error.detail}`);
  return result.value;
}

describe('a real CVCA certificate (DECVCAeID00103)', () => {
  const cert = decoded(DECVCA);

  it('decodes every field', () => {
    expect(cert).toMatchObject({
      profileIdentifier: 0,
      car: 'DECVCAeID00103',
      chr: 'DECVCAeID00103',
      effectiveDate: '2012-12-03',
      expirationDate: '2015-12-03',
      extensions: [],
      chat: { terminalType: CVC_OID.authenticationTerminal, role: 'cvca', rights: 0x3c },
      publicKey: { oid: CVC_OID.ecdsaSha256, hash: 'sha256' },
    });
    expect(toHex(cert.chat.discretionaryData)).toBe('FC0F13FFFF');
    expect(cert.body).toEqual(DECVCA_BODY);
    expect(cert.signature).toEqual(DECVCA_SIGNATURE.subarray(3));
    expect(cert.encoded).toEqual(DECVCA);
  });

  it('carries brainpoolP256r1 explicitly, and its self-signature verifies', () => {
    const key = cvcKey(cert, undefined);
    if (!key.ok) throw new Error(key.error.detail);
    expect(key.value.curve.name).toBe('brainpoolP256r1');
    expect(verifyCvcSignature(crypto, cert, key.value)).toBe('valid');
  });

  it('a body changed by one bit no longer verifies', () => {
    const key = cvcKey(cert, undefined);
    if (!key.ok) throw new Error(key.error.detail);
    const body = cert.body.slice();
    body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0x01; // the expiry's last digit
    const altered = decoded(encodeTlv(0x7f21, body, DECVCA_SIGNATURE));
    expect(altered.expirationDate).toBe('2015-12-02');
    expect(verifyCvcSignature(crypto, altered, key.value)).toBe('invalid');
  });

  it('PSO:Verify Certificate data is the body and the signature, and decodes as the same certificate', () => {
    expect(cvcPsoData(cert)).toEqual(DECVCA.subarray(5)); // after 7F21 82 01B6
    const parts = decodeCvcParts(cvcPsoData(cert));
    expect(parts.ok && parts.value.encoded).toEqual(DECVCA);
  });
});

describe('plain ECDSA (ec.ts) against Node', () => {
  const message = new TextEncoder().encode('ID_PICC ‖ r_PICC ‖ Comp(PK_PCD)');

  it.each(['brainpoolP256r1', 'brainpoolP384r1', 'prime256v1', 'secp384r1'] as const)(
    '%s: Node signs, we verify; a changed message or signature fails',
    (name) => {
      const key = createEacKey(name);
      const signature = signPlain(key, message);
      const digest = digestOf(key.hash, message);
      const point = key.curve.Point.fromBytes(key.point);
      expect(verifyEcdsa(key.curve, point, digest, signature)).toBe(true);
      expect(verifyEcdsa(key.curve, point, digestOf(key.hash, message.subarray(1)), signature)).toBe(false);
      const bad = signature.slice();
      bad[5] = (bad[5] ?? 0) ^ 0x80;
      expect(verifyEcdsa(key.curve, point, digest, bad)).toBe(false);
      expect(verifyEcdsa(key.curve, point, digest, signature.subarray(1))).toBe(false);
    },
  );

  it('r or s of zero or at the order is refused, not computed', () => {
    const key = createEacKey('prime256v1');
    const point = key.curve.Point.fromBytes(key.point);
    const n = key.curve.domain.n;
    const half = (v: bigint) => fromHex(v.toString(16).padStart(64, '0'));
    const digest = crypto.sha256(message);
    for (const [r, s] of [
      [0n, 1n],
      [1n, 0n],
      [n, 1n],
      [1n, n],
    ] as const)
      expect(verifyEcdsa(key.curve, point, digest, Uint8Array.from([...half(r), ...half(s)]))).toBe(false);
  });

  it('our signature with a chosen nonce is one Node verifies (SHA-512 cut to the order on P-256)', () => {
    const key = createEacKey('prime256v1');
    const d = bytesToBigInt(Buffer.from(key.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
    const digest = crypto.sha512(message);
    const signature = signEcdsaWithNonce(key.curve, d, digest, 0x1234567890abcdefn);
    if (!signature) throw new Error('r or s was zero');
    const publicKey = createPublicKey(key.privateKey);
    expect(nodeVerify('sha512', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
      true,
    );
  });
});

describe('writing and reading certificates', () => {
  it.each(['brainpoolP256r1', 'brainpoolP384r1', 'prime256v1', 'secp384r1'] as const)(
    'a %s CVCA certificate round-trips with its domain parameters and self-verifies',
    (curve: EacCurveName) => {
      const key = createEacKey(curve);
      const issued = issueCvc('self', {
        car: 'VNCVCA00001',
        chr: 'VNCVCA00001',
        role: 'cvca',
        rights: IS_RIGHT.readDg3 | IS_RIGHT.readDg4,
        effectiveDate: '2026-01-01',
        expirationDate: '2035-12-31',
        key,
      });
      const cert = decoded(issued.bytes);
      expect(cert).toMatchObject({
        car: 'VNCVCA00001',
        chr: 'VNCVCA00001',
        chat: { terminalType: CVC_OID.inspectionSystem, role: 'cvca', rights: 3 },
        effectiveDate: '2026-01-01',
        expirationDate: '2035-12-31',
        publicKey: { oid: taEcdsaOid(key.hash), hash: key.hash },
      });
      expect(cert.publicKey.point).toEqual(key.point);
      const usable = cvcKey(cert, undefined);
      if (!usable.ok) throw new Error(usable.error.detail);
      expect(usable.value.curve.name).toBe(curve === 'prime256v1' ? 'secp256r1' : curve);
      expect(verifyCvcSignature(crypto, cert, usable.value)).toBe('valid');
      // Re-encoding the decoded fields gives the same body byte for byte.
      expect(
        encodeCvcBody({
          car: cert.car,
          chr: cert.chr,
          publicKey: { oid: cert.publicKey.oid, point: cert.publicKey.point, curve: usable.value.curve },
          chat: { role: cert.chat.role, rights: cert.chat.rights },
          effectiveDate: cert.effectiveDate,
          expirationDate: cert.expirationDate,
        }),
      ).toEqual(cert.body);
    },
  );

  it('a DV certificate has no domain parameters and needs the CVCA curve to be used', () => {
    const pki = createTestEacPki(TODAY);
    expect(pki.dv.certificate.publicKey.domain).toBeUndefined();
    expect(cvcKey(pki.dv.certificate, undefined)).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value' },
    });
    const key = cvcKey(pki.dv.certificate, pki.cvca.key.curve);
    expect(key.ok).toBe(true);
  });

  it('the writer refuses what it cannot encode', () => {
    const base = {
      car: 'VNCVCA00001',
      chr: 'VNDV00001',
      publicKey: { oid: CVC_OID.ecdsaSha256, point: Uint8Array.of(4, 1, 2) },
      chat: { role: 'dv-domestic' as const, rights: 3 },
      effectiveDate: '2026-01-01',
      expirationDate: '2026-12-31',
    };
    expect(() => encodeCvcBody({ ...base, car: 'X'.repeat(17) })).toThrow(RangeError);
    expect(() => encodeCvcBody({ ...base, chr: '' })).toThrow(RangeError);
    expect(() => encodeCvcBody({ ...base, effectiveDate: '1999-01-01' })).toThrow(RangeError);
    expect(() => encodeCvcBody({ ...base, chat: { role: 'terminal', rights: 0x40 } })).toThrow(RangeError);
    expect(() =>
      encodeCvcBody({ ...base, publicKey: { ...base.publicKey, oid: `${CVC_OID.idTa}.1.2` } }),
    ).toThrow(RangeError);
  });
});

describe('chains: CVCA → (link) → DV → terminal', () => {
  let pki: TestEacPki;
  beforeAll(() => {
    pki = createTestEacPki(TODAY);
  });
  const chain = (...certs: { certificate: CvCertificate }[]) => certs.map((c) => c.certificate);

  it('the normal chain verifies with DG3 and DG4 on its dates', () => {
    const result = verifyCvcChain({
      trustPoint: pki.cvca.certificate,
      certificates: chain(pki.dv, pki.terminal),
      today: TODAY,
      crypto,
    });
    expect(result).toMatchObject({ ok: true, value: { rights: 3, holder: { chr: 'VNNOTARY00001' } } });
  });

  it('effective rights are the AND of the CHATs: a DG4-only terminal gets no DG3', () => {
    const result = verifyCvcChain({
      trustPoint: pki.cvca.certificate,
      certificates: chain(pki.dv, pki.noDg3Terminal),
      today: TODAY,
      crypto,
    });
    expect(result).toMatchObject({ ok: true, value: { rights: IS_RIGHT.readDg4 } });
    // A DV limited to DG3 under a DG3+DG4 CVCA, and a DG3+DG4 terminal under it: DG3 only.
    const dv = issueCvc(pki.cvca.key, {
      car: 'VNCVCA00001',
      chr: 'VNDVLIMIT001',
      role: 'dv-domestic',
      rights: IS_RIGHT.readDg3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 30),
    });
    const terminal = issueCvc(dv.key, {
      car: 'VNDVLIMIT001',
      chr: 'VNTERM000001',
      role: 'terminal',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 30),
    });
    expect(
      verifyCvcChain({
        trustPoint: pki.cvca.certificate,
        certificates: chain(dv, terminal),
        today: TODAY,
        crypto,
      }),
    ).toMatchObject({ ok: true, value: { rights: IS_RIGHT.readDg3 } });
  });

  it.each([
    ['the day after the expiry', addDays(TODAY, 30), 'expired', 1],
    ['before the effective date', addDays(TODAY, -2), 'not-yet-effective', 1],
  ] as const)('checked %s: %s', (_, today, reason, index) => {
    const result = verifyCvcChain({
      trustPoint: pki.cvca.certificate,
      certificates: chain(pki.dv, pki.terminal),
      today,
      crypto,
    });
    expect(result).toMatchObject({ ok: false, error: { reason, index, chr: 'VNNOTARY00001' } });
  });

  it('the expiry day itself and the effective day are inside the validity', () => {
    for (const today of [addDays(TODAY, 29), addDays(TODAY, -1)])
      expect(
        verifyCvcChain({
          trustPoint: pki.cvca.certificate,
          certificates: chain(pki.dv, pki.terminal),
          today,
          crypto,
        }).ok,
      ).toBe(true);
  });

  it('an expired terminal certificate is refused at the station', () => {
    const result = verifyCvcChain({
      trustPoint: pki.cvca.certificate,
      certificates: chain(pki.dv, pki.expiredTerminal),
      today: TODAY,
      crypto,
    });
    expect(result).toMatchObject({ ok: false, error: { reason: 'expired', chr: 'VNNOTARY00000' } });
  });

  it('a link certificate takes the chain to the next CVCA generation; an expired link is still followed', () => {
    const dv2 = issueCvc(pki.nextCvca.key, {
      car: 'VNCVCA00002',
      chr: 'VNDVCCCD00002',
      role: 'dv-domestic',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 60),
    });
    const terminal2 = issueCvc(dv2.key, {
      car: 'VNDVCCCD00002',
      chr: 'VNNOTARY00002',
      role: 'terminal',
      rights: 1,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 30),
    });
    const ok = verifyCvcChain({
      trustPoint: pki.cvca.certificate,
      certificates: chain(pki.link, dv2, terminal2),
      today: TODAY,
      crypto,
    });
    expect(ok).toMatchObject({ ok: true, value: { rights: 1 } });
    const staleLink = issueCvc(pki.cvca.key, {
      car: 'VNCVCA00001',
      chr: 'VNCVCA00002',
      role: 'cvca',
      rights: 3,
      effectiveDate: '2020-01-01',
      expirationDate: '2021-01-01',
      key: pki.nextCvca.key,
    });
    expect(
      verifyCvcChain({
        trustPoint: pki.cvca.certificate,
        certificates: chain(staleLink, dv2, terminal2),
        today: TODAY,
        crypto,
      }).ok,
    ).toBe(true);
    // Without the link the DV names a CVCA the trust point is not.
    expect(
      verifyCvcChain({
        trustPoint: pki.cvca.certificate,
        certificates: chain(dv2, terminal2),
        today: TODAY,
        crypto,
      }),
    ).toMatchObject({ ok: false, error: { reason: 'issuer-mismatch', index: 0 } });
  });

  it('a DV signed by another key than the CVCA named', () => {
    const forged = issueCvc(pki.otherCvca.key, {
      car: 'VNCVCA00001',
      chr: 'VNDVFORGED01',
      role: 'dv-domestic',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 30),
    });
    expect(
      verifyCvcChain({ trustPoint: pki.cvca.certificate, certificates: chain(forged), today: TODAY, crypto }),
    ).toMatchObject({ ok: false, error: { reason: 'signature-invalid', index: 0, chr: 'VNDVFORGED01' } });
  });

  it('roles: a terminal directly under the CVCA, a DV under a DV, anything under a terminal', () => {
    const direct = issueCvc(pki.cvca.key, {
      car: 'VNCVCA00001',
      chr: 'VNTERMDIRECT',
      role: 'terminal',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 30),
    });
    expect(
      verifyCvcChain({ trustPoint: pki.cvca.certificate, certificates: chain(direct), today: TODAY, crypto }),
    ).toMatchObject({ ok: false, error: { reason: 'role-invalid', index: 0 } });
    const subDv = issueCvc(pki.dv.key, {
      car: 'VNDVCCCD00001',
      chr: 'VNSUBDV00001',
      role: 'dv-foreign',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 30),
    });
    expect(
      verifyCvcChain({
        trustPoint: pki.cvca.certificate,
        certificates: chain(pki.dv, subDv),
        today: TODAY,
        crypto,
      }),
    ).toMatchObject({ ok: false, error: { reason: 'role-invalid', index: 1 } });
    expect(
      verifyCvcChain({ trustPoint: pki.dv.certificate, certificates: [], today: TODAY, crypto }),
    ).toMatchObject({ ok: false, error: { reason: 'role-invalid', index: -1 } });
  });
});

describe("the chip's current date (TR-03110-3 §A.6.2)", () => {
  const pki = createTestEacPki(TODAY);
  const foreignDv = issueCvc(pki.cvca.key, {
    car: 'VNCVCA00001',
    chr: 'XXDVFOREIGN1',
    role: 'dv-foreign',
    rights: 3,
    effectiveDate: addDays(TODAY, -5),
    expirationDate: addDays(TODAY, 30),
  });
  const foreignTerminal = issueCvc(foreignDv.key, {
    car: 'XXDVFOREIGN1',
    chr: 'XXTERM000001',
    role: 'terminal',
    rights: 3,
    effectiveDate: addDays(TODAY, -1),
    expirationDate: addDays(TODAY, 30),
  });
  const old = '2025-01-01';

  it.each([
    ['a CVCA (link) certificate', pki.link, pki.cvca, TODAY],
    ['a domestic DV certificate', pki.dv, pki.cvca, addDays(TODAY, -30)],
    ['a terminal certificate of a domestic DV', pki.terminal, pki.dv, addDays(TODAY, -1)],
    ['a foreign DV certificate: unchanged', foreignDv, pki.cvca, old],
    ["a foreign DV's terminal: unchanged", foreignTerminal, foreignDv, old],
  ] as const)('moves forward on %s', (_, cert, issuer, expected) => {
    expect(chipDateAfter(old, cert.certificate, issuer.certificate)).toBe(expected);
  });

  it('never moves back', () => {
    expect(chipDateAfter('2030-01-01', pki.dv.certificate, pki.cvca.certificate)).toBe('2030-01-01');
  });

  it('refuses a DV or terminal certificate that expired before its date; takes CVCA ones and future ones', () => {
    expect(chipAcceptsDate(addDays(TODAY, 29), pki.terminal.certificate)).toBe(true);
    expect(chipAcceptsDate(addDays(TODAY, 30), pki.terminal.certificate)).toBe(false);
    expect(chipAcceptsDate('2024-01-01', pki.terminal.certificate)).toBe(true);
    expect(chipAcceptsDate('2099-01-01', pki.link.certificate)).toBe(true);
  });
});

describe('decoding boundaries', () => {
  const pki = createTestEacPki(TODAY);
  const base = pki.terminal.certificate;
  /** The terminal certificate's body with one element replaced, re-signed by the DV. */
  function withBody(mutate: (items: Uint8Array[]) => Uint8Array[]): Uint8Array {
    const parts = decodeBodyItems(base.body);
    const body = encodeTlv(0x7f4e, ...mutate(parts));
    return encodeCvCertificate(body, signPlain(pki.dv.key, body));
  }

  it.each([
    [
      'a CAR of 16 characters',
      (i: Uint8Array[]) => replace(i, 1, encodeTlv(0x42, ascii('A'.repeat(16)))),
      true,
    ],
    [
      'a CAR of 17 characters',
      (i: Uint8Array[]) => replace(i, 1, encodeTlv(0x42, ascii('A'.repeat(17)))),
      false,
    ],
    ['an empty CHR', (i: Uint8Array[]) => replace(i, 3, encodeTlv(0x5f20, new Uint8Array(0))), false],
    [
      'a control character in the CHR',
      (i: Uint8Array[]) => replace(i, 3, encodeTlv(0x5f20, Uint8Array.of(0x41, 0x0a))),
      false,
    ],
    [
      'a date digit of 10',
      (i: Uint8Array[]) => replace(i, 5, encodeTlv(0x5f25, Uint8Array.of(2, 6, 0, 1, 0, 10))),
      false,
    ],
    [
      '30 February',
      (i: Uint8Array[]) => replace(i, 5, encodeTlv(0x5f25, Uint8Array.of(2, 6, 0, 2, 3, 0))),
      false,
    ],
    [
      '29 February of a common year',
      (i: Uint8Array[]) => replace(i, 5, encodeTlv(0x5f25, Uint8Array.of(2, 7, 0, 2, 2, 9))),
      false,
    ],
    [
      'an expiry before the effective date',
      (i: Uint8Array[]) => replace(i, 6, encodeTlv(0x5f24, Uint8Array.of(2, 0, 0, 1, 0, 1))),
      false,
    ],
    ['profile identifier 1', (i: Uint8Array[]) => replace(i, 0, encodeTlv(0x5f29, Uint8Array.of(1))), false],
    [
      'CHR and CAR swapped',
      (i: Uint8Array[]) => [i[0], i[3], i[2], i[1], ...i.slice(4)] as Uint8Array[],
      false,
    ],
    [
      'an extension',
      (i: Uint8Array[]) => [...i, encodeTlv(0x65, encodeTlv(0x73, encodeTlv(0x06, Uint8Array.of(0x2a, 3))))],
      true,
    ],
  ] as const)('%s', (_, mutate, accepted) => {
    const result = decodeCvCertificate(withBody(mutate));
    expect(result.ok, result.ok ? '' : result.error.detail).toBe(accepted);
  });

  it('29 February 2028 (a leap year) is a day; a trailing byte is not part of a certificate', () => {
    const leap = decodeCvCertificate(
      withBody((i) => replace(i, 6, encodeTlv(0x5f24, Uint8Array.of(2, 8, 0, 2, 2, 9)))),
    );
    expect(leap.ok && leap.value.expirationDate).toBe('2028-02-29');
    const trailing = Uint8Array.from([...base.encoded, 0x00]);
    expect(decodeCvCertificate(trailing)).toMatchObject({ ok: false, error: { reason: 'trailing-data' } });
    expect(decodeCvCertificate(base.encoded.subarray(0, base.encoded.length - 1))).toMatchObject({
      ok: false,
      error: { reason: 'truncated' },
    });
  });

  it('a certificate over the size bound is too large, without being read', () => {
    const huge = encodeTlv(0x7f21, new Uint8Array(5000));
    expect(decodeCvCertificate(huge)).toMatchObject({ ok: false, error: { reason: 'too-large' } });
  });
});

describe('untrusted bytes (fast-check)', () => {
  const pki = createTestEacPki(TODAY);
  const valid = pki.cvca.bytes;

  it('random bytes give a result, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(typeof decodeCvCertificate(bytes).ok).toBe('boolean');
        expect(typeof decodeCvcParts(bytes).ok).toBe('boolean');
      }),
      { seed, numRuns: 400 },
    );
  });

  it('a valid certificate with bytes changed decodes or fails with a reason; a decoded one never verifies wrongly', () => {
    const key = cvcKey(pki.cvca.certificate, undefined);
    if (!key.ok) throw new Error(key.error.detail);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        (edits) => {
          const bytes = valid.slice();
          for (const [at, value] of edits) bytes[at] = value;
          const result = decodeCvCertificate(bytes);
          if (!result.ok) {
            expect(['truncated', 'invalid-value', 'trailing-data', 'too-large', 'unsupported']).toContain(
              result.error.reason,
            );
            return;
          }
          const changedSigned = !sameBytes(result.value.body, pki.cvca.certificate.body);
          const changedSignature = !sameBytes(result.value.signature, pki.cvca.certificate.signature);
          if (changedSigned || changedSignature)
            expect(verifyCvcSignature(crypto, result.value, key.value)).not.toBe('valid');
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('references, dates and rights round-trip', () => {
    const key = createEacKey('prime256v1');
    const day = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true });
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z0-9]{1,16}$/),
        fc.stringMatching(/^[A-Za-z0-9 ]{1,16}$/),
        day,
        day,
        fc.integer({ min: 0, max: 0x3f }),
        fc.constantFrom('cvca', 'dv-domestic', 'dv-foreign', 'terminal' as const),
        (car, chr, a, b, rights, role) => {
          const [from, to] = [a, b].map((d) => d.toISOString().slice(0, 10)).sort() as [string, string];
          const body = encodeCvcBody({
            car,
            chr,
            publicKey: { oid: CVC_OID.ecdsaSha256, point: key.point },
            chat: { role, rights },
            effectiveDate: from,
            expirationDate: to,
          });
          const cert = decoded(encodeCvCertificate(body, new Uint8Array(64)));
          expect(cert).toMatchObject({
            car,
            chr,
            effectiveDate: from,
            expirationDate: to,
            chat: { role, rights },
          });
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

function digestOf(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  const digest = taDigest(crypto, hash, data);
  if (!digest) throw new Error(`no ${hash}`);
  return digest;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function replace(items: Uint8Array[], index: number, item: Uint8Array): Uint8Array[] {
  return items.map((x, i) => (i === index ? item : x));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The body's data objects as separate TLVs (test helper; the decoder has its own). */
function decodeBodyItems(body: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = [];
  // 7F4E and its length (1 to 3 length bytes).
  let at = 2;
  const first = body[at] ?? 0;
  at += first < 0x80 ? 1 : 1 + (first & 0x7f);
  while (at < body.length) {
    const start = at;
    at += ((body[at] ?? 0) & 0x1f) === 0x1f ? 2 : 1;
    const len = body[at] ?? 0;
    let length = len;
    if (len >= 0x80) {
      length = 0;
      for (let i = 1; i <= (len & 0x7f); i++) length = length * 256 + (body[at + i] ?? 0);
      at += len & 0x7f;
    }
    at += 1 + length;
    items.push(body.slice(start, at));
  }
  return items;
}
