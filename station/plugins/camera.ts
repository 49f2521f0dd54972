/**
 * The camera's routes, beside the other /devices routes (devices.ts registers them):
 *
 *   GET /devices/:id/frame            the newest JPEG (image/jpeg; X-Frame-Sequence, X-Frame-Timestamp)
 *   GET /devices/:id/preview?fps=10   MJPEG (multipart/x-mixed-replace; boundary=frame) of the newest
 *                                     frames, at most `fps` parts per second, until the client leaves
 *
 * A camera that is not ready answers 503 `{ error: { code: 'CAMERA_NOT_READY', message, state } }`.
 * The preview holds one newest-only subscription per client (drivers/camera/frame-fanout.ts): a slow
 * client skips frames, it never makes the station queue them, and the subscription ends when the
 * client disconnects (counted in `camera.previewClients` of GET /devices).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import type { CameraFrame } from '../../drivers/camera/port.ts';
import type { Device } from '../../drivers/device.ts';
import { binary, idParams, NO_QUERY, responses } from '../api-schema.ts';
import { StationCamera } from '../compose/cameras.ts';

/** The preview rate when the client names none, and the most it may ask for, frames per second. */
export const DEFAULT_PREVIEW_FPS = 10;
export const MAX_PREVIEW_FPS = 30;
/** The multipart boundary of the preview stream. */
export const PREVIEW_BOUNDARY = 'frame';

const previewClients = new WeakMap<CameraDevice, number>();

/** A camera as GET /devices shows it besides its state: its settings and live counters. */
export function describeCamera(device: CameraDevice) {
  const stats = device.stats();
  const frame = device.latestFrame();
  return {
    ...(device instanceof StationCamera ? device.settings() : {}),
    frames: stats.frames,
    framesDropped: stats.framesDropped,
    warnings: stats.warnings,
    restarts: stats.restarts,
    previewClients: previewClients.get(device) ?? 0,
    lastFrame: frame
      ? { sequence: frame.sequence, timestampMs: frame.timestampMs, bytes: frame.jpeg.length }
      : null,
  };
}

function notReady(device: CameraDevice) {
  const state = device.state();
  const why =
    state.status === 'disconnected'
      ? state.reason
      : state.status === 'error'
        ? `${state.code}: ${state.message}`
        : `it is ${state.status}`;
  return {
    error: {
      code: 'CAMERA_NOT_READY',
      message: `Camera ${device.id} has no picture: ${why}`,
      state,
    },
  };
}

/** One part of the multipart stream: headers, the JPEG, and the line break before the next boundary. */
function part(frame: CameraFrame): Buffer[] {
  const head =
    `--${PREVIEW_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.length}\r\n` +
    `X-Frame-Sequence: ${frame.sequence}\r\nX-Frame-Timestamp: ${frame.timestampMs.toFixed(3)}\r\n\r\n`;
  return [
    Buffer.from(head, 'latin1'),
    Buffer.from(frame.jpeg.buffer, frame.jpeg.byteOffset, frame.jpeg.length),
    Buffer.from('\r\n'),
  ];
}

/**
 * Decides which frames a preview sends: at most `fps` per second by the frames' own timestamps (no
 * timer: a frame that comes early is skipped and a later one taken). A frame up to a tenth of the
 * interval early still counts, so camera jitter does not halve the rate; after a gap (the camera
 * paused) the schedule restarts from the next frame rather than sending a burst.
 */
export class PreviewPacer {
  readonly #interval: number;
  readonly #slack: number;
  #due = Number.NEGATIVE_INFINITY;

  /** @throws {RangeError} unless 0 < fps. */
  constructor(fps: number) {
    if (!(fps > 0)) throw new RangeError(`preview rate must be above 0 frames/s, got ${fps}`);
    this.#interval = 1000 / fps;
    this.#slack = this.#interval / 10;
  }

