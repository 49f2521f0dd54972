/**
 * Reads an ANSI/NIST-ITL transaction (traditional encoding, versions 0200 to 0502) into the model of
 * model.ts, keeping what the writer needs to give the same bytes back.
 *
 * Order of work (ANSI/NIST-ITL 1-2011 §7.1, §8.1):
 * 1. Type-1, always first and always tagged 7-bit ASCII; its 1.002 VER, 1.003 CNT and 1.015 DCS.
 * 2. Every record CNT lists, in that order. Tagged records end where their LEN says, with FS there;
 *    a field numbered 999 holds binary bytes up to that FS. Binary records (Types 3 to 8) carry no
 *    type of their own: CNT gives it, and their fixed header (model.ts) gives LEN and IDC.
 * 3. Nothing may follow the last record.
 */
import { type DecodeResult, fail, ok } from '../result.ts';
import { type Charset, charsetOfIndex, decodeText } from './charset.ts';
import {
  MAX_FIELD_DIGITS,
  MAX_ITEMS,
  MAX_LEN_DIGITS,
  MAX_RECORD_BYTES,
  MAX_RECORDS,
  MAX_TRANSACTION_BYTES,
  MAX_TYPE_DIGITS,
  MAX_VERSION,
  MIN_VERSION,
} from './limits.ts';
import {
  type AnRecord,
  BINARY_FIELD_NUMBER,
  BINARY_LAYOUTS,
  type BinaryField,
  type BinaryRecord,
  type BinaryRecordType,
  FS,
  GS,
  headerBytes,
  isBinaryType,
  RS,
  TAGGED_TYPES,
  type TaggedField,
  type TaggedRecord,
  type Transaction,
  US,
} from './model.ts';

const COLON = 0x3a;
const DOT = 0x2e;

interface Tag {
  readonly text: string;
  readonly type: number;
  readonly number: number;
  /** Offset of the first byte after the colon. */
  readonly next: number;
}

interface Budget {
  items: number;
}

const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;

/** `RT.FFF:` at `at`, ending before `limit`. */
function readTag(bytes: Uint8Array, at: number, limit: number): DecodeResult<Tag> {
  let p = at;
  const digits = (max: number): number | undefined => {
    const from = p;
    while (p < limit && p - from < max && isDigit(bytes[p])) p++;
    if (p === from) return undefined;
    let n = 0;
    for (let i = from; i < p; i++) n = n * 10 + ((bytes[i] ?? 0) - 0x30);
    return n;
  };
  const type = digits(MAX_TYPE_DIGITS);
  if (type === undefined || p >= limit || bytes[p] !== DOT) {
    if (p >= limit) return fail('truncated', p, 'the input ends inside a field tag');
    return fail('invalid-value', p, 'expected a field tag "RT.FFF:" (record type, dot, field number, colon)');
  }
  p++;
  const number = digits(MAX_FIELD_DIGITS);
  if (number === undefined || p >= limit || bytes[p] !== COLON) {
    if (p >= limit) return fail('truncated', p, 'the input ends inside a field tag');
    return fail('invalid-value', p, 'expected a field number and a colon in the field tag');
  }
  return ok({ text: decodeText(bytes.subarray(at, p), 'ascii') ?? '', type, number, next: p + 1 });
}

/** Splits `bytes[from, to)` on RS and US and decodes each item. */
function readSubfields(
  bytes: Uint8Array,
  from: number,
  to: number,
  charset: Charset,
  budget: Budget,
): DecodeResult<string[][]> {
  const subfields: string[][] = [];
  let items: string[] = [];
  let start = from;
  for (let p = from; p <= to; p++) {
    const b = p === to ? RS : bytes[p];
    if (b !== RS && b !== US) continue;
    if (++budget.items > MAX_ITEMS)
      return fail('too-large', p, `more than ${MAX_ITEMS} information items in the transaction`);
    const text = decodeText(bytes.subarray(start, p), charset);
    if (text === undefined)
      return fail('invalid-value', start, 'an item is not valid UTF-8 (1.015 DCS says UTF-8)');
    items.push(text);
    if (b === RS) {
      subfields.push(items);
      items = [];
    }
    start = p + 1;
  }
  return ok(subfields);
}

/**
 * One tagged record starting at `start`, of `type` (from CNT, or 1).
 * Returns the record and the offset after its FS.
 */
