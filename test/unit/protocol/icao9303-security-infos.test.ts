/**
 * SecurityInfos (ICAO 9303-11 §9.2; protocol/icao9303/security-infos.ts): the worked-example
 * EF.CardAccess, a DG14 built by simulators/card/lds-builder.ts, protocols kept raw, malformed
 * entries skipped and counted, the SET and the DG14 wrapper enforced, and untrusted bytes (random
 * and mutated) never throwing in decodeSecurityInfos or decodeEcPublicKey.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { chooseChipAuthentication } from '../../../protocol/icao9303/chip-auth.ts';
import {
  chipAuthenticationOid,
  decodeEcPublicKey,
  decodeSecurityInfos,
  encodePaceInfo,
  encodeSecurityInfos,
  paceProtocolOid,
  type SecurityInfo,
} from '../../../protocol/icao9303/security-infos.ts';
import { encodeDerInteger, encodeOid } from '../../../protocol/icao9303/sod.ts';
import { concatBytes, encodeTlv } from '../../../protocol/iso7816/tlv.ts';
import { type BuiltLds, buildLds, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import { createTestPki, type TestPki } from '../../../simulators/pki/csca.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

/** 9303-11 App. G.1 (PACE worked example, ECDH-GM): EF.CardAccess. */
const WORKED_EXAMPLE_CARD_ACCESS = '31143012060A04007F0007020204020202010202010D';

const ID_CA_ECDH_AES_128 = '0.4.0.127.0.7.2.2.3.2.2';
const ID_PK_ECDH = '0.4.0.127.0.7.2.2.1.2';
const ID_TA = '0.4.0.127.0.7.2.2.2';
const ID_AA = '2.23.136.1.1.5';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** ecdsa-plain-SHA384 (BSI TR-03111 §5.2.1.1). */
const ECDSA_PLAIN_SHA384 = '0.4.0.127.0.7.1.1.4.1.4';

const seq = (...parts: Uint8Array[]) => encodeTlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => encodeTlv(0x31, ...parts);
const int = encodeDerInteger;
const oid = encodeOid;

function decodeOk(bytes: Uint8Array, options: { dg14?: boolean } = {}) {
  const decoded = decodeSecurityInfos(bytes, options);
  if (!decoded.ok) throw new Error(`${decoded.error.reason}: ${decoded.error.detail}`);
  return decoded.value;
}

function ofType<T extends SecurityInfo['type']>(
  infos: readonly SecurityInfo[],
  type: T,
): Extract<SecurityInfo, { type: T }> {
  const found = infos.find((i): i is Extract<SecurityInfo, { type: T }> => i.type === type);
  if (!found) throw new Error(`no ${type}`);
  return found;
}

function spkiOf(publicKey: ReturnType<typeof createPublicKey>): Uint8Array {
  return new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
}

describe('EF.CardAccess of the PACE worked example (9303-11 App. G.1)', () => {
  it('is one PACEInfo: ECDH-GM, AES-128, version 2, parameter id 13 (brainpoolP256r1)', () => {
    expect(decodeOk(fromHex(WORKED_EXAMPLE_CARD_ACCESS))).toEqual({
      infos: [
        {
          type: 'pace',
          protocol: '0.4.0.127.0.7.2.2.4.2.2',
          mapping: 'ECDH-GM',
          cipher: 'aes-128',
          version: 2,
          parameterId: 13,
        },
      ],
      skipped: 0,
    });
  });

  it('encodes back byte for byte', () => {
    const encoded = encodeSecurityInfos([
      encodePaceInfo({ protocol: paceProtocolOid('ECDH-GM', 'aes-128'), version: 2, parameterId: 13 }),
    ]);
    expect(toHex(encoded)).toBe(WORKED_EXAMPLE_CARD_ACCESS);
  });

  it('a PACEInfo without parameter id decodes with parameterId undefined', () => {
    const infos = decodeOk(set(seq(oid(paceProtocolOid('ECDH-IM', 'aes-256')), int(2))));
    expect(infos.infos).toEqual([
      {
        type: 'pace',
        protocol: '0.4.0.127.0.7.2.2.4.4.4',
        mapping: 'ECDH-IM',
        cipher: 'aes-256',
        version: 2,
        parameterId: undefined,
      },
    ]);
  });
});

