/**
 * A receipt's optional audit anchor (issue 21, Build 8): signed with the rest, so it verifies when
 * well formed, and a malformed one makes the whole receipt malformed; receipts without it verify.
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  joinStatement,
  type Receipt,
  type Statement,
  statementSigningInput,
  verifyStatement,
} from '../../../protocol/central/statement.ts';
import type { SignatureCheck } from '../../../protocol/icao9303/pa.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
const kid = createHash('sha256').update(spki).digest('hex');
const pinned = [{ keyId: kid, publicKey: spki }];
const verifySignature = async (check: SignatureCheck) =>
  verify(
    'sha256',
    check.data,
    { key: Buffer.from(check.publicKey), format: 'der', type: 'spki', dsaEncoding: 'ieee-p1363' },
    check.signature,
  );
const signed = (statement: Statement) => {
  const input = statementSigningInput(kid, statement);
  return joinStatement(
    input,
    new Uint8Array(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  );
};

const receipt: Receipt = {
  v: 1,
  kind: 'receipt',
  packetId: '3f0c6a52-8a39-4d1e-9b6e-2f4f7a1c0d11',
  sha256: 'ab'.repeat(32),
  size: 1234,
  environment: 'test',
  stationId: 'station-0001',
  centralKeyId: kid,
  receivedAt: '2026-03-14T02:10:00.000Z',
  enrollmentSessionId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
};

describe('receipt audit anchor', () => {
  it('verifies with and without it, and carries it through', async () => {
    const plain = await verifyStatement(signed(receipt), { pinned, verifySignature });
    expect(plain.ok && plain.statement.kind === 'receipt' && plain.statement.audit).toBeUndefined();
    const audit = { seq: 42, head: 'cd'.repeat(32) };
    const withAnchor = await verifyStatement(signed({ ...receipt, audit }), { pinned, verifySignature });
    expect(withAnchor.ok && withAnchor.statement.kind === 'receipt' && withAnchor.statement.audit).toEqual(
      audit,
    );
  });

  it.each([
    [{ seq: -1, head: 'cd'.repeat(32) }],
    [{ seq: 1.5, head: 'cd'.repeat(32) }],
    [{ seq: 3, head: 'CD'.repeat(32) }],
    [{ seq: 3 }],
    [{ seq: 3, head: 'cd'.repeat(32), extra: true }],
    ['3:cdcd'],
  ])('a malformed anchor %j makes the receipt malformed', async (audit) => {
    const check = await verifyStatement(signed({ ...receipt, audit } as unknown as Receipt), {
      pinned,
      verifySignature,
    });
    expect(check).toMatchObject({ ok: false, problem: 'malformed' });
  });
});
