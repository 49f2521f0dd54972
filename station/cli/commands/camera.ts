/**
 * `station camera list|capture|preview` and `station sim camera`: the portrait camera from the
 * command line.
 *
 * The commands go through a running station's /devices routes, since the station holds the camera
 * (a V4L2 camera opens for one process only). `list` without a station (or with --local) looks at
 * the V4L2 cameras plugged into this machine instead, so a technician can check a camera before the
 * station is configured for it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jpegDimensions } from '../../../drivers/camera/jpeg-splitter.ts';
import { listV4l2Cameras } from '../../../drivers/camera/native-v4l2.ts';
import {
  type CliIo,
  type Command,
  EXIT_FAILED,
  EXIT_OK,
  json,
  parse,
  positiveInteger,
  UsageError,
} from '../command.ts';
import { resolveStationUrl, type StationUrl, unreachable } from '../station-url.ts';

const URL_HELP = `  --url URL         the running station (default: $STATION_URL, else where the configuration file
                    as npm start finds it makes the station listen, else http://127.0.0.1:8080)`;

interface DeviceView {
  readonly id: string;
  readonly family: string;
  readonly mode: string;
  readonly state: { readonly status: string };
  readonly camera?: Record<string, unknown>;
}

/** The station could not be reached, or answered an error: the message says which and what to do. */
class StationCallError extends Error {
  override readonly name = 'StationCallError';
  readonly unreachable: boolean;
  constructor(message: string, unreachable: boolean) {
    super(message);
    this.unreachable = unreachable;
  }
}

