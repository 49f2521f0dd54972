/**
 * The upload loop with a scripted central (the real outbox on the in-memory file system, real
 * ES256 statements): statement before upload, acknowledgement only of a verified receipt for this
 * very packet, dead-letter only on a verified refusal, transient failures retried with jittered
 * backoff, offline detection with health probes instead of per-packet attempts, concurrency, stop
 * and resume, wake.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNodePaCrypto } from '../../../drivers/crypto/pa-node.ts';
import { backoffCap } from '../../../station/uploader/backoff.ts';
import type {
  CentralPort,
  UploadOptions,
  UploadOutcome,
  UploadPacket,
} from '../../../station/uploader/central-client.ts';
import { problem, type UploadProblemCode, UploadProblemError } from '../../../station/uploader/problems.ts';
import { Uploader, type UploaderEvent, type UploaderSettings } from '../../../station/uploader/uploader.ts';
import {
  createStatementKey,
  OutboxWithUrls,
  type PacketFacts,
  packetBytes,
  packetId,
  receiptStatement,
  refusalStatement,
  sha256Hex,
  signStatement,
} from '../../support/uploader-central.ts';

const STATION = 'station-0007';
const ENV = 'test';
const T0 = 1_800_000_000_000;
const key = createStatementKey();
const stranger = createStatementKey();
const crypto = createNodePaCrypto();

function factsOf(packet: UploadPacket): PacketFacts {
  return {
    packetId: packet.packetId,
    sha256: packet.sha256,
    size: packet.bytes.length,
    stationId: STATION,
    environment: ENV,
  };
}

/** A scripted central: holds statements, records calls, and lets each test replace a step. */
class FakeCentral implements CentralPort {
  readonly calls: string[] = [];
  readonly held = new Map<string, Uint8Array>();
  healthy = true;
  environment = ENV;
  inFlight = 0;
  maxInFlight = 0;
  /** Replaces the default upload (commit and answer with a receipt). */
  onUpload: ((packet: UploadPacket, options: UploadOptions) => Promise<UploadOutcome>) | undefined;
  /** Replaces the statement signed at commit. */
  sign: (packet: UploadPacket) => Uint8Array = (packet) =>
    signStatement(key, receiptStatement(key, factsOf(packet)));

  async statement(id: string): Promise<Uint8Array | 'none'> {
    this.calls.push(`statement ${id}`);
    if (!this.healthy) throw new UploadProblemError(problem('UPLOAD_OFFLINE', 'fake: down'));
    return this.held.get(id) ?? 'none';
  }

  async health(): Promise<{ environment: string }> {
    this.calls.push('health');
    if (!this.healthy) throw new UploadProblemError(problem('UPLOAD_OFFLINE', 'fake: down'));
    return { environment: this.environment };
  }

  async upload(packet: UploadPacket, options: UploadOptions): Promise<UploadOutcome> {
    this.calls.push(`upload ${packet.packetId}${options.resumeUrl ? ' resume' : ''}`);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.onUpload) return await this.onUpload(packet, options);
      if (!this.healthy) throw new UploadProblemError(problem('UPLOAD_OFFLINE', 'fake: down'));
      if (!options.resumeUrl)
        await options.onUrl(`https://central.test/v1/uploads/${packet.packetId.slice(-4)}x`);
      options.onProgress?.(packet.bytes.length, packet.bytes.length);
      const statement = this.sign(packet);
      this.held.set(packet.packetId, statement);
      return { statement, source: 'commit' };
    } finally {
      this.inFlight -= 1;
    }
  }
}

interface Harness {
  readonly outbox: OutboxWithUrls;
  readonly central: FakeCentral;
  readonly uploader: Uploader;
  readonly events: UploaderEvent[];
  readonly clock: { wall: number; mono: number };
  readonly sleeps: number[];
  readonly deadLetters: string[];
}

const running: Uploader[] = [];
afterEach(async () => {
  for (const u of running.splice(0)) await u.stop();
});

/**
 * Virtual time: every sleep moves both clocks forward by its length (and yields for 1 ms); a sleep
 * of `hangFromMs` or more never ends by itself (only an abort ends it).
 */
