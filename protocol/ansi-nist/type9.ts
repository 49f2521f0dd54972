/**
 * Type-9 minutiae records (ANSI/NIST-ITL 1-2011 §8.9), in the two blocks a station exchanges:
 *
 * - the legacy NIST fields 9.005-9.012 (FMT 9.004 = `S`), as NBIS's mindtct writes them
 *   (mindtct/src/lib/mindtct/to_type9.c) and ANSI/NIST-ITL 1-2007 defines them; ANSI/NIST-ITL 1-2011
 *   keeps them for legacy data only;
 * - the INCITS 378 block, fields 9.126-9.141 (ANSI/NIST-ITL 1-2011 Table 28; item names from the
 *   INTERPOL implementation's field table for ANSI/NIST-ITL 1-2011 Update 2015).
 *
 * Legacy fields (units: x and y in 0.01 mm, origin at the image's bottom-left; theta in degrees
 * counter-clockwise, pointing away from the ridge ending or bifurcation valley as NBIS writes it,
 * i.e. 180 degrees from the ISO/INCITS direction):
 *
 * | field | name | items |
 * |---|---|---|
 * | 9.005 | OFR originating fingerprint reading system | name, method (A auto, U automatic edited, E manual, M), [subsystem] |
 * | 9.006 | FGP finger position | one subfield per position, two digits |
 * | 9.007 | FPC pattern classification | kept as read |
 * | 9.008 / 9.009 | CRP core / DLT delta positions | `XXXXYYYY` per subfield |
 * | 9.010 | MIN number of minutiae | |
 * | 9.011 | RDG ridge counts present | 0, 1 |
 * | 9.012 | MRC minutiae and ridge counts | IDX index; `XXXXYYYYTTT` (palms `XXXXXYYYYYTTT`); QMS quality 0..63 (0 manual, 1 none, 2 best .. 63); MTD type A ending, B bifurcation, C compound, D undetermined; then `NNN,CC` neighbour index and ridge count |
 *
 * INCITS 378 block (units: pixels, origin top-left; angles in units of 2 degrees, INCITS
 * direction):
 *
 * | field | name | items |
 * |---|---|---|
 * | 9.126 | CBI CBEFF information | CFO format owner (27, INCITS M1), CFT format type (513, 514 with 9.138-9.140, 515 for 378-2009), CPI product identifier (8 hex digits) |
 * | 9.127 | CEI capture equipment | AFS Appendix F status (APPF, NONE), CID equipment id (0 unreported) |
 * | 9.128 / 9.129 | HLL / VLL | image width / height, px |
 * | 9.130 | SLC | 0 aspect ratio only, 1 px per inch, 2 px per cm |
 * | 9.131 / 9.132 | THPS / TVPS | horizontal / vertical pixel scale |
 * | 9.133 | FVW finger view | 0..15 |
 * | 9.134 | FGP finger position | one subfield per position |
 * | 9.135 | FQD quality | per subfield QVU 0..100 (254, 255), QAV vendor (4 hex), QAP product |
 * | 9.136 | NOM number of minutiae | |
 * | 9.137 | FMD minutiae | per subfield MAN index, MXC x, MYC y, MAV angle 0..179, M1M type 0 other 1 ending 2 bifurcation, QOM quality 0..100 |
 * | 9.138 | RCI ridge counts | first subfield REM method, 0, 0; then CMI centre index, NMN neighbour index, NRC count |
 * | 9.139 | CIN cores | per subfield x, y, angle |
 * | 9.140 | DIN deltas | per subfield x, y, first angle |
 * | 9.141 | ADA additional delta angles | per delta: second angle, third angle |
 */
import {
  ansiAngleCode,
  normalizeDegrees,
  roundHalfUp,
  type TemplateMinutia,
  type TemplateMinutiaKind,
} from '../fingerprint/template/model.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import { FS, GS, RS, type TaggedField, type TaggedRecord, type Transaction, US } from './model.ts';
import { fieldText, readTransaction } from './reader.ts';
import { AnsiNistWriteError } from './writer.ts';

/** A point of the legacy fields, 0.01 mm from the image's bottom-left corner. */
export interface NistPoint {
  readonly x: number;
  readonly y: number;
}

export type NistMinutiaType = 'A' | 'B' | 'C' | 'D';

/** One subfield of 9.012 MRC. */
export interface NistMinutia {
  /** IDX, from 1. */
  readonly index: number;
  /** 0.01 mm from the left and from the bottom of the image. */
  readonly x: number;
  readonly y: number;
  /** Degrees 0..359 counter-clockwise, NIST direction (ISO/INCITS + 180). */
  readonly theta: number;
  /** QMS 0..63: 0 manual, 1 no quality method, 2 highest confidence .. 63 lowest. */
  readonly quality?: number;
  /** MTD: A ridge ending, B bifurcation, C compound, D undetermined. */
  readonly type?: NistMinutiaType;
  /** Ridge counts to neighbours (by IDX). */
  readonly ridgeCounts: readonly { readonly neighbour: number; readonly count: number }[];
}

