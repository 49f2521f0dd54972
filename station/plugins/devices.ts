/**
 * The devices route: what is attached, and a fingerprint capture on demand. It is the minimal
 * surface testers and the CLI use until the enrollment workflow drives capture itself.
 *
 *   GET  /devices                      every device with its state (and a scanner's description)
 *   GET  /devices/leases               which session holds which device (officer, purpose, since)
 *   GET  /devices/:id                  one device
 *   POST /devices/:id/capture          { mode, timeoutMs?, format? } captures one image
 *   GET  /devices/:id/frame            a camera's newest JPEG (camera.ts)
 *   GET  /devices/:id/preview          a camera's MJPEG preview stream (camera.ts)
 *
 * A capture answers JSON (the image as base64 PNG with its metadata and SHA-256) or, with
 * `format: "png"`, the PNG itself with the metadata in X-Capture-* headers. Driver failures map to
 * HTTP codes by their stable `code`; the body is always `{ error: { code, message } }`. A client
 * that hangs up cancels the capture on the device.
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { CameraDevice } from '../../drivers/camera/camera.ts';
import type { Device } from '../../drivers/device.ts';
import { DriverError } from '../../drivers/errors.ts';
import { type CapturedImage, isFingerprintScanner } from '../../drivers/fingerprint/scanner.ts';
import { CAPTURE_MODES, MAX_CAPTURE_TIMEOUT_MS } from '../../protocol/scanner/commands.ts';
import { idParams, NO_QUERY, openObject, openObjectOrNull, responses } from '../api-schema.ts';
import { type DeviceLeases, leaseForRequest } from '../devices/leases.ts';
import { encodeGreyPng } from '../imaging/grey-image.ts';
import { describeCamera, registerCameraRoutes } from './camera.ts';

export interface DevicesOptions {
  readonly devices: readonly Device[];
  /** The station's device leases: a capture holds its scanner (409 DEVICE_IN_USE for another session). */
  readonly leases?: DeviceLeases;
}

/** HTTP status per driver error code: the client's fault, the device's state, or the device's fault. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  DEVICE_BUSY: 409,
  DEVICE_CANCELED: 499,
  DEVICE_REPORTED_ERROR: 422,
  DEVICE_TIMEOUT: 504,
  DEVICE_DISCONNECTED: 503,
  DEVICE_UNAVAILABLE: 503,
  DEVICE_NOT_FOUND: 503,
  DEVICE_PERMISSION_DENIED: 503,
  DEVICE_PROTOCOL: 502,
  DEVICE_INTEGRITY: 502,
  DEVICE_UNTRUSTED: 502,
};

/** A device as the API and the CLI show it: identity, state, and a scanner's or camera's description. */
export function describeDevice(device: Device) {
  return {
    id: device.id,
    family: device.family,
    mode: device.mode,
    state: device.state(),
    ...(isFingerprintScanner(device) ? { scanner: device.describe() ?? null } : {}),
    ...(device instanceof CameraDevice ? { camera: describeCamera(device) } : {}),
  };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * What a capture says about its image, besides the pixels: the API's capture answer and header, and
 * the CLI's `scanner capture` output in both modes, so they always carry the same fields.
 */
export function imageMetadata(image: CapturedImage) {
  return {
    mode: image.mode,
    width: image.width,
    height: image.height,
    ppi: image.ppi,
    use: image.use,
    device: image.device,
    sha256: createHash('sha256').update(image.pixels).digest('hex'),
    attestation: image.attestation
      ? {
          nonce: hex(image.attestation.nonce),
          signature: hex(image.attestation.signature),
          certificateSubject: image.attestation.certificateSubject,
        }
      : null,
  };
}

const captureBody = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: { type: 'string', enum: CAPTURE_MODES },
    timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_CAPTURE_TIMEOUT_MS, default: 10_000 },
    format: { type: 'string', enum: ['json', 'png'], default: 'json' },
  },
} as const;

/** A device id in a path (`scanner-hid`, `camera`); an unknown one answers 404 DEVICE_NOT_FOUND. */
export const DEVICE_ID = {
  type: 'string',
  minLength: 1,
  maxLength: 100,
  description: 'a device id from GET /devices',
} as const;
export const DEVICE_PARAMS = idParams(DEVICE_ID);

/** A device as GET /devices shows it (its state and a scanner's or camera's description). */
export const DEVICE_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'family', 'mode', 'state'],
  properties: {
    id: { type: 'string' },
    family: { type: 'string' },
    mode: { type: 'string', enum: ['simulated', 'hardware'] },
    state: openObject('`status` (ready, opening, disconnected, error, ...) and its details', {
      status: { type: 'string' },
    }),
    scanner: openObjectOrNull("a fingerprint scanner's description (null before it answered)"),
    camera: openObject("a camera's settings and counters"),
  },
} as const;

