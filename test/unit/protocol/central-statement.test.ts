/**
 * Central's signed statements (protocol/central/statement.ts): an ES256 compact JWS made with
 * `statementSigningInput` + `joinStatement` and node:crypto verifies, and every way one can be wrong
 * is refused with its reason. Keys are made fresh per run; the signature check is node:crypto's.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base64UrlDecode,
  base64UrlEncode,
  joinStatement,
  type PinnedStatementKey,
  type Receipt,
  type Refusal,
  type Statement,
  statementSigningInput,
  verifyStatement,
} from '../../../protocol/central/statement.ts';
import type { SignatureCheck } from '../../../protocol/icao9303/pa.ts';

function newKey(): { key: KeyObject; pinned: PinnedStatementKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  // The kid is a certificate's digest in production; any 64-hex name serves the check here.
  return {
    key: privateKey,
    pinned: { keyId: createHash('sha256').update(spki).digest('hex'), publicKey: spki },
  };
}

const verifySignature = async (check: SignatureCheck): Promise<boolean> =>
  verify(
    'sha256',
    check.data,
    { key: Buffer.from(check.publicKey), format: 'der', type: 'spki', dsaEncoding: 'ieee-p1363' },
    check.signature,
  );

function signWith(key: KeyObject, kid: string, statement: Statement): Uint8Array {
  const input = statementSigningInput(kid, statement);
  return joinStatement(
    input,
    new Uint8Array(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })),
  );
}

const ours = newKey();
const SHA = 'ab'.repeat(32);
const expectation = {
  packetId: '3f0c6a52-8a39-4d1e-9b6e-2f4f7a1c0d11',
  sha256: SHA,
  size: 1234,
  stationId: 'station-0001',
  environment: 'test',
};
const receipt: Receipt = {
  v: 1,
  kind: 'receipt',
  ...expectation,
  centralKeyId: ours.pinned.keyId,
  receivedAt: '2026-03-14T09:00:00.123Z',
  enrollmentSessionId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
};
const refusal: Refusal = {
  v: 1,
  kind: 'refusal',
  ...expectation,
  centralKeyId: ours.pinned.keyId,
  decidedAt: '2026-03-14T09:00:00.123Z',
  code: 'CENTRAL_SIGNER_REVOKED',
  message: { vi: 'Chứng thư đã bị thu hồi.', en: 'The certificate was revoked.' },
};

const check = (
  bytes: Uint8Array,
  options: { pinned?: PinnedStatementKey[]; expect?: typeof expectation | undefined } = {},
) =>
  verifyStatement(bytes, {
    pinned: options.pinned ?? [ours.pinned],
    expect: 'expect' in options ? options.expect : expectation,
    verifySignature,
  });

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytesOf = (value: string) => new TextEncoder().encode(value);
const b64json = (value: unknown) => base64UrlEncode(bytesOf(JSON.stringify(value)));

describe('central statements', () => {
  it('round-trips a receipt and a refusal signed with node:crypto (ieee-p1363)', async () => {
    expect(await check(signWith(ours.key, ours.pinned.keyId, receipt))).toEqual({
      ok: true,
      statement: receipt,
    });
    expect(await check(signWith(ours.key, ours.pinned.keyId, refusal))).toEqual({
      ok: true,
      statement: refusal,
    });
    // The header is exactly the contract's.
    const [header = ''] = text(signWith(ours.key, ours.pinned.keyId, receipt)).split('.');
    expect(JSON.parse(text(base64UrlDecode(header) ?? new Uint8Array()))).toEqual({
      alg: 'ES256',
      typ: 'cccd-central-statement',
      kid: ours.pinned.keyId,
    });
  });

  it('accepts a past key still pinned after rotation', async () => {
    const next = newKey();
    const old = signWith(ours.key, ours.pinned.keyId, receipt);
    expect((await check(old, { pinned: [next.pinned, ours.pinned] })).ok).toBe(true);
  });

  it('refuses a bad signature: altered payload, signature of another key, short signature', async () => {
    const good = text(signWith(ours.key, ours.pinned.keyId, receipt));
    const [h, , s] = good.split('.');
    const altered = `${h}.${b64json({ ...receipt, size: 999 })}.${s}`;
    expect(await check(bytesOf(altered))).toMatchObject({ ok: false, problem: 'bad-signature' });
    const other = newKey();
    const forged = signWith(other.key, ours.pinned.keyId, receipt);
    expect(await check(forged)).toMatchObject({ ok: false, problem: 'bad-signature' });
    expect(
      await check(bytesOf(`${h}.${good.split('.')[1]}.${base64UrlEncode(new Uint8Array(63))}`)),
    ).toMatchObject({
      ok: false,
      problem: 'bad-signature',
    });
  });

  it('refuses an unknown kid', async () => {
    const other = newKey();
    const statement = signWith(other.key, other.pinned.keyId, {
      ...receipt,
      centralKeyId: other.pinned.keyId,
    });
    expect(await check(statement)).toMatchObject({ ok: false, problem: 'unknown-key' });
  });

  it('refuses a statement about another packet, other bytes, another station or environment', async () => {
    const signed = signWith(ours.key, ours.pinned.keyId, receipt);
    expect(await check(signed, { expect: { ...expectation, packetId: 'another-packet' } })).toMatchObject({
      problem: 'wrong-packet',
    });
    expect(await check(signed, { expect: { ...expectation, sha256: 'cd'.repeat(32) } })).toMatchObject({
      problem: 'wrong-packet',
    });
    expect(await check(signed, { expect: { ...expectation, size: 1235 } })).toMatchObject({
      problem: 'wrong-packet',
    });
    expect(await check(signed, { expect: { ...expectation, stationId: 'station-0002' } })).toMatchObject({
      problem: 'wrong-station',
    });
    expect(await check(signed, { expect: { ...expectation, environment: 'production' } })).toMatchObject({
      problem: 'wrong-environment',
    });
    // Without an expectation only the signature and shape count.
    expect((await check(signed, { expect: undefined })).ok).toBe(true);
  });

  it('refuses malformed and unsupported statements', async () => {
    const good = text(signWith(ours.key, ours.pinned.keyId, receipt));
    const [h = '', p = ''] = good.split('.');
    const cases: [string | Uint8Array, string][] = [
      [new Uint8Array(0), 'malformed'],
      [new Uint8Array(16 * 1024 + 1).fill(0x41), 'malformed'],
      [new Uint8Array([0xff, 0xfe]), 'malformed'],
      ['a.b', 'malformed'],
      [`${h}.${p}.!!!`, 'malformed'],
      [`${b64json({ alg: 'ES256', typ: 'cccd-central-statement' })}.${p}.AAAA`, 'malformed'],
      [
        `${b64json({ alg: 'HS256', typ: 'cccd-central-statement', kid: ours.pinned.keyId })}.${p}.AAAA`,
        'unsupported',
      ],
      [`${b64json({ alg: 'ES256', typ: 'JWT', kid: ours.pinned.keyId })}.${p}.AAAA`, 'unsupported'],
      [
        `${b64json({ alg: 'ES256', typ: 'cccd-central-statement', kid: ours.pinned.keyId, crit: ['x'] })}.${p}.AAAA`,
        'unsupported',
      ],
    ];
    for (const [input, problem] of cases)
      expect(
        await check(typeof input === 'string' ? bytesOf(input) : input),
        String(input).slice(0, 40),
      ).toMatchObject({
        ok: false,
        problem,
      });
    // Well signed, but the payload breaks the shape: each is malformed.
    const shapes: unknown[] = [
      { ...receipt, v: 2 },
      { ...receipt, sha256: SHA.toUpperCase() },
      { ...receipt, receivedAt: '2026-03-14' },
      { ...receipt, enrollmentSessionId: '' },
      { ...refusal, message: 'no' },
      { ...receipt, kind: 'other' },
      { ...receipt, centralKeyId: 'f'.repeat(64) },
    ];
    for (const shape of shapes) {
      const input = `${h}.${b64json(shape)}`;
      const sig = sign('sha256', Buffer.from(input), { key: ours.key, dsaEncoding: 'ieee-p1363' });
      expect(
        await check(bytesOf(`${input}.${base64UrlEncode(new Uint8Array(sig))}`)),
        JSON.stringify(shape).slice(0, 60),
      ).toMatchObject({
        ok: false,
        problem: 'malformed',
      });
    }
  });

  it('base64url round-trips every length and refuses non-canonical text', () => {
    for (let n = 0; n < 10; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 97 + n) & 0xff);
      const encoded = base64UrlEncode(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(base64UrlDecode(encoded)).toEqual(bytes);
    }
    expect(base64UrlDecode('AB')).toBeUndefined(); // leftover bits not zero
    expect(base64UrlDecode('A')).toBeUndefined();
    expect(base64UrlDecode('A+')).toBeUndefined();
  });
});
