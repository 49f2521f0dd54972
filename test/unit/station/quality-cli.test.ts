import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NIST_COMPUTED_MEASURE_NAMES } from '../../../protocol/quality/index.ts';
import { main } from '../../../station/cli/main.ts';
import { recordingIo } from '../../support/cli.ts';
import { fixture, readNistQualityOutput } from '../../support/fixtures.ts';
import { tempDir } from '../../support/station.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function scratch(): string {
  const tmp = tempDir('station-quality-');
  cleanups.push(() => tmp.remove());
  return tmp.dir;
}

async function quality(dir: string, ...args: string[]) {
  const io = recordingIo(dir);
  const code = await main(['quality', ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('station quality', () => {
  it("prints our score with its identity, and NFIQ 2 measures under NIST's names equal to NIST's output", async () => {
    const dir = scratch();
    const { code, out } = await quality(dir, '--in', fixture('nfiq2/SFinGe_Test03.pgm'));
    expect(code).toBe(0);
    const answer = JSON.parse(out);
    expect(Number.isInteger(answer.score)).toBe(true);
    expect(answer.score).toBeGreaterThan(0);
    expect(answer.algorithm).toMatchObject({ vendorId: '0x0000', productId: '0x0001' });
    expect(answer.algorithm.name).toMatch(/not NFIQ 2/);
    const expected = readNistQualityOutput('SFinGe_Test03');
    expect(Object.keys(answer.measures)).toEqual(
      expect.arrayContaining([...NIST_COMPUTED_MEASURE_NAMES, 'UniformImage', 'EmptyImageOrContrastTooLow']),
    );
    for (const name of NIST_COMPUTED_MEASURE_NAMES) {
      const want = expected.get(name);
      expect(want, name).toBeDefined();
      // NIST prints six significant digits; so do we.
      expect(answer.measures[name], name).toBeCloseTo(Number(want), 4);
    }
    expect(answer.ourMinutiae.Minutiae_Count.standsFor).toBe('FingerJetFX_MinutiaeCount');
    expect(answer.ourMinutiae.Minutiae_Count.value).toBeGreaterThan(5);
    expect(answer.measures.FingerprintImageWithMinutiae).toBe(answer.ourMinutiae.Minutiae_Count.value);
  });

  it('reads WSQ, and tells the officer about a dry finger', async () => {
    const dir = scratch();
    copyFileSync(fixture('wsq/nistFinger_500x500_cwsq075.wsq'), path.join(dir, 'finger.wsq'));
    const wsq = await quality(dir, '--in', 'finger.wsq');
    expect(wsq.code).toBe(0);
    expect(JSON.parse(wsq.out)).toMatchObject({ width: 500, height: 500 });

    const render = recordingIo(dir);
    const args = ['--seed', '12', '--condition', 'dry', '--severity', '0.9', '--out', 'dry.png'];
    expect(await main(['sim', 'render-finger', ...args], render)).toBe(0);
    const dry = JSON.parse((await quality(dir, '--in', 'dry.png')).out);
    expect(dry.feedback.map((f: { code: string }) => f.code)).toContain('FINGER_TOO_DRY');
    expect(dry.feedback[0].message.vi.length).toBeGreaterThan(0);
  });

  it('refuses what it cannot score with exit 1 and the reason; bad usage with exit 2', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'tiny.raw'), new Uint8Array(100));
    const tiny = await quality(dir, '--in', 'tiny.raw', '--width', '10', '--height', '10');
    expect(tiny.code).toBe(1);
    expect(tiny.err).toMatch(/\[QUALITY_TOO_SMALL\]/);
    const short = await quality(dir, '--in', 'tiny.raw', '--width', '100', '--height', '100');
    expect(short.code).toBe(1);
    expect(short.err).toMatch(/\[QUALITY_SIZE_MISMATCH\]/);
    writeFileSync(path.join(dir, 'broken.wsq'), new Uint8Array([0xff, 0xa0, 0xff]));
    const broken = await quality(dir, '--in', 'broken.wsq');
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/not a WSQ file we can decode/);
    expect((await quality(dir, '--in', 'nothing.png')).err).toMatch(/no such file/);
    expect((await quality(dir, '--in', 'photo.jpg')).code).toBe(2);
    expect((await quality(dir, '--in', 'tiny.raw')).code).toBe(2);
    expect((await quality(dir)).code).toBe(2);
  });

  it('scores several files in one start: one JSON line per file in order, a failed file in its place, exit 1', async () => {
    const dir = scratch();
    for (const [seed, condition] of [
      ['21', 'good'],
      ['22', 'dry'],
    ] as const) {
      const args = [
        '--seed',
        seed,
        '--condition',
        condition,
        '--severity',
        '0.9',
        '--out',
        `${condition}.png`,
      ];
      expect(await main(['sim', 'render-finger', ...args], recordingIo(dir))).toBe(0);
    }
    const single = JSON.parse((await quality(dir, '--in', 'dry.png')).out);

    const both = await quality(dir, '--in', 'good.png', '--in', 'dry.png');
    expect(both.code).toBe(0);
    const lines = both.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const [good, dry] = lines.map((line) => JSON.parse(line));
    expect(good.file).toBe(path.join(dir, 'good.png'));
    expect(dry).toEqual(single);

    // Positional files, mixed with --in, and one that cannot be read: the others are still scored.
    const mixed = await quality(dir, 'good.png', 'missing.png', '--in', 'dry.png');
    expect(mixed.code).toBe(1);
    const answers = mixed.out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(answers.map((a) => path.basename(a.file))).toEqual(['good.png', 'missing.png', 'dry.png']);
    expect(answers[1].error).toMatchObject({ code: 'INPUT_UNREADABLE' });
    expect(answers[1].error.message).toMatch(/no such file/);
    expect(answers[2].score).toBe(single.score);
    expect(mixed.err).toMatch(/missing\.png: no such file \[INPUT_UNREADABLE\]/);
  });
});