async function harness(
  settings: Partial<UploaderSettings> = {},
  random = () => 0.5,
  hangFromMs = Number.POSITIVE_INFINITY,
): Promise<Harness> {
  const clock = { wall: T0, mono: 0 };
  const outbox = await OutboxWithUrls.open({ now: () => clock.wall, monotonic: () => clock.mono });
  const deadLetters: string[] = [];
  const deadLetter = outbox.deadLetter.bind(outbox);
  outbox.deadLetter = async (id, reason) => {
    deadLetters.push(id);
    return deadLetter(id, reason);
  };
  const central = new FakeCentral();
  const sleeps: number[] = [];
  const uploader = new Uploader({
    outbox,
    central,
    pinned: [key.pinned],
    verifySignature: crypto.verifySignature,
    stationId: STATION,
    environment: ENV,
    clock: { now: () => clock.wall, monotonic: () => clock.mono },
    random,
    settings: { idlePollMs: 1_000, ...settings },
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        sleeps.push(ms);
        const timer = setTimeout(() => {
          if (ms >= hangFromMs) return;
          clock.mono += ms;
          clock.wall += ms;
          resolve();
        }, 1);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      }),
  });
  running.push(uploader);
  const events: UploaderEvent[] = [];
  uploader.subscribe((event) => events.push(event));
  return { outbox, central, uploader, events, clock, sleeps, deadLetters };
}

async function enqueue(h: Harness, n: number, size = 2_000): Promise<{ id: string; bytes: Uint8Array }> {
  const bytes = packetBytes(n, size);
  const id = packetId(n);
  await h.outbox.outbox.enqueue(id, bytes);
  return { id, bytes };
}

function stateOf(h: Harness, id: string) {
  return h.outbox.outbox.list().find((e) => e.packetId === id)?.state;
}

function problems(h: Harness, code?: string) {
  return h.events.filter(
    (e): e is Extract<UploaderEvent, { type: 'problem' }> =>
      e.type === 'problem' && (!code || e.code === code),
  );
}

const wait = (check: () => void) => vi.waitFor(check, { timeout: 8_000, interval: 5 });

describe('uploader: statements', () => {
  it('asks for the statement before uploading, and stores a verified receipt', async () => {
    const h = await harness();
    const { id, bytes } = await enqueue(h, 1);
    h.uploader.start();
    await wait(() => expect(stateOf(h, id)).toBe('acknowledged'));
    expect(h.central.calls.filter((c) => c !== 'health')).toEqual([`statement ${id}`, `upload ${id}`]);
    const stored = await h.outbox.outbox.receipt(id);
    expect(Buffer.from(stored).equals(Buffer.from(h.central.held.get(id) ?? []))).toBe(true);
    expect(h.events.some((e) => e.type === 'acknowledged' && e.packetId === id)).toBe(true);
    expect(h.events.some((e) => e.type === 'progress' && e.bytesSent === bytes.length)).toBe(true);
    expect(h.uploader.snapshot()).toMatchObject({ online: true, offlineSince: null, queueDepth: 0 });
    expect(h.uploader.snapshot().lastSuccessAt).toBeGreaterThanOrEqual(T0);
    expect(h.deadLetters).toEqual([]);
  });

  it('acknowledges without uploading when central already holds the receipt', async () => {
    const h = await harness();
    const { id, bytes } = await enqueue(h, 2);
    h.central.held.set(
      id,
      signStatement(
        key,
        receiptStatement(key, {
          packetId: id,
          sha256: sha256Hex(bytes),
          size: bytes.length,
          stationId: STATION,
          environment: ENV,
        }),
      ),
    );
    h.uploader.start();
    await wait(() => expect(stateOf(h, id)).toBe('acknowledged'));
    expect(h.central.calls.some((c) => c.startsWith('upload'))).toBe(false);
  });

  const bad: [string, (facts: PacketFacts) => Uint8Array][] = [
    [
      'signed by a key the station does not pin',
      (f) => signStatement(stranger, receiptStatement(stranger, f)),
    ],
    [
      'for another packet',
      (f) => signStatement(key, receiptStatement(key, { ...f, packetId: packetId(999) })),
    ],
    ['for other bytes', (f) => signStatement(key, receiptStatement(key, { ...f, sha256: 'ab'.repeat(32) }))],
    [
      'for another station',
      (f) => signStatement(key, receiptStatement(key, { ...f, stationId: 'station-9' })),
    ],
    [
      'for another environment',
      (f) => signStatement(key, receiptStatement(key, { ...f, environment: 'production' })),
    ],
    [
      'with its signature altered',
      (f) => {
        const jws = signStatement(key, receiptStatement(key, f));
        const copy = new Uint8Array(jws);
        copy[copy.length - 3] = copy[copy.length - 3] === 65 ? 66 : 65;
        return copy;
      },
    ],
    ['that is not a JWS at all', () => new TextEncoder().encode('<html>ok</html>')],
  ];
  for (const [label, make] of bad) {
    it(`never stores a receipt ${label}: the packet stays queued, is shown as a problem and retried`, async () => {
      const h = await harness({ backoff: { baseMs: 10, maxMs: 40, factor: 2 } });
      const { id } = await enqueue(h, 3);
      h.central.sign = (packet) => make(factsOf(packet));
      h.uploader.start();
      await wait(() => expect(problems(h, 'UPLOAD_STATEMENT_REJECTED').length).toBeGreaterThanOrEqual(3));
      await h.uploader.stop();
      expect(['queued', 'uploading']).toContain(stateOf(h, id));
      expect(h.deadLetters).toEqual([]);
      expect(problems(h, 'UPLOAD_STATEMENT_REJECTED')[0]?.packetId).toBe(id);
      expect(problems(h, 'UPLOAD_STATEMENT_REJECTED')[0]?.message.vi).toMatch(/Biên nhận/);
      // Retried (the second time central holds the bad statement and answers the query with it).
      expect(h.central.calls.filter((c) => c === `statement ${id}`).length).toBeGreaterThanOrEqual(3);
    });
  }
});

