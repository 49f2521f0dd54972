/**
 * The comparison rule, the typed face counts and the evaluation arithmetic, without models: a fake
 * engine stands in where a FaceEngine is needed.
 */
import { describe, expect, it } from 'vitest';
import type { DetectedFace, FaceDescriptor, RgbImage } from '../../../protocol/face/types.ts';
import {
  type AnalyzedFace,
  assertRgbImage,
  compareDescriptors,
  compareWithPortrait,
  euclideanDistance,
  type FaceEngine,
  singleFace,
} from '../../../station/faces/engine.ts';
import { FaceEngineError } from '../../../station/faces/errors.ts';
import {
  allPairs,
  comparePairs,
  type PairOutcome,
  parsePairList,
  subjectOf,
  summarizeRates,
} from '../../../station/faces/evaluate.ts';

const ENGINE = { name: 'test', version: '1', threshold: 0.6, descriptorEngine: 'test-128' };

function descriptor(values: number[], engine = 'test-128'): FaceDescriptor {
  return { engine, values: Float32Array.from(values) };
}

function face(score: number, values: number[]): AnalyzedFace {
  return {
    box: { x: 0, y: 0, width: 10, height: 10 },
    score,
    landmarks: Array.from({ length: 68 }, (_, i) => ({ x: i, y: i })),
    descriptor: descriptor(values),
  };
}

/** A fake engine: each image's first byte picks its faces from `table`; counts analyses. */
function fakeEngine(table: Record<number, AnalyzedFace[]>) {
  const calls: number[] = [];
  const engine: FaceEngine = {
    name: 'test',
    version: '1',
    threshold: 0.6,
    detect: async (image: RgbImage): Promise<DetectedFace[]> => table[image.data[0] ?? 0] ?? [],
    describe: async () => descriptor([0, 0]),
    analyze: async (image: RgbImage) => {
      calls.push(image.data[0] ?? 0);
      return table[image.data[0] ?? 0] ?? [];
    },
    compare: (a, b) => compareDescriptors(a, b, ENGINE),
    close: async () => undefined,
  };
  return { engine, calls };
}

function tagged(tag: number): RgbImage {
  return { width: 1, height: 1, data: Uint8Array.of(tag, 0, 0) };
}

describe('compareDescriptors', () => {
  it("decides 'same' below the threshold and 'different' at or above it", () => {
    const near = compareDescriptors(descriptor([0, 0]), descriptor([0.25, 0]), ENGINE);
    expect(near).toEqual({
      similarity: 0.75,
      distance: 0.25,
      threshold: 0.6,
      decision: 'same',
      engine: 'test',
      engineVersion: '1',
      advisory: true,
      presentationAttackDetection: 'not-performed',
    });
    const edge = compareDescriptors(descriptor([0, 0]), descriptor([0.6, 0]), ENGINE);
    expect(edge.distance).toBeCloseTo(0.6, 6);
    expect(compareDescriptors(descriptor([0, 0]), descriptor([0, 0.6000001]), ENGINE).decision).toBe(
      'different',
    );
    const far = compareDescriptors(descriptor([0, 0]), descriptor([3, 4]), ENGINE);
    expect(far).toMatchObject({ distance: 5, similarity: 0, decision: 'different' });
  });

  it("refuses another engine's descriptor and a length mismatch with FACE_DESCRIPTOR_MISMATCH", () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof FaceEngineError ? error.code : 'other';
      }
      return 'none';
    };
    expect(
      codeOf(() => compareDescriptors(descriptor([0, 0]), descriptor([0, 0], 'human-1024'), ENGINE)),
    ).toBe('FACE_DESCRIPTOR_MISMATCH');
    expect(codeOf(() => compareDescriptors(descriptor([0, 0]), descriptor([0, 0, 0]), ENGINE))).toBe(
      'FACE_DESCRIPTOR_MISMATCH',
    );
  });

  it('measures Euclidean distance', () => {
    expect(euclideanDistance(Float32Array.of(1, 2, 3), Float32Array.of(1, 2, 3))).toBe(0);
    expect(euclideanDistance(Float32Array.of(0, 0, 0, 0), Float32Array.of(1, 1, 1, 1))).toBe(2);
    expect(() => euclideanDistance(Float32Array.of(0), Float32Array.of(0, 0))).toThrow(RangeError);
  });
});

