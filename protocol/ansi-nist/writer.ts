/**
 * Writes the model of model.ts back to traditional-encoding bytes (ANSI/NIST-ITL 1-2011 §7.1):
 * fields in the order the model holds them, tags as written, GS between fields, RS between
 * subfields, US between items, FS after each record, binary data last.
 *
 * Every LEN is computed. A tagged record's LEN counts its own digits, so it is the fixed point of
 * `len = rest + digits(len)`; when the model's LEN text already states the right length (in any
 * digit width, e.g. with leading zeros) that text is kept, so a parsed file writes back byte for
 * byte.
 */
import { type Charset, encodeText, hasSeparator, isAscii } from './charset.ts';
import {
  type AnRecord,
  BINARY_LAYOUTS,
  type BinaryRecord,
  FS,
  GS,
  headerBytes,
  RS,
  type TaggedRecord,
  type Transaction,
  US,
} from './model.ts';
import { transactionCharset } from './reader.ts';

/** A model the writer cannot encode: a programmer error, or a bad `station nist build` input. */
export class AnsiNistWriteError extends RangeError {
  override readonly name = 'AnsiNistWriteError';
  readonly code = 'NIST_WRITE_INVALID';
  constructor(
    /** Where: `record 3 (Type-14) 14.013`. */
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
  }
}

const encoder = new TextEncoder();

function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

function encodeItem(text: string, charset: Charset, where: string, sevenBit: boolean): Uint8Array {
  if (hasSeparator(text))
    throw new AnsiNistWriteError(where, 'a value holds a separator character (0x1C-0x1F)');
  if (sevenBit && !isAscii(text))
    throw new AnsiNistWriteError(where, 'Type-1 is 7-bit ASCII; this value holds another character');
  try {
    return encodeText(text, charset);
  } catch (error) {
    throw new AnsiNistWriteError(where, error instanceof Error ? error.message : String(error));
  }
}

/** The LEN that counts its own digits: the least `len` with `len = rest + digits(len)`. */
export function selfCountingLength(rest: number): number {
  for (let digits = 1; ; digits++) if (String(rest + digits).length === digits) return rest + digits;
}

function taggedChunks(record: TaggedRecord, index: number, charset: Charset): Uint8Array[] {
  const where = (tag: string) => `record ${index + 1} (Type-${record.type}) ${tag}`;
  const [lenField, ...rest] = record.fields;
  if (lenField?.kind !== 'text' || lenField.number !== 1)
    throw new AnsiNistWriteError(where(''), 'the first field must be LEN (.001)');
  const chunks: Uint8Array[] = [];
  rest.forEach((field, i) => {
    chunks.push(ascii(`${field.tag}:`));
    if (field.kind === 'binary') {
      if (i !== rest.length - 1)
        throw new AnsiNistWriteError(where(field.tag), 'binary data must be the last field');
      chunks.push(field.data);
    } else {
      field.subfields.forEach((items, s) => {
        if (s > 0) chunks.push(Uint8Array.of(RS));
        items.forEach((item, t) => {
          if (t > 0) chunks.push(Uint8Array.of(US));
          chunks.push(
            encodeItem(item, record.type === 1 ? 'ascii' : charset, where(field.tag), record.type === 1),
          );
        });
      });
    }
    chunks.push(Uint8Array.of(i === rest.length - 1 ? FS : GS));
  });
  if (rest.length === 0) chunks.push(Uint8Array.of(FS));
  else chunks.unshift(Uint8Array.of(GS));
  const lenTag = ascii(`${lenField.tag}:`);
  let restBytes = lenTag.length;
  for (const c of chunks) restBytes += c.length;
  const len = selfCountingLength(restBytes);
  const stated = lenField.subfields[0]?.[0] ?? '';
  const lenText = /^\d+$/.test(stated) && restBytes + stated.length === Number(stated) ? stated : String(len);
  return [lenTag, ascii(lenText), ...chunks];
}

function binaryChunks(record: BinaryRecord, index: number): Uint8Array[] {
  const layout = BINARY_LAYOUTS[record.type];
  const header = new Uint8Array(headerBytes(record.type));
  const view = new DataView(header.buffer);
  const len = header.length + record.data.length;
  let at = 0;
  layout.forEach((row, r) => {
    const where = `record ${index + 1} (Type-${record.type}) ${record.type}.${String(row.number).padStart(3, '0')} ${row.name}`;
    const values = row.number === 1 ? [len] : (record.fields[r]?.values ?? []);
    if (record.fields[r] !== undefined && record.fields[r]?.number !== row.number)
      throw new AnsiNistWriteError(where, `field ${r + 1} should be ${row.name}`);
    if (values.length !== row.count) throw new AnsiNistWriteError(where, `needs ${row.count} value(s)`);
    const max = 2 ** (8 * row.bytes) - 1;
    for (const value of values) {
      if (!Number.isInteger(value) || value < 0 || value > max)
        throw new AnsiNistWriteError(where, `${value} is not an integer in 0..${max}`);
      if (row.bytes === 1) view.setUint8(at, value);
      else if (row.bytes === 2) view.setUint16(at, value);
      else view.setUint32(at, value);
      at += row.bytes;
    }
  });
  if (record.fields.length !== layout.length)
    throw new AnsiNistWriteError(
      `record ${index + 1} (Type-${record.type})`,
      `needs exactly ${layout.length} header fields`,
    );
  return [header, record.data];
}

/**
 * The bytes of a transaction.
 * @throws {AnsiNistWriteError} when the model cannot be encoded: LEN not first, binary data not
 *   last, a separator inside a value, a non-ASCII character in Type-1, a character the declared
 *   charset lacks, an unsupported 1.015 DCS, a binary header value out of range.
 */
export function writeTransaction(transaction: Transaction): Uint8Array {
  const [type1] = transaction.records;
  if (type1?.encoding !== 'tagged' || type1.type !== 1)
    throw new AnsiNistWriteError('record 1', 'a transaction begins with its Type-1 record');
  const charset = transactionCharset(type1);
  if (!charset.ok) throw new AnsiNistWriteError('record 1 (Type-1) 1.015', charset.error.detail);
  const chunks: Uint8Array[] = [];
  transaction.records.forEach((record: AnRecord, index) => {
    if (index > 0 && record.encoding === 'tagged' && record.type === 1)
      throw new AnsiNistWriteError(`record ${index + 1}`, 'only the first record is Type-1');
    chunks.push(
      ...(record.encoding === 'tagged'
        ? taggedChunks(record, index, charset.value)
        : binaryChunks(record, index)),
    );
  });
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