/** Fields 9.005-9.012 (FMT `S`). */
export interface NistMinutiaeFields {
  /** 9.005 OFR: system name, method (A, U, E, M) and an optional subsystem. */
  readonly readingSystem?: { readonly name: string; readonly method: string; readonly subsystem?: string };
  /** 9.006 FGP finger positions (0 unknown). */
  readonly fingerPositions: readonly number[];
  /** 9.007 FPC pattern classification, subfields as read (e.g. [['T', 'UN']]). */
  readonly patternClass?: readonly (readonly string[])[];
  /** 9.008 CRP cores, 9.009 DLT deltas. */
  readonly cores: readonly NistPoint[];
  readonly deltas: readonly NistPoint[];
  /** 9.011 RDG: whether 9.012 carries ridge counts. */
  readonly ridgeCountsPresent: boolean;
  /** 9.012 MRC (9.010 MIN is their count). */
  readonly minutiae: readonly NistMinutia[];
}

export type IncitsMinutiaType = 0 | 1 | 2;

/** One subfield of 9.137 FMD. */
export interface IncitsMinutia {
  /** MAN, from 1. */
  readonly index: number;
  /** px from the left and from the top. */
  readonly x: number;
  readonly y: number;
  /** MAV, units of 2 degrees, 0..179, INCITS direction. */
  readonly angle: number;
  /** M1M: 0 other, 1 ridge ending, 2 bifurcation. */
  readonly type: IncitsMinutiaType;
  /** QOM 0..100, 0 not reported. */
  readonly quality: number;
}

/** Fields 9.126-9.141. */
export interface IncitsMinutiaeFields {
  /** 9.126 CBI: CFO, CFT, CPI (8 hex digits, upper case). */
  readonly cbeff: { readonly formatOwner: number; readonly formatType: number; readonly productId: string };
  /** 9.127 CEI. */
  readonly equipment?: { readonly appendixF: boolean; readonly id: string };
  /** 9.128 HLL, 9.129 VLL, px. */
  readonly width: number;
  readonly height: number;
  /** 9.130 SLC (0 aspect, 1 ppi, 2 ppcm), 9.131 THPS, 9.132 TVPS. */
  readonly scale: { readonly units: 0 | 1 | 2; readonly horizontal: number; readonly vertical: number };
  /** 9.133 FVW. */
  readonly viewNumber: number;
  /** 9.134 FGP. */
  readonly fingerPositions: readonly number[];
  /** 9.135 FQD. */
  readonly quality: readonly {
    readonly value: number;
    readonly vendor?: string;
    readonly product?: number;
  }[];
  /** 9.137 FMD (9.136 NOM is their count). */
  readonly minutiae: readonly IncitsMinutia[];
  /** 9.138 RCI. */
  readonly ridgeCounts?: {
    readonly method: number;
    readonly counts: readonly {
      readonly centre: number;
      readonly neighbour: number;
      readonly count: number;
    }[];
  };
  /** 9.139 CIN. */
  readonly cores: readonly { readonly x: number; readonly y: number; readonly angle: number }[];
  /** 9.140 DIN with 9.141 ADA: the first angle, then the additional ones. */
  readonly deltas: readonly { readonly x: number; readonly y: number; readonly angles: readonly number[] }[];
}

/** A Type-9 record's minutiae: what this module reads and writes. */
export interface Type9Minutiae {
  /** 9.002 IDC: the image record (Type-4, 13, 14, 15) it describes has the same IDC. */
  readonly idc: number;
  /** 9.003 IMP impression type (ANSI/NIST Table 7; 4 latent, as NBIS writes). */
  readonly impression: number;
  /** Present when 9.004 FMT is `S`. */
  readonly nist?: NistMinutiaeFields;
  /** Present when 9.126 CBI is. */
  readonly incits?: IncitsMinutiaeFields;
}

/** Where a field, subfield and item sit, bytes from the transaction's start (0 when not known). */
export type Locate = (field: number, subfield?: number, item?: number) => number;

const atStart: Locate = () => 0;

type Field = Extract<TaggedField, { kind: 'text' }>;

function textField(record: TaggedRecord, number: number): Field | undefined {
  const field = record.fields.find((f) => f.number === number);
  return field?.kind === 'text' ? field : undefined;
}

function label(field: number, subfield?: number, item?: number): string {
  let text = `9.${String(field).padStart(3, '0')}`;
  if (subfield !== undefined) text += ` subfield ${subfield + 1}`;
  if (item !== undefined) text += ` item ${item + 1}`;
  return text;
}

