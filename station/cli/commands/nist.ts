/**
 * `station nist dump|build`: ANSI/NIST-ITL transactions (protocol/ansi-nist/) from a shell.
 *
 * `dump` prints every record and field as JSON; binary data (a .999 field, a binary record's image)
 * as `{ length, sha256 }`, plus `base64` with `--binary base64`. `build` takes exactly that JSON
 * (with base64) and writes the transaction, so dump then build gives the same bytes back.
 *
 * JSON shape:
 * { "bytes": N, "sha256": "...", "records": [
 *   { "type": 1, "encoding": "tagged", "fields": [ { "tag": "1.001", "subfields": [["151"]] }, ...,
 *                                                  { "tag": "14.999", "binary": { "length", "sha256", "base64"? } } ] },
 *   { "type": 4, "encoding": "binary", "fields": [ { "number": 1, "name": "LEN", "values": [14864] }, ... ],
 *     "data": { "length", "sha256", "base64"? } } ] }
 * `bytes` and `sha256` describe the file and are ignored by build; every LEN is recomputed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type AnRecord,
  AnsiNistWriteError,
  BINARY_LAYOUTS,
  type BinaryField,
  isBinaryType,
  MAX_TRANSACTION_BYTES,
  readTransaction,
  TAGGED_TYPES,
  type TaggedField,
  type Transaction,
  writeTransaction,
} from '../../../protocol/ansi-nist/index.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

export type NistErrorCode =
  | 'NIST_FILE_UNREADABLE'
  | 'NIST_DECODE_FAILED'
  | 'NIST_JSON_INVALID'
  | 'NIST_WRITE_INVALID';

/** An input `station nist` cannot use; exit 1 with the message and code. */
export class NistCommandError extends Error {
  override readonly name = 'NistCommandError';
  constructor(
    readonly code: NistErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface BinaryJson {
  readonly length: number;
  readonly sha256: string;
  readonly base64?: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function binaryJson(bytes: Uint8Array, base64: boolean): BinaryJson {
  const out = { length: bytes.length, sha256: sha256(bytes) };
  return base64
    ? { ...out, base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64') }
    : out;
}

/** The dump of a transaction (see the module comment for its shape). */
export function transactionJson(transaction: Transaction, file: Uint8Array, base64: boolean): unknown {
  return {
    bytes: file.length,
    sha256: sha256(file),
    records: transaction.records.map((record) =>
      record.encoding === 'tagged'
        ? {
            type: record.type,
            encoding: 'tagged',
            fields: record.fields.map((field) =>
              field.kind === 'text'
                ? { tag: field.tag, subfields: field.subfields }
                : { tag: field.tag, binary: binaryJson(field.data, base64) },
            ),
          }
        : {
            type: record.type,
            encoding: 'binary',
            fields: record.fields.map(({ number, name, values }) => ({ number, name, values })),
            data: binaryJson(record.data, base64),
          },
    ),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(where: string, what: string): NistCommandError {
  return new NistCommandError('NIST_JSON_INVALID', `${where}: ${what}`);
}

function bytesOf(value: unknown, where: string): Uint8Array {
  if (!isObject(value)) throw invalid(where, 'expected { length, sha256, base64 }');
  if (typeof value.base64 !== 'string')
    throw invalid(where, 'has no base64 bytes; make the dump with --binary base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value.base64) || value.base64.length % 4 !== 0)
    throw invalid(where, 'base64 is not valid base64');
  const bytes = new Uint8Array(Buffer.from(value.base64, 'base64'));
  if (value.sha256 !== undefined && value.sha256 !== sha256(bytes))
    throw invalid(where, 'sha256 does not match the base64 bytes; fix it or leave sha256 out');
  return bytes;
}

function taggedField(value: unknown, type: number, where: string): TaggedField {
  if (!isObject(value) || typeof value.tag !== 'string')
    throw invalid(where, 'a field needs a "tag" such as "14.013"');
  const match = /^(\d{1,2})\.(\d{1,9})$/.exec(value.tag);
  if (!match || Number(match[1]) !== type)
    throw invalid(where, `tag '${value.tag}' is not a Type-${type} field tag`);
  const number = Number(match[2]);
  if (value.binary !== undefined)
    return { kind: 'binary', tag: value.tag, number, data: bytesOf(value.binary, `${where} ${value.tag}`) };
  const subfields = value.subfields;
  if (
    !Array.isArray(subfields) ||
    subfields.length === 0 ||
    !subfields.every((s) => Array.isArray(s) && s.length > 0 && s.every((item) => typeof item === 'string'))
  )
    throw invalid(
      `${where} ${value.tag}`,
      'subfields must be a non-empty list of non-empty lists of strings',
    );
  return { kind: 'text', tag: value.tag, number, subfields: subfields as string[][] };
}

/**
 * The transaction a dump describes.
 * @throws {NistCommandError} NIST_JSON_INVALID naming the record and field that is wrong.
 */
export function transactionFromJson(value: unknown): Transaction {
  if (!isObject(value) || !Array.isArray(value.records))
    throw invalid('the JSON', 'expected { "records": [...] }');
  const records = value.records.map((record: unknown, index): AnRecord => {
    const where = `records[${index}]`;
    if (!isObject(record) || typeof record.type !== 'number' || !Array.isArray(record.fields))
      throw invalid(where, 'a record needs "type", "encoding" and "fields"');
    const type = record.type;
    if (record.encoding === 'tagged' && TAGGED_TYPES.has(type))
      return {
        encoding: 'tagged',
        type,
        fields: record.fields.map((field: unknown, f) => taggedField(field, type, `${where}.fields[${f}]`)),
      };
    if (record.encoding === 'binary' && isBinaryType(type)) {
      const layout = BINARY_LAYOUTS[type];
      const fields = record.fields.map((field: unknown, f): BinaryField => {
        const row = layout[f];
        if (
          !isObject(field) ||
          row === undefined ||
          field.number !== row.number ||
          !Array.isArray(field.values) ||
          !field.values.every((v) => typeof v === 'number')
        )
          throw invalid(
            `${where}.fields[${f}]`,
            `expected { number: ${row?.number ?? '?'}, values: [numbers] }`,
          );
        return { number: row.number, name: row.name, values: field.values as number[] };
      });
      return { encoding: 'binary', type, fields, data: bytesOf(record.data, `${where}.data`) };
    }
    throw invalid(where, `Type-${type} with encoding '${String(record.encoding)}' is not a record we write`);
  });
  return { records };
}

function readInput(io: CliIo, file: string): { file: string; bytes: Uint8Array } {
  const absolute = path.resolve(io.cwd, file);
  let size: number;
  try {
    size = statSync(absolute).size;
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(cause);
    throw new NistCommandError('NIST_FILE_UNREADABLE', `cannot read ${absolute}: ${reason}`, { cause });
  }
  if (size > MAX_TRANSACTION_BYTES)
    throw new NistCommandError(
      'NIST_FILE_UNREADABLE',
      `${absolute} is ${size} bytes; at most ${MAX_TRANSACTION_BYTES} bytes are read`,
    );
  return { file: absolute, bytes: new Uint8Array(readFileSync(absolute)) };
}

function guarded(io: CliIo, body: () => unknown): number {
  try {
    const out = body();
    if (out !== undefined) io.stdout(json(out));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof NistCommandError) {
      io.stderr(`${error.message} [${error.code}]\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

function inputOption(values: { in?: string | undefined }): string {
  if (values.in === undefined) throw new UsageError('--in is required');
  return values.in;
}

const dumpCommand: Command = {
  name: 'dump',
  summary: 'Print every record and field of an ANSI/NIST-ITL transaction as JSON',
  help: `Usage: station nist dump --in FILE.an2 [--binary base64]

Prints JSON: { bytes, sha256, records: [...] }. Tagged records list each field as
{ tag, subfields: [[items]] }; binary data (a .999 field, a Type-3..8 image) as { length, sha256 },
with the bytes as base64 too when --binary base64 is given. That JSON is what 'station nist build'
takes. A file that is not a transaction we can read is exit 1 with the reason and byte offset.`,
  async run(args, io) {
    const { values } = parse(
      args,
      { in: { type: 'string' }, binary: { type: 'string' } },
      { min: 0, max: 0 },
    );
    const file = inputOption(values);
    if (values.binary !== undefined && values.binary !== 'base64')
      throw new UsageError(`--binary takes 'base64', got '${values.binary}'`);
    return guarded(io, () => {
      const input = readInput(io, file);
      const result = readTransaction(input.bytes);
      if (!result.ok)
        throw new NistCommandError(
          'NIST_DECODE_FAILED',
          `${input.file} is not an ANSI/NIST-ITL transaction we can read: ${result.error.detail} [${result.error.reason} at byte ${result.error.offset}]`,
        );
      return transactionJson(result.value, input.bytes, values.binary === 'base64');
    });
  },
};

const buildCommand: Command = {
  name: 'build',
  summary: "Write an ANSI/NIST-ITL transaction from 'station nist dump --binary base64' JSON",
  help: `Usage: station nist build --in FILE.json --out FILE.an2

Takes the JSON 'station nist dump --binary base64' prints (records, fields, base64 binaries), computes
every LEN and writes the transaction; the written file is read back before it is kept. Prints JSON:
the file, its size in bytes, its SHA-256 and the record types.`,
  async run(args, io) {
    const { values } = parse(args, { in: { type: 'string' }, out: { type: 'string' } }, { min: 0, max: 0 });
    const file = inputOption(values);
    if (values.out === undefined) throw new UsageError('--out is required');
    const outFile = path.resolve(io.cwd, values.out);
    return guarded(io, () => {
      const input = readInput(io, file);
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input.bytes));
      } catch (cause) {
        throw new NistCommandError('NIST_JSON_INVALID', `${input.file} is not UTF-8 JSON: ${String(cause)}`, {
          cause,
        });
      }
      const transaction = transactionFromJson(parsed);
      let bytes: Uint8Array;
      try {
        bytes = writeTransaction(transaction);
      } catch (error) {
        if (error instanceof AnsiNistWriteError)
          throw new NistCommandError('NIST_WRITE_INVALID', `cannot write ${input.file}: ${error.message}`, {
            cause: error,
          });
        throw error;
      }
      const check = readTransaction(bytes);
      if (!check.ok)
        throw new NistCommandError(
          'NIST_WRITE_INVALID',
          `${input.file} describes a transaction that does not read back: ${check.error.detail} [${check.error.reason}]`,
        );
      writeFileSync(outFile, bytes);
      return {
        file: outFile,
        bytes: bytes.length,
        sha256: sha256(bytes),
        records: transaction.records.map((r) => r.type),
      };
    });
  },
};

export const nistCommand: Command = {
  name: 'nist',
  summary: 'ANSI/NIST-ITL transactions: dump to JSON, build from JSON',
  help: `Usage: station nist <dump|build> ...

ANSI/NIST-ITL 1-2011 (Update 2015) transactions in traditional encoding, versions 0200 to 0502.`,
  subcommands: [dumpCommand, buildCommand],
};
