/**
 * The simulated card-production service over HTTPS with mutual TLS (issue 18,
 * protocol/central/CONTRACT.md; routes and data layout in README.md here). `startCentral` loads or
 * mints every key in the data directory (pki.ts, keys.ts), opens the durable state (store.ts) and
 * listens on the port the data directory remembers, so stored upload URLs stay valid across restarts.
 *
 * One HTTPS request listener: the fault hooks first, then tus (`/v1/uploads`, @tus/server with a
 * FileStore) or fastify (everything else). Identity is the CN of a client certificate that chains to
 * the station CA (`requestCert: true`, `rejectUnauthorized: false`, so refusals are words, not
 * handshake alerts).
 */
import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { base64UrlEncode, STATEMENT_MEDIA_TYPE } from '../../protocol/central/statement.ts';
import { PACKET_LIMITS } from '../../protocol/packet/open.ts';
import type { CentralFaultHooks } from './fault-hooks.ts';
import { CentralFaults, registerFaultRoutes } from './faults.ts';
import { IngestError, ingestExportFolder } from './ingest.ts';
import { CentralStorageFullError, Intake, type IntakeResult } from './intake.ts';
import { loadOrCreateCentralKeys, loadPastCentralKeys } from './keys.ts';
import { startOpenerWorker } from './opener.ts';
import { type CentralPki, issueStationCertificate, loadOrCreateCentralPki, writeAtomic } from './pki.ts';
import { registerPopulationRoutes } from './population.ts';
import { registerSimulatorRoutes } from './server.ts';
import {
  CentralStore,
  normalizeSerial,
  PACKET_ID_PATTERN,
  type PacketIndex,
  STATION_ID_PATTERN,
} from './store.ts';

export const CENTRAL_CONFIG_FILE = 'central.json';
/** Default time between two production statuses, ms. */
export const DEFAULT_STATUS_STEP_MS = 60_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export type CentralStartErrorCode =
  | 'CENTRAL_PORT_IN_USE'
  | 'CENTRAL_DATA_DIR_UNWRITABLE'
  | 'CENTRAL_LISTEN_FAILED';

