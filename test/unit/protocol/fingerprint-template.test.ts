/**
 * Finger minutiae templates against byte layouts computed by hand from the field tables of
 * ISO/IEC 19794-2:2005 and INCITS 378-2004 (protocol/fingerprint/template/fmr.ts), the angle units
 * of each format, NBIS's `.xyt` conventions, and the conversion from our extractor.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import {
  ansiAngleCode,
  degreesOfExtractorAngle,
  detectRecordFormat,
  ENDING_SHIFT_PERIODS,
  extractorMinutiae,
  type FingerTemplate,
  type FingerView,
  isoAngleCode,
  limitMinutiae,
  readAnsiRecord,
  readExtendedBlocks,
  readFingerRecord,
  readIsoRecord,
  readXyt,
  TemplateWriteError,
  templateFromExtraction,
  templateMinutiae,
  writeAnsiRecord,
  writeIsoRecord,
  writeXyt,
} from '../../../protocol/fingerprint/template/index.ts';
import { unwrap } from '../../../protocol/result.ts';

const ascii = (text: string) => new TextEncoder().encode(text);

/** Three minutiae, one of each type, on a 400 x 500 image at 197 px/cm. */
const TEMPLATE: FingerTemplate = {
  width: 400,
  height: 500,
  resolutionX: 197,
  resolutionY: 197,
  equipment: { compliance: 0, id: 0x123 },
  product: { owner: 0x0103, type: 0x0001 },
  views: [
    {
      position: 2,
      viewNumber: 0,
      impression: 0,
      quality: 80,
      minutiae: [
        { x: 100, y: 200, angle: 90, kind: 'ending', quality: 60 },
        { x: 250, y: 31, angle: 45, kind: 'bifurcation' },
        { x: 0, y: 499, angle: 0, kind: 'other', quality: 100 },
      ],
    },
  ],
};

const VIEW = TEMPLATE.views[0] as FingerView;

/*
 * By hand from the field table: header, one view header (position 2, view 0 / impression 0, quality
 * 0x50, 3 minutiae), three 6-byte minutiae (type in the top two bits of x), no extended data.
 * ISO angles in units of 360/256: 90 -> 0x40, 45 -> 0x20. INCITS angles in units of 2 degrees:
 * 90 -> 45 (0x2D), 45 -> 22.5, rounded half up to 23 (0x17).
 */
const ISO_BYTES = fromHex(`
  464D5200 20323000 00000030 0123 0190 01F4 00C5 00C5 01 00
  02 00 50 03
  4064 00C8 40 3C
  80FA 001F 20 00
  0000 01F3 00 64
  0000`);
const ANSI_BYTES = fromHex(`
  464D5200 20323000 0032 0103 0001 0123 0190 01F4 00C5 00C5 01 00
  02 00 50 03
  4064 00C8 2D 3C
  80FA 001F 17 00
  0000 01F3 00 64
  0000`);

