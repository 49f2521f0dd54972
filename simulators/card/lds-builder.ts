/**
 * Builds the LDS of a simulated Vietnamese CCCD chip from a person record: EF.COM, DG1 (TD1 CCCD
 * MRZ), DG2 (a synthetic greyscale JPEG portrait in an ISO 19794-5 record), DG3 (two WSQ
 * fingerprints in ISO 19794-4 records, from the fingerprint generator), DG13 (reference §8
 * layout), DG14 (Chip Authentication key), DG15 (Active Authentication key) and EF.SOD signed by a
 * Document Signer from simulators/pki/csca.ts. Failure scenarios: a data group changed after
 * signing, a SOD from a CSCA nobody trusts, an expired DS, a corrupted signature.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { encodeEfCom } from '../../protocol/icao9303/lds/com.ts';
import { encodeDg1 } from '../../protocol/icao9303/lds/dg1.ts';
import { encodeDg2 } from '../../protocol/icao9303/lds/dg2.ts';
import { encodeDg3 } from '../../protocol/icao9303/lds/dg3.ts';
import {
  DATA_GROUP_FILES,
  type DataGroupNumber,
  dataGroupTag,
  EF_COM,
  EF_SOD,
} from '../../protocol/icao9303/lds/files.ts';
import { cccdMrzFields, encodeMrz, type MrzSex } from '../../protocol/icao9303/lds/mrz.ts';
import {
  encodeDerInteger,
  encodeLdsSecurityObject,
  encodeOid,
  encodeSodFile,
  OID,
} from '../../protocol/icao9303/sod.ts';
import { concatBytes, encodeTlv } from '../../protocol/iso7816/tlv.ts';
import { encodeWsq } from '../../protocol/wsq/index.ts';
import { seedNumber } from '../face/person.ts';
import { renderPortrait } from '../face/procedural-face.ts';
import { renderFinger } from '../fingerprint/generator.ts';
import { type DocumentSigner, signCms, type TestPki } from '../pki/csca.ts';

// ---------------------------------------------------------------------------------------------
// Person record

/** One DG13 field (reference §8): a string, or several for a nested SEQUENCE (field 13: parents). */
export interface Dg13Field {
  readonly fieldNo: number;
  readonly value: string | readonly string[];
}

export interface PersonRecord {
  /** The 12-digit citizen ID. */
  readonly id12: string;
  /** As printed, diacritics allowed (the MRZ transliterates them). */
  readonly surname: string;
  readonly givenNames: string;
  readonly sex: Exclude<MrzSex, 'X'>;
  /** YYYY-MM-DD. */
  readonly dateOfBirth: string;
  /** YYYY-MM-DD. */
  readonly dateOfExpiry: string;
  /** Default VNM. */
  readonly nationality?: string;
  /** Default VNM. */
  readonly issuingState?: string;
  /** DG13 fields in card order. */
  readonly dg13: readonly Dg13Field[];
}

/**
 * A synthetic citizen (ID from the reference's `cccd_synthetic_bac_example`, so the BAC key of
 * the built card is the one in icao9303-vectors.json).
 */
export const SAMPLE_PERSON: PersonRecord = {
  id12: '001099012345',
  surname: 'Nguyễn',
  givenNames: 'Văn An',
  sex: 'M',
  dateOfBirth: '1999-01-01',
  dateOfExpiry: '2039-01-01',
  dg13: [
    { fieldNo: 1, value: '001099012345' },
    { fieldNo: 2, value: 'Nguyễn Văn An' },
    { fieldNo: 3, value: '01/01/1999' },
    { fieldNo: 4, value: 'Nam' },
    { fieldNo: 5, value: 'Việt Nam' },
    { fieldNo: 6, value: 'Kinh' },
    { fieldNo: 7, value: 'Không' },
    { fieldNo: 8, value: 'Hoàn Kiếm, Hà Nội' },
    { fieldNo: 9, value: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội' },
    { fieldNo: 10, value: 'Nốt ruồi C:2cm dưới sau mép trái' },
    { fieldNo: 11, value: '01/01/2024' },
    { fieldNo: 12, value: '01/01/2039' },
    { fieldNo: 13, value: ['Nguyễn Văn Bình', 'Trần Thị Cúc'] },
    { fieldNo: 14, value: ['Lê Thị Hương'] },
    { fieldNo: 15, value: '012345678' },
  ],
};

/**
 * The same citizen's DG13 as some cards carry it: no religion, no identifying marks, no spouse, the
 * mother's name missing from field 13 (parse by field number, tolerate absences).
 */
export const SAMPLE_PERSON_SPARSE_DG13: readonly Dg13Field[] = SAMPLE_PERSON.dg13
  .filter(({ fieldNo }) => fieldNo !== 7 && fieldNo !== 10 && fieldNo !== 14)
  .map((field) => (field.fieldNo === 13 ? { fieldNo: 13, value: ['Nguyễn Văn Bình'] } : field));

function yymmdd(iso: string, what: string): string {
  const m = /^(\d{2})(\d{2})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`${what} '${iso}' is not YYYY-MM-DD`);
  return `${m[2]}${m[3]}${m[4]}`;
}