describe('uploader: dead-letter only on a verified refusal', () => {
  it('dead-letters a refusal signed by central for this packet, with its code and message', async () => {
    const h = await harness();
    const { id } = await enqueue(h, 4);
    h.central.sign = (packet) =>
      signStatement(key, refusalStatement(key, factsOf(packet), 'CENTRAL_SIGNER_REVOKED'));
    h.uploader.start();
    await wait(() => expect(stateOf(h, id)).toBe('dead-letter'));
    const entry = h.outbox.outbox.list().find((e) => e.packetId === id);
    expect(entry?.deadLetter?.code).toBe('CENTRAL_SIGNER_REVOKED');
    expect(entry?.deadLetter?.message).toContain('/');
    expect(h.events.find((e) => e.type === 'dead-lettered')).toMatchObject({
      packetId: id,
      code: 'CENTRAL_SIGNER_REVOKED',
    });
  });

  it('does not dead-letter a refusal signed with an unpinned key, or one for another packet', async () => {
    for (const make of [
      (f: PacketFacts) => signStatement(stranger, refusalStatement(stranger, f)),
      (f: PacketFacts) => signStatement(key, refusalStatement(key, { ...f, packetId: packetId(998) })),
    ]) {
      const h = await harness({ backoff: { baseMs: 10, maxMs: 20, factor: 2 } });
      const { id } = await enqueue(h, 5);
      h.central.sign = (packet) => make(factsOf(packet));
      h.uploader.start();
      await wait(() => expect(problems(h, 'UPLOAD_STATEMENT_REJECTED').length).toBeGreaterThanOrEqual(2));
      await h.uploader.stop();
      expect(h.deadLetters).toEqual([]);
      expect(['queued', 'uploading']).toContain(stateOf(h, id));
    }
  });

  const transient: UploadProblemCode[] = [
    'UPLOAD_NOT_CENTRAL',
    'UPLOAD_PROXY_ERROR',
    'CENTRAL_SERVER_ERROR',
    'CENTRAL_PACKET_TOO_LARGE',
    'CENTRAL_METADATA_INVALID',
    'CENTRAL_STATION_NOT_REGISTERED',
    'CENTRAL_UNEXPECTED_ANSWER',
    'CENTRAL_DIGEST_MISMATCH',
  ];
  it('never dead-letters on anything that is not a signed refusal', async () => {
    for (const code of transient) {
      const h = await harness({
        backoff: { baseMs: 5, maxMs: 10, factor: 2 },
        probeBackoff: { baseMs: 5, maxMs: 10, factor: 2 },
      });
      const { id } = await enqueue(h, 6);
      h.central.onUpload = async () => {
        throw new UploadProblemError(problem(code, `fake ${code}`, 500));
      };
      h.uploader.start();
      await wait(() => expect(problems(h, code).length).toBeGreaterThanOrEqual(2));
      await h.uploader.stop();
      expect(h.deadLetters, code).toEqual([]);
      expect(['queued', 'uploading'], code).toContain(stateOf(h, id));
      expect(problems(h, code)[0]?.message.en.length, code).toBeGreaterThan(10);
    }
  });
});

