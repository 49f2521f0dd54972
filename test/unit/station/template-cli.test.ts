import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  readAnsiRecord,
  readIsoRecord,
  readXyt,
  writeIsoRecord,
} from '../../../protocol/fingerprint/template/index.ts';
import { unwrap } from '../../../protocol/result.ts';
import { decodeWsq } from '../../../protocol/wsq/index.ts';
import { main } from '../../../station/cli/main.ts';
import { encodeGreyPng } from '../../../station/imaging/grey-image.ts';
import { recordingIo } from '../../support/cli.ts';
import { fixture } from '../../support/fixtures.ts';
import { tempDir } from '../../support/station.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function scratch(): string {
  const tmp = tempDir('station-template-');
  cleanups.push(() => tmp.remove());
  return tmp.dir;
}

async function template(dir: string, ...args: string[]) {
  const io = recordingIo(dir);
  const code = await main(['template', ...args], io);
  return { code, out: io.out, err: io.err };
}

const bytesOf = (dir: string, name: string) => new Uint8Array(readFileSync(path.join(dir, name)));

describe('station template', () => {
  it('extracts a WSQ finger into an ISO record, then converts it to INCITS 378 and .xyt with the same minutiae', async () => {
    const dir = scratch();
    copyFileSync(fixture('wsq/nistFinger_500x500_cwsq075.wsq'), path.join(dir, 'finger.wsq'));
    const made = await template(
      dir,
      '--in',
      'finger.wsq',
      '--format',
      'iso',
      '--out',
      'finger.iso',
      '--position',
      '2',
    );
    expect(made.code).toBe(0);
    const report = JSON.parse(made.out);
    expect(report).toMatchObject({ from: 'wsq', format: 'iso19794-2:2005', width: 500, height: 500 });
    expect(report.resolution).toEqual({ x: 197, y: 197, unit: 'px/cm' });
    expect(report.endingShiftPx).toBeGreaterThan(2);
    const iso = unwrap(readIsoRecord(bytesOf(dir, 'finger.iso')));
    expect(report.bytes).toBe(bytesOf(dir, 'finger.iso').length);
    const [view] = iso.views;
    expect(view).toMatchObject({ position: 2, impression: 0 });
    expect(view?.minutiae.length).toBe(report.views[0].minutiae);
    expect(view?.minutiae.length).toBeGreaterThan(50);
    expect(report.views[0].endings + report.views[0].bifurcations).toBe(report.views[0].minutiae);

    const converted = await template(dir, '--in', 'finger.iso', '--format', 'ansi', '--out', 'finger.ansi');
    expect(converted.code).toBe(0);
    expect(JSON.parse(converted.out)).toMatchObject({ from: 'iso19794-2:2005', format: 'incits378:2004' });
    const ansi = unwrap(readAnsiRecord(bytesOf(dir, 'finger.ansi')));
    expect(ansi.views[0]?.minutiae.map((m) => [m.x, m.y, m.kind])).toEqual(
      view?.minutiae.map((m) => [m.x, m.y, m.kind]),
    );
    for (const [i, m] of (ansi.views[0]?.minutiae ?? []).entries()) {
      const before = view?.minutiae[i]?.angle ?? Number.NaN;
      const turn = Math.abs(((m.angle - before + 540) % 360) - 180);
      expect(turn).toBeLessThanOrEqual(1); // 2-degree units, rounded half up
    }

    const xyt = await template(dir, '--in', 'finger.ansi', '--format', 'xyt');
    expect(xyt.code).toBe(0);
    expect(xyt.err).toMatch(/note: a \.xyt has no minutia type column/);
    const lines = unwrap(
      readXyt(new TextEncoder().encode(xyt.out), { variant: 'nist', width: 500, height: 500 }),
    );
    expect(lines.map((m) => [m.x, m.y])).toEqual(ansi.views[0]?.minutiae.map((m) => [m.x, m.y]));
  });

  it('reads a TIFF finger to the same record as the same pixels in a PNG', async () => {
    const dir = scratch();
    const finger = unwrap(decodeWsq(readFileSync(fixture('wsq/nistFinger_500x500_cwsq075.wsq'))));
    writeFileSync(path.join(dir, 'finger.png'), await encodeGreyPng(finger, 500));
    writeFileSync(
      path.join(dir, 'finger.tif'),
      await sharp(finger.pixels, { raw: { width: finger.width, height: finger.height, channels: 1 } })
        .toColourspace('b-w')
        .tiff({ compression: 'packbits', xres: 500 / 25.4, yres: 500 / 25.4 })
        .toBuffer(),
    );
    const fromTiff = await template(dir, '--in', 'finger.tif', '--format', 'iso', '--out', 'tif.iso');
    const fromPng = await template(dir, '--in', 'finger.png', '--format', 'iso', '--out', 'png.iso');
    expect(fromTiff.code).toBe(0);
    expect(JSON.parse(fromTiff.out)).toMatchObject({ from: 'tiff', width: 500, height: 500 });
    expect(Buffer.from(bytesOf(dir, 'tif.iso')).equals(Buffer.from(bytesOf(dir, 'png.iso')))).toBe(true);
    expect(JSON.parse(fromPng.out).views[0].minutiae).toBeGreaterThan(50);
  });

  it('reads a .xyt at the size given and writes the other representation', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'a.xyt'), '10 480 270 50\n499 500 180 0\n');
    const m1 = await template(
      dir,
      '--in',
      'a.xyt',
      '--width',
      '500',
      '--height',
      '500',
      '--format',
      'xyt',
      '--xyt',
      'm1',
    );
    expect(m1.code).toBe(0);
    expect(m1.out).toBe('10 20 45 50\n499 0 0 0\n');
    const iso = await template(
      dir,
      '--in',
      'a.xyt',
      '--width',
      '500',
      '--height',
      '500',
      '--format',
      'iso',
      '--out',
      'a.iso',
    );
    expect(iso.code).toBe(0);
    expect(unwrap(readIsoRecord(bytesOf(dir, 'a.iso'))).views[0]?.minutiae).toEqual([
      { x: 10, y: 20, angle: 90, kind: 'other', quality: 50 },
      { x: 499, y: 0, angle: 0, kind: 'other' },
    ]);
  });

  it('says when an extended data area cannot follow into the other format', async () => {
    const dir = scratch();
    const record = writeIsoRecord({
      width: 100,
      height: 100,
      resolutionX: 197,
      resolutionY: 197,
      equipment: { compliance: 0, id: 0 },
      views: [
        {
          position: 1,
          viewNumber: 0,
          impression: 0,
          quality: 50,
          minutiae: [{ x: 1, y: 2, angle: 3, kind: 'ending' }],
          extended: { format: 'iso19794-2:2005', data: Uint8Array.of(0, 1, 0, 5, 7) },
        },
      ],
    });
    writeFileSync(path.join(dir, 'x.fmr'), record);
    const same = await template(dir, '--in', 'x.fmr', '--format', 'iso', '--out', 'same.iso');
    expect(JSON.parse(same.out).notes).toEqual([]);
    expect(bytesOf(dir, 'same.iso')).toEqual(record);
    const other = await template(dir, '--in', 'x.fmr', '--format', 'ansi', '--out', 'other.ansi');
    expect(JSON.parse(other.out).notes).toEqual([
      "view 1: extended data left out (its block lengths and angle units are iso19794-2:2005's)",
    ]);
  });

  it('refuses what it cannot read with exit 1 and the reason; a wrong command line with exit 2', async () => {
    const dir = scratch();
    writeFileSync(
      path.join(dir, 'bad.iso'),
      Uint8Array.of(0x46, 0x4d, 0x52, 0, 0x20, 0x32, 0x30, 0, 0, 0, 0, 40),
    );
    const bad = await template(dir, '--in', 'bad.iso', '--format', 'ansi', '--out', 'x.ansi');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(
      /is not a finger minutiae record we can read: .* \[truncated at byte 12\] \[TEMPLATE_TRUNCATED\]/,
    );
    writeFileSync(path.join(dir, 'bad.xyt'), '1 2\n');
    const xyt = await template(
      dir,
      '--in',
      'bad.xyt',
      '--width',
      '9',
      '--height',
      '9',
      '--format',
      'iso',
      '--out',
      'x.iso',
    );
    expect(xyt.code).toBe(1);
    expect(xyt.err).toMatch(/\[TEMPLATE_INVALID_VALUE\]/);
    expect((await template(dir, '--in', 'none.png', '--format', 'xyt')).err).toMatch(
      /no such file \[INPUT_UNREADABLE\]/,
    );
    expect((await template(dir, '--in', 'a.png', '--format', 'iso')).code).toBe(2); // a record needs --out
    expect((await template(dir, '--in', 'a.png', '--format', 'bmp')).code).toBe(2);
    expect((await template(dir, '--in', 'a.xyt', '--format', 'xyt')).code).toBe(2); // no size
    expect((await template(dir, '--in', 'a.txt', '--format', 'xyt')).code).toBe(2);
    expect((await template(dir, '--in', 'a.png', '--format', 'xyt', '--position', '11')).code).toBe(2);
  });
});
