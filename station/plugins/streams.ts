/**
 * Live streams for the officer's screen, as server-sent events (text/event-stream):
 *
 *   GET /streams/devices                 `devices` (every device and its state) first, then `state`
 *                                        { id, state } on each change and `capture` { id, type,
 *                                        mode | status | outcome } as scanners capture
 *   GET /streams/scanner/:id/preview     while a capture runs on the scanner: `capture` (started,
 *                                        ended), `status` (waiting-for-finger, capturing, processing)
 *                                        and `preview` frames (a greyscale JPEG in base64, the hot
 *                                        path's checks and the applicant's advice in vi and en)
 *   GET /streams/camera/:id/preview      `frame`: the camera's newest frames as small JPEGs, at most
 *                                        `fps` a second (default 5); with `portrait=true` also
 *                                        `portrait`: the live portrait feedback (vi, en) per checked
 *                                        frame, from the same loop as /devices/:id/portrait/live
 *   GET /streams/outbox                  `state` (the uploader) first, then progress, acknowledged,
 *                                        dead-lettered, problem and state as the uploader reports
 *   GET /streams                         the open streams and their counters (sent, dropped, waiting,
 *                                        bytes buffered), for an operator checking a slow screen
 *
 * Every stream needs the officer's session (any role) when the station has accounts; the Host
 * allowlist applies as everywhere. A slow client gets events dropped, never a growing buffer
 * (streams/sse.ts: the newest event of each kind waits, a `dropped` event says how many went). A
 * stream ends when its client leaves or the station closes; its listeners go with it.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import type { Device } from '../../drivers/device.ts';
import { isFingerprintScanner } from '../../drivers/fingerprint/scanner.ts';
import { eventStream, idParams, responses } from '../api-schema.ts';
import type { Clock } from '../clock.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import type { CaptureTap, TapEvent } from '../streams/capture-tap.ts';
import { uploaderEventKey } from '../streams/outbox-events.ts';
import { cameraPreviewFrame, LatestOnly, scannerPreviewFrame } from '../streams/previews.ts';
import { openEventStream, type SseChannel, type SseOptions } from '../streams/sse.ts';
import type { Uploader } from '../uploader/index.ts';
import { PreviewPacer } from './camera.ts';
import type { LivePortraits } from './faces.ts';

export interface StreamRoutesOptions {
  readonly devices: readonly Device[];
  readonly clock: Clock;
  /** The tap on the scanners' captures (put on at composition). */
  readonly captures: CaptureTap;
  /** For the fingerprint previews' checks; without it previews carry no quality. */
  readonly hotpath?: Hotpath;
  /** The live portrait loops (the camera stream's `portrait=true`; refused without them). */
  readonly portraits?: LivePortraits;
  /** The uploader behind /streams/outbox (the route is not mounted without it). */
  readonly uploader?: Pick<Uploader, 'snapshot' | 'subscribe'>;
  /** Runs before every stream (station/auth's requireSession). */
  readonly preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /**
   * Whether the session a stream was opened with is still open and unlocked (station/auth's
   * sessionStillActive); asked every `recheckMs`, and a stream whose session locked, expired or
   * logged out ends with an `ended` event (reason `session-ended`). Absent: streams run until closed.
   */
  readonly stillAllowed?: (request: FastifyRequest) => Promise<boolean>;
  /** How often `stillAllowed` is asked, ms (default 5,000). */
  readonly recheckMs?: number;
  /** Most streams open at once (default 32); one more is answered 503 STREAMS_BUSY. */
  readonly maxClients?: number;
  /** Per client: the waiting events and the keep-alive (streams/sse.ts). */
  readonly channel?: Pick<SseOptions, 'maxPending' | 'keepAliveMs'>;
}

export const DEFAULT_STREAM_FPS = 5;
export const MAX_STREAM_FPS = 15;

const DEVICE_PARAMS = idParams({ type: 'string', minLength: 1, maxLength: 100, description: 'a device id' });
const NO_KEYS = { type: 'object', additionalProperties: false, properties: {} } as const;

/** The schema parts of a stream route: its tag, summary, no query unless `extra` says, its events. */
function doc(summary: string, events: string, extra: Record<string, unknown> = {}) {
  return {
    tags: ['streams'],
    summary,
    querystring: NO_KEYS,
    response: responses({ 200: eventStream(events) }),
    ...extra,
  };
}

const fail = (reply: FastifyReply, status: number, code: string, message: string, vi: string) =>
  reply.code(status).send({ error: { code, message, messages: { vi, en: message } } });

/** A device as the `devices` event shows it (as /health does). */
function deviceView(device: Device) {
  return { id: device.id, family: device.family, mode: device.mode, state: device.state() };
}