function readTaggedRecord(
  bytes: Uint8Array,
  start: number,
  type: number,
  charset: Charset,
  budget: Budget,
): DecodeResult<{ record: TaggedRecord; end: number }> {
  const first = readTag(bytes, start, bytes.length);
  if (!first.ok) return first;
  if (first.value.type !== type)
    return fail(
      'invalid-value',
      start,
      `record ${first.value.text} where 1.003 CNT lists a Type-${type} record`,
    );
  if (first.value.number !== 1)
    return fail('invalid-value', start, `a record begins with ${first.value.text}, not with its LEN (.001)`);
  let p = first.value.next;
  let len = 0;
  while (p < bytes.length && isDigit(bytes[p])) {
    if (p - first.value.next >= MAX_LEN_DIGITS)
      return fail('too-large', p, `LEN of Type-${type} has more than ${MAX_LEN_DIGITS} digits`);
    len = len * 10 + ((bytes[p] ?? 0) - 0x30);
    p++;
  }
  if (p >= bytes.length) return fail('truncated', p, `the input ends inside LEN of Type-${type}`);
  if (p === first.value.next || (bytes[p] !== GS && bytes[p] !== FS))
    return fail('invalid-value', p, `LEN of Type-${type} is not a decimal number followed by GS`);
  if (len > MAX_RECORD_BYTES)
    return fail(
      'too-large',
      first.value.next,
      `LEN ${len} exceeds the ${MAX_RECORD_BYTES}-byte record limit`,
    );
  if (len <= p - start)
    return fail('invalid-value', first.value.next, `LEN ${len} is shorter than the LEN field itself`);
  const end = start + len;
  if (end > bytes.length)
    return fail(
      'truncated',
      first.value.next,
      `LEN ${len} runs ${end - bytes.length} bytes past the end of the input`,
    );
  const last = end - 1;
  if (bytes[last] !== FS)
    return fail('invalid-value', last, `Type-${type} does not end with FS where its LEN ${len} says it ends`);

  const fields: TaggedField[] = [];
  let at = start;
  while (at < last) {
    const tag = readTag(bytes, at, last);
    if (!tag.ok) return tag;
    if (tag.value.type !== type)
      return fail('invalid-value', at, `field ${tag.value.text} inside a Type-${type} record`);
    if (tag.value.number === BINARY_FIELD_NUMBER && type !== 1 && type !== 2) {
      // The image field runs to the FS that LEN points at; its bytes may hold any separator.
      fields.push({
        kind: 'binary',
        tag: tag.value.text,
        number: tag.value.number,
        data: bytes.subarray(tag.value.next, last),
      });
      at = last;
      break;
    }
    let q = tag.value.next;
    while (q < last && bytes[q] !== GS && bytes[q] !== FS) q++;
    if (q < last && bytes[q] === FS)
      return fail('invalid-value', q, `FS inside Type-${type} before the end its LEN gives`);
    if (type === 1) {
      for (let i = tag.value.next; i < q; i++)
        if ((bytes[i] ?? 0) > 0x7f) return fail('invalid-value', i, 'Type-1 holds a byte above 7-bit ASCII');
    }
    const subfields = readSubfields(bytes, tag.value.next, q, type === 1 ? 'ascii' : charset, budget);
    if (!subfields.ok) return subfields;
    fields.push({ kind: 'text', tag: tag.value.text, number: tag.value.number, subfields: subfields.value });
    at = q === last ? q : q + 1;
    if (q < last && at === last) return fail('invalid-value', q, 'GS directly before FS: an empty field');
  }
  return ok({ record: { encoding: 'tagged', type, fields }, end });
}

