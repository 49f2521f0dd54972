/**
 * Active Authentication (ICAO 9303-11 §6.1): DG15 decoding, the INTERNAL AUTHENTICATE command, and
 * the verifier (protocol/icao9303/active-auth.ts) with the Node crypto (drivers/crypto/aa-node.ts)
 * against the simulated chip's signer (simulators/card/active-auth-chip.ts), against hand-built
 * ISO/IEC 9796-2 blocks and known-answer signatures made here with BigInt, and on cards built by
 * simulators/card/lds-builder.ts.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AaKeyRejectedError, createNodeAaCrypto } from '../../../drivers/crypto/aa-node.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import {
  type AaCrypto,
  type AaVerdict,
  type ActiveAuthenticationInput,
  decodeDg15,
  internalAuthenticateCommand,
  iso9796HashIdentifier,
  verifyActiveAuthentication,
} from '../../../protocol/icao9303/active-auth.ts';
import { decodeOidValue, encodeOid, type HashAlgorithm, OID } from '../../../protocol/icao9303/sod.ts';
import { encodeCommand } from '../../../protocol/iso7816/apdu.ts';
import { concatBytes, encodeTlv, parseTree } from '../../../protocol/iso7816/tlv.ts';
import { signActiveAuthentication } from '../../../simulators/card/active-auth-chip.ts';
import { buildLds, encodeDg15, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import { createTestPki, type TestPki } from '../../../simulators/pki/csca.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const crypto = createNodeAaCrypto();
const CHALLENGE = fromHex('F173589974BF40C6');
const OTHER_CHALLENGE = fromHex('F173589974BF40C7');

const OID_P256 = '1.2.840.10045.3.1.7';
const OID_BRAINPOOL_P256R1 = '1.3.36.3.3.2.8.1.1.7';

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

function dg15Of(key: KeyObject): Uint8Array {
  return encodeDg15(spkiOf(key));
}

function verify(overrides: Partial<ActiveAuthenticationInput> & { dg15: Uint8Array; signature: Uint8Array }) {
  return verifyActiveAuthentication({ challenge: CHALLENGE, ...overrides }, crypto);
}

function flipBit(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] = (out[at] ?? 0) ^ 0x01;
  return out;
}

function expectFailed(verdict: AaVerdict, problem?: string): void {
  expect(verdict.kind).toBe('failed');
  if (problem !== undefined && verdict.kind === 'failed') expect(verdict.problem).toBe(problem);
}

// ---------------------------------------------------------------------------------------------
// A fixed 512-bit RSA key: small enough to write down, used for known-answer vectors built with
// BigInt here (independent of the simulator's signer and of OpenSSL's private operation).

const N = BigInt(
  '0x9F6D285C6006193A40BA67A6CD5536789F8CA6FF19BADFF27F0822AC31A602032D72B39BF1C4592B56AAE574BDC5DC544819ECB4617528C018E1379B1692868D',
);
const E = 0x10001n;
const D = BigInt(
  '0x567665F84B5FA358F377E4F512D14F1C76335AF2692AEF7FDDA334E2BC7E730218D08321684B0943DBC560E4C4AA6F722D1B6BAF46DF46E537D6F487876865A1',
);

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function big(bytes: Uint8Array): bigint {
  return BigInt(`0x${toHex(bytes) || '0'}`);
}

function bytes(value: bigint, length: number): Uint8Array {
  return fromHex(value.toString(16).padStart(length * 2, '0'));
}

/** DER INTEGER of a non-negative bigint. */
function derInteger(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  return encodeTlv(0x02, fromHex(hex));
}

/** SubjectPublicKeyInfo for rsaEncryption, built by hand (RFC 8017 App. A.1.1, RFC 5280 §4.1). */
function rsaSpki(n: bigint, e: bigint): Uint8Array {
  return encodeTlv(
    0x30,
    encodeTlv(0x30, encodeOid(OID.rsaEncryption), Uint8Array.of(0x05, 0x00)),
    encodeTlv(0x03, Uint8Array.of(0), encodeTlv(0x30, derInteger(n), derInteger(e))),
  );
}

const SMALL_DG15 = encodeDg15(rsaSpki(N, E));

function unwrapTree(der: Uint8Array) {
  const tree = parseTree(der);
  if (!tree.ok) throw new Error(tree.error.detail);
  return tree.value;
}

function digest(hash: HashAlgorithm, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** 0x10, 0x11, … : a recognisable M1. */
function counting(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (0x10 + i) & 0xff);
}

