import { isMainThread } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { HotpathError } from '../../../station/hotpath/errors.ts';
import { HotpathPool, type HotpathPoolOptions } from '../../../station/hotpath/pool.ts';
import { readFixture } from '../../support/fixtures.ts';

const TEST_WORKER = new URL('../../support/hotpath-test-worker.ts', import.meta.url);
const pools: HotpathPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function pool(options: HotpathPoolOptions = {}): HotpathPool {
  const created = new HotpathPool({ size: 2, workerUrl: TEST_WORKER, ...options });
  pools.push(created);
  return created;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    expect(error).toBeInstanceOf(HotpathError);
    return (error as HotpathError).code;
  }
}

describe('the hot-path worker pool', () => {
  it('runs WSQ off the main thread, moving the pixels in and the file out, with stage timings', async () => {
    expect(isMainThread).toBe(true);
    const hot = pool();
    const pixels = new Uint8Array(readFixture('wsq/nistFinger_500x500.raw'));
    const result = await hot.run(
      'wsq-encode',
      { width: 500, height: 500, pixels },
      { transfer: [pixels.buffer as ArrayBuffer] },
    );
    // Transferred, not copied: the caller's buffer is gone.
    expect(pixels.byteLength).toBe(0);
    expect(result.value[0]).toBe(0xff);
    expect(result.value[1]).toBe(0xa0);
    expect(result.timings.threadId).toBeGreaterThan(0);
    expect(result.timings.stages.wsq).toBeGreaterThan(0);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.runMs);
    const decoded = await hot.run('wsq-decode', { bytes: result.value });
    expect([decoded.value.width, decoded.value.height]).toEqual([500, 500]);
  });

  it('refuses bad input with HOTPATH_INPUT and the algorithm reason, and keeps serving', async () => {
    const hot = pool();
    const refused = hot.run('wsq-encode', { width: 500, height: 500, pixels: new Uint8Array(10) });
    await expect(refused).rejects.toMatchObject({ code: 'HOTPATH_INPUT', reason: 'length-mismatch' });
    await expect(hot.runAny('spin', { ms: 1 })).resolves.toMatchObject({ value: 1 });
  });

  it('answers HOTPATH_INPUT for input that cannot cross to a worker, and keeps serving the queue', async () => {
    const hot = pool({ size: 1 });
    await hot.ready();
    // Node's Buffer pool cannot be transferred: postMessage throws (DataCloneError). Before, the
    // job never settled and the worker stayed marked busy, so every later job waited forever.
    const pooled = Buffer.from('a small string lives in the shared pool');
    const stuck = hot.runAny('spin', { ms: 1 }, { transfer: [pooled.buffer as ArrayBuffer] });
    const next = hot.runAny('spin', { ms: 1 });
    await expect(stuck).rejects.toMatchObject({ code: 'HOTPATH_INPUT', reason: 'invalid-value' });
    await expect(next).resolves.toMatchObject({ value: 1 });
  });

  it('runs jobs on every worker at once and queues the rest', async () => {
    const hot = pool({ size: 2 });
    await hot.ready();
    const jobs = [1, 2, 3, 4].map(() => hot.runAny('spin', { ms: 150 }));
    expect(hot.stats()).toMatchObject({ busy: 2, queued: 2 });
    const results = await Promise.all(jobs);
    expect(new Set(results.map((r) => r.timings.threadId)).size).toBe(2);
    // The last two waited for a worker.
    expect(Math.max(...results.map((r) => r.timings.queuedMs))).toBeGreaterThan(100);
  });

  it('runs urgent jobs (preview frames) ahead of every queued normal one', async () => {
    const hot = pool({ size: 1 });
    await hot.ready();
    const order: string[] = [];
    const run = (name: string, priority: 'normal' | 'urgent') =>
      hot.runAny('spin', { ms: name === 'busy' ? 100 : 5 }, { priority }).then(() => order.push(name));
    const jobs = [
      run('busy', 'normal'),
      run('normal-1', 'normal'),
      run('normal-2', 'normal'),
      run('urgent-1', 'urgent'),
      run('urgent-2', 'urgent'),
    ];
    await Promise.all(jobs);
    expect(order).toEqual(['busy', 'urgent-1', 'urgent-2', 'normal-1', 'normal-2']);
  });

  it('reports a job over its budget, and still returns its result', async () => {
    const reports: string[] = [];
    const hot = pool({ budgetsMs: { spin: 20 }, onOverBudget: (r) => reports.push(r.kind) });
    const result = await hot.runAny('spin', { ms: 60 });
    expect(result).toMatchObject({ value: 1, overBudget: true, budgetMs: 20 });
    expect(reports).toEqual(['spin']);
    expect(hot.stats().overBudget).toBe(1);
    expect((await hot.runAny('spin', { ms: 1 }, { budgetMs: 5000 })).overBudget).toBe(false);
  });

  it('cancels: a queued job leaves at once, a running one stops at its next stage', async () => {
    const hot = pool({ size: 1 });
    const running = new AbortController();
    const queued = new AbortController();
    const first = hot.runAny('spin', { ms: 100, stages: 20 }, { signal: running.signal });
    const second = hot.runAny('spin', { ms: 10 }, { signal: queued.signal });
    queued.abort();
    expect(await codeOf(second)).toBe('HOTPATH_CANCELED');
    setTimeout(() => running.abort(), 150);
    const started = performance.now();
    expect(await codeOf(first)).toBe('HOTPATH_CANCELED');
    expect(performance.now() - started).toBeLessThan(1000);
    // The worker is free again after its current stage, well before 20 stages would have run.
    const after = await hot.runAny('spin', { ms: 1 });
    expect(after.timings.queuedMs).toBeLessThan(500);
  });

  it('replaces a worker that dies: its job fails with HOTPATH_WORKER_CRASHED, the next one runs', async () => {
    const hot = pool({ size: 1 });
    expect(await codeOf(hot.runAny('crash', {}))).toBe('HOTPATH_WORKER_CRASHED');
    expect(hot.stats().crashed).toBe(1);
    await expect(hot.runAny('spin', { ms: 1 })).resolves.toMatchObject({ value: 1 });
  });

  it('kills a job past its hard limit with HOTPATH_TIMEOUT and carries on', async () => {
    const hot = pool({ size: 1, hardLimitMs: 300 });
    expect(await codeOf(hot.runAny('hang', {}))).toBe('HOTPATH_TIMEOUT');
    expect(hot.stats().timedOut).toBe(1);
    await expect(hot.runAny('spin', { ms: 1 })).resolves.toMatchObject({ value: 1 });
  });

  it('bounds the queue, and fails everything with HOTPATH_CLOSED on close', async () => {
    const hot = pool({ size: 1, maxQueued: 2 });
    await hot.ready();
    // Outcomes are watched from the start, so the rejections at close are handled.
    const outcomes = [
      hot.runAny('spin', { ms: 200 }),
      hot.runAny('spin', { ms: 1 }),
      hot.runAny('spin', { ms: 1 }),
    ].map(codeOf);
    expect(await codeOf(hot.runAny('spin', { ms: 1 }))).toBe('HOTPATH_QUEUE_FULL');
    await hot.close();
    expect(await Promise.all(outcomes)).toEqual(['HOTPATH_CLOSED', 'HOTPATH_CLOSED', 'HOTPATH_CLOSED']);
    expect(await codeOf(hot.runAny('spin', { ms: 1 }))).toBe('HOTPATH_CLOSED');
  });
});
