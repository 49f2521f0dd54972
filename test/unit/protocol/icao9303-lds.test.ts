/**
 * LDS codecs (ICAO 9303-10): EF.COM from the reference worked example, the MRZ (TD1/TD2/TD3 ICAO
 * specimens, check digits, the long TD1 document number, the CCCD layout from the reference
 * vectors), DG1, DG2 with its ISO 19794-5 record and image sniffing, the file table, and that no
 * decoder throws on random or mutated bytes.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../protocol/bytes.ts';
import { isMrzText, mrzCheckChar, mrzCheckDigit } from '../../../protocol/icao9303/lds/check-digit.ts';
import { decodeEfCom, encodeEfCom } from '../../../protocol/icao9303/lds/com.ts';
import { decodeDg1, encodeDg1 } from '../../../protocol/icao9303/lds/dg1.ts';
import { decodeDg2, encodeDg2 } from '../../../protocol/icao9303/lds/dg2.ts';
import {
  decodeFaceRecord,
  encodeFaceRecord,
  sniffImageFormat,
} from '../../../protocol/icao9303/lds/face-record.ts';
import {
  DATA_GROUP_FILES,
  dataGroupFile,
  dataGroupForTag,
  decodeRawDataGroup,
  EF_COM,
  EF_SOD,
  readLdsFileHeader,
} from '../../../protocol/icao9303/lds/files.ts';
import {
  cccdMrzFields,
  decodeMrz,
  encodeMrz,
  type Mrz,
  toMrzName,
} from '../../../protocol/icao9303/lds/mrz.ts';
import { decodeCrl, decodeMasterList } from '../../../protocol/icao9303/pa.ts';
import { decodeCertificate, decodeLdsSecurityObject, decodeSod } from '../../../protocol/icao9303/sod.ts';
import { unwrap } from '../../../protocol/result.ts';
import { encodeGreyJpeg, syntheticPortrait } from '../../../simulators/card/lds-builder.ts';
import { readReferenceJson } from '../../support/fixtures.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

// ICAO 9303-4 §4.2.2 / 9303-5 / 9303-6 specimen zones ('Utopia', Anna Maria Eriksson).
const TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
const TD1 = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];
const TD2 = ['I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<', 'D231458907UTO7408122F1204159<<<<<<<6'];
/** 9303-5: a 12-character number continued in optional data (check digit 9 computed by hand). */
const TD1_LONG = [
  'I<UTOD23145890<7349<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];

function mrz(lines: readonly string[]): Mrz {
  return unwrap(decodeMrz(lines.join('')));
}

function replaceAt(text: string, at: number, char: string): string {
  return text.slice(0, at) + char + text.slice(at + 1);
}

describe('MRZ check digit (9303-3 §4.9)', () => {
  it.each([
    ['L898902C3', 6],
    ['740812', 2],
    ['120415', 9],
    ['D23145890', 7],
    ['ZE184226B<<<<<', 1],
    ['<<<<<<', 0],
  ])('%s → %i', (text, digit) => {
    expect(mrzCheckDigit(text)).toBe(digit);
  });

  it('rejects characters outside A–Z, 0–9, <', () => {
    expect(isMrzText('AB<12')).toBe(true);
    expect(isMrzText('ab')).toBe(false);
    expect(() => mrzCheckDigit('L89-')).toThrow(RangeError);
  });
});

describe('TD3 (passport, 2×44)', () => {
  it('slices the specimen and every check digit is right', () => {
    const m = mrz(TD3);
    expect(m.format).toBe('TD3');
    expect(m.documentCode).toBe('P');
    expect(m.issuingState).toBe('UTO');
    expect(m.documentNumber).toBe('L898902C3');
    expect(m.nationality).toBe('UTO');
    expect(m.dateOfBirth).toBe('740812');
    expect(m.sex).toBe('F');
    expect(m.dateOfExpiry).toBe('120415');
    expect(m.optionalData1).toBe('ZE184226B<<<<<');
    expect(m.name).toEqual({ primary: 'ERIKSSON', secondary: 'ANNA MARIA' });
    expect(m.documentNumberCheck).toMatchObject({ printed: '6', computed: '6', ok: true });
    expect(m.optionalData1Check).toMatchObject({ printed: '1', ok: true });
    expect(m.compositeCheck).toMatchObject({ printed: '0', computed: '0', ok: true });
    expect(m.checksOk).toBe(true);
  });

  it('a corrupted date of birth fails its own check and the composite, and nothing else', () => {
    const text = replaceAt(TD3.join(''), 44 + 18, '3'); // 740812 → 740813
    const m = unwrap(decodeMrz(text));
    expect(m.dateOfBirthCheck).toMatchObject({ over: '740813', printed: '2', ok: false });
    expect(m.compositeCheck.ok).toBe(false);
    expect(m.documentNumberCheck.ok).toBe(true);
    expect(m.dateOfExpiryCheck.ok).toBe(true);
    expect(m.checksOk).toBe(false);
  });

  it('a corrupted document number check digit is reported with the digit it should be', () => {
    const m = unwrap(decodeMrz(replaceAt(TD3.join(''), 44 + 9, '5')));
    expect(m.documentNumberCheck).toMatchObject({ printed: '5', computed: '6', ok: false });
    expect(m.checksOk).toBe(false);
  });

  it('the encoder rebuilds the specimen byte for byte', () => {
    const m = mrz(TD3);
    expect(
      encodeMrz({
        format: 'TD3',
        documentCode: 'P',
        issuingState: 'UTO',
        documentNumber: 'L898902C3',
        dateOfBirth: '740812',
        sex: 'F',
        dateOfExpiry: '120415',
        nationality: 'UTO',
        name: m.name,
        optionalData1: 'ZE184226B',
      }),
    ).toBe(TD3.join(''));
  });
});

describe('TD1 (ID card, 3×30)', () => {
  it('slices the specimen and every check digit is right', () => {
    const m = mrz(TD1);
    expect(m.format).toBe('TD1');
    expect(m.documentCode).toBe('I');
    expect(m.documentNumber).toBe('D23145890');
    expect(m.documentNumberCheck).toMatchObject({ printed: '7', ok: true });
    expect(m.optionalData2).toBe('<<<<<<<<<<<');
    expect(m.compositeCheck).toMatchObject({ printed: '6', ok: true });
    expect(m.name).toEqual({ primary: 'ERIKSSON', secondary: 'ANNA MARIA' });
    expect(m.cccd).toBeUndefined();
    expect(m.checksOk).toBe(true);
  });

  it('a corrupted composite digit is detected', () => {
    const m = unwrap(decodeMrz(replaceAt(TD1.join(''), 59, '7')));
    expect(m.compositeCheck).toMatchObject({ printed: '7', computed: '6', ok: false });
    expect(m.checksOk).toBe(false);
  });

  it('reads a document number longer than 9 characters from optional data (9303-5 note j)', () => {
    const m = mrz(TD1_LONG);
    expect(m.documentNumber).toBe('D23145890734');
    expect(m.documentNumberCheck).toMatchObject({ over: 'D23145890734', printed: '9', ok: true });
    expect(m.optionalData1).toBe('<<<<<<<<<<');
    expect(m.checksOk).toBe(true);
  });

  it('writes a long document number the same way', () => {
    const text = encodeMrz({
      format: 'TD1',
      documentCode: 'I',
      issuingState: 'UTO',
      documentNumber: 'D23145890734',
      dateOfBirth: '740812',
      sex: 'F',
      dateOfExpiry: '120415',
      nationality: 'UTO',
      name: { primary: 'Eriksson', secondary: 'Anna Maria' },
    });
    expect(text).toBe(TD1_LONG.join(''));
  });
});

describe('TD2 (2×36)', () => {
  it('slices the specimen and every check digit is right', () => {
    const m = mrz(TD2);
    expect(m.format).toBe('TD2');
    expect(m.documentNumber).toBe('D23145890');
    expect(m.dateOfBirth).toBe('740812');
    expect(m.name.secondary).toBe('ANNA MARIA');
    expect(m.checksOk).toBe(true);
  });
});

describe('MRZ errors', () => {
  it.each([
    ['wrong length', TD3.join('').slice(0, 87)],
    ['lower case', TD3.join('').toLowerCase()],
    ['bad sex', replaceAt(TD3.join(''), 44 + 20, 'Q')],
  ])('%s is invalid-value', (_, text) => {
    const r = decodeMrz(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe('invalid-value');
  });
});

describe('CCCD TD1 layout (reference §8, vectors cccd_synthetic_bac_example)', () => {
  const vector = (readReferenceJson('icao9303-vectors.json') as Record<string, Record<string, string>>)
    .cccd_synthetic_bac_example as Record<string, string>;

  const text = encodeMrz(
    cccdMrzFields({
      id12: vector.id12 ?? '',
      surname: 'Nguyễn',
      givenNames: 'Văn Đức',
      sex: 'M',
      dateOfBirth: vector.dob ?? '',
      dateOfExpiry: vector.doe ?? '',
    }),
  );

  it('line 1 is IDVNM + ID[3:12] + check + the 12-digit ID + << + its check digit', () => {
    expect(text.slice(0, 30)).toBe(
      `IDVNM${vector.document_number}${vector.doc_check}${vector.id12}<<${vector.id12_check_digit}`,
    );
  });

  it('decodes to the reference BAC inputs, the ID and a document number that matches it', () => {
    const m = unwrap(decodeMrz(text));
    expect(m.issuingState).toBe('VNM');
    expect(
      `${m.documentNumber}${m.documentNumberCheck.printed}${m.dateOfBirth}${m.dateOfBirthCheck.printed}`,
    ).toBe((vector.MRZ_information ?? '').slice(0, 17));
    expect(m.dateOfExpiryCheck.printed).toBe(vector.doe_check);
    expect(m.cccd).toEqual({
      id12: vector.id12,
      documentNumberMatchesId: true,
      id12Check: {
        over: vector.id12,
        printed: vector.id12_check_digit,
        computed: vector.id12_check_digit,
        ok: true,
      },
    });
    expect(m.name).toEqual({ primary: 'NGUYEN', secondary: 'VAN DUC' });
    expect(m.checksOk).toBe(true);
  });

  it('a document number that is not ID[3:12] is flagged', () => {
    const bad = unwrap(decodeMrz(text.replace(`${vector.id12}<<`, `001099012346<<`)));
    expect(bad.cccd?.documentNumberMatchesId).toBe(false);
    expect(bad.cccd?.id12Check?.ok).toBe(false);
  });

  it('transliterates Vietnamese names', () => {
    expect(toMrzName('Đặng Thị Ngọc-Ánh')).toBe('DANG<THI<NGOC<ANH');
  });
});

describe('EF.COM (9303-10 §4.6.1)', () => {
  const example = fromHex('60145F0104303130365F36063034303030305C026175');

  it('decodes the reference worked example', () => {
    expect(unwrap(decodeEfCom(example))).toEqual({
      ldsVersion: '0106',
      unicodeVersion: '040000',
      dataGroups: [1, 2],
    });
  });

  it('encodes it back byte for byte', () => {
    expect(encodeEfCom({ ldsVersion: '0106', unicodeVersion: '040000', dataGroups: [1, 2] })).toEqual(
      example,
    );
  });

  it.each([
    ['truncated', example.subarray(0, 10), 'truncated'],
    ['wrong tag', fromHex('61145F0104303130365F36063034303030305C026175'), 'invalid-value'],
    ['trailing byte', fromHex('60145F0104303130365F36063034303030305C02617500'), 'trailing-data'],
    ['unknown tag in list', fromHex('60145F0104303130365F36063034303030305C026177'), 'invalid-value'],
    ['LDS version not digits', fromHex('60145F01043031303A5F36063034303030305C026175'), 'invalid-value'],
  ])('%s → %s', (_, bytes, reason) => {
    const r = decodeEfCom(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });
});

describe('DG1 (9303-10 §4.7.1)', () => {
  it('round-trips a TD3 zone', () => {
    const dg1 = encodeDg1(TD3.join(''));
    expect(dg1[0]).toBe(0x61);
    expect(dg1.subarray(2, 5)).toEqual(Uint8Array.of(0x5f, 0x1f, 88));
    expect(unwrap(decodeDg1(dg1)).mrz.documentNumber).toBe('L898902C3');
  });

  it('rejects a wrong tag, a non-ASCII byte and a cut file', () => {
    const dg1 = encodeDg1(TD1.join(''));
    const wrongTag = dg1.slice();
    wrongTag[0] = 0x62;
    const binary = dg1.slice();
    binary[10] = 0x01;
    expect(decodeDg1(wrongTag)).toMatchObject({ ok: false, error: { reason: 'invalid-value', offset: 0 } });
    expect(decodeDg1(binary)).toMatchObject({ ok: false, error: { reason: 'invalid-value', offset: 10 } });
    expect(decodeDg1(dg1.subarray(0, 50))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
  });
});

const PORTRAIT = encodeGreyJpeg(syntheticPortrait('test', 96, 128), 96, 128);
/** A JP2 file starts with the signature box; what follows does not matter to sniffing. */
const JP2 = fromHex('0000000C6A5020200D0A870A00000014667479706A703220');
const J2K = fromHex('FF4FFF51002F000000000060000000800000');

describe('DG2 and the ISO 19794-5 face record', () => {
  it('the synthetic portrait is a baseline JPEG (FFD8FF … FFD9)', () => {
    expect(PORTRAIT.subarray(0, 3)).toEqual(Uint8Array.of(0xff, 0xd8, 0xff));
    expect(PORTRAIT.subarray(-2)).toEqual(Uint8Array.of(0xff, 0xd9));
    expect(sniffImageFormat(PORTRAIT)).toBe('jpeg');
  });

  it('the synthetic portrait decodes (ffmpeg) to 96×128 grey pixels close to the drawing', () => {
    const run = spawnSync('ffmpeg', ['-v', 'error', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], {
      input: PORTRAIT,
      maxBuffer: 1 << 20,
    });
    if (run.error)
      throw new Error(
        `ffmpeg is needed to decode the test JPEG: install it (scripts/setup-system.sh --test): ${run.error.message}`,
      );
    expect(run.status).toBe(0);
    const decoded = new Uint8Array(run.stdout);
    expect(decoded.length).toBe(96 * 128);
    const drawn = syntheticPortrait('test', 96, 128);
    let error = 0;
    for (let i = 0; i < drawn.length; i++) error += Math.abs((decoded[i] ?? 0) - (drawn[i] ?? 0));
    expect(error / drawn.length).toBeLessThan(6);
  });

  it('tells JPEG, JP2 and a raw JPEG 2000 codestream apart by their first bytes', () => {
    expect(sniffImageFormat(JP2)).toBe('jp2');
    expect(sniffImageFormat(J2K)).toBe('j2k');
    expect(sniffImageFormat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47))).toBe('unknown');
    expect(sniffImageFormat(new Uint8Array(0))).toBe('unknown');
  });

  it('round-trips a DG2 with a JPEG portrait, every field kept', () => {
    const face = {
      image: PORTRAIT,
      width: 96,
      height: 128,
      gender: 1,
      eyeColour: 3,
      hairColour: 2,
      featureMask: 0x000001,
      expression: 1,
      poseAngle: [1, 2, 3] as const,
      poseAngleUncertainty: [4, 5, 6] as const,
      featurePoints: [{ type: 1, major: 12, minor: 1, x: 38, y: 52 }],
      faceImageType: 1,
      colourSpace: 3,
      sourceType: 2,
      deviceType: 0x0102,
      quality: 0x0304,
    };
    const dg2 = encodeDg2([{ faces: [face] }]);
    const decoded = unwrap(decodeDg2(dg2));
    expect(decoded.instances).toHaveLength(1);
    const instance = decoded.instances[0]!;
    expect(instance.header).toMatchObject({ biometricType: 2, formatOwner: 0x0101, formatType: 0x0008 });
    expect(instance.dataBlockTag).toBe(0x5f2e);
    const got = instance.record.faces[0]!;
    expect({ ...got, image: undefined }).toEqual({
      ...face,
      image: undefined,
      imageDataType: 0,
      imageFormat: 'jpeg',
      imageTypeMismatch: false,
    });
    expect(got.image).toEqual(PORTRAIT);
    expect(encodeDg2([{ faces: [got] }])).toEqual(dg2);
  });

  it('a JPEG 2000 image gets type 1; a type field that lies is flagged, not trusted', () => {
    const jp2 = unwrap(decodeFaceRecord(encodeFaceRecord([{ image: JP2, width: 1, height: 1 }]))).faces[0]!;
    expect(jp2).toMatchObject({ imageDataType: 1, imageFormat: 'jp2', imageTypeMismatch: false });
    const j2k = unwrap(decodeFaceRecord(encodeFaceRecord([{ image: J2K, width: 1, height: 1 }]))).faces[0]!;
    expect(j2k).toMatchObject({ imageDataType: 1, imageFormat: 'j2k', imageTypeMismatch: false });
    const lying = encodeFaceRecord([{ image: JP2, width: 1, height: 1, imageDataType: 0 }]);
    expect(unwrap(decodeFaceRecord(lying)).faces[0]).toMatchObject({
      imageFormat: 'jp2',
      imageTypeMismatch: true,
    });
  });

  it('holds two faces in one record and two instances in one DG2', () => {
    const record = unwrap(
      decodeFaceRecord(
        encodeFaceRecord([
          { image: PORTRAIT, width: 96, height: 128 },
          { image: JP2, width: 2, height: 2 },
        ]),
      ),
    );
    expect(record.faces.map((f) => f.imageFormat)).toEqual(['jpeg', 'jp2']);
    const dg2 = unwrap(
      decodeDg2(
        encodeDg2([
          { faces: [{ image: PORTRAIT, width: 96, height: 128 }] },
          { faces: [{ image: JP2, width: 2, height: 2 }] },
        ]),
      ),
    );
    expect(dg2.instances).toHaveLength(2);
  });

  describe('lengths are bounded and cross-checked', () => {
    const record = encodeFaceRecord([{ image: PORTRAIT, width: 96, height: 128 }]);
    const withU32 = (bytes: Uint8Array, at: number, value: number) => {
      const out = bytes.slice();
      new DataView(out.buffer).setUint32(at, value);
      return out;
    };

    it.each([
      ['record length one more than the bytes', withU32(record, 8, record.length + 1), 'truncated'],
      ['record length one less than the bytes', withU32(record, 8, record.length - 1), 'trailing-data'],
      ['block length past the record', withU32(record, 14, record.length), 'truncated'],
      ['block length shorter than the image', withU32(record, 14, record.length - 14 - 10), 'trailing-data'],
      ['block length leaving no image', withU32(record, 14, 32), 'invalid-value'],
      ['a 4 GB record', withU32(record, 8, 0xffffffff), 'too-large'],
      ['not FAC', fromHex('46414400303130000000000E0001'), 'invalid-value'],
      ['version 030', fromHex('46414300303330000000000E0001'), 'unsupported'],
      ['zero faces', fromHex('46414300303130000000000E0000'), 'invalid-value'],
      ['cut header', record.subarray(0, 10), 'truncated'],
    ])('%s → %s', (_, bytes, reason) => {
      const r = decodeFaceRecord(bytes);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.reason).toBe(reason);
    });

    it('DG2 whose instance count disagrees with its templates is invalid', () => {
      const dg2 = encodeDg2([{ faces: [{ image: PORTRAIT, width: 96, height: 128 }] }]);
      const at = dg2.indexOf(0x02, 4); // 02 01 01 inside 7F61
      const bad = dg2.slice();
      bad[at + 2] = 2;
      expect(decodeDg2(bad)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
      expect(decodeDg2(dg2.subarray(0, dg2.length - 1))).toMatchObject({
        ok: false,
        error: { reason: 'truncated' },
      });
    });
  });
});

describe('LDS file table (9303-10 Table 35)', () => {
  it('FIDs, SFIs and tags', () => {
    expect(EF_COM).toMatchObject({ fid: 0x011e, sfi: 0x1e, tag: 0x60 });
    expect(EF_SOD).toMatchObject({ fid: 0x011d, sfi: 0x1d, tag: 0x77 });
    expect(dataGroupFile(1)).toMatchObject({ fid: 0x0101, sfi: 0x01, tag: 0x61 });
    expect(dataGroupFile(2).tag).toBe(0x75);
    expect(dataGroupFile(13)).toMatchObject({ fid: 0x010d, sfi: 0x0d, tag: 0x6d });
    expect(dataGroupFile(15).tag).toBe(0x6f);
    expect(dataGroupFile(16)).toMatchObject({ fid: 0x0110, tag: 0x70 });
    expect(DATA_GROUP_FILES).toHaveLength(16);
    for (const f of DATA_GROUP_FILES) expect(dataGroupForTag(f.tag)).toBe(f.dataGroup);
    expect(dataGroupForTag(0x77)).toBeUndefined();
    expect(() => dataGroupFile(17)).toThrow(RangeError);
  });

  it('the file length comes from its first 4 bytes', () => {
    const dg2 = encodeDg2([{ faces: [{ image: PORTRAIT, width: 96, height: 128 }] }]);
    expect(unwrap(readLdsFileHeader(dg2.subarray(0, 4)))).toEqual({
      tag: 0x75,
      headerLength: 4,
      totalLength: dg2.length,
    });
    expect(unwrap(readLdsFileHeader(fromHex('6014')))).toEqual({
      tag: 0x60,
      headerLength: 2,
      totalLength: 0x16,
    });
    expect(readLdsFileHeader(fromHex('7582'))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
    expect(readLdsFileHeader(fromHex('7583FFFFFF'))).toMatchObject({
      ok: false,
      error: { reason: 'too-large' },
    });
  });

  it('a data group is read as raw TLV, its tag checked', () => {
    const dg13 = fromHex('6D0A30080201010603282601');
    expect(unwrap(decodeRawDataGroup(dg13, 13))).toMatchObject({ dataGroup: 13, tag: 0x6d, bytes: dg13 });
    expect(decodeRawDataGroup(dg13, 14)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(decodeRawDataGroup(fromHex('7701FF'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value' },
    });
  });
});

describe('decoders never throw (fast-check)', () => {
  const decoders: [string, (b: Uint8Array) => unknown][] = [
    ['EF.COM', decodeEfCom],
    ['DG1', decodeDg1],
    ['DG2', (b) => decodeDg2(b)],
    ['face record', (b) => decodeFaceRecord(b)],
    ['raw DG', (b) => decodeRawDataGroup(b)],
    ['file header', (b) => readLdsFileHeader(b)],
    ['EF.SOD', decodeSod],
    ['LDSSecurityObject', decodeLdsSecurityObject],
    ['certificate', decodeCertificate],
    ['CRL', decodeCrl],
    ['master list', decodeMasterList],
  ];

  it.each(decoders)('%s: random bytes give a result, never an exception', (_, decode) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decode(bytes) as { ok: boolean };
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed, numRuns: 300 },
    );
  });

  it('random tag-prefixed bytes reach past the outer tag without throwing', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x60, 0x61, 0x75, 0x77), fc.uint8Array({ maxLength: 200 }), (tag, body) => {
        const bytes = Uint8Array.from([
          tag,
          ...(body.length < 128 ? [body.length] : [0x81, body.length]),
          ...body,
        ]);
        for (const [, decode] of decoders)
          expect(typeof (decode(bytes) as { ok: boolean }).ok).toBe('boolean');
      }),
      { seed, numRuns: 200 },
    );
  });

  it('mutated DG2 files give an error or a value, never an exception', () => {
    const dg2 = encodeDg2([{ faces: [{ image: PORTRAIT.subarray(0, 200), width: 96, height: 128 }] }]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(dg2.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const bytes = dg2.slice();
          for (const [at, value] of edits) bytes[at] = value;
          expect(typeof decodeDg2(bytes).ok).toBe('boolean');
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it('random strings never throw the MRZ decoder', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (text) => {
        expect(typeof decodeMrz(text).ok).toBe('boolean');
      }),
      { seed, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9<]{90}$/), (text) => {
        const r = decodeMrz(text);
        expect(r.ok || r.error.reason === 'invalid-value').toBe(true);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('every encoded MRZ decodes with all checks right', () => {
    const field = (n: number) => fc.stringMatching(new RegExp(`^[A-Z0-9]{1,${n}}$`));
    const date = fc.stringMatching(/^\d{6}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('TD1', 'TD2', 'TD3'),
        field(9),
        date,
        date,
        fc.constantFrom('M', 'F', '<'),
        (format, number, dob, doe, sex) => {
          const text = encodeMrz({
            format: format as 'TD1',
            documentCode: 'P',
            issuingState: 'UTO',
            documentNumber: number,
            dateOfBirth: dob,
            sex: sex as 'M',
            dateOfExpiry: doe,
            nationality: 'UTO',
            name: { primary: 'A', secondary: 'B' },
          });
          const m = unwrap(decodeMrz(text));
          expect(m.checksOk).toBe(true);
          expect(m.documentNumber).toBe(number);
          expect(mrzCheckChar(m.dateOfBirth)).toBe(m.dateOfBirthCheck.printed);
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});
