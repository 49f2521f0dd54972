/**
 * Finger minutiae records in the two 'FMR\0' formats: ISO/IEC 19794-2:2005 (the record format of
 * its clause 7, not the card formats) and ANSI INCITS 378-2004. Reader and writer share one table.
 * Pure: bytes in, values out; big-endian, as both standards specify.
 *
 * | field | ISO bytes | INCITS bytes | notes |
 * |---|---|---|---|
 * | format identifier | 4 | 4 | 'F' 'M' 'R' 0x00 |
 * | version | 4 | 4 | ' ' '2' '0' 0x00 |
 * | record length | 4 | 2, or 0x0000 then 4 | the whole record, this header included |
 * | CBEFF product identifier | - | 4 | owner (2), type (2) |
 * | capture equipment | 2 | 2 | compliance (top 4 bits), device type id (12 bits) |
 * | image width, height | 2 + 2 | 2 + 2 | px |
 * | x, y resolution | 2 + 2 | 2 + 2 | px per cm |
 * | number of finger views | 1 | 1 | |
 * | reserved | 1 | 1 | 0 |
 * | then per view: finger position | 1 | 1 | 0..10 |
 * | view number, impression type | 1 | 1 | high 4 bits, low 4 bits |
 * | finger quality | 1 | 1 | 0..100 |
 * | number of minutiae | 1 | 1 | |
 * | per minutia: type, x | 2 | 2 | type in the top 2 bits (0 other, 1 ending, 2 bifurcation), x in 14 |
 * | reserved, y | 2 | 2 | top 2 bits 0, y in 14 |
 * | angle | 1 | 1 | ISO: units of 360/256 degree, 0..255; INCITS: units of 2 degrees, 0..179 |
 * | quality | 1 | 1 | 1..100, 0 not reported |
 * | extended data length | 2 | 2 | bytes of the extended data blocks that follow (0: none) |
 * | extended data blocks | n | n | kept opaque (extended.ts reads the blocks) |
 *
 * The two headers differ only in the record length and INCITS's CBEFF product identifier, so the
 * formats are told apart by the length field (detectRecordFormat).
 */
import { type DecodeResult, fail, ok } from '../../result.ts';
import {
  ansiAngleCode,
  degreesOfAnsiCode,
  degreesOfIsoCode,
  type FingerTemplate,
  type FingerView,
  IMPRESSION_TYPES,
  isoAngleCode,
  PRODUCT_UNKNOWN,
  type RecordFormat,
  requireRange,
  roundHalfUp,
  type TemplateMinutia,
  type TemplateMinutiaKind,
  TemplateWriteError,
} from './model.ts';

const MAGIC = [0x46, 0x4d, 0x52, 0x00] as const; // 'FMR\0'
const VERSION_20 = [0x20, 0x32, 0x30, 0x00] as const; // ' 20\0'

/** Header bytes: ISO 24; INCITS 26 with the 2-byte length, 30 with the 6-byte form. */
const ISO_HEADER = 24;
const ANSI_HEADER = 26;
const VIEW_HEADER = 4;
const MINUTIA_BYTES = 6;
const EXTENDED_LENGTH_BYTES = 2;
/** The 14-bit coordinate fields. */
const MAX_COORDINATE = 0x3fff;

const KINDS: readonly TemplateMinutiaKind[] = ['other', 'ending', 'bifurcation'];

/** INCITS 378-2004 impression types: ISO's plus 9, live-scan contactless (read, never written). */
const ANSI_IMPRESSION_TYPES: ReadonlySet<number> = new Set([...IMPRESSION_TYPES, 9]);

function startsWith(bytes: Uint8Array, at: number, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}

/**
 * Which of the two formats a record is, from its header, or undefined when it is neither.
 * The length field decides (the rest of the header is alike): INCITS's 2-byte length is at least
 * 26, where ISO's 4-byte length has a high half below 26 (a record under 1.7 MB); INCITS's 6-byte
 * form begins 0x0000 and then holds a length of at least 0x10000, whose high half is at least 1,
 * where a 4-byte ISO length below 0x10000 has a low half of at least 24.
 */
