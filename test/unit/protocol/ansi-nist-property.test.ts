import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildTransaction,
  type Demographics,
  readTransaction,
  writeTransaction,
} from '../../../protocol/ansi-nist/index.ts';
import { readFixture } from '../../support/fixtures.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const FIXTURES = ['an2k_type1_2_14_v0502.an2', 'valid1.1.an2', 'valid1.7.an2', 'valid1.8.an2'].map((name) =>
  readFixture(`ansi-nist/${name}`),
);
const ascii = (text: string) => new TextEncoder().encode(text);

/** Runs the reader; a throw fails the property with the input's size. */
function readSafely(bytes: Uint8Array) {
  try {
    return readTransaction(bytes);
  } catch (error) {
    throw new Error(`readTransaction threw on ${bytes.length} bytes: ${String(error)}`);
  }
}

const fixtureArb = fc.constantFrom(...FIXTURES);
const SEPARATORS = new Map(
  FIXTURES.map((file) => [
    file,
    [...file.keys()].filter((i) => (file[i] ?? 0) >= 0x1c && (file[i] ?? 0) <= 0x1f),
  ]),
);

describe('ANSI/NIST reader on hostile input', () => {
  it('random bytes, and random bytes behind a valid-looking Type-1 tag, give a result, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (tail, prefixed) => {
        const bytes = prefixed ? new Uint8Array([...ascii('1.001:'), ...tail]) : tail;
        const result = readSafely(bytes);
        expect(typeof result.ok).toBe('boolean');
      }),
      { seed, numRuns: 500 },
    );
  });

  it('a truncated transaction is an error', () => {
    fc.assert(
      fc.property(fixtureArb, fc.double({ min: 0, max: 1, noNaN: true }), (file, at) => {
        const cut = Math.min(file.length - 1, Math.floor(at * file.length));
        const result = readSafely(file.subarray(0, cut));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(['truncated', 'invalid-value']).toContain(result.error.reason);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('a missing byte (a dropped separator or any other) is an error: some LEN no longer lands on FS', () => {
    fc.assert(
      fc.property(fixtureArb, fc.nat(), fc.boolean(), (file, n, separatorOnly) => {
        const separators = SEPARATORS.get(file) ?? [];
        const at = separatorOnly ? (separators[n % separators.length] ?? 0) : n % file.length;
        const bytes = new Uint8Array(file.length - 1);
        bytes.set(file.subarray(0, at));
        bytes.set(file.subarray(at + 1), at);
        expect(readSafely(bytes).ok).toBe(false);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('flipped bytes never make the reader throw, and what still reads writes back to the same bytes', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (file, flips) => {
          const bytes = file.slice();
          for (const [at, value] of flips) bytes[at % (bytes.length >> 4)] = value; // headers mostly
          const result = readSafely(bytes);
          if (result.ok)
            expect(Buffer.from(writeTransaction(result.value)).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { seed, numRuns: 400 },
    );
  });

  it('a LEN that lies (tagged or binary record), or a huge one, is an error with bounded memory', () => {
    const text = new TextDecoder('latin1');
    fc.assert(
      fc.property(
        fixtureArb,
        fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constant(9_999_999_999)),
        (file, len) => {
          const latin = text.decode(file);
          // Rewrite the last record's LEN: tagged "14.001:N" or valid1.1's binary Type-4 (its first 4 bytes).
          const tagAt = latin.lastIndexOf('14.001:');
          let bytes: Uint8Array;
          if (tagAt >= 0) {
            const end = latin.indexOf('\x1d', tagAt);
            if (Number(latin.slice(tagAt + 7, end)) === len) return;
            bytes = new Uint8Array([
              ...file.subarray(0, tagAt + 7),
              ...ascii(String(len)),
              ...file.subarray(end),
            ]);
          } else {
            const type4At = file.length - 14864;
            if (len === 14864) return;
            bytes = file.slice();
            new DataView(bytes.buffer).setUint32(type4At, len % 2 ** 32);
          }
          const before = process.memoryUsage().arrayBuffers;
          const result = readSafely(bytes);
          expect(result.ok).toBe(false);
          expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('a random transaction of ours builds, reads and writes back byte for byte, its text unchanged', () => {
    const textArb = fc
      .string({
        unit: fc.constantFrom(...'aăâbcdđeêghiklmnoôơpqrstuưvxyÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬĐ ,-/'),
        minLength: 1,
        maxLength: 60,
      })
      .map((s) => s.normalize('NFC').trim())
      .filter((s) => s.length > 0);
    fc.assert(
      fc.property(
        fc.record({
          personalId: fc.stringMatching(/^\d{12}$/),
          fullName: textArb,
          placeOfResidence: textArb,
          idc: fc.integer({ min: 1, max: 99 }),
          data: fc.uint8Array({ maxLength: 300 }),
          score: fc.integer({ min: 0, max: 100 }),
        }),
        (r) => {
          const demographics: Demographics = {
            personalId: r.personalId,
            fullName: r.fullName,
            dateOfBirth: '20000101',
            sex: 'M',
            nationality: 'VNM',
            placeOfResidence: r.placeOfResidence,
          };
          const bytes = buildTransaction({
            type1: {
              tot: 'CCE',
              date: '20261122',
              dai: 'VN0000000',
              ori: 'VN0000001',
              tcn: 'T1',
              nsr: '00.00',
              ntr: '00.00',
            },
            records: [
              { type: 2, idc: 0, demographics },
              {
                type: 14,
                idc: r.idc,
                imp: 0,
                src: 'VN0000001',
                fcd: '20261122',
                hll: 500,
                vll: 500,
                slc: 1,
                thps: 500,
                tvps: 500,
                cga: 'WSQ20',
                bpx: 8,
                fgp: 2,
                quality: [{ fgp: 2, score: r.score }],
                data: r.data,
              },
            ],
          });
          const result = readSafely(bytes);
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(Buffer.from(writeTransaction(result.value)).equals(Buffer.from(bytes))).toBe(true);
          const type2 = result.value.records[1];
          expect(
            type2?.encoding === 'tagged' ? type2.fields.find((f) => f.number === 4) : undefined,
          ).toMatchObject({
            subfields: [[r.fullName]],
          });
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});
