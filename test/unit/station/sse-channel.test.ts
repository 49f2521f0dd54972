import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SseChannel, type SseSink } from '../../../station/streams/sse.ts';

/** A socket stand-in: takes writes until `room` bytes are buffered, then says "wait for drain". */
class FakeSocket extends EventEmitter implements SseSink {
  written: string[] = [];
  writableLength = 0;
  readonly writableHighWaterMark: number;
  writableEnded = false;
  destroyed = false;
  constructor(readonly room: number) {
    super();
    this.writableHighWaterMark = room;
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    this.writableLength += chunk.length;
    return this.writableLength < this.room;
  }
  end(): void {
    this.writableEnded = true;
  }
  /** The client read everything. */
  drain(): void {
    this.writableLength = 0;
    this.emit('drain');
  }
}

function events(socket: FakeSocket): { id: number; event: string; data: unknown }[] {
  return socket.written
    .filter((chunk) => chunk.startsWith('id: '))
    .map((chunk) => {
      const [id, event, data] = chunk.trimEnd().split('\n');
      return {
        id: Number(id?.slice(4)),
        event: String(event?.slice(7)),
        data: JSON.parse(String(data?.slice(6))),
      };
    });
}

describe('SseChannel', () => {
  it('writes events at once, in order, while the client keeps up', () => {
    const socket = new FakeSocket(1_000_000);
    const channel = new SseChannel(socket);
    for (let i = 0; i < 5; i++) channel.push('progress', { i }, `p${i}`);
    expect(events(socket)).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ id: i + 1, event: 'progress', data: { i } })),
    );
    expect(channel.stats()).toMatchObject({ sent: 5, dropped: 0, pending: 0 });
    channel.close();
  });

  it('keeps only the newest event of a key while the socket is full, and says how many went', () => {
    const socket = new FakeSocket(10);
    const channel = new SseChannel(socket);
    channel.push('preview', { n: 0 });
    // That write filled the socket: the next ones wait, the newest preview replacing the older.
    for (let n = 1; n <= 50; n++) channel.push('preview', { n });
    channel.push('status', { status: 'capturing' });
    expect(socket.written).toHaveLength(1);
    expect(channel.stats()).toMatchObject({ sent: 1, dropped: 49, pending: 2 });
    socket.drain();
    // The drop notice fills the socket again (room 10); each drain lets one more through.
    socket.drain();
    socket.drain();
    expect(events(socket)).toEqual([
      { id: 1, event: 'preview', data: { n: 0 } },
      { id: 2, event: 'dropped', data: { dropped: 49 } },
      { id: 3, event: 'preview', data: { n: 50 } },
      { id: 4, event: 'status', data: { status: 'capturing' } },
    ]);
    channel.close();
  });

  it('holds at most maxPending keys for a client that never reads, pushing out the oldest', () => {
    const socket = new FakeSocket(100);
    const channel = new SseChannel(socket, { maxPending: 4 });
    const payload = 'x'.repeat(1000);
    for (let i = 0; i < 10_000; i++) channel.push('progress', { packetId: `p${i}`, payload }, `p${i}`);
    const stats = channel.stats();
    expect(stats.pending).toBe(4);
    expect(stats.sent).toBe(1);
    expect(stats.dropped).toBe(10_000 - 1 - 4);
    // One event went to the socket; nothing else was written while it was full.
    expect(socket.writableLength).toBeLessThan(1100);
    socket.drain();
    socket.drain();
    const ids = events(socket).map((e) => (e.data as { packetId?: string }).packetId ?? e.event);
    expect(ids).toEqual(['p0', 'dropped', 'p9996', 'p9997']);
    channel.close();
  });

  it('closes once when the client goes away, and ignores later events', () => {
    const socket = new FakeSocket(1_000_000);
    let closed = 0;
    const channel = new SseChannel(socket, { onClose: () => closed++ });
    socket.emit('close');
    socket.emit('close');
    channel.close();
    channel.push('state', {});
    expect(closed).toBe(1);
    expect(channel.closed).toBe(true);
    expect(socket.written).toEqual([]);
    expect(socket.listenerCount('drain') + socket.listenerCount('close')).toBe(0);
  });

  it('refuses a pending bound below one', () => {
    expect(() => new SseChannel(new FakeSocket(1), { maxPending: 0 })).toThrow(RangeError);
  });
});
