/**
 * The outbox soak harness's pieces (scripts/soak/): the seeded plan, the failpoint schedule, the
 * failpoint lines on stderr, the verdict from central's raw log, and the child-process control.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AcceptedLine, judgeLog, parseAcceptedLog } from '../../../scripts/soak/central-log.ts';
import { SeededRandom } from '../../../scripts/soak/random.ts';
import {
  CENTRAL_KILL_EVERY,
  FailpointSchedule,
  failpointLines,
  planIteration,
  SOAK_FAILPOINTS,
} from '../../../scripts/soak/schedule.ts';
import { freePort, requestJson, spawnNode, waitHealthy } from '../../../scripts/soak/station-process.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'soak-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seeded randomness', () => {
  it('replays the same values for the same seed and differs for another', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const take = (r: SeededRandom) => Array.from({ length: 8 }, () => r.uint32());
    const first = take(a);
    expect(take(b)).toEqual(first);
    expect(take(c)).not.toEqual(first);
  });

  it('makes version 4 UUIDs and integers inside their bounds', () => {
    const random = new SeededRandom(7);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i += 1) {
      const id = random.uuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      const n = random.int(-2, 3);
      expect(n).toBeGreaterThanOrEqual(-2);
      expect(n).toBeLessThanOrEqual(3);
    }
    expect(seen.size).toBe(500);
    const hits = new Set(Array.from({ length: 200 }, () => random.int(1, 3)));
    expect([...hits].sort()).toEqual([1, 2, 3]);
  });

  it('refuses a seed that is not a non-negative integer', () => {
    expect(() => new SeededRandom(-1)).toThrow(RangeError);
    expect(() => new SeededRandom(1.5)).toThrow(RangeError);
  });
});

describe('the plan', () => {
  it('is the same for the same seed and iteration, and ids never repeat across a run', () => {
    expect(planIteration(9, 3, undefined)).toEqual(planIteration(9, 3, undefined));
    expect(planIteration(9, 3, undefined).enrollments).not.toEqual(
      planIteration(10, 3, undefined).enrollments,
    );
    const ids = new Set<string>();
    let count = 0;
    for (const seed of [0, 1, 2]) {
      for (let index = 0; index < 200; index += 1) {
        const plan = planIteration(seed, index, undefined);
        for (const e of [...plan.enrollments, ...plan.spares]) {
          ids.add(e.packetId);
          ids.add(e.enrollmentSessionId);
          count += 2;
        }
      }
    }
    expect(ids.size).toBe(count);
  });

  it('submits 1 to 3 enrollments, kills central every seventh iteration, and uses both kill points', () => {
    const plans = Array.from({ length: 70 }, (_, index) => planIteration(5, index, undefined));
    for (const plan of plans) {
      expect(plan.enrollments.length).toBeGreaterThanOrEqual(1);
      expect(plan.enrollments.length).toBeLessThanOrEqual(3);
      expect(plan.centralKillAfterMs !== undefined).toBe(
        plan.index % CENTRAL_KILL_EVERY === CENTRAL_KILL_EVERY - 1,
      );
    }
    expect(new Set(plans.map((p) => p.killAt))).toEqual(new Set(['enqueue', 'upload']));
    expect(new Set(plans.map((p) => p.concurrent))).toEqual(new Set([true, false]));
  });
});

describe('the failpoint schedule', () => {
  it('arms every failpoint within 20 iterations even when each needs a second try', () => {
    const schedule = new FailpointSchedule();
    const tries = new Map<string, number>();
    for (let index = 0; index < 20; index += 1) {
      const name = schedule.choose(index, 20);
      if (name === undefined) continue;
      // Every failpoint misses its first try.
      const n = (tries.get(name) ?? 0) + 1;
      tries.set(name, n);
      if (n >= 2) schedule.recordHit(name);
    }
    expect(schedule.missing()).toEqual([]);
    for (const name of SOAK_FAILPOINTS) expect(schedule.count(name)).toBeGreaterThanOrEqual(1);
  });

  it('retries a missed failpoint, then goes round once all were hit', () => {
    const schedule = new FailpointSchedule();
    const first = schedule.choose(1, 200);
    expect(first).toBe(SOAK_FAILPOINTS[0]);
    expect(schedule.choose(0, 200)).toBeUndefined();
    expect(schedule.choose(3, 200)).toBe(first);
    for (const name of SOAK_FAILPOINTS) schedule.recordHit(name);
    const round = [5, 7, 9, 11, 13, 15].map((i) => schedule.choose(i, 200));
    expect(new Set(round)).toEqual(new Set(SOAK_FAILPOINTS));
    expect(schedule.counts()[SOAK_FAILPOINTS[0] ?? 'outbox.after-rename']).toBe(1);
  });

  it('reads failpoint lines from stderr text and ignores anything else', () => {
    const text =
      'station: listening\nfailpoint: outbox.after-rename\nfailpoint: not.a-failpoint\n  failpoint: uploader.after-create\nfailpoint: uploader.after-create\n';
    expect(failpointLines(text)).toEqual(['outbox.after-rename', 'uploader.after-create']);
  });
});

describe("the verdict from central's raw log", () => {
  const line = (
    nonce: string,
    packetId: string,
    order: AcceptedLine['order'] = 'production',
  ): AcceptedLine => ({
    at: '2026-12-07T00:00:00.000Z',
    packetId,
    enrollmentSessionId: nonce,
    sha256: `${packetId}-sha`,
    stationId: 'SOAK-01',
    order,
  });

  it('counts a confirmed nonce with no production order as lost, and one with two lines as duplicated', () => {
    const log = [
      line('n1', 'p1'),
      line('n2', 'p2'),
      line('n2', 'p2b', 'held-duplicate-session'),
      line('n4', 'p4'),
      line('n4', 'p4b'),
      line('n5', 'p5'),
    ];
    const confirmed = new Map([
      ['n1', { packetId: 'p1', sha256: 'p1-sha' }],
      ['n2', { packetId: 'p2', sha256: 'p2-sha' }],
      ['n3', { packetId: 'p3', sha256: 'p3-sha' }],
    ]);
    // n5 was sent but never confirmed: produced once, neither lost nor duplicated.
    const verdict = judgeLog(log, confirmed, new Set(['n1', 'n2', 'n3', 'n4', 'n5']));
    expect(verdict.lost).toEqual(['n3']);
    expect([...verdict.duplicated].sort()).toEqual(['n2', 'n4']);
    expect(verdict.mismatched).toEqual([]);
    expect(verdict.unknown).toEqual([]);
  });

  it('names a nonce produced under another packet or digest than the one confirmed, and nonces never sent', () => {
    const verdict = judgeLog(
      [line('n1', 'p1'), line('zz', 'pz')],
      new Map([['n1', { packetId: 'p1', sha256: 'other' }]]),
      new Set(['n1']),
    );
    expect(verdict.mismatched.map((m) => m.nonce)).toEqual(['n1']);
    expect(verdict.unknown).toEqual(['zz']);
    expect(verdict.lost).toEqual([]);
  });

  it('parses whole lines and lists a torn one instead of guessing', () => {
    const good = JSON.stringify(line('n1', 'p1'));
    const parsed = parseAcceptedLog(`${good}\n\n${JSON.stringify({ packetId: 'x' })}\n{"at":"2026-12`);
    expect(parsed.lines).toHaveLength(1);
    expect(parsed.unreadable.map((u) => u.line)).toEqual([3, 4]);
  });
});

describe('child process control', () => {
  it('waits for /health, sees a failpoint line, and reports the SIGKILL', async () => {
    const port = await freePort();
    const script = path.join(dir, 'child.ts');
    const logFile = path.join(dir, 'child.log');
    writeFileSync(
      script,
      `import http from 'node:http';
import { writeSync } from 'node:fs';
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.end('{"ok":true}'); return; }
  if (req.url === '/die') { writeSync(2, 'failpoint: outbox.after-rename\\n'); process.kill(process.pid, 'SIGKILL'); }
  res.statusCode = 404; res.end('{}');
});
setTimeout(() => server.listen(${port}, '127.0.0.1'), 300);
`,
    );
    const child = spawnNode({ args: [script], logFile });
    const url = `http://127.0.0.1:${port}`;
    expect(await waitHealthy(url, child, 20_000)).toBe('up');
    await expect(requestJson(`${url}/die`, { method: 'POST', body: {}, timeoutMs: 5000 })).rejects.toThrow();
    const status = await child.exited;
    expect(status).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.failpoints()).toEqual(['outbox.after-rename']);
    expect(readFileSync(logFile, 'utf8')).toContain('failpoint: outbox.after-rename');
  }, 30_000);

  it('says "exited" when the process dies before it answers, and kill() waits for the exit', async () => {
    const port = await freePort();
    const quits = path.join(dir, 'quits.ts');
    writeFileSync(quits, 'process.exit(3);\n');
    const child = spawnNode({ args: [quits] });
    expect(await waitHealthy(`http://127.0.0.1:${port}`, child, 20_000)).toBe('exited');
    expect(await child.exited).toEqual({ code: 3, signal: null });

    const sleeper = path.join(dir, 'sleeps.ts');
    writeFileSync(sleeper, 'setInterval(() => {}, 1000);\n');
    const second = spawnNode({ args: [sleeper] });
    expect(await second.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(second.gone()).toBe(true);
  }, 30_000);

  it('answers a JSON body, and a timeout names the request', async () => {
    const server = http.createServer((request, response) => {
      if (request.url === '/slow') return;
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => response.end(JSON.stringify({ echo: JSON.parse(body) })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      expect(await requestJson(`${url}/echo`, { method: 'POST', body: { a: 1 }, timeoutMs: 5000 })).toEqual({
        status: 200,
        body: { echo: { a: 1 } },
      });
      await expect(requestJson(`${url}/slow`, { timeoutMs: 200 })).rejects.toThrow(/no answer within 200 ms/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
