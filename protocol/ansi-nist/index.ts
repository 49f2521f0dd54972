/**
 * ANSI/NIST-ITL 1-2011 (Update 2015) transactions in traditional encoding: reader, writer and the
 * builder for our Vietnamese application profile. Pure: bytes in, values out. See README.md and
 * PROFILE.md in this folder.
 */
export { type Charset, charsetOfIndex, decodeText, encodeText } from './charset.ts';
export * from './limits.ts';
export {
  type AnRecord,
  BINARY_FIELD_NUMBER,
  BINARY_LAYOUTS,
  type BinaryField,
  type BinaryLayoutRow,
  type BinaryRecord,
  type BinaryRecordType,
  binaryDataNumber,
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
export { fieldText, readTransaction, transactionCharset } from './reader.ts';
export { AnsiNistWriteError, selfCountingLength, writeTransaction } from './writer.ts';
