/**
 * Elliptic-curve groups for PACE and Chip Authentication (9303-11 §4.4, §6.2; BSI TR-03111): the
 * standardized domain parameters PACE names by id, curves named by OID in a public key, and curves
 * given by explicit parameters (many chips put those in DG14). Point arithmetic is
 * `@noble/curves`' short-Weierstrass code (pure JavaScript, constant-time multiplication); Node's
 * crypto has no point addition, which PACE's generic mapping `G' = s·G + H` needs. Plain ECDSA
 * (`r ‖ s`, BSI TR-03111) is verified here too, for card-verifiable certificates and Terminal
 * Authentication on brainpool curves as well as NIST ones (cvc.ts, terminal-auth.ts).
 *
 * Decoding never throws: a point that is malformed, off the curve or the point at infinity is a
 * DecodeResult failure. The curve constants are those of SEC 2 / FIPS 186 and RFC 5639.
 */

import { invert } from '@noble/curves/abstract/modular.js';
import {
  type WeierstrassPoint,
  type WeierstrassPointCons,
  weierstrass,
} from '@noble/curves/abstract/weierstrass.js';
import { type DecodeResult, fail, ok } from '../result.ts';

export type EcPoint = WeierstrassPoint<bigint>;

export interface EcDomain {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
  readonly n: bigint;
  readonly h: bigint;
}

export interface EcCurve {
  /** 'brainpoolP256r1', 'secp256r1', … or 'explicit' for parameters no name matched. */
  readonly name: string;
  /** The curve's OID, for a named curve. */
  readonly oid: string | undefined;
  readonly domain: EcDomain;
  /** Bytes of a field element (a coordinate, the ECDH shared secret). */
  readonly fieldBytes: number;
  readonly Point: WeierstrassPointCons<bigint>;
  readonly generator: EcPoint;
}

type NamedCurve = { readonly name: string; readonly oid: string; readonly domain: EcDomain };

