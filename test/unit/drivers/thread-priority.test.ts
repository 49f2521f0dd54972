/**
 * Worker threads doing CPU work run below the event loop's priority (Linux keeps a nice value per
 * thread): checked on the hot path's real workers through /proc, and the main thread left alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE_STEPS, lowerThreadPriority } from '../../../drivers/thread-priority.ts';
import { Hotpath } from '../../../station/hotpath/hotpath.ts';

/** The nice value of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): Map<string, number> {
  const nices = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // After the ")" that ends the command name: state is field 3, nice is field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nices.set(tid, Number(fields[16]));
  }
  return nices;
}

let hotpath: Hotpath | undefined;
afterEach(async () => {
  await hotpath?.close();
  hotpath = undefined;
});

describe('lowerThreadPriority', () => {
  it('leaves the main thread (the event loop) at its priority', () => {
    const before = getPriority(0);
    expect(lowerThreadPriority()).toBe(false);
    expect(getPriority(0)).toBe(before);
  });

  it('refuses a step outside 1..19', () => {
    expect(() => lowerThreadPriority(20)).toThrow(RangeError);
    expect(() => lowerThreadPriority(0)).toThrow(RangeError);
  });

  it('puts the hot path workers five nice steps below the thread that started them', async () => {
    expect(process.platform, 'per-thread nice values are a Linux behaviour; run this on Linux').toBe('linux');
    const before = threadNices();
    hotpath = new Hotpath({ workers: 2, hardLimitMs: 10_000 });
    await hotpath.ready();
    const added = [...threadNices()].filter(([tid]) => !before.has(tid));
    const mainNice = before.get(String(process.pid)) ?? 0;
    const lowered = added.filter(([, nice]) => nice === Math.min(19, mainNice + BACKGROUND_NICE_STEPS));
    // Each worker thread lowers itself; V8 and libuv helper threads started beside them may not.
    expect(lowered.length).toBeGreaterThanOrEqual(2);
    expect(threadNices().get(String(process.pid))).toBe(before.get(String(process.pid)));
  }, 60_000);
});