/** Parses items with a fixed cursor into the record; every failure names the item and its offset. */
class Items {
  constructor(readonly locate: Locate) {}
  bad<T>(
    field: number,
    subfield: number | undefined,
    item: number | undefined,
    detail: string,
  ): DecodeResult<T> {
    return fail(
      'invalid-value',
      this.locate(field, subfield, item),
      `${label(field, subfield, item)}: ${detail}`,
    );
  }
  integer(
    text: string | undefined,
    where: readonly [number, number?, number?],
    min: number,
    max: number,
    digits = 5,
  ): DecodeResult<number> {
    const [field, subfield, item] = where;
    if (text === undefined) return this.bad(field, subfield, item, 'is missing');
    if (!new RegExp(`^\\d{1,${digits}}$`).test(text))
      return this.bad(field, subfield, item, `'${text}' is not a number of 1 to ${digits} digits`);
    const value = Number(text);
    if (value < min || value > max)
      return this.bad(field, subfield, item, `${value} is outside ${min}..${max}`);
    return ok(value);
  }
}

function readPoints(record: TaggedRecord, number: number, items: Items): DecodeResult<NistPoint[]> {
  const field = textField(record, number);
  const points: NistPoint[] = [];
  for (const [s, sub] of (field?.subfields ?? []).entries()) {
    const text = sub[0] ?? '';
    if (!/^\d{8}$/.test(text)) return items.bad(number, s, 0, `'${text}' is not XXXXYYYY (0.01 mm)`);
    points.push({ x: Number(text.slice(0, 4)), y: Number(text.slice(4)) });
  }
  return ok(points);
}

function readNist(record: TaggedRecord, items: Items): DecodeResult<NistMinutiaeFields> {
  const ofr = textField(record, 5)?.subfields[0];
  let readingSystem: NistMinutiaeFields['readingSystem'];
  if (ofr !== undefined) {
    const [name = '', method = '', subsystem] = ofr;
    readingSystem = { name, method, ...(subsystem === undefined ? {} : { subsystem }) };
  }
  const fingerPositions: number[] = [];
  for (const [s, sub] of (textField(record, 6)?.subfields ?? []).entries()) {
    const position = items.integer(sub[0], [6, s, 0], 0, 99, 2);
    if (!position.ok) return position;
    fingerPositions.push(position.value);
  }
  const patternClass = textField(record, 7)?.subfields;
  const cores = readPoints(record, 8, items);
  if (!cores.ok) return cores;
  const deltas = readPoints(record, 9, items);
  if (!deltas.ok) return deltas;
  const count = items.integer(fieldText(record, 10), [10, 0, 0], 0, 99_999);
  if (!count.ok) return count;
  const rdg = fieldText(record, 11);
  if (rdg !== undefined && rdg !== '0' && rdg !== '1') return items.bad(11, 0, 0, `'${rdg}' is not 0 or 1`);
  const mrc = textField(record, 12)?.subfields ?? [];
  if (mrc.length !== count.value)
    return items.bad(
      12,
      undefined,
      undefined,
      `holds ${mrc.length} minutiae where 9.010 MIN says ${count.value}`,
    );

  const minutiae: NistMinutia[] = [];
  for (const [s, sub] of mrc.entries()) {
    const index = items.integer(sub[0], [12, s, 0], 1, 99_999);
    if (!index.ok) return index;
    const xyt = sub[1] ?? '';
    const wide = xyt.length === 13;
    if (!/^\d+$/.test(xyt) || (xyt.length !== 11 && !wide))
      return items.bad(12, s, 1, `'${xyt}' is not XXXXYYYYTTT (or XXXXXYYYYYTTT for palms)`);
    const digits = wide ? 5 : 4;
    const theta = Number(xyt.slice(2 * digits));
    if (theta > 359) return items.bad(12, s, 1, `theta ${theta} is over 359`);
    let quality: number | undefined;
    if (sub[2] !== undefined && sub[2] !== '') {
      const q = items.integer(sub[2], [12, s, 2], 0, 63, 2);
      if (!q.ok) return q;
      quality = q.value;
    }
    const type = sub[3];
    if (type !== undefined && type !== '' && !['A', 'B', 'C', 'D'].includes(type))
      return items.bad(12, s, 3, `'${type}' is not a minutia type (A, B, C, D)`);
    const ridgeCounts: { neighbour: number; count: number }[] = [];
    for (let i = 4; i < sub.length; i++) {
      const match = /^(\d{1,5}),(\d{1,3})$/.exec(sub[i] ?? '');
      if (!match) return items.bad(12, s, i, `'${sub[i]}' is not a ridge count "index,count"`);
      ridgeCounts.push({ neighbour: Number(match[1]), count: Number(match[2]) });
    }
    minutiae.push({
      index: index.value,
      x: Number(xyt.slice(0, digits)),
      y: Number(xyt.slice(digits, 2 * digits)),
      theta,
      ...(quality === undefined ? {} : { quality }),
      ...(type === undefined || type === '' ? {} : { type: type as NistMinutiaType }),
      ridgeCounts,
    });
  }
  return ok({
    ...(readingSystem === undefined ? {} : { readingSystem }),
    fingerPositions,
    ...(patternClass === undefined ? {} : { patternClass }),
    cores: cores.value,
    deltas: deltas.value,
    ridgeCountsPresent: rdg === '1',
    minutiae,
  });
}