describe('singleFace and compareWithPortrait', () => {
  it('types no face, one face and several faces', () => {
    const a = face(0.9, [0, 0]);
    const b = face(0.8, [1, 1]);
    expect(singleFace([])).toEqual({ status: 'no-face' });
    expect(singleFace([a])).toEqual({ status: 'one-face', face: a });
    expect(singleFace([a, b])).toEqual({ status: 'several-faces', faces: [a, b] });
  });

  it('compares the reference descriptor with the portrait face, or says why it cannot', async () => {
    const { engine } = fakeEngine({
      1: [face(0.9, [0.25, 0])],
      2: [],
      3: [face(0.9, [0, 0]), face(0.7, [1, 1])],
    });
    const reference = descriptor([0, 0]);
    const compared = await compareWithPortrait(engine, reference, tagged(1));
    expect(compared.status === 'compared' && compared.comparison).toMatchObject({
      distance: 0.25,
      decision: 'same',
    });
    expect(await compareWithPortrait(engine, reference, tagged(2))).toEqual({ status: 'no-face' });
    expect(await compareWithPortrait(engine, reference, tagged(3))).toEqual({
      status: 'several-faces',
      count: 2,
    });
  });

  it('checks the RgbImage invariant', () => {
    expect(() => assertRgbImage({ width: 2, height: 2, data: new Uint8Array(12) })).not.toThrow();
    expect(() => assertRgbImage({ width: 2, height: 2, data: new Uint8Array(11) })).toThrow(RangeError);
    expect(() => assertRgbImage({ width: 0, height: 2, data: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe('batch comparison', () => {
  it('analyses each image once however many pairs name it, and types the pairs it cannot compare', async () => {
    const { engine, calls } = fakeEngine({
      1: [face(0.9, [0, 0])],
      2: [face(0.9, [0.3, 0.4])],
      3: [face(0.9, [3, 4])],
      4: [],
      5: [face(0.9, [0, 0]), face(0.9, [1, 0])],
    });
    const pairs: [string, string][] = [
      ['1', '2'],
      ['1', '3'],
      ['2', '3'],
      ['1', '4'],
      ['5', '1'],
    ];
    const outcomes: PairOutcome[] = [];
    for await (const outcome of comparePairs(engine, pairs, async (name) => tagged(Number(name))))
      outcomes.push(outcome);
    expect(calls.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(outcomes.map((o) => (o.status === 'compared' ? o.decision : o.status))).toEqual([
      'same',
      'different',
      'different',
      'no-face',
      'several-faces',
    ]);
    expect(outcomes[3]).toEqual({ a: '1', b: '4', status: 'no-face', image: 'b', faces: 0 });
    expect(outcomes[4]).toEqual({ a: '5', b: '1', status: 'several-faces', image: 'a', faces: 2 });
  });

  it('pairs labelled files by the subject before "__"', () => {
    expect(subjectOf('obama__obama2.jpg')).toBe('obama');
    expect(subjectOf('some/dir/biden__x.jpg')).toBe('biden');
    expect(subjectOf('plain.jpg')).toBe('plain.jpg');
    const pairs = allPairs(['a__1.jpg', 'a__2.jpg', 'b__1.jpg']);
    expect(pairs).toEqual([
      { pair: ['a__1.jpg', 'a__2.jpg'], genuine: true },
      { pair: ['a__1.jpg', 'b__1.jpg'], genuine: false },
      { pair: ['a__2.jpg', 'b__1.jpg'], genuine: false },
    ]);
  });

  it('parses a pair list, skipping blank lines and comments, and names a bad line', () => {
    expect(parsePairList('a.jpg b.jpg\n\n# comment\n  c.jpg\td.jpg  \n')).toEqual({
      ok: true,
      value: [
        ['a.jpg', 'b.jpg'],
        ['c.jpg', 'd.jpg'],
      ],
    });
    expect(parsePairList('a.jpg b.jpg\nonly-one.jpg\n')).toEqual({
      ok: false,
      error: { reason: 'invalid-line', line: 2, text: 'only-one.jpg' },
    });
  });
});

describe('summarizeRates', () => {
  it('gives FMR and FNMR at the threshold and an EER of 0 in the middle of a clean gap', () => {
    const scored = [
      { genuine: true, distance: 0.2 },
      { genuine: true, distance: 0.5 },
      { genuine: false, distance: 0.7 },
      { genuine: false, distance: 0.9 },
    ];
    const summary = summarizeRates(scored, 0.6);
    expect(summary.genuine).toEqual({ n: 2, min: 0.2, max: 0.5, mean: 0.35 });
    expect(summary.impostor.min).toBe(0.7);
    expect(summary.atThreshold).toEqual({
      threshold: 0.6,
      fmr: 0,
      fnmr: 0,
      falseMatches: 0,
      falseNonMatches: 0,
    });
    expect(summary.eer.rate).toBe(0);
    expect(summary.eer.threshold).toBeCloseTo(0.6, 9);
  });

  it('counts false matches and false non-matches, and finds the EER where the rates cross', () => {
    // Genuine 0.1 0.3 0.5 0.7; impostor 0.4 0.6 0.8 0.9: at 0.55 one of each is wrong (25% each).
    const scored = [
      ...[0.1, 0.3, 0.5, 0.7].map((distance) => ({ genuine: true, distance })),
      ...[0.4, 0.6, 0.8, 0.9].map((distance) => ({ genuine: false, distance })),
    ];
    const summary = summarizeRates(scored, 0.6, 3);
    // At 0.6: impostor 0.4 matches (1/4); genuine 0.7 does not (1/4); 0.6 itself is not below 0.6.
    expect(summary.atThreshold).toMatchObject({ fmr: 0.25, fnmr: 0.25, falseMatches: 1, falseNonMatches: 1 });
    expect(summary.eer.rate).toBe(0.25);
    expect(summary.notCompared).toBe(3);
    expect(() => summarizeRates([{ genuine: true, distance: 0.1 }], 0.6)).toThrow(RangeError);
  });
});
