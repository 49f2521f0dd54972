/**
 * The outbox's named failpoints (station/failpoints.ts) with a real SIGKILL: a child process
 * enqueues and acknowledges one packet with STATION_FAILPOINT set, dies at that point (printing
 * `failpoint: <name>`), and reopening the outbox finds the packet exactly once in the state the
 * point implies; sealing it again after the restart never makes a second packet.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailpointName } from '../../../station/failpoints.ts';
import { NodeOutboxFs } from '../../../station/outbox/node-fs.ts';
import { Outbox } from '../../../station/outbox/outbox.ts';
import { CHILD_PACKET_ID, CHILD_RECEIPT, childPacketBytes } from '../../support/outbox-failpoint-child.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CHILD = path.join(ROOT, 'test/support/outbox-failpoint-child.ts');

interface ChildEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runChild(outboxRoot: string, failpoint: FailpointName | undefined): Promise<ChildEnd> {
  const env = { ...process.env };
  if (failpoint) env.STATION_FAILPOINT = failpoint;
  else delete env.STATION_FAILPOINT;
  const child = spawn(
    path.join(ROOT, 'scripts/with-runtime'),
    ['node', '--import', 'tsx', CHILD, outboxRoot],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** How many `.pkt` files name the packet across the state directories. */
async function copiesOnDisk(outboxRoot: string): Promise<number> {
  let copies = 0;
  for (const dir of ['queue', 'acked', 'dead', 'quarantine']) {
    const names = await readdir(path.join(outboxRoot, dir));
    copies += names.filter((name) => name.startsWith(CHILD_PACKET_ID) && name.endsWith('.pkt')).length;
  }
  return copies;
}

/** Failpoint, the state after reopening, and where the kill left the packet and its receipt. */
const CASES: [FailpointName, 'absent' | 'queued' | 'acknowledged', { [dir: string]: string[] }][] = [
  ['outbox.after-tmp-fsync', 'absent', { tmp: ['.tmp'], queue: [], acked: [] }],
  ['outbox.after-rename', 'queued', { tmp: [], queue: ['.pkt'], acked: [] }],
  ['outbox.after-receipt-before-move', 'acknowledged', { queue: ['.pkt'], acked: ['.rcpt'] }],
  ['outbox.after-receipt-before-purge', 'acknowledged', { queue: [], acked: ['.pkt', '.rcpt'] }],
];

/** The endings of the names in each directory named in `layout`, sorted. */
async function layoutOf(outboxRoot: string, layout: { [dir: string]: string[] }) {
  const seen: { [dir: string]: string[] } = {};
  for (const dir of Object.keys(layout)) {
    seen[dir] = (await readdir(path.join(outboxRoot, dir)))
      .map((name) => name.slice(name.lastIndexOf('.')))
      .sort();
  }
  return seen;
}

describe('outbox failpoints', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs to the end without STATION_FAILPOINT', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'outbox-fp-'));
    const end = await runChild(path.join(dir, 'outbox'), undefined);
    expect(end).toMatchObject({ code: 0, signal: null, stdout: 'done\n' });
  }, 30_000);

  it.each(CASES)(
    '%s: killed by SIGKILL there; reopening finds the packet once, %s',
    async (name, expected, layout) => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'outbox-fp-'));
      const outboxRoot = path.join(dir, 'outbox');
      const end = await runChild(outboxRoot, name);
      expect(end.signal).toBe('SIGKILL');
      expect(end.stderr).toContain(`failpoint: ${name}\n`);
      expect(end.stdout).toBe('');
      expect(await layoutOf(outboxRoot, layout)).toEqual(layout);

      const outbox = await Outbox.open({ fs: new NodeOutboxFs(outboxRoot) });
      expect(await readdir(path.join(outboxRoot, 'tmp'))).toEqual([]);
      expect(outbox.quarantined()).toEqual([]);
      const entries = outbox.list();
      if (expected === 'absent') {
        expect(entries).toEqual([]);
        expect(await copiesOnDisk(outboxRoot)).toBe(0);
      } else {
        expect(entries).toMatchObject([{ packetId: CHILD_PACKET_ID, state: expected }]);
        expect(await copiesOnDisk(outboxRoot)).toBe(1);
        const bytes = await outbox.read(CHILD_PACKET_ID);
        expect(Buffer.from(bytes ?? []).equals(Buffer.from(childPacketBytes()))).toBe(true);
      }
      if (expected === 'acknowledged') {
        expect(Buffer.from(await outbox.receipt(CHILD_PACKET_ID)).equals(Buffer.from(CHILD_RECEIPT))).toBe(
          true,
        );
      }
      // The station seals again after its restart: the packet ends up exactly once.
      let builds = 0;
      await outbox.seal(CHILD_PACKET_ID, async () => {
        builds += 1;
        return childPacketBytes();
      });
      expect(builds).toBe(expected === 'absent' ? 1 : 0);
      expect(await copiesOnDisk(outboxRoot)).toBe(1);
      expect((await Outbox.open({ fs: new NodeOutboxFs(outboxRoot) })).list()).toHaveLength(1);
    },
    30_000,
  );
});
