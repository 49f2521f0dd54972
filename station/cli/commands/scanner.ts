/**
 * `station scanner list|info|capture`: fingerprint scanners, real or simulated.
 *
 * By default the commands go through a running station's /devices routes, since the station holds
 * the devices. With --standalone (no station running; a technician checking a scanner) they build
 * the configured scanners in this process, from the same configuration file `npm start` reads.
 */
import path from 'node:path';
import { DriverError } from '../../../drivers/errors.ts';
import type { FingerprintScanner } from '../../../drivers/fingerprint/scanner.ts';
import { CAPTURE_MODES, type CaptureModeName } from '../../../protocol/scanner/commands.ts';
import { systemClock } from '../../clock.ts';
import { composeScanners } from '../../compose/scanners.ts';
import { loadConfig } from '../../config/load.ts';
import { ConfigError } from '../../errors.ts';
import { decodeGreyPng, formatOf, type GreyImage, writeGreyImage } from '../../imaging/grey-image.ts';
import { describeDevice, imageMetadata } from '../../plugins/devices.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';
import { resolveStationUrl, type StationUrl, unreachable } from '../station-url.ts';

const common = {
  url: { type: 'string' },
  standalone: { type: 'boolean', default: false },
  config: { type: 'string' },
} as const;

const COMMON_HELP = `  --url URL         the running station (default: $STATION_URL, else where the configuration file
                    as npm start finds it makes the station listen, else http://127.0.0.1:8080)
  --standalone      no station: open the configured scanners in this process
  --config FILE     configuration for --standalone (default: STATION_CONFIG or ./station.config.json)`;

interface DeviceView {
  readonly id: string;
  readonly family: string;
  readonly mode: string;
  readonly state: { readonly status: string };
  readonly scanner?: { readonly modes: readonly string[] } | null;
}

class StationCallError extends Error {
  override readonly name = 'StationCallError';
}