describe('DG14 from lds-builder', () => {
  let pki: TestPki;
  let lds: BuiltLds;
  beforeAll(async () => {
    pki = await createTestPki('ecdsa-p256');
    lds = buildLds(SAMPLE_PERSON, { documentSigner: pki.documentSigner, portrait: { width: 8, height: 8 } });
  });

  it('holds CA (ECDH, AES-128, v1), the CA key, and AA with ecdsa-with-SHA256', () => {
    const infos = decodeOk(lds.dg14, { dg14: true });
    expect(infos.skipped).toBe(0);
    expect(infos.infos).toHaveLength(3);
    expect(ofType(infos.infos, 'chip-authentication')).toEqual({
      type: 'chip-authentication',
      protocol: ID_CA_ECDH_AES_128,
      agreement: 'ECDH',
      cipher: 'aes-128',
      version: 1,
      keyId: undefined,
    });
    const key = ofType(infos.infos, 'chip-authentication-public-key');
    expect(key.protocol).toBe(ID_PK_ECDH);
    expect(key.agreement).toBe('ECDH');
    expect(key.keyId).toBeUndefined();
    expect(toHex(key.subjectPublicKeyInfo)).toBe(toHex(spkiOf(createPublicKey(lds.chipAuthenticationKey))));
    expect(ofType(infos.infos, 'active-authentication')).toEqual({
      type: 'active-authentication',
      version: 1,
      signatureAlgorithm: ECDSA_WITH_SHA256,
      hash: 'sha256',
    });
  });

  it('its CA key decodes to the chip key’s curve and point', () => {
    const key = ofType(decodeOk(lds.dg14, { dg14: true }).infos, 'chip-authentication-public-key');
    const decoded = decodeEcPublicKey(key.subjectPublicKeyInfo);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.curve.name).toBe('secp256r1');
    const jwk = createPublicKey(lds.chipAuthenticationKey).export({ format: 'jwk' });
    const x = Buffer.from(jwk.x ?? '', 'base64url')
      .toString('hex')
      .toUpperCase();
    const y = Buffer.from(jwk.y ?? '', 'base64url')
      .toString('hex')
      .toUpperCase();
    expect(toHex(decoded.value.point.toBytes(false))).toBe(`04${x}${y}`);
    const choice = chooseChipAuthentication(decodeOk(lds.dg14, { dg14: true }));
    expect(choice).toMatchObject({ ok: true, offer: { cipher: 'aes-128', keyId: undefined } });
  });

  it('with a brainpoolP256r1 CA key', () => {
    const brainpool = buildLds(SAMPLE_PERSON, {
      documentSigner: pki.documentSigner,
      chipAuthenticationCurve: 'brainpoolP256r1',
      portrait: { width: 8, height: 8 },
    });
    const key = ofType(decodeOk(brainpool.dg14, { dg14: true }).infos, 'chip-authentication-public-key');
    const decoded = decodeEcPublicKey(key.subjectPublicKeyInfo);
    expect(decoded.ok && decoded.value.curve.name).toBe('brainpoolP256r1');
  });

  it('needs the DG14 flag for the 6E wrapper, and the flag needs tag 6E', () => {
    expect(decodeSecurityInfos(lds.dg14)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    const bareSet = decodeOk(lds.dg14, { dg14: true });
    const inner = lds.dg14.subarray(2 + (lds.dg14[1] === 0x81 ? 1 : lds.dg14[1] === 0x82 ? 2 : 0));
    expect(inner[0]).toBe(0x31);
    expect(decodeOk(inner).infos).toEqual(bareSet.infos);
    expect(decodeSecurityInfos(inner, { dg14: true })).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 0 },
    });
    // DG15's tag (6F) around the same SET is not DG14.
    expect(decodeSecurityInfos(encodeTlv(0x6f, inner), { dg14: true }).ok).toBe(false);
    expect(decodeSecurityInfos(fromHex('6E00'), { dg14: true }).ok).toBe(false);
    expect(decodeSecurityInfos(encodeTlv(0x6e, seq(inner)), { dg14: true }).ok).toBe(false);
  });
});

