/**
 * The transaction's images on the reading side (issue 17): `openPacket` parses the carried
 * ANSI/NIST-ITL transaction by default, and every image-bearing record (Type-10 portrait, Type-14
 * fingers and slaps, Type-17 iris, the binary Types 3-8) must be the image the manifest lists, in
 * order, with its hash, length, kind and finger position. Each way this fails has its own reason.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodePacketCrypto } from '../../../drivers/crypto/packet-node.ts';
import {
  buildTransaction,
  type RecordSpec,
  type TransactionSpec,
} from '../../../protocol/ansi-nist/builder.ts';
import { readTransactionImages } from '../../../protocol/ansi-nist/images.ts';
import { buildPacket } from '../../../protocol/packet/build.ts';
import type { ManifestImage, PacketManifest } from '../../../protocol/packet/manifest.ts';
import { openPacket, PACKET_MESSAGES, type PacketRejection } from '../../../protocol/packet/open.ts';
import { portraitSpec, type14Spec } from '../../support/ansi-nist-specs.ts';
import { readFixture } from '../../support/fixtures.ts';
import { createPacketTestPki, type PacketTestPki, sampleEnrollment } from '../../support/packet-keys.ts';

const crypto = createNodePacketCrypto();
const SIGNED_AT = Date.UTC(2026, 2, 14, 2, 10, 0);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let pki: PacketTestPki;
beforeAll(async () => {
  pki = await createPacketTestPki();
});

const FACE = Uint8Array.of(0xff, 0xd8, 0x1c, 0x1d, 0x1e, 0x1f, 0x10, 0x20, 0xff, 0xd9);
const FINGERS = [1, 2, 7].map((fgp) => ({ fgp, data: new Uint8Array(150 + fgp * 13).fill(fgp * 9) }));
const SLAP = { fgp: 13, data: new Uint8Array(777).fill(0x5a) };
const IRIS = new Uint8Array(321).fill(0xa5);

const type1 = {
  tot: 'CCE',
  date: '20260314',
  dai: 'DAI000000',
  ori: 'ORI000000',
  tcn: 'TCN0000000001',
  nsr: '00.00',
  ntr: '00.00',
} as const;

const type14 = (idc: number, fgp: number, data: Uint8Array): RecordSpec => type14Spec(idc, fgp, data);

/** Portrait, three fingers, a slap and an iris, in that order after Type-2. */
function spec(): TransactionSpec {
  return {
    type1,
    records: [
      { type: 2, idc: 0 },
      portraitSpec(1, FACE),
      ...FINGERS.map((f, i) => type14(2 + i, f.fgp, f.data)),
      type14(5, SLAP.fgp, SLAP.data),
      {
        type: 17,
        idc: 6,
        elr: 1,
        src: 'ORI000000',
        icd: '20260314',
        hll: 640,
        vll: 480,
        slc: 1,
        thps: 500,
        tvps: 500,
        cga: 'NONE',
        bpx: 8,
        csp: 'GRAY',
        data: IRIS,
      },
    ],
  };
}

function manifestImage(
  base: ManifestImage,
  kind: ManifestImage['kind'],
  position: number,
  data: Uint8Array,
): ManifestImage {
  const { quality, ...rest } = base;
  return {
    ...rest,
    kind,
    position,
    format: kind === 'face' ? 'jpeg' : kind === 'iris' ? 'png' : 'wsq',
    sha256: sha256(data),
    byteLength: data.length,
    ...(kind === 'finger' || kind === 'slap' ? { quality } : {}),
  } as ManifestImage;
}

/** A consistent enrollment whose transaction is a real ANSI/NIST-ITL transaction. */
function enrollment(transaction = buildTransaction(spec())) {
  const base = sampleEnrollment();
  const template = base.manifest.capture.images[0] as ManifestImage;
  const images: ManifestImage[] = [
    manifestImage(template, 'face', 0, FACE),
    ...FINGERS.map((f) => manifestImage(template, 'finger', f.fgp, f.data)),
    manifestImage(template, 'slap', SLAP.fgp, SLAP.data),
    manifestImage(template, 'iris', 0, IRIS),
  ];
  const manifest: PacketManifest = {
    ...base.manifest,
    transactionSha256: sha256(transaction),
    capture: { ...base.manifest.capture, images },
  };
  return { manifest, transaction, portrait: base.portrait };
}

/** Builds (without the builder's own image check: a station that signs a lie) and opens. */
async function open(e: ReturnType<typeof enrollment>) {
  const built = await buildPacket({
    ...e,
    signer: pki.signer,
    recipientCertificate: pki.central.certificate,
    signingTime: SIGNED_AT,
    crypto,
  });
  return openPacket({
    packet: built.packet,
    decryptor: pki.decryptor,
    crypto,
    trustAnchors: [pki.stationCa.certificate],
    now: SIGNED_AT + 60_000,
  });
}

async function rejection(e: ReturnType<typeof enrollment>): Promise<PacketRejection> {
  const result = await open(e);
  if (result.ok) throw new Error('the packet was accepted');
  return result.rejection;
}

