/**
 * Portraits and faces over HTTP (issue 19 items 5, 6, 8).
 *
 *   POST /devices/:id/portrait       { force?, maxBytes? } captures the camera's newest frame as a
 *                                    portrait: the checks' decision and feedback, the OFIQ-aligned
 *                                    measures, the chip portrait (JPEG within maxBytes, default 20 000)
 *                                    and the ICAO capture, both base64; `captureId` names the face's
 *                                    descriptor, kept here for a later comparison
 *   GET  /devices/:id/portrait/live  server-sent events: each frame's live feedback
 *   POST /faces/compare              { a, b }, each { captureId } or { image: base64 JPEG/PNG/JPEG 2000 }:
 *                                    a 1:1 comparison (advisory; not protected against presentation
 *                                    attacks: a photo or a screen held to the camera is not detected)
 *
 * Descriptors are biometric data: they stay in this process (at most 32, for 15 minutes) and are
 * never logged or returned. Errors are `{ error: { code, message } }` with the status of their code.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import type { Device } from '../../drivers/device.ts';
import type { FaceDescriptor } from '../../protocol/face/types.ts';
import { eventStream, idParams, NO_QUERY, openObject, responses } from '../api-schema.ts';
import type { Clock } from '../clock.ts';
import { type FaceComparison, singleFace } from '../faces/engine.ts';
import { FaceEngineError } from '../faces/errors.ts';
import type { Hotpath } from '../hotpath/hotpath.ts';
import { decodeAnyPortrait } from '../imaging/jpeg2000.ts';
import { capturePortrait, type PortraitCapture } from '../portrait/capture.ts';
import type { LazyFaceEngine } from '../portrait/engine-provider.ts';
import { type LiveAssessment, LivePortrait } from '../portrait/live.ts';

export interface FaceRoutesOptions {
  readonly devices: readonly Device[];
  readonly engine: LazyFaceEngine;
  /** Portrait measures and live frames run in its workers; without it the portrait routes answer 503. */
  readonly hotpath?: Hotpath;
  readonly clock: Clock;
  /** The live feedback loops, shared with the camera stream (default: the plugin's own). */
  readonly lives?: LivePortraits;
}

/**
 * The live portrait feedback loops, one per camera, started on the first listener (and stopped by
 * LivePortrait itself when the last one leaves): GET /devices/:id/portrait/live and the camera's
 * preview stream share them, so a camera is checked once however many screens watch it.
 */
export class LivePortraits {
  readonly #lives = new Map<string, LivePortrait>();
  readonly #engine: LazyFaceEngine;
  readonly #hotpath: Hotpath;

  constructor(engine: LazyFaceEngine, hotpath: Hotpath) {
    this.#engine = engine;
    this.#hotpath = hotpath;
  }

  /** The loop of `camera`, made on first use; `onWarning` hears of frames it could not check. */
  of(camera: CameraDevice, onWarning: (message: string) => void): LivePortrait {
    let live = this.#lives.get(camera.id);
    if (live === undefined) {
      live = new LivePortrait({
        source: camera,
        engines: () => this.#engine.get(),
        hotpath: this.#hotpath,
        onWarning,
      });
      this.#lives.set(camera.id, live);
    }
    return live;
  }

  async stop(): Promise<void> {
    for (const live of this.#lives.values()) await live.stop();
  }
}

/** Largest image in a comparison request, bytes (base64 inflates it by a third). */
export const MAX_FACE_IMAGE_BYTES = 8 * 1024 * 1024;
const KEPT_CAPTURES = 32;
const KEPT_CAPTURE_MS = 15 * 60_000;
/** How long a portrait request waits for a first frame from a camera that has none yet, ms. */
const FIRST_FRAME_WAIT_MS = 5_000;

const STATUS_OF_FACE_CODE: Readonly<Record<string, number>> = {
  FACE_QUEUE_FULL: 503,
  FACE_MODEL_LOAD_FAILED: 503,
  FACE_WORKER_CRASHED: 503,
  FACE_ENGINE_CLOSED: 503,
  FACE_TIMEOUT: 504,
  FACE_CANCELED: 499,
  FACE_DESCRIPTOR_MISMATCH: 422,
  FACE_INFERENCE_FAILED: 500,
};

const fail = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).send({ error: { code, message } });