describe('ISO/IEC 19794-2:2005 and INCITS 378-2004 records, by hand', () => {
  it('write the bytes the field tables give', () => {
    expect(toHex(writeIsoRecord(TEMPLATE))).toBe(toHex(ISO_BYTES));
    expect(toHex(writeAnsiRecord(TEMPLATE))).toBe(toHex(ANSI_BYTES));
  });

  it('read them back: ISO exactly, INCITS with 45 degrees become 46 (2-degree units)', () => {
    const { product: _product, ...iso } = TEMPLATE;
    expect(unwrap(readIsoRecord(ISO_BYTES))).toEqual(iso);
    const ansi = unwrap(readAnsiRecord(ANSI_BYTES));
    expect(ansi.product).toEqual({ owner: 0x0103, type: 0x0001 });
    expect(ansi.views[0]?.minutiae.map((m) => m.angle)).toEqual([90, 46, 0]);
    expect(ansi.views[0]?.minutiae[1]?.quality).toBeUndefined();
  });

  it('tell the two formats apart by the length field', () => {
    expect(detectRecordFormat(ISO_BYTES)).toBe('iso19794-2:2005');
    expect(detectRecordFormat(ANSI_BYTES)).toBe('incits378:2004');
    expect(detectRecordFormat(ascii('FMR\0 20\0'))).toBeUndefined();
    expect(detectRecordFormat(ascii('FIR\0 20\0\0\0\0\x30'))).toBeUndefined();
    const read = unwrap(readFingerRecord(ANSI_BYTES));
    expect(read.format).toBe('incits378:2004');
  });

  it('put the Appendix F flag in the top bit of the capture equipment field', () => {
    const certified = { ...TEMPLATE, equipment: { compliance: 8, id: 0x123 } };
    const bytes = writeAnsiRecord(certified);
    expect(toHex(bytes.subarray(14, 16))).toBe('8123');
    expect(unwrap(readAnsiRecord(bytes)).equipment).toEqual({ compliance: 8, id: 0x123 });
  });

  it('write an INCITS record of 0x10000 bytes or more with the 6-byte length', () => {
    const view = VIEW;
    const minutiae = Array.from({ length: 255 }, (_, i) => ({
      x: i,
      y: i,
      angle: i,
      kind: 'ending' as const,
    }));
    const big: FingerTemplate = {
      ...TEMPLATE,
      views: Array.from({ length: 43 }, (_, v) => ({
        ...view,
        position: v % 11,
        viewNumber: Math.floor(v / 11),
        minutiae,
      })),
    };
    const bytes = writeAnsiRecord(big);
    const expected = 30 + 43 * (4 + 255 * 6 + 2);
    expect(bytes.length).toBe(expected);
    expect(toHex(bytes.subarray(8, 14))).toBe(`0000${expected.toString(16).toUpperCase().padStart(8, '0')}`);
    expect(detectRecordFormat(bytes)).toBe('incits378:2004');
    expect(unwrap(readAnsiRecord(bytes)).views).toHaveLength(43);
    // ISO keeps its 4-byte length at any size.
    expect(detectRecordFormat(writeIsoRecord(big))).toBe('iso19794-2:2005');
  });

  it('keep an extended data area in its own format and leave it out of the other', () => {
    const area = fromHex('0001 000B 01 010203 040506');
    const view = { ...VIEW, extended: { format: 'iso19794-2:2005' as const, data: area } };
    const template: FingerTemplate = { ...TEMPLATE, views: [view] };
    const iso = writeIsoRecord(template);
    expect(iso.length).toBe(ISO_BYTES.length + area.length);
    expect(toHex(iso.subarray(iso.length - 13))).toBe(`000B${toHex(area)}`);
    expect(unwrap(readIsoRecord(iso)).views[0]?.extended?.data).toEqual(area);
    expect(writeAnsiRecord(template).length).toBe(ANSI_BYTES.length);
    const blocks = unwrap(readExtendedBlocks(area, 'iso19794-2:2005'));
    expect(blocks.lengthIncludesHeader).toBe(true);
    expect(blocks.blocks.map((b) => [b.type, b.offset, toHex(b.data)])).toEqual([[1, 0, '01010203040506']]);
  });

  it('read an ISO extended area whose lengths count only the data, and refuse it from INCITS', () => {
    const area = fromHex('0221 0006 0144BC362143');
    const iso = unwrap(readExtendedBlocks(area, 'iso19794-2:2005'));
    expect(iso.lengthIncludesHeader).toBe(false);
    expect(iso.blocks.map((b) => [b.type, toHex(b.data)])).toEqual([[0x0221, '0144BC362143']]);
    const ansi = readExtendedBlocks(area, 'incits378:2004');
    expect(ansi.ok).toBe(false);
    // Read with lengths counting the header, the second block starts at byte 6 and runs far past the end.
    if (!ansi.ok) expect(ansi.error).toMatchObject({ reason: 'truncated', offset: 8 });
  });
});

