/**
 * The uploader's central client over real HTTPS with mutual TLS against a small central on
 * @tus/server (test/support/uploader-central.ts): creation with metadata and a random upload id,
 * the URL stored before any byte, 409 with the first statement, resume after a cut (bytes counted at
 * the server and at the client), commit-then-drop recovered by GET receipt, a gone upload URL,
 * signed refusals, and the transient failures (captive portal, unpinned CA, unknown client
 * certificate, refused connection), each classified for the officer.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodePaCrypto } from '../../drivers/crypto/pa-node.ts';
import { verifyStatement } from '../../protocol/central/statement.ts';
import { CentralClient, type UploadOptions } from '../../station/uploader/central-client.ts';
import { UploadProblemError } from '../../station/uploader/problems.ts';
import type { Throttle } from '../../station/uploader/throttle.ts';
import { TokenBucket } from '../../station/uploader/throttle.ts';
import { CentralTransport } from '../../station/uploader/transport.ts';
import {
  type CuttingProxy,
  createStatementKey,
  createUploaderPki,
  type MiniCentral,
  packetBytes,
  packetId,
  type StatementKey,
  sha256Hex,
  startCuttingProxy,
  startMiniCentral,
  type UploaderPki,
} from '../support/uploader-central.ts';

const failpoints: { name: string; patchesSoFar: number; statementsSoFar: number }[] = [];
let central: MiniCentral;
vi.mock('../../station/failpoints.ts', () => ({
  failpoint: (name: string) => {
    failpoints.push({ name, patchesSoFar: central.log.patches, statementsSoFar: central.statements.size });
  },
}));

const crypto = createNodePaCrypto();
let pki: UploaderPki;
let key: StatementKey;
let proxy: CuttingProxy;
const transports: CentralTransport[] = [];

function client(
  options: { url?: string; chunkSize?: number; throttle?: Throttle; tls?: Partial<UploaderPki> } = {},
) {
  const tls = { ...pki, ...options.tls };
  const transport = new CentralTransport({
    tls: { key: tls.clientKey, cert: tls.clientCert, ca: tls.centralCa },
    timeoutMs: 10_000,
    ...(options.throttle ? { throttle: options.throttle } : {}),
  });
  transports.push(transport);
  return new CentralClient({
    url: options.url ?? central.url,
    transport,
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
  });
}

function recorder() {
  const calls: string[] = [];
  let url: string | undefined;
  const options: UploadOptions = {
    onUrl: async (u) => {
      calls.push(`url@patches=${central.log.patches}`);
      url = u;
    },
    onUrlGone: async () => {
      calls.push('gone');
      url = undefined;
    },
  };
  return { calls, options, url: () => url };
}

async function problemOf(promise: Promise<unknown>): Promise<UploadProblemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadProblemError);
  return error as UploadProblemError;
}

async function verified(bytes: Uint8Array, id: string, data: Uint8Array) {
  return verifyStatement(bytes, {
    pinned: [key.pinned],
    verifySignature: crypto.verifySignature,
    expect: {
      packetId: id,
      sha256: sha256Hex(data),
      size: data.length,
      stationId: pki.stationId,
      environment: 'test',
    },
  });
}

beforeAll(async () => {
  pki = await createUploaderPki('station-0042');
  key = createStatementKey();
  central = await startMiniCentral({ pki, key });
  proxy = await startCuttingProxy(central.port);
}, 30_000);

afterAll(async () => {
  for (const t of transports) t.close();
  await proxy?.stop();
  await central?.stop();
});

describe('central client over mutual TLS', () => {
  it('uploads a new packet: metadata, a random upload id, the URL stored before any byte, the receipt from the commit', async () => {
    const data = packetBytes(1, 600_000);
    const id = packetId(1);
    const c = client();
    expect(await c.statement(id)).toBe('none');
    const rec = recorder();
    const before = central.log.patches;
    failpoints.length = 0;
    const outcome = await c.upload({ packetId: id, sha256: sha256Hex(data), bytes: data }, rec.options);
    expect(outcome.source).toBe('commit');
    const check = await verified(outcome.statement, id, data);
    expect(check.ok && check.statement.kind).toBe('receipt');
    // Stored once, before the first PATCH reached central.
    expect(rec.calls).toEqual([`url@patches=${before}`]);
    const uploadId = central.log.uploadIds.at(-1) ?? '';
    expect(uploadId).not.toContain(id);
    expect(rec.url()).toBe(`/v1/uploads/${uploadId}`);
    // The failpoints sit where they should: after creation before any PATCH; after the last PATCH was committed.
    expect(failpoints.map((f) => f.name)).toEqual([
      'uploader.after-create',
      'uploader.after-commit-before-receipt',
    ]);
    expect(failpoints[0]?.patchesSoFar).toBe(before);
    expect(failpoints[1]?.statementsSoFar).toBe(central.statements.size);
    expect(central.statements.has(id)).toBe(true);
  });

  it("sends no byte when the upload URL cannot be stored, and passes the station's error on", async () => {
    const data = packetBytes(10, 100_000);
    const id = packetId(10);
    const bytesBefore = central.log.patchBytes;
    const patchesBefore = central.log.patches;
    const disk = new Error('disk full');
    const failed = await client()
      .upload(
        { packetId: id, sha256: sha256Hex(data), bytes: data },
        {
          onUrl: async () => {
            throw disk;
          },
          onUrlGone: async () => {},
        },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failed).toBe(disk);
    await new Promise((r) => setTimeout(r, 50));
    expect(central.log.patches).toBe(patchesBefore);
    expect(central.log.patchBytes).toBe(bytesBefore);
  });

  it('a second upload of a committed packet gets the first statement (409) and sends no byte', async () => {
    const data = packetBytes(1, 600_000);
    const id = packetId(1);
    const bytesBefore = central.log.patchBytes;
    const signedBefore = central.log.signed;
    const outcome = await client().upload(
      { packetId: id, sha256: sha256Hex(data), bytes: data },
      recorder().options,
    );
    expect(outcome.source).toBe('already-committed');
    expect(Buffer.from(outcome.statement).equals(Buffer.from(central.statements.get(id) ?? []))).toBe(true);
    expect(central.log.patchBytes).toBe(bytesBefore);
    expect(central.log.signed).toBe(signedBefore);
    // And asking first gives it too.
    const held = await client().statement(id);
    expect(held).not.toBe('none');
  });

  it('resumes after a cut with HEAD then PATCH, sending at most one chunk again', async () => {
    const data = packetBytes(2, 600_000);
    const id = packetId(2);
    const chunkSize = 64 * 1024;
    let clientBytes = 0;
    const counting: Throttle = {
      take: async (n) => {
        clientBytes += n;
      },
    };
    const c = client({ url: proxy.url, chunkSize, throttle: counting });
    const rec = recorder();
    const storeBefore = central.log.patchBytes;
    proxy.cutAfter(350_000);
    const cut = await problemOf(
      c.upload({ packetId: id, sha256: sha256Hex(data), bytes: data }, rec.options),
    );
    expect(cut.problem.scope).toBe('link');
    expect(cut.code).toBe('UPLOAD_CONNECTION_LOST');
    const url = rec.url();
    expect(url).toBeDefined();
    const sentBeforeCut = clientBytes;
    expect(sentBeforeCut).toBeLessThan(data.length);
    const seq = central.log.sequence.length;
    const outcome = await c.upload(
      { packetId: id, sha256: sha256Hex(data), bytes: data },
      { ...rec.options, resumeUrl: url },
    );
    expect(outcome.source).toBe('commit');
    expect((await verified(outcome.statement, id, data)).ok).toBe(true);
    expect(central.log.sequence.slice(seq, seq + 2)).toEqual(['HEAD', 'PATCH']);
    const resent = clientBytes - data.length;
    expect(resent).toBeGreaterThanOrEqual(0);
    expect(resent).toBeLessThanOrEqual(chunkSize);
    expect(central.log.patchBytes - storeBefore).toBeLessThanOrEqual(data.length + chunkSize);
    expect(central.log.patchBytes - storeBefore).toBeGreaterThanOrEqual(data.length);
  });

  it('keeps the URL as a path, so a central reached on another port resumes the same upload', async () => {
    const data = packetBytes(11, 300_000);
    const id = packetId(11);
    const rec = recorder();
    proxy.cutAfter(150_000);
    await problemOf(
      client({ url: proxy.url, chunkSize: 64 * 1024 }).upload(
        { packetId: id, sha256: sha256Hex(data), bytes: data },
        rec.options,
      ),
    );
    const stored = rec.url() ?? '';
    expect(stored).toMatch(/^\/v1\/uploads\/[0-9a-f]+$/);
    const creates = central.log.creates;
    const outcome = await client().upload(
      { packetId: id, sha256: sha256Hex(data), bytes: data },
      { ...rec.options, resumeUrl: stored },
    );
    expect(outcome.source).toBe('commit');
    expect(central.log.creates).toBe(creates);
  });

  it('commit-then-drop: the resumed upload finds all bytes there and fetches the receipt with GET', async () => {
    const data = packetBytes(3, 300_000);
    const id = packetId(3);
    const c = client();
    const rec = recorder();
    central.faults.dropNextCommitAnswer = true;
    const dropped = await problemOf(
      c.upload({ packetId: id, sha256: sha256Hex(data), bytes: data }, rec.options),
    );
    expect(dropped.problem.scope).toBe('link');
    expect(central.statements.has(id)).toBe(true);
    const signed = central.log.signed;
    const queries = central.log.receiptQueries;
    const outcome = await c.upload(
      { packetId: id, sha256: sha256Hex(data), bytes: data },
      { ...rec.options, resumeUrl: rec.url() },
    );
    expect(outcome.source).toBe('receipt-query');
    expect(central.log.receiptQueries).toBe(queries + 1);
    expect(central.log.signed).toBe(signed);
    expect((await verified(outcome.statement, id, data)).ok).toBe(true);
  });

  it('a stored URL central no longer knows is cleared, the receipt asked for, and a new upload made', async () => {
    const data = packetBytes(4, 200_000);
    const id = packetId(4);
    const c = client({ url: proxy.url, chunkSize: 64 * 1024 });
    const rec = recorder();
    proxy.cutAfter(100_000);
    await problemOf(c.upload({ packetId: id, sha256: sha256Hex(data), bytes: data }, rec.options));
    const stale = rec.url();
    await central.forgetUploads();
    const seq = central.log.sequence.length;
    const outcome = await c.upload(
      { packetId: id, sha256: sha256Hex(data), bytes: data },
      { ...rec.options, resumeUrl: stale },
    );
    expect(outcome.source).toBe('commit');
    expect(rec.calls.filter((call) => call === 'gone')).toHaveLength(1);
    expect(central.log.sequence.slice(seq, seq + 3)).toEqual(['HEAD', 'GET receipt', 'POST']);
    expect(rec.url()).not.toBe(stale);
  });

  it('a refusal comes back as the signed 422 body', async () => {
    const data = packetBytes(5, 50_000);
    const id = packetId(5);
    central.faults.refuse.add(id);
    const outcome = await client().upload(
      { packetId: id, sha256: sha256Hex(data), bytes: data },
      recorder().options,
    );
    expect(outcome.source).toBe('refused');
    const check = await verified(outcome.statement, id, data);
    expect(check.ok && check.statement.kind).toBe('refusal');
  });

  it('a commit answered without the statement header is followed by GET receipt', async () => {
    const data = packetBytes(6, 50_000);
    const id = packetId(6);
    central.faults.omitStatementHeader = true;
    try {
      const outcome = await client().upload(
        { packetId: id, sha256: sha256Hex(data), bytes: data },
        recorder().options,
      );
      expect(outcome.source).toBe('receipt-query');
    } finally {
      central.faults.omitStatementHeader = false;
    }
  });

  it('an upload whose bytes all reached central but were never committed is forgotten, and the next try uploads anew', async () => {
    const data = packetBytes(16, 60_000);
    const id = packetId(16);
    const calls = recorder();
    central.faults.loseNextFinish = true;
    // First try: every byte is written, central "dies" before its commit; the answer is lost.
    await problemOf(client().upload({ packetId: id, sha256: sha256Hex(data), bytes: data }, calls.options));
    const storedUrl = calls.url();
    expect(storedUrl).toBeDefined();
    // Second try resumes that URL: tus finds all bytes there and reports success from the HEAD, but
    // central holds no statement. The URL must be forgotten, or every later try does the same.
    const second = await problemOf(
      client().upload(
        { packetId: id, sha256: sha256Hex(data), bytes: data },
        { ...calls.options, ...(storedUrl === undefined ? {} : { resumeUrl: storedUrl }) },
      ),
    );
    expect(second.code).toBe('UPLOAD_NO_STATEMENT');
    expect(calls.calls.at(-1)).toBe('gone');
    expect(calls.url()).toBeUndefined();
    // Third try, with no stored URL: a new upload, committed, with its receipt.
    const third = await client().upload(
      { packetId: id, sha256: sha256Hex(data), bytes: data },
      calls.options,
    );
    expect(third.source).toBe('commit');
    expect((await verified(third.statement, id, data)).ok).toBe(true);
  });

  it('a captive portal page is a link problem, never a statement or "none"', async () => {
    central.faults.portal = true;
    try {
      const c = client();
      expect((await problemOf(c.statement(packetId(7)))).code).toBe('UPLOAD_NOT_CENTRAL');
      expect((await problemOf(c.health())).code).toBe('UPLOAD_NOT_CENTRAL');
      const data = packetBytes(7, 10_000);
      const p = await problemOf(
        c.upload({ packetId: packetId(7), sha256: sha256Hex(data), bytes: data }, recorder().options),
      );
      expect(p.code).toBe('UPLOAD_NOT_CENTRAL');
      expect(p.problem.scope).toBe('link');
      expect(p.problem.message.vi).toContain('Wi-Fi');
    } finally {
      central.faults.portal = false;
    }
  });

  it("a client certificate from another CA gets central's 401, classified; an unpinned server CA fails TLS", async () => {
    const other = await createUploaderPki('station-9999');
    const stranger = client({ tls: { clientKey: other.clientKey, clientCert: other.clientCert } });
    expect((await problemOf(stranger.statement(packetId(8)))).code).toBe(
      'CENTRAL_CLIENT_CERTIFICATE_REQUIRED',
    );
    const unpinned = client({ tls: { centralCa: other.centralCa } });
    const tls = await problemOf(unpinned.health());
    expect(tls.code).toBe('UPLOAD_TLS_FAILED');
    expect(tls.problem.scope).toBe('link');
  });

  it('a refused connection is UPLOAD_OFFLINE', async () => {
    proxy.down = true;
    try {
      const p = await problemOf(client({ url: proxy.url }).health());
      expect(['UPLOAD_OFFLINE', 'UPLOAD_CONNECTION_LOST']).toContain(p.code);
      expect(p.problem.scope).toBe('link');
    } finally {
      proxy.down = false;
    }
  });

  it('the bandwidth limit holds the body to its rate', async () => {
    const data = packetBytes(9, 200_000);
    const rate = 500_000;
    const c = client({ throttle: new TokenBucket({ bytesPerSecond: rate }) });
    const started = performance.now();
    const outcome = await c.upload(
      { packetId: packetId(9), sha256: sha256Hex(data), bytes: data },
      recorder().options,
    );
    const elapsed = performance.now() - started;
    expect(outcome.source).toBe('commit');
    // The bucket starts empty: 200 KB at 500 KB/s takes at least 400 ms (minus one slice of slack).
    expect(elapsed).toBeGreaterThanOrEqual(((data.length - 16 * 1024) / rate) * 1000);
  });
});
