/**
 * Building and opening enrollment packets (issue 17): a round trip keeps every byte and every
 * Vietnamese letter; each way a packet can be wrong gives its own typed rejection; mutated packets
 * only ever give a result, never an exception.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodePacketCrypto } from '../../../drivers/crypto/packet-node.ts';
import type { TransactionImage } from '../../../protocol/ansi-nist/images.ts';
import { encodeTlv, parseTree, type TlvNode } from '../../../protocol/iso7816/tlv.ts';
import { type BuildPacketInput, buildPacket, PacketBuildError } from '../../../protocol/packet/build.ts';
import { decodePacketContent, encodePacketContent } from '../../../protocol/packet/container.ts';
import type { PacketCrypto } from '../../../protocol/packet/crypto.ts';
import type { PacketManifest } from '../../../protocol/packet/manifest.ts';
import {
  type OpenPacketInput,
  openPacket,
  PACKET_LIMITS,
  PACKET_MESSAGES,
  type PacketRejectionKind,
  readEnvelopeLabels,
} from '../../../protocol/packet/open.ts';
import type { DecodeResult } from '../../../protocol/result.ts';
import {
  createCentral,
  createPacketTestPki,
  createStationCa,
  fileDecryptor,
  fileSigner,
  issueStationCertificate,
  type PacketTestPki,
  sampleEnrollment,
  splitImages,
  VIETNAMESE_LOWER,
  VIETNAMESE_UPPER,
} from '../../support/packet-keys.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const crypto = createNodePacketCrypto();
const SIGNED_AT = Date.UTC(2026, 2, 14, 2, 10, 0);

let pki: PacketTestPki;
let other: PacketTestPki;

beforeAll(async () => {
  pki = await createPacketTestPki();
  other = await createPacketTestPki();
});

function sample() {
  return sampleEnrollment({ images: [1, 2, 3, 4].map((n) => new Uint8Array(100 + n * 37).fill(n * 11)) });
}

function input(overrides: Partial<BuildPacketInput> = {}): BuildPacketInput {
  const s = sample();
  return {
    manifest: s.manifest,
    transaction: s.transaction,
    portrait: s.portrait,
    images: s.images,
    signer: pki.signer,
    recipientCertificate: pki.central.certificate,
    signingTime: SIGNED_AT,
    crypto,
    ...overrides,
  };
}

/** The stand-in transaction's images as Type-14 records at the manifest's finger positions. */
function asRecords(images: DecodeResult<readonly Uint8Array[]>): DecodeResult<readonly TransactionImage[]> {
  if (!images.ok) return images;
  return {
    ok: true,
    value: images.value.map((data, i) => ({
      recordType: 14,
      idc: i + 1,
      recordIndex: i + 2,
      position: (i % 10) + 1,
      data,
    })),
  };
}

function opening(packet: Uint8Array, overrides: Partial<OpenPacketInput> = {}): OpenPacketInput {
  const lengths = sample().images.map((i) => i.length);
  return {
    packet,
    decryptor: pki.decryptor,
    crypto,
    trustAnchors: [pki.stationCa.certificate],
    now: SIGNED_AT + 60_000,
    extractImages: (transaction) => asRecords(splitImages(transaction, lengths)),
    ...overrides,
  };
}

async function rejectionOf(packet: Uint8Array, overrides: Partial<OpenPacketInput> = {}) {
  const result = await openPacket(opening(packet, overrides));
  if (result.ok) throw new Error('the packet was accepted');
  return result.rejection;
}

