/**
 * The e-ID application as the station builds it: the packet worker (PacketBuilder.buildEid) signs
 * through the station's signer and encrypts to central, the manifest gets the hashes of the live
 * portrait and EF.SOD it carries, and `station packet open` opens it and says its type. A set the
 * manifest rules refuse is refused by the worker with the failing fields.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../station/cli/main.ts';
import { PacketBuilder } from '../../../station/packets/builder.ts';
import type { EidApplicationSet } from '../../../station/packets/eid-application.ts';
import { recordingIo } from '../../support/cli.ts';
import { createPacketTestPki, type PacketTestPki, privateKeyPem, toPem } from '../../support/packet-keys.ts';

let dir: string;
let pki: PacketTestPki;
const builder = new PacketBuilder();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'eid-packet-'));
  pki = await createPacketTestPki();
  const key = path.join(dir, 'central.key');
  writeFileSync(key, privateKeyPem(pki.central.privateKey), { mode: 0o600 });
  chmodSync(key, 0o600);
  writeFileSync(path.join(dir, 'central.crt'), toPem(pki.central.certificate));
  writeFileSync(path.join(dir, 'station-ca.crt'), toPem(pki.stationCa.certificate));
});

afterAll(async () => {
  await builder.close();
  rmSync(dir, { recursive: true, force: true });
});

const LIVE = new Uint8Array([0xff, 0xd8, ...new Array(300).fill(9), 0xff, 0xd9]);
const SOD = new Uint8Array([0x77, 0x81, 0x80, ...new Array(128).fill(4)]);

function application(overrides: Partial<EidApplicationSet> = {}): EidApplicationSet {
  return {
    kind: 'eid-level2-application',
    packetId: randomUUID(),
    registrationSessionId: randomUUID(),
    environment: 'test',
    citizen: {
      personalId: '001099012345',
      fullName: 'Nguyễn Văn An',
      documentNumber: '099012345',
      dateOfBirth: '990101',
      dateOfExpiry: '390101',
      sex: 'M',
    },
    chip: {
      accessMethod: 'PACE-CAN',
      passiveAuthentication: 'valid',
      chipVerdict: 'genuine-chip',
      chipAuthentication: 'passed',
      activeAuthentication: 'passed',
      documentSigner: 'CN=Document Signer',
      validOn: '2026-12-07',
    },
    face: { decision: 'same', distance: 0.35, threshold: 0.6, engine: 'face-api', engineVersion: '1' },
    contact: { phone: '0912345678', email: 'an@example.vn' },
    consent: {
      phone: true,
      email: true,
      dataProcessing: true,
      textVersion: 'eid-l2-consent-2026.1',
      at: '2026-12-07T03:00:00.000Z',
    },
    livePortrait: LIVE,
    sod: SOD,
    stationId: 'dev-station-01',
    officerId: 'off-1',
    signingMethod: 'password',
    times: { sessionStartedAt: '2026-12-07T02:55:00.000Z', signedAt: '2026-12-07T03:01:00.000Z' },
    auditChainHead: '0'.repeat(64),
    ...overrides,
  };
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('e-ID application packets at the station', () => {
  it('are built in the packet worker and open with `station packet open` as their own type', async () => {
    const set = application();
    const built = await builder.buildEid(set, {
      signer: pki.signer,
      recipientCertificate: pki.central.certificate,
      signingTime: Date.now(),
    });
    expect(built.manifest).toMatchObject({
      manifestType: 'eid-level2-application',
      packetId: set.packetId,
      registrationSessionId: set.registrationSessionId,
      face: { livePortraitSha256: sha(LIVE) },
      chip: { sodSha256: sha(SOD) },
    });
    const file = path.join(dir, 'application.cms');
    writeFileSync(file, built.packet);
    const io = recordingIo(dir, {});
    const code = await main(
      [
        'packet',
        'open',
        '--in',
        file,
        '--key',
        'central.key',
        '--cert',
        'central.crt',
        '--trust',
        'station-ca.crt',
      ],
      io,
    );
    expect(code, io.err).toBe(0);
    const answer = JSON.parse(io.out);
    expect(answer).toMatchObject({
      accepted: true,
      type: 'eid-level2-application',
      labels: { packetId: set.packetId, enrollmentSessionId: set.registrationSessionId, environment: 'test' },
      sizes: { livePortrait: LIVE.length, sod: SOD.length },
      manifest: { contact: { phone: '0912345678' }, citizen: { fullName: 'Nguyễn Văn An' } },
    });
    expect(answer.verdicts).toMatchObject({
      signature: 'ok',
      'signer-chain': 'ok',
      manifest: 'ok',
      hashes: 'ok',
    });
  });

  it('a set the manifest refuses is refused by the worker with each failing field', async () => {
    const error = await builder
      .buildEid(application({ contact: { phone: '0212345678', email: 'an@example.vn' } }), {
        signer: pki.signer,
        recipientCertificate: pki.central.certificate,
        signingTime: Date.now(),
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PACKET_MANIFEST_INVALID' });
    expect((error as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual([
      '/contact/phone',
    ]);
  });
});