describe('uploader: backoff and connectivity', () => {
  it('backs one packet off with full jitter inside the growing cap', async () => {
    const backoff = { baseMs: 100, maxMs: 1_000, factor: 2 };
    const h = await harness({ backoff }, () => 0.75);
    await enqueue(h, 7);
    h.central.onUpload = async () => {
      throw new UploadProblemError(problem('CENTRAL_SERVER_ERROR', 'fake 500', 500));
    };
    h.uploader.start();
    await wait(() => expect(problems(h, 'CENTRAL_SERVER_ERROR').length).toBeGreaterThanOrEqual(6));
    await h.uploader.stop();
    const waits = problems(h, 'CENTRAL_SERVER_ERROR').map((p) => p.retryInMs);
    waits.slice(0, 6).forEach((ms, i) => {
      expect(ms).toBe(Math.floor(0.75 * backoffCap(i + 1, backoff)));
    });
    expect(waits.slice(0, 6)).toEqual([75, 150, 300, 600, 750, 750]);
    // Central answered (a central problem): the uploader stays online.
    expect(h.uploader.snapshot().online).toBe(true);
  });

  it('goes offline on a link failure, probes health with capped backoff (not packet after packet), then drains', async () => {
    const probeBackoff = { baseMs: 1_000, maxMs: 8_000, factor: 2 };
    const h = await harness({ probeBackoff }, () => 0.999);
    const a = await enqueue(h, 8);
    const b = await enqueue(h, 9);
    h.uploader.start();
    await wait(() => expect(stateOf(h, a.id)).toBe('acknowledged'));
    await wait(() => expect(stateOf(h, b.id)).toBe('acknowledged'));
    h.central.healthy = false;
    const c = await enqueue(h, 10);
    const d = await enqueue(h, 11);
    const wentDownAt = h.clock.wall;
    h.uploader.wake();
    await wait(() => expect(h.uploader.snapshot().online).toBe(false));
    const offlineSince = h.uploader.snapshot().offlineSince;
    expect(offlineSince).toBeGreaterThanOrEqual(wentDownAt);
    const callsAtOffline = h.central.calls.length;
    await wait(() => expect(problems(h, 'UPLOAD_OFFLINE').length).toBeGreaterThanOrEqual(8));
    // While offline only health probes go out, spaced by the capped backoff.
    const during = h.central.calls.slice(callsAtOffline);
    expect(during.every((call) => call === 'health')).toBe(true);
    const probeWaits = problems(h)
      .filter((p) => p.packetId === undefined)
      .map((p) => p.retryInMs);
    probeWaits.forEach((ms, i) => {
      expect(ms).toBeLessThanOrEqual(backoffCap(i + 1, probeBackoff));
    });
    expect(Math.max(...probeWaits)).toBeLessThanOrEqual(probeBackoff.maxMs);
    expect(probeWaits.at(-1)).toBeGreaterThan(probeBackoff.maxMs * 0.9);
    const states = h.events
      .filter((e) => e.type === 'state')
      .map((e) => (e.type === 'state' ? e.state : undefined));
    expect(states.some((s) => s?.online === false && s.offlineSince === offlineSince)).toBe(true);
    h.central.healthy = true;
    await wait(() => expect(stateOf(h, c.id)).toBe('acknowledged'));
    await wait(() => expect(stateOf(h, d.id)).toBe('acknowledged'));
    expect(h.uploader.snapshot()).toMatchObject({ online: true, offlineSince: null, queueDepth: 0 });
  });

  it('probes at once when asked (probeNow) instead of sleeping out the back-off', async () => {
    // Probe waits of a minute never end here: only probeNow can bring the uploader back.
    const probeBackoff = { baseMs: 60_000, maxMs: 60_000, factor: 1 };
    const h = await harness({ probeBackoff }, () => 0.999, 30_000);
    h.central.healthy = false;
    const a = await enqueue(h, 13);
    h.uploader.start();
    await wait(() => expect(problems(h, 'UPLOAD_OFFLINE').length).toBeGreaterThanOrEqual(1));
    await wait(() => expect(h.sleeps.some((ms) => ms >= 30_000)).toBe(true));
    const healthBefore = h.central.calls.filter((call) => call === 'health').length;
    // Still down: one more probe, then the back-off again (from its first step).
    h.uploader.probeNow();
    await wait(() =>
      expect(h.central.calls.filter((call) => call === 'health').length).toBe(healthBefore + 1),
    );
    expect(h.uploader.snapshot().online).toBe(false);
    expect(stateOf(h, a.id)).toBe('queued');
    h.central.healthy = true;
    h.uploader.probeNow();
    await wait(() => expect(stateOf(h, a.id)).toBe('acknowledged'));
    expect(h.uploader.snapshot()).toMatchObject({ online: true, offlineSince: null, queueDepth: 0 });
    // Online, it does nothing.
    const calls = h.central.calls.length;
    h.uploader.probeNow();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(h.central.calls.length).toBe(calls);
  });

  it('counts central serving the other environment as not usable', async () => {
    const h = await harness({ probeBackoff: { baseMs: 10, maxMs: 10, factor: 1 } });
    const { id } = await enqueue(h, 12);
    h.central.environment = 'production';
    h.uploader.start();
    await wait(() => expect(problems(h, 'UPLOAD_WRONG_ENVIRONMENT').length).toBeGreaterThanOrEqual(2));
    expect(h.central.calls.every((c) => c === 'health')).toBe(true);
    expect(stateOf(h, id)).toBe('queued');
  });
});

