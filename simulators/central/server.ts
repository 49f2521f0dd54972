/**
 * A test double of the central card-production service's contract (ARCHITECTURE.md, scale): stateless
 * per request, keyed by packet id. This first version answers the health probe; the packet and upload
 * issue adds intake, receipts and card status.
 */
import Fastify, { type FastifyInstance } from 'fastify';

export interface CentralSimulatorOptions {
  /** The environment the simulated service belongs to; it rejects material from the other one. */
  readonly environment: 'test' | 'production';
  /** Service version reported by /v1/health. */
  readonly version?: string;
}

export function buildCentralSimulator(options: CentralSimulatorOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/v1/health', async () => ({
    status: 'ok',
    service: 'central-simulator',
    environment: options.environment,
    version: options.version ?? '0.1.0',
  }));
  return app;
}

export interface RunningCentralSimulator {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the simulator on loopback; port 0 picks a free port. */
export async function startCentralSimulator(
  options: CentralSimulatorOptions & { host?: string; port?: number },
): Promise<RunningCentralSimulator> {
  const app = buildCentralSimulator(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw new Error('central simulator has no TCP address');
  return {
    url: `http://${host}:${address.port}`,
    close: () => app.close(),
  };
}
