/**
 * A loopback TCP proxy for chaos tests (issue 18): it sits between a client and a server and cuts,
 * stalls, slows or refuses connections. It works at the TCP level, so TLS (and mTLS) passes through
 * untouched: the client still talks to the real server's certificate.
 *
 * Modes (switchable while connections are open; they apply to the bytes forwarded from then on):
 * - `pass`: forward both ways.
 * - `cut`: forward exactly `bytes` bytes in one direction (`up` = client to server, `down` = server
 *   to client), then destroy both sockets. `scope: 'total'` counts across connections from the
 *   moment it is set and fires once (then the proxy passes again, so a retry gets through);
 *   `scope: 'per-connection'` cuts every connection after its own `bytes`.
 * - `slow`: each direction of each connection at `bytesPerSecond`, in slices of 1/20 s.
 * - `refuse`: accept each new connection and close it at once, without connecting upstream.
 * - `stall` (an overlay on the mode): nothing is forwarded for `ms`; bytes wait, in order, and flow
 *   again afterwards.
 *
 * Memory stays bounded: a side that has more than 64 KiB waiting is paused (TCP backpressure).
 * Loopback only; nothing here is for production.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ChaosDirection = 'up' | 'down';

export type ChaosMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'refuse' }
  | {
      readonly kind: 'cut';
      /** Bytes forwarded before the cut (0 cuts at the first byte). */
      readonly bytes: number;
      readonly direction: ChaosDirection;
      readonly scope: 'total' | 'per-connection';
    }
  | { readonly kind: 'slow'; readonly bytesPerSecond: number }
  | { readonly kind: 'stall' /** Duration, ms. */; readonly ms: number };

export interface ChaosStats {
  /** Connections accepted (refused ones included). */
  readonly connections: number;
  /** Connections closed at once by `refuse`. */
  readonly refused: number;
  /** Bytes forwarded client to server. */
  readonly bytesUp: number;
  /** Bytes forwarded server to client. */
  readonly bytesDown: number;
  /** Connections destroyed by `cut`. */
  readonly cuts: number;
}

export interface ChaosProxy {
  /** The loopback port clients connect to. */
  readonly port: number;
  /** `http://127.0.0.1:<port><path>` (scheme `https` for TLS targets). */
  url(path?: string, scheme?: 'http' | 'https'): string;
  /** Sets the mode; `'pass'` and `'refuse'` may be given by name. @throws {RangeError} for bad numbers. */
  setMode(mode: ChaosMode | 'pass' | 'refuse'): void;
  /** The mode now (a stall shows as the mode underneath it). */
  readonly mode: ChaosMode;
  /** `setMode({ kind: 'cut', bytes, direction, scope })`; default direction up, scope total. */
  cutAfter(bytes: number, direction?: ChaosDirection, scope?: 'total' | 'per-connection'): void;
  /** Stops forwarding for `ms` milliseconds. */
  stall(ms: number): void;
  /** `setMode({ kind: 'slow', bytesPerSecond })`. */
  throttle(bytesPerSecond: number): void;
  /** Live counters. */
  readonly stats: ChaosStats;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

export interface ChaosProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  /** Listening port (default 0: any free port). */
  readonly port?: number;
}

/** Bytes waiting in one direction before the source is paused. */
const HIGH_WATER = 64 * 1024;

interface Pipe {
  readonly direction: ChaosDirection;
  readonly from: Socket;
  readonly to: Socket;
  readonly queue: Buffer[];
  queued: number;
  ended: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Destination refused more (write returned false); wait for 'drain'. */
  blocked: boolean;
}

interface Connection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly pipes: readonly [Pipe, Pipe];
  /** Bytes forwarded in each direction under the current mode generation (per-connection cuts). */
  counted: { generation: number; up: number; down: number };
  cutting: boolean;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
}

