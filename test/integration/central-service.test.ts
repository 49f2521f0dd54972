/**
 * The simulated central service over HTTPS with mutual TLS (issue 18, protocol/central/CONTRACT.md):
 * identity refusals, registration, tus upload intake with signed receipts and refusals, idempotency
 * by packet id and by enrollment session, revocation, the raw log, and a restart on the same data
 * folder. Real sockets on loopback; tus-js-client is the client.
 */
import { pinnedStatementKeys } from '../../station/central/credentials.ts';
import 'reflect-metadata';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { buildTransaction } from '../../protocol/ansi-nist/builder.ts';
import {
  base64UrlDecode,
  type PinnedStatementKey,
  type StatementCheck,
  verifyStatement,
} from '../../protocol/central/statement.ts';
import { buildPacket } from '../../protocol/packet/build.ts';
import type { PacketManifest } from '../../protocol/packet/manifest.ts';
import type { CentralFaultHooks } from '../../simulators/central/fault-hooks.ts';
import { ingestExportFolder } from '../../simulators/central/ingest.ts';
import { rotateCentralKeys } from '../../simulators/central/keys.ts';
import { issueStationCertificate } from '../../simulators/central/pki.ts';
import { type RunningCentral, startCentral } from '../../simulators/central/service.ts';
import { type14Spec } from '../support/ansi-nist-specs.ts';
import { fileSigner, sampleEnrollment } from '../support/packet-keys.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const crypto = createNodePacketCrypto();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

interface Station {
  readonly stationId: string;
  readonly key: KeyObject;
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly chain: readonly string[];
}

let dir: string;
let dataDir: string;
let central: RunningCentral;
let clock = Date.now();
let station: Station;
/** The fault hooks' switches (the fault injector itself is faults.ts's). */
const faultState = { diskFull: false, drop: false };
const faults: CentralFaultHooks = {
  onRequest: async () => 'continue',
  afterCommit: () => (faultState.drop ? 'drop' : 'answer'),
  diskFull: () => faultState.diskFull,
};
const start = () =>
  startCentral({ dataDir, environment: 'test', now: () => clock, statusStepMs: 1000, faults });