const NAMED: readonly NamedCurve[] = [
  {
    name: 'secp192r1',
    oid: '1.2.840.10045.3.1.1',
    domain: {
      p: 0xfffffffffffffffffffffffffffffffeffffffffffffffffn,
      a: 0xfffffffffffffffffffffffffffffffefffffffffffffffcn,
      b: 0x64210519e59c80e70fa7e9ab72243049feb8deecc146b9b1n,
      Gx: 0x188da80eb03090f67cbf20eb43a18800f4ff0afd82ff1012n,
      Gy: 0x07192b95ffc8da78631011ed6b24cdd573f977a11e794811n,
      n: 0xffffffffffffffffffffffff99def836146bc9b1b4d22831n,
      h: 1n,
    },
  },
  {
    name: 'secp224r1',
    oid: '1.3.132.0.33',
    domain: {
      p: 0xffffffffffffffffffffffffffffffff000000000000000000000001n,
      a: 0xfffffffffffffffffffffffffffffffefffffffffffffffffffffffen,
      b: 0xb4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4n,
      Gx: 0xb70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21n,
      Gy: 0xbd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34n,
      n: 0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3dn,
      h: 1n,
    },
  },
  {
    name: 'secp256r1',
    oid: '1.2.840.10045.3.1.7',
    domain: {
      p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
      a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
      b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
      Gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
      Gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
      n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
      h: 1n,
    },
  },
  {
    name: 'secp384r1',
    oid: '1.3.132.0.34',
    domain: {
      p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
      a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
      b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
      Gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
      Gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
      n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
      h: 1n,
    },
  },
  {
    name: 'secp521r1',
    oid: '1.3.132.0.35',
    domain: {
      p: 0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
      a: 0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffcn,
      b: 0x51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
      Gx: 0xc6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
      Gy: 0x11839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
      n: 0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
      h: 1n,
    },
  },
  {
    name: 'brainpoolP192r1',
    oid: '1.3.36.3.3.2.8.1.1.3',
    domain: {
      p: 0xc302f41d932a36cda7a3463093d18db78fce476de1a86297n,
      a: 0x6a91174076b1e0e19c39c031fe8685c1cae040e5c69a28efn,
      b: 0x469a28ef7c28cca3dc721d044f4496bcca7ef4146fbf25c9n,
      Gx: 0xc0a0647eaab6a48753b033c56cb0f0900a2f5c4853375fd6n,
      Gy: 0x14b690866abd5bb88b5f4828c1490002e6773fa2fa299b8fn,
      n: 0xc302f41d932a36cda7a3462f9e9e916b5be8f1029ac4acc1n,
      h: 1n,
    },
  },
  {
    name: 'brainpoolP224r1',
    oid: '1.3.36.3.3.2.8.1.1.5',
    domain: {
      p: 0xd7c134aa264366862a18302575d1d787b09f075797da89f57ec8c0ffn,
      a: 0x68a5e62ca9ce6c1c299803a6c1530b514e182ad8b0042a59cad29f43n,
      b: 0x2580f63ccfe44138870713b1a92369e33e2135d266dbb372386c400bn,
      Gx: 0x0d9029ad2c7e5cf4340823b2a87dc68c9e4ce3174c1e6efdee12c07dn,
      Gy: 0x58aa56f772c0726f24c6b89e4ecdac24354b9e99caa3f6d3761402cdn,
      n: 0xd7c134aa264366862a18302575d0fb98d116bc4b6ddebca3a5a7939fn,
      h: 1n,
    },
  },
  {
    name: 'brainpoolP256r1',
    oid: '1.3.36.3.3.2.8.1.1.7',
    domain: {
      p: 0xa9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377n,
      a: 0x7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9n,
      b: 0x26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6n,
      Gx: 0x8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262n,
      Gy: 0x547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997n,
      n: 0xa9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7n,
      h: 1n,
    },
  },
  {
    name: 'brainpoolP320r1',
    oid: '1.3.36.3.3.2.8.1.1.9',
    domain: {
      p: 0xd35e472036bc4fb7e13c785ed201e065f98fcfa6f6f40def4f92b9ec7893ec28fcd412b1f1b32e27n,
      a: 0x3ee30b568fbab0f883ccebd46d3f3bb8a2a73513f5eb79da66190eb085ffa9f492f375a97d860eb4n,
      b: 0x520883949dfdbc42d3ad198640688a6fe13f41349554b49acc31dccd884539816f5eb4ac8fb1f1a6n,
      Gx: 0x43bd7e9afb53d8b85289bcc48ee5bfe6f20137d10a087eb6e7871e2a10a599c710af8d0d39e20611n,
      Gy: 0x14fdd05545ec1cc8ab4093247f77275e0743ffed117182eaa9c77877aaac6ac7d35245d1692e8ee1n,
      n: 0xd35e472036bc4fb7e13c785ed201e065f98fcfa5b68f12a32d482ec7ee8658e98691555b44c59311n,
      h: 1n,
    },
  },
  {
    name: 'brainpoolP384r1',
    oid: '1.3.36.3.3.2.8.1.1.11',
    domain: {
      p: 0x8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53n,
      a: 0x7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826n,
      b: 0x04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11n,
      Gx: 0x1d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1en,
      Gy: 0x8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315n,
      n: 0x8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565n,
      h: 1n,
    },
  },
  {
    name: 'brainpoolP512r1',
    oid: '1.3.36.3.3.2.8.1.1.13',
    domain: {
      p: 0xaadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3n,
      a: 0x7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94can,
      b: 0x3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723n,
      Gx: 0x81aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d0098eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f822n,
      Gy: 0x7dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad80892n,
      n: 0xaadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069n,
      h: 1n,
    },
  },
];

/**
 * PACE's standardized domain parameters that are elliptic curves (9303-11 §9.5.1, Table 6;
 * TR-03110-3 Table 4). Ids 0–2 are MODP groups (DH), which this station does not implement.
 */
