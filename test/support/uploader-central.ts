/**
 * Test-only stand-ins for the uploader's tests (issue 18 item 2): a TLS PKI (central's TLS CA and
 * server certificate for 127.0.0.1, a station CA and station client certificate), central's
 * statement-signing key, a small central on @tus/server over HTTPS with mutual TLS that follows
 * protocol/central/CONTRACT.md for uploads and receipts (no packet opening: it signs a receipt for
 * any bytes whose digest matches, or a refusal when told to), a TCP proxy that cuts connections, and
 * the outbox with the upload-URL methods the uploader needs (kept in memory until the outbox has
 * them). The real simulator is simulators/central.
 */
import 'reflect-metadata';
import { createHash, generateKeyPairSync, type KeyObject, sign, webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket, connect as tcpConnect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import {
  base64UrlEncode,
  joinStatement,
  type PinnedStatementKey,
  type Statement,
  statementSigningInput,
} from '../../protocol/central/statement.ts';
import { MemoryOutboxFs } from '../../station/outbox/memory-fs.ts';
import { Outbox, type OutboxOptions } from '../../station/outbox/outbox.ts';
import type { UploaderOutbox } from '../../station/uploader/uploader.ts';
import { createStationCa, issueStationCertificate, privateKeyPem, toPem } from './packet-keys.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NOT_BEFORE = new Date(Date.UTC(2025, 0, 1));
const NOT_AFTER = new Date(Date.UTC(2035, 0, 1));

// ---- PKI ----------------------------------------------------------------------------------------

export interface UploaderPki {
  /** Central's TLS CA, PEM: what the station pins. */
  readonly centralCa: string;
  readonly serverKey: string;
  readonly serverCert: string;
  /** The station CA, PEM: what central trusts for client certificates. */
  readonly stationCa: string;
  readonly stationId: string;
  readonly clientKey: string;
  readonly clientCert: string;
}

/** Fresh TLS material for one test file (ECDSA P-256 throughout). */
export async function createUploaderPki(stationId = 'station-0001'): Promise<UploaderPki> {
  const caKeys = (await webcrypto.subtle.generateKey(EC, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Test Central TLS CA',
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const serverKeys = (await webcrypto.subtle.generateKey(EC, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=central.test',
    issuer: ca.subject,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const stationCa = await createStationCa();
  const station = await issueStationCertificate(stationCa, stationId);
  const serverPkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey));
  return {
    centralCa: ca.toString('pem'),
    serverKey: toPem(serverPkcs8, 'PRIVATE KEY'),
    serverCert: server.toString('pem'),
    stationCa: toPem(stationCa.certificate),
    stationId,
    clientKey: privateKeyPem(station.privateKey),
    clientCert: toPem(station.certificate),
  };
}

// ---- statements ---------------------------------------------------------------------------------

export interface StatementKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly pinned: PinnedStatementKey;
}

/** A receipt-signing key; its kid stands in for the certificate hash (the hash of its SPKI). */
export function createStatementKey(): StatementKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const keyId = createHash('sha256').update(spki).digest('hex');
  return { keyId, privateKey, pinned: { keyId, publicKey: spki } };
}

/** A compact JWS statement signed ES256 (raw r‖s) as central signs them. */
export function signStatement(key: StatementKey, statement: Statement): Uint8Array {
  const input = statementSigningInput(key.keyId, statement);
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return joinStatement(input, new Uint8Array(signature));
}

export interface PacketFacts {
  readonly packetId: string;
  readonly sha256: string;
  readonly size: number;
  readonly stationId: string;
  readonly environment: string;
}

export function receiptStatement(
  key: StatementKey,
  facts: PacketFacts,
  overrides: Partial<Statement> = {},
): Statement {
  return {
    v: 1,
    kind: 'receipt',
    ...facts,
    centralKeyId: key.keyId,
    receivedAt: '2026-01-02T03:04:05.678Z',
    enrollmentSessionId: `session-${facts.packetId}`,
    ...overrides,
  } as Statement;
}

export function refusalStatement(
  key: StatementKey,
  facts: PacketFacts,
  code = 'CENTRAL_SIGNATURE_INVALID',
): Statement {
  return {
    v: 1,
    kind: 'refusal',
    ...facts,
    centralKeyId: key.keyId,
    decidedAt: '2026-01-02T03:04:05.678Z',
    code,
    message: { vi: 'Chữ ký của gói không hợp lệ.', en: "The packet's signature is not valid." },
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function packetBytes(seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

export function packetId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

// ---- a small central ----------------------------------------------------------------------------

export interface MiniCentralFaults {
  /** Packet ids central refuses for good (422 with a signed refusal). */
  readonly refuse: Set<string>;
  /** Commit the next finished upload, then drop the connection without answering. */
  dropNextCommitAnswer: boolean;
  /** Answer every request with a captive portal's HTML page. */
  portal: boolean;
  /** Answer the final PATCH with 204 but no Central-Statement header. */
  omitStatementHeader: boolean;
  /**
   * Lose the next finished upload before committing it, as a central killed between writing the
   * last bytes and its commit: the bytes stay in the upload, no statement exists, the answer is lost.
   */
  loseNextFinish: boolean;
  /** Sign with this key instead (a key the station does not pin). */
  signWith: StatementKey | undefined;
}

export interface MiniCentralLog {
  creates: number;
  heads: number;
  patches: number;
  receiptQueries: number;
  healthQueries: number;
  /** Body bytes that reached the store, all PATCHes together. */
  patchBytes: number;
  /** Statements signed (a second upload of a committed packet signs none). */
  signed: number;
  /** Upload ids (the last path segment of each Location). */
  uploadIds: string[];
  /** Request order, e.g. `GET receipt`, `POST`, `HEAD`, `PATCH`. */
  sequence: string[];
}

export interface MiniCentral {
  readonly url: string;
  readonly port: number;
  readonly faults: MiniCentralFaults;
  readonly log: MiniCentralLog;
  /** Statements central holds, by packet id. */
  readonly statements: Map<string, Uint8Array>;
  /** Forgets every upload in progress (a restart that lost its tus store). */
  forgetUploads(): Promise<void>;
  stop(): Promise<void>;
}

class CountingStore extends FileStore {
  readonly #onBytes: (n: number) => void;

  constructor(directory: string, onBytes: (n: number) => void) {
    super({ directory });
    this.#onBytes = onBytes;
  }

  override write(readable: Readable, file_id: string, offset: number): Promise<number> {
    const counter = new PassThrough();
    counter.on('data', (chunk: Buffer) => this.#onBytes(chunk.length));
    readable.on('error', (error) => counter.destroy(error));
    readable.pipe(counter);
    return super.write(counter, file_id, offset);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const PORTAL_PAGE =
  '<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head><body>Please log in to use the Internet.</body></html>';

/** Starts a small central on 127.0.0.1 (random port) with mutual TLS. */
export async function startMiniCentral(options: {
  readonly pki: UploaderPki;
  readonly key: StatementKey;
  readonly environment?: string;
}): Promise<MiniCentral> {
  const { pki, key } = options;
  const environment = options.environment ?? 'test';
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mini-central-'));
  const statements = new Map<string, Uint8Array>();
  const faults: MiniCentralFaults = {
    refuse: new Set(),
    dropNextCommitAnswer: false,
    loseNextFinish: false,
    portal: false,
    omitStatementHeader: false,
    signWith: undefined,
  };
  const log: MiniCentralLog = {
    creates: 0,
    heads: 0,
    patches: 0,
    receiptQueries: 0,
    healthQueries: 0,
    patchBytes: 0,
    signed: 0,
    uploadIds: [],
    sequence: [],
  };
  const store = new CountingStore(directory, (n) => {
    log.patchBytes += n;
  });
  // The station is named once, when its upload is created, and kept in the upload's metadata (as
  // the real central does): by the time the last PATCH finishes, a cut connection may no longer
  // show its certificate, and a receipt must never be signed for "station undefined".
  const stationOf = (req: { runtime?: { node?: { req?: IncomingMessage } } }): string | undefined => {
    const socket = req.runtime?.node?.req?.socket as TLSSocket | undefined;
    const cn = socket?.authorized === true ? socket.getPeerCertificate()?.subject?.CN : undefined;
    const name = Array.isArray(cn) ? cn[0] : cn;
    return typeof name === 'string' && name !== '' ? name : undefined;
  };
  const notIdentified = {
    status_code: 401,
    body: JSON.stringify({ code: 'CENTRAL_CLIENT_CERTIFICATE_REQUIRED', message: 'certificate required' }),
  };
  const tus = new TusServer({
    path: '/v1/uploads',
    relativeLocation: true,
    datastore: store,
    async onUploadCreate(req, upload) {
      const packetIdValue = upload.metadata?.packetId ?? '';
      const digest = upload.metadata?.sha256 ?? '';
      if (!/^[0-9A-Za-z-]{1,64}$/.test(packetIdValue) || !/^[0-9a-f]{64}$/.test(digest))
        throw {
          status_code: 400,
          body: JSON.stringify({ code: 'CENTRAL_METADATA_INVALID', message: 'bad metadata' }),
        };
      const stationId = stationOf(req as never);
      if (stationId === undefined) throw notIdentified;
      const held = statements.get(packetIdValue);
      if (held) throw { status_code: 409, body: new TextDecoder().decode(held) };
      log.uploadIds.push(upload.id);
      return { metadata: { ...upload.metadata, stationId } };
    },
    async onUploadFinish(req, upload) {
      const stationId = upload.metadata?.stationId;
      if (typeof stationId !== 'string' || stationId === '') throw notIdentified;
      const bytes = new Uint8Array(await readFile(path.join(directory, upload.id)));
      const packetIdValue = upload.metadata?.packetId ?? '';
      const digest = sha256Hex(bytes);
      if (digest !== upload.metadata?.sha256)
        throw {
          status_code: 460,
          body: JSON.stringify({ code: 'CENTRAL_DIGEST_MISMATCH', message: 'digest differs' }),
        };
      const facts: PacketFacts = {
        packetId: packetIdValue,
        sha256: digest,
        size: bytes.length,
        stationId,
        environment,
      };
      if (faults.loseNextFinish) {
        faults.loseNextFinish = false;
        (req as never as { runtime: { node: { req: IncomingMessage } } }).runtime.node.req.socket.destroy();
        return {};
      }
      let statement = statements.get(packetIdValue);
      const signer = faults.signWith ?? key;
      if (!statement) {
        statement = faults.refuse.has(packetIdValue)
          ? signStatement(signer, refusalStatement(signer, facts))
          : signStatement(signer, receiptStatement(signer, facts));
        statements.set(packetIdValue, statement);
        log.signed += 1;
      }
      if (faults.dropNextCommitAnswer) {
        faults.dropNextCommitAnswer = false;
        (req as never as { runtime: { node: { req: IncomingMessage } } }).runtime.node.req.socket.destroy();
        return {};
      }
      if (faults.refuse.has(packetIdValue))
        throw { status_code: 422, body: new TextDecoder().decode(statement) };
      if (faults.omitStatementHeader) return { status_code: 204 };
      return { status_code: 204, headers: { 'Central-Statement': base64UrlEncode(statement) } };
    },
  });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://central.test');
    if (faults.portal) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PORTAL_PAGE);
      return;
    }
    if (url.pathname === '/v1/health') {
      log.healthQueries += 1;
      json(res, 200, {
        status: 'ok',
        service: 'mini-central',
        environment,
        version: '0',
        time: new Date().toISOString(),
      });
      return;
    }
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) {
      json(res, 401, {
        code: 'CENTRAL_CLIENT_CERTIFICATE_REQUIRED',
        message: { vi: 'Cần chứng thư', en: 'certificate required' },
      });
      return;
    }
    const receipt = /^\/v1\/packets\/([0-9A-Za-z-]{1,64})\/receipt$/.exec(url.pathname);
    if (receipt && req.method === 'GET') {
      log.receiptQueries += 1;
      log.sequence.push('GET receipt');
      const held = statements.get(receipt[1] ?? '');
      if (!held) {
        json(res, 404, { code: 'CENTRAL_UNKNOWN_PACKET', message: 'no statement' });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/jose' });
      res.end(Buffer.from(held));
      return;
    }
    if (url.pathname.startsWith('/v1/uploads')) {
      if (req.method === 'POST') log.creates += 1;
      if (req.method === 'HEAD') log.heads += 1;
      if (req.method === 'PATCH') log.patches += 1;
      log.sequence.push(req.method ?? '?');
      void tus.handle(req, res);
      return;
    }
    json(res, 404, { code: 'CENTRAL_NOT_FOUND', message: 'no such route' });
  };

  const server: HttpsServer = createHttpsServer(
    {
      key: pki.serverKey,
      cert: pki.serverCert,
      ca: pki.stationCa,
      requestCert: true,
      rejectUnauthorized: false,
    },
    handle,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    faults,
    log,
    statements,
    async forgetUploads() {
      await rm(directory, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(directory, { recursive: true }));
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

// ---- a proxy that cuts ----------------------------------------------------------------------

export interface CuttingProxy {
  readonly url: string;
  /** Bytes from client to server since start. */
  readonly bytesUp: () => number;
  /** Cuts every open connection once `bytes` more bytes went client -> server. */
  cutAfter(bytes: number): void;
  /** Refuse connections (the link is down) until set false. */
  down: boolean;
  stop(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `targetPort` (TLS passes through it untouched). */
export async function startCuttingProxy(targetPort: number): Promise<CuttingProxy> {
  const sockets = new Set<Socket>();
  let up = 0;
  let cutAt: number | undefined;
  const proxy: CuttingProxy = {
    url: '',
    bytesUp: () => up,
    cutAfter(bytes) {
      cutAt = up + bytes;
    },
    down: false,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createTcpServer((client) => {
    if (proxy.down) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (cutAt !== undefined && up + chunk.length >= cutAt) {
        const keep = Math.max(0, cutAt - up);
        up += keep;
        upstream.write(chunk.subarray(0, keep));
        cutAt = undefined;
        for (const socket of sockets) socket.destroy();
        return;
      }
      up += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', cut);
    upstream.on('close', cut);
    client.on('error', cut);
    upstream.on('error', cut);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(proxy, { url: `https://127.0.0.1:${port}` });
}

// ---- the outbox with upload URLs ----------------------------------------------------------------

/**
 * The real outbox with the upload-URL methods the uploader uses. Until the outbox keeps URLs
 * itself (under its fsync discipline), they are kept here in memory; `urls` shows them to tests.
 */
export class OutboxWithUrls implements UploaderOutbox {
  readonly outbox: Outbox;
  readonly urls = new Map<string, string>();
  /** Every URL ever stored, in order. */
  readonly stored: string[] = [];

  private constructor(outbox: Outbox) {
    this.outbox = outbox;
  }

  static async open(options: Partial<OutboxOptions> = {}): Promise<OutboxWithUrls> {
    return new OutboxWithUrls(await Outbox.open({ fs: new MemoryOutboxFs(), ...options }));
  }

  next() {
    return this.outbox.next();
  }
  read(id: string) {
    return this.outbox.read(id);
  }
  markUploading(id: string) {
    return this.outbox.markUploading(id);
  }
  acknowledge(id: string, receipt: Uint8Array) {
    return this.outbox.acknowledge(id, receipt);
  }
  deadLetter(id: string, reason: { code: string; message: string }) {
    return this.outbox.deadLetter(id, reason);
  }
  uploadUrl(id: string) {
    return this.urls.get(id);
  }
  async setUploadUrl(id: string, url: string) {
    this.urls.set(id, url);
    this.stored.push(url);
  }
  async clearUploadUrl(id: string) {
    this.urls.delete(id);
  }
  depth() {
    return this.outbox.depth();
  }
}