export class CentralStartError extends Error {
  override readonly name = 'CentralStartError';
  readonly code: CentralStartErrorCode;
  constructor(code: CentralStartErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

export interface CentralOptions {
  readonly dataDir: string;
  readonly environment: 'test' | 'production';
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The port; default the one `central.json` remembers, else a free one (then remembered). */
  readonly port?: number;
  /** The central's clock, ms since the Unix epoch (default Date.now). */
  readonly now?: () => number;
  /** Time between two production statuses, ms (default 60 s). */
  readonly statusStepMs?: number;
  readonly faults?: CentralFaultHooks;
  /** Largest packet, bytes (default PACKET_LIMITS.maxPacketLength). */
  readonly maxPacketBytes?: number;
  readonly version?: string;
}

export interface RunningCentral {
  /** e.g. https://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly environment: 'test' | 'production';
  readonly tlsCaPem: string;
  readonly stationCaPem: string;
  /** Receipt-signing certificates, current first. */
  readonly statementCertificatesPem: readonly string[];
  readonly pki: CentralPki;
  readonly store: CentralStore;
  readonly intake: Intake;
  close(): Promise<void>;
}

interface ErrorBody {
  readonly code: string;
  readonly message: string | { readonly vi: string; readonly en: string };
}

const CLIENT_CERTIFICATE_REQUIRED: ErrorBody = {
  code: 'CENTRAL_CLIENT_CERTIFICATE_REQUIRED',
  message: {
    vi: 'Trạm phải xuất trình chứng thư trạm hợp lệ (TLS hai chiều). Kiểm tra chứng thư và khóa của trạm.',
    en: 'The station must present a valid station certificate (mutual TLS). Check the station certificate and key.',
  },
};
const NOT_REGISTERED: ErrorBody = {
  code: 'CENTRAL_STATION_NOT_REGISTERED',
  message: {
    vi: 'Trạm chưa đăng ký với trung tâm. Đăng ký chứng thư của trạm (POST /v1/stations/register).',
    en: 'This station has not registered with central. Register its certificate (POST /v1/stations/register).',
  },
};
const STORAGE_FULL: ErrorBody = {
  code: 'CENTRAL_STORAGE_FULL',
  message: {
    vi: 'Bộ nhớ của trung tâm đã đầy; trạm sẽ tự gửi lại sau.',
    en: 'Central storage is full; the station retries later.',
  },
};

interface FinishAnswer {
  status_code?: number;
  headers?: Record<string, string | number>;
  body?: string;
}

type Identity =
  | { readonly ok: true; readonly stationId: string; readonly registered: boolean }
  | { readonly ok: false };

/** Starts the service (module comment). @throws {CentralStartError} {CentralPkiError} {CentralKeyError} */
export async function startCentral(options: CentralOptions): Promise<RunningCentral> {
  const { dataDir, environment } = options;
  const now = options.now ?? Date.now;
  // A simulator always carries its fault controller (no fault set: it does nothing), so a tester can
  // switch faults on at run time through /v1/sim/faults.
  const faults = options.faults ?? new CentralFaults();
  const statusStepMs = options.statusStepMs ?? DEFAULT_STATUS_STEP_MS;
  const maxPacketBytes = options.maxPacketBytes ?? PACKET_LIMITS.maxPacketLength;
  // Minted certificates start a day back, so packets signed a little before (a skewed station clock,
  // a test's past signing time) still fall within them.
  const mintedFrom = new Date(now() - 86_400_000);
  const pki = await loadOrCreateCentralPki(dataDir, mintedFrom);
  const keys = await loadOrCreateCentralKeys(dataDir, mintedFrom);
  const pastKeys = await loadPastCentralKeys(dataDir);
  const store = await CentralStore.open(dataDir);
  const stationCas = [pki.stationCa.certificate];
  // Packets are opened (decrypted, verified, every image checked) in a worker thread, so TLS and
  // tus on this thread and the packet checks use two cores.
  const opener = await startOpenerWorker({
    dataDir,
    trustAnchors: stationCas,
    mintedFrom: mintedFrom.getTime(),
  });
  const intake = new Intake({
    opener,
    store,
    environment,
    decryptors: () => [keys.decryptor, ...pastKeys],
    trustAnchors: () => stationCas,
    statementKey: () => pki.statementKey,
    now,
    diskFull: () => faults.diskFull(),
  });

  const identities = new WeakMap<IncomingMessage, Identity>();
  // The client certificate is fixed for a TLS connection: read its CN once per socket, not once
  // per request (a packet is 4-6 requests on one kept-alive connection).
  const peerNames = new WeakMap<TLSSocket, string | undefined>();
  const identify = (req: IncomingMessage): Identity => {
    const known = identities.get(req);
    if (known !== undefined) return known;
    const socket = req.socket as TLSSocket;
    let cn: string | undefined;
    if (peerNames.has(socket)) cn = peerNames.get(socket);
    else {
      const name = socket.authorized === true ? socket.getPeerCertificate()?.subject?.CN : undefined;
      cn = typeof name === 'string' ? name : undefined;
      peerNames.set(socket, cn);
    }
    const identity: Identity =
      typeof cn === 'string' && STATION_ID_PATTERN.test(cn)
        ? { ok: true, stationId: cn, registered: store.station(cn) !== undefined }
        : { ok: false };
    identities.set(req, identity);
    return identity;
  };

  const uploadsDir = `${dataDir}/uploads`;
  await fs.mkdir(uploadsDir, { recursive: true });
  const tus = new TusServer({
    path: '/v1/uploads',
    relativeLocation: true,
    maxSize: maxPacketBytes,
    datastore: new FileStore({ directory: uploadsDir }),
    onUploadCreate: async (req, upload) => {
      const node = nodeOf(req);
      const identity = node === undefined ? { ok: false as const } : identify(node.req);
      if (!identity.ok) throw { status_code: 401, body: JSON.stringify(CLIENT_CERTIFICATE_REQUIRED) };
      const packetId = upload.metadata?.packetId ?? '';
      const stored = await store.statement(packetId);
      if (stored !== undefined) throw { status_code: 409, body: new TextDecoder().decode(stored) };
      return { metadata: { ...upload.metadata, stationId: identity.stationId } };
    },
    onUploadFinish: async (req, upload): Promise<FinishAnswer> => {
      const node = nodeOf(req);
      const identity = node === undefined ? { ok: false as const } : identify(node.req);
      if (!identity.ok || identity.stationId !== upload.metadata?.stationId)
        throw {
          status_code: 403,
          body: JSON.stringify({
            code: 'CENTRAL_UPLOAD_NOT_YOURS',
            message: 'This upload was created by another station',
          }),
        };
      const bytes = new Uint8Array(await fs.readFile(`${uploadsDir}/${upload.id}`));
      let result: IntakeResult;
      try {
        result = await intake.accept(bytes, {
          packetId: upload.metadata.packetId ?? '',
          sha256: upload.metadata.sha256 ?? '',
          stationId: identity.stationId,
        });
      } catch (error) {
        if (error instanceof CentralStorageFullError)
          throw { status_code: 507, body: JSON.stringify(STORAGE_FULL) };
        throw error;
      }
      if (result.kind === 'digest-mismatch') {
        await fs.rm(`${uploadsDir}/${upload.id}`, { force: true });
        throw {
          status_code: 460,
          body: JSON.stringify({
            code: 'CENTRAL_DIGEST_MISMATCH',
            message: `The bytes received hash to ${result.actual}, not the declared sha256: upload again with a new upload`,
          }),
        };
      }
      if (faults.afterCommit(upload.metadata.packetId ?? '') === 'drop') {
        node?.res.socket?.destroy();
        return {};
      }
      if (result.decision === 'receipt')
        return { status_code: 204, headers: { 'Central-Statement': base64UrlEncode(result.statement) } };
      return {
        status_code: 422,
        headers: { 'Content-Type': STATEMENT_MEDIA_TYPE },
        body: new TextDecoder().decode(result.statement),
      };
    },
  });

  /** Answers a creation that tus must not see (refusals before any byte), or returns false. */
  const refuseCreation = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const metadata = parseUploadMetadata(header(req, 'upload-metadata'));
    const packetId = metadata.get('packetId');
    const sha256 = metadata.get('sha256');
    if (
      packetId === undefined ||
      !PACKET_ID_PATTERN.test(packetId) ||
      sha256 === undefined ||
      !SHA256_HEX.test(sha256)
    ) {
      sendJson(res, 400, {
        code: 'CENTRAL_METADATA_INVALID',
        message:
          'Upload-Metadata must carry packetId (the manifest packet id) and sha256 (lowercase hex of the packet)',
      });
      return true;
    }
    const stored = await store.statement(packetId);
    if (stored !== undefined) {
      res.writeHead(409, {
        'Content-Type': STATEMENT_MEDIA_TYPE,
        'Content-Length': stored.length,
        'Tus-Resumable': '1.0.0',
      });
      res.end(stored);
      return true;
    }
    const length = Number(header(req, 'upload-length'));
    if (!Number.isSafeInteger(length) || length <= 0) {
      sendJson(res, 400, {
        code: 'CENTRAL_METADATA_INVALID',
        message: 'Upload-Length must give the packet size, bytes',
      });
      return true;
    }
    if (length > maxPacketBytes) {
      sendJson(res, 413, {
        code: 'CENTRAL_PACKET_TOO_LARGE',
        message: `A packet is at most ${maxPacketBytes} bytes, this one ${length}`,
      });
      return true;
    }
    if (faults.diskFull()) {
      sendJson(res, 507, STORAGE_FULL);
      return true;
    }
    return false;
  };

  const listener = async (
    req: IncomingMessage,
    res: ServerResponse,
    fastify: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<void> => {
    if ((await faults.onRequest(req, res)) === 'handled') return;
    const url = req.url ?? '/';
    if (url === '/v1/uploads' || url.startsWith('/v1/uploads/') || url.startsWith('/v1/uploads?')) {
      const identity = identify(req);
      if (!identity.ok) return sendJson(res, 401, CLIENT_CERTIFICATE_REQUIRED);
      if (!identity.registered) return sendJson(res, 403, NOT_REGISTERED);
      if (req.method === 'POST' && (await refuseCreation(req, res))) return;
      await tus.handle(req, res);
      return;
    }
    fastify(req, res);
  };

  const app = Fastify({
    logger: false,
    bodyLimit: maxPacketBytes,
    serverFactory: (handler) =>
      https.createServer(
        {
          key: pki.tlsServer.key.export({ type: 'pkcs8', format: 'pem' }),
          cert: pki.tlsServer.certificatePem,
          ca: [pki.stationCa.certificatePem],
          requestCert: true,
          rejectUnauthorized: false,
        },
        (req, res) => {
          listener(req, res, handler).catch((error: unknown) => {
            if (!res.headersSent) sendJson(res, 500, { code: 'CENTRAL_INTERNAL', message: String(error) });
            else res.destroy();
          });
        },
      ),
  });
  const open = (url: string): boolean => url === '/v1/health' || url.startsWith('/v1/sim/');
  app.addHook('onRequest', async (request, reply) => {
    const url = request.url.split('?')[0] ?? '';
    if (open(url)) return;
    const identity = identify(request.raw);
    if (!identity.ok) return reply.code(401).send(CLIENT_CERTIFICATE_REQUIRED);
    if (!identity.registered && url !== '/v1/stations/register') return reply.code(403).send(NOT_REGISTERED);
  });
  registerSimulatorRoutes(
    app as unknown as FastifyInstance,
    {
      environment,
      dataDir,
      trustAnchors: stationCas,
      maxPacketBytes,
      now,
      ...(options.version ? { version: options.version } : {}),
    },
    keys,
  );

  if (faults instanceof CentralFaults) registerFaultRoutes(app as unknown as FastifyInstance, faults);
  registerPopulationRoutes(app as unknown as FastifyInstance, {
    now,
    stationIdOf: (request) => {
      const identity = identify(request.raw);
      return identity.ok ? identity.stationId : undefined;
    },
    isRegistered: (stationId) => store.station(stationId) !== undefined,
  });

  app.get('/v1/statement-certificates', async () => ({
    current: pki.statementKey.kid,
    certificates: pki.statementKeys.map((key) => ({
      kid: key.kid,
      pem: key.certificatePem,
      notBefore: key.notBefore.toISOString(),
      notAfter: key.notAfter.toISOString(),
    })),
  }));

  app.post('/v1/stations/register', async (request, reply) => {
    const identity = identify(request.raw);
    if (!identity.ok) return reply.code(401).send(CLIENT_CERTIFICATE_REQUIRED);
    const pem = (request.body as { certificate?: unknown } | undefined)?.certificate;
    const refuse = (message: string) =>
      reply.code(400).send({ code: 'CENTRAL_REGISTRATION_INVALID', message });
    if (typeof pem !== 'string') return refuse('Send { certificate: PEM } (the packet-signing certificate)');
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(pem);
    } catch {
      return refuse('The certificate is not an X.509 certificate (PEM)');
    }
    if (cert.subjectName.getField('CN')[0] !== identity.stationId)
      return refuse(
        `The certificate names ${cert.subjectName.getField('CN')[0] ?? 'no CN'}, not this station ${identity.stationId}`,
      );
    const ca = new x509.X509Certificate(pki.stationCa.certificate);
    const at = new Date(now());
    if (!(await cert.verify({ publicKey: ca.publicKey, date: at })))
      return refuse('The certificate is not issued by the station CA, or is outside its validity now');
    const record = await store.register(
      identity.stationId,
      {
        pem: cert.toString('pem'),
        serialNumber: normalizeSerial(cert.serialNumber),
        notBefore: cert.notBefore.toISOString(),
        notAfter: cert.notAfter.toISOString(),
      },
      at.toISOString(),
    );
    identities.set(request.raw, { ...identity, registered: true });
    return {
      stationId: record.stationId,
      registeredAt: record.registeredAt,
      certificates: record.certificates.length,
    };
  });

  const ownPacket = (stationId: string, packetId: string): PacketIndex | undefined => {
    const index = store.packet(packetId);
    return index?.stationId === stationId ? index : undefined;
  };
  const unknownPacket = (reply: FastifyReply, packetId: string) =>
    reply.code(404).send({
      code: 'CENTRAL_UNKNOWN_PACKET',
      message: `Central holds no packet ${packetId} from this station`,
    });

  app.get<{ Params: { packetId: string } }>('/v1/packets/:packetId/receipt', async (request, reply) => {
    const identity = identify(request.raw);
    const { packetId } = request.params;
    if (!identity.ok || ownPacket(identity.stationId, packetId) === undefined)
      return unknownPacket(reply, packetId);
    const statement = await store.statement(packetId);
    if (statement === undefined) return unknownPacket(reply, packetId);
    return reply.type(STATEMENT_MEDIA_TYPE).send(Buffer.from(statement));
  });

  app.get<{ Params: { packetId: string } }>('/v1/packets/:packetId/status', async (request, reply) => {
    const identity = identify(request.raw);
    const { packetId } = request.params;
    const index = identity.ok ? ownPacket(identity.stationId, packetId) : undefined;
    if (index === undefined) return unknownPacket(reply, packetId);
    return { packetId, ...statusOf(index, now(), statusStepMs) };
  });

  app.post('/v1/sim/stations/issue', async (request, reply) => {
    if (environment !== 'test')
      return reply.code(404).send({
        code: 'CENTRAL_NOT_IN_PRODUCTION',
        message: 'Issuing station certificates is a test-environment aid',
      });
    const csr = (request.body as { csr?: unknown } | undefined)?.csr;
    if (typeof csr !== 'string')
      return reply.code(400).send({ code: 'CENTRAL_CSR_INVALID', message: 'Send { csr: PEM }' });
    try {
      return await issueStationCertificate(dataDir, csr, new Date(now()));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'CENTRAL_CSR_INVALID')
        return reply.code(400).send({ code, message: (error as Error).message });
      throw error;
    }
  });

