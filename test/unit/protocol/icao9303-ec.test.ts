/**
 * Elliptic-curve groups of PACE and Chip Authentication (protocol/icao9303/ec.ts; 9303-11 §9.5.1
 * Table 6, SEC 2, RFC 5639): the curve constants checked against the curve equation and the group
 * order, scalar multiplication and ECDH against Node's OpenSSL, point decoding of untrusted bytes,
 * and curves given by explicit parameters.
 */
import { createECDH, createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import {
  curveByName,
  curveByOid,
  curveFromDomain,
  decodePoint,
  type EcCurve,
  type EcDomain,
  encodePoint,
  multiply,
  PACE_STANDARD_CURVES,
  paceStandardCurve,
  randomScalar,
  sharedSecret,
} from '../../../protocol/icao9303/ec.ts';
import { decodeEcPublicKey } from '../../../protocol/icao9303/security-infos.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

/** Our name, Node's (OpenSSL's) name and the OID of every named curve (SEC 2, RFC 5639). */
const CURVES = [
  { name: 'secp192r1', node: 'prime192v1', oid: '1.2.840.10045.3.1.1' },
  { name: 'secp224r1', node: 'secp224r1', oid: '1.3.132.0.33' },
  { name: 'secp256r1', node: 'prime256v1', oid: '1.2.840.10045.3.1.7' },
  { name: 'secp384r1', node: 'secp384r1', oid: '1.3.132.0.34' },
  { name: 'secp521r1', node: 'secp521r1', oid: '1.3.132.0.35' },
  { name: 'brainpoolP192r1', node: 'brainpoolP192r1', oid: '1.3.36.3.3.2.8.1.1.3' },
  { name: 'brainpoolP224r1', node: 'brainpoolP224r1', oid: '1.3.36.3.3.2.8.1.1.5' },
  { name: 'brainpoolP256r1', node: 'brainpoolP256r1', oid: '1.3.36.3.3.2.8.1.1.7' },
  { name: 'brainpoolP320r1', node: 'brainpoolP320r1', oid: '1.3.36.3.3.2.8.1.1.9' },
  { name: 'brainpoolP384r1', node: 'brainpoolP384r1', oid: '1.3.36.3.3.2.8.1.1.11' },
  { name: 'brainpoolP512r1', node: 'brainpoolP512r1', oid: '1.3.36.3.3.2.8.1.1.13' },
] as const;

/** brainpoolP256t1 (RFC 5639 §3.4): a valid curve this station has no name for. */
const BRAINPOOL_P256_T1: EcDomain = {
  p: 0xa9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377n,
  a: 0xa9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5374n,
  b: 0x662c61c430d84ea4fe66a7733d0b76b7bf93ebc4af2f49256ae58101fee92b04n,
  Gx: 0xa3e8eb3cc1cfe7b7732213b23a656149afa142c47aafbc2b79a191562e1305f4n,
  Gy: 0x2d996c823439c56d7f7b22e14644417e69bcb6de39d027001dabe8f35b25c9ben,
  n: 0xa9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7n,
  h: 1n,
};

function named(name: string): EcCurve {
  const curve = curveByName(name);
  if (!curve) throw new Error(`no curve ${name}`);
  return curve;
}

const mod = (x: bigint, m: bigint) => ((x % m) + m) % m;

/** A fixed scalar in [1, n - 1] from a label, so every run multiplies by the same numbers. */
function scalar(label: string, n: bigint): bigint {
  const digest = createHash('sha512').update(label).digest('hex');
  return (BigInt(`0x${digest}${digest}`) % (n - 1n)) + 1n;
}

/** Big-endian bytes of `k`, `length` long, for Node's setPrivateKey. */
function scalarBytes(k: bigint, length: number): Buffer {
  return Buffer.from(k.toString(16).padStart(length * 2, '0'), 'hex');
}

function nodeEcdh(nodeName: string, k: bigint, orderBytes: number) {
  const ecdh = createECDH(nodeName);
  ecdh.setPrivateKey(scalarBytes(k, orderBytes));
  return ecdh;
}

const orderBytes = (curve: EcCurve) => Math.ceil(curve.domain.n.toString(2).length / 8);

describe('named curves: constants', () => {
  it.each(CURVES)('$name: the generator is on y² = x³ + ax + b (mod p)', ({ name }) => {
    const { p, a, b, Gx, Gy } = named(name).domain;
    expect(mod(Gy * Gy - (Gx * Gx * Gx + a * Gx + b), p)).toBe(0n);
  });

  it.each(CURVES)('$name: the generator has order n ((n-1)·G = -G, and n·G = O)', ({ name }) => {
    const curve = named(name);
    const G = curve.generator;
    expect(G.x).toBe(curve.domain.Gx);
    expect(G.y).toBe(curve.domain.Gy);
    const almost = multiply(curve, G, curve.domain.n - 1n);
    expect(almost.equals(G.negate())).toBe(true);
    expect(almost.add(G).is0()).toBe(true);
  });

  it.each(CURVES)('$name: k·G equals OpenSSL’s public key for the same private key', ({ name, node }) => {
    const curve = named(name);
    const k = scalar(`k·G ${name}`, curve.domain.n);
    const expected = nodeEcdh(node, k, orderBytes(curve)).getPublicKey();
    expect(toHex(encodePoint(multiply(curve, curve.generator, k)))).toBe(toHex(expected));
  });

  it.each(CURVES)(
    '$name: the OID is the one OpenSSL writes in a SubjectPublicKeyInfo',
    ({ name, node, oid }) => {
      expect(curveByOid(oid)?.name).toBe(name);
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: node });
      const decoded = decodeEcPublicKey(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
      if (!decoded.ok) throw new Error(decoded.error.detail);
      expect(decoded.value.curve.name).toBe(name);
      expect(decoded.value.curve.oid).toBe(oid);
    },
  );

  it.each(CURVES)('$name: sharedSecret is x(k·P), as OpenSSL’s ECDH computes it', ({ name, node }) => {
    const curve = named(name);
    const a = scalar(`alice ${name}`, curve.domain.n);
    const b = scalar(`bob ${name}`, curve.domain.n);
    const bob = nodeEcdh(node, b, orderBytes(curve));
    const bobPoint = decodePoint(curve, new Uint8Array(bob.getPublicKey()));
    if (!bobPoint.ok) throw new Error(bobPoint.error.detail);
    const expected = nodeEcdh(node, a, orderBytes(curve)).computeSecret(bob.getPublicKey());
    const secret = sharedSecret(curve, a, bobPoint.value);
    expect(secret?.length).toBe(curve.fieldBytes);
    expect(toHex(secret ?? new Uint8Array(0))).toBe(toHex(expected));
  });

  it('knows prime256v1 and prime192v1 as the OpenSSL aliases of secp256r1 and secp192r1', () => {
    expect(curveByName('prime256v1')?.name).toBe('secp256r1');
    expect(curveByName('prime192v1')?.name).toBe('secp192r1');
    expect(curveByName('secp256k1')).toBeUndefined();
    expect(curveByOid('1.3.132.0.10')).toBeUndefined();
  });

  it('field sizes in bytes: 24, 28, 32, 40, 48, 64, 66', () => {
    expect(named('secp192r1').fieldBytes).toBe(24);
    expect(named('brainpoolP224r1').fieldBytes).toBe(28);
    expect(named('secp256r1').fieldBytes).toBe(32);
    expect(named('brainpoolP320r1').fieldBytes).toBe(40);
    expect(named('secp384r1').fieldBytes).toBe(48);
    expect(named('brainpoolP512r1').fieldBytes).toBe(64);
    expect(named('secp521r1').fieldBytes).toBe(66);
  });
});