/** An ISO 9796-2 scheme 1 partial-recovery block for the 64-byte modulus, laid out by hand. */
function partialBlock(hash: HashAlgorithm, trailer: Uint8Array, challenge = CHALLENGE): Uint8Array {
  const m1 = counting(64 - 1 - digest(hash).length - trailer.length);
  return concatBytes(Uint8Array.of(0x6a), m1, digest(hash, m1, challenge), trailer);
}

/** A crypto whose RSA operation returns a fixed block F: tests the opening logic alone. */
function returning(f: Uint8Array): AaCrypto {
  return { ...crypto, rsaPublicRaw: async () => f };
}

/** Any signature below the modulus; the stub ignores it. */
const ANY_SIGNATURE = new Uint8Array(64).fill(0x01);

function openBlock(f: Uint8Array, challenge = CHALLENGE): Promise<AaVerdict> {
  return verifyActiveAuthentication({ dg15: SMALL_DG15, challenge, signature: ANY_SIGNATURE }, returning(f));
}

describe('ISO/IEC 9796-2 known-answer vectors (512-bit key, signatures computed with BigInt)', () => {
  it('the hand-built SPKI is the one OpenSSL exports for the same key', () => {
    const jwk = {
      kty: 'RSA',
      n: Buffer.from(bytes(N, 64)).toString('base64url'),
      e: Buffer.from(bytes(E, 3)).toString('base64url'),
    };
    expect(toHex(spkiOf(createPublicKey({ key: jwk, format: 'jwk' })))).toBe(toHex(rsaSpki(N, E)));
  });

  const vectors = [
    {
      hash: 'sha1' as const,
      trailer: Uint8Array.of(0xbc),
      f: '6A101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F30313233343536373839BC71E0CE66CD7B650F00F56D81F145DB05A20EA8BC',
      signature:
        '7D25C9FCE53C0E5C4EBE5F51A9A752885485E382B135D13F27F33B636FC20DC365E7616872D0D30365111219532D36175FC5037B13D4BE85D570013F32090C68',
    },
    {
      hash: 'sha256' as const,
      trailer: Uint8Array.of(0x34, 0xcc),
      f: '6A101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C44962362712CC646CBE5EA3FC844DDEA45149A5230CE4047FCD1391A787A62FA34CC',
      signature:
        '29F7E185FDB32681A8985DEB82410FE5044373F43C778E19A21A9EAC42209CA0110769932A29522A5F95C6E44B66322A64394BB59861648EDF24DA3B5D0A95DB',
    },
  ];

  for (const v of vectors) {
    it(`${v.hash}: 6A ‖ M1 ‖ H ‖ ${toHex(v.trailer)} opens and verifies`, async () => {
      const f = fromHex(v.f);
      expect(toHex(partialBlock(v.hash, v.trailer))).toBe(v.f);
      const signature = fromHex(v.signature);
      expect(modPow(big(signature), E, N)).toBe(big(f));
      expect(await verify({ dg15: SMALL_DG15, signature })).toEqual({
        kind: 'verified',
        algorithm: 'rsa',
        hash: v.hash,
      });
      expectFailed(
        await verify({ dg15: SMALL_DG15, signature, challenge: OTHER_CHALLENGE }),
        'hash-mismatch',
      );
    });

    it(`${v.hash}: the signature n − Σ opens through n − F (the F ≢ 12 mod 16 branch)`, async () => {
      const negated = bytes(N - big(fromHex(v.signature)), 64);
      // (n − Σ)^e ≡ −F (mod n) for odd e: the raw result ends in nibble 1 here, not C.
      expect(Number(modPow(big(negated), E, N) & 0xfn)).not.toBe(0xc);
      expect(await verify({ dg15: SMALL_DG15, signature: negated })).toEqual({
        kind: 'verified',
        algorithm: 'rsa',
        hash: v.hash,
      });
    });
  }

  it('a signature made here with d for a block the simulator never builds (total recovery) verifies', async () => {
    // 4B BB … BA ‖ challenge ‖ SHA-1(challenge) ‖ BC: total recovery, padded.
    const padding = 64 - 1 - 8 - 20 - 1; // bytes between byte 0 and M1
    const f = concatBytes(
      Uint8Array.of(0x4b),
      new Uint8Array(padding - 1).fill(0xbb),
      Uint8Array.of(0xba),
      CHALLENGE,
      digest('sha1', CHALLENGE),
      Uint8Array.of(0xbc),
    );
    expect(f.length).toBe(64);
    const signature = bytes(modPow(big(f), D, N), 64);
    expect(await verify({ dg15: SMALL_DG15, signature })).toMatchObject({ kind: 'verified', hash: 'sha1' });
    expectFailed(
      await verify({ dg15: SMALL_DG15, signature, challenge: OTHER_CHALLENGE }),
      'challenge-mismatch',
    );
  });
});

