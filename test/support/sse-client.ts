/** A server-sent events client over a real socket, for tests: events in order, with timeouts. */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  readonly id: number | undefined;
  readonly event: string;
  readonly data: unknown;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  ended = false;
  #buffer = '';
  #read = 0;
  #waiters: (() => void)[] = [];

  private constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let end = this.#buffer.indexOf('\n\n'); end >= 0; end = this.#buffer.indexOf('\n\n')) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const fields = new Map<string, string>();
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(': ');
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
        }
        const data = fields.get('data');
        if (data === undefined) continue;
        const id = fields.get('id');
        this.events.push({
          id: id === undefined ? undefined : Number(id),
          event: fields.get('event') ?? 'message',
          data: JSON.parse(data),
        });
      }
      this.#wake();
    });
    res.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    res.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /**
   * Opens `path` on `base`; resolves once the answer's head is in, whatever its status.
   * @throws when the connection fails.
   */
  static open(base: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const url = new URL(path, base);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, headers },
        (res) => resolve(new SseClient(req, res)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  /** Waits until `done(events)` holds, or fails after `timeoutMs`. */
  async until(done: (events: readonly SseEvent[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      if (this.ended) throw new Error(`the stream ended; events: ${this.names()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; events so far: ${this.names()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next event not taken yet (of `name`, skipping others, when given). */
  async next(name?: string, timeoutMs = 10_000): Promise<SseEvent> {
    let found: SseEvent | undefined;
    await this.until((events) => {
      while (this.#read < events.length) {
        const event = events[this.#read++];
        if (event !== undefined && (name === undefined || event.event === name)) {
          found = event;
          return true;
        }
      }
      return false;
    }, timeoutMs);
    if (found === undefined) throw new Error('unreachable: until() returned without an event');
    return found;
  }

  names(): string {
    return this.events.map((e) => e.event).join(', ');
  }

  close(): void {
    this.req.destroy();
  }
}
