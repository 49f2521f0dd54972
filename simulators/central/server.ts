/**
 * A test double of the central card-production service's contract (ARCHITECTURE.md, scale): stateless
 * per request, keyed by packet id.
 *
 * | route | answers |
 * |---|---|
 * | GET /v1/health | status, service, environment, version |
 * | GET /v1/certificate | the central's key-transport certificate, PEM (`application/x-pem-file`); 503 `CENTRAL_NO_KEY` without a data directory |
 * | POST /v1/packets/verify | body: one packet's CMS bytes (`application/pkcs7-mime` or `application/octet-stream`, at most `maxPacketBytes`); 200 with the verdict when accepted, 422 with it when rejected (packets.ts); 400 empty, 413 too large, 415 another media type, 503 without a key |
 *
 * The key lives in the data directory it is given (keys.ts: minted on the first start, reused
 * after), so packets queued for it stay decryptable across restarts. The verify route is minimal:
 * no storage, receipt or deduplication; the upload/receipt contract is issue 18's.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { PACKET_LIMITS } from '../../protocol/packet/open.ts';
import { type CentralKeys, loadOrCreateCentralKeys } from './keys.ts';
import { verifyPacket } from './packets.ts';

export interface CentralSimulatorOptions {
  /** The environment the simulated service belongs to; it rejects material from the other one. */
  readonly environment: 'test' | 'production';
  /** Service version reported by /v1/health. */
  readonly version?: string;
  /**
   * Where the central keeps its key and certificate (keys.ts). Without it the simulator has no key:
   * /v1/certificate and /v1/packets/verify answer 503.
   */
  readonly dataDir?: string;
  /** Station CA certificates (DER) a packet's signer must chain to; none trusts no station. */
  readonly trustAnchors?: readonly Uint8Array[];
  /** Largest packet body accepted, bytes (default PACKET_LIMITS.maxPacketLength, 32 MiB). */
  readonly maxPacketBytes?: number;
  /** The central's clock, ms since the Unix epoch (default Date.now). */
  readonly now?: () => number;
}

/** Media types of a packet body: RFC 8551 §3.2 (CMS), or plain bytes. */
const PACKET_MEDIA_TYPES = ['application/pkcs7-mime', 'application/octet-stream'];

function pem(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** The app; `keys` from loadOrCreateCentralKeys (startCentralSimulator loads them from dataDir). */
export function buildCentralSimulator(options: CentralSimulatorOptions, keys?: CentralKeys): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: options.maxPacketBytes ?? PACKET_LIMITS.maxPacketLength });
  registerSimulatorRoutes(app, options, keys);
  return app;
}

/**
 * The routes above on an app made elsewhere (service.ts makes the HTTPS one). The app's own routes
 * and hooks are left as they are.
 */
export function registerSimulatorRoutes(
  app: FastifyInstance,
  options: CentralSimulatorOptions,
  keys?: CentralKeys,
): void {
  const bodyLimit = options.maxPacketBytes ?? PACKET_LIMITS.maxPacketLength;
  app.addContentTypeParser(PACKET_MEDIA_TYPES, { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
    done(null, body);
  });
  const noKey = {
    code: 'CENTRAL_NO_KEY',
    message: 'The central simulator was started without a data directory, so it has no key: give it dataDir',
  };

  app.get('/v1/health', async () => ({
    status: 'ok',
    service: 'central-simulator',
    environment: options.environment,
    version: options.version ?? '0.1.0',
  }));

  app.get('/v1/certificate', async (_request, reply) => {
    if (!keys) return reply.code(503).send(noKey);
    return reply.type('application/x-pem-file').send(pem(keys.certificate));
  });

  app.post('/v1/packets/verify', async (request, reply) => {
    if (!keys) return reply.code(503).send(noKey);
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!PACKET_MEDIA_TYPES.includes(mediaType))
      return reply.code(415).send({
        code: 'CENTRAL_MEDIA_TYPE',
        message: `A packet is sent as ${PACKET_MEDIA_TYPES.join(' or ')}, not ${mediaType || 'no content-type'}`,
      });
    const body = request.body;
    if (!(body instanceof Uint8Array) || body.length === 0)
      return reply.code(400).send({
        code: 'CENTRAL_EMPTY_PACKET',
        message: 'Send the packet bytes (CMS, DER) as the body, content-type application/pkcs7-mime',
      });
    const verdict = await verifyPacket(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), {
      decryptor: keys.decryptor,
      trustAnchors: options.trustAnchors ?? [],
      environment: options.environment,
      now: (options.now ?? Date.now)(),
    });
    return reply.code(verdict.accepted ? 200 : 422).send(verdict);
  });
}

export interface RunningCentralSimulator {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The central's key-transport certificate, DER; undefined when started without a data directory. */
  readonly certificate: Uint8Array | undefined;
  close(): Promise<void>;
}

/**
 * Starts the simulator on loopback; port 0 picks a free port. With `dataDir`, loads its key there
 * or mints one on the first start (an RSA-3072 key: up to a few seconds, once).
 * @throws {CentralKeyError} for a key file open to others or not an RSA key (keys.ts); the listen error.
 */
export async function startCentralSimulator(
  options: CentralSimulatorOptions & { host?: string; port?: number },
): Promise<RunningCentralSimulator> {
  const keys = options.dataDir === undefined ? undefined : await loadOrCreateCentralKeys(options.dataDir);
  const app = buildCentralSimulator(options, keys);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw new Error('central simulator has no TCP address');
  return {
    url: `http://${host}:${address.port}`,
    certificate: keys?.certificate,
    close: () => app.close(),
  };
}