describe('ISO/IEC 9796-2 opening rules (block F injected)', () => {
  it.each([
    ['sha1', Uint8Array.of(0x33, 0xcc)],
    ['sha224', Uint8Array.of(0x38, 0xcc)],
    ['sha256', Uint8Array.of(0x34, 0xcc)],
    ['sha384', Uint8Array.of(0x36, 0xcc)],
  ] as const)('explicit trailer for %s verifies', async (hash, trailer) => {
    expect(await openBlock(partialBlock(hash, trailer))).toEqual({
      kind: 'verified',
      algorithm: 'rsa',
      hash,
    });
  });

  it('ISO/IEC 10118-3 identifiers: 33 SHA-1, 34 SHA-256, 35 SHA-512, 36 SHA-384, 38 SHA-224', () => {
    expect(
      ['sha1', 'sha256', 'sha512', 'sha384', 'sha224'].map((h) => iso9796HashIdentifier(h as HashAlgorithm)),
    ).toEqual([0x33, 0x34, 0x35, 0x36, 0x38]);
  });

  it('SHA-512 does not fit a 512-bit block with M1: bad-recovery-format', async () => {
    const f = concatBytes(Uint8Array.of(0x6a), digest('sha512').subarray(0, 61), Uint8Array.of(0x35, 0xcc));
    expectFailed(await openBlock(f), 'bad-recovery-format');
  });

  it('a wrong H is hash-mismatch', async () => {
    const f = partialBlock('sha1', Uint8Array.of(0xbc));
    expectFailed(await openBlock(flipBit(f, 50)), 'hash-mismatch');
  });

  it('a last nibble that is not C, in F and in n − F, is bad-trailer', async () => {
    const f = partialBlock('sha1', Uint8Array.of(0xbc));
    for (let last = 0xb0; last <= 0xbf; last++) {
      const g = f.slice();
      g[63] = last;
      const v = big(g);
      if ((v & 0xfn) === 0xcn || ((N - v) & 0xfn) === 0xcn) continue;
      expectFailed(await openBlock(g), 'bad-trailer');
    }
  });

  it('a C-ending byte other than BC and CC, or xx CC with no hash, is bad-trailer', async () => {
    const f = partialBlock('sha1', Uint8Array.of(0xbc));
    const g = f.slice();
    g[63] = 0x1c;
    expectFailed(await openBlock(g), 'bad-trailer');
    const h = partialBlock('sha256', Uint8Array.of(0x34, 0xcc));
    h[62] = 0x99;
    expectFailed(await openBlock(h), 'bad-trailer');
  });

  it('a valid trailer for a hash this station lacks (31 CC, RIPEMD-160) is not-checked', async () => {
    const m1 = counting(64 - 1 - 20 - 2);
    const f = concatBytes(Uint8Array.of(0x6a), m1, new Uint8Array(20), Uint8Array.of(0x31, 0xcc));
    expect(await openBlock(f)).toMatchObject({ kind: 'not-checked', reason: 'unsupported-algorithm' });
  });

  it.each([
    [0x2a, "header bits '00'"],
    [0x8a, "header bits '10'"],
    [0x7a, "the padding's first bit is 1"],
    [0x65, 'padding nibble is neither B nor A'],
  ])('byte 0 = %s (%s) is bad-recovery-format', async (first) => {
    const f = partialBlock('sha1', Uint8Array.of(0xbc));
    f[0] = first;
    expectFailed(await openBlock(f), 'bad-recovery-format');
  });

  it('partial recovery must fill the block: 6B BA … is bad-recovery-format', async () => {
    const f = partialBlock('sha1', Uint8Array.of(0xbc));
    f[0] = 0x6b;
    f[1] = 0xba;
    expectFailed(await openBlock(f), 'bad-recovery-format');
  });

  it('padding that ends on a high nibble (4B BA→4B AB) is bad-recovery-format', async () => {
    const f = concatBytes(
      Uint8Array.of(0x4b, 0xab),
      new Uint8Array(64 - 2 - 8 - 20 - 1).fill(0x77),
      CHALLENGE,
      digest('sha1', CHALLENGE),
      Uint8Array.of(0xbc),
    );
    expectFailed(await openBlock(f), 'bad-recovery-format');
  });

  it('total recovery without padding (4A): M1 is the whole message and must be the challenge', async () => {
    const m1 = counting(64 - 1 - 20 - 1);
    const f = concatBytes(Uint8Array.of(0x4a), m1, digest('sha1', m1), Uint8Array.of(0xbc));
    expectFailed(await openBlock(f), 'challenge-mismatch');
  });

  it('a crypto that refuses the key is not-checked: key-damaged', async () => {
    const refusing: AaCrypto = {
      ...crypto,
      rsaPublicRaw: async () => {
        throw new Error('no');
      },
    };
    expect(
      await verifyActiveAuthentication(
        { dg15: SMALL_DG15, challenge: CHALLENGE, signature: ANY_SIGNATURE },
        refusing,
      ),
    ).toMatchObject({ kind: 'not-checked', reason: 'key-damaged' });
  });

  it('random blocks never verify and never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 64, maxLength: 64 }), async (f) => {
        const verdict = await openBlock(f);
        expect(verdict.kind).not.toBe('verified');
      }),
      { seed, numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips with generated keys and the simulated chip's signer

describe('RSA Active Authentication round trips', () => {
  const keys = new Map<number, { publicKey: KeyObject; privateKey: KeyObject }>();
  /** A second key of each size: a clone chip with its own key but the genuine DG15. */
  const otherKeys = new Map<number, { publicKey: KeyObject; privateKey: KeyObject }>();
  beforeAll(() => {
    for (const bits of [1024, 2048]) {
      keys.set(bits, generateKeyPairSync('rsa', { modulusLength: bits }));
      otherKeys.set(bits, generateKeyPairSync('rsa', { modulusLength: bits }));
    }
  });

  const cases = [
    { bits: 1024, hash: 'sha1' as const, explicitTrailer: false, last: 'BC' },
    { bits: 1024, hash: 'sha256' as const, explicitTrailer: false, last: '34CC' },
    { bits: 2048, hash: 'sha1' as const, explicitTrailer: false, last: 'BC' },
    { bits: 2048, hash: 'sha256' as const, explicitTrailer: false, last: '34CC' },
    { bits: 2048, hash: 'sha1' as const, explicitTrailer: true, last: '33CC' },
    { bits: 2048, hash: 'sha512' as const, explicitTrailer: false, last: '35CC' },
  ];

  for (const c of cases) {
    describe(`RSA-${c.bits}, ${c.hash}, trailer ${c.last}`, () => {
      let dg15: Uint8Array;
      let signature: Uint8Array;
      let pair: { publicKey: KeyObject; privateKey: KeyObject };
      beforeAll(() => {
        pair = keys.get(c.bits)!;
        dg15 = dg15Of(pair.publicKey);
        signature = signActiveAuthentication(pair.privateKey, CHALLENGE, {
          hash: c.hash,
          explicitTrailer: c.explicitTrailer,
        });
      });

      it('verifies, and the opened block has the expected header and trailer', async () => {
        expect(signature.length).toBe(c.bits / 8);
        const raw = await crypto.rsaPublicRaw(spkiOf(pair.publicKey), signature);
        expect(raw[0]).toBe(0x6a);
        expect(toHex(raw).endsWith(c.last)).toBe(true);
        expect(await verify({ dg15, signature })).toEqual({
          kind: 'verified',
          algorithm: 'rsa',
          hash: c.hash,
        });
      });

      it('a different challenge is hash-mismatch', async () => {
        expectFailed(await verify({ dg15, signature, challenge: OTHER_CHALLENGE }), 'hash-mismatch');
      });

      it('a tampered signature fails', async () => {
        expectFailed(await verify({ dg15, signature: flipBit(signature, 17) }));
        expectFailed(await verify({ dg15, signature: flipBit(signature, signature.length - 1) }));
      });

      it("another key's DG15 fails", async () => {
        const sameSize = otherKeys.get(c.bits)!;
        expectFailed(await verify({ dg15: dg15Of(sameSize.publicKey), signature }));
        const otherSize = keys.get(c.bits === 1024 ? 2048 : 1024)!;
        expectFailed(
          await verify({ dg15: dg15Of(otherSize.publicKey), signature }),
          'wrong-signature-length',
        );
      });

      it('a signature by another key of the same size, for the right challenge, fails', async () => {
        const clone = signActiveAuthentication(otherKeys.get(c.bits)!.privateKey, CHALLENGE, {
          hash: c.hash,
          explicitTrailer: c.explicitTrailer,
        });
        expectFailed(await verify({ dg15, signature: clone }));
      });

      it('a truncated or extended signature is wrong-signature-length', async () => {
        expectFailed(await verify({ dg15, signature: signature.subarray(1) }), 'wrong-signature-length');
        expectFailed(
          await verify({ dg15, signature: concatBytes(signature, Uint8Array.of(0)) }),
          'wrong-signature-length',
        );
      });

      it('a signature not below the modulus is signature-out-of-range', async () => {
        expectFailed(
          await verify({ dg15, signature: new Uint8Array(signature.length).fill(0xff) }),
          'signature-out-of-range',
        );
      });
    });
  }

  it('the signer takes M1 from the injected random source', () => {
    const { privateKey, publicKey } = keys.get(1024)!;
    const m1 = counting(128 - 1 - 20 - 1);
    const signature = signActiveAuthentication(privateKey, CHALLENGE, { random: () => m1 });
    const n = big(new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).n ?? '', 'base64url')));
    const f = bytes(modPow(big(signature), E, n), 128);
    expect(toHex(f)).toBe(
      toHex(concatBytes(Uint8Array.of(0x6a), m1, digest('sha1', m1, CHALLENGE), Uint8Array.of(0xbc))),
    );
  });

  it('tampered signatures never verify and never throw (property)', async () => {
    const { privateKey, publicKey } = keys.get(1024)!;
    const dg15 = dg15Of(publicKey);
    const signature = signActiveAuthentication(privateKey, CHALLENGE);
    await fc.assert(
      fc.asyncProperty(fc.nat(127), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const tampered = signature.slice();
        tampered[at] = (tampered[at] ?? 0) ^ xor;
        expect((await verify({ dg15, signature: tampered })).kind).not.toBe('verified');
      }),
      { seed, numRuns: 100 },
    );
  });
});

