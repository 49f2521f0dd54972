/**
 * Loading and checking the station's configuration file.
 *
 * Which file: the path in STATION_CONFIG if set (it must exist), else `station.config.json` in the
 * working directory if present, else no file (all defaults: the embedded simulated station).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { describeSchemaErrors } from '../schema-problems.ts';
import { configSchema, type StationConfig } from './schema.ts';

export const CONFIG_ENV_VAR = 'STATION_CONFIG';
export const DEFAULT_CONFIG_FILE = 'station.config.json';
/** A configuration file larger than this is refused before parsing (it is a few hundred bytes). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const ajv = new Ajv({
  allErrors: true,
  useDefaults: true,
  verbose: true,
  strict: true,
  strictRequired: false,
});
const validate = ajv.compile(configSchema);

/** 127.0.0.0/8, ::1 (any spelling of it) or localhost: addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name))
    return name.split('.').every((part) => Number(part) <= 255);
  return /^(0{0,4}:){2,7}0{0,3}1$/.test(name) || name === '::1';
}

/** Settings that production refuses, each naming the key to change. */
export function productionProblems(config: StationConfig): ConfigProblem[] {
  if (config.environment !== 'production') return [];
  const problems: ConfigProblem[] = [];
  for (const [name, device] of Object.entries(config.devices)) {
    if (device.mode === 'simulated') {
      problems.push({
        key: `/devices/${name}/mode`,
        message:
          'is "simulated" (the default); production refuses simulated devices: set "hardware" or "disabled"',
        allowed: ['hardware', 'disabled'],
      });
    }
  }
  if (config.simulators.routes) {
    problems.push({
      key: '/simulators/routes',
      message: 'is true; production refuses the /sim/ simulator control routes: set false or remove the key',
      allowed: [false],
    });
  }
  if (!config.auth.required) {
    problems.push({
      key: '/auth/required',
      message: 'is false; production needs an officer session on every route: set true or remove the key',
      allowed: [true],
    });
  }
  if (!isLoopbackHost(config.server.host) && config.server.tls === undefined) {
    problems.push({
      key: '/server/host',
      message: `is "${config.server.host}", not a loopback address, and server.tls is not set; over plain HTTP production listens on 127.0.0.1 or ::1 only (set server.tls to serve HTTPS on the network)`,
      allowed: ['127.0.0.1', '::1', 'localhost'],
    });
  }
  if (config.central.mode === 'embedded') {
    problems.push({
      key: '/central/mode',
      message: 'is "embedded" (the default, a simulator); production needs "remote" with central.url set',
      allowed: ['remote'],
    });
  }
  return problems;
}

/** Keys a hardware device cannot run without, each naming what to set. */
export function hardwareProblems(config: StationConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const hid = config.devices.fingerprintHid;
  if (hid.mode === 'hardware') {
    if (hid.path === undefined && (hid.vendorId === undefined || hid.productId === undefined))
      problems.push({
        key: '/devices/fingerprintHid',
        message: 'needs "vendorId" and "productId", or "path", to find the scanner in hardware mode',
      });
    if (hid.trustAnchors === undefined)
      problems.push({
        key: '/devices/fingerprintHid/trustAnchors',
        message: 'is required in hardware mode: a PEM file of the device CAs whose scanners may sign images',
      });
  }
  const cardReader = config.devices.cardReader;
  if (cardReader.mode === 'hardware' && cardReader.trustStore === undefined)
    problems.push({
      key: '/devices/cardReader/trustStore',
      message:
        'is required in hardware mode: a folder with the CSCA certificates (or an ICAO master list) that cards must chain to',
    });
  if (
    config.devices.fingerprintSerial.mode === 'hardware' &&
    config.devices.fingerprintSerial.path === undefined
  )
    problems.push({
      key: '/devices/fingerprintSerial/path',
      message: 'is required in hardware mode: the serial line of the module, e.g. /dev/ttyUSB0',
    });
  const barcode = config.devices.barcode;
  if (barcode.mode === 'hardware' && barcode.kind === 'serial' && barcode.path === undefined)
    problems.push({
      key: '/devices/barcode/path',
      message:
        'is required for a serial barcode scanner in hardware mode: its line, e.g. /dev/ttyACM0 (USB-COM) or /dev/ttyUSB0',
    });
  if (
    barcode.mode === 'hardware' &&
    barcode.kind === 'hid' &&
    barcode.path === undefined &&
    barcode.vendorId === undefined
  )
    problems.push({
      key: '/devices/barcode',
      message:
        'needs "vendorId" (and "productId"), or "path" (a /dev/hidraw node), to find a keyboard-wedge barcode scanner in hardware mode',
    });
  return problems;
}

/** The camera's frame size is one of the two the portrait pipeline and the simulated camera support. */
export function cameraProblems(config: StationConfig): ConfigProblem[] {
  const { width, height } = config.devices.camera;
  if ((width === 640 && height === 480) || (width === 1280 && height === 720)) return [];
  return [
    {
      key: '/devices/camera',
      message: `has width ${width} and height ${height}; the frame size must be 640x480 or 1280x720`,
      allowed: ['640x480', '1280x720'],
    },
  ];
}