export function detectRecordFormat(bytes: Uint8Array): RecordFormat | undefined {
  if (bytes.length < 12 || !startsWith(bytes, 0, MAGIC) || !startsWith(bytes, 4, VERSION_20))
    return undefined;
  const high = ((bytes[8] ?? 0) << 8) | (bytes[9] ?? 0);
  const low = ((bytes[10] ?? 0) << 8) | (bytes[11] ?? 0);
  if (high >= ANSI_HEADER) return 'incits378:2004';
  if (high > 0) return 'iso19794-2:2005';
  return low >= ISO_HEADER ? 'iso19794-2:2005' : 'incits378:2004';
}

/** A bounds-checked big-endian cursor over the record. */
class Cursor {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    /** Where the record ends (its stated length, at most the input). */
    public end: number,
  ) {}
  has(n: number): boolean {
    return this.at + n <= this.end;
  }
  u8(): number {
    return this.bytes[this.at++] ?? 0;
  }
  u16(): number {
    const v = ((this.bytes[this.at] ?? 0) << 8) | (this.bytes[this.at + 1] ?? 0);
    this.at += 2;
    return v;
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
}

function truncated<T>(cursor: Cursor, what: string): DecodeResult<T> {
  return fail('truncated', cursor.at, `the record ends inside ${what}`);
}

/**
 * Reads an ISO/IEC 19794-2:2005 finger minutiae record.
 * @returns the template, or an error with the byte offset: `invalid-value` (not 'FMR\0', a length
 *   below the header, a code or reserved bit out of range, a minutia outside the image),
 *   `unsupported` (a version other than ' 20\0'), `truncated`, `trailing-data`. Never throws; holds
 *   at most 255 views of 255 minutiae, each count checked against the bytes left first.
 */
export function readIsoRecord(bytes: Uint8Array): DecodeResult<FingerTemplate> {
  return readRecord(bytes, 'iso19794-2:2005');
}

/**
 * Reads an ANSI INCITS 378-2004 finger minutiae record; errors as readIsoRecord, plus
 * `invalid-value` for an angle code above 179 (units of 2 degrees).
 */
export function readAnsiRecord(bytes: Uint8Array): DecodeResult<FingerTemplate> {
  return readRecord(bytes, 'incits378:2004');
}

/** Reads either format, as detectRecordFormat tells them apart; errors as readIsoRecord. */
export function readFingerRecord(
  bytes: Uint8Array,
): DecodeResult<{ format: RecordFormat; template: FingerTemplate }> {
  const format = detectRecordFormat(bytes);
  if (format === undefined) {
    if (bytes.length >= 8 && startsWith(bytes, 0, MAGIC) && !startsWith(bytes, 4, VERSION_20))
      return fail('unsupported', 4, 'a finger minutiae record of a version other than " 20" (2004/2005)');
    return fail(
      bytes.length < 12 ? 'truncated' : 'invalid-value',
      0,
      'not a finger minutiae record (FMR 20)',
    );
  }
  const read = readRecord(bytes, format);
  return read.ok ? ok({ format, template: read.value }) : read;
}