export const streamRoutes: FastifyPluginAsync<StreamRoutesOptions> = async (app, options) => {
  const { devices, captures, hotpath, uploader } = options;
  const byId = new Map(devices.map((d) => [d.id, d]));
  const maxClients = options.maxClients ?? 32;
  const open = new Map<SseChannel, { path: string; openedAt: number; request: FastifyRequest }>();
  if (options.preHandler !== undefined) app.addHook('preHandler', options.preHandler);

  // A locked screen shows no live camera or finger: each stream's session is asked again, and a
  // stream whose session is no longer open and unlocked ends.
  const { stillAllowed } = options;
  if (stillAllowed !== undefined) {
    let checking = false;
    const recheck = setInterval(() => {
      if (checking || open.size === 0) return;
      checking = true;
      void Promise.all(
        [...open].map(async ([channel, { request }]) => {
          if (await stillAllowed(request).catch(() => true)) return;
          channel.push('ended', { reason: 'session-ended' });
          channel.close();
        }),
      ).finally(() => {
        checking = false;
      });
    }, options.recheckMs ?? 5000);
    recheck.unref();
    app.addHook('onClose', async () => clearInterval(recheck));
  }

  // Before the server stops taking connections: an open stream would otherwise hold it open.
  app.addHook('preClose', async () => {
    for (const channel of [...open.keys()]) channel.close();
  });

  /**
   * Answers the request with an event stream; `cleanup` runs once when it ends (client gone, app
   * closing). Undefined (and a 503 sent) when too many streams are open.
   */
  const start = (
    request: FastifyRequest,
    reply: FastifyReply,
    cleanup: () => void,
  ): SseChannel | undefined => {
    if (open.size >= maxClients) {
      void fail(
        reply,
        503,
        'STREAMS_BUSY',
        `${open.size} live streams are open already; close one and try again`,
        'Đã mở quá nhiều luồng trực tiếp; đóng bớt một màn hình rồi thử lại.',
      );
      return undefined;
    }
    const channel = openEventStream(reply, {
      ...options.channel,
      onClose: () => {
        open.delete(channel);
        cleanup();
      },
    });
    open.set(channel, { path: request.url, openedAt: options.clock.now(), request });
    return channel;
  };

  app.get(
    '/streams',
    {
      schema: {
        tags: ['streams'],
        summary: 'The open live streams and their counters (sent, dropped, waiting, bytes buffered)',
        querystring: NO_KEYS,
        response: responses({
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['streams', 'maxClients'],
            properties: {
              maxClients: { type: 'integer' },
              streams: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    path: { type: 'string' },
                    openedAt: { type: 'string', format: 'date-time' },
                    sent: { type: 'integer' },
                    dropped: { type: 'integer' },
                    pending: { type: 'integer' },
                    bufferedBytes: { type: 'integer' },
                    maxBufferedBytes: { type: 'integer' },
                    highWaterMark: { type: 'integer' },
                  },
                },
              },
            },
          },
        }),
      },
    },
    async () => ({
      maxClients,
      streams: [...open].map(([channel, { path, openedAt }]) => ({
        path,
        openedAt: new Date(openedAt).toISOString(),
        ...channel.stats(),
      })),
    }),
  );

  app.get(
    '/streams/devices',
    {
      schema: doc(
        'Device state and capture events as they happen',
        '`devices` { devices: [{ id, family, mode, state }] } first; then `state` { id, state } and `capture` { id, type: started | status | ended, ... }',
      ),
    },
    async (request, reply) => {
      const stops: (() => void)[] = [];
      const channel = start(request, reply, () => {
        for (const stop of stops) stop();
      });
      if (channel === undefined) return reply;
      channel.push('devices', { devices: devices.map(deviceView) });
      for (const device of devices) {
        stops.push(
          device.onStateChange((state) =>
            channel.push('state', { id: device.id, state }, `state:${device.id}`),
          ),
        );
        if (isFingerprintScanner(device))
          stops.push(
            captures.listen(device.id, (event) => {
              if (event.type !== 'preview')
                channel.push('capture', { id: device.id, ...event }, `capture:${device.id}`);
            }),
          );
      }
      return reply;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/streams/scanner/:id/preview',
    {
      schema: doc(
        "A fingerprint scanner's preview frames with quality and advice, while a capture runs",
        '`capture` { type: started | ended, mode | outcome }, `status` { status }, `preview` { sequence, fingers, width, height, ppi, image: { width, height, jpeg (base64) }, quality, advice: { vi, en } }',
        { params: DEVICE_PARAMS },
      ),
    },
    async (request, reply) => {
      const device = byId.get(request.params.id);
      if (device === undefined)
        return fail(
          reply,
          404,
          'DEVICE_NOT_FOUND',
          `No device '${request.params.id}'`,
          'Không có thiết bị này.',
        );
      if (!isFingerprintScanner(device))
        return fail(
          reply,
          400,
          'NOT_A_SCANNER',
          `Device '${device.id}' (${device.family}) is not a fingerprint scanner`,
          'Thiết bị này không phải máy quét vân tay.',
        );
      let stop = () => {};
      const encoder = new LatestOnly<TapEvent & { type: 'preview' }>(
        async (event) => {
          const frame = await scannerPreviewFrame(event.preview, event.scale, hotpath);
          channel?.push('preview', frame, 'preview');
        },
        (error) =>
          request.log.warn({ device: device.id, err: error }, 'a scanner preview frame was not encoded'),
      );
      const channel = start(request, reply, () => {
        stop();
        encoder.stop();
      });
      if (channel === undefined) return reply;
      stop = captures.listen(
        device.id,
        (event) => {
          if (event.type === 'preview') encoder.offer(event);
          else if (event.type === 'status') channel.push('status', { status: event.status }, 'status');
          else channel.push('capture', event, 'capture');
        },
        { previews: true },
      );
      return reply;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { fps: number; portrait: boolean } }>(
    '/streams/camera/:id/preview',
    {
      schema: doc(
        "A camera's newest frames as small JPEGs, at most `fps` a second",
        '`frame` { sequence, timestampMs, image: { width, height, jpeg (base64) } }; with portrait=true `portrait` { sequence, decision: { accepted, feedback }, face, detection, ... }; `ended` { reason } when the camera goes away',
        {
          params: DEVICE_PARAMS,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              fps: { type: 'integer', minimum: 1, maximum: MAX_STREAM_FPS, default: DEFAULT_STREAM_FPS },
              portrait: {
                type: 'boolean',
                default: false,
                description: 'also the live portrait feedback (runs the face checks on the frames)',
              },
            },
          },
        },
      ),
    },
    async (request, reply) => {
      const device = byId.get(request.params.id);
      if (device === undefined)
        return fail(
          reply,
          404,
          'DEVICE_NOT_FOUND',
          `No device '${request.params.id}'`,
          'Không có thiết bị này.',
        );
      if (!(device instanceof CameraDevice))
        return fail(
          reply,
          400,
          'NOT_A_CAMERA',
          `Device '${device.id}' (${device.family}) is not a camera`,
          'Thiết bị này không phải máy ảnh.',
        );
      if (device.state().status !== 'ready')
        return fail(
          reply,
          503,
          'CAMERA_NOT_READY',
          `Camera ${device.id} is ${device.state().status}`,
          'Máy ảnh chưa sẵn sàng: kiểm tra dây cắm rồi thử lại.',
        );
      const { portraits } = options;
      if (request.query.portrait && portraits === undefined)
        return fail(
          reply,
          503,
          'PORTRAIT_UNAVAILABLE',
          'This station runs no face engine or image workers',
          'Trạm không có bộ kiểm tra ảnh chân dung.',
        );
      const abort = new AbortController();
      let stopPortrait = () => {};
      const encoder = new LatestOnly<{ jpeg: Uint8Array; sequence: number; timestampMs: number }>(
        async (frame) => {
          channel?.push('frame', await cameraPreviewFrame(frame), 'frame');
        },
        (error) =>
          request.log.warn({ device: device.id, err: error }, 'a camera preview frame was not encoded'),
      );
      const channel = start(request, reply, () => {
        abort.abort();
        encoder.stop();
        stopPortrait();
      });
      if (channel === undefined) return reply;
      if (request.query.portrait && portraits !== undefined)
        stopPortrait = portraits
          .of(device, (message) => request.log.warn({ camera: device.id }, message))
          .subscribe((assessment) => channel.push('portrait', assessment, 'portrait'));
      const pacer = new PreviewPacer(request.query.fps);
      void (async () => {
        try {
          for await (const frame of device.frames(abort.signal))
            if (pacer.take(frame.timestampMs)) encoder.offer(frame);
        } catch {
          // Canceled (the client left) or disconnected (the camera left): the stream ends either way.
        }
        channel.push('ended', { reason: abort.signal.aborted ? 'closed' : 'camera-gone' });
        channel.close();
      })();
      return reply;
    },
  );

  if (uploader !== undefined)
    app.get(
      '/streams/outbox',
      {
        schema: doc(
          'Upload progress and the outbox state as they happen',
          '`state` { state } first; then `progress` { packetId, bytesSent, bytesTotal }, `acknowledged`, `dead-lettered`, `problem` and `state`',
        ),
      },
      async (request, reply) => {
        let unsubscribe = () => {};
        const channel = start(request, reply, () => unsubscribe());
        if (channel === undefined) return reply;
        channel.push('state', { type: 'state', state: uploader.snapshot() });
        unsubscribe = uploader.subscribe((event) => channel.push(event.type, event, uploaderEventKey(event)));
        return reply;
      },
    );
};
