import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChaosProxy, startChaosProxy } from '../../support/chaos-proxy.ts';
import { createStationCa, issueStationCertificate, privateKeyPem, toPem } from '../../support/packet-keys.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Sink {
  readonly port: number;
  /** Bytes each accepted connection received, in accept order, final once it closed. */
  readonly received: number[];
  /** Resolves when connection `i` has closed. */
  closed(i: number): Promise<void>;
}

/** A TCP server that counts what each connection receives; with `echo`, sends it back. */
async function startSink(options: { echo?: boolean; greet?: Uint8Array } = {}): Promise<Sink> {
  const received: number[] = [];
  const closings: Promise<void>[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    sockets.add(socket);
    const i = received.push(0) - 1;
    closings[i] = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      received[i] = (received[i] ?? 0) + chunk.length;
      if (options.echo) socket.write(chunk);
    });
    if (options.greet) socket.end(options.greet);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    received,
    closed: async (i) => {
      for (let n = 0; n < 100 && closings[i] === undefined; n++) await new Promise((r) => setTimeout(r, 10));
      await closings[i];
    },
  };
}

async function proxyTo(port: number): Promise<ChaosProxy> {
  const proxy = await startChaosProxy({ target: { host: '127.0.0.1', port } });
  cleanups.push(() => proxy.close());
  return proxy;
}

interface Exchange {
  /** Bytes the client got back. */
  readonly got: Buffer;
  /** How the client's socket ended. */
  readonly ended: 'end' | 'error';
  readonly ms: number;
}

/** Connects through `port`, writes `data` (then half-closes unless `keepOpen`), collects until the socket closes. */
function exchange(port: number, data: Uint8Array, keepOpen = false): Promise<Exchange> {
  return new Promise((resolve) => {
    const start = performance.now();
    const chunks: Buffer[] = [];
    let ended: 'end' | 'error' = 'end';
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {
      ended = 'error';
    });
    socket.on('close', () => resolve({ got: Buffer.concat(chunks), ended, ms: performance.now() - start }));
    for (let i = 0; i < data.length; i += 8192) socket.write(data.subarray(i, i + 8192));
    if (!keepOpen) socket.end();
  });
}

