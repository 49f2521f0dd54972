/**
 * GET /health: what an operator or a monitor needs at a glance. Always HTTP 200 while the service
 * runs; `status` is `degraded` when a device is not ready or the central service is not usable.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Device } from '../../drivers/device.ts';
import type { CentralLink } from '../central/link.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import type { OutboxStatus } from '../outbox/status.ts';
import { STATION_VERSION } from '../version.ts';

export interface HealthOptions {
  readonly config: StationConfig;
  readonly devices: readonly Device[];
  readonly clock: Clock;
  readonly central: CentralLink;
  readonly outbox: OutboxStatus;
  /** Monotonic ms at which the station started. */
  readonly startedAt: number;
  readonly hotpath?: Hotpath;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  const { config, devices, clock, central, outbox, startedAt, hotpath } = options;
  app.get('/health', async (request) => {
    const [reachability, depth] = await Promise.all([
      central.reachability(),
      outbox.depth().then(
        (value) => ({ depth: value }),
        (error: unknown) => {
          request.log.error({ err: error }, 'outbox depth unavailable');
          return { depth: null, problem: 'outbox queue directory cannot be read' };
        },
      ),
    ]);
    const deviceReports = devices.map((d) => ({
      id: d.id,
      family: d.family,
      mode: d.mode,
      state: d.state(),
    }));
    const healthy =
      reachability.reachable &&
      depth.depth !== null &&
      deviceReports.every((d) => d.state.status === 'ready');
    return {
      status: healthy ? 'ok' : 'degraded',
      version: STATION_VERSION,
      // The runtime this process runs on: 24.x once setup has installed the pinned one.
      runtime: { node: process.versions.node, v8: process.versions.v8, abi: process.versions.modules },
      environment: config.environment,
      stationId: config.stationId,
      uptimeMs: Math.round(clock.monotonic() - startedAt),
      devices: deviceReports,
      outbox: depth,
      central: reachability,
      // Worker counters: crashed or timed-out jobs and jobs over budget show up here first.
      ...(hotpath === undefined ? {} : { hotpath: hotpath.stats() }),
    };
  });
};