describe('uploader: concurrency, stop, wake', () => {
  it('uploads at most `concurrency` packets at once and each once', async () => {
    const h = await harness({ concurrency: 3 });
    const ids: string[] = [];
    for (let n = 20; n < 30; n++) ids.push((await enqueue(h, n)).id);
    h.central.onUpload = async (packet, options) => {
      await options.onUrl(`https://central.test/v1/uploads/${packet.packetId.slice(-6)}`);
      await new Promise((r) => setTimeout(r, 5));
      const statement = h.central.sign(packet);
      return { statement, source: 'commit' };
    };
    h.uploader.start();
    await wait(() => expect(ids.every((id) => stateOf(h, id) === 'acknowledged')).toBe(true));
    expect(h.central.maxInFlight).toBe(3);
    for (const id of ids) expect(h.central.calls.filter((c) => c === `upload ${id}`)).toHaveLength(1);
    const uploadingSeen = h.events.flatMap((e) => (e.type === 'state' ? [e.state.uploading.length] : []));
    expect(Math.max(...uploadingSeen)).toBe(3);
  });

  it('stop aborts an upload in flight; the next start resumes it from the stored URL', async () => {
    const h = await harness();
    const { id } = await enqueue(h, 31);
    let aborted = false;
    h.central.onUpload = async (_packet, options) => {
      await options.onUrl('https://central.test/v1/uploads/abc123');
      await new Promise<void>((_resolve, reject) => {
        options.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(options.signal?.reason);
        });
      });
      throw new Error('unreachable');
    };
    h.uploader.start();
    await wait(() => expect(h.outbox.urls.get(id)).toBe('https://central.test/v1/uploads/abc123'));
    await h.uploader.stop();
    expect(aborted).toBe(true);
    expect(h.uploader.snapshot()).toMatchObject({ running: false, uploading: [] });
    expect(stateOf(h, id)).not.toBe('acknowledged');
    expect(problems(h)).toEqual([]);
    let resumedFrom: string | undefined;
    h.central.onUpload = async (packet, options) => {
      resumedFrom = options.resumeUrl;
      return { statement: h.central.sign(packet), source: 'commit' };
    };
    h.uploader.start();
    await wait(() => expect(stateOf(h, id)).toBe('acknowledged'));
    expect(resumedFrom).toBe('https://central.test/v1/uploads/abc123');
  });

  it('wake() takes a newly enqueued packet without waiting for the idle poll', async () => {
    const h = await harness({ idlePollMs: 3_600_000 });
    h.uploader.start();
    await wait(() => expect(h.uploader.snapshot().online).toBe(true));
    const { id } = await enqueue(h, 40);
    h.uploader.wake();
    await wait(() => expect(stateOf(h, id)).toBe('acknowledged'));
  });

  it('a listener that throws does not stop the uploads', async () => {
    const h = await harness();
    h.uploader.subscribe(() => {
      throw new Error('screen broke');
    });
    const { id } = await enqueue(h, 41);
    h.uploader.start();
    await wait(() => expect(stateOf(h, id)).toBe('acknowledged'));
  });

  it('refuses settings that cannot work', () => {
    const base = {
      outbox: {} as never,
      central: new FakeCentral(),
      pinned: [],
      verifySignature: crypto.verifySignature,
      stationId: STATION,
      environment: ENV,
    };
    expect(() => new Uploader({ ...base, settings: { concurrency: 0 } })).toThrow(RangeError);
    expect(
      () => new Uploader({ ...base, settings: { backoff: { baseMs: 10, maxMs: 5, factor: 2 } } }),
    ).toThrow(RangeError);
  });
});
