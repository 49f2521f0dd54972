import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { psnr } from '../../../protocol/wsq/index.ts';
import { main } from '../../../station/cli/main.ts';
import { decodeGreyPng, decodePgm } from '../../../station/imaging/grey-image.ts';
import { recordingIo } from '../../support/cli.ts';
import { fixture } from '../../support/fixtures.ts';
import { tempDir } from '../../support/station.ts';

const io = recordingIo;

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function workdir(): string {
  const tmp = tempDir('station-wsq-');
  cleanups.push(() => tmp.remove());
  return tmp.dir;
}

describe('station wsq', () => {
  it('encodes NIST raw finger at 0.75 bpp, decodes it to PNG, and reports the file', async () => {
    const dir = workdir();
    const raw = fixture('wsq/nistFinger_500x500.raw');
    let run = io(dir);
    expect(
      await main(['wsq', 'encode', '--in', raw, '--width', '500', '--height', '500', '--out', 'f.wsq'], run),
    ).toBe(0);
    const encoded = JSON.parse(run.out);
    // NIST's cwsq makes 22,036 bytes of this image at 0.75 bpp.
    expect(encoded).toMatchObject({ width: 500, height: 500, ppi: 500, targetBitRate: 0.75 });
    expect(Math.abs(encoded.bytes - 22_036) / 22_036).toBeLessThan(0.1);
    expect(readFileSync(path.join(dir, 'f.wsq')).length).toBe(encoded.bytes);

    run = io(dir);
    expect(await main(['wsq', 'decode', '--in', 'f.wsq', '--out', 'f.png'], run)).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ width: 500, height: 500, ppi: 500, format: 'png' });
    const decoded = await decodeGreyPng(readFileSync(path.join(dir, 'f.png')));
    expect(psnr(new Uint8Array(readFileSync(raw)), decoded.pixels)).toBeGreaterThan(28.6);

    run = io(dir);
    expect(await main(['wsq', 'info', 'f.wsq'], run)).toBe(0);
    const info = JSON.parse(run.out);
    expect(info.nistcom).toMatchObject({
      PIX_WIDTH: '500',
      PPI: '500',
      WSQ_BITRATE: expect.stringMatching(/^0\.75/),
    });
    expect(info.subbands).toHaveLength(64);

    // The same answer through --in, as encode and decode take their input.
    run = io(dir);
    expect(await main(['wsq', 'info', '--in', 'f.wsq'], run)).toBe(0);
    expect(JSON.parse(run.out)).toEqual(info);
  });

  it('reads PGM input and a higher bit rate gives a larger, closer file', async () => {
    const dir = workdir();
    const pixels = new Uint8Array(readFileSync(fixture('wsq/nistFinger_500x500.raw')));
    writeFileSync(path.join(dir, 'in.pgm'), Buffer.concat([Buffer.from('P5\n500 500\n255\n'), pixels]));
    const sizes: number[] = [];
    for (const rate of ['0.75', '2.25']) {
      const run = io(dir);
      expect(
        await main(['wsq', 'encode', '--in', 'in.pgm', '--bitrate', rate, '--out', `${rate}.wsq`], run),
      ).toBe(0);
      sizes.push(JSON.parse(run.out).bytes);
      expect(await main(['wsq', 'decode', '--in', `${rate}.wsq`, '--out', `${rate}.pgm`], io(dir))).toBe(0);
    }
    expect(sizes[1]).toBeGreaterThan((sizes[0] ?? 0) * 2);
    const low = decodePgm(readFileSync(path.join(dir, '0.75.pgm'))).pixels;
    const high = decodePgm(readFileSync(path.join(dir, '2.25.pgm'))).pixels;
    expect(psnr(pixels, high)).toBeGreaterThan(psnr(pixels, low) + 4);
  });

  it('refuses a bad command line with usage (exit 2)', async () => {
    const dir = workdir();
    const cases: [string[], RegExp][] = [
      [['wsq', 'encode', '--in', 'x.raw', '--out', 'x.wsq'], /needs --width and --height/],
      [['wsq', 'encode', '--in', 'x.png', '--width', '5', '--out', 'x.wsq'], /are for \.raw input/],
      [['wsq', 'encode', '--in', 'x.pgm', '--bitrate', 'NaN', '--out', 'x.wsq'], /--bitrate must be/],
      [['wsq', 'encode', '--in', 'x.pgm', '--bitrate', '9', '--out', 'x.wsq'], /--bitrate must be/],
      [['wsq', 'decode', '--in', 'x.wsq', '--out', 'x.jpg'], /\.png, \.pgm or \.raw/],
      [['wsq', 'encode', '--in', 'x.pgm', '--out', 'x.png'], /--out must name a \.wsq file, got 'x\.png'/],
      [['wsq', 'encode', '--in', 'x.pgm', '--out', 'x'], /--out must name a \.wsq file/],
      [['wsq', 'info', '--in', 'a.wsq', 'b.wsq'], /give the file once/],
      [['wsq', 'info'], /--in is required/],
    ];
    for (const [argv, message] of cases) {
      const run = io(dir);
      expect(await main(argv, run)).toBe(2);
      expect(run.err).toMatch(message);
    }
  });

  it('fails with the reason and offset for a damaged file, a short raw image or a missing file (exit 1)', async () => {
    const dir = workdir();
    const nist = readFileSync(fixture('wsq/nistFinger_500x500_cwsq075.wsq'));
    writeFileSync(path.join(dir, 'cut.wsq'), nist.subarray(0, 600));
    let run = io(dir);
    expect(await main(['wsq', 'decode', '--in', 'cut.wsq', '--out', 'o.png'], run)).toBe(1);
    expect(run.err).toMatch(/not a WSQ file we can decode: .*\[truncated at byte \d+\]/);

    writeFileSync(path.join(dir, 'short.raw'), new Uint8Array(1000));
    run = io(dir);
    expect(
      await main(
        ['wsq', 'encode', '--in', 'short.raw', '--width', '500', '--height', '500', '--out', 'o.wsq'],
        run,
      ),
    ).toBe(1);
    expect(run.err).toMatch(/length-mismatch/);

    run = io(dir);
    expect(await main(['wsq', 'info', 'missing.wsq'], run)).toBe(1);
    expect(run.err).toMatch(/no such file/);
  });
});