function readBinaryRecord(
  bytes: Uint8Array,
  start: number,
  type: BinaryRecordType,
  idc: number,
): DecodeResult<{ record: BinaryRecord; end: number }> {
  const header = headerBytes(type);
  if (start + 4 > bytes.length) return fail('truncated', start, `the input ends inside LEN of Type-${type}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
  const len = view.getUint32(0);
  if (len > MAX_RECORD_BYTES)
    return fail('too-large', start, `LEN ${len} exceeds the ${MAX_RECORD_BYTES}-byte record limit`);
  if (len < header)
    return fail(
      'invalid-value',
      start,
      `LEN ${len} of Type-${type} is shorter than its ${header}-byte header`,
    );
  if (start + len > bytes.length)
    return fail(
      'truncated',
      start,
      `LEN ${len} of Type-${type} runs ${start + len - bytes.length} bytes past the end`,
    );
  const fields: BinaryField[] = [];
  let at = 0;
  for (const row of BINARY_LAYOUTS[type]) {
    const values: number[] = [];
    for (let i = 0; i < row.count; i++) {
      values.push(
        row.bytes === 1 ? view.getUint8(at) : row.bytes === 2 ? view.getUint16(at) : view.getUint32(at),
      );
      at += row.bytes;
    }
    fields.push({ number: row.number, name: row.name, values });
  }
  const got = fields[1]?.values[0];
  if (got !== idc)
    return fail('invalid-value', start + 4, `Type-${type} has IDC ${got} where 1.003 CNT says ${idc}`);
  return ok({
    record: { encoding: 'binary', type, fields, data: bytes.subarray(start + header, start + len) },
    end: start + len,
  });
}

/** The first text value of field `number` of a record. */
export function fieldText(record: TaggedRecord, number: number, subfield = 0, item = 0): string | undefined {
  const field = record.fields.find((f) => f.number === number);
  return field?.kind === 'text' ? field.subfields[subfield]?.[item] : undefined;
}

/** The charset 1.015 DCS declares ('ascii' when absent). */
export function transactionCharset(type1: TaggedRecord): DecodeResult<Charset> {
  const csi = fieldText(type1, 15);
  if (csi === undefined) return ok('ascii');
  const charset = charsetOfIndex(csi);
  if (charset === undefined)
    return fail(
      'unsupported',
      0,
      `1.015 DCS character set ${csi} is not supported (000 ASCII, 001 Latin-1, 003 UTF-8)`,
    );
  return ok(charset);
}

/**
 * Reads a whole transaction.
 * @returns the transaction, or an error: `truncated` (input ends inside a record or before a record
 *   CNT lists), `invalid-value` (bad tag, LEN that does not land on FS, CNT inconsistent, IDC
 *   mismatch, invalid UTF-8), `too-large` (input, LEN, records or items over limits.ts),
 *   `unsupported` (VER outside 0200-0502, a DCS other than 000/001/003), `trailing-data`.
 *   Never throws on any input.
 */
export function readTransaction(bytes: Uint8Array): DecodeResult<Transaction> {
  if (bytes.length > MAX_TRANSACTION_BYTES)
    return fail('too-large', 0, `${bytes.length} bytes exceed the ${MAX_TRANSACTION_BYTES}-byte limit`);
  const budget: Budget = { items: 0 };
  const head = readTaggedRecord(bytes, 0, 1, 'ascii', budget);
  if (!head.ok) return head;
  const type1 = head.value.record;

  const version = fieldText(type1, 2);
  if (version === undefined || !/^\d{4}$/.test(version))
    return fail('invalid-value', 0, '1.002 VER is missing or not four digits');
  if (Number(version) < MIN_VERSION || Number(version) > MAX_VERSION)
    return fail('unsupported', 0, `1.002 VER ${version} is outside 0200-0502`);

  const cnt = type1.fields.find((f) => f.number === 3);
  if (cnt?.kind !== 'text') return fail('invalid-value', 0, '1.003 CNT is missing');
  const [first, ...entries] = cnt.subfields;
  if (first?.[0] !== '1' || !/^\d{1,5}$/.test(first[1] ?? ''))
    return fail('invalid-value', 0, '1.003 CNT does not begin with 1 and a record count');
  const count = Number(first[1]);
  if (count > MAX_RECORDS)
    return fail('too-large', 0, `1.003 CNT lists ${count} records; at most ${MAX_RECORDS}`);
  if (count !== entries.length)
    return fail('invalid-value', 0, `1.003 CNT says ${count} records but lists ${entries.length}`);

  const charset = transactionCharset(type1);
  if (!charset.ok) return charset;

  const records: AnRecord[] = [type1];
  let at = head.value.end;
  for (const [index, entry] of entries.entries()) {
    const typeText = entry[0] ?? '';
    const idcText = entry[1] ?? '';
    if (!/^\d{1,2}$/.test(typeText) || !/^\d{1,2}$/.test(idcText))
      return fail('invalid-value', 0, `1.003 CNT entry ${index + 2} is not a record type and an IDC`);
    const type = Number(typeText);
    if (at >= bytes.length)
      return fail(
        'truncated',
        at,
        `the input ends before record ${index + 2} (Type-${type}) that 1.003 CNT lists`,
      );
    let read: DecodeResult<{ record: AnRecord; end: number }>;
    if (isBinaryType(type)) read = readBinaryRecord(bytes, at, type, Number(idcText));
    else if (TAGGED_TYPES.has(type) && type !== 1)
      read = readTaggedRecord(bytes, at, type, charset.value, budget);
    else
      return fail(
        'invalid-value',
        0,
        `1.003 CNT lists Type-${type}, which is not a record type after Type-1`,
      );
    if (!read.ok) return read;
    records.push(read.value.record);
    at = read.value.end;
  }
  if (at !== bytes.length)
    return fail(
      'trailing-data',
      at,
      `${bytes.length - at} bytes follow the last record that 1.003 CNT lists`,
    );
  return ok({ records });
}
