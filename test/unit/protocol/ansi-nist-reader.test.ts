import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type AnRecord,
  binaryDataNumber,
  readTransaction,
  type Transaction,
  writeTransaction,
} from '../../../protocol/ansi-nist/index.ts';
import { fixture, readFixture } from '../../support/fixtures.ts';

const FIXTURES = ['an2k_type1_2_14_v0502.an2', 'valid1.1.an2', 'valid1.7.an2', 'valid1.8.an2'];
const BINARY = '<binary>';

function read(name: string): { bytes: Uint8Array; transaction: Transaction } {
  const bytes = readFixture(`ansi-nist/${name}`);
  const result = readTransaction(bytes);
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.error)}`);
  return { bytes, transaction: result.value };
}

/** Our reading in an2k2txt's line form: `record.field.subfield.item [type.field]=value`. */
function an2k2txtLines(transaction: Transaction): string[] {
  const lines: string[] = [];
  const tag = (record: AnRecord, number: number) => `[${record.type}.${String(number).padStart(3, '0')}]`;
  transaction.records.forEach((record, r) => {
    if (record.encoding === 'tagged') {
      record.fields.forEach((field, f) => {
        if (field.kind === 'binary')
          lines.push(`${r + 1}.${f + 1}.1.1 ${tag(record, field.number)}=${BINARY}`);
        else
          field.subfields.forEach((items, s) => {
            items.forEach((item, i) => {
              lines.push(`${r + 1}.${f + 1}.${s + 1}.${i + 1} ${tag(record, field.number)}=${item}`);
            });
          });
      });
    } else {
      record.fields.forEach((field, f) => {
        field.values.forEach((value, i) => {
          lines.push(`${r + 1}.${f + 1}.1.${i + 1} ${tag(record, field.number)}=${value}`);
        });
      });
      const f = record.fields.length + 1;
      lines.push(`${r + 1}.${f}.1.1 ${tag(record, binaryDataNumber(record.type))}=${BINARY}`);
    }
  });
  return lines;
}

/** NIST's dump, one string per item, with the temporary file names of binary fields replaced by one marker. */
function nistLines(name: string): string[] {
  return (
    readFileSync(fixture(`ansi-nist/${name}.an2k2txt.txt`), 'latin1')
      .split('\n')
      .filter((line) => line.length > 0)
      // Each line ends with US after the value (NBIS fmttext).
      .map((line) => (line.endsWith('\u001f') ? line.slice(0, -1) : line))
      .map((line) => line.replace(/=fld_\d+_\d+\.tmp$/, `=${BINARY}`))
  );
}

describe('ANSI/NIST reader on NIST files', () => {
  it.each(FIXTURES)('%s writes back byte for byte', (name) => {
    const { bytes, transaction } = read(name);
    const written = writeTransaction(transaction);
    expect(written.length).toBe(bytes.length);
    expect(Buffer.from(written).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each(FIXTURES)(
    '%s reads as NIST an2k2txt reads it: records, fields, subfields, items, values',
    (name) => {
      const { transaction } = read(name);
      expect(an2k2txtLines(transaction)).toEqual(nistLines(name));
    },
  );

  it('takes the Type-14 image by LEN: the WSQ inside is the cwsq file byte for byte', () => {
    const { transaction } = read('an2k_type1_2_14_v0502.an2');
    const type14 = transaction.records[2];
    const data = type14?.encoding === 'tagged' ? type14.fields.at(-1) : undefined;
    expect(data?.kind).toBe('binary');
    const wsq = readFixture('wsq/nistFinger_500x500_cwsq075.wsq');
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(data?.kind === 'binary' ? [data.data.length, sha(data.data)] : []).toEqual([wsq.length, sha(wsq)]);
  });

  it('reads the binary Type-4 of valid1.1 by its fixed layout and its type from CNT', () => {
    const { bytes, transaction } = read('valid1.1.an2');
    const type4 = transaction.records[2];
    expect(type4?.encoding).toBe('binary');
    if (type4?.encoding !== 'binary') return;
    expect(type4.type).toBe(4);
    expect(Object.fromEntries(type4.fields.map((f) => [f.name, f.values]))).toEqual({
      LEN: [14864],
      IDC: [1],
      IMP: [0],
      FGP: [10, 255, 255, 255, 255, 255],
      ISR: [0],
      HLL: [512],
      VLL: [512],
      GCA: [1],
    });
    // The image is the last 14864 - 18 bytes of the file (Type-4 is the last record).
    expect(type4.data.length).toBe(14864 - 18);
    expect(type4.data.byteOffset + type4.data.length).toBe(bytes.byteOffset + bytes.length);
    // A WSQ file: SOI FFA0.
    expect([type4.data[0], type4.data[1]]).toEqual([0xff, 0xa0]);
  });

  it('keeps two-digit tags (1.01) as written', () => {
    const { transaction } = read('valid1.1.an2');
    const type1 = transaction.records[0];
    expect(type1?.encoding === 'tagged' ? type1.fields.map((f) => f.tag).slice(0, 3) : []).toEqual([
      '1.01',
      '1.02',
      '1.03',
    ]);
  });
});