function readRecord(bytes: Uint8Array, format: RecordFormat): DecodeResult<FingerTemplate> {
  const iso = format === 'iso19794-2:2005';
  const cursor = new Cursor(bytes, bytes.length);
  if (!cursor.has(8)) return truncated(cursor, 'the format identifier and version');
  if (!startsWith(bytes, 0, MAGIC)) return fail('invalid-value', 0, "the format identifier is not 'FMR\\0'");
  if (!startsWith(bytes, 4, VERSION_20))
    return fail('unsupported', 4, "the version is not ' 20\\0' (ISO/IEC 19794-2:2005, INCITS 378-2004)");
  cursor.at = 8;

  let length: number;
  let header: number;
  if (iso) {
    if (!cursor.has(4)) return truncated(cursor, 'the record length');
    length = cursor.u32();
    header = ISO_HEADER;
  } else {
    if (!cursor.has(2)) return truncated(cursor, 'the record length');
    length = cursor.u16();
    header = ANSI_HEADER;
    if (length === 0) {
      if (!cursor.has(4)) return truncated(cursor, 'the 6-byte record length');
      length = cursor.u32();
      header = ANSI_HEADER + 4;
      if (length < 0x10000)
        return fail('invalid-value', 10, `the 6-byte record length form holds ${length}, under 0x10000`);
    }
  }
  if (length < header)
    return fail('invalid-value', 8, `the record length ${length} is shorter than the ${header}-byte header`);
  if (length > bytes.length)
    return fail(
      'truncated',
      bytes.length,
      `the record length says ${length} bytes; ${bytes.length} are given`,
    );
  cursor.end = length;
  if (!cursor.has(header - cursor.at)) return truncated(cursor, 'the record header');

  let product: FingerTemplate['product'];
  if (!iso) product = { owner: cursor.u16(), type: cursor.u16() };
  const equipment = cursor.u16();
  const width = cursor.u16();
  const height = cursor.u16();
  const resolutionX = cursor.u16();
  const resolutionY = cursor.u16();
  const viewCount = cursor.u8();
  const reservedAt = cursor.at;
  if (cursor.u8() !== 0)
    return fail('invalid-value', reservedAt, 'the reserved byte after the view count is not 0');
  for (const [value, name, at] of [
    [width, 'image width', header - 10],
    [height, 'image height', header - 8],
    [resolutionX, 'x resolution', header - 6],
    [resolutionY, 'y resolution', header - 4],
  ] as const)
    if (value === 0) return fail('invalid-value', at, `the ${name} is 0`);
  if (viewCount * (VIEW_HEADER + EXTENDED_LENGTH_BYTES) > length - cursor.at)
    return fail(
      'truncated',
      cursor.at,
      `${viewCount} finger views cannot fit in the ${length - cursor.at} bytes left`,
    );

  const views: FingerView[] = [];
  for (let v = 0; v < viewCount; v++) {
    const view = readView(cursor, format, width, height, v);
    if (!view.ok) return view;
    views.push(view.value);
  }
  if (cursor.at !== length)
    return fail(
      'trailing-data',
      cursor.at,
      `${length - cursor.at} bytes follow the last finger view inside the record length ${length}`,
    );
  if (length !== bytes.length)
    return fail('trailing-data', length, `${bytes.length - length} bytes follow the record`);
  return ok({
    width,
    height,
    resolutionX,
    resolutionY,
    equipment: { compliance: equipment >> 12, id: equipment & 0x0fff },
    ...(product === undefined ? {} : { product }),
    views,
  });
}

