/**
 * `station face check|compare` without the models: a fake FaceEngine (the port, deterministic faces
 * and descriptors chosen by the image's width) stands in, so these tests check the command line, the
 * JSON shapes, the exit codes and that the engine is started once and closed; the real engine's
 * decisions are in test/integration/face-cli.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSyntheticPortrait } from '../../../protocol/face/synthetic.ts';
import type { DetectedFace, FaceDescriptor, RgbImage } from '../../../protocol/face/types.ts';
import { makeFaceCommand } from '../../../station/cli/commands/face.ts';
import { main } from '../../../station/cli/main.ts';
import { type AnalyzedFace, compareDescriptors, type FaceEngine } from '../../../station/faces/engine.ts';
import { MAX_SIDE } from '../../../station/faces/face-api-engine.ts';
import { encodePng } from '../../../station/imaging/sharp-images.ts';
import { recordingIo } from '../../support/cli.ts';

const DESCRIPTOR_ENGINE = 'fake 128-d';

/** A descriptor whose first value is `x`, the rest 0: the distance of two is the difference of x. */
function descriptor(x: number): FaceDescriptor {
  const values = new Float32Array(128);
  values[0] = x;
  return { engine: DESCRIPTOR_ENGINE, values };
}

const portrait = renderSyntheticPortrait({ seed: 3 });
const [portraitFace] = portrait.faces;
if (portraitFace === undefined) throw new Error('the synthetic portrait has a face');
const someFace: DetectedFace = portraitFace;

/**
 * What the fake engine "sees", by image width: persons x (two photos 0.3 apart) and y (1.0 from x),
 * an image without a face, one with two, and the synthetic portrait with its known landmarks.
 */
const SCENES: Readonly<Record<number, readonly AnalyzedFace[]>> = {
  64: [{ ...someFace, descriptor: descriptor(0) }],
  65: [{ ...someFace, descriptor: descriptor(0.3) }],
  66: [{ ...someFace, descriptor: descriptor(1) }],
  67: [],
  68: [
    { ...someFace, descriptor: descriptor(0) },
    { ...someFace, descriptor: descriptor(1) },
  ],
  [portrait.image.width]: [{ ...someFace, descriptor: descriptor(0) }],
  // A 5000 px wide photo, as the engine gets it: scaled to MAX_SIDE.
  [MAX_SIDE]: [{ ...someFace, descriptor: descriptor(0.1) }],
};

interface FakeLog {
  started: { detectors: readonly string[]; threshold: number | undefined }[];
  analysed: number[];
  closed: number;
}

function fakeEngine(log: FakeLog, threshold: number): FaceEngine {
  const about = { name: 'fake', version: '0.0.1', threshold, descriptorEngine: DESCRIPTOR_ENGINE };
  const scene = (image: RgbImage) => {
    // As the real engine: a photo larger than it takes is the caller's defect.
    if (image.width > MAX_SIDE || image.height > MAX_SIDE) throw new RangeError('image too large');
    log.analysed.push(image.width);
    return [...(SCENES[image.width] ?? [])];
  };
  return {
    name: about.name,
    version: about.version,
    threshold,
    detect: async (image) => scene(image),
    describe: async () => descriptor(0),
    analyze: async (image) => scene(image),
    compare: (a, b) => compareDescriptors(a, b, about),
    close: async () => {
      log.closed++;
    },
  };
}

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'face-cli-'));
  const plain = (width: number): RgbImage => ({
    width,
    height: 48,
    data: new Uint8Array(width * 48 * 3).fill(120),
  });
  const files: Record<string, RgbImage> = {
    'x__one.png': plain(64),
    'x__two.png': plain(65),
    'y__one.png': plain(66),
    'z__empty.png': plain(67),
    'group.png': plain(68),
    'portrait.png': portrait.image,
    'wide.png': { width: 5000, height: 40, data: new Uint8Array(5000 * 40 * 3).fill(90) },
    'tall.png': { width: 40, height: 5000, data: new Uint8Array(5000 * 40 * 3).fill(90) },
  };
  for (const [name, image] of Object.entries(files))
    writeFileSync(path.join(dir, name), await encodePng(image));
  writeFileSync(path.join(dir, 'not-an-image.png'), 'hello');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function face(...args: string[]) {
  const log: FakeLog = { started: [], analysed: [], closed: 0 };
  const command = makeFaceCommand({
    startEngine: async ({ detectors, threshold }) => {
      log.started.push({ detectors, threshold });
      return fakeEngine(log, threshold ?? 0.6);
    },
  });
  const io = recordingIo(dir);
  const [sub, ...rest] = args;
  const found = command.subcommands?.find((c) => c.name === sub);
  if (!found?.run) throw new Error(`no face ${sub}`);
  let code: number;
  try {
    code = await found.run(rest, io);
  } catch (error) {
    // main turns a UsageError into exit 2; the tests reach the command directly to inject the fake.
    if (error instanceof Error && error.name === 'UsageError') code = 2;
    else throw error;
  }
  return { code, out: io.out, err: io.err, log };
}

