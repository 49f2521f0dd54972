/**
 * Property tests (fast-check, seeded) for the template codecs: random templates round-trip through
 * every format; arbitrary, truncated and mutated bytes only ever give error results.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FingerTemplate,
  type FingerView,
  type RecordFormat,
  readAnsiRecord,
  readExtendedBlocks,
  readFingerRecord,
  readIsoRecord,
  readXyt,
  type TemplateMinutia,
  writeFingerRecord,
  writeXyt,
} from '../../../protocol/fingerprint/template/index.ts';
import type { DecodeResult } from '../../../protocol/result.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const ISO: RecordFormat = 'iso19794-2:2005';
const ANSI: RecordFormat = 'incits378:2004';

/** Calls a reader; a throw fails the property with the input's size. */
function safely<T>(read: (b: Uint8Array) => DecodeResult<T>, bytes: Uint8Array): DecodeResult<T> {
  try {
    return read(bytes);
  } catch (error) {
    throw new Error(`reader threw on ${bytes.length} bytes: ${String(error)}`);
  }
}

const kindArb = fc.constantFrom('ending' as const, 'bifurcation' as const, 'other' as const);

function minutiaArb(width: number, height: number, format: RecordFormat): fc.Arbitrary<TemplateMinutia> {
  return fc
    .record({
      x: fc.integer({ min: 0, max: Math.min(width - 1, 0x3fff) }),
      y: fc.integer({ min: 0, max: Math.min(height - 1, 0x3fff) }),
      code: fc.integer({ min: 0, max: format === ISO ? 255 : 179 }),
      kind: kindArb,
      quality: fc.integer({ min: 0, max: 100 }),
    })
    .map(({ x, y, code, kind, quality }) => ({
      x,
      y,
      angle: format === ISO ? (code * 45) / 32 : code * 2,
      kind,
      ...(quality === 0 ? {} : { quality }),
    }));
}

/** A well-formed extended data area of header-inclusive blocks. */
const extendedArb = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ maxLength: 12 })), {
    minLength: 1,
    maxLength: 3,
  })
  .map((blocks) => {
    const out: number[] = [];
    for (const [type, data] of blocks) out.push(type >> 8, type & 0xff, 0, data.length + 4, ...data);
    return Uint8Array.from(out);
  });

function templateArb(format: RecordFormat): fc.Arbitrary<FingerTemplate> {
  return fc
    .record({
      width: fc.integer({ min: 1, max: 2000 }),
      height: fc.integer({ min: 1, max: 2000 }),
      resolutionX: fc.integer({ min: 1, max: 1000 }),
      resolutionY: fc.integer({ min: 1, max: 1000 }),
      compliance: fc.integer({ min: 0, max: 15 }),
      id: fc.integer({ min: 0, max: 0xfff }),
      owner: fc.integer({ min: 0, max: 0xffff }),
      type: fc.integer({ min: 0, max: 0xffff }),
    })
    .chain((header) =>
      fc
        .array(
          fc.record({
            position: fc.integer({ min: 0, max: 10 }),
            viewNumber: fc.integer({ min: 0, max: 15 }),
            impression: fc.constantFrom(0, 1, 2, 3, 8),
            quality: fc.integer({ min: 0, max: 100 }),
            minutiae: fc.array(minutiaArb(header.width, header.height, format), { maxLength: 20 }),
            extended: fc.option(extendedArb, { nil: undefined }),
          }),
          { maxLength: 4 },
        )
        .map((views): FingerTemplate => {
          const { compliance, id, owner, type, ...image } = header;
          return {
            ...image,
            equipment: { compliance, id },
            ...(format === ANSI ? { product: { owner, type } } : {}),
            views: views.map(
              ({ extended, ...view }): FingerView => ({
                ...view,
                ...(extended === undefined ? {} : { extended: { format, data: extended } }),
              }),
            ),
          };
        }),
    );
}