describe('record errors name the byte', () => {
  const withByte = (bytes: Uint8Array, at: number, value: number) => {
    const copy = bytes.slice();
    copy[at] = value;
    return copy;
  };
  const cases: [string, Uint8Array, (b: Uint8Array) => ReturnType<typeof readIsoRecord>, string, number][] = [
    ['another format identifier', withByte(ISO_BYTES, 0, 0x41), readIsoRecord, 'invalid-value', 0],
    ['another version', withByte(ISO_BYTES, 5, 0x33), readIsoRecord, 'unsupported', 4],
    ['a length past the input', ISO_BYTES.subarray(0, 40), readIsoRecord, 'truncated', 40],
    ['a length below the header', withByte(ISO_BYTES, 11, 0x10), readIsoRecord, 'invalid-value', 8],
    ['a reserved byte set', withByte(ISO_BYTES, 23, 1), readIsoRecord, 'invalid-value', 23],
    ['a zero image width', withByte(withByte(ISO_BYTES, 14, 0), 15, 0), readIsoRecord, 'invalid-value', 14],
    ['finger position 11', withByte(ISO_BYTES, 24, 11), readIsoRecord, 'invalid-value', 24],
    ['impression type 5', withByte(ISO_BYTES, 25, 5), readIsoRecord, 'invalid-value', 25],
    ['finger quality 101', withByte(ISO_BYTES, 26, 101), readIsoRecord, 'invalid-value', 26],
    ['more minutiae than bytes', withByte(ISO_BYTES, 27, 200), readIsoRecord, 'truncated', 28],
    ['minutia type 3', withByte(ISO_BYTES, 28, 0xc0), readIsoRecord, 'invalid-value', 28],
    ['reserved bits above y', withByte(ISO_BYTES, 30, 0x40), readIsoRecord, 'invalid-value', 30],
    ['x outside the image', withByte(ISO_BYTES, 28, 0x7f), readIsoRecord, 'invalid-value', 28],
    ['minutia quality 101', withByte(ISO_BYTES, 33, 101), readIsoRecord, 'invalid-value', 33],
    ['an extended length past the end', withByte(ISO_BYTES, 47, 4), readIsoRecord, 'truncated', 46],
    ['INCITS angle code 180', withByte(ANSI_BYTES, 34, 180), readAnsiRecord, 'invalid-value', 34],
    ['255 views in 2 bytes', withByte(ANSI_BYTES, 24, 255), readAnsiRecord, 'truncated', 26],
  ];
  it.each(cases)('%s', (_name, bytes, read, reason, offset) => {
    const result = read(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason, offset });
  });

  it('trailing bytes after the stated record', () => {
    const longer = new Uint8Array(ISO_BYTES.length + 3);
    longer.set(ISO_BYTES);
    const result = readIsoRecord(longer);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason: 'trailing-data', offset: ISO_BYTES.length });
  });

  it('writers refuse a minutia outside the image, naming it', () => {
    const outside = {
      ...TEMPLATE,
      views: [{ ...VIEW, minutiae: [{ x: 400, y: 0, angle: 0, kind: 'ending' as const }] }],
    };
    expect(() => writeIsoRecord(outside)).toThrow(TemplateWriteError);
    expect(() => writeIsoRecord(outside)).toThrow(/view 1 minutia 1 x: 400 is not an integer in 0\.\.399/);
  });
});

describe('angle units', () => {
  it('ISO codes become INCITS codes as floor((45 k + 32) / 64) mod 180: half up at 45, 135, 225, 315 degrees', () => {
    for (let k = 0; k < 256; k++) {
      const degrees = (k * 360) / 256;
      expect(ansiAngleCode(degrees)).toBe(Math.floor((45 * k + 32) / 64) % 180);
    }
    expect([32, 96, 160, 224].map((k) => ansiAngleCode((k * 360) / 256))).toEqual([23, 68, 113, 158]);
  });

  it('INCITS codes become ISO codes as round(64 k / 45), and back to the same INCITS code', () => {
    for (let k = 0; k < 180; k++) {
      const iso = isoAngleCode(k * 2);
      expect(iso).toBe(Math.round((64 * k) / 45) % 256);
      expect(ansiAngleCode((iso * 360) / 256)).toBe(k);
    }
  });

  it('an ISO record converted to INCITS and back moves no angle by more than one ISO code', () => {
    const minutiae = Array.from({ length: 255 }, (_, k) => ({
      x: k,
      y: 0,
      angle: (k * 360) / 256,
      kind: 'ending' as const,
    }));
    const iso = writeIsoRecord({ ...TEMPLATE, width: 300, views: [{ ...VIEW, minutiae }] });
    const viaAnsi = unwrap(readAnsiRecord(writeAnsiRecord(unwrap(readIsoRecord(iso)))));
    const back = unwrap(readIsoRecord(writeIsoRecord(viaAnsi)));
    for (const [k, m] of (back.views[0]?.minutiae ?? []).entries()) {
      const code = isoAngleCode(m.angle);
      expect(Math.min(Math.abs(code - k), 256 - Math.abs(code - k))).toBeLessThanOrEqual(1);
    }
  });
});