/** The TD1 CCCD zone for a person (reference §8). @throws {RangeError} for a malformed record. */
export function personMrz(person: PersonRecord): string {
  const fields = cccdMrzFields({
    id12: person.id12,
    surname: person.surname,
    givenNames: person.givenNames,
    sex: person.sex,
    dateOfBirth: yymmdd(person.dateOfBirth, 'date of birth'),
    dateOfExpiry: yymmdd(person.dateOfExpiry, 'date of expiry'),
    nationality: person.nationality ?? 'VNM',
  });
  return encodeMrz({ ...fields, issuingState: person.issuingState ?? 'VNM' });
}

// ---------------------------------------------------------------------------------------------
// A tiny baseline JPEG encoder (ITU-T T.81), greyscale, for the synthetic portrait

/** ITU-T T.81 Annex K.1 luminance quantization table, natural order. */
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** Zigzag position k → natural index (T.81 Figure A.6). */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
];

/**
 * Huffman tables with fixed-length codes: the 12 DC categories as 4-bit codes and the 162 AC
 * symbols (EOB, ZRL, run 0–15 × size 1–10) as 8-bit codes. Valid canonical tables (T.81 Annex C;
 * no all-ones code), simpler than Annex K's and adequate for a few-KB portrait.
 */
const DC_SYMBOLS = Array.from({ length: 12 }, (_, i) => i);
const AC_SYMBOLS = [0x00, 0xf0];
for (let run = 0; run < 16; run++) for (let size = 1; size <= 10; size++) AC_SYMBOLS.push((run << 4) | size);
const DC_CODE_LENGTH = 4;
const AC_CODE_LENGTH = 8;

class BitWriter {
  private readonly out: number[] = [];
  private acc = 0;
  private count = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.out.push(this.acc);
    if (this.acc === 0xff) this.out.push(0x00); // byte stuffing (T.81 §B.1.1.5)
    this.acc = 0;
    this.count = 0;
  }
  finish(): Uint8Array {
    while (this.count !== 0) this.write(1, 1); // pad with 1-bits
    return Uint8Array.from(this.out);
  }
}

function category(value: number): number {
  let v = Math.abs(value);
  let n = 0;
  while (v > 0) {
    n++;
    v >>= 1;
  }
  return n;
}

function magnitudeBits(value: number, size: number): number {
  return value >= 0 ? value : value + (1 << size) - 1;
}

function segment(marker: number, body: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff), body);
}

/**
 * Baseline JPEG of an 8-bit greyscale image whose width and height are multiples of 8.
 * @throws {RangeError} for other sizes or a pixel buffer of the wrong length.
 */