function required(record: TaggedRecord, number: number, items: Items): DecodeResult<Field> {
  const field = textField(record, number);
  return field === undefined
    ? items.bad(number, undefined, undefined, 'is missing from the INCITS 378 block')
    : ok(field);
}

function readIncits(record: TaggedRecord, items: Items): DecodeResult<IncitsMinutiaeFields> {
  const cbi = required(record, 126, items);
  if (!cbi.ok) return cbi;
  const [cfo, cft, cpi] = cbi.value.subfields[0] ?? [];
  const formatOwner = items.integer(cfo, [126, 0, 0], 0, 99, 2);
  if (!formatOwner.ok) return formatOwner;
  const formatType = items.integer(cft, [126, 0, 1], 0, 999, 3);
  if (!formatType.ok) return formatType;
  if (cpi === undefined || !/^[0-9A-Fa-f]{1,8}$/.test(cpi))
    return items.bad(126, 0, 2, `'${cpi ?? ''}' is not a CBEFF product identifier (hex)`);

  let equipment: IncitsMinutiaeFields['equipment'];
  const cei = textField(record, 127)?.subfields[0];
  if (cei !== undefined) {
    const [afs = '', id = ''] = cei;
    if (afs !== 'APPF' && afs !== 'NONE') return items.bad(127, 0, 0, `'${afs}' is not APPF or NONE`);
    equipment = { appendixF: afs === 'APPF', id };
  }

  const numbers: number[] = [];
  for (const [number, min, max] of [
    [128, 10, 99_999],
    [129, 10, 99_999],
    [130, 0, 2],
    [131, 1, 99_999],
    [132, 1, 99_999],
    [133, 0, 15],
  ] as const) {
    const field = required(record, number, items);
    if (!field.ok) return field;
    const value = items.integer(field.value.subfields[0]?.[0], [number, 0, 0], min, max);
    if (!value.ok) return value;
    numbers.push(value.value);
  }
  const [width = 0, height = 0, units = 0, horizontal = 0, vertical = 0, viewNumber = 0] = numbers;

  const fgp = required(record, 134, items);
  if (!fgp.ok) return fgp;
  const fingerPositions: number[] = [];
  for (const [s, sub] of fgp.value.subfields.entries()) {
    const position = items.integer(sub[0], [134, s, 0], 0, 99, 2);
    if (!position.ok) return position;
    fingerPositions.push(position.value);
  }

  const quality: { value: number; vendor?: string; product?: number }[] = [];
  for (const [s, sub] of (textField(record, 135)?.subfields ?? []).entries()) {
    const value = items.integer(sub[0], [135, s, 0], 0, 255, 3);
    if (!value.ok) return value;
    const vendor = sub[1];
    if (vendor !== undefined && !/^[0-9A-Fa-f]{4}$/.test(vendor))
      return items.bad(135, s, 1, `'${vendor}' is not a 4-digit hex vendor id`);
    let product: number | undefined;
    if (sub[2] !== undefined) {
      const p = items.integer(sub[2], [135, s, 2], 0, 65_535);
      if (!p.ok) return p;
      product = p.value;
    }
    quality.push({
      value: value.value,
      ...(vendor === undefined ? {} : { vendor }),
      ...(product === undefined ? {} : { product }),
    });
  }

  const nom = required(record, 136, items);
  if (!nom.ok) return nom;
  const count = items.integer(nom.value.subfields[0]?.[0], [136, 0, 0], 0, 9_999, 4);
  if (!count.ok) return count;
  const fmd = textField(record, 137)?.subfields ?? [];
  if (fmd.length !== count.value)
    return items.bad(
      137,
      undefined,
      undefined,
      `holds ${fmd.length} minutiae where 9.136 NOM says ${count.value}`,
    );
  const minutiae: IncitsMinutia[] = [];
  for (const [s, sub] of fmd.entries()) {
    const values: number[] = [];
    for (const [i, [min, max]] of [
      [1, 9_999],
      [0, 99_999],
      [0, 99_999],
      [0, 179],
      [0, 2],
      [0, 100],
    ].entries()) {
      const value = items.integer(sub[i], [137, s, i], min ?? 0, max ?? 0);
      if (!value.ok) return value;
      values.push(value.value);
    }
    const [index = 0, x = 0, y = 0, angle = 0, type = 0, q = 0] = values;
    if (x >= width || y >= height)
      return items.bad(137, s, 1, `(${x}, ${y}) is outside the ${width}x${height} image (9.128, 9.129)`);
    minutiae.push({ index, x, y, angle, type: type as IncitsMinutiaType, quality: q });
  }

  let ridgeCounts: IncitsMinutiaeFields['ridgeCounts'];
  const rci = textField(record, 138);
  if (rci !== undefined) {
    const [head, ...rest] = rci.subfields;
    const method = items.integer(head?.[0], [138, 0, 0], 0, 9, 1);
    if (!method.ok) return method;
    const counts: { centre: number; neighbour: number; count: number }[] = [];
    for (const [s, sub] of rest.entries()) {
      const values: number[] = [];
      for (const [i, max] of [9_999, 9_999, 99].entries()) {
        const value = items.integer(sub[i], [138, s + 1, i], 0, max);
        if (!value.ok) return value;
        values.push(value.value);
      }
      const [centre = 0, neighbour = 0, n = 0] = values;
      counts.push({ centre, neighbour, count: n });
    }
    ridgeCounts = { method: method.value, counts };
  }

  const cores: { x: number; y: number; angle: number }[] = [];
  for (const [s, sub] of (textField(record, 139)?.subfields ?? []).entries()) {
    const values: number[] = [];
    for (const [i, max] of [99_999, 99_999, 179].entries()) {
      const value = items.integer(sub[i], [139, s, i], 0, max);
      if (!value.ok) return value;
      values.push(value.value);
    }
    const [x = 0, y = 0, angle = 0] = values;
    cores.push({ x, y, angle });
  }
  const extra = textField(record, 141)?.subfields ?? [];
  const deltas: { x: number; y: number; angles: number[] }[] = [];
  for (const [s, sub] of (textField(record, 140)?.subfields ?? []).entries()) {
    const values: number[] = [];
    for (const [i, max] of [99_999, 99_999, 179].entries()) {
      const value = items.integer(sub[i], [140, s, i], 0, max);
      if (!value.ok) return value;
      values.push(value.value);
    }
    const [x = 0, y = 0, first = 0] = values;
    const angles = [first];
    for (const [i, text] of (extra[s] ?? []).entries()) {
      const value = items.integer(text, [141, s, i], 0, 179);
      if (!value.ok) return value;
      angles.push(value.value);
    }
    deltas.push({ x, y, angles });
  }
  if (extra.length > deltas.length)
    return items.bad(141, deltas.length, undefined, `angles for a delta 9.140 does not list`);

  return ok({
    cbeff: { formatOwner: formatOwner.value, formatType: formatType.value, productId: cpi.toUpperCase() },
    ...(equipment === undefined ? {} : { equipment }),
    width,
    height,
    scale: { units: units as 0 | 1 | 2, horizontal, vertical },
    viewNumber,
    fingerPositions,
    quality,
    minutiae,
    ...(ridgeCounts === undefined ? {} : { ridgeCounts }),
    cores,
    deltas,
  });
}

