/**
 * The station's configuration: one JSON file, validated with ajv; every key has a default, so an
 * empty file (or none) runs the embedded simulated station. See docs/configuration.md.
 */

export type Environment = 'test' | 'production';
export type DeviceModeSetting = 'simulated' | 'hardware' | 'disabled';

export interface StationConfig {
  /** `production` refuses simulated devices, simulator routes and the embedded central service. */
  environment: Environment;
  /** Identifies this station in packets, reports and logs. */
  stationId: string;
  server: { host: string; port: number };
  /** Where the station keeps its state (outbox, enrollments in progress). Relative to the config file. */
  dataDir: string;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  devices: {
    /** USB attach/detach events, used by drivers to find a device again after re-plug. */
    hotplug: { mode: DeviceModeSetting };
  };
  central: {
    /** `embedded` starts the simulated central service on loopback; `remote` uses `url`. */
    mode: 'embedded' | 'remote';
    /** Base URL of the central card-production service (required when mode is `remote`). */
    url?: string;
    /** Per-request timeout for reachability checks, ms. */
    timeoutMs: number;
  };
  simulators: {
    /** Mounts the /sim/ control routes. Defaults to true in test and false in production. */
    routes: boolean;
  };
}

const deviceMode = {
  type: 'string',
  enum: ['simulated', 'hardware', 'disabled'],
  default: 'simulated',
} as const;

/** JSON Schema (draft 7, as ajv 8 validates it). `default`s fill what the file leaves out. */
export const configSchema = {
  $id: 'https://cccd-station.invalid/schemas/station-config.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    environment: { type: 'string', enum: ['test', 'production'], default: 'test' },
    stationId: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description: "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      default: 'dev-station-01',
    },
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
      },
    },
    dataDir: { type: 'string', minLength: 1, default: './var' },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: {
          type: 'string',
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          default: 'info',
        },
      },
    },
    devices: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        hotplug: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { mode: deviceMode },
        },
      },
    },
    central: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        mode: { type: 'string', enum: ['embedded', 'remote'], default: 'embedded' },
        url: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'an http:// or https:// URL' },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 60000, default: 2000 },
      },
      if: { required: ['mode'], properties: { mode: { const: 'remote' } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
      then: { required: ['url'] },
    },
    simulators: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // No default here: it follows the environment (true in test, false in production); see load.ts.
        routes: { type: 'boolean' },
      },
    },
  },
} as const;