/** @throws {StationCallError} when the station does not answer or answers non-2xx. */
async function fetchOk(station: StationUrl, route: string, init: RequestInit = {}): Promise<Response> {
  const url = `${station.base}${route}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000), ...init });
  } catch (error) {
    throw new StationCallError(unreachable(station, error), true);
  }
  if (response.ok) return response;
  const text = await response.text();
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error) message = `${body.error.code}: ${body.error.message}`;
  } catch {
    // Not JSON: show the text as it is.
  }
  throw new StationCallError(`HTTP ${response.status} from ${url}: ${message}`, false);
}

async function stationCameras(station: StationUrl): Promise<DeviceView[]> {
  const response = await fetchOk(station, '/devices');
  const { devices } = (await response.json()) as { devices: DeviceView[] };
  return devices.filter((d) => d.family === 'camera');
}

/** The camera named, else the first ready one. @throws {UsageError} {StationCallError} */
async function chooseCamera(station: StationUrl, id: string | undefined): Promise<DeviceView> {
  const cameras = await stationCameras(station);
  const names = cameras.map((c) => `${c.id} (${c.state.status})`).join(', ') || 'none';
  if (id !== undefined) {
    const found = cameras.find((c) => c.id === id);
    if (!found) throw new UsageError(`no camera '${id}'; cameras: ${names}`);
    return found;
  }
  const ready = cameras.find((c) => c.state.status === 'ready');
  if (!ready) throw new StationCallError(`no ready camera; cameras: ${names}`, false);
  return ready;
}

/** Runs a command body, turning the expected failures into a message and exit code 1. */
async function guarded(io: CliIo, body: () => Promise<unknown>): Promise<number> {
  try {
    io.stdout(json(await body()));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof StationCallError) {
      io.stderr(`${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

const listCommand: Command = {
  name: 'list',
  summary: "List the station's cameras, or (no station, or --local) the V4L2 cameras plugged in here",
  help: `Usage: station camera list [--local] [--url URL]

  --local           do not ask a station: list the V4L2 cameras of this machine (names, USB ids, MJPEG sizes)
${URL_HELP}`,
  async run(args, io) {
    const { values } = parse(
      args,
      { url: { type: 'string' }, local: { type: 'boolean', default: false } },
      { min: 0, max: 0 },
    );
    const local = async () => ({ source: 'local', cameras: await listV4l2Cameras() });
    if (values.local) return guarded(io, local);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return guarded(io, async () => {
      try {
        return { source: station.base, cameras: await stationCameras(station) };
      } catch (error) {
        if (!(error instanceof StationCallError && error.unreachable)) throw error;
        io.stderr(`No station answers at ${station.base}; listing the cameras of this machine instead.\n`);
        return local();
      }
    });
  },
};

const captureCommand: Command = {
  name: 'capture',
  summary: "Save the camera's newest frame as a JPEG file",
  help: `Usage: station camera capture --out FILE.jpg [--device ID] [--url URL]

  --out FILE        where the JPEG goes (exactly the bytes the camera sent)
  --device ID       a camera id from 'station camera list' (default: the first ready camera)
${URL_HELP}`,
  async run(args, io) {
    const { values } = parse(
      args,
      { url: { type: 'string' }, out: { type: 'string' }, device: { type: 'string' } },
      { min: 0, max: 0 },
    );
    if (values.out === undefined) throw new UsageError('--out FILE is required');
    const out = path.resolve(io.cwd, values.out);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return guarded(io, async () => {
      const camera = await chooseCamera(station, values.device);
      const response = await fetchOk(station, `/devices/${encodeURIComponent(camera.id)}/frame`);
      const jpeg = new Uint8Array(await response.arrayBuffer());
      writeFileSync(out, jpeg);
      const size = jpegDimensions(jpeg);
      return {
        file: out,
        device: camera.id,
        bytes: jpeg.length,
        ...(size ?? {}),
        sequence: Number(response.headers.get('x-frame-sequence')),
        timestampMs: Number(response.headers.get('x-frame-timestamp')),
      };
    });
  },
};

/** One JPEG part of a multipart/x-mixed-replace stream. */
export interface PreviewPart {
  readonly jpeg: Uint8Array;
  readonly sequence: number | undefined;
}

/**
 * Cuts a multipart stream into parts by each part's Content-Length (the station always sends it).
 * Feed it chunks; it returns the parts completed by each.
 * @throws {Error} when a part has no Content-Length or a header block is absurdly long.
 */
export class MultipartReader {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): PreviewPart[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    this.#buffer = joined;
    const parts: PreviewPart[] = [];
    for (;;) {
      const end = indexOf(this.#buffer, HEADER_END);
      if (end < 0) {
        if (this.#buffer.length > 16 * 1024)
          throw new Error('preview stream: a part header longer than 16 KiB');
        return parts;
      }
      const head = Buffer.from(this.#buffer.subarray(0, end)).toString('latin1');
      const length = /content-length:\s*(\d+)/i.exec(head)?.[1];
      if (length === undefined) throw new Error('preview stream: a part without Content-Length');
      const start = end + HEADER_END.length;
      if (this.#buffer.length < start + Number(length)) return parts;
      const sequence = /x-frame-sequence:\s*(\d+)/i.exec(head)?.[1];
      parts.push({
        jpeg: this.#buffer.slice(start, start + Number(length)),
        sequence: sequence === undefined ? undefined : Number(sequence),
      });
      this.#buffer = this.#buffer.slice(start + Number(length));
    }
  }
}

const HEADER_END = new Uint8Array([13, 10, 13, 10]);

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const previewCommand: Command = {
  name: 'preview',
  summary: "Record the camera's preview stream for some seconds into JPEG files; prints the rate seen",
  help: `Usage: station camera preview --seconds N --out-dir DIR [--fps F] [--device ID] [--url URL]

  --seconds N       how long to record (whole seconds)
  --out-dir DIR     where the frames go, as frame-00001.jpg, frame-00002.jpg ... (created if missing)
  --fps F           the most frames per second the station sends (default 10, at most 30)
  --device ID       a camera id from 'station camera list' (default: the first ready camera)
${URL_HELP}`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        url: { type: 'string' },
        seconds: { type: 'string' },
        'out-dir': { type: 'string' },
        fps: { type: 'string' },
        device: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    const seconds = positiveInteger('seconds', values.seconds);
    if (seconds === undefined) throw new UsageError('--seconds N is required');
    if (values['out-dir'] === undefined) throw new UsageError('--out-dir DIR is required');
    const fps = positiveInteger('fps', values.fps);
    const dir = path.resolve(io.cwd, values['out-dir']);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return guarded(io, async () => {
      const camera = await chooseCamera(station, values.device);
      mkdirSync(dir, { recursive: true });
      const abort = new AbortController();
      const query = fps === undefined ? '' : `?fps=${fps}`;
      const response = await fetchOk(station, `/devices/${encodeURIComponent(camera.id)}/preview${query}`, {
        signal: abort.signal,
      });
      const body = response.body;
      if (!body) throw new StationCallError('the preview answer has no body', false);
      const started = performance.now();
      const timer = setTimeout(() => abort.abort(), seconds * 1000);
      const reader = new MultipartReader();
      const sequences: number[] = [];
      let frames = 0;
      let ended: 'time' | 'stream-ended' = 'time';
      try {
        for await (const chunk of body) {
          for (const part of reader.push(chunk)) {
            frames++;
            writeFileSync(path.join(dir, `frame-${String(frames).padStart(5, '0')}.jpg`), part.jpeg);
            if (part.sequence !== undefined) sequences.push(part.sequence);
          }
        }
        ended = 'stream-ended'; // the camera went away before the time was up
      } catch (error) {
        if (!abort.signal.aborted) throw error;
      } finally {
        clearTimeout(timer);
      }
      const elapsedMs = performance.now() - started;
      return {
        dir,
        device: camera.id,
        frames,
        seconds: Math.round(elapsedMs) / 1000,
        fps: Math.round((frames / (elapsedMs / 1000)) * 10) / 10,
        firstSequence: sequences[0] ?? null,
        lastSequence: sequences.at(-1) ?? null,
        ended,
      };
    });
  },
};

export const cameraCommand: Command = {
  name: 'camera',
  summary: 'The portrait camera: list, capture a frame, record the preview',
  help: `Usage: station camera <list|capture|preview> ...

The camera belongs to the running station; these commands use its /devices routes.`,
  subcommands: [listCommand, captureCommand, previewCommand],
};

/** `station sim camera`: the simulated camera's scenario and person, on a running test station. */
export const simCameraCommand: Command = {
  name: 'camera',
  summary: "Switch the simulated camera's scenario or the person in front of it",
  help: `Usage: station sim camera [--scenario NAME] [--person SEED] [--url URL]

  --scenario NAME   e.g. good, too-far, turned-left, dark, eyes-closed, no-face ('station sim show camera' lists them)
  --person SEED     the person's seed (the simulated citizen's 12-digit id: the same face as their card's DG2)
${URL_HELP}`,
  async run(args, io) {
    const { values } = parse(
      args,
      { url: { type: 'string' }, scenario: { type: 'string' }, person: { type: 'string' } },
      { min: 0, max: 0 },
    );
    if (values.scenario === undefined && values.person === undefined)
      throw new UsageError('give --scenario NAME, --person SEED, or both');
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    const send = (method: string, route: string, body: unknown) =>
      fetchOk(station, route, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<unknown>);
    return guarded(io, async () => ({
      ...(values.scenario === undefined
        ? {}
        : { scenario: await send('PUT', '/sim/camera/scenario', { scenario: values.scenario }) }),
      ...(values.person === undefined
        ? {}
        : { person: await send('POST', '/sim/camera/actions/person', { seed: values.person }) }),
    }));
  },
};