/**
 * The minutiae of one Type-9 record (a record of a transaction readTransaction read).
 * @param locate turns a field, subfield and item into a byte offset for errors (readType9Records
 *   gives the real one; without it offsets are 0 and the detail names the item).
 * @returns the legacy fields when 9.004 FMT is `S`, the INCITS 378 block when 9.126 is present, or
 *   `invalid-value` naming the field, subfield and item (a count that disagrees with its list, a
 *   number out of range, a required INCITS field missing). Never throws.
 */
export function readType9(record: TaggedRecord, locate: Locate = atStart): DecodeResult<Type9Minutiae> {
  const items = new Items(locate);
  if (record.type !== 9)
    return fail('invalid-value', locate(1), `a Type-${record.type} record is not Type-9`);
  const idc = items.integer(fieldText(record, 2), [2, 0, 0], 0, 99, 2);
  if (!idc.ok) return idc;
  const impression = items.integer(fieldText(record, 3), [3, 0, 0], 0, 99, 2);
  if (!impression.ok) return impression;
  const fmt = fieldText(record, 4);
  if (fmt !== 'S' && fmt !== 'U') return items.bad(4, 0, 0, `'${fmt ?? ''}' is not S or U`);
  let nist: NistMinutiaeFields | undefined;
  if (fmt === 'S') {
    const read = readNist(record, items);
    if (!read.ok) return read;
    nist = read.value;
  }
  let incits: IncitsMinutiaeFields | undefined;
  if (textField(record, 126) !== undefined) {
    const read = readIncits(record, items);
    if (!read.ok) return read;
    incits = read.value;
  }
  return ok({
    idc: idc.value,
    impression: impression.value,
    ...(nist === undefined ? {} : { nist }),
    ...(incits === undefined ? {} : { incits }),
  });
}