function readView(
  cursor: Cursor,
  format: RecordFormat,
  width: number,
  height: number,
  index: number,
): DecodeResult<FingerView> {
  const iso = format === 'iso19794-2:2005';
  const label = `finger view ${index + 1}`;
  if (!cursor.has(VIEW_HEADER)) return truncated(cursor, `the header of ${label}`);
  const start = cursor.at;
  const position = cursor.u8();
  const viewAndImpression = cursor.u8();
  const quality = cursor.u8();
  const count = cursor.u8();
  if (position > 10)
    return fail('invalid-value', start, `${label}: finger position ${position} is not 0..10`);
  const impression = viewAndImpression & 0x0f;
  if (!(iso ? IMPRESSION_TYPES : ANSI_IMPRESSION_TYPES).has(impression))
    return fail('invalid-value', start + 1, `${label}: impression type ${impression} is not defined`);
  if (quality > 100)
    return fail('invalid-value', start + 2, `${label}: finger quality ${quality} is over 100`);
  if (!cursor.has(count * MINUTIA_BYTES + EXTENDED_LENGTH_BYTES))
    return fail('truncated', cursor.at, `${label}: ${count} minutiae do not fit in the record`);

  const minutiae: TemplateMinutia[] = [];
  for (let m = 0; m < count; m++) {
    const at = cursor.at;
    const where = `${label} minutia ${m + 1}`;
    const typeAndX = cursor.u16();
    const reservedAndY = cursor.u16();
    const angleCode = cursor.u8();
    const minutiaQuality = cursor.u8();
    const kind = KINDS[typeAndX >> 14];
    if (kind === undefined) return fail('invalid-value', at, `${where}: minutia type 3 is reserved`);
    if (reservedAndY >> 14 !== 0)
      return fail('invalid-value', at + 2, `${where}: the reserved bits above y are set`);
    const x = typeAndX & MAX_COORDINATE;
    const y = reservedAndY & MAX_COORDINATE;
    if (x >= width || y >= height)
      return fail('invalid-value', at, `${where}: (${x}, ${y}) is outside the ${width}x${height} image`);
    if (!iso && angleCode > 179)
      return fail(
        'invalid-value',
        at + 4,
        `${where}: angle code ${angleCode} is over 179 (units of 2 degrees)`,
      );
    if (minutiaQuality > 100)
      return fail('invalid-value', at + 5, `${where}: minutia quality ${minutiaQuality} is over 100`);
    minutiae.push({
      x,
      y,
      angle: iso ? degreesOfIsoCode(angleCode) : degreesOfAnsiCode(angleCode),
      kind,
      ...(minutiaQuality === 0 ? {} : { quality: minutiaQuality }),
    });
  }
  const extendedAt = cursor.at;
  const extendedLength = cursor.u16();
  if (!cursor.has(extendedLength))
    return fail(
      'truncated',
      extendedAt,
      `${label}: the extended data length ${extendedLength} runs past the record's end`,
    );
  const data = cursor.bytes.subarray(cursor.at, cursor.at + extendedLength);
  cursor.at += extendedLength;
  return ok({
    position,
    viewNumber: viewAndImpression >> 4,
    impression,
    quality,
    minutiae,
    ...(extendedLength === 0 ? {} : { extended: { format, data } }),
  });
}

/**
 * Writes an ISO/IEC 19794-2:2005 finger minutiae record. Positions are rounded half up to whole
 * pixels, angles to units of 360/256 degree (model.ts); an extended data area read from an ISO
 * record is written back as it was, one from an INCITS record is left out (its lengths and angle
 * units differ).
 * @throws {TemplateWriteError} for a field out of its range (a minutia outside the image, more
 *   than 255 views or minutiae, a quality over 100).
 */
export function writeIsoRecord(template: FingerTemplate): Uint8Array {
  return writeRecord(template, 'iso19794-2:2005');
}

/**
 * Writes an ANSI INCITS 378-2004 finger minutiae record: as writeIsoRecord, with angles in units of
 * 2 degrees (0..179), the CBEFF product identifier (PRODUCT_UNKNOWN when the template has none),
 * and the 6-byte length form for a record of 0x10000 bytes or more.
 * @throws {TemplateWriteError} as writeIsoRecord.
 */
export function writeAnsiRecord(template: FingerTemplate): Uint8Array {
  return writeRecord(template, 'incits378:2004');
}

/** Writes `template` in `format`. @throws {TemplateWriteError} as writeIsoRecord. */
export function writeFingerRecord(template: FingerTemplate, format: RecordFormat): Uint8Array {
  return writeRecord(template, format);
}

function keptExtended(view: FingerView, format: RecordFormat): Uint8Array | undefined {
  return view.extended?.format === format && view.extended.data.length > 0 ? view.extended.data : undefined;
}