describe('PACE standardized domain parameters (9303-11 Table 6)', () => {
  it('maps 12 to secp256r1 and 13 to brainpoolP256r1', () => {
    expect(paceStandardCurve(12)?.name).toBe('secp256r1');
    expect(paceStandardCurve(13)?.name).toBe('brainpoolP256r1');
  });

  it('maps every EC id 8–18 as Table 6 lists them', () => {
    expect([...PACE_STANDARD_CURVES]).toEqual([
      [8, 'secp192r1'],
      [9, 'brainpoolP192r1'],
      [10, 'secp224r1'],
      [11, 'brainpoolP224r1'],
      [12, 'secp256r1'],
      [13, 'brainpoolP256r1'],
      [14, 'brainpoolP320r1'],
      [15, 'secp384r1'],
      [16, 'brainpoolP384r1'],
      [17, 'brainpoolP512r1'],
      [18, 'secp521r1'],
    ]);
    for (const [id, name] of PACE_STANDARD_CURVES) expect(paceStandardCurve(id)?.name).toBe(name);
  });

  it('has no curve for the MODP groups 0–2, the reserved ids 3–7, or 19', () => {
    for (const id of [0, 1, 2, 3, 4, 5, 6, 7, 19, 31]) expect(paceStandardCurve(id)).toBeUndefined();
  });
});