describe('protocols this station does not use are kept, raw', () => {
  it.each([
    ['Terminal Authentication', seq(oid(ID_TA), int(1)), ID_TA],
    [
      'PACEDomainParameterInfo (id-PACE-ECDH-GM, no cipher arc)',
      seq(oid('0.4.0.127.0.7.2.2.4.2'), seq(oid('0.4.0.127.0.7.1.2'), int(13))),
      '0.4.0.127.0.7.2.2.4.2',
    ],
    [
      'PACE with an unknown mapping (5)',
      seq(oid('0.4.0.127.0.7.2.2.4.5.2'), int(2)),
      '0.4.0.127.0.7.2.2.4.5.2',
    ],
    [
      'PACE with an unknown cipher (9)',
      seq(oid('0.4.0.127.0.7.2.2.4.2.9'), int(2)),
      '0.4.0.127.0.7.2.2.4.2.9',
    ],
    ['CA with an unknown cipher (9)', seq(oid('0.4.0.127.0.7.2.2.3.2.9'), int(1)), '0.4.0.127.0.7.2.2.3.2.9'],
    [
      'CA with an unknown agreement (3)',
      seq(oid('0.4.0.127.0.7.2.2.3.3.2'), int(1)),
      '0.4.0.127.0.7.2.2.3.3.2',
    ],
    [
      'an id-PK arc that is neither DH nor ECDH',
      seq(oid('0.4.0.127.0.7.2.2.1.3'), seq()),
      '0.4.0.127.0.7.2.2.1.3',
    ],
    [
      'a private OID with an OCTET STRING',
      seq(oid('1.3.6.1.4.1.99999.1'), encodeTlv(0x04, fromHex('CAFE'))),
      '1.3.6.1.4.1.99999.1',
    ],
  ])('%s', (_label, entry, protocol) => {
    const paceInfo = encodePaceInfo({ protocol: paceProtocolOid('ECDH-GM', 'aes-128'), parameterId: 12 });
    const input = encodeSecurityInfos([entry, paceInfo]);
    const infos = decodeOk(input);
    expect(infos.skipped).toBe(0);
    expect(infos.infos.map((i) => i.type).sort()).toEqual(['other', 'pace']);
    const other = ofType(infos.infos, 'other');
    expect(other.protocol).toBe(protocol);
    expect(toHex(other.raw)).toBe(toHex(entry));
  });

  it('ActiveAuthenticationInfo with a plain ECDSA OID names its hash; an unknown one does not', () => {
    const infos = decodeOk(set(seq(oid(ID_AA), int(1), oid(ECDSA_PLAIN_SHA384)))).infos;
    expect(infos).toEqual([
      { type: 'active-authentication', version: 1, signatureAlgorithm: ECDSA_PLAIN_SHA384, hash: 'sha384' },
    ]);
    expect(decodeOk(set(seq(oid(ID_AA), int(1), oid('1.2.3.4')))).infos).toEqual([
      { type: 'active-authentication', version: 1, signatureAlgorithm: '1.2.3.4', hash: undefined },
    ]);
  });

  it('CA info and key with key ids', () => {
    const spki = spkiOf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    const infos = decodeOk(
      encodeSecurityInfos([
        seq(oid(ID_CA_ECDH_AES_128), int(1), int(300)),
        seq(oid(ID_PK_ECDH), spki, int(300)),
      ]),
    ).infos;
    expect(ofType(infos, 'chip-authentication').keyId).toBe(300);
    expect(ofType(infos, 'chip-authentication-public-key').keyId).toBe(300);
  });
});

describe('malformed SecurityInfos are skipped and counted', () => {
  const pace = encodePaceInfo({ protocol: paceProtocolOid('ECDH-GM', 'aes-128'), parameterId: 13 });
  const malformed: [string, Uint8Array][] = [
    ['no OID first', seq(int(1), oid(ID_TA))],
    ['only the OID', seq(oid(ID_TA))],
    ['not a SEQUENCE', int(1)],
    ['an empty SEQUENCE', seq()],
    [
      'PACE whose parameter id is not an INTEGER',
      seq(oid(paceProtocolOid('ECDH-GM', 'aes-128')), int(2), encodeTlv(0x04, fromHex('0D'))),
    ],
    ['a CA key that is not a SubjectPublicKeyInfo', seq(oid(ID_PK_ECDH), int(1))],
    ['AA without a signature algorithm', seq(oid(ID_AA), int(1))],
    ['AA whose version is negative', seq(oid(ID_AA), fromHex('0201FF'), oid(ECDSA_WITH_SHA256))],
  ];

  it.each(malformed)('%s', (_label, entry) => {
    const infos = decodeOk(encodeSecurityInfos([pace, entry]));
    expect(infos.skipped).toBe(1);
    expect(infos.infos).toHaveLength(1);
    expect(infos.infos[0]?.type).toBe('pace');
  });

  it('all of them at once: each counted, the good entry kept', () => {
    const infos = decodeOk(encodeSecurityInfos([pace, ...malformed.map(([, entry]) => entry)]));
    expect(infos.skipped).toBe(malformed.length);
    expect(infos.infos.map((i) => i.type)).toEqual(['pace']);
  });
});