async function newStation(stationId: string): Promise<Station> {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${stationId}`,
    keys: {
      privateKey: key.toCryptoKey(EC, false, ['sign']),
      publicKey: createPublicKey(key).toCryptoKey(EC, true, ['verify']),
    },
    signingAlgorithm: EC,
  });
  const issued = await issueStationCertificate(dataDir, csr.toString('pem'));
  return {
    stationId,
    key,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: issued.certificate,
    chain: issued.chain,
  };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function call(
  method: string,
  route: string,
  options: { station?: Station | undefined; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${central.url}${route}`,
      {
        method,
        ca: central.tlsCaPem,
        ...(options.station ? { key: options.station.keyPem, cert: options.station.certificatePem } : {}),
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const json = (answer: Answer) => JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;

async function register(s: Station): Promise<void> {
  const answer = await call('POST', '/v1/stations/register', {
    station: s,
    json: { certificate: s.certificatePem },
  });
  expect(answer.status, answer.body.toString()).toBe(200);
}

function pinned(): PinnedStatementKey[] {
  return pinnedStatementKeys(central.statementCertificatesPem.join('\n'), 'central statement certificates');
}

const FINGERS = [1, 2].map((fgp) => new Uint8Array(300 + fgp).fill(fgp));

interface TestPacket {
  readonly bytes: Uint8Array;
  readonly packetId: string;
  readonly enrollmentSessionId: string;
  readonly sha256: string;
}

async function packet(
  s: Station,
  options: { environment?: 'test' | 'production'; signingTime?: number; sessionId?: string } = {},
): Promise<TestPacket> {
  const transaction = buildTransaction({
    type1: {
      tot: 'CCE',
      date: '20260314',
      dai: 'DAI000000',
      ori: 'ORI000000',
      tcn: 'TCN0000000001',
      nsr: '00.00',
      ntr: '00.00',
    },
    records: [{ type: 2, idc: 0 }, ...FINGERS.map((data, i) => type14Spec(i + 1, i + 1, data))],
  });
  const base = sampleEnrollment({ images: FINGERS });
  const packetId = globalThis.crypto.randomUUID();
  const enrollmentSessionId = options.sessionId ?? globalThis.crypto.randomUUID();
  const manifest: PacketManifest = {
    ...base.manifest,
    packetId,
    enrollmentSessionId,
    stationId: s.stationId,
    environment: options.environment ?? 'test',
    transactionSha256: sha256(transaction),
  };
  const certificate = new Uint8Array(new X509Certificate(s.certificatePem).raw);
  const built = await buildPacket({
    manifest,
    transaction,
    portrait: base.portrait,
    signer: fileSigner({ certificate, privateKey: s.key }),
    recipientCertificate: new Uint8Array(
      new X509Certificate(readFileSync(path.join(dataDir, 'central.crt'))).raw,
    ),
    signingTime: options.signingTime ?? clock,
    crypto,
  });
  return { bytes: built.packet, packetId, enrollmentSessionId, sha256: sha256(built.packet) };
}

interface UploadOutcome {
  readonly ok: boolean;
  /** The last response's status. */
  readonly status: number;
  /** The statement bytes: from Central-Statement (204) or the body (409, 422). */
  readonly statement?: Uint8Array;
  readonly error?: string;
}

function upload(s: Station, p: TestPacket, metadata: Record<string, string> = {}): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    let status = 0;
    let statement: Uint8Array | undefined;
    const upload = new tus.Upload(Buffer.from(p.bytes), {
      endpoint: `${central.url}/v1/uploads`,
      httpStack: new tus.DefaultHttpStack({ key: s.keyPem, cert: s.certificatePem, ca: central.tlsCaPem }),
      uploadSize: p.bytes.length,
      metadata: { packetId: p.packetId, sha256: p.sha256, ...metadata },
      retryDelays: [],
      onAfterResponse: (_req, res) => {
        status = res.getStatus();
        const header = res.getHeader('Central-Statement');
        if (header) statement = base64UrlDecode(header);
        else if (status === 409 || status === 422) statement = new TextEncoder().encode(res.getBody());
      },
      onSuccess: () => resolve({ ok: true, status, ...(statement ? { statement } : {}) }),
      onError: (error) =>
        resolve({ ok: false, status, ...(statement ? { statement } : {}), error: String(error) }),
    });
    upload.start();
  });
}

async function check(statement: Uint8Array | undefined, p: TestPacket, s: Station): Promise<StatementCheck> {
  expect(statement).toBeDefined();
  return verifyStatement(statement ?? new Uint8Array(), {
    pinned: pinned(),
    expect: {
      packetId: p.packetId,
      sha256: p.sha256,
      size: p.bytes.length,
      stationId: s.stationId,
      environment: 'test',
    },
    verifySignature: (c) => crypto.verifySignature(c),
  });
}

const logLines = () => {
  const file = path.join(dataDir, 'log', 'accepted.jsonl');
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'central-service-'));
  dataDir = path.join(dir, 'central');
  central = await start();
  station = await newStation('station-0001');
  await register(station);
}, 60_000);