describe('decodePoint', () => {
  const curve = named('secp256r1');
  const k = scalar('decodePoint', curve.domain.n);
  const ecdh = nodeEcdh('prime256v1', k, 32);
  const uncompressed = new Uint8Array(ecdh.getPublicKey());
  const compressed = new Uint8Array(ecdh.getPublicKey(null, 'compressed'));

  it('accepts an uncompressed point 04 || x || y', () => {
    const decoded = decodePoint(curve, uncompressed);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.equals(multiply(curve, curve.generator, k))).toBe(true);
    expect(toHex(encodePoint(decoded.value))).toBe(toHex(uncompressed));
  });

  it('accepts a compressed point (02 or 03 || x) and recovers y', () => {
    expect(compressed.length).toBe(33);
    const decoded = decodePoint(curve, compressed);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(toHex(encodePoint(decoded.value))).toBe(toHex(uncompressed));
    // The other y: flipping 02 <-> 03 gives -P.
    const other = Uint8Array.from(compressed);
    other[0] = compressed[0] === 0x02 ? 0x03 : 0x02;
    const negated = decodePoint(curve, other);
    if (!negated.ok) throw new Error(negated.error.detail);
    expect(negated.value.equals(decoded.value.negate())).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['the point at infinity (00)', '00'],
    ['04 with one byte short', toHex(uncompressed.subarray(0, 64))],
    ['04 with one byte extra', `${toHex(uncompressed)}00`],
    ['prefix 05', `05${toHex(uncompressed.subarray(1))}`],
    ['prefix 06 (hybrid)', `06${toHex(uncompressed.subarray(1))}`],
    ['prefix 00 with 64 bytes', `00${toHex(uncompressed.subarray(1))}`],
    ['compressed with an uncompressed length', `02${toHex(uncompressed.subarray(1))}`],
    ['compressed one byte short', toHex(compressed.subarray(0, 32))],
    ['x only, no prefix', toHex(uncompressed.subarray(1, 33))],
  ])('refuses %s', (_label, hex) => {
    const decoded = decodePoint(curve, fromHex(hex));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.reason).toBe('invalid-value');
  });

  it('refuses a point off the curve (y + 1)', () => {
    const off = Uint8Array.from(uncompressed);
    off[64] = ((off[64] ?? 0) + 1) & 0xff;
    const decoded = decodePoint(curve, off);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.reason).toBe('invalid-value');
  });

  it('refuses a brainpoolP256r1 point given as a secp256r1 point (same length, other curve)', () => {
    const brainpool = nodeEcdh(
      'brainpoolP256r1',
      scalar('other curve', named('brainpoolP256r1').domain.n),
      32,
    );
    const decoded = decodePoint(curve, new Uint8Array(brainpool.getPublicKey()));
    expect(decoded.ok).toBe(false);
  });

  it('refuses a coordinate that is not reduced mod p (y + p, same point mod p)', () => {
    // brainpoolP256r1: Gy + p still fits in 32 bytes, so only the range check can catch it.
    const brainpool = named('brainpoolP256r1');
    const { p, Gx, Gy } = brainpool.domain;
    const hex = (v: bigint) => v.toString(16).padStart(64, '0');
    expect(Gy + p < 1n << 256n).toBe(true);
    expect(decodePoint(brainpool, fromHex(`04${hex(Gx)}${hex(Gy)}`)).ok).toBe(true);
    expect(decodePoint(brainpool, fromHex(`04${hex(Gx)}${hex(Gy + p)}`)).ok).toBe(false);
    expect(decodePoint(brainpool, fromHex(`04${hex(p)}${hex(Gy)}`)).ok).toBe(false);
  });

  it('never throws on random bytes or on mutations of a valid point', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const decoded = decodePoint(curve, bytes);
        if (decoded.ok) decoded.value.assertValidity();
      }),
      { seed, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat({ max: 64 }), fc.integer({ min: 0, max: 255 }), (index, value) => {
        const mutated = Uint8Array.from(uncompressed);
        mutated[index] = value;
        const decoded = decodePoint(curve, mutated);
        // Changing x or y alone leaves the curve unless nothing changed.
        expect(decoded.ok).toBe(value === uncompressed[index]);
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe('multiply', () => {
  const curve = named('secp256r1');
  it('refuses scalars outside [1, n - 1]', () => {
    expect(() => multiply(curve, curve.generator, 0n)).toThrow(RangeError);
    expect(() => multiply(curve, curve.generator, -1n)).toThrow(RangeError);
    expect(() => multiply(curve, curve.generator, curve.domain.n)).toThrow(RangeError);
    expect(multiply(curve, curve.generator, 1n).equals(curve.generator)).toBe(true);
  });
});

describe('curveFromDomain (explicit ECParameters)', () => {
  it('returns the named curve for a named curve’s parameters', () => {
    for (const { name, oid } of CURVES) {
      const result = curveFromDomain({ ...named(name).domain });
      if (!result.ok) throw new Error(result.error.detail);
      expect(result.value.name).toBe(name);
      expect(result.value.oid).toBe(oid);
    }
  });

  it('builds an unnamed curve (brainpoolP256t1) whose arithmetic matches OpenSSL’s', () => {
    const result = curveFromDomain(BRAINPOOL_P256_T1);
    if (!result.ok) throw new Error(result.error.detail);
    const curve = result.value;
    expect(curve.name).toBe('explicit');
    expect(curve.oid).toBeUndefined();
    expect(curve.fieldBytes).toBe(32);
    const k = scalar('t1', curve.domain.n);
    const expected = nodeEcdh('brainpoolP256t1', k, 32).getPublicKey();
    expect(toHex(encodePoint(multiply(curve, curve.generator, k)))).toBe(toHex(expected));
    expect(
      multiply(curve, curve.generator, curve.domain.n - 1n)
        .add(curve.generator)
        .is0(),
    ).toBe(true);
  });

  it('decodes OpenSSL’s explicit-parameter key on brainpoolP256t1 to the same point', () => {
    const { publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'brainpoolP256t1',
      paramEncoding: 'explicit',
    });
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const decoded = decodeEcPublicKey(spki);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.curve.name).toBe('explicit');
    expect(decoded.value.curve.domain).toEqual(BRAINPOOL_P256_T1);
    // The BIT STRING holding the point is the SPKI's last 65 bytes.
    expect(toHex(encodePoint(decoded.value.point))).toBe(toHex(spki.subarray(-65)));
  });

  const p256 = named('secp256r1').domain;
  it.each<[string, EcDomain, string]>([
    ['an even p', { ...p256, p: p256.p + 1n }, 'invalid-value'],
    ['an odd composite p', { ...p256, p: p256.p * 3n }, 'invalid-value'],
    ['an even n', { ...p256, n: p256.n + 1n }, 'invalid-value'],
    ['a composite n', { ...p256, n: p256.n * 3n }, 'invalid-value'],
    ['a generator off the curve', { ...p256, Gy: p256.Gy + 1n }, 'invalid-value'],
    ['b changed (generator no longer on it)', { ...p256, b: p256.b + 1n }, 'invalid-value'],
    ['a 128-bit field', { ...p256, p: (1n << 127n) - 1n }, 'unsupported'],
    ['a 522-bit field', { ...p256, p: (1n << 521n) + 1n }, 'unsupported'],
  ])('refuses %s', (_label, domain, reason) => {
    const result = curveFromDomain(domain);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe(reason);
  });
});

