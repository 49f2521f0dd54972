/**
 * Finger minutiae templates: the neutral model, ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004
 * records, NIST `.xyt` text, and the conversion from our extractor. Pure. See README.md.
 */
export { type ExtendedBlock, type ExtendedBlocks, readExtendedBlocks } from './extended.ts';
export {
  degreesOfExtractorAngle,
  ENDING_SHIFT_PERIODS,
  type ExtractedMinutia,
  type ExtractorLikeMinutia,
  extractorAngleOfDegrees,
  extractorMinutiae,
  limitMinutiae,
  MAX_VIEW_MINUTIAE,
  NOMINAL_PERIOD_500PPI,
  type TemplateImage,
  templateFromExtraction,
  templateMinutiae,
  type ViewFacts,
} from './extracted.ts';
export {
  detectRecordFormat,
  readAnsiRecord,
  readFingerRecord,
  readIsoRecord,
  writeAnsiRecord,
  writeFingerRecord,
  writeIsoRecord,
} from './fmr.ts';
export * from './model.ts';
export {
  MAX_XYT_BYTES,
  MAX_XYT_MINUTIAE,
  readXyt,
  writeXyt,
  type XytOptions,
  type XytVariant,
} from './xyt.ts';