/** A JSON request to the station. @throws {StationCallError} saying what went wrong and what to do. */
async function request<T>(
  station: StationUrl,
  path: string,
  init: RequestInit = {},
  timeoutMs = 10_000,
): Promise<T> {
  const url = `${station.base}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new StationCallError(
      `${unreachable(station, error)}\nOr use --standalone to open the scanners in this process.`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error) message = `${body.error.code}: ${body.error.message}`;
    } catch {
      // Not JSON: show the text as it is.
    }
    throw new StationCallError(`HTTP ${response.status} from ${url}: ${message}`);
  }
  return JSON.parse(text) as T;
}

/** The configured scanners, opened here; `use` runs with them and they are closed after. */
async function withStandalone<T>(
  io: CliIo,
  configFile: string | undefined,
  use: (scanners: readonly FingerprintScanner[]) => Promise<T>,
): Promise<T> {
  const env = configFile === undefined ? io.env : { ...io.env, STATION_CONFIG: configFile };
  const { config } = loadConfig(env, io.cwd);
  const { scanners } = await composeScanners(config, { clock: systemClock });
  try {
    await Promise.all(scanners.map((s) => s.open()));
    return await use(scanners);
  } finally {
    await Promise.allSettled(scanners.map((s) => s.close()));
  }
}

/** Runs a command body, turning the expected failures into a message and exit code 1. */
async function guarded(io: CliIo, body: () => Promise<unknown>): Promise<number> {
  try {
    io.stdout(json(await body()));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof StationCallError || error instanceof DriverError || error instanceof ConfigError) {
      const code = 'code' in error ? ` [${String(error.code)}]` : '';
      io.stderr(`${error.message}${code}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

/** Picks a scanner: the one named, else the first ready one that offers `mode`. */
function choose(
  devices: readonly DeviceView[],
  id: string | undefined,
  mode: string | undefined,
): DeviceView {
  const scanners = devices.filter((d) => d.family.startsWith('fingerprint-'));
  if (id !== undefined) {
    const found = scanners.find((d) => d.id === id);
    if (!found)
      throw new UsageError(`no scanner '${id}'; scanners: ${scanners.map((d) => d.id).join(', ') || 'none'}`);
    return found;
  }
  const ready = scanners.filter((d) => d.state.status === 'ready');
  const found = ready.find((d) => mode === undefined || d.scanner?.modes.includes(mode)) ?? ready[0];
  if (!found)
    throw new StationCallError(
      `no ready scanner${mode ? ` offering ${mode}` : ''}; scanners: ${
        scanners.map((d) => `${d.id} (${d.state.status})`).join(', ') || 'none'
      }`,
    );
  return found;
}

const listCommand: Command = {
  name: 'list',
  summary: 'List the fingerprint scanners with their state and abilities',
  help: `Usage: station scanner list [options]

${COMMON_HELP}`,
  async run(args, io) {
    const { values } = parse(args, common, { min: 0, max: 0 });
    return guarded(io, async () => {
      if (values.standalone)
        return withStandalone(io, values.config, async (scanners) => ({
          scanners: scanners.map(describeDevice),
        }));
      const { devices } = await request<{ devices: DeviceView[] }>(
        resolveStationUrl(values.url, io.env, io.cwd),
        '/devices',
      );
      return { scanners: devices.filter((d) => d.family.startsWith('fingerprint-')) };
    });
  },
};

const infoCommand: Command = {
  name: 'info',
  summary: "Show one scanner's identity, resolution, modes and certificate",
  help: `Usage: station scanner info [<scanner>] [options]

<scanner> is an id from 'station scanner list' (default: the first ready scanner).
${COMMON_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, common, { min: 0, max: 1 });
    const id = positionals[0];
    return guarded(io, async () => {
      if (values.standalone)
        return withStandalone(io, values.config, async (scanners) => {
          const views = scanners.map(describeDevice);
          const chosen = choose(views, id, undefined);
          return views.find((v) => v.id === chosen.id);
        });
      const { devices } = await request<{ devices: DeviceView[] }>(
        resolveStationUrl(values.url, io.env, io.cwd),
        '/devices',
      );
      return choose(devices, id, undefined);
    });
  },
};

type ImageMetadata = ReturnType<typeof imageMetadata>;

interface CaptureAnswer {
  readonly image: ImageMetadata & { readonly png: string };
}

/**
 * The JSON `scanner capture` prints, the same in both modes: where the image went, which scanner,
 * the station's image metadata (size, ppi, use, device, SHA-256 of the pixels, attestation or null),
 * and `attested` for scripts that only need the yes or no.
 */
function captureSummary(file: string, format: string, scanner: string, metadata: ImageMetadata) {
  return { file, format, scanner, ...metadata, attested: metadata.attestation !== null };
}

const captureCommand: Command = {
  name: 'capture',
  summary: 'Capture a fingerprint image and write it to a file',
  help: `Usage: station scanner capture --mode MODE --out FILE.png|.pgm|.raw [<scanner>] [options]

  --mode MODE       ${CAPTURE_MODES.join(', ')}
  --out FILE        where the image goes; .png keeps the resolution
  --timeout MS      how long to wait for the finger, 1-600000 ms (default 10000)
${COMMON_HELP}

Prints JSON, the same with or without --standalone: the file, format, scanner, the image's mode,
size, resolution, use (enrollment or verification-only), device, SHA-256 of the pixels, attestation
(the device signature, or null for scanners without one) and attested (true or false). <scanner>
defaults to the first ready scanner that offers MODE.`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      {
        ...common,
        mode: { type: 'string' },
        out: { type: 'string' },
        timeout: { type: 'string', default: '10000' },
      },
      { min: 0, max: 1 },
    );
    const mode = values.mode;
    if (mode === undefined) throw new UsageError('--mode is required');
    if (!(CAPTURE_MODES as readonly string[]).includes(mode))
      throw new UsageError(`--mode must be one of: ${CAPTURE_MODES.join(', ')}; got '${mode}'`);
    if (values.out === undefined) throw new UsageError('--out is required');
    if (!/^\d+$/.test(values.timeout))
      throw new UsageError(`--timeout must be a number of ms, got '${values.timeout}'`);
    const timeoutMs = Number(values.timeout);
    const file = path.resolve(io.cwd, values.out);
    try {
      formatOf(file);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const id = positionals[0];
    return guarded(io, async () => {
      const captured = await captureImage(io, {
        url: values.url,
        standalone: values.standalone,
        config: values.config,
        scanner: id,
        mode: mode as CaptureModeName,
        timeoutMs,
      });
      const format = await writeGreyImage(file, captured.image, captured.metadata.ppi);
      return captureSummary(file, format, captured.scanner, captured.metadata);
    });
  },
};

/** Where a capture goes and how long it waits for the finger. */
export interface CaptureImageOptions {
  /** The running station (as --url); ignored with `standalone`. */
  readonly url?: string | undefined;
  /** Open the configured scanners in this process instead of asking a running station. */
  readonly standalone: boolean;
  /** Configuration file for `standalone`. */
  readonly config?: string | undefined;
  /** A scanner id; undefined: the first ready one offering `mode`. */
  readonly scanner?: string | undefined;
  readonly mode: CaptureModeName;
  readonly timeoutMs: number;
}

/** A captured image with the station's metadata about it (the same in both modes). */
export interface CapturedImage {
  readonly scanner: string;
  readonly image: GreyImage;
  readonly metadata: ImageMetadata;
}

/**
 * Captures one image from a scanner: through the running station's /devices routes (it holds the
 * devices), or with `standalone` from the configured scanners opened here. Also used by
 * `station card verify-finger --scanner`.
 * @throws {StationCallError} (station unreachable or refusing), {DriverError} (standalone capture
 *   failed), {ConfigError} (standalone configuration invalid), {UsageError} (no such scanner).
 */
export async function captureImage(io: CliIo, options: CaptureImageOptions): Promise<CapturedImage> {
  const { mode, timeoutMs } = options;
  if (options.standalone)
    return withStandalone(io, options.config, async (scanners) => {
      const chosen = choose(scanners.map(describeDevice), options.scanner, mode);
      const scanner = scanners.find((s) => s.id === chosen.id);
      if (!scanner) throw new UsageError(`no scanner '${chosen.id}'`);
      for await (const event of scanner.capture({ mode, timeoutMs })) {
        if (event.type !== 'result') continue;
        return { scanner: scanner.id, image: event.image, metadata: imageMetadata(event.image) };
      }
      throw new StationCallError(`scanner ${scanner.id} ended the capture without an image`);
    });
  const station = resolveStationUrl(options.url, io.env, io.cwd);
  const { devices } = await request<{ devices: DeviceView[] }>(station, '/devices');
  const chosen = choose(devices, options.scanner, mode);
  const answer = await request<CaptureAnswer>(
    station,
    `/devices/${encodeURIComponent(chosen.id)}/capture`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode, timeoutMs }),
    },
    // The finger wait, then the transfer (a serial module needs about 7 s at 57,600 bit/s).
    timeoutMs + 60_000,
  );
  const { png, ...metadata } = answer.image;
  const image = await decodeGreyPng(Buffer.from(png, 'base64'));
  return { scanner: chosen.id, image, metadata };
}

/** The failures a capture reports as a message (exit 1) rather than a crash. */
export function isCaptureFailure(error: unknown): error is Error {
  return error instanceof StationCallError || error instanceof DriverError || error instanceof ConfigError;
}

export const scannerCommand: Command = {
  name: 'scanner',
  summary: 'Fingerprint scanners: list them, show one, capture an image',
  help: `Usage: station scanner <list|info|capture> ...

Talks to a running station (npm start) by default; --standalone opens the configured scanners here.`,
  subcommands: [listCommand, infoCommand, captureCommand],
};