function failWith(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof FaceEngineError)
    return fail(reply, STATUS_OF_FACE_CODE[error.code] ?? 500, error.code, error.message);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('HOTPATH_'))
    return fail(reply, code === 'HOTPATH_INPUT' ? 422 : 503, code, (error as Error).message);
  throw error;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A capture as the API answers it: no descriptor, images as base64. */
export function portraitAnswer(
  capture: Extract<PortraitCapture, { status: 'assessed' }>,
  captureId: string | null,
) {
  return {
    captureId,
    accepted: capture.decision.accepted,
    feedback: capture.decision.feedback,
    faceCount: capture.assessment.faceCount,
    face: capture.face === null ? null : { box: capture.face.box, score: capture.face.score },
    pose: capture.assessment.pose,
    measures: capture.assessment.measures,
    portrait:
      capture.portrait === null
        ? null
        : {
            jpeg: base64(capture.portrait.jpeg),
            bytes: capture.portrait.jpeg.length,
            width: capture.portrait.width,
            height: capture.portrait.height,
            quality: capture.portrait.quality,
          },
    icao:
      capture.icao === null
        ? null
        : {
            jpeg: base64(capture.icao.jpeg),
            bytes: capture.icao.jpeg.length,
            width: capture.icao.width,
            height: capture.icao.height,
          },
    portraitError: capture.portraitError,
    engine: capture.engine,
    measuresAre: 'OFIQ-aligned approximations, not ISO/IEC 29794-5 values',
    timings: capture.timings,
  };
}

const imageSide = {
  oneOf: [
    {
      type: 'object',
      required: ['captureId'],
      additionalProperties: false,
      properties: { captureId: { type: 'string', minLength: 1, maxLength: 64 } },
    },
    {
      type: 'object',
      required: ['image'],
      additionalProperties: false,
      properties: {
        image: { type: 'string', minLength: 1, maxLength: Math.ceil((MAX_FACE_IMAGE_BYTES * 4) / 3) + 4 },
      },
    },
  ],
} as const;

const CAMERA_PARAMS = idParams({ type: 'string', minLength: 1, maxLength: 100, description: 'a camera id' });

const PORTRAIT_ANSWER = openObject(
  'the checks of the frame: accepted, feedback (vi, en), measures, pose, the chip portrait and the ICAO capture as base64 JPEG, timings',
  {
    captureId: { type: ['string', 'null'], description: 'for POST /faces/compare (kept 15 minutes)' },
    accepted: { type: 'boolean' },
    faceCount: { type: 'integer' },
    measuresAre: { type: 'string' },
  },
);