/** Byte offsets of the records readTransaction read from `bytes` (they follow one another). */
function recordStarts(transaction: Transaction): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const record of transaction.records) {
    starts.push(at);
    at +=
      record.encoding === 'tagged' ? Number(fieldText(record, 1) ?? 0) : (record.fields[0]?.values[0] ?? 0);
  }
  return starts;
}

/** A Locate over a tagged record's bytes: the field's tag, then its RS and US separators counted. */
function locator(bytes: Uint8Array, start: number, length: number): Locate {
  const end = Math.min(bytes.length, start + length);
  return (field, subfield = 0, item = 0) => {
    let at = start;
    while (at < end) {
      // A tag `T.FFF:`: skip the record type and the dot, read the field number.
      let p = at;
      while (p < end && bytes[p] !== 0x2e) p++;
      let number = 0;
      p++;
      while (p < end && (bytes[p] ?? 0) >= 0x30 && (bytes[p] ?? 0) <= 0x39)
        number = number * 10 + ((bytes[p++] ?? 0) - 0x30);
      const valueStart = p + 1;
      let q = valueStart;
      while (q < end && bytes[q] !== GS && bytes[q] !== FS) q++;
      if (number === field) {
        let s = 0;
        let i = 0;
        for (let r = valueStart; r < q; r++) {
          if (s === subfield && i === item) return r;
          if (bytes[r] === RS) {
            s++;
            i = 0;
          } else if (bytes[r] === US) i++;
        }
        return s === subfield && i === item ? q : at;
      }
      at = q + 1;
    }
    return start;
  };
}

/**
 * Reads a transaction and the minutiae of each of its Type-9 records, in order.
 * @returns per Type-9 record its index in the transaction and its minutiae, or readTransaction's
 *   error, or readType9's error with the byte offset of the offending item. Never throws.
 */
export function readType9Records(
  bytes: Uint8Array,
): DecodeResult<{ readonly recordIndex: number; readonly minutiae: Type9Minutiae }[]> {
  const transaction = readTransaction(bytes);
  if (!transaction.ok) return transaction;
  const starts = recordStarts(transaction.value);
  const found: { recordIndex: number; minutiae: Type9Minutiae }[] = [];
  for (const [recordIndex, record] of transaction.value.records.entries()) {
    if (record.encoding !== 'tagged' || record.type !== 9) continue;
    const start = starts[recordIndex] ?? 0;
    const read = readType9(record, locator(bytes, start, Number(fieldText(record, 1) ?? 0)));
    if (!read.ok) return read;
    found.push({ recordIndex, minutiae: read.value });
  }
  return ok(found);
}

/* ---------------------------------------------------------------------------------------------- */
/* Writing                                                                                         */

function text(number: number, value: string | readonly (readonly (string | number)[])[]): TaggedField {
  const tag = `9.${String(number).padStart(3, '0')}`;
  const subfields = typeof value === 'string' ? [[value]] : value.map((items) => items.map(String));
  return { kind: 'text', tag, number, subfields };
}

function check(value: number, min: number, max: number, where: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new AnsiNistWriteError(where, `${value} is not an integer in ${min}..${max}`);
  return value;
}

const pad = (value: number, digits: number) => String(value).padStart(digits, '0');

/**
 * The Type-9 record of `minutiae`: 9.001-9.004, then the legacy fields when `nist` is given (FMT
 * `S`, formatted as NBIS writes them: two-digit FGP, three-digit IDX, `XXXXYYYYTTT`, two-digit QMS,
 * `NNN,CC` ridge counts), then the INCITS 378 block when `incits` is given. Counts (9.010, 9.136)
 * come from the lists. Fields go in number order.
 * @throws {AnsiNistWriteError} naming the field for a value out of its range.
 */