function writeRecord(template: FingerTemplate, format: RecordFormat): Uint8Array {
  const iso = format === 'iso19794-2:2005';
  const { width, height } = template;
  requireRange(width, 1, 0xffff, 'image width');
  requireRange(height, 1, 0xffff, 'image height');
  requireRange(template.resolutionX, 1, 0xffff, 'x resolution');
  requireRange(template.resolutionY, 1, 0xffff, 'y resolution');
  requireRange(template.equipment.compliance, 0, 15, 'capture equipment compliance');
  requireRange(template.equipment.id, 0, 0x0fff, 'capture equipment id');
  requireRange(template.views.length, 0, 255, 'number of finger views');

  let body = 0;
  for (const [v, view] of template.views.entries()) {
    requireRange(view.minutiae.length, 0, 255, `view ${v + 1} number of minutiae`);
    const extended = keptExtended(view, format);
    requireRange(extended?.length ?? 0, 0, 0xffff, `view ${v + 1} extended data length`);
    body +=
      VIEW_HEADER + view.minutiae.length * MINUTIA_BYTES + EXTENDED_LENGTH_BYTES + (extended?.length ?? 0);
  }
  let header = iso ? ISO_HEADER : ANSI_HEADER;
  if (!iso && header + body >= 0x10000) header += 4;
  const length = header + body;
  if (length > 0xffffffff)
    throw new TemplateWriteError('record length', `${length} bytes do not fit 32 bits`);

  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out.set(VERSION_20, 4);
  let at = 8;
  if (iso) {
    view.setUint32(at, length);
    at += 4;
  } else {
    if (header === ANSI_HEADER) {
      view.setUint16(at, length);
      at += 2;
    } else {
      view.setUint16(at, 0);
      view.setUint32(at + 2, length);
      at += 6;
    }
    const product = template.product ?? PRODUCT_UNKNOWN;
    view.setUint16(at, requireRange(product.owner, 0, 0xffff, 'CBEFF product owner'));
    view.setUint16(at + 2, requireRange(product.type, 0, 0xffff, 'CBEFF product type'));
    at += 4;
  }
  view.setUint16(at, (template.equipment.compliance << 12) | template.equipment.id);
  view.setUint16(at + 2, width);
  view.setUint16(at + 4, height);
  view.setUint16(at + 6, template.resolutionX);
  view.setUint16(at + 8, template.resolutionY);
  out[at + 10] = template.views.length;
  out[at + 11] = 0;
  at += 12;

  for (const [v, finger] of template.views.entries()) {
    const label = `view ${v + 1}`;
    out[at] = requireRange(finger.position, 0, 10, `${label} finger position`);
    requireRange(finger.viewNumber, 0, 15, `${label} view number`);
    if (!(iso ? IMPRESSION_TYPES : ANSI_IMPRESSION_TYPES).has(finger.impression))
      throw new TemplateWriteError(`${label} impression type`, `${finger.impression} is not defined`);
    out[at + 1] = (finger.viewNumber << 4) | finger.impression;
    out[at + 2] = requireRange(finger.quality, 0, 100, `${label} finger quality`);
    out[at + 3] = finger.minutiae.length;
    at += VIEW_HEADER;
    for (const [m, minutia] of finger.minutiae.entries()) {
      const where = `${label} minutia ${m + 1}`;
      const x = requireRange(roundHalfUp(minutia.x), 0, Math.min(width - 1, MAX_COORDINATE), `${where} x`);
      const y = requireRange(roundHalfUp(minutia.y), 0, Math.min(height - 1, MAX_COORDINATE), `${where} y`);
      if (!Number.isFinite(minutia.angle))
        throw new TemplateWriteError(`${where} angle`, `${minutia.angle} is not finite`);
      const kind = KINDS.indexOf(minutia.kind);
      if (kind < 0)
        throw new TemplateWriteError(
          `${where} kind`,
          `'${minutia.kind}' is not ending, bifurcation or other`,
        );
      view.setUint16(at, (kind << 14) | x);
      view.setUint16(at + 2, y);
      out[at + 4] = iso ? isoAngleCode(minutia.angle) : ansiAngleCode(minutia.angle);
      out[at + 5] =
        minutia.quality === undefined ? 0 : requireRange(minutia.quality, 0, 100, `${where} quality`);
      at += MINUTIA_BYTES;
    }
    const extended = keptExtended(finger, format);
    view.setUint16(at, extended?.length ?? 0);
    at += EXTENDED_LENGTH_BYTES;
    if (extended) {
      out.set(extended, at);
      at += extended.length;
    }
  }
  return out;
}