describe('packet round trip', () => {
  it('opens what it builds: manifest, transaction, portrait and images, Vietnamese text unchanged', async () => {
    const s = sample();
    const built = await buildPacket(input());
    const result = await openPacket(opening(built.packet));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const opened = result.packet;
    expect(opened.manifest).toEqual(s.manifest);
    expect(opened.manifest.applicant.fullName).toBe(`NGUYỄN ${VIETNAMESE_UPPER}`);
    expect(opened.manifest.applicant.placeOfResidence).toContain(VIETNAMESE_LOWER);
    expect(new TextDecoder().decode(opened.manifestBytes)).toContain(VIETNAMESE_UPPER);
    expect(opened.transaction).toEqual(s.transaction);
    expect(opened.portrait).toEqual(s.portrait);
    expect(opened.imagesChecked).toBe(true);
    expect(opened.signingTime).toBe(SIGNED_AT);
    expect(opened.signer.subject).toContain('CN=station-0001');
    expect(opened.labels).toEqual({
      packetId: s.manifest.packetId,
      enrollmentSessionId: s.manifest.enrollmentSessionId,
      environment: 'test',
    });
    expect(built.sizes.packet).toBe(built.packet.length);
    expect(built.sizes.transaction).toBe(s.transaction.length);
  });

  it('reads the labels without any key, for deduplication', async () => {
    const s = sample();
    const built = await buildPacket(input());
    expect(readEnvelopeLabels(built.packet)).toEqual({
      ok: true,
      value: {
        packetId: s.manifest.packetId,
        enrollmentSessionId: s.manifest.enrollmentSessionId,
        environment: 'test',
      },
    });
  });

  it('encrypts: no manifest text appears in the packet bytes', async () => {
    const built = await buildPacket(input());
    const latin1 = new TextDecoder('latin1').decode(built.packet);
    expect(latin1).not.toContain('officer-042');
    expect(latin1).not.toContain('001090012345');
  });
});

describe('the builder refuses bad input with a typed error', () => {
  it('lists every failing manifest field, the age rule included', async () => {
    const { manifest } = sampleEnrollment({
      birthDate: '2020-03-15',
      capturedAt: '2026-03-14T10:00:00+07:00',
    });
    const bad = { ...manifest, officerId: '' };
    const error = await buildPacket(input({ manifest: bad })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacketBuildError);
    expect((error as PacketBuildError).code).toBe('PACKET_MANIFEST_INVALID');
    // The schema fails first (officerId); the age rule is checked once the schema holds.
    // '' breaks two rules of one field (minLength and pattern): both are listed.
    expect((error as PacketBuildError).problems.map((p) => `${p.path} ${p.rule}`)).toEqual([
      '/officerId minLength',
      '/officerId pattern',
    ]);
    const young = await buildPacket(input({ manifest })).catch((e: unknown) => e);
    expect((young as PacketBuildError).problems).toMatchObject([
      { path: '/applicant/birthDate', rule: 'age' },
    ]);
  });

  it('refuses a transaction, portrait or image that does not hash to the manifest', async () => {
    const s = sample();
    const error = await buildPacket(
      input({ portrait: new Uint8Array([1, 2, 3]), images: [...s.images.slice(0, 3), new Uint8Array(5)] }),
    ).catch((e: unknown) => e);
    expect((error as PacketBuildError).code).toBe('PACKET_PART_HASH_MISMATCH');
    expect((error as PacketBuildError).problems.map((p) => p.path)).toEqual([
      '/portraitSha256',
      '/capture/images/3/sha256',
    ]);
  });

  it('refuses to encrypt to a central certificate that is expired or not yet valid at signing', async () => {
    // createCentral: valid 2025-01-01 for 3650 days.
    const notBefore = Date.UTC(2025, 0, 1);
    const notAfter = notBefore + 3650 * 86_400_000;
    const refusal = async (signingTime: number) => {
      try {
        await buildPacket(input({ signingTime }));
      } catch (error) {
        return error;
      }
      throw new Error('the builder encrypted to a certificate outside its validity');
    };
    const early = await refusal(notBefore - 1000);
    expect(early).toBeInstanceOf(PacketBuildError);
    expect(early).toMatchObject({ code: 'PACKET_RECIPIENT_NOT_YET_VALID', notBefore, notAfter });
    const late = await refusal(notAfter + 1000);
    expect(late).toMatchObject({ code: 'PACKET_RECIPIENT_EXPIRED', notBefore, notAfter });
    expect((late as Error).message).toContain('central');
    await expect(buildPacket(input({ signingTime: notAfter }))).resolves.toBeDefined();
  });

  it('refuses a certificate that is not DER X.509', async () => {
    const error = await buildPacket(input({ recipientCertificate: new Uint8Array([0x30, 0x00]) })).catch(
      (e: unknown) => e,
    );
    expect((error as PacketBuildError).code).toBe('PACKET_CERTIFICATE_INVALID');
  });
});

/** A crypto that changes what gets encrypted or signed, as an attacker in the middle would. */
function tampering(change: {
  plaintext?: (p: Uint8Array) => Uint8Array;
  ciphertext?: (c: Uint8Array) => Uint8Array;
}) {
  const tampered: PacketCrypto = {
    ...crypto,
    async aes256CbcEncrypt(key, iv, plaintext) {
      const out = await crypto.aes256CbcEncrypt(
        key,
        iv,
        change.plaintext ? change.plaintext(plaintext) : plaintext,
      );
      return change.ciphertext ? change.ciphertext(out) : out;
    },
  };
  return tampered;
}