/**
 * Starts the proxy on 127.0.0.1.
 * @throws the listen error.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  let mode: Exclude<ChaosMode, { kind: 'stall' }> = { kind: 'pass' };
  let generation = 0;
  /** Bytes counted toward a `total` cut since it was set. */
  let totalCounted = 0;
  let stalledUntil = 0;
  const stats = { connections: 0, refused: 0, bytesUp: 0, bytesDown: 0, cuts: 0 };
  const connections = new Set<Connection>();

  const destroy = (connection: Connection) => {
    for (const pipe of connection.pipes) {
      if (pipe.timer !== undefined) clearTimeout(pipe.timer);
      pipe.timer = undefined;
      pipe.queue.length = 0;
      pipe.queued = 0;
    }
    connection.client.destroy();
    connection.upstream.destroy();
    connections.delete(connection);
  };

  /** How many bytes of the next write may pass before a cut, or Infinity. */
  const cutBudget = (connection: Connection, direction: ChaosDirection): number => {
    if (mode.kind !== 'cut' || mode.direction !== direction) return Number.POSITIVE_INFINITY;
    if (mode.scope === 'total') return mode.bytes - totalCounted;
    if (connection.counted.generation !== generation) connection.counted = { generation, up: 0, down: 0 };
    return mode.bytes - connection.counted[direction];
  };

  const count = (connection: Connection, direction: ChaosDirection, n: number) => {
    if (direction === 'up') stats.bytesUp += n;
    else stats.bytesDown += n;
    if (mode.kind === 'cut' && mode.direction === direction) {
      if (mode.scope === 'total') totalCounted += n;
      else connection.counted[direction] += n;
    }
  };

  const pump = (connection: Connection, pipe: Pipe): void => {
    pipe.timer = undefined;
    while (!connection.cutting && !pipe.blocked) {
      const wait = stalledUntil - Date.now();
      if (wait > 0) {
        pipe.timer = setTimeout(() => pump(connection, pipe), wait);
        return;
      }
      const head = pipe.queue[0];
      if (head === undefined) break;
      let take = head.length;
      const slow = mode.kind === 'slow' ? mode.bytesPerSecond : 0;
      if (slow > 0) take = Math.min(take, Math.max(1, Math.floor(slow / 20)));
      const budget = cutBudget(connection, pipe.direction);
      const cutNow = budget <= take;
      if (cutNow) take = Math.max(0, budget);
      const part = head.subarray(0, take);
      if (part.length === head.length) pipe.queue.shift();
      else pipe.queue[0] = head.subarray(part.length);
      pipe.queued -= part.length;
      count(connection, pipe.direction, part.length);
      if (cutNow) {
        connection.cutting = true;
        stats.cuts += 1;
        if (mode.kind === 'cut' && mode.scope === 'total') mode = { kind: 'pass' };
        // The bytes before the cut reach the other side; then both sockets go.
        if (part.length > 0) pipe.to.write(part, () => destroy(connection));
        else destroy(connection);
        return;
      }
      if (part.length > 0 && !pipe.to.write(part)) pipe.blocked = true;
      if (slow > 0) {
        pipe.timer = setTimeout(() => pump(connection, pipe), (part.length * 1000) / slow);
        break;
      }
    }
    if (pipe.queued < HIGH_WATER && !pipe.ended && pipe.from.isPaused()) pipe.from.resume();
    if (pipe.ended && pipe.queue.length === 0 && !pipe.to.writableEnded) pipe.to.end();
  };

  const accept = (client: Socket) => {
    stats.connections += 1;
    if (mode.kind === 'refuse') {
      stats.refused += 1;
      client.destroy();
      return;
    }
    const upstream = connect({ host: options.target.host, port: options.target.port, allowHalfOpen: true });
    const pipe = (direction: ChaosDirection, from: Socket, to: Socket): Pipe => ({
      direction,
      from,
      to,
      queue: [],
      queued: 0,
      ended: false,
      timer: undefined,
      blocked: false,
    });
    const connection: Connection = {
      client,
      upstream,
      pipes: [pipe('up', client, upstream), pipe('down', upstream, client)],
      counted: { generation, up: 0, down: 0 },
      cutting: false,
    };
    connections.add(connection);
    for (const p of connection.pipes) {
      p.from.on('data', (chunk: Buffer) => {
        if (connection.cutting) return;
        p.queue.push(chunk);
        p.queued += chunk.length;
        if (p.queued >= HIGH_WATER) p.from.pause();
        if (p.timer === undefined) pump(connection, p);
      });
      p.from.on('end', () => {
        p.ended = true;
        if (p.timer === undefined) pump(connection, p);
      });
      p.to.on('drain', () => {
        p.blocked = false;
        if (p.timer === undefined) pump(connection, p);
      });
      p.from.on('error', () => destroy(connection));
      p.from.on('close', () => {
        // A side gone without a clean end (reset) takes the other with it.
        if (!p.ended) destroy(connection);
        else if (connection.client.destroyed && connection.upstream.destroyed) connections.delete(connection);
      });
    }
  };

  const server: Server = createServer({ allowHalfOpen: true }, accept);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('chaos proxy has no TCP address');
  const port = address.port;

  const setMode = (next: ChaosMode | 'pass' | 'refuse') => {
    const spec: ChaosMode = typeof next === 'string' ? { kind: next } : next;
    switch (spec.kind) {
      case 'stall': {
        checkCount('stall ms', spec.ms, 0);
        stalledUntil = Date.now() + spec.ms;
        return;
      }
      case 'cut':
        checkCount('cut bytes', spec.bytes, 0);
        break;
      case 'slow':
        checkCount('bytesPerSecond', spec.bytesPerSecond, 1);
        break;
      default:
        break;
    }
    mode = spec;
    generation += 1;
    totalCounted = 0;
    // A stalled or throttled pipe waiting on a timer picks the new mode up when the timer fires;
    // idle ones with bytes waiting are pumped now.
    for (const connection of connections)
      for (const p of connection.pipes) if (p.timer === undefined && p.queue.length > 0) pump(connection, p);
  };

  return {
    port,
    url: (path = '/', scheme = 'http') => `${scheme}://127.0.0.1:${port}${path}`,
    setMode,
    get mode() {
      return mode;
    },
    cutAfter: (bytes, direction = 'up', scope = 'total') => setMode({ kind: 'cut', bytes, direction, scope }),
    stall: (ms) => setMode({ kind: 'stall', ms }),
    throttle: (bytesPerSecond) => setMode({ kind: 'slow', bytesPerSecond }),
    get stats() {
      return { ...stats };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of [...connections]) destroy(connection);
        server.close(() => resolve());
      }),
  };
}