describe('ECDSA Active Authentication round trips', () => {
  const curves = [
    { name: 'prime256v1', oid: OID_P256, hash: 'sha256' as const, length: 64 },
    { name: 'brainpoolP256r1', oid: OID_BRAINPOOL_P256R1, hash: 'sha256' as const, length: 64 },
    { name: 'secp384r1', oid: '1.3.132.0.34', hash: 'sha384' as const, length: 96 },
    { name: 'secp521r1', oid: '1.3.132.0.35', hash: 'sha512' as const, length: 132 },
  ];

  for (const c of curves) {
    describe(`${c.name} with ${c.hash}`, () => {
      let pair: { publicKey: KeyObject; privateKey: KeyObject };
      let dg15: Uint8Array;
      let signature: Uint8Array;
      beforeAll(() => {
        pair = generateKeyPairSync('ec', { namedCurve: c.name });
        dg15 = dg15Of(pair.publicKey);
        signature = signActiveAuthentication(pair.privateKey, CHALLENGE, { hash: c.hash });
      });

      it('DG15 decodes to the curve and the signature is plain r‖s', () => {
        expect(decodeDg15(dg15)).toMatchObject({ ok: true, value: { algorithm: 'ec', curveOid: c.oid } });
        expect(signature.length).toBe(c.length);
      });

      it('verifies with the ActiveAuthenticationInfo hash', async () => {
        expect(await verify({ dg15, signature, ecdsaHash: c.hash })).toEqual({
          kind: 'verified',
          algorithm: 'ecdsa',
          hash: c.hash,
        });
      });

      it('a different challenge, a tampered signature, another hash or key: signature-mismatch', async () => {
        const ecdsaHash = c.hash;
        expectFailed(
          await verify({ dg15, signature, ecdsaHash, challenge: OTHER_CHALLENGE }),
          'signature-mismatch',
        );
        expectFailed(
          await verify({ dg15, signature: flipBit(signature, 5), ecdsaHash }),
          'signature-mismatch',
        );
        expectFailed(
          await verify({ dg15, signature: flipBit(signature, signature.length - 1), ecdsaHash }),
          'signature-mismatch',
        );
        expectFailed(
          await verify({ dg15, signature, ecdsaHash: c.hash === 'sha256' ? 'sha384' : 'sha256' }),
          'signature-mismatch',
        );
        const other = generateKeyPairSync('ec', { namedCurve: c.name });
        expectFailed(
          await verify({ dg15: dg15Of(other.publicKey), signature, ecdsaHash }),
          'signature-mismatch',
        );
      });

      it('a truncated or DER-encoded signature is wrong-signature-length', async () => {
        expectFailed(
          await verify({ dg15, signature: signature.subarray(0, -1), ecdsaHash: c.hash }),
          'wrong-signature-length',
        );
        expectFailed(
          await verify({ dg15, signature: new Uint8Array(0), ecdsaHash: c.hash }),
          'wrong-signature-length',
        );
      });

      it('without the DG14 hash the verdict is not-checked: ecdsa-hash-unknown', async () => {
        expect(await verify({ dg15, signature })).toMatchObject({
          kind: 'not-checked',
          reason: 'ecdsa-hash-unknown',
        });
      });
    });
  }

  it('r = 0 or s = 0 resolves as signature-mismatch, not a rejection', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const dg15 = dg15Of(publicKey);
    expectFailed(
      await verify({ dg15, signature: new Uint8Array(64), ecdsaHash: 'sha256' }),
      'signature-mismatch',
    );
    expectFailed(
      await verify({ dg15, signature: new Uint8Array(64).fill(0xff), ecdsaHash: 'sha256' }),
      'signature-mismatch',
    );
  });

  it('explicit P-256 domain parameters in DG15 decode (no curve OID) and verify', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const point = concatBytes(
      Uint8Array.of(0x04),
      new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
      new Uint8Array(Buffer.from(jwk.y!, 'base64url')),
    );
    // SEC 2 §2.4.2 secp256r1.
    const p = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
    const parameters = encodeTlv(
      0x30,
      derInteger(1n),
      encodeTlv(0x30, encodeOid('1.2.840.10045.1.1'), derInteger(p)),
      encodeTlv(
        0x30,
        encodeTlv(0x04, bytes(p - 3n, 32)),
        encodeTlv(0x04, fromHex('5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B')),
      ),
      encodeTlv(
        0x04,
        fromHex(
          '046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5',
        ),
      ),
      derInteger(0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n),
      derInteger(1n),
    );
    const spki = encodeTlv(
      0x30,
      encodeTlv(0x30, encodeOid(OID.ecPublicKey), parameters),
      encodeTlv(0x03, Uint8Array.of(0), point),
    );
    const dg15 = encodeDg15(spki);
    const decoded = decodeDg15(dg15);
    expect(decoded).toMatchObject({ ok: true, value: { algorithm: 'ec', keyBits: 256 } });
    expect(decoded.ok && decoded.value.curveOid).toBeUndefined();
    const signature = signActiveAuthentication(pair.privateKey, CHALLENGE);
    expect(await verify({ dg15, signature, ecdsaHash: 'sha256' })).toMatchObject({ kind: 'verified' });
  });
});