describe('station face: the command line', () => {
  it('is registered: station face --help lists check and compare', async () => {
    const io = recordingIo();
    expect(await main(['face', '--help'], io)).toBe(0);
    expect(io.out).toMatch(/check\s+Check a photo/);
    expect(io.out).toMatch(/compare\s+Compare two face photos/);
    const help = recordingIo();
    expect(await main(['face', 'compare', '--help'], help)).toBe(0);
    expect(help.out).toMatch(/^Usage: station face compare --a IMAGE --b IMAGE/);
    expect(help.out).toMatch(/--pairs LIST/);
  });

  it.each([
    [['compare']],
    [['compare', '--a', 'x__one.png']],
    [['compare', '--a', 'x__one.png', '--b', 'x__two.png', '--pairs', 'list.txt']],
    [['compare', '--a', 'x__one.png', '--b', 'x__two.png', '--detector', 'mtcnn']],
    [['compare', '--a', 'x__one.png', '--b', 'x__two.png', '--threshold', '0']],
    [['compare', '--a', 'x__one.png', '--b', 'x__two.png', '--threshold', 'abc']],
    [['compare', '--a', 'x__one.png', '--b', 'x__two.png', '--threshold', '3']],
    [['compare', '--a', 'x__one.png', '--a', 'x__two.png', '--b', 'y__one.png']],
    [['compare', 'x__one.png', 'x__two.png']],
    [['check']],
    [['check', '--in', 'portrait.png', '--max-bytes', '0']],
    [['check', '--in', 'portrait.png', '--colour']],
  ])('refuses %j as a usage error (exit 2) without starting the engine', async (args) => {
    const { code, log } = await face(...args);
    expect(code).toBe(2);
    expect(log.started).toEqual([]);
  });

  it('main prints the usage with the reason for a wrong command line, exit 2', async () => {
    const io = recordingIo();
    expect(await main(['face', 'compare', '--a', 'only-one.jpg'], io)).toBe(2);
    expect(io.err).toMatch(/give --a IMAGE and --b IMAGE/);
    expect(io.err).toMatch(/Usage: station face compare/);
  });
});

describe('station face compare --a --b', () => {
  it('prints the similarity, distance, threshold, decision and engine, advisory with a note, exit 0', async () => {
    const { code, out, log } = await face('compare', '--a', 'x__one.png', '--b', 'x__two.png');
    expect(code).toBe(0);
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({
      a: 'x__one.png',
      b: 'x__two.png',
      status: 'compared',
      decision: 'same',
      threshold: 0.6,
      engine: 'fake',
      engineVersion: '0.0.1',
      detector: 'ssd',
      advisory: true,
      presentationAttackDetection: 'not-performed',
    });
    expect(answer.distance).toBeCloseTo(0.3, 6);
    expect(answer.similarity).toBeCloseTo(0.7, 6);
    expect(answer.note.vi).toMatch(/tham khảo/);
    expect(answer.note.en).toMatch(/presentation attacks/);
    // SSD by default, only the detector asked for loaded; the engine closed at the end.
    expect(log.started).toEqual([{ detectors: ['ssd'], threshold: undefined }]);
    expect(log.closed).toBe(1);
  });

  it('decides different for two people, and the threshold and detector given are the ones used', async () => {
    const other = await face('compare', '--a', 'x__one.png', '--b', 'y__one.png');
    expect(other.code).toBe(0);
    expect(JSON.parse(other.out)).toMatchObject({ decision: 'different', distance: 1 });
    const strict = await face(
      'compare',
      '--a',
      'x__one.png',
      '--b',
      'x__two.png',
      '--threshold',
      '0.25',
      '--detector',
      'tiny',
    );
    expect(JSON.parse(strict.out)).toMatchObject({
      decision: 'different',
      threshold: 0.25,
      detector: 'tiny',
    });
    expect(strict.log.started).toEqual([{ detectors: ['tiny'], threshold: 0.25 }]);
  });

  it('answers no face or several faces with the image and the count, exit 1', async () => {
    const none = await face('compare', '--a', 'x__one.png', '--b', 'z__empty.png');
    expect(none.code).toBe(1);
    expect(JSON.parse(none.out)).toMatchObject({
      status: 'no-face',
      image: 'b',
      faces: 0,
      advisory: true,
      message: { vi: expect.stringMatching(/khuôn mặt/), en: expect.stringMatching(/No face/) },
    });
    expect(JSON.parse(none.out).decision).toBeUndefined();
    const group = await face('compare', '--a', 'group.png', '--b', 'x__one.png');
    expect(group.code).toBe(1);
    expect(JSON.parse(group.out)).toMatchObject({ status: 'several-faces', image: 'a', faces: 2 });
    expect(group.log.closed).toBe(1);
  });

  it('scales a photo larger than the engine takes down to fit before comparing', async () => {
    const { code, out, log } = await face('compare', '--a', 'wide.png', '--b', 'x__one.png');
    expect(code).toBe(0);
    expect(JSON.parse(out).distance).toBeCloseTo(0.1, 6);
    expect(log.analysed).toEqual([MAX_SIDE, 64]);
  });

  it('gives a typed error for an unreadable or missing image before loading any model, exit 1', async () => {
    const bad = await face('compare', '--a', 'x__one.png', '--b', 'not-an-image.png');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ image: 'b', error: { code: 'IMAGE_DECODE_FAILED' } });
    expect(bad.log.started).toEqual([]);
    const missing = await face('compare', '--a', 'nowhere.jpg', '--b', 'x__one.png');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out)).toMatchObject({ image: 'a', error: { code: 'IMAGE_FILE_UNREADABLE' } });
  });
});