export function type9Record(minutiae: Type9Minutiae): TaggedRecord {
  const fields: TaggedField[] = [
    text(1, '0'),
    text(2, pad(check(minutiae.idc, 0, 99, '9.002'), 2)),
    text(3, String(check(minutiae.impression, 0, 99, '9.003'))),
    text(4, minutiae.nist ? 'S' : 'U'),
  ];
  const nist = minutiae.nist;
  if (nist) {
    if (nist.readingSystem) {
      const { name, method, subsystem } = nist.readingSystem;
      fields.push(text(5, [subsystem === undefined ? [name, method] : [name, method, subsystem]]));
    }
    if (nist.fingerPositions.length > 0)
      fields.push(
        text(
          6,
          nist.fingerPositions.map((p) => [pad(check(p, 0, 99, '9.006'), 2)]),
        ),
      );
    if (nist.patternClass) fields.push(text(7, nist.patternClass));
    const points = (list: readonly NistPoint[], number: number) =>
      list.map((p) => [
        pad(check(p.x, 0, 9999, `9.${number}`), 4) + pad(check(p.y, 0, 9999, `9.${number}`), 4),
      ]);
    if (nist.cores.length > 0) fields.push(text(8, points(nist.cores, 8)));
    if (nist.deltas.length > 0) fields.push(text(9, points(nist.deltas, 9)));
    fields.push(text(10, String(nist.minutiae.length)));
    fields.push(text(11, nist.ridgeCountsPresent ? '1' : '0'));
    if (nist.minutiae.length > 0)
      fields.push(
        text(
          12,
          nist.minutiae.map((m, i) => {
            const where = `9.012 subfield ${i + 1}`;
            const wide = m.x > 9999 || m.y > 9999;
            const digits = wide ? 5 : 4;
            const items = [
              pad(check(m.index, 1, 999, where), 3),
              pad(check(m.x, 0, 99_999, where), digits) +
                pad(check(m.y, 0, 99_999, where), digits) +
                pad(check(m.theta, 0, 359, where), 3),
            ];
            if (m.quality !== undefined || m.type !== undefined || m.ridgeCounts.length > 0)
              items.push(m.quality === undefined ? '' : pad(check(m.quality, 0, 63, where), 2));
            if (m.type !== undefined || m.ridgeCounts.length > 0) items.push(m.type ?? '');
            for (const r of m.ridgeCounts)
              items.push(
                `${pad(check(r.neighbour, 0, 999, where), 3)},${pad(check(r.count, 0, 99, where), 2)}`,
              );
            return items;
          }),
        ),
      );
  }
  const incits = minutiae.incits;
  if (incits) {
    const { cbeff } = incits;
    if (!/^[0-9A-F]{8}$/.test(cbeff.productId))
      throw new AnsiNistWriteError('9.126', `'${cbeff.productId}' is not 8 upper-case hex digits`);
    fields.push(
      text(126, [
        [
          pad(check(cbeff.formatOwner, 0, 99, '9.126'), 2),
          pad(check(cbeff.formatType, 0, 999, '9.126'), 3),
          cbeff.productId,
        ],
      ]),
    );
    if (incits.equipment)
      fields.push(text(127, [[incits.equipment.appendixF ? 'APPF' : 'NONE', incits.equipment.id]]));
    fields.push(
      text(128, String(check(incits.width, 10, 99_999, '9.128'))),
      text(129, String(check(incits.height, 10, 99_999, '9.129'))),
      text(130, String(check(incits.scale.units, 0, 2, '9.130'))),
      text(131, String(check(incits.scale.horizontal, 1, 99_999, '9.131'))),
      text(132, String(check(incits.scale.vertical, 1, 99_999, '9.132'))),
      text(133, String(check(incits.viewNumber, 0, 15, '9.133'))),
      text(
        134,
        incits.fingerPositions.map((p) => [String(check(p, 0, 99, '9.134'))]),
      ),
    );
    if (incits.quality.length > 0)
      fields.push(
        text(
          135,
          incits.quality.map((q) => {
            const items: (string | number)[] = [check(q.value, 0, 255, '9.135')];
            if (q.vendor !== undefined || q.product !== undefined) items.push(q.vendor ?? '0000');
            if (q.product !== undefined) items.push(check(q.product, 0, 65_535, '9.135'));
            return items;
          }),
        ),
      );
    fields.push(text(136, String(check(incits.minutiae.length, 0, 9_999, '9.136'))));
    if (incits.minutiae.length > 0)
      fields.push(
        text(
          137,
          incits.minutiae.map((m, i) => {
            const where = `9.137 subfield ${i + 1}`;
            return [
              check(m.index, 1, 9_999, where),
              check(m.x, 0, incits.width - 1, where),
              check(m.y, 0, incits.height - 1, where),
              check(m.angle, 0, 179, where),
              check(m.type, 0, 2, where),
              check(m.quality, 0, 100, where),
            ];
          }),
        ),
      );
    if (incits.ridgeCounts)
      fields.push(
        text(138, [
          [check(incits.ridgeCounts.method, 0, 9, '9.138'), 0, 0],
          ...incits.ridgeCounts.counts.map((c) => [c.centre, c.neighbour, check(c.count, 0, 99, '9.138')]),
        ]),
      );
    if (incits.cores.length > 0)
      fields.push(
        text(
          139,
          incits.cores.map((c) => [c.x, c.y, check(c.angle, 0, 179, '9.139')]),
        ),
      );
    if (incits.deltas.length > 0) {
      fields.push(
        text(
          140,
          incits.deltas.map((d) => [d.x, d.y, check(d.angles[0] ?? 0, 0, 179, '9.140')]),
        ),
      );
      if (incits.deltas.some((d) => d.angles.length > 1))
        fields.push(
          text(
            141,
            incits.deltas.map((d) => d.angles.slice(1).map((a) => check(a, 0, 179, '9.141'))),
          ),
        );
    }
  }
  return { encoding: 'tagged', type: 9, fields };
}