function flipAt(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] = (out[index] ?? 0) ^ 0x01;
  return out;
}

describe('each rejection, with its reason', () => {
  it('content does not match the signature (message digest)', async () => {
    const built = await buildPacket(
      input({
        // One byte of the manifest inside the signed content changes after signing.
        crypto: tampering({
          plaintext: (p) => flipAt(p, new TextDecoder('latin1').decode(p).indexOf('officer-042')),
        }),
      }),
    );
    expect(await rejectionOf(built.packet)).toEqual({ kind: 'content-mismatch', problem: 'message-digest' });
  });

  it('content does not match the signature (signature over other bytes)', async () => {
    const forger = { ...pki.signer, sign: (data: Uint8Array) => pki.signer.sign(flipAt(data, 5)) };
    const built = await buildPacket(input({ signer: forger }));
    expect(await rejectionOf(built.packet)).toEqual({ kind: 'content-mismatch', problem: 'signature' });
  });

  it('unknown signer: the station does not chain to a trusted CA', async () => {
    const built = await buildPacket(input({ signer: other.signer }));
    expect(await rejectionOf(built.packet)).toMatchObject({ kind: 'unknown-signer' });
  });

  it('expired signer, and a signer not yet valid, on the signing time', async () => {
    const shortLived = await issueStationCertificate(pki.stationCa, 'station-0002', {
      notBefore: new Date(Date.UTC(2025, 0, 1)),
      days: 365,
    });
    const built = await buildPacket(input({ signer: fileSigner(shortLived, [pki.stationCa.certificate]) }));
    expect(await rejectionOf(built.packet)).toEqual({
      kind: 'signer-expired',
      certificate: 'CN=station-0002, O=Bộ Công an (test), C=VN',
      signingTime: SIGNED_AT,
      notBefore: Date.UTC(2025, 0, 1),
      notAfter: Date.UTC(2026, 0, 1),
    });
    // Not yet valid: the central certificate (valid from 2025-01-01) is, so the builder encrypts.
    const notYet = await issueStationCertificate(pki.stationCa, 'station-0003', {
      notBefore: new Date(Date.UTC(2025, 5, 1)),
      days: 365,
    });
    const early = await buildPacket(
      input({
        signer: fileSigner(notYet, [pki.stationCa.certificate]),
        signingTime: Date.UTC(2025, 2, 1),
      }),
    );
    expect(await rejectionOf(early.packet)).toMatchObject({
      kind: 'signer-expired',
      signingTime: Date.UTC(2025, 2, 1),
      notBefore: Date.UTC(2025, 5, 1),
    });
    // Inside the validity it opens.
    const fine = await buildPacket(
      input({
        signer: fileSigner(shortLived, [pki.stationCa.certificate]),
        signingTime: Date.UTC(2025, 5, 1),
      }),
    );
    expect((await openPacket(opening(fine.packet))).ok).toBe(true);
  });

  it('encrypted to another recipient', async () => {
    const built = await buildPacket(input({ recipientCertificate: other.central.certificate }));
    expect(await rejectionOf(built.packet)).toMatchObject({ kind: 'wrong-recipient' });
    // Our certificate named, but a key that is not its key.
    const impostor = fileDecryptor({
      certificate: pki.central.certificate,
      privateKey: other.central.privateKey,
    });
    const ours = await buildPacket(input());
    expect(await rejectionOf(ours.packet, { decryptor: impostor })).toMatchObject({
      kind: 'wrong-recipient',
    });
  });

  it('ciphertext altered in transit does not decrypt', async () => {
    // Flipping the last byte of the second-to-last block flips the padding byte: 0x10 becomes 0x11.
    const built = await buildPacket(
      input({ crypto: tampering({ ciphertext: (c) => flipAt(c, c.length - 17) }) }),
    );
    expect(await rejectionOf(built.packet)).toMatchObject({ kind: 'decryption-failed' });
  });

  it('schema violation inside a validly signed packet lists every failing field', async () => {
    const { manifest } = sample();
    const signedAsBad = { ...manifest };
    // What is validated is not what is serialised: a station bug the reader must still catch.
    Object.defineProperty(signedAsBad, 'toJSON', {
      enumerable: false,
      value: () => ({ ...manifest, stationId: '', applicant: { ...manifest.applicant, personalId: '12' } }),
    });
    const built = await buildPacket(input({ manifest: signedAsBad as PacketManifest }));
    const rejection = await rejectionOf(built.packet);
    expect(rejection.kind).toBe('schema-violation');
    if (rejection.kind === 'schema-violation')
      expect([...new Set(rejection.problems.map((p) => p.path))].sort()).toEqual([
        '/applicant/personalId',
        '/stationId',
      ]);
  });

  it('an unencrypted label that disagrees with the signed manifest', async () => {
    const s = sample();
    const built = await buildPacket(input());
    const text = new TextDecoder('latin1').decode(built.packet);
    const at = text.indexOf(s.manifest.packetId);
    expect(at).toBeGreaterThan(0);
    const relabelled = built.packet.slice();
    relabelled[at] = '4'.charCodeAt(0); // '3f0c…' becomes '4f0c…'
    expect(await rejectionOf(relabelled)).toEqual({
      kind: 'label-mismatch',
      field: 'packetId (label)',
      manifest: s.manifest.packetId,
      label: `4${s.manifest.packetId.slice(1)}`,
    });
  });

  it('an image that does not hash to the manifest, and images that cannot be read', async () => {
    const built = await buildPacket(input());
    const swapped = await rejectionOf(built.packet, {
      extractImages: (t) => {
        const images = asRecords(
          splitImages(
            t,
            sample().images.map((i) => i.length),
          ),
        );
        if (!images.ok) return images;
        const [a, b, c, d] = images.value;
        return a && b && c && d
          ? { ok: true, value: [a, { ...c, position: 2 }, { ...b, position: 3 }, d] }
          : images;
      },
    });
    expect(swapped.kind).toBe('image-mismatch');
    if (swapped.kind === 'image-mismatch')
      expect(swapped.problems.map((p) => [p.path, p.rule])).toEqual([
        ['/capture/images/1/byteLength', 'image-length'],
        ['/capture/images/1/sha256', 'image-hash'],
        ['/capture/images/2/byteLength', 'image-length'],
        ['/capture/images/2/sha256', 'image-hash'],
      ]);
    const unreadable = await rejectionOf(built.packet, {
      extractImages: (t) => asRecords(splitImages(t, [1])),
    });
    expect(unreadable).toMatchObject({ kind: 'transaction-invalid', error: { reason: 'trailing-data' } });
  });

  it('signed in the future beyond the clock-skew allowance', async () => {
    const built = await buildPacket(input());
    const allowance = PACKET_LIMITS.clockSkewMs;
    expect(allowance).toBeGreaterThan(0);
    expect(allowance).toBeLessThanOrEqual(10 * 60_000);
    // The central's clock is behind the station's by up to the allowance: still accepted.
    expect((await openPacket(opening(built.packet, { now: SIGNED_AT - allowance }))).ok).toBe(true);
    expect(await rejectionOf(built.packet, { now: SIGNED_AT - allowance - 1000 })).toEqual({
      kind: 'signed-in-future',
      signingTime: SIGNED_AT,
      now: SIGNED_AT - allowance - 1000,
      allowanceMs: allowance,
    });
  });

  it('malformed CMS: truncated, trailing bytes, not a packet, past the size bound', async () => {
    const built = await buildPacket(input());
    expect(await rejectionOf(built.packet.subarray(0, built.packet.length - 1))).toMatchObject({
      kind: 'malformed',
      stage: 'envelope',
      error: { reason: 'truncated' },
    });
    const trailing = new Uint8Array(built.packet.length + 2);
    trailing.set(built.packet);
    trailing.set([0x05, 0x00], built.packet.length); // a whole NULL after the ContentInfo
    expect(await rejectionOf(trailing)).toMatchObject({
      kind: 'malformed',
      error: { reason: 'trailing-data' },
    });
    expect(await rejectionOf(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toMatchObject({
      kind: 'malformed',
      error: { reason: 'invalid-value' },
    });
    // A header that claims more than the bound is refused before anything is allocated.
    const huge = new Uint8Array([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00]);
    expect(await rejectionOf(huge)).toMatchObject({ kind: 'malformed', error: { reason: 'too-large' } });
    const oversized = new Uint8Array(PACKET_LIMITS.maxPacketLength + 1);
    expect(await rejectionOf(oversized)).toMatchObject({ kind: 'malformed', error: { reason: 'too-large' } });
  });

  it('reads the envelope by its DER layout: BER segments open, too many recipients or odd elements are refused where they are', async () => {
    const built = await buildPacket(input());
    const tree = parseTree(built.packet, { maxLength: built.packet.length });
    if (!tree.ok) throw new Error('the built packet is not DER');
    const root = tree.value[0];
    const env = root?.children[1]?.children[0];
    const [version, recipients, eci, attrs] = env?.children ?? [];
    const [eciType, algorithm, content] = eci?.children ?? [];
    if (!root || !version || !recipients || !eci || !attrs || !eciType || !algorithm || !content)
      throw new Error('unexpected packet layout');
    expect([recipients.tag, content.tag, attrs.tag]).toEqual([0x31, 0x80, 0xa1]);
    const raw = (n: { offset: number; totalLength: number }) =>
      built.packet.subarray(n.offset, n.offset + n.totalLength);
    const rebuild = (recipientsDer: Uint8Array, contentDer: Uint8Array, ...extra: Uint8Array[]) =>
      encodeTlv(
        0x30,
        raw(root.children[0] as TlvNode),
        encodeTlv(
          0xa0,
          encodeTlv(
            0x30,
            raw(version),
            recipientsDer,
            encodeTlv(0x30, raw(eciType), raw(algorithm), contentDer),
            raw(attrs),
            ...extra,
          ),
        ),
      );
    // The same packet with its ciphertext in three BER segments ([0] constructed) opens the same.
    const c = content.value;
    const third = Math.floor(c.length / 3);
    const segmented = rebuild(
      raw(recipients),
      encodeTlv(
        0xa0,
        encodeTlv(0x04, c.subarray(0, third)),
        encodeTlv(0x04, c.subarray(third, 2 * third)),
        encodeTlv(0x04, c.subarray(2 * third)),
      ),
    );
    const opened = await openPacket(opening(segmented));
    expect(opened.ok && opened.packet.manifest.packetId).toBe(sample().manifest.packetId);
    // Nine recipients (the bound is eight): refused as too large, at the recipientInfos SET.
    const one = raw(recipients.children[0] as TlvNode);
    const crowd = encodeTlv(0x31, ...Array.from({ length: PACKET_LIMITS.maxRecipients + 1 }, () => one));
    const crowded = rebuild(crowd, raw(content));
    const crowdedTree = parseTree(crowded, { maxLength: crowded.length });
    const crowdAt = crowdedTree.ok ? crowdedTree.value[0]?.children[1]?.children[0]?.children[1]?.offset : -1;
    expect(crowdAt).toBeGreaterThan(0);
    expect(await rejectionOf(crowded)).toMatchObject({
      kind: 'malformed',
      stage: 'envelope',
      error: { reason: 'too-large', offset: crowdAt },
    });
    // An element after the unprotected attributes.
    expect(
      await rejectionOf(rebuild(raw(recipients), raw(content), Uint8Array.of(0x05, 0x00))),
    ).toMatchObject({
      kind: 'malformed',
      error: { reason: 'invalid-value', detail: expect.stringContaining('unexpected elements') },
    });
    // The ciphertext as a universal OCTET STRING instead of [0] IMPLICIT.
    expect(await rejectionOf(rebuild(raw(recipients), encodeTlv(0x04, c)))).toMatchObject({
      kind: 'malformed',
      error: { reason: 'invalid-value', detail: expect.stringContaining('[0] IMPLICIT') },
    });
  });

  it('has a Vietnamese and an English message for every rejection kind', () => {
    const kinds: PacketRejectionKind[] = [
      'malformed',
      'wrong-recipient',
      'decryption-failed',
      'unsupported-algorithm',
      'content-mismatch',
      'unknown-signer',
      'signer-expired',
      'schema-violation',
      'label-mismatch',
      'image-mismatch',
    ];
    for (const kind of kinds) {
      expect(PACKET_MESSAGES[kind].vi.length).toBeGreaterThan(10);
      expect(PACKET_MESSAGES[kind].en.length).toBeGreaterThan(10);
    }
  });
});

describe('mutated packets', () => {
  it('only ever give a result, never an uncaught exception', async () => {
    const built = await buildPacket(input());
    const packet = built.packet;
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(packet.length - 1),
        xor: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(packet.length - 1) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(packet.length), byte: fc.nat(255) }),
      // Mostly the DER headers and the small structures before the ciphertext.
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(600),
        xor: fc.integer({ min: 1, max: 255 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        let bytes = packet.slice();
        for (const m of mutations) {
          if (m.kind === 'flip') {
            if (m.at < bytes.length) bytes[m.at] = (bytes[m.at] ?? 0) ^ m.xor;
          } else if (m.kind === 'truncate') bytes = bytes.subarray(0, Math.min(m.at, bytes.length));
          else {
            const at = Math.min(m.at, bytes.length);
            const grown = new Uint8Array(bytes.length + 1);
            grown.set(bytes.subarray(0, at));
            grown[at] = m.byte;
            grown.set(bytes.subarray(at), at + 1);
            bytes = grown;
          }
        }
        const result = await openPacket(opening(bytes));
        if (result.ok) {
          // Only a change the signature does not cover can pass, and then the content is intact.
          expect(result.packet.manifest).toEqual(sample().manifest);
          expect(result.packet.transaction).toEqual(sample().transaction);
        } else expect(Object.keys(PACKET_MESSAGES)).toContain(result.rejection.kind);
        expect(readEnvelopeLabels(bytes)).toHaveProperty('ok');
      }),
      { seed, numRuns: 300 },
    );
  });
});

