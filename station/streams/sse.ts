/**
 * One server-sent events client, written so that a slow client costs the station a bounded amount of
 * memory, whatever the rate of events:
 *
 * - An event is written at once while the socket keeps up. Once a write returns false (the socket's
 *   buffer is above its high-water mark), nothing more is written until 'drain'.
 * - Meanwhile events wait in a small map keyed by what they are about (`preview`, `state:camera`,
 *   `progress:<packetId>`): a newer event of the same key replaces the waiting one (latest wins), and
 *   when more than `maxPending` keys wait, the oldest goes. Either way it is counted as dropped, and
 *   the client is told with a `dropped` event (the total so far) before the next one it gets.
 * - Every event carries an `id:`, one more than the last written to this client.
 *
 * So the memory held per client is the response's high-water mark plus one event, plus at most
 * `maxPending` waiting events.
 */

import type { FastifyReply } from 'fastify';

/** What the channel needs of the response (node's ServerResponse has it). */
export interface SseSink {
  write(chunk: string): boolean;
  end(): unknown;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  readonly writableLength: number;
  readonly writableHighWaterMark: number;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

export interface SseOptions {
  /** Most distinct keys that wait for a slow client (default 16). */
  readonly maxPending?: number;
  /** A comment line after this long without a write keeps proxies from closing the stream, ms (default 15 000). */
  readonly keepAliveMs?: number;
  /** Told once when the channel closes (the client left, or `close()`). */
  readonly onClose?: () => void;
}

export interface SseStats {
  /** Events written to the socket (the `dropped` notices not counted). */
  readonly sent: number;
  /** Events replaced or pushed out while the client was slow. */
  readonly dropped: number;
  /** Events waiting now. */
  readonly pending: number;
  /**
   * Bytes in the response's buffer now, and the most seen after a write: at most its high-water
   * mark (64 KiB by default on Node 24) plus one event.
   */
  readonly bufferedBytes: number;
  readonly maxBufferedBytes: number;
  readonly highWaterMark: number;
}

/**
 * An event without its id: the name and the JSON on one `data:` line (JSON has no raw line breaks,
 * so one line always holds it).
 */
function eventBody(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SseChannel {
  readonly #out: SseSink;
  readonly #maxPending: number;
  readonly #pending = new Map<string, string>();
  readonly #onClose: (() => void) | undefined;
  readonly #keepAlive: ReturnType<typeof setInterval>;
  #blocked = false;
  #closed = false;
  #lastId = 0;
  #sent = 0;
  #dropped = 0;
  #droppedTold = 0;
  #maxBuffered = 0;
  #wroteSinceTick = false;

  /**
   * Takes over `out` (headers already written by the caller) and closes when it closes.
   * @throws {RangeError} unless 1 <= maxPending and 0 < keepAliveMs.
   */
  constructor(out: SseSink, options: SseOptions = {}) {
    const maxPending = options.maxPending ?? 16;
    const keepAliveMs = options.keepAliveMs ?? 15_000;
    if (!(Number.isInteger(maxPending) && maxPending >= 1))
      throw new RangeError(`maxPending must be a positive integer, got ${maxPending}`);
    if (!(keepAliveMs > 0)) throw new RangeError(`keepAliveMs must be above 0, got ${keepAliveMs}`);
    this.#out = out;
    this.#maxPending = maxPending;
    this.#onClose = options.onClose;
    out.on('drain', this.#onDrain);
    out.on('close', this.#onGone);
    this.#keepAlive = setInterval(() => {
      if (!this.#wroteSinceTick && !this.#blocked) this.#write(': keep-alive\n\n');
      this.#wroteSinceTick = false;
    }, keepAliveMs);
    this.#keepAlive.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Offers one event. Written now when the client keeps up; else it waits under `key` (default the
   * event's name), replacing an older one of the same key. Ignored once closed.
   */
  push(event: string, data: unknown, key: string = event): void {
    if (this.#closed) return;
    // Serialized now: the data may change after this call, and a waiting event is only text.
    const body = eventBody(event, data);
    if (!this.#blocked && this.#pending.size === 0) {
      this.#writeEvent(body);
      this.#sent++;
      return;
    }
    if (this.#pending.delete(key)) this.#dropped++;
    else if (this.#pending.size >= this.#maxPending) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
      this.#dropped++;
    }
    this.#pending.set(key, body);
  }

  stats(): SseStats {
    return {
      sent: this.#sent,
      dropped: this.#dropped,
      pending: this.#pending.size,
      bufferedBytes: this.#out.writableLength,
      maxBufferedBytes: this.#maxBuffered,
      highWaterMark: this.#out.writableHighWaterMark,
    };
  }

  /** Ends the stream (the app closes, the source went away). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.#pending.clear();
    this.#out.off('drain', this.#onDrain);
    this.#out.off('close', this.#onGone);
    if (!this.#out.writableEnded && !this.#out.destroyed) this.#out.end();
    this.#onClose?.();
  }

  readonly #onDrain = (): void => {
    this.#blocked = false;
    this.#flush();
  };

  readonly #onGone = (): void => this.close();

  #write(text: string): void {
    if (this.#out.destroyed || this.#out.writableEnded) return;
    this.#wroteSinceTick = true;
    if (!this.#out.write(text)) this.#blocked = true;
    this.#maxBuffered = Math.max(this.#maxBuffered, this.#out.writableLength);
  }

  #writeEvent(body: string): void {
    this.#write(`id: ${++this.#lastId}\n${body}`);
  }

  #flush(): void {
    while (!this.#blocked && !this.#closed && this.#pending.size > 0) {
      if (this.#dropped > this.#droppedTold) {
        this.#droppedTold = this.#dropped;
        this.#writeEvent(eventBody('dropped', { dropped: this.#dropped }));
        continue;
      }
      const next = this.#pending.entries().next().value;
      if (next === undefined) break;
      this.#pending.delete(next[0]);
      this.#writeEvent(next[1]);
      this.#sent++;
    }
  }
}

/**
 * Answers a request with an event stream: takes the reply over (fastify sends nothing more), writes
 * the head (the headers already set on the raw response, such as the security headers, stay) and
 * returns the channel, which ends when the client leaves or `close()` is called.
 */
export function openEventStream(reply: FastifyReply, options: SseOptions = {}): SseChannel {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies that buffer (nginx) would hold the events back.
    'x-accel-buffering': 'no',
  });
  return new SseChannel(reply.raw, options);
}
