import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, fromHex, toHex } from '../../../protocol/bytes.ts';
import {
  type CommandApdu,
  decodeCommand,
  decodeResponse,
  encodeCommand,
  encodeResponse,
  needsExtended,
} from '../../../protocol/iso7816/apdu.ts';
import { describeStatus, hexStatus, isSuccess, SW } from '../../../protocol/iso7816/status.ts';
import {
  concatBytes,
  encodeLength,
  encodeTag,
  encodeTlv,
  findTag,
  parseTree,
  readTlv,
  readTlvs,
} from '../../../protocol/iso7816/tlv.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

const SELECT_AID = { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: fromHex('A0000002471001') };

describe('command APDUs, the four cases (ISO/IEC 7816-4 §5.1)', () => {
  const known: readonly [string, CommandApdu, string][] = [
    ['case 1', { cla: 0x00, ins: 0x44, p1: 0x00, p2: 0x00 }, '00440000'],
    ['case 2S', { cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: 8 }, '0084000008'],
    ['case 2S, Le 256 as 00', { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 }, '00B0000000'],
    ['case 3S', { cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c, data: fromHex('011E') }, '00A4020C02011E'],
    ['case 3S, SELECT eMRTD AID', SELECT_AID, '00A4040C07A0000002471001'],
    ['case 4S', { ...SELECT_AID, p2: 0x00, le: 256 }, '00A4040007A000000247100100'],
    ['case 2E', { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 257 }, '00B00000000101'],
    ['case 2E, Le 65536 as 0000', { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 65536 }, '00B00000000000'],
    [
      'case 3E',
      { cla: 0x00, ins: 0xd6, p1: 0x00, p2: 0x00, data: new Uint8Array(256).fill(0xaa) },
      `00D60000000100${'AA'.repeat(256)}`,
    ],
    [
      'case 4E',
      { cla: 0x00, ins: 0xd6, p1: 0x00, p2: 0x00, data: new Uint8Array(256).fill(0xaa), le: 65536 },
      `00D60000000100${'AA'.repeat(256)}0000`,
    ],
  ];

  for (const [name, command, hex] of known) {
    it(`encodes and decodes ${name}`, () => {
      expect(toHex(encodeCommand(command))).toBe(hex);
      const decoded = decodeCommand(fromHex(hex));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.value.data).toEqual(command.data ?? new Uint8Array(0));
      expect(decoded.value.le).toBe(command.le);
      expect(decoded.value.extended).toBe(needsExtended(command));
    });
  }

  it('switches to extended length exactly past Lc 255 and Le 256', () => {
    const base = { cla: 0, ins: 0xd6, p1: 0, p2: 0 };
    expect(encodeCommand({ ...base, data: new Uint8Array(255) })[4]).toBe(0xff);
    expect(toHex(encodeCommand({ ...base, data: new Uint8Array(256) }).subarray(4, 7))).toBe('000100');
    expect(toHex(encodeCommand({ ...base, le: 256 }))).toBe('00D6000000');
    expect(toHex(encodeCommand({ ...base, le: 257 }))).toBe('00D60000000101');
    // An extended Le after a short-sized Lc: both fields go extended.
    expect(toHex(encodeCommand({ ...base, data: fromHex('01'), le: 300 }))).toBe('00D6000000000101012C');
    expect(toHex(encodeCommand({ ...base, data: fromHex('01'), le: 1 }, { length: 'extended' }))).toBe(
      '00D60000000001010001',
    );
  });

  it('throws RangeError for fields out of range or short asked for an extended command', () => {
    const base = { cla: 0, ins: 0xb0, p1: 0, p2: 0 };
    expect(() => encodeCommand({ ...base, cla: 256 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, p2: -1 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, ins: 1.5 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, le: 0 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, le: 65537 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, data: new Uint8Array(65536) })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, le: 257 }, { length: 'short' })).toThrow(RangeError);
  });

  it('refuses malformed command APDUs with a reason and offset', () => {
    expect(decodeCommand(fromHex('00A402'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 3 },
    });
    expect(decodeCommand(fromHex('00A4020C03011E'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 4 },
    });
    expect(decodeCommand(fromHex('00A4020C02011E0000'))).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data', offset: 4 },
    });
    expect(decodeCommand(fromHex('00B0000000'))).toMatchObject({
      ok: true,
      value: { le: 256, extended: false },
    });
    expect(decodeCommand(fromHex('00B000000001'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated' },
    });
    expect(decodeCommand(fromHex('00D60000000000AA'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 5 },
    });
    expect(decodeCommand(fromHex('00D6000000000301'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 5 },
    });
  });

  const commandArb: fc.Arbitrary<CommandApdu> = fc.record(
    {
      cla: fc.integer({ min: 0, max: 0xff }),
      ins: fc.integer({ min: 0, max: 0xff }),
      p1: fc.integer({ min: 0, max: 0xff }),
      p2: fc.integer({ min: 0, max: 0xff }),
      data: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ minLength: 250, maxLength: 66000 }).map((d) => d.subarray(0, 65535)),
      ),
      le: fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 65536 })),
    },
    { requiredKeys: ['cla', 'ins', 'p1', 'p2'] },
  );

  it('decodeCommand inverts encodeCommand (short, extended, auto)', () => {
    fc.assert(
      fc.property(commandArb, fc.constantFrom('auto' as const, 'extended' as const), (command, length) => {
        const bytes = encodeCommand(command, { length });
        const decoded = decodeCommand(bytes);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        const { cla, ins, p1, p2, data, le } = decoded.value;
        expect({ cla, ins, p1, p2, le }).toEqual({
          cla: command.cla,
          ins: command.ins,
          p1: command.p1,
          p2: command.p2,
          le: command.le,
        });
        expect(equalBytes(data, command.data ?? new Uint8Array(0))).toBe(true);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('decodeCommand never throws on random bytes, and what it accepts re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const decoded = decodeCommand(bytes);
        if (!decoded.ok) {
          expect(['truncated', 'trailing-data', 'invalid-value']).toContain(decoded.error.reason);
          return;
        }
        const { extended, ...command } = decoded.value;
        const again = encodeCommand(command, { length: extended ? 'extended' : 'short' });
        expect(toHex(again)).toBe(toHex(bytes));
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe('response APDUs and status words', () => {
  it('splits data and status word and joins them back', () => {
    expect(decodeResponse(fromHex('60145F019000'))).toEqual({
      ok: true,
      value: { data: fromHex('60145F01'), sw: 0x9000 },
    });
    expect(toHex(encodeResponse({ data: fromHex('60145F01'), sw: 0x9000 }))).toBe('60145F019000');
    expect(decodeResponse(fromHex('6A82'))).toEqual({
      ok: true,
      value: { data: new Uint8Array(0), sw: 0x6a82 },
    });
    expect(decodeResponse(fromHex('90'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 1 },
    });
  });

  it('describes the status words readers meet', () => {
    expect(describeStatus(SW.SECURITY_STATUS_NOT_SATISFIED)).toBe('security status not satisfied');
    expect(describeStatus(0x6987)).toBe('expected secure messaging data objects missing');
    expect(describeStatus(0x63c2)).toBe('verification failed, 2 tries left');
    expect(describeStatus(0x6100)).toBe('256 more bytes available (GET RESPONSE)');
    expect(describeStatus(0x1234)).toBe('status 1234');
    expect(hexStatus(0x6982)).toBe('6982');
    expect(isSuccess(0x9000)).toBe(true);
    expect(isSuccess(0x6282)).toBe(false);
  });
});

describe('BER-TLV (ISO/IEC 7816-4 §5.2)', () => {
  it('reads multi-byte tags 5F1F and 7F61 and their constructed bit', () => {
    const dg1 = readTlv(fromHex('5F1F03414243'));
    expect(dg1).toMatchObject({
      ok: true,
      value: { tag: 0x5f1f, constructed: false, headerLength: 3, totalLength: 6 },
    });
    if (dg1.ok) expect(toHex(dg1.value.value)).toBe('414243');
    expect(readTlv(fromHex('7F610302010100'), 0)).toMatchObject({
      ok: true,
      value: { tag: 0x7f61, constructed: true },
    });
    expect(readTlv(fromHex('5F810100'))).toMatchObject({
      ok: true,
      value: { tag: 0x5f8101, headerLength: 4 },
    });
    expect(readTlv(fromHex('5F81818100'))).toMatchObject({
      ok: false,
      error: { reason: 'unsupported', offset: 0 },
    });
  });

  it('reads long-form lengths 81, 82 and 83', () => {
    const cases: readonly [string, number][] = [
      ['8180', 0x80],
      ['81FF', 0xff],
      ['820100', 0x100],
      ['82FFFF', 0xffff],
      ['83010000', 0x10000],
    ];
    for (const [lengthHex, length] of cases) {
      const bytes = concatBytes(fromHex(`04${lengthHex}`), new Uint8Array(length));
      const tlv = readTlv(bytes);
      expect(tlv).toMatchObject({ ok: true, value: { tag: 0x04, headerLength: 1 + lengthHex.length / 2 } });
      if (tlv.ok) expect(tlv.value.value.length).toBe(length);
    }
    expect(readTlv(fromHex('047F'.padEnd(4 + 0x7f * 2, '0')))).toMatchObject({
      ok: true,
      value: { headerLength: 2 },
    });
  });

  it('refuses truncated, too large, indefinite and padding-byte TLVs', () => {
    expect(readTlv(new Uint8Array(0))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 0 },
    });
    expect(readTlv(fromHex('5F'))).toMatchObject({ ok: false, error: { reason: 'truncated', offset: 1 } });
    expect(readTlv(fromHex('04'))).toMatchObject({ ok: false, error: { reason: 'truncated', offset: 1 } });
    expect(readTlv(fromHex('0482'))).toMatchObject({ ok: false, error: { reason: 'truncated', offset: 2 } });
    expect(readTlv(fromHex('048201'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 2 },
    });
    expect(readTlv(fromHex('04030102'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 2 },
    });
    expect(readTlv(fromHex('048401000000'))).toMatchObject({
      ok: false,
      error: { reason: 'too-large', offset: 1 },
    });
    expect(readTlv(fromHex('0480'))).toMatchObject({
      ok: false,
      error: { reason: 'unsupported', offset: 1 },
    });
    expect(readTlv(fromHex('0400'))).toMatchObject({ ok: true });
    expect(readTlv(fromHex('0000'))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(readTlv(fromHex('FF00'))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(readTlv(fromHex('0482FFFF'), 0, { maxLength: 0xfffe })).toMatchObject({
      ok: false,
      error: { reason: 'too-large', offset: 0 },
    });
    // A 3-byte length stays under the default 16 MiB bound; it still must fit the input.
    expect(readTlv(fromHex('0483FFFFFF'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 5 },
    });
    expect(readTlv(fromHex('04830100000102'))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
  });

  it('reads at an offset and reads a sequence exactly', () => {
    expect(readTlv(fromHex('AABB5C026175'), 2)).toMatchObject({ ok: true, value: { tag: 0x5c, offset: 2 } });
    const list = readTlvs(fromHex('5F0104303130365C026175'));
    expect(list.ok && list.value.map((t) => t.tag)).toEqual([0x5f01, 0x5c]);
    expect(readTlvs(fromHex('5C0261'))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
    expect(readTlvs(fromHex('5C00'.repeat(5)), { maxNodes: 4 })).toMatchObject({
      ok: false,
      error: { reason: 'too-large', offset: 8 },
    });
  });

  it('parses EF.COM of the 9303-11 App. D.4 example as a tree with absolute offsets', () => {
    const tree = parseTree(fromHex('60145F0104303130365F36063034303030305C026175'));
    expect(tree.ok).toBe(true);
    if (!tree.ok) return;
    const [com] = tree.value;
    expect(com?.tag).toBe(0x60);
    expect(com?.children.map((c) => [c.tag, c.offset])).toEqual([
      [0x5f01, 2],
      [0x5f36, 9],
      [0x5c, 18],
    ]);
    const tagList = findTag(com?.children ?? [], 0x5c);
    expect(tagList && toHex(tagList.value)).toBe('6175');
  });

  it('bounds the tree by depth and node count', () => {
    let nested: Uint8Array = fromHex('0400');
    for (let i = 0; i < 20; i++) nested = encodeTlv(0x30, nested);
    expect(parseTree(nested)).toMatchObject({ ok: false, error: { reason: 'too-large' } });
    expect(parseTree(nested, { maxDepth: 20 }).ok).toBe(true);
    expect(parseTree(nested, { maxDepth: 19 })).toMatchObject({
      ok: false,
      error: { reason: 'too-large', offset: 38 },
    });
    const wide = encodeTlv(0x30, ...Array.from({ length: 10 }, () => fromHex('0400')));
    expect(parseTree(wide, { maxNodes: 11 }).ok).toBe(true);
    expect(parseTree(wide, { maxNodes: 10 })).toMatchObject({ ok: false, error: { reason: 'too-large' } });
    // A nested error reports the offset in the outer buffer.
    expect(parseTree(fromHex('3005 3003 040201'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 6 },
    });
  });

  it('encodes lengths at their boundaries', () => {
    const cases: readonly [number, string][] = [
      [0, '00'],
      [0x7f, '7F'],
      [0x80, '8180'],
      [0xff, '81FF'],
      [0x100, '820100'],
      [0xffff, '82FFFF'],
      [0x10000, '83010000'],
      [0xffffff, '83FFFFFF'],
    ];
    for (const [length, hex] of cases) expect(toHex(encodeLength(length))).toBe(hex);
    expect(() => encodeLength(0x1000000)).toThrow(RangeError);
    expect(() => encodeLength(-1)).toThrow(RangeError);
  });

  it('encodes tags and refuses ones that do not read back', () => {
    expect(toHex(encodeTag(0x5f1f))).toBe('5F1F');
    expect(toHex(encodeTag(0x7f61))).toBe('7F61');
    expect(toHex(encodeTag(0x5f8101))).toBe('5F8101');
    expect(() => encodeTag(0x1f)).toThrow(RangeError); // 1F announces more tag bytes
    expect(() => encodeTag(0x5c1f)).toThrow(RangeError); // 5C is a whole tag
    expect(() => encodeTag(0x5f81)).toThrow(RangeError); // 81 announces a third byte
    expect(() => encodeTag(0x5f0101)).toThrow(RangeError); // 01 ends the tag after two bytes
    expect(() => encodeTag(0)).toThrow(RangeError);
    expect(() => encodeTag(0xff1f)).toThrow(RangeError); // FF is padding to readTlv (7816-4 §5.2.2.1)
    expect(() => encodeTag(0x1000000)).toThrow(RangeError);
    expect(toHex(encodeTlv(0x7f61, fromHex('0201'), fromHex('01')))).toBe('7F6103020101');
  });

  const tagArb = fc.oneof(
    fc.integer({ min: 1, max: 0xfe }).filter((b) => (b & 0x1f) !== 0x1f),
    fc
      .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0x1f, max: 0x7f }))
      .map(([cls, second]) => (((cls << 5) | 0x1f) << 8) | second),
    fc
      .tuple(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0x81, max: 0xff }),
        fc.integer({ min: 0, max: 0x7f }),
      )
      .map(([cls, second, third]) => (((cls << 5) | 0x1f) << 16) | (second << 8) | third),
  );

  it('readTlv inverts encodeTlv for every valid tag and length', () => {
    fc.assert(
      fc.property(
        tagArb,
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.integer({ min: 0, max: 70000 }).map((n) => new Uint8Array(n)),
        ),
        (tag, value) => {
          const bytes = encodeTlv(tag, value);
          const tlv = readTlv(bytes);
          expect(tlv.ok).toBe(true);
          if (!tlv.ok) return;
          expect(tlv.value.tag).toBe(tag);
          expect(tlv.value.totalLength).toBe(bytes.length);
          expect(equalBytes(tlv.value.value, value)).toBe(true);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('readTlv, readTlvs and parseTree never throw on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(10), (bytes, offset) => {
        const one = readTlv(bytes, offset);
        if (one.ok) expect(one.value.offset + one.value.totalLength).toBeLessThanOrEqual(bytes.length);
        readTlvs(bytes);
        const tree = parseTree(bytes, { maxDepth: 4, maxNodes: 50 });
        if (!tree.ok)
          expect(['truncated', 'invalid-value', 'too-large', 'unsupported']).toContain(tree.error.reason);
      }),
      { seed, numRuns: 3000 },
    );
  });
});