  app.post('/v1/sim/revocations', async (request, reply) => {
    const body = request.body as { serialNumber?: unknown; compromisedAt?: unknown } | undefined;
    const serial = body?.serialNumber;
    const at = body?.compromisedAt;
    if (
      typeof serial !== 'string' ||
      !/^[0-9a-fA-F]{1,64}$/.test(serial) ||
      typeof at !== 'string' ||
      Number.isNaN(Date.parse(at))
    )
      return reply.code(400).send({
        code: 'CENTRAL_REVOCATION_INVALID',
        message: 'Send { serialNumber: hex, compromisedAt: ISO 8601 }',
      });
    const revocation = {
      serialNumber: normalizeSerial(serial),
      compromisedAt: new Date(Date.parse(at)).toISOString(),
    };
    await store.revoke(revocation);
    return revocation;
  });

  app.get('/v1/sim/log', async () => ({ accepted: await store.readLog() }));

  app.post('/v1/sim/ingest', async (request, reply) => {
    const folder = (request.body as { folder?: unknown } | undefined)?.folder;
    if (typeof folder !== 'string')
      return reply
        .code(400)
        .send({ code: 'CENTRAL_EXPORT_INVALID', message: 'Send { folder: path of the export folder }' });
    try {
      return { packets: await ingestExportFolder({ intake }, folder) };
    } catch (error) {
      if (error instanceof IngestError)
        return reply.code(400).send({ code: error.code, message: error.message });
      if (error instanceof CentralStorageFullError) return reply.code(507).send(STORAGE_FULL);
      throw error;
    }
  });

  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await rememberedPort(dataDir)) ?? 0;
  try {
    await app.listen({ host, port });
  } catch (cause) {
    await opener.close();
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CentralStartError(
        'CENTRAL_PORT_IN_USE',
        `Port ${port} on ${host} is in use (another central on this data folder, or another program). Stop it, or start with --port.`,
        { cause },
      );
    throw new CentralStartError(
      'CENTRAL_LISTEN_FAILED',
      `Cannot listen on ${host}:${port}: ${String(cause)}`,
      { cause },
    );
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw new CentralStartError('CENTRAL_LISTEN_FAILED', 'no TCP address');
  if (address.port !== port)
    await writeAtomic(
      `${dataDir}/${CENTRAL_CONFIG_FILE}`,
      `${JSON.stringify({ port: address.port })}\n`,
      0o644,
      true,
    );
  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    dataDir,
    environment,
    tlsCaPem: pki.tlsCa.certificatePem,
    stationCaPem: pki.stationCa.certificatePem,
    statementCertificatesPem: pki.statementKeys.map((key) => key.certificatePem),
    pki,
    store,
    intake,
    close: async () => {
      const server = app.server as unknown as https.Server;
      server.closeAllConnections();
      await app.close();
      await opener.close();
    },
  };
}

