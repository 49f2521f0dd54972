import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { JpegSplitter, type SplitResult, type SplitWarning } from '../../../drivers/camera/jpeg-splitter.ts';
import {
  ffmpegTestStream,
  isWholeJpeg,
  jpegSize,
  makeJpeg,
  makeJpegs,
  withThumbnail,
} from '../../support/camera-frames.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Feeds `stream` cut at `cuts` (sorted offsets) and ends it; everything the splitter said. */
function split(
  stream: Uint8Array,
  cuts: readonly number[] = [],
  max?: number,
): SplitResult & { skipped: number } {
  const splitter = new JpegSplitter(max);
  const frames: Uint8Array[] = [];
  const warnings: SplitWarning[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    const r = splitter.push(stream.subarray(from, cut));
    frames.push(...r.frames);
    warnings.push(...r.warnings);
    from = cut;
  }
  const r = splitter.end();
  frames.push(...r.frames);
  warnings.push(...r.warnings);
  return { frames, warnings, skipped: splitter.skippedBytes };
}

let pictures: Uint8Array[] = [];
let progressive: Uint8Array;
let ffmpegStream: Uint8Array;

beforeAll(async () => {
  pictures = await makeJpegs(6, 1);
  progressive = await makeJpeg(99, { progressive: true, width: 80, height: 60 });
  ffmpegStream = ffmpegTestStream(5);
});

describe('JpegSplitter on real JPEGs', () => {
  it("splits ffmpeg's own MJPEG output into its frames, each a decodable picture", async () => {
    const { frames, warnings } = split(ffmpegStream);
    expect(warnings).toEqual([]);
    expect(frames).toHaveLength(5);
    expect(concat(frames)).toEqual(ffmpegStream);
    for (const frame of frames) expect(await jpegSize(frame)).toEqual({ width: 160, height: 120 });
  });

  it('keeps a frame whole when its EXIF thumbnail carries its own SOI .. EOI', () => {
    const [big, small] = pictures as [Uint8Array, Uint8Array];
    const framed = withThumbnail(big, small);
    const { frames, warnings } = split(concat([framed, pictures[2]!]));
    expect(warnings).toEqual([]);
    expect(frames).toEqual([framed, pictures[2]]);
  });

  it('splits progressive JPEGs (several scans with tables between them)', () => {
    const { frames, warnings } = split(concat([progressive, pictures[0]!, progressive]));
    expect(warnings).toEqual([]);
    expect(frames).toEqual([progressive, pictures[0], progressive]);
  });

  it('skips and counts garbage between frames, a zero-byte picture and corrupt frames', () => {
    const [a, b, c] = pictures as [Uint8Array, Uint8Array, Uint8Array];
    const stream = concat([
      Uint8Array.of(1, 2, 3, 0xff, 0xff),
      a,
      Uint8Array.of(0xff, 0xd8, 0xff, 0xd9), // SOI EOI: a zero-byte picture
      b,
      Uint8Array.of(0xff, 0xd8, 0x12, 0x34, 0xff, 0xd9), // no marker after SOI
      a.subarray(0, a.length >> 1), // cut short by the next frame's SOI
      c,
    ]);
    const { frames, warnings } = split(stream);
    expect(frames).toEqual([a, b, c]);
    expect(warnings).toEqual([
      { kind: 'garbage', bytes: 5 },
      { kind: 'empty' },
      { kind: 'corrupt', reason: 'expected-marker', bytes: 2 },
      { kind: 'corrupt', reason: 'soi-inside-frame', bytes: a.length >> 1 },
    ]);
  });

  it('drops a frame longer than the bound with one warning and finds the next frame', () => {
    const [a, b] = pictures as [Uint8Array, Uint8Array];
    // The bound admits each picture but not one carrying the other as its thumbnail.
    const limit = Math.max(a.length, b.length) + 10;
    const bounded = split(concat([a, withThumbnail(b, a), a]), [], limit);
    expect(bounded.frames).toEqual([a, a]);
    expect(bounded.warnings).toEqual([{ kind: 'too-large', limit }]);
  });

  it('reports a frame still in progress when the stream ends', () => {
    const [a, b] = pictures as [Uint8Array, Uint8Array];
    const { frames, warnings } = split(concat([a, b.subarray(0, 100)]));
    expect(frames).toEqual([a]);
    expect(warnings).toEqual([{ kind: 'truncated', bytes: 100 }]);
  });
});

describe('JpegSplitter properties', () => {
  const piece = (): fc.Arbitrary<Uint8Array> =>
    fc.oneof(
      fc.integer({ min: 0, max: 5 }).map((i) => pictures[i]!),
      fc.constant(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9)),
      fc.uint8Array({ minLength: 0, maxLength: 40 }),
      fc
        .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 2, max: 400 }))
        .map(([i, n]) => pictures[i]!.subarray(0, n)),
      fc.constant(progressive),
    );

  it('gives the same frames and warnings however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(piece(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (pieces, rawCuts) => {
          const stream = concat(pieces);
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
          const whole = split(stream);
          const chunked = split(stream, cuts);
          expect(chunked.frames).toEqual(whole.frames);
          expect(chunked.warnings).toEqual(whole.warnings);
        },
      ),
      { seed, numRuns: 150 },
    );
  });

  it('never throws on garbage, emits only whole JPEGs and accounts for every byte', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc.constantFrom(
              Uint8Array.of(0xff, 0xd8),
              Uint8Array.of(0xff, 0xd9),
              Uint8Array.of(0xff, 0xda, 0x00, 0x02),
              Uint8Array.of(0xff, 0xc0, 0x00, 0x02),
              Uint8Array.of(0xff, 0x00),
              Uint8Array.of(0xff, 0xff),
            ),
          ),
          { maxLength: 40 },
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 4, max: 2000 }),
        (pieces, rawCuts, max) => {
          const stream = concat(pieces);
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
          const { frames, skipped } = split(stream, cuts, max);
          for (const frame of frames) {
            expect(isWholeJpeg(frame)).toBe(true);
            expect(frame.length).toBeLessThanOrEqual(max);
          }
          expect(frames.reduce((n, f) => n + f.length, 0) + skipped).toBe(stream.length);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('rejects a bound below 4 bytes as a programmer error', () => {
    expect(() => new JpegSplitter(3)).toThrow(RangeError);
  });
});