export function encodeGreyJpeg(pixels: Uint8Array, width: number, height: number, quality = 75): Uint8Array {
  if (width % 8 !== 0 || height % 8 !== 0 || width <= 0 || height <= 0 || width > 4096 || height > 4096)
    throw new RangeError(`${width}x${height}: width and height are multiples of 8 up to 4096`);
  if (pixels.length !== width * height) throw new RangeError('pixel buffer does not match the size');
  const scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  const quant = LUMA_QUANT.map((q) => Math.min(255, Math.max(1, Math.floor((q * scale + 50) / 100))));
  const cos = Array.from({ length: 64 }, (_, i) => Math.cos(((2 * (i >> 3) + 1) * (i & 7) * Math.PI) / 16));
  const c = (u: number) => (u === 0 ? Math.SQRT1_2 : 1);
  const bits = new BitWriter();
  let previousDc = 0;
  const block = new Float64Array(64);
  for (let by = 0; by < height; by += 8)
    for (let bx = 0; bx < width; bx += 8) {
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) block[y * 8 + x] = (pixels[(by + y) * width + bx + x] ?? 0) - 128;
      const coefficients = new Int32Array(64);
      for (let v = 0; v < 8; v++)
        for (let u = 0; u < 8; u++) {
          let sum = 0;
          for (let y = 0; y < 8; y++)
            for (let x = 0; x < 8; x++)
              sum += (block[y * 8 + x] ?? 0) * (cos[x * 8 + u] ?? 0) * (cos[y * 8 + v] ?? 0);
          const f = 0.25 * c(u) * c(v) * sum;
          coefficients[v * 8 + u] = Math.round(f / (quant[v * 8 + u] ?? 1));
        }
      const dc = coefficients[0] ?? 0;
      const diff = dc - previousDc;
      previousDc = dc;
      const dcSize = category(diff);
      bits.write(DC_SYMBOLS.indexOf(dcSize), DC_CODE_LENGTH);
      if (dcSize > 0) bits.write(magnitudeBits(diff, dcSize), dcSize);
      let run = 0;
      for (let k = 1; k < 64; k++) {
        const value = coefficients[ZIGZAG[k] ?? 0] ?? 0;
        if (value === 0) {
          run++;
          continue;
        }
        while (run > 15) {
          bits.write(AC_SYMBOLS.indexOf(0xf0), AC_CODE_LENGTH);
          run -= 16;
        }
        const size = Math.min(category(value), 10);
        bits.write(AC_SYMBOLS.indexOf((run << 4) | size), AC_CODE_LENGTH);
        bits.write(magnitudeBits(value, size), size);
        run = 0;
      }
      if (run > 0) bits.write(AC_SYMBOLS.indexOf(0x00), AC_CODE_LENGTH);
    }
  const counts = (n: number, length: number) => {
    const out = new Uint8Array(16);
    out[length - 1] = n;
    return out;
  };
  const jfif = Uint8Array.of(
    0x4a,
    0x46,
    0x49,
    0x46,
    0x00,
    0x01,
    0x01,
    0x00,
    0x00,
    0x01,
    0x00,
    0x01,
    0x00,
    0x00,
  );
  return concatBytes(
    Uint8Array.of(0xff, 0xd8),
    segment(0xe0, jfif),
    segment(0xdb, Uint8Array.from([0x00, ...ZIGZAG.map((n) => quant[n] ?? 1)])),
    segment(0xc0, Uint8Array.of(8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0)),
    segment(
      0xc4,
      concatBytes(
        Uint8Array.of(0x00),
        counts(DC_SYMBOLS.length, DC_CODE_LENGTH),
        Uint8Array.from(DC_SYMBOLS),
        Uint8Array.of(0x10),
        counts(AC_SYMBOLS.length, AC_CODE_LENGTH),
        Uint8Array.from(AC_SYMBOLS),
      ),
    ),
    segment(0xda, Uint8Array.of(1, 1, 0x00, 0, 63, 0)),
    bits.finish(),
    Uint8Array.of(0xff, 0xd9),
  );
}

/**
 * Default portrait size, pixels (3:4 like an ICAO portrait): large enough for a face detector to find
 * the face (face-api's SSD finds none in 96 x 128), as the notary's live comparison needs; about 8 KB.
 */
export const PORTRAIT_WIDTH = 240;
export const PORTRAIT_HEIGHT = 320;

/**
 * The person's portrait for DG2: the procedural face of simulators/face for the same seed (so the
 * simulated camera shows the same face), frontal on a plain background, as 8-bit grey (BT.601 luma).
 * Not a face anyone has.
 */
export function syntheticPortrait(
  seed: string,
  width = PORTRAIT_WIDTH,
  height = PORTRAIT_HEIGHT,
): Uint8Array {
  const rgb = renderPortrait(seed, width, height).image.data;
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++)
    pixels[i] = Math.round(
      0.299 * (rgb[3 * i] ?? 0) + 0.587 * (rgb[3 * i + 1] ?? 0) + 0.114 * (rgb[3 * i + 2] ?? 0),
    );
  return pixels;
}

// ---------------------------------------------------------------------------------------------
// DG3: the fingerprints

