/**
 * The e-ID level-2 application packet (issue 21, part 4): built with the same envelope as an
 * enrollment, opened by openAnyPacket with every byte and letter kept; the enrollment-only reader
 * refuses it; a manifest that breaks its rules, a part that does not hash to the manifest, labels
 * that disagree and mutated packets give typed results, never exceptions.
 */
import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodePacketCrypto } from '../../../drivers/crypto/packet-node.ts';
import { PacketBuildError } from '../../../protocol/packet/build.ts';
import {
  type BuildEidInput,
  buildEidPacket,
  decodeEidContent,
  encodeEidContent,
} from '../../../protocol/packet/eid.ts';
import { type EidApplicationManifest, validateEidManifest } from '../../../protocol/packet/eid-manifest.ts';
import { openAnyPacket, openPacket } from '../../../protocol/packet/open.ts';
import { createPacketTestPki, type PacketTestPki, VIETNAMESE_LOWER } from '../../support/packet-keys.ts';

const crypto = createNodePacketCrypto();
const SIGNED_AT = Date.UTC(2026, 11, 7, 3, 0, 0);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let pki: PacketTestPki;
beforeAll(async () => {
  pki = await createPacketTestPki();
});

const PORTRAIT = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new Array(500).fill(7), 0xff, 0xd9]);
const SOD = new Uint8Array([0x77, 0x82, 0x01, 0x00, ...new Array(256).fill(3)]);

function manifest(overrides: Partial<EidApplicationManifest> = {}): EidApplicationManifest {
  return {
    manifestType: 'eid-level2-application',
    manifestVersion: 1,
    packetId: randomUUID(),
    registrationSessionId: randomUUID(),
    environment: 'test',
    level: 2,
    citizen: {
      personalId: '001099012345',
      fullName: `Nguyễn Văn An ${VIETNAMESE_LOWER.slice(0, 20)}`,
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
      documentSigner: 'CN=Document Signer 01, O=Bộ Công an, C=VN',
      sodSha256: sha(SOD),
      validOn: '2026-12-07',
    },
    face: {
      decision: 'same',
      distance: 0.31,
      threshold: 0.6,
      engine: 'face-api',
      engineVersion: '1',
      livePortraitSha256: sha(PORTRAIT),
    },
    contact: { phone: '0912345678', email: 'an.nguyen@example.vn' },
    consent: {
      phone: true,
      email: true,
      dataProcessing: true,
      textVersion: 'eid-consent-2026.1',
      at: '2026-12-07T10:00:00+07:00',
    },
    stationId: 'HCM-Q1-03',
    officerId: 'off-1',
    signingMethod: 'password',
    times: {
      sessionStartedAt: '2026-12-07T09:55:00+07:00',
      signedAt: '2026-12-07T10:01:00+07:00',
      builtAt: '2026-12-07T10:01:05+07:00',
    },
    auditChainHead: 'ab'.repeat(32),
    audit: { seq: 12, head: 'ab'.repeat(32) },
    ...overrides,
  };
}

function input(overrides: Partial<BuildEidInput> = {}): BuildEidInput {
  return {
    manifest: manifest(),
    livePortrait: PORTRAIT,
    sod: SOD,
    signer: pki.signer,
    recipientCertificate: pki.central.certificate,
    signingTime: SIGNED_AT,
    crypto,
    ...overrides,
  };
}

const open = (packet: Uint8Array) =>
  openAnyPacket({
    packet,
    decryptor: pki.decryptor,
    crypto,
    trustAnchors: [pki.stationCa.certificate],
    now: SIGNED_AT + 60_000,
  });

describe('e-ID application packet', () => {
  it('round trip: openAnyPacket gives the manifest, the live portrait and EF.SOD byte for byte', async () => {
    const given = input();
    const { packet } = await buildEidPacket(given);
    const opened = await open(packet);
    if (!opened.ok) throw new Error(JSON.stringify(opened.rejection));
    expect(opened.type).toBe('eid-level2-application');
    if (opened.type !== 'eid-level2-application') return;
    expect(opened.application.manifest).toEqual(given.manifest);
    expect(opened.application.livePortrait).toEqual(PORTRAIT);
    expect(opened.application.sod).toEqual(SOD);
    expect(opened.application.labels).toEqual({
      packetId: given.manifest.packetId,
      enrollmentSessionId: given.manifest.registrationSessionId,
      environment: 'test',
    });
    // The enrollment-only reader does not take it for an enrollment.
    const asEnrollment = await openPacket({
      packet,
      decryptor: pki.decryptor,
      crypto,
      trustAnchors: [pki.stationCa.certificate],
      now: SIGNED_AT + 60_000,
    });
    expect(asEnrollment.ok).toBe(false);
  });

  it('the builder refuses a manifest that breaks its rules, listing each field', async () => {
    const bad = manifest({
      contact: { phone: '0212345678', email: 'not-an-address' },
      consent: { ...manifest().consent, dataProcessing: false as unknown as true },
    });
    const error = await buildEidPacket(input({ manifest: bad })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacketBuildError);
    const paths = (error as PacketBuildError).problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/contact/phone', '/contact/email', '/consent/dataProcessing']),
    );
    const combining = validateEidManifest(
      manifest({ citizen: { ...manifest().citizen, fullName: 'Nguye\u0302\u0303n Văn An' } }),
    );
    expect(combining.ok).toBe(false);
  });

  it('a live portrait or SOD that does not hash to the manifest is refused when building', async () => {
    const error = await buildEidPacket(input({ livePortrait: new Uint8Array([1, 2, 3]) })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'PACKET_PART_HASH_MISMATCH' });
    expect((error as PacketBuildError).problems.map((p) => p.path)).toEqual(['/face/livePortraitSha256']);
  });

  it('the content decodes only as its own layout', () => {
    const der = encodeEidContent({
      manifest: new Uint8Array([0x7b, 0x7d]),
      livePortrait: PORTRAIT,
      sod: SOD,
    });
    const decoded = decodeEidContent(der);
    expect(decoded.ok && decoded.value.sod).toEqual(SOD);
    const trailing = decodeEidContent(new Uint8Array([...der, 0]));
    expect(trailing).toMatchObject({ ok: false, error: { reason: 'trailing-data' } });
    const shorter = decodeEidContent(der.subarray(0, der.length - 1));
    expect(shorter.ok).toBe(false);
  });

  it('mutated packets only ever give a result, never an exception', async () => {
    const { packet } = await buildEidPacket(input());
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: packet.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const mutated = packet.slice();
        mutated[i] = (mutated[i] ?? 0) ^ x;
        const result = await open(mutated);
        // A flipped byte in an unprotected, unsigned part (a label's padding) may still open; when it
        // does, the manifest and parts are the ones signed.
        if (result.ok) expect(result.type).toBe('eid-level2-application');
        else expect(typeof result.rejection.kind).toBe('string');
      }),
      { seed: 20261207, numRuns: 60 },
    );
  });
});