export const faceRoutes: FastifyPluginAsync<FaceRoutesOptions> = async (app, options) => {
  const { devices, engine, hotpath, clock } = options;
  const captures = new Map<string, { descriptor: FaceDescriptor; at: number }>();
  const keep = (descriptor: FaceDescriptor): string => {
    const now = clock.monotonic();
    for (const [id, kept] of captures) if (now - kept.at > KEPT_CAPTURE_MS) captures.delete(id);
    while (captures.size >= KEPT_CAPTURES) {
      const oldest = captures.keys().next().value;
      if (oldest === undefined) break;
      captures.delete(oldest);
    }
    const id = randomUUID();
    captures.set(id, { descriptor, at: now });
    return id;
  };
  const lives = options.lives ?? (hotpath === undefined ? undefined : new LivePortraits(engine, hotpath));
  app.addHook('onClose', async () => {
    await lives?.stop();
    captures.clear();
  });
  // The open feedback streams end before the server stops taking connections, or they would hold it.
  const liveStreams = new Set<{ end(): unknown }>();
  app.addHook('preClose', async () => {
    for (const out of [...liveStreams]) out.end();
    liveStreams.clear();
  });

  const cameraOf = (id: string, reply: FastifyReply): CameraDevice | undefined => {
    const device = devices.find((d) => d.id === id);
    if (device === undefined) {
      void fail(reply, 404, 'DEVICE_NOT_FOUND', `No device ${id}`);
      return undefined;
    }
    if (!(device instanceof CameraDevice)) {
      void fail(reply, 400, 'NOT_A_CAMERA', `Device ${id} is a ${device.family}, not a camera`);
      return undefined;
    }
    if (hotpath === undefined) {
      void fail(reply, 503, 'PORTRAIT_UNAVAILABLE', 'This station runs no image workers (hot path)');
      return undefined;
    }
    return device;
  };

  app.post<{ Params: { id: string }; Body: { force?: boolean; maxBytes?: number } | undefined }>(
    '/devices/:id/portrait',
    {
      schema: {
        tags: ['faces'],
        summary: 'Capture a portrait from a camera: checks, officer feedback, chip portrait, ICAO capture',
        params: CAMERA_PARAMS,
        querystring: NO_QUERY,
        response: responses({ 200: PORTRAIT_ANSWER }),
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            force: { type: 'boolean' },
            maxBytes: { type: 'integer', minimum: 4_000, maximum: 200_000 },
          },
        },
      },
    },
    async (request, reply) => {
      const camera = cameraOf(request.params.id, reply);
      if (camera === undefined || hotpath === undefined) return reply;
      const abort = new AbortController();
      request.raw.on('close', () => {
        if (!reply.sent) abort.abort();
      });
      let frame = camera.latestFrame();
      if (frame === undefined) {
        const state = camera.state();
        if (state.status !== 'ready' && state.status !== 'opening')
          return fail(reply, 503, 'CAMERA_NOT_READY', `The camera is ${state.status}`);
        const waiting = AbortSignal.any([abort.signal, AbortSignal.timeout(FIRST_FRAME_WAIT_MS)]);
        try {
          for await (const next of camera.frames(waiting)) {
            frame = next;
            break;
          }
        } catch {
          frame = undefined;
        }
        if (frame === undefined)
          return fail(
            reply,
            503,
            'CAMERA_NOT_READY',
            `No frame from the camera within ${FIRST_FRAME_WAIT_MS} ms`,
          );
      }
      let capture: PortraitCapture;
      try {
        capture = await capturePortrait(frame.jpeg, () => engine.get(), hotpath, {
          force: request.body?.force === true,
          ...(request.body?.maxBytes === undefined
            ? {}
            : { cardPortrait: { maxBytes: request.body.maxBytes } }),
          signal: abort.signal,
        });
      } catch (error) {
        return failWith(reply, error);
      }
      if (capture.status === 'unreadable')
        return fail(
          reply,
          502,
          'CAMERA_FRAME_UNREADABLE',
          `The camera's frame does not decode: ${capture.error.message}`,
        );
      const descriptor = capture.face?.descriptor;
      return {
        ...portraitAnswer(capture, descriptor === undefined ? null : keep(descriptor)),
        frame: { sequence: frame.sequence, timestampMs: frame.timestampMs },
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/devices/:id/portrait/live',
    {
      schema: {
        tags: ['streams'],
        summary: "Live portrait feedback on a camera's frames, one `assessment` event per checked frame",
        params: CAMERA_PARAMS,
        querystring: NO_QUERY,
        response: responses({
          200: eventStream('`event: assessment` with the feedback (vi, en) and measures of one frame'),
        }),
      },
    },
    async (request, reply) => {
      const camera = cameraOf(request.params.id, reply);
      if (camera === undefined || lives === undefined) return reply;
      const live = lives.of(camera, (message) => request.log.warn({ camera: camera.id }, message));
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      out.write(': live portrait feedback, one event per checked frame\n\n');
      const send = (assessment: LiveAssessment) => {
        // Never queue behind a slow client: a frame it cannot take now is skipped.
        if (out.writableNeedDrain) return;
        out.write(`event: assessment\ndata: ${JSON.stringify(assessment)}\n\n`);
      };
      const unsubscribe = live.subscribe(send);
      liveStreams.add(out);
      request.raw.on('close', () => {
        liveStreams.delete(out);
        unsubscribe();
        out.end();
      });
    },
  );

  app.post<{
    Body: { a: { captureId?: string; image?: string }; b: { captureId?: string; image?: string } };
  }>(
    '/faces/compare',
    {
      bodyLimit: Math.ceil((MAX_FACE_IMAGE_BYTES * 8) / 3) + 4096,
      schema: {
        tags: ['faces'],
        summary: 'Advisory 1:1 face comparison of two images or kept captures',
        querystring: NO_QUERY,
        response: responses({
          200: openObject(
            '`compared: true` with the decision, distance, threshold and engine; or `compared: false` with the status and message (vi, en)',
            { compared: { type: 'boolean' } },
          ),
        }),
        body: {
          type: 'object',
          required: ['a', 'b'],
          additionalProperties: false,
          properties: { a: imageSide, b: imageSide },
        },
      },
    },
    async (request, reply) => {
      const sides = { a: request.body.a, b: request.body.b };
      const descriptors: Partial<Record<'a' | 'b', FaceDescriptor>> = {};
      const found: Record<string, unknown> = {};
      try {
        for (const name of ['a', 'b'] as const) {
          const side = sides[name];
          if (side.captureId !== undefined) {
            const kept = captures.get(side.captureId);
            if (kept === undefined)
              return fail(
                reply,
                404,
                'FACE_CAPTURE_UNKNOWN',
                `No capture ${side.captureId} here (captures are kept ${KEPT_CAPTURE_MS / 60_000} minutes): capture again`,
              );
            descriptors[name] = kept.descriptor;
            found[name] = { source: 'capture', captureId: side.captureId };
            continue;
          }
          const bytes = new Uint8Array(Buffer.from(side.image ?? '', 'base64'));
          const decoded = await decodeAnyPortrait(bytes);
          if (!decoded.ok)
            return fail(
              reply,
              422,
              decoded.error.code,
              `Image ${name} does not decode: ${decoded.error.message}`,
            );
          const faces = singleFace(
            await (await engine.get()).analyze(decoded.value, { detector: 'ssd', fallback: 'tiny' }),
          );
          if (faces.status !== 'one-face')
            return reply.code(200).send({
              compared: false,
              status: faces.status,
              image: name,
              message:
                faces.status === 'no-face'
                  ? {
                      vi: `Không tìm thấy khuôn mặt trong ảnh ${name}.`,
                      en: `No face found in image ${name}.`,
                    }
                  : {
                      vi: `Ảnh ${name} có nhiều hơn một khuôn mặt.`,
                      en: `Image ${name} holds more than one face.`,
                    },
            });
          descriptors[name] = faces.face.descriptor;
          found[name] = { source: 'image', box: faces.face.box, score: faces.face.score };
        }
        const { a, b } = descriptors;
        if (a === undefined || b === undefined) throw new Error('both descriptors are set above');
        const comparison: FaceComparison = (await engine.get()).compare(a, b);
        return {
          compared: true,
          ...comparison,
          a: found.a,
          b: found.b,
          note: {
            vi: 'Kết quả chỉ mang tính tham khảo, người có thẩm quyền quyết định; chưa phát hiện được ảnh in hay màn hình đưa trước máy ảnh.',
            en: 'Advisory only: an officer decides. A printed photo or a screen held to the camera is not detected.',
          },
        };
      } catch (error) {
        return failWith(reply, error);
      }
    },
  );
};