describe('NIST .xyt', () => {
  const image = { width: 500, height: 500 };
  const minutiae = [
    { x: 10, y: 20, angle: 90, kind: 'ending' as const, quality: 50 },
    { x: 499, y: 0, angle: 359.6, kind: 'bifurcation' as const },
  ];

  it('nist: origin bottom-left (height - row), theta in degrees turned 180 from ISO, quality 0 when none', () => {
    expect(writeXyt(minutiae, { ...image, variant: 'nist' })).toBe('10 480 270 50\n499 500 180 0\n');
  });

  it('m1: origin top-left, theta in 2-degree units truncated after rounding to whole degrees', () => {
    expect(writeXyt(minutiae, { ...image, variant: 'm1' })).toBe('10 20 45 50\n499 0 0 0\n');
    expect(writeXyt([{ x: 1, y: 1, angle: 35.4, kind: 'other' }], { ...image, variant: 'm1' })).toBe(
      '1 1 17\n',
    );
  });

  it('reads both back to the same positions and ISO-direction angles', () => {
    const nist = unwrap(readXyt(ascii('10 480 270 50\n499 500 180 0\n'), { ...image, variant: 'nist' }));
    expect(nist).toEqual([
      { x: 10, y: 20, angle: 90, kind: 'other', quality: 50 },
      { x: 499, y: 0, angle: 0, kind: 'other' },
    ]);
    const m1 = unwrap(readXyt(ascii('10 20 45 50\r\n499 0 0 0'), { ...image, variant: 'm1' }));
    expect(m1.map((m) => [m.x, m.y, m.angle])).toEqual([
      [10, 20, 90],
      [499, 0, 0],
    ]);
    expect(unwrap(readXyt(ascii('  7\t8 9\n'), { ...image, variant: 'm1' }))).toEqual([
      { x: 7, y: 8, angle: 18, kind: 'other' },
    ]);
  });

  const bad: [string, string, 'nist' | 'm1', string, number][] = [
    ['a word', '10 20 x 5\n', 'nist', 'invalid-value', 6],
    ['a blank line', '10 20 30\n\n10 20 30\n', 'nist', 'invalid-value', 9],
    ['two numbers', '10 20\n', 'nist', 'invalid-value', 0],
    ['columns changing', '10 20 30 4\n10 20 30\n', 'nist', 'invalid-value', 11],
    ['y = 0 at the bottom-left origin', '10 0 30\n', 'nist', 'invalid-value', 3],
    ['y = height at the top-left origin', '10 500 30\n', 'm1', 'invalid-value', 3],
    ['theta 180 in 2-degree units', '10 20 180\n', 'm1', 'invalid-value', 6],
    ['theta 360', '10 20 360\n', 'nist', 'invalid-value', 6],
    ['quality 101', '10 20 30 101\n', 'nist', 'invalid-value', 9],
    ['a negative x', '-1 20 30\n', 'nist', 'invalid-value', 0],
    ['digits glued to a letter', '10 20 30q\n', 'nist', 'invalid-value', 6],
  ];
  it.each(bad)('refuses %s with its offset', (_name, text, variant, reason, offset) => {
    const result = readXyt(ascii(text), { ...image, variant });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason, offset });
  });

  it('refuses more lines than bozorth3 reads', () => {
    const result = readXyt(ascii('1 1 1\n'.repeat(1001)), { ...image, variant: 'nist' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason: 'too-large', offset: 6000 });
  });
});

