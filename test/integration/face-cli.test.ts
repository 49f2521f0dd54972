/**
 * `station face compare|check` with the real engine (face-api on the WASM backend) on the shared
 * photographs (`../shared/fixtures/faces/`, read in place): one person's photos compare as the same,
 * two people's as different, a pair list gives one line per pair and a summary, and a photo makes a
 * chip portrait within 20 KB. The engine loads once for the in-process commands; the `--pairs` run
 * goes through `main` with the default wiring, so it also shows the real engine starting and closing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFaceCommand } from '../../station/cli/commands/face.ts';
import { main } from '../../station/cli/main.ts';
import type { FaceEngine } from '../../station/faces/engine.ts';
import { FaceApiEngine } from '../../station/faces/face-api-engine.ts';
import { recordingIo } from '../support/cli.ts';
import { fixture } from '../support/fixtures.ts';

let engine: FaceApiEngine;
let dir: string;
beforeAll(async () => {
  engine = await FaceApiEngine.start();
  dir = mkdtempSync(path.join(tmpdir(), 'face-cli-it-'));
}, 120_000);
afterAll(async () => {
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The shared engine, handed to each command; the command's close() leaves it running. */
function borrowed(): FaceEngine {
  return {
    name: engine.name,
    version: engine.version,
    threshold: engine.threshold,
    detect: (image, options) => engine.detect(image, options),
    describe: (image, face, options) => engine.describe(image, face, options),
    analyze: (image, options) => engine.analyze(image, options),
    compare: (a, b) => engine.compare(a, b),
    close: async () => undefined,
  };
}

async function face(...args: string[]) {
  const command = makeFaceCommand({ startEngine: async () => borrowed() });
  const [sub, ...rest] = args;
  const run = command.subcommands?.find((c) => c.name === sub)?.run;
  if (!run) throw new Error(`no face ${sub}`);
  const io = recordingIo(dir);
  const code = await run(rest, io);
  return { code, out: io.out, err: io.err };
}

const photo = (name: string) => fixture(`faces/${name}`);

describe('station face compare (real engine, shared photographs)', () => {
  it('compares two photographs of one person as the same, and of two people as different', async () => {
    const same = await face('compare', '--a', photo('obama__obama.jpg'), '--b', photo('obama__obama2.jpg'));
    expect(same.code).toBe(0);
    const answer = JSON.parse(same.out);
    expect(answer).toMatchObject({
      status: 'compared',
      decision: 'same',
      threshold: 0.6,
      engine: 'face-api',
      engineVersion: expect.stringMatching(/^1\.7\.15 \(tfjs 4\.22\.0 wasm\)$/),
      detector: 'ssd',
      advisory: true,
      presentationAttackDetection: 'not-performed',
    });
    expect(answer.distance).toBeLessThan(0.6);

    const different = await face(
      'compare',
      '--a',
      photo('obama__obama.jpg'),
      '--b',
      photo('biden__biden.jpg'),
    );
    expect(different.code).toBe(0);
    expect(JSON.parse(different.out)).toMatchObject({ decision: 'different' });
    expect(JSON.parse(different.out).distance).toBeGreaterThanOrEqual(0.6);
  });

  it('reads a JPEG 2000 portrait (as a chip may carry) through the same path', async () => {
    // ffmpeg's OpenJPEG encoder makes the JP2 (about 16 KB, a chip-sized portrait).
    const jp2 = path.join(dir, 'obama2.jp2');
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-i',
      photo('obama__obama2.jpg'),
      '-c:v',
      'libopenjpeg',
      jp2,
    ]);
    const { code, out } = await face('compare', '--a', photo('obama__obama.jpg'), '--b', jp2);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ status: 'compared', decision: 'same' });
  });

  it('--pairs over three pairs prints three lines and a summary, through main with the real wiring', async () => {
    // Paths relative to the list's folder.
    const rel = (name: string) => path.relative(dir, photo(name));
    const list = path.join(dir, 'pairs.txt');
    writeFileSync(
      list,
      [
        `${rel('obama__obama.jpg')} ${rel('obama__obama2.jpg')}`,
        `${rel('obama__obama.jpg')} ${rel('biden__biden.jpg')}`,
        `${rel('biden__biden.jpg')} ${rel('biden__biden2.jpg')}`,
      ].join('\n'),
    );
    const io = recordingIo(dir);
    const code = await main(['face', 'compare', '--pairs', 'pairs.txt'], io);
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const lines = io.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => l.decision)).toEqual(['same', 'different', 'same']);
    expect(lines[3]).toMatchObject({
      summary: {
        pairs: 3,
        compared: 3,
        same: 2,
        different: 1,
        engine: 'face-api',
        rates: { atThreshold: { fmr: 0, fnmr: 0 } },
      },
    });
  }, 60_000);
});

describe('station face check (real engine, shared photographs)', () => {
  it('makes a chip portrait within 20,000 bytes from a fixture face (forced past the checks)', async () => {
    const { code, out } = await face(
      'check',
      '--in',
      photo('obama__obama.jpg'),
      '--force',
      '--out-portrait',
      'token.jpg',
    );
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({ faceCount: 1, engine: { name: 'face-api' } });
    expect(answer.portrait).toMatchObject({ width: 480, height: 640, file: path.join(dir, 'token.jpg') });
    expect(answer.portrait.bytes).toBeLessThanOrEqual(20_000);
    expect(answer.measures.InterEyeDistance.raw).toBeGreaterThan(0);
    // This newsroom photo is refused (its feedback is read aloud); --force made the portrait anyway.
    expect(answer.accepted).toBe(answer.feedback.length === 0);
    expect(code).toBe(answer.accepted ? 0 : 1);
  });
});
