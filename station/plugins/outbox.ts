/**
 * Store-and-forward over HTTP (issue 18): what the officer's screen and `station outbox ...` use.
 *
 *   GET  /outbox                      stats (waiting, days offline, disk left), uploader state, packets
 *                                     (?state=queued|uploading|acknowledged|dead-letter, ?limit=1..10000)
 *   GET  /outbox/accept               may a new enrollment start? (disk, waiting packets, days offline)
 *   GET  /outbox/events               server-sent events: progress, acknowledged, dead-lettered, problem, state
 *                                     (streams/sse.ts: a slow reader gets the newest of each, never a backlog)
 *   GET  /outbox/:packetId            one packet: state, digest, upload URL, receipt (as central signed it)
 *   POST /outbox/:packetId/retry      a dead-lettered packet back to the queue, or a waiting one now
 *   POST /outbox/probe                offline: ask central now, not after the back-off (network back)
 *   POST /outbox/export               { folder, packetIds? } waiting packets to removable media
 *   POST /outbox/import               { folder } central's statements back from removable media
 *   GET  /central/packets/:packetId/status   central's production status of a packet
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { PinnedStatementKey, StatementExpectation } from '../../protocol/central/statement.ts';
import { peekStatement, verifyStatement } from '../../protocol/central/statement.ts';
import type { SignatureCheck } from '../../protocol/icao9303/pa.ts';
import {
  ERROR_SCHEMA,
  eventStream,
  idParams,
  NO_BODY,
  NO_QUERY,
  openObject,
  responses,
} from '../api-schema.ts';
import type { Clock } from '../clock.ts';
import { type Outbox, OutboxError, type OutboxState } from '../outbox/outbox.ts';
import { exportToFolder, importReceipts, RemovableMediaError } from '../outbox/removable.ts';
import { uploaderEventKey } from '../streams/outbox-events.ts';
import { openEventStream, type SseChannel } from '../streams/sse.ts';
import type { Uploader } from '../uploader/index.ts';

export interface OutboxRoutesOptions {
  readonly outbox: Outbox;
  readonly uploader: Pick<Uploader, 'snapshot' | 'subscribe' | 'wake' | 'probeNow'>;
  readonly clock: Clock;
  readonly stationId: string;
  readonly environment: string;
  readonly statementKeys: readonly PinnedStatementKey[];
  readonly verifySignature: (check: SignatureCheck) => Promise<boolean>;
  /** Central's answer to GET /v1/packets/{id}/status, through the station's mutual TLS. */
  readonly centralStatus: (packetId: string) => Promise<{ status: number; body: Uint8Array }>;
}

const STATES: readonly OutboxState[] = ['queued', 'uploading', 'acknowledged', 'dead-letter'];
const PACKET_ID = '^[A-Za-z0-9-]{1,64}$';

const PACKET_PARAMS = idParams({ type: 'string', pattern: PACKET_ID }, 'packetId');
const ENTRY = openObject('an outbox entry: packetId, state, digest, sizes, attempts, times', {
  packetId: { type: 'string' },
  state: { type: 'string', enum: [...STATES] },
});

/** The schema parts of an outbox route: its tag, summary, no query unless given, and its answers. */
function doc(summary: string, ok: Record<string, unknown>) {
  return { tags: ['outbox'], summary, querystring: NO_QUERY, response: responses(ok) };
}

const OUTBOX_STATUS: Readonly<Record<string, number>> = {
  OUTBOX_UNKNOWN_PACKET: 404,
  OUTBOX_WRONG_STATE: 409,
  OUTBOX_BAD_PACKET_ID: 400,
};

function sendOutboxError(reply: FastifyReply, error: unknown) {
  if (error instanceof OutboxError)
    return reply
      .code(OUTBOX_STATUS[error.code] ?? 422)
      .send({ error: { code: error.code, message: error.message } });
  if (error instanceof RemovableMediaError)
    return reply
      .code(422)
      .send({ error: { code: error.code, message: error.message, folder: error.folder } });
  throw error;
}