// ---------------------------------------------------------------------------------------------
// Verdicts for keys that cannot be checked

describe('keys that cannot be checked', () => {
  it('an Ed25519 DG15 is not-checked: unsupported-algorithm', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const dg15 = dg15Of(publicKey);
    expect(decodeDg15(dg15)).toMatchObject({ ok: false, error: { reason: 'unsupported' } });
    expect(await verify({ dg15, signature: new Uint8Array(64), ecdsaHash: 'sha256' })).toMatchObject({
      kind: 'not-checked',
      reason: 'unsupported-algorithm',
    });
  });

  it('a curve this station does not know (secp256k1 is known; secp160k1 is not) is not-checked', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp160k1' });
    const dg15 = dg15Of(publicKey);
    expect(decodeDg15(dg15)).toMatchObject({ ok: true, value: { algorithm: 'ec', curveOid: '1.3.132.0.9' } });
    expect(await verify({ dg15, signature: new Uint8Array(42), ecdsaHash: 'sha256' })).toMatchObject({
      kind: 'not-checked',
      reason: 'unsupported-algorithm',
    });
  });

  it('an even RSA exponent or a modulus that is not whole bytes is not-checked', async () => {
    const evenE = encodeDg15(rsaSpki(N, 2n));
    expect(await verify({ dg15: evenE, signature: ANY_SIGNATURE })).toMatchObject({
      kind: 'not-checked',
      reason: 'unsupported-algorithm',
    });
    const n1020 = (1n << 1019n) + 12345n * 2n + 1n;
    expect(
      await verify({ dg15: encodeDg15(rsaSpki(n1020, E)), signature: new Uint8Array(128) }),
    ).toMatchObject({
      kind: 'not-checked',
      reason: 'unsupported-algorithm',
    });
  });

  it('a DG15 that does not decode is not-checked: key-damaged', async () => {
    expect(await verify({ dg15: fromHex('6F03010203'), signature: ANY_SIGNATURE })).toMatchObject({
      kind: 'not-checked',
      reason: 'key-damaged',
    });
  });

  it('a challenge that is not 8 bytes is a programming error', async () => {
    await expect(
      verifyActiveAuthentication(
        { dg15: SMALL_DG15, challenge: new Uint8Array(7), signature: ANY_SIGNATURE },
        crypto,
      ),
    ).rejects.toThrow(RangeError);
  });

  it('the Node crypto rejects a key of the wrong type with AaKeyRejectedError', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await expect(crypto.rsaPublicRaw(spkiOf(publicKey), new Uint8Array(64))).rejects.toBeInstanceOf(
      AaKeyRejectedError,
    );
    await expect(
      crypto.verifyEcdsa(rsaSpki(N, E), 'sha256', CHALLENGE, new Uint8Array(64)),
    ).rejects.toBeInstanceOf(AaKeyRejectedError);
  });
});