describe('randomScalar', () => {
  it.each(CURVES)('$name: stays in [1, n - 1] for all-FF and all-00 random sources', ({ name }) => {
    const curve = named(name);
    const { n } = curve.domain;
    const asked: number[] = [];
    const ff = randomScalar(curve, (count) => {
      asked.push(count);
      return new Uint8Array(count).fill(0xff);
    });
    const zero = randomScalar(curve, (count) => new Uint8Array(count));
    for (const k of [ff, zero]) {
      expect(k >= 1n).toBe(true);
      expect(k <= n - 1n).toBe(true);
    }
    // At least the order's length, so every scalar in the range can come out.
    expect(asked[0]).toBeGreaterThanOrEqual(orderBytes(curve));
    expect(multiply(curve, curve.generator, ff).is0()).toBe(false);
  });

  it('stays in [1, n - 1] for any random bytes', () => {
    const curve = named('secp192r1');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (pool) => {
        const k = randomScalar(curve, (count) => pool.subarray(0, count));
        expect(k >= 1n && k < curve.domain.n).toBe(true);
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe('curveFromDomain checks the base point’s order', () => {
  it('refuses secp256r1’s parameters with n replaced by another prime', () => {
    const domain = curveByName('secp256r1')?.domain;
    if (!domain) throw new Error('no secp256r1');
    // The largest prime below n is found by stepping down over odd numbers (Fermat, bases 2, 3, 5).
    const isPrime = (m: bigint): boolean =>
      [2n, 3n, 5n].every((b) => {
        let r = 1n;
        let x = b;
        for (let e = m - 1n; e > 0n; e >>= 1n) {
          if (e & 1n) r = (r * x) % m;
          x = (x * x) % m;
        }
        return r === 1n;
      });
    let other = domain.n - 2n;
    while (!isPrime(other)) other -= 2n;
    const result = curveFromDomain({ ...domain, n: other });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.detail).toMatch(/order/);
  });
});
