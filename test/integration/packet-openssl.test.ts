/**
 * Enrollment packets and OpenSSL 3 (issue 17): `openssl cms -decrypt` then `openssl cms -verify`
 * read what buildPacket makes, and our verifier reads what `openssl cms -sign` makes with an EC
 * key. Keys are minted with node:crypto in a temporary directory; the `openssl` command must be
 * installed (Debian: `apt-get install openssl`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { buildPacket } from '../../protocol/packet/build.ts';
import { encodePacketContent, PACKET_OID } from '../../protocol/packet/container.ts';
import { encodeManifest } from '../../protocol/packet/manifest.ts';
import { verifySignedData } from '../../protocol/packet/open.ts';
import {
  createPacketTestPki,
  createStationCa,
  type PacketTestPki,
  privateKeyPem,
  sampleEnrollment,
  toPem,
  VIETNAMESE_LOWER,
  VIETNAMESE_UPPER,
} from '../support/packet-keys.ts';

const crypto = createNodePacketCrypto();

function openssl(args: readonly string[], input?: Uint8Array): Buffer {
  const run = spawnSync('openssl', args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (run.error)
    throw new Error(`cannot run openssl (${run.error.message}): install OpenSSL 3 (apt-get install openssl)`);
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${run.stderr.toString()}`);
  return run.stdout;
}

describe('enrollment packets and the OpenSSL 3 command line', () => {
  let dir = '';
  let pki: PacketTestPki;
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    expect(execFileSync('openssl', ['version']).toString()).toMatch(/^OpenSSL 3\./);
    dir = mkdtempSync(path.join(tmpdir(), 'packet-openssl-'));
    pki = await createPacketTestPki();
    writeFileSync(file('central.crt'), toPem(pki.central.certificate));
    writeFileSync(file('central.key'), privateKeyPem(pki.central.privateKey), { mode: 0o600 });
    writeFileSync(file('station-ca.crt'), toPem(pki.stationCa.certificate));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('openssl cms -decrypt then -verify yield the exact content, Vietnamese text intact', async () => {
    const sample = sampleEnrollment();
    const built = await buildPacket({
      ...sample,
      signer: pki.signer,
      recipientCertificate: pki.central.certificate,
      signingTime: Date.UTC(2026, 2, 14, 2, 10),
      crypto,
    });
    writeFileSync(file('packet.cms'), built.packet);
    const signed = openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      file('packet.cms'),
      '-recip',
      file('central.crt'),
      '-inkey',
      file('central.key'),
    ]);
    writeFileSync(file('signed.cms'), signed);
    const content = openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      file('signed.cms'),
      '-binary',
      '-CAfile',
      file('station-ca.crt'),
      '-purpose',
      'any',
    ]);
    const expected = encodePacketContent({
      manifest: encodeManifest(sample.manifest),
      transaction: sample.transaction,
      portrait: sample.portrait,
    });
    expect(new Uint8Array(content)).toEqual(expected);
    const text = content.toString('utf8');
    expect(text).toContain(VIETNAMESE_UPPER);
    expect(text).toContain(VIETNAMESE_LOWER);
  });

  it('openssl cms -verify refuses the packet under another station CA', async () => {
    const sample = sampleEnrollment();
    const built = await buildPacket({
      ...sample,
      signer: pki.signer,
      recipientCertificate: pki.central.certificate,
      signingTime: Date.UTC(2026, 2, 14, 2, 10),
      crypto,
    });
    writeFileSync(file('packet2.cms'), built.packet);
    const signed = openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      file('packet2.cms'),
      '-recip',
      file('central.crt'),
      '-inkey',
      file('central.key'),
    ]);
    writeFileSync(file('signed2.cms'), signed);
    const other = await createStationCa('Other CA');
    writeFileSync(file('other-ca.crt'), toPem(other.certificate));
    expect(() =>
      openssl([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        file('signed2.cms'),
        '-binary',
        '-CAfile',
        file('other-ca.crt'),
        '-purpose',
        'any',
      ]),
    ).toThrow(/Verify error|verification failure/);
  });

  it('our verifier accepts SignedData made by openssl cms -sign with an EC key, and refuses it altered', async () => {
    writeFileSync(file('station.crt'), toPem(pki.station.certificate));
    writeFileSync(file('station.key'), privateKeyPem(pki.station.privateKey), { mode: 0o600 });
    const sample = sampleEnrollment();
    const content = encodePacketContent({
      manifest: encodeManifest(sample.manifest),
      transaction: sample.transaction,
      portrait: sample.portrait,
    });
    writeFileSync(file('content.der'), content);
    const signed = openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-outform',
      'DER',
      '-md',
      'sha256',
      '-econtent_type',
      PACKET_OID.enrollmentPacket,
      '-in',
      file('content.der'),
      '-signer',
      file('station.crt'),
      '-inkey',
      file('station.key'),
    ]);
    const result = await verifySignedData(
      new Uint8Array(signed),
      PACKET_OID.enrollmentPacket,
      [pki.stationCa.certificate],
      crypto,
    );
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.eContent).toEqual(content);

    // One byte of the content changed: the message digest no longer matches.
    const at = new Uint8Array(signed).indexOf(0x4e /* 'N' of NGUYỄN */, 200);
    const altered = new Uint8Array(signed);
    altered[at] = 0x4d;
    const refused = await verifySignedData(
      altered,
      PACKET_OID.enrollmentPacket,
      [pki.stationCa.certificate],
      crypto,
    );
    expect(refused).toEqual({
      ok: false,
      rejection: { kind: 'content-mismatch', problem: 'message-digest' },
    });
  });

  it('a packet decrypted by openssl carries the signed officer id and environment attributes', async () => {
    const sample = sampleEnrollment();
    const built = await buildPacket({
      ...sample,
      signer: pki.signer,
      recipientCertificate: pki.central.certificate,
      signingTime: Date.UTC(2026, 2, 14, 2, 10),
      crypto,
    });
    writeFileSync(file('packet3.cms'), built.packet);
    const printed = openssl([
      'cms',
      '-cmsout',
      '-print',
      '-inform',
      'DER',
      '-in',
      file('packet3.cms'),
    ]).toString();
    expect(printed).toContain(PACKET_OID.packetId);
    expect(printed).toContain(sample.manifest.packetId);
    const signed = openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      file('packet3.cms'),
      '-recip',
      file('central.crt'),
      '-inkey',
      file('central.key'),
    ]);
    writeFileSync(file('signed3.cms'), signed);
    const inner = openssl([
      'cms',
      '-cmsout',
      '-print',
      '-inform',
      'DER',
      '-in',
      file('signed3.cms'),
    ]).toString();
    expect(inner).toMatch(
      new RegExp(
        `object: undefined \\(${PACKET_OID.officerId.replaceAll('.', '\\.')}\\)\\s+set:\\s+UTF8STRING:officer-042`,
      ),
    );
    expect(inner).toMatch(
      new RegExp(
        `object: undefined \\(${PACKET_OID.environment.replaceAll('.', '\\.')}\\)\\s+set:\\s+PRINTABLESTRING:test`,
      ),
    );
    expect(inner).toMatch(
      /signingTime \(1\.2\.840\.113549\.1\.9\.5\)\s+set:\s+UTCTIME:Mar 14 02:10:00 2026 GMT/,
    );
    expect(inner).toContain('ecdsa-with-SHA256');
  });
});