// ---------------------------------------------------------------------------------------------
// DG15 decoding

describe('decodeDg15', () => {
  it('RSA: the SPKI, algorithm and modulus bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const decoded = decodeDg15(dg15Of(publicKey));
    expect(decoded).toMatchObject({ ok: true, value: { algorithm: 'rsa', keyBits: 1024 } });
    expect(decoded.ok && toHex(decoded.value.spki)).toBe(toHex(spkiOf(publicKey)));
    expect(decodeDg15(SMALL_DG15)).toMatchObject({ ok: true, value: { algorithm: 'rsa', keyBits: 512 } });
  });

  it('EC: field bits and the named curve', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    expect(decodeDg15(dg15Of(publicKey))).toEqual({
      ok: true,
      value: { spki: spkiOf(publicKey), algorithm: 'ec', keyBits: 256, curveOid: OID_BRAINPOOL_P256R1 },
    });
  });

  it.each([
    ['another tag', 'invalid-value', () => concatBytes(Uint8Array.of(0x6e), SMALL_DG15.subarray(1))],
    ['bytes after DG15', 'trailing-data', () => concatBytes(SMALL_DG15, Uint8Array.of(0x05, 0x00))],
    ['a padding byte after DG15', 'invalid-value', () => concatBytes(SMALL_DG15, Uint8Array.of(0x00))],
    ['cut short', 'truncated', () => SMALL_DG15.subarray(0, 40)],
    ['empty', 'truncated', () => new Uint8Array(0)],
    ['an even modulus', 'invalid-value', () => encodeDg15(rsaSpki(N - 1n, E))],
    ['a 256-bit modulus', 'invalid-value', () => encodeDg15(rsaSpki((1n << 255n) + 1n, E))],
    ['exponent 1', 'invalid-value', () => encodeDg15(rsaSpki(N, 1n))],
    ['a 8200-bit modulus', 'too-large', () => encodeDg15(rsaSpki((1n << 8199n) + 1n, E))],
    [
      'unused bits in the key BIT STRING',
      'invalid-value',
      () => {
        const dg15 = SMALL_DG15;
        const bitString = unwrapTree(dg15)[0]?.children[0]?.children[1];
        expect(bitString?.tag).toBe(0x03);
        const at = (bitString?.offset ?? 0) + (bitString?.headerLength ?? 0);
        const copy = dg15.slice();
        expect(copy[at]).toBe(0);
        copy[at] = 1;
        return copy;
      },
    ],
  ] as const)('%s → %s', (_name, reason, build) => {
    expect(decodeDg15(build())).toMatchObject({ ok: false, error: { reason } });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (input) => {
        const result = decodeDg15(input);
        expect(typeof result.ok).toBe('boolean');
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('never throws on mutated RSA and EC DG15s, and decodes only to rsa or ec', () => {
    const valid = [
      SMALL_DG15,
      dg15Of(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey),
      dg15Of(generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).publicKey),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.nat(),
        (dg15, at, xor, cut) => {
          const mutated = dg15.slice(0, dg15.length - (cut % 3 === 0 ? cut % 7 : 0));
          const i = at % mutated.length;
          mutated[i] = (mutated[i] ?? 0) ^ xor;
          const result = decodeDg15(mutated);
          if (result.ok) expect(['rsa', 'ec']).toContain(result.value.algorithm);
          else expect(result.error.offset).toBeGreaterThanOrEqual(0);
        },
      ),
      { seed, numRuns: 2000 },
    );
  });
});

