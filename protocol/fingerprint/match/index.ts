/**
 * The 1:1 fingerprint matcher: Minutia Cylinder-Code with LSS-R consolidation (README.md in this
 * folder cites the paper and lists what differs). Pure: minutiae in, a score and the paired minutiae out.
 */

export { CONSOLIDATION_PARAMETERS, compare } from './compare.ts';
export {
  DUPLICATE_DISTANCE,
  MAX_INPUT_MINUTIAE,
  MAX_SIDE,
  MAX_USED_MINUTIAE,
  MCC_PARAMETERS,
  MIN_CYLINDERS,
  MIN_MINUTIAE,
  prepare,
} from './mcc.ts';
export {
  type Comparison,
  type Foreground,
  type MatchMinutia,
  type MatchMinutiaKind,
  MCC_FORMAT,
  type MccTemplate,
  type PrepareError,
  type PrepareErrorReason,
  type PrepareInput,
  type PrepareResult,
} from './types.ts';