/** An echo exchange that ends once `expected` bytes came back (the sink keeps its side open). */
function echo(port: number, data: Uint8Array): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const chunks: Buffer[] = [];
    let got = 0;
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= data.length) {
        socket.destroy();
        resolve({ got: Buffer.concat(chunks), ended: 'end', ms: performance.now() - start });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      if (got < data.length) reject(new Error(`closed after ${got} of ${data.length} bytes`));
    });
    socket.write(data);
  });
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('chaos proxy: pass', () => {
  it('forwards both ways unchanged and counts the bytes', async () => {
    const sink = await startSink({ echo: true });
    const proxy = await proxyTo(sink.port);
    const data = randomBytes(1024 * 1024);
    const result = await echo(proxy.port, data);
    expect(sha(result.got)).toBe(sha(data));
    await new Promise((r) => setTimeout(r, 20));
    expect(proxy.stats).toMatchObject({
      connections: 1,
      bytesUp: data.length,
      bytesDown: data.length,
      cuts: 0,
    });
  });

  it('carries an HTTP exchange', async () => {
    const server = createHttpServer((req, res) => res.end(`hello ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const proxy = await proxyTo((server.address() as AddressInfo).port);
    const body = await new Promise<string>((resolve, reject) => {
      httpGet(proxy.url('/v1/health'), { agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toBe('hello /v1/health');
  });
});

describe('chaos proxy: cut', () => {
  it('delivers exactly N client-to-server bytes, then closes both sides; once, then passes again', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink.port);
    proxy.cutAfter(10_000, 'up');
    const first = await exchange(proxy.port, randomBytes(50_000), true);
    await sink.closed(0);
    expect(sink.received[0]).toBe(10_000);
    expect(first.got.length).toBe(0);
    expect(proxy.stats.cuts).toBe(1);
    expect(proxy.mode).toEqual({ kind: 'pass' });
    await exchange(proxy.port, randomBytes(50_000));
    await sink.closed(1);
    expect(sink.received[1]).toBe(50_000);
  });

  it('counts across connections with scope total', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink.port);
    proxy.cutAfter(10_000, 'up', 'total');
    await exchange(proxy.port, randomBytes(6_000));
    await exchange(proxy.port, randomBytes(6_000), true);
    await sink.closed(1);
    expect(sink.received).toEqual([6_000, 4_000]);
    expect(proxy.stats).toMatchObject({ cuts: 1, bytesUp: 10_000 });
  });

  it('cuts every connection after its own N bytes with scope per-connection', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink.port);
    proxy.cutAfter(3_000, 'up', 'per-connection');
    for (let i = 0; i < 3; i++) {
      await exchange(proxy.port, randomBytes(8_000), true);
      await sink.closed(i);
    }
    expect(sink.received).toEqual([3_000, 3_000, 3_000]);
    expect(proxy.stats.cuts).toBe(3);
  });

  it('cuts server-to-client bytes exactly with direction down', async () => {
    const greeting = randomBytes(100_000);
    const sink = await startSink({ greet: greeting });
    const proxy = await proxyTo(sink.port);
    proxy.cutAfter(20_000, 'down');
    const result = await exchange(proxy.port, new Uint8Array(0), true);
    expect(result.got.length).toBe(20_000);
    expect(sha(result.got)).toBe(sha(greeting.subarray(0, 20_000)));
    expect(proxy.stats).toMatchObject({ cuts: 1, bytesDown: 20_000 });
  });

  it('cuts before the first byte with 0', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink.port);
    proxy.cutAfter(0, 'up');
    await exchange(proxy.port, randomBytes(100), true);
    await sink.closed(0);
    expect(sink.received).toEqual([0]);
  });
});

describe('chaos proxy: stall, slow, refuse', () => {
  it('forwards nothing while stalled, then everything in order', async () => {
    const sink = await startSink({ echo: true });
    const proxy = await proxyTo(sink.port);
    const data = randomBytes(200_000);
    proxy.stall(400);
    const stalled = await echo(proxy.port, data);
    expect(stalled.ms).toBeGreaterThanOrEqual(380);
    expect(sha(stalled.got)).toBe(sha(data));
    const free = await echo(proxy.port, data);
    expect(free.ms).toBeLessThan(stalled.ms - 200);
  });

  it('holds a transfer under way while stalled', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink.port);
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write(randomBytes(1_000));
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.received).toEqual([1_000]);
    proxy.stall(300);
    socket.write(randomBytes(2_000));
    await new Promise((r) => setTimeout(r, 150));
    expect(sink.received).toEqual([1_000]);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toEqual([3_000]);
  });

  it('throttles to bytesPerSecond and keeps the bytes intact', async () => {
    const sink = await startSink({ echo: true });
    const proxy = await proxyTo(sink.port);
    proxy.throttle(200_000);
    const data = randomBytes(100_000);
    const result = await echo(proxy.port, data);
    expect(sha(result.got)).toBe(sha(data));
    // 100 000 bytes at 200 000 B/s each way (the two directions overlap): about 0.5 s.
    expect(result.ms).toBeGreaterThanOrEqual(450);
    expect(result.ms).toBeLessThan(3_000);
    proxy.setMode('pass');
    expect((await echo(proxy.port, data)).ms).toBeLessThan(result.ms / 2);
  });

  it('accepts and closes at once when refusing, without reaching the server', async () => {
    const sink = await startSink({ echo: true });
    const proxy = await proxyTo(sink.port);
    proxy.setMode('refuse');
    const result = await exchange(proxy.port, randomBytes(10), true);
    expect(result.got.length).toBe(0);
    expect(sink.received).toEqual([]);
    expect(proxy.stats).toMatchObject({ connections: 1, refused: 1, bytesUp: 0 });
  });

  it('rejects bad numbers', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink.port);
    expect(() => proxy.cutAfter(-1)).toThrow(RangeError);
    expect(() => proxy.throttle(0)).toThrow(RangeError);
    expect(() => proxy.stall(1.5)).toThrow(RangeError);
  });
});

describe('chaos proxy: TLS', () => {
  it('carries mutual TLS untouched, and a cut mid-stream breaks the TLS session', async () => {
    const ca = await createStationCa('Chaos Test CA');
    const server = await issueStationCertificate(ca, 'localhost');
    const client = await issueStationCertificate(ca, 'station-0042');
    const seen: string[] = [];
    const tlsServer = createTlsServer(
      {
        key: privateKeyPem(server.privateKey),
        cert: toPem(server.certificate),
        ca: toPem(ca.certificate),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket: TLSSocket) => {
        seen.push(String(socket.getPeerCertificate().subject?.CN));
        socket.on('error', () => {});
        socket.on('data', (chunk: Buffer) => socket.write(chunk));
      },
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => tlsServer.close(() => resolve())));
    const proxy = await proxyTo((tlsServer.address() as AddressInfo).port);

    const talk = (payload: Uint8Array) =>
      new Promise<{ got: Buffer; error?: string }>((resolve) => {
        const chunks: Buffer[] = [];
        let got = 0;
        const socket = tlsConnect({
          host: '127.0.0.1',
          port: proxy.port,
          servername: 'localhost',
          ca: toPem(ca.certificate),
          key: privateKeyPem(client.privateKey),
          cert: toPem(client.certificate),
          checkServerIdentity: () => undefined,
        });
        socket.on('secureConnect', () => socket.write(payload));
        socket.on('data', (c: Buffer) => {
          chunks.push(c);
          got += c.length;
          if (got >= payload.length) socket.destroy();
        });
        socket.on('error', (e: NodeJS.ErrnoException) =>
          resolve({ got: Buffer.concat(chunks), error: e.code ?? e.message }),
        );
        socket.on('close', () => resolve({ got: Buffer.concat(chunks) }));
      });

    const payload = randomBytes(64 * 1024);
    const ok = await talk(payload);
    expect(ok.error).toBeUndefined();
    expect(sha(ok.got)).toBe(sha(payload));
    expect(seen).toEqual(['station-0042']);

    // After the handshake (a few KB) and part of the data, the link dies.
    proxy.cutAfter(20_000, 'up', 'per-connection');
    const cut = await talk(payload);
    expect(cut.got.length).toBeLessThan(payload.length);
    expect(proxy.stats.cuts).toBe(1);
  });
});
