import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../station/cli/main.ts';
import { recordingIo } from '../../support/cli.ts';
import { fixture, readFixture } from '../../support/fixtures.ts';
import { tempDir } from '../../support/station.ts';

const FIXTURES = ['an2k_type1_2_14_v0502.an2', 'valid1.1.an2', 'valid1.7.an2', 'valid1.8.an2'];

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function workdir(): string {
  const tmp = tempDir('station-nist-');
  cleanups.push(() => tmp.remove());
  return tmp.dir;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('station nist', () => {
  it.each(FIXTURES)('dump --binary base64 then build gives %s back byte for byte', async (name) => {
    const dir = workdir();
    const original = readFixture(`ansi-nist/${name}`);
    let io = recordingIo(dir);
    expect(await main(['nist', 'dump', '--in', fixture(`ansi-nist/${name}`), '--binary', 'base64'], io)).toBe(
      0,
    );
    writeFileSync(path.join(dir, 'dump.json'), io.out);
    io = recordingIo(dir);
    expect(await main(['nist', 'build', '--in', 'dump.json', '--out', 'copy.an2'], io)).toBe(0);
    const copy = new Uint8Array(readFileSync(path.join(dir, 'copy.an2')));
    expect(sha256(copy)).toBe(sha256(original));
    expect(JSON.parse(io.out)).toMatchObject({ bytes: original.length, sha256: sha256(original) });
  });

  it('dump shows fields and binary data as length and SHA-256 without the bytes', async () => {
    const io = recordingIo();
    expect(await main(['nist', 'dump', '--in', fixture('ansi-nist/valid1.1.an2')], io)).toBe(0);
    const dump = JSON.parse(io.out);
    expect(dump.records.map((r: { type: number; encoding: string }) => `${r.type}/${r.encoding}`)).toEqual([
      '1/tagged',
      '2/tagged',
      '4/binary',
    ]);
    expect(dump.records[0].fields[2]).toEqual({
      tag: '1.03',
      subfields: [
        ['1', '2'],
        ['2', '00'],
        ['4', '01'],
      ],
    });
    const file = readFixture('ansi-nist/valid1.1.an2');
    const image = file.subarray(file.length - 14864 + 18);
    expect(dump.records[2].data).toEqual({ length: image.length, sha256: sha256(image) });
    expect(dump.records[2].fields[3]).toEqual({
      number: 4,
      name: 'FGP',
      values: [10, 255, 255, 255, 255, 255],
    });
  });

  it('an edited dump builds with every LEN recomputed', async () => {
    const dir = workdir();
    let io = recordingIo(dir);
    await main(
      ['nist', 'dump', '--in', fixture('ansi-nist/an2k_type1_2_14_v0502.an2'), '--binary', 'base64'],
      io,
    );
    const dump = JSON.parse(io.out);
    dump.records[1].fields.push({ tag: '2.004', subfields: [['Nguyễn Văn A']] });
    dump.records[0].fields.push({ tag: '1.015', subfields: [['3', 'UTF-8']] });
    writeFileSync(path.join(dir, 'edited.json'), JSON.stringify(dump));
    io = recordingIo(dir);
    expect(await main(['nist', 'build', '--in', 'edited.json', '--out', 'edited.an2'], io)).toBe(0);
    io = recordingIo(dir);
    expect(await main(['nist', 'dump', '--in', 'edited.an2'], io)).toBe(0);
    const again = JSON.parse(io.out);
    // 2.001 grew from 18 by the new field: GS + "2.004:" + 15 UTF-8 bytes (ễ 3, ă 2) = 22.
    expect(again.records[1].fields[0].subfields[0][0]).toBe('40');
    expect(again.records[1].fields[2]).toEqual({ tag: '2.004', subfields: [['Nguyễn Văn A']] });
  });

  it('a bad transaction, a dump without bytes or bad JSON is exit 1 with a typed reason', async () => {
    const dir = workdir();
    const file = readFixture('ansi-nist/valid1.7.an2');
    writeFileSync(path.join(dir, 'cut.an2'), file.subarray(0, 1000));
    let io = recordingIo(dir);
    expect(await main(['nist', 'dump', '--in', 'cut.an2'], io)).toBe(1);
    expect(io.err).toMatch(/truncated at byte \d+.*\[NIST_DECODE_FAILED\]/);

    io = recordingIo(dir);
    await main(['nist', 'dump', '--in', fixture('ansi-nist/valid1.7.an2')], io);
    writeFileSync(path.join(dir, 'nobytes.json'), io.out);
    io = recordingIo(dir);
    expect(await main(['nist', 'build', '--in', 'nobytes.json', '--out', 'x.an2'], io)).toBe(1);
    expect(io.err).toMatch(/--binary base64.*\[NIST_JSON_INVALID\]/);

    writeFileSync(
      path.join(dir, 'bad.json'),
      '{"records": [{"type": 1, "encoding": "tagged", "fields": [{"tag": "2.001"}]}]}',
    );
    io = recordingIo(dir);
    expect(await main(['nist', 'build', '--in', 'bad.json', '--out', 'x.an2'], io)).toBe(1);
    expect(io.err).toMatch(/records\[0\]\.fields\[0\].*\[NIST_JSON_INVALID\]/);

    io = recordingIo(dir);
    expect(await main(['nist', 'dump', '--in', 'missing.an2'], io)).toBe(1);
    expect(io.err).toMatch(/no such file.*\[NIST_FILE_UNREADABLE\]/);
  });

  it('refuses a bad command line with usage (exit 2)', async () => {
    const f = fixture('ansi-nist/valid1.1.an2');
    for (const args of [
      ['nist', 'dump'],
      ['nist', 'dump', '--in', f, '--in', f],
      ['nist', 'dump', '--in', f, '--binary', 'hex'],
      ['nist', 'build', '--in', 'x.json'],
      ['nist', 'dump', '--in', f, 'extra'],
    ]) {
      const io = recordingIo();
      expect(await main(args, io), args.join(' ')).toBe(2);
      expect(io.err).toMatch(/Usage: station nist/);
    }
  });
});
