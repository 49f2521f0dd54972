import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderSlap } from '../../../simulators/fingerprint/generator.ts';
import { main } from '../../../station/cli/main.ts';
import { HotpathPool } from '../../../station/hotpath/pool.ts';
import { decodeGreyPng } from '../../../station/imaging/grey-image.ts';
import { recordingIo } from '../../support/cli.ts';
import { tempDir } from '../../support/station.ts';

const io = recordingIo;

/** An all-white binary PGM. */
function blankPgm(width: number, height: number): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${width} ${height}\n255\n`);
  const out = new Uint8Array(header.length + width * height).fill(255);
  out.set(header);
  return out;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('station segment', () => {
  it('cuts a right slap with a missing ring finger into crops named by position', async () => {
    const tmp = tempDir('station-segment-');
    cleanups.push(() => tmp.remove());
    let run = io(tmp.dir);
    const render = [
      'sim',
      'render-slap',
      '--seed',
      '5',
      '--hand',
      'right',
      '--missing',
      '4',
      '--out',
      'slap.png',
    ];
    expect(await main(render, run)).toBe(0);
    run = io(tmp.dir);
    expect(await main(['segment', '--in', 'slap.png', '--hand', 'right', '--out-dir', 'out'], run)).toBe(0);
    const answer = JSON.parse(run.out);
    expect(answer.missing).toEqual([4]);
    expect(answer.fingers.map((f: { position: number }) => f.position)).toEqual([2, 3, 5]);
    const crop = await decodeGreyPng(readFileSync(path.join(tmp.dir, 'out', 'finger-3.png')));
    expect(crop.width).toBeGreaterThanOrEqual(197);
    expect(crop.height).toBeGreaterThanOrEqual(197);
  });

  it('exits 1 with SEGMENT_NO_FINGER on a blank slap and SEGMENT_HAND_MISMATCH on a slap cut as thumbs', async () => {
    const tmp = tempDir('station-segment-');
    cleanups.push(() => tmp.remove());
    let run = io(tmp.dir);
    expect(
      await main(['sim', 'render-slap', '--seed', '5', '--hand', 'right', '--out', 'slap.png'], run),
    ).toBe(0);
    run = io(tmp.dir);
    expect(await main(['segment', '--in', 'slap.png', '--hand', 'thumbs', '--out-dir', 'out'], run)).toBe(1);
    expect(JSON.parse(run.out).problem).toMatchObject({
      code: 'SEGMENT_HAND_MISMATCH',
      seen: 'four-fingers',
    });
    expect(run.err).toMatch(/SEGMENT_HAND_MISMATCH/);
    writeFileSync(path.join(tmp.dir, 'blank.pgm'), blankPgm(400, 400));
    run = io(tmp.dir);
    expect(await main(['segment', '--in', 'blank.pgm', '--hand', 'right', '--out-dir', 'out'], run)).toBe(1);
    expect(JSON.parse(run.out).problem.code).toBe('SEGMENT_NO_FINGER');
    expect(run.err).toMatch(/No finger was found[\s\S]*SEGMENT_NO_FINGER/);
  }, 60_000);

  it('refuses a wrong hand name and a raw file with usage, and a missing file with exit 1', async () => {
    const dir = tempDir('station-segment-');
    cleanups.push(() => dir.remove());
    let run = io(dir.dir);
    expect(await main(['segment', '--in', 'a.png', '--hand', 'middle', '--out-dir', 'o'], run)).toBe(2);
    expect(run.err).toMatch(/--hand must be one of: right, left, thumbs/);
    run = io(dir.dir);
    expect(await main(['segment', '--in', 'a.raw', '--hand', 'right', '--out-dir', 'o'], run)).toBe(2);
    run = io(dir.dir);
    expect(await main(['segment', '--in', 'a.png', '--hand', 'right', '--out-dir', 'o'], run)).toBe(1);
    expect(run.err).toMatch(/no such file/);
  });
});

describe('the segment job in the hot-path pool', () => {
  it('segments off the main thread and hands the crops back by transfer', async () => {
    const pool = new HotpathPool({ size: 1 });
    cleanups.push(() => pool.close());
    const { image } = renderSlap({ personSeed: 7, hand: 'left' });
    const result = await pool.run(
      'segment',
      { ...image, hand: 'left' },
      { transfer: [image.pixels.buffer as ArrayBuffer] },
    );
    expect(result.value.fingers.map((f) => f.position)).toEqual([10, 9, 8, 7]);
    expect(result.value.fingers[0]?.crop.pixels.length).toBeGreaterThan(197 * 197);
    expect(result.timings.stages.segment).toBeGreaterThan(0);
    await expect(
      pool.run('segment', { width: 10, height: 10, pixels: new Uint8Array(100), hand: 'left' }),
    ).rejects.toMatchObject({
      code: 'HOTPATH_INPUT',
    });
  });
});
