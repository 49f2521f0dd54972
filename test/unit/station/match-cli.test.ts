import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FMR, scoreToFmr, thresholdForFmr } from '../../../protocol/fingerprint/match/thresholds.ts';
import { encodeWsq } from '../../../protocol/wsq/index.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';
import { main } from '../../../station/cli/main.ts';
import { encodeGreyPng, encodePgm } from '../../../station/imaging/grey-image.ts';
import { recordingIo } from '../../support/cli.ts';
import { tempDir } from '../../support/station.ts';

let dir = '';
let remove = () => {};

async function match(...args: string[]) {
  const io = recordingIo(dir);
  const code = await main(['match', ...args], io);
  return { code, out: io.out, err: io.err };
}

beforeAll(async () => {
  const tmp = tempDir('station-match-');
  dir = tmp.dir;
  remove = tmp.remove;
  const finger = (personSeed: number, impression: number, condition = 'good') =>
    renderFinger({ personSeed, finger: 7, impression, condition }).image;
  // Two impressions of one finger (one as PNG at 500 ppi, one as WSQ), another person's finger as
  // PGM, and blank glass.
  const a1 = finger(31337, 1);
  writeFileSync(path.join(dir, 'a1.png'), await encodeGreyPng(a1, 500));
  const wsq = encodeWsq(finger(31337, 2).pixels, { width: 500, height: 500, bitRate: 0.75, ppi: 500 });
  if (!wsq.ok) throw new Error(wsq.error.detail);
  writeFileSync(path.join(dir, 'a2.wsq'), wsq.value);
  writeFileSync(path.join(dir, 'b1.pgm'), encodePgm(finger(27182, 1)));
  writeFileSync(
    path.join(dir, 'blank.pgm'),
    encodePgm({ width: 300, height: 300, pixels: new Uint8Array(90000).fill(230) }),
  );
  // The same finger's third impression as a TIFF written by libvips (uncompressed, 500 ppi), and
  // an LZW TIFF, which we do not read.
  const a3 = finger(31337, 3);
  const raw = { raw: { width: a3.width, height: a3.height, channels: 1 as const } };
  writeFileSync(
    path.join(dir, 'a3.tif'),
    await sharp(a3.pixels, raw)
      .toColourspace('b-w')
      .tiff({ compression: 'none', xres: 500 / 25.4, yres: 500 / 25.4 })
      .toBuffer(),
  );
  writeFileSync(
    path.join(dir, 'scan.tif'),
    await sharp(a3.pixels, raw).toColourspace('b-w').tiff({ compression: 'lzw' }).toBuffer(),
  );
});

afterAll(() => remove());

describe('station match', () => {
  it('matches two impressions of a finger (PNG and WSQ), with the FMR the score stands for', async () => {
    const { code, out } = await match('--a', 'a1.png', '--b', 'a2.wsq');
    expect(code).toBe(0);
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({
      a: 'a1.png',
      b: 'a2.wsq',
      status: 'compared',
      decision: 'match',
      decisionFmr: DEFAULT_FMR,
    });
    expect(answer.score).toBeGreaterThanOrEqual(thresholdForFmr(DEFAULT_FMR));
    expect(answer.threshold).toBeCloseTo(thresholdForFmr(DEFAULT_FMR), 5);
    expect(answer.fmr).toBeCloseTo(scoreToFmr(answer.score), 5);
    expect(answer.fmr).toBeLessThanOrEqual(DEFAULT_FMR);
    expect(answer.pairedMinutiae).toBeGreaterThanOrEqual(8);
    expect(answer.minutiae.a).toBeGreaterThan(answer.pairedMinutiae - 1);
    expect(answer.ppi).toEqual({ a: 500, b: 500 });
  });

  it('reads an uncompressed grey TIFF at its stated resolution', async () => {
    const { code, out } = await match('--a', 'a3.tif', '--b', 'a1.png');
    expect(code).toBe(0);
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({ status: 'compared', decision: 'match', ppi: { a: 500, b: 500 } });
  });

  it("does not match another person's finger, even at FMR 1 %", async () => {
    const { code, out } = await match('--a', 'a1.png', '--b', 'b1.pgm', '--fmr', '0.01');
    expect(code).toBe(0);
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({ status: 'compared', decision: 'no-match', decisionFmr: 0.01 });
    expect(answer.fmr).toBeGreaterThan(0.01);
    expect(answer.score).toBeLessThan(answer.threshold);
  });

  it('says a print with too few minutiae cannot be compared, and why, in both languages', async () => {
    const { code, out, err } = await match('--a', 'blank.pgm', '--b', 'a1.png');
    expect(code).toBe(1);
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({
      status: 'cannot-compare',
      image: 'a',
      error: { code: 'MATCH_CANNOT_COMPARE' },
      minimum: { minutiae: 8 },
    });
    expect(answer.message.vi).toMatch(/vân tay/);
    expect(answer.message.en).toMatch(/capture it again/);
    expect(err).toMatch(/MATCH_CANNOT_COMPARE/);
  });

  it('runs a list of pairs, one JSON line each and a summary, and goes on past unreadable files', async () => {
    writeFileSync(
      path.join(dir, 'pairs.txt'),
      '# genuine, impostor, missing, TIFF, blank\na1.png a2.wsq\na1.png b1.pgm\na1.png missing.png\nscan.tif a1.png\nblank.pgm b1.pgm\n',
    );
    const { code, out, err } = await match('--pairs', 'pairs.txt');
    expect(code).toBe(1);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 5).map((l) => l.status)).toEqual([
      'compared',
      'compared',
      'unreadable',
      'unreadable',
      'cannot-compare',
    ]);
    expect(lines.slice(0, 2).map((l) => l.decision)).toEqual(['match', 'no-match']);
    expect(lines[2]).toMatchObject({ image: 'b', error: { code: 'IMAGE_FILE_UNREADABLE' } });
    expect(lines[3]).toMatchObject({ image: 'a', error: { code: 'IMAGE_UNSUPPORTED' } });
    expect(lines[3].error.message).toMatch(/compression 5/);
    expect(lines[5].summary).toMatchObject({
      pairs: 5,
      compared: 2,
      match: 1,
      noMatch: 1,
      cannotCompare: 1,
      unreadable: 2,
      decisionFmr: DEFAULT_FMR,
    });
    expect(err).toMatch(/2 pair\(s\)/);
  });

  it('refuses a wrong command line with the usage (exit 2)', async () => {
    for (const args of [
      ['--a', 'a1.png'],
      ['--a', 'a1.png', '--b', 'a2.wsq', '--pairs', 'pairs.txt'],
      ['--a', 'a1.png', '--b', 'a2.wsq', '--fmr', '2'],
      ['--a', 'a1.png', '--b', 'a2.wsq', '--fmr', '1e-9'],
      ['--a', 'a1.png', '--b', 'a2.wsq', '--threshold', '0.1'],
    ]) {
      const { code, err } = await match(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toMatch(/Usage: station match/);
    }
  });

  it('reports an unreadable pair list', async () => {
    const missing = await match('--pairs', 'nope.txt');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).error.code).toBe('PAIR_LIST_UNREADABLE');
    writeFileSync(path.join(dir, 'bad.txt'), 'a1.png\n');
    const bad = await match('--pairs', 'bad.txt');
    expect(JSON.parse(bad.out).error).toMatchObject({ code: 'PAIR_LIST_INVALID' });
  });
});
