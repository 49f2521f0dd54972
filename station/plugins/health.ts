/**
 * GET /health: what an operator or a monitor needs at a glance. Always HTTP 200 while the service
 * runs; `status` is `degraded` when a device is not ready or the central service is not usable.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Device } from '../../drivers/device.ts';
import { NO_QUERY, openObject, responses } from '../api-schema.ts';
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

/** A device as /health and the device streams show it: identity, family, mode and state. */
export const DEVICE_STATE_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'family', 'mode', 'state'],
  properties: {
    id: { type: 'string' },
    family: { type: 'string' },
    mode: { type: 'string', enum: ['simulated', 'hardware'] },
    state: openObject(
      'the device state: `status` (ready, opening, disconnected, error, ...) and its details',
      {
        status: { type: 'string' },
      },
    ),
  },
} as const;

const HEALTH_SCHEMA = {
  tags: ['station'],
  summary: 'Status at a glance: devices, hot path, outbox depth and the central service',
  security: [],
  querystring: NO_QUERY,
  response: responses({
    200: {
      type: 'object',
      additionalProperties: true,
      required: ['status', 'version', 'environment', 'stationId', 'devices'],
      properties: {
        status: { type: 'string', enum: ['ok', 'degraded'] },
        version: { type: 'string' },
        runtime: openObject('Node.js and V8 versions of this process'),
        environment: { type: 'string', enum: ['test', 'production'] },
        stationId: { type: 'string' },
        uptimeMs: { type: 'number' },
        devices: { type: 'array', items: DEVICE_STATE_SCHEMA },
        outbox: openObject('the queue depth, or null with a problem'),
        central: openObject("the central service's reachability"),
        hotpath: openObject('worker pool counters'),
      },
    },
  }),
} as const;

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  const { config, devices, clock, central, outbox, startedAt, hotpath } = options;
  app.get('/health', { schema: HEALTH_SCHEMA }, async (request) => {
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