/**
 * Validates a parsed configuration document and fills its defaults.
 * `baseDir` anchors a relative dataDir and trustAnchors (the config file's folder, or the working
 * directory).
 * @throws {ConfigError} CONFIG_INVALID listing every problem; CONFIG_PRODUCTION_UNSAFE when the
 *   document is valid but production settings are unsafe.
 */
export function parseConfig(document: unknown, options: { file?: string; baseDir: string }): StationConfig {
  const copy: unknown = structuredClone(document ?? {});
  if (typeof copy !== 'object' || copy === null || Array.isArray(copy)) {
    throw new ConfigError('CONFIG_INVALID', options.file, [
      { key: '', message: 'must be a JSON object ({ ... })' },
    ]);
  }
  if (!validate(copy)) {
    const problems = describeSchemaErrors(validate.errors ?? []);
    throw new ConfigError('CONFIG_INVALID', options.file, problems);
  }
  const config = copy as unknown as StationConfig;
  config.simulators.routes ??= config.environment === 'test';
  // Tests and simulators drive the device routes without logging in; production always asks.
  config.auth.required ??= config.environment !== 'test';
  // The barcode scanner is newer than most production files: its default follows the environment.
  config.devices.barcode.mode ??= config.environment === 'test' ? 'simulated' : 'disabled';
  config.dataDir = path.resolve(options.baseDir, config.dataDir);
  const { fingerprintHid } = config.devices;
  if (fingerprintHid.trustAnchors !== undefined)
    fingerprintHid.trustAnchors = path.resolve(options.baseDir, fingerprintHid.trustAnchors);
  const { cardReader } = config.devices;
  if (cardReader.trustStore !== undefined)
    cardReader.trustStore = path.resolve(options.baseDir, cardReader.trustStore);
  if (cardReader.terminal !== undefined)
    cardReader.terminal = path.resolve(options.baseDir, cardReader.terminal);
  if (cardReader.terminalKey !== undefined && !cardReader.terminalKey.startsWith('pkcs11:'))
    cardReader.terminalKey = path.resolve(options.baseDir, cardReader.terminalKey);
  const { tls } = config.server;
  if (tls !== undefined) {
    tls.certFile = path.resolve(options.baseDir, tls.certFile);
    tls.keyFile = path.resolve(options.baseDir, tls.keyFile);
  }
  const { central } = config;
  if (central.tlsCa !== undefined) central.tlsCa = path.resolve(options.baseDir, central.tlsCa);
  if (central.statementCertificates !== undefined)
    central.statementCertificates = path.resolve(options.baseDir, central.statementCertificates);
  const { camera } = config.devices;
  // A camera is new: a production file written before it existed must still start, so its default
  // follows the environment like the /sim/ routes do; `simulated` given in production is still refused.
  camera.mode ??= config.environment === 'test' ? 'simulated' : 'disabled';
  const missing = [...hardwareProblems(config), ...cameraProblems(config)];
  if (missing.length > 0) throw new ConfigError('CONFIG_INVALID', options.file, missing);
  const unsafe = productionProblems(config);
  if (unsafe.length > 0) throw new ConfigError('CONFIG_PRODUCTION_UNSAFE', options.file, unsafe);
  return config;
}

/**
 * Reads and validates one configuration file.
 * @throws {ConfigError} CONFIG_UNREADABLE (missing, unreadable, too large), CONFIG_NOT_JSON, or as parseConfig.
 */
export function readConfigFile(file: string): StationConfig {
  const absolute = path.resolve(file);
  let text: string;
  try {
    const bytes = readFileSync(absolute);
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new ConfigError('CONFIG_UNREADABLE', absolute, [
        {
          key: '',
          message: `is ${bytes.length} bytes; a configuration file is at most ${MAX_CONFIG_BYTES} bytes`,
        },
      ]);
    }
    text = bytes.toString('utf8');
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      absolute,
      [{ key: '', message: `${reason} (${String(cause)})` }],
      { cause },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_NOT_JSON',
      absolute,
      [{ key: '', message: `is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}` }],
      { cause },
    );
  }
  return parseConfig(document, { file: absolute, baseDir: path.dirname(absolute) });
}

export interface LoadedConfig {
  readonly config: StationConfig;
  /** The file read, or undefined when running on defaults. */
  readonly file: string | undefined;
}

/**
 * Finds and loads the configuration as `npm start` does (see the module comment).
 * @throws {ConfigError} as readConfigFile; CONFIG_UNREADABLE if STATION_CONFIG names a missing file.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): LoadedConfig {
  const fromEnv = env[CONFIG_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '') {
    const file = path.resolve(cwd, fromEnv);
    return { config: readConfigFile(file), file };
  }
  const fallback = path.join(cwd, DEFAULT_CONFIG_FILE);
  if (existsSync(fallback)) return { config: readConfigFile(fallback), file: fallback };
  return { config: parseConfig({}, { baseDir: cwd }), file: undefined };
}