export const PACE_STANDARD_CURVES: ReadonlyMap<number, string> = new Map([
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

const built = new Map<string, EcCurve>();

function build(name: string, oid: string | undefined, domain: EcDomain): EcCurve {
  const key = `${domain.p}:${domain.a}:${domain.b}:${domain.Gx}:${domain.Gy}:${domain.n}`;
  const cached = built.get(key);
  if (cached) return cached;
  const Point = weierstrass({ ...domain });
  const curve: EcCurve = {
    name,
    oid,
    domain,
    fieldBytes: Math.ceil(domain.p.toString(2).length / 8),
    Point,
    generator: Point.BASE,
  };
  // A few explicit-parameter curves are all a station ever meets; stay bounded anyway.
  if (built.size < 64) built.set(key, curve);
  return curve;
}

/** The named curve, by name ('brainpoolP256r1', 'secp256r1', also 'prime256v1'), or undefined. */
export function curveByName(name: string): EcCurve | undefined {
  const wanted = name === 'prime256v1' ? 'secp256r1' : name === 'prime192v1' ? 'secp192r1' : name;
  const found = NAMED.find((c) => c.name === wanted);
  return found && build(found.name, found.oid, found.domain);
}

/** The named curve with this OID, or undefined. */
export function curveByOid(oid: string): EcCurve | undefined {
  const found = NAMED.find((c) => c.oid === oid);
  return found && build(found.name, found.oid, found.domain);
}

/** The curve of a PACE standardized domain parameter id, or undefined (DH groups, unknown ids). */
export function paceStandardCurve(parameterId: number): EcCurve | undefined {
  const name = PACE_STANDARD_CURVES.get(parameterId);
  return name === undefined ? undefined : curveByName(name);
}

function isProbablyPrimeOdd(p: bigint): boolean {
  // Explicit parameters come from card data: refuse nonsense cheaply (Fermat test, base 2 and 3).
  const modPow = (b: bigint, e: bigint, m: bigint): bigint => {
    let r = 1n;
    let x = b % m;
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) r = (r * x) % m;
      x = (x * x) % m;
    }
    return r;
  };
  return p > 3n && (p & 1n) === 1n && modPow(2n, p - 1n, p) === 1n && modPow(3n, p - 1n, p) === 1n;
}

/**
 * A curve from explicit domain parameters (ECParameters in a SubjectPublicKeyInfo): the named curve
 * when they are one, else a curve named 'explicit'. Field sizes from 160 to 521 bits.
 */
export function curveFromDomain(domain: EcDomain): DecodeResult<EcCurve> {
  const named = NAMED.find(
    (c) =>
      c.domain.p === domain.p &&
      c.domain.a === domain.a &&
      c.domain.b === domain.b &&
      c.domain.Gx === domain.Gx &&
      c.domain.Gy === domain.Gy &&
      c.domain.n === domain.n,
  );
  if (named) return ok(build(named.name, named.oid, named.domain));
  const bits = domain.p.toString(2).length;
  if (bits < 160 || bits > 521) return fail('unsupported', 0, `a ${bits}-bit prime field`);
  if (!isProbablyPrimeOdd(domain.p) || !isProbablyPrimeOdd(domain.n))
    return fail('invalid-value', 0, 'the field size or the group order is not prime');
  try {
    const curve = build('explicit', undefined, domain);
    // The generator must be on the curve and of order n: (n - 1)·G = -G.
    curve.generator.assertValidity();
    if (!curve.generator.multiplyUnsafe(domain.n - 1n).equals(curve.generator.negate()))
      return fail('invalid-value', 0, 'the base point does not have the stated order');
    return ok(curve);
  } catch (error) {
    return fail('invalid-value', 0, `the curve parameters are unusable: ${String(error)}`);
  }
}

/**
 * An uncompressed point `04 || x || y` on `curve` (the encoding PACE and CA exchange). Compressed
 * points are accepted too. The point at infinity and points off the curve are refused.
 */
export function decodePoint(curve: EcCurve, bytes: Uint8Array): DecodeResult<EcPoint> {
  const expected = 1 + 2 * curve.fieldBytes;
  const first = bytes[0];
  if (first === 0x04 && bytes.length !== expected)
    return fail(
      'invalid-value',
      0,
      `an uncompressed ${curve.name} point is ${expected} bytes, not ${bytes.length}`,
    );
  if ((first === 0x02 || first === 0x03) && bytes.length !== 1 + curve.fieldBytes)
    return fail('invalid-value', 0, `a compressed ${curve.name} point is ${1 + curve.fieldBytes} bytes`);
  if (first !== 0x02 && first !== 0x03 && first !== 0x04)
    return fail('invalid-value', 0, `a point encoding starts 02, 03 or 04, not ${(first ?? 0).toString(16)}`);
  try {
    const point = curve.Point.fromBytes(bytes);
    point.assertValidity();
    if (point.is0()) return fail('invalid-value', 0, 'the point at infinity');
    return ok(point);
  } catch {
    return fail('invalid-value', 0, `not a point on ${curve.name}`);
  }
}

/** `04 || x || y`, each coordinate `fieldBytes` long. */
export function encodePoint(point: EcPoint): Uint8Array {
  return point.toBytes(false);
}