export function outboxRoutes(options: OutboxRoutesOptions): FastifyPluginAsync {
  const { outbox, uploader, clock } = options;
  const verify = (bytes: Uint8Array, expect: StatementExpectation) =>
    verifyStatement(bytes, {
      pinned: options.statementKeys,
      expect,
      verifySignature: options.verifySignature,
    });

  return async (app: FastifyInstance) => {
    const streams = new Set<SseChannel>();
    // Before the server stops taking connections: an open stream would otherwise hold it open.
    app.addHook('preClose', async () => {
      for (const channel of [...streams]) channel.close();
    });
    app.get(
      '/outbox',
      {
        schema: {
          ...doc('Packets waiting, sent and refused; the uploader; the offline limits', {
            200: {
              type: 'object',
              additionalProperties: true,
              required: ['stats', 'uploader', 'total', 'packets'],
              properties: {
                stats: openObject('waiting packets, days offline, disk left'),
                uploader: openObject("the uploader's state"),
                quarantined: { type: 'array', items: openObject('a file the outbox set aside') },
                total: { type: 'integer' },
                packets: { type: 'array', items: ENTRY },
              },
            },
          }),
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              state: { type: 'string', enum: [...STATES] },
              limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 200 },
            },
          },
        },
      },
      async (request) => {
        const { state, limit } = request.query as { state?: OutboxState; limit: number };
        const all = outbox.list().filter((entry) => state === undefined || entry.state === state);
        // Newest first: what the officer just sealed is what they look for.
        all.sort((a, b) => b.enqueuedAt - a.enqueuedAt);
        return {
          stats: await outbox.stats(),
          uploader: uploader.snapshot(),
          quarantined: outbox.quarantined(),
          total: all.length,
          packets: all.slice(0, limit),
        };
      },
    );

    app.get(
      '/outbox/accept',
      {
        schema: doc('May a new enrollment start? (disk, waiting packets, days offline)', {
          200: openObject('`ok` and, when not, the reasons in Vietnamese and English', {
            ok: { type: 'boolean' },
          }),
        }),
      },
      async () => outbox.canAccept(),
    );

    app.get(
      '/outbox/events',
      {
        schema: doc(
          "The uploader's events as they happen; a slow reader gets the newest of each kind (as /streams/outbox)",
          {
            200: eventStream(
              '`state` first, then progress, acknowledged, dead-lettered, problem and state events',
            ),
          },
        ),
      },
      async (request, reply) => {
        let unsubscribe = () => {};
        const channel = openEventStream(reply, {
          onClose: () => {
            streams.delete(channel);
            unsubscribe();
          },
        });
        streams.add(channel);
        channel.push('state', { type: 'state', state: uploader.snapshot() });
        unsubscribe = uploader.subscribe((event) => channel.push(event.type, event, uploaderEventKey(event)));
        request.log.debug('outbox events stream opened');
        return reply;
      },
    );

    app.get<{ Params: { packetId: string } }>(
      '/outbox/:packetId',
      {
        schema: {
          ...doc('One packet: state, digest, upload URL, and the receipt as central signed it', {
            200: openObject('the entry, its upload URL while waiting, its receipt once acknowledged', {
              entry: ENTRY,
            }),
          }),
          params: PACKET_PARAMS,
        },
      },
      async (request, reply) => {
        const entry = outbox.entry(request.params.packetId);
        if (entry === undefined)
          return sendOutboxError(
            reply,
            new OutboxError('OUTBOX_UNKNOWN_PACKET', `the outbox holds no packet ${request.params.packetId}`),
          );
        let receipt: unknown;
        if (entry.state === 'acknowledged') {
          const bytes = await outbox.receipt(entry.packetId);
          receipt = { statement: peekStatement(bytes), jws: new TextDecoder().decode(bytes) };
        }
        const uploadUrl =
          entry.state === 'queued' || entry.state === 'uploading'
            ? await outbox.uploadUrl(entry.packetId)
            : undefined;
        return {
          entry,
          ...(uploadUrl === undefined ? {} : { uploadUrl }),
          ...(receipt === undefined ? {} : { receipt }),
        };
      },
    );

    app.post<{ Params: { packetId: string } }>(
      '/outbox/:packetId/retry',
      {
        schema: {
          ...doc('Send a dead-lettered packet again, or a waiting one now', {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['entry'],
              properties: { entry: ENTRY },
            },
          }),
          params: PACKET_PARAMS,
          body: NO_BODY,
        },
      },
      async (request, reply) => {
        try {
          const entry = await outbox.retry(request.params.packetId);
          uploader.wake();
          request.log.info({ packetId: entry.packetId }, 'outbox packet sent again on request');
          return { entry };
        } catch (error) {
          return sendOutboxError(reply, error);
        }
      },
    );

    app.post(
      '/outbox/probe',
      {
        schema: {
          ...doc("Ask central now whether it answers, instead of after the uploader's back-off", {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['uploader'],
              properties: {
                uploader: openObject("the uploader's state when asked (the answer comes as events)"),
              },
            },
          }),
          body: NO_BODY,
        },
      },
      async (request) => {
        uploader.probeNow();
        uploader.wake();
        request.log.info('central probed now on request');
        return { uploader: uploader.snapshot() };
      },
    );

    app.post(
      '/outbox/export',
      {
        schema: {
          ...doc('Write waiting packets to removable media', {
            200: openObject('the folder written and its manifest'),
          }),
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['folder'],
            properties: {
              folder: { type: 'string', minLength: 1, maxLength: 4096 },
              packetIds: { type: 'array', maxItems: 10_000, items: { type: 'string', pattern: PACKET_ID } },
            },
          },
        },
      },
      async (request, reply) => {
        const { folder, packetIds } = request.body as { folder: string; packetIds?: string[] };
        try {
          const result = await exportToFolder(outbox, folder, {
            stationId: options.stationId,
            environment: options.environment,
            now: clock.now(),
            ...(packetIds === undefined ? {} : { packetIds }),
          });
          request.log.info(
            { folder: result.folder, packets: result.manifest.packets.length },
            'outbox exported',
          );
          return result;
        } catch (error) {
          return sendOutboxError(reply, error);
        }
      },
    );

    app.post(
      '/outbox/import',
      {
        schema: {
          ...doc("Take central's statements back from removable media", {
            200: openObject('counts by outcome and a report per file', {
              acknowledged: { type: 'integer' },
              deadLettered: { type: 'integer' },
              alreadyAcknowledged: { type: 'integer' },
              refused: { type: 'integer' },
            }),
          }),
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['folder'],
            properties: { folder: { type: 'string', minLength: 1, maxLength: 4096 } },
          },
        },
      },
      async (request, reply) => {
        const { folder } = request.body as { folder: string };
        try {
          const reports = await importReceipts(outbox, folder, {
            verify,
            stationId: options.stationId,
            environment: options.environment,
          });
          const count = (outcome: string) => reports.filter((r) => r.outcome === outcome).length;
          request.log.info({ folder, files: reports.length }, 'receipts imported');
          return {
            acknowledged: count('acknowledged'),
            deadLettered: count('dead-lettered'),
            alreadyAcknowledged: count('already-acknowledged'),
            refused: count('refused'),
            reports,
          };
        } catch (error) {
          return sendOutboxError(reply, error);
        }
      },
    );

    app.get<{ Params: { packetId: string } }>(
      '/central/packets/:packetId/status',
      {
        schema: {
          tags: ['outbox'],
          summary: "Central's production status of a packet, as central answers it",
          querystring: NO_QUERY,
          params: PACKET_PARAMS,
          response: {
            200: openObject("central's answer"),
            // Central's own refusal is passed on under `error`, in central's shape.
            404: {
              type: 'object',
              additionalProperties: true,
              required: ['error'],
              properties: { error: openObject("central's refusal") },
            },
            '4xx': ERROR_SCHEMA,
            502: openObject(
              "CENTRAL_UNREACHABLE, CENTRAL_ANSWER_INVALID, or central's refusal passed on under `error`",
              { error: openObject('code and message') },
            ),
            '5xx': ERROR_SCHEMA,
          },
        },
      },
      async (request, reply) => {
        let answer: { status: number; body: Uint8Array };
        try {
          answer = await options.centralStatus(request.params.packetId);
        } catch (error) {
          return reply.code(502).send({
            error: {
              code: 'CENTRAL_UNREACHABLE',
              message: `Không liên lạc được với trung tâm / central cannot be reached: ${error instanceof Error ? error.message : String(error)}`,
            },
          });
        }
        let body: unknown;
        try {
          body = JSON.parse(new TextDecoder().decode(answer.body));
        } catch {
          return reply.code(502).send({
            error: {
              code: 'CENTRAL_ANSWER_INVALID',
              message: `central answered HTTP ${answer.status} without JSON`,
            },
          });
        }
        if (answer.status === 200) return body;
        return reply.code(answer.status === 404 ? 404 : 502).send({ error: body });
      },
    );
  };
}