describe('INTERNAL AUTHENTICATE', () => {
  it('is 00 88 00 00 08 <challenge> 00', () => {
    expect(toHex(encodeCommand(internalAuthenticateCommand(CHALLENGE)))).toBe(
      `0088000008${toHex(CHALLENGE)}00`,
    );
  });

  it('carries a copy of the challenge', () => {
    const challenge = CHALLENGE.slice();
    const command = internalAuthenticateCommand(challenge);
    challenge[0] = 0;
    expect(toHex(command.data ?? new Uint8Array(0))).toBe(toHex(CHALLENGE));
  });

  it('asks for more than 256 bytes with extended length for RSA-3072', () => {
    expect(toHex(encodeCommand(internalAuthenticateCommand(CHALLENGE, { le: 384 })))).toBe(
      `00880000000008${toHex(CHALLENGE)}0180`,
    );
  });

  it.each([0, 7, 9, 16])('refuses a %i-byte challenge', (length) => {
    expect(() => internalAuthenticateCommand(new Uint8Array(length))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Cards built by lds-builder.ts

/** The hash DG14's ActiveAuthenticationInfo (2.23.136.1.1.5) names, read with the TLV tree. */
function activeAuthenticationHash(dg14: Uint8Array): HashAlgorithm | undefined {
  const tree = parseTree(dg14);
  if (!tree.ok) return undefined;
  const set = tree.value[0]?.children[0];
  const byOid: Readonly<Record<string, HashAlgorithm>> = {
    [OID.ecdsaWithSha1]: 'sha1',
    [OID.ecdsaWithSha224]: 'sha224',
    [OID.ecdsaWithSha256]: 'sha256',
    [OID.ecdsaWithSha384]: 'sha384',
    [OID.ecdsaWithSha512]: 'sha512',
  };
  for (const info of set?.children ?? []) {
    const [protocol, , algorithm] = info.children;
    if (protocol?.tag !== 0x06 || decodeOidValue(protocol.value) !== '2.23.136.1.1.5') continue;
    return algorithm?.tag === 0x06 ? byOid[decodeOidValue(algorithm.value) ?? ''] : undefined;
  }
  return undefined;
}

describe('the simulated CCCD (buildLds)', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki('ecdsa-p256');
  });

  it('ECDSA P-256 (default): DG15, DG14 ActiveAuthenticationInfo and the chip key agree', async () => {
    const lds = buildLds(SAMPLE_PERSON, { documentSigner: pki.documentSigner });
    expect(decodeDg15(lds.dg15)).toMatchObject({ ok: true, value: { algorithm: 'ec', curveOid: OID_P256 } });
    const ecdsaHash = activeAuthenticationHash(lds.dg14);
    expect(ecdsaHash).toBe('sha256');
    const signature = signActiveAuthentication(lds.activeAuthenticationKey, CHALLENGE);
    expect(await verify({ dg15: lds.dg15, signature, ecdsaHash })).toEqual({
      kind: 'verified',
      algorithm: 'ecdsa',
      hash: 'sha256',
    });
    const clone = buildLds(SAMPLE_PERSON, { documentSigner: pki.documentSigner });
    const cloneSignature = signActiveAuthentication(clone.activeAuthenticationKey, CHALLENGE);
    expectFailed(
      await verify({ dg15: lds.dg15, signature: cloneSignature, ecdsaHash }),
      'signature-mismatch',
    );
  });

  it('RSA-2048: no ActiveAuthenticationInfo, ISO 9796-2 with SHA-1 and SHA-256', async () => {
    const lds = buildLds(SAMPLE_PERSON, {
      documentSigner: pki.documentSigner,
      activeAuthentication: 'rsa-2048',
    });
    expect(decodeDg15(lds.dg15)).toMatchObject({ ok: true, value: { algorithm: 'rsa', keyBits: 2048 } });
    expect(activeAuthenticationHash(lds.dg14)).toBeUndefined();
    for (const hash of ['sha1', 'sha256'] as const) {
      const signature = signActiveAuthentication(lds.activeAuthenticationKey, CHALLENGE, { hash });
      expect(await verify({ dg15: lds.dg15, signature })).toEqual({
        kind: 'verified',
        algorithm: 'rsa',
        hash,
      });
    }
  });
});