describe('template codecs, property tests', () => {
  for (const format of [ISO, ANSI]) {
    it(`${format}: random templates write and read back equal, and write again to the same bytes`, () => {
      fc.assert(
        fc.property(templateArb(format), (template) => {
          const bytes = writeFingerRecord(template, format);
          const read = safely(readFingerRecord, bytes);
          expect(read.ok).toBe(true);
          if (!read.ok) return;
          expect(read.value.format).toBe(format);
          expect(read.value.template).toEqual(template);
          expect(writeFingerRecord(read.value.template, format)).toEqual(bytes);
        }),
        { seed, numRuns: 200 },
      );
    });

    it(`${format}: truncated records are errors; flipped bytes give an error or a record that writes back as read`, () => {
      const read = format === ISO ? readIsoRecord : readAnsiRecord;
      fc.assert(
        fc.property(
          templateArb(format),
          fc.nat(),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
          (template, cut, flips) => {
            const bytes = writeFingerRecord(template, format);
            const short = safely(read, bytes.subarray(0, cut % bytes.length));
            expect(short.ok).toBe(false);
            const mutated = bytes.slice();
            for (const [at, value] of flips) mutated[at % mutated.length] = value;
            const result = safely(read, mutated);
            if (result.ok) expect(writeFingerRecord(result.value, format)).toEqual(mutated);
          },
        ),
        { seed, numRuns: 300 },
      );
    });
  }

  it('arbitrary bytes, bare or behind an FMR 20 header, never make a reader throw', () => {
    const header = Uint8Array.from([0x46, 0x4d, 0x52, 0, 0x20, 0x32, 0x30, 0]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (tail, prefixed) => {
        const bytes = prefixed ? Uint8Array.from([...header, ...tail]) : tail;
        const readers: ((b: Uint8Array) => DecodeResult<unknown>)[] = [
          readIsoRecord,
          readAnsiRecord,
          readFingerRecord,
        ];
        for (const reader of readers) expect(typeof safely(reader, bytes).ok).toBe('boolean');
        for (const format of [ISO, ANSI])
          expect(typeof safely((b) => readExtendedBlocks(b, format), tail).ok).toBe('boolean');
        const xyt = safely((b) => readXyt(b, { variant: 'nist', width: 500, height: 500 }), tail);
        expect(typeof xyt.ok).toBe('boolean');
      }),
      { seed, numRuns: 500 },
    );
  });

  it('well-formed extended areas read back into blocks that tile them', () => {
    fc.assert(
      fc.property(extendedArb, fc.constantFrom(ISO, ANSI), (area, format) => {
        const read = readExtendedBlocks(area, format);
        expect(read.ok).toBe(true);
        if (!read.ok) return;
        let at = 0;
        for (const block of read.value.blocks) {
          expect(block.offset).toBe(at);
          at += 4 + block.data.length;
        }
        expect(at).toBe(area.length);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('.xyt: random minutiae write and read back in both variants; junk text gives a result', () => {
    const size = { width: 640, height: 480 };
    const line = fc.record({
      x: fc.integer({ min: 0, max: 639 }),
      y: fc.integer({ min: 0, max: 479 }),
      degrees: fc.integer({ min: 0, max: 359 }),
      quality: fc.integer({ min: 1, max: 100 }),
    });
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 60 }),
        fc.boolean(),
        fc.string({ maxLength: 80 }),
        (lines, withQuality, junk) => {
          const minutiae: TemplateMinutia[] = lines.map(({ x, y, degrees, quality }) => ({
            x,
            y,
            angle: degrees,
            kind: 'other',
            ...(withQuality ? { quality } : {}),
          }));
          const nist = readXyt(new TextEncoder().encode(writeXyt(minutiae, { ...size, variant: 'nist' })), {
            ...size,
            variant: 'nist',
          });
          expect(nist.ok && nist.value).toEqual(minutiae);
          const m1 = readXyt(new TextEncoder().encode(writeXyt(minutiae, { ...size, variant: 'm1' })), {
            ...size,
            variant: 'm1',
          });
          expect(m1.ok && m1.value).toEqual(minutiae.map((m) => ({ ...m, angle: m.angle - (m.angle % 2) })));
          const text = new TextEncoder().encode(junk);
          expect(typeof safely((b) => readXyt(b, { ...size, variant: 'm1' }), text).ok).toBe('boolean');
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});