afterAll(async () => {
  await central?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('central over mutual TLS', () => {
  it('answers health without a certificate, 401 without one elsewhere, 403 for an unregistered station', async () => {
    expect((await call('GET', '/v1/health')).status).toBe(200);
    const anonymous = await call('GET', '/v1/statement-certificates');
    expect(anonymous.status).toBe(401);
    expect(json(anonymous)).toMatchObject({ code: 'CENTRAL_CLIENT_CERTIFICATE_REQUIRED' });
    const stranger = await newStation('station-0999');
    const refused = await call('GET', '/v1/statement-certificates', { station: stranger });
    expect(refused.status).toBe(403);
    expect(json(refused)).toMatchObject({ code: 'CENTRAL_STATION_NOT_REGISTERED' });
    const tusRefused = await upload(stranger, await packet(stranger));
    expect(tusRefused).toMatchObject({ ok: false, status: 403 });
    expect((await call('GET', '/v1/statement-certificates', { station })).status).toBe(200);
  }, 30_000);

  it('refuses to register a certificate for another station or outside the station CA', async () => {
    const other = await newStation('station-0002');
    const wrongCn = await call('POST', '/v1/stations/register', {
      station: other,
      json: { certificate: station.certificatePem },
    });
    expect(wrongCn.status).toBe(400);
    expect((await call('GET', '/v1/statement-certificates', { station: other })).status).toBe(403);
  }, 30_000);
});

describe('upload intake', () => {
  it('gives a verifiable receipt after the packet and its log line are durable', async () => {
    const p = await packet(station);
    const before = logLines().length;
    const outcome = await upload(station, p);
    expect(outcome).toMatchObject({ ok: true, status: 204 });
    const verified = await check(outcome.statement, p, station);
    expect(verified).toMatchObject({
      ok: true,
      statement: {
        kind: 'receipt',
        enrollmentSessionId: p.enrollmentSessionId,
        receivedAt: new Date(clock).toISOString(),
      },
    });
    // Durable before the answer: the payload and the log line exist when the receipt arrived.
    expect(sha256(readFileSync(path.join(dataDir, 'packets', p.packetId, 'packet.pkt')))).toBe(p.sha256);
    const lines = logLines();
    expect(lines.length).toBe(before + 1);
    expect(lines.at(-1)).toMatchObject({
      packetId: p.packetId,
      sha256: p.sha256,
      stationId: 'station-0001',
      enrollmentSessionId: p.enrollmentSessionId,
      order: 'production',
    });

    // Asked again: the same statement, byte for byte.
    const receipt = await call('GET', `/v1/packets/${p.packetId}/receipt`, { station });
    expect(receipt.status).toBe(200);
    expect(receipt.headers['content-type']).toMatch(/application\/jose/);
    expect(new Uint8Array(receipt.body)).toEqual(outcome.statement);

    // Re-upload: creation answers 409 with the stored statement; no second log line.
    const again = await upload(station, p);
    expect(again.status).toBe(409);
    expect(again.statement).toEqual(outcome.statement);
    expect(logLines().length).toBe(before + 1);

    // Another station cannot read it.
    const other = await newStation('station-0003');
    await register(other);
    expect((await call('GET', `/v1/packets/${p.packetId}/receipt`, { station: other })).status).toBe(404);
  }, 60_000);

  it('advances the status with the clock, and holds a second packet of a committed session', async () => {
    const first = await packet(station);
    expect((await upload(station, first)).ok).toBe(true);
    const status = async (id: string) => json(await call('GET', `/v1/packets/${id}/status`, { station }));
    expect(await status(first.packetId)).toMatchObject({ status: 'received' });
    clock += 2500;
    expect(await status(first.packetId)).toMatchObject({
      status: 'in-production',
      history: [{ status: 'received' }, { status: 'validated' }, { status: 'in-production' }],
    });
    const second = await packet(station, { sessionId: first.enrollmentSessionId });
    const held = await upload(station, second);
    expect(await check(held.statement, second, station)).toMatchObject({
      ok: true,
      statement: { kind: 'receipt' },
    });
    expect(await status(second.packetId)).toMatchObject({ status: 'held' });
    expect(logLines().at(-1)).toMatchObject({ packetId: second.packetId, order: 'held-duplicate-session' });
  }, 60_000);

  it('refuses for good with a signed refusal: the other environment', async () => {
    const p = await packet(station, { environment: 'production' });
    const before = logLines().length;
    const outcome = await upload(station, p);
    expect(outcome.status).toBe(422);
    expect(await check(outcome.statement, p, station)).toMatchObject({
      ok: true,
      statement: { kind: 'refusal', code: 'CENTRAL_WRONG_ENVIRONMENT' },
    });
    expect(logLines().length).toBe(before);
    expect(json(await call('GET', `/v1/packets/${p.packetId}/status`, { station }))).toMatchObject({
      status: 'refused',
    });
  }, 60_000);

  it('honours a revocation from its compromise date: accepted before, refused after', async () => {
    const s = await newStation('station-0004');
    await register(s);
    const compromisedAt = clock - 60_000;
    const early = await packet(s, { signingTime: compromisedAt - 1000 });
    const late = await packet(s, { signingTime: compromisedAt + 1000 });
    const serialNumber = new X509Certificate(s.certificatePem).serialNumber;
    const revoked = await call('POST', '/v1/sim/revocations', {
      json: { serialNumber, compromisedAt: new Date(compromisedAt).toISOString() },
    });
    expect(revoked.status).toBe(200);
    expect(await check((await upload(s, early)).statement, early, s)).toMatchObject({
      ok: true,
      statement: { kind: 'receipt' },
    });
    expect(await check((await upload(s, late)).statement, late, s)).toMatchObject({
      ok: true,
      statement: { kind: 'refusal', code: 'CENTRAL_SIGNER_REVOKED' },
    });
  }, 60_000);

  it('answers a digest mismatch with 460 and stores nothing', async () => {
    const p = await packet(station);
    const outcome = await upload(station, p, { sha256: 'ab'.repeat(32) });
    expect(outcome).toMatchObject({ ok: false, status: 460 });
    expect(existsSync(path.join(dataDir, 'packets', p.packetId))).toBe(false);
    expect((await call('GET', `/v1/packets/${p.packetId}/receipt`, { station })).status).toBe(404);
  }, 60_000);

  it('commits once when the same packet is uploaded twice at the same time', async () => {
    const p = await packet(station);
    const before = logLines().length;
    const [a, b] = await Promise.all([upload(station, p), upload(station, p)]);
    const statements = [a, b].map((o) => o.statement);
    expect(statements[0]).toBeDefined();
    expect(statements[0]).toEqual(statements[1]);
    expect(logLines().length).toBe(before + 1);
  }, 60_000);

  it('keeps its keys, port and receipts across a restart on the same data folder', async () => {
    const p = await packet(station);
    const first = await upload(station, p);
    const { url, tlsCaPem, statementCertificatesPem } = central;
    await central.close();
    central = await start();
    expect(central.url).toBe(url);
    expect(central.tlsCaPem).toBe(tlsCaPem);
    expect(central.statementCertificatesPem).toEqual(statementCertificatesPem);
    const receipt = await call('GET', `/v1/packets/${p.packetId}/receipt`, { station });
    expect(new Uint8Array(receipt.body)).toEqual(first.statement);
  }, 60_000);

  it('still opens packets encrypted to a rotated key-transport key', async () => {
    const before = (await call('GET', '/v1/certificate', { station })).body.toString();
    const old = await packet(station);
    await central.close();
    await rotateCentralKeys(dataDir);
    central = await start();
    const after = (await call('GET', '/v1/certificate', { station })).body.toString();
    expect(after).not.toBe(before);
    expect(await check((await upload(station, old)).statement, old, station)).toMatchObject({
      ok: true,
      statement: { kind: 'receipt' },
    });
    const fresh = await packet(station);
    expect(await check((await upload(station, fresh)).statement, fresh, station)).toMatchObject({ ok: true });
  }, 120_000);
});

describe('fault hooks', () => {
  it('answers 507 while the disk is full, and accepts the same upload afterwards', async () => {
    const p = await packet(station);
    faultState.diskFull = true;
    try {
      expect(await upload(station, p)).toMatchObject({ ok: false, status: 507 });
    } finally {
      faultState.diskFull = false;
    }
    expect(await upload(station, p)).toMatchObject({ ok: true, status: 204 });
  }, 60_000);

  it('a dropped answer loses only the answer: the packet, its log line and its receipt are there', async () => {
    const p = await packet(station);
    faultState.drop = true;
    let outcome: UploadOutcome;
    try {
      outcome = await upload(station, p);
    } finally {
      faultState.drop = false;
    }
    expect(outcome.ok).toBe(false);
    expect(outcome.statement).toBeUndefined();
    expect(logLines().at(-1)).toMatchObject({ packetId: p.packetId });
    const receipt = await call('GET', `/v1/packets/${p.packetId}/receipt`, { station });
    expect(receipt.status).toBe(200);
    expect(await check(new Uint8Array(receipt.body), p, station)).toMatchObject({
      ok: true,
      statement: { kind: 'receipt' },
    });
  }, 60_000);
});

describe('removable-media ingest', () => {
  it('commits an export folder as uploads would and writes each statement beside it', async () => {
    const good = await packet(station);
    const wrongEnv = await packet(station, { environment: 'production' });
    const uploaded = await packet(station);
    const first = await upload(station, uploaded);
    const folder = path.join(dir, 'export-1');
    mkdirSync(path.join(folder, 'packets'), { recursive: true });
    const entries = [good, wrongEnv, uploaded].map((p) => {
      writeFileSync(path.join(folder, 'packets', `${p.packetId}.pkt`), p.bytes);
      return {
        packetId: p.packetId,
        file: `packets/${p.packetId}.pkt`,
        size: p.bytes.length,
        sha256: p.sha256,
      };
    });
    writeFileSync(
      path.join(folder, 'manifest.json'),
      JSON.stringify({
        format: 'cccd-outbox-export',
        version: 1,
        stationId: 'station-0001',
        environment: 'test',
        exportedAt: new Date(clock).toISOString(),
        packets: entries,
      }),
    );
    writeFileSync(path.join(folder, 'SHA256SUMS'), entries.map((e) => `${e.sha256}  ${e.file}\n`).join(''));
    const before = logLines().length;
    const result = await ingestExportFolder(central, folder);
    expect(result.map((r) => r.outcome)).toEqual(['receipt', 'refusal', 'receipt']);
    const statementOf = (p: TestPacket) =>
      new Uint8Array(readFileSync(path.join(folder, 'receipts', `${p.packetId}.jws`)));
    expect(await check(statementOf(good), good, station)).toMatchObject({
      ok: true,
      statement: { kind: 'receipt' },
    });
    expect(await check(statementOf(wrongEnv), wrongEnv, station)).toMatchObject({
      ok: true,
      statement: { kind: 'refusal', code: 'CENTRAL_WRONG_ENVIRONMENT' },
    });
    // The one already uploaded keeps its first receipt; only the new packet adds a log line.
    expect(statementOf(uploaded)).toEqual(first.statement);
    expect(logLines().length).toBe(before + 1);
    // Over HTTP too (a spawned central): the same folder again commits nothing new.
    const again = await call('POST', '/v1/sim/ingest', { json: { folder } });
    expect(json(again)).toMatchObject({
      packets: [{ outcome: 'receipt' }, { outcome: 'refusal' }, { outcome: 'receipt' }],
    });
    expect(logLines().length).toBe(before + 1);
  }, 60_000);

  it('refuses a packet whose signer is not a registered station', async () => {
    const stranger = await newStation('station-0777');
    const p = await packet(stranger);
    const folder = path.join(dir, 'export-2');
    mkdirSync(path.join(folder, 'packets'), { recursive: true });
    writeFileSync(path.join(folder, 'packets', `${p.packetId}.pkt`), p.bytes);
    writeFileSync(
      path.join(folder, 'manifest.json'),
      JSON.stringify({
        format: 'cccd-outbox-export',
        version: 1,
        stationId: 'station-0777',
        environment: 'test',
        exportedAt: '',
        packets: [
          { packetId: p.packetId, file: `packets/${p.packetId}.pkt`, size: p.bytes.length, sha256: p.sha256 },
        ],
      }),
    );
    writeFileSync(path.join(folder, 'SHA256SUMS'), `${p.sha256}  packets/${p.packetId}.pkt\n`);
    const [result] = await ingestExportFolder(central, folder);
    expect(result?.outcome).toBe('refusal');
    expect(await check(new Uint8Array(readFileSync(result?.file ?? '')), p, stranger)).toMatchObject({
      ok: true,
      statement: { code: 'CENTRAL_SIGNER_UNTRUSTED' },
    });
  }, 60_000);
});