describe('the SET itself', () => {
  it('an empty SET: no infos', () => {
    expect(decodeOk(fromHex('3100'))).toEqual({ infos: [], skipped: 0 });
  });

  it.each([
    ['empty input', ''],
    ['a SEQUENCE', '3000'],
    ['a SecurityInfo without its SET', '3012060A04007F0007020204020202010202010D'],
    ['an OCTET STRING', '0400'],
  ])('%s is not a SET: invalid-value', (_label, hex) => {
    expect(decodeSecurityInfos(fromHex(hex))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value' },
    });
  });

  it('a SET cut short: truncated', () => {
    const cut = fromHex(WORKED_EXAMPLE_CARD_ACCESS).subarray(0, 10);
    expect(decodeSecurityInfos(cut)).toMatchObject({ ok: false, error: { reason: 'truncated' } });
  });

  it('bytes after the SET: trailing-data at their offset', () => {
    const input = concatBytes(fromHex(WORKED_EXAMPLE_CARD_ACCESS), fromHex('3100'));
    expect(decodeSecurityInfos(input)).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data', offset: 22 },
    });
  });

  it('64 entries are decoded; 65 are too-large', () => {
    const ta = seq(oid(ID_TA), int(1));
    const many = (n: number) => encodeTlv(0x31, ...Array.from({ length: n }, () => ta));
    expect(decodeOk(many(64)).infos).toHaveLength(64);
    expect(decodeSecurityInfos(many(65))).toMatchObject({ ok: false, error: { reason: 'too-large' } });
  });
});

describe('untrusted bytes never throw', () => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
  const explicit = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    paramEncoding: 'explicit',
  }).publicKey;
  const spkis = [spkiOf(p256), spkiOf(explicit)];
  const dg14 = encodeTlv(
    0x6e,
    encodeSecurityInfos([
      seq(oid(chipAuthenticationOid('aes-128')), int(1), int(1)),
      seq(oid(ID_PK_ECDH), spkis[0] ?? new Uint8Array(0), int(1)),
      seq(oid(ID_AA), int(1), oid(ECDSA_WITH_SHA256)),
    ]),
  );
  const valid = [fromHex(WORKED_EXAMPLE_CARD_ACCESS), dg14, ...spkis];

  /** Byte edits, a cut and an insertion applied to one of the valid inputs. */
  const mutated = fc
    .tuple(
      fc.constantFrom(...valid),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { nil: undefined }),
    )
    .map(([base, edits, cut, insert]) => {
      let bytes: Uint8Array = base.slice();
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      if (insert) {
        const at = insert[0] % (bytes.length + 1);
        bytes = concatBytes(bytes.subarray(0, at), Uint8Array.of(insert[1]), bytes.subarray(at));
      }
      return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    });

  function exercise(bytes: Uint8Array): void {
    for (const options of [{}, { dg14: true }]) {
      const infos = decodeSecurityInfos(bytes, options);
      if (infos.ok) {
        expect(infos.value.skipped).toBeGreaterThanOrEqual(0);
        for (const info of infos.value.infos)
          if (info.type === 'chip-authentication-public-key') exercise(info.subjectPublicKeyInfo);
      } else expect(infos.error.offset).toBeGreaterThanOrEqual(0);
    }
    const key = decodeEcPublicKey(bytes);
    // A key that decodes is a real point of its curve.
    if (key.ok) {
      key.value.point.assertValidity();
      expect(key.value.point.is0()).toBe(false);
    } else expect(typeof key.error.reason).toBe('string');
  }

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), exercise), { seed, numRuns: 400 });
  });

  it('random bytes in a SET, a SEQUENCE and a 6E', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x31, 0x30, 0x6e), fc.uint8Array({ maxLength: 120 }), (tag, body) =>
        exercise(encodeTlv(tag, body)),
      ),
      { seed, numRuns: 300 },
    );
  });

  it('mutated EF.CardAccess, DG14 and public keys (named and explicit curves)', () => {
    for (const bytes of valid) exercise(bytes);
    fc.assert(fc.property(mutated, exercise), { seed, numRuns: 400 });
  });
});

describe('regressions', () => {
  it('an unknown PACE mapping is kept as a copy, not a view of the caller’s bytes', () => {
    const input = encodeSecurityInfos([
      encodeTlv(0x30, encodeOid('0.4.0.127.0.7.2.2.4.5.2'), encodeDerInteger(2)),
    ]);
    const decoded = decodeSecurityInfos(input);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    const before = toHex((decoded.value.infos[0] as { raw: Uint8Array }).raw);
    input[input.length - 1] = 0x09;
    expect(toHex((decoded.value.infos[0] as { raw: Uint8Array }).raw)).toBe(before);
  });

  it.each(['6E0231003100', '6E0431003100'])('DG14 %s with bytes beyond its SET is trailing-data', (hex) => {
    const decoded = decodeSecurityInfos(fromHex(hex), { dg14: true });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.reason).toBe('trailing-data');
  });
});