/** The JSON lines a --pairs run printed. */
function lines(out: string): Record<string, unknown>[] {
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('station face compare --pairs', () => {
  it('prints one line per pair in order and a summary with the rates; one engine, each image analysed once', async () => {
    const sub = path.join(dir, 'lists');
    mkdirSync(sub, { recursive: true });
    // Paths are relative to the list's folder, not to the working directory.
    writeFileSync(
      path.join(sub, 'pairs.txt'),
      [
        '# genuine, impostor, impostor, no face',
        '../x__one.png ../x__two.png',
        '',
        '../x__one.png   ../y__one.png',
        '../x__two.png\t../y__one.png',
        '../x__one.png ../z__empty.png',
      ].join('\n'),
    );
    const { code, out, log } = await face('compare', '--pairs', 'lists/pairs.txt');
    expect(code).toBe(0);
    const printed = lines(out);
    expect(printed).toHaveLength(5);
    expect(printed.slice(0, 4).map((l) => [l.a, l.b, l.status, l.decision])).toEqual([
      ['../x__one.png', '../x__two.png', 'compared', 'same'],
      ['../x__one.png', '../y__one.png', 'compared', 'different'],
      ['../x__two.png', '../y__one.png', 'compared', 'different'],
      ['../x__one.png', '../z__empty.png', 'no-face', undefined],
    ]);
    expect(printed[0]).toMatchObject({ advisory: true, presentationAttackDetection: 'not-performed' });
    expect(printed[3]).toMatchObject({ image: 'b', faces: 0 });
    expect(printed[4]).toMatchObject({
      summary: {
        pairs: 4,
        compared: 3,
        same: 1,
        different: 2,
        notCompared: 1,
        unreadable: 0,
        threshold: 0.6,
        detector: 'ssd',
        engine: 'fake',
        rates: {
          genuine: { n: 1 },
          impostor: { n: 2 },
          notCompared: 1,
          atThreshold: { fmr: 0, fnmr: 0 },
          eer: { rate: 0 },
        },
      },
    });
    expect(log.started).toHaveLength(1);
    expect(log.closed).toBe(1);
    expect([...log.analysed].sort()).toEqual([64, 65, 66, 67]);
  });

  it('reports an unreadable image on its pair and goes on with the rest, exit 1; no rates without labels', async () => {
    writeFileSync(
      path.join(dir, 'mixed.txt'),
      'x__one.png not-an-image.png\ngroup.png x__one.png\nportrait.png x__two.png\n',
    );
    const { code, out, log } = await face('compare', '--pairs', 'mixed.txt');
    expect(code).toBe(1);
    const printed = lines(out);
    expect(printed).toHaveLength(4);
    expect(printed[0]).toMatchObject({
      status: 'unreadable',
      image: 'b',
      error: { code: 'IMAGE_DECODE_FAILED' },
    });
    expect(printed[1]).toMatchObject({ status: 'several-faces', image: 'a', faces: 2 });
    expect(printed[2]).toMatchObject({ status: 'compared', decision: 'same' });
    // 'group.png' and 'portrait.png' carry no person__ label: counts only.
    expect(printed[3]).toMatchObject({
      summary: { pairs: 3, compared: 1, notCompared: 1, unreadable: 1, rates: null },
    });
    // The unreadable image never reached the engine.
    expect(log.analysed).not.toContain(1);
  });

  it('refuses a malformed, empty or missing list before loading any model, exit 1', async () => {
    writeFileSync(path.join(dir, 'bad.txt'), 'x__one.png x__two.png\nx__one.png\n');
    writeFileSync(path.join(dir, 'empty.txt'), '# nothing\n\n');
    const bad = await face('compare', '--pairs', 'bad.txt');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ error: { code: 'PAIR_LIST_INVALID' } });
    expect(JSON.parse(bad.out).error.message).toMatch(/line 2/);
    const empty = await face('compare', '--pairs', 'empty.txt');
    expect(JSON.parse(empty.out)).toMatchObject({ error: { code: 'PAIR_LIST_EMPTY' } });
    const missing = await face('compare', '--pairs', 'nowhere.txt');
    expect(JSON.parse(missing.out)).toMatchObject({ error: { code: 'PAIR_LIST_UNREADABLE' } });
    expect([bad.log, empty.log, missing.log].map((l) => l.started.length)).toEqual([0, 0, 0]);
  });
});