/* ---------------------------------------------------------------------------------------------- */
/* To and from the neutral template                                                                */

/** The image a legacy block's 0.01 mm units refer to: its size (px) and scan resolution (ppi). */
export interface Type9Image {
  readonly width: number;
  readonly height: number;
  readonly ppi: number;
}

const NIST_KINDS: Record<NistMinutiaType, TemplateMinutiaKind> = {
  A: 'ending',
  B: 'bifurcation',
  C: 'other',
  D: 'other',
};
const INCITS_KINDS: readonly TemplateMinutiaKind[] = ['other', 'ending', 'bifurcation'];

/**
 * Template minutiae (model.ts: px from the top-left, degrees in the ISO/INCITS direction) of the
 * legacy fields, as NBIS places them: x = units * ppmm / 100, row = (H - 1 - y) * ppmm / 100 with
 * H = round(height / ppmm * 100) and ppmm = ppi / 25.4; angle = theta + 180. QMS 2..63 becomes
 * quality round((63 - QMS) / 61 * 100) (NBIS's mapping of its reliability, inverted); 0 and 1
 * (manual, none) become "not reported". MTD A ending, B bifurcation, C and D other.
 */
export function templateMinutiaeOfNist(fields: NistMinutiaeFields, image: Type9Image): TemplateMinutia[] {
  const ppmm = image.ppi / 25.4;
  const heightUnits = roundHalfUp((image.height / ppmm) * 100);
  return fields.minutiae.map((m) => {
    const quality = m.quality === undefined || m.quality < 2 ? 0 : Math.round(((63 - m.quality) / 61) * 100);
    return {
      x: (m.x * ppmm) / 100,
      y: ((heightUnits - 1 - m.y) * ppmm) / 100,
      angle: normalizeDegrees(m.theta + 180),
      kind: m.type === undefined ? 'other' : NIST_KINDS[m.type],
      ...(quality === 0 ? {} : { quality }),
    };
  });
}

/**
 * The legacy 9.012 minutiae of template minutiae, with NBIS's arithmetic (to_type9.c): x units =
 * round(x / ppmm * 100), y units = H - 1 - round(row / ppmm * 100), theta = round(angle + 180) mod
 * 360, QMS = round(63 - quality * 0.61) (1, "no method", when the quality is not reported); types A,
 * B, D; no ridge counts.
 */
export function nistMinutiaeOfTemplate(
  minutiae: readonly TemplateMinutia[],
  image: Type9Image,
): NistMinutia[] {
  const ppmm = image.ppi / 25.4;
  const heightUnits = roundHalfUp((image.height / ppmm) * 100);
  return minutiae.map((m, i) => ({
    index: i + 1,
    x: roundHalfUp((m.x / ppmm) * 100),
    y: heightUnits - 1 - roundHalfUp((m.y / ppmm) * 100),
    theta: roundHalfUp(normalizeDegrees(m.angle + 180)) % 360,
    quality: m.quality === undefined ? 1 : roundHalfUp(63 - (m.quality * 61) / 100),
    type: m.kind === 'ending' ? 'A' : m.kind === 'bifurcation' ? 'B' : 'D',
    ridgeCounts: [],
  }));
}

/** Template minutiae of the INCITS 378 block: pixels as they are, angle = 2 * MAV, QOM 0 not reported. */
export function templateMinutiaeOfIncits(fields: IncitsMinutiaeFields): TemplateMinutia[] {
  return fields.minutiae.map((m) => ({
    x: m.x,
    y: m.y,
    angle: m.angle * 2,
    kind: INCITS_KINDS[m.type] ?? 'other',
    ...(m.quality === 0 ? {} : { quality: m.quality }),
  }));
}

/** 9.137 minutiae of template minutiae: pixels and 2-degree angles rounded half up (as INCITS 378 records). */
export function incitsMinutiaeOfTemplate(minutiae: readonly TemplateMinutia[]): IncitsMinutia[] {
  return minutiae.map((m, i) => ({
    index: i + 1,
    x: roundHalfUp(m.x),
    y: roundHalfUp(m.y),
    angle: ansiAngleCode(m.angle),
    type: m.kind === 'ending' ? 1 : m.kind === 'bifurcation' ? 2 : 0,
    quality: m.quality ?? 0,
  }));
}
