/**
 * `station packet build|open` end to end with file keys made here: a simulated applicant through
 * the hot path, a capture directory, refusals with their reason, and OpenSSL 3's `cms -decrypt`
 * then `cms -verify` accepting what the command wrote.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGreyJpeg, syntheticPortrait } from '../../simulators/card/lds-builder.ts';
import { renderSlap } from '../../simulators/fingerprint/generator.ts';
import { main } from '../../station/cli/main.ts';
import { encodeGreyPng } from '../../station/imaging/grey-image.ts';
import { recordingIo } from '../support/cli.ts';
import {
  createCentral,
  createPacketTestPki,
  createStationCa,
  type PacketTestPki,
  privateKeyPem,
  toPem,
  VIETNAMESE_UPPER,
} from '../support/packet-keys.ts';

let dir: string;
let pki: PacketTestPki;

async function cli(...argv: string[]) {
  const io = recordingIo(dir, {});
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

function writeKey(name: string, pem: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, pem, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

const signArgs = () => [
  '--station-key',
  'station.key',
  '--station-cert',
  'station.crt',
  '--to',
  'central.crt',
];
const openArgs = (packet: string) => [
  'packet',
  'open',
  '--in',
  packet,
  '--key',
  'central.key',
  '--cert',
  'central.crt',
  '--trust',
  'station-ca.crt',
];

let samplePacket: string;
let sampleBuild: { code: number; out: string; err: string };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'packet-cli-'));
  pki = await createPacketTestPki();
  writeKey('station.key', privateKeyPem(pki.station.privateKey));
  // The station certificate then its CA, PEM; the central certificate DER: both forms accepted.
  writeFileSync(
    path.join(dir, 'station.crt'),
    toPem(pki.station.certificate) + toPem(pki.stationCa.certificate),
  );
  writeFileSync(path.join(dir, 'station-ca.crt'), toPem(pki.stationCa.certificate));
  writeFileSync(path.join(dir, 'central.crt'), pki.central.certificate);
  writeKey('central.key', privateKeyPem(pki.central.privateKey));
  samplePacket = path.join(dir, 'sample.cms');
  sampleBuild = await cli('packet', 'build', '--sample', '7', ...signArgs(), '--out', samplePacket);
}, 120_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('station packet build --sample, then open', () => {
  it('builds a 4-4-2 packet and reports id, sizes per component, sha256 and timings', () => {
    expect(sampleBuild.err).toBe('');
    expect(sampleBuild.code).toBe(0);
    const report = JSON.parse(sampleBuild.out);
    const bytes = readFileSync(samplePacket);
    expect(report.bytes).toBe(bytes.length);
    expect(report.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.packetId).toMatch(/^[0-9a-f]{8}-/);
    // portrait + 10 fingers + 3 slaps
    expect(report.images).toBe(14);
    expect(report.sizes.images.fingers).toBeGreaterThan(0);
    expect(report.sizes.images.slaps).toBeGreaterThan(0);
    expect(report.sizes.transaction).toBeGreaterThan(report.sizes.images.fingers + report.sizes.images.slaps);
    expect(report.bytes).toBeLessThan(1024 * 1024);
    expect(report.timings.signEncryptMs).toBeGreaterThan(0);
  });

  it('opens it: every verdict ok, the manifest printed with the Vietnamese text intact', async () => {
    const opened = await cli(...openArgs(samplePacket));
    expect(opened.err).toBe('');
    expect(opened.code).toBe(0);
    const report = JSON.parse(opened.out);
    expect(report.accepted).toBe(true);
    expect(Object.values(report.verdicts)).toEqual(Array(8).fill('ok'));
    expect(report.manifest.packetId).toBe(JSON.parse(sampleBuild.out).packetId);
    expect(report.manifest.applicant.fullName).toContain(VIETNAMESE_UPPER);
    expect(report.manifest.applicant.fullName).toBe(report.manifest.applicant.fullName.normalize('NFC'));
    expect(report.manifest.capture.images.map((i: { kind: string }) => i.kind)).toEqual([
      'face',
      ...Array(10).fill('finger'),
      'slap',
      'slap',
      'slap',
    ]);
  });
});

describe('station packet open refuses, with the reason', () => {
  it('a packet opened with another central key: wrong-recipient, exit 1', async () => {
    const other = await createCentral('Other Central');
    writeKey('other.key', privateKeyPem(other.privateKey));
    writeFileSync(path.join(dir, 'other.crt'), toPem(other.certificate));
    const opened = await cli(
      'packet',
      'open',
      '--in',
      samplePacket,
      '--key',
      'other.key',
      '--cert',
      'other.crt',
    );
    expect(opened.code).toBe(1);
    const report = JSON.parse(opened.out);
    expect(report.accepted).toBe(false);
    expect(report.rejection.kind).toBe('wrong-recipient');
    expect(report.verdicts.decrypt).toBe('failed');
    expect(report.verdicts.signature).toBe('not-checked');
    expect(opened.err).toContain('PACKET_REJECTED wrong-recipient');
  });

  it('a signer that does not chain to the trust anchor given: unknown-signer, exit 1', async () => {
    const stranger = await createStationCa('Another Station CA');
    writeFileSync(path.join(dir, 'stranger-ca.crt'), toPem(stranger.certificate));
    const args = openArgs(samplePacket);
    args[args.length - 1] = 'stranger-ca.crt';
    const opened = await cli(...args);
    expect(opened.code).toBe(1);
    const report = JSON.parse(opened.out);
    expect(report.rejection.kind).toBe('unknown-signer');
    expect(report.verdicts).toMatchObject({ decrypt: 'ok', signature: 'ok', 'signer-chain': 'failed' });
    expect(report.labels.packetId).toBe(JSON.parse(sampleBuild.out).packetId);
  });

  it('a damaged packet is refused, not thrown', async () => {
    const bytes = new Uint8Array(readFileSync(samplePacket));
    // Inside the AES ciphertext (the unencrypted labels sit at the end of the envelope).
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(path.join(dir, 'damaged.cms'), bytes);
    const opened = await cli(...openArgs('damaged.cms'));
    expect(opened.code).toBe(1);
    expect(['decryption-failed', 'malformed', 'content-mismatch']).toContain(
      JSON.parse(opened.out).rejection.kind,
    );
  });

  it('usage errors exit 2', async () => {
    expect((await cli('packet', 'build', '--out', 'x.cms', ...signArgs())).code).toBe(2);
    expect(
      (await cli('packet', 'build', '--sample', '1', '--in', 'd', ...signArgs(), '--out', 'x')).code,
    ).toBe(2);
    expect((await cli('packet', 'open', '--in', samplePacket)).code).toBe(2);
  });
});

describe('OpenSSL 3 accepts a packet the command built', () => {
  it('cms -decrypt then cms -verify against the station CA', () => {
    const inner = path.join(dir, 'inner.der');
    execFileSync('openssl', [
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      samplePacket,
      '-recip',
      path.join(dir, 'central.crt'),
      '-inkey',
      path.join(dir, 'central.key'),
      '-binary',
      '-out',
      inner,
    ]);
    const content = path.join(dir, 'content.der');
    execFileSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        inner,
        '-CAfile',
        path.join(dir, 'station-ca.crt'),
        '-binary',
        '-out',
        content,
        '-purpose',
        'any',
      ],
      { stdio: 'pipe' },
    );
    // The verified content holds our transaction: the ANSI/NIST Type-1 begins "1.001:".
    const bytes = readFileSync(content);
    expect(bytes.includes(Buffer.from('1.001:'))).toBe(true);
  });
});

describe('station packet build --in DIR', () => {
  it('builds from a prepared capture directory and the packet opens with its images checked', async () => {
    const capture = path.join(dir, 'capture');
    mkdirSync(path.join(capture, 'slaps'), { recursive: true });
    for (const hand of ['right', 'left', 'thumbs'] as const) {
      const { image } = renderSlap({ personSeed: 11, hand, ...(hand === 'left' ? { missing: [10] } : {}) });
      writeFileSync(path.join(capture, 'slaps', `${hand}.png`), await encodeGreyPng(image, 500));
    }
    const jpeg = encodeGreyJpeg(syntheticPortrait('dir-applicant', 600, 800), 600, 800, 85);
    writeFileSync(path.join(capture, 'portrait.jpg'), jpeg);
    const device = (model: string) => ({
      model,
      serialNumber: 'SN-42',
      firmware: '3.1',
      certificate: Buffer.from(pki.stationCa.certificate).toString('base64'),
    });
    writeFileSync(
      path.join(capture, 'manifest-input.json'),
      JSON.stringify({
        packetId: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
        enrollmentSessionId: '0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d',
        environment: 'test',
        enrollmentType: 'renewal',
        applicant: {
          personalId: '079203004567',
          fullName: 'TRẦN THỊ NGỌC ÁNH',
          birthDate: '2003-07-15',
          sex: 'female',
          nationality: 'Việt Nam',
          nationalityCode: 'VNM',
          ethnicity: 'Kinh',
          religion: 'Phật giáo',
          placeOfOrigin: 'Xã Hòa Phước, Huyện Hòa Vang, Đà Nẵng',
          placeOfBirthRegistration: 'Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh',
          placeOfResidence: 'Số 12 đường Lê Duẩn, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh',
          identifyingMarks: 'Sẹo chấm C:2cm dưới sau đuôi mắt phải',
        },
        exceptions: [{ position: 10, reason: 'bandaged', note: 'băng bó sau tai nạn' }],
        stationId: 'HCM-Q1-03',
        officerId: 'officer-117',
        supervisorApproval: null,
        times: { sessionStartedAt: '2026-03-14T08:55:00+07:00', capturedAt: '2026-03-14T09:05:00+07:00' },
        auditChainHead: 'cd'.repeat(32),
        devices: { scanner: device('FAP60-X'), camera: device('ICAO-CAM') },
        attestations: {
          right: Buffer.from('right-sig').toString('base64'),
          left: Buffer.from('left-sig').toString('base64'),
          thumbs: Buffer.from('thumbs-sig').toString('base64'),
          portrait: Buffer.from('portrait-sig').toString('base64'),
        },
      }),
    );
    const built = await cli('packet', 'build', '--in', 'capture', ...signArgs(), '--out', 'dir.cms');
    expect(built.err).toBe('');
    expect(built.code).toBe(0);
    expect(JSON.parse(built.out).packetId).toBe('6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b');
    const opened = await cli(...openArgs('dir.cms'));
    expect(opened.code).toBe(0);
    const report = JSON.parse(opened.out);
    expect(report.verdicts.images).toBe('ok');
    expect(report.manifest.capture.exceptions).toEqual([
      { position: 10, reason: 'bandaged', note: 'băng bó sau tai nạn' },
    ]);
    expect(report.manifest.capture.images.filter((i: { kind: string }) => i.kind === 'finger')).toHaveLength(
      9,
    );
    expect(report.manifest.enrollmentType).toBe('renewal');
  }, 60_000);

  it('a slap file that is not a PNG: PACKET_INPUT_INVALID naming the file, exit 1', async () => {
    const bad = path.join(dir, 'bad');
    mkdirSync(path.join(bad, 'slaps'), { recursive: true });
    const device = { model: 'M', serialNumber: 'S', firmware: 'F', certificate: 'MAMCAQE=' };
    writeFileSync(
      path.join(bad, 'manifest-input.json'),
      JSON.stringify({ devices: { scanner: device, camera: device }, applicant: {}, times: {} }),
    );
    writeFileSync(path.join(bad, 'slaps', 'right.png'), 'not a png');
    const built = await cli('packet', 'build', '--in', 'bad', ...signArgs(), '--out', 'bad.cms');
    expect(built.code).toBe(1);
    expect(built.err).toMatch(/^PACKET_INPUT_INVALID: .*right\.png/);
  });

  it('a directory without manifest-input.json: PACKET_INPUT_INVALID, exit 1', async () => {
    mkdirSync(path.join(dir, 'empty'), { recursive: true });
    const built = await cli('packet', 'build', '--in', 'empty', ...signArgs(), '--out', 'none.cms');
    expect(built.code).toBe(1);
    expect(built.err).toMatch(/^PACKET_INPUT_INVALID: .*manifest-input\.json/);
  });
});