/** The fingers a CCCD carries in DG3: right and left index (ANSI/NIST positions 2 and 7). */
export const CHIP_FINGERS = [2, 7] as const;
/** Side of the square finger images, pixels at 500 ppi: the scanner's flat capture size. */
export const CHIP_FINGER_SIZE = 500;
/**
 * The impression the card was enrolled with. The simulated scanner counts its captures from 1, so
 * a live finger is always another impression of the same finger.
 */
export const CHIP_FINGER_IMPRESSION = 0;

/**
 * The fingerprint generator's person seed for a card holder: FNV-1a of the 12-digit ID, as the
 * face generator seeds portraits by the same ID. Set the simulated scanner to it (its `person`
 * action) to present the holder's own fingers.
 */
export function cardFingerprintSeed(person: Pick<PersonRecord, 'id12'>): number {
  return seedNumber(person.id12);
}

/**
 * DG3 for a person seed: right and left index fingers rendered by the generator (good condition,
 * impression 0), WSQ-compressed at the FBI's 0.75 bit per pixel, one 19794-4 record per finger.
 * About 13 KB a finger; a quarter of a second to make.
 * @throws {RangeError} for a seed outside 0 .. 2^32-1.
 */
export function buildDg3(personSeed: number, fingers: readonly number[] = CHIP_FINGERS): Uint8Array {
  return encodeDg3(
    fingers.map((position) => {
      const { image } = renderFinger({
        personSeed,
        finger: position,
        impression: CHIP_FINGER_IMPRESSION,
        width: CHIP_FINGER_SIZE,
        height: CHIP_FINGER_SIZE,
      });
      const wsq = encodeWsq(image.pixels, { width: image.width, height: image.height, ppi: 500 });
      if (!wsq.ok) throw new RangeError(`the generator's finger does not encode: ${wsq.error.detail}`);
      return {
        record: {
          compression: 'wsq' as const,
          images: [{ position, width: image.width, height: image.height, data: wsq.value, quality: 80 }],
        },
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// DG13, DG14, DG15

/** The OID DG13 carries (reported as ISO 10646 UTF-8; reference §8, unconfirmed). */
const DG13_OID = '1.0.10646.1.0.8';
/** Fields seen as PrintableString on real cards (ID, dates); others are UTF8String (reference §8). */
const PRINTABLE_FIELDS = new Set([1, 3, 11, 12]);

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * DG13 per reference §8: `6D { 30 { 02 01 01, 06 <1.0.10646.1.0.8>, 31 { 30 { 02 fieldNo, value }
 * … } } }`, fields in the given order, a list value as a nested SEQUENCE of UTF8Strings.
 * @throws {RangeError} for a field number outside 1–255.
 */
export function encodeDg13(fields: readonly Dg13Field[]): Uint8Array {
  const items = fields.map(({ fieldNo, value }) => {
    if (!Number.isInteger(fieldNo) || fieldNo < 1 || fieldNo > 255)
      throw new RangeError(`DG13 field ${fieldNo}`);
    let encoded: Uint8Array;
    if (typeof value === 'string')
      encoded =
        PRINTABLE_FIELDS.has(fieldNo) && /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)
          ? encodeTlv(0x13, utf8(value))
          : encodeTlv(0x0c, utf8(value));
    else encoded = encodeTlv(0x30, ...value.map((v) => encodeTlv(0x0c, utf8(v))));
    return encodeTlv(0x30, encodeDerInteger(fieldNo), encoded);
  });
  return encodeTlv(
    dataGroupTag(13),
    encodeTlv(0x30, encodeDerInteger(1), encodeOid(DG13_OID), encodeTlv(0x31, ...items)),
  );
}

/** TR-03110 / 9303-11 §6.2 object identifiers for DG14. */
const ID_CA_ECDH_AES_CBC_CMAC_128 = '0.4.0.127.0.7.2.2.3.2.2';
const ID_PK_ECDH = '0.4.0.127.0.7.2.2.1.2';
/** ActiveAuthenticationInfo (9303-11 §6.1). */
const ID_ICAO_AA_PROTOCOL = '2.23.136.1.1.5';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

/**
 * DG14: `6E { SET OF SecurityInfo }` with ChipAuthenticationInfo (ECDH, AES-128, version 1),
 * ChipAuthenticationPublicKeyInfo (id-PK-ECDH, the key's SubjectPublicKeyInfo) and, for an ECDSA
 * AA key, ActiveAuthenticationInfo naming ecdsa-with-SHA256 (9303-11 §6.1, §6.2).
 */
export function encodeDg14(
  chipAuthenticationSpki: Uint8Array,
  activeAuthenticationEcdsa: boolean,
): Uint8Array {
  const infos = [
    encodeTlv(0x30, encodeOid(ID_CA_ECDH_AES_CBC_CMAC_128), encodeDerInteger(1)),
    encodeTlv(0x30, encodeOid(ID_PK_ECDH), chipAuthenticationSpki),
    ...(activeAuthenticationEcdsa
      ? [encodeTlv(0x30, encodeOid(ID_ICAO_AA_PROTOCOL), encodeDerInteger(1), encodeOid(OID.ecdsaWithSha256))]
      : []),
  ].sort(compareBytes);
  return encodeTlv(dataGroupTag(14), encodeTlv(0x31, ...infos));
}

/** DG15: `6F { SubjectPublicKeyInfo }` of the Active Authentication key (9303-11 §6.1). */
export function encodeDg15(activeAuthenticationSpki: Uint8Array): Uint8Array {
  return encodeTlv(dataGroupTag(15), activeAuthenticationSpki);
}

// ---------------------------------------------------------------------------------------------
// The whole LDS

export interface LdsBuildOptions {
  /** Signs EF.SOD. */
  readonly documentSigner: DocumentSigner;
  /** Change one byte of this data group's value after EF.SOD is signed. */
  readonly tamperDataGroup?: 1 | 2 | 3 | 13 | 14 | 15;
  /** DG3's file bytes (buildDg3); absent: the card carries no fingerprints. */
  readonly dg3?: Uint8Array;
  /** Flip a bit of the SOD signature. */
  readonly corruptSodSignature?: boolean;
  /** Default 'ecdsa-p256'. */
  readonly activeAuthentication?: 'ecdsa-p256' | 'rsa-2048';
  /** Default 'prime256v1'. */
  readonly chipAuthenticationCurve?: 'prime256v1' | 'brainpoolP256r1';
  /** Portrait size in pixels, multiples of 8 (default 96×128). */
  readonly portrait?: { readonly width: number; readonly height: number };
  /**
   * DG2's JPEG ready made instead of the procedural face: a real person's photograph (tests where
   * "another person" must mean something to a face engine), or the one cardPortraitJpeg made for
   * this person and size on a worker thread (the station's simulated card); absent: made here,
   * about half a second of CPU. Greyscale, of `portrait`'s size.
   */
  readonly portraitJpeg?: Uint8Array;
}

/** DG2's portrait of a person as the simulated card carries it: the synthetic face as a grey JPEG. */
export function cardPortraitJpeg(id12: string, width = PORTRAIT_WIDTH, height = PORTRAIT_HEIGHT): Uint8Array {
  return encodeGreyJpeg(syntheticPortrait(id12, width, height), width, height);
}

export interface BuiltLds {
  readonly mrz: string;
  readonly com: Uint8Array;
  readonly dg1: Uint8Array;
  readonly dg2: Uint8Array;
  /** Empty when the card carries no fingerprints. */
  readonly dg3: Uint8Array;
  readonly dg13: Uint8Array;
  readonly dg14: Uint8Array;
  readonly dg15: Uint8Array;
  readonly sod: Uint8Array;
  /** Whole file bytes by data group number. */
  readonly dataGroups: ReadonlyMap<DataGroupNumber, Uint8Array>;
  /** Every file by FID (EF.COM 011E, DGs 01xx, EF.SOD 011D), for a simulated card's SELECT. */
  readonly files: ReadonlyMap<number, Uint8Array>;
  readonly portraitJpeg: Uint8Array;
  /** The chip's private keys, for a simulated card's Chip and Active Authentication. */
  readonly chipAuthenticationKey: KeyObject;
  readonly activeAuthenticationKey: KeyObject;
  readonly documentSigner: DocumentSigner;
}

function spki(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

/**
 * Builds the chip's files for `person`.
 * @throws {RangeError} for a malformed person record or portrait size.
 */
export function buildLds(person: PersonRecord, options: LdsBuildOptions): BuiltLds {
  const mrz = personMrz(person);
  const width = options.portrait?.width ?? PORTRAIT_WIDTH;
  const height = options.portrait?.height ?? PORTRAIT_HEIGHT;
  const portraitJpeg = options.portraitJpeg ?? cardPortraitJpeg(person.id12, width, height);
  const ca = generateKeyPairSync('ec', { namedCurve: options.chipAuthenticationCurve ?? 'prime256v1' });
  const aaAlgorithm = options.activeAuthentication ?? 'ecdsa-p256';
  const aa =
    aaAlgorithm === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  const dataGroups = new Map<DataGroupNumber, Uint8Array>([
    [1, encodeDg1(mrz)],
    [
      2,
      encodeDg2([
        {
          faces: [
            {
              image: portraitJpeg,
              width,
              height,
              gender: person.sex === 'M' ? 1 : person.sex === 'F' ? 2 : 0,
              faceImageType: 1, // full frontal
              colourSpace: 3, // greyscale 8-bit
              sourceType: 2, // digital still camera
            },
          ],
        },
      ]),
    ],
    ...(options.dg3 === undefined ? [] : [[3, options.dg3] as [DataGroupNumber, Uint8Array]]),
    [13, encodeDg13(person.dg13)],
    [14, encodeDg14(spki(ca.publicKey), aaAlgorithm === 'ecdsa-p256')],
    [15, encodeDg15(spki(aa.publicKey))],
  ]);
  const com = encodeEfCom({
    ldsVersion: '0107',
    unicodeVersion: '040000',
    dataGroups: [...dataGroups.keys()],
  });

  const hashes = new Map<DataGroupNumber, Uint8Array>();
  for (const [dg, bytes] of dataGroups)
    hashes.set(dg, new Uint8Array(createHash('sha256').update(bytes).digest()));
  const lso = encodeLdsSecurityObject({ hash: 'sha256', dataGroupHashes: hashes });
  const sod = encodeSodFile(
    signCms(OID.ldsSecurityObject, lso, options.documentSigner, {
      hash: 'sha256',
      ...(options.corruptSodSignature ? { corruptSignature: true } : {}),
    }),
  );

  if (options.tamperDataGroup !== undefined) {
    const original = dataGroups.get(options.tamperDataGroup);
    if (original === undefined) throw new RangeError(`DG${options.tamperDataGroup} is not built`);
    const altered = original.slice();
    // Three bytes from the end lies inside the value of every group built here (DG2: JPEG data).
    const at = altered.length - 3;
    altered[at] = (altered[at] ?? 0) ^ 0x01;
    dataGroups.set(options.tamperDataGroup, altered);
  }

  const files = new Map<number, Uint8Array>([
    [EF_COM.fid, com],
    ...[...dataGroups].map(([dg, bytes]): [number, Uint8Array] => [
      DATA_GROUP_FILES[dg - 1]?.fid ?? 0,
      bytes,
    ]),
    [EF_SOD.fid, sod],
  ]);
  const get = (dg: DataGroupNumber) => dataGroups.get(dg) ?? new Uint8Array(0);
  return {
    mrz,
    com,
    dg1: get(1),
    dg2: get(2),
    dg3: get(3),
    dg13: get(13),
    dg14: get(14),
    dg15: get(15),
    sod,
    dataGroups,
    files,
    portraitJpeg,
    chipAuthenticationKey: ca.privateKey,
    activeAuthenticationKey: aa.privateKey,
    documentSigner: options.documentSigner,
  };
}

/** Named card scenarios for Passive Authentication (STYLE.md: named simulator scenarios). */
export type LdsScenario = 'valid' | 'tampered-dg2' | 'unknown-csca' | 'expired-ds' | 'bad-signature';

export const LDS_SCENARIOS: readonly LdsScenario[] = [
  'valid',
  'tampered-dg2',
  'unknown-csca',
  'expired-ds',
  'bad-signature',
];

/** The LDS of `person` in one named scenario, signed with the matching DS of `pki`. */
export function buildScenarioLds(person: PersonRecord, pki: TestPki, scenario: LdsScenario): BuiltLds {
  switch (scenario) {
    case 'valid':
      return buildLds(person, { documentSigner: pki.documentSigner });
    case 'tampered-dg2':
      return buildLds(person, { documentSigner: pki.documentSigner, tamperDataGroup: 2 });
    case 'unknown-csca':
      return buildLds(person, { documentSigner: pki.unknownDocumentSigner });
    case 'expired-ds':
      return buildLds(person, { documentSigner: pki.expiredDocumentSigner });
    case 'bad-signature':
      return buildLds(person, { documentSigner: pki.documentSigner, corruptSodSignature: true });
  }
}