/** A field element (the x coordinate of a shared point) as `fieldBytes` big-endian bytes. */
export function fieldElementBytes(curve: EcCurve, value: bigint): Uint8Array {
  const out = new Uint8Array(curve.fieldBytes);
  let v = value;
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** A private key in [1, n - 1] from `random` bytes (64 extra bits make the bias negligible). */
export function randomScalar(curve: EcCurve, random: (n: number) => Uint8Array): bigint {
  const bytes = Math.ceil(curve.domain.n.toString(2).length / 8) + 8;
  return (bytesToBigInt(random(bytes)) % (curve.domain.n - 1n)) + 1n;
}

/** `k · point`. @throws {RangeError} for k outside [1, n - 1] (our own scalars never are). */
export function multiply(curve: EcCurve, point: EcPoint, k: bigint): EcPoint {
  if (k <= 0n || k >= curve.domain.n) throw new RangeError('scalar outside [1, n - 1]');
  return point.multiply(k);
}

/**
 * The ECDH shared secret: x(k · peer), `fieldBytes` long (9303-11 §4.4.3.3; TR-03111 §4.3.1).
 * Undefined when the product is the point at infinity (never for a valid peer point and prime n).
 */
export function sharedSecret(curve: EcCurve, k: bigint, peer: EcPoint): Uint8Array | undefined {
  const product = multiply(curve, peer, k);
  if (product.is0()) return undefined;
  return fieldElementBytes(curve, product.x);
}

/**
 * The integer of a message digest for ECDSA (SEC 1 §4.1.3 step 5; TR-03111 §4.2.1.1): its leftmost
 * `bitlen(n)` bits, so a SHA-512 digest on a 256-bit curve is cut, and a SHA-1 one used whole.
 */
function digestInteger(curve: EcCurve, digest: Uint8Array): bigint {
  const orderBits = curve.domain.n.toString(2).length;
  const e = bytesToBigInt(digest);
  const excess = digest.length * 8 - orderBits;
  return excess > 0 ? e >> BigInt(excess) : e;
}

/**
 * Verifies a plain ECDSA signature `r ‖ s` (BSI TR-03111 §5.2.1: each half as long as the group
 * order) over a message digest already computed, with the public point (SEC 1 §4.1.4). Card
 * verifiable certificates and Terminal Authentication sign this way (TR-03110-3 §C.3, §B.11.1).
 * Never throws: a malformed signature (odd length, r or s outside [1, n − 1]) is simply false.
 */
export function verifyEcdsa(
  curve: EcCurve,
  publicKey: EcPoint,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  const { n } = curve.domain;
  const half = Math.ceil(n.toString(2).length / 8);
  if (signature.length !== 2 * half || digest.length === 0) return false;
  const r = bytesToBigInt(signature.subarray(0, half));
  const s = bytesToBigInt(signature.subarray(half));
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const e = digestInteger(curve, digest) % n;
  const w = invert(s, n);
  const u1 = (e * w) % n;
  const u2 = (r * w) % n;
  // Public data only: the variable-time multiplication is fine here.
  const fromKey = publicKey.multiplyUnsafe(u2);
  const sum = u1 === 0n ? fromKey : curve.generator.multiplyUnsafe(u1).add(fromKey);
  if (sum.is0()) return false;
  return sum.toAffine().x % n === r;
}

/**
 * Signs a digest with plain ECDSA (`r ‖ s`, TR-03111 §4.2.1.1) using the nonce `k`: for
 * known-answer tests and the simulated PKI, never for a station's own key (which lives in Node's
 * crypto or a token). Undefined for the one-in-2^256 nonce that gives r = 0 or s = 0.
 * @throws {RangeError} for a private key or nonce outside [1, n − 1].
 */
export function signEcdsaWithNonce(
  curve: EcCurve,
  privateKey: bigint,
  digest: Uint8Array,
  k: bigint,
): Uint8Array | undefined {
  const { n } = curve.domain;
  if (privateKey <= 0n || privateKey >= n) throw new RangeError('private key outside [1, n - 1]');
  const point = multiply(curve, curve.generator, k);
  const r = point.toAffine().x % n;
  if (r === 0n) return undefined;
  const s = (invert(k, n) * ((digestInteger(curve, digest) % n) + r * privateKey)) % n;
  if (s === 0n) return undefined;
  const half = Math.ceil(n.toString(2).length / 8);
  const out = new Uint8Array(2 * half);
  out.set(scalarBytes(r, half), 0);
  out.set(scalarBytes(s, half), half);
  return out;
}

function scalarBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
