/**
 * ANSI/NIST-ITL 1-2011 (Update 2015) transactions in traditional encoding: reader, writer and the
 * builder for our Vietnamese application profile. Pure: bytes in, values out. See README.md and
 * PROFILE.md in this folder.
 */

export {
  buildModel,
  buildTransaction,
  type RecordSpec,
  type Segment,
  type TransactionSpec,
  type Type1Spec,
  type Type2Spec,
  type Type9Spec,
  type Type10Spec,
  type Type14Spec,
  type Type17Spec,
} from './builder.ts';
export { type Charset, charsetOfIndex, decodeText, encodeText } from './charset.ts';
export { readTransactionImages, type TransactionImage, transactionImages } from './images.ts';
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
export {
  checkType2Value,
  type Demographics,
  readDemographics,
  type Type2FieldSpec,
  VN_DOMAIN,
  VN_TOT,
  VN_TYPE2_FIELDS,
} from './profile.ts';
export { fieldText, readTransaction, transactionCharset } from './reader.ts';
export {
  type IncitsMinutia,
  type IncitsMinutiaeFields,
  type IncitsMinutiaType,
  incitsMinutiaeOfTemplate,
  type Locate,
  type NistMinutia,
  type NistMinutiaeFields,
  type NistMinutiaType,
  type NistPoint,
  nistMinutiaeOfTemplate,
  readType9,
  readType9Records,
  type Type9Image,
  type Type9Minutiae,
  templateMinutiaeOfIncits,
  templateMinutiaeOfNist,
  type9Record,
} from './type9.ts';
export { AnsiNistWriteError, selfCountingLength, writeTransaction } from './writer.ts';