describe('trust anchors', () => {
  it('accepts a chain through an intermediate CA the packet includes', async () => {
    // Station CA -> intermediate (a CA certificate issued by it) is modelled by a second-level CA.
    const root = await createStationCa('Root CA');
    const station = await issueStationCertificate(root, 'station-0003');
    const built = await buildPacket(input({ signer: fileSigner(station, [root.certificate]) }));
    expect((await openPacket(opening(built.packet, { trustAnchors: [root.certificate] }))).ok).toBe(true);
    expect(await rejectionOf(built.packet, { trustAnchors: [pki.stationCa.certificate] })).toMatchObject({
      kind: 'unknown-signer',
    });
  });

  it('uses a central certificate made for another test run only for that run', async () => {
    const central = await createCentral('Another Central');
    const built = await buildPacket(input({ recipientCertificate: central.certificate }));
    expect((await openPacket(opening(built.packet, { decryptor: fileDecryptor(central) }))).ok).toBe(true);
  });
});

describe('EnrollmentPacketContent', () => {
  it('round-trips its three parts and refuses trailing bytes, another version and non-DER', () => {
    const parts = {
      manifest: new Uint8Array([0x7b, 0x7d]),
      transaction: new Uint8Array(300).fill(7),
      portrait: new Uint8Array([1]),
    };
    const der = encodePacketContent(parts);
    const decoded = decodePacketContent(der);
    expect(decoded).toEqual({ ok: true, value: parts });
    // The parts are views into the content, not copies (a transaction is most of a packet).
    expect(decoded.ok && decoded.value.transaction.buffer).toBe(der.buffer);
    const trailing = new Uint8Array(der.length + 2);
    trailing.set(der);
    expect(decodePacketContent(trailing)).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data', offset: der.length },
    });
    const v2 = der.slice();
    // SEQUENCE header (30 82 LL LL), then INTEGER 02 01 01: the version byte is at offset 6.
    expect([...v2.subarray(4, 7)]).toEqual([0x02, 0x01, 0x01]);
    v2[6] = 2;
    expect(decodePacketContent(v2)).toMatchObject({ ok: false, error: { reason: 'unsupported' } });
    expect(decodePacketContent(new Uint8Array([0x30, 0x03, 0x04, 0x01, 0x00]))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value' },
    });
    // A fourth part, or the constructed (BER) form of an OCTET STRING, is not this DER layout.
    const fourParts = encodeTlv(0x30, der.subarray(4), encodeTlv(0x04, Uint8Array.of(1)));
    expect(decodePacketContent(fourParts)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    const constructed = encodeTlv(
      0x30,
      Uint8Array.of(0x02, 0x01, 0x01),
      encodeTlv(0x24, encodeTlv(0x04, parts.manifest)),
      encodeTlv(0x04, parts.transaction),
      encodeTlv(0x04, parts.portrait),
    );
    expect(decodePacketContent(constructed)).toMatchObject({
      ok: false,
      // After the SEQUENCE header (30 82 LL LL) and the version (02 01 01).
      error: { reason: 'invalid-value', offset: 7, detail: 'manifest is not a primitive OCTET STRING' },
    });
  });
});