function withImages(
  e: ReturnType<typeof enrollment>,
  edit: (images: ManifestImage[]) => ManifestImage[],
): ReturnType<typeof enrollment> {
  return {
    ...e,
    manifest: {
      ...e.manifest,
      capture: { ...e.manifest.capture, images: edit([...e.manifest.capture.images]) },
    },
  };
}

describe('readTransactionImages', () => {
  it('returns every image-bearing record of our transactions with its type, IDC, position and bytes', () => {
    const images = readTransactionImages(buildTransaction(spec()));
    expect(images.ok).toBe(true);
    if (!images.ok) return;
    expect(images.value.map((i) => [i.recordType, i.idc, i.position])).toEqual([
      [10, 1, undefined],
      [14, 2, 1],
      [14, 3, 2],
      [14, 4, 7],
      [14, 5, 13],
      [17, 6, undefined],
    ]);
    expect(images.value.map((i) => [...i.data])).toEqual(
      [FACE, ...FINGERS.map((f) => f.data), SLAP.data, IRIS].map((d) => [...d]),
    );
  });

  it("reads NIST's binary Type-4 and tagged Type-14 records (an2k2txt values)", () => {
    const type4 = readTransactionImages(readFixture('ansi-nist/valid1.1.an2'));
    // valid1.1: 4.001 LEN 14864, 4.002 IDC 1, 4.004 FGP 10; the image follows the 18-byte header.
    expect(type4.ok && type4.value.map((i) => [i.recordType, i.idc, i.position, i.data.length])).toEqual([
      [4, 1, 10, 14864 - 18],
    ]);
    const slaps = readTransactionImages(readFixture('ansi-nist/valid1.8.an2'));
    expect(slaps.ok && slaps.value.map((i) => [i.recordType, i.idc, i.position])).toEqual([
      [14, 1, 13],
      [14, 2, 14],
      [14, 3, 15],
    ]);
  });

  it('gives the reader error for a transaction that does not parse', () => {
    const bytes = buildTransaction(spec());
    const result = readTransactionImages(bytes.subarray(0, bytes.length - 40));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe('truncated');
  });
});

describe('openPacket checks the transaction images by default', () => {
  it('opens a consistent packet and says every image was checked', async () => {
    const result = await open(enrollment());
    expect(result.ok && result.packet.imagesChecked).toBe(true);
  });

  it('an image whose bytes do not hash to the manifest', async () => {
    const e = withImages(enrollment(), (images) => {
      images[2] = { ...(images[2] as ManifestImage), sha256: sha256(new Uint8Array([1])) };
      return images;
    });
    const r = await rejection(e);
    expect(r).toMatchObject({
      kind: 'image-mismatch',
      problems: [{ path: '/capture/images/2/sha256', rule: 'image-hash' }],
    });
  });

  it('an image of another length than the manifest lists', async () => {
    const e = withImages(enrollment(), (images) => {
      images[1] = { ...(images[1] as ManifestImage), byteLength: 5 };
      return images;
    });
    expect(await rejection(e)).toMatchObject({
      kind: 'image-mismatch',
      problems: [{ path: '/capture/images/1/byteLength', rule: 'image-length' }],
    });
  });

  it('a manifest image the transaction does not hold', async () => {
    const e = withImages(enrollment(), (images) => [
      ...images,
      manifestImage(images[1] as ManifestImage, 'finger', 9, new Uint8Array(9)),
    ]);
    expect(await rejection(e)).toMatchObject({
      kind: 'image-mismatch',
      problems: [{ path: '/capture/images/6', rule: 'image-missing' }],
    });
  });

  it('an image in the transaction the manifest does not list', async () => {
    const e = withImages(enrollment(), (images) => images.slice(0, 5));
    const r = await rejection(e);
    expect(r).toMatchObject({
      kind: 'image-mismatch',
      problems: [{ path: '/capture/images', rule: 'image-unlisted' }],
    });
    if (r.kind === 'image-mismatch') expect(r.problems[0]?.message).toMatch(/Type-17.*IDC 6/);
  });

  it('an image of another kind or finger position than the record', async () => {
    const kind = withImages(enrollment(), (images) => {
      images[0] = { ...(images[5] as ManifestImage), sha256: sha256(FACE), byteLength: FACE.length };
      return images;
    });
    expect(await rejection(kind)).toMatchObject({
      kind: 'image-mismatch',
      problems: [{ path: '/capture/images/0/kind', rule: 'image-record' }],
    });
    const position = withImages(enrollment(), (images) => {
      images[3] = { ...(images[3] as ManifestImage), position: 8 };
      return images;
    });
    expect(await rejection(position)).toMatchObject({
      kind: 'image-mismatch',
      problems: [{ path: '/capture/images/3/position', rule: 'image-position' }],
    });
  });

  it('a transaction that does not parse as ANSI/NIST-ITL', async () => {
    const garbage = new TextEncoder().encode('1.001:12\u001d1.002:0502\u001c');
    const r = await rejection(enrollment(garbage));
    expect(r.kind).toBe('transaction-invalid');
    if (r.kind === 'transaction-invalid') expect(r.error.reason).toBeTypeOf('string');
    expect(PACKET_MESSAGES['transaction-invalid'].vi).toMatch(/[ạ-ỹ]/u);
  });
});
