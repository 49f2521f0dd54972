/**
 * The in-memory model of an ANSI/NIST-ITL 1-2011 (Update 2015) transaction in traditional encoding,
 * shared by the reader, the writer and the builder. README.md in this folder has the record tables.
 *
 * The model keeps what byte-for-byte writing needs: each tag as written (`1.01` or `1.001`), each
 * field in file order, and every text value as the characters the transaction's character set
 * (1.015 DCS) decodes. Binary data are views into the input (no copies).
 */

/** Separators of the traditional encoding (ANSI/NIST-ITL 1-2011 §7.1). */
export const FS = 0x1c; // ends a record
export const GS = 0x1d; // ends a field
export const RS = 0x1e; // separates subfields
export const US = 0x1f; // separates information items

/** Tagged record types: Type-1, Type-2 and Types 9 to 22, 98 and 99 (§7.1). */
export const TAGGED_TYPES: ReadonlySet<number> = new Set([
  1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 98, 99,
]);

/** Binary record types, whose type the file does not carry (it comes from 1.003 CNT). */
export type BinaryRecordType = 3 | 4 | 5 | 6 | 7 | 8;

/** The field of a tagged record whose value is raw binary bytes running to the record's end. */
export const BINARY_FIELD_NUMBER = 999;

/** One field of a tagged record. */
export type TaggedField =
  | {
      readonly kind: 'text';
      /** The tag as written, without the colon: `1.001`, `1.01`, `14.013`. */
      readonly tag: string;
      /** Field number from the tag (`13` for `14.013`). */
      readonly number: number;
      /** Subfields (RS-separated), each a list of information items (US-separated). */
      readonly subfields: readonly (readonly string[])[];
    }
  | {
      readonly kind: 'binary';
      readonly tag: string;
      readonly number: number;
      /** The field's bytes, from after the colon to the record's FS (the record's LEN bounds it). */
      readonly data: Uint8Array;
    };

export interface TaggedRecord {
  readonly encoding: 'tagged';
  readonly type: number;
  readonly fields: readonly TaggedField[];
}

/** One fixed-width field of a binary record, in its table's order (fields before the image data). */
export interface BinaryField {
  /** Field number as NIST's tools count it (`4.004` FGP). */
  readonly number: number;
  readonly name: string;
  /** One value per item (FGP has six); each fits the field's width. */
  readonly values: readonly number[];
}

export interface BinaryRecord {
  readonly encoding: 'binary';
  readonly type: BinaryRecordType;
  /** The fixed header fields, LEN first (LEN is recomputed by the writer). */
  readonly fields: readonly BinaryField[];
  /** Everything after the fixed header: the image, or Type-7's user-defined bytes. */
  readonly data: Uint8Array;
}

export type AnRecord = TaggedRecord | BinaryRecord;

export interface Transaction {
  /** Type-1 first, then the records in the order 1.003 CNT lists them. */
  readonly records: readonly AnRecord[];
}

/**
 * A binary record's fixed layout: one row per field, in wire order, widths in bytes, big-endian
 * unsigned. The image (or Type-7 payload) follows the last row.
 */
export interface BinaryLayoutRow {
  readonly number: number;
  readonly name: string;
  readonly bytes: 1 | 2 | 4;
  /** Consecutive items of that width (FGP: six one-byte finger positions, 255 = unused). */
  readonly count: number;
}

/*
 * ANSI/NIST-ITL 1-2011 §8.3 to §8.8 (Types 3 to 8; Types 3, 5 and 6 are deprecated since 2011 but
 * still read). Types 3, 4, 5, 6 share one layout: the last byte is GCA (grey-scale compression
 * algorithm, Types 3/4) or BCA (binary compression algorithm, Types 5/6).
 *
 * | field | name | bytes | offset | meaning |
 * |---|---|---|---|---|
 * | .001 | LEN | 4 | 0  | record length in bytes, this field included |
 * | .002 | IDC | 1 | 4  | information designation character (matches 1.003 CNT) |
 * | .003 | IMP | 1 | 5  | impression type |
 * | .004 | FGP | 6 | 6  | finger positions, 255 fills unused bytes |
 * | .005 | ISR | 1 | 12 | image scanning resolution: 0 minimum, 1 native |
 * | .006 | HLL | 2 | 13 | horizontal line length, pixels |
 * | .007 | VLL | 2 | 15 | vertical line length, pixels |
 * | .008 | GCA/BCA | 1 | 17 | compression: 0 none, 1 WSQ (Type-4) |
 * | .009 | DATA | LEN-18 | 18 | image |
 *
 * Type-8 (signature, §8.8): LEN 4, IDC 1, SIG 1 (0 subject, 1 official), SRT 1 (0 scanned
 * uncompressed, 1 scanned compressed, 2 vector), ISR 1, HLL 2, VLL 2, DATA (header 12 bytes).
 * Type-7 (user-defined image, §8.7): LEN 4, IDC 1, then bytes the user defines (header 5 bytes).
 */
const IMAGE_LAYOUT = (last: 'GCA' | 'BCA'): readonly BinaryLayoutRow[] => [
  { number: 1, name: 'LEN', bytes: 4, count: 1 },
  { number: 2, name: 'IDC', bytes: 1, count: 1 },
  { number: 3, name: 'IMP', bytes: 1, count: 1 },
  { number: 4, name: 'FGP', bytes: 1, count: 6 },
  { number: 5, name: 'ISR', bytes: 1, count: 1 },
  { number: 6, name: 'HLL', bytes: 2, count: 1 },
  { number: 7, name: 'VLL', bytes: 2, count: 1 },
  { number: 8, name: last, bytes: 1, count: 1 },
];

export const BINARY_LAYOUTS: Readonly<Record<BinaryRecordType, readonly BinaryLayoutRow[]>> = {
  3: IMAGE_LAYOUT('GCA'),
  4: IMAGE_LAYOUT('GCA'),
  5: IMAGE_LAYOUT('BCA'),
  6: IMAGE_LAYOUT('BCA'),
  7: [
    { number: 1, name: 'LEN', bytes: 4, count: 1 },
    { number: 2, name: 'IDC', bytes: 1, count: 1 },
  ],
  8: [
    { number: 1, name: 'LEN', bytes: 4, count: 1 },
    { number: 2, name: 'IDC', bytes: 1, count: 1 },
    { number: 3, name: 'SIG', bytes: 1, count: 1 },
    { number: 4, name: 'SRT', bytes: 1, count: 1 },
    { number: 5, name: 'ISR', bytes: 1, count: 1 },
    { number: 6, name: 'HLL', bytes: 2, count: 1 },
    { number: 7, name: 'VLL', bytes: 2, count: 1 },
  ],
};

/** Bytes of a binary record's fixed header (everything before DATA). */
export function headerBytes(type: BinaryRecordType): number {
  let total = 0;
  for (const row of BINARY_LAYOUTS[type]) total += row.bytes * row.count;
  return total;
}

export function isBinaryType(type: number): type is BinaryRecordType {
  return type >= 3 && type <= 8;
}

/** The field number a binary record's DATA has in NIST's tools (4.009, 7.003, 8.008). */
export function binaryDataNumber(type: BinaryRecordType): number {
  return BINARY_LAYOUTS[type].length + 1;
}
