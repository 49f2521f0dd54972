/**
 * The live streams over a real socket (127.0.0.1, an ephemeral port), on a small app with a stand-in
 * uploader whose events the test makes: order, a reader that stops reading, and hang-ups.
 */
import type { AddressInfo } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorAnswers } from '../../../station/http-errors.ts';
import { streamRoutes } from '../../../station/plugins/streams.ts';
import { CaptureTap } from '../../../station/streams/capture-tap.ts';
import type { Uploader, UploaderEvent } from '../../../station/uploader/index.ts';
import { SseClient } from '../../support/sse-client.ts';
import { ManualClock } from '../../support/station.ts';

/** An uploader stand-in: the test emits its events; it counts its listeners. */
class FakeUploader {
  readonly listeners = new Set<(event: UploaderEvent) => void>();
  snapshot(): ReturnType<Uploader['snapshot']> {
    // The streams pass the snapshot on as it is; its fields do not matter here.
    return { running: true } as unknown as ReturnType<Uploader['snapshot']>;
  }
  subscribe(listener: (event: UploaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: UploaderEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

const progress = (packetId: string, bytesSent: number, pad = ''): UploaderEvent =>
  ({ type: 'progress', packetId, bytesSent, bytesTotal: 1_000_000, pad }) as UploaderEvent;

const apps: FastifyInstance[] = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()?.close();
});

async function start(
  options: {
    maxPending?: number;
    maxClients?: number;
    stillAllowed?: (request: FastifyRequest) => Promise<boolean>;
  } = {},
) {
  const uploader = new FakeUploader();
  const app = Fastify({ logger: false });
  installErrorAnswers(app);
  await app.register(streamRoutes, {
    devices: [],
    clock: new ManualClock(),
    captures: new CaptureTap(),
    uploader,
    ...(options.maxClients === undefined ? {} : { maxClients: options.maxClients }),
    ...(options.stillAllowed === undefined ? {} : { stillAllowed: options.stillAllowed, recheckMs: 50 }),
    channel: { maxPending: options.maxPending ?? 8 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push(app);
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const streams = async () =>
    (await app.inject({ url: '/streams' })).json() as {
      streams: {
        path: string;
        sent: number;
        dropped: number;
        pending: number;
        bufferedBytes: number;
        maxBufferedBytes: number;
        highWaterMark: number;
      }[];
    };
  return { app, base, uploader, streams };
}

describe('GET /streams/outbox over HTTP', () => {
  it('sends the state first, then every event in the order the uploader reported it', async () => {
    const { base, uploader } = await start();
    const client = await SseClient.open(base, '/streams/outbox');
    expect(client.status).toBe(200);
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect((await client.next()).event).toBe('state');
    for (let i = 0; i < 40; i++) uploader.emit(progress(`pkt-${i % 5}`, i));
    uploader.emit({
      type: 'dead-lettered',
      packetId: 'pkt-1',
      code: 'X',
      reason: 'test',
    } as unknown as UploaderEvent);
    await client.until((events) => events.length === 42);
    const seen = client.events.slice(1, 41).map((e) => (e.data as { bytesSent: number }).bytesSent);
    expect(seen).toEqual([...Array(40).keys()]);
    expect(client.events[41]?.event).toBe('dead-lettered');
    // Ids count up by one: nothing was dropped for a reader that keeps up.
    expect(client.events.map((e) => e.id)).toEqual([...Array(42).keys()].map((i) => i + 1));
    client.close();
  });

  it('drops events for a reader that stopped reading; the bytes the server holds stay bounded', async () => {
    const { base, uploader, streams } = await start({ maxPending: 8 });
    const client = await SseClient.open(base, '/streams/outbox');
    await client.next('state');
    client.res.pause();
    // 160 MB of events for 8000 packets, far more than the loopback socket's buffers take (Linux
    // lets them grow to tcp_rmem + tcp_wmem, 36 MB by default).
    const pad = 'x'.repeat(20_000);
    for (let i = 0; i < 8000; i++) {
      uploader.emit(progress(`pkt-${i}`, i, pad));
      if (i % 50 === 49) await tick();
    }
    const [stream] = (await streams()).streams;
    expect(stream?.path).toBe('/streams/outbox');
    expect(stream?.dropped).toBeGreaterThan(4000);
    expect(stream?.pending).toBeLessThanOrEqual(8);
    // The response's buffer: at most its high-water mark plus the one event that crossed it, not
    // the 160 MB offered.
    const bound = (stream?.highWaterMark ?? 0) + 21_000;
    expect(stream?.highWaterMark).toBeGreaterThan(0);
    expect(stream?.highWaterMark).toBeLessThanOrEqual(256 * 1024);
    expect(stream?.maxBufferedBytes).toBeLessThan(bound);
    expect(stream?.bufferedBytes).toBeLessThan(bound);

    // Read again: the client hears how many were dropped, and the newest events arrive in order.
    client.res.resume();
    await client.until((events) => events.some((e) => (e.data as { bytesSent?: number }).bytesSent === 7999));
    // Each drop notice gives the total so far; the last one, every event that was dropped.
    const notices = client.events
      .filter((e) => e.event === 'dropped')
      .map((e) => (e.data as { dropped: number }).dropped);
    expect(notices).toEqual([...notices].sort((a, b) => a - b));
    expect(notices.at(-1)).toBe(stream?.dropped);
    const sent = client.events
      .filter((e) => e.event === 'progress')
      .map((e) => (e.data as { bytesSent: number }).bytesSent);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(sent.slice(-8)).toEqual([7992, 7993, 7994, 7995, 7996, 7997, 7998, 7999]);
    client.close();
  });

  it('lets go of the uploader when the client hangs up', async () => {
    const { base, uploader, streams } = await start();
    const clients = await Promise.all([0, 1, 2].map(() => SseClient.open(base, '/streams/outbox')));
    await Promise.all(clients.map((c) => c.next('state')));
    expect(uploader.listeners.size).toBe(3);
    expect((await streams()).streams).toHaveLength(3);
    clients[0]?.close();
    clients[1]?.close();
    for (let i = 0; i < 100 && uploader.listeners.size > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(uploader.listeners.size).toBe(1);
    expect((await streams()).streams).toHaveLength(1);
    clients[2]?.close();
  });

  it('ends a stream whose session locked or ended, and keeps the others', async () => {
    // Sessions by the cookie the stream was opened with; the test locks one of them.
    const active = new Set(['session=a', 'session=b']);
    const started = await start({
      stillAllowed: async (request) => active.has(String(request.headers.cookie)),
    });
    const a = await SseClient.open(started.base, '/streams/outbox', { cookie: 'session=a' });
    const b = await SseClient.open(started.base, '/streams/outbox', { cookie: 'session=b' });
    await Promise.all([a.next('state'), b.next('state')]);
    active.delete('session=a');
    const ended = await a.next('ended', 5000);
    expect(ended.data).toEqual({ reason: 'session-ended' });
    await a.until(() => a.ended, 5000).catch(() => undefined);
    // The other stream still gets its events.
    started.uploader.emit(progress('pkt-b', 1));
    await b.next('progress', 5000);
    expect((await started.streams()).streams).toHaveLength(1);
    b.close();
  });

  it('ends open streams when the app closes, and refuses one too many with STREAMS_BUSY', async () => {
    const { app, base, uploader } = await start({ maxClients: 2 });
    const a = await SseClient.open(base, '/streams/outbox');
    const b = await SseClient.open(base, '/streams/outbox');
    await Promise.all([a.next('state'), b.next('state')]);
    const refused = await SseClient.open(base, '/streams/outbox');
    expect(refused.status).toBe(503);
    await refused.until(() => refused.ended);
    refused.close();
    const started = Date.now();
    await app.close();
    apps.length = 0;
    await a.until(() => a.ended, 5000);
    await b.until(() => b.ended, 5000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(uploader.listeners.size).toBe(0);
  });
});