async function rememberedPort(dataDir: string): Promise<number | undefined> {
  try {
    const { port } = JSON.parse(await fs.readFile(`${dataDir}/${CENTRAL_CONFIG_FILE}`, 'utf8')) as {
      port?: unknown;
    };
    return typeof port === 'number' && Number.isSafeInteger(port) && port > 0 && port < 65536
      ? port
      : undefined;
  } catch {
    return undefined;
  }
}

export type PacketStatus =
  | 'received'
  | 'validated'
  | 'in-production'
  | 'printed'
  | 'dispatched'
  | 'held'
  | 'refused';

const PRODUCTION: readonly PacketStatus[] = [
  'received',
  'validated',
  'in-production',
  'printed',
  'dispatched',
];

/** A packet's status at `now` (ms): production advances one step every `stepMs`. */
export function statusOf(
  index: PacketIndex,
  now: number,
  stepMs: number,
): { status: PacketStatus; history: { status: PacketStatus; at: string }[] } {
  const start = Date.parse(index.at);
  if (index.kind === 'refusal') return { status: 'refused', history: [{ status: 'refused', at: index.at }] };
  if (index.order === 'held-duplicate-session')
    return {
      status: 'held',
      history: [
        { status: 'received', at: index.at },
        { status: 'held', at: index.at },
      ],
    };
  const history = PRODUCTION.map((status, i) => ({ status, at: start + i * stepMs }))
    .filter((step, i) => i === 0 || step.at <= now)
    .map((step) => ({ status: step.status, at: new Date(step.at).toISOString() }));
  return { status: history[history.length - 1]?.status ?? 'received', history };
}

function nodeOf(req: unknown): { req: IncomingMessage; res: ServerResponse } | undefined {
  return (req as { runtime?: { node?: { req: IncomingMessage; res: ServerResponse } } }).runtime?.node;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** tus 1.0.0 Upload-Metadata: `key base64value` pairs separated by commas. */
export function parseUploadMetadata(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of text.split(',')) {
    const [key, value = ''] = pair.trim().split(' ');
    if (key === undefined || key === '') continue;
    out.set(key, Buffer.from(value, 'base64').toString('utf8'));
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: ErrorBody | object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Tus-Resumable': '1.0.0',
  });
  res.end(text);
}