const CAPTURE_ANSWER = {
  type: 'object',
  additionalProperties: true,
  required: ['image', 'statuses', 'previews'],
  properties: {
    image: openObject(
      'the image metadata (mode, width, height, ppi, use, device, sha256, attestation) and `png` in base64',
      {
        png: { type: 'string', contentEncoding: 'base64' },
      },
    ),
    statuses: { type: 'array', items: { type: 'string' } },
    previews: { type: 'integer' },
  },
} as const;

interface CaptureBody {
  mode: (typeof CAPTURE_MODES)[number];
  timeoutMs: number;
  format: 'json' | 'png';
}

export const deviceRoutes: FastifyPluginAsync<DevicesOptions> = async (app, options) => {
  const { devices } = options;
  const byId = new Map(devices.map((d) => [d.id, d]));

  const notFound = (id: string) => ({
    error: {
      code: 'DEVICE_NOT_FOUND',
      message: `No device '${id}'; devices: ${[...byId.keys()].join(', ') || 'none'}`,
    },
  });

  app.get(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Every device with its state, and a scanner or camera description',
        querystring: NO_QUERY,
        response: responses({
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['devices'],
            properties: { devices: { type: 'array', items: DEVICE_SCHEMA } },
          },
        }),
      },
    },
    async () => ({ devices: devices.map(describeDevice) }),
  );

  // Which session holds which device (station/devices/leases.ts): officer, purpose, since.
  app.get(
    '/devices/leases',
    {
      schema: {
        tags: ['devices'],
        summary: 'Which workflow session holds which device: officer, purpose, since',
        querystring: NO_QUERY,
        response: responses({
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['leases'],
            properties: {
              leases: { type: 'array', items: openObject('one lease: device, holder, purpose, since') },
            },
          },
        }),
      },
    },
    async () => ({ leases: options.leases?.list() ?? [] }),
  );

  app.get<{ Params: { id: string } }>(
    '/devices/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'One device with its state',
        params: DEVICE_PARAMS,
        querystring: NO_QUERY,
        response: responses({ 200: DEVICE_SCHEMA }),
      },
    },
    async (request, reply) => {
      const device = byId.get(request.params.id);
      if (!device) return reply.code(404).send(notFound(request.params.id));
      return describeDevice(device);
    },
  );

  registerCameraRoutes(app, byId, notFound);

  app.post<{ Params: { id: string }; Body: CaptureBody }>(
    '/devices/:id/capture',
    {
      schema: {
        tags: ['devices'],
        summary: 'Capture one fingerprint image (JSON with a base64 PNG, or the PNG itself)',
        params: DEVICE_PARAMS,
        querystring: NO_QUERY,
        body: captureBody,
        response: responses({
          200: {
            description:
              'the capture: JSON, or with `format: "png"` the PNG and an X-Capture-Metadata header',
            content: {
              'application/json': { schema: CAPTURE_ANSWER },
              'image/png': { schema: { type: 'string', format: 'binary' } },
            },
          },
        }),
      },
    },
    async (request, reply) => {
      const device = byId.get(request.params.id);
      if (!device) return reply.code(404).send(notFound(request.params.id));
      if (!isFingerprintScanner(device))
        return reply.code(400).send({
          error: {
            code: 'NOT_A_SCANNER',
            message: `Device '${device.id}' (${device.family}) cannot capture`,
          },
        });
      const { mode, timeoutMs, format } = request.body;
      const lease = leaseForRequest(options.leases, request, reply, [device.id], 'device.capture');
      if (lease === undefined) return reply;
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableEnded) abort.abort();
      };
      reply.raw.once('close', onClose);
      const statuses: string[] = [];
      let previews = 0;
      try {
        const signal = AbortSignal.any([abort.signal, lease.signal]);
        for await (const event of device.capture({ mode, timeoutMs, signal })) {
          if (event.type === 'status') statuses.push(event.status);
          else if (event.type === 'preview') previews++;
          else {
            const image = event.image;
            const png = await encodeGreyPng(image, image.ppi);
            const metadata = imageMetadata(image);
            request.log.info(
              { device: device.id, mode, width: image.width, height: image.height, sha256: metadata.sha256 },
              'fingerprint captured',
            );
            if (format === 'png') {
              return reply
                .header('content-type', 'image/png')
                .header('x-capture-metadata', JSON.stringify(metadata))
                .send(Buffer.from(png));
            }
            return { image: { ...metadata, png: Buffer.from(png).toString('base64') }, statuses, previews };
          }
        }
        throw new Error(`scanner ${device.id} ended a capture without a result`);
      } catch (error) {
        if (!(error instanceof DriverError)) throw error;
        request.log.warn({ device: device.id, mode, code: error.code, err: error }, 'capture failed');
        return reply.code(STATUS_OF_CODE[error.code] ?? 500).send({
          error: {
            code: error.code,
            message: error.message,
            ...('deviceCode' in error ? { deviceCode: error.deviceCode } : {}),
          },
        });
      } finally {
        reply.raw.off('close', onClose);
        lease.release();
      }
    },
  );
};