  /** Whether the frame completed at `timestampMs` (ms, monotonic) is sent. */
  take(timestampMs: number): boolean {
    if (timestampMs < this.#due - this.#slack) return false;
    this.#due =
      timestampMs - this.#due > 2 * this.#interval
        ? timestampMs + this.#interval
        : this.#due + this.#interval;
    return true;
  }
}

/** The preview's parts, paced; ends when `signal` fires or the camera goes away. */
async function* throttled(device: CameraDevice, fps: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  const pacer = new PreviewPacer(fps);
  previewClients.set(device, (previewClients.get(device) ?? 0) + 1);
  try {
    for await (const frame of device.frames(signal)) if (pacer.take(frame.timestampMs)) yield* part(frame);
  } catch {
    // Canceled (the client left) or disconnected (the camera left): the stream ends either way.
  } finally {
    previewClients.set(device, (previewClients.get(device) ?? 1) - 1);
  }
}

/** Registers the camera routes; `byId` holds every device (a non-camera id answers 400). */
export function registerCameraRoutes(
  app: FastifyInstance,
  byId: ReadonlyMap<string, Device>,
  notFound: (id: string) => unknown,
): void {
  const camera = (id: string): CameraDevice | { status: number; body: unknown } => {
    const device = byId.get(id);
    if (!device) return { status: 404, body: notFound(id) };
    if (!(device instanceof CameraDevice))
      return {
        status: 400,
        body: {
          error: { code: 'NOT_A_CAMERA', message: `Device '${id}' (${device.family}) is not a camera` },
        },
      };
    return device;
  };

  const params = idParams({ type: 'string', minLength: 1, maxLength: 100, description: 'a camera id' });
  app.get<{ Params: { id: string } }>(
    '/devices/:id/frame',
    {
      schema: {
        tags: ['devices'],
        summary: "A camera's newest JPEG frame (X-Frame-Sequence, X-Frame-Timestamp)",
        params,
        querystring: NO_QUERY,
        response: responses({ 200: binary('the newest frame', 'image/jpeg') }),
      },
    },
    async (request, reply) => {
      const device = camera(request.params.id);
      if (!(device instanceof CameraDevice)) return reply.code(device.status).send(device.body);
      const frame = device.latestFrame();
      if (!frame) return reply.code(503).send(notReady(device));
      return reply
        .header('content-type', 'image/jpeg')
        .header('cache-control', 'no-store')
        .header('x-frame-sequence', String(frame.sequence))
        .header('x-frame-timestamp', frame.timestampMs.toFixed(3))
        .send(Buffer.from(frame.jpeg.buffer, frame.jpeg.byteOffset, frame.jpeg.length));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { fps: number } }>(
    '/devices/:id/preview',
    {
      schema: {
        tags: ['devices'],
        summary: "A camera's MJPEG preview of its newest frames, at most `fps` a second",
        params,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            fps: { type: 'integer', minimum: 1, maximum: MAX_PREVIEW_FPS, default: DEFAULT_PREVIEW_FPS },
          },
        },
        response: responses({
          200: binary(
            'JPEG parts until the client leaves',
            `multipart/x-mixed-replace; boundary=${PREVIEW_BOUNDARY}`,
          ),
        }),
      },
    },
    async (request, reply) => {
      const device = camera(request.params.id);
      if (!(device instanceof CameraDevice)) return reply.code(device.status).send(device.body);
      if (device.state().status !== 'ready') return reply.code(503).send(notReady(device));
      const abort = new AbortController();
      // The subscription is ended by the signal, not by the stream's destroy: a generator waiting for
      // its next frame would only see a return() once that frame came, which may be never.
      reply.raw.once('close', () => abort.abort());
      request.log.info({ device: device.id, fps: request.query.fps }, 'camera preview started');
      return reply
        .header('content-type', `multipart/x-mixed-replace; boundary=${PREVIEW_BOUNDARY}`)
        .header('cache-control', 'no-store')
        .send(Readable.from(throttled(device, request.query.fps, abort.signal), { objectMode: false }));
    },
  );
}