describe('from our extractor', () => {
  const image = { width: 100, height: 100 };

  it('turns radians with y downwards into degrees counter-clockwise', () => {
    expect(degreesOfExtractorAngle(0)).toBe(0);
    expect(degreesOfExtractorAngle(Math.PI / 2)).toBeCloseTo(270, 12); // pointing down the image
    expect(degreesOfExtractorAngle((3 * Math.PI) / 2)).toBeCloseTo(90, 12); // pointing up
  });

  it('moves a ridge ending 3/8 of a period out of the ridge, into the valley fork; a bifurcation stays', () => {
    expect(ENDING_SHIFT_PERIODS).toBe(0.375);
    // An ending whose ridge runs to the right (+x) from it: the valley fork lies to its left.
    const [ending, bifurcation, down] = templateMinutiae(
      [
        { x: 50, y: 50, kind: 'ending', angle: 0 },
        { x: 50, y: 50, kind: 'bifurcation', angle: 0 },
        { x: 50, y: 50, kind: 'ending', angle: Math.PI / 2 },
      ],
      8,
      image,
    );
    expect(ending).toMatchObject({ x: 47, y: 50, angle: 0, kind: 'ending' });
    expect(bifurcation).toMatchObject({ x: 50, y: 50, angle: 0 });
    // Ridge running down the image from the ending: the fork is above it.
    expect(down?.x).toBeCloseTo(50, 12);
    expect(down?.y).toBeCloseTo(47, 12);
    expect(down?.angle).toBeCloseTo(270, 12);
  });

  it('and back: extractorMinutiae undoes templateMinutiae', () => {
    const original = [
      { x: 30, y: 40, kind: 'ending' as const, angle: 1.2, quality: 70 },
      { x: 60, y: 20, kind: 'bifurcation' as const, angle: 4 },
    ];
    const back = extractorMinutiae(templateMinutiae(original, 9, image), 9);
    for (const [i, m] of back.entries()) {
      const o = original[i];
      expect(m.x).toBeCloseTo(o?.x ?? NaN, 9);
      expect(m.y).toBeCloseTo(o?.y ?? NaN, 9);
      expect(m.angle).toBeCloseTo(o?.angle ?? NaN, 9);
      expect(m.quality).toBe(o?.quality);
    }
  });

  it('keeps at most 255 minutiae: the best quality first, then the nearest the centre, in their order', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ x: i, y: 0, quality: i % 2 === 0 ? 90 : 10 }));
    const kept = limitMinutiae(many, 255);
    expect(kept).toHaveLength(255);
    expect(kept.filter((m) => m.quality === 90)).toHaveLength(150);
    const low = kept.filter((m) => m.quality === 10).map((m) => m.x);
    // 105 of the 150 low-quality ones (odd x), those nearest the centre x = 149.5: 45..253.
    expect(low).toHaveLength(105);
    expect(Math.min(...low)).toBe(45);
    expect(Math.max(...low)).toBe(253);
    expect(kept.map((m) => m.x)).toEqual([...kept.map((m) => m.x)].sort((a, b) => a - b));
  });

  it('makes a one-view template at 500 ppi (197 px/cm) that writes in every format', () => {
    const template = templateFromExtraction(
      { minutiae: [{ x: 20, y: 30, kind: 'bifurcation', angle: Math.PI }], period: 9 },
      { width: 64, height: 80 },
      { position: 7, quality: 55 },
    );
    expect(template).toMatchObject({ width: 64, height: 80, resolutionX: 197, resolutionY: 197 });
    expect(template.views[0]).toMatchObject({ position: 7, quality: 55, impression: 0 });
    expect(template.views[0]?.minutiae).toEqual([{ x: 20, y: 30, angle: 180, kind: 'bifurcation' }]);
    expect(unwrap(readIsoRecord(writeIsoRecord(template))).views[0]?.minutiae[0]?.angle).toBe(180);
    expect(writeXyt(template.views[0]?.minutiae ?? [], { variant: 'nist', width: 64, height: 80 })).toBe(
      '20 50 0\n',
    );
  });
});