describe('station face check', () => {
  it('accepts a good portrait: measures, pose, the chip portrait within the budget written to a file, exit 0', async () => {
    const { code, out, log } = await face(
      'check',
      '--in',
      'portrait.png',
      '--out-portrait',
      'out/token.jpg',
      '--out-icao',
      'out/icao.jpg',
    );
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({ accepted: true, feedback: [], faceCount: 1, engine: { name: 'fake' } });
    expect(code).toBe(0);
    expect(answer.measures.SingleFacePresent).toEqual({
      raw: expect.any(Number),
      quality: expect.any(Number),
    });
    expect(answer.measures.HeadPoseYaw).toBeDefined();
    expect(answer.pose).toEqual({
      yaw: expect.any(Number),
      pitch: expect.any(Number),
      roll: expect.any(Number),
    });
    expect(answer.portrait).toMatchObject({ width: 480, height: 640, file: path.join(dir, 'out/token.jpg') });
    expect(answer.portrait.bytes).toBeLessThanOrEqual(20_000);
    const token = readFileSync(path.join(dir, 'out/token.jpg'));
    expect(token.length).toBe(answer.portrait.bytes);
    expect([...token.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect(answer.icao).toMatchObject({ width: 900, height: 1200 });
    expect(readFileSync(path.join(dir, 'out/icao.jpg')).length).toBe(answer.icao.bytes);
    expect(Object.keys(answer.timings)).toEqual(['decode', 'detect', 'measures', 'portrait', 'total']);
    expect(log.closed).toBe(1);
  });

  it('keeps to --max-bytes, and refuses a picture without a face with its feedback and no portrait, exit 1', async () => {
    const small = JSON.parse((await face('check', '--in', 'portrait.png', '--max-bytes', '9000')).out);
    expect(small.portrait.bytes).toBeLessThanOrEqual(9000);
    const none = await face('check', '--in', 'z__empty.png', '--out-portrait', 'none.jpg');
    expect(none.code).toBe(1);
    const answer = JSON.parse(none.out);
    expect(answer).toMatchObject({ accepted: false, faceCount: 0, portrait: null, pose: null });
    expect(answer.feedback[0]).toMatchObject({
      code: 'FACE_NOT_FOUND',
      message: { vi: expect.any(String), en: expect.any(String) },
    });
    expect(none.err).toMatch(/nothing was written/);
  });

  it('scales a photo larger than the engine takes down to fit, and says from what size', async () => {
    const { out, log } = await face('check', '--in', 'tall.png');
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({
      width: 33,
      height: MAX_SIDE,
      downscaledFrom: { width: 40, height: 5000 },
    });
    expect(log.analysed).toEqual([33]);
    const usual = JSON.parse((await face('check', '--in', 'z__empty.png')).out);
    expect(usual.downscaledFrom).toBeNull();
  });

  it('gives a typed error for an unreadable image without loading the models, exit 1', async () => {
    const bad = await face('check', '--in', 'not-an-image.png');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ error: { code: 'IMAGE_DECODE_FAILED' } });
    expect(bad.log.started).toEqual([]);
    const missing = await face('check', '--in', 'nowhere.jpg');
    expect(JSON.parse(missing.out)).toMatchObject({ error: { code: 'IMAGE_FILE_UNREADABLE' } });
  });
});
